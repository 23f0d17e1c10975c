"""The seed's deep belief net, fine-tuned as nolearn did it, on any array backend.

The MacBook seed trained nolearn's ``DBN([784, 300, 10], learn_rates=0.3,
learn_rate_decays=0.9, epochs=10)`` on 46,900 MNIST images and saw the GPU take twice
as long as the CPU. This script trains the same network the same way (fine-tune only:
ReLU hidden layer, softmax output, cross-entropy, minibatch 64, Nesterov momentum 0.9
applied as gdbn does, L2 1e-4 on weights, learning rate 0.3 decayed by 0.9 per epoch,
weights drawn N(0, 0.05^2) as nolearn's ``scales=0.05``) on:

* ``numpy``  -- the CPU baseline (BLAS threads as the environment allows);
* ``cupy``   -- NVIDIA GPUs;
* ``torch``  -- ``--device cpu|cuda|mps|rocm``;
* ``pyopencl`` -- hand-written OpenCL kernels (naive sgemm + elementwise) on the first
  OpenCL device: the real GPU stand-in on PoCL's CPU device, where it is genuinely
  slower than numpy, for a measured reason (a naive sgemm against a tuned BLAS).

Run by path by ``runner.py`` (see script_io for the protocol). Minibatches are taken in
a fixed order so every backend does identical arithmetic and losses can be compared.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import script_io  # noqa: E402  (sibling module, loaded by path; no pytest_dlready import)
script_io.die_with_parent()  # a killed runner takes its workload with it

LAYERS = (784, 300, 10)
MOMENTUM = 0.9
L2 = 1e-4
INIT_SCALE = 0.05


def flops_per_sample() -> int:
    """Multiply-adds x2 of one forward + backward pass (no input gradient is needed)."""
    n_in, n_hid, n_out = LAYERS
    forward = 2 * (n_in * n_hid + n_hid * n_out)
    backward = 2 * (n_hid * n_out) * 2 + 2 * (n_in * n_hid)  # dW2 + dH, then dW1
    return forward + backward


def init_params(seed: int):
    import numpy as np

    rng = np.random.RandomState(seed)
    params = []
    for n_in, n_out in zip(LAYERS[:-1], LAYERS[1:]):
        params.append((rng.randn(n_in, n_out) * INIT_SCALE).astype(np.float32))
        params.append(np.zeros(n_out, dtype=np.float32))
    return params  # W1, b1, W2, b2


# -- numpy / cupy / torch: one implementation over an array module -------------------
class ArrayBackend:
    """The few operations where numpy/cupy and torch spell things differently."""

    def __init__(self, kind: str, device: str = "cpu") -> None:
        self.kind = kind
        if kind == "torch":
            import torch

            self.torch = torch
            self.dev = torch.device("cuda" if device == "rocm" else device)
        elif kind == "cupy":
            import cupy

            self.xp = cupy
        else:
            import numpy

            self.xp = numpy

    def put(self, array):
        if self.kind == "torch":
            return self.torch.from_numpy(array).to(self.dev)
        return self.xp.asarray(array)

    def relu_(self, x) -> None:
        if self.kind == "torch":
            x.clamp_(min=0)
        else:
            self.xp.maximum(x, 0, out=x)

    def softmax_rows(self, z):
        if self.kind == "torch":
            z = z - z.max(1, keepdim=True).values
            e = z.exp()
            return e / e.sum(1, keepdim=True)
        z = z - z.max(axis=1, keepdims=True)
        e = self.xp.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def log(self, x):
        return x.log() if self.kind == "torch" else self.xp.log(x)

    def axpy_(self, y, a: float, x, tmp) -> None:
        """y += a * x in place; ``tmp`` is a preallocated scratch array (no allocation per batch)."""
        if self.kind == "torch":
            y.add_(x, alpha=a)  # one fused pass
        else:
            self.xp.multiply(x, self.xp.float32(a), out=tmp)
            y += tmp

    def sync(self) -> None:
        """Wait for queued device work, so an epoch's clock stops when its work is done."""
        if self.kind == "cupy":
            self.xp.cuda.Stream.null.synchronize()
        elif self.kind == "torch" and self.dev.type == "cuda":
            self.torch.cuda.synchronize()
        elif self.kind == "torch" and self.dev.type == "mps":
            self.torch.mps.synchronize()


