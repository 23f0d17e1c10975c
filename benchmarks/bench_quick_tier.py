"""P1: wall time of `pytest --dlready` (quick tier) on this machine, from an unrelated folder.

Target: <= 20 s. Prints the median over repeats and its ratio to the target.
Usage: python benchmarks/bench_quick_tier.py [repeats]
"""
from __future__ import annotations

import statistics
import sys
import tempfile

from _common import PYTHON, describe, interleaved

TARGET_S = 20.0


def main() -> int:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory() as folder:
        times = interleaved({"pytest --dlready": [PYTHON, "-m", "pytest", "--dlready", "-q", "-p", "no:cacheprovider"]},
                            repeats, cwd=folder)
    samples = times["pytest --dlready"]
    median = statistics.median(samples)
    print(describe("pytest --dlready (quick tier)", samples))
    print(f"P1 ratio median/target = {median / TARGET_S:.2f} (target <= 1.00, i.e. <= {TARGET_S:.0f} s): "
          + ("OK" if median <= TARGET_S else "OVER"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
