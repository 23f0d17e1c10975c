"""The MacBook seed's DBN (nolearn 0.5 / gdbn / gnumpy on Python 2.7), run for real on the CPU.

Small runs (2,000 samples, 3 epochs: ~3 s) in the py27-dbn environment. They check what
the readiness verdict relies on: nolearn's own epoch lines and the protocol lines, a
result whose device is *verified* -- including the seed's trap, a "GPU" run that silently
trained on npmat -- and that the network really learns (a wrong npmat trains at chance).
"""
from __future__ import annotations

import json
import os
import re

import pytest

from pytest_dlready.workloads import legacy
from pytest_dlready.probes.runner import run
from pytest_dlready.workloads.protocol import RunResult

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(REPO, "pytest_dlready", "workloads", "scripts", "dbn_legacy.py")
ENV = legacy.find_env("py27-dbn")
pytestmark = pytest.mark.skipif(ENV is None, reason=legacy.missing_reason("py27-dbn") or "built")

FALLBACK = "gnumpy: failed to import cudamat. Using npmat instead. No GPU will be used."


def run_dbn(tmp_path, *args, **env):
    result = tmp_path / "result.json"
    base = legacy.run_env(ENV)
    base.update(env)
    rec = run([ENV["python"], "-u", SCRIPT, "--result", str(result), "--samples", "2000", "--epochs", "3", *args],
              timeout=180, env=base)
    data = json.loads(result.read_text()) if result.exists() else None
    return rec, data


def test_cpu_run_trains_nolearns_dbn_on_npmat_and_learns(tmp_path):
    rec, data = run_dbn(tmp_path, "--device", "cpu")
    assert rec.returncode == 0, rec.stderr[-2000:]
    # nolearn's own output, as in the seed's log
    assert "[DBN] fitting X.shape=(2000, 784)" in rec.stdout
    assert "[DBN] layers [784, 300, 10]" in rec.stdout
    assert re.search(r"^Epoch 3:\n  loss [\d.]+\n  err  [\d.]+\n  \(0:00:\d\d\)$", rec.stdout, re.M)
    epochs = [json.loads(l[len("DLREADY-EPOCH "):]) for l in rec.stdout.splitlines() if l.startswith("DLREADY-EPOCH ")]
    assert [e["epoch"] for e in epochs] == [1, 2, 3]
    result = RunResult.from_dict(data)
    assert (result.workload, result.backend, result.device, result.device_used) == ("dbn-mnist", "gnumpy+npmat", "cpu", "cpu")
    assert len(result.epoch_seconds) == 3 and result.median_epoch > 0
    assert result.samples == 2000 and result.batch_size == 64 and result.dtype == "float32"
    assert result.extra["matrix_library"] == "npmat" and result.extra["gnumpy_use_gpu"] == "no"
    losses = result.extra["losses"]
    assert losses[-1] < losses[0] * 0.8, losses  # npmat with numpy >= 1.12 stays at ln(10)
    assert result.extra["train_accuracy"] > 0.5


def test_gpu_run_without_cudamat_is_caught_running_on_the_cpu(tmp_path):
    """The seed's trap: GNUMPY_USE_GPU=auto falls back to npmat; the result must say cpu."""
    rec, data = run_dbn(tmp_path, "--device", "gpu", "--epochs", "2", GNUMPY_USE_GPU="auto")
    assert rec.returncode == 0, rec.stderr[-2000:]
    assert FALLBACK in rec.stdout.splitlines()
    result = RunResult.from_dict(data)
    assert result.device == "gpu" and result.device_used == "cpu"
    assert result.extra["silent_cpu_fallback"] is True
    assert FALLBACK in result.signals


def test_gpu_run_with_gnumpy_use_gpu_yes_is_unavailable_with_the_import_error(tmp_path):
    rec, data = run_dbn(tmp_path, "--device", "gpu", GNUMPY_USE_GPU="yes")
    assert rec.returncode == 3  # script_io.EXIT_UNAVAILABLE: a skip with a reason, not a crash
    assert data["ok"] is False and data["extra"]["unavailable"] is True
    assert "GNUMPY_USE_GPU=yes" in data["error"] and "cudamat" in data["error"]
