"""The legacy rows, run for real through the runner on the CPU, in the environments CI built.

Each legacy comparison's CPU side runs at a small size (the DBN on Python 2.7, the seed's
Theano ``exp`` loop, the seed's mnist_cnn on Keras 2 with TensorFlow 1.15, Theano and
CNTK). The GPU sides are taken from the specs ``workloads.legacy`` makes for the seed
machines' recorded facts (a GT 750M, a Titan X): this machine has no GPU, so each one
runs into exactly what a mis-set-up GPU machine gets -- gnumpy and Theano silently on the
CPU (caught by the verified device), TensorFlow/CNTK CPU wheels unavailable -- and the
verdict must say so. Timings: ~3 s (DBN), ~5 s (elemwise), ~10-20 s per Keras run here;
Theano's first CNN compile takes ~100 s when its compile dir is cold (slow-marked).
"""
from __future__ import annotations

import os
import sys

import pytest

from pytest_dlready.workloads import legacy
from pytest_dlready.results import Status
from pytest_dlready.workloads import legacy as L
from pytest_dlready.workloads import registry as R
from pytest_dlready.workloads import runner

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import load_facts  # noqa: E402

NO_GPU = {"devices": {"gpus": [], "summary": "no NVIDIA driver (libcuda.so.1 not found)"}}
TIMEOUT = 600


class Settings:
    def __init__(self, tier="quick", backends=()):
        self.tier, self.backends = tier, tuple(backends)


def comparison(cid, facts=NO_GPU, **kw):
    comps = {c.id: c for c in L.comparisons(facts, Settings(**kw))}
    comp = comps.get(cid)
    if comp is None:
        pytest.skip("no legacy environments built; run scripts/make-legacy-envs")
    if comp.skip:
        pytest.skip(comp.skip)
    return comp


def small(spec, *pairs):
    """The spec at test size: replace --samples/--epochs values (the runner takes the rest as is)."""
    args = list(spec.args)
    for flag, value in zip(pairs[::2], pairs[1::2]):
        if flag in args:
            args[args.index(flag) + 1] = str(value)
        else:
            args += [flag, str(value)]
    spec.args = args
    return spec


def assert_trained_on_cpu(result, epochs):
    assert result.ok, (result.error, result.stderr_tail)
    assert result.device_used == "cpu"
    assert len(result.epoch_seconds) == epochs and all(s > 0 for s in result.epoch_seconds)
    assert result.wall_s and result.cpu_user_s is not None and result.peak_rss_mb
    losses = result.extra["losses"]
    assert losses[-1] < losses[0], losses


# -- registry integration -------------------------------------------------------------------
def test_registry_appends_the_legacy_comparisons():
    if not legacy.find_envs():
        pytest.skip("no legacy environments built; run scripts/make-legacy-envs")
    ids = [c.id for c in R.comparisons(NO_GPU, Settings())]
    assert "dbn-mnist[gnumpy]@py27-dbn" in ids
    assert "theano-elemwise[theano]@py37-keras2" in ids


def test_without_a_gpu_every_legacy_gpu_side_is_a_needs_gpu_skip_with_what_else_it_needs(tmp_path):
    for comp in L.comparisons(NO_GPU, Settings(tier="standard"), root=str(tmp_path)):
        assert comp.skip.startswith("legacy environment") and "make-legacy-envs --only" in comp.skip
    for comp in L.comparisons(NO_GPU, Settings(tier="standard")):
        if comp.skip:
            continue
        assert comp.gpu is None and comp.gpu_skip_needs_gpu
        assert comp.gpu_skip.startswith("no GPU found (see the GPU devices row)") and "also needs" in comp.gpu_skip


def test_one_skip_row_unless_built_or_asked_for(tmp_path):
    missing = str(tmp_path / "none")
    (only,) = L.comparisons(NO_GPU, Settings(), root=missing)
    assert only.id == "dbn-mnist[gnumpy]" and "are not built" in only.skip
    asked = L.comparisons(NO_GPU, Settings(backends=["gnumpy"]), root=missing)
    assert asked and "is not built" in asked[0].skip and "pyenv install 2.7.18" in asked[0].skip


def test_quick_tier_trains_one_keras2_backend_and_says_how_to_get_the_others():
    comps = [c for c in L.comparisons(NO_GPU, Settings()) if c.backend.startswith("keras2-")]
    if not comps:
        pytest.skip("no legacy environments built; run scripts/make-legacy-envs")
    running = [c for c in comps if not c.skip]
    assert len(running) <= 1
    assert any("--dlready-backends=keras2-" in c.skip for c in comps if c.skip)


def test_legacy_env_variables_reach_the_child_and_search_paths_are_prepended():
    record = {"env": {"LD_LIBRARY_PATH": "/e/mpi-compat", "THEANO_FLAGS": "base_compiledir=/e/tc,device=cpu"}}
    env = L.spec_env(record, {"KERAS_BACKEND": "cntk"}, base={"LD_LIBRARY_PATH": "/usr/local/cuda/lib64"})
    assert env["LD_LIBRARY_PATH"] == "/e/mpi-compat" + os.pathsep + "/usr/local/cuda/lib64"
    spec = runner.WorkloadSpec("mnist-cnn", "keras2-cntk", "cpu", "x.py", env=env, keras_backend="cntk")
    child = runner.build_env(spec, "/tmp", base={"THEANO_FLAGS": "device=cuda0", "PATH": "/usr/bin"})
    assert child["THEANO_FLAGS"] == "base_compiledir=/e/tc,device=cpu"  # the env's compile dir, not the caller's device
    assert child["KERAS_BACKEND"] == "cntk" and child["PYTHONDONTWRITEBYTECODE"] == "1"


