"""Merge 1,000 node reports into a fleet view: target <= 2 s (prints the ratio to the target).

The node reports are copies of one *real* report — a ``pytest --dlready`` session on
the recorded Windows TITAN X facts, run here first — each with its own hostname, GPU
model and measured epoch times (spread like a real fleet, with a few slow nodes), so
the merge reads files of real size and structure. Timed: reading and validating every
file, flagging outliers, sorting, and writing fleet.html, fleet.json and fleet.md.

    python benchmarks/bench_merge.py [--nodes 1000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FACTS = os.path.join(ROOT, "tests", "data", "facts", "windows-dlwin36-titanx.json")
TARGET_S = 2.0


def real_report(folder: str) -> dict:
    path = os.path.join(folder, "base.json")
    subprocess.run([sys.executable, "-m", "pytest", "--dlready", f"--dlready-facts={FACTS}", "-k", "toolchain",
                    f"--dlready-json={path}", "-p", "no:cacheprovider", "-q"], cwd=folder, capture_output=True)
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def node_reports(base: dict, folder: str, nodes: int) -> list:
    rng = random.Random(6)
    models = ["NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-80GB", "NVIDIA L40S"]
    paths = []
    for i in range(nodes):
        doc = copy.deepcopy(base)
        model = models[i % len(models)]
        gpu_s = rng.gauss(1.0, 0.05) * (2.2 if i % 97 == 0 else 1.0)  # ~1 % of nodes clearly slow
        host = dict(doc["hosts"][0], hostname=f"gpu-{i:04d}", gpus=[{"index": g, "name": model, "vendor": "nvidia"} for g in range(8)],
                    driver_version="580.65.06", bandwidth_gbps={"h2d pinned": round(rng.gauss(24.5, 0.6), 2)})
        doc["hosts"] = [host]
        doc["runs"] = [
            {"workload": "mnist-cnn", "backend": b, "device": d, "ok": True,
             "epoch_seconds": [s * 3] + [round(s * rng.gauss(1, 0.01), 4) for _ in range(4)]}
            for b in ("torch", "keras-tensorflow") for d, s in (("cpu", 30.0), ("gpu", gpu_s))
        ]
        path = os.path.join(folder, f"gpu-{i:04d}.json")
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2)
        paths.append(path)
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, ROOT)
    from pytest_dlready.reports import fleet

    with tempfile.TemporaryDirectory() as folder:
        base = real_report(folder)
        paths = node_reports(base, folder, args.nodes)
        size = sum(os.path.getsize(p) for p in paths)
        outs = [os.path.join(folder, n) for n in ("fleet.html", "fleet.json", "fleet.md")]
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            code = fleet.main(paths + [a for o in outs for a in ("-o", o)] + ["-q"])
            times.append(time.perf_counter() - start)
        with open(outs[1], encoding="utf-8") as fh:
            result = json.load(fh)
    best, median = min(times), statistics.median(times)
    print(f"merge of {args.nodes} node reports ({size / 1e6:.1f} MB of JSON) -> html+json+md: "
          f"best {best:.3f} s, median {median:.3f} s over {args.repeat} runs (exit {code})")
    print(f"hosts {result['hosts']}, outliers flagged {result['outliers']} (planted: {len(range(0, args.nodes, 97))})")
    print(f"ratio to the {TARGET_S:g} s target: {median / TARGET_S:.2f} ({'OK' if median <= TARGET_S else 'OVER'})")
    return 0 if median <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
