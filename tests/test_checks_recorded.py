"""Toolchain checks judged on recorded facts of real machines (the two seeds) and this one."""
import copy
import os

import pytest

from conftest import DATA, load_facts
from pytest_dlready.checks import drivers, libraries, macos, platform, toolchain
from pytest_dlready.results import Status


def statuses(findings):
    return [f.status for f in findings]


@pytest.fixture
def windows():
    return load_facts("windows-dlwin36-titanx.json")


@pytest.fixture
def mac():
    return load_facts("macbook-gt750m.json")


def test_windows_without_include_lib_fails_with_corecrt_explanation(windows):
    [f] = toolchain.check_compiler(windows)
    assert f.status is Status.FAIL and f.code == "DLR-MSVC-INCLUDE-LIB"
    assert "corecrt.h" in f.message and "kernel32.lib" in f.message
    assert "vcvars64.bat" in f.fix


def test_windows_with_include_lib_passes(windows):
    env = windows["env"]["vars"]
    env["INCLUDE"] = r"C:\Program Files (x86)\Windows Kits\10\Include\10.0.10240.0\ucrt"
    env["LIB"] = r"C:\Program Files (x86)\Windows Kits\10\Lib\10.0.10240.0\um\x64;C:\Program Files (x86)\Windows Kits\10\Lib\10.0.10240.0\ucrt\x64"
    [f] = toolchain.check_compiler(windows)
    assert f.status is Status.PASS and "19.00.24215.1" in f.message


def test_windows_without_cl_fails(windows):
    del windows["compiler"]["cl"]
    [f] = toolchain.check_compiler(windows)
    assert f.code == "DLR-CL-MISSING" and "VC\\bin" in f.fix


def test_cntk_wheel_cudnn_shadows_the_toolkit_copy(windows):
    findings = libraries.check_shadowing(windows)
    bad = [f for f in findings if f.status is Status.FAIL]
    assert len(bad) == 1
    f = bad[0]
    assert f.observed["family"] == "cudnn"
    assert f.message.startswith(r"cudnn: cudnn64_5.dll 5.0.5 in e:\toolkits.win\anaconda3-4.4.0\envs\dlwin36 loads first")
    assert r"e:\toolkits.win\cuda-8.0.61\bin (cudnn64_5.dll 5.1.10)" in f.message
    assert f.observed["order"][0].startswith(r"e:\toolkits.win\anaconda3-4.4.0\envs\dlwin36 [application folder]")


def test_removing_the_stray_dlls_clears_the_shadowing(windows):
    """The guide's fix (`move cu*.dll discard`) applied to the facts."""
    windows["libraries"]["files"] = [f for f in windows["libraries"]["files"] if f["dir_index"] != 0]
    assert all(f.status is Status.PASS for f in libraries.check_shadowing(windows))


def test_mixed_dnn_version_on_windows(windows):
    [f] = libraries.check_cudnn(windows)
    assert f.status is Status.FAIL and f.code == "DLR-CUDNN-MIXED"
    assert "5.1.10" in f.message and "5.0.5" in f.message and "Mixed dnn version" in f.message


def test_windows_driver_and_toolkit(windows):
    found = drivers.check_drivers(windows)
    assert statuses(found) == [Status.PASS, Status.PASS]
    assert "driver 372.90" in found[0].message
    assert "372.90 ≥ 369.30" in found[1].message  # CUDA 8.0 GA1 minimum on Windows


def test_old_windows_driver_fails_for_cuda8(windows):
    windows["driver"]["nvml"]["driver_version"] = "353.90"
    bad = [f for f in drivers.check_drivers(windows) if f.status is Status.FAIL]
    assert bad and bad[0].code == "DLR-DRIVER-TOO-OLD" and "369.30" in bad[0].message


def test_mac_gt750m_toolchain(mac):
    assert statuses(platform.check_os(mac)) == [Status.PASS]
    [driver] = drivers.check_drivers(mac)
    assert driver.status is Status.PASS and "com.nvidia.CUDA (1.1.0)" in driver.message
    [paths] = toolchain.check_paths(mac)
    assert paths.status is Status.PASS and "/Developer/NVIDIA/CUDA-5.5/lib" in paths.message


def test_mac_without_dyld_library_path_warns(mac):
    mac["env"]["vars"]["DYLD_LIBRARY_PATH"] = ""
    [paths] = toolchain.check_paths(mac)
    assert paths.status is Status.WARN and paths.fix.startswith("export DYLD_LIBRARY_PATH=/Developer/NVIDIA/CUDA-5.5/lib:")


def test_mac_energy_settings_warn(mac):
    found = macos.check_energy(mac)
    assert [f.code for f in found] == ["DLR-MAC-GPUSWITCH", "DLR-MAC-SLEEP"]
    assert all(f.status is Status.WARN for f in found)


