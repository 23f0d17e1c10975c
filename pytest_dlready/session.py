"""Run state of one ``pytest --dlready`` session: facts in, rows collected, report out.

Kept apart from ``plugin.py`` (hooks only) like pytest-benchmark's ``session.py``.
The facts are obtained once, on the controller: loaded from ``--dlready-facts`` or
probed; ``-n N`` workers receive them through ``workerinput`` so they never probe.
Under ``--dist each`` or remote ``--tx`` each worker obtains its own host's facts and
sends a host summary back, so results stay per host.

The xdist hooks (``XdistHooks``) are registered only when pytest-xdist is loaded, as its
docs advise:

* ``-n N`` (local ``popen`` workers, load-balanced): every worker is on the
  controller's machine, so the controller probes once and ships its snapshot in
  ``workerinput``; no worker probes.
* ``--dist each`` or any remote gateway (``--tx ssh=gpu1//python=python3``): every
  worker may be on another host, so the controller ships nothing and each worker
  obtains its own facts (probes its host, or loads ``--dlready-facts`` as resolved on
  that host). At session end the worker puts a builtins-only summary of its host in
  ``config.workeroutput["dlready"]``; the controller reads ``node.workeroutput`` in
  ``pytest_testnodedown`` and keeps it per node, so results stay per host.

A worker that dies is recorded as a lost worker rather than silently losing its rows.
"""
from __future__ import annotations

import json
import os
import time
from typing import Any, Dict, Iterable, List, Optional

import pytest

from .facts import lookup, new_snapshot, save as save_snapshot
from .checks import outcomes
from .results import REPORT_WRITE_FAILED, Finding, Status
from .settings import Settings
from .state import FACTS_KEY, PROP_FINDING, PROP_HOST, PROP_ORDER, PROP_RUN, SESSION_KEY, SUITES_DIR, obtain_facts

SUITE_ORDER = ("test_toolchain.py", "test_devices.py", "test_training.py", "test_replay.py")


