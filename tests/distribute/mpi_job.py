"""One MPI job of the distribute tests: ``python mpi_job.py SCENARIO OUTDIR``.

Run under ``mpiexec -n 2`` it trains with ``MultiWorkerMirroredStrategy``; run alone
(``--single``) it trains the same model on the same global batches in one process, the
reference the test compares with. Each process writes what it saw to OUTDIR as JSON/npz.
"""

import json
import os
import sys

import numpy as np

import learnet as tf
from learnet import layers

SEED = 7
GLOBAL_BATCH = 20


def data():
    generator = np.random.default_rng(0)
    x = generator.normal(size=(130, 6)).astype("float32")
    y = (x @ generator.normal(size=(6,)) > 0).astype("int64") + (x[:, 0] > 1).astype("int64")
    return x, y


def make_model():
    model = tf.keras.Sequential(
        [
            layers.Input(shape=(6,)),
            layers.Dense(16, activation="relu"),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=tf.keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def weights_of(model):
    return {f"w{i}": w.numpy() for i, w in enumerate(model.weights)}


def train(outdir, single):
    tf.keras.utils.set_random_seed(SEED)
    strategy = tf.distribute.get_strategy() if single else tf.distribute.MultiWorkerMirroredStrategy()
    rank = 0 if single else strategy.cluster_resolver.task_id  # the default strategy has no cluster resolver
    x, y = data()
    with strategy.scope():
        model = make_model()
    checkpoint = os.path.join(outdir, "best.learnet")
    history = model.fit(
        x,
        y,
        batch_size=GLOBAL_BATCH,
        epochs=3,
        validation_split=0.2,
        verbose=0,
        callbacks=[
            tf.keras.callbacks.ModelCheckpoint(checkpoint, monitor="val_loss", save_best_only=True),
            tf.keras.callbacks.CSVLogger(os.path.join(outdir, f"log-{rank}.csv")),
        ],
    )
    results = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)

    # A hand-written loop: each process takes its part of every global batch.
    with strategy.scope():
        loop_model = make_model()
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(reduction="none")
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(GLOBAL_BATCH)
    for xb, yb in strategy.experimental_distribute_dataset(dataset):
        with tf.GradientTape() as tape:
            per_example = loss_fn(yb, loop_model(xb, training=True))
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=GLOBAL_BATCH)
        grads = tape.gradient(loss, loop_model.trainable_variables)
        loop_model.optimizer.apply_gradients(zip(grads, loop_model.trainable_variables))
    mean_x = strategy.reduce("MEAN", tf.constant(x[rank :: strategy.num_replicas_in_sync, 0]), axis=0)

    name = "single" if single else f"rank{rank}"
    np.savez(os.path.join(outdir, f"{name}-fit.npz"), **weights_of(model))
    np.savez(os.path.join(outdir, f"{name}-loop.npz"), **weights_of(loop_model))
    with open(os.path.join(outdir, f"{name}.json"), "w") as file:
        json.dump(
            {
                "history": history.history,
                "evaluate": results,
                "mean_x": float(mean_x),
                "size": strategy.num_replicas_in_sync,
            },
            file,
        )


def raise_on_rank_one(outdir):
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    x, y = data()
    with strategy.scope():
        model = make_model()

    class Boom(tf.keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if strategy.cluster_resolver.task_id == 1 and batch == 2:
                raise RuntimeError("rank one gave up at batch 2")

    model.fit(x, y, batch_size=GLOBAL_BATCH, epochs=50, verbose=0, callbacks=[Boom()])


def mismatched_batch(outdir):
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    x, y = data()
    with strategy.scope():
        model = make_model()
    model.fit(x, y, batch_size=GLOBAL_BATCH + strategy.cluster_resolver.task_id, epochs=1, verbose=0)


if __name__ == "__main__":
    scenario, outdir = sys.argv[1], sys.argv[2]
    if scenario == "train":
        train(outdir, single="--single" in sys.argv)
    elif scenario == "raise":
        raise_on_rank_one(outdir)
    elif scenario == "mismatch":
        mismatched_batch(outdir)
