"""Measured causes of a slow GPU run: each function returns a cause only with evidence.

A verdict that says "GPU slower than CPU" and then guesses is what readers of the
MacBook GT 750M post got from the internet. Here every cause is a pure function of the
two runs (and optionally the facts snapshot and a batch-size sweep) that returns
``None`` unless something was *measured* that shows it: CPU time vs wall time, a
quoted log line, a device property, a sweep ratio. The evidence string says which.
Causes come from anchors.md section 5 (root causes of slow GPUs, with sources).
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .. import catalogue
from ..facts import lookup
from ..parsers import signals

Cause = Dict[str, str]


def _define(code: str, title: str, fix: str) -> str:
    return catalogue.define(code, title, fix)


HOST_BOUND = _define("DLR-CAUSE-HOST-BOUND", "host-bound GPU run (one CPU core busy all run)",
                     "move data to the GPU once and keep it there; use bigger batches and fewer host<->device copies")
CPU_MULTICORE = _define("DLR-CAUSE-CPU-MULTICORE", "the CPU baseline runs on several cores (multi-threaded BLAS)",
                        "expected on a strong CPU; compare with a larger model or batch where the GPU's parallelism pays")
SMALL_BATCH = _define("DLR-CAUSE-SMALL-BATCH", "work per step too small: the GPU gains with larger batches",
                      "raise the batch size (or the model width) until each step keeps the GPU busy")
PARTIAL_FALLBACK = _define("DLR-CAUSE-PARTIAL-FALLBACK", "some operations ran on the CPU",
                           "use operations the GPU backend supports, or a newer framework version")
FLOAT64 = _define("DLR-CAUSE-FLOAT64", "float64 on the GPU (consumer GPUs run FP64 at 1/32 of FP32)",
                  "cast data and model to float32 (Theano: floatX=float32; Keras: K.set_floatx('float32'))")
CUDNN_OFF = _define("DLR-CAUSE-CUDNN-OFF", "cuDNN not used", "install cuDNN matching the toolkit and enable it "
                    "(Theano: dnn.enabled=True / optimizer_including=cudnn)")
WARMUP = _define("DLR-CAUSE-WARMUP", "compilation/warm-up dominates a short run",
                 "time more epochs; exclude the first epoch (compile, autotune) from comparisons")
GPU_SHARED = catalogue.alias("DLR-CAUSE-GPU-SHARED", "DLR-GPU-SHARED", "the GPU may be shared with other processes",
                     "stop other GPU processes, or give this job its own board (gnumpy: run gpu_lock)")
DISPLAY = catalogue.alias("DLR-CAUSE-DISPLAY", "DLR-GPU-DISPLAY", "the GPU drives a display (kernel run time limit on)",
                  "run on a GPU without a display attached (or a headless/TCC board); on a MacBook, a desktop GPU")
THROTTLE = catalogue.alias("DLR-CAUSE-THROTTLE", "DLR-GPU-THROTTLED", "the GPU was throttled", "check cooling and power limits "
                   "(nvidia-smi -q -d PERFORMANCE); keep the GPU in P0 under load")
PCIE = catalogue.alias("DLR-CAUSE-PCIE", "DLR-GPU-LINK-DOWN", "PCIe link below its maximum under load",
               "reseat the card in a full-width slot, avoid risers, check BIOS PCIe generation settings")
SMALL_GPU = _define("DLR-CAUSE-SMALL-GPU", "a small GPU (few multiprocessors)",
                    "expect little speedup on small models; use a GPU with more multiprocessors")


def clock(seconds: Optional[float]) -> str:
    """``2m7.977s`` like the shell's ``time``, so evidence reads like the user's own log."""
    if seconds is None:
        return "?"
    minutes, rest = divmod(float(seconds), 60.0)
    return f"{int(minutes)}m{rest:.3f}s" if minutes else f"{rest:.3f}s"


def cause(code: str, evidence: str) -> Cause:
    """A measured cause under today's code, with the title the cause's own code gives it."""
    return {"code": catalogue.canonical(code), "title": catalogue.title_for(code), "evidence": evidence}


def _busy(run: Any) -> Optional[float]:
    """CPU seconds per wall second of the whole process (1.0 = one core busy all the time)."""
    if run.wall_s and run.cpu_user_s is not None and run.wall_s > 0:
        return (run.cpu_user_s + (run.cpu_sys_s or 0.0)) / run.wall_s
    return None


def host_bound(cpu: Any, gpu: Any) -> Optional[Cause]:
    busy = _busy(gpu)
    if busy is None or not 0.85 <= busy <= 1.15:
        return None
    text = (f"GPU run: user {clock(gpu.cpu_user_s)} ≈ real {clock(gpu.wall_s)} "
            f"({busy:.0%} of one core busy all run, the GPU waits on the host)")
    cpu_busy = _busy(cpu)
    if cpu_busy is not None and cpu.cpu_user_s > (cpu.wall_s or 0):
        text += f", while the CPU run used more than one core: user {clock(cpu.cpu_user_s)} > real {clock(cpu.wall_s)}"
    return cause(HOST_BOUND, text)


def cpu_multicore(cpu: Any, gpu: Any, facts: Mapping[str, Any]) -> Optional[Cause]:
    if not (cpu.wall_s and cpu.cpu_user_s and cpu.cpu_user_s > 1.1 * cpu.wall_s):
        return None
    text = f"CPU run: user {clock(cpu.cpu_user_s)} over real {clock(cpu.wall_s)} = {cpu.cpu_user_s / cpu.wall_s:.2f} cores"
    blas = lookup(facts, "numpy.blas") or {}
    name = blas.get("name") or blas.get("vendor") if isinstance(blas, Mapping) else None
    if name:
        text += f" (numpy BLAS: {name})"
    return cause(CPU_MULTICORE, text)


def small_batch(cpu: Any, gpu: Any, sweep: Sequence[Tuple[Any, Any]]) -> Optional[Cause]:
    points = []
    for pair in [(cpu, gpu)] + list(sweep or []):
        c, g = pair
        if c.median_epoch and g.median_epoch and g.batch_size:
            points.append((g.batch_size, c.median_epoch / g.median_epoch))
    points = sorted(set(points))
    if len(points) < 2 or points[-1][1] < 1.25 * points[0][1]:
        return None
    steps = " → ".join(f"batch {b}: {r:.2f}x" for b, r in points)
    return cause(SMALL_BATCH, f"speedup grows with batch size: {steps}")


def _signal(run: Any, effect: str) -> Optional[str]:
    """The run's first output line that shows ``effect`` (``parsers.signals``)."""
    return signals.first(list(run.signals or []), effect)


