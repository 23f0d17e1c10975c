"""bandwidthTest parser against recorded real outputs (tests/data/tools/bandwidthtest, see SOURCES.md)."""
from __future__ import annotations

import os

import pytest

from conftest import judged
from pytest_dlready.checks import tool_outputs as T
from pytest_dlready.parsers import bandwidthtest as bt

DATA = os.path.join(os.path.dirname(__file__), "data", "tools", "bandwidthtest")


def load(name: str) -> dict:
    with open(os.path.join(DATA, name), encoding="utf-8") as handle:
        return judged(bt._parse(handle.read()))


# file, result, device names, pinned (h2d, d2h, d2d), pageable (h2d, d2h, d2d) in GB/s, measurement count
CASES = [
    ("macos_gt750m_cuda5.5_mbs.txt", "PASS", ["GeForce GT 750M"], (1.566, 3.1826, 17.0745), None, 3),
    ("linux_t4_gbs_prompt.txt", "PASS", ["Tesla T4"], (9.7, 11.1, 239.6), None, 3),
    ("linux_v100_sxm2_gbs.txt", "PASS", ["Tesla V100-SXM2-16GB"], (9.6, 11.4, 739.8), None, 3),
    ("linux_a100_sxm4_gbs_tabs.txt", "PASS", ["NVIDIA A100-SXM4-40GB"], (12.3, 13.2, 1157.5), None, 3),
    ("linux_dgx_a100_vim_listchars_tabs.txt", "PASS", ["NVIDIA A100-SXM4-80GB"], (25.7, 25.8, None), None, 2),
    ("linux_a100_pcie_pinned_and_pageable_two_runs.txt", "PASS", ["NVIDIA A100 80GB PCIe"],
     (17.3, 24.6, None), (3.3, 8.5, None), 4),
    ("laptop_gtx1660ti_maxq_pageable_mbs.txt", "PASS", ["NVIDIA GeForce GTX 1660 Ti with Max-Q Design"],
     None, (3.2153, 2.998, 26.7043), 3),
    ("linux_v100_pcie_shmoo_csv_h2d.txt", "PASS", ["Tesla V100-PCIE-32GB"], (12.4, None, None), None, 81),
    ("hpc_a100_range_mode_two_clusters.txt", None, [], (25.8, 25.7, 1251.4), None, 24),
]


def triple(row):
    return None if row is None else (row["h2d_gbps"], row["d2h_gbps"], row["d2d_gbps"])


@pytest.mark.parametrize("name,result,devices,pinned,pageable,count", CASES, ids=[c[0] for c in CASES])
def test_recorded_outputs(name, result, devices, pinned, pageable, count):
    parsed = load(name)
    assert parsed["kind"] == "bandwidthTest"
    assert parsed["result"] == result
    assert [d["name"] for d in parsed["devices"]] == devices
    assert len(parsed["measurements"]) == count
    got_pinned = triple(parsed["summary"].get("pinned"))
    got_pageable = triple(parsed["summary"].get("pageable"))
    assert got_pinned == (pytest.approx(pinned) if pinned else None)
    assert got_pageable == (pytest.approx(pageable) if pageable else None)


def test_unit_comes_from_the_header_and_sizes_differ_by_version():
    old = load("macos_gt750m_cuda5.5_mbs.txt")["measurements"][0]
    new = load("linux_t4_gbs_prompt.txt")["measurements"][0]
    assert (old["size_bytes"], old["source_unit"], old["gbps"]) == (33554432, "MB/s", pytest.approx(1.566))
    assert (new["size_bytes"], new["source_unit"], new["gbps"]) == (32000000, "GB/s", pytest.approx(9.7))
    assert load("linux_a100_sxm4_gbs_tabs.txt")["pinned"]["d2d_gbps"] == pytest.approx(1157.5)


def test_csv_shmoo_lines():
    parsed = load("linux_v100_pcie_shmoo_csv_h2d.txt")
    first, last = parsed["measurements"][0], parsed["measurements"][-1]
    assert (first["direction"], first["memory"], first["size_bytes"], first["gbps"], first["devices_used"]) == ("H2D", "pinned", 1000, 0.4, 1)
    assert (last["size_bytes"], last["gbps"], last["seconds"]) == (68000000, 12.4, pytest.approx(0.00549))
    assert parsed["mode"] == "shmoo" and all(m["format"] == "csv" for m in parsed["measurements"])


def test_csv_megabytes_and_paged_memory():
    line = "bandwidthTest-D2H-Paged, Bandwidth = 2998.0 MB/s, Time = 0.01119 s, Size = 33554432 bytes, NumDevsUsed = 1"
    [m] = bt._parse(line + "\nResult = PASS\n")["measurements"]
    assert (m["direction"], m["memory"], m["gbps"], m["size_bytes"]) == ("D2H", "pageable", pytest.approx(2.998), 33554432)


def test_slow_pinned_link_warns_for_the_gt750m():
    parsed = load("macos_gt750m_cuda5.5_mbs.txt")
    slow = [f for f in parsed["findings"] if f["code"] == T.BW_SLOW_LINK]
    assert len(slow) == 1 and "1.57 GB/s" in slow[0]["message"] and slow[0]["status"] == "warn"
    assert not any(f["code"] == T.BW_SLOW_LINK for f in load("linux_t4_gbs_prompt.txt")["findings"])


def test_truncated_and_separator_lines():
    parsed = load("hpc_a100_range_mode_two_clusters.txt")
    assert parsed["truncated"] and any(f["code"] == "DLR-PARSE-TRUNCATED" for f in parsed["findings"])
    assert parsed["unread"] == ["============= DELLA ============="]
    assert [m["size_bytes"] for m in parsed["measurements"][:4]] == [1000000, 10000000, 100000000, 1000000000]


def test_prompt_between_two_runs_is_not_unread():
    parsed = load("linux_a100_pcie_pinned_and_pageable_two_runs.txt")
    assert parsed["unread"] == [] and parsed["runs"] == 2


def test_result_fail_and_empty_output():
    assert any(f["code"] == "DLR-DEV-SAMPLE-FAIL" for f in judged(bt._parse("[CUDA Bandwidth Test] - Starting...\nResult = FAIL\n"))["findings"])
    empty = judged(bt._parse("[CUDA Bandwidth Test] - Starting...\nRunning on...\n"))
    assert {f["code"] for f in empty["findings"]} >= {"DLR-PARSE-TRUNCATED", T.BW_NO_MEASUREMENT}
