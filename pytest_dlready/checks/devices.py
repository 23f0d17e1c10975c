"""Device checks: is there a GPU, can the CUDA runtime and each framework reach it, and why not.

Pure functions over the facts snapshot (``devices``, ``cuda_probe``, ``driver``,
``cuda``), so a snapshot recorded on a 2014 MacBook is judged here exactly as it was
there. Every route's failure maps to one sentence naming the cause: NVML's
``NVMLError_LibraryNotFound``, the runtime's error 35 ("CUDA driver version is
insufficient for CUDA runtime version"), CuPy's ``CUDARuntimeError``, a CPU-only wheel,
a broken install. A missing GPU is a SKIP carrying ``needs_gpu`` (a FAIL under
``--dlready-require-gpu``); a GPU the driver lists but a route cannot use is a FAIL.
"""
from __future__ import annotations

import re
from typing import Any, List, Mapping, Optional, Tuple

from ..facts import lookup, host_os
from ..catalogue import alias, canonical, define, fix_for
from ..results import Finding, fail, passed, skip, warn
from . import compat

NO_GPU = define("DLR-DEV-NO-GPU", "no GPU found by any route",
                "install the GPU's driver and a GPU build of your framework; the summary says which part is missing")
FEW_GPUS = define("DLR-DEV-TOO-FEW", "fewer GPUs than required", "check CUDA_VISIBLE_DEVICES and that every GPU is seated and powered")
RUNTIME_DRIVER = alias("DLR-DEV-CUDA-ERROR35", "DLR-DRIVER-TOO-OLD", "CUDA driver version is insufficient for CUDA runtime version (error 35)",
                        "install (or update to) an NVIDIA driver at least as new as the CUDA toolkit needs")
RUNTIME_ERROR = define("DLR-DEV-CUDA-RUNTIME", "the CUDA runtime cannot use the GPU",
                       "read the quoted CUDA error; reboot after driver updates; check /dev/nvidia* permissions")
PROBE_BROKEN = define("DLR-DEV-PROBE-FAILED", "the native CUDA probe could not be built or run",
                      "read the build log named in the finding; nvcc needs a supported host compiler")
PROBE_HUNG = define("DLR-DEV-PROBE-HUNG", "a device query hung", "the driver is wedged: check dmesg for Xid errors, then reboot")
ROUTE_BLIND = define("DLR-DEV-ROUTE-BLIND", "a framework cannot see the GPU the driver lists",
                     "install the framework's GPU build for this driver's CUDA version")
ROUTE_CPU_ONLY = define("DLR-DEV-CPU-ONLY-BUILD", "a CPU-only framework build on a machine with a GPU",
                        "install the CUDA build of the framework (e.g. pip install torch --index-url https://download.pytorch.org/whl/cu126)")
ROUTE_BROKEN = define("DLR-DEV-ROUTE-BROKEN", "a GPU package is installed but broken",
                      "reinstall it (pip install --force-reinstall PACKAGE) in this environment")
SAMPLE_FAIL = define("DLR-DEV-SAMPLE-FAIL", "NVIDIA's deviceQuery/bandwidthTest failed",
                     "read the quoted error; rebuild the samples with the toolkit that matches the driver")
SAMPLE_BUILD = define("DLR-DEV-SAMPLE-BUILD", "building deviceQuery/bandwidthTest failed",
                      "read the build log; the samples need make (or CMake) and the toolkit's nvcc")
CC_OLD = define("DLR-DEV-CC-OLD", "GPU architecture older than prebuilt frameworks support",
                "use a framework build for this architecture (old releases or a source build) or a newer GPU")
CC_NOT_IN_WHEEL = define("DLR-DEV-CC-NOT-IN-WHEEL", "the installed torch was not built for this GPU's architecture",
                         "install a torch build whose torch.cuda.get_arch_list() includes this GPU's sm_XY")
