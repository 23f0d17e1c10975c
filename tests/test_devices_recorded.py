"""Device inventory and checks built from *recorded* tool outputs (no GPU needed).

Sources of the texts (``tests/data/tools``): the GT 750M MacBook's CUDA 5.5 deviceQuery and
bandwidthTest are Simon Blyth's notes (simoncblyth/env: cuda/cuda.bash), the machine class of
the pyimagesearch seed whose GPU trained 2x slower; the nvidia-smi outputs are the pastes the
parser tests cite. Each goes through the real parsers, ``probes.devices.assemble`` and the
device checks, as a live probe's would.
"""
from __future__ import annotations

import os

import pytest

from pytest_dlready.checks import markers as M
from pytest_dlready.checks import device_bandwidth as B, device_signals as S, devices as D
from pytest_dlready.probes import devices as P, samples
from pytest_dlready.results import Status

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "tools")


def read(*parts):
    with open(os.path.join(TOOLS, *parts), encoding="utf-8") as fh:
        return fh.read()


def by_code(findings):
    return {f.code: f for f in findings if f.code}


@pytest.fixture(scope="module")
def macbook():
    """A snapshot of the 2014 MacBook Pro (GT 750M, CUDA 5.5, macOS) from its recorded tool outputs."""
    section = samples.from_outputs(read("devicequery", "macos_gt750m_cuda5.5_indented_paste.txt"),
                                   {"pinned": read("bandwidthtest", "macos_gt750m_cuda5.5_mbs.txt")})
    facts = {"host": {"os": "macos"}, "cuda": {"toolkit_version": "5.5"}, "driver": {"kextstat": {}}}
    facts["devices"] = P.assemble(facts, {"samples": section, "status": {"samples": {"ran": True}}})
    return facts


def test_macbook_inventory(macbook):
    (g,) = macbook["devices"]["gpus"]
    assert (g["index"], g["vendor"], g["name"], g["compute_capability"], g["memory_mib"]) == \
        (0, "nvidia", "GeForce GT 750M", "3.0", 2048)
    assert g["source"] == "deviceQuery" and g["sources"] == ["deviceQuery", "bandwidthTest"]
    assert g["kernel_run_time_limit"] is True and g["multiprocessors"] == 2 and g["cuda_cores"] == 384
    bw = {(b["direction"], b["memory"]): b["gbps"] for b in g["bandwidth"]}
    assert bw == {("h2d", "pinned"): 1.566, ("d2h", "pinned"): 3.183, ("d2d", "device"): 17.075}  # MB/s -> GB/s
    assert g["theoretical"]["memory_gbps"] == 80.3  # 2 x 2508 MHz x 128 bit / 8
    assert D.no_gpu_summary(macbook) == ""
    assert M.evaluate_gpu(macbook) is None
    skip = M.evaluate_gpu(macbook, min_compute="3.5")
    assert skip is not None and "GeForce GT 750M 3.0" in skip.reason


def test_macbook_findings(macbook):
    found = by_code(D.check_compute_capability(macbook) + S.check_display(macbook, 0) + B.check_bandwidth(macbook, 0))
    assert found["DLR-DEV-CC-OLD"].status is Status.WARN and "compute capability 3.0" in found["DLR-DEV-CC-OLD"].message
    assert found["DLR-GPU-DISPLAY"].status is Status.WARN
    assert "Run time limit on kernels: Yes" in found["DLR-GPU-DISPLAY"].message
    rows = {f.check: f for f in B.check_bandwidth(macbook, 0)}
    assert rows["bandwidth GPU0 H2D pinned"].status is Status.WARN  # 1.57 GB/s, below any PCIe 2.0 x8 link
    assert rows["bandwidth GPU0 D2H pinned"].status is Status.PASS  # 3.18 GB/s
    d2d = rows["bandwidth GPU0 D2D"]
    assert d2d.status is Status.WARN and d2d.observed["share"] == pytest.approx(17.075 / 80.3, abs=1e-3)
    assert [f.status for f in D.check_presence(macbook)] == [Status.PASS]
    (dq,) = [f for f in D.check_samples(macbook) if f.check == "deviceQuery"]
    assert dq.status is Status.PASS and "driver 5.5 / runtime 5.5" in dq.message
    # unknown signals are skips naming NVML, never guesses
    assert S.check_processes(macbook, 0)[0].status is Status.SKIP
    assert "NVML" in S.check_link(macbook, 0)[0].message


def test_user_floor_fails(macbook):
    rows = {f.check: f for f in B.check_bandwidth(macbook, 0, min_gbps=2.0)}
    assert rows["bandwidth GPU0 H2D pinned"].status is Status.FAIL
    assert rows["bandwidth GPU0 H2D pinned"].code == "DLR-BW-BELOW-FLOOR"
    assert rows["bandwidth GPU0 D2H pinned"].status is Status.PASS


