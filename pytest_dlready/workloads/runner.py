"""Run one (workload, backend, device) in its own subprocess and return a ``RunResult``.

Each run gets its own process in the *target* Python (this one or a ``--dlready-python``)
with an isolated environment, so a framework's state, a stale ``~/.keras/keras.json``
or an inherited ``THEANO_FLAGS`` cannot change what is measured; and so a crash, a hang
or the OOM killer ends that run, not the pytest session. The runner adds what the
script cannot measure about itself: wall time, user+sys CPU time and peak RSS of the
child (``os.wait4``), the tail of its stderr, and the output lines that betray a
silent fallback to the CPU (``parsers.signals``, the one table of such lines).

Device locks (``workloads.locks``) serialise timing runs per device across pytest-xdist
workers and sessions.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from ..parsers import signals as signal_table
from .protocol import RunResult, WorkloadSpec

EPOCH_PREFIX = "DLREADY-EPOCH "
EXIT_UNAVAILABLE = 3          # script_io.EXIT_UNAVAILABLE: backend/device not here (a skip)
STDERR_TAIL = 12              # lines of stderr kept in the result
MAX_SIGNALS = signal_table.MAX_SIGNALS

def parse_epoch_line(line: str) -> Optional[Dict[str, Any]]:
    """``DLREADY-EPOCH {...}`` -> dict with a positive ``seconds``, or None for anything else."""
    if not isinstance(line, str) or not line.startswith(EPOCH_PREFIX):
        return None
    try:
        data = json.loads(line[len(EPOCH_PREFIX):])
        seconds = float(data["seconds"])
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(data, dict) or not (seconds >= 0) or seconds == float("inf"):
        return None
    data["seconds"] = seconds
    return data


def _real_keras_home(base: Mapping[str, str]) -> str:
    return base.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def compile_dir(python: str) -> str:
    """A private, per-interpreter Theano/PyTensor compile dir, kept between runs (compiling is slow)."""
    tag = re.sub(r"[^A-Za-z0-9]+", "_", os.path.abspath(python))[-80:]
    uid = getattr(os, "getuid", lambda: "user")()
    return os.path.join(tempfile.gettempdir(), f"pytest-dlready-{uid}", "compiledir", tag)


def build_env(spec: WorkloadSpec, workdir: str, base: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The child's environment: the caller's, minus what would leak a stale configuration in."""
    base = dict(os.environ if base is None else base)
    env = dict(base)
    for var in ("KERAS_BACKEND", "KERAS_HOME", "THEANO_FLAGS", "PYTENSOR_FLAGS", "PYTHONSTARTUP", "PYTHONINSPECT"):
        env.pop(var, None)
    if os.path.abspath(spec.python) != os.path.abspath(sys.executable):
        # another interpreter (a Python 2.7 env) must not see this one's packages
        env.pop("PYTHONPATH", None)
        env.pop("PYTHONHOME", None)
    keras_home = os.path.join(workdir, "keras")
    os.makedirs(keras_home, exist_ok=True)
    env["KERAS_HOME"] = keras_home                      # a fresh keras.json: KERAS_BACKEND decides
    env["DLREADY_KERAS_HOME"] = _real_keras_home(base)  # ... while the MNIST cache is still found
    if spec.keras_backend:
        env["KERAS_BACKEND"] = spec.keras_backend
    if spec.device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""                # the CPU side cannot touch a GPU by accident
    theano_device = spec.theano_device or ("cpu" if spec.device == "cpu" else "cuda0")
    flags = [f"device={theano_device}", "floatX=float32", f"base_compiledir={compile_dir(spec.python)}"]
    if spec.cudnn is not None:
        flags.append(f"dnn.enabled={'True' if spec.cudnn else 'False'}")
    env["THEANO_FLAGS"] = env["PYTENSOR_FLAGS"] = ",".join(flags)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    env.update({str(k): str(v) for k, v in spec.env.items()})
    return env


