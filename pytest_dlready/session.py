"""Run state of one ``pytest --dlready`` session: facts in, rows collected, report out.

Kept apart from ``plugin.py`` (hooks only) like pytest-benchmark's ``session.py``.
The facts are obtained once, on the controller: loaded from ``--dlready-facts`` or
probed; xdist workers receive them through ``workerinput`` so a worker never probes.
"""
from __future__ import annotations

import json
import os
import time
from typing import Any, Dict, List, Optional

import pytest

from . import facts as F
from .results import Finding, Status
from .settings import Settings

SUITE_ORDER = ("test_toolchain.py", "test_devices.py", "test_training.py", "test_replay.py")


def suite_files(settings: Settings) -> List[str]:
    """The bundled suite files this session runs, in table order."""
    from .plugin import SUITES_DIR

    names = [n for n in SUITE_ORDER if os.path.exists(os.path.join(SUITES_DIR, n))]
    if settings.replay:
        names = [n for n in names if n != "test_training.py"]
    else:
        names = [n for n in names if n != "test_replay.py"]
    return [os.path.join(SUITES_DIR, n) for n in names]


class DlreadySession:
    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.is_worker = hasattr(config, "workerinput")
        self.rows: List[Dict[str, Any]] = []
        self.runs: List[Dict[str, Any]] = []
        self.lost_workers: List[str] = []
        self.started = time.time()
        self.exitstatus: Optional[int] = None
        self._seen: set = set()

    # -- facts -------------------------------------------------------------------
    def start(self) -> None:
        from .plugin import FACTS_KEY

        if self.is_worker:
            raw = self.config.workerinput.get("dlready_facts")
            facts = json.loads(raw) if raw else None
        else:
            facts = None
        if facts is None:
            facts = self._obtain_facts()
        self.config.stash[FACTS_KEY] = facts

    def _obtain_facts(self) -> dict:
        if self.settings.facts_path:
            try:
                return F.load(self.settings.facts_path)
            except F.SnapshotError as exc:
                raise pytest.UsageError(f"--dlready-facts: {exc}") from None
        if self.settings.replay:
            from .replay import facts_for_case

            return facts_for_case(self.settings.replay, self.settings)
        from .probes.collect import collect

        return collect(self.settings)

    @property
    def facts(self) -> dict:
        from .plugin import FACTS_KEY

        return self.config.stash.get(FACTS_KEY, {})

    # -- rows --------------------------------------------------------------------
    def add_report(self, report: pytest.TestReport) -> None:
        """One row per finding a test recorded; a row for tests that skipped or broke without one."""
        findings = [Finding.from_dict(v) for k, v in report.user_properties if k == "dlready"]
        for key, value in report.user_properties:
            if key == "dlready_run" and report.when == "call":
                marker = json.dumps(value, sort_keys=True)
                if marker not in self._seen:
                    self._seen.add(marker)
                    self.runs.append(value)
        test = report.nodeid.split("::", 1)[-1]
        if report.when == "call" or (report.when == "setup" and not report.passed):
            if findings and report.when == "call":
                for f in findings:
                    self._add_row(f, report)
                if report.failed and not any(f.status is Status.FAIL for f in findings):
                    self._add_row(Finding(test, Status.FAIL, _short_longrepr(report), code="DLR-TEST-ERROR"), report)
            elif report.skipped:
                reason = _skip_reason(report)
                self._add_row(Finding(test, Status.SKIP, reason), report)
            elif report.failed:
                self._add_row(Finding(test, Status.FAIL, _short_longrepr(report), code="DLR-TEST-ERROR"), report)
            elif report.passed and report.when == "call" and not findings:
                self._add_row(Finding(test, Status.PASS, "passed"), report)
        elif report.when == "teardown" and report.failed:
            self._add_row(Finding(test, Status.FAIL, "teardown error: " + _short_longrepr(report), code="DLR-TEST-ERROR"), report)

    def _add_row(self, finding: Finding, report: pytest.TestReport) -> None:
        row = finding.to_dict()
        row["test"] = report.nodeid.split("::", 1)[-1]
        row["suite"] = os.path.basename(report.nodeid.split("::", 1)[0]).replace(".py", "")
        row["node"] = getattr(report, "node", None) and getattr(report.node, "gateway", None) and report.node.gateway.id or None
        key = json.dumps([row["test"], row["check"], row["code"], row["message"], row["node"]], sort_keys=True)
        if key in self._seen:
            return
        self._seen.add(key)
        self.rows.append(row)

    def worker_lost(self, node_id: str, error: Any) -> None:
        self.lost_workers.append(node_id)
        self.rows.append({
            "check": f"xdist worker {node_id}", "status": "fail", "code": "DLR-WORKER-LOST",
            "message": f"worker {node_id} went away mid-run: {error}", "fix": "look at the worker's host; rerun",
            "observed": {}, "test": "", "suite": "session", "node": node_id,
        })

    # -- output ------------------------------------------------------------------
    def finish(self, exitstatus: int) -> None:
        self.exitstatus = int(exitstatus)
        if self.is_worker:
            return
        from . import report

        if self.settings.save_facts:
            snapshot = dict(self.facts)
            if self.runs:
                snapshot["workloads"] = {"runs": self.runs}
            snapshot.setdefault("source", "probed")
            F.save(snapshot, self.settings.save_facts)
        doc = report.build(self)
        if self.settings.json_path:
            report.write_json(doc, self.settings.json_path)
        for writer in report.extra_writers():
            writer(doc, self.settings)

    def render_terminal(self, terminalreporter: Any) -> None:
        from . import report

        report.render(terminalreporter, report.build(self))


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
        return reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason
    return str(longrepr)


def _short_longrepr(report: pytest.TestReport) -> str:
    text = getattr(report, "longreprtext", "") or str(report.longrepr)
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if not lines:
        return "test failed"
    errors = [ln for ln in lines if ln.startswith("E ")]
    return (errors[-1][2:].strip() if errors else lines[-1])[:500]
