"""Fixtures of the live training suite: comparisons to run, a runner with progress, device locks.

Registered by ``plugin.py`` (``EXTRA_PLUGIN_MODULES``). ``dl_comparison`` is parametrised
from ``registry.comparisons`` so each (workload, backend) is its own test and row group;
``dl_run_workload`` runs one spec with the session's timeout, printing one line per epoch
on the terminal (not under ``-q``, not on xdist workers, whose output nobody sees), and
reuses a CPU baseline already measured in this process for the same spec.
"""
from __future__ import annotations

import copy
import json
from typing import Any, Callable, Dict

import pytest


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per training comparison this machine gets (see registry)."""
    if "dl_comparison" not in metafunc.fixturenames:
        return
    from ..plugin import get_facts, get_settings
    from . import registry

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
    from . import runner

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
    from .runner import device_lock

    return device_lock
