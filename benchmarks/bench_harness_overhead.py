"""P3: what the workload runner itself costs -- wall time around the same script, bare vs through ``runner.run``.

The same DBN script (numpy, the readiness batch, fixed BLAS threads) is run alternately as a
bare ``subprocess.run`` and through ``runner.run`` (isolated environment, process group,
binary pipes with line caps, memory sampling, leftover reaping), and the wall time *around
each call* is compared -- the runner's own cost, not the child's epoch noise. Targets: the
ratio of medians runner/bare <= 1.05, i.e. the runner adds under 5 % to a short run.

    python benchmarks/bench_harness_overhead.py [--pairs 10]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pytest_dlready.workloads import registry, runner  # noqa: E402
from pytest_dlready.workloads.protocol import WorkloadSpec, script  # noqa: E402

TARGET = 1.05
ARGS = ["--backend", "numpy", "--samples", "4096", "--epochs", "3", "--batch-size", "1024"]
THREADS = {v: "1" for v in registry.THREAD_VARS}


def bare() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, **THREADS)
        start = time.perf_counter()
        subprocess.run([sys.executable, script("dbn.py"), "--result", os.path.join(tmp, "r.json")] + ARGS, env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start


def harnessed() -> float:
    spec = WorkloadSpec(registry.DBN, "numpy", "cpu", script("dbn.py"), ARGS, env=dict(THREADS))
    start = time.perf_counter()
    res = runner.run(spec, timeout=300)
    wall = time.perf_counter() - start
    if not res.ok:
        raise SystemExit(res.error)
    return wall


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=10)
    opts = ap.parse_args()
    b, h = [], []
    bare(), harnessed()  # first-use costs (page cache, bytecode) on neither side
    for i in range(opts.pairs):
        for fn in ((bare, harnessed) if i % 2 == 0 else (harnessed, bare)):  # ABBA: drift hits both
            (b if fn is bare else h).append(fn())
    mb, mh = statistics.median(b), statistics.median(h)
    print(f"dbn.py numpy, {' '.join(ARGS[2:])}, 1 BLAS thread, {opts.pairs} alternating pairs")
    print(f"  bare subprocess : median {mb:.3f} s  {[round(v, 3) for v in b]}")
    print(f"  runner.run      : median {mh:.3f} s  {[round(v, 3) for v in h]}")
    print(f"  P3 ratio runner/bare = {mh / mb:.3f} (target <= {TARGET}); the runner adds {1e3 * (mh - mb):.0f} ms: "
          + ("OK" if mh / mb <= TARGET else "MISSED"))
    return 0 if mh / mb <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
