"""Colour augmentation layers of Keras 3: ``RandomGrayscale``, ``RandomInvert``,
``Solarization``, ``RandomPosterization``, ``AutoContrast``, ``RandomHue``,
``RandomSaturation``, ``RandomColorJitter`` and ``RandomGaussianBlur``.

Each follows Keras 3's image preprocessing API (``augmentation.BaseImagePreprocessingLayer``):
``get_random_transformation`` draws one set of parameters per image, and
``transform_images`` applies them, with Keras' arithmetic, so the same draws give the same
images as in Keras. Pixel values live in ``value_range`` (``(0, 255)`` by default; pass
``(0, 1)`` for images scaled to [0, 1]).

Examples
--------
>>> import numpy as np
>>> from learnet import layers
>>> images = np.random.default_rng(0).uniform(0, 255, (4, 8, 8, 3)).astype("float32")
>>> gray = layers.RandomGrayscale(factor=1.0)(images)          # every image made gray
>>> bool(np.allclose(gray[..., 0], gray[..., 2]))
True
>>> layers.RandomHue(0.2)(images, training=False) is not None  # inference: unchanged
True
"""

import numpy

from learnet.backend import xp
from learnet.layers.augmentation import (
    BaseImagePreprocessingLayer,
    _array,
    _bounded_factor,
    _to_value_range,
    _uniform,
    _value_range,
)

_GRAY_WEIGHTS = (0.2989, 0.587, 0.114)  # ITU-R 601 luma, as Keras and TensorFlow weigh RGB


def _check_unit_number(value, name, who):
    if isinstance(value, bool) or not isinstance(value, (int, float, numpy.number)) or not 0 <= value <= 1:
        raise ValueError(f"{who}: {name} must be a number in [0, 1], got {value!r}")
    return value


def rgb_to_grayscale(images):
    """``(n, h, w, 3)`` RGB -> ``(n, h, w, 1)`` luma; one-channel images are returned as they are."""
    if images.shape[-1] == 1:
        return images
    if images.shape[-1] != 3:
        raise ValueError(f"expected RGB images (3 channels) or grayscale (1), got {images.shape[-1]} channels")
    return xp.tensordot(images, xp.asarray(_GRAY_WEIGHTS, images.dtype), axes=([-1], [0]))[..., None]


