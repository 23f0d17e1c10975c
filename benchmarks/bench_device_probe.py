"""Cost of the full device probe on this machine, measured side by side in one run.

Target: with no NVIDIA driver the device probe costs < 1 s once the native CUDA probe is
built (the nvcc build is paid once per toolkit and cached). Prints, for N rounds each:
  cold   - empty DLREADY_CACHE_DIR: nvcc builds the probe (first session on a machine)
  warm   - cached probe binary, every route that is installed (OpenCL/PoCL included)
  no-ocl - cached, OpenCL route left out (what a machine without an OpenCL ICD pays)
and the ratios warm/target and no-ocl/target. Timings on shared VMs swing up to 2.5x,
so the rounds alternate and medians are compared.

    python benchmarks/bench_device_probe.py [--rounds 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pytest_dlready.probes import devices  # noqa: E402
from pytest_dlready.probes.collect import collect  # noqa: E402
from pytest_dlready.settings import Settings  # noqa: E402

TARGET_S = 1.0


def once(base: dict, skip_opencl: bool = False) -> float:
    facts = {k: v for k, v in base.items() if k not in ("devices", "cuda_probe")}
    real = devices._installed
    if skip_opencl:
        devices._installed = lambda name: False if name == "pyopencl" else real(name)
    try:
        start = time.perf_counter()
        devices.probe(facts, Settings())
        return time.perf_counter() - start
    finally:
        devices._installed = real


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    base = collect(Settings(), light=True)  # the toolchain facts the device probe reads
    with tempfile.TemporaryDirectory() as cache:
        os.environ["DLREADY_CACHE_DIR"] = cache
        cold = once(base)
        warm, no_ocl = [], []
        for _ in range(args.rounds):
            warm.append(once(base))
            no_ocl.append(once(base, skip_opencl=True))
        facts = dict(base)
        devices.probe(facts, Settings())
    print(f"machine: {facts['devices'].get('summary') or facts['devices']['gpus']}")
    print(f"route timings (last warm run): {facts['devices']['timings_s']}")
    print(f"cold (nvcc build + probe) : {cold:.3f} s")
    print(f"warm, all routes          : median {statistics.median(warm):.3f} s  (min {min(warm):.3f}, max {max(warm):.3f})")
    print(f"warm, without OpenCL      : median {statistics.median(no_ocl):.3f} s  (min {min(no_ocl):.3f}, max {max(no_ocl):.3f})")
    print(f"ratio warm/target         : {statistics.median(warm) / TARGET_S:.2f}  (target {TARGET_S:g} s)")
    print(f"ratio no-OpenCL/target    : {statistics.median(no_ocl) / TARGET_S:.2f}  (target <= 1.00)")
    print(f"ratio cold/warm           : {cold / statistics.median(warm):.1f}x  (what the cache saves)")
    ok = statistics.median(no_ocl) <= TARGET_S
    print("OK" if ok else f"MISSED: the device probe without OpenCL takes over {TARGET_S:g} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
