"""Bandwidth checks: do copies run at the speed this GPU's link and memory should give?

Each measured figure is judged against the device's own theoretical limit, not a
fixed number: pinned host<->device copies against the PCIe link (generation x width,
``devices.gpus[i].theoretical.pcie_gbps``), device-to-device copies against DRAM
(memory clock x bus width). Thresholds come from recorded healthy runs
(``tests/data/tools/bandwidthtest``): pinned H2D/D2H reach 0.55-0.82 of the link
(T4 9.7 and V100 9.6 of Gen3 x16's 15.75 GB/s, A100 PCIe 17.3-24.6 and DGX A100 25.7
of Gen4 x16's 31.5), D2D reaches 0.74-0.82 of DRAM (A100 SXM4 1157 of 1555, T4 240
of 320, V100 740 of 900). Below ``LINK_WARN``/``MEMORY_WARN`` something is off
(downgraded link, riser, power saving, a GPU shared with the desktop); below the
``*_FAIL`` fractions the GPU is crippled. ``--dlready-min-bandwidth`` is the user's
own floor for pinned copies and fails below it. Pageable far below pinned is normal
for unpinned buffers and only reported.
"""
from __future__ import annotations

from typing import Any, List, Mapping, Optional

from ..catalogue import define, fix_for
from ..results import Finding, fail, passed, skip, warn
from .devices import gpus, label

LINK_WARN, LINK_FAIL = 0.45, 0.2
MEMORY_WARN, MEMORY_FAIL = 0.5, 0.15
PAGEABLE_WARN = 0.25
#: no link information: pinned H2D below this is slower than any PCIe 2.0 x8 dGPU should be (4 GB/s raw)
NO_LINK_FLOOR_GBPS = 3.0

BELOW_FLOOR = define("DLR-BW-BELOW-FLOOR", "pinned copies below --dlready-min-bandwidth",
                     "see the link and process findings for this GPU; or lower --dlready-min-bandwidth")
LINK_SLOW = define("DLR-BW-LINK-SLOW", "host<->device copies well below what the PCIe link allows",
                   "check the PCIe link under load (nvidia-smi -q -d PCIE while copying), the slot, risers, BIOS "
                   "PCIe settings and power saving; keep data on the GPU between steps")
MEMORY_SLOW = define("DLR-BW-MEMORY-SLOW", "device-to-device copies well below the GPU's memory bandwidth",
                     "the GPU is clocked down or shared: check throttle reasons, power mode (laptops: plug in, "
                     "disable automatic graphics switching) and other processes on the GPU")
PAGEABLE_SLOW = define("DLR-BW-PAGEABLE", "pageable host memory copies far slower than pinned",
                       "use pinned host buffers for batches (torch DataLoader(pin_memory=True), cudaMallocHost)")
COPY_FAILED = define("DLR-BW-COPY-FAILED", "a host<->device or device copy failed while it was timed",
                     "run the copy by hand (bandwidthTest) and read the CUDA error; check the driver and dmesg for Xid errors")

LABELS = {"h2d": "H2D", "d2h": "D2H", "d2d": "D2D"}


def find_gpu(facts: Mapping[str, Any], index: Any) -> Optional[Mapping[str, Any]]:
    for g in gpus(facts):
        if g.get("index") == index:
            return g
    return None


