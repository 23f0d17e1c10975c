"""Rules first needed in blind rounds 13 to 15 (tests/data/realworld/heldout_r13_*, heldout_r14_*): the generic training-log readers
(a line's shape, an epoch column) and the tool / framework wordings met there. Each rule has a case it must refuse;
the real pastes are checked by test_realworld.py."""
from __future__ import annotations

from pytest_dlready.checks import tool_outputs
from pytest_dlready.parsers import common, devicequery, framework_log, logs, nvidia_smi
from pytest_dlready.parsers.identify import identify, parse_any


def epochs(text):
    return [e["epoch"] for e in logs.parse(text)["epochs"]]


def names(result):
    return [g.get("name") for g in result.get("gpus") or result.get("devices") or []]


# -- the generic reader: a line's shape -------------------------------------------------------
def test_a_shape_printed_once_per_epoch_ends_each_epoch():
    text = "".join(f"[2021/07/19 0{k}:00:00] INFO: [Train][Ep {k}/10] loss: 0.{9 - k}1, top1: 0.9{k}\n" for k in (1, 2, 3))
    assert logs._shape_epochs(text.splitlines()) == [{"epoch": k, "seconds": None, "untimed": True} for k in (1, 2, 3)]


def test_steps_end_an_epoch_only_when_the_next_epoch_begins():
    steps = "".join(f"ep {e} | it {s} | loss 0.{e}{s}\n" for e in (0, 1) for s in (10, 20, 30))
    assert [e["epoch"] for e in logs._shape_epochs(steps.splitlines())] == [0]  # epoch 1 is under way
    # a count that moves with the epoch (a bar over the whole run) is no step: each line ends its epoch
    run = "".join(f" {k}/100 [00:5{k}<04:30] - ====epoch {k} SupervisedLoss 15.{k}3\n" for k in (1, 2, 3))
    assert [e["epoch"] for e in logs._shape_epochs(run.splitlines())] == [1, 2, 3]


def test_a_summing_up_line_or_an_unnumbered_epoch_time_ends_the_epoch():
    text = ("INFO: epoch:0   train step:10   loss: 11.59 lr: 0.1\nINFO: epoch:0   train step:20   loss: 10.1 lr: 0.1\n"
            "INFO: END epoch:0   train loss:  9.40  batch_cost: 0.26 s\nINFO: valid step:10 loss: 5481.19\n")
    assert [e["epoch"] for e in logs._shape_epochs(text.splitlines())] == [0]
    timed = "Epoch 00000 | Step 00000 | Loss 0.34\nEpoch 00000 | Step 00020 | Loss 0.40\nEpoch Time(s): 7.2570\n"
    assert [e["epoch"] for e in logs._shape_epochs(timed.splitlines())] == [0]
    # the paste's last line is never a summing-up line: it may be cut inside
    cut = "Epoch[1] Loss=0.0098, F1=0.14, 99.88 %\nEpoch[1] Loss=0.0092, F1=0.15, 99.88 %\nEpoch[1] Loss=0.00885, total 0.1"
    assert logs._shape_epochs(cut.splitlines()) == []


def test_a_lone_line_ends_its_epoch_only_when_it_measures_it():
    assert epochs("epoch 1: loss 0.31 acc 0.90\n") == [1]
    assert epochs("Epoch 00001: LearningRateScheduler setting learning rate to 0.001.\n") == []


def test_words_that_only_contain_epoch_are_no_epoch():
    assert logs._epoch_measure("fit_generator(steps_per_epoch=192, class_weight={0: 2.47})")[0] is None
    assert logs._epoch_measure("epochs=1000, lr=0.01")[0] is None
    assert logs._epoch_measure("Epoch... (39/116 | Loss: 0.1877)")[0] is not None


# -- the generic reader: a table with an epoch column -------------------------------------------
def test_a_table_with_an_epoch_column_rows_per_epoch_or_per_iteration():
    per_epoch = "epoch train loss valid loss accuracy\n0 0.51 0.42 0.81\n1 0.40 0.38 0.85\n"
    assert epochs(per_epoch) == [0, 1]
    per_iteration = ("> epoch       iteration   main/loss\n...\n192  44500  2.16\n192  44600  2.07\n193  44800  1.98\n"
                     "194  45000  2.07\n194  45100  2.02\n")
    assert epochs(per_iteration) == [192, 193]  # 194's rows go on: not finished
    assert epochs("epoch iteration main/loss\n") == []  # a header alone
    assert epochs("0 0.51 0.42 0.81\n1 0.40 0.38 0.85\n") == []  # rows with no header are anyone's numbers


# -- the progress reader -----------------------------------------------------------------------
def test_a_summary_printed_again_for_its_epoch_is_a_step_and_a_step_reopens_it():
    text = ("| epoch 001:    450 / 1891 loss=11.5, ppl=1886.05, wps=52922\n"
            "| epoch 001:    500 / 1891 loss=11.3, ppl=1637.83, wps=53351\n"
            "| epoch 001 | valid on 'valid' subset | valid_loss 8.11 | num_updates 600\n"
            "| epoch 001:    650 / 1891 loss=10.9, ppl=1144.39, wps=53573\n"
            "| epoch 001:    700 / 1891 loss=10.7, ppl=1034.42, wps=53814\n")
    assert epochs(text) == []  # a validation inside epoch 1
    ends = "| epoch 001 | loss 4.1 | ppl 17.2\n| epoch 002 | loss 3.9 | ppl 15.0\n"
    assert epochs(ends) == [1, 2]


