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
