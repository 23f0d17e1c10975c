"""Device banners in training logs: which device a framework really used, and fallbacks.

Frameworks announce their device in one line at start-up (Theano's ``Using gpu device 0:``
/ ``Mapped name None to device cuda0:``, TensorFlow's ``Created TensorFlow device``, CNTK's
``Selected GPU[0] ...``) and, worse, announce a silent CPU fallback the same way
(gnumpy's ``Using npmat instead. No GPU will be used.``, TensorFlow's ``Ignoring visible
gpu device``). A "GPU" run is only a GPU run when its own log says so; these lines are
the evidence the speedup verdict quotes. Each rule yields a banner dict with the line.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Tuple

from . import signals


def _theano_old(m: re.Match) -> Dict[str, Any]:
    name, extra = m.group(2).strip(), m.group(3) or ""
    if extra and not re.search(r"CNMeM|cuDNN", extra, re.I):  # "TITAN X (Pascal)": the parenthesis is the name's
        name, extra = f"{name} ({extra})", ""
    elif ") (" in extra and not re.search(r"CNMeM|cuDNN", extra.split(") (", 1)[0]):  # "TITAN X (Pascal) (CNMeM ...)"
        head, extra = extra.split(") (", 1)
        name = f"{name} ({head})"
    out: Dict[str, Any] = {"device": f"cuda:{m.group(1)}", "index": m.group(1), "name": name,
                           "backend": "theano", "gpu": "used"}
    if "cuDNN not available" in extra or "cuDNN Version is too old" in extra:
        out["cudnn"] = False
    cudnn = re.search(r"cuDNN (?:version )?(\d{3,5})", extra, re.I)  # (also "CuDNN 4007", as some builds print)
    if cudnn:
        out.update(cudnn=True, cudnn_version=cudnn.group(1))
    too_old = re.search(r"cuDNN Version is too old.*?\bwas (\d{3,5})", extra)
    if too_old:
        out["cudnn_version"] = too_old.group(1)  # the one installed, refused
    return out


def _theano_context(name: str) -> str:
    """Theano's ``cuda`` / ``cuda0`` / ``opencl0:0`` context names as ``cuda:0`` style devices."""
    m = re.fullmatch(r"(cuda|opencl)(\d*)(?::\d+)?", name)
    return f"{m.group(1)}:{m.group(2) or 0}" if m else name


def _tf_ignored(line: str) -> Dict[str, Any]:
    m = re.search(r"gpu device \(device: (\d+), name: ([^,)]+)", line)
    if not m:
        return {"fallback": True, "backend": "tensorflow", "gpu": "rejected"}
    cc = re.search(r"Cuda compute capability:? (\d+\.\d+)", line)
    low = re.search(r"minimum required Cuda capability is (\d+\.\d+)", line)
    return {"index": m.group(1), "name": m.group(2).strip(), "compute_capability": cc.group(1) if cc else None,
            "minimum": low.group(1) if low else None, "fallback": True, "backend": "tensorflow", "gpu": "rejected"}


def _sm(digits: str) -> str:
    """``86`` -> ``8.6``, ``120`` -> ``12.0`` (PyTorch's sm_XY names)."""
    return f"{digits[:-1]}.{digits[-1]}" if len(digits) >= 2 else digits


def _torch_arch(line: str) -> Dict[str, Any]:
    """PyTorch's "built without kernels for this GPU" warnings: the GPU and its capability."""
    m = re.search(r"(?:Warning:\s*)?([A-Za-z][^:]*?) with CUDA capability sm_(\d+) is not compatible", line)
    if m:
        out = {"name": m.group(1).strip(), "compute_capability": _sm(m.group(2)), "rejected": True,
               "backend": "torch", "gpu": "rejected"}
        supported = re.search(r"supports CUDA capabilities((?:\s+(?:sm|compute)_\d+)+)", line)
        if supported:
            out["supported"] = supported.group(1).split()
        return out
    m = re.match(r"If you want to use the (.+?) GPU with PyTorch", line)  # "... RTX 3060 Laptop GPU GPU with PyTorch"
    if m:
        return {"name": m.group(1).strip(), "rejected": True, "backend": "torch", "gpu": "rejected"}
    m = re.search(r"Found GPU(\d+) (.+?) which is of cuda capability (\d+)\.(\d+)", line)
    if m:
        out: Dict[str, Any] = {"index": m.group(1), "name": m.group(2).strip(),
                               "compute_capability": f"{m.group(3)}.{m.group(4)}", "rejected": True,
                               "backend": "torch", "gpu": "rejected"}
        low = re.search(r"minimum cuda capability (?:that we support|supported by this library) is (\d+\.\d+)", line)
        if low:
            out["minimum"] = low.group(1)
        return out
    out = {"rejected": True, "backend": "torch", "gpu": "rejected"}
    said = re.search(r"\b(?:CUDA|HIP) error: (.+?)\s*$", line)
    # "... (flux_text_encoder): CUDA error: no kernel image is available ...": the error an application's line reports
    # (an exception line, "RuntimeError: CUDA error: ...", is read as the exception it is)
    if said and not re.match(r"^\s*[\w.]*(?:Error|Exception)(?:\(\w+\))?:", line):
        out["error"] = {"name": "cuda-error", "message": f"CUDA error: {said.group(1)}"[:200]}
    return out


LIBRARY_NAME = re.compile(r"Could not load dynamic library '([^']+)'|Couldn't open CUDA library ([\w.+-]+?)\.?(?:\s|$)|"
                          r"([\w.+-]+\.(?:so(?:\.[\d.]+)?|dll|dylib)): cannot open shared object file|"
                          r"Library not loaded: (\S+)|Could not load library ([\w.+-]+\.(?:so(?:\.[\d.]+)?|dll|dylib))|"
                          r"Failed to load DLL '([^']+)'|Could not load \"([\w.+-]+\.(?:so(?:\.[\d.]+)?|dll|dylib))\"|"
                          r"\b(lib(?:cu|nv)[\w+-]*\.so(?:\.[\d.]+)?): (?:undefined symbol|symbol \S+,? version \S+ not defined)")


def _library(line: str) -> Dict[str, Any]:
    m = LIBRARY_NAME.search(line)
    name = next((g for g in m.groups() if g), None) if m else None
    return {"library": name.rsplit("/", 1)[-1] if name else None}


def _no_cudnn_library(line: str) -> Dict[str, Any]:
    return dict(_library(line), cudnn=False)


def _cuinit(line: str) -> Dict[str, Any]:
    m = re.search(r"failed call to cuInit:? (CUDA_ERROR_\w+|UNKNOWN ERROR \(\d+\))(?::\s*(.+))?", line, re.I)
    out: Dict[str, Any] = {"fallback": True}
    if m:
        out["error"] = {"name": m.group(1), "message": (m.group(2) or "").strip()}
    return out


def _init_error(line: str) -> Dict[str, Any]:
    """CUDA could not start: the framework's words for it (no driver, no device, driver too old)."""
    m = re.search(r"(Found no NVIDIA driver on your system|driver (?:on your system )?is too old[^.]*|No (?:HIP|CUDA) GPUs are available|"
                  r"The MPS backend is supported on MacOS [\d.]+\+|"
                  r"CUDA driver version is insufficient for CUDA runtime version|"
                  r"no CUDA-capable device is detected|CUDA initialization: .+|error=\d+ : .+)", line, re.I)
    text = m.group(1) if m else line.strip()
    if re.search(r"no NVIDIA driver", text, re.I):
        name = "no-driver"
    elif re.search(r"too old|insufficient", text, re.I):
        name = "driver-too-old"
    elif re.search(r"no CUDA-capable device|error=(?:38|100)\b|No (?:HIP|CUDA) GPUs are available", text, re.I):
        name = "no-device"
    elif "MPS backend is supported on MacOS" in text:
        name = "macos-too-old"
    else:
        name = "cuda-init"
    return {"name": name, "message": text[:200]}


#: a CUDA error code in a line ("Error 803: system has unsupported display driver", "error=100", CUDA_ERROR_...)
CUDA_ERROR_CODE = re.compile(r"\bError \d+\b|\berror=\d+|CUDA_ERROR_|\bCUDA error\b|"
                             r"Unexpected error from (?:cuda|hip)GetDeviceCount")


def _torch_init(line: str) -> Dict[str, Any]:
    """PyTorch could not start CUDA and goes on on the CPU. Said as a UserWarning with no CUDA error code ("CUDA
    initialization: The NVIDIA driver on your system is too old"), that is a warning: its reason is the ``cause``.
    Raised, or carrying a CUDA error code, it is an error."""
    reason = _init_error(line)
    if re.search(r"Warning\b", line) and not CUDA_ERROR_CODE.search(line):
        return {"fallback": True, "backend": "torch", "cause": reason}
    return {"fallback": True, "backend": "torch", "error": reason}


def _theano_no_gpu(line: str) -> Dict[str, Any]:
    """Theano gave up on the GPU: the reason it printed (``(error: ...)``, ``... failed: reason``)."""
    m = re.search(r"\(error: (.+?)\)?\s*$|Initiali[sz]ation of device \S+ failed:\s*(.+)$", line)
    reason = (m.group(1) or m.group(2)).strip() if m else ""
    out: Dict[str, Any] = {"device": "cpu", "fallback": True, "backend": "theano"}
    logged = re.match(r"^\s*ERROR \(theano[\w.]*\):\s*(.+)$", line)  # Theano logged it as an error
    if reason or "Not using GPU" in line or logged:
        out["error"] = {"name": "theano-gpu-init", "message": (reason or (logged.group(1) if logged else line))
                        .strip()[:200]}
    return out


def _cudamat_error(m: re.Match) -> Dict[str, Any]:
    return {"backend": "gnumpy+cudamat", "gpu": "none",
            "error": {"name": "cudamat-cuda-error", "message": m.group(0).strip()[:200]}}


