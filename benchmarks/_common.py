"""Helpers shared by the benchmark scripts: side-by-side interleaved timing of commands."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Sequence


def time_command(argv: Sequence[str], cwd: str | None = None, env: Dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(list(argv), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def interleaved(commands: Dict[str, Sequence[str]], repeats: int, cwd: str | None = None) -> Dict[str, List[float]]:
    """Run each command once per round, alternating, so VM noise hits all sides alike."""
    times: Dict[str, List[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, argv in commands.items():
            times[name].append(time_command(argv, cwd=cwd))
    return times


def describe(name: str, samples: List[float]) -> str:
    return f"{name}: median {statistics.median(samples):.3f} s (min {min(samples):.3f}, max {max(samples):.3f}, n={len(samples)})"


PYTHON = sys.executable
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
