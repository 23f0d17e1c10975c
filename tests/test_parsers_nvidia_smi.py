"""nvidia-smi parser (table, -q, --query-gpu csv, failures) against recorded real outputs."""
from __future__ import annotations

import os

import pytest

from conftest import judged
from pytest_dlready.checks import tool_outputs as T
from pytest_dlready.parsers import nvidia_smi as smi

DATA = os.path.join(os.path.dirname(__file__), "data", "tools", "nvidia_smi")


def load(name: str) -> dict:
    with open(os.path.join(DATA, name), encoding="utf-8") as handle:
        return judged(smi._parse(handle.read()))


# file, format, driver, cuda, gpu count, first gpu (name, total MiB, used MiB, pstate)
CASES = [
    ("table_a40x10_550.txt", "table", "550.127.05", "12.4", 10, ("NVIDIA A40", 46068, 1, "P8")),
    ("table_t4x2_450_host.txt", "table", "450.51.05", "11.0", 2, ("Tesla T4", 15109, 0, "P8")),
    ("table_m2070_390_elided_paste.txt", "table", "390.116", None, 2, (None, 5301, 137, "P12")),
    ("q_rtx4070_laptop_wddm_566.txt", "query", "566.36", "12.7", 1, ("NVIDIA GeForce RTX 4070 Laptop GPU", 8188, 0, "P8")),
    ("csv_rtx4060_laptop_na.txt", "csv", "566.26", None, 1, ("NVIDIA GeForce RTX 4060 Laptop GPU", 8188, 1048, None)),
    ("csv_rtx4050_laptop_compute_cap.txt", "csv", "592.82", None, 1, ("NVIDIA GeForce RTX 4050 Laptop GPU", 6141, 0, None)),
    ("csv_2x_rtx_a6000_indented.txt", "csv", None, None, 2, ("NVIDIA RTX A6000", 49140, 35, None)),
    ("csv_quadro_rtx4000_pstate_commented.txt", "csv", None, None, 1, ("Quadro RTX 4000", 8192, 4644, "P0")),
    ("failed_no_driver.txt", "error", None, None, 0, None),
]


@pytest.mark.parametrize("name,fmt,driver,cuda,count,first", CASES, ids=[c[0] for c in CASES])
def test_recorded_outputs(name, fmt, driver, cuda, count, first):
    parsed = load(name)
    assert parsed["kind"] == "nvidia-smi" and parsed["format"] == fmt
    assert (parsed["driver_version"], parsed["cuda_version"], len(parsed["gpus"])) == (driver, cuda, count)
    if first:
        g = parsed["gpus"][0]
        assert (g["name"], g["memory_total_mib"], g["memory_used_mib"], g["pstate"]) == first


def test_table_row_details():
    a40 = load("table_a40x10_550.txt")
    g9 = a40["gpus"][9]
    assert (g9["index"], g9["bus_id"], g9["persistence_mode"], g9["display_active"], g9["power_draw_w"], g9["power_limit_w"]) == \
        (9, "00000000:D6:00.0", True, False, 16.0, 300.0)
    assert a40["processes"] == [] and a40["gpus"][0]["compute_mode"] == "Default"
    m2070 = load("table_m2070_390_elided_paste.txt")
    assert (m2070["gpus"][1]["index"], m2070["gpus"][1]["name"]) == (7, "Tesla M2070")


def test_query_details():
    g = load("q_rtx4070_laptop_wddm_566.txt")["gpus"][0]
    assert g["pcie"] == {"gen_current": 4, "gen_max": 4, "width_current": 8, "width_max": 8}
    assert g["throttle_reasons"] == ["Idle"]                      # "Clocks Event Reasons" block
    assert (g["persistence_mode"], g["display_active"], g["display_mode"]) == (True, False, False)
    assert (g["driver_model"], g["compute_mode"], g["temperature_c"], g["power_draw_w"]) == ("WDDM", "Default", 42, 1.97)


def test_csv_details():
    g = load("csv_rtx4050_laptop_compute_cap.txt")["gpus"][0]
    assert g["compute_cap"] == "8.9"
    g = load("csv_rtx4060_laptop_na.txt")["gpus"][0]
    assert (g["temperature_c"], g["power_draw_w"], g["power_limit_w"]) == (39, 5.37, None)   # "[N/A]"
    q = load("csv_quadro_rtx4000_pstate_commented.txt")["gpus"][0]
    assert (q["utilization_gpu_pct"], q["temperature_c"]) == (78, 71)


