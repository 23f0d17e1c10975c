"""Per-host grouping of a readiness report: who ran, on what hardware, with what result.

A CI gate over many nodes must never average hosts together: one slow or broken GPU
hides in a mean. Each xdist worker (or each single run) therefore becomes one *host
entry* with its own identity (hostname, GPUs, driver, toolkit) and its own verdict,
computed by the same ``results.rollup`` over that host's rows only. Pure functions;
bad input yields empty fields, never an exception.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ..facts import lookup
from ..results import rollup


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def driver_version(facts: Mapping[str, Any]) -> str:
    """The NVIDIA driver version the probes found, from the most direct source first."""
    for dotted in ("driver.nvml.driver_version", "cuda_probe.driver_version"):
        value = lookup(facts, dotted)
        if value not in (None, "", 0):
            return _text(value)
    return ""


def host_summary(facts: Mapping[str, Any]) -> Dict[str, Any]:
    """Builtins-only identity of the host a snapshot describes (travels in xdist workeroutput)."""
    if not isinstance(facts, Mapping):
        facts = {}
    host = lookup(facts, "host", {}) or {}
    host = host if isinstance(host, Mapping) else {}
    gpus = lookup(facts, "devices.gpus", []) or []
    gpus = [dict(g) for g in gpus if isinstance(g, Mapping)] if isinstance(gpus, list) else []
    cpu = host.get("cpu") if isinstance(host.get("cpu"), Mapping) else {}
    return {
        "hostname": _text(host.get("hostname")),
        "os": _text(host.get("os")),
        "os_name": _text(host.get("os_name")),
        "os_version": _text(host.get("os_version")),
        "cpu": _text(cpu.get("model")),
        "python": _text(lookup(facts, "python.version")),
        "gpus": gpus,
        "driver_version": driver_version(facts),
        "cuda_toolkit": _text(lookup(facts, "cuda.toolkit_version")),
        "facts_source": _text(facts.get("source")),
        "bandwidth_gbps": bandwidth_summary(lookup(facts, "cuda_probe.bandwidth", [])),
    }


def bandwidth_summary(rows: Any) -> Dict[str, float]:
    """``{"h2d pinned": GB/s, ...}``: the *slowest* GPU per direction/memory, so one bad link shows."""
    out: Dict[str, float] = {}
    if not isinstance(rows, list):
        return out
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        gbps = row.get("gbps")
        if isinstance(gbps, bool) or not isinstance(gbps, (int, float)) or not math.isfinite(gbps) or gbps <= 0:
            continue
        key = f"{_text(row.get('direction'))} {_text(row.get('memory'))}".strip()
        out[key] = min(out.get(key, float(gbps)), float(gbps))
    return out


def gpu_model(gpus: Any) -> str:
    """``2x NVIDIA H100 80GB HBM3`` / ``GeForce GT 750M`` / ``none`` for a GPU list."""
    if not isinstance(gpus, list):
        return "none"
    names: List[str] = []
    for gpu in gpus:
        if isinstance(gpu, Mapping):
            names.append(_text(gpu.get("name")) or "unnamed GPU")
    if not names:
        return "none"
    parts = []
    for name in dict.fromkeys(names):
        count = names.count(name)
        parts.append(f"{count}x {name}" if count > 1 else name)
    return ", ".join(parts)


def host_entries(
    rows: Sequence[Mapping[str, Any]],
    local: Mapping[str, Any],
    reported: Mapping[str, Mapping[str, Any]],
    lost: Sequence[str],
    exitstatus: Optional[int],
) -> List[Dict[str, Any]]:
    """One entry per host: each xdist node that reported (or was lost), else the local run.

    ``local`` is the controller's ``host_summary``; ``reported`` maps each per-host xdist
    node id to the summary its worker sent (a lost one may have sent only its spec);
    ``lost`` lists node ids that went away mid-run. Without per-host nodes (no xdist,
    or ``-n N`` sharing the controller's facts) the run is one host.
    """
    nodes = sorted(reported, key=_node_order)
    if not nodes:
        entry = dict(local)
        entry.update(node="", spec="", lost=False, verdict=rollup(list(rows), exitstatus))
        return [entry]
    entries = []
    for node in nodes:
        entry: Dict[str, Any] = dict(host_summary({}))
        entry.update(reported.get(node, {}))
        own = [r for r in rows if r.get("node") == node]
        verdict = rollup(own, exitstatus)
        if not own:  # e.g. xdist's replacement for a crashed worker, with nothing left to run
            verdict.update(status="NO VERDICT", reasons=[f"no checks ran on worker {node}"])
        entry.update(node=node, lost=node in lost, verdict=verdict)
        entry.setdefault("spec", "")
        if not entry["hostname"]:
            entry["hostname"] = f"(unknown: worker {node} lost before reporting)" if node in lost else ""
        entries.append(entry)
    return entries


def _node_order(node: str) -> tuple:
    """gw2 before gw10."""
    digits = "".join(ch for ch in node if ch.isdigit())
    return (node.rstrip("0123456789"), int(digits) if digits else -1, node)


def label(entry: Mapping[str, Any]) -> str:
    """``gpu1`` or ``gpu1 [gw0]``: the hostname plus the xdist node when there is one."""
    name = _text(entry.get("hostname")) or "?"
    node = _text(entry.get("node"))
    return f"{name} [{node}]" if node else name
