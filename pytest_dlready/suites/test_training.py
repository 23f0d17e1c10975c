"""Training suite: does real training run, and is it faster on the GPU than on the CPU?

One test per (workload, backend) comparison from ``workloads.registry``. The CPU
baseline always trains for real (a PASS row with its time per step or epoch, its BLAS
threads and dataset). With a device for the backend, a serve-capable pair (the DBN) is
measured in interleaved rounds until the speedup's interval is tight (``workloads.measure``),
other pairs run one after the other -- never concurrently: both device locks are held for
the pair -- and ``checks.speedup.judge`` gives the speedup row with its measured causes.
``--dlready-aa`` adds the A/A control: the CPU baseline measured against itself. Without one, the GPU side is a SKIP naming why (a failure under
``--dlready-require-gpu``). Every run is recorded for the saved snapshot.
"""
from __future__ import annotations

from pytest_dlready.checks import speedup, training


def _measured(comp, dl_measure_pair):
    """Both sides in interleaved rounds; the backend the probe could not rule out is tried when the first cannot run."""
    cpu, gpu = dl_measure_pair(comp.cpu, comp.gpu)
    fallback = comp.extra.get("fallback")
    if fallback is not None and not gpu.ok and (gpu.extra or {}).get("unavailable"):
        first = gpu
        cpu, gpu = dl_measure_pair(comp.cpu, fallback)
        gpu.extra["tried_first"] = f"{first.backend}: {first.error}"
    return cpu, gpu


def test_training(dl_comparison, dl_run_workload, dl_measure_pair, dl_device_lock, dl_check, dl_record_run,
                  dl_facts, dl_settings, _dl_cpu_rows_shown):
    comp = dl_comparison
    if comp.skip:
        dl_check(training.not_run_row(comp.id, comp.skip))
        return
    locks = [comp.cpu.lock or "cpu"] + ([comp.gpu.lock or "gpu0"] if comp.gpu else [])
    measured = comp.gpu is not None and comp.cpu.measure_batch and comp.gpu.measure_batch
    aa = None
    with dl_device_lock(*locks):
        if measured:
            cpu, gpu = _measured(comp, dl_measure_pair)
        else:
            cpu = dl_run_workload(comp.cpu)
            gpu = dl_run_workload(comp.gpu) if comp.gpu is not None and cpu.ok else None
        key = comp.cpu.label + comp.cpu.python
        if dl_settings.aa and comp.cpu.measure_batch and key not in _dl_cpu_rows_shown:
            _a, aa = dl_measure_pair(comp.cpu, comp.cpu, sweep=False)
    # a CPU baseline shared by several comparisons shows its row once
    reused = bool(cpu.extra.get("reused")) or key in _dl_cpu_rows_shown
    _dl_cpu_rows_shown.add(key)
    if not reused:
        dl_record_run(cpu)
    if gpu is not None:
        dl_record_run(gpu)
    rows = training.pair_rows(cpu, gpu, dl_facts, dl_settings.min_speedup, strict=comp.strict, include_cpu=not reused)
    if aa is not None:
        rows += speedup.judge_aa(aa)
    if cpu.ok and comp.gpu is None:
        rows.append(training.gpu_skip_row(comp.workload, comp.backend, comp.gpu_skip, comp.gpu_skip_needs_gpu))
    dl_check(rows)
