"""Run a device-route script in a child Python and read back its one JSON line.

Driver libraries can hang (a wedged GPU, a half-installed driver, an OpenCL ICD that
waits forever), and frameworks print to stdout and crash interpreters. Each route
therefore runs as ``<python> <script> [args]`` through ``runner.run`` with a timeout:
a hang becomes a timed-out record, a segfault a return code, never a dead session.

Route scripts (``nvml.py``, ``opencl.py``, ``frameworks.py`` in this folder) are run
by path, import nothing from ``pytest_dlready`` in the child, first drop their own
folder from ``sys.path`` (``probes/cuda.py`` would otherwise shadow the ``cuda``
package of cuda-python) and print ``DLREADY-ROUTE {json}`` as their last line.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import Any, Optional, Sequence, Tuple

from . import runner

MARKER = "DLREADY-ROUTE "
HERE = os.path.dirname(os.path.abspath(__file__))


def script_path(name: str) -> str:
    return os.path.join(HERE, name)


def read_result(stdout: str) -> Optional[dict]:
    """The last ``DLREADY-ROUTE`` line's JSON object, or None (never raises)."""
    for line in reversed(str(stdout or "").splitlines()):
        if line.startswith(MARKER):
            try:
                data = json.loads(line[len(MARKER):])
            except ValueError:
                return None
            return data if isinstance(data, dict) else None
    return None


def run_route(script: str, args: Sequence[str] = (), timeout: float = 20.0,
              python: Optional[str] = None, env: Optional[dict] = None) -> Tuple[dict, dict]:
    """(result dict, command record dict); a failed child gives ``{"error": {...}}``."""
    argv = [python or sys.executable, script_path(script), *args]
    child_env = dict(os.environ if env is None else env)
    child_env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    # a neutral cwd: the child must not pick up modules from where pytest was started
    record = runner.run(argv, timeout=timeout, env=child_env, cwd=tempfile.gettempdir())
    data = read_result(record.stdout)
    if data is None:
        if record.timed_out:
            why = f"the {script} route timed out after {timeout:g} s (a hung driver or library)"
            kind = "timeout"
        elif record.error:
            why, kind = f"could not start the {script} route: {record.error}", "start-failed"
        else:
            tail = " | ".join((record.stderr or record.stdout or "").strip().splitlines()[-3:])
            why = f"the {script} route exited {record.returncode} without a result: {tail or 'no output'}"
            kind = "crashed"
        data = {"available": False, "error": {"kind": kind, "message": why}}
    rec = record.to_dict()
    # keep the snapshot small: the result already carries what the stdout said
    rec["stdout"] = rec["stdout"][-2000:]
    rec["stderr"] = rec["stderr"][-4000:]
    return data, rec


def describe(data: Any) -> str:
    """One line for a route result's error, for summaries."""
    err = data.get("error") if isinstance(data, dict) else None
    if isinstance(err, dict):
        return str(err.get("message") or err.get("kind") or "failed")
    return ""
