"""The plugin end to end through pytest itself: options, markers, fixtures, report, exit codes."""
import json
import os

import pytest

from conftest import DATA

MAC = os.path.join(DATA, "facts", "macbook-gt750m.json")
WIN = os.path.join(DATA, "facts", "windows-dlwin36-titanx.json")


def run(pytester, *args):
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_without_dlready_only_registers(pytester):
    pytester.makepyfile("def test_x(): pass")
    result = run(pytester, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.os(*names)*", "@pytest.mark.gpu(count=1, vendor=None, min_compute=None, min_memory_gb=None)*",
                                 "@pytest.mark.backend(name)*"])
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*dlready readiness*")


def test_plugin_import_is_light():
    """Loading the plugin must not import numpy or any framework (measured in benchmarks/)."""
    import subprocess
    import sys

    code = "import sys, pytest_dlready.plugin, pytest_dlready.fixtures; print(sorted(m for m in ('numpy','torch','tensorflow','jax','pyopencl','pynvml') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_dlready_from_an_unrelated_folder_gives_the_verdict_for_this_machine(pytester):
    result = run(pytester, "--dlready", "-k", "toolchain")
    result.stdout.fnmatch_lines(["*= dlready readiness =*", "operating system*PASS*", "checks: * pass, * warn, * fail, * skip*", "dlready: *"])
    lines = [ln for ln in result.outlines if ln.startswith("dlready: ") and ("READY" in ln or "VERDICT" in ln)]
    assert len(lines) == 1
    # This project's own machines have nvcc and no driver; elsewhere the verdict differs but is still one line.
    if "NOT READY" in lines[0]:
        assert result.ret == 1
    else:
        assert result.ret == 0


def test_recorded_windows_machine_is_not_ready(pytester):
    result = run(pytester, "--dlready", f"--dlready-facts={WIN}", "-k", "toolchain")
    assert result.ret == 1
    result.stdout.fnmatch_lines([
        "C/C++ compiler*FAIL*INCLUDE/LIB lack the Windows Kits folders*",
        "cuDNN*FAIL*",
        "shadowed CUDA libraries*FAIL*cudnn: cudnn64_5.dll 5.0.5 in*",
        "dlready: NOT READY — INCLUDE/LIB lack the Windows Kits folders; cuDNN header and library versions differ (+1 more)",
    ])
    result.stdout.fnmatch_lines(["*fix: *"])


def test_os_marker_judged_from_the_snapshot(pytester):
    pytester.makepyfile("""
        import pytest
        @pytest.mark.os("macos")
        def test_mac(): pass
        @pytest.mark.os("win32", "linux")
        def test_not_mac(): pass
        def test_os_fixture(dl_os):
            assert dl_os == "macos"
    """)
    result = run(pytester, f"--dlready-facts={MAC}", "-rs", "-p", "dlready")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["*runs on windows or linux only; this snapshot is macos*"])


def test_unknown_os_name_is_an_error_not_a_skip(pytester):
    pytester.makepyfile("""
        import pytest
        @pytest.mark.os("beos")
        def test_x(): pass
    """)
    result = run(pytester)
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*unknown OS name 'beos'*linux, macos, windows*"])


def test_gpu_marker_reasons_and_require_gpu(pytester):
    pytester.makepyfile("""
        import pytest
        @pytest.mark.gpu(min_compute="3.5")
        def test_modern(): pass
        @pytest.mark.gpu(vendor="nvidia", min_memory_gb=1)
        def test_fits(gpu):
            assert gpu["name"] == "GeForce GT 750M"
        @pytest.mark.gpu(count=2)
        def test_two(): pass
    """)
    result = run(pytester, f"--dlready-facts={MAC}", "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*needs compute capability ≥ 3.5, found GeForce GT 750M 3.0*", "*needs 2 GPU(s), found 1*"])
    result = run(pytester, f"--dlready-facts={MAC}", "--dlready-require-gpu")
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(["*needs compute capability ≥ 3.5, found GeForce GT 750M 3.0 (a failure because --dlready-require-gpu is set)*"])


def test_backend_marker_and_parametrised_fixture(pytester):
    pytester.makepyfile("""
        import pytest
        @pytest.mark.backend("cntk")
        def test_cntk(): pass
        @pytest.mark.backend("no_such_framework")
        def test_missing(): pass
        def test_each(backend):
            assert backend in ("theano", "keras", "tensorflow", "cntk")
    """)
    result = run(pytester, f"--dlready-facts={WIN}", "-rs", "-v")
    result.assert_outcomes(passed=5, skipped=1)
    result.stdout.fnmatch_lines(["*test_each?tensorflow? PASSED*", "*backend no_such_framework is not installed in *python.exe; pip install no_such_framework*"])


