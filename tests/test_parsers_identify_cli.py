"""Identification of every recorded output, and the ``python -m pytest_dlready parse`` command (subprocess)."""
from __future__ import annotations

import glob
import json
import os
import subprocess
import sys

import pytest

from pytest_dlready.checks import tool_outputs
from pytest_dlready.parsers import identify

DATA = os.path.join(os.path.dirname(__file__), "data", "tools")
FILES = sorted(p for p in glob.glob(os.path.join(DATA, "*", "*.txt")))
EXPECTED_KIND = {"devicequery": "deviceQuery", "bandwidthtest": "bandwidthTest", "nvidia_smi": "nvidia-smi", "nvcc": "nvcc"}


def expected_kind(path: str) -> str:
    folder, name = os.path.basename(os.path.dirname(path)), os.path.basename(path)
    if folder == "macos":
        return name.split("_")[0].replace("system", "system_profiler")
    return EXPECTED_KIND[folder]


def test_corpus_size():
    count = lambda folder: len(glob.glob(os.path.join(DATA, folder, "*.txt")))  # noqa: E731
    assert count("devicequery") >= 12 and count("bandwidthtest") >= 8 and count("nvidia_smi") >= 6 and count("nvcc") >= 3


@pytest.mark.parametrize("path", FILES, ids=[os.path.relpath(p, DATA) for p in FILES])
def test_every_recorded_output_is_identified(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    kind, confidence = identify.identify(text)
    assert kind == expected_kind(path) and confidence >= identify.THRESHOLD
    result = tool_outputs.read(text)
    assert result["kind"] == kind and isinstance(result["findings"], list)


def test_logs_module_is_registered_when_importable():
    found, missing = identify.parsers()
    kinds = [k for k, _d, _p in found]
    assert "training-log" in kinds or "training-log" in missing


def test_unknown_text_is_a_finding_not_an_error():
    result = tool_outputs.read("just some words\nnothing to see\n")
    assert result["kind"] == "unknown"
    assert result["findings"][0]["code"] == "DLR-PARSE-UNKNOWN" and "just some words" in result["findings"][0]["message"]


def run_cli(*args: str, stdin: str = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest_dlready", "parse", *args], capture_output=True, text=True,
                          input=stdin, timeout=120, cwd=os.path.dirname(DATA))


def test_cli_single_file_json():
    proc = run_cli(os.path.join(DATA, "devicequery", "macos_gt750m_cuda5.5_indented_paste.txt"))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["kind"], doc["result"], doc["devices"][0]["compute_capability"], doc["identified"]) == ("deviceQuery", "PASS", "3.0", True)
    assert {f["code"] for f in doc["findings"]} == {"DLR-GPU-DISPLAY", "DLR-DQ-OK"}


def test_cli_several_files_and_unknown_exit_2(tmp_path):
    junk = tmp_path / "junk.txt"
    junk.write_text("lorem ipsum\n")
    proc = run_cli(os.path.join(DATA, "nvcc", "linux_cuda13.0_this_machine.txt"), str(junk), str(tmp_path / "missing.txt"))
    assert proc.returncode == 2
    docs = json.loads(proc.stdout)
    assert [d["kind"] for d in docs] == ["nvcc", "unknown", "unreadable"]
    assert docs[0]["version"] == "13.0.88"
    assert "junk.txt" in proc.stderr and "missing.txt" in proc.stderr


def test_cli_stdin_jsonl_and_strict():
    with open(os.path.join(DATA, "devicequery", "macos_cuda9.1_error35_indented.txt"), encoding="utf-8") as handle:
        text = handle.read()
    proc = run_cli("-", "--jsonl", stdin=text)
    assert proc.returncode == 0
    line = json.loads(proc.stdout.splitlines()[0])
    assert line["error"]["name"] == "cudaErrorInsufficientDriver"
    assert run_cli("-", "--strict", stdin=text).returncode == 1


def test_cli_forced_kind():
    proc = run_cli("--kind", "pmset", os.path.join(DATA, "macos", "pmset_g_annotated_paste.txt"))
    assert proc.returncode == 0 and json.loads(proc.stdout)["gpuswitch"] == 2


def test_main_dispatcher_unknown_command():
    proc = subprocess.run([sys.executable, "-m", "pytest_dlready", "nope"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "unknown command" in proc.stderr
