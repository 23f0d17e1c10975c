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

import atexit
import io
import json
import os
import queue
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
from .protocol import RunResult, WorkloadSpec, script as script_path
from .locks import private_dir

EXIT_UNAVAILABLE = 3          # script_io.EXIT_UNAVAILABLE: backend/device not here (a skip)
STDERR_TAIL = 12              # lines of stderr kept in the result
EPOCH_PREFIX, READY_PREFIX, ROUND_PREFIX = "DLREADY-EPOCH ", "DLREADY-READY ", "DLREADY-ROUND "
PEAK_PREFIX = "DLREADY-PEAK "  # stderr, from _peak.py
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
    try:
        return private_dir("compiledir", tag)
    except PermissionError:  # no private folder at all: a fresh one for this run (slow, but nobody else's)
        return tempfile.mkdtemp(prefix="dlready-compiledir-")


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


#: what is kept of the child's output: lines are cut to MAX_LINE bytes, and the last TAIL_LINES per stream
MAX_LINE = 8192
TAIL_LINES = 200

_ACTIVE: "set[_Child]" = set()          # children whose process group must end with this process
_ACTIVE_LOCK = threading.Lock()
_HANDLERS: Dict[int, Any] = {}           # signal -> the handler we replaced


def _group_members(pgid: int) -> List[int]:
    """PIDs of the live (not zombie) processes in process group ``pgid`` (Linux /proc; [] elsewhere)."""
    members = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return members
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[0] != b"Z" and int(fields[2]) == pgid:
            members.append(int(name))
    return members


def _end_all(signum: int = 0) -> None:
    """Kill every running workload's process group (signal handlers, exit)."""
    with _ACTIVE_LOCK:
        children = list(_ACTIVE)
    for child in children:
        child.kill()


def _forward(signum: int, frame: Any) -> None:
    """SIGTERM/SIGHUP of pytest: end the workloads first, then let the signal do what it did before."""
    _end_all(signum)
    previous = _HANDLERS.get(signum, signal.SIG_DFL)
    signal.signal(signum, previous)
    if callable(previous):
        previous(signum, frame)
    else:
        os.kill(os.getpid(), signum)


def _install_forwarding() -> None:
    if os.name != "posix" or threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signum not in _HANDLERS:
            try:
                _HANDLERS[signum] = signal.signal(signum, _forward)
            except (ValueError, OSError):
                pass


atexit.register(_end_all)


