"""The seeds' legacy stacks: the environments ``scripts/make-legacy-envs`` built, and their comparisons.

The seeds' stacks (gnumpy + nolearn 0.5 on Python 2.7, Keras 2 on Theano/CNTK/TF 1.x) only
live in their own interpreters, so the runner cannot import them: it runs the legacy
workload scripts with each environment's python. This module reads the manifest
(``dlready-env.json``) the builder writes last in each environment and returns plain
dicts ``{name, python, backends, notes, env, ...}`` for the ones that are usable. It only
reads files (no subprocess): whether a backend *works* is what the workload run shows.

The location is ``--dlready-legacy-envs``, else ``$DLREADY_LEGACY_ENVS``, else the per-user
``~/.cache/pytest-dlready/legacy-envs`` (``$XDG_CACHE_HOME``), else ``.legacy-envs/`` of the
checkout the package runs from; never the current directory. A folder, environment or
manifest that another user owns or others may write is not trusted (``untrusted``).

Each comparison runs its workload script with a legacy environment's python (Python 2.7
for gnumpy/nolearn, 3.6 for CNTK, 3.7 for Keras 2 on Theano/TF 1.x):

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

import json
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ..facts import untrusted
from . import specs
from .protocol import WorkloadSpec, script

# -- the environments ---------------------------------------------------------------------
MANIFEST = "dlready-env.json"
STAMP = ".dlready-stamp"
ENV_VAR = "DLREADY_LEGACY_ENVS"
BUILDER = "scripts/make-legacy-envs"

#: Environments the builder knows, with the interpreter each needs (for skip reasons).
KNOWN = {
    "py27-dbn": "2.7",
    "py36-cntk": "3.6",
    "py37-keras2": "3.7",
}

#: Variables whose value is a search path: the environment's entries go first, the caller's stay.
PATH_VARS = ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "PATH", "PYTHONPATH")


def user_root(environ: Optional[Mapping[str, str]] = None) -> str:
    """The per-user default: ``$XDG_CACHE_HOME/pytest-dlready/legacy-envs`` (``~/.cache/...``; Windows: LOCALAPPDATA)."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CACHE_HOME") or (environ.get("LOCALAPPDATA") if os.name == "nt" else "") \
        or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(os.path.abspath(base), "pytest-dlready", "legacy-envs")


def default_root(environ: Optional[Mapping[str, str]] = None, option: Optional[str] = None) -> str:
    """Where the environments are looked for: the option, ``$DLREADY_LEGACY_ENVS``, the per-user
    folder, or the checkout's own ``.legacy-envs`` beside the package (an editable install).

    Never the current directory: a ``.legacy-envs`` someone left in the folder pytest runs
    from would name the interpreter and the environment (``LD_PRELOAD``...) of every workload.
    """
    environ = os.environ if environ is None else environ
    if option:
        return os.path.abspath(option)
    if environ.get(ENV_VAR):
        return os.path.abspath(environ[ENV_VAR])
    mine = user_root(environ)
    if os.path.isdir(mine):
        return mine
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    beside_package = os.path.join(repo, ".legacy-envs")
    if os.path.isdir(beside_package) and os.path.isfile(os.path.join(repo, "pyproject.toml")):
        return beside_package
    return mine


def parse_manifest(data: Any, env_dir: str = "") -> Tuple[Optional[Dict[str, Any]], str]:
    """A manifest's JSON -> (normalised record, "") or (None, why it is unusable); never raises."""
    if not isinstance(data, Mapping):
        return None, "manifest is not a JSON object"
    name = data.get("name")
    python = data.get("python")
    if not isinstance(name, str) or not name:
        return None, "manifest has no environment name"
    if not isinstance(python, str) or not python:
        return None, "manifest of %s names no python" % name
    backends_raw = data.get("backends")
    backends: Dict[str, str] = {}
    if isinstance(backends_raw, Mapping):
        backends = {str(k): str(v) for k, v in backends_raw.items() if isinstance(k, str)}
    elif isinstance(backends_raw, (list, tuple)):
        backends = {str(b): "" for b in backends_raw if isinstance(b, str)}
    env_raw = data.get("env")
    env = {str(k): str(v) for k, v in env_raw.items()} if isinstance(env_raw, Mapping) else {}
    notes_raw = data.get("notes")
    notes = [str(n) for n in notes_raw] if isinstance(notes_raw, (list, tuple)) else []
    signals_raw = data.get("import_signals")
    signals = [str(s) for s in signals_raw] if isinstance(signals_raw, (list, tuple)) else []
    record = {
        "name": name,
        "python": python,
        "python_version": str(data.get("python_version") or ""),
        "backends": backends,
        "notes": notes,
        "env": env,
        "import_signals": signals,
        "stamp": str(data.get("stamp") or ""),
        "path": env_dir,
    }
    return record, ""


