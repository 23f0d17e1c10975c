"""A runner's GPU policy (compute capability, memory, vendor, count) judged as one row.

The same judgement as the ``gpu`` marker (``markers.evaluate_gpu``), so a policy in
``pyproject.toml`` and a marker in a test can never disagree about the same GPU.
"""
from __future__ import annotations

from typing import Any, List, Mapping, Optional, Tuple

from ..facts import describe_gpu, gpu_list
from . import markers
from . import guard
from ..catalogue import define, fix_for
from ..results import Finding, fail, passed, skip

POLICY = define("DLR-POLICY-GPU", "GPUs do not meet the runner's policy",
                "run this job on a node whose GPUs meet the policy, or relax dlready_min_compute / dlready_min_memory_gb / dlready_gpu_vendor / dlready_min_gpus")


@guard("GPU policy")
def check_policy(facts: Mapping[str, Any], min_gpus: int = 1, vendor: Optional[str] = None,
                 min_compute: Optional[Tuple[int, int]] = None, min_memory_gb: Optional[float] = None,
                 require_gpu: bool = False) -> List[Finding]:
    parts = []
    if vendor:
        parts.append(f"vendor {vendor}")
    if min_compute:
        parts.append(f"compute ≥ {min_compute[0]}.{min_compute[1]}")
    if min_memory_gb:
        parts.append(f"≥ {min_memory_gb:g} GB each")
    count = max(1, int(min_gpus or 1)) if require_gpu else 1
    if not parts and count <= 1:
        return [skip("GPU policy", "no GPU policy set (--dlready-min-compute, --dlready-min-memory-gb, --dlready-gpu-vendor, --dlready-min-gpus)")]
    policy = f"{count} GPU(s)" + (", " + ", ".join(parts) if parts else "")
    gpus = gpu_list(facts)
    compute = f"{min_compute[0]}.{min_compute[1]}" if min_compute else None
    verdict = markers.evaluate_gpu(facts, count=count, vendor=vendor, min_compute=compute, min_memory_gb=min_memory_gb)
    if verdict is None:
        names = ", ".join(describe_gpu(g) for g in gpus)
        return [passed("GPU policy", f"policy {policy}: met by {names}")]
    if not gpus and not require_gpu:
        return [skip("GPU policy", f"policy {policy}: {verdict.reason}", needs_gpu=True)]
    return [fail("GPU policy", f"policy {policy}: {verdict.reason}", code=POLICY, fix=fix_for(POLICY), policy=policy)]
