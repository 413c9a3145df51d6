"""Depthwise and separable convolutions over sequences: ``DepthwiseConv1D`` and ``SeparableConv1D``.

They are ``DepthwiseConv2D`` and ``SeparableConv2D`` on sequences ``(batch, steps,
channels)``: each channel is filtered along the steps on its own (``depth_multiplier``
kernels per channel), and ``SeparableConv1D`` then mixes the channels with a pointwise
(size-1) convolution. A sequence is computed as an image of height 1, through the same
fused depthwise and pointwise kernels as the 2-D layers.

Examples
--------
>>> import numpy as np
>>> from learnet import layers
>>> layer = layers.SeparableConv1D(8, 3, padding="same")
>>> layer(np.zeros((2, 10, 4), dtype="float32")).shape
TensorShape([2, 10, 8])
>>> [tuple(w.shape) for w in layer.weights]
[(3, 4, 1), (1, 4, 8), (8,)]
"""

import numpy

from learnet import activations, constraints, initializers, regularizers
from learnet.layers.base import InputSpec
from learnet.layers.conv import _DepthwiseBase
from learnet.layers.core import _serialize
from learnet.ops import conv as conv_ops
from learnet.ops.math import add
from learnet.ops.shape import expand_dims, squeeze


def _positive_int(value, name, who):
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value <= 0:
        raise ValueError(f"{who}: {name} must be a positive integer, got {value!r}")
    return int(value)


class _Depthwise1DBase(_DepthwiseBase):
    """``_DepthwiseBase`` along the steps of sequences: the per-channel step of DepthwiseConv1D
    and SeparableConv1D, computed as a depthwise 2-D convolution of height 1."""

    _rank_hint = "(batch, steps, channels)"
    _rank = 1

    def __init__(
        self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None, dilation_rate=1, **kwargs
    ):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, **kwargs)

    def _channels(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects sequences (batch, steps, channels), "
                f"got an input of shape {input_shape}"
            )
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the number of input channels must be known, got {input_shape}"
            )
        steps = self._last_shape(input_shape)[1]
        effective = (self.kernel_size[0] - 1) * self.dilation_rate[0] + 1
        if self.padding == "valid" and steps is not None and steps < effective:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the kernel spans {effective} steps but the input has only "
                f"{steps} (shape {input_shape}) with padding='valid'"
            )
        return int(channels)

    def _depthwise(self, inputs, kernel):
        """The per-channel convolution, as a depthwise 2-D convolution of height 1."""
        outputs = conv_ops.depthwise_conv2d(
            expand_dims(inputs, 1),
            expand_dims(kernel, 0),
            (1, self.strides[0]),
            self.padding.upper(),
            dilations=(1, self.dilation_rate[0]),
        )
        return squeeze(outputs, 1)


class DepthwiseConv1D(_Depthwise1DBase):
    """Depthwise 1-D convolution: each channel of a sequence filtered along the steps on its own.

    Every input channel gets ``depth_multiplier`` kernels of ``kernel_size`` steps; output
    channel ``c * depth_multiplier + m`` is input channel ``c`` under its kernel ``m``. The
    channels never mix (``SeparableConv1D`` adds the step that mixes them).

    Parameters
    ----------
    kernel_size : int or (int,)
    strides : int or (int,), default 1
    padding : {"valid", "same"}, default "valid"
    depth_multiplier : int, default 1
        Output channels per input channel.
    data_format : {"channels_last", "channels_first"}, optional
        ``(batch, steps, channels)`` or ``(batch, channels, steps)``; by default
        ``keras.config.image_data_format()`` when the layer is made.
    dilation_rate : int or (int,), default 1
    activation, use_bias : as ``Conv1D``.
    depthwise_initializer, depthwise_regularizer, depthwise_constraint
        For the kernel, of shape ``(kernel_size, in_channels, depth_multiplier)``.
    bias_initializer, bias_regularizer, activity_regularizer, bias_constraint : as ``Conv1D``.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> layer = layers.DepthwiseConv1D(3, depth_multiplier=2)
    >>> layer(np.zeros((4, 10, 3), dtype="float32")).shape
    TensorShape([4, 8, 6])
    >>> layer.kernel.shape
    TensorShape([3, 3, 2])
    """

    def build(self, input_shape):
        channels = self._channels(input_shape)
        self.kernel = self._add_depthwise_kernel("kernel", channels)
        self.bias = self._add_bias(channels * self.depth_multiplier)
        self.input_spec = InputSpec(ndim=3, axes={self._channel_axis: channels})
        self.built = True

    @property
    def depthwise_kernel(self):
        """The kernel under its Keras 2 name."""
        return self.kernel

    def _compute_last(self, inputs):
        outputs = self._depthwise(inputs, self.kernel)
        if self.bias is not None:
            outputs = add(outputs, self.bias)
        return outputs

    def _output_shape_last(self, input_shape):
        channels = input_shape[-1]
        return (
            input_shape[0],
            self._spatial(input_shape)[0],
            None if channels is None else channels * self.depth_multiplier,
        )