def _read_result(path: str) -> Tuple[Dict[str, Any], str]:
    """The script's result JSON (only sane fields) and a problem description, never raising."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return {}, "wrote no result file"
    except (OSError, ValueError) as exc:
        return {}, f"wrote an unreadable result file ({type(exc).__name__})"
    if not isinstance(data, dict):
        return {}, "wrote a result that is not a JSON object"
    return sanitise(data), ""


_TEXT = ("device_used", "device_name", "dtype", "dataset", "error")
_INTS = ("batch_size", "samples", "threads", "warmup_epochs")


def sanitise(data: Mapping[str, Any]) -> Dict[str, Any]:
    """Keep the RunResult fields a script may report, with the right types; drop the rest."""
    out: Dict[str, Any] = {}
    for key in _TEXT:
        if isinstance(data.get(key), str):
            out[key] = data[key][:500]
    for key in _INTS:
        value = data.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value and abs(value) < 1e12:
            out[key] = int(value)
    epochs = data.get("epoch_seconds")
    if isinstance(epochs, list):
        clean = []
        for value in epochs:
            if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < float("inf"):
                clean.append(float(value))
        out["epoch_seconds"] = clean
    if isinstance(data.get("signals"), list):
        out["signals"] = [str(s)[:300] for s in data["signals"][:MAX_SIGNALS]]
    if isinstance(data.get("extra"), dict):
        out["extra"] = dict(data["extra"])
    if data.get("ok") is False:
        out["ok"] = False
    return out


def _describe_exit(status: int) -> Tuple[str, bool]:
    """Text for a non-zero wait status and whether it looks like an out-of-memory kill."""
    if status < 0:
        signum = -status
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        if signum == getattr(signal, "SIGKILL", 9):
            return f"was killed by {name} (most often the kernel's out-of-memory killer)", True
        return f"died of {name}", False
    return f"exited with status {status}", False


class _Child:
    """A started script: readers for both pipes and a reaper that keeps its rusage."""

    def __init__(self, argv: List[str], env: Dict[str, str], cwd: str, on_epoch: Optional[Callable[[Dict[str, Any]], None]]):
        kwargs: Dict[str, Any] = {}
        if os.name == "posix":
            kwargs["start_new_session"] = True   # so a timeout kills its helpers too
        self.start = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, cwd=cwd, text=True, encoding="utf-8", errors="replace", bufsize=1, **kwargs)
        self.epochs: List[Dict[str, Any]] = []
        self.stdout_tail: deque = deque(maxlen=200)
        self.stderr_tail: deque = deque(maxlen=200)
        self.signals: List[str] = []
        self.pending: deque = deque()
        self.status: Optional[int] = None
        self.rusage: Any = None
        self.wall: Optional[float] = None
        self.done = threading.Event()
        self._on_epoch = on_epoch
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._read, args=(self.proc.stdout, True), daemon=True),
                        threading.Thread(target=self._read, args=(self.proc.stderr, False), daemon=True),
                        threading.Thread(target=self._reap, daemon=True)]
        for t in self.threads:
            t.start()

    def _read(self, stream: Any, is_stdout: bool) -> None:
        for line in stream:
            line = line.rstrip("\n")
            epoch = parse_epoch_line(line) if is_stdout else None
            with self._lock:
                if epoch is not None:
                    self.epochs.append(epoch)
                else:
                    (self.stdout_tail if is_stdout else self.stderr_tail).append(line)
                    for s in signal_table.scan([line]):
                        if s not in self.signals and len(self.signals) < MAX_SIGNALS:
                            self.signals.append(s)
            if epoch is not None:
                self.pending.append(epoch)  # shown by the caller's thread (terminal output is not thread-safe)

    def _reap(self) -> None:
        if hasattr(os, "wait4"):
            _, status, self.rusage = os.wait4(self.proc.pid, 0)
            self.status = os.waitstatus_to_exitcode(status)
            self.proc.returncode = self.status  # reaped here; keep Popen from waiting again
        else:  # Windows: no rusage of a child without extra packages
            self.status = self.proc.wait()
        self.wall = time.perf_counter() - self.start
        self.done.set()

    def kill(self) -> None:
        try:
            if os.name == "posix":
                os.killpg(self.proc.pid, signal.SIGKILL)
            else:
                self.proc.kill()
        except (ProcessLookupError, PermissionError, OSError):
            pass

    def finish(self, timeout: float) -> bool:
        """Wait up to ``timeout``; kill on expiry. Returns whether it timed out."""
        deadline = time.perf_counter() + timeout
        while not self.done.is_set() and time.perf_counter() < deadline:
            self.done.wait(min(0.25, max(deadline - time.perf_counter(), 0.0)))
            self._show_progress()
        timed_out = not self.done.is_set()
        if timed_out:
            self.kill()
            self.done.wait(30)
        for t in self.threads[:2]:
            t.join(5)  # pipes close when the process group is gone
        self._show_progress()
        return timed_out

    def _show_progress(self) -> None:
        while self.pending:
            epoch = self.pending.popleft()
            if self._on_epoch is not None:
                try:
                    self._on_epoch(epoch)
                except Exception:  # progress display must never break a run
                    pass


def run(spec: WorkloadSpec, timeout: float, on_epoch: Optional[Callable[[Dict[str, Any]], None]] = None,
        base_env: Optional[Mapping[str, str]] = None) -> RunResult:
    """Run ``spec`` to completion (or ``timeout`` seconds) and return what happened; never raises."""
    result = RunResult(workload=spec.workload, backend=spec.backend, device=spec.device)
    workdir = tempfile.mkdtemp(prefix="dlready-run-")
    result_path = os.path.join(workdir, "result.json")
    argv = [spec.python, spec.script, "--result", result_path] + [str(a) for a in spec.args]
    try:
        env = build_env(spec, workdir, base_env)
        child = _Child(argv, env, workdir, on_epoch)
    except (OSError, ValueError) as exc:
        result.ok = False
        result.error = f"{spec.label} could not start {spec.python}: {exc}"
        return result
    timed_out = child.finish(timeout)
    data, problem = _read_result(result_path)
    _cleanup(workdir)

    for key, value in data.items():
        if key not in ("ok", "error", "signals", "extra"):
            setattr(result, key, value)
    result.extra = dict(data.get("extra") or {})
    if not result.epoch_seconds and child.epochs:
        result.epoch_seconds = [e["seconds"] for e in child.epochs]  # partial: died mid-run
    result.wall_s = round(child.wall, 3) if child.wall is not None else None
    if child.rusage is not None:
        result.cpu_user_s = round(child.rusage.ru_utime, 3)
        result.cpu_sys_s = round(child.rusage.ru_stime, 3)
        scale = 1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0  # bytes on macOS, KiB on Linux
        result.peak_rss_mb = round(child.rusage.ru_maxrss / scale, 1)
    result.stderr_tail = [ln[:500] for ln in list(child.stderr_tail)[-STDERR_TAIL:]]
    result.signals = list(dict.fromkeys(list(data.get("signals", [])) + child.signals))[:MAX_SIGNALS]
    result.extra["returncode"] = child.status
    last = _last_words(result.stderr_tail)

    if timed_out:
        result.ok = False
        result.error = (f"{spec.label} did not finish within {timeout:g} s and was killed"
                        f" after {len(result.epoch_seconds)} epoch(s){last}")
        result.extra["timed_out"] = True
    elif child.status == EXIT_UNAVAILABLE and data.get("extra", {}).get("unavailable"):
        result.ok = False
        result.error = data.get("error") or f"{spec.backend} is not available"
        result.extra["unavailable"] = True
    elif child.status != 0:
        text, oom = _describe_exit(child.status or 0)
        if any("MemoryError" in ln or "out of memory" in ln.lower() for ln in child.stderr_tail):
            oom = True
        result.ok = False
        peak = f", peak RSS {result.peak_rss_mb:g} MB" if oom and result.peak_rss_mb else ""
        result.error = f"{spec.label} {text}{peak}{last}"
        result.extra["oom_suspected"] = oom
    elif problem:
        result.ok = False
        result.error = f"{spec.label} exited normally but {problem}{last}"
    elif not result.epoch_seconds:
        result.ok = False
        result.error = f"{spec.label} finished without timing a single epoch{last}"
    return result


def _last_words(tail: Sequence[str]) -> str:
    lines = [ln.strip() for ln in tail if ln.strip()]
    return f"; stderr ends: {' | '.join(lines[-3:])[:400]}" if lines else ""


def _cleanup(workdir: str) -> None:
    import shutil

    shutil.rmtree(workdir, ignore_errors=True)
