"""Device locks under real concurrency: two processes never hold the same device at once."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from pytest_dlready.workloads import runner

HOLDER = textwrap.dedent('''
    import sys, time
    from pytest_dlready.workloads.runner import device_lock
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


def test_lock_timeout(tmp_path, monkeypatch):
    monkeypatch.setenv("DLREADY_LOCK_DIR", str(tmp_path / "locks"))
    env = dict(os.environ)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER.replace("0.6", "3"), str(tmp_path / "h.txt"), "gpu0"], env=env)
    try:
        import time

        deadline = time.time() + 10
        while time.time() < deadline:  # wait until the other process holds it
            try:
                with runner.device_lock("gpu0", timeout=0):
                    time.sleep(0.05)
            except TimeoutError:
                break
        with pytest.raises(TimeoutError, match="still held"):
            with runner.device_lock("gpu0", timeout=0.3):
                pass
    finally:
        holder.wait(30)
