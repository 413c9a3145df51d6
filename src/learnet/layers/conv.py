"""Convolution layers: ``Conv2D``, ``Conv1D``, ``Conv2DTranspose``, ``Conv1DTranspose``,
``DepthwiseConv2D`` and ``SeparableConv2D``.

A ``Conv2D`` slides ``filters`` small kernels over the image; each kernel sees a
``kernel_size`` window across all input channels and gives one output channel. The
kernel has Keras' shape ``(kernel_height, kernel_width, in_channels, filters)``.

The kernels compute channels-last data ``(batch, ..., channels)``. With
``data_format="channels_first"`` (or ``keras.config.set_image_data_format("channels_first")``
before the layer is made) a layer takes and gives ``(batch, channels, ...)`` as Keras 3 does:
it moves the channels last, computes, and moves them back (gradients flow through the
transposes). The weights keep the same shapes in either layout, as in Keras 3.

Examples
--------
>>> import learnet as tf
>>> conv = tf.keras.layers.Conv2D(32, 3, activation="relu")
>>> conv(tf.zeros((8, 28, 28, 1))).shape
TensorShape([8, 26, 26, 32])
>>> conv.kernel.shape
TensorShape([3, 3, 1, 32])
"""

import threading

import numpy

from learnet import constraints
from learnet import activations, initializers, regularizers
from learnet.keras_config import _standardize_data_format
from learnet.layers.base import InputSpec, Layer
from learnet.layers.core import _serialize
from learnet.ops import conv as conv_ops
from learnet.ops.math import add
from learnet.ops.shape import expand_dims, reshape, squeeze, transpose


def _tuple(value, rank, name, layer):
    if isinstance(value, (int, numpy.integer)) and not isinstance(value, bool):
        result = (int(value),) * rank
    else:
        try:
            result = tuple(int(v) for v in value)
        except TypeError:
            raise TypeError(f"{layer}: {name} must be an int or a tuple of {rank} ints, got {value!r}") from None
    if len(result) != rank or min(result) < 1:
        raise ValueError(f"{layer}: {name} must be a positive int or a tuple of {rank} positive ints, got {value!r}")
    return result


def _padding(value, allowed, layer):
    if not isinstance(value, str) or value.lower() not in allowed:
        raise ValueError(f"{layer}: padding must be one of {', '.join(repr(a) for a in allowed)}, got {value!r}")
    return value.lower()


def _data_format(value, layer):
    """``data_format`` for a layer that computes channels-last data only (``None`` follows
    ``keras.config.image_data_format()``, which then must be ``'channels_last'`` too)."""
    standard = _standardize_data_format(value, layer)
    if standard != "channels_last":
        where = "" if value is not None else " (from keras.config.image_data_format())"
        raise ValueError(
            f"{layer}: only data_format='channels_last' (batch, ..., channels) is supported, got {standard!r}{where}"
        )
    return standard


def _to_channels_last(x):
    """``(batch, channels, *spatial)`` -> ``(batch, *spatial, channels)``."""
    return transpose(x, (0, *range(2, x.ndim), 1))


def _to_channels_first(x):
    """``(batch, *spatial, channels)`` -> ``(batch, channels, *spatial)``."""
    return transpose(x, (0, x.ndim - 1, *range(1, x.ndim - 1)))


def _shape_to_channels_last(shape):
    shape = tuple(shape)
    return (shape[0], *shape[2:], shape[1])


def _shape_to_channels_first(shape):
    shape = tuple(shape)
    return (shape[0], shape[-1], *shape[1:-1])


