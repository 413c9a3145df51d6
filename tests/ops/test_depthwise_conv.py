"""Depthwise and separable convolutions: against a naive loop, numerical gradients and real Keras."""

import numpy as np
import pytest

import learnet as tf
from learnet.testing import check_gradients

from test_conv import CONV_CASES, naive_conv2d, same_padding


def naive_depthwise(x, k, strides=(1, 1), padding="valid", dilations=(1, 1)):
    """Every output pixel of every channel and multiplier summed by hand."""
    n, h, w, c = x.shape
    kh, kw, _, m = k.shape
    (sh, sw), (dh, dw) = strides, dilations
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if padding == "same":
        x = np.pad(x, ((0, 0), same_padding(h, eh, sh), same_padding(w, ew, sw), (0, 0)))
    oh, ow = (x.shape[1] - eh) // sh + 1, (x.shape[2] - ew) // sw + 1
    out = np.zeros((n, oh, ow, c * m))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    for mult in range(m):
                        total = 0.0
                        for a in range(kh):
                            for e in range(kw):
                                total += x[b, i * sh + a * dh, j * sw + e * dw, ch] * k[a, e, ch, mult]
                        out[b, i, j, ch * m + mult] = total
    return out


def f64(a):
    return tf.constant(a, dtype="float64")


@pytest.mark.parametrize("multiplier", [1, 2])
@pytest.mark.parametrize("strides, padding, dilations", CONV_CASES)
def test_depthwise_matches_a_naive_loop(strides, padding, dilations, multiplier):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 7, 6, 3))
    k = rng.standard_normal((3, 2, 3, multiplier))
    got = tf.nn.depthwise_conv2d(f64(x), f64(k), [1, *strides, 1], padding.upper(), dilations=dilations).numpy()
    np.testing.assert_allclose(got, naive_depthwise(x, k, strides, padding, dilations), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("multiplier", [1, 3])
@pytest.mark.parametrize("strides, padding, dilations", CONV_CASES)
def test_depthwise_gradients(strides, padding, dilations, multiplier):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 6, 2))
    k = rng.standard_normal((3, 2, 2, multiplier))
    weights = rng.standard_normal(naive_depthwise(x, k, strides, padding, dilations).shape)
    check_gradients(lambda a, b: tf.nn.depthwise_conv2d(a, b, strides, padding, dilations=dilations) * weights, [x, k])


def test_depthwise_with_explicit_padding_and_float32():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 5, 5, 4)).astype(np.float32)
    k = rng.standard_normal((3, 3, 4, 2)).astype(np.float32)
    got = tf.nn.depthwise_conv2d(x, k, 1, [[0, 0], [1, 0], [0, 2], [0, 0]])
    expected = naive_depthwise(np.pad(x, ((0, 0), (1, 0), (0, 2), (0, 0))).astype(np.float64), k.astype(np.float64))
    assert got.dtype == np.float32 and got.shape == expected.shape
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_separable_is_depthwise_then_a_pointwise_convolution():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6, 5, 3))
    depthwise = rng.standard_normal((3, 3, 3, 2))
    pointwise = rng.standard_normal((1, 1, 6, 4))
    got = tf.nn.separable_conv2d(f64(x), f64(depthwise), f64(pointwise), [1, 2, 2, 1], "SAME").numpy()
    expected = naive_conv2d(naive_depthwise(x, depthwise, (2, 2), "same"), pointwise)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
    weights = rng.standard_normal(expected.shape)
    check_gradients(lambda a, b, c: tf.nn.separable_conv2d(a, b, c, 2, "SAME") * weights, [x, depthwise, pointwise])


@pytest.mark.parametrize(
    "strides, padding, dilations", [((1, 1), "same", (1, 1)), ((2, 2), "valid", (1, 1)), ((1, 1), "valid", (2, 2))]
)
def test_against_real_keras(keras, strides, padding, dilations):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 9, 8, 3)).astype(np.float32)
    depthwise = rng.standard_normal((3, 3, 3, 2)).astype(np.float32)
    pointwise = rng.standard_normal((1, 1, 6, 5)).astype(np.float32)
    want = np.asarray(keras.ops.depthwise_conv(x, depthwise, strides, padding, dilation_rate=dilations))
    got = tf.nn.depthwise_conv2d(x, depthwise, strides, padding.upper(), dilations=dilations).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    want = np.asarray(keras.ops.separable_conv(x, depthwise, pointwise, strides, padding, dilation_rate=dilations))
    got = tf.nn.separable_conv2d(x, depthwise, pointwise, strides, padding.upper(), dilations=dilations).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_keras_ops_names(keras):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 7, 7, 2)).astype(np.float32)
    depthwise = rng.standard_normal((3, 3, 2, 2)).astype(np.float32)
    pointwise = rng.standard_normal((1, 1, 4, 3)).astype(np.float32)
    for name, args in (("depthwise_conv", (x, depthwise)), ("separable_conv", (x, depthwise, pointwise))):
        want = np.asarray(getattr(keras.ops, name)(*args, 2, "same"))
        got = getattr(tf.keras.ops, name)(*args, 2, "same")
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-4)


def test_bad_arguments_are_explained():
    x, k = tf.ones((1, 5, 5, 3)), tf.ones((3, 3, 3, 1))
    with pytest.raises(ValueError, match="the input has 3 channels but the filter expects 2"):
        tf.nn.depthwise_conv2d(x, tf.ones((3, 3, 2, 1)), 1, "VALID")
    with pytest.raises(ValueError, match="filter must have shape"):
        tf.nn.depthwise_conv2d(x, tf.ones((3, 3, 3)), 1, "VALID")
    with pytest.raises(ValueError, match="channels-last"):
        tf.nn.depthwise_conv2d(x, k, 1, "VALID", data_format="NCHW")
    with pytest.raises(ValueError, match="strides and dilations"):
        tf.nn.depthwise_conv2d(x, k, 2, "VALID", dilations=2)
    with pytest.raises(ValueError, match="batch or channel axis"):
        tf.nn.depthwise_conv2d(x, k, [2, 1, 1, 1], "VALID")
    with pytest.raises(ValueError, match="batch of channels-last images"):
        tf.nn.depthwise_conv2d(tf.ones((5, 5, 3)), k, 1, "VALID")
    with pytest.raises(ValueError, match="pointwise_filter must have shape"):
        tf.nn.separable_conv2d(x, k, tf.ones((3, 3, 3, 4)), 1, "VALID")
    with pytest.raises(ValueError, match="gives 3 channels but pointwise_filter expects 6"):
        tf.nn.separable_conv2d(x, k, tf.ones((1, 1, 6, 4)), 1, "VALID")


def test_a_second_derivative_matches_central_differences():
    x = np.random.default_rng(7).standard_normal((1, 4, 4, 2))

    def kernel_gradient_norm(k):
        with tf.GradientTape() as inner:
            inner.watch(k)
            y = tf.reduce_sum(tf.nn.depthwise_conv2d(tf.constant(x), k, [1, 1, 1, 1], "VALID") ** 2)
        return tf.reduce_sum(inner.gradient(y, k) ** 2)

    check_gradients(kernel_gradient_norm, [np.random.default_rng(8).standard_normal((3, 3, 2, 1))], rtol=1e-5)
