"""A long run does not grow in memory: no tape, graph, history or metric state piles up.

An MLP trains for 20,000 steps on batches of 8, through ``fit`` and through a custom
``GradientTape`` loop; the process's resident memory (RSS) is sampled every 1,000 steps.
After a warm-up of 5,000 steps the fitted slope must stay below 2 MiB per 10,000 steps
(a leak of one batch's activations per step would be about 40 MiB).
"""

import numpy as np
import psutil
import pytest

import learnet
from learnet import Input, layers
from learnet.callbacks import Callback
from learnet.models import Sequential

STEPS = 20_000
EVERY = 1_000
WARM_UP = 5_000
BOUND_MIB_PER_10K = 2.0


def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(2000, 32)).astype("float32"), rng.integers(0, 10, 2000)


def mlp():
    model = Sequential(
        [
            Input(shape=(32,)),
            layers.Dense(64, activation="relu"),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def slope_mib_per_10k(samples):
    """Least-squares slope of RSS after the warm-up, in MiB per 10,000 steps."""
    steps = np.array([s for s, _ in samples if s > WARM_UP], dtype="float64")
    rss = np.array([r for s, r in samples if s > WARM_UP], dtype="float64") / 2**20
    return float(np.polyfit(steps, rss, 1)[0] * 10_000)


def report(what, samples):
    slope = slope_mib_per_10k(samples)
    start, end = samples[0][1] / 2**20, samples[-1][1] / 2**20
    print(
        f"\n{what}: RSS {start:.1f} MiB at step {samples[0][0]:,}, {end:.1f} MiB at step "
        f"{samples[-1][0]:,}; slope after {WARM_UP:,} steps {slope:+.3f} MiB per 10,000 steps"
    )
    print("   " + " ".join(f"{r / 2**20:.1f}" for _, r in samples))
    return slope


class RssSampler(Callback):
    def __init__(self):
        super().__init__()
        self.process = psutil.Process()
        self.step = 0
        self.samples = []

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step % EVERY == 0:
            self.samples.append((self.step, self.process.memory_info().rss))


@pytest.mark.slow
def test_fit_for_20000_steps_stays_flat_in_memory():
    x, y = data()
    model = mlp()
    sampler = RssSampler()
    history = model.fit(x, y, batch_size=8, epochs=STEPS // (len(x) // 8), verbose=0, callbacks=[sampler])
    assert sampler.step == STEPS
    assert len(history.history["loss"]) == STEPS // 250 and np.isfinite(history.history["loss"]).all()
    assert report("fit", sampler.samples) < BOUND_MIB_PER_10K


@pytest.mark.slow
def test_a_custom_training_loop_for_20000_steps_stays_flat_in_memory():
    x, y = data()
    model = mlp()
    optimizer = learnet.optimizers.Adam(1e-3)
    loss_fn = learnet.losses.SparseCategoricalCrossentropy()
    accuracy = learnet.metrics.SparseCategoricalAccuracy()
    process = psutil.Process()
    samples = []
    for step in range(1, STEPS + 1):
        start = (step * 8) % len(x)
        xb, yb = x[start : start + 8], y[start : start + 8]
        with learnet.GradientTape() as tape:
            predictions = model(xb, training=True)
            loss = loss_fn(yb, predictions)
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        accuracy.update_state(yb, predictions)
        if step % EVERY == 0:
            samples.append((step, process.memory_info().rss))
    assert np.isfinite(float(loss))
    assert report("GradientTape loop", samples) < BOUND_MIB_PER_10K
