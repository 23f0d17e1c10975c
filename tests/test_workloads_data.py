"""Training data: real MNIST from Keras' cache, else upscaled sklearn digits, else generated; always named."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_dlready.workloads.scripts import data

PY27 = "/root/.pyenv/versions/2.7.18/bin/python"


@pytest.fixture
def no_mnist(tmp_path, monkeypatch):
    """No MNIST anywhere Keras would keep it, and no download."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("DLREADY_KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("DLREADY_MNIST_DOWNLOAD", "0")
    monkeypatch.delenv("DLREADY_MNIST", raising=False)
    monkeypatch.delenv("DLREADY_DATA_SOURCES", raising=False)
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(data.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    return tmp_path


def _write_keras_mnist(path, n_train=300, n_test=100):
    """A file in the exact layout of Keras' mnist.npz (uint8 x_*, uint8 y_*)."""
    x, y = data.load_digits_upscaled(n_train + n_test, seed=3)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.savez_compressed(path, x_train=x[:n_train], y_train=y[:n_train].astype(np.uint8),
                        x_test=x[n_train:], y_test=y[n_train:].astype(np.uint8))
    return x, y


def test_digits_fallback_when_no_mnist(no_mnist):
    x, y, name = data.load(500)
    assert name == data.DIGITS
    assert x.shape == (500, 784) and x.dtype == np.float32 and y.shape == (500,)
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert set(np.unique(y)) <= set(range(10)) and len(np.unique(y)) == 10


def test_digits_repeat_with_shifts_beyond_1797(no_mnist):
    x, y, name = data.load(4000)
    assert name == data.DIGITS and x.shape == (4000, 784)
    # repeats are shifted copies, so there are more distinct images than sklearn has digits
    assert len({row.tobytes() for row in x[:4000]}) > 1797


def test_mnist_from_keras_cache(no_mnist):
    home = no_mnist / "keras"
    x_file, _ = _write_keras_mnist(str(home / "datasets" / "mnist.npz"))
    x, y, name = data.load(350)
    assert name == data.MNIST
    assert x.shape == (350, 784)
    np.testing.assert_allclose(x[0], x_file[0].reshape(784) / 255.0, atol=1e-6)


def test_truncated_mnist_file_falls_back(no_mnist):
    path = no_mnist / "keras" / "datasets" / "mnist.npz"
    _write_keras_mnist(str(path))
    path.write_bytes(path.read_bytes()[:200])
    assert data.load(64)[2] == data.DIGITS


def test_synthetic_when_sklearn_missing(no_mnist, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn now raises ImportError
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    x, y, name = data.load(256)
    assert name == data.SYNTHETIC
    assert x.shape == (256, 784) and 0 <= x.min() and x.max() <= 1


def test_sources_env_forces_order(no_mnist, monkeypatch):
    monkeypatch.setenv("DLREADY_DATA_SOURCES", "synthetic,sklearn-digits-upscaled")
    assert data.load(64)[2] == data.SYNTHETIC


def test_unreachable_origin_is_remembered(no_mnist, monkeypatch):
    monkeypatch.setenv("DLREADY_MNIST_DOWNLOAD", "1")
    monkeypatch.setattr(data, "MNIST_HOST", "mnist.invalid")  # RFC 2606: never resolves
    assert data.mnist_reachable(timeout=1.0) is False
    assert os.path.exists(data._marker_path())
    assert data.load_mnist(allow_download=True) is None


def test_upscaled_digit_has_mnist_geometry():
    img = np.ones((8, 8)) * 16
    out = data.upscale_digit(img)
    assert out.shape == (28, 28)
    assert out[:4].sum() == 0 and out[-4:].sum() == 0 and out[:, :4].sum() == 0
    assert np.allclose(out[4:24, 4:24], 16)


def test_one_hot():
    assert data.one_hot(np.array([0, 3, 9])).argmax(1).tolist() == [0, 3, 9]


@pytest.mark.skipif(not os.path.exists(PY27), reason="pyenv Python 2.7.18 not installed")
@pytest.mark.parametrize("name", ["data.py", "script_io.py"])
def test_legacy_modules_compile_on_python27(name):
    path = os.path.join(os.path.dirname(data.__file__), name)
    proc = subprocess.run([PY27, "-m", "py_compile", path], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(min_value=-5, max_value=300),
       sources=st.lists(st.sampled_from(list(data.ALL_SOURCES) + ["bogus"]), max_size=4))
def test_load_never_breaks(no_mnist, n, sources):
    usable = [s for s in sources if s in data.ALL_SOURCES and s != data.MNIST]  # no MNIST here
    if not usable:
        with pytest.raises(ValueError):
            data.load(n, sources=sources)
        return
    x, y, name = data.load(n, sources=sources)
    assert name in usable and x.shape == (max(n, 1), 784) and len(y) == len(x)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(max_size=2000), cut=st.integers(min_value=0, max_value=4000))
def test_read_mnist_never_raises_on_garbage(tmp_path, blob, cut):
    real = tmp_path / "real.npz"
    if not real.exists():
        _write_keras_mnist(str(real), 20, 5)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(real.read_bytes()[:cut] + blob)
    got = data._read_mnist_npz(str(bad))
    assert got is None or got[0].shape[1:] == (28, 28)
