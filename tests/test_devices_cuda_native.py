"""The native CUDA probe: real nvcc build, real run (error 35 here), cache, and its output parser."""
from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from pytest_dlready.probes import cuda_native as C
from pytest_dlready.probes import runner
from pytest_dlready.settings import Settings

NVCC = runner.which("nvcc")
needs_nvcc = pytest.mark.skipif(NVCC is None, reason="nvcc not on PATH; install the CUDA toolkit to test the native probe")

#: What the probe printed on this VM (CUDA 13.0 runtime, no NVIDIA driver), kept verbatim.
ERROR35 = """{
  "probe": "pytest-dlready cuda_probe", "schema": 1,
  "driver_version": 0, "runtime_version": 13000,
  "device_count": 0, "error": {"code": 35, "name": "cudaErrorInsufficientDriver", "message": "CUDA driver version is insufficient for CUDA runtime version", "call": "cudaGetDeviceCount"},
  "devices": [], "bandwidth": [], "links": []
}
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DLREADY_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@needs_nvcc
def test_real_build_run_and_cache(cache):
    facts = {"cuda": {"nvcc": {"path": NVCC}, "toolkit_version": "13.0"}}
    first = C.probe_native(facts, Settings())
    assert first["cached"] is False and first["build"]["returncode"] == 0
    assert os.path.dirname(first["binary"]) == str(cache)
    assert "cuda13.0" in os.path.basename(first["binary"])
    second = C.probe_native(facts, Settings())
    assert second["cached"] is True and second["build"] is None
    assert second["run"]["duration_s"] < 1.0
    if os.path.exists("/dev/nvidiactl"):
        pytest.skip("this machine has an NVIDIA driver; the error-35 expectations below are for driverless hosts")
    assert second["status"] == "cuda-error"
    assert second["error"]["code"] == 35
    assert second["error"]["name"] == "cudaErrorInsufficientDriver"
    assert second["error"]["message"] == "CUDA driver version is insufficient for CUDA runtime version"
    assert second["driver_version"] is None and second["runtime_version"] == "13.0"
    json.dumps(second)  # the section must be JSON-serialisable for snapshots


@needs_nvcc
def test_build_failure_is_recorded_with_log(cache, tmp_path):
    broken = tmp_path / "nvcc"
    broken.write_text("#!/bin/sh\necho 'nvcc fatal   : Unsupported gpu architecture' >&2\nexit 1\n")
    broken.chmod(0o755)
    section = C.probe_native({"cuda": {"nvcc": {"path": str(broken)}, "toolkit_version": "9.9"}}, Settings())
    assert section["status"] == "build-failed"
    assert "Unsupported gpu architecture" in section["reason"]
    assert os.path.isfile(section["build"]["log"])
    assert not [p for p in os.listdir(cache) if p.startswith(".cuda_probe-")]  # temp binary removed


def test_no_nvcc():
    section = C.probe_native({"cuda": {"nvcc": {"path": None}, "toolkit_version": None}}, Settings())
    assert section["status"] == "no-nvcc" and "nvcc not found" in section["reason"]


def test_interpret_error35_and_ok():
    out = C.interpret({"returncode": 2, "stdout": ERROR35, "stderr": "", "timed_out": False, "error": ""})
    assert out["status"] == "cuda-error" and out["error"]["code"] == 35
    ok_doc = json.loads(ERROR35)
    ok_doc.update(error=None, driver_version=12040, device_count=1,
                  devices=[{"index": 0, "name": "NVIDIA A100", "compute_capability": "8.0", "memory_mib": 40536}],
                  bandwidth=[{"device": 0, "direction": "h2d", "memory": "pinned", "gbps": 24.9}])
    out = C.interpret({"returncode": 0, "stdout": json.dumps(ok_doc), "timed_out": False, "error": ""})
    assert out["status"] == "ok" and out["driver_version"] == "12.4" and out["devices"][0]["name"] == "NVIDIA A100"


def test_interpret_timeout_and_garbage():
    assert C.interpret({"timed_out": True, "error": "timed out after 20 s"})["status"] == "run-failed"
    out = C.interpret({"returncode": -11, "stdout": "Segmentation fault", "error": ""})
    assert out["status"] == "run-failed" and "not JSON" in out["reason"]


def test_version_text():
    assert C.version_text(13000) == "13.0" and C.version_text(12050) == "12.5" and C.version_text(6050) == "6.5"
    assert C.version_text(0) is None and C.version_text("x") is None and C.version_text(True) is None


@hsettings(max_examples=200, deadline=None)
@given(st.data())
def test_interpret_never_raises_on_mutated_output(data):
    text = ERROR35
    cut = data.draw(st.integers(0, len(text)))
    junk = data.draw(st.text(max_size=40))
    pos = data.draw(st.integers(0, cut))
    mutated = text[:pos] + junk + text[pos:cut]
    out = C.interpret({"returncode": data.draw(st.one_of(st.none(), st.integers(-20, 300))), "stdout": mutated,
                       "timed_out": False, "error": ""})
    assert out["status"] in ("ok", "cuda-error", "run-failed")
    json.dumps(out)


@hsettings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=4)))
def test_interpret_never_raises_on_any_json(doc):
    if isinstance(doc, dict):
        doc = dict(doc, probe="pytest-dlready cuda_probe")
    out = C.interpret({"returncode": 0, "stdout": json.dumps(doc), "error": ""})
    assert out["status"] in ("ok", "cuda-error", "run-failed")


PLANTED = """#!/bin/sh
cat <<'DOC'
{"probe": "pytest-dlready cuda_probe", "schema": 1, "driver_version": 12080, "runtime_version": 12080,
 "device_count": 1, "devices": [{"index": 0, "name": "H100 (planted)", "compute_capability": "9.0"}],
 "bandwidth": [], "links": []}
DOC
"""


@needs_nvcc
@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX modes")
def test_a_probe_planted_in_a_shared_cache_is_never_run(cache):
    """Another user's (or a world-writable) cache folder: the predictable binary name is not trusted."""
    facts = {"cuda": {"nvcc": {"path": NVCC}, "toolkit_version": "13.0"}}
    cache.mkdir()
    os.chmod(cache, 0o777)  # a shared DLREADY_CACHE_DIR anyone can write
    planted = C.binary_path(NVCC, "13.0")
    with open(planted, "w") as fh:
        fh.write(PLANTED)
    os.chmod(planted, 0o755)
    result = C.probe_native(facts, Settings())
    names = [d.get("name") for d in result.get("devices") or []]
    assert "H100 (planted)" not in names, result
    assert result["cached"] is False and result["binary"] != planted
    assert "writable by others" in result["build"]["cache_refused"]
    os.chmod(cache, 0o755)
    os.chmod(planted, 0o777)  # a trusted folder, but a binary anyone may rewrite
    result = C.probe_native(facts, Settings())
    assert "H100 (planted)" not in [d.get("name") for d in result.get("devices") or []]
