"""Every copy of the CUDA runtime libraries on the loader's search path, in search order.

The first copy found is the one loaded. The Windows seed's CNTK wheel dropped its own
``cudart64_80.dll``/``cudnn64_5.dll`` into the conda env, ahead of the toolkit's on
PATH; on Linux a pip ``nvidia-*`` wheel or a stray ``LD_LIBRARY_PATH`` does the same.
We only list files; we never move them.
"""
from __future__ import annotations

import glob
import os
import sys
from typing import Any, Dict, List

from . import runner

FAMILIES = ("cudart", "cublas", "cublasLt", "cudnn", "curand", "cufft", "cusparse", "cusolver", "nvrtc")


def search_path() -> List[Dict[str, str]]:
    """Directories in the order this OS's loader searches them (the parts we can know)."""
    dirs: List[Dict[str, str]] = []

    def add(path: str, source: str) -> None:
        if path and not any(d["dir"] == path for d in dirs):
            dirs.append({"dir": path, "source": source})

    if sys.platform == "win32":
        # LoadLibrary: the application's folder, System32, the Windows folder, then PATH in order.
        add(os.path.dirname(sys.executable), "application folder")
        windir = os.environ.get("SystemRoot", r"C:\Windows")
        add(os.path.join(windir, "System32"), "system folder")
        add(windir, "Windows folder")
        for d in os.environ.get("PATH", "").split(os.pathsep):
            add(d, "PATH")
    elif sys.platform == "darwin":
        for var in ("DYLD_LIBRARY_PATH", "DYLD_FALLBACK_LIBRARY_PATH"):
            for d in os.environ.get(var, "").split(os.pathsep):
                add(d, var)
        add("/usr/local/cuda/lib", "default CUDA location")
    else:
        for d in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep):
            add(d, "LD_LIBRARY_PATH")
        ldconfig = runner.which("ldconfig") or ("/sbin/ldconfig" if os.path.exists("/sbin/ldconfig") else None)
        if ldconfig:
            rec = runner.run([ldconfig, "-p"], timeout=10)
            for line in rec.stdout.splitlines():
                if "=>" in line and any(f"lib{f}" in line for f in FAMILIES):
                    add(os.path.dirname(line.split("=>", 1)[1].strip()), "ld.so.cache")
        for d in ("/lib", "/usr/lib", "/lib64", "/usr/lib64"):
            add(d, "default")
        # pip's nvidia-* wheels: torch, jax and TF load these through their rpath, ahead of the toolkit
        for d in sorted(glob.glob(os.path.join(sys.prefix, "lib", "python*", "site-packages", "nvidia", "*", "lib"))):
            add(d, "pip nvidia-* wheel (framework rpath)")
    return dirs


def windows_file_version(path: str) -> str:
    """The DLL's own version resource ("5.1.10"), which names alone do not carry (cudnn64_5.dll)."""
    if sys.platform != "win32":
        return ""
    try:
        import ctypes
        from ctypes import wintypes

        ver = ctypes.WinDLL("version")
        size = ver.GetFileVersionInfoSizeW(path, None)
        if not size:
            return ""
        buf = ctypes.create_string_buffer(size)
        if not ver.GetFileVersionInfoW(path, 0, size, buf):
            return ""
        ptr, length = ctypes.c_void_p(), wintypes.UINT()
        if not ver.VerQueryValueW(buf, "\\", ctypes.byref(ptr), ctypes.byref(length)):
            return ""
        words = ctypes.cast(ptr, ctypes.POINTER(ctypes.c_uint32 * 13)).contents
        ms, ls = words[2], words[3]
        return f"{ms >> 16}.{ms & 0xFFFF}.{ls >> 16}.{ls & 0xFFFF}"
    except (OSError, AttributeError, ValueError):
        return ""


def _patterns() -> List[str]:
    if sys.platform == "win32":
        return ["cu*.dll", "nvrtc*.dll"]
    if sys.platform == "darwin":
        return ["libcu*.dylib", "libnvrtc*.dylib"]
    return ["libcu*.so*", "libnvrtc*.so*"]


def probe(facts: Dict[str, Any], settings: Any) -> None:
    dirs = search_path()
    files = []
    for index, entry in enumerate(dirs):
        if not os.path.isdir(entry["dir"]):
            continue
        for pattern in _patterns():
            for path in sorted(glob.glob(os.path.join(entry["dir"], pattern))):
                try:
                    size = os.path.getsize(path)
                except OSError:
                    size = None
                record = {"dir_index": index, "dir": entry["dir"], "name": os.path.basename(path),
                          "size": size, "symlink": os.path.islink(path)}
                version = windows_file_version(path)
                if version:
                    record["file_version"] = version
                files.append(record)
    facts["libraries"] = {"search_path": dirs, "files": files, "os": sys.platform}