def test_mac_energy_after_the_guides_changes_pass(mac):
    mac["macos"]["pmset"]["stdout"] = mac["macos"]["pmset"]["stdout"].replace("gpuswitch            2", "gpuswitch            1").replace(
        "sleep                1 (sleep", "sleep                0 (sleep")
    assert statuses(macos.check_energy(mac)) == [Status.PASS]


def test_mac_without_cuda_kext_fails(mac):
    mac["driver"]["kextstat"]["stdout"] = ""
    mac["driver"]["libcuda"] = {"found": False, "error": "dlopen(libcuda.dylib): image not found"}
    [f] = drivers.check_drivers(mac)
    assert f.status is Status.FAIL and f.code == "DLR-DRIVER-MISSING" and "10.2" in f.fix


def test_newer_macos_is_beyond_cuda(mac):
    mac["host"]["mac_ver"] = "10.15.7"
    [f] = platform.check_os(mac)
    assert f.status is Status.WARN and f.code == "DLR-OS-MACOS-CUDA-END"


def test_gt750m_unsupported_by_cuda_11(mac):
    mac["cuda"]["toolkit_version"] = "11.0"
    [f] = toolchain.check_compute_capability(mac)
    assert f.status is Status.FAIL and "compute 3.5" in f.message and "GT 750M" in f.message


def test_driver_table():
    from pytest_dlready.checks import compat

    assert compat.min_driver("13.0", "linux") == "580.65.06"
    assert compat.min_driver("12.4", "linux") == "525.60.13"
    assert compat.min_driver("11.8", "windows") == "452.39"
    assert compat.min_driver("10.2", "linux") == "440.33"
    assert compat.min_driver("6.5", "linux") is None
    assert compat.min_compute("13.0") == (7, 5)


def test_toolkit_without_driver_fails_with_probe_error():
    """This machine's case, from its facts: toolkit 13.0, no libcuda/NVML, our probe saw error 35."""
    facts = {"host": {"os": "linux"}, "cuda": {"toolkit_version": "13.0", "nvcc": {"path": "/usr/local/bin/nvcc"}},
             "driver": {"libcuda": {"found": False, "error": "libcuda.so.1: cannot open shared object file: No such file or directory"},
                        "nvml": {"loaded": False, "error": "libnvidia-ml.so.1: cannot open shared object file"},
                        "nvidia_smi": {"path": None}},
             "cuda_probe": {"status": "cuda-error", "error": {"code": 35, "name": "cudaErrorInsufficientDriver",
                                                              "message": "CUDA driver version is insufficient for CUDA runtime version"}}}
    [f] = drivers.check_drivers(facts)
    assert f.status is Status.FAIL and f.observed["needs_gpu"]
    assert f.message.startswith("no NVIDIA driver (libcuda/NVML not found)")
    assert "error 35 cudaErrorInsufficientDriver" in f.message


def test_no_nvidia_anything_is_a_skip_not_a_failure():
    facts = {"host": {"os": "linux"}, "cuda": {}, "driver": {"libcuda": {"found": False}, "nvml": {"loaded": False}, "nvidia_smi": {}}}
    [f] = drivers.check_drivers(facts)
    assert f.status is Status.SKIP and f.observed["needs_gpu"]


def test_nouveau_fails():
    facts = {"host": {"os": "linux"}, "driver": {"kernel_modules": ["nouveau"], "libcuda": {}, "nvml": {}, "nvidia_smi": {}}}
    assert drivers.check_drivers(facts)[0].code == "DLR-NOUVEAU"


def test_environment_variables():
    env = {"env": {"vars": {"CUDA_VISIBLE_DEVICES": "", "CUDA_LAUNCH_BLOCKING": "1", "CUDA_PROFILE": "1"}}}
    codes = [f.code for f in platform.check_environment(env)]
    assert codes == ["DLR-ENV-DEBUG-VARS", "DLR-ENV-LAUNCH-BLOCKING", "DLR-ENV-GPUS-HIDDEN"]


def test_openblas_coretype_is_reported():
    facts = {"numpy": {"installed": True, "version": "2.4", "blas": {"vendor": "openblas", "threads": 2, "architecture": "Haswell"}},
             "env": {"vars": {"OPENBLAS_CORETYPE": "Haswell"}}}
    [f] = platform.check_numpy_blas(facts)
    assert f.status is Status.WARN and "OPENBLAS_CORETYPE=Haswell" in f.message


@pytest.mark.parametrize("name, expected", [
    ("cudart64_80.dll", ("cudart", "8.0")), ("cudart64_101.dll", ("cudart", "10.1")), ("cudnn64_5.dll", ("cudnn", "5")),
    ("cublas64_12.dll", ("cublas", "12")), ("libcudart.so.13.0.96", ("cudart", "13.0.96")), ("libcudnn.7.dylib", ("cudnn", "7")),
    ("libcupti.so.13", None), ("libcudnn_ops.so.9", None), ("cudart.lib", None),
])
def test_library_names(name, expected):
    assert libraries.parse_library_name(name) == expected


