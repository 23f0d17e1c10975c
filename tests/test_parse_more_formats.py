"""Formats and paste styles first met in blind round 11 (tests/data/realworld/heldout_r10_*), each rule with a case
it must not take. The real pastes themselves are checked by test_realworld.py; these pin the rule behind each."""
from __future__ import annotations

from pytest_dlready.checks import tool_outputs
from pytest_dlready.parsers import common, devicequery, framework_log, logs, nvcc, nvidia_smi
from pytest_dlready.parsers.identify import parse_any


def names(result):
    return [g.get("name") for g in result.get("gpus") or result.get("devices") or []]


# -- nvidia-smi --------------------------------------------------------------------------------
def test_list_without_uuid_is_read_under_its_command_only():
    assert names(parse_any("$ nvidia-smi -L\nGPU 0: GeForce GT 710\nGPU 1: GeForce GT 710\n")) == ["GeForce GT 710"] * 2
    # the same words with no command above them are not nvidia-smi -L (a script prints "GPU 0: ..." too)
    assert parse_any("GPU 0: GeForce GT 710\n")["kind"] != "nvidia-smi"


def test_a_row_with_its_borders_taken_away_under_the_version_line():
    text = "$ nvidia-smi\nNVIDIA-SMI 540.4.0     Driver Version: 540.4.0      CUDA Version: 12.6\n0  Orin (nvgpu)\n"
    assert names(nvidia_smi.parse(text)) == ["Orin (nvgpu)"]
    # a process row (GPU index, N/A cells) is not a GPU
    procs = "NVIDIA-SMI 540.4.0     Driver Version: 540.4.0      CUDA Version: 12.6\n0   N/A  N/A  1234  C  python  100MiB\n"
    assert names(nvidia_smi.parse(procs)) == []


def test_a_table_cut_inside_the_bus_id_keeps_its_gpu():
    row = "|   2  NVIDIA GeForce RTX 3090        On  | 0"
    head = "| NVIDIA-SMI 535.103                Driver Version: 537.13       CUDA Version: 12.2     |\n"
    assert names(nvidia_smi.parse(head + row)) == ["NVIDIA GeForce RTX 3090"]


def test_the_command_its_date_and_top_border_are_a_table_cut_before_anything():
    text = "[jr@login1 dir]$ nvidia-smi\nThu Jun  2 10:48:48 2022\n+-----------------------------------\n"
    result = tool_outputs.read(text)
    assert result["kind"] == "nvidia-smi" and result["gpus"] == []
    assert [f["code"] for f in result["findings"]] == ["DLR-SMI-PARTIAL"]  # unknown, not "no GPU"
    assert parse_any("Thu Jun  2 10:48:48 2022\n+------\n")["kind"] == "unknown"  # no command: nothing says nvidia-smi


def test_a_driver_version_not_in_the_output_is_said_so():
    message = tool_outputs.read("$ nvidia-smi -L\nGPU 0: GeForce GT 710\n")["findings"][0]["message"]
    assert message.startswith("the driver (its version is not in this output) sees 1 GPU(s)") and "?" not in message


# -- output kept as comments ---------------------------------------------------------------------
def test_output_kept_as_comments_is_uncommented():
    q = "% ==============NVSMI LOG============== \n% Driver Version : 369.30 \n%\n% Attached GPUs : 1\n" \
        "% GPU 0000:06:00.0 \n%     Product Name : GeForce GTX TITAN Z \n"
    assert common.unpaste("!nvidia-smi -q\n" + q).splitlines()[1].strip() == "==============NVSMI LOG=============="
    assert names(parse_any("!nvidia-smi -q\n" + q)) == ["GeForce GTX TITAN Z"]
    # lines of which only some are comments are left alone, and nntrainer's "#1/10 - ..." is no comment
    assert common.unpaste("# a note\nreal output\n") == "# a note\nreal output\n"
    assert common.unpaste("#1/2 - Training Loss: 4.6\n#2/2 - Training Loss: 4.1") == \
        "#1/2 - Training Loss: 4.6\n#2/2 - Training Loss: 4.1"


