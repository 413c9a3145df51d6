"""``keras.ops.image``: learnet against real Keras 3 (values and shapes), gradients, errors."""

import numpy as np
import pytest

import learnet
from learnet import ops
from learnet.testing import check_gradients

RNG = np.random.default_rng(0)
IMAGES = RNG.normal(size=(2, 7, 9, 3)).astype("float32")
COLOURS = RNG.uniform(size=(2, 5, 6, 3)).astype("float32")
VOLUMES = RNG.normal(size=(2, 5, 6, 7, 2)).astype("float32")
TRANSFORMS = np.array([[0.9, 0.2, 1.3, -0.1, 1.1, -0.7, 0, 0], [1, 0, 0.5, 0, 1, 0.25, 0, 0]], "float32")
FIRST = dict(data_format="channels_first")


def channels_first(x):
    return np.moveaxis(x, -1, 1)


CASES = [
    # (id, function, args, kwargs)
    ("patches-side-by-side", "extract_patches", (IMAGES,), dict(size=3)),
    ("patches-vit", "extract_patches", (np.arange(2 * 12 * 12 * 3, dtype="float32").reshape(2, 12, 12, 3),), dict(size=6)),
    ("patches-rect-strides", "extract_patches", (IMAGES,), dict(size=(2, 3), strides=(1, 2))),
    ("patches-same", "extract_patches", (IMAGES,), dict(size=3, strides=2, padding="same")),
    ("patches-same-even", "extract_patches", (IMAGES,), dict(size=2, padding="same")),
    ("patches-dilated", "extract_patches", (IMAGES,), dict(size=2, strides=1, dilation_rate=2)),
    ("patches-dilated-strided", "extract_patches", (IMAGES,), dict(size=3, strides=2, dilation_rate=2)),
    ("patches-first", "extract_patches", (channels_first(IMAGES),), dict(size=(3, 2), strides=1, **FIRST)),
    ("patches-unbatched", "extract_patches", (IMAGES[0],), dict(size=3, strides=(2, 1))),
    ("patches-3d-by-size", "extract_patches", (VOLUMES,), dict(size=(2, 3, 2))),
    ("patches-3d", "extract_patches_3d", (VOLUMES,), dict(size=2, strides=1, padding="same")),
    ("patches-3d-first", "extract_patches_3d", (channels_first(VOLUMES),), dict(size=(2, 2, 3), **FIRST)),
    ("pad-targets", "pad_images", (IMAGES, 1, 2), dict(target_height=10, target_width=13)),
    ("pad-sides", "pad_images", (IMAGES[0],), dict(top_padding=2, bottom_padding=1, left_padding=3, right_padding=0)),
    ("pad-first", "pad_images", (channels_first(IMAGES), 1, 2), dict(target_height=10, target_width=13, **FIRST)),
    ("crop-targets", "crop_images", (IMAGES, 1, 2), dict(target_height=4, target_width=5)),
    ("crop-sides", "crop_images", (IMAGES[0],), dict(top_cropping=2, bottom_cropping=1, left_cropping=0, right_cropping=2)),
    ("crop-first", "crop_images", (channels_first(IMAGES), 1, 2), dict(target_height=4, target_width=5, **FIRST)),
    ("gray", "rgb_to_grayscale", (COLOURS,), {}),
    ("gray-unbatched", "rgb_to_grayscale", (COLOURS[0],), {}),
    ("gray-first", "rgb_to_grayscale", (channels_first(COLOURS),), FIRST),
    ("gray-one-channel", "rgb_to_grayscale", (COLOURS[..., :1],), {}),
    ("gray-uint8", "rgb_to_grayscale", ((COLOURS * 255).astype("uint8"),), {}),
    ("hsv", "rgb_to_hsv", (COLOURS,), {}),
    ("hsv-first", "rgb_to_hsv", (channels_first(COLOURS),), FIRST),
    ("rgb", "hsv_to_rgb", (COLOURS,), {}),
    ("resize-up", "resize", (COLOURS, (10, 4)), {}),
    ("resize-nearest", "resize", (COLOURS, (3, 3)), dict(interpolation="nearest")),
    ("resize-unbatched", "resize", (COLOURS[0], (10, 12)), {}),
    ("resize-first", "resize", (channels_first(COLOURS), (8, 9)), FIRST),
    ("resize-crop", "resize", (COLOURS, (4, 4)), dict(crop_to_aspect_ratio=True)),
    ("affine-unbatched", "affine_transform", (COLOURS[0], TRANSFORMS[0]), {}),
    ("affine-first", "affine_transform", (channels_first(COLOURS), TRANSFORMS), FIRST),
    ("affine-uint8", "affine_transform", ((COLOURS * 255).astype("uint8"), TRANSFORMS), {}),
] + [
    (f"affine-{interpolation}-{mode}", "affine_transform", (COLOURS, TRANSFORMS),
     dict(interpolation=interpolation, fill_mode=mode, fill_value=0.5))
    for interpolation in ("bilinear", "nearest")
    for mode in ("constant", "nearest", "wrap", "mirror", "reflect")
] + [
    (f"map-{order}-{mode}", "map_coordinates",
     (RNG.normal(size=(5, 6)).astype("float32"), RNG.uniform(-2, 8, size=(2, 4, 3)).astype("float32"), order),
     dict(fill_mode=mode, fill_value=0.3))
    for order in (0, 1)
    for mode in ("constant", "nearest", "wrap", "mirror", "reflect")
]  # fmt: skip


