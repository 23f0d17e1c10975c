"""Toolchain readiness: OS, Python/BLAS, compiler, CUDA toolkit, paths, driver, cuDNN, libraries.

Each test judges the session's facts snapshot with a pure check and hands the findings
to ``dl_check``, which records the rows and sets the outcome. A snapshot saved on a
Mac or a Windows box is judged here exactly as it would be there.
"""
import pytest

from pytest_dlready.checks import drivers, libraries, macos, outcomes, platform, toolchain
from pytest_dlready.facts import lookup


def test_operating_system(dl_facts, dl_check):
    dl_check(platform.check_os(dl_facts))


def test_python(dl_facts, dl_check):
    dl_check(outcomes.not_recorded("python", dl_facts, "python") or platform.check_python(dl_facts))


def test_numpy_blas(dl_facts, dl_check):
    dl_check(outcomes.not_recorded("numpy / CPU BLAS", dl_facts, "numpy") or platform.check_numpy_blas(dl_facts))


def test_environment_variables(dl_facts, dl_check):
    dl_check(outcomes.not_recorded("environment variables", dl_facts, "env") or platform.check_environment(dl_facts))


def test_compiler(dl_facts, dl_check):
    dl_check(outcomes.not_recorded("C/C++ compiler", dl_facts, "compiler") or toolchain.check_compiler(dl_facts))


def test_cuda_toolkit(dl_facts, dl_check):
    dl_check(outcomes.not_recorded("CUDA toolkit", dl_facts, "cuda") or toolchain.check_toolkit(dl_facts))


def test_cuda_paths(dl_facts, dl_check):
    dl_check(outcomes.not_recorded("CUDA paths", dl_facts, "cuda", "env") or toolchain.check_paths(dl_facts))


def test_nvidia_driver(dl_facts, dl_check):
    # not probed in this snapshot: a recorded GPU run that reached the device is evidence, else unknown
    dl_check(drivers.check_drivers(dl_facts) if lookup(dl_facts, "driver") is not None
             else outcomes.driver_evidence(dl_facts) or outcomes.not_recorded("NVIDIA driver", dl_facts, "driver"))


def test_gpu_architecture_support(dl_facts, dl_check):
    dl_check(outcomes.not_recorded("GPU architecture support", dl_facts, "cuda", "devices.gpus") or toolchain.check_compute_capability(dl_facts))


def test_cudnn(dl_facts, dl_check):
    dl_check(outcomes.not_recorded("cuDNN", dl_facts, "cudnn", "libraries") or libraries.check_cudnn(dl_facts))


def test_shadowed_cuda_libraries(dl_facts, dl_check):
    dl_check(outcomes.not_recorded("shadowed CUDA libraries", dl_facts, "libraries") or libraries.check_shadowing(dl_facts))


@pytest.mark.os("macos")
def test_macos_energy_settings(dl_facts, dl_check):
    dl_check(macos.check_energy(dl_facts))
