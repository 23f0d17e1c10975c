"""Append-only catalogue of finding codes, in the manner of DCGM's ``dcgm_errors.h``.

Each code has a one-line title and the default next step. Codes are never renumbered
or reused: CI gates and fleet dashboards key on them. Modules declare their codes at
import with :func:`define`; ``tests/test_catalogue.py`` checks every code has both.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict


@dataclass(frozen=True)
class Code:
    code: str
    title: str
    fix: str


CODES: Dict[str, Code] = {}


def define(code: str, title: str, fix: str) -> str:
    """Register ``code`` once and return it, so modules can write ``X = define(...)``."""
    existing = CODES.get(code)
    if existing is not None and existing != Code(code, title, fix):
        raise ValueError(f"finding code {code} defined twice with different text")
    CODES[code] = Code(code, title, fix)
    return code


def fix_for(code: str) -> str:
    entry = CODES.get(code)
    return entry.fix if entry else ""
