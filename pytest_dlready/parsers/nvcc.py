"""``nvcc --version`` (or ``nvcc -V``) -> toolkit release and full version.

The compiler's version is the toolkit the user actually builds with, which is often not
the one a framework wheel bundles nor the one ``nvidia-smi`` prints as "CUDA Version"
(that is the newest the driver supports). Keeping the three apart is half of every
"CUDA driver version is insufficient" diagnosis.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List

from .. import catalogue
from ..results import Finding, Status, passed
from . import common

KIND = "nvcc"
CHECK = "nvcc"

NOT_FOUND = catalogue.define(
    "DLR-NVCC-NOT-FOUND", "nvcc is not on PATH",
    "add the toolkit's bin folder to PATH (Linux: /usr/local/cuda/bin; macOS: /Developer/NVIDIA/CUDA-x.y/bin; "
    "Windows: %CUDA_PATH%\\bin)",
)
FATAL = catalogue.define("DLR-NVCC-FATAL", "nvcc stopped with a fatal error",
                         "read the quoted nvcc message; an unsupported host compiler needs a supported gcc/clang/MSVC")
UNKNOWN_VERSION = catalogue.define("DLR-NVCC-NO-VERSION", "nvcc output has no version line",
                                   "run 'nvcc --version' and paste all of its output")
OK = catalogue.define("DLR-NVCC-OK", "nvcc version read", "")

RELEASE = re.compile(r"Cuda compilation tools, release (\d+\.\d+), V(\d+(?:\.\d+){1,3})")
BUILT = re.compile(r"^\s*Built on (\S+)")
BUILD = re.compile(r"^\s*Build (cuda_\S+)")
COPYRIGHT = re.compile(r"Copyright \(c\) (\d{4})-(\d{4}) NVIDIA Corporation")
MISSING = re.compile(r"nvcc: (?:command )?not found|'nvcc' is not recognized|No such file or directory.*nvcc")
NVCC_FATAL = re.compile(r"nvcc fatal\s*:\s*(.+)")


def detect(text: Any) -> float:
    text = common.to_text(text)[:200000]
    score = 0.0
    for marker, weight in (("Cuda compilation tools", 0.9), ("NVIDIA (R) Cuda compiler driver", 0.8),
                           ("nvcc fatal", 0.5), ("nvcc: command not found", 0.6), ("'nvcc' is not recognized", 0.6)):
        if marker in text:
            score += weight
    return min(score, 1.0)


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
    out["findings"] = common.dicts(findings(out))
    return out


def findings(parsed: Dict[str, Any]) -> List[Finding]:
    """Findings from a parsed ``nvcc --version`` dict (pure)."""
    error = parsed.get("error") or {}
    if error.get("name") == "not-found":
        return [Finding(CHECK, Status.FAIL, f"nvcc was not found: {error.get('message')}", code=NOT_FOUND,
                        fix=catalogue.fix_for(NOT_FOUND))]
    if error.get("name") == "fatal":
        return [Finding(CHECK, Status.FAIL, f"nvcc fatal: {error.get('message')}", code=FATAL, fix=catalogue.fix_for(FATAL))]
    if not parsed.get("release"):
        return [Finding(CHECK, Status.FAIL, "no 'Cuda compilation tools, release' line in the nvcc output",
                        code=UNKNOWN_VERSION, fix=catalogue.fix_for(UNKNOWN_VERSION))]
    return [passed(CHECK, f"nvcc {parsed['version']} (CUDA {parsed['release']})", code=OK,
                   release=parsed["release"], version=parsed["version"])]


parse = common.guarded(KIND, CHECK, _parse)
