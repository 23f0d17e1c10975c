"""Hypothesis: random text, truncations at every line and line mutations of real outputs never raise.

The parsers are called unguarded (``_parse``) so an exception fails here instead of being
turned into a DLR-PARSE-INTERNAL finding. Each run must return a dict with ``kind``, and
``checks.tool_outputs`` must judge it into a list of finding dicts.
"""
from __future__ import annotations

import glob
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import judged
from pytest_dlready.parsers import bandwidthtest, devicequery, framework_log, identify, logs, macos, nvcc, nvidia_smi

DATA = os.path.join(os.path.dirname(__file__), "data", "tools")
REALWORLD = os.path.join(os.path.dirname(DATA), "realworld")
FILES = sorted(glob.glob(os.path.join(DATA, "*", "*.txt")) + [
    f for f in glob.glob(os.path.join(REALWORLD, "*", "*")) if not f.endswith((".md", ".json"))])
TEXTS = []
for _path in FILES:
    with open(_path, "rb") as _handle:
        TEXTS.append(_handle.read().decode("utf-8", errors="replace"))
RAW = [devicequery._parse, bandwidthtest._parse, nvidia_smi._parse, nvcc._parse,
       macos._parse_kextstat, macos._parse_system_profiler, macos._parse_pmset, framework_log._parse, lambda text: logs._parse(text, "the log")]
DETECTORS = [devicequery.detect, bandwidthtest.detect, nvidia_smi.detect, nvcc.detect, macos.detect,
             framework_log.detect, logs.detect]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(result):
    assert isinstance(result, dict) and isinstance(result["kind"], str)
    result = judged(result)  # judging what was read never raises either
    assert isinstance(result["findings"], list)
    for finding in result["findings"]:
        assert {"check", "status", "code", "message", "fix", "observed"} <= set(finding)
        assert finding["status"] in ("pass", "warn", "fail", "skip")


def run_all(text):
    for parse in RAW:
        check(parse(text))
    for detect in DETECTORS:
        assert 0.0 <= detect(text) <= 1.0
    check(identify.parse_any(text))


