"""Conv and pooling layers: shapes as in Keras, values against NumPy loops written here."""

import numpy as np
import pytest

import learnet as tf
from learnet import layers
from learnet.testing import check_gradients


def naive_conv(x, k, stride=1):
    n, h, w, c = x.shape
    kh, kw, _, f = k.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    out = np.zeros((n, oh, ow, f))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride : i * stride + kh, j * stride : j * stride + kw, :]
            out[:, i, j, :] = np.einsum("nhwc,hwcf->nf", patch, k)
    return out


def test_conv2d_forward_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 6, 3)).astype("float32")
    conv = layers.Conv2D(4, 3, strides=1, activation="relu")
    y = conv(x)
    kernel, bias = conv.get_weights()
    assert kernel.shape == (3, 3, 3, 4) and bias.shape == (4,)
    expected = np.maximum(naive_conv(x, kernel) + bias, 0)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-4, atol=1e-5)
    assert y.dtype == np.float32


@pytest.mark.parametrize(
    "kwargs, in_shape, out_shape",
    [
        ({"filters": 32, "kernel_size": 3}, (28, 28, 1), (26, 26, 32)),
        ({"filters": 8, "kernel_size": 3, "padding": "same"}, (28, 28, 1), (28, 28, 8)),
        ({"filters": 8, "kernel_size": (5, 3), "strides": 2}, (28, 28, 1), (12, 13, 8)),
        ({"filters": 8, "kernel_size": 3, "strides": 2, "padding": "same"}, (7, 7, 2), (4, 4, 8)),
        ({"filters": 8, "kernel_size": 3, "dilation_rate": 2}, (9, 9, 2), (5, 5, 8)),
    ],
)
def test_conv2d_output_shapes_are_keras(kwargs, in_shape, out_shape):
    conv = layers.Conv2D(**kwargs)
    assert conv(np.zeros((2,) + in_shape, dtype="float32")).shape == (2,) + out_shape
    assert conv.compute_output_shape((None,) + in_shape) == (None,) + out_shape
    assert conv(layers.Input(shape=in_shape)).shape == (None,) + out_shape


def test_conv2d_gradients_through_the_layer():
    conv = layers.Conv2D(2, 3, padding="same", strides=2, dtype="float64")
    conv(np.zeros((1, 5, 5, 2)))
    x = np.random.default_rng(1).standard_normal((2, 5, 5, 2))
    check_gradients(lambda t: conv(t) ** 2, [x])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(conv(x) ** 2)
    grads = tape.gradient(loss, conv.trainable_weights)
    assert [tuple(g.shape) for g in grads] == [(3, 3, 2, 2), (2,)]


def test_conv2d_config_round_trip_and_bad_arguments():
    conv = layers.Conv2D(16, (3, 3), strides=(2, 2), padding="same", activation="relu", input_shape=(28, 28, 1))
    config = conv.get_config()
    assert (
        config["kernel_size"] == (3, 3) and config["strides"] == (2, 2) and config["padding"] == "same"
    )  # tuples, as Keras 3
    assert layers.Conv2D.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="padding must be one of"):
        layers.Conv2D(8, 3, padding="full")
    with pytest.raises(ValueError, match="channels_last"):
        layers.Conv2D(8, 3, data_format="channels_middle")
    with pytest.raises(ValueError, match="expects inputs with last dimension 1"):
        conv(np.zeros((1, 28, 28, 1)))
        conv(np.zeros((1, 28, 28, 3)))


def test_conv1d_causal_padding_sees_only_the_past():
    conv = layers.Conv1D(1, 3, padding="causal", kernel_initializer="ones", use_bias=False)
    x = np.zeros((1, 6, 1), dtype="float32")
    x[0, 3, 0] = 1.0
    y = conv(x).numpy()[0, :, 0]
    np.testing.assert_array_equal(y, [0, 0, 0, 1, 1, 1])
    assert layers.Conv1D(4, 3)(np.zeros((2, 10, 3), dtype="float32")).shape == (2, 8, 4)


def test_conv2d_transpose_undoes_the_shape_of_a_strided_conv():
    up = layers.Conv2DTranspose(3, 3, strides=2, padding="same")
    assert up(np.zeros((2, 7, 7, 5), dtype="float32")).shape == (2, 14, 14, 3)
    assert up.kernel.shape == (3, 3, 3, 5)
    assert layers.Conv2DTranspose(3, 4, strides=2)(np.zeros((1, 5, 5, 1), dtype="float32")).shape == (1, 12, 12, 3)
    # It is the adjoint of Conv2D: <conv(x), y> == <x, conv_transpose(y)>.
    rng = np.random.default_rng(2)
    kernel = rng.standard_normal((3, 3, 3, 5))
    x, y = rng.standard_normal((2, 14, 14, 3)), rng.standard_normal((2, 7, 7, 5))
    conv_x = tf.nn.conv2d(tf.constant(x, dtype="float64"), tf.constant(kernel, dtype="float64"), 2, "SAME").numpy()
    up64 = layers.Conv2DTranspose(3, 3, strides=2, padding="same", use_bias=False, dtype="float64")
    up64(y)
    up64.set_weights([kernel])
    assert np.sum(conv_x * y) == pytest.approx(np.sum(x * up64(y).numpy()), rel=1e-10)
    check_gradients(lambda t: up64(t) ** 2, [rng.standard_normal((1, 3, 3, 5))])


