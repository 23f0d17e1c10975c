"""Can the framework use the GPU? Judged from what a framework log says (``parsers.framework_log``).

The parser lists the evidence, line by line: a device created or selected (``used``), a GPU
the build refuses (``rejected``: TensorFlow's minimum compute capability, PyTorch's
``sm_86 is not compatible``), or a line that says the GPU is not used (``none``: a CUDA
library that cannot be loaded, no driver, a CPU-only build, a fallback to the CPU). The
verdict is the last decisive line, read in log order, with two rules: a GPU that was
refused stays refused when the same framework later says "CUDA available" (PyTorch
still reports True when it has no kernels for the GPU), and a log that says nothing either
way is *unknown* (a SKIP), never a FAIL.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from .. import catalogue
from ..results import Finding, Status
from . import compat

FW_GPU = catalogue.define("DLR-FW-OK", "the framework uses the GPU", "")
FW_UNSUPPORTED = catalogue.define(
    "DLR-FW-GPU-UNSUPPORTED", "the framework build refuses this GPU (compute capability)",
    "install a framework build that includes this GPU's architecture (PyTorch: a wheel from "
    "https://download.pytorch.org/whl/ for a CUDA version that knows the GPU, e.g. cu128 for sm_120; TensorFlow: "
    "a release whose minimum compute capability is at or below the GPU's), or for an old GPU an older release "
    "that still supports it (or build the framework from source for that capability)")
FW_MISSING_LIBRARY = catalogue.define(
    "DLR-FW-MISSING-LIB", "the framework could not load a CUDA/cuDNN library",
    "install the CUDA runtime / cuDNN version the framework was built for and put its folder on the loader path "
    "(Windows: PATH; Linux: LD_LIBRARY_PATH or ldconfig); the library name says which version it wants")
FW_NO_DRIVER = catalogue.define(
    "DLR-FW-NO-DRIVER", "the framework found no usable NVIDIA driver or device",
    "install an NVIDIA driver at least as new as the framework's CUDA needs, reboot, and check nvidia-smi; "
    "in a container start it with --gpus all; check CUDA_VISIBLE_DEVICES is not empty")
FW_CPU_BUILD = catalogue.define(
    "DLR-FW-CPU-BUILD", "the framework is a CPU-only build",
    "install the CUDA build: PyTorch from https://download.pytorch.org/whl/cuXYZ (pip install torch --index-url ...), "
    "JAX with pip install -U \"jax[cuda12]\", TensorFlow with pip install \"tensorflow[and-cuda]\" on Linux/WSL2 "
    "(native Windows: tensorflow-gpu/tensorflow <= 2.10)")
FW_CPU = catalogue.define(
    "DLR-FW-CPU", "the framework runs on the CPU",
    "read the framework's lines before the quoted one for why (driver, CUDA libraries, device flags such as "
    "Theano's device=cuda, CNTK's try_set_default_device, gnumpy's cudamat import)")
FW_CUDNN_OFF = catalogue.define(
    "DLR-FW-CUDNN-OFF", "the GPU is used without cuDNN",
    "install the cuDNN version that matches the framework's CUDA and put it on the loader path; convolutions "
    "without cuDNN are many times slower")
FW_ERROR = catalogue.define(
    "DLR-FW-ERROR", "the framework stopped with an error",
    "read the quoted error: a SyntaxError in gnumpy/cudamat/gdbn means Python 2 code under Python 3 (run it with "
    "Python 2.7, e.g. pytest-dlready's legacy stack); a CUDA error from cudamat/pygpu means its CUDA libraries, the "
    "driver or the device (check nvidia-smi and the toolkit version it was built with)")
FW_OOM = catalogue.define(
    "DLR-FW-OOM", "the framework uses the GPU and ran out of its memory",
    "the GPU works: the job does not fit. Use a smaller batch or model (or mixed precision), free the memory other "
    "processes hold (nvidia-smi lists them), and for PyTorch fragmentation set "
    "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True")
FW_UNDECIDED = catalogue.define(
    "DLR-FW-UNDECIDED", "the log does not say whether the GPU is used",
    "paste the whole start-up output (TF_CPP_MIN_LOG_LEVEL=0), or run python -m torch.utils.collect_env / "
    "python -c \"import jax; print(jax.devices())\"")


def _key(e: Dict[str, Any]) -> Optional[str]:
    return e.get("index") if e.get("index") is not None else (" ".join(str(e.get("name")).split()) if e.get("name") else None)


def gpu_usable(parsed: Dict[str, Any]) -> Tuple[Optional[bool], Optional[Dict[str, Any]]]:
    """(True / False / None for unknown, the deciding evidence) from a parsed framework log."""
    state: Optional[bool] = None
    deciding: Optional[Dict[str, Any]] = None
    refused: set = set()
    torch_refused = False
    found: Optional[Dict[str, Any]] = None  # TensorFlow's "Found device N with properties": found, not yet used
    for e in sorted(parsed.get("evidence") or [], key=lambda x: x.get("lineno", 0)):
        kind = e.get("gpu")
        if kind == "rejected":
            refused.add(_key(e))
            torch_refused = torch_refused or e.get("backend") == "pytorch"
            state, deciding = False, e
        elif kind == "none":
            state, deciding = False, e
        elif kind == "used":
            if e.get("backend") == "pytorch" and torch_refused and (_key(e) is None or _key(e) in refused):
                continue  # PyTorch says "available" for a GPU it has no kernels for
            if _key(e) is not None and _key(e) in refused:
                continue
            state, deciding = True, e
        elif kind == "found" and e.get("kind") == "tf-properties" and found is None:
            found = e
    if state is None and found is not None:
        # TensorFlow found the GPU with its properties and nothing after says it cannot use it (a paste cut before
        # its "Created TensorFlow device" line)
        state, deciding = True, found
    return state, deciding


_CUDART = re.compile(r"cudart64_(\d+)\.dll|libcudart\.so\.(\d+(?:\.\d+)?)", re.I)
_CUDNN = re.compile(r"cudnn(?:64|_\w+64)?_(\d+)\.dll|libcudnn(?:_\w+)?\.so\.(\d+)", re.I)


def library_hint(library: str) -> str:
    """What a missing library's name says about the version wanted ('' when it says nothing)."""
    m = _CUDART.search(library or "")
    if m:
        digits = m.group(1) or m.group(2)
        version = digits if "." in digits else (f"{digits[:-1]}.{digits[-1]}" if len(digits) >= 3 else digits)
        if m.group(1) and len(digits) == 3 and digits.endswith("0") and int(digits[:-1]) >= 11:
            version = f"{digits[:-1]}.x"  # cudart64_110.dll is every CUDA 11 release's runtime
        return f"{library} is the CUDA {version} runtime"
    m = _CUDNN.search(library or "")
    if m:
        return f"{library} is cuDNN {m.group(1) or m.group(2)}"
    return ""


