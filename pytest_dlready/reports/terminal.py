"""The readiness table and the one verdict line, printed after pytest's own summary.

Pure rendering of the report document (``reports.document.build``): nothing here judges.
"""
from __future__ import annotations

import re
import shutil
import textwrap
from typing import Any, Dict, List, Mapping, Sequence

from ..facts import lookup
from ..results import NO_VERDICT, READY, READY_WARN


#: ESC sequences (CSI, OSC ... BEL/ST), then any other C0/C1 control but newline and tab
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: Any) -> str:
    """Text safe for a terminal or a CI log: facts from other machines may hold escape sequences
    (``\\x1b]0;...\\x07`` retitles the window, others move the cursor or hide lines)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", str(text)))


#: a SKIP whose reason is another row's finding: folded into one line naming the checks
FOLD_REASONS = ("no GPU found (see the GPU devices row)",)
#: skips that only say the check is for another platform: noise unless -v
PLATFORM_ONLY = re.compile(r"^runs on [\w ,/]+ only")


def fold(rows: Sequence[Mapping[str, Any]], verbose: int = 0) -> List[Mapping[str, Any]]:
    """One root cause, one row: rows skipped for the same other row's finding become one row with a
    count (as pytest folds identical skip reasons); other-platform skips are hidden unless -v."""
    if verbose > 0:
        return list(rows)
    out: List[Mapping[str, Any]] = []
    folded: Dict[str, Dict[str, Any]] = {}
    for row in rows:
        message = str(row.get("message", ""))
        status = str(row.get("status", ""))
        if status == "skip" and PLATFORM_ONLY.match(message):
            continue
        reason = next((r for r in FOLD_REASONS if message.startswith(r)), None)
        if reason and status in ("skip", "fail") and not message[len(reason):].strip():
            key = f"{status}:{reason}"
            if key not in folded:
                folded[key] = {"check": "", "status": status, "message": reason, "fix": row.get("fix", ""), "_names": []}
                out.append(folded[key])
            folded[key]["_names"].append(str(row.get("check", "")))
            continue
        out.append(row)
    for entry in folded.values():
        names = entry.pop("_names")
        if len(names) == 1:
            entry["check"] = names[0]
        else:
            entry["check"] = f"{len(names)} GPU checks"
            entry["message"] = f"{entry['message']}: {', '.join(names)}"
    return out


def verdict_line(verdict: Mapping[str, Any], facts: Mapping[str, Any]) -> str:
    status = verdict["status"]
    reasons = [r.split("\n", 1)[0] for r in verdict.get("reasons", [])]
    context = []
    toolkit = lookup(facts, "cuda.toolkit_version")
    if toolkit and verdict.get("driver_missing"):
        # context, not a third problem: said apart from the reasons
        context.append(f"(the CUDA toolkit {toolkit} is installed; without a driver it cannot reach a GPU)")
    unique: List[str] = []
    for r in reasons:
        if r not in unique:
            unique.append(r)
    text = "; ".join(unique[:2])
    extra = len(unique) - 2
    if extra > 0:
        text += f" (+{extra} more)"
    text = " ".join([text] + context) if text else ""
    return clean(f"dlready: {status}" + (f" — {text}" if text else ""))


_LABEL_BREAKS = re.compile(r"(?<=[\[@,+\]-])")


def wrap_label(label: str, width: int) -> List[str]:
    """A label in lines of at most ``width``, nothing dropped: breaks at spaces, else after ``[ @ , + ] -``.

    ``"".join`` of the pieces (with the spaces wrapping removed put back) is the label, so two
    labels that differ still differ once wrapped, at any width.
    """
    pieces: List[str] = []
    for word in label.split():
        if len(word) <= width:
            pieces.append(word)
            continue
        chunk = ""
        for part in _LABEL_BREAKS.split(word):
            while len(part) > width:  # a run with no break point: cut it
                if chunk:
                    pieces.append(chunk + "\0")
                    chunk = ""
                pieces.append(part[:width] + "\0")
                part = part[width:]
            if len(chunk) + len(part) > width:
                pieces.append(chunk + "\0")
                chunk = ""
            chunk += part
        if chunk:
            pieces.append(chunk)
    lines: List[str] = []
    line = ""
    glue = False  # the previous piece ended inside a word: the next one continues it on a new line
    for piece in pieces:
        joined = piece.endswith("\0")
        piece = piece.rstrip("\0")
        sep = "" if not line else " "
        if line and (glue or len(line) + len(sep) + len(piece) > width):
            lines.append(line)
            line, sep = "", ""
        line += sep + piece
        glue = joined
    if line:
        lines.append(line)
    return lines or [""]


def table_lines(rows: Sequence[Mapping[str, Any]], width: int, compact: bool = False) -> List[str]:
    """Fixed-width table: check · status · detail · fix; long text wraps under its column.

    A label longer than its column wraps too, never cut: two rows must stay tellable apart at
    any width (``training mnist-cnn[keras-tensorflow, cpu]`` and ``[keras-torch, cpu]`` at 80
    columns). ``compact`` (``-q``): one line a row, the full text being in pytest's own report.
    """
    if not rows:
        return ["(no readiness checks ran)"]
    # the label column takes at most a third of the line (26 at 80 columns): messages keep the room
    check_w = max(min(max(len(clean(r.get("check", ""))) for r in rows), max(26, width // 3)), 1)
    status_w = 4
    rest = max(width - check_w - status_w - 6, 30)
    pad = " " * (check_w + status_w + 4)
    lines = []
    for row in rows:
        check = clean(row.get("check", ""))
        labels = wrap_label(check, check_w)
        status = str(row.get("status", "skip")).upper()
        body: List[str] = []
        # a message's own lines (a verdict and its measured causes) stay separate paragraphs
        for i, part in enumerate(clean(row.get("message", "")).split("\n")):
            text = " ".join(part.split())
            if i == 0 and row.get("node"):
                text = f"[{clean(row['node'])}] {text}"
            if text:
                body += textwrap.wrap(text, rest, subsequent_indent="  " if i else "")
            if compact:
                break
        fix = " ".join(clean(row.get("fix", "")).split())
        if fix and status in ("FAIL", "WARN", "SKIP") and not compact:
            body += textwrap.wrap("fix: " + fix, rest)
        body = body or [""]
        if compact:
            body = [body[0] + (" …" if len(body) > 1 else "")]
            if len(labels) > 1:
                # one line a row: a label longer than its column is written whole (wrapped, its second line read as
                # a row of its own: "speedup" then "dbn-mnist[pyopencl]"), the message cut to what is left
                room = max(width - len(check) - status_w - 4, 12)
                text = " ".join(body[0].split()[:-1]) if body[0].endswith(" …") else body[0]
                if len(text) > room:
                    text = text[:room - 2].rsplit(" ", 1)[0] + " …"
                elif body[0].endswith(" …"):
                    text += " …"
                lines.append(f"{check}  {status:<{status_w}}  {text}".rstrip())
                continue
        lines.append(f"{labels[0]:<{check_w}}  {status:<{status_w}}  {body[0]}")
        for i in range(1, max(len(labels), len(body))):
            label = labels[i] if i < len(labels) else ""
            text = body[i] if i < len(body) else ""
            lines.append((f"{label:<{check_w}}  {'':<{status_w}}  {text}" if label else pad + text).rstrip())
    return lines


def render(terminalreporter: Any, doc: Mapping[str, Any]) -> None:
    width = getattr(terminalreporter, "_tw", None)
    width = width.fullwidth if width is not None else shutil.get_terminal_size().columns
    terminalreporter.write_sep("=", "dlready readiness")
    verbose = terminalreporter.config.getoption("verbose", 0) or 0
    rows = fold(doc["rows"], verbose)
    if verbose < 0:
        rows = [r for r in rows if r.get("status") in ("fail", "warn")]
    for line in table_lines(rows, width, compact=verbose < 0):
        terminalreporter.write_line(line)
    counts = doc["verdict"]["counts"]
    terminalreporter.write_line(
        f"checks: {counts.get('pass', 0)} pass, {counts.get('warn', 0)} warn, "
        f"{counts.get('fail', 0)} fail, {counts.get('skip', 0)} skip · tier {doc['tier']} · facts {clean(doc['facts_source'])}"
    )
    status = doc["verdict"]["status"]
    markup = {"green": True} if status == READY else {"yellow": True} if status in (READY_WARN, NO_VERDICT) else {"red": True}
    terminalreporter.write_line(doc["verdict"]["line"], bold=True, **markup)
