"""Numerics at the edges: saturated outputs keep every cross-entropy finite; a diverging run stops.

* Softmax and sigmoid outputs saturated to exactly 0 and 1 (logits of size 30 to 1e30),
  given to every cross-entropy (the loss functions, the loss classes, the ``nn`` ops
  and the metrics) in each way a user gives them: as the output of ``nn.softmax`` /
  ``nn.sigmoid`` (computed from the logits), as logits with ``from_logits=True``, and as
  plain probability arrays (clipped): the loss and its gradient are finite, right or wrong.
* ``TerminateOnNaN`` stops a run that diverges (learning rate 1e3), says so, and the
  history is shorter than the epochs asked for.
"""

import numpy as np
import pytest

import learnet
from learnet import Input, layers, losses, metrics
from learnet.callbacks import TerminateOnNaN
from learnet.models import Sequential

SIZES = [30.0, 1e4, 1e30]


def saturated_logits(size, classes=3):
    """Rows whose softmax is exactly one-hot in float32: the right class first, then a wrong one."""
    logits = np.full((4, classes), -size, dtype="float32")
    logits[0, 0] = logits[1, 1] = logits[2, 2] = size  # confident and right (labels 0, 1, 2)
    logits[3, 0] = size  # confident and wrong (label 2)
    return logits


LABELS = np.array([0, 1, 2, 2])


def binary_logits(size):
    """Sigmoid outputs of exactly 0 and 1: right, right, wrong, wrong."""
    return np.array([[size], [-size], [size], [-size]], dtype="float32")


BINARY_LABELS = np.array([[1.0], [0.0], [0.0], [1.0]], dtype="float32")


def finite_loss_and_gradient(compute, logits):
    """The loss of ``compute(variable)`` and its gradient with respect to the logits."""
    variable = learnet.Variable(logits)
    with learnet.GradientTape() as tape:
        loss = learnet.reduce_mean(compute(variable))
    gradient = tape.gradient(loss, variable)
    loss, gradient = float(loss.numpy()), gradient.numpy()
    assert np.isfinite(loss), loss
    assert np.isfinite(gradient).all(), gradient
    return loss, gradient


ONE_HOT = np.eye(3, dtype="float32")[LABELS]

CATEGORICAL = [
    (
        "categorical_crossentropy of nn.softmax",
        lambda z: losses.categorical_crossentropy(ONE_HOT, learnet.nn.softmax(z)),
    ),
    ("categorical_crossentropy from logits", lambda z: losses.categorical_crossentropy(ONE_HOT, z, from_logits=True)),
    (
        "CategoricalCrossentropy of nn.softmax",
        lambda z: losses.CategoricalCrossentropy()(ONE_HOT, learnet.nn.softmax(z)),
    ),
    (
        "CategoricalCrossentropy with label smoothing",
        lambda z: losses.CategoricalCrossentropy(label_smoothing=0.1)(ONE_HOT, learnet.nn.softmax(z)),
    ),
    (
        "sparse_categorical_crossentropy of nn.softmax",
        lambda z: losses.sparse_categorical_crossentropy(LABELS, learnet.nn.softmax(z)),
    ),
    (
        "sparse_categorical_crossentropy from logits",
        lambda z: losses.sparse_categorical_crossentropy(LABELS, z, from_logits=True),
    ),
    (
        "SparseCategoricalCrossentropy of nn.softmax",
        lambda z: losses.SparseCategoricalCrossentropy()(LABELS, learnet.nn.softmax(z)),
    ),
    ("nn.softmax_cross_entropy_with_logits", lambda z: learnet.nn.softmax_cross_entropy_with_logits(ONE_HOT, z)),
    (
        "nn.sparse_softmax_cross_entropy_with_logits",
        lambda z: learnet.nn.sparse_softmax_cross_entropy_with_logits(LABELS, z),
    ),
    (
        "categorical_crossentropy of a softmax layer",
        lambda z: losses.categorical_crossentropy(ONE_HOT, layers.Activation("softmax")(z)),
    ),
    (
        "sparse_categorical_crossentropy of a softmax layer",
        lambda z: losses.sparse_categorical_crossentropy(LABELS, layers.Activation("softmax")(z)),
    ),
]

