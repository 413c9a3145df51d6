"""``keras.ops.image``: Keras 3's image operations on learnet tensors.

``import learnet as keras`` makes ``keras.ops.image`` this module (and so does
``from learnet import ops; ops.image``). Every function takes one image ``(height, width,
channels)`` or a batch ``(batch, height, width, channels)``, or, with
``data_format="channels_first"``, ``(channels, height, width)`` and ``(batch, channels,
height, width)``, and keeps that rank. Where TensorFlow's ``tf.image`` (``learnet.image``)
already computes the same thing, these call it.

Patches, padding, cropping, grayscale, colour spaces, the samplers (``affine_transform``,
``perspective_transform``, ``elastic_transform``, ``map_coordinates``), the filters
(``gaussian_blur``, ``sobel_edges``, ``ssim``) and the resamplers (``resize`` but for
``"nearest"``, ``scale_and_translate``) are written with learnet ops, so gradients flow back
to the images. Where Keras' results depend on its backend, these follow Keras 3 on JAX.

Examples
--------
>>> import numpy as np
>>> import learnet as keras
>>> images = np.arange(2 * 12 * 12 * 3, dtype="float32").reshape(2, 12, 12, 3)
>>> keras.ops.image.extract_patches(images, size=6).shape    # the ViT example's patches
TensorShape([2, 2, 2, 108])
>>> keras.ops.image.pad_images(images, 1, 2, target_height=16, target_width=16).shape
TensorShape([2, 16, 16, 3])
"""

import importlib
import itertools

import numpy as _np

from learnet import image as _image
from learnet.backend import floatx, to_numpy, xp
from learnet.tensor import Tensor, to_array

_ops = importlib.import_module("learnet.ops")

__all__ = [
    "affine_transform",
    "crop_images",
    "elastic_transform",
    "extract_patches",
    "extract_patches_3d",
    "gaussian_blur",
    "hsv_to_rgb",
    "map_coordinates",
    "pad_images",
    "perspective_transform",
    "resize",
    "rgb_to_grayscale",
    "rgb_to_hsv",
    "scale_and_translate",
    "sobel_edges",
    "ssim",
]


def _t(x):
    return x if isinstance(x, Tensor) else Tensor._wrap(to_array(x))


def _float(x):
    return x if x.dtype.kind == "f" else _ops.cast(x, floatx())


def _data_format(data_format, function):
    data_format = data_format or "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{function}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    return data_format


def _to_batch(images, function, data_format, ranks=(3, 4), what="images"):
    """``images`` as a channels-last batch, and a function that puts a result back in the
    caller's layout (channels first again, the batch axis dropped again)."""
    images = _t(images)
    if images.ndim not in ranks:
        raise ValueError(
            f"{function}: expected {what} of rank {ranks[0]} (one) or {ranks[1]} (a batch), "
            f"got shape {tuple(images.shape)}"
        )
    unbatched = images.ndim == ranks[0]
    if unbatched:
        images = _ops.expand_dims(images, 0)
    first = _data_format(data_format, function) == "channels_first"
    if first:
        images = _ops.transpose(images, (0, *range(2, images.ndim), 1))

    def restore(result):
        if first:
            result = _ops.transpose(result, (0, result.ndim - 1, *range(1, result.ndim - 1)))
        return result[0] if unbatched else result

    return images, restore


def _ints(value, rank, name, function):
    if isinstance(value, (int, _np.integer)) and not isinstance(value, bool):
        value = (int(value),) * rank
    try:
        result = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        result = ()
    if len(result) != rank or min(result) < 1:
        raise ValueError(f"{function}: {name} must be a positive int or {rank} positive ints, got {value!r}")
    return result


