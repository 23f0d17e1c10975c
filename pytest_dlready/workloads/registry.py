"""Which training comparisons this machine gets, at which size, in which environment.

Pure: facts + settings in, a list of ``Comparison`` out (the live suite parametrises
over it). A comparison is one workload on one backend family: a CPU baseline run and,
when a device exists for it, a GPU run; when none exists the GPU side is a SKIP with
the reason, never a silent omission. Sizes per tier live here (``SIZES``) so the quick
tier stays a smoke test and ``full`` is faithful to the seeds (``specs``). Legacy environments
(Python 2.7 gnumpy, Keras 2 on Theano/CNTK) add their comparisons (``legacy.comparisons``).
"""
from __future__ import annotations

import sys
from typing import Any, List, Mapping, Optional

from ..facts import lookup
from ..checks import markers
from . import legacy
from .protocol import WorkloadSpec, script
# re-exported for callers that knew them here
from .specs import (CNN, DBN, KERAS_BACKENDS, QUICK_KERAS, SIZES, TORCH_DEVICE, Comparison, gpu_vendors,  # noqa: F401
                    has as _has, installed, judged_strictly, no_gpu_reason, not_selected, selected)

def opencl_devices(facts: Mapping[str, Any]) -> Optional[List[Mapping[str, Any]]]:
    """OpenCL devices the probe saw; None if the OpenCL probe did not run."""
    route = lookup(facts, "devices.opencl")
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
    return script("dbn.py")


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
        comp.skip = f"numpy is not installed in {python}; {markers.INSTALL_HINTS['numpy']}"
    out.append(comp)

    # 2. the OpenCL route: hand-written kernels against the same numpy baseline
    comp = Comparison(DBN, "pyopencl", cpu=numpy_cpu, python=python)
    devices = opencl_devices(facts)
    comp.strict = bool(wanted) and (selected("pyopencl", wanted))
    if _has(mods, "pyopencl") is False:
        comp.skip = f"pyopencl is not installed in {python}; {markers.INSTALL_HINTS['pyopencl']}"
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
        cnn = script("mnist_cnn.py")
        comp.cpu = WorkloadSpec(CNN, name, "cpu", cnn, cnn_args(tier, False), python=python, keras_backend=kb, lock="cpu")
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
            comp.gpu = WorkloadSpec(CNN, name, "gpu", cnn, cnn_args(tier, True), python=python, keras_backend=kb, lock="gpu0")
        out.append(comp)
    return out


def comparisons(facts: Mapping[str, Any], settings: Any) -> List[Comparison]:
    """Every comparison of this session: this Python's, each --dlready-python's, and the legacy ones."""
    pythons = [sys.executable] + [p for p in getattr(settings, "pythons", ()) or () if p != sys.executable]
    out: List[Comparison] = []
    for python in pythons:
        out.extend(modern(facts, settings, python))
    out.extend(legacy.comparisons(facts, settings))
    return out
