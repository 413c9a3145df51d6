"""Image augmentation layers: RandomRotation, RandomZoom, RandomTranslation, RandomContrast,
and Resizing."""

import numpy as np
import pytest

import learnet as keras
from learnet import layers


def bar_image(size=9):
    """One image with a horizontal bar through the middle row (columns 1..size-2)."""
    image = np.zeros((1, size, size, 1), dtype="float32")
    image[0, size // 2, 1 : size - 1, 0] = 1.0
    return image


@pytest.mark.parametrize(
    "layer",
    [
        layers.RandomRotation(0.2),
        layers.RandomZoom(0.3),
        layers.RandomTranslation(0.2, 0.2),
        layers.RandomContrast(0.5),
    ],
)
def test_augmentation_changes_nothing_in_inference(layer):
    images = np.random.default_rng(0).random((3, 8, 8, 2)).astype("float32")
    np.testing.assert_array_equal(layer(images, training=False).numpy(), images)
    assert layer(images, training=True).shape == (3, 8, 8, 2)
    model = keras.Sequential([keras.Input((8, 8, 2)), layer])
    np.testing.assert_array_equal(model.predict(images, verbose=0), images)  # predict: inference


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.RandomFlip("horizontal", seed=1),
        lambda: layers.RandomRotation(0.3, seed=1),
        lambda: layers.RandomZoom(0.3, seed=1),
        lambda: layers.RandomTranslation(0.3, 0.3, seed=1),
        lambda: layers.RandomContrast(0.5, seed=1),
        lambda: layers.RandomBrightness(0.5, seed=1),
    ],
)
def test_called_on_its_own_a_layer_augments_as_in_keras(make):
    # `data_augmentation(images)` in a notebook shows augmented pictures (Keras 3 and tf.keras 2).
    layer, images = make(), np.random.default_rng(0).random((2, 8, 8, 3)).astype("float32")
    assert any(not np.allclose(layer(images).numpy(), images) for _ in range(6))


def test_a_quarter_turn_is_counter_clockwise():
    rotated = layers.RandomRotation((0.25, 0.25), fill_mode="constant")(bar_image(), training=True)
    expected = np.zeros((9, 9), dtype="float32")
    expected[1:8, 4] = 1.0  # the bar now stands upright
    np.testing.assert_allclose(rotated.numpy()[0, :, :, 0], expected, atol=1e-6)
    corner = np.zeros((1, 5, 5, 1), dtype="float32")
    corner[0, 2, 4, 0] = 1.0  # right of the center ...
    turned = layers.RandomRotation((0.25, 0.25), fill_mode="constant")(corner, training=True).numpy()
    assert turned[0, 0, 2, 0] == pytest.approx(1.0)  # ... goes to the top


def test_zoom_in_and_out():
    zoomed_in = layers.RandomZoom((-0.5, -0.5), fill_mode="constant")(bar_image(), training=True).numpy()[0, :, :, 0]
    assert zoomed_in[4].tolist() == [1.0] * 9  # the middle of the bar fills the row
    assert zoomed_in[3].tolist() == [0.5] * 9  # between two rows: interpolated
    zoomed_out = layers.RandomZoom((1.0, 1.0), fill_mode="constant")(bar_image(), training=True).numpy()[0, :, :, 0]
    assert zoomed_out[4].tolist() == [0, 0, 0, 1, 1, 1, 0, 0, 0]  # every other pixel of the bar
    assert zoomed_out[0].sum() == 0


def test_translation_shifts_right_and_down_for_positive_factors():
    image = bar_image()
    shifted = layers.RandomTranslation((1 / 9, 1 / 9), (1 / 9, 1 / 9), fill_mode="constant")(image, training=True)
    np.testing.assert_allclose(shifted.numpy()[0, 5, 2:, 0], np.ones(7))
    assert shifted.numpy()[0, 4].sum() == 0


@pytest.mark.parametrize(
    "fill_mode, expected",
    [
        ("constant", [0, 0, 1, 2, 3]),
        ("nearest", [1, 1, 1, 2, 3]),
        ("wrap", [4, 5, 1, 2, 3]),
        ("reflect", [2, 1, 1, 2, 3]),
    ],
)
def test_fill_modes(fill_mode, expected):
    row = np.array([1.0, 2.0, 3.0, 4.0, 5.0], dtype="float32").reshape(1, 1, 5, 1)
    layer = layers.RandomTranslation((0.0, 0.0), (0.4, 0.4), fill_mode=fill_mode, interpolation="nearest")
    assert layer(row, training=True).numpy().ravel().tolist() == expected