def test_an_iteration_time_is_no_epoch_time():
    assert logs.parse("Epoch 0 | iter   9 step   9 | loss train: 11.438 | iter time: 38.615 s (step)\n")["formats"] != \
        ["epoch-lines"]
    assert epochs("epoch 3 loss 0.12 time 4.1s\n") == [3]


def test_an_epoch_header_framed_by_rules():
    text = ("===== Epoch   6 / 200 =====\n| Progress [#   ][ 6.47%] | Loss   7.92 |\n- Average Loss: 9.298\n"
            "===== Epoch   7 / 200 =====\n| Progress [    ][ 3.45%] | Loss   7.98 |\n")
    assert epochs(text) == [6]


def test_framework_start_up_then_finished_epochs_is_a_training_log():
    start = ("GPU available: False, used: False\nTPU available: False, using: 0 TPU cores\n"
             "  | Name | Type   | Params\n0 | l1   | Linear | 7.9 K\n")
    assert identify(start)[0] == "framework-log"
    done = start + "Epoch 0: 100%|##########| 100/100 [00:00<00:00, 324.18it/s, loss=0.0663, v_num=13]\n"
    assert identify(done)[0] == "training-log"


def test_glog_fatal_lines_from_headers_and_cuda_files():
    text = ("I0610 17:14:58.422884  3575 solver.cpp:242] Iteration 150, loss = 273375\n"
            "F0610 17:15:24.994758  3575 syncedmem.hpp:30] Check failed: error == cudaSuccess (11 vs. 0)  invalid argument\n")
    assert parse_any(text)["error"]["name"] == "fatal"
    assert parse_any("I0610 17:14:58.422884  3575 solver.cpp:242] Iteration 150, loss = 273375\n").get("error") is None


# -- GPU tools ---------------------------------------------------------------------------------
def test_a_gpu_listed_twice_with_its_uuid_is_one_gpu():
    line = "GPU 0: NVIDIA A100-PCIE-40GB (UUID: GPU-551720f0-caf0-22b7-f525-2a51a6ab478d)\n"
    assert names(nvidia_smi.parse(line + line)) == ["NVIDIA A100-PCIE-40GB"]
    redacted = "GPU 0: Tesla K80 (UUID: GPU-)\nGPU 1: Tesla K80 (UUID: GPU-)\n"
    assert names(nvidia_smi.parse(redacted)) == ["Tesla K80", "Tesla K80"]  # a redacted UUID says nothing


def test_a_q_fragment_the_processes_box_dmon_and_a_headerless_csv_row():
    fragment = "Attached GPUs                       : 1\nGPU 00000000:07:00.0\n    Product Name                    : GeForce GT 710\n"
    assert names(parse_any(fragment)) == ["GeForce GT 710"]
    box = ("| Processes:                                                       GPU Memory |\n"
           "|  GPU       PID   Type   Process name                             Usage      |\n")
    result = tool_outputs.read(box)
    assert result["kind"] == "nvidia-smi" and [f["code"] for f in result["findings"]] == ["DLR-SMI-PARTIAL"]
    assert parse_any("> \\# gpu   pwr  temp    sm   mem   enc   dec\n>     0   111    83    25     7     0     0\n")["kind"] == \
        "nvidia-smi"
    row = "GeForce GTX 770, [Not Supported], [Not Supported], 52, 52 %, P0, [Not Supported]\n"
    assert names(parse_any(row)) == ["GeForce GTX 770"]
    assert parse_any("GeForce GTX 770, a fine card, bought in 2014\n")["kind"] == "unknown"


def test_devicequery_blocks_without_their_device_lines():
    block = ("CUDA Driver Version / Runtime Version          10.1 / 10.0\n"
             "CUDA Capability Major/Minor version number:    {}\n")
    result = devicequery.parse("1080 deviceQuery:\n" + block.format("6.1") + "970 deviceQuery:\n" + block.format("5.2"))
    assert [(d["name"], d["compute_capability"]) for d in result["devices"]] == [(None, "6.1"), (None, "5.2")]
    assert result["driver_version"] == "10.1" and result["runtime_version"] == "10.0"
    named = devicequery.parse("Device 0: \"GeForce GTX 1080\"\n" + block.format("6.1"))
    assert names(named) == ["GeForce GTX 1080"]


def test_a_container_banner_names_the_cuda_of_bandwidthtest():
    run = "[CUDA Bandwidth Test] - Starting...\nRunning on...\n\n Device 0: NVIDIA GeForce RTX 4080 SUPER\n Quick Mode\n"
    banner = "==========\n== CUDA ==\n==========\n\nCUDA Version 12.9.0\n\n"
    assert parse_any(banner + run)["cuda_version"] == "12.9.0"
    assert parse_any("CUDA Version 12.9.0\n" + run).get("cuda_version") is None  # not the container's banner


def test_inline_html_markup_is_taken_off_when_closed():
    line = ('| NVIDIA-SMI 580.65.06              Driver Version: 580.65.06      '
            '<span style="color: red;font-weight: bold">CUDA Version</span>: 13.0     |\n')
    assert parse_any(line)["cuda_version"] == "13.0"
    assert "<span" in common.unpaste("a <span> alone\n")  # no closing tag: not markup


