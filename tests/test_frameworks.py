"""checks.frameworks: "can the framework use the GPU?" judged from a framework log's evidence.

The verdict rules are tested on evidence lists (the facts the parser hands over), and end to end
on real pastes from tests/data/realworld (their sources are in each folder's SOURCES.md).
"""
from __future__ import annotations

import os

import pytest

from pytest_dlready.checks import frameworks, tool_outputs
from pytest_dlready.parsers import framework_log
from pytest_dlready.results import Status

REAL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "realworld")


def ev(lineno, gpu, **kw):
    return dict(lineno=lineno, gpu=gpu, line=kw.pop("line", f"line {lineno}"), **kw)


def test_the_last_decisive_line_wins_in_log_order():
    parsed = {"evidence": [ev(9, "used", index="0"), ev(2, "none", kind="dlopen-failed")]}
    usable, deciding = frameworks.gpu_usable(parsed)
    assert usable is True and deciding["lineno"] == 9  # sorted by line, not by list order
    parsed = {"evidence": [ev(1, "used", index="0"), ev(5, "none", kind="fallback")]}
    assert frameworks.gpu_usable(parsed)[0] is False


def test_a_refused_gpu_stays_refused_when_pytorch_then_says_available():
    parsed = {"evidence": [ev(1, "rejected", backend="pytorch", name="NVIDIA GeForce RTX 5090"),
                           ev(7, "used", backend="pytorch", kind="is_available")]}
    usable, deciding = frameworks.gpu_usable(parsed)
    assert usable is False and deciding["lineno"] == 1


def test_another_gpu_used_after_one_was_refused_is_usable():
    parsed = {"evidence": [ev(1, "rejected", backend="tensorflow", index="1"),
                           ev(3, "used", backend="tensorflow", index="0")]}
    assert frameworks.gpu_usable(parsed)[0] is True
    parsed["evidence"][1]["index"] = "1"  # the same GPU "used" later is still the refused one
    assert frameworks.gpu_usable(parsed)[0] is False


def test_a_log_that_says_nothing_is_unknown_and_a_skip_never_a_fail():
    assert frameworks.gpu_usable({"evidence": []}) == (None, None)
    assert frameworks.gpu_usable({}) == (None, None)
    (finding,) = frameworks.framework_findings({"framework": "theano", "evidence": []})
    assert finding.status is Status.SKIP and finding.code == "DLR-FW-UNDECIDED"


def test_an_error_before_any_device_line_is_a_fail_that_quotes_it():
    parsed = {"framework": "gnumpy", "evidence": [],
              "error": {"name": "syntax-error", "message": "SyntaxError: Missing parentheses in call to 'print'"}}
    (finding,) = frameworks.framework_findings(parsed)
    assert finding.status is Status.FAIL and finding.code == "DLR-FW-ERROR"
    assert "needs Python 2.7" in finding.message and "Missing parentheses" in finding.message


@pytest.mark.parametrize("library,says", [
    ("cudart64_110.dll", "CUDA 11.x runtime"),
    ("cudart64_101.dll", "CUDA 10.1 runtime"),
    ("libcudart.so.12", "CUDA 12 runtime"),
    ("cudnn64_8.dll", "cuDNN 8"),
    ("libcudnn.so.8", "cuDNN 8"),
    ("libcudnn_ops_infer.so.8", "cuDNN 8"),
    ("nvcuda.dll", ""),
])
def test_a_missing_library_name_says_which_version_is_wanted(library, says):
    assert says in frameworks.library_hint(library) if says else frameworks.library_hint(library) == ""


def test_collect_env_driver_older_than_the_build_needs():
    parsed = {"collect_env": {"CUDA used to build PyTorch": "10.2", "Nvidia driver version": "418.67", "OS": "Ubuntu"}}
    assert "418.67 is older" in frameworks.driver_too_old(parsed)
    parsed["collect_env"]["Nvidia driver version"] = "450.80.02"
    assert frameworks.driver_too_old(parsed) is None
    assert frameworks.driver_too_old({"collect_env": {"Nvidia driver version": "418.67"}}) is None  # unknown build


