"""Run state of one ``pytest --dlready`` session: facts in, rows collected, report out.

Kept apart from ``plugin.py`` (hooks only) like pytest-benchmark's ``session.py``.
The facts are obtained once, on the controller: loaded from ``--dlready-facts`` or
probed; ``-n N`` workers receive them through ``workerinput`` so they never probe.
Under ``--dist each`` or remote ``--tx`` each worker obtains its own host's facts and
sends a host summary back (see ``xdist_support``), so results stay per host.
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
    from .state import SUITES_DIR

    names = [n for n in SUITE_ORDER if os.path.exists(os.path.join(SUITES_DIR, n))]
    if settings.replay or _snapshot_has_runs(settings.facts_path):
        # a case, or a saved snapshot carrying workload runs: judge those runs, train nothing
        names = [n for n in names if n != "test_training.py"]
    else:
        names = [n for n in names if n != "test_replay.py"]
    return [os.path.join(SUITES_DIR, n) for n in names]


def _snapshot_has_runs(path: Optional[str]) -> bool:
    """Does the ``--dlready-facts`` snapshot carry ``workloads.runs`` (saved by a live session)?"""
    if not path:
        return False
    try:
        with open(path, encoding="utf-8") as fh:
            return bool(F.get(json.load(fh), "workloads.runs"))
    except (OSError, ValueError):
        return False  # _obtain_facts reports the unreadable file precisely


class DlreadySession:
    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.is_worker = hasattr(config, "workerinput")
        self.rows: List[Dict[str, Any]] = []
        self.runs: List[Dict[str, Any]] = []
        self.lost_workers: List[str] = []
        self.hosts: Dict[str, Dict[str, Any]] = {}  # xdist node id -> host summary its worker sent
        self.started = time.time()
        self.exitstatus: Optional[int] = None
        self._seen: set = set()
        self.per_host = False  # --dist each / remote --tx: workers report their own hosts

    # -- facts -------------------------------------------------------------------
    def start(self) -> None:
        from .state import FACTS_KEY

        from .xdist_support import per_host_mode

        if self.is_worker:
            raw = self.config.workerinput.get("dlready_facts")
            facts = json.loads(raw) if raw else None
        elif per_host_mode(self.config):
            self.per_host = True
            # --dist each / remote --tx: every worker probes its own host; the
            # controller's machine is not under test, so it probes nothing.
            facts = F.new_snapshot()
            facts["source"] = "per host (each xdist worker probed its own host)"
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
        from .state import FACTS_KEY

        return self.config.stash.get(FACTS_KEY, {})

    # -- rows --------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Each test report, local or from an xdist worker, becomes readiness rows."""
        self.add_report(report)

    def add_report(self, report: pytest.TestReport) -> None:
        """One row per finding a test recorded; a row for tests that skipped or broke without one."""
        findings = [Finding.from_dict(v) for k, v in report.user_properties if k == "dlready"]
        for key, value in report.user_properties:
            if key == "dlready_run" and report.when == "call":
                node = _node_of(report)
                if node and self.per_host and isinstance(value, dict):
                    value = dict(value, node=node)  # per-host runs are never pooled
                marker = json.dumps(value, sort_keys=True, default=str)
                if marker not in self._seen:
                    self._seen.add(marker)
                    self.runs.append(value)
            elif key == "dlready_host" and isinstance(value, dict) and _node_of(report):
                self.hosts.setdefault(str(_node_of(report)), {}).update(value)
        test = _row_name(report.nodeid.split("::", 1)[-1])
        if report.when not in ("setup", "call", "teardown") and report.failed:
            # xdist's report for the test that was running when its worker died
            self._add_row(Finding(test, Status.FAIL, _short_longrepr(report), code="DLR-WORKER-LOST"), report)
        elif report.when == "call" or (report.when == "setup" and not report.passed):
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
        row["suite"] = os.path.basename(str(report.location[0]) if report.location else report.nodeid.split("::", 1)[0]).replace(".py", "")
        row["node"] = _node_of(report)
        key = json.dumps([row["test"], row["check"], row["code"], row["message"], row["node"]], sort_keys=True)
        if key in self._seen:
            return
        self._seen.add(key)
        self.rows.append(row)

    def worker_lost(self, node_id: str, error: Any, spec: str = "") -> None:
        from .xdist_support import per_host_mode

        self.lost_workers.append(node_id)
        if per_host_mode(self.config):  # a lost host is still a host of the report
            self.hosts.setdefault(node_id, {})["spec"] = spec
        where = f" ({spec})" if spec else ""
        self.rows.append({
            "check": f"xdist worker {node_id}", "status": "fail", "code": "DLR-WORKER-LOST",
            "message": f"worker {node_id}{where} went away mid-run: {error}", "fix": "look at the worker's host; rerun",
            "observed": {"spec": spec} if spec else {}, "test": "", "suite": "session", "node": node_id,
        })

    def host_reported(self, node_id: str, summary: Dict[str, Any]) -> None:
        """Keep the host summary an xdist worker sent (first report, then session end)."""
        self.hosts.setdefault(node_id, {}).update(summary)

    # -- output ------------------------------------------------------------------
    def finish(self, exitstatus: int) -> None:
        self.exitstatus = int(exitstatus)
        if self.is_worker:
            from .reports.hosts import host_summary
            from .xdist_support import WORKEROUTPUT_KEY

            # Per-host worker (it obtained its own facts): xdist sends workeroutput after
            # this hook and the controller reads it per node. -n N workers share the
            # controller's facts, so they have no host of their own to report.
            if "dlready_facts" not in self.config.workerinput:
                self.config.workeroutput[WORKEROUTPUT_KEY] = host_summary(self.facts)
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


def _node_of(report: Any) -> Optional[str]:
    """The xdist node (gateway id) a report came from; None when run in-process."""
    gateway = getattr(getattr(report, "node", None), "gateway", None)
    return str(gateway.id) if gateway is not None else None


def _row_name(test: str) -> str:
    """A row for a test that recorded no finding: "macos energy settings" for test_macos_energy_settings."""
    name, bracket, params = test.partition("[")
    name = name[5:] if name.startswith("test_") else name
    return name.replace("_", " ") + bracket + params


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
