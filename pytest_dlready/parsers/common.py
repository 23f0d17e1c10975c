"""Shared helpers for the tool-output parsers: clean lines, numbers, findings about unread text.

Every parser reads text that a person pasted from a terminal, a blog or an issue: CRLF
line ends, ANSI colours, shell prompts, Markdown indentation, truncated last lines and
the odd editor artefact. These helpers normalise that once, so each parser's regexes
stay simple, anchored and linear (one pass over the lines, no backtracking blow-ups),
and so "I could not read this line" is recorded the same way by every parser (``unread``
and ``unread_count`` fields, judged in ``checks.tool_outputs``).
"""
from __future__ import annotations

import html
import re
from typing import Any, Callable, Dict, List, Optional


#: Regexes only ever see this many characters of a line: keeps matching linear on hostile input.
MAX_LINE = 2000
#: Windows cmd's "'x' is not recognized as an internal or external command" after the command's name, in the languages
#: Windows ships (Portuguese "não é reconhecido", Spanish "no se reconoce", French "n'est pas reconnu", Italian "non è
#: riconosciuto", German "ist entweder falsch geschrieben", Russian "не является внутренней"); an accented letter may
#: have come through as mojibake ("n�o �", "nÆo ‚")
NOT_RECOGNIZED = (r"(?:is not recognized|n.{1,3}o .{1,3} reconhecido|no se reconoce|n'est pas reconnu|non .{1,3} riconosciuto|"
                  r"ist entweder falsch geschrieben|не является внутренней)")


def not_recognized(name: str) -> str:
    """The pattern of Windows' "not recognized" for the command ``name`` (``.exe`` or not, whatever quotes a paste put
    round it, or none)."""
    return re.escape(name) + r"(?:\.exe)?[\"'“”‘’«»]? " + NOT_RECOGNIZED