# -- deviceQuery, nvcc ---------------------------------------------------------------------------
def test_old_sdk_revision_lines_give_the_compute_capability():
    text = ('There are 2 devices supporting CUDA\n\nDevice 0: "Tesla C1060"\n  CUDA Capability Major revision number: 1\n'
            '  CUDA Capability Minor revision number: 3\n\nDevice 1: "Quadro FX 580"\n  Major revision number: 1\n')
    devices = devicequery.parse(text)["devices"]
    assert [d["compute_capability"] for d in devices] == ["1.3", None]  # the second one's minor was cut off
    assert all("_cc_major" not in d for d in devices)


def test_a_note_after_the_device_name_keeps_the_device():
    text = ('Detected 1 CUDA Capable device(s)\nDevice 0: \u201cTesla T4\u201d   显卡型号\n'
            'CUDA Capability Major/Minor version number: 7.5 CUDA 计算能力\n')
    result = parse_any(text)
    assert names(result) == ["Tesla T4"] and result["devices"][0]["compute_capability"] == "7.5"


def test_nvcc_missing_in_the_words_of_ubuntu_zsh_and_powershell():
    for said in ("Command 'nvcc' not found, but can be installed with:\n\nsudo apt install nvidia-cuda-toolkit\n",
                 "zsh: command not found: nvcc\n",
                 "nvcc : The term 'nvcc' is not recognized as the name of a cmdlet, function, script file\n"):
        result = parse_any(said)
        assert result["kind"] == "nvcc" and result["error"]["name"] == "not-found", said


# -- framework logs ------------------------------------------------------------------------------
def test_gpu_device_name_answer_says_tensorflow_has_the_gpu():
    result = tool_outputs.read("tf version 2.0.0-beta1\n/device:GPU:0\n", kind="framework-log")
    assert result["gpu_usable"] is True
    assert tool_outputs.read(">>> tf.test.gpu_device_name()\n''\n", kind="framework-log")["gpu_usable"] is None


def test_an_xla_device_line_cut_in_its_capability_still_names_the_gpu():
    text = ("I tensorflow/compiler/xla/service/service.cc:175]   StreamExecutor device (0): Tesla T4, Compute Capability 7.5\n"
            "I tensorflow/compiler/xla/service/service.cc:175]   StreamExecutor device (1): Tesla T4, Compute Capability 7")
    result = framework_log.parse(text)
    assert names(result) == ["Tesla T4", "Tesla T4"] and result["compute_capability"] == "7.5"
    # XLA's CPU platform line is no GPU
    assert names(framework_log.parse("I service.cc:175]   StreamExecutor device (0): Host, Default Version\n")) == []


def test_build_reports_pytorch_config_and_cntk_build_info():
    torch = ("PyTorch built with:\n  - GCC 7.3\n  - CUDA Runtime 10.1\n  - CuDNN 7.6.3\n"
             "  - Build settings: BLAS=MKL, BUILD_TYPE=Release\n")
    result = parse_any(torch)
    assert (result["kind"], result["framework"], result["cuda_version"], result["cudnn_version"]) == \
        ("framework-log", "pytorch", "10.1", "7.6.3")
    cntk = ("Build info: \n\n        Built time: Dec  5 2017 18:13:09\n        Build target: GPU \n"
            "        With 1bit-SGD: no\n        CUDA version: 9.0.0\n        CUDNN version: 6.0.21\n")
    result = parse_any(cntk)
    assert (result["kind"], result["framework"], result["cuda_version"], result["cudnn_version"]) == \
        ("framework-log", "cntk", "9.0.0", "6.0.21")


def test_collect_env_copy_asking_two_frameworks_is_pytorchs_report():
    text = ("Collecting environment information...\n\nTensorFlow version: 2.5.0\nPyTorch version: 1.8.0\n"
            "Is CUDA available (TensorFlow): No\nIs CUDA available (PyTorch): No\n")
    result = tool_outputs.read(text)
    assert result["framework"] == "pytorch" and result["gpu_usable"] is False


def test_old_jaxlib_paths_are_jax_when_jax_is_named_and_tensorflow_is_not():
    line = ("2020-10-14 00:38:37.5: I external/org_tensorflow/tensorflow/stream_executor/platform/default/"
            "dso_loader.cc:48] Successfully opened dynamic library libcudart.so.10.0\n")
    assert framework_log.parse(">>> import jax\n" + line * 2 + ">>> jax.device_count()\n")["framework"] == "jax"
    # the same path under TensorFlow Serving (TensorFlow named in its own words) stays TensorFlow's
    assert framework_log.parse("import tensorflow as tf\n" + line * 2)["framework"] == "tensorflow"


