"""Golden outputs: the readiness table, the JSON report and `parse` of every recorded input.

Guards restructurings that must not change behaviour. For every recorded facts snapshot in
tests/data/facts and every bundled replay case, ``pytest --dlready`` is run as a user runs it
(a subprocess, fixed width) and its table and JSON report are compared with the files in
tests/data/golden/; every recorded tool output and log is parsed and compared the same way.

A deliberate change of behaviour regenerates them, and the diff is the review:

    DLREADY_REGEN_GOLDEN=1 python -m pytest tests/test_golden.py

Retired finding codes compare equal to the code that replaced them (``catalogue.canonical``),
in code fields and where a message quotes one, so saved reports keep reading after codes merge.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import DATA

GOLDEN = os.path.join(DATA, "golden")
REGEN = bool(os.environ.get("DLREADY_REGEN_GOLDEN"))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = os.path.join(ROOT, "pytest_dlready", "cases")

FACTS = sorted(n for n in os.listdir(os.path.join(DATA, "facts")) if n.endswith(".json"))
#: (golden name, extra pytest arguments)
RUNS = [(f"facts-{n[:-5]}", [f"--dlready-facts={os.path.join(DATA, 'facts', n)}", "-k", "not test_training"]) for n in FACTS]
RUNS += [
    ("facts-linux-a40x10-driver550-require-gpu",
     [f"--dlready-facts={os.path.join(DATA, 'facts', 'linux-a40x10-driver550.json')}", "-k", "not test_training",
      "--dlready-require-gpu", "--dlready-min-gpus=2", "--dlready-min-compute=8.0"]),
    ("replay-gt750m-dbn", ["--dlready-replay=gt750m-dbn"]),
    ("replay-titanx-keras-mnist", ["--dlready-replay=titanx-keras-mnist"]),
    ("replay-dlwin-toolchain-traps", ["--dlready-replay=dlwin-toolchain-traps"]),
    ("replay-titanx-keras-mnist-min4", ["--dlready-replay=titanx-keras-mnist", "--dlready-min-speedup=4"]),
]

CODE = re.compile(r"DLR-[A-Z0-9]+(?:-[A-Z0-9]+)*")


def _canonical(value):
    """Codes through the catalogue's aliases, recursively (strings that are exactly a code)."""
    from pytest_dlready import catalogue

    resolve = getattr(catalogue, "canonical", lambda c: c)
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, str) and "DLR-" in value:  # a code, or a message quoting one ("cause [DLR-...]")
        return CODE.sub(lambda m: resolve(m.group(0)), value)
    return value


def _scrub(text: str) -> str:
    return text.replace(DATA, "<DATA>").replace(CASES, "<CASES>").replace(ROOT, "<ROOT>")


def _report(doc: dict) -> dict:
    doc = json.loads(_scrub(json.dumps(doc)))
    doc.pop("created", None)
    doc.pop("dlready_version", None)
    return _canonical(doc)


def _table(output: str) -> str:
    lines = output.splitlines()
    start = next(i for i, ln in enumerate(lines) if "dlready readiness" in ln)
    end = next(i for i in range(len(lines) - 1, -1, -1) if lines[i].startswith("dlready: "))
    return _scrub("\n".join(lines[start:end + 1])) + "\n"


def _check(name: str, actual, expected_path: str, as_json: bool) -> None:
    if REGEN or not os.path.exists(expected_path):
        os.makedirs(os.path.dirname(expected_path), exist_ok=True)
        with open(expected_path, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(actual, indent=1, sort_keys=True, ensure_ascii=False) + "\n" if as_json else actual)
        if not REGEN:
            pytest.fail(f"{expected_path} did not exist and was written; check it in")
        return
    with open(expected_path, encoding="utf-8") as fh:
        expected = json.load(fh) if as_json else fh.read()
    if as_json:
        expected = _canonical(expected)
    assert actual == expected, f"{name} changed; if deliberate, regenerate (see this module's docstring)"


@pytest.mark.parametrize("name,args", RUNS, ids=[r[0] for r in RUNS])
def test_table_and_report_unchanged(name, args, tmp_path):
    out = tmp_path / "report.json"
    env = dict(os.environ, COLUMNS="120", LINES="50")
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("GITHUB_STEP_SUMMARY", None)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--dlready", f"--dlready-json={out}",
                           *args], cwd=str(tmp_path), capture_output=True, text=True, timeout=300, env=env)
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    doc = json.loads(out.read_text())
    _check(name, _table(proc.stdout), os.path.join(GOLDEN, name + ".table.txt"), as_json=False)
    _check(name, _report(doc), os.path.join(GOLDEN, name + ".report.json"), as_json=True)
    _check(name, {"exit": proc.returncode}, os.path.join(GOLDEN, name + ".exit.json"), as_json=True)


def _recorded_inputs():
    out = []
    for top in ("tools", "logs"):
        for folder, _dirs, files in os.walk(os.path.join(DATA, top)):
            for fname in files:
                if fname.endswith((".md", ".py")):
                    continue
                out.append(os.path.relpath(os.path.join(folder, fname), DATA))
    return sorted(out)


def test_parse_of_every_recorded_input_unchanged(capsys):
    from pytest_dlready.__main__ import main

    inputs = _recorded_inputs()
    main(["parse", "--jsonl"] + [os.path.join(DATA, rel) for rel in inputs])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(inputs)
    results = {}
    for rel, line in zip(inputs, lines):
        entry = json.loads(line)
        entry["file"] = rel
        results[rel] = entry
    _check("parse", _canonical(json.loads(_scrub(json.dumps(results)))), os.path.join(GOLDEN, "parse.json"), as_json=True)
