"""Dropout as one op with a constant mask: values, gradients (plain and nested), dtypes."""

import numpy as np
import pytest

import learnet as tf
from learnet.ops.nn import apply_dropout_mask


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mask_scales_kept_values_and_the_gradient_is_the_same_mask(dtype):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((5, 6)), dtype=dtype)
    keep = rng.random((5, 6)) >= 0.25
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = apply_dropout_mask(x, keep, 0.25)
        loss = tf.reduce_sum(y * 3.0)
    grad = tape.gradient(loss, x)
    assert y.dtype == grad.dtype == dtype
    np.testing.assert_allclose(y.numpy(), np.where(keep, x.numpy() / 0.75, 0), rtol=1e-6)
    np.testing.assert_allclose(grad.numpy(), np.where(keep, 3.0 / 0.75, 0), rtol=1e-6)


def test_a_broadcast_mask_and_second_derivatives_through_dropout():
    rng = np.random.default_rng(1)
    x = tf.constant(rng.standard_normal((4, 3, 5)), dtype="float64")
    keep = rng.random((4, 1, 5)) >= 0.5  # noise_shape (None, 1, 5)
    scaled = np.where(keep, 2.0, 0.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = apply_dropout_mask(x, keep, 0.5)
            loss = tf.reduce_sum(y * y)  # sum (m x)^2
        grad = inner.gradient(loss, x)  # 2 m^2 x
        total = tf.reduce_sum(grad)
    np.testing.assert_allclose(grad.numpy(), 2 * scaled**2 * x.numpy())
    np.testing.assert_allclose(outer.gradient(total, x).numpy(), np.broadcast_to(2 * scaled**2, x.shape))


def test_a_mask_that_does_not_fit_is_refused_clearly():
    with pytest.raises(ValueError, match="dropout: a mask of shape"):
        apply_dropout_mask(tf.ones((2, 3)), np.ones((2, 4), bool), 0.5)
