"""Device readiness: GPUs found, the CUDA runtime and frameworks reach them, copies run fast.

Ordinary pytest tests over the session's facts snapshot; each hands pure-check findings
to ``dl_check``. Per-device tests are parametrised by ``dl_gpu_index`` /
``dl_opencl_index`` (``suites/conftest.py``): on a machine without a GPU they record
one skip that carries ``needs_gpu`` and the reason (``checks.devices.no_gpu_summary``).
"""
from pytest_dlready.facts import lookup
from pytest_dlready.checks import device_bandwidth, device_signals, devices
from pytest_dlready.results import skip


def _no_gpu(dl_facts, row):
    # the reason is told once, in the "GPU devices" row; identical skips fold in pytest's summary
    why = "no GPU found (see the GPU devices row)" if devices.no_gpu_summary(dl_facts) else "no GPU found by any probe"
    return skip(row, why, needs_gpu=True)


def test_gpu_devices(dl_facts, dl_settings, dl_check):
    min_gpus = dl_settings.min_gpus if dl_settings.require_gpu else 1
    dl_check(devices.check_presence(dl_facts, min_gpus=min_gpus, vendor=dl_settings.gpu_vendor))


def test_gpu_policy(dl_facts, dl_settings, dl_check):
    from pytest_dlready.checks import policy

    dl_check(policy.check_policy(dl_facts, min_gpus=dl_settings.min_gpus, vendor=dl_settings.gpu_vendor,
                                 min_compute=dl_settings.min_compute, min_memory_gb=dl_settings.min_memory_gb,
                                 require_gpu=dl_settings.require_gpu))


def test_cuda_runtime(dl_facts, dl_check):
    dl_check(devices.check_cuda_runtime(dl_facts))


def test_device_routes(dl_facts, dl_check):
    findings = devices.check_routes(dl_facts)
    dl_check(findings or [skip("device routes", "no GPU library route ran (pynvml, torch, CuPy, cuda-python, JAX, "
                                                "TensorFlow all absent or CPU-only)")])


def test_cuda_samples(dl_facts, dl_check):
    dl_check(devices.check_samples(dl_facts))


def test_compute_capability(dl_facts, dl_check):
    dl_check(devices.check_compute_capability(dl_facts) or [_no_gpu(dl_facts, "compute capability")])


def test_bandwidth(dl_facts, dl_settings, dl_check, dl_gpu_index):
    if dl_gpu_index is None:
        dl_check(_no_gpu(dl_facts, "bandwidth"))
    dl_check(device_bandwidth.check_bandwidth(dl_facts, dl_gpu_index, min_gbps=dl_settings.min_bandwidth_gbps))


def test_pcie_link(dl_facts, dl_check, dl_gpu_index):
    if dl_gpu_index is None:
        dl_check(_no_gpu(dl_facts, "PCIe link"))
    dl_check(device_signals.check_link(dl_facts, dl_gpu_index))


def test_other_processes(dl_facts, dl_check, dl_gpu_index):
    if dl_gpu_index is None:
        dl_check(_no_gpu(dl_facts, "other processes"))
    dl_check(device_signals.check_processes(dl_facts, dl_gpu_index))


def test_clock_throttling(dl_facts, dl_check, dl_gpu_index):
    if dl_gpu_index is None:
        dl_check(_no_gpu(dl_facts, "clock throttling"))
    dl_check(device_signals.check_throttle(dl_facts, dl_gpu_index))


def test_display_and_watchdog(dl_facts, dl_check, dl_gpu_index):
    if dl_gpu_index is None:
        dl_check(_no_gpu(dl_facts, "display"))
    dl_check(device_signals.check_display(dl_facts, dl_gpu_index))


def test_persistence_and_free_memory(dl_facts, dl_check, dl_gpu_index):
    if dl_gpu_index is None:
        dl_check(_no_gpu(dl_facts, "persistence and memory"))
    dl_check(device_signals.check_persistence(dl_facts, dl_gpu_index) + device_signals.check_memory(dl_facts, dl_gpu_index))


def test_opencl_devices(dl_facts, dl_check):
    dl_check(devices.check_opencl(dl_facts))


def test_opencl_bandwidth(dl_facts, dl_check, dl_opencl_index):
    if dl_opencl_index is None:
        dl_check(skip("OpenCL bandwidth", "no OpenCL device to measure",
                      fix=devices.opencl_fix(dl_facts, pyopencl_missing=not (lookup(dl_facts, "devices.routes.opencl") or {}).get("ran"))))
    dl_check(device_bandwidth.check_opencl_bandwidth(dl_facts, dl_opencl_index))
