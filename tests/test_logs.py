"""Training-log parser against real recorded logs (seeds, public threads, runs recorded here)."""
from __future__ import annotations

import os

import pytest

from conftest import judged
from pytest_dlready.parsers import logs
from pytest_dlready.workloads.cases import CASES_DIR, to_run_result

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data", "logs")


def read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read()


def case_log(case: str, name: str) -> str:
    return read(os.path.join(CASES_DIR, case, name))


def data(name: str) -> str:
    return read(os.path.join(DATA, name))


def codes(parsed):
    """The findings' codes, less the DLR-LOG-OK summary every log with epochs carries."""
    return [f["code"] for f in parsed["findings"] if f["code"] != "DLR-LOG-OK"]


def test_seed_dbn_cpu_log_epochs_time_and_npmat_fallback():
    p = judged(logs.parse(case_log("gt750m-dbn", "cpu.log"), source="cpu.log"))
    assert p["formats"] == ["nolearn-dbn"]
    assert [e["seconds"] for e in p["epochs"]] == [4.0] * 10
    assert p["epochs"][0]["loss"] == pytest.approx(0.2840207848)
    assert p["epochs"][-1]["err"] == pytest.approx(0.00497353142077)
    assert p["time"] == {"real": 61.586, "user": 73.888, "sys": 7.856, "format": "shell"}
    assert p["device_used"] == "cpu" and p["samples"] == 46900 and p["layers"] == [784, 300, 10]
    assert codes(p) == ["DLR-SPEED-GPU-ON-CPU"]


def test_seed_dbn_gpu_log_gpu_lock_and_time():
    p = judged(logs.parse(case_log("gt750m-dbn", "gpu.log"), source="gpu.log"))
    assert [e["seconds"] for e in p["epochs"]] == [8.0] * 5 + [9.0] + [8.0] * 4
    assert p["time"]["real"] == pytest.approx(128.462) and p["time"]["user"] == pytest.approx(127.977)
    assert p["device_used"] == "cuda:0"
    assert p["signals"] == ["gnumpy: failed to use gpu_lock. Using board #0 without knowing whether it is in use or not."]
    assert codes(p) == []


@pytest.mark.parametrize("name, first, median, cudnn, device", [
    ("theano-cpu.log", 233.0, 248.0, None, ""),
    ("theano-gpu.log", 48.0, 47.0, False, "cuda:0"),
    ("theano-gpu-cudnn.log", 17.0, 16.0, True, "cuda:0"),
    ("tensorflow-gpu.log", 8.0, 5.0, None, "cuda:0"),
    ("cntk-gpu.log", 8.0, 8.0, None, "cuda:0"),
])
def test_seed_keras_logs(name, first, median, cudnn, device):
    p = judged(logs.parse(case_log("titanx-keras-mnist", name), source=name))
    seconds = [e["seconds"] for e in p["epochs"]]
    assert len(seconds) == 12 and seconds[0] == first
    assert sorted(seconds[1:])[5] == median
    assert p["cudnn"] is cudnn and p["device_used"] == device
    if device:
        # TF's banner is wrapped mid-name in the seed ("GeForce G" / "TX TITAN X)"): joined back
        assert p["device_name"] == "GeForce GTX TITAN X"
    assert p["epochs"][-1]["val_accuracy"] > 0.98


def test_cntk_float64_warning_is_a_signal():
    p = judged(logs.parse(case_log("titanx-keras-mnist", "cntk-gpu.log")))
    assert p["dtype"] == "float64"
    assert any('your data is of type "float64"' in s for s in p["signals"])


def test_keras2_step_time_and_ipython_time_block():
    p = judged(logs.parse(data("issues/mask_rcnn_1423_gtx1050_keras2_ipython_time.log")))
    assert [e["seconds"] for e in p["epochs"]] == [490.0]
    assert p["epochs"][0]["val_loss"] == pytest.approx(2.6684)
    assert p["time"] == {"format": "ipython", "user": 742.0, "sys": 29.9, "real": 520.0}


