"""Append-only catalogue of finding codes, in the manner of DCGM's ``dcgm_errors.h``.

Each code has a one-line title and the default next step. Codes are never renumbered
or reused: CI gates and fleet dashboards key on them. Modules declare their codes at
import with :func:`define`; ``tests/test_catalogue.py`` checks every code has both, and
that every code the package can emit is defined.

One condition, one code. Where two codes once named the same condition (the GPU drives
a display was four codes), the later ones are *retired*: :func:`alias` keeps their title
and next step, and points them at the code findings now carry, so saved reports and CI
rules that name a retired code still read (``canonical``, ``title_for``, ``fix_for``).
A retired code's own next step stays the advice for the evidence it was raised on.
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
#: retired code -> the code that replaced it (the retired entry's title and fix are kept in RETIRED)
ALIASES: Dict[str, str] = {}
RETIRED: Dict[str, Code] = {}


def define(code: str, title: str, fix: str) -> str:
    """Register ``code`` once and return it, so modules can write ``X = define(...)``."""
    existing = CODES.get(code)
    if existing is not None and existing != Code(code, title, fix):
        raise ValueError(f"finding code {code} defined twice with different text")
    if code in ALIASES:
        raise ValueError(f"finding code {code} is retired in favour of {ALIASES[code]}")
    CODES[code] = Code(code, title, fix)
    return code


def alias(code: str, now: str, title: str, fix: str) -> str:
    """Retire ``code`` in favour of ``now`` (one condition, one code); returns ``code``.

    Findings carry ``now``; ``fix_for(code)`` keeps the retired code's own next step.
    """
    if code in CODES:
        raise ValueError(f"finding code {code} is defined; it cannot also be retired")
    ALIASES[code] = now
    RETIRED[code] = Code(code, title, fix)
    return code


def canonical(code: str) -> str:
    """The code a (possibly retired) code stands for today."""
    if code and code not in CODES and code not in ALIASES:
        load_all()
    seen = set()
    while code in ALIASES and code not in seen:
        seen.add(code)
        code = ALIASES[code]
    return code


def fix_for(code: str) -> str:
    entry = CODES.get(code) or RETIRED.get(code)
    return entry.fix if entry else ""


#: Modules that declare codes; imported on demand so a controller that never ran a check can name one.
DECLARING_PACKAGES = ("pytest_dlready.checks",)


def load_all() -> Dict[str, Code]:
    """Import every module that declares codes (cheap: none imports a framework)."""
    import importlib
    import pkgutil

    for package in DECLARING_PACKAGES:
        pkg = importlib.import_module(package)
        for info in pkgutil.iter_modules(pkg.__path__):
            importlib.import_module(f"{package}.{info.name}")  # a broken checks module must not hide its codes
    return CODES


def title_for(code: str) -> str:
    if code and code not in CODES and code not in RETIRED:
        load_all()
    entry = CODES.get(code) or RETIRED.get(code)
    return entry.title if entry else ""