class SeparableConv1D(_Depthwise1DBase):
    """Depthwise separable 1-D convolution: a ``DepthwiseConv1D``, then a pointwise (size 1)
    convolution to ``filters`` channels.

    The depthwise step filters each channel along the steps; the pointwise step mixes the
    channels. Together they cost ``k * C * depth_multiplier + C * depth_multiplier *
    filters`` weights against ``k * C * filters`` for a ``Conv1D``.

    Parameters
    ----------
    filters : int
        Output channels.
    kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier : as ``DepthwiseConv1D``.
    activation, use_bias : as ``Conv1D``.
    depthwise_initializer, depthwise_regularizer, depthwise_constraint
        For ``depthwise_kernel``, of shape ``(kernel_size, in_channels, depth_multiplier)``.
    pointwise_initializer, pointwise_regularizer, pointwise_constraint
        For ``pointwise_kernel``, of shape ``(1, in_channels * depth_multiplier, filters)``.
    bias_initializer, bias_regularizer, activity_regularizer, bias_constraint : as ``Conv1D``.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> layer = layers.SeparableConv1D(16, 5, strides=2, activation="relu")
    >>> layer(np.zeros((4, 21, 3), dtype="float32")).shape
    TensorShape([4, 9, 16])
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        filters = _positive_int(filters, "filters", "SeparableConv1D")
        super().__init__(
            kernel_size,
            strides=strides,
            padding=padding,
            depth_multiplier=depth_multiplier,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        self.filters = filters
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels = self._channels(input_shape)
        self.depthwise_kernel = self._add_depthwise_kernel("depthwise_kernel", channels)
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(1, channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
        )
        self.bias = self._add_bias(self.filters)
        self.input_spec = InputSpec(ndim=3, axes={self._channel_axis: channels})
        self.built = True

    def _call_last(self, inputs):
        if self.activation is activations.relu:  # the pointwise step fused with bias and ReLU
            depthwise = expand_dims(self._depthwise(inputs, self.depthwise_kernel), 1)
            pointwise = expand_dims(self.pointwise_kernel, 0)  # (1, 1, C * depth_multiplier, filters)
            return squeeze(conv_ops.conv2d_relu(depthwise, pointwise, self.bias), 1)
        return super()._call_last(inputs)

    def _compute_last(self, inputs):
        depthwise = expand_dims(self._depthwise(inputs, self.depthwise_kernel), 1)
        pointwise = expand_dims(self.pointwise_kernel, 0)  # (1, 1, C * depth_multiplier, filters)
        return squeeze(conv_ops.conv2d(depthwise, pointwise, 1, "VALID", bias=self.bias), 1)

    def _output_shape_last(self, input_shape):
        return (input_shape[0], self._spatial(input_shape)[0], self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            pointwise_initializer=initializers.serialize(self.pointwise_initializer),
            pointwise_regularizer=_serialize(regularizers, self.pointwise_regularizer),
            pointwise_constraint=constraints.serialize(self.pointwise_constraint),
        )
        return config


SeparableConvolution1D = SeparableConv1D
