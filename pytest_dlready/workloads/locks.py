"""Device locks: one timing run per device at a time, across pytest-xdist workers and sessions.

The ``gpu_lock`` the seed's gnumpy could not take: a timing run must not start while
another run uses the same device, or both measure each other.
"""
from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from typing import Any, Iterator, Optional


def lock_dir() -> str:
    """One folder all xdist workers and concurrent sessions of this user share."""
    uid = getattr(os, "getuid", lambda: "user")()
    path = os.environ.get("DLREADY_LOCK_DIR") or os.path.join(tempfile.gettempdir(), f"pytest-dlready-{uid}", "locks")
    os.makedirs(path, exist_ok=True)
    return path


@contextlib.contextmanager
def device_lock(*names: str, timeout: Optional[float] = None) -> Iterator[float]:
    """Hold exclusive locks on these devices (sorted, so two holders never deadlock).

    Yields the seconds spent waiting. ``timeout`` None waits as long as it takes:
    a timing run must not start while another run uses the same device.
    """
    wanted = sorted({re.sub(r"[^A-Za-z0-9_.-]+", "_", n) for n in names if n})
    handles = []
    start = time.perf_counter()
    try:
        for name in wanted:
            fh = open(os.path.join(lock_dir(), name + ".lock"), "a+")
            handles.append(fh)
            _acquire(fh, timeout, start)
        yield time.perf_counter() - start
    finally:
        for fh in reversed(handles):
            _release(fh)
            fh.close()


def _acquire(fh: Any, timeout: Optional[float], start: float) -> None:
    while True:
        try:
            if os.name == "posix":
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:
                import msvcrt

                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            return
        except OSError:
            if timeout is not None and time.perf_counter() - start > timeout:
                raise TimeoutError(f"device lock {fh.name} still held by another run after {timeout:g} s") from None
            time.sleep(0.05)


def _release(fh: Any) -> None:
    try:
        if os.name == "posix":
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        else:
            import msvcrt

            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
    except OSError:
        pass