# -- framework logs ----------------------------------------------------------------------------
def test_an_opened_cudart_names_the_cuda_version():
    opened = "I tensorflow/stream_executor/platform/default/dso_loader.cc:49] Successfully opened dynamic library {}\n"
    assert framework_log.parse(opened.format("libcudart.so.10.1"))["cuda_version"] == "10.1"
    assert framework_log.parse(opened.format("cudart64_110.dll"))["cuda_version"] == "11.0"
    failed = "W tensorflow/stream_executor/platform/default/dso_loader.cc:60] Could not load dynamic library 'libcudart.so.11.0'\n"
    assert framework_log.parse(failed)["cuda_version"] is None


def test_cntk_all_devices_answer():
    repl = ">>> import cntk\n>>> cntk.device.all_devices()\n{}\n"
    cpu = tool_outputs.read(repl.format("(CPU,)"))
    assert (cpu["framework"], cpu["gpu_usable"]) == ("cntk", False)
    gpu = tool_outputs.read(repl.format("(GPU[0] GeForce GTX 1080 Ti, CPU)"))
    assert gpu["gpu_usable"] is True and names(gpu) == ["GeForce GTX 1080 Ti"]


def test_keras_cntk_no_gpu_warning_is_a_cpu_fallback():
    text = ("keras\\backend\\cntk_backend.py:19: UserWarning: CNTK backend warning: GPU is not detected. CNTK's CPU "
            "version is not fully optimized,please run with GPU to get better performance.\n")
    result = tool_outputs.read(text)
    assert (result["framework"], result["gpu_usable"], result.get("error")) == ("cntk", False, None)


def test_a_traceback_without_its_header_cut_in_a_frame():
    text = ('File "/content/app/entry.py", line 46, in <module>\n    from launch import *\n'
            '  File "/content/app/model_management.py", line 90, in get_torch_device\n'
            '    return torch.device(torch.cuda.current_device())\n  File "/usr/local/lib/python3.11')
    result = parse_any(text)
    assert (result["kind"], result["framework"], result["error"]["name"]) == ("framework-log", "pytorch", "traceback")
    # frames of a program that calls no framework's GPU API say nothing of the GPU
    plain = 'File "/app/a.py", line 4, in <module>\n    main()\n  File "/app/a.py", line 2, in main\n    x = 1 /'
    assert parse_any(plain)["kind"] == "unknown"


def test_a_keras_backend_with_no_gpu_line_gives_way_to_the_framework_that_printed_one():
    text = "Using TensorFlow backend.\nMapped name None to device cuda0: GeForce GTX 1080 Ti (0000:01:00.0)\n"
    assert framework_log.parse(text)["framework"] == "theano"
    tf = ("Using TensorFlow backend.\nI tensorflow/core/common_runtime/gpu/gpu_device.cc:1120] Creating TensorFlow "
          "device (/gpu:0) -> (device: 0, name: GeForce GTX 1080, pci bus id: 0000:01:00.0)\n")
    assert framework_log.parse(tf)["framework"] == "tensorflow"


def test_a_cuda_initialization_warning_is_an_error_only_with_a_cuda_error_code():
    warn = ("/usr/local/lib/python3.6/dist-packages/torch/cuda/__init__.py:52: UserWarning: CUDA initialization: The "
            "NVIDIA driver on your system is too old (found version 10010). (Triggered internally at  "
            "/pytorch/c10/cuda/CUDAFunctions.cpp:100.)\n")
    result = tool_outputs.read(warn)
    assert result.get("error") is None and result["gpu_usable"] is False
    assert any("driver-too-old" in f["message"] for f in result["findings"])  # the reason is still said
    coded = warn.replace("The NVIDIA driver on your system is too old (found version 10010).",
                         "Unexpected error from cudaGetDeviceCount(). Error 803: system has unsupported display driver")
    assert tool_outputs.read(coded)["error"] is not None


def test_theanos_nvcc_command_list_makes_nvcc_fatal_a_theano_error():
    text = "nvcc fatal   : Cannot find compiler 'cl.exe' in PATH\n['nvcc', '-shared', '-O3', '-use_fast_math']\n"
    result = parse_any(text)
    assert (result["kind"], result["framework"], result["error"]["name"]) == ("framework-log", "theano", "nvcc-fatal")
    assert parse_any("nvcc fatal   : No input files specified; use option --help for more information\n")["kind"] == "nvcc"


def test_utf16_without_a_bom_whose_text_is_mostly_bar_blocks():
    text = "Epoch 8: 100%|" + "\u2588" * 60 + "| 100/100 [00:05<00:00, 18.2it/s, loss=0.31]\n"
    assert common.decode(text.encode("utf-16-le")) == text
    assert common.decode(text.encode("utf-8")) == text  # UTF-8 has no NUL: never taken for UTF-16


# -- round 15 ----------------------------------------------------------------------------------
def test_tensorflow_found_device_alone_is_usable_unless_something_after_says_not():
    found = ("I tensorflow/core/common_runtime/gpu/gpu_device.cc:1561] Found device 0 with properties:\n"
             "pciBusID: 0000:01:00.0 name: GeForce RTX 3070 computeCapability: 8.6\n")
    assert tool_outputs.read(found)["gpu_usable"] is True
    skipped = found + ("W tensorflow/core/common_runtime/gpu/gpu_device.cc:1598] Cannot dlopen some GPU libraries. "
                       "Please make sure the missing libraries mentioned above are installed properly if you would like "
                       "to use GPU. Skipping registering GPU devices...\n")
    assert tool_outputs.read(skipped)["gpu_usable"] is False


