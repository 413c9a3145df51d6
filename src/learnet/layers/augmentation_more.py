"""More Keras 3 image augmentation layers: ``Equalization``, ``RandomColorDegeneration``,
``RandomSharpness``, and the policies that combine many augmentations, ``RandAugment``
and ``AugMix``.

Each follows Keras 3's image preprocessing API (``augmentation.BaseImagePreprocessingLayer``):
``get_random_transformation`` draws the parameters of a batch and ``transform_images``
applies them with Keras' arithmetic, so the same draws give the same images as in Keras.
Pixel values live in ``value_range`` (``(0, 255)`` by default). In inference the images
pass through unchanged.

``RandAugment`` and ``AugMix`` hold learnet's augmentation layers (``RandomShear``,
``RandomTranslation``, ``RandomRotation``, ``RandomBrightness``, ``RandomContrast``,
``Solarization``, ``RandomPosterization``, ``AutoContrast`` and the three layers here) as
Keras does, and their transformations hold one entry per layer in Keras' format.

Examples
--------
>>> import numpy as np
>>> from learnet import layers
>>> images = np.random.default_rng(0).uniform(0, 255, (2, 16, 16, 3)).astype("float32")
>>> augment = layers.RandAugment(num_ops=2, factor=0.5, seed=1)
>>> augment(images).shape
TensorShape([2, 16, 16, 3])
>>> bool((augment(images, training=False).numpy() == images).all())
True
"""

import math

import numpy

from learnet.backend import xp
from learnet.layers.augmentation import (
    BaseImagePreprocessingLayer,
    RandomBrightness,
    RandomContrast,
    RandomRotation,
    RandomShear,
    RandomTranslation,
    _array,
    _bounded_factor,
    _check_fill,
    _value_range,
)
from learnet.layers.augmentation_color import (
    AutoContrast,
    RandomPosterization,
    Solarization,
    _add_brightness,
    _scale_contrast,
    rgb_to_grayscale,
)


def _scale_values(values, source, target):
    """``values`` mapped linearly from the range ``source`` to ``target`` (Keras' ``_scale_values``)."""
    scale = (target[1] - target[0]) / (source[1] - source[0])
    return values * scale + (target[0] - source[0] * scale)


def _rgb_images(images, layer):
    if images.shape[-1] != 3:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}' expects RGB images (3 channels), got {images.shape[-1]} channels"
        )
    return images


# --- Equalization --------------------------------------------------------------------------------------------
class Equalization(BaseImagePreprocessingLayer):
    """Histogram equalization: spread each channel's values evenly over the value range.

    Each channel's values are counted in ``bins`` bins (over the whole batch, as Keras
    does); every value is then replaced by its place in the cumulative count, rescaled to
    the value range, so a dull, low-contrast image uses all the levels. A channel whose
    values all fall in one bin is left as it is. There is no randomness; in inference the
    images pass through unchanged, as in Keras.

    Parameters
    ----------
    value_range : (float, float), default (0, 255)
        The range of the pixel values.
    bins : int, default 256
        Number of histogram bins.
    data_format : {"channels_last", "channels_first"}, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> dull = np.linspace(100, 120, 48, dtype="float32").reshape(1, 4, 4, 3)
    >>> out = layers.Equalization()(dull).numpy()
    >>> float(out.min()), float(out.max())
    (0.0, 255.0)
    """

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(bins, bool) or not isinstance(bins, (int, numpy.integer)) or bins < 2:
            raise ValueError(f"Equalization: bins must be an integer of at least 2, got {bins!r}")
        self.bins = int(bins)
        self.value_range = _value_range(value_range, "Equalization")

    def _transform(self, images, transformation):
        low, high = self.value_range
        levels = images if (low, high) == (0, 255) else _scale_values(images, (low, high), (0, 255))
        levels = levels.astype(numpy.float32)
        bins, channels = self.bins, levels.shape[-1]
        # One histogram per channel, over the batch: bin indices offset by channel, one bincount.
        index = xp.clip((levels * (bins - 1) / 255.0).astype(xp.int32), 0, bins - 1)
        offsets = xp.arange(channels, dtype=xp.int64) * bins
        counts = xp.bincount((index + offsets).reshape(-1), minlength=bins * channels).reshape(channels, bins)
        cdf = xp.cumsum(counts, axis=1)  # (channels, bins)
        first = xp.argmax(cdf > 0, axis=1)
        cdf_min = xp.take_along_axis(cdf, first[:, None], axis=1)
        denominator = cdf[:, -1:] - cdf_min
        denominator = xp.where(denominator == 0, 1, denominator)
        table = xp.clip(xp.round(((cdf - cdf_min) * 255 / denominator).astype(numpy.float32)), 0, 255)
        lookup = xp.clip(levels / 255.0 * (bins - 1), 0, bins - 1).astype(xp.int32)
        equalized = table[xp.arange(channels), lookup]  # (..., channels): each channel through its table
        flat = xp.count_nonzero(counts, axis=1) <= 1  # one level only: left as it is
        equalized = xp.where(flat, levels, equalized)
        if (low, high) != (0, 255):
            equalized = _scale_values(equalized, (0, 255), (low, high))
        return equalized.astype(images.dtype)

    def get_config(self):
        config = super().get_config()
        config.update(bins=self.bins, value_range=list(self.value_range))
        return config