def test_tensorflow_windows_build_info_dll_suffix_is_the_cudnn_major():
    parsed = framework_log.parse("PyTorch version: 2.0\nIs CUDA available: True\ncuDNN version: 64_8\n")
    assert parsed["cudnn_version"] == "8"
    parsed = framework_log.parse("PyTorch version: 2.0\nIs CUDA available: True\ncuDNN version: 8902\n")
    assert parsed["cudnn_version"] == "8902"


@pytest.mark.parametrize("rel,usable,code,words", [
    ("tensorflow/tf1.x_docker_gt750m_found_device_ignoring_cc3.0.log", False, "DLR-FW-GPU-UNSUPPORTED",
     "compute capability 3.0 below the minimum 3.5"),
    ("tensorflow/tf2.8_win10_rtx3090_created_device_truncated.log", True, "DLR-FW-OK", "cuDNN 8"),
    ("pytorch_jax/torch_rtx3080_laptop_sm86_not_compatible_userwarning.log", False, "DLR-FW-GPU-UNSUPPORTED",
     "this build supports sm_37 sm_50 sm_60 sm_70"),
    ("pytorch_jax/torch1.6_collect_env_rhel7_2x_v100_cuda_no_driver418.log", False, "DLR-FW-NO-DRIVER",
     "418.67 is older than this build's CUDA 10.2 needs"),
    ("pytorch_jax/jax_warning_cuda_enabled_jaxlib_not_installed_falling_back_to_cpu.log", False, "DLR-FW-CPU-BUILD",
     "CPU-only build"),
    ("theano_cntk_gnumpy/theano0.9_gpuarray_win_gtx750ti_cudnn5110_check_says_cpu.log", True, "DLR-FW-OK",
     "GeForce GTX 750 Ti, cuDNN 5110"),
    ("theano_cntk_gnumpy/keras_cntk_win_selected_cpu_gpu_not_detected_userwarning.log", False, "DLR-FW-CPU",
     "cntk runs on the CPU"),
    ("theano_cntk_gnumpy/cudamat_deepnet_cuda_set_device_no_cuda_capable_device.log", False, "DLR-FW-NO-DRIVER",
     "no CUDA-capable device"),
    ("theano_cntk_gnumpy/gnumpy_py36_win_syntaxerror_print_nolearn_dbn.log", None, "DLR-FW-ERROR", "needs Python 2.7"),
])
def test_real_pastes_get_the_verdict_and_the_reason(rel, usable, code, words):
    with open(os.path.join(REAL, rel), "rb") as fh:
        result = tool_outputs.read(fh.read(), source=os.path.basename(rel))
    assert result["kind"] == "framework-log"
    assert result["gpu_usable"] is usable
    first = result["findings"][0]
    assert first["code"] == code and words in first["message"], first
    assert first["status"] == ("pass" if usable else "skip" if usable is None and code == "DLR-FW-UNDECIDED" else "fail")


def _real(rel):
    with open(os.path.join(REAL, rel), "rb") as fh:
        return tool_outputs.read(fh.read(), source=os.path.basename(rel))


def test_a_gpu_exception_printed_without_its_traceback_is_an_error():
    parsed = framework_log.parse("RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
                                 "Compile with `TORCH_USE_CUDA_DSA` to enable device-side assertions.\n")
    assert parsed["error"]["message"].startswith("RuntimeError: CUDA error: no kernel image")
    usable, deciding = frameworks.gpu_usable(parsed)
    assert usable is False and deciding["gpu"] == "rejected"  # no kernels for this GPU in the build
    # a ValueError about something else is not a start-up failure
    assert framework_log.parse("import torch\nValueError: too many values to unpack\n")["error"] is None


