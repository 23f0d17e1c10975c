"""Device banners in training logs: which device a framework really used, and fallbacks.

Frameworks announce their device in one line at start-up (Theano's ``Using gpu device 0:``
/ ``Mapped name None to device cuda0:``, TensorFlow's ``Created TensorFlow device``, CNTK's
``Selected GPU[0] ...``) and, worse, announce a silent CPU fallback the same way
(gnumpy's ``Using npmat instead. No GPU will be used.``, TensorFlow's ``Ignoring visible
gpu device``). A "GPU" run is only a GPU run when its own log says so; these lines are
the evidence the speedup verdict quotes. Each rule yields a banner dict with the line.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List


def _theano_old(m: re.Match) -> Dict[str, Any]:
    out: Dict[str, Any] = {"device": f"cuda:{m.group(1)}", "name": m.group(2).strip(), "backend": "theano"}
    extra = m.group(3) or ""
    if "cuDNN not available" in extra or "cuDNN Version is too old" in extra:
        out["cudnn"] = False
    cudnn = re.search(r"cuDNN (?:version )?(\d{3,5})", extra)
    if cudnn:
        out.update(cudnn=True, cudnn_version=cudnn.group(1))
    return out


def _theano_context(name: str) -> str:
    """Theano's ``cuda`` / ``cuda0`` / ``opencl0:0`` context names as ``cuda:0`` style devices."""
    m = re.fullmatch(r"(cuda|opencl)(\d*)(?::\d+)?", name)
    return f"{m.group(1)}:{m.group(2) or 0}" if m else name


def _tf_ignored(m: re.Match) -> Dict[str, Any]:
    return {"name": m.group(2).strip(), "compute_capability": m.group(3), "minimum": m.group(4),
            "fallback": True, "backend": "tensorflow"}


# (kind, pattern, extractor) -- first match per line wins; extractor returns the banner's facts
RULES: List[tuple] = [
    ("gnumpy-fallback", re.compile(r"gnumpy: failed to import cudamat\. Using npmat instead\.?( No GPU will be used\.?)?"),
     lambda m: {"device": "cpu", "fallback": True, "backend": "gnumpy+npmat"}),
    ("gnumpy-gpu-lock", re.compile(r"gnumpy: failed to use gpu_lock\. Using board #(\d+) without knowing whether it is in use"),
     lambda m: {"device": f"cuda:{m.group(1)}", "shared": True, "backend": "gnumpy+cudamat"}),
    ("theano-gpu", re.compile(r"Using gpu device (\d+): (.+?)(?: \((.*)\))?\s*$"), _theano_old),
    ("theano-mapped", re.compile(r"Mapped name \S+ to device (cuda\d*|opencl[\d:]*): (.+?)(?: \([0-9A-Fa-f:.]+\))?\s*$"),
     lambda m: {"device": _theano_context(m.group(1)), "name": m.group(2).strip(), "backend": "theano"}),
    ("theano-cudnn", re.compile(r"Using cuDNN version (\d+) on context"),
     lambda m: {"cudnn": True, "cudnn_version": m.group(1), "backend": "theano"}),
    ("theano-no-cudnn", re.compile(r"Can not use cuDNN on context \S+: (.+)$"),
     lambda m: {"cudnn": False, "reason": m.group(1).strip(), "backend": "theano"}),
    ("cudnn-not-available", re.compile(r"\bcuDNN not available\b"), lambda m: {"cudnn": False}),
    ("tf-ignored-gpu", re.compile(r"Ignoring (?:visible )?gpu device \(device: (\d+), name: ([^,]+),[^)]*\) with Cuda "
                                  r"compute capability ([\d.]+)\. The minimum required Cuda capability is ([\d.]+)"),
     _tf_ignored),
    ("tf-skip-gpu", re.compile(r"Skipping registering GPU devices|Cannot dlopen some GPU libraries"),
     lambda m: {"fallback": True, "backend": "tensorflow"}),
    ("tf-created-device", re.compile(r"Creat(?:ing|ed) (?:TensorFlow )?device \(?/(?:job:\S+/)?(?:device:)?[gG][pP][uU]:(\d+)\)?"
                                     r".*?-> \(?device: (\d+), name: ([^,]+)(?:, pci bus id: [^,)]+)?"
                                     r"(?:, compute capability: ([\d.]+))?"),
     lambda m: {"device": f"cuda:{m.group(2)}", "name": m.group(3).strip(), "compute_capability": m.group(4),
                "backend": "tensorflow"}),
    ("tf-found-device", re.compile(r"Found device (\d+) with properties"),
     lambda m: {"found_index": m.group(1), "backend": "tensorflow"}),
    ("cntk-gpu", re.compile(r"Selected GPU\[(\d+)\] (.+?) as the process wide default device"),
     lambda m: {"device": f"cuda:{m.group(1)}", "name": m.group(2).strip(), "backend": "cntk"}),
    ("cntk-cpu", re.compile(r"Selected CPU as the process wide default device"),
     lambda m: {"device": "cpu", "backend": "cntk"}),
    ("jax-fallback", re.compile(r"(?:CUDA-enabled jaxlib is not installed|No GPU/TPU found)[^\n]*(?:Falling back to cpu)?", re.I),
     lambda m: {"device": "cpu", "fallback": True, "backend": "jax"}),
    ("mps-fallback", re.compile(r"is not currently supported on the MPS backend and will fall back to run on the CPU"),
     lambda m: {"partial_fallback": True, "backend": "torch"}),
    ("float64-input", re.compile(r'your data is of type "float64"'), lambda m: {"dtype": "float64"}),
    ("keras-backend", re.compile(r"^Using (Theano|TensorFlow|CNTK|JAX|PyTorch) backend"),
     lambda m: {"framework": m.group(1).lower()}),
    ("dbn-fitting", re.compile(r"\[DBN\] fitting X\.shape=\((\d+), (\d+)\)"),
     lambda m: {"samples": int(m.group(1)), "features": int(m.group(2))}),
    ("dbn-layers", re.compile(r"\[DBN\] layers \[([\d, ]+)\]"),
     lambda m: {"layers": [int(x) for x in m.group(1).replace(" ", "").split(",") if x]}),
]

