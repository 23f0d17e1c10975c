"""NVML route (``nvidia-ml-py``, imported as ``pynvml``): GPU inventory and live state.

NVML is the only source of the *signals* that explain a slow GPU without running
anything: PCIe link generation/width (current vs max), clock throttle reasons, other
compute processes, persistence mode, whether the GPU drives a display, free memory.
It runs in a child Python (``child.run_route``) because NVML calls block on a wedged
driver. Run as a script it prints one ``DLREADY-ROUTE`` JSON line; imported, it offers
``query(settings)`` for the device probe. The link reading here is taken at idle (links
train down when idle); the native CUDA probe samples it again under load.
"""
from __future__ import annotations

import json
import os
import sys

#: NVML clock event ("throttle") reason bits, from nvml.h (nvmlClocksEventReason*)
THROTTLE_BITS = {
    0x1: "gpu_idle",
    0x2: "applications_clocks_setting",
    0x4: "sw_power_cap",
    0x8: "hw_slowdown",
    0x10: "sync_boost",
    0x20: "sw_thermal_slowdown",
    0x40: "hw_thermal_slowdown",
    0x80: "hw_power_brake_slowdown",
    0x100: "display_clock_setting",
}


def decode_throttle(mask):
    """Names of the reason bits set in ``mask`` (unknown bits as hex)."""
    if isinstance(mask, bool) or not isinstance(mask, int) or mask < 0:
        return []
    names = [name for bit, name in sorted(THROTTLE_BITS.items()) if mask & bit]
    rest = mask & ~sum(THROTTLE_BITS)
    if rest:
        names.append(hex(rest))
    return names


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _call(errors, key, fn, *args):
    """One NVML query; NotSupported (consumer GPUs, macOS) is recorded, not fatal."""
    try:
        return fn(*args)
    except Exception as exc:  # pynvml raises NVMLError subclasses; keep the class name
        errors[key] = "%s: %s" % (type(exc).__name__, exc)
        return None


def _processes(errors, key, fn, handle, pynvml, own):
    procs = _call(errors, key, fn, handle) or []
    out = []
    for p in procs:
        pid = getattr(p, "pid", None)
        if pid in own:
            continue
        used = getattr(p, "usedGpuMemory", None)
        name = None
        try:
            name = _text(pynvml.nvmlSystemGetProcessName(pid))
        except Exception:
            pass
        out.append({"pid": pid, "name": name,
                    "used_mib": (used >> 20) if isinstance(used, int) and used >= 0 else None})
    return out