def test_a_traceback_cut_before_its_exception_reads_its_last_raise():
    result = _real("heldout_r3_modern/pytorch_win_torch_not_compiled_cuda_traceback_cut.log")
    assert result["error"] == {"name": "AssertionError", "message": "AssertionError: Torch not compiled with C",
                               "cut": True}
    assert result["gpu_usable"] is False and result["findings"][0]["code"] == "DLR-FW-CPU-BUILD"


def test_a_library_loaded_through_ctypes_that_is_not_found_is_named():
    result = _real("heldout_r3_legacy/cudamat_windows_test_error126.log")
    assert result["missing_libraries"] == ["libcudamat.dll"]
    assert result["findings"][0]["code"] == "DLR-FW-MISSING-LIB"


def test_device_lib_listings_name_every_gpu_even_on_one_line():
    result = _real("heldout_r3_modern/tf_repl_device_lib_two_rtx2080super_desc.log")
    assert [(g["index"], g["name"], g["compute_capability"]) for g in result["gpus"]] == [
        ("0", "NVIDIA GeForce RTX 2080 SUPER", "7.5"), ("1", "NVIDIA GeForce RTX 2080 SUPER", "7.5")]
    result = _real("heldout_r3_modern/tf_directml_device_lib_dml_rtx2080super.log")
    assert result["kind"] == "framework-log" and result["gpu_usable"] is True
    assert result["driver_version"] == "27.21.14.7025"  # DirectML: the Windows driver-store version


@pytest.mark.parametrize("rel,code", [
    ("heldout_r3_legacy/cntk_linux_source_build_gpu0_invalid_buildinfo.log", "DLR-FW-NO-DRIVER"),
    ("heldout_r3_legacy/theano_gpuarray_pygpu_too_old_nonetype.log", "DLR-FW-CPU"),
    # a REPL traceback of <stdin> quotes no source line: the line after the frame is the exception
    ("heldout_r3_modern/pytorch_wsl2_repl_is_available_true_devices_busy.log", "DLR-FW-NO-DRIVER"),
])
def test_frameworks_that_give_up_on_the_gpu_say_so(rel, code):
    result = _real(rel)
    assert result["gpu_usable"] is False and result["error"]
    assert result["findings"][0]["code"] == code, result["findings"][0]


def test_jax_giving_up_on_cuda_is_a_fallback_with_its_cause_not_an_error():
    # JAX warns "CUDA backend failed to initialize: <why>" and goes on on the CPU: no error was printed
    result = _real("heldout_r3_modern/jax_notebook_cuda_backend_failed_unable_to_load_cuda.log")
    assert result["gpu_usable"] is False and result["error"] is None and not result["errors_printed"]
    assert result["findings"][0]["code"] == "DLR-FW-CPU" and "Unable to load CUDA" in result["findings"][0]["message"]
    # a cuDNN older than the build: the library is named, and its version read
    result = _real("heldout_r7_tf/jax_cuda_backend_failed_cudnn_8600_vs_8906_one_line.log")
    assert result["error"] is None and result["cudnn_version"] == "8600"
    assert result["findings"][0]["code"] == "DLR-FW-MISSING-LIB"
    # ... but a CUDA error code in its cause is an error printed
    result = _real("heldout_r6_torch/jax0426_repl_cuda_visible_devices_not_initialized_cpudevice.log")
    assert result["error"]["name"] == "cuda-init" and "CUDA_ERROR_NOT_INITIALIZED" in result["error"]["message"]


R4 = "heldout_r4_frameworks/"


def test_out_of_memory_means_the_gpu_works_and_the_job_does_not_fit():
    result = _real(R4 + "pytorch_oom_quoted_reserved_max_split_size.log")
    assert result["gpu_usable"] is True and result["error"]["name"] == "out-of-memory"
    assert [f["code"] for f in result["findings"]] == ["DLR-FW-OK", "DLR-FW-OOM"]
    assert "tried to allocate 2.81 GiB" in result["findings"][1]["message"]


def test_an_ipython_traceback_names_its_exception_in_the_header():
    result = _real(R4 + "tf20dev_is_gpu_available_internalerror_ipython_traceback_cut.log")
    assert result["error"]["name"] == "InternalError"
    assert result["findings"][0]["code"] == "DLR-FW-ERROR"