def test_each_image_of_a_batch_gets_its_own_transformation_and_a_seed_repeats():
    images = np.repeat(bar_image(16), 4, axis=0)
    out = layers.RandomRotation(0.5, seed=3)(images, training=True).numpy()
    assert not np.allclose(out[0], out[1])
    again = layers.RandomRotation(0.5, seed=3)(images, training=True).numpy()
    np.testing.assert_array_equal(out, again)


def test_a_single_image_and_integer_pixels():
    image = np.random.default_rng(1).integers(0, 256, size=(6, 6, 3)).astype("uint8")
    out = layers.RandomZoom(0.2)(image, training=True)
    assert out.shape == (6, 6, 3) and out.dtype == np.float32


def test_random_contrast_scales_around_the_mean():
    images = np.random.default_rng(2).random((2, 4, 4, 3)).astype("float32")
    out = layers.RandomContrast((0.5, 0.5))(images, training=True).numpy()
    np.testing.assert_allclose(out.mean(axis=(1, 2)), images.mean(axis=(1, 2)), rtol=1e-5)
    assert np.all(out.std(axis=(1, 2)) >= 0.5 * images.std(axis=(1, 2)) - 1e-6)
    assert np.all(out.std(axis=(1, 2)) <= 1.5 * images.std(axis=(1, 2)) + 1e-6)


def test_resizing_averages_pixel_centers_and_can_crop_to_the_aspect_ratio():
    image = np.arange(36.0, dtype="float32").reshape(1, 6, 6, 1)
    small = layers.Resizing(3, 3)(image).numpy()[0, :, :, 0]
    np.testing.assert_allclose(small, [[3.5, 5.5, 7.5], [15.5, 17.5, 19.5], [27.5, 29.5, 31.5]])
    wide = np.zeros((2, 4, 8, 3), dtype="float32")
    assert layers.Resizing(4, 4, crop_to_aspect_ratio=True)(wide).shape == (2, 4, 4, 3)
    assert layers.Resizing(10, 12, interpolation="nearest")(wide[0]).shape == (10, 12, 3)
    assert layers.Resizing(5, 5).compute_output_shape((None, 8, 8, 3)) == (None, 5, 5, 3)


def test_bad_arguments_get_clear_errors():
    with pytest.raises(ValueError, match="fill_mode must be one of"):
        layers.RandomRotation(0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match="interpolation must be one of"):
        layers.RandomZoom(0.1, interpolation="cubic")
    with pytest.raises(ValueError, match="lower bound 0.3 is above its upper bound 0.1"):
        layers.RandomRotation((0.3, 0.1))
    with pytest.raises(ValueError, match="must stay above -1"):
        layers.RandomZoom((-1.0, 0.0))
    with pytest.raises(ValueError, match="RandomRotation 'r' expects images"):
        layers.RandomRotation(0.1, name="r")(np.zeros((4, 4)), training=True)


def test_augmentation_inside_a_model_trains_and_saves(tmp_path):
    augmentation = keras.Sequential(
        [
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(0.1),
            layers.RandomZoom(0.2),
            layers.RandomTranslation(0.1, 0.1),
        ]
    )
    inputs = keras.Input(shape=(12, 12, 3))
    x = augmentation(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    images = np.random.default_rng(0).integers(0, 256, size=(8, 12, 12, 3)).astype("float32")
    model.fit(images, np.arange(8) % 2, epochs=1, verbose=0)
    model.save(tmp_path / "augmented.keras")
    reloaded = keras.models.load_model(tmp_path / "augmented.keras")
    np.testing.assert_allclose(reloaded.predict(images, verbose=0), model.predict(images, verbose=0), rtol=1e-6)
    config = layers.RandomZoom(0.2, width_factor=(0.1, 0.3), fill_mode="constant", seed=1).get_config()
    assert layers.RandomZoom.from_config(config).get_config() == config