def test_nvidia_smi_no_driver_retyped_list_joined_and_a_timestamped_loop():
    retyped = "`NVIDIA SMI has failed because it could not communicate with the NVIDIA driver Make sure ...`\n"
    assert parse_any(retyped)["error"]["name"] == "no-driver"
    joined = " ".join(f"GPU {k}: NVIDIA GeForce RTX 2080 Ti (UUID: GPU-67a571b1-79ee-1016-8ea3-c1fff3f1c1d{k})"
                      for k in range(3))
    assert names(parse_any("nvidia-smi -L\n" + joined + "\n")) == ["NVIDIA GeForce RTX 2080 Ti"] * 3
    head = "name, pstate, timestamp, memory.used [MiB]\n"
    loop = "".join(f"NVIDIA H100 NVL, P0, 2026/02/25 10:04:3{k}.416, 1 MiB\n" for k in range(5))
    assert names(parse_any(head + loop)) == ["NVIDIA H100 NVL"]
    two = "".join(f"NVIDIA H100 NVL, P0, 2026/02/25 10:04:3{k}.416, 1 MiB\n" * 2 for k in range(3))
    assert names(parse_any(head + two)) == ["NVIDIA H100 NVL"] * 2  # two GPUs per sample
    assert parse_any("+ INSTALLED_DRIVER_VERSION='No devices were found'\n")["error"]["name"] == "no-devices"
    assert parse_any("Unable to determine the device handle for gpu 0000:01:00.0: Not Found\n")["error"]["name"] == \
        "device-handle"


def test_a_q_report_without_names_beside_its_table():
    q = ("==============NVSMI LOG==============\nAttached GPUs : 1\nGPU 00000000:61:00.0\n"
         "    Accounting Mode : Enabled\n")
    table = ("| NVIDIA-SMI 580.159.03             Driver Version: 580.159.03     CUDA Version: 13.0     |\n"
             "|   0  NVIDIA L40S                    On  |   00000000:61:00.0 Off |                    0 |\n")
    assert names(parse_any(q + table)) == ["NVIDIA L40S"]
    assert names(parse_any(q.replace("    Accounting", "    Product Name : NVIDIA L40S\n    Accounting"))) == ["NVIDIA L40S"]


def test_a_paste_starting_inside_an_epoch_counts_it_when_its_end_shows():
    tail = "loss: 0.66, acc: 61.5\nloss: 0.87, acc: 61.6\n>>>>>>>>>>\nepoch: 1\nloss: 0.46, acc: 63.6\n"
    assert epochs(tail) == [0]
    # the batches before an epoch's own end line are that epoch's, not an earlier one's
    r = "Batch [50] Speed: 26130.0 samples/sec Train-accuracy=0.11\nBatch [100] Speed: 2485.3 samples/sec " \
        "Train-accuracy=0.13\n[1] Train-accuracy=0.70\nBatch [50] Speed: 2613.0 samples/sec Train-accuracy=0.80\n"
    assert epochs(r) == [1]
    one = "Loading a checkpoint with loss: 0.3\nEpoch 2/10\n"  # one figure before: no epoch behind it
    assert epochs(one) == []


def test_paddle_v2_passes_and_step_counted_runs():
    paddle = ("Pass 0, Batch 0, Cost 2.370898, {'classification_error_evaluator': 0.89}\n"
              "Pass 0, Batch 100, Cost 2.26, {'classification_error_evaluator': 0.83}\n"
              "Pass 1, Batch 0, Cost 1.82, {'classification_error_evaluator': 0.73}\n")
    assert epochs(paddle) == [0]
    for steps in ("iter: 2100 train_loss: 2.8821  train_score: 0.6225\niter: 2200 train_loss: 2.6174\n",
                  "step 0/2000, training accuracy 0.14\nstep 100/2000, training accuracy 0.8\n",
                  "[ time:2s parleys:12828 time_left:16s num_epochs:0 ] {'accuracy': 1.0}\n"):
        result = parse_any(steps)
        assert (result["kind"], result["epochs"]) == ("training-log", [])
    assert parse_any("step 1: the script set things up\n")["kind"] == "unknown"


def test_a_device_side_assert_stops_the_run_on_the_gpu():
    text = ("Epoch: 8 Sample 7045/7200 Loss: 288517.75\nEpoch: 8 Sample 7050/7200 Loss: 316305.53\n"
            "C:/cb/pytorch_1000000000000/work/aten/src/ATen/native/cuda/Loss.cu:102: block: [237,0,0], thread: "
            "[32,0,0] Assertion `input_val >= zero && input_val <= one` failed.\n")
    result = tool_outputs.read(text)
    assert result["error"]["name"] == "device-assert"
    # no epoch finished: read as the framework's error or as the run's stop, a FAIL either way
    assert {(f["code"], f["status"]) for f in result["findings"]} & {("DLR-LOG-STOPPED", "fail"), ("DLR-FW-ERROR", "fail")}
    finished = "Epoch: 7 Sample 7200/7200 Loss: 2.1\n" + text
    assert logs.parse(finished)["error"]["name"] == "device-assert"


