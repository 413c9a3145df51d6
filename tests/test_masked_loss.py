"""A sequence mask that reaches the output weighs the loss and the metrics, as in Keras 3.

``Embedding(mask_zero=True)`` -> ``LSTM(return_sequences=True)`` -> ``Dense`` or
``TimeDistributed(Dense)``: padded steps do not count. Loss values, metrics and
gradients are compared with real Keras 3 (``fixtures/masked_loss_keras.npz``, made by
``fixtures/make_masked_loss_fixtures.py``).
"""

import sys
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import keras

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "fixtures"))
from make_masked_loss_fixtures import CASES, REDUCTIONS  # noqa: E402

DATA = np.load(HERE / "fixtures" / "masked_loss_keras.npz")
X = DATA["x"]


def build(name):
    case = CASES[name]
    recurrent = getattr(keras.layers, case["recurrent"])(4, return_sequences=True)
    dense = keras.layers.Dense(case["units"], activation=case["activation"])
    head = keras.layers.TimeDistributed(dense) if case["head"] == "time_distributed" else dense
    model = keras.Sequential(
        [keras.Input((X.shape[1],), dtype="int32"), keras.layers.Embedding(10, 3, mask_zero=True), recurrent, head]
    )
    loss = case["loss"]
    if "reduction" in case:
        loss = getattr(keras.losses, loss)(reduction=case["reduction"])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss=loss, metrics=case["metrics"])
    count = sum(1 for key in DATA.files if key.startswith(f"{name}/before/"))
    model.set_weights([DATA[f"{name}/before/{i}"] for i in range(count)])
    weight = DATA[f"{name}/sample_weight"] if f"{name}/sample_weight" in DATA.files else None
    return model, DATA[f"{name}/y"], weight, count


@pytest.mark.parametrize("name", list(CASES))
def test_loss_and_metrics_equal_keras(name):
    model, y, weight, _ = build(name)
    got = model.evaluate(X, y, sample_weight=weight, batch_size=len(X), verbose=0, return_dict=True)
    want = dict(zip(DATA[f"{name}/metric_names"], DATA[f"{name}/metric_values"]))
    assert sorted(got) == sorted(want)
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-5, abs=1e-6), key


@pytest.mark.parametrize("name", list(CASES))
def test_gradient_equals_keras(name):
    model, y, weight, count = build(name)
    model.train_on_batch(X, y, sample_weight=weight)
    for i, variable in enumerate(model.get_weights()):
        before, after = DATA[f"{name}/before/{i}"], DATA[f"{name}/after/{i}"]
        np.testing.assert_allclose(before - variable, before - after, rtol=1e-4, atol=1e-6, err_msg=f"weight {i}")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_the_loss_alone_with_step_weights_equals_keras(reduction, weighted):
    prediction = tf.constant(DATA["alone/y_pred"])
    prediction._keras_mask = tf.constant(X != 0)
    weight = DATA["alone/sample_weight"] if weighted else None
    got = tf.keras.losses.MeanSquaredError(reduction=reduction)(DATA["alone/y_true"], prediction, sample_weight=weight)
    np.testing.assert_allclose(got.numpy(), DATA[f"alone/{reduction}/{int(weighted)}"], rtol=1e-5, atol=1e-7)


def test_padded_steps_change_nothing():
    """The loss and its gradient do not depend on what the model predicts at padded steps."""
    model, y, _, _ = build("lstm_time_distributed_sparse")
    loss = tf.keras.losses.SparseCategoricalCrossentropy()
    other = y.copy()
    other[X == 0] = (other[X == 0] + 1) % 3  # different targets where the input is padding
    values, grads = [], []
    for target in (y, other):
        with tf.GradientTape() as tape:
            value = loss(target, model(X))
        values.append(float(value))
        grads.append([g.numpy() for g in tape.gradient(value, model.trainable_weights)])
    assert values[0] == values[1]
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)
    # The mean runs over the 10 real steps, not the 20 of the batch.
    probs = model(X).numpy()
    picked = -np.log(np.take_along_axis(probs, y[..., None], -1)[..., 0])
    assert values[0] == pytest.approx(picked[X != 0].mean(), rel=1e-5)


def test_reduction_none_zeroes_the_padded_steps():
    model, y, _, _ = build("lstm_time_distributed_sparse")
    per_step = tf.keras.losses.SparseCategoricalCrossentropy(reduction="none")(y, model(X)).numpy()
    assert per_step.shape == X.shape
    assert np.all(per_step[X == 0] == 0) and np.all(per_step[X != 0] > 0)


def test_a_mask_that_does_not_fit_the_losses_is_refused():
    prediction = tf.constant(np.full((2, 3, 4), 0.25, dtype="float32"))
    prediction._keras_mask = tf.constant(np.ones((2, 4), dtype=bool))
    with pytest.raises(ValueError, match=r"categorical_crossentropy: the mask on y_pred has shape \(2, 4\)"):
        tf.keras.losses.CategoricalCrossentropy()(np.full((2, 3, 4), 0.25), prediction)
    prediction._keras_mask = tf.constant(np.ones((2, 3), dtype=bool))
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\) does not fit the mask"):
        tf.keras.losses.CategoricalCrossentropy()(np.full((2, 3, 4), 0.25), prediction, sample_weight=[1, 2, 3])
