"""P5: how repeatable the speedup figure is -- the same CPU/GPU comparison 5 times in one run.

Each repeat runs the CPU baseline then the device side (never concurrently, under the
device locks, exactly as the suite does) and computes speedup = median CPU epoch /
median device epoch. Prints the 5 figures and their spread (max - min) / median.
Target: <= 5 %. Defaults: 10 timed epochs per run and a 1-thread CPU BLAS (see --threads). The device is the OpenCL route (PoCL's CPU device here); with a GPU,
``--gpu torch:cuda`` or ``--gpu cupy`` measures the real one.
"""
from __future__ import annotations

import argparse
import statistics

from pytest_dlready.workloads import registry, runner


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--samples", type=int, default=4096)
    ap.add_argument("--epochs", type=int, default=11, help="epochs per run, 1 warm-up included (the full tier's 10 timed)")
    ap.add_argument("--gpu", default="pyopencl", help="pyopencl | cupy | torch:cuda | torch:mps")
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS threads of the CPU side (0: numpy's default). Default 1: on a 2-vCPU VM whose second "
                         "core is often busy, 2-thread BLAS swings 10-33 %% run to run, which measures the VM, not the harness")
    opts = ap.parse_args()
    backend, _, device = opts.gpu.partition(":")
    size = ["--samples", str(opts.samples), "--epochs", str(opts.epochs)]
    env = {v: str(opts.threads) for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")} if opts.threads else {}
    cpu_spec = runner.WorkloadSpec(registry.DBN, "numpy", "cpu", registry._dbn_script(), ["--backend", "numpy"] + size, env=env)
    gpu_spec = runner.WorkloadSpec(registry.DBN, backend, "gpu", registry._dbn_script(),
                                   ["--backend", backend, "--device", device or "cuda"] + size)
    speedups = []
    for i in range(opts.repeats):
        with runner.device_lock("cpu", "gpu0"):
            cpu = runner.run(cpu_spec, timeout=900)
            gpu = runner.run(gpu_spec, timeout=900)
        if not (cpu.ok and gpu.ok):
            raise SystemExit(cpu.error or gpu.error)
        speedups.append(cpu.median_epoch / gpu.median_epoch)
        print(f"  repeat {i + 1}: CPU {cpu.median_epoch:.4f} s/epoch  {backend} {gpu.median_epoch:.4f} s/epoch  "
              f"speedup {speedups[-1]:.3f}x (epoch spread CPU {cpu.spread:.0%}, device {gpu.spread:.0%})")
    med = statistics.median(speedups)
    print(f"dbn-mnist numpy vs {opts.gpu} on {gpu.device_name}, {opts.samples} samples x {opts.epochs} epochs, BLAS threads {opts.threads or 'default'}")
    print(f"  speedups {[round(s, 3) for s in speedups]}  median {med:.3f}x")
    print(f"  spread (max-min)/median = {(max(speedups) - min(speedups)) / med:.3f}  (target <= 0.05)")


if __name__ == "__main__":
    main()
