"""Helpers shared by every benchmark worker.

A worker is a short-lived process that measures one run (one framework, one
task) and prints its results as a single JSON line on stdout. This module holds
what every worker needs and what must be identical across them for the
comparison to be fair:

- ``apply_threads``: pins the BLAS/OpenMP thread count through the environment.
  It has to run *before* NumPy or PyTorch is imported, which is why this module
  imports nothing heavy at the top; NumPy is imported inside the functions.
- ``load_fashion_mnist``: the same data for everyone: float32 pixels in [0, 1],
  flattened to ``(n, 784)``, int64 labels.
- ``glorot_uniform``: Keras' default kernel initializer, drawn from NumPy's
  generator so that the PyTorch and NumPy MLPs start from identical weights.
- ``mlp_flops_per_sample``: the FLOP count used for the GFLOP/s figures.
- ``memory_snapshot``, ``after_load``: current and peak resident set size of
  this process; the peak is reset once the data are loaded, so a training
  peak measures data + framework + model + training, not the dataset's
  decompression transient.
- ``emit``: prints the one JSON line the driver (``compare.py``) reads.

Dataset location: the folder named by the ``LEARNET_DATASETS`` environment
variable, else ``shared/datasets`` inside or beside the repository root, found
relative to this file (never an absolute machine path).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import struct
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

# Keras' defaults, used by every framework.
RMSPROP = {"learning_rate": 1e-3, "rho": 0.9, "epsilon": 1e-7}
ADAM = {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}

NUM_CLASSES = 10
IMAGE_PIXELS = 28 * 28


def apply_threads(threads: int) -> None:
    """Set the thread-count variables for BLAS and OpenMP in this process.

    The driver already sets them in the child's environment; this makes a
    worker started by hand behave the same. Must run before NumPy is imported.
    """
    if "numpy" in sys.modules:
        raise RuntimeError("apply_threads must run before numpy is imported")
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)


def base_parser(description: str) -> argparse.ArgumentParser:
    """The command-line options every worker understands."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--probe", action="store_true", help="only report whether the framework is usable, and its versions"
    )
    parser.add_argument("--task", choices=("mlp", "cnn"), default="mlp")
    parser.add_argument(
        "--epochs", type=int, default=1, help="timed epochs; 0 skips training (predict throughput only)"
    )
    parser.add_argument("--warmup-steps", type=int, default=5, help="untimed training steps before the timed epochs")
    parser.add_argument("--train-limit", type=int, default=60000)
    parser.add_argument("--test-limit", type=int, default=10000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--hidden", type=int, default=512, help="MLP hidden width")
    parser.add_argument("--predict-batch", type=int, default=1024)
    parser.add_argument(
        "--predict-repeats", type=int, default=5, help="timed passes over the test set; the median is reported"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    return parser


# ---------------------------------------------------------------- data


def datasets_dir() -> Path:
    """Folder holding ``fashion-mnist/`` (see the module docstring)."""
    env = os.environ.get("LEARNET_DATASETS")
    if env:
        return Path(env)
    for candidate in (REPO_ROOT / "shared" / "datasets", REPO_ROOT.parent / "shared" / "datasets"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "Fashion-MNIST not found: set LEARNET_DATASETS to the folder that holds "
        "fashion-mnist/, or place it in shared/datasets beside the repository"
    )


def _read_idx(path: Path):
    import numpy as np

    with gzip.open(path, "rb") as f:
        data = f.read()
    (magic,) = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    if magic >> 8 != 0x08 or ndim < 1:  # 0x08: unsigned byte payload
        raise ValueError(f"{path.name}: not an unsigned-byte IDX file (magic {magic:#x})")
    shape = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_fashion_mnist(train_limit: int | None = None, test_limit: int | None = None):
    """Return ``(x_train, y_train), (x_test, y_test)``.

    Images are float32 in [0, 1] with shape ``(n, 784)``; labels are int64.
    Each framework reshapes this one array as it likes (a view, no copy).
    """
    import numpy as np

    folder = datasets_dir() / "fashion-mnist"
    out = []
    for prefix, limit in (("train", train_limit), ("t10k", test_limit)):
        images = _read_idx(folder / f"{prefix}-images-idx3-ubyte.gz")[:limit]
        labels = _read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz")[:limit]
        x = images.reshape(len(images), IMAGE_PIXELS).astype(np.float32)
        x *= np.float32(1.0 / 255.0)
        out.append((x, labels.astype(np.int64)))
    return out[0], out[1]


# ---------------------------------------------------------------- models


def glorot_uniform(rng, fan_in: int, fan_out: int, shape):
    """Keras' ``GlorotUniform``: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out))."""
    import numpy as np

    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def mlp_initial_weights(seed: int, hidden: int):
    """Kernels (in, out) and zero biases for Dense(hidden, relu) -> Dense(10)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    w1 = glorot_uniform(rng, IMAGE_PIXELS, hidden, (IMAGE_PIXELS, hidden))
    w2 = glorot_uniform(rng, hidden, NUM_CLASSES, (hidden, NUM_CLASSES))
    return w1, np.zeros(hidden, np.float32), w2, np.zeros(NUM_CLASSES, np.float32)


def mlp_flops_per_sample(hidden: int, inputs: int = IMAGE_PIXELS, classes: int = NUM_CLASSES) -> int:
    """FLOPs of one training sample of the MLP, counting matrix products only.

    Forward: x @ W1 and h @ W2. Backward: dW2 = h.T @ dz, dh = dz @ W2.T and
    dW1 = x.T @ dh (the gradient with respect to the input is not needed).
    Each product of (M, K) by (K, N) counts 2*M*K*N; per sample M = 1.
    """
    first = 2 * inputs * hidden  # x @ W1, and again for dW1
    second = 2 * hidden * classes  # h @ W2, dW2 and dh
    return 2 * first + 3 * second


# ---------------------------------------------------------------- measuring


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def memory_snapshot() -> dict:
    """Current and peak RSS of this process, in MiB.

    Linux: ``VmRSS``/``VmHWM`` from /proc (the peak belongs to this process
    image only). Elsewhere: ``ru_maxrss`` for the peak and psutil, if
    installed, for the current value.
    """
    rss, peak = _status_kib("VmRSS"), _status_kib("VmHWM")
    if peak is None:
        import resource

        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak = maxrss // 1024 if sys.platform == "darwin" else maxrss  # bytes on macOS
    if rss is None:
        try:
            import psutil

            rss = psutil.Process().memory_info().rss // 1024
        except ImportError:
            rss = peak
    return {"rss_mib": round(rss / 1024, 1), "peak_rss_mib": round(peak / 1024, 1)}


def speed_gauge(framework: str = "numpy", n: int = 512, repeats: int = 8) -> float:
    """GFLOP/s of a fixed ``n x n`` float32 product right now (best of ``repeats``).

    A gauge of the machine's current speed, taken just before and just after
    the timed epochs: on a shared or virtual machine the CPUs can be slower
    for a while without any visible load, and a low gauge says a run was
    timed in such a spell. PyTorch measures with its own BLAS (``torch.mm``),
    the others with NumPy's, so a gauge is compared with the same framework's
    other runs only. About 0.1 s.
    """
    import numpy as np

    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    if framework == "torch":
        import torch

        a = torch.from_numpy(a)
        out = torch.empty_like(a)
        product = lambda: torch.mm(a, a, out=out)  # noqa: E731
    else:
        out = np.empty_like(a)
        product = lambda: np.matmul(a, a, out=out)  # noqa: E731
    product()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        product()
        best = min(best, time.perf_counter() - start)
    return round(2.0 * n**3 / best / 1e9, 1)


def reset_peak() -> bool:
    """Forget the peak RSS so far (Linux: ``VmHWM`` is reset through clear_refs).

    Called right after the data are loaded, so that the training peak is not
    the transient of decompressing and converting the dataset. Returns False
    where the platform cannot do it (the peak then covers the whole process).
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def after_load() -> dict:
    """Memory bookkeeping once the data are in: the load peak, the RSS now, reset."""
    snapshot = memory_snapshot()
    return {
        "load_peak_rss_mib": snapshot["peak_rss_mib"],
        "base_rss_mib": snapshot["rss_mib"],
        "peak_reset": reset_peak(),
    }


def median(values):
    values = sorted(values)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else 0.5 * (values[mid - 1] + values[mid])


def time_predict(predict, x, repeats: int, framework: str = "numpy") -> dict:
    """Time ``predict(x)`` (one untimed warm-up pass first); return images/s and outputs.

    The speed gauge of ``framework`` is read again just after (``predict_gauge_gflops``):
    predict is timed after the epochs and their gauges, and a slow spell that starts
    in between would otherwise halve its figure unseen (``with_predict_gauge``).
    """
    predict(x[: min(len(x), 1024)])
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        probabilities = predict(x)
        times.append(time.perf_counter() - start)
    seconds = median(times)
    return {
        "predict_seconds": seconds,
        "predict_images_per_s": len(x) / seconds,
        "predict_gauge_gflops": speed_gauge(framework),
        "probabilities": probabilities,
    }


def with_predict_gauge(result: dict) -> dict:
    """``result`` with the gauge read after predict added to its gauges (``gauge_gflops``:
    before the epochs, after them, after predict), so that a run is judged by the
    slowest of the three (``compare.gauge_of``) and run again when predict was slow."""
    after_predict = result.pop("predict_gauge_gflops", None)
    if after_predict is not None:
        result["gauge_gflops"] = [*(result.get("gauge_gflops") or []), after_predict]
    return result


def accuracy(probabilities, labels) -> float:
    return float((probabilities.argmax(axis=1) == labels).mean())


def crossentropy(probabilities, labels) -> float:
    """Mean sparse categorical cross-entropy of predicted probabilities."""
    import numpy as np

    picked = probabilities[np.arange(len(labels)), labels]
    return float(-np.log(np.maximum(picked, 1e-7)).mean())


def train_epochs(
    train_step, n: int, batch_size: int, epochs: int, warmup_steps: int, seed: int, framework: str = "numpy"
) -> dict:
    """Drive a hand-written training loop the way ``fit`` does, and time it.

    ``train_step(index)`` trains on the rows ``index`` (an int64 NumPy array)
    and returns ``(loss sum, correct count)`` over them. First ``warmup_steps``
    untimed steps on the leading rows, then ``epochs`` timed epochs, each over
    a fresh permutation from ``numpy.random.default_rng(seed)`` (so the NumPy
    and PyTorch workers see the same batches in the same order). The speed
    gauge of ``framework`` is read just before and just after the epochs.
    """
    import numpy as np

    for step in range(warmup_steps):
        start = (step * batch_size) % n
        train_step(np.arange(start, min(start + batch_size, n)))

    rng = np.random.default_rng(seed)
    gauge = [speed_gauge(framework)] if epochs else []
    epoch_seconds, loss, acc = [], None, None
    for _ in range(epochs):
        order = rng.permutation(n)
        loss_total, correct = 0.0, 0
        start_time = time.perf_counter()
        for start in range(0, n, batch_size):
            batch_loss, hits = train_step(order[start : start + batch_size])
            loss_total += batch_loss
            correct += hits
        epoch_seconds.append(time.perf_counter() - start_time)
        loss, acc = loss_total / n, correct / n
    if epochs:
        gauge.append(speed_gauge(framework))
    return {
        "epoch_seconds": epoch_seconds,
        "epoch_seconds_median": median(epoch_seconds),
        "train_loss": loss,
        "train_accuracy": acc,
        "gauge_gflops": gauge,
    }


def emit(result: dict) -> None:
    """Print the one JSON line the driver reads (always the last stdout line)."""
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    sys.stdout.flush()


def blas_runtime():
    """The BLAS and OpenMP libraries this process has loaded, as it runs (threadpoolctl).

    Called after training, so it names the kernel OpenBLAS actually picked
    (``architecture``: e.g. ``Haswell`` or ``SkylakeX``, which ``OPENBLAS_CORETYPE``
    overrides), not what the build was configured with. None without threadpoolctl.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return [
        {k: pool.get(k) for k in ("internal_api", "version", "num_threads", "threading_layer", "architecture")}
        for pool in threadpool_info()
    ]


def numpy_blas_info() -> dict:
    """Which BLAS NumPy uses: threadpoolctl if installed, else NumPy's build config."""
    import numpy as np

    info = {"numpy": np.__version__}
    try:
        from threadpoolctl import threadpool_info

        info["threadpools"] = [
            {k: pool.get(k) for k in ("internal_api", "version", "num_threads", "threading_layer", "architecture")}
            for pool in threadpool_info()
        ]
    except ImportError:
        try:
            config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
            info["blas"] = {k: config.get(k) for k in ("name", "version", "openblas configuration")}
        except Exception as error:  # older NumPy: no dict mode
            info["blas"] = f"unknown ({error.__class__.__name__})"
    info["environment"] = {
        k: os.environ[k] for k in sorted(os.environ) if k.startswith("OPENBLAS_") or k in THREAD_VARIABLES
    }
    return info
