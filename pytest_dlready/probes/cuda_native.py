"""Build (once) and run the project's own CUDA probe, ``cuda_probe.cu``.

NVIDIA's sample programs are rarely built, but wherever ``nvcc`` works this small
program answers the same questions: what the CUDA *runtime* sees (error 35 when the
driver is missing or older than the toolkit) and how fast copies run. Compiling costs
about a second, so the binary is cached per toolkit version, nvcc and probe source
under a user cache dir (``$DLREADY_CACHE_DIR`` or the platform's cache folder); later
sessions only run it (milliseconds with no driver).

``probe_native(facts, settings)`` returns the ``facts["cuda_probe"]`` section:
``status`` is one of ``ok | no-nvcc | build-failed | run-failed | cuda-error``.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import tempfile
from typing import Any, Mapping, Optional, Tuple

from ..facts import atomic_write_text, lookup, untrusted
from . import runner

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cuda_probe.cu")

#: Seconds nvcc may take; a cold nvcc on a slow laptop takes ~10 s, never minutes.
BUILD_TIMEOUT = 180.0

#: bandwidth repetitions per tier (bandwidthTest's quick mode does 100 of 32 MB)
REPS = {"quick": 10, "standard": 30, "full": 100}

#: CUDA runtime error names for probes built with toolkits older than cudaGetErrorName
ERROR_NAMES = {
    35: "cudaErrorInsufficientDriver",
    38: "cudaErrorNoDevice",
    100: "cudaErrorNoDevice",
    999: "cudaErrorUnknown",
    3: "cudaErrorInitializationError",
    46: "cudaErrorDevicesUnavailable",
    101: "cudaErrorInvalidDevice",
    804: "cudaErrorCompatNotSupportedOnDevice",
    803: "cudaErrorSystemDriverMismatch",
}


def cache_dir() -> str:
    """Where compiled probes live: ``$DLREADY_CACHE_DIR`` or the OS's per-user cache."""
    explicit = os.environ.get("DLREADY_CACHE_DIR")
    if explicit:
        return explicit
    if sys.platform.startswith("win"):
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser(r"~\AppData\Local")
        return os.path.join(base, "pytest-dlready", "Cache")
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Caches/pytest-dlready")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "pytest-dlready")


def version_text(value: Any) -> Optional[str]:
    """CUDA's integer version (12050) as ``"12.5"``, the way deviceQuery prints it; 0 -> None."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return f"{value // 1000}.{(value % 100) // 10}"


def binary_path(nvcc: str, toolkit_version: Optional[str], directory: Optional[str] = None) -> str:
    """Cache key: toolkit version, which nvcc, the probe's source and the machine."""
    digest = hashlib.sha256()
    with open(SOURCE, "rb") as fh:
        digest.update(fh.read())
    digest.update(os.path.realpath(nvcc).encode("utf-8", "replace"))
    digest.update(platform.machine().encode())
    tag = "".join(c for c in (toolkit_version or "unknown") if c.isalnum() or c == ".")
    name = f"cuda_probe-cuda{tag}-{digest.hexdigest()[:12]}" + (".exe" if sys.platform.startswith("win") else "")
    return os.path.join(directory or cache_dir(), name)


def cache_doubt(directory: str, target: str) -> str:
    """Why the cached probe may not be run ("" if it may): as ssh judges its keys, the cache folder
    and the binary must belong to this user (or root) and be writable by nobody else, and the
    binary must not be a symbolic link. Its name is predictable, so anyone who can write the
    folder could plant a "probe" that reports whatever GPU they like."""
    if not os.path.isdir(directory):
        parent = os.path.dirname(os.path.normpath(directory))
        return untrusted(parent) if os.path.isdir(parent) and os.environ.get("DLREADY_CACHE_DIR") else ""
    why = untrusted(directory)
    if why:
        return why
    if os.path.islink(target):
        return f"{target} is a symbolic link"
    if os.path.exists(target):
        return untrusted(target)
    return ""


def locate_nvcc(facts: Mapping[str, Any]) -> Tuple[Optional[str], Optional[str]]:
    """nvcc path and toolkit version as the toolchain probe recorded them (``facts["cuda"]``)."""
    path = lookup(facts, "cuda.nvcc.path")
    version = lookup(facts, "cuda.toolkit_version")
    if path or "cuda" in facts:
        return (str(path) if path else None), (str(version) if version else None)
    # the toolchain probe did not run (e.g. ``collect(only=("devices",))``): PATH only
    return runner.which("nvcc"), None


