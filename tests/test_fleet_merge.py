"""``python -m pytest_dlready merge``: per-node reports -> one fleet view, worst first, outliers flagged.

Inputs are reports written by real ``pytest --dlready`` sessions on the seed machines'
recorded facts (the MacBook GT 750M and the Windows TITAN X) plus, for the outlier
rule, copies of a real report with other hostnames and epoch times — the merge logic
is what is under test there.
"""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import DATA
from pytest_dlready.reports import fleet

MAC = os.path.join(DATA, "facts", "macbook-gt750m.json")
WIN = os.path.join(DATA, "facts", "windows-dlwin36-titanx.json")

RUNS = '''
from pytest_dlready.workloads.protocol import RunResult
from pytest_dlready.results import Finding

def test_recorded_epochs(dl_record_run, dl_check):
    # seeds: GT 750M DBN numpy 4 s vs gnumpy+cudamat 8 s; TITAN X Keras/Theano 233-270 s vs 16-17 s
    if "{case}" == "mac":
        dl_record_run(RunResult("dbn-mnist", "numpy", "cpu", epoch_seconds=[4.0] * 10))
        dl_record_run(RunResult("dbn-mnist", "gnumpy+cudamat", "gpu", epoch_seconds=[8, 8, 8, 8, 8, 9, 8, 8, 8, 8]))
    else:
        dl_record_run(RunResult("mnist-cnn", "keras-theano", "cpu", epoch_seconds=[233, 234, 237, 238, 241, 245]))
        dl_record_run(RunResult("mnist-cnn", "keras-theano", "gpu", epoch_seconds=[17, 16, 16, 16, 16, 16]))
    dl_check(Finding("recorded run", "pass", "recorded"))
'''

ONLY_GIVEN = """
import pytest

@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    from pytest_dlready.plugin import SUITES_KEY
    if SUITES_KEY in config.stash:  # of the bundled suites, run only the toolchain one
        config.stash[SUITES_KEY] = ["test_toolchain.py"]
"""


@pytest.fixture
def two_reports(pytester: pytest.Pytester, tmp_path) -> tuple:
    pytester.makeconftest(ONLY_GIVEN)
    out = []
    for case, facts in (("mac", MAC), ("win", WIN)):
        test = pytester.makepyfile(**{f"test_{case}": RUNS.replace("{case}", case)})
        path = tmp_path / f"{case}.json"
        pytester.runpytest("-p", "no:cacheprovider", "--dlready", f"--dlready-facts={facts}", f"--dlready-json={path}", str(test))
        out.append(str(path))
    return tuple(out)


def test_merge_two_real_reports(two_reports, tmp_path, capsys) -> None:
    mac, win = two_reports
    outputs = [str(tmp_path / n) for n in ("fleet.html", "fleet.json", "fleet.md")]
    code = fleet.main([mac, win] + [a for o in outputs for a in ("-o", o)])
    text = capsys.readouterr().out
    doc = json.loads((tmp_path / "fleet.json").read_text())
    assert code == 1  # neither seed machine is ready
    assert doc["hosts"] == 2 and doc["reports"] == 2
    by_host = {r["hostname"]: r for r in doc["rows"]}
    assert set(by_host) == {"annalee", "T7900"}
    assert by_host["annalee"]["gpu_model"] == "GeForce GT 750M"
    assert by_host["T7900"]["gpu_model"] == "GeForce GTX TITAN X"
    assert by_host["annalee"]["speedups"] == {"dbn-mnist[numpy vs gnumpy+cudamat]": 0.5}
    assert round(by_host["T7900"]["speedups"]["mnist-cnn[keras-theano]"], 2) == round(238 / 16, 2)
    assert by_host["T7900"]["worst"]["status"] == "fail"  # the Windows machine's MSVC/cuDNN failures
    # worst first: NOT READY before READY WITH WARNINGS
    assert [r["status"] for r in doc["rows"]] == sorted((r["status"] for r in doc["rows"]), key=fleet.STATUS_RANK.get)
    assert "annalee" in text and "T7900" in text and "fleet: 2 hosts from 2 reports" in text
    page = (tmp_path / "fleet.html").read_text()
    assert "<script" not in page.lower() and "GeForce GT 750M" in page
    assert "| T7900 |" in (tmp_path / "fleet.md").read_text() or "T7900" in (tmp_path / "fleet.md").read_text()


