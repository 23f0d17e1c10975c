"""Rules first needed in blind round 19 and in settling the corpus's labels (tests/data/realworld/heldout_r18_*).
Each rule has a case it must refuse; the real pastes are checked by test_realworld.py."""
from __future__ import annotations

from pytest_dlready.parsers import devicequery, framework_log, log_banners, logs


def epochs(text):
    return [e["epoch"] for e in logs.parse(text)["epochs"]]


def names(result):
    return [g.get("name") for g in result.get("gpus") or result.get("devices") or []]


def printed(text):
    return [(p["name"], p["message"]) for p in framework_log.parse(text).get("errors_printed") or []]


# -- an error-level line is an error printed, whatever rule read it --------------------------------
def test_an_error_level_line_read_by_another_rule_is_an_error_printed():
    theano = ("ERROR (theano.sandbox.cuda): Failed to compile cuda_ndarray.cu: libcublas.so.6.0: cannot open shared "
              "object file: No such file or directory\nUsed the cpu\n")
    parsed = framework_log.parse(theano)
    assert parsed["missing_libraries"] == ["libcublas.so.6.0"]  # the rule that read it still says what it says
    assert printed(theano) == [("error-line", theano.splitlines()[0])]
    nvcc = "ERROR (theano.sandbox.cuda): nvcc compiler not found on $PATH. Check your nvcc installation and try again.\n"
    assert [name for name, _ in printed(nvcc)] == ["error-line"]


def test_error_level_prefixes_of_python_logging_and_glog():
    for line in ("ERROR:root:Could not load dynamic library 'libcudart.so.11.0'",
                 "2021-03-04 10:11:12,345 - ERROR - Could not load dynamic library 'libcudnn.so.8'",
                 "[ERROR] Could not load dynamic library 'libcublas.so.11'",
                 "E0412 10:11:12.123456 Could not load dynamic library 'libcufft.so.10'"):
        assert log_banners.ERROR_LEVEL.match(line), line
        assert [name for name, _ in printed(line + "\n")] == ["error-line"], line


def test_a_warning_or_a_line_that_only_mentions_errors_is_no_error_level_line():
    for line in ("W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic library "
                 "'libcudart.so.11.0'; dlerror: libcudart.so.11.0: cannot open shared object file",
                 "Could not load dynamic library 'libcudnn.so.8' (ERROR is not printed here)",
                 "ERRORS: 0 Could not load dynamic library 'libcublas.so.11'",
                 "Errors: none; Could not load dynamic library 'libcufft.so.10'"):
        assert not log_banners.ERROR_LEVEL.match(line), line
        assert printed(line + "\n") == [], line


# -- nvidia-smi: a run that crashed or refused, a quoted "No devices were found", any quotes round "is not recognized" --
def smi(text):
    from pytest_dlready.parsers import nvidia_smi
    return nvidia_smi.parse(text)


def test_a_crash_or_refusal_under_the_nvidia_smi_command_is_its_error():
    from pytest_dlready.parsers import nvidia_smi
    crash = "root@779e8885ca45:/# nvidia-smi\nFloating point exception (core dumped)\n"
    assert smi(crash)["error"] == {"name": "crash", "message": "Floating point exception (core dumped)"}
    assert nvidia_smi.detect(crash) >= 0.9
    refused = "# nvidia-smi dmon\nNot supported on the device(s)\nFailed to process command line\n"
    assert smi(refused)["error"]["name"] == "command-failed"


def test_a_line_under_the_command_that_is_output_is_no_error():
    for text in ("$ nvidia-smi -L\nGPU 0: Tesla T4 (UUID: GPU-1)\n",
                 "# nvidia-smi\nNot everything went to plan yesterday\n",
                 "I ran nvidia-smi --help and then\nFailed to see why\n"):  # (prose: the command is not alone on its line)
        assert smi(text)["error"] is None, text


def test_no_devices_in_quotes_and_not_recognized_in_any_quotes():
    assert smi('`"No devices were found"`\n')["error"]["name"] == "no-devices"
    for quoted in ("\u201cnvidia-smi\u201d", "'nvidia-smi'", "nvidia-smi", '"nvidia-smi.exe"'):
        line = f"{quoted} is not recognized as an internal or external command, operable program or batch file.\n"
        assert smi(line)["error"]["name"] == "not-found", quoted
    assert smi("The GPUs said: No devices were found? No, they were.\n")["error"] is None


# -- a run counted in steps, iterations or rounds is a training log with no epoch ------------------
def test_lines_with_a_counter_and_a_metric_figure_are_a_run_in_steps():
    from pytest_dlready.parsers import identify, logs
    for text in ("".join(f"[{k}]\tvalidation_0-mae:72.{k}\tvalidation_0-rmse:132.8\n" for k in (6529, 6530, 6531)),  # XGBoost
                 "".join(f"iterations:{k}, train acc:0.25, train loss:477.6,\n" for k in (16335, 16336)),  # ESPnet as a library
                 "".join(f"[2018-09-20 15:18:39,264 INFO] Step {k}/1000000; acc:  42.02; ppl: 55.22; xent: 4.01\n"
                         for k in (509900, 509950)),  # OpenNMT-py
                 "o.d.o.l.ScoreIterationListener - Score at iteration 0 is 4088.19\n" * 3,  # deeplearning4j
                 " 1863: 1339.34, 1379.45 avg loss, 0.001000 rate, 7.49 seconds, 119232 images\n"
                 "Region Avg IOU: 0.044084, Class: 1.000000, Obj: 0.613546, No Obj: 0.491049, Avg Recall: 0.01,  count: 66\n"):
        assert identify.identify(text)[0] == "training-log", text
        parsed = logs.parse(text)
        assert parsed["epochs"] == [] and parsed["steps"]["lines"] >= 1, text


