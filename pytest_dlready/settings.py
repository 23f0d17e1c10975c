"""One frozen ``Settings`` resolved from the command line and ini, validated once.

Each ``--dlready-*`` option has an ini key of the same name with underscores; the
command line wins. Validators name the bad value and where it came from, the way
pytest-timeout's do, and raise ``pytest.UsageError`` so pytest exits with code 4.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Optional, Tuple

import pytest

TIERS = ("quick", "standard", "full")
VENDORS = ("nvidia", "amd", "intel", "apple", "opencl")


@dataclass(frozen=True)
class Settings:
    enabled: bool = False
    tier: str = "quick"
    require_gpu: bool = False
    min_gpus: int = 1
    gpu_vendor: Optional[str] = None
    min_compute: Optional[Tuple[int, int]] = None
    min_memory_gb: Optional[float] = None
    min_bandwidth_gbps: Optional[float] = None
    min_speedup: float = 1.0
    json_path: Optional[str] = None
    html_path: Optional[str] = None
    save_facts: Optional[str] = None
    facts_path: Optional[str] = None
    pythons: Tuple[str, ...] = ()
    backends: Tuple[str, ...] = ()          # empty: every installed backend
    cuda_samples: Optional[str] = None
    build_samples: bool = False
    replay: Optional[str] = None
    probe_timeout: float = 20.0
    workload_timeout: float = 900.0
    aa: bool = False                        # the A/A control row: the CPU baseline against itself
    legacy_envs: Optional[str] = None       # where the legacy environments are (default: legacy.default_root)


#: names --dlready-backends accepts: each training comparison's backend and its parts
#: (tests/test_plugin.py checks this against workloads.registry's comparisons)
KNOWN_BACKENDS = frozenset({
    "numpy", "cupy", "torch", "pyopencl", "opencl", "keras", "tensorflow", "tf", "jax",
    "keras-tensorflow", "keras-torch", "keras-jax", "gnumpy", "nolearn", "theano", "cntk", "cudnn",
    "keras2", "tensorflow1", "keras2-theano", "keras2-theano+cudnn", "keras2-cntk", "keras2-tensorflow1",
})

# name -> (help, ini type, default). Help strings are shared by addoption and addini.
OPTIONS = {
    "dlready": ("run the bundled GPU/deep-learning readiness suites and print the readiness verdict", "bool", False),
    "dlready_tier": ("how deep to test: quick (seconds, smoke epochs), standard, full (faithful to the seeds); default quick", "string", "quick"),
    "dlready_require_gpu": ("CI-gating mode: a missing GPU (and every GPU-dependent skip) is a failure", "bool", False),
    "dlready_min_gpus": ("with --dlready-require-gpu: how many GPUs are required (default 1)", "string", "1"),
    "dlready_gpu_vendor": ("required GPU vendor: " + "|".join(VENDORS), "string", ""),
    "dlready_min_compute": ("minimum CUDA compute capability required, e.g. 7.5", "string", ""),
    "dlready_min_memory_gb": ("minimum memory per GPU in GB", "string", ""),
    "dlready_min_bandwidth": ("minimum pinned host<->device bandwidth in GB/s", "string", ""),
    "dlready_min_speedup": ("GPU epoch must be at least this many times faster than CPU (default 1.0: a slower GPU fails)", "string", "1.0"),
    "dlready_json": ("write the JSON readiness report to this path (atomically)", "string", ""),
    "dlready_html": ("write a self-contained HTML readiness report to this path", "string", ""),
    "dlready_save_facts": ("save the facts snapshot (what the probes saw) to this path", "string", ""),
    "dlready_facts": ("judge this saved facts snapshot instead of probing this machine", "string", ""),
    "dlready_python": ("another Python environment whose backends are probed and in which workloads run (repeatable)", "args", []),
    "dlready_backends": ("comma-separated training backends to run (default: every installed one)", "string", ""),
    "dlready_cuda_samples": ("folder holding NVIDIA's deviceQuery/bandwidthTest (binaries or sources)", "string", ""),
    "dlready_build_samples": ("build deviceQuery/bandwidthTest from sources found, with the toolkit found", "bool", False),
    "dlready_replay": ("judge a recorded case (bundled name or path to a case file) instead of live workloads", "string", ""),
    "dlready_probe_timeout": ("seconds each probe command may take (default 20)", "string", "20"),
    "dlready_workload_timeout": ("seconds each training subprocess may take (default 900)", "string", "900"),
    "dlready_legacy_envs": ("folder of the legacy Python 2.7/3.6/3.7 environments scripts/make-legacy-envs built "
                            "(default: $DLREADY_LEGACY_ENVS, else ~/.cache/pytest-dlready/legacy-envs)", "string", ""),
    "dlready_aa": ("A/A control: also time the CPU baseline against itself, shown as its own row with the machine's noise floor", "bool", False),
}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def raw_value(config: pytest.Config, name: str) -> Tuple[Any, str]:
    """Value of option ``name`` and where it came from: the command line wins over ini."""
    cli = config.getoption(name, default=None)
    if cli not in (None, "", [], False):
        return cli, _flag(name)
    ini = config.getini(name)
    return ini, f"ini {name}"


def _float(value: Any, where: str, minimum: float = 0.0) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise pytest.UsageError(f"{where}: {value!r} is not a number") from None
    if not number >= minimum or number != number or number == float("inf"):
        raise pytest.UsageError(f"{where}: {value!r} must be a finite number >= {minimum:g}")
    return number


def _optional_float(value: Any, where: str) -> Optional[float]:
    return None if value in (None, "") else _float(value, where)


def parse_compute(value: Any, where: str) -> Optional[Tuple[int, int]]:
    if value in (None, ""):
        return None
    match = re.fullmatch(r"\s*(\d{1,2})\.(\d)\s*", str(value))
    if not match:
        raise pytest.UsageError(f"{where}: {value!r} is not a compute capability; use MAJOR.MINOR, e.g. 7.5")
    return int(match.group(1)), int(match.group(2))


def _choice(value: Any, where: str, choices: Tuple[str, ...]) -> str:
    text = str(value).strip().lower()
    if text not in choices:
        raise pytest.UsageError(f"{where}: {value!r} is not one of {', '.join(choices)}")
    return text


def output_path(value: Any, where: str) -> Optional[str]:
    """A report path checked when the option is read, so a bad one is a usage error, not a lost
    table at the end: not a folder, inside an existing folder (none is created), writable."""
    if not value:
        return None
    path = os.path.abspath(os.path.expanduser(str(value)))
    folder = os.path.dirname(path)
    if os.path.isdir(path):
        raise pytest.UsageError(f"{where}: {value!r} is a folder; give a file path")
    if not os.path.exists(folder):
        raise pytest.UsageError(f"{where}: {value!r}: the folder {folder} does not exist (it is not created)")
    if not os.path.isdir(folder):
        raise pytest.UsageError(f"{where}: {value!r}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise pytest.UsageError(f"{where}: {value!r}: cannot write there (permission denied)")
    return str(value)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def resolve(config: pytest.Config) -> Settings:
    """Build the session's Settings; raise UsageError naming the option on bad input."""
    def v(name: str) -> Tuple[Any, str]:
        return raw_value(config, name)

    tier, where = v("dlready_tier")
    vendor, vwhere = v("dlready_gpu_vendor")
    min_gpus_raw, gwhere = v("dlready_min_gpus")
    try:
        min_gpus = int(str(min_gpus_raw))
    except ValueError:
        raise pytest.UsageError(f"{gwhere}: {min_gpus_raw!r} is not a whole number of GPUs") from None
    if min_gpus < 0:
        raise pytest.UsageError(f"{gwhere}: {min_gpus} must be >= 0")
    pythons_raw, pwhere = v("dlready_python")
    pythons = tuple(pythons_raw if isinstance(pythons_raw, (list, tuple)) else str(pythons_raw).split())
    for py in pythons:
        if not os.path.exists(py):
            raise pytest.UsageError(f"{pwhere}: {py!r} does not exist; give the path of a python executable")
    facts_path, fwhere = v("dlready_facts")
    if facts_path and not os.path.isfile(facts_path):
        raise pytest.UsageError(f"{fwhere}: {facts_path!r} is not a file; save one with --dlready-save-facts=PATH")
    backends_raw, _ = v("dlready_backends")
    backends = tuple(b.strip() for b in str(backends_raw or "").split(",") if b.strip())
    unknown = [b for b in backends if b not in KNOWN_BACKENDS]
    if unknown:
        raise pytest.UsageError(f"--dlready-backends: unknown backend{'s' if len(unknown) > 1 else ''} "
                                f"{', '.join(map(repr, unknown))}; known: {', '.join(sorted(KNOWN_BACKENDS))}")
    min_speedup_raw, swhere = v("dlready_min_speedup")
    min_speedup = _float(min_speedup_raw, swhere)
    if min_speedup <= 0:
        raise pytest.UsageError(f"{swhere}: {min_speedup_raw!r} must be greater than 0")
    return Settings(
        enabled=_bool(v("dlready")[0]),
        tier=_choice(tier, where, TIERS),
        require_gpu=_bool(v("dlready_require_gpu")[0]),
        min_gpus=min_gpus,
        gpu_vendor=_choice(vendor, vwhere, VENDORS) if vendor else None,
        min_compute=parse_compute(*v("dlready_min_compute")),
        min_memory_gb=_optional_float(*v("dlready_min_memory_gb")),
        min_bandwidth_gbps=_optional_float(*v("dlready_min_bandwidth")),
        min_speedup=min_speedup,
        json_path=output_path(*v("dlready_json")),
        html_path=output_path(*v("dlready_html")),
        save_facts=output_path(*v("dlready_save_facts")),
        facts_path=facts_path or None,
        pythons=pythons,
        backends=backends,
        cuda_samples=v("dlready_cuda_samples")[0] or None,
        build_samples=_bool(v("dlready_build_samples")[0]),
        replay=v("dlready_replay")[0] or None,
        probe_timeout=_float(*v("dlready_probe_timeout"), minimum=0.1),
        workload_timeout=_float(*v("dlready_workload_timeout"), minimum=1.0),
        aa=_bool(v("dlready_aa")[0]),
        legacy_envs=v("dlready_legacy_envs")[0] or None,
    )