def driver_too_old(parsed: Dict[str, Any]) -> Optional[str]:
    """collect_env's own numbers: a driver older than the CUDA this build was made with needs, said in words."""
    env = parsed.get("collect_env") or {}
    built, driver = env.get("CUDA used to build PyTorch"), env.get("Nvidia driver version")
    if not built or not driver:
        return None
    os_name = "windows" if "windows" in str(env.get("OS") or "").lower() else "linux"
    needed = compat.min_driver(str(built), os_name)
    have, want = compat.parse_version(driver), compat.parse_version(needed)
    if not have or not want or have >= want:
        return None
    return f"the NVIDIA driver {driver} is older than this build's CUDA {built} needs ({needed} or newer on {os_name})"


NO_DEVICE = re.compile(r"no CUDA-capable device|CUDA_ERROR_NO_DEVICE|error=(?:38|100)\b", re.I)
#: JAX's reason for not starting CUDA names a library of the wrong version ("Found cuDNN version 8600, but JAX was
#: built against version 8906", "Outdated cuDNN installation found", "Found cuSOLVER version 11002")
LIBRARY_CAUSE = re.compile(r"Found cu[A-Za-z]+ version \d+|Outdated cu[A-Za-z]+ installation|cu[A-Za-z]+ (?:library )?was not found",
                           re.I)


