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


def write_result(path, result):
    """Write the result JSON next to its final name first, so the runner never reads half a file."""
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
