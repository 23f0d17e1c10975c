"""Replayable cases: recorded training logs (+ facts) judged like a live run.

A case is a small TOML (or JSON, so no dependency is needed at run time) file naming the
logs of a CPU run and one or more GPU runs, the workload, and optionally a facts
snapshot; a case may also be a facts snapshot alone (one machine state in which nothing
trained, such as a negative control), and may say the verdict it must read (``expect``). ``pytest --dlready --dlready-replay=CASE`` turns it into a facts snapshot whose
``workloads.runs`` carry the parsed runs; the replay suite then judges every GPU run
against its CPU baseline with ``checks.speedup.judge`` - the same function live runs use. The
same suite judges the runs inside a snapshot saved by ``--dlready-save-facts``, which is
what makes "send me your snapshot" reproduce a verdict on another machine.
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from ..facts import SnapshotError, load as load_snapshot, new_snapshot

CASES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "cases")


class CaseError(Exception):
    """A case that cannot be replayed; the message names the file and what is wrong."""


def bundled_cases() -> List[str]:
    if not os.path.isdir(CASES_DIR):
        return []
    return sorted(d for d in os.listdir(CASES_DIR)
                  if any(os.path.isfile(os.path.join(CASES_DIR, d, f)) for f in ("case.toml", "case.json")))


def case_path(name_or_path: str) -> str:
    """A bundled case name, a case folder, or a case file -> the case file's path."""
    candidates = [name_or_path, os.path.join(CASES_DIR, name_or_path)]
    for base in candidates:
        if os.path.isfile(base):
            return os.path.abspath(base)
        for fname in ("case.toml", "case.json"):
            if os.path.isfile(os.path.join(base, fname)):
                return os.path.abspath(os.path.join(base, fname))
    known = ", ".join(bundled_cases()) or "none"
    raise CaseError(f"no replay case {name_or_path!r}: give a case file or folder, or a bundled case ({known})")


def _read_toml(text: str, path: str) -> Dict[str, Any]:
    try:
        import tomllib  # Python >= 3.11
    except ModuleNotFoundError:
        try:
            import tomli as tomllib  # the [test] extra on 3.8-3.10
        except ModuleNotFoundError:
            raise CaseError(f"{path}: reading TOML cases needs Python >= 3.11 or `pip install tomli`; "
                            "or write the case as case.json") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CaseError(f"{path}: invalid TOML: {exc}") from None


def load_case(name_or_path: str) -> Dict[str, Any]:
    """The case document, validated, with ``path``/``dir`` added."""
    path = case_path(name_or_path)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseError(f"{path}: cannot read case: {exc}") from None
    if path.endswith(".json"):
        try:
            case = json.loads(text)
        except ValueError as exc:
            raise CaseError(f"{path}: invalid JSON: {exc}") from None
    else:
        case = _read_toml(text, path)
    if not isinstance(case, dict):
        raise CaseError(f"{path}: a case is a table/object with name, workload and [[runs]]")
    runs = case.setdefault("runs", [])
    has_facts = bool(case.get("facts") or case.get("recorded_facts"))
    if not isinstance(runs, list) or not all(isinstance(r, dict) for r in runs) or (not runs and not has_facts):
        raise CaseError(f"{path}: needs at least one [[runs]] table (device, backend, log), "
                        "or facts = FILE for a case that records a machine state and no training")
    if case.get("expect") is not None and case["expect"] not in ("READY", "NOT READY"):
        raise CaseError(f"{path}: expect is {case['expect']!r}; use \"READY\" or \"NOT READY\"")
    for i, run in enumerate(runs):
        for key in ("device", "backend", "log"):
            if not isinstance(run.get(key), str) or not run.get(key):
                raise CaseError(f"{path}: runs[{i}] needs {key} (a string)")
        if run["device"] not in ("cpu", "gpu"):
            raise CaseError(f"{path}: runs[{i}].device is {run['device']!r}; use cpu or gpu")
    if runs and (not any(r["device"] == "cpu" for r in runs) or not any(r["device"] == "gpu" for r in runs)):
        raise CaseError(f"{path}: needs a cpu run and at least one gpu run")
    case.setdefault("name", os.path.basename(os.path.dirname(path)))
    case.setdefault("workload", "training")
    case["path"], case["dir"] = path, os.path.dirname(path)
    return case


