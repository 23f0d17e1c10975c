"""The device probe: every route to the GPU, run side by side, merged into one inventory.

A GPU can be visible to the driver (NVML) yet not to the CUDA runtime (error 35), to
the runtime yet not to the framework (CPU-only wheel), or not at all. So the probe
asks every route that is installed — the native CUDA probe, NVML, NVIDIA's samples,
torch/CuPy/cuda-python/JAX/TensorFlow, OpenCL — in parallel (each in a subprocess with
a timeout), then ``assemble`` (pure, so recorded snapshots replay it) merges them.

``facts["devices"]``:
  ``gpus[]``: real GPUs only: ``index, vendor (nvidia|amd|intel|apple|opencl), name,
  compute_capability ("8.6", CUDA only), memory_mib, source, sources[], kind "gpu",
  pci_bus_id, bandwidth[{direction h2d|d2h|d2d, memory pinned|pageable|device, gbps,
  size_bytes, source}], theoretical{pcie_gbps, pcie_link, memory_gbps}, signals{pcie{gen_current,
  gen_max, width_current, width_max, under_load, source}, compute_processes[], graphics_processes[],
  throttle{active[], mask}, persistence_mode, display{active, kernel_run_time_limit}, memory{total_mib,
  free_mib}, clocks{}, pstate}``. ``signals`` is what the speedup verdict cites.
  ``accelerators[]``: every OpenCL device (``kind`` cpu|gpu|accelerator). An OpenCL *CPU*
  device (PoCL) is a stand-in accelerator: it exercises the whole device path but does
  not satisfy the ``gpu`` marker; OpenCL GPU devices not already listed join ``gpus``.
  ``routes``: per route ``{ran, available, devices, error, skipped}``; raw results in
  ``nvml``, ``opencl``, ``frameworks``, ``samples``; ``timings_s`` per route.
"""
from __future__ import annotations

import importlib.util
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Mapping, Optional

from ..facts import lookup, host_os

#: per-lane GB/s per direction after line coding: Gen1/2 8b/10b, Gen3+ 128b/130b (PCI-SIG rates)
PCIE_LANE_GBPS = {1: 0.25, 2: 0.5, 3: 0.985, 4: 1.969, 5: 3.938, 6: 7.563}


def pcie_gbps(gen: Any, width: Any) -> Optional[float]:
    """Theoretical one-direction PCIe bandwidth of a link (None when unknown)."""
    if isinstance(gen, bool) or isinstance(width, bool) or not isinstance(gen, int) or not isinstance(width, int):
        return None
    if gen not in PCIE_LANE_GBPS or width <= 0 or width > 64:
        return None
    return round(PCIE_LANE_GBPS[gen] * width, 2)


def memory_gbps(memory_clock_mhz: Any, bus_width_bits: Any) -> Optional[float]:
    """Theoretical DRAM bandwidth: 2 transfers/clock x clock x bus bytes (NVIDIA's formula)."""
    try:
        clock, bus = float(memory_clock_mhz), float(bus_width_bits)
    except (TypeError, ValueError):
        return None
    if not (0 < clock < 100000 and 0 < bus <= 16384):
        return None
    return round(2.0 * clock * 1e6 * (bus / 8) / 1e9, 1)


def _items(value: Any) -> List[Any]:
    """A route's list field, or [] when a damaged or foreign route recorded something else."""
    return value if isinstance(value, list) else []


def _bus_key(value: Any) -> Optional[str]:
    """``00000000:01:00.0`` and ``0000:01:00.0`` name the same GPU: compare bus:device.function."""
    m = re.search(r"([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\.([0-7])\s*$", str(value or ""))
    return f"{int(m.group(1), 16):02x}:{int(m.group(2), 16):02x}.{m.group(3)}" if m else None