#: "CUDA error: ..." from the runtime (PyTorch's RuntimeError): what it says about the GPU
NO_KERNELS = re.compile(r"no kernel image is available|invalid device function", re.I)
NO_DEVICE = re.compile(r"no CUDA-capable device|busy or unavailable|CUDA driver version is insufficient", re.I)
#: a CUDA, cuDNN or cuBLAS status code in an error's words
CUDA_CODE = re.compile(r"\b(?:(?:CUDNN|CUBLAS|CUFFT|CUSOLVER|CUSPARSE|CURAND)_STATUS_(?!SUCCESS\b)[A-Z_]+|CUDA_ERROR_[A-Z_]+|"
                       r"cudaError(?!Success\b)[A-Z]\w+)")


def _cuda_runtime_error(m: re.Match) -> Dict[str, Any]:
    message = m.group(1).strip()
    out: Dict[str, Any] = {"error": {"name": "cuda-error", "message": f"CUDA error: {message}"[:200]}}
    if NO_KERNELS.search(message):
        out["gpu"] = "rejected"  # the build has no kernels for this GPU's architecture
    elif NO_DEVICE.search(message):
        out["gpu"] = "none"
    return out


def _gpu_lock(line: str) -> Dict[str, Any]:
    m = re.search(r"Using board #(\d+)", line)
    return {"device": f"cuda:{m.group(1)}" if m else None, "index": m.group(1) if m else None, "shared": True,
            "backend": "gnumpy+cudamat", "gpu": "used"}


def _no_cudnn(line: str) -> Dict[str, Any]:
    m = re.search(r"Can not use cuDNN on context \S+: (.+)$", line)
    return {"cudnn": False, "reason": m.group(1).strip() if m else None, "backend": "theano"}


def _netket_gpu(m: re.Match) -> Dict[str, Any]:
    """A GPU of netket.tools.info()'s device list; only on its "- gpu :" / "- cuda :" line."""
    if not re.match(r"\s*-\s*(?:gpu|cuda|rocm)\s*:\s*\[", m.string):
        raise ValueError("not a GPU backend's device list")
    return {"index": m.group(1), "name": m.group(2).strip(), "device": f"cuda:{m.group(1)}", "backend": "jax", "gpu": "used"}


def _script_device(m: re.Match) -> Dict[str, Any]:
    """A script's own device line: group 1 the device type, 2 its index, 3 (where the rule has one) the GPU count."""
    kind = m.group(1).lower()
    n_gpu = m.group(3) if (m.re.groups or 0) >= 3 else None
    return {"device": "cpu" if kind == "cpu" else f"{kind}:{m.group(2) or 0}",
            "gpu": "none" if kind == "cpu" or n_gpu == "0" else "used"}


def _not_found(message: str) -> Dict[str, str]:
    """The error of a CUDA library that could not be found or loaded."""
    return {"name": "library-not-found", "message": message}


def _table(name: str, extract: Callable[[str], Dict[str, Any]]) -> tuple:
    """A rule for a line of the shared signal table: its pattern, this module's reading of the line."""
    return (name, signals.BY_NAME[name].pattern, lambda m: extract(m.string))


def _flag(**data: Any) -> Callable[[str], Dict[str, Any]]:
    return lambda line: dict(data)