# --- patches ------------------------------------------------------------------------------------------------
def _patches(images, size, strides, rates, padding, function):
    """The patches of a channels-last batch of ``len(size)``-D images: ``(batch, *out, prod(size) * channels)``,
    each patch flattened in (row, column, ..., channel) order as TensorFlow and Keras lay it out."""
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"{function}: padding must be 'valid' or 'same', got {padding!r}")
    padding = padding.lower()
    spatial = images.shape[1:-1]
    outs, pads = [], []
    for length, k, s, r in zip(spatial, size, strides, rates):
        window = (k - 1) * r + 1
        if padding == "same":
            out = -(-length // s)
            total = max((out - 1) * s + window - length, 0)
            pads.append([total // 2, total - total // 2])
        else:
            out = (length - window) // s + 1
            pads.append([0, 0])
        if out < 1:
            raise ValueError(
                f"{function}: a patch of size {tuple(size)} (dilation {tuple(rates)}) does not fit images of "
                f"spatial shape {tuple(spatial)} with padding='valid'"
            )
        outs.append(out)
    if any(before or after for before, after in pads):
        images = _ops.pad(images, [[0, 0], *pads, [0, 0]])
    batch, channels, rank = images.shape[0], images.shape[-1], len(size)
    if tuple(strides) == tuple(size) and set(rates) == {1}:
        # Side by side: a reshape (and a transpose) of the image, cut to whole patches.
        whole = images[(slice(None), *(slice(0, o * k) for o, k in zip(outs, size)))]
        split = _ops.reshape(whole, [batch, *itertools.chain(*zip(outs, size)), channels])
        order = (0, *range(1, 2 * rank, 2), *range(2, 2 * rank + 1, 2), 2 * rank + 1)
        return _ops.reshape(_ops.transpose(split, order), [batch, *outs, -1])
    # Overlapping or dilated: one strided slice per position inside the patch.
    pieces = [
        images[
            (
                slice(None),
                *(slice(o * r, o * r + (n - 1) * s + 1, s) for o, r, n, s in zip(offset, rates, outs, strides)),
            )
        ]
        for offset in itertools.product(*(range(k) for k in size))
    ]
    return _ops.reshape(_ops.stack(pieces, axis=-2), [batch, *outs, -1])


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """The patches of ``size`` of each image, every ``strides`` pixels, flattened along the channels.

    Keras 3's ``keras.ops.image.extract_patches`` (as keras.io's Vision Transformer cuts
    images into tokens). A ``size`` of three ints extracts 3-D patches of volumes, as
    ``extract_patches_3d``. Differentiable.

    Parameters
    ----------
    images : Tensor ``(height, width, channels)`` or ``(batch, height, width, channels)``
        (channels first with ``data_format="channels_first"``).
    size : int or (int, int)
        The patch's height and width.
    strides : int or (int, int), optional
        The step between patches; ``size`` (patches side by side) by default.
    dilation_rate : int or (int, int), default 1
        The step between the pixels of one patch.
    padding : {"valid", "same"}
        ``"same"`` pads with zeros (as a convolution) to ``ceil(size / stride)`` patches.
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor ``(batch, rows, columns, patch_height * patch_width * channels)``: patch values
    in row, column, channel order (channels first: ``(batch, features, rows, columns)``).

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> image = np.arange(16, dtype="float32").reshape(4, 4, 1)
    >>> keras.ops.image.extract_patches(image, 2)[0, 1].numpy()
    array([2., 3., 6., 7.], dtype=float32)
    >>> keras.ops.image.extract_patches(image, 3, strides=1).shape
    TensorShape([2, 2, 9])
    """
    function = "extract_patches"
    if not isinstance(size, (int, _np.integer)):
        if not isinstance(size, (tuple, list)):
            raise TypeError(f"{function}: size must be an int or a tuple, got {size!r} of type {type(size).__name__}")
        if len(size) not in (2, 3):
            raise ValueError(f"{function}: size must be an int or a tuple of 2 (or 3) ints, got {size!r}")
        if len(size) == 3:
            return extract_patches_3d(images, size, strides, dilation_rate, padding, data_format)
    size = _ints(size, 2, "size", function)
    strides = size if not strides else _ints(strides, 2, "strides", function)
    rates = _ints(dilation_rate, 2, "dilation_rate", function)
    batch, restore = _to_batch(images, function, data_format)
    return restore(_patches(batch, size, strides, rates, padding, function))


def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """The 3-D patches of ``size = (depth, height, width)`` of each volume, flattened along the channels.

    As ``extract_patches``, for volumes ``(depth, height, width, channels)`` or batches of
    them; returns ``(batch, depths, rows, columns, patch_size * channels)``.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> keras.ops.image.extract_patches_3d(np.zeros((2, 10, 10, 10, 3), "float32"), (3, 3, 3)).shape
    TensorShape([2, 3, 3, 3, 81])
    """
    function = "extract_patches_3d"
    size = _ints(size, 3, "size", function)
    strides = size if strides is None else _ints(strides, 3, "strides", function)
    rates = _ints(dilation_rate, 3, "dilation_rate", function)
    batch, restore = _to_batch(volumes, function, data_format, ranks=(4, 5), what="volumes")
    return restore(_patches(batch, size, strides, rates, padding, function))


# --- padding and cropping -------------------------------------------------------------------------------------
def _two_of_three(first, second, target, names, function):
    if [first, second, target].count(None) != 1:
        raise ValueError(
            f"{function}: give exactly two of {', '.join(names)}; got "
            + ", ".join(f"{n}={v}" for n, v in zip(names, (first, second, target)))
        )
    for name, value in zip(names, (first, second, target)):
        if value is not None and value < 0:
            raise ValueError(f"{function}: {name} must be >= 0, got {value}")


def pad_images(
    images,
    top_padding=None,
    left_padding=None,
    bottom_padding=None,
    right_padding=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    """Images padded with zeros: two of top, bottom and target height given (and of left,
    right and target width), the third follows.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> keras.ops.image.pad_images(np.ones((4, 5, 3)), 1, 2, bottom_padding=0, right_padding=1).shape
    TensorShape([5, 8, 3])
    """
    function = "pad_images"
    _two_of_three(
        top_padding, bottom_padding, target_height, ("top_padding", "bottom_padding", "target_height"), function
    )
    _two_of_three(
        left_padding, right_padding, target_width, ("left_padding", "right_padding", "target_width"), function
    )
    batch, restore = _to_batch(images, function, data_format)
    height, width = batch.shape[1], batch.shape[2]
    if top_padding is None:
        top_padding = target_height - bottom_padding - height
    if bottom_padding is None:
        bottom_padding = target_height - top_padding - height
    if left_padding is None:
        left_padding = target_width - right_padding - width
    if right_padding is None:
        right_padding = target_width - left_padding - width
    for name, value in (
        ("top", top_padding),
        ("bottom", bottom_padding),
        ("left", left_padding),
        ("right", right_padding),
    ):
        if value < 0:
            raise ValueError(
                f"{function}: images of {height}x{width} do not fit the target "
                f"{target_height}x{target_width} ({name}_padding would be {value})"
            )
    paddings = [[0, 0], [top_padding, bottom_padding], [left_padding, right_padding], [0, 0]]
    return restore(_ops.pad(batch, paddings))


def crop_images(
    images,
    top_cropping=None,
    left_cropping=None,
    bottom_cropping=None,
    right_cropping=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    """Images cropped: two of top, bottom and target height given (and of left, right and
    target width), the third follows.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> keras.ops.image.crop_images(np.ones((2, 8, 8, 3)), 1, 2, target_height=4, target_width=5).shape
    TensorShape([2, 4, 5, 3])
    """
    function = "crop_images"
    _two_of_three(
        top_cropping, bottom_cropping, target_height, ("top_cropping", "bottom_cropping", "target_height"), function
    )
    _two_of_three(
        left_cropping, right_cropping, target_width, ("left_cropping", "right_cropping", "target_width"), function
    )
    batch, restore = _to_batch(images, function, data_format)
    height, width = batch.shape[1], batch.shape[2]
    if top_cropping is None:
        top_cropping = height - target_height - bottom_cropping
    if target_height is None:
        target_height = height - bottom_cropping - top_cropping
    if left_cropping is None:
        left_cropping = width - target_width - right_cropping
    if target_width is None:
        target_width = width - right_cropping - left_cropping
    if min(top_cropping, target_height, left_cropping, target_width) < 0 or (
        top_cropping + target_height > height or left_cropping + target_width > width
    ):
        raise ValueError(
            f"{function}: a crop of {target_height}x{target_width} at ({top_cropping}, {left_cropping}) "
            f"does not fit images of {height}x{width}"
        )
    return restore(_image.crop_to_bounding_box(batch, top_cropping, left_cropping, target_height, target_width))


# --- colour --------------------------------------------------------------------------------------------------
def rgb_to_grayscale(images, data_format=None):
    """RGB images to one channel of luminance ``0.2989 R + 0.587 G + 0.114 B`` (one channel stays).

    Integer images keep their dtype (the luminance truncated, as Keras casts it).

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.image.rgb_to_grayscale([[[1.0, 1.0, 1.0]]]).numpy().round(4)
    array([[[0.9999]]], dtype=float32)
    """
    function = "rgb_to_grayscale"
    batch, restore = _to_batch(images, function, data_format)
    if batch.shape[-1] not in (1, 3):
        raise ValueError(f"{function}: expected 3 channels (RGB) or 1 (grayscale), got {batch.shape[-1]}")
    if batch.shape[-1] == 1:
        return restore(batch)
    gray = _image.rgb_to_grayscale(_float(batch))
    return restore(gray if batch.dtype == gray.dtype else _ops.cast(gray, batch.dtype))


def _rgb_channels(images, function, data_format):
    batch, restore = _to_batch(images, function, data_format)
    if batch.dtype.kind != "f":
        raise ValueError(f"{function}: expected float images, got dtype {batch.dtype.name}")
    if batch.shape[-1] != 3:
        raise ValueError(f"{function}: expected 3 channels, got {batch.shape[-1]}")
    return batch, restore


def rgb_to_hsv(images, data_format=None):
    """RGB images (floats in ``[0, 1]``) to hue, saturation and value, each in ``[0, 1]``.

    Differentiable (except where two channels tie for the largest).

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.image.rgb_to_hsv([[[0.0, 1.0, 0.0]]]).numpy().round(4)
    array([[[0.3333, 1.    , 1.    ]]], dtype=float32)
    """
    batch, restore = _rgb_channels(images, "rgb_to_hsv", data_format)
    red, green, blue = batch[..., 0], batch[..., 1], batch[..., 2]
    value = _ops.reduce_max(batch, axis=-1)
    chroma = value - _ops.reduce_min(batch, axis=-1)
    positive = _ops.greater(value, 0.0)
    saturation = _ops.where(positive, chroma / _ops.where(positive, value, 1.0), 0.0)
    tinted = _ops.greater(chroma, 0.0)
    safe = _ops.where(tinted, chroma, 1.0)
    hue = _ops.where(
        _ops.equal(value, red),
        (green - blue) / safe,
        _ops.where(_ops.equal(value, green), 2.0 + (blue - red) / safe, 4.0 + (red - green) / safe),
    )
    hue = hue / 6.0
    hue = _ops.where(tinted, hue - _ops.floor(hue), 0.0)  # wrapped into [0, 1)
    return restore(_ops.stack([hue, saturation, value], axis=-1))


def hsv_to_rgb(images, data_format=None):
    """Hue, saturation and value (each in ``[0, 1]``) back to RGB. Differentiable.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.image.hsv_to_rgb([[[1 / 3, 1.0, 1.0]]]).numpy().round(4)
    array([[[0., 1., 0.]]], dtype=float32)
    """
    batch, restore = _rgb_channels(images, "hsv_to_rgb", data_format)
    hue, saturation, value = batch[..., 0], batch[..., 1], batch[..., 2]
    # Each channel as a clipped triangle wave of the hue (TensorFlow's and Keras' formula).
    channels = [
        _ops.clip_by_value(_ops.abs(hue * 6.0 - shift) * sign + offset, 0.0, 1.0)
        for shift, sign, offset in ((3.0, 1.0, -1.0), (2.0, -1.0, 2.0), (4.0, -1.0, 2.0))
    ]
    rgb = [((c - 1.0) * saturation + 1.0) * value for c in channels]
    return restore(_ops.stack(rgb, axis=-1))


# --- resizing and resampling ----------------------------------------------------------------------------------
_RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")


def _triangle(x):
    return _np.maximum(0.0, 1.0 - x)


def _keys_cubic(x):
    near = ((1.5 * x - 2.5) * x) * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return _np.where(x >= 2.0, 0.0, _np.where(x >= 1.0, far, near))


def _lanczos(radius):
    def kernel(x):
        with _np.errstate(divide="ignore", invalid="ignore"):
            value = radius * _np.sin(_np.pi * x) * _np.sin(_np.pi * x / radius) / (_np.pi**2 * x**2)
        return _np.where(x > radius, 0.0, _np.where(x > 1e-3, value, 1.0))

    return kernel


# The resampling kernels of JAX's ``scale_and_translate`` (and so of Keras' resize on JAX), by method name.
_KERNELS = {
    "linear": _triangle,
    "bilinear": _triangle,
    "trilinear": _triangle,
    "cubic": _keys_cubic,
    "bicubic": _keys_cubic,
    "tricubic": _keys_cubic,
    "lanczos3": _lanczos(3.0),
    "lanczos5": _lanczos(5.0),
}


def _resampling_weights(input_size, output_size, scale, translation, kernel, antialias):
    """The ``(input_size, output_size)`` matrix whose column ``j`` weighs the input samples that make
    output sample ``j``: the kernel centred on where ``j`` lands in the input (half-pixel centres),
    stretched by ``1 / scale`` when shrinking with ``antialias`` (a low-pass filter), normalised to
    sum to one; an output sample that lands outside the input gets no weight (it reads zero)."""
    # Where each output sample lands, in float32 as JAX computes it: whether a sample that lands
    # exactly on the input's outer edge counts as inside depends on that rounding.
    f32 = _np.float32
    inverse = f32(1.0) / f32(scale)
    stretch = max(float(inverse), 1.0) if antialias else 1.0
    where = (_np.arange(output_size, dtype=f32) + f32(0.5)) * inverse - f32(translation) * inverse - f32(0.5)
    where = where.astype(_np.float64)
    distance = _np.abs(where[None, :] - _np.arange(input_size)[:, None]) / stretch
    weights = kernel(distance)
    total = weights.sum(axis=0, keepdims=True)
    weights = _np.where(_np.abs(total) > 1000.0 * _np.finfo(_np.float32).eps, weights / _np.where(total, total, 1), 0)
    inside = (where >= -0.5) & (where <= input_size - 0.5)
    return _np.where(inside[None, :], weights, 0.0)


def _contract(x, weights, axis):
    """``x`` with its axis ``axis`` replaced by ``weights.T @ x`` along it (differentiable in ``x``)."""
    matrix = Tensor._wrap(xp.asarray(weights.astype(x.dtype)))
    contracted = _ops.tensordot(x, matrix, axes=[[axis], [0]])  # the new axis comes last
    order = list(range(x.ndim - 1))
    order.insert(axis, x.ndim - 1)
    return _ops.transpose(contracted, order)


def _round_back(x, dtype):
    """Float results of integer images rounded and clipped back into ``dtype``, as Keras casts them."""
    if _np.dtype(dtype).kind == "f":
        return x if x.dtype == dtype else _ops.cast(x, dtype)
    values = _np.round(to_numpy(to_array(x)))
    info = _np.iinfo(dtype) if _np.dtype(dtype).kind in "iu" else None
    if info is not None:
        values = _np.clip(values, info.min, info.max)
    return Tensor._wrap(xp.asarray(values.astype(dtype)))


def resize(
    images,
    size,
    interpolation="bilinear",
    antialias=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    fill_mode="constant",
    fill_value=0.0,
    data_format=None,
):
    """Images resized to ``size = (height, width)``, as Keras 3 resizes them (on JAX).

    Pixel centres are aligned (half-pixel centres). Every method but ``"nearest"`` is a
    weighted sum of input pixels along each axis, so gradients flow back to the images.

    Parameters
    ----------
    images : Tensor ``(height, width, channels)`` or ``(batch, height, width, channels)``
        (channels first with ``data_format="channels_first"``).
    size : (int, int)
        The output's height and width.
    interpolation : {"bilinear", "nearest", "bicubic", "lanczos3", "lanczos5"}, default "bilinear"
    antialias : bool, default False
        When shrinking, widen the interpolation kernel by the shrink factor (a low-pass
        filter that averages every input pixel instead of skipping some).
    crop_to_aspect_ratio : bool, default False
        First crop the middle of each image to the target's aspect ratio.
    pad_to_aspect_ratio : bool, default False
        First pad the short side evenly with ``fill_value`` to the target's aspect ratio.
    fill_mode : {"constant"}
        How ``pad_to_aspect_ratio`` fills (Keras supports only ``"constant"``).
    fill_value : float, default 0.0
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor of the images' dtype (integer images are resized in floats and rounded back).

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> keras.ops.image.resize(np.ones((2, 4, 6, 3)), (8, 12)).shape
    TensorShape([2, 8, 12, 3])
    >>> stripes = np.tile([0.0, 1.0], 6).reshape(1, 12, 1)           # one pixel of every three kept...
    >>> keras.ops.image.resize(stripes, (1, 4))[..., 0].numpy()       # ...aliases into coarse stripes
    array([[1., 0., 1., 0.]], dtype=float32)
    >>> keras.ops.image.resize(stripes, (1, 4), antialias=True)[..., 0].numpy().round(2)   # averages
    array([[0.5 , 0.44, 0.56, 0.5 ]], dtype=float32)
    """
    function = "resize"
    if interpolation not in _RESIZE_INTERPOLATIONS:
        raise ValueError(f"{function}: interpolation must be one of {_RESIZE_INTERPOLATIONS}, got {interpolation!r}")
    if fill_mode != "constant":
        raise ValueError(f"{function}: fill_mode must be 'constant' (the only one Keras supports), got {fill_mode!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(f"{function}: only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True")
    if isinstance(size, (int, _np.integer, str)) or len(size) != 2:
        raise ValueError(f"{function}: size must be (height, width), got {size!r}")
    height, width = _ints(size, 2, "size", function)
    batch, restore = _to_batch(images, function, data_format)
    old_height, old_width = batch.shape[1], batch.shape[2]
    if crop_to_aspect_ratio:
        crop_height = max(min(old_height, int(old_width * height / width)), 1)
        crop_width = max(min(old_width, int(old_height * width / height)), 1)
        top, left = (old_height - crop_height) // 2, (old_width - crop_width) // 2
        batch = batch[:, top : top + crop_height, left : left + crop_width, :]
    elif pad_to_aspect_ratio:
        # As Keras: the same number of rows (or columns) on both sides of the short one.
        rows = (max(old_height, int(old_width * height / width)) - old_height) // 2
        columns = (max(old_width, int(old_height * width / height)) - old_width) // 2
        if rows or columns:
            paddings = [[0, 0], [rows, rows], [0, 0] if rows else [columns, columns], [0, 0]]
            batch = _ops.pad(batch, paddings, constant_values=fill_value)
    if interpolation == "nearest":
        for axis, new in ((1, height), (2, width)):
            old = batch.shape[axis]
            if new != old:
                # In float32, as JAX computes them, so the rounding of the indices agrees.
                where = (_np.arange(new, dtype=_np.float32) + _np.float32(0.5)) * _np.float32(old) / _np.float32(new)
                batch = _ops.gather(batch, _np.floor(where).astype(_np.int64), axis=axis)
        return restore(batch)
    resized = _float(batch)
    kernel = _KERNELS[interpolation]
    for axis, new in ((1, height), (2, width)):
        old = resized.shape[axis]
        if new != old:
            resized = _contract(resized, _resampling_weights(old, new, new / old, 0.0, kernel, antialias), axis)
    return restore(_round_back(resized, batch.dtype))


def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method, antialias=True):
    """``images`` resampled to ``output_shape``: an input position ``x`` along ``spatial_dims[i]``
    lands at ``x * scale[i] + translation[i]`` in the output (pixel centres at ``k + 0.5``).

    Keras 3's ``keras.ops.image.scale_and_translate`` (JAX's ``jax.image.scale_and_translate``):
    each output sample is a normalised, kernel-weighted sum of the input samples along each
    spatial axis; one that lands outside the input reads zero. Differentiable with respect
    to ``images``.

    Parameters
    ----------
    images : Tensor of any rank
    output_shape : ints, one per axis of ``images`` (the other axes keep their sizes)
    scale, translation : ``K`` numbers, one per spatial axis
    spatial_dims : ``K`` axes of ``images``
    method : {"linear", "bilinear", "trilinear", "cubic", "bicubic", "tricubic", "lanczos3", "lanczos5"}
        The interpolation kernel: a triangle, the cubic convolution kernel (a = -0.5), or Lanczos of radius 3 or 5.
    antialias : bool, default True
        When shrinking, widen the kernel by ``1 / scale`` (a low-pass filter).

    Returns
    -------
    Tensor of ``output_shape``, floating point.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> images = np.arange(9, dtype="float32").reshape(3, 3)
    >>> scale = np.array([2.0, 2.0], "float32")
    >>> keras.ops.image.scale_and_translate(images, (5, 5), scale, -(scale / 2 - 0.5), (0, 1), "linear")[0].numpy()
    array([0. , 0.5, 1. , 1.5, 2. ], dtype=float32)
    """
    function = "scale_and_translate"
    if method not in _KERNELS:
        raise ValueError(f"{function}: method must be one of {tuple(_KERNELS)}, got {method!r}")
    x = _float(_t(images))
    output_shape = tuple(int(s) for s in output_shape)
    if len(output_shape) != x.ndim:
        raise ValueError(
            f"{function}: output_shape must have one size per axis of images ({x.ndim}), got {output_shape}"
        )
    spatial_dims = [int(d) for d in spatial_dims]
    scale = to_numpy(to_array(scale)).astype(_np.float64).reshape(-1)
    translation = to_numpy(to_array(translation)).astype(_np.float64).reshape(-1)
    if not len(spatial_dims) == len(scale) == len(translation):
        raise ValueError(
            f"{function}: spatial_dims, scale and translation must have the same length, got "
            f"{len(spatial_dims)}, {len(scale)} and {len(translation)}"
        )
    axes = [d % x.ndim if -x.ndim <= d < x.ndim else None for d in spatial_dims]
    if None in axes or len(set(axes)) != len(axes):
        raise ValueError(
            f"{function}: spatial_dims must be distinct axes of images of rank {x.ndim}, got {spatial_dims}"
        )
    for axis in range(x.ndim):
        if axis not in axes and output_shape[axis] != x.shape[axis]:
            raise ValueError(
                f"{function}: axis {axis} is not in spatial_dims, so output_shape must keep its size "
                f"{x.shape[axis]}, got {output_shape[axis]}"
            )
    if any(s == 0 or not _np.isfinite(s) for s in scale):
        raise ValueError(f"{function}: scale must be finite and non-zero, got {scale.tolist()}")
    for axis, s, t in zip(axes, scale, translation):
        weights = _resampling_weights(x.shape[axis], output_shape[axis], s, t, _KERNELS[method], antialias)
        x = _contract(x, weights, axis)
    return x


_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _fix_index(index, size, mode):
    """Where an integer index outside ``[0, size)`` reads, per fill mode (as SciPy's and JAX's samplers)."""
    if mode == "nearest":
        return _np.clip(index, 0, size - 1)
    if mode == "wrap":
        return index % size
    if mode in ("mirror", "reflect"):
        if mode == "reflect":
            return (_fix_index(2 * index + 1, 2 * size + 1, "mirror") - 1) // 2
        half = max(size - 1, 1)
        return _np.abs((index + half) % (2 * half) - half) if size > 1 else _np.zeros_like(index)
    return _np.clip(index, 0, size - 1)  # constant: the read is masked below


def _round_half_away_from_zero(x):
    return _np.sign(x) * _np.floor(_np.abs(x) + 0.5)


def _nodes(coordinate, size, order, mode):
    """The (index, weight, valid) taps of one axis at ``coordinate`` (NumPy, float)."""
    if order == 0:
        taps = [(_round_half_away_from_zero(coordinate).astype(_np.int64), None)]
    else:
        lower = _np.floor(coordinate)
        upper = coordinate - lower
        taps = [(lower.astype(_np.int64), 1 - upper), (lower.astype(_np.int64) + 1, upper)]
    return [
        (_fix_index(index, size, mode), weight, (index >= 0) & (index < size) if mode == "constant" else None)
        for index, weight in taps
    ]


def _sample(x, axes_nodes, fill_value):
    """The weighted sum over every combination of the axes' taps of ``x``'s values (a gather,
    so the gradient flows back to ``x``); a tap outside the image reads ``fill_value``."""
    flat = _ops.reshape(x, [-1])
    steps = _np.cumprod((1,) + tuple(x.shape[:0:-1]))[::-1]
    result = None
    for taps in itertools.product(*axes_nodes):
        index = sum(tap[0] * int(step) for tap, step in zip(taps, steps))
        values = _ops.gather(flat, Tensor._wrap(xp.asarray(index)))
        valid = [tap[2] for tap in taps if tap[2] is not None]
        if valid:
            values = _ops.where(Tensor._wrap(xp.asarray(_np.logical_and.reduce(valid))), values, fill_value)
        weights = [tap[1] for tap in taps if tap[1] is not None]
        if weights:
            values = values * Tensor._wrap(xp.asarray(_np.prod(weights, axis=0).astype(x.dtype)))
        result = values if result is None else result + values
    return result


def _sampled(x, nodes, fill_value):
    """``x`` sampled at the taps ``nodes``; an integer ``x`` is sampled in floats and rounded back."""
    if x.dtype.kind == "f":
        return _sample(x, nodes, fill_value)
    result = to_numpy(to_array(_sample(_ops.cast(x, floatx()), nodes, fill_value)))
    return Tensor._wrap(xp.asarray(_round_half_away_from_zero(result).astype(x.dtype)))


def _check_sampling(order, fill_mode, function, name="order"):
    if order not in (0, 1):
        raise ValueError(f"{function}: {name} must be 0 (nearest) or 1 (linear), got {order!r}")
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"{function}: fill_mode must be one of {_FILL_MODES}, got {fill_mode!r}")


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """``inputs`` sampled at ``coordinates`` (one array per axis of ``inputs``), as
    ``scipy.ndimage.map_coordinates`` with ``order`` 0 (nearest) or 1 (linear).

    Differentiable with respect to ``inputs``.

    Parameters
    ----------
    inputs : Tensor of any rank ``d``
    coordinates : ``d`` arrays of one shape (or an array ``(d, ...)``), the positions to read
    order : {0, 1}
    fill_mode : {"constant", "nearest", "wrap", "mirror", "reflect"}
        How positions outside ``inputs`` read: ``fill_value``, the edge, the other side,
        a mirror about the edge pixels' centres, a mirror about their outer edges.
    fill_value : float
        The value read outside with ``fill_mode="constant"``.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.image.map_coordinates([1.0, 2.0, 4.0], [[0.5, 1.5, 2.5]], order=1).numpy()
    array([1.5, 3. , 2. ], dtype=float32)
    """
    function = "map_coordinates"
    _check_sampling(order, fill_mode, function)
    x = _t(inputs)
    coordinates = [to_numpy(to_array(c)).astype(_np.float64) for c in coordinates]
    if len(coordinates) != x.ndim:
        raise ValueError(f"{function}: need one coordinate array per axis of inputs ({x.ndim}), got {len(coordinates)}")
    coordinates = _np.broadcast_arrays(*coordinates)
    nodes = [_nodes(c, size, order, fill_mode) for c, size in zip(coordinates, x.shape)]
    return _sampled(x, nodes, fill_value)


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0, data_format=None):
    """Images under the affine map ``transform = [a0, a1, a2, b0, b1, b2, c0, c1]`` (one, or one per image).

    Output pixel ``(x, y)`` reads the input at ``x' = a0 x + a1 y + a2``, ``y' = b0 x + b1 y + b2``
    (Keras 3's layout, the one ``RandomRotation`` and friends build; ``c0, c1`` are
    normally 0). Differentiable with respect to the images.

    Parameters
    ----------
    images : Tensor ``(height, width, channels)`` or a batch (channels first with ``data_format``)
    transform : 8 numbers, or ``(batch, 8)``
    interpolation : {"bilinear", "nearest"}
    fill_mode : {"constant", "nearest", "wrap", "mirror", "reflect"}
    fill_value : float
        What ``fill_mode="constant"`` reads outside the image.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> image = np.arange(9, dtype="float32").reshape(3, 3, 1)
    >>> shift_left = [1, 0, 1, 0, 1, 0, 0, 0]        # x' = x + 1
    >>> keras.ops.image.affine_transform(image, shift_left)[..., 0].numpy()
    array([[1., 2., 0.],
           [4., 5., 0.],
           [7., 8., 0.]], dtype=float32)
    """
    function = "affine_transform"
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"{function}: interpolation must be 'nearest' or 'bilinear', got {interpolation!r}")
    _check_sampling(0, fill_mode, function)
    batch, restore = _to_batch(images, function, data_format)
    transform = to_numpy(to_array(transform))
    transform = transform.astype(transform.dtype if transform.dtype.kind == "f" else floatx())
    if transform.ndim not in (1, 2) or transform.shape[-1] != 8:
        raise ValueError(f"{function}: transform must have shape (8,) or (batch, 8), got {transform.shape}")
    n, height, width, channels = batch.shape
    transform = _np.broadcast_to(transform.reshape(-1, 8), (n, 8))
    a0, a1, a2, b0, b1, b2, c0, c1 = (transform[:, i].reshape(-1, 1, 1, 1) for i in range(8))
    channel = _np.arange(channels)
    y, x, c = (
        axis.astype(transform.dtype)
        for axis in _np.meshgrid(_np.arange(height), _np.arange(width), channel, indexing="ij")
    )
    # As Keras 3 computes them, in the transform's precision (its c0, c1 terms scale the channel index).
    rows = (y * b1 + x * b0 + c * c0) + b2
    columns = (y * a1 + x * a0 + c * c1) + a2
    order = 0 if interpolation == "nearest" else 1
    exact = [(_np.broadcast_to(_np.arange(n).reshape(-1, 1, 1, 1), rows.shape), None, None)]
    nodes = [exact, _nodes(rows, height, order, fill_mode), _nodes(columns, width, order, fill_mode)]
    nodes.append([(_np.broadcast_to(channel, rows.shape), None, None)])
    return restore(_sampled(batch, nodes, fill_value))


def _homographies(start_points, end_points, function):
    """The 8 numbers ``h`` of each perspective map that takes an end point ``(x, y)`` to its start
    point ``((h0 x + h1 y + h2) / d, (h3 x + h4 y + h5) / d)`` with ``d = h6 x + h7 y + 1``:
    two linear equations per pair of corners, solved in float32 as Keras does."""
    start = _np.asarray(start_points, _np.float32)
    end = _np.asarray(end_points, _np.float32)
    sx, sy, ex, ey = start[..., 0], start[..., 1], end[..., 0], end[..., 1]
    zeros, ones = _np.zeros_like(ex), _np.ones_like(ex)
    x_rows = _np.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], axis=-1)
    y_rows = _np.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], axis=-1)
    system = _np.concatenate([x_rows, y_rows], axis=1)
    targets = _np.concatenate([sx, sy], axis=-1)[..., None]
    try:
        return _np.linalg.solve(system, targets)[..., 0]
    except _np.linalg.LinAlgError:
        raise ValueError(
            f"{function}: the points do not define a perspective transform (three of them lie on a line)"
        ) from None


