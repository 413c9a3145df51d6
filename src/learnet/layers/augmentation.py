"""Image augmentation layers: ``RandomRotation``, ``RandomZoom``, ``RandomTranslation``,
``RandomContrast``, ``RandomBrightness``, ``RandomCrop``, and the ``Resizing`` and
``CenterCrop`` they share their resampling with.

In training (``model.fit``, ``layer(x, training=True)``, or a layer called on its own,
``data_augmentation(images)``) every image of a batch gets its own random transformation;
in inference (``predict``, ``evaluate``, ``training=False``) the images pass through
unchanged, as in Keras. Images are channels-last, ``(batch, height, width,
channels)`` or a single ``(height, width, channels)``.

A geometric transformation maps each output pixel back to a point of the input image,
which is read by bilinear interpolation (or the nearest pixel). Points outside the
image are filled by ``fill_mode``: ``"reflect"`` (Keras' default: ``d c b a | a b c d |
d c b a``), ``"wrap"``, ``"nearest"`` or ``"constant"`` (``fill_value``). No gradient
flows through these layers: they sit at the input of a model.

Examples
--------
>>> import numpy as np
>>> from learnet import layers
>>> augment = layers.RandomRotation(0.1, seed=0)
>>> images = np.ones((2, 8, 8, 3), dtype="float32")
>>> augment(images, training=False).shape       # inference: unchanged
TensorShape([2, 8, 8, 3])
>>> bool((augment(images, training=True).numpy() == 1).all())   # rotated ones stay ones
True
"""

import math

import numpy

from learnet import backend
from learnet.backend import xp
from learnet.layers.base import Layer
from learnet.tape import primitive
from learnet.tensor import Tensor

_FILL_MODES = ("reflect", "wrap", "nearest", "constant")
_INTERPOLATIONS = ("bilinear", "nearest")


def _factor_range(value, name, who, allow_negative=True):
    """``0.2`` -> (-0.2, 0.2); ``(a, b)`` kept, checked to be ordered."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{who}: {name} must be a number or a (lower, upper) pair, got {value!r}")
        lower, upper = float(value[0]), float(value[1])
    else:
        factor = float(value)
        if factor < 0:
            raise ValueError(f"{who}: {name} must be non-negative when given as one number, got {value!r}")
        lower, upper = -factor, factor
    if lower > upper:
        raise ValueError(f"{who}: {name} lower bound {lower} is above its upper bound {upper}")
    if not allow_negative and lower < 0:
        raise ValueError(f"{who}: {name} must not be negative, got {value!r}")
    return lower, upper


def _check_fill(fill_mode, interpolation, who):
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"{who}: fill_mode must be one of {_FILL_MODES}, got {fill_mode!r}")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{who}: interpolation must be one of {_INTERPOLATIONS}, got {interpolation!r}")


def _map_index(index, size, fill_mode):
    """Integer pixel indices outside ``[0, size)`` moved inside by ``fill_mode``.

    Returns the indices and, for "constant", a mask of those that were inside.
    """
    if fill_mode == "reflect":
        period = 2 * size
        index = xp.mod(index, period)
        return xp.where(index >= size, period - 1 - index, index), None
    if fill_mode == "wrap":
        return xp.mod(index, size), None
    inside = (index >= 0) & (index < size) if fill_mode == "constant" else None
    return xp.clip(index, 0, size - 1), inside


def _resample(images, ys, xs, fill_mode="reflect", fill_value=0.0, interpolation="bilinear"):
    """Read ``images`` (n, h, w, c) at the points ``(ys, xs)`` (each (n, H, W)) -> (n, H, W, c)."""
    n, height, width, _ = images.shape
    batch = xp.arange(n).reshape(n, 1, 1)

    def read(y_index, x_index):
        y_index, y_inside = _map_index(y_index, height, fill_mode)
        x_index, x_inside = _map_index(x_index, width, fill_mode)
        values = images[batch, y_index, x_index]
        if fill_mode == "constant":
            inside = (y_inside & x_inside)[..., None]
            values = xp.where(inside, values, xp.asarray(fill_value, dtype=images.dtype))
        return values

    if interpolation == "nearest":
        return read(xp.floor(ys + 0.5).astype(xp.int64), xp.floor(xs + 0.5).astype(xp.int64))
    y0, x0 = xp.floor(ys), xp.floor(xs)
    wy, wx = (ys - y0)[..., None].astype(images.dtype), (xs - x0)[..., None].astype(images.dtype)
    y0, x0 = y0.astype(xp.int64), x0.astype(xp.int64)
    top = read(y0, x0) * (1 - wx) + read(y0, x0 + 1) * wx
    bottom = read(y0 + 1, x0) * (1 - wx) + read(y0 + 1, x0 + 1) * wx
    return top * (1 - wy) + bottom * wy


def _affine(images, matrices, fill_mode, fill_value, interpolation):
    """Apply one 2x3 matrix per image: output pixel (x, y) reads input point ``M @ (x, y, 1)``."""
    n, height, width, _ = images.shape
    ys, xs = xp.meshgrid(xp.arange(height, dtype=xp.float64), xp.arange(width, dtype=xp.float64), indexing="ij")
    m = xp.asarray(matrices, dtype=xp.float64)[:, :, :, None, None]  # (n, 2, 3, 1, 1)
    source_x = m[:, 0, 0] * xs + m[:, 0, 1] * ys + m[:, 0, 2]
    source_y = m[:, 1, 0] * xs + m[:, 1, 1] * ys + m[:, 1, 2]
    return _resample(images, source_y, source_x, fill_mode, fill_value, interpolation)


def _images(inputs, layer):
    """The ``(batch, height, width, channels)`` array of ``inputs``, which may be one image."""
    if inputs.ndim not in (3, 4):
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}' expects images of shape (batch, height, width, "
            f"channels) or (height, width, channels), got shape {tuple(inputs.shape)}"
        )
    return inputs._value if inputs.ndim == 4 else inputs._value[None]


def _aspect_ratio_box(height, width, target_height, target_width):
    """``(top, left, crop_height, crop_width)``: the largest centered window of a ``height x
    width`` image with the target's aspect ratio (as Keras' ``smart_resize``)."""
    crop_height = max(min(height, int(width * target_height / target_width)), 1)
    crop_width = max(min(width, int(height * target_width / target_height)), 1)
    return (height - crop_height) // 2, (width - crop_width) // 2, crop_height, crop_width


def _axis_weights(out_size, in_size, start, extent, interpolation):
    """The ``(out_size, in_size)`` matrix that resamples one axis: output pixel i reads the input
    at ``start + (i + 0.5) * extent / out_size - 0.5`` (pixel centres line up, as in
    ``jax.image.resize`` and TensorFlow 2), bilinearly or from the nearest pixel; points past
    the box's edge (at most half a pixel) read its border pixels."""
    positions = start + (numpy.arange(out_size) + 0.5) * (extent / out_size) - 0.5
    positions = numpy.clip(positions, start, start + extent - 1)
    weights = numpy.zeros((out_size, in_size))
    rows = numpy.arange(out_size)
    if interpolation == "nearest":
        weights[rows, numpy.floor(positions + 0.5).astype(numpy.int64)] = 1.0
        return weights
    low = numpy.floor(positions).astype(numpy.int64)
    fraction = positions - low
    numpy.add.at(weights, (rows, low), 1.0 - fraction)
    numpy.add.at(weights, (rows, numpy.minimum(low + 1, in_size - 1)), fraction)
    return weights


