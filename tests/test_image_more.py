"""More of ``tf.image`` (measures, samplers, colour spaces, boxes) against real TensorFlow 2.21
(fixture made by fixtures/make_tf_image_more_fixture.py), with gradient checks and bad inputs."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet.testing import check_gradients

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = np.load(FIXTURES / "tf_image_more_reference.npz")


def _fixture_module():
    """The fixture's generator: its inputs and its calls, defined once there."""
    spec = importlib.util.spec_from_file_location(
        "make_tf_image_more_fixture", FIXTURES / "make_tf_image_more_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()
DATA = FIXTURE.inputs()
CASES = FIXTURE.cases(tf, DATA)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_tensorflow(name):
    result = CASES[name]()
    parts = [part.numpy() for part in result] if isinstance(result, tuple) else result.numpy()
    got = FIXTURE.flatten(name, parts)
    expected = {
        key: REFERENCE[key] for key in REFERENCE.files if key == name or key.rpartition("_")[::2] == (name, "0")
    }
    expected.update({key: REFERENCE[key] for key in got if key in REFERENCE.files})
    assert sorted(got) == sorted(expected)
    for key, value in got.items():
        assert value.shape == expected[key].shape, key
        assert value.dtype == expected[key].dtype, key
        np.testing.assert_allclose(value, expected[key], rtol=2e-5, atol=2e-5, err_msg=key)


# --- gradients ----------------------------------------------------------------------------------------------
RNG = np.random.default_rng(7)
PAIR = (RNG.random((1, 7, 8, 2)), RNG.random((1, 7, 8, 2)))
SMALL = RNG.random((2, 4, 5, 3))


def test_gradient_of_psnr():
    assert check_gradients(lambda a, b: tf.image.psnr(a, b, 1.0), list(PAIR)) < 1e-5


def test_gradient_of_ssim():
    assert check_gradients(lambda a, b: tf.image.ssim(a, b, 1.0, filter_size=3), list(PAIR)) < 1e-5
    other = tf.constant(PAIR[1], dtype="float64")
    assert check_gradients(lambda a: tf.image.ssim(a, other, 1.0, filter_size=5, return_index_map=True), [PAIR[0]])


def test_gradient_of_ssim_multiscale():
    a, b = RNG.random((1, 9, 10, 1)), RNG.random((1, 9, 10, 1))
    b = 0.7 * a + 0.3 * b  # similar enough that every contrast-structure term is positive
    check_gradients(lambda x, y: tf.image.ssim_multiscale(x, y, 1.0, power_factors=(0.5, 0.5), filter_size=3), [a, b])


def test_gradient_of_sobel_edges_image_gradients_and_total_variation():
    check_gradients(tf.image.sobel_edges, [SMALL])
    check_gradients(lambda x: tf.image.image_gradients(x)[0] * 2 + tf.image.image_gradients(x)[1], [SMALL])
    check_gradients(tf.image.total_variation, [SMALL + np.arange(5)[:, None] * 0.01])


def test_gradient_of_extract_patches():
    check_gradients(lambda x: tf.image.extract_patches(x, [1, 2, 3, 1], [1, 1, 2, 1], [1, 2, 1, 1], "SAME"), [SMALL])


def test_gradient_of_crop_and_resize():
    boxes = DATA["crop_boxes"]
    check_gradients(lambda x: tf.image.crop_and_resize(x, boxes, [1, 0, 1, 0], (3, 4)), [SMALL])
    check_gradients(lambda x: tf.image.crop_and_resize(x, boxes, [0, 0, 1, 1], (3, 2), method="nearest"), [SMALL])


def test_gradient_of_resize_with_pad():
    check_gradients(lambda x: tf.image.resize_with_pad(x, 3, 7), [SMALL])
    check_gradients(lambda x: tf.image.resize_with_pad(x, 9, 6, method="nearest"), [SMALL])


def test_gradient_of_colour_spaces_and_transpose():
    for function in (tf.image.rgb_to_yuv, tf.image.yuv_to_rgb, tf.image.rgb_to_yiq, tf.image.yiq_to_rgb):
        check_gradients(function, [SMALL])
    check_gradients(tf.image.transpose, [SMALL])
    check_gradients(tf.image.rgb_to_hsv, [SMALL])
    check_gradients(tf.image.hsv_to_rgb, [SMALL * 0.9 + 0.05])


def test_colour_spaces_round_trip():
    # TensorFlow's matrices are inverses to about four decimals.
    np.testing.assert_allclose(tf.image.yuv_to_rgb(tf.image.rgb_to_yuv(SMALL)).numpy(), SMALL, atol=1e-4)
    np.testing.assert_allclose(tf.image.yiq_to_rgb(tf.image.rgb_to_yiq(SMALL)).numpy(), SMALL, atol=1e-4)


# --- behaviour ----------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:divide by zero")  # log(0): equal images are infinitely alike
def test_psnr_and_ssim_of_equal_images():
    images = DATA["images"]
    assert np.isinf(tf.image.psnr(images, images, 1.0).numpy()).all()
    np.testing.assert_allclose(tf.image.ssim(images, images, 1.0).numpy(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(tf.image.ssim_multiscale(DATA["big"], DATA["big"], 1.0).numpy(), 1.0, rtol=1e-5)


def test_random_colour_changes_stay_in_their_range():
    image = DATA["small"][0]
    saturated = tf.image.random_saturation(image, 0.5, 1.5, seed=3).numpy()
    gray = tf.image.rgb_to_grayscale(image).numpy()
    factor = (saturated - gray) / (image - gray)
    assert saturated.shape == image.shape and 0.5 <= np.median(factor) < 1.5
    hued = tf.image.random_hue(image, 0.1, seed=4).numpy()
    assert hued.shape == image.shape and not np.allclose(hued, image)
    np.testing.assert_allclose(hued.max(-1), image.max(-1), atol=1e-6)  # a hue rotation keeps the value
    jpeg = tf.image.random_jpeg_quality(DATA["images"][0], 80, 95, seed=5).numpy()
    assert jpeg.shape == (16, 16, 3) and jpeg.dtype == np.float32 and np.abs(jpeg - DATA["images"][0]).mean() < 0.2


def test_encode_png_and_jpeg_round_trip():
    pixels = DATA["bytes"][0]
    np.testing.assert_array_equal(tf.image.decode_png(tf.image.encode_png(pixels)).numpy(), pixels)
    smooth = (np.linspace(0, 1, 16)[:, None, None] * np.linspace(0.2, 1, 3) * 255 + np.zeros((16, 16, 3))).astype(
        "uint8"
    )
    decoded = tf.image.decode_jpeg(tf.image.encode_jpeg(smooth, quality=100)).numpy()
    assert decoded.shape == smooth.shape and np.abs(decoded.astype(int) - smooth).mean() < 3
    assert bool(tf.image.is_jpeg(tf.image.encode_jpeg(smooth))) and not bool(
        tf.image.is_jpeg(tf.image.encode_png(smooth))
    )


def test_sample_distorted_bounding_box_keeps_an_object():
    objects = np.array([[[0.3, 0.4, 0.6, 0.7]]], np.float32)
    for seed in range(1, 6):
        begin, size, box = tf.image.sample_distorted_bounding_box(
            [50, 80, 3], objects, seed=seed, min_object_covered=0.8, area_range=(0.2, 1.0)
        )
        (top, left, _), (height, width, depth) = begin.numpy(), size.numpy()
        assert depth == -1 and 0 <= top and top + height <= 50 and 0 <= left and left + width <= 80
        covered_rows = max(0, min(top + height, 30) - max(top, 15))
        covered_columns = max(0, min(left + width, 56) - max(left, 32))
        assert covered_rows * covered_columns >= 0.8 * 15 * 24
        np.testing.assert_allclose(box.numpy()[0, 0], [top / 50, left / 80, (top + height) / 50, (left + width) / 80])
        assert tf.slice(tf.zeros((50, 80, 3)), begin, size).shape == (height, width, 3)


def test_stateless_sample_distorted_bounding_box_repeats_with_its_seed():
    objects = [[[0.1, 0.1, 0.9, 0.9]]]

    def crop(seed):
        return [
            t.numpy().tolist() for t in tf.image.stateless_sample_distorted_bounding_box([64, 48, 3], objects, seed)
        ]

    assert crop((1, 2)) == crop((1, 2))
    assert len({str(crop((s, 0))) for s in range(6)}) > 1


def test_sample_distorted_bounding_box_without_boxes_uses_the_image_or_refuses():
    begin, size, _ = tf.image.stateless_sample_distorted_bounding_box(
        [20, 20, 1], np.zeros((1, 0, 4), np.float32), (3, 4), use_image_if_no_bounding_boxes=True
    )
    assert size.numpy()[0] <= 20
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.image.sample_distorted_bounding_box([20, 20, 1], np.zeros((1, 0, 4), np.float32))


def test_combined_non_max_suppression_names_its_results():
    result = tf.image.combined_non_max_suppression(DATA["class_boxes"], DATA["class_scores"], 3, 7)
    boxes, scores, classes, valid = result
    assert result.nmsed_boxes is boxes and result.valid_detections is valid
    assert boxes.shape == (2, 7, 4) and classes.dtype == np.float32 and valid.dtype == np.int32


# --- bad inputs ---------------------------------------------------------------------------------------------
IMAGES = DATA["images"]


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: tf.image.psnr(IMAGES, IMAGES[:, :8], 1.0), ValueError),
        (lambda: tf.image.psnr(IMAGES[0, 0], IMAGES[0, 0], 1.0), ValueError),
        (lambda: tf.image.ssim(IMAGES[:, :8, :8], IMAGES[:, :8, :8], 1.0), tf.errors.InvalidArgumentError),
        (lambda: tf.image.ssim(IMAGES, DATA["bytes"], 1.0), TypeError),
        (lambda: tf.image.ssim_multiscale(IMAGES, IMAGES, 1.0), tf.errors.InvalidArgumentError),
        (lambda: tf.image.ssim_multiscale(IMAGES, IMAGES, 1.0, power_factors=()), ValueError),
        (lambda: tf.image.sobel_edges(IMAGES[0]), ValueError),
        (lambda: tf.image.sobel_edges(IMAGES[:, :1]), tf.errors.InvalidArgumentError),
        (lambda: tf.image.image_gradients(IMAGES[0]), ValueError),
        (lambda: tf.image.total_variation(IMAGES[0, 0]), ValueError),
        (lambda: tf.image.extract_patches(IMAGES[0], [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID"), ValueError),
        (lambda: tf.image.extract_patches(IMAGES, [2, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID"), ValueError),
        (lambda: tf.image.extract_patches(IMAGES, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "FULL"), ValueError),
        (lambda: tf.image.crop_and_resize(IMAGES, [[0, 0, 1, 1]], [2], (2, 2)), tf.errors.InvalidArgumentError),
        (lambda: tf.image.crop_and_resize(IMAGES, [[0, 0, 1]], [0], (2, 2)), ValueError),
        (lambda: tf.image.crop_and_resize(IMAGES, [[0, 0, 1, 1]], [0, 1], (2, 2)), ValueError),
        (lambda: tf.image.crop_and_resize(IMAGES, [[0, 0, 1, 1]], [0], (0, 2)), ValueError),
        (lambda: tf.image.crop_and_resize(IMAGES, [[0, 0, 1, 1]], [0], (2, 2), method="area"), ValueError),
        (lambda: tf.image.resize_with_pad(IMAGES, 0, 4), ValueError),
        (lambda: tf.image.resize_with_pad(IMAGES[0, 0], 4, 4), ValueError),
        (lambda: tf.image.resize_with_pad(IMAGES, 4, 4, method="cubic"), ValueError),
        (lambda: tf.image.rgb_to_yuv(IMAGES[..., :2]), ValueError),
        (lambda: tf.image.transpose(IMAGES[0, 0]), ValueError),
        (lambda: tf.image.rgb_to_hsv(IMAGES[..., :2]), ValueError),
        (lambda: tf.image.is_jpeg(3), TypeError),
        (lambda: tf.image.hsv_to_rgb(IMAGES[..., :1]), ValueError),
        (lambda: tf.image.random_saturation(IMAGES, 1.0, 0.5), ValueError),
        (lambda: tf.image.random_saturation(IMAGES, -1.0, 0.5), ValueError),
        (lambda: tf.image.random_hue(IMAGES, 0.6), ValueError),
        (lambda: tf.image.random_jpeg_quality(IMAGES[0], 90, 80), ValueError),
        (lambda: tf.image.random_jpeg_quality(IMAGES[0], 90, 101), ValueError),
        (lambda: tf.image.non_max_suppression(DATA["boxes"], DATA["scores"][:5], 3), ValueError),
        (lambda: tf.image.non_max_suppression(DATA["boxes"][:, :3], DATA["scores"], 3), ValueError),
        (lambda: tf.image.non_max_suppression(DATA["boxes"], DATA["scores"], 3, 1.5), tf.errors.InvalidArgumentError),
        (lambda: tf.image.non_max_suppression(DATA["boxes"], DATA["scores"], -1), tf.errors.InvalidArgumentError),
        (
            lambda: tf.image.non_max_suppression_with_scores(DATA["boxes"], DATA["scores"], 3, soft_nms_sigma=-1),
            tf.errors.InvalidArgumentError,
        ),
        (lambda: tf.image.non_max_suppression_padded(DATA["batch_boxes"], DATA["batch_scores"], 3), ValueError),
        (lambda: tf.image.combined_non_max_suppression(DATA["boxes"], DATA["scores"], 3, 5), ValueError),
        (
            lambda: tf.image.combined_non_max_suppression(DATA["class_boxes"], DATA["class_scores"][:, :5], 3, 5),
            ValueError,
        ),
        (
            lambda: tf.image.combined_non_max_suppression(DATA["class_boxes"], DATA["class_scores"], 3, 0),
            tf.errors.InvalidArgumentError,
        ),
        (lambda: tf.image.draw_bounding_boxes(IMAGES, DATA["draw_boxes"][:1], None), tf.errors.InvalidArgumentError),
        (
            lambda: tf.image.draw_bounding_boxes(IMAGES, DATA["draw_boxes"], [[1.0, 0.0]]),
            tf.errors.InvalidArgumentError,
        ),
        (lambda: tf.image.draw_bounding_boxes(DATA["bytes"], DATA["draw_boxes"], None), TypeError),
        (lambda: tf.image.sample_distorted_bounding_box([10, 10], [[[0, 0, 1, 1]]]), ValueError),
        (lambda: tf.image.sample_distorted_bounding_box([10, 10, 3], [[[0, 0, 2, 1]]]), tf.errors.InvalidArgumentError),
        (
            lambda: tf.image.sample_distorted_bounding_box([10, 10, 3], [[[0, 0, 1, 1]]], area_range=(0.5, 0.1)),
            ValueError,
        ),
    ],
)
def test_bad_input_raises_a_clear_error_and_changes_nothing(call, error):
    before = {name: value.copy() for name, value in DATA.items()}
    with pytest.raises(error):
        call()
    for name, value in DATA.items():
        np.testing.assert_array_equal(value, before[name])
