"""Equalization, RandomColorDegeneration, RandomSharpness, RandAugment and AugMix against real
Keras 3 (JAX): the same transformation gives the same images; draws repeat under a seed; in
inference the images pass through; configs and .keras files go both ways."""

import os

import numpy as np
import pytest

import learnet as tf
from learnet import layers

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

RNG = np.random.default_rng(5)
IMAGES = RNG.uniform(0, 255, (3, 9, 11, 3)).astype("float32")


def _numpy(value):
    """A Keras transformation (nested dicts and lists of arrays) as NumPy data."""
    if isinstance(value, dict):
        return {key: _numpy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_numpy(item) for item in value]
    if isinstance(value, (str, tuple, int)) or value is None:
        return value
    return np.asarray(value)


SIMPLE = [
    ("Equalization", {}, IMAGES),
    ("Equalization", {"value_range": (0, 1), "bins": 64}, IMAGES / 255),
    ("RandomColorDegeneration", {"factor": 0.7}, IMAGES),
    ("RandomColorDegeneration", {"factor": (-0.5, 0.9), "value_range": (0, 1)}, IMAGES / 255),
    ("RandomSharpness", {"factor": 0.9}, IMAGES),
    ("RandomSharpness", {"factor": (0.1, 1.0), "value_range": (0, 1)}, IMAGES / 255),
]


@pytest.mark.parametrize("name, arguments, images", SIMPLE)
def test_transform_images_equals_keras(name, arguments, images):
    theirs, ours = getattr(keras.layers, name)(**arguments), getattr(layers, name)(**arguments)
    transformation = theirs.get_random_transformation(images)
    expected = np.asarray(theirs.transform_images(images, transformation))
    got = ours.transform_images(images, _numpy(transformation)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4 * (images.max() / 255))
    if transformation is not None:  # (Equalization's histogram is over the whole batch)
        # One image: the first of the batch, transformed by the first draw.
        first = {key: value[:1] for key, value in _numpy(transformation).items()}
        np.testing.assert_allclose(ours.transform_images(images[0], first).numpy(), got[0], rtol=1e-6, atol=1e-6)
    config, theirs_config = ours.get_config(), theirs.get_config()
    assert set(config) == set(theirs_config)
    for key in ("factor", "value_range", "bins"):
        if key in config:
            assert list(np.ravel(config[key])) == list(np.ravel(theirs_config[key]))
    assert type(ours).from_config(config).get_config() == config


@pytest.mark.parametrize(
    "name", ["Equalization", "RandomColorDegeneration", "RandomSharpness", "RandAugment", "AugMix"]
)
def test_inference_passes_through_and_training_changes(name):
    arguments = {} if name in ("Equalization", "RandAugment", "AugMix") else {"factor": (0.8, 0.9)}
    layer = getattr(layers, name)(**arguments, seed=3) if name != "Equalization" else layers.Equalization()
    assert np.array_equal(layer(IMAGES, training=False).numpy(), IMAGES)
    out = layer(IMAGES).numpy()  # alone: augments
    assert out.shape == IMAGES.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 255
    if name != "RandAugment":  # RandAugment may draw two operations that leave these images as they are
        assert not np.allclose(out, IMAGES)


@pytest.mark.parametrize("name", ["RandomColorDegeneration", "RandomSharpness", "RandAugment", "AugMix"])
def test_same_seed_same_draws(name):
    arguments = {"factor": 0.5} if name in ("RandomColorDegeneration", "RandomSharpness") else {}
    first = getattr(layers, name)(**arguments, seed=42)
    second = getattr(layers, name)(**arguments, seed=42)
    np.testing.assert_array_equal(first(IMAGES).numpy(), second(IMAGES).numpy())
    draws = [getattr(layers, name)(**arguments).get_random_transformation(IMAGES, seed=9) for _ in range(2)]
    np.testing.assert_array_equal(
        getattr(layers, name)(**arguments).transform_images(IMAGES, draws[0]).numpy(),
        getattr(layers, name)(**arguments).transform_images(IMAGES, draws[1]).numpy(),
    )


def test_color_degeneration_draws_are_in_range():
    layer = layers.RandomColorDegeneration((0.2, 0.4), seed=0)
    factors = layer.get_random_transformation(np.zeros((500, 2, 2, 3), "float32"))["factor"]
    assert factors.shape == (500, 1, 1, 1) and factors.min() >= 0.2 and factors.max() <= 0.4
    assert np.allclose(layers.RandomColorDegeneration((1.0, 1.0))(IMAGES).numpy().std(axis=-1), 0, atol=1e-3)


# Ops of RandAugment whose output is continuous in its input: applied after another op they
# give Keras' numbers to float rounding (posterization and equalization round to levels).
SMOOTH = [0, 1, 2, 3, 4, 5, 6, 8, 9]


@pytest.mark.parametrize("first", range(11))
def test_rand_augment_equals_keras_for_the_same_transformation(first):
    theirs, ours = keras.layers.RandAugment(num_ops=2), layers.RandAugment(num_ops=2)
    transformation = _numpy(theirs.get_random_transformation(IMAGES))
    for second in SMOOTH[first % 3 :: 3]:
        transformation["layer_idxes"] = np.array([first, second], "int32")
        expected = np.asarray(theirs.transform_images(IMAGES, transformation))
        got = ours.transform_images(IMAGES, transformation).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=2e-3)


