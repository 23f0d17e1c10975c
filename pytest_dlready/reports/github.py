"""GitHub Actions job summary: Markdown appended to ``$GITHUB_STEP_SUMMARY`` when set.

A gate job on a self-hosted GPU runner then shows, on the run's page, the verdict,
the failing and warning checks with their next step, per-host results and speedups,
without anyone opening logs. GitHub caps a step summary at 1 MiB, so long tables are
cut with a note; cell text is escaped (tool outputs contain ``|`` and ``<``).
"""
from __future__ import annotations

import os
import sys
from typing import Any, List, Mapping, Optional

from .terminal import clean

from . import as_dict, as_list
from .hosts import gpu_model, label as host_label
from .runs import below as below_minimum, format_seconds, format_speedup, pairs as run_pairs

ICON = {"pass": "✅", "warn": "⚠️", "fail": "❌", "skip": "⏭️"}
VERDICT_ICON = {"READY": "✅", "READY WITH WARNINGS": "⚠️", "NOT READY": "❌", "NO VERDICT": "❔"}
MAX_ROWS = 200          # per table; keeps the summary far below GitHub's 1 MiB
MAX_CELL = 300


def cell(value: Any) -> str:
    """Text safe inside a Markdown table cell: one line, pipes and angle brackets escaped."""
    text = " ".join(clean("" if value is None else value).split())
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - 1] + "…"
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def render(doc: Mapping[str, Any]) -> str:
    """The Markdown section for one report document."""
    doc = doc if isinstance(doc, Mapping) else {}
    verdict = as_dict(doc.get("verdict"))
    status = str(verdict.get("status", "NO VERDICT"))
    counts = as_dict(verdict.get("counts"))
    hosts = [h for h in as_list(doc.get("hosts")) if isinstance(h, dict)]
    out: List[str] = [
        f"## {VERDICT_ICON.get(status, '❔')} dlready: {cell(status)}",
        "",
        cell(verdict.get("line", "")),
        "",
        f"tier **{cell(doc.get('tier'))}** · {counts.get('pass', 0)} pass, {counts.get('warn', 0)} warn, "
        f"{counts.get('fail', 0)} fail, {counts.get('skip', 0)} skip · facts {cell(doc.get('facts_source'))}",
        "",
    ]
    if len(hosts) == 1:
        h = hosts[0]
        out += [f"host `{cell(h.get('hostname'))}` · GPUs {cell(gpu_model(h.get('gpus')))} · driver "
                f"{cell(h.get('driver_version') or 'not found')} · CUDA {cell(h.get('cuda_toolkit') or 'not found')}", ""]
    elif hosts:
        out += ["| host | verdict | GPUs | driver | CUDA | first reason |", "|---|---|---|---|---|---|"]
        for h in hosts[:MAX_ROWS]:
            hv = as_dict(h.get("verdict"))
            reasons = as_list(hv.get("reasons"))
            lost = " (lost)" if h.get("lost") else ""
            out.append(f"| {cell(host_label(h))} | {VERDICT_ICON.get(str(hv.get('status')), '❔')} {cell(hv.get('status'))}{lost} "
                       f"| {cell(gpu_model(h.get('gpus')))} | {cell(h.get('driver_version') or '–')} "
                       f"| {cell(h.get('cuda_toolkit') or '–')} | {cell(reasons[0] if reasons else '')} |")
        out.append("")
    rows = [r for r in as_list(doc.get("rows")) if isinstance(r, dict)]
    bad = [r for r in rows if r.get("status") in ("fail", "warn")]
    if bad:
        out += ["| | check | finding | next step |", "|---|---|---|---|"]
        for r in bad[:MAX_ROWS]:
            node = f" [{r['node']}]" if r.get("node") else ""
            out.append(f"| {ICON.get(str(r.get('status')), '')} | {cell(r.get('check'))}{cell(node)} "
                       f"| {cell(r.get('message'))} | {cell(r.get('fix'))} |")
        if len(bad) > MAX_ROWS:
            out.append(f"\n… {len(bad) - MAX_ROWS} more in the JSON/HTML report")
        out.append("")
    pairs = [p for p in run_pairs(as_list(doc.get("runs")), rows) if p.get("gpu")]
    if pairs:
        out += ["| workload [backend] | CPU epoch | GPU epoch | speedup |", "|---|---|---|---|"]
        for p in pairs[:MAX_ROWS]:
            node = f" [{p['node']}]" if p.get("node") else ""
            slow = " ❌" if below_minimum(p.get("speedup"), as_dict(doc.get("settings")).get("min_speedup")) else ""
            out.append(f"| {cell(p['label'])}{cell(node)} | {format_seconds((p.get('cpu') or {}).get('seconds'))} "
                       f"| {format_seconds((p.get('gpu') or {}).get('seconds'))} | {format_speedup(p.get('speedup'))}{slow} |")
        out.append("")
    if rows:
        out += [f"<details><summary>all {len(rows)} checks</summary>", "", "| status | check | finding |", "|---|---|---|"]
        for r in rows[:MAX_ROWS]:
            out.append(f"| {cell(str(r.get('status', '')).upper())} | {cell(r.get('check'))} | {cell(r.get('message'))} |")
        out += ["", "</details>", ""]
    return "\n".join(out) + "\n"


def write(doc: Mapping[str, Any], settings: Any) -> Optional[str]:
    """Append the summary to ``$GITHUB_STEP_SUMMARY`` when GitHub Actions set it."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return None
    try:
        with open(path, "a", encoding="utf-8") as fh:  # appended: other steps write there too
            fh.write(render(doc))
    except OSError as exc:  # a summary that cannot be written must not turn the gate into an internal error
        sys.stderr.write(f"dlready: cannot append the job summary to GITHUB_STEP_SUMMARY={path}: {exc}\n")
        return None
    return path
