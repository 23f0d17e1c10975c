"""The one table of output lines that betray what a training run really did.

A "GPU" run is only a GPU run when its own output does not say otherwise: gnumpy's
``Using npmat instead``, TensorFlow's ``Ignoring visible gpu device``, Theano's ``cuDNN
not available``, JAX's ``falling back to cpu``. The live runner scans a child's output
with this table (``scan``), the log parser tags the same lines in pasted logs
(``log_banners``), and the speedup checks read each line's ``effect`` (``match``): one
table, so the three can never disagree. Reading only: what an effect means for the
verdict is decided in ``checks``. Workload scripts run by path in old interpreters keep
their own copy of the few lines they need.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, List, Optional

#: what a line says happened (``checks.speedup`` judges each)
FALLBACK = "fallback"                  # the run asked for a GPU and computed on the CPU
PARTIAL_FALLBACK = "partial-fallback"  # some operations ran on the CPU
GPU_LOCK = "gpu-lock"                  # gnumpy could not take its gpu_lock
CUDNN_OFF = "cudnn-off"                # cuDNN was not used
LIBRARY = "library"                    # a CUDA/cuDNN library failed to load
FLOAT64 = "float64"                    # float64 data or floatX
UNSUPPORTED = "unsupported-gpu"        # the framework build has no kernels for this GPU

MAX_SIGNALS = 20
MAX_LINE = 2000


@dataclass(frozen=True)
class Signal:
    name: str
    pattern: "re.Pattern[str]"
    effect: str
    says: str       # what the line says, in words (shown beside the quoted line)


def _signal(name: str, pattern: str, effect: str, says: str) -> Signal:
    return Signal(name, re.compile(pattern, re.IGNORECASE), effect, says)


#: First match wins. Lines come from real logs: tests/data/workloads/fallback_lines.txt.
SIGNALS = (
    _signal("gnumpy-fallback", r"gnumpy: failed to import cudamat\. Using npmat instead|No GPU will be used",
            FALLBACK, "gnumpy fell back to npmat: the 'GPU' run used the CPU"),
    _signal("gnumpy-gpu-lock", r"gnumpy: failed to use gpu_lock", GPU_LOCK,
            "gnumpy could not lock a board and used board #0 without knowing whether it was busy"),
    _signal("tf-ignored-gpu", r"Ignoring (?:visible )?gpu device", FALLBACK,
            "TensorFlow ignored a GPU it does not support (compute capability or AMDGPU version too old)"),
    _signal("tf-skip-gpu", r"Skipping registering GPU devices|Cannot dlopen some GPU libraries", FALLBACK,
            "TensorFlow could not load its GPU libraries and runs on the CPU"),
    _signal("tf-no-cuda-drivers", r"Could not find cuda drivers on your machine, GPU will not be used", FALLBACK,
            "TensorFlow found no CUDA driver (libcuda) and runs on the CPU"),
    _signal("tf-no-dml-adapter", r"DirectML device enumeration: found 0 compatible adapters", FALLBACK,
            "TensorFlow-DirectML found no usable GPU adapter and runs on the CPU"),
    _signal("dlopen-failed", r"Could not load dynamic library|Couldn't open CUDA library|"
                             r"\.(?:so(?:\.[\d.]+)?|dylib): cannot open shared object file|Library not loaded: \S*cu|"
                             r"CNTK: Failed to load DLL|"
                             # libgpuarray (Theano's pygpu): 'Could not load "nvrtc64_70.dll": The specified module ...'
                             r"Could not load \"(?:lib)?(?:cu|nv)[\w.+-]*\.(?:so(?:\.[\d.]+)?|dll|dylib)\"|"
                             # a CUDA library found but not loadable: another version's symbols
                             r"\blib(?:cu|nv)[\w+-]*\.so(?:\.[\d.]+)?: (?:undefined symbol|symbol \S+,? version \S+ not defined)",
            LIBRARY, "a CUDA/cuDNN library could not be loaded"),
    _signal("cuinit-failed", r"failed call to cuInit", FALLBACK,
            "the CUDA driver API could not start (no driver, or no device visible)"),
    _signal("theano-no-cudnn", r"Can not use cuDNN on context", CUDNN_OFF, "Theano cannot use cuDNN"),
    _signal("cudnn-not-available", r"cuDNN not available|cuDNN version is too old|Could not load library (?:lib)?cudnn|Unable to load cuDNN DSO",
            CUDNN_OFF, "cuDNN is not used"),
    _signal("theano-no-gpu", r"CUDA is installed, but device gpu is not available|Could not initialize pygpu|"
                             r"Not using GPU\. Initiali[sz]ation of device \S+ failed|"
                             r"pygpu was configured but could not be imported|device gpu is not available",
            FALLBACK, "Theano could not use the GPU and runs on the CPU"),
    _signal("jax-fallback", r"No GPU/TPU found|CUDA-enabled jaxlib is not installed|Unable to initialize backend 'cuda'|"
                            r"falling back to cpu\b(?=.*(?:jax|GPU/TPU))", FALLBACK, "JAX found no usable GPU and runs on the CPU"),
    # any program's own words ("Falling back to CPU mode." -- text-generation-webui after torch found no GPU)
    _signal("cpu-fallback", r"\bfalling back to (?:the )?cpu\b", FALLBACK, "the program says it falls back to the CPU"),
    _signal("torch-cuda-init", r"(?:CUDA|HIP) initialization: |Found no NVIDIA driver|CUDA unknown error - this may be due to an incorrectly set up environment|^RuntimeError: Unexpected error from cudaGetDeviceCount\(\)|THCudaCheck FAIL .*error=(?:3[0158]|100) : |"
                               r"No (?:HIP|CUDA) GPUs are available|The MPS backend is supported on MacOS \d", FALLBACK,
            "PyTorch could not initialise CUDA"),
    _signal("torch-cpu-build", r"Torch not compiled with C(?:UDA enabled|$)", FALLBACK,
            "this PyTorch is a CPU-only build"),
    _signal("torch-arch-unsupported", r"with CUDA capability sm_\d+ is not compatible with the current PyTorch|"
                                      r"PyTorch no longer supports this GPU because it is too old|"
                                      # the same warning's second half, when a paste starts there
                                      r"^If you want to use the .+ GPU with PyTorch, please check the instructions|"
                                      r"no kernel image is available for execution on the device", UNSUPPORTED,
            "this PyTorch build has no kernels for the GPU's compute capability"),
    _signal("theano-no-nvcc", r"nvcc compiler not found on \$PATH|You forced the use of gpu device \S+, but nvcc was not found", FALLBACK,
            "Theano cannot compile its GPU code (no nvcc) and runs on the CPU"),
    _signal("mps-fallback", r"not currently supported on the MPS backend and will fall back to run on the CPU|"
                            r"falling back to the CPU", PARTIAL_FALLBACK, "some ops run on the CPU instead of the GPU"),
    _signal("cuda-driver-too-old", r"CUDA driver version is insufficient for CUDA runtime version|"
                                   r"driver on your system is too old", FALLBACK,
            "the NVIDIA driver is older than the CUDA runtime needs"),
    _signal("cntk-cpu", r"Selected CPU as the process wide default device", FALLBACK, "CNTK selected the CPU"),
    _signal("float64-input", r'your data is of type "float64"|floatX=float64', FLOAT64, "the data or model is float64"),
)
BY_NAME = {s.name: s for s in SIGNALS}


def match(line: object) -> Optional[Signal]:
    """The signal a line shows (a raw output line, or a ``name: line`` entry of ``scan``), or None."""
    if not isinstance(line, str):
        return None
    text = line[:MAX_LINE]
    name, sep, rest = text.partition(": ")
    if sep and name in BY_NAME and BY_NAME[name].pattern.search(rest):
        return BY_NAME[name]
    for signal in SIGNALS:
        if signal.pattern.search(text):
            return signal
    return None


def scan(lines: Iterable[object]) -> List[str]:
    """The lines that are signals, each once, as ``name: line`` (at most ``MAX_SIGNALS``)."""
    found: List[str] = []
    for line in lines:
        signal = match(line)
        if signal is None:
            continue
        item = f"{signal.name}: {str(line).strip()[:300]}"
        if item not in found:
            found.append(item)
        if len(found) >= MAX_SIGNALS:
            break
    return found


def says(entry: str) -> str:
    """What a ``scan`` entry (or a raw line) says, in words; "" for anything else."""
    signal = match(entry)
    return signal.says if signal else ""


def first(lines: Iterable[object], effect: str) -> Optional[str]:
    """The first line that shows a signal with ``effect`` (a line may show several)."""
    wanted = [s for s in SIGNALS if s.effect == effect]
    for line in lines or []:
        if isinstance(line, str) and any(s.pattern.search(line[:MAX_LINE]) for s in wanted):
            return line
    return None
