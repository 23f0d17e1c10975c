"""Training suite: does real training run, and is it faster on the GPU than on the CPU?

One test per (workload, backend) comparison from ``workloads.registry``. The CPU
baseline always trains for real (a PASS row with its seconds per epoch and dataset).
With a device for the backend, the GPU run follows -- never concurrently: both device
locks are held for the pair -- and ``verdict.judge`` gives the speedup row with its
measured causes. Without one, the GPU side is a SKIP naming why (a failure under
``--dlready-require-gpu``). Every run is recorded for the saved snapshot.
"""
from __future__ import annotations

from pytest_dlready.workloads import findings as W


def _judge(cpu, gpu, facts, min_speedup, reused):
    from pytest_dlready import verdict

    note = "CPU baseline measured just before, in this session" if reused else ""
    try:
        return verdict.judge(cpu, gpu, facts, min_speedup, baseline_note=note)
    except TypeError:  # a verdict without baseline_note: the documented signature
        return verdict.judge(cpu, gpu, facts, min_speedup)


def test_training(dl_comparison, dl_run_workload, dl_device_lock, dl_check, dl_record_run, dl_facts, dl_settings):
    comp = dl_comparison
    if comp.skip:
        dl_check(W.not_run_row(comp.id, comp.skip))
        return
    locks = [comp.cpu.lock or "cpu"] + ([comp.gpu.lock or "gpu0"] if comp.gpu else [])
    with dl_device_lock(*locks):
        cpu = dl_run_workload(comp.cpu)
        gpu = dl_run_workload(comp.gpu) if comp.gpu is not None and cpu.ok else None
    reused = bool(cpu.extra.get("reused"))
    if not reused:
        dl_record_run(cpu)
    rows = W.cpu_rows(cpu) if not reused else []
    if not cpu.ok:
        dl_check(rows)
        return
    if comp.gpu is None:
        rows.append(W.gpu_skip_row(comp.workload, comp.backend, comp.gpu_skip, comp.gpu_skip_needs_gpu))
    else:
        dl_record_run(gpu)
        if not gpu.ok and gpu.extra.get("unavailable"):
            rows.append(W.unavailable_row(gpu))
        else:
            verdict_rows = W.with_throughput(_judge(cpu, gpu, dl_facts, dl_settings.min_speedup, reused), cpu, gpu)
            if W.is_standin_device(gpu) and not comp.strict:
                verdict_rows = W.as_standin(verdict_rows, gpu)
            rows.extend(verdict_rows)
    dl_check(rows)