class _Child:
    """A started script: readers for both pipes, a reaper that keeps its rusage, its own process group.

    The script runs in a new session, so a terminal's Ctrl-C reaches pytest only; pytest's
    KeyboardInterrupt, SIGTERM, SIGHUP and its exit end the whole group (``_ACTIVE``), and
    ``finish`` ends it after every run, so nothing a workload started outlives it.
    """

    def __init__(self, argv: List[str], env: Dict[str, str], cwd: str,
                 on_epoch: Optional[Callable[[Dict[str, Any]], None]] = None, serve: bool = False):
        kwargs: Dict[str, Any] = {}
        if os.name == "posix":
            kwargs["start_new_session"] = True   # its own group: ending the group ends its helpers too
        _install_forwarding()
        self.start = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE if serve else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd, bufsize=0, **kwargs)
        self.pgid = self.proc.pid if os.name == "posix" else None
        with _ACTIVE_LOCK:
            _ACTIVE.add(self)
        self.epochs: List[Dict[str, Any]] = []
        self.stdout_tail: deque = deque(maxlen=TAIL_LINES)
        self.stderr_tail: deque = deque(maxlen=TAIL_LINES)
        self.signals: List[str] = []
        self.pending: deque = deque()
        self.messages: "queue.Queue[Dict[str, Any]]" = queue.Queue()
        self.dropped_bytes = 0
        self.status: Optional[int] = None
        self.rusage: Any = None
        self.wall: Optional[float] = None
        self.peak_rss_mb: Optional[float] = None   # sampled from /proc (the child's own memory)
        self.own_peak_mb: Optional[float] = None   # the script's VmHWM at exit (_peak.py)
        self.leftovers = 0
        self.done = threading.Event()
        self._on_epoch = on_epoch
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._read, args=(self.proc.stdout, True), daemon=True),
                        threading.Thread(target=self._read, args=(self.proc.stderr, False), daemon=True),
                        threading.Thread(target=self._reap, daemon=True)]
        for t in self.threads:
            t.start()

    # -- output -----------------------------------------------------------------------
    def _lines(self, stream: Any) -> Any:
        """Decoded lines of at most MAX_LINE bytes; what lies beyond is counted, not kept."""
        while True:
            raw = stream.readline(MAX_LINE + 1)
            if not raw:
                return
            if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
                raw = raw[:MAX_LINE]
                while True:  # drop the rest of this line without holding it
                    rest = stream.readline(1 << 16)
                    if not rest:
                        break
                    with self._lock:
                        self.dropped_bytes += len(rest)
                    if rest.endswith(b"\n"):
                        break
            yield raw.decode("utf-8", errors="replace").rstrip("\r\n")

    def _read(self, stream: Any, is_stdout: bool) -> None:
        # buffered: an unbuffered pipe's readline reads one byte per system call (~2 MB/s)
        stream = io.BufferedReader(stream, 1 << 16) if isinstance(stream, io.RawIOBase) else stream
        for line in self._lines(stream):
            epoch = parse_epoch_line(line) if is_stdout else None
            message = _protocol_message(line) if epoch is None and (is_stdout or line.startswith(PEAK_PREFIX)) else None
            if message is not None and message["kind"] == "peak":
                kb = message.get("kb")
                if isinstance(kb, int) and kb > 0:
                    self.own_peak_mb = round(kb / 1024.0, 1)
                continue
            with self._lock:
                if epoch is not None:
                    self.epochs.append(epoch)
                elif message is None:
                    (self.stdout_tail if is_stdout else self.stderr_tail).append(line[:500])
                    for s in signal_table.scan([line]):
                        if s not in self.signals and len(self.signals) < MAX_SIGNALS:
                            self.signals.append(s)
            if epoch is not None:
                self.pending.append(epoch)  # shown by the caller's thread (terminal output is not thread-safe)
            if message is not None:
                self.messages.put(message)
        self.messages.put({"kind": "eof", "stdout": is_stdout})

    def _reap(self) -> None:
        if hasattr(os, "wait4"):
            _, status, self.rusage = os.wait4(self.proc.pid, 0)
            self.status = os.waitstatus_to_exitcode(status)
            self.proc.returncode = self.status  # reaped here; keep Popen from waiting again
        else:  # Windows: no rusage of a child without extra packages
            self.status = self.proc.wait()
        self.wall = time.perf_counter() - self.start
        self.done.set()

    def _sample_memory(self) -> None:
        """The child's own high-water mark (VmHWM), read while it runs: rusage would add pytest's."""
        try:
            with open(f"/proc/{self.proc.pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        value = round(int(line.split()[1]) / 1024.0, 1)
                        self.peak_rss_mb = max(self.peak_rss_mb or 0.0, value)
                        return
        except (OSError, ValueError, IndexError):
            pass

    # -- control ----------------------------------------------------------------------
    def request(self, line: str, timeout: float) -> Optional[Dict[str, Any]]:
        """Send one command line (``--serve`` mode) and wait for the script's answer."""
        try:
            self.proc.stdin.write((line.rstrip("\n") + "\n").encode())
            self.proc.stdin.flush()
        except (OSError, ValueError):
            return None
        return self.wait_message(timeout)

    def wait_message(self, timeout: float) -> Optional[Dict[str, Any]]:
        """The next protocol message (READY, ROUND); None when the script ended or ``timeout`` passed."""
        deadline = time.perf_counter() + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                return None
            try:
                message = self.messages.get(timeout=min(0.25, left))
            except queue.Empty:
                self._sample_memory()
                self._show_progress()
                if self.done.is_set() and self.messages.empty():
                    return None
                continue
            if message.get("kind") == "eof":
                if message.get("stdout"):
                    return None
                continue
            return message

    def pause(self) -> None:
        """Stop the whole group between its rounds, so its idle threads (OpenBLAS spins) cannot slow the other side."""
        self._signal_group(getattr(signal, "SIGSTOP", None))

    def resume(self) -> None:
        self._signal_group(getattr(signal, "SIGCONT", None))

    def _signal_group(self, signum: Optional[int]) -> None:
        if signum is None or self.pgid is None or self.done.is_set():
            return
        try:
            os.killpg(self.pgid, signum)
        except (ProcessLookupError, PermissionError, OSError):
            pass

    def kill(self) -> None:
        try:
            if self.pgid is not None:
                os.killpg(self.pgid, getattr(signal, "SIGCONT"))  # a stopped group must wake to die
                os.killpg(self.pgid, signal.SIGKILL)
            else:
                self.proc.kill()
        except (ProcessLookupError, PermissionError, OSError):
            pass

    def finish(self, timeout: float) -> bool:
        """Wait up to ``timeout`` for the script to exit (killed on expiry), then end its group. True if it timed out."""
        self.resume()
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass
        deadline = time.perf_counter() + timeout
        try:
            while not self.done.is_set() and time.perf_counter() < deadline:
                self.done.wait(min(0.25, max(deadline - time.perf_counter(), 0.0)))
                self._sample_memory()
                self._show_progress()
        except BaseException:  # Ctrl-C while waiting: the workload ends with us
            self.kill()
            raise
        timed_out = not self.done.is_set()
        if timed_out:
            self.kill()
            self.done.wait(30)
        self._end_group()
        for t in self.threads[:2]:
            t.join(5)  # the pipes close once nothing of the group is left
        self._show_progress()
        with _ACTIVE_LOCK:
            _ACTIVE.discard(self)
        return timed_out

    def _end_group(self) -> None:
        """After the script exits, whatever it left running in its group is stopped and counted."""
        if self.pgid is None:
            return
        left = [pid for pid in _group_members(self.pgid) if pid != self.proc.pid]
        self.leftovers = len(left)
        try:
            os.killpg(self.pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass

    def _show_progress(self) -> None:
        while self.pending:
            epoch = self.pending.popleft()
            if self._on_epoch is not None:
                try:
                    self._on_epoch(epoch)
                except Exception:  # progress display must never break a run
                    pass


def _protocol_message(line: str) -> Optional[Dict[str, Any]]:
    """``DLREADY-READY {...}`` / ``DLREADY-ROUND {...}`` -> dict with ``kind``; None for any other line."""
    for prefix, kind in ((READY_PREFIX, "ready"), (ROUND_PREFIX, "round"), (PEAK_PREFIX, "peak")):
        if line.startswith(prefix):
            try:
                data = json.loads(line[len(prefix):])
            except ValueError:
                return None
            if not isinstance(data, dict):
                return None
            if kind == "round":
                try:
                    data["seconds"] = float(data["seconds"])
                    data["steps"] = int(data.get("steps", 1))
                except (KeyError, TypeError, ValueError):
                    return None
                if not (0 <= data["seconds"] < float("inf")) or data["steps"] < 1:
                    return None
            data["kind"] = kind
            return data
    return None


def _start(spec: WorkloadSpec, on_epoch: Optional[Callable[[Dict[str, Any]], None]], base_env: Optional[Mapping[str, str]],
           serve: bool) -> Tuple[Optional[_Child], str, str, str]:
    """(child, workdir, result path, error) for a started script."""
    workdir = tempfile.mkdtemp(prefix="dlready-run-")
    result_path = os.path.join(workdir, "result.json")
    # on Linux through _peak.py, which reports the script's own peak memory (wait4 cannot, see there)
    wrap = [script_path("_peak.py")] if os.path.isfile("/proc/self/status") else []
    argv = ([spec.python] + wrap + [spec.script, "--result", result_path] + [str(a) for a in spec.args]
            + (["--serve"] if serve else []))
    try:
        env = build_env(spec, workdir, base_env)
        return _Child(argv, env, workdir, on_epoch, serve=serve), workdir, result_path, ""
    except (OSError, ValueError) as exc:
        _cleanup(workdir)
        return None, workdir, result_path, f"{spec.label} could not start {spec.python}: {exc}"


def _result(spec: WorkloadSpec, child: _Child, result_path: str, workdir: str, timed_out: bool, timeout: float) -> RunResult:
    """What a finished child gave: its result file, the runner's own measurements, the error if any."""
    result = RunResult(workload=spec.workload, backend=spec.backend, device=spec.device)
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
    # the child's own peak: what the script says of itself, else what was sampled while it ran;
    # wait4's ru_maxrss is only an upper bound (it counts the pytest the child was forked from)
    reported = result.extra.get("peak_rss_mb")
    if isinstance(reported, (int, float)) and reported > 0:
        result.peak_rss_mb, source = float(reported), "script"
    elif child.own_peak_mb:
        result.peak_rss_mb, source = child.own_peak_mb, "VmHWM at exit"
    elif child.peak_rss_mb:
        result.peak_rss_mb, source = child.peak_rss_mb, "sampled"
    elif child.rusage is not None:
        scale = 1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0  # bytes on macOS, KiB on Linux
        result.peak_rss_mb, source = round(child.rusage.ru_maxrss / scale, 1), "rusage (upper bound)"
    else:
        source = ""
    result.extra["peak_rss_source"] = source
    result.stderr_tail = [ln[:500] for ln in list(child.stderr_tail)[-STDERR_TAIL:]]
    result.signals = list(dict.fromkeys(list(data.get("signals", [])) + child.signals))[:MAX_SIGNALS]
    result.extra["returncode"] = child.status
    if spec.threads_note:
        result.extra["threads_note"] = spec.threads_note
    if child.leftovers:
        result.extra["leftover_processes"] = child.leftovers
    if child.dropped_bytes:
        result.extra["output_dropped_bytes"] = child.dropped_bytes
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
    elif not result.epoch_seconds and not result.extra.get("rounds_served"):
        result.ok = False
        result.error = f"{spec.label} finished without timing a single epoch{last}"
    return result


def run(spec: WorkloadSpec, timeout: float, on_epoch: Optional[Callable[[Dict[str, Any]], None]] = None,
        base_env: Optional[Mapping[str, str]] = None) -> RunResult:
    """Run ``spec`` to completion (or ``timeout`` seconds) and return what happened; never raises."""
    child, workdir, result_path, error = _start(spec, on_epoch, base_env, serve=False)
    if child is None:
        return RunResult(workload=spec.workload, backend=spec.backend, device=spec.device, ok=False, error=error)
    timed_out = child.finish(timeout)
    return _result(spec, child, result_path, workdir, timed_out, timeout)


class Worker:
    """A script in ``--serve`` mode: set up once, then timed rounds on request (``measure`` drives it).

    ``start`` waits for the script's READY line; ``round`` runs one block of steps and returns
    the script's own measurement; ``close`` ends it and gives the ``RunResult``. Between its
    rounds the worker is paused (SIGSTOP on POSIX), so it cannot disturb the other side.
    """

    def __init__(self, spec: WorkloadSpec, timeout: float, base_env: Optional[Mapping[str, str]] = None) -> None:
        self.spec = spec
        self.timeout = timeout
        self.deadline = time.perf_counter() + timeout
        self.rounds: List[Dict[str, Any]] = []
        self.error = ""
        self.child, self.workdir, self.result_path, self.error = _start(spec, None, base_env, serve=True)
        self.ready = False
        self._closed: Optional[RunResult] = None

    def start(self) -> bool:
        """Wait for the script to be set up (imports, data, device); False when it ended instead."""
        if self.child is None:
            return False
        message = self.child.wait_message(max(self.deadline - time.perf_counter(), 0.1))
        self.ready = bool(message and message.get("kind") == "ready")
        return self.ready

    def round(self, steps: int, batch: int, timeout: Optional[float] = None) -> Optional[Dict[str, Any]]:
        """One timed block of ``steps`` minibatches of ``batch``; None when the script failed or hung."""
        if not self.ready or self.child is None:
            return None
        left = max(self.deadline - time.perf_counter(), 0.0)
        self.child.resume()
        try:
            answer = self.child.request(f"ROUND {int(steps)} {int(batch)}", min(left, timeout) if timeout else left)
        finally:
            self.child.pause()
        if answer is None or answer.get("kind") != "round":
            self.ready = False
            return None
        self.rounds.append(answer)
        return answer

    def close(self) -> RunResult:
        """End the script (``END``) and return its ``RunResult`` with every round it served."""
        if self._closed is not None:
            return self._closed
        if self.child is None:
            self._closed = RunResult(workload=self.spec.workload, backend=self.spec.backend, device=self.spec.device,
                                     ok=False, error=self.error)
            return self._closed
        if self.ready:
            self.child.resume()
            try:
                self.child.proc.stdin.write(b"END\n")
                self.child.proc.stdin.flush()
            except (OSError, ValueError):
                pass
        timed_out = self.child.finish(max(min(60.0, self.deadline - time.perf_counter()), 5.0))
        result = _result(self.spec, self.child, self.result_path, self.workdir, timed_out, self.timeout)
        result.extra["rounds"] = list(self.rounds)
        if self.rounds and result.ok is not False and not result.error:
            result.ok = True
        elif not self.rounds and result.ok and not result.error:
            result.ok = False
            result.error = f"{self.spec.label} set up but timed no round"
        self._closed = result
        return result

    def __enter__(self) -> "Worker":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._closed is None and self.child is not None:
            if exc and exc[0] is not None:
                self.child.kill()
            self.close()


def _last_words(tail: Sequence[str]) -> str:
    lines = [ln.strip() for ln in tail if ln.strip()]
    return f"; stderr ends: {' | '.join(lines[-3:])[:400]}" if lines else ""


def _cleanup(workdir: str) -> None:
    import shutil

    shutil.rmtree(workdir, ignore_errors=True)