# (kind, pattern, extractor) -- first match per line wins; extractor returns the banner's facts.
# Lines that say what a run really did come from the shared table (``parsers.signals``); the
# device banners (which GPU a framework picked) are read here only.
RULES: List[tuple] = [
    _table("gnumpy-fallback", _flag(device="cpu", fallback=True, backend="gnumpy+npmat")),
    _table("gnumpy-gpu-lock", _gpu_lock),
    ("theano-gpu", re.compile(r"Using gpu device (\d+): (.+?)(?: \((.*)\))?\s*$"), _theano_old),
    ("theano-mapped", re.compile(r"Mapped name \S+ to device (cuda\d*|opencl[\d:]*): (.+?)(?: \([0-9A-Fa-f:.]+\))?\s*$"),
     lambda m: {"device": _theano_context(m.group(1)), "name": m.group(2).strip(), "backend": "theano", "gpu": "used"}),
    ("theano-cudnn", re.compile(r"Using cuDNN version (\d+)(?: on context|\s*$)"),
     lambda m: {"cudnn": True, "cudnn_version": m.group(1), "backend": "theano"}),
    _table("theano-no-cudnn", _no_cudnn),
    _table("cudnn-not-available", _no_cudnn_library),
    _table("tf-ignored-gpu", _tf_ignored),
    _table("tf-skip-gpu", _flag(fallback=True, backend="tensorflow")),
    _table("tf-no-cuda-drivers", _flag(fallback=True, backend="tensorflow")),
    _table("tf-no-dml-adapter", _flag(fallback=True, device="cpu", backend="tensorflow")),
    # tensorflow-directml: "DirectML: creating device on adapter 0 (Intel(R) UHD Graphics 620)"
    ("tf-dml-adapter", re.compile(r"DirectML: creating device on adapter (\d+) \((.+)\)\s*$"),
     lambda m: {"device": f"dml:{m.group(1)}", "index": m.group(1), "name": m.group(2).strip(), "backend": "tensorflow",
                "gpu": "used"}),
    # a pluggable GPU (tensorflow-metal, DirectML's plugin) registered its optimizer: TensorFlow places work on it
    ("tf-plugin-gpu", re.compile(r"Plugin optimizer for device_type GPU is enabled"),
     lambda m: {"device": "gpu:0", "backend": "tensorflow", "gpu": "used"}),
    ("tf-created-device", re.compile(r"Creat(?:ing|ed) (?:TensorFlow )?device \(?/(?:job:\S+/)?(?:device:)?[gG][pP][uU]:(\d+)\)?"
                                     r".*?-> (?:physical (?:GPU|PluggableDevice) )?\(?device: (\d+), name: ([^,]+)(?:, pci bus id: [^,)]+)?"
                                     r"(?:, compute capability: ([\d.]+))?"),
     lambda m: {"device": f"cuda:{m.group(2)}", "index": m.group(2),
                # a PluggableDevice is named by its plugin ("DML", "METAL"): the GPU's name is on another line
                "name": None if m.group(3).strip() in ("DML", "METAL") else m.group(3).strip(),
                "compute_capability": m.group(4), "backend": "tensorflow", "gpu": "used"}),
    ("tf-properties", re.compile(r"(?:Found device (\d+) with properties:\s*|^\s*)(?:pciBusID:?\s*\S+\s+)?name:\s*(.+?)\s+"
                                 r"(?:major:\s*(\d+)\s+minor:\s*(\d+)|computeCapability:\s*(\d+\.\d+)|computeCap[a-z]*:?\s*$|"
                                 r"ROCm AMD GPU ISA:\s*\S+)"),  # (or cut there; ROCm's builds name the AMD ISA)
     lambda m: {"index": m.group(1), "name": m.group(2).replace("**", "").strip(), "backend": "tensorflow", "gpu": "found",
                "compute_capability": f"{m.group(3)}.{m.group(4)}" if m.group(3) else m.group(5)}),
    # TF 1.x's DMA matrix ("gpu_device.cc:971] 0:   Y"): printed for the devices it goes on to create
    ("tf-dma-row", re.compile(r"gpu_device\.cc:\d+\] (\d+):\s+Y(?:\s+[YN])*\s*$"),
     lambda m: {"index": m.group(1), "device": f"cuda:{m.group(1)}", "backend": "tensorflow", "gpu": "used"}),
    ("tf-found-device", re.compile(r"Found device (\d+) with properties"),
     lambda m: {"index": m.group(1), "backend": "tensorflow"}),
    ("tf-loaded-cudnn", re.compile(r"Loaded cuDNN version (\d+)"),  # cuDNN is loaded when a GPU op runs
     lambda m: {"cudnn": True, "cudnn_version": m.group(1), "backend": "tensorflow", "gpu": "used"}),
    # jax.print_environment_info(): "device info: NVIDIA GeForce RTX 4060 Laptop GPU-1, 1 local devices" (name-count)
    ("jax-device-info", re.compile(r"^\s*device info: (.+?)-(\d+), (\d+) local devices"),
     lambda m: {"name": None if m.group(1).strip().lower() in ("cpu", "tpu") else m.group(1).strip(), "index": "0",
                "backend": "jax", "gpu": "none" if m.group(1).strip().lower() == "cpu" else "found"}),
    # YOLOv5's device lines: "Using CUDA device0 _CudaDeviceProperties(name='Tesla V100-SXM2-32GB', total_memory=...)"
    # and "           device1 _CudaDeviceProperties(...)" (torch.cuda.get_device_properties' repr)
    ("torch-device-properties", re.compile(r"\bdevice(\d+) _CudaDeviceProperties\(name='([^']+)'"),
     lambda m: {"device": f"cuda:{m.group(1)}", "index": m.group(1), "name": m.group(2).strip(), "backend": "torch",
                "gpu": "used"}),
    # torch's own warning under an application that asked for the GPU: "torch.cuda.amp.GradScaler is enabled, but CUDA
    # is not available.  Disabling."
    ("torch-cuda-not-available", re.compile(r"\bbut CUDA is not available\b"),
     lambda m: {"device": "cpu", "fallback": True, "backend": "torch"}),
    # TensorFlow's device placement log (tf.debugging.set_log_device_placement): "Executing op MatMul in device
    # /job:localhost/replica:0/task:0/device:GPU:0" -- ops ran on that GPU
    ("tf-op-placement", re.compile(r"Executing op \w+ in device /job:\w+/replica:\d+/task:\d+/device:GPU:(\d+)"),
     lambda m: {"device": f"cuda:{m.group(1)}", "index": m.group(1), "backend": "tensorflow", "gpu": "used"}),
    # DGL's start-up: "Using backend: pytorch" (the framework DGL computes with)
    ("dgl-backend", re.compile(r"^\s*Using backend: (pytorch|tensorflow|mxnet)\s*$"),
     lambda m: {"backend": {"pytorch": "torch"}.get(m.group(1), m.group(1))}),
    # PyTorch Lightning's model summary table: "  | Name | Type | Params"
    ("lightning-summary", re.compile(r"^\s*\|\s*Name\s*\|\s*Type\s*\|\s*Params\b"), lambda m: {"backend": "torch"}),
    # a JAX application's own backend line (DESC's print_backend_info): "Using device: NVIDIA GeForce RTX 4060 Laptop
    # GPU (id=0), with 7.01 GB available memory"
    ("app-using-device", re.compile(r"^\s*Using device: ((?:NVIDIA|GeForce|Tesla|Quadro|TITAN|Radeon|AMD)\b.+?) \(id=(\d+)\)"
                                    r"(?:, with [\d.]+ GB available memory)?"),
     lambda m: {"device": f"cuda:{m.group(2)}", "index": m.group(2), "name": m.group(1).strip(), "gpu": "used"}),
    ("tf-physical-gpu", re.compile(r"PhysicalDevice\(name='/physical_device:GPU:(\d+)', device_type='GPU'\)"),
     lambda m: {"device": f"cuda:{m.group(1)}", "index": m.group(1), "backend": "tensorflow", "gpu": "used"}),
    # tf.config.list_physical_devices() printing only CPUs (a GPU line, read by the rule above, comes after them)
    ("tf-physical-cpu-only", re.compile(r"^\W*PhysicalDevice\(name='/physical_device:CPU:\d+', device_type='CPU'\)\W*$"),
     lambda m: {"device": "cpu", "backend": "tensorflow", "gpu": "none"}),
    ("tf-xla-device", re.compile(r"StreamExecutor device \((\d+)\): (.+?), Compute Capability(?: (\d+\.\d+))?"),
     lambda m: {"device": f"cuda:{m.group(1)}", "index": m.group(1), "name": m.group(2).strip(),
                "compute_capability": m.group(3), "backend": "tensorflow", "gpu": "used"}),
    # (on the warning's own line, when it is one line, the warning's rule reads both)
    ("torch-supported-archs", re.compile(r"^(?!.*with CUDA capability sm_\d+ is not compatible).*?"
                                         r"(?:current PyTorch install|PyTorch installation) supports CUDA capabilities"
                                         r"((?:\s+(?:sm|compute)_\d+)+)"),
     lambda m: {"supported": m.group(1).split(), "backend": "torch"}),
    ("jax-gpu-devices", re.compile(r"\[\s*(?:cuda|gpu|rocm)\(id=(\d+)\)|(?:Gpu|Cuda|Rocm)Device\(id=(\d+)"),
     lambda m: {"device": f"cuda:{m.group(1) or m.group(2)}", "index": m.group(1) or m.group(2), "backend": "jax",
                "gpu": "used"}),
    # cupy.show_config()'s device rows: "Device 0 Name                : GeForce RTX 2080 Ti", "Device 0 Compute Capability  : 75"
    ("cupy-device-name", re.compile(r"^\s*Device (\d+) Name\s+: (\S.*?)\s*$"),
     lambda m: {"index": m.group(1), "name": m.group(2), "device": f"cuda:{m.group(1)}", "backend": "cupy", "gpu": "used"}),
    ("cupy-device-capability", re.compile(r"^\s*Device (\d+) Compute Capability\s+: (\d{2,3})\s*$"),
     lambda m: {"index": m.group(1), "compute_capability": _sm(m.group(2)), "backend": "cupy"}),
    # netket.tools.info()'s Jax section: "    - gpu            : ['<0: Tesla V100-PCIE-32GB>', '<1: Tesla V100-PCIE-32GB>'"
    ("netket-gpu-devices", re.compile(r"'<(\d+): ([^<>']+)>'"), _netket_gpu),
    ("jax-cpu-devices", re.compile(r"(?:^|\[)\s*(?:CpuDevice\(id=0\)|TFRT_CPU_0)"),
     lambda m: {"device": "cpu", "backend": "jax", "gpu": "none"}),
    ("cntk-gpu-info", re.compile(r"Device\[(\d+)\]: cores = \d+; computeCapability = (\d+\.\d+); type = \"([^\"]+)\""),
     lambda m: {"index": m.group(1), "name": m.group(3).strip(), "compute_capability": m.group(2),
                "backend": "cntk", "gpu": "found"}),
    ("cntk-exception", re.compile(r"CNTK: Caught Win32 exception (0x[0-9A-Fa-f]+): (.+)$"),
     lambda m: {"backend": "cntk", "error": {"name": m.group(1), "message": m.group(2).strip()[:200]}}),
    ("cudamat-error", re.compile(r"CUDAMatException: \S.*$"), _cudamat_error),
    ("tf-cannot-place", re.compile(r"Cannot assign a device (?:to|for) (?:node|operation) .*?Could not satisfy explicit "
                                   r"device specification '(/(?:device:)?gpu:\d+)'", re.I),
     lambda m: {"backend": "tensorflow",  # an error, not evidence: the lines before it say why there is no GPU
                "error": {"name": "no-gpu-device", "message": f"no usable GPU for the op placed on {m.group(1)}"}}),
    ("cntk-invalid-gpu", re.compile(r"Specified GPU device id \((\d+)\) is invalid"),
     lambda m: {"index": m.group(1), "backend": "cntk", "gpu": "none",
                "error": {"name": "no-device", "message": f"CNTK: GPU device id ({m.group(1)}) is invalid"}}),
    # JAX warns "CUDA backend failed to initialize: <why>" and goes on on the CPU: a fallback with its cause, no error
    # (an error only where its cause is a CUDA error code: "... failed: CUDA_ERROR_NOT_INITIALIZED")
    ("jax-cuda-failed", re.compile(r"CUDA backend failed to initiali[sz]e: (.+?)(?:\s*\(Set TF_CPP_MIN_LOG_LEVEL.*)?$"),
     lambda m: dict({"backend": "jax", "gpu": "none", "fallback": True,
                     ("error" if CUDA_CODE.search(m.group(1)) else "cause"):
                         {"name": "cuda-init", "message": m.group(1).strip()[:200]}},
                    **({"cudnn_version": c.group(1), "cudnn": False}
                       if (c := re.search(r"Found cuDNN version (\d+)", m.group(1))) else {}))),
    # tensorflow.python.client.device_lib: "physical_device_desc: "device: 0, name: ..., compute capability: 7.5"",
    # also printed as a list of such strings; DirectML's desc is JSON with the driver-store version
    ("tf-device-desc", re.compile(r"device: (\d+), name: ([^,]+), pci bus id: [^,]+, compute capability: (\d+\.\d+)"),
     lambda m: {"device": f"cuda:{m.group(1)}", "index": m.group(1), "name": m.group(2).strip(),
                "compute_capability": m.group(3), "backend": "tensorflow", "gpu": "used"}),
    ("tf-dml-device", re.compile(r'physical_device_desc: "\{\\?"name\\?": \\?"([^"\\]+)\\?"'
                                 r'(?:.*?\\?"driver_version\\?": \\?"([^"\\]+))?'),
     lambda m: {"device": "dml:0", "index": "0", "name": m.group(1).strip(), "driver_version": m.group(2),
                "backend": "tensorflow", "gpu": "used"}),
    # TF 1.x log_device_placement: "Device mapping:" / "/job:localhost/.../device:GPU:0 -> device: 0, name: Tesla K40c"
    ("tf-device-mapping", re.compile(r"/device:(?:XLA_)?GPU:(\d+) -> device: (\d+), name: ([^,]+)"),
     lambda m: {"device": f"cuda:{m.group(2)}", "index": m.group(2), "name": m.group(3).strip(),
                "backend": "tensorflow", "gpu": "used"}),
    # tensorflow-metal (macOS): the GPU it took
    ("tf-metal-device", re.compile(r"Metal device set to: (.+?)\s*$"),
     lambda m: {"device": "mps:0", "index": "0", "name": m.group(1).strip(), "backend": "tensorflow", "gpu": "used"}),
    # -- other frameworks' device lines ---------------------------------------------------------------------------
    # TensorRT's logger ("[05/28/2023-21:01:14] [TRT] [W] ...", "[W] [TRT] ..."): which cuDNN it loaded
    ("trt-cudnn", re.compile(r"TensorRT was linked against cuDNN ([\d.]+) but loaded cuDNN ([\d.]+)"),
     lambda m: {"backend": "tensorrt", "cudnn": True, "cudnn_version": m.group(2)}),
    ("trt-log", re.compile(r"\[TRT\] \[[VIWEF]\]|\[[VIWEF]\] \[TRT\]|\bCUDA lazy loading is not enabled\b"),
     lambda m: {"backend": "tensorrt"}),
    # llama.cpp's ggml: "ggml_cuda_init: found 1 CUDA devices:" then "  Device 0: NVIDIA GeForce RTX 4050 Laptop GPU,
    # compute capability 8.9, VMM: yes"
    ("ggml-cuda-device", re.compile(r"^\s*Device (\d+): (.+?), compute capability (\d+\.\d+)(?:, VMM: \w+)?\s*$"),
     lambda m: {"device": f"cuda:{m.group(1)}", "index": m.group(1), "name": m.group(2).strip(),
                "compute_capability": m.group(3), "backend": "ggml", "gpu": "used"}),
    ("ggml-cuda-init", re.compile(r"^\s*ggml_cuda_init: found (\d+) (?:CUDA|ROCm) devices?:"),
     lambda m: {"backend": "ggml", "gpu": "used" if int(m.group(1)) else "none"}),
    # Ollama's own device line: 'msg="inference compute" id=GPU-0aa9... library=cuda variant=v12 compute=12.0 driver=12.8
    # name="NVIDIA GeForce RTX 5090" total="31.4 GiB"' (library=cpu: no GPU taken)
    ("ollama-inference-compute", re.compile(r"msg=\"inference compute\" id=(\S+) library=(\w+)(?: variant=\S+)?"
                                            r"(?: compute=(\d+\.\d+))?(?: driver=\S+)?(?: name=\"?([^\"]+?)\"?(?= \w+=|$))?"),
     lambda m: {"backend": "ollama", "gpu": "none" if m.group(2) == "cpu" else "used", "name": m.group(4),
                "compute_capability": m.group(3), "device": "cpu" if m.group(2) == "cpu" else f"{m.group(2)}:0"}),
    # nnDetection's environment print ("----- PyTorch Information -----"): "PyTorch CUDA available: True",
    # "PyTorch CUDA: 11.8", "PyTorch Backend cudnn: 8700", "PyTorch Current Device Capability: (8, 6)"
    ("torch-info-available", re.compile(r"^\s*PyTorch CUDA available: (True|False)\s*$"),
     lambda m: {"backend": "torch", "gpu": "used" if m.group(1) == "True" else "none",
                "device": "cuda:0" if m.group(1) == "True" else "cpu"}),
    ("torch-info-cuda", re.compile(r"^\s*PyTorch CUDA: (\d+\.\d+)\s*$"),
     lambda m: {"backend": "torch", "build_cuda": m.group(1)}),
    ("torch-info-cudnn", re.compile(r"^\s*PyTorch Backend cudnn: (\d{3,6})\s*$"),
     lambda m: {"backend": "torch", "cudnn": True, "cudnn_version": m.group(1)}),
    ("torch-info-capability", re.compile(r"^\s*PyTorch Current Device Capability: \((\d+), (\d+)\)\s*$"),
     lambda m: {"backend": "torch", "compute_capability": f"{m.group(1)}.{m.group(2)}"}),
    # Ultralytics' "Invalid CUDA 'device=0' requested. Use 'device=cpu' or pass valid CUDA device(s) if available"
    # (its ValueError, also as an app's "An Error occurred: ..."): the device asked for is not there
    ("ultralytics-invalid-device", re.compile(r"\bInvalid CUDA '(?:--)?device=([^']{0,40})' requested\b"),
     lambda m: {"backend": "torch", "gpu": "none",
                "error": {"name": "invalid-device", "message": m.string.strip()[:300]}}),
    # vLLM: "Automatically detected platform cuda." / "No platform detected, vLLM is running on UnspecifiedPlatform"
    # (vLLM runs on PyTorch: the framework is PyTorch, as the corpus names it for vLLM's collect_env reports)
    ("vllm-platform", re.compile(r"\bAutomatically detected platform (cuda|rocm|tpu|xpu|hpu|neuron|cpu)\b|"
                                 r"\bNo platform detected, vLLM is running on"),
     lambda m: {"backend": "torch", "gpu": "used" if m.group(1) and m.group(1) != "cpu" else "none",
                "device": "cpu" if not m.group(1) or m.group(1) == "cpu" else f"{m.group(1)}:0"}),
    # deeplearning4j / ND4J: "CUDA device 0: [Quadro RTX 4000]; cc: [7.5]; Total memory: [8343912448]"
    ("nd4j-cuda-device", re.compile(r"\bCUDA device (\d+): \[([^\]]+)\]; cc: \[(\d+\.\d+)\]"),
     lambda m: {"device": f"cuda:{m.group(1)}", "index": m.group(1), "name": m.group(2).strip(),
                "compute_capability": m.group(3), "backend": "nd4j", "gpu": "used"}),
    ("nd4j-cuda-build", re.compile(r"\bND4J CUDA build version: (\d+\.\d+(?:\.\d+)?)"),
     lambda m: {"backend": "nd4j", "build_cuda": m.group(1)}),
    # Numba cannot start CUDA: "CudaSupportError: Error at driver init: ...", "CUDA device intialisation problem"
    ("numba-no-cuda", re.compile(r"\bCudaSupportError\b|CUDA device in[i]?t?ialisation problem"),
     lambda m: {"backend": "numba", "gpu": "none",
                "error": {"name": "cuda-init", "message": "Numba could not initialise CUDA"}}),
    # ONNX Runtime: the GPU provider could not be made, or was not in the build ("Specified provider
    # 'CUDAExecutionProvider' is not in available provider names"), or the session runs on the CPU provider alone
    ("ort-provider-failed", re.compile(r"Failed to create (CUDA|TensorRT|ROCM|MIGraphX|Dml)ExecutionProvider|"
                                       r"Specified provider '(CUDA|TensorRT|ROCM|MIGraphX|Dml)ExecutionProvider' is not in "
                                       r"available provider names"),
     lambda m: {"backend": "onnxruntime", "gpu": "none", "fallback": True}),
    ("ort-applied", re.compile(r"Applied providers: \['(\w+)ExecutionProvider'"),
     lambda m: {"backend": "onnxruntime", "gpu": "none" if m.group(1) == "CPU" else "used",
                **({"device": "cpu"} if m.group(1) == "CPU" else {})}),
    # ...its provider library that will not load, and the CUDA library that is why: "Failed to load library
    # libonnxruntime_providers_cuda.so with error: libcufft.so.10: cannot open shared object file: ..."
    ("ort-provider-library", re.compile(r"Failed to load library (\S*libonnxruntime_providers_\w+\.(?:so|dll))\S* with error: "
                                        r"([\w.+-]+\.(?:so[\w.]*|dll)): cannot open shared object file|"
                                        r"Failed to load library (\S*onnxruntime_providers_\w+\.dll)|"
                                        r"LoadLibrary failed with error \d+ \"[^\"]*\" when trying to load \"[^\"]*?([^\"\\/]*onnxruntime_providers_\w+\.dll)\""),
     lambda m: {"backend": "onnxruntime", "gpu": "none",
                "library": (m.group(2) or m.group(3) or m.group(4) or m.group(1)).rsplit("/", 1)[-1].rsplit("\\", 1)[-1],
                **({"libraries": [m.group(1).rsplit("/", 1)[-1], m.group(2)]} if m.group(2) else {})}),
    # numba.cuda.detect(): "id 0      b'Quadro RTX 8000'                              [SUPPORTED]", its "Compute
    # Capability: 7.5" line under it, and its summary "2/2 devices are supported"
    ("numba-device", re.compile(r"^\s*id (\d+)\s+b?'([^']+)'\s+\[(SUPPORTED|NOT SUPPORTED)\]"),
     lambda m: {"index": m.group(1), "name": m.group(2).strip(), "backend": "numba",
                "gpu": "used" if m.group(3) == "SUPPORTED" else "none", **({} if m.group(3) == "SUPPORTED" else {"rejected": True})}),
    ("numba-capability", re.compile(r"^\s{4,}Compute Capability: (\d+\.\d+)\s*$"),
     lambda m: {"compute_capability": m.group(1), "backend": "numba"}),
    ("numba-summary", re.compile(r"^\s*(\d+)/(\d+) devices are supported\s*$"),
     lambda m: {"backend": "numba", "gpu": "used" if int(m.group(1)) else "none"}),
    # PaddlePaddle: "Please NOTE: device: 0, GPU Compute Capability: 6.1, Driver API Version: 10.2, Runtime API
    # Version: 10.2", "device: 0, cuDNN Version: 7.6.", a GPU build on a machine without one
    # (older builds: "device: 0, CUDA Capability: 61, ...": the capability's digits without the dot)
    ("paddle-device", re.compile(r"device: (\d+), (?:GPU Compute|CUDA) Capability: (\d+\.\d+|\d{2,3}), Driver API Version: ([\d.]+), "
                                 r"Runtime API Version: (\d+\.\d+)"),
     lambda m: {"device": f"cuda:{m.group(1)}", "index": m.group(1),
                "compute_capability": m.group(2) if "." in m.group(2) else _sm(m.group(2)),
                "build_cuda": m.group(4), "backend": "paddle", "gpu": "used"}),
    ("paddle-cudnn", re.compile(r"device: \d+, cuDNN Version: (\d+\.\d+)"),
     lambda m: {"cudnn": True, "cudnn_version": m.group(1), "backend": "paddle"}),
    ("paddle-no-gpu", re.compile(r"You are using GPU version Paddle(?:Paddle)?, but there is no GPU detected"),
     lambda m: {"device": "cpu", "backend": "paddle", "gpu": "none", "fallback": True}),
    ("paddle-works", re.compile(r"PaddlePaddle works well on (\d+) GPUs?"),
     lambda m: {"backend": "paddle", "gpu": "used"}),
    # MXNet's cuDNN autotune (it runs convolutions on the GPU) and its context list "[gpu(0)]"
    ("mxnet-cudnn-autotune", re.compile(r"Running performance tests to find the best convolution algorithm"),
     lambda m: {"backend": "mxnet", "cudnn": True, "gpu": "used"}),
    # MXNet's image-classification examples started on the CPU context: "Node[0] Start training with [cpu(0)]"
    ("mxnet-cpu-context", re.compile(r"\bStart training with \[cpu\(\d+\)\]"),
     lambda m: {"device": "cpu", "backend": "mxnet", "gpu": "none",
                "says": "MXNet was started on its CPU context: [cpu(0)]"}),
    ("mxnet-context", re.compile(r"\[gpu\((\d+)\)(?:, gpu\(\d+\))*\]"),
     lambda m: {"device": f"cuda:{m.group(1)}", "index": m.group(1), "backend": "mxnet", "gpu": "used"}),
    ("mxnet-oom", re.compile(r"cudaMalloc (?:failed|retry failed): out of memory"),
     lambda m: {"backend": "mxnet", "gpu": "used", "error": {"name": "out-of-memory", "message": "GPU out of memory (cudaMalloc)"}}),
    # JAX (absl) could not start a backend: "Unable to initialize backend 'cuda': ..." (the GPU one: on the CPU)
    ("jax-backend-unavailable", re.compile(r"Unable to initiali[sz]e backend '(tpu_driver|tpu|gpu|cuda|rocm|METAL)'"),
     lambda m: {"backend": "jax", **({"gpu": "none", "fallback": True} if m.group(1) in ("gpu", "cuda", "rocm") else {})}),
    # an application's own GPU check: "NVIDIA GeForce RTX 4060 (sm_89) is not supported by this PyTorch build"
    ("torch-build-rejects", re.compile(r"^\W*((?:NVIDIA|GeForce|Tesla|Quadro|TITAN|RTX)\b.{1,60}?) \(sm_(\d+)\) is not "
                                       r"(?:supported|compatible)\b.{0,40}\bPyTorch"),
     lambda m: {"name": m.group(1).strip(), "compute_capability": _sm(m.group(2)), "rejected": True, "gpu": "none",
                "backend": "torch"}),
    # "No GPUs found" (CNTK's build info), "No GPU detected." (an application): no GPU to use
    ("no-gpu-said", re.compile(r"^\W*No (?:CUDA )?GPUs? (?:were |was )?(?:found|detected|available)\b(?! by)"),
     lambda m: {"gpu": "none", "device": "cpu"}),
    # cntk.all_devices(): "(GPU[0] GeForce GTX 1080, CPU)"
    ("cntk-devices", re.compile(r"\(GPU\[(\d+)\] ([^,()]+), CPU\)"),
     lambda m: {"device": f"cuda:{m.group(1)}", "index": m.group(1), "name": m.group(2).strip(), "backend": "cntk",
                "gpu": "used"}),
    # ptxas does not know this GPU's architecture: TF falls back to the driver's JIT (slow first runs)
    ("tf-ptxas-arch", re.compile(r"Value 'sm_(\d+)' is not defined for option 'gpu-name'"),
     lambda m: {"compute_capability": _sm(m.group(1)), "backend": "tensorflow"}),
    ("tf-oom", re.compile(r"Allocator \((GPU_\d+)_bfc\) ran out of memory trying to allocate ([\d.]+\s?[KMGT]i?B)|"
                          r"\bOOM when allocating tensor\b.*?(?:on /job:\S+/device:GPU:(\d+))?|ResourceExhaustedError: .*OOM"),
     lambda m: {"backend": "tensorflow", "gpu": "used",
                "error": {"name": "out-of-memory", "message": "GPU out of memory"
                          + (f" (tried to allocate {m.group(2)})" if m.group(2) else "")}}),
    ("xla-oom", re.compile(r"CUDA operation failed: out of memory|RESOURCE_EXHAUSTED: Out of memory (?:while )?trying to allocate "
                           r"([\d.]+\s?[KMGT]?i?B)?"),
     lambda m: {"gpu": "used", "error": {"name": "out-of-memory", "message": "GPU out of memory"
                                         + (f" (tried to allocate {m.group(1)})" if m.group(1) else "")}}),
    ("cuda-oom", re.compile(r"CUDA out of memory\.? ?(?:Tried to allocate ([\d.]+ [KMGT]i?B))?"),
     lambda m: {"backend": "torch", "gpu": "used",
                "error": {"name": "out-of-memory", "message": f"CUDA out of memory"
                          + (f" (tried to allocate {m.group(1)})" if m.group(1) else "")}}),
    # a PyTorch tensor printed where it lives: tensor([...], device='cuda:0')
    ("torch-tensor-device", re.compile(r"device='(cuda|mps|xpu)(?::(\d+))?'\)"),
     lambda m: {"device": f"{m.group(1)}:{m.group(2) or 0}", "index": m.group(2) or "0", "backend": "torch",
                "gpu": "used"}),
    # CNTK's own training log: "SGD using GPU 0.", "LockDevice: Locked GPU 0 for exclusive use."
    ("cntk-sgd-gpu", re.compile(r"\bSGD using GPU (\d+)|LockDevice: Locked GPU (\d+) (?:for exclusive use|to test)"),
     lambda m: {"device": f"cuda:{m.group(1) or m.group(2)}", "index": m.group(1) or m.group(2), "backend": "cntk",
                "gpu": "used"}),
    ("cntk-exception-occurred", re.compile(r"^EXCEPTION occurred: (.+)$"),
     lambda m: {"backend": "cntk", "error": {"name": "cntk-exception", "message": m.group(1).strip()[:200]}}),
    # TF's cuda_diagnostics: the kernel module's version (what nvidia-smi calls the driver version)
    ("tf-kernel-driver", re.compile(r"kernel reported version is: (\d+\.\d+(?:\.\d+)?)"),
     lambda m: {"driver_version": re.sub(r"\.0$", "", m.group(1)) if m.group(1).count(".") == 2 else m.group(1),
                "backend": "tensorflow"}),
    # TF: "Loaded runtime CuDNN library: 7.2.1 (7201) but source was compiled with: 7.0.4 (7004)" -- convolutions fail
    ("tf-cudnn-mismatch", re.compile(r"Loaded runtime CuDNN library:?\s*(\d[\d.]*)(?: \((\d+)\))?(?: \(compatibility version [^)]*\))?,?"
                                     r" but (?:the )?source was compiled with:?\s*(\d[\d.]*)"),
     lambda m: {"backend": "tensorflow", "gpu": "none", "cudnn": False, "cudnn_version": m.group(2) or m.group(1),
                "error": {"name": "cudnn-mismatch", "message": f"cuDNN {m.group(2) or m.group(1)} loaded, the build "
                          f"was compiled with {m.group(3)}"}}),
    ("nccl-error", re.compile(r"NCCL error in: (\S+)|\bncclUnhandledCudaError\b|\bNCCL WARN (.+)$"),
     lambda m: {"backend": "torch", "error": {"name": "nccl-error", "message": m.group(0).strip()[:200]}}),
    # torch.cuda.get_device_properties(0): _CudaDeviceProperties(name='GeForce GT 740', major=3, minor=0, ...)
    ("torch-device-props", re.compile(r"_CudaDeviceProperties\(name='([^']+)', major=(\d+), minor=(\d+)"),
     lambda m: {"index": "0", "name": m.group(1).strip(), "compute_capability": f"{m.group(2)}.{m.group(3)}",
                "backend": "torch", "gpu": "found"}),
    ("jax-cudnn-too-old", re.compile(r"The local installation version must be no lower than (\d+)"),
     lambda m: {"backend": "jax", "gpu": "none", "cudnn": False,
                "cause": {"name": "cudnn-too-old", "message": f"the installed cuDNN is older than {m.group(1)}"}}),
    ("cudnn-installed", re.compile(r"^(?:E\s+)?\W*Installed version: (\d{4,5})\s*$"),  # "E   " : pytest's
     lambda m: {"cudnn_version": m.group(1)}),
    ("cuda-library-not-found", re.compile(r"The (cu[A-Za-z]+) library was not found"),
     lambda m: {"gpu": "none", "error": _not_found(f"the {m.group(1)} library was not found")}),
    ("tf-dso-opened", re.compile(r"Successfully opened (?:dynamic|CUDA) library (\S+)"),
     lambda m: {"backend": "tensorflow", "library_loaded": m.group(1)}),
    ("cntk-gpu", re.compile(r"Selected GPU\[(\d+)\] (.+?) as the process wide default device"),
     lambda m: {"device": f"cuda:{m.group(1)}", "index": m.group(1), "name": m.group(2).strip(), "backend": "cntk",
                "gpu": "used"}),
    _table("cntk-cpu", _flag(device="cpu", backend="cntk", gpu="none")),
    # a run's own settings printed as it starts, with GPU -1: Chainer's examples ("GPU: -1", "# GPU: -1"), a script's
    # argument dump ("gpu_id:\t-1", pix2pix's "gpu_ids: -1"); -1 is their convention for "no GPU, the CPU". Not "gpus"
    # or "devices": Lightning's gpus=-1 / devices=-1 take every GPU; not llama.cpp's n_gpu_layers = -1 (all layers)
    ("gpu-minus-one", re.compile(r"^\s*(?:#\s*)?(?:GPU|gpu|gpu_?ids?|device_id)\s*[:=]\s*-1\s*$"),
     lambda m: {"device": "cpu", "gpu": "none", "says": "the run was started with GPU -1: the CPU"}),
    # Theano compiling its CUDA module prints nvcc's command as a list ("['nvcc', '-shared', '-O3', ..."); nvcc's
    # own "nvcc fatal : Cannot find compiler 'cl.exe' in PATH" above it stopped that compile
    ("theano-nvcc-command", re.compile(r"^\s*\['nvcc', '-shared'"), lambda m: {"backend": "theano"}),
    ("nvcc-fatal", re.compile(r"\bnvcc fatal\s*:\s*(\S.{0,300})"),
     lambda m: {"error": {"name": "nvcc-fatal", "message": f"nvcc fatal: {m.group(1).strip()}"[:200]}}),
    # CNTK's binary: "mpihelper: msmpi.dll missing" (then "MPI_Init, MPI error 16"): a library it needs is not there
    ("cntk-dll-missing", re.compile(r"^\s*\w+: ([\w.-]+\.dll) missing\s*$"),
     lambda m: {"backend": "cntk", "library": m.group(1),
                "error": _not_found(f"{m.group(1)} missing")}),
    # CNTK's Python package without its GPU libraries: "Missing optional dependency (GPU-Specific)"
    ("cntk-no-gpu-libs", re.compile(r"Missing optional dependency \(GPU-Specific\)"),
     lambda m: {"device": "cpu", "backend": "cntk", "gpu": "none"}),
    # any program's "GPU will not be used." (jaxlib: "... Error loading CUDA libraries. GPU will not be used.")
    ("gpu-not-used", re.compile(r"\bGPU will not be used\b"), lambda m: {"device": "cpu", "fallback": True}),
    # Stable Diffusion web UI's sysinfo JSON: "Torch env info": {"torch_version": "2.1.2+cu121", ...,
    # "cuda_compiled_version": "12.1"}
    ("torch-env-json", re.compile(r'^\s*"cuda_compiled_version":\s*"(\d+\.\d+)"'),
     lambda m: {"backend": "torch", "build_cuda": m.group(1)}),
    # Keras's CNTK backend: "UserWarning: CNTK backend warning: GPU is not detected. CNTK's CPU version is not ..."
    ("keras-cntk-no-gpu", re.compile(r"CNTK backend warning: GPU is not detected\b"),
     lambda m: {"device": "cpu", "backend": "cntk", "gpu": "none"}),
    _table("jax-fallback", _flag(device="cpu", fallback=True, backend="jax")),
    _table("cpu-fallback", _flag(device="cpu", fallback=True)),
    _table("mps-fallback", _flag(partial_fallback=True, backend="torch")),
    _table("float64-input", _flag(dtype="float64")),
    _table("theano-no-gpu", _theano_no_gpu),
    _table("cuinit-failed", _cuinit),
    _table("torch-cuda-init", lambda line: _torch_init(line)),
    _table("torch-cpu-build", _flag(fallback=True, cpu_build=True, backend="torch")),
    _table("torch-arch-unsupported", _torch_arch),
    _table("theano-no-nvcc", _flag(fallback=True, backend="theano")),
    _table("cuda-driver-too-old", lambda line: {"fallback": True, "error": _init_error(line)}),
    # the dynamic loader refused to start the program: "cntk: error while loading shared libraries: libcudart.so.7.5:
    # cannot open shared object file: No such file or directory"
    ("ld-missing", re.compile(r"^[\w./-]+: error while loading shared libraries: (\S+?):"),
     lambda m: {"library": m.group(1), "gpu": "none",
                "error": _not_found(f"{m.group(1)} cannot be loaded")}),
    # NVIDIA's cuda.pathfinder (CuPy 14, cuda-python, numba-cuda) found no library file: 'DynamicLibNotFoundError:
    # Failure finding "libcublasLt.so": No such file: ...', also as the ImportError(...) in a show_config cell
    ("pathfinder-not-found", re.compile(r"Failure finding \"((?:lib)?[\w.+-]+?(?:\.so[\w.]*|\.dll))\""),
     lambda m: {"library": m.group(1), "gpu": "none",
                "error": _not_found(f"{m.group(1)} cannot be found")}),
    # PaddlePaddle's dynamic loader: "Cannot load cudnn shared library. Cannot invoke method cudnnGetVersion" (1.x's
    # "Error Message Summary", 2.x's "(PreconditionNotMet)"): the GPU build cannot reach a CUDA library
    ("paddle-dynload-failed", re.compile(r"Cannot load (cudnn|cublas\w*|cudart|cufft|curand|cusolver|cusparse|nccl|cupti|nvrtc|cuda) "
                                         r"shared library\. Cannot invoke method (\w+)"),
     lambda m: {"backend": "paddle", "gpu": "none", **({"cudnn": False} if m.group(1) == "cudnn" else {}),
                "error": _not_found(f"Paddle cannot load the {m.group(1)} shared library")}),
    # TensorFlow on a GPU newer than its kernels: "TensorFlow was not built with CUDA kernel binaries compatible with
    # compute capability 9.0. CUDA kernels will be jit-compiled from PTX" (a warning: the GPU is still used)
    ("tf-ptx-jit", re.compile(r"TensorFlow was not built with CUDA kernel binaries compatible with compute capability (\d+\.\d+)"),
     lambda m: {"backend": "tensorflow", "compute_capability": m.group(1)}),
    _table("dlopen-failed", _library),
    # (also inside an application's own error line: "Error while invoking session ... (flux_text_encoder): CUDA error: ...")
    ("cuda-runtime-error", re.compile(r"(?:^|Error:\s*|\):\s+)(?:CUDA|HIP) error: (.+?)\s*$"), _cuda_runtime_error),
    # a C++ exception nobody caught: "terminate called after throwing an instance of 'std::runtime_error'" and its
    # "  what():  ... cudaEventRecord(...) failed with error an illegal memory access was encountered"
    ("cpp-terminate", re.compile(r"^\s*(?:terminate called after throwing an instance of '([^']{1,120})'|what\(\):\s+(\S.{0,300}))"),
     # (the what() line says why: it is the error; the terminate line is an error printed)
     lambda m: ({"printed_error": {"name": "crash", "message": f"uncaught C++ exception {m.group(1)}"[:200]}} if m.group(1)
                else dict({"error": {"name": "crash", "message": m.group(2).strip()[:200]}},
                          **({"gpu": "used"} if re.search(r"\bcuda\w*\(|illegal memory access", m.group(2), re.I) else {})))),
    # TF 2.14+'s duplicate-registration E lines ("Unable to register cuDNN factory: Attempting to register factory
    # for plugin cuDNN when one has already been registered"): printed at the error level, so read as an error line
    # printed; what it means for the verdict (nothing: TF starts normally) is checks.frameworks' call
    ("tf-duplicate-registration", re.compile(r"^(?:\S+ [\d:.]+: )?E(?:\d{4} [\d:.]+\s+\d+)?\s*\S+\.(?:cc|cpp|cxx|hpp|h|cu|cuh):\d+\]\s*"
                                             r"((?:Unable to register|Attempting to register|.*already been registered).*)$"),
     lambda m: {"backend": "tensorflow", "printed_error": {"name": "duplicate-registration",
                                                           "message": m.group(1).strip()[:200]}}),
    # a C++ ERROR log line
    ("cpp-error", re.compile(r"^(?:\S+ [\d:.]+: )?E(?:\d{4} [\d:.]+\s+\d+)?\s*\S+\.(?:cc|cpp|cxx|hpp|h|cu|cuh):\d+\]\s*(.+)$"),
     lambda m: {"error": {"name": "logged-error", "message": m.group(1).strip()[:200]}}),
    # MATLAB's error and the stack under it: "Undefined variable "rbm" or class "rbm.rbmup".", "Error using
    # gpuArray ...", "Error in dbntrain (line 39)" (a DBN / deep-learning toolbox run that stopped)
    ("matlab-error", re.compile(r"^\s*(Undefined (?:function or variable|variable|function)\b.{1,200}|Error using \S.{0,200}|"
                                r"Error in \S+ \(line \d+\))\s*$"),
     lambda m: {"error": {"name": "matlab-error", "message": m.group(1).strip()[:200]}}),
    # nose's report of a test module that failed to import: "ERROR: Failure: OSError (...libcudamat.so: cannot open ...)"
    ("nose-failure", re.compile(r"^ERROR: Failure: ((?:\w+\.)*\w+(?:Error|Exception)) \((.{1,300})\)\s*$"),
     lambda m: {"error": {"name": m.group(1).rsplit(".", 1)[-1], "message": f"{m.group(1)}: {m.group(2)}"[:200]}}),
    # a C++ FATAL log line (TF/XLA/jaxlib "F ...statusor.cc:34] ...") ends the process
    ("cpp-fatal", re.compile(r"^(?:\S+ [\d:.]+: )?F(?:\d{4} [\d:.]+\s+\d+)?\s*\S+\.(?:cc|cpp|cxx|hpp|h|cu|cuh):\d+\]\s*(.+)$"),
     lambda m: {"error": {"name": "fatal", "message": m.group(1).strip()[:200]}}),
    # a CUDA kernel's device-side assert ("Loss.cu:102: block: [237,0,0], thread: [32,0,0] Assertion `input_val >= zero
    # && input_val <= one` failed."): the GPU stopped the run
    ("device-assert", re.compile(r"\.cu:\d+: \w*:? ?block: \[\d+,\d+,\d+\], thread: \[\d+,\d+,\d+\] Assertion `(.{1,200}?)`? failed"),
     lambda m: {"error": {"name": "device-assert", "message": f"CUDA device-side assert: {m.group(1)}"[:200]}}),
    # (a Chinese locale's shell: 已放弃 / 段错误 (核心已转储) = Aborted / Segmentation fault (core dumped))
    ("process-crash", re.compile(r"\b(Segmentation fault|Aborted|Bus error|Illegal instruction)(?:: \d+)?(?: \(core dumped\))?\s*$|"
                                 r"\b(Abort trap: \d+)\b|"  # macOS's shell: "line 78:  1210 Abort trap: 6   python ..."
                                 r"^\s*(?:已放弃|段错误|总线错误|非法指令) \(核心已转储\)\s*$"),
     lambda m: {"error": {"name": "crash", "message": m.group(0).strip()[:200]}}),
    ("theano-error", re.compile(r"^\s*ERROR \(theano([\w.]*)\): (.+)$|^Apply node that caused the error: (.{1,200})"),
     lambda m: dict({"backend": "theano", "error": {"name": "theano-error",
                                                    "message": (m.group(2) or f"a Theano op failed: {m.group(3)}").strip()[:200]}},
                    # its GPU back-end could not build its own CUDA code: the run is on the CPU
                    **({"gpu": "none", "fallback": True} if m.group(1) in (".sandbox.cuda", ".gpuarray") and
                       re.search(r"Failed to compile|nvcc", m.group(2) or "") else {}))),
    # cuDNN / cuBLAS / cuFFT / cuSOLVER / CUDA status codes in an error's words: "cuDNN error: CUDNN_STATUS_NOT_INITIALIZED",
    # "could not create cudnn handle: CUDNN_STATUS_INTERNAL_ERROR", "CUBLAS_STATUS_EXECUTION_FAILED when calling ..."
    ("cuda-status-error", re.compile(r"(" + CUDA_CODE.pattern + ")"),
     lambda m: dict({"error": {"name": "cuda-status", "message": LOG_PREFIX.sub("", m.string.strip())[:200]}},
                    **({"gpu": "none"} if NO_DEVICE.search(m.string) or m.group(1) in ("cudaErrorNoDevice", "CUDA_ERROR_NO_DEVICE")
                       else {}))),
    # ComfyUI's start-up: "Device: cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync" (the allocator after " : "); its
    # error report's Devices section: "- **Name:** cuda:0 NVIDIA GeForce RTX 4090 D : cudaMallocAsync"
    ("comfyui-device", re.compile(r"(?:^|\s|\]\s?)(?:Device|^\s*Name): (cuda|xpu|privateuseone|mps)(?::(\d+))? (\S.*?) : [\w.-]+\s*$"),
     lambda m: {"device": f"{m.group(1)}:{m.group(2) or 0}", "index": m.group(2) or "0", "name": m.group(3).strip(),
                "backend": "torch", "gpu": "used"}),
    # DeepFaceLab's model summary box: "==------ Running On ------==" then "==  Device index: 0  ==" and
    # "==          Name: GeForce GTX 680 ==" (the box's "==" border on both sides; a CPU run names "CPU")
    ("deepfacelab-device", re.compile(r"^==\s+Name: (.+?)\s*(?:==)?\s*$"),
     lambda m: {"device": "cpu", "gpu": "none"} if m.group(1).upper() == "CPU" else
     {"device": "cuda:0", "name": m.group(1), "gpu": "used"}),
    # Ultralytics / YOLOv5's banner: "Ultralytics YOLOv8.0.221 🚀 Python-3.11.6 torch-2.1.1+cu121 CUDA:0 (NVIDIA GeForce
    # GTX 1650 SUPER, 4096MiB)", further GPUs on their own lines ("  CUDA:1 (Tesla V100, 16160MiB)"); "... torch-2.0 CPU"
    ("ultralytics-gpu", re.compile(r"(?:\btorch-\S+?(?:\+cu(\d+)(\d))?\s+|^\s*)(?:CUDA|ROCm):(\d+) "
                                   r"\(([^,()]+(?:\([^()]*\))?[^,()]*), \d+ ?MiB\)"),
     lambda m: {"device": f"cuda:{m.group(3)}", "index": m.group(3), "name": m.group(4).strip(), "backend": "torch",
                "gpu": "used", **({"build_cuda": f"{m.group(1)}.{m.group(2)}"} if m.group(1) else {})}),
    ("ultralytics-cpu", re.compile(r"\bPython-\d[\d.]*\s+torch-\S+\s+(CPU|MPS)\b"),
     lambda m: {"device": "cpu" if m.group(1) == "CPU" else "mps:0", "backend": "torch",
                "gpu": "none" if m.group(1) == "CPU" else "used"}),
    # an MXNet context list: "start training from scratch with (gpu(0),gpu(1),gpu(2),gpu(3))", "ctx=[gpu(0)]"
    ("mxnet-gpu-context", re.compile(r"(?:[(\[=,]|\bwith )\s*gpu\((\d+)\)"),
     lambda m: {"device": f"cuda:{m.group(1)}", "index": m.group(1), "backend": "mxnet", "gpu": "used"}),
    # EasyOCR: "CUDA not available - defaulting to CPU.", "Neither CUDA nor MPS are available - defaulting to CPU."
    ("easyocr-cpu", re.compile(r"(?:Neither CUDA nor MPS are|CUDA not) available - defaulting to CPU"),
     lambda m: {"backend": "torch", "device": "cpu", "gpu": "none", "fallback": True}),
    # transformers-cli env / diffusers-cli env: "- PyTorch version (GPU?): 1.12.1+cu116 (False)"
    ("hf-env-gpu", re.compile(r"^\W*(PyTorch|Tensorflow|TensorFlow) version \(GPU\?\): (\S+) \((True|False)\)"),
     lambda m: {"backend": "torch" if m.group(1) == "PyTorch" else "tensorflow", "gpu": "used" if m.group(3) == "True" else "none",
                **({"build_cuda": f"{c.group(1)}.{c.group(2)}"} if (c := re.search(r"\+cu(\d+)(\d)$", m.group(2))) else {})}),
    # kohya_ss: "Torch detected GPU: NVIDIA GeForce RTX 4060 Laptop GPU VRAM 8188 Arch (8, 9) Cores 24",
    # "Torch backend: nVidia CUDA 11.8 cuDNN 8905"
    ("kohya-gpu", re.compile(r"Torch detected GPU: (.+?) VRAM \d+(?: Arch \((\d+), (\d+)\))?"),
     lambda m: {"device": "cuda:0", "index": "0", "name": m.group(1).strip(), "backend": "torch", "gpu": "used",
                "compute_capability": f"{m.group(2)}.{m.group(3)}" if m.group(2) else None}),
    ("kohya-backend", re.compile(r"Torch backend: nVidia CUDA (\d+\.\d+) cuDNN (\d+)"),
     lambda m: {"backend": "torch", "build_cuda": m.group(1), "cudnn_version": m.group(2), "cudnn": True}),
    # InvokeAI: "Using torch device: NVIDIA GeForce RTX 5090 Laptop GPU", older ">> Using device_type CPU"
    ("invokeai-device", re.compile(r"Using torch device: (\S.*?)\s*$|Using device_type (cuda|mps|cpu)\b", re.I),
     lambda m: ({"device": "cuda:0", "index": "0", "name": m.group(1), "backend": "torch", "gpu": "used"}
                if m.group(1) and m.group(1).lower() not in ("cpu", "mps", "cuda")
                else {"backend": "torch", "device": (m.group(1) or m.group(2)).lower(),
                      "gpu": "none" if (m.group(1) or m.group(2)).lower() == "cpu" else "used"})),
    ("cudnn-version-said", re.compile(r"\bcuDNN version: (\d{3,6})\s*$"),
     lambda m: {"cudnn_version": m.group(1), "cudnn": True}),
    # text-generation-webui: "Warning: torch.cuda.is_available() returned False."; a checkpoint saved on a GPU loaded
    # where there is none: "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False"
    ("torch-said-no-cuda", re.compile(r"torch\.cuda\.is_available\(\) (?:returned|is) False"),
     lambda m: {"backend": "torch", "gpu": "none"}),
    # stable-diffusion-webui's start-up check (a RuntimeError follows): torch.cuda.is_available() was False
    ("torch-cannot-use-gpu", re.compile(r"Torch is not able to use GPU"),
     lambda m: {"backend": "torch", "gpu": "none"}),
    # openai-whisper on a machine where torch has no GPU: it runs on the CPU in FP32
    ("whisper-cpu", re.compile(r"(?<!warn\(\")FP16 is not supported on CPU; using FP32 instead"),
     lambda m: {"backend": "torch", "device": "cpu", "gpu": "none", "fallback": True}),
    # a script's own device line: "device: cuda:2 n_gpu: 1, distributed training: True" (Hugging Face examples),
    # "Using device: cuda:0", "Running on device: cpu"
    ("script-device", re.compile(r"^\s*(?:Using |Running on |Selected |using )?device(?: used)?\s*[:=]\s*(cuda|mps|xpu|cpu)(?::(\d+))?\b"
                                 r"(?:\s+n_gpu:\s*(\d+))?", re.I),
     _script_device),
    # PyTorch's quickstart tutorial and the scripts copied from it: print(f"Using {device} device")
    ("script-using-device", re.compile(r"^\s*Using (cuda|mps|xpu|cpu)(?::(\d+))? device\s*$"),
     _script_device),
    # PyTorch Lightning's start-up summary: "GPU available: True (cuda), used: True" (older: "GPU available: True, used: True")
    # (also behind a logging prefix: "2020-09-10 22:11:58,979 : lightning    : INFO       GPU available: ...")
    ("lightning-gpu", re.compile(r"(?:^\s*|\bINFO\b[\s:-]{1,12})GPU available: (True|False)(?: \((\w+)\))?, used: (True|False)"),
     lambda m: {"backend": "torch", "gpu": "used" if m.group(1) == "True" else "none",
                "device": f"{m.group(2) or 'cuda'}:0" if m.group(3) == "True" else "cpu"}),
    # TF: "Adding visible gpu devices: 0, 1" -- the GPUs it registered (the "Created device" lines follow)
    ("tf-visible-gpus", re.compile(r"Adding visible gpu devices?: (\d+(?:, ?\d+)*)\s*$"),
     lambda m: {"backend": "tensorflow", "gpu": "used", "index": m.group(1).split(",")[0].strip(),
                "device": f"cuda:{m.group(1).split(',')[0].strip()}"}),
    ("keras-backend", re.compile(r"^Using (Theano|TensorFlow|CNTK|JAX|PyTorch) backend"),
     lambda m: {"framework": m.group(1).lower()}),
    ("dbn-fitting", re.compile(r"\[DBN\] fitting X\.shape=\((\d+), (\d+)\)"),
     lambda m: {"samples": int(m.group(1)), "features": int(m.group(2))}),
    ("dbn-layers", re.compile(r"\[DBN\] layers \[([\d, ]+)\]"),
     lambda m: {"layers": [int(x) for x in m.group(1).replace(" ", "").split(",") if x]}),
]

