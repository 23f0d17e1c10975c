"""The speedup verdict: is training on the GPU really faster than on the CPU, and if not, why.

One pure function, ``judge``, used by live runs and by replays of recorded logs alike, so
the MacBook GT 750M logs from 2014 and a run on today's machine get the same verdict
from the same code. Speedup is median CPU epoch / median GPU epoch with warm-up epochs
excluded (``RunResult.timed_epochs``); a GPU slower than the CPU always fails, and a
failure lists only the causes that were measured (``verdict_causes``).
"""
from __future__ import annotations

from typing import Any, List, Mapping, Optional, Sequence, Tuple

from . import catalogue
from .parsers import signals
from .results import Finding, Status
from .verdict_causes import clock, measured_causes

OK = catalogue.define("DLR-SPEED-OK", "GPU training faster than CPU training", "")
SLOWER = catalogue.define(
    "DLR-SPEED-SLOWER", "GPU training slower than CPU training",
    "look at the measured causes listed; if none is listed, profile one epoch (nvidia-smi dmon while it runs)",
)
BELOW_MIN = catalogue.define(
    "DLR-SPEED-BELOW-MIN", "GPU faster than CPU, but by less than required",
    "look at the measured causes; or lower --dlready-min-speedup if this GPU is not meant to do better",
)
GPU_FAILED = catalogue.define("DLR-SPEED-GPU-FAILED", "the GPU training run failed",
                              "run the workload by hand on the GPU and read its error")
CPU_FAILED = catalogue.define("DLR-SPEED-CPU-FAILED", "the CPU baseline run failed",
                              "run the workload by hand on the CPU and read its error")
GPU_ON_CPU = catalogue.define(
    "DLR-SPEED-GPU-ON-CPU", "the GPU run ran on the CPU",
    "install the GPU build of the framework and a driver it supports; the quoted line says what it could not use",
)

def check_name(cpu: Any, gpu: Any) -> str:
    """``speedup dbn-mnist[gnumpy+cudamat]``: the table row, one per GPU run (the baseline is in the message)."""
    return f"speedup {gpu.workload}[{gpu.backend}]"


def _seconds(value: float) -> str:
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def _fallback_evidence(gpu: Any) -> Optional[str]:
    line = signals.first(gpu.signals or [], signals.FALLBACK)
    if line:
        return line
    if str(gpu.device_used or "").lower().startswith("cpu"):
        return f"device used: {gpu.device_used}"
    return None


def _describe(gpu: Any) -> str:
    parts = [gpu.backend]
    if gpu.device_name:
        parts.append(gpu.device_name)
    return ", ".join(p for p in parts if p)


def judge(cpu: Any, gpu: Any, facts: Optional[Mapping[str, Any]] = None, min_speedup: float = 1.0,
          sweep: Optional[Sequence[Tuple[Any, Any]]] = None, baseline_note: str = "") -> List[Finding]:
    """Findings for one CPU/GPU pair of ``RunResult``: speedup, or why there is none."""
    try:
        return _judge(cpu, gpu, facts or {}, float(min_speedup), list(sweep or []), baseline_note)
    except Exception as exc:  # the verdict is pure and total: a bad RunResult is a finding, not a crash
        name = f"speedup {getattr(gpu, 'workload', '?')}"
        return [Finding(name, Status.FAIL, f"cannot judge the speedup: {type(exc).__name__}: {exc}",
                        code=GPU_FAILED)]


