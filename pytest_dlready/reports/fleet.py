"""Merge many readiness reports into one fleet view: ``python -m pytest_dlready merge``.

Each node of a cluster (a Slurm array task, a Kubernetes pod, a CI runner) writes its
own ``--dlready-json`` report; this command reads them all and prints, one row per
host, worst first: verdict, GPU model, driver, the worst check and the speedup per
backend. Like DCGM's diagnostic, which fails a GPU whose GFLOPS fall a tolerance below
the *mean of the GPUs*, a host whose speedup or bandwidth falls more than
``--outlier-pct`` below the fleet *median* (robust to the outlier itself) is flagged.
Hosts are never averaged together. Output by ``-o`` extension: ``.html``, ``.json``,
``.md``; a text table always goes to stdout.

Exit status: 0 every host ready, 1 some host not ready (or without verdict),
2 bad input (a file that is not a pytest-dlready report, named) or usage.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import html
import json
import os
import statistics
import sys
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ..results import NO_VERDICT, NOT_READY, READY, READY_WARN
from . import as_dict, as_list
from .hosts import gpu_model, host_summary, label as host_label
from .runs import format_speedup, speedups
from .document import REPORT_SCHEMA

FLEET_SCHEMA = "pytest-dlready/fleet"
SUPPORTED_VERSION = 1
STATUS_RANK = {NOT_READY: 0, NO_VERDICT: 1, READY_WARN: 2, READY: 3}
ROW_RANK = {"fail": 0, "warn": 1, "skip": 2, "pass": 3}
MIN_PEERS = 3  # a median of fewer hosts says nothing about "the fleet"


class MergeError(Exception):
    """An input that cannot be merged; the message names the file and what is wrong."""


def load_report(path: str) -> Dict[str, Any]:
    """Read one report, or raise ``MergeError`` naming ``path`` (truncated, foreign, too new)."""
    from ..facts import read_json

    doc = read_json(path, "pytest-dlready report", MergeError,
                    hint="not a pytest-dlready report, or truncated (was the run that wrote it killed?)")
    if not isinstance(doc, dict):
        raise MergeError(f"{path}: not a pytest-dlready report (top level is {type(doc).__name__}, expected an object)")
    if doc.get("schema") != REPORT_SCHEMA:
        hint = " (a facts snapshot: merge the --dlready-json reports instead)" if doc.get("schema") == "pytest-dlready/facts" else ""
        raise MergeError(f"{path}: not a pytest-dlready report (schema is {doc.get('schema')!r}, "
                         f"expected {REPORT_SCHEMA!r}){hint}; write one with `pytest --dlready --dlready-json=PATH`")
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise MergeError(f"{path}: schema_version is {version!r}, expected an integer >= 1")
    if version > SUPPORTED_VERSION:
        raise MergeError(f"{path}: report schema_version {version} is newer than this pytest-dlready reads "
                         f"({SUPPORTED_VERSION}); upgrade with `pip install -U pytest-dlready`")
    for key, kind in (("verdict", dict), ("rows", list)):
        if not isinstance(doc.get(key), kind):
            raise MergeError(f"{path}: report has no {key} {kind.__name__}; is it complete?")
    return doc


def _hosts_of(doc: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """Host entries of a report; a report without ``hosts`` is its top-level host."""
    entries = [dict(h) for h in as_list(doc.get("hosts")) if isinstance(h, dict)]
    if entries:
        return entries
    entry = host_summary({"host": as_dict(doc.get("host")), "source": doc.get("facts_source", "")})
    entry.update(gpus=as_list(doc.get("gpus")), node="", spec="", lost=False, verdict=as_dict(doc.get("verdict")))
    return [entry]


def _worst(rows: Sequence[Mapping[str, Any]]) -> Optional[Dict[str, str]]:
    ranked = [r for r in rows if isinstance(r, dict) and r.get("status") in ("fail", "warn")]
    if not ranked:
        return None
    row = min(ranked, key=lambda r: ROW_RANK.get(str(r.get("status")), 9))  # min is stable: first of the worst
    return {k: str(row.get(k) or "") for k in ("status", "check", "message", "code")}


def fleet_rows(reports: Iterable[Tuple[str, Mapping[str, Any]]]) -> List[Dict[str, Any]]:
    """One row per host across all reports (an xdist ``--dist each`` report gives several)."""
    out = []
    for path, doc in reports:
        all_rows = [r for r in as_list(doc.get("rows")) if isinstance(r, dict)]
        runs = as_list(doc.get("runs"))
        hosts = _hosts_of(doc)
        for host in hosts:
            node = str(host.get("node") or "")
            rows = [r for r in all_rows if (r.get("node") or "") == node] if len(hosts) > 1 or node else all_rows
            verdict = as_dict(host.get("verdict"))
            gpus = as_list(host.get("gpus"))
            out.append({
                "host": host_label(host),
                "hostname": str(host.get("hostname") or ""),
                "node": node,
                "report": path,
                "status": str(verdict.get("status") or "NO VERDICT"),
                "lost": bool(host.get("lost")),
                "gpu_model": gpu_model(gpus),
                "gpu_count": len(gpus),
                "driver": str(host.get("driver_version") or ""),
                "cuda_toolkit": str(host.get("cuda_toolkit") or ""),
                "tier": str(doc.get("tier") or ""),
                "created": str(doc.get("created") or ""),
                "counts": as_dict(verdict.get("counts")),
                "worst": _worst(rows),
                "speedups": speedups(runs, node=node or None, rows=all_rows),
                "bandwidth_gbps": {k: v for k, v in as_dict(host.get("bandwidth_gbps")).items()
                                   if isinstance(v, (int, float)) and not isinstance(v, bool)},
                "outliers": [],
            })
    return out


def flag_outliers(rows: List[Dict[str, Any]], pct: float) -> List[Dict[str, Any]]:
    """Flag hosts more than ``pct`` % below the fleet median of a metric (speedup, bandwidth).

    Only hosts with the same GPU model are compared (an RTX 4090 is not an outlier among
    H100s); a metric needs at least ``MIN_PEERS`` such hosts to have a median at all.
    """
    metrics: Dict[tuple, List[tuple]] = {}
    for row in rows:
        for label, value in row["speedups"].items():
            if isinstance(value, (int, float)) and value > 0:
                metrics.setdefault((row["gpu_model"], "speedup", label), []).append((row, float(value)))
        for label, value in row["bandwidth_gbps"].items():
            if value > 0:
                metrics.setdefault((row["gpu_model"], "bandwidth", label), []).append((row, float(value)))
    for (model, kind, label), members in metrics.items():
        if len(members) < MIN_PEERS:
            continue
        median = statistics.median(v for _, v in members)
        for row, value in members:
            below = (median - value) / median * 100 if median else 0.0
            if below > pct:
                unit = "×" if kind == "speedup" else " GB/s"
                what = f"speedup {label}" if kind == "speedup" else f"bandwidth {label}"
                row["outliers"].append({
                    "metric": what, "value": round(value, 3), "median": round(median, 3),
                    "below_pct": round(below, 1), "peers": len(members),
                    "message": f"{what} {value:.3g}{unit} is {below:.0f} % below the median {median:.3g}{unit} "
                               f"of {len(members)} hosts with {model}",
                })
    return rows


def sort_worst_first(rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    def key(row: Dict[str, Any]) -> tuple:
        speeds = [v for v in row["speedups"].values() if isinstance(v, (int, float))]
        rank = STATUS_RANK.get(row["status"], 1)
        if row["outliers"]:  # a host far below its peers is at least as worrying as a warning
            rank = min(rank, STATUS_RANK["READY WITH WARNINGS"])
        return (rank, not row["lost"], not row["outliers"],
                min(speeds) if speeds else float("inf"), row["host"], row["report"])
    return sorted(rows, key=key)


def merge(paths: Sequence[str], outlier_pct: float = 20.0) -> Dict[str, Any]:
    """Load, flag and sort: the fleet document (JSON-ready)."""
    reports = [(path, load_report(path)) for path in paths]
    rows = sort_worst_first(flag_outliers(fleet_rows(reports), outlier_pct))
    counts: Dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    ready = all(r["status"] in ("READY", "READY WITH WARNINGS") for r in rows) and bool(rows)
    return {
        "schema": FLEET_SCHEMA,
        "schema_version": 1,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "reports": len(reports),
        "hosts": len(rows),
        "outlier_pct": outlier_pct,
        "counts": counts,
        "outliers": sum(1 for r in rows if r["outliers"]),
        "ready": ready,
        "rows": rows,
    }


# -- rendering ----------------------------------------------------------------------

def _speedup_text(row: Mapping[str, Any], limit: int = 3) -> str:
    items = [f"{format_speedup(v)} {label}" for label, v in row["speedups"].items()]  # number first: survives clipping
    return ", ".join(items[:limit]) + (f" (+{len(items) - limit})" if len(items) > limit else "") or "–"


def _worst_text(row: Mapping[str, Any]) -> str:
    worst = row.get("worst")
    if row.get("lost"):
        return "host lost mid-run"
    return f"{worst['status'].upper()} {worst['check']}: {worst['message']}" if worst else "–"


def render_text(fleet: Mapping[str, Any], width: int = 200) -> str:
    head = f"{'host':<28} {'verdict':<20} {'GPU':<26} {'driver':<10} {'speedup':<30} worst check"
    lines = [head, "-" * min(width, len(head) + 20)]
    for row in fleet["rows"]:
        flag = " !" if row["outliers"] else ""
        line = (f"{row['host'][:28]:<28} {(row['status'] + flag)[:20]:<20} {row['gpu_model'][:26]:<26} "
                f"{(row['driver'] or '–')[:10]:<10} {_speedup_text(row, 2)[:30]:<30} {_worst_text(row)[:80]}")
        lines.append(line[:width])
        for o in row["outliers"]:
            lines.append(f"{'':<28} ! {o['message']}"[:width])
    counts = ", ".join(f"{n} {s}" for s, n in sorted(fleet["counts"].items(), key=lambda kv: STATUS_RANK.get(kv[0], 1)))
    lines.append(f"fleet: {fleet['hosts']} hosts from {fleet['reports']} reports · {counts or 'empty'} · "
                 f"{fleet['outliers']} outliers (> {fleet['outlier_pct']:g} % below the median of their GPU model)")
    return "\n".join(lines) + "\n"


def _md(value: Any) -> str:
    from .github import cell

    return cell(value)


def render_markdown(fleet: Mapping[str, Any]) -> str:
    out = [f"## dlready fleet: {fleet['hosts']} hosts, {'all ready' if fleet['ready'] else 'NOT all ready'}", "",
           "| host | verdict | GPU | driver | CUDA | speedup per backend | worst check | outlier |",
           "|---|---|---|---|---|---|---|---|"]
    for row in fleet["rows"]:
        out.append(f"| {_md(row['host'])} | {_md(row['status'])}{' (lost)' if row['lost'] else ''} | {_md(row['gpu_model'])} "
                   f"| {_md(row['driver'] or '–')} | {_md(row['cuda_toolkit'] or '–')} | {_md(_speedup_text(row, 9))} "
                   f"| {_md(_worst_text(row))} | {_md('; '.join(o['message'] for o in row['outliers']))} |")
    return "\n".join(out) + "\n"


FLEET_CSS = """body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1d2329;margin:0;background:#f6f7f9}
main{max-width:1400px;margin:0 auto;padding:20px 24px 40px} h1{font-size:22px;margin:0 0 6px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d8dde3}
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid #e6e9ed} th{background:#eef1f4;white-space:nowrap}
.badge{display:inline-block;border-radius:3px;padding:0 6px;font-size:12px;font-weight:700;color:#fff;white-space:nowrap}
.b0{background:#b42318}.b1{background:#5d6b78}.b2{background:#9a6700}.b3{background:#1e7d3a}
tr.out td{background:#fdf8ec} .o{color:#9a3412;font-weight:600} .note{color:#5d6b78} td.w{overflow-wrap:anywhere} td.h{white-space:nowrap}"""


def render_html(fleet: Mapping[str, Any]) -> str:
    e = lambda v: html.escape("" if v is None else str(v), quote=True)  # noqa: E731
    rows = []
    for row in fleet["rows"]:
        rank = STATUS_RANK.get(row["status"], 1)
        outl = "<br>".join(f'<span class=o>▼ {e(o["message"])}</span>' for o in row["outliers"])
        speeds = "<br>".join(f"{e(k)} <b>{e(format_speedup(v))}</b>" for k, v in row["speedups"].items()) or "–"
        rows.append(
            f'<tr class="{"out" if row["outliers"] else ""}"><td class=h>{e(row["host"])}<br><span class=note>{e(row["report"])}</span></td>'
            f'<td><span class="badge b{rank}">{e(row["status"])}</span>{" <b>lost</b>" if row["lost"] else ""}</td>'
            f'<td>{e(row["gpu_model"])}</td><td>{e(row["driver"] or "–")}</td><td>{e(row["cuda_toolkit"] or "–")}</td>'
            f'<td>{speeds}</td><td class=w>{e(_worst_text(row))}</td><td class=w>{outl}</td></tr>')
    counts = ", ".join(f"{n} {s}" for s, n in sorted(fleet["counts"].items(), key=lambda kv: STATUS_RANK.get(kv[0], 1)))
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>dlready fleet: {fleet['hosts']} hosts</title><style>{FLEET_CSS}</style></head><body><main>",
        f"<h1>dlready fleet — {fleet['hosts']} hosts, {'all ready' if fleet['ready'] else 'not all ready'}</h1>",
        f"<p class=note>{e(counts)} · {fleet['outliers']} outliers (more than {fleet['outlier_pct']:g} % below the median of "
        f"hosts with the same GPU model, at least {MIN_PEERS} of them) · worst first · merged {e(fleet['created'])}</p>",
        "<table><thead><tr><th>host</th><th>verdict</th><th>GPU</th><th>driver</th><th>CUDA</th>"
        "<th>speedup per backend</th><th>worst check</th><th>outlier</th></tr></thead><tbody>",
        *rows, "</tbody></table></main></body></html>", ""])


WRITERS = {".html": render_html, ".htm": render_html, ".md": render_markdown,
           ".json": lambda fleet: json.dumps(fleet, indent=2) + "\n"}


# -- command line -------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_dlready merge",
        description="Merge pytest-dlready JSON reports (one per node) into one fleet view, worst first.")
    parser.add_argument("reports", nargs="+", metavar="REPORT.json", help="reports written by --dlready-json")
    parser.add_argument("-o", "--output", action="append", default=[], metavar="FILE",
                        help="write the fleet view; format by extension: .html, .json, .md (repeatable)")
    parser.add_argument("--outlier-pct", type=float, default=20.0, metavar="PCT",
                        help="flag a host this many %% below its GPU model's fleet median (default 20)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no table on stdout")
    return parser


