"""Pure text -> dict parsers of the tools people run and paste when a GPU disappoints.

Each module exposes ``detect(text) -> float`` (0..1 confidence) and ``parse(text) -> dict``
with at least ``kind``, and never raises on any input. Parsers only read: they define no
finding codes and build no findings (``checks.tool_outputs`` judges what they read).
``identify.parse_any`` picks the module; ``python -m pytest_dlready parse FILE`` is the
command-line front end (``cli/parse.py``). The JSON is documented in ``docs/parse.md``.
"""
from __future__ import annotations

from typing import Any, Dict, Optional


def parse_any(text: Any, kind: Optional[str] = None) -> Dict[str, Any]:
    """Identify and parse ``text`` (see ``identify.parse_any``); imported lazily to keep import cheap."""
    from .identify import parse_any as _parse_any
    return _parse_any(text, kind)