#: banner kinds whose line is evidence the verdict may quote: every line of the shared table, and device banners
SIGNAL_KINDS = set(signals.BY_NAME) | {"theano-gpu", "theano-mapped", "theano-cudnn", "tf-created-device", "cntk-gpu",
                                       "tf-physical-gpu", "tf-xla-device", "jax-gpu-devices", "tf-device-desc",
                                       "tf-dml-device", "tf-device-mapping", "tf-cudnn-mismatch", "jax-cudnn-too-old", "torch-tensor-device", "cntk-sgd-gpu", "tf-metal-device", "cntk-devices", "cuda-oom", "cntk-invalid-gpu", "jax-cuda-failed", "cuda-runtime-error",
                                       "tf-oom", "lightning-gpu", "tf-visible-gpus", "tf-dml-adapter", "tf-plugin-gpu",
                                       "tf-physical-cpu-only", "xla-oom", "script-device",
                                       "script-using-device"}
#: rules whose every match on a line is a banner (a printed list of device descriptions)
EACH_MATCH = {"tf-device-desc", "netket-gpu-devices"}


TF_PROPERTY = re.compile(r"^\s*(?:name|major|minor|pciBusID|memoryClockRate|computeCapability|coreClock)\b")
TF_PROPERTIES_START = re.compile(r"Found device \d+ with properties:?\s*$|^\s*(?:pciBusID:?\s*\S+\s+)?name:\s*\S")