def test_an_applications_using_device_line_and_a_printed_backend():
    result = tool_outputs.read("Using JAX backend: jax version=0.6.2, jaxlib version=0.6.2, dtype=float64.\n"
                               "Using device: NVIDIA GeForce RTX 4060 Laptop GPU (id=0), with 7.01 GB available memory.\n")
    assert names(result) == ["NVIDIA GeForce RTX 4060 Laptop GPU"] and result["gpu_usable"] is True
    assert tool_outputs.read("jax version 0.1.39\njax backend gpu\n", kind="framework-log")["gpu_usable"] is True
    assert tool_outputs.read("jax version 0.4.1\njax backend cpu\n", kind="framework-log")["gpu_usable"] is False


def test_libgpuarray_could_not_load_names_the_library():
    text = ('ERROR (theano.gpuarray): Could not initialize pygpu, support disabled\n'
            'GpuArrayException: Could not load "nvrtc64_70.dll": The specified module could not be found.\n')
    assert framework_log.parse(text)["missing_libraries"] == ["nvrtc64_70.dll"]


# -- training logs -------------------------------------------------------------------------------
def test_a_keras_summary_cut_before_a_metric_every_earlier_epoch_printed_is_unfinished():
    line = "45000/45000 [==============================] - 6s 128us/step - loss: 0.04 - acc: 0.99 - val_loss: 0.05"
    text = "".join(f"Epoch {i}/50\n{line} - val_acc: 0.99\n" for i in (1, 2)) + f"Epoch 3/50\n{line} - va"
    assert len(logs.parse(text)["epochs"]) == 2
    assert len(logs.parse(text + "l_acc: 0.99\n")["epochs"]) == 3


def test_cntk_minibatch_lines_are_training_of_cntk():
    text = "".join(f"> AdaptiveLearnRateSearch: Epoch[1002 of 5000]-Minibatch[ {i}1- {i+1}0, 0.00%]: error = 1.5; "
                   f"time = 0.0162s; samplesPerSecond = 61762.7\n" for i in range(1, 5))
    result = parse_any(text)
    assert result["kind"] == "training-log" and result["framework"] == "cntk" and result["epochs"] == []


def test_pytorch_template_summary_ends_its_epoch():
    text = ("Train Epoch: 1 [45056/54000 (83%)] Loss: 0.523107\n    epoch          : 1\n    loss           : 1.07\n"
            "    val_loss       : 0.24\nTrain Epoch: 2 [0/54000 (0%)] Loss: 0.4\n")
    assert [e["epoch"] for e in logs.parse(text)["epochs"]] == [1]


def test_epoch_headers_with_their_total_and_the_scripts_training_completed():
    bar = "Training: 100%|##########| 938/938 [00:15<00:00, 60.22it/s]\nTrain Loss: 0.19\n"
    text = "Device: cuda\n" + "".join(f"Epoch: {i}/3\n{bar}" for i in (1, 2, 3))
    # the last epoch printed the same lines as the two that finished: it finished (round 17's block rule)
    assert len(parse_any(text)["epochs"]) == 3
    open_last = text.rsplit("Train Loss: 0.19\n", 1)[0]  # its bar, and not yet its loss
    assert len(parse_any(open_last)["epochs"]) == 2  # the last stays open: nothing says it ended
    result = parse_any(open_last + "\nTraining completed.\n")
    assert result["kind"] == "training-log" and len(result["epochs"]) == 3


def test_epoch_summary_with_a_semicolon():
    text = "".join(f"epoch: {i}; loss: 0.0000{i}\n" for i in range(298, 302))
    assert [e["epoch"] for e in parse_any(text)["epochs"]] == [298, 299, 300, 301]


def test_a_chinese_training_loop_is_a_training_log_without_epochs_read():
    text = "use cpu device\n" + "".join(f"训练步数:{i}, 损失值:{20000 - i}.5,运行时间:5.{i}\n" for i in range(4))
    result = parse_any(text)
    assert result["kind"] == "training-log" and result["epochs"] == []  # steps (步) are not epochs


