"""P2: cost of having pytest-dlready installed on a plain pytest run (no --dlready).

Runs the same selection of this project's tests with the plugin and with `-p no:dlready`,
interleaved round by round, and prints the ratio of medians. Target: <= 1.02.
Usage: python benchmarks/bench_plugin_overhead.py [repeats]
"""
from __future__ import annotations

import glob
import os
import statistics
import sys

from _common import PYTHON, ROOT, describe, interleaved

# The project's unit tests that need no dlready fixture (parsers, checks, verdict, logs), so both
# sides run the same 250-odd tests; hypothesis is seeded so both sides draw the same examples.
SELECTION = ["tests/test_parsers_*.py", "tests/test_checks_recorded.py", "tests/test_catalogue.py",
             "tests/test_logs.py", "tests/test_verdict.py"]
TARGET = 1.02


def main() -> int:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    selection = sorted(os.path.relpath(p, ROOT) for pattern in SELECTION for p in glob.glob(os.path.join(ROOT, pattern)))
    base = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-seed=0"] + selection
    times = interleaved({"with plugin": base, "-p no:dlready": base + ["-p", "no:dlready"]}, repeats, cwd=ROOT)
    for name, samples in times.items():
        print(describe(name, samples))
    ratio = statistics.median(times["with plugin"]) / statistics.median(times["-p no:dlready"])
    print(f"P2 ratio with/without = {ratio:.3f} (target <= {TARGET}): " + ("OK" if ratio <= TARGET else "OVER"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
