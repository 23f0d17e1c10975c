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
from typing import Any, Callable, Iterator, Optional

from ..facts import untrusted


def _candidates() -> list:
    uid = getattr(os, "getuid", lambda: "user")()
    out = []
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        out.append(os.path.join(runtime, "pytest-dlready"))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    out.append(os.path.join(base, "pytest-dlready", "run"))
    out.append(os.path.join(tempfile.gettempdir(), f"pytest-dlready-{uid}"))
    return out


def private_dir(*parts: str) -> str:
    """A folder only this user can use (mode 0700, owner verified, not a symlink), shared by this
    user's sessions and xdist workers: locks and Theano's compile folder live here.

    A predictable ``/tmp/pytest-dlready-<uid>`` that another user created first is refused
    (they could hold our locks forever or plant symlinks); the next candidate is used.
    """
    explicit = os.environ.get("DLREADY_LOCK_DIR")
    candidates = [explicit] if explicit else _candidates()
    problems = []
    for base in candidates:
        try:
            os.makedirs(base, mode=0o700, exist_ok=True)
        except OSError as exc:
            problems.append(f"{base}: {exc.strerror or exc}")
            continue
        why = ("is a symbolic link" if os.path.islink(base) else "") or untrusted(base)
        if why:
            problems.append(f"{base}: {why}")
            continue
        path = os.path.join(base, *parts)
        try:
            os.makedirs(path, mode=0o700, exist_ok=True)
        except OSError as exc:
            problems.append(f"{path}: {exc.strerror or exc}")
            continue
        if not untrusted(path) and not os.path.islink(path):
            return path
        problems.append(f"{path}: {untrusted(path) or 'is a symbolic link'}")
    raise PermissionError("no private folder for pytest-dlready's locks: " + "; ".join(problems))


def lock_dir() -> str:
    """One folder all xdist workers and concurrent sessions of this user share (``$DLREADY_LOCK_DIR`` itself when set)."""
    return private_dir() if os.environ.get("DLREADY_LOCK_DIR") else private_dir("locks")


def _open_lock(path: str) -> Any:
    """The lock file, never through a symbolic link (O_NOFOLLOW), readable by this user only."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    return os.fdopen(fd, "r+")


def holder(path: str) -> str:
    """"pid 4242 since 21:05:13" from a lock file's note, "" when it says nothing."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            words = fh.read(200).split()
    except OSError:
        return ""
    if len(words) >= 2 and words[0].isdigit():
        try:
            since = time.strftime("%H:%M:%S", time.localtime(float(words[1])))
        except (ValueError, OverflowError):
            since = "?"
        return f"pid {words[0]} since {since}"
    return ""


@contextlib.contextmanager
def device_lock(*names: str, timeout: Optional[float] = None,
                on_wait: Optional[Callable[[str], None]] = None) -> Iterator[float]:
    """Hold exclusive locks on these devices (sorted, so two holders never deadlock).

    Yields the seconds spent waiting. ``timeout`` None waits as long as it takes; otherwise a
    ``TimeoutError`` names the holder. ``on_wait`` hears once, after a second of waiting,
    "waiting for the gpu0 lock held by pid N since HH:MM:SS".
    """
    wanted = sorted({re.sub(r"[^A-Za-z0-9_.-]+", "_", n) for n in names if n})
    handles = []
    start = time.perf_counter()
    try:
        for name in wanted:
            path = os.path.join(lock_dir(), name + ".lock")
            fh = _open_lock(path)
            handles.append(fh)
            _acquire(fh, timeout, start, name, on_wait, path)
            fh.seek(0)
            fh.truncate()
            fh.write(f"{os.getpid()} {time.time():.0f}\n")
            fh.flush()
        yield time.perf_counter() - start
    finally:
        for fh in reversed(handles):
            _release(fh)
            fh.close()


def _acquire(fh: Any, timeout: Optional[float], start: float, name: str = "",
             on_wait: Optional[Callable[[str], None]] = None, path: str = "") -> None:
    said = False
    path = path or str(getattr(fh, "name", ""))
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
            waited = time.perf_counter() - start
            if timeout is not None and waited > timeout:
                who = holder(path)
                raise TimeoutError(f"the {name or path} lock is still held{' by ' + who if who else ''} "
                                   f"after {timeout:g} s ({path})") from None
            if on_wait is not None and not said and waited > 1.0:
                on_wait(f"waiting for the {name} lock held by {holder(path) or 'another run'} ({path})")
                said = True
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
