"""OS, Python, numpy/BLAS and environment-variable checks."""
from __future__ import annotations

from typing import Any, List, Mapping

from ..facts import lookup
from . import guard
from ..catalogue import define
from ..results import Finding, fail, passed, skip, warn
from . import compat

OS_MACOS_NO_CUDA = define("DLR-OS-MACOS-CUDA-END", "macOS beyond NVIDIA CUDA's last release",
                          "CUDA 10.2 was the last toolkit for macOS (10.13 High Sierra); use Apple's GPU through PyTorch MPS or keras/jax Metal, or train on Linux")
OS_MACOS_OLD = define("DLR-OS-MACOS-OLD", "macOS older than the CUDA minimum",
                      "CUDA 6.5 needs OS X 10.8 or later: update macOS")
PY_32BIT = define("DLR-PY-32BIT", "32-bit Python", "install a 64-bit Python: no GPU framework ships 32-bit builds")
NP_MISSING = define("DLR-NUMPY-MISSING", "numpy not installed", "pip install numpy")
BLAS_SLOW = define("DLR-BLAS-UNOPTIMISED", "CPU BLAS is not an optimised one",
                   "install numpy from PyPI or conda (OpenBLAS/MKL/Accelerate) instead of a reference-BLAS build")
BLAS_CORETYPE = define("DLR-BLAS-CORETYPE", "OpenBLAS forced to an older CPU kernel",
                       "unset OPENBLAS_CORETYPE (and OPENBLAS_L2_SIZE) unless this OpenBLAS crashes without it; the CPU baseline is slower while it is set")
ENV_DCGM = define("DLR-ENV-DEBUG-VARS", "CUDA debugging/profiling variables set",
                  "unset these variables for training and benchmarking (DCGM's software diagnostic fails a node on them)")
ENV_LAUNCH_BLOCKING = define("DLR-ENV-LAUNCH-BLOCKING", "CUDA_LAUNCH_BLOCKING set",
                             "unset CUDA_LAUNCH_BLOCKING: it serialises every kernel launch")
ENV_HIDDEN = define("DLR-ENV-GPUS-HIDDEN", "CUDA_VISIBLE_DEVICES hides every GPU",
                    "unset CUDA_VISIBLE_DEVICES or list the GPUs to use, e.g. CUDA_VISIBLE_DEVICES=0")

DCGM_VARS = ("NSIGHT_CUDA_DEBUGGER", "CUDA_INJECTION32_PATH", "CUDA_INJECTION64_PATH", "CUDA_AUTO_BOOST",
             "CUDA_ENABLE_COREDUMP_ON_EXCEPTION", "CUDA_COREDUMP_FILE", "CUDA_DEVICE_WAITS_ON_EXCEPTION",
             "CUDA_PROFILE", "COMPUTE_PROFILE", "OPENCL_PROFILE")


@guard('operating system')
def check_os(facts: Mapping[str, Any]) -> List[Finding]:
    host = lookup(facts, "host", {}) or {}
    name = host.get("os")
    if name == "linux":
        distro = (host.get("distro") or {}).get("pretty_name") or host.get("os_name", "Linux")
        return [passed("operating system", f"{distro}, kernel {host.get('os_version', '?')} ({host.get('machine', '?')})")]
    if name == "macos":
        version = compat.parse_version(host.get("mac_ver") or host.get("os_version"))
        text = host.get("mac_ver") or host.get("os_version") or "?"
        if host.get("machine") == "arm64":
            return [warn("operating system", f"macOS {text} on Apple silicon: no NVIDIA CUDA; the GPU is reached through Metal (PyTorch MPS)",
                         code=OS_MACOS_NO_CUDA, fix="use torch's 'mps' device or jax-metal; CUDA checks do not apply")]
        if version and version[:2] < (10, 8):
            return [fail("operating system", f"macOS {text} is older than OS X 10.8, the minimum of CUDA 6.5", code=OS_MACOS_OLD,
                         fix=compat_fix(OS_MACOS_OLD))]
        if version and (version[0] > 10 or version[:2] > (10, 13)):
            return [warn("operating system", f"macOS {text}: NVIDIA's CUDA ended with toolkit 10.2 on macOS 10.13; newer macOS has no NVIDIA CUDA driver",
                         code=OS_MACOS_NO_CUDA, fix=compat_fix(OS_MACOS_NO_CUDA))]
        return [passed("operating system", f"macOS {text} ({host.get('machine', '?')}); CUDA on macOS ends with toolkit 10.2 — this macOS is within its range")]
    if name == "windows":
        ver = host.get("win_ver") or []
        text = " ".join(str(v) for v in ver[:2] if v) or host.get("os_version", "?")
        return [passed("operating system", f"Windows {text} ({host.get('machine', '?')})")]
    return [skip("operating system", f"unrecognised operating system {name!r}; only Linux, macOS and Windows are judged")]


