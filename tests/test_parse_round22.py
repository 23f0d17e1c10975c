"""Rules first needed in round 22: formats left unread by blind round 21 (strict xfails until now) and the
blind round 22 collections (tests/data/realworld/heldout_r21_*). Each rule has a case it must refuse; the real
pastes themselves are checked by test_realworld.py."""
from __future__ import annotations

from pytest_dlready.checks import tool_outputs
from pytest_dlready.parsers import common, framework_log


def read(text):
    return tool_outputs.read(text.encode())


def names(result):
    return [g.get("name") for g in result.get("gpus") or []]


# -- a Markdown report's bold keys ("- **Name:** ...": ComfyUI's error report) --------------------------
COMFY_REPORT = ("## System Information\n- **ComfyUI Version:** v0.3.6\n- **OS:** nt\n- **PyTorch Version:** 2.4.1+cu124\n"
                "## Devices\n\n- **Name:** cuda:0 NVIDIA GeForce RTX 4090 D : cudaMallocAsync\n  - **Type:** cuda\n"
                "  - **VRAM Total:** 25756696576\n")


def test_bold_keys_of_a_markdown_report_are_unbolded():
    text = common.unpaste(COMFY_REPORT)
    assert "PyTorch Version: 2.4.1+cu124" in text
    assert "Name: cuda:0 NVIDIA GeForce RTX 4090 D : cudaMallocAsync" in text
    assert "  Type: cuda" in text  # inner indentation kept
    assert common.unpaste(text) == text  # idempotent


def test_one_bold_line_or_bold_words_mid_line_are_left_alone():
    one = "- **Note:** this is prose\nnvidia-smi output below\n"
    assert "**Note:**" in common.unpaste(one)
    mid = "the **GPU:** word in a sentence\nand **CPU:** again\n"
    assert "**GPU:**" in common.unpaste(mid)


def test_comfyui_error_reports_devices_section_names_the_gpu():
    parsed = read(COMFY_REPORT)
    assert parsed["framework"] == "pytorch"
    assert names(parsed) == ["NVIDIA GeForce RTX 4090 D"]


def test_a_name_line_without_a_device_and_allocator_names_no_gpu():
    assert names(read("- **Name:** my model\n- **Type:** resnet\nimport torch\n")) == []


# -- DeepFaceLab's "Running On" box --------------------------------------------------------------------
DFL = ("==------------Running On ------------==\n==                                    ==\n"
       "==      Device index: 0               ==\n==              Name: GeForce GTX 680 ==\n==              VRAM: 2.00GB\n")


def test_deepfacelab_running_on_box_names_its_gpu():
    result = tool_outputs.read(DFL.encode())
    assert result["kind"] == "framework-log"
    assert names(result) == ["GeForce GTX 680"]


def test_deepfacelab_box_on_the_cpu_and_its_other_rows_name_no_gpu():
    cpu = DFL.replace("Name: GeForce GTX 680", "Name: CPU            ")
    assert names(framework_log.parse(cpu)) == []
    summary = "==         Model name: SAE              ==\n==  Current iteration: 16               ==\n"
    assert names(framework_log.parse(summary)) == []


# -- cuda.pathfinder's "Failure finding" (CuPy 14, cuda-python) -------------------------------------------
def test_pathfinders_failure_finding_a_library_is_a_missing_library_and_an_error():
    cell = ("CuPy Version                 : 14.0.0\n"
            "cuBLAS Version               : ImportError('Failure finding \"libcublasLt.so\": No such file: libcublasLt.so*')\n")
    parsed = framework_log.parse(cell)
    assert parsed["missing_libraries"] == ["libcublasLt.so"]
    assert parsed["error"] and parsed["error"]["name"] == "library-not-found"
    dll = 'cuda.pathfinder._dynamic_libs.load_dl_common.DynamicLibNotFoundError: Failure finding "cublas64_12.dll": not found\n'
    assert framework_log.parse(dll)["missing_libraries"] == ["cublas64_12.dll"]


def test_failure_finding_something_that_is_no_library_is_not_one():
    parsed = framework_log.parse('import cupy\nFailure finding "the config file": see docs\n')
    assert parsed["missing_libraries"] == []


# -- netket.tools.info()'s Jax section -----------------------------------------------------------------
NETKET = ("# Jax \n  - backends         : ['cpu', 'gpu']\n    - cpu            : ['<0: cpu>']\n"
          "    - gpu            : ['<0: Tesla V100-PCIE-32GB>', '<1: Tesla V100-PCIE-32GB>'\n")


