"""Framework start-up and environment output -> which framework, which GPUs, and the evidence.

What people paste into an issue when "the GPU is not used" is rarely a training log: it is
TensorFlow's start-up lines (``Created device ... compute capability: 8.6``, ``Could not
load dynamic library 'cudart64_110.dll'``, ``Ignoring visible gpu device``), PyTorch's
``sm_86 is not compatible`` warning or ``python -m torch.utils.collect_env``, Theano's
``Using gpu device 0:`` / ``Mapped name None to device cuda0:``, CNTK's ``Selected CPU as
the process wide default device``, gnumpy's ``failed to import cudamat``, JAX's ``falling
back to cpu`` or a REPL printing ``torch.cuda.is_available()`` / ``jax.devices()``.

This module reads such text into: the framework(s), the GPUs named (index, name, compute
capability, whether the framework rejected it), missing libraries, cuDNN/CUDA/driver
versions, collect_env's fields, and an ``evidence`` list -- each line that says the GPU is
used (``used``), present but refused (``rejected``) or not used (``none``). Whether the GPU
is usable is decided from that evidence in ``checks.frameworks``, never here. The line
rules live in ``log_banners`` (shared with training logs); nothing here raises.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from . import common, log_banners, signals

KIND = "framework-log"

#: lines that name a framework (a log line, an import, an API call); first column: canonical name
FRAMEWORK_MARKERS: Tuple[Tuple[str, "re.Pattern[str]"], ...] = tuple((name, re.compile(pattern, re.I)) for name, pattern in (
    # jaxlib builds XLA as external/org_tensorflow (older) or external/xla (TF's own logs say external/local_xla)
    ("jax", r"external/org_tensorflow/|external/xla/xla/"),
    ("tensorflow", r"(?<!org_tensorflow/)(?<!//)\btensorflow\b(?!/compiler/xla/python|/stream_executor/tpu|/core/tpu)|\btf\.(?:config|test|device|keras)|gpu_device\.cc|dso_loader\.cc|cuda_dnn\.cc|"
                   r"cudart_stub\.cc|cuda_diagnostics\.cc|cuda_driver\.cc|PhysicalDevice\(name=|physical_device_desc|"
                   r"device_type: \"(?:GPU|CPU|DML|XLA_GPU)\"|list_local_devices|\blocal_xla/|tf2tensorrt|cuda_fft\.cc|cuda_blas\.cc|"
                   # TensorFlow's own exception classes
                   r"\b(?:ResourceExhaustedError|FailedPreconditionError|InvalidArgumentError)\b|"
                   # Eigen's TensorDeviceCuda, compiled into TensorFlow: "Failed to initialize CUDA device #0: ..."
                   r"^Failed to initialize CUDA device #\d+: |"
                   # dso_loader's words: "Could not load dynamic library 'libcusolver.so.10'; dlerror: ..."
                   r"Could not load dynamic library '[^']+'; dlerror:"),
    ("pytorch", r"\btorch\b|\bPyTorch\b|\bpytorch_lightning\b|\bMPS (?:backend|built|available)\b|^\s*GPU available: (?:True|False)\b.*\bused: |"
                # ATen/THC's C++ sources, its device-side-assert hint, ComfyUI's and Ultralytics' banners
                r"\bv_num=\w|\bValidation sanity check\b|\baten/src/|\bTHC\w*\.(?:cpp|cu|h)\b|\bTORCH_USE_\w+_DSA\b|Total VRAM \d+ MB, total RAM|"
                r"\bUltralytics\b|\bYOLOv\d|\bignite\.(?:engine|handlers|metrics|contrib)\b"),
    ("theano", r"\btheano\b|CNMeM|Mapped name \S+ to device|Using gpu device \d+|\bpygpu\b"),
    ("cntk", r"\bcntk\b|process wide default device|^\s*Finished Epoch ?\[\s*\d+|^\s*With 1bit-SGD:|^\s*Build target: (?:GPU|CPU)|\bEpoch\[\s*\d+ of \d+\]-Minibatch\["),
    ("jax", r"\bjax(?:lib)?\b|CpuDevice\(id=|TFRT_CPU_\d|\bxla_bridge\.py:\d+\]"),
    ("gnumpy", r"\bgnumpy\b|\bcudamat\b|\bnpmat\b|gpu_lock"),
    ("cupy", r"\bcupy\b|\bCuPy Version\b|\bchainer\b"),
    # MXNet's own error class, its sources, and Module.fit's epoch lines ("Epoch[4] Train-accuracy=0.548824",
    # "Epoch[0] Time cost=20.6", "Epoch[0] Resetting Data Iterator")
    ("mxnet", r"\bmxnet\b|\bMXNetError\b|\bEpoch\[\d+\] (?:Train-|Validation-|Time cost=|Resetting Data Iterator)"),
    # PaddlePaddle's dynamic loader and error summary ("paddle/fluid/platform/dynload/cudnn.cc")
    ("paddle", r"\bpaddle(?:paddle)?\b|/paddle/(?:fluid|phi)/"),
))
#: a literal every FRAMEWORK_MARKERS pattern needs (lower case): a line with none of them is skipped unsearched
MARKER_WORDS = ("tensorflow", "tf.", "gpu_device.cc", "dso_loader.cc", "cuda_dnn.cc", "cudart_stub.cc",
                "cuda_diagnostics.cc", "cuda_driver.cc", "physicaldevice(", "physical_device_desc", "device_type:",
                "list_local_devices", "local_xla/", "tf2tensorrt", "cuda_fft.cc", "cuda_blas.cc", "torch", "theano", "cnmem", "mapped name", "using gpu device", "pygpu", "cntk",
                "process wide default device", "finished epoch", "jax", "cpudevice(", "tfrt_cpu_", "xla_bridge.py", "gnumpy", "cudamat",
                "npmat", "gpu_lock", "mps ", "gpu available:", "v_num=", "validation sanity check", "cupy", "chainer", "external/xla/", "aten/src/", "thc",
                "total vram", "ultralytics", "yolov", "with 1bit-sgd:", "build target:", "]-minibatch[", "resourceexhaustederror", "failedpreconditionerror",
                "invalidargumenterror", "ignite.", "failed to initialize cuda device #", "dlerror:", "mxnet", "epoch[", "paddle")
MARKER_WORD = re.compile("|".join(re.escape(word) for word in MARKER_WORDS))
BACKEND_NAMES = {"torch": "pytorch", "gnumpy+npmat": "gnumpy", "gnumpy+cudamat": "gnumpy"}

#: keras's "Using X backend." names the framework that did the work
KERAS_BACKEND = re.compile(r"^Using (Theano|TensorFlow|CNTK|JAX|PyTorch) backend", re.I)
EPOCH_LINE = re.compile(r"^\s*Epoch:? \d+(?:/\d+| of \d+)|^\s*\d+/\d+ \[[=>.]+\]|^\s*Finished Epoch ?\[\s*\d+ of \d+\]")

# python -m torch.utils.collect_env (and the similar lines of jax.print_environment_info)
COLLECT_ENV = re.compile(r"^(PyTorch version|Is debug build|CUDA used to build PyTorch|ROCM used to build PyTorch|CUDA version|"
                         r"Is CUDA available(?: \(PyTorch\))?|CUDA runtime version|CUDA_MODULE_LOADING set to|"
                         r"GPU models and configuration|Nvidia driver version|cuDNN version|HIP runtime version|"
                         r"MIOpen runtime version|Is XNNPACK available|OS|Python version)\s*:\s*(.*)$")  # (vLLM's copy
# pads its keys: "Is CUDA available            : False")
NOT_COLLECTED = re.compile(r"^(?:Could not collect|N/A|None|No CUDA)\s*$", re.I)
GPU_MODEL = re.compile(r"^\s*GPU (\d+): (.+?)\s*(?:\(UUID: [^)]*\))?\s*$")
CUDNN_PATH = re.compile(r"(?:libcudnn(?:_\w+)?\.so\.|cudnn64_|libcudnn\.(?=\d))(\d+(?:\.\d+)*)")

# a REPL or a print: the call, then its answer on the next non-blank line (or after it on the line)
ASKS = (
    ("is_available", re.compile(r"(?:torch\.)?(?:cuda|backends\.mps)\.is_available\(\)|tf\.test\.is_gpu_available\(|"
                                r"is_gpu_available\(")),
    ("built_with_cuda", re.compile(r"is_built_with_cuda\(\)")),
    ("gpu_list", re.compile(r"list_physical_devices\(\s*['\"]GPU['\"]\s*\)|get_available_gpus\(\)")),
    ("device_count", re.compile(r"(?:torch\.)?cuda\.device_count\(\)")),
    ("device_name", re.compile(r"cuda\.get_device_name\(")),
    ("build_version", re.compile(r"torch\.version\.(?:cuda|hip)\b")),
    ("cudnn_version", re.compile(r"torch\.backends\.cudnn\.version\(\)")),
    ("cntk_devices", re.compile(r"\b(?:cntk|C)\.device\.all_devices\(\)")),
)
#: a device in CNTK's answer to all_devices(): "(GPU[0] GeForce GTX 1080 Ti, CPU)"
CNTK_DEVICE = re.compile(r"GPU\[(\d+)\]\s*([^,()]+)")
ANSWER_BOOL = re.compile(r"^(?:>>>\s*)?(?:\S.*?[:=?]\s*)?(True|False)\s*$")
TF_DEVICE_NAME = re.compile(r"^\s*(?:>>>\s*|Out\[\d+\]:\s*)?['\"]?/device:GPU:(\d+)['\"]?\s*$")
NUM_GPUS = re.compile(r"Num(?:ber of)? GPUs?(?: Available)?\s*[:=]\s*(\d+)", re.I)


def _lines(text: Any) -> List[str]:
    return common.terminal_lines(text)[:200000]


def _frameworks(lines: List[str], banners: List[Dict[str, Any]]) -> List[str]:
    """Frameworks named, most specific first: a Keras backend line, then the frameworks whose own
    device lines were read (most first), then those only mentioned (most lines first)."""
    order: List[str] = []
    for line in lines:
        m = KERAS_BACKEND.match(line.strip())
        if m:
            name = BACKEND_NAMES.get(m.group(1).lower(), m.group(1).lower())
            if name not in order:
                order.append(name)
    said: Dict[str, int] = {}
    judged: Dict[str, int] = {}  # lines that say what the framework did with the GPU ("falling back to CPU")
    for b in banners:
        name = BACKEND_NAMES.get(str(b.get("backend") or ""), b.get("backend"))
        if name:
            said[name] = said.get(name, 0) + 1
            judged[name] = judged.get(name, 0) + int(any(b.get(k) for k in ("gpu", "fallback", "error")))
    for name in sorted(said, key=lambda n: (-judged[n], -said[n])):
        if name not in order:
            order.append(name)
    if order and judged.get(order[0], 0) == 0:
        device = next((n for n in order[1:] if judged.get(n, 0) > 0), None)
        if device:  # Keras named a backend that printed nothing of the GPU; another framework's own lines did
            order.remove(device)
            order.insert(0, device)
    counts: Dict[str, int] = {}
    first_seen: Dict[str, int] = {}
    for i, line in enumerate(lines):
        if not MARKER_WORD.search(line[:500].lower()):
            continue
        for name, pattern in FRAMEWORK_MARKERS:
            if pattern.search(line[:500]):
                counts[name] = counts.get(name, 0) + 1
                first_seen.setdefault(name, i)
                if name == "jax" and log_banners.JAXLIB_PATH.search(line[:500]):
                    break  # jaxlib's own XLA log line: the TensorFlow file names in it are not TensorFlow
    for name in sorted(counts, key=lambda n: (-counts[n], first_seen.get(n, 0))):
        if name not in order:
            order.append(name)
    if "jax" in order and "tensorflow" in order and order.index("tensorflow") < order.index("jax") and \
            _jax_not_tensorflow(lines):
        order.remove("jax")
        order.insert(order.index("tensorflow"), "jax")
    return order


JAX_OWN_WORDS = re.compile(r"\bjax(?:lib)?\b(?!/)")


def _jax_not_tensorflow(lines: List[str]) -> bool:
    """Older jaxlib logs TensorFlow's file names under "external/org_tensorflow/" (so does TF Serving): they are
    JAX's when JAX is named in its own words ("import jax", "jax.device_count()") and every TensorFlow mention is
    such a path."""
    named = tf_elsewhere = False
    for line in lines[:20000]:
        low = line[:500].lower()
        if "jax" in low and JAX_OWN_WORDS.search(low.replace("external/org_tensorflow/", "")):
            named = True
        if "tensorflow" in low and "org_tensorflow/" not in low:
            tf_elsewhere = True
    return named and not tf_elsewhere


def _answer_after(lines: List[str], i: int) -> Tuple[Optional[str], int]:
    """The value printed for the call on line ``i``: after it on the line, or the next non-blank line."""
    for j in range(i + 1, min(i + 4, len(lines))):
        text = lines[j].strip()
        if text:
            return text, j
    return None, i


#: a check script's own key/value prints: "cuda_available: True", "gpu: NVIDIA GeForce RTX 4090", "torch.cuda: 12.4"
SCRIPT_AVAILABLE = re.compile(r"^\s*(?:torch\.)?(?:backends\.)?(?:cuda|mps)[ _.]?(?:is_)?available(?:\(\))?\??\s*[:=]\s*(True|False)\s*$", re.I)
SCRIPT_GPU = re.compile(r"^\s*(?:gpu|device)(?:[ _]name)?\s*[:=]\s*([A-Za-z].{2,80}?)\s*$", re.I)
SCRIPT_BACKEND = re.compile(r"^\s*(?:jax\s+)?(?:default[ _])?backend\s*[:=]?\s*['\"]?(gpu|cuda|rocm|cpu|tpu)['\"]?\s*$", re.I)
#: (also an application's start-up table behind its tag: "[AllTalk ENG] CUDA Version      : 12.1")
SCRIPT_CUDA = re.compile(r"^\s*(?:\[[^\]]{1,40}\]\s*)?(?:torch\.(?:version\.)?cuda|cuda_version|CUDA Version)\s*[:=]\s*"
                         r"(\d+\.\d+(?:\.\d+)?)\s*$")


def _script_prints(lines: List[str]) -> List[Dict[str, Any]]:
    """Evidence from a check script's prints: its CUDA-available line, and the GPU it names next to it."""
    found: List[Dict[str, Any]] = []
    for i, line in enumerate(lines[:20000]):
        b = SCRIPT_BACKEND.match(line) if "backend" in line.lower() else None
        if b:  # print(xla_bridge.get_backend().platform), jax.default_backend(): the platform JAX computes on
            found.append({"lineno": i + 1, "gpu": "used" if b.group(1).lower() in ("gpu", "cuda", "rocm") else "none",
                          "line": line.strip()[:300], "kind": "script-print", "says": line.strip()[:80]})
            continue
        m = SCRIPT_AVAILABLE.match(line)
        if m:
            found.append({"lineno": i + 1, "gpu": "used" if m.group(1).lower() == "true" else "none",
                          "line": line.strip()[:300], "kind": "script-print", "says": line.strip()[:80]})
    if found:
        for i, line in enumerate(lines[:20000]):
            g = SCRIPT_GPU.match(line)
            if g and abs(i + 1 - found[0]["lineno"]) <= 5:
                found.append({"lineno": i + 1, "gpu": "found", "line": line.strip()[:300], "kind": "script-print",
                              "name": g.group(1)})
    return found


