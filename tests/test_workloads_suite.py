"""The training suite end to end through pytest: real runs, real rows, the real slower-than-CPU failure."""
from __future__ import annotations

import importlib.util
import json

import pytest

from pytest_dlready.workloads import registry
from pytest_dlready.settings import Settings


def _opencl_ok():
    if importlib.util.find_spec("pyopencl") is None:
        return False
    import pyopencl as cl

    try:
        return any(p.get_devices() for p in cl.get_platforms())
    except cl.Error:
        return False


def rows(path):
    return json.loads(path.read_text())["rows"]


def test_cpu_trains_for_real_and_gpu_side_skips(pytester):
    """No GPU here: the CPU baseline is a PASS with s/epoch; the GPU side a SKIP naming why."""
    out = pytester.path / "report.json"
    result = pytester.runpytest_subprocess("--dlready", "--dlready-backends=numpy", "-k", "training",
                                           f"--dlready-json={out}", "-p", "no:cacheprovider")
    training = rows(out)
    cpu = [r for r in training if r["check"] == "training dbn-mnist[numpy, cpu]"]
    assert cpu and cpu[0]["status"] == "pass" and "s/epoch" in cpu[0]["message"]
    gpu = [r for r in training if r["check"] == "speedup dbn-mnist[numpy]"]
    if gpu and gpu[0]["status"] == "skip":
        assert gpu[0]["observed"]["needs_gpu"] is True
        result.stdout.fnmatch_lines(["*dlready: dbn-mnist[[]numpy, cpu[]] epoch 1/3*"])
        runs = json.loads(out.read_text())["runs"]
        assert any(r["workload"] == "dbn-mnist" and r["backend"] == "numpy" for r in runs)
        # CI-gating mode: the same missing GPU is a failure
        strict = pytester.runpytest_subprocess("--dlready", "--dlready-backends=numpy", "-k", "training",
                                               "--dlready-require-gpu", "-q", "-p", "no:cacheprovider")
        assert strict.ret == 1
        strict.stdout.fnmatch_lines(["*a failure because --dlready-require-gpu is set*"])


@pytest.mark.skipif(not _opencl_ok(), reason="pyopencl and an OpenCL device (apt-get install pocl-opencl-icd) needed")
def test_opencl_slower_than_cpu_fails_end_to_end(pytester):
    """Named explicitly, the OpenCL device is judged as the GPU: the real 'N.NNx SLOWER than CPU' failure."""
    out = pytester.path / "report.json"
    result = pytester.runpytest_subprocess("--dlready", "--dlready-backends=pyopencl", "-k", "training",
                                           f"--dlready-json={out}", "-p", "no:cacheprovider")
    speed = [r for r in rows(out) if r["check"].startswith("speedup dbn-mnist[") and "pyopencl" in r["check"]]
    assert speed, rows(out)
    if speed[0]["observed"].get("speedup", 0) >= 1.0:
        pytest.skip("the OpenCL device here is faster than the CPU (a real GPU)")
    assert result.ret == 1
    assert speed[0]["status"] == "fail" and speed[0]["code"] == "DLR-SPEED-SLOWER"
    result.stdout.fnmatch_lines(["*GPU *x slower (95 % CI *x slower, * rounds) than CPU on dbn-mnist*",
                                 "*cause ?DLR-CAUSE-NAIVE-KERNEL?*GFLOP/s*", "dlready: NOT READY*"])
    assert speed[0]["observed"]["basis"] == "paired rounds" and speed[0]["observed"]["sweep"]


def test_registry_without_gpu_facts():
    facts = {"backends": {"environments": [{"python": __import__("sys").executable,
                                            "modules": {"numpy": {"installed": True}, "keras": {"installed": False},
                                                        "pyopencl": {"installed": False}}}]},
             "devices": {"gpus": [], "summary": "no NVIDIA driver"}}
    comps = {c.id: c for c in registry.comparisons(facts, Settings())}
    numpy = comps["dbn-mnist[numpy]"]
    assert not numpy.skip and numpy.gpu is None and numpy.gpu_skip_needs_gpu and numpy.gpu_skip == "no GPU found (see the GPU devices row)"
    assert "pyopencl is not installed" in comps["dbn-mnist[pyopencl]"].skip
    assert "keras" in comps["mnist-cnn[keras-tensorflow]"].skip


