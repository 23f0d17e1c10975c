"""The Windows seed's ``mnist_cnn.py`` on multi-backend Keras 2: Theano, TensorFlow 1.x, CNTK.

The guide trained Keras' example convnet (Conv 32 -> Conv 64 -> MaxPool -> Dropout ->
Dense 128 -> Dropout -> softmax, Adadelta, batch 128) with each backend and read the
speed off Keras' epoch lines (Theano: 233 s on the CPU, 47 s on the GPU without cuDNN,
16 s with it; TensorFlow 5 s; CNTK 7 s per epoch). This script builds that model
verbatim and verifies where it really ran, per backend:

* theano -- the compiled training function's ops: any CPU ``Elemwise`` means the CPU did
  the work (the seed's check); the convolution op says whether cuDNN was used
  (``GpuDnnConv``) or not (``GpuCorrMM`` / ``CorrMM``);
* tensorflow -- a traced step's ``RunMetadata.step_stats``: the devices that ran ops;
* cntk -- ``cntk.device.try_set_default_device(gpu(0))`` before building, then
  ``use_default_device()``.

``--device gpu`` that cannot get a GPU ends as "unavailable" with the backend's own
message, except where the backend silently falls back (Theano without pygpu): then the
run proceeds and the result says ``device_used: cpu``. Python 2.7-compatible, imports
nothing from pytest_dlready (see script_io.py).
"""
from __future__ import absolute_import, division, print_function

import argparse
import logging
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import script_io  # noqa: E402  (sibling, 2.7-compatible)
script_io.die_with_parent()  # a killed runner takes its workload with it

THEANO_PRESETS = {
    "cpu": "floatX=float32,device=cpu",
    "gpu": "floatX=float32,device=cuda0,dnn.enabled=False,gpuarray.preallocate=0.8",
    "gpu-dnn": "floatX=float32,device=cuda0,optimizer_including=cudnn,gpuarray.preallocate=0.8,"
               "dnn.conv.algo_bwd_filter=deterministic,dnn.conv.algo_bwd_data=deterministic",
}


#: Log lines that are API-deprecation chatter (TF 1.15 emits dozens), not readiness signals.
NOISE = ("is deprecated", "deprecated and will be removed", "Instructions for updating")


class Collect(logging.Handler):
    """Warnings/errors a backend logs or warns while importing or compiling (pygpu missing,
    "CNTK backend warning: GPU is not detected"), kept as signals for the verdict."""

    def __init__(self):
        logging.Handler.__init__(self, logging.WARNING)
        self.lines = []

    def add(self, line):
        line = line.strip()
        if line and not any(n in line for n in NOISE) and line not in self.lines:
            self.lines.append(line)

    def emit(self, record):
        try:
            msg = record.getMessage().strip()
        except Exception:
            msg = str(record.msg)
        self.add("%s (%s): %s" % (record.levelname, record.name, msg.splitlines()[0] if msg else ""))

    def hook_warnings(self):
        """Record Python warnings too, then show them as usual."""
        original = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            self.add("%s: %s" % (category.__name__, str(message).strip().splitlines()[0] if str(message).strip() else ""))
            return original(message, category, filename, lineno, file, line)

        warnings.showwarning = show


class Echo(logging.StreamHandler):
    """For Theano's logger: Theano adds its own stderr handler only when no logger up the
    hierarchy has one, so the collector must print its lines, in Theano's format, itself."""

    def __init__(self, collect):
        logging.StreamHandler.__init__(self, sys.stderr)
        self.setFormatter(logging.Formatter("%(levelname)s (%(name)s): %(message)s"))
        self.collect = collect

    def emit(self, record):
        logging.StreamHandler.emit(self, record)
        if record.levelno >= logging.WARNING:
            self.collect.emit(record)




def configure_backend(backend, device):
    """Environment the backend reads at import: KERAS_BACKEND, THEANO_FLAGS, TF's log level."""
    os.environ["KERAS_BACKEND"] = backend
    if backend == "theano":
        inherited = [f for f in os.environ.get("THEANO_FLAGS", "").split(",")
                     if f.strip() and f.split("=", 1)[0].strip() not in ("floatX", "device")
                     and not f.strip().startswith(("dnn.", "gpuarray.", "optimizer_including"))]
        os.environ["THEANO_FLAGS"] = ",".join(inherited + [THEANO_PRESETS[device]])
    if backend == "tensorflow" and device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # the CPU side must not use a GPU TF would pick by default
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")