def test_a_step_table_counts_its_rows_by_the_step_column():
    from pytest_dlready.parsers import logs
    table = ("E    #       LOSS TOK2VEC  LOSS NER  ENTS_F  ENTS_P  ENTS_R  SCORE \n"
             "---  ------  ------------  --------  ------  ------  ------  ------\n"
             "  0       0          0.00     40.00    9.57    6.09   22.33    0.10\n"
             "  0     200         35.70   2163.45   83.16   83.79   82.53    0.83\n")
    assert logs.parse(table)["steps"] == {"lines": 2, "first": 0, "last": 200}
    # the same rows under a header with no metric column, or no header, are no steps
    assert "steps" not in logs.parse(table.replace("LOSS", "SIZE").replace("SCORE", "WIDTH"))
    assert "steps" not in logs.parse("\n".join(table.splitlines()[2:]) + "\n")


def test_a_counter_without_a_metric_or_a_metric_without_a_counter_is_no_step():
    from pytest_dlready.parsers import logs
    for text in ("Step 3: install the driver, then reboot\n", "The loss: 0.5 was fine\n",
                 "batch 12 of the CUDA error 35 report\n", "[12] items copied, 0 errors\n"):
        assert "steps" not in logs.parse(text), text


def test_a_run_in_steps_is_a_skip_that_says_so_not_a_missing_epoch_fail():
    from pytest_dlready.checks import tool_outputs
    text = "".join(f"[{k}]\tvalid_0's auc: 0.9{k}\n" for k in (1, 2, 3))
    findings = tool_outputs.read(text.encode(), source="lgbm.log")["findings"]
    assert [(f["status"], f["code"]) for f in findings] == [("skip", "DLR-LOG-STEPS-ONLY")]
    assert "1 to 3" in findings[0]["message"]


# -- other frameworks' device lines: ONNX Runtime, Numba, PaddlePaddle, MXNet; JAX's absl; an app's arch check -----
def fw(text):
    from pytest_dlready.checks import frameworks
    parsed = framework_log.parse(text)
    return parsed, frameworks.gpu_usable(parsed)[0]


def test_onnx_runtime_without_its_gpu_provider_runs_on_the_cpu():
    parsed, usable = fw("> [W:onnxruntime:Default, onnxruntime_pybind_state.cc:640 CreateExecutionProviderInstance] "
                        "Failed to create CUDAExecutionProvider. Please reference https://onnxruntime.ai/docs/\n")
    assert (parsed["framework"], usable, parsed["errors_printed"]) == ("onnxruntime", False, [])
    parsed, usable = fw("[E:onnxruntime:Default, provider_bridge_ort.cc:1480 TryGetProviderInfo_CUDA] "
                        "provider_bridge_ort.cc:1193 onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() "
                        "[ONNXRuntimeError] : 1 : FAIL : Failed to load library libonnxruntime_providers_cuda.so with error: "
                        "libcufft.so.10: cannot open shared object file: No such file or directory\n")
    assert parsed["missing_libraries"] == ["libonnxruntime_providers_cuda.so", "libcufft.so.10"]
    assert usable is False and [p["name"] for p in parsed["errors_printed"]] == ["error-line"]
    _, usable = fw("Applied providers: ['CUDAExecutionProvider', 'CPUExecutionProvider'], with options: {}\n")
    assert usable is True
    _, usable = fw("Applied providers: ['CPUExecutionProvider'], with options: {'CPUExecutionProvider': {}}\n")
    assert usable is False


def test_numba_detect_names_each_gpu_and_its_capability():
    text = ("Found 2 CUDA devices\nid 0      b'Quadro RTX 8000'                              [SUPPORTED]\n"
            "                      Compute Capability: 7.5\n"
            "id 1      b'Quadro RTX 8000'                              [SUPPORTED]\n"
            "                      Compute Capability: 7.5\nSummary:\n\t2/2 devices are supported\n")
    parsed, usable = fw(text)
    assert [g["name"] for g in parsed["gpus"]] == ["Quadro RTX 8000"] * 2
    assert (parsed["compute_capability"], usable, parsed["framework"]) == ("7.5", True, "numba")
    _, usable = fw("id 0    b'GeForce GT 610'    [NOT SUPPORTED: CC 2.1 < 3.5]\nSummary:\n\t0/1 devices are supported\n")
    assert usable is False