class ArrayTrainer:
    """Nesterov-momentum minibatch SGD as gdbn's ``step`` with ``nesterov=True``, on numpy/cupy/torch.

    The parameters and the whole data set live on the device; ``steps`` trains on the next
    minibatches in a fixed order (wrapping around), so epochs and timing rounds run the
    same arithmetic. Nothing is allocated per batch in the update.
    """

    #: array operations (kernel launches on a GPU) one step queues, counted from ``steps`` below:
    #: momentum 4 axpys (2 ops each; torch's add_ with alpha is 1), forward 2 matmuls + 2 bias adds
    #: + relu + softmax 5 + loss 5, backward dz 2 + 2 matmuls... (5 matmuls in all, 2 sums, relu mask 2),
    #: update 4 x (scale, add, scale, add) + 2 weight-decay axpys. numpy/cupy 52, torch 46.
    OPS_PER_STEP = {"torch": 46, "cupy": 52, "numpy": 52}

    def __init__(self, backend: ArrayBackend, x, y1h, params) -> None:
        self.backend = backend
        self.P = [backend.put(p.copy()) for p in params]  # W1, b1, W2, b2
        self.V = [p * 0 for p in self.P]
        self.T = [p * 0 for p in self.P]  # scratch: the update below allocates nothing per batch
        self.X, self.Y = backend.put(x), backend.put(y1h)
        self.n = x.shape[0]
        self.pos = 0

    def steps(self, count: int, batch: int, lr: float):
        """Train ``count`` minibatches; returns the summed loss (still on the device: reading it would sync)."""
        backend, P, V, T = self.backend, self.P, self.V, self.T
        acc = 0.0
        for _ in range(count):
            if self.pos + batch > self.n:
                self.pos = 0
            i0 = self.pos
            self.pos += batch
            xb, yb = self.X[i0:i0 + batch], self.Y[i0:i0 + batch]
            for p, v, t in zip(P, V, T):  # Nesterov: the momentum step first...
                backend.axpy_(p, MOMENTUM, v, t)
            h = xb @ P[0]
            h += P[1]
            backend.relu_(h)
            z = h @ P[2]
            z += P[3]
            prob = backend.softmax_rows(z)
            acc = acc - (yb * backend.log(prob + 1e-12)).sum()
            dz = (prob - yb) * (1.0 / batch)
            grads = [None, None, h.T @ dz, dz.sum(0)]
            dh = dz @ P[2].T
            dh *= (h > 0)
            grads[0], grads[1] = xb.T @ dh, dh.sum(0)
            for j in range(4):  # ...then the gradient step s = -lr (g + l2 W), which joins the velocity
                step = grads[j]
                if j in (0, 2):
                    backend.axpy_(step, L2, P[j], T[j])
                step *= -lr
                P[j] += step
                V[j] *= MOMENTUM
                V[j] += step
        return acc

    def sync(self) -> None:
        self.backend.sync()

    def value(self, acc) -> float:
        return float(acc)


def train_epochs(trainer, n_samples: int, batch: int, epochs: int, lr0: float, decay: float, on_epoch) -> list:
    """nolearn's schedule: whole epochs, learning rate decayed by ``decay`` each; one clock per epoch."""
    nb = n_samples // batch
    losses = []
    for epoch in range(epochs):
        lr = lr0 * decay ** epoch
        trainer.sync()
        start = time.perf_counter()
        acc = trainer.steps(nb, batch, lr)
        trainer.sync()
        seconds = time.perf_counter() - start
        losses.append(trainer.value(acc) / max(nb * batch, 1))
        on_epoch(epoch + 1, seconds, losses[-1])
    return losses


