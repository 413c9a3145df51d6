"""Keras 3 layers of the newer keras.io examples: RMSNormalization, SpectralNormalization,
SpatialDropout3D and the Keras 3 image augmentation layers, checked against real Keras."""

import os

import numpy as np
import pytest

import learnet as tf
from learnet import layers

os.environ.setdefault("KERAS_BACKEND", "jax")  # real Keras 3 on JAX, as the conftest fixture uses it
keras = pytest.importorskip("keras")

RNG = np.random.default_rng(7)
IMAGES = RNG.uniform(0, 255, (4, 9, 11, 3)).astype("float32")
UNIT_IMAGES = IMAGES / 255.0


def _numpy(value):
    """A Keras transformation (dict, array or tuple) as NumPy data."""
    if isinstance(value, dict):
        return {key: _numpy(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return value
    return None if value is None else np.asarray(value)


# --- RMSNormalization --------------------------------------------------------------------------------
@pytest.mark.parametrize("axis, shape", [(-1, (3, 5, 8)), ([1, 2], (3, 5, 8)), (1, (4, 6))])
def test_rms_normalization_equals_keras(axis, shape):
    x = RNG.normal(size=shape).astype("float32")
    theirs = keras.layers.RMSNormalization(axis=axis, epsilon=1e-5)
    ours = layers.RMSNormalization(axis=axis, epsilon=1e-5)
    theirs.build(shape)
    ours.build(shape)
    scale = RNG.normal(size=tuple(ours.scale.shape)).astype("float32")
    theirs.scale.assign(scale)
    ours.scale.assign(scale)
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)
    assert ours.get_config()["axis"] == theirs.get_config()["axis"]


def test_rms_normalization_trains_its_scale():
    layer = layers.RMSNormalization()
    x = tf.constant(RNG.normal(size=(4, 6)).astype("float32"))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x) ** 2)
    (grad,) = tape.gradient(loss, layer.trainable_weights)
    assert grad.shape == (6,) and np.all(np.isfinite(grad.numpy()))


def test_rms_normalization_bad_arguments():
    with pytest.raises(ValueError, match="epsilon"):
        layers.RMSNormalization(epsilon=0)
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        layers.RMSNormalization(axis=3)(np.ones((2, 3), "float32"))


# --- SpectralNormalization ---------------------------------------------------------------------------
def _pair(make, x):
    theirs = keras.layers.SpectralNormalization(make(keras.layers), power_iterations=2)
    ours = layers.SpectralNormalization(make(layers), power_iterations=2)
    theirs.build(x.shape)
    ours.build(x.shape)
    for mine, their in zip(ours.layer.weights, theirs.layer.weights):
        their.assign(mine.numpy())
    u = RNG.normal(size=tuple(ours.vector_u.shape)).astype("float32")
    ours.vector_u.assign(u)
    theirs.vector_u.assign(u)
    return ours, theirs


@pytest.mark.parametrize(
    "make, shape",
    [(lambda m: m.Dense(5), (3, 4)), (lambda m: m.Conv2D(4, 3), (2, 6, 6, 3)), (lambda m: m.Embedding(7, 3), (2, 5))],
)
def test_spectral_normalization_follows_keras_through_training_calls(make, shape):
    x = RNG.uniform(0, 6, size=shape).astype("float32")
    if len(shape) == 2 and shape[1] == 5:  # Embedding: token ids
        x = np.floor(x)
    ours, theirs = _pair(make, x)
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)  # inference
    for _ in range(3):
        np.testing.assert_allclose(
            ours(x, training=True).numpy(), np.asarray(theirs(x, training=True)), rtol=1e-4, atol=1e-5
        )
    np.testing.assert_allclose(ours.vector_u.numpy(), np.asarray(theirs.vector_u.value), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours.kernel.numpy(), np.asarray(theirs.kernel.value), rtol=1e-4, atol=1e-6)
    assert not ours.vector_u.trainable and all(w is not ours.vector_u for w in ours.trainable_weights)


def test_spectral_normalization_leaves_weights_alone_at_inference():
    ours = layers.SpectralNormalization(layers.Dense(3))
    x = np.ones((2, 4), "float32")
    ours(x)
    kernel, u = ours.kernel.numpy().copy(), ours.vector_u.numpy().copy()
    ours(x, training=False)
    np.testing.assert_array_equal(ours.kernel.numpy(), kernel)
    np.testing.assert_array_equal(ours.vector_u.numpy(), u)
    ours(x, training=True)
    assert np.linalg.norm(ours.kernel.numpy(), 2) < np.linalg.norm(kernel, 2) * 1.5


