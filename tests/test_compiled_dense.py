"""The compiled dense-layer passes (``learnet.ops.compiled.dense``) against the NumPy reference.

The kernels fuse the bias add with the ReLU forward, and the ReLU mask with the bias
gradient's column sums backward; they do the reference's float operations in its
order, so values and gradients must equal it bit for bit. Then the whole path: the
``dense`` op under both kernel choices, a numerical gradient check with the kernels
on, and an MLP fit that gives the same history either way.
"""

import numpy as np
import pytest

import learnet as tf
from learnet.ops import compiled
from learnet.ops import nn as nn_ops
from learnet.ops.nn import dense
from learnet.testing import check_gradients

pytest.importorskip("numba")

from learnet.ops.compiled import dense as kernels_dense  # noqa: E402 - needs numba

SHAPES = [(1, 1), (3, 7), (129, 513)]


@pytest.fixture
def kernels():
    """``kernels(name)`` chooses the kernels; the choice is restored afterwards."""
    before = compiled.kernels()
    yield compiled.set_kernels
    compiled.set_kernels(before)


def _with_specials(a):
    """Exact zeros, a NaN and an infinity among ordinary numbers."""
    a = a.copy()
    a.flat[:: max(1, a.size // 5)] = 0.0
    if a.size > 4:
        a.flat[1], a.flat[2] = np.nan, -np.inf
    return a


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_bias_relu_equals_add_then_maximum(shape, dtype):
    rng = np.random.default_rng(0)
    product = _with_specials(rng.standard_normal(shape).astype(dtype))
    bias = rng.standard_normal(shape[1]).astype(dtype)
    expected = product + bias
    np.maximum(expected, 0, out=expected)
    out = product.copy()
    kernels_dense.bias_relu(out, bias)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_relu_gradient_and_bias_sum_equal_mask_then_sum(shape, dtype, transposed):
    rng = np.random.default_rng(1)
    g = _with_specials(rng.standard_normal(shape).astype(dtype))
    if transposed:
        g = np.ascontiguousarray(g.T).T  # not C-contiguous
    out = np.maximum(rng.standard_normal(shape).astype(dtype), 0)
    expected = np.multiply(g, out > 0)
    masked, bias_gradient = kernels_dense.relu_gradient_and_bias_sum(g, out)
    np.testing.assert_array_equal(masked, expected)
    np.testing.assert_array_equal(bias_gradient, expected.sum(axis=0))
    assert masked.dtype == bias_gradient.dtype == dtype


def _dense_values_and_gradients(relu, with_bias, dtype):
    rng = np.random.default_rng(2)
    x = tf.Variable(rng.standard_normal((17, 9)).astype(dtype), dtype=dtype)
    kernel = tf.Variable(rng.standard_normal((9, 11)).astype(dtype), dtype=dtype)
    bias = tf.Variable(rng.standard_normal(11).astype(dtype), dtype=dtype)
    weights = rng.standard_normal((17, 11)).astype(dtype)
    sources = [x, kernel, bias] if with_bias else [x, kernel]
    with tf.GradientTape() as tape:
        y = dense(x, kernel, bias if with_bias else None, relu=relu)
        loss = tf.reduce_sum(y * weights)
    return [y.numpy()] + [grad.numpy() for grad in tape.gradient(loss, sources)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("relu, with_bias", [(True, True), (True, False), (False, True)])
def test_dense_op_gives_the_same_values_and_gradients_with_both_kernels(kernels, monkeypatch, relu, with_bias, dtype):
    kernels("numpy")
    reference = _dense_values_and_gradients(relu, with_bias, dtype)
    kernels("numba")
    calls = []
    monkeypatch.setattr(nn_ops, "_compiled_dense", lambda: calls.append(1) or kernels_dense)
    for a, b in zip(reference, _dense_values_and_gradients(relu, with_bias, dtype)):
        np.testing.assert_array_equal(b, a)
    assert len(calls) == (2 if relu and with_bias else 0)  # forward and backward took the kernels


def test_dense_relu_numerical_gradient_check_with_compiled_kernels(kernels):
    kernels("numba")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 5))
    kernel = rng.standard_normal((5, 4))
    bias = rng.standard_normal(4) + 0.3
    weights = rng.standard_normal((6, 4))
    check_gradients(lambda x, k, b: tf.reduce_sum(dense(x, k, b, relu=True) * weights), [x, kernel, bias])


def test_dense_second_derivatives_still_work_with_compiled_kernels(kernels):
    kernels("numba")
    x = tf.Variable([[1.0, -2.0]])
    kernel = tf.Variable([[0.5, -1.0], [0.25, 2.0]])
    bias = tf.Variable([0.1, 0.2])
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(dense(x, kernel, bias, relu=True) ** 2)
        grad = inner.gradient(y, kernel)
        total = tf.reduce_sum(grad)
    second = outer.gradient(total, x)
    assert second is not None and np.all(np.isfinite(second.numpy()))


def _fit_mlp():
    rng = np.random.default_rng(4)
    x = rng.random((300, 20), dtype=np.float32)
    y = rng.integers(0, 4, 300)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((20,)),
            tf.keras.layers.Dense(33, activation="relu"),
            tf.keras.layers.Dense(4, activation="softmax"),
        ]
    )
    model.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.3 for w in model.get_weights()])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
    return history.history, model.get_weights()


def test_mlp_fit_gives_the_same_history_with_both_kernels(kernels):
    kernels("numpy")
    reference_history, reference_weights = _fit_mlp()
    kernels("numba")
    history, weights = _fit_mlp()
    assert sorted(history) == sorted(reference_history)
    for key in history:
        np.testing.assert_allclose(history[key], reference_history[key], rtol=1e-6, err_msg=key)
    for a, b in zip(reference_weights, weights):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
