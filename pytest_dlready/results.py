"""Findings: the one currency every check, parser and verdict pays in.

A ``Finding`` is frozen and JSON-serialisable so it can travel from an xdist worker,
be saved in a snapshot and be compared byte-for-byte after a replay elsewhere.
Statuses follow DCGM's vocabulary; ``rollup`` is the single place that decides
what a set of findings means.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping


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


def worst(findings: Iterable[Finding]) -> Status:
    """The status of a group: any fail -> fail; else any warn -> warn; all skip -> skip."""
    statuses = [f.status for f in findings]
    if not statuses:
        return Status.SKIP
    return max(statuses, key=SEVERITY.__getitem__)
