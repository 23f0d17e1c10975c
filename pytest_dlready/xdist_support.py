"""pytest-xdist hooks, registered only when xdist is loaded (as xdist's docs advise).

Two ways to distribute, two ways to get facts:

* ``-n N`` (local ``popen`` workers, load-balanced): every worker is on the
  controller's machine, so the controller probes once and ships its snapshot in
  ``workerinput``; no worker probes.
* ``--dist each`` or any remote gateway (``--tx ssh=gpu1//python=python3``): every
  worker may be on another host, so the controller ships nothing and each worker
  obtains its own facts (probes its host, or loads ``--dlready-facts`` as resolved on
  that host). At session end the worker puts a builtins-only summary of its host in
  ``config.workeroutput["dlready"]``; the controller reads ``node.workeroutput`` in
  ``pytest_testnodedown`` and keeps it per node, so results stay per host.

A worker that dies is recorded as a lost worker rather than silently losing its rows.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

import pytest

#: key of the worker's host summary in ``config.workeroutput`` / ``node.workeroutput``
WORKEROUTPUT_KEY = "dlready"

#: execnet gateway types that run on another machine
REMOTE_GATEWAYS = ("ssh=", "socket=", "vagrant_ssh=")


def is_per_host(dist: Any, tx_specs: Iterable[str] | None) -> bool:
    """True when each worker must probe its own host: ``--dist each`` or any remote ``--tx``."""
    if str(dist or "no") == "each":
        return True
    return any(any(kind in str(spec) for kind in REMOTE_GATEWAYS) for spec in (tx_specs or ()))


def per_host_mode(config: pytest.Config) -> bool:
    """Whether this session distributes to (possibly) different hosts; False without xdist."""
    if not config.pluginmanager.hasplugin("xdist"):
        return False
    return is_per_host(config.getoption("dist", "no"), config.getoption("tx", None))


def node_id(node: Any) -> str:
    return str(getattr(getattr(node, "gateway", None), "id", "?"))


def node_spec(node: Any) -> str:
    """The gateway spec as given (``ssh=gpu1//python=python3``), for the report."""
    spec = getattr(getattr(node, "gateway", None), "spec", None)
    text = str(getattr(spec, "_spec", "") or spec or "")
    # xdist prepends its own execmodel=...; it says nothing about the host
    return "//".join(p for p in text.split("//") if not p.startswith("execmodel="))


class XdistHooks:
    def __init__(self) -> None:
        self._host_sent = False

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: Any) -> Any:
        """Per-host worker: attach this host's summary to its first report.

        ``workeroutput`` only arrives when a worker ends cleanly; a host that dies
        mid-run would otherwise leave its rows without a hostname or GPU inventory.
        """
        outcome = yield
        config = item.config
        if self._host_sent or not hasattr(config, "workerinput") or "dlready_facts" in config.workerinput:
            return
        from .state import FACTS_KEY, SESSION_KEY
        from .reports.hosts import host_summary

        if config.stash.get(SESSION_KEY, None) is None:
            return
        self._host_sent = True
        report = outcome.get_result()
        summary = host_summary(config.stash.get(FACTS_KEY, {}))
        report.user_properties = list(report.user_properties) + [("dlready_host", summary)]

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Send the controller's facts to a starting local worker; per-host workers probe."""
        from .state import FACTS_KEY

        if per_host_mode(node.config):
            return
        facts = node.config.stash.get(FACTS_KEY, None)
        if facts is not None:
            node.workerinput["dlready_facts"] = json.dumps(facts, default=str)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """Keep the worker's host summary; a worker that went down with an error is reported."""
        from .state import SESSION_KEY

        dl = node.config.stash.get(SESSION_KEY, None)
        if dl is None:
            return
        output = getattr(node, "workeroutput", None) or {}
        summary = output.get(WORKEROUTPUT_KEY) if isinstance(output, dict) else None
        if isinstance(summary, dict):
            dl.host_reported(node_id(node), dict(summary, spec=node_spec(node)))
        if error:
            dl.worker_lost(node_id(node), error, spec=node_spec(node))