#: TensorFlow's own repr of a device list (list_physical_devices()), printed with or without its call
TF_PHYSICAL = re.compile(r"PhysicalDevice\(name='/physical_device:([A-Z_]+):(\d+)', device_type='([A-Z_]+)'\)")


def _asked(lines: List[str]) -> List[Dict[str, Any]]:
    """Answers to the usual "is the GPU there?" calls, each as evidence with its line."""
    found: List[Dict[str, Any]] = _script_prints(lines)
    for i, line in enumerate(lines):
        listed = TF_PHYSICAL.findall(line[:4000]) if "PhysicalDevice(" in line else []
        if listed and line.lstrip().startswith("[") and line.rstrip().endswith("]"):
            # the whole list: a GPU in it is one TensorFlow can use; CPUs alone are no GPU
            gpus = [index for _kind, index, dtype in listed if dtype == "GPU"]
            found.append({"lineno": i + 1, "gpu": "used" if gpus else "none", "line": line.strip()[:300],
                          "kind": "gpu_list", "backend": "tensorflow",
                          "says": f"TensorFlow lists {len(gpus)} GPU(s)" if gpus else "TensorFlow lists no GPU"})
            continue
        d = TF_DEVICE_NAME.match(line) if "/device:GPU:" in line else None
        if d:  # what tf.test.gpu_device_name() prints when TensorFlow has a GPU, wherever its call was
            found.append({"lineno": i + 1, "gpu": "used", "line": line.strip(), "kind": "gpu_device_name",
                          "says": f"tf.test.gpu_device_name(): /device:GPU:{d.group(1)}"})
            continue
        if "(" not in line and "torch.version" not in line and "gpu" not in line.lower():
            continue  # every call ASKS reads has its parentheses (torch.version.cuda is read bare); NUM_GPUS needs GPU
        m = NUM_GPUS.search(line)
        if m:
            n = int(m.group(1))
            found.append({"lineno": i + 1, "gpu": "used" if n else "none", "line": line.strip(),
                          "kind": "gpu-count", "says": f"{n} GPU(s) available"})
            continue
        for what, pattern in ASKS:
            if not pattern.search(line):
                continue
            tail = line[pattern.search(line).end():]
            if what == "device_name":  # get_device_name(0): the argument is not the answer
                tail = tail.split(")", 1)[1] if ")" in tail else ""
            tail = tail.strip(" )")
            answer, j = (tail, i) if tail in ("True", "False", "[]") or tail[:1].isdigit() else _answer_after(lines, i)
            if answer is None:
                break
            quoted = f"{line.strip()} -> {answer}"[:300]
            if what in ("is_available", "built_with_cuda"):
                b = ANSWER_BOOL.match(answer)
                if b:
                    found.append({"lineno": j + 1, "gpu": "used" if b.group(1) == "True" else "none", "line": quoted,
                                  "kind": what, "cpu_build": what == "built_with_cuda" and b.group(1) == "False",
                                  "says": f"{what.replace('_', ' ')}: {b.group(1)}"})
            elif what == "gpu_list" and answer in ("[]", "> []"):
                found.append({"lineno": j + 1, "gpu": "none", "line": quoted, "kind": what,
                              "says": "the framework lists no GPU"})
            elif what == "device_count" and answer.isdigit():
                found.append({"lineno": j + 1, "gpu": "used" if int(answer) else "none", "line": quoted,
                              "kind": what, "says": f"{answer} CUDA device(s)"})
            elif what == "build_version":
                version = answer.strip("'\" ")
                if version == "None":  # torch.version.cuda is None: a CPU-only build
                    found.append({"lineno": j + 1, "gpu": "none", "line": quoted, "kind": what, "cpu_build": True,
                                  "says": "the build has no CUDA/ROCm"})
                elif version[:1].isdigit():
                    found.append({"lineno": j + 1, "gpu": "found", "line": quoted, "kind": what, "version": version})
            elif what == "cudnn_version" and answer.strip("'\" ").isdigit():
                found.append({"lineno": j + 1, "gpu": "found", "line": quoted, "kind": what,
                              "cudnn_version": answer.strip("'\" ")})
            elif what == "cntk_devices" and answer.startswith("(") and "CPU" in answer:
                gpus = CNTK_DEVICE.findall(answer)
                for index, name in gpus:
                    found.append({"lineno": j + 1, "gpu": "used", "line": quoted, "kind": what, "index": index,
                                  "name": name.strip(), "backend": "cntk", "says": f"CNTK lists GPU[{index}]"})
                if not gpus:
                    found.append({"lineno": j + 1, "gpu": "none", "line": quoted, "kind": what, "backend": "cntk",
                                  "says": "CNTK lists the CPU alone"})
            elif what == "device_name":
                name = answer.strip("'\" ")
                if name and not name.startswith(("Traceback", "RuntimeError", "AssertionError")):
                    found.append({"lineno": j + 1, "gpu": "found", "line": quoted, "kind": what, "name": name})
            break
    return found


