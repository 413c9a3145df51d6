"""Convolution and pooling ops: against naive loops written here, and numerical gradients."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import learnet as tf
from learnet.testing import check_gradients


# --- naive references: plain loops over every output pixel ----------------------------------------
def same_padding(size, window, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + window - size, 0)
    return total // 2, total - total // 2


def naive_conv2d(x, k, strides=(1, 1), padding="valid", dilations=(1, 1)):
    n, h, w, c = x.shape
    kh, kw, _, f = k.shape
    (sh, sw), (dh, dw) = strides, dilations
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if padding == "same":
        x = np.pad(x, ((0, 0), same_padding(h, eh, sh), same_padding(w, ew, sw), (0, 0)))
    oh, ow = (x.shape[1] - eh) // sh + 1, (x.shape[2] - ew) // sw + 1
    out = np.zeros((n, oh, ow, f))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for o in range(f):
                    total = 0.0
                    for a in range(kh):
                        for e in range(kw):
                            for ch in range(c):
                                total += x[b, i * sh + a * dh, j * sw + e * dw, ch] * k[a, e, ch, o]
                    out[b, i, j, o] = total
    return out


def naive_pool(x, window, strides, padding, kind):
    n, h, w, c = x.shape
    (ph, pw), (sh, sw) = window, strides
    fill = -np.inf if kind == "max" else np.nan
    if padding == "same":
        x = np.pad(x, ((0, 0), same_padding(h, ph, sh), same_padding(w, pw, sw), (0, 0)), constant_values=fill)
    oh, ow = (x.shape[1] - ph) // sh + 1, (x.shape[2] - pw) // sw + 1
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * sh : i * sh + ph, j * sw : j * sw + pw, :]
            out[:, i, j, :] = patch.max(axis=(1, 2)) if kind == "max" else np.nanmean(patch, axis=(1, 2))
    return out


def distinct(shape, seed):
    """Values without ties (so max pooling has one clear winner per window)."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.prod(shape)).reshape(shape) / np.prod(shape) * 4 - 2


# --- conv2d ------------------------------------------------------------------------------------------------
CONV_CASES = [
    ((1, 1), "valid", (1, 1)),
    ((1, 1), "same", (1, 1)),
    ((2, 2), "valid", (1, 1)),
    ((2, 2), "same", (1, 1)),
    ((2, 1), "same", (1, 1)),
    ((3, 2), "valid", (1, 1)),
    ((1, 1), "valid", (2, 2)),
    ((1, 1), "same", (2, 1)),
]


@pytest.mark.parametrize("strides, padding, dilations", CONV_CASES)
def test_conv2d_matches_a_naive_loop(strides, padding, dilations):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 7, 6, 3))
    k = rng.standard_normal((3, 2, 3, 4))
    got = tf.nn.conv2d(
        tf.constant(x, dtype="float64"), tf.constant(k, dtype="float64"), strides, padding.upper(), dilations=dilations
    ).numpy()
    np.testing.assert_allclose(got, naive_conv2d(x, k, strides, padding, dilations), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("strides, padding, dilations", CONV_CASES)
def test_conv2d_gradients(strides, padding, dilations):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 6, 2))
    k = rng.standard_normal((3, 2, 2, 3))
    weights = rng.standard_normal(np.shape(naive_conv2d(x, k, strides, padding, dilations)))
    check_gradients(lambda a, b: tf.nn.conv2d(a, b, strides, padding, dilations=dilations) * weights, [x, k])


def test_conv2d_with_bias_gradients():
    rng = np.random.default_rng(2)
    x, k, b = rng.standard_normal((2, 5, 5, 2)), rng.standard_normal((3, 3, 2, 3)), rng.standard_normal(3)
    weights = rng.standard_normal((2, 3, 3, 3))
    check_gradients(lambda x, k, b: tf.nn.conv2d(x, k, 2, "SAME", bias=b) * weights, [x, k, b])
    got = tf.nn.conv2d(
        tf.constant(x, dtype="float64"),
        tf.constant(k, dtype="float64"),
        2,
        "SAME",
        bias=tf.constant(b, dtype="float64"),
    ).numpy()
    np.testing.assert_allclose(got, naive_conv2d(x, k, (2, 2), "same") + b, atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(
    size=st.tuples(st.integers(3, 8), st.integers(3, 8)),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    strides=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.sampled_from(["valid", "same"]),
    channels=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    seed=st.integers(0, 1000),
)
def test_conv2d_any_geometry(size, kernel, strides, padding, channels, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2,) + size + (channels[0],))
    k = rng.standard_normal(kernel + channels)
    expected = naive_conv2d(x, k, strides, padding)
    got = tf.nn.conv2d(tf.constant(x, dtype="float64"), tf.constant(k, dtype="float64"), strides, padding).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-10)
    weights = rng.standard_normal(expected.shape)
    check_gradients(lambda a, b: tf.nn.conv2d(a, b, strides, padding) * weights, [x, k])


