"""The speedup verdict: bundled cases asserted exactly, and each measured cause on its own."""
from __future__ import annotations

from pytest_dlready.workloads import cases as replay
from pytest_dlready.checks import speedup as verdict
from pytest_dlready.results import Status
from pytest_dlready.workloads.protocol import RunResult


def judged(case_name: str, min_speedup: float = 1.0):
    case = replay.load_case(case_name)
    snap = replay.recorded_facts(case)
    runs = [r.to_dict() for r in replay.case_runs(case)]
    return replay.judge_runs(runs, snap, min_speedup)


def test_gt750m_case_fails_slower_with_measured_causes():
    (f,) = judged("gt750m-dbn")
    assert f.status is Status.FAIL and f.code == "DLR-SPEED-SLOWER"
    assert f.check == "speedup dbn-mnist[gnumpy+cudamat]"
    assert round(f.observed["speedup"], 2) == 0.49            # 4 s / 8.1 s per epoch (whole-second clock)
    assert round(f.observed["wall_ratio"], 2) == 0.48         # 1m1.586s / 2m8.462s: 2.09x slower
    assert f.observed["basis"] == "epochs of two runs"
    iv = f.observed["interval"]
    assert iv["hi"] < 0.87 and iv["lo"] > 0.35                # certainly slower, widened by the 1 s clock
    assert f.message.startswith("GPU 2.03x slower (95 % CI 1.67–2.52x slower, 9 epochs) than CPU on dbn-mnist "
                                "[gnumpy+cudamat, GeForce GT 750M]: CPU 4 s/epoch, GPU 8.11 s/epoch "
                                "(9 timed epochs each, printed to 1 s; whole run 1m1.586s CPU vs 2m8.462s GPU)")
    # measured causes only: the display watchdog and the 2-SM GPU; not "user ≈ real" (any GPU wait spins
    # a core), not gnumpy's gpu_lock warning (it only says the lock script is not installed)
    assert [c["code"] for c in f.observed["causes"]] == ["DLR-GPU-DISPLAY", "DLR-CAUSE-SMALL-GPU"]
    assert "Run time limit on kernels: Yes" in f.observed["causes"][0]["evidence"]
    assert "\n  cause [DLR-GPU-DISPLAY]" in f.message


def test_titanx_case_passes_with_per_backend_ratios_against_theano_cpu():
    found = judged("titanx-keras-mnist")
    assert [f.status for f in found] == [Status.PASS] * 4
    assert [(f.check, round(f.observed["speedup"], 1)) for f in found] == [
        ("speedup mnist-cnn[theano]", 5.3),
        ("speedup mnist-cnn[theano+cudnn]", 15.7),
        ("speedup mnist-cnn[tensorflow]", 50.1),
        ("speedup mnist-cnn[cntk]", 32.7),
    ]
    assert found[0].message == ("GPU 5.33x faster (95 % CI 5.16–5.51x, 11 epochs) than CPU on mnist-cnn "
                                "[theano, GeForce GTX TITAN X]: CPU 250 s/epoch, GPU 47 s/epoch (11 timed epochs each)")
    assert found[2].message.endswith("; baseline: the theano CPU run")
    assert "baseline" not in found[1].message  # Theano+cuDNN is still Theano: same framework's baseline


def test_min_speedup_turns_a_pass_into_below_min():
    found = judged("titanx-keras-mnist", min_speedup=10)
    assert [f.code for f in found] == ["DLR-SPEED-BELOW-MIN", "DLR-SPEED-OK", "DLR-SPEED-OK", "DLR-SPEED-OK"]
    assert "5.33x faster" in found[0].message and "short of the required 10x" in found[0].message
    # Theano without cuDNN: the log line saying cuDNN is off is the measured cause
    assert [c["code"] for c in found[0].observed["causes"]] == ["DLR-CAUSE-CUDNN-OFF"]
    assert "Disabled by dnn.enabled flag" in found[0].observed["causes"][0]["evidence"]


#: causes a healthy GPU shows too were listed before: none of these may fire on the Titan X runs
HEALTHY_MUST_NOT = {"DLR-CAUSE-HOST-BOUND", "DLR-GPU-SHARED", "DLR-CAUSE-CPU-MULTICORE", "DLR-CAUSE-WARMUP",
                    "DLR-CAUSE-SLOW-LAUNCH", "DLR-CAUSE-NAIVE-KERNEL", "DLR-CAUSE-SMALL-BATCH", "DLR-GPU-DISPLAY",
                    "DLR-GPU-THROTTLED", "DLR-GPU-LINK-DOWN", "DLR-CAUSE-SMALL-GPU"}


