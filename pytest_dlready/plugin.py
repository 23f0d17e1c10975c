"""pytest hooks, options, markers and fixtures of pytest-dlready.

Without ``--dlready`` this module only registers options, markers and fixtures: no
probing and no heavy import happens until a test asks for a fixture or uses a marker.
With ``--dlready`` it loads (or probes) the facts snapshot once on the controller,
points collection at the bundled ``suites/``, gathers one row per finding from test
reports (so it works the same under pytest-xdist) and prints the readiness verdict.
"""
from __future__ import annotations

import os
from typing import Any, List, Optional

import pytest

from .settings import OPTIONS, Settings, resolve


# re-exported: tests and other projects' conftests read them from here
from .state import (FACTS_KEY, PROP_ORDER, SESSION_KEY, SETTINGS_KEY, SUITES_DIR, SUITES_KEY,  # noqa: E402,F401
                    get_facts, get_settings, obtain_facts)

MARKER_LINES = [
    "os(*names): run only on these operating systems (linux, macos, windows; aliases darwin, osx, win32), judged from the facts snapshot",
    "gpu(count=1, vendor=None, min_compute=None, min_memory_gb=None): needs GPUs like this; skipped with the precise reason, a failure under --dlready-require-gpu",
    "backend(name): needs this deep-learning backend importable in the target environment (torch, tensorflow, jax, keras, theano, cntk, cupy, gnumpy, ...)",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register every --dlready-* option in one group, each with an ini twin."""
    group = parser.getgroup("dlready", "deep-learning / GPU readiness (pytest-dlready)")
    for name, (help_text, ini_type, default) in OPTIONS.items():
        flag = "--" + name.replace("_", "-")
        if ini_type == "bool":
            group.addoption(flag, action="store_true", dest=name, default=None, help=help_text)
            parser.addini(name, help_text, type="bool", default=default)
        elif ini_type == "args":
            group.addoption(flag, action="append", dest=name, default=None, metavar="PATH", help=help_text)
            parser.addini(name, help_text, type="args", default=default)
        else:
            metavar = name.split("_", 1)[1].upper()
            group.addoption(flag, action="store", dest=name, default=None, metavar=metavar, help=help_text)
            parser.addini(name, help_text, type="string", default=default)


def pytest_configure(config: pytest.Config) -> None:
    """Register markers, resolve settings and, under --dlready, get the facts and suites."""
    for line in MARKER_LINES:
        config.addinivalue_line("markers", line)
    settings = resolve(config)
    config.stash[SETTINGS_KEY] = settings
    from . import fixtures

    if not config.pluginmanager.is_registered(fixtures):
        config.pluginmanager.register(fixtures, "dlready-fixtures")
    if config.pluginmanager.hasplugin("xdist"):
        from .session import XdistHooks

        config.pluginmanager.register(XdistHooks(), "dlready-xdist")
    if not settings.enabled:
        if settings.facts_path:  # markers and fixtures of other projects judge a saved snapshot too
            config.stash[FACTS_KEY] = obtain_facts(settings)
        return
    from .session import DlreadySession

    session = DlreadySession(config, settings)
    config.stash[SESSION_KEY] = session
    # the session object receives the test reports itself (pytest_runtest_logreport), as xdist's DSession does
    config.pluginmanager.register(session, "dlready-session")
    session.start()
    _point_at_suites(config, settings)


def _point_at_suites(config: pytest.Config, settings: Settings) -> None:
    """Collect the bundled suites; keep explicit paths the user gave as well."""
    from .session import suite_files

    # Collect the folder, not the files: node ids then read "test_toolchain.py::test_x" from any cwd
    # (files given one by one outside the rootdir get an empty path); unselected suites are ignored below.
    config.stash[SUITES_KEY] = [os.path.basename(p) for p in suite_files(settings, config.stash.get(FACTS_KEY, {}))]
    source = getattr(config, "args_source", None)
    user_given = source is not None and source == pytest.Config.ArgsSource.ARGS
    config.args = (list(config.args) if user_given else []) + [SUITES_DIR]


def pytest_ignore_collect(collection_path: Any, config: pytest.Config) -> Optional[bool]:
    """Under --dlready, skip the bundled suites this session does not run (training vs replay)."""
    selected = config.stash.get(SUITES_KEY, None)
    if selected is None or str(collection_path.parent) != SUITES_DIR or not collection_path.name.endswith(".py"):
        return None
    return True if collection_path.name not in selected else None


def pytest_report_header(config: pytest.Config) -> Optional[List[str]]:
    """Say which settings and which snapshot this run judges."""
    settings = get_settings(config)
    if not settings.enabled:
        return None
    facts = config.stash.get(FACTS_KEY, {})
    lines = [
        f"dlready: tier={settings.tier} require_gpu={settings.require_gpu} min_speedup={settings.min_speedup:g}"
        + (f" replay={settings.replay}" if settings.replay else ""),
        f"dlready: facts {facts.get('source', '?')} on {facts.get('host', {}).get('hostname', '?')}",
    ]
    return lines


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Judge os/gpu/backend marks from the facts snapshot (like skipping.py: judge, then act)."""
    marks = [m for m in item.iter_markers() if m.name in ("os", "gpu", "backend")]
    if not marks:
        return
    from .checks import markers
    from .results import REQUIRE_GPU_SUFFIX

    facts = get_facts(item.config)
    try:
        skip = markers.evaluate_marks(marks, facts)
    except (markers.MarkerError, TypeError) as exc:
        pytest.fail(f"invalid dlready marker on {item.nodeid}: {exc}", pytrace=False)
    if skip is None:
        return
    if skip.gpu_related and get_settings(item.config).require_gpu:
        pytest.fail(skip.reason + REQUIRE_GPU_SUFFIX, pytrace=False)
    _skip_at_item(skip.reason)


def _skip_at_item(reason: str) -> None:
    """Skip reported at the test's location, as pytest's own skip marks are (so -rs names the test)."""
    try:
        raise pytest.skip.Exception(reason, _use_item_location=True)
    except TypeError:  # pytest without the keyword
        pytest.skip(reason)


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    """Reject unknown OS names at collection; put the bundled suites in table order."""
    selected = config.stash.get(SUITES_KEY, None)
    if selected:
        def order(item: pytest.Item) -> int:
            path = str(getattr(item, "path", ""))
            name = os.path.basename(path)
            return selected.index(name) if os.path.dirname(path) == SUITES_DIR and name in selected else -1
        items.sort(key=order)  # stable: the user's own tests first, then toolchain, devices, training/replay
    if get_settings(config).enabled:
        _number_items(items)
    marked = [item for item in items if any(True for _ in item.iter_markers("os"))]
    if not marked:
        return
    from .checks import markers

    bad = []
    for item in marked:
        for mark in item.iter_markers("os"):
            for name in mark.args:
                try:
                    markers.normalise_os(name)
                except markers.MarkerError as exc:
                    bad.append(f"{item.nodeid}: {exc}")
    if bad:
        raise pytest.UsageError("invalid @pytest.mark.os:\n  " + "\n  ".join(bad))


def _number_items(items: List[pytest.Item]) -> None:
    """Each item's collection index, as a user property (only under --dlready: other runs' reports stay theirs)."""
    for index, item in enumerate(items):
        # the collection order travels with each report, so rows from xdist workers (which finish
        # in any order) are tabled as a run without -n would table them
        item.user_properties.append((PROP_ORDER, index))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the JSON report and saved snapshot (controller only), atomically."""
    dl = session.config.stash.get(SESSION_KEY, None)
    if dl is None:
        return
    dl.finish(exitstatus)
    if dl.write_failures and not dl.is_worker:
        from .results import REPORT_WRITE_FAILED

        session.exitstatus = REPORT_WRITE_FAILED  # documented in docs/ci-gate.md: the verdict printed, a report lost


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the readiness table and the verdict line after pytest's own summary."""
    dl = config.stash.get(SESSION_KEY, None)
    if dl is None or dl.is_worker:
        return
    dl.render_terminal(terminalreporter)
