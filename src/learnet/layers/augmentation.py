"""Image augmentation layers: ``RandomRotation``, ``RandomZoom``, ``RandomTranslation``,
``RandomContrast``, and the ``Resizing`` they share their resampling with.

In training (``model.fit``, or ``layer(x, training=True)``) every image of a batch gets
its own random transformation; in inference (``predict``, ``evaluate``) the images pass
through unchanged, as in Keras. Images are channels-last, ``(batch, height, width,
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
>>> augment(images).shape                       # inference: unchanged
TensorShape([2, 8, 8, 3])
>>> bool((augment(images, training=True).numpy() == 1).all())   # rotated ones stay ones
True
"""

import math

import numpy

from learnet import backend
from learnet.backend import xp
from learnet.layers.base import Layer
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


class _RandomImageLayer(Layer):
    """What the augmentation layers share: training-only, per-image randomness, image checks."""

    _autocast_integers = True

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self._generator = None if seed is None else backend.generator(seed)

    def _rng(self):
        return self._generator or backend.rng()

    def call(self, inputs, training=None):
        if not training:
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
    """Rotate each image by a random angle around its center, in training only.

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
    """Zoom each image in or out by a random amount, in training only.

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
    """Shift each image by a random offset, in training only.

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
    """Scale each image's contrast by a random factor, in training only.

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
    interpolation : {"bilinear", "nearest"}, default "bilinear"
    crop_to_aspect_ratio : bool, default False
        Crop the middle of each image to the target's aspect ratio first, so nothing is
        stretched.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> layers.Resizing(14, 14)(np.zeros((2, 28, 28, 1))).shape
    TensorShape([2, 14, 14, 1])
    """

    _autocast_integers = True

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False, **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = int(height), int(width)
        if self.height < 1 or self.width < 1:
            raise ValueError(f"Resizing: height and width must be positive, got {height}, {width}")
        _check_fill("nearest", interpolation, "Resizing")
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)

    def call(self, inputs):
        if inputs.ndim not in (3, 4):
            raise ValueError(
                f"Resizing '{self.name}' expects images of shape (batch, height, width, channels) or "
                f"(height, width, channels), got shape {tuple(inputs.shape)}"
            )
        images = inputs._value if inputs.ndim == 4 else inputs._value[None]
        n, height, width, _ = images.shape
        top, left, crop_height, crop_width = 0, 0, height, width
        if self.crop_to_aspect_ratio:
            crop_width = min(width, height * self.width // self.height)
            crop_height = min(height, width * self.height // self.width)
            top, left = (height - crop_height) // 2, (width - crop_width) // 2
        # Pixel centers: output pixel i covers input [i * scale, (i + 1) * scale).
        scale_y, scale_x = crop_height / self.height, crop_width / self.width
        ys = top + (xp.arange(self.height) + 0.5) * scale_y - 0.5
        xs = left + (xp.arange(self.width) + 0.5) * scale_x - 0.5
        grid_y, grid_x = xp.meshgrid(ys, xs, indexing="ij")
        grid_y = xp.broadcast_to(grid_y, (n,) + grid_y.shape)
        grid_x = xp.broadcast_to(grid_x, (n,) + grid_x.shape)
        out = _resample(images, grid_y, grid_x, "nearest", 0.0, self.interpolation).astype(images.dtype)
        return Tensor._wrap(out if inputs.ndim == 4 else out[0])

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
        )
        return config