def partial_fallback(cpu: Any, gpu: Any) -> Optional[Cause]:
    line = _signal(gpu, signals.PARTIAL_FALLBACK)
    return cause(PARTIAL_FALLBACK, f"GPU run log: {line}") if line else None


def float64(cpu: Any, gpu: Any) -> Optional[Cause]:
    if str(gpu.dtype).lower() in ("float64", "double"):
        return cause(FLOAT64, f"GPU run dtype: {gpu.dtype}")
    line = _signal(gpu, signals.FLOAT64)
    return cause(FLOAT64, f"GPU run log: {line}") if line else None


def cudnn_off(cpu: Any, gpu: Any) -> Optional[Cause]:
    line = _signal(gpu, signals.CUDNN_OFF)
    if line:
        return cause(CUDNN_OFF, f"GPU run log: {line}")
    if (gpu.extra or {}).get("cudnn") is False:
        return cause(CUDNN_OFF, "GPU run reported cuDNN disabled")
    return None


def warmup(cpu: Any, gpu: Any) -> Optional[Cause]:
    epochs = list(gpu.epoch_seconds or [])
    med = gpu.median_epoch
    if len(epochs) < 2 or not med or epochs[0] < 3 * med:
        return None
    share = epochs[0] / sum(epochs)
    if share < 0.3:
        return None
    return cause(WARMUP, f"GPU epoch 1 took {epochs[0]:.3g} s vs median {med:.3g} s "
                         f"({share:.0%} of all {len(epochs)} epochs)")


def _gpu_facts(gpu: Any, facts: Mapping[str, Any]) -> Tuple[Optional[int], Dict[str, Any]]:
    """The facts record of the GPU the run used: by name, then by ``cuda:N`` index, then the first."""
    gpus = [g for g in (lookup(facts, "devices.gpus") or []) if isinstance(g, Mapping)]
    probe = [g for g in (lookup(facts, "cuda_probe.devices") or []) if isinstance(g, Mapping)]
    index = None
    used = str(gpu.device_used or "")
    if ":" in used and used.rsplit(":", 1)[1].isdigit():
        index = int(used.rsplit(":", 1)[1])
    chosen: Dict[str, Any] = {}
    for pool in (gpus, probe):
        named = [g for g in pool if gpu.device_name and str(g.get("name", "")).strip() == gpu.device_name.strip()]
        pick = named[0] if named else next((g for g in pool if g.get("index") == index), None) or (pool[0] if pool else None)
        if pick:
            for key, value in pick.items():
                chosen.setdefault(key, value)
    if index is None:
        index = chosen.get("index") if isinstance(chosen.get("index"), int) else 0
    return index, chosen


