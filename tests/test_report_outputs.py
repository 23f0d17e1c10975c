"""The report's renderings, from real ``pytest --dlready`` sessions: JSON vs schema.json, HTML, GitHub summary, JUnit XML.

The sessions judge the two seed machines' recorded facts with the bundled toolchain
suite and record the seeds' own epoch times (MacBook GT 750M DBN: numpy 4 s vs
gnumpy+cudamat 8 s per epoch; Windows TITAN X Keras/Theano: 233-270 s CPU vs 16-17 s
GPU with cuDNN), so the renderers see real findings and real timings.
"""
from __future__ import annotations

import html.parser
import json
import os
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import DATA

jsonschema = pytest.importorskip("jsonschema")

from pytest_dlready.reports import SCHEMA_PATH, github, html as H, runs as R  # noqa: E402

MAC = os.path.join(DATA, "facts", "macbook-gt750m.json")
WIN = os.path.join(DATA, "facts", "windows-dlwin36-titanx.json")

#: recorded epoch times from /work/shared/seeds (macbook-gt750m-cudamat-dbn.md; windows-keras-three-backends-guide.md)
SEED_RUNS = '''
from pytest_dlready.results import Finding
from pytest_dlready.workloads.protocol import RunResult

MAC = dict(workload="dbn-mnist", dataset="mnist (recorded log)", source="replay:macbook-gt750m-cudamat-dbn.md")
WIN = dict(workload="mnist-cnn", dataset="mnist (recorded log)", source="replay:windows-keras-three-backends-guide.md")

def test_dbn_seed(dl_record_run, dl_check):
    dl_record_run(RunResult(backend="numpy", device="cpu", device_used="cpu", epoch_seconds=[4.0] * 10, **MAC))
    dl_record_run(RunResult(backend="gnumpy+cudamat", device="gpu", device_used="cuda:0", device_name="GeForce GT 750M",
                            epoch_seconds=[8, 8, 8, 8, 8, 9, 8, 8, 8, 8], **MAC))
    dl_check(Finding("speedup dbn-mnist[numpy vs gnumpy+cudamat]", "fail",
                     "GPU epoch 8 s is 2.0x slower than CPU epoch 4 s <b>&amp;</b> | pipes", code="DLR-TEST-SLOW",
                     fix="a 784-300-10 DBN is too small for the GT 750M"))

def test_theano_seed(dl_record_run, dl_check):
    dl_record_run(RunResult(backend="keras-theano", device="cpu", device_used="cpu",
                            epoch_seconds=[233, 234, 237, 238, 241, 245, 248, 256, 264, 263, 262, 270], **WIN))
    dl_record_run(RunResult(backend="keras-theano", device="gpu", device_used="cuda0", device_name="GeForce GTX TITAN X",
                            epoch_seconds=[17] + [16] * 11, **WIN))
    dl_check(Finding("speedup mnist-cnn[keras-theano]", "pass", "GPU 15x faster"))
'''

ONLY_GIVEN = '''
import pytest

@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    from pytest_dlready.plugin import SUITES_DIR
    keep = [a for a in config.args if not str(a).startswith(SUITES_DIR)]
    # keep the real toolchain suite; other bundled suites are other areas' concern
    config.args = keep + [a for a in config.args if str(a).endswith("test_toolchain.py")]
'''


def _schema() -> dict:
    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        return json.load(fh)


def validate(doc: dict) -> None:
    jsonschema.validate(doc, _schema(), cls=jsonschema.Draft202012Validator)


def session_report(pytester: pytest.Pytester, facts: str, *args: str, subprocess: bool = False):
    pytester.makeconftest(ONLY_GIVEN)
    seed = pytester.makepyfile(test_seed_runs=SEED_RUNS)
    run = pytester.runpytest_subprocess if subprocess else pytester.runpytest
    result = run("-p", "no:cacheprovider", "--dlready", f"--dlready-facts={facts}", "--dlready-json=report.json",
                 "--dlready-html=report.html", *args, str(seed))
    doc = json.loads((pytester.path / "report.json").read_text())
    return result, doc


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(_schema())


