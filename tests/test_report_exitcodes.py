"""Exit codes a CI gate can rely on, each produced for real in a subprocess, and gate policy from ini.

0 ready · 1 not ready · 2 interrupted · 3 internal error · 4 usage error · 5 no tests
(pytest's own ``ExitCode``). The JSON report is still written for 1, 2, 3 and 5 so a
gate can always say why. Each case is one ``pytest`` subprocess (~1 s).
"""
from __future__ import annotations

import json
import os

import pytest

from conftest import DATA

WIN = os.path.join(DATA, "facts", "windows-dlwin36-titanx.json")

ONLY_GIVEN = """
import pytest

@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    from pytest_dlready.plugin import SUITES_DIR
    config.args = [a for a in config.args if not str(a).startswith(SUITES_DIR)]
"""

CHECKS = """
import os
from pytest_dlready.results import Finding

def test_toolkit(dl_check):
    dl_check(Finding("CUDA toolkit", "pass", "toolkit found"))

def test_gpu(dl_check):
    dl_check(Finding("GPU", "skip", "no NVIDIA GPU found", fix="install the driver", observed={"needs_gpu": True}))

def test_speed(dl_check):
    if os.environ.get("GATE_CASE") == "slow":
        dl_check(Finding("speedup", "fail", "GPU slower than CPU", code="DLR-TEST-SLOW"))
    if os.environ.get("GATE_CASE") == "interrupt":
        raise KeyboardInterrupt
    if os.environ.get("GATE_CASE") == "lose-folder":
        import shutil
        shutil.rmtree(os.environ["GATE_FOLDER"])  # the report's folder vanishes while the session runs
"""

INTERNAL_ERROR = """
def pytest_collection_finish(session):
    raise RuntimeError("a broken plugin")
"""


def _gate(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, case: str, *args: str, conftest: str = ONLY_GIVEN,
          subprocess: bool = False):
    monkeypatch.setenv("GATE_CASE", case)
    pytester.makeconftest(conftest)
    checks = pytester.makepyfile(test_gate=CHECKS)
    run = pytester.runpytest_subprocess if subprocess else pytester.runpytest
    # a recorded snapshot: the gate logic is under test here, not this machine's probes (seconds each)
    result = run("-p", "no:cacheprovider", "--dlready", "--dlready-json=report.json", f"--dlready-facts={WIN}",
                 *args, str(checks))
    report = pytester.path / "report.json"
    doc = json.loads(report.read_text()) if report.exists() else None
    return result, doc


@pytest.mark.parametrize("case, args, code, verdict", [
    ("ok", (), 0, "READY"),
    ("slow", (), 1, "NOT READY"),
    ("ok", ("--dlready-require-gpu",), 1, "NOT READY"),
    ("interrupt", (), 2, "NO VERDICT"),
    ("ok", ("-k", "no_such_check"), 5, "NO VERDICT"),
])
def test_exit_code_and_report(pytester, monkeypatch, case, args, code, verdict) -> None:
    # in-process runs return pytest.main's own exit status; a KeyboardInterrupt must stay in its own process
    result, doc = _gate(pytester, monkeypatch, case, *args, subprocess=case == "interrupt")
    assert result.ret == code, result.stdout.str()[-2000:]
    assert doc["exitstatus"] == code
    assert doc["verdict"]["status"] == verdict
    result.stdout.fnmatch_lines([f"dlready: {verdict}*"])


@pytest.mark.parametrize("case, code", [("ok", 0), ("slow", 1)])
def test_process_exit_status(pytester, monkeypatch, case, code) -> None:
    """What a CI runner sees: the process's exit status (~2 s each)."""
    result, doc = _gate(pytester, monkeypatch, case, subprocess=True)
    assert result.ret == code and doc["exitstatus"] == code


def test_require_gpu_turns_the_no_gpu_skip_into_the_reason(pytester, monkeypatch) -> None:
    result, doc = _gate(pytester, monkeypatch, "ok", "--dlready-require-gpu")
    assert doc["verdict"]["reasons"] == ["no NVIDIA GPU found"]
    assert [r["message"] for r in doc["rows"] if r["status"] == "fail"] == [
        "no NVIDIA GPU found (a failure because --dlready-require-gpu is set)"]  # the row says why it failed


def test_internal_error_is_3_and_still_reports(pytester, monkeypatch) -> None:
    result, doc = _gate(pytester, monkeypatch, "ok", conftest=ONLY_GIVEN + INTERNAL_ERROR)
    assert result.ret == 3
    assert "INTERNALERROR> RuntimeError: a broken plugin" in result.stdout.str() + result.stderr.str()
    assert doc["exitstatus"] == 3 and doc["verdict"]["status"] == "NO VERDICT"