def load_env(env_dir: str) -> Tuple[Optional[Dict[str, Any]], str]:
    """One environment folder -> (record, "") or (None, the reason it cannot be used)."""
    name = os.path.basename(os.path.normpath(env_dir))
    rebuild = "rebuild it with %s --only %s" % (BUILDER, name)
    manifest_path = os.path.join(env_dir, MANIFEST)
    for path in (os.path.dirname(os.path.normpath(env_dir)), env_dir, manifest_path):
        why = untrusted(path) if os.path.exists(path) else ""
        if why:
            return None, "legacy environment %s is not trusted: %s; %s" % (name, why, rebuild)
    if not os.path.isfile(os.path.join(env_dir, STAMP)) or not os.path.isfile(manifest_path):
        return None, "legacy environment %s is incomplete (a build failed or is running); %s" % (name, rebuild)
    try:
        with open(manifest_path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        return None, "legacy environment %s has an unreadable manifest (%s); %s" % (name, type(exc).__name__, rebuild)
    record, why = parse_manifest(data, env_dir)
    if record is None:
        return None, "legacy environment %s: %s; %s" % (name, why, rebuild)
    if not os.access(record["python"], os.X_OK):
        # a virtualenv's python links to its base interpreter: removing pyenv's version breaks it
        return None, "legacy environment %s: %s is missing or not executable; %s" % (name, record["python"], rebuild)
    return record, ""


def scan(root: Optional[str] = None) -> Tuple[List[Dict[str, Any]], Dict[str, str]]:
    """(usable environments sorted by name, {name: reason} for the unusable ones)."""
    root = default_root() if root is None else root
    usable: List[Dict[str, Any]] = []
    problems: Dict[str, str] = {}
    try:
        entries = sorted(os.listdir(root))
    except OSError:
        return usable, problems
    for entry in entries:
        env_dir = os.path.join(root, entry)
        if entry.startswith(("_", ".")) or entry == "logs" or not os.path.isdir(env_dir):
            continue
        record, why = load_env(env_dir)
        if record is not None:
            usable.append(record)
        else:
            problems[entry] = why
    return usable, problems


def find_envs(root: Optional[str] = None) -> List[Dict[str, Any]]:
    """Every usable legacy environment: dicts with name, python, backends, notes, env, path."""
    return scan(root)[0]


def find_env(name: str, root: Optional[str] = None) -> Optional[Dict[str, Any]]:
    """The usable environment called ``name``, or None (see :func:`missing_reason`)."""
    root = default_root() if root is None else root
    record, _ = load_env(os.path.join(root, name))
    return record


def missing_reason(name: str, root: Optional[str] = None) -> str:
    """One sentence saying why environment ``name`` is not usable and what to run; "" if it is."""
    root = default_root() if root is None else root
    env_dir = os.path.join(root, name)
    if not os.path.isdir(env_dir):
        version = KNOWN.get(name)
        need = " (needs a Python %s interpreter, e.g. pyenv install %s)" % (
            version, {"2.7": "2.7.18", "3.6": "3.6.15", "3.7": "3.7.16"}.get(version, version)) if version else ""
        return "legacy environment %s is not built in %s; run %s --only %s%s" % (name, root, BUILDER, name, need)
    record, why = load_env(env_dir)
    return "" if record is not None else why


def run_env(record: Mapping[str, Any], base: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The process environment to run ``record``'s python with: base + the env's variables.

    Search-path variables (LD_LIBRARY_PATH for CNTK's MPI sonames) are prepended to the
    caller's value rather than replacing it; PYTHONPATH and PYTHONHOME are dropped from
    the base so the project's Python 3 paths cannot leak into a Python 2.7 environment.
    """
    out = dict(os.environ if base is None else base)
    for var in ("PYTHONPATH", "PYTHONHOME"):
        out.pop(var, None)
    extra = record.get("env") if isinstance(record, Mapping) else None
    for key, value in (extra.items() if isinstance(extra, Mapping) else ()):
        key, value = str(key), str(value)
        if key in PATH_VARS and out.get(key):
            out[key] = value + os.pathsep + out[key]
        else:
            out[key] = value
    return out


# -- their comparisons -----------------------------------------------------------------------
ELEMWISE = "theano-elemwise"

#: (samples, epochs incl. warm-up) per tier for the legacy DBN and CNN; the elemwise test
#: keeps the seed's 1000 calls per "epoch" and only varies the repeats.
DBN_SIZES = specs.SIZES[specs.DBN]
CNN_SIZES = specs.SIZES[specs.CNN]
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
    return script(name)


def _has_nvidia(facts: Mapping[str, Any]) -> bool:
    return "nvidia" in specs.gpu_vendors(facts)


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
        if key in PATH_VARS and base.get(key):
            env[key] = f"{value}{os.pathsep}{base[key]}"
        else:
            env[key] = str(value)
    env.update(extra or {})
    return env


def _gpu_skip(facts: Mapping[str, Any], backend: str) -> Tuple[str, bool]:
    """Why there is no GPU run: no GPU (needs_gpu), or a GPU that is not NVIDIA (these stacks are CUDA-only)."""
    if not specs.gpu_vendors(facts):
        return f"{specs.no_gpu_reason(facts)}; the GPU side also needs {GPU_NEEDS[backend]}", True
    vendors = ", ".join(sorted(set(specs.gpu_vendors(facts))))
    return f"{backend} runs on NVIDIA GPUs only (CUDA); found {vendors}", False


def _comparison(workload: str, backend: str, record: Optional[Mapping[str, Any]], env_name: str,
                wanted: Sequence[str], root: str, skip_reason: str = "") -> specs.Comparison:
    python = record["python"] if record else os.path.join(root, env_name, "bin", "python")
    comp = specs.Comparison(workload, backend, python=python, extra={"legacy_env": env_name})
    if record is None:
        comp.skip = missing_reason(env_name, root) or f"legacy environment {env_name} is not usable"
    elif wanted and not specs.selected(backend, wanted):
        comp.skip = specs.not_selected(backend, wanted)
    elif skip_reason:
        comp.skip = skip_reason
    if record is not None:
        comp.extra["notes"] = list(record.get("notes") or [])
    return comp


def dbn(facts: Mapping[str, Any], tier: str, wanted: Sequence[str], record: Optional[Mapping[str, Any]],
        root: str) -> specs.Comparison:
    comp = _comparison(specs.DBN, "gnumpy", record, "py27-dbn", wanted, root)
    if record is None:
        return comp
    samples, epochs = DBN_SIZES[tier]
    args = ["--samples", str(samples), "--epochs", str(epochs)]
    comp.cpu = WorkloadSpec(specs.DBN, "gnumpy+npmat", "cpu", _script("dbn_legacy.py"), args + ["--device", "cpu"],
                            python=record["python"], env=spec_env(record, {"GNUMPY_USE_GPU": "no"}), lock="cpu")
    if _has_nvidia(facts):
        # the seed's setting: auto. Without a working cudamat this trains on npmat, and the
        # script's verified device_used ("cpu") plus gnumpy's own line are the finding.
        comp.gpu = WorkloadSpec(specs.DBN, "gnumpy+cudamat", "gpu", _script("dbn_legacy.py"), args + ["--device", "gpu"],
                                python=record["python"], env=spec_env(record, {"GNUMPY_USE_GPU": "auto"}), lock="gpu0")
    else:
        comp.gpu_skip, comp.gpu_skip_needs_gpu = _gpu_skip(facts, "gnumpy")
    return comp


def elemwise(facts: Mapping[str, Any], tier: str, wanted: Sequence[str], record: Optional[Mapping[str, Any]],
             root: str) -> specs.Comparison:
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
           root: str) -> List[specs.Comparison]:
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
        comp = _comparison(specs.CNN, backend, record, env_name, wanted, root, skip)
        if record is not None and kb not in (record.get("backends") or {}):
            comp.skip = comp.skip or f"{kb} is not installed in legacy environment {env_name}; rebuild it with {BUILDER} --only {env_name}"
        out.append(comp)
        if record is None:
            continue
        args = ["--backend", kb, "--samples", str(samples), "--epochs", str(epochs)]
        env = spec_env(record, {"KERAS_BACKEND": kb})
        comp.cpu = WorkloadSpec(specs.CNN, backend, "cpu", _script("mnist_cnn_keras2.py"), args + ["--device", "cpu"],
                                python=record["python"], env=env, keras_backend=kb, lock="cpu")
        if _has_nvidia(facts):
            gpu_device = "gpu-dnn" if label == "theano+cudnn" else "gpu"
            comp.gpu = WorkloadSpec(specs.CNN, backend, "gpu", _script("mnist_cnn_keras2.py"), args + ["--device", gpu_device],
                                    python=record["python"], env=env, keras_backend=kb, lock="gpu0")
        else:
            comp.gpu_skip, comp.gpu_skip_needs_gpu = _gpu_skip(facts, backend)
    return out


LEGACY_BACKENDS = ("gnumpy", "nolearn", "theano", "cntk", "keras2", "tensorflow1")


def comparisons(facts: Mapping[str, Any], settings: Any, root: Optional[str] = None) -> List[specs.Comparison]:
    """The legacy comparisons for this session (see the module docstring for when they appear)."""
    root = default_root(option=getattr(settings, "legacy_envs", None)) if root is None else root
    tier = getattr(settings, "tier", "quick")
    tier = tier if tier in DBN_SIZES else "quick"
    wanted = tuple(getattr(settings, "backends", ()) or ())
    asked = any(w in LEGACY_BACKENDS or w.startswith("keras2") for w in wanted)
    if not os.path.isdir(root) and not asked:
        # one row, not none: "-k gnumpy" finds it, and it says how to get the seeds' own stacks
        comp = specs.Comparison(specs.DBN, "gnumpy")
        comp.skip = ("the seeds' legacy stacks (Python 2.7 gnumpy/nolearn, Keras 2 on Theano/CNTK) are not built "
                     "in %s; build them with %s from a checkout, or name their folder with "
                     "--dlready-legacy-envs=DIR" % (root, BUILDER))
        return [comp]
    records = {name: find_env(name, root) for name in KNOWN}
    out = [dbn(facts, tier, wanted, records["py27-dbn"], root),
           elemwise(facts, tier, wanted, records["py37-keras2"], root)]
    out.extend(keras2(facts, tier, wanted, records, root))
    return out