@pytest.mark.parametrize("facts", [MAC, WIN], ids=["macbook", "windows"])
def test_real_reports_validate_and_render(pytester: pytest.Pytester, facts: str) -> None:
    result, doc = session_report(pytester, facts)
    assert result.ret == 1
    validate(doc)
    assert doc["tier"] == "quick" and doc["hosts"][0]["gpus"] == doc["gpus"]
    page = (pytester.path / "report.html").read_text(encoding="utf-8")
    assert page == H.render(dict(doc, created=doc["created"])) or "<svg" in page
    # the chart: one CPU and one GPU bar per pair, the speedups as measured
    entries = R.pairs(doc["runs"])
    assert {e["label"]: round(e["speedup"], 2) for e in entries} == {
        "dbn-mnist[numpy vs gnumpy+cudamat]": 0.5, "mnist-cnn[keras-theano]": 15.5}
    svg = page[page.index("<svg"): page.index("</svg>")]
    assert svg.count("<rect") == 2 + 4  # legend + bars
    assert "0.50× GPU slower" in svg and "15.5×" in svg
    assert doc["hosts"][0]["hostname"] in page


def test_html_is_self_contained_and_escapes_everything(pytester: pytest.Pytester) -> None:
    _, doc = session_report(pytester, MAC)
    page = H.render(doc)
    lowered = page.lower()
    assert "<script" not in lowered and "javascript:" not in lowered
    assert " src=" not in lowered and "<link" not in lowered and "@import" not in lowered and "url(" not in lowered
    assert "http" not in lowered.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<b>&amp;</b>" not in page and "&lt;b&gt;&amp;amp;&lt;/b&gt;" in page
    assert_balanced(page)


class _Balance(html.parser.HTMLParser):
    VOID = {"meta", "br", "rect", "img", "input", "hr", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()


def assert_balanced(page: str) -> None:
    parser = _Balance()
    parser.feed(page)
    parser.close()
    assert parser.stack == []


def test_github_summary_is_appended(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = pytester.path / "summary.md"
    summary.write_text("# earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    _, doc = session_report(pytester, MAC)
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# earlier step\n")
    assert "## ❌ dlready: NOT READY" in text
    assert "\\| pipes" in text and "<b>" not in text  # cells escaped
    assert "| dbn-mnist[numpy vs gnumpy+cudamat] | 4.00 s | 8.00 s | 0.50× ❌ |" in text
    assert text.count("| ❌ |") == doc["verdict"]["counts"]["fail"]


def test_github_summary_unwritable_is_a_warning_not_an_internal_error(pytester, monkeypatch) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(pytester.path / "no" / "such" / "dir" / "summary.md"))
    result, _ = session_report(pytester, MAC, subprocess=True)
    assert result.ret == 1
    result.stderr.fnmatch_lines(["dlready: cannot append the job summary to GITHUB_STEP_SUMMARY=*"])


def test_junitxml_has_every_check_as_a_testcase_with_the_finding(pytester: pytest.Pytester) -> None:
    result, doc = session_report(pytester, WIN, "--junitxml=junit.xml")
    _check_junit(pytester.path / "junit.xml", doc)


def test_junitxml_under_xdist(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    result, doc = session_report(pytester, WIN, "--junitxml=junit.xml", "-n", "2", subprocess=True)
    assert result.ret == 1
    validate(doc)
    _check_junit(pytester.path / "junit.xml", doc)


def _check_junit(path, doc: dict) -> None:
    cases = ET.parse(path).getroot().iter("testcase")
    by_name = {c.get("name"): c for c in cases}
    tests_with_rows = {r["test"] for r in doc["rows"]}
    assert tests_with_rows <= set(by_name), tests_with_rows - set(by_name)
    for row in doc["rows"]:
        case = by_name[row["test"]]
        if row["status"] == "fail":
            failure = case.find("failure")
            assert failure is not None, row["test"]
            assert row["message"].split("\n")[0][:60] in failure.get("message", "") + (failure.text or "")
        # a test's recorded findings also travel in its testcase's <properties>
        props = [p.get("value", "") for p in case.iter("property") if p.get("name") == "dlready"]
        if row["status"] != "skip" or props:
            assert any(row["check"] in p and row["status"] in p for p in props), row["check"]


# -- never raise on bad input ------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
REPORT_KEYS = ["schema", "verdict", "rows", "runs", "hosts", "settings", "host", "gpus", "tier", "lost_workers",
               "facts_source", "exitstatus", "created"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(REPORT_KEYS), json_values, max_size=8) | json_values)
def test_renderers_never_raise_on_any_json(doc) -> None:
    page = H.render(doc)
    assert page.startswith("<!DOCTYPE html>")
    assert "## " in github.render(doc)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.fixed_dictionaries({}, optional={
    "workload": st.sampled_from(["dbn-mnist", "mnist-cnn", ""]) | json_values,
    "backend": st.sampled_from(["numpy", "torch", "gnumpy+cudamat"]) | json_values,
    "device": st.sampled_from(["cpu", "gpu", "tpu"]) | json_values,
    "ok": st.booleans() | json_values,
    "epoch_seconds": st.lists(st.floats(min_value=0, max_value=1e4) | json_values, max_size=6) | json_values,
    "warmup_epochs": st.integers(-2, 5) | json_values,
    "node": st.sampled_from(["", "gw0", "gw1"]),
    "error": st.text(max_size=30) | json_values,
}), max_size=8))
def test_pairs_never_raise_and_speedups_are_positive(runs) -> None:
    for entry in R.pairs(runs):
        assert entry["speedup"] is None or entry["speedup"] > 0
    H.chart_svg(R.pairs(runs))


