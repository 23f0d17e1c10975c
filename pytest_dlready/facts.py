"""The facts snapshot: everything probes saw, as one versioned JSON document.

A snapshot is what makes checks testable and re-judgeable: save it on a MacBook, load
it on a Linux CI box, and the same checks give the same findings. Writing is atomic
(temp file + rename) so Ctrl-C never leaves half a snapshot; reading says exactly
what is wrong with a file instead of raising a bare JSON error.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from typing import Any, List, Mapping, MutableMapping, Optional

from . import __version__

SCHEMA = "pytest-dlready/facts"
SCHEMA_VERSION = 1

Facts = MutableMapping[str, Any]


class SnapshotError(Exception):
    """A facts file that cannot be used; the message names the file and the fix."""


def new_snapshot() -> Facts:
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "dlready_version": __version__,
        "source": "probed",
    }


def lookup(facts: Mapping[str, Any], dotted: str, default: Any = None) -> Any:
    """``lookup(facts, "driver.nvml.driver_version")`` without KeyErrors on missing parts."""
    node: Any = facts
    for part in dotted.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return default
    return node


#: the name of ``lookup`` before 0.2 (conftests of other projects may call it)
get = lookup


def untrusted(path: str) -> str:
    """Why ``path`` may not be trusted to name programs we run ("" if it may): as ssh judges its keys,
    it must belong to this user (or root) and be writable by nobody else."""
    if not hasattr(os, "getuid"):
        return ""
    try:
        st = os.stat(path)
    except OSError as exc:
        return "cannot read %s (%s)" % (path, exc.strerror or exc)
    if st.st_uid not in (os.getuid(), 0):
        return "%s belongs to uid %d, not to this user (uid %d)" % (path, st.st_uid, os.getuid())
    if st.st_mode & 0o022:
        return "%s is writable by %s" % (path, "others" if st.st_mode & 0o002 else "its group")
    return ""


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` so readers see the old file or the new one, never half.

    The folder must exist: a mistyped report path is an error, not a new folder tree.
    """
    directory = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(directory):
        raise FileNotFoundError(2, "no such folder", directory)
    fd, tmp = tempfile.mkstemp(prefix=".dlready-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file 0600; a report or snapshot should be readable like any file the user writes
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def dumps(facts: Mapping[str, Any]) -> str:
    return json.dumps(facts, indent=2, sort_keys=True, default=str) + "\n"


def save(facts: Mapping[str, Any], path: str) -> None:
    atomic_write_text(path, dumps(facts))


def validate(data: Any, where: str = "snapshot") -> Facts:
    """Check a loaded document is a snapshot this version can judge."""
    if not isinstance(data, dict):
        raise SnapshotError(f"{where}: not a pytest-dlready facts snapshot (top level is {type(data).__name__}, expected an object)")
    if data.get("schema") != SCHEMA:
        raise SnapshotError(
            f"{where}: not a pytest-dlready facts snapshot (schema is {data.get('schema')!r}, expected {SCHEMA!r}); "
            "create one with `pytest --dlready --dlready-save-facts=PATH`"
        )
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise SnapshotError(f"{where}: schema_version is {version!r}, expected an integer")
    if version > SCHEMA_VERSION:
        raise SnapshotError(
            f"{where}: snapshot schema_version {version} is newer than this pytest-dlready "
            f"({__version__}, schema {SCHEMA_VERSION}); upgrade with `pip install -U pytest-dlready`"
        )
    if version < 1:
        raise SnapshotError(f"{where}: snapshot schema_version {version} is older than any supported (1)")
    return data


def read_json(path: str, what: str, error: type = None, hint: str = "") -> Any:
    """Parse the JSON file ``path`` or raise ``error`` (default SnapshotError) saying what is wrong with it.

    Shared by snapshots and ``merge``'s reports: unreadable, not text, truncated or too deeply
    nested files all get one sentence that names the file; the file itself is never touched.
    """
    error = error or SnapshotError
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise error(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not a text file ({exc.reason} at byte {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{path}: corrupt {what} (invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg})"
                    + (f"; {hint}" if hint else "")) from None
    except RecursionError:
        raise error(f"{path}: JSON nested too deeply to be a {what}") from None


def load(path: str) -> Facts:
    data = read_json(path, "facts snapshot", hint="was it truncated? save it again with --dlready-save-facts")
    facts = validate(data, where=path)
    facts["source"] = f"loaded from {path}"
    return facts


def host_os(facts: Mapping[str, Any]) -> Optional[str]:
    """``linux`` / ``macos`` / ``windows`` as recorded (markers judge by this, not sys.platform)."""
    return lookup(facts, "host.os")


def gpu_list(facts: Mapping[str, Any]) -> List[Mapping[str, Any]]:
    """The snapshot's GPUs (``devices.gpus``), tolerating a damaged section."""
    gpus = lookup(facts, "devices.gpus", [])
    return [g for g in gpus if isinstance(g, Mapping)] if isinstance(gpus, list) else []


def describe_gpu(gpu: Mapping[str, Any]) -> str:
    """``GeForce GT 750M 3.0``: a GPU by name and compute capability."""
    name = gpu.get("name") or "unnamed GPU"
    cc = gpu.get("compute_capability")
    return f"{name} {cc}" if cc else str(name)
