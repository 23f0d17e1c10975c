"""The legacy training comparisons: the seeds' own stacks, in the environments make-legacy-envs built.

``registry.legacy`` imports :func:`comparisons` and appends what it returns to the live
training suite. Each comparison runs its workload script with a legacy environment's
python (Python 2.7 for gnumpy/nolearn, 3.6 for CNTK, 3.7 for Keras 2 on Theano/TF 1.x):

========================  =============  ==========================================
comparison                environment    GPU side
========================  =============  ==========================================
dbn-mnist[gnumpy]         py27-dbn       ``GNUMPY_USE_GPU=auto`` as the seed ran it:
                                         without cudamat the "GPU" run trains on
                                         npmat and says ``device_used: cpu``
theano-elemwise[theano]   py37-keras2    the guide's ``THEANO_FLAGS_GPU``
mnist-cnn[keras2-theano]  py37-keras2    ``THEANO_FLAGS_GPU`` (no cuDNN)
mnist-cnn[keras2-theano+cudnn]           ``THEANO_FLAGS_GPU_DNN``
mnist-cnn[keras2-tensorflow1]            tensorflow-cpu 1.15: unavailable on a GPU
mnist-cnn[keras2-cntk]    py36-cntk      cntk 2.7 CPU wheel: unavailable on a GPU
========================  =============  ==========================================

No GPU in the facts: the GPU side is a SKIP with the reason and ``needs_gpu``. Where a
GPU exists, the GPU run is attempted even when the environment cannot use it (it is
cheap and it is the point): the script's own verification then reports the silent CPU
fallback or the backend's "unavailable" message, which is the finding.

Legacy rows appear when legacy environments were built (their folder exists) or when
``--dlready-backends`` names a legacy backend; a missing environment is a SKIP saying
which command builds it. Pure except for reading the environments' manifests.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .. import legacy
from . import registry as R
from .runner import HERE, WorkloadSpec

ELEMWISE = "theano-elemwise"

#: (samples, epochs incl. warm-up) per tier for the legacy DBN and CNN; the elemwise test
#: keeps the seed's 1000 calls per "epoch" and only varies the repeats.
DBN_SIZES = R.SIZES[R.DBN]
CNN_SIZES = R.SIZES[R.CNN]
ELEMWISE_EPOCHS = {"quick": 2, "standard": 3, "full": 3}

#: Keras 2 backends in the order of CPU speed measured here (1,000 samples, 2 epochs:
#: TF 1.15 3.7 s/epoch, Theano 1.0.5 3.7 s/epoch after a ~100 s first compile, CNTK 2.7 7 s/epoch).
KERAS2 = (("tensorflow1", "tensorflow", "py37-keras2"),
          ("theano", "theano", "py37-keras2"),
          ("theano+cudnn", "theano", "py37-keras2"),
          ("cntk", "cntk", "py36-cntk"))

#: What the GPU side of each backend would need beyond a GPU (said in the skip reason).
GPU_NEEDS = {
    "gnumpy": "cudamat built with nvcc (github.com/cudamat/cudamat; not on PyPI)",
    "theano": "pygpu/libgpuarray (conda install pygpu) and THEANO_FLAGS device=cuda0",
    "keras2-theano": "pygpu/libgpuarray (conda install pygpu) and THEANO_FLAGS device=cuda0",
    "keras2-theano+cudnn": "pygpu/libgpuarray plus cuDNN (THEANO_FLAGS optimizer_including=cudnn)",
    "keras2-tensorflow1": "tensorflow-gpu 1.15 with CUDA 10.0 and cuDNN 7.4",
    "keras2-cntk": "cntk-gpu 2.7 with CUDA 10.0 and cuDNN 7",
}


def _script(name: str) -> str:
    return os.path.join(HERE, name)


def _has_nvidia(facts: Mapping[str, Any]) -> bool:
    return "nvidia" in R.gpu_vendors(facts)


def spec_env(record: Mapping[str, Any], extra: Optional[Mapping[str, str]] = None,
             base: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The variables a run in ``record``'s environment needs on top of the runner's.

    The manifest's THEANO_FLAGS (a compile dir inside the environment) and KERAS_BACKEND
    replace the runner's; LD_LIBRARY_PATH (CNTK's private MPI sonames) is prepended to the
    caller's. Python 2.7 must not write .pyc files next to the package's scripts.
    """
    base = os.environ if base is None else base
    env: Dict[str, str] = {"PYTHONDONTWRITEBYTECODE": "1"}
    for key, value in (record.get("env") or {}).items():
        if key in legacy.PATH_VARS and base.get(key):
            env[key] = f"{value}{os.pathsep}{base[key]}"
        else:
            env[key] = str(value)
    env.update(extra or {})
    return env


