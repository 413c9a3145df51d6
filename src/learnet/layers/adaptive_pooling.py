"""Adaptive pooling layers: ``AdaptiveAveragePooling1D/2D/3D`` and ``AdaptiveMaxPooling1D/2D/3D``.

An ordinary pooling layer fixes its window and lets the output size follow the input; an
adaptive one fixes the output size (``output_size``) and works out the windows from the
input, so inputs of any size give the same output shape (a classifier head that takes images
of several sizes). The windows are those of ``learnet.ops.adaptive_pool``: output cell ``i``
of an axis of length ``L`` pooled to ``O`` cells covers ``[floor(i L / O), ceil((i + 1) L / O))``.

Examples
--------
>>> import numpy as np
>>> from learnet import layers
>>> pool = layers.AdaptiveAveragePooling2D((2, 2))
>>> pool(np.ones((4, 9, 7, 3), dtype="float32")).shape
TensorShape([4, 2, 2, 3])
"""

import numpy

from learnet.keras_config import _standardize_data_format
from learnet.layers.base import InputSpec, Layer
from learnet.ops.adaptive_pool import adaptive_average_pool, adaptive_max_pool


def _output_size(value, rank, who):
    """Keras' check of ``output_size``: one int (the same for every axis) or ``rank`` ints."""
    if isinstance(value, (int, numpy.integer)) and not isinstance(value, bool):
        sizes = (int(value),) * rank
    elif isinstance(value, (tuple, list)):
        if len(value) != rank:
            raise ValueError(f"{who}: output_size must be an int or a tuple of {rank} ints, got {value!r}")
        if not all(isinstance(v, (int, numpy.integer)) and not isinstance(v, bool) for v in value):
            raise TypeError(f"{who}: output_size must be an int or a tuple of {rank} ints, got {value!r}")
        sizes = tuple(int(v) for v in value)
    else:
        raise TypeError(f"{who}: output_size must be an int or a tuple of {rank} ints, got {value!r}")
    if min(sizes) < 1:
        raise ValueError(f"{who}: output_size must be positive, got {value!r}")
    return sizes


class _AdaptivePooling(Layer):
    """What the six adaptive pooling layers share: ``output_size``, ``data_format``, shapes, config."""

    rank = 1
    _pool = staticmethod(adaptive_average_pool)

    def __init__(self, output_size, data_format=None, **kwargs):
        who = type(self).__name__
        sizes = _output_size(output_size, self.rank, who)
        data_format = _standardize_data_format(data_format, who)  # None: keras.config.image_data_format()
        super().__init__(**kwargs)
        self.output_size = sizes
        self.data_format = data_format
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        return self._pool(inputs, self.output_size, self.data_format)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self):
        config = super().get_config()
        config.update(output_size=list(self.output_size), data_format=self.data_format)
        return config


_DOC = """Adaptive {kind} pooling of {what} to a fixed ``output_size``, as ``keras.layers.{name}``.

    Parameters
    ----------
    output_size : int or tuple of {rank} int
        The size of each spatial axis of the output, whatever the input's.
    data_format : {{"channels_last", "channels_first"}}, optional
        ``{shape}`` (channels last, the default) or channels first.

    Input ``{shape}`` -> output ``{out}``; each output cell is the {reduction} of its window.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> layers.{name}({example_size})(np.ones({example_input}, dtype="float32")).shape
    TensorShape({example_output})
    """

_SPECS = {
    1: ("sequences", "(batch, steps, channels)", "(batch, output_size, channels)", 4, (2, 10, 3), [2, 4, 3]),
    2: (
        "images",
        "(batch, height, width, channels)",
        "(batch, *output_size, channels)",
        (2, 3),
        (2, 9, 7, 3),
        [2, 2, 3, 3],
    ),
    3: (
        "volumes",
        "(batch, depth, height, width, channels)",
        "(batch, *output_size, channels)",
        (1, 2, 3),
        (2, 4, 6, 8, 1),
        [2, 1, 2, 3, 1],
    ),
}


def _documented(cls, kind, reduction):
    what, shape, out, size, example_input, example_output = _SPECS[cls.rank]
    cls.__doc__ = _DOC.format(
        kind=kind,
        what=what,
        name=cls.__name__,
        rank=cls.rank,
        shape=shape,
        out=out,
        reduction=reduction,
        example_size=size,
        example_input=example_input,
        example_output=example_output,
    )
    return cls


class AdaptiveAveragePooling1D(_AdaptivePooling):
    rank = 1
    _pool = staticmethod(adaptive_average_pool)


class AdaptiveAveragePooling2D(_AdaptivePooling):
    rank = 2
    _pool = staticmethod(adaptive_average_pool)


class AdaptiveAveragePooling3D(_AdaptivePooling):
    rank = 3
    _pool = staticmethod(adaptive_average_pool)


class AdaptiveMaxPooling1D(_AdaptivePooling):
    rank = 1
    _pool = staticmethod(adaptive_max_pool)


class AdaptiveMaxPooling2D(_AdaptivePooling):
    rank = 2
    _pool = staticmethod(adaptive_max_pool)


class AdaptiveMaxPooling3D(_AdaptivePooling):
    rank = 3
    _pool = staticmethod(adaptive_max_pool)


for _average in (AdaptiveAveragePooling1D, AdaptiveAveragePooling2D, AdaptiveAveragePooling3D):
    _documented(_average, "average", "mean")
for _max in (AdaptiveMaxPooling1D, AdaptiveMaxPooling2D, AdaptiveMaxPooling3D):
    _documented(_max, "max", "maximum")
