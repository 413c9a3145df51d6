"""``tf.image``: the image functions the TensorFlow tutorials teach, on channels-last images.

Every function takes one image ``(height, width, channels)`` or a batch
``(batch, height, width, channels)`` and keeps that rank. Float images hold values in
``[0, 1]``; ``convert_image_dtype`` moves between ``uint8`` ``[0, 255]`` and floats.
Flips, rotations, crops, resizing, brightness, standardisation, colour spaces and the
measures (``psnr``, ``ssim``...) are written with learnet ops, so gradients flow through
them; ``adjust_contrast`` and ``adjust_hue`` have none (as in TF). The measures and
filters live in ``image_quality``, the samplers (patches, ``crop_and_resize``,
``resize_with_pad``) in ``image_sampling``, the boxes (non-max suppression, drawing,
random crops) in ``image_boxes``.

Examples
--------
>>> import learnet as tf
>>> image = tf.reshape(tf.range(4, dtype=tf.float32), (2, 2, 1))
>>> tf.image.flip_left_right(image)[:, :, 0].numpy()
array([[1., 0.],
       [3., 2.]], dtype=float32)
"""

import importlib

import numpy

from learnet import errors
from learnet import image_sampling as _image_sampling
from learnet import random as _random
from learnet import stateless_random as _stateless
from learnet.backend import floatx, xp
from learnet.image_boxes import (
    combined_non_max_suppression,
    draw_bounding_boxes,
    non_max_suppression,
    non_max_suppression_padded,
    non_max_suppression_with_scores,
    sample_distorted_bounding_box,
    stateless_sample_distorted_bounding_box,
)
from learnet.image_quality import image_gradients, psnr, sobel_edges, ssim, ssim_multiscale, total_variation
from learnet.image_sampling import crop_and_resize, extract_patches, resize_with_pad
from learnet.tape import primitive
from learnet.tensor import Tensor, _as_dtype, convert_to_tensor

_ops = importlib.import_module("learnet.ops")

__all__ = [
    "adjust_brightness",
    "adjust_contrast",
    "adjust_gamma",
    "adjust_hue",
    "adjust_jpeg_quality",
    "adjust_saturation",
    "central_crop",
    "convert_image_dtype",
    "crop_to_bounding_box",
    "flip_left_right",
    "flip_up_down",
    "grayscale_to_rgb",
    "pad_to_bounding_box",
    "per_image_standardization",
    "random_brightness",
    "random_contrast",
    "random_crop",
    "random_flip_left_right",
    "random_flip_up_down",
    "resize",
    "resize_with_crop_or_pad",
    "rgb_to_grayscale",
    "rot90",
    "stateless_random_brightness",
    "stateless_random_contrast",
    "stateless_random_crop",
    "stateless_random_flip_left_right",
    "stateless_random_flip_up_down",
    "stateless_random_hue",
    "stateless_random_jpeg_quality",
    "stateless_random_saturation",
    "ResizeMethod",
    "decode_bmp",
    "decode_gif",
    "decode_image",
    "decode_jpeg",
    "decode_png",
    "encode_jpeg",
    "encode_png",
    "hsv_to_rgb",
    "is_jpeg",
    "random_hue",
    "random_jpeg_quality",
    "random_saturation",
    "rgb_to_hsv",
    "rgb_to_yiq",
    "rgb_to_yuv",
    "transpose",
    "yiq_to_rgb",
    "yuv_to_rgb",
    # from image_quality, image_sampling and image_boxes:
    "combined_non_max_suppression",
    "crop_and_resize",
    "draw_bounding_boxes",
    "extract_patches",
    "image_gradients",
    "non_max_suppression",
    "non_max_suppression_padded",
    "non_max_suppression_with_scores",
    "psnr",
    "resize_with_pad",
    "sample_distorted_bounding_box",
    "sobel_edges",
    "ssim",
    "ssim_multiscale",
    "stateless_sample_distorted_bounding_box",
    "total_variation",
]


def __dir__():
    # dir(tf.image) lists the public functions only, not the modules and helpers this file imports.
    return sorted(__all__)


class ResizeMethod:
    """The names ``resize`` accepts as ``method`` (``tf.image.ResizeMethod.AREA`` is ``"area"``...)."""

    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


def _image(image, function):
    image = image if isinstance(image, Tensor) else convert_to_tensor(image)
    if image.ndim not in (3, 4):
        raise ValueError(
            f"{function} expects an image (height, width, channels) or a batch (batch, height, width, "
            f"channels), got shape {tuple(image.shape)}"
        )
    return image


def _float(image):
    return image if image.dtype.kind == "f" else _ops.cast(image, floatx())


def flip_left_right(image):
    """Mirror the image(s) horizontally (the width axis)."""
    image = _image(image, "flip_left_right")
    return image[..., ::-1, :]


def flip_up_down(image):
    """Mirror the image(s) vertically (the height axis)."""
    image = _image(image, "flip_up_down")
    return image[..., ::-1, :, :]


def rot90(image, k=1, name=None):
    """Rotate the image(s) by ``k`` quarter turns counter-clockwise."""
    image = _image(image, "rot90")
    k = int(k) % 4
    h, w = image.ndim - 3, image.ndim - 2
    order = list(range(image.ndim))
    order[h], order[w] = order[w], order[h]
    for _ in range(k):
        image = _ops.transpose(image[..., :, ::-1, :], order)
    return image


def random_flip_left_right(image, seed=None):
    """Flip each image horizontally with probability 1/2."""
    image = _image(image, "random_flip_left_right")
    return _random_apply(image, flip_left_right, seed)


def random_flip_up_down(image, seed=None):
    """Flip each image vertically with probability 1/2."""
    image = _image(image, "random_flip_up_down")
    return _random_apply(image, flip_up_down, seed)


