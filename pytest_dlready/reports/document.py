"""The readiness report as one JSON-ready document, written atomically, plus the extra writers.

``build`` makes the document (schema in ``reports/schema.json``, documented in
docs/report-schema.md) from a session's rows, runs and facts; every renderer in this
package is a pure function of it. The verdict comes from ``results.rollup``.
"""
from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Callable, Dict, List, Mapping

from .. import __version__
from ..facts import atomic_write_text, lookup
from ..results import rollup
from .terminal import verdict_line

REPORT_SCHEMA = "pytest-dlready/report"
REPORT_SCHEMA_VERSION = 1


def build(session: Any) -> Dict[str, Any]:
    facts = session.facts
    # suite order reads best; with several hosts each host's rows stay together (the sort is stable)
    rows = sorted(session.rows, key=lambda r: r.get("node") or "")
    settings = session.settings
    from .hosts import host_entries, host_summary

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
        "host": dict(lookup(facts, "host", {}) or {}),
        "gpus": list(lookup(facts, "devices.gpus", []) or []),
        "facts_source": facts.get("source", ""),
        "verdict": dict(verdict, line=verdict_line(verdict, facts)),
        "exitstatus": session.exitstatus,
        "lost_workers": list(session.lost_workers),
        "hosts": hosts,
        "rows": rows,
        "runs": list(session.runs),
    }


def write_json(doc: Mapping[str, Any], path: str) -> None:
    atomic_write_text(path, json.dumps(doc, indent=2, default=str) + "\n")


def extra_writers() -> List[Callable[..., None]]:
    """HTML (when --dlready-html is set) and the GitHub step summary (when GITHUB_STEP_SUMMARY is)."""
    from . import github, html

    return [html.write, github.write]