@pytest.mark.parametrize("rel,name", [
    (R4 + "tf_metal_apple_m1_model_summary_cut.log", "Apple M1"),          # tensorflow-metal
    (R4 + "cntk_all_devices_tuple_gtx1080_cpu_inline.log", "GeForce GTX 1080"),  # cntk.all_devices()
    ("heldout_r4_pages/tf1x_docs_log_device_placement_tesla_k40c_device_mapping.log", "Tesla K40c"),  # TF 1.x
])
def test_device_lines_of_other_stacks_name_the_gpu_used(rel, name):
    result = _real(rel)
    assert result["kind"] == "framework-log" and result["gpu_usable"] is True
    assert [g["name"] for g in result["gpus"]] == [name]


def test_ptxas_not_knowing_the_architecture_gives_the_compute_capability():
    result = _real(R4 + "tf24_ptxas_sm86_not_defined_cuda_stack_old_one_line.log")
    assert result["framework"] == "tensorflow" and result["compute_capability"] == "8.6"


R5 = "heldout_r5_frameworks/"


@pytest.mark.parametrize("rel,error", [
    (R5 + "jax_2018_ipython_prngkey_statusor_fatal_cut.log", "fatal"),            # a C++ FATAL log line
    (R5 + "theano_gpuarray_cudnn6020_gtx1070_segfault.log", "crash"),             # Segmentation fault
    (R5 + "cntk_minibatch_qnan_call_stack_exception_nan.log", "cntk-exception"),  # EXCEPTION occurred: ...
    (R5 + "theano_gof_opt_error_abstractconv3d_cudnn_optimization_failure.log", "theano-error"),
])
def test_a_process_that_died_or_logged_an_error_failed(rel, error):
    result = _real(rel)
    assert (result.get("error") or result.get("startup_error") or {}).get("name") == error


@pytest.mark.parametrize("rel,device", [
    (R5 + "pytorch_tensor_on_cuda0_printout_rtx3070_laptop.log", "cuda:0"),       # tensor(..., device='cuda:0')
    (R5 + "cntk_lockdevice_locked_gpu0_quoted_train_begin.log", "cuda:0"),        # LockDevice: Locked GPU 0
])
def test_work_placed_on_the_gpu_is_the_gpu_used(rel, device):
    result = _real(rel)
    assert result["gpu_usable"] is True and result["evidence"][-1]["gpu"] == "used"


def test_collect_env_cuda_is_the_builds_and_the_toolkit_is_kept_apart():
    result = _real(R5 + "pytorch130_collect_env_tesla_t4_cuda_not_available_driver410.log")
    assert result["cuda_version"] == "10.1.243" and result["cuda_toolkit"] == "10.0.130"


def test_tensorflow_cuda_diagnostics_give_the_kernel_driver_version():
    result = _real("heldout_r5_docs/tf_py27_import_libcuda_so1_not_opened_ld_library_path_set.log")
    assert result["driver_version"] == "370.28"


from hypothesis import given, settings, strategies as st  # noqa: E402

_FRAGMENTS = st.sampled_from(["TensorFlow", "tf.config", "gpu_device.cc", "PhysicalDevice(name=", "torch", "PyTorch",
                              "Theano", "CNMeM", "Mapped name None to device", "Using gpu device 0", "pygpu", "CNTK",
                              "process wide default device", "jaxlib", "CpuDevice(id=0)", "TFRT_CPU_0", "xla_bridge.py:12]",
                              "gnumpy", "cudamat", "npmat", "gpu_lock", "external/org_tensorflow/", "device_type: \"GPU\"",
                              "x", " ", "_", ".", "/", "(", "é", "\t"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=8).map("".join))
def test_the_marker_prefilter_never_skips_a_line_a_marker_matches(line):
    if any(p.search(line[:500]) for _n, p in framework_log.FRAMEWORK_MARKERS):
        assert any(word in line[:500].lower() for word in framework_log.MARKER_WORDS)


