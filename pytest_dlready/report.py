"""The readiness report: one document built from the rows, rendered for people and machines.

``build`` makes the JSON-ready document (schema documented in README), ``render``
prints the table and the one verdict line after pytest's own summary, ``write_json``
writes it atomically. ``rollup`` is the only place that decides READY / NOT READY.
"""
from __future__ import annotations

import datetime as _dt
import json
import shutil
import textwrap
from typing import Any, Callable, Dict, List, Mapping, Sequence

from . import __version__
from . import facts as F
from . import markers as M
from .results import Status

REPORT_SCHEMA = "pytest-dlready/report"
REPORT_SCHEMA_VERSION = 1

READY = "READY"
READY_WARN = "READY WITH WARNINGS"
NOT_READY = "NOT READY"
NO_VERDICT = "NO VERDICT"

def rollup(rows: Sequence[Mapping[str, Any]], exitstatus: int | None = None) -> Dict[str, Any]:
    """Verdict from rows: any FAIL -> NOT READY; any WARN -> READY WITH WARNINGS; only skips -> NO VERDICT."""
    counts = {s.value: 0 for s in Status}
    for row in rows:
        counts[row.get("status", "skip")] = counts.get(row.get("status", "skip"), 0) + 1
    fails = [r for r in rows if r.get("status") == "fail"]
    warns = [r for r in rows if r.get("status") == "warn"]
    if exitstatus not in (None, 0, 1) and not fails:
        status, reasons = NO_VERDICT, [f"pytest ended with exit status {exitstatus} before the checks finished"]
    elif fails:
        status, reasons = NOT_READY, [headline(r) for r in fails]
    elif warns:
        status, reasons = READY_WARN, [headline(r) for r in warns]
    elif counts["pass"]:
        status, reasons = READY, []
    else:
        status, reasons = NO_VERDICT, ["every check was skipped"]
    driver_missing = any(r.get("code") == "DLR-DRIVER-MISSING" for r in fails)
    return {"status": status, "reasons": reasons, "counts": counts, "driver_missing": driver_missing}


def headline(row: Mapping[str, Any]) -> str:
    """A short reason for the verdict line: the message's first clause, or the code's title."""
    from .catalogue import title_for

    first = str(row.get("message", "")).split("\n", 1)[0].replace(M.REQUIRE_GPU_SUFFIX, "").split("; ", 1)[0].strip()
    if len(first) <= 90:
        return first
    return title_for(str(row.get("code", ""))) or first[:87] + "..."


def verdict_line(verdict: Mapping[str, Any], facts: Mapping[str, Any]) -> str:
    status = verdict["status"]
    reasons = [r.split("\n", 1)[0] for r in verdict.get("reasons", [])]
    context = []
    toolkit = F.get(facts, "cuda.toolkit_version")
    if toolkit and verdict.get("driver_missing"):
        context.append(f"CUDA toolkit {toolkit} present")
    unique: List[str] = []
    for r in reasons:
        if r not in unique:
            unique.append(r)
    shown = unique[:2] + context
    extra = len(unique) - 2
    text = "; ".join(shown)
    if extra > 0:
        text += f" (+{extra} more)"
    return f"dlready: {status}" + (f" — {text}" if text else "")