def test_keras_verbose2_old_theano_banner_and_truncation():
    p = judged(logs.parse(data("issues/keras_617_theano_gtx780_verbose2.log"), source="keras617.log"))
    assert [e["seconds"] for e in p["epochs"]] == [1.0] * 5
    assert p["device_name"] == "GeForce GTX 780" and p["device_used"] == "cuda:0"
    assert codes(p) == ["DLR-LOG-TRUNCATED"]  # ends on the "Epoch 6/20" header


def test_lasagne_epochs_and_cudnn_in_old_banner():
    p = judged(logs.parse(data("issues/lasagne_recipes_57_titanx_cudnn4007.log")))
    assert p["formats"] == ["lasagne"]
    assert [e["seconds"] for e in p["epochs"]][:2] == [194.576, 192.87]
    assert p["epochs"][0]["val_accuracy"] == pytest.approx(0.5867)
    assert p["device_used"] == "cuda:3" and p["cudnn"] is True and p["cudnn_version"] == "4007"


def test_tf2_verbose2_with_timestamp_inside_epoch():
    p = judged(logs.parse(data("issues/keras_complex_22_tf2_verbose2_epoch_step.log")))
    assert [e["seconds"] for e in p["epochs"]] == [21.0, 10.0, 10.0, 10.0, 11.0, 11.0, 11.0, 11.0]


def test_keras2_eta_states_are_not_epochs():
    p = judged(logs.parse(data("issues/lstm_pr17_keras2.0_eta_progress.log")))
    assert [e["seconds"] for e in p["epochs"]] == [17.0]
    assert p["epochs"][0]["val_loss"] == pytest.approx(9.8068e-04)


def test_published_output_cut_mid_epoch_keeps_complete_epochs():
    p = judged(logs.parse(data("issues/keras_io_mnist_convnet_truncated.log"), source="mnist_convnet.md"))
    assert len(p["epochs"]) == 11 and p["epochs"][0]["seconds"] == 13.0
    assert codes(p) == ["DLR-LOG-TRUNCATED"]


def test_log_without_epochs_is_an_error_naming_the_file():
    p = judged(logs.parse("Epoch 1/12\nstarting...\n", source="cut.log"))
    assert p["epochs"] == [] and "DLR-LOG-NO-EPOCHS" in codes(p)
    fail = [f for f in p["findings"] if f["code"] == "DLR-LOG-NO-EPOCHS"][0]
    assert fail["status"] == "fail" and "cut.log" in fail["message"]
    # a startup log (banners, no epochs) is read for what it says about the device instead (issue 11)
    p = judged(logs.parse(data("issues/tf_17445_k2000m_ignored_no_epochs.log"), source="k2000m.log"))
    assert p["epochs"] == [] and "DLR-LOG-NO-EPOCHS" not in codes(p)
    startup = [f for f in p["findings"] if f["code"] == "DLR-LOG-STARTUP"][0]
    assert startup["status"] == "warn" and "k2000m.log" in startup["message"]
    # and the ignored cc 3.0 device is a CPU fallback, quoted
    assert p["device_used"] == "cpu" and "DLR-SPEED-GPU-ON-CPU" in codes(p)
    assert "minimum required Cuda capability is 3.5" in p["signals"][0]


@pytest.mark.parametrize("name, device, framework", [
    ("issues/keras_9420_cntk_selected_cpu.log", "cpu", "cntk"),
    ("issues/tf_59963_gtx1050_created_device.log", "cuda:0", "tensorflow"),
    ("issues/keras_io_movielens_jax_fallback.log", "cpu", "jax"),
    ("issues/keras_2156_theano_cudnn_mapped_cuda.log", "cuda:0", "theano"),
])
def test_device_banners(name, device, framework):
    p = judged(logs.parse(data(name)))
    assert p["device_used"] == device and p["backend"] == framework


