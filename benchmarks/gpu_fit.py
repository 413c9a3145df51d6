"""learnet on a GPU (CuPy) next to PyTorch on the same GPU: epoch time and accuracy.

Trains the course's two MNIST networks with Keras' defaults, each run in its own process:

* ``mlp``: Flatten -> Dense(512, relu) -> Dense(10, softmax), RMSprop, batch 128;
* ``cnn``: the keras.io convnet, Conv2D(32, 3) -> MaxPooling2D -> Conv2D(64, 3) ->
  MaxPooling2D -> Flatten -> Dropout(0.5) -> Dense(10, softmax), Adam, batch 128;

with learnet on NumPy (the CPU reference for accuracy), learnet on CuPy
(``LEARNET_BACKEND=cupy``) and PyTorch on CUDA (same layers, same initial weights drawn
by learnet's initializers, same optimizer settings). The first epoch is a warm-up (CuPy
compiles its kernels, PyTorch picks its cuDNN algorithms); the epochs after it are timed,
with the GPU synchronized before the clock stops, and the median is reported.

Run it where a GPU is present::

    python benchmarks/gpu_fit.py                   # both tasks, 3 epochs each
    python benchmarks/gpu_fit.py --only mlp --epochs 5 --train-limit 20000

Without CuPy or a CUDA GPU it says so and measures nothing. It never asserts: the check
of accuracy (CuPy within 0.5 points of NumPy) is ``tests/gpu/test_cupy_gpu.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TASKS = {"mlp": ("rmsprop", 128), "cnn": ("adam", 128)}


def gpu_state() -> str | None:
    """None when CuPy sees a CUDA GPU, else why not (in words)."""
    try:
        import cupy
    except ImportError:
        return "CuPy is not installed"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CUDA driver missing or broken
        return f"CuPy finds no CUDA driver ({type(error).__name__}: {error})"
    return None if count > 0 else "CuPy sees no CUDA GPU"


def load_mnist(train_limit: int, test_limit: int):
    import learnet as tf

    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
    x_train = (x_train[:train_limit, ..., None] / 255.0).astype("float32")
    x_test = (x_test[:test_limit, ..., None] / 255.0).astype("float32")
    return x_train, y_train[:train_limit].astype("int64"), x_test, y_test[:test_limit].astype("int64")


def build_learnet(task: str):
    import learnet as tf

    L = tf.keras.layers
    if task == "mlp":
        layers = [L.Flatten(), L.Dense(512, activation="relu"), L.Dense(10, activation="softmax")]
    else:
        layers = [
            L.Conv2D(32, (3, 3), activation="relu"),
            L.MaxPooling2D((2, 2)),
            L.Conv2D(64, (3, 3), activation="relu"),
            L.MaxPooling2D((2, 2)),
            L.Flatten(),
            L.Dropout(0.5),
            L.Dense(10, activation="softmax"),
        ]
    model = tf.keras.Sequential([tf.keras.Input((28, 28, 1)), *layers])
    model.compile(optimizer=TASKS[task][0], loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def synchronize(backend_name: str) -> None:
    if backend_name == "cupy":
        import cupy

        cupy.cuda.Device().synchronize()
    elif backend_name == "torch":
        import torch

        torch.cuda.synchronize()


def run_learnet(task: str, epochs: int, train_limit: int, test_limit: int) -> dict:
    """One learnet run on the backend of ``LEARNET_BACKEND``: epoch times and test accuracy."""
    import learnet as tf
    from learnet import backend

    backend.set_seed(0)
    x, y, x_test, y_test = load_mnist(train_limit, test_limit)
    model = build_learnet(task)
    times = []
    for epoch in range(epochs + 1):  # epoch 0 is the warm-up
        synchronize(backend.name())
        start = time.perf_counter()
        model.fit(x, y, epochs=1, batch_size=TASKS[task][1], verbose=0)
        synchronize(backend.name())
        if epoch:
            times.append(time.perf_counter() - start)
    _, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    del tf
    return {"epoch_s": statistics.median(times), "accuracy": float(accuracy)}


def run_torch(task: str, epochs: int, train_limit: int, test_limit: int) -> dict:
    """The same network in PyTorch on CUDA, from the same initial weights as learnet's."""
    import numpy as np
    import torch

    from learnet import backend

    backend.set_seed(0)
    x, y, x_test, y_test = load_mnist(train_limit, test_limit)
    reference = build_learnet(task)  # learnet (NumPy) draws the initial weights
    weights = [w.numpy() for w in reference.weights]
    device = torch.device("cuda")
    nn = torch.nn
    if task == "mlp":
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
        linear = [model[1], model[3]]
        for layer, (kernel, bias) in zip(linear, zip(weights[::2], weights[1::2])):
            layer.weight.data = torch.from_numpy(kernel.T.copy())
            layer.bias.data = torch.from_numpy(bias)
        optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    else:
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Dropout(0.5),
            nn.Linear(64 * 5 * 5, 10),
        )
        conv1, conv2, dense = model[0], model[3], model[8]
        conv1.weight.data = torch.from_numpy(weights[0].transpose(3, 2, 0, 1).copy())
        conv1.bias.data = torch.from_numpy(weights[1])
        conv2.weight.data = torch.from_numpy(weights[2].transpose(3, 2, 0, 1).copy())
        conv2.bias.data = torch.from_numpy(weights[3])
        # learnet flattens channels-last (h, w, c); PyTorch channels-first (c, h, w).
        kernel = weights[4].reshape(5, 5, 64, 10).transpose(2, 0, 1, 3).reshape(-1, 10)
        dense.weight.data = torch.from_numpy(kernel.T.copy())
        dense.bias.data = torch.from_numpy(weights[5])
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    model = model.to(device)
    to_input = (lambda a: a) if task == "mlp" else (lambda a: a.transpose(0, 3, 1, 2))
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    batch = TASKS[task][1]
    times = []
    for epoch in range(epochs + 1):
        model.train()
        torch.cuda.synchronize()
        start = time.perf_counter()
        order = rng.permutation(len(x))
        for begin in range(0, len(x), batch):
            rows = order[begin : begin + batch]
            xb = torch.from_numpy(np.ascontiguousarray(to_input(x[rows]))).to(device, non_blocking=True)
            yb = torch.from_numpy(y[rows]).to(device, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
        torch.cuda.synchronize()
        if epoch:
            times.append(time.perf_counter() - start)
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(np.ascontiguousarray(to_input(x_test))).to(device))
        accuracy = float((logits.argmax(1).cpu().numpy() == y_test).mean())
    return {"epoch_s": statistics.median(times), "accuracy": accuracy}