def _resize_weights(images_shape, height, width, interpolation, box):
    _, image_height, image_width, _ = images_shape
    top, left, box_height, box_width = box or (0, 0, image_height, image_width)
    return (
        _axis_weights(height, image_height, top, box_height, interpolation),
        _axis_weights(width, image_width, left, box_width, interpolation),
    )


def _apply_axis_weights(images, rows, columns):
    """``images`` (n, h, w, c) resampled by ``rows`` (H, h) and ``columns`` (W, w): one large
    matrix product per axis (the layouts are chosen so each is a single GEMM)."""
    n, height, width, channels = images.shape
    tall = xp.matmul(rows, xp.moveaxis(images, 1, 0).reshape(height, n * width * channels))  # (H, n*w*c)
    tall = tall.reshape(rows.shape[0], n, width, channels).transpose(1, 0, 3, 2)  # (n, H, c, w)
    wide = xp.matmul(tall.reshape(-1, width), columns.T)  # (n*H*c, W)
    return wide.reshape(n, rows.shape[0], channels, columns.shape[0]).transpose(0, 1, 3, 2)


@primitive(inputs=1, higher_order=False)
def _resize_separable(images, height, width, interpolation, box):
    """Resize float images (n, h, w, c). The forward reads the nearest or the four neighbouring
    pixels (``_resize``); the gradient goes back through the same interpolation written as one
    weight matrix per axis (``_axis_weights``), transposed, and is only computed when an input
    image needs it."""
    out = _resize(images, height, width, interpolation, box)

    def backward(g, images, out):
        def gradient():
            rows, columns = _resize_weights(images.shape, height, width, interpolation, box)
            return _apply_axis_weights(g, xp.asarray(rows.T, g.dtype), xp.asarray(columns.T, g.dtype))

        return gradient

    return out, backward