def test_paddle_device_note_and_the_gpu_build_without_a_gpu():
    parsed, usable = fw("W0705 11:57:56.118161  1936 device_context.cc:404] Please NOTE: device: 0, GPU Compute "
                        "Capability: 6.1, Driver API Version: 10.2, Runtime API Version: 10.2\n"
                        "W0705 11:57:56.120558  1936 device_context.cc:422] device: 0, cuDNN Version: 7.6.\n")
    assert (usable, parsed["compute_capability"], parsed["cuda_version"], parsed["cudnn_version"]) == (True, "6.1", "10.2", "7.6")
    parsed, usable = fw("WARNING:root:You are using GPU version PaddlePaddle, but there is no GPU detected on your machine.\n")
    assert (usable, parsed["framework"]) == (False, "paddle")


def test_mxnet_autotune_and_cudamalloc_out_of_memory():
    parsed, usable = fw("[17:36:51] src/operator/././cudnn_algoreg-inl.h:112: Running performance tests to find the best "
                        "convolution algorithm, this can take a while...\n[17:36:58] src/storage/./pooled_storage_manager.h:111: "
                        "cudaMalloc failed: out of memory\n")
    assert (usable, parsed["framework"], parsed["error"]["name"]) == (True, "mxnet", "out-of-memory")


def test_jax_absl_backend_lines_and_an_applications_own_arch_check():
    parsed, usable = fw("INFO:absl:Unable to initialize backend 'tpu_driver': Not found: Unable to find driver\n")
    assert (parsed["framework"], usable) == ("jax", None)  # (the TPU's backend: nothing said of the GPU)
    _, usable = fw("INFO:absl:Unable to initialize backend 'cuda': module 'jaxlib.xla_extension' has no attribute\n")
    assert usable is False
    parsed, usable = fw("NVIDIA GeForce RTX 4060 (sm_89) is not supported by this PyTorch build. Supported architectures: "
                        "sm_61, sm_70\n")
    assert ([g["name"] for g in parsed["gpus"]], parsed["compute_capability"], usable) == (["NVIDIA GeForce RTX 4060"], "8.9", False)
    for line in ("No GPUs found\n", "No GPU detected. TTS generation will be slower.\n"):
        assert fw(line)[1] is False, line
    assert fw("We found No GPUs? No.\n")[1] is None


def test_collect_env_without_pytorch_has_no_cuda_build():
    text = ("PyTorch version: N/A\nIs debug build: N/A\nCUDA used to build PyTorch: N/A\nROCM used to build PyTorch: N/A\n"
            "OS: Ubuntu 18.04.2 LTS (x86_64)\nIs CUDA available: N/A\nCUDA runtime version: 9.1.85\n")
    assert framework_log.parse(text)["cuda_version"] is None
    # "Could not collect" is a build collect_env could not ask: the toolkit's version is what is known
    assert framework_log.parse(text.replace("PyTorch: N/A\nROCM", "PyTorch: Could not collect\nROCM"))["cuda_version"] == "9.1.85"


# -- nvidia-smi -q fragments, a CSV row led by its timestamp; a deviceQuery look-alike -------------------------------
def test_a_fragment_of_nvidia_smi_q_is_nvidia_smi():
    from pytest_dlready.parsers import identify
    grep = ("$ nvidia-smi -q | grep -A8 'Clocks Throttle'\n    Clocks Throttle Reasons\n"
            "        Idle                        : Active\n")
    assert identify.identify(grep)[0] == "nvidia-smi"
    sections = "    Clocks\n        Graphics  : 2025 MHz\n    Max Clocks\n        Graphics  : 2100 MHz\n"
    assert identify.identify(sections)[0] == "nvidia-smi"
    one = "    Product Name                          : NVIDIA GeForce RTX 3060\n"
    assert identify.identify(one)[0] == "nvidia-smi" and names(smi(one)) == ["NVIDIA GeForce RTX 3060"]
    # one field name alone, without the command, or a word that is also prose, is no fragment
    assert identify.identify("    Clocks\n        Graphics : fast\n")[0] != "nvidia-smi"
    assert identify.identify("Product Name : Acme Widget\n")[0] != "nvidia-smi"


def test_a_noheader_csv_row_may_lead_with_its_timestamp_and_index():
    row = ("2021/08/31 11:37:40.983, 0, NVIDIA GeForce RTX 3080, GPU-8fe3a97d-51f6-a669-0d80-b4530b81b816, [N/A], "
           "10240, 9029, 1211, P3\n")
    assert names(smi(row)) == ["NVIDIA GeForce RTX 3080"]
    assert names(smi("2021/08/31 11:37:40.983, 0, NVIDIA is a company, founded 1993\n")) == []


def test_a_device_query_look_alike_with_bare_device_lines():
    text = ("CUDA device query (Driver API, statically linked)\nCUDA driver version 8.0\nDetected 1 CUDA capable device\n\n"
            "Device 0: GeForce 840M\n  CUDA capability:                    5.0\n  Global memory:    2 GB\n")
    parsed = devicequery.parse(text)
    assert [(d["name"], d["compute_capability"]) for d in parsed["devices"]] == [("GeForce 840M", "5.0")]
    assert parsed["driver_version"] == "8.0"
    # without the header a bare "Device 0: ..." line (bandwidthTest's, a clinfo's) is no deviceQuery device
    assert devicequery.parse(" Device 0: GeForce GTX 1080\n Quick Mode\n")["devices"] == []


