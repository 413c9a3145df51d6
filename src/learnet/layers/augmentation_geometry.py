"""Geometric augmentation layers of Keras 3 on ``keras.ops.image``: ``RandomPerspective``
and ``RandomElasticTransform``.

Each follows Keras 3's image preprocessing API (``augmentation.BaseImagePreprocessingLayer``):
``get_random_transformation`` draws the parameters of a batch and ``transform_images``
applies them, so the same draws always give the same images. In inference
(``training=False``) the images pass through unchanged.

Examples
--------
>>> import numpy as np
>>> from learnet import layers
>>> images = np.random.default_rng(0).uniform(0, 255, (2, 16, 16, 3)).astype("float32")
>>> layers.RandomPerspective(scale=0.3, seed=0)(images).shape
TensorShape([2, 16, 16, 3])
>>> layers.RandomElasticTransform(seed=0)(images, training=False).numpy().tolist() == images.tolist()
True
"""

import numpy

from learnet import keras_ops_image
from learnet.backend import xp
from learnet.layers.augmentation import BaseImagePreprocessingLayer, _array, _bounded_factor, _value_range
from learnet.tensor import to_array

_INTERPOLATIONS = ("nearest", "bilinear")
_ELASTIC_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _check_interpolation(interpolation, who):
    if interpolation not in _INTERPOLATIONS:
        # Keras raises NotImplementedError here; so does learnet, with the same choices.
        raise NotImplementedError(f"{who}: interpolation must be one of {_INTERPOLATIONS}, got {interpolation!r}")


def _applied(mask, transformed, images):
    """``transformed`` where the per-image ``mask`` is set, ``images`` elsewhere."""
    return xp.where(_array(mask, bool).reshape(-1, 1, 1, 1), transformed, images)


class RandomPerspective(BaseImagePreprocessingLayer):
    """Warp images in perspective by moving their corners at random, except in inference.

    Each image is warped with a probability drawn from ``factor``. Its four corners move by
    up to ``scale / 2`` times their own coordinates (the top-left corner stays): output pixels
    read the input through the perspective map between the moved and the original corners,
    and points outside the image read ``fill_value``.

    Parameters
    ----------
    factor : float or (float, float) in [0, 1], default 1.0
        The range the probability of warping an image is drawn from (``0.7`` means [0, 0.7]).
    scale : float in [0, 1], default 1.0
        How far the corners move.
    interpolation : {"bilinear", "nearest"}, default "bilinear"
    fill_value : float, default 0.0
    seed : int, optional
    data_format : {"channels_last", "channels_first"}, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> layer = layers.RandomPerspective(scale=0.2, seed=1)
    >>> images = np.ones((2, 8, 8, 3), "float32")
    >>> t = layer.get_random_transformation(images)
    >>> t["start_points"].shape, t["end_points"].shape
    ((2, 4, 2), (2, 4, 2))
    >>> layer.transform_images(images, t).shape
    TensorShape([2, 8, 8, 3])
    """

    def __init__(
        self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0, seed=None, data_format=None, **kwargs
    ):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        who = "RandomPerspective"
        self.factor = _bounded_factor(factor, "factor", who)
        if isinstance(scale, bool) or not isinstance(scale, (int, float, numpy.number)) or not 0 <= scale <= 1:
            raise ValueError(f"{who}: scale must be a number in [0, 1], got {scale!r}")
        _check_interpolation(interpolation, who)
        self.scale = float(scale)
        self.interpolation = interpolation
        self.fill_value = fill_value

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        n, rng = self._batch_size(data), self._random(seed)
        height, width = self._height_width(data)
        probability = rng.uniform(*self.factor, size=n)
        apply = rng.uniform(0.0, 1.0, size=n) < probability
        moves = rng.uniform(-0.5 * self.scale, 0.5 * self.scale, size=(n, 4, 2)).astype(numpy.float32)
        corners = numpy.array([[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]], numpy.float32)
        start = numpy.repeat(corners[None], n, axis=0)
        return {
            "apply_perspective": apply,
            "start_points": start,
            "end_points": start + start * moves,
            "input_shape": tuple(self._images_of(data).shape),
        }

    def _transform(self, images, transformation):
        if transformation is None:
            return images
        warped = keras_ops_image.perspective_transform(
            images,
            _array(transformation["start_points"]),
            _array(transformation["end_points"]),
            interpolation=self.interpolation,
            fill_value=self.fill_value,
        )
        return _applied(transformation["apply_perspective"], to_array(warped), images)

    def get_config(self):
        config = super().get_config()
        config.update(
            factor=list(self.factor),
            scale=self.scale,
            interpolation=self.interpolation,
            fill_value=self.fill_value,
            seed=self.seed,
        )
        return config


