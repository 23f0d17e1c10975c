"""pytest-xdist hooks, registered only when xdist is loaded (as xdist's docs advise).

The controller hands its facts snapshot to each worker, so probes run once; results
come back as ordinary test reports (``user_properties`` travel), and a worker that
dies is recorded as a lost worker rather than silently losing its rows.
"""
from __future__ import annotations

import json
from typing import Any

import pytest


class XdistHooks:
    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Send the controller's facts to a starting worker."""
        from .plugin import FACTS_KEY

        facts = node.config.stash.get(FACTS_KEY, None)
        if facts is not None:
            node.workerinput["dlready_facts"] = json.dumps(facts, default=str)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """A worker that went down with an error is reported, never silently dropped."""
        from .plugin import SESSION_KEY

        dl = node.config.stash.get(SESSION_KEY, None)
        if dl is not None and error:
            dl.worker_lost(getattr(getattr(node, "gateway", None), "id", "?"), error)
