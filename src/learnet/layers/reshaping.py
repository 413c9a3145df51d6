"""Layers that move values around: ``UpSampling2D``, ``ZeroPadding2D``, ``Cropping2D``,
``Permute``, ``RepeatVector`` and their 1-D forms.

The image layers take ``data_format`` as the convolutions do (``"channels_first"``:
``(batch, channels, height, width)``; by default ``keras.config.image_data_format()``).

Examples
--------
>>> import learnet as tf
>>> tf.keras.layers.UpSampling2D()(tf.zeros((1, 7, 7, 8))).shape
TensorShape([1, 14, 14, 8])
>>> tf.keras.layers.ZeroPadding2D(2)(tf.zeros((1, 28, 28, 1))).shape
TensorShape([1, 32, 32, 1])
"""

import importlib

from learnet.keras_config import _standardize_data_format
from learnet.layers.base import InputSpec, Layer
from learnet.layers.conv import _ChannelsFirst
from learnet.ops.shape import broadcast_to, expand_dims, pad, reshape, tile, transpose


def _pairs(value, rank, name, who):
    """``1`` -> ((1, 1), (1, 1)); ``(1, 2)`` -> ((1, 1), (2, 2)); ``((1, 0), (2, 3))`` kept."""
    if isinstance(value, int):
        result = ((value, value),) * rank
    else:
        value = tuple(value)
        if rank == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
            result = (tuple(value),)
        elif len(value) == rank and all(isinstance(v, int) for v in value):
            result = tuple((v, v) for v in value)
        elif len(value) == rank:
            result = tuple(tuple(int(x) for x in v) for v in value)
        else:
            raise ValueError(f"{who}: {name} must be an int, {rank} ints or {rank} pairs, got {value!r}")
    if any(len(p) != 2 or min(p) < 0 for p in result):
        raise ValueError(f"{who}: {name} must be non-negative, got {value!r}")
    return result


class _Spatial(_ChannelsFirst, Layer):
    """What the layers that move values of images (or sequences, volumes) share: each works on
    channels-last data in ``_compute_last`` (``channels_first`` inputs are moved there and
    back, see ``_ChannelsFirst``).

    Keras' ``UpSampling1D`` and ``Cropping1D`` have no ``data_format`` (``_layouts = False``):
    they work on ``(batch, steps, features)`` whatever ``image_data_format()`` says.
    """

    rank = 2
    _layouts = True

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        who = type(self).__name__
        if self._layouts:
            self.data_format = _standardize_data_format(data_format, who)
        elif data_format not in (None, "channels_last"):
            raise ValueError(f"{who}: works on (batch, steps, features) only, got data_format={data_format!r}")
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _output_dtype(self, inputs):
        return inputs.dtype.name


class UpSampling2D(_Spatial):
    """Repeat each row ``size[0]`` times and each column ``size[1]`` times (nearest
    neighbour), or resize the images by those factors with another ``interpolation``.

    Parameters
    ----------
    size : int or (int, int), default 2
    interpolation : {"nearest", "bilinear", "bicubic", "lanczos3", "lanczos5"}, default "nearest"
        Anything but ``"nearest"`` resizes as ``keras.ops.image.resize`` (half-pixel
        centres, no antialiasing), as Keras 3 does.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> x = np.array([0.0, 1.0], "float32").reshape(1, 1, 2, 1)
    >>> keras.layers.UpSampling2D((1, 2))(x)[0, 0, :, 0].numpy()
    array([0., 0., 1., 1.], dtype=float32)
    >>> keras.layers.UpSampling2D((1, 2), interpolation="bilinear")(x)[0, 0, :, 0].numpy()
    array([0.  , 0.25, 0.75, 1.  ], dtype=float32)
    """

    _INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5")

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if interpolation not in self._INTERPOLATIONS:
            raise ValueError(
                f"UpSampling2D: interpolation must be one of {self._INTERPOLATIONS}, got {interpolation!r}"
            )
        self.size = (int(size), int(size)) if isinstance(size, int) else tuple(int(s) for s in size)
        if len(self.size) != 2 or min(self.size) < 1:
            raise ValueError(f"UpSampling2D: size must be a positive int or two, got {size!r}")
        self.interpolation = interpolation

    def _compute_last(self, inputs):
        n, h, w, c = inputs.shape
        sh, sw = self.size
        if self.interpolation == "nearest":
            # (n, h, 1, w, 1, c) broadcast to (n, h, sh, w, sw, c): a differentiable repeat.
            x = reshape(inputs, (n, h, 1, w, 1, c))
            x = broadcast_to(x, (n, h, sh, w, sw, c))
            x = reshape(x, (n, h * sh, w * sw, c))
        else:
            resize = importlib.import_module("learnet.keras_ops_image").resize
            x = resize(inputs, (h * sh, w * sw), interpolation=self.interpolation, data_format="channels_last")
        return x

    def _output_shape_last(self, input_shape):
        n, h, w, c = input_shape
        return (n, None if h is None else h * self.size[0], None if w is None else w * self.size[1], c)

    def get_config(self):
        config = super().get_config()
        config.update(size=tuple(self.size), interpolation=self.interpolation, data_format=self.data_format)
        return config


