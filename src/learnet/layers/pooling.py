"""Pooling layers: ``MaxPooling2D``, ``AveragePooling2D``, their 1-D forms, and global pooling.

Each takes ``data_format``: ``"channels_last"`` ``(batch, ..., channels)`` or
``"channels_first"`` ``(batch, channels, ...)``; by default
``keras.config.image_data_format()`` when the layer is made, as in Keras 3.

Examples
--------
>>> import learnet as tf
>>> tf.keras.layers.MaxPooling2D()(tf.zeros((8, 26, 26, 32))).shape
TensorShape([8, 13, 13, 32])
>>> tf.keras.layers.GlobalAveragePooling2D()(tf.zeros((8, 7, 7, 64))).shape
TensorShape([8, 64])
"""

from typing import Any

from learnet.keras_config import _standardize_data_format
from learnet.layers.base import InputSpec, Layer
from learnet import activations
from learnet.layers import conv as conv_layers
from learnet.layers.conv import Conv2D, _ChannelsFirst, _padding, _tuple, conv_output_length
from learnet.layers.keras_tensor import _is_symbolic
from learnet.ops import conv as conv_ops
from learnet.ops.reduce import reduce_max, reduce_mean


class _Pooling(_ChannelsFirst, Layer):
    """What the pooling layers share; each pools channels-last windows in ``_compute_last``
    (``channels_first`` inputs are moved there and back, see ``_ChannelsFirst``)."""

    _autocast_integers = True
    rank = 2
    _op: Any = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        who = type(self).__name__
        self.pool_size = _tuple(pool_size, self.rank, "pool_size", who)
        self.strides = self.pool_size if strides is None else _tuple(strides, self.rank, "strides", who)
        self.padding = _padding(padding, ("valid", "same"), who)
        self.data_format = _standardize_data_format(data_format, who)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    @property
    def _rank_hint(self):
        return "(batch, height, width, channels)" if self.rank == 2 else "(batch, steps, channels)"

    def _compute_last(self, inputs):
        if self.rank == 2:
            return self._op(inputs, self.pool_size, self.strides, self.padding)
        return self._op(inputs, self.pool_size[0], self.strides[0], self.padding)

    def _output_shape_last(self, input_shape):
        spatial = tuple(
            conv_output_length(size, p, s, self.padding)
            for size, p, s in zip(input_shape[1:-1], self.pool_size, self.strides)
        )
        return (input_shape[0],) + spatial + (input_shape[-1],)

    def _output_dtype(self, inputs):
        return inputs.dtype.name

    def get_config(self):
        config = super().get_config()
        config.update(
            pool_size=tuple(self.pool_size),
            strides=tuple(self.strides),
            padding=self.padding,
            data_format=self.data_format,
        )
        return config


class MaxPooling2D(_Pooling):
    """Keep the largest value of each ``pool_size`` window (2x2 by default, stride = pool size).

    Parameters
    ----------
    pool_size : int or (int, int), default 2
    strides : int or (int, int), optional
        ``pool_size`` by default.
    padding : {"valid", "same"}
    """

    _op = staticmethod(conv_ops.max_pool2d)


def fuses_with_pool(layer, after, inputs):
    """Whether a model may run ``layer`` and the layer ``after`` it on ``inputs`` as one op
    (``call_conv_and_pool``): a ``Conv2D`` with ReLU and the ``MaxPooling2D`` after it, both
    plain (not subclassed), channels-last, built, in one float dtype, with nothing else to
    do between them (no activity regularizer, no mask, no ``call`` replaced on either
    object), on real, not symbolic, inputs. The result and its gradients are the same as
    calling them one after the other (to rounding where the pool leaves outputs unread);
    only the convolution's full output is never made (see ``conv2d_relu_max_pool2d``)."""
    return (
        type(layer) is Conv2D
        and type(after) is MaxPooling2D
        and layer.activation is activations.relu
        and layer.groups == 1
        and layer.data_format == after.data_format == "channels_last"
        and layer.built
        and after.built
        and layer.activity_regularizer is None
        and after.activity_regularizer is None
        and layer.compute_dtype == after.compute_dtype
        and layer.compute_dtype in ("float32", "float64")
        and getattr(inputs, "_keras_mask", None) is None
        and not _is_symbolic(inputs)
        and not (_OVERRIDABLE & (vars(layer).keys() | vars(after).keys()))
    )