def test_tf2_created_device_name_and_capability():
    p = judged(logs.parse(data("issues/tf_59963_gtx1050_created_device.log")))
    banner = [b for b in p["banners"] if b["kind"] == "tf-created-device"][0]
    assert banner["name"] == "NVIDIA GeForce GTX 1050" and banner["compute_capability"] == "6.1"
    assert not banner["line"].startswith("2023-")  # no timestamps in quoted evidence


@pytest.mark.parametrize("name", ["keras3/keras3.15_torch_cpu_verbose1_pipe.log",
                                  "keras3/keras3.15_torch_cpu_verbose1_tty.log",
                                  "keras3/keras3.15_torch_cpu_verbose2.log"])
def test_keras3_ansi_backspace_cr_and_subsecond_epochs(name):
    p = judged(logs.parse(data(name)))
    seconds = [e["seconds"] for e in p["epochs"]]
    # "0s" whole seconds; 85 steps x 2ms/step is the finer clock
    assert seconds == [pytest.approx(0.17)] * 4
    assert p["epochs"][-1]["accuracy"] > 0.9 and "val_loss" in p["epochs"][-1]


@pytest.mark.parametrize("name, expected", [
    ("time/bash_time.txt", {"real": 0.201, "user": 0.001, "sys": 0.0, "format": "shell"}),
    ("time/bash_time_p.txt", {"real": 0.2, "user": 0.0, "sys": 0.0, "format": "shell"}),
    ("time/bash_timeformat.txt", {"real": 0.111, "user": 0.096, "sys": 0.015, "format": "shell"}),
    ("time/gnu_time.txt", {"real": 0.1, "user": 0.1, "sys": 0.0, "format": "gnu-time"}),
    ("time/gnu_time_v.txt", {"real": 0.13, "user": 0.11, "sys": 0.02, "format": "gnu-time-v", "max_rss_kb": 13496}),
])
def test_time_blocks(name, expected):
    assert logs.parse(data(name))["time"] == expected


def test_crlf_and_cr_progress_and_ansi_do_not_change_the_result():
    text = case_log("titanx-keras-mnist", "theano-gpu.log")
    plain = judged(logs.parse(text))
    mangled = "\x1b[32m" + text.replace("\n", "\r\n").replace("60000/60000", "32/60000 [>.] - ETA: 9s\r60000/60000")
    again = judged(logs.parse(mangled))
    assert [e["seconds"] for e in again["epochs"]] == [e["seconds"] for e in plain["epochs"]]
    assert again["device_name"] == plain["device_name"]


def test_detect_prefers_logs_over_other_tool_outputs():
    assert logs.detect(case_log("gt750m-dbn", "gpu.log")) == 1.0
    assert logs.detect(case_log("titanx-keras-mnist", "cntk-gpu.log")) == 1.0
    dq = read(os.path.join(HERE, "data", "tools", "devicequery", "macos_gt750m_cuda5.5_indented_paste.txt"))
    assert logs.detect(dq) < 0.3


def test_to_run_result_carries_epochs_time_and_signals():
    parsed = judged(logs.parse(case_log("gt750m-dbn", "gpu.log"), source="gpu.log"))
    run = to_run_result(parsed, "dbn-mnist", "gnumpy+cudamat", "gpu")
    assert run.ok and run.epoch_seconds[5] == 9.0 and run.median_epoch == 8.0
    assert (run.wall_s, run.cpu_user_s, run.cpu_sys_s) == (128.462, 127.977, 0.505)
    assert run.device_used == "cuda:0" and run.signals and run.source == "replay:gpu.log"
    empty = to_run_result(logs.parse("nothing here", source="x.log"), "w", "b", "gpu")
    assert not empty.ok and "x.log" in empty.error


REAL = os.path.join(HERE, "data", "realworld", "heldout_r3_legacy")


