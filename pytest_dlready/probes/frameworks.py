"""Framework device routes: what torch, CuPy, cuda-python, JAX and TensorFlow can see.

A GPU the driver lists is useless if the framework cannot reach it (CPU-only wheel,
error 35 from its bundled runtime, a compute capability its wheel was not built for).
Each framework runs in its own child Python (``child.run_route``, with a timeout), in
parallel, so one hanging import cannot hang pytest or hide the others.

Importing torch or TensorFlow costs seconds, so the parent first reads each package's
build files *without importing it* (``torch/version.py``, TensorFlow's
``build_info.py``, JAX's GPU plugins): a CPU-only build cannot see a GPU and is
recorded as such ("skipped": the reason), which is itself the answer to "why is my
GPU not used". Apple MPS, AMD ROCm (HIP) and Intel XPU are found through torch.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import sys

ROUTES = ("torch", "cupy", "cuda-python", "jax", "tensorflow")


# ---------------------------------------------------------------- parent side: static build reading

def _package_dir(name):
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    return locations[0] if locations else None


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(200000)
    except OSError:
        return ""


def torch_build(text):
    """``{version, cuda, hip, xpu}`` from the text of ``torch/version.py`` (pure)."""
    def field(name):
        m = re.search(r"^%s\s*(?::[^=]*)?=\s*(?:'([^']*)'|\"([^\"]*)\"|None)" % name, text or "", re.M)
        if not m:
            return None
        return m.group(1) if m.group(1) is not None else m.group(2)
    version = field("__version__")
    return {"version": version, "cuda": field("cuda"), "hip": field("hip"),
            "xpu": field("xpu") or ("xpu" if version and "+xpu" in version else None)}


def tensorflow_build(text):
    """``{is_cuda_build, is_rocm_build, cuda_version}`` from TensorFlow's build_info.py (pure)."""
    out = {}
    # both spellings occur: {'is_cuda_build': True} and OrderedDict([('is_cuda_build', True)])
    for key in ("is_cuda_build", "is_rocm_build"):
        m = re.search(r"['\"]%s['\"]\s*[:,]\s*(True|False)" % key, text or "")
        out[key] = (m.group(1) == "True") if m else None
    m = re.search(r"['\"]cuda_version['\"]\s*[:,]\s*['\"]([^'\"]*)['\"]", text or "")
    out["cuda_version"] = m.group(1) if m else None
    return out


def plan(host_os=None):
    """Which routes to run, and why the others are skipped (cheap: no framework import)."""
    host_os = host_os or ("macos" if sys.platform == "darwin" else sys.platform)
    out = {}
    torch_dir = _package_dir("torch")
    if torch_dir is None:
        out["torch"] = {"run": False, "installed": False, "reason": "torch is not installed"}
    else:
        build = torch_build(_read(os.path.join(torch_dir, "version.py")))
        gpu_build = bool(build["cuda"] or build["hip"] or build["xpu"]) or host_os == "macos"
        out["torch"] = {"run": gpu_build, "installed": True, "build": build,
                        "reason": "" if gpu_build else
                        f"torch {build['version'] or ''} is a CPU-only build (torch.version.cuda and .hip are None)".replace("  ", " ")}
    cupy = _package_dir("cupy")
    out["cupy"] = {"run": cupy is not None, "installed": cupy is not None,
                   "reason": "" if cupy else "cupy is not installed"}
    cuda_pkg = _package_dir("cuda")
    has_bindings = bool(cuda_pkg) and (os.path.isdir(os.path.join(cuda_pkg, "bindings"))
                                       or os.path.exists(os.path.join(cuda_pkg, "cudart.py"))
                                       or any(n.startswith("cudart") for n in _listdir(cuda_pkg)))
    out["cuda-python"] = {"run": has_bindings, "installed": has_bindings,
                          "reason": "" if has_bindings else "cuda-python is not installed"}
    jax_dir = _package_dir("jax")
    plugins = [n for n in ("jax_cuda13_plugin", "jax_cuda12_plugin", "jax_cuda11_plugin", "jax_rocm60_plugin",
                           "jax_rocm7_plugin", "jax_plugins") if _package_dir(n)]
    gpu_jax = bool(plugins) or (jax_dir is not None and host_os == "macos" and _package_dir("jax_metal") is not None)
    out["jax"] = {"run": jax_dir is not None and gpu_jax, "installed": jax_dir is not None, "plugins": plugins,
                  "reason": "jax is not installed" if jax_dir is None else
                  ("" if gpu_jax else "jaxlib is CPU-only: no jax CUDA/ROCm/Metal plugin is installed")}
    tf_dir = _package_dir("tensorflow")
    if tf_dir is None:
        out["tensorflow"] = {"run": False, "installed": False, "reason": "tensorflow is not installed"}
    else:
        build = tensorflow_build(_read(os.path.join(tf_dir, "python", "platform", "build_info.py")))
        gpu_tf = bool(build["is_cuda_build"] or build["is_rocm_build"]) or \
            (host_os == "macos" and _package_dir("tensorflow_metal") is not None) or build["is_cuda_build"] is None
        out["tensorflow"] = {"run": gpu_tf, "installed": True, "build": build,
                             "reason": "" if gpu_tf else "tensorflow is a CPU-only build (is_cuda_build False)"}
    return out


