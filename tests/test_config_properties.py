"""Config is outside text too: any option/ini value resolves to Settings or a usage error naming
the option, and any case file loads or fails with a CaseError naming the file — never a traceback."""
import json
import os
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_dlready import settings as S

VALUES = st.one_of(st.text(max_size=12), st.sampled_from(["", "1", "0", "-1", "7.5", "3.0", "nan", "inf", "1e400",
                                                          "quick", "full", "nvidia", "true", "no", "12.0", "sm_75"]))


class FakeConfig:
    """Just the two calls Settings resolution makes, fed with generated values."""

    def __init__(self, cli, ini):
        self.cli, self.ini = cli, ini

    def getoption(self, name, default=None):
        return self.cli.get(name, default)

    def getini(self, name):
        return self.ini.get(name, S.OPTIONS[name][2])


NAMES = [n for n, (_h, kind, _d) in S.OPTIONS.items() if kind == "string" and n not in ("dlready_facts",)]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=6), st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=6))
def test_any_option_values_resolve_or_name_the_option(cli, ini):
    try:
        resolved = S.resolve(FakeConfig(cli, ini))
    except pytest.UsageError as exc:
        message = str(exc)
        assert message.startswith("--dlready-") or message.startswith("ini dlready_"), message
        return
    assert resolved.tier in S.TIERS and resolved.min_speedup > 0
    assert resolved.probe_timeout >= 0.1 and resolved.workload_timeout >= 1


CASE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pytest_dlready", "cases", "gt750m-dbn")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_case_files_load_or_name_the_file(tmp_path, data):
    from pytest_dlready.workloads import cases as replay

    import pathlib
    import tempfile

    work = pathlib.Path(tempfile.mkdtemp(dir=tmp_path)) / "case"
    shutil.copytree(CASE, work)
    case_file = work / "case.toml"
    text = case_file.read_text()
    how = data.draw(st.sampled_from(["truncate", "replace", "json"]))
    if how == "truncate":
        text = text[: data.draw(st.integers(0, len(text)))]
    elif how == "replace":
        lines = text.splitlines()
        i = data.draw(st.integers(0, max(len(lines) - 1, 0)))
        lines[i:i + 1] = [data.draw(st.text(max_size=40))]
        text = "\n".join(lines)
    else:
        case_file = work / "case.json"
        text = data.draw(st.one_of(st.text(max_size=80), st.just(json.dumps({"runs": [{"device": "gpu", "backend": "x", "log": "nope"}]}))))
    case_file.write_text(text)
    try:
        case = replay.load_case(str(case_file))
        replay.case_runs(case)
    except replay.CaseError as exc:
        assert str(case_file) in str(exc) or str(work) in str(exc)
