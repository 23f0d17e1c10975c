"""Replay: cases load and fail clearly; pytest --dlready replays them end to end; snapshots round-trip."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from pytest_dlready import facts as F
from pytest_dlready.cli import replay as replay_cli
from pytest_dlready.workloads import cases as replay
from pytest_dlready.checks import speedup as verdict


def run_pytest(cwd, *args, timeout=240):
    env = dict(os.environ, COLUMNS="200")
    env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=str(cwd),
                          capture_output=True, text=True, timeout=timeout, env=env)
    return proc.returncode, proc.stdout + proc.stderr


def test_bundled_cases_are_listed_and_loadable():
    assert replay.bundled_cases() == ["dlwin-toolchain-traps", "gt750m-dbn", "titanx-keras-mnist"]
    case = replay.load_case("titanx-keras-mnist")
    assert [r["id"] for r in case["runs"]][0] == "theano-cpu" and case["workload"] == "mnist-cnn"


def test_case_errors_name_the_problem(tmp_path):
    with pytest.raises(replay.CaseError, match="no replay case 'nope'.*gt750m-dbn"):
        replay.load_case("nope")
    bad = tmp_path / "case.toml"
    bad.write_text('name = "x"\n[[runs]]\ndevice = "gpu"\nbackend = "b"\nlog = "g.log"\n')
    with pytest.raises(replay.CaseError, match="needs a cpu run"):
        replay.load_case(str(tmp_path))
    bad.write_text("name = [")
    with pytest.raises(replay.CaseError, match="invalid TOML"):
        replay.load_case(str(bad))


def test_json_case_needs_no_toml_reader(tmp_path):
    src = os.path.join(replay.CASES_DIR, "gt750m-dbn")
    for name in ("cpu.log", "gpu.log"):
        shutil.copy(os.path.join(src, name), tmp_path / name)
    (tmp_path / "case.json").write_text(json.dumps({
        "name": "mine", "workload": "dbn-mnist",
        "runs": [{"device": "cpu", "backend": "gnumpy+npmat", "log": "cpu.log"},
                 {"device": "gpu", "backend": "gnumpy+cudamat", "log": "gpu.log"}]}))
    snap = replay.facts_for_case(str(tmp_path))
    assert snap["source"] == "replay of mine" and len(snap["workloads"]["runs"]) == 2
    (finding,) = replay.judge_runs(snap["workloads"]["runs"], snap)
    assert finding.code == "DLR-SPEED-SLOWER"  # no facts: only the run-measured causes
    # user ≈ real and gnumpy's gpu_lock warning are what a healthy GPU shows too: no cause; the CPU run
    # kept 1.33 cores busy, the GPU run 1.00 -- below the 1.5 cores that make a multicore baseline
    assert finding.observed["causes"] == []


def test_missing_log_is_a_usage_error(tmp_path):
    (tmp_path / "case.json").write_text(json.dumps({"runs": [
        {"device": "cpu", "backend": "a", "log": "cpu.log"}, {"device": "gpu", "backend": "b", "log": "gpu.log"}]}))
    with pytest.raises(replay.CaseError, match="runs\\[0\\].log 'cpu.log'"):
        replay.facts_for_case(str(tmp_path))


def test_main_prints_json_verdict(capsys):
    assert replay_cli.main(["gt750m-dbn"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["case"] == "gt750m-dbn" and doc["findings"][0]["code"] == "DLR-SPEED-SLOWER"
    assert replay_cli.main(["titanx-keras-mnist"]) == 0


def test_pytest_replay_gt750m_fails_with_causes(tmp_path):
    rc, out = run_pytest(tmp_path, "--dlready", "--dlready-replay=gt750m-dbn")
    assert rc == 1, out
    assert ("[DLR-SPEED-SLOWER] GPU 2.03x slower (95 % CI 1.67–2.52x slower, 9 epochs) than CPU on dbn-mnist "
            "[gnumpy+cudamat, GeForce GT 750M]") in out
    assert "cause [DLR-GPU-DISPLAY]" in out and "cause [DLR-CAUSE-SMALL-GPU]" in out
    assert "facts replay of gt750m-dbn" in out


@pytest.mark.parametrize("name", replay.bundled_cases())
def test_every_bundled_case_reads_the_verdict_it_expects(tmp_path, name):
    """A case is one machine state: the whole table (toolchain, devices, replay) gives its ``expect``."""
    case = replay.load_case(name)
    assert case.get("expect") in ("READY", "NOT READY"), f"{name}: say expect = READY or NOT READY"
    rc, out = run_pytest(tmp_path, "--dlready", f"--dlready-replay={name}")
    verdict_line = [ln for ln in out.splitlines() if ln.startswith("dlready: ")][-1]
    assert verdict_line.startswith(f"dlready: {case['expect']}") and (verdict_line == "dlready: READY") == (rc == 0), out


def test_traps_case_is_not_ready_for_its_three_traps_and_nothing_else(tmp_path):
    rc, out = run_pytest(tmp_path, "--dlready", "--dlready-replay=dlwin-toolchain-traps", "-rf")
    assert rc == 1, out
    failed = sorted(ln.split("::")[1].split(" ")[0] for ln in out.splitlines() if ln.startswith("FAILED "))
    assert failed == ["test_compiler", "test_cudnn", "test_shadowed_cuda_libraries"], out
    assert "[DLR-MSVC-INCLUDE-LIB]" in out and "[DLR-CUDNN-MIXED]" in out and "cudnn64_5.dll 5.0.5" in out
    assert "records no training runs" in out  # nothing trained in that state; the replay row says so


def test_titanx_after_fixes_differs_from_traps_only_in_the_fixed_facts():
    after = F.load(os.path.join(replay.CASES_DIR, "titanx-keras-mnist", "facts.json"))
    before = F.load(os.path.join(replay.CASES_DIR, "dlwin-toolchain-traps", "facts.json"))
    assert set(after["env"]["vars"]) - set(before["env"]["vars"]) == {"INCLUDE", "LIB"}
    assert [l["file_version"] for l in after["cudnn"]["libraries"]] == ["5.1.10"]
    assert not [f for f in after["libraries"]["files"] if f["dir"].endswith("dlwin36")]
    for key in ("host", "driver", "devices", "cuda", "numpy", "python", "backends"):
        assert after[key] == before[key], key


def test_pytest_replay_titanx_passes_with_ratios(tmp_path):
    rc, out = run_pytest(tmp_path, "--dlready", "--dlready-replay=titanx-keras-mnist")
    assert rc == 0 and "\ndlready: READY\n" in out, out
    for ratio in ("5.33x", "15.65x", "50.09x", "32.67x"):
        assert f"GPU {ratio} faster (95 % CI" in out
    assert "baseline: the theano CPU run" in out


def test_live_runs_snapshot_replay_identical_findings(tmp_path):
    """Live numpy DBN runs here -> saved snapshot -> another process, another dir -> same findings."""
    runner = pytest.importorskip("pytest_dlready.workloads.runner")
    from pytest_dlready.workloads.protocol import script as script_path

    script = script_path("dbn.py")
    args = ["--samples", "1500", "--epochs", "3"]
    cpu = runner.run(runner.WorkloadSpec("dbn-mnist", "numpy", "cpu", script, args=args), 120)
    # the stand-in "device": the same workload restricted to one BLAS thread
    gpu = runner.run(runner.WorkloadSpec("dbn-mnist", "numpy+1thread", "gpu", script, args=args,
                                         env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}), 120)
    assert cpu.ok and gpu.ok, (cpu.error, gpu.error)
    gpu.device_used = "standin:1-thread"
    snap = F.new_snapshot()
    snap["workloads"] = {"runs": [cpu.to_dict(), gpu.to_dict()]}
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    F.save(snap, str(a / "snap.json"))
    from pytest_dlready.checks import training as W

    expected = [f.to_dict() for f in W.pair_rows(cpu, gpu, F.load(str(a / "snap.json")), 1.0)]
    rows = []
    for where in (a, b):
        rc, out = run_pytest(where, "--dlready", f"--dlready-facts={a / 'snap.json'}", "-k", "test_speedup",
                             f"--dlready-json={where / 'out.json'}")
        doc = json.loads((where / "out.json").read_text())
        mine = [{k: r[k] for k in ("check", "status", "code", "message", "fix", "observed")}
                for r in doc["rows"] if r["test"].startswith("test_speedup[")]
        rows.append(mine)
    assert rows[0] == rows[1] == json.loads(json.dumps(expected)), out


def _case(tmp_path, cpu_text, gpu_text):
    (tmp_path / "cpu.log").write_text(cpu_text)
    (tmp_path / "gpu.log").write_text(gpu_text)
    (tmp_path / "case.json").write_text(json.dumps({
        "name": "mine", "workload": "dbn-mnist",
        "runs": [{"device": "cpu", "backend": "gnumpy+npmat", "log": "cpu.log"},
                 {"device": "gpu", "backend": "gnumpy+cudamat", "log": "gpu.log"}]}))
    snap = replay.facts_for_case(str(tmp_path))
    return replay.judge_runs(snap["workloads"]["runs"], snap)


def _seed_log(name):
    with open(os.path.join(replay.CASES_DIR, "gt750m-dbn", name), encoding="utf-8") as fh:
        return fh.read()


def test_a_pair_of_different_models_is_refused_naming_both(tmp_path):
    """The seed's CPU log as if it had trained the wider 784-800-800-10 DBN: not comparable with the GPU log."""
    wider = _seed_log("cpu.log").replace("[DBN] layers [784, 300, 10]", "[DBN] layers [784, 800, 800, 10]")
    assert wider != _seed_log("cpu.log")
    (f,) = _case(tmp_path, wider, _seed_log("gpu.log"))
    assert f.status.value == "skip" and f.code == "DLR-SPEED-MISMATCH", f.message
    assert "layers 784-800-800-10 (CPU, replay:mine/cpu.log) vs 784-300-10 (GPU, replay:mine/gpu.log)" in f.message


def test_a_pair_of_time_blocks_only_is_judged_from_wall_times(tmp_path):
    """Only the shell `time` blocks of the seed's two logs: judged from 1m1.586s against 2m8.462s."""
    def time_block(text):
        return "\n".join(text.rstrip("\n").split("\n")[-4:]) + "\n"

    (f,) = _case(tmp_path, time_block(_seed_log("cpu.log")), time_block(_seed_log("gpu.log")))
    assert f.code == "DLR-SPEED-SLOWER" and f.observed["basis"] == "one run each", f.message
    assert "judged from whole-run wall times" in f.message and "CPU 1m1.586s, GPU 2m8.462s" in f.message
