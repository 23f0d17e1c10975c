"""Signals that explain a slow GPU before any training runs: link, sharing, clocks, display.

Each check reads ``devices.gpus[i].signals`` (NVML where available, the native CUDA
probe's under-load link sample, deviceQuery's "Run time limit on kernels") and says
what it means for training speed. The speedup verdict cites the same facts when a
GPU turns out slower than the CPU. A signal nobody could read is a SKIP naming the
route that would read it, never a guess.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, List, Mapping, Optional

from ..facts import host_os
from ..catalogue import define, fix_for
from ..results import Finding, passed, skip, warn
from .device_bandwidth import LINK_WARN, find_gpu
from .devices import label

LINK_DOWN = define("DLR-GPU-LINK-DOWN", "PCIe link below its maximum generation or width",
                   "reseat the card in a x16 slot wired to the CPU, check risers/eGPU enclosures and the BIOS PCIe speed setting")
SHARED = define("DLR-GPU-SHARED", "other compute processes use the GPU",
                "stop the other jobs (nvidia-smi lists them) or pick a free GPU with CUDA_VISIBLE_DEVICES")
THROTTLED = define("DLR-GPU-THROTTLED", "GPU clocks held down (power, thermal or hardware slowdown)",
                   "improve cooling/power delivery, check nvidia-smi -q -d PERFORMANCE, and the power limit (nvidia-smi -pl)")
DISPLAY = define("DLR-GPU-DISPLAY", "the GPU drives a display (kernel run-time limit)",
                 "train on a GPU without a monitor (or use the integrated GPU for the desktop; TCC mode on Windows); the "
                 "watchdog kills long kernels and the desktop shares the GPU's time and memory")
PERSISTENCE = define("DLR-GPU-PERSISTENCE-OFF", "persistence mode off on a headless Linux GPU",
                     "sudo nvidia-smi -pm 1 (or enable nvidia-persistenced) so each process does not reinitialise the GPU")
MEMORY_BUSY = define("DLR-GPU-MEMORY-BUSY", "most GPU memory already in use",
                     "free GPU memory (other processes, the desktop) before training; batch sizes that fit will be smaller")

HARMFUL_THROTTLE = ("sw_power_cap", "hw_slowdown", "sw_thermal_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown")
MEMORY_BUSY_SHARE = 0.5


def _signals(g: Mapping[str, Any]) -> Mapping[str, Any]:
    sig = g.get("signals")
    return sig if isinstance(sig, Mapping) else {}


def _missing(index: Any) -> List[Finding]:
    return [skip(f"GPU{index} signals", f"no GPU{index} in this snapshot", needs_gpu=True)]


def _per_gpu(title: str) -> Callable[[Callable[..., List[Finding]]], Callable[..., List[Finding]]]:
    """``check(facts, index)`` from a judgement of one GPU's record, whose row is ``"<title> GPU<index>"``."""
    def wrap(judge: Callable[..., List[Finding]]) -> Callable[..., List[Finding]]:
        @functools.wraps(judge)
        def check(facts: Mapping[str, Any], index: Any = 0) -> List[Finding]:
            g = find_gpu(facts, index)
            if g is None:
                return _missing(index)
            return judge(facts, g, f"{title} GPU{index}")
        return check
    return wrap


@_per_gpu("PCIe link")
def check_link(facts: Mapping[str, Any], g: Mapping[str, Any], row: str) -> List[Finding]:
    """PCIe generation/width: judged under load when sampled so; an idle reading is only a hint."""
    pcie = _signals(g).get("pcie") or {}
    gmax, wmax = pcie.get("gen_max"), pcie.get("width_max")
    if not isinstance(gmax, int) or not isinstance(wmax, int):
        return [skip(row, f"{label(g)}: PCIe link generation/width unknown (read through NVML: pip install nvidia-ml-py)")]
    loaded = pcie.get("under_load") if isinstance(pcie.get("under_load"), Mapping) else None
    gen = (loaded or {}).get("gen", pcie.get("gen_current"))
    width = (loaded or {}).get("width", pcie.get("width_current"))
    seen = dict(gen=gen, width=width, gen_max=gmax, width_max=wmax, under_load=loaded is not None)
    link = f"Gen{gen} x{width}"
    if not isinstance(gen, int) or not isinstance(width, int):
        return [skip(row, f"{label(g)}: current PCIe link unknown", **seen)]
    if gen >= gmax and width >= wmax:
        return [passed(row, f"{label(g)}: {link}{' under load' if loaded else ''}, the maximum (Gen{gmax} x{wmax})", **seen)]
    if loaded:
        return [warn(row, f"{label(g)}: PCIe link runs at {link} under load, the slot and card allow Gen{gmax} x{wmax}",
                     code=LINK_DOWN, fix=fix_for(LINK_DOWN), **seen)]
    h2d = [b.get("gbps") for b in g.get("bandwidth") or [] if isinstance(b, Mapping)
           and b.get("direction") == "h2d" and b.get("memory") == "pinned" and isinstance(b.get("gbps"), (int, float))]
    link_gbps = (g.get("theoretical") or {}).get("pcie_gbps")
    if h2d and isinstance(link_gbps, (int, float)) and link_gbps > 0 and h2d[0] >= LINK_WARN * link_gbps:
        return [passed(row, f"{label(g)}: idle at {link} (links train down when idle); copies reach "
                            f"{h2d[0] / link_gbps:.0%} of Gen{gmax} x{wmax}, so the link trains up under load", **seen)]
    if width < wmax:  # width does not change with power saving the way generation does
        return [warn(row, f"{label(g)}: PCIe link is x{width} of x{wmax} (read at idle)", code=LINK_DOWN,
                     fix=fix_for(LINK_DOWN), **seen)]
    return [skip(row, f"{label(g)}: idle at {link} of Gen{gmax} x{wmax}; idle links train down, and no under-load "
                      "sample or bandwidth figure confirms it", **seen)]


