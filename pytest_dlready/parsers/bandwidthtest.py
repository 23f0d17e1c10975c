"""NVIDIA's ``bandwidthTest`` output (table or ``--csv``) -> measurements in GB/s and a verdict.

How fast data reaches the GPU decides whether small-batch training can ever beat the
CPU, so the H2D/D2H numbers matter more than the D2D one. The unit comes from each
table header, never from the sample's version: CUDA <= 10 printed ``Bandwidth(MB/s)`` and
a 33554432-byte (32 MiB) quick transfer, later samples print ``Bandwidth(GB/s)`` and
32000000 bytes. Both are converted to GB/s the way NVIDIA prints them (1 GB/s = 1000 MB/s).
``--csv`` lines (``bandwidthTest-H2D-Pinned, Bandwidth = 12.4 GB/s, ...``), range/shmoo
modes, several runs pasted together and tab/space mangling are all read.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from . import common

KIND = "bandwidthTest"

DIRECTIONS = {"host to device": "H2D", "device to host": "D2H", "device to device": "D2D"}

R = re.compile
START = R(r"\[CUDA Bandwidth Test\]")
SECTION = R(r"^\s*(Host to Device|Device to Host|Device to Device) Bandwidth,\s*(\d+) Device")
MEMORY = R(r"^\s*(PINNED|PAGEABLE) Memory Transfers")
WRITE_COMBINED = R(r"Write-Combined Memory Writes are Enabled")
HEADER = R(r"Transfer Size \(Bytes\)\W*Bandwidth\s*\((MB|GB|MiB|GiB)/s\)")
ROW = R(r"^\s*(\d+)\D{1,40}?(\d+(?:\.\d+)?)\s*$")
CSV = R(r"bandwidthTest-(H2D|D2H|D2D)(?:-(Pinned|Paged|Pageable))?(-WriteCombined)?,\s*Bandwidth\s*=\s*"
        r"(\d+(?:\.\d+)?)\s*(MB|GB|MiB|GiB)/s(?:,\s*Time\s*=\s*([\d.eE+-]+)\s*s)?(?:,\s*Size\s*=\s*(\d+)\s*bytes)?"
        r"(?:,\s*NumDevsUsed\s*=\s*(\d+))?")
DEVICE = R(r"^\s*Device (\d+):\s*(.+?)\s*$")
MODE = R(r"^\s*(Quick|Range|Shmoo) Mode\s*$")
RESULT = R(r"^\s*Result = (\S*)")
NOTE = R(r"^\s*NOTE: The CUDA Samples are not meant")
DOTS = R(r"^\s*\.+\s*$")
#: the samples' CUDA error reports: "cudaGetDeviceProperties returned 35" / "-> CUDA driver version is
#: insufficient..." and checkCudaErrors' "CUDA error at file:line code=35(cudaErrorInsufficientDriver)"
CUDA_RETURNED = R(r"\b(cu\w+)\S* returned (-?\d+)")
CUDA_ERROR_AT = R(r"CUDA error at \S+ code=(\d+)\((cuda\w+)\)")
ARROW = R(r"^\s*->\s*(.+?)\s*$")
# What a unit is worth in GB/s as NVIDIA prints it (decimal); MiB/GiB appear in some forks.
TO_GBPS = {"MB": 1e-3, "GB": 1.0, "MiB": 1.048576e-3, "GiB": 1.073741824}


MARKERS = (("[CUDA Bandwidth Test]", 0.7), ("bandwidthTest-", 0.5), ("Transfer Size (Bytes)", 0.5),
    ("Memory Transfers", 0.3), ("Host to Device Bandwidth", 0.4), ("Bandwidth(", 0.1))


def detect(text: Any) -> float:
    return common.marker_score(text, MARKERS)


def _summary(measurements: List[Dict[str, Any]]) -> Dict[str, Dict[str, Optional[float]]]:
    """Per memory mode, the bandwidth of the largest transfer measured (best run if repeated).

    The largest size is the plateau NVIDIA's quick mode reports; small shmoo sizes measure latency.
    """
    out: Dict[str, Dict[str, Optional[float]]] = {}
    for memory in ("pinned", "pageable"):
        row: Dict[str, Optional[float]] = {}
        for direction in ("H2D", "D2H", "D2D"):
            picks = [m for m in measurements if m["memory"] == memory and m["direction"] == direction]
            if not picks:
                row[f"{direction.lower()}_gbps"] = None
                continue
            largest = max(m["size_bytes"] or 0 for m in picks)
            row[f"{direction.lower()}_gbps"] = max(m["gbps"] for m in picks if (m["size_bytes"] or 0) == largest)
        if any(v is not None for v in row.values()):
            out[memory] = row
    return out


def _parse(text: str) -> Dict[str, Any]:
    lines = common.lines_of(text)
    out: Dict[str, Any] = common.base_result(KIND)
    out.update({"result": None, "mode": None, "devices": [], "measurements": [], "runs": 0,
                "truncated": False, "last_line": common.last_nonblank(lines), "unread": [], "error": None})
    container_cuda = common.container_cuda_version(lines)
    if container_cuda:
        out["cuda_version"] = container_cuda  # run inside an NGC container: its banner names the CUDA
    direction: Optional[str] = None
    memory: Optional[str] = None
    unit: Optional[str] = None
    device_count: Optional[int] = None
    write_combined = False
    results: List[str] = []
    known: List[int] = []
    unknown: List[int] = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if START.search(line):
            out["runs"] += 1
            direction = memory = unit = None
            known.append(i)
            continue
        m = CSV.search(line)
        if m:
            mem = {"Pinned": "pinned", "Paged": "pageable", "Pageable": "pageable"}.get(m.group(2) or "", "pinned")
            out["measurements"].append({
                "direction": m.group(1), "memory": mem, "size_bytes": int(m.group(7)) if m.group(7) else None,
                "gbps": round(float(m.group(4)) * TO_GBPS[m.group(5)], 6), "source_unit": f"{m.group(5)}/s",
                "write_combined": bool(m.group(3)), "devices_used": int(m.group(8)) if m.group(8) else None,
                "seconds": common.number(m.group(6)) if m.group(6) else None, "format": "csv"})
            known.append(i)
            continue
        m = CUDA_RETURNED.search(line) or CUDA_ERROR_AT.search(line)
        if m:
            if out["error"] is None:
                code = int(m.group(2) if m.re is CUDA_RETURNED else m.group(1))
                out["error"] = {"code": code, "message": None, "call": m.group(1) if m.re is CUDA_RETURNED else None,
                                "name": m.group(2) if m.re is CUDA_ERROR_AT else None}
            elif out["error"].get("name") is None and m.re is CUDA_ERROR_AT:
                out["error"]["name"] = m.group(2)
            known.append(i)
            continue
        m = ARROW.match(line)
        if m and out["error"] is not None and out["error"]["message"] is None:
            out["error"]["message"] = m.group(1)
            known.append(i)
            continue
        m = SECTION.match(line)
        if m:
            direction = DIRECTIONS[m.group(1).lower()]
            device_count = int(m.group(2))
            memory = unit = None
            known.append(i)
            continue
        m = MEMORY.match(line)
        if m:
            memory = m.group(1).lower()
            known.append(i)
            continue
        if WRITE_COMBINED.search(line):
            write_combined = True
            known.append(i)
            continue
        m = HEADER.search(line)
        if m:
            unit = m.group(1)
            known.append(i)
            continue
        m = ROW.match(line)
        if m and direction and unit:
            out["measurements"].append({
                "direction": direction, "memory": memory or "pinned", "size_bytes": int(m.group(1)),
                "gbps": round(float(m.group(2)) * TO_GBPS[unit], 6), "source_unit": f"{unit}/s",
                "write_combined": write_combined, "devices_used": device_count, "seconds": None, "format": "table"})
            known.append(i)
            continue
        m = DEVICE.match(line)
        if m:
            entry = {"index": int(m.group(1)), "name": m.group(2)}
            if entry not in out["devices"]:
                out["devices"].append(entry)
            known.append(i)
            continue
        m = MODE.match(line)
        if m:
            out["mode"] = m.group(1).lower()
            known.append(i)
            continue
        m = RESULT.match(line)
        if m:
            results.append(m.group(1))
            known.append(i)
            continue
        if NOTE.match(line) or DOTS.match(line) or line.strip() == "Running on...":
            known.append(i)
            continue
        unknown.append(i)
    if results and all(r in ("PASS", "FAIL") for r in results):
        out["result"] = "FAIL" if "FAIL" in results else "PASS"
    elif out["error"] is not None:
        out["result"] = "FAIL"  # the samples exit at a CUDA error without a Result line
    else:
        out["truncated"] = True
        out["result_text"] = results[-1] if results else None
    out["runs"] = max(out["runs"], 1 if out["measurements"] else 0)
    out["summary"] = _summary(out["measurements"])
    for memory_mode, row in out["summary"].items():
        out[memory_mode] = row  # e.g. out["pinned"]["h2d_gbps"]
    if known:
        lo, hi = known[0], known[-1]
        inside = [lines[i].strip() for i in unknown if lo < i < hi and not common.is_prompt(lines[i])]
        out["unread"] = inside[:common.MAX_UNREAD]
        out["unread_count"] = len(inside)
    return out


parse = common.guarded(KIND, _parse)
