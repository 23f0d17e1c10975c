"""Self-contained HTML readiness report: one file, no network, no JavaScript.

A person opening it from a CI artifact (or a mail attachment, offline) sees the
verdict first, then what ran where, the readiness table with each finding's fix, and
an inline SVG chart of CPU vs GPU epoch times with the speedup per backend. Everything
is inline (CSS, SVG) and every piece of text from the report is escaped: messages
quote tool outputs, which may contain ``<`` or worse.
"""
from __future__ import annotations

import html
from typing import Any, List, Mapping, Optional, Sequence

from . import as_dict, as_list
from .hosts import gpu_model, host_summary, label as host_label
from .runs import below as below_minimum, format_seconds, format_speedup, pairs as run_pairs

STATUS_CLASS = {"READY": "ready", "READY WITH WARNINGS": "warn", "NOT READY": "fail", "NO VERDICT": "none"}
ROW_ORDER = {"fail": 0, "warn": 1, "skip": 2, "pass": 3}

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d2329;margin:0;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:26px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d8dde3;padding-bottom:4px}
.verdict{border-radius:6px;padding:14px 18px;color:#fff;margin-bottom:14px}
.verdict p{margin:0;font-size:15px;overflow-wrap:anywhere}
.v-ready{background:#1e7d3a}.v-warn{background:#9a6700}.v-fail{background:#b42318}.v-none{background:#5d6b78}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0;background:#fff;padding:10px 14px;border:1px solid #d8dde3;border-radius:6px}
dl.meta dt{color:#5d6b78} dl.meta dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d8dde3}
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid #e6e9ed}
th{background:#eef1f4;font-weight:600;white-space:nowrap}
td.msg{overflow-wrap:anywhere;white-space:pre-line} td.fix{color:#37424d;overflow-wrap:anywhere} td.code,td.node{color:#5d6b78;font-size:12px} td.node,td.h{white-space:nowrap}
.badge{display:inline-block;white-space:nowrap;min-width:40px;text-align:center;border-radius:3px;padding:0 5px;font-size:12px;font-weight:700;color:#fff}
.s-pass{background:#1e7d3a}.s-warn{background:#9a6700}.s-fail{background:#b42318}.s-skip{background:#8a96a3}
.s-ready{background:#1e7d3a}.s-none{background:#5d6b78}
tr.r-fail td{background:#fdf1f0} tr.r-warn td{background:#fdf8ec}
.note{color:#5d6b78;font-size:13px;margin:4px 0 8px}
svg{background:#fff;border:1px solid #d8dde3;border-radius:4px;max-width:100%;height:auto}
footer{margin-top:30px;color:#8a96a3;font-size:12px}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _badge(status: str) -> str:
    key = str(status).lower()
    return f'<span class="badge s-{_e(key)}">{_e(str(status).upper())}</span>'


def _verdict_badge(status: str) -> str:
    css = {"ready": "ready", "warn": "warn", "fail": "fail"}.get(STATUS_CLASS.get(status, "none"), "none")
    return f'<span class="badge s-{css}">{_e(status)}</span>'


def _meta(doc: Mapping[str, Any], hosts: Sequence[Mapping[str, Any]]) -> str:
    settings = as_dict(doc.get("settings"))
    policy = [f"min speedup {settings.get('min_speedup')}"]
    if settings.get("require_gpu"):
        policy.append(f"require GPU (min {settings.get('min_gpus', 1)})")
    for key, name in (("gpu_vendor", "vendor"), ("min_compute", "min compute"),
                      ("min_bandwidth_gbps", "min bandwidth GB/s"), ("replay", "replay")):
        if settings.get(key) not in (None, ""):
            policy.append(f"{name} {settings.get(key)}")
    items: List[tuple] = []
    if len(hosts) == 1:
        h = hosts[0]
        items += [
            ("host", h.get("hostname")),
            ("system", " ".join(str(h.get(k) or "") for k in ("os_name", "os_version")).strip()),
            ("CPU", h.get("cpu")),
            ("GPUs", gpu_model(h.get("gpus"))),
            ("NVIDIA driver", h.get("driver_version") or "not found"),
            ("CUDA toolkit", h.get("cuda_toolkit") or "not found"),
        ]
    else:
        items.append(("hosts", f"{len(hosts)} (see below; never pooled)"))
    items += [
        ("tier", doc.get("tier")),
        ("policy", ", ".join(policy)),
        ("facts", doc.get("facts_source")),
        ("pytest exit status", doc.get("exitstatus")),
        ("created", f"{doc.get('created', '')} · pytest-dlready {doc.get('dlready_version', '')}"),
    ]
    body = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items if v not in (None, ""))
    return f'<dl class="meta">{body}</dl>'


def _hosts_table(hosts: Sequence[Mapping[str, Any]]) -> str:
    if len(hosts) < 2:
        return ""
    lines = ["<h2>Hosts</h2>", "<table><thead><tr><th>verdict</th><th>host</th><th>gateway</th><th>GPUs</th>"
             "<th>driver</th><th>CUDA</th><th>checks</th><th>first reason</th></tr></thead><tbody>"]
    for h in hosts:
        verdict = as_dict(h.get("verdict"))
        counts = as_dict(verdict.get("counts"))
        reasons = as_list(verdict.get("reasons"))
        lines.append(
            f"<tr><td>{_verdict_badge(str(verdict.get('status', 'NO VERDICT')))}{' <b>lost</b>' if h.get('lost') else ''}</td>"
            f"<td class=h>{_e(host_label(h))}</td><td class=code>{_e(h.get('spec'))}</td><td>{_e(gpu_model(h.get('gpus')))}</td>"
            f"<td>{_e(h.get('driver_version') or '–')}</td><td>{_e(h.get('cuda_toolkit') or '–')}</td>"
            f"<td class=code>{counts.get('fail', 0)} fail, {counts.get('warn', 0)} warn, {counts.get('pass', 0)} pass, "
            f"{counts.get('skip', 0)} skip</td>"
            f"<td class=msg>{_e(reasons[0] if reasons else '')}</td></tr>"
        )
    lines.append("</tbody></table>")
    return "\n".join(lines)


def _rows_table(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return '<p class="note">No readiness checks ran.</p>'
    show_node = any(r.get("node") for r in rows)
    ordered = sorted(rows, key=lambda r: ROW_ORDER.get(str(r.get("status")), 4))  # stable: suite order within a status
    head = "<th>status</th><th>check</th><th>finding</th><th>next step</th>" + ("<th>node</th>" if show_node else "") + "<th>code</th>"
    out = [f"<table><thead><tr>{head}</tr></thead><tbody>"]
    for r in ordered:
        status = str(r.get("status", "skip"))
        fix = r.get("fix") if status in ("fail", "warn", "skip") else ""
        node = f"<td class=node>{_e(r.get('node'))}</td>" if show_node else ""
        out.append(
            f'<tr class="r-{_e(status)}"><td>{_badge(status)}</td><td>{_e(r.get("check"))}</td>'
            f'<td class=msg>{_e(r.get("message"))}</td><td class=fix>{_e(fix)}</td>{node}'
            f'<td class=code>{_e(r.get("code"))}</td></tr>'
        )
    out.append("</tbody></table>")
    return "\n".join(out)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chart_svg(entries: Sequence[Mapping[str, Any]], min_speedup: Any = 1.0, width: int = 820) -> str:
    """Inline SVG: per workload/backend pair, a CPU and a GPU bar (median epoch) and the speedup.

    Bars are scaled per pair (workloads differ by orders of magnitude); the numbers are
    printed on the bars, so nothing depends on reading lengths across pairs.
    """
    label_w, right_w, bar_h, gap = 230, 150, 16, 14
    plot_w = width - label_w - right_w
    group_h = 2 * bar_h + 4 + gap
    height = 28 + group_h * len(entries) + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'role="img" aria-label="median epoch time, CPU vs GPU" font-family="system-ui,Segoe UI,Arial,sans-serif" font-size="12">',
        '<text x="8" y="18" fill="#5d6b78">workload · backends</text>',
        f'<rect x="{label_w}" y="8" width="12" height="12" fill="#6b7c8f"/><text x="{label_w + 16}" y="18">CPU</text>',
        f'<rect x="{label_w + 56}" y="8" width="12" height="12" fill="#2f7d4f"/><text x="{label_w + 72}" y="18">GPU'
        ' median epoch</text>',
        f'<text x="{width - 8}" y="18" text-anchor="end" font-weight="600">speedup</text>',
    ]
    y = 28
    for entry in entries:
        cpu, gpu = entry.get("cpu"), entry.get("gpu")
        values = [s["seconds"] for s in (cpu, gpu) if s and s.get("seconds") and not s.get("error")]
        scale = max(values) if values else 1.0
        name = str(entry.get("label", ""))
        node = str(entry.get("node") or "")
        title = f"{name} [{node}]" if node else name
        # two lines (workload, then backends) so long backend names fit the label column
        first = str(entry.get("workload", "")) + (f" [{node}]" if node else "")
        second = name[len(str(entry.get("workload", ""))):].strip("[]") if name.startswith(str(entry.get("workload", ""))) else name
        parts.append(f'<text x="8" y="{y + 12}" font-weight="600"><title>{_e(title)}</title>{_e(_clip(first, 32))}</text>')
        parts.append(f'<text x="8" y="{y + bar_h + 16}" fill="#37424d"><title>{_e(title)}</title>{_e(_clip(second, 34))}</text>')
        for i, (side, colour, tag) in enumerate(((cpu, "#6b7c8f", "CPU"), (gpu, "#2f7d4f", "GPU"))):
            by = y + i * (bar_h + 4)
            if side is None:
                parts.append(f'<text x="{label_w + 4}" y="{by + 12}" fill="#8a96a3">no {tag} run</text>')
                continue
            if side.get("error") or not side.get("seconds"):
                reason = side.get("error") or "no timed epochs"
                parts.append(f'<text x="{label_w + 4}" y="{by + 12}" fill="#b42318">{tag} {_e(side.get("backend"))}: '
                             f'{_e(reason[:80])}</text>')
                continue
            w = max(2.0, plot_w * side["seconds"] / scale)
            parts.append(f'<rect x="{label_w}" y="{by}" width="{w:.1f}" height="{bar_h}" fill="{colour}" rx="2">'
                         f'<title>{_e(tag)} {_e(side.get("backend"))} {_e(side.get("device_name"))}: '
                         f'{_e(format_seconds(side["seconds"]))}</title></rect>')
            text = f'{side.get("backend")} {format_seconds(side["seconds"])}'
            inside = w > 7 * len(text) + 8
            tx, fill, anchor = (label_w + w - 4, "#fff", "end") if inside else (label_w + w + 4, "#1d2329", "start")
            parts.append(f'<text x="{tx:.1f}" y="{by + 12}" fill="{fill}" text-anchor="{anchor}">{_e(text)}</text>')
        speed = entry.get("speedup")
        slow = speed is not None and below_minimum(speed, min_speedup)
        colour = "#b42318" if slow else "#1e7d3a" if speed is not None else "#8a96a3"
        verdict = " GPU slower" if speed is not None and speed < 1 else ""
        parts.append(f'<text x="{width - 8}" y="{y + bar_h + 4}" text-anchor="end" font-weight="700" fill="{colour}">'
                     f'{_e(format_speedup(speed))}{_e(verdict)}</text>')
        y += group_h
    parts.append("</svg>")
    return "".join(parts)


def _runs_section(doc: Mapping[str, Any]) -> str:
    entries = run_pairs(as_list(doc.get("runs")), as_list(doc.get("rows")))
    if not entries:
        return ('<h2>Training: CPU vs GPU</h2><p class="note">No training workloads ran in this session '
                '(tier, replay or no backend installed).</p>')
    min_speedup = as_dict(doc.get("settings")).get("min_speedup", 1.0)
    rows = []
    show_node = any(e.get("node") for e in entries)
    for e in entries:
        cpu, gpu = e.get("cpu") or {}, e.get("gpu") or {}
        node = f"<td class=node>{_e(e.get('node'))}</td>" if show_node else ""
        rows.append(
            f"<tr><td>{_e(e['label'])}</td>{node}"
            f"<td>{_e(format_seconds(cpu.get('seconds')))}</td><td>{_e(cpu.get('device_name') or cpu.get('device_used'))}</td>"
            f"<td>{_e(format_seconds(gpu.get('seconds')))}</td><td>{_e(gpu.get('device_name') or gpu.get('device_used'))}</td>"
            f"<td><b>{_e(format_speedup(e.get('speedup')))}</b></td></tr>"
        )
    return "\n".join([
        "<h2>Training: CPU vs GPU</h2>",
        f'<p class="note">Speedup = CPU median epoch / GPU median epoch; below {_e(min_speedup)}× fails the gate.</p>',
        chart_svg(entries, min_speedup),
        "<table><thead><tr><th>workload [backend]</th>" + ("<th>node</th>" if show_node else "") + "<th>CPU epoch</th><th>CPU device</th>"
        "<th>GPU epoch</th><th>GPU device</th><th>speedup</th></tr></thead><tbody>",
        *rows,
        "</tbody></table>",
    ])


def render(doc: Mapping[str, Any]) -> str:
    """The whole HTML page for one report document."""
    doc = doc if isinstance(doc, Mapping) else {}
    verdict = as_dict(doc.get("verdict"))
    status = str(verdict.get("status", "NO VERDICT"))
    hosts = [h for h in as_list(doc.get("hosts")) if isinstance(h, dict)] or [dict(host_summary({"host": as_dict(doc.get("host"))}), gpus=as_list(doc.get("gpus")))]
    title_host = hosts[0].get("hostname") if len(hosts) == 1 else f"{len(hosts)} hosts"
    lost = as_list(doc.get("lost_workers"))
    lost_html = (f'<p class="note"><b>Lost workers:</b> {_e(", ".join(map(str, lost)))} — their hosts went away mid-run; '
                 "rows they finished are kept.</p>") if lost else ""
    line = str(verdict.get("line", f"dlready: {status}"))
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>dlready: {_e(status)} — {_e(title_host)}</title>",
        f"<style>{CSS}</style></head><body><main>",
        f'<section class="verdict v-{STATUS_CLASS.get(status, "none")}"><h1>{_e(status)}</h1><p>{_e(line)}</p></section>',
        _meta(doc, hosts),
        lost_html,
        _hosts_table(hosts),
        "<h2>Readiness checks</h2>",
        _rows_table([r for r in as_list(doc.get("rows")) if isinstance(r, dict)]),
        _runs_section(doc),
        f"<footer>pytest-dlready report schema {_e(doc.get('schema'))} v{_e(doc.get('schema_version'))} · "
        "generated offline; no scripts, no external resources.</footer>",
        "</main></body></html>",
        "",
    ])


def write(doc: Mapping[str, Any], settings: Any) -> Optional[str]:
    """Write ``settings.html_path`` (atomically) when set; return the path written."""
    path = getattr(settings, "html_path", None)
    if not path:
        return None
    from ..facts import atomic_write_text

    atomic_write_text(path, render(doc))
    return path
