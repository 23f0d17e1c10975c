"""GPU driver checks, one per vendor: is the driver the GPU needs installed, loaded and new enough.

``check_drivers`` runs the check of each vendor the snapshot calls for: the vendors of the
GPUs found, or NVIDIA's when none was found (the CUDA path is what this tool probes for,
and a missing NVIDIA driver is the usual reason no GPU shows). A vendor without a check
of its own yet (AMD ROCm, Intel, Apple Metal) gets a SKIP that says so, never an NVIDIA
verdict: adding one is a function in ``VENDOR_CHECKS``.

Every fix names the step for the OS the facts came from: a snapshot taken on Windows may
be judged on Linux, so the advice follows the facts, not the judge.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Mapping, Optional

from ..catalogue import define, fix_for
from ..facts import gpu_list, host_os, lookup
from ..results import Finding, fail, passed, skip, warn
from . import compat, guard

DRIVER_MISSING = define("DLR-DRIVER-MISSING", "no NVIDIA driver", "install the NVIDIA driver for your GPU")
DRIVER_OLD = define("DLR-DRIVER-TOO-OLD", "driver older than the toolkit needs",
                    "update the NVIDIA driver, or use a toolkit/framework build made for this driver")
DRIVER_UNKNOWN = define("DLR-DRIVER-VERSION-UNKNOWN", "driver version could not be read", "run nvidia-smi to see why")
NOUVEAU = define("DLR-NOUVEAU", "nouveau driver loaded", "blacklist nouveau and install NVIDIA's driver (DCGM refuses nodes with nouveau)")


def _os(facts: Mapping[str, Any]) -> str:
    return str(host_os(facts) or "linux")


def _first_line(text: str) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def driver_version(facts: Mapping[str, Any]) -> Optional[str]:
    """Driver version from NVML, nvidia-smi's banner or /proc (first that has one)."""
    nvml = lookup(facts, "driver.nvml", {}) or {}
    if nvml.get("driver_version"):
        return str(nvml["driver_version"])
    smi = lookup(facts, "driver.nvidia_smi.record.stdout", "") or ""
    if smi:
        from ..parsers import nvidia_smi

        version = nvidia_smi.parse(str(smi)).get("driver_version")
        if version:
            return str(version)
    proc = lookup(facts, "driver.proc_version", "") or ""
    match = re.search(r"Kernel Module(?: for x86_64)?\s+([\d.]+)", proc)
    return match.group(1) if match else None


def _cuda_kexts(facts: Mapping[str, Any]) -> List[str]:
    """Loaded CUDA kexts as "com.nvidia.CUDA (1.1.0)", read by the kextstat parser."""
    out = lookup(facts, "driver.kextstat.stdout", "") or ""
    if not out:
        return []
    from ..parsers import macos as mac_text

    kexts = mac_text.KEXTSTAT.parse(str(out)).get("kexts") or []
    return [f"{k.get('name')} ({k.get('version')})" for k in kexts if "cuda" in str(k.get("name", "")).lower()]


def _smi_recognised(stdout: str) -> bool:
    """nvidia-smi's own output: a driver version in its table or query output, or its GPU list."""
    if not stdout.strip():
        return False
    from ..parsers import nvidia_smi

    parsed = nvidia_smi.parse(stdout)
    return bool(parsed.get("driver_version") or parsed.get("gpus"))


