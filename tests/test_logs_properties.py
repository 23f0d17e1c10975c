"""Hypothesis: random, truncated and mutated real logs never raise, only yield findings."""
from __future__ import annotations

import glob
import os

from hypothesis import HealthCheck, given, settings, strategies as st

from pytest_dlready.checks import speedup as verdict
from conftest import judged
from pytest_dlready.parsers import logs
from pytest_dlready.workloads.cases import CASES_DIR, to_run_result
from pytest_dlready.workloads.protocol import RunResult

HERE = os.path.dirname(os.path.abspath(__file__))
REAL = [open(p, encoding="utf-8", errors="replace").read()
        for p in sorted(glob.glob(os.path.join(CASES_DIR, "*", "*.log")) + glob.glob(os.path.join(HERE, "data", "logs", "*", "*.log")))]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(result):
    assert result["kind"] == "training-log"
    assert isinstance(result["findings"], list)
    for e in result["epochs"]:
        assert e["seconds"] >= 0
    return result


@FAST
@given(st.text())
def test_random_text(text):
    check(judged(logs.parse(text)))
    assert 0.0 <= logs.detect(text) <= 1.0


@FAST
@given(st.sampled_from(REAL), st.integers(min_value=0, max_value=20000), st.integers(min_value=0, max_value=20000))
def test_truncated_real_logs(text, start, length):
    check(judged(logs.parse(text[start:start + length])))


@FAST
@given(st.sampled_from(REAL), st.lists(st.tuples(st.integers(0, 20000), st.sampled_from(
    ["\r", "\n", "\r\n", "\x1b[31m", "\x08", "━", "ETA: 3s", " - 12s", "Epoch 3/12\n", "(0:00:0", "nan", "é", "\x00"])),
    max_size=8))
def test_mutated_real_logs(text, edits):
    for pos, insert in edits:
        pos = pos % (len(text) + 1)
        text = text[:pos] + insert + text[pos:]
    parsed = check(judged(logs.parse(text, source="mutated.log")))
    run = to_run_result(parsed, "w", "b", "gpu")
    cpu = RunResult(workload="w", backend="b", device="cpu", epoch_seconds=[1.0, 1.0])
    for finding in verdict.judge(cpu, run):
        assert finding.status.value in ("pass", "fail", "warn")


@FAST
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=6),
       st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=6),
       st.one_of(st.none(), st.floats()), st.one_of(st.none(), st.floats()))
def test_verdict_on_arbitrary_numbers(cpu_epochs, gpu_epochs, wall, user):
    cpu = RunResult(workload="w", backend="b", device="cpu", epoch_seconds=cpu_epochs, wall_s=wall, cpu_user_s=user)
    gpu = RunResult(workload="w", backend="c", device="gpu", epoch_seconds=gpu_epochs, wall_s=wall, cpu_user_s=user)
    findings = verdict.judge(cpu, gpu, facts={"devices": {"gpus": [{"pcie": "junk", "multiprocessors": "2"}]}})
    assert len(findings) == 1
