"""OpenCL route (``pyopencl``): devices beyond CUDA, a kernel build, and copy bandwidth.

OpenCL reaches AMD, Intel and Apple GPUs and CPU runtimes such as PoCL, which makes it
the one accelerator path that can be exercised end to end on a machine with no GPU.
For each device this route records its properties, builds and runs a small kernel
(an ICD can list a device yet fail to compile for it: PyPI's
``pocl-binary-distribution`` on an unknown CPU gives ``BUILD_PROGRAM_FAILURE``), and
times host->device, device->host (pinned = ``ALLOC_HOST_PTR`` mapped memory, and
pageable = an ordinary numpy array) and device->device copies with OpenCL profiling
events, the same way the CUDA probe uses CUDA events.

It runs in a child Python (ICDs can hang); as a script it prints one
``DLREADY-ROUTE`` JSON line. ``measure_device`` is importable for the benchmark.
"""
from __future__ import annotations

import json
import os
import sys
import time

KERNEL = """
__kernel void scale(__global const float *x, __global float *y, const float a) {
    size_t i = get_global_id(0);
    y[i] = a * x[i] + 1.0f;
}
"""

#: repetitions per tier; 32 MB per copy like bandwidthTest's quick mode
REPS = {"quick": 5, "standard": 30, "full": 100}
SIZE = 32000000


def _vendor(text, name=""):
    low = ("%s %s" % (text, name)).lower()
    for key, vendor in (("nvidia", "nvidia"), ("advanced micro", "amd"), ("amd", "amd"), ("intel", "intel"),
                        ("apple", "apple")):
        if key in low:
            return vendor
    return "opencl"


def _info(dev, cl):
    def get(attr, default=None):
        try:
            return getattr(dev, attr)
        except Exception:
            return default

    dtype = get("type", 0)
    kind = "gpu" if dtype & cl.device_type.GPU else ("cpu" if dtype & cl.device_type.CPU else "accelerator")
    # an OpenCL CPU runtime (PoCL) is a stand-in accelerator, not an "intel GPU": vendor "opencl"
    vendor = _vendor(get("vendor", ""), get("name", "")) if kind == "gpu" else "opencl"
    return {"name": str(get("name", "")).strip(), "vendor_string": str(get("vendor", "")).strip(),
            "vendor": vendor, "kind": kind,
            "type": cl.device_type.to_string(dtype) if dtype else None,
            "version": get("version"), "driver_version": get("driver_version"),
            "opencl_c_version": get("opencl_c_version"),
            "memory_mib": (get("global_mem_size", 0) or 0) >> 20,
            "max_alloc_mib": (get("max_mem_alloc_size", 0) or 0) >> 20,
            "compute_units": get("max_compute_units"), "max_clock_mhz": get("max_clock_frequency"),
            "host_unified_memory": bool(get("host_unified_memory", False))}


def build_kernel(ctx, queue, cl, np):
    """Build and run ``scale``; returns {ok, seconds, error, log} (a real compile, not a listing)."""
    start = time.perf_counter()
    out = {"ok": False, "error": None, "log": ""}
    try:
        prg = cl.Program(ctx, KERNEL).build()
        n = 1 << 16
        x = np.arange(n, dtype=np.float32)
        mf = cl.mem_flags
        xb = cl.Buffer(ctx, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=x)
        yb = cl.Buffer(ctx, mf.WRITE_ONLY, x.nbytes)
        prg.scale(queue, (n,), None, xb, yb, np.float32(2.0))
        y = np.empty_like(x)
        cl.enqueue_copy(queue, y, yb).wait()
        out["ok"] = bool(np.allclose(y, 2.0 * x + 1.0))
        if not out["ok"]:
            out["error"] = "the kernel ran but returned wrong results"
    except Exception as exc:
        out["error"] = "%s: %s" % (type(exc).__name__, str(exc).strip()[:1500])
        logs = []
        for attr in ("build_log",):
            for item in getattr(exc, attr, None) or []:
                logs.append(str(item[-1])[:1500] if isinstance(item, tuple) else str(item)[:1500])
        out["log"] = "\n".join(logs)
    out["seconds"] = round(time.perf_counter() - start, 4)
    return out


def _timed(queue, cl, enqueue, reps, nbytes):
    """Time ``reps`` enqueued copies between the first start and last end profiling stamps."""
    enqueue().wait()  # warm-up: first touch of pages, lazy allocation
    events = [enqueue() for _ in range(reps)]
    queue.finish()
    ns = events[-1].profile.end - events[0].profile.start
    seconds = ns / 1e9
    return seconds, (nbytes * reps / seconds / 1e9) if seconds > 0 else 0.0