def _corner_points(points, name, function):
    points = to_numpy(to_array(points))
    if points.ndim not in (2, 3) or points.shape[-2:] != (4, 2):
        raise ValueError(
            f"{function}: {name} must have shape (4, 2) for one image or (batch, 4, 2), got {points.shape}"
        )
    return points.reshape(-1, 4, 2)


def perspective_transform(images, start_points, end_points, interpolation="bilinear", fill_value=0, data_format=None):
    """Images seen in perspective: the four ``start_points`` of each image move to ``end_points``.

    Keras 3's ``keras.ops.image.perspective_transform``. Each output pixel ``(x, y)`` reads the
    input where the perspective map from ``end_points`` to ``start_points`` sends it (points
    are ``(x, y)``, in pixels); points outside the image read ``fill_value``. Differentiable
    with respect to the images.

    Parameters
    ----------
    images : Tensor ``(height, width, channels)`` or a batch (channels first with ``data_format``)
    start_points, end_points : ``(4, 2)`` or ``(batch, 4, 2)``
        Corresponding points before and after the transformation.
    interpolation : {"bilinear", "nearest"}, default "bilinear"
    fill_value : float, default 0
    data_format : {"channels_last", "channels_first"}, optional

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> image = np.arange(16, dtype="float32").reshape(4, 4, 1)
    >>> corners = np.array([[0, 0], [3, 0], [0, 3], [3, 3]], "float32")
    >>> moved = keras.ops.image.perspective_transform(image, corners, corners + [1, 0])   # one pixel right
    >>> moved[..., 0].numpy()[0]
    array([0., 0., 1., 2.], dtype=float32)
    """
    function = "perspective_transform"
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"{function}: interpolation must be 'nearest' or 'bilinear', got {interpolation!r}")
    start = _corner_points(start_points, "start_points", function)
    end = _corner_points(end_points, "end_points", function)
    if _np.shape(start_points) != _np.shape(end_points):
        raise ValueError(
            f"{function}: start_points and end_points must have the same shape, got "
            f"{_np.shape(start_points)} and {_np.shape(end_points)}"
        )
    batch, restore = _to_batch(images, function, data_format)
    n, height, width, channels = batch.shape
    if len(start) not in (1, n):
        raise ValueError(f"{function}: got {len(start)} sets of points for a batch of {n} images")
    h = _np.broadcast_to(_homographies(start, end, function), (n, 8)).astype(_np.float32)
    h0, h1, h2, h3, h4, h5, h6, h7 = (h[:, i].reshape(-1, 1, 1, 1) for i in range(8))
    y, x, c = _np.meshgrid(_np.arange(height), _np.arange(width), _np.arange(channels), indexing="ij")
    x, y = x.astype(_np.float32), y.astype(_np.float32)
    denominator = h6 * x + h7 * y + 1.0
    columns = (h0 * x + h1 * y + h2) / denominator
    rows = (h3 * x + h4 * y + h5) / denominator
    order = 0 if interpolation == "nearest" else 1
    nodes = [
        [(_np.broadcast_to(_np.arange(n).reshape(-1, 1, 1, 1), rows.shape), None, None)],
        _nodes(rows, height, order, "constant"),
        _nodes(columns, width, order, "constant"),
        [(_np.broadcast_to(c, rows.shape), None, None)],
    ]
    return restore(_sampled(batch, nodes, fill_value))