def test_tensorflows_device_list_printed_without_its_call():
    cpu = ("[PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU'), "
           "PhysicalDevice(name='/physical_device:XLA_CPU:0', device_type='XLA_CPU')]\n")
    result = tool_outputs.read(cpu)
    assert (result["framework"], result["gpu_usable"]) == ("tensorflow", False)
    gpu = "[PhysicalDevice(name='/physical_device:GPU:0', device_type='GPU')]\n"
    assert tool_outputs.read(gpu)["gpu_usable"] is True


def test_torch_cuda_unknown_error_and_a_name_missing_its_first_letters():
    err = ("RuntimeError: CUDA unknown error - this may be due to an incorrectly set up environment, e.g. changing env "
           "variable CUDA_VISIBLE_DEVICES after program start. Setting the available devices to be zero.\n")
    assert tool_outputs.read(err)["gpu_usable"] is False
    cut = ("VIDIA GeForce RTX 5090 with CUDA capability sm_120 is not compatible with the current PyTorch installation.\n"
           "If you want to use the NVIDIA GeForce RTX 5090 GPU with PyTorch, please check the instructions\n")
    assert names(framework_log.parse(cut)) == ["NVIDIA GeForce RTX 5090"]
    assert not framework_log._same_name("GeForce GTX 1080", "A GeForce GTX 1080")  # a word, not lost letters


def test_rocm_tensorflow_properties_and_jax_environment_device_info():
    rocm = ("I tensorflow/core/common_runtime/gpu/gpu_device.cc:1734] Found device 0 with properties:\n"
            "pciBusID: 0000:63:00.0 name: **Vega 10** [Radeon Instinct MI25]     ROCm AMD GPU ISA: gfx900\n")
    assert names(framework_log.parse(rocm)) == ["Vega 10 [Radeon Instinct MI25]"]
    jax = "jax:    0.5.2\njaxlib: 0.5.2\ndevice info: NVIDIA GeForce RTX 4060 Laptop GPU-1, 1 local devices\n"
    assert names(framework_log.parse(jax)) == ["NVIDIA GeForce RTX 4060 Laptop GPU"]
    assert names(framework_log.parse(jax.replace("NVIDIA GeForce RTX 4060 Laptop GPU", "cpu"))) == []


# -- round 16 ----------------------------------------------------------------------------------
def test_diff_added_lines_and_a_triple_backtick_span_are_unpasted():
    diff = ("+|   0  Tesla V100-SXM2...  On   | 00000000:00:1E.0 Off |                    0 |\n"
            "+| N/A   39C    P0    24W / 300W |      0MiB / 16384MiB |      0%      Default |\n"
            "++-------------------------------+----------------------+----------------------+\n")
    assert names(parse_any(diff)) == ["Tesla V100-SXM2..."]
    borders = "+-----+\n+-----+\n+=====+\n"
    assert common.unpaste(borders) == borders  # a table's borders alone are no diff
    assert parse_any("```NVIDIA System Management Interface -- v470.182.03```\n")["driver_version"] == "470.182.03"


def test_a_hand_written_nvidia_smi_summary_and_a_pci_device_id_row():
    summary = parse_any("GPU 0: NVIDIA Thor\nDriver Version: 595.78\nCUDA Version: 13.2\n")
    assert (names(summary), summary["driver_version"], summary["cuda_version"]) == (["NVIDIA Thor"], "595.78", "13.2")
    assert parse_any("GPU 0: NVIDIA Thor\nCUDA Version: 13.2\n")["kind"] != "nvidia-smi"  # no driver line: anyone's
    assert names(parse_any("NVIDIA H100 NVL, 0x232110DE\n")) == ["NVIDIA H100 NVL"]
    assert parse_any("NVIDIA H100 NVL, 0x23211002\n")["kind"] == "unknown"  # not NVIDIA's vendor id


def test_cntk_msmpi_missing_gpu_specific_dependency_and_gpu_will_not_be_used():
    msmpi = tool_outputs.read("-------------------------------------------------------------------\nBuild info:\n\n"
                              "\t\tBuilt time: Jan  6 2016 19:01:02\n\t\tBuild type: Release\n\t\tWith 1bit-SGD: no\n"
                              "mpihelper: msmpi.dll missing\nmpiaggregator: MPI_Init, MPI error 16\n")
    assert msmpi["missing_libraries"] == ["msmpi.dll"] and msmpi["error"] is not None
    gpu_specific = ("/usr/lib/python3.5/site-packages/cntk/cntk_py_init.py:98: UserWarning: \n"
                    "######## Missing optional dependency (GPU-Specific) ########\n")
    assert tool_outputs.read(gpu_specific)["gpu_usable"] is False
    jax = ("RuntimeError: jaxlib/cuda/versions_helpers.cc:33: operation cudaRuntimeGetVersion(&version) failed: "
           "Error loading CUDA libraries. GPU will not be used.\n")
    assert tool_outputs.read(jax)["gpu_usable"] is False


def test_the_web_ui_sysinfo_json_names_pytorch_and_its_cuda():
    text = ('    "Torch env info": {\n        "torch_version": "2.1.2+cu121",\n        "is_debug_build": "False",\n'
            '        "cuda_compiled_version": "12.1",\n')
    result = parse_any(text)
    assert (result["kind"], result["framework"], result["cuda_version"]) == ("framework-log", "pytorch", "12.1")


