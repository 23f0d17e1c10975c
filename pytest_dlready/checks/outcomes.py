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


NOT_RECORDED = define("DLR-NOT-RECORDED", "a fact this check needs is not in the snapshot",
                      "judge a snapshot saved by pytest --dlready --dlready-save-facts on that machine, "
                      "or add the missing facts to the case")


def not_recorded(check: str, facts: object, *keys: str) -> "Finding | None":
    """Unknown is not missing: a SKIP when none of ``keys`` was recorded in the snapshot; None when one was."""
    from ..facts import lookup

    if any(lookup(facts, key) is not None for key in keys):
        return None
    return Finding(check, Status.SKIP, f"not recorded in this snapshot (no {' / '.join(keys)} facts)",
                   code=NOT_RECORDED, fix=fix_for(NOT_RECORDED), observed={"missing": list(keys)})


def driver_evidence(facts: object) -> "Finding | None":
    """A recorded GPU run that reached a CUDA device shows a driver worked there, where the driver was not probed."""
    from ..facts import lookup

    for run in lookup(facts, "workloads.runs") or []:
        if isinstance(run, dict) and run.get("device") == "gpu" and str(run.get("device_used") or "").startswith("cuda"):
            name = run.get("device_name") or run.get("device_used")
            return Finding("NVIDIA driver", Status.PASS,
                           f"not probed, but the recorded {run.get('backend')} GPU run used {run.get('device_used')} "
                           f"({name}): a working driver on that machine", observed={"evidence": "recorded run"})
    return None
