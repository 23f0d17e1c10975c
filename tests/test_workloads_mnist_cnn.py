"""Keras 3 mnist_cnn trains for real on the CPU with each backend installed (tiny sizes)."""
from __future__ import annotations

import importlib.util
import os

import pytest

from pytest_dlready.workloads.protocol import script
from pytest_dlready.workloads import registry, runner

BACKENDS = [b for b in registry.KERAS_BACKENDS
            if importlib.util.find_spec("keras") and importlib.util.find_spec(b)]


@pytest.mark.skipif(not BACKENDS, reason="no Keras 3 backend installed; pip install 'pytest-dlready[keras-tf]'")
@pytest.mark.parametrize("kb", BACKENDS or ["none"])
def test_keras_backend_trains_on_cpu(kb, tmp_path, monkeypatch):
    # a stale keras.json naming another backend must not win over KERAS_BACKEND
    home = tmp_path / "home"
    (home / ".keras").mkdir(parents=True)
    (home / ".keras" / "keras.json").write_text('{"backend": "theano", "floatx": "float64"}')
    monkeypatch.setenv("HOME", str(home))
    spec = runner.WorkloadSpec(registry.CNN, f"keras-{kb}", "cpu", script("mnist_cnn.py"),
                               ["--samples", "256", "--epochs", "2"], keras_backend=kb)
    r = runner.run(spec, timeout=300)
    assert r.ok, r.error
    assert r.extra["keras_backend"] == kb and r.device_used == "cpu"
    assert r.samples == 256 and r.batch_size == 128 and len(r.epoch_seconds) == 2
    assert r.dataset in ("mnist", "sklearn-digits-upscaled", "synthetic")
    assert r.extra["losses"][-1] < r.extra["losses"][0]


@pytest.mark.skipif(not BACKENDS, reason="no Keras 3 backend installed")
def test_require_gpu_without_gpu_is_unavailable():
    backend = BACKENDS[0]
    spec = runner.WorkloadSpec(registry.CNN, f"keras-{backend}", "gpu", script("mnist_cnn.py"),
                               ["--samples", "128", "--epochs", "2", "--require-gpu"], keras_backend=backend)
    r = runner.run(spec, timeout=300)
    if r.ok:
        pytest.skip("this machine has a GPU the backend can use")
    assert r.extra.get("unavailable") and "sees no GPU" in r.error
