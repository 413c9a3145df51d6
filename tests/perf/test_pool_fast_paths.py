"""Max pooling's fast gradient (windows that tile the image) against a plain loop.

When the stride equals the window, the gradient is computed on a blocked view of the
image in one comparison and one product. These tests compare it with a loop over every
window written here, on data full of ties (ReLU zeros, repeated values), with odd sizes
that leave rows and columns outside every window, and with "SAME" padding.
"""

import numpy as np
import pytest

import learnet as tf


def naive_max_pool_gradient(x, g, window, padding):
    """The gradient of sum(max_pool(x) * g): each window's first maximum (row-major) gets g."""
    n, h, w, c = x.shape
    ph, pw = window
    if padding == "same":
        oh, ow = -(-h // ph), -(-w // pw)
        top, left = (oh * ph - h) // 2, (ow * pw - w) // 2
        x = np.pad(x, ((0, 0), (top, oh * ph - h - top), (left, ow * pw - w - left), (0, 0)), constant_values=-np.inf)
    else:
        oh, ow, top, left = h // ph, w // pw, 0, 0
    dx = np.zeros(x.shape)
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    patch = x[b, i * ph : (i + 1) * ph, j * pw : (j + 1) * pw, ch]
                    a, e = np.unravel_index(np.argmax(patch), patch.shape)  # argmax: the first maximum
                    dx[b, i * ph + a, j * pw + e, ch] += g[b, i, j, ch]
    return dx[:, top : top + h, left : left + w, :]


def tape_gradient(x, g, window, padding, dtype="float64"):
    xt = tf.constant(x, dtype=dtype)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = tf.nn.max_pool2d(xt, window, window, padding.upper())
        loss = tf.reduce_sum(y * tf.constant(g, dtype=dtype))
    return y, tape.gradient(loss, xt)


CASES = [
    ((2, 2), "valid", (2, 6, 6, 3)),
    ((2, 2), "valid", (2, 7, 5, 3)),  # a last row and column outside every window
    ((2, 2), "same", (2, 7, 5, 3)),
    ((3, 3), "valid", (1, 10, 9, 2)),
    ((2, 3), "valid", (2, 8, 7, 4)),
    ((3, 2), "same", (1, 5, 5, 2)),
    ((1, 1), "valid", (2, 3, 3, 2)),
]


@pytest.mark.parametrize("window, padding, shape", CASES)
def test_tiled_max_pool_gradient_matches_a_loop_on_data_full_of_ties(window, padding, shape):
    rng = np.random.default_rng(sum(shape))
    x = np.maximum(rng.integers(-3, 3, size=shape), 0).astype(float)  # many zeros and repeats
    out_shape = tape_gradient(x, np.zeros(1), window, padding)[0].shape
    g = rng.standard_normal(tuple(out_shape))
    _, grad = tape_gradient(x, g, window, padding)
    np.testing.assert_array_equal(grad.numpy(), naive_max_pool_gradient(x, g, window, padding))


def test_tiled_max_pool_gradient_is_float32_and_exact_on_a_convnet_sized_batch():
    rng = np.random.default_rng(5)
    x = np.maximum(rng.standard_normal((4, 11, 11, 8)), 0).astype("float32")
    g = rng.standard_normal((4, 5, 5, 8)).astype("float32")
    y, grad = tape_gradient(x, g, (2, 2), "valid", dtype="float32")
    assert y.dtype == grad.dtype == "float32"
    np.testing.assert_array_equal(grad.numpy(), naive_max_pool_gradient(x, g, (2, 2), "valid"))
    # The last row and column (outside every window) get exactly zero.
    assert not grad.numpy()[:, 10, :, :].any() and not grad.numpy()[:, :, 10, :].any()
