"""macOS-only facts: energy settings and the graphics hardware as the system reports it.

NVIDIA's CUDA getting-started guide for the Mac asked users to untick automatic
graphics switching and to never sleep; ``pmset -g`` shows both (``gpuswitch``,
``sleep``). ``system_profiler SPDisplaysDataType`` names the GPU even when CUDA cannot.
"""
from __future__ import annotations

import sys
from typing import Any, Dict

from . import runner


def probe(facts: Dict[str, Any], settings: Any) -> None:
    if sys.platform != "darwin":
        return
    timeout = getattr(settings, "probe_timeout", 20.0)
    section: Dict[str, Any] = {}
    pmset = runner.which("pmset") or "/usr/bin/pmset"
    section["pmset"] = runner.run([pmset, "-g"], timeout=timeout).to_dict()
    profiler = runner.which("system_profiler") or "/usr/sbin/system_profiler"
    section["system_profiler"] = runner.run([profiler, "SPDisplaysDataType"], timeout=timeout).to_dict()
    facts["macos"] = section