def _random_apply(image, transform, seed):
    batch = image if image.ndim == 4 else _ops.expand_dims(image, 0)
    flips = _random.uniform((batch.shape[0],), seed=seed).numpy() < 0.5
    mask = Tensor._wrap(xp.asarray(flips.reshape(-1, 1, 1, 1)))
    out = _ops.where(mask, transform(batch), batch)
    return out if image.ndim == 4 else out[0]


def adjust_brightness(image, delta):
    """Add ``delta`` to every pixel (float images)."""
    image = _float(_image(image, "adjust_brightness"))
    return image + delta


def adjust_contrast(images, contrast_factor):
    """Move each channel's pixels away from (or toward) its mean: ``(x - mean) * factor + mean``.

    As in TensorFlow (whose ``AdjustContrastv2`` has no registered gradient), asking a
    tape for a gradient through it raises ``LookupError``.
    """
    images = _float(_image(images, "adjust_contrast"))
    factor = (
        contrast_factor
        if isinstance(contrast_factor, Tensor)
        else convert_to_tensor(contrast_factor, dtype=images.dtype)
    )
    return _adjust_contrast(images, _ops.cast(factor, images.dtype))


@primitive(inputs=2)
def _adjust_contrast(images, factor):
    def backward(g, images, factor, out):
        raise LookupError(
            "gradient registry has no entry for: AdjustContrastv2 (tf.image.adjust_contrast "
            "has no gradient in TensorFlow)"
        )

    mean = images.mean(axis=(-3, -2), keepdims=True)
    return ((images - mean) * factor + mean).astype(images.dtype), backward


def adjust_gamma(image, gamma=1, gain=1):
    """``gain * image ** gamma``."""
    return gain * _float(_image(image, "adjust_gamma")) ** gamma


def adjust_saturation(image, saturation_factor, name=None):
    """Scale the distance of each pixel from its gray value by ``saturation_factor`` (RGB)."""
    image = _float(_image(image, "adjust_saturation"))
    gray = rgb_to_grayscale(image)
    return _ops.clip_by_value(gray + (image - gray) * saturation_factor, 0.0, 1.0)


def random_brightness(image, max_delta, seed=None):
    """Add one delta drawn from ``[-max_delta, max_delta)``."""
    if max_delta < 0:
        raise ValueError(f"random_brightness: max_delta must be non-negative, got {max_delta}")
    return adjust_brightness(image, float(_random.uniform((), -max_delta, max_delta, seed=seed)))


def random_contrast(image, lower, upper, seed=None):
    """Adjust the contrast by one factor drawn from ``[lower, upper)``."""
    if not 0 <= lower < upper:
        raise ValueError(f"random_contrast: need 0 <= lower < upper, got {lower} and {upper}")
    return adjust_contrast(image, float(_random.uniform((), lower, upper, seed=seed)))


def rgb_to_grayscale(images, name=None):
    """Luminance ``0.2989 R + 0.587 G + 0.114 B``, one channel."""
    images = _image(images, "rgb_to_grayscale")
    if images.shape[-1] != 3:
        raise ValueError(f"rgb_to_grayscale expects 3 channels, got {images.shape[-1]}")
    weights = Tensor._wrap(xp.asarray([0.2989, 0.587, 0.114], dtype=_float(images).dtype))
    gray = _ops.reduce_sum(_float(images) * weights, axis=-1, keepdims=True)
    return gray if images.dtype.kind == "f" else _ops.cast(_ops.round(gray), images.dtype)


def grayscale_to_rgb(images, name=None):
    """One channel repeated into three."""
    images = _image(images, "grayscale_to_rgb")
    if images.shape[-1] != 1:
        raise ValueError(f"grayscale_to_rgb expects 1 channel, got {images.shape[-1]}")
    return _ops.concat([images] * 3, axis=-1)


def convert_image_dtype(image, dtype, saturate=False, name=None):
    """Convert between integer images (``[0, MAX]``) and float images (``[0, 1]``), rescaling."""
    image = image if isinstance(image, Tensor) else convert_to_tensor(image)
    target = _as_dtype(dtype)
    source = image.dtype
    if source == target:
        return image
    if source.kind == "f" and target.kind == "f":
        return _ops.cast(image, target)
    if source.kind in "iu" and target.kind == "f":
        return _ops.cast(image, target) / float(numpy.iinfo(source).max)
    if source.kind == "f" and target.kind in "iu":
        scaled = image * (float(numpy.iinfo(target).max) + 0.5)
        if saturate:
            scaled = _ops.clip_by_value(scaled, 0.0, float(numpy.iinfo(target).max))
        return _ops.cast(_ops.floor(scaled), target)
    ratio = float(numpy.iinfo(target).max + 1) / float(numpy.iinfo(source).max + 1)
    return _ops.cast(_ops.cast(image, "float64") * ratio, target)


def per_image_standardization(image):
    """Each image scaled to mean 0 and standard deviation 1 (at least ``1/sqrt(pixels)``)."""
    image = _float(_image(image, "per_image_standardization"))
    axes = (-3, -2, -1)
    count = numpy.prod(image.shape[-3:])
    mean = _ops.reduce_mean(image, axis=axes, keepdims=True)
    std = _ops.reduce_std(image, axis=axes, keepdims=True)
    return (image - mean) / _ops.maximum(std, 1.0 / numpy.sqrt(count))


