"""P5: how repeatable the speedup verdict is at the quick tier's real settings.

Runs ``pytest --dlready --dlready-backends=pyopencl -k training`` (the PoCL stand-in judged
as the GPU, exactly as a user would) N times in a row from an unrelated folder, reads each
JSON report, and prints each run's status, speedup and 95 % interval. Targets: the same
status every time, and max/min of the speedups <= 1.5 (before the interleaved measurement:
2.87x to 32.58x over six runs). Any other GPU backend: ``--backends torch``.

    python benchmarks/bench_speedup_spread.py [--runs 4] [--backends pyopencl]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from _common import PYTHON

TARGET_RATIO = 1.5


def one_run(folder: str, backends: str, index: int) -> dict:
    report = os.path.join(folder, f"run{index}.json")
    start = time.perf_counter()
    proc = subprocess.run([PYTHON, "-m", "pytest", "--dlready", f"--dlready-backends={backends}", "-k", "training",
                           f"--dlready-json={report}", "-p", "no:cacheprovider", "-q"], cwd=folder,
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    try:
        with open(report, encoding="utf-8") as fh:
            rows = json.load(fh)["rows"]
    except (OSError, ValueError, KeyError):
        raise SystemExit(f"run {index}: no report (exit {proc.returncode}): {proc.stdout[-800:]}")
    speed = [r for r in rows if r["check"].startswith("speedup ") and r["status"] != "skip"]
    if not speed:
        raise SystemExit(f"run {index}: no speedup row: {[r['check'] for r in rows]}")
    r = speed[0]
    iv = (r.get("observed") or {}).get("interval") or {}
    return {"status": r["status"], "code": r["code"], "speedup": (r.get("observed") or {}).get("speedup"),
            "lo": iv.get("lo"), "hi": iv.get("hi"), "n": iv.get("n"), "wall": wall}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--backends", default="pyopencl")
    opts = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for i in range(opts.runs):
            res = one_run(folder, opts.backends, i + 1)
            results.append(res)
            print(f"  run {i + 1}: {res['status']:4s} {res['code']:24s} speedup {res['speedup']:.4g}x "
                  f"(95 % CI {res['lo']:.4g}-{res['hi']:.4g}x, {res['n']} rounds), session {res['wall']:.1f} s")
    ratios = [r["speedup"] for r in results if isinstance(r["speedup"], (int, float)) and r["speedup"] > 0]
    spread = max(ratios) / min(ratios) if ratios else float("inf")
    statuses = {(r["status"], r["code"]) for r in results}
    print(f"P5 {opts.backends}: statuses {sorted(statuses)}; speedups max/min = {spread:.2f} (target <= {TARGET_RATIO})")
    ok = len(statuses) == 1 and spread <= TARGET_RATIO
    print("P5 OK" if ok else "P5 MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
