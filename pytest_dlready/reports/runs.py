"""CPU-vs-GPU pairs and speedups from a report's ``runs``, for charts and fleet columns.

The speedup verdict itself comes from ``checks/speedup.py`` (its rows are in the report);
this module only *presents* the measured epochs: each GPU run is paired with the CPU
run of the same workload on the same node — the same backend when there is one (torch
CPU vs torch CUDA), else the fastest CPU run (numpy vs gnumpy, as in the MacBook seed),
because the honest question is "is the GPU faster than the best this CPU can do".
Input is JSON from a file: anything malformed is skipped, never raised.
"""
from __future__ import annotations

import math
import statistics
from typing import Any, Dict, List, Mapping, Optional, Sequence


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and math.isfinite(value) and value >= 0:
        return float(value)
    return None


def median_epoch(run: Mapping[str, Any]) -> Optional[float]:
    """Median of the timed epochs (warm-up dropped when there are enough), as ``RunResult``."""
    epochs = run.get("epoch_seconds") if isinstance(run, Mapping) else None
    if not isinstance(epochs, list):
        return None
    values = [v for v in (_number(e) for e in epochs) if v is not None]
    if len(values) != len(epochs) or not values:
        return None
    warmup = run.get("warmup_epochs", 1)
    warmup = warmup if isinstance(warmup, int) and not isinstance(warmup, bool) and warmup >= 0 else 1
    timed = values[warmup:] if len(values) > warmup else values
    return statistics.median(timed)


def _text(run: Mapping[str, Any], key: str) -> str:
    value = run.get(key)
    return "" if value is None else str(value)


def pair_label(workload: str, cpu_backend: str, gpu_backend: str) -> str:
    """``mnist-cnn[torch]`` for like-for-like, ``dbn-mnist[numpy vs gnumpy+npmat]`` otherwise."""
    if not cpu_backend or not gpu_backend or cpu_backend == gpu_backend:
        return f"{workload}[{gpu_backend or cpu_backend}]"
    return f"{workload}[{cpu_backend} vs {gpu_backend}]"


def verdict_baselines(rows: Any) -> Dict[tuple, str]:
    """``(node, workload, gpu_backend) -> cpu_backend`` as the verdict's speedup rows paired them."""
    out: Dict[tuple, str] = {}
    for row in rows if isinstance(rows, list) else []:
        observed = row.get("observed") if isinstance(row, Mapping) else None
        if not isinstance(observed, Mapping):
            continue
        names = [observed.get(k) for k in ("workload", "gpu_backend", "cpu_backend")]
        if all(isinstance(n, str) and n for n in names):
            out[(str(row.get("node") or ""), names[0], names[1])] = names[2]
    return out


def pairs(runs: Any, rows: Any = None) -> List[Dict[str, Any]]:
    """One entry per GPU run (with its CPU baseline) and per CPU run no GPU run used.

    The baseline is the one the verdict's speedup row names (``rows``' observed
    ``cpu_backend``) when there is one, so chart and verdict agree; else as described
    in the module docstring. Entry: node, workload, label, cpu{backend, seconds,
    device_name, error}, gpu{...} (either may be None), speedup (CPU / GPU median).
    """
    if not isinstance(runs, list):
        return []
    chosen = verdict_baselines(rows)
    groups: Dict[tuple, List[Mapping[str, Any]]] = {}
    for run in runs:
        if isinstance(run, Mapping) and _text(run, "device") in ("cpu", "gpu"):
            groups.setdefault((_text(run, "node"), _text(run, "workload")), []).append(run)
    out: List[Dict[str, Any]] = []
    for (node, workload), members in groups.items():
        cpus = [r for r in members if _text(r, "device") == "cpu"]
        gpus = [r for r in members if _text(r, "device") == "gpu"]
        timed_cpus = [r for r in cpus if r.get("ok", True) is not False and median_epoch(r) is not None]
        used = set()
        for gpu in gpus:
            named = chosen.get((node, workload, _text(gpu, "backend")))
            if named is None and not node:  # -n N: rows carry gw ids, runs do not
                named = next((v for (n, w, b), v in chosen.items() if w == workload and b == _text(gpu, "backend")), None)
            same = [r for r in timed_cpus if _text(r, "backend") == (named or _text(gpu, "backend"))]
            pool = same or timed_cpus
            cpu = min(pool, key=lambda r: median_epoch(r) or math.inf) if pool else None
            if cpu is None and cpus:
                cpu = cpus[0]  # a failed CPU run still belongs in the picture
            if cpu is not None:
                used.add(id(cpu))
            out.append(_entry(node, workload, cpu, gpu))
        for cpu in cpus:
            if id(cpu) not in used:
                out.append(_entry(node, workload, cpu, None))
    return out


def _side(run: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    if run is None:
        return None
    error = _text(run, "error")
    if run.get("ok", True) is False and not error:
        error = "run failed"
    return {
        "backend": _text(run, "backend"),
        "seconds": median_epoch(run),
        "epochs": len(run["epoch_seconds"]) if isinstance(run.get("epoch_seconds"), list) else 0,
        "device_used": _text(run, "device_used"),
        "device_name": _text(run, "device_name"),
        "error": error.splitlines()[0][:200] if error else "",
    }


def _entry(node: str, workload: str, cpu: Optional[Mapping[str, Any]], gpu: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    c, g = _side(cpu), _side(gpu)
    speedup = None
    if c and g and c["seconds"] and g["seconds"] and not c["error"] and not g["error"]:
        speedup = c["seconds"] / g["seconds"]
    return {
        "node": node,
        "workload": workload,
        "label": pair_label(workload, c["backend"] if c else "", g["backend"] if g else ""),
        "cpu": c,
        "gpu": g,
        "speedup": speedup,
    }


def speedups(runs: Any, node: Optional[str] = None, rows: Any = None) -> Dict[str, Optional[float]]:
    """``{label: speedup}`` for the GPU runs (of one node when given); None where not measurable."""
    result: Dict[str, Optional[float]] = {}
    for entry in pairs(runs, rows):
        if entry["gpu"] is None or (node is not None and entry["node"] != node):
            continue
        result[entry["label"]] = entry["speedup"]
    return result


def format_seconds(value: Optional[float]) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:.0f} s"
    if value >= 1:
        return f"{value:.2f} s"
    return f"{value * 1000:.0f} ms" if value >= 0.001 else f"{value * 1e6:.0f} µs"


def format_speedup(value: Optional[float]) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}×" if value < 10 else f"{value:.1f}×" if value < 100 else f"{value:.0f}×"


def below(value: Optional[float], threshold: Any) -> bool:
    """Whether a measured speedup misses the session's ``min_speedup``."""
    limit = _number(threshold)
    return value is not None and limit is not None and value < limit


def node_runs(runs: Sequence[Mapping[str, Any]], node: str) -> List[Mapping[str, Any]]:
    return [r for r in runs if isinstance(r, Mapping) and _text(r, "node") == node]