def _joined(lines: List[str], i: int) -> Tuple[str, int]:
    """A banner split over lines, as one line, and how many following lines it took.

    Terminal and paste wrapping (TF's ``name: GeForce G`` / ``TX TITAN X)``, ``with Cuda c`` /
    ``ompute capability 3.0``), and TF's device properties printed one per line
    (``Found device 0 with properties:`` / ``name: GRID K520`` / ``major: 3 minor: 0 ...``).
    """
    line = lines[i]
    following = lines[i + 1] if i + 1 < len(lines) else ""
    if TF_PROPERTIES_START.search(line):
        taken, parts = 0, [line.rstrip()]
        for extra in lines[i + 1:i + 4]:
            if not TF_PROPERTY.match(extra):
                break
            parts.append(extra.strip())
            taken += 1
        if taken:
            return " ".join(parts), taken
        return line, 0
    if re.search(r"Found GPU\d+ .* which is of cuda capability", line) and "too old" not in line:
        extra = [x.strip() for x in lines[i + 1:i + 3] if x.strip()]
        if extra and "too old" in extra[0]:
            return " ".join([line.rstrip()] + extra), len(extra)
    if re.search(r"Initiali[sz]ation of device \S+ failed:\s*$", line) and following.strip():
        return line.rstrip() + " " + following.strip(), 1  # Theano puts the reason on the next line
    if "gpu device" in line and "minimum required" not in line and "minimum required" in following[:300]:
        glue = "" if line[-1:].isalpha() and following.strip()[:1].islower() else " "
        return line.rstrip() + glue + following.strip(), 1
    if "device" in line and line.count("(") > line.count(")") and following:
        return line + following.strip(), 0
    return line, 0