# Methods a caller may have replaced on one layer object to listen in on or change its call
# (``learnet.plot.show_feature_maps`` sets ``layer.call``): such a layer runs as it is, alone.
_OVERRIDABLE = frozenset({"call", "_call_last", "_compute_last", "_finish", "convolution_op"})


def call_conv_and_pool(conv, pool, inputs, training=None):
    """``pool(conv(inputs))`` as one op (``learnet.ops.conv.conv2d_relu_max_pool2d``), for a
    pair ``fuses_with_pool`` accepts: the convolution's layer call runs as usual (its
    checks, build, name scope) and returns the pooled result."""
    conv_layers._pool_after.pair = (conv, pool)
    try:
        return conv(inputs, training=training)
    finally:
        conv_layers._pool_after.pair = (None, None)


class AveragePooling2D(_Pooling):
    """Average each ``pool_size`` window (2x2 by default, stride = pool size).

    With ``padding="same"`` windows at the border average their real elements only.
    """

    _op = staticmethod(conv_ops.avg_pool2d)


class MaxPooling1D(_Pooling):
    """Max pooling over the steps of ``(batch, steps, channels)`` sequences."""

    rank = 1
    _op = staticmethod(conv_ops.max_pool1d)


class AveragePooling1D(_Pooling):
    """Average pooling over the steps of ``(batch, steps, channels)`` sequences."""

    rank = 1
    _op = staticmethod(conv_ops.avg_pool1d)


def _global_data_format(value, layer):
    """Global pooling takes either layout, as Keras does: it only chooses the axes to pool
    (``None``: ``keras.config.image_data_format()`` when the layer is made)."""
    return _standardize_data_format(value, layer)


class _GlobalPooling(Layer):
    _autocast_integers = True
    rank = 2
    _reduce: Any = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _global_data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    @property
    def _rank_hint(self):
        return "(batch, height, width, channels)" if self.rank == 2 else "(batch, steps, channels)"

    @property
    def _pooled_axes(self):
        """The spatial axes: after the channels with ``channels_first``, before them otherwise."""
        first = 2 if self.data_format == "channels_first" else 1
        return tuple(range(first, first + self.rank))

    def call(self, inputs):
        return type(self)._reduce(inputs, axis=self._pooled_axes, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        channels = input_shape[1] if self.data_format == "channels_first" else input_shape[-1]
        if not self.keepdims:
            return (input_shape[0], channels)
        if self.data_format == "channels_first":
            return (input_shape[0], channels) + (1,) * self.rank
        return (input_shape[0],) + (1,) * self.rank + (channels,)

    def _output_dtype(self, inputs):
        return inputs.dtype.name

    def get_config(self):
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config


class GlobalAveragePooling2D(_GlobalPooling):
    """Average over height and width: ``(batch, h, w, c)`` -> ``(batch, c)``."""

    _reduce = staticmethod(reduce_mean)


class GlobalMaxPooling2D(_GlobalPooling):
    """Maximum over height and width: ``(batch, h, w, c)`` -> ``(batch, c)``."""

    _reduce = staticmethod(reduce_max)


class GlobalAveragePooling1D(_GlobalPooling):
    """Average over the steps: ``(batch, steps, c)`` -> ``(batch, c)``.

    With a mask (from ``Embedding(mask_zero=True)`` or ``Masking``) the average is over
    the unmasked steps only, as in Keras; a sequence with no unmasked step gives zeros.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet import layers
    >>> x = tf.constant([[[1.0], [3.0], [100.0]]])
    >>> layers.GlobalAveragePooling1D()(x, mask=tf.constant([[True, True, False]])).numpy()
    array([[2.]], dtype=float32)
    """

    rank = 1
    _reduce = staticmethod(reduce_mean)

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        from learnet.ops.math import cast, maximum
        from learnet.ops.reduce import reduce_sum
        from learnet.ops.shape import expand_dims

        channels_first = self.data_format == "channels_first"
        weights = expand_dims(cast(mask, inputs.dtype), 1 if channels_first else -1)
        steps_axis = 2 if channels_first else 1
        total = reduce_sum(inputs * weights, axis=steps_axis, keepdims=self.keepdims)
        count = reduce_sum(weights, axis=steps_axis, keepdims=self.keepdims)
        return total / maximum(count, 1.0)


class GlobalMaxPooling1D(_GlobalPooling):
    """Maximum over the steps: ``(batch, steps, c)`` -> ``(batch, c)``."""

    rank = 1
    _reduce = staticmethod(reduce_max)


MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
MaxPool1D = MaxPooling1D
AvgPool1D = AveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalMaxPool1D = GlobalMaxPooling1D
