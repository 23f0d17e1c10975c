"""Property tests: nothing in the device path raises on random, truncated or mutated input.

Everything here reads outside text or outside-shaped data (route JSON from child
processes, torch/TensorFlow build files, saved snapshots): the contract is findings and
``None``s, never an exception.
"""
from __future__ import annotations

import json
import os

from hypothesis import given, settings as hsettings, strategies as st

from pytest_dlready.checks import device_bandwidth as B, device_signals as S, devices as D
from pytest_dlready.probes import child, frameworks, nvml, devices as P, samples

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "tools")
JSONISH = st.recursive(st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=True) | st.text(max_size=12),
                       lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=10), c, max_size=5),
                       max_leaves=30)

#: real error texts each route printed on this VM or in the cited issues
REAL_ERRORS = [
    "NVML Shared Library Not Found", "CUDA driver version is insufficient for CUDA runtime version",
    "cudaErrorInsufficientDriver: CUDA driver version is insufficient for CUDA runtime version",
    "libcuda.so.1: cannot open shared object file: No such file or directory",
    "No module named 'cuda.pathfinder'", "clBuildProgram failed: BUILD_PROGRAM_FAILURE",
    "error: unknown target CPU 'generic'", "Failed to initialize NVML: Driver/library version mismatch",
]
TORCH_VERSION_PY = ("from typing import Optional\n\n__all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip', 'xpu']\n"
                    "__version__ = '2.13.0+cpu'\ndebug = False\ncuda: Optional[str] = None\n"
                    "git_version = 'abc'\nhip: Optional[str] = None\nxpu: Optional[str] = None\n")
TF_BUILD_INFO = ("build_info = collections.OrderedDict([('is_cuda_build', False), ('is_rocm_build', False), "
                 "('is_tensorrt_build', False)])\n")


def _mutate(data, text):
    cut = data.draw(st.integers(0, len(text)))
    pos = data.draw(st.integers(0, cut))
    return text[:pos] + data.draw(st.text(max_size=20)) + text[pos:cut]


@hsettings(max_examples=300, deadline=None)
@given(st.data())
def test_classify_error_total(data):
    text = _mutate(data, data.draw(st.sampled_from(REAL_ERRORS)))
    kind, meaning = D.classify_error(text)
    assert isinstance(kind, str) and isinstance(meaning, str)
    D.classify_error(data.draw(JSONISH))


def test_classify_error_real_texts():
    kinds = [D.classify_error(t)[0] for t in REAL_ERRORS]
    assert kinds == ["no-driver", "insufficient-driver", "insufficient-driver", "no-driver", "broken-install",
                     "kernel-build", "kernel-build", "version-mismatch"]


@hsettings(max_examples=200, deadline=None)
@given(st.data())
def test_build_file_readers_total(data):
    torch = frameworks.torch_build(_mutate(data, TORCH_VERSION_PY))
    assert set(torch) == {"version", "cuda", "hip", "xpu"}
    tf = frameworks.tensorflow_build(_mutate(data, TF_BUILD_INFO))
    assert set(tf) == {"is_cuda_build", "is_rocm_build", "cuda_version"}


def test_build_file_readers_real():
    assert frameworks.torch_build(TORCH_VERSION_PY) == {"version": "2.13.0+cpu", "cuda": None, "hip": None, "xpu": None}
    assert frameworks.torch_build("__version__ = '2.5.1+cu124'\ncuda = '12.4'\nhip = None\n")["cuda"] == "12.4"
    assert frameworks.tensorflow_build(TF_BUILD_INFO)["is_cuda_build"] is False
    assert frameworks.tensorflow_build("build_info = {'cuda_version': '12.3', 'is_cuda_build': True}")["is_cuda_build"] is True


@hsettings(max_examples=200, deadline=None)
@given(st.text(max_size=200), JSONISH)
def test_child_result_reader_total(text, obj):
    assert child.read_result(text) is None or isinstance(child.read_result(text), dict)
    line = child.MARKER + json.dumps(obj)
    got = child.read_result("noise\n" + line)
    assert isinstance(got, dict) == isinstance(obj, dict)


@given(st.integers(-5, 2**20) | st.none() | st.booleans())
def test_decode_throttle_total(mask):
    names = nvml.decode_throttle(mask)
    assert isinstance(names, list)
    if mask == 0x24:
        assert names == ["sw_power_cap", "sw_thermal_slowdown"]


def _checks(facts):
    out = D.check_presence(facts) + D.check_cuda_runtime(facts) + D.check_routes(facts) + D.check_samples(facts)
    out += D.check_compute_capability(facts) + D.check_opencl(facts)
    for index in (0, 1):
        out += B.check_bandwidth(facts, index, min_gbps=5.0) + S.all_signals(facts, index)
        out += B.check_opencl_bandwidth(facts, index)
    return out


@hsettings(max_examples=300, deadline=None)
@given(JSONISH, JSONISH, JSONISH, JSONISH, JSONISH)
def test_assemble_and_checks_total_on_random_routes(nv, probe, smi, fw, ocl):
    facts = {"cuda_probe": probe if isinstance(probe, dict) else {}}
    routes = {"nvml": nv if isinstance(nv, dict) else {}, "nvidia_smi": smi,
              "frameworks": fw if isinstance(fw, dict) else {}, "opencl": ocl if isinstance(ocl, dict) else {}}
    facts["devices"] = P.assemble(facts, routes)
    json.dumps(facts["devices"], default=str)
    _checks(facts)


@hsettings(max_examples=300, deadline=None)
@given(JSONISH)
def test_checks_total_on_random_snapshots(doc):
    facts = {"devices": doc, "cuda_probe": doc, "driver": doc} if isinstance(doc, dict) else {"devices": doc}
    for f in _checks(facts):
        assert f.status.value in ("pass", "warn", "fail", "skip")


@hsettings(max_examples=100, deadline=None)
@given(st.data())
def test_recorded_tool_texts_mutated_give_an_inventory(data):
    dq = open(os.path.join(TOOLS, "devicequery", "macos_gt750m_cuda5.5_indented_paste.txt")).read()
    bt = open(os.path.join(TOOLS, "bandwidthtest", "macos_gt750m_cuda5.5_mbs.txt")).read()
    section = samples.from_outputs(_mutate(data, dq), {"pinned": _mutate(data, bt)})
    facts = {}
    facts["devices"] = P.assemble(facts, {"samples": section})
    _checks(facts)
