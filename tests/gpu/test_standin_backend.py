"""learnet on a strict stand-in for CuPy: every step stays on the "device", no silent host copies.

``device_standin`` follows CuPy's rules (no implicit conversion to NumPy, device scalars,
no ``numpy.add.at``, CuPy's generator methods) on NumPy, and counts every transfer; these
tests run everywhere. What only a real GPU shows is in ``test_cupy_gpu.py``.
"""

import numpy as np
import pytest

import learnet as tf
import learnet.keras_ops  # noqa: F401 - imported before the switch: its ufuncs are NumPy's
import learnet.layers  # noqa: F401
import learnet.models  # noqa: F401
from learnet import backend
from learnet.testing import check_gradients

from . import device_standin as standin

L = tf.keras.layers


@pytest.fixture
def device():
    """learnet computing with the stand-in for CuPy, seeded; NumPy again afterwards."""
    # Variables left alive by earlier tests would make set_backend refuse; they are not this
    # test's, so the switch is forced here (the refusal itself is tested below).
    backend._use_module(standin.cupy, standin.cupyx.scatter_add, "cupy", check=False)
    backend.set_seed(0)
    standin.reset_counts()
    try:
        yield standin
    finally:
        backend._use_module(np, None, "numpy", check=False)


def _mlp(optimizer):
    model = tf.keras.Sequential([L.Dense(32, activation="relu"), L.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _convnet():
    # The keras.io MNIST convnet, small.
    model = tf.keras.Sequential(
        [
            tf.keras.Input((12, 12, 1)),
            L.Conv2D(8, 3, activation="relu"),
            L.MaxPooling2D(2),
            L.Conv2D(4, 3, activation="relu", padding="same"),  # 8 input channels: the strided patch path
            L.MaxPooling2D(2),
            L.Flatten(),
            L.Dropout(0.5),
            L.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _lstm():
    model = tf.keras.Sequential([L.Embedding(50, 8), L.LSTM(6), L.Dense(1, activation="sigmoid")])
    model.compile(
        optimizer=tf.keras.optimizers.SGD(0.1, momentum=0.9), loss="binary_crossentropy", metrics=["accuracy"]
    )
    return model


def _data(kind):
    rng = np.random.default_rng(0)
    if kind == "mlp":
        x = rng.random((128, 20), dtype=np.float32)
        return x, x[:, :10].argmax(1)
    if kind == "cnn":
        x = rng.random((64, 12, 12, 1), dtype=np.float32)
        return x, (x[:, :6].mean((1, 2, 3)) > x[:, 6:].mean((1, 2, 3))).astype(np.int64)
    x = rng.integers(1, 50, (64, 7))
    return x, (x[:, 0] > 25).astype(np.int64)


MODELS = [
    pytest.param("mlp", lambda: _mlp("rmsprop"), id="mlp-rmsprop"),
    pytest.param("mlp", lambda: _mlp("adam"), id="mlp-adam"),
    pytest.param("mlp", lambda: _mlp(tf.keras.optimizers.SGD(0.1, momentum=0.9)), id="mlp-sgd-momentum"),
    pytest.param("cnn", _convnet, id="convnet"),
    pytest.param("lstm", _lstm, id="embedding-lstm"),
]


def _fit_evaluate_predict(kind, make):
    x, y = _data(kind)
    model = make()
    history = model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    loss, accuracy = model.evaluate(x, y, verbose=0)
    predictions = model.predict(x, verbose=0)
    return model, history.history, loss, accuracy, predictions


@pytest.mark.parametrize("kind, make", MODELS)
def test_fit_evaluate_predict_on_the_device_match_numpy(device, kind, make):
    model, history, loss, accuracy, predictions = _fit_evaluate_predict(kind, make)
    assert all(isinstance(w._value, standin.ndarray) for w in model.weights)
    assert isinstance(predictions, np.ndarray)  # predict hands back host arrays
    # The same seed on the host draws the same initial weights and batch order; only the
    # dropout masks come from the device generator, so the convnet is compared loosely.
    backend._use_module(np, None, "numpy", check=False)
    backend.set_seed(0)
    _, cpu_history, cpu_loss, cpu_accuracy, cpu_predictions = _fit_evaluate_predict(kind, make)
    if kind == "cnn":
        assert np.isfinite(loss) and abs(loss - cpu_loss) < 0.2
    else:
        np.testing.assert_allclose(history["loss"], cpu_history["loss"], rtol=1e-5)
        np.testing.assert_allclose(loss, cpu_loss, rtol=1e-5)
        np.testing.assert_allclose(accuracy, cpu_accuracy)
        np.testing.assert_allclose(predictions, cpu_predictions, rtol=1e-4, atol=1e-6)


def _small(loss, optimizer="adam", metrics=(), units=1, activation="sigmoid"):
    def make():
        model = tf.keras.Sequential([L.Dense(4, activation="tanh"), L.Dense(units, activation=activation)])
        model.compile(optimizer=optimizer() if callable(optimizer) else optimizer, loss=loss, metrics=list(metrics))
        return model

    return make


# Paths that compute differently on a device (no value read back to Python) give the same numbers.
DEVICE_PATHS = [
    pytest.param(_small("mse", lambda: tf.keras.optimizers.Adam(0.05, clipnorm=0.1)), id="clipnorm"),
    pytest.param(_small("mse", lambda: tf.keras.optimizers.Adam(0.05, global_clipnorm=0.01)), id="global_clipnorm"),
    pytest.param(_small("mse", "nadam"), id="nadam"),
    pytest.param(_small("hinge"), id="hinge-0-1-labels"),
    pytest.param(_small("binary_crossentropy", metrics=["Precision", "Recall"]), id="precision-recall"),
]


@pytest.mark.parametrize("make", DEVICE_PATHS)
def test_device_paths_give_the_numbers_of_numpy(device, make):
    rng = np.random.default_rng(2)
    x, y = rng.random((64, 5), dtype=np.float32), rng.integers(0, 2, (64, 1)).astype(np.float32)
    history = make().fit(x, y, epochs=2, batch_size=16, verbose=0).history
    backend._use_module(np, None, "numpy", check=False)
    backend.set_seed(0)
    expected = make().fit(x, y, epochs=2, batch_size=16, verbose=0).history
    assert history.keys() == expected.keys()
    for key in expected:
        np.testing.assert_allclose(history[key], expected[key], rtol=1e-5, err_msg=key)


class _Watched:
    """Runs a model's train_step under ``forbid``: a host copy inside raises where it happens."""

    def __init__(self, model, kinds):
        self.step, self.kinds, self.counts = model.train_step, kinds, []

    def __call__(self, data):
        standin.reset_counts()
        with standin.forbid(*self.kinds):
            logs = self.step(data)
        self.counts.append(dict(standin.counts))
        return logs


@pytest.mark.parametrize("kind, make", MODELS)
def test_a_training_step_copies_nothing_to_the_host(device, kind, make):
    x, y = _data(kind)
    model = make()
    model.fit(x[:32], y[:32], epochs=1, batch_size=32, verbose=0)  # built: weights on the device
    watched = _Watched(model, ("to_host", "syncs", "to_device"))
    model.train_step = watched
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    assert len(watched.counts) == len(x) // 32
    # The batch reaches the step already on the device; Python numbers in the step's
    # arithmetic become 0-d device arrays (small asynchronous copies), at most a few a step.
    assert all(c["scalars_to_device"] <= 3 for c in watched.counts), watched.counts


def test_what_fit_copies_per_epoch(device):
    x, y = _data("mlp")
    model = _mlp("adam")
    model.fit(x[:32], y[:32], epochs=1, batch_size=32, verbose=0)
    standin.reset_counts()
    model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    steps = 3 * len(x) // 32
    assert standin.counts["syncs"] == 0
    assert standin.counts["to_device"] == 2 * steps  # x and y of each batch, once
    assert standin.counts["to_host"] == 2 * 3  # the loss and the accuracy logged at each epoch's end


def test_a_gradient_tape_loop_stays_on_the_device(device):
    x, y = _data("mlp")
    model = _mlp("adam")
    optimizer = tf.keras.optimizers.Adam(1e-3)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy()
    xs, ys = standin.cupy.asarray(x), standin.cupy.asarray(y)
    model(xs[:1])
    standin.reset_counts()
    with standin.forbid("to_host", "syncs", "to_device"):
        for start in range(0, len(x), 32):
            with tf.GradientTape() as tape:
                loss = loss_fn(ys[start : start + 32], model(xs[start : start + 32], training=True))
            grads = tape.gradient(loss, model.trainable_weights)
            optimizer.apply_gradients(zip(grads, model.trainable_weights))
    assert isinstance(loss.numpy(), (np.ndarray, float, np.floating))  # .numpy(): the explicit copy
    assert standin.counts["to_host"] == 1


@pytest.mark.parametrize(
    "name, function, shapes",
    [
        ("dense", lambda x, w: tf.nn.relu(tf.matmul(x, w)), [(3, 4), (4, 2)]),
        ("conv2d", lambda x, k: tf.nn.conv2d(x, k, strides=1, padding="SAME"), [(1, 5, 5, 2), (3, 3, 2, 3)]),
        # 8 channels or more take the strided-view patch path (CuPy's as_strided has no writeable=)
        ("conv2d_wide", lambda x, k: tf.nn.conv2d(x, k, strides=2, padding="VALID"), [(1, 5, 5, 8), (3, 3, 8, 2)]),
        ("max_pool", lambda x: tf.nn.max_pool2d(x, 2, 2, "VALID"), [(1, 4, 4, 2)]),
        ("softmax_xent", lambda z: tf.nn.sparse_softmax_cross_entropy_with_logits([1, 0, 2], z), [(3, 4)]),
        ("gather", lambda p: tf.gather(p, [0, 2, 2, 1]), [(4, 3)]),
        ("getitem_repeated", lambda p: p[np.array([0, 0, 3])], [(4, 3)]),
        ("take_along_axis", lambda p: tf.keras.ops.take_along_axis(p, np.array([[0, 0], [2, 2], [1, 0]]), 1), [(3, 3)]),
    ],
)
def test_gradient_checks_on_the_device(device, name, function, shapes):
    rng = np.random.default_rng(1)
    inputs = [rng.standard_normal(shape) for shape in shapes]
    assert check_gradients(function, inputs) < 1e-5


def test_the_device_generator_is_seeded(device):
    backend.set_seed(3)
    first = tf.keras.layers.Dropout(0.5)(np.ones((4, 8), np.float32), training=True).numpy()
    backend.set_seed(3)
    again = tf.keras.layers.Dropout(0.5)(np.ones((4, 8), np.float32), training=True).numpy()
    np.testing.assert_array_equal(first, again)
    assert isinstance(backend.rng(), standin.Generator)
    assert isinstance(backend.host_rng(), np.random.Generator)


def test_scatter_add_sums_repeated_indices(device):
    a = standin.cupy.zeros(4, dtype=np.float32)
    backend.scatter_add(a, standin.cupy.asarray([1, 1, 3]), 1.0)
    np.testing.assert_array_equal(standin.asnumpy(a), [0, 2, 0, 1])


def test_the_standin_is_strict():
    cp = standin.cupy
    a = cp.asarray(np.arange(3.0))
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(a)
    with pytest.raises(TypeError, match="Unsupported type"):
        a + np.ones(3)
    with pytest.raises(TypeError, match="scatter_add"):
        np.add.at(a, [0], 1.0)
    assert isinstance(a.sum(), standin.ndarray)  # reductions stay on the device
    assert not hasattr(cp.random.default_rng(0), "permutation")  # not a method of CuPy's Generator
    standin.reset_counts()
    float(a.sum())
    a.get()
    assert standin.counts["syncs"] == 1 and standin.counts["to_host"] == 1


def test_set_backend_refuses_bad_names_and_changes_nothing():
    before = backend.xp
    with pytest.raises(ValueError, match="'numpy' or 'cupy'"):
        backend.set_backend("torch")
    assert backend.xp is before and backend.name() == "numpy"


def test_set_backend_says_what_to_install_without_cupy(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "cupy", None)  # as if CuPy were not installed
    with pytest.raises(ImportError, match="install"):
        backend.set_backend("cupy")
    assert backend.xp is np and backend.name() == "numpy"


def test_set_backend_refuses_to_switch_under_live_variables():
    weight = tf.Variable([1.0, 2.0], name="kept_weight")
    with pytest.raises(RuntimeError, match="before any Variable exists"):
        backend._use_module(standin.cupy, standin.cupyx.scatter_add, "cupy")
    assert backend.xp is np and isinstance(weight._value, np.ndarray)


def test_set_backend_numpy_is_a_no_op_when_already_numpy():
    backend.set_backend("numpy")
    assert backend.xp is np


def test_compiled_kernels_stay_off_on_the_device(device):
    from learnet.ops import compiled

    assert not compiled.enabled()


def test_a_fresh_program_switches_before_its_first_variable():
    import os
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import numpy as np, learnet as tf, device_standin as d\n"
        "from learnet import backend\n"
        "backend._use_module(d.cupy, d.cupyx.scatter_add, 'cupy')\n"  # checked: no Variable exists yet
        "model = tf.keras.Sequential([tf.keras.layers.Dense(2)])\n"
        "model.compile('sgd', 'mse')\n"
        "model.fit(np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32), verbose=0)\n"
        "assert isinstance(model.weights[0]._value, d.ndarray)\n"
        "try:\n"
        "    backend.set_backend('numpy')\n"
        "except RuntimeError as error:\n"
        "    print('refused:', 'before any Variable exists' in str(error), backend.name())\n"
    )
    src = str(here.parents[1] / "src")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", code, str(here)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "refused: True cupy"


@pytest.mark.parametrize(
    "make",
    [
        lambda: L.RandomFlip(seed=1),
        lambda: L.RandomRotation(0.1),
        lambda: L.RandomZoom(0.1, seed=1),
        lambda: L.RandomTranslation(0.1, 0.1),
        lambda: L.RandomContrast(0.2, seed=1),
        lambda: L.Dropout(0.5, seed=1),
        lambda: L.GaussianNoise(0.3, seed=1),
    ],
    ids=["flip", "rotation", "zoom", "translation", "contrast", "dropout", "gaussian-noise"],
)
def test_random_layers_draw_on_the_device(device, make):
    images = standin.cupy.asarray(np.random.default_rng(0).random((2, 6, 6, 3), dtype=np.float32))
    layer = make()
    layer(images, training=True)
    with standin.forbid("to_host", "syncs", "to_device"):
        out = layer(images, training=True)
    assert isinstance(out._value, standin.ndarray) and out.shape == (2, 6, 6, 3)


def test_the_subnormal_flush_stays_on_the_device(device, monkeypatch):
    """The optimizer's flush of subnormal slots (every ``FLUSH_EVERY`` steps) runs on device arrays."""
    from learnet import optimizers

    monkeypatch.setattr(optimizers, "FLUSH_EVERY", 4)
    w = tf.Variable(np.ones(10, dtype=np.float32))
    optimizer = tf.keras.optimizers.RMSprop(momentum=0.5)
    optimizer.build([w])
    slots = optimizer._records[id(w)][0]
    for slot in slots:
        slot[...] = 1.1 * np.finfo(np.float32).tiny
    zero = standin.cupy.zeros(10, dtype=np.float32)
    standin.reset_counts()
    with standin.forbid("to_host", "syncs", "to_device"):
        for _ in range(3):
            optimizer.apply_gradients([(zero, w)])
    assert all(np.count_nonzero(s.get()) == 10 for s in slots)  # subnormal, not yet flushed
    with standin.forbid("to_host", "syncs", "to_device"):
        optimizer.apply_gradients([(zero, w)])
    assert all(np.count_nonzero(s.get()) == 0 for s in slots)
    np.testing.assert_array_equal(w.numpy(), np.ones(10, dtype=np.float32))