IMPORT_ERROR = re.compile(r"^\s*(ImportError|OSError|ModuleNotFoundError|RuntimeError): (.+)$")
#: the exception line that ends a traceback: ``SyntaxError: ...``, ``cudamat.cudamat.CUDAMatException: ...``
#: (also bare ``Exception: ...``, and Ray's ``ray.exceptions.RayTaskError(RuntimeError): ray::...`` with its cause)
EXCEPTION_LINE = re.compile(r"^\s*(?:>>\s?|E {3}|UnfilteredStackTrace: )?((?:[A-Za-z_][\w]*\.)*(?:[A-Za-z_]\w*)?(?:Error|Exception)(?:\(\w+\))?): (.+)$")
#: the last line of a traceback whose exception has no message ("KeyboardInterrupt", "MemoryError", "SystemExit: ")
#: an exception's (dotted) class name, as a traceback's last line or IPython's header names it
EXCEPTION_NAME = r"(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Interrupt|Exit|Iteration)"
BARE_EXCEPTION = re.compile(rf"^\s*({EXCEPTION_NAME}):?\s*$")
#: a framework's own files in a path
FRAMEWORK_PATH = re.compile(r"[/\\](?:gnumpy|cudamat|theano|pygpu|cntk|torch|tensorflow|jax|jaxlib)[/\\.]", re.I)
#: a traceback frame in a framework's own files: the framework itself stopped
FRAMEWORK_FRAME = re.compile(r'^\s*File "[^"]*(?:gnumpy|cudamat|theano|pygpu|cntk|torch|tensorflow|jax|gdbn|nolearn)[^"]*"',
                             re.I)