BINARY = [
    ("binary_crossentropy of nn.sigmoid", lambda z: losses.binary_crossentropy(BINARY_LABELS, learnet.nn.sigmoid(z))),
    ("binary_crossentropy from logits", lambda z: losses.binary_crossentropy(BINARY_LABELS, z, from_logits=True)),
    ("BinaryCrossentropy of nn.sigmoid", lambda z: losses.BinaryCrossentropy()(BINARY_LABELS, learnet.nn.sigmoid(z))),
    (
        "BinaryCrossentropy with label smoothing",
        lambda z: losses.BinaryCrossentropy(label_smoothing=0.2)(BINARY_LABELS, learnet.nn.sigmoid(z)),
    ),
    ("nn.sigmoid_cross_entropy_with_logits", lambda z: learnet.nn.sigmoid_cross_entropy_with_logits(BINARY_LABELS, z)),
    (
        "binary_crossentropy of a sigmoid layer",
        lambda z: losses.binary_crossentropy(BINARY_LABELS, layers.Activation("sigmoid")(z)),
    ),
]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name, compute", CATEGORICAL, ids=[c[0] for c in CATEGORICAL])
def test_categorical_cross_entropies_of_saturated_softmax_stay_finite(name, compute, size):
    loss, gradient = finite_loss_and_gradient(compute, saturated_logits(size))
    assert loss > 0
    # Computed from the logits, the wrong row costs what it should (about 2 * size / 4 rows);
    # softmax(z) - onehot bounds every gradient entry by 1 / batch.
    if "smoothing" not in name:
        assert loss == pytest.approx(2 * size / 4, rel=1e-5)
    assert np.abs(gradient).max() <= 1.0 / 4 + 1e-6


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name, compute", BINARY, ids=[c[0] for c in BINARY])
def test_binary_cross_entropies_of_saturated_sigmoid_stay_finite(name, compute, size):
    loss, gradient = finite_loss_and_gradient(compute, binary_logits(size))
    if "smoothing" not in name:
        assert loss == pytest.approx(2 * size / 4, rel=1e-5)  # two wrong rows of 4
    assert np.abs(gradient).max() <= 1.0 / 4 + 1e-6


PROBABILITIES = [
    ("categorical_crossentropy", lambda p: losses.categorical_crossentropy(ONE_HOT, p), "softmax"),
    ("sparse_categorical_crossentropy", lambda p: losses.sparse_categorical_crossentropy(LABELS, p), "softmax"),
    ("binary_crossentropy", lambda p: losses.binary_crossentropy(BINARY_LABELS, p), "sigmoid"),
]


@pytest.mark.parametrize("name, compute, kind", PROBABILITIES, ids=[c[0] for c in PROBABILITIES])
def test_plain_probabilities_of_exactly_0_and_1_are_clipped_not_infinite(name, compute, kind):
    """Probabilities given as an array (no logits to go back to): clipped to [1e-7, 1 - 1e-7], as in Keras."""
    if kind == "softmax":
        probabilities = np.eye(3, dtype="float32")[[0, 1, 2, 0]]  # the last row is wrong
    else:
        probabilities = np.array([[1.0], [0.0], [1.0], [0.0]], dtype="float32")
    loss, gradient = finite_loss_and_gradient(compute, probabilities)
    wrong_rows = 1 if kind == "softmax" else 2
    # -log(1e-7) per wrong row (1 - 1e-7 rounds a little in float32, hence the tolerance).
    assert loss == pytest.approx(wrong_rows * -np.log(1e-7) / 4, rel=2e-2)