def build(nvcc: str, toolkit_version: Optional[str], timeout: float = BUILD_TIMEOUT) -> Tuple[str, Optional[dict], bool]:
    """Compile the probe unless cached: (binary path, build record or None, cache hit)."""
    target = binary_path(nvcc, toolkit_version)
    directory = os.path.dirname(target)
    doubt = cache_doubt(directory, target)
    if doubt:
        # a shared or foreign cache: never run what is there; build in a folder only we can write
        directory = tempfile.mkdtemp(prefix="dlready-cuda-probe-")
        target = os.path.join(directory, os.path.basename(target))
    elif os.path.isfile(target) and os.access(target, os.X_OK):
        return target, None, True
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".cuda_probe-", suffix=".exe" if sys.platform.startswith("win") else "",
                                   dir=directory)
        os.close(fd)
    except OSError as exc:
        rec = runner.CommandRecord(argv=[nvcc], error=f"cannot write cache dir {directory}: {exc.strerror or exc}")
        return target, rec.to_dict(), False
    argv = [nvcc, "-O2", "-o", tmp, SOURCE]
    if sys.platform.startswith("linux"):
        argv.append("-ldl")  # dlopen lives in libdl before glibc 2.34
    # nvcc writes intermediates to TMPDIR; the cache dir is known to be writable
    env = dict(os.environ, TMPDIR=directory, TMP=directory, TEMP=directory)
    record = runner.run(argv, timeout=timeout, env=env, cwd=directory)
    if record.ok and os.path.isfile(tmp) and os.path.getsize(tmp) > 0:
        os.replace(tmp, target)  # atomic: a concurrent session sees no half-written binary
        data = record.to_dict()
        if doubt:
            data["cache_refused"] = doubt
        return target, data, False
    try:
        os.unlink(tmp)
    except OSError:
        pass
    log = target + ".build.log"
    try:
        atomic_write_text(log, f"$ {' '.join(argv)}\nexit: {record.returncode} {record.error}\n"
                                 f"--- stdout\n{record.stdout}\n--- stderr\n{record.stderr}\n")
    except OSError:
        log = ""
    data = record.to_dict()
    data["log"] = log
    return target, data, False


def parse_output(text: str) -> Tuple[Optional[dict], str]:
    """The probe's JSON document, or None and why not (never raises)."""
    try:
        start = text.index("{")
        data = json.loads(text[start:])
    except (ValueError, TypeError) as exc:
        return None, f"probe output is not JSON ({exc})"
    if not isinstance(data, dict) or data.get("probe") != "pytest-dlready cuda_probe":
        return None, "probe output is not a pytest-dlready cuda_probe document"
    return data, ""


def _error(data: Mapping[str, Any]) -> Optional[dict]:
    err = data.get("error")
    if not isinstance(err, Mapping):
        return None
    code = err.get("code")
    name = err.get("name") or (ERROR_NAMES.get(code, "") if isinstance(code, int) else "")
    return {"code": code, "name": name, "message": str(err.get("message", "")), "call": str(err.get("call", ""))}


def interpret(record: Mapping[str, Any]) -> dict:
    """Turn a run record into the status, versions, devices and bandwidth rows."""
    out: dict = {"status": "run-failed", "error": None, "driver_version": None, "runtime_version": None,
                 "devices": [], "bandwidth": [], "links": [], "reason": ""}
    if record.get("timed_out") or record.get("error"):
        out["reason"] = f"the CUDA probe did not finish: {record.get('error') or 'timed out'}"
        return out
    data, why = parse_output(str(record.get("stdout") or ""))
    if data is None:
        out["reason"] = f"the CUDA probe exited {record.get('returncode')} and {why}"
        return out
    out["driver_version"] = version_text(data.get("driver_version"))
    out["runtime_version"] = version_text(data.get("runtime_version"))
    out["driver_version_int"] = data.get("driver_version")
    out["runtime_version_int"] = data.get("runtime_version")
    out["nvml"] = data.get("nvml") if isinstance(data.get("nvml"), Mapping) else None
    error = _error(data)
    if error is not None:
        out.update(status="cuda-error", error=error,
                   reason=f"{error['call'] or 'CUDA'} returned {error['code']} ({error['name']}): {error['message']}")
        return out
    devices = [d for d in data.get("devices") or [] if isinstance(d, Mapping)]
    out["devices"] = devices
    out["bandwidth"] = [b for b in data.get("bandwidth") or [] if isinstance(b, Mapping)]
    out["links"] = [link for link in data.get("links") or [] if isinstance(link, Mapping)]
    out["status"] = "ok"
    out["reason"] = f"the CUDA runtime sees {len(devices)} device(s)"
    return out


def probe_native(facts: Mapping[str, Any], settings: Any) -> dict:
    """The ``cuda_probe`` facts section (never raises)."""
    nvcc, toolkit = locate_nvcc(facts)
    section: dict = {"status": "no-nvcc", "nvcc": nvcc, "toolkit_version": toolkit, "binary": None,
                     "cached": False, "build": None, "run": None, "error": None, "driver_version": None,
                     "runtime_version": None, "devices": [], "bandwidth": [], "links": []}
    if not nvcc:
        section["reason"] = "nvcc not found, so the native CUDA probe cannot be built"
        return section
    binary, build_record, cached = build(nvcc, toolkit)
    section.update(binary=binary, cached=cached, build=build_record)
    if not cached and (build_record is None or not runner.CommandRecord.from_dict(build_record).ok):
        section["status"] = "build-failed"
        detail = (build_record or {}).get("error") or _tail((build_record or {}).get("stderr", ""))
        section["reason"] = f"nvcc could not build the CUDA probe: {detail}"
        return section
    tier = getattr(settings, "tier", "quick")
    timeout = float(getattr(settings, "probe_timeout", 20.0) or 20.0)
    argv = [binary, f"--reps={REPS.get(tier, REPS['quick'])}"]
    record = runner.run(argv, timeout=timeout).to_dict()
    section["run"] = record
    section.update(interpret(record))
    return section


def _tail(text: str, lines: int = 3) -> str:
    parts = [p for p in str(text).strip().splitlines() if p.strip()]
    return " | ".join(parts[-lines:]) or "no output"
