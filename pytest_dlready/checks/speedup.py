"""The speedup verdict: is training on the GPU really faster than on the CPU, and if not, why.

One pure function, ``judge``, used by live runs and by replays of recorded logs alike, so
the MacBook GT 750M logs from 2014 and a run on today's machine get the same verdict
from the same code. A speedup is a ratio of noisy timings, so it is judged as an interval
(``speedup_stats``), from the best evidence the runs carry:

* interleaved rounds of both sides (a live measurement, ``workloads.measure``): paired;
* the timed epochs of two separate runs (a replayed log, a legacy stack): unpaired,
  widened by the printed clock's resolution;
* whole-run wall times only (logs holding a ``time`` block and no epochs): one run each.

Three outcomes, as hyperfine would state them: **faster** (the whole interval above the
required minimum: PASS), **slower or no gain** (the whole interval below it: a FAIL that is
statistically certain), **inconclusive** (a WARN that says how noisy the machine was and
how to get a clean figure). A GPU slower at the readiness batch but clearly faster at a
larger one in the sweep is **workload-bound** (a WARN that explains: the GPU is fine, the
model is too small for it); slower at every size measured is **machine-bound** (FAIL).
A failure lists only the causes that were measured (``speedup_causes``). Everything a
finding says is composed once, at the end: nothing edits a finding's text.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .. import catalogue
from ..parsers import signals
from ..results import Finding, Status
from . import speedup_stats as stats
from .speedup_causes import clock, measured_causes

OK = catalogue.define("DLR-SPEED-OK", "GPU training faster than CPU training", "")
SLOWER = catalogue.define(
    "DLR-SPEED-SLOWER", "GPU training slower than CPU training",
    "look at the measured causes listed; if none is listed, profile one step on the GPU (nvidia-smi dmon, nsys)",
)
BELOW_MIN = catalogue.define(
    "DLR-SPEED-BELOW-MIN", "GPU faster than CPU, but by less than required",
    "look at the measured causes; or lower --dlready-min-speedup if this GPU is not meant to do better",
)
NO_GAIN = catalogue.define(
    "DLR-SPEED-NO-GAIN", "GPU training no faster than CPU training",
    "look at the measured causes listed; the GPU and the CPU train at the same speed within the interval",
)
WORKLOAD_BOUND = catalogue.define(
    "DLR-SPEED-WORKLOAD-BOUND", "the model is too small for this GPU at this batch size",
    "nothing is wrong with the GPU: train with larger batches (the sweep shows from which size it pays), "
    "or a wider model",
)
INCONCLUSIVE = catalogue.define(
    "DLR-SPEED-INCONCLUSIVE", "the speedup could not be measured precisely enough to judge",
    "rerun on an idle machine (stop the busy processes named), or give it more time: --dlready-tier=standard",
)
BASELINE_STALLED = catalogue.define(
    "DLR-SPEED-BASELINE-STALLED", "the CPU baseline stalled: its timing is not a fair baseline",
    "set OPENBLAS_NUM_THREADS/OMP_NUM_THREADS to the free physical cores, stop competing processes, and rerun",
)
MISMATCH = catalogue.define(
    "DLR-SPEED-MISMATCH", "the CPU and GPU runs trained different models: not a speedup",
    "compare runs of the same model, data size and batch size (the message names both)",
)
AA_OK = catalogue.define("DLR-SPEED-AA-OK", "A/A control: the CPU baseline timed against itself", "")
AA_DIFFERENCE = catalogue.define(
    "DLR-SPEED-AA-DIFFERENCE", "A/A control found a difference between two identical runs",
    "this machine's timings are biased (another process, CPU frequency scaling, NUMA): "
    "do not trust its speedups until the A/A row reads no difference",
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

#: the fix of a slow verdict, by the kind of device the GPU side ran on
FIX_BY_KIND = {
    "cuda": "look at the measured causes listed; if none is listed, profile one step (nvidia-smi dmon while it runs, or nsys)",
    "opencl": "look at the measured causes listed; check the device with clinfo and use the vendor's OpenCL driver "
              "(or a tuned library such as CLBlast) instead of hand-written kernels",
    "other": "look at the measured causes listed; profile one step with the framework's own profiler",
}

NO_CAUSE = "  no cause could be measured from these runs"
#: a CPU baseline whose rounds vary more than this (slowest / median) stalled
STALL_SPREAD = 4.0


def row_name(workload: str, backend: str) -> str:
    """``speedup dbn-mnist[gnumpy+cudamat]``: the table row of one GPU run (the baseline is in the message)."""
    return f"speedup {workload}[{backend}]"


def aa_row_name(workload: str, backend: str) -> str:
    return f"speedup {workload}[{backend} A/A]"


def _seconds(value: float) -> str:
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def _per_step(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms/step" if seconds < 1 else f"{seconds:.3g} s/step"


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


def is_standin_device(gpu: Any) -> bool:
    """The 'GPU' run ran on an OpenCL device of CPU type (PoCL), by the run's own report."""
    kind = str((getattr(gpu, "extra", None) or {}).get("opencl_device_type", "")).upper()
    return "CPU" in kind and "GPU" not in kind