def compat_fix(code: str) -> str:
    from ..catalogue import fix_for

    return fix_for(code)


@guard('python')
def check_python(facts: Mapping[str, Any]) -> List[Finding]:
    py = lookup(facts, "python", {}) or {}
    if py.get("bits") == 32:
        return [fail("python", f"Python {py.get('version')} is a 32-bit build", code=PY_32BIT, fix=compat_fix(PY_32BIT))]
    return [passed("python", f"{py.get('implementation', 'Python')} {py.get('version', '?')} {py.get('bits', '?')}-bit at {py.get('executable', '?')}")]


@guard('numpy / CPU BLAS')
def check_numpy_blas(facts: Mapping[str, Any]) -> List[Finding]:
    np = lookup(facts, "numpy", {}) or {}
    env = lookup(facts, "env.vars", {}) or {}
    if not np.get("installed"):
        return [fail("numpy / CPU BLAS", "numpy is not installed in the target Python; the CPU baseline cannot run",
                     code=NP_MISSING, fix=compat_fix(NP_MISSING))]
    if np.get("error"):
        return [fail("numpy / CPU BLAS", f"numpy {np.get('version', '')} does not import cleanly: {np['error']}", code=NP_MISSING,
                     fix="reinstall numpy: pip install --force-reinstall numpy")]
    blas = np.get("blas") or {}
    vendor = (blas.get("vendor") or "unknown").lower()
    desc = f"numpy {np.get('version')} with {vendor}"
    if blas.get("version"):
        desc += f" {blas['version']}"
    extras = []
    if blas.get("architecture"):
        extras.append(f"{blas['architecture']} kernel")
    if blas.get("threads"):
        extras.append(f"{blas['threads']} threads")
    if extras:
        desc += " (" + ", ".join(extras) + ")"
    blas_env = {k: v for k, v in env.items() if k.startswith(("OPENBLAS_", "MKL_", "OMP_", "VECLIB_"))}
    observed = {"blas": blas, "blas_env": blas_env}
    findings = []
    if vendor in ("unknown", "blas", "reference", "none", "") and not blas.get("threads"):
        findings.append(warn("numpy / CPU BLAS", f"{desc}: no optimised BLAS detected; CPU baselines will be slow and speedups overstated",
                             code=BLAS_SLOW, fix=compat_fix(BLAS_SLOW), **observed))
    if env.get("OPENBLAS_CORETYPE"):
        findings.append(warn("numpy / CPU BLAS", f"{desc}; OPENBLAS_CORETYPE={env['OPENBLAS_CORETYPE']} forces an older kernel, "
                             "which can halve float32 GEMM: CPU baselines on this machine are slower than they could be",
                             code=BLAS_CORETYPE, fix=compat_fix(BLAS_CORETYPE), **observed))
    if not findings:
        env_text = ", ".join(f"{k}={v}" for k, v in sorted(blas_env.items()))
        findings.append(passed("numpy / CPU BLAS", desc + (f"; {env_text}" if env_text else ""), **observed))
    return findings


@guard('environment variables')
def check_environment(facts: Mapping[str, Any]) -> List[Finding]:
    env = lookup(facts, "env.vars", {}) or {}
    findings = []
    flagged = sorted(k for k in DCGM_VARS if k in env)
    if flagged:
        findings.append(warn("environment variables", "set: " + ", ".join(flagged) + " — these debug/profile CUDA runs and distort timings",
                             code=ENV_DCGM, fix=compat_fix(ENV_DCGM), variables=flagged))
    if env.get("CUDA_LAUNCH_BLOCKING") not in (None, "", "0"):
        findings.append(warn("environment variables", "CUDA_LAUNCH_BLOCKING is set: every kernel launch waits for the GPU, training runs far slower",
                             code=ENV_LAUNCH_BLOCKING, fix=compat_fix(ENV_LAUNCH_BLOCKING)))
    cvd = env.get("CUDA_VISIBLE_DEVICES")
    if cvd is not None and cvd.strip() in ("", "-1", "none", "NoDevFiles"):
        findings.append(fail("environment variables", f"CUDA_VISIBLE_DEVICES={cvd!r} hides every GPU from CUDA programs",
                             code=ENV_HIDDEN, fix=compat_fix(ENV_HIDDEN)))
    if not findings:
        shown = {k: env[k] for k in ("CUDA_VISIBLE_DEVICES", "KERAS_BACKEND", "THEANO_FLAGS") if k in env}
        text = ", ".join(f"{k}={v}" for k, v in shown.items()) or "no CUDA debugging or device-hiding variables set"
        findings.append(passed("environment variables", text))
    return findings