def test_netket_info_lists_each_gpu_of_jax():
    result = tool_outputs.read(NETKET.encode())
    assert result["kind"] == "framework-log" and result["framework"] == "jax"
    assert names(result) == ["Tesla V100-PCIE-32GB", "Tesla V100-PCIE-32GB"]


def test_netket_info_cpu_list_and_other_bracketed_names_are_no_gpu():
    cpu = "# Jax \n  - backends         : ['cpu']\n    - cpu            : ['<0: cpu>', '<1: cpu>']\n"
    assert names(framework_log.parse(cpu)) == []
    assert names(framework_log.parse("import jax\nmodels = ['<0: resnet50>']\n")) == []


# -- PyTorch's quickstart: print(f"Using {device} device") -------------------------------------------------
def test_the_quickstarts_using_device_line_says_where_the_script_runs():
    assert [(e["gpu"], e["kind"]) for e in read("Using cuda device\n")["evidence"]] == [("used", "script-using-device")]
    assert [(e["gpu"], e["kind"]) for e in read("Using cpu device\n")["evidence"]] == [("none", "script-using-device")]


def test_a_sentence_about_using_a_device_is_no_device_line():
    assert read("Using cuda device for training is faster\n")["kind"] == "unknown"
    assert read("We recommend using cuda device 0\n")["kind"] == "unknown"


# -- blind round 22: MXNet's and PaddlePaddle's own lines, TensorFlow's PTX-JIT warning ----------------------
def test_mxnet_module_fit_epoch_lines_and_its_error_name_mxnet():
    fit = "2016-01-01 21:43:49,904 Node[0] Epoch[4] Train-accuracy=0.548824\n2016-01-01 21:43:49,904 Node[0] Epoch[4] Time cost=20.7\n"
    assert framework_log.parse(fit)["framework"] == "mxnet"
    err = ("MXNetError: [11:52:59] D:\\mxnet\\src\\storage\\storage.cc:42: Check failed: e == cudaSuccess || "
           "e == cudaErrorCudartUnloading CUDA: no CUDA-capable device is detected\n")
    assert read(err)["framework"] == "mxnet"


def test_an_epoch_in_brackets_of_another_tool_is_not_mxnet():
    assert framework_log.parse("Epoch[4] done, loss 0.3\nimport torch\n")["framework"] != "mxnet"


def test_paddles_dynload_failure_is_an_error_and_no_gpu():
    text = ("RuntimeError: (PreconditionNotMet) Cannot load cudnn shared library. Cannot invoke method cudnnGetVersion.\n"
            "  [Hint: cudnn_dso_handle should not be null.] (at /paddle/paddle/fluid/platform/dynload/cudnn.cc:76)\n")
    result = read(text)
    assert result["kind"] == "framework-log" and result["framework"] == "paddle"
    assert result["error"]["name"] == "library-not-found"
    assert [e["gpu"] for e in result["evidence"] if e["kind"] == "paddle-dynload-failed"] == ["none"]


def test_a_sentence_about_loading_a_library_is_no_paddle_error():
    assert read("I cannot load cudnn shared library files on my machine, any ideas?\n")["kind"] == "unknown"


def test_tensorflows_ptx_jit_warning_gives_the_compute_capability_and_no_verdict():
    line = ("TensorFlow was not built with CUDA kernel binaries compatible with compute capability 9.0. CUDA kernels "
            "will be jit-compiled from PTX, which could take 30 minutes or longer.\n")
    result = read(line)
    assert result["kind"] == "framework-log" and result["framework"] == "tensorflow"
    assert result["compute_capability"] == "9.0"
    assert all(e.get("gpu") != "none" for e in result["evidence"])  # a warning: it still runs on the GPU


def test_cupy_show_configs_device_rows_name_the_gpu_and_its_capability():
    text = ("CuPy Version                 : 8.0.0rc1\nCUDA Runtime Version         : 10020\n"
            "Device 0 Name                : GeForce RTX 2080 Ti\nDevice 0 Compute Capability  : 75\n")
    result = read(text)
    assert result["framework"] == "cupy" and names(result) == ["GeForce RTX 2080 Ti"]
    assert result["compute_capability"] == "7.5"
    assert names(read("CuPy Version                 : 8.0.0rc1\nDevice Name: see below\n")) == []