OCL_NONE = define("DLR-OCL-NONE", "no OpenCL device", "install an OpenCL driver: the GPU vendor's, or PoCL for the CPU (apt-get install pocl-opencl-icd)")
OCL_BUILD = define("DLR-OCL-KERNEL-BUILD", "OpenCL lists a device but cannot build kernels for it",
                   "use the distribution's PoCL (apt-get install pocl-opencl-icd) or the vendor ICD; pocl-binary-distribution "
                   "fails on CPUs its LLVM does not know (set POCL_CPU_TARGET)")

#: error text -> (kind, meaning). Order matters: the first match wins.
ERROR_PATTERNS: Tuple[Tuple[str, str, str], ...] = (
    (r"insufficient ?driver|driver version is insufficient|CUDA_ERROR_INSUFFICIENT_DRIVER|error 35\b", "insufficient-driver",
     "CUDA driver version is insufficient for CUDA runtime version (error 35)"),
    (r"NVMLError_LibraryNotFound|NVML Shared Library Not Found|libnvidia-ml\.so[.0-9]*: cannot open", "no-driver",
     "the NVML library is not installed (no NVIDIA driver)"),
    (r"libcuda\.so[.0-9]*: cannot open|nvcuda\.dll|Found no NVIDIA driver|no NVIDIA driver|CUDA_ERROR_NO_DRIVER|"
     r"Unable to load CUDA|could not find cuda drivers", "no-driver", "the NVIDIA driver library libcuda is not installed"),
    (r"NVMLError_DriverNotLoaded|Driver Not Loaded|NVIDIA kernel module", "driver-not-loaded",
     "the NVIDIA kernel driver is not loaded"),
    (r"version mismatch|LibRmVersionMismatch|RM Version Mismatch", "version-mismatch",
     "the driver's kernel module and user libraries have different versions (reboot after a driver update)"),
    (r"NoPermission|Insufficient Permissions|permission denied", "permission", "no permission to open the GPU device"),
    (r"cudaErrorNoDevice|no CUDA-capable device|CUDA_ERROR_NO_DEVICE|There are no available device", "no-device",
     "no CUDA-capable device is detected"),
    (r"PLATFORM_NOT_FOUND|no OpenCL platform|clGetPlatformIDs", "no-platform", "no OpenCL platform (ICD) is installed"),
    (r"BUILD_PROGRAM_FAILURE|unknown target CPU", "kernel-build", "the OpenCL compiler cannot build kernels for this device"),
    (r"timed out", "timeout", "the query hung and was stopped"),
    (r"is not installed|No module named '(torch|cupy|jax|tensorflow|pynvml|pyopencl|cuda)'$", "not-installed",
     "the package is not installed"),
    (r"No module named|cannot import name|ImportError|undefined symbol|DLL load failed", "broken-install",
     "the package is installed but cannot be imported"),
)


def classify_error(text: Any) -> Tuple[str, str]:
    """(kind, one-sentence meaning) of any route's error text; never raises."""
    if isinstance(text, Mapping):
        text = " ".join(str(text.get(k, "")) for k in ("exception", "name", "message", "kind"))
    text = str(text or "")
    for pattern, kind, meaning in ERROR_PATTERNS:
        if re.search(pattern, text, re.I):
            return kind, meaning
    return "unknown", (text.strip().splitlines() or ["unknown error"])[0][:300]


def _route_error(result: Mapping[str, Any]) -> str:
    err = result.get("error") if isinstance(result.get("error"), Mapping) else {}
    if err.get("code") is not None and err.get("name"):
        return f"error {err['code']} {err['name']}"
    return str(err.get("exception") or "")


