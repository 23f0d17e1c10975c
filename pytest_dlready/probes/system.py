"""Host, Python, CPU, numpy/BLAS and environment-variable facts.

BLAS facts go with every CPU baseline because a CPU's speed in training is mostly its
BLAS: ``OPENBLAS_CORETYPE=Haswell`` alone halves float32 GEMM on this project's CI box.
"""
from __future__ import annotations

import os
import platform
import socket
import struct
import sys
from typing import Any, Dict

from . import runner

#: Environment variables a readiness judgement may need (CUDA, loaders, MSVC, backends, BLAS).
ENV_VARS = (
    "PATH", "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "DYLD_FALLBACK_LIBRARY_PATH",
    "CUDA_PATH", "CUDA_HOME", "CUDA_ROOT", "CUDNN_PATH", "CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER",
    "INCLUDE", "LIB", "LIBPATH", "VCINSTALLDIR", "VSINSTALLDIR", "CONDA_PREFIX", "VIRTUAL_ENV",
    "THEANO_FLAGS", "PYTENSOR_FLAGS", "KERAS_BACKEND", "KERAS_HOME", "GNUMPY_USE_GPU",
    "TF_CPP_MIN_LOG_LEVEL", "PYTORCH_ENABLE_MPS_FALLBACK", "HSA_OVERRIDE_GFX_VERSION", "ROCR_VISIBLE_DEVICES",
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
    "VECLIB_MAXIMUM_THREADS", "MKL_DEBUG_CPU_TYPE",
    # DCGM's software plugin fails a node when any of these is set (they slow or alter CUDA runs)
    "NSIGHT_CUDA_DEBUGGER", "CUDA_INJECTION32_PATH", "CUDA_INJECTION64_PATH", "CUDA_AUTO_BOOST",
    "CUDA_ENABLE_COREDUMP_ON_EXCEPTION", "CUDA_COREDUMP_FILE", "CUDA_DEVICE_WAITS_ON_EXCEPTION",
    "CUDA_PROFILE", "COMPUTE_PROFILE", "OPENCL_PROFILE", "CUDA_LAUNCH_BLOCKING",
)


def os_name() -> str:
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform == "darwin":
        return "macos"
    if sys.platform in ("win32", "cygwin"):
        return "windows"
    return sys.platform


def _distro() -> Dict[str, str]:
    out: Dict[str, str] = {}
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    key, sep, value = line.strip().partition("=")
                    if sep and key in ("ID", "VERSION_ID", "PRETTY_NAME", "NAME"):
                        out[key.lower()] = value.strip('"')
            break
        except OSError:
            continue
    return out


def _cpu() -> Dict[str, Any]:
    info: Dict[str, Any] = {"logical": os.cpu_count()}
    try:
        info["usable"] = len(os.sched_getaffinity(0))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        info["usable"] = os.cpu_count()
    # not platform.processor(): on Linux it spawns `uname -p` through an unchecked PATH
    model = os.uname().machine if hasattr(os, "uname") else (platform.machine() or "")
    flags: list = []
    model_from_cpuinfo = ""
    if os.path.exists("/proc/cpuinfo"):
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    key, _, value = line.partition(":")
                    key = key.strip()
                    if key == "model name" and not model_from_cpuinfo:
                        model = model_from_cpuinfo = value.strip()
                    if key == "flags" and not flags:
                        wanted = {"avx", "avx2", "fma", "avx512f", "avx512_bf16", "amx_tile", "sse4_2"}
                        flags = sorted(wanted.intersection(value.split()))
                    if model_from_cpuinfo and flags:
                        break
        except OSError:
            pass
    elif sys.platform == "darwin":
        rec = runner.run(["sysctl", "-n", "machdep.cpu.brand_string"], timeout=5)
        if rec.ok:
            model = rec.stdout.strip()
    info["model"] = model
    info["flags"] = flags
    return info


def _numpy(timeout: float) -> Dict[str, Any]:
    """numpy version and its BLAS, read in a subprocess so numpy is never imported into pytest."""
    code = (
        "import json, numpy\n"
        "out = {'version': numpy.__version__}\n"
        "try:\n"
        "    from threadpoolctl import threadpool_info\n"
        "    out['threadpools'] = [{k: v for k, v in d.items() if k in ('internal_api','version','num_threads','architecture','user_api','prefix')} for d in threadpool_info()]\n"
        "except Exception as e:\n"
        "    out['threadpools_error'] = repr(e)\n"
        "try:\n"
        "    cfg = numpy.show_config(mode='dicts')\n"
        "    out['build_blas'] = cfg.get('Build Dependencies', {}).get('blas', {})\n"
        "except Exception as e:\n"
        "    out['build_blas_error'] = repr(e)\n"
        "print(json.dumps(out, default=str))\n"
    )
    rec = runner.run([sys.executable, "-c", code], timeout=timeout)
    if not rec.ok:
        missing = "No module named 'numpy'" in rec.stderr
        return {"installed": not missing, "error": (rec.stderr.strip().splitlines() or [rec.error])[-1], "record": rec.to_dict()}
    import json

    try:
        data = json.loads(rec.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"installed": True, "error": "could not read numpy's configuration", "record": rec.to_dict()}
    blas: Dict[str, Any] = {}
    pools = [p for p in data.get("threadpools", []) if p.get("user_api") == "blas"]
    if pools:
        pool = pools[0]
        blas = {"vendor": pool.get("internal_api"), "version": pool.get("version"),
                "threads": pool.get("num_threads"), "architecture": pool.get("architecture")}
    elif data.get("build_blas"):
        b = data["build_blas"]
        blas = {"vendor": b.get("name"), "version": b.get("version"), "threads": None, "architecture": None}
    return {"installed": True, "version": data.get("version"), "blas": blas, "threadpools": data.get("threadpools", [])}


def probe(facts: Dict[str, Any], settings: Any) -> None:
    # os.uname() where there is one: older Pythons' platform.uname() runs `uname -p` through PATH
    uname = os.uname() if hasattr(os, "uname") else platform.uname()
    host: Dict[str, Any] = {
        "hostname": socket.gethostname(),
        "os": os_name(),
        "os_name": getattr(uname, "system", None) or getattr(uname, "sysname", ""),
        "os_version": uname.release,
        "kernel": uname.version,
        "machine": uname.machine,
        "cpu": _cpu(),
    }
    if host["os"] == "linux":
        host["distro"] = _distro()
    elif host["os"] == "macos":
        host["mac_ver"] = platform.mac_ver()[0]
        host["os_version"] = host["mac_ver"] or uname.release
    elif host["os"] == "windows":
        host["win_ver"] = list(platform.win32_ver())
    facts["host"] = host
    facts["python"] = {
        "executable": sys.executable,
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "bits": struct.calcsize("P") * 8,
    }
    facts["env"] = {"vars": {k: os.environ[k] for k in ENV_VARS if k in os.environ}, "pathsep": os.pathsep}
    facts["numpy"] = _numpy(getattr(settings, "probe_timeout", 20.0))
