"""Data-parallel scaling on this machine: one process with 2 threads vs 2 MPI processes with 1 each.

Run from the repository root (needs ``pip install -e ".[mpi]"``)::

    python benchmarks/mpi_scaling.py                    # MLP and CNN, 3 interleaved rounds
    python benchmarks/mpi_scaling.py --tasks mlp --rounds 5 --train-limit 20000
    python benchmarks/mpi_scaling.py --model-only       # only the ring-allreduce model table

For each round and task it starts, one after the other (interleaved, so a slow
moment of the machine hits both alike):

* ``1x2``: one process, 2 BLAS threads, ``fit`` for one epoch;
* ``2x1``: ``mpiexec -n 2``, 1 thread per process, ``MultiWorkerMirroredStrategy``,
  the same global batch (128) split over the two processes.

It also times ``Allreduce`` of one flat float32 buffer of each model's size, the
message ``fit`` sends per step, and prints the ring-allreduce model
``2(N-1)/N * bytes / bandwidth + 2(N-1) * latency`` for larger jobs.
Scaling efficiency = time(1x2) / time(2x1): 1.0 means two processes on two cores
are as fast as one process using both cores for its matrix products.
Benchmarks measure; they assert nothing and are not part of the tests.
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
REPO = HERE.parent
PARAMETERS = {"mlp": 407_050, "cnn": 34_826}  # Dense 512 MLP; keras.io convnet
LINKS = {"10 Gb/s Ethernet (TCP)": (10e9 / 8, 30e-6), "100 Gb/s InfiniBand (RDMA)": (100e9 / 8, 2e-6)}


def ring_allreduce_seconds(ranks, nbytes, bandwidth, latency):
    """Time of a ring allreduce: reduce-scatter plus all-gather, 2(N-1) steps of nbytes/N each."""
    if ranks < 2:
        return 0.0
    return 2 * (ranks - 1) / ranks * nbytes / bandwidth + 2 * (ranks - 1) * latency


def child(args):
    """One measured run; prints a JSON line (rank 0 only when under MPI)."""
    import numpy as np

    import learnet as tf
    from learnet import layers

    tf.keras.utils.set_random_seed(0)
    (x, y), _ = tf.keras.datasets.mnist.load_data()
    x, y = (x[: args.train_limit] / 255.0).astype("float32"), y[: args.train_limit]
    distributed = args.mode == "2x1"
    strategy = tf.distribute.MultiWorkerMirroredStrategy() if distributed else tf.distribute.get_strategy()
    with strategy.scope():
        if args.task == "mlp":
            model = tf.keras.Sequential(
                [
                    layers.Input((28, 28)),
                    layers.Flatten(),
                    layers.Dense(512, activation="relu"),
                    layers.Dense(10, activation="softmax"),
                ]
            )
            optimizer = "rmsprop"
        else:
            x = x[..., None]
            model = tf.keras.Sequential(
                [
                    layers.Input((28, 28, 1)),
                    layers.Conv2D(32, 3, activation="relu"),
                    layers.MaxPooling2D(),
                    layers.Conv2D(64, 3, activation="relu"),
                    layers.MaxPooling2D(),
                    layers.Flatten(),
                    layers.Dropout(0.5),
                    layers.Dense(10, activation="softmax"),
                ]
            )
            optimizer = "adam"
        model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:1280], y[:1280], batch_size=128, epochs=1, verbose=0)  # warm-up: allocations, first steps
    strategy.barrier()
    started = time.perf_counter()
    history = model.fit(x, y, batch_size=128, epochs=1, verbose=0)
    strategy.barrier()
    seconds = time.perf_counter() - started
    result = {
        "task": args.task,
        "mode": args.mode,
        "epoch_s": seconds,
        "accuracy": history.history["accuracy"][-1],
        "samples": len(x),
    }
    if distributed:
        from mpi4py import MPI

        comm = MPI.COMM_WORLD
        buffer = np.ones(PARAMETERS[args.task], dtype=np.float32)
        times = []
        for _ in range(200):
            comm.Barrier()
            start = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
            times.append(time.perf_counter() - start)
        result["allreduce_ms"] = 1000 * statistics.median(times)
        if comm.Get_rank() != 0:
            return
    print(json.dumps(result), flush=True)


def run(task, mode, args):
    env = dict(os.environ, PYTHONPATH=str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    command = [
        sys.executable,
        __file__,
        "--child",
        "--task",
        task,
        "--mode",
        mode,
        "--train-limit",
        str(args.train_limit),
    ]
    threads = 2 if mode == "1x2" else 1
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    if mode == "2x1":
        from learnet.distribute.mpi import mpiexec_command

        command, env = mpiexec_command(2, command, threads=1)
        env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise SystemExit(f"{task} {mode} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# One core's compute time per training sample, from the 2-thread epochs of the speed
# benchmark (MLP 1.07 s, CNN 9.34 s for 60,000 images), used when none is measured here.
PER_SAMPLE_DEFAULT = {"mlp": 2 * 1.07 / 60000, "cnn": 2 * 9.34 / 60000}


def model_table(per_sample_seconds):
    """The ring model for larger jobs, with the local batch at which compute hides communication.

    A step is compute then allreduce (no overlap), so its efficiency is
    compute / (compute + allreduce): equal at 50 %, and 90 % needs nine times more compute.
    """
    lines = [
        "| model | link | ranks | allreduce per step | local batch: compute = communication "
        "| local batch for 90 % efficiency |",
        "|---|---|---|---|---|---|",
    ]
    for task, count in PARAMETERS.items():
        per_sample = per_sample_seconds.get(task) or PER_SAMPLE_DEFAULT[task]
        for link, (bandwidth, latency) in LINKS.items():
            for ranks in (8, 64, 512):
                seconds = ring_allreduce_seconds(ranks, 4 * count, bandwidth, latency)
                lines.append(
                    f"| {task} ({count:,} params, {4 * count / 1e6:.2f} MB) | {link} | {ranks} | "
                    f"{1000 * seconds:.2f} ms | {seconds / per_sample:,.0f} | {9 * seconds / per_sample:,.0f} |"
                )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="mlp,cnn")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--train-limit", type=int, default=60000)
    parser.add_argument("--model-only", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--task", choices=tuple(PARAMETERS), help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=("1x2", "2x1"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    per_sample = {}
    if not args.model_only:
        rows = [
            "| task | round | 1 process x 2 threads | 2 processes x 1 thread | efficiency | allreduce/step |",
            "|---|---|---|---|---|---|",
        ]
        for task in args.tasks.split(","):
            ratios, singles = [], []
            for index in range(args.rounds):
                one, two = run(task, "1x2", args), run(task, "2x1", args)
                ratios.append(one["epoch_s"] / two["epoch_s"])
                singles.append(one["epoch_s"] / one["samples"])
                rows.append(
                    f"| {task} | {index + 1} | {one['epoch_s']:.2f} s | {two['epoch_s']:.2f} s | "
                    f"{ratios[-1]:.2f} | {two['allreduce_ms']:.3f} ms |"
                )
                print(rows[-1], flush=True)
            rows.append(f"| {task} | median | | | **{statistics.median(ratios):.2f}** | |")
            # one core's time per sample: the 2-thread time per sample, times two
            per_sample[task] = 2 * statistics.median(singles)
        print("\n".join(rows))
    print()
    print(model_table(per_sample))


if __name__ == "__main__":
    main()