# -- mixed pastes and odd framework lines -------------------------------------------------------------------------
def test_nvcc_above_a_framework_session_that_decides_is_the_session():
    from pytest_dlready.parsers import identify
    nvcc = ("$ nvcc -V\nnvcc: NVIDIA (R) Cuda compiler driver\nCopyright (c) 2005-2018 NVIDIA Corporation\n"
            "Built on Tue_Jun_12_23:07:04_CDT_2018\nCuda compilation tools, release 9.2, V9.2.148\n\n")
    session = ">>> import torch\n>>> torch.cuda.is_available()\nTrue\n>>> torch.cuda.get_device_name(0)\n'Tesla V100-PCIE-32GB'\n"
    kind, _ = identify.identify(nvcc + session)
    assert kind == "framework-log"
    parsed = framework_log.parse(nvcc + session)
    assert (names(parsed), parsed["cuda_version"]) == (["Tesla V100-PCIE-32GB"], "9.2")
    assert identify.identify(nvcc + ">>> import torch\n>>> print(torch.__version__)\n1.4.0\n")[0] == "nvcc"


def test_an_applications_cuda_version_line_behind_its_tag():
    assert framework_log.parse("[AllTalk ENG] PyTorch Version   : 2.2.1\n[AllTalk ENG] CUDA Version      : 12.1\n"
                               "[AllTalk ENG] Loading XTTS model xttsv2_2.0.3 on cuda\n")["cuda_version"] == "12.1"


def test_older_jaxlib_lines_under_org_tensorflow_are_jaxs_when_its_pjrt_client_speaks():
    jax = ("2023-01-28 12:26:29.226660: I tensorflow/stream_executor/platform/default/dso_loader.cc:53] Successfully opened "
           "dynamic library libcudart.so.11.0\n"
           "2023-01-28 12:26:34.180241: I external/org_tensorflow/tensorflow/compiler/xla/service/service.cc:179]   "
           "StreamExecutor device (0): NVIDIA RTX A5000, Compute Capability 8.6\n"
           "2023-01-28 12:26:34.180682: I external/org_tensorflow/tensorflow/compiler/xla/pjrt/gpu_device.cc:301] Using BFC allocator.\n")
    assert framework_log.parse(jax)["framework"] == "jax"
    serving = "\n".join(jax.splitlines()[:2]) + "\n"  # (no PJRT line: TF Serving's build prints the same paths)
    assert framework_log.parse(serving)["framework"] == "tensorflow"


def test_a_matlab_error_ends_the_run():
    from pytest_dlready.parsers import logs
    text = ("## Epoch 1/1. Avg recon. err: 69.7555| LR: 0.05. Mom.: 0.\n\n"
            'Undefined variable "rbm" or class "rbm.rbmup".\n\nError in dbntrain (line 39)\n')
    assert logs.parse(text)["error"]["name"] == "matlab-error"
    assert logs.parse("## Epoch 1/1. Avg recon. err: 69.7555| LR: 0.05.\nError in judgement, said the reviewer\n")["error"] is None


def test_a_summary_of_the_finished_epochs_in_a_new_shape_is_no_second_fit():
    from pytest_dlready.parsers import logs
    run = "".join(f"Epoch {k}/3 - time: 44{k}.2ms/step - loss: [0] 3009.0{k}\n" for k in (1, 2, 3))
    table = "".join(f"- Epoch {k}      takes 3987{k}.89 ms\n" for k in (1, 2, 3))
    assert epochs(run + "=====\n" + table) == [1, 2, 3]
    assert epochs(run + run).count(1) == 2  # the same lines again: a second fit, its epochs counted again


def test_lines_each_led_by_a_literal_br_are_unpasted():
    from pytest_dlready.parsers import common
    text = "<br>[epoch:1, mini-batch: 2000] loss: 2.219\n<br>[epoch:1, mini-batch: 4000] loss: 1.978\n<br>Finished Training !\n"
    assert common.unpaste(text).splitlines()[2] == "Finished Training !"
    one = "a <br> in the middle\n<br>only one line starts so\nplain\nplain\n"
    assert common.unpaste(one) == one


# -- noise is no training log: the generic reader's "ep" is written as people write it, and one line is not enough --
def test_an_ep_glued_to_letters_or_in_mixed_case_names_no_epoch():
    assert logs.EPOCH_ANY.search("[Ep 1/10] loss: 0.31") and logs.EPOCH_ANY.search("EP3 acc 0.9")
    for noise in ("c|6N, 3:h:Di8uctRD8,9)80:6R:-IEv2egeP6.d)EP1e. lD9ut- .8I", "ab eP4\t8/uecbeeIb7N54.|dc"):
        assert logs._epoch_measure(noise)[0] is None, noise


def test_one_generic_epoch_line_without_a_metric_is_not_a_log_but_one_with_a_metric_is():
    noise = "es3u\tailIuE(|I.0ieR:DeDl-9u2Ii0g:.=uhau EP3\tgD=46:jfIDe3j8,1auiacivg =/f95()789Dsie0f6lfuD7.RD.c\n"
    assert logs.detect(noise) < 0.3
    assert logs.detect(noise * 2) >= 0.3  # (the same shape twice: what the generic reader goes by)
    lone = "[Epoch 1 28160000/28857522][Iteration 56][Wall Clock 72.89s] Train 512000 in 1.23seconds. Loss is 0.5386.\n"
    assert logs.detect(lone) >= 0.3