def _resize(images, height, width, interpolation="bilinear", box=None):
    """Resize ``images`` (n, h, w, c, an array) to ``(height, width)``; only their ``box`` (top,
    left, box_height, box_width) if given. Pixel centers line up: output pixel i covers input
    ``[i * scale, (i + 1) * scale)`` (``jax.image.resize`` and TensorFlow 2 do the same)."""
    n, image_height, image_width, _ = images.shape
    top, left, box_height, box_width = box or (0, 0, image_height, image_width)
    ys = top + (xp.arange(height) + 0.5) * (box_height / height) - 0.5
    xs = left + (xp.arange(width) + 0.5) * (box_width / width) - 0.5
    # Points outside the box (at most half a pixel, at its edges) read its border pixels.
    ys = xp.clip(ys, top, top + box_height - 1)
    xs = xp.clip(xs, left, left + box_width - 1)
    grid_y, grid_x = xp.meshgrid(ys, xs, indexing="ij")
    grid_y = xp.broadcast_to(grid_y, (n,) + grid_y.shape)
    grid_x = xp.broadcast_to(grid_x, (n,) + grid_x.shape)
    return _resample(images, grid_y, grid_x, "nearest", 0.0, interpolation).astype(images.dtype)


def resize_tensor(images, height, width, interpolation="bilinear", box=None):
    """``_resize`` of a (n, h, w, c) tensor; differentiable for float images."""
    if images.dtype.kind != "f":
        return Tensor._wrap(_resize(images._value, height, width, interpolation, box))
    return _resize_separable(images, height, width, interpolation, box)


class _RandomImageLayer(Layer):
    """What the augmentation layers share: randomness per image (not in inference), image checks."""

    _stacks_input_lists = True

    _autocast_integers = True

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self._generator = None if seed is None else backend.generator(seed)

    def _rng(self):
        return self._generator or backend.rng()

    def call(self, inputs, training=None):
        # Called on its own, outside fit/evaluate/predict (training None), a layer augments, as
        # in Keras: `data_augmentation(images)` shows augmented pictures. predict passes False.
        if training is not None and not training:
            return inputs
        if inputs.ndim not in (3, 4):
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects images of shape (batch, height, width, "
                f"channels) or (height, width, channels), got shape {tuple(inputs.shape)}"
            )
        images = inputs._value if inputs.ndim == 4 else inputs._value[None]
        out = self._augment(images).astype(images.dtype, copy=False)
        return Tensor._wrap(out if inputs.ndim == 4 else out[0])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(seed=self.seed)
        return config


class _GeometricLayer(_RandomImageLayer):
    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _check_fill(fill_mode, interpolation, type(self).__name__)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = float(fill_value)

    def _augment(self, images):
        matrices = self._matrices(images.shape[0], images.shape[1], images.shape[2])
        return _affine(images, matrices, self.fill_mode, self.fill_value, self.interpolation)

    def get_config(self):
        config = super().get_config()
        config.update(fill_mode=self.fill_mode, interpolation=self.interpolation, fill_value=self.fill_value)
        return config