def suite_files(settings: Settings, facts: Dict[str, Any]) -> List[str]:
    """The bundled suite files this session runs, in table order."""
    names = [n for n in SUITE_ORDER if os.path.exists(os.path.join(SUITES_DIR, n))]
    if settings.replay or settings.facts_path or lookup(facts, "workloads.runs"):
        # a case, or a saved snapshot: it is judged as itself -- its recorded runs are replayed,
        # nothing trains here (a live run on this machine would mix two machines in one table)
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
        self.hosts: Dict[str, Dict[str, Any]] = {}  # xdist node id -> host summary its worker sent
        self.started = time.time()
        self.exitstatus: Optional[int] = None
        self.write_failures: List[str] = []
        self._orders: List[Optional[int]] = []   # collection index of each row's test (None: session rows)
        self._seen: set = set()
        self.per_host = False  # --dist each / remote --tx: workers report their own hosts

    # -- facts -------------------------------------------------------------------
    def start(self) -> None:
        if self.is_worker:
            raw = self.config.workerinput.get("dlready_facts")
            facts = json.loads(raw) if raw else None
        elif per_host_mode(self.config):
            self.per_host = True
            # --dist each / remote --tx: every worker probes its own host; the
            # controller's machine is not under test, so it probes nothing.
            facts = new_snapshot()
            facts["source"] = "per host (each xdist worker probed its own host)"
        else:
            facts = None
        if facts is None:
            facts = obtain_facts(self.settings)
        self.config.stash[FACTS_KEY] = facts

    @property
    def facts(self) -> dict:
        return self.config.stash.get(FACTS_KEY, {})

    # -- rows --------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Each test report, local or from an xdist worker, becomes readiness rows."""
        self.add_report(report)

    def add_report(self, report: pytest.TestReport) -> None:
        """One row per finding a test recorded; a row for tests that skipped or broke without one."""
        findings = [Finding.from_dict(v) for k, v in report.user_properties if k == PROP_FINDING]
        for key, value in report.user_properties:
            if key == PROP_RUN and report.when == "call":
                node = _node_of(report)
                if node and self.per_host and isinstance(value, dict):
                    value = dict(value, node=node)  # per-host runs are never pooled
                marker = json.dumps(value, sort_keys=True, default=str)
                if marker not in self._seen:
                    self._seen.add(marker)
                    self.runs.append(value)
            elif key == PROP_HOST and isinstance(value, dict) and _node_of(report):
                self.hosts.setdefault(str(_node_of(report)), {}).update(value)
        test = _row_name(report.nodeid.split("::", 1)[-1])
        if report.when not in ("setup", "call", "teardown") and report.failed:
            # xdist's report for the test that was running when its worker died
            self._add_row(outcomes.worker_lost(test, _short_longrepr(report)), report)
        elif report.when == "call" or (report.when == "setup" and not report.passed):
            if findings and report.when == "call":
                for f in findings:
                    self._add_row(f, report)
                if report.failed and not any(f.status is Status.FAIL for f in findings):
                    self._add_row(outcomes.test_error(test, _short_longrepr(report)), report)
            elif report.skipped:
                reason = _skip_reason(report)
                self._add_row(Finding(test, Status.SKIP, reason), report)
            elif report.failed:
                self._add_row(outcomes.test_error(test, _short_longrepr(report)), report)
            elif report.passed and report.when == "call" and not findings:
                self._add_row(Finding(test, Status.PASS, "passed"), report)
        elif report.when == "teardown" and report.failed:
            self._add_row(outcomes.test_error(test, "teardown error: " + _short_longrepr(report)), report)

    def _add_row(self, finding: Finding, report: pytest.TestReport) -> None:
        row = finding.to_dict()
        row["test"] = report.nodeid.split("::", 1)[-1]
        row["suite"] = os.path.basename(str(report.location[0]) if report.location else report.nodeid.split("::", 1)[0]).replace(".py", "")
        # a worker of a one-host -n N run is not a host: its rows read as without -n
        row["node"] = _node_of(report) if self.per_host else None
        key = json.dumps([row["test"], row["check"], row["code"], row["message"], row["node"]], sort_keys=True)
        if key in self._seen:
            return
        self._seen.add(key)
        order = next((v for k, v in report.user_properties if k == PROP_ORDER and isinstance(v, int)), None)
        position = len(self.rows)
        if order is not None:  # after every row of an earlier-collected test, before any later one
            while position > 0 and self._orders[position - 1] is not None and self._orders[position - 1] > order:
                position -= 1
        self.rows.insert(position, row)
        self._orders.insert(position, order)

    def worker_lost(self, node_id: str, error: Any, spec: str = "") -> None:
        self.lost_workers.append(node_id)
        if per_host_mode(self.config):  # a lost host is still a host of the report
            self.hosts.setdefault(node_id, {})["spec"] = spec
        row = outcomes.worker_down(node_id, error, spec).to_dict()
        row.update(test="", suite="session", node=node_id)
        self.rows.append(row)
        self._orders.append(None)

    def host_reported(self, node_id: str, summary: Dict[str, Any]) -> None:
        """Keep the host summary an xdist worker sent (first report, then session end)."""
        self.hosts.setdefault(node_id, {}).update(summary)

    # -- output ------------------------------------------------------------------
    def finish(self, exitstatus: int) -> None:
        self.exitstatus = int(exitstatus)
        if self.is_worker:
            from .reports.hosts import host_summary

            # Per-host worker (it obtained its own facts): xdist sends workeroutput after
            # this hook and the controller reads it per node. -n N workers share the
            # controller's facts, so they have no host of their own to report.
            if "dlready_facts" not in self.config.workerinput:
                self.config.workeroutput[WORKEROUTPUT_KEY] = host_summary(self.facts)
            return
        from .reports import document

        # every output is tried, whatever happens to the others; a failure is named at the end
        # (render_terminal) and the session exits REPORT_WRITE_FAILED, never with a traceback
        if self.settings.save_facts:
            snapshot = dict(self.facts)
            if self.runs:
                snapshot["workloads"] = {"runs": self.runs}
            snapshot.setdefault("source", "probed")
            self._write("--dlready-save-facts", self.settings.save_facts, lambda: save_snapshot(snapshot, self.settings.save_facts))
        doc = document.build(self)
        if self.settings.json_path:
            self._write("--dlready-json", self.settings.json_path, lambda: document.write_json(doc, self.settings.json_path))
        for writer in document.extra_writers():
            self._write(getattr(writer, "__module__", "report").rsplit(".", 1)[-1], "", lambda w=writer: w(doc, self.settings))

    def _write(self, option: str, path: str, write: Any) -> None:
        try:
            write()
        except (OSError, ValueError, TypeError) as exc:
            where = f"{option}={path}" if path else option
            self.write_failures.append(f"could not write {where}: {getattr(exc, 'strerror', None) or exc}")

    def render_terminal(self, terminalreporter: Any) -> None:
        from .reports import document, terminal

        terminal.render(terminalreporter, document.build(self))
        for line in self.write_failures:
            terminalreporter.write_line(f"dlready: {terminal.clean(line)} (exit status {REPORT_WRITE_FAILED})", red=True)


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


