"""``data_format="channels_first"`` and ``keras.config.set_image_data_format``, as Keras 3 has them.

Each layer gets the weights of a real Keras 3 layer (on JAX) and must give its outputs,
output shapes and parameter counts on ``(batch, channels, ...)`` inputs. keras.io's
eeg_bci_ssvepformer sets the format globally and then uses ``Conv1D`` on
``(batch, channels, steps)``.
"""

import os

import numpy as np
import pytest

import learnet as tf
from learnet import layers
from learnet.layers import conv as conv_module
from learnet.testing import check_gradients

os.environ.setdefault("KERAS_BACKEND", "jax")  # real Keras 3 on JAX, as the conftest fixture uses it
keras = pytest.importorskip("keras")

RNG = np.random.default_rng(13)

# (layer name, arguments, channels-first input shape)
CASES = [
    ("Conv1D", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 3, 9)),
    ("Conv1D", {"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}, (2, 3, 9)),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 3, 7, 6)),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "groups": 2, "activation": "softmax"}, (2, 4, 6, 5)),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "activation": "relu"}, (2, 3, 6, 5)),
    ("Conv3D", {"filters": 3, "kernel_size": 2}, (2, 2, 4, 5, 3)),
    ("Conv1DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 4, 5)),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2}, (2, 4, 5, 3)),
    ("Conv3DTranspose", {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same"}, (1, 3, 2, 3, 4)),
    ("SeparableConv1D", {"filters": 5, "kernel_size": 3, "depth_multiplier": 2}, (2, 3, 8)),
    ("SeparableConv1D", {"filters": 5, "kernel_size": 3, "activation": "relu"}, (2, 3, 8)),
    ("SeparableConv2D", {"filters": 5, "kernel_size": 3, "padding": "same"}, (2, 3, 6, 5)),
    ("SeparableConv2D", {"filters": 5, "kernel_size": 3, "activation": "relu"}, (2, 3, 6, 5)),
    ("DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": 2}, (2, 3, 8)),
    ("DepthwiseConv2D", {"kernel_size": 3, "strides": 2, "activation": "softmax"}, (2, 3, 7, 7)),
    ("MaxPooling1D", {"pool_size": 2}, (2, 3, 9)),
    ("AveragePooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 3, 9)),
    ("MaxPooling2D", {}, (2, 3, 7, 8)),
    ("AveragePooling2D", {"pool_size": (2, 3), "padding": "same"}, (2, 3, 7, 8)),
    ("MaxPooling3D", {}, (2, 2, 4, 4, 5)),
    ("AveragePooling3D", {"pool_size": (1, 2, 2), "padding": "same"}, (2, 2, 3, 5, 5)),
    ("UpSampling2D", {"size": (2, 3)}, (2, 3, 4, 5)),
    ("UpSampling2D", {"size": 2, "interpolation": "bilinear"}, (2, 3, 4, 5)),
    ("UpSampling3D", {"size": (1, 2, 2)}, (2, 2, 3, 3, 3)),
    ("ZeroPadding1D", {"padding": (1, 2)}, (2, 3, 5)),
    ("ZeroPadding2D", {"padding": ((1, 0), (2, 3))}, (2, 3, 4, 5)),
    ("ZeroPadding3D", {"padding": (1, 0, 2)}, (2, 2, 3, 3, 3)),
    ("Cropping2D", {"cropping": ((1, 0), (0, 2))}, (2, 3, 5, 6)),
    ("Cropping3D", {"cropping": (1, 0, (1, 2))}, (2, 2, 4, 5, 5)),
    ("Flatten", {}, (2, 3, 4, 5)),
    ("GlobalAveragePooling2D", {}, (2, 3, 4, 5)),
    ("GlobalMaxPooling1D", {}, (2, 3, 4)),
]
IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)]


@pytest.fixture(autouse=True)
def _channels_last_again():
    """Every test leaves both libraries channels-last, whatever it set."""
    yield
    tf.keras.config.set_image_data_format("channels_last")
    keras.config.set_image_data_format("channels_last")


def _pair(name, kwargs, shape, data_format="channels_first"):
    """A real Keras layer and ours with its weights, both called once on random inputs."""
    x = RNG.standard_normal(shape).astype("float32")
    extra = {} if data_format is None else {"data_format": data_format}
    theirs = getattr(keras.layers, name)(**kwargs, **extra)
    ours = getattr(layers, name)(**kwargs, **extra)
    expected = np.asarray(theirs(x))
    ours(x)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    return theirs, ours, x, expected


@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=IDS)
def test_channels_first_layer_equals_keras(name, kwargs, shape):
    theirs, ours, x, expected = _pair(name, kwargs, shape)
    result = ours(x).numpy()
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-5)
    assert ours.count_params() == theirs.count_params()
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    symbolic = (None,) + shape[1:]
    assert tuple(ours.compute_output_shape(symbolic)) == tuple(theirs.compute_output_shape(symbolic))
    assert tuple(ours(layers.Input(shape=shape[1:])).shape) == symbolic[:1] + expected.shape[1:]
    assert ours.get_config()["data_format"] == theirs.get_config()["data_format"] == "channels_first"
    rebuilt = type(ours).from_config(ours.get_config())
    assert rebuilt.data_format == "channels_first"