# -- round 20: TensorRT, llama.cpp's ggml, ND4J, Numba's CudaSupportError, older Paddle, ONNX Runtime on Windows -----
def test_tensorrt_ggml_and_nd4j_device_lines():
    parsed, _ = fw("[05/28/2023-21:01:14] [TRT] [W] TensorRT was linked against cuDNN 8.9.0 but loaded cuDNN 8.7.0\n")
    assert (parsed["framework"], parsed["cudnn_version"]) == ("tensorrt", "8.7.0")
    parsed, usable = fw("ggml_cuda_init: found 1 CUDA devices:\n"
                        "  Device 0: NVIDIA GeForce RTX 4050 Laptop GPU, compute capability 8.9, VMM: yes\n")
    assert (names(parsed), parsed["compute_capability"], usable) == (["NVIDIA GeForce RTX 4050 Laptop GPU"], "8.9", True)
    parsed, usable = fw("00:27:44.690 [main] INFO  - CUDA device 0: [Quadro RTX 4000]; cc: [7.5]; Total memory: [8343912448]\n")
    assert (names(parsed), usable) == (["Quadro RTX 4000"], True)
    # a "Device 0: ..." line without its capability is no ggml device (deviceQuery's and bandwidthTest's say it so)
    assert names(framework_log.parse(" Device 0: GeForce GTX 1080\n")) == []


def test_numba_cuda_support_error_older_paddle_and_onnx_runtime_loadlibrary():
    parsed, usable = fw("numba.cuda.cudadrv.error.CudaSupportError: Error at driver init: \n")
    assert (usable, parsed["error"]["name"]) == (False, "cuda-init")
    parsed, usable = fw("W0404 16:40:48.365986 14840 device_context.cc:237] Please NOTE: device: 0, CUDA Capability: 61, "
                        "Driver API Version: 10.1, Runtime API Version: 10.0\n")
    assert (usable, parsed["compute_capability"], parsed["cuda_version"]) == (True, "6.1", "10.0")
    parsed, usable = fw('[E:onnxruntime:Default, provider_bridge_ort.cc:1745 onnxruntime::TryGetProviderInfo_CUDA] '
                        'onnxruntime::ProviderLibrary::Get [ONNXRuntimeError] : 1 : FAIL : LoadLibrary failed with error 126 "" '
                        'when trying to load "C:\\\\venv\\\\onnxruntime\\\\capi\\\\onnxruntime_providers_cuda.dll"\n')
    assert (parsed["missing_libraries"], usable) == (["onnxruntime_providers_cuda.dll"], False)


# -- round 20's training logs: more tools that count iterations or rounds, R's reprex marks, GPU -1 ---------------------
def test_catboost_xgboost_timestamped_madlib_r_optim_spacy_losses_and_flux_lines_are_steps():
    for text, first in (("0:\tlearn: 0.6569860\ttest: 0.6570642\tbest: 0.6570642 (0)\ttotal: 70.1ms\tremaining: 1m 10s\n", 0),
                        ("7:      learn 0.3881772587passed: 17.5 sec      total: 5m 13s   remaining: 40m 32s\n", 7),
                        ("[20:07:36] [106]        test-error:0.027192     train-error:0.010225\n", 106),
                        ("[0]\ttest-merror:0.330769\ttrain-merror:0.191715\n", 0),
                        ("INFO:  Iteration: 3, Loss: <0.805838101786>\n", 3),
                        ("iter  10 value 303.779416\n", 10),
                        ("Losses {'ner': 9.899998903274536}\n", None),
                        ("loss(x, y) = param(0.0913291)\n", None)):
        parsed = logs.parse(text)
        assert parsed["epochs"] == [] and parsed["steps"]["lines"] == 1, text
        assert parsed["steps"]["first"] == first, text
    # the words alone, without their figure or their shape, are no steps
    for text in ("learn: how to train\n", "iter value\n", "Losses {'ner': None}\n", "loss(x, y) = model(x)\n",
                 "test-error: none found\n", "[20:07:36] starting\n"):
        assert "steps" not in logs.parse(text), text


def test_r_reprex_marks_are_unpasted_like_comments():
    from pytest_dlready.parsers import common
    assert common.unpaste("#> iter  10 value 303.77\n#> final  value 303.17 \n#> converged\n").splitlines()[0] == \
        "iter  10 value 303.77"
    # one "#>" line among other text is no reprex (as one "# " line is no commented-out output)
    assert "#> " in common.unpaste("x <- 1\n#> [1] 1\ny <- 2\n")


def test_gensim_vocabulary_scan_and_start_of_training_are_a_run_with_no_epoch_yet():
    text = ("2018-03-17 12:48:28,331 : INFO : PROGRESS: at example #0, processed 0 words (0/s), 0 word types, 0 tags\n"
            "2018-03-17 12:48:28,966 : INFO : PROGRESS: at example #10000, processed 3198312 words (5044963/s), 390776 word types\n"
            "2018-03-17 12:48:29,840 : INFO : training model with 3 workers on 40708 vocabulary and 100 features\n")
    assert logs.detect(text) >= 0.6 and logs.parse(text)["epochs"] == []
    assert logs.detect("PROGRESS: at 20% of the download\n") < 0.3


