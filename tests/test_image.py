"""``tf.image`` against real TensorFlow 2.21 (fixture made by fixtures/make_tf_image_fixture.py)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet.testing import check_gradients

REFERENCE = np.load(Path(__file__).resolve().parent / "fixtures" / "tf_image_reference.npz")
IMAGE = REFERENCE["image"]
BYTES = REFERENCE["bytes"]


def _fixture_cases():
    """The calls the fixture made with TensorFlow, defined once in its generator."""
    path = Path(__file__).resolve().parent / "fixtures" / "make_tf_image_fixture.py"
    spec = importlib.util.spec_from_file_location("make_tf_image_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.cases(tf, IMAGE, BYTES)


CASES = _fixture_cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_tensorflow(name):
    got = CASES[name]().numpy()
    expected = REFERENCE[name]
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_random_flips_and_adjustments_keep_shape_and_content():
    batch = np.stack([IMAGE] * 8)
    flipped = tf.image.random_flip_left_right(batch, seed=3).numpy()
    same = [np.array_equal(f, IMAGE) for f in flipped]
    mirrored = [np.array_equal(f, IMAGE[:, ::-1]) for f in flipped]
    assert all(a or b for a, b in zip(same, mirrored)) and any(same) and any(mirrored)
    brighter = tf.image.random_brightness(IMAGE, 0.2, seed=1).numpy() - IMAGE
    assert np.allclose(brighter, brighter.flat[0], atol=1e-6) and abs(brighter.flat[0]) <= 0.2
    assert tf.image.random_contrast(IMAGE, 0.5, 1.5, seed=2).shape == IMAGE.shape


def test_gradients_flow_through_differentiable_functions():
    image = np.random.default_rng(0).random((3, 3, 3))
    for function in (
        tf.image.flip_left_right,
        tf.image.rot90,
        lambda x: tf.image.adjust_brightness(x, 0.2),
        tf.image.per_image_standardization,
        tf.image.rgb_to_grayscale,
    ):
        assert check_gradients(function, [image]) < 1e-5


def test_adjust_contrast_has_no_gradient_as_in_tensorflow():
    image, factor = tf.Variable(IMAGE), tf.Variable(2.0)
    with tf.GradientTape() as tape:
        out = tf.image.adjust_contrast(image, factor)
    with pytest.raises(LookupError, match="AdjustContrastv2"):
        tape.gradient(out, [image, factor])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: tf.image.flip_left_right(np.zeros((4, 4))), "height, width, channels"),
        (lambda: tf.image.resize(IMAGE, (2, 2), method="cubic"), "method"),
        (lambda: tf.image.crop_to_bounding_box(IMAGE, 3, 0, 3, 3), "does not fit"),
        (lambda: tf.image.central_crop(IMAGE, 0.0), "central_fraction"),
        (lambda: tf.image.rgb_to_grayscale(IMAGE[..., :2]), "3 channels"),
    ],
)
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
