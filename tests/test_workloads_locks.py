"""Device locks under real concurrency: two processes never hold the same device at once."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from pytest_dlready.workloads import locks

HOLDER = textwrap.dedent('''
    import sys, time
    from pytest_dlready.workloads.locks import device_lock
    out, names = sys.argv[1], sys.argv[2].split(",")
    with device_lock(*names):
        start = time.time()
        time.sleep(0.6)
        end = time.time()
    open(out, "w").write("%r %r" % (start, end))
''')


def _spawn(tmp_path, name, devices, env):
    out = tmp_path / f"{name}.txt"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(out), devices], env=env)
    return proc, out


def _interval(path):
    start, end = (float(v) for v in path.read_text().split())
    return start, end


@pytest.mark.skipif(os.name != "posix", reason="flock")
@pytest.mark.parametrize("first,second,overlap", [
    ("cpu,gpu0", "gpu0", False),       # a comparison pair against a GPU run
    ("cpu,gpu0", "gpu0,cpu", False),   # the same pair, other order: no deadlock either
    ("cpu", "gpu0", True),             # different devices may run together
])
def test_two_processes(tmp_path, first, second, overlap):
    env = dict(os.environ, DLREADY_LOCK_DIR=str(tmp_path / "locks"))
    a, out_a = _spawn(tmp_path, "a", first, env)
    b, out_b = _spawn(tmp_path, "b", second, env)
    assert a.wait(30) == 0 and b.wait(30) == 0
    (s1, e1), (s2, e2) = _interval(out_a), _interval(out_b)
    overlapped = s1 < e2 and s2 < e1
    assert overlapped == overlap, ((s1, e1), (s2, e2))


HOLD_UNTIL_RELEASED = textwrap.dedent('''
    import os, sys, time
    from pytest_dlready.workloads.locks import device_lock
    held, release = sys.argv[1], sys.argv[2]
    with device_lock("gpu0"):
        open(held, "w").close()          # tell the test the lock is ours
        deadline = time.time() + 60
        while not os.path.exists(release) and time.time() < deadline:
            time.sleep(0.02)
''')


def test_lock_timeout(tmp_path, monkeypatch):
    """A second run gives up after its timeout while another process holds the device."""
    import time

    monkeypatch.setenv("DLREADY_LOCK_DIR", str(tmp_path / "locks"))
    held, release = tmp_path / "held", tmp_path / "release"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_UNTIL_RELEASED, str(held), str(release)], env=dict(os.environ))
    try:
        deadline = time.time() + 60
        while not held.exists() and time.time() < deadline and holder.poll() is None:
            time.sleep(0.02)
        assert held.exists(), "the holder never took the lock"
        with pytest.raises(TimeoutError, match="still held"):
            with locks.device_lock("gpu0", timeout=0.3):
                pass
    finally:
        release.touch()
        holder.wait(30)
    with locks.device_lock("gpu0", timeout=5):  # released: free again
        pass