def rgb_to_hsv(images):
    """RGB -> HSV on the last axis (hue and saturation in [0, 1], value as the input's maximum)."""
    if images.shape[-1] != 3:
        raise ValueError(f"expected RGB images (3 channels), got {images.shape[-1]} channels")
    eps = xp.finfo(images.dtype).eps
    images = xp.where(xp.abs(images) < eps, 0.0, images).astype(images.dtype)
    red, green, blue = images[..., 0], images[..., 1], images[..., 2]
    value = xp.maximum(xp.maximum(red, green), blue)
    spread = value - xp.minimum(xp.minimum(red, green), blue)
    saturation = xp.where(value > 0, spread / xp.where(value > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * xp.where(spread > 0, spread, 1.0))
    hue = xp.where(value == green, norm * (blue - red) + 2.0 / 6.0, norm * (red - green) + 4.0 / 6.0)
    hue = xp.where(value == red, norm * (green - blue), hue)
    hue = xp.where(spread > 0, hue, 0.0) + (hue < 0.0)
    return xp.stack([hue, saturation, value], axis=-1).astype(images.dtype)


def hsv_to_rgb(images):
    """HSV -> RGB on the last axis (the inverse of ``rgb_to_hsv``)."""
    hue, saturation, value = images[..., 0], images[..., 1], images[..., 2]
    sector = xp.mod(hue, 1.0) * 6.0
    red = xp.clip(xp.abs(sector - 3.0) - 1.0, 0.0, 1.0)
    green = xp.clip(2.0 - xp.abs(sector - 2.0), 0.0, 1.0)
    blue = xp.clip(2.0 - xp.abs(sector - 4.0), 0.0, 1.0)
    planes = [value * (1.0 - saturation + saturation * plane) for plane in (red, green, blue)]
    return xp.stack(planes, axis=-1).astype(images.dtype)


def _per_image(values, images):
    """Per-image numbers ``(n,)`` (or ``(n, 1, 1, 1)``) shaped to broadcast over ``images``."""
    return _array(values, images.dtype).reshape(-1, 1, 1, 1)


# --- the colour transformations, on channels-last batches -------------------------------------------
def _shift_hue(images, delta, value_range):
    images = _to_value_range(images, value_range, (0, 1))
    hsv = rgb_to_hsv(images.astype(images.dtype))
    hue = hsv[..., 0] + _array(delta, images.dtype).reshape(-1, 1, 1)
    hue = xp.where(hue > 1.0, hue - 1.0, hue)
    hue = xp.where(hue < 0.0, hue + 1.0, hue)
    rgb = xp.clip(hsv_to_rgb(xp.stack([hue, hsv[..., 1], hsv[..., 2]], axis=-1)), 0, 1)
    return _to_value_range(rgb, (0, 1), value_range)


def _scale_saturation(images, factor, value_range):
    # As Keras: HSV of the raw values, the saturation clipped to value_range (not to [0, 1]).
    hsv = rgb_to_hsv(images)
    saturation = xp.clip(hsv[..., 1] * _array(factor, images.dtype).reshape(-1, 1, 1), *value_range)
    return hsv_to_rgb(xp.stack([hsv[..., 0], saturation.astype(images.dtype), hsv[..., 2]], axis=-1))


def _add_brightness(images, delta, value_range):
    return xp.clip(images + _per_image(delta, images), *value_range)


def _scale_contrast(images, factor, value_range):
    mean = images.mean(axis=(1, 2), keepdims=True)
    return xp.clip((images - mean) * _per_image(factor, images) + mean, *value_range)


class RandomGrayscale(BaseImagePreprocessingLayer):
    """Turn each image to grayscale with probability ``factor``, except in inference.

    The gray value ``0.2989 R + 0.587 G + 0.114 B`` fills all three channels, so the
    shape stays the same.

    Parameters
    ----------
    factor : float in [0, 1], default 0.5
        The probability that an image is made gray.
    data_format : {"channels_last", "channels_first"}, optional
    seed : int, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> layer = layers.RandomGrayscale(factor=1.0)
    >>> image = np.array([[[255.0, 0.0, 0.0]]], "float32")          # one red pixel
    >>> layer(image).numpy().round(3)
    array([[[76.22, 76.22, 76.22]]], dtype=float32)
    """

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _check_unit_number(factor, "factor", "RandomGrayscale")

    def get_random_transformation(self, data, training=True, seed=None):
        n = self._batch_size(data)
        return (self._random(seed).uniform(0, 1, size=n) < self.factor).reshape(n, 1, 1, 1)

    def _transform(self, images, transformation):
        should_apply = _array(transformation, bool).reshape(-1, 1, 1, 1)
        return xp.where(should_apply, rgb_to_grayscale(images), images)

    def get_config(self):
        config = super().get_config()
        config.update(factor=self.factor, seed=self.seed)
        return config


class RandomInvert(BaseImagePreprocessingLayer):
    """Invert images (``max - x``, with ``max`` the top of ``value_range``), except in inference.

    Each image draws a probability from ``factor`` and is inverted with that probability.

    Parameters
    ----------
    factor : float or (float, float) in [0, 1], default 1.0
        The range the inversion probability is drawn from (``1.0``: [0, 1]).
    value_range : (float, float), default (0, 255)
    seed : int, optional
    data_format : {"channels_last", "channels_first"}, optional
    """

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _bounded_factor(factor, "factor", "RandomInvert")
        self.value_range = _value_range(value_range, "RandomInvert")

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        n, rng = self._batch_size(data), self._random(seed)
        probability = rng.uniform(*self.factor, size=n)
        return {"apply_inversion": rng.uniform(0, 1, size=n) < probability}

    def _transform(self, images, transformation):
        apply = _array(transformation["apply_inversion"], bool).reshape(-1, 1, 1, 1)
        return xp.where(apply, self.value_range[1] - images, images)

    def get_config(self):
        config = super().get_config()
        config.update(factor=list(self.factor), value_range=self.value_range, seed=self.seed)
        return config


class Solarization(BaseImagePreprocessingLayer):
    """Solarize images: pixels above a threshold are inverted, after adding a brightness.

    On the 0-255 scale each image gets ``x + addition`` (clipped), and every value at or
    above ``threshold`` becomes ``255 - value``; both are drawn per image (training only).

    Parameters
    ----------
    addition_factor : float or (float, float) in [0, 1], default 0.0
        The added value is drawn from [lower, upper * 255] (a number ``f``: [0, f * 255]).
    threshold_factor : float or (float, float) in [0, 1], default 0.0
        The threshold, drawn the same way.
    value_range : (float, float), default (0, 255)
    seed : int, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> layer = layers.Solarization(threshold_factor=(0.5, 0.5), value_range=(0, 1))
    >>> layer.transform_images(np.array([[[[0.2], [0.8]]]], "float32"),
    ...                        {"additions": [0.0], "thresholds": [127.5]}).numpy().ravel()
    array([0.2, 0.2], dtype=float32)
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.addition_factor = self._unit_range(addition_factor, "addition_factor")
        self.threshold_factor = self._unit_range(threshold_factor, "threshold_factor")
        self.value_range = _value_range(value_range, "Solarization")

    @staticmethod
    def _unit_range(factor, name):
        lower, upper = _bounded_factor(factor, name, "Solarization")
        return (lower, upper) if isinstance(factor, (tuple, list)) else (0, upper)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = (self._batch_size(data), 1, 1, 1)
        rng = self._random(seed)
        return {
            "additions": _uniform(rng, self.addition_factor[0], self.addition_factor[1] * 255, shape),
            "thresholds": _uniform(rng, self.threshold_factor[0], self.threshold_factor[1] * 255, shape),
        }

    def _transform(self, images, transformation):
        if transformation is None:
            return images
        results = xp.clip(
            _to_value_range(images, self.value_range, (0, 255)) + _per_image(transformation["additions"], images),
            0,
            255,
        )
        results = xp.where(results < _per_image(transformation["thresholds"], images), results, 255 - results)
        return _to_value_range(results, (0, 255), self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update(
            value_range=self.value_range,
            addition_factor=list(self.addition_factor),
            threshold_factor=list(self.threshold_factor),
            seed=self.seed,
        )
        return config


class RandomPosterization(BaseImagePreprocessingLayer):
    """Keep only the top ``bits`` bits of each 8-bit colour value, ``bits`` drawn per image.

    Parameters
    ----------
    factor : int or (int, int) in [1, 8]
        The number of bits kept: an integer ``f`` draws from [1, f); a pair from [lower, upper)
        (a single value when they are equal).
    value_range : (float, float), default (0, 255)
    data_format : {"channels_last", "channels_first"}, optional
    seed : int, optional
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _bounded_factor(factor, "factor", "RandomPosterization", bounds=(1, 8))
        self.value_range = _value_range(value_range, "RandomPosterization")

    def get_random_transformation(self, data, training=True, seed=None):
        n = self._batch_size(data)
        low, high = int(self.factor[0]), int(self.factor[1])
        bits = self._random(seed).integers(low, high, size=n) if low != high else numpy.full(n, low)
        return {"shift_factor": (8 - bits).astype(numpy.uint8)}

    def _transform(self, images, transformation):
        shift = _array(transformation["shift_factor"], numpy.uint8).reshape(-1, 1, 1, 1)
        eight_bit = _to_value_range(images, self.value_range, (0, 255)).astype(numpy.uint8)
        posterized = ((eight_bit >> shift) << shift).astype(images.dtype)
        return _to_value_range(posterized, (0, 255), self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update(factor=list(self.factor), value_range=self.value_range, seed=self.seed)
        return config


class AutoContrast(BaseImagePreprocessingLayer):
    """Stretch each channel of each image to span the whole ``value_range``.

    Not random, so (as in Keras) it applies at inference too. A channel with a single
    value is left as it is.

    Parameters
    ----------
    value_range : (float, float), default (0, 255)

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> layers.AutoContrast(value_range=(0, 1))(np.array([[[[0.2], [0.6]]]], "float32")).numpy().ravel()
    array([0., 1.], dtype=float32)
    """

    _applies_at_inference = True

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = _value_range(value_range, "AutoContrast")

    def _transform(self, images, transformation):
        scaled = _to_value_range(images, self.value_range, (0, 255))
        low = scaled.min(axis=(1, 2), keepdims=True)
        high = scaled.max(axis=(1, 2), keepdims=True)
        with numpy.errstate(divide="ignore", invalid="ignore"):
            scale = 255.0 / (high - low)
            stretched = xp.clip(scaled * scale - low * scale, 0.0, 255.0)
        results = _to_value_range(stretched, (0, 255), self.value_range)
        return xp.where(xp.isnan(results), images, results)

    def get_config(self):
        config = super().get_config()
        config.update(value_range=self.value_range)
        return config


class RandomHue(BaseImagePreprocessingLayer):
    """Rotate the hue of each image by a random amount, except in inference.

    Parameters
    ----------
    factor : float or (float, float) in [0, 1]
        The size of the hue shift, as a fraction of half the colour wheel: each image
        shifts by ``±0.5 * f`` with ``f`` drawn from [0, factor] (or the pair) and a random sign.
    value_range : (float, float), default (0, 255)
    data_format : {"channels_last", "channels_first"}, optional
    seed : int, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> layer = layers.RandomHue(0.5, value_range=(0, 1))
    >>> red = np.array([[[[1.0, 0.0, 0.0]]]], "float32")
    >>> layer.transform_images(red, {"factor": [1 / 3]}).numpy().ravel().round(3)   # red -> green
    array([0., 1., 0.], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _bounded_factor(factor, "factor", "RandomHue")
        self.value_range = _value_range(value_range, "RandomHue")

    def get_random_transformation(self, data, training=True, seed=None):
        n, rng = self._batch_size(data), self._random(seed)
        sign = numpy.where(rng.uniform(0, 1, size=n) > 0.5, -1.0, 1.0)
        return {"factor": (sign * rng.uniform(*self.factor, size=n) * 0.5).astype(numpy.float32)}

    def _transform(self, images, transformation):
        return _shift_hue(images, transformation["factor"], self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update(factor=list(self.factor), value_range=self.value_range, seed=self.seed)
        return config


class RandomSaturation(BaseImagePreprocessingLayer):
    """Scale the saturation of each image by a random factor, except in inference.

    A drawn ``f`` multiplies the saturation by ``f / (1 - f)``: ``0.5`` changes nothing,
    ``0`` makes the image gray, values near ``1`` saturate it fully.

    Parameters
    ----------
    factor : float or (float, float) in [-1, 1]
        ``f`` is drawn from [-factor, factor] (Keras' reading of one number; draws below 0
        give gray images) or from the pair.
    value_range : (float, float), default (0, 255)
    data_format : {"channels_last", "channels_first"}, optional
    seed : int, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> layer = layers.RandomSaturation((0.0, 0.0), value_range=(0, 1))
    >>> layer(np.array([[[[1.0, 0.5, 0.0]]]], "float32")).numpy().ravel()   # fully gray
    array([1., 1., 1.], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _bounded_factor(factor, "factor", "RandomSaturation", bounds=(-1.0, 1.0))
        self.value_range = _value_range(value_range, "RandomSaturation")

    def get_random_transformation(self, data, training=True, seed=None):
        n = self._batch_size(data)
        factor = _uniform(self._random(seed), *self.factor, size=n)
        return {"factor": factor / (1 - factor + numpy.float32(1e-7))}

    def _transform(self, images, transformation):
        return _scale_saturation(images, transformation["factor"], self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update(factor=list(self.factor), value_range=self.value_range, seed=self.seed)
        return config


class RandomColorJitter(BaseImagePreprocessingLayer):
    """Randomly change brightness, contrast, saturation and hue, in that order, except in inference.

    Each change is the one of ``RandomBrightness``, ``RandomContrast``, ``RandomSaturation``
    and ``RandomHue`` (Keras 3's arithmetic); a factor left as None skips that change.

    Parameters
    ----------
    value_range : (float, float), default (0, 255)
    brightness_factor : float or (float, float) in [-1, 1], optional
        The added brightness, as a fraction of the value range.
    contrast_factor : float or (float, float) in [0, 1], optional
        The contrast factor is drawn from [1 - lower, 1 + upper].
    saturation_factor : float or (float, float) in [-1, 1], optional
        As ``RandomSaturation``'s factor.
    hue_factor : float or (float, float) in [0, 1], optional
        As ``RandomHue``'s factor.
    seed : int, optional
    data_format : {"channels_last", "channels_first"}, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> jitter = layers.RandomColorJitter(value_range=(0, 1), brightness_factor=0.2, hue_factor=0.1, seed=1)
    >>> images = np.random.default_rng(0).uniform(0, 1, (2, 4, 4, 3)).astype("float32")
    >>> sorted(jitter.get_random_transformation(images))
    ['brightness', 'hue']
    >>> out = jitter(images).numpy()
    >>> bool(out.min() >= 0 and out.max() <= 1)
    True
    """

    def __init__(
        self,
        value_range=(0, 255),
        brightness_factor=None,
        contrast_factor=None,
        saturation_factor=None,
        hue_factor=None,
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        who = "RandomColorJitter"
        self.value_range = _value_range(value_range, who)
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        self._ranges = {}
        if brightness_factor is not None:
            self._ranges["brightness"] = _bounded_factor(brightness_factor, "brightness_factor", who, (-1.0, 1.0))
        if contrast_factor is not None:
            self._ranges["contrast"] = _bounded_factor(contrast_factor, "contrast_factor", who)
        if saturation_factor is not None:
            self._ranges["saturation"] = _bounded_factor(saturation_factor, "saturation_factor", who, (-1.0, 1.0))
        if hue_factor is not None:
            self._ranges["hue"] = _bounded_factor(hue_factor, "hue_factor", who)

    def get_random_transformation(self, data, training=True, seed=None):
        """One dict per change: ``{"brightness": {"rgb_delta"}, "contrast": {"contrast_factor"},
        "saturation": {"factor"}, "hue": {"factor"}}`` (those that are enabled), each as the
        matching Keras layer draws it."""
        if not training:
            return None
        n, rng = self._batch_size(data), self._random(seed)
        low, high = self.value_range
        drawn = {}
        if "brightness" in self._ranges:
            delta = _uniform(rng, *self._ranges["brightness"], (n, 1, 1, 1)) * (high - low)
            drawn["brightness"] = {"rgb_delta": delta}
        if "contrast" in self._ranges:
            lower, upper = self._ranges["contrast"]
            drawn["contrast"] = {"contrast_factor": _uniform(rng, 1.0 - lower, 1.0 + upper, (n, 1, 1, 1))}
        if "saturation" in self._ranges:
            factor = _uniform(rng, *self._ranges["saturation"], n)
            drawn["saturation"] = {"factor": factor / (1 - factor + numpy.float32(1e-7))}
        if "hue" in self._ranges:
            sign = numpy.where(rng.uniform(0, 1, size=n) > 0.5, -1.0, 1.0)
            drawn["hue"] = {"factor": (sign * rng.uniform(*self._ranges["hue"], size=n) * 0.5).astype(numpy.float32)}
        return drawn

    def _transform(self, images, transformation):
        if not transformation:
            return images
        if "brightness" in transformation:
            images = _add_brightness(images, transformation["brightness"]["rgb_delta"], self.value_range)
        if "contrast" in transformation:
            images = _scale_contrast(images, transformation["contrast"]["contrast_factor"], self.value_range)
        if "saturation" in transformation:
            images = _scale_saturation(images, transformation["saturation"]["factor"], self.value_range)
        if "hue" in transformation:
            images = _shift_hue(images, transformation["hue"]["factor"], self.value_range)
        return images

    def get_config(self):
        config = super().get_config()
        config.update(
            value_range=self.value_range,
            brightness_factor=self.brightness_factor,
            contrast_factor=self.contrast_factor,
            saturation_factor=self.saturation_factor,
            hue_factor=self.hue_factor,
            seed=self.seed,
        )
        return config


def _gaussian_kernel(size, sigma):
    offsets = numpy.arange(size, dtype=numpy.float64) - (size - 1) / 2
    kernel = numpy.exp(-0.5 * (offsets / sigma) ** 2)
    return kernel / kernel.sum()


def _blur_axis(images, kernel, axis):
    """Correlate ``images`` with the 1-D ``kernel`` along ``axis``, zero padded to the same size."""
    half = len(kernel) // 2
    pad = [(0, 0)] * images.ndim
    pad[axis] = (half, half)
    padded = xp.pad(images, pad)
    size = images.shape[axis]
    out = xp.zeros_like(images)
    for tap, weight in enumerate(kernel):  # a few taps, each a whole-array product
        out += images.dtype.type(weight) * xp.take(padded, xp.arange(tap, tap + size), axis=axis)
    return out


class RandomGaussianBlur(BaseImagePreprocessingLayer):
    """Blur images with a Gaussian kernel of random width, except in inference.

    Each image is blurred with a probability drawn from ``factor``; one pair of widths
    ``(sigma_x, sigma_y)`` is drawn per batch. The result is clipped to ``value_range``.

    Parameters
    ----------
    factor : float or (float, float) in [0, 1], default 1.0
        The range the blur probability is drawn from.
    kernel_size : int or (int, int), default 3
        Odd kernel sizes, ``(width, height)``.
    sigma : float or (float, float) in [0, 1], default 1.0
        The range the kernel's standard deviations are drawn from (in pixels).
    value_range : (float, float), default (0, 255)
    data_format : {"channels_last", "channels_first"}, optional
    seed : int, optional
    """

    def __init__(
        self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255), data_format=None, seed=None, **kwargs
    ):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        who = "RandomGaussianBlur"
        self.factor = _bounded_factor(factor, "factor", who)
        sizes = list(kernel_size) if isinstance(kernel_size, (tuple, list)) else [kernel_size, kernel_size]
        if len(sizes) != 2 or not all(
            isinstance(s, (int, numpy.integer)) and not isinstance(s, bool) and s > 0 and s % 2 == 1 for s in sizes
        ):
            raise ValueError(
                f"{who}: kernel_size must be an odd positive integer or a pair of them, got {kernel_size!r}"
            )
        self.kernel_size = tuple(int(s) for s in sizes)
        self.sigma = _bounded_factor(sigma, "sigma", who)
        self.value_range = _value_range(value_range, who)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        n, rng = self._batch_size(data), self._random(seed)
        probability = rng.uniform(*self.factor, size=n)
        should_apply = rng.uniform(0, 1, size=n) < probability
        return {"should_apply_blur": should_apply, "blur_factor": _uniform(rng, *self.sigma, 2) + numpy.float32(1e-6)}

    def _transform(self, images, transformation):
        if transformation is None:
            return images
        sigma_x, sigma_y = numpy.asarray(_array(transformation["blur_factor"]).tolist(), dtype=numpy.float64)
        blurred = _blur_axis(images, _gaussian_kernel(self.kernel_size[0], sigma_x), axis=2)
        blurred = _blur_axis(blurred, _gaussian_kernel(self.kernel_size[1], sigma_y), axis=1)
        apply = _array(transformation["should_apply_blur"], bool).reshape(-1, 1, 1, 1)
        return xp.clip(xp.where(apply, blurred, images), *self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update(
            factor=list(self.factor),
            kernel_size=tuple(self.kernel_size),
            sigma=list(self.sigma),
            value_range=self.value_range,
            seed=self.seed,
        )
        return config