def _error_hint(error: Dict[str, Any]) -> str:
    """What an error's own words say about the cause ('' when they say nothing more)."""
    message = str(error.get("message") or "")
    if error.get("name") == "syntax-error" and "print" in message:
        return " (Python 2 code run by Python 3: this package needs Python 2.7)"
    if NO_DEVICE.search(message):
        return " (no CUDA device visible: driver not loaded, CUDA_VISIBLE_DEVICES, or a container without --gpus)"
    return ""


def _gpu_text(gpu: Dict[str, Any]) -> str:
    cc = f", compute capability {gpu['compute_capability']}" if gpu.get("compute_capability") else ""
    return f"{gpu.get('name')}{cc}"


def _gpus_text(gpus: List[Dict[str, Any]]) -> str:
    """The GPUs in order, a run of one model said once with its count: "16 x Tesla K80"."""
    texts = [_gpu_text(g) for g in gpus]
    runs: List[List[Any]] = []
    for text in texts:
        if runs and runs[-1][0] == text:
            runs[-1][1] += 1
        else:
            runs.append([text, 1])
    return ", ".join(text if count == 1 else f"{count} x {text}" for text, count in runs)


GPU_FAULT = re.compile(r"CUDA|cuDNN|CUBLAS|NCCL|\bGPU\b|illegal memory access|\bdevice\b", re.I)


def gpu_fault(error: Dict[str, Any]) -> bool:
    """An error that ended a run on the GPU (not the script's own bug, not a harmless E-level log line)."""
    if error.get("name") in ("crash", "fatal", "cuda-error", "cuda-status", "nccl-error"):
        return True
    return error.get("name") != "logged-error" and bool(GPU_FAULT.search(str(error.get("message") or "")))


#: the next step in a framework's own words, after the code's general fix, for the frameworks beyond the ones its
#: text names (what each project's install docs say)
_GPU_PACKAGE = {
    "onnxruntime": "ONNX Runtime: the GPU package is onnxruntime-gpu (with onnxruntime also installed, the CPU one wins: "
                   "uninstall both, install onnxruntime-gpu); each release needs the CUDA and cuDNN major versions of the "
                   "CUDA execution provider's requirements table, on Windows with their bin folders on PATH; "
                   "onnxruntime.get_available_providers() must list CUDAExecutionProvider",
    "paddle": "PaddlePaddle: the GPU build is the paddlepaddle-gpu package (paddlepaddle is CPU-only); "
              "python -c \"import paddle; paddle.utils.run_check()\" tests it",
    "mxnet": "MXNet: the GPU builds are the mxnet-cuXXX packages (e.g. mxnet-cu112 for CUDA 11.2), matching the CUDA installed",
    "numba": "Numba: numba -s shows the CUDA driver and toolkit it found; it needs the driver's libcuda "
             "(NUMBA_CUDA_DRIVER names one elsewhere) and a CUDA toolkit's NVVM (conda cudatoolkit / cuda-nvcc, or pip numba-cuda)",
    "tensorrt": "TensorRT: install the CUDA and cuDNN versions its release was built against (its support matrix), or the "
                "TensorRT release built for the installed ones",
    "ggml": "llama.cpp: a CUDA build (cmake -B build -DGGML_CUDA=ON; llama-cpp-python: CMAKE_ARGS=\"-DGGML_CUDA=on\" "
            "pip install llama-cpp-python), with layers offloaded (-ngl / n_gpu_layers)",
    "nd4j": "ND4J: the nd4j-cuda-X.Y backend on the classpath must match the installed CUDA version (with only nd4j-native "
            "there it runs on the CPU)",
    "cupy": "CuPy: install the wheel for the installed CUDA (cupy-cuda12x, cupy-cuda11x); cupy.show_config() says what it found",
}
#: a run that asked for the CPU itself: its fix is to ask for the GPU, whatever the framework
_ASKED_CPU = {
    "gpu-minus-one": "the run was started with GPU -1, which asks for the CPU: start it with the GPU's index (Chainer's "
                     "examples: -g 0; pix2pix: --gpu_ids 0)",
    "mxnet-cpu-context": "the run was started on MXNet's CPU context: start it on the GPU (the image-classification "
                         "examples: --gpus 0; in code, ctx=mx.gpu(0)) with a CUDA build of MXNet (mxnet-cuXXX)",
}