def _box_numbers(numbers, function):
    """The offsets and sizes of a box as Python ints (each an int or a scalar int tensor)."""
    names = ("offset_height", "offset_width", "target_height", "target_width")
    return [_integer(value, name, function) for value, name in zip(numbers, names)]


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """The box of ``target_height`` x ``target_width`` pixels starting at the offsets.

    Each of the four numbers is an int or a scalar int tensor. Differentiable.

    Examples
    --------
    >>> import learnet as tf
    >>> image = tf.reshape(tf.range(16, dtype=tf.float32), (4, 4, 1))
    >>> tf.image.crop_to_bounding_box(image, 1, tf.constant(2), 2, 2)[..., 0].numpy()
    array([[ 6.,  7.],
           [10., 11.]], dtype=float32)
    """
    function = "crop_to_bounding_box"
    offset_height, offset_width, target_height, target_width = _box_numbers(
        (offset_height, offset_width, target_height, target_width), function
    )
    image = _image(image, function)
    height, width = image.shape[-3], image.shape[-2]
    if (
        offset_height + target_height > height
        or offset_width + target_width > width
        or min(offset_height, offset_width) < 0
    ):
        raise ValueError(
            f"crop_to_bounding_box: the box ({offset_height}, {offset_width}, {target_height}, {target_width}) "
            f"does not fit an image of {height}x{width}"
        )
    return image[..., offset_height : offset_height + target_height, offset_width : offset_width + target_width, :]


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """The image placed at the offsets on a zero canvas of the target size.

    Each of the four numbers is an int or a scalar int tensor. Differentiable.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.image.pad_to_bounding_box(tf.ones((1, 1, 1)), tf.constant(1), 0, 2, 2)[..., 0].numpy()
    array([[0., 0.],
           [1., 0.]], dtype=float32)
    """
    function = "pad_to_bounding_box"
    offset_height, offset_width, target_height, target_width = _box_numbers(
        (offset_height, offset_width, target_height, target_width), function
    )
    image = _image(image, function)
    height, width = image.shape[-3], image.shape[-2]
    after_h, after_w = target_height - offset_height - height, target_width - offset_width - width
    if min(offset_height, offset_width, after_h, after_w) < 0:
        raise ValueError(f"pad_to_bounding_box: a {height}x{width} image does not fit {target_height}x{target_width}")
    paddings = [[0, 0]] * (image.ndim - 3) + [[offset_height, after_h], [offset_width, after_w], [0, 0]]
    return _ops.pad(image, paddings)


def central_crop(image, central_fraction):
    """The central ``central_fraction`` (a float or a scalar float tensor) of the image in each direction.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.image.central_crop(tf.ones((8, 6, 3)), tf.constant(0.5)).shape
    TensorShape([4, 4, 3])
    """
    if isinstance(central_fraction, Tensor):
        if central_fraction.ndim != 0:
            raise ValueError(f"central_crop: central_fraction must be a scalar, got shape {central_fraction.shape}")
        central_fraction = float(central_fraction.numpy())
    if not 0 < central_fraction <= 1:
        raise ValueError(f"central_crop: central_fraction must be in (0, 1], got {central_fraction}")
    image = _image(image, "central_crop")
    height, width = image.shape[-3], image.shape[-2]
    top = int((height - height * central_fraction) / 2)
    left = int((width - width * central_fraction) / 2)
    return crop_to_bounding_box(image, top, left, height - 2 * top, width - 2 * left)


