"""``keras.ops.image``: Keras 3's image operations on learnet tensors.

``import learnet as keras`` makes ``keras.ops.image`` this module (and so does
``from learnet import ops; ops.image``). Every function takes one image ``(height, width,
channels)`` or a batch ``(batch, height, width, channels)``, or, with
``data_format="channels_first"``, ``(channels, height, width)`` and ``(batch, channels,
height, width)``, and keeps that rank. Where TensorFlow's ``tf.image`` (``learnet.image``)
already computes the same thing, these call it.

Patches, padding, cropping, grayscale, colour spaces and the samplers
(``affine_transform``, ``map_coordinates``) are written with learnet ops, so gradients
flow back to the images; ``resize`` has none.

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
    "extract_patches",
    "extract_patches_3d",
    "hsv_to_rgb",
    "map_coordinates",
    "pad_images",
    "resize",
    "rgb_to_grayscale",
    "rgb_to_hsv",
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
    """Images resized to ``size = (height, width)`` by ``"bilinear"`` or ``"nearest"`` sampling.

    Pixel centres are aligned as in Keras 3 (half-pixel centres). ``crop_to_aspect_ratio``
    first crops the middle of each image to the target's aspect ratio. No gradient.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> keras.ops.image.resize(np.ones((2, 4, 6, 3)), (8, 12)).shape
    TensorShape([2, 8, 12, 3])
    """
    from learnet.layers.augmentation import Resizing

    function = "resize"
    if interpolation not in ("bilinear", "nearest"):
        raise ValueError(f"{function}: interpolation must be 'bilinear' or 'nearest', got {interpolation!r}")
    if pad_to_aspect_ratio:
        raise NotImplementedError(f"{function}: pad_to_aspect_ratio=True is not supported")
    if fill_mode != "constant":
        raise ValueError(f"{function}: fill_mode must be 'constant', got {fill_mode!r}")
    if len(size) != 2:
        raise ValueError(f"{function}: size must be (height, width), got {size!r}")
    batch, restore = _to_batch(images, function, data_format)
    height, width = (int(s) for s in size)
    if antialias and (height < batch.shape[1] or width < batch.shape[2]):
        raise NotImplementedError(f"{function}: antialias=True when shrinking images is not supported")
    source = batch if interpolation == "nearest" else _float(batch)
    return restore(
        Resizing(height, width, interpolation=interpolation, crop_to_aspect_ratio=crop_to_aspect_ratio)(source)
    )


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
