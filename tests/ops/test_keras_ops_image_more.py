"""``keras.ops.image``'s blurs, edges, SSIM, perspective and elastic transforms, scale_and_translate
and resize's antialiasing: learnet against real Keras 3 (tests/fixtures/make_keras_ops_image_more_fixture.py),
gradients, properties of the random ones, errors."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import learnet
from learnet import ops
from learnet.keras_ops_image import _elastic
from learnet.testing import check_gradients

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REFERENCE = np.load(FIXTURES / "keras_ops_image_more_reference.npz")
ARRAYS = {key[len("input_") :]: REFERENCE[key] for key in REFERENCE.files if key.startswith("input_")}
IMAGES = ARRAYS["images"]


def _fixture_module():
    spec = importlib.util.spec_from_file_location("make_fixture", FIXTURES / "make_keras_ops_image_more_fixture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKE = _fixture_module()
CASES = MAKE.cases(ops.image, ARRAYS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras_3(name):
    expected = REFERENCE[name]
    got = CASES[name]().numpy()
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("name", sorted(MAKE.ELASTIC))
def test_elastic_transform_matches_keras_given_its_noise(name):
    # Keras on JAX draws dx and dy from one key, so both displacement fields come from this noise.
    kwargs = dict(interpolation="bilinear", fill_mode="reflect", fill_value=0.0) | MAKE.ELASTIC[name]
    noise = REFERENCE["elastic_noise"]
    got = _elastic(learnet.constant(IMAGES), noise, noise, **kwargs).numpy()
    np.testing.assert_allclose(got, REFERENCE[name], rtol=1e-5, atol=2e-6)


def test_the_namespace_has_what_keras_3_has():
    keras_3 = {
        "affine_transform", "crop_images", "elastic_transform", "extract_patches", "extract_patches_3d",
        "gaussian_blur", "hsv_to_rgb", "map_coordinates", "pad_images", "perspective_transform", "resize",
        "rgb_to_grayscale", "rgb_to_hsv", "scale_and_translate", "sobel_edges", "ssim",
    }  # fmt: skip
    assert keras_3 <= set(dir(ops.image))
    assert set(ops.image.__all__) == keras_3


def test_gaussian_blur_reads_data_format_none_as_channels_last():
    # Keras 3.15 on JAX reads None as channels first here; the documented default is channels last.
    np.testing.assert_allclose(
        ops.image.gaussian_blur(IMAGES).numpy(), ops.image.gaussian_blur(IMAGES, data_format="channels_last").numpy()
    )


def test_gaussian_blur_keeps_a_constant_inside_and_sums_to_one():
    ones = np.ones((1, 9, 9, 1), "float32")
    blurred = ops.image.gaussian_blur(ones, kernel_size=3, sigma=1.0).numpy()
    np.testing.assert_allclose(blurred[0, 1:-1, 1:-1, 0], 1.0, rtol=1e-6)
    assert blurred[0, 0, 0, 0] < 1  # zeros beyond the edges
    dot = np.zeros((1, 9, 9, 1), "float32")
    dot[0, 4, 4] = 1
    assert ops.image.gaussian_blur(dot, kernel_size=5, sigma=2.0).numpy().sum() == pytest.approx(1.0, rel=1e-6)


def test_integer_images_are_blurred_and_rounded_back():
    got = ops.image.gaussian_blur(ARRAYS["bytes"], data_format="channels_last")
    floats = ops.image.gaussian_blur(ARRAYS["bytes"].astype("float32")).numpy()
    assert got.dtype == "uint8"
    np.testing.assert_array_equal(got.numpy(), np.round(floats).astype("uint8"))


def test_ssim_of_identical_images_is_one():
    image = np.random.default_rng(1).uniform(size=(16, 16, 3)).astype("float32")
    assert float(ops.image.ssim(image, image)) == pytest.approx(1.0, abs=1e-6)
    assert float(ops.image.ssim(image, 1 - image)) < 0
    np.testing.assert_allclose(ops.image.ssim(IMAGES, IMAGES, filter_size=5).numpy(), [1.0, 1.0], rtol=1e-6)


def test_resize_antialias_averages_instead_of_skipping():
    stripes = np.tile([0.0, 1.0], 30).reshape(1, 60, 1).astype("float32")
    plain = ops.image.resize(stripes, (1, 20), interpolation="bilinear").numpy()[0, :, 0]
    smooth = ops.image.resize(stripes, (1, 20), interpolation="bilinear", antialias=True).numpy()[0, :, 0]
    np.testing.assert_array_equal(plain, np.tile([1.0, 0.0], 10))  # every third pixel: aliased stripes
    np.testing.assert_allclose(smooth[2:-2], 0.5, atol=0.07)  # the mean, but near the edges


def test_perspective_with_equal_points_is_the_identity():
    corners = ARRAYS["start_points"]
    np.testing.assert_allclose(ops.image.perspective_transform(IMAGES, corners, corners).numpy(), IMAGES, atol=1e-6)


# --- elastic_transform: random, so its properties ---------------------------------------------------------
def test_elastic_transform_is_reproducible_by_seed():
    first = ops.image.elastic_transform(IMAGES, alpha=4.0, sigma=1.5, seed=3).numpy()
    again = ops.image.elastic_transform(IMAGES, alpha=4.0, sigma=1.5, seed=3).numpy()
    other = ops.image.elastic_transform(IMAGES, alpha=4.0, sigma=1.5, seed=4).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    assert first.shape == IMAGES.shape and first.dtype == IMAGES.dtype
    # Reflect: every value read is an interpolation of the input's values.
    assert IMAGES.min() - 1e-6 <= first.min() and first.max() <= IMAGES.max() + 1e-6


def test_elastic_transform_layouts_and_ranks_agree():
    last = ops.image.elastic_transform(IMAGES, alpha=4.0, sigma=1.5, seed=3).numpy()
    first = ops.image.elastic_transform(
        np.moveaxis(IMAGES, -1, 1), alpha=4.0, sigma=1.5, seed=3, data_format="channels_first"
    ).numpy()
    np.testing.assert_allclose(np.moveaxis(first, 1, -1), last, rtol=1e-6)
    one = ops.image.elastic_transform(IMAGES[0], alpha=4.0, sigma=1.5, seed=3)
    assert one.shape == IMAGES[0].shape


def test_elastic_transform_moves_nothing_with_alpha_zero_and_keeps_constants():
    np.testing.assert_array_equal(ops.image.elastic_transform(IMAGES, alpha=0.0, seed=1).numpy(), IMAGES)
    flat = np.full((2, 8, 8, 1), 0.25, "float32")
    np.testing.assert_allclose(ops.image.elastic_transform(flat, alpha=30.0, sigma=2.0, seed=1).numpy(), flat)


def test_elastic_transform_displaces_by_the_smoothed_noise_scale():
    # A ramp along the columns read elsewhere: the change is alpha times the smoothed noise.
    ramp = np.tile(np.arange(40, dtype="float64"), (40, 1))[None, :, :, None]
    noise = np.random.default_rng(5).normal(size=(1, 40, 40))
    zero = np.zeros_like(noise)
    moved = _elastic(learnet.constant(ramp), noise, zero, 2.0, 3.0, "bilinear", "constant", 0.0).numpy()
    change = (moved - ramp)[0, 10:30, 10:30, 0]  # inside, away from the edges
    assert 0 < np.abs(change).mean() < 2.0 * 3.0  # smoothing shrinks sigma-scaled noise
    assert np.corrcoef(change[:, :-1].ravel(), change[:, 1:].ravel())[0, 1] > 0.8  # smooth


def test_elastic_transform_of_integer_images():
    got = ops.image.elastic_transform(ARRAYS["bytes"], alpha=3.0, sigma=1.0, seed=0)
    assert got.dtype == "uint8" and got.shape == ARRAYS["bytes"].shape


# --- gradients ----------------------------------------------------------------------------------------------
SMALL = np.random.default_rng(7).uniform(0.1, 0.9, size=(2, 5, 6, 2))
OTHER = np.random.default_rng(8).uniform(0.1, 0.9, size=(2, 5, 6, 2))
POINTS = np.array([[0, 0], [5, 0], [0, 4], [5, 4]], "float64")
MOVED = POINTS + np.array([[0.3, 0.2], [-0.4, 0.1], [0.2, -0.3], [0.1, 0.4]])

GRADIENT_CASES = {
    "gaussian_blur": lambda x: ops.image.gaussian_blur(x, kernel_size=(3, 5), sigma=(0.8, 1.3)),
    "gaussian_blur-first": lambda x: ops.image.gaussian_blur(x, kernel_size=4, sigma=1.0, data_format="channels_first"),
    "sobel_edges": lambda x: ops.image.sobel_edges(x) ** 2,
    "ssim": lambda x: ops.image.ssim(x, OTHER, filter_size=3, filter_sigma=1.0),
    "ssim-second": lambda x: ops.image.ssim(OTHER, x, filter_size=3),
    "perspective_transform": lambda x: ops.image.perspective_transform(x, POINTS, MOVED, fill_value=0.5),
    "scale_and_translate": lambda x: ops.image.scale_and_translate(
        x, (2, 3, 9, 2), [0.6, 1.4], [0.2, -0.5], (1, 2), "cubic"
    ),
    "scale_and_translate-lanczos": lambda x: ops.image.scale_and_translate(
        x, (2, 7, 4, 2), [1.3, 0.7], [0.0, 0.1], (1, 2), "lanczos3", antialias=False
    ),
    "resize-antialias": lambda x: ops.image.resize(x, (3, 4), antialias=True),
    "resize-bicubic": lambda x: ops.image.resize(x, (7, 3), interpolation="bicubic", antialias=True),
    "resize-lanczos5-pad": lambda x: ops.image.resize(x, (4, 4), interpolation="lanczos5", pad_to_aspect_ratio=True),
    "resize-nearest": lambda x: ops.image.resize(x, (3, 8), interpolation="nearest"),
    "elastic_transform": lambda x: ops.image.elastic_transform(x, alpha=1.0, sigma=1.0, seed=2),
}


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_gradients(name):
    assert check_gradients(GRADIENT_CASES[name], [SMALL]) < 1e-5


# --- errors -------------------------------------------------------------------------------------------------
ERRORS = [
    (lambda: ops.image.gaussian_blur(IMAGES, kernel_size=0), ValueError, "kernel_size"),
    (lambda: ops.image.gaussian_blur(IMAGES, sigma=(1.0, -1.0)), ValueError, "sigma"),
    (lambda: ops.image.gaussian_blur(IMAGES, sigma="wide"), ValueError, "sigma"),
    (lambda: ops.image.gaussian_blur(IMAGES[0, 0]), ValueError, "rank 3"),
    (lambda: ops.image.gaussian_blur(IMAGES, data_format="nchw"), ValueError, "channels_first"),
    (lambda: ops.image.sobel_edges(IMAGES[0]), ValueError, "rank 4"),
    (lambda: ops.image.ssim(IMAGES, IMAGES[:, :5]), ValueError, "same shape"),
    (lambda: ops.image.ssim(IMAGES, IMAGES[0]), ValueError, "same shape"),
    (lambda: ops.image.ssim(IMAGES, IMAGES), ValueError, "filter_size 11 is larger"),
    (lambda: ops.image.perspective_transform(IMAGES, ARRAYS["start_points"][:, :3], ARRAYS["end_points"][:, :3]),
     ValueError, r"\(4, 2\)"),
    (lambda: ops.image.perspective_transform(IMAGES, ARRAYS["start_points"], ARRAYS["end_points"][0]),
     ValueError, "same shape"),
    (lambda: ops.image.perspective_transform(IMAGES, ARRAYS["start_points"], ARRAYS["end_points"],
                                             interpolation="bicubic"), ValueError, "interpolation"),
    (lambda: ops.image.perspective_transform(IMAGES, np.zeros((4, 2)), np.zeros((4, 2))), ValueError, "on a line"),
    (lambda: ops.image.perspective_transform(IMAGES, np.zeros((3, 4, 2)), np.zeros((3, 4, 2))), ValueError,
     "3 sets of points for a batch of 2"),
    (lambda: ops.image.elastic_transform(IMAGES, sigma=0.0), ValueError, "sigma"),
    (lambda: ops.image.elastic_transform(IMAGES, fill_mode="edge"), ValueError, "fill_mode"),
    (lambda: ops.image.elastic_transform(IMAGES, interpolation="bicubic"), ValueError, "interpolation"),
    (lambda: ops.image.elastic_transform(IMAGES, seed="one"), TypeError, "seed"),
    (lambda: ops.image.scale_and_translate(IMAGES, (2, 3, 3, 3), [1, 1], [0, 0], (1, 2), "nearest"),
     ValueError, "method"),
    (lambda: ops.image.scale_and_translate(IMAGES, (3, 3, 3), [1, 1], [0, 0], (1, 2), "linear"),
     ValueError, "one size per axis"),
    (lambda: ops.image.scale_and_translate(IMAGES, (2, 3, 3, 3), [1], [0, 0], (1, 2), "linear"),
     ValueError, "same length"),
    (lambda: ops.image.scale_and_translate(IMAGES, (2, 3, 3, 3), [1, 1], [0, 0], (1, 7), "linear"),
     ValueError, "distinct axes"),
    (lambda: ops.image.scale_and_translate(IMAGES, (2, 3, 3, 4), [1, 1], [0, 0], (1, 2), "linear"),
     ValueError, "keep its size"),
    (lambda: ops.image.scale_and_translate(IMAGES, (2, 3, 3, 3), [0, 1], [0, 0], (1, 2), "linear"),
     ValueError, "non-zero"),
    (lambda: ops.image.resize(IMAGES, (4, 4), crop_to_aspect_ratio=True, pad_to_aspect_ratio=True),
     ValueError, "only one of"),
    (lambda: ops.image.resize(IMAGES, (4, 4), pad_to_aspect_ratio=True, fill_mode="reflect"), ValueError, "fill_mode"),
    (lambda: ops.image.resize(IMAGES, (0, 4)), ValueError, "positive"),
    (lambda: ops.image.resize(IMAGES, (4, 4), interpolation="area"), ValueError, "interpolation"),
]  # fmt: skip


@pytest.mark.parametrize("call, error, match", ERRORS)
def test_bad_arguments_give_clear_errors_and_change_nothing(call, error, match):
    before = {name: array.copy() for name, array in ARRAYS.items()}
    with pytest.raises(error, match=match):
        call()
    for name, array in ARRAYS.items():
        np.testing.assert_array_equal(array, before[name])
