"""Global pooling with ``data_format="channels_first"`` (keras.io's timeseries transformer averages
over the features this way), checked against real Keras 3 on JAX."""

import os

import numpy as np
import pytest

import learnet as tf
from learnet import layers

os.environ.setdefault("KERAS_BACKEND", "jax")  # real Keras 3 on JAX, as the conftest fixture uses it
keras = pytest.importorskip("keras")

RNG = np.random.default_rng(11)
SHAPES = {1: (2, 3, 5), 2: (2, 3, 4, 5), 3: (2, 3, 2, 4, 5)}
NAMES = [(kind, rank) for kind in ("GlobalAveragePooling", "GlobalMaxPooling") for rank in (1, 2, 3)]


@pytest.mark.parametrize("kind, rank", NAMES)
@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_equals_keras(kind, rank, data_format, keepdims):
    name = f"{kind}{rank}D"
    x = RNG.normal(size=SHAPES[rank]).astype("float32")
    ours = getattr(layers, name)(data_format=data_format, keepdims=keepdims)
    theirs = getattr(keras.layers, name)(data_format=data_format, keepdims=keepdims)
    expected = np.asarray(theirs(x))
    result = ours(x).numpy()
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-6)
    assert tuple(ours.compute_output_shape((None,) + SHAPES[rank][1:])) == tuple(
        theirs.compute_output_shape((None,) + SHAPES[rank][1:])
    )


def test_reproducer_values_and_functional_output_shape():
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    average = layers.GlobalAveragePooling1D(data_format="channels_first")(x).numpy()
    largest = layers.GlobalMaxPooling1D(data_format="channels_first")(x).numpy()
    assert average.tolist() == [[1.5, 5.5, 9.5], [13.5, 17.5, 21.5]]
    assert largest.tolist() == [[3, 7, 11], [15, 19, 23]]
    inputs = tf.keras.Input((3, 4))
    model = tf.keras.Model(inputs, layers.GlobalAveragePooling1D(data_format="channels_first")(inputs))
    assert tuple(model.output_shape) == (None, 3)


def test_masked_average_channels_first_equals_keras():
    x = RNG.normal(size=(2, 3, 5)).astype("float32")
    mask = np.array([[True, True, False, True, False], [False, True, True, True, True]])
    for keepdims in (False, True):
        ours = layers.GlobalAveragePooling1D(data_format="channels_first", keepdims=keepdims)
        theirs = keras.layers.GlobalAveragePooling1D(data_format="channels_first", keepdims=keepdims)
        np.testing.assert_allclose(
            ours(x, mask=tf.constant(mask)).numpy(), np.asarray(theirs(x, mask=mask)), rtol=1e-6, atol=1e-6
        )


def test_gradient_flows_to_the_pooled_axis():
    x = tf.Variable(RNG.normal(size=(2, 3, 4)).astype("float32"))
    with tf.GradientTape() as tape:
        y = layers.GlobalAveragePooling1D(data_format="channels_first")(x)
        loss = tf.reduce_sum(y * tf.constant([[1.0, 2.0, 3.0]]))
    grad = tape.gradient(loss, x).numpy()
    expected = np.broadcast_to(np.array([1.0, 2.0, 3.0])[None, :, None] / 4, (2, 3, 4))
    np.testing.assert_allclose(grad, expected, rtol=1e-6)


def test_config_round_trip_keeps_channels_first():
    layer = layers.GlobalMaxPooling2D(data_format="Channels_First", keepdims=True)
    assert layer.data_format == "channels_first"
    again = layers.GlobalMaxPooling2D.from_config(layer.get_config())
    assert again.data_format == "channels_first" and again.keepdims
    x = RNG.normal(size=(1, 2, 3, 3)).astype("float32")
    np.testing.assert_array_equal(again(x).numpy(), x.max(axis=(2, 3), keepdims=True))


@pytest.mark.parametrize("name", ["GlobalAveragePooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling3D"])
def test_unknown_data_format_is_refused(name):
    with pytest.raises(ValueError, match="data_format"):
        getattr(layers, name)(data_format="channels_middle")
    with pytest.raises(ValueError):
        getattr(keras.layers, name)(data_format="channels_middle")


def test_wrong_rank_is_refused_with_channels_first():
    layer = layers.GlobalAveragePooling2D(data_format="channels_first")
    with pytest.raises(ValueError):
        layer(np.zeros((2, 3, 4), "float32"))