def test_error35_devicequery_is_a_finding_not_a_gpu():
    section = samples.from_outputs(read("devicequery", "macos_cuda9.1_error35_indented.txt"), {})
    facts = {"host": {"os": "macos"}}
    facts["devices"] = P.assemble(facts, {"samples": section, "status": {"samples": {"ran": True}}})
    assert facts["devices"]["gpus"] == []
    (row,) = [f for f in D.check_samples(facts) if f.check == "deviceQuery"]
    assert row.status is Status.SKIP and "insufficient" in row.message and row.observed["needs_gpu"]


def smi_facts(name):
    from pytest_dlready.parsers import nvidia_smi

    facts = {"host": {"os": "linux"}}
    facts["devices"] = P.assemble(facts, {"nvidia_smi": nvidia_smi.parse(read("nvidia_smi", name))})
    return facts


def test_nvidia_smi_laptop_signals():
    facts = smi_facts("q_rtx4070_laptop_wddm_566.txt")
    (g,) = facts["devices"]["gpus"]
    assert g["name"] == "NVIDIA GeForce RTX 4070 Laptop GPU" and g["source"] == "nvidia-smi"
    assert g["theoretical"]["pcie_link"] == "Gen4 x8" and g["theoretical"]["pcie_gbps"] == 15.75
    assert S.check_link(facts, 0)[0].status is Status.PASS
    throttle = S.check_throttle(facts, 0)[0]
    assert throttle.status is Status.PASS and "gpu_idle" in throttle.message
    assert S.check_display(facts, 0)[0].status is Status.PASS
    assert S.check_processes(facts, 0)[0].status is Status.PASS


def test_nvidia_smi_ten_gpus_are_parametrised_and_judged():
    facts = smi_facts("table_a40x10_550.txt")
    gpus = facts["devices"]["gpus"]
    assert len(gpus) == 10 and {g["index"] for g in gpus} == set(range(10))
    assert all(g["name"] == "NVIDIA A40" for g in gpus)
    for i in range(10):
        for f in S.all_signals(facts, i):
            assert f.status in (Status.PASS, Status.WARN, Status.SKIP)


def test_link_downgrade_under_load_warns_but_idle_only_does_not():
    facts = {"host": {"os": "linux"}, "cuda_probe": {
        "status": "ok", "devices": [{"index": 0, "name": "Tesla T4", "pci_bus_id": "0000:18:00.0",
                                     "compute_capability": "7.5", "memory_mib": 15109}],
        "bandwidth": [{"device": 0, "direction": "h2d", "memory": "pinned", "gbps": 4.0, "size_bytes": 32000000}],
        "links": [{"device": 0, "gen": 1, "width": 16, "max_gen": 3, "max_width": 16, "under_load": True}]}}
    nvml = {"available": True, "devices": [{"index": 0, "name": "Tesla T4", "pci_bus_id": "00000000:18:00.0",
                                            "pcie": {"gen_current": 1, "gen_max": 3, "width_current": 16, "width_max": 16}}]}
    facts["devices"] = P.assemble(facts, {"nvml": nvml})
    (g,) = facts["devices"]["gpus"]
    assert g["sources"] == ["nvml", "cuda_probe"]  # merged by PCI bus id despite the two spellings
    link = S.check_link(facts, 0)[0]
    assert link.status is Status.WARN and "under load" in link.message
    assert g["pcie"] == {"gen": 1, "width": 16, "max_gen": 3, "max_width": 16, "under_load": True}
    h2d = B.check_bandwidth(facts, 0)[0]
    assert h2d.status is Status.WARN and h2d.observed["link_gbps"] == 15.76
    # the same idle reading with healthy copies: links train down at idle, so no warning
    facts["cuda_probe"]["links"] = []
    facts["cuda_probe"]["bandwidth"][0]["gbps"] = 12.4
    facts["devices"] = P.assemble(facts, {"nvml": nvml})
    assert S.check_link(facts, 0)[0].status is Status.PASS


def test_other_processes_and_throttle_from_nvml():
    nvml = {"available": True, "devices": [{
        "index": 0, "name": "NVIDIA GeForce RTX 3090", "memory_total_mib": 24576, "memory_free_mib": 2000,
        "compute_processes": [{"pid": 4242, "name": "/usr/bin/python3", "used_mib": 22000}],
        "graphics_processes": [{"pid": 1000, "name": "Xorg", "used_mib": 300}],
        "throttle": {"mask": 0x24, "active": ["sw_power_cap", "sw_thermal_slowdown"]},
        "persistence_mode": False, "display_active": True}]}
    facts = {"host": {"os": "linux"}}
    facts["devices"] = P.assemble(facts, {"nvml": nvml})
    found = by_code(S.all_signals(facts, 0))
    shared = found["DLR-GPU-SHARED"]
    assert "4242" not in shared.message and shared.observed["pids"] == [4242] and "python3" in shared.message
    assert found["DLR-GPU-THROTTLED"].status is Status.WARN
    assert found["DLR-GPU-DISPLAY"].status is Status.WARN
    assert found["DLR-GPU-MEMORY-BUSY"].status is Status.WARN
    assert "DLR-GPU-PERSISTENCE-OFF" not in found  # the display keeps the driver loaded
    assert facts["devices"]["gpus"][0]["compute_processes"][0]["pid"] == 4242  # flat key the verdict reads