def test_json_report_and_snapshot_round_trip(pytester, tmp_path):
    report = tmp_path / "out" / "report.json"
    report.parent.mkdir()  # the folder must exist: none is created for a report path
    saved = tmp_path / "facts.json"
    first = run(pytester, "--dlready", "-k", "toolchain", f"--dlready-json={report}", f"--dlready-save-facts={saved}")
    doc = json.loads(report.read_text())
    assert doc["schema"] == "pytest-dlready/report" and doc["exitstatus"] == first.ret
    assert doc["verdict"]["line"].startswith("dlready: ")
    assert not [p for p in os.listdir(report.parent) if p.endswith(".tmp")]
    report2 = tmp_path / "report2.json"
    second = run(pytester, "--dlready", "-k", "toolchain", f"--dlready-facts={saved}", f"--dlready-json={report2}")
    doc2 = json.loads(report2.read_text())
    strip = lambda rows: [{k: r[k] for k in ("check", "status", "code", "message", "fix")} for r in rows]
    assert strip(doc2["rows"]) == strip(doc["rows"])
    assert second.ret == first.ret


@pytest.mark.parametrize("args, message", [
    (["--dlready-tier=huge"], "--dlready-tier: 'huge' is not one of quick, standard, full"),
    (["--dlready-min-speedup=fast"], "--dlready-min-speedup: 'fast' is not a number"),
    (["--dlready-min-speedup=0"], "--dlready-min-speedup: '0' must be greater than 0"),
    (["--dlready-min-compute=sm_75"], "--dlready-min-compute: 'sm_75' is not a compute capability; use MAJOR.MINOR, e.g. 7.5"),
    (["--dlready-gpu-vendor=3dfx"], "--dlready-gpu-vendor: '3dfx' is not one of nvidia, amd, intel, apple, opencl"),
    (["--dlready-facts=/nonexistent.json"], "--dlready-facts: '/nonexistent.json' is not a file*"),
    (["--dlready-python=/no/python"], "--dlready-python: '/no/python' does not exist*"),
])
def test_bad_options_are_usage_errors(pytester, args, message):
    result = run(pytester, "--dlready", *args)
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*" + message])


def test_ini_policy(pytester):
    pytester.makeini("[pytest]\ndlready_tier = huge\n")
    result = run(pytester, "--dlready")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*ini dlready_tier: 'huge' is not one of quick, standard, full*"])


@pytest.mark.parametrize("content, message", [
    ("{not json", "corrupt facts snapshot (invalid JSON at line 1 column 2*"),
    ('{"schema": "pytest-dlready/facts", "schema_version": 99}', "*newer than this pytest-dlready*pip install -U pytest-dlready*"),
    ('[1, 2]', "*not a pytest-dlready facts snapshot (top level is list*"),
    ('{"hello": 1}', "*not a pytest-dlready facts snapshot (schema is None*"),
])
def test_bad_snapshots_are_clear_errors(pytester, tmp_path, content, message):
    path = tmp_path / "facts.json"
    path.write_text(content)
    result = run(pytester, "--dlready", f"--dlready-facts={path}")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*" + message])
    assert path.read_text() == content  # bad input loses nothing


def test_xdist_gives_one_table_without_lost_or_doubled_rows(pytester, tmp_path):
    pytest.importorskip("xdist")
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    run(pytester, "--dlready", f"--dlready-facts={WIN}", "-k", "toolchain", f"--dlready-json={one}")
    result = run(pytester, "--dlready", f"--dlready-facts={WIN}", "-k", "toolchain", "-n", "2", f"--dlready-json={two}")
    assert result.outlines.count([ln for ln in result.outlines if "dlready readiness" in ln][0]) == 1
    key = lambda r: (r["check"], r["status"], r["message"])
    rows1 = sorted(map(key, json.loads(one.read_text())["rows"]))
    rows2 = sorted(map(key, json.loads(two.read_text())["rows"]))
    assert rows1 == rows2 and len(rows1) == len(set(rows1))


