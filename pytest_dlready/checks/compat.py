"""NVIDIA compatibility data: minimum driver per toolkit, compute capabilities per toolkit.

Sources (see docs/compat.md and shared/reference/anchors.md §6):
- CUDA compatibility guide, minor-version compatibility table (docs.nvidia.com/deploy/cuda-compatibility):
  13.x >= 580, 12.x >= 525, 11.x >= 450.80.02 (Linux) / 452.39 (Windows); before 11 each release needs its own driver.
- CUDA release notes table "toolkit driver version" for 7.0 .. 10.2 (Linux / Windows).
- Architectures: CUDA 11.0 removed sm_30/sm_32; 12.0 removed sm_35/sm_37 (minimum 5.0);
  13.0 removed Maxwell/Pascal/Volta (minimum 7.5). CUDA 8 was the last with Fermi (2.x).
- macOS: CUDA 10.2 was the last release for macOS (NVIDIA: "CUDA Toolkit 11.8 no longer supports ... macOS").
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

Version = Tuple[int, ...]

# toolkit (major, minor) -> (linux minimum, windows minimum), before minor-version compatibility existed
PER_RELEASE = {
    (7, 0): ("346.46", "347.62"),
    (7, 5): ("352.31", "353.66"),
    (8, 0): ("367.48", "369.30"),
    (9, 0): ("384.81", "385.54"),
    (9, 1): ("390.46", "391.29"),
    (9, 2): ("396.26", "397.44"),
    (10, 0): ("410.48", "411.31"),
    (10, 1): ("418.39", "418.96"),
    (10, 2): ("440.33", "441.22"),
}
# toolkit major -> (linux minimum, windows minimum) under minor-version compatibility
PER_MAJOR = {
    11: ("450.80.02", "452.39"),
    12: ("525.60.13", "527.41"),
    13: ("580.65.06", "580"),  # Windows: family minimum only (no per-build number verified)
}

# toolkit major -> minimum / maximum compute capability it can build for
MIN_CC = {6: (2, 0), 7: (2, 0), 8: (2, 0), 9: (3, 0), 10: (3, 0), 11: (3, 5), 12: (5, 0), 13: (7, 5)}

LAST_MACOS_TOOLKIT = (10, 2)


def parse_version(text: object) -> Optional[Version]:
    match = re.search(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", str(text or ""))
    if not match:
        return None
    return tuple(int(g) for g in match.groups() if g is not None)


def min_driver(toolkit: str, os_name: str) -> Optional[str]:
    """Minimum NVIDIA driver for a toolkit version on linux/windows; None when unknown."""
    version = parse_version(toolkit)
    if not version:
        return None
    column = 1 if os_name == "windows" else 0
    if version[0] >= 11:
        entry = PER_MAJOR.get(version[0])
        return entry[column] if entry else None
    entry = PER_RELEASE.get(version[:2])
    return entry[column] if entry else None


def min_compute(toolkit: str) -> Optional[Tuple[int, int]]:
    version = parse_version(toolkit)
    if not version:
        return None
    return MIN_CC.get(version[0])


def cuda_to_text(api_version: int) -> str:
    """cuDriverGetVersion's 12040 -> '12.4'."""
    return f"{api_version // 1000}.{(api_version % 1000) // 10}"