def prepare_cntk(device, info):
    import cntk

    info["extra"]["cntk_version"] = cntk.__version__
    if device != "cpu":
        try:
            ok = cntk.device.try_set_default_device(cntk.device.gpu(0))
        except Exception as exc:
            raise LookupError("cntk %s cannot use GPU 0: %s" % (cntk.__version__, str(exc).strip().splitlines()[0]))
        if not ok:
            raise LookupError("cntk %s: try_set_default_device(gpu(0)) returned False" % cntk.__version__)
    else:
        cntk.device.try_set_default_device(cntk.device.cpu())


def prepare_tensorflow(device, info):
    import tensorflow as tf

    info["extra"]["tensorflow_version"] = tf.__version__
    if device != "cpu":
        from tensorflow.python.client import device_lib

        gpus = [d.name for d in device_lib.list_local_devices() if d.device_type == "GPU"]
        if not gpus:
            built = "with CUDA" if tf.test.is_built_with_cuda() else "without CUDA (a CPU-only wheel)"
            raise LookupError("tensorflow %s, built %s, lists no GPU device" % (tf.__version__, built))


def verify_theano(model, info, collect):
    """Where the compiled training function runs, and which convolution it uses."""
    from theano import tensor

    model._make_train_function()
    fn = getattr(model.train_function, "function", None)
    nodes = fn.maker.fgraph.toposort() if fn is not None else []
    names = [type(n.op).__name__ for n in nodes]
    cpu_elemwise = any(isinstance(n.op, tensor.Elemwise) and "Gpu" not in type(n.op).__name__ for n in nodes)
    convs = sorted(set(n for n in names if "Conv" in n or "Corr" in n))
    info["extra"].update(conv_ops=convs, gpu_ops=sum(1 for n in names if "Gpu" in n), ops=len(names))
    if nodes and not cpu_elemwise:
        info["device_used"] = "cuda:0"
        try:
            from theano.gpuarray.type import get_context

            info["device_name"] = getattr(get_context(None), "devname", "") or ""
        except Exception:
            pass
        info["extra"]["cudnn"] = any("Dnn" in n for n in convs)
    else:
        info["device_used"] = "cpu"
        info["device_name"] = script_io.cpu_name()


def verify_tensorflow(model, x, info):
    """Trace one forward step and list the devices that ran its ops (TF 1.x graph mode)."""
    import tensorflow as tf
    from keras import backend as K

    sess = K.get_session()
    v1 = getattr(getattr(tf, "compat", None), "v1", tf)  # TF 1.13+ spells them tf.compat.v1.*
    options = v1.RunOptions(trace_level=v1.RunOptions.FULL_TRACE)
    meta = v1.RunMetadata()
    sess.run(model.output, feed_dict={model.input: x[:8], K.learning_phase(): 0}, options=options, run_metadata=meta)
    devices = sorted(set(d.device for d in meta.step_stats.dev_stats))
    info["extra"]["op_devices"] = devices
    gpu = [d for d in devices if "/device:GPU:" in d.upper() or "/GPU:" in d.upper()]
    if gpu:
        index = gpu[0].upper().rsplit("GPU:", 1)[1].split("/")[0]
        info["device_used"] = "cuda:%s" % index
        try:
            from tensorflow.python.client import device_lib

            for d in device_lib.list_local_devices():
                if d.device_type == "GPU":
                    info["device_name"] = d.physical_device_desc
                    break
        except Exception:
            pass
    else:
        info["device_used"] = "cpu"
        info["device_name"] = script_io.cpu_name()


def verify_cntk(info):
    import cntk

    dev = cntk.device.use_default_device()
    kind = dev.type()
    info["extra"]["cntk_device"] = str(dev)
    if kind == cntk.device.DeviceKind.GPU:
        info["device_used"] = "cuda:%d" % dev.id()
        info["device_name"] = "GPU[%d]" % dev.id()
    else:
        info["device_used"] = "cpu"
        info["device_name"] = script_io.cpu_name()


