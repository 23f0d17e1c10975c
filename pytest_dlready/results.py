"""Findings: the one currency every check, parser and verdict pays in.

A ``Finding`` is frozen and JSON-serialisable so it can travel from an xdist worker,
be saved in a snapshot and be compared byte-for-byte after a replay elsewhere.
Statuses follow DCGM's vocabulary; ``rollup`` is the single place that decides
what a set of report rows means (READY / READY WITH WARNINGS / NOT READY / NO VERDICT).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Sequence


class Status(str, enum.Enum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"

    def __str__(self) -> str:  # "PASS" in tables
        return self.value.upper()


#: Order used to pick the worst status (a skip never hides a pass, a fail beats all).
SEVERITY = {Status.SKIP: 0, Status.PASS: 1, Status.WARN: 2, Status.FAIL: 3}


@dataclass(frozen=True)
class Finding:
    """One judged fact: what was seen, what it means, and what to do about it.

    ``code`` is a stable identifier from ``catalogue`` (append-only), ``check`` the
    row name in the readiness table, ``observed`` the measured evidence.
    """

    check: str
    status: Status
    message: str
    code: str = ""
    fix: str = ""
    observed: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.status, Status):
            object.__setattr__(self, "status", Status(self.status))

    def to_dict(self) -> dict:
        return {
            "check": self.check,
            "status": self.status.value,
            "code": self.code,
            "message": self.message,
            "fix": self.fix,
            "observed": dict(self.observed),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Finding":
        return cls(
            check=str(data.get("check", "")),
            status=Status(data.get("status", "skip")),
            message=str(data.get("message", "")),
            code=str(data.get("code", "")),
            fix=str(data.get("fix", "")),
            observed=dict(data.get("observed") or {}),
        )


def passed(check: str, message: str, code: str = "", **observed: Any) -> Finding:
    return Finding(check, Status.PASS, message, code=code, observed=observed)


def warn(check: str, message: str, fix: str = "", code: str = "", **observed: Any) -> Finding:
    return Finding(check, Status.WARN, message, code=code, fix=fix, observed=observed)


def fail(check: str, message: str, fix: str = "", code: str = "", **observed: Any) -> Finding:
    return Finding(check, Status.FAIL, message, code=code, fix=fix, observed=observed)


def skip(check: str, message: str, fix: str = "", code: str = "", **observed: Any) -> Finding:
    return Finding(check, Status.SKIP, message, code=code, fix=fix, observed=observed)


#: appended to a GPU-dependent skip that --dlready-require-gpu turns into a failure
REQUIRE_GPU_SUFFIX = " (a failure because --dlready-require-gpu is set)"

READY = "READY"
READY_WARN = "READY WITH WARNINGS"
NOT_READY = "NOT READY"
NO_VERDICT = "NO VERDICT"
#: pytest's exit status of an interrupted session (Ctrl-C, -x)
INTERRUPTED = 2
#: our own exit status: the verdict was given, but a report (--dlready-json/-html/-save-facts) could not be written
REPORT_WRITE_FAILED = 6

def rollup(rows: Sequence[Mapping[str, Any]], exitstatus: Optional[int] = None) -> Dict[str, Any]:
    """Verdict from rows: any FAIL -> NOT READY; any WARN -> READY WITH WARNINGS; only skips -> NO VERDICT."""
    counts = {s.value: 0 for s in Status}
    for row in rows:
        counts[row.get("status", "skip")] = counts.get(row.get("status", "skip"), 0) + 1
    fails = [r for r in rows if r.get("status") == "fail"]
    warns = [r for r in rows if r.get("status") == "warn"]
    if exitstatus == INTERRUPTED:
        # an interrupted run has no verdict, whatever its rows say so far: they are only part of the table
        ran = sum(counts.values())
        status, reasons = NO_VERDICT, [f"interrupted after {ran} check{'s' if ran != 1 else ''}: the table is partial"]
        reasons += [f"so far: {headline(r)}" for r in fails[:1]]
    elif exitstatus not in (None, 0, 1) and not fails:
        status, reasons = NO_VERDICT, [f"pytest ended with exit status {exitstatus} before the checks finished"]
    elif fails:
        status, reasons = NOT_READY, [headline(r) for r in fails]
    elif warns:
        status, reasons = READY_WARN, [headline(r) for r in warns]
    elif counts["pass"]:
        status, reasons = READY, []
    else:
        status, reasons = NO_VERDICT, ["every check was skipped"]
    driver_missing = any(r.get("code") == "DLR-DRIVER-MISSING" for r in fails) and exitstatus != INTERRUPTED
    return {"status": status, "reasons": reasons, "counts": counts, "driver_missing": driver_missing,
            "partial": exitstatus == INTERRUPTED}


def headline(row: Mapping[str, Any]) -> str:
    """A short reason for the verdict line: the message's first clause, or the code's title."""
    from .catalogue import title_for

    first = str(row.get("message", "")).split("\n", 1)[0].replace(REQUIRE_GPU_SUFFIX, "").split("; ", 1)[0].strip()
    if len(first) <= 90:
        return first
    host = first[:first.index("] ") + 2] if first.startswith("[") and "] " in first[:40] else ""  # several hosts
    title = title_for(str(row.get("code", "")))
    return host + title if title else first[:87] + "..."
