"""The workload runner against real subprocesses: crashes, hangs, kills, env isolation, signals."""
from __future__ import annotations

import json
import os
import sys
import textwrap
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_dlready.parsers import signals
from pytest_dlready.workloads import runner as R

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "workloads")
posix_only = pytest.mark.skipif(os.name != "posix", reason="signals and os.wait4 are POSIX")

PROTOCOL = textwrap.dedent('''
    import json, os, sys, time
    result = sys.argv[sys.argv.index("--result") + 1]
    def epoch(i, s):
        print("DLREADY-EPOCH " + json.dumps({"epoch": i, "seconds": s}), flush=True)
    def done(**kw):
        base = {"device_used": "cpu", "epoch_seconds": [0.1, 0.1, 0.1], "dataset": "synthetic"}
        base.update(kw)
        json.dump(base, open(result, "w"))
''')


def script(tmp_path, body, name="work.py"):
    path = tmp_path / name
    path.write_text(PROTOCOL + textwrap.dedent(body))
    return str(path)


def spec(path, **kw):
    kw.setdefault("device", "cpu")
    return R.WorkloadSpec(workload="toy", backend="numpy", script=path, **kw)


def recorded_lines():
    out = []
    with open(os.path.join(DATA, "fallback_lines.txt"), encoding="utf-8") as fh:
        for line in fh:
            if line.strip() and not line.startswith("#"):
                name, text = line.rstrip("\n").split("\t", 1)
                out.append((name, text))
    return out


def test_success_collects_epochs_rusage_and_progress(tmp_path):
    path = script(tmp_path, '''
        t = time.process_time()
        while time.process_time() - t < 0.4:
            pass
        epoch(1, 0.2); epoch(2, 0.1)
        done(epoch_seconds=[0.2, 0.1], batch_size=64)
    ''')
    seen = []
    res = R.run(spec(path), timeout=30, on_epoch=seen.append)
    assert res.ok, res.error
    assert res.epoch_seconds == [0.2, 0.1] and res.batch_size == 64 and res.dataset == "synthetic"
    assert [e["epoch"] for e in seen] == [1, 2]
    assert res.wall_s and res.wall_s >= 0.4
    if hasattr(os, "wait4"):
        assert res.cpu_user_s + res.cpu_sys_s >= 0.35 and res.peak_rss_mb > 1


def test_crash_names_workload_and_stderr(tmp_path):
    path = script(tmp_path, '''
        epoch(1, 0.5)
        raise RuntimeError("boom in the training loop")
    ''')
    res = R.run(spec(path), timeout=30)
    assert not res.ok
    assert "toy[numpy, cpu] exited with status 1" in res.error
    assert "RuntimeError: boom in the training loop" in res.error
    assert res.epoch_seconds == [0.5]  # what it did before dying is kept
    assert res.stderr_tail[-1] == "RuntimeError: boom in the training loop"


@posix_only
def test_hang_is_killed_at_timeout(tmp_path):
    path = script(tmp_path, '''
        import subprocess
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])  # a helper, killed too
        sys.stderr.write("still waiting for the device\\n"); sys.stderr.flush()
        time.sleep(120)
    ''')
    start = time.perf_counter()
    res = R.run(spec(path), timeout=2)
    assert time.perf_counter() - start < 15
    assert not res.ok and res.extra.get("timed_out")
    assert "did not finish within 2 s" in res.error and "still waiting for the device" in res.error


@posix_only
def test_oom_like_kill_is_reported_as_such(tmp_path):
    path = script(tmp_path, '''
        import signal
        hog = bytearray(80 * 1024 * 1024)
        for i in range(0, len(hog), 4096):
            hog[i] = 1
        os.kill(os.getpid(), signal.SIGKILL)
    ''')
    res = R.run(spec(path), timeout=30)
    assert not res.ok and res.extra["oom_suspected"]
    assert "killed by SIGKILL" in res.error and "out-of-memory" in res.error
    assert res.peak_rss_mb >= 80


def test_unavailable_backend_is_not_a_crash(tmp_path):
    path = script(tmp_path, '''
        json.dump({"ok": False, "error": "torch sees no CUDA device", "extra": {"unavailable": True}}, open(result, "w"))
        sys.exit(3)
    ''')
    res = R.run(spec(path, device="gpu"), timeout=30)
    assert not res.ok and res.extra["unavailable"] and res.error == "torch sees no CUDA device"


def test_garbage_result_and_missing_result(tmp_path):
    res = R.run(spec(script(tmp_path, 'open(result, "w").write("{not json")')), timeout=30)
    assert not res.ok and "unreadable result file" in res.error
    res = R.run(spec(script(tmp_path, 'pass', "quiet.py")), timeout=30)
    assert not res.ok and "wrote no result file" in res.error


