"""nvcc --version and macOS (kextstat, system_profiler, pmset -g) parsers against recorded outputs."""
from __future__ import annotations

import os

import pytest

from conftest import judged
from pytest_dlready.checks import tool_outputs as T
from pytest_dlready.parsers import macos, nvcc

DATA = os.path.join(os.path.dirname(__file__), "data", "tools")


def read(*parts: str) -> str:
    with open(os.path.join(DATA, *parts), encoding="utf-8") as handle:
        return handle.read()


@pytest.mark.parametrize("name,release,version,built", [
    ("macos_cuda5.5.txt", "5.5", "5.5.0", "Thu_Sep__5_10:17:14_PDT_2013"),
    ("linux_cuda8.0.61.txt", "8.0", "8.0.61", "Tue_Jan_10_13:22:03_CST_2017"),
    ("macos_cuda9.2.txt", "9.2", "9.2.148", "Tue_Jun_12_23:08:12_CDT_2018"),
    ("linux_cuda10.0_quoted_issue.txt", "10.0", "10.0.130", None),   # "> "-quoted lines: Built on is not at line start
    ("linux_cuda12.9.txt", "12.9", "12.9.86", "Tue_May_27_02:21:03_PDT_2025"),
    ("linux_cuda13.0_this_machine.txt", "13.0", "13.0.88", "Wed_Aug_20_01:58:59_PM_PDT_2025"),
])
def test_nvcc_versions(name, release, version, built):
    parsed = judged(nvcc._parse(read("nvcc", name)))
    assert (parsed["kind"], parsed["release"], parsed["version"], parsed["built_on"]) == ("nvcc", release, version, built)
    assert [f["code"] for f in parsed["findings"]] == [T.NVCC_OK]


def test_nvcc_fatal_and_missing():
    fatal = judged(nvcc._parse(read("nvcc", "macos_fatal_host_compiler.txt")))
    assert fatal["error"]["message"].startswith("The version ('90100') of the host compiler ('Apple clang')")
    assert [f["code"] for f in fatal["findings"]] == [T.NVCC_FATAL]
    assert [f["code"] for f in judged(nvcc._parse("bash: nvcc: command not found\n"))["findings"]] == ["DLR-NVCC-NOT-ON-PATH"]


@pytest.mark.parametrize("name,uuid", [
    ("kextstat_cuda9.2_mac.txt", "E13478CB-B251-3C0A-86E9-A6B56F528FE8"),
    ("kextstat_blyth_cuda9.1_two_runs.txt", "4329B052-6C8A-3900-8E83-744487AEDEF1"),
    ("kextstat_webdriver_excerpt.txt", "4329B052-6C8A-3900-8E83-744487AEDEF1"),
])
def test_kextstat(name, uuid):
    parsed = judged(macos.KEXTSTAT.parse(read("macos", name)))
    assert parsed["cuda_kext_loaded"] and parsed["cuda_kext_version"] == "1.1.0"
    assert [k["uuid"] for k in parsed["kexts"] if k["name"] == "com.nvidia.CUDA"][-1] == uuid


def test_kextstat_without_cuda_is_fail():
    text = "\n".join(line for line in read("macos", "kextstat_webdriver_excerpt.txt").splitlines() if "CUDA" not in line)
    parsed = judged(macos.KEXTSTAT.parse(text))
    assert not parsed["cuda_kext_loaded"] and parsed["nvidia_kexts"] == ["com.nvidia.web.GeForceWeb", "com.nvidia.web.NVDAGM100HalWeb"]
    assert [f["code"] for f in parsed["findings"]] == ["DLR-DRIVER-MISSING"]


@pytest.mark.parametrize("name,order,vram,agsw", [
    ("system_profiler_mbp2014_gt750m_yosemite.txt", ["Intel Iris Pro", "NVIDIA GeForce GT 750M"], 2048, None),
    ("system_profiler_mbp_gt750m_metal_retina.txt", ["NVIDIA GeForce GT 750M", "Intel Iris Pro"], 2048, "Supported"),
])
def test_system_profiler(name, order, vram, agsw):
    parsed = judged(macos.SYSTEM_PROFILER.parse(read("macos", name)))
    assert [g["chipset_model"] for g in parsed["gpus"]] == order
    gt = [g for g in parsed["gpus"] if "750M" in g["name"]][0]
    assert (gt["vram_mib"], gt["pcie_lane_width"], gt["device_id"], gt["vendor"], gt["automatic_graphics_switching"]) == \
        (vram, 8, "0x0fe9", "NVIDIA (0x10de)", agsw)
    assert {f["code"] for f in parsed["findings"]} == {T.MAC_NARROW_LINK, T.MAC_OK}


def test_system_profiler_without_nvidia_is_fail():
    text = read("macos", "system_profiler_mbp2014_gt750m_yosemite.txt").split("    NVIDIA GeForce GT 750M:")[0]
    assert [f["code"] for f in judged(macos.SYSTEM_PROFILER.parse(text))["findings"]] == [T.MAC_NO_NVIDIA_GPU]


@pytest.mark.parametrize("name,entries,hibernate", [
    ("pmset_g_gpuswitch2_sleep_prevented.txt", 20, "3"),
    ("pmset_g_annotated_paste.txt", 18, "3"),
])
def test_pmset(name, entries, hibernate):
    parsed = judged(macos.PMSET.parse(read("macos", name)))
    assert (parsed["gpuswitch"], parsed["sleep_minutes"], parsed["settings"]["hibernatemode"]) == (2, 1, hibernate)
    assert len(parsed["settings"]) == entries
    assert {f["code"] for f in parsed["findings"]} == {"DLR-MAC-GPUSWITCH", "DLR-MAC-SLEEP"}


def test_pmset_annotation_kept():
    parsed = judged(macos.PMSET.parse(read("macos", "pmset_g_gpuswitch2_sleep_prevented.txt")))
    assert parsed["notes"] == {"sleep": "sleep prevented by bluetoothd, coreaudiod"}
    assert parsed["sections"]["System-wide power settings"] == {"SleepDisabled": "0"}