TRACEBACK_FRAME = re.compile(r'^\s*File "[^"]+", line \d+')

#: no rule matches a line shorter than this ("Aborted" is the shortest); shorter lines skip every search
MIN_BANNER = 7

#: a banner joined from several lines is read up to this length (each line is already cut to 2,000)
MAX_JOINED = 2000

#: jaxlib's XLA sources, "external/xla/xla/..." (TensorFlow's own say "local_xla"; "external/org_tensorflow/" is older
#: jaxlib's and TF Serving's alike, so it decides nothing here)
JAXLIB_PATH = re.compile(r"\bexternal/xla/xla/")
#: older jaxlib built XLA as external/org_tensorflow/, as TF Serving builds TensorFlow: its PJRT client's lines
#: ("external/org_tensorflow/tensorflow/compiler/xla/pjrt/gpu_device.cc") are JAX's, and then so are the others
JAXLIB_PJRT = re.compile(r"\bexternal/org_tensorflow/tensorflow/compiler/xla/pjrt/")
JAXLIB_OLD_PATH = re.compile(r"\bexternal/org_tensorflow/")

#: a C++ logging prefix before the message: "2017-06-30 12:49:22.005585: I c:\\...\\gpu_device.cc:1030] ",
#: "I tensorflow/core/...cc:88] ", "W0000 00:00:1700000000.1 123 cuda_dnn.cc:442] "
#: a line logged at the error level, whatever rule read it: Theano's "ERROR (theano.sandbox.cuda): ...", Python
#: logging's "ERROR:root:..." / "... - ERROR - ...", "[ERROR] ...", glog's "E0412 10:11:12.123 ...", ONNX Runtime's
#: "[E:onnxruntime:Default, ...]" (a C++ E line
#: with a source file is the cpp-error rule's)
ERROR_LEVEL = re.compile(r"^\W{0,3}(?:\[?\d{4}[-/]\d\d[-/]\d\d[ T][\d:.,]+\]?\s*(?:[-:|]\s*)?(?:\S+\s+[-:|]\s+)?)?"
                         r"(?:\[ERROR\]|ERROR(?=\s*[(:\[]|\s+-\s)|E\d{4} \d\d:\d\d|\[E:\w+:)")
