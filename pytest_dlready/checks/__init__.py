"""Checks: pure functions from a facts snapshot to findings. No pytest, no subprocess.

Every public check is wrapped by :func:`guard`: a snapshot damaged in transit (or
written by another version) yields a WARN finding that names the broken part instead
of an exception, so one bad section never hides the other checks' verdicts.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, List, Mapping

from ..catalogue import define
from ..results import Finding, Status

MALFORMED = define("DLR-FACTS-MALFORMED", "facts section could not be judged",
                   "re-create the snapshot with this version of pytest-dlready (--dlready-save-facts)")


def guard(check_name: str) -> Callable[[Callable[..., List[Finding]]], Callable[..., List[Finding]]]:
    def wrap(fn: Callable[..., List[Finding]]) -> Callable[..., List[Finding]]:
        @functools.wraps(fn)
        def judged(facts: Mapping[str, Any], *args: Any, **kwargs: Any) -> List[Finding]:
            try:
                return fn(facts, *args, **kwargs)
            except (TypeError, ValueError, KeyError, AttributeError, IndexError, ZeroDivisionError) as exc:
                return [Finding(check_name, Status.WARN,
                                f"could not judge {check_name}: the facts are malformed ({type(exc).__name__}: {exc})",
                                code=MALFORMED, fix="re-create the snapshot with --dlready-save-facts")]
        return judged
    return wrap
