"""Measured causes of a slow GPU run: each function returns a cause only with evidence.

A verdict that says "GPU slower than CPU" and then guesses is what readers of the
MacBook GT 750M post got from the internet. Here every cause is a pure function of the
two runs (and optionally the facts snapshot and a batch-size sweep) that returns
``None`` unless something was *measured* that a healthy GPU would not show: launches per
step times the measured launch latency against the measured step, cores used (user + sys),
a quoted log line, a device property, another process on the device, a sweep ratio. The
evidence string says which. "user ≈ real" is not evidence: any process waiting on a GPU
synchronously spins a core.
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


HOST_BOUND = _define("DLR-CAUSE-HOST-BOUND", "launch-bound GPU run: the GPU waits for the host to issue work",
                     "do more work per launch: larger batches, a wider model, fused or compiled operations "
                     "(torch.compile, CUDA graphs, jax.jit)")
SLOW_LAUNCH = _define("DLR-CAUSE-SLOW-LAUNCH", "slow kernel launches (the host side of each GPU operation is slow)",
                      "check the host: CPU frequency scaling/power saving, a virtualised GPU, debug settings "
                      "(CUDA_LAUNCH_BLOCKING=1), an old driver; a healthy CUDA launch costs 5-15 µs")
CPU_MULTICORE = _define("DLR-CAUSE-CPU-MULTICORE", "the CPU baseline runs on several cores (multi-threaded BLAS)",
                        "expected on a strong CPU; compare with a larger model or batch where the GPU's parallelism pays")
NAIVE_KERNEL = _define("DLR-CAUSE-NAIVE-KERNEL", "hand-written kernels far below the device's library speed",
                       "use the vendor's tuned library (cuBLAS, rocBLAS, CLBlast) instead of naive kernels; "
                       "an OpenCL CPU device (PoCL) is not a GPU")
SMALL_BATCH = _define("DLR-CAUSE-SMALL-BATCH", "work per step too small: the GPU gains with larger batches",
                      "raise the batch size (or the model width) until each step keeps the GPU busy")
PARTIAL_FALLBACK = _define("DLR-CAUSE-PARTIAL-FALLBACK", "some operations ran on the CPU",
                           "use operations the GPU backend supports, or a newer framework version")
FLOAT64 = _define("DLR-CAUSE-FLOAT64", "float64 on the GPU (consumer GPUs run FP64 at 1/32 of FP32)",
                  "cast data and model to float32 (Theano: floatX=float32; Keras: K.set_floatx('float32'))")
CUDNN_OFF = _define("DLR-CAUSE-CUDNN-OFF", "cuDNN not used", "install cuDNN matching the toolkit and enable it "
                    "(Theano: dnn.enabled=True / optimizer_including=cudnn)")
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


def _measured_steps(gpu: Any, side: str) -> Tuple[List[float], Optional[int]]:
    """The per-step seconds of one side of the GPU run's interleaved measurement, and its batch."""
    main = (((getattr(gpu, "extra", None) or {}).get("measurement") or {}).get("main") or {})
    if not isinstance(main, Mapping):
        return [], None
    steps = (main.get(side) or {}).get("per_step_s") if isinstance(main.get(side), Mapping) else None
    batch = main.get("batch")
    return sorted(v for v in steps or [] if isinstance(v, (int, float)) and v > 0), batch if isinstance(batch, int) else None


