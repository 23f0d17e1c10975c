"""Which training comparisons this machine gets, at which size, in which environment.

Pure: facts + settings in, a list of ``Comparison`` out (the live suite parametrises
over it). A comparison is one workload on one backend family: a CPU baseline run and,
when a device exists for it, a GPU run; when none exists the GPU side is a SKIP with
the reason, never a silent omission. Sizes per tier live here (``SIZES``) so the quick
tier stays a smoke test and ``full`` is faithful to the seeds. Legacy environments
(Python 2.7 gnumpy, Keras 2 on Theano/CNTK) add their comparisons through
``legacy_specs.comparisons`` when that module is present.
"""
from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .. import facts as F
from ..checks import markers as M
from .runner import HERE, WorkloadSpec

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
    for env in F.get(facts, "backends.environments", []) or []:
        if not isinstance(env, Mapping):
            continue
        if os.path.abspath(str(env.get("python", ""))) in (os.path.abspath(python), os.path.realpath(python)):
            mods = env.get("modules") or {}
            return {k: bool(v.get("installed")) for k, v in mods.items() if isinstance(v, Mapping)}
    return {}


def _has(mods: Mapping[str, bool], name: str) -> Optional[bool]:
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
    return [str(g.get("vendor", "")).lower() for g in F.gpu_list(facts)]


def no_gpu_reason(facts: Mapping[str, Any]) -> str:
    why = F.get(facts, "devices.summary")
    # the devices suite's "GPU devices" row already spells out the whole reason once
    return "no GPU found (see the GPU devices row)" if isinstance(why, str) and why else "no GPU found by any probe"


def opencl_devices(facts: Mapping[str, Any]) -> Optional[List[Mapping[str, Any]]]:
    """OpenCL devices the probe saw; None if the OpenCL probe did not run."""
    route = F.get(facts, "devices.opencl")
    if not isinstance(route, Mapping):
        return None
    return [d for d in route.get("devices", []) or [] if isinstance(d, Mapping)]


def dbn_args(tier: str, backend: str, device: str = "cpu") -> List[str]:
    samples, epochs = SIZES[DBN][tier]
    return ["--backend", backend, "--device", device, "--samples", str(samples), "--epochs", str(epochs)]


def cnn_args(tier: str, gpu: bool) -> List[str]:
    samples, epochs = SIZES[CNN][tier]
    return ["--samples", str(samples), "--epochs", str(epochs)] + (["--require-gpu"] if gpu else [])


def _dbn_script() -> str:
    return os.path.join(HERE, "dbn.py")