def test_max_pooling_layer_against_numpy():
    x = np.random.default_rng(3).standard_normal((2, 6, 6, 3)).astype("float32")
    y = layers.MaxPooling2D()(x).numpy()
    np.testing.assert_array_equal(y, x.reshape(2, 3, 2, 3, 2, 3).max(axis=(2, 4)))
    avg = layers.AveragePooling2D(pool_size=(2, 2))(x).numpy()
    np.testing.assert_allclose(avg, x.reshape(2, 3, 2, 3, 2, 3).mean(axis=(2, 4)), rtol=1e-6)


@pytest.mark.parametrize(
    "layer, in_shape, out_shape",
    [
        (lambda: layers.MaxPooling2D(), (26, 26, 32), (13, 13, 32)),
        (lambda: layers.MaxPooling2D(), (11, 11, 64), (5, 5, 64)),
        (lambda: layers.MaxPool2D(pool_size=3, strides=2), (11, 11, 4), (5, 5, 4)),
        (lambda: layers.AveragePooling2D(padding="same"), (11, 11, 4), (6, 6, 4)),
        (lambda: layers.AvgPool2D(2, strides=1), (5, 5, 4), (4, 4, 4)),
        (lambda: layers.MaxPooling1D(), (11, 4), (5, 4)),
        (lambda: layers.AveragePooling1D(3, padding="same"), (10, 4), (4, 4)),
        (lambda: layers.GlobalAveragePooling2D(), (7, 7, 64), (64,)),
        (lambda: layers.GlobalMaxPooling2D(keepdims=True), (7, 7, 64), (1, 1, 64)),
        (lambda: layers.GlobalAveragePooling1D(), (9, 5), (5,)),
        (lambda: layers.GlobalMaxPool1D(), (9, 5), (5,)),
    ],
)
def test_pooling_output_shapes(layer, in_shape, out_shape):
    assert layer()(np.zeros((2,) + in_shape, dtype="float32")).shape == (2,) + out_shape
    assert layer().compute_output_shape((None,) + in_shape) == (None,) + out_shape


def test_global_pooling_values_and_gradients():
    x = np.random.default_rng(4).standard_normal((2, 3, 4, 5))
    np.testing.assert_allclose(
        layers.GlobalAveragePooling2D()(x.astype("float32")).numpy(), x.mean(axis=(1, 2)), rtol=1e-5
    )
    np.testing.assert_allclose(layers.GlobalMaxPooling2D()(x.astype("float32")).numpy(), x.max(axis=(1, 2)), rtol=1e-6)
    pool = layers.GlobalAveragePooling2D(dtype="float64")
    check_gradients(lambda t: pool(t) ** 2, [x])


def test_pooling_layer_gradient_checks():
    rng = np.random.default_rng(5)
    x = rng.permutation(2 * 6 * 6 * 2).reshape(2, 6, 6, 2) / 10.0
    for layer in (layers.MaxPooling2D(dtype="float64"), layers.AveragePooling2D(3, 2, "same", dtype="float64")):
        check_gradients(lambda t: layer(t) ** 2, [x])


def test_pooling_layer_explains_a_wrong_rank():
    with pytest.raises(ValueError, match=r"MaxPooling2D 'max_pooling2d(_\d+)?' expects inputs of rank 4"):
        layers.MaxPooling2D()(np.zeros((28, 28)))


@pytest.mark.parametrize(
    "kernel, strides, output_padding, padding, dilation",
    [
        (4, 2, 0, "same", 1),  # an even kernel with output_padding: Keras pads explicitly
        (2, 2, 0, "same", 1),
        (4, 1, 0, "same", 1),
        (4, 3, 2, "same", 1),
        (4, 2, None, "same", 1),
        (3, 2, None, "valid", 1),
        (4, 2, 1, "valid", 1),
        (3, 1, None, "same", 2),
        ((3, 4), (2, 3), (1, 0), "same", 1),  # an output_padding of 0 on one axis, as Keras allows
    ],
)
def test_conv2d_transpose_sizes_and_values_match_keras(keras, kernel, strides, output_padding, padding, dilation):
    x = np.random.default_rng(0).normal(size=(2, 5, 6, 3)).astype("float32")
    options = dict(strides=strides, padding=padding, output_padding=output_padding, dilation_rate=dilation)
    theirs = keras.layers.Conv2DTranspose(2, kernel, **options)
    expected = np.asarray(theirs(x))
    ours = layers.Conv2DTranspose(2, kernel, **options)
    ours.build(x.shape)
    ours.set_weights(theirs.get_weights())
    assert ours.compute_output_shape(x.shape) == expected.shape
    np.testing.assert_allclose(ours(x).numpy(), expected, rtol=1e-5, atol=1e-5)