def build(session: Any) -> Dict[str, Any]:
    facts = session.facts
    # suite order reads best; with several hosts each host's rows stay together (the sort is stable)
    rows = sorted(session.rows, key=lambda r: r.get("node") or "")
    settings = session.settings
    from .reports.hosts import host_entries, host_summary

    hosts = host_entries(rows, host_summary(facts), getattr(session, "hosts", {}),
                         list(session.lost_workers), session.exitstatus)
    if len(hosts) > 1:  # several hosts: every reason names its node, nothing is pooled
        verdict = rollup([dict(r, message=f"[{r['node']}] {r['message']}") if r.get("node") else r
                          for r in rows], session.exitstatus)
    else:
        verdict = rollup(rows, session.exitstatus)
    return {
        "schema": REPORT_SCHEMA,
        "schema_version": REPORT_SCHEMA_VERSION,
        "dlready_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "tier": settings.tier,
        "settings": {
            "require_gpu": settings.require_gpu,
            "min_gpus": settings.min_gpus,
            "gpu_vendor": settings.gpu_vendor,
            "min_compute": ".".join(map(str, settings.min_compute)) if settings.min_compute else None,
            "min_speedup": settings.min_speedup,
            "min_bandwidth_gbps": settings.min_bandwidth_gbps,
            "replay": settings.replay,
        },
        "host": dict(F.get(facts, "host", {}) or {}),
        "gpus": list(F.get(facts, "devices.gpus", []) or []),
        "facts_source": facts.get("source", ""),
        "verdict": dict(verdict, line=verdict_line(verdict, facts)),
        "exitstatus": session.exitstatus,
        "lost_workers": list(session.lost_workers),
        "hosts": hosts,
        "rows": rows,
        "runs": list(session.runs),
    }


def write_json(doc: Mapping[str, Any], path: str) -> None:
    F.atomic_write_text(path, json.dumps(doc, indent=2, default=str) + "\n")


def extra_writers() -> List[Callable[..., None]]:
    """HTML (when --dlready-html is set) and the GitHub step summary (when GITHUB_STEP_SUMMARY is)."""
    from .reports import github, html

    return [html.write, github.write]


def table_lines(rows: Sequence[Mapping[str, Any]], width: int) -> List[str]:
    """Fixed-width table: check · status · detail · fix; long text wraps under its column."""
    if not rows:
        return ["(no readiness checks ran)"]
    check_w = min(max(len(str(r.get("check", ""))) for r in rows), max(26, width // 3))
    status_w = 4
    rest = max(width - check_w - status_w - 6, 30)
    pad = " " * (check_w + status_w + 4)
    lines = []
    for row in rows:
        check = str(row.get("check", ""))[:check_w]
        status = str(row.get("status", "skip")).upper()
        body: List[str] = []
        # a message's own lines (a verdict and its measured causes) stay separate paragraphs
        for i, part in enumerate(str(row.get("message", "")).split("\n")):
            text = " ".join(part.split())
            if i == 0 and row.get("node"):
                text = f"[{row['node']}] {text}"
            if text:
                body += textwrap.wrap(text, rest, subsequent_indent="  " if i else "")
        fix = " ".join(str(row.get("fix", "")).split())
        if fix and status in ("FAIL", "WARN", "SKIP"):
            body += textwrap.wrap("fix: " + fix, rest)
        body = body or [""]
        lines.append(f"{check:<{check_w}}  {status:<{status_w}}  {body[0]}")
        lines.extend(pad + b for b in body[1:])
    return lines


def render(terminalreporter: Any, doc: Mapping[str, Any]) -> None:
    width = getattr(terminalreporter, "_tw", None)
    width = width.fullwidth if width is not None else shutil.get_terminal_size().columns
    terminalreporter.write_sep("=", "dlready readiness")
    verbose = terminalreporter.config.getoption("verbose", 0) or 0
    rows = doc["rows"]
    if verbose < 0:
        rows = [r for r in rows if r.get("status") in ("fail", "warn")]
    for line in table_lines(rows, width):
        terminalreporter.write_line(line)
    counts = doc["verdict"]["counts"]
    terminalreporter.write_line(
        f"checks: {counts.get('pass', 0)} pass, {counts.get('warn', 0)} warn, "
        f"{counts.get('fail', 0)} fail, {counts.get('skip', 0)} skip · tier {doc['tier']} · facts {doc['facts_source']}"
    )
    status = doc["verdict"]["status"]
    markup = {"green": True} if status == READY else {"yellow": True} if status in (READY_WARN, NO_VERDICT) else {"red": True}
    terminalreporter.write_line(doc["verdict"]["line"], bold=True, **markup)