def device_kind(gpu: Any) -> str:
    """``cuda`` / ``opencl`` / ``other``: which fix text fits the device the GPU side used."""
    used = str(gpu.device_used or "").lower()
    if used.startswith("opencl") or "opencl" in str(gpu.backend).lower() or (gpu.extra or {}).get("opencl_device_type"):
        return "opencl"
    if used.startswith(("cuda", "gpu")) or "cud" in str(gpu.backend).lower():
        return "cuda"
    return "other"


def measurement(run: Any) -> Dict[str, Any]:
    """The interleaved measurement a live GPU run carries (``workloads.measure``); {} for epoch runs."""
    value = (getattr(run, "extra", None) or {}).get("measurement")
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Evidence:
    """The speedup interval and what it was measured from, in words for the message."""

    interval: stats.Interval
    basis: str                 # "paired rounds" / "epochs of two runs" / "one run each"
    detail: str                # "CPU 7.2 ms/step, GPU 0.29 s/step at batch 1024, 10 rounds each"
    observed: Dict[str, Any]


def _main_evidence(cpu: Any, gpu: Any) -> Optional[Evidence]:
    m = measurement(gpu)
    main = m.get("main") if isinstance(m.get("main"), dict) else {}
    iv = stats.from_dict(main.get("interval"))
    if iv is None:
        return None
    c_steps = [v for v in (main.get("cpu") or {}).get("per_step_s") or [] if isinstance(v, (int, float)) and v > 0]
    g_steps = [v for v in (main.get("gpu") or {}).get("per_step_s") or [] if isinstance(v, (int, float)) and v > 0]
    c_step, g_step = stats.trimmed_mean(c_steps), stats.trimmed_mean(g_steps)
    batch = main.get("batch") or m.get("batch")
    n_threads = m.get("cpu_threads") if isinstance(m.get("cpu_threads"), int) else cpu.threads
    threads = (f", {n_threads} BLAS thread{'s' if n_threads != 1 else ''}" if isinstance(n_threads, int) else "")
    detail = (f"CPU {_per_step(c_step)}{threads}, GPU {_per_step(g_step)} at batch {batch}, "
              f"{iv.n} interleaved rounds each")
    warm = ((main.get("warm_up") or {}).get("gpu") or {})
    if warm.get("rounds"):
        detail += f"; GPU warm-up {warm['rounds']} rounds excluded"
    observed = {"cpu_per_step_s": round(c_step, 9), "gpu_per_step_s": round(g_step, 9), "batch": batch,
                "rounds": iv.n, "stopped": main.get("stopped")}
    return Evidence(iv, iv.method, detail, observed)


def _epoch_evidence(cpu: Any, gpu: Any) -> Optional[Evidence]:
    c_res = (cpu.extra or {}).get("epoch_resolution_s") or 0.0
    g_res = (gpu.extra or {}).get("epoch_resolution_s") or 0.0
    iv = stats.unpaired(cpu.timed_epochs, gpu.timed_epochs, float(c_res), float(g_res))
    if iv is None:
        return None
    n_cpu, n_gpu = len(cpu.timed_epochs), len(gpu.timed_epochs)
    counts = f"{n_gpu} timed epochs each" if n_cpu == n_gpu else f"{n_cpu} CPU / {n_gpu} GPU timed epochs"
    res = max(float(c_res), float(g_res))
    printed = f", printed to {res:g} s" if res else ""
    detail = (f"CPU {_seconds(stats.trimmed_mean(cpu.timed_epochs))} s/epoch, "
              f"GPU {_seconds(stats.trimmed_mean(gpu.timed_epochs))} s/epoch ({counts}{printed}")
    if cpu.wall_s and gpu.wall_s:
        detail += f"; whole run {clock(cpu.wall_s)} CPU vs {clock(gpu.wall_s)} GPU"
    detail += ")"
    observed = {"cpu_median_s": cpu.median_epoch, "gpu_median_s": gpu.median_epoch, "cpu_epochs": n_cpu,
                "gpu_epochs": n_gpu, "spread": round(max(cpu.spread or 0.0, gpu.spread or 0.0), 4)}
    if cpu.wall_s and gpu.wall_s:
        observed["wall_ratio"] = round(cpu.wall_s / gpu.wall_s, 4)
    return Evidence(iv, iv.method, detail, observed)


