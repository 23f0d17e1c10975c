"""No parser pattern backtracks: every compiled regex of the parsers, timed on hostile lines.

Blind round 9 found a row pattern that took more than 30 minutes on a 438-byte Chainer report
(cells and separators that could overlap). bench_parsers.py times whole parsers on megabytes of
text; this one times each pattern alone on lines built to make patterns backtrack -- table rows
with wide and odd gaps, one token repeated to the line cap, random mixes of the tokens the
patterns look for -- and prints the slowest patterns with their worst time and the ratio of that
time to the time a plain linear scan (``str.count``) of the same line takes.

    python benchmarks/bench_regex_worst_case.py

Exits 1 when any pattern takes longer than MAX_SECONDS on one line (a line is capped at
``common.MAX_LINE`` characters before any pattern sees it), or does not finish in TIMEOUT.
"""
from __future__ import annotations

import importlib
import random
import re
import signal
import sys
import time
from typing import Iterator, List, Tuple

from pytest_dlready.parsers import common

MODULES = ("common", "devicequery", "bandwidthtest", "nvidia_smi", "nvcc", "macos", "logs", "framework_log",
           "log_banners", "signals", "identify")
#: one line may cost this much for one pattern (a normal line costs microseconds; the Chainer row took minutes)
MAX_SECONDS = 0.25
TIMEOUT = 5.0
PIECES = ("1", "356", "31.2785", "main/loss", "|", "a", "x.cc:1]", "Epoch", "epoch", "GPU", "name:", "0:00:01", "[", "(",
          "=", ",", "-", "loss:", "MiB", "CUDA:0", "torch-2.1", "Device:", ":", "/", "'epoch':", "#1/2", "%", "it/s",
          "Result = ", "sm_86", "libcudnn.so.8", "0000:01:00.0", "N/A", "Default", "     ")
GAPS = (" ", "   ", "             ", "\t", "  |  ", "", ", ", " - ")


def patterns() -> Iterator[Tuple[str, "re.Pattern[str]"]]:
    """Every compiled pattern the parser modules hold, alone or inside their rule tables."""
    seen = set()

    def walk(name: str, value: object, depth: int = 0) -> Iterator[Tuple[str, "re.Pattern[str]"]]:
        if isinstance(value, re.Pattern):
            if id(value) not in seen:
                seen.add(id(value))
                yield name, value
        elif isinstance(value, (list, tuple)) and depth < 3:
            for i, item in enumerate(value):
                yield from walk(f"{name}[{i}]", item, depth + 1)
        elif hasattr(value, "pattern") and isinstance(getattr(value, "pattern"), re.Pattern) and depth < 3:
            yield from walk(f"{name}.pattern", getattr(value, "pattern"), depth + 1)

    for module_name in MODULES:
        module = importlib.import_module(f"pytest_dlready.parsers.{module_name}")
        for attr, value in vars(module).items():
            yield from walk(f"{module_name}.{attr}", value)


def hostile_lines(seed: int = 5) -> List[str]:
    rng = random.Random(seed)
    cap = common.MAX_LINE
    lines = ["".join(rng.choice(PIECES) + rng.choice(GAPS) for _ in range(rng.randint(10, 150)))[:cap]
             for _ in range(300)]
    for piece in PIECES:
        for gap in GAPS:
            unit = piece + gap
            lines.append((unit * (cap // max(1, len(unit)) + 1))[:cap])
    # the row that once took > 30 min, widened
    lines.append("1" + "".join(" " * (3 + i % 9) + ("31.2785" if i % 2 else "main/loss") for i in range(60))[:cap] + " ")
    return lines


class _Timeout(Exception):
    pass


def _alarm(*_args: object) -> None:
    raise _Timeout()


def main() -> int:
    lines = hostile_lines()
    can_stop = hasattr(signal, "setitimer")
    if can_stop:
        signal.signal(signal.SIGALRM, _alarm)
    results = []
    for name, pattern in patterns():
        worst, worst_line = 0.0, ""
        for line in lines:
            start = time.perf_counter()
            if can_stop:
                signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
            try:
                pattern.search(line)
                pattern.match(line)
            except _Timeout:
                worst, worst_line = float("inf"), line
                break
            finally:
                if can_stop:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            took = time.perf_counter() - start
            if took > worst:
                worst, worst_line = took, line
        scan_start = time.perf_counter()
        for _ in range(10):
            worst_line.count("x")
        scan = max((time.perf_counter() - scan_start) / 10, 1e-7)
        results.append((worst, name, worst / scan, worst_line))
    results.sort(reverse=True)
    print(f"{len(results)} patterns x {len(lines)} hostile lines (<= {common.MAX_LINE} chars each)")
    print(f"{'worst s':>9} {'x linear scan':>14}  pattern")
    for worst, name, ratio, _line in results[:12]:
        print(f"{worst:9.4f} {ratio:14.0f}  {name}")
    missed = [(worst, name, line) for worst, name, _r, line in results if worst > MAX_SECONDS]
    for worst, name, line in missed:
        print(f"MISSED {name}: {worst:.2f} s on {line[:80]!r}...")
    print(f"target: every pattern <= {MAX_SECONDS} s per line: " + ("OK" if not missed else f"MISSED ({len(missed)})"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
