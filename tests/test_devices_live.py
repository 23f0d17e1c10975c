"""The device probe for real on this machine: no NVIDIA driver (error 35), PoCL as the OpenCL device.

Expectations are for a driverless host; where this machine differs (a driver present,
pyopencl or PoCL absent) the test says so and skips rather than guessing. The whole probe
takes ~1-2 s here (routes run in parallel; nvcc's build is cached in DLREADY_CACHE_DIR).
"""
from __future__ import annotations

import json
import os
import textwrap

import pytest

from pytest_dlready.checks import devices as D
from pytest_dlready.probes import child, devices as P, runner, samples
from pytest_dlready.probes.collect import collect
from pytest_dlready.results import Status
from pytest_dlready.settings import Settings

NO_DRIVER = not os.path.exists("/dev/nvidiactl")


@pytest.fixture(scope="module")
def probed():
    return collect(Settings(), only=("system", "cuda", "driver", "devices"))


def _installed(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None


@pytest.mark.skipif(not NO_DRIVER, reason="this machine has an NVIDIA driver; these expectations are for driverless hosts")
def test_driverless_machine_reports_why(probed):
    assert not probed["probe_errors"]
    devices = probed["devices"]
    assert devices["gpus"] == [] and "summary" not in devices  # facts hold what was seen; checks say what it means
    summary = D.no_gpu_summary(probed)
    assert summary.startswith("no NVIDIA driver (libcuda/NVML not found)")
    if runner.which("nvcc"):
        assert probed["cuda_probe"]["status"] == "cuda-error" and probed["cuda_probe"]["error"]["code"] == 35
        assert "CUDA probe" in summary and "error 35 cudaErrorInsufficientDriver" in summary
        (row,) = D.check_cuda_runtime(probed)
        assert row.status is Status.SKIP and row.observed["needs_gpu"]
        assert "CUDA driver version is insufficient for CUDA runtime version" in row.message
    if _installed("pynvml"):
        assert devices["nvml"]["error"]["exception"] == "NVMLError_LibraryNotFound"
    if devices["routes"].get("cuda-python", {}).get("ran"):
        err = devices["frameworks"]["cuda-python"]["error"]
        assert (err["code"], err["name"]) == (35, "cudaErrorInsufficientDriver")
    (presence,) = D.check_presence(probed)
    assert presence.status is Status.SKIP and presence.observed["needs_gpu"] and presence.code == "DLR-DEV-NO-GPU"
    json.dumps(probed)


def test_opencl_stand_in_device(probed):
    route = probed["devices"]["routes"].get("opencl", {})
    if not route.get("ran"):
        pytest.skip("pyopencl not installed: pip install pyopencl (and apt-get install pocl-opencl-icd)")
    accs = probed["devices"]["accelerators"]
    if not accs:
        pytest.skip(f"no OpenCL device: {route.get('error')}; apt-get install pocl-opencl-icd")
    cpu = [a for a in accs if a["kind"] == "cpu"]
    if not cpu:
        pytest.skip("no OpenCL CPU device here")
    a = cpu[0]
    assert a["vendor"] == "opencl" and a["source"] == "opencl"
    assert a not in probed["devices"]["gpus"]  # a stand-in accelerator does not satisfy @gpu
    if a["kernel_build"]["ok"]:  # Debian's PoCL builds kernels; pocl-binary-distribution may not (a finding)
        assert {(b["direction"], b["memory"]) for b in a["bandwidth"]} == {
            ("h2d", "pinned"), ("d2h", "pinned"), ("h2d", "pageable"), ("d2h", "pageable"), ("d2d", "device")}
        assert all(b["gbps"] > 0 for b in a["bandwidth"])
    rows = {f.check: f.status for f in D.check_opencl(probed)}
    assert rows["OpenCL devices"] is Status.PASS


def test_hung_route_is_a_record_not_a_hang(tmp_path, monkeypatch):
    (tmp_path / "hang.py").write_text("import time\ntime.sleep(30)\n")
    (tmp_path / "crash.py").write_text("import os\nprint('partial')\nos._exit(3)\n")
    monkeypatch.setattr(child, "HERE", str(tmp_path))
    data, rec = child.run_route("hang.py", timeout=0.5)
    assert rec["timed_out"] and data["error"]["kind"] == "timeout"
    assert D.classify_error(data["error"])[0] == "timeout"
    data, rec = child.run_route("crash.py", timeout=10)
    assert data["error"]["kind"] == "crashed" and "exited 3" in data["error"]["message"]


SAMPLE = textwrap.dedent("""\
    // stand-in sample for the locate/build/run plumbing: reports what cudaGetDeviceCount really returns,
    // in deviceQuery's own failure format (the project's code, not NVIDIA's)
    #include <cuda_runtime.h>
    #include <stdio.h>
    int main(int argc, char **argv) {
        printf("%s Starting...\\n\\n CUDA Device Query (Runtime API) version (CUDART static linking)\\n\\n", argv[0]);
        int n = 0;
        cudaError_t e = cudaGetDeviceCount(&n);
        if (e != cudaSuccess) {
            printf("cudaGetDeviceCount returned %d\\n-> %s\\nResult = FAIL\\n", (int)e, cudaGetErrorString(e));
            return 1;
        }
        printf("Detected %d CUDA Capable device(s)\\nResult = PASS\\n", n);
        return 0;
    }
""")


@pytest.mark.skipif(runner.which("nvcc") is None or runner.which("make") is None, reason="needs nvcc and make")
def test_samples_found_in_home_built_with_make_and_run(tmp_path, monkeypatch):
    home = tmp_path / "home"
    src = home / "cuda-samples" / "Samples" / "1_Utilities" / "deviceQuery"
    src.mkdir(parents=True)
    (src / "deviceQuery.cu").write_text(SAMPLE)
    (src / "Makefile").write_text("deviceQuery: deviceQuery.cu\n\t$(CUDA_PATH)/bin/nvcc -o $@ $<\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    facts = {"cuda": {"nvcc": {"path": runner.which("nvcc")}}}
    found = samples.locate(facts, Settings())
    assert found["deviceQuery"]["binary"] is None and found["deviceQuery"]["source_dir"] == str(src)
    section = samples.probe_samples(facts, Settings(), str(tmp_path / "logs"))
    assert "deviceQuery" not in section  # sources only, and building was not asked for
    section = samples.probe_samples(facts, Settings(build_samples=True), str(tmp_path / "logs"))
    built = section["built"]["deviceQuery"]
    assert built["method"] == "make" and built["binary"] == str(src / "deviceQuery") and os.path.isfile(built["log"])
    parsed = section["deviceQuery"]["parsed"]
    if NO_DRIVER:
        assert parsed["result"] == "FAIL" and parsed["error"]["code"] == 35
        rows = D.check_samples({"devices": {"samples": section}})
        assert rows[0].check == "deviceQuery" and rows[0].status is Status.SKIP and rows[0].observed["needs_gpu"]
    # once built, it is found without building again, through the explicit option as well
    again = samples.locate(facts, Settings(cuda_samples=str(home / "cuda-samples")))
    assert again["deviceQuery"]["binary"] == str(src / "deviceQuery")
    assert again["deviceQuery"]["found_via"] == "--dlready-cuda-samples"


@pytest.mark.skipif(runner.which("make") is None, reason="needs make")
def test_failed_sample_build_has_a_log(tmp_path, monkeypatch):
    src = tmp_path / "samples" / "1_Utilities" / "bandwidthTest"
    src.mkdir(parents=True)
    (src / "bandwidthTest.cu").write_text("this is not C++\n")
    (src / "Makefile").write_text("bandwidthTest: bandwidthTest.cu\n\tcc -x c -o $@ $<\n")
    monkeypatch.chdir(tmp_path)
    section = samples.probe_samples({}, Settings(cuda_samples=str(tmp_path / "samples"), build_samples=True),
                                    str(tmp_path / "logs"))
    built = section["built"]["bandwidthTest"]
    assert built["error"] == "the build failed" and "bandwidthTest.cu" in open(built["log"]).read()
    rows = {f.check: f for f in D.check_samples({"devices": {"samples": section}})}
    assert rows["bandwidthTest"].status is Status.FAIL and rows["bandwidthTest"].code == "DLR-DEV-SAMPLE-BUILD"


def test_cwd_is_never_searched(tmp_path, monkeypatch):
    exe = tmp_path / "deviceQuery"
    exe.write_text("#!/bin/sh\necho should never run\n")
    exe.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "." + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.setenv("HOME", str(tmp_path / "nohome"))
    assert samples.locate({}, Settings())["deviceQuery"]["binary"] is None
