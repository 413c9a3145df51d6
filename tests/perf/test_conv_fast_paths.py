"""The fast paths of the convolution kernels give the same numbers as plain references.

The kernels choose their layout by shape: a strided one-copy patch matrix and per-offset
products for the input gradient when there are several channels, image-by-image products
for thin patch matrices (first layers). These tests pin each path against a reference
written here with plain loops and ``numpy.einsum``, and check that float32 stays float32.
"""

import numpy as np
import pytest

import learnet as tf
from learnet.ops import conv as conv_ops
from learnet.testing import check_gradients


def reference_conv2d(x, k, strides=(1, 1), padding="valid", dilations=(1, 1)):
    """Convolution by one einsum per kernel offset (no im2col), float64."""
    n, h, w, c = x.shape
    kh, kw, _, f = k.shape
    (sh, sw), (dh, dw) = strides, dilations
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if padding == "same":
        oh, ow = -(-h // sh), -(-w // sw)
        th, tw = max((oh - 1) * sh + eh - h, 0), max((ow - 1) * sw + ew - w, 0)
        x = np.pad(x, ((0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2), (0, 0)))
    oh, ow = (x.shape[1] - eh) // sh + 1, (x.shape[2] - ew) // sw + 1
    out = np.zeros((n, oh, ow, f))
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i * dh : i * dh + sh * (oh - 1) + 1 : sh, j * dw : j * dw + sw * (ow - 1) + 1 : sw, :]
            out += np.einsum("nhwc,cf->nhwf", patch, k[i, j])
    return out


def tape_gradients(x, k, b, weights, **options):
    x, k, b = (tf.constant(a, dtype="float64") for a in (x, k, b))
    with tf.GradientTape() as tape:
        tape.watch([x, k, b])
        y = tf.nn.conv2d(x, k, bias=b, **options)
        loss = tf.reduce_sum(y * weights)
    return y.numpy(), [g.numpy() for g in tape.gradient(loss, [x, k, b])]


# Many channels: the one-copy patch matrix and the per-offset input gradient.
WIDE_CASES = [
    dict(strides=1, padding="VALID"),
    dict(strides=1, padding="SAME"),
    dict(strides=2, padding="SAME"),
    dict(strides=(2, 1), padding="VALID"),
    dict(strides=1, padding="VALID", dilations=2),
    dict(strides=1, padding="SAME", dilations=(1, 2)),
]


@pytest.mark.parametrize("options", WIDE_CASES)
def test_many_channels_match_the_reference_forward_and_gradients(options):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 7, 8, 9))
    k = rng.standard_normal((3, 2, 9, 4))
    b = rng.standard_normal(4)
    strides = conv_ops._pair(options["strides"], "strides", "test")
    dilations = conv_ops._pair(options.get("dilations", 1), "dilations", "test")
    padding = options["padding"].lower()
    expected = reference_conv2d(x, k, strides, padding, dilations) + b
    weights = rng.standard_normal(expected.shape)
    got, grads = tape_gradients(x, k, b, weights, **options)
    np.testing.assert_allclose(got, expected, atol=1e-10)
    # The gradients against the reference, differentiated by hand: d/dk and d/db are sums of
    # patches, d/dx checked numerically below on a smaller case.
    np.testing.assert_allclose(grads[2], weights.sum(axis=(0, 1, 2)), atol=1e-10)
    check_gradients(lambda a, c: tf.nn.conv2d(a, c, **options) * weights, [x, k])


def reference_input_gradient(g, k, x_shape, strides, padding):
    """d(sum(conv2d(x, k) * g))/dx by brute force: each output pixel scatters ``k @ g`` into its window, float64."""
    n, h, w, c = x_shape
    kh, kw, _, f = k.shape
    sh, sw = strides
    top = left = 0
    oh, ow = g.shape[1], g.shape[2]
    if padding == "same":
        top = max((oh - 1) * sh + kh - h, 0) // 2
        left = max((ow - 1) * sw + kw - w, 0) // 2
    dx = np.zeros((n, h + 2 * kh, w + 2 * kw, c))
    for a in range(oh):
        for b in range(ow):
            r, s = a * sh - top + kh, b * sw - left + kw
            dx[:, r : r + kh, s : s + kw, :] += np.einsum("ijcf,nf->nijc", k, g[:, a, b, :])
    return dx[:, kh : kh + h, kw : kw + w, :]