#: How many unread lines a parse result keeps (the rest are counted).
MAX_UNREAD = 20

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]{0,200}(?:\x07|\x1b\\)")
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def decode(data: bytes) -> str:
    """Bytes as text: a BOM's encoding (UTF-8/16/32, as PowerShell 5.1's ``>`` writes UTF-16 LE);
    BOM-less UTF-16 told by its NULs; else UTF-8; else Windows-1252/Latin-1. Never raises."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    head = data[:4096]
    # UTF-16 without a BOM: NULs on one side of the byte pairs (every other byte for ASCII; fewer where the text has
    # other characters, a progress bar's blocks: UTF-8 text itself holds no NUL)
    if len(head) >= 4 and head.count(0) * 8 >= len(head):
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > 2 * even:
            return data.decode("utf-16-le", errors="replace")
        if even > 2 * odd:
            return data.decode("utf-16-be", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def to_text(data: Any) -> str:
    """Any input as text: bytes decoded by ``decode`` (BOMs, UTF-16, UTF-8, else Latin-1), None is empty."""
    if data is None:
        return ""
    if isinstance(data, (bytes, bytearray)):
        return decode(bytes(data))
    return data if isinstance(data, str) else str(data)


#: Spaces that look like spaces: no-break (U+00A0, what a browser copy of ``&nbsp;`` gives), figure,
#: narrow no-break, ideographic, zero-width (dropped); and the "smart" quotes a blog or word
#: processor puts for a tool's ASCII ones (``couldn‘t``, ``Device 0: “GeForce”``).
_SPACES = {"\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u3000": " ", "\u2009": " ", "\u200b": "", "\ufeff": "",
           "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}
_SPACE_RE = re.compile("[" + "".join(_SPACES) + "]")
_QUOTE = re.compile(r"^[ \t]{0,3}>[ \t]?")
#: inline HTML formatting a page wraps around parts of an output (a coloured prompt, a bold field), and its closing
#: tag (the sign that the text is such markup, not a tool's own angle brackets)
_INLINE_TAG = re.compile(r"</?(?:span|font|b|strong|em|code|kbd|samp|tt)(?:\s[^<>\n]{0,300})?>", re.I)
_INLINE_CLOSE = re.compile(r"</(?:span|font|b|strong|em|code|kbd|samp|tt)>", re.I)
_BR_END = re.compile(r"(?:<br\s*/?>|\\)\s*$", re.I)
_BR_START = re.compile(r"^(?:<br\s*/?>)+", re.I)  # (a log's lines each led by a literal "<br>": Markdown line breaks)
#: a web page's rendering of a paste, copied back: list items ("- " on every line), numbered lines
#: ("  1. " ... as pastebin shows them) and a table cell's trailing " | |" (a gist rendered as a table)
_LIST_ITEM = re.compile(r"^- ")
_LINE_NUMBER = re.compile(r"^[ \t]*(\d{1,6})\.(?: |$)")
_CELL_END = " | |"
#: output kept as comments in a script or notebook (MATLAB's "% ", Python's and shell's "# ", C's "// ", R's reprex and
#: knitr "#> "): the marker then a space, or alone on a blank line
_COMMENT = re.compile(r"^(%|#>|#|//)(?: |$)")
#: docker-compose's prefix of a service's lines: "cuda_1  | ", "web-1  | " (blank lines: "cuda_1  |")
_COMPOSE = re.compile(r"^([\w.-]{1,60}[_-]\d{1,3})\s+\|(?: |$)")
#: Markdown/HTML code marks left in a paste: a line of backticks alone (a fence: blank), ``<pre>``/``<code>`` tags
#: (and backticks glued to them) at a line's ends, and one inline-code span around a whole line
#: (`` `E tensorflow/...` ``), or opened on one line and closed on a later one
_FENCE = re.compile(r"^\s*(?:```+|~~~+)[\w+-]*\s*$|^\s*`{1,2}\s*$")
_HTML_CODE = re.compile(r"^\s*(?:<(?:pre|code)(?: [^>]{0,80})?>)+`*|(?:</(?:pre|code)>)+\s*$", re.I)
_SPAN = re.compile(r"^(`{1,3})(?!`)(.*?)(?<!`)\1\s*$")
#: another program's prefix on each line of a process's output: Ray's "(train pid=11589) ", Open MPI's
#: "[1,0]<stdout>:", torchrun's "[rank0]: " / "[default0]:"; never part of what the tool printed
_PROCESS_PREFIX = re.compile(r"^(?:\((?:[\w.-]{1,80} )?pid=\d+(?:, ip=[\d.]+)?\) |\[\d{1,5},[\w:,.-]{1,80}\]<std(?:out|err)>:|"
                             r"\[(?:rank|default)\d{1,5}\]: ?)")
#: a log collector's prefix on the lines it kept, taken off (as docker-compose's) when two or more lines and at least
#: half of them carry it: journald / syslog's
#: "Sep 04 14:24:56 FORGE ollama[1461072]: " (the month in Latin letters or as "12月"), docker BuildKit's "#0 920.0 "
_JOURNAL_PREFIX = re.compile(r"^(?:(?:[A-Z][a-z]{2}|\d{1,2}月) [ \d]\d \d\d:\d\d:\d\d [\w.-]{1,64} [\w.@/-]{1,64}\[\d{1,9}\]: |"
                             r"#\d{1,4} \d{1,6}\.\d{1,3}(?: |$))")
#: a bare command above its output ("nvidia-smi --query-gpu=... ", "python3 -c ..."): a prompt without the prompt
_COMMAND = re.compile(r"^\s*!?(?:sudo\s+)?(?:\./|/\S*/)?(?:nvidia-smi|nvcc|deviceQuery|bandwidthTest|python[\d.]*|"
                      r"ipython|pip3?|conda|docker|nvtop|gpustat|jupyter)(?:\.exe)?(?:\s|$)")


def _uncode(lines: List[str]) -> List[str]:
    """Undo Markdown/HTML code marks and per-process prefixes (see _FENCE, _HTML_CODE, _SPAN, _PROCESS_PREFIX)."""
    if not any(("`" in line or "<" in line or line[:1] in ("(", "[")) for line in lines[:20000]):
        return lines
    out = list(lines)
    opened = None  # (index, ticks) of a line whose span closes on a later line
    for i, line in enumerate(out):
        if line[:1] in ("(", "[") and _PROCESS_PREFIX.match(line):
            line = _PROCESS_PREFIX.sub("", line, count=1)
        if "<" in line and _HTML_CODE.search(line):
            line = _HTML_CODE.sub("", line)
        if "`" in line:
            if _FENCE.match(line):
                line, opened = "", None
            else:
                m = _SPAN.match(line)
                if m and "`" not in m.group(2):
                    line = m.group(2)
                elif line.startswith("`") and "`" not in line.lstrip("`"):
                    opened = (i, len(line) - len(line.lstrip("`")))
                elif opened and line.rstrip().endswith("`" * opened[1]) and "`" not in line.rstrip().rstrip("`"):
                    first = out[opened[0]]
                    out[opened[0]] = first[opened[1]:]
                    line, opened = line.rstrip()[:-opened[1]], None
        out[i] = line
    return out


def is_command(line: str) -> bool:
    """A bare command line above its output (``nvidia-smi -L``, ``python3 -c "..."``)."""
    return bool(_COMMAND.match(line[:300]))


def _unrender(lines: List[str]) -> List[str]:
    """Undo one layer of a page's rendering when every non-blank line (at least three) carries it."""
    body = [line for line in lines if line.strip()]
    marked = [line for line in body if _COMMENT.match(line) or not (is_command(line) or is_prompt(line))]
    marks = {m.group(1) if m else None for m in (_COMMENT.match(line) for line in marked)}
    if marked and len(marks) == 1 and None not in marks:  # (a "# ..." line also looks like a root prompt)
        return [_COMMENT.sub("", line, count=1) if _COMMENT.match(line) else line for line in lines]
    pasted = [i for i, line in enumerate(lines) if line.strip() and not (is_prompt(line) or is_command(line))]
    if len(pasted) >= 2 and lines[pasted[0]].lstrip().startswith("**") and lines[pasted[-1]].rstrip().endswith("**") and \
            sum(lines[i].count("**") for i in pasted) == 2:
        # the whole paste wrapped in Markdown bold ("**IndexError   Traceback ..." ... "list index out of range**"),
        # under a prompt line or not
        first, last = pasted[0], pasted[-1]
        out = list(lines)
        out[first] = out[first].replace("**", "", 1)
        out[last] = out[last][::-1].replace("**", "", 1)[::-1]
        return out
    added = [line for line in body if not (is_prompt(line) or is_command(line))]  # (a prompt above the paste)
    if len(added) >= 3 and all(line.startswith("+") for line in added) and \
            any(line[1:2] not in ("-", "=", "+", "") for line in added):
        # lines added in a diff (a pull request's review): each carries the diff's "+" (a table's border "+---"
        # lines alone do not make a diff)
        return [line[1:] if line.startswith("+") else line for line in lines]
    composed = [m.group(1) for m in (_COMPOSE.match(line) for line in body) if m]
    if len(composed) >= 3 and len(set(composed)) <= 4 and 2 * len(composed) >= len(body):
        # a service's output under docker-compose (its own "Creating ... done" lines stay as they are)
        return [_COMPOSE.sub("", line, count=1) if _COMPOSE.match(line) else line for line in lines]
    collected = sum(1 for line in body if _JOURNAL_PREFIX.match(line))
    if collected >= 2 and 2 * collected >= len(body):
        # journald's or BuildKit's prefix on the lines it kept (the collector's own lines stay as they are)
        return [_JOURNAL_PREFIX.sub("", line, count=1) if _JOURNAL_PREFIX.match(line) else line for line in lines]
    rest = [line for line in body if not is_prompt(line)]  # a prompt line above the paste (as _dedent allows)
    body = rest or body
    if len(body) < 3:
        return lines
    if all(_LIST_ITEM.match(line) for line in body):
        return [line[2:] if _LIST_ITEM.match(line) else line for line in lines]
    numbers = [_LINE_NUMBER.match(line) for line in body]
    if all(numbers) and all(int(b.group(1)) == int(a.group(1)) + 1 for a, b in zip(numbers, numbers[1:])):
        return [_LINE_NUMBER.sub("", line, count=1) for line in lines]
    ends = sum(1 for line in body if line.endswith(_CELL_END))
    if ends >= max(3, int(0.9 * len(body))):
        return [line[:-len(_CELL_END)] if line.endswith(_CELL_END) else line for line in lines]
    return lines


