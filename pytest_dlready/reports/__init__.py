"""Renderings of the JSON readiness report for CI gates and fleets.

The JSON document built by ``document.build`` is the single source; every module here
is a pure function of it (plus ``write(doc, settings)`` for the plugin): ``html``
(one self-contained file), ``github`` (``$GITHUB_STEP_SUMMARY`` Markdown), ``hosts``
(per-host grouping), ``runs`` (CPU/GPU pairs and speedups), ``terminal`` (the table and verdict line). ``schema.json`` describes
the document; ``fleet`` merges many of them (``python -m pytest_dlready merge``). Kept import-light: the
plugin imports this package on every ``--dlready`` run.
"""
from __future__ import annotations

import os
from typing import Any

SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema.json")


def as_list(value: Any) -> list:
    """A report field that should be a list, or ``[]`` (reports from elsewhere may be damaged)."""
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict:
    """A report field that should be an object, or ``{}``."""
    return value if isinstance(value, dict) else {}