# --- RandomColorDegeneration and RandomSharpness -----------------------------------------------------------
class _RandomBlendLayer(BaseImagePreprocessingLayer):
    """What the two blends share: a factor drawn per image, a value range, a seed."""

    _factor_bounds = (-1.0, 1.0)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        who = type(self).__name__
        self.factor = _bounded_factor(factor, "factor", who, bounds=self._factor_bounds)
        self.value_range = _value_range(value_range, who)

    def get_config(self):
        config = super().get_config()
        config.update(factor=list(self.factor), value_range=list(self.value_range), seed=self.seed)
        return config


class RandomColorDegeneration(_RandomBlendLayer):
    """Blend each image toward its grayscale version by a random amount.

    ``out = image + f * (gray(image) - image)``, ``f`` drawn per image from ``factor``'s
    range (0: unchanged, 1: gray, negative: more colourful), clipped to ``value_range``.

    Parameters
    ----------
    factor : float or (float, float) in [-1, 1]
        A number ``f`` draws from ``[-f, f]``; a pair from that range.
    value_range : (float, float), default (0, 255)
    data_format : {"channels_last", "channels_first"}, optional
    seed : int, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> images = np.random.default_rng(0).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    >>> gray = layers.RandomColorDegeneration((1.0, 1.0))(images).numpy()
    >>> bool(np.allclose(gray[..., 0], gray[..., 1]))
    True
    """

    def get_random_transformation(self, data, training=True, seed=None):
        n, rng = self._batch_size(data), self._random(seed)
        factor = rng.uniform(self.factor[0], self.factor[1], size=(n, 1, 1, 1)).astype(numpy.float32)
        return {"factor": factor}

    def _transform(self, images, transformation):
        images = _rgb_images(images, self)
        factor = _array(transformation["factor"], images.dtype).reshape(-1, 1, 1, 1)
        gray = rgb_to_grayscale(images)
        return xp.clip(images + factor * (gray - images), *self.value_range)


class RandomSharpness(_RandomBlendLayer):
    """Sharpen or soften each image by a random amount.

    A smoothed copy (each pixel averaged with its 8 neighbours, weights 5/13 and 1/13, zeros
    past the border) is blended with the image: ``out = image + (1 - 2 f) * (smooth -
    image)``, ``f`` drawn per image from ``factor``'s range: 0 gives the smoothed image, 0.5
    the image itself, 1 a sharpened one. The result is clipped to ``value_range``.

    Parameters
    ----------
    factor : float or (float, float) in [0, 1]
        A number ``f`` draws from ``[0, f]``; a pair from that range.
    value_range : (float, float), default (0, 255)
    data_format : {"channels_last", "channels_first"}, optional
    seed : int, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> images = np.full((1, 5, 5, 3), 100.0, dtype="float32")
    >>> out = layers.RandomSharpness((0.5, 0.5))(images).numpy()    # f = 0.5: unchanged
    >>> bool(np.allclose(out, images))
    True
    """

    _factor_bounds = (0.0, 1.0)

    def get_random_transformation(self, data, training=True, seed=None):
        n, rng = self._batch_size(data), self._random(seed)
        return {"factor": rng.uniform(self.factor[0], self.factor[1], size=(n,)).astype(numpy.float32)}

    def _transform(self, images, transformation):
        sharpness = _array(transformation["factor"], images.dtype).reshape(-1, 1, 1, 1) * 2
        height, width = images.shape[1], images.shape[2]
        padded = xp.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)))
        neighbourhood = sum(
            padded[:, i : i + height, j : j + width] for i in range(3) for j in range(3)
        )  # the 3x3 sums, from 9 shifted views
        smoothed = neighbourhood * (1.0 / 13.0) + images * (4.0 / 13.0)
        return xp.clip(images + (1.0 - sharpness) * (smoothed.astype(images.dtype) - images), *self.value_range)