def test_cpu_only_framework_with_gpu_warns_and_blind_framework_fails():
    facts = {"host": {"os": "linux"}, "devices": {
        "gpus": [{"index": 0, "vendor": "nvidia", "name": "NVIDIA A100", "compute_capability": "8.0"}],
        "routes": {"torch": {"ran": False, "skipped": "torch 2.13.0+cpu is a CPU-only build"},
                   "cupy": {"ran": True, "available": False, "devices": 0,
                            "error": {"exception": "CUDARuntimeError",
                                      "message": "cudaErrorInsufficientDriver: CUDA driver version is insufficient "
                                                 "for CUDA runtime version"}}}}}
    found = by_code(D.check_routes(facts))
    assert found["DLR-DEV-CPU-ONLY-BUILD"].status is Status.WARN
    assert found["DLR-DEV-ROUTE-BLIND"].status is Status.FAIL
    assert "insufficient" in found["DLR-DEV-ROUTE-BLIND"].message


def test_torch_arch_list_excludes_old_gpu():
    facts = {"devices": {"gpus": [{"index": 0, "vendor": "nvidia", "name": "Tesla K80", "compute_capability": "3.7"},
                                  {"index": 1, "vendor": "nvidia", "name": "RTX 4090", "compute_capability": "8.9"}],
                         "frameworks": {"torch": {"arch_list": ["sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"]}}}}
    rows = {f.check: f for f in D.check_compute_capability(facts)}
    assert rows["compute capability GPU0"].code == "DLR-DEV-CC-NOT-IN-WHEEL"
    assert rows["compute capability GPU1"].status is Status.PASS  # sm_89 runs sm_86 code


def test_pocl_binary_distribution_build_failure_is_a_finding():
    # what PyPI's pocl-binary-distribution reports on a CPU its LLVM does not know (pyopencl's exception text)
    facts = {"devices": {"routes": {"opencl": {"ran": True, "available": True}}, "accelerators": [{
        "index": 0, "name": "cpu-generic", "kind": "cpu", "platform": "Portable Computing Language",
        "kernel_build": {"ok": False, "error": "RuntimeError: clBuildProgram failed: BUILD_PROGRAM_FAILURE - "
                                                "clBuildProgram failed: BUILD_PROGRAM_FAILURE",
                         "log": "error: unknown target CPU 'generic'"}}]}}
    rows = {f.check: f for f in D.check_opencl(facts)}
    assert rows["OpenCL devices"].status is Status.PASS
    build = rows["OpenCL kernel build 0"]
    assert build.status is Status.FAIL and build.code == "DLR-OCL-KERNEL-BUILD" and "cannot build kernels" in build.message


def test_a_copy_that_failed_is_a_row_of_its_own_not_dropped():
    """The native probe's error row (cudaMemcpyAsync failing mid-measurement) reaches the table as a FAIL."""
    probe = {"status": "ok", "devices": [{"index": 0, "name": "NVIDIA H100 80GB HBM3", "compute_capability": "9.0",
                                          "memory_mib": 81559, "multiprocessors": 132}],
             "bandwidth": [
                 {"device": 0, "direction": "h2d", "memory": "pinned", "size_bytes": 33554432, "reps": 20,
                  "seconds": 0.012, "gbps": 55.1, "timer": "cuda-events"},
                 {"device": 0, "direction": "d2h", "memory": "pinned", "size_bytes": 33554432, "reps": 20,
                  "error": {"code": 700, "name": "cudaErrorIllegalAddress", "message": "an illegal memory access was "
                            "encountered", "call": "cudaMemcpyAsync(dst, src, o->size, kind, s)"}}],
             "links": []}
    facts = {"cuda_probe": probe}
    facts["devices"] = P.assemble(facts, {})
    rows = B.check_bandwidth(facts, 0)
    failed = [r for r in rows if r.code == "DLR-BW-COPY-FAILED"]
    assert len(failed) == 1 and failed[0].status is Status.FAIL
    assert failed[0].check == "bandwidth GPU0 D2H pinned"
    assert "cudaErrorIllegalAddress" in failed[0].message and "700" in failed[0].message
    assert any(r.check == "bandwidth GPU0 H2D pinned" and r.status is not Status.FAIL for r in rows)


def test_the_opencl_hint_fits_what_is_installed():
    from pytest_dlready.probes import devices as probe_devices

    with_pocl = {"devices": {"routes": {"opencl": {"ran": False, "skipped": "pyopencl is not installed",
                                                   "icds": ["pocl.icd"]}}}}
    (row,) = D.check_opencl(with_pocl)
    assert "apt-get install pocl" not in row.fix and "pocl.icd" in row.fix and "pip install pyopencl" in row.fix
    bare = {"devices": {"routes": {"opencl": {"ran": False, "skipped": "pyopencl is not installed", "icds": []}}}}
    assert "apt-get install pocl-opencl-icd" in D.check_opencl(bare)[0].fix
    assert probe_devices.opencl_icds(["/nonexistent"]) == []