def serve_rounds(trainer, n_samples: int, lr0: float, decay: float):
    """``run_round(steps, batch)`` for ``script_io.serve``: timed blocks of steps on the same trainer.

    The learning rate follows nolearn's per-epoch decay by the steps done, floored, so a long
    measurement keeps training sanely instead of diverging or freezing.
    """
    state = {"samples_done": 0}

    def run_round(steps: int, batch: int) -> dict:
        epoch = state["samples_done"] / float(max(n_samples, 1))
        lr = max(lr0 * decay ** epoch, lr0 * 0.05)
        trainer.sync()
        start = time.perf_counter()
        acc = trainer.steps(steps, batch, lr)
        trainer.sync()
        seconds = time.perf_counter() - start
        state["samples_done"] += steps * batch
        return {"seconds": seconds, "loss": trainer.value(acc) / max(steps * batch, 1)}

    return run_round


# -- OpenCL: hand-written kernels ----------------------------------------------------
OPENCL_SOURCE = r"""
// Naive sgemm, one work-item per output element, row-major; op(A) is MxK, op(B) is KxN.
__kernel void sgemm(const int M, const int N, const int K,
                    __global const float *A, const int offA, const int lda, const int transA,
                    __global const float *B, const int ldb, const int transB,
                    __global float *C) {
    const int i = get_global_id(0), j = get_global_id(1);
    if (i >= M || j >= N) return;
    float acc = 0.0f;
    for (int k = 0; k < K; ++k) {
        const float a = transA ? A[offA + k * lda + i] : A[offA + i * lda + k];
        const float b = transB ? B[j * ldb + k] : B[k * ldb + j];
        acc += a * b;
    }
    C[i * N + j] = acc;
}
__kernel void bias_act(__global float *H, __global const float *b, const int N, const int relu) {
    const int g = get_global_id(0);
    float v = H[g] + b[g % N];
    H[g] = (relu && v < 0.0f) ? 0.0f : v;
}
// One work-item per row: softmax, gradient (P - Y) / batch, and the row's loss added up.
__kernel void softmax_xent(__global const float *Z, __global const float *Y, const int offY,
                           const int N, const float inv_batch, __global float *dZ,
                           __global float *loss) {
    const int r = get_global_id(0);
    float m = Z[r * N];
    for (int j = 1; j < N; ++j) m = fmax(m, Z[r * N + j]);
    float s = 0.0f;
    for (int j = 0; j < N; ++j) s += exp(Z[r * N + j] - m);
    float l = 0.0f;
    for (int j = 0; j < N; ++j) {
        const float p = exp(Z[r * N + j] - m) / s, y = Y[offY + r * N + j];
        dZ[r * N + j] = (p - y) * inv_batch;
        l -= y * log(p + 1e-12f);
    }
    loss[r] += l;
}
__kernel void relu_grad(__global float *dH, __global const float *H) {
    const int g = get_global_id(0);
    if (H[g] <= 0.0f) dH[g] = 0.0f;
}
__kernel void colsum(__global const float *D, const int M, const int N, __global float *out) {
    const int j = get_global_id(0);
    float s = 0.0f;
    for (int i = 0; i < M; ++i) s += D[i * N + j];
    out[j] = s;
}
__kernel void momentum(__global float *P, __global const float *V, const float mu) {
    const int g = get_global_id(0);
    P[g] += mu * V[g];
}
__kernel void sgd_step(__global float *P, __global float *V, __global const float *G,
                       const float lr, const float l2, const float mu) {
    const int g = get_global_id(0);
    const float s = -lr * (G[g] + l2 * P[g]);
    P[g] += s;
    V[g] = mu * V[g] + s;
}
"""


def pick_opencl_device(cl):
    """(device, platform) chosen by DLREADY_OPENCL_DEVICE="p:d", else the first GPU, else the first device."""
    platforms = cl.get_platforms()
    wanted = os.environ.get("DLREADY_OPENCL_DEVICE", "")
    if wanted:
        p, d = (int(v) for v in wanted.split(":"))
        return platforms[p].get_devices()[d], platforms[p]
    devices = [(d, p) for p in platforms for d in p.get_devices()]
    if not devices:
        raise LookupError("no OpenCL device on any platform")
    gpus = [pair for pair in devices if pair[0].type & cl.device_type.GPU]
    return (gpus or devices)[0]


