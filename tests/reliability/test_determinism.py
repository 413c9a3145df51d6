"""The same seed gives bit-identical weights after an epoch, on the same machine and thread count.

Each run is a fresh Python process (nothing shared but the seed and the thread count):
an MLP with Dropout and a small convnet with Dropout train for one shuffled epoch; the
runs print a SHA-256 of every weight's bytes. Two runs with one seed must agree; a run
with another seed must not (so the comparison can fail).
"""

import json
import os
import subprocess
import sys
import textwrap

TRAIN = textwrap.dedent("""
    import hashlib
    import numpy as np
    import learnet
    from learnet import Input, layers
    from learnet.models import Sequential


    def train(seed):
        learnet.utils.clear_session()
        learnet.utils.set_random_seed(seed)
        data = np.random.default_rng(0)      # the same data in every run; the seed drives the rest
        results = {}

        mlp = Sequential([Input(shape=(20,)), layers.Dense(32, activation="relu"), layers.Dropout(0.3),
                          layers.Dense(32, activation="relu"), layers.Dropout(0.3),
                          layers.Dense(4, activation="softmax")])
        mlp.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        history = mlp.fit(data.normal(size=(256, 20)), data.integers(0, 4, 256), batch_size=16, epochs=1,
                          shuffle=True, verbose=0)
        results["mlp"] = [hashlib.sha256(w.tobytes()).hexdigest() for w in mlp.get_weights()]
        results["mlp_loss"] = float(history.history["loss"][0]).hex()

        convnet = Sequential([Input(shape=(10, 10, 1)), layers.Conv2D(4, 3, activation="relu"),
                              layers.MaxPooling2D(), layers.Dropout(0.25), layers.Flatten(),
                              layers.Dense(3, activation="softmax")])
        convnet.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        convnet.fit(data.normal(size=(96, 10, 10, 1)), data.integers(0, 3, 96), batch_size=8, epochs=1,
                    shuffle=True, verbose=0)
        results["convnet"] = [hashlib.sha256(w.tobytes()).hexdigest() for w in convnet.get_weights()]
        return results
""")
RUN = TRAIN + "\nimport json, sys\nprint(json.dumps(train(int(sys.argv[1]))))\n"

THREADS = "2"


def start(seed):
    environment = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        environment[name] = THREADS
    return subprocess.Popen(
        [sys.executable, "-c", RUN, str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )


def result(process):
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_the_same_seed_gives_bit_identical_weights_in_fresh_processes():
    first, second, other = start(42), start(42), start(43)
    first, second, other = result(first), result(second), result(other)
    assert first == second
    # Another seed changes every model (initial weights, dropout masks, shuffling).
    assert other["mlp"] != first["mlp"]
    assert other["convnet"] != first["convnet"]
    assert other["mlp_loss"] != first["mlp_loss"]


def test_reseeding_in_the_same_process_repeats_the_run():
    """What ran before (other models, another seed) leaves no trace once the seed is set again."""
    namespace = {}
    exec(compile(TRAIN, "<train>", "exec"), namespace)
    first = namespace["train"](42)
    namespace["train"](7)
    assert namespace["train"](42) == first
