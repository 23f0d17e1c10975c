"""Session state shared by the plugin's modules: stash keys, the suites folder, settings and facts.

Everything that hooks, fixtures, the session and the xdist glue need to find each other
lives here, so none of them imports ``plugin.py`` (hooks and options only) back.
"""
from __future__ import annotations

import os
from typing import Any

import pytest

from .settings import Settings

SETTINGS_KEY = pytest.StashKey[Settings]()
FACTS_KEY = pytest.StashKey[dict]()
SESSION_KEY = pytest.StashKey[Any]()
SUITES_KEY = pytest.StashKey[list]()

#: the bundled suites collected under --dlready
SUITES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "suites")

#: user_properties keys that carry findings, workload results and host summaries from tests (and xdist workers)
PROP_FINDING = "dlready"
PROP_RUN = "dlready_run"
PROP_ORDER = "dlready_order"  # a test's collection index (rows keep collection order under -n)
PROP_HOST = "dlready_host"


def get_settings(config: pytest.Config) -> Settings:
    """The session's resolved settings (defaults before ``pytest_configure`` ran)."""
    return config.stash.get(SETTINGS_KEY, Settings())


def obtain_facts(settings: Settings, light: bool = False) -> dict:
    """The snapshot a session judges: ``--dlready-facts`` loaded, a ``--dlready-replay`` case, or probed.

    The one place that decides where facts come from; a bad file or case is a usage error
    (exit 4) naming the option. ``light`` probes only what markers need (no native builds).
    """
    from .facts import SnapshotError, load as load_snapshot

    if settings.facts_path:
        try:
            return load_snapshot(settings.facts_path)
        except SnapshotError as exc:
            raise pytest.UsageError(f"--dlready-facts: {exc}") from None
    if settings.replay:
        from .workloads.cases import CaseError, facts_for_case

        try:
            return facts_for_case(settings.replay, settings)
        except CaseError as exc:
            raise pytest.UsageError(f"--dlready-replay: {exc}") from None
    from .probes.collect import collect

    return collect(settings, light=light)


def get_facts(config: pytest.Config) -> dict:
    """The session's snapshot; obtained lazily for projects that only use the markers."""
    facts = config.stash.get(FACTS_KEY, None)
    if facts is None:
        facts = obtain_facts(get_settings(config), light=True)
        config.stash[FACTS_KEY] = facts
    return facts
