"""Find the legacy environments ``scripts/make-legacy-envs`` built, and say why one is missing.

The seeds' stacks (gnumpy + nolearn 0.5 on Python 2.7, Keras 2 on Theano/CNTK/TF 1.x) only
live in their own interpreters, so the runner cannot import them: it runs the legacy
workload scripts with each environment's python. This module reads the manifest
(``dlready-env.json``) the builder writes last in each environment and returns plain
dicts ``{name, python, backends, notes, env, ...}`` for the ones that are usable. It only
reads files (no subprocess): whether a backend *works* is what the workload run shows.

The location is ``$DLREADY_LEGACY_ENVS``, else ``.legacy-envs/`` at the repository root
(next to the package), else ``.legacy-envs/`` in the current directory.
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Mapping, Optional, Tuple

MANIFEST = "dlready-env.json"
STAMP = ".dlready-stamp"
ENV_VAR = "DLREADY_LEGACY_ENVS"
BUILDER = "scripts/make-legacy-envs"

#: Environments the builder knows, with the interpreter each needs (for skip reasons).
KNOWN = {
    "py27-dbn": "2.7",
    "py36-cntk": "3.6",
    "py37-keras2": "3.7",
}

#: Variables whose value is a search path: the environment's entries go first, the caller's stay.
PATH_VARS = ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "PATH", "PYTHONPATH")


def default_root(environ: Optional[Mapping[str, str]] = None) -> str:
    """Where the environments are looked for (see the module docstring)."""
    environ = os.environ if environ is None else environ
    if environ.get(ENV_VAR):
        return os.path.abspath(environ[ENV_VAR])
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    beside_package = os.path.join(repo, ".legacy-envs")
    if os.path.isdir(beside_package):
        return beside_package
    return os.path.abspath(".legacy-envs")


def parse_manifest(data: Any, env_dir: str = "") -> Tuple[Optional[Dict[str, Any]], str]:
    """A manifest's JSON -> (normalised record, "") or (None, why it is unusable); never raises."""
    if not isinstance(data, Mapping):
        return None, "manifest is not a JSON object"
    name = data.get("name")
    python = data.get("python")
    if not isinstance(name, str) or not name:
        return None, "manifest has no environment name"
    if not isinstance(python, str) or not python:
        return None, "manifest of %s names no python" % name
    backends_raw = data.get("backends")
    backends: Dict[str, str] = {}
    if isinstance(backends_raw, Mapping):
        backends = {str(k): str(v) for k, v in backends_raw.items() if isinstance(k, str)}
    elif isinstance(backends_raw, (list, tuple)):
        backends = {str(b): "" for b in backends_raw if isinstance(b, str)}
    env_raw = data.get("env")
    env = {str(k): str(v) for k, v in env_raw.items()} if isinstance(env_raw, Mapping) else {}
    notes_raw = data.get("notes")
    notes = [str(n) for n in notes_raw] if isinstance(notes_raw, (list, tuple)) else []
    signals_raw = data.get("import_signals")
    signals = [str(s) for s in signals_raw] if isinstance(signals_raw, (list, tuple)) else []
    record = {
        "name": name,
        "python": python,
        "python_version": str(data.get("python_version") or ""),
        "backends": backends,
        "notes": notes,
        "env": env,
        "import_signals": signals,
        "stamp": str(data.get("stamp") or ""),
        "path": env_dir,
    }
    return record, ""


def load_env(env_dir: str) -> Tuple[Optional[Dict[str, Any]], str]:
    """One environment folder -> (record, "") or (None, the reason it cannot be used)."""
    name = os.path.basename(os.path.normpath(env_dir))
    rebuild = "rebuild it with %s --only %s" % (BUILDER, name)
    manifest_path = os.path.join(env_dir, MANIFEST)
    if not os.path.isfile(os.path.join(env_dir, STAMP)) or not os.path.isfile(manifest_path):
        return None, "legacy environment %s is incomplete (a build failed or is running); %s" % (name, rebuild)
    try:
        with open(manifest_path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        return None, "legacy environment %s has an unreadable manifest (%s); %s" % (name, type(exc).__name__, rebuild)
    record, why = parse_manifest(data, env_dir)
    if record is None:
        return None, "legacy environment %s: %s; %s" % (name, why, rebuild)
    if not os.access(record["python"], os.X_OK):
        # a virtualenv's python links to its base interpreter: removing pyenv's version breaks it
        return None, "legacy environment %s: %s is missing or not executable; %s" % (name, record["python"], rebuild)
    return record, ""


def scan(root: Optional[str] = None) -> Tuple[List[Dict[str, Any]], Dict[str, str]]:
    """(usable environments sorted by name, {name: reason} for the unusable ones)."""
    root = default_root() if root is None else root
    usable: List[Dict[str, Any]] = []
    problems: Dict[str, str] = {}
    try:
        entries = sorted(os.listdir(root))
    except OSError:
        return usable, problems
    for entry in entries:
        env_dir = os.path.join(root, entry)
        if entry.startswith(("_", ".")) or entry == "logs" or not os.path.isdir(env_dir):
            continue
        record, why = load_env(env_dir)
        if record is not None:
            usable.append(record)
        else:
            problems[entry] = why
    return usable, problems


def find_envs(root: Optional[str] = None) -> List[Dict[str, Any]]:
    """Every usable legacy environment: dicts with name, python, backends, notes, env, path."""
    return scan(root)[0]


def find_env(name: str, root: Optional[str] = None) -> Optional[Dict[str, Any]]:
    """The usable environment called ``name``, or None (see :func:`missing_reason`)."""
    root = default_root() if root is None else root
    record, _ = load_env(os.path.join(root, name))
    return record


def missing_reason(name: str, root: Optional[str] = None) -> str:
    """One sentence saying why environment ``name`` is not usable and what to run; "" if it is."""
    root = default_root() if root is None else root
    env_dir = os.path.join(root, name)
    if not os.path.isdir(env_dir):
        version = KNOWN.get(name)
        need = " (needs a Python %s interpreter, e.g. pyenv install %s)" % (
            version, {"2.7": "2.7.18", "3.6": "3.6.15", "3.7": "3.7.16"}.get(version, version)) if version else ""
        return "legacy environment %s is not built in %s; run %s --only %s%s" % (name, root, BUILDER, name, need)
    record, why = load_env(env_dir)
    return "" if record is not None else why


def run_env(record: Mapping[str, Any], base: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The process environment to run ``record``'s python with: base + the env's variables.

    Search-path variables (LD_LIBRARY_PATH for CNTK's MPI sonames) are prepended to the
    caller's value rather than replacing it; PYTHONPATH and PYTHONHOME are dropped from
    the base so the project's Python 3 paths cannot leak into a Python 2.7 environment.
    """
    out = dict(os.environ if base is None else base)
    for var in ("PYTHONPATH", "PYTHONHOME"):
        out.pop(var, None)
    extra = record.get("env") if isinstance(record, Mapping) else None
    for key, value in (extra.items() if isinstance(extra, Mapping) else ()):
        key, value = str(key), str(value)
        if key in PATH_VARS and out.get(key):
            out[key] = value + os.pathsep + out[key]
        else:
            out[key] = value
    return out
