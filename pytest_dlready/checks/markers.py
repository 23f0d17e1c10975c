"""Judge the ``os``, ``gpu`` and ``backend`` markers against a facts snapshot.

Modelled on pytest's ``skipping.evaluate_skip_marks``: one pure function judges an
item's marks and returns a frozen :class:`Skip` (or ``None``); the plugin hook only
acts on it. Judging from facts, not from ``sys.platform``, is what lets a saved macOS
snapshot run its macOS-marked checks on a Linux CI box.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Sequence

from ..facts import lookup, host_os
from ..facts import describe_gpu, gpu_list
from .devices import no_gpu_summary

OS_ALIASES = {
    "linux": "linux",
    "macos": "macos", "darwin": "macos", "osx": "macos", "mac": "macos",
    "windows": "windows", "win32": "windows", "win": "windows",
}

class MarkerError(ValueError):
    """A marker used with arguments that cannot be judged (unknown OS, bad count)."""


@dataclass(frozen=True)
class Skip:
    reason: str
    gpu_related: bool = False   # becomes a failure under --dlready-require-gpu


def normalise_os(name: str) -> str:
    key = str(name).strip().lower()
    if key not in OS_ALIASES:
        raise MarkerError(
            f"unknown OS name {name!r} in @pytest.mark.os; use one of linux, macos, windows "
            "(aliases: darwin, osx, win32)"
        )
    return OS_ALIASES[key]


def _compute_tuple(value: Any) -> Optional[tuple]:
    if value in (None, ""):
        return None
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return int(value[0]), int(value[1])
    text = str(value)
    try:
        major, minor = text.split(".", 1)
        return int(major), int(minor)
    except ValueError:
        raise MarkerError(f"gpu(min_compute={value!r}): use MAJOR.MINOR, e.g. '3.5'") from None


def evaluate_os(names: Sequence[str], facts: Mapping[str, Any]) -> Optional[Skip]:
    wanted = [normalise_os(n) for n in names]
    if not wanted:
        raise MarkerError("@pytest.mark.os needs at least one OS name, e.g. @pytest.mark.os('windows')")
    here = host_os(facts) or "unknown"
    if here not in wanted:
        return Skip(f"runs on {' or '.join(wanted)} only; this snapshot is {here}")
    return None


def evaluate_gpu(facts: Mapping[str, Any], count: int = 1, vendor: Optional[str] = None,
                 min_compute: Any = None, min_memory_gb: Optional[float] = None) -> Optional[Skip]:
    try:
        count = int(count)
    except (TypeError, ValueError):
        raise MarkerError(f"gpu(count={count!r}) must be a whole number") from None
    need_cc = _compute_tuple(min_compute)
    gpus = gpu_list(facts)
    candidates = list(gpus)
    if vendor:
        candidates = [g for g in candidates if str(g.get("vendor", "")).lower() == str(vendor).lower()]
    if not gpus:
        why = no_gpu_summary(facts) or "no GPU found by any probe"
        return Skip(f"needs {count} GPU(s); {why}", gpu_related=True)
    if vendor and not candidates:
        found = ", ".join(f"{describe_gpu(g)} ({g.get('vendor', '?')})" for g in gpus)
        return Skip(f"needs a {vendor} GPU, found {found}", gpu_related=True)
    if need_cc:
        ok = []
        for g in candidates:
            have = _compute_tuple(g.get("compute_capability")) if g.get("compute_capability") else None
            if have is not None and have >= need_cc:
                ok.append(g)
        if len(ok) < count:
            found = ", ".join(describe_gpu(g) for g in candidates)
            return Skip(f"needs compute capability ≥ {need_cc[0]}.{need_cc[1]}, found {found}", gpu_related=True)
        candidates = ok
    if min_memory_gb is not None:
        ok = [g for g in candidates if (g.get("memory_mib") or 0) / 1024.0 >= float(min_memory_gb)]
        if len(ok) < count:
            found = ", ".join(f"{describe_gpu(g)} {((g.get('memory_mib') or 0) / 1024.0):.1f} GB" for g in candidates)
            return Skip(f"needs {float(min_memory_gb):g} GB of GPU memory, found {found}", gpu_related=True)
        candidates = ok
    if len(candidates) < count:
        return Skip(f"needs {count} GPU(s), found {len(candidates)}", gpu_related=True)
    return None


def installed_backends(facts: Mapping[str, Any]) -> dict:
    """{name: info} of every backend installed in any target environment."""
    out: dict = {}
    for env in lookup(facts, "backends.environments", []) or []:
        for name, info in (env.get("modules") or {}).items():
            if isinstance(info, Mapping) and info.get("installed") and name not in out:
                out[name] = dict(info, python=env.get("python"))
    return out


INSTALL_HINTS = {
    "torch": "pip install torch",
    "tensorflow": "pip install tensorflow (Linux CPU-only: tensorflow-cpu)",
    "jax": "pip install jax",
    "keras": "pip install keras",
    "theano": "pip install Theano (legacy: see scripts/make-legacy-envs)",
    "pytensor": "pip install pytensor",
    "cntk": "pip install cntk (Python <= 3.6 only; see scripts/make-legacy-envs)",
    "cupy": "pip install cupy-cuda12x",
    "gnumpy": "pip install gnumpy in a Python 2.7 environment (see scripts/make-legacy-envs)",
    "pyopencl": "pip install pyopencl, plus an OpenCL driver (e.g. apt-get install pocl-opencl-icd)",
    "numpy": "pip install numpy",
}


def evaluate_backend(name: str, facts: Mapping[str, Any]) -> Optional[Skip]:
    if name in installed_backends(facts):
        return None
    hint = INSTALL_HINTS.get(name, f"pip install {name}")
    envs = [e.get("python") for e in lookup(facts, "backends.environments", []) or []]
    where = ", ".join(str(e) for e in envs if e) or "the target environment"
    return Skip(f"backend {name} is not installed in {where}; {hint}")


def evaluate_marks(marks: Iterable[Any], facts: Mapping[str, Any]) -> Optional[Skip]:
    """Judge ``os``/``gpu``/``backend`` marks (objects with ``name``, ``args``, ``kwargs``)."""
    for mark in marks:
        if mark.name == "os":
            skip = evaluate_os(mark.args, facts)
        elif mark.name == "gpu":
            skip = evaluate_gpu(facts, *mark.args, **mark.kwargs)
        elif mark.name == "backend":
            if len(mark.args) != 1:
                raise MarkerError("@pytest.mark.backend takes exactly one backend name, e.g. backend('torch')")
            skip = evaluate_backend(str(mark.args[0]), facts)
        else:
            continue
        if skip is not None:
            return skip
    return None
