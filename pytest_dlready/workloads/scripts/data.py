"""MNIST-shaped training data for the workloads, with honest fallbacks.

Every workload trains on 28x28 digit images, 784 float32 features in [0, 1], ten
classes. Real MNIST is used when Keras' cache has it (or Keras' own loader can fetch
it); otherwise scikit-learn's bundled 8x8 digits upscaled to MNIST's geometry (a 20x20
digit centred in 28x28, as MNIST was built); otherwise generated digit-like data.
The result always names which one was used, because a timing on 1,797 repeated
upscaled digits is not a timing on MNIST.

This file is imported *by path* from workload scripts that may run on Python 2.7
(gnumpy/nolearn legacy environments), so it stays 2.7-compatible: no f-strings, no
annotations, numpy only (scikit-learn and keras are optional and imported lazily).
"""
from __future__ import absolute_import, division, print_function

import os
import socket
import tempfile
import time

MNIST = "mnist"
DIGITS = "sklearn-digits-upscaled"
SYNTHETIC = "synthetic"
ALL_SOURCES = (MNIST, DIGITS, SYNTHETIC)

#: Keras' public copy of MNIST (the origin ``keras.datasets.mnist.load_data`` uses).
MNIST_HOST = "storage.googleapis.com"
#: A failed reachability check is remembered this long so a session does not retry per run.
UNREACHABLE_TTL_S = 600


def _source_order(sources):
    """Sources to try, from the argument or DLREADY_DATA_SOURCES (tests force fallbacks)."""
    if sources is None:
        env = os.environ.get("DLREADY_DATA_SOURCES", "")
        sources = [s.strip() for s in env.split(",") if s.strip()] or list(ALL_SOURCES)
    return [s for s in sources if s in ALL_SOURCES]


def mnist_cache_candidates():
    """Where Keras keeps ``mnist.npz``: KERAS_HOME, ~/.keras and Keras' /tmp fallback.

    The runner gives each workload a throw-away KERAS_HOME (so a stale keras.json cannot
    leak in) and passes the user's real one as DLREADY_KERAS_HOME, so the cache is still found.
    """
    homes = []
    for var in ("DLREADY_KERAS_HOME", "KERAS_HOME"):
        if os.environ.get(var):
            homes.append(os.environ[var])
    homes.append(os.path.join(os.path.expanduser("~"), ".keras"))
    homes.append(os.path.join(tempfile.gettempdir(), ".keras"))
    paths = []
    if os.environ.get("DLREADY_MNIST"):
        paths.append(os.environ["DLREADY_MNIST"])
    for home in homes:
        path = os.path.join(home, "datasets", "mnist.npz")
        if path not in paths:
            paths.append(path)
    return paths


def _read_mnist_npz(path):
    """(x uint8 (n, 28, 28), y) from a Keras-format mnist.npz, train then test; None if unusable."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as data:
            x = np.concatenate([data["x_train"], data["x_test"]])
            y = np.concatenate([data["y_train"], data["y_test"]])
    except Exception:  # missing, truncated or not an npz: try the next source
        return None
    if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) != len(y) or len(x) == 0:
        return None
    return x, y


def _marker_path():
    return os.path.join(tempfile.gettempdir(), "pytest-dlready-mnist-unreachable")


def mnist_reachable(timeout=2.0):
    """Whether Keras' MNIST origin answers; a negative answer is cached for a while."""
    if os.environ.get("DLREADY_MNIST_DOWNLOAD", "1") == "0":
        return False
    marker = _marker_path()
    try:
        if time.time() - os.path.getmtime(marker) < UNREACHABLE_TTL_S:
            return False
    except OSError:
        pass
    try:
        conn = socket.create_connection((MNIST_HOST, 443), timeout=timeout)
        conn.close()
        return True
    except Exception:
        try:
            with open(marker, "w") as fh:
                fh.write("unreachable\n")
        except OSError:
            pass
        return False


