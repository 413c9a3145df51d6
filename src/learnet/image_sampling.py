"""``tf.image``'s samplers: patches, crops of boxes resized to one size, and resizing with padding.

Re-exported by :mod:`learnet.image`. Each one reads pixels by slicing and indexing and mixes
them with constant weights, all with learnet ops, so gradients flow back to the image
(``crop_and_resize`` to the image, not to the boxes).

Examples
--------
>>> import numpy as np, learnet as tf
>>> image = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
>>> tf.image.extract_patches(image, [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID")[0, 0, 0].numpy()
array([0., 1., 4., 5.], dtype=float32)
>>> tf.image.crop_and_resize(image, [[0.0, 0.0, 1.0, 1.0]], [0], (2, 2))[0, :, :, 0].numpy()
array([[ 0.,  3.],
       [12., 15.]], dtype=float32)
"""

import importlib
import itertools

import numpy

from learnet import errors
from learnet.backend import floatx, xp
from learnet.tensor import Tensor, convert_to_tensor

_ops = importlib.import_module("learnet.ops")

__all__ = ["crop_and_resize", "extract_patches", "resize_with_pad"]

# The methods of ``tf.image.resize`` (``tf.image.ResizeMethod``'s values).
RESIZE_METHODS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")


def __dir__():
    return sorted(__all__)


def _tensor(value):
    return value if isinstance(value, Tensor) else convert_to_tensor(value)


def _constant(array, dtype):
    return Tensor._wrap(xp.asarray(array, dtype=dtype))


def _float(image):
    return image if image.dtype.kind == "f" else _ops.cast(image, floatx())


def _four(value, name, function):
    """``[1, a, b, 1]`` (TensorFlow's layout of sizes, strides and rates) -> ``(a, b)``."""
    try:
        numbers = [int(v) for v in (value.numpy().tolist() if isinstance(value, Tensor) else value)]
    except (TypeError, ValueError):
        numbers = []
    if len(numbers) != 4 or numbers[0] != 1 or numbers[3] != 1 or min(numbers) < 1:
        raise ValueError(f"{function}: {name} must be 4 positive ints [1, rows, cols, 1], got {value!r}")
    return numbers[1], numbers[2]


