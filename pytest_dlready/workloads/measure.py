"""Measure a CPU/GPU pair the way a speedup can be believed: interleaved rounds until the interval is tight.

Both sides run as ``--serve`` workers (``runner.Worker``): set up once, then timed blocks of
training steps on request. The protocol, per batch size:

1. **warm-up, detected**: rounds on each side alone until three in a row agree within 30 %
   (compile, autotune, first-touch costs are over), or the warm-up budget is spent;
2. **calibration**: steps per round so one round takes about ``plan.round_s``;
3. **interleaved rounds**: CPU, GPU, GPU, CPU, ... (ABBA, so a drift hits both sides alike),
   the idle side paused, until the speedup's 95 % interval is within +-10 % or the budget
   is spent (``checks.speedup_stats``);
4. **a short batch sweep**, only when the GPU is not clearly faster at the main batch: the
   same workers at larger and smaller batches, so the verdict can tell a model too small
   for the GPU (workload-bound) from a GPU that is slow at every size (machine-bound).

The machine's own activity during the measurement (load, steal time, the busiest other
processes) is recorded beside it, to explain an inconclusive result. Everything measured
is returned as plain data (``RunResult.extra``); the checks judge it.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..checks import speedup_stats as stats
from ..probes import load
from .protocol import RunResult, WorkloadSpec
from .runner import Worker


@dataclass(frozen=True)
class Plan:
    """How long to measure: a tier's budget."""

    round_s: float = 0.1          # target length of one round
    warmup_s: float = 2.0         # per side, at most
    budget_s: float = 4.0         # interleaved rounds of the main batch, both sides together
    min_pairs: int = 6
    max_pairs: int = 400
    sweep_budget_s: float = 4.0   # the whole sweep
    step_limit_s: float = 1.0     # a sweep size whose single step would take longer is not measured
    target: float = stats.TARGET_HALF_WIDTH


PLANS = {
    "quick": Plan(),
    "standard": Plan(round_s=0.2, warmup_s=10.0, budget_s=20.0, min_pairs=8, sweep_budget_s=20.0, step_limit_s=4.0),
    "full": Plan(round_s=0.5, warmup_s=30.0, budget_s=60.0, min_pairs=10, sweep_budget_s=60.0, step_limit_s=15.0),
}


def plan_for(tier: str) -> Plan:
    return PLANS.get(tier, PLANS["quick"])


def _per_step(record: Dict[str, Any]) -> float:
    return float(record["seconds"]) / max(int(record.get("steps") or 1), 1)


def _stable(per_step: List[float]) -> bool:
    tail = per_step[-3:]
    return len(tail) == 3 and min(tail) > 0 and max(tail) / min(tail) <= 1.3


def warm_up(worker: Worker, batch: int, plan: Plan, budget_s: Optional[float] = None) -> Optional[Dict[str, Any]]:
    """Rounds on one side alone until its step time settles; the calibrated steps per round. None: it failed."""
    budget_s = plan.warmup_s if budget_s is None else budget_s
    start = time.perf_counter()
    per_step: List[float] = []
    steps, first = 1, None
    while True:
        record = worker.round(steps, batch)
        if record is None:
            return None
        record["phase"] = "warm-up"
        per_step.append(_per_step(record))
        first = record["seconds"] if first is None else first
        steps = max(1, min(100000, int(round(plan.round_s / max(per_step[-1], 1e-9)))))
        if _stable(per_step) or (time.perf_counter() - start > budget_s and len(per_step) >= 2):
            break
    return {"rounds": len(per_step), "first_round_s": round(first or 0.0, 6), "seconds": round(time.perf_counter() - start, 4),
            "settled": _stable(per_step), "per_step_s": per_step[-1], "steps_per_round": steps}


def interleave(cpu: Worker, gpu: Worker, batch: int, steps: Dict[str, int], plan: Plan, budget_s: float,
               min_pairs: int, target: float) -> Dict[str, Any]:
    """Interleaved rounds (ABBA) of both warmed-up sides until the interval is tight or the budget is spent."""
    start = time.perf_counter()
    sides: Dict[str, Dict[str, Any]] = {"cpu": {"per_step_s": [], "cores": []}, "gpu": {"per_step_s": [], "cores": []}}
    workers = {"cpu": cpu, "gpu": gpu}
    interval: Optional[stats.Interval] = None
    stopped = "budget"
    pair = 0
    while pair < plan.max_pairs:
        order = ("cpu", "gpu") if pair % 2 == 0 else ("gpu", "cpu")
        for name in order:
            record = workers[name].round(steps[name], batch)
            if record is None:
                return {"batch": batch, "failed": name, "cpu": sides["cpu"], "gpu": sides["gpu"], "pairs": pair,
                        "interval": None, "stopped": f"the {name} side stopped answering"}
            record["phase"] = f"batch {batch}"
            sides[name]["per_step_s"].append(round(_per_step(record), 9))
            sides[name]["cores"].append(round(float(record.get("cpu_s") or 0.0) / max(record["seconds"], 1e-9), 3))
        pair += 1
        if pair >= min_pairs:
            interval = stats.paired(sides["cpu"]["per_step_s"], sides["gpu"]["per_step_s"])
            if stats.tight_enough(interval, target):
                stopped = "precision"
                break
        if time.perf_counter() - start > budget_s and pair >= 3:
            interval = stats.paired(sides["cpu"]["per_step_s"], sides["gpu"]["per_step_s"])
            break
    for name in ("cpu", "gpu"):
        sides[name]["steps_per_round"] = steps[name]
    return {"batch": batch, "cpu": sides["cpu"], "gpu": sides["gpu"], "pairs": pair, "stopped": stopped,
            "seconds": round(time.perf_counter() - start, 4), "interval": interval.to_dict() if interval else None}


