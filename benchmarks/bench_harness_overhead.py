"""P3: what the workload runner costs -- the same mnist_cnn epochs through the runner vs as a bare script.

Runs Keras' mnist_cnn (TensorFlow backend, or the first installed) alternately as a bare
``python mnist_cnn.py`` and through ``runner.run`` (isolated env, KERAS_HOME, pipes,
wait4), in one process, and prints the ratios of the median timed epoch and of the whole
wall time. Target: runner/bare <= 1.03 for the epoch. Usage:
``python benchmarks/bench_harness_overhead.py [--pairs 3] [--samples 2048] [--epochs 4]``
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from pytest_dlready.workloads.protocol import script
from pytest_dlready.workloads import registry, runner

SCRIPT = script("mnist_cnn.py")


def bare(backend: str, args: list) -> tuple:
    """The script as a user would run it: their environment, no runner in between."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        env = dict(os.environ, KERAS_BACKEND=backend)
        start = time.perf_counter()
        subprocess.run([sys.executable, SCRIPT, "--result", out] + args, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        with open(out) as fh:
            epochs = json.load(fh)["epoch_seconds"]
    return statistics.median(epochs[1:]), wall


def harnessed(backend: str, args: list) -> tuple:
    spec = runner.WorkloadSpec(registry.CNN, f"keras-{backend}", "cpu", SCRIPT, args, keras_backend=backend)
    spec.device = "gpu"  # keep CUDA_VISIBLE_DEVICES as the bare run has it: measure the harness only
    res = runner.run(spec, timeout=900)
    if not res.ok:
        raise SystemExit(res.error)
    return res.median_epoch, res.wall_s


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--samples", type=int, default=2048)
    ap.add_argument("--epochs", type=int, default=4)
    opts = ap.parse_args()
    backend = next((b for b in registry.KERAS_BACKENDS if importlib.util.find_spec(b)), None)
    if backend is None or importlib.util.find_spec("keras") is None:
        raise SystemExit("needs keras and one of tensorflow/torch/jax")
    args = ["--samples", str(opts.samples), "--epochs", str(opts.epochs)]
    b_ep, b_wall, h_ep, h_wall = [], [], [], []
    for i in range(opts.pairs):
        order = (bare, harnessed) if i % 2 == 0 else (harnessed, bare)  # alternate: drift hits both
        for fn in order:
            ep, wall = fn(backend, args)
            (b_ep if fn is bare else h_ep).append(ep)
            (b_wall if fn is bare else h_wall).append(wall)
    print(f"mnist_cnn keras-{backend}, {opts.samples} samples, {opts.epochs} epochs, {opts.pairs} pairs (alternating)")
    print(f"  bare script  : median epoch {statistics.median(b_ep):.3f} s  wall {statistics.median(b_wall):.2f} s  epochs {[round(v, 3) for v in b_ep]}")
    print(f"  via runner   : median epoch {statistics.median(h_ep):.3f} s  wall {statistics.median(h_wall):.2f} s  epochs {[round(v, 3) for v in h_ep]}")
    print(f"  ratio epoch runner/bare = {statistics.median(h_ep) / statistics.median(b_ep):.3f}  (target <= 1.03)")
    print(f"  ratio wall  runner/bare = {statistics.median(h_wall) / statistics.median(b_wall):.3f}")


if __name__ == "__main__":
    main()