def _listdir(path):
    try:
        return os.listdir(path)
    except OSError:
        return []


# ---------------------------------------------------------------- child side: one framework per process

def _err(exc):
    return {"kind": "exception", "exception": type(exc).__name__, "message": str(exc).strip()[:2000]}


def _torch():
    import warnings

    out = {"devices": []}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import torch

        out["version"] = torch.__version__
        out["build"] = {"cuda": getattr(torch.version, "cuda", None), "hip": getattr(torch.version, "hip", None)}
        try:
            out["cuda_available"] = bool(torch.cuda.is_available())
            out["device_count"] = torch.cuda.device_count() if out["cuda_available"] else 0
        except Exception as exc:
            out["cuda_available"], out["error"] = False, _err(exc)
        vendor = "amd" if out["build"]["hip"] else "nvidia"
        for i in range(out.get("device_count") or 0):
            try:
                p = torch.cuda.get_device_properties(i)
                out["devices"].append({"index": i, "vendor": vendor, "name": p.name,
                                       "compute_capability": None if vendor == "amd" else "%d.%d" % (p.major, p.minor),
                                       "memory_mib": p.total_memory >> 20,
                                       "multiprocessors": getattr(p, "multi_processor_count", None),
                                       "gcn_arch": getattr(p, "gcnArchName", None) if vendor == "amd" else None})
            except Exception as exc:
                out["devices"].append({"index": i, "error": _err(exc)})
        try:
            out["arch_list"] = torch.cuda.get_arch_list() if out["cuda_available"] else []
        except Exception:
            out["arch_list"] = []
        mps = getattr(torch.backends, "mps", None)
        if mps is not None:
            out["mps"] = {"built": bool(mps.is_built()), "available": bool(mps.is_available())}
            if out["mps"]["available"]:
                out["devices"].append({"index": 0, "vendor": "apple", "name": "Apple MPS (Metal)", "kind": "gpu",
                                       "compute_capability": None, "memory_mib": None, "backend": "mps"})
        xpu = getattr(torch, "xpu", None)
        if xpu is not None:
            try:
                out["xpu"] = {"available": bool(xpu.is_available())}
                for i in range(xpu.device_count() if out["xpu"]["available"] else 0):
                    p = xpu.get_device_properties(i)
                    out["devices"].append({"index": i, "vendor": "intel", "name": p.name, "compute_capability": None,
                                           "memory_mib": getattr(p, "total_memory", 0) >> 20, "backend": "xpu"})
            except Exception as exc:
                out["xpu"] = {"available": False, "error": _err(exc)}
    out["warnings"] = [str(w.message)[:500] for w in caught][:10]
    return out


def _cupy():
    out = {"devices": []}
    import cupy

    out["version"] = cupy.__version__
    rt = cupy.cuda.runtime
    try:
        out["runtime_version"] = rt.runtimeGetVersion()
    except Exception:
        pass
    try:
        count = rt.getDeviceCount()
    except Exception as exc:
        out["error"] = _err(exc)
        return out
    out["device_count"] = count
    for i in range(count):
        p = rt.getDeviceProperties(i)
        name = p.get("name", b"")
        out["devices"].append({"index": i, "vendor": "amd" if getattr(rt, "is_hip", False) else "nvidia",
                               "name": name.decode() if isinstance(name, bytes) else str(name),
                               "compute_capability": "%d.%d" % (p.get("major", 0), p.get("minor", 0)),
                               "memory_mib": p.get("totalGlobalMem", 0) >> 20})
    return out


