"""3-D layers (Conv3D, pooling, UpSampling3D, ZeroPadding3D, Cropping3D...): values, weights,
shapes and configs as real Keras 3; gradients; a small volume model that trains and saves."""

import numpy as np
import pytest

import learnet as tf
from learnet import layers
from learnet.layers import volumes
from learnet.layers.volumes import (
    AveragePooling3D,
    Conv3D,
    Conv3DTranspose,
    Cropping3D,
    GlobalAveragePooling3D,
    GlobalMaxPooling3D,
    MaxPooling3D,
    UpSampling3D,
    ZeroPadding3D,
)
from learnet.testing import check_gradients

IN_SHAPE = (2, 5, 6, 7, 3)

CASES = [
    ("Conv3D", dict(filters=4, kernel_size=3)),
    ("Conv3D", dict(filters=2, kernel_size=(2, 3, 2), strides=(2, 1, 2), padding="same", activation="relu")),
    ("Conv3D", dict(filters=2, kernel_size=2, dilation_rate=(2, 1, 2), padding="same", use_bias=False)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same")),
    ("Conv3DTranspose", dict(filters=2, kernel_size=(2, 3, 4), strides=(2, 1, 3), activation="tanh")),
    (
        "Conv3DTranspose",
        dict(filters=2, kernel_size=(2, 3, 1), strides=(2, 2, 3), padding="same", output_padding=(1, 0, 2)),
    ),
    ("Conv3DTranspose", dict(filters=2, kernel_size=(2, 3, 1), strides=(2, 2, 3), output_padding=(1, 0, 2))),
    ("Conv3DTranspose", dict(filters=2, kernel_size=3, dilation_rate=2, padding="same", use_bias=False)),
    ("MaxPooling3D", dict()),
    ("MaxPooling3D", dict(pool_size=3, strides=(1, 2, 2), padding="same")),
    ("AveragePooling3D", dict(pool_size=(2, 3, 2), strides=1, padding="same")),
    ("AveragePooling3D", dict(pool_size=(1, 2, 3))),
    ("GlobalAveragePooling3D", dict()),
    ("GlobalMaxPooling3D", dict(keepdims=True)),
    ("UpSampling3D", dict(size=(1, 2, 3))),
    ("ZeroPadding3D", dict()),
    ("ZeroPadding3D", dict(padding=((0, 1), 2, (3, 0)))),
    ("Cropping3D", dict(cropping=(1, (0, 2), 3))),
]


@pytest.mark.parametrize("name, kwargs", CASES)
def test_values_weights_and_shapes_match_real_keras(keras, name, kwargs):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(IN_SHAPE).astype(np.float32)
    theirs = getattr(keras.layers, name)(**kwargs)
    theirs.build(x.shape)
    ours = getattr(volumes, name)(**kwargs)
    ours.build(x.shape)
    assert [w.name.split("/")[-1] for w in ours.weights] == [w.name for w in theirs.weights]
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    values = [rng.normal(scale=0.5, size=w.shape).astype(np.float32) for w in theirs.get_weights()]
    theirs.set_weights(values)
    ours.set_weights(values)
    want = np.asarray(theirs(x))
    got = ours(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-5)
    spatial = (None,) + IN_SHAPE[1:]
    assert tuple(ours.compute_output_shape(spatial)) == tuple(theirs.compute_output_shape(spatial))
    assert ours(layers.Input(shape=IN_SHAPE[1:])).shape == (None,) + want.shape[1:]


def _plain(value):
    """Tuples as lists, all the way down (Keras keeps tuples, JSON has lists)."""
    return [_plain(v) for v in value] if isinstance(value, (tuple, list)) else value


@pytest.mark.parametrize("name, kwargs", CASES)
def test_config_is_keras_and_round_trips(keras, name, kwargs):
    ours = getattr(volumes, name)(**kwargs)
    config = ours.get_config()
    theirs = getattr(keras.layers, name)(**kwargs).get_config()
    assert set(config) == set(theirs)
    for key in set(config) - {"name", "dtype", "kernel_initializer", "bias_initializer"}:
        assert _plain(config[key]) == _plain(theirs[key]), key
    for key in {"kernel_initializer", "bias_initializer"} & set(config):
        assert config[key]["class_name"] == theirs[key]["class_name"]
    again = type(ours).from_config(config)
    assert again.get_config() == config


def test_aliases_are_the_keras_names():
    assert volumes.Convolution3D is Conv3D
    assert volumes.MaxPool3D is MaxPooling3D and volumes.AvgPool3D is AveragePooling3D
    assert volumes.GlobalAvgPool3D is GlobalAveragePooling3D and volumes.GlobalMaxPool3D is GlobalMaxPooling3D
    assert Conv3D(2, 3).name.startswith("conv3d") and MaxPooling3D().name.startswith("max_pooling3d")


@pytest.mark.parametrize(
    "layer", [Conv3D(2, 3), Conv3DTranspose(2, 3), MaxPooling3D(), GlobalMaxPooling3D(), Cropping3D()]
)
def test_wrong_rank_is_named(layer):
    with pytest.raises(
        ValueError, match=rf"{type(layer).__name__} '{layer.name}' expects inputs of rank 5 \(batch, depth"
    ):
        layer(np.zeros((2, 8, 8, 1), np.float32))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Conv3D(0, 3), "Conv3D: filters must be a positive integer"),
        (lambda: Conv3D(2, (3, 3)), "Conv3D: kernel_size must be"),
        (lambda: Conv3D(2, 3, padding="causal"), "Conv3D: padding must be one of"),
        (lambda: Conv3D(2, 3, strides=2, dilation_rate=2), "Conv3D: strides > 1 and dilation_rate > 1"),
        (lambda: Conv3D(2, 3, data_format="channels_middle"), "Conv3D: data_format must be 'channels_last'"),
        (lambda: Conv3D(3, 3, groups=2), "Conv3D: the number of filters must be evenly divisible"),
        (lambda: Conv3DTranspose(2, 3, strides=2, output_padding=2), "Conv3DTranspose: output_padding"),
        (lambda: MaxPooling3D(pool_size=(2, 2)), "MaxPooling3D: pool_size must be"),
        (lambda: AveragePooling3D(padding="full"), "AveragePooling3D: padding must be one of"),
        (lambda: GlobalAveragePooling3D(data_format="channels_mid"), "GlobalAveragePooling3D: data_format must be"),
        (lambda: UpSampling3D(size=0), "UpSampling3D: size must be"),
        (lambda: ZeroPadding3D(padding=(1, 2)), "ZeroPadding3D: padding must be"),
        (lambda: Cropping3D(cropping=-1), "Cropping3D: cropping must be non-negative"),
    ],
)
def test_bad_arguments_are_named(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_cropping_everything_is_an_error():
    layer = Cropping3D(((2, 2), 0, 0))
    with pytest.raises(ValueError, match="Cropping3D .*removes every voxel"):
        layer(np.zeros((1, 4, 4, 4, 1), np.float32))


def test_conv3d_rejects_a_different_channel_count_after_build():
    layer = Conv3D(2, 3)
    layer(np.zeros((1, 4, 4, 4, 1), np.float32))
    with pytest.raises(ValueError, match="Conv3D .*last dimension 1"):
        layer(np.zeros((1, 4, 4, 4, 2), np.float32))


@pytest.mark.parametrize(
    "layer",
    [
        lambda: Conv3D(3, (2, 3, 2), strides=(2, 1, 1), padding="same", activation="tanh", dtype="float64"),
        lambda: Conv3DTranspose(2, (2, 3, 2), strides=2, padding="same", dtype="float64"),
        lambda: UpSampling3D((2, 1, 2), dtype="float64"),
    ],
)
def test_gradients_through_the_layer(layer):
    layer = layer()
    layer.build((None, 3, 4, 3, 2))
    rng = np.random.default_rng(1)
    layer.set_weights([rng.normal(size=w.shape) for w in layer.get_weights()])
    x = rng.standard_normal((2, 3, 4, 3, 2))
    weights = rng.standard_normal(layer(x).shape)
    check_gradients(lambda t: layer(t) * weights, [x])


def _volume_model():
    """A tiny version of keras.io's "3D image classification from CT scans"."""
    inputs = layers.Input((8, 8, 8, 1))
    x = Conv3D(4, 3, activation="relu")(inputs)
    x = MaxPooling3D(2)(x)
    x = layers.BatchNormalization()(x)
    x = GlobalAveragePooling3D()(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return tf.keras.Model(inputs, outputs)


def test_a_volume_model_trains_and_saves(tmp_path):
    tf.keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 8, 8, 8, 1)).astype(np.float32)
    y = (x[:, 2:6, 2:6, 2:6, 0].mean(axis=(1, 2, 3)) > 0).astype(np.float32)  # the centre is bright
    x[y == 1, 2:6, 2:6, 2:6] += 1.0
    model = _volume_model()
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=8, epochs=8, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.8 * losses[0]
    path = tmp_path / "volumes.learnet"
    model.save(path)
    custom = {name: getattr(volumes, name) for name in ("Conv3D", "MaxPooling3D", "GlobalAveragePooling3D")}
    restored = tf.keras.models.load_model(path, custom_objects=custom)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert [type(layer).__name__ for layer in restored.layers][1:3] == ["Conv3D", "MaxPooling3D"]
