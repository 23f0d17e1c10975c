"""Report generation (JSON + HTML) as a share of a quick-tier run: target <= 1 % (prints the ratio).

1. One real ``pytest --dlready --dlready-tier=quick`` session on this machine, saving its
   facts and JSON report; its wall time is the denominator.
2. In-process, side by side in this one process: ``report.build`` from that session's
   facts and rows, ``write_json`` and the HTML writer — repeated, the median taken.
3. Optionally (``--ab N``) N interleaved pairs of whole sessions without and with
   ``--dlready-json/--dlready-html``; on a noisy VM this difference is mostly noise,
   which is why (2) is the number the target is judged on.

    python benchmarks/bench_report_overhead.py [--repeat 50] [--ab 0]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = 0.01


def session(folder: str, reports: bool) -> float:
    args = [sys.executable, "-m", "pytest", "--dlready", "--dlready-tier=quick", "-p", "no:cacheprovider", "-q",
            f"--dlready-save-facts={os.path.join(folder, 'facts.json')}"]
    if reports:
        args += [f"--dlready-json={os.path.join(folder, 'report.json')}", f"--dlready-html={os.path.join(folder, 'report.html')}"]
    start = time.perf_counter()
    subprocess.run(args, cwd=folder, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--ab", type=int, default=0, help="interleaved whole-session pairs without/with reports")
    args = parser.parse_args()
    sys.path.insert(0, ROOT)
    from pytest_dlready import facts as F
    from pytest_dlready.reports import document as report
    from pytest_dlready.reports import html
    from pytest_dlready.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        run_s = session(folder, reports=True)
        with open(os.path.join(folder, "report.json"), encoding="utf-8") as fh:
            doc = json.load(fh)
        facts = F.load(os.path.join(folder, "facts.json"))
        settings = Settings(enabled=True, json_path=os.path.join(folder, "r2.json"), html_path=os.path.join(folder, "r2.html"))
        fake_session = SimpleNamespace(facts=facts, rows=doc["rows"], runs=doc["runs"], settings=settings,
                                       exitstatus=doc["exitstatus"], lost_workers=[], hosts={})
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            built = report.build(fake_session)
            report.write_json(built, settings.json_path)
            html.write(built, settings)
            times.append(time.perf_counter() - start)
        gen_s = statistics.median(times)
        print(f"quick-tier session: {run_s:.2f} s wall ({len(doc['rows'])} rows, {len(doc['runs'])} runs, verdict {doc['verdict']['status']})")
        print(f"report generation (build + JSON + HTML, {os.path.getsize(settings.html_path) / 1e3:.0f} kB HTML): "
              f"median {gen_s * 1e3:.2f} ms, max {max(times) * 1e3:.2f} ms over {args.repeat}")
        ratio = gen_s / run_s
        print(f"share of the run: {ratio * 100:.3f} % (target <= {TARGET * 100:g} %: {'OK' if ratio <= TARGET else 'OVER'})")
        if args.ab:
            without, with_ = [], []
            for _ in range(args.ab):
                without.append(session(folder, reports=False))
                with_.append(session(folder, reports=True))
            a, b = statistics.median(without), statistics.median(with_)
            print(f"A/B whole sessions ({args.ab} interleaved pairs): without {a:.2f} s, with {b:.2f} s, "
                  f"ratio {b / a:.3f} (VM noise here is up to 2.5x; see the in-process figure above)")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