#: an exception line that is about the GPU, printed without its traceback (an excerpt, a log line)
GPU_EXCEPTION = re.compile(r"CUDA|cuDNN|CUBLAS|\bGPU\b|\bdevice\b|driver|Torch not compiled", re.I)
#: the source line of the last frame of a traceback cut before its exception: ``raise AssertionError("Torch not c``
RAISE_LINE = re.compile(r"^\s*raise ((?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*)\((.*)$")
#: a library loaded through ctypes in the traceback's source lines: the one that could not be found
CTYPES_LOAD = re.compile(r"(?:LoadLibrary|CDLL|WinDLL|cdll\.\w+|load_library)\(\s*['\"]([^'\"]+)['\"]")
LOAD_FAILED = re.compile(r"\[(?:Win)?Error 126\]|The specified module could not be found|cannot open shared object file|"
                         r"image not found|Library not loaded", re.I)


#: IPython frames at the margin: "~/lib/x.py in f(a)", "<ipython-input-8-...> in <module>", "---> 12 code"
IPYTHON_FRAME = re.compile(r"^(?:~|/|[A-Za-z]:\\|<ipython-input|-+> \d|\S+\.py in )")
#: IPython/Jupyter's traceback header names the exception: "InternalError     Traceback (most recent call last)"
IPYTHON_HEADER = re.compile(rf"^({EXCEPTION_NAME})\s+Traceback \(most recent call last\)")


def _tracebacks(lines: List[str]) -> List[Tuple[int, int]]:
    """(first, last) line indexes of each traceback: its header to its exception line or where it stops."""
    out: List[Tuple[int, int]] = []
    start: Optional[int] = None
    for i, line in enumerate(lines):
        # also a header glued to the end of a progress bar's last redraw ("- loss: 0.1Traceback (most recent ...")
        if line.startswith("Traceback (most recent call last)") or IPYTHON_HEADER.match(line) or (
                len(line) > 34 and line.endswith("Traceback (most recent call last):")):
            if start is not None:
                out.append((start, i - 1))
            start = i
        elif start is None and not out and log_banners.TRACEBACK_FRAME.match(line) and \
                not any(lines[k].strip() and not common.is_prompt(lines[k]) for k in range(max(0, i - 1), i)) and \
                i + 1 < len(lines) and \
                lines[i + 1].startswith((" ", "\t")):
            start = i  # a paste that starts at a traceback's first frame (its "Traceback" header left out)
        elif start is not None and i > start and re.match(r'^\s+File "[^"]*$', lines[i - 1]):
            continue  # a frame's path wrapped by the console ('  File "C:\\...\\analyze_vid' / 'eos.py", line 344')
        elif start is not None and line.strip() and not line.startswith((" ", "\t")) and i > start and \
                not (IPYTHON_HEADER.match(lines[start]) and IPYTHON_FRAME.match(line)):
            out.append((start, i))  # the first line at the margin after the frames: the exception
            start = None
    if start is not None:
        out.append((start, len(lines) - 1))
    return out


#: exceptions that say the GPU ran out of memory by their class alone (TensorFlow's, torch.cuda's)
OOM_EXCEPTIONS = ("ResourceExhaustedError", "OutOfMemoryError")


def _exception_name(dotted: str) -> str:
    cause = re.search(r"\((\w+)\)$", dotted)  # Ray: RayTaskError(DeferredCudaCallError) is the cause's
    name = cause.group(1) if cause else dotted.rsplit(".", 1)[-1]
    if name in OOM_EXCEPTIONS:  # the name the out-of-memory lines' rules give (log_banners: tf-oom, cuda-oom, xla-oom)
        return "out-of-memory"
    return "syntax-error" if name == "SyntaxError" else name


def _traceback_error(block: List[str]) -> Optional[Dict[str, Any]]:
    """What one traceback says stopped the run: its exception line (a ctypes library that could not be loaded
    named), the exception IPython's header names when the paste stops before the message, or the last
    ``raise`` of a traceback cut before its exception."""
    end = block[-1]
    m = EXCEPTION_LINE.match(end)
    if m:
        error = {"name": _exception_name(m.group(1)), "message": end.strip()[:300]}
        # the paste cut inside the message ("AssertionError: Torch not compiled with CU"): the frame's own raise says it
        raised = next((r for r in (RAISE_LINE.match(line) for line in reversed(block[:-1])) if r), None)
        if raised and raised.group(1).rsplit(".", 1)[-1] == m.group(1).rsplit(".", 1)[-1]:
            said = raised.group(2).rstrip(")").strip("\"'")
            if len(said) > len(m.group(2).strip()) and said.startswith(m.group(2).strip()):
                error.update(message=f"{m.group(1)}: {said}"[:300], cut=True)
        loaded = [c.group(1) for c in (CTYPES_LOAD.search(line) for line in block) if c]
        if loaded and LOAD_FAILED.search(end):
            error.update(name="library-not-found", library=loaded[-1])
        return error
    bare = BARE_EXCEPTION.match(end)
    if bare:  # an exception raised without a message: "KeyboardInterrupt", "MemoryError"
        return {"name": _exception_name(bare.group(1)), "message": bare.group(1)}
    header = IPYTHON_HEADER.match(block[0])
    if header:
        return {"name": _exception_name(header.group(1)),
                "message": f"{header.group(1)} (the traceback is cut before its message)"}
    # cut before its exception line, or inside its name ("OSE" for "OSError: ...")
    if end.startswith((" ", "\t")) or log_banners.TRACEBACK_FRAME.match(end) or \
            (len(block) > 2 and re.fullmatch(r"[A-Za-z_][\w.]{0,40}", end.strip())):
        code = next((line for line in reversed(block) if not log_banners.TRACEBACK_FRAME.match(line)
                     and line.strip() and not line.startswith("Traceback")), "")
        r = RAISE_LINE.match(code)
        if r:
            name = _exception_name(r.group(1))
            return {"name": name, "message": f"{name}: {r.group(2).strip(chr(34) + chr(39) + ')')}"[:300], "cut": True}
        return {"name": "traceback", "message": f"a traceback cut before its exception, in {end.strip()[:200]}",
                "cut": True}
    return None


