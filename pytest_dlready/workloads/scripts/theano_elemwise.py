"""The Windows seed's ``cpu_gpu_test.py``: Theano ``exp`` over 230,400 floats, 1000 times.

The guide ran this program from Theano's documentation three times, with
``THEANO_FLAGS_CPU`` / ``THEANO_FLAGS_GPU`` / ``THEANO_FLAGS_GPU_DNN``, and read the
answer from its last line: "Used the cpu" or "Used the gpu" (16.0 s on the CPU, 0.29 s
on a Titan X). This script keeps the program and its output lines verbatim and adds the
protocol: each repeat of the 1000-call loop is an "epoch", and ``device_used`` comes from
the same op-name check the seed used (an ``Elemwise`` whose class name lacks ``Gpu``
means the CPU did the work), so a ``device=cuda0`` run that Theano quietly compiled
for the CPU -- it does so when pygpu is missing, after one ERROR log line -- is caught.

Runs wherever Theano is installed (the py37-keras2 legacy environment); stays
Python 2.7-compatible and imports nothing from pytest_dlready (see script_io.py).
"""
from __future__ import absolute_import, division, print_function

import argparse
import logging
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import script_io  # noqa: E402  (sibling, 2.7-compatible)
script_io.die_with_parent()  # a killed runner takes its workload with it

VLEN = 10 * 30 * 768  # the seed's "10 x #cores x # threads per core"
ITERS = 1000

#: The guide's three flag sets (its Windows include/library paths become CUDA_HOME's, when set).
PRESETS = {
    "cpu": "floatX=float32,device=cpu",
    "gpu": "floatX=float32,device=cuda0,dnn.enabled=False,gpuarray.preallocate=0.8",
    "gpu-dnn": "floatX=float32,device=cuda0,optimizer_including=cudnn,gpuarray.preallocate=0.8,"
               "dnn.conv.algo_bwd_filter=deterministic,dnn.conv.algo_bwd_data=deterministic",
}
#: Keys the presets own; the same keys in the caller's THEANO_FLAGS are dropped, the rest kept.
PRESET_KEYS = ("floatX", "device", "dnn.", "optimizer_including", "gpuarray.")


def theano_flags(device, inherited, cuda_home=None):
    """The THEANO_FLAGS for ``device``: the caller's unrelated flags (compiledir, blas) + the preset."""
    kept = []
    for item in (inherited or "").split(","):
        key = item.split("=", 1)[0].strip()
        if item.strip() and not any(key == k or (k.endswith(".") and key.startswith(k)) for k in PRESET_KEYS):
            kept.append(item.strip())
    preset = PRESETS[device]
    if device == "gpu-dnn" and cuda_home:
        lib = "lib64" if os.path.isdir(os.path.join(cuda_home, "lib64")) else os.path.join("lib", "x64")
        preset += ",dnn.include_path=%s,dnn.library_path=%s" % (
            os.path.join(cuda_home, "include"), os.path.join(cuda_home, lib))
    return ",".join(kept + [preset])


class Collect(logging.StreamHandler):
    """Keep Theano's warnings and errors (pygpu missing, no BLAS, no g++) as signals.

    Theano installs its own stderr handler only when no logger up the hierarchy has one,
    so this handler also prints, in Theano's own format: the output stays as users see it.
    """

    def __init__(self):
        logging.StreamHandler.__init__(self, sys.stderr)
        self.setFormatter(logging.Formatter("%(levelname)s (%(name)s): %(message)s"))
        self.lines = []

    def emit(self, record):
        logging.StreamHandler.emit(self, record)
        if record.levelno < logging.WARNING:
            return
        try:
            msg = record.getMessage().strip()
        except Exception:
            msg = str(record.msg)
        self.lines.append("%s (%s): %s" % (record.levelname, record.name, msg.splitlines()[0] if msg else ""))




def used_gpu(fgraph_nodes, tensor):
    """The seed's verdict: any CPU ``Elemwise`` in the compiled graph means the CPU did the work."""
    return not any(isinstance(node.op, tensor.Elemwise) and "Gpu" not in type(node.op).__name__
                   for node in fgraph_nodes)


def gpu_context_name():
    try:
        from theano.gpuarray.type import get_context

        ctx = get_context(None)
        return getattr(ctx, "devname", "") or ""
    except Exception:
        return ""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--result", required=True)
    ap.add_argument("--device", default="cpu", choices=sorted(PRESETS),
                    help="the guide's THEANO_FLAGS_CPU / THEANO_FLAGS_GPU / THEANO_FLAGS_GPU_DNN")
    ap.add_argument("--iters", type=int, default=ITERS)
    ap.add_argument("--vlen", type=int, default=VLEN)
    ap.add_argument("--epochs", type=int, default=3, help="repeats of the timed loop, warm-up included")
    ap.add_argument("--warmup", type=int, default=1)
    args = ap.parse_args(argv)

    flags = theano_flags(args.device, os.environ.get("THEANO_FLAGS", ""),
                         os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH"))
    os.environ["THEANO_FLAGS"] = flags
    info = {
        "workload": "theano-elemwise", "backend": "theano" + ("+cudnn" if args.device == "gpu-dnn" else ""),
        "device": "cpu" if args.device == "cpu" else "gpu", "dtype": "float32", "samples": args.vlen,
        "warmup_epochs": args.warmup, "dataset": "synthetic", "signals": [],
        "extra": {"theano_flags": flags, "iters": args.iters, "vlen": args.vlen, "python": sys.version.split()[0]},
    }
    collect = Collect()
    logging.getLogger("theano").addHandler(collect)
    try:
        import numpy
        import theano
        from theano import config, function, shared, tensor
    except Exception as exc:
        info["signals"] = collect.lines
        script_io.unavailable(args.result, info, "cannot import theano with THEANO_FLAGS=%s: %s: %s" % (
            flags, type(exc).__name__, exc))

    info["extra"].update(theano_version=theano.__version__, config_device=str(config.device),
                         cxx=str(config.cxx), blas_ldflags=str(config.blas.ldflags),
                         openmp=bool(config.openmp), numpy_version=numpy.__version__)
    rng = numpy.random.RandomState(22)
    x = shared(numpy.asarray(rng.rand(args.vlen), config.floatX))
    start = time.time()
    f = function([], tensor.exp(x))
    info["extra"]["compile_seconds"] = time.time() - start
    nodes = f.maker.fgraph.toposort()
    print(nodes)
    info["extra"]["ops"] = [str(n) for n in nodes]
    info["dtype"] = str(config.floatX)

    epoch_seconds = []
    r = None
    for epoch in range(1, args.epochs + 1):
        t0 = time.time()
        for _ in range(args.iters):
            r = f()
        t1 = time.time()
        print("Looping %d times took %f seconds" % (args.iters, t1 - t0))
        epoch_seconds.append(t1 - t0)
        script_io.emit_epoch(epoch, t1 - t0)
    print("Result is %s" % (r,))
    on_gpu = used_gpu(nodes, tensor)
    print("Used the gpu" if on_gpu else "Used the cpu")

    if on_gpu:
        info.update(device_used="cuda:0", device_name=gpu_context_name())
    else:
        info.update(device_used="cpu", device_name=script_io.cpu_name(), threads=1)  # Elemwise is one thread unless openmp
        if args.device != "cpu":
            info["extra"]["silent_cpu_fallback"] = True
    info["signals"] = collect.lines
    info["epoch_seconds"] = epoch_seconds
    info["extra"]["result_head"] = [float(v) for v in numpy.asarray(r).ravel()[:3]]
    script_io.write_result(args.result, info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
