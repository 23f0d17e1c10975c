"""``nvcc --version`` (or ``nvcc -V``) -> toolkit release and full version.

The compiler's version is the toolkit the user actually builds with, which is often not
the one a framework wheel bundles nor the one ``nvidia-smi`` prints as "CUDA Version"
(that is the newest the driver supports). Keeping the three apart is half of every
"CUDA driver version is insufficient" diagnosis.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List

from . import common

KIND = "nvcc"

RELEASE = re.compile(r"Cuda compilation tools, release (\d+\.\d+), V(\d+(?:\.\d+){1,3})")
BUILT = re.compile(r"^\s*Built on (\S+)")
BUILD = re.compile(r"^\s*Build (cuda_\S+)")
COPYRIGHT = re.compile(r"Copyright \(c\) (\d{4})-(\d{4}) NVIDIA Corporation")
MISSING = re.compile(r"nvcc: (?:command )?not found|" + common.not_recognized("nvcc") + r"|"
                     r"No such file or directory.*nvcc|Command 'nvcc' not found|command not found: nvcc")
#: ``nvcc --list-gpu-arch`` / ``--list-gpu-code``: one virtual or real architecture a line ("compute_35", "sm_90a")
ARCH_LINE = re.compile(r"^\s*((?:compute|sm|lto)_\d{2,3}[a-z]?)\s*$")
LIST_COMMAND = re.compile(r"\bnvcc(?:\.exe)?\s+(?:-\S+\s+)*--list-gpu-(?:arch|code)\b")
NVCC_FATAL = re.compile(r"nvcc fatal\s*:\s*(.+)")


MARKERS = (("Cuda compilation tools", 0.9), ("NVIDIA (R) Cuda compiler driver", 0.8),
    ("nvcc fatal", 0.5), ("nvcc: command not found", 0.6), ("'nvcc' is not recognized", 0.6),
    # Ubuntu's command-not-found handler, zsh, PowerShell
    ("Command 'nvcc' not found", 0.7), ("command not found: nvcc", 0.6), ("The term 'nvcc' is not recognized", 0.6))


def _architectures(lines: List[str]) -> List[str]:
    """The architectures of a ``--list-gpu-arch`` / ``--list-gpu-code`` listing: its command line above them, or
    three or more such lines and no other output."""
    archs = [m.group(1) for m in (ARCH_LINE.match(line) for line in lines[:5000]) if m]
    if not archs:
        return []
    listed = any(LIST_COMMAND.search(line) for line in lines[:5000])
    others = [line for line in lines[:5000] if line.strip() and not ARCH_LINE.match(line)
              and not common.is_prompt(line) and not common.is_command(line)]
    return archs if listed or (len(archs) >= 3 and not others) else []


def detect(text: Any) -> float:
    text = common.to_text(text)[:200000]  # (bytes decoded first: a file read as bytes, BOM or UTF-16)
    score = common.marker_score(text, MARKERS)
    if score < 0.8 and ("compute_" in text or "sm_" in text) and _architectures(common.lines_of(text)):
        return 0.8
    if score < 0.6 and MISSING.search(text[:20000]):
        return 0.6  # (Windows' "not recognized" in another language)
    return score


def _parse(text: str) -> Dict[str, Any]:
    lines = common.lines_of(text)
    out: Dict[str, Any] = common.base_result(KIND)
    out.update({"release": None, "version": None, "built_on": None, "build": None, "copyright_year": None,
                "error": None, "architectures": _architectures(lines)})
    for line in lines:
        m = RELEASE.search(line)
        if m and out["release"] is None:
            out["release"], out["version"] = m.group(1), m.group(2)
            continue
        m = BUILT.match(line)
        if m:
            out["built_on"] = m.group(1)
            continue
        m = BUILD.match(line)
        if m:
            out["build"] = m.group(1)
            continue
        m = COPYRIGHT.search(line)
        if m:
            out["copyright_year"] = int(m.group(2))
            continue
        m = NVCC_FATAL.search(line)
        if m and out["error"] is None:
            out["error"] = {"name": "fatal", "message": m.group(1).strip()[:300]}
            continue
        if MISSING.search(line) and out["error"] is None:
            out["error"] = {"name": "not-found", "message": line.strip()[:300]}
    return out


parse = common.guarded(KIND, _parse)