def test_a_run_started_with_gpu_minus_one_runs_on_the_cpu():
    from pytest_dlready.checks import frameworks
    for line in ("GPU: -1", "# GPU: -1", "gpu_id:\t-1", "gpu_ids: -1"):
        parsed = logs.parse(line + "\n# unit: 1000\nepoch       main/loss   elapsed_time\n1           0.19        11.2\n")
        assert frameworks.gpu_usable(parsed)[0] is False, line
    for line in ("GPU: 0", "gpu_id: -10", "GPU: -1 (cpu fallback disabled) 3", "n_gpu_layers: -1", "max_gpu: -1",
                 "gpus = -1", "devices: -1"):  # (Lightning's gpus=-1 / devices=-1: every GPU)
        parsed = logs.parse(line + "\n")
        assert frameworks.gpu_usable(parsed)[0] is not False, line


def test_a_framework_beyond_the_named_ones_gets_its_own_next_step_in_the_fix():
    from pytest_dlready.checks import tool_outputs

    def fixes(text):
        return [f["fix"] for f in tool_outputs.read(text)["findings"] if f["status"] == "fail"]
    ort = ("[W:onnxruntime:Default, onnxruntime_pybind_state.cc:640 CreateExecutionProviderInstance] Failed to create "
           "CUDAExecutionProvider. Please reference https://onnxruntime.ai/docs/execution-providers/CUDA-ExecutionProvider"
           ".html#requirements to ensure all dependencies are met.\n")
    assert any("onnxruntime-gpu" in fix for fix in fixes(ort))
    assert any("numba -s" in fix for fix in fixes("numba.cuda.cudadrv.error.CudaSupportError: Error at driver init: \n"))
    # TensorFlow's fix is the general one, named frameworks get no other framework's step
    tf = "2021-01-01 10:00:00.000000: W tensorflow/stream_executor/platform/default/dso_loader.cc:60] Could not load " \
         "dynamic library 'libcudart.so.11.0'; dlerror: libcudart.so.11.0: cannot open shared object file\n"
    assert fixes(tf) and not any(word in fix for fix in fixes(tf) for word in ("ONNX", "Numba", "Paddle", "CuPy"))


def test_a_run_started_with_gpu_minus_one_is_told_to_ask_for_the_gpu():
    from pytest_dlready.checks import frameworks
    parsed = framework_log.parse("GPU: -1\n# unit: 1000\n# Minibatch-size: 100\n")
    fails = [f for f in frameworks.framework_findings(parsed) if f.status.name == "FAIL"]
    assert fails and "-g 0" in fails[0].fix and "the run was started with GPU -1" in fails[0].message


# -- a --query-gpu CSV piped through `column -s, -t` ---------------------------------------------------------------------
COLUMNED = ("index   name               power.draw [W]   temperature.gpu   clocks.current.graphics [MHz]\n"
            "0       GeForce GTX 1080   131.17 W         38                1708 MHz\n"
            "1       GeForce GTX 1080   131.13 W         35                1721 MHz\n")


def test_a_query_csv_set_out_in_columns_is_read_as_the_csv_it_was():
    from pytest_dlready.parsers import nvidia_smi
    parsed = nvidia_smi.parse(COLUMNED)
    assert [(g["index"], g["name"], g["power_draw_w"], g["temperature_c"], g["clocks_graphics_mhz"])
            for g in parsed["gpus"]] == [(0, "GeForce GTX 1080", 131.17, 38, 1708), (1, "GeForce GTX 1080", 131.13, 35, 1721)]
    assert nvidia_smi.detect(COLUMNED) >= 0.7


def test_columns_that_are_no_query_fields_or_rows_out_of_line_are_no_csv():
    from pytest_dlready.parsers import nvidia_smi
    assert nvidia_smi._uncolumn(["Name    Size    Owner", "a       1       b"]) == ["Name    Size    Owner", "a       1       b"]
    # a row whose cells do not start under the header's columns ends the table
    shifted = COLUMNED.splitlines()[:1] + ["0  GeForce GTX 1080 131.17 W 38 1708 MHz"]
    assert nvidia_smi._uncolumn(shifted)[1] == shifted[1]


# -- round 21's training logs: MXNet's CPU context, Lightning behind a logging prefix, bare rounds, fastprogress ---------
def test_mxnet_started_on_its_cpu_context_runs_on_the_cpu_and_is_told_how_to_ask_for_the_gpu():
    from pytest_dlready.checks import frameworks
    parsed = framework_log.parse("2016-08-02 16:29:02,566 Node[0] Start training with [cpu(0)]\n")
    assert frameworks.gpu_usable(parsed)[0] is False
    assert "--gpus 0" in [f for f in frameworks.framework_findings(parsed) if f.status.name == "FAIL"][0].fix
    assert frameworks.gpu_usable(framework_log.parse("Node[0] Start training with [gpu(0)]\n"))[0] is True
    assert frameworks.gpu_usable(framework_log.parse("we start training with the cpu(0) context next\n"))[0] is None


