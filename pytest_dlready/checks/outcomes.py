"""Rows for tests that ended without a finding of their own: a test that broke, a lost xdist worker.

The session turns pytest's outcomes into rows; what such an outcome *means* is judged here,
with the codes it carries, like every other judgement.
"""
from __future__ import annotations

from ..catalogue import define, fix_for
from ..results import Finding, Status

TEST_ERROR = define("DLR-TEST-ERROR", "a readiness test broke instead of judging",
                    "read the quoted error; rerun with -x --tb=long to see where it broke")
WORKER_LOST = define("DLR-WORKER-LOST", "an xdist worker went away mid-run",
                     "look at the worker's host; rerun")


def test_error(check: str, text: str) -> Finding:
    """A test that failed or errored without recording a FAIL finding."""
    return Finding(check, Status.FAIL, text, code=TEST_ERROR)


def worker_lost(check: str, text: str) -> Finding:
    """The test that was running when its xdist worker died."""
    return Finding(check, Status.FAIL, text, code=WORKER_LOST)


def worker_down(node_id: str, error: object, spec: str = "") -> Finding:
    """A whole xdist worker that went away (its host may be down)."""
    where = f" ({spec})" if spec else ""
    return Finding(f"xdist worker {node_id}", Status.FAIL, f"worker {node_id}{where} went away mid-run: {error}",
                   code=WORKER_LOST, fix=fix_for(WORKER_LOST), observed={"spec": spec} if spec else {})
