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