def test_every_epoch_mark_needs_a_word_of_its_prefilter():
    # the progress reader searches EPOCH_MARKS only on lines holding one of EPOCH_MARK_WORDS
    for pattern, _role in logs.EPOCH_MARKS:
        source = pattern.pattern.lower().replace("\\", "")
        assert any(word in source for word in logs.EPOCH_MARK_WORDS), pattern.pattern


# -- blind round 12 (tests/data/realworld/heldout_r11_*) ------------------------------------------
def test_docker_compose_prefix_is_taken_off_a_services_lines():
    body = ["/usr/local/bin/deviceQuery Starting...", "", " CUDA Device Query (Runtime API) version (CUDART static linking)",
            "", "Detected 1 CUDA Capable device(s)", "", 'Device 0: "NVIDIA Tegra X2"',
            "  CUDA Capability Major/Minor version number:    6.2"]
    text = "Creating oem_cuda_1 ... done\nAttaching to oem_cuda_1\n" + \
        "\n".join(("cuda_1  | " + line) if line else "cuda_1  |" for line in body) + "\noem_cuda_1 exited with code 0\n"
    result = parse_any(text)
    assert names(result) == ["NVIDIA Tegra X2"] and result["devices"][0]["compute_capability"] == "6.2"
    # a table whose first cell ends in a number is no compose prefix (no "_N"/"-N" service name)
    rows = "epoch | loss\n0 | 0.5\n1 | 0.4\n2 | 0.3\n"
    assert common.unpaste(rows) == rows


def test_a_gpu_name_alone_under_the_version_line_and_the_detect_wording():
    text = "NVIDIA-SMI 535.104.05             Driver Version: 535.104.05   CUDA Version: 12.2 \n NVIDIA A100-PCIE-40GB\n"
    assert names(nvidia_smi.parse(text)) == ["NVIDIA A100-PCIE-40GB"]
    result = tool_outputs.read("Unable to detect the device handle for GPU0000:B1:00.0: Unknown Error\n")
    assert result["kind"] == "nvidia-smi" and result["error"]["name"] == "device-handle"


def test_tf1_dma_row_and_a_properties_line_cut_in_its_capability():
    dma = ("2017-06-18 18:35:07.317169: I tensorflow/core/common_runtime/gpu/gpu_device.cc:940] Found device 0 with "
           "properties: \nname: Tesla K80\nmajor: 3 minor: 7 memoryClockRate (GHz) 0.8235\n"
           "2017-06-18 18:35:07.317192: I tensorflow/core/common_runtime/gpu/gpu_device.cc:961] DMA: 0 \n"
           "2017-06-18 18:35:07.317200: I tensorflow/core/common_runtime/gpu/gpu_device.cc:971] 0:   Y \n")
    assert tool_outputs.read(dma)["gpu_usable"] is True
    cut = ("2021-03-06 22:01:00.547204: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1561] Found device 0 with "
           "properties: \npciBusID: 0000:01:00.0 name: GeForce GTX 960M computeCap")
    assert names(framework_log.parse(cut)) == ["GeForce GTX 960M"]


def test_framework_words_tf_exceptions_eigen_and_ignite():
    assert framework_log.parse("Epoch 1/100\nResourceExhaustedError                    Traceback (most recent call last)\n"
                               )["framework"] == "tensorflow"
    eigen = "Failed to initialize CUDA device #0: CUDA driver version is insufficient for CUDA runtime version\n"
    assert framework_log.parse(eigen * 3)["framework"] == "tensorflow"
    ignite = ("[INFO] (ignite.engine.engine.SupervisedTrainer:972) - Epoch[1] Complete. Time taken: 00:00:02.693\n"
              "[INFO] (ignite.engine.engine.SupervisedTrainer:272) - Epoch: 2/50, Iter: 1/4 -- train_loss: 2.3614\n")
    assert parse_any(ignite)["framework"] == "pytorch"


