"""Rows of the training and replay suites from ``RunResult``s: pure, so tests need no training run.

The speedup itself is ``speedup.judge``'s; this module says what the CPU baseline did (it
trains for real even where no GPU exists), why a GPU side did not run, and which pair is
judged how: an OpenCL CPU device (PoCL) exercises the GPU code path, but it is not the
user's GPU, so by default its "slower than CPU" is a WARN; when the user names the backend
(``--dlready-backends=pyopencl``) it is judged like a GPU.
"""
from __future__ import annotations

import math
from typing import Any, List, Optional

from .. import catalogue
from ..results import Finding, Status
from . import speedup
from .speedup import CPU_FAILED

CPU_OK = catalogue.define("DLR-TRAIN-CPU-OK", "the CPU baseline trained",
                          "nothing to do; the row shows the measured seconds per epoch")
LOSS_STUCK = catalogue.define("DLR-TRAIN-LOSS", "training ran but the loss did not go down",
                              "check the data and the backend's numerics (NaN, float16) with a longer tier")
NO_GPU = catalogue.alias("DLR-TRAIN-NO-GPU", "DLR-DEV-NO-GPU", "no GPU to train on",
                          "attach a supported GPU and install its driver, or run on a GPU machine")
GPU_UNAVAILABLE = catalogue.define("DLR-TRAIN-GPU-UNAVAILABLE", "the backend cannot use a GPU here",
                                   "install the GPU build of the backend that matches the driver (see the message)")
NOT_RUN = catalogue.define("DLR-TRAIN-NOT-RUN", "training comparison not run in this session",
                           "select it with --dlready-backends or a longer --dlready-tier")
def _fmt(value: Optional[float]) -> str:
    if value is None:
        return "?"
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def _per_steps(run: Any) -> List[float]:
    values = (getattr(run, "extra", None) or {}).get("per_step_s") or []
    return sorted(v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0)


def blas_words(run: Any) -> str:
    """"2 BLAS threads (one per usable CPU (2)), OPENBLAS_CORETYPE=Haswell": the settings every CPU figure needs."""
    extra = getattr(run, "extra", None) or {}
    parts = []
    if isinstance(run.threads, int):
        note = extra.get("threads_note")
        parts.append(f"{run.threads} BLAS thread{'s' if run.threads != 1 else ''}" + (f" ({note})" if note else ""))
    blas = extra.get("blas")
    if isinstance(blas, dict) and blas.get("name"):
        parts.append(f"{blas['name']}" + (f" {blas['version']}" if blas.get("version") else "")
                     + (f" {blas['architecture']}" if blas.get("architecture") else ""))
    env = extra.get("blas_env")
    if isinstance(env, dict):
        parts += [f"{k}={v}" for k, v in sorted(env.items()) if not k.endswith("_NUM_THREADS")]
    return ", ".join(parts)