def _gpu_skip(facts: Mapping[str, Any], backend: str) -> Tuple[str, bool]:
    """Why there is no GPU run: no GPU (needs_gpu), or a GPU that is not NVIDIA (these stacks are CUDA-only)."""
    if not R.gpu_vendors(facts):
        return f"{R.no_gpu_reason(facts)}; the GPU side also needs {GPU_NEEDS[backend]}", True
    vendors = ", ".join(sorted(set(R.gpu_vendors(facts))))
    return f"{backend} runs on NVIDIA GPUs only (CUDA); found {vendors}", False


def _comparison(workload: str, backend: str, record: Optional[Mapping[str, Any]], env_name: str,
                wanted: Sequence[str], root: str, skip_reason: str = "") -> R.Comparison:
    python = record["python"] if record else os.path.join(root, env_name, "bin", "python")
    comp = R.Comparison(workload, backend, python=python, extra={"legacy_env": env_name})
    if record is None:
        comp.skip = legacy.missing_reason(env_name, root) or f"legacy environment {env_name} is not usable"
    elif wanted and not R.selected(backend, wanted):
        comp.skip = R.not_selected(backend, wanted)
    elif skip_reason:
        comp.skip = skip_reason
    if record is not None:
        comp.extra["notes"] = list(record.get("notes") or [])
    return comp


def dbn(facts: Mapping[str, Any], tier: str, wanted: Sequence[str], record: Optional[Mapping[str, Any]],
        root: str) -> R.Comparison:
    comp = _comparison(R.DBN, "gnumpy", record, "py27-dbn", wanted, root)
    if record is None:
        return comp
    samples, epochs = DBN_SIZES[tier]
    args = ["--samples", str(samples), "--epochs", str(epochs)]
    comp.cpu = WorkloadSpec(R.DBN, "gnumpy+npmat", "cpu", _script("dbn_legacy.py"), args + ["--device", "cpu"],
                            python=record["python"], env=spec_env(record, {"GNUMPY_USE_GPU": "no"}), lock="cpu")
    if _has_nvidia(facts):
        # the seed's setting: auto. Without a working cudamat this trains on npmat, and the
        # script's verified device_used ("cpu") plus gnumpy's own line are the finding.
        comp.gpu = WorkloadSpec(R.DBN, "gnumpy+cudamat", "gpu", _script("dbn_legacy.py"), args + ["--device", "gpu"],
                                python=record["python"], env=spec_env(record, {"GNUMPY_USE_GPU": "auto"}), lock="gpu0")
    else:
        comp.gpu_skip, comp.gpu_skip_needs_gpu = _gpu_skip(facts, "gnumpy")
    return comp