METRICS = [
    ("CategoricalCrossentropy", lambda: metrics.CategoricalCrossentropy(), ONE_HOT, "softmax"),
    ("SparseCategoricalCrossentropy", lambda: metrics.SparseCategoricalCrossentropy(), LABELS, "softmax"),
    ("BinaryCrossentropy", lambda: metrics.BinaryCrossentropy(), BINARY_LABELS, "sigmoid"),
]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name, make, labels, kind", METRICS, ids=[c[0] for c in METRICS])
def test_cross_entropy_metrics_of_saturated_outputs_stay_finite(name, make, labels, kind, size):
    metric = make()
    if kind == "softmax":
        metric.update_state(labels, learnet.nn.softmax(learnet.constant(saturated_logits(size))))
    else:
        metric.update_state(labels, learnet.nn.sigmoid(learnet.constant(binary_logits(size))))
    assert np.isfinite(float(metric.result()))


@pytest.mark.parametrize(
    "loss, activation, units",
    [
        ("sparse_categorical_crossentropy", "softmax", 3),
        ("categorical_crossentropy", "softmax", 3),
        ("binary_crossentropy", "sigmoid", 1),
    ],
)
def test_training_a_saturated_model_keeps_finite_weights(loss, activation, units):
    """A model whose output layer is saturated (weights * 1000) still gets finite updates."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 5)).astype("float32")
    labels = rng.integers(0, units if units > 1 else 2, 32)
    y = np.eye(3, dtype="float32")[labels] if loss == "categorical_crossentropy" else labels
    model = Sequential([Input(shape=(5,)), layers.Dense(units, activation=activation)])
    model.compile(optimizer="sgd", loss=loss)
    kernel, bias = model.get_weights()
    model.set_weights([kernel * 1000.0, bias])
    probabilities = model.predict(x, verbose=0)
    assert ((probabilities == 0) | (probabilities == 1)).mean() > 0.3  # really saturated
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert all(np.isfinite(w).all() for w in model.get_weights())


# --- a diverging run --------------------------------------------------------------------------------


@pytest.mark.parametrize("loss, targets", [("sparse_categorical_crossentropy", "classes"), ("mse", "values")])
def test_terminate_on_nan_stops_a_diverging_run_and_says_so(capsys, loss, targets):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 20)).astype("float32")
    y = rng.integers(0, 4, 256) if targets == "classes" else rng.normal(size=(256, 1)).astype("float32")
    model = Sequential(
        [
            Input(shape=(20,)),
            layers.Dense(32, activation="relu"),
            layers.Dense(32, activation="relu"),
            layers.Dense(4, activation="softmax") if targets == "classes" else layers.Dense(1),
        ]
    )
    model.compile(optimizer=learnet.optimizers.SGD(learning_rate=1e3), loss=loss)
    epochs = 20
    with np.errstate(all="ignore"):
        history = model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, callbacks=[TerminateOnNaN()])
    printed = capsys.readouterr().out
    assert "Invalid loss, terminating training" in printed
    assert len(history.history["loss"]) < epochs
    assert not np.isfinite(history.history["loss"][-1])
    steps = int(model.optimizer.iterations)
    assert steps < epochs * 256 // 32
    assert f"Batch {(steps - 1) % 8}: Invalid loss" in printed  # the batch (of 8 per epoch) it stopped at


def test_without_terminate_on_nan_the_same_run_goes_on():
    """So it is the callback that stops the run above, not something else."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 20)).astype("float32")
    model = Sequential([Input(shape=(20,)), layers.Dense(32, activation="relu"), layers.Dense(1)])
    model.compile(optimizer=learnet.optimizers.SGD(learning_rate=1e3), loss="mse")
    with np.errstate(all="ignore"):
        history = model.fit(x, rng.normal(size=(64, 1)), epochs=3, batch_size=32, verbose=0)
    assert len(history.history["loss"]) == 3
    assert not np.isfinite(history.history["loss"][-1])
