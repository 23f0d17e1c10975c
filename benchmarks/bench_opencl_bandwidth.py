"""Does the OpenCL route's bandwidth figure match a plain pyopencl copy loop? (target ratio >= 0.95)

The route (``probes/opencl.measure_device``) times copies with OpenCL profiling events
(first start to last end), as the CUDA probe uses CUDA events. The reference here is the
simplest honest loop: enqueue the same copy N times, ``queue.finish()``, wall-clock time.
Both run side by side on the same device, same buffers' size, alternating, R rounds; the
ratio of medians route/reference should be >= 0.95 (the route must not under-report).

    python benchmarks/bench_opencl_bandwidth.py [--rounds 7] [--reps 10]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pytest_dlready.probes.opencl import SIZE, measure_device  # noqa: E402


def reference(dev, size: int, reps: int) -> dict:
    """Plain loop: wall time of reps blocking copies per direction."""
    import numpy as np
    import pyopencl as cl

    ctx = cl.Context([dev])
    q = cl.CommandQueue(ctx)
    mf = cl.mem_flags
    d_a, d_b = cl.Buffer(ctx, mf.READ_WRITE, size), cl.Buffer(ctx, mf.READ_WRITE, size)
    host = np.ones(size, dtype=np.uint8)
    out = {}
    for key, fn, nbytes in (("h2d pageable", lambda: cl.enqueue_copy(q, d_a, host), size),
                            ("d2h pageable", lambda: cl.enqueue_copy(q, host, d_a), size),
                            ("d2d device", lambda: cl.enqueue_copy(q, d_b, d_a), 2 * size)):
        fn()
        q.finish()
        start = time.perf_counter()
        for _ in range(reps):
            fn()
        q.finish()
        out[key] = nbytes * reps / (time.perf_counter() - start) / 1e9
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()
    try:
        import pyopencl as cl
        dev = cl.get_platforms()[0].get_devices()[0]
    except Exception as exc:  # no pyopencl or no ICD: say so, measure nothing
        print(f"no OpenCL device: {type(exc).__name__}: {exc}")
        return
    print(f"device: {dev.name.strip()} ({cl.device_type.to_string(dev.type)}, {dev.platform.name.strip()})")
    route = {k: [] for k in ("h2d pageable", "d2h pageable", "d2d device")}
    ref = {k: [] for k in route}
    for _ in range(args.rounds):
        rows = measure_device(dev, size=SIZE, reps=args.reps)
        for r in rows:
            key = f"{r['direction']} {r['memory']}"
            if key in route and "gbps" in r:
                route[key].append(r["gbps"])
        for key, gbps in reference(dev, SIZE, args.reps).items():
            ref[key].append(gbps)
    worst = None
    for key in route:
        a, b = statistics.median(route[key]), statistics.median(ref[key])
        ratio = a / b
        worst = ratio if worst is None else min(worst, ratio)
        print(f"{key:13s} route {a:7.2f} GB/s   reference loop {b:7.2f} GB/s   ratio {ratio:.2f}")
    print(f"worst ratio route/reference: {worst:.2f} (target >= 0.95)")
    return 0 if worst is not None and worst >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
