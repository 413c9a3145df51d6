"""The fused dense op (what Dense computes) against the same computation in separate ops.

Its backward has two forms: plain array products when no other tape records (training),
and learnet ops under an outer tape (second derivatives). Both are pinned here.
"""

import numpy as np
import pytest

import learnet as tf
from learnet.ops.nn import dense


def unfused(x, kernel, bias, relu):
    y = tf.matmul(x, kernel)
    if bias is not None:
        y = y + bias
    return tf.nn.relu(y) if relu else y


@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_equals_product_bias_relu_in_values_and_gradients(relu, use_bias):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 5))
    x[0] = 0.0  # outputs of exactly 0 when the bias is 0
    k, b = rng.standard_normal((5, 4)), (rng.standard_normal(4) if use_bias else None)
    weights = rng.standard_normal((6, 4))
    results = []
    for op in (dense, unfused):
        tensors = [tf.constant(a, dtype="float64") for a in (x, k)]
        bias = None if b is None else tf.constant(b, dtype="float64")
        watched = tensors + ([bias] if bias is not None else [])
        with tf.GradientTape() as tape:
            tape.watch(watched)
            y = op(tensors[0], tensors[1], bias, relu)
            loss = tf.reduce_sum(y * weights)
        results.append([y.numpy()] + [g.numpy() for g in tape.gradient(loss, watched)])
    for fused, plain in zip(*results):
        np.testing.assert_allclose(fused, plain, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("relu", [True, False])
def test_dense_second_derivatives_under_an_outer_tape(relu):
    rng = np.random.default_rng(1)
    x0, k0, b0 = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal(2)
    results = []
    for op in (dense, unfused):
        x, k, b = (tf.constant(a, dtype="float64") for a in (x0, k0, b0))
        with tf.GradientTape() as outer:
            outer.watch([x, k])
            with tf.GradientTape() as inner:
                inner.watch([x, k, b])
                y = op(x, k, b, relu)
                loss = tf.reduce_sum(y * y)
            dx, dk, db = inner.gradient(loss, [x, k, b])
            penalty = tf.reduce_sum(dx * dx) + tf.reduce_sum(dk * db[None, :])
        results.append([g.numpy() for g in outer.gradient(penalty, [x, k])])
    for fused, plain in zip(*results):
        np.testing.assert_allclose(fused, plain, rtol=1e-10, atol=1e-12)


def test_dense_layer_keeps_float32_and_handles_rank_3_inputs():
    rng = np.random.default_rng(2)
    layer = tf.keras.layers.Dense(3, activation="relu")
    x = tf.constant(rng.standard_normal((2, 5, 4)).astype("float32"))
    with tf.GradientTape() as tape:
        y = layer(x)
        loss = tf.reduce_sum(y)
    grads = tape.gradient(loss, layer.trainable_weights)
    assert y.shape == (2, 5, 3) and y.dtype == "float32"
    assert [g.dtype for g in grads] == ["float32", "float32"]
    expected = np.maximum(x.numpy() @ layer.kernel.numpy() + layer.bias.numpy(), 0)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6, atol=1e-6)
    # The layer records one op per call (product, bias and ReLU fused).
    with tf.GradientTape() as tape:
        layer(tf.ones((2, 4)))
    assert [note.name for note in tape._notes] == ["dense"]
