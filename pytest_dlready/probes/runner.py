"""Run one external command safely: list argv, no shell, a timeout, a full record.

Every command a probe runs goes through :func:`run`, so each leaves the same trace in
the snapshot (argv, exit code, output excerpts, duration, error) and none can hang or
crash the pytest session.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from typing import Mapping, Optional, Sequence

#: Output kept per stream; tool outputs we parse (deviceQuery, nvidia-smi -q) fit well below.
MAX_OUTPUT = 64 * 1024


@dataclass
class CommandRecord:
    argv: list
    returncode: Optional[int] = None
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    timed_out: bool = False
    error: str = ""  # why it could not run at all (not found, permission, ...)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.error

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> "CommandRecord":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


def _clip(text: str) -> str:
    if len(text) <= MAX_OUTPUT:
        return text
    half = MAX_OUTPUT // 2
    return text[:half] + "\n[... output clipped by pytest-dlready ...]\n" + text[-half:]


def which(name: str, path: Optional[str] = None) -> Optional[str]:
    """``shutil.which`` over the absolute PATH entries only, never the current directory.

    Windows' ``which`` would find ``.\\nvcc.exe``, and a relative entry (``PATH=bin:$PATH``)
    is a folder under wherever pytest happens to run: a readiness tool run as root on a
    shared node must not run a binary that merely sits in the folder it was started from.
    """
    search = path if path is not None else os.environ.get("PATH", "")
    cwd = os.path.abspath(os.getcwd())
    parts = [p for p in search.split(os.pathsep)
             if p and os.path.isabs(os.path.expanduser(p)) and os.path.abspath(p) != cwd]
    return shutil.which(name, path=os.pathsep.join(parts)) if parts else None


def run(
    argv: Sequence[str],
    timeout: float = 10.0,
    env: Optional[Mapping[str, str]] = None,
    cwd: Optional[str] = None,
    input_text: Optional[str] = None,
) -> CommandRecord:
    """Run ``argv`` (never through a shell) and record what happened; never raises."""
    argv = [str(a) for a in argv]
    record = CommandRecord(argv=argv)
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            input=input_text,
            stdin=None if input_text is not None else subprocess.DEVNULL,
        )
        record.returncode = proc.returncode
        record.stdout = _clip(proc.stdout or "")
        record.stderr = _clip(proc.stderr or "")
    except subprocess.TimeoutExpired as exc:
        record.timed_out = True
        record.error = f"timed out after {timeout:g} s"
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        record.stdout, record.stderr = _clip(out), _clip(err)
    except (OSError, ValueError) as exc:  # not found, not executable, bad argv
        record.error = f"{type(exc).__name__}: {exc}"
    record.duration_s = round(time.perf_counter() - start, 4)
    return record
