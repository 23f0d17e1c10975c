"""The result of one (workload, backend, device) run, live or replayed from a log.

Live runs (``runner``) and replayed logs (``replay``) both produce a ``RunResult`` so
the speedup verdict cannot tell them apart: the MacBook seed's logs and a run on this
machine are judged by the same code.
"""
from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Mapping, Optional


@dataclass
class RunResult:
    workload: str                      # "dbn-mnist", "mnist-cnn", "theano-elemwise"
    backend: str                       # "numpy", "torch", "keras-tensorflow", "gnumpy+npmat", ...
    device: str                        # requested side: "cpu" or "gpu"
    ok: bool = True
    device_used: str = ""              # verified, not assumed: "cpu", "cuda:0", "opencl:0", "mps"; "" unknown
    device_name: str = ""              # "GeForce GT 750M", "pthread-AMD EPYC ...", ...
    epoch_seconds: List[float] = field(default_factory=list)  # every epoch, warm-up included
    warmup_epochs: int = 1             # leading epochs excluded from the median
    wall_s: Optional[float] = None     # whole process wall time
    cpu_user_s: Optional[float] = None # whole process user CPU time
    cpu_sys_s: Optional[float] = None
    peak_rss_mb: Optional[float] = None
    dtype: str = ""
    batch_size: Optional[int] = None
    samples: Optional[int] = None
    dataset: str = ""                  # "mnist", "sklearn-digits-upscaled", "synthetic", "mnist (recorded log)"
    threads: Optional[int] = None      # CPU threads the run was allowed
    signals: List[str] = field(default_factory=list)      # stderr/stdout lines that reveal fallbacks etc.
    stderr_tail: List[str] = field(default_factory=list)
    error: str = ""
    source: str = "live"               # "live" or "replay:<file>"
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def timed_epochs(self) -> List[float]:
        """Epochs after warm-up; all of them if there are too few to drop any."""
        if len(self.epoch_seconds) > self.warmup_epochs:
            return self.epoch_seconds[self.warmup_epochs:]
        return list(self.epoch_seconds)

    @property
    def median_epoch(self) -> Optional[float]:
        timed = self.timed_epochs
        return statistics.median(timed) if timed else None

    @property
    def spread(self) -> Optional[float]:
        """Relative spread of timed epochs: (max - min) / median."""
        timed = self.timed_epochs
        med = self.median_epoch
        if not timed or not med:
            return None
        return (max(timed) - min(timed)) / med

    @property
    def label(self) -> str:
        return f"{self.workload}[{self.backend}, {self.device}]"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "RunResult":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)