@pytest.mark.parametrize("name, args, kwargs", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_matches_keras_3(keras, name, args, kwargs):
    expected = np.asarray(getattr(keras.ops.image, name)(*args, **kwargs))
    got = getattr(ops.image, name)(*args, **kwargs).numpy()
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_the_namespaces_resolve():
    import learnet as keras

    assert keras.ops.image is ops.image
    assert ops.image.extract_patches(np.zeros((2, 12, 12, 3), "float32"), size=6).shape == (2, 2, 2, 108)
    assert keras.ops.linalg.inv is keras.ops.inv and keras.ops.core.shape is keras.ops.shape
    assert not hasattr(keras.ops.image, "sum")  # its own namespace, as Keras 3's


GRADIENT_CASES = [
    ("extract_patches", dict(size=2)),
    ("extract_patches", dict(size=2, strides=1, padding="same", dilation_rate=2)),
    ("extract_patches", dict(size=(2, 3), strides=2, data_format="channels_first")),
    ("pad_images", dict(top_padding=1, left_padding=2, target_height=7, target_width=9)),
    ("crop_images", dict(top_cropping=1, left_cropping=0, target_height=3, target_width=4)),
    ("rgb_to_grayscale", {}),
    ("rgb_to_hsv", {}),
    ("hsv_to_rgb", {}),
    ("affine_transform", dict(transform=[0.9, 0.2, 0.3, -0.1, 1.1, 0.4, 0, 0])),
    ("affine_transform", dict(transform=[1, 0, 0.5, 0, 1, -0.5, 0, 0], fill_mode="reflect")),
]


@pytest.mark.parametrize("name, kwargs", GRADIENT_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(GRADIENT_CASES)])
def test_gradients(name, kwargs):
    # Distinct channel values away from ties, so the colour conversions are smooth here.
    x = np.random.default_rng(3).uniform(0.1, 0.9, size=(2, 5, 6, 3))
    x[..., 1] += 0.03
    function = getattr(ops.image, name)
    assert check_gradients(lambda images: function(images, **kwargs), [x]) < 1e-5


def test_map_coordinates_gradient():
    coordinates = np.random.default_rng(4).uniform(-1, 5, size=(2, 7)) + 0.01
    check_gradients(
        lambda x: ops.image.map_coordinates(x, coordinates, order=1), [np.random.default_rng(5).normal(size=(4, 5))]
    )


def test_extract_patches_of_a_vit_layer_trains():
    class Patches(learnet.layers.Layer):
        def call(self, images):
            patches = ops.image.extract_patches(images, size=4)
            return ops.reshape(patches, (ops.shape(images)[0], -1, patches.shape[-1]))

    x = np.random.default_rng(6).normal(size=(4, 8, 8, 1)).astype("float32")
    variable = learnet.Variable(x)
    with learnet.GradientTape() as tape:
        loss = ops.sum(Patches()(variable) ** 2)
    np.testing.assert_allclose(tape.gradient(loss, variable).numpy(), 2 * x, rtol=1e-6)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: ops.image.extract_patches(IMAGES, size="3"), TypeError, "size must be an int or a tuple"),
        (lambda: ops.image.extract_patches(IMAGES, size=(1, 2, 3, 4)), ValueError, "tuple of 2"),
        (lambda: ops.image.extract_patches(IMAGES, size=0), ValueError, "positive"),
        (lambda: ops.image.extract_patches(IMAGES, size=20), ValueError, "does not fit"),
        (lambda: ops.image.extract_patches(IMAGES, size=2, padding="full"), ValueError, "'valid' or 'same'"),
        (lambda: ops.image.extract_patches(IMAGES[0, 0], size=2), ValueError, "rank 3"),
        (lambda: ops.image.extract_patches(IMAGES, size=2, data_format="nhwc"), ValueError, "channels_first"),
        (lambda: ops.image.pad_images(IMAGES, 1, 2), ValueError, "exactly two of top_padding"),
        (lambda: ops.image.pad_images(IMAGES, 1, 2, target_height=3, target_width=20), ValueError, "do not fit"),
        (lambda: ops.image.pad_images(IMAGES, -1, 2, bottom_padding=0, right_padding=0), ValueError, ">= 0"),
        (lambda: ops.image.crop_images(IMAGES, 1, 2, target_height=9, target_width=3), ValueError, "does not fit"),
        (lambda: ops.image.crop_images(IMAGES, 1, 1, 1, 1, 1, 1), ValueError, "exactly two of top_cropping"),
        (lambda: ops.image.rgb_to_grayscale(IMAGES[..., :2]), ValueError, "3 channels"),
        (lambda: ops.image.rgb_to_hsv(IMAGES[..., :2]), ValueError, "3 channels"),
        (lambda: ops.image.rgb_to_hsv(IMAGES.astype("int32")), ValueError, "float images"),
        (lambda: ops.image.resize(IMAGES, (4, 4), interpolation="cubic"), ValueError, "interpolation"),
        (lambda: ops.image.resize(IMAGES, (4,)), ValueError, "size must be"),
        (lambda: ops.image.affine_transform(IMAGES, TRANSFORMS[:, :6]), ValueError, r"shape \(8,\)"),
        (lambda: ops.image.affine_transform(IMAGES, TRANSFORMS, fill_mode="edge"), ValueError, "fill_mode"),
        (lambda: ops.image.affine_transform(IMAGES, TRANSFORMS, interpolation="cubic"), ValueError, "interpolation"),
        (lambda: ops.image.map_coordinates(IMAGES, [[0.0]], order=1), ValueError, "one coordinate array per axis"),
        (lambda: ops.image.map_coordinates(IMAGES[0, 0, 0], [[0.0]], order=3), ValueError, "order"),
    ],
)
def test_bad_arguments_give_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