def _fix(code: str, framework: Optional[str], kind: Optional[str]) -> str:
    """The code's fix, with the framework's own next step where the general text does not name that framework."""
    if kind in _ASKED_CPU:
        return _ASKED_CPU[str(kind)]
    own = _GPU_PACKAGE.get(str(framework or ""))
    general = catalogue.fix_for(code)
    return f"{general}. {own}" if own and code != FW_OOM else general


def framework_findings(parsed: Dict[str, Any]) -> List[Finding]:
    """The framework log's verdict as findings: PASS (GPU used), FAIL with the reason and a fix, or SKIP."""
    source = parsed.get("source") or "the log"
    framework = parsed.get("framework") or "the framework"
    check = f"framework log {source}"
    usable, e = gpu_usable(parsed)
    gpus = parsed.get("gpus") or []
    missing = parsed.get("missing_libraries") or []
    observed = {"framework": parsed.get("framework"), "gpu_usable": usable,
                "gpus": [g.get("name") for g in gpus], "missing_libraries": missing,
                "line": e.get("line") if e else None}
    error = parsed.get("error") or {}
    # error-level lines that stop nothing: TF 2.14+ prints "Unable to register cuDNN/cuFFT/cuBLAS factory ... already
    # been registered" at every start (several plugins register the same factory); said, never judged
    noise = [p for p in parsed.get("errors_printed") or [] if p.get("name") == "duplicate-registration"]
    aside = (f" ({len(noise)} E-level 'Unable to register ... factory' line{'s' if len(noise) > 1 else ''}: "
             f"TensorFlow 2.14+ start-up noise, harmless)") if noise else ""
    if usable is None and error:  # it stopped before saying anything about the device
        return [Finding(check, Status.FAIL, f"{framework} stopped with an error{_error_hint(error)}: "
                        f"{error.get('message') or error.get('name')}"[:400],
                        code=FW_ERROR, fix=_fix(FW_ERROR, parsed.get("framework"), None), observed=observed)]
    if usable is None:
        return [Finding(check, Status.SKIP, f"{source}: {framework} output that does not say whether the GPU is used{aside}",
                        code=FW_UNDECIDED, fix=catalogue.fix_for(FW_UNDECIDED), observed=observed)]
    assert e is not None
    out: List[Finding] = []
    if usable:
        used = [g for g in gpus if not g.get("rejected")]
        named = _gpus_text(used) or "a GPU"
        cudnn = f", cuDNN {parsed['cudnn_version']}" if parsed.get("cudnn_version") else ""
        out.append(Finding(check, Status.PASS, f"{framework} uses the GPU: {named}{cudnn} ({e['line'][:160]}){aside}",
                           code=FW_GPU, observed=observed))
        if parsed.get("cudnn") is False:
            out.append(Finding(check, Status.WARN, f"{framework} uses the GPU without cuDNN", code=FW_CUDNN_OFF,
                               fix=catalogue.fix_for(FW_CUDNN_OFF), observed=observed))
        if error.get("name") == "out-of-memory":
            out.append(Finding(check, Status.WARN, f"{framework} ran out of GPU memory: {error.get('message')}",
                               code=FW_OOM, fix=catalogue.fix_for(FW_OOM), observed=observed))
        elif error and gpu_fault(error):
            # the GPU was taken, then the run died on it: an illegal memory access, a crash, a CUDA/NCCL error
            out.append(Finding(check, Status.FAIL, f"{framework} used the GPU, then stopped with an error{_error_hint(error)}: "
                               f"{error.get('message') or error.get('name')}"[:400],
                               code=FW_ERROR, fix=catalogue.fix_for(FW_ERROR), observed=observed))
        return out
    kind = e.get("kind")
    if e.get("gpu") == "rejected":
        gpu = next((g for g in gpus if g.get("rejected")), {"name": e.get("name")})
        minimum = f" below the minimum {gpu['minimum']}" if gpu.get("minimum") else ""
        supported = parsed.get("supported_architectures")
        builds = f"; this build supports {' '.join(supported)}" if supported else ""
        message = (f"{framework} refuses {gpu.get('name') or 'the GPU'}"
                   f"{' (compute capability ' + gpu['compute_capability'] + minimum + ')' if gpu.get('compute_capability') else ''}"
                   f"{builds}: {e['line'][:200]}")
        code = FW_UNSUPPORTED
    elif kind in ("tf-cudnn-mismatch", "jax-cudnn-too-old", "cuda-library-not-found") or (
            kind == "jax-cuda-failed" and LIBRARY_CAUSE.search(str((e.get("cause") or {}).get("message")))):
        why = ((e.get("error") or e.get("cause") or {}).get("message")
               or "a CUDA library it needs is missing or the wrong version")
        message = f"{framework} cannot use the GPU: {why}: {e['line'][:200]}"
        code = FW_MISSING_LIBRARY
    elif e.get("library") or kind == "dlopen-failed":
        hints = [h for h in (library_hint(lib) for lib in missing) if h]
        message = (f"{framework} could not load {', '.join(missing) or 'a CUDA library'}, so it does not use the GPU"
                   + (f" ({'; '.join(hints)})" if hints else "") + f": {e['line'][:200]}")
        code = FW_MISSING_LIBRARY
    elif e.get("cpu_build") or kind in ("torch-cpu-build",) or "jaxlib is not installed" in e.get("line", ""):
        message = f"{framework} is a CPU-only build: {e['line'][:200]}"
        code = FW_CPU_BUILD
    elif kind == "cudamat-error" and not NO_DEVICE.search(str((e.get("error") or {}).get("message"))):
        message = f"{framework} (cudamat) stopped with a CUDA error, so it does not use the GPU: {e['line'][:200]}"
        code = FW_ERROR
    elif kind in ("cuinit-failed", "torch-cuda-init", "cuda-driver-too-old", "cudamat-error", "cntk-invalid-gpu",
                  "cuda-runtime-error", "cuda-status-error"):
        error = parsed.get("error") or e.get("cause") or {}
        detail = f" ({error.get('name')})" if error.get("name") else ""
        message = f"{framework} found no usable GPU driver or device{detail}: {e['line'][:200]}"
        code = FW_NO_DRIVER
    elif driver_too_old(parsed):
        message = f"{framework} cannot use the GPU: {driver_too_old(parsed)} ({e['line'][:120]})"
        code = FW_NO_DRIVER
    elif kind == "theano-no-gpu" and e.get("error"):
        message = (f"{framework} could not start the GPU ({e['error'].get('message')}) and runs on the CPU: "
                   f"{e['line'][:200]}")
        code = FW_CPU
    else:
        says = f" ({e['says']})" if e.get("says") else ""
        message = f"{framework} runs on the CPU{says}: {e['line'][:200]}"
        code = FW_CPU
    out.append(Finding(check, Status.FAIL, message, code=code, fix=_fix(code, parsed.get("framework"), kind),
                       observed=observed))
    return out