def modern(facts: Mapping[str, Any], settings: Any, python: str = sys.executable) -> List[Comparison]:
    """Comparisons for the modern backends in ``python``."""
    tier = getattr(settings, "tier", "quick")
    wanted = tuple(getattr(settings, "backends", ()) or ())
    mods = installed(facts, python)
    vendors = gpu_vendors(facts)
    out: List[Comparison] = []
    numpy_cpu = WorkloadSpec(DBN, "numpy", "cpu", _dbn_script(), dbn_args(tier, "numpy"), python=python, lock="cpu")

    # 1. the seed's DBN: numpy on the CPU against the first GPU array library that fits the GPU
    comp = Comparison(DBN, "numpy", cpu=numpy_cpu, python=python)
    if not vendors:
        comp.gpu_skip, comp.gpu_skip_needs_gpu = no_gpu_reason(facts), True
    elif "nvidia" in vendors and _has(mods, "cupy") is not False:
        comp.gpu = WorkloadSpec(DBN, "cupy", "gpu", _dbn_script(), dbn_args(tier, "cupy"), python=python, lock="gpu0")
    elif _has(mods, "torch") is not False and any(v in TORCH_DEVICE for v in vendors):
        device = next(TORCH_DEVICE[v] for v in vendors if v in TORCH_DEVICE)
        comp.gpu = WorkloadSpec(DBN, "torch", "gpu", _dbn_script(), dbn_args(tier, "torch", device), python=python, lock="gpu0")
    else:
        comp.gpu_skip = (f"no GPU array library for {', '.join(vendors)} in {python}; "
                         "pip install cupy-cuda12x (NVIDIA) or a GPU build of torch")
    if not selected("numpy", wanted) and not selected("cupy", wanted):
        comp.skip = not_selected("numpy", wanted)
    if _has(mods, "numpy") is False:
        comp.skip = f"numpy is not installed in {python}; {M.INSTALL_HINTS['numpy']}"
    out.append(comp)

    # 2. the OpenCL route: hand-written kernels against the same numpy baseline
    comp = Comparison(DBN, "pyopencl", cpu=numpy_cpu, python=python)
    devices = opencl_devices(facts)
    comp.strict = bool(wanted) and (selected("pyopencl", wanted))
    if _has(mods, "pyopencl") is False:
        comp.skip = f"pyopencl is not installed in {python}; {M.INSTALL_HINTS['pyopencl']}"
    elif devices is not None and not devices:
        comp.skip = ("pyopencl found no OpenCL device; install a driver (GPU vendor ICD, "
                     "or apt-get install pocl-opencl-icd for the CPU stand-in)")
    else:
        gpus = [d for d in devices or [] if str(d.get("kind", "")).lower() == "gpu"]
        comp.standin = devices is not None and not gpus
        env = {}
        if gpus:
            env["DLREADY_OPENCL_DEVICE"] = f"{gpus[0].get('platform_index', 0)}:{gpus[0].get('index', 0)}"
        comp.gpu = WorkloadSpec(DBN, "pyopencl", "gpu", _dbn_script(), dbn_args(tier, "pyopencl"),
                                python=python, env=env, lock="opencl0" if comp.standin else "gpu0")
    if not selected("pyopencl", wanted):
        comp.skip = comp.skip or not_selected("pyopencl", wanted)
    out.append(comp)

    # 3. Keras mnist_cnn per Keras 3 backend
    fastest_done = 0
    for kb in KERAS_BACKENDS:
        name = f"keras-{kb}"
        comp = Comparison(CNN, name, python=python)
        script = os.path.join(HERE, "mnist_cnn.py")
        comp.cpu = WorkloadSpec(CNN, name, "cpu", script, cnn_args(tier, False), python=python, keras_backend=kb, lock="cpu")
        need = [m for m in ("keras", kb) if _has(mods, m) is False]
        if need:
            comp.skip = f"{' and '.join(need)} not installed in {python}; pip install 'pytest-dlready[keras-{'tf' if kb == 'tensorflow' else kb}]'"
        elif wanted and not selected(name, wanted):
            comp.skip = not_selected(name, wanted)
        elif tier == "quick" and not wanted and fastest_done >= QUICK_KERAS:
            comp.skip = (f"the quick tier trains mnist_cnn on the fastest Keras backend only; "
                         f"run --dlready-tier=standard or --dlready-backends={name} for {name}")
        if not comp.skip:
            fastest_done += 1
        if not vendors:
            comp.gpu_skip, comp.gpu_skip_needs_gpu = no_gpu_reason(facts), True
        else:
            comp.gpu = WorkloadSpec(CNN, name, "gpu", script, cnn_args(tier, True), python=python, keras_backend=kb, lock="gpu0")
        out.append(comp)
    return out


def legacy(facts: Mapping[str, Any], settings: Any) -> List[Comparison]:
    """Comparisons from ``legacy_specs`` (owned by the legacy-environments work), if shipped."""
    try:
        module = importlib.import_module("pytest_dlready.workloads.legacy_specs")
    except ModuleNotFoundError as exc:
        if exc.name != "pytest_dlready.workloads.legacy_specs":
            raise
        return []
    maker = getattr(module, "comparisons", None)
    return list(maker(facts, settings)) if callable(maker) else []


def comparisons(facts: Mapping[str, Any], settings: Any) -> List[Comparison]:
    """Every comparison of this session: this Python's, each --dlready-python's, and the legacy ones."""
    pythons = [sys.executable] + [p for p in getattr(settings, "pythons", ()) or () if p != sys.executable]
    out: List[Comparison] = []
    for python in pythons:
        out.extend(modern(facts, settings, python))
    out.extend(legacy(facts, settings))
    return out
