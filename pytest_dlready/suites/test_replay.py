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

    from pytest_dlready.workloads.protocol import RunResult

    facts = get_facts(metafunc.config)
    runs = lookup(facts, "workloads.runs") or []
    pairs = pair_runs(runs)
    # every saved run comes back: a CPU baseline whose GPU side did not run is a row of its own
    used = {id(cpu) for cpu, _gpu, _note in pairs}
    paired = {(c.workload, c.backend, c.source, tuple(c.epoch_seconds)) for c, _g, _n in pairs}
    alone = [RunResult.from_dict(r) if not isinstance(r, RunResult) else r for r in runs
             if isinstance(r, (dict, RunResult)) and (r.get("device") if isinstance(r, dict) else r.device) == "cpu"]
    alone = [c for c in alone if id(c) not in used
             and (c.workload, c.backend, c.source, tuple(c.epoch_seconds)) not in paired]
    if not pairs and not alone:
        metafunc.parametrize("replay_pair", [pytest.param(None, marks=pytest.mark.skip(
            reason="this snapshot records no training runs (a snapshot is judged as itself: nothing trains "
                   "here); save one with --dlready-save-facts after a training run, or give --dlready-replay=CASE"))],
            ids=["none"])
        return
    seen = set()
    marked = []
    for cpu, gpu, _note in pairs:  # the CPU baseline's own rows come with its first pair, as in a live run
        key = id(cpu)
        marked.append((cpu, gpu, key not in seen))
        seen.add(key)
    marked += [(cpu, None, True) for cpu in alone]
    ids = [f"{gpu.workload}-{gpu.backend}" if gpu is not None else f"{cpu.workload}-{cpu.backend}-cpu"
           for cpu, gpu, _ in marked]
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
    if gpu is not None:
        dl_record_run(gpu)
    dl_check(training.pair_rows(cpu, gpu, dl_facts, dl_settings.min_speedup,
                         strict=gpu is not None and judged_strictly(gpu, dl_settings.backends),
                         include_cpu=first_use))
