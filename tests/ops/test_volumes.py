"""3-D convolution and pooling ops: against naive loops written here, real Keras 3, and
numerical gradients (float64)."""

import itertools

import numpy as np
import pytest

import learnet as tf
from learnet.ops.volumes import avg_pool3d, conv3d, conv3d_transpose, max_pool3d
from learnet.testing import check_gradients


# --- naive references: plain loops over every output voxel -----------------------------------------
def same_padding(size, window, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + window - size, 0)
    return total // 2, total - total // 2


def naive_conv3d(x, k, strides=(1, 1, 1), padding="valid", dilations=(1, 1, 1)):
    *window, c, f = k.shape
    effective = [(size - 1) * d + 1 for size, d in zip(window, dilations)]
    if padding == "same":
        pads = [same_padding(x.shape[1 + a], effective[a], strides[a]) for a in range(3)]
        x = np.pad(x, [(0, 0), *pads, (0, 0)])
    out_size = [(x.shape[1 + a] - effective[a]) // strides[a] + 1 for a in range(3)]
    out = np.zeros((x.shape[0], *out_size, f))
    for i, j, m in itertools.product(*(range(o) for o in out_size)):
        for a, b, e in itertools.product(*(range(w) for w in window)):
            voxel = x[
                :,
                i * strides[0] + a * dilations[0],
                j * strides[1] + b * dilations[1],
                m * strides[2] + e * dilations[2],
                :,
            ]
            out[:, i, j, m, :] += voxel @ k[a, b, e]
    return out


def naive_pool3d(x, window, strides, padding, kind):
    fill = -np.inf if kind == "max" else np.nan
    if padding == "same":
        pads = [same_padding(x.shape[1 + a], window[a], strides[a]) for a in range(3)]
        x = np.pad(x, [(0, 0), *pads, (0, 0)], constant_values=fill)
    out_size = [(x.shape[1 + a] - window[a]) // strides[a] + 1 for a in range(3)]
    out = np.zeros((x.shape[0], *out_size, x.shape[4]))
    for i, j, m in itertools.product(*(range(o) for o in out_size)):
        d, h, w = i * strides[0], j * strides[1], m * strides[2]
        patch = x[:, d : d + window[0], h : h + window[1], w : w + window[2], :]
        out[:, i, j, m, :] = patch.max(axis=(1, 2, 3)) if kind == "max" else np.nanmean(patch, axis=(1, 2, 3))
    return out


def distinct(shape, seed):
    """Values without ties (so max pooling has one clear winner per window)."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.prod(shape)).reshape(shape) / np.prod(shape) * 4 - 2


def f64(array):
    return tf.constant(array, dtype="float64")


# --- conv3d ------------------------------------------------------------------------------------------
CONV_CASES = [
    ((1, 1, 1), "valid", (1, 1, 1)),
    ((1, 1, 1), "same", (1, 1, 1)),
    ((2, 2, 2), "valid", (1, 1, 1)),
    ((2, 1, 2), "same", (1, 1, 1)),
    ((3, 2, 1), "same", (1, 1, 1)),
    ((1, 1, 1), "valid", (2, 1, 2)),
    ((1, 1, 1), "same", (1, 2, 2)),
]


@pytest.mark.parametrize("strides, padding, dilations", CONV_CASES)
def test_conv3d_matches_a_naive_loop(strides, padding, dilations):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 6, 5, 3))
    k = rng.standard_normal((2, 3, 2, 3, 4))
    got = conv3d(f64(x), f64(k), strides, padding.upper(), dilations=dilations).numpy()
    np.testing.assert_allclose(got, naive_conv3d(x, k, strides, padding, dilations), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("strides, padding, dilations", CONV_CASES)
def test_conv3d_gradients(strides, padding, dilations):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 5, 4, 2))
    k = rng.standard_normal((2, 3, 2, 2, 3))
    weights = rng.standard_normal(naive_conv3d(x, k, strides, padding, dilations).shape)
    check_gradients(lambda a, b: conv3d(a, b, strides, padding, dilations=dilations) * weights, [x, k])


def test_conv3d_with_bias_values_and_gradients():
    rng = np.random.default_rng(2)
    x, k, b = rng.standard_normal((2, 4, 4, 4, 2)), rng.standard_normal((3, 3, 3, 2, 3)), rng.standard_normal(3)
    got = conv3d(f64(x), f64(k), 2, "SAME", bias=f64(b)).numpy()
    np.testing.assert_allclose(got, naive_conv3d(x, k, (2, 2, 2), "same") + b, atol=1e-10)
    weights = rng.standard_normal(got.shape)
    check_gradients(lambda x, k, b: conv3d(x, k, 2, "SAME", bias=b) * weights, [x, k, b])


@pytest.mark.parametrize("channels", [2, 9])
def test_large_patch_matrices_go_a_slab_at_a_time(monkeypatch, channels):
    """Patches larger than ``_PATCH_BLOCK_BYTES`` are built a few depth slices at a time:
    same values and gradients, for conv3d and conv3d_transpose."""
    from learnet.ops import volumes as volume_ops

    monkeypatch.setattr(volume_ops, "_PATCH_BLOCK_BYTES", 3000)  # about two output depth slices
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 5, 4, 3, channels))
    k = rng.standard_normal((2, 2, 2, channels, 3))
    got = conv3d(f64(x), f64(k), 1, "SAME").numpy()
    np.testing.assert_allclose(got, naive_conv3d(x, k, (1, 1, 1), "same"), atol=1e-10)
    weights = rng.standard_normal(got.shape)
    check_gradients(lambda a, b: conv3d(a, b, 1, "SAME") * weights, [x, k])
    kt = rng.standard_normal((2, 2, 2, 3, channels))
    check_gradients(lambda a, b: conv3d_transpose(a, b, (2, 5, 4, 3, 3), 1, "SAME") * weights, [x, kt])


def test_conv3d_keeps_float32_and_accepts_tf_style_arguments():
    x = np.ones((1, 3, 3, 3, 1), np.float32)
    y = conv3d(x, np.ones((3, 3, 3, 1, 1), np.float32), [1, 1, 1, 1, 1], "VALID")
    assert y.dtype == np.float32 and y.shape == (1, 1, 1, 1, 1) and float(y[0, 0, 0, 0, 0]) == 27.0
    explicit = conv3d(x, np.ones((3, 3, 3, 1, 1), np.float32), 1, [[1, 1], [1, 1], [0, 0]])
    assert explicit.shape == (1, 3, 3, 1, 1)
    assert float(explicit[0, 0, 0, 0, 0]) == 12.0  # a corner in depth and height sees 2 x 2 x 3 voxels


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: conv3d(np.ones((1, 4, 4, 1)), np.ones((2, 2, 2, 1, 1)), 1, "VALID"), r"conv3d: .*\(batch, depth"),
        (
            lambda: conv3d(np.ones((1, 4, 4, 4, 2)), np.ones((2, 2, 2, 1, 1)), 1, "VALID"),
            "must be a multiple of the number of groups",
        ),
        (lambda: conv3d(np.ones((1, 4, 4, 4, 1)), np.ones((2, 2, 1, 1)), 1, "VALID"), "filters must have shape"),
        (lambda: conv3d(np.ones((1, 4, 4, 4, 1)), np.ones((5, 2, 2, 1, 1)), 1, "VALID"), "larger than the input"),
        (lambda: conv3d(np.ones((1, 4, 4, 4, 1)), np.ones((2, 2, 2, 1, 1)), 1, "full"), "'same' or 'valid'"),
        (lambda: conv3d(np.ones((1, 4, 4, 4, 1)), np.ones((2, 2, 2, 1, 1)), 2, "SAME", dilations=2), "dilations"),
        (lambda: conv3d(np.ones((1, 4, 4, 4, 1)), np.ones((2, 2, 2, 1, 1)), (1, 2), "SAME"), "three ints"),
        (lambda: max_pool3d(np.ones((1, 4, 4, 4, 1)), 2, data_format="NCDHW"), "channels-last"),
        (lambda: avg_pool3d(np.ones((4, 4, 4, 1)), 2), r"avg_pool3d: .*\(batch, depth"),
    ],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


# --- conv3d_transpose --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "out_shape, strides, padding",
    [
        ((2, 7, 6, 5, 2), (1, 1, 1), "VALID"),
        ((2, 8, 6, 5, 2), (2, 2, 1), "SAME"),
        ((2, 7, 5, 6, 2), (2, 1, 3), "VALID"),
    ],
)
def test_conv3d_transpose_is_the_input_gradient_of_conv3d(out_shape, strides, padding):
    rng = np.random.default_rng(3)
    k = rng.standard_normal((2, 3, 2, 2, 3))
    x = f64(rng.standard_normal(out_shape))
    y_shape = conv3d(x, f64(k), strides, padding).shape
    g = rng.standard_normal(y_shape)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = conv3d(x, f64(k), strides, padding)
    want = tape.gradient(y, x, output_gradients=f64(g)).numpy()
    got = conv3d_transpose(f64(g), f64(k), out_shape, strides, padding).numpy()
    np.testing.assert_allclose(got, want, atol=1e-10)
    weights = rng.standard_normal(out_shape)
    check_gradients(lambda a, b: conv3d_transpose(a, b, out_shape, strides, padding) * weights, [g, k])


def test_conv3d_transpose_checks_its_output_shape():
    with pytest.raises(ValueError, match="conv3d_transpose: .*spatial size"):
        conv3d_transpose(np.ones((1, 2, 2, 2, 4)), np.ones((3, 3, 3, 1, 4)), (1, 9, 4, 4, 1), 2, "SAME")


# --- pooling -----------------------------------------------------------------------------------------
POOL_CASES = [
    ((2, 2, 2), (2, 2, 2), "valid"),
    ((2, 2, 2), (2, 2, 2), "same"),
    ((3, 2, 3), (1, 2, 1), "valid"),
    ((3, 3, 2), (2, 1, 2), "same"),
    ((1, 3, 2), (1, 1, 1), "same"),
]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("window, strides, padding", POOL_CASES)
def test_pool3d_matches_a_naive_loop_and_its_gradient_is_right(kind, window, strides, padding):
    x = distinct((2, 5, 4, 5, 2), seed=4)
    pool = max_pool3d if kind == "max" else avg_pool3d
    want = naive_pool3d(x, window, strides, padding, kind)
    got = pool(f64(x), window, strides, padding.upper()).numpy()
    np.testing.assert_allclose(got, want, atol=1e-12)
    weights = np.random.default_rng(5).standard_normal(want.shape)
    check_gradients(lambda a: pool(a, window, strides, padding) * weights, [x])


def test_max_pool3d_gives_a_tie_to_the_first_maximum_only():
    x = f64(np.ones((1, 2, 2, 2, 1)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = max_pool3d(x, 2)
    grad = tape.gradient(y, x).numpy().ravel()
    np.testing.assert_array_equal(grad, [1, 0, 0, 0, 0, 0, 0, 0])


def test_pooling_keeps_float32():
    x = np.ones((1, 4, 4, 4, 2), np.float32)
    assert max_pool3d(x, 2).dtype == np.float32
    assert avg_pool3d(x, [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "SAME").dtype == np.float32


# --- against real Keras 3 ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "strides, padding, dilations",
    [((1, 1, 1), "valid", (1, 1, 1)), ((2, 1, 2), "same", (1, 1, 1)), ((1, 1, 1), "same", (2, 1, 2))],
)
def test_conv3d_matches_keras_ops(keras, strides, padding, dilations):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 6, 5, 7, 3)).astype(np.float32)
    k = rng.standard_normal((3, 2, 3, 3, 4)).astype(np.float32)
    want = np.asarray(keras.ops.conv(x, k, strides, padding, dilation_rate=dilations))
    got = conv3d(x, k, strides, padding, dilations=dilations).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("window, strides, padding", POOL_CASES)
def test_pool3d_matches_keras_ops(keras, window, strides, padding):
    x = np.random.default_rng(7).standard_normal((2, 5, 4, 5, 3)).astype(np.float32)
    for ours, theirs in ((max_pool3d, keras.ops.max_pool), (avg_pool3d, keras.ops.average_pool)):
        want = np.asarray(theirs(x, window, strides, padding))
        np.testing.assert_allclose(ours(x, window, strides, padding).numpy(), want, rtol=1e-5, atol=1e-6)


def test_conv3d_transpose_matches_keras_ops(keras):
    rng = np.random.default_rng(8)
    y = rng.standard_normal((2, 3, 4, 3, 4)).astype(np.float32)
    k = rng.standard_normal((3, 3, 2, 2, 4)).astype(np.float32)
    want = np.asarray(keras.ops.conv_transpose(y, k, 2, "same"))
    got = conv3d_transpose(y, k, want.shape, 2, "SAME").numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
