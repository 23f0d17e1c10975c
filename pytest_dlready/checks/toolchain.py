"""Compiler, CUDA toolkit and search-path checks (the drivers are ``checks.drivers``).

Every fix names the step for the OS the facts came from, because a snapshot taken on
Windows may be judged on Linux: the advice must follow the facts, not the judge.
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping

from ..facts import lookup, host_os
from . import guard
from ..catalogue import define, fix_for
from ..results import Finding, fail, passed, skip, warn
from . import compat

CC_MISSING = define("DLR-CC-MISSING", "no C/C++ compiler", "install the host compiler nvcc needs")
CL_MISSING = define("DLR-CL-MISSING", "cl.exe not on PATH",
                    r"add 'C:\Program Files (x86)\Microsoft Visual Studio 14.0\VC\bin' (your VS version) to PATH, or run vcvars64.bat")
MSVC_ENV = define("DLR-MSVC-INCLUDE-LIB", "INCLUDE/LIB lack the Windows Kits folders",
                  r"set INCLUDE to ...\Windows Kits\10\Include\<ver>\ucrt and LIB to ...\Windows Kits\10\Lib\<ver>\um\x64;...\ucrt\x64 (system variables), or run vcvars64.bat in each shell")
TOOLKIT_MISSING = define("DLR-CUDA-TOOLKIT-MISSING", "no CUDA toolkit",
                         "install the CUDA toolkit if you compile CUDA code (CUDAMat, Theano, custom ops); pip wheels of PyTorch/TensorFlow/JAX bring their own runtime")
NVCC_NOT_ON_PATH = define("DLR-NVCC-NOT-ON-PATH", "toolkit installed but nvcc not on PATH", "add the toolkit's bin folder to PATH")
TOOLKIT_MISMATCH = define("DLR-CUDA-PATH-MISMATCH", "CUDA_PATH/CUDA_HOME point at another toolkit than nvcc on PATH",
                          "point CUDA_PATH/CUDA_HOME at the toolkit whose nvcc is on PATH, or put that toolkit's bin first")
LIBPATH_MISSING = define("DLR-CUDA-LIB-NOT-ON-PATH", "toolkit libraries not on the loader path",
                         "add the toolkit's lib folder to the loader path")
CC_TOO_OLD = define("DLR-CC-UNSUPPORTED", "GPU too old for the toolkit",
                    "use an older toolkit/framework build that still targets this GPU, or a newer GPU")


def _os(facts: Mapping[str, Any]) -> str:
    return str(host_os(facts) or "linux")


def _first_line(text: str) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


@guard('C/C++ compiler')
def check_compiler(facts: Mapping[str, Any]) -> List[Finding]:
    comp = lookup(facts, "compiler", {}) or {}
    env = lookup(facts, "env.vars", {}) or {}
    os_name = _os(facts)
    if os_name == "windows":
        cl = comp.get("cl")
        if not cl:
            return [fail("C/C++ compiler", "cl.exe (MSVC) is not on PATH: nvcc and Theano cannot compile on Windows without it",
                         code=CL_MISSING, fix=fix_for(CL_MISSING))]
        banner = _first_line((cl.get("record") or {}).get("stderr", "")) or cl.get("path")
        include = env.get("INCLUDE", "")
        lib = env.get("LIB", "")
        problems = []
        if "ucrt" not in include.lower():
            problems.append("INCLUDE has no ...\\Windows Kits\\10\\Include\\<ver>\\ucrt folder (compiles fail with "
                            "\"fatal error C1083: Cannot open include file: 'corecrt.h'\")")
        if "um\\x64" not in lib.lower() or "ucrt\\x64" not in lib.lower():
            problems.append("LIB lacks ...\\Windows Kits\\10\\Lib\\<ver>\\um\\x64 and ...\\ucrt\\x64 (links fail on kernel32.lib uuid.lib ucrt.lib)")
        if problems:
            return [fail("C/C++ compiler", f"INCLUDE/LIB lack the Windows Kits folders that {banner} needs: " + "; ".join(problems),
                         code=MSVC_ENV, fix=fix_for(MSVC_ENV),
                         INCLUDE=include, LIB=lib)]
        return [passed("C/C++ compiler", f"{banner}; INCLUDE and LIB name the Windows Kits folders")]
    for name in ("gcc", "clang", "cc", "g++"):
        entry = comp.get(name)
        if entry and (entry.get("record") or {}).get("returncode") == 0:
            version = _first_line((entry.get("record") or {}).get("stdout", ""))
            return [passed("C/C++ compiler", f"{version} at {entry.get('path')}")]
    fix = "xcode-select --install" if os_name == "macos" else "apt-get install build-essential (or your distribution's gcc/g++)"
    return [fail("C/C++ compiler", "no working gcc or clang found on PATH; nvcc needs a host compiler", code=CC_MISSING, fix=fix)]


def _toolkit_roots(facts: Mapping[str, Any]) -> List[Dict[str, Any]]:
    return [r for r in (lookup(facts, "cuda.toolkit_roots", []) or []) if isinstance(r, Mapping)]


def _norm(path: str) -> str:
    return str(path or "").replace("\\", "/").rstrip("/").lower()


@guard('CUDA toolkit')
def check_toolkit(facts: Mapping[str, Any]) -> List[Finding]:
    nvcc = lookup(facts, "cuda.nvcc")
    version = lookup(facts, "cuda.toolkit_version")
    roots = [r for r in _toolkit_roots(facts) if r.get("exists")]
    os_name = _os(facts)
    if lookup(facts, "host.os") == "macos" and lookup(facts, "host.machine") == "arm64":
        return [skip("CUDA toolkit", "Apple silicon Mac: there is no CUDA toolkit for this machine")]
    if nvcc and version:
        findings = [passed("CUDA toolkit", f"CUDA toolkit {version} (nvcc at {nvcc.get('path')})", version=version)]
        env = lookup(facts, "env.vars", {}) or {}
        for var in ("CUDA_PATH", "CUDA_HOME"):
            declared = next((r for r in roots if r.get("source") == var), None)
            if declared and declared.get("version") and compat.parse_version(declared["version"])[:2] != compat.parse_version(version)[:2]:
                findings.append(warn("CUDA toolkit", f"{var}={env.get(var)} is toolkit {declared['version']} but nvcc on PATH is {version}: "
                                     "builds and runtime may mix two toolkits", code=TOOLKIT_MISMATCH, fix=fix_for(TOOLKIT_MISMATCH)))
        return findings
    if roots:
        root = roots[0]
        sep = "\\" if os_name == "windows" else "/"
        return [fail("CUDA toolkit", f"CUDA toolkit {root.get('version') or ''} is installed at {root['path']} but nvcc is not on PATH".replace("  ", " "),
                     code=NVCC_NOT_ON_PATH, fix=f"add {root['path']}{sep}bin to PATH")]
    return [warn("CUDA toolkit", "no CUDA toolkit found (no nvcc on PATH, no CUDA_PATH/CUDA_HOME, nothing in the standard install folders)",
                 code=TOOLKIT_MISSING, fix=fix_for(TOOLKIT_MISSING))]


@guard('CUDA paths')
def check_paths(facts: Mapping[str, Any]) -> List[Finding]:
    """PATH holds the toolkit's bin; the loader path holds its lib (the seed's DYLD_LIBRARY_PATH step)."""
    nvcc = lookup(facts, "cuda.nvcc") or {}
    if not nvcc.get("path"):
        return [skip("CUDA paths", "no nvcc on PATH, so there is no toolkit whose paths to check")]
    env = lookup(facts, "env.vars", {}) or {}
    os_name = _os(facts)
    sep = ";" if os_name == "windows" else ":"
    slash = "\\" if os_name == "windows" else "/"
    nvcc_dir = str(nvcc["path"]).replace("\\", "/").rsplit("/", 1)[0]
    root = nvcc_dir[:-4] if nvcc_dir.endswith("/bin") else nvcc_dir   # original case, for messages
    for r in _toolkit_roots(facts):
        if r.get("nvcc") and _norm(r["nvcc"]).rsplit("/", 1)[0] == _norm(nvcc_dir):
            root = str(r["path"]).replace("\\", "/").rstrip("/")
    if os_name == "windows":
        var, subdirs = "PATH", ["bin"]
    elif os_name == "macos":
        var, subdirs = "DYLD_LIBRARY_PATH", ["lib"]
    else:
        var, subdirs = "LD_LIBRARY_PATH", ["lib64", "lib", "targets/x86_64-linux/lib"]
    wanted = [_norm(root + "/" + sub) for sub in subdirs]
    shown = (root + "/" + subdirs[0]).replace("/", slash)
    fix = {"windows": f"add {shown} to PATH (the DLLs live in bin on Windows)",
           "macos": f"export DYLD_LIBRARY_PATH={shown}:$DYLD_LIBRARY_PATH (e.g. in ~/.bash_profile)"}.get(
        os_name, f"export LD_LIBRARY_PATH={shown}:$LD_LIBRARY_PATH, or add {shown} to /etc/ld.so.conf.d/cuda.conf and run ldconfig")
    entries = [_norm(p) for p in env.get(var, "").split(sep) if p]
    on_path = any(any(e == w or e.startswith(w + "/") for w in wanted) for e in entries)
    if os_name == "linux" and not on_path:
        cache_dirs = [str(d.get("dir")) for d in (lookup(facts, "libraries.search_path", []) or []) if d.get("source") == "ld.so.cache"]
        real = [_norm(r.get("path")) for r in _toolkit_roots(facts)] + [_norm(root)]
        cached = [c for c in cache_dirs if any(_norm(c).startswith(rr) for rr in real) or "cuda" in _norm(c)]
        if cached:
            return [passed("CUDA paths", f"nvcc's folder is on PATH; the toolkit's libraries are in the ld.so cache ({', '.join(cached)})")]
    if not on_path:
        return [warn("CUDA paths", f"{var} does not contain the toolkit's library folder ({shown}): programs built with nvcc may not find libcudart",
                     code=LIBPATH_MISSING, fix=fix)]
    return [passed("CUDA paths", f"nvcc's folder is on PATH and {var} contains {shown}")]


@guard('GPU architecture support')
def check_compute_capability(facts: Mapping[str, Any]) -> List[Finding]:
    """Each GPU's compute capability is within what the toolkit on PATH can build for."""
    toolkit = lookup(facts, "cuda.toolkit_version")
    gpus = [g for g in (lookup(facts, "devices.gpus", []) or []) if isinstance(g, Mapping) and g.get("compute_capability")]
    if not gpus:
        return [skip("GPU architecture support", "no CUDA GPU with a known compute capability to check", needs_gpu=True)]
    findings = []
    need = compat.min_compute(toolkit) if toolkit else None
    groups: Dict[tuple, List[Any]] = {}
    for g in gpus:  # identical GPUs share one row: a 10-GPU node is one verdict, not ten
        groups.setdefault((g.get("name", ""), str(g["compute_capability"])), []).append(g.get("index", 0))
    for (name, cc_text), indexes in groups.items():
        cc = compat.parse_version(cc_text)
        which = f"GPU{indexes[0]}" if len(indexes) == 1 else f"GPU{indexes[0]}-{indexes[-1]} ({len(indexes)}x)"
        label = f"{which} {name} (compute {cc_text})"
        if need and cc and cc[:2] < need:
            findings.append(fail("GPU architecture support", f"{label} is below compute {need[0]}.{need[1]}, the oldest CUDA {toolkit} supports",
                                 code=CC_TOO_OLD, fix=fix_for(CC_TOO_OLD), compute=cc_text, toolkit=toolkit))
        else:
            findings.append(passed("GPU architecture support", f"{label} is supported by CUDA {toolkit}" if toolkit else label))
    return findings
