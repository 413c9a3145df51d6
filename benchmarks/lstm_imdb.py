"""LSTM training epoch, learnet against PyTorch (CPU), IMDB-sized.

Run from the repository root::

    python benchmarks/lstm_imdb.py                     # 25,000 sequences, 2 interleaved repeats
    python benchmarks/lstm_imdb.py --limit 2000 --repeats 1   # a quick look

The model is the course's IMDB classifier: Embedding(10,000 x 32) -> LSTM(64) ->
Dense(1, sigmoid), binary cross-entropy, RMSprop, batch 64, sequences of length 200.
The data are random token ids with random labels made here (the same for both
frameworks): the time of an epoch does not depend on what the words are.

Every timed run is a fresh child process, started in interleaved order (learnet,
torch, learnet, torch, ...) with the same thread count for BLAS/OpenMP and
``torch.set_num_threads``. Each child trains a few warm-up steps, then one timed epoch,
and prints one JSON line; the driver prints the medians and the ratio. It measures
and never asserts; it is not part of the test suite.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
VOCAB, EMBED, UNITS, STEPS, BATCH = 10_000, 32, 64, 200, 64


def _data(limit):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.integers(1, VOCAB, size=(limit, STEPS), dtype=np.int64)
    y = rng.integers(0, 2, size=(limit,)).astype(np.float32)
    return x, y


def run_learnet(limit, warmup):
    sys.path.insert(0, str(HERE.parent / "src"))
    import learnet as tf
    from learnet import layers

    x, y = _data(limit)
    x = x.astype("int32")
    model = tf.keras.Sequential(
        [
            layers.Input((STEPS,), dtype="int32"),
            layers.Embedding(VOCAB, EMBED),
            layers.LSTM(UNITS),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x[: warmup * BATCH], y[: warmup * BATCH], batch_size=BATCH, epochs=1, verbose=0)
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=True)
    seconds = time.perf_counter() - start
    return seconds, float(history.history["loss"][-1])


def run_torch(limit, warmup):
    import torch

    torch.manual_seed(0)
    x, y = _data(limit)
    x, y = torch.from_numpy(x), torch.from_numpy(y)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(VOCAB, EMBED)
            self.lstm = torch.nn.LSTM(EMBED, UNITS, batch_first=True)
            self.dense = torch.nn.Linear(UNITS, 1)

        def forward(self, ids):
            _, (h, _) = self.lstm(self.embedding(ids))
            return self.dense(h[-1])[:, 0]

    model = Net()
    optimizer = torch.optim.RMSprop(model.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
    loss_function = torch.nn.BCEWithLogitsLoss()

    def epoch(xs, ys, shuffle):
        order = torch.randperm(len(xs)) if shuffle else torch.arange(len(xs))
        total = 0.0
        for start in range(0, len(xs), BATCH):
            index = order[start : start + BATCH]
            optimizer.zero_grad()
            loss = loss_function(model(xs[index]), ys[index])
            loss.backward()
            optimizer.step()
            total += float(loss) * len(index)
        return total / len(xs)

    epoch(x[: warmup * BATCH], y[: warmup * BATCH], False)
    start = time.perf_counter()
    loss = epoch(x, y, True)
    return time.perf_counter() - start, loss


def worker(framework, limit, warmup):
    seconds, loss = (run_learnet if framework == "learnet" else run_torch)(limit, warmup)
    print(json.dumps({"framework": framework, "seconds": seconds, "loss": loss}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=25_000, help="sequences per epoch")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=3, help="untimed warm-up batches")
    parser.add_argument("--frameworks", default="learnet,torch")
    parser.add_argument("--python", default=sys.executable, help="the Python that has torch (and NumPy)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.limit, args.warmup)
        return
    env = dict(os.environ)
    for key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[key] = str(args.threads)
    frameworks = args.frameworks.split(",")
    times = {name: [] for name in frameworks}
    for repeat in range(args.repeats):
        for name in frameworks:
            command = [
                args.python,
                __file__,
                "--worker",
                name,
                "--limit",
                str(args.limit),
                "--warmup",
                str(args.warmup),
            ]
            if name == "torch":
                command[0] = args.python
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{name}: failed\n{done.stderr[-2000:]}")
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            times[name].append(result["seconds"])
            print(f"repeat {repeat + 1}: {name:8s} {result['seconds']:8.2f} s  (loss {result['loss']:.4f})", flush=True)
    print(
        f"\nLSTM(64) epoch of {args.limit} sequences x {STEPS} steps, batch {BATCH}, {args.threads} threads (medians):"
    )
    for name, values in times.items():
        if values:
            print(f"  {name:8s} {statistics.median(values):8.2f} s")
    if times.get("learnet") and times.get("torch"):
        ratio = statistics.median(times["learnet"]) / statistics.median(times["torch"])
        print(f"  learnet / PyTorch: {ratio:.2f}x")


if __name__ == "__main__":
    main()