def test_a_healthy_gpu_below_an_unreachable_minimum_lists_no_cause_a_healthy_gpu_shows():
    for f in judged("titanx-keras-mnist", min_speedup=100):
        assert f.status is Status.FAIL and f.code == "DLR-SPEED-BELOW-MIN", f.message
        assert not {c["code"] for c in f.observed["causes"]} & HEALTHY_MUST_NOT, f.message


def run(device="gpu", epochs=(2.0, 1.0, 1.0, 1.0), **kw):
    return RunResult(workload="w", backend=kw.pop("backend", "b"), device=device, epoch_seconds=list(epochs), **kw)


def test_gpu_run_that_ran_on_the_cpu_is_its_own_fail():
    gpu = run(signals=["gnumpy: failed to import cudamat. Using npmat instead. No GPU will be used."])
    (f,) = verdict.judge(run("cpu"), gpu)
    assert f.code == "DLR-SPEED-GPU-ON-CPU" and "Using npmat instead" in f.message
    (f,) = verdict.judge(run("cpu"), run(device_used="cpu"))
    assert f.code == "DLR-SPEED-GPU-ON-CPU"
    # a live runner signal ("name: line") names the same fallback
    live = run(signals=["jax-cpu-fallback: No GPU/TPU found, falling back to CPU. (Set TF_CPP_MIN_LOG_LEVEL=0)"])
    (f,) = verdict.judge(run("cpu"), live)
    assert f.code == "DLR-SPEED-GPU-ON-CPU" and "No GPU/TPU found" in f.message


def test_crashed_runs():
    (f,) = verdict.judge(run("cpu"), run(ok=False, epochs=(), error="CUDA error 35", stderr_tail=["boom"]))
    assert f.code == "DLR-SPEED-GPU-FAILED" and "CUDA error 35" in f.message and "boom" in f.message
    (f,) = verdict.judge(run("cpu", ok=False, epochs=(), error="MemoryError"), run())
    assert f.code == "DLR-TRAIN-CPU-FAILED"


def test_no_cause_is_invented_without_evidence():
    (f,) = verdict.judge(run("cpu", epochs=(1, 1, 1)), run(epochs=(2, 2, 2)))
    assert f.code == "DLR-SPEED-SLOWER" and f.observed["causes"] == []
    assert "no cause could be measured" in f.message


def test_each_cause_needs_its_evidence():
    cpu = run("cpu", epochs=(1, 1, 1), batch_size=32)
    gpu = run(epochs=(9, 2, 2), batch_size=32, dtype="float64",
              signals=["Can not use cuDNN on context None: Disabled by dnn.enabled flag"], device_used="cuda:0",
              device_name="GPU X")
    sweep = [(run("cpu", epochs=(4, 4, 4), batch_size=512), run(epochs=(3.6, 3.6, 3.6), batch_size=512))]
    facts = {"devices": {"gpus": [{"index": 0, "name": "GPU X", "clocks_event_reasons": ["SW Power Cap"],
                                   "pcie": {"gen": 1, "max_gen": 3, "width": 16, "max_width": 16},
                                   "compute_processes": [{"pid": 7, "name": "Xorg"}]}]}}
    (f,) = verdict.judge(cpu, gpu, facts=facts, sweep=sweep)
    assert f.code == "DLR-SPEED-SLOWER", f.message  # 1.11x at 512 is inside "no difference": machine-bound
    got = {c["code"]: c["evidence"] for c in f.observed["causes"]}
    assert set(got) == {"DLR-CAUSE-SMALL-BATCH", "DLR-CAUSE-FLOAT64", "DLR-CAUSE-CUDNN-OFF",
                        "DLR-GPU-SHARED", "DLR-GPU-THROTTLED", "DLR-GPU-LINK-DOWN"}
    assert got["DLR-CAUSE-SMALL-BATCH"] == "speedup grows with batch size: batch 32: 0.50x → batch 512: 1.11x"
    assert "generation 1 of 3" in got["DLR-GPU-LINK-DOWN"] and "Xorg" in got["DLR-GPU-SHARED"]
    assert "batch sweep: batch 512: GPU 1.11x faster" in f.message


def test_warmup_is_excluded_from_the_interval():
    (f,) = verdict.judge(run("cpu", epochs=(1, 2, 2, 2)), run(epochs=(30, 1, 1, 1)))
    assert f.status is Status.PASS and f.observed["speedup"] == 2.0
    assert "warm-up" not in str(f.observed.get("causes"))


def test_judge_never_raises_on_garbage():
    (f,) = verdict.judge(object(), object())
    assert f.status is Status.FAIL and "cannot judge" in f.message
