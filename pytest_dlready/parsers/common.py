"""Shared helpers for the tool-output parsers: clean lines, numbers, findings about unread text.

Every parser reads text that a person pasted from a terminal, a blog or an issue: CRLF
line ends, ANSI colours, shell prompts, Markdown indentation, truncated last lines and
the odd editor artefact. These helpers normalise that once, so each parser's regexes
stay simple, anchored and linear (one pass over the lines, no backtracking blow-ups),
and so "I could not read this line" is recorded the same way by every parser (``unread``
and ``unread_count`` fields, judged in ``checks.tool_outputs``).
"""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional


#: Regexes only ever see this many characters of a line: keeps matching linear on hostile input.
MAX_LINE = 2000
#: How many unread lines a parse result keeps (the rest are counted).
MAX_UNREAD = 20

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]{0,200}(?:\x07|\x1b\\)")
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")

def to_text(data: Any) -> str:
    """Any input as text: bytes are decoded leniently (UTF-8, else Latin-1), None is empty."""
    if data is None:
        return ""
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1")
    return data if isinstance(data, str) else str(data)


def lines_of(text: Any) -> List[str]:
    """Lines as a terminal showed them: CRLF/CR ends, ANSI codes and NULs removed, right-stripped.

    Leading whitespace is kept because nvidia-smi -q and system_profiler encode nesting in it.
    Each line is cut to ``MAX_LINE`` characters so no regex sees a megabyte-long line.
    """
    text = to_text(text)
    if "\x1b" in text:
        text = ANSI.sub("", text)
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    return [line[:MAX_LINE].rstrip() for line in text.split("\n")]


PROMPT = re.compile(r"^\s*(?:\S*[@:~]\S*\s?[$#%>]|\[[^\]]{1,80}\][$#]|[$#%>])\s*\S")


def marker_score(text: Any, markers: Any) -> float:
    """Confidence 0..1 that ``text`` is a tool's output: the weights of the (marker, weight) pairs it contains."""
    text = to_text(text)[:200000]
    return min(sum(weight for marker, weight in markers if marker in text), 1.0)


def is_prompt(line: str) -> bool:
    """A shell prompt with a command (``user@host:~$ ./deviceQuery``, ``[root@x dir]# ...``, ``$ ...``)."""
    return bool(PROMPT.match(line[:300]))


def last_nonblank(lines: List[str]) -> str:
    for line in reversed(lines):
        if line.strip():
            return line.strip()
    return ""


def number(text: Any) -> Optional[float]:
    """First number in ``text`` as float, or None ('N/A', '[N/A]', garbage)."""
    match = NUMBER.search(str(text or "")[:MAX_LINE])
    if not match:
        return None
    try:
        value = float(match.group(0))
    except ValueError:  # pragma: no cover - the regex only yields floats
        return None
    return value if value == value and abs(value) != float("inf") else None


def integer(text: Any) -> Optional[int]:
    value = number(text)
    return int(value) if value is not None and value.is_integer() else None


def yes_no(text: Any) -> Optional[bool]:
    """deviceQuery/nvidia-smi booleans: Yes/No, Enabled/Disabled, On/Off, Active/Not Active."""
    word = str(text or "").strip().lower()
    if word.startswith(("yes", "enabled", "on", "active", "true")):
        return True
    if word.startswith(("no", "disabled", "off", "not active", "false")):
        return False
    return None


def base_result(kind: str) -> Dict[str, Any]:
    return {"kind": kind}


def guarded(kind: str, parse: Callable[[str], Dict[str, Any]]) -> Callable[[Any], Dict[str, Any]]:
    """Wrap a parser so that a bug in it yields a ``parse_error`` field instead of a traceback.

    The hypothesis tests call the unwrapped parsers, so this guard hides no bug from CI; it
    only protects a user's pytest session from one we have not found yet. ``checks.tool_outputs``
    turns the field into a FAIL finding.
    """
    def run(text: Any) -> Dict[str, Any]:
        try:
            return parse(to_text(text))
        except Exception as exc:  # noqa: BLE001 - the contract is "never raise"
            result = base_result(kind)
            result["parse_error"] = f"{type(exc).__name__}: {exc}"
            return result
    run.__doc__ = parse.__doc__
    run.__name__ = getattr(parse, "__name__", "parse").lstrip("_")
    return run