@pytest.mark.parametrize("rel", [
    "heldout_r6_tf/tf_cudnn_runtime_7201_vs_compiled_7004_mismatch_one_line.log",   # TF: cuDNN of another version
    "heldout_r6_torch/jax071_ipython_devices_plugin_error_cusparse_not_found_cut.log",  # JAX: a CUDA library missing
])
def test_a_cuda_library_of_the_wrong_version_or_missing_is_named_not_called_a_cpu_run(rel):
    result = _real(rel)
    assert result["gpu_usable"] is False
    first = result["findings"][0]
    assert first["code"] == "DLR-FW-MISSING-LIB" and "runs on the CPU" not in first["message"]


# -- blind round 8 (heldout_r7_*): what the new lines say --------------------------------------------------------
R7 = "heldout_r7_"


@pytest.mark.parametrize("rel,usable,gpus,code", [
    (R7 + "tf/tf_directml_two_adapters_uhd620_rx550x.log", True, ["Intel(R) UHD Graphics 620", "Radeon (TM) RX 550X"], "DLR-FW-OK"),
    (R7 + "tf/tf_directml_rx6700xt_pluggable_device_blank_lines.log", True, ["AMD Radeon RX 6700 XT"], "DLR-FW-OK"),  # not "DML"
    (R7 + "tf/tf_directml_wsl_repl_vega8_found_0_adapters_cpu_add.log", False, [], "DLR-FW-CPU"),
    (R7 + "tf/tf_directml_plugin_2.10_repl_cpu_only_physical_devices.log", False, [], "DLR-FW-CPU"),
    (R7 + "tf/tf_gt1030_could_not_find_cuda_drivers_pre_double_backtick_cut.log", False, [], "DLR-FW-CPU"),
    (R7 + "tf/tf_metal_m2_keras_one_epoch_single_backticks_lr.log", True, [], None),  # a training log
    (R7 + "torch/lightning_ray_ddp_gpu_available_false_pid_prefix.log", False, [], "DLR-FW-CPU"),
    (R7 + "torch/pytorch_rocm4.2_repl_no_hip_gpus_available.log", False, [], "DLR-FW-NO-DRIVER"),
    (R7 + "torch/pytorch_2.10_mps_macos13_runtimeerror_traceback.log", False, [], "DLR-FW-NO-DRIVER"),
    (R7 + "torch/pytorch_2.9.1_mps_built_not_available_indented.log", False, [], "DLR-FW-CPU"),
    (R7 + "torch/pytorch_sm86_rtx_a6000_userwarning_backticks.log", False, ["NVIDIA RTX A6000"], "DLR-FW-GPU-UNSUPPORTED"),
    (R7 + "torch/pytorch_bert_squad_8gpu_distributed_device_lines_wrapped_cut.log", True, [], "DLR-FW-OK"),
    (R7 + "torch/theano_0.8.2_windows_failed_compile_cuda_ndarray_wrapped_cut.log", False, [], "DLR-FW-CPU"),
    (R7 + "torch/cupy_cuda80_cudaErrorNoDevice_traceback.log", False, [], "DLR-FW-NO-DRIVER"),
])
def test_round8_lines_say_whether_the_gpu_is_used(rel, usable, gpus, code):
    result = _real(rel)
    assert result["gpu_usable"] is usable
    assert [g["name"] for g in result["gpus"]] == gpus
    if code:
        assert result["findings"][0]["code"] == code, result["findings"][0]


def test_supported_architectures_on_the_warnings_own_line_are_read_with_it():
    result = _real(R7 + "torch/pytorch_sm86_rtx_a6000_userwarning_backticks.log")
    assert result["compute_capability"] == "8.6" and "sm_75" in result["supported_architectures"]
    assert "this build supports sm_37" in result["findings"][0]["message"]


