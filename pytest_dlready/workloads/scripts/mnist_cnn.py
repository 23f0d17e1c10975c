"""Keras' ``mnist_cnn`` example, as the Windows seed timed it, on Keras 3 (TensorFlow, JAX, PyTorch).

The Windows seed ran Keras 2.0.5's examples/mnist_cnn.py (Conv2D 32 3x3 relu, Conv2D 64
3x3 relu, MaxPool 2x2, Dropout .25, Flatten, Dense 128 relu, Dropout .5, Dense 10
softmax; Adadelta; batch 128; 12 epochs) on Theano, TensorFlow and CNTK and compared
seconds per epoch. This is the same model on Keras 3; the backend comes from
``KERAS_BACKEND`` (the runner sets it and a fresh KERAS_HOME, so a stale keras.json
cannot choose). Adadelta keeps Keras 2's defaults (learning rate 1.0, rho 0.95): Keras
3 changed the default learning rate to 0.001, which would not train in 12 epochs.

The device used is read back from the model's own weights after training (TensorFlow
placement, torch tensor device, JAX array devices), not assumed from the request.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import script_io  # noqa: E402  (sibling module, loaded by path; no pytest_dlready import)
script_io.die_with_parent()  # a killed runner takes its workload with it


def build_model(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy",
                  optimizer=keras.optimizers.Adadelta(learning_rate=1.0, rho=0.95),
                  metrics=["accuracy"])
    return model


def weight_device(backend: str, model) -> str:
    """Where the first kernel actually lives, in the backend's own words ("cpu", "cuda:0", "gpu:0")."""
    value = model.weights[0].value
    if backend == "torch":
        dev = value.device
        return "cpu" if dev.type == "cpu" else str(dev)
    if backend == "jax":
        devs = list(value.devices()) if hasattr(value, "devices") else []
        if devs:
            d = devs[0]
            return "cpu" if d.platform == "cpu" else "%s:%d" % (d.platform, d.id)
        return ""
    if backend == "tensorflow":
        text = str(getattr(value, "device", "")).lower()  # "/job:localhost/replica:0/task:0/device:gpu:0"
        tail = text.rsplit("device:", 1)[-1] if "device:" in text else text
        return "cpu" if tail.startswith("cpu") else tail
    return ""


def gpu_devices(backend: str) -> list:
    """The GPUs the framework sees (names where it can tell), for the result and the verdict."""
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            return [d.name for d in tf.config.list_physical_devices("GPU")]
        if backend == "torch":
            import torch

            if torch.cuda.is_available():
                return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
            if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
                return ["mps"]
            return []
        if backend == "jax":
            import jax

            return [str(d) for d in jax.devices() if d.platform != "cpu"]
    except Exception as exc:  # a broken GPU stack is evidence, not a crash
        return ["error: %s" % exc]
    return []


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Keras mnist_cnn, timed per epoch")
    ap.add_argument("--result", required=True)
    ap.add_argument("--samples", type=int, default=60000)
    ap.add_argument("--epochs", type=int, default=12, help="epochs in all, warm-up included")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--require-gpu", action="store_true", help="unavailable (exit 3) unless the backend sees a GPU")
    args = ap.parse_args(argv)

    wanted = os.environ.get("KERAS_BACKEND", "tensorflow")
    info = {"workload": "mnist-cnn", "backend": "keras-" + wanted, "device": "gpu" if args.require_gpu else "cpu",
            "dtype": "float32", "batch_size": args.batch_size, "warmup_epochs": args.warmup,
            "extra": {"keras_backend": wanted, "python": sys.version.split()[0]}}
    try:
        import keras
    except ImportError as exc:
        script_io.unavailable(args.result, info, "keras is not installed in %s (%s)" % (sys.executable, exc))
    except Exception as exc:  # e.g. the backend framework itself fails to import
        script_io.unavailable(args.result, info, "keras with backend %s cannot start: %s: %s" % (wanted, type(exc).__name__, exc))
    backend = keras.backend.backend()
    info["extra"].update(keras_version=keras.__version__, keras_backend=backend)
    gpus = gpu_devices(backend)
    info["extra"]["framework_gpus"] = gpus
    if args.require_gpu and not [g for g in gpus if not g.startswith("error")]:
        script_io.unavailable(args.result, info, "keras %s on %s sees no GPU%s" % (
            keras.__version__, backend, (" (%s)" % gpus[0]) if gpus else ""))

    data = script_io.load_sibling("data")
    x, y, dataset = data.load(args.samples, seed=args.seed)
    x = x.reshape(-1, 28, 28, 1)
    y1h = data.one_hot(y)
    info.update(samples=int(x.shape[0]), dataset=dataset)

    keras.utils.set_random_seed(args.seed)
    model = build_model(keras)
    epochs, losses = [], []

    class EpochClock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - self.t0
            loss = float((logs or {}).get("loss", float("nan")))
            epochs.append(seconds)
            losses.append(loss)
            script_io.emit_epoch(epoch + 1, seconds, loss)

    model.fit(x, y1h, batch_size=args.batch_size, epochs=args.epochs, verbose=0, callbacks=[EpochClock()])
    info.update(epoch_seconds=epochs, device_used=weight_device(backend, model))
    info["device_name"] = gpus[0] if info["device_used"] not in ("", "cpu") and gpus else script_io.cpu_name()
    info["extra"]["losses"] = losses
    info["threads"] = _threads(backend)
    script_io.write_result(args.result, info)
    return 0




def _threads(backend: str):
    try:
        if backend == "torch":
            import torch

            return torch.get_num_threads()
        if backend == "tensorflow":
            import tensorflow as tf

            return tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count()
    except Exception:
        return None
    return os.cpu_count()


if __name__ == "__main__":
    sys.exit(main())