@guard('NVIDIA driver')
def check_nvidia_driver(facts: Mapping[str, Any]) -> List[Finding]:
    os_name = _os(facts)
    libcuda = lookup(facts, "driver.libcuda", {}) or {}
    nvml = lookup(facts, "driver.nvml", {}) or {}
    smi = lookup(facts, "driver.nvidia_smi", {}) or {}
    smi_rec = smi.get("record") or {}
    toolkit = lookup(facts, "cuda.toolkit_version")
    probe = lookup(facts, "cuda_probe", {}) or {}
    probe_error = probe.get("error") or {}
    findings: List[Finding] = []
    modules = lookup(facts, "driver.kernel_modules", []) or []
    if "nouveau" in modules:
        findings.append(fail("NVIDIA driver", "the open-source nouveau driver is loaded: CUDA cannot use the GPU through it",
                             code=NOUVEAU, fix=fix_for(NOUVEAU)))
    if os_name == "macos":
        kexts = _cuda_kexts(facts)
        if kexts:
            findings.append(passed("NVIDIA driver", "CUDA driver kext loaded: " + kexts[0], kext=kexts))
            return findings
        if libcuda.get("found"):
            findings.append(passed("NVIDIA driver", f"libcuda loads ({libcuda.get('name')}), driver API {compat.cuda_to_text(libcuda['driver_api_version']) if libcuda.get('driver_api_version') else '?'}"))
            return findings
        if lookup(facts, "host.machine") == "arm64":
            return findings + [skip("NVIDIA driver", "Apple silicon Mac: no NVIDIA driver exists for it; use the Metal (MPS) route")]
        findings.append(fail("NVIDIA driver", "no CUDA driver: `kextstat` lists no CUDA kext and libcuda.dylib does not load",
                             code=DRIVER_MISSING, fix="install NVIDIA's CUDA driver package for macOS (CUDA 10.2 or older; macOS ≤ 10.13)"))
        return findings
    version = driver_version(facts)
    # nvidia-smi counts only when it says what nvidia-smi says (a driver version, its banner):
    # a program of that name that exits 0 is not a driver
    smi_recognised = smi_rec.get("returncode") == 0 and _smi_recognised(str(smi_rec.get("stdout") or ""))
    present = bool(libcuda.get("found") or nvml.get("loaded") or smi_recognised)
    if present:
        parts = []
        if version:
            parts.append(f"driver {version}")
        if libcuda.get("driver_api_version"):
            parts.append(f"supports CUDA {compat.cuda_to_text(int(libcuda['driver_api_version']))}")
        if nvml.get("device_count") is not None:
            parts.append(f"NVML sees {nvml['device_count']} GPU(s)")
        findings.append(passed("NVIDIA driver", ", ".join(parts) or "NVIDIA driver present", version=version))
        findings.extend(check_driver_version(facts))
        return findings
    reasons = []
    if libcuda.get("error"):
        reasons.append("libcuda: " + str(libcuda["error"]))
    if nvml.get("error"):
        reasons.append("NVML: " + str(nvml["error"]))
    if smi.get("path") and smi_rec:
        reasons.append("nvidia-smi: " + (_first_line(smi_rec.get("stdout", "")) or _first_line(smi_rec.get("stderr", "")) or smi_rec.get("error", "failed")))
    elif not smi.get("path"):
        reasons.append("nvidia-smi not on PATH")
    message = "no NVIDIA driver (libcuda/NVML not found)"
    if probe_error.get("code") is not None:
        message += (f"; our CUDA probe built with nvcc {toolkit or ''} fails with error {probe_error.get('code')} "
                    f"{probe_error.get('name', '')}: \"{probe_error.get('message', '')}\"").replace("  ", " ")
    fix = {"windows": "install the NVIDIA driver for your GPU from nvidia.com (GeForce/Studio or Data Center driver), then reboot",
           "linux": "install the NVIDIA driver (e.g. apt-get install nvidia-driver, or NVIDIA's .run/cuda-drivers package) and reboot; "
                    "in a container, run it with --gpus all / the NVIDIA container toolkit"}.get(os_name, fix_for(DRIVER_MISSING))
    if not toolkit and not lookup(facts, "devices.gpus"):
        findings.append(skip("NVIDIA driver", message + "; no CUDA toolkit either — NVIDIA GPU checks do not apply",
                             code=DRIVER_MISSING, fix=fix, needs_gpu=True, reasons=reasons))
    else:
        findings.append(fail("NVIDIA driver", message, code=DRIVER_MISSING, fix=fix, reasons=reasons, needs_gpu=True))
    return findings


@guard('driver vs toolkit')
def check_driver_version(facts: Mapping[str, Any]) -> List[Finding]:
    """Driver >= the minimum for the toolkit on PATH (NVIDIA's published table)."""
    toolkit = lookup(facts, "cuda.toolkit_version")
    version = driver_version(facts)
    os_name = _os(facts)
    if not toolkit:
        return []
    if os_name == "macos":
        return []  # the macOS CUDA driver has its own numbering (e.g. 6.5.18); its kext check covers it
    need = compat.min_driver(toolkit, os_name)
    if not version:
        return [warn("driver vs toolkit", f"could not read the driver version to compare with toolkit {toolkit}",
                     code=DRIVER_UNKNOWN, fix=fix_for(DRIVER_UNKNOWN))]
    if not need:
        return [skip("driver vs toolkit", f"no published minimum driver known for CUDA {toolkit}")]
    have_v, need_v = compat.parse_version(version), compat.parse_version(need)
    if have_v < need_v:
        return [fail("driver vs toolkit", f"driver {version} is older than {need}, the minimum for CUDA {toolkit} on {os_name}",
                     code=DRIVER_OLD, fix=f"update the NVIDIA driver to {need} or newer, or install a CUDA toolkit this driver supports",
                     driver=version, minimum=need)]
    return [passed("driver vs toolkit", f"driver {version} ≥ {need}, the minimum for CUDA {toolkit}")]


#: vendor -> its driver check (facts -> findings); vendors not listed get a SKIP saying so
VENDOR_CHECKS: Dict[str, Callable[[Mapping[str, Any]], List[Finding]]] = {"nvidia": check_nvidia_driver}
VENDOR_NAMES = {"nvidia": "NVIDIA", "amd": "AMD", "intel": "Intel", "apple": "Apple"}


def driver_vendors(facts: Mapping[str, Any]) -> List[str]:
    """The vendors whose driver this snapshot is judged for (NVIDIA when no GPU was found)."""
    vendors = []
    for g in gpu_list(facts):
        vendor = str(g.get("vendor") or "").lower()
        if vendor in VENDOR_NAMES and vendor not in vendors:
            vendors.append(vendor)
    return vendors or ["nvidia"]


def check_drivers(facts: Mapping[str, Any]) -> List[Finding]:
    """The driver rows of every vendor the snapshot calls for."""
    out: List[Finding] = []
    for vendor in driver_vendors(facts):
        check = VENDOR_CHECKS.get(vendor)
        if check is None:
            out.append(skip(f"{VENDOR_NAMES[vendor]} driver", f"pytest-dlready has no {VENDOR_NAMES[vendor]} driver check "
                            "yet; the device rows judge whether the GPU is usable"))
        else:
            out.extend(check(facts))
    return out
