"""deviceQuery parser against recorded real outputs (tests/data/tools/devicequery, see SOURCES.md).

Expected values were written by reading each file, not by running the parser.
"""
from __future__ import annotations

import os

import pytest

from conftest import judged
from pytest_dlready.checks import tool_outputs as T
from pytest_dlready.parsers import devicequery as dq

DATA = os.path.join(os.path.dirname(__file__), "data", "tools", "devicequery")


def load(name: str) -> dict:
    with open(os.path.join(DATA, name), encoding="utf-8") as handle:
        return judged(dq._parse(handle.read()))  # unguarded: a bug must fail the test, not hide in a finding


def codes(parsed: dict) -> set:
    return {f["code"] for f in parsed["findings"]}


# file, result, device_count, driver, runtime, (name, cc, memory_mib, mps, cores, clock, memclock, bus, watchdog)
CASES = [
    ("macos_gt750m_cuda5.5_indented_paste.txt", "PASS", 1, "5.5", "5.5",
     ("GeForce GT 750M", "3.0", 2048, 2, 384, 926, 2508, 128, True)),
    ("macos_gt650m_cuda5.0.txt", None, 1, "5.0", "5.0",
     ("GeForce GT 650M", "3.0", 1024, 2, 384, 900, 2508, 128, True)),
    ("linux_gt750m_cuda8.0.txt", "PASS", 1, "8.0", "8.0",
     ("GeForce GT 750M", "3.0", 4038, 2, 384, 1085, 900, 128, False)),
    ("macos_gt750m_cuda8.0_truncated_excerpt.txt", None, 1, "8.0", "8.0",
     ("GeForce GT 750M", "3.0", 2048, 2, 384, 926, 2508, 128, None)),
    ("linux_gtx1050_cuda8.0_sudo.txt", "PASS", 1, "8.0", "8.0",
     ("GeForce GTX 1050", "6.1", 1965, 5, 640, 1455, 3504, 128, True)),
    ("linux_gtx1060_nvs310_2gpu_mapsm_cuda7.5.txt", "PASS", 2, "9.1", "7.5",
     ("GeForce GTX 1060 6GB", "6.1", 6078, 10, 1280, 1860, 4004, 192, False)),
    ("linux_v100_cuda12.9.txt", "PASS", 1, "12.9", "12.9",
     ("Tesla V100-SXM2-32GB", "7.0", 32494, 80, 5120, 1530, 877, 4096, False)),
    ("linux_8x_rtx4090_cuda12.4.txt", "PASS", 8, "12.4", "12.4",
     ("NVIDIA GeForce RTX 4090", "8.9", 24210, 128, 16384, 2520, 10501, 384, False)),
    ("linux_rtx5090_cc12.0_cuda12.8.txt", "PASS", 1, "13.0", "12.8",
     ("NVIDIA GeForce RTX 5090", "12.0", 32109, 170, 21760, 2407, 14001, 512, False)),
    ("windows_rtx5060_cc12.0_zu_bytes_result_pas.txt", None, 1, "13.1", "12.8",
     ("NVIDIA GeForce RTX 5060", "12.0", 8151, 30, 3840, 2565, 14001, 128, True)),
    ("windows_rtx4090_devicequerydrv_wddm_trailing_spaces.txt", "PASS", 1, "12.1", None,
     ("NVIDIA GeForce RTX 4090", "8.9", 24564, 128, 16384, 2535, 10501, 384, True)),
]


@pytest.mark.parametrize("name,result,count,driver,runtime,dev", CASES, ids=[c[0] for c in CASES])
def test_recorded_outputs(name, result, count, driver, runtime, dev):
    parsed = load(name)
    assert parsed["kind"] == "deviceQuery"
    assert parsed["result"] == result
    assert parsed["device_count"] == count
    assert parsed["driver_version"] == driver
    assert parsed["runtime_version"] == runtime
    first = parsed["devices"][0]
    got = (first["name"], first["compute_capability"], first["memory_mib"], first["multiprocessors"],
           first["cuda_cores"], first["clock_mhz"], first["memory_clock_mhz"], first["memory_bus_width_bits"],
           first["kernel_run_time_limit"])
    assert got == dev
    assert parsed["unread"] == []