# -- the CPU rows, for real ----------------------------------------------------------------------
def test_dbn_gnumpy_npmat_cpu_row_runs_through_the_runner():
    comp = comparison("dbn-mnist[gnumpy]@py27-dbn")
    result = runner.run(small(comp.cpu, "--samples", 2048, "--epochs", 3), TIMEOUT)
    assert_trained_on_cpu(result, 3)
    assert result.backend == "gnumpy+npmat" and result.extra["python"].startswith("2.7.")
    assert result.extra["matrix_library"] == "npmat"


def test_theano_elemwise_cpu_row_is_the_seeds_program():
    comp = comparison("theano-elemwise[theano]@py37-keras2")
    result = runner.run(comp.cpu, TIMEOUT)
    assert result.ok, (result.error, result.stderr_tail)
    assert result.device_used == "cpu" and len(result.epoch_seconds) == 2
    assert result.extra["ops"] == ["Elemwise{exp,no_inplace}(<TensorType(float32, vector)>)"]
    # the same numbers the guide printed: "Result is [ 1.23178029  1.61879337  1.52278066 ..."
    assert [round(v, 4) for v in result.extra["result_head"]] == [1.2318, 1.6188, 1.5228]
    assert "base_compiledir=" + legacy.find_env("py37-keras2")["path"] in result.extra["theano_flags"]


def test_keras2_tensorflow1_cpu_row():
    comp = comparison("mnist-cnn[keras2-tensorflow1]@py37-keras2", backends=["keras2-tensorflow1"])
    result = runner.run(small(comp.cpu, "--samples", 512, "--epochs", 2, "--test-samples", 128), TIMEOUT)
    assert_trained_on_cpu(result, 2)
    assert result.extra["tensorflow_version"] == "1.15.0" and result.extra["keras_version"] == "2.3.1"
    assert any(d.endswith("CPU:0") for d in result.extra["op_devices"])


def test_keras2_cntk_cpu_row_with_private_mpi_sonames():
    comp = comparison("mnist-cnn[keras2-cntk]@py36-cntk", backends=["keras2-cntk"])
    result = runner.run(small(comp.cpu, "--samples", 512, "--epochs", 2, "--test-samples", 128), TIMEOUT)
    assert_trained_on_cpu(result, 2)
    assert result.extra["cntk_version"] == "2.7" and result.extra["cntk_device"] == "CPU"


@pytest.mark.slow  # ~100 s when Theano's compile dir is cold (first run after a build), ~20 s warm
def test_keras2_theano_cpu_row_uses_corrmm_on_the_cpu():
    comp = comparison("mnist-cnn[keras2-theano]@py37-keras2", backends=["keras2-theano"])
    result = runner.run(small(comp.cpu, "--samples", 512, "--epochs", 2, "--test-samples", 128), TIMEOUT)
    assert_trained_on_cpu(result, 2)
    assert "CorrMM" in result.extra["conv_ops"] and result.extra["gpu_ops"] == 0


# -- the GPU sides a GPU machine would run, run here: the fallbacks are caught ---------------------------
def test_dbn_gpu_side_on_the_macbook_facts_is_caught_training_on_npmat():
    """The seed's trap, end to end: GNUMPY_USE_GPU=auto, no cudamat, verdict says the GPU run used the CPU."""
    from pytest_dlready.checks import speedup as verdict

    comp = comparison("dbn-mnist[gnumpy]@py27-dbn", facts=load_facts("macbook-gt750m.json"))
    assert comp.gpu is not None and comp.gpu.env["GNUMPY_USE_GPU"] == "auto"
    cpu = runner.run(small(comp.cpu, "--samples", 2048, "--epochs", 3), TIMEOUT)
    gpu = runner.run(small(comp.gpu, "--samples", 2048, "--epochs", 3), TIMEOUT)
    assert gpu.ok and gpu.device == "gpu" and gpu.device_used == "cpu"
    assert any(s.startswith("gnumpy-fallback: gnumpy: failed to import cudamat") for s in gpu.signals)
    rows = verdict.judge(cpu, gpu, load_facts("macbook-gt750m.json"), 1.0)
    text = " ".join(f.message for f in rows)
    assert any(f.status is not Status.PASS for f in rows), text
    assert "cpu" in text.lower()


def test_theano_gpu_side_without_pygpu_runs_on_the_cpu_and_says_why():
    comp = comparison("theano-elemwise[theano]@py37-keras2", facts=load_facts("windows-dlwin36-titanx.json"))
    result = runner.run(small(comp.gpu, "--epochs", 1), TIMEOUT)
    assert result.ok and result.device == "gpu" and result.device_used == "cpu"
    assert result.extra["silent_cpu_fallback"] is True and "device=cuda0" in result.extra["theano_flags"]
    assert any(s.startswith("theano-no-gpu:") and "pygpu was configured but could not be imported" in s
               for s in result.signals)


@pytest.mark.parametrize("cid", ["mnist-cnn[keras2-tensorflow1]@py37-keras2", "mnist-cnn[keras2-cntk]@py36-cntk"])
def test_cpu_only_wheels_make_the_gpu_side_unavailable_with_the_frameworks_words(cid):
    backend = cid.split("[")[1].split("]")[0]
    comp = comparison(cid, facts=load_facts("windows-dlwin36-titanx.json"), backends=[backend])
    result = runner.run(comp.gpu, TIMEOUT)
    assert not result.ok and result.extra.get("unavailable") is True, result.error
    expected = {"keras2-tensorflow1": "tensorflow 1.15.0, built without CUDA (a CPU-only wheel), lists no GPU device",
                "keras2-cntk": "Specified GPU device id (0) is invalid"}[backend]
    assert expected in result.error
    assert not result.epoch_seconds  # it stopped before training: cheap
