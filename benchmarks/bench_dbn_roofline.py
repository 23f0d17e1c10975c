"""P4: the numpy DBN epoch against this machine's own sgemm roofline.

Measures, in one run and side by side, numpy's float32 GEMM throughput at exactly the
DBN's shapes (batch 64: X@W1, H@W2, H.T@dZ, dZ@W2.T, X.T@dH, weighted by their FLOPs)
and for a large square GEMM, then the DBN's timed epochs through the runner, and prints
achieved GFLOP/s (FLOPs per epoch / median epoch) as a fraction of each roofline.
Target: >= 0.50 of the DBN-shape roofline. BLAS is pinned to one thread by default
(``--threads 0`` for numpy's default): numpy's elementwise updates of the 784x300 weights
run on one core whatever BLAS does, and this 2-vCPU VM's second core is often busy.
"""
from __future__ import annotations

import sys
import argparse
import os
import statistics
import time


def gemm_gflops(shapes, reps: int) -> float:
    import numpy as np

    rng = np.random.default_rng(0)
    mats = [(rng.standard_normal(a, dtype=np.float32), rng.standard_normal(b, dtype=np.float32)) for a, b in shapes]
    flops = sum(2 * a[0] * a[1] * b[1] for a, b in shapes)
    for x, y in mats:  # warm-up
        x @ y
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        for x, y in mats:
            x @ y
        times.append(time.perf_counter() - t)
    return flops / statistics.median(times) / 1e9


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS threads (0: numpy's default). Default 1: numpy's elementwise weight updates are "
                         "single-threaded, so against a 2-thread GEMM roofline the ratio measures Amdahl, not the DBN")
    ap.add_argument("--samples", type=int, default=11776)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    opts = ap.parse_args()
    if opts.threads:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(opts.threads)
    from pytest_dlready.workloads import registry, runner

    B, I, H, O = 64, 784, 300, 10
    dbn_shapes = [((B, I), (I, H)), ((B, H), (H, O)), ((H, B), (B, O)), ((B, O), (O, H)), ((I, B), (B, H))]
    spec = runner.WorkloadSpec(registry.DBN, "numpy", "cpu", registry._dbn_script(),
                               ["--samples", str(opts.samples), "--epochs", str(opts.epochs)],
                               env={v: str(opts.threads) for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")} if opts.threads else {})
    roof_dbn, roof_big, achieved = [], [], []
    for _ in range(opts.rounds):  # interleave: the same machine state for roofline and workload
        roof_dbn.append(gemm_gflops(dbn_shapes, 300))
        roof_big.append(gemm_gflops([((1024, 1024), (1024, 1024))], 10))
        res = runner.run(spec, timeout=900)
        if not res.ok:
            raise SystemExit(res.error)
        achieved.append(res.extra["flops_per_epoch"] / res.median_epoch / 1e9)
    rd, rb, ac = statistics.median(roof_dbn), statistics.median(roof_big), statistics.median(achieved)
    print(f"numpy DBN 784-300-10, batch 64, {opts.samples} samples, BLAS threads {opts.threads or 'default'}, {opts.rounds} rounds")
    print(f"  sgemm roofline at the DBN's shapes : {rd:7.1f} GFLOP/s  {[round(v, 1) for v in roof_dbn]}")
    print(f"  sgemm roofline 1024^3              : {rb:7.1f} GFLOP/s  {[round(v, 1) for v in roof_big]}")
    print(f"  DBN epoch achieved                 : {ac:7.1f} GFLOP/s  {[round(v, 1) for v in achieved]}")
    print(f"  ratio achieved / DBN-shape roofline = {ac / rd:.2f}  (target >= 0.50)")
    print(f"  ratio achieved / 1024^3 roofline    = {ac / rb:.2f}")
    ok = ac / rd >= 0.50
    print("P4 " + ("OK" if ok else "MISSED: the DBN epoch reaches less than half of this machine's sgemm at its shapes"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
