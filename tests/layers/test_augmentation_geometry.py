"""``RandomPerspective`` and ``RandomElasticTransform``: Keras 3's images for Keras' draws
(tests/fixtures/make_keras_ops_image_more_fixture.py), behaviour, configs, errors."""

from pathlib import Path

import numpy as np
import pytest

import learnet
from learnet import layers

REFERENCE = np.load(Path(__file__).resolve().parents[1] / "fixtures" / "keras_ops_image_more_reference.npz")
IMAGES = REFERENCE["input_images"] * 255


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_random_perspective_gives_keras_images_for_keras_draws(data_format):
    images = IMAGES if data_format == "channels_last" else np.moveaxis(IMAGES, -1, 1)
    prefix = f"perspective_layer_{data_format}"
    drawn = {key: REFERENCE[f"{prefix}_{key}"] for key in ("apply_perspective", "start_points", "end_points")}
    layer = layers.RandomPerspective(factor=(0.5, 1.0), scale=0.4, seed=3, data_format=data_format)
    got = layer.transform_images(images, drawn)
    np.testing.assert_allclose(got.numpy(), REFERENCE[prefix], rtol=1e-5, atol=1e-3)


def test_random_perspective_draws_like_keras():
    layer = layers.RandomPerspective(factor=(0.5, 1.0), scale=0.4, seed=3)
    drawn = layer.get_random_transformation(IMAGES)
    corners = np.array([[0, 0], [8, 0], [0, 6], [8, 6]], "float32")  # (x, y) of 9-wide, 7-high images
    np.testing.assert_array_equal(drawn["start_points"], np.stack([corners, corners]))
    moves = drawn["end_points"] - drawn["start_points"]
    assert np.all(np.abs(moves) <= 0.2 * corners + 1e-6)
    assert drawn["apply_perspective"].shape == (2,)
    # factor 0 never warps; the same draws give the same images.
    still = layers.RandomPerspective(factor=0.0, seed=1)
    np.testing.assert_array_equal(still(IMAGES).numpy(), IMAGES.astype("float32"))
    np.testing.assert_array_equal(
        layer.transform_images(IMAGES, drawn).numpy(), layer.transform_images(IMAGES, drawn).numpy()
    )


@pytest.mark.parametrize("name", ["RandomPerspective", "RandomElasticTransform"])
def test_inference_passes_images_through_and_training_changes_them(name):
    layer = getattr(layers, name)(factor=(1.0, 1.0), seed=0)  # always, in training
    np.testing.assert_array_equal(layer(IMAGES, training=False).numpy(), IMAGES)
    out = layer(IMAGES[0], training=True)  # one image
    assert out.shape == IMAGES[0].shape
    assert not np.allclose(layer(IMAGES).numpy(), IMAGES)


def test_random_elastic_transform_deforms_within_the_value_range():
    layer = layers.RandomElasticTransform(scale=(0.5, 1.0), value_range=(0, 255), seed=4)
    drawn = layer.get_random_transformation(IMAGES)
    assert set(drawn) == {"apply_transform", "distortion_factor", "seed"}
    assert 0.5 <= drawn["distortion_factor"] <= 1.0
    first = layer.transform_images(IMAGES, drawn).numpy()
    np.testing.assert_array_equal(first, layer.transform_images(IMAGES, drawn).numpy())  # same draws, same images
    assert first.min() >= 0 and first.max() <= 255 and first.dtype == "float32"
    # The layer deforms with keras.ops.image.elastic_transform's alpha and sigma for these sizes.
    d = float(drawn["distortion_factor"])
    expected = learnet.ops.image.elastic_transform(
        IMAGES.astype("float32"), alpha=0.1 * d * 9, sigma=0.05 * d * 7, seed=drawn["seed"]
    ).numpy()
    keep = drawn["apply_transform"]
    np.testing.assert_allclose(first[keep], np.clip(expected, 0, 255)[keep], rtol=1e-6)
    np.testing.assert_array_equal(first[~keep], IMAGES[~keep].astype("float32"))


def test_random_elastic_transform_channels_first_matches_channels_last():
    last = layers.RandomElasticTransform(seed=2)
    first = layers.RandomElasticTransform(seed=2, data_format="channels_first")
    drawn = last.get_random_transformation(IMAGES)
    got = first.transform_images(np.moveaxis(IMAGES, -1, 1), drawn).numpy()
    np.testing.assert_allclose(np.moveaxis(got, 1, -1), last.transform_images(IMAGES, drawn).numpy(), rtol=1e-6)


def test_zero_scale_or_factor_changes_nothing():
    for layer in (layers.RandomElasticTransform(scale=0.0), layers.RandomElasticTransform(factor=0.0)):
        assert layer.get_random_transformation(IMAGES) is None
        np.testing.assert_array_equal(layer(IMAGES).numpy(), IMAGES)


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.RandomPerspective(factor=(0.2, 0.9), scale=0.3, interpolation="nearest", fill_value=1.0),
        lambda: layers.RandomElasticTransform(factor=0.6, scale=(0.1, 0.4), fill_mode="wrap", value_range=(0, 1)),
    ],
)
def test_config_round_trip(make):
    layer = make()
    again = type(layer).from_config(layer.get_config())
    assert again.get_config() == layer.get_config()


def test_configs_have_keras_keys():
    assert set(layers.RandomPerspective().get_config()) >= {
        "factor", "scale", "interpolation", "fill_value", "seed", "data_format", "name",
    }  # fmt: skip
    assert set(layers.RandomElasticTransform().get_config()) >= {
        "factor", "scale", "interpolation", "fill_mode", "fill_value", "value_range", "seed", "data_format", "name",
    }  # fmt: skip


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: layers.RandomPerspective(scale=1.5), ValueError, "scale"),
        (lambda: layers.RandomPerspective(factor=2.0), ValueError, "factor"),
        (lambda: layers.RandomPerspective(interpolation="bicubic"), NotImplementedError, "interpolation"),
        (lambda: layers.RandomElasticTransform(scale=(0.2, 1.5)), ValueError, "scale"),
        (lambda: layers.RandomElasticTransform(fill_mode="edge"), NotImplementedError, "fill_mode"),
        (lambda: layers.RandomElasticTransform(interpolation="area"), NotImplementedError, "interpolation"),
        (lambda: layers.RandomElasticTransform(value_range=(1, 1)), ValueError, "value_range"),
        (lambda: layers.RandomElasticTransform(data_format="nhwc"), ValueError, "data_format"),
        (lambda: layers.RandomPerspective()(IMAGES[0, 0]), ValueError, "expects images"),
    ],
)
def test_bad_arguments_give_clear_errors(make, error, match):
    before = IMAGES.copy()
    with pytest.raises(error, match=match):
        make()
    np.testing.assert_array_equal(IMAGES, before)


def test_layers_work_in_a_model():
    inputs = layers.Input((7, 9, 3))
    x = layers.RandomPerspective(scale=0.2, seed=0)(inputs)
    x = layers.RandomElasticTransform(scale=0.3, seed=0)(x)
    outputs = layers.Dense(2)(layers.Flatten()(x))
    model = learnet.models.Model(inputs, outputs)
    assert model.predict(IMAGES.astype("float32"), verbose=0).shape == (2, 2)