def display(cpu: Any, gpu: Any, facts: Mapping[str, Any]) -> Optional[Cause]:
    index, g = _gpu_facts(gpu, facts)
    src = g.get("source") or "facts"
    if g.get("kernel_run_time_limit") is True:
        return cause(DISPLAY, f"{g.get('name', 'GPU')}: Run time limit on kernels: Yes ({src})")
    if str(g.get("display_active", "")).lower() in ("enabled", "yes", "true"):
        return cause(DISPLAY, f"{g.get('name', 'GPU')}: display_active = {g.get('display_active')} ({src})")
    return None


def gpu_shared(cpu: Any, gpu: Any, facts: Mapping[str, Any]) -> Optional[Cause]:
    line = _signal(gpu, signals.GPU_LOCK)
    if line:
        return cause(GPU_SHARED, f"GPU run log: {line}")
    index, g = _gpu_facts(gpu, facts)
    others = g.get("compute_processes") or g.get("processes")
    if isinstance(others, list) and others:
        names = ", ".join(str(p.get("name") or p.get("process_name") or p.get("pid")) if isinstance(p, Mapping)
                          else str(p) for p in others[:3])
        return cause(GPU_SHARED, f"{len(others)} other process(es) on the GPU: {names}")
    return None


def throttle(cpu: Any, gpu: Any, facts: Mapping[str, Any]) -> Optional[Cause]:
    index, g = _gpu_facts(gpu, facts)
    reasons = g.get("clocks_event_reasons") or g.get("throttle_reasons")
    if isinstance(reasons, str):
        reasons = [r.strip() for r in reasons.split(",") if r.strip()]
    if isinstance(reasons, Mapping):
        reasons = [k for k, v in reasons.items() if str(v).lower() in ("active", "true", "yes")]
    active = [r for r in reasons or [] if "idle" not in str(r).lower() and str(r).lower() not in ("none", "not active")]
    if active:
        return cause(THROTTLE, f"{g.get('name', 'GPU')}: clock event reasons active: {', '.join(map(str, active))}")
    return None


def pcie(cpu: Any, gpu: Any, facts: Mapping[str, Any]) -> Optional[Cause]:
    index, g = _gpu_facts(gpu, facts)
    links = [lk for lk in (lookup(facts, "cuda_probe.links") or []) if isinstance(lk, Mapping) and lk.get("device") == index]
    link = g.get("pcie") or g.get("link") or (links[0] if links else {})
    if not isinstance(link, Mapping):
        return None
    gen, max_gen, width, max_width = (link.get(k) for k in ("gen", "max_gen", "width", "max_width"))
    parts = []
    if isinstance(gen, int) and isinstance(max_gen, int) and 0 < gen < max_gen:
        parts.append(f"generation {gen} of {max_gen}")
    if isinstance(width, int) and isinstance(max_width, int) and 0 < width < max_width:
        parts.append(f"width x{width} of x{max_width}")
    if parts and link.get("under_load", True):
        return cause(PCIE, f"{g.get('name', 'GPU')}: PCIe link at {' and '.join(parts)} under load")
    return None


def small_gpu(cpu: Any, gpu: Any, facts: Mapping[str, Any]) -> Optional[Cause]:
    index, g = _gpu_facts(gpu, facts)
    sms = g.get("multiprocessors")
    if isinstance(sms, int) and 0 < sms <= 4:
        cores = f", {g['cuda_cores']} CUDA cores" if g.get("cuda_cores") else ""
        cc = f", compute capability {g['compute_capability']}" if g.get("compute_capability") else ""
        return cause(SMALL_GPU, f"{g.get('name', 'GPU')}: {sms} multiprocessors{cores}{cc} ({g.get('source') or 'facts'})")
    return None


def measured_causes(cpu: Any, gpu: Any, facts: Optional[Mapping[str, Any]] = None,
                    sweep: Optional[Sequence[Tuple[Any, Any]]] = None) -> List[Cause]:
    """Every cause with evidence, most direct first; a cause that cannot be shown is left out."""
    facts = facts or {}
    found = [
        host_bound(cpu, gpu), cpu_multicore(cpu, gpu, facts), small_batch(cpu, gpu, sweep or []),
        partial_fallback(cpu, gpu), float64(cpu, gpu), cudnn_off(cpu, gpu), warmup(cpu, gpu),
        gpu_shared(cpu, gpu, facts), display(cpu, gpu, facts), throttle(cpu, gpu, facts),
        pcie(cpu, gpu, facts), small_gpu(cpu, gpu, facts),
    ]
    return [c for c in found if c]
