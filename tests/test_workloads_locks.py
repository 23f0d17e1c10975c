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


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX ownership and modes")
def test_a_predictable_tmp_folder_someone_else_made_is_refused(tmp_path, monkeypatch):
    """/tmp/pytest-dlready-<uid> created first by another user (here: world-writable) is not used."""
    from pytest_dlready.workloads import locks

    monkeypatch.delenv("DLREADY_LOCK_DIR", raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr(locks.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    planted = tmp_path / "tmp" / f"pytest-dlready-{os.getuid()}"
    planted.mkdir(parents=True)
    os.chmod(planted, 0o777)
    (planted / "locks").mkdir()
    os.symlink(tmp_path / "victim", planted / "locks" / "cpu.lock")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "nocache-file"))
    (tmp_path / "nocache-file").write_text("not a folder")  # the per-user cache is unusable too
    with pytest.raises(PermissionError, match="writable by others"):
        locks.lock_dir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = locks.lock_dir()
    assert path.startswith(str(tmp_path / "cache")) and oct(os.stat(path).st_mode & 0o777) == "0o700"
    with locks.device_lock("cpu"):
        pass
    assert not (tmp_path / "victim").exists()


def test_a_lock_file_that_is_a_symlink_is_never_followed(tmp_path, monkeypatch):
    from pytest_dlready.workloads import locks

    monkeypatch.setenv("DLREADY_LOCK_DIR", str(tmp_path / "locks"))
    (tmp_path / "locks").mkdir(mode=0o700)
    os.symlink(tmp_path / "victim", tmp_path / "locks" / "gpu0.lock")
    with pytest.raises(OSError):
        with locks.device_lock("gpu0"):
            pass
    assert not (tmp_path / "victim").exists()


def test_waiting_for_a_held_lock_says_whose_and_times_out(tmp_path, monkeypatch):
    import subprocess
    import sys

    from pytest_dlready.workloads import locks

    monkeypatch.setenv("DLREADY_LOCK_DIR", str(tmp_path / "locks"))
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; sys.path.insert(0, %r)\n"
        "from pytest_dlready.workloads import locks\n"
        "with locks.device_lock('gpu0'):\n    print('held', flush=True); time.sleep(30)\n") % os.getcwd()],
        stdout=subprocess.PIPE, text=True, env=dict(os.environ, DLREADY_LOCK_DIR=str(tmp_path / "locks")))
    try:
        assert holder.stdout.readline().strip() == "held"
        heard = []
        with pytest.raises(TimeoutError, match=rf"gpu0 lock is still held by pid {holder.pid} since"):
            with locks.device_lock("gpu0", timeout=1.5, on_wait=heard.append):
                pass
        assert len(heard) == 1 and f"waiting for the gpu0 lock held by pid {holder.pid} since" in heard[0]
    finally:
        holder.kill()
        holder.wait()
