"""Rules first needed in blind round 19 and in settling the corpus's labels (tests/data/realworld/heldout_r18_*).
Each rule has a case it must refuse; the real pastes are checked by test_realworld.py."""
from __future__ import annotations

from pytest_dlready.parsers import framework_log, log_banners


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