def gflops(run: Any, measured_by: Any = None, side: str = "gpu") -> Optional[float]:
    """Achieved GFLOP/s of a run that reports its FLOPs (the DBN does).

    From the interleaved measurement that ``measured_by`` (the GPU run) carries, for ``side``,
    when there is one -- so a replay of the snapshot reads the same figure -- else per epoch.
    """
    extra = getattr(run, "extra", None) or {}
    per_sample = extra.get("flops_per_sample") or ((getattr(measured_by, "extra", None) or {}).get("flops_per_sample"))
    steps, batch = _measured_steps(measured_by if measured_by is not None else run, side)
    if isinstance(per_sample, (int, float)) and per_sample > 0 and steps and batch:
        return per_sample * batch / steps[len(steps) // 2] / 1e9
    flops = extra.get("flops_per_epoch")
    med = getattr(run, "median_epoch", None)
    if isinstance(flops, (int, float)) and flops > 0 and med:
        return flops / med / 1e9
    return None


def _cores(run: Any) -> Optional[float]:
    """Cores a run kept busy (user + system CPU seconds per wall second): measured rounds, else the whole process."""
    rounds = (getattr(run, "extra", None) or {}).get("round_cores")
    if isinstance(rounds, list):
        xs = sorted(v for v in rounds if isinstance(v, (int, float)) and v >= 0)
        if xs:
            return xs[len(xs) // 2]
    if run.wall_s and run.cpu_user_s is not None and run.wall_s > 0:
        return (run.cpu_user_s + (run.cpu_sys_s or 0.0)) / run.wall_s
    return None


def _gpu_step_s(gpu: Any) -> Optional[float]:
    steps = sorted(v for v in (gpu.extra or {}).get("per_step_s") or [] if isinstance(v, (int, float)) and v > 0)
    return steps[len(steps) // 2] if steps else None


#: a launch slower than this on a CUDA/ROCm device is slow (healthy: 5-15 µs, anchors.md section 5)
SLOW_LAUNCH_US = 25.0
#: launch overhead at least this share of a GPU step: the step is launch-bound
LAUNCH_SHARE = 0.5


def host_bound(cpu: Any, gpu: Any) -> Optional[Cause]:
    """Operations per step x measured launch latency against the measured GPU step: the GPU waits on the host."""
    extra = gpu.extra or {}
    ops, launch_us, step = extra.get("ops_per_step"), extra.get("launch_us"), _gpu_step_s(gpu)
    if not (isinstance(ops, int) and isinstance(launch_us, (int, float)) and step):
        return None
    overhead = ops * launch_us * 1e-6
    share = overhead / step
    if share < LAUNCH_SHARE:
        return None
    return cause(HOST_BOUND, f"GPU step {step * 1e3:.3g} ms, of which {ops} launches × {launch_us:.3g} µs = "
                             f"{overhead * 1e3:.3g} ms ({min(share, 1.0):.0%}) is issuing work, measured")


def slow_launch(cpu: Any, gpu: Any) -> Optional[Cause]:
    launch_us = (gpu.extra or {}).get("launch_us")
    used = str(gpu.device_used or "").lower()
    if not isinstance(launch_us, (int, float)) or not used.startswith(("cuda", "rocm", "hip")):
        return None
    if launch_us <= SLOW_LAUNCH_US:
        return None
    return cause(SLOW_LAUNCH, f"{launch_us:.3g} µs per launch measured on {gpu.device_name or used} "
                              f"(healthy: 5-15 µs)")


def cpu_multicore(cpu: Any, gpu: Any, facts: Mapping[str, Any]) -> Optional[Cause]:
    """The CPU baseline used clearly more cores than the GPU run did (user + sys over wall)."""
    c, g = _cores(cpu), _cores(gpu)
    if c is None or c < 1.5 or (g is not None and c < 1.3 * g):
        return None
    text = f"CPU run kept {c:.2f} cores busy (user + sys over wall)"
    if g is not None:
        text += f", the GPU run {g:.2f}"
    blas = lookup(facts, "numpy.blas") or {}
    name = blas.get("name") or blas.get("vendor") if isinstance(blas, Mapping) else None
    if name:
        text += f" (numpy BLAS: {name})"
    return cause(CPU_MULTICORE, text)


def naive_kernel(cpu: Any, gpu: Any) -> Optional[Cause]:
    """Hand-written kernels (the OpenCL route) computing far slower than the CPU's tuned BLAS."""
    kernels = str((gpu.extra or {}).get("kernels") or "")
    g_cpu, g_gpu = gflops(cpu, gpu, "cpu"), gflops(gpu, gpu, "gpu")
    if "naive" not in kernels or not g_cpu or not g_gpu or g_gpu >= 0.5 * g_cpu:
        return None
    return cause(NAIVE_KERNEL, f"{gpu.backend} {kernels} reach {g_gpu:.3g} GFLOP/s on "
                               f"{gpu.device_name or gpu.device_used}, {cpu.backend}'s BLAS on the CPU {g_cpu:.3g} GFLOP/s")


def small_batch(cpu: Any, gpu: Any, points: Sequence[Mapping[str, Any]]) -> Optional[Cause]:
    """The speedup grows with the batch size in the sweep (measured points only)."""
    main = (gpu.extra or {}).get("measured_batch") or gpu.batch_size
    found = [(int(p["batch"]), p["interval"].ratio) for p in points or []
             if "interval" in p and isinstance(p.get("batch"), int)]
    measured = (((gpu.extra or {}).get("measurement") or {}).get("main") or {}).get("interval") or {}
    ratio = measured.get("ratio") if isinstance(measured, Mapping) else None
    if ratio is None and cpu.median_epoch and gpu.median_epoch:
        ratio = cpu.median_epoch / gpu.median_epoch
    if isinstance(main, int) and isinstance(ratio, (int, float)):
        found.append((main, float(ratio)))
    found = sorted(set(found))
    if len(found) < 2 or found[-1][1] < 1.25 * found[0][1]:
        return None
    steps = " → ".join(f"batch {b}: {r:.2f}x" for b, r in found)
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


#: process names of this tool's own probes and workloads: never "other processes on the GPU"
OWN_PROCESSES = ("dlready", "cuda_native", "dbn.py", "mnist_cnn", "pytest")


def gpu_shared(cpu: Any, gpu: Any, facts: Mapping[str, Any]) -> Optional[Cause]:
    """Another process seen on the device (nvidia-smi's compute processes), not this tool's own.

    gnumpy's "gpu_lock" warning is not evidence: it only says the lock script is not installed.
    """
    index, g = _gpu_facts(gpu, facts)
    others = g.get("compute_processes") or g.get("processes")
    if not isinstance(others, list):
        return None
    own = set((gpu.extra or {}).get("own_pids") or [])
    foreign = []
    for p in others:
        name = str(p.get("name") or p.get("process_name") or "") if isinstance(p, Mapping) else str(p)
        pid = p.get("pid") if isinstance(p, Mapping) else None
        if pid in own or any(tag in name.lower() for tag in OWN_PROCESSES):
            continue
        foreign.append(name or f"pid {pid}")
    if not foreign:
        return None
    return cause(GPU_SHARED, f"{len(foreign)} other process(es) on the GPU: {', '.join(foreign[:3])}")


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
                    points: Optional[Sequence[Mapping[str, Any]]] = None, workload_bound: bool = False) -> List[Cause]:
    """Every cause with evidence, most direct first; a cause that cannot be shown is left out.

    ``points``: the batch sweep (``speedup.sweep_points``). ``workload_bound``: the GPU is fine
    at a larger batch, so only what explains a too-small workload is listed (launch overhead,
    the batch itself), not the machine's faults.
    """
    facts = facts or {}
    if workload_bound:
        found = [host_bound(cpu, gpu), small_batch(cpu, gpu, points or []), cpu_multicore(cpu, gpu, facts)]
    else:
        found = [
            naive_kernel(cpu, gpu), slow_launch(cpu, gpu), host_bound(cpu, gpu), cpu_multicore(cpu, gpu, facts),
            small_batch(cpu, gpu, points or []), partial_fallback(cpu, gpu), float64(cpu, gpu), cudnn_off(cpu, gpu),
            gpu_shared(cpu, gpu, facts), display(cpu, gpu, facts), throttle(cpu, gpu, facts),
            pcie(cpu, gpu, facts), small_gpu(cpu, gpu, facts),
        ]
    return [c for c in found if c]