@pytest.mark.parametrize("strides, padding, dilations", CONV_CASES)
def test_conv2d_to_few_filters_from_many_channels(strides, padding, dilations):
    """Few filters from many channels go the spread way (``_SPREAD_RATIO``): values and gradients."""
    from learnet.ops import conv as conv_ops

    rng = np.random.default_rng(3)
    x, k, b = rng.standard_normal((2, 7, 6, 40)), rng.standard_normal((3, 2, 40, 1)), rng.standard_normal(1)
    assert conv_ops._spread(3, 2, 40, 1, strides)
    got = tf.nn.conv2d(
        tf.constant(x, dtype="float64"), tf.constant(k, dtype="float64"), strides, padding.upper(), dilations=dilations
    ).numpy()
    expected = naive_conv2d(x, k, strides, padding, dilations)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
    weights = rng.standard_normal(expected.shape)
    check_gradients(lambda a, c: tf.nn.conv2d(a, c, strides, padding.upper(), dilations=dilations) * weights, [x, k])
    check_gradients(
        lambda a, c, d: (
            conv_ops.conv2d_relu(a, c, bias=d, strides=strides, padding=padding.upper(), dilations=dilations) * weights
        ),
        [x, k, b],
    )


def test_conv2d_spread_and_patch_matrix_agree_in_float32(monkeypatch):
    """A generator's last layer (7x7 taps, 24 channels to 2 filters) both ways, in float32."""
    from learnet.ops import conv as conv_ops

    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 9, 8, 24)).astype("float32")
    k = rng.standard_normal((7, 7, 24, 2)).astype("float32")
    b = rng.standard_normal(2).astype("float32")

    def step():
        xv, kv, bv = tf.Variable(x), tf.Variable(k), tf.Variable(b)
        with tf.GradientTape() as tape:
            y = tf.nn.conv2d(xv, kv, 1, "SAME", bias=bv)
            loss = tf.reduce_sum(tf.sin(y))
        return [y.numpy()] + [g.numpy() for g in tape.gradient(loss, [xv, kv, bv])]

    assert conv_ops._spread(7, 7, 24, 2, (1, 1))
    spread = step()
    monkeypatch.setattr(conv_ops, "_SPREAD_RATIO", 10**9)
    assert not conv_ops._spread(7, 7, 24, 2, (1, 1))
    for a, b in zip(spread, step()):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-4)


def test_conv2d_same_padding_puts_the_extra_row_at_the_bottom():
    # 4 rows, 2x2 window, stride 1: SAME pads one row, at the bottom (as TensorFlow).
    x = tf.reshape(tf.range(1.0, 17.0), (1, 4, 4, 1))
    k = tf.ones((2, 2, 1, 1))
    y = tf.nn.conv2d(x, k, 1, "SAME")[0, :, :, 0].numpy()
    assert y[0, 0] == 1 + 2 + 5 + 6
    assert y[3, 3] == 16


def test_conv2d_keeps_float32_and_tf_style_arguments():
    x = tf.ones((2, 8, 8, 3))
    k = tf.ones((3, 3, 3, 4))
    y = tf.nn.conv2d(x, k, strides=[1, 2, 2, 1], padding=[[0, 0], [1, 1], [1, 1], [0, 0]])
    assert y.dtype == np.float32
    assert y.shape == (2, 4, 4, 4)


def test_conv2d_explains_bad_inputs():
    with pytest.raises(ValueError, match="3 channels but the filters expect 2"):
        tf.nn.conv2d(tf.ones((1, 5, 5, 3)), tf.ones((3, 3, 2, 4)), 1, "VALID")
    with pytest.raises(ValueError, match="channels-last images"):
        tf.nn.conv2d(tf.ones((5, 5, 3)), tf.ones((3, 3, 3, 4)), 1, "VALID")
    with pytest.raises(ValueError, match="padding must be 'same' or 'valid'"):
        tf.nn.conv2d(tf.ones((1, 5, 5, 3)), tf.ones((3, 3, 3, 4)), 1, "full")
    with pytest.raises(ValueError, match="larger than the input"):
        tf.nn.conv2d(tf.ones((1, 2, 2, 1)), tf.ones((3, 3, 1, 1)), 1, "VALID")