def test_rand_augment_draws_and_config():
    layer = layers.RandAugment(num_ops=3, factor=0.4, seed=1)
    transformation = layer.get_random_transformation(IMAGES)
    assert transformation["layer_idxes"].shape == (3,)
    assert list(transformation["transforms"]) == list(keras.layers.RandAugment()._AUGMENT_LAYERS)
    assert layer.get_random_transformation(IMAGES, training=False) is None
    config, theirs = layer.get_config(), keras.layers.RandAugment(num_ops=3, factor=0.4, seed=1).get_config()
    assert set(config) == set(theirs)
    assert list(config["factor"]) == list(theirs["factor"]) == [0, 0.4]
    assert layers.RandAugment.from_config(config).get_config() == config


def test_aug_mix_equals_keras_for_the_same_transformation():
    theirs, ours = keras.layers.AugMix(), layers.AugMix()
    names = [name for name in theirs._augment_layers if name not in ("random_posterization", "equalization")]
    checked = 0
    # Keras draws the chains unseeded, and a chain holding a layer left out above is skipped:
    # draw until three are checked (drawing is cheap; each check runs both layers).
    for _ in range(300):
        transformation = _numpy(theirs.get_random_transformation(IMAGES))
        if any(step["layer_name"] not in names for chain in transformation["chain_transforms"] for step in chain):
            continue
        expected = np.asarray(theirs.transform_images(IMAGES, transformation))
        got = ours.transform_images(IMAGES, transformation).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=2e-3)
        checked += 1
        if checked == 3:
            break
    assert checked == 3


def test_aug_mix_draws_and_config():
    layer = layers.AugMix(num_chains=4, chain_depth=2, all_ops=False, seed=0)
    transformation = layer.get_random_transformation(IMAGES)
    weights = transformation["chain_mixing_weights"]
    assert weights.shape == (4,) and np.isclose(weights.sum(), 1) and (weights >= 0).all()
    assert 0 <= transformation["weight_sample"] <= 1
    assert len(transformation["chain_transforms"]) == 4
    assert all(len(chain) <= 2 for chain in transformation["chain_transforms"])
    allowed = set(keras.layers.AugMix(all_ops=False)._augment_layers)
    assert {step["layer_name"] for chain in transformation["chain_transforms"] for step in chain} <= allowed
    config, theirs = layer.get_config(), keras.layers.AugMix(num_chains=4, chain_depth=2, all_ops=False).get_config()
    assert set(config) == set(theirs)
    assert layers.AugMix.from_config(config).get_config() == config


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="factor"):
        layers.RandomSharpness(1.5)
    with pytest.raises(ValueError, match="factor"):
        layers.RandomColorDegeneration((0.1, 2.0))
    with pytest.raises(ValueError, match="value_range"):
        layers.Equalization(value_range=(0, 0))
    with pytest.raises(ValueError, match="bins"):
        layers.Equalization(bins=1)
    with pytest.raises(ValueError, match="num_ops"):
        layers.RandAugment(num_ops=-1)
    with pytest.raises(ValueError, match="alpha"):
        layers.AugMix(alpha=0)
    with pytest.raises(ValueError, match="interpolation"):
        layers.AugMix(interpolation="cubic")
    with pytest.raises(ValueError, match="3 channels"):
        layers.RandomColorDegeneration(0.5)(np.zeros((1, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match="images of shape"):
        layers.RandomSharpness(0.5)(np.zeros((4, 4), "float32"))


# Equalization is left out: Keras 3.15 cannot put it in a functional model (its
# compute_output_spec returns its input tensor, which Keras then reads as a cycle).
def _model(module):
    L = module.layers
    inputs = L.Input((8, 8, 3))
    x = L.RandAugment(seed=1)(inputs)
    x = L.AugMix(seed=2)(x)
    x = L.RandomColorDegeneration(0.3)(x)
    x = L.RandomSharpness(0.3)(x)
    x = L.Rescaling(1 / 255)(x)
    outputs = L.Dense(2)(L.Flatten()(x))
    return module.Model(inputs, outputs)


def test_keras_reads_the_file_learnet_writes(tmp_path):
    ours = _model(tf.keras)
    x = RNG.uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    ours.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), ours.predict(x, verbose=0), rtol=1e-4)
    assert [type(layer).__name__ for layer in theirs.layers][1:5] == [
        "RandAugment",
        "AugMix",
        "RandomColorDegeneration",
        "RandomSharpness",
    ]


def test_learnet_reads_the_file_keras_writes(tmp_path):
    theirs = _model(keras)
    x = RNG.uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    theirs.save(tmp_path / "theirs.keras")
    ours = tf.keras.models.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), rtol=1e-4)
    ours.save(tmp_path / "again.keras")
    again = tf.keras.models.load_model(tmp_path / "again.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=1e-5)


def test_equalization_in_a_learnet_model_file(tmp_path):
    inputs = layers.Input((8, 8, 3))
    model = tf.keras.Model(inputs, layers.Dense(2)(layers.Equalization()(inputs)))
    model.save(tmp_path / "equalize.keras")
    again = tf.keras.models.load_model(tmp_path / "equalize.keras")
    x = RNG.uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_sequential_model_fits_with_the_augmentations():
    model = tf.keras.Sequential(
        [
            layers.Input((8, 8, 3)),
            layers.RandAugment(seed=0),
            layers.RandomSharpness(0.2, seed=0),
            layers.Rescaling(1 / 255),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    x = RNG.uniform(0, 255, (16, 8, 8, 3)).astype("float32")
    model.fit(x, np.zeros((16, 1), "float32"), epochs=1, batch_size=8, verbose=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))


def test_onnx_treats_them_as_identities():
    from learnet import onnx

    table = onnx._LAYERS if hasattr(onnx, "_LAYERS") else None
    names = ("RandAugment", "AugMix", "Equalization", "RandomColorDegeneration", "RandomSharpness")
    if table is None:
        source = open(onnx.__file__).read()
        assert all(f'"{name}": _identity' in source for name in names)
    else:
        assert all(name in table for name in names)