def test_nolearn_lasagne_epoch_tables_both_layouts():
    with open(os.path.join(REAL, "nolearn_lasagne_convnet_epoch_table_6.log"), encoding="utf-8") as fh:
        result = logs.parse(fh.read())
    assert result["formats"] == ["nolearn-lasagne"] and len(result["epochs"]) == 6 and not result["truncated"]
    assert result["epochs"][0] == {"epoch": 1, "seconds": 11.24, "loss": 0.50873, "val_loss": 0.60935,
                                   "val_accuracy": 0.79269}
    assert result["total_seconds"] == pytest.approx(70.35)
    with open(os.path.join(REAL, "nolearn_lasagne_nan_epoch_table_cut.log"), encoding="utf-8") as fh:
        result = logs.parse(fh.read())
    assert [e["seconds"] for e in result["epochs"]] == [93.6, 93.2, 109.9]  # the "|" layout, NaN losses
    assert result["epochs"][0]["loss"] is None and result["epochs"][0]["val_accuracy"] == pytest.approx(0.735)
    assert result["truncated"]  # stops in row 4


def test_a_log_with_epochs_says_what_was_read_and_a_nan_loss_is_a_warn():
    from pytest_dlready.checks import tool_outputs

    with open(os.path.join(REAL, "nolearn_lasagne_nan_epoch_table_cut.log"), encoding="utf-8") as fh:
        result = tool_outputs.read(fh.read(), source="nan.log")
    codes = {f["code"]: f for f in result["findings"]}
    assert codes["DLR-LOG-OK"]["status"] == "pass"
    assert "3 epoch(s) read (nolearn-lasagne), median 93.6 s per epoch (93.2-110 s)" in codes["DLR-LOG-OK"]["message"]
    assert codes["DLR-LOG-NAN"]["status"] == "warn" and "from epoch 1" in codes["DLR-LOG-NAN"]["message"]
    keras = "Epoch 1/2\n60000/60000 [==============================] - 12s - loss: 0.31 - acc: 0.9\n" \
            "Epoch 2/2\n60000/60000 [==============================] - 11s - loss: nan - acc: 0.1\n"
    result = tool_outputs.read(keras, kind="training-log", source="k.log")
    assert result["loss_nan_epoch"] == 2
    assert [f["code"] for f in result["findings"]] == ["DLR-LOG-OK", "DLR-LOG-NAN"]
    assert len(result["epochs"]) == 2 and not result["truncated"]  # the diverged epoch is still an epoch
    fine = keras.replace("loss: nan", "loss: 0.2").replace("val_loss", "")
    assert [f["code"] for f in tool_outputs.read(fine, kind="training-log")["findings"]] == ["DLR-LOG-OK"]


def test_one_line_per_epoch_with_its_time():
    with open(os.path.join(HERE, "data", "realworld", "heldout_r5_frameworks",
                           "trainner_end_of_epoch_309_to_325_lines_excerpt_cut.log"), encoding="utf-8") as fh:
        result = logs.parse(fh.read())
    assert result["formats"] == ["epoch-lines"] and len(result["epochs"]) == 17
    assert result["epochs"][0]["epoch"] == 309 and result["epochs"][0]["seconds"] == pytest.approx(4.9193)
    cntk = " Finished Epoch[ 1 of 2]: [Training] ce = 1.57 * 60000; err = 0.41 * 60000; totalSamplesSeen = 60000; " \
           "learningRatePerSample = 0.003125; epochTime=12.3s\n Finished Epoch[ 2 of 2]: [Training] ce = 0.9 * 60000; " \
           "epochTime=11.9s\n"
    assert [e["seconds"] for e in logs.parse(cntk)["epochs"]] == [12.3, 11.9]
    plain = "Epoch 01 loss 75.6049 | train 2.6s\nEpoch 02 loss 73.1950 | train 2.1s\n"
    assert [(e["epoch"], e["seconds"], e["loss"]) for e in logs.parse(plain)["epochs"]] == [(1, 2.6, 75.6049), (2, 2.1, 73.195)]
    assert logs.parse("Epoch 1/10 took 3s\n")["formats"] != ["epoch-lines"]  # a Keras header is not a timed line


# -- epochs told by progress lines (real logs: tests/data/realworld/heldout_r7_*/ and r6; sources in SOURCES.md) -----
CORPUS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "realworld")