def test_conv2d_second_derivative_matches_central_differences():
    # y = sum(conv(x, k)^2): the kernel's gradient is 2 * bp_filter(x, conv(x, k)), differentiated again.
    x = np.random.default_rng(5).standard_normal((1, 5, 5, 2))

    def kernel_gradient_norm(k):
        with tf.GradientTape() as inner:
            inner.watch(k)
            y = tf.reduce_sum(tf.nn.conv2d(tf.constant(x), k, 1, "VALID") ** 2)
        return tf.reduce_sum(inner.gradient(y, k) ** 2)

    check_gradients(kernel_gradient_norm, [np.random.default_rng(6).standard_normal((3, 3, 2, 2))], rtol=1e-5)


def test_conv1d_matches_conv2d_on_height_one():
    rng = np.random.default_rng(3)
    x, k = rng.standard_normal((2, 9, 3)), rng.standard_normal((3, 3, 2))
    got = tf.nn.conv1d(tf.constant(x, dtype="float64"), tf.constant(k, dtype="float64"), 2, "SAME").numpy()
    expected = naive_conv2d(x[:, None], k[None], (1, 2), "same")[:, 0]
    np.testing.assert_allclose(got, expected, atol=1e-10)
    check_gradients(lambda a, b: tf.nn.conv1d(a, b, 1, "VALID") ** 2, [x, k])


# --- pooling -----------------------------------------------------------------------------------------------
POOL_CASES = [
    ((2, 2), (2, 2), "valid"),
    ((2, 2), (2, 2), "same"),
    ((3, 3), (2, 2), "valid"),
    ((3, 3), (2, 2), "same"),
    ((2, 3), (1, 1), "valid"),
    ((3, 2), (1, 2), "same"),
]


@pytest.mark.parametrize("window, strides, padding", POOL_CASES)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_matches_a_naive_loop(window, strides, padding, kind):
    x = distinct((2, 7, 5, 3), seed=4)
    op = tf.nn.max_pool2d if kind == "max" else tf.nn.avg_pool2d
    got = op(tf.constant(x, dtype="float64"), window, strides, padding.upper()).numpy()
    np.testing.assert_allclose(got, naive_pool(x, window, strides, padding, kind), atol=1e-12)


