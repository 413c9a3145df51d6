"""TensorFlow's top-level functions that tutorials call: ``tf.roll``, the top-level aliases
of ``tf.math`` functions, and ``tf.config.optimizer``'s JIT switch."""

import numpy as np
import pytest

import learnet as tf
from learnet.testing import check_gradients

X = np.arange(24.0).reshape(2, 3, 4)


@pytest.mark.parametrize(
    "shift, axis",
    [(2, 0), (-1, 2), ([-1, -1], [1, 2]), ([1, 2], [2, 2]), ([5], [-1]), (7, 1), (0, 0)],
)
def test_roll_equals_numpy(shift, axis):
    expected = np.roll(X, shift, axis) if np.ndim(axis) == 0 or len(set(axis)) == len(axis) else np.roll(X, 3, 2)
    np.testing.assert_array_equal(tf.roll(X, shift=shift, axis=axis).numpy(), expected)


def test_roll_takes_tensors_and_keras_ops_roll_flattens_as_numpy():
    np.testing.assert_array_equal(tf.roll(X, tf.constant(1), tf.constant(0)).numpy(), np.roll(X, 1, 0))
    np.testing.assert_array_equal(tf.keras.ops.roll(X, 5).numpy(), np.roll(X, 5))
    np.testing.assert_array_equal(tf.keras.ops.roll(X, (1, 2), (0, 2)).numpy(), np.roll(X, (1, 2), (0, 2)))


def test_roll_gradient():
    assert check_gradients(lambda t: tf.roll(t, [1, -2], [0, 2]) * np.arange(24.0).reshape(2, 3, 4), [X]) < 1e-6


@pytest.mark.parametrize(
    "shift, axis, message",
    [([1, 2], [0], "one length"), (1, 3, "out of range")],
)
def test_roll_bad_arguments(shift, axis, message):
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        tf.roll(X, shift, axis)


def test_top_level_aliases_of_tf_math():
    for name in ("acos", "acosh", "asin", "asinh", "atan", "atanh", "cosh", "sinh"):
        assert getattr(tf, name) is getattr(tf.math, name)
    assert float(tf.atan2(1.0, 1.0)) == pytest.approx(np.pi / 4)
    assert float(tf.truediv(3, 2)) == 1.5 and float(tf.scalar_mul(2.0, tf.constant(3.0))) == 6.0


def test_config_optimizer_remembers_the_jit_switch_as_tensorflow_reports_it():
    assert tf.config.optimizer.get_jit() == ""
    tf.config.optimizer.set_jit(True)
    assert tf.config.optimizer.get_jit() == "autoclustering"
    tf.config.optimizer.set_jit(False)
    assert tf.config.optimizer.get_jit() == ""
    assert tf.config.optimizer.get_experimental_options()["disable_meta_optimizer"] is False