def test_registry_with_nvidia_gpu_and_tiers():
    facts = {"devices": {"gpus": [{"vendor": "nvidia", "name": "GeForce GT 750M"}]}}
    comps = {c.id: c for c in registry.comparisons(facts, Settings(tier="full"))}
    numpy = comps["dbn-mnist[numpy]"]
    # torch first (fewer, cheaper launches per step), CuPy tried when torch cannot use the GPU
    assert numpy.gpu.backend == "torch" and numpy.extra["fallback"].backend == "cupy"
    assert "46900" in numpy.gpu.args and numpy.gpu.measure_batch == 1024 and "1024" in numpy.gpu.args
    assert numpy.cpu.env["OPENBLAS_NUM_THREADS"] and numpy.cpu.threads_note.startswith("one per usable CPU")
    mine = registry.comparisons(dict(facts, env={"vars": {"OMP_NUM_THREADS": "3"}}), Settings(tier="full"))
    assert mine[0].cpu.env == {} and mine[0].cpu.threads_note == "OMP_NUM_THREADS=3 from your environment"
    cnn = comps["mnist-cnn[keras-jax]"]
    assert not cnn.skip and cnn.gpu.keras_backend == "jax" and "60000" in cnn.gpu.args and "--require-gpu" in cnn.gpu.args
    quick = {c.id: c for c in registry.comparisons(facts, Settings())}
    assert not quick["mnist-cnn[keras-tensorflow]"].skip and "fastest Keras backend" in quick["mnist-cnn[keras-jax]"].skip
    only = {c.id: c for c in registry.comparisons(facts, Settings(backends=("jax",)))}
    assert not only["mnist-cnn[keras-jax]"].skip and only["mnist-cnn[keras-tensorflow]"].skip
    assert only["dbn-mnist[numpy]"].skip


def test_backend_selection():
    assert registry.selected("keras-tensorflow", ("keras",)) and registry.selected("keras-tensorflow", ("tf",))
    assert registry.selected("pyopencl", ("opencl",)) and not registry.selected("numpy", ("torch",))


def test_fair_threads_leave_busy_cores_to_their_processes():
    facts = {"host": {"cpu": {"usable": 4}}}
    spec = registry.comparisons(facts, Settings())[0].cpu
    assert spec.env["OPENBLAS_NUM_THREADS"] == "4" and spec.threads_note == "one per usable CPU (4)"
    assert registry.fair_threads(spec, 0.2) is spec                      # an idle machine: all of them
    busy = registry.fair_threads(spec, 1.7)
    assert busy.env == {v: "2" for v in registry.THREAD_VARS}
    assert busy.threads_note == "2 of 4 usable CPUs: other processes kept 1.7 cores busy"
    assert registry.fair_threads(spec, 9.0).env["OMP_NUM_THREADS"] == "1"  # never zero
    mine = registry.comparisons(dict(facts, env={"vars": {"OPENBLAS_NUM_THREADS": "4"}}), Settings())[0].cpu
    assert registry.fair_threads(mine, 3.0) is mine                      # the user's own setting stands


def test_aa_control_row_end_to_end(pytester):
    """--dlready-aa: the CPU baseline measured against itself is its own row, and it reads no difference."""
    pytest.importorskip("numpy")
    out = pytester.path / "report.json"
    result = pytester.runpytest_subprocess("--dlready", "--dlready-backends=numpy", "--dlready-aa", "-k", "training",
                                           f"--dlready-json={out}", "-p", "no:cacheprovider")
    aa = [r for r in rows(out) if r["check"] == "speedup dbn-mnist[numpy A/A]"]
    assert len(aa) == 1, [r["check"] for r in rows(out)]
    assert aa[0]["status"] == "pass" and aa[0]["code"] == "DLR-SPEED-AA-OK", aa[0]["message"]
    assert aa[0]["observed"]["outcome"] in ("equivalent", "inconclusive")
    result.stdout.fnmatch_lines(["*PASS*A/A control: no difference*"])
    cpu = [r for r in rows(out) if r["check"].startswith("training dbn-mnist[numpy, cpu")]
    assert cpu and "BLAS thread" in cpu[0]["message"]
