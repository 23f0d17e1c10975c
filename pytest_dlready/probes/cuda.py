"""The CUDA toolkit: ``nvcc`` on PATH and every toolkit installed in the usual places.

The toolkit on PATH is what builds CUDAMat, Theano's kernels and our own probe; the
others matter because a stale ``CUDA_PATH`` or a second toolkit is a classic trap.
"""
from __future__ import annotations

import glob
import json
import os
import re
import sys
from typing import Any, Dict, List, Optional

from . import runner

def standard_roots() -> List[str]:
    """Install folders NVIDIA's installers use on each OS (newest first per pattern)."""
    patterns = ["/usr/local/cuda", "/usr/local/cuda-*", "/opt/cuda", "/usr/lib/cuda",
                "/Developer/NVIDIA/CUDA-*",
                r"C:\Program Files\NVIDIA GPU Computing Toolkit\CUDA\v*"]
    roots: List[str] = []
    for pattern in patterns:
        for path in sorted(glob.glob(pattern), reverse=True):
            if os.path.isdir(path) and path not in roots:
                roots.append(path)
    return roots


def _root_version(root: str) -> Optional[str]:
    """Toolkit version from the files a toolkit ships (version.json since 11.1, version.txt before)."""
    try:
        with open(os.path.join(root, "version.json"), encoding="utf-8") as fh:
            data = json.load(fh)
        version = data.get("cuda", {}).get("version")
        if version:
            return str(version)
    except (OSError, ValueError, AttributeError):
        pass
    try:
        with open(os.path.join(root, "version.txt"), encoding="utf-8", errors="replace") as fh:
            match = re.search(r"CUDA Version (\d+\.\d+(?:\.\d+)?)", fh.read())
            if match:
                return match.group(1)
    except OSError:
        pass
    for header in (os.path.join(root, "include", "cuda_runtime_api.h"),
                   os.path.join(root, "targets", "x86_64-linux", "include", "cuda_runtime_api.h")):
        try:
            with open(header, encoding="utf-8", errors="replace") as fh:
                match = re.search(r"#define\s+CUDART_VERSION\s+(\d+)", fh.read())
        except OSError:
            continue
        if match:
            value = int(match.group(1))
            return f"{value // 1000}.{(value % 1000) // 10}"
    match = re.search(r"(?:cuda-|CUDA-|v)(\d+\.\d+)$", root.rstrip("/\\"))
    return match.group(1) if match else None


def _cudart_files(root: str) -> List[str]:
    out: List[str] = []
    for sub in ("lib64", "lib", os.path.join("lib", "x64"), "bin", os.path.join("targets", "x86_64-linux", "lib")):
        for pattern in ("libcudart.so*", "libcudart*.dylib", "cudart64_*.dll"):
            out.extend(sorted(glob.glob(os.path.join(root, sub, pattern))))
    return out


def probe(facts: Dict[str, Any], settings: Any) -> None:
    timeout = getattr(settings, "probe_timeout", 20.0)
    env = os.environ
    section: Dict[str, Any] = {"nvcc": None, "toolkit_version": None, "toolkit_roots": []}
    nvcc = runner.which("nvcc")
    if nvcc:
        from ..parsers import nvcc as nvcc_text  # the same reader `parse` applies to a pasted `nvcc --version`

        rec = runner.run([nvcc, "--version"], timeout=timeout)
        release = nvcc_text.parse(rec.stdout).get("release")
        section["nvcc"] = {"path": nvcc, "record": rec.to_dict(), "release": release}
        section["toolkit_version"] = release
    roots: List[Dict[str, Any]] = []
    seen = set()
    for source, path in [("CUDA_PATH", env.get("CUDA_PATH")), ("CUDA_HOME", env.get("CUDA_HOME")),
                         ("CUDA_ROOT", env.get("CUDA_ROOT"))] + [("standard", r) for r in standard_roots()]:
        if not path:
            continue
        real = os.path.realpath(path)
        entry = {"path": path, "source": source, "exists": os.path.isdir(path)}
        if entry["exists"]:
            entry["version"] = _root_version(path)
            exe = "nvcc.exe" if sys.platform == "win32" else "nvcc"
            entry["nvcc"] = os.path.join(path, "bin", exe) if os.path.exists(os.path.join(path, "bin", exe)) else None
            entry["cudart"] = _cudart_files(path)
        if real in seen and source == "standard":
            continue
        seen.add(real)
        roots.append(entry)
    section["toolkit_roots"] = roots
    if not section["toolkit_version"]:
        for entry in roots:
            if entry.get("exists") and entry.get("version"):
                section["toolkit_version"] = ".".join(str(entry["version"]).split(".")[:2])
                break
    facts["cuda"] = section
