"""DepthwiseConv2D and SeparableConv2D: shapes, values, weights and configs as real Keras 3."""

import numpy as np
import pytest

import learnet as tf
from learnet import layers
from learnet.testing import check_gradients


CASES = [
    ("DepthwiseConv2D", dict(kernel_size=3)),
    ("DepthwiseConv2D", dict(kernel_size=(3, 2), depth_multiplier=2, padding="same", activation="relu")),
    ("DepthwiseConv2D", dict(kernel_size=3, strides=2, padding="same", use_bias=False, activation="tanh")),
    ("DepthwiseConv2D", dict(kernel_size=3, dilation_rate=2, depth_multiplier=3)),
    ("SeparableConv2D", dict(filters=4, kernel_size=3)),
    ("SeparableConv2D", dict(filters=5, kernel_size=3, padding="same", activation="relu", depth_multiplier=2)),
    ("SeparableConv2D", dict(filters=3, kernel_size=(2, 3), strides=2, use_bias=False, activation="sigmoid")),
    ("SeparableConv2D", dict(filters=2, kernel_size=3, dilation_rate=(2, 1), padding="same")),
]


@pytest.mark.parametrize("name, kwargs", CASES)
def test_values_weights_and_shapes_match_real_keras(keras, name, kwargs):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 9, 10, 3)).astype(np.float32)
    theirs = getattr(keras.layers, name)(**kwargs)
    want = np.asarray(theirs(x))
    ours = getattr(layers, name)(**kwargs)
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
    assert ours.compute_output_shape((None, 9, 10, 3)) == theirs.compute_output_shape((None, 9, 10, 3))
    assert ours(layers.Input(shape=(9, 10, 3))).shape == (None,) + want.shape[1:]


@pytest.mark.parametrize("name, kwargs", CASES)
def test_config_is_keras_and_round_trips(keras, name, kwargs):
    ours = getattr(layers, name)(**kwargs)
    config = ours.get_config()
    theirs = getattr(keras.layers, name)(**kwargs).get_config()
    assert set(config) == set(theirs)
    for key in ("kernel_size", "strides", "dilation_rate"):
        assert list(config[key]) == list(theirs[key])
    for key in ("padding", "depth_multiplier", "use_bias", "activation"):
        assert config[key] == theirs[key]
    again = type(ours).from_config(config)
    assert again.get_config() == config


def test_depthwise_is_each_channel_alone():
    layer = layers.DepthwiseConv2D(2, depth_multiplier=2, use_bias=False)
    layer.build((None, 3, 3, 2))
    kernel = np.zeros((2, 2, 2, 2), np.float32)
    kernel[..., 0, 0] = 1.0  # channel 0, multiplier 0: the 2x2 sum
    kernel[..., 1, 1] = -1.0  # channel 1, multiplier 1: minus the 2x2 sum
    layer.set_weights([kernel])
    x = np.zeros((1, 3, 3, 2), np.float32)
    x[..., 0], x[..., 1] = 1.0, 2.0
    y = layer(x).numpy()
    assert y.shape == (1, 2, 2, 4)
    np.testing.assert_array_equal(y[0, 0, 0], [4.0, 0.0, 0.0, -8.0])  # output c * multiplier + m
    assert layer.depthwise_kernel is layer.kernel  # the Keras 2 name


@pytest.mark.parametrize("name", ["DepthwiseConv2D", "SeparableConv2D"])
def test_gradients_through_the_layer(name):
    kwargs = dict(kernel_size=3, padding="same", strides=2, depth_multiplier=2, activation="tanh", dtype="float64")
    layer = layers.DepthwiseConv2D(**kwargs) if name == "DepthwiseConv2D" else layers.SeparableConv2D(3, **kwargs)
    layer.build((None, 5, 5, 2))
    rng = np.random.default_rng(1)
    layer.set_weights([rng.normal(size=w.shape) for w in layer.get_weights()])
    check_gradients(lambda t: layer(t) ** 2, [rng.standard_normal((2, 5, 5, 2))])
    x = rng.standard_normal((2, 5, 5, 2))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x) ** 2)
    grads = tape.gradient(loss, layer.trainable_weights)
    assert [tuple(g.shape) for g in grads] == [tuple(w.shape) for w in layer.trainable_weights]
    for weight, grad in zip(layer.trainable_weights, grads):
        original = weight.numpy().copy()

        def loss_at(value, weight=weight, original=original):
            weight.assign(value)
            try:
                return float(tf.reduce_sum(layer(x) ** 2))
            finally:
                weight.assign(original)

        index = (0,) * len(original.shape)
        step = np.zeros_like(original)
        step[index] = 1e-6
        numeric = (loss_at(original + step) - loss_at(original - step)) / 2e-6
        assert grad.numpy()[index] == pytest.approx(numeric, rel=1e-5, abs=1e-7)


def test_a_separable_model_trains():
    tf.keras.utils.set_random_seed(0)
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 64)
    x = 0.5 * rng.standard_normal((64, 8, 8, 3)).astype(np.float32)
    x[y == 1, :4] += 1.0  # class 1: the top half brighter; class 0: the bottom half
    x[y == 0, 4:] += 1.0
    model = tf.keras.Sequential(
        [
            tf.keras.Input((8, 8, 3)),
            layers.SeparableConv2D(8, 3, padding="same", activation="relu"),
            layers.DepthwiseConv2D(3, strides=2, padding="same", activation="relu"),
            layers.Flatten(),
            layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert (model.predict(x, verbose=0).argmax(axis=1) == y).mean() > 0.9


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier must be a positive integer"),
        (lambda: layers.DepthwiseConv2D(3, depth_multiplier=1.5), "depth_multiplier must be a positive integer"),
        (lambda: layers.DepthwiseConv2D(0), "kernel_size must be a positive int"),
        (lambda: layers.DepthwiseConv2D(3, padding="causal"), "padding must be one of"),
        (lambda: layers.DepthwiseConv2D(3, strides=2, dilation_rate=2), "cannot be combined"),
        (lambda: layers.DepthwiseConv2D(3, data_format="channels_middle"), "channels_last"),
        (lambda: layers.SeparableConv2D(0, 3), "filters must be a positive integer"),
        (lambda: layers.SeparableConv2D(4, 3, depth_multiplier=-1), "depth_multiplier must be a positive integer"),
    ],
)
def test_bad_arguments_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_wrong_input_is_explained_and_builds_nothing():
    layer = layers.SeparableConv2D(4, 3)
    with pytest.raises(ValueError, match=r"rank 4 \(batch, height, width, channels\)"):
        layer(np.zeros((2, 8, 3), np.float32))
    with pytest.raises(ValueError, match=r"expects images \(batch, height, width, channels\)"):
        layer.build((2, 8, 3))  # build itself checks too
    assert not layer.built and layer.weights == []
    layer(np.zeros((2, 8, 8, 3), np.float32))
    with pytest.raises(ValueError):
        layer(np.zeros((2, 8, 8, 5), np.float32))  # built for 3 channels