class UpSampling1D(_Spatial):
    """Repeat each step ``size`` times: ``(batch, steps, c)`` -> ``(batch, steps * size, c)``."""

    rank = 1
    _layouts = False

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)

    def _compute_last(self, inputs):
        n, t, c = inputs.shape
        x = broadcast_to(reshape(inputs, (n, t, 1, c)), (n, t, self.size, c))
        return reshape(x, (n, t * self.size, c))

    def _output_shape_last(self, input_shape):
        n, t, c = input_shape
        return (n, None if t is None else t * self.size, c)

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        return config


class ZeroPadding2D(_Spatial):
    """Add rows and columns of zeros around each image.

    Parameters
    ----------
    padding : int, (rows, cols) or ((top, bottom), (left, right)), default 1
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = _pairs(padding, 2, "padding", "ZeroPadding2D")

    def _compute_last(self, inputs):
        (top, bottom), (left, right) = self.padding
        return pad(inputs, [[0, 0], [top, bottom], [left, right], [0, 0]])

    def _output_shape_last(self, input_shape):
        n, h, w, c = input_shape
        (top, bottom), (left, right) = self.padding
        return (n, None if h is None else h + top + bottom, None if w is None else w + left + right, c)

    def get_config(self):
        config = super().get_config()
        config.update(padding=tuple(tuple(p) for p in self.padding), data_format=self.data_format)
        return config


class ZeroPadding1D(_Spatial):
    """Add zeros before and after the steps: ``padding`` is an int or ``(before, after)``.

    ``data_format="channels_first"`` pads ``(batch, channels, steps)`` sequences on their last axis.
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = _pairs(padding, 1, "padding", "ZeroPadding1D")[0]

    def _compute_last(self, inputs):
        return pad(inputs, [[0, 0], list(self.padding), [0, 0]])

    def _output_shape_last(self, input_shape):
        n, t, c = input_shape
        return (n, None if t is None else t + sum(self.padding), c)

    def get_config(self):
        config = super().get_config()
        config.update(padding=tuple(self.padding), data_format=self.data_format)
        return config


class Cropping2D(_Spatial):
    """Remove rows and columns at the borders of each image.

    Parameters
    ----------
    cropping : int, (rows, cols) or ((top, bottom), (left, right)), default 0
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = _pairs(cropping, 2, "cropping", "Cropping2D")

    def _check(self, h, w):
        (top, bottom), (left, right) = self.cropping
        if h is not None and top + bottom >= h or w is not None and left + right >= w:
            raise ValueError(
                f"Cropping2D '{self.name}': cropping {self.cropping} removes every pixel of an image of size {(h, w)}"
            )

    def _compute_last(self, inputs):
        h, w = inputs.shape[1], inputs.shape[2]
        self._check(h, w)
        (top, bottom), (left, right) = self.cropping
        return inputs[:, top : h - bottom, left : w - right, :]

    def _output_shape_last(self, input_shape):
        n, h, w, c = input_shape
        self._check(h, w)
        (top, bottom), (left, right) = self.cropping
        return (n, None if h is None else h - top - bottom, None if w is None else w - left - right, c)

    def get_config(self):
        config = super().get_config()
        config.update(cropping=tuple(tuple(p) for p in self.cropping), data_format=self.data_format)
        return config


class Cropping1D(_Spatial):
    """Remove steps at the start and end: ``cropping`` is an int or ``(start, end)``."""

    rank = 1
    _layouts = False

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, 1, "cropping", "Cropping1D")[0]

    def _compute_last(self, inputs):
        t = inputs.shape[1]
        if sum(self.cropping) >= t:
            raise ValueError(f"Cropping1D '{self.name}': cropping {self.cropping} removes every step of {t}")
        return inputs[:, self.cropping[0] : t - self.cropping[1], :]

    def _output_shape_last(self, input_shape):
        n, t, c = input_shape
        return (n, None if t is None else t - sum(self.cropping), c)

    def get_config(self):
        config = super().get_config()
        config["cropping"] = tuple(self.cropping)
        return config


class Permute(Layer):
    """Reorder the axes of each example: ``Permute((2, 1))`` swaps the two axes after the batch.

    Parameters
    ----------
    dims : tuple of int
        A permutation of ``1..rank-1`` (the batch axis 0 stays first).
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(int(d) for d in dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"Permute: dims must be a permutation of 1..{len(dims)}, got {dims}")
        self.dims = dims
        self.input_spec = InputSpec(ndim=len(dims) + 1)

    def call(self, inputs):
        return transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def _output_dtype(self, inputs):
        return inputs.dtype.name

    def get_config(self):
        config = super().get_config()
        config["dims"] = list(self.dims)
        return config


class RepeatVector(Layer):
    """Repeat each vector ``n`` times: ``(batch, features)`` -> ``(batch, n, features)``."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return tile(expand_dims(inputs, 1), (1, self.n, 1))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config
