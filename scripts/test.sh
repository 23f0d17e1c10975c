#!/usr/bin/env bash
# Everything the project's own tests need on a fresh Debian/Ubuntu machine, then the tests.
#
#   bash scripts/test.sh            # set-up (idempotent: seconds when done before) + the whole test suite
#   bash scripts/test.sh -k parser  # extra arguments go to pytest
#
# Steps: PoCL (a real OpenCL CPU device, the accelerator stand-in) when apt is usable;
# the package with its test extras and the modern backends; the legacy Python 2.7/3.6/3.7
# environments (scripts/make-legacy-envs, skipped with a reason where pyenv's interpreters
# are missing); then pytest. pytest's own exit code is returned (5 = no tests ran is a failure).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"

step() { printf '\n== %s ==\n' "$*"; }

step "system packages: PoCL (a real OpenCL CPU device, the accelerator stand-in), OpenMPI (CNTK 2.7)"
missing=()
ldconfig -p 2>/dev/null | grep -q 'libpocl' || missing+=(pocl-opencl-icd ocl-icd-libopencl1)
ldconfig -p 2>/dev/null | grep -q 'libmpi_cxx.so.40' || missing+=(libopenmpi3)
if [ ${#missing[@]} -eq 0 ]; then
    echo "already installed"
elif command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    echo "installed ${missing[*]}"
else
    echo "note: cannot install ${missing[*]} here (needs root and apt-get); the tests that need them skip with that reason"
fi

step "pytest-dlready with test extras and backends"
# PyPI's torch is the CUDA build (~3 GB of nvidia-* wheels); where a CPU wheel lies on disk, take it first.
cpu_torch=$(ls /opt/wheels/torch-*+cpu-*.whl 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$cpu_torch" ] && ! "$PY" -c 'import torch' >/dev/null 2>&1; then
    "$PY" -m pip install -q "$cpu_torch"
fi
"$PY" -m pip install -q -e '.[test,opencl,nvml,cuda-python,keras-tf,keras-jax,keras-torch]'

step "legacy environments (Python 2.7 gnumpy/nolearn, 3.6 CNTK, 3.7 Keras 2 + Theano)"
"$PY" scripts/make-legacy-envs

step "tests"
exec "$PY" -m pytest tests -p no:cacheprovider "$@"