def _num(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class _Inventory:
    """Merges device records from routes; the first route to list a GPU names it."""

    def __init__(self) -> None:
        self.gpus: List[Dict[str, Any]] = []

    def find(self, vendor: str, index: Any = None, name: Any = None, bus: Any = None) -> Optional[Dict[str, Any]]:
        key = _bus_key(bus)
        if key:
            for g in self.gpus:
                if g.get("_bus") == key:
                    return g
        for g in self.gpus:
            if g["vendor"] != vendor:
                continue
            same_name = name and g.get("name") and str(name).strip() == str(g["name"]).strip()
            if index is not None and g.get("index") == index and (same_name or not name or not g.get("name")):
                return g
        return None

    def add(self, source: str, vendor: str, index: Any, name: Any, bus: Any = None, **fields: Any) -> Dict[str, Any]:
        g = self.find(vendor, index, name, bus)
        if g is None:
            g = {"index": index if isinstance(index, int) else len(self.gpus), "vendor": vendor,
                 "name": str(name or "").strip() or "unnamed GPU", "compute_capability": None, "memory_mib": None,
                 "source": source, "sources": [], "kind": "gpu", "pci_bus_id": bus, "bandwidth": [],
                 "signals": {}, "theoretical": {}, "_bus": _bus_key(bus)}
            self.gpus.append(g)
        if source not in g["sources"]:
            g["sources"].append(source)
        if bus and not g.get("_bus"):
            g["pci_bus_id"], g["_bus"] = bus, _bus_key(bus)
        for key, value in fields.items():
            if value is not None and g.get(key) in (None, "", [], {}):
                g[key] = value
        return g


def _add_bandwidth(g: Dict[str, Any], rows: Any, source: str) -> None:
    for row in rows or []:
        if not isinstance(row, Mapping):
            continue
        direction = str(row.get("direction", "")).lower()
        memory = str(row.get("memory", "")).lower()
        if direction == "d2d":
            memory = "device"  # bandwidthTest labels D2D "PINNED"; no host memory is involved
        if any(b["direction"] == direction and b["memory"] == memory for b in g["bandwidth"]):
            continue  # the first (most direct) route's figure stands
        if row.get("error"):  # a copy that failed is kept with its error: the checks show it, never drop it
            g["bandwidth"].append({"direction": direction, "memory": memory, "gbps": None, "error": row.get("error"),
                                   "size_bytes": row.get("size_bytes"), "source": source})
            continue
        if _num(row.get("gbps")) is None:
            continue
        g["bandwidth"].append({"direction": direction, "memory": memory, "gbps": round(float(row["gbps"]), 3),
                               "size_bytes": row.get("size_bytes"), "source": source})


def _merge_nvml(inv: _Inventory, nvml: Mapping[str, Any]) -> None:
    for d in _items(nvml.get("devices")):
        if not isinstance(d, Mapping) or d.get("error"):
            continue
        g = inv.add("nvml", "nvidia", d.get("index"), d.get("name"), d.get("pci_bus_id"),
                    compute_capability=d.get("compute_capability"), memory_mib=d.get("memory_total_mib"),
                    uuid=d.get("uuid"))
        pcie = dict(d.get("pcie") or {}, source="nvml")
        g["signals"].update(
            pcie=pcie, compute_processes=list(d.get("compute_processes") or []),
            graphics_processes=list(d.get("graphics_processes") or []),
            throttle=d.get("throttle") or {}, persistence_mode=d.get("persistence_mode"),
            memory={"total_mib": d.get("memory_total_mib"), "free_mib": d.get("memory_free_mib")},
            clocks=d.get("clocks") or {}, pstate=d.get("pstate"), utilization_gpu=d.get("utilization_gpu"))
        g["signals"].setdefault("display", {})["active"] = d.get("display_active")
        g["theoretical"]["pcie_gbps"] = pcie_gbps(pcie.get("gen_max"), pcie.get("width_max"))
        if pcie.get("gen_max") and pcie.get("width_max"):
            g["theoretical"]["pcie_link"] = f"Gen{pcie['gen_max']} x{pcie['width_max']}"


def _merge_nvidia_smi(inv: _Inventory, parsed: Mapping[str, Any]) -> None:
    """nvidia-smi's text (parsed by ``parsers.nvidia_smi``): the NVML view when pynvml is absent."""
    procs = [p for p in _items(parsed.get("processes")) if isinstance(p, Mapping)]
    for d in _items(parsed.get("gpus")):
        if not isinstance(d, Mapping):
            continue
        g = inv.add("nvidia-smi", "nvidia", d.get("index"), d.get("name"), d.get("bus_id"),
                    compute_capability=d.get("compute_cap"), memory_mib=d.get("memory_total_mib"))
        sig = g["signals"]
        if "pcie" not in sig and isinstance(d.get("pcie"), Mapping):
            sig["pcie"] = dict(d["pcie"], under_load=False, source="nvidia-smi")
            pcie = sig["pcie"]
            if not g["theoretical"].get("pcie_gbps"):
                g["theoretical"]["pcie_gbps"] = pcie_gbps(pcie.get("gen_max"), pcie.get("width_max"))
                if pcie.get("gen_max") and pcie.get("width_max"):
                    g["theoretical"]["pcie_link"] = f"Gen{pcie['gen_max']} x{pcie['width_max']}"
        mine = [p for p in procs if p.get("gpu") == d.get("index")]
        if "compute_processes" not in sig:
            # type C / M: compute; G: graphics (the desktop); C+G both
            sig["compute_processes"] = [{"pid": p.get("pid"), "name": p.get("name"), "used_mib": p.get("memory_mib")}
                                        for p in mine if "C" in str(p.get("type", "")) or "M" in str(p.get("type", ""))]
            sig["graphics_processes"] = [{"pid": p.get("pid"), "name": p.get("name"), "used_mib": p.get("memory_mib")}
                                         for p in mine if "G" in str(p.get("type", ""))]
        if "throttle" not in sig and isinstance(d.get("throttle_reasons"), list):
            names = [re.sub(r"[^a-z0-9]+", "_", str(r).lower()).strip("_") for r in d["throttle_reasons"]]
            sig["throttle"] = {"mask": "nvidia-smi", "active": ["gpu_idle" if n == "idle" else n for n in names]}
        for key in ("persistence_mode", "pstate"):
            sig.setdefault(key, d.get(key))
        display = sig.setdefault("display", {})
        if display.get("active") is None:
            display["active"] = d.get("display_active")
        total, used = d.get("memory_total_mib"), d.get("memory_used_mib")
        if "memory" not in sig and isinstance(total, int) and isinstance(used, int):
            sig["memory"] = {"total_mib": total, "free_mib": total - used}


def _merge_cuda_probe(inv: _Inventory, probe: Mapping[str, Any]) -> None:
    by_index = {}
    for d in _items(probe.get("devices")):
        if not isinstance(d, Mapping) or d.get("error") or not isinstance(d.get("index"), int):
            continue
        g = inv.add("cuda_probe", "nvidia", d["index"], d.get("name"), d.get("pci_bus_id"),
                    compute_capability=d.get("compute_capability"), memory_mib=d.get("memory_mib"),
                    multiprocessors=d.get("multiprocessors"), integrated=d.get("integrated"))
        g["index"] = d["index"]  # the CUDA runtime's numbering is what frameworks use
        display = g["signals"].setdefault("display", {})
        display["kernel_run_time_limit"] = d.get("kernel_run_time_limit")
        mem = g["signals"].setdefault("memory", {})
        mem.setdefault("total_mib", d.get("memory_mib"))
        if mem.get("free_mib") is None:
            mem["free_mib"] = d.get("free_mib")
        g["theoretical"].setdefault("memory_gbps", memory_gbps(d.get("memory_clock_mhz"), d.get("memory_bus_width_bits")))
        by_index[d["index"]] = g
    for row in _items(probe.get("bandwidth")):
        if isinstance(row, Mapping) and row.get("device") in by_index:
            _add_bandwidth(by_index[row["device"]], [row], "cuda_probe")
    for link in _items(probe.get("links")):
        if isinstance(link, Mapping) and link.get("device") in by_index:
            g = by_index[link["device"]]
            pcie = g["signals"].setdefault("pcie", {})
            pcie["under_load"] = {"gen": link.get("gen"), "width": link.get("width"), "source": "cuda_probe+nvml"}
            if not g["theoretical"].get("pcie_gbps"):
                g["theoretical"]["pcie_gbps"] = pcie_gbps(link.get("max_gen"), link.get("max_width"))


def _merge_samples(inv: _Inventory, samples: Mapping[str, Any]) -> None:
    dq = lookup(samples, "deviceQuery.parsed", {}) or {}
    for d in _items(dq.get("devices")):
        if not isinstance(d, Mapping):
            continue
        pci = d.get("pci") if isinstance(d.get("pci"), Mapping) else {}
        bus = None
        if isinstance(pci.get("bus"), int) and isinstance(pci.get("device"), int):
            bus = f"{pci.get('domain') or 0:04x}:{pci['bus']:02x}:{pci['device']:02x}.0"
        g = inv.add("deviceQuery", "nvidia", d.get("index"), d.get("name"), bus,
                    compute_capability=d.get("compute_capability"), memory_mib=d.get("memory_mib"),
                    multiprocessors=d.get("multiprocessors"), cuda_cores=d.get("cuda_cores"))
        display = g["signals"].setdefault("display", {})
        if display.get("kernel_run_time_limit") is None:
            display["kernel_run_time_limit"] = d.get("kernel_run_time_limit")
        g["theoretical"].setdefault("memory_gbps", memory_gbps(d.get("memory_clock_mhz"), d.get("memory_bus_width_bits")))
        if not g["theoretical"].get("memory_gbps"):
            g["theoretical"]["memory_gbps"] = memory_gbps(d.get("memory_clock_mhz"), d.get("memory_bus_width_bits"))
    for memory, run in sorted((lookup(samples, "bandwidthTest.runs", {}) or {}).items()):
        parsed = run.get("parsed") if isinstance(run, Mapping) else None
        if not isinstance(parsed, Mapping):
            continue
        names = [d.get("name") for d in _items(parsed.get("devices")) if isinstance(d, Mapping)]
        target = inv.find("nvidia", 0, names[0] if names else None) or (inv.gpus[0] if inv.gpus else None)
        if target is None and names:
            target = inv.add("bandwidthTest", "nvidia", 0, names[0])
        if target is not None:
            _add_bandwidth(target, parsed.get("measurements"), "bandwidthTest")
            if "bandwidthTest" not in target["sources"]:
                target["sources"].append("bandwidthTest")


def _merge_frameworks(inv: _Inventory, frameworks: Mapping[str, Any]) -> None:
    for name in ("torch", "cupy", "cuda-python", "jax", "tensorflow"):
        result = frameworks.get(name) or {}
        for d in _items(result.get("devices")):
            if isinstance(d, Mapping) and not d.get("error") and d.get("vendor"):
                inv.add(name, str(d["vendor"]), d.get("index"), d.get("name"), None,
                        compute_capability=d.get("compute_capability"), memory_mib=d.get("memory_mib"),
                        backend=d.get("backend"))


def _merge_opencl(inv: _Inventory, opencl: Mapping[str, Any]) -> List[Dict[str, Any]]:
    accelerators = []
    for d in _items(opencl.get("devices")):
        if not isinstance(d, Mapping):
            continue
        acc = {k: d.get(k) for k in ("index", "vendor", "vendor_string", "name", "kind", "memory_mib", "compute_units",
                                      "platform", "version", "driver_version", "kernel_build")}
        acc["source"] = "opencl"
        acc["bandwidth"] = []
        _add_bandwidth(acc, d.get("bandwidth"), "opencl")
        accelerators.append(acc)
        if d.get("kind") == "gpu":
            vendor = str(d.get("vendor") or "opencl")
            names = {str(g.get("name", "")).lower() for g in inv.gpus}
            if str(d.get("name", "")).lower() not in names and not (vendor == "nvidia" and inv.gpus):
                g = inv.add("opencl", vendor, sum(1 for x in inv.gpus if x["vendor"] == vendor), d.get("name"),
                            memory_mib=d.get("memory_mib"))
                _add_bandwidth(g, d.get("bandwidth"), "opencl")
    return accelerators


def _flatten_signals(g: Dict[str, Any]) -> None:
    """Top-level copies of the signals under the names the speedup verdict reads."""
    sig = g.get("signals") or {}
    display = sig.get("display") or {}
    g["kernel_run_time_limit"] = display.get("kernel_run_time_limit")
    g["display_active"] = display.get("active")
    g["compute_processes"] = list(sig.get("compute_processes") or [])
    g["throttle_reasons"] = list((sig.get("throttle") or {}).get("active") or [])
    pcie = sig.get("pcie") or {}
    loaded = pcie.get("under_load") if isinstance(pcie.get("under_load"), Mapping) else None
    if pcie:
        g["pcie"] = {"gen": (loaded or {}).get("gen", pcie.get("gen_current")),
                     "width": (loaded or {}).get("width", pcie.get("width_current")),
                     "max_gen": pcie.get("gen_max"), "max_width": pcie.get("width_max"),
                     "under_load": loaded is not None}


def assemble(facts: Mapping[str, Any], routes: Mapping[str, Any]) -> Dict[str, Any]:
    """Merge route results into ``facts["devices"]`` (pure; replayable from recorded routes)."""
    inv = _Inventory()
    nvml = routes.get("nvml") or {}
    samples = routes.get("samples") or {}
    frameworks = routes.get("frameworks") or {}
    opencl = routes.get("opencl") or {}
    _merge_nvml(inv, nvml)
    if isinstance(routes.get("nvidia_smi"), Mapping):
        _merge_nvidia_smi(inv, routes["nvidia_smi"])
    _merge_cuda_probe(inv, facts.get("cuda_probe") or {})
    _merge_samples(inv, samples)
    _merge_frameworks(inv, frameworks)
    accelerators = _merge_opencl(inv, opencl)
    gpus = sorted(inv.gpus, key=lambda g: (("nvidia", "amd", "intel", "apple", "opencl").index(g["vendor"])
                                           if g["vendor"] in ("nvidia", "amd", "intel", "apple", "opencl") else 9,
                                           g["index"] if isinstance(g["index"], int) else 99))
    for g in gpus:
        g.pop("_bus", None)
        _flatten_signals(g)
    devices = {"gpus": gpus, "accelerators": accelerators, "nvml": nvml, "nvidia_smi": routes.get("nvidia_smi"),
               "opencl": opencl, "frameworks": frameworks, "samples": samples, "routes": dict(routes.get("status") or {})}
    return devices


def _timed(fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    try:
        value = fn()
    except Exception as exc:  # a broken route is recorded; the others still count
        value = {"available": False, "error": {"kind": "probe-crashed", "exception": type(exc).__name__,
                                               "message": str(exc)}}
    return value, round(time.perf_counter() - start, 3)


def opencl_icds(folders: Any = None) -> List[str]:
    """The OpenCL drivers (ICD files) installed, by file name: "pocl.icd", "nvidia.icd" (Linux/BSD)."""
    out: List[str] = []
    for folder in folders or (os.environ.get("OCL_ICD_VENDORS") or "/etc/OpenCL/vendors",):
        try:
            out += sorted(n for n in os.listdir(folder) if n.endswith(".icd"))
        except OSError:
            continue
    return out


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def probe(facts: Dict[str, Any], settings: Any) -> None:
    """Fill ``facts["cuda_probe"]`` and ``facts["devices"]``; every route in parallel."""
    from . import cuda_native, frameworks, nvml, opencl, samples

    plan = frameworks.plan(host_os(facts))
    jobs: Dict[str, Callable[[], Any]] = {
        "cuda_probe": lambda: cuda_native.probe_native(facts, settings),
        "samples": lambda: samples.probe_samples(facts, settings, os.path.join(cuda_native.cache_dir(), "samples")),
    }
    status: Dict[str, Dict[str, Any]] = {}
    if _installed("pynvml"):
        jobs["nvml"] = lambda: nvml.query(settings)[0]
    else:
        status["nvml"] = {"ran": False, "skipped": "pynvml is not installed (pip install nvidia-ml-py)"}
    if _installed("pyopencl"):
        jobs["opencl"] = lambda: opencl.query(settings)[0]
    else:
        status["opencl"] = {"ran": False, "skipped": "pyopencl is not installed"}
    status.setdefault("opencl", {})["icds"] = opencl_icds()
    for name, step in plan.items():
        if step.get("run"):
            jobs[name] = (lambda n=name: frameworks.query(n, settings)[0])
        else:
            status[name] = {"ran": False, "skipped": step.get("reason", "")}
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(_timed, fn) for name, fn in jobs.items()}
        results = {name: future.result() for name, future in futures.items()}
    timings = {name: seconds for name, (_, seconds) in results.items()}
    facts["cuda_probe"] = results["cuda_probe"][0]
    sample_section = results["samples"][0]
    ran_samples = bool(sample_section.get("deviceQuery") or sample_section.get("bandwidthTest"))
    status["samples"] = {"ran": ran_samples, "skipped": "" if ran_samples else
                         "deviceQuery/bandwidthTest not found (PATH, toolkit, samples folders)"}
    fw_results = {name: results[name][0] for name in plan if name in results}
    for name in list(fw_results) + [n for n in ("nvml", "opencl") if n in results]:
        data = results[name][0]
        status[name] = dict(status.get(name) or {}, ran=True, available=bool(data.get("available")),
                            devices=len(data.get("devices") or []), error=data.get("error"))
    smi_text = lookup(facts, "driver.nvidia_smi.record.stdout")
    routes_smi = samples._parse("nvidia_smi", smi_text) if smi_text else None
    routes = {"nvidia_smi": routes_smi, "nvml": results.get("nvml", (None,))[0] or {},
              "opencl": results.get("opencl", (None,))[0] or {},
              "samples": sample_section, "frameworks": fw_results, "status": status}
    devices = assemble(facts, routes)
    devices["plan"] = plan
    devices["timings_s"] = timings
    facts["devices"] = devices