def _m(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a mapping, else an empty one (a mutated or hand-edited snapshot)."""
    return value if isinstance(value, Mapping) else {}


def _or_list(items: List[str]) -> str:
    return ", ".join(items[:-1]) + " or " + items[-1] if len(items) > 1 else (items[0] if items else "")


def no_gpu_summary(facts: Mapping[str, Any]) -> str:
    """One sentence: why the snapshot has no GPU; empty when it has one, or records no device probe."""
    devices = lookup(facts, "devices")
    if not isinstance(devices, Mapping):
        return ""
    if devices.get("gpus"):
        return ""
    parts = []
    libcuda, nvml = _m(lookup(facts, "driver.libcuda")), _m(lookup(facts, "driver.nvml"))
    nvml_route = _m(devices.get("nvml"))
    nvml_missing = lookup(nvml_route, "error.exception") == "NVMLError_LibraryNotFound"
    if "libcuda" in _m(facts.get("driver")) and not libcuda.get("found") and (nvml_missing or not nvml.get("loaded")):
        parts.append("no NVIDIA driver (libcuda/NVML not found)")
    elif nvml_missing:
        parts.append("no NVIDIA driver (NVML not found)")
    toolkit = lookup(facts, "cuda.toolkit_version")
    if toolkit:
        parts.append(f"CUDA toolkit {toolkit} present")
    asked: List[tuple] = []  # (route, error)
    routes = {k: _m(v) for k, v in _m(devices.get("routes")).items()}
    if routes.get("nvml", {}).get("ran"):
        asked.append(("NVML", ""))
    probe = _m(facts.get("cuda_probe"))
    if probe.get("status") not in (None, "no-nvcc"):
        asked.append(("the CUDA probe", _route_error(probe)))
    if routes.get("samples", {}).get("ran"):
        asked.append(("deviceQuery", ""))
    fw = _m(devices.get("frameworks"))
    asked += [(n, _route_error(fw[n])) for n in ("cuda-python", "cupy", "torch", "jax", "tensorflow")
              if routes.get(n, {}).get("ran") and isinstance(fw.get(n), Mapping)]
    if asked:
        errors = sorted({e for _, e in asked if e})
        if len(errors) == 1:  # the usual case: every CUDA route hit the same wall (error 35)
            parts.append(f"no GPU found by {_or_list([n for n, _ in asked])} ({errors[0]})")
        else:
            parts.append("no GPU found by " + _or_list([f"{n} ({e})" if e else n for n, e in asked]))
    cpu_only = [n for n, r in sorted(routes.items()) if "CPU-only" in str(r.get("skipped", ""))]
    if cpu_only:
        parts.append(f"{_or_list(cpu_only).replace(' or ', ' and ')} {'is a CPU-only build' if len(cpu_only) == 1 else 'are CPU-only builds'}")
    accelerators = devices.get("accelerators")
    stand_ins = [a for a in (accelerators if isinstance(accelerators, list) else [])
                 if isinstance(a, Mapping) and a.get("kind") == "cpu"]
    if stand_ins:
        parts.append(f"OpenCL offers only a CPU device ({stand_ins[0].get('platform') or 'OpenCL'}), "
                     "a stand-in accelerator, not a GPU")
    return "; ".join(p for p in parts if p) or "no GPU found by any probe"


def gpus(facts: Mapping[str, Any]) -> List[Mapping[str, Any]]:
    return [g for g in lookup(facts, "devices.gpus", []) or [] if isinstance(g, Mapping)]


def label(g: Mapping[str, Any]) -> str:
    return f"GPU{g.get('index', '?')} {g.get('name') or 'unnamed GPU'}"


def driver_present(facts: Mapping[str, Any]) -> bool:
    """Any sign of an NVIDIA driver: libcuda loads, NVML loads, or the runtime reports a driver version."""
    return bool(lookup(facts, "driver.libcuda.found") or lookup(facts, "driver.nvml.loaded")
                or (lookup(facts, "cuda_probe.driver_version_int") or 0) > 0
                or lookup(facts, "devices.nvml.available"))


def check_presence(facts: Mapping[str, Any], min_gpus: int = 1, vendor: Optional[str] = None) -> List[Finding]:
    found = gpus(facts)
    if vendor:
        found = [g for g in found if str(g.get("vendor", "")).lower() == vendor]
    if not found:
        summary = no_gpu_summary(facts) or "no GPU found by any probe"
        want = f"no {vendor} GPU" if vendor else "no GPU"
        return [skip("GPU devices", f"{want}: {summary}", code=NO_GPU, fix=_no_gpu_fix(facts), needs_gpu=True)]
    names = ", ".join(f"{label(g)}{' ' + g['compute_capability'] if g.get('compute_capability') else ''} ({g.get('source')})"
                      for g in found)
    if len(found) < max(1, int(min_gpus or 1)):
        return [fail("GPU devices", f"found {len(found)} GPU(s), {min_gpus} required: {names}", code=FEW_GPUS,
                     fix=fix_for(FEW_GPUS), found=len(found), required=min_gpus)]
    return [passed("GPU devices", f"found {len(found)} GPU(s): {names}", count=len(found))]


def _no_gpu_fix(facts: Mapping[str, Any]) -> str:
    if not driver_present(facts) and lookup(facts, "cuda.toolkit_version"):
        return "install the NVIDIA driver (the toolkit alone cannot reach a GPU), or run on a machine with a GPU"
    routes = lookup(facts, "devices.routes", {}) or {}
    if any("CPU-only" in str(r.get("skipped", "")) for r in routes.values() if isinstance(r, Mapping)):
        return "install a GPU build of your framework (and the driver it needs) on a machine with a GPU"
    return fix_for(NO_GPU)


def check_cuda_runtime(facts: Mapping[str, Any]) -> List[Finding]:
    """The native probe's verdict: the CUDA runtime's own answer, error 35 included."""
    probe = lookup(facts, "cuda_probe")
    name = "CUDA runtime"
    if not isinstance(probe, Mapping) or not probe.get("status"):
        return [skip(name, "the native CUDA probe did not run (no cuda_probe facts in this snapshot)")]
    status = probe["status"]
    rt = probe.get("runtime_version") or lookup(facts, "cuda.toolkit_version") or "?"
    if status == "no-nvcc":
        return [skip(name, "nvcc not found, so the native CUDA probe was not built", fix="install the CUDA toolkit and put nvcc on PATH")]
    if status == "build-failed":
        log = (probe.get("build") or {}).get("log") or ""
        return [warn(name, f"nvcc could not build the native CUDA probe: {probe.get('reason', '')}"[:400], code=PROBE_BROKEN,
                     fix=fix_for(PROBE_BROKEN) + (f" ({log})" if log else ""), log=log)]
    if status == "run-failed":
        run = probe.get("run") or {}
        if run.get("timed_out"):
            return [fail(name, f"the native CUDA probe hung: {probe.get('reason', '')}", code=PROBE_HUNG, fix=fix_for(PROBE_HUNG))]
        return [warn(name, f"the native CUDA probe failed: {probe.get('reason', '')}"[:400], code=PROBE_BROKEN,
                     fix=fix_for(PROBE_BROKEN), returncode=run.get("returncode"))]
    if status == "cuda-error":
        err = probe.get("error") or {}
        kind, meaning = classify_error(err)
        observed = dict(cuda_error=err.get("code"), error_name=err.get("name"), runtime=rt)
        if kind == "insufficient-driver":
            need = compat.min_driver(str(lookup(facts, "cuda.toolkit_version") or rt), host_os(facts) or "linux")
            if driver_present(facts):
                have = probe.get("driver_version") or lookup(facts, "driver.version") or "unknown"
                return [fail(name, f"{meaning}: the driver supports CUDA {have}, the CUDA {rt} runtime needs a newer one",
                             code=canonical(RUNTIME_DRIVER), fix=f"update the NVIDIA driver to {need} or newer" if need else fix_for(RUNTIME_DRIVER),
                             **observed)]
            return [skip(name, f"{meaning}: no NVIDIA driver is installed, so the CUDA {rt} runtime cannot reach a GPU",
                         code=canonical(RUNTIME_DRIVER), fix=f"install the NVIDIA driver ({need} or newer for CUDA {rt})" if need
                         else fix_for(RUNTIME_DRIVER), needs_gpu=True, **observed)]
        if kind == "no-device":
            return [skip(name, f"the CUDA {rt} runtime found no CUDA-capable device ({err.get('name')})", needs_gpu=True, **observed)]
        return [fail(name, f"the CUDA runtime failed: error {err.get('code')} {err.get('name', '')}: {err.get('message', '')}",
                     code=RUNTIME_ERROR, fix=fix_for(RUNTIME_ERROR), **observed)]
    devices = [d for d in probe.get("devices") or [] if isinstance(d, Mapping)]
    if not devices:
        return [skip(name, f"the CUDA {rt} runtime works but sees no device", needs_gpu=True)]
    return [passed(name, f"CUDA runtime {rt} (driver supports CUDA {probe.get('driver_version') or '?'}) sees "
                         f"{len(devices)} device(s): " + ", ".join(str(d.get("name")) for d in devices), devices=len(devices))]


ROUTE_LABELS = {"nvml": "NVML (pynvml)", "torch": "torch", "cupy": "CuPy", "cuda-python": "cuda-python",
                "jax": "JAX", "tensorflow": "TensorFlow", "opencl": "OpenCL (pyopencl)"}


def check_routes(facts: Mapping[str, Any]) -> List[Finding]:
    """One row per route that ran (and per CPU-only framework build when a GPU exists)."""
    routes = lookup(facts, "devices.routes", {}) or {}
    have_gpu = bool(gpus(facts))
    findings: List[Finding] = []
    for name in ("nvml", "cuda-python", "cupy", "torch", "jax", "tensorflow"):
        status = routes.get(name)
        if not isinstance(status, Mapping):
            continue
        row = f"device route {ROUTE_LABELS[name]}"
        if not status.get("ran"):
            reason = str(status.get("skipped") or "")
            if "CPU-only" in reason and have_gpu:
                findings.append(warn(row, f"{reason}: it will train on the CPU although a GPU is present",
                                     code=ROUTE_CPU_ONLY, fix=fix_for(ROUTE_CPU_ONLY)))
            continue
        if status.get("available") and status.get("devices"):
            findings.append(passed(row, f"{ROUTE_LABELS[name]} sees {status['devices']} device(s)"))
            continue
        err = status.get("error") or {}
        kind, meaning = classify_error(err)
        detail = str(err.get("message") or "")[:300] if isinstance(err, Mapping) else str(err)[:300]
        exc = err.get("exception") if isinstance(err, Mapping) else None
        text = f"{ROUTE_LABELS[name]}: {meaning}" + (f" ({exc})" if exc else "")
        if kind == "broken-install":
            findings.append(warn(row, f"{ROUTE_LABELS[name]} is installed but broken: {detail}", code=ROUTE_BROKEN,
                                 fix=fix_for(ROUTE_BROKEN).replace("PACKAGE", name if name != "nvml" else "nvidia-ml-py")))
        elif kind == "timeout":
            findings.append(fail(row, f"{ROUTE_LABELS[name]}: the device query hung and was stopped", code=PROBE_HUNG,
                                 fix=fix_for(PROBE_HUNG)))
        elif have_gpu:
            findings.append(fail(row, f"{text}, although the GPU is listed by another route", code=ROUTE_BLIND,
                                 fix=fix_for(ROUTE_BLIND), error=detail))
        elif kind in ("no-driver", "insufficient-driver", "no-device", "driver-not-loaded"):
            findings.append(skip(row, text, fix="install the NVIDIA driver", needs_gpu=True, error=detail))
        elif status.get("available"):
            findings.append(skip(row, f"{ROUTE_LABELS[name]} works but sees no GPU", needs_gpu=True))
        else:
            findings.append(warn(row, f"{ROUTE_LABELS[name]} failed: {detail or meaning}", code=ROUTE_BROKEN,
                                 fix=fix_for(ROUTE_BROKEN).replace("PACKAGE", name)))
    return findings


def check_samples(facts: Mapping[str, Any]) -> List[Finding]:
    """deviceQuery and bandwidthTest, when found (or built): their own PASS/FAIL and device count."""
    samples = lookup(facts, "devices.samples", {}) or {}
    findings: List[Finding] = []
    for tool in ("deviceQuery", "bandwidthTest"):
        built = lookup(samples, f"built.{tool}") or {}
        if built.get("error"):
            findings.append(fail(tool, f"building {tool} failed: {built['error']}", code=SAMPLE_BUILD,
                                 fix=fix_for(SAMPLE_BUILD) + (f" ({built.get('log')})" if built.get("log") else ""),
                                 log=built.get("log")))
            continue
        if tool == "deviceQuery":
            parsed = lookup(samples, "deviceQuery.parsed")
            runs = {"": parsed} if isinstance(parsed, Mapping) else {}
        else:
            runs = {m: r.get("parsed") for m, r in (lookup(samples, "bandwidthTest.runs", {}) or {}).items()
                    if isinstance(r, Mapping) and isinstance(r.get("parsed"), Mapping)}
        if not runs:
            findings.append(skip(tool, f"{tool} not found (PATH, --dlready-cuda-samples, toolkit and samples folders); "
                                       "the native CUDA probe covers the same ground",
                                 fix="give --dlready-cuda-samples=DIR, or --dlready-build-samples to build it from sources found"))
            continue
        for memory, parsed in sorted(runs.items()):
            row = f"{tool} {memory}".strip()
            err = parsed.get("error")
            if parsed.get("result") == "FAIL" or (isinstance(err, Mapping) and err.get("code") is not None):
                kind, meaning = classify_error(err if isinstance(err, Mapping) else str(err))
                if kind in ("no-driver", "insufficient-driver", "no-device") and not driver_present(facts):
                    findings.append(skip(row, f"{tool}: {meaning}", needs_gpu=True))
                else:
                    findings.append(fail(row, f"{tool} failed: {meaning}", code=SAMPLE_FAIL, fix=fix_for(SAMPLE_FAIL)))
            elif tool == "deviceQuery" and not parsed.get("device_count"):
                findings.append(skip(row, "deviceQuery found no CUDA device (it still says Result = PASS)", needs_gpu=True))
            elif tool == "deviceQuery":
                findings.append(passed(row, f"deviceQuery: {parsed.get('device_count')} device(s), driver "
                                            f"{parsed.get('driver_version')} / runtime {parsed.get('runtime_version')}"))
            else:
                n = len(parsed.get("measurements") or [])
                findings.append(passed(row, f"bandwidthTest {memory}: {n} measurement(s), Result = {parsed.get('result')}"))
    return findings


#: Oldest compute capability prebuilt wheels accepted, with sources (anchors.md §6.2/6.3):
#: TensorFlow GPU wheels log "The minimum required Cuda capability is 3.5" (tensorflow/tensorflow#6083);
#: PyTorch CUDA 11.8 wheels start at sm_37, CUDA 12.x wheels at sm_50 (pytorch/pytorch#182250).
FRAMEWORK_MIN_CC = (3, 5)


def check_compute_capability(facts: Mapping[str, Any]) -> List[Finding]:
    """Per CUDA GPU: old architectures that prebuilt frameworks skip, and torch's own arch list."""
    arch_list = [a for a in lookup(facts, "devices.frameworks.torch.arch_list", []) or [] if isinstance(a, str)]
    findings = []
    for g in gpus(facts):
        cc = compat.parse_version(g.get("compute_capability"))
        if g.get("vendor") != "nvidia" or not cc:
            continue
        row = f"compute capability GPU{g.get('index')}"
        sm = f"sm_{cc[0]}{cc[1] if len(cc) > 1 else 0}"
        if arch_list:
            built = {re.sub(r"[af]$", "", a) for a in arch_list if a.startswith("sm_")}
            if sm not in built and not _served_by(sm, built):
                findings.append(fail(row, f"{label(g)} is {sm}; the installed torch was built for {', '.join(sorted(built))}",
                                     code=CC_NOT_IN_WHEEL, fix=fix_for(CC_NOT_IN_WHEEL), arch_list=arch_list))
                continue
        if tuple(cc[:2]) < FRAMEWORK_MIN_CC:
            findings.append(warn(row, f"{label(g)} has compute capability {g['compute_capability']}: prebuilt TensorFlow "
                                      "GPU wheels need 3.5 or newer and current PyTorch CUDA wheels 5.0 or newer, so "
                                      "frameworks fall back to the CPU", code=CC_OLD, fix=fix_for(CC_OLD),
                                 compute_capability=g["compute_capability"]))
        else:
            findings.append(passed(row, f"{label(g)} has compute capability {g['compute_capability']}"))
    return findings


def _served_by(sm: str, built: set) -> bool:
    """sm_89 runs sm_86 binaries: same major, built minor <= device minor (pytorch/pytorch#95648)."""
    m = re.fullmatch(r"sm_(\d+?)(\d)", sm)
    if not m:
        return False
    for b in built:
        bm = re.fullmatch(r"sm_(\d+?)(\d)", b)
        if bm and bm.group(1) == m.group(1) and int(bm.group(2)) <= int(m.group(2)):
            return True
    return False


def opencl_fix(facts: Mapping[str, Any], pyopencl_missing: bool = True) -> str:
    """The next step for OpenCL that fits what is installed: no "install PoCL" where PoCL is there."""
    icds = lookup(facts, "devices.routes.opencl.icds")
    step = "pip install pyopencl" if pyopencl_missing else ""
    if isinstance(icds, list) and icds:
        have = ", ".join(str(i) for i in icds[:4])
        return (f"{step} (OpenCL drivers already installed: {have})" if step else
                f"OpenCL drivers are installed ({have}) but list no device: check them with clinfo")
    driver = "an OpenCL driver (the GPU vendor's, or apt-get install pocl-opencl-icd for the CPU)"
    return f"{step}, plus {driver}" if step else f"install {driver}"


def check_opencl(facts: Mapping[str, Any]) -> List[Finding]:
    """OpenCL devices (GPUs and CPU stand-ins alike) and whether each can build a kernel."""
    status = lookup(facts, "devices.routes.opencl", {}) or {}
    if not status.get("ran"):
        why = status.get("skipped") or "this snapshot has no OpenCL facts (pyopencl absent where it was taken?)"
        return [skip("OpenCL devices", f"OpenCL not probed: {why}",
                     fix=opencl_fix(facts, pyopencl_missing="pyopencl" in str(why)))]
    accs = [a for a in lookup(facts, "devices.accelerators", []) or [] if isinstance(a, Mapping)]
    if not accs:
        kind, meaning = classify_error(status.get("error") or "")
        return [skip("OpenCL devices", f"no OpenCL device: {meaning}", code=OCL_NONE, fix=opencl_fix(facts, pyopencl_missing=False))]
    names = ", ".join(f"{a.get('name')} ({a.get('kind')}, {a.get('platform')})" for a in accs)
    findings = [passed("OpenCL devices", f"{len(accs)} OpenCL device(s): {names}", count=len(accs))]
    for a in accs:
        build = a.get("kernel_build") or {}
        row = f"OpenCL kernel build {a.get('index')}"
        if build.get("ok"):
            findings.append(passed(row, f"{a.get('name')}: built and ran a kernel in {build.get('seconds')} s"))
        else:
            kind, meaning = classify_error(f"{build.get('error', '')} {build.get('log', '')}")
            findings.append(fail(row, f"OpenCL kernel build fails on {a.get('name')}: {meaning}", code=OCL_BUILD,
                                 fix=fix_for(OCL_BUILD), error=str(build.get("error", ""))[:500]))
    return findings