def _host_copy(base: dict, name: str, gpu_seconds: float, model: str = "NVIDIA H100 80GB HBM3") -> dict:
    doc = copy.deepcopy(base)
    host = doc["hosts"][0]
    host.update(hostname=name, gpus=[{"index": 0, "name": model, "vendor": "nvidia"}])
    doc["verdict"] = dict(doc["verdict"], status="READY", reasons=[])
    host["verdict"] = dict(doc["verdict"])
    doc["runs"] = [
        {"workload": "mnist-cnn", "backend": "torch", "device": "cpu", "ok": True, "epoch_seconds": [30, 30, 30]},
        {"workload": "mnist-cnn", "backend": "torch", "device": "gpu", "ok": True,
         "epoch_seconds": [gpu_seconds * 3] + [gpu_seconds] * 2},
    ]
    doc["rows"] = [r for r in doc["rows"] if r["status"] == "pass"]
    return doc


def test_outlier_against_the_fleet_median(two_reports, tmp_path) -> None:
    base = json.loads(open(two_reports[1]).read())
    paths = []
    for i, gpu_s in enumerate([1.0, 1.05, 0.95, 1.0, 2.0]):  # node4: half the speedup of its peers
        path = tmp_path / f"node{i}.json"
        path.write_text(json.dumps(_host_copy(base, f"node{i}", gpu_s)))
        paths.append(str(path))
    # a different GPU model is never compared with the H100s
    other = tmp_path / "laptop.json"
    other.write_text(json.dumps(_host_copy(base, "laptop", 10.0, model="GeForce GT 750M")))
    doc = fleet.merge(paths + [str(other)], outlier_pct=20)
    flagged = {r["hostname"]: r["outliers"] for r in doc["rows"] if r["outliers"]}
    assert list(flagged) == ["node4"]
    (o,) = flagged["node4"]
    assert o["metric"] == "speedup mnist-cnn[torch]" and o["median"] == 30.0 and o["below_pct"] == 50.0
    assert "50 % below the median 30× of 5 hosts with NVIDIA H100 80GB HBM3" in o["message"]
    assert doc["rows"][0]["hostname"] == "node4"  # among equally READY hosts, the outlier comes first
    assert fleet.main(paths + ["-q"]) == 0


def test_an_xdist_each_report_becomes_one_row_per_host(tmp_path) -> None:
    doc = {"schema": "pytest-dlready/report", "schema_version": 1, "verdict": {"status": "NOT READY"}, "tier": "quick",
           "runs": [], "lost_workers": ["gw1"],
           "rows": [{"check": "a", "status": "pass", "node": "gw0"}, {"check": "xdist worker gw1", "status": "fail", "node": "gw1",
                                                                     "message": "worker gw1 went away"}],
           "hosts": [{"hostname": "gpu1", "node": "gw0", "verdict": {"status": "READY"}, "gpus": []},
                     {"hostname": "gpu2", "node": "gw1", "lost": True, "verdict": {"status": "NOT READY"}, "gpus": []}]}
    path = tmp_path / "each.json"
    path.write_text(json.dumps(doc))
    rows = fleet.merge([str(path)])["rows"]
    assert [(r["host"], r["status"], r["lost"]) for r in rows] == [("gpu2 [gw1]", "NOT READY", True), ("gpu1 [gw0]", "READY", False)]
    assert rows[0]["worst"]["check"] == "xdist worker gw1" and rows[1]["worst"] is None