def resize_with_crop_or_pad(image, target_height, target_width):
    """Crop or zero-pad (centred) to the target size (ints or scalar int tensors).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.image.resize_with_crop_or_pad(tf.ones((4, 6, 3)), tf.constant(6), 4).shape
    TensorShape([6, 4, 3])
    """
    function = "resize_with_crop_or_pad"
    target_height = _integer(target_height, "target_height", function)
    target_width = _integer(target_width, "target_width", function)
    if target_height <= 0 or target_width <= 0:
        raise ValueError(f"{function}: target_height and target_width must be > 0, got {target_height}, {target_width}")
    image = _image(image, function)
    height, width = image.shape[-3], image.shape[-2]
    if height > target_height:
        image = crop_to_bounding_box(image, (height - target_height) // 2, 0, target_height, width)
    if width > target_width:
        image = crop_to_bounding_box(image, 0, (width - target_width) // 2, image.shape[-3], target_width)
    height, width = image.shape[-3], image.shape[-2]
    return pad_to_bounding_box(
        image, (target_height - height) // 2, (target_width - width) // 2, target_height, target_width
    )


def decode_image(contents, channels=None, dtype="uint8", name=None, expand_animations=True):
    """``tf.image.decode_image``: the same as ``tf.io.decode_image``."""
    from learnet.io import decode_image as _decode

    return _decode(contents, channels=channels, dtype=dtype)


def decode_png(contents, channels=0, dtype="uint8", name=None):
    """``tf.image.decode_png``: the same as ``tf.io.decode_png``."""
    return decode_image(contents, channels=channels, dtype=dtype)


def decode_jpeg(contents, channels=0, **kwargs):
    """``tf.image.decode_jpeg``: the same as ``tf.io.decode_jpeg``."""
    return decode_image(contents, channels=channels)


def resize(images, size, method="bilinear", preserve_aspect_ratio=False, antialias=False, name=None):
    """Resize image(s) to ``size = (new_height, new_width)`` (``tf.image.resize``).

    Pixel centres are aligned (half-pixel centres), as in TensorFlow 2. Every method but
    ``"nearest"`` makes each output pixel a weighted sum of input pixels, so gradients flow
    back to the images (``"nearest"`` copies pixels; its gradient adds up the copies).

    Parameters
    ----------
    images : Tensor ``(height, width, channels)`` or ``(batch, height, width, channels)``
    size : two ints, a 1-D int tensor, or a list holding scalar int tensors
        The output's height and width (both positive).
    method : str or ``tf.image.ResizeMethod``, default ``"bilinear"``
        ``"bilinear"`` (a triangle kernel), ``"nearest"`` (the pixel under each sample),
        ``"bicubic"`` (the cubic convolution kernel, a = -0.5), ``"area"`` (the average of the input pixels each output
        pixel covers, weighed by overlap), ``"lanczos3"``, ``"lanczos5"``, ``"gaussian"``
        (radius 1.5, sigma 0.5) or ``"mitchellcubic"``. The Gaussian and Mitchell kernels blur
        a little even at the same size.
    preserve_aspect_ratio : bool, default False
        Scale both sides by one factor, the largest that fits inside ``size`` (the result may
        be smaller than ``size`` on one side).
    antialias : bool, default False
        When shrinking, widen the kernel by the shrink factor (a low-pass filter that averages
        every input pixel instead of skipping some). Ignored by ``"nearest"`` and ``"area"``.

    Returns
    -------
    Tensor of the images' rank: ``float32`` for every method but ``"nearest"``, which keeps
    the images' dtype (a ``uint8`` mask stays ``uint8``: its class ids survive). Integer and
    ``float16`` images give ``float32`` as in TensorFlow; ``float64`` images stay ``float64``
    (TensorFlow gives ``float32``), so gradients can be checked in double precision.

    Raises
    ------
    ValueError
        For an unknown method, an image not of rank 3 or 4, or a size not of two ints.
    tf.errors.InvalidArgumentError
        For a size that is not positive, or an empty image.

    Examples
    --------
    >>> import numpy as np, learnet as tf
    >>> image = np.array([[0.0, 1.0], [2.0, 3.0]], np.float32)[:, :, None]
    >>> tf.image.resize(image, (1, 1), method="area")[..., 0].numpy()
    array([[1.5]], dtype=float32)
    >>> tf.image.resize(image, (2, 4), method="nearest")[..., 0].numpy()
    array([[0., 0., 1., 1.],
           [2., 2., 3., 3.]], dtype=float32)
    >>> mask = np.array([[0, 3], [1, 2]], np.uint8)[:, :, None]
    >>> tf.image.resize(mask, (4, 4), method=tf.image.ResizeMethod.NEAREST_NEIGHBOR).dtype
    dtype('uint8')
    >>> tf.image.resize(np.zeros((6, 4, 3)), (3, 3), preserve_aspect_ratio=True).shape
    TensorShape([3, 2, 3])
    """
    function = "resize"
    if method not in _image_sampling.RESIZE_METHODS:
        raise ValueError(
            f"{function}: method must be one of {', '.join(_image_sampling.RESIZE_METHODS)} "
            f"(tf.image.ResizeMethod), got {method!r}"
        )
    images = images if isinstance(images, Tensor) else convert_to_tensor(images)
    if images.ndim not in (3, 4):
        raise ValueError(
            f"{function}: 'images' must have either 3 or 4 dimensions (height, width, channels), "
            f"got shape {tuple(images.shape)}"
        )
    if images.dtype.kind not in "iuf":
        raise errors.InvalidArgumentError(
            None, None, f"{function}: images must hold integers or floats, got dtype {images.dtype}"
        )
    height, width = _size_pair(size, "size", function)
    batch = images if images.ndim == 4 else _ops.expand_dims(images, 0)
    if min(height, width) <= 0:
        raise errors.InvalidArgumentError(
            None, None, f"{function}: output dimensions must be positive, got size ({height}, {width})"
        )
    if min(batch.shape[1], batch.shape[2]) == 0:
        raise errors.InvalidArgumentError(
            None, None, f"{function}: input image must be of non-zero size, got shape {tuple(images.shape)}"
        )
    if preserve_aspect_ratio:
        # In float32 and rounding halves to even, as TensorFlow computes the new size.
        old_height, old_width = numpy.float32(batch.shape[1]), numpy.float32(batch.shape[2])
        factor = min(numpy.float32(height) / old_height, numpy.float32(width) / old_width)
        height, width = int(numpy.rint(factor * old_height)), int(numpy.rint(factor * old_width))
    resized = _image_sampling.resize_images(batch, height, width, method, bool(antialias))
    return resized if images.ndim == 4 else resized[0]


def _integer(value, name, function):
    """A Python int from an int, a NumPy integer or a scalar integer tensor (what TensorFlow takes)."""
    if isinstance(value, Tensor):
        if value.ndim != 0 or value.dtype.kind not in "iu":
            raise TypeError(f"{function}: {name} must be an int or a scalar int tensor, got {value!r}")
        return int(value.numpy())
    if isinstance(value, numpy.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)):
        raise TypeError(f"{function}: {name} must be an int or a scalar int tensor, got {value!r}")
    return int(value)


def _integers(values, name, function):
    """A list of Python ints from a list or tuple (of ints or scalar int tensors) or a 1-D int tensor."""
    if isinstance(values, (Tensor, numpy.ndarray)):
        array = values.numpy() if isinstance(values, Tensor) else values
        if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
            raise ValueError(f"{function}: {name} must be a 1-D int tensor, got {values!r}")
        return [int(v) for v in array.tolist()]
    if isinstance(values, (int, numpy.integer, str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{function}: {name} must be a list of ints or a 1-D int tensor, got {values!r}")
    try:
        return [_integer(v, name, function) for v in values]
    except TypeError as error:
        raise ValueError(str(error)) from None


def _size_pair(size, name, function):
    numbers = _integers(size, name, function)
    if len(numbers) != 2:
        raise ValueError(
            f"{function}: '{name}' must be a 1-D tensor of 2 elements: new_height, new_width, got {size!r}"
        )
    return numbers


# --- hue, JPEG quality, and the stateless random adjustments --------------------------------------
# The stateless_random_* functions draw from tf.random's stateless ops: the same image and
# seed (shape [2]) give the same result every time, as TensorFlow's data-augmentation
# pipelines rely on (a seed per element from tf.random.Generator.make_seeds).


def _rgb_to_hsv(rgb):
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    value = rgb.max(axis=-1)
    chroma = value - rgb.min(axis=-1)
    saturation = numpy.where(value > 0, chroma / numpy.where(value > 0, value, 1), 0)
    safe = numpy.where(chroma > 0, chroma, 1)
    hue = numpy.where(
        value == red,
        (green - blue) / safe,
        numpy.where(value == green, 2 + (blue - red) / safe, 4 + (red - green) / safe),
    )
    hue = numpy.where(chroma > 0, (hue / 6) % 1.0, 0)
    return hue, saturation, value


def _hsv_to_rgb(hue, saturation, value):
    sector = numpy.floor(hue * 6)
    fraction = hue * 6 - sector
    sector = sector.astype(numpy.int64) % 6
    p = value * (1 - saturation)
    q = value * (1 - saturation * fraction)
    t = value * (1 - saturation * (1 - fraction))
    red = numpy.choose(sector, [value, q, p, p, t, value])
    green = numpy.choose(sector, [t, value, value, q, p, p])
    blue = numpy.choose(sector, [p, p, t, value, value, q])
    return numpy.stack([red, green, blue], axis=-1)


@primitive(inputs=1)
def _adjust_hue(images, delta):
    def backward(g, images, out):
        raise LookupError("gradient registry has no entry for: AdjustHue (tf.image.adjust_hue has no gradient)")

    array = images.get() if hasattr(images, "get") else images  # computed on the host
    hue, saturation, value = _rgb_to_hsv(array.astype(numpy.float64))
    rgb = _hsv_to_rgb((hue + delta) % 1.0, saturation, value)
    return xp.asarray(rgb.astype(images.dtype)), backward


def adjust_hue(image, delta, name=None):
    """Rotate the hue of RGB image(s) by ``delta`` (a fraction of the colour wheel, in [-1, 1]).

    Integer images are converted to floats and back (their dtype is kept). As in TensorFlow,
    there is no gradient.

    Examples
    --------
    >>> import learnet as tf
    >>> red = tf.constant([[[1.0, 0.0, 0.0]]])
    >>> tf.image.adjust_hue(red, 1 / 3).numpy().round(3).tolist()
    [[[0.0, 1.0, 0.0]]]
    """
    image = _image(image, "adjust_hue")
    if image.shape[-1] != 3:
        raise ValueError(f"adjust_hue expects 3 channels (RGB), got {image.shape[-1]}")
    delta = float(delta)
    if not -1 <= delta <= 1:
        raise ValueError(f"adjust_hue: delta must be in [-1, 1], got {delta}")
    if image.dtype.kind == "f":
        return _adjust_hue(image, delta)
    return convert_image_dtype(_adjust_hue(convert_image_dtype(image, floatx()), delta), image.dtype, saturate=True)


def adjust_jpeg_quality(image, jpeg_quality, name=None):
    """The image after a JPEG encoding at ``jpeg_quality`` (0-100) and a decoding (needs Pillow).

    Takes one image ``(height, width, 1 or 3)``; keeps its dtype. No gradient.

    Examples
    --------
    >>> import numpy as np, learnet as tf
    >>> tf.image.adjust_jpeg_quality(np.full((8, 8, 3), 0.5, np.float32), 75).shape
    TensorShape([8, 8, 3])
    """
    from learnet.io import decode_jpeg, encode_jpeg

    image = image if isinstance(image, Tensor) else convert_to_tensor(image)
    if image.ndim != 3 or image.shape[-1] not in (1, 3):
        raise ValueError(
            f"adjust_jpeg_quality expects one image (height, width, 1 or 3 channels), got shape {tuple(image.shape)}"
        )
    quality = int(jpeg_quality.numpy() if isinstance(jpeg_quality, Tensor) else jpeg_quality)
    if not 0 <= quality <= 100:
        raise ValueError(f"adjust_jpeg_quality: jpeg_quality must be in [0, 100], got {quality}")
    pixels = convert_image_dtype(image, "uint8", saturate=True)
    decoded = decode_jpeg(encode_jpeg(pixels, quality=quality), channels=image.shape[-1])
    return convert_image_dtype(decoded, image.dtype)


def _stateless_uniform(seed, low, high, function, shape=(), dtype="float32"):
    generator = _stateless.stateless_generator(seed, "auto_select", function)
    return _stateless.uniform_sampler(shape, low, high, dtype, function)(generator)


def _check_range(lower, upper, function):
    if upper <= lower:
        raise ValueError(f"{function}: upper must be > lower, got lower={lower} and upper={upper}")
    if lower < 0:
        raise ValueError(f"{function}: lower must be non-negative, got {lower}")


def _stateless_flip(image, seed, transform, function):
    image = _image(image, function)
    batch = image if image.ndim == 4 else _ops.expand_dims(image, 0)
    flips = _stateless_uniform(seed, 0.0, 1.0, function, shape=(batch.shape[0],)) < 0.5
    mask = Tensor._wrap(xp.asarray(flips.reshape(-1, 1, 1, 1)))
    out = _ops.where(mask, transform(batch), batch)
    return out if image.ndim == 4 else out[0]


def stateless_random_flip_left_right(image, seed):
    """Flip each image horizontally with probability 1/2, decided by ``seed`` (shape [2]).

    Examples
    --------
    >>> import learnet as tf
    >>> image = tf.reshape(tf.range(4, dtype=tf.float32), (2, 2, 1))
    >>> a = tf.image.stateless_random_flip_left_right(image, seed=(1, 2))
    >>> bool((a == tf.image.stateless_random_flip_left_right(image, seed=(1, 2))).numpy().all())
    True
    """
    return _stateless_flip(image, seed, flip_left_right, "stateless_random_flip_left_right")


def stateless_random_flip_up_down(image, seed):
    """Flip each image vertically with probability 1/2, decided by ``seed`` (shape [2]).

    Examples
    --------
    >>> import learnet as tf
    >>> image = tf.reshape(tf.range(4, dtype=tf.float32), (2, 2, 1))
    >>> tf.image.stateless_random_flip_up_down(image, seed=(3, 4)).shape
    TensorShape([2, 2, 1])
    """
    return _stateless_flip(image, seed, flip_up_down, "stateless_random_flip_up_down")


def stateless_random_brightness(image, max_delta, seed):
    """Add one delta drawn from ``[-max_delta, max_delta)`` by ``seed`` (shape [2]).

    Examples
    --------
    >>> import learnet as tf
    >>> image = tf.fill((2, 2, 3), 0.5)
    >>> out = tf.image.stateless_random_brightness(image, max_delta=0.2, seed=(1, 2))
    >>> bool((tf.abs(out - 0.5) <= 0.2).numpy().all())
    True
    """
    function = "stateless_random_brightness"
    if max_delta < 0:
        raise ValueError(f"{function}: max_delta must be non-negative, got {max_delta}")
    image = _image(image, function)
    return adjust_brightness(image, float(_stateless_uniform(seed, -max_delta, max_delta, function)))


def stateless_random_contrast(image, lower, upper, seed):
    """Adjust the contrast by one factor drawn from ``[lower, upper)`` by ``seed`` (shape [2]).

    Examples
    --------
    >>> import learnet as tf
    >>> image = tf.random.stateless_uniform((4, 4, 3), seed=(0, 0))
    >>> tf.image.stateless_random_contrast(image, 0.2, 0.5, seed=(1, 2)).shape
    TensorShape([4, 4, 3])
    """
    function = "stateless_random_contrast"
    _check_range(lower, upper, function)
    image = _image(image, function)
    return adjust_contrast(image, float(_stateless_uniform(seed, lower, upper, function)))


def stateless_random_saturation(image, lower, upper, seed=None):
    """Adjust the saturation by one factor drawn from ``[lower, upper)`` by ``seed`` (shape [2]).

    Examples
    --------
    >>> import learnet as tf
    >>> image = tf.random.stateless_uniform((4, 4, 3), seed=(0, 0))
    >>> tf.image.stateless_random_saturation(image, 0.5, 1.0, seed=(1, 2)).shape
    TensorShape([4, 4, 3])
    """
    function = "stateless_random_saturation"
    _check_range(lower, upper, function)
    image = _image(image, function)
    return adjust_saturation(image, float(_stateless_uniform(seed, lower, upper, function)))


def stateless_random_hue(image, max_delta, seed):
    """Rotate the hue by one delta drawn from ``[-max_delta, max_delta)`` by ``seed`` (shape [2]).

    ``max_delta`` must lie in ``[0, 0.5]``.

    Examples
    --------
    >>> import learnet as tf
    >>> image = tf.random.stateless_uniform((4, 4, 3), seed=(0, 0))
    >>> tf.image.stateless_random_hue(image, 0.2, seed=(1, 2)).shape
    TensorShape([4, 4, 3])
    """
    function = "stateless_random_hue"
    if max_delta > 0.5:
        raise ValueError(f"{function}: max_delta must be <= 0.5, got {max_delta}")
    if max_delta < 0:
        raise ValueError(f"{function}: max_delta must be non-negative, got {max_delta}")
    image = _image(image, function)
    return adjust_hue(image, float(_stateless_uniform(seed, -max_delta, max_delta, function)))


def stateless_random_jpeg_quality(image, min_jpeg_quality, max_jpeg_quality, seed):
    """Re-encode one image as JPEG at a quality drawn from ``[min, max)`` by ``seed`` (needs Pillow).

    Examples
    --------
    >>> import numpy as np, learnet as tf
    >>> image = np.full((8, 8, 3), 0.5, np.float32)
    >>> tf.image.stateless_random_jpeg_quality(image, 75, 95, seed=(1, 2)).shape
    TensorShape([8, 8, 3])
    """
    function = "stateless_random_jpeg_quality"
    if min_jpeg_quality < 0 or max_jpeg_quality < 0 or min_jpeg_quality > 100 or max_jpeg_quality > 100:
        raise ValueError(
            f"{function}: the JPEG quality range must lie within [0, 100], got {min_jpeg_quality}, {max_jpeg_quality}"
        )
    if min_jpeg_quality >= max_jpeg_quality:
        raise ValueError(
            f"{function}: min_jpeg_quality must be less than max_jpeg_quality, "
            f"got {min_jpeg_quality} and {max_jpeg_quality}"
        )
    quality = _stateless_uniform(seed, int(min_jpeg_quality), int(max_jpeg_quality), function, dtype="int32")
    return adjust_jpeg_quality(image, int(quality))


def random_crop(value, size, seed=None, name=None):
    """A slice of ``size`` of ``value`` (any rank) at random offsets (``tf.image.random_crop``).

    Differentiable: the gradient flows back into the slice. ``size`` has one entry per axis
    of ``value`` (ints or scalar int tensors, or a 1-D int tensor); each offset is drawn
    uniformly among the places the slice fits.

    Examples
    --------
    >>> import learnet as tf
    >>> image = tf.reshape(tf.range(48, dtype=tf.float32), (4, 4, 3))
    >>> tf.image.random_crop(image, size=(2, 3, 3), seed=1).shape
    TensorShape([2, 3, 3])
    >>> side = tf.constant(3)
    >>> tf.image.random_crop(image, size=(side, side, 3), seed=1).shape
    TensorShape([3, 3, 3])
    """
    function = "random_crop"
    value = value if isinstance(value, Tensor) else convert_to_tensor(value)
    size = _stateless.output_shape(_crop_size(size, function), function)
    if len(size) != value.ndim:
        raise ValueError(f"{function}: size {list(size)} needs one entry per axis of a value of shape {value.shape}")
    if any(s > d for s, d in zip(size, value.shape)):
        raise ValueError(f"{function}: need value.shape >= size, got {list(value.shape)} and {list(size)}")
    draws = _random.uniform((max(value.ndim, 1),), seed=seed).numpy()
    offsets = [int(u * (d - s + 1)) for u, s, d in zip(draws, size, value.shape)]
    return value[tuple(slice(o, o + s) for o, s in zip(offsets, size))]


def _crop_size(size, function):
    """``size`` of a random crop as ints: scalar int tensors in a list are read, as TensorFlow packs them."""
    if isinstance(size, (list, tuple)) and any(isinstance(s, Tensor) for s in size):
        return _integers(size, "size", function)
    return size


def stateless_random_crop(value, size, seed, name=None):
    """A slice of ``size`` of ``value`` (any rank) at offsets drawn by ``seed`` (shape [2]).

    Examples
    --------
    >>> import learnet as tf
    >>> image = tf.reshape(tf.range(48, dtype=tf.float32), (4, 4, 3))
    >>> tf.image.stateless_random_crop(image, size=tf.constant([2, 2, 3]), seed=(1, 2)).shape
    TensorShape([2, 2, 3])
    """
    function = "stateless_random_crop"
    value = value if isinstance(value, Tensor) else convert_to_tensor(value)
    size = _stateless.output_shape(_crop_size(size, function), function)
    if len(size) != value.ndim:
        raise ValueError(f"{function}: size {list(size)} needs one entry per axis of a value of shape {value.shape}")
    if any(s > d for s, d in zip(size, value.shape)):
        raise ValueError(f"{function}: need value.shape >= size, got {list(value.shape)} and {list(size)}")
    limits = numpy.array([d - s + 1 for s, d in zip(size, value.shape)], dtype=numpy.int64)
    draws = _stateless_uniform(seed, None, None, function, shape=(value.ndim,), dtype="int64")
    offsets = (draws % limits).tolist() if value.ndim else []
    return value[tuple(slice(o, o + s) for o, s in zip(offsets, size))]


# --- more of tf.image: transpose, colour spaces, random colour changes, encoding ------------------------


def transpose(image, name=None):
    """Swap the height and width of the image(s) (a mirror along the main diagonal). Differentiable.

    Examples
    --------
    >>> import learnet as tf
    >>> image = tf.reshape(tf.range(6, dtype=tf.float32), (2, 3, 1))
    >>> tf.image.transpose(image)[:, :, 0].numpy()
    array([[0., 3.],
           [1., 4.],
           [2., 5.]], dtype=float32)
    """
    image = _image(image, "transpose")
    order = list(range(image.ndim))
    order[-3], order[-2] = order[-2], order[-3]
    return _ops.transpose(image, order)


# The matrices of TensorFlow's colour conversions: output channel j = sum_i pixel[i] * kernel[i][j].
_RGB_TO_YIQ = [[0.299, 0.59590059, 0.2115], [0.587, -0.27455667, -0.52273617], [0.114, -0.32134392, 0.31119955]]
_YIQ_TO_RGB = [[1, 1, 1], [0.95598634, -0.27201283, -1.10674021], [0.6208248, -0.64720424, 1.70423049]]
_RGB_TO_YUV = [[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512], [0.114, 0.43601035, -0.10001026]]
_YUV_TO_RGB = [[1, 1, 1], [0, -0.394642334, 2.03206185], [1.13988303, -0.58062185, 0]]


def _convert_colors(images, kernel, function):
    images = images if isinstance(images, Tensor) else convert_to_tensor(images)
    if images.ndim < 1 or images.shape[-1] != 3:
        raise ValueError(f"{function} expects 3 channels in the last axis, got shape {tuple(images.shape)}")
    images = _float(images)
    matrix = Tensor._wrap(xp.asarray(kernel, dtype=images.dtype))
    return _ops.tensordot(images, matrix, axes=[[images.ndim - 1], [0]])


def rgb_to_yiq(images):
    """RGB to YIQ (luma, in-phase, quadrature), a linear map of the last axis. Differentiable.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.image.rgb_to_yiq([[[1.0, 2.0, 3.0]]]).numpy().round(4)
    array([[[ 1.815 , -0.9172,  0.0996]]], dtype=float32)
    """
    return _convert_colors(images, _RGB_TO_YIQ, "rgb_to_yiq")


def yiq_to_rgb(images):
    """YIQ back to RGB (the inverse of :func:`rgb_to_yiq`). Differentiable.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.image.yiq_to_rgb(tf.image.rgb_to_yiq([[[0.2, 0.4, 0.6]]])).numpy().round(4)
    array([[[0.2, 0.4, 0.6]]], dtype=float32)
    """
    return _convert_colors(images, _YIQ_TO_RGB, "yiq_to_rgb")


def rgb_to_yuv(images):
    """RGB to YUV (luma and two colour differences), a linear map of the last axis. Differentiable.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.image.rgb_to_yuv([[[1.0, 1.0, 1.0]]]).numpy().round(4)
    array([[[1., 0., 0.]]], dtype=float32)
    """
    return _convert_colors(images, _RGB_TO_YUV, "rgb_to_yuv")


def yuv_to_rgb(images):
    """YUV back to RGB (the inverse of :func:`rgb_to_yuv`). Differentiable.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.image.yuv_to_rgb([[[1.0, 0.0, 0.0]]]).numpy().round(4)
    array([[[1., 1., 1.]]], dtype=float32)
    """
    return _convert_colors(images, _YUV_TO_RGB, "yuv_to_rgb")


def random_saturation(image, lower, upper, seed=None):
    """Adjust the saturation by one factor drawn from ``[lower, upper)``.

    Examples
    --------
    >>> import learnet as tf
    >>> image = tf.random.uniform((4, 4, 3), seed=0)
    >>> tf.image.random_saturation(image, 0.5, 1.5, seed=1).shape
    TensorShape([4, 4, 3])
    """
    _check_range(lower, upper, "random_saturation")
    image = _image(image, "random_saturation")
    return adjust_saturation(image, float(_random.uniform((), lower, upper, seed=seed)))


def random_hue(image, max_delta, seed=None):
    """Rotate the hue by one delta drawn from ``[-max_delta, max_delta)``; ``max_delta`` in ``[0, 0.5]``.

    Examples
    --------
    >>> import learnet as tf
    >>> image = tf.random.uniform((4, 4, 3), seed=0)
    >>> tf.image.random_hue(image, 0.2, seed=1).shape
    TensorShape([4, 4, 3])
    """
    function = "random_hue"
    if max_delta > 0.5:
        raise ValueError(f"{function}: max_delta must be <= 0.5, got {max_delta}")
    if max_delta < 0:
        raise ValueError(f"{function}: max_delta must be non-negative, got {max_delta}")
    image = _image(image, function)
    return adjust_hue(image, float(_random.uniform((), -max_delta, max_delta, seed=seed)))


def random_jpeg_quality(image, min_jpeg_quality, max_jpeg_quality, seed=None):
    """Re-encode one image as JPEG at a quality drawn from ``[min, max)`` (needs Pillow).

    Examples
    --------
    >>> import numpy as np, learnet as tf
    >>> tf.image.random_jpeg_quality(np.full((8, 8, 3), 0.5, np.float32), 70, 90, seed=1).shape
    TensorShape([8, 8, 3])
    """
    function = "random_jpeg_quality"
    if min(min_jpeg_quality, max_jpeg_quality) < 0 or max(min_jpeg_quality, max_jpeg_quality) > 100:
        raise ValueError(
            f"{function}: the JPEG quality range must lie within [0, 100], got {min_jpeg_quality}, {max_jpeg_quality}"
        )
    if min_jpeg_quality >= max_jpeg_quality:
        raise ValueError(
            f"{function}: min_jpeg_quality must be less than max_jpeg_quality, "
            f"got {min_jpeg_quality} and {max_jpeg_quality}"
        )
    quality = _random.uniform((), int(min_jpeg_quality), int(max_jpeg_quality), dtype="int32", seed=seed)
    return adjust_jpeg_quality(image, int(quality))


def encode_png(image, compression=-1, name=None):
    """``tf.image.encode_png``: the same as ``tf.io.encode_png`` (PNG bytes of a ``uint8`` image)."""
    from learnet.io import encode_png as _encode

    return _encode(image, compression=compression)


def encode_jpeg(image, *args, **kwargs):
    """``tf.image.encode_jpeg``: the same as ``tf.io.encode_jpeg`` (JPEG bytes of a ``uint8`` image)."""
    from learnet.io import encode_jpeg as _encode

    return _encode(image, *args, **kwargs)


def decode_bmp(contents, channels=0, name=None):
    """``tf.image.decode_bmp``: the same as ``tf.io.decode_bmp``."""
    from learnet.io import decode_bmp as _decode

    return _decode(contents, channels=channels)


def decode_gif(contents, name=None):
    """``tf.image.decode_gif``: the same as ``tf.io.decode_gif``."""
    from learnet.io import decode_gif as _decode

    return _decode(contents)


def rgb_to_hsv(images, name=None):
    """RGB (floats in ``[0, 1]``, last axis) to hue, saturation and value, each in ``[0, 1]``.

    Differentiable, except where two channels tie for the largest.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.image.rgb_to_hsv([[[0.0, 0.5, 1.0]]]).numpy().round(4)
    array([[[0.5833, 1.    , 1.    ]]], dtype=float32)
    """
    images = images if isinstance(images, Tensor) else convert_to_tensor(images)
    if images.ndim < 1 or images.shape[-1] != 3:
        raise ValueError(f"rgb_to_hsv expects 3 channels in the last axis, got shape {tuple(images.shape)}")
    images = _float(images)
    red, green, blue = images[..., 0], images[..., 1], images[..., 2]
    value = _ops.reduce_max(images, axis=-1)
    chroma = value - _ops.reduce_min(images, axis=-1)
    lit, tinted = _ops.greater(value, 0.0), _ops.greater(chroma, 0.0)
    saturation = _ops.where(lit, chroma / _ops.where(lit, value, 1.0), 0.0)
    safe = _ops.where(tinted, chroma, 1.0)
    # Which channel is largest picks the sixth of the colour wheel the hue starts from.
    sixths = _ops.where(
        _ops.equal(value, red),
        (green - blue) / safe,
        _ops.where(_ops.equal(value, green), 2.0 + (blue - red) / safe, 4.0 + (red - green) / safe),
    )
    hue = sixths / 6.0
    hue = _ops.where(tinted, hue - _ops.floor(hue), 0.0)
    return _ops.stack([hue, saturation, value], axis=-1)


def hsv_to_rgb(images, name=None):
    """Hue, saturation and value (each in ``[0, 1]``, last axis) back to RGB. Differentiable.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.image.hsv_to_rgb([[[2 / 3, 1.0, 0.5]]]).numpy().round(4)
    array([[[0. , 0. , 0.5]]], dtype=float32)
    """
    images = images if isinstance(images, Tensor) else convert_to_tensor(images)
    if images.ndim < 1 or images.shape[-1] != 3:
        raise ValueError(f"hsv_to_rgb expects 3 channels in the last axis, got shape {tuple(images.shape)}")
    images = _float(images)
    hue, saturation, value = images[..., 0], images[..., 1], images[..., 2]
    # Each fully saturated channel is a trapezoid of the hue: 1 over a third of the wheel, 0 over another.
    red = _ops.clip_by_value(_ops.abs(hue * 6.0 - 3.0) - 1.0, 0.0, 1.0)
    green = _ops.clip_by_value(2.0 - _ops.abs(hue * 6.0 - 2.0), 0.0, 1.0)
    blue = _ops.clip_by_value(2.0 - _ops.abs(hue * 6.0 - 4.0), 0.0, 1.0)
    return _ops.stack([((c - 1.0) * saturation + 1.0) * value for c in (red, green, blue)], axis=-1)


def is_jpeg(contents, name=None):
    """Whether ``contents`` (bytes, or a string tensor) start as a JPEG file does.

    Examples
    --------
    >>> import numpy as np, learnet as tf
    >>> bool(tf.image.is_jpeg(tf.image.encode_jpeg(np.zeros((2, 2, 3), np.uint8))))
    True
    >>> bool(tf.image.is_jpeg(b"GIF89a"))
    False
    """
    from learnet.io import _bytes

    return convert_to_tensor(_bytes(contents, "is_jpeg")[:3] == b"\xff\xd8\xff")