def _real_log(rel):
    from pytest_dlready.parsers import common
    with open(os.path.join(CORPUS_DIR, rel), "rb") as fh:
        return logs.parse(common.unpaste(fh.read()))


@pytest.mark.parametrize("rel,count,first_seconds", [
    ("heldout_r7_torch/pytorch_llama2_accessory_metriclogger_epoch0_done_epoch1_cut.log", 1, 6738.0),  # Total time 1:52:18
    ("heldout_r7_torch/pytorch_tqdm_mnist_40_epochs_eva4_markdown.log", 40, 14.0),   # EPOCH: N, bar 100 %, Test set
    ("heldout_r7_torch/theano_keras_cleverhans_indented_one_epoch_no_gpu_line.log", 1, 338.5225307941437),  # Epoch took
    ("heldout_r6_torch/lightning_sagemaker_mpirank_prefixed_epoch0_done_epoch1_cut.log", 1, 0.0),  # MPI prefix, bar 100 %
    ("heldout_r5_docs/pytorch_style_mnist_using_cpu_10_epochs_custom_format.log", 10, None),  # "[1 / 10]: Accuracy on ..."
    ("heldout_r7_torch/lightning_tqdm_epoch0_progress_interleaved_cut.log", 0, None),  # never reaches 100 %
])
def test_epochs_told_by_progress_lines(rel, count, first_seconds):
    result = _real_log(rel)
    assert len(result["epochs"]) == count, result["epochs"]
    if count:
        assert result["epochs"][0]["seconds"] == first_seconds
        assert result["epochs"][0].get("untimed", False) is (first_seconds is None)


def test_a_later_epochs_progress_ends_the_one_before_and_the_last_stays_open():
    text = "\n".join(["Epoch [1/3], Step [100/600], Loss: 0.21", "Epoch [1/3], Step [600/600], Loss: 0.11",
                      "Epoch [2/3], Step [100/600], Loss: 0.09", "Epoch [3/3], Step [100/600], Loss: 0.07"])
    assert [e["epoch"] for e in logs.parse(text)["epochs"]] == [1, 2]  # epoch 1 reached 600/600, 2 was followed by 3


def test_a_keras_epoch_cut_inside_its_summary_line_does_not_count():
    result = _real_log("heldout_r7_tf/tf_keras_mnist_cnn_epochs_11_to_16_done_17_cut.log")
    assert [e["epoch"] for e in result["epochs"]] == [11, 12, 13, 14, 15, 16] and result["truncated"]


def test_summary_lines_without_steps_are_epochs_and_step_lines_are_not():
    assert len(logs.parse("epoch 1, loss 0.0423\nepoch 2, loss 0.0001\n")["epochs"]) == 2
    assert logs.parse("epoch 1, batch 20/100, loss 0.3\n")["epochs"] == []


# -- the banner scan's prefilter never skips a line a rule matches -------------------------------------------
def _recorded_lines():
    import glob
    from pytest_dlready.parsers import common
    out = []
    for path in sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "**", "*.*"),
                                 recursive=True)):
        if path.endswith((".json", ".md", ".py")):
            continue
        with open(path, "rb") as fh:
            out += [line for line in common.terminal_lines(common.unpaste(fh.read())) if len(line) >= 7]
    return out


def _skipped_matches(lines):
    from pytest_dlready.parsers import log_banners as lb
    missed = []
    for line in lines:
        low = line.lower()
        for (kind, pattern, _extract), needles in zip(lb.RULES, lb.NEEDLES):
            if needles is not None and not any(n in low for n in needles) and pattern.search(line):
                missed.append((kind, line))
    return missed


def test_the_prefilter_skips_no_recorded_line_a_rule_matches():
    lines = _recorded_lines()
    assert len(lines) > 5000 and _skipped_matches(lines) == []


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_recorded_lines()[::7]), min_size=1, max_size=3),
       st.text(alphabet="EIWF:.()[]/ _-0123456789abcdefABCDEFcudnCUDNgpuGPU", max_size=30), st.booleans())
