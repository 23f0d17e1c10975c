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


# -- nothing outlives its run (issue: safe and whole under faults) ----------------------------------
def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


@posix_only
def test_grandchildren_of_a_successful_run_are_stopped_and_reported(tmp_path):
    pids = tmp_path / "pids"
    path = script(tmp_path, f'''
        import subprocess
        p = subprocess.Popen(["sleep", "60"])          # a grandchild that keeps running
        open({str(pids)!r}, "w").write(str(p.pid))
        done()
    ''')
    start = time.perf_counter()
    res = R.run(spec(path), timeout=60)
    assert res.ok and res.extra["leftover_processes"] == 1
    assert time.perf_counter() - start < 8  # no waiting on pipes the grandchild holds
    assert not _alive(int(pids.read_text()))
    from pytest_dlready.checks import training
    rows = training.leftover_rows(res)
    assert rows and rows[0].status.value == "warn" and rows[0].code == "DLR-TRAIN-LEFTOVER"
    assert "left 1 process running" in rows[0].message


@posix_only
def test_sigterm_to_pytest_leaves_no_workload_behind(tmp_path):
    import signal
    import subprocess

    pids = tmp_path / "pids"
    work = script(tmp_path, f'''
        import subprocess
        p = subprocess.Popen(["sleep", "60"])
        open({str(pids)!r}, "w").write("%d %d" % (os.getpid(), p.pid))
        time.sleep(60)
    ''')
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {os.getcwd()!r})
        from pytest_dlready.workloads import runner as R
        R.run(R.WorkloadSpec(workload="toy", backend="numpy", device="cpu", script={work!r}), timeout=120)
    '''))
    proc = subprocess.Popen([sys.executable, str(driver)])
    deadline = time.time() + 30
    while not (pids.exists() and len(pids.read_text().split()) == 2) and time.time() < deadline:
        time.sleep(0.1)
    child, grandchild = map(int, pids.read_text().split())
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    time.sleep(0.5)
    assert not _alive(child) and not _alive(grandchild), "the workload outlived the pytest that ran it"


@posix_only
def test_hundreds_of_megabytes_without_a_newline_keep_the_parent_bounded(tmp_path):
    import resource

    path = script(tmp_path, '''
        chunk = "x" * (1 << 20)
        for _ in range(400):
            sys.stdout.write(chunk)
        sys.stdout.flush()
        done()
    ''')
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    res = R.run(spec(path), timeout=120)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert res.ok and res.extra["output_dropped_bytes"] > 390 * (1 << 20)
    assert grown_mb < 100, f"pytest grew by {grown_mb:.0f} MB"
    # and the next run is not slowed by reader threads left behind
    quick = script(tmp_path, "done()\n", name="quick.py")
    t0 = time.perf_counter()
    assert R.run(spec(quick), timeout=60).ok
    assert time.perf_counter() - t0 < 5, (time.perf_counter() - t0, time.perf_counter() - start)


@posix_only
def test_peak_memory_is_the_childs_own(tmp_path):
    path = script(tmp_path, '''
        block = bytearray(60 * (1 << 20))   # ~60 MB of its own
        for i in range(0, len(block), 4096):
            block[i] = 1
        done()
    ''')
    ballast = bytearray(300 * (1 << 20))  # the parent is far larger than the child
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    res = R.run(spec(path), timeout=60)
    del ballast
    assert res.ok and 55 < res.peak_rss_mb < 150, (res.peak_rss_mb, res.extra.get("peak_rss_source"))