# --- filters -------------------------------------------------------------------------------------------------
def _gaussian_taps(size, sigma):
    """A 1-D Gaussian of ``size`` taps centred on the middle, normalised to sum to one."""
    x = _np.arange(size) - (size - 1) / 2
    taps = _np.exp(-0.5 * (x / sigma) ** 2)
    return taps / taps.sum()


def _correlate(batch, taps, axis, padding="same"):
    """``batch`` (channels last) correlated with the 1-D ``taps`` along ``axis``, each channel on
    its own: a sum of shifted slices, so the gradient flows back. ``"same"`` pads with zeros
    (one more after than before for an even kernel, as a convolution pads), ``"valid"`` not."""
    k = len(taps)
    if padding == "same":
        paddings = [[0, 0]] * batch.ndim
        paddings[axis] = [(k - 1) // 2, k // 2]
        batch = _ops.pad(batch, paddings)
    length = batch.shape[axis] - k + 1
    result = None
    for offset, weight in enumerate(_np.asarray(taps, batch.dtype)):
        if weight == 0:
            continue
        index = [slice(None)] * batch.ndim
        index[axis] = slice(offset, offset + length)
        term = batch[tuple(index)] * weight
        result = term if result is None else result + term
    return result


def _positive_floats(value, name, function):
    values = [value, value] if _np.ndim(value) == 0 else list(_np.asarray(value).reshape(-1))
    try:
        values = [float(v) for v in values]
    except (TypeError, ValueError):
        values = []
    if len(values) != 2 or not all(v > 0 and _np.isfinite(v) for v in values):
        raise ValueError(f"{function}: {name} must be a positive number or two of them, got {value!r}")
    return values


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Images blurred with a Gaussian kernel, each channel on its own (zeros beyond the edges).

    Keras 3's ``keras.ops.image.gaussian_blur``. As Keras computes it, the kernel's rows are
    ``kernel_size[1]`` taps of standard deviation ``sigma[1]`` and its columns
    ``kernel_size[0]`` taps of ``sigma[0]`` (the same for square kernels). The output keeps the
    images' shape; integer images are blurred in floats and rounded back. Differentiable.

    Parameters
    ----------
    images : Tensor ``(height, width, channels)`` or a batch (channels first with ``data_format``)
    kernel_size : int or (int, int), default (3, 3)
    sigma : float or (float, float), default (1.0, 1.0)
        The standard deviations, in pixels.
    data_format : {"channels_last", "channels_first"}, optional

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> dot = np.zeros((5, 5, 1), "float32")
    >>> dot[2, 2] = 1.0
    >>> keras.ops.image.gaussian_blur(dot, kernel_size=3, sigma=1.0)[1:4, 1:4, 0].numpy().round(3)
    array([[0.075, 0.124, 0.075],
           [0.124, 0.204, 0.124],
           [0.075, 0.124, 0.075]], dtype=float32)
    """
    function = "gaussian_blur"
    size_x, size_y = _ints(kernel_size, 2, "kernel_size", function)
    sigma_x, sigma_y = _positive_floats(sigma, "sigma", function)
    batch, restore = _to_batch(images, function, data_format)
    blurred = _correlate(_float(batch), _gaussian_taps(size_y, sigma_y), axis=1)
    blurred = _correlate(blurred, _gaussian_taps(size_x, sigma_x), axis=2)
    return restore(_round_back(blurred, batch.dtype))


def sobel_edges(images, data_format=None):
    """The Sobel gradients of a batch of images: ``[..., 0]`` down the rows, ``[..., 1]`` along the columns.

    Keras 3's ``keras.ops.image.sobel_edges``: each channel correlated with the 3x3 Sobel
    kernels (zeros beyond the edges). Integer images are filtered in floats. Differentiable.

    Parameters
    ----------
    images : Tensor ``(batch, height, width, channels)`` (``(batch, channels, height, width)``
        with ``data_format="channels_first"``)
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor of the images' shape plus a last axis of 2: ``[dy, dx]``.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> image = np.zeros((1, 4, 4, 1), "float32")
    >>> image[0, :, 2:, 0] = 1.0                    # a vertical edge (and zeros beyond the image)
    >>> keras.ops.image.sobel_edges(image)[0, 1, :, 0].numpy()   # dy, dx on one row
    array([[ 0.,  0.],
           [ 0.,  4.],
           [ 0.,  4.],
           [ 0., -4.]], dtype=float32)
    """
    function = "sobel_edges"
    if _t(images).ndim != 4:
        raise ValueError(f"{function}: expected a batch of images of rank 4, got shape {tuple(_t(images).shape)}")
    batch, restore = _to_batch(images, function, data_format)
    batch = _float(batch)
    derivative, smooth = _np.array([-1.0, 0.0, 1.0]), _np.array([1.0, 2.0, 1.0])
    dy = _correlate(_correlate(batch, derivative, axis=1), smooth, axis=2)
    dx = _correlate(_correlate(batch, smooth, axis=1), derivative, axis=2)
    return _ops.stack([restore(dy), restore(dx)], axis=-1)


def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03, data_format=None):
    """The structural similarity (SSIM) of two images, or of each pair of two batches.

    Keras 3's ``keras.ops.image.ssim``, the structural-similarity index: local means, variances and
    covariance under a ``filter_size`` Gaussian window (inside the image only), combined as
    ``(2 m1 m2 + c1)(2 s12 + c2) / ((m1² + m2² + c1)(s1² + s2² + c2))`` with
    ``c1 = (k1 max_val)²``, ``c2 = (k2 max_val)²``, averaged over the positions and channels.
    1 for identical images. Differentiable (a loss for image models).

    Parameters
    ----------
    image1, image2 : Tensors of one shape, ``(height, width, channels)`` or a batch
    max_val : float, default 1.0
        The range of the pixel values (255 for bytes).
    filter_size : int, default 11
    filter_sigma : float, default 1.5
    k1, k2 : float, default 0.01 and 0.03
    data_format : {"channels_last", "channels_first"}, optional

    Returns
    -------
    Tensor: one number per pair of images ``(batch,)``, or a scalar for two single images;
    float (integer images give float32).

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> image = np.random.default_rng(0).uniform(size=(16, 16, 3)).astype("float32")
    >>> float(keras.ops.image.ssim(image, image))
    1.0
    >>> float(keras.ops.image.ssim(image, 1 - image)) < 0
    True
    """
    function = "ssim"
    first, _ = _to_batch(image1, function, data_format, what="image1")
    second, _ = _to_batch(image2, function, data_format, what="image2")
    if tuple(first.shape) != tuple(second.shape) or _t(image1).ndim != _t(image2).ndim:
        raise ValueError(
            f"{function}: image1 and image2 must have the same shape, got {tuple(_t(image1).shape)} "
            f"and {tuple(_t(image2).shape)}"
        )
    (size,) = _ints(filter_size, 1, "filter_size", function)
    if size > min(first.shape[1], first.shape[2]):
        raise ValueError(
            f"{function}: filter_size {size} is larger than the images ({first.shape[1]}x{first.shape[2]})"
        )
    sigma = _positive_floats(filter_sigma, "filter_sigma", function)[0]
    taps = _gaussian_taps(size, sigma)

    def local_mean(x):
        return _correlate(_correlate(x, taps, axis=1, padding="valid"), taps, axis=2, padding="valid")

    first, second = _float(first), _float(second)
    dtype = _np.promote_types(first.dtype, second.dtype)
    first, second = (x if x.dtype == dtype else _ops.cast(x, dtype) for x in (first, second))
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mean1, mean2 = local_mean(first), local_mean(second)
    variance1 = local_mean(first * first) - mean1 * mean1
    variance2 = local_mean(second * second) - mean2 * mean2
    covariance = local_mean(first * second) - mean1 * mean2
    numerator = (2.0 * mean1 * mean2 + c1) * (2.0 * covariance + c2)
    denominator = (mean1 * mean1 + mean2 * mean2 + c1) * (variance1 + variance2 + c2)
    per_image = _ops.reduce_mean(numerator / denominator, axis=[1, 2, 3])
    return per_image[0] if _t(image1).ndim == 3 else per_image


# --- random deformations -------------------------------------------------------------------------------------
def _elastic(batch, noise_x, noise_y, alpha, sigma, interpolation, fill_mode, fill_value):
    """A channels-last batch deformed by the displacement fields that the standard-normal
    ``noise_x``, ``noise_y`` (each ``(batch, height, width)``) become: scaled by ``sigma``,
    smoothed by a Gaussian of ``sigma`` (zeros beyond the edges), scaled by ``alpha``."""
    n, height, width, channels = batch.shape
    dtype = batch.dtype if batch.dtype.kind == "f" else _np.dtype(floatx())
    size = int(6 * sigma) | 1
    taps = _gaussian_taps(size, sigma)

    def smooth(noise):
        field = Tensor._wrap(xp.asarray((_np.asarray(noise, dtype) * dtype.type(sigma))[..., None]))
        field = _correlate(_correlate(field, taps, axis=1), taps, axis=2)
        return to_numpy(to_array(field))  # (n, height, width, 1)

    y, x, c = _np.meshgrid(_np.arange(height), _np.arange(width), _np.arange(channels), indexing="ij")
    rows = y.astype(dtype) + dtype.type(alpha) * smooth(noise_y)
    columns = x.astype(dtype) + dtype.type(alpha) * smooth(noise_x)
    order = 0 if interpolation == "nearest" else 1
    nodes = [
        [(_np.broadcast_to(_np.arange(n).reshape(-1, 1, 1, 1), rows.shape), None, None)],
        _nodes(rows, height, order, fill_mode),
        _nodes(columns, width, order, fill_mode),
        [(_np.broadcast_to(c, rows.shape), None, None)],
    ]
    return _sampled(batch, nodes, fill_value)


def _check_elastic(alpha, sigma, interpolation, fill_mode, function):
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"{function}: interpolation must be 'nearest' or 'bilinear', got {interpolation!r}")
    _check_sampling(0, fill_mode, function)
    alpha, sigma = float(to_numpy(to_array(alpha))), float(to_numpy(to_array(sigma)))
    if not (_np.isfinite(sigma) and sigma > 0):
        raise ValueError(f"{function}: sigma must be a positive number, got {sigma!r}")
    if not _np.isfinite(alpha):
        raise ValueError(f"{function}: alpha must be a finite number, got {alpha!r}")
    return alpha, sigma


def elastic_transform(
    images,
    alpha=20.0,
    sigma=5.0,
    interpolation="bilinear",
    fill_mode="reflect",
    fill_value=0.0,
    seed=None,
    data_format=None,
):
    """Images deformed elastically by a random, smooth displacement of every pixel.

    Keras 3's ``keras.ops.image.elastic_transform``. Two fields of standard-normal noise per
    image, times ``sigma``, are smoothed by a Gaussian of ``sigma`` pixels (``int(6 sigma) | 1``
    taps) and scaled by ``alpha``: output pixel ``(x, y)`` reads the input at ``(x + alpha dx,
    y + alpha dy)``; points outside are filled by ``fill_mode``. Differentiable with respect to
    the images. The noise comes from learnet's generator, so the same ``seed`` gives the same
    deformation here but not Keras' (JAX's random bits differ; Keras on JAX also draws ``dx``
    and ``dy`` from one key, so they are equal there, and independent here as in its NumPy
    backend).

    Parameters
    ----------
    images : Tensor ``(height, width, channels)`` or a batch (channels first with ``data_format``)
    alpha : float, default 20.0
        The strength of the displacement.
    sigma : float, default 5.0
        The smoothness of the displacement (the Gaussian's standard deviation, in pixels).
    interpolation : {"bilinear", "nearest"}, default "bilinear"
    fill_mode : {"reflect", "constant", "nearest", "wrap", "mirror"}, default "reflect"
    fill_value : float, default 0.0
    seed : int or keras.random.SeedGenerator, optional
    data_format : {"channels_last", "channels_first"}, optional

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> images = np.random.default_rng(0).uniform(size=(2, 16, 16, 3)).astype("float32")
    >>> keras.ops.image.elastic_transform(images, alpha=4.0, sigma=2.0, seed=1).shape
    TensorShape([2, 16, 16, 3])
    >>> keras.ops.image.elastic_transform(images, alpha=0.0, seed=1).numpy().tolist() == images.tolist()
    True
    """
    from learnet import random as _random

    function = "elastic_transform"
    alpha, sigma = _check_elastic(alpha, sigma, interpolation, fill_mode, function)
    batch, restore = _to_batch(images, function, data_format)
    n, height, width, _ = batch.shape
    noise = to_numpy(to_array(_random.normal((2, n, height, width), seed=seed, dtype="float64")))
    return restore(_elastic(batch, noise[0], noise[1], alpha, sigma, interpolation, fill_mode, fill_value))
