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


#: Modules that declare codes; imported on demand so a controller that never ran a check can name one.
DECLARING_PACKAGES = ("pytest_dlready.checks", "pytest_dlready.parsers")
DECLARING_MODULES = ()


def load_all() -> Dict[str, Code]:
    """Import every module that declares codes (cheap: none imports a framework)."""
    import importlib
    import pkgutil

    for name in DECLARING_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    for package in DECLARING_PACKAGES:
        try:
            pkg = importlib.import_module(package)
        except ImportError:
            continue
        for info in pkgutil.iter_modules(pkg.__path__):
            try:
                importlib.import_module(f"{package}.{info.name}")
            except ImportError:
                pass
    return CODES


def title_for(code: str) -> str:
    if code and code not in CODES:
        load_all()
    entry = CODES.get(code)
    return entry.title if entry else ""