def test_more_epoch_formats_of_round_12():
    dgl = "".join(f"Epoch {i:05d} | Step 00000 | Loss 6.1 | Train Acc 0.01 | GPU 296.2 MB\nEpoch Time(s): 7.{i}\n"
                  for i in range(3))
    assert [e["seconds"] for e in parse_any(dgl)["epochs"]] == [7.0, 7.1, 7.2]
    mxnet_r = ("Start training with 1 devices\n" + "Batch [50] Speed: 26130.01 samples/sec Train-accuracy=0.11\n" * 3 +
               "[1] Train-accuracy=0.70\n" + "Batch [50] Speed: 25396.74 samples/sec Train-accuracy=0.94\n")
    assert [e["epoch"] for e in parse_any(mxnet_r)["epochs"]] == [1]
    gan = "`[1/20] - ptime: 372.38, loss_d: 0.597, loss_g: 5.759`\n"
    assert [(e["epoch"], e["seconds"]) for e in parse_any(gan)["epochs"]] == [(1, 372.38)]
    assert parse_any(" * EPOCH : 0\n 25%|####      | 4235/16666 [36:27<2:23:16,  1.45it/s]\n")["kind"] == "training-log"
    assert parse_any("Using a concatenated state is slower.\nTraining Epoch: 1 ...\n")["kind"] == "training-log"
    ml = "".join(f"   [Train] Epoch: [1][{i}/4899]  Loss:0.956 (Avg 0.5695) LR 1.00e-03\n" for i in range(261, 265))
    assert parse_any(ml)["kind"] == "training-log" and parse_any(ml)["epochs"] == []


def test_a_second_fit_counting_from_one_again_is_counted_too():
    sgd = "".join(f"Iteration {i}, loss = 0.{20 - i:02d}\n" for i in range(1, 11))
    adam = "".join(f"Iteration {i}, loss = 0.{12 - i:02d}\n" for i in range(1, 10))
    assert len(parse_any(" fitting  sgd\n" + sgd + " fitting  adam\n" + adam)["epochs"]) == 19
    # a bar redrawn for the same epoch is still one epoch
    bar = "Epoch 0: 100%|##########| 10/10 [00:01<00:00, 9.1it/s]\n"
    assert len(parse_any(bar * 3)["epochs"]) == 1


def test_trainer_end_of_run_metrics_say_how_many_epochs_finished():
    text = ("***** train metrics *****\n  epoch                    =       30.0\n  train_loss               =     0.0549\n"
            "  train_runtime            = 2:01:44.85\n***** eval metrics *****\n  epoch  =  30.0\n")
    result = parse_any(text)
    assert result["kind"] == "training-log" and len(result["epochs"]) == 30
    assert result["epochs"][-1]["run_seconds"] == 7304.85
    assert len(parse_any(text.replace("30.0", "2.67"))["epochs"]) == 2  # the whole part of a fractional count


# -- blind round 13 (tests/data/realworld/heldout_r12_*) ------------------------------------------
def test_the_second_half_of_pytorchs_capability_warning_names_the_rejected_gpu():
    text = ("The current PyTorch install supports CUDA capabilities sm_37 sm_50 sm_60 sm_61 sm_70 sm_75 compute_37.\n"
            "If you want to use the NVIDIA GeForce RTX 3060 Laptop GPU GPU with PyTorch, please check the instructions at "
            "https://pytorch.org/get-started/locally/\n")
    result = tool_outputs.read(text, kind="framework-log")
    assert names(result) == ["NVIDIA GeForce RTX 3060 Laptop GPU"] and result["gpu_usable"] is False


def test_cuinit_without_its_colon_and_dso_loaders_words():
    line = "E tensorflow/stream_executor/cuda/cuda_driver.cc:390]Failed call to cuInit CUDA_ERROR_NOT_INITIALIZED: x .\n"
    assert framework_log.parse(line)["error"]["name"] == "CUDA_ERROR_NOT_INITIALIZED"
    dso = "> Could not load dynamic library 'libcusolver.so.10'; dlerror: libcusolver.so.10: cannot open shared object file\n"
    result = parse_any(dso)
    assert result["framework"] == "tensorflow" and result["missing_libraries"] == ["libcusolver.so.10"]


def test_a_traceback_without_its_header_or_cut_in_its_exception_name():
    frames = '  File "/env/site-packages/jax/_src/dispatch.py", line 471, in backend_compile\n' \
             "    return backend.compile(built_c, compile_options=options)\n"
    said = "jaxlib.xla_extension.XlaRuntimeError: FAILED_PRECONDITION: DNN library initialization failed.\n"
    assert framework_log.parse(frames + said)["error"]["name"] == "XlaRuntimeError"
    cut = ('Traceback (most recent call last):\n  File "/a.py", line 17, in <module>\n    k = compile_kernel(src)\n'
           '  File "/usr/lib/python3.12/ctypes/__init__.py", line 379, in __init__\n    self._handle = _dlopen(name)\nOSE')
    assert framework_log.parse(cut)["error"] is not None


