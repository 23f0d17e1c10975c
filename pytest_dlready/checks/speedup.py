"""The speedup verdict: is training on the GPU really faster than on the CPU, and if not, why.

One pure function, ``judge``, used by live runs and by replays of recorded logs alike, so
the MacBook GT 750M logs from 2014 and a run on today's machine get the same verdict
from the same code. Speedup is median CPU epoch / median GPU epoch with warm-up epochs
excluded (``RunResult.timed_epochs``); a GPU slower than the CPU fails, and a failure
lists only the causes that were measured (``speedup_causes``). The measured throughput
of both sides and a stand-in device (an OpenCL CPU device such as PoCL) are parts of the
verdict, composed into its message once, at the end: nothing edits a finding's text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .. import catalogue
from ..parsers import signals
from ..results import Finding, Status
from .speedup_causes import clock, measured_causes

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
CPU_FAILED = catalogue.define("DLR-TRAIN-CPU-FAILED", "the CPU baseline training run failed",
                              "run the workload script by hand (the row names it) and read its error")
#: the speedup row's CPU-baseline failure: the same condition, its own next step
SPEED_CPU_FAILED = catalogue.alias("DLR-SPEED-CPU-FAILED", CPU_FAILED, "the CPU baseline run failed",
                                   "run the workload by hand on the CPU and read its error")
GPU_ON_CPU = catalogue.define(
    "DLR-SPEED-GPU-ON-CPU", "the GPU run ran on the CPU",
    "install the GPU build of the framework and a driver it supports; the quoted line says what it could not use",
)
STANDIN = catalogue.define("DLR-TRAIN-STANDIN", "a stand-in device (not a GPU) was compared with the CPU",
                           "expected on a machine without a GPU; pass --dlready-backends=pyopencl to judge it as a GPU")

NO_CAUSE = "  no cause could be measured from these runs"


def row_name(workload: str, backend: str) -> str:
    """``speedup dbn-mnist[gnumpy+cudamat]``: the table row of one GPU run (the baseline is in the message)."""
    return f"speedup {workload}[{backend}]"


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


def gflops(run: Any) -> Optional[float]:
    """Achieved GFLOP/s of a run that reports its FLOPs per epoch (the DBN does)."""
    flops = (getattr(run, "extra", None) or {}).get("flops_per_epoch")
    med = getattr(run, "median_epoch", None)
    if isinstance(flops, (int, float)) and flops > 0 and med:
        return flops / med / 1e9
    return None


def is_standin_device(gpu: Any) -> bool:
    """The 'GPU' run ran on an OpenCL device of CPU type (PoCL), by the run's own report."""
    kind = str((getattr(gpu, "extra", None) or {}).get("opencl_device_type", "")).upper()
    return "CPU" in kind and "GPU" not in kind


@dataclass
class _Verdict:
    """The parts of one speedup finding, composed into its message by ``_finding``."""

    check: str
    status: Status
    code: str
    head: str
    fix: str = ""
    observed: Dict[str, Any] = field(default_factory=dict)
    causes: List[Dict[str, str]] = field(default_factory=list)
    says_no_cause: bool = False           # a slow verdict with nothing measured says so
    throughput: str = ""                  # both sides' GFLOP/s, when the GPU side computes slower
    standin: str = ""                     # the stand-in device, when a FAIL is only a WARN for it


def _finding(v: _Verdict) -> Finding:
    head = f"stand-in, not a GPU: {v.standin} is a CPU device; {v.head}" if v.standin else v.head
    lines = [head] + ([v.throughput] if v.throughput else [])
    lines += [f"  cause [{c['code']}] {c['title']}: {c['evidence']}" for c in v.causes]
    if v.says_no_cause and not v.throughput:
        lines.append(NO_CAUSE)
    return Finding(v.check, v.status, "\n".join(lines), code=v.code, fix=v.fix, observed=v.observed)