def _cuda_python():
    out = {"devices": []}
    try:
        from cuda.bindings import runtime as rt
        out["module"] = "cuda.bindings.runtime"
    except ImportError as first:
        try:
            from cuda import cudart as rt  # cuda-python < 12.6
        except ImportError:
            raise first from None  # the new layout's error says what is broken
        out["module"] = "cuda.cudart"
    try:
        from importlib.metadata import version
        out["version"] = version("cuda-python")
    except Exception:
        out["version"] = None
    err, count = rt.cudaGetDeviceCount()
    code = int(err)
    if code != 0:
        _, name = rt.cudaGetErrorName(err)
        _, text = rt.cudaGetErrorString(err)
        out["error"] = {"kind": "cuda-error", "code": code,
                        "name": name.decode() if isinstance(name, bytes) else str(name),
                        "message": text.decode() if isinstance(text, bytes) else str(text)}
        return out
    out["device_count"] = count
    for i in range(count):
        err, p = rt.cudaGetDeviceProperties(i)
        if int(err) != 0:
            continue
        name = p.name
        out["devices"].append({"index": i, "vendor": "nvidia",
                               "name": (name.split(b"\0")[0].decode() if isinstance(name, bytes) else str(name)),
                               "compute_capability": "%d.%d" % (p.major, p.minor), "memory_mib": p.totalGlobalMem >> 20})
    return out


def _jax():
    import jax

    out = {"version": jax.__version__, "devices": []}
    try:
        devices = jax.devices()
    except Exception as exc:
        out["error"] = _err(exc)
        return out
    for i, d in enumerate(devices):
        platform = getattr(d, "platform", "")
        if platform in ("gpu", "cuda", "rocm", "metal"):
            vendor = {"rocm": "amd", "metal": "apple"}.get(platform, "nvidia")
            cc = getattr(d, "compute_capability", None)
            out["devices"].append({"index": getattr(d, "id", i), "vendor": vendor, "name": getattr(d, "device_kind", str(d)),
                                   "compute_capability": str(cc) if cc else None, "memory_mib": None})
    out["platforms"] = sorted({getattr(d, "platform", "") for d in devices})
    return out


def _tensorflow():
    import tensorflow as tf

    out = {"version": tf.__version__, "devices": []}
    try:
        out["build"] = {k: v for k, v in tf.sysconfig.get_build_info().items() if isinstance(v, (str, bool, list))}
    except Exception:
        out["build"] = {}
    gpus = tf.config.list_physical_devices("GPU")
    for i, d in enumerate(gpus):
        details = {}
        try:
            details = tf.config.experimental.get_device_details(d)
        except Exception:
            pass
        cc = details.get("compute_capability")
        out["devices"].append({"index": i, "vendor": "amd" if out["build"].get("is_rocm_build") else "nvidia",
                               "name": details.get("device_name", d.name),
                               "compute_capability": "%d.%d" % tuple(cc) if cc else None, "memory_mib": None})
    return out


CHILD = {"torch": _torch, "cupy": _cupy, "cuda-python": _cuda_python, "jax": _jax, "tensorflow": _tensorflow}


def child_main(name):
    out = {"route": name, "available": False, "error": None}
    fn = CHILD.get(name)
    if fn is None:
        out["error"] = {"kind": "unknown-route", "message": "unknown framework route %r" % name}
        return out
    try:
        result = fn()
    except ImportError as exc:
        out["error"] = {"kind": "import-failed", "exception": type(exc).__name__, "message": str(exc)[:2000]}
        return out
    except Exception as exc:
        out["error"] = _err(exc)
        return out
    out.update(result)
    out["available"] = not out.get("error")
    return out


def query(name, settings=None):
    """Parent side: run one framework route as a child and return (result, record)."""
    from .child import run_route

    timeout = float(getattr(settings, "probe_timeout", 20.0) or 20.0)
    return run_route("frameworks.py", [name], timeout=max(timeout, 30.0))  # framework imports are slow


if __name__ == "__main__":
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
    print("DLREADY-ROUTE " + json.dumps(child_main(sys.argv[1] if len(sys.argv) > 1 else ""), default=str))