def elemwise(facts: Mapping[str, Any], tier: str, wanted: Sequence[str], record: Optional[Mapping[str, Any]],
             root: str) -> R.Comparison:
    quick_skip = ("the quick tier keeps the legacy rows to the seed's DBN; run --dlready-tier=standard "
                  "or --dlready-backends=theano for the Theano elementwise check") if tier == "quick" and not wanted else ""
    comp = _comparison(ELEMWISE, "theano", record, "py37-keras2", wanted, root, quick_skip)
    if record is None:
        return comp
    args = ["--epochs", str(ELEMWISE_EPOCHS[tier])]
    comp.cpu = WorkloadSpec(ELEMWISE, "theano", "cpu", _script("theano_elemwise.py"), args + ["--device", "cpu"],
                            python=record["python"], env=spec_env(record), lock="cpu")
    if _has_nvidia(facts):
        comp.gpu = WorkloadSpec(ELEMWISE, "theano", "gpu", _script("theano_elemwise.py"), args + ["--device", "gpu"],
                                python=record["python"], env=spec_env(record), lock="gpu0")
    else:
        comp.gpu_skip, comp.gpu_skip_needs_gpu = _gpu_skip(facts, "theano")
    return comp


def keras2(facts: Mapping[str, Any], tier: str, wanted: Sequence[str], records: Mapping[str, Any],
           root: str) -> List[R.Comparison]:
    """mnist_cnn on each Keras 2 backend; standard and full train them all, quick none unless named."""
    out = []
    samples, epochs = CNN_SIZES[tier]
    for label, kb, env_name in KERAS2:
        backend = f"keras2-{label}"
        record = records.get(env_name)
        skip = ""
        if tier == "quick" and not wanted:
            # seconds matter in quick: the modern Keras row already trains mnist_cnn; Keras 2 waits for standard
            skip = (f"the quick tier keeps the legacy rows to the seed's DBN; run --dlready-tier=standard "
                    f"or --dlready-backends={backend} for {backend}")
        comp = _comparison(R.CNN, backend, record, env_name, wanted, root, skip)
        if record is not None and kb not in (record.get("backends") or {}):
            comp.skip = comp.skip or f"{kb} is not installed in legacy environment {env_name}; rebuild it with {legacy.BUILDER} --only {env_name}"
        out.append(comp)
        if record is None:
            continue
        args = ["--backend", kb, "--samples", str(samples), "--epochs", str(epochs)]
        env = spec_env(record, {"KERAS_BACKEND": kb})
        comp.cpu = WorkloadSpec(R.CNN, backend, "cpu", _script("mnist_cnn_keras2.py"), args + ["--device", "cpu"],
                                python=record["python"], env=env, keras_backend=kb, lock="cpu")
        if _has_nvidia(facts):
            gpu_device = "gpu-dnn" if label == "theano+cudnn" else "gpu"
            comp.gpu = WorkloadSpec(R.CNN, backend, "gpu", _script("mnist_cnn_keras2.py"), args + ["--device", gpu_device],
                                    python=record["python"], env=env, keras_backend=kb, lock="gpu0")
        else:
            comp.gpu_skip, comp.gpu_skip_needs_gpu = _gpu_skip(facts, backend)
    return out


LEGACY_BACKENDS = ("gnumpy", "nolearn", "theano", "cntk", "keras2", "tensorflow1")


def comparisons(facts: Mapping[str, Any], settings: Any, root: Optional[str] = None) -> List[R.Comparison]:
    """The legacy comparisons for this session (see the module docstring for when they appear)."""
    root = legacy.default_root() if root is None else root
    tier = getattr(settings, "tier", "quick")
    tier = tier if tier in DBN_SIZES else "quick"
    wanted = tuple(getattr(settings, "backends", ()) or ())
    asked = any(w in LEGACY_BACKENDS or w.startswith("keras2") for w in wanted)
    if not os.path.isdir(root) and not asked:
        return []  # nobody built or asked for the legacy stacks: no rows at all
    records = {name: legacy.find_env(name, root) for name in legacy.KNOWN}
    out = [dbn(facts, tier, wanted, records["py27-dbn"], root),
           elemwise(facts, tier, wanted, records["py37-keras2"], root)]
    out.extend(keras2(facts, tier, wanted, records, root))
    return out