def measure_batch(cpu: Worker, gpu: Worker, batch: int, plan: Plan, budget_s: float, min_pairs: int,
                  target: float, warmup_s: float) -> Dict[str, Any]:
    """Warm-up, calibration and interleaved rounds at one batch size."""
    warm = {}
    for name, worker in (("cpu", cpu), ("gpu", gpu)):
        result = warm_up(worker, batch, plan, warmup_s)
        if result is None:
            return {"batch": batch, "failed": name, "stopped": f"the {name} side failed while warming up", "interval": None}
        warm[name] = result
    steps = {name: warm[name]["steps_per_round"] for name in warm}
    measured = interleave(cpu, gpu, batch, steps, plan, budget_s, min_pairs, target)
    measured["warm_up"] = warm
    return measured


def sweep_sizes(batch: int, samples: int) -> List[int]:
    """Larger first (they decide workload- from machine-bound), then smaller down to the seed's 64."""
    sizes = [batch * 4, batch // 4, batch // 16]
    return [b for b in sizes if 1 <= b <= samples and b != batch]


def compare(cpu_spec: WorkloadSpec, gpu_spec: WorkloadSpec, plan: Plan, batch: int, samples: int, timeout: float,
            needs_sweep: Callable[[Dict[str, Any]], bool]) -> Tuple[RunResult, RunResult]:
    """Measure the pair; the GPU run carries ``extra["measurement"]`` (main batch, sweep, machine noise).

    ``needs_sweep(main)`` decides from the main measurement whether the sweep runs (the
    checks' judgement: the GPU was not clearly faster).
    """
    cpu, gpu = Worker(cpu_spec, timeout), Worker(gpu_spec, timeout)
    measurement: Dict[str, Any] = {"plan": asdict(plan), "batch": batch, "sweep": []}
    try:
        for name, worker in (("cpu", cpu), ("gpu", gpu)):  # set-up (imports, data, device) is not timed
            started = time.perf_counter()
            if not worker.start():
                measurement["failed"] = name
                break
            measurement[f"{name}_setup_s"] = round(time.perf_counter() - started, 3)
            worker.child.pause()
        if "failed" not in measurement:
            pids = [w.child.proc.pid for w in (cpu, gpu) if w.child is not None]
            before = load.sample()
            main = measure_batch(cpu, gpu, batch, plan, plan.budget_s, plan.min_pairs, plan.target, plan.warmup_s)
            measurement["main"] = main
            if main.get("interval") and needs_sweep(main):
                measurement["sweep"] = sweep(cpu, gpu, main, plan, samples)
            measurement["noise"] = load.since(before, exclude=pids)
    finally:
        cpu_result, gpu_result = cpu.close(), gpu.close()
    for result, name in ((cpu_result, "cpu"), (gpu_result, "gpu")):
        result.extra["measured_with"] = "interleaved rounds"
        if "main" in measurement and measurement["main"].get(name):
            result.extra["per_step_s"] = list(measurement["main"][name].get("per_step_s") or [])
            result.extra["round_cores"] = list(measurement["main"][name].get("cores") or [])
            result.extra["measured_batch"] = batch
        result.extra["own_pids"] = [w.child.proc.pid for w in (cpu, gpu) if w.child is not None]
    measurement["cpu_threads"] = cpu_result.threads  # the baseline as measured, for replays of this run
    gpu_result.extra["measurement"] = measurement
    return cpu_result, gpu_result


def sweep(cpu: Worker, gpu: Worker, main: Dict[str, Any], plan: Plan, samples: int) -> List[Dict[str, Any]]:
    """The same pair at other batch sizes, within the sweep budget; a size too slow for it says so."""
    out: List[Dict[str, Any]] = []
    start = time.perf_counter()
    batch = int(main["batch"])
    slow = max(_median(main["cpu"]["per_step_s"]), _median(main["gpu"]["per_step_s"]))
    slow_side = "cpu" if _median(main["cpu"]["per_step_s"]) >= _median(main["gpu"]["per_step_s"]) else "gpu"
    for size in sweep_sizes(batch, samples):
        left = plan.sweep_budget_s - (time.perf_counter() - start)
        guess = slow * size / batch  # work grows at most linearly with the batch
        if left <= 0:
            out.append({"batch": size, "skipped": f"the sweep's {plan.sweep_budget_s:g} s were spent"})
            continue
        if guess > plan.step_limit_s or left < 6 * guess:
            out.append({"batch": size, "skipped": f"one step would take about {guess:.2g} s on the {slow_side} side, "
                                                  f"over this tier's limit ({min(plan.step_limit_s, left / 6):.2g} s)"})
            continue
        point = measure_batch(cpu, gpu, size, plan, left * 0.6, 4, 0.15, min(plan.warmup_s, left * 0.2))
        out.append(point)
        if point.get("failed"):
            break
    return out


def _median(values: List[float]) -> float:
    xs = sorted(v for v in values if isinstance(v, (int, float)))
    return xs[len(xs) // 2] if xs else 0.0