LOG_PREFIX = re.compile(r"^(?:\S+ [\d:.]+: )?[IWEF](?:\d{4} [\d:.]+\s+\d+)?\s*\S+\.(?:cc|cpp|cxx|hpp|h|cu|cuh):\d+\]\s*")


def _needles(items: Any) -> Optional[FrozenSet[str]]:
    """Lower-case strings one of which every match of the parsed pattern ``items`` contains, or None (unknown).

    Read from the pattern itself (``re._parser``): the longest run of literals it cannot match without, or
    the needles of a group or branch it cannot match without (one per alternative)."""
    from re import _constants as C  # noqa: N812 - the parser's own names
    best: Optional[FrozenSet[str]] = None

    def better(found: Optional[FrozenSet[str]]) -> None:
        nonlocal best
        if found and (best is None or min(map(len, found)) > min(map(len, best))):
            best = found

    run = ""
    for op, arg in items:
        if op is C.LITERAL:
            run += chr(arg)
            continue
        better(frozenset([run.lower()]) if len(run) >= 3 else None)
        run = ""
        if op is C.SUBPATTERN:
            better(_needles(arg[3]))
        elif op is C.BRANCH:
            alternatives = [_needles(branch) for branch in arg[1]]
            if all(alternatives):
                better(frozenset().union(*alternatives))  # type: ignore[arg-type]
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and arg[0] >= 1:
            better(_needles(arg[2]))
    better(frozenset([run.lower()]) if len(run) >= 3 else None)
    return best


