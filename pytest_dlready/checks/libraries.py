"""cuDNN versions and shadowed CUDA libraries (two copies on the search path: first one wins)."""
from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..facts import lookup
from . import guard
from ..catalogue import define, fix_for
from ..results import Finding, fail, passed, skip, warn

CUDNN_MISSING = define("DLR-CUDNN-MISSING", "no cuDNN found",
                       "install cuDNN for your CUDA version (Theano/CNTK/source builds need it; pip wheels of torch/TF ship their own)")
CUDNN_MIXED = define("DLR-CUDNN-MIXED", "cuDNN header and library versions differ",
                     "install matching cuDNN header and library (one cuDNN archive into one folder), and clear Theano's compile cache")
SHADOWED = define("DLR-LIB-SHADOWED", "two copies of a CUDA library on the search path",
                  "remove or move the first copies out of the search path (or reorder PATH/LD_LIBRARY_PATH) so the toolkit's copy loads; pytest-dlready never moves files")

FAMILY = re.compile(
    r"^(?:lib)?(?P<family>cudart|cublasLt|cublas|cudnn(?:_[a-z_]+)?|curand|cufft|cusparse|cusolver|nvrtc)"
    r"(?P<rest>.*)$", re.IGNORECASE)


def parse_library_name(name: str) -> Optional[Tuple[str, str]]:
    """('cudart', '8.0') from cudart64_80.dll; ('cudnn', '9.1.0') from libcudnn.so.9.1.0; None if not a CUDA library."""
    match = FAMILY.match(name)
    if not match:
        return None
    family = match.group("family").lower()
    if family.startswith("cudnn_"):
        return None  # cudnn's sub-libraries (cudnn_ops_infer...) travel with libcudnn itself
    rest = match.group("rest")
    version = ""
    m = re.match(r"^64_(\d+)(?:_(\d+))?\.dll$", rest, re.IGNORECASE)  # cudart64_80.dll, cudnn64_5.dll, cublas64_12.dll
    if m:
        digits = m.group(1)
        if family == "cudnn" or len(digits) <= 2 and family not in ("cudart", "curand", "cusparse", "cufft", "cublas", "nvrtc"):
            version = digits
        elif len(digits) >= 2 and digits.endswith("0") and len(digits) <= 3:
            version = f"{digits[:-1]}.{digits[-1]}"  # 80 -> 8.0, 101 handled below
        else:
            version = digits
        if len(digits) == 3:
            version = f"{digits[:2]}.{digits[2]}"  # 101 -> 10.1 (CUDA 10.x DLL naming)
    else:
        m = re.match(r"^\.so((?:\.\d+)*)$", rest) or re.match(r"^((?:\.\d+)*)\.dylib$", rest)
        if m:
            version = m.group(1).lstrip(".")
        else:
            return None
    return family, version


def _compatible(a: str, b: str) -> bool:
    """'5' and '5.1.10' may be the same library; '5.0.5' and '5.1.10' are not."""
    if not a or not b:
        return True
    pa, pb = a.split("."), b.split(".")
    n = min(len(pa), len(pb))
    return pa[:n] == pb[:n]


def _files(facts: Mapping[str, Any]) -> List[Mapping[str, Any]]:
    return [f for f in (lookup(facts, "libraries.files", []) or []) if isinstance(f, Mapping)]


