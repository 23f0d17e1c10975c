"""How many real outputs that were never tuned against does `parse` read right?

The corpus is tests/data/realworld/*/ : real outputs people pasted publicly, each with
what a person reads in it (``expected.json``, written by reading the text, never by
running this project; see tests/data/realworld/README.md). A file "reads right" when
every field its expectation names comes out as expected: the tool, the GPUs (names, in
order, as printed), driver/CUDA/cuDNN versions, compute capability, whether the tool
failed, and for framework logs the framework, "GPU usable" and the missing libraries.

The corpus is split once, by a hash of each file's path, into a *development* part (the
parsers may be fixed against its failures) and a *held-out* part (only its score is
looked at): ``--split heldout`` prints no per-file detail unless ``--show`` is given.
Exit 1 when the score is below ``--target`` (default 0.98).

    python benchmarks/bench_parse_accuracy.py                 # all files, failures listed
    python benchmarks/bench_parse_accuracy.py --split heldout # the held-out score only
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from typing import Any, Dict, Iterator, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "tests", "data", "realworld")
sys.path.insert(0, ROOT)


def split_of(relpath: str) -> str:
    """'heldout' for a ``heldout*`` folder (a blind collection) and one file in three elsewhere
    (fixed by the path's hash), else 'dev'."""
    if relpath.startswith("heldout"):
        return "heldout"
    digest = int(hashlib.sha1(relpath.encode("utf-8")).hexdigest(), 16)
    return "heldout" if digest % 3 == 0 else "dev"


def cases(corpus: str = CORPUS) -> Iterator[Tuple[str, str, Dict[str, Any]]]:
    """(relative path, absolute path, expectation) for every file the corpus describes."""
    for folder in sorted(os.listdir(corpus)):
        path = os.path.join(corpus, folder, "expected.json")
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as fh:
            for entry in json.load(fh):
                rel = f"{folder}/{entry['file']}"
                yield rel, os.path.join(corpus, folder, entry["file"]), entry


def _norm(text: Any) -> str:
    return " ".join(str(text).split()).lower()


def _version(text: Any) -> str:
    """'8.0.5' / '8005' / 'V11.8' compared as written, without a leading v and spaces."""
    return re.sub(r"^v", "", _norm(text))


def _driver(text: Any) -> str:
    """A driver version without a third part that is zero: 455.32.0 is 455.32 (not 455.32.01)."""
    return re.sub(r"^(\d+\.\d+)\.0$", r"\1", _version(text))


def _cuda_printed(text: Any) -> str:
    """deviceQuery's CUDA version as a version: '2.30' (CUDA 2.3 printed as version % 100) is '2.3'."""
    return re.sub(r"^(\d+)\.(\d)0$", r"\1.\2", _version(text))


def _gpu_names(result: Dict[str, Any]) -> Optional[List[str]]:
    kind = result.get("kind")
    if kind == "deviceQuery":
        return [d.get("name") or "" for d in result.get("devices") or []]
    if kind == "bandwidthTest":
        return [d.get("name") or "" for d in result.get("devices") or []]
    if kind in ("nvidia-smi", "framework-log", "training-log"):
        return [g.get("name") or "" for g in result.get("gpus") or []]
    return None


def _failed(result: Dict[str, Any]) -> bool:
    """The schema's ``failed``: the tool reported it could not work; a framework's start-up output printed an
    error (any error-level line, also one ``checks`` judges harmless). A training log fails by its run's own error."""
    if result.get("error") or (result.get("kind") == "framework-log" and result.get("errors_printed")):
        return True
    return str(result.get("result") or "").upper() == "FAIL"


def _cc(result: Dict[str, Any]) -> Optional[str]:
    if result.get("compute_capability"):
        return str(result["compute_capability"])
    for key in ("devices", "gpus"):
        for dev in result.get(key) or []:
            for field in ("compute_capability", "compute_cap"):
                if dev.get(field):
                    return str(dev[field])
    return None


def observed(result: Dict[str, Any], key: str) -> Any:
    """What the parse says for one expectation key."""
    if key == "tool":
        return result.get("kind")
    if key == "gpus":
        return _gpu_names(result)
    if key == "failed":
        return _failed(result)
    if key == "compute_capability":
        return _cc(result)
    if key == "cuda_version":
        return result.get("cuda_version") or result.get("runtime_version") or result.get("release")
    if key == "epochs":
        return len(result.get("epochs") or [])
    if key == "missing_libraries":
        return result.get("missing_libraries") or []
    return result.get(key)


#: a log that stops before its first epoch finishes is both a framework's start-up log and a training log
#: with no finished epoch: either reading is right (the README's schema says so)
START_KINDS = {"framework-log", "training-log"}


def same(key: str, want: Any, got: Any, expect: Optional[Dict[str, Any]] = None, result: Optional[Dict[str, Any]] = None) -> bool:
    if key == "tool" and want in START_KINDS and got in START_KINDS and want != got:
        return not (expect or {}).get("epochs") and not (result or {}).get("epochs")
    if key == "gpus":
        return got is not None and [_norm(x) for x in want] == [_norm(x) for x in got]
    if key == "missing_libraries":
        return sorted(_norm(x) for x in want) == sorted(_norm(x) for x in got or [])
    if key in ("failed", "gpu_usable"):
        return bool(want) == bool(got) and got is not None
    if key == "epochs":
        return int(want) == int(got or 0)
    if key in ("driver_version", "cuda_version", "cudnn_version", "compute_capability"):
        if _norm(want) in ("n/a", "[n/a]", "none"):  # printed as "not available": the parse has no value either
            return got is None
        if (expect or {}).get("tool") == "deviceQuery":
            # CUDA 2.x/3.x deviceQuery printed version % 100 as the minor: "2.30" / "3.20" are CUDA 2.3 / 3.2,
            # which parse reports as such
            return got is not None and _cuda_printed(want) == _cuda_printed(got)
        if key == "driver_version":  # TF prints the kernel module's "370.28.0" for the driver nvidia-smi calls 370.28
            return got is not None and _driver(want) == _driver(got)
        return got is not None and _version(want) == _version(got)
    return got is not None and _norm(want) == _norm(got)


KEYS = ("tool", "gpus", "failed", "framework", "gpu_usable", "compute_capability", "driver_version",
        "cuda_version", "missing_libraries", "cudnn_version", "epochs")


def check_file(path: str, expect: Dict[str, Any]) -> List[str]:
    """The expectation keys this file gets wrong, as 'key: want X, got Y' (empty: read right)."""
    from pytest_dlready.checks import tool_outputs

    with open(path, "rb") as fh:
        data = fh.read()
    result = tool_outputs.read(data, source=os.path.basename(path))
    wrong = []
    for key in KEYS:
        if key not in expect:
            continue
        got = observed(result, key)
        if not same(key, expect[key], got, expect, result):
            wrong.append(f"{key}: want {expect[key]!r}, got {got!r}")
    return wrong


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("all", "dev", "heldout"), default="all")
    ap.add_argument("--show", action="store_true", help="list held-out failures too")
    ap.add_argument("--target", type=float, default=0.98)
    ap.add_argument("--corpus", default=CORPUS, help="folder of collections (default tests/data/realworld)")
    args = ap.parse_args(argv)
    if not os.path.isdir(args.corpus):
        print(f"bench_parse_accuracy: no such folder: {args.corpus}", file=sys.stderr)
        return 2
    rows = [(rel, path, exp) for rel, path, exp in cases(args.corpus) if args.split in ("all", split_of(rel))]
    if not rows:
        print(f"no real outputs found under {args.corpus}", file=sys.stderr)
        return 2
    right = 0
    per_tool: Dict[str, List[int]] = {}
    for rel, path, expect in rows:
        wrong = check_file(path, expect)
        tally = per_tool.setdefault(expect.get("tool", "?"), [0, 0])
        tally[1] += 1
        if not wrong:
            right += 1
            tally[0] += 1
            continue
        if split_of(rel) == "dev" or args.show:
            print(f"WRONG {rel} [{split_of(rel)}]")
            for line in wrong:
                print(f"      {line}")
    score = right / len(rows)
    for tool, (ok, n) in sorted(per_tool.items()):
        print(f"  {tool:15s} {ok}/{n}")
    print(f"{args.split}: {right}/{len(rows)} real outputs read right = {score:.1%} (target {args.target:.0%})")
    return 0 if score >= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
