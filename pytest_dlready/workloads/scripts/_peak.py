"""Run a workload script and say its own peak memory when it ends (Python 2.7 and 3).

``python _peak.py SCRIPT ARGS...`` runs SCRIPT as ``__main__`` and, at exit, prints
``DLREADY-PEAK {"kb": N}`` on stderr with this process's VmHWM. The runner cannot take it
from ``wait4``: a child's ru_maxrss counts the pytest it was forked from (Linux records the
parent's high-water mark at exec), so a 15 MB script under a 600 MB pytest would read 615 MB.
"""
import atexit
import os
import runpy
import sys


def _peak():
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    sys.stderr.write('DLREADY-PEAK {"kb": %d}\n' % int(line.split()[1]))
                    sys.stderr.flush()
                    return
    except Exception:
        pass


if __name__ == "__main__":
    script = os.path.abspath(sys.argv[1])
    sys.argv = sys.argv[1:]
    sys.path[0] = os.path.dirname(script)
    atexit.register(_peak)
    runpy.run_path(script, run_name="__main__")
