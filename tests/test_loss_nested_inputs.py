"""``keras.losses.Loss.__call__`` on nested targets and predictions, as Keras 3.

A custom ``Loss`` may compare structures of tensors of different shapes (keras.io's
feature-matching loss over a discriminator's feature maps): every leaf is converted, ``call``
receives the structures, and its per-sample result is weighted and reduced as usual. The
expected values were computed by real Keras 3 (tests/fixtures/make_keras_nested_loss_fixture.py).
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import keras, ops
from learnet.testing import check_gradients

FIXTURES = Path(__file__).resolve().parent / "fixtures"
_spec = importlib.util.spec_from_file_location(
    "make_keras_nested_loss_fixture", FIXTURES / "make_keras_nested_loss_fixture.py"
)
fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixture)

REFERENCE = np.load(FIXTURES / "keras_nested_loss_reference.npz")
CASES = fixture.cases(keras, ops)
FeatureMatching, ByName = fixture.loss_classes(keras, ops)
Y_TRUE, Y_PRED, INT_TRUE = fixture.Y_TRUE, fixture.Y_PRED, fixture.INT_TRUE


@pytest.mark.parametrize("name", sorted(CASES))
def test_nested_loss_matches_keras(name):
    result = CASES[name]()
    assert isinstance(result, tf.Tensor)
    assert result.dtype == "float32"
    np.testing.assert_allclose(result.numpy(), REFERENCE[name], rtol=1e-5, atol=1e-6)


def test_call_receives_the_structures_with_targets_cast_to_the_predictions():
    received = {}

    class Probe(keras.losses.Loss):
        def call(self, y_true, y_pred):
            received["true"], received["pred"] = y_true, y_pred
            return ops.sum(y_pred["b"], axis=(1, 2)) + ops.sum(y_true["a"][0], axis=-1)

    Probe()({"a": (INT_TRUE[0],)}, {"a": Y_PRED[0], "b": Y_PRED[1]})
    assert isinstance(received["true"], dict) and isinstance(received["true"]["a"], tuple)
    assert received["true"]["a"][0].dtype == "float32"  # int32 targets, cast as Keras does
    assert set(received["pred"]) == {"a", "b"}
    assert all(isinstance(t, tf.Tensor) for t in received["pred"].values())


def test_gradient_reaches_every_prediction():
    predictions = [tf.Variable(p) for p in Y_PRED]
    with tf.GradientTape() as tape:
        loss = FeatureMatching()(Y_TRUE, predictions)
    gradients = tape.gradient(loss, predictions)
    for gradient, true, pred in zip(gradients, Y_TRUE, Y_PRED):
        per_sample = np.prod(pred.shape[1:])
        expected = np.sign(pred - true) / per_sample / len(pred)
        np.testing.assert_allclose(gradient.numpy(), expected, rtol=1e-5)


def test_nested_loss_numerical_gradient_check():
    """FeatureMatching.__call__ through nested predictions: tape against central differences."""
    true = [t.astype("float64") for t in Y_TRUE]
    weight = np.array([1.0, 0.5, 2.0, 0.25])
    check_gradients(lambda a, b: FeatureMatching()(true, [a, b], sample_weight=weight), [p * 1.0 for p in Y_PRED])


def test_a_list_of_numbers_is_still_one_tensor():
    class MeanCubedError(keras.losses.Loss):
        def call(self, y_true, y_pred):
            return tf.reduce_mean(tf.abs(y_pred - y_true) ** 3, axis=-1)

    assert float(MeanCubedError()([[0.0, 0.0]], [[1.0, 2.0]])) == 4.5
    assert float(keras.losses.MeanSquaredError()([[0.0], [1.0]], [[1.0], [1.0]])) == 0.5


def test_a_bad_sample_weight_is_refused():
    with pytest.raises(ValueError):
        FeatureMatching()(Y_TRUE, Y_PRED, sample_weight=np.ones(3))


def test_a_leaf_that_is_not_numbers_is_refused():
    with pytest.raises((ValueError, TypeError)):
        FeatureMatching()(Y_TRUE, [Y_PRED[0], ["a", "b"]])