class RandomRotation(_GeometricLayer):
    """Rotate each image by a random angle around its center, except in inference.

    Parameters
    ----------
    factor : float or (float, float)
        The angle as a fraction of a full turn: ``0.1`` draws from [-0.1, 0.1] x 2 pi
        (-36 to +36 degrees); ``(-0.05, 0.2)`` from that range.
    fill_mode : {"reflect", "wrap", "nearest", "constant"}, default "reflect"
    interpolation : {"bilinear", "nearest"}, default "bilinear"
    seed : int, optional
    fill_value : float, default 0.0
        The value of points outside the image with ``fill_mode="constant"``.

    Examples
    --------
    >>> from learnet import layers
    >>> layers.RandomRotation(0.1, name="rotate")
    <RandomRotation name=rotate, built=False>
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value, **kwargs)
        self.factor = factor
        self._lower, self._upper = _factor_range(factor, "factor", "RandomRotation")

    def _matrices(self, n, height, width):
        angles = self._rng().uniform(self._lower, self._upper, size=n) * 2 * math.pi
        cos, sin = numpy.cos(angles), numpy.sin(angles)
        # Rotation about the image center, (width - 1) / 2 and (height - 1) / 2.
        cx, cy = (width - 1) / 2, (height - 1) / 2
        return numpy.stack(
            [
                numpy.stack([cos, -sin, cx - cos * cx + sin * cy], axis=1),
                numpy.stack([sin, cos, cy - sin * cx - cos * cy], axis=1),
            ],
            axis=1,
        )

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor)
        return config


class RandomZoom(_GeometricLayer):
    """Zoom each image in or out by a random amount, except in inference.

    Parameters
    ----------
    height_factor : float or (float, float)
        The change of height as a fraction: ``0.2`` draws from [-20%, +20%]. A positive
        value zooms out (the image gets smaller), a negative one zooms in.
    width_factor : float or (float, float), optional
        The same for the width; when not given, the width follows the height (the aspect
        ratio is kept).
    fill_mode, interpolation, seed, fill_value
        As for ``RandomRotation``.
    """

    def __init__(
        self,
        height_factor,
        width_factor=None,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        **kwargs,
    ):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height = _factor_range(height_factor, "height_factor", "RandomZoom")
        self._width = None if width_factor is None else _factor_range(width_factor, "width_factor", "RandomZoom")
        for lower, _ in [self._height] + ([self._width] if self._width else []):
            if lower <= -1:
                raise ValueError(f"RandomZoom: a zoom factor must stay above -1 (-100%), got {lower}")

    def _matrices(self, n, height, width):
        rng = self._rng()
        zoom_y = 1 + rng.uniform(*self._height, size=n)
        zoom_x = zoom_y if self._width is None else 1 + rng.uniform(*self._width, size=n)
        cx, cy = (width - 1) / 2, (height - 1) / 2
        zeros = xp.zeros(n)  # beside the draws, on the GPU under CuPy
        return numpy.stack(
            [
                numpy.stack([zoom_x, zeros, cx * (1 - zoom_x)], axis=1),
                numpy.stack([zeros, zoom_y, cy * (1 - zoom_y)], axis=1),
            ],
            axis=1,
        )

    def get_config(self):
        config = super().get_config()
        config.update(height_factor=self.height_factor, width_factor=self.width_factor)
        return config


class RandomTranslation(_GeometricLayer):
    """Shift each image by a random offset, except in inference.

    Parameters
    ----------
    height_factor, width_factor : float or (float, float)
        The shift as a fraction of the height / width: ``0.1`` draws from [-10%, +10%].
    fill_mode, interpolation, seed, fill_value
        As for ``RandomRotation``.
    """

    def __init__(
        self,
        height_factor,
        width_factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        **kwargs,
    ):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height = _factor_range(height_factor, "height_factor", "RandomTranslation")
        self._width = _factor_range(width_factor, "width_factor", "RandomTranslation")

    def _matrices(self, n, height, width):
        rng = self._rng()
        dy = rng.uniform(*self._height, size=n) * height
        dx = rng.uniform(*self._width, size=n) * width
        ones, zeros = xp.ones(n), xp.zeros(n)  # beside the draws, on the GPU under CuPy
        return numpy.stack(
            [
                numpy.stack([ones, zeros, -dx], axis=1),
                numpy.stack([zeros, ones, -dy], axis=1),
            ],
            axis=1,
        )

    def get_config(self):
        config = super().get_config()
        config.update(height_factor=self.height_factor, width_factor=self.width_factor)
        return config


class RandomContrast(_RandomImageLayer):
    """Scale each image's contrast by a random factor, except in inference.

    Each channel of an image becomes ``(x - mean) * factor + mean`` (its mean over the
    pixels), with ``factor`` drawn from ``[1 - lower, 1 + upper]``.

    Parameters
    ----------
    factor : float or (float, float)
        ``0.2`` draws the contrast factor from [0.8, 1.2]; ``(0.5, 0.2)`` from [0.5, 1.2].
    seed : int, optional
    """

    def __init__(self, factor, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2:
                raise ValueError(f"RandomContrast: factor must be a number or a (lower, upper) pair, got {factor!r}")
            lower, upper = float(factor[0]), float(factor[1])
        else:
            lower = upper = float(factor)
        if not (0 <= lower <= 1 and upper >= 0):
            raise ValueError(
                f"RandomContrast: factor amounts must be non-negative (and at most 1 below), got {factor!r}"
            )
        self._range = (1 - lower, 1 + upper)

    def _augment(self, images):
        factors = self._rng().uniform(*self._range, size=images.shape[0]).astype(images.dtype)
        mean = images.mean(axis=(1, 2), keepdims=True)
        return (images - mean) * factors[:, None, None, None] + mean

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor)
        return config


class Resizing(Layer):
    """Resize images to ``(height, width)`` (always, in training and inference).

    Parameters
    ----------
    height, width : int
    interpolation : {"bilinear", "nearest", "bicubic", "lanczos3", "lanczos5"}, default "bilinear"
        ``"bicubic"`` is the cubic convolution kernel (a = -0.5) that Keras uses on JAX.
    crop_to_aspect_ratio : bool, default False
        Crop the middle of each image to the target's aspect ratio first, so nothing is
        stretched.
    pad_to_aspect_ratio : bool, default False
        Pad the short side evenly with ``fill_value`` to the target's aspect ratio first,
        so nothing is stretched or cut off.
    fill_mode : {"constant"}, default "constant"
        How the padding is filled (Keras supports only ``"constant"``).
    fill_value : float, default 0.0
    antialias : bool, default False
        When shrinking, widen the interpolation kernel by the shrink factor (a low-pass filter).
    data_format : {"channels_last"}, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> layers.Resizing(14, 14)(np.zeros((2, 28, 28, 1))).shape
    TensorShape([2, 14, 14, 1])
    >>> wide = np.ones((1, 2, 4, 1))
    >>> layers.Resizing(4, 4, pad_to_aspect_ratio=True, fill_value=-1.0)(wide).numpy()[0, :, :, 0]
    array([[-1., -1., -1., -1.],
           [ 1.,  1.,  1.,  1.],
           [ 1.,  1.,  1.,  1.],
           [-1., -1., -1., -1.]], dtype=float32)
    """

    _stacks_input_lists = True

    _autocast_integers = True

    _INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")

    def __init__(
        self,
        height,
        width,
        interpolation="bilinear",
        crop_to_aspect_ratio=False,
        pad_to_aspect_ratio=False,
        fill_mode="constant",
        fill_value=0.0,
        antialias=False,
        data_format=None,
        **kwargs,
    ):
        who = "Resizing"
        if int(height) < 1 or int(width) < 1:
            raise ValueError(f"{who}: height and width must be positive, got {height}, {width}")
        if interpolation not in self._INTERPOLATIONS:
            raise ValueError(f"{who}: interpolation must be one of {self._INTERPOLATIONS}, got {interpolation!r}")
        if fill_mode != "constant":
            raise ValueError(f"{who}: fill_mode must be 'constant' (the only one Keras supports), got {fill_mode!r}")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(f"{who}: only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True")
        try:
            fill_value = float(fill_value)
        except (TypeError, ValueError):
            raise TypeError(f"{who}: fill_value must be a number, got {fill_value!r}") from None
        self.data_format = _channels_last(data_format, who)
        super().__init__(**kwargs)
        self.height, self.width = int(height), int(width)
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def call(self, inputs):
        images = inputs if inputs.ndim == 4 else inputs[None]
        _images(inputs, self)  # checks the rank
        if self.pad_to_aspect_ratio or self.antialias or self.interpolation not in ("bilinear", "nearest"):
            # keras.ops.image.resize: Keras' own resizing, the options included.
            from learnet.keras_ops_image import resize

            out = resize(
                images,
                (self.height, self.width),
                interpolation=self.interpolation,
                antialias=self.antialias,
                crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                pad_to_aspect_ratio=self.pad_to_aspect_ratio,
                fill_mode=self.fill_mode,
                fill_value=self.fill_value,
            )
        else:
            box = _aspect_ratio_box(images.shape[1], images.shape[2], self.height, self.width)
            out = resize_tensor(
                images, self.height, self.width, self.interpolation, box if self.crop_to_aspect_ratio else None
            )
        return out if inputs.ndim == 4 else out[0]

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        return input_shape[:-3] + (self.height, self.width, input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update(
            height=self.height,
            width=self.width,
            interpolation=self.interpolation,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            antialias=self.antialias,
            data_format=self.data_format,
        )
        return config


def _target_size(height, width, who):
    try:
        size = int(height), int(width)
    except (TypeError, ValueError):
        raise TypeError(f"{who}: height and width must be integers, got {height!r}, {width!r}") from None
    if isinstance(height, bool) or isinstance(width, bool) or size != (height, width) or min(size) < 1:
        raise ValueError(f"{who}: height and width must be positive integers, got {height!r}, {width!r}")
    return size


def _channels_last(data_format, who):
    if (data_format or "channels_last") != "channels_last":
        raise ValueError(f"{who}: only data_format='channels_last' is supported, got {data_format!r}")
    return "channels_last"


def _smart_resize(images, height, width):
    """The largest centered window of the target's aspect ratio, resized (bilinear) to it."""
    box = _aspect_ratio_box(images.shape[1], images.shape[2], height, width)
    if box == (0, 0, height, width):  # already the right size: nothing to interpolate
        return images
    return _resize(images, height, width, "bilinear", box)


