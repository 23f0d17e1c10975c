"""What ``python -m pytest_dlready parse`` reports: findings from the fields a parser read.

The parsers (``parsers/``) turn a pasted deviceQuery, bandwidthTest, nvidia-smi, ``nvcc
--version``, kextstat, system_profiler, pmset or training log into plain dicts; this module
is where those dicts are judged. Each ``<kind>_findings(parsed)`` is pure and tolerates
missing keys; ``findings(parsed)`` picks by ``parsed["kind"]``, and ``read(text, kind)``
is parse + judge in one call (the CLI's and the documented Python entry point).
"""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from .. import catalogue
from ..parsers import common
from ..results import Finding, Status, passed, warn
from . import compat, frameworks
from .device_bandwidth import LINK_SLOW as BW_SLOW_LINK, NO_LINK_FLOOR_GBPS
from .macos import MAC_OK, pmset_findings

# -- any tool output --------------------------------------------------------------------
PARSE_UNREAD = catalogue.define(
    "DLR-PARSE-UNREAD", "part of a tool output could not be read",
    "paste the complete, unedited output of the command (the lines quoted are the ones not understood)",
)
PARSE_UNKNOWN = catalogue.define(
    "DLR-PARSE-UNKNOWN", "file is not a tool output pytest-dlready can read",
    "give the raw output of deviceQuery, bandwidthTest, nvidia-smi, nvcc --version, kextstat, "
    "system_profiler SPDisplaysDataType, pmset -g or a training log",
)
PARSE_INTERNAL = catalogue.define(
    "DLR-PARSE-INTERNAL", "parser stopped on unexpected input",
    "report the file to pytest-dlready; the parsed fields shown are those read before the stop",
)


def unread_finding(check: str, unread: List[str], total: int) -> Finding:
    """A WARN quoting the first lines a parser could not place (and how many there were)."""
    shown = "; ".join(repr(line) for line in unread[:3])
    more = f" (and {total - 3} more)" if total > 3 else ""
    return Finding(check, Status.WARN,
                   f"{total} line(s) of the output were not understood: {shown}{more}",
                   code=PARSE_UNREAD, fix=catalogue.fix_for(PARSE_UNREAD),
                   observed={"unread": list(unread[:common.MAX_UNREAD]), "unread_count": total})


PARSE_TRUNCATED = catalogue.define(
    "DLR-PARSE-TRUNCATED", "tool output is incomplete (no Result line)",
    "run the tool again and keep its whole output, down to its 'Result =' line",
)


def cut_finding(limit: int) -> Finding:
    """A file longer than the reader takes: only its start was judged."""
    return Finding("parse", Status.WARN, f"only the first {limit} bytes were read", code=PARSE_UNREAD)


# -- deviceQuery --------------------------------------------------------------------------
DQ_ZERO_DEVICES = catalogue.alias("DLR-DQ-ZERO-DEVICES", "DLR-DEV-NO-GPU", "deviceQuery passed but found no CUDA device",
    "check that the NVIDIA GPU is seen by the OS (lspci | grep -i nvidia, or System Information on macOS), "
    "that CUDA_VISIBLE_DEVICES is not empty, and that the NVIDIA driver (not nouveau) is loaded",
)
DQ_DRIVER_INSUFFICIENT = catalogue.alias("DLR-DQ-DRIVER-INSUFFICIENT", "DLR-DRIVER-TOO-OLD", "CUDA driver version is insufficient for CUDA runtime version",
    "install an NVIDIA driver at least as new as the CUDA toolkit needs (see the CUDA release notes' driver table), "
    "or use a toolkit old enough for the installed driver; on a laptop with two GPUs run on the NVIDIA one "
    "(optirun/prime-run); in a container start it with the NVIDIA runtime (--gpus all)",
)
DQ_NO_DEVICE = catalogue.alias("DLR-DQ-NO-DEVICE", "DLR-DEV-NO-GPU", "no CUDA-capable device is detected",
    "check lspci for the GPU, load the nvidia kernel module, check /dev/nvidia* permissions "
    "(run once as root or add the user to the video group) and CUDA_VISIBLE_DEVICES",
)
DQ_CUDA_ERROR = catalogue.alias("DLR-DQ-CUDA-ERROR", "DLR-DEV-CUDA-RUNTIME", "deviceQuery could not initialise CUDA",
    "reboot after installing the driver, check dmesg for NVRM errors, and make sure the driver and toolkit match",
)
DQ_RESULT_FAIL = catalogue.alias("DLR-DQ-RESULT-FAIL", "DLR-DEV-SAMPLE-FAIL", "deviceQuery reported Result = FAIL",
    "read the lines before 'Result = FAIL' for the CUDA error and fix that first",
)
DQ_TRUNCATED = catalogue.alias("DLR-DQ-TRUNCATED", "DLR-PARSE-TRUNCATED", "deviceQuery output is incomplete (no Result line)",
    "run deviceQuery again and keep its whole output, down to the 'Result = PASS' line",
)
DQ_WATCHDOG = catalogue.alias("DLR-DQ-WATCHDOG", "DLR-GPU-DISPLAY", "the GPU drives a display (kernel run time limit is on)",
    "for training, prefer a GPU with no monitor attached (or TCC mode on Windows, or the integrated GPU for the desktop); "
    "long kernels are killed by the display watchdog and the desktop shares the GPU's memory and time",
)
DQ_OLD_ARCH = catalogue.alias("DLR-DQ-CC-UNSUPPORTED", "DLR-CC-UNSUPPORTED", "GPU compute capability is below what the toolkit/framework supports",
    "use an older toolkit/framework build that still targets this GPU, or a newer GPU",
)
DQ_SAMPLES_OLDER = catalogue.define(
    "DLR-DQ-SAMPLES-OLDER", "deviceQuery is older than the GPU (MapSMtoCores undefined)",
    "build deviceQuery from the cuda-samples tag that matches the installed toolkit; the CUDA core count shown is a guess",
)
DQ_OK = catalogue.define("DLR-DQ-OK", "deviceQuery found CUDA devices", "")