def _dedent(lines: List[str]) -> List[str]:
    """Remove the indentation common to the non-blank lines, prompt lines at the margin aside."""
    if not any(line[:1] in (" ", "\t") for line in lines[:20000]):
        return lines
    expanded = [line.expandtabs(4) if line[:1] == "\t" or line[:4].strip() == "" else line for line in lines]
    body = [line for line in expanded if line.strip()]
    margin = [line for line in body if not (line[:1] not in (" ", "\t") and is_prompt(line))] or body
    indent = min((len(line) - len(line.lstrip(" ")) for line in margin), default=0)
    if not indent:
        return lines
    return [line[indent:] if line[:indent].strip() == "" else line for line in expanded]


#: a Markdown report's bold key, under a list bullet or not: "- **PyTorch Version:** 2.4.1+cu124" (ComfyUI's error
#: report, issue templates' "**Environment:**")
_BOLD_KEY = re.compile(r"^([ \t]*)(?:[-*+] )?\*\*([^*\n]{1,80}?)(?::\*\*|\*\*:)[ \t]?")
_ENTITY = re.compile(r"&(?:gt|lt|amp|nbsp|quot|apos|#\d{1,6}|#x[0-9A-Fa-f]{1,6});")


def unpaste(data: Any) -> str:
    """Text as the tool printed it, from text as people paste it.

    Undone, in order: the encoding (``decode``), HTML entities (``&gt;``, ``&nbsp;``: a page's or a mail's escaped
    text; no tool prints one), a BOM, look-alike spaces (NBSP) and smart quotes, CRLF/CR line
    ends, ``<br />`` at line ends or ``<br>`` leading most lines (Markdown rendered and copied back), ``> `` quoting (mail, Markdown;
    nested too) when every non-blank line has it, and the indentation common to the non-blank lines
    (a 4-space or tab code block), ignoring prompt lines (``$ nvidia-smi``) at the left margin, and a web
    page's rendering copied back (``- `` on every line, numbered lines, a trailing `` | |``), Markdown/HTML code
    marks (fences, ``<pre>``, a backtick span around a line) and per-process prefixes (Ray's ``(name pid=N)``, MPI's
    ``[1,0]<stdout>:``, torchrun's ``[rank0]:``), and a Markdown report's bold keys (``- **Name:** x``, two lines or more). Inner
    indentation (nvidia-smi -q's nesting) is kept. Idempotent: unpaste(unpaste(x)) == unpaste(x).
    """
    text = to_text(data)
    if "&" in text and _ENTITY.search(text[:1_000_000]):  # a page's or a mail's escaped text: "&lt;gpu&gt;", "-&gt;", "&nbsp;"
        for _ in range(10):  # escaped twice ("&amp;gt;") too: to a fixed point, so unpaste stays idempotent
            unescaped = html.unescape(text)
            if unescaped == text:
                break
            text = unescaped
    if _SPACE_RE.search(text[:1_000_000]):
        text = _SPACE_RE.sub(lambda m: _SPACES[m.group(0)], text)
    if text.count("#015") + text.count("#033[") >= 2:  # syslog's octal escapes of CR and ESC (SageMaker, journald)
        text = text.replace("#015", "\r").replace("#033[", "\x1b[")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if any("<br" in line[-12:].lower() for line in lines[:5000]):
        lines = [_BR_END.sub("", line) if "<br" in line[-12:].lower() else line for line in lines]
    led = sum(1 for line in lines[:5000] if line[:1] == "<" and _BR_START.match(line))
    if led >= 2 and led * 2 >= sum(1 for line in lines[:5000] if line.strip()):
        lines = [_BR_START.sub("", line) for line in lines]
    if _INLINE_CLOSE.search(text[:1_000_000]):  # a web page's colour / bold markup copied with the text
        lines = [_INLINE_TAG.sub("", line) if "<" in line else line for line in lines]
    for _ in range(8):  # quoting inside indentation inside quoting...: a level at a time, until nothing changes
        before = lines
        lines = _uncode(_unrender(_dedent(lines)))
        body = [line for line in lines if line.strip()]
        quoted = [line for line in body if _QUOTE.match(line)]
        # a prompt or a bare command above a quote: "nvidia-smi --query-gpu=..." then "> GPU, 2131" lines
        if quoted and all(_QUOTE.match(line) or is_prompt(line) or is_command(line) for line in body):
            lines = [_QUOTE.sub("", line, count=1) if _QUOTE.match(line) else line for line in lines]
        if lines == before:
            break
    # (after quoting, comment marks and indentation are undone: "> - **Name:** ..." too)
    if sum(1 for line in lines[:5000] if "**" in line[:90] and _BOLD_KEY.match(line)) >= 2:
        lines = [_BOLD_KEY.sub(r"\1\2: ", line, count=1) if "**" in line[:90] else line for line in lines]
    return "\n".join(lines)


