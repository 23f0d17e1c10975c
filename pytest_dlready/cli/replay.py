"""``python -m pytest_dlready replay CASE``: judge a recorded case's speedup, print the verdict as JSON."""
from __future__ import annotations

import json
import sys
from typing import Optional, Sequence

from ..workloads.cases import CaseError, bundled_cases, case_runs, judge_runs, load_case, recorded_facts


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m pytest_dlready replay CASE [--min-speedup X]``: the verdict as JSON; exit 1 on FAIL."""
    import argparse

    parser = argparse.ArgumentParser(prog="dlready replay", description="judge a recorded case's speedup")
    parser.add_argument("case", help="bundled case name (" + ", ".join(bundled_cases()) + ") or a case file")
    parser.add_argument("--min-speedup", type=float, default=1.0)
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        case = load_case(args.case)
        snap = recorded_facts(case)
        runs = [r.to_dict() for r in case_runs(case)]
    except CaseError as exc:
        print(f"dlready replay: {exc}", file=sys.stderr)
        return 2
    findings = judge_runs(runs, snap, args.min_speedup)
    json.dump({"case": case["name"], "findings": [f.to_dict() for f in findings]}, sys.stdout, indent=2,
              ensure_ascii=False)
    sys.stdout.write("\n")
    return 1 if any(f.status.value == "fail" for f in findings) else 0
