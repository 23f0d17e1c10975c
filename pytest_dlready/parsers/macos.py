"""macOS evidence for CUDA on a Mac: ``kextstat``, ``system_profiler SPDisplaysDataType``, ``pmset -g``.

The MacBook GT 750M story needs all three: whether the CUDA kernel extension is loaded
(``kextstat | grep -i cuda``), which GPU the Mac has and how it is wired (``system_profiler``:
chipset, VRAM, PCIe lane width, automatic graphics switching), and whether the energy
settings let macOS power the NVIDIA GPU down or sleep mid-training (``pmset -g``). Each
format has its own ``detect``/``parse`` (``KEXTSTAT``, ``SYSTEM_PROFILER``, ``PMSET``);
the module-level pair picks the best of the three.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, NamedTuple

from . import common

KEXT = re.compile(r"^\s*(\d+)\s+(\d+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\S+) \(([^)]*)\)(?:\s+([0-9A-F-]{36}))?", re.I)


class Format(NamedTuple):
    kind: str
    detect: Callable[[Any], float]
    parse: Callable[[Any], Dict[str, Any]]


# ---------------------------------------------------------------------- kextstat
def detect_kextstat(text: Any) -> float:
    text = common.to_text(text)[:200000]
    score = 0.6 if "com.nvidia.CUDA" in text else 0.0
    if re.search(r"^\s*\d+\s+\d+\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+com\.", text, re.M | re.I):
        score += 0.4
    if "kextstat" in text:
        score += 0.1
    return min(score, 1.0)


def _parse_kextstat(text: str) -> Dict[str, Any]:
    out: Dict[str, Any] = common.base_result("kextstat")
    out["kexts"] = []
    for line in common.lines_of(text):
        m = KEXT.match(line)
        if m:
            out["kexts"].append({"index": int(m.group(1)), "refs": int(m.group(2)), "address": m.group(3),
                                 "size": m.group(4), "wired": m.group(5), "name": m.group(6), "version": m.group(7),
                                 "uuid": m.group(8)})
    cuda = [k for k in out["kexts"] if k["name"] == "com.nvidia.CUDA"]
    out["cuda_kext_loaded"] = bool(cuda)
    out["cuda_kext_version"] = cuda[-1]["version"] if cuda else None
    out["nvidia_kexts"] = sorted({k["name"] for k in out["kexts"] if k["name"].lower().startswith("com.nvidia")})
    return out


# ---------------------------------------------------------------------- system_profiler
MARKERS_SYSTEM_PROFILER = (("Graphics/Displays:", 0.6), ("Chipset Model:", 0.5), ("VRAM (", 0.2), ("Vendor:", 0.1))


def detect_system_profiler(text: Any) -> float:
    return common.marker_score(text, MARKERS_SYSTEM_PROFILER)


def _vram_mib(value: str) -> Any:
    m = re.match(r"\s*(\d+(?:\.\d+)?)\s*(MB|GB)", value or "")
    if not m:
        return None
    return common.whole(float(m.group(1)) * (1024 if m.group(2) == "GB" else 1))


def _parse_system_profiler(text: str) -> Dict[str, Any]:
    out: Dict[str, Any] = common.base_result("system_profiler")
    out["gpus"] = []
    gpu: Dict[str, Any] = {}
    gpu_indent = None
    for line in common.lines_of(text):
        if not line.strip() or line.strip() == "Graphics/Displays:":
            continue
        indent = len(line) - len(line.lstrip())
        stripped = line.strip()
        if stripped.endswith(":") and ": " not in stripped and (gpu_indent is None or indent <= gpu_indent):
            # a new GPU block ("    NVIDIA GeForce GT 750M:"); deeper blocks are displays
            gpu = {"name": stripped[:-1], "chipset_model": None, "vendor": None, "vram_mib": None, "bus": None,
                   "pcie_lane_width": None, "device_id": None, "automatic_graphics_switching": None, "metal": None,
                   "displays": []}
            gpu_indent = indent
            out["gpus"].append(gpu)
            continue
        if not gpu or ": " not in stripped and not stripped.endswith(":"):
            continue
        key, _, value = stripped.partition(":")
        value = value.strip()
        if key == "Chipset Model":
            gpu["chipset_model"] = value
        elif key == "Vendor":
            gpu["vendor"] = value
        elif key.startswith("VRAM"):
            gpu["vram_mib"] = _vram_mib(value)
        elif key == "Bus":
            gpu["bus"] = value
        elif key == "PCIe Lane Width":
            gpu["pcie_lane_width"] = common.integer(value)
        elif key == "Device ID":
            gpu["device_id"] = value
        elif key == "Automatic Graphics Switching":
            gpu["automatic_graphics_switching"] = value
        elif key in ("Metal", "Metal Family", "Metal Support"):
            gpu["metal"] = value
        elif not value and gpu_indent is not None and indent > gpu_indent + 2 and key != "Displays":
            gpu["displays"].append(key)  # "Color LCD:" block under "Displays:"
    out["nvidia_gpus"] = [g["chipset_model"] or g["name"] for g in out["gpus"]
                          if "nvidia" in f"{g['vendor']} {g['chipset_model']} {g['name']}".lower()]
    return out


# ---------------------------------------------------------------------- pmset -g
MARKERS_PMSET = (("System-wide power settings", 0.6), ("Currently in use:", 0.5), ("hibernatemode", 0.3),
    ("gpuswitch", 0.3), ("displaysleep", 0.2), ("AC Power:", 0.2))


def detect_pmset(text: Any) -> float:
    return common.marker_score(text, MARKERS_PMSET)


def _parse_pmset(text: str) -> Dict[str, Any]:
    out: Dict[str, Any] = common.base_result("pmset")
    out["sections"] = {}
    section = "Currently in use"
    for line in common.lines_of(text):
        stripped = line.strip()
        if stripped.endswith(":") and not line.startswith((" ", "\t")):
            section = stripped[:-1]
            out["sections"].setdefault(section, {})
            continue
        m = re.match(r"^\s+([A-Za-z][A-Za-z0-9 ]*?)\s+(\S+)(?:\s+\((.*)\))?", line)
        if m and not stripped.startswith("#"):
            out["sections"].setdefault(section, {})[m.group(1)] = m.group(2)
            if m.group(3):
                out.setdefault("notes", {})[m.group(1)] = m.group(3)
    current = out["sections"].get("Currently in use") or {}
    out["settings"] = current
    out["gpuswitch"] = common.integer(current.get("gpuswitch"))
    out["sleep_minutes"] = common.integer(current.get("sleep"))
    return out


KEXTSTAT = Format("kextstat", detect_kextstat, common.guarded("kextstat", _parse_kextstat))
SYSTEM_PROFILER = Format("system_profiler", detect_system_profiler,
                         common.guarded("system_profiler", _parse_system_profiler))
PMSET = Format("pmset", detect_pmset, common.guarded("pmset", _parse_pmset))
FORMATS = (KEXTSTAT, SYSTEM_PROFILER, PMSET)


def detect(text: Any) -> float:
    return max(fmt.detect(text) for fmt in FORMATS)


def parse(text: Any) -> Dict[str, Any]:
    best = max(FORMATS, key=lambda fmt: fmt.detect(text))
    return best.parse(text)
