"""The seed's DBN for real on every array backend installed here, through the runner."""
from __future__ import annotations

import importlib.util

import pytest

from pytest_dlready.checks import speedup
from pytest_dlready.checks import training as W
from pytest_dlready.workloads import registry, runner

HAS_OPENCL = importlib.util.find_spec("pyopencl") is not None
HAS_TORCH = importlib.util.find_spec("torch") is not None


def opencl_device():
    if not HAS_OPENCL:
        return None
    import pyopencl as cl

    try:
        return [d for p in cl.get_platforms() for d in p.get_devices()] or None
    except cl.Error:
        return None


needs_opencl = pytest.mark.skipif(not opencl_device(), reason="pyopencl and an OpenCL device (apt-get install pocl-opencl-icd) needed")


def dbn(backend, device="cpu", side="cpu", samples=512, epochs=3, lr="0.01", env=None):
    spec = runner.WorkloadSpec(registry.DBN, backend, side, registry._dbn_script(),
                               ["--backend", backend, "--device", device, "--samples", str(samples),
                                "--epochs", str(epochs), "--learn-rate", lr], env=env or {})
    return runner.run(spec, timeout=240)


@pytest.fixture(scope="module")
def numpy_run():
    res = dbn("numpy")
    assert res.ok, res.error
    return res


def test_numpy_trains_on_the_cpu(numpy_run):
    r = numpy_run
    assert r.device_used == "cpu" and r.dtype == "float32" and r.batch_size == 64
    assert r.samples == 512 and len(r.epoch_seconds) == 3 and r.median_epoch > 0
    losses = r.extra["losses"]
    assert losses[-1] < losses[0] < 2.5
    assert r.extra["flops_per_epoch"] == 8 * 64 * (2 * 784 * 300 * 2 + 2 * 300 * 10 * 3)


@needs_opencl
def test_opencl_kernels_match_numpy(numpy_run):
    r = dbn("pyopencl", side="gpu")
    assert r.ok, r.error
    assert r.device_used == "opencl:0" and r.extra["opencl_platform"]
    # same data, same initial weights, same update rule: the same losses to float32 rounding
    assert r.extra["losses"] == pytest.approx(numpy_run.extra["losses"], rel=1e-4)


@pytest.mark.skipif(not HAS_TORCH, reason="torch not installed")
def test_torch_cpu_matches_numpy(numpy_run):
    r = dbn("torch")
    assert r.ok, r.error
    assert r.device_used == "cpu" and r.extra["torch_version"]
    assert r.extra["losses"] == pytest.approx(numpy_run.extra["losses"], rel=1e-4)


@pytest.mark.skipif(not HAS_TORCH, reason="torch not installed")
def test_torch_without_cuda_is_unavailable_not_crashed():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    r = dbn("torch", device="cuda", side="gpu")
    assert not r.ok and r.extra["unavailable"]
    assert "CUDA" in r.error and r.extra["returncode"] == runner.EXIT_UNAVAILABLE


@needs_opencl
def test_opencl_standin_is_slower_with_measured_throughput(numpy_run):
    """The project's real 'GPU slower than CPU': naive OpenCL sgemm on PoCL's CPU device vs BLAS."""
    # one BLAS thread: on a 2-vCPU VM whose other core is busy, 2-thread BLAS stalls erratically
    cpu = dbn("numpy", samples=1024, lr="0.3", env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    gpu = dbn("pyopencl", side="gpu", samples=1024, lr="0.3")
    if not speedup.is_standin_device(gpu):
        pytest.skip(f"the OpenCL device here is a real GPU: {gpu.device_name}")
    rows = speedup.judge(cpu, gpu, {}, 1.0)
    assert rows[0].status.value == "fail" and "x slower (95 % CI" in rows[0].message
    (naive,) = [c for c in rows[0].observed["causes"] if c["code"] == "DLR-CAUSE-NAIVE-KERNEL"]
    assert "GFLOP/s" in naive["evidence"] and "BLAS on the CPU" in naive["evidence"]
    assert "clinfo" in rows[0].fix and "nvidia-smi" not in rows[0].fix
    warned = speedup.judge(cpu, gpu, {}, 1.0, standin=True)
    assert warned[0].status.value == "warn" and warned[0].message.startswith("stand-in, not a GPU")
