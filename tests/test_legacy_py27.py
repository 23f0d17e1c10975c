"""Every script that runs inside a Python 2.7 legacy environment compiles with Python 2.7.

The DBN workload runs under gnumpy, which is Python 2 only, and loads its siblings
(script_io.py, data.py) by path; one f-string in any of them breaks the legacy row on a
user's machine, so they are compiled with the real 2.7 interpreter (pyenv's, or the one
the py27-dbn environment was built from), without writing .pyc files into the package.
"""
from __future__ import annotations

import glob
import importlib.machinery
import importlib.util
import os
import subprocess

import pytest

from pytest_dlready.workloads import legacy
from pytest_dlready.probes.runner import run

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKLOADS = os.path.join(REPO, "pytest_dlready", "workloads", "scripts")

#: Scripts executed by a 2.7 interpreter (dbn_legacy and what it loads), plus the legacy
#: Keras/Theano scripts, kept 2.7-compatible so they also run in a Python 2.7 Keras env.
PY27_SCRIPTS = ["dbn_legacy.py", "script_io.py", "data.py", "theano_elemwise.py", "mnist_cnn_keras2.py"]

COMPILE = "import sys\nfor p in sys.argv[1:]:\n    compile(open(p).read(), p, 'exec')\nprint('ok %d' % (len(sys.argv) - 1))\n"


def python27():
    env = legacy.find_env("py27-dbn")
    if env is not None:
        return env["python"]
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/2.7.*/bin/python2.7")))
    return found[-1] if found else None


PY27 = python27()
needs_py27 = pytest.mark.skipif(PY27 is None, reason="no Python 2.7 interpreter; pyenv install 2.7.18")


@needs_py27
@pytest.mark.parametrize("name", PY27_SCRIPTS)
def test_script_compiles_with_python27(name):
    path = os.path.join(WORKLOADS, name)
    assert os.path.exists(path), "%s is missing from the workload scripts" % path
    rec = run([PY27, "-B", "-c", COMPILE, path], timeout=60)
    assert rec.ok, rec.stderr or rec.error
    assert rec.stdout.strip() == "ok 1"


@needs_py27
def test_builders_verify_snippet_compiles_with_python27():
    loader = importlib.machinery.SourceFileLoader("mle", os.path.join(REPO, "scripts", "make-legacy-envs"))
    spec = importlib.util.spec_from_loader("mle", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    rec = run([PY27, "-B", "-c", "compile(%r, 'verify', 'exec'); print('ok')" % module.VERIFY_SNIPPET], timeout=60)
    assert rec.ok and rec.stdout.strip() == "ok", rec.stderr


@needs_py27
def test_the_check_catches_python3_only_syntax(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("x = 1\nprint(f'{x}')\n")
    rec = run([PY27, "-B", "-c", COMPILE, str(bad)], timeout=60)
    assert not rec.ok and "SyntaxError" in rec.stderr