@_per_gpu("other processes")
def check_processes(facts: Mapping[str, Any], g: Mapping[str, Any], row: str) -> List[Finding]:
    """Other compute processes share the GPU's time and memory (gnumpy's gpu_lock question)."""
    sig = _signals(g)
    if "compute_processes" not in sig:
        return [skip(row, f"{label(g)}: cannot list GPU processes without NVML (pip install nvidia-ml-py)")]
    procs = [p for p in sig.get("compute_processes") or [] if isinstance(p, Mapping)]
    graphics = [p for p in sig.get("graphics_processes") or [] if isinstance(p, Mapping)]
    if procs:
        names = sorted({str(p.get("name") or "unknown").rsplit("/", 1)[-1] for p in procs})
        used = sum(p.get("used_mib") or 0 for p in procs)
        return [warn(row, f"{label(g)} is shared with {len(procs)} other compute process(es) ({', '.join(names[:3])}) "
                          f"holding {used} MiB", code=SHARED, fix=fix_for(SHARED),
                     pids=[p.get("pid") for p in procs], used_mib=used)]
    extra = f"; {len(graphics)} graphics process(es) (the desktop) also use it" if graphics else ""
    return [passed(row, f"{label(g)}: no other compute process{extra}", graphics=len(graphics))]


@_per_gpu("clock throttling")
def check_throttle(facts: Mapping[str, Any], g: Mapping[str, Any], row: str) -> List[Finding]:
    throttle = _signals(g).get("throttle") or {}
    if throttle.get("mask") is None:
        return [skip(row, f"{label(g)}: clock throttle reasons unknown (read through NVML)")]
    active = [r for r in throttle.get("active") or [] if r in HARMFUL_THROTTLE]
    if active:
        return [warn(row, f"{label(g)}: clocks held down by {', '.join(active)}", code=THROTTLED, fix=fix_for(THROTTLED),
                     reasons=list(throttle.get("active") or []))]
    other = ", ".join(throttle.get("active") or []) or "none"
    return [passed(row, f"{label(g)}: no power/thermal slowdown (active reasons: {other})")]


@_per_gpu("display")
def check_display(facts: Mapping[str, Any], g: Mapping[str, Any], row: str) -> List[Finding]:
    """A GPU that drives a display runs kernels under a watchdog and shares itself with the desktop."""
    display = _signals(g).get("display") or {}
    limit, active = display.get("kernel_run_time_limit"), display.get("active")
    if limit is True or active is True:
        evidence = "Run time limit on kernels: Yes" if limit is True else "NVML display_active"
        return [warn(row, f"{label(g)} drives a display ({evidence}): kernels run under a watchdog and the desktop "
                          "shares the GPU", code=DISPLAY, fix=fix_for(DISPLAY), kernel_run_time_limit=limit, display_active=active)]
    if limit is None and active is None:
        return [skip(row, f"{label(g)}: whether it drives a display is unknown")]
    return [passed(row, f"{label(g)} does not drive a display")]


@_per_gpu("persistence mode")
def check_persistence(facts: Mapping[str, Any], g: Mapping[str, Any], row: str) -> List[Finding]:
    sig = _signals(g)
    mode = sig.get("persistence_mode")
    if mode is None or host_os(facts) not in (None, "linux"):
        return [skip(row, f"{label(g)}: persistence mode not applicable or unknown (Linux + NVML only)")]
    if mode:
        return [passed(row, f"{label(g)}: persistence mode on")]
    if (sig.get("display") or {}).get("active"):
        return [passed(row, f"{label(g)}: persistence mode off, but the display keeps the driver loaded")]
    return [warn(row, f"{label(g)}: persistence mode is off on a headless GPU: each new process pays driver "
                      "initialisation and clocks reset between runs", code=PERSISTENCE, fix=fix_for(PERSISTENCE))]


@_per_gpu("free memory")
def check_memory(facts: Mapping[str, Any], g: Mapping[str, Any], row: str) -> List[Finding]:
    mem = _signals(g).get("memory") or {}
    total, free = mem.get("total_mib"), mem.get("free_mib")
    if not isinstance(total, (int, float)) or not isinstance(free, (int, float)) or total <= 0:
        return [skip(row, f"{label(g)}: free memory unknown")]
    share = free / total
    if share < MEMORY_BUSY_SHARE:
        return [warn(row, f"{label(g)}: only {free:.0f} of {total:.0f} MiB free ({share:.0%}) before training",
                     code=MEMORY_BUSY, fix=fix_for(MEMORY_BUSY), free_mib=free, total_mib=total)]
    return [passed(row, f"{label(g)}: {free:.0f} of {total:.0f} MiB free", free_mib=free, total_mib=total)]


def all_signals(facts: Mapping[str, Any], index: Any = 0) -> List[Finding]:
    out: List[Finding] = []
    for fn in (check_link, check_processes, check_throttle, check_display, check_persistence, check_memory):
        out.extend(fn(facts, index))
    return out


def gpu_indexes(facts: Mapping[str, Any]) -> List[Optional[int]]:
    from .devices import gpus

    return [g.get("index") for g in gpus(facts)]
