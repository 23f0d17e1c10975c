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
from typing import Any, Callable, Dict, List

from . import signals


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


def _tf_ignored(line: str) -> Dict[str, Any]:
    m = re.search(r"gpu device \(device: (\d+), name: ([^,]+),[^)]*\) with Cuda "
                  r"compute capability ([\d.]+)\. The minimum required Cuda capability is ([\d.]+)", line)
    if not m:
        return {"fallback": True, "backend": "tensorflow"}
    return {"name": m.group(2).strip(), "compute_capability": m.group(3), "minimum": m.group(4),
            "fallback": True, "backend": "tensorflow"}


def _gpu_lock(line: str) -> Dict[str, Any]:
    m = re.search(r"Using board #(\d+)", line)
    return {"device": f"cuda:{m.group(1)}" if m else None, "shared": True, "backend": "gnumpy+cudamat"}


def _no_cudnn(line: str) -> Dict[str, Any]:
    m = re.search(r"Can not use cuDNN on context \S+: (.+)$", line)
    return {"cudnn": False, "reason": m.group(1).strip() if m else None, "backend": "theano"}


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
     lambda m: {"device": _theano_context(m.group(1)), "name": m.group(2).strip(), "backend": "theano"}),
    ("theano-cudnn", re.compile(r"Using cuDNN version (\d+) on context"),
     lambda m: {"cudnn": True, "cudnn_version": m.group(1), "backend": "theano"}),
    _table("theano-no-cudnn", _no_cudnn),
    _table("cudnn-not-available", _flag(cudnn=False)),
    _table("tf-ignored-gpu", _tf_ignored),
    _table("tf-skip-gpu", _flag(fallback=True, backend="tensorflow")),
    ("tf-created-device", re.compile(r"Creat(?:ing|ed) (?:TensorFlow )?device \(?/(?:job:\S+/)?(?:device:)?[gG][pP][uU]:(\d+)\)?"
                                     r".*?-> \(?device: (\d+), name: ([^,]+)(?:, pci bus id: [^,)]+)?"
                                     r"(?:, compute capability: ([\d.]+))?"),
     lambda m: {"device": f"cuda:{m.group(2)}", "name": m.group(3).strip(), "compute_capability": m.group(4),
                "backend": "tensorflow"}),
    ("tf-found-device", re.compile(r"Found device (\d+) with properties"),
     lambda m: {"found_index": m.group(1), "backend": "tensorflow"}),
    ("cntk-gpu", re.compile(r"Selected GPU\[(\d+)\] (.+?) as the process wide default device"),
     lambda m: {"device": f"cuda:{m.group(1)}", "name": m.group(2).strip(), "backend": "cntk"}),
    _table("cntk-cpu", _flag(device="cpu", backend="cntk")),
    _table("jax-fallback", _flag(device="cpu", fallback=True, backend="jax")),
    _table("mps-fallback", _flag(partial_fallback=True, backend="torch")),
    _table("float64-input", _flag(dtype="float64")),
    _table("theano-no-gpu", _flag(device="cpu", fallback=True, backend="theano")),
    _table("cuinit-failed", _flag(fallback=True)),
    _table("torch-cuda-init", _flag(fallback=True, backend="torch")),
    _table("cuda-driver-too-old", _flag(fallback=True)),
    _table("dlopen-failed", _flag()),
    ("keras-backend", re.compile(r"^Using (Theano|TensorFlow|CNTK|JAX|PyTorch) backend"),
     lambda m: {"framework": m.group(1).lower()}),
    ("dbn-fitting", re.compile(r"\[DBN\] fitting X\.shape=\((\d+), (\d+)\)"),
     lambda m: {"samples": int(m.group(1)), "features": int(m.group(2))}),
    ("dbn-layers", re.compile(r"\[DBN\] layers \[([\d, ]+)\]"),
     lambda m: {"layers": [int(x) for x in m.group(1).replace(" ", "").split(",") if x]}),
]

#: banner kinds whose line is evidence the verdict may quote: every line of the shared table, and device banners
SIGNAL_KINDS = set(signals.BY_NAME) | {"theano-gpu", "theano-mapped", "theano-cudnn", "tf-created-device", "cntk-gpu"}


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