# --- the policies: RandAugment and AugMix ----------------------------------------------------------------
def _keras_rotation_matrix(angles, height, width):
    """Keras' ``(n, 8)`` rotation transforms about the image center, ``angles`` in degrees."""
    theta = numpy.asarray(angles, numpy.float32) * numpy.float32(math.pi / 180.0)
    cos, sin = numpy.cos(theta), numpy.sin(theta)
    cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
    zeros = numpy.zeros_like(cos)
    rows = [cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos, zeros, zeros]
    return numpy.stack(rows, axis=1).astype(numpy.float32)


def _affine_transform(images, transforms, interpolation):
    """``images`` (n, h, w, c) under Keras' ``(n, 8)`` affine transforms, reflecting at the borders."""
    from learnet.keras_ops_image import affine_transform

    out = affine_transform(images, transforms, interpolation=interpolation, fill_mode="reflect", fill_value=0.0)
    return _array(out, images.dtype)


class _AugmentationPolicy(BaseImagePreprocessingLayer):
    """What RandAugment and AugMix share: the augmentation layers, built as Keras builds them,
    and a draw and an application of any of them in Keras' transformation format."""

    _augment_layers: tuple[str, ...] = ()

    def _make_layers(self, value_range, interpolation, seed):
        factor = self.factor
        self.random_shear = RandomShear(x_factor=factor, y_factor=factor, interpolation=interpolation, seed=seed)
        self.random_translation = RandomTranslation(factor, factor, interpolation=interpolation, seed=seed)
        self.random_rotation = RandomRotation(factor, interpolation=interpolation, seed=seed)
        self.random_brightness = RandomBrightness(factor, value_range=value_range, seed=seed)
        self.random_color_degeneration = RandomColorDegeneration(factor, value_range=value_range, seed=seed)
        self.random_contrast = RandomContrast(factor, seed=seed)
        self.random_sharpness = RandomSharpness(factor, value_range=value_range, seed=seed)
        self.solarization = Solarization(
            addition_factor=factor, threshold_factor=factor, value_range=value_range, seed=seed
        )
        self.random_posterization = RandomPosterization(
            factor=max(1, int(8 * factor[1])), value_range=value_range, seed=seed
        )
        self.auto_contrast = AutoContrast(value_range=value_range)
        self.equalization = Equalization(value_range=value_range)

    def _draw(self, name, data, rng):
        """The transformation of augmentation ``name`` for the images of ``data``, in Keras' format."""
        lower, upper = self.factor
        n = self._batch_size(data)
        height, width = self._height_width(data)
        if name == "random_translation":
            shift_y = rng.uniform(lower, upper, size=(n, 1)) * height
            shift_x = rng.uniform(lower, upper, size=(n, 1)) * width
            return {"translations": numpy.concatenate([shift_x, shift_y], axis=1).astype(numpy.float32)}
        if name == "random_rotation":
            angle = rng.uniform(lower * 360.0, upper * 360.0, size=(n,)).astype(numpy.float32)
            return {"angle": angle, "rotation_matrix": _keras_rotation_matrix(angle, height, width)}
        if name == "random_brightness":
            span = self.value_range[1] - self.value_range[0]
            return {"rgb_delta": (rng.uniform(lower, upper, size=(n, 1, 1, 1)) * span).astype(numpy.float32)}
        if name == "random_contrast":
            return {"contrast_factor": rng.uniform(1.0 - lower, 1.0 + upper, size=(n, 1, 1, 1)).astype(numpy.float32)}
        return getattr(self, name).get_random_transformation(data, training=True, seed=rng)

    def _apply(self, name, images, transformation):
        """Augmentation ``name`` applied to channels-last float ``images`` (Keras' arithmetic)."""
        if name == "random_translation":
            shift = _array(transformation["translations"], numpy.float32).reshape(-1, 2)
            ones, zeros = numpy.ones(len(shift), numpy.float32), numpy.zeros(len(shift), numpy.float32)
            transforms = numpy.stack([ones, zeros, -shift[:, 0], zeros, ones, -shift[:, 1], zeros, zeros], axis=1)
            return _affine_transform(images, transforms, self.interpolation)
        if name == "random_rotation":
            transforms = _array(transformation["rotation_matrix"], numpy.float32).reshape(-1, 8)
            return _affine_transform(images, transforms, self.interpolation)
        if name == "random_brightness":
            return _add_brightness(images, _array(transformation["rgb_delta"], images.dtype), self.value_range)
        if name == "random_contrast":
            factor = _array(transformation["contrast_factor"], images.dtype)
            return _scale_contrast(images, factor, self.value_range)
        return getattr(self, name)._transform(images, transformation).astype(images.dtype, copy=False)

    def build(self, input_shape):
        for name in self._augment_layers:
            getattr(self, name)._maybe_build(input_shape)
        self.built = True