def test_duplicate_registration_lines_are_errors_printed_and_said_to_be_noise():
    result = _real("heldout_r6_tf/tf214_xla_register_cudnn_cufft_cublas_factory_three_lines.log")
    assert [e["name"] for e in result["errors_printed"]] == ["duplicate-registration"] * 3
    assert result["error"] is None
    assert result["findings"][0]["status"] == "skip" and "start-up noise, harmless" in result["findings"][0]["message"]


def test_jaxlibs_own_xla_path_is_jax_and_tensorflows_is_tensorflow():
    assert _real(R7 + "tf/jax_xla_cuda_dnn_runtime_cudnn_8.5.0_vs_8.6.0_quoted_line.log")["framework"] == "jax"
    one = _real(R7 + "tf/tf_2.13_wsl2_numa_node_could_not_open_two_lines.log")  # one TF C++ log line is enough
    assert one["kind"] == "framework-log" and one["framework"] == "tensorflow"
    assert one["findings"][0]["code"] == "DLR-FW-UNDECIDED"


@pytest.mark.parametrize("rel,cuda,cudnn", [
    (R7 + "torch/cntk_2.2_selected_cpu_default_device_build_info_cuda9.log", "9.0.0", "6.0.21"),
    (R7 + "torch/chainer_6.4.0_cupy_show_config_print_runtime_info.log", "10000", "7603"),
])
def test_build_reports_give_cuda_and_cudnn_versions(rel, cuda, cudnn):
    result = _real(rel)
    assert (result["cuda_version"], result["cudnn_version"]) == (cuda, cudnn)


def test_out_of_memory_in_jax_and_an_output_marked_exception():
    result = _real(R7 + "tf/jax_xla_bridge_get_backend_devices_four_gpudevice_then_oom.log")
    assert result["gpu_usable"] is True and result["error"]["name"] == "out-of-memory"
    assert [f["code"] for f in result["findings"]] == ["DLR-FW-OK", "DLR-FW-OOM"]


# -- blind round 9: projects built on the frameworks (real pastes: tests/data/realworld/heldout_r8_issues/, SOURCES.md) --
@pytest.mark.parametrize("rel,usable,code,words", [
    ("heldout_r8_issues/comfyui_root_info_rtx2060_cudamallocasync_cogvideox_cut.log", True, "DLR-FW-OK",
     "NVIDIA GeForce RTX 2060"),   # behind Python logging's "... - root - INFO - " prefix
    ("heldout_r8_issues/sd_webui_comfyui_prefixed_rtx_a4500_startup_time_joined.log", True, "DLR-FW-OK", "NVIDIA RTX A4500"),
    ("heldout_r8_issues/detectron2_collect_env_torch1.4_16x_tesla_k80_one_line_c_failed_cut.log", True, "DLR-FW-OK",
     "16 x Tesla K80 (CUDA available: True)"),   # one table row names sixteen GPUs
    ("heldout_r8_issues/detectron2_collect_env_arch_no_cuda_runtime_gpu_available_false.log", False, "DLR-FW-CPU",
     "GPU available: False"),
    ("heldout_r8_issues/ultralytics_8.3.106_powershell_prompt_rtx4080_super_padded_cut.log", True, "DLR-FW-OK",
     "NVIDIA GeForce RTX 4080 SUPER"),
    ("heldout_r8_issues/a1111_webui_launch_utils_356_torch_not_able_to_use_gpu_traceback_only.log", False, "DLR-FW-CPU",
     "Torch is not able to use GPU"),
    ("heldout_r8_issues/whisper_fp16_not_supported_on_cpu_userwarning_two_lines.log", False, "DLR-FW-CPU",
     "UserWarning: FP16 is not supported on CPU"),   # the warning, not the source line echoed under it
    ("heldout_r8_issues/deepspeed_ds_report_torch_import_oserror_libcublas_symbol_prompt_cut.log", False,
     "DLR-FW-MISSING-LIB", "libcublas.so.11"),
    ("heldout_r8_issues/pytorch_thc_cuda_runtime_error_35_driver_insufficient_one_line.log", False, "DLR-FW-NO-DRIVER",
     "CUDA driver version is insufficient"),
])
def test_round9_pastes_get_the_verdict_and_the_reason(rel, usable, code, words):
    result = _real(rel)
    assert result["kind"] == "framework-log" and result["framework"] == "pytorch"
    assert result["gpu_usable"] is usable
    first = result["findings"][0]
    assert first["code"] == code and words in first["message"], first