def measure_device(dev, size=SIZE, reps=10):
    """Bandwidth rows for one device (h2d/d2h pinned and pageable, d2d) timed by profiling events."""
    import numpy as np
    import pyopencl as cl

    ctx = cl.Context([dev])
    queue = cl.CommandQueue(ctx, properties=cl.command_queue_properties.PROFILING_ENABLE)
    mf = cl.mem_flags
    rows = []
    size = min(size, max(1 << 20, (getattr(dev, "max_mem_alloc_size", size) or size) // 2))
    d_a = cl.Buffer(ctx, mf.READ_WRITE, size)
    d_b = cl.Buffer(ctx, mf.READ_WRITE, size)
    pinned_buf = cl.Buffer(ctx, mf.READ_WRITE | mf.ALLOC_HOST_PTR, size)
    pinned, _ = cl.enqueue_map_buffer(queue, pinned_buf, cl.map_flags.READ | cl.map_flags.WRITE, 0, (size,), np.uint8)
    pinned[:] = 1
    pageable = np.ones(size, dtype=np.uint8)
    plans = (("h2d", "pinned", lambda: cl.enqueue_copy(queue, d_a, pinned, is_blocking=False), size),
             ("d2h", "pinned", lambda: cl.enqueue_copy(queue, pinned, d_a, is_blocking=False), size),
             ("h2d", "pageable", lambda: cl.enqueue_copy(queue, d_a, pageable, is_blocking=False), size),
             ("d2h", "pageable", lambda: cl.enqueue_copy(queue, pageable, d_a, is_blocking=False), size),
             # read + write, as bandwidthTest and the CUDA probe count device-to-device
             ("d2d", "device", lambda: cl.enqueue_copy(queue, d_b, d_a), 2 * size))
    for direction, memory, enqueue, nbytes in plans:
        row = {"direction": direction, "memory": memory, "size_bytes": size, "reps": reps, "timer": "opencl-events"}
        try:
            seconds, gbps = _timed(queue, cl, enqueue, reps, nbytes)
            row.update(seconds=round(seconds, 6), gbps=round(gbps, 3))
        except Exception as exc:
            row["error"] = "%s: %s" % (type(exc).__name__, str(exc)[:500])
        rows.append(row)
    del pinned
    return rows


def child_main(argv):
    out = {"route": "opencl", "available": False, "error": None, "platforms": [], "devices": []}
    reps = 10
    bandwidth = "--no-bandwidth" not in argv
    for arg in argv:
        if arg.startswith("--reps="):
            reps = max(1, min(1000, int(arg[7:])))
    try:
        import numpy as np
        import pyopencl as cl
    except ImportError as exc:
        out["error"] = {"kind": "not-installed", "exception": type(exc).__name__,
                        "message": "pyopencl is not installed (pip install pyopencl): %s" % exc}
        return out
    out["module_version"] = getattr(cl, "VERSION_TEXT", None)
    try:
        platforms = cl.get_platforms()
    except Exception as exc:  # e.g. PLATFORM_NOT_FOUND_KHR: no ICD installed
        out["error"] = {"kind": "no-platform", "exception": type(exc).__name__, "message": str(exc).strip()}
        return out
    index = 0
    for p_index, platform in enumerate(platforms):
        pinfo = {"index": p_index, "name": platform.name.strip(), "vendor": platform.vendor.strip(),
                 "version": platform.version.strip()}
        out["platforms"].append(pinfo)
        try:
            devices = platform.get_devices()
        except Exception as exc:
            pinfo["error"] = "%s: %s" % (type(exc).__name__, exc)
            continue
        for dev in devices:
            info = _info(dev, cl)
            info.update(index=index, platform=pinfo["name"], platform_index=p_index)
            index += 1
            try:
                ctx = cl.Context([dev])
                queue = cl.CommandQueue(ctx)
                info["kernel_build"] = build_kernel(ctx, queue, cl, np)
            except Exception as exc:
                info["kernel_build"] = {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc), "log": ""}
            if bandwidth:
                try:
                    # a CPU device copies within RAM: 8 MB per copy measures it as well as 32 MB, 4x cheaper
                    size = SIZE if info["kind"] == "gpu" else SIZE // 4
                    info["bandwidth"] = measure_device(dev, size=size, reps=reps)
                except Exception as exc:
                    info["bandwidth"] = []
                    info["bandwidth_error"] = "%s: %s" % (type(exc).__name__, str(exc)[:500])
            out["devices"].append(info)
    out["available"] = bool(out["devices"])
    if not out["devices"]:
        out["error"] = {"kind": "no-device", "message": "OpenCL platforms found but no devices"}
    return out


def query(settings=None):
    """Parent side: run this file as a child; (result, record)."""
    from .child import run_route

    tier = getattr(settings, "tier", "quick")
    timeout = float(getattr(settings, "probe_timeout", 20.0) or 20.0)
    return run_route("opencl.py", ["--reps=%d" % REPS.get(tier, REPS["quick"])], timeout=max(timeout, 30.0))


if __name__ == "__main__":
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
    print("DLREADY-ROUTE " + json.dumps(child_main(sys.argv[1:]), default=str))
