"""Which training comparisons this machine gets, at which size, in which environment.

Pure: facts + settings in, a list of ``Comparison`` out (the live suite parametrises
over it). A comparison is one workload on one backend family: a CPU baseline run and,
when a device exists for it, a GPU run; when none exists the GPU side is a SKIP with
the reason, never a silent omission. Sizes per tier live here (``SIZES``) so the quick
tier stays a smoke test and ``full`` is faithful to the seeds (``specs``). Legacy environments
(Python 2.7 gnumpy, Keras 2 on Theano/CNTK) add their comparisons (``legacy.comparisons``).
"""
from __future__ import annotations

import dataclasses
import sys
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..facts import lookup
from ..checks import markers
from ..checks.devices import opencl_fix
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


#: the readiness batch of the DBN: by arithmetic, not habit. One step of the 784-300-10 DBN is
#: ~0.96 MFLOP per sample (forward, backward, update; ``dbn.flops_per_sample``) in ~50 array
#: operations. At the seed's minibatch 64 that is 61 MFLOP per step, which a modern GPU finishes
#: in a few µs while the ~50 launches cost 5-12 µs each: the GPU idles, launch-bound, and a
#: 16-core CPU (~1 TFLOP/s) keeps up. At 1024 a step is 0.98 GFLOP: ~1 ms on a Kepler-class GPU
#: (~1 TFLOP/s achieved) against ~0.3-0.6 ms of launches, and tens of ms on a CPU, so every
#: healthy GPU since Kepler wins by a clear margin. The sweep measures 4096, 256 and the seed's 64.
READINESS_BATCH = 1024
#: samples held by the measured DBN per tier (rounds cycle through them)
READINESS_SAMPLES = {"quick": 8192, "standard": 16384, "full": 46900}
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def dbn_args(tier: str, backend: str, device: str = "cpu") -> List[str]:
    samples, epochs = READINESS_SAMPLES.get(tier, READINESS_SAMPLES["quick"]), 3
    return ["--backend", backend, "--device", device, "--samples", str(samples), "--epochs", str(epochs),
            "--batch-size", str(READINESS_BATCH)]


def cpu_threads(facts: Mapping[str, Any]) -> Tuple[Dict[str, str], int, str]:
    """(env, threads, note): BLAS threads for a CPU baseline, chosen deliberately and said.

    The user's own OPENBLAS/OMP/MKL thread settings are respected; otherwise one thread per
    usable CPU (the affinity mask, not the machine's count): more threads than cores stall
    each other, which is what makes a CPU baseline unfair.
    """
    env_vars = lookup(facts, "env.vars", {}) or {}
    for var in THREAD_VARS:
        value = str(env_vars.get(var, "")) if isinstance(env_vars, Mapping) else ""
        if value.isdigit() and int(value) > 0:
            return {}, int(value), f"{var}={value} from your environment"
    cpu = lookup(facts, "system.cpu", {}) or lookup(facts, "host.cpu", {}) or {}
    usable = cpu.get("usable") or cpu.get("logical") if isinstance(cpu, Mapping) else None
    threads = int(usable) if isinstance(usable, int) and usable > 0 else 1
    return {v: str(threads) for v in THREAD_VARS}, threads, f"one per usable CPU ({threads})"


def cnn_args(tier: str, gpu: bool) -> List[str]:
    samples, epochs = SIZES[CNN][tier]
    return ["--samples", str(samples), "--epochs", str(epochs)] + (["--require-gpu"] if gpu else [])


def _dbn_script() -> str:
    return script("dbn.py")


