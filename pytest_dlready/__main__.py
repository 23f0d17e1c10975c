"""``python -m pytest_dlready <command>`` / ``dlready <command>``: small subcommand dispatcher.

Each subcommand lives in its own module and is imported only when asked for, so a
command's import cost (or a broken install of it) touches only that command.
"""
from __future__ import annotations

import importlib
import sys
from typing import Optional, Sequence

COMMANDS = {
    "parse": ("pytest_dlready.cli.parse", "identify and parse saved tool outputs / logs, print JSON"),
    "merge": ("pytest_dlready.reports.fleet", "merge several machines' reports"),
    "replay": ("pytest_dlready.cli.replay", "judge a recorded case (bundled name or case file), print the verdict as JSON"),
}


def _usage() -> str:
    lines = ["usage: python -m pytest_dlready <command> [args...]", "", "commands:"]
    lines += [f"  {name:<8} {help_text}" for name, (_module, help_text) in COMMANDS.items()]
    return "\n".join(lines) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        sys.stdout.write(_usage())
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        sys.stderr.write(f"unknown command {name!r}\n" + _usage())
        return 2
    module_name = COMMANDS[name][0]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        sys.stderr.write(f"the '{name}' command is not available in this installation ({module_name}: {exc})\n")
        return 2
    return int(module.main(rest) or 0)


def run() -> int:
    """``main`` for a console: a reader that stops early (``| head -1``) ends the output quietly."""
    try:
        code = main()
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # the reader is gone: point stdout at devnull so the interpreter's final flush cannot fail too
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(run())