def test_missing_interpreter(tmp_path):
    res = R.run(spec(script(tmp_path, "pass"), python=str(tmp_path / "no-python")), timeout=5)
    assert not res.ok and "could not start" in res.error


def test_env_is_isolated(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".keras").mkdir(parents=True)
    (home / ".keras" / "keras.json").write_text('{"backend": "theano"}')  # stale, must not leak
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KERAS_BACKEND", "cntk")
    monkeypatch.setenv("THEANO_FLAGS", "device=gpu,floatX=float64")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    path = script(tmp_path, '''
        keys = ["KERAS_BACKEND", "KERAS_HOME", "DLREADY_KERAS_HOME", "CUDA_VISIBLE_DEVICES", "THEANO_FLAGS", "PYTENSOR_FLAGS"]
        done(extra={k: os.environ.get(k) for k in keys}, device_used="cpu")
    ''')
    cpu = R.run(spec(path, keras_backend="jax", cudnn=False), timeout=30)
    env = cpu.extra
    assert env["KERAS_BACKEND"] == "jax"
    assert env["KERAS_HOME"] != str(home / ".keras") and not env["KERAS_HOME"].startswith(str(home))
    assert env["DLREADY_KERAS_HOME"] == str(home / ".keras")
    assert env["CUDA_VISIBLE_DEVICES"] == ""
    assert "device=cpu" in env["THEANO_FLAGS"] and "floatX=float32" in env["THEANO_FLAGS"]
    assert "dnn.enabled=False" in env["THEANO_FLAGS"] and env["PYTENSOR_FLAGS"] == env["THEANO_FLAGS"]
    # a private compile folder of our own (never the user's ~/.theano), mode 0700
    assert "base_compiledir=" in env["THEANO_FLAGS"] and str(home / ".theano") not in env["THEANO_FLAGS"]
    assert "pytest-dlready" in env["THEANO_FLAGS"]
    gpu = R.run(spec(path, device="gpu"), timeout=30).extra
    assert gpu["KERAS_BACKEND"] is None and gpu["CUDA_VISIBLE_DEVICES"] == "0"
    assert "device=cuda0" in gpu["THEANO_FLAGS"]


@pytest.mark.parametrize("name,line", recorded_lines())
def test_recorded_fallback_lines_are_signals(tmp_path, name, line):
    assert signals.scan([line])[0].startswith(name + ": ")
    path = script(tmp_path, f'''
        sys.stderr.write({line!r} + "\\n")
        done()
    ''')
    res = R.run(spec(path, device="gpu"), timeout=30)
    assert res.ok and any(s.startswith(name + ": ") for s in res.signals)
    assert signals.says(res.signals[0])


def test_ordinary_lines_are_not_signals():
    lines = ["Epoch 1/12", "60000/60000 [==============================] - 16s - loss: 0.3386",
             "Using TensorFlow backend.", "gnumpy: using cudamat"]
    assert signals.scan(lines) == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_epoch_line_parser_total(text):
    got = R.parse_epoch_line(R.EPOCH_PREFIX + text)
    assert got is None or got["seconds"] >= 0
    R.parse_epoch_line(text)


@settings(max_examples=200, deadline=None)
@given(idx=st.integers(min_value=0, max_value=50), cut=st.integers(min_value=0, max_value=400),
       junk=st.text(max_size=40))
def test_signal_scan_total_on_mutated_real_lines(idx, cut, junk):
    lines = [text for _, text in recorded_lines()]
    line = lines[idx % len(lines)]
    mutated = line[:cut] + junk + line[cut:]
    assert isinstance(signals.scan([mutated, line[:cut], junk, None]), list)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=30)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["epoch_seconds", "samples", "dataset", "extra", "signals", "ok",
                                        "batch_size", "device_used", "other"]), JSONISH, max_size=9))
def test_sanitise_total(data):
    out = R.sanitise(data)
    assert all(isinstance(v, float) for v in out.get("epoch_seconds", []))
    R.RunResult(workload="w", backend="b", device="cpu", **{k: v for k, v in out.items() if k != "ok"})


def test_result_file_fuzz_through_real_runs(tmp_path):
    """Mutations of a real dbn result file never break the runner."""
    real = {"workload": "dbn-mnist", "epoch_seconds": [0.3, 0.2], "samples": 1024, "extra": {"losses": [1.0, 0.5]}}
    text = json.dumps(real)
    for cut in (0, 5, len(text) // 2, len(text) - 1):
        path = script(tmp_path, f'open(result, "w").write({text[:cut]!r})', f"cut{cut}.py")
        res = R.run(spec(path), timeout=30)
        assert not res.ok and res.error
