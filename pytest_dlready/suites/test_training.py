"""Training suite: does real training run, and is it faster on the GPU than on the CPU?

One test per (workload, backend) comparison from ``workloads.registry``. The CPU
baseline always trains for real (a PASS row with its seconds per epoch and dataset).
With a device for the backend, the GPU run follows -- never concurrently: both device
locks are held for the pair -- and ``checks.speedup.judge`` gives the speedup row with its
measured causes. Without one, the GPU side is a SKIP naming why (a failure under
``--dlready-require-gpu``). Every run is recorded for the saved snapshot.
"""
from __future__ import annotations

from pytest_dlready.checks import training


def test_training(dl_comparison, dl_run_workload, dl_device_lock, dl_check, dl_record_run, dl_facts, dl_settings):
    comp = dl_comparison
    if comp.skip:
        dl_check(training.not_run_row(comp.id, comp.skip))
        return
    locks = [comp.cpu.lock or "cpu"] + ([comp.gpu.lock or "gpu0"] if comp.gpu else [])
    with dl_device_lock(*locks):
        cpu = dl_run_workload(comp.cpu)
        gpu = dl_run_workload(comp.gpu) if comp.gpu is not None and cpu.ok else None
    reused = bool(cpu.extra.get("reused"))  # measured by an earlier test of this session: its row is there already
    if not reused:
        dl_record_run(cpu)
    if gpu is not None:
        dl_record_run(gpu)
    rows = training.pair_rows(cpu, gpu, dl_facts, dl_settings.min_speedup, strict=comp.strict, include_cpu=not reused)
    if cpu.ok and comp.gpu is None:
        rows.append(training.gpu_skip_row(comp.workload, comp.backend, comp.gpu_skip, comp.gpu_skip_needs_gpu))
    dl_check(rows)