def test_lightnings_device_summary_behind_a_logging_prefix():
    from pytest_dlready.checks import frameworks
    line = "2020-09-10 22:11:58,979 : lightning    : INFO       GPU available: True, used: True\n"
    assert frameworks.gpu_usable(framework_log.parse(line))[0] is True
    # the words inside a sentence are no summary
    assert frameworks.gpu_usable(framework_log.parse("I printed GPU available: True, used: True earlier\n"))[0] is None


def test_xgboost_bare_rounds_and_a_fastprogress_bar_are_a_run_with_no_epoch():
    rounds = "".join(f"[21:31:0{i}] [{i}]\n" for i in range(5))
    assert logs.detect(rounds) >= 0.6 and logs.parse(rounds)["epochs"] == []
    assert logs.detect("0.11% [32/29603 1:19:55<1231:03:30]\n") >= 0.3
    assert logs.detect("100.00% [5/5 00:12<00:00, loss 0.31]\n") >= 0.3
    for text in ("[21:31:00] [INFO] started\n", "0.11% [32 of 29603]\n", "50% [1/2 done]\n"):
        assert logs.detect(text) < 0.3, text


# -- round 21's tools: nvcc --list-gpu-arch, Windows' "not recognized" in other languages ------------------------------
def test_nvcc_list_gpu_arch_is_read_with_the_range_it_builds_for():
    from pytest_dlready.checks import tool_outputs
    from pytest_dlready.parsers import nvcc
    text = "root@90d5:/build# nvcc --list-gpu-arch\ncompute_35\ncompute_37\ncompute_50\ncompute_90a\n"
    parsed = nvcc.parse(text)
    assert parsed["architectures"] == ["compute_35", "compute_37", "compute_50", "compute_90a"] and nvcc.detect(text) >= 0.8
    finding = tool_outputs.nvcc_findings(parsed)[0]
    assert (finding.code, finding.status.name, finding.observed["oldest"], finding.observed["newest"]) == \
        ("DLR-NVCC-ARCHS", "PASS", "3.5", "9.0")
    assert nvcc.parse("sm_80\nsm_86\nsm_89\n")["architectures"] == ["sm_80", "sm_86", "sm_89"]
    # one arch named in other output (a build's -gencode, a log) is no listing
    assert nvcc.parse("building for\ncompute_35\nthen linking\n")["architectures"] == []
    assert nvcc.detect("the flag is\ncompute_35\n") < 0.6


def test_windows_not_recognized_in_other_languages_and_mojibake():
    from pytest_dlready.parsers import nvcc, nvidia_smi
    for said in ("não é reconhecido como um comando interno", "n\ufffdo \ufffd reconhecido como um comando interno",
                 "no se reconoce como un comando interno o externo,", "n'est pas reconnu en tant que commande interne",
                 "non è riconosciuto come comando interno o esterno,"):
        assert nvidia_smi.parse(f"'nvidia-smi' {said}\n")["error"]["name"] == "not-found", said
        assert nvcc.parse(f"'nvcc' {said}\n")["error"]["name"] == "not-found", said
    assert nvidia_smi.parse('Der Befehl "nvidia-smi" ist entweder falsch geschrieben oder\n')["error"]["name"] == "not-found"
    # the words about another program say nothing of nvidia-smi
    assert nvidia_smi.parse("'python3' não é reconhecido como um comando interno\n")["error"] is None


# -- round 21's framework logs: Ollama, vLLM, Ultralytics' invalid device, CuPy's show_config, journald / BuildKit -----
def test_ollama_inference_compute_and_vllm_platform_lines():
    parsed, usable = fw('time=2025-02-28T15:45:27.887Z level=INFO source=types.go:130 msg="inference compute" '
                        'id=GPU-0aa928c0 library=cuda variant=v12 compute=12.0 driver=12.8 name="NVIDIA GeForce RTX 5090" '
                        'total="31.4 GiB" available="30.9 GiB"\n')
    assert (names(parsed), parsed["compute_capability"], parsed["framework"], usable) == \
        (["NVIDIA GeForce RTX 5090"], "12.0", "ollama", True)
    parsed, usable = fw('time=2025-01-01T00:00:00Z level=INFO source=types.go:131 msg="inference compute" id=0 '
                        'library=cpu variant=avx2 compute="" driver=0.0 name="" total="31.2 GiB"\n')
    assert usable is False
    assert fw("INFO 07-17 00:07:05 [__init__.py:244] Automatically detected platform cuda.\n")[1] is True
    assert fw("INFO 07-17 00:07:05 [__init__.py:244] No platform detected, vLLM is running on UnspecifiedPlatform\n")[1] is False
    # the words in prose are no device line
    assert fw("the inference compute time was 3 s\n")[1] is None


def test_ultralytics_invalid_cuda_device_is_an_error_and_no_gpu():
    parsed, usable = fw("Ultralytics YOLOv8.1.3 Python-3.10.11 torch-2.1.0+cpu\nAn Error occurred: Invalid CUDA 'device=0' "
                        "requested. Use 'device=cpu' or pass valid CUDA device(s) if available\n")
    assert usable is False and parsed["error"]["name"] == "invalid-device"


