"""cuDNN headers and libraries wherever a framework or Theano could pick them up.

The header and the library are recorded separately because Theano compiles against
the header and links the library: when they differ it stops with "Mixed dnn
version" (the Windows seed's trap), and a CNTK wheel's private ``cudnn64_5.dll`` is
exactly such a second copy.
"""
from __future__ import annotations

import glob
import os
import re
import sys
from typing import Any, Dict, List

from . import runner
from .libraries import windows_file_version

DEFINE = re.compile(r"#define\s+CUDNN_(MAJOR|MINOR|PATCHLEVEL)\s+(\d+)")


def _header_dirs(facts: Dict[str, Any]) -> List[str]:
    dirs = []
    for root in (facts.get("cuda", {}) or {}).get("toolkit_roots", []) or []:
        if root.get("exists"):
            dirs.append(os.path.join(root["path"], "include"))
    env = os.environ
    for key in ("CUDNN_PATH", "CUDNN_HOME", "CONDA_PREFIX"):
        if env.get(key):
            dirs.append(os.path.join(env[key], "include"))
    dirs += ["/usr/include", "/usr/local/include", "/usr/include/x86_64-linux-gnu"]
    dirs += glob.glob(os.path.join(sys.prefix, "lib", "python*", "site-packages", "nvidia", "cudnn", "include"))
    out = []
    for d in dirs:
        if d not in out and os.path.isdir(d):
            out.append(d)
    return out


def _library_dirs(facts: Dict[str, Any]) -> List[str]:
    dirs = []
    for root in (facts.get("cuda", {}) or {}).get("toolkit_roots", []) or []:
        if root.get("exists"):
            dirs += [os.path.join(root["path"], sub) for sub in ("lib64", "lib", os.path.join("lib", "x64"), "bin")]
    for var in ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "PATH" if sys.platform == "win32" else ""):
        if var:
            dirs += [d for d in os.environ.get(var, "").split(os.pathsep) if d]
    dirs += ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/local/lib"]
    dirs += glob.glob(os.path.join(sys.prefix, "lib", "python*", "site-packages", "nvidia", "cudnn", "lib"))
    out = []
    for d in dirs:
        if d not in out and os.path.isdir(d):
            out.append(d)
    return out


def probe(facts: Dict[str, Any], settings: Any) -> None:
    headers = []
    for d in _header_dirs(facts):
        for name in ("cudnn_version.h", "cudnn.h"):
            path = os.path.join(d, name)
            if not os.path.isfile(path):
                continue
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    text = fh.read(200_000)
            except OSError as exc:
                headers.append({"path": path, "error": str(exc)})
                continue
            defines = dict(DEFINE.findall(text))
            if defines:
                headers.append({"path": path, "defines": defines})
                break
    libraries = []
    patterns = ("libcudnn.so*", "libcudnn.*dylib", "cudnn64_*.dll", "cudnn.dll")
    for d in _library_dirs(facts):
        for pattern in patterns:
            for path in sorted(glob.glob(os.path.join(d, pattern))):
                entry = {"path": path, "name": os.path.basename(path), "dir": d}
                version = windows_file_version(path)
                if version:
                    entry["file_version"] = version
                libraries.append(entry)
    ldconfig = runner.which("ldconfig") or ("/sbin/ldconfig" if os.path.exists("/sbin/ldconfig") else None)
    if ldconfig and sys.platform.startswith("linux"):
        rec = runner.run([ldconfig, "-p"], timeout=getattr(settings, "probe_timeout", 20.0))
        for line in rec.stdout.splitlines():
            if "libcudnn" in line and "=>" in line:
                path = line.split("=>", 1)[1].strip()
                if not any(lib["path"] == path for lib in libraries):
                    libraries.append({"path": path, "name": os.path.basename(path), "dir": os.path.dirname(path), "source": "ldconfig"})
    facts["cudnn"] = {"headers": headers, "libraries": libraries}
