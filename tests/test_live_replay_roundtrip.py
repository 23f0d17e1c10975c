"""The support promise end to end: `pytest --dlready` trains here and saves a snapshot;
another process in another folder re-judges that snapshot and prints the same training rows."""
import json
import os
import subprocess
import sys

import pytest


def _pytest(cwd, *args):
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=str(cwd),
                          capture_output=True, text=True, env=env, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


def _training_rows(path):
    """Every judged row (toolchain, devices, training): a snapshot judged elsewhere must give them all back."""
    doc = json.loads(path.read_text())
    return [{k: r[k] for k in ("check", "status", "code", "message", "fix", "observed")}
            for r in doc["rows"] if r["status"] != "skip"]


def test_live_suite_snapshot_replayed_elsewhere_gives_identical_rows(tmp_path):
    pytest.importorskip("numpy")
    live_dir, other_dir = tmp_path / "live", tmp_path / "elsewhere"
    live_dir.mkdir(), other_dir.mkdir()
    snap, live_json, replay_json = live_dir / "snap.json", live_dir / "live.json", other_dir / "replay.json"
    backends = "--dlready-backends=numpy,pyopencl" if _has("pyopencl") else "--dlready-backends=numpy"
    rc_live, out_live = _pytest(live_dir, "--dlready", backends,
                                f"--dlready-save-facts={snap}", f"--dlready-json={live_json}")
    assert rc_live in (0, 1), out_live
    live = _training_rows(live_json)
    assert any(r["check"].startswith("training dbn-mnist[numpy") and r["status"] == "pass" for r in live), out_live
    saved = json.loads(snap.read_text())
    assert saved["workloads"]["runs"], "the snapshot must carry the runs"
    rc_replay, out_replay = _pytest(other_dir, "--dlready", backends,
                                    f"--dlready-facts={snap}", f"--dlready-json={replay_json}")
    replayed = _training_rows(replay_json)
    # every row the live run judged (not the skipped comparisons) comes back identical, in order
    expected = [r for r in live if r["status"] != "skip"]
    assert replayed == expected, _first_difference(replayed, expected) + "\n" + out_replay
    if _has("pyopencl"):
        assert any(r["check"].startswith("speedup dbn-mnist[pyopencl]") for r in replayed), out_replay


def _first_difference(got, want):
    if len(got) != len(want):
        return f"{len(got)} rows replayed, {len(want)} live: {[r['check'] for r in got]} vs {[r['check'] for r in want]}"
    for g, w in zip(got, want):
        for key in g:
            if g[key] != w.get(key):
                return f"{g['check']}: {key} differs:\n replayed {g[key]!r}\n live     {w.get(key)!r}"
    return ""


def _has(module):
    import importlib.util

    return importlib.util.find_spec(module) is not None
