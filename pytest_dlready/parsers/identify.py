"""Which tool produced this text? Ask every parser's ``detect`` and let the most confident parse it.

Pasted files rarely say what they are, and a blog post may mix a prompt, a command and
its output. Each parser scores the text (0..1) on markers only its tool prints; the best
score at or above ``THRESHOLD`` wins. Parsers are imported lazily, so a missing or broken
module only removes its kind. Findings are drawn from the result by ``checks.tool_outputs``.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import common

#: Below this confidence a file is "not identified" (exit 2 in the CLI).
THRESHOLD = 0.3

#: (kind, module, attribute holding detect/parse or None for the module itself)
REGISTRY: Tuple[Tuple[str, str, Optional[str]], ...] = (
    ("deviceQuery", "pytest_dlready.parsers.devicequery", None),
    ("bandwidthTest", "pytest_dlready.parsers.bandwidthtest", None),
    ("nvidia-smi", "pytest_dlready.parsers.nvidia_smi", None),
    ("nvcc", "pytest_dlready.parsers.nvcc", None),
    ("kextstat", "pytest_dlready.parsers.macos", "KEXTSTAT"),
    ("system_profiler", "pytest_dlready.parsers.macos", "SYSTEM_PROFILER"),
    ("pmset", "pytest_dlready.parsers.macos", "PMSET"),
    ("training-log", "pytest_dlready.parsers.logs", None),
    ("framework-log", "pytest_dlready.parsers.framework_log", None),
)

Parser = Tuple[str, Callable[[Any], float], Callable[[Any], Dict[str, Any]]]


def parsers() -> Tuple[List[Parser], Dict[str, str]]:
    """The importable parsers, and for the others why they could not be loaded."""
    found: List[Parser] = []
    missing: Dict[str, str] = {}
    for kind, module_name, attr in REGISTRY:
        try:
            module = importlib.import_module(module_name)
            holder = getattr(module, attr) if attr else module
            detect, parse = holder.detect, holder.parse
        except Exception as exc:  # noqa: BLE001 - an optional parser must not break the others
            missing[kind] = f"{type(exc).__name__}: {exc}"
            continue
        found.append((kind, detect, parse))
    return found, missing


def scores(text: Any) -> Dict[str, float]:
    """Every loaded parser's confidence for ``text`` (a detector that raises scores 0)."""
    out: Dict[str, float] = {}
    for kind, detect, _parse in parsers()[0]:
        try:
            value = float(detect(text))
        except Exception:  # noqa: BLE001 - detect must never decide by crashing
            value = 0.0
        out[kind] = max(0.0, min(1.0, value)) if value == value else 0.0
    return out


def identify(text: Any) -> Tuple[Optional[str], float]:
    """(kind, confidence) of the best parser, or (None, best score) when nothing reaches ``THRESHOLD``."""
    all_scores = scores(text)
    if not all_scores:
        return None, 0.0
    # a tie goes to the framework's environment report, which embeds other tools' output
    kind = max(all_scores, key=lambda k: (all_scores[k], k == "framework-log"))
    best = all_scores[kind]
    if kind == "framework-log" and all_scores.get("training-log", 0.0) >= THRESHOLD and _epochs_finished(text):
        # a framework's start-up lines with epochs after them that finished: a training run's log
        kind, best = "training-log", all_scores["training-log"]
    if kind == "nvcc" and all_scores.get("framework-log", 0.0) >= 0.6 and _framework_decides(text):
        # `nvcc --version` above a framework's session that says whether it can use the GPU: the session is what
        # the paste is about (its CUDA is nvcc's release when it prints none of its own)
        kind, best = "framework-log", all_scores["framework-log"]
    return (kind, best) if best >= THRESHOLD else (None, best)


def _framework_decides(text: Any) -> bool:
    """Whether the framework-log reader finds a GPU named or its use decided in ``text``."""
    try:
        from . import framework_log
        parsed = framework_log.parse(text)
        return bool(parsed.get("gpus")) or any(e.get("gpu") in ("used", "none") for e in parsed.get("evidence") or [])
    except Exception:  # noqa: BLE001 - identification must not decide by crashing
        return False


def _epochs_finished(text: Any) -> bool:
    """Whether the training-log reader finds an epoch that finished in ``text``."""
    try:
        from . import logs
        return bool(logs.parse(text).get("epochs"))
    except Exception:  # noqa: BLE001 - identification must not decide by crashing
        return False


def parse_any(text: Any, kind: Optional[str] = None) -> Dict[str, Any]:
    """Parse ``text`` with the named parser, or the best-scoring one; never raises.

    The result always has ``kind`` (``"unknown"`` when nothing fits, with ``first_line`` and
    every parser's ``scores``) and ``confidence``; a parser that stopped leaves ``parse_error``.
    """
    text = common.unpaste(text)
    loaded = {k: (d, p) for k, d, p in parsers()[0]}
    confidence = None
    if kind is None:
        kind, confidence = identify(text)
    if kind is None or kind not in loaded:
        result = common.base_result("unknown")
        result["first_line"] = next((line.strip() for line in common.lines_of(text) if line.strip()), "")
        result["confidence"] = confidence or 0.0
        result["scores"] = scores(text)
        return result
    try:
        result = loaded[kind][1](text)
    except Exception as exc:  # noqa: BLE001 - a parser without the common guard must not break the CLI
        result = common.base_result(kind)
        result["parse_error"] = f"{type(exc).__name__}: {exc}"
    if not isinstance(result, dict):
        result = {"kind": kind, "value": result}
    result.setdefault("kind", kind)
    result["confidence"] = round(confidence if confidence is not None else loaded[kind][0](text), 3)
    return result