def _device(pynvml, index, own):
    errors = {}
    h = pynvml.nvmlDeviceGetHandleByIndex(index)
    dev = {"index": index, "errors": errors}
    dev["name"] = _text(_call(errors, "name", pynvml.nvmlDeviceGetName, h) or "")
    uuid = _call(errors, "uuid", pynvml.nvmlDeviceGetUUID, h)
    dev["uuid"] = _text(uuid) if uuid else None
    pci = _call(errors, "pci", pynvml.nvmlDeviceGetPciInfo, h)
    dev["pci_bus_id"] = _text(getattr(pci, "busId", "")) if pci is not None else None
    cc = _call(errors, "compute_capability", pynvml.nvmlDeviceGetCudaComputeCapability, h)
    dev["compute_capability"] = "%d.%d" % tuple(cc) if cc else None
    mem = _call(errors, "memory", pynvml.nvmlDeviceGetMemoryInfo, h)
    if mem is not None:
        dev["memory_total_mib"] = mem.total >> 20
        dev["memory_free_mib"] = mem.free >> 20
        dev["memory_used_mib"] = mem.used >> 20
    dev["memory_bus_width_bits"] = _call(errors, "bus_width", pynvml.nvmlDeviceGetMemoryBusWidth, h)
    dev["pcie"] = {
        "gen_current": _call(errors, "pcie_gen", pynvml.nvmlDeviceGetCurrPcieLinkGeneration, h),
        "gen_max": _call(errors, "pcie_gen_max", pynvml.nvmlDeviceGetMaxPcieLinkGeneration, h),
        "width_current": _call(errors, "pcie_width", pynvml.nvmlDeviceGetCurrPcieLinkWidth, h),
        "width_max": _call(errors, "pcie_width_max", pynvml.nvmlDeviceGetMaxPcieLinkWidth, h),
        "under_load": False,
    }
    clocks = {}
    for key, clock in (("sm", "NVML_CLOCK_SM"), ("mem", "NVML_CLOCK_MEM")):
        cid = getattr(pynvml, clock, None)
        if cid is not None:
            clocks[key + "_mhz"] = _call(errors, "clock_" + key, pynvml.nvmlDeviceGetClockInfo, h, cid)
            clocks[key + "_max_mhz"] = _call(errors, "clock_max_" + key, pynvml.nvmlDeviceGetMaxClockInfo, h, cid)
    dev["clocks"] = clocks
    reasons_fn = getattr(pynvml, "nvmlDeviceGetCurrentClocksEventReasons", None) or \
        getattr(pynvml, "nvmlDeviceGetCurrentClocksThrottleReasons", None)
    mask = _call(errors, "throttle", reasons_fn, h) if reasons_fn else None
    dev["throttle"] = {"mask": mask, "active": decode_throttle(mask)}
    pm = _call(errors, "persistence", pynvml.nvmlDeviceGetPersistenceMode, h)
    dev["persistence_mode"] = None if pm is None else bool(pm)
    da = _call(errors, "display_active", pynvml.nvmlDeviceGetDisplayActive, h)
    dev["display_active"] = None if da is None else bool(da)
    dm = _call(errors, "display_mode", pynvml.nvmlDeviceGetDisplayMode, h)
    dev["display_mode"] = None if dm is None else bool(dm)
    compute_fn = getattr(pynvml, "nvmlDeviceGetComputeRunningProcesses", None)
    graphics_fn = getattr(pynvml, "nvmlDeviceGetGraphicsRunningProcesses", None)
    dev["compute_processes"] = _processes(errors, "compute_processes", compute_fn, h, pynvml, own) if compute_fn else []
    dev["graphics_processes"] = _processes(errors, "graphics_processes", graphics_fn, h, pynvml, own) if graphics_fn else []
    pstate = _call(errors, "pstate", pynvml.nvmlDeviceGetPerformanceState, h)
    dev["pstate"] = "P%d" % pstate if isinstance(pstate, int) else None
    util = _call(errors, "utilization", pynvml.nvmlDeviceGetUtilizationRates, h)
    dev["utilization_gpu"] = getattr(util, "gpu", None) if util is not None else None
    dev["temperature_c"] = _call(errors, "temperature", pynvml.nvmlDeviceGetTemperature, h, 0)
    power = _call(errors, "power", pynvml.nvmlDeviceGetPowerUsage, h)
    dev["power_w"] = power / 1000.0 if isinstance(power, int) else None
    return dev


def child_main():
    """Runs in the child Python: query NVML and print one DLREADY-ROUTE line."""
    out = {"route": "nvml", "available": False, "error": None, "devices": []}
    try:
        import pynvml
    except ImportError as exc:
        out["error"] = {"kind": "not-installed", "exception": type(exc).__name__,
                        "message": "pynvml is not installed (pip install nvidia-ml-py)"}
        return out
    out["module_version"] = getattr(pynvml, "__version__", None)
    try:
        pynvml.nvmlInit()
    except Exception as exc:
        out["error"] = {"kind": "init-failed", "exception": type(exc).__name__, "message": str(exc)}
        return out
    try:
        out["available"] = True
        out["driver_version"] = _text(pynvml.nvmlSystemGetDriverVersion())
        try:
            v = pynvml.nvmlSystemGetCudaDriverVersion()
            out["cuda_driver_version"] = "%d.%d" % (v // 1000, (v % 1000) // 10)
        except Exception:
            out["cuda_driver_version"] = None
        own = {os.getpid(), os.getppid()}
        count = pynvml.nvmlDeviceGetCount()
        for i in range(count):
            try:
                out["devices"].append(_device(pynvml, i, own))
            except Exception as exc:
                out["devices"].append({"index": i, "error": "%s: %s" % (type(exc).__name__, exc)})
    except Exception as exc:
        out["error"] = {"kind": "query-failed", "exception": type(exc).__name__, "message": str(exc)}
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:
            pass
    return out


def query(settings=None):
    """Parent side: run this file as a child and return (result, record)."""
    from .child import run_route

    timeout = float(getattr(settings, "probe_timeout", 20.0) or 20.0)
    return run_route("nvml.py", timeout=timeout)


if __name__ == "__main__":
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
    print("DLREADY-ROUTE " + json.dumps(child_main(), default=str))