def _cc_tuple(text: Optional[str]) -> Optional[Tuple[int, int]]:
    match = re.match(r"(\d+)\.(\d+)$", text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def _toolkit_min_cc(runtime: Optional[str]) -> Optional[Tuple[int, int]]:
    return compat.min_compute(runtime) if runtime else None


def devicequery_findings(parsed: Dict[str, Any], min_cc: Optional[Tuple[int, int]] = None,
             min_cc_reason: str = "") -> List[Finding]:
    """Readiness findings from a parsed deviceQuery dict (pure; tolerates missing keys).

    ``min_cc``: a framework's minimum compute capability (e.g. (3, 5) for TensorFlow's
    prebuilt wheels) in addition to the minimum of the CUDA runtime the samples were built with.
    """
    out: List[Finding] = []
    error = parsed.get("error") or None
    devices = parsed.get("devices") or []
    count = parsed.get("device_count")
    if error:
        name, message, code = error.get("name"), error.get("message") or "unknown", error.get("code")
        said = f"cudaGetDeviceCount returned {code}: {message}" if code is not None else message
        if name == "cudaErrorInsufficientDriver":
            out.append(Finding("deviceQuery", Status.FAIL, f"CUDA driver version is insufficient for CUDA runtime version ({said})",
                               code=catalogue.canonical(DQ_DRIVER_INSUFFICIENT), fix=catalogue.fix_for(DQ_DRIVER_INSUFFICIENT), observed=dict(error)))
        elif name == "cudaErrorNoDevice":
            out.append(Finding("deviceQuery", Status.FAIL, f"no CUDA-capable device is detected ({said})",
                               code=catalogue.canonical(DQ_NO_DEVICE), fix=catalogue.fix_for(DQ_NO_DEVICE), observed=dict(error)))
        else:
            out.append(Finding("deviceQuery", Status.FAIL, f"deviceQuery could not initialise CUDA ({said})",
                               code=catalogue.canonical(DQ_CUDA_ERROR), fix=catalogue.fix_for(DQ_CUDA_ERROR), observed=dict(error)))
    if parsed.get("truncated"):
        last = parsed.get("last_line") or ""
        out.append(Finding("deviceQuery", Status.FAIL,
                           f"deviceQuery output ends before its 'Result =' line; last line: {last[:160]!r}",
                           code=catalogue.canonical(DQ_TRUNCATED), fix=catalogue.fix_for(DQ_TRUNCATED),
                           observed={"last_line": last[:300], "result_text": parsed.get("result_text")}))
    elif parsed.get("result") == "FAIL" and not error:
        out.append(Finding("deviceQuery", Status.FAIL, "deviceQuery reported Result = FAIL",
                           code=catalogue.canonical(DQ_RESULT_FAIL), fix=catalogue.fix_for(DQ_RESULT_FAIL)))
    if not error and count == 0:
        out.append(Finding("deviceQuery", Status.FAIL,
                           f"deviceQuery found 0 CUDA devices (it still says Result = {parsed.get('result') or '?'})",
                           code=catalogue.canonical(DQ_ZERO_DEVICES), fix=catalogue.fix_for(DQ_ZERO_DEVICES), observed={"device_count": 0}))
    toolkit_min = _toolkit_min_cc(parsed.get("runtime_version"))
    for dev in devices:
        out.extend(_device_findings(dev, parsed.get("runtime_version"), toolkit_min, min_cc, min_cc_reason))
    if not any(f.status == Status.FAIL for f in out) and devices:
        names = ", ".join(sorted({d.get("name") or "?" for d in devices}))
        out.append(passed("deviceQuery", f"deviceQuery found {count if count is not None else len(devices)} CUDA device(s): {names}",
                          code=DQ_OK, driver_version=parsed.get("driver_version"),
                          runtime_version=parsed.get("runtime_version")))
    unread = parsed.get("unread") or []
    if unread:
        out.append(unread_finding("deviceQuery", unread, int(parsed.get("unread_count") or len(unread))))
    return out


def _device_findings(dev: Dict[str, Any], runtime: Optional[str], toolkit_min: Optional[Tuple[int, int]],
                     min_cc: Optional[Tuple[int, int]], reason: str) -> List[Finding]:
    out: List[Finding] = []
    row = f"deviceQuery GPU{dev.get('index', '?')}"
    name = dev.get("name") or "GPU"
    if dev.get("kernel_run_time_limit"):
        mode = dev.get("driver_mode")
        extra = " in WDDM mode" if mode == "WDDM" else ""
        out.append(warn(row, f"{name} drives a display{extra}: kernels have a run time limit (watchdog) and the desktop shares the GPU",
                        fix=catalogue.fix_for(DQ_WATCHDOG), code=catalogue.canonical(DQ_WATCHDOG), driver_mode=mode))
    cc = _cc_tuple(dev.get("compute_capability"))
    for need, why in ((toolkit_min, f"CUDA {runtime}"), (min_cc, reason or "the framework")):
        if cc and need and cc < need:
            out.append(warn(row, f"{name} has compute capability {cc[0]}.{cc[1]}, below the {need[0]}.{need[1]} that {why} supports",
                            fix=catalogue.fix_for(DQ_OLD_ARCH), code=catalogue.canonical(DQ_OLD_ARCH),
                            compute_capability=dev.get("compute_capability"), minimum=f"{need[0]}.{need[1]}"))
    if dev.get("cores_guessed_for_sm"):
        out.append(warn(row, f"this deviceQuery does not know SM {dev['cores_guessed_for_sm']}: it is older than {name} and guessed its core count",
                        fix=catalogue.fix_for(DQ_SAMPLES_OLDER), code=DQ_SAMPLES_OLDER, sm=dev["cores_guessed_for_sm"]))
    return out


# -- bandwidthTest --------------------------------------------------------------------------
BW_RESULT_FAIL = catalogue.alias("DLR-BW-RESULT-FAIL", "DLR-DEV-SAMPLE-FAIL", "bandwidthTest reported Result = FAIL",
    "read the CUDA error printed before 'Result = FAIL' (often a driver/toolkit mismatch, see deviceQuery)",
)
BW_TRUNCATED = catalogue.alias("DLR-BW-TRUNCATED", "DLR-PARSE-TRUNCATED", "bandwidthTest output is incomplete (no Result line)",
    "run bandwidthTest again and keep its whole output, down to the 'Result = PASS' line",
)
BW_NO_MEASUREMENT = catalogue.define(
    "DLR-BW-NO-MEASUREMENT", "bandwidthTest output holds no bandwidth figure",
    "run the plain 'bandwidthTest' (quick mode, pinned memory) and paste its complete output",
)
BW_OK = catalogue.define("DLR-BW-OK", "bandwidthTest measured host<->GPU copies", "")

#: Pinned H2D/D2H below this is slower than PCIe 2.0 x8 (~3.2 GB/s usable): a link problem, not a GPU property.
BW_SLOW_GBPS = NO_LINK_FLOOR_GBPS


def bandwidthtest_findings(parsed: Dict[str, Any], slow_gbps: float = BW_SLOW_GBPS) -> List[Finding]:
    """Readiness findings from a parsed bandwidthTest dict (pure; tolerates missing keys)."""
    out: List[Finding] = []
    error = parsed.get("error") or None
    if error:
        said = f"{error.get('call') or 'a CUDA call'} returned {error.get('code')}" + (
            f": {error['message']}" if error.get("message") else "") + (f" ({error['name']})" if error.get("name") else "")
        insufficient = error.get("name") == "cudaErrorInsufficientDriver" or "insufficient" in str(error.get("message")).lower()
        code = DQ_DRIVER_INSUFFICIENT if insufficient else DQ_CUDA_ERROR
        out.append(Finding("bandwidthTest", Status.FAIL, f"bandwidthTest could not use the GPU ({said})",
                           code=catalogue.canonical(code), fix=catalogue.fix_for(code), observed=dict(error)))
    elif parsed.get("result") == "FAIL":
        out.append(Finding("bandwidthTest", Status.FAIL, "bandwidthTest reported Result = FAIL",
                           code=catalogue.canonical(BW_RESULT_FAIL), fix=catalogue.fix_for(BW_RESULT_FAIL)))
    elif parsed.get("truncated"):
        last = parsed.get("last_line") or ""
        out.append(Finding("bandwidthTest", Status.FAIL,
                           f"bandwidthTest output ends before its 'Result =' line; last line: {last[:160]!r}",
                           code=catalogue.canonical(BW_TRUNCATED), fix=catalogue.fix_for(BW_TRUNCATED), observed={"last_line": last[:300]}))
    measurements = parsed.get("measurements") or []
    if not measurements and not error:
        out.append(Finding("bandwidthTest", Status.FAIL, "bandwidthTest output holds no bandwidth measurement",
                           code=BW_NO_MEASUREMENT, fix=catalogue.fix_for(BW_NO_MEASUREMENT)))
    pinned = (parsed.get("summary") or {}).get("pinned") or {}
    slow = {k: v for k, v in pinned.items() if k in ("h2d_gbps", "d2h_gbps") and v is not None and v < slow_gbps}
    for key, value in sorted(slow.items()):
        label = "host-to-device" if key == "h2d_gbps" else "device-to-host"
        out.append(warn(f"bandwidth {key[:3].upper()} pinned",
                        f"pinned {label} copies run at {value:.2f} GB/s, slower than a PCIe 2.0 x8 link (~3.2 GB/s)",
                        fix=catalogue.fix_for(BW_SLOW_LINK), code=BW_SLOW_LINK, gbps=value, threshold_gbps=slow_gbps))
    if measurements and not any(f.status == Status.FAIL for f in out):
        parts = []
        for memory_mode, row in sorted((parsed.get("summary") or {}).items()):
            figures = ", ".join(f"{k[:3].upper()} {v:.2f}" for k, v in row.items() if v is not None)
            parts.append(f"{memory_mode}: {figures} GB/s")
        out.append(passed("bandwidthTest", "bandwidthTest measured " + "; ".join(parts), code=BW_OK))
    unread = parsed.get("unread") or []
    if unread:
        out.append(unread_finding("bandwidthTest", unread, int(parsed.get("unread_count") or len(unread))))
    return out


# -- nvidia-smi -----------------------------------------------------------------------------
SMI_NO_DRIVER = catalogue.alias("DLR-SMI-NO-DRIVER", "DLR-DRIVER-MISSING", "nvidia-smi cannot communicate with the NVIDIA driver",
    "install (or reinstall) the NVIDIA driver matching the kernel and reboot; check 'lsmod | grep nvidia', "
    "that nouveau is blacklisted and that Secure Boot did not block the module",
)
SMI_MISMATCH = catalogue.define(
    "DLR-SMI-VERSION-MISMATCH", "NVIDIA driver and library versions differ",
    "reboot after a driver upgrade (the old kernel module is still loaded), or reinstall one driver version",
)
SMI_WRONG_BINARY = catalogue.define(
    "DLR-SMI-WRONG-BINARY", "this nvidia-smi is not the loaded driver's",
    "run the nvidia-smi installed with the driver (`which -a nvidia-smi` lists every one on PATH); under WSL 2 that "
    "is /usr/lib/wsl/lib/nvidia-smi, and a Linux NVIDIA driver installed inside the distribution should be removed",
)
SMI_PARTIAL = catalogue.define(
    "DLR-SMI-PARTIAL", "nvidia-smi output cut before its GPU list",
    "paste the whole output of nvidia-smi (or nvidia-smi -L for the GPU list alone)")
SMI_NO_DEVICES = catalogue.alias("DLR-SMI-NO-DEVICES", "DLR-DEV-NO-GPU", "nvidia-smi found no GPU",
    "check that the GPU is seen on the PCI bus (lspci), that it is supported by the installed driver branch, "
    "and in a container that it was started with --gpus",
)
SMI_ERROR = catalogue.define("DLR-SMI-ERROR", "nvidia-smi reported an error",
                             "read the quoted message; it usually names the GPU or library at fault")
SMI_DISPLAY = catalogue.alias("DLR-SMI-DISPLAY", "DLR-GPU-DISPLAY", "a display is attached to this GPU",
    "drive the desktop from another GPU (integrated graphics) so training gets the whole GPU",
)
SMI_PCIE_WIDTH = catalogue.alias("DLR-SMI-PCIE-WIDTH", "DLR-GPU-LINK-DOWN", "the GPU's PCIe link runs narrower than it can",
    "reseat the card in a full x16 slot, check BIOS lane sharing (M.2/second GPU) and risers",
)
SMI_PCIE_GEN = catalogue.alias("DLR-SMI-PCIE-GEN", "DLR-GPU-LINK-DOWN", "the GPU's PCIe link runs at a lower generation under load",
    "check BIOS PCIe speed settings and the slot; at idle (P8) a lower generation is normal power saving",
)
SMI_THROTTLE = catalogue.alias("DLR-SMI-THROTTLE", "DLR-GPU-THROTTLED", "GPU clocks are held back by thermal or power limits",
    "improve cooling/airflow, check the power cables and power limit (nvidia-smi -q -d PERFORMANCE)",
)
SMI_OTHER_PROCESSES = catalogue.alias("DLR-SMI-PROCESSES", "DLR-GPU-SHARED", "other processes are using the GPU",
    "close them or pick an idle GPU with CUDA_VISIBLE_DEVICES before timing training",
)
SMI_OK = catalogue.define("DLR-SMI-OK", "nvidia-smi sees the driver and GPUs", "")
#: the parser's error names -> codes
SMI_FAILURE_CODES = {"no-driver": SMI_NO_DRIVER, "version-mismatch": SMI_MISMATCH, "no-devices": SMI_NO_DEVICES,
                     "nvml-init": SMI_ERROR, "device-handle": SMI_ERROR, "not-found": SMI_NO_DRIVER,
                     "binary-mismatch": SMI_WRONG_BINARY}
SMI_BAD_THROTTLE = ("HW Slowdown", "HW Thermal Slowdown", "HW Power Brake Slowdown", "SW Thermal Slowdown")


def nvidia_smi_findings(parsed: Dict[str, Any]) -> List[Finding]:
    """Readiness findings from a parsed nvidia-smi dict (pure; tolerates missing keys)."""
    out: List[Finding] = []
    error = parsed.get("error")
    if error:
        code = SMI_FAILURE_CODES.get(error.get("name"), SMI_ERROR)
        out.append(Finding("nvidia-smi", Status.FAIL, f"nvidia-smi: {error.get('message')}", code=catalogue.canonical(code),
                           fix=catalogue.fix_for(code), observed=dict(error)))
    gpus = parsed.get("gpus") or []
    if parsed.get("format") == "version":  # `nvidia-smi --version` lists versions, never GPUs
        out.append(Finding("nvidia-smi", Status.PASS,
                           f"nvidia-smi {parsed.get('nvidia_smi_version') or '?'}, driver {parsed.get('driver_version') or '?'}"
                           + (f", supports CUDA {parsed['cuda_version']}" if parsed.get("cuda_version") else ""),
                           observed={k: parsed.get(k) for k in ("nvidia_smi_version", "nvml_version", "driver_version",
                                                                "cuda_version")}))
    elif not gpus and not error:
        # nvidia-smi never prints a table, a -q log or a CSV without GPUs: it says "No devices were found"
        # (an error above). Output without a GPU line was cut before it: unknown, not missing.
        out.append(Finding("nvidia-smi", Status.SKIP, "nvidia-smi output shows no GPU line (cut before its GPU list?): "
                           "how many GPUs it has is not recorded", code=SMI_PARTIAL, fix=catalogue.fix_for(SMI_PARTIAL),
                           observed={"format": parsed.get("format")}))
    for gpu in gpus:
        row = f"nvidia-smi GPU{gpu.get('index')}"
        name = gpu.get("name") or "GPU"
        if gpu.get("display_active"):
            out.append(warn(row, f"{name} has a display attached and active", fix=catalogue.fix_for(SMI_DISPLAY), code=catalogue.canonical(SMI_DISPLAY)))
        pcie = gpu.get("pcie") or {}
        if pcie.get("width_current") and pcie.get("width_max") and pcie["width_current"] < pcie["width_max"]:
            out.append(warn(row, f"{name}'s PCIe link runs at x{pcie['width_current']} of x{pcie['width_max']}",
                            fix=catalogue.fix_for(SMI_PCIE_WIDTH), code=catalogue.canonical(SMI_PCIE_WIDTH), **pcie))
        if (pcie.get("gen_current") and pcie.get("gen_max") and pcie["gen_current"] < pcie["gen_max"]
                and gpu.get("pstate") in ("P0", "P1", "P2")):
            out.append(warn(row, f"{name}'s PCIe link runs at gen {pcie['gen_current']} of {pcie['gen_max']} while busy ({gpu.get('pstate')})",
                            fix=catalogue.fix_for(SMI_PCIE_GEN), code=catalogue.canonical(SMI_PCIE_GEN), **pcie))
        bad = [r for r in gpu.get("throttle_reasons") or [] if r in SMI_BAD_THROTTLE]
        if bad:
            out.append(warn(row, f"{name}'s clocks are held back: {', '.join(bad)}", fix=catalogue.fix_for(SMI_THROTTLE),
                            code=catalogue.canonical(SMI_THROTTLE), reasons=bad))
    procs = [p for p in parsed.get("processes") or [] if p.get("type") in ("C", "C+G", "M", "M+C")]
    if procs:
        names = ", ".join(sorted({str(p.get("name")) for p in procs}))[:200]
        out.append(warn("nvidia-smi", f"{len(procs)} compute process(es) already use the GPU: {names}",
                        fix=catalogue.fix_for(SMI_OTHER_PROCESSES), code=catalogue.canonical(SMI_OTHER_PROCESSES), count=len(procs)))
    if gpus and not any(f.status == Status.FAIL for f in out):
        names = ", ".join(sorted({str(g.get("name") or "?") for g in gpus}))
        driver = f"driver {parsed['driver_version']}" if parsed.get("driver_version") else \
            "the driver (its version is not in this output)"
        out.append(passed("nvidia-smi", f"{driver} sees {len(gpus)} GPU(s): {names}",
                          code=SMI_OK, driver_version=parsed.get("driver_version"), cuda_version=parsed.get("cuda_version")))
    return out


# -- nvcc -------------------------------------------------------------------------------------
NVCC_NOT_FOUND = catalogue.alias("DLR-NVCC-NOT-FOUND", "DLR-NVCC-NOT-ON-PATH", "nvcc is not on PATH",
    "add the toolkit's bin folder to PATH (Linux: /usr/local/cuda/bin; macOS: /Developer/NVIDIA/CUDA-x.y/bin; "
    "Windows: %CUDA_PATH%\\bin)",
)
NVCC_FATAL = catalogue.define("DLR-NVCC-FATAL", "nvcc stopped with a fatal error",
                         "read the quoted nvcc message; an unsupported host compiler needs a supported gcc/clang/MSVC")
NVCC_UNKNOWN_VERSION = catalogue.define("DLR-NVCC-NO-VERSION", "nvcc output has no version line",
                                   "run 'nvcc --version' and paste all of its output")
NVCC_OK = catalogue.define("DLR-NVCC-OK", "nvcc version read", "")
NVCC_ARCHS = catalogue.define(
    "DLR-NVCC-ARCHS", "nvcc lists the GPU architectures it builds for",
    "a GPU whose compute capability is above the newest listed needs a newer CUDA toolkit; a build that asks for an "
    "architecture below the oldest (nvcc fatal : Unsupported gpu architecture 'compute_35') needs its arch list "
    "changed (CMAKE_CUDA_ARCHITECTURES, TORCH_CUDA_ARCH_LIST) or an older toolkit")


def _capability(arch: str) -> str:
    digits = re.sub(r"\D", "", arch)
    return f"{digits[:-1]}.{digits[-1]}"


def nvcc_findings(parsed: Dict[str, Any]) -> List[Finding]:
    """Findings from a parsed ``nvcc --version`` dict (pure)."""
    error = parsed.get("error") or {}
    if error.get("name") == "not-found":
        return [Finding("nvcc", Status.FAIL, f"nvcc was not found: {error.get('message')}", code=catalogue.canonical(NVCC_NOT_FOUND),
                        fix=catalogue.fix_for(NVCC_NOT_FOUND))]
    if error.get("name") == "fatal":
        return [Finding("nvcc", Status.FAIL, f"nvcc fatal: {error.get('message')}", code=NVCC_FATAL, fix=catalogue.fix_for(NVCC_FATAL))]
    archs = parsed.get("architectures") or []
    if archs and not parsed.get("release"):
        # `nvcc --list-gpu-arch` ran (so nvcc works) and says which compute capabilities it can build for
        caps = sorted({_capability(a) for a in archs}, key=lambda c: tuple(int(x) for x in c.split(".")))
        return [Finding("nvcc", Status.PASS, f"nvcc runs and builds for {len(archs)} GPU architectures, compute capability "
                        f"{caps[0]} to {caps[-1]} ({archs[0]} ... {archs[-1]}); its version is not in this output",
                        code=NVCC_ARCHS, fix=catalogue.fix_for(NVCC_ARCHS),
                        observed={"architectures": archs, "oldest": caps[0], "newest": caps[-1]})]
    if not parsed.get("release"):
        return [Finding("nvcc", Status.FAIL, "no 'Cuda compilation tools, release' line in the nvcc output",
                        code=NVCC_UNKNOWN_VERSION, fix=catalogue.fix_for(NVCC_UNKNOWN_VERSION))]
    return [passed("nvcc", f"nvcc {parsed['version']} (CUDA {parsed['release']})", code=NVCC_OK,
                   release=parsed["release"], version=parsed["version"])]


# -- macOS: kextstat, system_profiler (pmset -g: checks.macos.pmset_findings) ----------------
MAC_NO_CUDA_KEXT = catalogue.alias("DLR-MAC-NO-CUDA-KEXT", "DLR-DRIVER-MISSING", "the CUDA kernel extension is not loaded",
    "install the CUDA driver for macOS (System Preferences > CUDA) matching the NVIDIA web/GPU driver, then reboot",
)
MAC_NO_NVIDIA_GPU = catalogue.define(
    "DLR-MAC-NO-NVIDIA-GPU", "this Mac has no NVIDIA GPU",
    "CUDA needs an NVIDIA GPU; on this Mac use the CPU, Metal/MPS (PyTorch) or an OpenCL backend instead",
)
MAC_NARROW_LINK = catalogue.define(
    "DLR-MAC-PCIE-LANES", "the NVIDIA GPU sits on a narrow PCIe link",
    "expect host<->GPU copies near the link's limit (x8 ~ 4-8 GB/s); keep data on the GPU between steps",
)


def kextstat_findings(parsed: Dict[str, Any]) -> List[Finding]:
    if parsed.get("cuda_kext_loaded"):
        return [passed("CUDA kext", f"com.nvidia.CUDA ({parsed.get('cuda_kext_version')}) is loaded", code=MAC_OK)]
    return [Finding("CUDA kext", Status.FAIL, "com.nvidia.CUDA is not among the loaded kernel extensions",
                    code=catalogue.canonical(MAC_NO_CUDA_KEXT), fix=catalogue.fix_for(MAC_NO_CUDA_KEXT),
                    observed={"nvidia_kexts": parsed.get("nvidia_kexts") or []})]


def system_profiler_findings(parsed: Dict[str, Any]) -> List[Finding]:
    gpus = parsed.get("gpus") or []
    nvidia = [g for g in gpus if "nvidia" in f"{g.get('vendor')} {g.get('chipset_model')} {g.get('name')}".lower()]
    if not nvidia:
        names = ", ".join(str(g.get("chipset_model") or g.get("name")) for g in gpus) or "none listed"
        return [Finding("Mac GPU", Status.FAIL, f"no NVIDIA GPU in system_profiler (GPUs: {names})",
                        code=MAC_NO_NVIDIA_GPU, fix=catalogue.fix_for(MAC_NO_NVIDIA_GPU))]
    out: List[Finding] = []
    for g in nvidia:
        lanes = g.get("pcie_lane_width")
        if lanes and lanes < 16:
            out.append(warn("Mac GPU", f"{g.get('chipset_model') or g.get('name')} is on a PCIe x{lanes} link",
                            fix=catalogue.fix_for(MAC_NARROW_LINK), code=MAC_NARROW_LINK, lanes=lanes))
    names = ", ".join(f"{g.get('chipset_model') or g.get('name')} ({g.get('vram_mib')} MiB)" for g in nvidia)
    out.append(passed("Mac GPU", f"NVIDIA GPU present: {names}", code=MAC_OK))
    return out


# -- training logs ------------------------------------------------------------------------------
LOG_TIME_ONLY = catalogue.define(
    "DLR-LOG-TIME-ONLY", "training log holds a `time` block and no epochs",
    "a replay judges such a run from its wall time; keep the epoch lines too for an interval")
LOG_STARTUP = catalogue.define(
    "DLR-LOG-STARTUP", "framework startup log (no epochs): the device it took",
    "when it names the CPU, read the framework's own lines above for why (a missing CUDA library, "
    "an unsupported compute capability, a CPU-only build)")
LOG_STEPS_ONLY = catalogue.define(
    "DLR-LOG-STEPS-ONLY", "training log counts steps or iterations, not epochs",
    "log one line per epoch (or time the whole run with `time`) to compare devices; boosting rounds, darknet "
    "iterations and spaCy steps have no epoch to time")
LOG_NO_EPOCHS = catalogue.define(
    "DLR-LOG-NO-EPOCHS", "training log has no epoch timings",
    "give the full console output of the training run (Keras verbose=1 or 2, nolearn/gdbn, Lasagne), "
    "not only its last lines",
)
LOG_TRUNCATED = catalogue.define(
    "DLR-LOG-TRUNCATED", "training log ends in the middle of an epoch",
    "let the run finish (or cut the log after a complete epoch) before judging it",
)
LOG_EPOCHS = catalogue.define("DLR-LOG-OK", "training log: the epochs read, their times and the device", "")
LOG_NAN = catalogue.define(
    "DLR-LOG-NAN", "the loss is NaN: training diverged",
    "a diverged run says nothing about the machine's speed or correctness until it trains: lower the learning "
    "rate, check the input scaling and labels, and for float16 use loss scaling; then time it again")
LOG_STOPPED = catalogue.define(
    "DLR-LOG-STOPPED", "the training run stopped with an error",
    "read the quoted error: a CUDA error, an illegal memory access or a crash is the GPU, its driver or the "
    "framework's CUDA build failing (re-run with CUDA_LAUNCH_BLOCKING=1 to see the call, check dmesg for Xid "
    "lines); out of memory: a smaller batch or model; the script's own exception: its own bug, the epochs "
    "before it are still read")
LOG_FALLBACK = catalogue.alias("DLR-LOG-FALLBACK", "DLR-SPEED-GPU-ON-CPU", "the log says the framework fell back to the CPU",
    "install the GPU build of the framework and a driver/toolkit it supports, then re-run "
    "(see the quoted line for what it could not load)",
)


def training_log_findings(parsed: Dict[str, Any]) -> List[Finding]:
    """No epochs is a FAIL (a run counted in steps a SKIP that says so); a log cut mid-epoch a WARN; each fallback
    line a WARN quoting it."""
    source = parsed.get("source") or "the log"
    check = f"training log {source}"
    findings: List[Finding] = []
    epochs = parsed.get("epochs") or []
    wall = (parsed.get("time") or {}).get("real")
    if not epochs and wall is not None:  # a `time` block alone: a replay judges the run from its wall time
        block = parsed["time"]
        findings.append(Finding(check, Status.PASS, f"{source} holds a `time` block and no epochs: real {wall:g} s"
                                + "".join(f", {k} {block[k]:g} s" for k in ("user", "sys") if block.get(k) is not None)
                                + " (a replay judges the run from its wall time)", code=LOG_TIME_ONLY,
                                observed=dict(block)))
    elif not epochs and parsed.get("steps"):  # a run counted in steps, iterations or rounds (boosting, darknet, spaCy)
        steps = parsed["steps"]
        span = (f", {steps['first']} to {steps['last']}" if steps.get("first") is not None and steps.get("last") != steps.get("first")
                else f", at {steps['first']}" if steps.get("first") is not None else "")
        findings.append(Finding(check, Status.SKIP, f"{source} counts its training in steps or iterations ({steps['lines']} "
                                f"line(s){span}), not epochs: there is no epoch to time", code=LOG_STEPS_ONLY,
                                fix=catalogue.fix_for(LOG_STEPS_ONLY), observed=dict(steps)))
    if not epochs and wall is None and parsed.get("banners"):
        # a framework's startup log (also above a run counted in steps): what it says about the device
        device = parsed.get("device_used") or "an unstated device"
        name = f" ({parsed['device_name']})" if parsed.get("device_name") else ""
        cudnn = parsed.get("cudnn")
        findings.append(Finding(check, Status.PASS if str(device).startswith(("cuda", "gpu", "mps", "rocm")) else Status.WARN,
                                (f"{source} has no finished epoch: " if parsed.get("truncated") else
                                 f"{source}, trained in steps: " if parsed.get("steps") else
                                 f"{source} is a startup log without epochs: ") + f"{parsed.get('backend') or 'the framework'} "
                                f"uses {device}{name}"
                                + ("" if cudnn is None else (", cuDNN on" if cudnn else ", cuDNN off"))
                                + f" ({len(parsed['banners'])} startup line(s) read)", code=LOG_STARTUP,
                                fix="" if str(device).startswith(("cuda", "gpu", "mps", "rocm")) else catalogue.fix_for(LOG_STARTUP),
                                observed={k: parsed.get(k) for k in ("backend", "device_used", "device_name", "cudnn")}))
    elif not epochs and not parsed.get("steps") and wall is None:
        findings.append(Finding(check, Status.FAIL, f"no training epochs found in {source}", code=LOG_NO_EPOCHS,
                                fix=catalogue.fix_for(LOG_NO_EPOCHS), observed={"lines": parsed.get("lines")}))
    if epochs:
        findings.append(_epochs_finding(parsed, epochs, source, check))
        nan_at = parsed.get("loss_nan_epoch")
        if nan_at is not None:
            where = f" from epoch {nan_at}" if nan_at else ""
            findings.append(Finding(check, Status.WARN, f"{source}: the loss is NaN{where}: training diverged",
                                    code=LOG_NAN, fix=catalogue.fix_for(LOG_NAN), observed={"epoch": nan_at or None}))
    stopped = _stopped_finding(parsed, epochs, source, check)
    if stopped:
        findings.append(stopped)
    elif parsed.get("truncated"):
        findings.append(Finding(check, Status.WARN, f"{source} ends in the middle of an epoch; "
                                f"{len(epochs)} complete epoch(s) used", code=LOG_TRUNCATED,
                                fix=catalogue.fix_for(LOG_TRUNCATED), observed={"epochs": len(epochs)}))
    findings.extend(_fallback_findings(parsed.get("banners") or [], check))
    return findings


def _stopped_finding(parsed: Dict[str, Any], epochs: List[Dict[str, Any]], source: str,
                     check: str) -> Optional[Finding]:
    """The error that ended the run, judged: a GPU fault is a FAIL; out of memory, a ^C or the script's own
    exception a WARN (the epochs before it still count). None when the run did not stop on an error."""
    error = parsed.get("error")
    if not isinstance(error, Mapping) and parsed.get("stopped_by_hand"):  # a ^C echo, no traceback printed
        error = {"name": "KeyboardInterrupt", "message": "^C", "lineno": parsed["stopped_by_hand"]}
    if not isinstance(error, Mapping):
        return None
    name = str(error.get("name") or "")
    said = str(error.get("line") or error.get("message") or name).strip()[:300]
    where = (f" after {len(epochs)} finished epoch(s)" if epochs else " before the first epoch finished") + (
        f" (line {error['lineno']})" if error.get("lineno") else "")
    observed = {"error": name or None, "message": said, "lineno": error.get("lineno"), "epochs": len(epochs)}
    if name == "KeyboardInterrupt":
        how = "^C" if error.get("message") == "^C" else "KeyboardInterrupt"
        return Finding(check, Status.WARN, f"{source}: the run was stopped by hand ({how}){where}",
                       code=LOG_STOPPED, fix="let the run finish before judging it; the epochs before the stop "
                       "are read", observed=observed)
    if name == "out-of-memory":
        return Finding(check, Status.WARN, f"{source}: the run ran out of GPU memory{where}: {said}",
                       code=LOG_STOPPED, fix=catalogue.fix_for(frameworks.FW_OOM), observed=observed)
    # the run ended on it, so an E-level line's words count too ("Could not create cudnn handle: CUDNN_STATUS_...")
    if frameworks.gpu_fault(error) or (name == "logged-error" and frameworks.GPU_FAULT.search(said)):
        return Finding(check, Status.FAIL, f"{source}: the run stopped on a GPU error{where}: {said}",
                       code=LOG_STOPPED, fix=catalogue.fix_for(LOG_STOPPED), observed=observed)
    return Finding(check, Status.WARN, f"{source}: the run stopped with an error{where}: {said}",
                   code=LOG_STOPPED, fix=catalogue.fix_for(LOG_STOPPED), observed=observed)


def _epochs_finding(parsed: Dict[str, Any], epochs: List[Dict[str, Any]], source: str, check: str) -> Finding:
    """What the epochs say: how many, in which format, their median time, and the device the log names."""
    timed = [e["seconds"] for e in epochs if isinstance(e.get("seconds"), (int, float))]
    formats = ", ".join(parsed.get("formats") or []) or "epochs"
    median = parsed.get("median_epoch_seconds")
    if timed and median is not None:
        spread = f" ({min(timed):.3g}-{max(timed):.3g} s)" if f"{min(timed):.3g}" != f"{max(timed):.3g}" else ""
        times = f", median {median:.3g} s per epoch{spread}"
    else:
        times = " (the log prints no epoch times)"
    device = parsed.get("device_used")
    name = f" ({parsed['device_name']})" if parsed.get("device_name") else ""
    on = f", on {device}{name}" if device else ""
    return Finding(check, Status.PASS, f"{source}: {len(epochs)} epoch(s) read ({formats}){times}{on}",
                   code=LOG_EPOCHS, observed={"epochs": len(epochs), "timed": len(timed), "formats": parsed.get("formats"),
                                              "device_used": device or None})


def _fallback_findings(banners: List[Dict[str, Any]], check: str) -> List[Finding]:
    """A WARN per fallback line: the log itself says no GPU was used."""
    out = []
    for b in banners:
        if b.get("fallback") or b.get("partial_fallback"):
            out.append(Finding(check, Status.WARN, f"the log says it fell back to the CPU: {b['line']}",
                               code=catalogue.canonical(LOG_FALLBACK), fix=catalogue.fix_for(LOG_FALLBACK),
                               observed={"line": b["line"], "lineno": b["lineno"], "kind": b["kind"]}))
    return out


# -- dispatch ----------------------------------------------------------------------------------
BY_KIND: Dict[str, Tuple[str, Callable[[Dict[str, Any]], List[Finding]]]] = {
    "deviceQuery": ("deviceQuery", devicequery_findings),
    "bandwidthTest": ("bandwidthTest", bandwidthtest_findings),
    "nvidia-smi": ("nvidia-smi", nvidia_smi_findings),
    "nvcc": ("nvcc", nvcc_findings),
    "kextstat": ("CUDA kext", kextstat_findings),
    "system_profiler": ("Mac GPU", system_profiler_findings),
    "pmset": ("macOS energy settings", pmset_findings),
    "training-log": ("training log", training_log_findings),
    "framework-log": ("framework log", frameworks.framework_findings),
}


def findings(parsed: Mapping[str, Any]) -> List[Finding]:
    """The findings of one parsed tool output, by its ``kind`` (unknown text: a FAIL saying so)."""
    kind = parsed.get("kind")
    if kind not in BY_KIND:
        first = str(parsed.get("first_line") or "")
        return [Finding("parse", Status.FAIL,
                        f"not recognised as the output of a supported tool (first line: {first[:120]!r})",
                        code=PARSE_UNKNOWN, fix=catalogue.fix_for(PARSE_UNKNOWN),
                        observed={"scores": dict(parsed.get("scores") or {})})]
    check, judge = BY_KIND[str(kind)]
    if parsed.get("parse_error"):
        if kind == "training-log":
            source = parsed.get("source") or "the log"
            return [Finding(f"training log {source}", Status.FAIL, f"could not read {source}: {parsed['parse_error']}",
                            code=LOG_NO_EPOCHS)]
        return [Finding(check, Status.FAIL, f"the {kind} parser stopped: {parsed['parse_error']}",
                        code=PARSE_INTERNAL, fix=catalogue.fix_for(PARSE_INTERNAL))]
    return judge(dict(parsed))


def read(text: Any, kind: Optional[str] = None, source: Optional[str] = None) -> Dict[str, Any]:
    """Identify (unless ``kind`` is given), parse and judge ``text``: the fields plus ``findings``.

    ``source`` (a file name) is what findings call the text instead of "the log".
    """
    from ..parsers.identify import parse_any

    result = parse_any(text, kind)
    if source and result.get("source") in (None, "", "the log", "log"):
        result["source"] = source
    if result.get("kind") in ("framework-log", "training-log") and "evidence" in result:
        usable, deciding = frameworks.gpu_usable(result)
        result["gpu_usable"] = usable
        result["gpu_usable_because"] = deciding.get("line") if deciding else None
    result["findings"] = [f.to_dict() for f in findings(result)]
    return result