#: banner kinds whose line is evidence the verdict may quote (fallbacks, shared boards, cuDNN state)
SIGNAL_KINDS = {"gnumpy-fallback", "gnumpy-gpu-lock", "theano-no-cudnn", "cudnn-not-available", "tf-ignored-gpu",
                "tf-skip-gpu", "cntk-cpu", "jax-fallback", "mps-fallback", "float64-input", "theano-gpu",
                "theano-mapped", "theano-cudnn", "tf-created-device", "cntk-gpu"}


def _joined(lines: List[str], i: int) -> str:
    """A banner wrapped by the terminal or a paste (TF's ``name: GeForce G`` / ``TX TITAN X)``)."""
    line = lines[i]
    if line.count("(") > line.count(")") and i + 1 < len(lines):
        return line + lines[i + 1].strip()
    return line


def scan(lines: List[str]) -> List[Dict[str, Any]]:
    """Every banner found, in log order, each with its kind, line number and quoted line."""
    banners: List[Dict[str, Any]] = []
    for i, raw in enumerate(lines):
        if not raw or len(raw) > 4000:
            continue
        line = _joined(lines, i) if "device" in raw else raw
        for kind, pattern, extract in RULES:
            m = pattern.search(line)
            if not m:
                continue
            try:
                data = extract(m)
            except (ValueError, IndexError):
                continue
            data = {k: v for k, v in data.items() if v is not None}
            quoted = " ".join(line.split())
            # drop TF's "2017-06-30 12:49:22.005585: I c:\...\gpu_device.cc:1030]" prefix: no timestamps in messages
            quoted = re.sub(r"^\S+ [\d:.]+: [IWEF] \S+\] ", "", quoted)
            banners.append(dict(data, kind=kind, lineno=i + 1, line=quoted[:300], signal=kind in SIGNAL_KINDS))
            break
    return banners


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