def judge(cpu: Any, gpu: Any, facts: Optional[Mapping[str, Any]] = None, min_speedup: float = 1.0,
          sweep: Optional[Sequence[Tuple[Any, Any]]] = None, baseline_note: str = "",
          standin: bool = False) -> List[Finding]:
    """Findings for one CPU/GPU pair of ``RunResult``: speedup, or why there is none.

    ``standin``: the GPU side ran on a stand-in device (``is_standin_device``) that is judged
    leniently: what would FAIL for a GPU is a WARN saying what the device really is.
    """
    try:
        v = _judge(cpu, gpu, facts or {}, float(min_speedup), list(sweep or []), baseline_note)
    except Exception as exc:  # the verdict is pure and total: a bad RunResult is a finding, not a crash
        name = f"speedup {getattr(gpu, 'workload', '?')}"
        return [Finding(name, Status.FAIL, f"cannot judge the speedup: {type(exc).__name__}: {exc}",
                        code=GPU_FAILED)]
    if v.status is Status.FAIL:
        g_cpu, g_gpu = gflops(cpu), gflops(gpu)
        if g_cpu and g_gpu and g_gpu < g_cpu:
            # for the DBN the work per epoch is known exactly: a naive OpenCL sgemm at a few GFLOP/s
            # against a tuned BLAS is the whole story of the PoCL stand-in being slower
            v.throughput = (f"  measured throughput: {cpu.backend} on the CPU {g_cpu:.1f} GFLOP/s, "
                            f"{gpu.backend} on {gpu.device_name or gpu.device_used} {g_gpu:.1f} GFLOP/s "
                            f"({(gpu.extra or {}).get('flops_per_epoch', 0) / 1e9:.2f} GFLOP per epoch)")
            v.observed.update(cpu_gflops=round(g_cpu, 3), gpu_gflops=round(g_gpu, 3))
        if standin:
            v.standin = f"{gpu.device_name or 'an OpenCL CPU device'} ({(gpu.extra or {}).get('opencl_platform', 'OpenCL')})"
            v.observed.update(standin=True, verdict_code=v.code)
            v.status, v.code, v.fix = Status.WARN, STANDIN, catalogue.fix_for(STANDIN)
    return [_finding(v)]


def _judge(cpu: Any, gpu: Any, facts: Mapping[str, Any], min_speedup: float,
           sweep: List[Tuple[Any, Any]], baseline_note: str) -> _Verdict:
    name = row_name(gpu.workload, gpu.backend)
    note = f"; {baseline_note}" if baseline_note else ""
    base = {"workload": gpu.workload, "cpu_backend": cpu.backend, "gpu_backend": gpu.backend,
            "device_name": gpu.device_name, "device_used": gpu.device_used}
    if not gpu.ok or not gpu.timed_epochs:
        why = gpu.error or "no epoch finished"
        tail = f" (last output: {gpu.stderr_tail[-1]})" if gpu.stderr_tail else ""
        return _Verdict(name, Status.FAIL, GPU_FAILED, f"the GPU run of {gpu.workload} [{_describe(gpu)}] failed: {why}{tail}",
                        fix=catalogue.fix_for(GPU_FAILED), observed=dict(base, error=why))
    evidence = _fallback_evidence(gpu)
    if gpu.device == "gpu" and evidence:
        return _Verdict(name, Status.FAIL, GPU_ON_CPU, f"the GPU run of {gpu.workload} [{gpu.backend}] ran on the CPU: {evidence}",
                        fix=catalogue.fix_for(GPU_ON_CPU), observed=dict(base, evidence=evidence))
    if not cpu.ok or not cpu.timed_epochs:
        why = cpu.error or "no epoch finished"
        return _Verdict(name, Status.FAIL, CPU_FAILED, f"the CPU baseline of {cpu.workload} [{cpu.backend}] failed: {why}",
                        fix=catalogue.fix_for(SPEED_CPU_FAILED), observed=dict(base, error=why))

    cpu_med, gpu_med = cpu.median_epoch, gpu.median_epoch
    if not gpu_med or gpu_med <= 0 or not cpu_med or cpu_med <= 0:
        return _Verdict(name, Status.FAIL, GPU_FAILED, f"the epochs of {gpu.workload} took no measurable time "
                        f"(CPU {cpu_med} s, GPU {gpu_med} s)", observed=base)
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
        return _Verdict(name, Status.PASS, OK, f"GPU is {ratio:.2f}x faster than CPU {subject}: {detail}{note}",
                        observed=observed)
    causes = measured_causes(cpu, gpu, facts, sweep)
    observed["causes"] = causes
    if ratio < 1.0:
        head, code = f"GPU is {1.0 / ratio:.2f}x SLOWER than CPU {subject}", SLOWER
    else:
        head, code = f"GPU is only {ratio:.2f}x faster than CPU {subject} (required {min_speedup:g}x)", BELOW_MIN
    return _Verdict(name, Status.FAIL, code, f"{head}: {detail}{note}", fix=catalogue.fix_for(code),
                    observed=observed, causes=causes, says_no_cause=not causes)
