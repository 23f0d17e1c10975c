"""NVIDIA's ``deviceQuery`` and ``bandwidthTest``: find them, optionally build them, run them.

These are the tools every CUDA install guide (and the GT 750M MacBook story) uses to
prove a GPU works, so when they exist their word is recorded next to our own probe's.
Locations searched, in order, never the current directory: ``--dlready-cuda-samples``,
``PATH``, the toolkit roots (``CUDA_PATH``/``CUDA_HOME``/found by the toolchain probe:
``extras/demo_suite`` ships prebuilt copies on Linux and Windows up to CUDA 11,
``samples/bin/...`` after ``make``), ``~/NVIDIA_CUDA-x.y_Samples``, macOS's
``/Developer/NVIDIA/CUDA-x.y/samples``, Windows' ``ProgramData`` samples, and
``cuda-samples`` checkouts (make or CMake build trees) in the home folder.

With sources but no binaries, ``--dlready-build-samples`` builds them (make, or CMake
for cuda-samples >= 12.8) with the toolkit found, a timeout and a log file.
Output text goes to the parsers (``parsers.devicequery``/``parsers.bandwidthtest``).
"""
from __future__ import annotations

import glob
import importlib
import os
import sys
from typing import Any, Dict, List, Mapping, Optional

from ..facts import atomic_write_text, lookup
from . import runner

TOOLS = ("deviceQuery", "bandwidthTest")
EXE = ".exe" if sys.platform.startswith("win") else ""
BUILD_TIMEOUT = 600.0
#: bandwidthTest runs: quick mode (32 MB), pinned and pageable, all three directions
BANDWIDTH_ARGS = (("pinned", ["--mode=quick", "--memory=pinned"]), ("pageable", ["--mode=quick", "--memory=pageable"]))


def _home() -> str:
    return os.path.expanduser("~")


def candidate_roots(facts: Mapping[str, Any], settings: Any) -> List[Dict[str, str]]:
    """Folders that may hold sample binaries or sources, with where each came from."""
    roots: List[Dict[str, str]] = []

    def add(path: Optional[str], source: str) -> None:
        if path and os.path.isabs(path) and os.path.isdir(path) and all(r["path"] != path for r in roots):
            roots.append({"path": path, "source": source})

    add(getattr(settings, "cuda_samples", None) and os.path.abspath(settings.cuda_samples), "--dlready-cuda-samples")
    env = lookup(facts, "env", {}) or {}
    toolkit_dirs = [env.get("CUDA_PATH"), env.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), os.environ.get("CUDA_HOME")]
    toolkit_dirs += [r.get("path") for r in lookup(facts, "cuda.toolkit_roots", []) or [] if isinstance(r, Mapping)]
    for root in toolkit_dirs:
        if root:
            add(os.path.join(root, "extras", "demo_suite"), "toolkit demo_suite")
            add(os.path.join(root, "samples"), "toolkit samples")
    home = _home()
    for path in sorted(glob.glob(os.path.join(home, "NVIDIA_CUDA-*_Samples")), reverse=True):
        add(path, "home samples")
    for path in sorted(glob.glob("/Developer/NVIDIA/CUDA-*/samples"), reverse=True):
        add(path, "macOS /Developer samples")
    for path in sorted(glob.glob(r"C:\ProgramData\NVIDIA Corporation\CUDA Samples\v*"), reverse=True):
        add(path, "Windows ProgramData samples")
    for path in sorted(glob.glob(os.path.join(home, "cuda-samples*")), reverse=True):
        add(path, "cuda-samples checkout")
    return roots


def _binary_in(root: str, tool: str) -> Optional[str]:
    patterns = [tool + EXE, os.path.join("bin", "*", "*", "release", tool + EXE),
                os.path.join("bin", "win64", "Release", tool + EXE),
                os.path.join("*", tool, tool + EXE), os.path.join("Samples", "*", tool, tool + EXE),
                os.path.join("build", "Samples", "*", tool, tool + EXE)]
    for pattern in patterns:
        for path in sorted(glob.glob(os.path.join(root, pattern))):
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    return None


def _sources_in(root: str, tool: str) -> Optional[str]:
    for pattern in (os.path.join("*", tool), os.path.join("Samples", "*", tool), tool):
        for path in sorted(glob.glob(os.path.join(root, pattern))):
            if os.path.isdir(path) and any(os.path.exists(os.path.join(path, f"{tool}{ext}")) for ext in (".cpp", ".cu")):
                return path
    return None


def locate(facts: Mapping[str, Any], settings: Any) -> Dict[str, Any]:
    """{tool: {binary, source_dir, found_via}} for both tools; never looks in the cwd."""
    roots = candidate_roots(facts, settings)
    out: Dict[str, Any] = {"roots": roots}
    for tool in TOOLS:
        entry: Dict[str, Any] = {"binary": None, "source_dir": None, "found_via": None}
        explicit = roots[0] if roots and roots[0]["source"] == "--dlready-cuda-samples" else None
        if explicit:
            entry["binary"] = _binary_in(explicit["path"], tool)
            entry["found_via"] = explicit["source"] if entry["binary"] else None
        if not entry["binary"]:
            on_path = runner.which(tool)
            if on_path:
                entry.update(binary=on_path, found_via="PATH")
        for root in roots:
            if not entry["binary"]:
                binary = _binary_in(root["path"], tool)
                if binary:
                    entry.update(binary=binary, found_via=root["source"])
            if not entry["source_dir"]:
                entry["source_dir"] = _sources_in(root["path"], tool)
        out[tool] = entry
    return out


