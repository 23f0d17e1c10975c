"""NVIDIA's ``deviceQuery`` (and ``deviceQueryDrv``) output -> devices, versions, verdict.

deviceQuery is the first thing every CUDA install guide runs, so it is what people paste
when asking why their GPU is slow. Its text drifted over CUDA 3.x-13.x: ``GPU Clock rate``
became ``GPU Max Clock rate``, ``Multiprocessors x (192)`` became ``Multiprocessors, (192)``,
Windows builds print ``CUDA Device Driver Mode (TCC or WDDM)`` and sometimes literal
``zu bytes``, newer GPUs trigger ``MapSMtoCores ... undefined`` warnings, and old summary
lines append ``, Device0 = <name>``. Errors are recognised by their message, not their
number, because CUDA 10.1 renumbered them (38 -> 100 "no CUDA-capable device", 30 -> 999
"unknown error").

Two readiness rules the tool itself gets wrong are enforced here: ``Result = PASS`` with
zero devices is a FAIL, and an output without its ``Result =`` line (a truncated paste,
``Result = PAS``) proves nothing and is a FAIL naming the last line seen.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from . import common

KIND = "deviceQuery"

#: cudaGetErrorString texts -> cudaError_t names. Keyed by message because numbers changed in 10.1.
ERRORS_BY_MESSAGE = {
    "cuda driver version is insufficient for cuda runtime version": "cudaErrorInsufficientDriver",
    "no cuda-capable device is detected": "cudaErrorNoDevice",
    "unknown error": "cudaErrorUnknown",
    "initialization error": "cudaErrorInitializationError",
    "all cuda-capable devices are busy or unavailable": "cudaErrorDevicesUnavailable",
    "cuda driver is a stub library": "cudaErrorStubLibrary",
    "operation not supported": "cudaErrorNotSupported",
    "system not yet initialized": "cudaErrorSystemNotReady",
    "system has unsupported display driver / cuda driver combination": "cudaErrorSystemDriverMismatch",
    "forward compatibility was attempted on non supported hw": "cudaErrorCompatNotSupportedOnDevice",
    "out of memory": "cudaErrorMemoryAllocation",
    "invalid device ordinal": "cudaErrorInvalidDevice",
}

R = re.compile
STARTING = R(r"deviceQuery\S* Starting\.\.\.")
# (also a look-alike's "CUDA device query (Driver API, statically linked)": the Haskell cuda package's)
HEADER = R(r"CUDA Device Query \((Runtime|Driver) API\b", re.I)
DETECTED = R(r"^\s*(?:Detected|Found) (\d+) CUDA Capable device", re.I)
THERE_IS = R(r"^\s*There (?:is|are) (\d+) devices? supporting CUDA")
EMULATED = re.compile(r"^Device Emulation \(CPU\)$")
NO_DEVICES = R(r"There (?:are no available device\(s\) that support|is no device supporting) CUDA")
ERROR_NUM = R(r"(?:cudaGetDeviceCount|cuDeviceGetCount|cuInit)\S* returned (-?\d+)|Driver API error = (\d+)")
ERROR_MSG = R(r"^\s*->\s*(.+?)\s*$")
# markdown bullets ("*  Device 0:"); a blog's note after the name ('Device 0: "Tesla T4"   显卡型号')
DEVICE = R(r'^\s*(?:[*+\-\u2022]\s+)?Device (\d+): "([^"]*)"(?:\s+[^"\s][^"]*)?\s*$')
#: a device line without the quotes, under the header only ("Device 0: GeForce 840M")
DEVICE_BARE = R(r'^\s*Device (\d+): ([A-Za-z][^"]{1,80}?)\s*$')
PEER = R(r"^\s*> Peer access from (.+) \(GPU(\d+)\) -> (.+) \(GPU(\d+)\) : (\w+)")
SUMMARY = R(r"^\s*deviceQuery(?:Drv)?, CUDA Driver = (.*)$")
RESULT = R(r"^\s*Result = (\S*)")
MAPSM = R(r"MapSMtoCores for SM (\d+\.\d+) is undefined")
COMPUTE_MODE = R(r"^\s*< (\w+) \(.*\) >")
# A labelled property line: "  Label:   value" or "  Maximum Texture ... (x,y,z)   1D=(..)".
LABELLED = R(r"^\s+(?:[A-Za-z(][^:]{0,80}:(?:\s|$)|[A-Z][A-Za-z0-9 ,/()]{5,80}\s{2,}\S)")

DEVICE_FIELDS: List[Tuple[str, "re.Pattern[str]"]] = [
    ("versions", R(r"CUDA Driver Version / Runtime Version\s+([\d.]+)\s*/\s*([\d.]+)")),
    ("driver_only", R(r"CUDA Driver Version:?\s+([\d.]+)", re.I)),
    ("runtime_only", R(r"CUDA Runtime Version:\s+([\d.]+)")),
    ("cc", R(r"CUDA Capability Major/Minor version number:\s+(\d+)\.(\d+)|^\s*CUDA capability:\s+(\d+)\.(\d+)\s*$")),
    # the CUDA 2.x-3.x SDK's two lines ("CUDA Capability Major revision number:  1", "... Minor ...:  3")
    ("cc_major", R(r"^\s*(?:CUDA Capability )?Major revision number:\s+(\d+)\s*$")),
    ("cc_minor", R(r"^\s*(?:CUDA Capability )?Minor revision number:\s+(\d+)\s*$")),
    ("memory", R(r"Total amount of global memory:\s+(\d+(?:\.\d+)?) (MBytes|GBytes|bytes)(?: \((\d+) bytes\))?")),
    ("cores", R(r"\(\s*(\d+)\)\s*Multiprocessors\s*[,x]\s*\(\s*(\d+)\)\s*CUDA Cores/MP:\s+(\d+)")),
    ("cores_old", R(r"Multiprocessors x Cores/MP = Cores:\s+(\d+) \(MP\) x (\d+) \(Cores/MP\) = (\d+)")),
    ("clock", R(r"GPU (?:Max )?Clock rate:\s+(\d+(?:\.\d+)?) MHz")),
    ("clock_ghz", R(r"GPU Clock Speed:\s+(\d+(?:\.\d+)?) GHz")),
    ("mem_clock", R(r"(?i)Memory Clock rate:\s+(\d+(?:\.\d+)?) Mhz")),
    ("bus", R(r"Memory Bus Width:\s+(\d+)-bit")),
    ("watchdog", R(r"Run time limit on kernels:\s+(\w+)")),
    ("integrated", R(r"Integrated GPU sharing Host Memory:\s+(\w+)")),
    ("ecc", R(r"Device has ECC support:\s+(\w+)")),
    ("mode", R(r"CUDA Device Driver Mode \(TCC or WDDM\):\s+(\w+)")),
    ("pci3", R(r"Device PCI Domain ID / Bus ID / location ID:\s+(\d+)\s*/\s*(\d+)\s*/\s*(\d+)")),
    ("pci2", R(r"Device PCI Bus ID / PCI location ID:\s+(\d+)\s*/\s*(\d+)")),
    ("zu", R(r":\s+zu bytes\s*$")),
]


def _version(text: str) -> Optional[str]:
    """'5.0' / '12.9' as printed; CUDA 3.x printed '3.20' meaning 3.2."""
    match = re.match(r"(\d+)\.(\d+)", text or "")
    if not match:
        return None
    major, minor = match.groups()
    if len(minor) == 2 and minor.endswith("0"):
        minor = minor[0]
    return f"{int(major)}.{int(minor)}"


def _new_device(index: int, name: str) -> Dict[str, Any]:
    return {
        "index": index, "name": name, "compute_capability": None, "memory_mib": None, "memory_bytes": None,
        "driver_version": None, "runtime_version": None, "multiprocessors": None, "cores_per_mp": None,
        "cuda_cores": None, "clock_mhz": None, "memory_clock_mhz": None, "memory_bus_width_bits": None,
        "kernel_run_time_limit": None, "driver_mode": None, "integrated": None, "ecc": None,
        "pci": None, "compute_mode": None, "cores_guessed_for_sm": None, "printf_zu_literals": False,
    }


def _apply(device: Dict[str, Any], key: str, m: "re.Match[str]") -> None:
    g = m.groups()
    if key == "versions":
        device["driver_version"], device["runtime_version"] = _version(g[0]), _version(g[1])
    elif key == "driver_only":
        device["driver_version"] = _version(g[0])
    elif key == "runtime_only":
        device["runtime_version"] = _version(g[0])
    elif key == "cc":
        major, minor = (g[0], g[1]) if g[0] is not None else (g[2], g[3])
        device["compute_capability"] = f"{int(major)}.{int(minor)}"
    elif key == "cc_major":
        device["_cc_major"] = int(g[0])
    elif key == "cc_minor" and device.get("_cc_major") is not None:
        device["compute_capability"] = f"{device.pop('_cc_major')}.{int(g[0])}"
    elif key == "memory":
        amount, unit, exact = float(g[0]), g[1], g[2]
        total = int(exact) if exact else (common.whole(amount) if unit == "bytes" else None)
        device["memory_bytes"] = total
        if unit == "MBytes":
            device["memory_mib"] = common.whole(amount)
        elif unit == "GBytes":
            device["memory_mib"] = common.whole(amount * 1024)
        elif total is not None:
            device["memory_mib"] = total // (1024 * 1024)
    elif key in ("cores", "cores_old"):
        device["multiprocessors"], device["cores_per_mp"], device["cuda_cores"] = int(g[0]), int(g[1]), int(g[2])
    elif key == "clock":
        device["clock_mhz"] = common.whole(float(g[0]))
    elif key == "clock_ghz":
        device["clock_mhz"] = common.whole(float(g[0]) * 1000)
    elif key == "mem_clock":
        device["memory_clock_mhz"] = common.whole(float(g[0]))
    elif key == "bus":
        device["memory_bus_width_bits"] = int(g[0])
    elif key == "watchdog":
        device["kernel_run_time_limit"] = common.yes_no(g[0])
    elif key == "integrated":
        device["integrated"] = common.yes_no(g[0])
    elif key == "ecc":
        device["ecc"] = common.yes_no(g[0])
    elif key == "mode":
        device["driver_mode"] = g[0].upper() if g[0].upper() in ("TCC", "WDDM", "MCDM") else g[0]
    elif key == "pci3":
        device["pci"] = {"domain": int(g[0]), "bus": int(g[1]), "device": int(g[2])}
    elif key == "pci2":
        device["pci"] = {"domain": None, "bus": int(g[0]), "device": int(g[1])}
    elif key == "zu":
        device["printf_zu_literals"] = True


def _summary(rest: str) -> Dict[str, str]:
    """'CUDART, CUDA Driver Version = 12.9, ..., NumDevs = 1, Device0 = X' -> key/value pairs."""
    pairs = {"CUDA Driver": rest.split(",", 1)[0].strip()}
    for part in rest.split(", ")[1:]:
        if " = " in part:
            key, value = part.split(" = ", 1)
            pairs[key.strip()] = value.strip()
    return pairs


def _error(code: Optional[int], message: Optional[str]) -> Dict[str, Any]:
    name = ERRORS_BY_MESSAGE.get((message or "").strip().lower())
    return {"code": code, "message": message, "name": name}


MARKERS = (("CUDA Device Query", 0.6), ("CUDA Capability Major/Minor", 0.6),
    ("cudaGetDeviceCount returned", 0.7), ("deviceQuery, CUDA Driver =", 0.7),
    ("CUDA Capable device(s)", 0.4), ("Multiprocessors", 0.2), ("CUDA device query (", 0.5), ("CUDA capable device", 0.2),
    ("Run time limit on kernels", 0.3), ("deviceQuery", 0.1))


def detect(text: Any) -> float:
    """Confidence that ``text`` is deviceQuery output."""
    return common.marker_score(text, MARKERS)


def _parse(text: str) -> Dict[str, Any]:
    lines = common.lines_of(text)
    out: Dict[str, Any] = common.base_result(KIND)
    out.update({"api": None, "result": None, "device_count": None, "driver_version": None,
                "runtime_version": None, "devices": [], "peer_access": [], "error": None,
                "summary": {}, "truncated": False, "last_line": common.last_nonblank(lines), "unread": []})
    device: Optional[Dict[str, Any]] = None
    top: Dict[str, Any] = {}
    known: List[int] = []          # indexes of lines we understood (to bound the body)
    unknown: List[int] = []
    pending_code: Optional[int] = None
    result_token: Optional[str] = None
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        m = HEADER.search(line)
        if m:
            out["api"] = m.group(1).lower()
            known.append(i)
            continue
        if STARTING.search(line):
            known.append(i)
            continue
        m = ERROR_NUM.search(line)
        if m:
            pending_code = int(m.group(1) or m.group(2))
            out["error"] = _error(pending_code, None)
            known.append(i)
            continue
        m = ERROR_MSG.match(line)
        if m and out["error"] is not None and out["error"]["message"] is None:
            out["error"] = _error(pending_code, m.group(1))
            known.append(i)
            continue
        m = DETECTED.match(line) or THERE_IS.match(line)
        if m:
            out["device_count"] = int(m.group(1))
            known.append(i)
            continue
        if NO_DEVICES.search(line):
            out["device_count"] = 0
            known.append(i)
            continue
        m = DEVICE.match(line) or (DEVICE_BARE.match(line) if out["api"] is not None else None)
        if m:
            device = _new_device(int(m.group(1)), m.group(2).strip())
            out["devices"].append(device)
            known.append(i)
            continue
        m = MAPSM.search(line)
        if m:
            # printed inside the device block, after the memory line, once per lookup
            if device is not None:
                device["cores_guessed_for_sm"] = m.group(1)
            known.append(i)
            continue
        m = PEER.match(line)
        if m:
            out["peer_access"].append({"from": int(m.group(2)), "to": int(m.group(4)),
                                       "supported": common.yes_no(m.group(5))})
            known.append(i)
            continue
        m = SUMMARY.match(line)
        if m:
            out["summary"] = _summary(m.group(1))
            known.append(i)
            continue
        m = RESULT.match(line)
        if m:
            result_token = m.group(1)
            known.append(i)
            continue
        m = COMPUTE_MODE.match(line)
        if m and device is not None:
            device["compute_mode"] = m.group(1)
            known.append(i)
            continue
        if (device is None or device.get("unnamed")) and out["api"] is None and \
                DEVICE_FIELDS[0][1].search(line) and (device is None or device.get("driver_version") is not None):
            # a device's block without its "Device N:" line (a paste labelled by hand, "1080 deviceQuery:"): the
            # driver / runtime line begins it; the GPU's name is not in the text
            device = _new_device(len(out["devices"]), None)
            device["unnamed"] = True
            out["devices"].append(device)
        matched = False
        if device is not None or out["api"] is not None:
            target = device if device is not None else top  # (a field above the first device: the driver's)
            for key, pattern in DEVICE_FIELDS:
                fm = pattern.search(line)
                if fm:
                    _apply(target, key, fm)
                    matched = True
                    if key not in ("zu",):
                        break
        if matched or LABELLED.match(line):
            known.append(i)
        else:
            unknown.append(i)
    _finish(out, lines, known, unknown, result_token)
    out["driver_version"] = out["driver_version"] or top.get("driver_version")
    return out


def _finish(out: Dict[str, Any], lines: List[str], known: List[int], unknown: List[int],
            result_token: Optional[str]) -> None:
    if result_token in ("PASS", "FAIL"):
        out["result"] = result_token
    else:
        out["truncated"] = True
        out["result_text"] = result_token
    summary = out["summary"]
    if out["device_count"] is None:
        if "NumDevs" in summary and summary["NumDevs"].isdigit():
            out["device_count"] = int(summary["NumDevs"])
        elif out["devices"]:
            out["device_count"] = len(out["devices"])
    # an elided paste ("............") keeps the summary line: it still names every device
    listed = {int(k[6:]): v for k, v in summary.items() if re.fullmatch(r"Device\d+", k) and v}
    have = {d.get("index") for d in out["devices"]}
    for index in sorted(listed):
        if index not in have:
            device = _new_device(index, listed[index])
            device["from_summary"] = True
            out["devices"].append(device)
    out["devices"].sort(key=lambda d: d.get("index") or 0)
    for d in out["devices"]:
        d.pop("_cc_major", None)  # a major revision line whose minor was cut off
    # the CUDA SDK's emulation build (before CUDA 3.0) describes the CPU it emulates a device on: not a GPU
    emulated = [d for d in out["devices"] if EMULATED.match(d.get("name") or "")]
    if emulated:
        out["devices"] = [d for d in out["devices"] if d not in emulated]
        out["emulation_device"] = emulated[0].get("name")
        if out["device_count"] == len(emulated):
            out["device_count"] = 0
    first = out["devices"][0] if out["devices"] else (emulated[0] if emulated else {})
    out["driver_version"] = _version(summary.get("CUDA Driver Version", "")) or first.get("driver_version")
    out["runtime_version"] = _version(summary.get("CUDA Runtime Version", "")) or first.get("runtime_version")
    # Lines inside the tool's output that we could not place are reported; prompts around it are not.
    if known:
        lo, hi = known[0], known[-1]
        inside = [lines[i].strip() for i in unknown if lo < i < hi and not common.is_prompt(lines[i])]
        out["unread"] = inside[:common.MAX_UNREAD]
        out["unread_count"] = len(inside)


parse = common.guarded(KIND, _parse)