def test_linux_t4_new_toolkit_on_old_driver():
    facts = load_facts("linux-t4-driver450-cuda12.9.json")
    found = drivers.check_drivers(facts)
    assert [f.status for f in found] == [Status.PASS, Status.FAIL]
    assert found[1].message == "driver 450.51.05 is older than 525.60.13, the minimum for CUDA 12.9 on linux"


def test_linux_a40_workstation_toolchain_is_ready():
    facts = load_facts("linux-a40x10-driver550.json")
    findings = (drivers.check_drivers(facts) + toolchain.check_paths(facts) + toolchain.check_toolkit(facts)
                + toolchain.check_compute_capability(facts))
    assert all(f.status is Status.PASS for f in findings), findings
    assert "driver 550.127.05" in findings[0].message and "NVML sees 10 GPU(s)" in findings[0].message
    [arch] = [f for f in findings if f.check == "GPU architecture support"]
    assert arch.message == "GPU0-9 (10x) NVIDIA A40 (compute 8.6) is supported by CUDA 12.9"


def test_runner_policy_on_recorded_machines():
    from pytest_dlready.checks import policy

    mac = load_facts("macbook-gt750m.json")
    [f] = policy.check_policy(mac, min_compute=(3, 5), require_gpu=True)
    assert f.status is Status.FAIL and f.message == "policy 1 GPU(s), compute ≥ 3.5: needs compute capability ≥ 3.5, found GeForce GT 750M 3.0"
    a40 = load_facts("linux-a40x10-driver550.json")
    [f] = policy.check_policy(a40, min_gpus=8, vendor="nvidia", min_compute=(8, 0), min_memory_gb=40, require_gpu=True)
    assert f.status is Status.PASS and f.message.startswith("policy 8 GPU(s), vendor nvidia, compute ≥ 8.0, ≥ 40 GB each: met by NVIDIA A40 8.6")
    [f] = policy.check_policy(a40, min_memory_gb=64)
    assert f.status is Status.FAIL and "needs 64 GB of GPU memory" in f.message
    [f] = policy.check_policy({"devices": {"gpus": []}}, min_compute=(7, 0))
    assert f.status is Status.SKIP and f.observed["needs_gpu"]
    assert policy.check_policy(a40)[0].status is Status.SKIP


def test_an_amd_only_snapshot_is_not_judged_for_an_nvidia_driver():
    """Driver checks are per vendor: an AMD GPU never reads as 'no NVIDIA driver'."""
    facts = {"host": {"os": "linux"}, "driver": {"libcuda": {"found": False, "error": "libcuda.so.1: cannot open"}},
             "cuda": {"toolkit_version": "12.4"},
             "devices": {"gpus": [{"index": 0, "vendor": "amd", "name": "AMD Radeon RX 7900 XTX"}]}}
    rows = drivers.check_drivers(facts)
    assert [(r.check, r.status) for r in rows] == [("AMD driver", Status.SKIP)]
    assert "no AMD driver check" in rows[0].message and "NVIDIA" not in rows[0].message
    # a mixed machine is judged for both: NVIDIA's check still runs for its NVIDIA GPU
    facts["devices"]["gpus"].append({"index": 1, "vendor": "nvidia", "name": "NVIDIA RTX A4000"})
    assert {r.check for r in drivers.check_drivers(facts)} == {"AMD driver", "NVIDIA driver"}


def test_a_lying_nvidia_smi_is_not_a_driver():
    """A program called nvidia-smi that exits 0 printing something else, with libcuda, NVML and the CUDA
    probe all failing: no driver (it used to turn NOT READY into READY WITH WARNINGS)."""
    from pytest_dlready.checks import drivers

    facts = {"host": {"os": "linux"}, "cuda": {"toolkit_version": "13.0"},
             "driver": {"libcuda": {"found": False, "error": "libcuda.so.1: cannot open shared object file"},
                        "nvml": {"loaded": False, "error": "NVMLError_LibraryNotFound"},
                        "nvidia_smi": {"path": "/usr/local/bin/nvidia-smi",
                                       "record": {"returncode": 0, "stdout": "this is not nvidia-smi\n", "stderr": ""}}},
             "cuda_probe": {"error": {"code": 35, "name": "cudaErrorInsufficientDriver",
                                      "message": "CUDA driver version is insufficient for CUDA runtime version"}}}
    rows = drivers.check_nvidia_driver(facts)
    assert rows[0].status.value == "fail" and rows[0].code == "DLR-DRIVER-MISSING", rows
    real = "| NVIDIA-SMI 550.54.15    Driver Version: 550.54.15    CUDA Version: 12.4     |\n"
    facts["driver"]["nvidia_smi"]["record"]["stdout"] = real
    assert drivers.check_nvidia_driver(facts)[0].status.value == "pass"
