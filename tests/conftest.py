"""Shared test set-up: pytester for plugin tests, paths to recorded data."""
import os

import pytest

pytest_plugins = ["pytester"]

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

# One compile cache for the whole run: pytester gives every inner run its own HOME, and the
# native CUDA probe (probes/cuda_native.py) would otherwise rebuild itself with nvcc in each.
if not os.environ.get("DLREADY_CACHE_DIR"):
    import tempfile

    os.environ["DLREADY_CACHE_DIR"] = os.path.join(tempfile.gettempdir(), "pytest-dlready-tests-cache")


@pytest.fixture
def data_dir():
    return DATA


def judged(parsed):
    """A parser's fields plus the findings ``checks.tool_outputs`` draws from them (what `parse` prints)."""
    from pytest_dlready.checks import tool_outputs

    return dict(parsed, findings=[f.to_dict() for f in tool_outputs.findings(parsed)])


def load_facts(name):
    from pytest_dlready import facts

    return facts.load(os.path.join(DATA, "facts", name))