@pytest.mark.parametrize("args, message", [
    (("--dlready-min-compute=seven",), "*--dlready-min-compute: 'seven' is not a compute capability*"),
    (("--dlready-min-gpus=two",), "*--dlready-min-gpus: 'two' is not a whole number of GPUs*"),
    (("--dlready-gpu-vendor=nvidai",), "*--dlready-gpu-vendor: 'nvidai' is not one of nvidia*"),
    (("--dlready-min-speedup=0",), "*--dlready-min-speedup: '0' must be greater than 0*"),
])
def test_usage_error_is_4_and_names_the_option(pytester, monkeypatch, args, message) -> None:
    result, doc = _gate(pytester, monkeypatch, "ok", *args)
    assert result.ret == 4
    result.stderr.fnmatch_lines([message])
    assert doc is None  # nothing judged, nothing written


RUNNER_POLICY = """
[tool.pytest.ini_options]
dlready_require_gpu = true
dlready_min_gpus = "2"
dlready_gpu_vendor = "nvidia"
dlready_min_compute = "8.0"
dlready_min_bandwidth = "12.5"
dlready_min_speedup = "3"
dlready_tier = "standard"
"""


def test_runner_policy_lives_in_pyproject(pytester, monkeypatch) -> None:
    """One pyproject.toml holds a runner's gate policy; the report records what was enforced."""
    pytester.makepyprojecttoml(RUNNER_POLICY)
    result, doc = _gate(pytester, monkeypatch, "ok")
    assert result.ret == 1  # require_gpu from ini: the no-GPU skip fails the gate
    assert doc["tier"] == "standard"
    assert doc["settings"] == {"require_gpu": True, "min_gpus": 2, "gpu_vendor": "nvidia", "min_compute": "8.0",
                               "min_speedup": 3.0, "min_bandwidth_gbps": 12.5, "replay": None}
    result.stdout.fnmatch_lines(["dlready: tier=standard require_gpu=True min_speedup=3*"])


def test_command_line_overrides_the_ini_policy(pytester, monkeypatch) -> None:
    pytester.makeini("[pytest]\ndlready_min_speedup = 3\ndlready_min_compute = 8.0\n")
    result, doc = _gate(pytester, monkeypatch, "ok", "--dlready-min-speedup=1.5")
    assert result.ret == 0
    assert doc["settings"]["min_speedup"] == 1.5 and doc["settings"]["min_compute"] == "8.0"


def test_interrupted_run_says_interrupted_and_partial(pytester, monkeypatch) -> None:
    monkeypatch.setenv("GATE_CASE", "interrupt")
    result, doc = _gate(pytester, monkeypatch, "interrupt", subprocess=True)
    assert result.ret == 2
    assert doc["verdict"]["status"] == "NO VERDICT" and doc["verdict"]["partial"] is True
    assert doc["verdict"]["reasons"][0].startswith("interrupted after ")
    result.stdout.fnmatch_lines(["dlready: NO VERDICT — interrupted after * checks: the table is partial*"])


@pytest.mark.parametrize("option, value, message", [
    ("--dlready-json", "{tmp}", "*--dlready-json: * is a folder; give a file path*"),
    ("--dlready-json", "{tmp}/no/such/folder/r.json", "*--dlready-json: *the folder * does not exist (it is not created)*"),
    ("--dlready-html", "{file}/inside.html", "*--dlready-html: *is not a folder*"),
    ("--dlready-save-facts", "{tmp}", "*--dlready-save-facts: * is a folder*"),
])
def test_a_bad_output_path_is_a_usage_error_when_the_option_is_read(pytester, monkeypatch, option, value, message):
    a_file = pytester.path / "a-file"
    a_file.write_text("x")
    value = value.format(tmp=pytester.path, file=a_file)
    result = pytester.runpytest("-p", "no:cacheprovider", "--dlready", f"--dlready-facts={WIN}", f"{option}={value}")
    assert result.ret == 4
    result.stderr.fnmatch_lines([message])
    assert len([ln for ln in result.stderr.lines if ln.strip()]) <= 2  # one line, no traceback


def test_a_write_that_fails_at_the_end_keeps_the_table_the_other_reports_and_says_so(pytester, monkeypatch):
    lost = pytester.path / "lost"
    lost.mkdir()
    monkeypatch.setenv("GATE_FOLDER", str(lost))
    monkeypatch.setenv("GATE_CASE", "lose-folder")
    pytester.makeconftest(ONLY_GIVEN)
    checks = pytester.makepyfile(test_gate=CHECKS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--dlready", f"--dlready-facts={WIN}",
                                           f"--dlready-json={lost / 'r.json'}", "--dlready-html=ok.html", str(checks))
    assert result.ret == 6, result.stdout.str()[-1500:]
    result.stdout.fnmatch_lines(["*dlready readiness*", "dlready: READY*",
                                 f"dlready: could not write --dlready-json={lost / 'r.json'}: * (exit status 6)"])
    assert (pytester.path / "ok.html").exists()  # the other report was still written
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