def _row(g: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    memory = "" if b["direction"] == "d2d" else f" {b['memory']}"
    return f"bandwidth GPU{g.get('index')} {LABELS.get(b['direction'], b['direction'])}{memory}"


def check_bandwidth(facts: Mapping[str, Any], index: Any = 0, min_gbps: Optional[float] = None) -> List[Finding]:
    """One row per measured direction/memory kind of one GPU."""
    g = find_gpu(facts, index)
    if g is None:
        return [skip(f"bandwidth GPU{index}", f"no GPU{index} in this snapshot", needs_gpu=True)]
    rows = [b for b in g.get("bandwidth") or [] if isinstance(b, Mapping) and isinstance(b.get("gbps"), (int, float))]
    failed = [b for b in g.get("bandwidth") or [] if isinstance(b, Mapping) and b.get("error")
              and not isinstance(b.get("gbps"), (int, float))]
    copy_failures = [_copy_failed(g, b) for b in failed]
    if not rows and copy_failures:
        return copy_failures
    if not rows:
        return [skip(f"bandwidth GPU{index}", f"{label(g)}: no bandwidth was measured (the CUDA probe, bandwidthTest "
                                              "and NVML-free routes did not run on it)")]
    theo = g.get("theoretical") or {}
    findings = []
    pinned = {b["direction"]: b["gbps"] for b in rows if b.get("memory") == "pinned"}
    for b in rows:
        gbps, row, src = float(b["gbps"]), _row(g, b), b.get("source", "?")
        seen = dict(gbps=gbps, source=src)
        if b["direction"] == "d2d":
            findings.append(_judge_memory(g, row, gbps, theo.get("memory_gbps"), seen))
        elif b.get("memory") == "pinned":
            findings.append(_judge_link(g, row, gbps, theo, min_gbps, seen))
        else:
            ref = pinned.get(b["direction"])
            if isinstance(ref, (int, float)) and ref > 0 and gbps < PAGEABLE_WARN * ref:
                findings.append(warn(row, f"{label(g)}: pageable {LABELS[b['direction']]} copies run at {gbps:.2f} GB/s, "
                                          f"{ref / gbps:.1f}x slower than pinned ({ref:.2f} GB/s)", code=PAGEABLE_SLOW,
                                     fix=fix_for(PAGEABLE_SLOW), pinned_gbps=ref, **seen))
            else:
                findings.append(passed(row, f"{label(g)}: pageable {LABELS[b['direction']]} {gbps:.2f} GB/s"
                                            + (f" (pinned {ref:.2f})" if ref else ""), **seen))
    return findings + copy_failures


def _copy_failed(g: Mapping[str, Any], b: Mapping[str, Any]) -> Finding:
    """A copy the probe could not time is a row of its own, never dropped: the error is the finding."""
    row = _row(g, {"direction": b.get("direction") or "?", "memory": b.get("memory") or "?"})
    err = b.get("error")
    if isinstance(err, Mapping):
        text = f"{err.get('call') or 'CUDA'} returned {err.get('code')} ({err.get('name')}): {err.get('message')}"
    else:
        text = str(err)
    return fail(row, f"{label(g)}: the copy could not be timed: {text}", code=COPY_FAILED, fix=fix_for(COPY_FAILED),
                error=err, source=b.get("source", "?"))


def _judge_link(g: Mapping[str, Any], row: str, gbps: float, theo: Mapping[str, Any], min_gbps: Optional[float],
                seen: dict) -> Finding:
    link, link_gbps = theo.get("pcie_link") or "the PCIe link", theo.get("pcie_gbps")
    if min_gbps is not None and gbps < float(min_gbps):
        return fail(row, f"{label(g)}: pinned copies run at {gbps:.2f} GB/s, below the required {float(min_gbps):g} GB/s",
                    code=BELOW_FLOOR, fix=fix_for(BELOW_FLOOR), floor_gbps=float(min_gbps), **seen)
    if isinstance(link_gbps, (int, float)) and link_gbps > 0:
        share = gbps / link_gbps
        text = f"{label(g)}: {gbps:.2f} GB/s is {share:.0%} of {link} ({link_gbps:g} GB/s)"
        seen.update(share=round(share, 3), link_gbps=link_gbps)
        if share < LINK_FAIL:
            return fail(row, text, code=LINK_SLOW, fix=fix_for(LINK_SLOW), **seen)
        if share < LINK_WARN:
            return warn(row, text + f"; healthy links give {LINK_WARN:.0%} or more", code=LINK_SLOW,
                        fix=fix_for(LINK_SLOW), **seen)
        return passed(row, text, **seen)
    if gbps < NO_LINK_FLOOR_GBPS:
        return warn(row, f"{label(g)}: pinned copies run at {gbps:.2f} GB/s, slower than even a PCIe 2.0 x8 link "
                         "delivers (link width/generation unknown without NVML)", code=LINK_SLOW, fix=fix_for(LINK_SLOW), **seen)
    return passed(row, f"{label(g)}: {gbps:.2f} GB/s (PCIe link unknown without NVML; --dlready-min-bandwidth sets a floor)",
                  **seen)


def _judge_memory(g: Mapping[str, Any], row: str, gbps: float, mem_gbps: Any, seen: dict) -> Finding:
    if not isinstance(mem_gbps, (int, float)) or mem_gbps <= 0:
        return passed(row, f"{label(g)}: device-to-device {gbps:.1f} GB/s (memory clock/bus width unknown)", **seen)
    share = gbps / mem_gbps
    seen.update(share=round(share, 3), memory_gbps=mem_gbps)
    text = f"{label(g)}: device-to-device copies run at {gbps:.1f} GB/s, {share:.0%} of its {mem_gbps:g} GB/s memory bandwidth"
    if share < MEMORY_FAIL:
        return fail(row, text, code=MEMORY_SLOW, fix=fix_for(MEMORY_SLOW), **seen)
    if share < MEMORY_WARN:
        return warn(row, text + f"; healthy GPUs reach {MEMORY_WARN:.0%} or more", code=MEMORY_SLOW,
                    fix=fix_for(MEMORY_SLOW), **seen)
    return passed(row, text, **seen)


def check_opencl_bandwidth(facts: Mapping[str, Any], index: Any = 0) -> List[Finding]:
    """OpenCL device copies: reported (a CPU device has no link to judge), failed rows fail."""
    from ..facts import lookup

    accs = [a for a in lookup(facts, "devices.accelerators", []) or [] if isinstance(a, Mapping) and a.get("index") == index]
    if not accs:
        return [skip(f"OpenCL bandwidth {index}", f"no OpenCL device {index}")]
    a = accs[0]
    rows = [b for b in a.get("bandwidth") or [] if isinstance(b, Mapping)]
    if not rows:
        return [skip(f"OpenCL bandwidth {index}", f"{a.get('name')}: no bandwidth measured")]
    text = ", ".join(f"{LABELS.get(b['direction'], b['direction'])}{'' if b['direction'] == 'd2d' else ' ' + b['memory']} "
                     f"{b['gbps']:.2f}" for b in rows)
    kind = "CPU stand-in device" if a.get("kind") == "cpu" else a.get("kind")
    return [passed(f"OpenCL bandwidth {index}", f"{a.get('name')} ({kind}): {text} GB/s",
                   **{f"{b['direction']}_{b['memory']}_gbps": b["gbps"] for b in rows})]
