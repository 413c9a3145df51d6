"""Convolutional LSTM layers: ``ConvLSTM1D``, ``ConvLSTM2D`` and ``ConvLSTM3D``.

An LSTM whose input and recurrent products are convolutions: at each step of a sequence
of images ``(batch, time, rows, cols, channels)`` the four gates ``i, f, c, o`` (Keras'
order) are ``conv(x_t, kernel) + conv(h_{t-1}, recurrent_kernel) + bias``, and the
states ``h`` and ``c`` are images of ``filters`` channels. Keras 3's arguments, defaults
and weights: ``kernel`` ``(*kernel_size, channels, 4 * filters)``, ``recurrent_kernel``
``(*kernel_size, filters, 4 * filters)``, ``bias`` ``(4 * filters,)``; ``strides``,
``padding`` and ``dilation_rate`` shape the input's convolution only, the recurrent one
always keeps the state's size (stride 1, ``"same"``).

The time loop is ``RNN``'s; each step is two convolutions over the whole batch (one of
``x_t``, one of ``h``) and the gates. Every product is one of learnet's convolution ops,
so the tape gives the gradients. (Convolving the inputs of all the steps at once before
the loop was measured no faster: taking each step's share back out of the result costs
as much, in the backward pass, as it saves.)

Examples
--------
>>> import learnet as tf
>>> from learnet import layers
>>> frames = tf.zeros((2, 5, 16, 16, 3))          # two clips of five 16x16 RGB frames
>>> layers.ConvLSTM2D(8, 3, padding="same")(frames).shape
TensorShape([2, 16, 16, 8])
>>> layers.ConvLSTM2D(8, 3, return_sequences=True)(frames).shape
TensorShape([2, 5, 14, 14, 8])
"""

import numpy

from learnet import activations, backend, constraints, initializers, regularizers
from learnet.backend import xp
from learnet.layers.base import InputSpec, Layer
from learnet.layers.conv import _data_format, _padding, _tuple, conv_output_length
from learnet.layers.core import _serialize
from learnet.layers.recurrent import RNN, _check_rate, _forget_bias_initializer, _StepDropout
from learnet.ops import conv as conv_ops
from learnet.ops import volumes as volume_ops
from learnet.ops.nn import apply_dropout_mask
from learnet.ops.shape import concat, getitem, split
from learnet.tensor import Tensor

_GATES = 4
_RANK_HINTS = {
    1: "(batch, time, steps, channels)",
    2: "(batch, time, rows, cols, channels)",
    3: "(batch, time, depth, rows, cols, channels)",
}


def _convolve(rank, x, kernel, strides, padding, dilations, bias=None):
    """The channels-last convolution of rank 1, 2 or 3 (learnet's ops, so the tape differentiates it)."""
    if rank == 1:
        return conv_ops.conv1d(x, kernel, strides[0], padding, dilations=dilations[0], bias=bias)
    if rank == 2:
        return conv_ops.conv2d(x, kernel, strides, padding, dilations=dilations, bias=bias)
    return volume_ops.conv3d(x, kernel, strides, padding, dilations=dilations, bias=bias)