def build_model(keras, input_shape, num_classes=10):
    """The seed's convnet, layer for layer (keras/examples/mnist_cnn.py at 2.0.5)."""
    from keras.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
    from keras.models import Sequential

    model = Sequential()
    model.add(Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=input_shape))
    model.add(Conv2D(64, (3, 3), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(128, activation="relu"))
    model.add(Dropout(0.5))
    model.add(Dense(num_classes, activation="softmax"))
    model.compile(loss=keras.losses.categorical_crossentropy, optimizer=keras.optimizers.Adadelta(),
                  metrics=["accuracy"])
    return model


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--result", required=True)
    ap.add_argument("--backend", default="tensorflow", choices=("theano", "tensorflow", "cntk"))
    ap.add_argument("--device", default="cpu", choices=("cpu", "gpu", "gpu-dnn"),
                    help="gpu-dnn: Theano with cuDNN (the guide's THEANO_FLAGS_GPU_DNN); same as gpu elsewhere")
    ap.add_argument("--samples", type=int, default=60000)
    ap.add_argument("--test-samples", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=12, help="epochs in all, warm-up included")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    backend_label = "keras-" + args.backend + ("+cudnn" if args.backend == "theano" and args.device == "gpu-dnn" else "")
    info = {
        "workload": "mnist-cnn", "backend": backend_label, "device": "cpu" if args.device == "cpu" else "gpu",
        "dtype": "float32", "batch_size": args.batch_size, "warmup_epochs": args.warmup, "signals": [],
        "extra": {"python": sys.version.split()[0], "model": "keras examples/mnist_cnn.py (2.0.5)"},
    }
    configure_backend(args.backend, args.device)
    collect = Collect()
    logging.getLogger("theano").addHandler(Echo(collect))
    for name in ("tensorflow", "keras"):  # these print through their own handlers already
        logging.getLogger(name).addHandler(collect)
    collect.hook_warnings()
    try:
        import numpy
        if args.backend == "cntk":
            prepare_cntk(args.device, info)
        elif args.backend == "tensorflow":
            prepare_tensorflow(args.device, info)
        import keras
        from keras import backend as K
    except ImportError as exc:
        info["signals"] = collect.lines
        script_io.unavailable(args.result, info, "%s is not installed in %s (%s)" % (args.backend, sys.executable, exc))
    except Exception as exc:  # no GPU, CPU-only wheel, missing MPI sonames: a skip with the backend's words
        info["signals"] = collect.lines
        script_io.unavailable(args.result, info, "%s: %s" % (type(exc).__name__, exc))
    info["extra"].update(keras_version=keras.__version__, keras_backend=K.backend(),
                         image_data_format=K.image_data_format(), numpy_version=numpy.__version__)
    if args.backend == "theano":
        import theano

        info["extra"].update(theano_version=theano.__version__, theano_flags=os.environ["THEANO_FLAGS"],
                             config_device=str(theano.config.device))

    data = script_io.load_sibling("data")
    x_all, y_all, dataset = data.load(args.samples + args.test_samples, seed=args.seed)
    if K.image_data_format() == "channels_first":
        x_all = x_all.reshape(x_all.shape[0], 1, 28, 28)
        input_shape = (1, 28, 28)
    else:
        x_all = x_all.reshape(x_all.shape[0], 28, 28, 1)
        input_shape = (28, 28, 1)
    y_all = keras.utils.to_categorical(y_all, 10)
    x_train, y_train = x_all[:args.samples], y_all[:args.samples]
    x_test, y_test = x_all[args.samples:], y_all[args.samples:]
    info.update(samples=int(len(x_train)), dataset=dataset)
    print("x_train shape:", x_train.shape)
    print(x_train.shape[0], "train samples")

    numpy.random.seed(args.seed)
    model = build_model(keras, input_shape)
    if args.backend == "theano":
        verify_theano(model, info, collect)
    elif args.backend == "tensorflow":
        verify_tensorflow(model, x_train, info)
    else:
        verify_cntk(info)
    if info["device"] == "gpu" and info.get("device_used") == "cpu":
        info["extra"]["silent_cpu_fallback"] = True  # e.g. Theano device=cuda0 without pygpu

    epoch_seconds = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.time()

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.time() - self.t0
            epoch_seconds.append(seconds)
            logs = logs or {}
            acc = logs.get("accuracy", logs.get("acc"))
            extra = {"accuracy": float(acc)} if acc is not None else {}
            script_io.emit_epoch(epoch + 1, seconds, logs.get("loss"), **extra)

    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=2,
                        callbacks=[EpochTimer()])
    if len(x_test):
        score = model.evaluate(x_test, y_test, verbose=0)
        print("Test loss:", score[0])
        print("Test accuracy:", score[1])
        info["extra"].update(test_loss=float(score[0]), test_accuracy=float(score[1]))
    info["epoch_seconds"] = epoch_seconds
    info["extra"]["losses"] = [float(v) for v in history.history.get("loss", [])]
    info["signals"] = collect.lines
    script_io.write_result(args.result, info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
