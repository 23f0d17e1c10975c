"""Run every probe into one facts snapshot; a probe that breaks is recorded, not raised.

Each probe module exposes ``probe(facts, settings)`` and fills its own sections.
Order matters only where a later probe reads an earlier one's facts (the device
probes read the toolkit found by ``cuda``). ``light`` skips the expensive probes
when a project only uses the markers without ``--dlready``.
"""
from __future__ import annotations

import importlib
import time
import traceback
from typing import Any, Optional

from ..facts import new_snapshot

#: (module, expensive) in run order
PROBES = (
    ("pytest_dlready.probes.system", False),
    ("pytest_dlready.probes.compiler", False),
    ("pytest_dlready.probes.cuda", False),
    ("pytest_dlready.probes.driver", False),
    ("pytest_dlready.probes.cudnn", False),
    ("pytest_dlready.probes.libraries", False),
    ("pytest_dlready.probes.macos", False),
    ("pytest_dlready.probes.backends", False),
    ("pytest_dlready.probes.devices", True),
)


def collect(settings: Any = None, light: bool = False, only: Optional[tuple] = None) -> dict:
    from ..settings import Settings

    settings = settings or Settings()
    facts = new_snapshot()
    timings = {}
    errors = {}
    for name, expensive in PROBES:
        if only is not None and name.rsplit(".", 1)[-1] not in only:
            continue
        if light and expensive:
            continue
        start = time.perf_counter()
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # probe not shipped in this version
            errors[name] = f"import failed: {exc}"
            continue
        try:
            module.probe(facts, settings)
        except Exception as exc:  # a broken probe is a finding, never a dead session
            errors[name] = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        timings[name.rsplit(".", 1)[-1]] = round(time.perf_counter() - start, 3)
    facts["probe_timings_s"] = timings
    facts["probe_errors"] = errors
    return facts
