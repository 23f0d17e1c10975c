"""Fixtures of the device suite: one test per GPU and per OpenCL device, from the facts.

``dl_gpu_index`` parametrises a test over ``devices.gpus`` (ids ``GPU0``, ``GPU1``...);
with no GPU it has a single ``no-gpu`` case whose value is ``None`` so the test can
record the reason (a skip with ``needs_gpu``, a failure under ``--dlready-require-gpu``)
instead of silently vanishing. ``dl_opencl_index`` does the same for
``devices.accelerators``. Parametrisation reads the session's snapshot, so a loaded
``--dlready-facts`` file yields the GPUs of the machine it was recorded on.
"""
from __future__ import annotations

from typing import Any, List, Mapping

import pytest


def _indexes(facts: Mapping[str, Any], key: str) -> List[Any]:
    from . import facts as F

    items = F.get(facts, key, []) or []
    return [i.get("index") for i in items if isinstance(i, Mapping) and i.get("index") is not None]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``dl_gpu_index`` / ``dl_opencl_index`` over the devices in the snapshot."""
    wanted = [name for name in ("dl_gpu_index", "dl_opencl_index") if name in metafunc.fixturenames]
    if not wanted:
        return
    from .plugin import get_facts

    facts = get_facts(metafunc.config)
    for name in wanted:
        if name == "dl_gpu_index":
            values, prefix, empty = _indexes(facts, "devices.gpus"), "GPU", "no-gpu"
        else:
            values, prefix, empty = _indexes(facts, "devices.accelerators"), "OpenCL", "no-opencl"
        if values:
            metafunc.parametrize(name, values, ids=[f"{prefix}{v}" for v in values], scope="function")
        else:
            metafunc.parametrize(name, [None], ids=[empty], scope="function")


@pytest.fixture
def dl_gpu_index(request: pytest.FixtureRequest) -> Any:
    """Index of the GPU under test (``None`` when the snapshot has no GPU)."""
    return getattr(request, "param", None)


@pytest.fixture
def dl_opencl_index(request: pytest.FixtureRequest) -> Any:
    """Index of the OpenCL device under test (``None`` when there is none)."""
    return getattr(request, "param", None)
