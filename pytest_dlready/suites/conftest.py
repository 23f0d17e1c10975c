"""Fixtures of the bundled suites, loaded only when ``--dlready`` collects them.

``dl_gpu_index`` / ``dl_opencl_index`` parametrise the device suite over the devices in the
snapshot (ids ``GPU0``, ``GPU1``...; a single ``no-gpu`` case whose value is ``None`` when
there is none, so the test records the reason instead of silently vanishing), and
``dl_comparison``, ``dl_run_workload``, ``dl_device_lock`` drive the training suite.
Parametrisation reads the session's snapshot, so a loaded ``--dlready-facts`` file yields
the devices of the machine it was recorded on.
"""
from __future__ import annotations

import copy
import json
from typing import Any, Callable, Dict, List, Mapping

import pytest

from pytest_dlready.facts import lookup
from pytest_dlready.state import get_facts, get_settings


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise the device indexes and the training comparisons from the snapshot."""
    _parametrize_devices(metafunc)
    _parametrize_comparisons(metafunc)


def _indexes(facts: Mapping[str, Any], key: str) -> List[Any]:
    items = lookup(facts, key, []) or []
    return [i.get("index") for i in items if isinstance(i, Mapping) and i.get("index") is not None]


def _parametrize_devices(metafunc: pytest.Metafunc) -> None:
    """``dl_gpu_index`` / ``dl_opencl_index`` over the devices in the snapshot."""
    wanted = [name for name in ("dl_gpu_index", "dl_opencl_index") if name in metafunc.fixturenames]
    if not wanted:
        return
    facts = get_facts(metafunc.config)
    for name in wanted:
        if name == "dl_gpu_index":
            values, prefix, empty = _indexes(facts, "devices.gpus"), "GPU", "no-gpu"
        else:
            values, prefix, empty = _indexes(facts, "devices.accelerators"), "OpenCL", "no-opencl"
        if values:
            metafunc.parametrize(name, values, ids=[f"{prefix}{v}" for v in values], scope="function")
        else:
            metafunc.parametrize(name, [None], ids=[empty], scope="function")


@pytest.fixture
def dl_gpu_index(request: pytest.FixtureRequest) -> Any:
    """Index of the GPU under test (``None`` when the snapshot has no GPU)."""
    return getattr(request, "param", None)


@pytest.fixture
def dl_opencl_index(request: pytest.FixtureRequest) -> Any:
    """Index of the OpenCL device under test (``None`` when there is none)."""
    return getattr(request, "param", None)


def _parametrize_comparisons(metafunc: pytest.Metafunc) -> None:
    """One test per training comparison this machine gets (see workloads.registry)."""
    if "dl_comparison" not in metafunc.fixturenames:
        return
    from pytest_dlready.workloads import registry

    comps = registry.comparisons(get_facts(metafunc.config), get_settings(metafunc.config))
    metafunc.parametrize("dl_comparison", comps, ids=[c.id for c in comps])


def _progress_writer(config: pytest.Config) -> Callable[[str], None]:
    tr = config.pluginmanager.get_plugin("terminalreporter")
    quiet = (config.getoption("verbose", 0) or 0) < 0
    if tr is None or quiet or hasattr(config, "workerinput"):
        return lambda line: None

    capman = config.pluginmanager.get_plugin("capturemanager")

    def write(line: str) -> None:
        if capman is not None:  # the test's output is captured; this line is for the person waiting
            with capman.global_and_fixture_disabled():
                tr.write_line(line)
        else:
            tr.write_line(line)

    return write


def _epochs_total(spec: Any) -> str:
    args = list(spec.args)
    if "--epochs" in args and args.index("--epochs") + 1 < len(args):
        return args[args.index("--epochs") + 1]
    return "?"


@pytest.fixture(scope="session")
def _dl_cpu_baselines() -> Dict[str, Any]:
    return {}


@pytest.fixture
def dl_run_workload(pytestconfig: pytest.Config, dl_settings, _dl_cpu_baselines) -> Callable[..., Any]:
    """``run(spec, reuse=True) -> RunResult``: one subprocess per spec, with live epoch lines."""
    from pytest_dlready.workloads import runner

    write = _progress_writer(pytestconfig)

    def run(spec: Any, reuse: bool = True) -> Any:
        key = json.dumps([spec.python, spec.script, spec.args, spec.env, spec.keras_backend], sort_keys=True)
        if reuse and spec.device == "cpu" and key in _dl_cpu_baselines:
            reused = copy.deepcopy(_dl_cpu_baselines[key])
            reused.extra["reused"] = True  # measured earlier in this process, never concurrently
            return reused
        total = _epochs_total(spec)

        def on_epoch(epoch: Dict[str, Any]) -> None:
            loss = f" loss {epoch['loss']:.4g}" if isinstance(epoch.get("loss"), (int, float)) else ""
            write(f"dlready: {spec.label} epoch {epoch.get('epoch', '?')}/{total} {epoch['seconds']:.3g} s{loss}")

        result = runner.run(spec, dl_settings.workload_timeout, on_epoch=on_epoch)
        if spec.device == "cpu" and result.ok:
            _dl_cpu_baselines[key] = result
        return result

    return run


@pytest.fixture
def dl_device_lock() -> Callable[..., Any]:
    """``with dl_device_lock("cpu", "gpu0"):`` -- exclusive use of devices across xdist workers."""
    from pytest_dlready.workloads.locks import device_lock

    return device_lock