def _policy_arguments(layer, value_range, factor, interpolation):
    who = type(layer).__name__
    layer.value_range = _value_range(value_range, who)
    layer.factor = _bounded_factor(factor, "factor", who, bounds=(0.0, 1.0))
    _check_fill("reflect", interpolation, who)
    layer.interpolation = interpolation


def _count(value, name, who, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < minimum:
        raise ValueError(f"{who}: {name} must be an integer of at least {minimum}, got {value!r}")
    return int(value)


class RandAugment(_AugmentationPolicy):
    """RandAugment: ``num_ops`` augmentations, each picked at random from
    eleven, applied one after the other with strength ``factor``.

    The eleven are shear, translation, rotation, brightness, colour degeneration, contrast,
    sharpness, posterization, solarization, auto-contrast and equalization. Each pick
    applies to the whole batch (every image with its own random parameters), as in Keras.

    Parameters
    ----------
    value_range : (float, float), default (0, 255)
    num_ops : int, default 2
        How many augmentations are applied in a row.
    factor : float or (float, float) in [0, 1], default 0.5
        Their strength: a number ``f`` means ``(0, f)``.
    interpolation : {"bilinear", "nearest"}, default "bilinear"
        For the geometric augmentations.
    seed : int, optional
    data_format : {"channels_last", "channels_first"}, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> images = np.random.default_rng(0).uniform(0, 255, (4, 8, 8, 3)).astype("float32")
    >>> layer = layers.RandAugment(seed=0)
    >>> t = layer.get_random_transformation(images)
    >>> t["layer_idxes"].shape, len(t["transforms"])
    ((2,), 11)
    >>> layer.transform_images(images, t).shape
    TensorShape([4, 8, 8, 3])
    """

    _augment_layers = (
        "random_shear",
        "random_translation",
        "random_rotation",
        "random_brightness",
        "random_color_degeneration",
        "random_contrast",
        "random_sharpness",
        "random_posterization",
        "solarization",
        "auto_contrast",
        "equalization",
    )

    def __init__(
        self,
        value_range=(0, 255),
        num_ops=2,
        factor=0.5,
        interpolation="bilinear",
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        _policy_arguments(self, value_range, factor, interpolation)
        self.num_ops = _count(num_ops, "num_ops", "RandAugment", minimum=0)
        self._make_layers(self.value_range, interpolation, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        rng = self._random(seed)
        layer_idxes = rng.integers(0, len(self._augment_layers), size=(self.num_ops,))
        transforms = {name: self._draw(name, data, rng) for name in self._augment_layers}
        return {"transforms": transforms, "layer_idxes": layer_idxes}

    def _transform(self, images, transformation):
        if transformation is None:
            return images
        chosen = numpy.asarray(_array(transformation["layer_idxes"])).reshape(-1)
        transforms = transformation["transforms"]
        for index in chosen[: self.num_ops]:
            name = self._augment_layers[int(index)]
            images = self._apply(name, images, transforms[name])
        return images

    def get_config(self):
        config = super().get_config()
        config.update(
            value_range=list(self.value_range),
            num_ops=self.num_ops,
            factor=list(self.factor),
            interpolation=self.interpolation,
            seed=self.seed,
        )
        return config


class AugMix(_AugmentationPolicy):
    """AugMix: several chains of random augmentations, mixed.

    Each of ``num_chains`` chains applies up to ``chain_depth`` augmentations picked at
    random (each of the ``chain_depth`` steps may also be skipped); the chains' results are
    averaged with weights drawn from a Dirichlet(``alpha``) distribution, and the average is
    blended with the original images by a weight drawn from Beta(``alpha``, ``alpha``).

    Parameters
    ----------
    value_range : (float, float), default (0, 255)
    num_chains : int, default 3
    chain_depth : int, default 3
    factor : float or (float, float) in [0, 1], default 0.3
        The augmentations' strength: a number ``f`` means ``(0, f)``.
    alpha : float, default 1.0
    all_ops : bool, default True
        Also use brightness, colour degeneration, contrast and sharpness (else only shear,
        translation, rotation, posterization, solarization, auto-contrast and equalization).
    interpolation : {"bilinear", "nearest"}, default "bilinear"
    seed : int, optional
    data_format : {"channels_last", "channels_first"}, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> images = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    >>> out = layers.AugMix(seed=0)(images).numpy()
    >>> out.shape, bool(out.min() >= 0 and out.max() <= 255)
    ((2, 8, 8, 3), True)
    """

    _all_layers = (
        "random_shear",
        "random_translation",
        "random_rotation",
        "random_posterization",
        "solarization",
        "auto_contrast",
        "equalization",
        "random_brightness",
        "random_color_degeneration",
        "random_contrast",
        "random_sharpness",
    )

    def __init__(
        self,
        value_range=(0, 255),
        num_chains=3,
        chain_depth=3,
        factor=0.3,
        alpha=1.0,
        all_ops=True,
        interpolation="bilinear",
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        _policy_arguments(self, value_range, factor, interpolation)
        self.num_chains = _count(num_chains, "num_chains", "AugMix")
        self.chain_depth = _count(chain_depth, "chain_depth", "AugMix")
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float, numpy.number)) or not alpha > 0:
            raise ValueError(f"AugMix: alpha must be a positive number, got {alpha!r}")
        self.alpha = float(alpha)
        self.all_ops = bool(all_ops)
        self._augment_layers = self._all_layers if self.all_ops else self._all_layers[:7]
        self._make_layers(self.value_range, interpolation, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        rng = self._random(seed)
        gamma = rng.gamma(self.alpha, size=(self.num_chains,))
        chain_mixing_weights = (gamma / gamma.sum()).astype(numpy.float32)
        weight_sample = numpy.float32(rng.beta(self.alpha, self.alpha))
        choices = len(self._augment_layers) + 1  # the last choice: skip this step
        chain_transforms = []
        for _ in range(self.num_chains):
            chain = []
            for pick in rng.integers(0, choices, size=(self.chain_depth,)):
                if pick < len(self._augment_layers):
                    name = self._augment_layers[int(pick)]
                    chain.append({"layer_name": name, "transformation": self._draw(name, data, rng)})
            chain_transforms.append(chain)
        return {
            "chain_mixing_weights": chain_mixing_weights,
            "weight_sample": weight_sample,
            "chain_transforms": chain_transforms,
        }

    def _transform(self, images, transformation):
        if transformation is None:
            return images
        weights = _array(transformation["chain_mixing_weights"], images.dtype).reshape(-1)
        blend = _array(transformation["weight_sample"], images.dtype).reshape(())
        mixed = xp.zeros_like(images)
        for weight, chain in zip(weights, transformation["chain_transforms"]):
            augmented = images
            for step in chain:
                augmented = self._apply(step["layer_name"], augmented, step["transformation"])
            mixed = mixed + augmented * weight
        return xp.clip(blend * images + (1 - blend) * mixed, *self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update(
            value_range=list(self.value_range),
            num_chains=self.num_chains,
            chain_depth=self.chain_depth,
            factor=list(self.factor),
            alpha=self.alpha,
            all_ops=self.all_ops,
            interpolation=self.interpolation,
            seed=self.seed,
        )
        return config
