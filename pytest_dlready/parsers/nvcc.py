"""``nvcc --version`` (or ``nvcc -V``) -> toolkit release and full version.

The compiler's version is the toolkit the user actually builds with, which is often not
the one a framework wheel bundles nor the one ``nvidia-smi`` prints as "CUDA Version"
(that is the newest the driver supports). Keeping the three apart is half of every
"CUDA driver version is insufficient" diagnosis.
"""
from __future__ import annotations

import re
from typing import Any, Dict

from . import common

KIND = "nvcc"

RELEASE = re.compile(r"Cuda compilation tools, release (\d+\.\d+), V(\d+(?:\.\d+){1,3})")
BUILT = re.compile(r"^\s*Built on (\S+)")
BUILD = re.compile(r"^\s*Build (cuda_\S+)")
COPYRIGHT = re.compile(r"Copyright \(c\) (\d{4})-(\d{4}) NVIDIA Corporation")
MISSING = re.compile(r"nvcc: (?:command )?not found|'nvcc' is not recognized|No such file or directory.*nvcc|"
                     r"Command 'nvcc' not found|command not found: nvcc|The term 'nvcc' is not recognized")
NVCC_FATAL = re.compile(r"nvcc fatal\s*:\s*(.+)")


MARKERS = (("Cuda compilation tools", 0.9), ("NVIDIA (R) Cuda compiler driver", 0.8),
    ("nvcc fatal", 0.5), ("nvcc: command not found", 0.6), ("'nvcc' is not recognized", 0.6),
    # Ubuntu's command-not-found handler, zsh, PowerShell
    ("Command 'nvcc' not found", 0.7), ("command not found: nvcc", 0.6), ("The term 'nvcc' is not recognized", 0.6))


def detect(text: Any) -> float:
    return common.marker_score(text, MARKERS)


def _parse(text: str) -> Dict[str, Any]:
    lines = common.lines_of(text)
    out: Dict[str, Any] = common.base_result(KIND)
    out.update({"release": None, "version": None, "built_on": None, "build": None, "copyright_year": None,
                "error": None})
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