def _wall_evidence(cpu: Any, gpu: Any) -> Optional[Evidence]:
    iv = stats.single(cpu.wall_s or 0.0, gpu.wall_s or 0.0)
    if iv is None:
        return None
    detail = (f"judged from whole-run wall times, the logs hold no epochs: CPU {clock(cpu.wall_s)}, "
              f"GPU {clock(gpu.wall_s)} (±{stats.SINGLE_RUN_MARGIN:.0%} allowed each for run-to-run variation)")
    return Evidence(iv, iv.method, detail, {"cpu_wall_s": cpu.wall_s, "gpu_wall_s": gpu.wall_s,
                                            "wall_ratio": round(cpu.wall_s / gpu.wall_s, 4)})


def evidence(cpu: Any, gpu: Any) -> Optional[Evidence]:
    """The best interval the two runs allow: interleaved rounds, else epochs, else wall times."""
    return _main_evidence(cpu, gpu) or _epoch_evidence(cpu, gpu) or _wall_evidence(cpu, gpu)


def sweep_points(gpu: Any, sweep: Sequence[Tuple[Any, Any]] = ()) -> List[Dict[str, Any]]:
    """[{batch, interval, outcome-ready}] of the batch sweep: the live measurement's, or pairs of recorded runs."""
    points: List[Dict[str, Any]] = []
    for point in measurement(gpu).get("sweep") or []:
        if not isinstance(point, dict):
            continue
        iv = stats.from_dict(point.get("interval"))
        if iv is not None:
            points.append({"batch": point.get("batch"), "interval": iv})
        elif point.get("skipped"):
            points.append({"batch": point.get("batch"), "skipped": str(point["skipped"])})
    for c, g in sweep or []:
        ev = _epoch_evidence(c, g) or _wall_evidence(c, g)
        if ev is not None:
            points.append({"batch": g.batch_size, "interval": ev.interval})
    return points


def _ratio_words(iv: stats.Interval) -> str:
    return f"{iv.ratio:.2f}x faster" if iv.ratio >= 1 else f"{1 / iv.ratio:.2f}x slower"


def _ci_words(iv: stats.Interval) -> str:
    """``CI 2.91–3.14x`` / ``CI 1.02–1.20x slower``: the interval in the words of its estimate."""
    if iv.ratio >= 1:
        return f"CI {iv.lo:.2f}–{iv.hi:.2f}x"
    return f"CI {1 / iv.hi:.2f}–{1 / iv.lo:.2f}x slower"


def _noise(gpu: Any) -> str:
    """How busy the machine was while it was measured: load, steal time, the busiest other processes."""
    noise = measurement(gpu).get("noise") or {}
    if not isinstance(noise, dict):
        return ""
    parts = []
    load_avg = noise.get("loadavg")
    if isinstance(load_avg, list) and load_avg:
        parts.append(f"load average {load_avg[0]:.2f} on {noise.get('cpus', '?')} CPUs")
    steal = noise.get("steal_share")
    if isinstance(steal, (int, float)) and steal >= 0.01:
        parts.append(f"{steal:.0%} of CPU time stolen by the hypervisor")
    busy = [b for b in noise.get("busy") or [] if isinstance(b, dict)]
    if busy:
        parts.append("busy: " + ", ".join(f"{b.get('name')} (pid {b.get('pid')}, {b.get('cores')} cores)" for b in busy[:3]))
    return "; ".join(parts)


