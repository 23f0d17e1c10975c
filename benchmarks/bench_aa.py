"""A/A false-verdict rate: the CPU baseline measured against itself must never read faster or slower.

Runs the quick tier's interleaved measurement (``workloads.measure.compare`` with the quick
plan, the DBN at the readiness batch, the BLAS threads the registry chooses) of the numpy
baseline against a second copy of itself N times, and judges each with the verdict's own
statistics. Target: 0 of 20 comparisons claim a difference. Prints each interval, the
noise floor, and the rate.

    python benchmarks/bench_aa.py [--runs 20]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pytest_dlready.checks import speedup, speedup_stats as stats  # noqa: E402
from pytest_dlready.workloads import measure, registry  # noqa: E402
from pytest_dlready.workloads.protocol import WorkloadSpec, script  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--tier", default="quick")
    opts = ap.parse_args()
    facts = {"host": {"cpu": {"usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()}},
             "env": {"vars": {k: v for k, v in os.environ.items() if k in registry.THREAD_VARS}}}
    env, threads, note = registry.cpu_threads(facts)
    spec = WorkloadSpec(registry.DBN, "numpy", "cpu", script("dbn.py"), registry.dbn_args(opts.tier, "numpy"),
                        env=env, measure_batch=registry.READINESS_BATCH, threads_note=note)
    plan = measure.plan_for(opts.tier)
    samples = registry.READINESS_SAMPLES[opts.tier]
    claims, floors = 0, []
    print(f"A/A: numpy DBN at batch {registry.READINESS_BATCH}, {threads} BLAS threads ({note}), plan {opts.tier}")
    for i in range(opts.runs):
        start = time.perf_counter()
        _a, b = measure.compare(spec, spec, plan, registry.READINESS_BATCH, samples, 300, lambda main: False)
        (row,) = speedup.judge_aa(b)
        iv = stats.from_dict(((b.extra.get("measurement") or {}).get("main") or {}).get("interval"))
        if iv is None:
            print(f"  run {i + 1}: no interval ({row.message})")
            claims += 1
            continue
        result = stats.outcome(iv)
        floors.append(stats.noise_floor(iv))
        claims += result in (stats.FASTER, stats.SLOWER)
        print(f"  run {i + 1}: {iv.ratio:.3f}x (95 % CI {iv.lo:.3f}-{iv.hi:.3f}, {iv.n} rounds) -> {result:12s} "
              f"{row.status.value.upper()} ({time.perf_counter() - start:.1f} s)")
    floors.sort()
    print(f"A/A false verdicts: {claims} of {opts.runs} (target 0); noise floor median "
          f"±{floors[len(floors) // 2] * 100 if floors else float('nan'):.1f} %, worst ±{floors[-1] * 100 if floors else float('nan'):.1f} % "
          f"(a difference is claimed only beyond ±{stats.MARGIN:.0%})")
    return 0 if claims == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