def test_collect_env_tables_of_detectron2_and_openmmlab():
    mmdet = _real("heldout_r8_issues/mmdet_collect_env_2x_v100_pcie_32gb_torch_1.6_cudnn_7.6.4_cut.log")
    assert [g["name"] for g in mmdet["gpus"]] == ["Tesla V100-PCIE-32GB"] * 2
    assert (mmdet["cuda_version"], mmdet["cudnn_version"], mmdet["framework_version"]) == ("10.0", "7.6.4", "1.6.0")
    a100 = _real("heldout_r8_issues/detectron2_collect_env_a100_driver_515_cuda_home_invalid_cut.log")
    assert [(g["name"], g["compute_capability"]) for g in a100["gpus"]] == [("NVIDIA A100-PCIE-40GB", "8.0")]
    assert (a100["driver_version"], a100["framework_version"]) == ("515.65.01", "1.10.0")
    # the same rows without a sys.platform line are not a collect_env report
    assert framework_log.parse("GPU 0,1   Tesla K80\nCUDA available   True\n")["gpus"] == []


def test_ultralytics_banner_lines():
    parsed = framework_log.parse("YOLOv5 🚀 v7.0-72 Python-3.8.10 torch-1.13.1+cu117 CUDA:0 (Tesla V100-SXM2-16GB, 16160MiB)\n"
                                 "                                                    CUDA:1 (Tesla V100-SXM2-16GB, 16160MiB)\n")
    assert [(g["index"], g["name"]) for g in parsed["gpus"]] == [("0", "Tesla V100-SXM2-16GB"), ("1", "Tesla V100-SXM2-16GB")]
    assert parsed["cuda_version"] == "11.7" and parsed["framework"] == "pytorch"
    cpu = tool_outputs.read("Ultralytics YOLOv8.0.20 🚀 Python-3.10.9 torch-1.13.1 CPU\n", source="x")
    assert cpu["gpu_usable"] is False and cpu["findings"][0]["code"] == "DLR-FW-CPU"


def test_comfyui_device_line_needs_its_allocator_tail():
    assert [g["name"] for g in framework_log.parse(
        "pytorch version: 2.3.1+cu121\nDevice: cuda:0 NVIDIA GeForce RTX 3090 : cudaMallocAsync\n")["gpus"]] == \
        ["NVIDIA GeForce RTX 3090"]
    # a script's "Device: <name>" without ComfyUI's allocator names no GPU (a CPU is printed the same way)
    assert framework_log.parse("torch 2.4\nDevice: AMD Ryzen 9 5900HX with Radeon Graphics\n")["gpus"] == []


def test_the_framework_whose_lines_judge_the_gpu_is_named_first():
    text = ("2022-01-15 13:35:27.686400: I tensorflow/stream_executor/platform/default/dso_loader.cc:49] Successfully "
            "opened dynamic library libcudart.so.11.0\n"
            "W0115 13:36:04.032407 47367004878976 xla_bridge.py:248] No GPU/TPU found, falling back to CPU.\n")
    assert framework_log.parse(text)["frameworks"][0] == "jax"