@pytest.mark.parametrize("content, message", [
    ('{"schema": "pytest-dlready/report", "schema_version": 1, "verd', "corrupt pytest-dlready report (invalid JSON at line 1 column *truncated*"),
    ('{"schema": "pytest-dlready/facts", "schema_version": 1}', "*not a pytest-dlready report (schema is 'pytest-dlready/facts'*a facts snapshot*"),
    ('{"testsuites": {}}', "*not a pytest-dlready report (schema is None*"),
    ('[]', "*not a pytest-dlready report (top level is list*"),
    ('{"schema": "pytest-dlready/report", "schema_version": 7, "verdict": {}, "rows": []}', "*newer than this pytest-dlready reads*"),
    ('{"schema": "pytest-dlready/report", "schema_version": 1, "verdict": {}}', "*has no rows list*"),
    (b"\xff\xfe\x00binary", "*not a text file*"),
])
def test_bad_input_exits_2_naming_the_file(two_reports, tmp_path, content, message) -> None:
    bad = tmp_path / "node7.json"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    proc = subprocess.run([sys.executable, "-m", "pytest_dlready", "merge", two_reports[0], str(bad), "-o", str(tmp_path / "f.html")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"dlready merge: error: {bad}: ")
    import fnmatch
    assert fnmatch.fnmatch(proc.stderr.strip(), "*" + message), proc.stderr
    assert not (tmp_path / "f.html").exists()  # nothing half-written


def test_merge_never_overwrites_an_input(two_reports, tmp_path) -> None:
    mac = two_reports[0]
    before = open(mac).read()
    same_file_other_name = os.path.join(os.path.dirname(mac), ".", os.path.basename(mac))
    for target in (mac, same_file_other_name):
        proc = subprocess.run([sys.executable, "-m", "pytest_dlready", "merge", mac, two_reports[1], "-o", target],
                              capture_output=True, text=True)
        assert proc.returncode == 2 and "refusing to overwrite it" in proc.stderr
    assert open(mac).read() == before
    proc = subprocess.run([sys.executable, "-m", "pytest_dlready", "merge", mac, "-o", str(tmp_path / "fleet.txt")],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "unknown format '.txt'" in proc.stderr


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_truncated_or_mutated_real_reports_are_merged_or_refused_never_crash(two_reports, tmp_path, data) -> None:
    text = open(two_reports[data.draw(st.sampled_from([0, 1]))]).read()
    kind = data.draw(st.sampled_from(["truncate", "mutate", "drop"]))
    if kind == "truncate":
        text = text[: data.draw(st.integers(0, len(text)))]
    elif kind == "mutate":
        pos = data.draw(st.integers(0, len(text) - 1))
        text = text[:pos] + data.draw(st.text(min_size=1, max_size=3)) + text[pos + 1:]
    else:
        doc = json.loads(text)
        key = data.draw(st.sampled_from(sorted(doc)))
        sub = data.draw(st.sampled_from(["remove", "null", "list", "string"]))
        if sub == "remove":
            del doc[key]
        else:
            doc[key] = {"null": None, "list": [1, "x", None], "string": "x"}[sub]
        text = json.dumps(doc)
    path = tmp_path / "fuzz.json"
    path.write_text(text, encoding="utf-8")
    try:
        result = fleet.merge([str(path)])
    except fleet.MergeError as exc:
        assert str(exc).startswith(f"{path}: ")
        return
    fleet.render_html(result), fleet.render_markdown(result), fleet.render_text(result), json.dumps(result)


def test_the_same_report_twice_is_one_host(tmp_path, capsys) -> None:
    """Issue 12 #13: `merge a.json a.json` counted 2 hosts (also through ./, a link, a byte-identical copy)."""
    src = os.path.join(DATA, "golden", "facts-macbook-gt750m.report.json")
    a = tmp_path / "a.json"
    a.write_bytes(open(src, "rb").read())
    copy_ = tmp_path / "copy.json"
    copy_.write_bytes(a.read_bytes())
    link = tmp_path / "link.json"
    link.symlink_to(a)
    out = tmp_path / "fleet.json"
    fleet.main([str(a), str(a), str(link), str(copy_), "-o", str(out), "-q"])
    doc = json.loads(out.read_text())
    assert (doc["reports"], doc["hosts"]) == (1, 1)
    err = capsys.readouterr().err
    assert "given twice; counted once" in err and "is the same report as" in err


def test_a_missing_output_folder_is_a_usage_error_and_nothing_is_created(tmp_path, capsys) -> None:
    src = os.path.join(DATA, "golden", "facts-macbook-gt750m.report.json")
    missing = tmp_path / "nope" / "deeper"
    with pytest.raises(SystemExit) as exc:
        fleet.main([src, "-o", str(missing / "fleet.html")])
    assert exc.value.code == 2 and not (tmp_path / "nope").exists()
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "no folder" in err and "Traceback" not in err