# -- pytest-xdist ------------------------------------------------------------------
#: key of the worker's host summary in ``config.workeroutput`` / ``node.workeroutput``
WORKEROUTPUT_KEY = "dlready"

#: execnet gateway types that run on another machine
REMOTE_GATEWAYS = ("ssh=", "socket=", "vagrant_ssh=")


def is_per_host(dist: Any, tx_specs: Iterable[str] | None) -> bool:
    """True when each worker must probe its own host: ``--dist each`` or any remote ``--tx``."""
    if str(dist or "no") == "each":
        return True
    return any(any(kind in str(spec) for kind in REMOTE_GATEWAYS) for spec in (tx_specs or ()))


def per_host_mode(config: pytest.Config) -> bool:
    """Whether this session distributes to (possibly) different hosts; False without xdist."""
    if not config.pluginmanager.hasplugin("xdist"):
        return False
    return is_per_host(config.getoption("dist", "no"), config.getoption("tx", None))


def node_id(node: Any) -> str:
    return str(getattr(getattr(node, "gateway", None), "id", "?"))


def node_spec(node: Any) -> str:
    """The gateway spec as given (``ssh=gpu1//python=python3``), for the report."""
    spec = getattr(getattr(node, "gateway", None), "spec", None)
    text = str(getattr(spec, "_spec", "") or spec or "")
    # xdist prepends its own execmodel=...; it says nothing about the host
    return "//".join(p for p in text.split("//") if not p.startswith("execmodel="))


class XdistHooks:
    def __init__(self) -> None:
        self._host_sent = False

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: Any) -> Any:
        """Per-host worker: attach this host's summary to its first report.

        ``workeroutput`` only arrives when a worker ends cleanly; a host that dies
        mid-run would otherwise leave its rows without a hostname or GPU inventory.
        """
        outcome = yield
        config = item.config
        if self._host_sent or not hasattr(config, "workerinput") or "dlready_facts" in config.workerinput:
            return
        from .reports.hosts import host_summary

        if config.stash.get(SESSION_KEY, None) is None:
            return
        self._host_sent = True
        report = outcome.get_result()
        summary = host_summary(config.stash.get(FACTS_KEY, {}))
        report.user_properties = list(report.user_properties) + [(PROP_HOST, summary)]

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Send the controller's facts to a starting local worker; per-host workers probe."""
        if per_host_mode(node.config):
            return
        facts = node.config.stash.get(FACTS_KEY, None)
        if facts is not None:
            node.workerinput["dlready_facts"] = json.dumps(facts, default=str)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """Keep the worker's host summary; a worker that went down with an error is reported."""
        dl = node.config.stash.get(SESSION_KEY, None)
        if dl is None:
            return
        output = getattr(node, "workeroutput", None) or {}
        summary = output.get(WORKEROUTPUT_KEY) if isinstance(output, dict) else None
        if isinstance(summary, dict):
            dl.host_reported(node_id(node), dict(summary, spec=node_spec(node)))
        if error:
            dl.worker_lost(node_id(node), error, spec=node_spec(node))