@pytest.mark.parametrize("name, kwargs, shape", CASES[:15:2], ids=IDS[:15:2])
def test_kernel_shapes_do_not_depend_on_the_layout(name, kwargs, shape):
    channels_last_shape = (shape[0], *shape[2:], shape[1])
    first = getattr(layers, name)(data_format="channels_first", **kwargs)
    last = getattr(layers, name)(data_format="channels_last", **kwargs)
    first(np.zeros(shape, "float32"))
    last(np.zeros(channels_last_shape, "float32"))
    assert [tuple(w.shape) for w in first.weights] == [tuple(w.shape) for w in last.weights]


def test_global_format_is_read_when_a_layer_is_made():
    tf.keras.config.set_image_data_format("channels_first")
    keras.config.set_image_data_format("channels_first")
    assert tf.keras.config.image_data_format() == tf.keras.backend.image_data_format() == "channels_first"
    made_first = [getattr(layers, name)(**kwargs) for name, kwargs, _ in CASES]
    for (name, kwargs, shape), ours in zip(CASES, made_first):
        assert ours.data_format == "channels_first", name
    theirs, ours, x, expected = _pair("Conv1D", {"filters": 16, "kernel_size": 1}, (2, 8, 45), data_format=None)
    np.testing.assert_allclose(ours(x).numpy(), expected, rtol=1e-5, atol=1e-5)
    assert ours(x).shape == (2, 16, 45)
    tf.keras.config.set_image_data_format("channels_last")
    assert made_first[0].data_format == "channels_first"  # made before: keeps its layout
    assert layers.Conv1D(4, 3).data_format == "channels_last"


@pytest.mark.parametrize(
    "name, kwargs, shape",
    [
        ("UpSampling1D", {"size": 3}, (2, 4, 3)),
        ("Cropping1D", {"cropping": (1, 2)}, (2, 6, 3)),
    ],
)
def test_layers_without_data_format_stay_steps_then_features(name, kwargs, shape):
    tf.keras.config.set_image_data_format("channels_first")
    keras.config.set_image_data_format("channels_first")
    theirs, ours, x, expected = _pair(name, kwargs, shape, data_format=None)
    np.testing.assert_allclose(ours(x).numpy(), expected, rtol=1e-6, atol=1e-6)
    assert "data_format" not in ours.get_config()
    with pytest.raises(ValueError, match=r"\(batch, steps, features\) only"):
        getattr(layers, name)(data_format="channels_first", **kwargs)


def test_the_reproducer_sets_the_format_through_keras_backend():
    tf.keras.backend.set_image_data_format("channels_first")
    x = np.zeros((2, 8, 450), "float32")
    assert layers.Conv1D(16, 1)(x).shape == (2, 16, 450)
    assert layers.Conv1D(16, 1, data_format="channels_first")(x).shape == (2, 16, 450)
    tf.keras.backend.set_image_data_format("CHANNELS_LAST")  # any case, as Keras
    assert tf.keras.backend.image_data_format() == "channels_last"