def test_more_epoch_formats_of_round_13():
    onmt = "".join(f"Epoch  2,   {i}/  725; acc:   0.00; ppl:  11.85; 5187 src tok/s;     55 s elapsed\n" for i in (550, 600)) + \
        "Train perplexity: 14.9\nValidation perplexity: 11.5\n" + \
        "Epoch  3,   50/  725; acc:   0.00; ppl:   8.81; 5408 src tok/s;     15 s elapsed\n"
    assert [e["epoch"] for e in parse_any(onmt)["epochs"]] == [2]  # epoch 3 is under way
    flax = "".join(f"Epoch... ({i}/116 | Loss: 0.18779703974723816)   \n" for i in (39, 40, 41))
    assert len(parse_any(flax)["epochs"]) == 3
    paddle = "".join(f"[2021/07/19 00:59:46] root INFO: [Train][Epoch {i}/10][Avg]CELoss: 0.2, loss: 0.2, top1: 0.97\n"
                     for i in (1, 2, 10))
    assert [e["epoch"] for e in parse_any(paddle)["epochs"]] == [1, 2, 10]
    assert len(parse_any("Finish 1 epoch(es)\nstep 186 - loss 1.2 - moving ave loss 1.3\n")["epochs"]) == 1


def test_a_last_line_cut_inside_does_not_end_its_epoch():
    evals = "".join(f"eval epoch: {i}, loss: 119.7388, BCE: 95.0571, KLD: 24.6818\n" for i in range(1, 4))
    assert len(parse_any(evals + "eval epoch: 4, loss: 10")["epochs"]) == 3
    assert len(parse_any(evals + "eval epoch: 4, loss: 107.5200, BCE: 81.2980, KLD: 26.2219\n")["epochs"]) == 4
    rows = "".join(f"   {i}/299      9.8G   0.02603   0.01363  0.003285   0.04294        35       640    0.7055\n"
                   for i in range(151, 154))
    assert len(parse_any(rows + "   154/299      9.8G   0.02571   0.01349")["epochs"]) == 3
    assert len(parse_any(rows)["epochs"]) == 3


def test_phase_step_lines_and_paddleclas_static_graph_epochs():
    wlasl = "".join(f"Epoch {e} train Loc Loss: 0.0044 Cls Loss: 0.0044 Tot Loss: 0.0044 Accu :0.0010\n" for e in (1, 1, 2))
    assert [e["epoch"] for e in parse_any(wlasl)["epochs"]] == [1]
    paddle = ("2020-12-30 06:13:33 INFO: epoch:0   train step:10   top1: 0.0000 top5: 0.0312 loss: 11.5920 lr: 0.1\n"
              "2020-12-30 06:13:38 INFO: END epoch:0   train top1: 0.0071 top5: 0.0373 loss:  9.4002  batch_cost: 0.26 s\n"
              "2020-12-30 06:13:41 INFO: END valid top1: 0.0127 top5: 0.0569 loss: 8773.9191\n"
              "2020-12-30 06:13:43 INFO: epoch:1   train step:10   top1: 0.0000 top5: 0.0312 loss: 9.5 lr: 0.1\n")
    assert [e["epoch"] for e in parse_any(paddle)["epochs"]] == [0]


def test_an_epoch_header_alone_is_not_a_finished_epoch():
    # found by tests/test_logs_properties.py: "Epoch 3/12" read as a header, then another header "finished" it
    fallback = "An NVIDIA GPU may be present on this machine, but a CUDA-enabled jaxlib is not installed.\n"
    assert parse_any("Epoch 3/12\n" + fallback + "Epoch 1/2\n")["epochs"] == []
    under = "Epoch 550/599\ntrain Loss: 0.0548 Acc: 0.9879\nval Loss: 0.6185 Acc: 0.9603\n\nTraining complete in 0m 18s\n"
    assert [e["epoch"] for e in parse_any(under)["epochs"]] == [550]
