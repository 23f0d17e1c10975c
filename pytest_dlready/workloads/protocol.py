"""What to run (``WorkloadSpec``) and what one (workload, backend, device) run gave (``RunResult``).

Live runs (``runner``) and replayed logs (``replay``) both produce a ``RunResult`` so
the speedup verdict cannot tell them apart: the MacBook seed's logs and a run on this
machine are judged by the same code.
"""
from __future__ import annotations

import os
import statistics
import sys
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Mapping, Optional

#: the workload scripts, run by path (never imported by the plugin)
SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts")


def script(name: str) -> str:
    """Path of the workload script ``name`` (``dbn.py``)."""
    return os.path.join(SCRIPTS, name)


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


@dataclass
class WorkloadSpec:
    """What to run: the script, its arguments and environment, in which Python."""

    workload: str
    backend: str
    device: str                               # requested side: "cpu" or "gpu"
    script: str                               # path of the workload script
    args: List[str] = field(default_factory=list)
    python: str = sys.executable
    env: Dict[str, str] = field(default_factory=dict)   # extra variables (thread limits, GNUMPY_USE_GPU, ...)
    keras_backend: Optional[str] = None       # KERAS_BACKEND for this run
    theano_device: Optional[str] = None       # "cpu" / "cuda0": sets THEANO_FLAGS and PYTENSOR_FLAGS
    cudnn: Optional[bool] = None              # Theano/PyTensor dnn.enabled
    lock: str = ""                            # device lock name ("cpu", "cuda0", "opencl0"); "" = by side
    measure_batch: Optional[int] = None       # serve-capable: measured in interleaved rounds at this batch
    threads_note: str = ""                    # how the CPU threads were chosen, for the CPU row

    @property
    def label(self) -> str:
        return f"{self.workload}[{self.backend}, {self.device}]"