# -- blind round 10 (tests/data/realworld/heldout_r9_frameworks/, sources in SOURCES.md) ---------------------------
@pytest.mark.parametrize("rel,usable,code,words", [
    ("heldout_r9_frameworks/easyocr_cuda_not_available_defaulting_to_cpu_downloading_models_trailing_space.log", False,
     "DLR-FW-CPU", "CUDA not available - defaulting to CPU"),
    ("heldout_r9_frameworks/diffusers_0.4.0_cli_env_wsl1_torch_1.12.1_cu116_gpu_false.log", False, "DLR-FW-CPU",
     "PyTorch version (GPU?): 1.12.1+cu116 (False)"),
    ("heldout_r9_frameworks/kohya_ss_v23.0.5_gui_startup_rtx4060_laptop_cudnn8905_windows.log", True, "DLR-FW-OK",
     "NVIDIA GeForce RTX 4060 Laptop GPU, compute capability 8.9, cuDNN 8905"),
    ("heldout_r9_frameworks/invokeai_6.14.0rc1_rtx5090_laptop_cudnn91900_console_wrapped_cut.log", True, "DLR-FW-OK",
     "NVIDIA GeForce RTX 5090 Laptop GPU, cuDNN 91900"),
    ("heldout_r9_frameworks/a1111_v1.6.0_sysinfo_json_torch_env_info_2.0.1_cu118_cuda_available_true_cut.log", True,
     "DLR-FW-OK", "Is CUDA available: True"),
    ("heldout_r9_frameworks/transpixeler_windows_cmd_tqdm_assertionerror_torch_not_compiled_with_cuda_cut.log", False,
     "DLR-FW-CPU-BUILD", "Torch not compiled with CUDA enabled"),   # the cut message completed from its raise
    ("heldout_r9_frameworks/textgen_webui_bat_torch_cuda_is_available_false_falling_back_to_cpu_mode.log", False,
     "DLR-FW-CPU", "the program says it falls back to the CPU"),    # not JAX's words
    ("heldout_r9_frameworks/ray_torchtrainer_deferredcudacallerror_redacted_paths_get_device_capability_cut.log", None,
     "DLR-FW-ERROR", "RayTaskError(DeferredCudaCallError)"),        # Ray: the exception first, its frames under it
])
def test_round10_pastes_get_the_verdict_and_the_reason(rel, usable, code, words):
    result = _real(rel)
    assert result["kind"] == "framework-log" and result["gpu_usable"] is usable
    first = result["findings"][0]
    assert first["code"] == code and words in first["message"], first


def test_a_crash_after_the_gpu_was_taken_is_a_fail_not_only_a_pass():
    result = _real("heldout_r9_frameworks/nerfstudio_tiny_cuda_nn_illegal_memory_access_terminate_chinese_core_dumped.log")
    assert [(f["code"], f["status"]) for f in result["findings"]] == [("DLR-FW-OK", "pass"), ("DLR-FW-ERROR", "fail")]
    assert "illegal memory access" in result["findings"][1]["message"]
    assert {p["name"] for p in result["errors_printed"]} == {"crash"}  # terminate, what(), 已放弃 (核心已转储)
    # an error about something else after the GPU was taken stays the PASS alone
    ok = tool_outputs.read("I tensorflow/core/common_runtime/gpu/gpu_device.cc:1] Created TensorFlow device (/device:GPU:0 "
                           "with 10 MB memory) -> physical GPU (device: 0, name: Tesla K80, pci bus id: 0000:00:1e.0)\n"
                           "Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n"
                           "ValueError: shapes (2,3) and (4,) not aligned\n", source="x")
    assert [f["code"] for f in ok["findings"]] == ["DLR-FW-OK"]


def test_collect_env_as_json_and_exceptions_named_by_their_cause():
    parsed = framework_log.parse('"Torch env info": {\n  "torch_version": "2.0.1+cu118",\n  "cuda_compiled_version": "11.8",\n'
                                 '  "cuda_runtime_version": "12.3.52\\r",\n  "is_cuda_available": "False",\n')
    assert (parsed["framework_version"], parsed["cuda_version"], parsed["cuda_toolkit"]) == ("2.0.1+cu118", "11.8", "12.3.52")
    assert frameworks.gpu_usable(parsed)[0] is False
    assert framework_log._exception_name("ray.exceptions.RayTaskError(DeferredCudaCallError)") == "DeferredCudaCallError"
    assert framework_log.parse("Exception: Open3D was not built with PyTorch support!\n"
                               "  File \"x.py\", line 1\n")["error"]["name"] == "Exception"