def test_a_wrapped_frame_path_and_boxed_tracebacks():
    wrapped = ('Traceback (most recent call last):\n  File "C:\\\\Users\\\\dell\\\\anaconda3\\\\lib\\\\site-packages\\\\deeplabcut\\\\gui\\\\analyze_vid\n'
               'eos.py", line 344, in analyze_videos\n    self.logger.debug(bdpts)\n'
               "AttributeError: 'AnalyzeVideos' object has no attribute 'logger'\n")
    assert framework_log.stopping_error(wrapped.splitlines(), [])["name"] == "AttributeError"
    rich = ("\u2500\u2500\u2500\u2500 Traceback (most recent call last) \u2500\u2500\u2500\u2500\n"
            "\u2502 /data/finetune.py:261 in <module>  \u2502\n\u2502 \u2771 261 trainer.train()  \u2502\n")
    assert framework_log.stopping_error(rich.splitlines(), [])["name"] == "traceback"
    cpp = ("C++ Traceback (most recent call last):\n--------------------------------------\n"
           "0   paddle::pybind::ThrowExceptionToPython(std::__exception_ptr::exception_ptr)\n\n"
           "Error Message Summary:\n----------------------\n"
           "InvalidArgumentError: The shape of input[0] and input[1] is expected to be equal.\n")
    assert framework_log.stopping_error(cpp.splitlines(), [])["name"] == "InvalidArgumentError"
    assert framework_log.stopping_error(["a line that says Traceback (most recent call last) in prose."], []) is None


def test_theano_cudnn_version_in_any_case():
    line = "- Using gpu device 0: GeForce GTX 950M (CNMeM is enabled with initial size: 70.0% of memory, CuDNN 4007)\n"
    assert framework_log.parse(line)["cudnn_version"] == "4007"
    assert names(framework_log.parse(line)) == ["GeForce GTX 950M"]


def test_marian_steps_keras_step_bars_and_the_trainer_banner_are_training_logs():
    marian = "[2021-07-17 12:54:33] Ep. 1 : Up. 14000 : Sen. 965,843 : Cost 5.20174599 : Time 359.59s\n" \
             "[2021-07-17 13:13:46] Ep. 1 : Up. 16000 : Sen. 1,052,108 : Cost 6.59608603 : Time 1153.11s\n"
    bars = "  1/102 [..............................] - ETA: 19:24 - loss: 0.6917 - accuracy: 0.5938\n" \
           "  2/102 [..............................] - ETA: 8:29 - loss: 0.6912 - accuracy: 0.5938\n"
    trainer = "[INFO|trainer.py:1156] 2021-06-05 16:46:31,375 >> ***** Running training *****\n" \
              "[INFO|trainer.py:1158] 2021-06-05 16:46:31,397 >>   Num Epochs = 1\n"
    for text in (marian, bars, trainer):
        result = parse_any(text)
        assert (result["kind"], result["epochs"]) == ("training-log", [])
    finished = marian + "[2021-07-17 14:13:46] Ep. 2 : Up. 18000 : Sen. 21,108 : Cost 4.1 : Time 1153.11s\n"
    assert epochs(finished) == [1]


def test_training_complete_after_a_bar_short_of_its_count_ends_nothing():
    short = ("Epoch 0:   0%| | 1/2020 [00:03<1:44:05,  3.09s/it, loss=0.0359, v_num=0]\n"
             "Training complete. max_training_steps reached or we blew up.\n")
    assert epochs(short) == []
    header = "Epoch: 1/3\ntrain loss: 0.31 acc: 0.90\nTraining completed.\n"
    assert epochs(header) == [1]


def test_a_pipe_table_row_short_of_its_columns_is_no_finished_epoch():
    table = "epoch | train_loss | valid_loss | accuracy | time\n-- | -- | -- | -- | --\n{}\n"
    assert epochs(table.format("0 | 0.975069 | 00:01")) == []
    assert epochs(table.format("0 | 0.975069 | 0.612 | 0.81 | 00:01")) == [0]


def test_yolov5_device_properties_lines():
    text = ("Using CUDA device0 _CudaDeviceProperties(name='Tesla V100-SXM2-32GB', total_memory=32480MB)\n"
            "           device1 _CudaDeviceProperties(name='Tesla V100-SXM2-32GB', total_memory=32480MB)\n")
    result = tool_outputs.read(text)
    assert names(result) == ["Tesla V100-SXM2-32GB"] * 2 and result["gpu_usable"] is True


# -- round 17 ----------------------------------------------------------------------------------
def test_an_epoch_end_said_in_words():
    fuxi = ("INFO ************ Epoch=1 start ************\nINFO [Metrics] AUC: 0.804410 - logloss: 0.447085\n"
            "INFO ************ Epoch=1 end ************\nINFO ************ Epoch=2 start ************\n")
    assert epochs(fuxi) == [1]
    espnet = ("INFO: 1epoch:train:6376-6750batch: iter_time=0.001, loss=2.386\nINFO: 1epoch results: [train] loss=2.853\n"
              "INFO: 2/20epoch started.\nINFO: 2epoch:train:1-375batch: iter_time=0.001, loss=2.313\n")
    assert epochs(espnet) == [1]
    tts = ("> Epoch 425/1000\n | > Step:24/78  GlobalStep:33600  TotalLoss:0.09187\n"
           " | > EPOCH END -- GlobalStep:33654  AvgTotalLoss:0.11739  EpochTime:86.28\n")
    assert epochs(tts) == [425]
    assert epochs("> Epoch 425/1000\n | > Step:24/78  GlobalStep:33600  TotalLoss:0.09187\n") == []
    assert epochs("the end of epoch planning is near, loss 0.3\n") == []


