"""The readiness table and the one verdict line, printed after pytest's own summary.

Pure rendering of the report document (``reports.document.build``): nothing here judges.
"""
from __future__ import annotations

import shutil
import textwrap
from typing import Any, List, Mapping, Sequence

from ..facts import lookup
from ..results import NO_VERDICT, READY, READY_WARN


def verdict_line(verdict: Mapping[str, Any], facts: Mapping[str, Any]) -> str:
    status = verdict["status"]
    reasons = [r.split("\n", 1)[0] for r in verdict.get("reasons", [])]
    context = []
    toolkit = lookup(facts, "cuda.toolkit_version")
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