class ConvLSTMCell(_StepDropout, Layer):
    """One step of a convolutional LSTM (the cell of the ``ConvLSTM`` layers, as Keras' own).

    Parameters
    ----------
    rank : 1, 2 or 3
        The number of spatial axes of each step's input.
    filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
    recurrent_activation, use_bias, initializers, unit_forget_bias, regularizers,
    constraints, dropout, recurrent_dropout, seed :
        As for ``ConvLSTM2D``.

    ``call(inputs, states)`` takes one step ``(batch, *spatial, channels)`` and the states
    ``[h, c]``, each ``(batch, *output_spatial, filters)``, and returns ``(h, [h, c])``.
    """

    def __init__(
        self,
        rank,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        who = kwargs.pop("_owner", type(self).__name__)  # errors name the layer that made the cell
        if rank not in (1, 2, 3):
            raise ValueError(f"{who}: rank must be 1, 2 or 3, got {rank!r}")
        if isinstance(filters, bool) or not isinstance(filters, (int, numpy.integer)) or filters <= 0:
            raise ValueError(f"{who}: filters must be a positive integer, got {filters!r}")
        super().__init__(**kwargs)
        self.rank = int(rank)
        self.filters = int(filters)
        self.kernel_size = _tuple(kernel_size, self.rank, "kernel_size", who)
        self.strides = _tuple(strides, self.rank, "strides", who)
        self.padding = _padding(padding, ("valid", "same"), who)
        self.data_format = _data_format(data_format, who)
        self.dilation_rate = _tuple(dilation_rate, self.rank, "dilation_rate", who)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{who}: strides > 1 and dilation_rate > 1 cannot be combined, got strides={self.strides} "
                f"and dilation_rate={self.dilation_rate}"
            )
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = _check_rate("dropout", dropout, who)
        self.recurrent_dropout = _check_rate("recurrent_dropout", recurrent_dropout, who)
        self.seed = seed
        self._generator = None if seed is None else backend.generator(seed)
        # The channels of h and c; their spatial size follows from the input's.
        self.state_size = [self.filters, self.filters]
        self.output_size = self.filters
        self.spatial_dims = None
        self.input_spec = InputSpec(ndim=self.rank + 2)

    _rank_hint = "(batch, *spatial, channels)"

    def _output_spatial(self, spatial):
        """The spatial size of ``h`` and ``c`` for inputs of spatial size ``spatial``."""
        return tuple(
            conv_output_length(size, k, s, self.padding, d)
            for size, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        )

    def _check_spatial(self, spatial, who):
        """Refuse inputs too small for the kernel with ``padding="valid"``."""
        out = self._output_spatial(spatial)
        if any(size is not None and size < 1 for size in out):
            raise ValueError(
                f"{who}: inputs of spatial size {tuple(spatial)} are smaller than the kernel "
                f"{self.kernel_size} (dilation_rate {self.dilation_rate}) with padding='valid'"
            )
        return out

    def build(self, input_shape):
        shape = tuple(input_shape)
        who = f"{type(self).__name__} '{self.name}'"
        if len(shape) != self.rank + 2:
            raise ValueError(f"{who} expects steps of rank {self.rank + 2} {self._rank_hint}, got shape {shape}")
        channels = shape[-1]
        if channels is None:
            raise ValueError(f"{who}: the number of input channels must be known, got {shape}")
        self._check_spatial(shape[1:-1], who)
        self.spatial_dims = shape[1:-1]
        self.input_dim = int(channels)
        gates = _GATES * self.filters
        self.kernel = self.add_weight(
            name="kernel",
            shape=self.kernel_size + (self.input_dim, gates),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel",
            shape=self.kernel_size + (self.filters, gates),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            initializer = self.bias_initializer
            if self.unit_forget_bias:
                initializer = _forget_bias_initializer(self.bias_initializer, self.filters)
            self.bias = self.add_weight(
                name="bias",
                shape=(gates,),
                initializer=initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.built = True

    # --- the computation ------------------------------------------------------------------------
    def _gate_part(self, weight, gate):
        """The slice of ``weight`` (last axis ``4 * filters``) that feeds gate number ``gate``."""
        f = self.filters
        return getitem(weight, (Ellipsis, slice(gate * f, (gate + 1) * f)))

    def _input_gates(self, x, training):
        """The input's share of the four gates, ``conv(x, kernel) + bias``.

        With input dropout in training, each gate sees the input through its own mask
        (Keras' way), the same mask at every step of a sequence.
        """
        if not (training and self.dropout > 0):
            return _convolve(self.rank, x, self.kernel, self.strides, self.padding, self.dilation_rate, self.bias)
        parts = []
        for gate in range(_GATES):
            dropped = apply_dropout_mask(x, self._step_keep(f"inputs_{gate}", x.shape, self.dropout), self.dropout)
            bias = None if self.bias is None else self._gate_part(self.bias, gate)
            kernel = self._gate_part(self.kernel, gate)
            parts.append(_convolve(self.rank, dropped, kernel, self.strides, self.padding, self.dilation_rate, bias))
        return concat(parts, axis=-1)

    def _state_gates(self, h, training):
        """The state's share of the four gates, ``conv(h, recurrent_kernel)`` (stride 1, ``"same"``)."""
        ones = (1,) * self.rank
        if not (training and self.recurrent_dropout > 0):
            return _convolve(self.rank, h, self.recurrent_kernel, ones, "same", ones)
        rate = self.recurrent_dropout
        parts = []
        for gate in range(_GATES):
            dropped = apply_dropout_mask(h, self._step_keep(f"state_{gate}", h.shape, rate), rate)
            kernel = self._gate_part(self.recurrent_kernel, gate)
            parts.append(_convolve(self.rank, dropped, kernel, ones, "same", ones))
        return concat(parts, axis=-1)

    def call(self, inputs, states, training=False):
        h, c = states
        z = self._input_gates(inputs, training) + self._state_gates(h, training)
        zi, zf, zc, zo = split(z, _GATES, axis=-1)
        gate, act = self.recurrent_activation, self.activation
        c = gate(zf) * c + gate(zi) * act(zc)
        h = gate(zo) * act(c)
        return h, [h, c]

    def get_initial_state(self, batch_size=None):
        """Zero ``h`` and ``c`` for the spatial size the cell was built for."""
        if self.spatial_dims is None or None in self.spatial_dims:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the initial state needs the spatial size of "
                "the inputs; build the cell on a shape that gives it first"
            )
        shape = (batch_size,) + self._output_spatial(self.spatial_dims) + (self.filters,)
        return [Tensor._wrap(xp.zeros(shape, dtype=self._dtype)) for _ in range(2)]

    def get_config(self):
        config = super().get_config()
        config.update(
            rank=self.rank,
            filters=self.filters,
            kernel_size=tuple(self.kernel_size),
            strides=tuple(self.strides),
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=tuple(self.dilation_rate),
            activation=activations.serialize(self.activation),
            recurrent_activation=activations.serialize(self.recurrent_activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            recurrent_initializer=initializers.serialize(self.recurrent_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            unit_forget_bias=self.unit_forget_bias,
            kernel_regularizer=_serialize(regularizers, self.kernel_regularizer),
            recurrent_regularizer=_serialize(regularizers, self.recurrent_regularizer),
            bias_regularizer=_serialize(regularizers, self.bias_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            recurrent_constraint=constraints.serialize(self.recurrent_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
            dropout=self.dropout,
            recurrent_dropout=self.recurrent_dropout,
            seed=self.seed,
        )
        return config


class _ConvLSTM(RNN):
    """What the three ConvLSTM layers share: an ``RNN`` of a ``ConvLSTMCell``."""

    rank = 2

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        **kwargs,
    ):
        kwargs.pop("cell", None)
        cell = ConvLSTMCell(
            self.rank,
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            name="conv_lstm_cell",
            dtype=kwargs.get("dtype"),
            _owner=type(self).__name__,
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            **kwargs,
        )
        self.input_spec = InputSpec(ndim=self.rank + 3)

    @property
    def _rank_hint(self):
        return _RANK_HINTS[self.rank]

    def __getattr__(self, name):
        # filters, kernel_size, kernel, ... are the cell's, as in Keras.
        cell = self.__dict__.get("cell")
        if cell is not None and not name.startswith("_") and hasattr(cell, name):
            return getattr(cell, name)
        return super().__getattr__(name)

    def build(self, sequences_shape, initial_state_shape=None):
        shape = tuple(sequences_shape)
        if not self.cell.built:
            self.cell.build((shape[0],) + shape[2:])
        self.input_spec = InputSpec(ndim=self.rank + 3, axes={-1: shape[-1]})
        self.built = True

    def _state_shapes(self, sequences_shape):
        shape = tuple(sequences_shape)
        spatial = self.cell._check_spatial(shape[2:-1], f"{type(self).__name__} '{self.name}'")
        return [(shape[0],) + spatial + (self.cell.filters,)] * 2

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = tuple(sequences_shape)
        state = self._state_shapes(shape)[0]
        output = (shape[0], shape[1]) + state[1:] if self.return_sequences else state
        if self.return_state:
            return [output, state, state]
        return output

    def get_config(self):
        config = super().get_config()
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype", "rank"):
            cell_config.pop(key, None)
        config.update(cell_config)
        config["activity_regularizer"] = _serialize(regularizers, self.activity_regularizer)
        return config


class ConvLSTM1D(_ConvLSTM):
    """1-D convolutional LSTM over sequences of signals ``(batch, time, steps, channels)``.

    Parameters as ``ConvLSTM2D``, with ``kernel_size``, ``strides`` and ``dilation_rate``
    an int or a tuple of one. The kernel has shape ``(k, channels, 4 * filters)``.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet import layers
    >>> layers.ConvLSTM1D(4, 3, padding="same")(tf.zeros((2, 6, 10, 1))).shape
    TensorShape([2, 10, 4])
    """

    rank = 1


class ConvLSTM2D(_ConvLSTM):
    """2-D convolutional LSTM over sequences of images ``(batch, time, rows, cols, channels)``, as
    ``keras.layers.ConvLSTM2D``.

    Parameters
    ----------
    filters : int
        The channels of the output (and of the states ``h`` and ``c``).
    kernel_size : int or (int, int)
    strides : int or (int, int), default 1
        Of the input's convolution (the recurrent one has stride 1).
    padding : {"valid", "same"}
        Of the input's convolution; the recurrent one is always ``"same"``.
    data_format : ``"channels_last"`` only (the default)
    dilation_rate : int or (int, int), default 1
        Of the input's convolution; cannot be combined with strides above 1.
    activation : default ``"tanh"``
    recurrent_activation : default ``"sigmoid"``
    use_bias : bool, default True
    kernel_initializer, recurrent_initializer, bias_initializer :
        ``"glorot_uniform"``, ``"orthogonal"``, ``"zeros"`` by default.
    unit_forget_bias : bool, default True
        Start the forget gate's bias at 1.
    kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer,
    kernel_constraint, recurrent_constraint, bias_constraint : optional
    dropout, recurrent_dropout : float in [0, 1)
        Fractions of the inputs and of ``h`` dropped in training: each gate has its own
        mask, the same at every step of a sequence.
    seed : int, optional
        Seed of the dropout masks.
    return_sequences, return_state, go_backwards, stateful :
        As for ``RNN``; ``return_state=True`` returns ``[output, h, c]``.

    The output has shape ``(batch, out_rows, out_cols, filters)``, or
    ``(batch, time, out_rows, out_cols, filters)`` with ``return_sequences=True``. A mask
    ``(batch, time)`` (``layer(x, mask=...)``) leaves the states unchanged at masked steps.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet import layers
    >>> layer = layers.ConvLSTM2D(4, (3, 3), padding="same", return_state=True)
    >>> output, h, c = layer(tf.zeros((1, 3, 8, 8, 2)))
    >>> output.shape, c.shape
    (TensorShape([1, 8, 8, 4]), TensorShape([1, 8, 8, 4]))
    >>> layer.kernel.shape, layer.recurrent_kernel.shape
    (TensorShape([3, 3, 2, 16]), TensorShape([3, 3, 4, 16]))
    """

    rank = 2


class ConvLSTM3D(_ConvLSTM):
    """3-D convolutional LSTM over sequences of volumes ``(batch, time, depth, rows, cols, channels)``.

    Parameters as ``ConvLSTM2D``, with ``kernel_size``, ``strides`` and ``dilation_rate``
    an int or a tuple of three. The kernel has shape ``(kd, kh, kw, channels, 4 * filters)``.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet import layers
    >>> layers.ConvLSTM3D(2, 3)(tf.zeros((1, 2, 5, 5, 5, 1))).shape
    TensorShape([1, 3, 3, 3, 2])
    """

    rank = 3


__all__ = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]
