"""How busy the machine was while something was timed: load average, steal time, the busiest processes.

A timing on a busy machine is not a timing of the workload. ``sample()`` reads what the
kernel counts (``/proc/loadavg``, ``/proc/stat``, ``/proc/<pid>/stat``); ``since(before)``
turns two samples into what happened between them. Linux only; elsewhere the fields are
``None`` and the rest of the tool says the noise could not be measured. Never raises.
"""
from __future__ import annotations

import os
import time
from typing import Any, Dict, Iterable, List, Optional

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") and "SC_CLK_TCK" in getattr(os, "sysconf_names", {}) else 100


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def _cpu_line() -> Optional[List[int]]:
    text = _read("/proc/stat")
    if not text:
        return None
    first = text.split("\n", 1)[0].split()
    if not first or first[0] != "cpu":
        return None
    try:
        return [int(v) for v in first[1:]]
    except ValueError:
        return None


def _processes() -> Dict[int, tuple]:
    """pid -> (name, utime + stime ticks) of every process."""
    out: Dict[int, tuple] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if not name.isdigit():
            continue
        text = _read(f"/proc/{name}/stat")
        if not text or ")" not in text:
            continue
        comm = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        try:
            out[int(name)] = (comm, int(fields[11]) + int(fields[12]))
        except (IndexError, ValueError):
            continue
    return out


def sample() -> Dict[str, Any]:
    """What the kernel says now (``since`` compares two of these)."""
    load = _read("/proc/loadavg")
    return {"time": time.monotonic(), "loadavg": [float(v) for v in load.split()[:3]] if load else None,
            "cpu": _cpu_line(), "procs": _processes(), "cpus": os.cpu_count() or 1}


def since(before: Dict[str, Any], exclude: Iterable[int] = ()) -> Dict[str, Any]:
    """Machine activity between ``before`` and now, excluding the processes in ``exclude`` (ours)."""
    after = sample()
    elapsed = max(after["time"] - before.get("time", after["time"]), 1e-6)
    out: Dict[str, Any] = {"seconds": round(elapsed, 3), "loadavg": after["loadavg"], "cpus": after["cpus"],
                           "steal_share": None, "busy": []}
    c0, c1 = before.get("cpu"), after.get("cpu")
    if c0 and c1 and len(c0) == len(c1) and len(c1) > 7:
        total = sum(c1) - sum(c0)
        out["steal_share"] = round((c1[7] - c0[7]) / total, 4) if total > 0 else 0.0
    skip = set(exclude) | {os.getpid()}
    p0 = before.get("procs") or {}
    busy = []
    for pid, (name, ticks) in (after.get("procs") or {}).items():
        if pid in skip or pid not in p0 or p0[pid][0] != name:
            continue
        cores = (ticks - p0[pid][1]) / TICKS / elapsed
        if cores >= 0.05:
            busy.append({"pid": pid, "name": name, "cores": round(cores, 2)})
    out["busy"] = sorted(busy, key=lambda b: -b["cores"])[:5]
    return out