def test_json_lines_with_an_epoch_key():
    deit = "".join(f'{{"train_lr": 0.0005, "train_loss": 3.58{k}, "epoch": {k}, "n_parameters": 11590840}}\n'
                   for k in (147, 148, 149))
    assert epochs(deit) == [147, 148, 149]
    mmseg = "".join(f'{{"mode": "train", "epoch": 5, "iter": {i}, "lr": 0.004, "decode.loss_seg": 0.71}}\n'
                    for i in (11950, 12050, 12100))
    result = parse_any(mmseg)
    assert (result["kind"], result["epochs"]) == ("training-log", [])


def test_rl_lines_and_start_up_banners_of_dgl_and_lightning():
    rl = " 11087/50000: episode: 81, duration: 5.514s, episode steps: 164, episode reward: -752.191\n"
    assert parse_any(rl)["kind"] == "training-log"
    assert framework_log.parse("Using backend: pytorch\nNamespace(gpu=-1, n_epochs=100)\n")["framework"] == "pytorch"
    summary = "  | Name       | Type        | Params\n0 | bert_model | BertEncoder | 109 M\n"
    assert framework_log.parse(summary)["framework"] == "pytorch"


def test_a_figure_after_batch_is_no_step_and_thousands_are_one_figure():
    fastgcn = "".join(f"Epoch: 00{k} train_loss= 1.7{k} val_loss= 3.1{k} time per batch= 0.011{k}\n" for k in (42, 43, 44))
    assert epochs(fastgcn) == [42, 43, 44]
    assert logs._shape("Sen. 1,052,108 : Cost 6.59") == logs._shape("Sen. 965,843 : Cost 5.20")


def test_the_last_block_like_a_finished_one_finished():
    block = "epoch {k}\ntrain mean loss=0.{k}1, accuracy=0.88\ntest  mean loss=0.{k}2, accuracy=0.93\n"
    text = "".join(block.format(k=k) for k in (1, 2, 3))
    assert epochs(text) == [1, 2, 3]
    cut = text.rsplit("test  mean", 1)[0]  # the last epoch's test line not printed yet
    assert epochs(cut) == [1, 2]


def test_loader_errors_abort_trap_and_jax_runtime_errors():
    ld = "`cntk: error while loading shared libraries: libcudart.so.7.5: cannot open shared object file: No such file`\n"
    result = tool_outputs.read(ld)
    assert result["missing_libraries"] == ["libcudart.so.7.5"] and result["error"]["name"] == "library-not-found"
    abort = ("Failed to import cudamat. Using eigenmat. No GPU will be used.\n"
             "./runall_dbn.sh: line 78:  1210 Abort trap: 6           python trainer.py\n")
    assert tool_outputs.read(abort)["error"]["name"] == "crash"
    jax = ("UnfilteredStackTrace: jaxlib.xla_extension.XlaRuntimeError: INTERNAL: RET_CHECK failure\n"
           "(external/xla/xla/service/gpu/gemm_algorithm_picker.cc:380)\n")
    assert framework_log.stopping_error(jax.splitlines(), [])["name"] == "XlaRuntimeError"
    rich = ("\u2502 /workspace/dreamerv3/jaxagent.py:35 in __init__    \u2502\n\u2502 \u2771 35 available = jax.devices()  \u2502\n"
            "\u2502 /usr/local/lib/python3.8/dist-packages/jax/_src/lib/xla_bridge.py:551 in devices \u2502\n")
    result = parse_any(rich)
    assert (result["kind"], result["framework"], result["error"]["name"]) == ("framework-log", "jax", "traceback")


def test_a_paste_wrapped_in_bold_and_padded_collect_env_keys():
    bold = ("**IndexError                                Traceback (most recent call last)\n"
            "<ipython-input-3-1> in <module>()\n----> 1 tf.config.experimental.set_memory_growth(gpus[0], True)\n"
            "IndexError: list index out of range**\n")
    assert framework_log.stopping_error(common.unpaste(bold).splitlines(), [])["name"] == "IndexError"
    assert common.unpaste("**bold** and **more bold**\n") == "**bold** and **more bold**\n"  # four marks: prose
    env = "PyTorch version              : 2.7.1+cu128\nCUDA used to build PyTorch   : 12.8\nIs CUDA available            : False\n"
    result = tool_outputs.read(env)
    assert (result["cuda_version"], result["gpu_usable"]) == ("12.8", False)
    assert framework_log.parse("torch=2.7.1+cu118\ncuda_available=True\ncuda_version=11.8\n")["cuda_version"] == "11.8"


def test_nvidia_smis_header_fields_each_on_its_own_line():
    result = parse_any("NVIDIA-SMI 418.56      \nDriver Version: 418.56 \nCUDA Version: 10.1\n")
    assert (result["kind"], result["driver_version"], result["cuda_version"]) == ("nvidia-smi", "418.56", "10.1")


def test_torch_says_cuda_is_not_available_under_an_apps_cuda_device():
    text = ("Using device: cuda:0\n/site-packages/torch/cuda/amp/grad_scaler.py:115: UserWarning: torch.cuda.amp.GradScaler "
            "is enabled, but CUDA is not available.  Disabling.\n")
    assert tool_outputs.read(text)["gpu_usable"] is False


