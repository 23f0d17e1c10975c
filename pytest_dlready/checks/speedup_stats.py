"""A speedup with its uncertainty: the interval of a ratio of noisy timings, and what it allows one to say.

Pure and dependency-free (no numpy: the plugin judges on a bare machine). Three ways to
get an interval, from the best evidence to the weakest:

* ``paired``: interleaved rounds (CPU round, GPU round, alternately), the speedup of each
  pair ``cpu_per_step / gpu_per_step``; their trimmed geometric mean, with a bootstrap
  95 % interval over the pairs. Interleaving makes both sides see the same machine weather.
* ``unpaired``: epochs of two sequential runs (a replayed log, a legacy stack); the ratio
  of the two trimmed means, bootstrapped independently and widened by the clock's
  resolution (nolearn prints whole seconds).
* ``single``: one whole-run wall time each (a log holding only a ``time`` block): no
  spread can be measured, so a fixed ``SINGLE_RUN_MARGIN`` stands for run-to-run variation.

``outcome`` turns an interval into what may be said: faster, slower, below the required
minimum, no difference, or inconclusive. A difference is only claimed when the whole
interval clears an equivalence band of ``MARGIN`` around 1: an A/A comparison (the same
thing on both sides) then reads "no difference" unless the machine itself is biased.
"""
from __future__ import annotations

import math
import random
import statistics
from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Optional, Sequence

#: a ratio within 15 % of 1 is "no difference": two processes of the very same workload, interleaved
#: on this 2-core VM, differed by up to 13 % with tight intervals (memory placement, caches), so a
#: smaller band would let an A/A comparison claim a difference. A real GPU gain is far outside it.
MARGIN = 0.15
#: the interval is tight enough when its half-width is within 10 % of the estimate
TARGET_HALF_WIDTH = 0.10
#: one run of each side: the run-to-run variation assumed when none can be measured
SINGLE_RUN_MARGIN = 0.25
LEVEL = 0.95
RESAMPLES = 2000
TRIM = 0.1

FASTER, SLOWER, BELOW_MIN, EQUIVALENT, INCONCLUSIVE = "faster", "slower", "below-min", "equivalent", "inconclusive"


@dataclass(frozen=True)
class Interval:
    """``ratio`` (CPU time / GPU time: > 1 means the GPU is faster) and its interval ``lo``..``hi``."""

    ratio: float
    lo: float
    hi: float
    n: int
    method: str               # "paired rounds", "epochs of two runs", "one run each"
    level: float = LEVEL

    @property
    def half_width(self) -> float:
        """Relative half-width of the interval (0.1 = +-10 %)."""
        if self.lo <= 0 or self.hi <= 0:
            return float("inf")
        return math.sqrt(self.hi / self.lo) - 1.0

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data["half_width"] = round(self.half_width, 4) if math.isfinite(self.half_width) else None
        return data


def trimmed_mean(values: Sequence[float], trim: float = TRIM) -> float:
    """Mean of the values with ``trim`` of them cut from each end (one disturbed round cannot set it)."""
    xs = sorted(values)
    if not xs:
        raise ValueError("no values")
    cut = int(len(xs) * trim)
    kept = xs[cut:len(xs) - cut] or xs
    return sum(kept) / len(kept)


def _percentiles(samples: List[float], level: float) -> tuple:
    samples.sort()
    lo_i = int(math.floor((1 - level) / 2 * (len(samples) - 1)))
    hi_i = int(math.ceil((1 + level) / 2 * (len(samples) - 1)))
    return samples[lo_i], samples[hi_i]


def bootstrap(values: Sequence[float], level: float = LEVEL, resamples: int = RESAMPLES, seed: int = 0) -> tuple:
    """Percentile bootstrap interval of the trimmed mean of ``values`` (deterministic: seeded)."""
    rng = random.Random(seed)
    n = len(values)
    stats = [trimmed_mean([values[rng.randrange(n)] for _ in range(n)]) for _ in range(resamples)]
    return _percentiles(stats, level)


def _clean(values: Sequence[Any]) -> List[float]:
    return [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 and math.isfinite(v)]


def paired(cpu_per_step: Sequence[float], gpu_per_step: Sequence[float], level: float = LEVEL) -> Optional[Interval]:
    """Interval of the speedup from interleaved rounds (one pair per CPU/GPU round); None below 3 pairs."""
    pairs = [(c, g) for c, g in zip(_clean(cpu_per_step), _clean(gpu_per_step))]
    if len(pairs) < 3:
        return None
    logs = [math.log(c / g) for c, g in pairs]
    lo, hi = bootstrap(logs, level)
    return Interval(math.exp(trimmed_mean(logs)), math.exp(lo), math.exp(hi), len(pairs), "paired rounds", level)


