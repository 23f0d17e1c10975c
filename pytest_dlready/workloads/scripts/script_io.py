"""The workload side of the script protocol: epoch lines on stdout, one JSON result file.

Workload scripts run in the *target* environment, which may be Python 2.7 without
pytest-dlready installed, so they load this file by path (``load_sibling``) and it
stays 2.7-compatible (no f-strings, no annotations, standard library only).
See docs/ARCHITECTURE.md, "Workload script protocol".
"""
from __future__ import absolute_import, division, print_function

import json
import os
import sys

EPOCH_PREFIX = "DLREADY-EPOCH "
#: ``--serve`` mode: the script says it is set up, then answers ``ROUND <steps> [<batch>]`` lines on stdin
READY_PREFIX = "DLREADY-READY "
ROUND_PREFIX = "DLREADY-ROUND "
#: Exit status of a script whose backend or device is not available here (a skip, not a crash).
EXIT_UNAVAILABLE = 3


def load_sibling(name):
    """Import ``<this folder>/<name>.py`` under a private name, on Python 2.7 and 3."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py")
    modname = "_dlready_workload_" + name
    if modname in sys.modules:
        return sys.modules[modname]
    try:
        import importlib.util

        spec = importlib.util.spec_from_file_location(modname, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[modname] = module
        spec.loader.exec_module(module)
    except ImportError:  # Python 2.7
        import imp

        module = imp.load_source(modname, path)
    return module


def emit_epoch(epoch, seconds, loss=None, **extra):
    """Print one flushed progress line the runner reads while the script is still running."""
    record = {"epoch": int(epoch), "seconds": float(seconds)}
    if loss is not None:
        record["loss"] = float(loss)
    record.update(extra)
    sys.stdout.write(EPOCH_PREFIX + json.dumps(record, sort_keys=True) + "\n")
    sys.stdout.flush()


def die_with_parent():
    """Linux: be killed if the runner dies (a SIGKILLed pytest must not leave training running)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the runner died before the line above ran
            os._exit(1)
    except Exception:  # best effort: the runner also ends the whole process group
        pass


def peak_rss_mb():
    """This process's own peak resident memory (VmHWM), or None.

    Not ``getrusage``: on Linux that high-water mark also counts the memory of the process
    this one was forked from before it exec'd (a 15 MB script under a 600 MB pytest reads 615 MB).
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024.0, 1)
    except (IOError, OSError, ValueError, IndexError):
        pass
    return None


def _cpu_seconds():
    """User + system CPU seconds of this process (getrusage: microseconds; os.times ticks at 10 ms)."""
    try:
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    except (ImportError, AttributeError, OSError):
        times = os.times()
        return times[0] + times[1]


def serve(path, result, run_round, stdin=None):
    """Answer timing rounds until ``END``: the protocol of interleaved CPU/GPU measurement.

    Prints ``DLREADY-READY {...}`` once set up, then for each ``ROUND <steps> [<batch>]`` line
    calls ``run_round(steps, batch)`` (which returns at least ``seconds``, measured around
    synchronised work) and prints ``DLREADY-ROUND {...}`` with this process's own CPU seconds
    for the round added; ``END`` (or end of input) writes the result file and returns.
    """
    stdin = stdin or sys.stdin
    default_batch = int(result.get("batch_size") or 64)
    sys.stdout.write(READY_PREFIX + json.dumps({"pid": os.getpid()}, sort_keys=True) + "\n")
    sys.stdout.flush()
    rounds = 0
    while True:
        line = stdin.readline()
        if not line:
            break
        words = line.split()
        if not words or words[0] == "END":
            break
        if words[0] != "ROUND":
            continue
        steps = max(1, int(words[1])) if len(words) > 1 else 1
        batch = max(1, int(words[2])) if len(words) > 2 else default_batch
        cpu0 = _cpu_seconds()
        record = dict(run_round(steps, batch))
        record.update(steps=steps, batch=batch, cpu_s=round(_cpu_seconds() - cpu0, 6), round=rounds)
        rounds += 1
        sys.stdout.write(ROUND_PREFIX + json.dumps(record, sort_keys=True) + "\n")
        sys.stdout.flush()
    extra = dict(result.get("extra") or {})
    extra["rounds_served"] = rounds
    extra["peak_rss_mb"] = peak_rss_mb()
    result = dict(result, extra=extra)
    write_result(path, result)


def write_result(path, result):
    """Write the result JSON next to its final name first, so the runner never reads half a file."""
    extra = result.get("extra")
    if isinstance(extra, dict) and "peak_rss_mb" not in extra:
        extra["peak_rss_mb"] = peak_rss_mb()
    tmp = path + ".part"
    with open(tmp, "w") as fh:
        json.dump(result, fh, sort_keys=True, default=str)
    if os.path.exists(path):  # os.replace is Python 3 only
        os.remove(path)
    os.rename(tmp, path)


def unavailable(path, result, reason):
    """Record that the requested backend/device is not available, then exit with EXIT_UNAVAILABLE."""
    result = dict(result)
    result["ok"] = False
    result["error"] = reason
    extra = dict(result.get("extra") or {})
    extra["unavailable"] = True
    result["extra"] = extra
    write_result(path, result)
    sys.stderr.write("dlready: unavailable: %s\n" % reason)
    sys.exit(EXIT_UNAVAILABLE)


def cpu_name():
    """The CPU's marketing name: what a CPU run reports as its device."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except (IOError, OSError):
        pass
    import platform

    return platform.processor() or platform.machine()


def add_dbn_arguments(ap):
    """The seed DBN's size and nolearn settings, shared by dbn.py and dbn_legacy.py so they cannot drift."""
    ap.add_argument("--samples", type=int, default=46900)
    ap.add_argument("--epochs", type=int, default=10, help="epochs in all, warm-up included")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--learn-rate", type=float, default=0.3)
    ap.add_argument("--decay", type=float, default=0.9)
    ap.add_argument("--seed", type=int, default=0)
