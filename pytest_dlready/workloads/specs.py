"""The vocabulary of the training suite: workloads, sizes per tier, comparisons, backend selection.

Shared by ``registry`` (this Python's backends) and ``legacy`` (the seeds' old stacks), so
neither imports the other's internals. Pure.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ..facts import lookup, gpu_list
from ..checks.devices import no_gpu_summary
from .protocol import WorkloadSpec

DBN = "dbn-mnist"
CNN = "mnist-cnn"

#: (samples, epochs including the warm-up one) per tier; full = the seeds' own runs
SIZES: Dict[str, Dict[str, Tuple[int, int]]] = {
    DBN: {"quick": (2048, 3), "standard": (11776, 5), "full": (46900, 10)},
    CNN: {"quick": (512, 3), "standard": (8192, 4), "full": (60000, 12)},
}
#: Keras backends by CPU speed measured here (TF ~36 s, torch ~135 s, JAX ~165 s per 60k-sample epoch)
KERAS_BACKENDS = ("tensorflow", "torch", "jax")
#: the quick tier runs only the fastest keras backend installed, to stay within seconds
QUICK_KERAS = 1
#: torch device per GPU vendor
TORCH_DEVICE = {"nvidia": "cuda", "amd": "rocm", "apple": "mps"}


@dataclass
class Comparison:
    """One row group of the training suite: a CPU baseline and its GPU counterpart."""

    workload: str
    backend: str                          # family shown in the test id: "numpy", "pyopencl", "keras-tensorflow"
    cpu: Optional[WorkloadSpec] = None
    gpu: Optional[WorkloadSpec] = None
    gpu_skip: str = ""                    # why there is no GPU run
    gpu_skip_needs_gpu: bool = False      # the reason is "no GPU" (fails under --dlready-require-gpu)
    skip: str = ""                        # why the whole comparison does not run (tier, not installed)
    standin: bool = False                 # the GPU side is a stand-in device, not the user's GPU
    strict: bool = False                  # judge a stand-in like a real GPU (the user asked for it)
    python: str = sys.executable
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        env = "" if self.python == sys.executable else f"@{os.path.basename(os.path.dirname(os.path.dirname(self.python))) or self.python}"
        return f"{self.workload}[{self.backend}]{env}"


def installed(facts: Mapping[str, Any], python: str) -> Dict[str, bool]:
    """{module: installed} in ``python`` from the backends probe; {} when it did not run."""
    for env in lookup(facts, "backends.environments", []) or []:
        if not isinstance(env, Mapping):
            continue
        if os.path.abspath(str(env.get("python", ""))) in (os.path.abspath(python), os.path.realpath(python)):
            mods = env.get("modules") or {}
            return {k: bool(v.get("installed")) for k, v in mods.items() if isinstance(v, Mapping)}
    return {}


def has(mods: Mapping[str, bool], name: str) -> Optional[bool]:
    """True/False from the facts; None when the probe said nothing (the script will tell)."""
    return mods.get(name) if name in mods else None


def selected(backend: str, wanted: Sequence[str]) -> bool:
    """``--dlready-backends`` matching: a name matches itself and each dash-part ("keras", "jax")."""
    if not wanted:
        return True
    parts = {backend} | set(backend.split("-")) | set(backend.split("+"))
    aliases = {"opencl": "pyopencl", "tf": "tensorflow"}
    return any(aliases.get(w, w) in parts for w in wanted)


def judged_strictly(gpu: Any, wanted: Sequence[str]) -> bool:
    """A stand-in device is judged like a real GPU only when the user named its backend."""
    return bool(wanted) and selected(str(gpu.backend), wanted)


def not_selected(name: str, wanted: Sequence[str]) -> str:
    """The skip reason of a comparison left out by --dlready-backends, with the way to bring it back."""
    return f"{name} not among --dlready-backends={','.join(wanted)}; add it there to train it"


def gpu_vendors(facts: Mapping[str, Any]) -> List[str]:
    return [str(g.get("vendor", "")).lower() for g in gpu_list(facts)]


def no_gpu_reason(facts: Mapping[str, Any]) -> str:
    why = no_gpu_summary(facts)
    # the devices suite's "GPU devices" row already spells out the whole reason once
    return "no GPU found (see the GPU devices row)" if isinstance(why, str) and why else "no GPU found by any probe"