#: a traceback's header Python's own format does not print: rich's box ("╭──── Traceback (most recent call last) ───╮")
#: and Paddle's "C++ Traceback (most recent call last):"
BOXED_TRACEBACK = re.compile(r"^[\s\u2500\u2501\u256d-]*Traceback \(most recent call last\)[\s\u2500\u2501\u256e-]*\S?\s*$|"
                             r"^C\+\+ Traceback \(most recent call last\):\s*$")


BOX_EDGES = " -\u2500\u2501\u256d\u256e"
#: a frame of rich's boxed traceback: "│ /usr/local/lib/python3.8/dist-packages/jax/_src/lib/xla_bridge.py:551 in devices"
RICH_FRAME = re.compile(r"^\u2502 (\S+\.py):\d+ in \S+")


def stopping_error(lines: List[str], banners: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """Where a start-up stopped: an import of a CUDA library, else the error of a traceback (one raised in a
    framework's own files first: gnumpy's Python 2 ``print`` under Python 3, cudamat's CUDA error), else a
    GPU exception printed on its own (``RuntimeError: CUDA error: no kernel image is available``). Its
    ``lineno`` (1-based) is the line that says it."""
    errors: List[Tuple[bool, Dict[str, Any]]] = []
    for first, last in _tracebacks(lines):
        block = lines[first:last + 1]
        while len(block) > 1 and not block[-1].strip():  # a paste's trailing blank lines are not its end
            block = block[:-1]
        for j, line in enumerate(block):
            if IMPORT_ERROR.match(line) and log_banners.LIBRARY_NAME.search(line):
                return {"name": "import-failed", "message": line.strip()[:300], "lineno": first + j + 1}
        error = _traceback_error(block)
        if error:
            said_at_end = bool(EXCEPTION_LINE.match(block[-1]) or BARE_EXCEPTION.match(block[-1]))
            errors.append((any(FRAMEWORK_FRAME.match(line) for line in block),
                           dict(error, lineno=first + len(block) if said_at_end else first + 1)))
    if errors:
        return next((e for in_framework, e in errors if in_framework), errors[0][1])
    for i, line in enumerate(lines[:200000]):
        if "Traceback (most recent call last)" in line and BOXED_TRACEBACK.match(line):
            # rich's boxed traceback, or Paddle's "C++ Traceback": its exception follows its frames, or was cut off
            for j in range(i + 1, min(len(lines), i + 400)):
                m = EXCEPTION_LINE.match(lines[j])
                if m and not lines[j].startswith((" ", "\t", "\u2502")):
                    return {"name": _exception_name(m.group(1)), "message": lines[j].strip()[:300], "lineno": j + 1}
            header = line.strip(BOX_EDGES)[:80]
            return {"name": "traceback", "message": f"{header}, cut before its exception", "lineno": i + 1, "cut": True}
    rich = [i for i, line in enumerate(lines[:200000]) if line[:1] == "\u2502" and RICH_FRAME.match(line)]
    if len(rich) >= 2 and not any(EXCEPTION_LINE.match(line) for line in lines[rich[-1]:]):
        # frames of rich's box with no header and no exception (a paste continued from another, or cut)
        return {"name": "traceback", "message": f"rich's traceback, cut before its exception, in {lines[rich[-1]][2:120]}",
                "lineno": rich[0] + 1, "cut": True}
    for i, line in enumerate(lines):
        m = EXCEPTION_LINE.match(line)
        if m and not line.startswith((" ", "\t")) and (GPU_EXCEPTION.search(m.group(0)) or "XlaRuntimeError" in m.group(1) or (
                # Ray prints the exception first and its frames under it
                i + 1 < len(lines) and log_banners.TRACEBACK_FRAME.match(lines[i + 1])) or (
                # a paste that starts inside the frames (its "Traceback" header cut off) and ends with the exception
                any(log_banners.TRACEBACK_FRAME.match(lines[j]) for j in range(max(0, i - 4), i)))):
            return {"name": _exception_name(m.group(1)), "message": line.strip()[:300], "lineno": i + 1}
    return None


#: collect_env's fields as JSON (stable-diffusion-webui's sysinfo "Torch env info": torch's SystemEnv as a dict)
ENV_JSON = re.compile(r'^\s*"(torch_version|is_cuda_available|cuda_compiled_version|cuda_runtime_version|'
                      r'nvidia_driver_version|cudnn_version)"\s*:\s*(?:"((?:[^"\\]|\\.)*)"|(null|true|false))\s*,?\s*$')
ENV_JSON_KEYS = {"torch_version": "PyTorch version", "is_cuda_available": "Is CUDA available",
                 "cuda_compiled_version": "CUDA used to build PyTorch", "cuda_runtime_version": "CUDA runtime version",
                 "nvidia_driver_version": "Nvidia driver version", "cudnn_version": "cuDNN version"}


def _collect_env(lines: List[str]) -> Dict[str, Any]:
    """``python -m torch.utils.collect_env``'s fields (value None where it printed 'Could not collect')."""
    env: Dict[str, Any] = {}
    gpus: List[Dict[str, Any]] = []
    for i, line in enumerate(lines):
        j = ENV_JSON.match(line) if '"' in line else None
        if j:
            value = j.group(2) if j.group(2) is not None else j.group(3)
            value = re.sub(r"(?:\\[rn])+$", "", value or "").strip()  # "12.3.52\r": Windows' line end kept in JSON
            env[ENV_JSON_KEYS[j.group(1)]] = None if value in ("", "null") or NOT_COLLECTED.match(value) else \
                {"true": "True", "false": "False"}.get(value, value)
            continue
        m = COLLECT_ENV.match(line.strip())
        if not m:
            continue
        key, value = m.group(1).replace(" (PyTorch)", ""), m.group(2).strip()  # docTR's copy asks both frameworks
        if key == "GPU models and configuration":
            entries = [value] if value else []
            entries += [lines[j] for j in range(i + 1, min(i + 17, len(lines))) if GPU_MODEL.match(lines[j])]
            for entry in entries:
                g = GPU_MODEL.match(entry)
                if g:
                    gpus.append({"index": g.group(1), "name": g.group(2), "lineno": i + 1})
                elif entry and not NOT_COLLECTED.match(entry):
                    gpus.append({"index": "0", "name": entry, "lineno": i + 1})
            env[key] = [g["name"] for g in gpus]
            continue
        if key == "cuDNN version" and (not value or value.lower().startswith("probably")):
            for j in range(i + 1, min(i + 12, len(lines))):
                c = CUDNN_PATH.search(lines[j])
                if c:
                    value = c.group(1)
                    break
        env[key] = None if NOT_COLLECTED.match(value or "N/A") else value
        if key == "CUDA used to build PyTorch" and value == "N/A":
            env["_build_na"] = True
    if env and gpus:
        env["_gpus"] = gpus
    return env


#: detectron2's and OpenMMLab's (mmcv/mmdet) collect_env: a two-column table ("GPU available   True",
#: "GPU 0,1,2,3   NVIDIA GeForce RTX 3090") or "key: value" lines ("GPU 0,1: Tesla V100-PCIE-32GB"), then
#: torch.__config__.show()'s "PyTorch built with:" list ("  - CUDA Runtime 11.5", "  - CuDNN 7.6.4")
ENV_TABLE_START = re.compile(r"^\s*sys\.platform(?::\s*|\s{2,})\w+\s*$")
ENV_TABLE_ROW = re.compile(r"^\s*(CUDA available|GPU available|GPU ((?:\d+,)*\d+)|Driver version|PyTorch)(?::\s*|\s{2,})(\S.*?)\s*$")
ENV_TABLE_ARCH = re.compile(r"\s*\(arch=(\d+\.\d+)\)$")
BUILT_WITH = re.compile(r"^\s*- (CUDA Runtime|CuDNN) (\d[\d.]*)\s*$")


def _env_table(lines: List[str]) -> Dict[str, Any]:
    """The GPU facts of a detectron2 / OpenMMLab collect_env report (empty when there is none)."""
    start = next((i for i, line in enumerate(lines[:20000]) if ENV_TABLE_START.match(line)), None)
    if start is None:
        return {}
    out: Dict[str, Any] = {"gpus": []}
    for i in range(start, min(start + 400, len(lines))):
        line = lines[i]
        m = ENV_TABLE_ROW.match(line)
        if m:
            key, value = m.group(1), m.group(3)
            if m.group(2) is not None:  # one row names the model of every GPU it lists
                arch = ENV_TABLE_ARCH.search(value)
                name = ENV_TABLE_ARCH.sub("", value).strip()
                for index in m.group(2).split(","):
                    out["gpus"].append({"index": index, "name": name, "compute_capability": arch.group(1) if arch else None,
                                        "lineno": i + 1, "backend": "torch", "gpu": "found"})
            elif key in ("CUDA available", "GPU available") and value in ("True", "False", "Yes", "No"):
                out.setdefault("available", (value in ("True", "Yes"), i + 1, f"{key}: {value}"))
            elif key == "Driver version":
                out["driver_version"] = value
            elif key == "PyTorch":
                out["framework_version"] = value.split(" @")[0]
            continue
        b = BUILT_WITH.match(line)
        if b:
            out.setdefault("cuda_version" if b.group(1) == "CUDA Runtime" else "cudnn_version", b.group(2))
    return out


#: a build report's versions: CNTK's "Build info:" block ("CUDA version: 9.0.0", "CUDNN version: 6.0.21"),
#: cupy.show_config() / chainer.print_runtime_info() ("CUDA Runtime Version  : 10000", "cuDNN Version  : 7603")
BUILD_INFO_START = re.compile(r"^\s*(?:Build info:|CuPy Version\s*:|PyTorch built with:)")
BUILD_CUDA = re.compile(r"^\s*(?:CUDA version|CUDA Runtime Version|CUDA Build Version)\s*:\s*(\d[\d.]*)\s*$")
BUILD_CUDNN = re.compile(r"^\s*(?:CUDNN version|cuDNN Version|cuDNN Build Version)\s*:\s*(\d[\d.]*)\s*$", re.I)


def _build_info(lines: List[str]) -> Dict[str, str]:
    """The CUDA and cuDNN versions of a framework's build report (CNTK's Build info, CuPy's config), the
    runtime's first where both are printed."""
    out: Dict[str, str] = {}
    start = next((i for i, line in enumerate(lines[:20000]) if BUILD_INFO_START.match(line)), None)
    if start is None:
        return out
    for line in lines[start:start + 60]:
        for key, pattern in (("cuda_version", BUILD_CUDA), ("cudnn_version", BUILD_CUDNN)):
            m = pattern.match(line)
            if m and (key not in out or "Runtime" in line or line.strip().startswith("cuDNN Version")):
                out[key] = m.group(1)
        m = BUILT_WITH.match(line)  # torch.__config__.show(): "  - CUDA Runtime 10.1", "  - CuDNN 7.6.3"
        if m:
            out.setdefault("cuda_version" if m.group(1) == "CUDA Runtime" else "cudnn_version", m.group(2))
    return out


def _same_name(a: str, b: str) -> bool:
    """One GPU's name twice, also where a paste lost the first letters of one ("VIDIA GeForce RTX 5090")."""
    a, b = " ".join(a.split()), " ".join(b.split())
    short, long_ = sorted((a, b), key=len)
    return a == b or (len(short) >= 8 and long_.endswith(short) and len(long_) - len(short) <= 3
                      and long_[len(long_) - len(short) - 1].isalpha())


def _add_gpu(gpus: List[Dict[str, Any]], item: Dict[str, Any]) -> None:
    """One entry per GPU: merged by index when both have one, else by name."""
    index, name = item.get("index"), item.get("name")
    for gpu in gpus:
        same_index = index is not None and gpu.get("index") == str(index)
        same_name = name and gpu.get("name") and _same_name(name, gpu["name"])
        if (same_index and (not name or not gpu.get("name") or same_name)) or (index is None and same_name) or \
                (gpu.get("index") is None and same_name):
            for key in ("name", "compute_capability", "minimum"):
                if item.get(key) and not gpu.get(key):
                    gpu[key] = item[key]
            if name and gpu.get("name") and len(name) > len(gpu["name"]):
                gpu["name"] = name  # the whole name, where the other lost its first letters
            if gpu.get("index") is None and index is not None:
                gpu["index"] = str(index)
            if item.get("gpu") == "rejected":
                gpu["rejected"] = True
            return
    if not name:
        return
    gpus.append({"index": None if index is None else str(index), "name": name,
                 "compute_capability": item.get("compute_capability"), "minimum": item.get("minimum"),
                 "rejected": item.get("gpu") == "rejected"})


#: libraries whose absence leaves the GPU usable (TensorRT: TF only warns)
OPTIONAL_LIBRARY = re.compile(r"nvinfer|tensorrt|libnvrtc-builtins", re.I)


def _evidence(banners: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    out = []
    for b in banners:
        gpu = b.get("gpu")
        if gpu is None and b.get("kind") == "dlopen-failed":
            gpu = None if OPTIONAL_LIBRARY.search(str(b.get("library") or "")) else "none"
        if gpu is None and b.get("fallback"):
            gpu = "none"
        if gpu is None:
            continue
        signal = signals.BY_NAME.get(b["kind"])
        out.append({"lineno": b["lineno"], "gpu": gpu, "line": b["line"], "kind": b["kind"],
                    "backend": BACKEND_NAMES.get(str(b.get("backend") or ""), b.get("backend")),
                    "name": b.get("name"), "index": b.get("index"), "library": b.get("library"),
                    "cpu_build": bool(b.get("cpu_build")), "says": signal.says if signal else b.get("says", ""),
                    "error": b.get("error"), "cause": b.get("cause")})
    return out


#: the CUDA runtime a framework loaded, by its file's name ("Successfully opened dynamic library libcudart.so.10.1",
#: "... cudart64_110.dll")
OPENED_CUDART = re.compile(r"Successfully opened (?:dynamic|CUDA) library (?:libcudart\.so\.(\d{1,2}\.\d{1,2})\b|"
                           r"cudart64_(\d{1,2})(\d)\.dll\b)")


def _opened_cudart(lines: List[str]) -> Optional[str]:
    """The CUDA version of the runtime library the framework says it opened; None when it names none."""
    for line in lines[:20000]:
        if "cudart" in line:
            m = OPENED_CUDART.search(line[:2000])
            if m:
                return m.group(1) or f"{m.group(2)}.{m.group(3)}"
    return None


NVCC_RELEASE = re.compile(r"^\s*Cuda compilation tools, release (\d+\.\d+)")


def _nvcc_release(lines: List[str]) -> Optional[str]:
    """The toolkit's release of an ``nvcc --version`` pasted beside the session (the only CUDA version it shows)."""
    return next((m.group(1) for m in (NVCC_RELEASE.match(line) for line in lines[:20000]) if m), None)


def summary(lines: List[str], banners: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
    """The framework facts of a log's lines (also used for training logs)."""
    banners = log_banners.scan(lines) if banners is None else banners
    env = _collect_env(lines)
    asked = _asked(lines)
    if "CUDA version" not in env:
        printed = next((m.group(1) for m in (SCRIPT_CUDA.match(line) for line in lines[:20000]) if m), None)
        if printed:
            env["CUDA version"] = printed
    table = _env_table(lines)
    gpus: List[Dict[str, Any]] = []
    for item in sorted([dict(b) for b in banners if b.get("name")] + env.get("_gpus", []) + table.get("gpus", []) +
                       [a for a in asked if a.get("name")], key=lambda x: x.get("lineno", 0)):
        _add_gpu(gpus, item)
    missing: List[str] = []
    for b in banners:
        for lib in b.get("libraries") or [b.get("library")]:  # (a library that would not load, and the one why)
            if lib and lib not in missing:
                missing.append(lib)
    evidence = sorted(_evidence(banners) + [a for a in asked if a["gpu"] != "found"], key=lambda e: e["lineno"])
    if env.get("Is CUDA available") in ("Yes", "No"):  # collect_env before PyTorch 1.6 said Yes/No
        env["Is CUDA available"] = "True" if env["Is CUDA available"] == "Yes" else "False"
    if env.get("Is CUDA available") in ("True", "False"):
        line_no = next((i + 1 for i, line in enumerate(lines) if line.strip().startswith(("Is CUDA available:", "Is CUDA available (PyTorch):",
                                                                                           '"is_cuda_available"'))), 0)
        evidence.append({"lineno": line_no, "gpu": "used" if env["Is CUDA available"] == "True" else "none",
                         "line": f"Is CUDA available: {env['Is CUDA available']}", "kind": "collect-env",
                         "backend": "pytorch", "cpu_build": env.get("CUDA used to build PyTorch") is None
                         and "CUDA used to build PyTorch" in env, "says": "torch.utils.collect_env"})
        evidence.sort(key=lambda e: e["lineno"])
    if "available" in table:
        usable, line_no, said = table["available"]
        evidence.append({"lineno": line_no, "gpu": "used" if usable else "none", "line": said, "kind": "collect-env",
                         "backend": "pytorch", "cpu_build": False, "says": "collect_env (detectron2 / OpenMMLab)"})
        evidence.sort(key=lambda e: e["lineno"])
    build = _build_info(lines)
    cudnn_version = next((b["cudnn_version"] for b in reversed(banners) if b.get("cudnn_version")), None)
    cudnn_version = cudnn_version or _dll_suffix(env.get("cuDNN version")) or build.get("cudnn_version") or \
        table.get("cudnn_version") or next(
        (a["cudnn_version"] for a in asked if a.get("cudnn_version")), None)
    cudnn = next((b["cudnn"] for b in reversed(banners) if "cudnn" in b), None)
    supported = next((b["supported"] for b in banners if b.get("supported")), None)
    errors = [b["error"] for b in banners if b.get("error")]
    # every error-level line the log printed, in order, whatever checks make of it (TF 2.14+'s duplicate-registration
    # E lines are printed errors that stop nothing)
    printed = [dict(b.get("error") or b.get("printed_error"), lineno=b["lineno"]) for b in banners
               if b.get("error") or b.get("printed_error")]
    crashed = stopping_error(lines, banners)
    if crashed:
        crashed.pop("lineno", None)
        errors.append(crashed)
        printed.append(dict(crashed, lineno=len(lines)))
        if crashed.get("library") and crashed["library"] not in missing:
            missing.append(crashed["library"])
            evidence.append({"lineno": len(lines), "gpu": "none", "line": crashed["message"], "kind": "dlopen-failed",
                             "backend": None, "name": None, "index": None, "library": crashed["library"],
                             "cpu_build": False, "says": "a CUDA library could not be loaded", "error": crashed})
        if crashed.get("cut"):  # the cut exception's words are output too ("Torch not compiled with C")
            derived = [dict(b, lineno=len(lines)) for b in log_banners.scan([crashed["message"]])]
            evidence.extend(_evidence(derived))
        evidence.sort(key=lambda e: e["lineno"])
    cc = next((g["compute_capability"] for g in gpus if g.get("compute_capability")), None) or next(
        (b["compute_capability"] for b in banners if b.get("compute_capability")), None)
    frameworks = _frameworks(lines, banners)
    if "PyTorch version" in env and "pytorch" in frameworks and not any(b.get("backend") for b in banners):
        # torch.utils.collect_env's report (also a copy that lists other frameworks' versions): PyTorch's
        frameworks.remove("pytorch")
        frameworks.insert(0, "pytorch")
    return {
        "framework": frameworks[0] if frameworks else None,
        "frameworks": frameworks,
        "gpus": gpus,
        "compute_capability": cc,
        "missing_libraries": missing,
        "cudnn": cudnn if cudnn is not None else (True if cudnn_version else None),
        "cudnn_version": cudnn_version,
        # the CUDA the build was made with (a PyTorch wheel ships and uses it), else collect_env's "CUDA runtime
        # version" (the system toolkit's nvcc, which such a wheel does not use)
        # (the build field printed as N/A -- PyTorch is not installed -- is that: the toolkit's version does not stand
        # in; "Could not collect" is a build collect_env could not ask)
        "cuda_version": None if env.get("_build_na") else env.get("CUDA used to build PyTorch") or
        _cuda_suffix(env.get("CUDA version")) or env.get("CUDA runtime version") or build.get("cuda_version")
        or next((a["version"] for a in asked if a.get("kind") == "build_version" and a.get("version")), None)
        or table.get("cuda_version") or next((b["build_cuda"] for b in banners if b.get("build_cuda")), None)
        or _opened_cudart(lines) or _nvcc_release(lines),
        "cuda_toolkit": env.get("CUDA runtime version"),
        "driver_version": env.get("Nvidia driver version") or table.get("driver_version") or next(
            (b["driver_version"] for b in banners if b.get("driver_version")), None),
        "framework_version": env.get("PyTorch version") or table.get("framework_version"),
        "supported_architectures": supported,
        "collect_env": {k: v for k, v in env.items() if not k.startswith("_")} or None,
        "error": errors[0] if errors else None,
        "errors_printed": printed[:50],
        "evidence": evidence,
    }


def _cuda_suffix(version: Optional[str]) -> Optional[str]:
    """TensorFlow's Windows build info names the DLL, ``64_112`` for cudart64_112.dll: CUDA 11.2."""
    m = re.match(r"^64_(\d+)(\d)$", version or "")
    return f"{m.group(1)}.{m.group(2)}" if m else version


def _dll_suffix(version: Optional[str]) -> Optional[str]:
    """TensorFlow's Windows build info names the DLL, ``64_8`` for cudnn64_8.dll: cuDNN 8."""
    m = re.match(r"^64_(\d+)$", version or "")
    return m.group(1) if m else version


MARKERS = (("PyTorch version:", 0.3), ("Is CUDA available:", 0.3), ("CUDA used to build PyTorch", 0.3),
           ("GPU models and configuration", 0.2))
#: environment reports that embed another tool's output (jax.print_environment_info runs nvidia-smi):
#: the report is what was pasted, so it wins a tie with the embedded tool
ENV_REPORTS = ((("jaxlib:", 0.5), ("jax.devices (", 0.5)),
               (("PyTorch built with:", 0.6), ("- CUDA Runtime ", 0.2), ("- CuDNN ", 0.2), ("- Build settings:", 0.2)),
               (("Build info:", 0.3), ("With 1bit-SGD:", 0.4), ("Build target:", 0.3), ("With ASGD:", 0.2)),  # CNTK
               (('"torch_version"', 0.4), ('"is_cuda_available"', 0.4), ('"cuda_compiled_version"', 0.3)),
               (("sys.platform", 0.4), ("PyTorch", 0.3), ("CUDA available", 0.3)),
               (("sys.platform", 0.4), ("PyTorch", 0.3), ("GPU available", 0.3)),
               (("PyTorch version:", 0.4), ("Is CUDA available:", 0.3), ("CUDA used to build PyTorch", 0.3)),
               # cupy.show_config()
               (("CuPy Version", 0.5), ("CUDA Runtime Version", 0.3), ("CUDA Driver Version", 0.2), ("cuDNN Version", 0.2)))


def _marked(lines: List[str]) -> bool:
    """Framework lines enough to say it is one: three, or two that are most of a short paste's output lines."""
    marked = sum(1 for line in lines[:2000] if any(p.search(line[:500]) for _n, p in FRAMEWORK_MARKERS))
    body = sum(1 for line in lines[:2000] if line.strip() and not common.is_prompt(line))  # (a prompt is no output)
    return marked >= 3 or (marked >= 2 and 2 * marked >= body)


#: a frame's code line that calls a framework's GPU API ("return torch.device(torch.cuda.current_device())")
FRAMEWORK_CALL = re.compile(r"^(?:\s+|-+>\s*\d*\s+)\S.*\b(?:torch\.cuda|tf\.config|tf\.test|jax\.devices|jax\.tools|"
                            r"jax\.local_devices|theano\.sandbox|cntk\.device)\b[.(]")  # (IPython marks its line "-> 1086")


def _framework_traceback(lines: List[str]) -> bool:
    """A traceback through a framework's own files (or calling its GPU API) that ends with its exception."""
    return any(FRAMEWORK_FRAME.match(line) or FRAMEWORK_CALL.match(line) or (
        line[:1] == "\u2502" and RICH_FRAME.match(line) and FRAMEWORK_PATH.search(line)) for line in lines[:5000]) and \
        stopping_error(lines[:5000], []) is not None


def _framework_log_line(lines: List[str]) -> bool:
    """A framework's own C++ log line ("I tensorflow/.../cuda_gpu_executor.cc:981] ..."): one is enough to say what
    printed it, however little it says about the GPU."""
    for line in lines[:2000]:
        prefix = log_banners.LOG_PREFIX.match(line)
        if prefix and MARKER_WORD.search(prefix.group(0).lower()) and any(
                p.search(prefix.group(0)) for _n, p in FRAMEWORK_MARKERS):
            return True
    return False


def detect(text: Any) -> float:
    """High when framework lines say something about the device and no epoch is printed."""
    try:
        lines = _lines(common.to_text(text)[:2_000_000])[:5000]
        if any(EPOCH_LINE.match(line) for line in lines):
            return 0.0  # a training run: the training-log kind reads its banners too
        head = "\n".join(lines[:2000])
        if any(common.marker_score(head, markers) >= 1.0 for markers in ENV_REPORTS):
            return 1.0
        score = common.marker_score(head, MARKERS)
        # (nvcc's own fatal line is nvcc's output unless a framework's lines are around it)
        banners = [b for b in log_banners.scan(lines) if b.get("kind") not in ("dbn-fitting", "dbn-layers", "nvcc-fatal")]
        if any(b.get("kind") != "keras-backend" for b in banners) or _asked(lines):
            score = max(score, 0.6)
        elif banners or _marked(lines) or _framework_traceback(lines) or _framework_log_line(lines):
            score = max(score, 0.35)
        return round(min(score, 0.95), 2)
    except Exception:  # noqa: BLE001 - detect must never raise
        return 0.0


def _parse(text: str) -> Dict[str, Any]:
    lines = _lines(text)
    banners = log_banners.scan(lines)
    out: Dict[str, Any] = common.base_result(KIND)
    out.update(summary(lines, banners))
    if any("Driver Version:" in line and "NVIDIA-SMI" in line for line in lines[:5000]):
        from . import nvidia_smi  # an environment report that ran nvidia-smi (jax.print_environment_info)
        smi = nvidia_smi.parse("\n".join(lines))
        out["nvidia_smi"] = {k: smi.get(k) for k in ("driver_version", "cuda_version")}
        out["nvidia_smi"]["gpus"] = [g.get("name") for g in smi.get("gpus") or []]
        out["driver_version"] = out["driver_version"] or smi.get("driver_version")
        out["cuda_version"] = out["cuda_version"] or smi.get("cuda_version")
        if not out["gpus"]:
            out["gpus"] = [{"index": str(g.get("index")), "name": g.get("name"), "compute_capability": None,
                            "minimum": None, "rejected": False} for g in smi.get("gpus") or [] if g.get("name")]
    out["banners"] = banners
    out["signals"] = [b["line"] for b in banners if b.get("signal")]
    out["lines"] = len(lines)
    return out


parse = common.guarded(KIND, _parse)
