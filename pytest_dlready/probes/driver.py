"""Is an NVIDIA driver there and which version: libcuda, NVML, nvidia-smi, the kernel module.

libcuda and NVML are loaded with ctypes in a child process: a wedged driver can hang
``cuInit``, and a hang there must cost one probe's timeout, not the pytest session.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any, Dict

from . import runner

# Runs in a child process with sys.executable; prints one JSON line.
_CTYPES_PROBE = r"""
import ctypes, json, sys
out = {"libcuda": {}, "nvml": {}}
names = {"linux": ["libcuda.so.1", "libcuda.so"], "darwin": ["/usr/local/cuda/lib/libcuda.dylib", "libcuda.dylib"],
         "win32": ["nvcuda.dll"]}
plat = "linux" if sys.platform.startswith("linux") else sys.platform
def load(cands):
    errors = []
    for n in cands:
        try:
            return n, (ctypes.WinDLL(n) if plat == "win32" else ctypes.CDLL(n)), errors
        except OSError as e:
            errors.append(str(e))
    return None, None, errors
name, lib, errors = load(names.get(plat, ["libcuda.so.1"]))
if lib is None:
    out["libcuda"] = {"found": False, "error": errors[0] if errors else "not found"}
else:
    v = ctypes.c_int(0)
    rc_init = lib.cuInit(0)
    rc = lib.cuDriverGetVersion(ctypes.byref(v))
    count = ctypes.c_int(-1)
    rc_count = lib.cuDeviceGetCount(ctypes.byref(count)) if rc_init == 0 else None
    out["libcuda"] = {"found": True, "name": name, "cuInit": rc_init, "driver_api_version": v.value if rc == 0 else None,
                      "device_count": count.value if rc_count == 0 else None}
nvml_names = {"linux": ["libnvidia-ml.so.1"], "darwin": [], "win32": ["nvml.dll",
              r"C:\Program Files\NVIDIA Corporation\NVSMI\nvml.dll"]}
name, lib, errors = load(nvml_names.get(plat, []))
if lib is None:
    out["nvml"] = {"loaded": False, "error": errors[0] if errors else "NVML is not available on this OS"}
else:
    rc = lib.nvmlInit_v2()
    info = {"loaded": True, "name": name, "init": rc}
    if rc == 0:
        buf = ctypes.create_string_buffer(96)
        if lib.nvmlSystemGetDriverVersion(buf, 96) == 0:
            info["driver_version"] = buf.value.decode()
        n = ctypes.c_uint(0)
        if lib.nvmlDeviceGetCount_v2(ctypes.byref(n)) == 0:
            info["device_count"] = n.value
        lib.nvmlShutdown()
    out["nvml"] = info
print(json.dumps(out))
"""


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


def probe(facts: Dict[str, Any], settings: Any) -> None:
    timeout = getattr(settings, "probe_timeout", 20.0)
    section: Dict[str, Any] = {}
    rec = runner.run([sys.executable, "-c", _CTYPES_PROBE], timeout=timeout)
    try:
        section.update(json.loads(rec.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        section["libcuda"] = {"found": False, "error": "driver probe failed: " + (rec.error or rec.stderr.strip()[-300:])}
        section["nvml"] = {"loaded": False, "error": "driver probe failed"}
    section["ctypes_record"] = dict(rec.to_dict(), argv=rec.argv[:2] + ["<driver ctypes probe>"], stdout="")
    smi = runner.which("nvidia-smi")
    if not smi and sys.platform == "win32":
        candidate = r"C:\Program Files\NVIDIA Corporation\NVSMI\nvidia-smi.exe"
        smi = candidate if os.path.exists(candidate) else None
    section["nvidia_smi"] = {"path": smi, "record": runner.run([smi], timeout=timeout).to_dict() if smi else None}
    if sys.platform.startswith("linux"):
        section["proc_version"] = _read("/proc/driver/nvidia/version").strip()
        modules = _read("/proc/modules")
        section["kernel_modules"] = sorted({line.split()[0] for line in modules.splitlines()
                                            if line.split() and line.split()[0] in ("nvidia", "nvidia_uvm", "nouveau", "nvidia_drm")})
        try:
            section["dev_nodes"] = sorted(n for n in os.listdir("/dev") if n.startswith("nvidia"))
        except OSError:
            section["dev_nodes"] = []
    if sys.platform == "darwin":
        kext = runner.which("kextstat")
        if kext:
            rec = runner.run([kext], timeout=timeout)
            lines = [ln for ln in rec.stdout.splitlines() if "cuda" in ln.lower() or "nvidia" in ln.lower() or "Index" in ln]
            data = rec.to_dict()
            data["stdout"] = "\n".join(lines)  # only what `kextstat | grep -i cuda` would show
            section["kextstat"] = data
    facts["driver"] = section