def _rule_needles(pattern: "re.Pattern[str]") -> Optional[FrozenSet[str]]:
    try:
        from re import _parser
        return _needles(_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # noqa: BLE001 - an unreadable pattern is searched on every line
        return None


#: per rule, the strings one of which a line must hold for the rule to match it (None: search every line)
NEEDLES = [_rule_needles(pattern) for _kind, pattern, _extract in RULES]
#: a line holding none of the needles can match only the rules without any: one search decides
ANY_NEEDLE = re.compile("|".join(sorted({re.escape(n) for ns in NEEDLES if ns for n in ns}, key=len, reverse=True)))
UNFILTERED = [rule for rule, needles in zip(RULES, NEEDLES) if needles is None]


def scan(lines: List[str]) -> List[Dict[str, Any]]:
    """Every banner found, in log order, each with its kind, line number and quoted line.

    Identification asks several parsers about the same lines, so the last scans are kept
    (the dicts handed out are copies)."""
    return [dict(b) for b in _scan(tuple(lines))]


@functools.lru_cache(maxsize=4)
def _scan(lines: Tuple[str, ...]) -> Tuple[Dict[str, Any], ...]:
    banners: List[Dict[str, Any]] = []
    skip = -1
    pjrt = any("pjrt" in line and JAXLIB_PJRT.search(line) for line in lines[:20000])
    for i, raw in enumerate(lines):
        if i <= skip or len(raw) < MIN_BANNER or len(raw) > 4000:
            continue
        if i and TRACEBACK_FRAME.match(lines[i - 1]) and raw[:1] in (" ", "\t"):
            # the source line a traceback quotes ("print 'No GPU will be used.'") is code, not output; a line at
            # the margin is the exception itself (a frame of <stdin> quotes no source)
            continue
        line, taken = _joined(lines, i)  # type: ignore[arg-type]
        line = line[:MAX_JOINED]
        rules = RULES if ANY_NEEDLE.search(line.lower()) else UNFILTERED  # no rule's needle: only the others can match
        for kind, pattern, extract in rules:
            first = pattern.search(line)
            if first is None:
                continue
            matches = list(pattern.finditer(line))[:64] if kind in EACH_MATCH else [first]
            quoted = " ".join(line.split())
            # drop TF's "2017-06-30 12:49:22.005585: I c:\...\gpu_device.cc:1030]" prefix: no timestamps in messages
            quoted = LOG_PREFIX.sub("", quoted)
            found = False
            for m in matches:
                try:
                    data = extract(m)
                except (ValueError, IndexError):
                    continue
                data = {k: v for k, v in data.items() if v is not None}
                if not (data.get("error") or data.get("printed_error")) and ERROR_LEVEL.match(raw):
                    # the schema's "printed an error": an error-level line is one, whatever else it says
                    data["printed_error"] = {"name": "error-line", "message": LOG_PREFIX.sub("", raw.strip())[:200]}
                if data.get("backend") == "tensorflow" and (JAXLIB_PATH.search(line) or (pjrt and JAXLIB_OLD_PATH.search(line))):
                    data["backend"] = "jax"  # jaxlib's XLA logs TensorFlow's file names under its own external/ path
                banners.append(dict(data, kind=kind, lineno=i + 1, line=quoted[:300], signal=kind in SIGNAL_KINDS))
                found = True
            if not found:
                continue
            skip = i + taken
            break
    return tuple(banners)


def summarise(banners: List[Dict[str, Any]]) -> Dict[str, Any]:
    """device_used / device_name / backend / cuDNN state / dtype implied by the banners."""
    out: Dict[str, Any] = {"device_used": "", "device_name": "", "backend": "", "cudnn": None, "dtype": "",
                           "signals": [b["line"] for b in banners if b.get("signal")]}
    for b in banners:
        if b.get("device") and not (out["device_used"] and b["device"] == "cpu" and not b.get("fallback")):
            out["device_used"] = b["device"]
        if b.get("name"):
            out["device_name"] = b["name"]
        if b.get("framework") and not out["backend"]:
            out["backend"] = b["framework"]
        elif b.get("backend") and not out["backend"]:
            out["backend"] = b["backend"]
        if "cudnn" in b:
            out["cudnn"] = b["cudnn"]
            if b.get("cudnn_version"):
                out["cudnn_version"] = b["cudnn_version"]
        if b.get("dtype"):
            out["dtype"] = b["dtype"]
        if b.get("samples"):
            out["samples"] = b["samples"]
        if b.get("layers"):
            out["layers"] = b["layers"]
    if any(b.get("fallback") for b in banners) and not any(
            b.get("device", "").startswith("cuda") for b in banners if not b.get("fallback")):
        out["device_used"] = "cpu"
    return out