# --- patches ----------------------------------------------------------------------------------------------
def extract_patches(images, sizes, strides, rates, padding, name=None):
    """The patches of each image, every ``strides`` pixels, each flattened along the channels.

    ``tf.image.extract_patches``: the arguments use TensorFlow's 4-entry layout ``[1, rows,
    cols, 1]``. Differentiable.

    Parameters
    ----------
    images : Tensor ``(batch, height, width, depth)``
    sizes : [1, size_rows, size_cols, 1]
        The patch's height and width.
    strides : [1, stride_rows, stride_cols, 1]
        The step between the top-left corners of two patches.
    rates : [1, rate_rows, rate_cols, 1]
        The step between two pixels of one patch (dilation).
    padding : {"VALID", "SAME"}
        ``"VALID"`` keeps the patches inside the image; ``"SAME"`` pads with zeros, to
        ``ceil(height / stride_rows)`` x ``ceil(width / stride_cols)`` patches.

    Returns
    -------
    Tensor ``(batch, out_rows, out_cols, size_rows * size_cols * depth)``, each patch in
    (row, column, channel) order.

    Examples
    --------
    >>> import numpy as np, learnet as tf
    >>> images = np.arange(2 * 6 * 6 * 3, dtype="float32").reshape(2, 6, 6, 3)
    >>> tf.image.extract_patches(images, [1, 3, 3, 1], [1, 3, 3, 1], [1, 1, 1, 1], "VALID").shape
    TensorShape([2, 2, 2, 27])
    >>> tf.image.extract_patches(images, [1, 3, 3, 1], [1, 1, 1, 1], [1, 2, 2, 1], "SAME").shape
    TensorShape([2, 6, 6, 27])
    """
    function = "extract_patches"
    images = _tensor(images)
    if images.ndim != 4:
        raise ValueError(f"{function} expects images (batch, height, width, depth), got shape {tuple(images.shape)}")
    size = _four(sizes, "sizes", function)
    step = _four(strides, "strides", function)
    rate = _four(rates, "rates", function)
    if not isinstance(padding, str) or padding.upper() not in ("VALID", "SAME"):
        raise ValueError(f"{function}: padding must be 'VALID' or 'SAME', got {padding!r}")
    outs, pads = [], []
    for length, k, s, r in zip(images.shape[1:3], size, step, rate):
        window = (k - 1) * r + 1
        if padding.upper() == "SAME":
            out = -(-length // s)
            total = max((out - 1) * s + window - length, 0)
            pads.append([total // 2, total - total // 2])
        else:
            out = max((length - window) // s + 1, 0)
            pads.append([0, 0])
        outs.append(out)
    if any(before or after for before, after in pads):
        images = _ops.pad(images, [[0, 0], *pads, [0, 0]])
    batch = images.shape[0]
    if min(outs) == 0:
        return _ops.zeros((batch, outs[0], outs[1], size[0] * size[1] * images.shape[-1]), dtype=images.dtype)
    # One strided slice per pixel of the patch, stacked before the channels.
    pieces = [
        images[
            :,
            i * rate[0] : i * rate[0] + (outs[0] - 1) * step[0] + 1 : step[0],
            j * rate[1] : j * rate[1] + (outs[1] - 1) * step[1] + 1 : step[1],
        ]
        for i, j in itertools.product(range(size[0]), range(size[1]))
    ]
    return _ops.reshape(_ops.stack(pieces, axis=-2), [batch, outs[0], outs[1], -1])


# --- crops of boxes ---------------------------------------------------------------------------------------
def _box_coordinates(starts, ends, size, steps):
    """Where each of ``steps`` samples of each box falls in pixels (float32, as TensorFlow computes it)."""
    last = numpy.float32(size - 1)
    if steps > 1:
        scale = (ends - starts) * last / numpy.float32(steps - 1)
        return starts[:, None] * last + numpy.arange(steps, dtype=numpy.float32)[None, :] * scale[:, None]
    return (0.5 * (starts + ends) * last)[:, None].astype(numpy.float32)


def crop_and_resize(image, boxes, box_indices, crop_size, method="bilinear", extrapolation_value=0.0, name=None):
    """Crops of the boxes, each resized to ``crop_size``: ``(num_boxes, crop_height, crop_width, depth)``.

    Box ``i`` is ``boxes[i] = [y1, x1, y2, x2]`` in normalised coordinates (0 is the first
    pixel, 1 the last) of image ``box_indices[i]``. Samples are spread evenly from corner to
    corner of the box (a box ``[0, 0, 1, 1]`` resizes the whole image with corners aligned);
    ``y1 > y2`` flips the crop; samples outside the image take ``extrapolation_value``.
    Differentiable with respect to the image.

    Parameters
    ----------
    image : Tensor ``(batch, height, width, depth)``
    boxes : array_like ``(num_boxes, 4)``
    box_indices : array_like of int ``(num_boxes,)``, in ``[0, batch)``
    crop_size : (crop_height, crop_width)
    method : {"bilinear", "nearest"}
    extrapolation_value : float, default 0.0

    Returns
    -------
    Tensor of floats (integer images become ``float32``).

    Examples
    --------
    >>> import numpy as np, learnet as tf
    >>> image = np.arange(0, 18, 2, dtype="float32").reshape(1, 3, 3, 1)
    >>> tf.image.crop_and_resize(image, [[0.5, 0.5, 1.0, 1.0]], [0], [3, 3])[0, :, :, 0].numpy()
    array([[ 8.,  9., 10.],
           [11., 12., 13.],
           [14., 15., 16.]], dtype=float32)
    """
    function = "crop_and_resize"
    image = _tensor(image)
    if image.ndim != 4:
        raise ValueError(f"{function} expects an image batch (batch, height, width, depth), got {tuple(image.shape)}")
    batch, height, width, _ = image.shape
    if height < 1 or width < 1:
        raise errors.InvalidArgumentError(
            None, None, f"{function}: image dimensions must be positive, got {image.shape}"
        )
    boxes = numpy.asarray(boxes.numpy() if isinstance(boxes, Tensor) else boxes, dtype=numpy.float32)
    indices = numpy.asarray(box_indices.numpy() if isinstance(box_indices, Tensor) else box_indices)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{function}: boxes must have shape (num_boxes, 4), got {boxes.shape}")
    if indices.shape != (boxes.shape[0],) or (indices.size and indices.dtype.kind not in "iu"):
        raise ValueError(
            f"{function}: box_indices must be {boxes.shape[0]} ints (one per box), got shape {indices.shape}"
        )
    indices = indices.astype(numpy.int64)
    if indices.size and (indices.min() < 0 or indices.max() >= batch):
        raise errors.InvalidArgumentError(
            None, None, f"{function}: box_indices must lie in [0, {batch}), got {indices.tolist()}"
        )
    crop = [int(v) for v in (crop_size.numpy().tolist() if isinstance(crop_size, Tensor) else crop_size)]
    if len(crop) != 2 or min(crop) < 1:
        raise ValueError(f"{function}: crop_size must be two positive ints, got {crop_size!r}")
    if method not in ("bilinear", "nearest"):
        raise ValueError(f"{function}: method must be 'bilinear' or 'nearest', got {method!r}")
    image = _float(image)

    ys = _box_coordinates(boxes[:, 0], boxes[:, 2], height, crop[0])  # (num_boxes, crop_height)
    xs = _box_coordinates(boxes[:, 1], boxes[:, 3], width, crop[1])  # (num_boxes, crop_width)
    inside = ((ys >= 0) & (ys <= height - 1))[:, :, None] & ((xs >= 0) & (xs <= width - 1))[:, None, :]
    which = indices[:, None, None]

    def pick(rows, columns):  # (num_boxes, crop_height, crop_width, depth)
        rows = numpy.clip(rows, 0, height - 1).astype(numpy.int64)[:, :, None]
        columns = numpy.clip(columns, 0, width - 1).astype(numpy.int64)[:, None, :]
        return image[which, rows, columns]

    if method == "nearest":
        # C's roundf: halves away from zero.
        crops = pick(
            numpy.sign(ys) * numpy.floor(numpy.abs(ys) + 0.5), numpy.sign(xs) * numpy.floor(numpy.abs(xs) + 0.5)
        )
    else:
        top, left = numpy.floor(ys), numpy.floor(xs)
        down = _constant((ys - top)[:, :, None, None], image.dtype)
        right = _constant((xs - left)[:, None, :, None], image.dtype)
        upper = pick(top, left) + (pick(top, numpy.ceil(xs)) - pick(top, left)) * right
        lower = pick(numpy.ceil(ys), left) + (pick(numpy.ceil(ys), numpy.ceil(xs)) - pick(numpy.ceil(ys), left)) * right
        crops = upper + (lower - upper) * down
    if inside.all():
        return crops
    fill = _constant(numpy.full((), extrapolation_value), image.dtype)
    return _ops.where(_constant(inside[..., None], bool), crops, fill)


# --- resizing: one weight matrix per axis ------------------------------------------------------------------
# Every method but "nearest" makes each output row (then each output column) a weighted sum of
# input rows: one (old, new) matrix per axis, applied with tensordot, so gradients flow back to
# the images. The kernels shared with keras.ops.image.resize (triangle, cubic convolution with a = -0.5, Lanczos)
# and the weights of a scale-and-translate come from keras_ops_image; TensorFlow adds two kernels.


def _gaussian(x):
    """TensorFlow's Gaussian resampling kernel: radius 1.5 pixels, sigma = radius / 3."""
    return numpy.where(x >= 1.5, 0.0, numpy.exp(-(x * x) / (2.0 * 0.5**2)))


def _mitchell_cubic(x):
    """The Mitchell-Netravali cubic (B = C = 1/3): smooth, slightly blurring."""
    near = ((7.0 / 6.0 * x - 2.0) * x) * x + 8.0 / 9.0
    far = ((-7.0 / 18.0 * x + 2.0) * x - 10.0 / 3.0) * x + 16.0 / 9.0
    return numpy.where(x >= 2.0, 0.0, numpy.where(x >= 1.0, far, near))


def _area_weights(old, new):
    """Box averaging (``"area"``): output pixel ``j`` covers input span ``[j s, (j + 1) s)``, ``s = old / new``,
    and averages the input pixels by how much of each the span overlaps (float32, as TensorFlow)."""
    scale = numpy.float32(old) / numpy.float32(new)
    starts = numpy.arange(new, dtype=numpy.float32) * scale
    ends = numpy.arange(1, new + 1, dtype=numpy.float32) * scale
    pixels = numpy.arange(old, dtype=numpy.float32)[:, None]
    overlap = numpy.minimum(pixels + 1, ends[None, :]) - numpy.maximum(pixels, starts[None, :])
    return numpy.maximum(overlap, 0.0).astype(numpy.float64) / float(scale)


def _bicubic_weights(old, new, kernel):
    """Bicubic interpolation (no antialias) as TensorFlow's kernel computes it: the four pixels around
    each sample, weighed by the cubic convolution kernel (a = -0.5) at the sample's offset rounded to 1/1024 of a pixel (a table
    of the kernel); weights of pixels outside the image are dropped and the rest renormalised."""
    scale = numpy.float32(old) / numpy.float32(new)
    where = (numpy.arange(new, dtype=numpy.float32) + numpy.float32(0.5)) * scale - numpy.float32(0.5)
    first = numpy.floor(where)
    offset = numpy.rint((where - first) * numpy.float32(1024)).astype(numpy.float64) / 1024.0
    taps = first.astype(numpy.int64)[None, :] + numpy.arange(-1, 3)[:, None]  # (4, new)
    weights = kernel(numpy.abs(offset[None, :] - numpy.arange(-1, 3)[:, None]))
    weights = numpy.where((taps >= 0) & (taps < old), weights, 0.0)
    weights /= weights.sum(axis=0, keepdims=True)
    matrix = numpy.zeros((old, new))
    columns = numpy.broadcast_to(numpy.arange(new), taps.shape)
    inside = (taps >= 0) & (taps < old)
    numpy.add.at(matrix, (taps[inside], columns[inside]), weights[inside])
    return matrix


def _resize_weights(old, new, method, antialias):
    """The ``(old, new)`` matrix of one axis, or ``None`` where the axis is left as it is."""
    from learnet import keras_ops_image as shared

    if method == "area":
        return None if old == new else _area_weights(old, new)
    kernel = {"gaussian": _gaussian, "mitchellcubic": _mitchell_cubic}.get(method) or shared._KERNELS[method]
    # Interpolating kernels are 1 at 0 and 0 at every other whole pixel: a same-size axis is kept.
    # The Gaussian and Mitchell kernels blur, even at scale 1, as in TensorFlow.
    if old == new and method not in ("gaussian", "mitchellcubic"):
        return None
    if method == "bicubic" and not antialias:
        return _bicubic_weights(old, new, kernel)
    scale = numpy.float32(new) / numpy.float32(old)
    return shared._resampling_weights(old, new, scale, 0.0, kernel, antialias)


def _nearest_rows(old, new):
    """The input row each output row copies: ``floor((j + 0.5) * old / new)`` in float32, as TensorFlow."""
    scale = numpy.float32(old) / numpy.float32(new)
    where = (numpy.arange(new, dtype=numpy.float32) + numpy.float32(0.5)) * scale
    return numpy.minimum(numpy.floor(where).astype(numpy.int64), old - 1)


def _apply_weights(x, weights, axis):
    """``x`` with its axis ``axis`` replaced by ``weights.T @ x`` along it (differentiable in ``x``).

    Resampling weights are banded: each output pixel reads a few neighbouring input pixels
    (two for bilinear, four for bicubic). When a long axis shrinks (a photo to 224 pixels),
    those are gathered and summed, which costs the output's size times the band's width
    instead of the output's size times the input's; otherwise one matrix product is quicker.
    """
    from learnet import keras_ops_image as shared

    old, new = weights.shape
    if old < 256 or new >= old:
        return shared._contract(x, weights, axis)
    nonzero = weights != 0
    first = nonzero.argmax(axis=0)  # 0 for an output pixel without weights: it reads zeros
    last = old - 1 - nonzero[::-1].argmax(axis=0)
    taps = int(numpy.maximum(last - first, 0).max()) + 1
    if 2 * taps > old:
        return shared._contract(x, weights, axis)
    rows = first[:, None] + numpy.arange(taps)  # (new, taps): the input pixels each output pixel reads
    band = numpy.where(rows < old, weights[numpy.minimum(rows, old - 1), numpy.arange(new)[:, None]], 0.0)
    gathered = _ops.gather(x, numpy.minimum(rows, old - 1).reshape(-1), axis=axis)
    shape = list(gathered.shape)
    shape[axis : axis + 1] = [new, taps]
    band_shape = [1] * len(shape)
    band_shape[axis : axis + 2] = [new, taps]
    band = _constant(band.reshape(band_shape), x.dtype)
    return _ops.reduce_sum(_ops.reshape(gathered, shape) * band, axis=axis + 1)


def resize_images(batch, height, width, method, antialias):
    """``(batch, height, width, channels)`` resized: the work of ``tf.image.resize`` (checked arguments).

    ``"nearest"`` keeps the dtype; every other method computes and returns ``float32``, as TensorFlow,
    except that ``float64`` images stay ``float64`` (learnet's dtype for gradient checks).
    """
    if method == "nearest":
        for axis, new in ((1, height), (2, width)):
            if new != batch.shape[axis]:
                batch = _ops.gather(batch, _nearest_rows(batch.shape[axis], new), axis=axis)
        return batch
    resized = batch if batch.dtype in (numpy.float32, numpy.float64) else _ops.cast(batch, "float32")
    for axis, new in ((1, height), (2, width)):
        weights = _resize_weights(resized.shape[axis], new, method, antialias)
        if weights is not None:
            resized = _apply_weights(resized, weights, axis)
    return resized


# --- resizing with padding --------------------------------------------------------------------------------
def resize_with_pad(image, target_height, target_width, method="bilinear", antialias=False):
    """Resize keeping the aspect ratio, then pad with zeros (centred) to the target size.

    The image is scaled by the largest factor that fits it inside ``target_height`` x
    ``target_width``; the leftover rows or columns are split between both sides (the
    extra one after). Differentiable with respect to the image.

    Parameters
    ----------
    image : Tensor ``(height, width, channels)`` or ``(batch, height, width, channels)``
    target_height, target_width : int
    method : str, default ``"bilinear"``
        Any method of ``tf.image.resize`` (``"nearest"`` keeps the dtype, the others give
        ``float32``).
    antialias : bool, default False
        When shrinking, widen the kernel by the shrink factor, as in ``tf.image.resize``.

    Examples
    --------
    >>> import numpy as np, learnet as tf
    >>> image = np.ones((4, 8, 3), np.float32)
    >>> padded = tf.image.resize_with_pad(image, 8, 8)
    >>> padded.shape, padded[:, 0, 0].numpy().tolist()
    (TensorShape([8, 8, 3]), [0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0])
    """
    function = "resize_with_pad"
    image = _tensor(image)
    if image.ndim not in (3, 4):
        raise ValueError(f"{function}: 'image' (shape {tuple(image.shape)}) must have either 3 or 4 dimensions.")
    target_height, target_width = int(target_height), int(target_width)
    if target_height <= 0 or target_width <= 0:
        raise ValueError(f"{function}: target_height and target_width must be > 0, got {target_height}, {target_width}")
    if method not in RESIZE_METHODS:
        raise ValueError(f"{function}: method must be one of {', '.join(RESIZE_METHODS)}, got {method!r}")
    batch = image if image.ndim == 4 else _ops.expand_dims(image, 0)
    height, width = numpy.float32(batch.shape[1]), numpy.float32(batch.shape[2])
    if height == 0 or width == 0:
        raise ValueError(f"{function}: the image must not be empty, got shape {tuple(image.shape)}")
    # float32 arithmetic, as TensorFlow computes the sizes.
    ratio = max(width / numpy.float32(target_width), height / numpy.float32(target_height))
    new_height, new_width = height / ratio, width / ratio
    top = max(0, int(numpy.floor((numpy.float32(target_height) - new_height) / numpy.float32(2))))
    left = max(0, int(numpy.floor((numpy.float32(target_width) - new_width) / numpy.float32(2))))
    new_height, new_width = int(numpy.floor(new_height)), int(numpy.floor(new_width))
    resized = resize_images(batch, new_height, new_width, method, bool(antialias))
    bottom, right = target_height - top - new_height, target_width - left - new_width
    padded = _ops.pad(resized, [[0, 0], [top, bottom], [left, right], [0, 0]])
    return padded if image.ndim == 4 else padded[0]