def _judge(cpu: Any, gpu: Any, facts: Mapping[str, Any], min_speedup: float,
           sweep: List[Tuple[Any, Any]], baseline_note: str) -> List[Finding]:
    name = check_name(cpu, gpu)
    note = f"; {baseline_note}" if baseline_note else ""
    base = {"workload": gpu.workload, "cpu_backend": cpu.backend, "gpu_backend": gpu.backend,
            "device_name": gpu.device_name, "device_used": gpu.device_used}
    if not gpu.ok or not gpu.timed_epochs:
        why = gpu.error or "no epoch finished"
        tail = f" (last output: {gpu.stderr_tail[-1]})" if gpu.stderr_tail else ""
        return [Finding(name, Status.FAIL, f"the GPU run of {gpu.workload} [{_describe(gpu)}] failed: {why}{tail}",
                        code=GPU_FAILED, fix=catalogue.fix_for(GPU_FAILED), observed=dict(base, error=why))]
    evidence = _fallback_evidence(gpu)
    if gpu.device == "gpu" and evidence:
        return [Finding(name, Status.FAIL, f"the GPU run of {gpu.workload} [{gpu.backend}] ran on the CPU: {evidence}",
                        code=GPU_ON_CPU, fix=catalogue.fix_for(GPU_ON_CPU), observed=dict(base, evidence=evidence))]
    if not cpu.ok or not cpu.timed_epochs:
        why = cpu.error or "no epoch finished"
        return [Finding(name, Status.FAIL, f"the CPU baseline of {cpu.workload} [{cpu.backend}] failed: {why}",
                        code=CPU_FAILED, fix=catalogue.fix_for(CPU_FAILED), observed=dict(base, error=why))]

    cpu_med, gpu_med = cpu.median_epoch, gpu.median_epoch
    if not gpu_med or gpu_med <= 0 or not cpu_med or cpu_med <= 0:
        return [Finding(name, Status.FAIL, f"the epochs of {gpu.workload} took no measurable time "
                        f"(CPU {cpu_med} s, GPU {gpu_med} s)", code=GPU_FAILED, observed=base)]
    ratio = cpu_med / gpu_med
    n_cpu, n_gpu = len(cpu.timed_epochs), len(gpu.timed_epochs)
    counts = f"median of {n_gpu}" if n_cpu == n_gpu else f"median of {n_cpu} CPU / {n_gpu} GPU epochs"
    spread = max(cpu.spread or 0.0, gpu.spread or 0.0)
    detail = (f"CPU {_seconds(cpu_med)} s/epoch, GPU {_seconds(gpu_med)} s/epoch ({counts}, spread {spread:.0%}")
    observed = dict(base, speedup=round(ratio, 4), cpu_median_s=cpu_med, gpu_median_s=gpu_med,
                    cpu_epochs=n_cpu, gpu_epochs=n_gpu, spread=round(spread, 4), min_speedup=min_speedup,
                    baseline_note=baseline_note)
    if cpu.wall_s and gpu.wall_s:
        wall_ratio = cpu.wall_s / gpu.wall_s
        observed["wall_ratio"] = round(wall_ratio, 4)
        detail += f"; whole run {clock(cpu.wall_s)} CPU vs {clock(gpu.wall_s)} GPU"
    detail += ")"
    subject = f"on {gpu.workload} [{_describe(gpu)}]"
    if ratio >= min_speedup and ratio >= 1.0:
        return [Finding(name, Status.PASS, f"GPU is {ratio:.2f}x faster than CPU {subject}: {detail}{note}",
                        code=OK, observed=observed)]
    causes = measured_causes(cpu, gpu, facts, sweep)
    observed["causes"] = causes
    if ratio < 1.0:
        head, code = f"GPU is {1.0 / ratio:.2f}x SLOWER than CPU {subject}", SLOWER
    else:
        head, code = f"GPU is only {ratio:.2f}x faster than CPU {subject} (required {min_speedup:g}x)", BELOW_MIN
    lines = [f"{head}: {detail}{note}"]
    lines += [f"  cause [{c['code']}] {c['title']}: {c['evidence']}" for c in causes]
    if not causes:
        lines.append("  no cause could be measured from these runs")
    return [Finding(name, Status.FAIL, "\n".join(lines), code=code, fix=catalogue.fix_for(code), observed=observed)]