def _download_mnist():
    """Fetch MNIST with Keras' own loader into the user's real Keras cache."""
    if not mnist_reachable():
        return None
    try:
        from keras.datasets import mnist  # lazily: heavy, and absent in numpy-only envs
    except Exception:
        return None
    home = os.environ.get("DLREADY_KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    target = os.path.join(home, "datasets", "mnist.npz")
    try:
        mnist.load_data(path=target)
    except Exception:
        return None
    return _read_mnist_npz(target)


def load_mnist(allow_download=True):
    """Real MNIST as (x uint8 (n, 28, 28), y, path) or None."""
    for path in mnist_cache_candidates():
        if os.path.isfile(path):
            got = _read_mnist_npz(path)
            if got is not None:
                return got[0], got[1], path
    if allow_download:
        got = _download_mnist()
        if got is not None:
            return got[0], got[1], "downloaded"
    return None


def upscale_digit(img8, size=20, canvas=28):
    """Bilinear-resize an 8x8 digit to ``size`` and centre it on a ``canvas`` square."""
    import numpy as np

    img8 = np.asarray(img8, dtype=np.float64)
    src = img8.shape[0]
    # sample positions in source pixel coordinates (pixel centres aligned)
    pos = (np.arange(size) + 0.5) * (src / float(size)) - 0.5
    pos = np.clip(pos, 0, src - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, src - 1)
    frac = pos - lo
    rows = img8[lo, :] * (1 - frac)[:, None] + img8[hi, :] * frac[:, None]
    out = rows[:, lo] * (1 - frac)[None, :] + rows[:, hi] * frac[None, :]
    pad = (canvas - size) // 2
    full = np.zeros((canvas, canvas))
    full[pad:pad + size, pad:pad + size] = out
    return full


def load_digits_upscaled(n, seed=0):
    """scikit-learn's 1,797 digits at MNIST geometry, repeated with small shifts to reach n."""
    import numpy as np

    try:
        from sklearn.datasets import load_digits
    except Exception:
        return None
    digits = load_digits()
    base = np.stack([upscale_digit(img) for img in digits.images]) / 16.0
    labels = digits.target.astype(np.int64)
    rng = np.random.RandomState(seed)
    idx = rng.randint(0, len(base), size=n) if n > len(base) else rng.permutation(len(base))[:n]
    x = base[idx]
    if n > len(base):
        # repeats get a random shift of up to 2 px so they are not byte-identical copies
        shifts = rng.randint(-2, 3, size=(n, 2))
        for i in range(len(base), n):
            x[i] = np.roll(np.roll(x[i], shifts[i, 0], axis=0), shifts[i, 1], axis=1)
    return (x * 255).round().astype(np.uint8), labels[idx]


def make_synthetic(n, seed=0):
    """Learnable digit-like data: ten fixed random stroke templates plus noise and shifts."""
    import numpy as np

    rng = np.random.RandomState(seed)
    templates = np.zeros((10, 28, 28))
    for k in range(10):
        for _ in range(4):  # four random thick strokes per class
            r0, c0, r1, c1 = rng.randint(5, 23, size=4)
            steps = max(abs(r1 - r0), abs(c1 - c0)) + 1
            rr = np.linspace(r0, r1, steps).round().astype(int)
            cc = np.linspace(c0, c1, steps).round().astype(int)
            for dr in (-1, 0, 1):
                templates[k, np.clip(rr + dr, 0, 27), cc] = 1.0
    y = rng.randint(0, 10, size=n).astype(np.int64)
    x = templates[y]
    shifts = rng.randint(-2, 3, size=(n, 2))
    for i in range(n):
        x[i] = np.roll(np.roll(x[i], shifts[i, 0], axis=0), shifts[i, 1], axis=1)
    x = np.clip(x * 0.8 + rng.rand(n, 28, 28) * 0.3, 0, 1)
    return (x * 255).round().astype(np.uint8), y


def load(n, seed=0, sources=None, allow_download=True):
    """``n`` samples as (x float32 (n, 784) in [0, 1], y int64 (n,), dataset name).

    Real MNIST first (train then test images, so 46,900 samples are the seed's
    ``X.shape=(46900, 784)`` slice of the training set), then upscaled digits, then
    generated data. ``n`` larger than MNIST's 70,000 repeats it.
    """
    import numpy as np

    n = max(int(n), 1)
    for source in _source_order(sources):
        got = None
        if source == MNIST:
            found = load_mnist(allow_download=allow_download)
            if found is not None:
                x, y = found[0], found[1]
                reps = -(-n // len(x))
                got = (np.concatenate([x] * reps)[:n], np.concatenate([y] * reps)[:n])
        elif source == DIGITS:
            got = load_digits_upscaled(n, seed)
        elif source == SYNTHETIC:
            got = make_synthetic(n, seed)
        if got is not None:
            x = got[0].reshape(n, 784).astype(np.float32) / np.float32(255.0)
            return x, np.asarray(got[1], dtype=np.int64), source
    raise ValueError("no data source among %r could produce data" % (sources,))


def one_hot(y, classes=10):
    import numpy as np

    out = np.zeros((len(y), classes), dtype=np.float32)
    out[np.arange(len(y)), np.asarray(y, dtype=np.int64) % classes] = 1.0
    return out