def test_recorded_gt750m_macbook_device_rows(pytester, tmp_path):
    """Issue 3's acceptance: the MacBook's recorded deviceQuery/bandwidthTest give inventory, bandwidth and warnings."""
    out = tmp_path / "mac.json"
    result = run(pytester, "--dlready", f"--dlready-facts={MAC}", "-k", "devices", f"--dlready-json={out}")
    rows = {r["check"]: (r["status"], r["message"]) for r in json.loads(out.read_text())["rows"]}
    assert rows["GPU devices"] == ("pass", "found 1 GPU(s): GPU0 GeForce GT 750M 3.0 (deviceQuery)")
    assert rows["compute capability GPU0"][0] == "warn" and "compute capability 3.0" in rows["compute capability GPU0"][1]
    assert rows["bandwidth GPU0 H2D pinned"][0] == "warn" and "1.57 GB/s" in rows["bandwidth GPU0 H2D pinned"][1]
    assert rows["bandwidth GPU0 D2H pinned"][0] == "pass" and "3.18 GB/s" in rows["bandwidth GPU0 D2H pinned"][1]
    assert rows["bandwidth GPU0 D2D"][0] == "warn" and "17.1 GB/s" in rows["bandwidth GPU0 D2D"][1]
    assert rows["display GPU0"][0] == "warn" and "Run time limit on kernels: Yes" in rows["display GPU0"][1]
    assert result.ret == 0  # warnings, no failure: the seed's MacBook was "ready" by every tool — and slow


def test_relative_path_entries_and_uname_through_path_never_run(tmp_path, monkeypatch):
    """PATH=bin:$PATH with fake tools in ./bin: none of them may run, platform.processor's uname included."""
    import stat

    from pytest_dlready.probes import runner as probe_runner, system

    marker = tmp_path / "ran"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("nvcc", "nvidia-smi", "ldconfig", "gcc", "cc", "clang", "g++", "uname", "xcode-select"):
        fake = bin_dir / tool
        fake.write_text(f"#!/bin/sh\necho {tool} >> {marker}\necho fake\n")
        fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "bin" + os.pathsep + os.environ.get("PATH", ""))
    for tool in ("nvcc", "nvidia-smi", "gcc", "uname"):
        found = probe_runner.which(tool)
        assert found is None or not found.startswith(str(bin_dir)), found
    facts = {}
    system.probe(facts, __import__("pytest_dlready.settings", fromlist=["Settings"]).Settings())
    assert not marker.exists(), marker.read_text()


def test_a_whole_session_with_a_relative_path_entry_runs_nothing_from_it(tmp_path):
    import stat
    import subprocess
    import sys

    marker = tmp_path / "ran"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("nvcc", "nvidia-smi", "ldconfig", "gcc", "cc", "clang", "g++", "cl", "uname", "xcode-select",
                 "clinfo", "deviceQuery", "bandwidthTest"):
        fake = bin_dir / tool
        fake.write_text(f"#!/bin/sh\necho {tool} >> {marker}\necho fake\n")
        fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, PATH="bin" + os.pathsep + os.environ.get("PATH", ""))
    env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.run([sys.executable, "-m", "pytest", "--dlready", "-p", "no:cacheprovider", "-k",
                           "not training"], cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300)
    assert "dlready:" in proc.stdout, proc.stdout[-2000:]
    assert not marker.exists(), f"ran from ./bin: {marker.read_text()}"


def test_unknown_backend_is_a_usage_error_naming_the_known_ones(pytester):
    result = pytester.runpytest("-p", "no:cacheprovider", "--dlready", "--dlready-backends=tensorflw")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--dlready-backends: unknown backend 'tensorflw'; known: *tensorflow*"])


def test_known_backends_cover_every_comparison():
    from pytest_dlready.settings import KNOWN_BACKENDS, Settings
    from pytest_dlready.workloads import registry, specs

    facts = {"devices": {"gpus": [{"vendor": "nvidia", "name": "X"}]}}
    names = {c.backend for c in registry.comparisons(facts, Settings(tier="full"))}
    names |= {"cupy", "torch"}
    for name in names:
        assert specs.selected(name, (name,)) and name.split("@")[0] in KNOWN_BACKENDS | {"gnumpy"}, name


def test_a_reader_that_stops_early_gets_no_traceback():
    import subprocess
    import sys

    proc = subprocess.run(f"{sys.executable} -m pytest_dlready replay gt750m-dbn | head -1", shell=True,
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "{" and "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