def test_convolution_op_override_gets_channels_first_tensors():
    class StandardizedConv2D(layers.Conv2D):
        def convolution_op(self, inputs, kernel):
            assert inputs.shape[1] == 3  # Keras' layout reaches the override
            mean, var = tf.keras.ops.moments(kernel, axes=[0, 1, 2], keepdims=True)
            return super().convolution_op(inputs, (kernel - mean) / tf.keras.ops.sqrt(var + 1e-10))

    class TheirStandardizedConv2D(keras.layers.Conv2D):
        def convolution_op(self, inputs, kernel):
            kernel = keras.ops.convert_to_tensor(kernel)
            mean, var = keras.ops.moments(kernel, axes=[0, 1, 2], keepdims=True)
            return super().convolution_op(inputs, (kernel - mean) / keras.ops.sqrt(var + 1e-10))

    x = RNG.standard_normal((2, 3, 6, 5)).astype("float32")
    theirs = TheirStandardizedConv2D(4, 3, data_format="channels_first", activation="tanh")
    ours = StandardizedConv2D(4, 3, data_format="channels_first", activation="tanh")
    expected = np.asarray(theirs(x))
    ours(x)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(ours(x).numpy(), expected, rtol=1e-5, atol=1e-5)


def test_conv2d_channels_first_gradients():
    conv = layers.Conv2D(2, 3, strides=2, padding="same", data_format="channels_first", dtype="float64")
    x = RNG.standard_normal((2, 3, 5, 4))
    conv(x)
    check_gradients(lambda t: conv(t) ** 2, [x])
    kernel = RNG.standard_normal((3, 3, 3, 2))
    check_gradients(lambda k: conv.convolution_op(tf.constant(x), k) ** 2, [kernel])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(conv(x) ** 2)
    grads = tape.gradient(loss, conv.trainable_weights)
    assert [tuple(g.shape) for g in grads] == [(3, 3, 3, 2), (2,)]


def test_channels_last_runs_no_transposes(monkeypatch):
    def refuse(x):
        raise AssertionError("a channels-last layer moved its channels")

    monkeypatch.setattr(conv_module, "_to_channels_last", refuse)
    monkeypatch.setattr(conv_module, "_to_channels_first", refuse)
    x = np.zeros((2, 6, 6, 3), "float32")
    assert layers.Conv2D(4, 3, activation="relu")(x).shape == (2, 4, 4, 4)
    assert layers.SeparableConv2D(4, 3)(x).shape == (2, 4, 4, 4)
    assert layers.MaxPooling2D()(x).shape == (2, 3, 3, 3)
    assert layers.ZeroPadding2D()(x).shape == (2, 8, 8, 3)
    assert layers.Conv2DTranspose(2, 3)(x).shape == (2, 8, 8, 2)


def _models():
    def build(lib):
        return lib.Sequential(
            [
                lib.Input((2, 8, 8)),
                lib.layers.Conv2D(4, 3, activation="relu"),
                lib.layers.MaxPooling2D(),
                lib.layers.Conv2D(3, 1, padding="same", data_format="channels_first"),
                lib.layers.Flatten(),
                lib.layers.Dense(3, activation="softmax"),
            ]
        )

    tf.keras.config.set_image_data_format("channels_first")
    keras.config.set_image_data_format("channels_first")
    theirs, ours = build(keras), build(tf.keras)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    return theirs, ours


def test_sequential_channels_first_fits_one_step_as_keras(tmp_path):
    theirs, ours = _models()
    assert ours.count_params() == theirs.count_params()
    assert tuple(ours.output_shape) == tuple(theirs.output_shape) == (None, 3)
    x = RNG.standard_normal((6, 2, 8, 8)).astype("float32")
    y = np.eye(3, dtype="float32")[RNG.integers(0, 3, 6)]
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    theirs.compile(optimizer=keras.optimizers.SGD(0.1), loss="categorical_crossentropy")
    ours.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss="categorical_crossentropy")
    their_loss = theirs.fit(x, y, batch_size=6, epochs=1, shuffle=False, verbose=0).history["loss"][0]
    our_loss = ours.fit(x, y, batch_size=6, epochs=1, shuffle=False, verbose=0).history["loss"][0]
    assert our_loss == pytest.approx(their_loss, rel=1e-5)
    for mine, real in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, np.asarray(real), rtol=1e-5, atol=1e-5)

    tf.keras.config.set_image_data_format("channels_last")  # the file keeps each layer's own format
    path = tmp_path / "channels_first.keras"
    ours.save(path)
    loaded = tf.keras.models.load_model(path)
    assert [layer.data_format for layer in loaded.layers if hasattr(layer, "data_format")] == ["channels_first"] * 4
    np.testing.assert_allclose(loaded.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=1e-6, atol=1e-6)


