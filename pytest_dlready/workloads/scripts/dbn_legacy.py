"""The MacBook seed's DBN, run for real: nolearn 0.5's ``DBN`` on gdbn on gnumpy, Python 2.7.

The seed trained ``DBN([784, 300, 10], learn_rates=0.3, learn_rate_decays=0.9, epochs=10,
verbose=1)`` (fine-tune only; nolearn's defaults: minibatch 64, Nesterov momentum 0.9,
L2 1e-4, ReLU hidden, softmax out) on 46,900 MNIST images and saw the "GPU" run take twice
as long. This script runs exactly that code, so nolearn's own ``Epoch 1:`` / ``loss`` /
``err`` / ``(0:00:04)`` lines reach stdout, plus the protocol's ``DLREADY-EPOCH`` lines.

The device is *verified*, not assumed: gnumpy decides at import between cudamat (GPU)
and npmat (its pure-numpy CPU stand-in), from ``GNUMPY_USE_GPU`` (auto|yes|no):

* ``auto`` and no cudamat: it prints "gnumpy: failed to import cudamat. Using npmat
  instead. No GPU will be used." and trains on the CPU -- a "GPU" run that silently ran
  on the CPU. The result says ``device_used: cpu`` and carries the line as a signal.
* ``yes`` and no cudamat: the import fails; that is reported as unavailable, with why.
* ``--device cpu`` sets ``GNUMPY_USE_GPU=no`` (the CPU baseline, as the seed's first run).

Runs on Python 2.7 (gnumpy 0.2 is Python 2 only) and must stay 2.7-compatible; it imports
nothing from pytest_dlready, only its siblings script_io.py and data.py, by path.
"""
from __future__ import absolute_import, division, print_function

import argparse
import multiprocessing
import os
import sys
import time

sys.dont_write_bytecode = True  # Python 2.7 would leave .pyc files beside the package's scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import script_io  # noqa: E402  (sibling, 2.7-compatible)
script_io.die_with_parent()  # a killed runner takes its workload with it

LAYERS = [784, 300, 10]
FALLBACK_LINE = "gnumpy: failed to import cudamat. Using npmat instead. No GPU will be used."
GPU_LOCK_LINE = "gnumpy: failed to use gpu_lock. Using board #0 without knowing whether it is in use or not."


class Tee(object):
    """Copy what a library prints to stdout into a list while still printing it.

    gnumpy reports its CPU fallback with a bare ``print`` at import time; the script needs
    that line as evidence and the runner must still see it in the output.
    """

    def __init__(self, stream):
        self.stream = stream
        self.lines = []
        self._partial = ""

    def write(self, text):
        self.stream.write(text)
        self._partial += text
        while "\n" in self._partial:
            line, self._partial = self._partial.split("\n", 1)
            self.lines.append(line)

    def flush(self):
        self.stream.flush()

    def __getattr__(self, name):
        return getattr(self.stream, name)




def blas_threads():
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return multiprocessing.cpu_count()


def import_gnumpy(info):
    """Import gnumpy as the environment asks and record which matrix library it really took."""
    tee = Tee(sys.stdout)
    sys.stdout = tee
    try:
        import gnumpy
    finally:
        sys.stdout = tee.stream
    signals = [l.strip() for l in tee.lines if l.strip().startswith("gnumpy:")]
    library = getattr(getattr(gnumpy, "_cudamat", None), "__name__", "")
    on_gpu = getattr(gnumpy, "_useGpu", "") == "yes" and library == "cudamat"
    info["extra"].update(gnumpy_use_gpu=getattr(gnumpy, "_useGpu", ""), matrix_library=library,
                         gnumpy_env=os.environ.get("GNUMPY_USE_GPU", "auto"))
    info["signals"].extend(signals)
    if not on_gpu:
        precision = os.environ.get("GNUMPY_CPU_PRECISION", "32")
        info["dtype"] = "float%s" % precision
        info["extra"]["gnumpy_cpu_precision"] = precision
    return gnumpy, on_gpu


