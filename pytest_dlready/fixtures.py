"""Public fixtures of pytest-dlready, usable by any project's tests (documented in the README).

``dl_facts`` is the session snapshot; ``dl_os``, ``gpus``/``gpu`` and ``backend`` are
views of it; ``dl_check`` records findings in the readiness table and turns them into
the test's outcome. The bundled suites' own fixtures live in ``suites/conftest.py``,
loaded only when the suites are collected (``--dlready``). Nothing here imports a framework.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, List, Mapping, Union

import pytest

from .state import PROP_FINDING, PROP_RUN, get_facts, get_settings

if TYPE_CHECKING:  # registered on every pytest run: the checks and results load when a fixture is used
    from .results import Finding

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
    from .facts import gpu_list

    return gpu_list(dl_facts)


@pytest.fixture
def gpu(gpus: List[Mapping[str, Any]], dl_facts: Mapping[str, Any], dl_settings) -> Mapping[str, Any]:
    """The first GPU; skips with the reason when there is none (fails under --dlready-require-gpu)."""
    if gpus:
        return gpus[0]
    from .checks import markers
    from .results import REQUIRE_GPU_SUFFIX

    skip = markers.evaluate_gpu(dl_facts)
    reason = skip.reason if skip else "no GPU found"
    if dl_settings.require_gpu:
        pytest.fail(reason + REQUIRE_GPU_SUFFIX, pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def dl_check(request: pytest.FixtureRequest, dl_settings) -> "Callable[[Union[Finding, Iterable[Finding]]], List[Finding]]":
    """Record findings in the readiness table and make the test's outcome match them.

    A FAIL fails the test with the finding's message and fix (no traceback); only
    SKIPs skip it; PASS and WARN pass (WARN still shows in the table and verdict).
    Under --dlready-require-gpu, a skip whose finding says ``needs_gpu`` fails.
    """
    from .results import REQUIRE_GPU_SUFFIX, Finding, Status

    def check(findings: "Union[Finding, Iterable[Finding]]") -> "List[Finding]":
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


def record(request: pytest.FixtureRequest, findings: "Iterable[Finding]") -> "List[Finding]":
    """Attach findings to the running test so they reach the report (and xdist controller)."""
    out = []
    for finding in findings:
        request.node.user_properties.append((PROP_FINDING, finding.to_dict()))
        out.append(finding)
    return out


def act_on(findings: "List[Finding]", require_gpu: bool = False) -> None:
    """Make the test's outcome match its findings: fail > skip-only > pass (warns pass)."""
    from .results import Status

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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``backend`` over the deep-learning backends installed."""
    _parametrize_backend(metafunc)


def _parametrize_backend(metafunc: pytest.Metafunc) -> None:
    """The ``backend`` fixture over the deep-learning backends installed."""
    if "backend" not in metafunc.fixturenames:
        return
    from .checks import markers

    installed = markers.installed_backends(get_facts(metafunc.config))
    names = [b for b in DL_BACKENDS if b in installed]
    if names:
        metafunc.parametrize("backend", names, ids=names)
    else:
        metafunc.parametrize("backend", [pytest.param(None, marks=pytest.mark.skip(
            reason="no deep-learning backend installed; e.g. pip install 'pytest-dlready[keras-tf]'"))], ids=["none"])
