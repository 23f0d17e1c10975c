"""macOS energy settings: automatic graphics switching and sleep, as NVIDIA's Mac guide asked.

Both are WARN, never FAIL: the MacBook seed's author turned both off and saw no
change in training speed — they matter for availability (a sleeping Mac stops
training, switching may power the discrete GPU down), not for throughput.
"""
from __future__ import annotations

import re
from typing import Any, List, Mapping

from .. import facts as F
from . import guard
from ..catalogue import define, fix_for
from ..results import Finding, passed, skip, warn

GPUSWITCH = define("DLR-MAC-GPUSWITCH", "automatic graphics switching is on",
                   "System Preferences > Energy Saver: untick 'Automatic graphics switching' (or: sudo pmset -a gpuswitch 1)")
SLEEP = define("DLR-MAC-SLEEP", "system sleep is enabled",
               "System Preferences > Energy Saver: computer sleep 'Never' while training (or: sudo pmset -a sleep 0)")


def parse_pmset(text: str) -> dict:
    """Key/value settings from `pmset -g` (tolerates headers and unknown lines)."""
    values = {}
    for line in (text or "").splitlines():
        match = re.match(r"^\s*([A-Za-z][A-Za-z0-9_ ]*?)\s{2,}(\S+)", line) or re.match(r"^\s*(\w+)\s+(\d+)\b", line)
        if match:
            values[match.group(1).strip()] = match.group(2)
    return values


@guard('macOS energy settings')
def check_energy(facts: Mapping[str, Any]) -> List[Finding]:
    if F.host_os(facts) != "macos":
        return [skip("macOS energy settings", "not a Mac")]
    rec = F.get(facts, "macos.pmset", {}) or {}
    if not rec or rec.get("returncode") not in (0, None) or not rec.get("stdout"):
        return [skip("macOS energy settings", "pmset -g gave no settings to read")]
    values = parse_pmset(rec.get("stdout", ""))
    findings = []
    if values.get("gpuswitch") == "2":
        findings.append(warn("macOS energy settings", "automatic graphics switching is on (gpuswitch 2): macOS may run on the integrated GPU and power the NVIDIA GPU down",
                             code=GPUSWITCH, fix=fix_for(GPUSWITCH), gpuswitch=values.get("gpuswitch")))
    sleep = values.get("sleep")
    if sleep and sleep.isdigit() and int(sleep) > 0:
        findings.append(warn("macOS energy settings", f"the Mac sleeps after {sleep} minute(s) idle: a long training run can be suspended",
                             code=SLEEP, fix=fix_for(SLEEP), sleep=sleep))
    if not findings:
        findings.append(passed("macOS energy settings", f"gpuswitch {values.get('gpuswitch', 'n/a')}, sleep {values.get('sleep', 'n/a')}"))
    return findings