def test_spectral_normalization_bad_arguments():
    with pytest.raises(ValueError, match="power_iterations"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(TypeError, match="wraps a layer"):
        layers.SpectralNormalization("dense")
    with pytest.raises(ValueError, match="no 'kernel' nor 'embeddings'"):
        layers.SpectralNormalization(layers.Flatten())(np.ones((2, 3), "float32"))


# --- SpatialDropout3D -----------------------------------------------------------------------------
@pytest.mark.parametrize("data_format, channel_axis", [("channels_last", -1), ("channels_first", 1)])
def test_spatial_dropout_3d_drops_whole_channels(data_format, channel_axis):
    layer = layers.SpatialDropout3D(0.5, data_format=data_format, seed=1)
    x = np.ones((3, 4, 4, 4, 4), "float32")
    out = layer(x, training=True).numpy()
    per_channel = np.moveaxis(out, channel_axis, -1).reshape(3, -1, 4)
    assert np.all(per_channel.min(axis=1) == per_channel.max(axis=1))  # one value per example and channel
    assert set(np.unique(out)) <= {0.0, 2.0}
    np.testing.assert_array_equal(layer(x).numpy(), x)
    with pytest.raises(ValueError, match="data_format"):
        layers.SpatialDropout3D(0.2, data_format="channels_middle")


def test_spatial_dropout_3d_config_is_keras():
    config = layers.SpatialDropout3D(0.3, seed=2).get_config()
    assert set(config) == {"rate", "seed", "name", "dtype", "data_format"}
    again = keras.layers.SpatialDropout3D.from_config({**config, "dtype": "float32"})
    assert again.rate == 0.3 and again.data_format == "channels_last"


# --- augmentation: the same transformation gives Keras' images -----------------------------------
CASES = {
    "RandomGrayscale": (dict(factor=0.5), IMAGES),
    "RandomInvert": (dict(factor=0.8), IMAGES),
    "Solarization": (dict(addition_factor=0.3, threshold_factor=0.7, value_range=(0, 1)), UNIT_IMAGES),
    "RandomPosterization": (dict(factor=(2, 6)), IMAGES),
    "AutoContrast": (dict(value_range=(0, 1)), UNIT_IMAGES * 0.5 + 0.1),
    "RandomHue": (dict(factor=0.6), IMAGES),
    "RandomSaturation": (dict(factor=(0.2, 0.8)), IMAGES),
    "RandomShear": (dict(x_factor=0.3, y_factor=0.2), IMAGES),
    "RandomErasing": (dict(factor=(0.5, 1.0), scale=(0.1, 0.4)), IMAGES),
    "RandomGaussianBlur": (dict(factor=1.0, kernel_size=(3, 5), sigma=(0.5, 1.0)), IMAGES),
    "MixUp": (dict(alpha=0.4), IMAGES),
    "CutMix": (dict(factor=1.0), IMAGES),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_transform_images_equals_keras_for_the_same_transformation(name, data_format):
    kwargs, images = CASES[name]
    if name == "AutoContrast" and data_format == "channels_first":
        pytest.skip("Keras' AutoContrast reduces axes (1, 2) whatever the data format")
    if data_format == "channels_first":
        images = np.ascontiguousarray(np.moveaxis(images, -1, 1))
    seeded = {} if name == "AutoContrast" else {"seed": 3}
    theirs = getattr(keras.layers, name)(**kwargs, data_format=data_format, **seeded)
    ours = getattr(layers, name)(**kwargs, data_format=data_format, **seeded)
    for _ in range(3):  # three draws
        transformation = theirs.get_random_transformation(images, training=True)
        expected = np.asarray(theirs.transform_images(images, transformation, training=True))
        got = ours.transform_images(images, _numpy(transformation), training=True)
        assert got.dtype == "float32" and got.shape == images.shape
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-3 if images is IMAGES else 1e-5)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_color_jitter_equals_keras_composition(data_format):
    images = IMAGES if data_format == "channels_last" else np.ascontiguousarray(np.moveaxis(IMAGES, -1, 1))
    factors = dict(brightness_factor=0.2, contrast_factor=0.3, saturation_factor=(0.3, 0.7), hue_factor=0.4)
    theirs = keras.layers.RandomColorJitter(value_range=(0, 255), **factors, seed=5)
    ours = layers.RandomColorJitter(value_range=(0, 255), **factors, seed=5, data_format=data_format)
    last = IMAGES
    drawn = {}
    # Keras' jitter draws inside transform_images; its sublayers draw the same things one by one.
    for key, sublayer in [
        ("brightness", theirs.random_brightness),
        ("contrast", theirs.random_contrast),
        ("saturation", theirs.random_saturation),
        ("hue", theirs.random_hue),
    ]:
        transformation = sublayer.get_random_transformation(last, training=True)
        drawn[key] = _numpy(transformation)
        last = np.asarray(sublayer.transform_images(last, transformation))
    got = ours.transform_images(images, drawn).numpy()
    if data_format == "channels_first":
        got = np.moveaxis(got, 1, -1)
    np.testing.assert_allclose(got, last, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("name", sorted(CASES) + ["RandomColorJitter"])
def test_augmentation_behaviour(name):
    kwargs = CASES[name][0] if name in CASES else dict(brightness_factor=0.3, hue_factor=0.2)
    make = getattr(layers, name)
    images = UNIT_IMAGES * 255
    # Seeded layers repeat themselves; inference passes the images through (but AutoContrast).
    seeded = (lambda seed: {}) if name == "AutoContrast" else (lambda seed: {"seed": seed})
    a, b = make(**kwargs, **seeded(11)), make(**kwargs, **seeded(11))
    np.testing.assert_array_equal(a(images).numpy(), b(images).numpy())
    if name != "AutoContrast":
        np.testing.assert_array_equal(a(images, training=False).numpy(), images)
    # One image, integer images and float64 images.
    single = make(**kwargs, **seeded(1))(images[0])
    assert single.shape == images[0].shape and single.dtype == "float32"
    assert make(**kwargs, **seeded(1))(images.astype("uint8")).dtype == "float32"
    # Inside a model: augmented in fit's training mode, unchanged by predict.
    model = tf.keras.Sequential([tf.keras.Input((9, 11, 3)), make(**kwargs, **seeded(2))])
    if name != "AutoContrast":
        np.testing.assert_allclose(model.predict(images, verbose=0), images)


@pytest.mark.parametrize(
    "name, kwargs, low, high",
    [
        ("RandomHue", dict(factor=0.9), 0, 255),
        ("RandomInvert", dict(), 0, 255),
        ("RandomGaussianBlur", dict(), 0, 255),
        ("Solarization", dict(addition_factor=0.5, threshold_factor=0.5, value_range=(0, 1)), 0, 1),
        ("RandomPosterization", dict(factor=3, value_range=(0, 1)), 0, 1),
        ("RandomColorJitter", dict(value_range=(0, 1), brightness_factor=0.5, contrast_factor=0.5), 0, 1),
    ],
)
def test_outputs_stay_in_the_value_range(name, kwargs, low, high):
    images = UNIT_IMAGES * high
    out = getattr(layers, name)(**kwargs, seed=4)(images).numpy()
    assert out.min() >= low - 1e-4 and out.max() <= high + 1e-4


def test_mixup_and_cutmix_mix_labels_as_keras_does():
    labels = np.eye(4, dtype="float32")
    for name, kwargs in [("MixUp", dict(alpha=0.5)), ("CutMix", dict())]:
        theirs = getattr(keras.layers, name)(**kwargs, seed=0)
        ours = getattr(layers, name)(**kwargs)
        transformation = theirs.get_random_transformation(IMAGES, training=True)
        expected = np.asarray(theirs.transform_labels(labels, transformation))
        got = ours.transform_labels(labels, _numpy(transformation))
        np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5, atol=1e-6)
        out = ours({"images": IMAGES, "labels": labels})
        assert out["images"].shape == IMAGES.shape
        np.testing.assert_allclose(np.asarray(out["labels"]).sum(axis=1), 1.0, rtol=1e-5)


def test_grayscale_makes_gray_images():
    out = layers.RandomGrayscale(factor=1.0)(IMAGES).numpy()
    np.testing.assert_allclose(out[..., 0], out[..., 1])
    np.testing.assert_allclose(out[..., 0], IMAGES @ np.array([0.2989, 0.587, 0.114], "float32"), rtol=1e-5)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: layers.RandomGrayscale(factor=1.5), "factor must be a number in \\[0, 1\\]"),
        (lambda: layers.RandomHue(factor=2), "factor must be a number or a \\(lower, upper\\) pair in \\[0"),
        (lambda: layers.RandomSaturation(factor=(0.1, 0.2, 0.3)), "factor"),
        (lambda: layers.RandomInvert(value_range=(0,)), "value_range must be a \\(min, max\\) pair"),
        (lambda: layers.RandomHue(0.1, value_range=(1, 1)), "value_range must span"),
        (lambda: layers.AutoContrast(value_range="0-255"), "value_range"),
        (lambda: layers.RandomPosterization(factor=9), "\\[1, 8\\]"),
        (lambda: layers.Solarization(addition_factor=-0.1), "addition_factor"),
        (lambda: layers.RandomShear(x_factor=1.2), "x_factor"),
        (lambda: layers.RandomShear(fill_mode="mirror"), "fill_mode"),
        (lambda: layers.RandomGaussianBlur(kernel_size=4), "kernel_size must be an odd"),
        (lambda: layers.RandomErasing(fill_value=[1, 2]), "fill_value"),
        (lambda: layers.MixUp(alpha=0), "alpha must be a positive"),
        (lambda: layers.CutMix(factor=-1), "factor"),
        (lambda: layers.RandomColorJitter(hue_factor=3), "hue_factor"),
        (lambda: layers.RandomGrayscale(data_format="channels_middle"), "data_format must be"),
        (lambda: layers.MixUp(data_format="NHWC"), "data_format must be"),
    ],
)
def test_bad_arguments_are_refused_clearly(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_images_of_the_wrong_rank_are_refused():
    with pytest.raises(ValueError, match="RandomHue .* expects images of shape"):
        layers.RandomHue(0.1)(np.ones((2, 3), "float32"))


# --- configs and .keras files, both ways --------------------------------------------------------------
def _model(module):
    L = module.layers
    inputs = module.Input((8, 8, 3))
    x = L.RandomGrayscale(0.3, seed=1)(inputs)
    x = L.RandomSaturation((0.3, 0.7), seed=1)(x)
    x = L.RandomHue(0.2)(x)
    x = L.RandomColorJitter(value_range=(0, 255), brightness_factor=0.1, contrast_factor=0.2)(x)
    x = L.RandomShear(x_factor=0.2)(x)
    x = L.RandomErasing(scale=(0.05, 0.2))(x)
    x = L.CutMix()(x)
    x = L.MixUp(alpha=0.3)(x)
    x = L.Solarization(addition_factor=0.1, threshold_factor=0.9)(x)
    x = L.RandomInvert(0.2)(x)
    x = L.RandomPosterization(5)(x)
    x = L.RandomGaussianBlur()(x)
    x = L.AutoContrast()(x)
    x = L.Rescaling(1 / 255)(x)
    x = L.SpectralNormalization(L.Conv2D(4, 3))(x)
    x = L.SpatialDropout2D(0.1)(x)
    x = L.Reshape((6, 6, 1, 4))(x)
    x = L.SpatialDropout3D(0.1)(x)
    x = L.Reshape((36, 4))(x)
    x = L.RMSNormalization()(x)
    outputs = L.Dense(2)(L.Flatten()(x))
    return module.Model(inputs, outputs)


def _augmenting_configs(model):
    return {
        type(layer).__name__: {k: v for k, v in layer.get_config().items() if k not in ("name", "dtype")}
        for layer in model.layers
    }


def test_keras_reads_the_file_learnet_writes(tmp_path):
    ours = _model(tf.keras)
    ours.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    x = RNG.uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), ours.predict(x, verbose=0), rtol=1e-4)
    spectral = [layer for layer in theirs.layers if type(layer).__name__ == "SpectralNormalization"][0]
    mine = ours.get_layer(spectral.name)
    np.testing.assert_allclose(np.asarray(spectral.vector_u.value), mine.vector_u.numpy())
    assert spectral.power_iterations == 1
    shear = [layer for layer in theirs.layers if type(layer).__name__ == "RandomShear"][0]
    assert tuple(shear.x_factor) == (-0.2, 0.2)


def test_learnet_reads_the_file_keras_writes(tmp_path):
    theirs = _model(keras)
    theirs.save(tmp_path / "theirs.keras")
    ours = tf.keras.models.load_model(tmp_path / "theirs.keras")
    x = RNG.uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), rtol=1e-4)
    # And back again: what learnet writes from it, Keras reads.
    ours.save(tmp_path / "again.keras")
    again = keras.models.load_model(tmp_path / "again.keras")
    np.testing.assert_allclose(np.asarray(again.predict(x, verbose=0)), ours.predict(x, verbose=0), rtol=1e-4)


def test_learnet_configs_round_trip():
    model = _model(tf.keras)
    copy = tf.keras.Model.from_config(model.get_config())
    assert _augmenting_configs(copy) == _augmenting_configs(model)