def test_real_keras_reads_our_channels_first_file(tmp_path):
    theirs, ours = _models()
    path = tmp_path / "ours.keras"
    ours.save(path)
    keras.config.set_image_data_format("channels_last")
    reloaded = keras.models.load_model(path)
    x = RNG.standard_normal((3, 2, 8, 8)).astype("float32")
    np.testing.assert_allclose(np.asarray(reloaded.predict(x, verbose=0)), ours.predict(x, verbose=0), atol=1e-5)


def test_spatial_dropout_drops_whole_channels_first_maps():
    for name, shape in (("SpatialDropout2D", (3, 6, 4, 4)), ("SpatialDropout3D", (3, 6, 2, 3, 3))):
        drop = getattr(layers, name)(0.5, data_format="channels_first", seed=1)
        out = drop(np.ones(shape, "float32"), training=True).numpy()
        per_map = out.reshape(shape[0], shape[1], -1)
        assert np.all(per_map.min(axis=-1) == per_map.max(axis=-1))  # one draw per (example, channel)
        assert set(np.unique(out)) <= {0.0, 2.0} and 0 < out.mean() < 2
        assert drop(np.ones(shape, "float32")).numpy().tolist() == np.ones(shape).tolist()
        theirs = getattr(keras.layers, name)(0.5, data_format="channels_first")
        assert drop.get_config()["data_format"] == theirs.get_config()["data_format"]
    tf.keras.config.set_image_data_format("channels_first")
    assert layers.SpatialDropout2D(0.1).data_format == layers.SpatialDropout3D(0.1).data_format == "channels_first"


@pytest.mark.parametrize("bad", ["channels_middle", "NCHW", None, 1])
def test_bad_global_format_is_refused_and_changes_nothing(bad):
    with pytest.raises(ValueError, match="channels_first"):
        tf.keras.config.set_image_data_format(bad)
    with pytest.raises(ValueError, match="channels_first"):
        tf.keras.backend.set_image_data_format(bad)
    assert tf.keras.config.image_data_format() == "channels_last"
    tf.keras.config.set_image_data_format("channels_first")
    with pytest.raises(ValueError):
        tf.keras.config.set_image_data_format(bad)
    assert tf.keras.config.image_data_format() == "channels_first"


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.Conv2D(4, 3, data_format="nchw"),
        lambda: layers.Conv1DTranspose(4, 3, data_format="channels_middle"),
        lambda: layers.DepthwiseConv2D(3, data_format="first"),
        lambda: layers.MaxPooling3D(data_format="NCDHW"),
        lambda: layers.ZeroPadding2D(data_format="last"),
        lambda: layers.Flatten(data_format="channel_first"),
        lambda: layers.SpatialDropout2D(0.1, data_format="cf"),
    ],
)
def test_bad_layer_format_is_refused(make):
    with pytest.raises(ValueError, match="data_format must be 'channels_last'"):
        make()


def test_wrong_channels_for_a_built_channels_first_layer_change_nothing():
    conv = layers.Conv2D(4, 3, data_format="channels_first")
    conv(np.zeros((1, 3, 6, 6), "float32"))
    weights = [w.copy() for w in conv.get_weights()]
    with pytest.raises(ValueError, match="dimension 1 of size 3"):
        conv(np.zeros((1, 6, 6, 3), "float32"))
    assert all(np.array_equal(a, b) for a, b in zip(weights, conv.get_weights()))
    with pytest.raises(ValueError, match="channels must be known"):
        layers.Conv2D(4, 3, data_format="channels_first").build((None, None, 6, 6))


def test_channels_last_only_layers_refuse_a_channels_first_default():
    tf.keras.config.set_image_data_format("channels_first")
    with pytest.raises(ValueError, match=r"image_data_format\(\)"):
        layers.ConvLSTM2D(2, 3)
    assert layers.ConvLSTM2D(2, 3, data_format="channels_last").data_format == "channels_last"