def case_runs(case: Mapping[str, Any]) -> List[Any]:
    """Each run's log parsed into a ``RunResult`` (wall/user/sys, epochs, banners)."""
    from ..checks.tool_outputs import training_log_findings
    from ..parsers import logs

    out = []
    for i, spec in enumerate(case["runs"]):
        log_path = os.path.join(case["dir"], spec["log"])
        try:
            with open(log_path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError as exc:
            raise CaseError(f"{case['path']}: runs[{i}].log {spec['log']!r}: {exc.strerror or exc}") from None
        parsed = logs.parse(text, source=spec["log"])
        run = to_run_result(parsed, case["workload"], spec["backend"], spec["device"])
        run.source = f"replay:{case['name']}/{spec['log']}"
        run.dataset = str(case.get("dataset", ""))
        run.warmup_epochs = int(spec.get("warmup_epochs", case.get("warmup_epochs", 1)))
        if spec.get("device_name") and not run.device_name:
            run.device_name = str(spec["device_name"])
        if spec.get("batch_size"):
            run.batch_size = int(spec["batch_size"])
        run.extra.update(id=str(spec.get("id") or f"{spec['backend']}-{spec['device']}"),
                         baseline=spec.get("baseline"), log_findings=[f.to_dict() for f in training_log_findings(parsed)])
        out.append(run)
    return out


def to_run_result(parsed: Dict[str, Any], workload: str, backend: str, device: str) -> Any:
    """A replayable ``RunResult`` from a parsed log: epochs, time block, banners, fallbacks."""
    from .protocol import RunResult

    epochs = [e for e in parsed.get("epochs") or [] if isinstance(e, dict) and e.get("seconds") is not None]
    time_block = parsed.get("time") or {}
    run = RunResult(workload=workload, backend=backend, device=device)
    run.epoch_seconds = [float(e["seconds"]) for e in epochs]
    run.wall_s = time_block.get("real")
    run.cpu_user_s = time_block.get("user")
    run.cpu_sys_s = time_block.get("sys")
    if time_block.get("max_rss_kb"):
        run.peak_rss_mb = round(time_block["max_rss_kb"] / 1024.0, 1)
    run.device_used = parsed.get("device_used") or ""
    run.device_name = parsed.get("device_name") or ""
    run.signals = [b["line"] for b in parsed.get("banners") or [] if b.get("signal")]
    run.dtype = parsed.get("dtype") or ""
    run.source = f"replay:{parsed.get('source', 'log')}"
    # a log holding only a shell `time` block is judged from its wall time (the verdict says so)
    run.ok = bool(run.epoch_seconds) or bool(run.wall_s)
    if not run.ok:
        run.error = f"no training epochs and no `time` block found in {parsed.get('source', 'the log')}"
    if isinstance(parsed.get("samples"), int):
        run.samples = parsed["samples"]
    resolution = [e.get("resolution_s") for e in epochs if e.get("resolution_s")]
    run.extra = {
        "log_formats": list(parsed.get("formats") or []),
        "epoch_resolution_s": max(resolution) if resolution else None,
        "cudnn": parsed.get("cudnn"),
        "framework_backend": parsed.get("backend"),
        "losses": [e.get("loss") for e in epochs],
    }
    layers = parsed.get("layers")
    if isinstance(layers, list) and layers:
        run.extra["layers"] = list(layers)
    if not run.epoch_seconds and run.wall_s:
        run.extra["time_only"] = True
    if epochs and epochs[0].get("steps"):
        run.extra["steps_per_epoch"] = epochs[0]["steps"]
    return run


def pair_runs(runs: Sequence[Mapping[str, Any]]) -> List[Tuple[Any, Any, str]]:
    """(cpu, gpu, baseline_note) for every GPU run: its named baseline, else a same-backend CPU run, else the first."""
    from .protocol import RunResult

    results = [r if isinstance(r, RunResult) else RunResult.from_dict(r) for r in runs]
    pairs = []
    for gpu in results:
        if gpu.device != "gpu":
            continue
        cpus = [r for r in results if r.device == "cpu" and r.workload == gpu.workload]
        if not cpus:
            continue
        wanted = (gpu.extra or {}).get("baseline")
        cpu = next((c for c in cpus if wanted and (c.extra or {}).get("id") == wanted), None) \
            or next((c for c in cpus if c.backend == gpu.backend), None) or cpus[0]
        # a note only when the baseline is another framework's (TF judged against Theano's CPU run)
        same = cpu.backend.split("+")[0] == gpu.backend.split("+")[0]
        note = "" if same else f"baseline: the {cpu.backend} CPU run"
        pairs.append((cpu, gpu, note))
    return pairs


def recorded_facts(case: Mapping[str, Any]) -> Dict[str, Any]:
    """The case's facts snapshot, or one built from the facts its file records."""
    name = case.get("facts")
    if name:
        path = os.path.join(case["dir"], str(name))
        try:
            return dict(load_snapshot(path))
        except SnapshotError as exc:
            raise CaseError(f"{case['path']}: facts {exc}") from None
    snap = new_snapshot()
    for key, value in (case.get("recorded_facts") or {}).items():
        snap[key] = value
    return snap


def facts_for_case(name_or_path: str, settings: Any = None) -> Dict[str, Any]:
    """The snapshot a replay session judges: recorded facts + the case's runs in ``workloads.runs``.

    Raises ``CaseError`` naming the file and what is wrong with it.
    """
    case = load_case(name_or_path)
    snap = recorded_facts(case)
    runs = case_runs(case)
    snap["source"] = f"replay of {case['name']}"
    snap["replay"] = {"case": case["name"], "title": case.get("title", ""), "origin": case.get("origin", ""),
                      "path": case["path"]}
    snap["workloads"] = {"runs": [r.to_dict() for r in runs]}
    return snap


def judge_runs(runs: Sequence[Mapping[str, Any]], facts: Mapping[str, Any], min_speedup: float = 1.0) -> List[Any]:
    """Every pair's speedup rows, in run order: the suite's rows less the CPU baselines' own."""
    from ..checks.training import pair_rows

    out = []
    for cpu, gpu, _note in pair_runs(runs):
        out.extend(pair_rows(cpu, gpu, facts, min_speedup, include_cpu=False))
    return out
