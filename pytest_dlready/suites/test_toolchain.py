"""Toolchain readiness: OS, Python/BLAS, compiler, CUDA toolkit, paths, driver, cuDNN, libraries.

Each test judges the session's facts snapshot with a pure check and hands the findings
to ``dl_check``, which records the rows and sets the outcome. A snapshot saved on a
Mac or a Windows box is judged here exactly as it would be there.
"""
import pytest

from pytest_dlready.checks import drivers, libraries, macos, platform, toolchain


def test_operating_system(dl_facts, dl_check):
    dl_check(platform.check_os(dl_facts))


def test_python(dl_facts, dl_check):
    dl_check(platform.check_python(dl_facts))


def test_numpy_blas(dl_facts, dl_check):
    dl_check(platform.check_numpy_blas(dl_facts))


def test_environment_variables(dl_facts, dl_check):
    dl_check(platform.check_environment(dl_facts))


def test_compiler(dl_facts, dl_check):
    dl_check(toolchain.check_compiler(dl_facts))


def test_cuda_toolkit(dl_facts, dl_check):
    dl_check(toolchain.check_toolkit(dl_facts))


def test_cuda_paths(dl_facts, dl_check):
    dl_check(toolchain.check_paths(dl_facts))


def test_nvidia_driver(dl_facts, dl_check):
    dl_check(drivers.check_drivers(dl_facts))


def test_gpu_architecture_support(dl_facts, dl_check):
    dl_check(toolchain.check_compute_capability(dl_facts))


def test_cudnn(dl_facts, dl_check):
    dl_check(libraries.check_cudnn(dl_facts))


def test_shadowed_cuda_libraries(dl_facts, dl_check):
    dl_check(libraries.check_shadowing(dl_facts))


@pytest.mark.os("macos")
def test_macos_energy_settings(dl_facts, dl_check):
    dl_check(macos.check_energy(dl_facts))
