"""``python -m pytest_dlready parse FILE...``: identify and parse pasted tool outputs, print JSON.

For a person with a saved deviceQuery/nvidia-smi/training log (their own or one from an
issue) this answers "what does this say about the machine?" without running anything:
the kind of output, the fields read from it and the readiness findings drawn from them.
Exit status: 0 when every file was identified, 2 when one could not be read or
identified (it still gets a JSON entry saying why), 1 with ``--strict`` when a finding FAILs.
"""
from __future__ import annotations

import argparse
import json
import os
import stat
import sys
from typing import Any, Dict, List, Optional, Sequence

#: Files larger than this are cut (with a finding): pasted outputs are kilobytes, not gigabytes.
MAX_BYTES = 8 * 1024 * 1024


#: How long ``parse`` waits for a named pipe's writer.
FIFO_WAIT_S = 10.0


def _read_fifo(path: str) -> Optional[bytes]:
    """The pipe's bytes, or None when no writer opened it in time (the waiting thread dies with the CLI)."""
    import threading

    box: Dict[str, Any] = {}

    def reader() -> None:
        try:
            with open(path, "rb") as handle:
                box["opened"] = True
                box["data"] = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            box["error"] = exc

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    thread.join(FIFO_WAIT_S)
    if box.get("opened"):  # a writer came: read to its end, however long it writes
        thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("data")


def _is_fifo(path: str) -> bool:
    try:
        return stat.S_ISFIFO(os.stat(path).st_mode)
    except OSError:
        return False


def _read(path: str) -> Dict[str, Any]:
    try:
        if path == "-":
            stream = getattr(sys.stdin, "buffer", None)
            if stream is None:  # started with stdin closed (<&-)
                return {"error": "cannot read stdin: it is closed"}
            data = stream.read(MAX_BYTES + 1)
        elif _is_fifo(path):
            # a named pipe: a plain open() waits for a writer forever; wait FIFO_WAIT_S for one
            data = _read_fifo(path)
            if data is None:
                return {"error": f"cannot read {path}: a named pipe with no writer for {FIFO_WAIT_S:g} s"}
        else:
            with open(path, "rb") as handle:
                data = handle.read(MAX_BYTES + 1)
    except (OSError, ValueError) as exc:  # ValueError: a closed stdin
        return {"error": f"cannot read {'stdin' if path == '-' else path}: {getattr(exc, 'strerror', None) or exc}"}
    return {"data": data[:MAX_BYTES], "cut": len(data) > MAX_BYTES}


def parse_file(path: str, kind: Optional[str] = None) -> Dict[str, Any]:
    """One file -> its JSON entry (``file``, ``kind``, ``identified``, parsed fields, ``findings``)."""
    from ..checks import tool_outputs
    from ..parsers.common import to_text
    read = _read(path)
    if "error" in read:
        return {"file": path, "kind": "unreadable", "identified": False, "findings": [], "error": read["error"]}
    result = tool_outputs.read(to_text(read["data"]), kind, source="stdin" if path == "-" else path)
    result = {"file": path, **result}
    result["identified"] = result.get("kind") != "unknown"
    if read["cut"]:
        result["findings"].append(tool_outputs.cut_finding(MAX_BYTES).to_dict())
    return result


def _kinds() -> List[str]:
    from ..parsers.identify import REGISTRY
    return [k for k, _m, _a in REGISTRY]


def build_parser() -> argparse.ArgumentParser:
    from ..parsers.identify import REGISTRY
    kinds = [k for k, _m, _a in REGISTRY]
    parser = argparse.ArgumentParser(
        prog="python -m pytest_dlready parse",
        description="Identify and parse saved outputs of deviceQuery, bandwidthTest, nvidia-smi, nvcc --version, "
                    "kextstat, system_profiler SPDisplaysDataType, pmset -g, training logs and framework start-up logs "
                    "(TensorFlow, PyTorch, JAX, Theano, CNTK, gnumpy: can the framework use the GPU?); print JSON.")
    parser.add_argument("files", nargs="+", metavar="FILE", help="files to read ('-' for stdin)")
    parser.add_argument("--kind", choices=kinds, help="skip identification and use this parser")
    parser.add_argument("--jsonl", action="store_true", help="one JSON object per line instead of one document")
    parser.add_argument("--compact", action="store_true", help="no indentation")
    parser.add_argument("--strict", action="store_true", help="exit 1 when any finding is a FAIL")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    results: List[Dict[str, Any]] = [parse_file(path, args.kind) for path in args.files]
    indent = None if (args.compact or args.jsonl) else 2
    if args.jsonl:
        for item in results:
            sys.stdout.write(json.dumps(item, sort_keys=False, default=str) + "\n")
    else:
        document: Any = results[0] if len(results) == 1 else results
        sys.stdout.write(json.dumps(document, indent=indent, default=str) + "\n")
    for item in results:
        if not item["identified"]:
            reason = item.get("error") or ("not recognised as a supported tool output; if you know what it is, "
                                           "name its parser with --kind (" + ", ".join(_kinds()) + ")")
            sys.stderr.write(f"pytest-dlready parse: {item['file']}: {reason}\n")
    if any(not item["identified"] for item in results):
        return 2
    if args.strict and any(f.get("status") == "fail" for item in results for f in item.get("findings", [])):
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
