"""Augmentation layers that mix images or erase parts of them (Keras 3): ``MixUp``,
``CutMix`` and ``RandomErasing``.

``MixUp`` and ``CutMix`` mix each image with another image of the same batch; given a dict
``{"images": ..., "labels": ...}`` they mix the (one-hot) labels in the same proportions.
All three follow Keras 3's image preprocessing API (``get_random_transformation`` then
``transform_images``; see ``augmentation.BaseImagePreprocessingLayer``) and apply in
training only.

Examples
--------
>>> import numpy as np
>>> from learnet import layers
>>> images = np.random.default_rng(0).uniform(0, 255, (4, 8, 8, 3)).astype("float32")
>>> labels = np.eye(4, dtype="float32")
>>> mixed = layers.MixUp(alpha=0.2, seed=0)({"images": images, "labels": labels})
>>> mixed["images"].shape, np.allclose(np.asarray(mixed["labels"]).sum(axis=1), 1)
(TensorShape([4, 8, 8, 3]), True)
"""

import numpy

from learnet.backend import xp
from learnet.layers.augmentation import BaseImagePreprocessingLayer, _array, _bounded_factor, _uniform, _value_range
from learnet.tensor import Tensor


def _mix_labels(labels, transformation, weights):
    """``w * labels + (1 - w) * labels[permutation]``, one weight per example."""
    values = _array(labels)
    values = values if values.dtype.kind == "f" else values.astype(numpy.float32)
    order = _array(transformation["permutation_order"]).astype(numpy.int64)
    weights = _array(weights, values.dtype).reshape((-1,) + (1,) * (values.ndim - 1))
    return Tensor._wrap(weights * values + (1.0 - weights) * values[order])


def _box_masks(height, width, x_bounds, y_bounds):
    """``(n, height, width)`` masks of the pixels with ``x0 <= x < x1`` and ``y0 <= y < y1``."""
    (x0, x1), (y0, y1) = ([b.reshape(-1, 1, 1) for b in bounds] for bounds in (x_bounds, y_bounds))
    grid_y = numpy.arange(height, dtype=numpy.float32).reshape(1, -1, 1)
    grid_x = numpy.arange(width, dtype=numpy.float32).reshape(1, 1, -1)
    return (grid_x >= x0) & (grid_x < x1) & (grid_y >= y0) & (grid_y < y1)


def _crop_bounds(rng, n, length, ratio):
    """Keras' random windows: ``ratio * length`` long, starting anywhere they fit."""
    crop = (ratio * length).astype(numpy.float32)
    start = _uniform(rng, 0, 1, n) * (length - crop)
    return start, start + crop


class MixUp(BaseImagePreprocessingLayer):
    """Blend each image with another image of the batch (MixUp).

    Image ``i`` becomes ``w * x[i] + (1 - w) * x[j]``, with ``j`` a random permutation of the
    batch and ``w ~ Beta(alpha, alpha)`` per image; labels passed as ``{"images", "labels"}``
    are mixed with the same weights.

    Parameters
    ----------
    alpha : float, default 0.2
        The Beta distribution's parameter: small values keep most images nearly whole.
    data_format : {"channels_last", "channels_first"}, optional
    seed : int, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> images = np.stack([np.zeros((2, 2, 1)), np.ones((2, 2, 1))]).astype("float32")
    >>> layers.MixUp().transform_images(images, {"mix_weight": [0.75, 0.75],
    ...                                          "permutation_order": [1, 0]}).numpy()[:, 0, 0, 0]
    array([0.25, 0.75], dtype=float32)
    """

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float, numpy.number)) or not alpha > 0:
            raise ValueError(f"MixUp: alpha must be a positive number, got {alpha!r}")
        self.alpha = float(alpha)

    def get_random_transformation(self, data, training=True, seed=None):
        n, rng = self._batch_size(data), self._random(seed)
        return {
            "mix_weight": rng.beta(self.alpha, self.alpha, size=n).astype(numpy.float32),
            "permutation_order": rng.permutation(n).astype(numpy.int64),
        }

    def _transform(self, images, transformation):
        weights = _array(transformation["mix_weight"], images.dtype).reshape(-1, 1, 1, 1)
        order = _array(transformation["permutation_order"]).astype(numpy.int64)
        return weights * images + (1.0 - weights) * images[order]

    def transform_labels(self, labels, transformation, training=True):
        """Mix the labels as the images were mixed."""
        if not training:
            return labels
        return _mix_labels(labels, transformation, transformation["mix_weight"])

    def get_config(self):
        config = super().get_config()
        config.update(alpha=self.alpha, seed=self.seed)
        return config


