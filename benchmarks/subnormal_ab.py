"""Interleaved A/B: the MLP's epochs with and without the optimizer's subnormal flush.

On random data many ReLU units of the MLP (Dense 512 relu -> Dense 10 softmax, RMSprop,
batch 128, 10,000 images) die: their gradients stay exactly 0, RMSprop's velocities
shrink by ``rho`` every step and become subnormal after about 830 steps (epoch 9 or 10),
which the CPU computes with slowly. ``learnet.optimizers`` sets such slots to 0 every
``FLUSH_EVERY`` steps; this script trains four identical models epoch by epoch in
turn, the flush on or off (``FLUSH_EVERY`` set to never) with the NumPy and the numba
kernels (``--every`` and ``--kernels`` choose others), and prints each one's median epoch time before (epochs 1-8) and after
(epochs 9-16) the slots decay, with the number of subnormal slot entries at the end.

Run from the repository root::

    python benchmarks/subnormal_ab.py               # 3 rounds of 16 epochs
    python benchmarks/subnormal_ab.py --rounds 1 --epochs 12
"""

import argparse
import statistics
import time

import numpy as np

import learnet as tf
from learnet import optimizers
from learnet.ops import compiled

NEVER = 10**18


def subnormals(optimizer):
    count = 0
    for record in optimizer._records.values():
        for slot in record[0]:
            count += int(np.count_nonzero((slot != 0) & (np.abs(slot) < np.finfo(slot.dtype).tiny)))
    return count


def name(every):
    return "never" if every == NEVER else str(every)


def make_model():
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((28, 28)),
            tf.keras.layers.Flatten(),
            tf.keras.layers.Dense(512, activation="relu"),
            tf.keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--every", default=f"{optimizers.FLUSH_EVERY},never", help="FLUSH_EVERY values to compare")
    parser.add_argument("--kernels", default="numpy,numba")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.random((10_000, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, size=10_000)
    everies = [NEVER if e == "never" else int(e) for e in args.every.split(",")]
    variants = [(kernels, every) for kernels in args.kernels.split(",") for every in everies]
    if not compiled.available():
        variants = [v for v in variants if v[0] == "numpy"]
    default_every = optimizers.FLUSH_EVERY
    times = {v: [[] for _ in range(args.epochs)] for v in variants}
    counts = {v: [] for v in variants}
    for _ in range(args.rounds):
        models = {v: make_model() for v in variants}
        for epoch in range(args.epochs):
            for v in variants:
                compiled.set_kernels(v[0])
                optimizers.FLUSH_EVERY = v[1]
                start = time.perf_counter()
                models[v].fit(x, y, batch_size=128, epochs=1, verbose=0, shuffle=True)
                times[v][epoch].append(time.perf_counter() - start)
        for v in variants:
            counts[v].append(subnormals(models[v].optimizer))
    optimizers.FLUSH_EVERY = default_every
    print(f"median epoch seconds over {args.rounds} rounds")
    print(f"{'kernels':8} {'every':6} {'epochs 1-8':>11} {'epochs 9-' + str(args.epochs):>11} {'subnormal at end':>17}")
    for v in variants:
        before = statistics.median(t for e in times[v][:8] for t in e)
        after = statistics.median(t for e in times[v][8:] for t in e)
        print(f"{v[0]:8} {name(v[1]):6} {before:11.3f} {after:11.3f} {max(counts[v]):17,}")
    print("per epoch (median over rounds):")
    for v in variants:
        row = " ".join(f"{statistics.median(e):.2f}" for e in times[v])
        print(f"  {v[0]:6} {name(v[1]):5} {row}")


if __name__ == "__main__":
    main()