class _ChannelsFirst:
    """What a layer written for channels-last data needs to take ``channels_first`` data too.

    Such a layer computes on channels-last arrays in ``_compute_last`` and sizes its output
    in ``_output_shape_last``; its ``call`` and ``compute_output_shape`` move channels-first
    data (and shapes) to channels-last, use them, and move the result back. With
    ``channels_last`` they call them directly: no transposes.

    A layer with an activation applies it in ``_finish``, after the channels are moved back,
    so an activation that works along an axis (softmax) sees Keras' layout. ``_call_last``
    is the channels-last path, where a layer may fuse its activation into the kernel.
    """

    data_format = "channels_last"

    @property
    def _channels_first(self):
        return self.data_format == "channels_first"

    @property
    def _channel_axis(self):
        return 1 if self._channels_first else -1

    def _last_shape(self, input_shape):
        """``input_shape`` in channels-last order."""
        return _shape_to_channels_last(input_shape) if self._channels_first else tuple(input_shape)

    def _compute_last(self, inputs):
        raise NotImplementedError(f"{type(self).__name__} must define _compute_last")

    def _output_shape_last(self, input_shape):
        raise NotImplementedError(f"{type(self).__name__} must define _output_shape_last")

    def _finish(self, outputs):
        return outputs

    def _call_last(self, inputs):
        return self._finish(self._compute_last(inputs))

    def call(self, inputs):
        if self._channels_first:
            return self._finish(_to_channels_first(self._compute_last(_to_channels_last(inputs))))
        return self._call_last(inputs)

    def compute_output_shape(self, input_shape):
        if self._channels_first:
            return _shape_to_channels_first(self._output_shape_last(_shape_to_channels_last(input_shape)))
        return self._output_shape_last(tuple(input_shape))