def run_summary(run: Any) -> str:
    """"2,048 samples of sklearn-digits-upscaled, 0.0312 s/epoch (median of 2 after 1 warm-up)"."""
    timed = list(getattr(run, "timed_epochs", []) or [])
    data = run.dataset or "unknown data"
    what = f"{run.samples:,} samples of {data}" if isinstance(run.samples, int) else data  # a replayed log may not say
    warm = len(run.epoch_seconds) - len(timed)
    where = run.device_name or run.device_used or ("the CPU" if run.device == "cpu" else "an unnamed device")
    blas = blas_words(run) if run.device == "cpu" else ""
    blas = f"; {blas}" if blas else ""
    steps = _per_steps(run)
    if steps and not timed:
        batch = (run.extra or {}).get("measured_batch") or run.batch_size
        median = steps[len(steps) // 2]
        return (f"{what} on {where}: {median * 1e3:.3g} ms/step at batch {batch} "
                f"(median of {len(steps)} timed rounds after warm-up{blas})")
    if not timed and run.wall_s:
        return f"{what} on {where}: whole run {_fmt(run.wall_s)} s (the log holds no epochs, only its wall time{blas})"
    return (f"{what} on {where}: {_fmt(run.median_epoch)} s/epoch "
            f"(median of {len(timed)} after {warm} warm-up{blas})")


def _losses(run: Any) -> List[float]:
    raw = (getattr(run, "extra", None) or {}).get("losses") or []
    out = []
    for value in raw if isinstance(raw, list) else []:
        try:
            out.append(float(value))
        except (TypeError, ValueError):
            out.append(float("nan"))
    return out


def cpu_rows(run: Any) -> List[Finding]:
    """The CPU baseline's row: PASS with its s/epoch and dataset, or FAIL with the runner's error."""
    check = f"training {run.label}"
    observed = {"workload": run.workload, "backend": run.backend, "median_epoch_s": run.median_epoch,
                "dataset": run.dataset, "samples": run.samples, "wall_s": run.wall_s,
                "peak_rss_mb": run.peak_rss_mb, "device_used": run.device_used}
    if not run.ok or not (run.timed_epochs or _per_steps(run) or run.wall_s):
        why = run.error or "no epoch finished"
        return [Finding(check, Status.FAIL, f"the CPU baseline {run.label} failed: {why}", code=CPU_FAILED,
                        fix=catalogue.fix_for(CPU_FAILED), observed=dict(observed, error=why))]
    losses = _losses(run)
    rows = [Finding(check, Status.PASS, f"trained {run_summary(run)}", code=CPU_OK, observed=observed)]
    if len(losses) >= 2 and (not all(math.isfinite(v) for v in losses) or losses[-1] >= losses[0]):
        rows.append(Finding(check, Status.WARN, f"{run.label}: loss went from {losses[0]:.4g} to {losses[-1]:.4g} "
                            f"over {len(losses)} epochs", code=LOSS_STUCK, fix=catalogue.fix_for(LOSS_STUCK),
                            observed={"losses": losses}))
    return rows


LEFTOVER = catalogue.define(
    "DLR-TRAIN-LEFTOVER", "a workload left processes running after it ended",
    "nothing to do here (they were stopped); if it is your own script, join its worker processes before exiting",
)


def leftover_rows(*runs: Any) -> List[Finding]:
    """A WARN per run that left processes behind in its group (the runner stopped them)."""
    out = []
    for run in runs:
        count = (getattr(run, "extra", None) or {}).get("leftover_processes") if run is not None else None
        if isinstance(count, int) and count > 0:
            out.append(Finding(f"training {run.label}", Status.WARN,
                               f"{run.label} left {count} process{'es' if count != 1 else ''} running after it ended; "
                               "they were stopped so they cannot disturb the next timing", code=LEFTOVER,
                               fix=catalogue.fix_for(LEFTOVER), observed={"leftover_processes": count}))
    return out


def gpu_skip_row(workload: str, backend: str, reason: str, needs_gpu: bool) -> Finding:
    code = NO_GPU if needs_gpu else GPU_UNAVAILABLE
    return Finding(speedup.row_name(workload, backend), Status.SKIP, f"GPU side not run: {reason}", code=catalogue.canonical(code),
                   fix=catalogue.fix_for(code), observed={"needs_gpu": needs_gpu, "workload": workload})


def unavailable_row(gpu: Any) -> Finding:
    """A GPU run whose script said the backend/device is not usable here (exit 3)."""
    return Finding(speedup.row_name(gpu.workload, gpu.backend), Status.SKIP, f"GPU side not run: {gpu.error}",
                   code=GPU_UNAVAILABLE, fix=catalogue.fix_for(GPU_UNAVAILABLE),
                   observed={"needs_gpu": True, "workload": gpu.workload, "backend": gpu.backend})


def not_run_row(comparison_id: str, reason: str) -> Finding:
    # every registry reason says how to bring the comparison back (install, tier, --dlready-backends)
    return Finding(f"training {comparison_id}", Status.SKIP, reason, code=NOT_RUN)


def baseline_note(cpu: Any, gpu: Any) -> str:
    """Say whose CPU run is the baseline only when it is another framework's (TF judged against Theano's CPU run)."""
    same = str(cpu.backend).split("+")[0] == str(gpu.backend).split("+")[0]
    return "" if same else f"baseline: the {cpu.backend} CPU run"


def pair_rows(cpu: Any, gpu: Optional[Any], facts: Any, min_speedup: float, strict: bool = False,
              include_cpu: bool = True) -> List[Finding]:
    """Every row one CPU/GPU pair yields: the CPU baseline, then the speedup verdict.

    The single source of these rows for live training (``suites/test_training.py``) and
    for replays of saved snapshots and cases (``suites/test_replay.py``): the same runs
    under the same facts and settings give the same findings, byte for byte.
    """
    rows = (cpu_rows(cpu) if include_cpu else []) + leftover_rows(cpu if include_cpu else None, gpu)
    if not cpu.ok or gpu is None:
        return rows
    if not gpu.ok and (gpu.extra or {}).get("unavailable"):
        return rows + [unavailable_row(gpu)]
    return rows + speedup.judge(cpu, gpu, facts, min_speedup, baseline_note=baseline_note(cpu, gpu),
                                standin=speedup.is_standin_device(gpu) and not strict)
