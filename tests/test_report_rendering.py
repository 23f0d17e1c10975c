"""Renderers only render, and render safely: no escape from facts reaches a terminal or CI log,
labels stay distinct at any width, one root cause is one row."""
from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from pytest_dlready.reports import github, terminal

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def test_an_osc_title_sequence_from_a_snapshot_never_reaches_the_table():
    rows = [{"check": "operating system\x1b]0;owned\x07", "status": "pass",
             "message": "Debian \x1b[2J\x1b[H12\x9b31m", "fix": ""}]
    text = "\n".join(terminal.table_lines(rows, 100))
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "operating system" in text and "Debian 12" in text
    assert "\x1b" not in github.cell("a\x1b]0;x\x07b") and github.cell("a\x1b]0;x\x07b") == "ab"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.fixed_dictionaries({"check": st.text(max_size=60), "status": st.sampled_from(["pass", "fail", "warn", "skip"]),
                                       "message": st.text(max_size=300), "fix": st.text(max_size=80)}),
                min_size=1, max_size=6),
       st.integers(20, 200))
def test_terminal_and_github_output_hold_no_control_characters(rows, width):
    for line in terminal.table_lines(rows, width) + terminal.table_lines(rows, width, compact=True):
        assert not CONTROL.search(line), repr(line)
    for row in rows:
        assert not CONTROL.search(github.cell(row["message"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.from_regex(r"training [a-z0-9-]{1,12}\[[a-z0-9+-]{1,24}, (cpu|gpu)\]", fullmatch=True),
                min_size=2, max_size=6, unique=True), st.integers(40, 160))
def test_labels_stay_distinct_at_any_width(labels, width):
    rows = [{"check": lb, "status": "pass", "message": "m"} for lb in labels]
    lines = terminal.table_lines(rows, width)
    check_w = lines[0].index("  PASS  ")
    shown, block = [], None
    for ln in lines:
        if ln[check_w:check_w + 8] == "  PASS  ":
            block = []
            shown.append(block)
        block.append(ln[:check_w].strip())
    # every label comes back whole from its column (wrapped, never cut), so all stay distinct
    assert ["".join(b).replace(" ", "") for b in shown] == [lb.replace(" ", "") for lb in labels]


def test_real_labels_at_80_columns_are_distinct():
    labels = ["training mnist-cnn[keras-tensorflow, cpu]", "training mnist-cnn[keras-torch, cpu]",
              "training mnist-cnn[keras2-theano, cpu]", "training mnist-cnn[keras2-theano+cudnn, cpu]",
              "training mnist-cnn[keras2-cntk, cpu]", "training mnist-cnn[keras2-tensorflow1, cpu]"]
    lines = terminal.table_lines([{"check": lb, "status": "skip", "message": "x"} for lb in labels], 80)
    firsts = [ln for ln in lines if "SKIP" in ln]
    blocks, current = [], []
    for ln in lines:
        if "SKIP" in ln and current:
            blocks.append(current)
            current = []
        current.append(ln)
    blocks.append(current)
    shown = [" ".join(ln.split("SKIP")[0].strip() if "SKIP" in ln else ln.strip() for ln in b) for b in blocks]
    assert len(set(shown)) == len(labels) == len(firsts), shown


def test_one_root_cause_is_one_row_and_other_platform_skips_hide_unless_verbose():
    rows = [{"check": "GPU devices", "status": "skip", "message": "no GPU: no NVIDIA driver"},
            {"check": "macos energy settings", "status": "skip", "message": "runs on macos only; this snapshot is linux"}]
    rows += [{"check": name, "status": "skip", "message": "no GPU found (see the GPU devices row)"}
             for name in ("compute capability", "bandwidth", "PCIe link", "display")]
    folded = terminal.fold(rows)
    assert [r["check"] for r in folded] == ["GPU devices", "4 GPU checks"]
    assert folded[1]["message"] == ("no GPU found (see the GPU devices row): compute capability, bandwidth, "
                                    "PCIe link, display")
    assert terminal.fold(rows, verbose=1) == rows


def test_quiet_table_prints_each_failure_once_in_one_line():
    rows = [{"check": "NVIDIA driver", "status": "fail", "message": "no NVIDIA driver " * 20, "fix": "install it"}]
    lines = terminal.table_lines(rows, 80, compact=True)
    assert len(lines) == 1 and lines[0].endswith("…") and "fix:" not in lines[0]


def test_quiet_table_keeps_a_long_label_on_its_row():
    """A wrapped label's second line read as a row of its own ('speedup' / 'dbn-mnist[pyopencl]')."""
    rows = [{"check": "speedup dbn-mnist[pyopencl] against numpy", "status": "warn",
             "message": "stand-in, not a GPU: pthread-skylake-avx512 is slower than numpy " * 3}]
    lines = terminal.table_lines(rows, 70, compact=True)
    assert len(lines) == 1 and lines[0].startswith("speedup dbn-mnist[pyopencl] against numpy  WARN  stand-in")
    assert lines[0].endswith("…") and len(lines[0]) <= 70


def test_the_toolkit_clause_does_not_read_as_another_failure():
    line = terminal.verdict_line({"status": "NOT READY", "reasons": ["numpy is not installed", "no NVIDIA driver"],
                                  "driver_missing": True}, {"cuda": {"toolkit_version": "13.0"}})
    assert line == ("dlready: NOT READY — numpy is not installed; no NVIDIA driver (the CUDA toolkit 13.0 is "
                    "installed; without a driver it cannot reach a GPU)")
