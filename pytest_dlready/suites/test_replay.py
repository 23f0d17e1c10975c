"""Replay suite: judge recorded runs (a case, or a saved snapshot) with the live verdict.

Collected instead of ``test_training.py`` under ``--dlready-replay=CASE`` and when the
``--dlready-facts`` snapshot carries ``workloads.runs``. Every GPU run is judged against
its CPU baseline by ``verdict.judge`` with the session's facts and ``--dlready-min-speedup``,
exactly as a live run is, so a snapshot sent from another machine reproduces its verdict.
"""
from __future__ import annotations

from typing import Any

import pytest


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per (CPU baseline, GPU run) pair found in the session's facts."""
    if "replay_pair" not in metafunc.fixturenames:
        return
    from pytest_dlready import facts as F
    from pytest_dlready.plugin import get_facts
    from pytest_dlready.replay import pair_runs

    facts = get_facts(metafunc.config)
    pairs = pair_runs(F.get(facts, "workloads.runs") or [])
    if not pairs:
        metafunc.parametrize("replay_pair", [pytest.param(None, marks=pytest.mark.skip(
            reason="no recorded CPU/GPU run pair to judge; give --dlready-replay=CASE or a snapshot "
                   "saved with --dlready-save-facts after a training run"))], ids=["none"])
        return
    ids = [f"{gpu.workload}-{gpu.backend}" for _, gpu, _ in pairs]
    metafunc.parametrize("replay_pair", pairs, ids=ids)


def test_speedup(replay_pair: Any, dl_facts: Any, dl_settings: Any, dl_check: Any, dl_record_run: Any) -> None:
    """GPU faster than CPU by --dlready-min-speedup, or the measured causes why not."""
    from pytest_dlready.verdict import judge

    cpu, gpu, note = replay_pair
    dl_record_run(cpu)
    dl_record_run(gpu)
    dl_check(judge(cpu, gpu, facts=dl_facts, min_speedup=dl_settings.min_speedup, baseline_note=note))