@pytest.mark.parametrize("window, strides, padding", POOL_CASES)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_gradients(window, strides, padding, kind):
    x = distinct((2, 6, 5, 2), seed=5)
    op = tf.nn.max_pool2d if kind == "max" else tf.nn.avg_pool2d
    weights = np.random.default_rng(6).standard_normal(naive_pool(x, window, strides, padding, kind).shape)
    check_gradients(lambda a: op(a, window, strides, padding) * weights, [x])


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    x = tf.constant(np.ones((1, 2, 2, 1)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.max_pool2d(x, 2, 2, "VALID")
    grad = tape.gradient(y, x).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(grad, [[1.0, 0.0], [0.0, 0.0]])


def test_max_pool_with_overlapping_windows_sums_the_gradients():
    x = np.zeros((1, 3, 3, 1))
    x[0, 1, 1, 0] = 5.0  # the centre wins all four 2x2 windows
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = tf.nn.max_pool2d(xt, 2, 1, "VALID")
    assert tape.gradient(y, xt).numpy()[0, 1, 1, 0] == 4.0


def test_avg_pool_same_averages_real_elements_only():
    x = tf.ones((1, 3, 3, 1))
    y = tf.nn.avg_pool2d(x, 2, 2, "SAME").numpy()
    np.testing.assert_allclose(y, 1.0)


def test_pool_default_strides_and_1d():
    x = tf.reshape(tf.range(8.0), (1, 8, 1))
    np.testing.assert_array_equal(tf.nn.max_pool1d(x, 2).numpy()[0, :, 0], [1, 3, 5, 7])
    np.testing.assert_array_equal(tf.nn.avg_pool1d(x, 4).numpy()[0, :, 0], [1.5, 5.5])


def test_pool_explains_bad_inputs():
    with pytest.raises(ValueError, match="channels-last images"):
        tf.nn.max_pool2d(tf.ones((4, 4)), 2)
    with pytest.raises(ValueError, match="ksize must be positive"):
        tf.nn.avg_pool2d(tf.ones((1, 4, 4, 1)), 0)


def test_conv1d_explicit_padding_forms():
    x = tf.constant(np.arange(5.0).reshape(1, 5, 1))
    k = tf.ones((2, 1, 1))
    tf_style = tf.nn.conv1d(x, k, 1, [[0, 0], [1, 0], [0, 0]]).numpy()[0, :, 0]
    np.testing.assert_array_equal(tf_style, [0, 1, 3, 5, 7])
    np.testing.assert_array_equal(tf.nn.conv1d(x, k, 1, [1, 0]).numpy()[0, :, 0], tf_style)


# --- conv2d_transpose ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "strides, padding, out_hw",
    [
        ((2, 2), "SAME", (8, 8)),
        ((2, 2), "VALID", (9, 9)),
        ((1, 1), "VALID", (6, 6)),
        ((3, 2), "SAME", (10, 8)),
    ],
)
def test_conv2d_transpose_is_the_adjoint_of_conv2d(strides, padding, out_hw):
    rng = np.random.default_rng(7)
    y, k = rng.standard_normal((2, 4, 4, 5)), rng.standard_normal((3, 3, 3, 5))
    out_shape = (2,) + out_hw + (3,)
    x = rng.standard_normal(out_shape)
    up = tf.nn.conv2d_transpose(
        tf.constant(y, dtype="float64"), tf.constant(k, dtype="float64"), out_shape, strides, padding
    ).numpy()
    down = naive_conv2d(x, k, strides, padding.lower())
    assert np.sum(down * y) == pytest.approx(np.sum(x * up), rel=1e-10)
    weights = rng.standard_normal(out_shape)
    check_gradients(lambda a, b: tf.nn.conv2d_transpose(a, b, out_shape, strides, padding) * weights, [y, k])


def test_conv2d_transpose_checks_the_output_shape():
    with pytest.raises(ValueError, match="would have spatial size"):
        tf.nn.conv2d_transpose(tf.ones((1, 4, 4, 2)), tf.ones((3, 3, 1, 2)), (1, 20, 20, 1), 2, "SAME")
    with pytest.raises(ValueError, match="output_shape must be"):
        tf.nn.conv2d_transpose(tf.ones((1, 4, 4, 2)), tf.ones((3, 3, 1, 2)), (1, 8, 8, 3), 2, "SAME")


@pytest.mark.parametrize("channels", [1, 4])  # 9 and 36 patch values: both kernel-gradient paths
def test_conv2d_kernel_gradient_for_thin_and_wide_patches(channels):
    rng = np.random.default_rng(8)
    x, k = rng.standard_normal((2, 5, 5, channels)), rng.standard_normal((3, 3, channels, 2))
    weights = rng.standard_normal((2, 3, 3, 2))
    check_gradients(lambda a, b: tf.nn.conv2d(a, b, 1, "VALID") * weights, [x, k])


@pytest.mark.parametrize(
    "core, per_image",
    [("SkylakeX", True), ("SAPPHIRERAPIDS", True), ("Haswell", False), ("Zen", False), (None, True)],
)
def test_thin_patch_products_follow_the_blas_kernel(core, per_image, monkeypatch):
    """Image by image where OpenBLAS has its direct small-matrix sgemm (or the BLAS is not
    known), one product over the batch elsewhere; both give the same numbers to rounding."""
    from learnet import backend
    from learnet.ops import conv as conv_ops

    monkeypatch.setattr(backend, "_blas_core", [core])
    assert conv_ops._thin_per_image() is per_image
    calls = []
    matmul = conv_ops.xp.matmul
    monkeypatch.setattr(
        conv_ops.xp, "matmul", lambda a, b, *rest, **kw: calls.append(a.ndim) or matmul(a, b, *rest, **kw)
    )
    rng = np.random.default_rng(9)
    x = tf.Variable(rng.standard_normal((4, 9, 9, 1)).astype(np.float32))
    k = tf.Variable(rng.standard_normal((3, 3, 1, 5)).astype(np.float32))
    with tf.GradientTape() as tape:
        y = tf.nn.conv2d(x, k, 1, "VALID")
        loss = y * y
    dk = tape.gradient(loss, k)
    assert (3 in calls) is per_image  # a batch of per-image products is a 3-D matmul
    monkeypatch.setattr(conv_ops.xp, "matmul", matmul)
    monkeypatch.setattr(backend, "_blas_core", ["SkylakeX" if core in ("Haswell", "Zen") else "Haswell"])
    with tf.GradientTape() as tape:
        other = tf.nn.conv2d(x, k, 1, "VALID")
        loss = other * other
    np.testing.assert_allclose(other.numpy(), y.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(tape.gradient(loss, k).numpy(), dk.numpy(), rtol=1e-4)


def test_blas_core_names_numpys_openblas_kernel():
    pytest.importorskip("threadpoolctl")
    from learnet import backend

    core = backend.blas_core()
    assert core is None or (isinstance(core, str) and core)
    assert backend.blas_core() is core  # looked up once