def fair_threads(spec: WorkloadSpec, busy_cores: float) -> WorkloadSpec:
    """The CPU baseline with one BLAS thread per CPU that other processes leave free, when we chose its threads.

    OpenBLAS threads spin-wait for each other: two threads on two cores, one of them busy with
    another process, stall the baseline many times over (20-35x measured on this project's VM),
    while a one-thread baseline only loses its share. A user's own thread settings are kept.
    """
    if not spec.threads_note.startswith("one per usable CPU") or busy_cores < 0.5:
        return spec
    usable = int(next(iter(spec.env.values()), "1") or 1)
    free = max(1, int(round(usable - busy_cores)))
    if free >= usable:
        return spec
    env = dict(spec.env, **{v: str(free) for v in THREAD_VARS})
    note = f"{free} of {usable} usable CPUs: other processes kept {busy_cores:.1f} cores busy"
    return dataclasses.replace(spec, env=env, threads_note=note)


def modern(facts: Mapping[str, Any], settings: Any, python: str = sys.executable) -> List[Comparison]:
    """Comparisons for the modern backends in ``python``."""
    tier = getattr(settings, "tier", "quick")
    wanted = tuple(getattr(settings, "backends", ()) or ())
    mods = installed(facts, python)
    vendors = gpu_vendors(facts)
    out: List[Comparison] = []
    env, _threads, note = cpu_threads(facts)
    numpy_cpu = WorkloadSpec(DBN, "numpy", "cpu", _dbn_script(), dbn_args(tier, "numpy"), python=python, lock="cpu",
                             env=env, measure_batch=READINESS_BATCH, threads_note=note)

    # 1. the seed's DBN: numpy on the CPU against the GPU array library with the least overhead per
    #    step that fits the GPU: torch (~46 launches a step, lower per-call cost), else CuPy
    comp = Comparison(DBN, "numpy", cpu=numpy_cpu, python=python)
    torch_device = next((TORCH_DEVICE[v] for v in vendors if v in TORCH_DEVICE), None)
    if not vendors:
        comp.gpu_skip, comp.gpu_skip_needs_gpu = no_gpu_reason(facts), True
    elif torch_device and _has(mods, "torch") is not False:
        comp.gpu = WorkloadSpec(DBN, "torch", "gpu", _dbn_script(), dbn_args(tier, "torch", torch_device), python=python,
                                lock="gpu0", measure_batch=READINESS_BATCH)
        if "nvidia" in vendors and _has(mods, "cupy") is not False:  # the script says when torch has no CUDA
            comp.extra["fallback"] = WorkloadSpec(DBN, "cupy", "gpu", _dbn_script(), dbn_args(tier, "cupy"),
                                                  python=python, lock="gpu0", measure_batch=READINESS_BATCH)
    elif "nvidia" in vendors and _has(mods, "cupy") is not False:
        comp.gpu = WorkloadSpec(DBN, "cupy", "gpu", _dbn_script(), dbn_args(tier, "cupy"), python=python, lock="gpu0",
                                measure_batch=READINESS_BATCH)
    else:
        comp.gpu_skip = (f"no GPU array library for {', '.join(vendors)} in {python}; "
                         "pip install torch (a GPU build) or cupy-cuda12x (NVIDIA)")
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
        comp.skip = f"pyopencl is not installed in {python}; {opencl_fix(facts)}"
    elif devices is not None and not devices:
        comp.skip = f"pyopencl found no OpenCL device; {opencl_fix(facts, pyopencl_missing=False)}"
    else:
        gpus = [d for d in devices or [] if str(d.get("kind", "")).lower() == "gpu"]
        comp.standin = devices is not None and not gpus
        cl_env: Dict[str, str] = {}
        if gpus:
            cl_env["DLREADY_OPENCL_DEVICE"] = f"{gpus[0].get('platform_index', 0)}:{gpus[0].get('index', 0)}"
        comp.gpu = WorkloadSpec(DBN, "pyopencl", "gpu", _dbn_script(), dbn_args(tier, "pyopencl"),
                                python=python, env=cl_env, lock="opencl0" if comp.standin else "gpu0",
                                measure_batch=READINESS_BATCH)
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
        elif tier == "quick" and not wanted and not vendors:
            comp.skip = (f"no GPU to compare with, and the quick tier trains Keras only against a GPU (the DBN rows "
                         f"time the CPU); run --dlready-tier=standard or --dlready-backends={name} to train its CPU side")
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