def test_old_and_new_multiprocessor_and_clock_labels():
    old = load("macos_gt650m_cuda5.0.txt")["devices"][0]      # "( 2) Multiprocessors x (192)", "GPU Clock rate"
    new = load("linux_gt750m_cuda8.0.txt")["devices"][0]      # "( 2) Multiprocessors, (192)", "GPU Max Clock rate"
    assert (old["multiprocessors"], old["cores_per_mp"], old["clock_mhz"]) == (2, 192, 900)
    assert (new["multiprocessors"], new["cores_per_mp"], new["clock_mhz"]) == (2, 192, 1085)
    assert old["pci"] == {"domain": None, "bus": 1, "device": 0}   # "Device PCI Bus ID / PCI location ID: 1 / 0"
    assert new["pci"] == {"domain": 0, "bus": 1, "device": 0}


def test_multi_gpu_details_and_peer_access():
    parsed = load("linux_gtx1060_nvs310_2gpu_mapsm_cuda7.5.txt")
    nvs = parsed["devices"][1]
    assert (nvs["index"], nvs["name"], nvs["compute_capability"], nvs["memory_mib"], nvs["cuda_cores"]) == (1, "NVS 310", "2.1", 962, 48)
    assert nvs["kernel_run_time_limit"] is True and nvs["pci"] == {"domain": 0, "bus": 2, "device": 0}
    assert parsed["peer_access"] == [{"from": 0, "to": 1, "supported": False}, {"from": 1, "to": 0, "supported": False}]
    assert parsed["summary"]["Device1"] == "NVS 310"
    # the MapSMtoCores warning is printed inside device 0's block only
    assert parsed["devices"][0]["cores_guessed_for_sm"] == "6.1" and nvs["cores_guessed_for_sm"] is None
    rtx = load("linux_8x_rtx4090_cuda12.4.txt")
    assert [d["pci"]["bus"] for d in rtx["devices"]] == [1, 37, 65, 97, 129, 161, 193, 225]
    assert len(rtx["peer_access"]) == 56 and not any(p["supported"] for p in rtx["peer_access"])


def test_windows_variants():
    parsed = load("windows_rtx5060_cc12.0_zu_bytes_result_pas.txt")
    dev = parsed["devices"][0]
    assert dev["driver_mode"] == "WDDM" and dev["printf_zu_literals"] is True
    assert dev["cores_guessed_for_sm"] == "12.0"
    assert parsed["api"] == "runtime"          # header without "(CUDART static linking)"
    drv = load("windows_rtx4090_devicequerydrv_wddm_trailing_spaces.txt")
    assert drv["devices"][0]["driver_mode"] == "WDDM" and drv["devices"][0]["ecc"] is False


def test_result_pas_is_not_pass():
    parsed = load("windows_rtx5060_cc12.0_zu_bytes_result_pas.txt")
    assert parsed["result"] is None and parsed["truncated"] and parsed["result_text"] == "PAS"
    fail = [f for f in parsed["findings"] if f["code"] == "DLR-PARSE-TRUNCATED"]
    assert fail and fail[0]["status"] == "fail" and "Result = PAS" in fail[0]["message"]


def test_truncated_paste_names_last_line():
    parsed = load("macos_gt750m_cuda8.0_truncated_excerpt.txt")
    [trunc] = [f for f in parsed["findings"] if f["code"] == "DLR-PARSE-TRUNCATED"]
    assert "Max dimension size of a grid" in trunc["message"]
    assert not any(f["code"] == T.DQ_OK for f in parsed["findings"])


