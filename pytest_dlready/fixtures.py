"""Public fixtures of pytest-dlready, usable by any project's tests (documented in the README).

``dl_facts`` is the session snapshot; ``dl_os``, ``gpus``/``gpu`` and ``backend`` are
views of it; ``dl_check`` records findings in the readiness table and turns them into
the test's outcome. The bundled suites' own fixtures follow: ``dl_gpu_index`` /
``dl_opencl_index`` parametrise the device suite over the devices in the snapshot (ids
``GPU0``, ``GPU1``...; a single ``no-gpu`` case whose value is ``None`` when there is none,
so the test records the reason instead of silently vanishing), and ``dl_comparison``,
``dl_run_workload``, ``dl_device_lock`` drive the training suite. Nothing here imports a
framework; parametrisation reads the session's snapshot, so a loaded ``--dlready-facts``
file yields the devices of the machine it was recorded on.
"""
from __future__ import annotations

import copy
import json
from typing import Any, Callable, Dict, Iterable, List, Mapping, Union

import pytest

from .facts import lookup, gpu_list
from .checks import markers
from .results import REQUIRE_GPU_SUFFIX, Finding, Status
from .state import PROP_FINDING, PROP_RUN, get_facts, get_settings

DL_BACKENDS = ("torch", "tensorflow", "jax", "keras", "theano", "pytensor", "cntk", "cupy", "gnumpy", "pyopencl")

@pytest.fixture(scope="session")
def dl_settings(pytestconfig: pytest.Config):
    """The resolved --dlready-* settings (a frozen ``Settings``)."""
    return get_settings(pytestconfig)


@pytest.fixture(scope="session")
def dl_facts(pytestconfig: pytest.Config) -> Mapping[str, Any]:
    """The facts snapshot: probed once per session, or loaded from --dlready-facts."""
    return get_facts(pytestconfig)


@pytest.fixture(scope="session")
def dl_os(dl_facts: Mapping[str, Any]) -> str:
    """``linux``, ``macos`` or ``windows``, as the snapshot says."""
    return str(dl_facts.get("host", {}).get("os", "unknown"))


@pytest.fixture(scope="session")
def gpus(dl_facts: Mapping[str, Any]) -> List[Mapping[str, Any]]:
    """Every GPU found: dicts with index, vendor, name, compute_capability, memory_mib, source."""
    return gpu_list(dl_facts)


@pytest.fixture
def gpu(gpus: List[Mapping[str, Any]], dl_facts: Mapping[str, Any], dl_settings) -> Mapping[str, Any]:
    """The first GPU; skips with the reason when there is none (fails under --dlready-require-gpu)."""
    if gpus:
        return gpus[0]
    skip = markers.evaluate_gpu(dl_facts)
    reason = skip.reason if skip else "no GPU found"
    if dl_settings.require_gpu:
        pytest.fail(reason + REQUIRE_GPU_SUFFIX, pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def dl_check(request: pytest.FixtureRequest, dl_settings) -> Callable[[Union[Finding, Iterable[Finding]]], List[Finding]]:
    """Record findings in the readiness table and make the test's outcome match them.

    A FAIL fails the test with the finding's message and fix (no traceback); only
    SKIPs skip it; PASS and WARN pass (WARN still shows in the table and verdict).
    Under --dlready-require-gpu, a skip whose finding says ``needs_gpu`` fails.
    """
    def check(findings: Union[Finding, Iterable[Finding]]) -> List[Finding]:
        items = [findings] if isinstance(findings, Finding) else list(findings)
        if dl_settings.require_gpu:
            items = [
                Finding(f.check, Status.FAIL, f.message + REQUIRE_GPU_SUFFIX,
                        code=f.code, fix=f.fix, observed=f.observed)
                if f.status is Status.SKIP and f.observed.get("needs_gpu") else f
                for f in items
            ]
        record(request, items)
        act_on(items)
        return items

    return check


@pytest.fixture
def dl_record_run(request: pytest.FixtureRequest) -> Callable[[Any], None]:
    """Attach a workload ``RunResult`` to the test so it reaches the report and saved snapshot."""
    def add(run: Any) -> None:
        data = run.to_dict() if hasattr(run, "to_dict") else dict(run)
        request.node.user_properties.append((PROP_RUN, data))

    return add


def record(request: pytest.FixtureRequest, findings: Iterable[Finding]) -> List[Finding]:
    """Attach findings to the running test so they reach the report (and xdist controller)."""
    out = []
    for finding in findings:
        request.node.user_properties.append((PROP_FINDING, finding.to_dict()))
        out.append(finding)
    return out


def act_on(findings: List[Finding], require_gpu: bool = False) -> None:
    """Make the test's outcome match its findings: fail > skip-only > pass (warns pass)."""
    fails = [f for f in findings if f.status is Status.FAIL]
    if fails:
        lines = []
        for f in fails:
            lines.append(f"[{f.code}] {f.message}" if f.code else f.message)
            if f.fix:
                lines.append(f"  fix: {f.fix}")
        pytest.fail("\n".join(lines), pytrace=False)
    if findings and all(f.status is Status.SKIP for f in findings):
        reason = findings[0].message + (f"; {findings[0].fix}" if findings[0].fix else "")
        pytest.skip(reason)


# -- the bundled suites' fixtures ------------------------------------------------------
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``backend``, the device indexes and the training comparisons from the snapshot."""
    _parametrize_backend(metafunc)
    _parametrize_devices(metafunc)
    _parametrize_comparisons(metafunc)


def _parametrize_backend(metafunc: pytest.Metafunc) -> None:
    """The ``backend`` fixture over the deep-learning backends installed."""
    if "backend" not in metafunc.fixturenames:
        return
    installed = markers.installed_backends(get_facts(metafunc.config))
    names = [b for b in DL_BACKENDS if b in installed]
    if names:
        metafunc.parametrize("backend", names, ids=names)
    else:
        metafunc.parametrize("backend", [pytest.param(None, marks=pytest.mark.skip(
            reason="no deep-learning backend installed; e.g. pip install 'pytest-dlready[keras-tf]'"))], ids=["none"])


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
    from .workloads import registry

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
    from .workloads import runner

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
    from .workloads.locks import device_lock

    return device_lock