def test_cupy_show_config_is_a_framework_report():
    text = (">>> cupy.show_config()\nCuPy Version          : 7.0.0rc1\nCUDA Root             : /usr/local/cuda\n"
            "CUDA Build Version    : 9020\nCUDA Driver Version   : 9020\nCUDA Runtime Version  : 9020\n"
            "cuDNN Build Version   : 7500\ncuDNN Version         : 7500\n")
    assert framework_log.detect(text) >= 0.9
    parsed = framework_log.parse(text)
    assert (parsed["framework"], parsed["cuda_version"], parsed["cudnn_version"]) == ("cupy", "9020", "7500")


def test_journald_and_buildkit_prefixes_are_unpasted_when_lines_carry_them():
    from pytest_dlready.parsers import common
    journal = ("Sep 04 14:24:56 FORGE ollama[1461072]: ggml_cuda_init: found 1 CUDA devices:\n"
               "Sep 04 14:24:56 FORGE ollama[1461072]:   Device 0: NVIDIA GeForce RTX 4090, compute capability 8.9, VMM: yes\n")
    assert common.unpaste(journal).splitlines() == ["ggml_cuda_init: found 1 CUDA devices:",
                                                     "  Device 0: NVIDIA GeForce RTX 4090, compute capability 8.9, VMM: yes"]
    assert common.unpaste("12月 05 10:00:01 box ollama[12]: a\n12月 05 10:00:02 box ollama[12]: b\n").splitlines() == ["a", "b"]
    assert common.unpaste("#0 920.0 AssertionError: Torch is not able to use GPU\n#0 920.0 \n").splitlines()[0] == \
        "AssertionError: Torch is not able to use GPU"
    # one such line among others is a line of its own, kept whole
    assert common.unpaste("Sep 04 14:24:56 FORGE ollama[1]: x\nplain\n").splitlines()[0].startswith("Sep 04")


# -- round 21's mixed pastes: a GPU row cut inside its name, nnDetection's environment print ---------------------------
def test_a_last_gpu_row_cut_inside_its_name_is_a_gpu_as_far_as_printed():
    from pytest_dlready.parsers import nvidia_smi
    row = ("|   2  GeForce GTX 980     Off  | 0000:83:00.0     Off |                  N/A |\n"
           "| 26%   32C    P8    10W / 180W |     14MiB /  4095MiB |      0%      Default |\n"
           "+-------------------------------+----------------------+----------------------+\n")
    assert [(g["index"], g["name"]) for g in nvidia_smi.parse(row + "|   3  GeForce GTX 980\n")["gpus"]] == \
        [(2, "GeForce GTX 980"), (3, "GeForce GTX 980")]
    # not when it is not the next GPU, or not the paste's last line
    assert len(nvidia_smi.parse(row + "|   7  GeForce GTX 980\n")["gpus"]) == 1
    assert len(nvidia_smi.parse(row + "|   3  GeForce GTX 980\nmore text\n")["gpus"]) == 1


def test_nndetection_environment_print():
    text = ("----- PyTorch Information -----\nPyTorch Version: 2.0.1+cu118\nPyTorch CUDA: 11.8\n"
            "PyTorch Backend cudnn: 8700\nPyTorch Current Device Capability: (8, 6)\nPyTorch CUDA available: True\n")
    parsed, usable = fw(text)
    assert (parsed["cuda_version"], parsed["cudnn_version"], parsed["compute_capability"], usable) == ("11.8", "8700", "8.6", True)
    assert fw("PyTorch CUDA available: False\n")[1] is False
    assert fw("is PyTorch CUDA available: True? yes\n")[1] is None


def test_nvcc_detect_takes_bytes_and_utf16_like_every_parser():
    from pytest_dlready.parsers import nvcc
    listing = "nvcc --list-gpu-arch\ncompute_50\ncompute_60\ncompute_70\n"
    for data in (listing.encode(), listing.encode("utf-16"), b"\xef\xbb\xbf" + listing.encode()):
        assert nvcc.detect(data) >= 0.8
    assert nvcc.detect("'nvcc' n\u00e3o \u00e9 reconhecido como um comando interno\n".encode("utf-16")) >= 0.6


def test_every_registered_parser_detects_and_parses_bytes_as_it_does_text():
    from pytest_dlready.parsers import identify
    loaded, _missing = identify.parsers()
    samples = ("nvcc --list-gpu-arch\ncompute_50\ncompute_60\ncompute_70\n",
               "Sep 04 14:24:56 h ollama[1]: ggml_cuda_init: found 1 CUDA devices:\n"
               "Sep 04 14:24:56 h ollama[1]:   Device 0: NVIDIA GeForce RTX 4090, compute capability 8.9, VMM: yes\n",
               "index   name               temperature.gpu\n0       GeForce GTX 1080   38\n")
    for kind, detect, parse in loaded:
        for text in samples:
            for data in (text.encode(), text.encode("utf-16")):
                assert detect(data) == detect(text), (kind, text[:30])
                assert parse(data).get("kind") == parse(text).get("kind"), (kind, text[:30])