class OpenCLTrainer:
    """The same SGD as ``ArrayTrainer`` in hand-written OpenCL kernels on one device (naive sgemm)."""

    #: kernel enqueues per step: 4 momentum, 5 sgemm, 2 bias_act, softmax_xent, relu_grad, 2 colsum, 4 sgd_step
    OPS_PER_STEP = 19

    def __init__(self, x, y1h, params, info: dict) -> None:
        import numpy as np
        import pyopencl as cl

        self.np, self.cl = np, cl
        device, plat = pick_opencl_device(cl)
        self.ctx = cl.Context([device])
        self.queue = cl.CommandQueue(self.ctx)
        # verified, not assumed: the queue's own device is what every kernel below runs on
        qdev = self.queue.device
        info.update(device_used="opencl:0", device_name=qdev.name.strip(),
                    opencl_platform=plat.name.strip(), opencl_device_type=cl.device_type.to_string(qdev.type),
                    opencl_version=qdev.version.strip())
        prg = cl.Program(self.ctx, OPENCL_SOURCE).build()
        self.k = {name: getattr(prg, name) for name in
                  ("sgemm", "bias_act", "softmax_xent", "relu_grad", "colsum", "momentum", "sgd_step")}
        self.P = [self._buf(p) for p in params]
        self.V = [self._buf(np.zeros_like(p)) for p in params]
        self.sizes = [p.size for p in params]
        self.X, self.Y = self._buf(x), self._buf(y1h)
        self.G = [self._empty(sz) for sz in self.sizes]
        self.n = x.shape[0]
        self.pos = 0
        self.batch = None

    def _buf(self, a):
        mf = self.cl.mem_flags
        return self.cl.Buffer(self.ctx, mf.READ_WRITE | mf.COPY_HOST_PTR,
                              hostbuf=self.np.ascontiguousarray(a, dtype=self.np.float32))

    def _empty(self, n):
        return self.cl.Buffer(self.ctx, self.cl.mem_flags.READ_WRITE, size=4 * int(n))

    def _sized(self, batch: int) -> None:
        """Activations sized for ``batch`` (allocated again only when the batch changes)."""
        if batch == self.batch:
            return
        n_in, n_hid, n_out = LAYERS
        self.H, self.Z = self._empty(batch * n_hid), self._empty(batch * n_out)
        self.dZ, self.dH = self._empty(batch * n_out), self._empty(batch * n_hid)
        self.loss = self._buf(self.np.zeros(batch, dtype=self.np.float32))
        self.batch = batch

    def steps(self, count: int, batch: int, lr: float):
        np, k, q = self.np, self.k, self.queue
        i32, f32 = np.int32, np.float32
        n_in, n_hid, n_out = LAYERS
        self._sized(batch)
        P, V, G, H, Z, dZ, dH = self.P, self.V, self.G, self.H, self.Z, self.dZ, self.dH
        self.cl.enqueue_fill_buffer(q, self.loss, np.float32(0), 0, 4 * batch)

        def gemm(M, N, K, A, offA, lda, tA, B, ldb, tB, C):
            k["sgemm"](q, (M, N), None, i32(M), i32(N), i32(K), A, i32(offA), i32(lda), i32(tA), B, i32(ldb), i32(tB), C)

        for _ in range(count):
            if self.pos + batch > self.n:
                self.pos = 0
            off = self.pos
            self.pos += batch
            for j in range(4):
                k["momentum"](q, (self.sizes[j],), None, P[j], V[j], f32(MOMENTUM))
            gemm(batch, n_hid, n_in, self.X, off * n_in, n_in, 0, P[0], n_hid, 0, H)
            k["bias_act"](q, (batch * n_hid,), None, H, P[1], i32(n_hid), i32(1))
            gemm(batch, n_out, n_hid, H, 0, n_hid, 0, P[2], n_out, 0, Z)
            k["bias_act"](q, (batch * n_out,), None, Z, P[3], i32(n_out), i32(0))
            k["softmax_xent"](q, (batch,), None, Z, self.Y, i32(off * n_out), i32(n_out), f32(1.0 / batch), dZ, self.loss)
            gemm(n_hid, n_out, batch, H, 0, n_hid, 1, dZ, n_out, 0, G[2])
            k["colsum"](q, (n_out,), None, dZ, i32(batch), i32(n_out), G[3])
            gemm(batch, n_hid, n_out, dZ, 0, n_out, 0, P[2], n_out, 1, dH)
            k["relu_grad"](q, (batch * n_hid,), None, dH, H)
            gemm(n_in, n_hid, batch, self.X, off * n_in, n_in, 1, dH, n_hid, 0, G[0])
            k["colsum"](q, (n_hid,), None, dH, i32(batch), i32(n_hid), G[1])
            for j in range(4):
                k["sgd_step"](q, (self.sizes[j],), None, P[j], V[j], G[j], f32(lr), f32(L2 if j in (0, 2) else 0.0),
                              f32(MOMENTUM))
        return self.loss

    def sync(self) -> None:
        self.queue.finish()

    def value(self, acc) -> float:
        host = self.np.empty(self.batch, dtype=self.np.float32)
        self.cl.enqueue_copy(self.queue, host, acc)
        return float(host.sum())


