"""macOS energy settings: automatic graphics switching and sleep, as NVIDIA's Mac guide asked.

Both are WARN, never FAIL: the MacBook seed's author turned both off and saw no
change in training speed — they matter for availability (a sleeping Mac stops
training, switching may power the discrete GPU down), not for throughput.
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping

from ..facts import lookup, host_os
from . import guard
from ..catalogue import define, fix_for
from ..results import Finding, passed, skip, warn

GPUSWITCH = define("DLR-MAC-GPUSWITCH", "automatic graphics switching is on",
                   "System Preferences > Energy Saver: untick 'Automatic graphics switching' (or: sudo pmset -a gpuswitch 1)")
MAC_OK = define("DLR-MAC-OK", "macOS GPU evidence read", "")
SLEEP = define("DLR-MAC-SLEEP", "system sleep is enabled",
               "System Preferences > Energy Saver: computer sleep 'Never' while training (or: sudo pmset -a sleep 0)")


@guard("macOS energy settings")
def check_energy(facts: Mapping[str, Any]) -> List[Finding]:
    """Judge the recorded `pmset -g` with the same rules ``python -m pytest_dlready parse`` applies to a paste."""
    if host_os(facts) != "macos":
        return [skip("macOS energy settings", "not a Mac")]
    rec = lookup(facts, "macos.pmset", {}) or {}
    if not rec or rec.get("returncode") not in (0, None) or not rec.get("stdout"):
        return [skip("macOS energy settings", "pmset -g gave no settings to read")]
    from ..parsers.macos import PMSET

    return pmset_findings(PMSET.parse(str(rec.get("stdout", ""))))


def pmset_findings(parsed: Dict[str, Any]) -> List[Finding]:
    """The energy-settings rules, for a live ``pmset -g`` and a pasted one alike."""
    out: List[Finding] = []
    if parsed.get("gpuswitch") == 2:
        out.append(warn("macOS energy settings", "automatic graphics switching is on (gpuswitch 2): macOS may run on the integrated GPU and power the NVIDIA GPU down",
                        fix=fix_for(GPUSWITCH), code=GPUSWITCH, gpuswitch=2))
    sleep = parsed.get("sleep_minutes")
    if sleep:
        out.append(warn("macOS energy settings", f"the Mac sleeps after {sleep} minute(s) idle: a long training run can be suspended",
                        fix=fix_for(SLEEP), code=SLEEP, sleep=sleep))
    if not out:
        out.append(passed("macOS energy settings", f"gpuswitch {parsed.get('gpuswitch')}, sleep {sleep}", code=MAC_OK))
    return out