LOG_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def terminal_lines(text: Any) -> List[str]:
    """Lines of a console log as the terminal finally showed them: CRLF, ``\\r`` redraws (each
    segment is a state of a progress bar), ANSI codes and backspaces undone, right-stripped; each
    line keeps its last ``MAX_LINE`` characters (what the terminal showed last), so a
    16,000-digit line costs what a normal one does."""
    text = to_text(text)  # bytes decoded (BOM, UTF-16), never their repr
    text = LOG_ANSI.sub("", text.replace("\r\n", "\n"))
    lines: List[str] = []
    for raw in text.split("\n"):
        for segment in raw.split("\r"):
            if "\b" in segment:
                segment = segment.replace("\b", "")
            lines.append(segment[-MAX_LINE:].rstrip())
    return lines


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


NGC_CUDA = re.compile(r"^\s*CUDA Version (\d+\.\d+(?:\.\d+)?)\s*$")


def container_cuda_version(lines: List[str]) -> Optional[str]:
    """The CUDA version an NVIDIA (NGC) container's start-up banner prints ("== CUDA ==" then "CUDA Version
    12.9.0"): the toolkit the tool inside it was built with; None without that banner."""
    for i, line in enumerate(lines[:200]):
        if line.strip() == "== CUDA ==":
            for nxt in lines[i + 1:i + 6]:
                m = NGC_CUDA.match(nxt)
                if m:
                    return m.group(1)
    return None


def last_nonblank(lines: List[str]) -> str:
    for line in reversed(lines):
        if line.strip():
            return line.strip()
    return ""


def whole(value: float) -> Optional[int]:
    """``int(round(value))``, or None for a figure no machine has (inf, nan: '1e999 MiB' in a paste)."""
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return int(round(value))


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