class CutMix(BaseImagePreprocessingLayer):
    """Paste a random box of another image of the batch into each image (CutMix).

    The box covers a fraction ``1 - w`` of the image, ``w ~ Beta(a, a)`` with ``a`` drawn from
    ``factor``; labels passed as ``{"images", "labels"}`` are mixed by the box's true area. A
    single image (no batch) passes unchanged, as in Keras.

    Parameters
    ----------
    factor : float or (float, float) in [0, 1], default 1.0
        The range the Beta parameter is drawn from.
    seed : int, optional
    data_format : {"channels_last", "channels_first"}, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> images = np.stack([np.zeros((4, 4, 1)), np.ones((4, 4, 1))]).astype("float32")
    >>> out = layers.CutMix(seed=0)(images).numpy()
    >>> bool(set(np.unique(out)) <= {0.0, 1.0})     # pixels are copied, never blended
    True
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _bounded_factor(factor, "factor", "CutMix")

    def get_random_transformation(self, data, training=True, seed=None):
        images = self._images_of(data)
        if not training or len(tuple(images.shape)) == 3:
            return None
        n, rng = self._batch_size(data), self._random(seed)
        height, width = self._height_width(data)
        alpha = numpy.float32(rng.uniform(*self.factor)) + numpy.float32(1e-6)
        mix_weight = rng.beta(alpha, alpha, size=n).astype(numpy.float32)
        ratio = numpy.sqrt(1.0 - mix_weight)
        x0, x1 = _crop_bounds(rng, n, width, ratio)
        y0, y1 = _crop_bounds(rng, n, height, ratio)
        masks = _box_masks(height, width, (x0, x1), (y0, y1))
        channels = tuple(images.shape)[1 if self.data_format == "channels_first" else -1]
        masks = numpy.repeat(
            masks[:, None] if self.data_format == "channels_first" else masks[..., None],
            channels,
            axis=1 if self.data_format == "channels_first" else -1,
        )
        area = ((x1 - x0) * (y1 - y0) / (width * height)).reshape(-1, 1, 1, 1)
        return {
            "permutation_order": rng.permutation(n).astype(numpy.int32),
            "batch_masks": masks,
            "mix_weight": (1.0 - area).astype(numpy.float32),
        }

    def _transform(self, images, transformation):
        if transformation is None:
            return images
        masks = self._channels_last(_array(transformation["batch_masks"], bool))
        order = _array(transformation["permutation_order"]).astype(numpy.int64)
        return xp.where(masks, images[order], images)

    def transform_labels(self, labels, transformation, training=True):
        """Mix the labels by the share of each image that stayed."""
        if not training or transformation is None:
            return labels
        return _mix_labels(labels, transformation, transformation["mix_weight"])

    def get_config(self):
        config = super().get_config()
        config.update(factor=list(self.factor), seed=self.seed)
        return config


class RandomErasing(BaseImagePreprocessingLayer):
    """Erase a random box of each image (Random Erasing), except in inference.

    Each image is erased with a probability drawn from ``factor``; its box covers a
    fraction of the width and of the height drawn (as square roots) from ``scale``, and is
    filled with ``fill_value`` or, by default, Gaussian noise scaled to ``value_range``.

    Parameters
    ----------
    factor : float or (float, float) in [0, 1], default 1.0
        The range the erasing probability is drawn from.
    scale : float or (float, float) in [0, 1], default (0.02, 0.33)
        The range of the box's area, as a fraction of the image.
    fill_value : float or [float, float, float], optional
        The erased pixels' value (one per channel for a list); random noise when None.
    value_range : (float, float), default (0, 255)
    seed : int, optional
    data_format : {"channels_last", "channels_first"}, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> erase = layers.RandomErasing(factor=(1.0, 1.0), scale=(0.25, 0.25), fill_value=0, seed=0)
    >>> out = erase(np.full((1, 8, 8, 1), 255.0, "float32")).numpy()
    >>> int((out == 0).sum())                          # a 4 x 4 box erased
    16
    """

    def __init__(
        self,
        factor=1.0,
        scale=(0.02, 0.33),
        fill_value=None,
        value_range=(0, 255),
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _bounded_factor(factor, "factor", "RandomErasing")
        self.scale = _bounded_factor(scale, "scale", "RandomErasing")
        message = f"RandomErasing: fill_value must be a number or a list of 3 numbers, got {fill_value!r}"
        if isinstance(fill_value, (tuple, list)):
            if len(fill_value) != 3:
                raise ValueError(message)
            fill_value = list(fill_value)
        elif fill_value is not None and (
            isinstance(fill_value, bool) or not isinstance(fill_value, (int, float, numpy.number))
        ):
            raise ValueError(message)
        self.fill_value = fill_value
        self.value_range = _value_range(value_range, "RandomErasing")

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = self._images_of(data)
        shape = tuple(images.shape) if len(tuple(images.shape)) == 4 else (1,) + tuple(images.shape)
        n, rng = shape[0], self._random(seed)
        height, width = self._height_width(data)
        sides = numpy.sqrt(_uniform(rng, *self.scale, (n, 2)))
        x0, x1 = _crop_bounds(rng, n, width, sides[:, 0])
        y0, y1 = _crop_bounds(rng, n, height, sides[:, 1])
        masks = _box_masks(height, width, (x0, x1), (y0, y1))
        channels_first = self.data_format == "channels_first"
        masks = numpy.repeat(
            masks[:, None] if channels_first else masks[..., None],
            shape[1 if channels_first else -1],
            axis=1 if channels_first else -1,
        )
        probability = rng.uniform(*self.factor, size=n)
        apply = rng.uniform(0, 1, size=n) < probability
        if self.fill_value is None:
            fill = rng.standard_normal(shape).astype(numpy.float32) * self.value_range[1]
        elif isinstance(self.fill_value, list):
            channel_shape = (1, -1, 1, 1) if channels_first else (1, 1, 1, -1)
            fill = numpy.broadcast_to(numpy.asarray(self.fill_value, numpy.float32).reshape(channel_shape), shape)
        else:
            fill = numpy.full(shape, self.fill_value, numpy.float32)
        fill = numpy.clip(fill, *self.value_range)
        return {"apply_erasing": apply, "batch_masks": masks, "fill_value": fill}

    def _transform(self, images, transformation):
        if transformation is None:
            return images
        masks = self._channels_last(_array(transformation["batch_masks"], bool))
        fill = self._channels_last(_array(transformation["fill_value"], images.dtype))
        apply = _array(transformation["apply_erasing"], bool).reshape(-1, 1, 1, 1)
        return xp.where(apply & masks, fill, images)

    def get_config(self):
        config = super().get_config()
        config.update(
            factor=list(self.factor),
            scale=list(self.scale),
            fill_value=self.fill_value,
            value_range=self.value_range,
            seed=self.seed,
        )
        return config