def stalled_baseline(cpu: Any, gpu: Any) -> Optional[str]:
    """Why the CPU side's rounds are not a fair baseline (stalls, oversubscribed BLAS threads); None if fair."""
    main = measurement(gpu).get("main") or {}
    side = main.get("cpu") if isinstance(main, dict) else None
    if not isinstance(side, dict):
        return None
    steps = sorted(v for v in side.get("per_step_s") or [] if isinstance(v, (int, float)) and v > 0)
    if len(steps) < 4:
        return None
    median = steps[len(steps) // 2]
    slow_share = sum(1 for v in steps if v > 2 * median) / len(steps)
    if steps[-1] > STALL_SPREAD * median and slow_share >= 0.2:
        return (f"{slow_share:.0%} of the CPU rounds took over twice the median step "
                f"(slowest {steps[-1] / median:.1f}x the median)")
    cores = sorted(v for v in side.get("cores") or [] if isinstance(v, (int, float)))
    recorded = measurement(gpu).get("cpu_threads")
    threads = recorded if isinstance(recorded, int) else cpu.threads if isinstance(cpu.threads, int) else None
    if cores and threads and threads >= 2:
        used = cores[len(cores) // 2]
        if used < 0.5 * threads and used < threads - 1:
            return (f"{threads} BLAS threads got {used:.2f} cores on median "
                    f"(oversubscribed: the threads wait for each other)")
    return None


@dataclass
class _Verdict:
    """The parts of one speedup finding, composed into its message by ``_finding``."""

    check: str
    status: Status
    code: str
    head: str
    fix: str = ""
    observed: Dict[str, Any] = field(default_factory=dict)
    lines: List[str] = field(default_factory=list)           # sweep, noise: what explains the head
    causes: List[Dict[str, str]] = field(default_factory=list)
    says_no_cause: bool = False           # a slow verdict with nothing measured says so
    standin: str = ""                     # the stand-in device, when a FAIL is only a WARN for it


def _finding(v: _Verdict) -> Finding:
    head = f"stand-in, not a GPU: {v.standin} is a CPU device; {v.head}" if v.standin else v.head
    lines = [head] + [f"  {line}" for line in v.lines]
    lines += [f"  cause [{c['code']}] {c['title']}: {c['evidence']}" for c in v.causes]
    if v.says_no_cause:
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
        v = _judge(cpu, gpu, facts or {}, float(min_speedup), list(sweep or []), baseline_note,
                   who="the stand-in" if standin else "GPU")
    except Exception as exc:  # the verdict is pure and total: a bad RunResult is a finding, not a crash
        name = f"speedup {getattr(gpu, 'workload', '?')}"
        return [Finding(name, Status.FAIL, f"cannot judge the speedup: {type(exc).__name__}: {exc}",
                        code=GPU_FAILED)]
    if v.status is Status.FAIL and standin:
        v.standin = f"{gpu.device_name or 'an OpenCL CPU device'} ({(gpu.extra or {}).get('opencl_platform', 'OpenCL')})"
        v.observed.update(standin=True, verdict_code=v.code)
        v.status, v.code, v.fix = Status.WARN, STANDIN, catalogue.fix_for(STANDIN)
    return [_finding(v)]


def _model(run: Any) -> Dict[str, Any]:
    """What model a run trained, as far as it says: layers, samples, batch size."""
    extra = getattr(run, "extra", None) or {}
    layers = extra.get("layers")
    out: Dict[str, Any] = {}
    if isinstance(layers, (list, tuple)) and layers:
        out["layers"] = "-".join(str(v) for v in layers)
    if isinstance(run.samples, int) and run.samples > 0:
        out["samples"] = run.samples
    if isinstance(run.batch_size, int) and run.batch_size > 0 and not measurement(run):
        out["batch"] = run.batch_size
    return out


def mismatch(cpu: Any, gpu: Any) -> Optional[str]:
    """Why the two runs are not the same model (both named), or None when nothing recorded differs."""
    a, b = _model(cpu), _model(gpu)
    differ = [k for k in ("layers", "samples", "batch") if k in a and k in b and a[k] != b[k]]
    if not differ:
        return None
    words = {"layers": "layers", "samples": "samples", "batch": "batch size"}
    return "; ".join(f"{words[k]} {a[k]} (CPU, {cpu.source}) vs {b[k]} (GPU, {gpu.source})" for k in differ)


def _judge(cpu: Any, gpu: Any, facts: Mapping[str, Any], min_speedup: float,
           sweep: List[Tuple[Any, Any]], baseline_note: str, who: str = "GPU") -> _Verdict:
    name = row_name(gpu.workload, gpu.backend)
    note = f"; {baseline_note}" if baseline_note else ""
    base = {"workload": gpu.workload, "cpu_backend": cpu.backend, "gpu_backend": gpu.backend,
            "device_name": gpu.device_name, "device_used": gpu.device_used, "min_speedup": min_speedup,
            "baseline_note": baseline_note}
    if not gpu.ok:
        why = gpu.error or "no epoch finished"
        tail = f" (last output: {gpu.stderr_tail[-1]})" if gpu.stderr_tail else ""
        return _Verdict(name, Status.FAIL, GPU_FAILED, f"the GPU run of {gpu.workload} [{_describe(gpu)}] failed: {why}{tail}",
                        fix=catalogue.fix_for(GPU_FAILED), observed=dict(base, error=why))
    fell_back = _fallback_evidence(gpu)
    if gpu.device == "gpu" and fell_back:
        return _Verdict(name, Status.FAIL, GPU_ON_CPU, f"the GPU run of {gpu.workload} [{gpu.backend}] ran on the CPU: {fell_back}",
                        fix=catalogue.fix_for(GPU_ON_CPU), observed=dict(base, evidence=fell_back))
    if not cpu.ok:
        why = cpu.error or "no epoch finished"
        return _Verdict(name, Status.FAIL, CPU_FAILED, f"the CPU baseline of {cpu.workload} [{cpu.backend}] failed: {why}",
                        fix=catalogue.fix_for(SPEED_CPU_FAILED), observed=dict(base, error=why))
    differ = mismatch(cpu, gpu)
    if differ:
        return _Verdict(name, Status.SKIP, MISMATCH, f"not a speedup: the runs trained different models: {differ}",
                        fix=catalogue.fix_for(MISMATCH), observed=dict(base, mismatch=differ))
    ev = evidence(cpu, gpu)
    if ev is None:
        return _Verdict(name, Status.FAIL, GPU_FAILED, f"the runs of {gpu.workload} hold no timing to compare "
                        f"(no rounds, no epochs, no wall time)", fix=catalogue.fix_for(GPU_FAILED), observed=base)
    iv = ev.interval
    observed = dict(base, **ev.observed, speedup=round(iv.ratio, 4), interval=iv.to_dict(), basis=ev.basis)
    subject = f"on {gpu.workload} [{_describe(gpu)}]"
    figure = f"{who} {stats.describe(iv)}"
    result = stats.outcome(iv, min_speedup)
    observed["outcome"] = result
    stalled = stalled_baseline(cpu, gpu)
    if stalled and result != stats.SLOWER:
        observed["stalled"] = stalled
        return _Verdict(name, Status.WARN, BASELINE_STALLED,
                        f"no speedup reported {subject}: the CPU baseline stalled: {stalled}{note}",
                        fix=catalogue.fix_for(BASELINE_STALLED), observed=observed, lines=[_noise(gpu)] if _noise(gpu) else [])
    if result == stats.FASTER:
        return _Verdict(name, Status.PASS, OK, f"{figure} than CPU {subject}: {ev.detail}{note}", observed=observed)
    if result == stats.INCONCLUSIVE:
        noise = _noise(gpu)
        lines = [f"the interval is too wide to tell (±{iv.half_width:.0%}; ±{stats.TARGET_HALF_WIDTH:.0%} wanted)"
                 + (f"; while measuring: {noise}" if noise else "")]
        return _Verdict(name, Status.WARN, INCONCLUSIVE,
                        f"inconclusive: {who} {_ratio_words(iv)} than CPU {subject}, but not certainly "
                        f"{'above' if min_speedup > 1 else 'different from'} {max(min_speedup, 1.0):g}x: "
                        f"{stats.describe(iv).split(' ', 2)[2]}; {ev.detail}{note}",
                        fix=catalogue.fix_for(INCONCLUSIVE), observed=observed, lines=lines)

    points = sweep_points(gpu, sweep)
    measured = [p for p in points if "interval" in p]
    observed["sweep"] = [{"batch": p.get("batch"), "speedup": round(p["interval"].ratio, 4),
                          "lo": round(p["interval"].lo, 4), "hi": round(p["interval"].hi, 4)} if "interval" in p
                         else {"batch": p.get("batch"), "skipped": p.get("skipped")} for p in points]
    sweep_line = ""
    if points:
        sweep_line = "batch sweep: " + "; ".join(
            f"batch {p['batch']}: GPU {_ratio_words(p['interval'])} ({_ci_words(p['interval'])})"
            if "interval" in p else f"batch {p['batch']}: not measured ({p['skipped']})" for p in points)
    better = [p for p in measured if stats.outcome(p["interval"], min_speedup) == stats.FASTER]
    here = f"at batch {ev.observed.get('batch')}" if ev.observed.get("batch") else "as run"
    if better:
        best = max(better, key=lambda p: p["interval"].ratio)
        observed["bound"] = "workload"
        observed["causes"] = measured_causes(cpu, gpu, facts, points, workload_bound=True)
        return _Verdict(name, Status.WARN, WORKLOAD_BOUND,
                        f"workload-bound {subject}: {here} the GPU is {_ratio_words(iv)} than the CPU; at batch "
                        f"{best['batch']} it is {_ratio_words(best['interval'])} — this GPU is fine, the model is too "
                        f"small for it: {ev.detail}{note}", fix=catalogue.fix_for(WORKLOAD_BOUND), observed=observed,
                        lines=[sweep_line], causes=observed["causes"])
    observed["bound"] = "machine" if measured else "unknown"
    if result == stats.SLOWER:
        head, code = f"{figure} than CPU {subject}", SLOWER
    elif result == stats.BELOW_MIN:
        head, code = f"{figure} than CPU {subject}, short of the required {min_speedup:g}x", BELOW_MIN
    else:
        head, code = (f"{who} no faster than CPU {subject}: measured {stats.describe(iv)}, within "
                      f"±{stats.MARGIN:.0%} of the CPU" + (f" (required {min_speedup:g}x)" if min_speedup > 1 else "")), NO_GAIN
    if measured:
        head += ", and no better at any batch size measured"
    causes = measured_causes(cpu, gpu, facts, points)
    observed["causes"] = causes
    fix = FIX_BY_KIND[device_kind(gpu)] if code in (SLOWER, NO_GAIN) else catalogue.fix_for(code)
    return _Verdict(name, Status.FAIL, code, f"{head}: {ev.detail}{note}", fix=fix, observed=observed,
                    lines=[sweep_line] if sweep_line else [], causes=causes, says_no_cause=not causes)


def judge_aa(run: Any) -> List[Finding]:
    """The A/A control's row: the CPU baseline timed against itself must read "no difference".

    ``run`` is the second copy of the baseline, carrying the interleaved measurement of the two.
    Any difference it finds is the machine's (or the statistics') bias, and every speedup of
    this session is then suspect: a WARN that says so.
    """
    name = aa_row_name(run.workload, run.backend)
    if not run.ok:
        return [Finding(name, Status.FAIL, f"the A/A control of {run.workload} [{run.backend}] failed: "
                        f"{run.error or 'no round finished'}", code=CPU_FAILED, fix=catalogue.fix_for(CPU_FAILED))]
    ev = _main_evidence(run, run)
    if ev is None:
        return [Finding(name, Status.WARN, f"the A/A control of {run.workload} [{run.backend}] measured no rounds",
                        code=AA_DIFFERENCE, fix=catalogue.fix_for(AA_DIFFERENCE))]
    iv = ev.interval
    result = stats.outcome(iv)
    floor = stats.noise_floor(iv)
    observed = {"workload": run.workload, "backend": run.backend, "interval": iv.to_dict(), "outcome": result,
                "noise_floor": round(math.exp(floor) - 1, 4), "margin": stats.MARGIN}
    figure = f"{iv.ratio:.3f}x (95 % CI {iv.lo:.3f}–{iv.hi:.3f}x, {iv.n} interleaved rounds)"
    side = (ev.detail.split(",")[0]).replace("CPU ", "")
    if result in (stats.FASTER, stats.SLOWER):
        return [Finding(name, Status.WARN, f"A/A control: two identical {run.backend} runs differ: {figure}; "
                        f"speedups on this machine are not trustworthy", code=AA_DIFFERENCE,
                        fix=catalogue.fix_for(AA_DIFFERENCE), observed=observed)]
    return [Finding(name, Status.PASS, f"A/A control: no difference, {figure}; noise floor "
                    f"±{math.exp(floor) - 1:.1%} at {side}, a difference is claimed only beyond "
                    f"±{stats.MARGIN:.0%}", code=AA_OK, observed=observed)]
