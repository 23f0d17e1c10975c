"""macOS energy settings: automatic graphics switching and sleep, as NVIDIA's Mac guide asked.

Both are WARN, never FAIL: the MacBook seed's author turned both off and saw no
change in training speed — they matter for availability (a sleeping Mac stops
training, switching may power the discrete GPU down), not for throughput.
"""
from __future__ import annotations

from typing import Any, List, Mapping

from .. import facts as F
from . import guard
from ..catalogue import define
from ..results import Finding, skip

GPUSWITCH = define("DLR-MAC-GPUSWITCH", "automatic graphics switching is on",
                   "System Preferences > Energy Saver: untick 'Automatic graphics switching' (or: sudo pmset -a gpuswitch 1)")
SLEEP = define("DLR-MAC-SLEEP", "system sleep is enabled",
               "System Preferences > Energy Saver: computer sleep 'Never' while training (or: sudo pmset -a sleep 0)")


@guard("macOS energy settings")
def check_energy(facts: Mapping[str, Any]) -> List[Finding]:
    """Judge the recorded `pmset -g` with the same rules ``python -m pytest_dlready parse`` applies to a paste."""
    if F.host_os(facts) != "macos":
        return [skip("macOS energy settings", "not a Mac")]
    rec = F.get(facts, "macos.pmset", {}) or {}
    if not rec or rec.get("returncode") not in (0, None) or not rec.get("stdout"):
        return [skip("macOS energy settings", "pmset -g gave no settings to read")]
    from ..parsers.macos import PMSET

    parsed = PMSET.parse(str(rec.get("stdout", "")))
    return [Finding.from_dict(d) for d in parsed.get("findings", [])] or [skip("macOS energy settings", "pmset -g gave no settings to read")]