def test_the_prefilter_skips_no_match_in_mixed_or_recased_lines(parts, noise, upper):
    line = noise.join(parts)
    assert _skipped_matches([line.upper() if upper else line]) == []


# -- blind round 9's training logs (real: tests/data/realworld/heldout_r8_train/, sources in SOURCES.md) --------------
@pytest.mark.parametrize("rel,fmt,count,seconds", [
    ("heldout_r8_train/mxnet_module_mnist_gpus_epoch0_tail_epoch2_cut.log", "progress", 2, [28.65, 4.611]),  # Time cost=
    ("heldout_r8_train/tf2_transformer_tutorial_custom_loop_7_epochs_epoch8_cut.log", "progress", 7, None),
    ("heldout_r8_train/nnunet_run_training_epochs_0_to_2_done_epoch3_cut.log", "progress", 3,
     [661.806423, 634.078703, 632.031318]),   # "This epoch took ... s" behind a timestamp
    ("heldout_r8_train/fairseq_epoch010_done_valid_epoch011_partial_cut.log", "progress", 1, [None]),
    ("heldout_r8_train/nntrainer_vgg_epochs_1_to_10_line11_cut.log", "progress", 10, None),  # #11 is cut
    ("heldout_r8_train/fastai_r_fit_one_cycle_command_2_epochs_error_rate.log", "epoch-table", 2, [35.0, 36.0]),
    ("heldout_r8_train/chainer_printreport_one_row_elapsed_time_wrapped.log", "epoch-table", 1, [114.618]),
    ("heldout_r8_train/mmdet_cascade_mask_epoch1_iter15_of_678_cut.log", None, 0, []),
    ("heldout_r8_train/hf_tf_trainer_running_training_3_epochs_epoch0.64_cut.log", None, 0, []),
    ("heldout_r8_train/lightning_hydra_timestamped_table_paste_epoch0_41pct_cut.log", None, 0, []),  # '\|' bars
])
def test_round9_epochs(rel, fmt, count, seconds):
    result = _real_log(rel)
    assert len(result["epochs"]) == count, result["epochs"]
    if fmt:
        assert fmt in result["formats"]
    if seconds is not None:
        assert [e["seconds"] for e in result["epochs"]] == seconds


def test_round9_logs_are_recognised_as_training_logs():
    from pytest_dlready.parsers import common, identify
    for rel in ("heldout_r8_train/detectron2_d2go_starting_training_iterations_no_epochs_cut.log",
                "heldout_r8_train/deepdanbooru_epoch1_99.9pct_progress_lines_cut.log",
                "heldout_r8_train/tqdm_twitter_cnn_fractional_epoch_glued_carriage_cut.log",
                "heldout_r8_train/mxnet_cornernet_4_gpu_contexts_epoch0_batches_cut.log"):
        with open(os.path.join(CORPUS_DIR, rel), "rb") as fh:
            assert identify.identify(common.unpaste(fh.read()))[0] == "training-log", rel


def test_fractional_epochs_finish_when_the_count_reaches_the_next_whole():
    text = "\n".join(f"{{'loss': 1.0, 'epoch': {e}, 'step': {i}}}" for i, e in enumerate([0.5, 1.0, 1.5, 2.02, 2.5]))
    assert [e["epoch"] for e in logs.parse(text)["epochs"]] == [0, 1]  # 1.0 ends epoch 0; 2.02 shows epoch 1 ended


def test_a_fastai_table_pasted_as_markdown():
    text = ("| epoch | train_loss | valid_loss | accuracy | time |\n|---|---|---|---|---|\n"
            "| 0 | 0.360149 | 0.329587 | 0.846702 | 00:04 |\n| 1 | 0.352106 | 0.345761 | 0.828877 | 01:04 |\n")
    assert [(e["epoch"], e["seconds"], e["loss"]) for e in logs.parse(text)["epochs"]] == [(0, 4.0, 0.360149),
                                                                                         (1, 64.0, 0.352106)]