def test_driver_failure_is_fail():
    parsed = load("failed_no_driver.txt")
    assert parsed["error"]["name"] == "no-driver"
    [f] = parsed["findings"]
    assert (f["status"], f["code"]) == ("fail", "DLR-DRIVER-MISSING")


@pytest.mark.parametrize("text,code", [
    ("Failed to initialize NVML: Driver/library version mismatch\n", T.SMI_MISMATCH),
    ("No devices were found\n", "DLR-DEV-NO-GPU"),
])
def test_other_failure_messages(text, code):
    assert [f["code"] for f in judged(smi._parse(text))["findings"]] == [code]


def test_findings_from_parsed_fields():
    parsed = {"gpus": [{"index": 0, "name": "X", "display_active": True, "pstate": "P0",
                        "pcie": {"gen_current": 1, "gen_max": 3, "width_current": 8, "width_max": 16},
                        "throttle_reasons": ["Idle", "HW Thermal Slowdown"]}],
              "processes": [{"gpu": 0, "pid": 1, "type": "C", "name": "python", "memory_mib": 100}]}
    found = {f.code for f in T.nvidia_smi_findings(parsed)}
    assert found == {"DLR-GPU-DISPLAY", "DLR-GPU-LINK-DOWN", "DLR-GPU-LINK-DOWN", "DLR-GPU-THROTTLED", "DLR-GPU-SHARED", T.SMI_OK}
    idle = dict(parsed["gpus"][0], pstate="P8", throttle_reasons=["Idle"], display_active=False,
                pcie={"gen_current": 1, "gen_max": 4, "width_current": 16, "width_max": 16})
    assert {f.code for f in T.nvidia_smi_findings({"gpus": [idle]})} == {T.SMI_OK}   # gen 1 at P8 is power saving


REAL = os.path.join(os.path.dirname(__file__), "data", "realworld", "heldout_r3_tools")


def test_q_x_xml_reads_the_gpus_whatever_the_layout():
    with open(os.path.join(REAL, "nvidia-smi_q_x_xml_390.157_geforce_410m_truncated.txt"), encoding="utf-8") as fh:
        text = fh.read()
    for variant in (text, "".join(line.strip() for line in text.splitlines()[1:]),  # one line, as a script prints it
                    text.replace("\n", "\r\n"), text[:text.index("<serial>")]):       # CRLF; cut early
        parsed = smi.parse(variant)
        assert parsed["format"] == "xml" and parsed["driver_version"] == "390.157"
        assert [(g["name"], g["bus_id"], g["persistence_mode"]) for g in parsed["gpus"]] == [
            ("GeForce 410M", "00000000:01:00.0", False)]
    assert smi.detect(text) >= 0.9


def test_a_table_cut_after_the_first_cell_of_a_gpu_row_keeps_the_gpu():
    with open(os.path.join(REAL, "nvidia-smi_435.21_rtx208x_vm_cut_early.txt"), encoding="utf-8") as fh:
        parsed = smi.parse(fh.read())
    assert [(g["index"], g["name"], g["persistence_mode"]) for g in parsed["gpus"]] == [(0, "GeForce RTX 208...", False)]
    assert parsed["driver_version"] == "435.21" and parsed["cuda_version"] == "10.1"


def test_table_rows_without_the_header_and_an_err_cell_keep_their_gpus():
    # heldout_r7_tools: an excerpt that elides the header ("[...]"), GPUs 13 and 14, a fan reading "ERR!"
    from pytest_dlready.checks import tool_outputs
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "realworld", "heldout_r7_tools",
                        "nvidia_smi_elided_fragment_rtx4000_ada_gpus_13_14_fan_err.txt")
    with open(path, "rb") as fh:
        result = tool_outputs.read(fh.read(), source="fragment")
    assert result["kind"] == "nvidia-smi" and result["format"] == "table"
    assert [(g["index"], g["name"]) for g in result["gpus"]] == [(13, "NVIDIA RTX 4000 Ada Gene..."),
                                                               (14, "NVIDIA RTX 4000 Ada Gene...")]
    assert result["gpus"][1]["temperature_c"] == 68 and result["gpus"][1]["utilization_gpu_pct"] == 93
    assert result["driver_version"] is None