def conv_output_length(length, kernel, stride, padding, dilation=1):
    """Output length of one axis of a convolution or pooling (``None`` stays ``None``)."""
    if length is None:
        return None
    effective = (kernel - 1) * dilation + 1
    if padding in ("same", "causal"):
        return -(-length // stride)
    return max(length - effective, -1) // stride + 1


class _ConvBase(_ChannelsFirst, Layer):
    """What every convolution layer here shares, transposed or not: weights, arguments,
    output shape and config.

    A subclass gives ``_compute_last(inputs)``: its convolution of channels-last inputs, bias
    added, no activation (see ``_ChannelsFirst``).
    """

    _autocast_integers = True

    rank = 2
    _paddings: tuple[str, ...] = ("valid", "same")
    _grouped = False  # whether ``groups`` > 1 is allowed (not in Keras' transposed convolutions)

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = type(self).__name__
        if isinstance(filters, bool) or not isinstance(filters, (int, numpy.integer)) or filters <= 0:
            raise ValueError(f"{who}: filters must be a positive integer, got {filters!r}")
        if isinstance(groups, bool) or not isinstance(groups, (int, numpy.integer)) or groups < 1:
            raise ValueError(f"{who}: the number of groups must be a positive integer. Received: groups={groups!r}.")
        if groups != 1 and not self._grouped:
            raise ValueError(f"{who}: grouped convolutions (groups={groups}) are not supported")
        if filters % groups:
            raise ValueError(
                f"{who}: the number of filters must be evenly divisible by the number of groups. "
                f"Received: groups={groups}, filters={filters}."
            )
        self.filters = int(filters)
        self.kernel_size = _tuple(kernel_size, self.rank, "kernel_size", who)
        self.strides = _tuple(strides, self.rank, "strides", who)
        self.padding = _padding(padding, self._paddings, who)
        self.data_format = _standardize_data_format(data_format, who)
        self.dilation_rate = _tuple(dilation_rate, self.rank, "dilation_rate", who)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{who}: strides > 1 and dilation_rate > 1 cannot be combined")
        self.groups = int(groups)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    @property
    def _rank_hint(self):
        return "(batch, height, width, channels)" if self.rank == 2 else "(batch, steps, channels)"

    def _kernel_shape(self, in_channels):
        return self.kernel_size + (in_channels // self.groups, self.filters)

    def build(self, input_shape):
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the number of input channels must be known, got {tuple(input_shape)}"
            )
        if channels % self.groups:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the number of input channels must be evenly divisible by "
                f"the number of groups. Received groups={self.groups}, but the input has {channels} channels "
                f"(full input shape is {tuple(input_shape)})."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=self._kernel_shape(channels),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = (
            self.add_weight(
                name="bias",
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
            if self.use_bias
            else None
        )
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.built = True

    def _finish(self, outputs):
        if self.activation not in (None, activations.linear):  # None: set after building, as in Keras
            outputs = self.activation(outputs)
        return outputs

    def _output_shape_last(self, input_shape):
        spatial = tuple(
            conv_output_length(size, k, s, self.padding, d)
            for size, k, s, d in zip(input_shape[1:-1], self.kernel_size, self.strides, self.dilation_rate)
        )
        return (input_shape[0],) + spatial + (self.filters,)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=tuple(self.kernel_size),
            strides=tuple(self.strides),
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=tuple(self.dilation_rate),
            groups=self.groups,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=_serialize(regularizers, self.kernel_regularizer),
            bias_regularizer=_serialize(regularizers, self.bias_regularizer),
            activity_regularizer=_serialize(regularizers, self.activity_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
        )
        return config


class _Conv(_ConvBase):
    """What Conv1D, Conv2D and Conv3D share: ``convolution_op``, and a ``call`` through it.

    Each subclass gives ``_convolve(inputs, kernel, bias=None)``, its convolution of
    channels-last inputs with the layer's strides, padding and dilation (and the bias added
    in the same step). ``call`` runs that fast path, unless a subclass overrides
    ``convolution_op`` (keras.io's weight standardization): then, as in Keras, ``call``
    convolves through the override and adds the bias and the activation after it.

    With ``groups > 1`` the kernel has ``in_channels / groups`` input channels, and the
    ops convolve in groups (``learnet.ops.conv.grouped_conv``) because the input has more.
    """

    _grouped = True

    def _convolve(self, inputs, kernel, bias=None):
        raise NotImplementedError(f"{type(self).__name__} must define _convolve")

    def convolution_op(self, inputs, kernel):
        """The convolution of ``inputs`` with ``kernel`` under the layer's strides, padding and
        dilation, without bias or activation (Keras 3's ``BaseConv.convolution_op``).

        Override it to change the kernel before the convolution; ``call`` then goes through
        the override, and calling it from a custom ``call`` works too.

        Parameters
        ----------
        inputs : Tensor of shape ``(batch, *spatial, in_channels)``
            ``(batch, in_channels, *spatial)`` with ``data_format="channels_first"``.
        kernel : Tensor of the layer kernel's shape ``(*kernel_size, in_channels, filters)``
            (the same in either layout).

        Returns
        -------
        Tensor of shape ``(batch, *out_spatial, filters)``
            ``(batch, filters, *out_spatial)`` with ``data_format="channels_first"``.

        Examples
        --------
        >>> import numpy as np
        >>> import learnet as keras
        >>> from learnet import ops
        >>> class StandardizedConv2D(keras.layers.Conv2D):
        ...     def convolution_op(self, inputs, kernel):
        ...         mean, var = ops.moments(kernel, axes=[0, 1, 2], keepdims=True)
        ...         return super().convolution_op(inputs, (kernel - mean) / ops.sqrt(var + 1e-10))
        >>> StandardizedConv2D(4, 3)(np.ones((1, 5, 5, 2), "float32")).shape
        TensorShape([1, 3, 3, 4])
        """
        if self._channels_first:
            return _to_channels_first(self._convolve(_to_channels_last(inputs), kernel))
        return self._convolve(inputs, kernel)

    def _compute_last(self, inputs):
        return self._convolve(inputs, self.kernel, self.bias)

    def call(self, inputs):
        if type(self).convolution_op is _Conv.convolution_op:
            return super().call(inputs)
        outputs = self.convolution_op(inputs, self.kernel)
        if self.bias is not None:
            # The bias along the channels: the last axis, or axis 1 with channels_first.
            bias = reshape(self.bias, (self.filters,) + (1,) * self.rank) if self._channels_first else self.bias
            outputs = add(outputs, bias)
        return self._finish(outputs)


class Conv2D(_Conv):
    """2-D convolution over images ``(batch, height, width, channels)``.

    Parameters
    ----------
    filters : int
        Number of output channels.
    kernel_size : int or (int, int)
    strides : int or (int, int), default 1
    padding : {"valid", "same"}
        ``"same"`` keeps ``ceil(size / stride)`` outputs, padding like TensorFlow (any
        odd extra row or column at the bottom/right).
    data_format : {"channels_last", "channels_first"}, optional
        ``(batch, height, width, channels)`` or ``(batch, channels, height, width)``, for the
        inputs and the outputs; by default ``keras.config.image_data_format()`` when the layer
        is made. The kernel's shape is the same in both.
    dilation_rate : int or (int, int), default 1
    groups : int, default 1
        Split the input channels and the filters into this many groups; each group of
        filters sees its own group of channels only (ResNeXt; ``groups = channels`` is a
        depthwise convolution). Both numbers must be divisible by it. The kernel then has
        shape ``(kernel_height, kernel_width, in_channels // groups, filters)``.
    activation, use_bias, kernel_initializer, bias_initializer,
    kernel_regularizer, bias_regularizer, activity_regularizer : as ``Dense``.

    The output has shape ``(batch, out_height, out_width, filters)``.

    Examples
    --------
    >>> import learnet as tf
    >>> conv = tf.keras.layers.Conv2D(8, 3, groups=2)
    >>> conv(tf.zeros((2, 8, 8, 16))).shape
    TensorShape([2, 6, 6, 8])
    >>> conv.kernel.shape
    TensorShape([3, 3, 8, 8])
    """

    rank = 2

    def _convolve(self, inputs, kernel, bias=None):
        return conv_ops.conv2d(inputs, kernel, self.strides, self.padding, dilations=self.dilation_rate, bias=bias)

    def _call_last(self, inputs):
        if self.activation is activations.relu and self.groups == 1:
            pool = getattr(_pool_after, "pair", (None, None))
            if pool[0] is self:  # a model runs this layer and the pool after it as one op
                return conv_ops.conv2d_relu_max_pool2d(
                    inputs,
                    self.kernel,
                    self.bias,
                    self.strides,
                    self.padding,
                    dilations=self.dilation_rate,
                    pool_size=pool[1].pool_size,
                    pool_strides=pool[1].strides,
                    pool_padding=pool[1].padding,
                )
            # The common Conv2D(..., activation="relu"): one fused kernel, see conv2d_relu.
            return conv_ops.conv2d_relu(
                inputs, self.kernel, self.bias, self.strides, self.padding, dilations=self.dilation_rate
            )
        return super()._call_last(inputs)


# ``(conv, pool)`` while a model calls a Conv2D whose MaxPooling2D it skips
# (``learnet.layers.pooling.call_conv_and_pool``), for this thread only.
_pool_after = threading.local()


class Conv1D(_Conv):
    """1-D convolution over sequences ``(batch, steps, channels)``.

    ``padding="causal"`` pads only on the left, so output ``t`` sees inputs up to ``t``.
    The kernel has shape ``(kernel_size, in_channels // groups, filters)``; ``groups`` as
    ``Conv2D``.
    """

    rank = 1
    _paddings = ("valid", "same", "causal")

    def _convolve(self, inputs, kernel, bias=None):
        padding = self.padding
        if padding == "causal":
            left = (self.kernel_size[0] - 1) * self.dilation_rate[0]
            padding = [(0, 0), (left, 0), (0, 0)]
        return conv_ops.conv1d(inputs, kernel, self.strides[0], padding, dilations=self.dilation_rate[0], bias=bias)


def _transposed_geometry(steps, kernel_size, stride, dilation, padding, extra):
    """One axis of a transposed convolution, as Keras sizes it: the output length, and the
    ``(before, after)`` padding of the convolution it transposes.

    The full transposed convolution has ``(steps - 1) * stride + kernel`` outputs; Keras keeps
    ``length`` of them from ``before`` on (zeros past the end). ``extra`` is ``output_padding``.
    """
    kernel = (kernel_size - 1) * dilation + 1
    if padding == "valid":
        before = 0
        length = (steps - 1) * stride + kernel + (max(kernel, stride) - kernel if extra is None else extra)
    else:
        # Keras (JAX backend) pads the stride-dilated input by pad_left, of at most kernel - 1.
        total = stride + kernel - 2 if extra is None else kernel + kernel % 2 - 2 + extra
        before = kernel - 1 - min(total - total // 2, kernel - 1)
        length = steps * stride if extra is None else (steps - 1) * stride + kernel % 2 + extra
    return length, (before, (steps - 1) * stride + kernel - before - length)


def _output_padding(value, rank, strides, layer):
    """``output_padding`` as ``rank`` ints, each from 0 to its stride - 1 (None stays None)."""
    if value is None:
        return None
    if isinstance(value, (int, numpy.integer)) and not isinstance(value, bool):
        value = (int(value),) * rank
    try:
        result = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        result = ()  # reported just below
    if len(result) != rank or any(not 0 <= p < s for p, s in zip(result, strides)):
        raise ValueError(
            f"{layer}: output_padding must be an int or {rank} ints, each from 0 to its stride - 1 "
            f"(strides={strides}), got {value!r}"
        )
    return result


class _ConvTranspose(_ConvBase):
    """What the transposed convolutions share: ``output_padding``, Keras' kernel layout
    ``(..., filters, in_channels)``, and each axis's size and padding as Keras places them."""

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=1,
        **kwargs,
    ):
        super().__init__(
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            **kwargs,
        )
        self.output_padding = _output_padding(output_padding, self.rank, self.strides, type(self).__name__)

    def _kernel_shape(self, in_channels):
        return self.kernel_size + (self.filters, in_channels)

    def _geometry(self, size, axis):
        """The output size along ``axis`` and the ``(before, after)`` padding of the convolution
        it transposes; ``after`` is negative where the output reaches past the full result."""
        extra = None if self.output_padding is None else self.output_padding[axis]
        return _transposed_geometry(
            size, self.kernel_size[axis], self.strides[axis], self.dilation_rate[axis], self.padding, extra
        )

    def _output_size(self, size, axis):
        return None if size is None else self._geometry(size, axis)[0]

    def get_config(self):
        config = super().get_config()
        config["output_padding"] = None if self.output_padding is None else list(self.output_padding)
        return config


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-D convolution (sometimes called "deconvolution"): upsamples images.

    It is the backward pass of a ``Conv2D`` with the same arguments, run forward: with
    ``strides=2`` and ``padding="same"`` the height and width double. The kernel has
    Keras' shape ``(kernel_height, kernel_width, filters, in_channels)``.

    Parameters
    ----------
    filters, kernel_size, strides, padding, activation, use_bias, ... : as ``Conv2D``.
    output_padding : int or (int, int), optional
        Extra rows/columns at the bottom/right of the output (less than the stride).
    """

    rank = 2

    def _compute_last(self, inputs):
        height, (top, bottom) = self._geometry(inputs.shape[1], 0)
        width, (left, right) = self._geometry(inputs.shape[2], 1)
        outputs = conv_ops.conv2d_transpose(
            inputs,
            self.kernel,
            (inputs.shape[0], height, width, self.filters),
            self.strides,
            [(top, max(bottom, 0)), (left, max(right, 0))],
            dilations=self.dilation_rate,
            bias=self.bias,
        )
        return outputs

    def _output_shape_last(self, input_shape):
        return (
            input_shape[0],
            self._output_size(input_shape[1], 0),
            self._output_size(input_shape[2], 1),
            self.filters,
        )


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1-D convolution: upsamples sequences ``(batch, steps, channels)``.

    It is the backward pass of a ``Conv1D`` with the same arguments, run forward (computed
    as a ``Conv2DTranspose`` of height 1): with ``strides=2`` and ``padding="same"`` the
    number of steps doubles. The kernel has Keras' shape ``(kernel_size, filters,
    in_channels)``.

    Parameters
    ----------
    filters : int
        Number of output channels.
    kernel_size : int or (int,)
    strides : int or (int,), default 1
    padding : {"valid", "same"}, default "valid"
        ``"valid"``: ``(steps - 1) * strides + max(kernel_size, strides)`` outputs;
        ``"same"``: ``steps * strides``.
    output_padding : int or (int,), optional
        Set the output length to ``(steps - 1) * strides + kernel_size + output_padding``
        (``"valid"``) or ``(steps - 1) * strides + kernel_size % 2 + output_padding``
        (``"same"``), as Keras; less than ``strides``.
    dilation_rate : int or (int,), default 1
    activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
    bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint : as ``Conv1D``.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet.layers.conv import Conv1DTranspose
    >>> up = Conv1DTranspose(4, 3, strides=2, padding="same")
    >>> up(np.zeros((8, 10, 2), dtype="float32")).shape
    TensorShape([8, 20, 4])
    >>> up.kernel.shape
    TensorShape([3, 4, 2])
    """

    rank = 1

    def _compute_last(self, inputs):
        n, steps, _ = inputs.shape
        length, (left, right) = self._geometry(steps, 0)
        outputs = conv_ops.conv2d_transpose(
            expand_dims(inputs, 1),
            expand_dims(self.kernel, 0),
            (n, 1, length, self.filters),
            (1, self.strides[0]),
            [(0, 0), (left, max(right, 0))],
            dilations=(1, self.dilation_rate[0]),
            bias=self.bias,
        )
        return squeeze(outputs, 1)

    def _output_shape_last(self, input_shape):
        batch, steps, _ = input_shape
        length = self._output_size(steps, 0)
        return (batch, length, self.filters)

    def get_config(self):
        config = super().get_config()
        config.pop("groups", None)  # not an argument of Keras' Conv1DTranspose
        return config


class _DepthwiseBase(_ChannelsFirst, Layer):
    """What DepthwiseConv2D and SeparableConv2D share: the per-channel step's arguments (and
    their 1-D forms in ``conv1d_extra``, which set ``_rank = 1``). A subclass gives
    ``_compute_last`` and ``_output_shape_last`` on channels-last data (see ``_ChannelsFirst``)."""

    _autocast_integers = True
    _rank_hint = "(batch, height, width, channels)"
    _rank = 2  # spatial axes

    def __init__(
        self,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=(1, 1),
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = type(self).__name__
        if (
            isinstance(depth_multiplier, bool)
            or not isinstance(depth_multiplier, (int, numpy.integer))
            or depth_multiplier <= 0
        ):
            raise ValueError(f"{who}: depth_multiplier must be a positive integer, got {depth_multiplier!r}")
        self.depth_multiplier = int(depth_multiplier)
        self.kernel_size = _tuple(kernel_size, self._rank, "kernel_size", who)
        self.strides = _tuple(strides, self._rank, "strides", who)
        self.padding = _padding(padding, ("valid", "same"), who)
        self.data_format = _standardize_data_format(data_format, who)
        self.dilation_rate = _tuple(dilation_rate, self._rank, "dilation_rate", who)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{who}: strides > 1 and dilation_rate > 1 cannot be combined")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _channels(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects images (batch, height, width, channels), "
                f"got an input of shape {tuple(input_shape)}"
            )
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the number of input channels must be known, "
                f"got {tuple(input_shape)}"
            )
        return channels

    def _add_depthwise_kernel(self, name, channels):
        return self.add_weight(
            name=name,
            shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )

    def _add_bias(self, size):
        if not self.use_bias:
            return None
        return self.add_weight(
            name="bias",
            shape=(size,),
            initializer=self.bias_initializer,
            regularizer=self.bias_regularizer,
            constraint=self.bias_constraint,
        )

    def _depthwise(self, inputs, kernel):
        return conv_ops.depthwise_conv2d(
            inputs, kernel, self.strides, self.padding.upper(), dilations=self.dilation_rate
        )

    def _spatial(self, input_shape):
        spatial = tuple(input_shape)[1 : 1 + self._rank]
        return tuple(
            conv_output_length(size, k, s, self.padding, d)
            for size, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        )

    def _finish(self, outputs):
        """The activation (none when it was set to None after building, as in Keras)."""
        if self.activation not in (None, activations.linear):
            outputs = self.activation(outputs)
        return outputs

    def get_config(self):
        config = super().get_config()
        config.update(
            depth_multiplier=self.depth_multiplier,
            kernel_size=tuple(self.kernel_size),
            strides=tuple(self.strides),
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=tuple(self.dilation_rate),
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            depthwise_initializer=initializers.serialize(self.depthwise_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            depthwise_regularizer=_serialize(regularizers, self.depthwise_regularizer),
            bias_regularizer=_serialize(regularizers, self.bias_regularizer),
            activity_regularizer=_serialize(regularizers, self.activity_regularizer),
            depthwise_constraint=constraints.serialize(self.depthwise_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
        )
        return config


class DepthwiseConv2D(_DepthwiseBase):
    """Depthwise 2-D convolution: each input channel convolved on its own, channels never mixed.

    Every input channel gets ``depth_multiplier`` kernels of ``kernel_size``; output
    channel ``c * depth_multiplier + m`` is input channel ``c`` under its kernel ``m``
    (``tf.nn.depthwise_conv2d``). With ``C`` input channels that is ``kh * kw * C *
    depth_multiplier`` weights, against ``kh * kw * C * filters`` for a ``Conv2D``: the
    first half of a separable convolution (MobileNet, Xception).

    Parameters
    ----------
    kernel_size : int or (int, int)
    strides : int or (int, int), default 1
    padding : {"valid", "same"}
    depth_multiplier : int, default 1
        Output channels per input channel.
    dilation_rate : int or (int, int), default 1
    activation, use_bias : as ``Conv2D``.
    depthwise_initializer, depthwise_regularizer, depthwise_constraint
        For the kernel, of shape ``(kernel_height, kernel_width, in_channels, depth_multiplier)``.
    bias_initializer, bias_regularizer, activity_regularizer, bias_constraint : as ``Conv2D``.

    Examples
    --------
    >>> import learnet as tf
    >>> layer = tf.keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")
    >>> layer(tf.zeros((4, 8, 8, 3))).shape
    TensorShape([4, 8, 8, 6])
    >>> layer.kernel.shape
    TensorShape([3, 3, 3, 2])
    """

    def build(self, input_shape):
        channels = self._channels(input_shape)
        self.kernel = self._add_depthwise_kernel("kernel", channels)
        self.bias = self._add_bias(channels * self.depth_multiplier)
        self.input_spec = InputSpec(ndim=4, axes={self._channel_axis: channels})
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
        channels = tuple(input_shape)[-1]
        return (
            (tuple(input_shape)[0],)
            + self._spatial(input_shape)
            + (None if channels is None else channels * self.depth_multiplier,)
        )


class SeparableConv2D(_DepthwiseBase):
    """Depthwise separable 2-D convolution: a ``DepthwiseConv2D``, then a 1x1 convolution to
    ``filters`` channels (``tf.nn.separable_conv2d``).

    The depthwise step filters each channel in space; the pointwise step mixes the channels.
    Together they cost ``kh * kw * C * depth_multiplier + C * depth_multiplier * filters``
    weights against ``kh * kw * C * filters`` for a ``Conv2D`` (Xception, keras.io's image
    classification from scratch).

    Parameters
    ----------
    filters : int
        Output channels.
    kernel_size, strides, padding, depth_multiplier, dilation_rate : as ``DepthwiseConv2D``.
    activation, use_bias : as ``Conv2D``.
    depthwise_initializer, depthwise_regularizer, depthwise_constraint
        For ``depthwise_kernel``, of shape ``(kernel_height, kernel_width, in_channels, depth_multiplier)``.
    pointwise_initializer, pointwise_regularizer, pointwise_constraint
        For ``pointwise_kernel``, of shape ``(1, 1, in_channels * depth_multiplier, filters)``.
    bias_initializer, bias_regularizer, activity_regularizer, bias_constraint : as ``Conv2D``.

    Examples
    --------
    >>> import learnet as tf
    >>> layer = tf.keras.layers.SeparableConv2D(16, 3, padding="same", activation="relu")
    >>> layer(tf.zeros((4, 8, 8, 3))).shape
    TensorShape([4, 8, 8, 16])
    >>> [tuple(w.shape) for w in layer.weights]
    [(3, 3, 3, 1), (1, 1, 3, 16), (16,)]
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1),
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
        if isinstance(filters, bool) or not isinstance(filters, (int, numpy.integer)) or filters <= 0:
            raise ValueError(f"SeparableConv2D: filters must be a positive integer, got {filters!r}")
        self.filters = int(filters)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels = self._channels(input_shape)
        self.depthwise_kernel = self._add_depthwise_kernel("depthwise_kernel", channels)
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(1, 1, channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
        )
        self.bias = self._add_bias(self.filters)
        self.input_spec = InputSpec(ndim=4, axes={self._channel_axis: channels})
        self.built = True

    def _call_last(self, inputs):
        if self.activation is activations.relu:  # the pointwise step fused with bias and ReLU
            depthwise = self._depthwise(inputs, self.depthwise_kernel)
            return conv_ops.conv2d_relu(depthwise, self.pointwise_kernel, self.bias)
        return super()._call_last(inputs)

    def _compute_last(self, inputs):
        depthwise = self._depthwise(inputs, self.depthwise_kernel)
        return conv_ops.conv2d(depthwise, self.pointwise_kernel, 1, "VALID", bias=self.bias)

    def _output_shape_last(self, input_shape):
        return (tuple(input_shape)[0],) + self._spatial(input_shape) + (self.filters,)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            pointwise_initializer=initializers.serialize(self.pointwise_initializer),
            pointwise_regularizer=_serialize(regularizers, self.pointwise_regularizer),
            pointwise_constraint=constraints.serialize(self.pointwise_constraint),
        )
        return config


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
SeparableConvolution2D = SeparableConv2D