def test_a_chainer_report_counts_completed_epochs_and_their_time_apart():
    text = ("epoch       main/loss   validation/main/loss  elapsed_time\n"
            "0           2.1         2.0                   5.5\n"       # iteration-trigger row: no epoch done yet
            "1           1.2         1.1                   10.0\n2           0.9         0.8                   25.0\n")
    assert [(e["epoch"], e["seconds"]) for e in logs.parse(text)["epochs"]] == [(1, 10.0), (2, 15.0)]


def test_log_bytes_are_decoded_not_read_as_their_repr():
    """Found in round 9: logs.detect(bytes) searched str(b'...'), one line with literal '\\n's."""
    text = "Epoch[0] Batch [0-20]\tSpeed: 6.31 samples/sec\nEpoch[0] Time cost=28.650\n"
    for data in (text.encode(), text.encode("utf-16"), b"\xef\xbb\xbf" + text.encode()):
        assert logs.detect(data) == logs.detect(text) > 0
        assert [e["seconds"] for e in logs.parse(data)["epochs"]] == [28.65]


# -- blind round 10's training logs (tests/data/realworld/heldout_r9_train/, sources in SOURCES.md) ----------------
@pytest.mark.parametrize("rel,count", [
    ("heldout_r9_train/paddle_fluid_pass_batch_cost_accuracy_test_lines_3_passes_pass3_partial.log", 3),  # Test:N ends
    ("heldout_r9_train/paddle_v1_glog_trainerinternal_pass23_end_saving_params_next_pass_dots_cut.log", 1),
    ("heldout_r9_train/yolov5_results_txt_rows_epochs_0_to_8_of_89_no_header_cut.log", 9),
    ("heldout_r9_train/ultralytics_yolov8_epochs_70_to_72_of_1000_val_rows_epoch73_cut.log", 3),
    ("heldout_r9_train/cltr_training_epoch_423_to_434_of_1500_tabs_timestamps_cut.log", 12),   # epoch_time=
    ("heldout_r9_train/tqdm_bar_glued_timestamped_epoch_lines_adgcl_epochs_15_to_19_cut.log", 5),   # ====epoch N
    ("heldout_r9_train/ignite_bts_eval_bar_epoch1_complete_engine_run_complete.log", 1),
    ("heldout_r9_train/cntk_2.0_transferlearning_build_info_gpu_finished_epoch1_of_20_backtick_prompt_cut.log", 1),
    ("heldout_r9_train/lightning_rvt_epoch2_wandb_glued_max_steps_400000_reached.log", 0),   # an iterable bar is not an end
    ("heldout_r9_train/tf2_windows_fit_progbar_glued_no_carriage_return_mid_epoch_wrapped_cut.log", 0),  # redraws glued
])
def test_round10_epochs(rel, count):
    assert len(_real_log(rel)["epochs"]) == count


def test_ignite_and_cltr_epoch_times():
    assert [e["seconds"] for e in _real_log(
        "heldout_r9_train/ignite_bts_eval_bar_epoch1_complete_engine_run_complete.log")["epochs"]] == [1.491]
    assert _real_log("heldout_r9_train/cltr_training_epoch_423_to_434_of_1500_tabs_timestamps_cut.log")["epochs"][0][
        "seconds"] == 58.716


# -- how a run ended: the error after its last training line --------------------------------
KERAS_TWO_EPOCHS = ("Epoch 1/3\n469/469 [==============================] - 5s 10ms/step - loss: 0.3\n"
                    "Epoch 2/3\n469/469 [==============================] - 4s 9ms/step - loss: 0.2\nEpoch 3/3\n")


def _judge(text):
    from pytest_dlready.checks import tool_outputs

    return tool_outputs.read(text, "training-log")


def _stopped(parsed):
    return [(f["status"], f["message"]) for f in parsed["findings"] if f["code"] == "DLR-LOG-STOPPED"]


