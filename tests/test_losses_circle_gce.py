"""Keras 3's Circle and Generalized Cross Entropy losses: values and gradients against real
Keras, every reduction and sample weights, configs, names, and bad arguments."""

import warnings

import numpy as np
import pytest

import learnet
from learnet.testing import check_gradients

losses = learnet.keras.losses
RNG = np.random.default_rng(0)
EMBEDDINGS = RNG.standard_normal((8, 5)).astype("float32")
EMBEDDINGS /= np.linalg.norm(EMBEDDINGS, axis=1, keepdims=True)
LABELS = np.array([0, 1, 0, 2, 1, 0, 3, 2])  # label 3 has no positive pair: its loss is 0 and masked
WEIGHTS = RNG.random(8).astype("float32")
PROBABILITIES = RNG.random((6, 4)).astype("float32")
PROBABILITIES /= PROBABILITIES.sum(axis=1, keepdims=True)
CLASSES = np.array([0, 3, 1, 2, 2, 0])


@pytest.mark.parametrize("settings", [{}, {"gamma": 10.0, "margin": 0.25}, {"remove_diagonal": False}])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none", "mean_with_sample_weight"])
def test_circle_equals_keras(keras, settings, reduction):
    for weight in (None, WEIGHTS):
        expected = np.asarray(keras.losses.Circle(reduction=reduction, **settings)(LABELS, EMBEDDINGS, weight))
        got = losses.Circle(reduction=reduction, **settings)(LABELS, EMBEDDINGS, weight).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_circle_with_reference_embeddings_equals_keras(keras):
    references, reference_labels = EMBEDDINGS[::-1].copy(), LABELS[::-1].copy()
    expected = np.asarray(keras.losses.circle(LABELS, EMBEDDINGS, reference_labels, references, remove_diagonal=False))
    got = losses.circle(LABELS, EMBEDDINGS, reference_labels, references, remove_diagonal=False).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_circle_gradients_equal_keras_and_central_differences(keras):
    import jax

    def theirs(x):
        unit = x / jax.numpy.linalg.norm(x, axis=1, keepdims=True)
        return keras.losses.Circle(gamma=16.0)(LABELS, unit)

    expected = np.asarray(jax.grad(theirs)(EMBEDDINGS))
    x = learnet.Variable(EMBEDDINGS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NaN from the rows with no positive pair, no warning
        with learnet.GradientTape() as tape:
            loss = losses.Circle(gamma=16.0)(LABELS, x / learnet.norm(x, axis=1, keepdims=True))
        got = tape.gradient(loss, x).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    check_gradients(
        lambda e: losses.circle(LABELS, e / learnet.norm(e, axis=1, keepdims=True), gamma=4.0),
        [RNG.standard_normal((8, 5))],
        rtol=1e-3,
    )


@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
def test_generalized_cross_entropy_equals_keras(keras, q):
    for reduction in ("sum_over_batch_size", "none"):
        expected = np.asarray(
            keras.losses.CategoricalGeneralizedCrossEntropy(q=q, reduction=reduction)(CLASSES, PROBABILITIES)
        )
        got = losses.CategoricalGeneralizedCrossEntropy(q=q, reduction=reduction)(CLASSES, PROBABILITIES).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    # Labels as a column, (batch, 1): one loss per example, as the docstring of Keras' promises.
    column = losses.categorical_generalized_cross_entropy(CLASSES[:, None], PROBABILITIES, q).numpy()
    np.testing.assert_allclose(column, losses.categorical_generalized_cross_entropy(CLASSES, PROBABILITIES, q).numpy())
    check_gradients(
        lambda logits: losses.categorical_generalized_cross_entropy(CLASSES, learnet.nn.softmax(logits), q),
        [RNG.standard_normal((6, 4))],
        rtol=1e-3,
    )


def test_configs_names_and_training(keras):
    for ours, theirs in (
        (losses.Circle(gamma=32.0, margin=0.3), keras.losses.Circle(gamma=32.0, margin=0.3)),
        (losses.CategoricalGeneralizedCrossEntropy(q=0.7), keras.losses.CategoricalGeneralizedCrossEntropy(q=0.7)),
    ):
        assert ours.get_config() == theirs.get_config()
        again = losses.deserialize(losses.serialize(ours))
        assert type(again) is type(ours) and again.get_config() == ours.get_config()
    by_name = float(np.mean(losses.get("circle")(LABELS, EMBEDDINGS)))
    assert by_name == pytest.approx(float(losses.Circle()(LABELS, EMBEDDINGS)), rel=1e-6)
    gce = losses.get("categorical_generalized_cross_entropy")(CLASSES, PROBABILITIES)
    assert float(np.mean(gce)) == pytest.approx(
        float(losses.CategoricalGeneralizedCrossEntropy()(CLASSES, PROBABILITIES))
    )
    model = learnet.keras.Sequential(
        [learnet.keras.Input((4,)), learnet.keras.layers.Dense(3), learnet.keras.layers.UnitNormalization()]
    )
    model.compile(optimizer="adam", loss=losses.Circle())
    x, y = RNG.standard_normal((32, 4)).astype("float32"), RNG.integers(0, 3, 32)
    history = model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("q", [0, 1, -0.5, 1.5, True, "0.5"])
def test_a_bad_q_is_refused(q):
    with pytest.raises(ValueError, match=r"q must be in the interval \(0, 1\)"):
        losses.CategoricalGeneralizedCrossEntropy(q=q)


def test_logsumexp_of_nothing_but_minus_infinity():
    x = learnet.Variable(np.array([[-np.inf, -np.inf], [0.0, 1.0]], dtype="float32"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with learnet.GradientTape() as tape:
            y = learnet.reduce_logsumexp(x, axis=1)
        gradient = tape.gradient(y, x).numpy()
    assert y.numpy()[0] == -np.inf
    np.testing.assert_allclose(gradient[0], [0.0, 0.0])
    np.testing.assert_allclose(gradient[1], np.exp([0.0, 1.0]) / np.exp([0.0, 1.0]).sum(), rtol=1e-6)
