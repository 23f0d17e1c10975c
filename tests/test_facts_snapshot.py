"""Facts snapshots: atomic writes, clear errors, and property tests on damaged files."""
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA
from pytest_dlready import facts as F
from pytest_dlready.checks import drivers, markers as M
from pytest_dlready.results import Finding, Status

REAL = [os.path.join(DATA, "facts", n) for n in sorted(os.listdir(os.path.join(DATA, "facts"))) if n.endswith(".json")]


def test_save_load_round_trip(tmp_path):
    snap = F.new_snapshot()
    snap["host"] = {"os": "linux", "hostname": "h"}
    path = tmp_path / "deep" / "s.json"
    with pytest.raises(FileNotFoundError):  # no folder tree is created for a mistyped path
        F.save(snap, str(path))
    path.parent.mkdir()
    F.save(snap, str(path))
    loaded = F.load(str(path))
    assert loaded["host"] == snap["host"] and loaded["source"] == f"loaded from {path}"
    assert os.listdir(path.parent) == ["s.json"]


def test_atomic_write_keeps_old_file_when_serialisation_fails(tmp_path):
    path = tmp_path / "s.json"
    path.write_text("old")

    class Boom:
        def __str__(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        F.save({"x": Boom()}, str(path))
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["s.json"]


def test_get_dotted():
    facts = {"a": {"b": [{"c": 1}]}}
    assert F.get(facts, "a.b.0.c") == 1
    assert F.get(facts, "a.b.5.c", "d") == "d"
    assert F.get(facts, "a.x.y") is None


@pytest.mark.parametrize("path", REAL, ids=os.path.basename)
def test_recorded_snapshots_validate(path):
    facts = F.load(path)
    assert F.host_os(facts) in ("linux", "macos", "windows")


def _judge_all(facts):
    """Every toolchain check over a snapshot: must return findings, never raise."""
    from pytest_dlready.checks import libraries, macos, platform, toolchain

    out = []
    for fn in (platform.check_os, platform.check_python, platform.check_numpy_blas, platform.check_environment,
               toolchain.check_compiler, toolchain.check_toolkit, toolchain.check_paths, drivers.check_drivers,
               toolchain.check_compute_capability, libraries.check_cudnn, libraries.check_shadowing, macos.check_energy):
        found = fn(facts)
        assert found and all(isinstance(f, Finding) for f in found)
        out.extend(found)
    M.evaluate_gpu(facts, min_compute="3.5")
    return out


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30))
JSON = st.recursive(JSON_SCALARS, lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(st.text(max_size=12), c, max_size=4)),
                    max_leaves=20)


def _mutate(data, draw):
    """Replace a random sub-tree of a real snapshot with random JSON."""
    if isinstance(data, dict) and data:
        key = draw(st.sampled_from(sorted(data)))
        if draw(st.booleans()):
            data[key] = draw(JSON)
        else:
            _mutate(data[key], draw)
    elif isinstance(data, list) and data:
        i = draw(st.integers(0, len(data) - 1))
        data[i] = draw(JSON)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from(REAL))
def test_checks_never_raise_on_mutated_real_snapshots(data, path):
    facts = json.load(open(path))
    for _ in range(data.draw(st.integers(1, 6))):
        _mutate(facts, data.draw)
    try:
        facts = F.validate(facts)
    except F.SnapshotError:
        return  # the loader names what is wrong: fine
    _judge_all(facts)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(REAL), st.floats(0, 1))
def test_truncated_snapshots_are_clear_errors(tmp_path_factory, path, fraction):
    text = open(path).read()
    cut = text[: int(len(text) * fraction)]
    target = tmp_path_factory.mktemp("t") / "cut.json"
    target.write_text(cut)
    try:
        F.load(str(target))
    except F.SnapshotError as exc:
        assert str(target) in str(exc)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_are_clear_errors(tmp_path_factory, blob):
    target = tmp_path_factory.mktemp("b") / "blob.json"
    target.write_bytes(blob)
    with pytest.raises(F.SnapshotError):
        F.load(str(target))


def test_finding_round_trip():
    f = Finding("x", Status.WARN, "m", code="C", fix="do", observed={"a": 1})
    assert Finding.from_dict(json.loads(json.dumps(f.to_dict()))) == f


@pytest.mark.parametrize("path", REAL, ids=os.path.basename)
def test_intact_real_snapshots_are_judged_without_malformed_findings(path):
    """The guard is for damaged facts only: an intact snapshot must be judged by the checks themselves."""
    assert not [f for f in _judge_all(F.load(path)) if f.code == "DLR-FACTS-MALFORMED"]


def test_probed_snapshot_of_this_machine_is_judged_cleanly():
    from pytest_dlready.probes.collect import collect

    facts = collect(light=True)
    assert facts["probe_errors"] == {}
    assert not [f for f in _judge_all(facts) if f.code == "DLR-FACTS-MALFORMED"]
