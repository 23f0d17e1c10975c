"""Legacy environments: finding them (pytest_dlready.legacy) and building them (scripts/make-legacy-envs).

The builder is exercised for real where it is cheap (interpreter lookup, stamps, skips,
the idempotent rerun on the environments CI built); the manifests it writes are read back
by ``legacy`` and fuzzed with hypothesis, because they are outside text like any log.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings, strategies as st

from pytest_dlready.workloads import legacy

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILDER = os.path.join(REPO, "scripts", "make-legacy-envs")
ROOT = legacy.default_root()


def load_builder():
    loader = importlib.machinery.SourceFileLoader("make_legacy_envs", BUILDER)
    spec = importlib.util.spec_from_loader("make_legacy_envs", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def built(name: str):
    return pytest.mark.skipif(legacy.find_env(name) is None, reason=legacy.missing_reason(name) or "built")


# -- legacy.py on real manifests ----------------------------------------------------------
def fake_env(tmp_path, name="py27-dbn", python=sys.executable, **extra):
    env_dir = tmp_path / name
    env_dir.mkdir(parents=True)
    manifest = {"name": name, "python": python, "python_version": "2.7.18",
                "backends": {"gnumpy": "0.2", "nolearn": "0.5"}, "notes": ["cudamat is not on PyPI"],
                "env": {"GNUMPY_USE_GPU": "auto"}}
    manifest.update(extra)
    (env_dir / legacy.MANIFEST).write_text(json.dumps(manifest))
    (env_dir / legacy.STAMP).write_text("abc\n")
    return env_dir


def test_find_envs_lists_built_environments_with_their_backends(tmp_path):
    fake_env(tmp_path)
    (tmp_path / "logs").mkdir()
    (tmp_path / "_bootstrap").mkdir()
    envs = legacy.find_envs(str(tmp_path))
    assert [e["name"] for e in envs] == ["py27-dbn"]
    env = envs[0]
    assert env["python"] == sys.executable
    assert env["backends"] == {"gnumpy": "0.2", "nolearn": "0.5"}
    assert env["notes"] == ["cudamat is not on PyPI"]
    assert env["path"] == str(tmp_path / "py27-dbn")


def test_an_environment_without_stamp_is_incomplete_and_says_how_to_rebuild(tmp_path):
    env_dir = fake_env(tmp_path)
    (env_dir / legacy.STAMP).unlink()
    usable, problems = legacy.scan(str(tmp_path))
    assert usable == []
    assert "incomplete" in problems["py27-dbn"]
    assert "scripts/make-legacy-envs --only py27-dbn" in problems["py27-dbn"]


def test_a_broken_base_interpreter_is_reported_not_returned(tmp_path):
    fake_env(tmp_path, python=str(tmp_path / "gone" / "python"))
    assert legacy.find_env("py27-dbn", str(tmp_path)) is None
    assert "missing or not executable" in legacy.missing_reason("py27-dbn", str(tmp_path))


def test_missing_reason_for_an_unbuilt_environment_names_the_interpreter(tmp_path):
    why = legacy.missing_reason("py36-cntk", str(tmp_path))
    assert why.startswith("legacy environment py36-cntk is not built")
    assert "pyenv install 3.6.15" in why


def test_default_root_honours_the_environment_variable(tmp_path):
    assert legacy.default_root({legacy.ENV_VAR: str(tmp_path)}) == str(tmp_path)


def test_run_env_prepends_search_paths_and_drops_pythonpath():
    record = {"env": {"LD_LIBRARY_PATH": "/envs/mpi-compat", "KERAS_BACKEND": "cntk"}}
    env = legacy.run_env(record, {"LD_LIBRARY_PATH": "/usr/local/cuda/lib64", "PYTHONPATH": "/src", "HOME": "/h"})
    assert env["LD_LIBRARY_PATH"] == "/envs/mpi-compat" + os.pathsep + "/usr/local/cuda/lib64"
    assert env["KERAS_BACKEND"] == "cntk"
    assert "PYTHONPATH" not in env and env["HOME"] == "/h"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_parse_manifest_never_raises_on_any_json(data):
    record, why = legacy.parse_manifest(data)
    assert (record is None) != (why == "")


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["name", "python", "backends", "env", "notes", "import_signals", "stamp"]),
                       json_values, max_size=7))
def test_parse_manifest_with_real_keys_and_random_values_never_raises(data):
    record, _ = legacy.parse_manifest(data)
    if record is not None:
        assert isinstance(record["backends"], dict) and isinstance(record["env"], dict)
        legacy.run_env(record, {})


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=0, max_value=400), junk=st.binary(max_size=30))
def test_truncated_or_mutated_manifest_files_never_raise(tmp_path_factory, cut, junk):
    root = tmp_path_factory.mktemp("envs")
    env_dir = fake_env(root)
    text = (env_dir / legacy.MANIFEST).read_bytes()
    (env_dir / legacy.MANIFEST).write_bytes(text[:cut] + junk)
    usable, problems = legacy.scan(str(root))
    assert len(usable) + len(problems) == 1


# -- the builder ------------------------------------------------------------------------------
def test_builder_pins_every_environment_it_knows():
    builder = load_builder()
    assert set(builder.ENVS) == set(legacy.KNOWN)
    for name, spec in builder.ENVS.items():
        assert legacy.KNOWN[name] == spec["python"]
        pins = open(os.path.join(REPO, "scripts", "legacy-envs", name + ".txt")).read().splitlines()
        reqs = [line for line in pins if line.strip() and not line.startswith("#")]
        assert reqs and all("==" in line for line in reqs), (name, reqs)


def test_stamp_changes_when_the_pins_change(tmp_path, monkeypatch):
    builder = load_builder()
    pins = tmp_path / "py27-dbn.txt"
    pins.write_text("numpy==1.11.3\n")
    b = builder.Builder("py27-dbn", builder.ENVS["py27-dbn"], str(tmp_path), 60, False)
    b.pins_path = str(pins)
    first = b.stamp_for("/py", "2.7.18")
    assert b.stamp_for("/py", "2.7.18") == first
    pins.write_text("numpy==1.16.6\n")
    assert b.stamp_for("/py", "2.7.18") != first
    assert b.stamp_for("/py", "2.7.17") != b.stamp_for("/py", "2.7.18")


def test_a_missing_interpreter_skips_that_environment_with_the_reason(tmp_path):
    argv = [sys.executable, BUILDER, "--dest", str(tmp_path), "--only", "py27-dbn",
            "--python", "2.7=" + str(tmp_path / "no-python2.7")]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "py27-dbn     SKIPPED: no Python 2.7 interpreter" in proc.stdout
    assert "pyenv install 2.7.18" in proc.stdout
    strict = subprocess.run(argv + ["--strict"], capture_output=True, text=True, timeout=60)
    assert strict.returncode == 1
    assert not (tmp_path / "py27-dbn").exists()


def test_unknown_environment_is_a_usage_error(tmp_path):
    proc = subprocess.run([sys.executable, BUILDER, "--dest", str(tmp_path), "--only", "py99-nope"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "unknown environment(s) py99-nope" in proc.stderr


@pytest.mark.skipif(not legacy.find_envs(), reason="no legacy environment built; run scripts/make-legacy-envs")
def test_second_build_is_a_no_op_that_takes_seconds():
    names = ",".join(e["name"] for e in legacy.find_envs())
    manifests = {e["name"]: os.path.getmtime(os.path.join(e["path"], legacy.MANIFEST)) for e in legacy.find_envs()}
    start = time.monotonic()
    proc = subprocess.run([sys.executable, BUILDER, "--dest", ROOT, "--only", names],
                          capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in manifests:
        assert "%-12s up to date" % name in proc.stdout
    assert elapsed < 10, "an up-to-date rerun took %.1fs" % elapsed
    after = {e["name"]: os.path.getmtime(os.path.join(e["path"], legacy.MANIFEST)) for e in legacy.find_envs()}
    assert after == manifests


@built("py27-dbn")
def test_py27_manifest_records_gnumpys_real_fallback_line():
    env = legacy.find_env("py27-dbn")
    assert env["python_version"].startswith("2.7.")
    assert env["backends"]["gnumpy"] == "0.2" and env["backends"]["nolearn"] == "0.5"
    assert "gnumpy: failed to import cudamat. Using npmat instead. No GPU will be used." in env["import_signals"]


@built("py36-cntk")
def test_cntk_environment_carries_its_private_mpi_sonames():
    env = legacy.find_env("py36-cntk")
    libdir = env["env"]["LD_LIBRARY_PATH"]
    assert libdir.startswith(env["path"])  # never a system directory
    for soname in ("libmpi.so.12", "libmpi_cxx.so.1"):
        assert os.path.exists(os.path.join(libdir, soname))
    assert "Selected CPU as the process wide default device." in env["import_signals"]


# -- where environments come from, and which are trusted (issue: nothing from the cwd runs) ----
def test_a_legacy_envs_folder_in_the_current_directory_is_never_used(tmp_path, monkeypatch):
    planted = tmp_path / "cwd"
    fake_env(planted / ".legacy-envs", python="/tmp/x", env={"LD_PRELOAD": "/tmp/evil.so"})
    monkeypatch.chdir(planted)
    monkeypatch.delenv(legacy.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = legacy.default_root()
    assert not root.startswith(str(planted)), root
    assert all(e["python"] != "/tmp/x" for e in legacy.find_envs())


def test_the_per_user_folder_is_the_default_and_the_option_wins(tmp_path, monkeypatch):
    monkeypatch.delenv(legacy.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    mine = tmp_path / "cache" / "pytest-dlready" / "legacy-envs"
    mine.mkdir(parents=True)
    assert legacy.default_root() == str(mine) == legacy.user_root()
    assert legacy.default_root(option=str(tmp_path / "elsewhere")) == str(tmp_path / "elsewhere")
    assert legacy.default_root({legacy.ENV_VAR: str(tmp_path / "env")}) == str(tmp_path / "env")


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX ownership and modes")
def test_an_environment_others_may_write_is_not_trusted(tmp_path):
    env_dir = fake_env(tmp_path / "root")
    assert legacy.find_env("py27-dbn", str(tmp_path / "root")) is not None
    os.chmod(env_dir / legacy.MANIFEST, 0o666)
    record, why = legacy.load_env(str(env_dir))
    assert record is None and "not trusted" in why and "writable by others" in why
    os.chmod(env_dir / legacy.MANIFEST, 0o644)
    os.chmod(tmp_path / "root", 0o777)
    record, why = legacy.load_env(str(env_dir))
    assert record is None and "writable by others" in why


def test_unbuilt_legacy_stacks_are_one_skip_row_saying_how_to_build_them(tmp_path):
    from pytest_dlready.settings import Settings

    comps = legacy.comparisons({}, Settings(), root=str(tmp_path / "none"))
    assert [c.id for c in comps] == ["dbn-mnist[gnumpy]"]
    assert "make-legacy-envs" in comps[0].skip and "--dlready-legacy-envs" in comps[0].skip