def worker(args) -> int:
    if args.worker == "torch":
        result = run_torch(args.task, args.epochs, args.train_limit, args.test_limit)
    else:
        result = run_learnet(args.task, args.epochs, args.train_limit, args.test_limit)
    print(json.dumps(result))
    return 0


def in_child(kind: str, args, task: str) -> dict:
    """Run one measurement in a fresh process (``kind``: numpy, cupy or torch)."""
    env = dict(os.environ, LEARNET_BACKEND="cupy" if kind == "cupy" else "numpy")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    command = [sys.executable, __file__, "--worker", "torch" if kind == "torch" else "learnet", "--task", task]
    command += [
        "--epochs",
        str(args.epochs),
        "--train-limit",
        str(args.train_limit),
        "--test-limit",
        str(args.test_limit),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="mlp,cnn", help="tasks, comma-separated: mlp, cnn")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs after one warm-up epoch")
    parser.add_argument("--train-limit", type=int, default=60000)
    parser.add_argument("--test-limit", type=int, default=10000)
    parser.add_argument("--no-cpu", action="store_true", help="skip learnet on NumPy (the accuracy reference)")
    parser.add_argument("--worker", choices=["learnet", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--task", choices=list(TASKS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)
    why_not = gpu_state()
    if why_not is not None:
        print(f"No GPU to measure on: {why_not}. Nothing was run; run this where CuPy and a CUDA GPU are present.")
        return 0
    try:
        import torch

        torch_ready = torch.cuda.is_available()
    except ImportError:
        torch_ready = False
    results = {}
    for task in [t.strip() for t in args.only.split(",") if t.strip()]:
        if task not in TASKS:
            parser.error(f"--only expects tasks among {sorted(TASKS)}, got {task!r}")
        kinds = ([] if args.no_cpu else ["numpy"]) + ["cupy"] + (["torch"] if torch_ready else [])
        results[task] = {kind: in_child(kind, args, task) for kind in kinds}
    print(f"{'task':5} {'run':14} {'epoch (s)':>10} {'test accuracy':>14}")
    for task, runs in results.items():
        for kind, result in runs.items():
            label = {"numpy": "learnet NumPy", "cupy": "learnet CuPy", "torch": "PyTorch CUDA"}[kind]
            if "error" in result:
                print(f"{task:5} {label:14} failed: {result['error']}")
            else:
                print(f"{task:5} {label:14} {result['epoch_s']:10.3f} {100 * result['accuracy']:13.2f}%")
        cupy, torch_run, cpu = runs.get("cupy", {}), runs.get("torch", {}), runs.get("numpy", {})
        if "epoch_s" in cupy and "epoch_s" in torch_run:
            print(f"{task:5} learnet CuPy / PyTorch epoch time: {cupy['epoch_s'] / torch_run['epoch_s']:.2f}x")
        if "accuracy" in cupy and "accuracy" in cpu:
            print(f"{task:5} accuracy CuPy - NumPy: {100 * (cupy['accuracy'] - cpu['accuracy']):+.2f} points")
    if not torch_ready:
        print("PyTorch with CUDA is not installed here: its column was left out.")
    print(json.dumps({"gpu_fit": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