def launch_latency_us(trainer, launches: int = 200) -> float:
    """Microseconds one tiny operation costs on the trainer's device, queued back to back, then synced.

    The floor under any step: a step of N operations can never take less than N x this on a
    device that runs them one after the other (CUDA launches, OpenCL enqueues).
    """
    import numpy as np

    if isinstance(trainer, OpenCLTrainer):
        buf = trainer._buf(np.zeros(1, dtype=np.float32))
        kernel = trainer.k["momentum"]

        def one():
            kernel(trainer.queue, (1,), None, buf, buf, np.float32(0.5))
    else:
        tiny = trainer.backend.put(np.zeros(1, dtype=np.float32))

        def one():
            tiny.__iadd__(1.0)
    for _ in range(20):  # compile/first-use costs are not launch latency
        one()
    trainer.sync()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(launches):
            one()
        trainer.sync()
        best = min(best, (time.perf_counter() - start) / launches * 1e6)
    return round(best, 2)


# -- device identification -----------------------------------------------------------


BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE", "MKL_DEBUG_CPU_TYPE")


def blas_info():
    """numpy's BLAS as threadpoolctl sees it ({name, version, architecture}), {} without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_info

        pools = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if pools:
            p = pools[0]
            return {"name": p.get("internal_api"), "version": p.get("version"), "architecture": p.get("architecture")}
    except Exception:
        pass
    return {}


def blas_threads():
    """BLAS threads numpy will use (threadpoolctl when present, else the env limits)."""
    try:
        from threadpoolctl import threadpool_info

        counts = [int(i.get("num_threads") or 0) for i in threadpool_info() if i.get("user_api") == "blas"]
        if counts:
            return max(counts)
    except Exception:
        pass
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return os.cpu_count()


def prepare_torch(device: str, info: dict) -> ArrayBackend:
    """Check the torch device exists before training on it; say why not if it does not."""
    import torch

    info["extra"]["torch_version"] = torch.__version__
    if device in ("cuda", "rocm"):
        built = torch.version.hip if device == "rocm" else torch.version.cuda
        if not built:
            raise LookupError("torch %s was built without %s support" % (torch.__version__, "ROCm" if device == "rocm" else "CUDA"))
        if not torch.cuda.is_available():
            raise LookupError("torch %s sees no %s device (torch.cuda.is_available() is False)" % (torch.__version__, device.upper()))
    elif device == "mps" and not (torch.backends.mps.is_built() and torch.backends.mps.is_available()):
        raise LookupError("torch %s has no usable MPS device" % torch.__version__)
    backend = ArrayBackend("torch", device)
    probe = torch.zeros(1, device=backend.dev)
    info["device_used"] = str(probe.device) if probe.device.type != "cpu" else "cpu"
    if probe.device.type == "cuda":
        info["device_name"] = torch.cuda.get_device_name(probe.device)
    elif probe.device.type == "mps":
        info["device_name"] = "Apple MPS"
    else:
        info["device_name"] = script_io.cpu_name()
        info["threads"] = torch.get_num_threads()
    return backend


def prepare_cupy(info: dict) -> ArrayBackend:
    import cupy

    dev = cupy.cuda.Device()
    probe = cupy.zeros(1)
    props = cupy.cuda.runtime.getDeviceProperties(probe.device.id)
    info["device_used"] = "cuda:%d" % probe.device.id
    info["device_name"] = props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])
    info["extra"]["cupy_version"] = cupy.__version__
    del dev
    return ArrayBackend("cupy")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--result", required=True)
    ap.add_argument("--backend", default="numpy", choices=("numpy", "cupy", "torch", "pyopencl"))
    ap.add_argument("--device", default="cpu", help="torch: cpu|cuda|mps|rocm")
    script_io.add_dbn_arguments(ap)
    ap.add_argument("--serve", action="store_true", help="time rounds of steps on request (script_io.serve)")
    args = ap.parse_args(argv)

    info = {
        "workload": "dbn-mnist", "backend": args.backend, "device": "cpu" if args.device == "cpu" and args.backend in ("numpy", "torch") else "gpu",
        "dtype": "float32", "batch_size": args.batch_size, "warmup_epochs": args.warmup,
        "extra": {"layers": list(LAYERS), "flops_per_epoch": 0, "python": sys.version.split()[0]},
    }
    try:
        if args.backend == "numpy":
            import numpy

            backend = ArrayBackend("numpy")
            info.update(device_used="cpu", device_name=script_io.cpu_name(), threads=blas_threads())
            info["extra"]["numpy_version"] = numpy.__version__
            info["extra"]["blas"] = blas_info()
            info["extra"]["blas_env"] = {k: os.environ[k] for k in BLAS_ENV if os.environ.get(k)}
        elif args.backend == "torch":
            backend = prepare_torch(args.device, info)
        elif args.backend == "cupy":
            backend = prepare_cupy(info)
        else:
            import pyopencl  # noqa: F401  (fail early, before the data are loaded)

            backend = None
    except ImportError as exc:
        script_io.unavailable(args.result, info, "%s is not installed in %s (%s)" % (args.backend, sys.executable, exc))
    except Exception as exc:  # no device, driver too old, ...: a skip with the backend's own words
        script_io.unavailable(args.result, info, "%s: %s" % (type(exc).__name__, exc))

    data = script_io.load_sibling("data")
    x, y, dataset = data.load(args.samples, seed=args.seed)
    y1h = data.one_hot(y)
    nb = x.shape[0] // args.batch_size
    info.update(samples=int(x.shape[0]), dataset=dataset)
    info["extra"]["flops_per_epoch"] = flops_per_sample() * nb * args.batch_size
    params = init_params(args.seed)
    epochs = []

    def on_epoch(epoch, seconds, loss):
        epochs.append(seconds)
        script_io.emit_epoch(epoch, seconds, loss)

    try:
        if args.backend == "pyopencl":
            opencl = {}
            trainer = OpenCLTrainer(x, y1h, params, opencl)
            info.update(device_used=opencl.pop("device_used"), device_name=opencl.pop("device_name"))
            info["extra"].update(opencl, kernels="naive (one work-item per output element)")
        else:
            trainer = ArrayTrainer(backend, x, y1h, params)
    except LookupError as exc:
        script_io.unavailable(args.result, info, str(exc))
    info["extra"]["ops_per_step"] = trainer.OPS_PER_STEP if args.backend == "pyopencl" else \
        ArrayTrainer.OPS_PER_STEP[args.backend]
    if info["device"] == "gpu":
        info["extra"]["launch_us"] = launch_latency_us(trainer)
    if args.serve:
        info["extra"]["flops_per_sample"] = flops_per_sample()
        script_io.serve(args.result, info, serve_rounds(trainer, x.shape[0], args.learn_rate, args.decay))
        return 0
    losses = train_epochs(trainer, x.shape[0], args.batch_size, args.epochs, args.learn_rate, args.decay, on_epoch)
    info["epoch_seconds"] = epochs
    info["extra"]["losses"] = losses
    script_io.write_result(args.result, info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