def build(tool: str, source_dir: str, facts: Mapping[str, Any], log_dir: str,
          timeout: float = BUILD_TIMEOUT) -> Dict[str, Any]:
    """Build one sample with make (in place) or CMake (out of tree); returns binary + records + log."""
    nvcc = lookup(facts, "cuda.nvcc.path") or runner.which("nvcc")
    result: Dict[str, Any] = {"tool": tool, "source_dir": source_dir, "binary": None, "records": [], "log": None}
    env = dict(os.environ)
    if nvcc:
        cuda_root = os.path.dirname(os.path.dirname(os.path.realpath(nvcc)))
        env.update(CUDA_PATH=cuda_root, CUDA_HOME=cuda_root)
        env["PATH"] = os.path.dirname(nvcc) + os.pathsep + env.get("PATH", "")
    make, cmake = runner.which("make"), runner.which("cmake")
    if os.path.exists(os.path.join(source_dir, "Makefile")) and make:
        argv = [make, "-C", source_dir] + ([f"CUDA_PATH={env['CUDA_PATH']}"] if nvcc else [])
        result["records"].append(runner.run(argv, timeout=timeout, env=env).to_dict())
        result["method"] = "make"
    elif os.path.exists(os.path.join(source_dir, "CMakeLists.txt")) and cmake:
        build_dir = os.path.join(log_dir, "build-" + tool)
        configure = [cmake, "-S", source_dir, "-B", build_dir] + ([f"-DCMAKE_CUDA_COMPILER={nvcc}"] if nvcc else [])
        result["records"].append(runner.run(configure, timeout=timeout, env=env).to_dict())
        if result["records"][-1]["returncode"] == 0:
            result["records"].append(runner.run([cmake, "--build", build_dir], timeout=timeout, env=env).to_dict())
        result["method"] = "cmake"
        source_dir = build_dir
    else:
        result["error"] = f"no Makefile/CMakeLists.txt in {source_dir}, or make/cmake not on PATH"
        return result
    ok = all(runner.CommandRecord.from_dict(r).ok for r in result["records"])
    if ok:  # old samples copy the binary to <root>/bin/<arch>/<os>/release, newer ones leave it in place
        result["binary"] = _binary_in(source_dir, tool) or _binary_in(os.path.dirname(os.path.dirname(source_dir)), tool)
    if not ok or not result["binary"]:
        result["error"] = "the build failed" if not ok else "the build finished but no binary was found"
    os.makedirs(log_dir, exist_ok=True)
    log = os.path.join(log_dir, f"build-{tool}.log")
    lines = []
    for r in result["records"]:
        lines.append(f"$ {' '.join(r['argv'])}\nexit: {r['returncode']} {r['error']}\n{r['stdout']}\n{r['stderr']}\n")
    atomic_write_text(log, "\n".join(lines))
    result["log"] = log
    for r in result["records"]:  # the log has the full text; keep the snapshot small
        r["stdout"], r["stderr"] = r["stdout"][-2000:], r["stderr"][-4000:]
    return result


def _parse(kind: str, text: str) -> Dict[str, Any]:
    """Parser output, or a note that the parser module is not available (never raises)."""
    try:
        module = importlib.import_module(f"pytest_dlready.parsers.{kind}")
        return module.parse(text)
    except Exception as exc:  # parsers promise not to raise; an import error must not either
        return {"kind": kind, "error": f"parser unavailable: {type(exc).__name__}: {exc}", "findings": []}


def from_outputs(device_query: Optional[str], bandwidth: Mapping[str, str]) -> Dict[str, Any]:
    """The ``samples`` section built from tool texts (live runs and recorded snapshots alike)."""
    out: Dict[str, Any] = {}
    if device_query is not None:
        out["deviceQuery"] = {"parsed": _parse("devicequery", device_query)}
    runs = {}
    for memory, text in bandwidth.items():
        runs[memory] = {"parsed": _parse("bandwidthtest", text)}
    if runs:
        out["bandwidthTest"] = {"runs": runs}
    return out


def probe_samples(facts: Mapping[str, Any], settings: Any, log_dir: str) -> Dict[str, Any]:
    """Locate, maybe build, and run both tools; the ``devices.samples`` section."""
    found = locate(facts, settings)
    section: Dict[str, Any] = {"located": found, "built": {}}
    timeout = float(getattr(settings, "probe_timeout", 20.0) or 20.0)
    for tool in TOOLS:
        entry = found[tool]
        if not entry["binary"] and entry["source_dir"] and getattr(settings, "build_samples", False):
            built = build(tool, entry["source_dir"], facts, log_dir)
            section["built"][tool] = built
            if built.get("binary"):
                entry.update(binary=built["binary"], found_via="built with --dlready-build-samples")
    dq = found["deviceQuery"]["binary"]
    if dq:
        record = runner.run([dq], timeout=timeout, cwd=os.path.dirname(dq))
        section["deviceQuery"] = {"record": record.to_dict(), "parsed": _parse("devicequery", record.stdout)}
    bt = found["bandwidthTest"]["binary"]
    if bt:
        runs = {}
        for memory, args in BANDWIDTH_ARGS:
            record = runner.run([bt, *args], timeout=max(timeout, 60.0), cwd=os.path.dirname(bt))
            runs[memory] = {"record": record.to_dict(), "parsed": _parse("bandwidthtest", record.stdout)}
        section["bandwidthTest"] = {"runs": runs}
    return section