def gpu_board_name(gnumpy):
    """The CUDA device cudamat uses; cudamat itself has no name query, so ask the runtime via ctypes."""
    try:
        import ctypes

        for lib in ("libcudart.so", "libcudart.dylib", "cudart64_80.dll"):
            try:
                cudart = ctypes.CDLL(lib)
                break
            except OSError:
                continue
        else:
            return ""
        dev = ctypes.c_int(0)
        cudart.cudaGetDevice(ctypes.byref(dev))
        buf = ctypes.create_string_buffer(1024)  # cudaDeviceProp starts with char name[256]
        if cudart.cudaGetDeviceProperties(buf, dev) == 0:
            return buf.value.decode("ascii", "replace")
    except Exception:
        pass
    return ""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--result", required=True)
    ap.add_argument("--device", default="cpu", choices=("cpu", "gpu"),
                    help="cpu: GNUMPY_USE_GPU=no; gpu: keep GNUMPY_USE_GPU (default auto, as the seed ran)")
    script_io.add_dbn_arguments(ap)
    args = ap.parse_args(argv)

    backend = "gnumpy+npmat" if args.device == "cpu" else "gnumpy+cudamat"
    info = {
        "workload": "dbn-mnist", "backend": backend, "device": args.device, "dtype": "float32",
        "batch_size": args.batch_size, "warmup_epochs": args.warmup, "signals": [],
        "extra": {"layers": list(LAYERS), "python": sys.version.split()[0], "trainer": "nolearn.dbn.DBN"},
    }
    if args.device == "cpu":
        os.environ["GNUMPY_USE_GPU"] = "no"
    try:
        gnumpy, on_gpu = import_gnumpy(info)
        import numpy
        import nolearn
        from nolearn.dbn import DBN
    except Exception as exc:  # GNUMPY_USE_GPU=yes without cudamat, or a broken environment
        script_io.unavailable(args.result, info, "cannot import gnumpy/nolearn with GNUMPY_USE_GPU=%s: %s: %s" % (
            os.environ.get("GNUMPY_USE_GPU", "auto"), type(exc).__name__, exc))
    info["extra"].update(numpy_version=numpy.__version__,
                         nolearn_version=getattr(nolearn, "__version__", "") or _dist_version("nolearn"))
    if on_gpu:
        info.update(device_used="cuda:0", device_name=gpu_board_name(gnumpy))
    else:
        info.update(device_used="cpu", device_name=script_io.cpu_name(), threads=blas_threads())
        if args.device == "gpu":
            # the seed's trap, measured: the "GPU" run trains on npmat
            info["extra"]["silent_cpu_fallback"] = True

    data = script_io.load_sibling("data")
    x, y, dataset = data.load(args.samples, seed=args.seed)
    info.update(samples=int(x.shape[0]), dataset=dataset)
    print("[X] data: %s %s" % (dataset, x.shape,))
    numpy.random.seed(args.seed)  # nolearn 0.5 rejects random_state (it raises for any value)

    epoch_seconds = []
    clock = {"t": None}

    def on_epoch(net, epoch):
        now = time.time()
        epoch_seconds.append(now - clock["t"])
        loss = net.losses_fine_tune_[-1] if net.losses_fine_tune_ else None
        script_io.emit_epoch(epoch, epoch_seconds[-1], loss, err=float(net.errors_fine_tune_[-1]))
        clock["t"] = time.time()  # the callback's own printing is not part of the next epoch

    net = DBN(LAYERS, learn_rates=args.learn_rate, learn_rate_decays=args.decay, epochs=args.epochs,
              minibatch_size=args.batch_size, verbose=1, fine_tune_callback=on_epoch)
    clock["t"] = time.time()
    try:
        net.fit(x, y)
    except Exception as exc:  # e.g. cudamat running out of GPU memory: a real failure, not a skip
        info.update(ok=False, error="%s: %s" % (type(exc).__name__, exc), epoch_seconds=epoch_seconds)
        script_io.write_result(args.result, info)
        return 1
    sys.stdout.flush()
    check = min(len(x), 2000)
    accuracy = float(numpy.mean(net.predict(x[:check]) == y[:check]))
    info["epoch_seconds"] = epoch_seconds
    info["extra"].update(losses=[float(v) for v in net.losses_fine_tune_],
                         errors=[float(v) for v in net.errors_fine_tune_],
                         train_accuracy=accuracy,
                         minibatches_per_epoch=int(x.shape[0] // args.batch_size))
    script_io.write_result(args.result, info)
    return 0


def _dist_version(name):
    try:
        import pkg_resources

        return pkg_resources.get_distribution(name).version
    except Exception:
        return ""


if __name__ == "__main__":
    sys.exit(main())