class CenterCrop(Layer):
    """Crop the center ``height x width`` of each image (always, in training and inference).

    An image smaller than the target (on either side) is instead cropped to the target's
    aspect ratio and resized to it (bilinear), as Keras does, so the output always has
    shape ``(batch, height, width, channels)``.

    Parameters
    ----------
    height, width : int
        The size of the output images.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet.layers.augmentation import CenterCrop
    >>> image = np.arange(16).reshape(1, 4, 4, 1)
    >>> CenterCrop(2, 2)(image).numpy()[0, :, :, 0]
    array([[ 5.,  6.],
           [ 9., 10.]], dtype=float32)
    """

    _stacks_input_lists = True

    _autocast_integers = True

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = _target_size(height, width, "CenterCrop")
        self.data_format = _channels_last(data_format, "CenterCrop")

    def call(self, inputs):
        images = _images(inputs, self)
        image_height, image_width = images.shape[1], images.shape[2]
        if image_height >= self.height and image_width >= self.width:
            top, left = (image_height - self.height) // 2, (image_width - self.width) // 2
            out = images[:, top : top + self.height, left : left + self.width]
        else:
            out = _smart_resize(images, self.height, self.width)
        return Tensor._wrap(out if inputs.ndim == 4 else out[0])

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        return input_shape[:-3] + (self.height, self.width, input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update(height=self.height, width=self.width, data_format=self.data_format)
        return config


class RandomCrop(_RandomImageLayer):
    """Crop a random ``height x width`` window of each image, except in inference.

    In training (and called on its own) every image of the batch gets its own window (Keras uses one window for the
    whole batch). At inference, and in training for an image smaller than the target, the
    largest centered window of the target's aspect ratio is resized (bilinear) to ``height x
    width``, as Keras documents; an image of the target's size passes unchanged. The output
    always has shape ``(batch, height, width, channels)``.

    Parameters
    ----------
    height, width : int
        The size of the output images.
    seed : int, optional
        Seeds this layer's own generator (otherwise learnet's global one is used).

    Examples
    --------
    >>> import numpy as np
    >>> from learnet.layers.augmentation import RandomCrop
    >>> crop = RandomCrop(24, 24, seed=0)
    >>> images = np.zeros((8, 28, 28, 1), dtype="float32")
    >>> crop(images, training=True).shape, crop(images).shape
    (TensorShape([8, 24, 24, 1]), TensorShape([8, 24, 24, 1]))
    """

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.height, self.width = _target_size(height, width, "RandomCrop")
        self.data_format = _channels_last(data_format, "RandomCrop")

    def call(self, inputs, training=None):
        images = _images(inputs, self)
        n, image_height, image_width, _ = images.shape
        if (training is None or training) and image_height >= self.height and image_width >= self.width:
            rng = self._rng()
            tops = xp.asarray(rng.integers(0, image_height - self.height + 1, size=n)).reshape(n, 1, 1)
            lefts = xp.asarray(rng.integers(0, image_width - self.width + 1, size=n)).reshape(n, 1, 1)
            rows = tops + xp.arange(self.height).reshape(1, -1, 1)
            cols = lefts + xp.arange(self.width).reshape(1, 1, -1)
            out = images[xp.arange(n).reshape(n, 1, 1), rows, cols]
        else:
            out = _smart_resize(images, self.height, self.width)
        return Tensor._wrap(out if inputs.ndim == 4 else out[0])

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        return input_shape[:-3] + (self.height, self.width, input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update(height=self.height, width=self.width, data_format=self.data_format)
        return config


class RandomBrightness(_RandomImageLayer):
    """Add a random brightness to each image (identity at inference).

    Each image gets one random ``delta`` added to all its pixels and channels, drawn from
    ``factor`` times the width of ``value_range``; the result is clipped to ``value_range``.

    Parameters
    ----------
    factor : float or (float, float), in [-1, 1]
        ``0.2`` draws ``delta`` from [-20%, +20%] of the value range; ``(-0.1, 0.3)`` from
        [-10%, +30%]. Negative values darken, positive ones brighten.
    value_range : (float, float), default (0, 255)
        The range of the pixel values: ``(0, 1)`` for images scaled to [0, 1].
    seed : int, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet.layers.augmentation import RandomBrightness
    >>> brighten = RandomBrightness((0.5, 0.5), value_range=(0, 1))
    >>> brighten(np.full((1, 2, 2, 1), 0.25), training=True).numpy()[0, :, :, 0]
    array([[0.75, 0.75],
           [0.75, 0.75]], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.data_format = _channels_last(data_format, "RandomBrightness")
        message = f"RandomBrightness: factor must be a number or a (lower, upper) pair in [-1, 1], got {factor!r}"
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2:
                raise ValueError(message)
            lower, upper = sorted(float(f) for f in factor)
        elif isinstance(factor, (int, float, numpy.number)) and not isinstance(factor, bool):
            upper = abs(float(factor))
            lower = -upper
        else:
            raise ValueError(message)
        if lower < -1 or upper > 1:
            raise ValueError(message)
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(f"RandomBrightness: value_range must be a (min, max) pair, got {value_range!r}")
        self.factor = (lower, upper)
        self.value_range = sorted(value_range)

    def _augment(self, images):
        low, high = (float(v) for v in self.value_range)
        deltas = self._rng().uniform(*self.factor, size=images.shape[0]) * (high - low)
        brighter = images + xp.asarray(deltas, dtype=images.dtype).reshape(-1, 1, 1, 1)
        return xp.clip(brighter, low, high)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, value_range=self.value_range, data_format=self.data_format)
        return config


# --- Keras 3's image preprocessing API: get_random_transformation + transform_images ----------------
_DATA_FORMATS = ("channels_last", "channels_first")


def _data_format(data_format, who):
    """``None`` -> "channels_last" (learnet's images); anything but Keras' two formats is refused."""
    data_format = data_format or "channels_last"
    if data_format not in _DATA_FORMATS:
        raise ValueError(f"{who}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    return data_format


def _value_range(value_range, who):
    """``(low, high)``, sorted as Keras sorts it; a non-pair or an empty range is refused."""
    message = f"{who}: value_range must be a (min, max) pair of numbers, got {value_range!r}"
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(message)
    if not all(isinstance(v, (int, float, numpy.number)) and not isinstance(v, bool) for v in value_range):
        raise ValueError(message)
    low, high = sorted(value_range)
    if low == high:
        raise ValueError(f"{who}: value_range must span some values, got {value_range!r}")
    return [low, high]


def _bounded_factor(factor, name, who, bounds=(0.0, 1.0)):
    """Keras' ``_set_factor``: a number ``f`` -> ``(max(-|f|, lower bound), |f|)``; a pair, sorted.

    Every number must lie within ``bounds``; the message says what was expected.
    """
    low_bound, high_bound = bounds
    message = f"{who}: {name} must be a number or a (lower, upper) pair in [{low_bound}, {high_bound}], got {factor!r}"
    numbers = factor if isinstance(factor, (tuple, list)) else [factor]
    if len(numbers) not in (1, 2) or (isinstance(factor, (tuple, list)) and len(numbers) != 2):
        raise ValueError(message)
    if not all(isinstance(v, (int, float, numpy.number)) and not isinstance(v, bool) for v in numbers):
        raise ValueError(message)
    if any(not low_bound <= v <= high_bound for v in numbers):
        raise ValueError(message)
    if isinstance(factor, (tuple, list)):
        return tuple(sorted(factor))
    return (max(-abs(factor), low_bound), abs(factor))


def _to_value_range(images, source, target):
    """``images`` mapped linearly from the range ``source`` to ``target`` (no copy when equal)."""
    if tuple(source) == tuple(target):
        return images
    scaled = (images - source[0]) / (source[1] - source[0])
    return scaled * (target[1] - target[0]) + target[0]


def _array(value, dtype=None):
    """A backend array of ``value`` (a Tensor, a NumPy or JAX array, a number)."""
    if isinstance(value, Tensor):
        value = value._value
    elif not isinstance(value, xp.ndarray):
        value = xp.asarray(numpy.asarray(value))
    return value if dtype is None else value.astype(dtype, copy=False)


class BaseImagePreprocessingLayer(Layer):
    """What Keras 3's newer image augmentation layers share.

    Each layer draws its randomness in ``get_random_transformation(data, training=True,
    seed=None)`` (a dict of arrays: one entry per image of the batch) and applies it in
    ``transform_images(images, transformation, training=True)``; calling the layer does
    both. The same ``transformation`` always gives the same images, so a draw can be
    inspected, reused or replaced. In inference (``training=False``, as in ``predict``)
    the images pass through unchanged. As in Keras, calling a layer on its own without
    ``training`` counts as training (the layers exist to augment).

    Images are ``(batch, height, width, channels)`` or one ``(height, width, channels)``
    image (``(batch, channels, height, width)`` with ``data_format="channels_first"``);
    a dict ``{"images": ..., "labels": ...}`` is accepted too (the labels change only with
    ``MixUp`` and ``CutMix``). Integer images become floats; float images keep their dtype.
    Subclasses write ``get_random_transformation`` and ``_transform(images, transformation)``,
    which receives channels-last float images ``(batch, height, width, channels)``.
    """

    _stacks_input_lists = True
    _autocast_integers = True
    _applies_at_inference = False  # AutoContrast has no randomness and always applies, as in Keras

    def __init__(self, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format, type(self).__name__)
        self.seed = seed
        self._generator = None if seed is None else numpy.random.default_rng(seed)

    # --- randomness ------------------------------------------------------------------------------
    def _random(self, seed=None):
        """The NumPy generator of one draw: ``seed`` (an int, or a generator) if given, else the
        layer's own (seeded) one, else learnet's global generator."""
        if seed is None:
            return self._generator or backend.host_rng()
        if isinstance(seed, numpy.random.Generator):
            return seed
        return numpy.random.default_rng(seed)

    def _images_of(self, data):
        """The images of ``data`` (an array, a Tensor or a dict with "images"), checked to be rank 3 or 4."""
        images = data["images"] if isinstance(data, dict) else data
        shape = tuple(images.shape)
        if len(shape) not in (3, 4):
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects images of shape (batch, height, width, channels) "
                f"or (height, width, channels), got shape {shape}"
            )
        return images

    def _batch_size(self, data):
        shape = tuple(self._images_of(data).shape)
        return shape[0] if len(shape) == 4 else 1

    def _height_width(self, data):
        shape = tuple(self._images_of(data).shape)
        return shape[-2:] if self.data_format == "channels_first" else shape[-3:-1]

    def get_random_transformation(self, data, training=True, seed=None):
        """Draw the random parameters for the images of ``data`` (None when there are none)."""
        return None

    # --- applying a transformation -----------------------------------------------------------------
    def _channels_last(self, array):
        """A ``(batch, ...)`` image-shaped array of the layer's layout, channels last."""
        return xp.moveaxis(array, 1, -1) if self.data_format == "channels_first" else array

    def _float_images(self, images):
        images = _array(images)
        return images if images.dtype.kind == "f" else images.astype(self._dtype)

    def transform_images(self, images, transformation, training=True):
        """Apply ``transformation`` (from ``get_random_transformation``) to ``images``.

        Parameters
        ----------
        images : array or Tensor
            A batch, or one image, in the layer's ``data_format``.
        transformation : dict
            The random draws for these images.
        training : bool, default True
            When False the images are returned unchanged.

        Returns
        -------
        Tensor
            The transformed images, of the shape and float dtype of ``images``.
        """
        images = self._float_images(images)
        if not (training or self._applies_at_inference):
            return Tensor._wrap(images)
        batched = images.ndim == 4
        batch = images if batched else images[None]
        out = self._channels_last(batch)
        out = self._transform(out, transformation).astype(images.dtype, copy=False)
        if self.data_format == "channels_first":
            out = xp.moveaxis(out, -1, 1)
        return Tensor._wrap(out if batched else out[0])

    def _transform(self, images, transformation):
        raise NotImplementedError

    def transform_labels(self, labels, transformation, training=True):
        """The labels that go with the transformed images (unchanged but for MixUp and CutMix)."""
        return labels

    def call(self, inputs, training=True):
        images = self._images_of(inputs)
        if not (training or self._applies_at_inference):
            return inputs
        transformation = self.get_random_transformation(inputs, training=True)
        out = self.transform_images(images, transformation, training=True)
        if not isinstance(inputs, dict):
            return out
        result = dict(inputs, images=out)
        if "labels" in inputs:
            result["labels"] = self.transform_labels(inputs["labels"], transformation, training=True)
        return result

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(data_format=self.data_format)
        return config


def _uniform(rng, low, high, size):
    return rng.uniform(low, high, size=size).astype(numpy.float32)


class RandomShear(BaseImagePreprocessingLayer):
    """Shear each image by a random amount along x and/or y, except in inference.

    An output pixel ``(x, y)`` reads the input at ``(x + shear_x * y, y + shear_y * x)``
    (the top-left corner stays in place, as in Keras); points outside the image are
    filled by ``fill_mode``.

    Parameters
    ----------
    x_factor, y_factor : float or (float, float), in [0, 1], default 0.0
        The shear's size: ``0.2`` draws from [-0.2, 0.2]; a pair ``(a, b)`` draws a size
        from [a, b] and a random sign.
    interpolation : {"bilinear", "nearest"}, default "bilinear"
    fill_mode : {"reflect", "wrap", "constant", "nearest"}, default "reflect"
    fill_value : float, default 0.0
        The value of points outside the image with ``fill_mode="constant"``.
    data_format : {"channels_last", "channels_first"}, optional
    seed : int, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> shear = layers.RandomShear(x_factor=0.3, seed=0)
    >>> images = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    >>> t = shear.get_random_transformation(images)
    >>> t["shear_factor"].shape
    (2, 2)
    >>> shear.transform_images(images, t).shape
    TensorShape([2, 8, 8, 3])
    """

    def __init__(
        self,
        x_factor=0.0,
        y_factor=0.0,
        interpolation="bilinear",
        fill_mode="reflect",
        fill_value=0.0,
        data_format=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.x_factor = self._shear_range(x_factor, "x_factor")
        self.y_factor = self._shear_range(y_factor, "y_factor")
        _check_fill(fill_mode, interpolation, "RandomShear")
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = float(fill_value)

    @staticmethod
    def _shear_range(factor, name):
        # Keras writes the range it drew from, (-f, f), in its config: read back as f.
        if isinstance(factor, (tuple, list)) and len(factor) == 2 and factor[0] == -factor[1]:
            factor = abs(factor[1])
        lower, upper = _bounded_factor(factor, name, "RandomShear")
        return (-upper, upper) if not isinstance(factor, (tuple, list)) else (lower, upper)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        n, rng = self._batch_size(data), self._random(seed)
        invert = numpy.where(rng.uniform(0, 1, size=(n, 1)) > 0.5, -1.0, 1.0).astype(numpy.float32)
        shear_y = _uniform(rng, *self.y_factor, size=(n, 1))
        shear_x = _uniform(rng, *self.x_factor, size=(n, 1))
        shear = numpy.concatenate([shear_x, shear_y], axis=1) * invert
        return {"shear_factor": shear, "input_shape": tuple(self._images_of(data).shape)}

    def _transform(self, images, transformation):
        if transformation is None:
            return images
        shear = _array(transformation["shear_factor"], numpy.float64).reshape(-1, 2)
        n = shear.shape[0]
        ones, zeros = xp.ones(n), xp.zeros(n)
        matrices = xp.stack(
            [xp.stack([ones, shear[:, 0], zeros], axis=1), xp.stack([shear[:, 1], ones, zeros], axis=1)], axis=1
        )
        return _affine(images, matrices, self.fill_mode, self.fill_value, self.interpolation)

    def _written_factor(self, factor):
        lower, upper = factor
        return upper if lower == -upper else [lower, upper]

    def get_config(self):
        config = super().get_config()
        config.update(
            x_factor=self._written_factor(self.x_factor),
            y_factor=self._written_factor(self.y_factor),
            fill_mode=self.fill_mode,
            interpolation=self.interpolation,
            seed=self.seed,
            fill_value=self.fill_value,
        )
        return config