def _distinct(paths: Sequence[str]) -> List[str]:
    """Each report once: the same file named twice (or through a link), or a byte-identical copy, counts once."""
    import hashlib

    seen_paths, seen_bodies, out = set(), {}, []
    for path in paths:
        real = os.path.realpath(path)
        if real in seen_paths:
            sys.stderr.write(f"dlready merge: {path} given twice; counted once\n")
            continue
        seen_paths.add(real)
        try:
            with open(path, "rb") as fh:
                digest = hashlib.sha256(fh.read()).hexdigest()
        except OSError:
            out.append(path)  # merge() reports the unreadable file
            continue
        if digest in seen_bodies:
            sys.stderr.write(f"dlready merge: {path} is the same report as {seen_bodies[digest]}; counted once\n")
            continue
        seen_bodies[digest] = path
        out.append(path)
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = _parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if not 0 <= args.outlier_pct < 100:
        parser.error(f"--outlier-pct: {args.outlier_pct:g} must be in [0, 100)")
    inputs = {os.path.realpath(p) for p in args.reports}
    for out in args.output:
        ext = os.path.splitext(out)[1].lower()
        if ext not in WRITERS:
            parser.error(f"-o {out}: unknown format {ext or '(none)'!r}; use .html, .json or .md")
        if os.path.realpath(out) in inputs:
            parser.error(f"-o {out}: that is one of the input reports; refusing to overwrite it")
        folder = os.path.dirname(os.path.abspath(out))
        if not os.path.isdir(folder):
            parser.error(f"-o {out}: no folder {folder} (merge creates no folders)")
    reports = _distinct(args.reports)
    try:
        fleet = merge(reports, args.outlier_pct)
    except MergeError as exc:
        sys.stderr.write(f"dlready merge: error: {exc}\n")
        return 2
    from ..facts import atomic_write_text

    for out in args.output:
        try:
            atomic_write_text(out, WRITERS[os.path.splitext(out)[1].lower()](fleet))
        except OSError as exc:
            sys.stderr.write(f"dlready merge: error: cannot write {out}: {exc.strerror or exc}\n")
            return 2
    if not args.quiet:
        sys.stdout.write(render_text(fleet))
        for out in args.output:
            sys.stdout.write(f"wrote {out}\n")
    return 0 if fleet["ready"] else 1