class RandomElasticTransform(BaseImagePreprocessingLayer):
    """Deform images elastically at random (``keras.ops.image.elastic_transform``), except in inference.

    Each image is deformed with a probability drawn from ``factor``; one distortion ``d``
    drawn from ``scale`` sets the batch's strength ``alpha = 0.1 d max(height, width)`` and
    smoothness ``sigma = 0.05 d min(height, width)``. The result is clipped to ``value_range``.

    Parameters
    ----------
    factor : float or (float, float) in [0, 1], default 1.0
        The range the probability of deforming an image is drawn from.
    scale : float or (float, float) in [0, 1], default 1.0
        The range the distortion is drawn from.
    interpolation : {"bilinear", "nearest"}, default "bilinear"
    fill_mode : {"reflect", "constant", "nearest", "wrap", "mirror"}, default "reflect"
    fill_value : float, default 0.0
    value_range : (float, float), default (0, 255)
    seed : int, optional
    data_format : {"channels_last", "channels_first"}, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> layer = layers.RandomElasticTransform(scale=0.5, value_range=(0, 1), seed=0)
    >>> images = np.random.default_rng(0).uniform(size=(2, 16, 16, 1)).astype("float32")
    >>> out = layer(images).numpy()
    >>> out.shape, bool(out.min() >= 0 and out.max() <= 1)
    ((2, 16, 16, 1), True)
    """

    def __init__(
        self,
        factor=1.0,
        scale=1.0,
        interpolation="bilinear",
        fill_mode="reflect",
        fill_value=0.0,
        value_range=(0, 255),
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        who = "RandomElasticTransform"
        self.factor = _bounded_factor(factor, "factor", who)
        self.scale = _bounded_factor(scale, "scale", who)
        _check_interpolation(interpolation, who)
        if fill_mode not in _ELASTIC_FILL_MODES:
            raise NotImplementedError(f"{who}: fill_mode must be one of {_ELASTIC_FILL_MODES}, got {fill_mode!r}")
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.value_range = _value_range(value_range, who)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        n, rng = self._batch_size(data), self._random(seed)
        probability = rng.uniform(*self.factor, size=n)
        apply = rng.uniform(0.0, 1.0, size=n) < probability
        distortion = numpy.float32(rng.uniform(*self.scale))
        # The noise of the displacement fields is drawn from this seed when the images are transformed.
        return {"apply_transform": apply, "distortion_factor": distortion, "seed": int(rng.integers(2**31 - 1))}

    def _transform(self, images, transformation):
        if transformation is None:
            return images
        height, width = images.shape[1], images.shape[2]
        distortion = float(_array(transformation["distortion_factor"]))
        alpha = max(height, width) * 0.1 * distortion
        sigma = min(height, width) * 0.05 * distortion
        if sigma <= 0:  # no distortion: nothing moves
            return images
        deformed = keras_ops_image.elastic_transform(
            images,
            alpha=alpha,
            sigma=sigma,
            interpolation=self.interpolation,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            seed=transformation["seed"],
        )
        out = _applied(transformation["apply_transform"], to_array(deformed), images)
        return out.clip(*self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update(
            factor=list(self.factor),
            scale=list(self.scale),
            interpolation=self.interpolation,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            value_range=self.value_range,
            seed=self.seed,
        )
        return config
