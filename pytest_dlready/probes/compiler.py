"""C/C++ compilers: what nvcc, Theano and CUDAMat's Makefile will call.

On Windows the compiler is ``cl.exe`` and it only works with ``INCLUDE``/``LIB`` set
(the Windows seed's ``corecrt.h`` / ``kernel32.lib`` errors); those variables come from
the ``env`` section, so here we only find the binaries and ask their versions.
"""
from __future__ import annotations

from typing import Any, Dict

from . import runner

CANDIDATES = {
    "gcc": ["gcc", "--version"],
    "g++": ["g++", "--version"],
    "clang": ["clang", "--version"],
    "cc": ["cc", "--version"],
}


def probe(facts: Dict[str, Any], settings: Any) -> None:
    timeout = getattr(settings, "probe_timeout", 20.0)
    found: Dict[str, Any] = {}
    for name, argv in CANDIDATES.items():
        path = runner.which(argv[0])
        if not path:
            continue
        rec = runner.run([path] + argv[1:], timeout=timeout)
        found[name] = {"path": path, "record": rec.to_dict()}
    cl = runner.which("cl") or runner.which("cl.exe")
    if cl:
        # cl prints its banner on stderr and exits non-zero without arguments.
        rec = runner.run([cl], timeout=timeout)
        found["cl"] = {"path": cl, "record": rec.to_dict()}
    xcrun = runner.which("xcode-select")
    if xcrun:
        found["xcode-select"] = {"path": xcrun, "record": runner.run([xcrun, "-p"], timeout=timeout).to_dict()}
    facts["compiler"] = found
