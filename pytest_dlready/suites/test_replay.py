"""Replay suite: judge recorded runs (a case, or a saved snapshot) with the live verdict.

Collected instead of ``test_training.py`` under ``--dlready-replay=CASE`` and when the
``--dlready-facts`` snapshot carries ``workloads.runs``. Every GPU run is judged against
its CPU baseline by ``checks.speedup.judge`` with the session's facts and ``--dlready-min-speedup``,
exactly as a live run is, so a snapshot sent from another machine reproduces its verdict.
"""
from __future__ import annotations

from typing import Any

import pytest


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per (CPU baseline, GPU run) pair found in the session's facts."""
    if "replay_pair" not in metafunc.fixturenames:
        return
    from pytest_dlready.facts import lookup
    from pytest_dlready.state import get_facts
    from pytest_dlready.workloads.cases import pair_runs

    facts = get_facts(metafunc.config)
    pairs = pair_runs(lookup(facts, "workloads.runs") or [])
    if not pairs:
        metafunc.parametrize("replay_pair", [pytest.param(None, marks=pytest.mark.skip(
            reason="no recorded CPU/GPU run pair to judge; give --dlready-replay=CASE or a snapshot "
                   "saved with --dlready-save-facts after a training run"))], ids=["none"])
        return
    seen = set()
    marked = []
    for cpu, gpu, _note in pairs:  # the CPU baseline's own rows come with its first pair, as in a live run
        key = id(cpu)
        marked.append((cpu, gpu, key not in seen))
        seen.add(key)
    ids = [f"{gpu.workload}-{gpu.backend}" for _, gpu, _ in marked]
    metafunc.parametrize("replay_pair", marked, ids=ids)


def test_speedup(replay_pair: Any, dl_facts: Any, dl_settings: Any, dl_check: Any, dl_record_run: Any) -> None:
    """GPU faster than CPU by --dlready-min-speedup, or the measured causes why not.

    The rows come from ``checks.training.pair_rows``, the function live training uses,
    so a snapshot replayed elsewhere reproduces the live rows.
    """
    from pytest_dlready.checks import training
    from pytest_dlready.workloads.registry import judged_strictly

    cpu, gpu, first_use = replay_pair
    if first_use:
        dl_record_run(cpu)
    dl_record_run(gpu)
    dl_check(training.pair_rows(cpu, gpu, dl_facts, dl_settings.min_speedup,
                         strict=judged_strictly(gpu, dl_settings.backends), include_cpu=first_use))