def test_mutated_real_report_still_renders(pytester: pytest.Pytester) -> None:
    """Every prefix-truncation of a real report's rows/runs, and every field dropped, renders."""
    _, doc = session_report(pytester, WIN)
    for key in list(doc):
        H.render({k: v for k, v in doc.items() if k != key})
        github.render({k: v for k, v in doc.items() if k != key})
    for i in range(len(doc["runs"]) + 1):
        for j, run in enumerate(doc["runs"][:i]):
            broken = dict(run, epoch_seconds=run["epoch_seconds"][:j])
            H.render(dict(doc, runs=doc["runs"][:j] + [broken]))


def test_chart_pairs_agree_with_the_verdicts_baseline() -> None:
    """The verdict row names numpy as pyopencl's baseline; a faster, other CPU run must not replace it."""
    runs = [
        {"workload": "dbn-mnist", "backend": "numpy", "device": "cpu", "epoch_seconds": [1.9, 1.7, 1.47]},
        {"workload": "dbn-mnist", "backend": "gnumpy+npmat", "device": "cpu", "epoch_seconds": [0.35, 0.30, 0.31]},
        {"workload": "dbn-mnist", "backend": "pyopencl", "device": "gpu", "epoch_seconds": [2.05, 1.82, 2.03]},
    ]
    row = {"check": "speedup dbn-mnist[pyopencl]", "status": "warn", "node": None,
           "observed": {"workload": "dbn-mnist", "cpu_backend": "numpy", "gpu_backend": "pyopencl"}}
    with_verdict = {e["label"]: e["speedup"] for e in R.pairs(runs, [row])}
    assert with_verdict["dbn-mnist[numpy vs pyopencl]"] == pytest.approx(1.585 / 1.925)
    assert with_verdict["dbn-mnist[gnumpy+npmat]"] is None  # the other CPU run stays, as CPU only
    # without a verdict row: the fastest CPU run is the honest baseline
    alone = {e["label"]: e["speedup"] for e in R.pairs(runs)}
    assert alone["dbn-mnist[gnumpy+npmat vs pyopencl]"] == pytest.approx(0.305 / 1.925)


def test_reports_are_written_without_jsonschema_installed(pytester: pytest.Pytester) -> None:
    """The schema is for consumers and tests; writing JSON + HTML must not need jsonschema (or yaml)."""
    import subprocess
    import sys

    pytester.makeconftest(ONLY_GIVEN)
    seed = pytester.makepyfile(test_seed_runs=SEED_RUNS)
    code = ("import sys; sys.modules['jsonschema'] = None; sys.modules['yaml'] = None; import pytest; "
            f"sys.exit(pytest.main(['-p', 'no:cacheprovider', '--dlready', '--dlready-facts={MAC}', "
            f"'--dlready-json=r.json', '--dlready-html=r.html', {str(seed)!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=pytester.path, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    validate(json.loads((pytester.path / "r.json").read_text()))
    assert (pytester.path / "r.html").read_text().startswith("<!DOCTYPE html>")