@pytest.mark.parametrize("name,code,number,message,error_name", [
    ("macos_cuda9.1_error35_indented.txt", "DLR-DRIVER-TOO-OLD", 35,
     "CUDA driver version is insufficient for CUDA runtime version", "cudaErrorInsufficientDriver"),
    ("macos_egpu_cuda9.2_error35_bare.txt", "DLR-DRIVER-TOO-OLD", 35,
     "CUDA driver version is insufficient for CUDA runtime version", "cudaErrorInsufficientDriver"),
    ("linux_cuda8.0_error38_no_device.txt", "DLR-DEV-NO-GPU", 38, "no CUDA-capable device is detected", "cudaErrorNoDevice"),
    ("docker_cuda10.0_error30_unknown.txt", "DLR-DEV-CUDA-RUNTIME", 30, "unknown error", "cudaErrorUnknown"),
])
def test_errors_are_named_by_message(name, code, number, message, error_name):
    parsed = load(name)
    assert parsed["result"] == "FAIL"
    assert parsed["error"] == {"code": number, "message": message, "name": error_name}
    assert code in codes(parsed)
    assert all(f["status"] == "fail" for f in parsed["findings"] if f["code"] == code)
    assert parsed["devices"] == []


def test_renumbered_error_is_recognised_by_message():
    # CUDA >= 10.1 prints 100 for what 38 meant before; the finding must not depend on the number
    text = ("cudaGetDeviceCount returned 100\n-> no CUDA-capable device is detected\nResult = FAIL\n")
    parsed = judged(dq._parse(text))
    assert parsed["error"]["name"] == "cudaErrorNoDevice" and "DLR-DEV-NO-GPU" in codes(parsed)


def test_watchdog_and_display_findings():
    parsed = load("macos_gt750m_cuda5.5_indented_paste.txt")
    assert codes(parsed) == {"DLR-GPU-DISPLAY", T.DQ_OK}
    assert {f["status"] for f in parsed["findings"]} == {"warn", "pass"}
    wddm = [f for f in load("windows_rtx4090_devicequerydrv_wddm_trailing_spaces.txt")["findings"] if f["code"] == "DLR-GPU-DISPLAY"]
    assert "WDDM" in wddm[0]["message"]


def test_zero_devices_with_pass_is_fail():
    parsed = {"result": "PASS", "device_count": 0, "devices": [], "error": None, "truncated": False}
    [finding] = T.devicequery_findings(parsed)
    assert finding.code == "DLR-DEV-NO-GPU" and finding.status.value == "fail"


def test_zero_devices_line_sets_count():
    # The line NVIDIA's sample prints when cudaGetDeviceCount succeeds with 0 (deviceQuery.cpp).
    parsed = judged(dq._parse(" CUDA Device Query (Runtime API) version (CUDART static linking)\n\n"
                              "There are no available device(s) that support CUDA\n"))
    assert parsed["device_count"] == 0 and "DLR-DEV-NO-GPU" in codes(parsed)


def test_compute_capability_below_framework_minimum():
    parsed = load("linux_gt750m_cuda8.0.txt")
    assert not any(f.code == "DLR-CC-UNSUPPORTED" for f in T.devicequery_findings(parsed))
    found = [f for f in T.devicequery_findings(parsed, min_cc=(3, 5), min_cc_reason="TensorFlow's prebuilt GPU wheels")
             if f.code == "DLR-CC-UNSUPPORTED"]
    assert found and "3.0" in found[0].message and "3.5" in found[0].message and found[0].status.value == "warn"


def test_compute_capability_below_toolkit_minimum_uses_compat_table():
    # a cc 3.0 GPU reported by a CUDA 12.x runtime: CUDA 12 needs >= 5.0 (checks/compat.py MIN_CC)
    parsed = load("linux_gt750m_cuda8.0.txt")
    parsed["runtime_version"] = "12.0"
    assert any(f.code == "DLR-CC-UNSUPPORTED" and "CUDA 12.0" in f.message for f in T.devicequery_findings(parsed))


def test_unread_lines_inside_the_output_are_reported():
    with open(os.path.join(DATA, "linux_v100_cuda12.9.txt"), encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    lines.insert(12, "@@ garbled paste @@")
    parsed = judged(dq._parse("\n".join(lines)))
    assert parsed["unread"] == ["@@ garbled paste @@"]
    assert any(f["code"] == "DLR-PARSE-UNREAD" and "@@ garbled paste @@" in f["message"] for f in parsed["findings"])
    assert parsed["devices"][0]["cuda_cores"] == 5120   # the rest is still read