def test_an_error_after_the_last_epoch_ended_the_run_and_is__judge():
    oom = KERAS_TWO_EPOCHS + (
        " 120/469 [=====>........................] - ETA: 3s - loss: 0.1Traceback (most recent call last):\n"
        '  File "train.py", line 40, in <module>\n    model.fit(x, y, epochs=3)\n'
        "tensorflow.python.framework.errors_impl.ResourceExhaustedError: OOM when allocating tensor with shape[64]\n")
    parsed = _judge(oom)
    assert len(parsed["epochs"]) == 2 and parsed["error_after_epochs"] == 2
    assert parsed["error"]["lineno"] == 9 and parsed.get("startup_error") is None
    [(status, message)] = _stopped(parsed)
    assert status == "warn" and "out of GPU memory after 2 finished epoch(s) (line 9)" in message
    assert "DLR-LOG-TRUNCATED" not in codes(parsed)  # the stop explains the unfinished epoch
    fault = KERAS_TWO_EPOCHS + ("Traceback (most recent call last):\n  File \"t.py\", line 1, in <module>\n"
                                "RuntimeError: CUDA error: an illegal memory access was encountered\n")
    [(status, message)] = _stopped(_judge(fault))
    assert status == "fail" and "GPU error after 2 finished epoch(s)" in message
    own = KERAS_TWO_EPOCHS + ("Traceback (most recent call last):\n  File \"t.py\", line 9, in <module>\n"
                              "FileNotFoundError: [Errno 2] No such file or directory: 'model.h5'\n")
    [(status, message)] = _stopped(_judge(own))
    assert status == "warn" and "FileNotFoundError" in message


def test_a_start_up_error_with_training_after_it_is_not_the_runs_end():
    log = ("Traceback (most recent call last):\n  File \"t.py\", line 1, in <module>\n"
           "RuntimeError: CUDA error: no kernel image is available for execution on the device\n") + KERAS_TWO_EPOCHS \
        + "469/469 [==============================] - 4s 9ms/step - loss: 0.1\n"
    parsed = _judge(log)
    assert len(parsed["epochs"]) == 3 and parsed["error"] is None and parsed["startup_error"]["name"] == "RuntimeError"
    assert _stopped(parsed) == [] and "DLR-LOG-TRUNCATED" not in codes(parsed)


def test_stopped_by_hand_is_a_warn_not_an_error():
    bare = KERAS_TWO_EPOCHS + ("   3/469 [..............................] - ETA: 1s - loss: 0.4^CTraceback (most recent"
                               " call last):\n  File \"t.py\", line 3, in <module>\n    model.fit(x)\nKeyboardInterrupt\n")
    parsed = _judge(bare)
    assert parsed["error"]["name"] == "KeyboardInterrupt"
    [(status, message)] = _stopped(parsed)
    assert status == "warn" and "stopped by hand (KeyboardInterrupt) after 2 finished epoch(s)" in message
    # a real paste: PyTorch's mnist example cut with ^C at 4 % of epoch 1 (only the terminal's echo, no traceback)
    path = os.path.join(HERE, "data", "realworld", "heldout_mix", "torch_mnist_thcudacheck_error38_train_epoch1_ctrl_c.log")
    parsed = _judge(read(path))
    assert parsed["error"] is None and parsed["stopped_by_hand"] == 9
    [(status, message)] = _stopped(parsed)
    assert status == "warn" and "(^C) before the first epoch finished" in message


@pytest.mark.parametrize("rel,status,says", [
    ("heldout_r6_tf/keras_xception_epoch1_of_10_cudnn_internal_error_traceback_cut.log", "fail", "on a GPU error"),
    ("heldout_r9_train/finetune_tf_tqdm_validation_epoch1_of_5_2pct_resourceexhaustederror_traceback_cut.log",
     "warn", "ran out of GPU memory"),
])
def test_real_runs_that_died_in_their_first_epoch(rel, status, says):
    [(got, message)] = _stopped(_judge(read(os.path.join(HERE, "data", "realworld", rel))))
    assert got == status and says in message and "before the first epoch finished" in message
