"""``tf.image.resize``'s eight methods, psnr of images of two dtypes, crops sized by tensors and the
public names of ``tf.image``, against real TensorFlow 2.21 (fixture made by
fixtures/make_tf_image_resize_fixture.py)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet.testing import check_gradients

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = np.load(FIXTURES / "tf_image_resize_reference.npz")


def _fixture_module():
    spec = importlib.util.spec_from_file_location(
        "make_tf_image_resize_fixture", FIXTURES / "make_tf_image_resize_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()
DATA = FIXTURE.inputs()
CASES = FIXTURE.cases(tf, DATA)
METHODS = FIXTURE.METHODS


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_tensorflow(name):
    got = CASES[name]().numpy()
    expected = REFERENCE[name]
    assert got.shape == expected.shape and got.dtype == expected.dtype, (got.shape, got.dtype, expected.dtype)
    if expected.dtype.kind in "iu":
        np.testing.assert_array_equal(got, expected)
    else:
        scale = max(1.0, float(np.abs(expected[np.isfinite(expected)]).max(initial=0.0)))
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=2e-6 * scale)


# --- dtypes ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
def test_output_dtype_follows_tensorflow(method):
    for dtype in ("uint8", "int32", "float16", "float32"):
        image = tf.cast(DATA["bytes"], dtype)
        got = tf.image.resize(image, (4, 5), method=method).dtype
        assert got == (np.dtype(dtype) if method == "nearest" else np.float32), (dtype, got)


@pytest.mark.parametrize("method", METHODS)
def test_float64_images_stay_float64_with_tensorflows_values(method):
    image = DATA["image_down"]
    got = tf.image.resize(tf.constant(image, dtype=tf.float64), (3, 4), method=method)
    assert got.dtype == np.float64  # TensorFlow gives float32; learnet keeps double precision
    np.testing.assert_allclose(got.numpy(), REFERENCE[f"resize_down_{method}_plain"], rtol=1e-5, atol=1e-6)


def test_nearest_keeps_the_class_ids_of_a_uint8_mask():
    mask = DATA["mask"]
    resized = tf.image.resize(mask, (20, 23), method="nearest")
    assert resized.dtype == np.uint8
    assert set(np.unique(resized.numpy())) <= set(np.unique(mask))
    # so they survive convert_image_dtype's round trip, as a segmentation tutorial relies on
    back = tf.image.convert_image_dtype(tf.image.convert_image_dtype(resized, tf.float32), tf.uint8)
    np.testing.assert_array_equal(back.numpy(), resized.numpy())


def test_resize_method_constants():
    assert tf.image.ResizeMethod.AREA == "area" and tf.image.ResizeMethod.MITCHELLCUBIC == "mitchellcubic"
    names = {name: getattr(tf.image.ResizeMethod, name) for name in dir(tf.image.ResizeMethod) if name.isupper()}
    assert sorted(names.values()) == sorted(METHODS)
    assert tf.image.resize(DATA["wide"], (2, 3), method=tf.image.ResizeMethod.LANCZOS5).shape == (2, 3, 3)


def test_area_averages_blocks_and_overlaps():
    image = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    np.testing.assert_allclose(
        tf.image.resize(image, (2, 2), method="area")[0, :, :, 0].numpy(), [[2.5, 4.5], [10.5, 12.5]]
    )
    # 3 -> 2: each output covers 1.5 pixels: the middle one is shared by both.
    row = np.array([0.0, 3.0, 6.0], "float32").reshape(1, 1, 3, 1)
    np.testing.assert_allclose(tf.image.resize(row, (1, 2), method="area").numpy().ravel(), [1.0, 5.0], rtol=1e-6)


def test_antialias_smooths_what_plain_resizing_aliases():
    stripes = np.tile([0.0, 1.0], 12).reshape(1, 1, 24, 1).astype("float32")
    plain = tf.image.resize(stripes, (1, 8), method="bilinear").numpy().ravel()
    smooth = tf.image.resize(stripes, (1, 8), method="bilinear", antialias=True).numpy().ravel()
    assert plain.std() > 0.3 and smooth.std() < 0.1


# --- gradients -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("method", METHODS)
def test_gradient_of_resize(method, antialias):
    rng = np.random.default_rng(3)
    image = rng.random((2, 5, 7, 2))
    shrink = rng.normal(size=(2, 3, 4, 2))
    grow = rng.normal(size=(2, 8, 9, 2))
    assert check_gradients(lambda x: tf.image.resize(x, (3, 4), method, antialias=antialias) * shrink, [image]) < 1e-6
    assert check_gradients(lambda x: tf.image.resize(x, (8, 9), method, antialias=antialias) * grow, [image]) < 1e-6


@pytest.mark.parametrize("method", ["bilinear", "area", "lanczos3"])
def test_gradient_of_resize_shrinking_a_long_axis(method):
    rng = np.random.default_rng(5)
    image = rng.random((1, 260, 2, 1))
    weights = rng.normal(size=(1, 40, 3, 1))
    assert check_gradients(lambda x: tf.image.resize(x, (40, 3), method, antialias=True) * weights, [image]) < 1e-6


def test_gradient_of_resize_with_pad_and_of_one_image():
    rng = np.random.default_rng(4)
    image = rng.random((5, 7, 1))
    weights = rng.normal(size=(6, 6, 1))
    check_gradients(lambda x: tf.image.resize_with_pad(x, 6, 6, method="bicubic", antialias=True) * weights, [image])
    check_gradients(
        lambda x: tf.image.resize(x, (6, 6), method="area", preserve_aspect_ratio=True) * weights[:4], [image]
    )


# --- psnr / ssim of two dtypes ----------------------------------------------------------------------------
def test_psnr_of_a_uint8_target_and_a_float_prediction_as_the_super_resolution_example():
    # The EDSR example's metric: psnr(high_resolution uint8, super_resolution float in [0, 255]).
    values = tf.image.psnr(DATA["target"], DATA["prediction"], max_val=255)
    assert values.shape == (2,) and values.dtype == np.float32 and (values.numpy() < -40).all()


def test_ssim_of_two_dtypes_is_refused_as_in_tensorflow():
    big = np.random.default_rng(5).integers(0, 256, (1, 16, 16, 1)).astype("uint8")
    with pytest.raises(TypeError, match="convert_image_dtype"):
        tf.image.ssim(big, big.astype("float32"), 255)
    with pytest.raises(TypeError, match="one dtype"):
        tf.image.ssim_multiscale(big.astype("float32"), big, 255)


# --- sizes given as tensors ---------------------------------------------------------------------------------
def test_random_crop_takes_a_size_holding_tensors():
    image = tf.constant(DATA["wide"])
    side = tf.random.uniform([], 2, 5, dtype=tf.int32)
    crop = tf.image.random_crop(image, (side, side, 3), seed=1)
    assert crop.shape == (int(side), int(side), 3)
    assert tf.image.random_crop(image, tf.constant([2, 3, 3]), seed=1).shape == (2, 3, 3)
    assert tf.image.random_crop(image, np.array([4, 4, 1]), seed=1).shape == (4, 4, 1)
    stateless = tf.image.stateless_random_crop(image, (tf.constant(3), 4, tf.constant(2)), seed=(1, 2))
    assert stateless.shape == (3, 4, 2)
    same = tf.image.stateless_random_crop(image, tf.constant([3, 4, 2]), seed=(1, 2))
    np.testing.assert_array_equal(stateless.numpy(), same.numpy())


def test_random_crop_with_tensor_sizes_carries_gradients():
    weights = np.random.default_rng(6).normal(size=(2, 3, 1))
    check_gradients(
        lambda x: tf.image.random_crop(x, (tf.constant(2), tf.constant(3), 1), seed=3) * weights, [np.ones((4, 4, 1))]
    )


# --- the public namespace -------------------------------------------------------------------------------------
def test_dir_lists_only_public_functions_all_reachable():
    names = dir(tf.image)
    for internal in ("importlib", "numpy", "xp", "primitive", "floatx", "Tensor", "convert_to_tensor", "errors"):
        assert internal not in names
    assert all(not name.startswith("_") for name in names)
    assert all(callable(getattr(tf.image, name)) for name in names)
    assert "random_crop" in names and "resize" in names and "ResizeMethod" in names
    # every name learnet lists is one of TensorFlow's
    assert set(names) <= set(REFERENCE["tensorflow_dir_image"].tolist())


# --- bad input ------------------------------------------------------------------------------------------------
IMAGE = DATA["wide"]


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: tf.image.resize(IMAGE, (3, 4), method="area2"), ValueError, "method must be one of"),
        (lambda: tf.image.resize(IMAGE, (3, 4), method="BILINEAR"), ValueError, "method"),
        (lambda: tf.image.resize(IMAGE, (3, 4, 5)), ValueError, "2 elements"),
        (lambda: tf.image.resize(IMAGE, (3.0, 4.0)), ValueError, "size"),
        (lambda: tf.image.resize(IMAGE, 3), ValueError, "size"),
        (lambda: tf.image.resize(IMAGE, (0, 4)), tf.errors.InvalidArgumentError, "positive"),
        (lambda: tf.image.resize(IMAGE, (-1, 4)), tf.errors.InvalidArgumentError, "positive"),
        (lambda: tf.image.resize(IMAGE[0], (3, 4)), ValueError, "3 or 4 dimensions"),
        (lambda: tf.image.resize(IMAGE[None, None], (3, 4)), ValueError, "3 or 4 dimensions"),
        (lambda: tf.image.resize(IMAGE > 0.5, (3, 4)), tf.errors.InvalidArgumentError, "dtype"),
        (lambda: tf.image.resize(np.zeros((0, 6, 3), "float32"), (3, 4)), tf.errors.InvalidArgumentError, "non-zero"),
        (lambda: tf.image.resize_with_pad(IMAGE, 4, 4, method="cubic"), ValueError, "method"),
        (lambda: tf.image.random_crop(IMAGE, (tf.constant(2.0), 2, 3)), ValueError, "int"),
        (lambda: tf.image.random_crop(IMAGE, tf.constant([[2, 2, 3]])), ValueError, "shape"),
        (lambda: tf.image.random_crop(IMAGE, (tf.constant(9), 2, 3)), ValueError, "value.shape >= size"),
        (lambda: tf.image.stateless_random_crop(IMAGE, (tf.constant(2), 2), seed=(1, 2)), ValueError, "one entry"),
        (lambda: tf.image.crop_to_bounding_box(IMAGE, 1.5, 0, 2, 2), TypeError, "offset_height"),
        (lambda: tf.image.crop_to_bounding_box(IMAGE, tf.constant([1]), 0, 2, 2), TypeError, "scalar"),
        (lambda: tf.image.crop_to_bounding_box(IMAGE, tf.constant(4), 0, 2, 2), ValueError, "does not fit"),
        (lambda: tf.image.pad_to_bounding_box(IMAGE, 0, tf.constant(0.5), 8, 14), TypeError, "offset_width"),
        (lambda: tf.image.resize_with_crop_or_pad(IMAGE, tf.constant(0), 4), ValueError, "> 0"),
        (lambda: tf.image.central_crop(IMAGE, tf.constant([0.5])), ValueError, "scalar"),
        (lambda: tf.image.central_crop(IMAGE, tf.constant(1.5)), ValueError, "central_fraction"),
        (lambda: tf.image.psnr(IMAGE, IMAGE > 0.5, 1.0), TypeError, "floating point or integer"),
    ],
)
def test_bad_input_raises_a_clear_error_and_changes_nothing(call, error, words):
    before = {name: value.copy() for name, value in DATA.items()}
    with pytest.raises(error, match=words):
        call()
    for name, value in DATA.items():
        np.testing.assert_array_equal(value, before[name])
