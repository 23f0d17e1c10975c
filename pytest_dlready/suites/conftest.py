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
import time
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


def _fair(spec: Any) -> Any:
    """The CPU spec with BLAS threads for the CPUs other processes leave free now (``registry.fair_threads``)."""
    from pytest_dlready.probes import load
    from pytest_dlready.workloads import registry

    if not spec.threads_note.startswith("one per usable CPU"):
        return spec
    before = load.sample()
    time.sleep(0.3)
    busy = sum(p.get("cores", 0.0) for p in load.since(before).get("busy", []))
    return registry.fair_threads(spec, busy)


@pytest.fixture(scope="session")
def _dl_cpu_baselines() -> Dict[str, Any]:
    return {}


@pytest.fixture(scope="session")
def _dl_cpu_rows_shown() -> set:
    """CPU baselines whose row this process has shown (a baseline shared by comparisons shows once)."""
    return set()


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
        if spec.device == "cpu":
            spec = _fair(spec)

        def on_epoch(epoch: Dict[str, Any]) -> None:
            loss = f" loss {epoch['loss']:.4g}" if isinstance(epoch.get("loss"), (int, float)) else ""
            write(f"dlready: {spec.label} epoch {epoch.get('epoch', '?')}/{total} {epoch['seconds']:.3g} s{loss}")

        result = runner.run(spec, dl_settings.workload_timeout, on_epoch=on_epoch)
        if spec.device == "cpu" and result.ok:
            _dl_cpu_baselines[key] = result
        return result

    return run


@pytest.fixture
def dl_measure_pair(pytestconfig: pytest.Config, dl_settings) -> Callable[..., Any]:
    """``measure(cpu_spec, gpu_spec) -> (cpu, gpu)``: interleaved rounds of both sides (``workloads.measure``).

    The sweep runs only when the main batch does not already show the GPU clearly faster
    (the checks' own outcome decides), so a healthy GPU costs one measurement.
    """
    from pytest_dlready.checks import speedup_stats
    from pytest_dlready.workloads import measure

    write = _progress_writer(pytestconfig)
    plan = measure.plan_for(dl_settings.tier)

    def needs_sweep(main: Dict[str, Any]) -> bool:
        iv = speedup_stats.from_dict(main.get("interval"))
        return iv is not None and speedup_stats.outcome(iv, dl_settings.min_speedup) != speedup_stats.FASTER

    def run(cpu_spec: Any, gpu_spec: Any, sweep: bool = True) -> Any:
        cpu_spec = _fair(cpu_spec)
        if gpu_spec.device == "cpu":  # the A/A control: the same baseline on both sides
            gpu_spec = cpu_spec
        samples = int(cpu_spec.args[cpu_spec.args.index("--samples") + 1]) if "--samples" in cpu_spec.args else 8192
        write(f"dlready: measuring {cpu_spec.label} against {gpu_spec.label} in interleaved rounds "
              f"(batch {cpu_spec.measure_batch}, up to ~{plan.budget_s + 2 * plan.warmup_s:.0f} s)")
        cpu, gpu = measure.compare(cpu_spec, gpu_spec, plan, int(cpu_spec.measure_batch), samples,
                                   dl_settings.workload_timeout, needs_sweep if sweep else (lambda main: False))
        main = (gpu.extra.get("measurement") or {}).get("main") or {}
        iv = speedup_stats.from_dict(main.get("interval"))
        if iv is not None:
            write(f"dlready: {gpu_spec.label}: {speedup_stats.describe(iv)} ({main.get('stopped')})")
        return cpu, gpu

    return run


@pytest.fixture
def dl_device_lock(pytestconfig: pytest.Config, dl_settings) -> Callable[..., Any]:
    """``with dl_device_lock("cpu", "gpu0"):`` -- exclusive use of devices across xdist workers.

    A lock held by another run is waited for at most the workload timeout, saying once whose
    lock it is ("waiting for the gpu0 lock held by pid N since ..."); then the test fails naming it.
    """
    import functools

    from pytest_dlready.workloads.locks import device_lock

    return functools.partial(device_lock, timeout=dl_settings.workload_timeout,
                             on_wait=lambda line: _progress_writer(pytestconfig)(f"dlready: {line}"))