@pytest.mark.parametrize("index", range(len(TEXTS)), ids=[os.path.relpath(p, os.path.dirname(DATA)) for p in FILES])
def test_truncation_at_every_line(index):
    lines = TEXTS[index].splitlines(keepends=True)
    for cut in range(len(lines) + 1):
        text = "".join(lines[:cut])
        for parse in RAW:
            check(parse(text))
        # and mid-line: the last kept line cut in half
        if cut:
            check(devicequery._parse(text[: len(text) - len(lines[cut - 1]) // 2]))


MUTATIONS = st.sampled_from(["crlf", "ansi", "tabs", "dup", "drop", "indent", "upper", "nul", "prefix"])


def mutate(text: str, ops, picks) -> str:
    lines = text.splitlines()
    for op, pick in zip(ops, picks):
        if not lines:
            break
        i = pick % len(lines)
        if op == "crlf":
            lines[i] += "\r"
        elif op == "ansi":
            lines[i] = "\x1b[1;32m" + lines[i] + "\x1b[0m"
        elif op == "tabs":
            lines[i] = lines[i].replace("  ", "\t")
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "drop":
            del lines[i]
        elif op == "indent":
            lines[i] = "    " + lines[i]
        elif op == "upper":
            lines[i] = lines[i].upper()
        elif op == "nul":
            lines[i] = lines[i][: len(lines[i]) // 2] + "\x00" + lines[i][len(lines[i]) // 2:]
        elif op == "prefix":
            lines[i] = "> " + lines[i]
    return "\n".join(lines)


@SETTINGS
@given(st.sampled_from(TEXTS), st.lists(MUTATIONS, max_size=12), st.lists(st.integers(0, 10_000), min_size=12, max_size=12))
def test_mutated_real_outputs(text, ops, picks):
    run_all(mutate(text, ops, picks))


@SETTINGS
@given(st.text(max_size=3000))
def test_random_text(text):
    run_all(text)


LINE_BITS = st.sampled_from([
    "Result = PASS", "Result = FAIL", "Result = ", 'Device 0: ""', "Detected 99999999999999999999 CUDA Capable device(s)",
    "  CUDA Capability Major/Minor version number:    12.", "  (  ) Multiprocessors, ( ) CUDA Cores/MP:  x CUDA Cores",
    "cudaGetDeviceCount returned", "-> ", "   32000000\t\t\t", " Transfer Size (Bytes)\tBandwidth(GB/s)",
    "bandwidthTest-H2D-Pinned, Bandwidth = 1e999 GB/s", "GPU 00000000:01:00.0", "    PCI", "        Bus Id : ",
    "|   0  X  On | 0000:01:00.0 Off | N/A |", "| N/A 30C P0 N/A / N/A | 1MiB / 0MiB | 0% Default |",
    "name, memory.total [MiB]", "x, 1 MiB", "Graphics/Displays:", "    Y:", "      VRAM (Total): 9999999 GB",
    "Currently in use:", " sleep   x", "  1 0 0x0 0x0 0x0 com.nvidia.CUDA (", "Cuda compilation tools, release 1.2, V",
    "deviceQuery, CUDA Driver = CUDART, NumDevs = x, = , ,", "> Peer access from  (GPU) ->  (GPU) : ",
    # framework start-up lines, whole and broken
    "Found device 0 with properties:", "name: ", "major: 99999999999999999999 minor: ", "pciBusID: 0000:01:00.0 name: x",
    "Ignoring visible gpu device (device: 0, name: , pci bus id: ) with Cuda c", "ompute capability . The minimum",
    "Could not load dynamic library ''; dlerror:", "Couldn't open CUDA library .", ": cannot open shared object file",
    " with CUDA capability sm_ is not compatible with the current PyTorch installation.",
    "The current PyTorch install supports CUDA capabilities sm_", "Found GPU0  which is of cuda capability .",
    "PyTorch no longer supports this GPU because it is too old.", "Is CUDA available: Yes", "Is CUDA available: True",
    "GPU models and configuration:", "GPU 0: ", "cuDNN version: Probably one of the following:", "libcudnn.so.",
    "CUDA used to build PyTorch: 99.9", "Nvidia driver version: 1", ">>> torch.cuda.is_available()", "False",
    "tf.config.list_physical_devices('GPU')", "[]", "Num GPUs Available:  0", "[CpuDevice(id=0)]", "[CudaDevice(id=0)]",
    "jax.devices (1 total, 1 local): [GpuDevice(id=0, process_index=0)]", "jaxlib: 0", "failed call to cuInit: CUDA_ERROR_",
    "Created device /job:localhost/replica:0/task:0/device:GPU:0 with 1 MB memory:  -> device: 0, name: (",
    "Traceback (most recent call last):", "ImportError: libcudart.so.1: cannot open shared object file",
    "Using gpu device 0: (CNMeM is enabled, cuDNN )", "Mapped name None to device cuda0: ", "Selected CPU as the process wide default device.",
    "gnumpy: failed to import cudamat. Using npmat instead. No GPU will be used.",
])


@SETTINGS
@given(st.lists(st.one_of(LINE_BITS, st.text(max_size=40)), max_size=60))
def test_shuffled_fragments(parts):
    run_all("\n".join(parts))


def test_bytes_and_non_str_inputs():
    for value in (b"\xff\xfe\x00garbage", None, 12345, b"Result = PASS"):
        for parse in (devicequery.parse, bandwidthtest.parse, nvidia_smi.parse, nvcc.parse, macos.parse, framework_log.parse):
            check(parse(value))
        check(identify.parse_any(value))


def test_one_megabyte_random_file_parses_fast():
    import random
    rng = random.Random(1234)
    alphabet = "abcdefghij  :()/,.=|-0123456789\t\nResultDevice"
    text = "".join(rng.choice(alphabet) for _ in range(1_000_000))
    start = time.perf_counter()
    check(identify.parse_any(text))
    for parse in RAW:
        check(parse(text))
    # all seven parsers + identification: well under a second each on the 2-core CI VM
    assert time.perf_counter() - start < 8.0


#: the cells of logged tables (Chainer's PrintReport, nolearn, fairseq, fastai, nvidia-smi): a regex
#: whose separators and cells can overlap splits such a row exponentially many ways
TABLE_CELLS = st.sampled_from(["1", "356", "31.2785", "main/loss", "validation/main/mae", "elapsed_time", "epoch",
                               "nan", "-", "12.5s", "0.5%", "|", "||", "MiB", "N/A", "0:00:01", "Epoch", "1/10"])
TABLE_GAPS = st.one_of(st.integers(1, 14).map(lambda n: " " * n), st.sampled_from(["\t", " | ", "|", "  |  "]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 9999), st.lists(st.tuples(TABLE_GAPS, TABLE_CELLS), min_size=8, max_size=40), st.integers(1, 4),
       st.sampled_from(["", " ", "114.618s", "114.618 "]))
def test_table_rows_parse_in_linear_time(first, cells, rows, end):
    """Blind round 9: one 438-byte Chainer report row held a parser for > 30 min (backtracking)."""
    row = str(first) + "".join(gap + cell for gap, cell in cells) + end
    text = "epoch  train loss  valid loss  dur\n" + (row + "\n") * rows
    start = time.process_time()
    check(identify.parse_any(text))
    for parse in RAW:
        check(parse(text))
    assert time.process_time() - start < 3.0, row  # ~10 ms normally; a backtracking pattern takes minutes


def test_chainer_print_report_row_is_read_in_milliseconds():
    path = os.path.join(REALWORLD, "heldout_r8_train", "chainer_printreport_one_row_elapsed_time_wrapped.log")
    start = time.process_time()
    check(identify.parse_any(open(path, encoding="utf-8").read()))
    assert time.process_time() - start < 3.0
