"""A crash never costs a saved model.

A child process trains and saves in a loop (``ModelCheckpoint`` every batch, whole model
and weights only, and ``model.save`` of a model whose weights all hold the loop's step
number) and is killed with SIGKILL at random moments, many times. After every kill,
each file at its final path loads, and holds one whole save (not a mix of two), or does
not exist yet. A killed save may leave its hidden temporary file; later saves work.
"""

import multiprocessing
import os
import signal
import tempfile
import time

import numpy as np

import learnet
from learnet import Input, layers
from learnet.callbacks import ModelCheckpoint
from learnet.models import Sequential, load_model

KILLS = 60
MAX_DELAY_S = 0.25


def training_model():
    model = Sequential(
        [Input(shape=(32,)), layers.Dense(256, activation="relu"), layers.Dense(10, activation="softmax")]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def stamped_model():
    return Sequential([Input(shape=(64,)), layers.Dense(512), layers.Dense(4)])


def save_forever(folder):
    """The child: train with two checkpoints, and save a stamped model, until killed."""
    learnet.utils.set_random_seed(os.getpid())
    model = training_model()
    rng = np.random.default_rng(os.getpid())
    x, y = rng.normal(size=(64, 32)).astype("float32"), rng.integers(0, 10, 64)
    checkpoints = [
        ModelCheckpoint(os.path.join(folder, "checkpoint.learnet"), save_freq=1),
        ModelCheckpoint(os.path.join(folder, "checkpoint.weights.npz"), save_weights_only=True, save_freq=1),
    ]
    stamped = stamped_model()
    step = 0
    while True:
        model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=checkpoints)
        step += 1
        stamped.set_weights([np.full(w.shape, step, dtype=w.dtype) for w in stamped.get_weights()])
        stamped.save(os.path.join(folder, "stamped.learnet"))


def check_files(folder):
    """Every final file loads and is one whole save. Returns the names that exist."""
    present = []
    path = folder / "checkpoint.learnet"
    if path.exists():
        restored = load_model(path)
        assert restored.count_params() == training_model().count_params()
        present.append(path.name)
    path = folder / "checkpoint.weights.npz"
    if path.exists():
        training_model().load_weights(path)
        present.append(path.name)
    path = folder / "stamped.learnet"
    if path.exists():
        values = np.concatenate([w.ravel() for w in load_model(path).get_weights()])
        assert values.min() == values.max() >= 1, "a mix of two saves"
        present.append(path.name)
    return present


def test_files_survive_sigkill_at_random_moments(tmp_path):
    context = multiprocessing.get_context("fork")
    rng = np.random.default_rng(2024)
    existing = {"checkpoint.learnet": 0, "checkpoint.weights.npz": 0, "stamped.learnet": 0}
    # One training step and one save here first: the forked children inherit what they
    # load or compile on first use (the compiled kernels, when numba is installed), and
    # start saving within the kills' delays however this test is run, alone or after others.
    warm = training_model()
    warm.fit(np.zeros((16, 32), "float32"), np.zeros(16, int), batch_size=16, epochs=1, verbose=0)
    with tempfile.TemporaryDirectory() as folder:
        warm.save(os.path.join(folder, "model.learnet"))
    started = time.perf_counter()
    for _ in range(KILLS):
        child = context.Process(target=save_forever, args=(str(tmp_path),), daemon=True)
        child.start()
        time.sleep(rng.uniform(0.0, MAX_DELAY_S))
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        assert child.exitcode == -signal.SIGKILL  # it was still saving when it died
        for name in check_files(tmp_path):
            existing[name] += 1
    elapsed = time.perf_counter() - started
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name not in existing)
    print(
        f"\n{KILLS} SIGKILLs in {elapsed:.1f} s; after the kills the files existed and loaded "
        f"{existing}; {len(leftovers)} temporary files of interrupted saves left"
    )
    # The kills did land during saves (else this test proved nothing), and the
    # files existed and loaded after most of them.
    assert leftovers, "no kill interrupted a save"
    assert all(name.startswith(".") and name.endswith(".tmp") for name in leftovers)
    assert min(existing.values()) >= KILLS // 2
    # Temporary files of killed saves get in the way of nothing: later saves work.
    model = training_model()
    model.fit(
        np.zeros((4, 32)),
        np.zeros(4),
        verbose=0,
        callbacks=[ModelCheckpoint(str(tmp_path / "checkpoint.learnet"), save_freq=1)],
    )
    stamped = stamped_model()
    stamped.set_weights([np.full(w.shape, 7, dtype=w.dtype) for w in stamped.get_weights()])
    stamped.save(tmp_path / "stamped.learnet")
    model.save_weights(tmp_path / "checkpoint.weights.npz")
    check_files(tmp_path)
    assert load_model(tmp_path / "stamped.learnet").get_weights()[0][0, 0] == 7