@guard('shadowed CUDA libraries')
def check_shadowing(facts: Mapping[str, Any]) -> List[Finding]:
    search = lookup(facts, "libraries.search_path", []) or []
    rpath_only = {i for i, d in enumerate(search) if "rpath" in str(d.get("source", ""))}
    by_family: Dict[str, "OrderedDict[int, List[Tuple[str, str, Any]]]"] = {}
    for f in sorted(_files(facts), key=lambda f: f.get("dir_index", 0)):
        parsed = parse_library_name(str(f.get("name", "")))
        if not parsed:
            continue
        family, version = parsed
        index = int(f.get("dir_index", 0))
        # the DLL's version resource beats the name: cudnn64_5.dll is 5.0.5 in one folder, 5.1.10 in another
        version = str(f.get("file_version") or version)
        by_family.setdefault(family, OrderedDict()).setdefault(index, []).append((f["name"], version, f.get("size")))
    if not by_family:
        return [skip("shadowed CUDA libraries", "no CUDA runtime libraries found on the loader's search path")]
    findings = []
    for family, dirs in by_family.items():
        loader_dirs = [i for i in dirs if i not in rpath_only]
        if len(loader_dirs) < 2:
            continue
        first, rest = loader_dirs[0], loader_dirs[1:]

        def best(entries: List[Tuple[str, str, Any]]) -> Tuple[str, str, Any]:
            real = [e for e in entries if e[1]]
            return max(real or entries, key=lambda e: len(e[1]))

        name0, ver0, size0 = best(dirs[first])
        dir0 = search[first]["dir"] if first < len(search) else "?"
        differing = []
        for idx in rest:
            name1, ver1, size1 = best(dirs[idx])
            dir1 = search[idx]["dir"] if idx < len(search) else "?"
            different_build = (name0 == name1 and size0 and size1 and size0 != size1)
            if not _compatible(ver0, ver1) or different_build:
                why = f"{name1} {ver1}".strip() + (f", {size1:,} bytes vs {size0:,}" if different_build else "")
                differing.append(f"{dir1} ({why})")
        order = [f"{search[i]['dir']} [{search[i].get('source', '')}]" for i in loader_dirs if i < len(search)]
        if differing:
            findings.append(fail(
                "shadowed CUDA libraries",
                f"{family}: {name0} {ver0} in {dir0} loads first and shadows " + "; ".join(differing),
                code=SHADOWED, fix=fix_for(SHADOWED) + f" (for example move {dir0}'s {family} copies aside)",
                family=family, order=order))
        else:
            findings.append(passed("shadowed CUDA libraries", f"{family}: {len(loader_dirs)} identical-version copies on the search path; {dir0} loads first",
                                   family=family, order=order))
    if not findings:
        families = ", ".join(sorted(by_family))
        findings.append(passed("shadowed CUDA libraries", f"one copy each of {families} on the loader's search path"))
    return findings


def _header_version(facts: Mapping[str, Any]) -> Tuple[Optional[str], Optional[str]]:
    for h in lookup(facts, "cudnn.headers", []) or []:
        d = h.get("defines") or {}
        if d.get("MAJOR"):
            return ".".join(str(d[k]) for k in ("MAJOR", "MINOR", "PATCHLEVEL") if k in d), h.get("path")
    return None, None


@guard('cuDNN')
def check_cudnn(facts: Mapping[str, Any]) -> List[Finding]:
    header, header_path = _header_version(facts)
    libs = []
    for lib in lookup(facts, "cudnn.libraries", []) or []:
        parsed = parse_library_name(str(lib.get("name", "")))
        if parsed and parsed[0] == "cudnn":
            libs.append((lib.get("path"), str(lib.get("file_version") or parsed[1])))
    if not header and not libs:
        status = warn if lookup(facts, "cuda.toolkit_version") else skip
        return [status("cuDNN", "no cuDNN header or library found in the toolkit, the system folders or pip's nvidia-cudnn wheel",
                       code=CUDNN_MISSING, fix=fix_for(CUDNN_MISSING))]
    versions = sorted({v for _, v in libs if v})
    if header and versions:
        mismatched = [(p, v) for p, v in libs if v and not _compatible(header, ".".join(v.split(".")[:3]))]
        if mismatched:
            listing = ", ".join(f"{p} ({v})" for p, v in mismatched)
            return [fail("cuDNN", f"cuDNN header {header_path} is {header} but the library is {listing}: "
                         "Theano stops with \"Mixed dnn version. The header is from one version, but we link with a different version\"",
                         code=CUDNN_MIXED, fix=fix_for(CUDNN_MIXED), header=header, libraries=[v for _, v in libs])]
    where = header_path or (libs[0][0] if libs else "")
    text = f"cuDNN {header or versions[-1]}" + (f" (libraries: {', '.join(versions)})" if versions else " (header only)")
    return [passed("cuDNN", f"{text} at {where}")]