@pytest.mark.parametrize(
    "shape, strides, padding",
    [((4, 13, 13, 32), (1, 1), "VALID"), ((3, 11, 10, 16), (2, 2), "SAME"), ((2, 9, 12, 8), (2, 1), "VALID")],
)
def test_float32_input_gradient_matches_the_float64_scatter_reference(shape, strides, padding):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(np.float32)
    k = rng.standard_normal((3, 3, shape[3], 24)).astype(np.float32)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = tf.nn.conv2d(xt, tf.constant(k), strides=strides, padding=padding)
        g = rng.standard_normal(y.shape).astype(np.float32)
        loss = tf.reduce_sum(y * g)
    dx = tape.gradient(loss, xt).numpy()
    assert dx.dtype == np.float32
    expected = reference_input_gradient(g.astype(np.float64), k.astype(np.float64), shape, strides, padding.lower())
    np.testing.assert_allclose(dx, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_thin_patches_are_multiplied_image_by_image_with_the_same_result():
    rng = np.random.default_rng(1)
    # A batch of one, and images of 2x2 outputs (too few pixels), take the single product.
    for batch, size in ((1, 9), (2, 9), (5, 9), (6, 4)):
        x = rng.standard_normal((batch, size, size, 1))
        k = rng.standard_normal((3, 3, 1, 6))
        b = rng.standard_normal(6)
        expected = reference_conv2d(x, k) + b
        weights = rng.standard_normal(expected.shape)
        got, grads = tape_gradients(x, k, b, weights, strides=1, padding="VALID")
        np.testing.assert_allclose(got, expected, atol=1e-10)
        # d/dk[i, j, 0, f] = sum over pixels of x shifted by (i, j) times the weights
        out = size - 2
        want_k = np.stack(
            [
                np.stack([np.einsum("nhwc,nhwf->cf", x[:, i : i + out, j : j + out, :], weights) for j in range(3)])
                for i in range(3)
            ]
        )
        np.testing.assert_allclose(grads[1], want_k, atol=1e-9)
        np.testing.assert_allclose(grads[2], weights.sum(axis=(0, 1, 2)), atol=1e-10)
    check_gradients(lambda a, c: tf.nn.conv2d(a, c, 1, "VALID") * weights, [x, k])


@pytest.mark.parametrize("channels", [1, 3, 16])
def test_float32_in_float32_out_forward_and_backward(channels):
    rng = np.random.default_rng(2)
    x = tf.constant(rng.standard_normal((4, 10, 10, channels)).astype("float32"))
    k = tf.Variable(rng.standard_normal((3, 3, channels, 8)).astype("float32"))
    b = tf.Variable(np.zeros(8, "float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.conv2d(x, k, 1, "SAME", bias=b)
        pooled = tf.nn.max_pool2d(y, 2, 2, "VALID")
        loss = tf.reduce_sum(pooled * pooled)
    grads = tape.gradient(loss, [x, k, b])
    assert y.dtype == pooled.dtype == "float32"
    assert [g.dtype for g in grads] == ["float32"] * 3


def test_conv2d_transpose_with_many_channels_is_the_adjoint_of_conv2d():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 9, 9, 10))
    k = rng.standard_normal((3, 3, 10, 12))
    y = rng.standard_normal((2, 5, 5, 12))
    x64, k64, y64 = (tf.constant(a, dtype="float64") for a in (x, k, y))
    forward = tf.nn.conv2d(x64, k64, 2, "SAME").numpy()
    back = tf.nn.conv2d_transpose(y64, k64, x.shape, 2, "SAME").numpy()
    # <conv(x), y> == <x, conv_transpose(y)>
    np.testing.assert_allclose(np.vdot(forward, y), np.vdot(x, back), rtol=1e-10)


@pytest.mark.parametrize("use_bias", [True, False])
def test_fused_relu_equals_relu_after_conv2d(use_bias):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 8, 8, 2))
    x[0, :3, :3, :] = 0.0  # outputs of exactly 0: the gradient there is 0
    k = rng.standard_normal((3, 3, 2, 5))
    b = rng.standard_normal(5) if use_bias else np.zeros(5)
    weights = rng.standard_normal((3, 6, 6, 5))
    results = []
    for fused in (True, False):
        xt, kt, bt = (tf.constant(a, dtype="float64") for a in (x, k, b))
        with tf.GradientTape() as tape:
            tape.watch([xt, kt, bt])
            bias = bt if use_bias else None
            if fused:
                y = conv_ops.conv2d_relu(xt, kt, bias, 1, "VALID")
            else:
                y = tf.nn.relu(tf.nn.conv2d(xt, kt, 1, "VALID", bias=bias))
            loss = tf.reduce_sum(y * weights)
        grads = tape.gradient(loss, [xt, kt, bt], unconnected_gradients="zero")
        results.append([y.numpy()] + [g.numpy() for g in grads])
    for fused, plain in zip(*results):
        np.testing.assert_allclose(fused, plain, atol=1e-12)
    assert (results[0][0] == 0).any()


def test_conv2d_layer_with_relu_uses_the_fused_kernel_and_matches_keras_semantics():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 7, 7, 3)).astype("float32")
    fused = tf.keras.layers.Conv2D(4, 3, activation="relu")
    plain = tf.keras.layers.Conv2D(4, 3)
    fused.build(x.shape)
    plain.build(x.shape)
    plain.set_weights(fused.get_weights())
    with tf.GradientTape(persistent=True) as tape:
        a = fused(x)
        b = tf.nn.relu(plain(x))
    np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
    for ga, gb in zip(tape.gradient(a, fused.trainable_weights), tape.gradient(b, plain.trainable_weights)):
        np.testing.assert_allclose(ga.numpy(), gb.numpy(), rtol=1e-5, atol=1e-5)
    assert a.dtype == "float32"
    # The fused kernel is the one recorded (one op instead of conv2d followed by relu).
    with tf.GradientTape() as tape:
        fused(x)
    assert [note.name for note in tape._notes] == ["conv2d"]