def unpaired(cpu_units: Sequence[float], gpu_units: Sequence[float], cpu_resolution: float = 0.0,
             gpu_resolution: float = 0.0, level: float = LEVEL) -> Optional[Interval]:
    """Interval of the speedup from the timed units (epochs) of two separate runs; None without any.

    A printed clock of resolution ``r`` hides up to ``r / 2`` of every unit: the interval is
    widened by that share of each side's mean, so 4-second epochs printed to the second are
    not mistaken for exact ones.
    """
    cpu, gpu = _clean(cpu_units), _clean(gpu_units)
    if not cpu or not gpu:
        return None
    c_mean, g_mean = trimmed_mean(cpu), trimmed_mean(gpu)
    if len(cpu) >= 2:
        c_lo, c_hi = bootstrap(cpu, level, seed=1)
    else:
        c_lo = c_hi = c_mean
    if len(gpu) >= 2:
        g_lo, g_hi = bootstrap(gpu, level, seed=2)
    else:
        g_lo = g_hi = g_mean
    c_res, g_res = max(cpu_resolution, 0.0) / 2, max(gpu_resolution, 0.0) / 2
    c_lo, c_hi = max(c_lo - c_res, c_mean * 0.01), c_hi + c_res
    g_lo, g_hi = max(g_lo - g_res, g_mean * 0.01), g_hi + g_res
    if len(cpu) < 2 or len(gpu) < 2:  # one unit on a side: no spread measured there
        c_lo, c_hi = min(c_lo, c_mean / (1 + SINGLE_RUN_MARGIN)), max(c_hi, c_mean * (1 + SINGLE_RUN_MARGIN))
    return Interval(c_mean / g_mean, c_lo / g_hi, c_hi / g_lo, min(len(cpu), len(gpu)), "epochs of two runs", level)


def single(cpu_seconds: float, gpu_seconds: float) -> Optional[Interval]:
    """The speedup from one whole run each, with ``SINGLE_RUN_MARGIN`` for the variation nobody measured."""
    cpu, gpu = _clean([cpu_seconds]), _clean([gpu_seconds])
    if not cpu or not gpu:
        return None
    ratio = cpu[0] / gpu[0]
    spread = (1 + SINGLE_RUN_MARGIN) ** 2  # each side may be off by the margin
    return Interval(ratio, ratio / spread, ratio * spread, 1, "one run each")


def outcome(interval: Interval, min_speedup: float = 1.0, margin: float = MARGIN) -> str:
    """What the interval allows one to say about the GPU against the required ``min_speedup``.

    faster: the whole interval is above the minimum and clear of "no difference";
    slower: the whole interval is below 1 and clear of "no difference" (a FAIL must be certain);
    below-min: certainly faster than the CPU, certainly short of the minimum;
    equivalent: the whole interval lies within the no-difference band;
    inconclusive: anything else (the machine was too noisy, or the run too short, to tell).
    """
    band_hi, band_lo = 1.0 + margin, 1.0 / (1.0 + margin)
    if interval.lo > max(min_speedup, band_hi):
        return FASTER
    if interval.hi < band_lo:
        return SLOWER
    if interval.lo > band_hi and interval.hi < min_speedup:
        return BELOW_MIN
    if band_lo <= interval.lo and interval.hi <= band_hi:
        return EQUIVALENT
    return INCONCLUSIVE


def from_dict(data: Any) -> Optional[Interval]:
    """An ``Interval`` back from its ``to_dict`` (a saved measurement); None when it is not one."""
    if not isinstance(data, dict):
        return None
    try:
        iv = Interval(float(data["ratio"]), float(data["lo"]), float(data["hi"]), int(data.get("n") or 0),
                      str(data.get("method") or "paired rounds"), float(data.get("level") or LEVEL))
    except (KeyError, TypeError, ValueError):
        return None
    ok = all(math.isfinite(v) and v > 0 for v in (iv.ratio, iv.lo, iv.hi)) and iv.lo <= iv.ratio <= iv.hi
    return iv if ok else None


def noise_floor(interval: Interval) -> float:
    """How far from 1 an A/A interval reaches (0.04 = the machine cannot resolve differences under 4 %)."""
    return max(abs(math.log(interval.lo)), abs(math.log(interval.hi)), abs(math.log(interval.ratio)))


def tight_enough(interval: Optional[Interval], target: float = TARGET_HALF_WIDTH) -> bool:
    return interval is not None and interval.half_width <= target


def spread(values: Sequence[float]) -> Optional[float]:
    """Relative spread of timings: (max - min) / median."""
    xs = _clean(values)
    if not xs:
        return None
    med = statistics.median(xs)
    return (max(xs) - min(xs)) / med if med else None


def describe(interval: Interval) -> str:
    """``3.02x faster (95 % CI 2.91-3.14, 40 rounds)`` / ``1.12x slower (...)``, as hyperfine says it."""
    level = f"{interval.level * 100:.0f} % CI"
    unit = {"paired rounds": "rounds", "epochs of two runs": "epochs", "one run each": "run"}.get(interval.method, "")
    count = f"{interval.n} {unit}" if unit != "run" else "one run each, no spread measured"
    if interval.ratio >= 1:
        return f"{interval.ratio:.2f}x faster ({level} {interval.lo:.2f}–{interval.hi:.2f}x, {count})"
    return (f"{1 / interval.ratio:.2f}x slower ({level} {1 / interval.hi:.2f}–{1 / interval.lo:.2f}x slower, {count})")