def test_a_traceback_through_the_trainers_loop_is_a_training_run():
    text = ('  3%|3         | 9/352 [40:55<25:10:16, 264.19s/it]Traceback (most recent call last):\n'
            '  File "/env/site-packages/transformers/trainer.py", line 2237, in train\n    return inner_training_loop(\n'
            "RuntimeError: CUDA error: an illegal memory access was encountered\n")
    result = parse_any(text)  # no epoch finished: a start-up or a training log, either reading is right
    assert result["kind"] in ("training-log", "framework-log") and result["error"] is not None
    plain = text.replace("RuntimeError: CUDA error: an illegal memory access was encountered", "KeyError: 'labels'")
    assert parse_any(plain)["kind"] == "training-log"
    assert parse_any(plain.replace("transformers/trainer.py", "myapp/trainer.py"))["kind"] != "training-log"


# -- round 18 ----------------------------------------------------------------------------------
def test_the_pastes_last_line_cut_inside_ends_nothing_but_may_begin_an_epoch():
    rows = "".join(f"{k}\t21:2{k}:14\t1\t0.1000\t0.51{k}\t0.21\t0.9994\t0.9994\n" for k in (1, 2, 3))
    assert epochs(rows.join(["EPOCH\tTIMESTAMP\tBAD_EPOCHS\tLEARNING_RATE\tTRAIN_LOSS\tDEV_LOSS\tDEV_F1\tTEST_F1\n", ""])
                  + "4\t21:58:44\t2\t0.1000\t0.35") == [1, 2, 3]
    paddle = ("root INFO: epoch: [0/10], iter: 6, lr: 0.000995, loss: 1.310380, acc: 0.339844, batch_cost: 0.04314 s\n"
              "root INFO: save model in ./output/cls/latest\n"
              "root INFO: epoch: [1/10], iter: 7, lr: 0.000994, loss: 1.296540, acc: 0.349609, batch_cost: 119.9664")
    assert epochs(paddle) == [0]  # the cut line still says epoch 1 began
    lines = ["epoch: 81, lr: 4.14e-04, train loss: 28.85 - valid loss: 26.68, valid ACC: 9.36e-01",
             "epoch: 82, lr: 4.12e-04, train loss: 28.67 - valid lo"]
    assert logs._last_line_cut(lines) == 1
    assert logs._last_line_cut(lines[:1] + [lines[0].replace("81", "82")]) is None


def test_a_summary_shape_that_is_a_step_in_any_epoch_is_a_step_in_every_epoch():
    text = ("| epoch 009:   1000 / 2737 loss=6.220, nll_loss=5.070, ppl=33.4\n"
            "| epoch 009:   2000 / 2737 loss=6.234, nll_loss=5.086, ppl=33.9\n"
            "| epoch 009 | loss 6.233 | nll_loss 5.085 | ppl 33.94\n"
            "| epoch 010:   1000 / 2737 loss=6.144, nll_loss=4.982, ppl=31.6\n")
    assert epochs(text) == [9]


def test_one_epochs_lines_each_printed_once_and_a_lone_step_line():
    gluon = ("[Epoch 3] Training cost: 557.830, RPN_Conf=0.044,RCNN_Mask=0.600\n"
             "[1,0]<stderr>:INFO:root:[Epoch 3] Validation Inference cost: 33.576\n")
    assert epochs(gluon) == [3]
    bigdl = "[Epoch 1 28160000/28857522][Iteration 56][Wall Clock 72.89s] Train 512000 in 1.23seconds. Loss is 0.53.\n"
    assert epochs(bigdl) == []
    cntk = (" Epoch[ 1 of 2]-Minibatch[   1- 500]: SamplesSeen = 25000; TrainLossPerSample =  3.90130001;\n"
            " Epoch[ 1 of 2]-Minibatch[ 501-1000]: SamplesSeen = 25000; TrainLossPerSample =  1.#QNAN000;\n")
    assert epochs(cntk) == []


def test_figures_after_a_colon_and_keras_bars_without_a_loss():
    asr = ("2020-11-13 09:32:47,406 - (Epoch 20) TRAIN LOSS:0.1903 CER:6.53% LR:0.0000167\n2020-11-13 09:32:47,461 - VALID\n"
           "2020-11-13 13:55:36,838 - (Epoch 21) TRAIN LOSS:0.1832 CER:6.25% LR:0.0000163\n")
    assert epochs(asr) == [20, 21]
    assert logs._epoch_measure("Epoch 3 at 12:00:01.123")[0] is None  # a clock's seconds measure nothing
    bars = "".join(f"Epoch {k}/200\n32/32 [==============================] - 4s 116ms/step - sparse_categorical_accuracy: 0.2{k}\n"
                   for k in (53, 54))
    assert epochs(bars) == [53, 54]


def test_tensorflow_op_placement_and_an_ipython_frame_calling_jax():
    placed = "Executing op MatMul in device /job:localhost/replica:0/task:0/device:GPU:0\n"
    result = tool_outputs.read(placed)
    assert (result["framework"], result["gpu_usable"]) == ("tensorflow", True)
    ipython = ("RuntimeError                              Traceback (most recent call last)\n"
               "[/content/colabfold/batch.py](https://localhost:8080/#) in run(queries)\n"
               "   1085         import jax.tools.colab_tpu\n-> 1086         jax.tools.colab_tpu.setup_tpu()\n")
    result = parse_any(ipython)
    assert (result["kind"], result["framework"], result["error"]["name"]) == ("framework-log", "jax", "RuntimeError")
