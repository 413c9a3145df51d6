"""Recurrent layers: ``SimpleRNN``, ``LSTM``, ``GRU``, their cells, ``RNN(cell)``, ``StackedRNNCells`` and
``Bidirectional``.

A recurrent layer reads a sequence ``(batch, time, features)`` one step at a time and
carries a state from step to step. Keras' names, defaults and weight layout:
``kernel`` ``(features, gates * units)``, ``recurrent_kernel`` ``(units, gates * units)``,
``bias``; gate order ``i, f, c, o`` for the LSTM and ``z, r, h`` for the GRU.

Speed: for the three built-in cells the whole sequence is one fused op
(``learnet.ops.recurrent``): the input projection of all steps is one matrix product,
the time loop only does ``h @ recurrent_kernel`` and the gates, and the backward pass
through time is written by hand. A custom cell (any layer with ``state_size`` and
``call(inputs, states)``) or a stack of cells runs step by step with ordinary ops, the way
Keras runs it.

Examples
--------
>>> import learnet as tf
>>> from learnet import layers
>>> x = tf.ones((2, 5, 3))
>>> layers.LSTM(4)(x).shape
TensorShape([2, 4])
>>> layers.GRU(4, return_sequences=True)(x).shape
TensorShape([2, 5, 4])
"""

import numpy

from learnet import activations, backend, constraints, initializers, regularizers, tree
from learnet.backend import xp
from learnet.layers.base import InputSpec, Layer
from learnet.layers.core import _serialize
from learnet.ops import recurrent as fused
from learnet.ops.math import cast, where
from learnet.ops.nn import apply_dropout_mask
from learnet.ops.shape import concat, getitem, split, stack
from learnet.tensor import Tensor

# ---------------------------------------------------------------------------------------------
# cells
# ---------------------------------------------------------------------------------------------


def _check_rate(name, value, who):
    value = float(value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{who}: {name} must be in [0, 1), got {value}")
    return value


class _StepDropout:
    """Dropout masks of a cell that runs one step at a time.

    A mask is made at the first step of a sequence and reused at every step after it (one
    mask per sequence, as Keras does); the ``RNN`` running the cell forgets them when its
    call ends (``_forget_step_masks``). The cell holds ``_generator`` (its seed's, or None).
    """

    _untracked_attributes = frozenset({"_step_masks"})

    def _keep(self, shape, rate):
        """A fresh boolean mask of ``shape``: True where a value is kept."""
        generator = self._generator or backend.rng()
        return xp.asarray(generator.random(shape, dtype=numpy.float32) >= rate)

    def _step_keep(self, key, shape, rate):
        """This sequence's mask called ``key`` (made at its first step)."""
        masks = self.__dict__.setdefault("_step_masks", {})
        keep = masks.get(key)
        if keep is None or tuple(keep.shape) != tuple(shape):
            keep = masks[key] = self._keep(tuple(shape), rate)
        return keep

    def _forget_step_masks(self):
        self.__dict__.pop("_step_masks", None)


def _forget_bias_initializer(base, units):
    """The LSTM bias initializer of ``unit_forget_bias``: ``base``, with the forget gate's part at 1."""

    def initializer(shape, dtype=None):
        return xp.concatenate(
            [
                xp.asarray(base((units,), dtype=dtype)),
                xp.ones((units,), dtype=dtype),
                xp.asarray(base((2 * units,), dtype=dtype)),
            ]
        )

    return initializer


class _DropoutCell(_StepDropout, Layer):
    """Weights and dropout masks shared by the three built-in cells."""

    _gates = 1

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
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
        who = type(self).__name__
        if isinstance(units, bool) or not isinstance(units, (int, numpy.integer)) or units <= 0:
            raise ValueError(f"{who}: units must be a positive integer, got {units!r}")
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
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
        self.state_size = self.units
        self.output_size = self.units

    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def build(self, input_shape):
        features = input_shape[-1]
        if features is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the number of input features must be known")
        gates = self._gates * self.units
        self.kernel = self.add_weight(
            name="kernel",
            shape=(features, gates),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel",
            shape=(self.units, gates),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=self._bias_shape(),
                initializer=self._bias_initializer(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.built = True

    # The masks are made once per layer call and shared by all steps, as in Keras.
    def _step_dropout(self, inputs, h, training):
        """One step's inputs and the carried state its recurrent product reads, with this
        sequence's dropout masks applied (``call`` run step by step, as in ``StackedRNNCells``)."""
        if training and self.dropout > 0:
            inputs = apply_dropout_mask(inputs, self._step_keep("inputs", inputs.shape, self.dropout), self.dropout)
        if training and self.recurrent_dropout > 0:
            h = apply_dropout_mask(h, self._step_keep("state", h.shape, self.recurrent_dropout), self.recurrent_dropout)
        return inputs, h

    def _recurrent_mask(self, batch, dtype, training):
        if not training or self.recurrent_dropout == 0:
            return None
        keep = self._keep((batch, self.units), self.recurrent_dropout)
        return keep.astype(dtype) / dtype.type(1.0 - self.recurrent_dropout)

    def _drop_inputs(self, sequences, training):
        """Input dropout: one mask per example and feature, the same at every step."""
        if not training or self.dropout == 0:
            return sequences
        batch, _, features = sequences.shape
        return apply_dropout_mask(sequences, self._keep((batch, 1, features), self.dropout), self.dropout)

    def _bias_value(self, dtype):
        if self.bias is not None:
            return self.bias
        return Tensor._wrap(xp.zeros(self._bias_shape(), dtype=dtype))

    def _fused_activations(self):
        """The activation names for the fused op, or None when it does not know them."""
        names = {}
        for key in ("activation", "recurrent_activation"):
            if not hasattr(self, key):
                continue
            try:
                name = activations.serialize(getattr(self, key))
            except (ValueError, TypeError):
                return None
            if not isinstance(name, str) or not fused.supports_activation(name):
                return None
            names[key] = name
        return names

    def get_initial_state(self, batch_size=None):
        """Zero states, one per entry of ``state_size``."""
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [Tensor._wrap(xp.zeros((batch_size, size), dtype=self._dtype)) for size in sizes]

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            recurrent_initializer=initializers.serialize(self.recurrent_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
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


class SimpleRNNCell(_DropoutCell):
    """One step of a fully-connected RNN: ``h = activation(x @ kernel + h_prev @ recurrent_kernel + bias)``.

    Parameters
    ----------
    units : int
    activation : default ``"tanh"``
    use_bias : bool, default True
    kernel_initializer, recurrent_initializer, bias_initializer :
        ``"glorot_uniform"``, ``"orthogonal"``, ``"zeros"`` by default.
    kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
    recurrent_constraint, bias_constraint : optional
    dropout, recurrent_dropout : float in [0, 1)
        Fractions of the inputs and of the carried state dropped in training (one mask
        for all the steps of a sequence).
    seed : int, optional

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet import layers
    >>> layers.RNN(layers.SimpleRNNCell(3))(tf.ones((2, 4, 5))).shape
    TensorShape([2, 3])
    """

    def __init__(self, units, activation="tanh", use_bias=True, **kwargs):
        kwargs.pop("recurrent_activation", None)
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)
        del self.recurrent_activation

    def call(self, inputs, states, training=False):
        h = states[0] if isinstance(states, (list, tuple)) else states
        inputs, h = self._step_dropout(inputs, h, training)
        z = inputs @ self.kernel
        if self.bias is not None:
            z = z + self.bias
        new = self.activation(z + h @ self.recurrent_kernel)
        return new, [new]

    def _fused(self, sequences, states, mask, go_backwards, zero_output, recurrent_mask, names):
        return fused.simple_rnn_sequence(
            sequences,
            states[0],
            self.kernel,
            self.recurrent_kernel,
            self._bias_value(sequences.dtype),
            mask=mask,
            go_backwards=go_backwards,
            zero_output_for_mask=zero_output,
            recurrent_mask=recurrent_mask,
            **names,
        )

    def get_config(self):
        return super().get_config()


class LSTMCell(_DropoutCell):
    """One step of a Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997).

    ``z = x @ kernel + h_prev @ recurrent_kernel + bias`` is split into the gates
    ``i, f, c, o`` (Keras' order): ``c = f * c_prev + i * tanh(z_c)``, ``h = o * tanh(c)``.

    Parameters
    ----------
    units : int
    activation : default ``"tanh"``
    recurrent_activation : default ``"sigmoid"``
    unit_forget_bias : bool, default True
        Start the forget gate's bias at 1 (so the cell remembers at first).
    Others as for ``SimpleRNNCell``.

    Examples
    --------
    >>> from learnet import layers
    >>> cell = layers.LSTMCell(4)
    >>> cell.state_size
    [4, 4]
    """

    _gates = 4

    def __init__(
        self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True, unit_forget_bias=True, **kwargs
    ):
        super().__init__(
            units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias, **kwargs
        )
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        return _forget_bias_initializer(self.bias_initializer, self.units)

    def call(self, inputs, states, training=False):
        h, c = states
        inputs, h = self._step_dropout(inputs, h, training)
        z = inputs @ self.kernel + h @ self.recurrent_kernel
        if self.bias is not None:
            z = z + self.bias
        zi, zf, zc, zo = split(z, 4, axis=-1)
        gate, act = self.recurrent_activation, self.activation
        c = gate(zf) * c + gate(zi) * act(zc)
        h = gate(zo) * act(c)
        return h, [h, c]

    def _fused(self, sequences, states, mask, go_backwards, zero_output, recurrent_mask, names):
        return fused.lstm_sequence(
            sequences,
            states[0],
            states[1],
            self.kernel,
            self.recurrent_kernel,
            self._bias_value(sequences.dtype),
            mask=mask,
            go_backwards=go_backwards,
            zero_output_for_mask=zero_output,
            recurrent_mask=recurrent_mask,
            **names,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            recurrent_activation=activations.serialize(self.recurrent_activation),
            unit_forget_bias=self.unit_forget_bias,
        )
        return config


class GRUCell(_DropoutCell):
    """One step of a Gated Recurrent Unit, Keras' gate order ``z, r, h``.

    ``h = z * h_prev + (1 - z) * hh``, with ``hh = tanh(x_h + r * (h_prev @ U_h + b_rh))``
    when ``reset_after=True`` (Keras' default; the bias then has shape ``(2, 3 units)``:
    input and recurrent biases) or ``hh = tanh(x_h + (r * h_prev) @ U_h)`` otherwise.

    Parameters
    ----------
    units : int
    activation : default ``"tanh"``
    recurrent_activation : default ``"sigmoid"``
    reset_after : bool, default True
    Others as for ``SimpleRNNCell``.

    Examples
    --------
    >>> from learnet import layers
    >>> cell = layers.GRUCell(4)
    >>> cell.build((None, 3)); cell.bias.shape
    TensorShape([2, 12])
    """

    _gates = 3

    def __init__(
        self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True, reset_after=True, **kwargs
    ):
        super().__init__(
            units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias, **kwargs
        )
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs, states, training=False):
        h = states[0] if isinstance(states, (list, tuple)) else states
        # Recurrent dropout reaches the recurrent products only, not the carried h (as the fused op).
        inputs, dropped = self._step_dropout(inputs, h, training)
        gate, act, units = self.recurrent_activation, self.activation, self.units
        bias = self._bias_value(inputs.dtype)
        if self.reset_after:
            xz, xr, xh = split(inputs @ self.kernel + bias[0], 3, axis=-1)
            rz, rr, rh = split(dropped @ self.recurrent_kernel + bias[1], 3, axis=-1)
            z, r = gate(xz + rz), gate(xr + rr)
            hh = act(xh + r * rh)
        else:
            xz, xr, xh = split(inputs @ self.kernel + bias, 3, axis=-1)
            z = gate(xz + dropped @ self.recurrent_kernel[:, :units])
            r = gate(xr + dropped @ self.recurrent_kernel[:, units : 2 * units])
            hh = act(xh + (r * dropped) @ self.recurrent_kernel[:, 2 * units :])
        new = z * h + (1 - z) * hh
        return new, [new]

    def _fused(self, sequences, states, mask, go_backwards, zero_output, recurrent_mask, names):
        return fused.gru_sequence(
            sequences,
            states[0],
            self.kernel,
            self.recurrent_kernel,
            self._bias_value(sequences.dtype),
            mask=mask,
            go_backwards=go_backwards,
            zero_output_for_mask=zero_output,
            recurrent_mask=recurrent_mask,
            reset_after=self.reset_after,
            **names,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            recurrent_activation=activations.serialize(self.recurrent_activation), reset_after=self.reset_after
        )
        return config


# ---------------------------------------------------------------------------------------------
# the layers
# ---------------------------------------------------------------------------------------------


def _as_list(states):
    if states is None:
        return None
    if isinstance(states, (list, tuple)):
        return list(states)
    return [states]


def _holds_arrays(value):
    return any(isinstance(leaf, (Tensor, numpy.ndarray, xp.ndarray)) for leaf in tree.flatten(value))


def _flat_states(states):
    """States as one flat list: ``[h, c]``, or ``[[h1, c1], [h2]]`` of stacked cells, as ``[h1, c1, h2]``.

    The top level is always a list of states (a state may be a nested list of numbers);
    an item is opened further only when it holds tensors or arrays itself.
    """
    if states is None:
        return None
    flat = []
    for item in _as_list(states):
        if isinstance(item, (list, tuple)) and _holds_arrays(item):
            flat.extend(_flat_states(item))
        else:
            flat.append(item)
    return flat


def _keep_for(keep, tensor):
    """A step's ``(batch,)`` mask, shaped to broadcast over ``tensor``'s other axes."""
    return Tensor._wrap(keep.reshape((keep.shape[0],) + (1,) * (tensor.ndim - 1)))


def _forget_step_masks(cell):
    forget = getattr(cell, "_forget_step_masks", None)
    if forget is not None:
        forget()


def _state_count(size):
    return len(tree.flatten(size))


class StackedRNNCells(Layer):
    """Several cells run as one: at each step the first reads the input, each next one the
    output of the one before, as ``keras.layers.StackedRNNCells``.

    Its ``state_size`` lists each cell's (``[[4, 4], 3]`` for an ``LSTMCell(4)`` and a
    ``GRUCell(3)``) and its output is the last cell's. An ``RNN`` of it returns, with
    ``return_state=True``, ``[output, [h1, c1], [h2]]``: one list of states per cell.

    Parameters
    ----------
    cells : list of cells
        ``SimpleRNNCell``, ``LSTMCell``, ``GRUCell`` or your own (a layer with
        ``state_size`` and ``call(inputs, states)``). ``RNN([cell, cell])`` stacks them too.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet import layers
    >>> cells = layers.StackedRNNCells([layers.LSTMCell(4), layers.GRUCell(3)])
    >>> cells.state_size
    [[4, 4], 3]
    >>> layers.RNN(cells)(tf.ones((2, 5, 6))).shape
    TensorShape([2, 3])
    """

    def __init__(self, cells, **kwargs):
        if isinstance(cells, Layer) or not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(f"StackedRNNCells: cells must be a non-empty list of RNN cells, got {cells!r}")
        for cell in cells:
            if (
                not isinstance(cell, Layer)
                or not hasattr(cell, "state_size")
                or not callable(getattr(cell, "call", None))
            ):
                raise ValueError(
                    "StackedRNNCells: every cell must be a layer with a state_size and a "
                    f"call(inputs, states), got {cell!r}"
                )
        super().__init__(**kwargs)
        self.cells = list(cells)

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @staticmethod
    def _output_size_of(cell):
        size = getattr(cell, "output_size", None)
        if size is not None:
            return size
        state = cell.state_size
        return state[0] if isinstance(state, (list, tuple)) else state

    @property
    def output_size(self):
        return self._output_size_of(self.cells[-1])

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if not cell.built:
                cell._maybe_build(shape)
            shape = (shape[0], self._output_size_of(cell))
        self.built = True

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            kwargs = {"training": training} if cell._call_has_training else {}
            inputs, cell_states = cell.call(inputs, _as_list(cell_states), **kwargs)
            new_states.append(_as_list(cell_states))
        return inputs, new_states

    def get_initial_state(self, batch_size=None):
        """Each cell's zero states, one list per cell."""
        states = []
        for cell in self.cells:
            if hasattr(cell, "get_initial_state"):
                states.append(_as_list(cell.get_initial_state(batch_size=batch_size)))
            else:
                sizes = tree.flatten(cell.state_size)
                states.append([Tensor._wrap(xp.zeros((batch_size, size), dtype=self._dtype)) for size in sizes])
        return states

    def _forget_step_masks(self):
        for cell in self.cells:
            _forget_step_masks(cell)

    def get_config(self):
        from learnet.layers import _sublayer_entry as serialize

        config = super().get_config()
        config["cells"] = [serialize(cell) for cell in self.cells]
        return config

    @classmethod
    def from_config(cls, config):
        from learnet.layers import deserialize

        config = dict(config)
        config["cells"] = [deserialize(cell) for cell in config["cells"]]
        return cls(**config)


class RNN(Layer):
    """Run a cell over a sequence: ``(batch, time, features)`` -> its last output, or all of them.

    Parameters
    ----------
    cell : Layer, or a list of them
        ``SimpleRNNCell``, ``LSTMCell``, ``GRUCell`` or your own: a layer with
        ``state_size`` (an int or a list of ints) and ``call(inputs, states)`` returning
        ``(output, new_states)``; ``states`` is always a list. A list of cells runs as
        ``StackedRNNCells(cells)``.
    return_sequences : bool, default False
        Return the output of every step ``(batch, time, units)`` instead of the last one.
    return_state : bool, default False
        Also return the final states: ``[output, *states]``.
    go_backwards : bool, default False
        Read the sequence from its end; the returned sequence is in that reversed order.
    stateful : bool, default False
        Start each batch from the final states of the previous one (``reset_states()``
        starts over).
    unroll : bool, default False
        Accepted for compatibility; the loop is never unrolled.
    zero_output_for_mask : bool, default False
        Masked steps output zeros instead of repeating the carried state.

    Calling: ``layer(x, initial_state=None, mask=None, training=None)``; ``mask`` (bool,
    ``(batch, time)``) also arrives on its own from ``Embedding(mask_zero=True)`` or
    ``Masking``: masked steps leave the states unchanged.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet import layers
    >>> out, h, c = layers.RNN(layers.LSTMCell(3), return_state=True)(tf.ones((2, 4, 5)))
    >>> out.shape, c.shape
    (TensorShape([2, 3]), TensorShape([2, 3]))
    """

    def __init__(
        self,
        cell,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not isinstance(cell, Layer) or not hasattr(cell, "state_size"):
            raise ValueError(
                f"{type(self).__name__}: cell must be a layer with a state_size and a "
                f"call(inputs, states), got {cell!r}"
            )
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=3)
        self._states = None

    _rank_hint = "(batch, time, features)"

    @property
    def _state_structure(self):
        """How the cell takes its states: one size (one state, handed over as ``[h]``), a list
        of sizes, or, where an entry is a list itself (stacked cells), one list per entry."""
        size = self.cell.state_size
        if not isinstance(size, (list, tuple)):
            return size
        if any(isinstance(entry, (list, tuple)) for entry in size):
            return [list(entry) if isinstance(entry, (list, tuple)) else [entry] for entry in size]
        return list(size)

    @property
    def _state_sizes(self):
        """The sizes of all the states, as one flat list."""
        return tree.flatten(self._state_structure)

    def _state_shapes(self, sequences_shape):
        """The shapes of all the states (one flat list) for inputs of ``sequences_shape``."""
        return [(sequences_shape[0], size) for size in self._state_sizes]

    def _cell_states(self, flat):
        """The flat states in the structure the cell takes (always a list, as Keras hands them)."""
        structure = self._state_structure
        if not isinstance(structure, list):
            return list(flat)
        return tree.pack_sequence_as(structure, flat)

    def _output_state(self):
        """Which flat state holds the previous output (a masked step repeats it): the first,
        or the first of the last stacked cell's."""
        structure = self._state_structure
        if isinstance(structure, list) and structure and isinstance(structure[-1], list):
            return len(self._state_sizes) - _state_count(structure[-1])
        return 0

    @property
    def states(self):
        """The states kept between batches of a ``stateful`` layer (None before the first)."""
        return self._states

    def reset_states(self, states=None):
        """Forget the states a ``stateful`` layer carries (or set them to ``states``)."""
        self._states = None if states is None else [Tensor(s, dtype=self._dtype) for s in _flat_states(states)]

    reset_state = reset_states

    def build(self, sequences_shape, initial_state_shape=None):
        if not self.cell.built:
            self.cell.build((sequences_shape[0], sequences_shape[-1]))
        if sequences_shape[-1] is not None:
            self.input_spec = InputSpec(ndim=3, axes={-1: sequences_shape[-1]})
        self.built = True

    def _initial_states(self, sequences_shape, initial_state):
        shapes = self._state_shapes(sequences_shape)
        who = f"{type(self).__name__} '{self.name}'"
        if initial_state is None and self.stateful and self._states is not None:
            initial_state = self._states
        if initial_state is None:
            return [Tensor._wrap(xp.zeros(shape, dtype=self._dtype)) for shape in shapes]
        states = [s if isinstance(s, Tensor) else Tensor(s, dtype=self._dtype) for s in _flat_states(initial_state)]
        if len(states) != len(shapes):
            raise ValueError(f"{who} expects {len(shapes)} initial state(s), got {len(states)}")
        for state, shape in zip(states, shapes):
            if tuple(state.shape) != tuple(shape):
                raise ValueError(f"{who} expects initial states of shape {tuple(shape)}, got {tuple(state.shape)}")
        return [s if s.dtype == self._dtype else cast(s, self._dtype) for s in states]

    def call(self, sequences, initial_state=None, mask=None, training=None):
        batch, steps = sequences.shape[0], sequences.shape[1]
        who = f"{type(self).__name__} '{self.name}'"
        if steps == 0:
            raise ValueError(f"{who} expects at least one time step, got inputs of shape {tuple(sequences.shape)}")
        states = self._initial_states(tuple(sequences.shape), initial_state)
        mask_array = None
        if mask is not None:
            mask_array = xp.asarray(mask._value if isinstance(mask, Tensor) else mask).astype(bool)
            if mask_array.shape != (batch, steps):
                raise ValueError(f"{who} expects a mask of shape {(batch, steps)}, got {tuple(mask_array.shape)}")
        cell = self.cell
        names = cell._fused_activations() if hasattr(cell, "_fused") else None
        if names is not None:
            dropped = cell._drop_inputs(sequences, training)
            recurrent_mask = cell._recurrent_mask(batch, sequences._value.dtype, training)
            packed = cell._fused(
                dropped, states, mask_array, self.go_backwards, self.zero_output_for_mask, recurrent_mask, names
            )
            outputs = getitem(packed, (slice(None), slice(0, steps)))
            final_states = [getitem(packed, (slice(None), steps + i)) for i in range(len(states))]
        else:
            _forget_step_masks(cell)  # dropout masks are made anew for each call
            try:
                outputs, final_states = self._step_by_step(sequences, states, mask_array, training)
            finally:
                _forget_step_masks(cell)
        if self.stateful:
            self._states = [Tensor._wrap(xp.array(s._value)) for s in final_states]
        output = outputs if self.return_sequences else getitem(outputs, (slice(None), steps - 1))
        if self.return_state:
            return [output] + self._cell_states(final_states)
        return output

    def _step_by_step(self, sequences, states, mask, training):
        """The general loop, one cell call per step, for any cell."""
        steps = sequences.shape[1]
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        kwargs = {"training": training} if self.cell._call_has_training else {}
        carried = self._output_state()
        outputs = []
        for t in order:
            output, new_states = self.cell.call(
                getitem(sequences, (slice(None), t)), self._cell_states(states), **kwargs
            )
            new_states = _flat_states(new_states)
            if len(new_states) != len(states):
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': the cell returned {len(new_states)} state(s), "
                    f"its state_size says {len(states)}"
                )
            if mask is not None:
                keep = mask[:, t]
                new_states = [where(_keep_for(keep, n), n, s) for n, s in zip(new_states, states)]
                if self.zero_output_for_mask:
                    output = where(
                        _keep_for(keep, output), output, Tensor._wrap(xp.zeros((), dtype=output._value.dtype))
                    )
                else:
                    output = where(_keep_for(keep, output), output, states[carried])
            outputs.append(output)
            states = new_states
        return stack(outputs, axis=1), states

    def compute_mask(self, inputs, mask=None):
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self._cell_states(self._state_sizes))
        return output_mask

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = tuple(sequences_shape)
        units = getattr(self.cell, "output_size", None) or self._state_sizes[0]
        output = (shape[0], shape[1], units) if self.return_sequences else (shape[0], units)
        if self.return_state:
            return [output] + self._cell_states(self._state_shapes(shape))
        return output

    def get_config(self):
        from learnet.layers import _sublayer_entry as serialize

        config = super().get_config()
        config.update(
            return_sequences=self.return_sequences,
            return_state=self.return_state,
            go_backwards=self.go_backwards,
            stateful=self.stateful,
            unroll=self.unroll,
            zero_output_for_mask=self.zero_output_for_mask,
        )
        if type(self) is RNN:
            config["cell"] = serialize(self.cell)
        return config

    @classmethod
    def from_config(cls, config):
        from learnet.layers import deserialize

        config = dict(config)
        if cls is RNN:
            config["cell"] = deserialize(config["cell"])
        return cls(**config)


# The arguments a SimpleRNN/LSTM/GRU layer hands to its cell.
_CELL_ARGUMENTS = (
    "activation",
    "recurrent_activation",
    "use_bias",
    "kernel_initializer",
    "recurrent_initializer",
    "bias_initializer",
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
    "dropout",
    "recurrent_dropout",
    "seed",
    "unit_forget_bias",
    "reset_after",
)
_LAYER_ARGUMENTS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask")


class _CellLayer(RNN):
    _cell_class: type = type(None)  # each layer names its cell class

    def __init__(self, units, **kwargs):
        cell_kwargs = {key: kwargs.pop(key) for key in _CELL_ARGUMENTS if key in kwargs}
        kwargs.pop("cell", None)
        kwargs.pop("implementation", None)
        kwargs.pop("time_major", None)
        layer_dtype = kwargs.get("dtype")
        cell = self._cell_class(units, dtype=layer_dtype, name=self._cell_name, **cell_kwargs)
        super().__init__(cell, **kwargs)

    def __getattr__(self, name):
        # units, activation, kernel, ... are the cell's, as in Keras.
        cell = self.__dict__.get("cell")
        if cell is not None and not name.startswith("_") and hasattr(cell, name):
            return getattr(cell, name)
        return super().__getattr__(name)

    def get_config(self):
        config = super().get_config()
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        config.update(cell_config)
        return config


class SimpleRNN(_CellLayer):
    """A fully-connected RNN layer: ``h_t = tanh(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``.

    Parameters
    ----------
    units : int
    activation : default ``"tanh"``
    use_bias, kernel_initializer, recurrent_initializer, bias_initializer, regularizers,
    constraints, dropout, recurrent_dropout, seed :
        As for ``SimpleRNNCell``.
    return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask :
        As for ``RNN``.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet import layers
    >>> layers.SimpleRNN(4, return_sequences=True)(tf.ones((2, 3, 5))).shape
    TensorShape([2, 3, 4])
    """

    _cell_class = SimpleRNNCell
    _cell_name = "simple_rnn_cell"


class LSTM(_CellLayer):
    """Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997), as ``keras.layers.LSTM``.

    Parameters
    ----------
    units : int
    activation : default ``"tanh"``
    recurrent_activation : default ``"sigmoid"``
    unit_forget_bias : bool, default True
    use_bias, kernel_initializer, recurrent_initializer, bias_initializer, regularizers,
    constraints, dropout, recurrent_dropout, seed :
        As for ``LSTMCell``.
    return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask :
        As for ``RNN``.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet import layers
    >>> model = tf.keras.Sequential([
    ...     layers.Embedding(1000, 16, mask_zero=True),
    ...     layers.LSTM(8),
    ...     layers.Dense(1, activation="sigmoid"),
    ... ])
    >>> model(tf.constant([[5, 7, 0, 0]])).shape
    TensorShape([1, 1])
    """

    _cell_class = LSTMCell
    _cell_name = "lstm_cell"


class GRU(_CellLayer):
    """Gated Recurrent Unit layer, as ``keras.layers.GRU`` (``reset_after=True``).

    Parameters
    ----------
    units : int
    activation : default ``"tanh"``
    recurrent_activation : default ``"sigmoid"``
    reset_after : bool, default True
    use_bias, kernel_initializer, recurrent_initializer, bias_initializer, regularizers,
    constraints, dropout, recurrent_dropout, seed :
        As for ``GRUCell``.
    return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask :
        As for ``RNN``.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet import layers
    >>> out, state = layers.GRU(3, return_state=True)(tf.ones((2, 4, 5)))
    >>> state.shape
    TensorShape([2, 3])
    """

    _cell_class = GRUCell
    _cell_name = "gru_cell"


# ---------------------------------------------------------------------------------------------
# wrappers and masks
# ---------------------------------------------------------------------------------------------
_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _removeprefix(name, prefix):
    return name[len(prefix) :] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Run a recurrent layer forwards and a copy of it backwards, and merge their outputs.

    Parameters
    ----------
    layer : RNN
        ``LSTM(...)``, ``GRU(...)``, ``SimpleRNN(...)``, ``RNN(cell)`` or a convolutional
        ``ConvLSTM1D/2D/3D(...)``. A fresh copy of it (from its config) reads the sequence
        backwards; the outputs are joined on their last (feature or channel) axis.
    merge_mode : ``"concat"`` (default), ``"sum"``, ``"mul"``, ``"ave"`` or None
        None returns the two outputs as a list.
    backward_layer : RNN, optional
        Your own backward layer (it must have ``go_backwards=True``).

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet import layers
    >>> layers.Bidirectional(layers.LSTM(4))(tf.ones((2, 3, 5))).shape
    TensorShape([2, 8])
    >>> layers.Bidirectional(layers.ConvLSTM2D(4, 3, padding="same"))(tf.ones((2, 3, 8, 8, 1))).shape
    TensorShape([2, 8, 8, 8])
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, RNN):
            raise ValueError(f"Bidirectional needs a recurrent layer (LSTM, GRU, SimpleRNN, RNN), got {layer!r}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {_MERGE_MODES}, got {merge_mode!r}")
        super().__init__(**kwargs)
        self.merge_mode = merge_mode
        # Keras' names: "forward_lstm" and "backward_lstm", also when `layer` is named so already
        # (a config of Keras' lists the forward layer under its own name).
        config = layer.get_config()
        config["name"] = "forward_" + _removeprefix(layer.name, "forward_")
        self.forward_layer = type(layer).from_config(config)
        if backward_layer is None:
            config = layer.get_config()
            config["go_backwards"] = not layer.go_backwards
            config["name"] = "backward_" + _removeprefix(layer.name, "backward_")
            self.backward_layer = type(layer).from_config(config)
        else:
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError("Bidirectional: backward_layer must read the other way (go_backwards) than layer")
            if (backward_layer.return_sequences, backward_layer.return_state) != (
                layer.return_sequences,
                layer.return_state,
            ):
                raise ValueError("Bidirectional: backward_layer must have the same return_sequences and return_state")
            self.backward_layer = backward_layer
        # As Keras: with whole sequences, masked steps of both directions output zeros.
        for sub in (self.forward_layer, self.backward_layer):
            sub.zero_output_for_mask = sub.return_sequences
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        # The wrapped layer's rank: 3 for LSTM, GRU and SimpleRNN, 5 for ConvLSTM2D, ...
        self.input_spec = InputSpec(ndim=getattr(layer.input_spec, "ndim", None) or 3)
        if weights is not None:
            self._initial_weights = weights

    @property
    def _rank_hint(self):
        return getattr(self.forward_layer, "_rank_hint", "(batch, time, features)")

    def build(self, sequences_shape, initial_state_shape=None):
        self.forward_layer._maybe_build(tuple(sequences_shape))
        self.backward_layer._maybe_build(tuple(sequences_shape))
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=None):
        forward_state = backward_state = None
        if initial_state is not None:
            states = _as_list(initial_state)
            half = len(states) // 2
            forward_state, backward_state = states[:half], states[half:]
        forward = self.forward_layer(sequences, initial_state=forward_state, mask=mask, training=training)
        backward = self.backward_layer(sequences, initial_state=backward_state, mask=mask, training=training)
        if self.return_state:
            forward, forward_states = forward[0], forward[1:]
            backward, backward_states = backward[0], backward[1:]
        if self.return_sequences:
            backward = getitem(backward, (slice(None), slice(None, None, -1)))
        if self.merge_mode == "concat":
            output = concat([forward, backward], axis=-1)
        elif self.merge_mode == "sum":
            output = forward + backward
        elif self.merge_mode == "mul":
            output = forward * backward
        elif self.merge_mode == "ave":
            output = (forward + backward) / 2
        else:
            output = [forward, backward]
        if self.return_state:
            output = output if isinstance(output, list) else [output]
            return output + list(forward_states) + list(backward_states)
        return output

    def compute_mask(self, inputs, mask=None):
        output_mask = mask if self.return_sequences else None
        if self.merge_mode is None:
            output_mask = [output_mask, output_mask]
        elif self.return_state:
            output_mask = [output_mask]
        if self.return_state:
            n = len(self.forward_layer._state_sizes)
            return output_mask + [None] * (2 * n)
        return output_mask

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = self.forward_layer.compute_output_shape(sequences_shape)
        output, states = (shape[0], shape[1:]) if self.return_state else (shape, [])
        output = tuple(output)
        if self.merge_mode == "concat":
            output = output[:-1] + (output[-1] * 2,)
        outputs = [output, output] if self.merge_mode is None else [output]
        if self.return_state:
            return outputs + list(states) * 2
        return outputs[0] if self.merge_mode is not None else outputs

    def get_config(self):
        from learnet.layers import _sublayer_entry as serialize

        # As Keras writes it: both layers whole, so a backward layer of another kind (or other
        # units) is rebuilt as it was.
        config = super().get_config()
        config.update(
            merge_mode=self.merge_mode,
            layer=serialize(self.forward_layer),
            backward_layer=serialize(self.backward_layer),
        )
        return config

    @classmethod
    def from_config(cls, config):
        from learnet.layers import deserialize

        config = dict(config)
        config["layer"] = deserialize(config["layer"])
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize(config["backward_layer"])
        return cls(**config)


class Masking(Layer):
    """Mark the steps whose features all equal ``mask_value`` as padding, for the layers after.

    The output is the input with those steps zeroed; its mask (``(batch, time)``, True
    where a step is kept) flows to the recurrent layers and pooling that follow.

    Parameters
    ----------
    mask_value : float, default 0.0

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet import layers
    >>> x = tf.constant([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]])
    >>> layers.Masking()(x)._keras_mask.numpy()
    array([[ True, False,  True]])
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)
        self.supports_masking = True

    def call(self, inputs):
        keep = xp.any(inputs._value != self.mask_value, axis=-1, keepdims=True)
        return inputs * Tensor._wrap(keep.astype(inputs._value.dtype))

    def compute_mask(self, inputs, mask=None):
        return Tensor._wrap(xp.any(inputs._value != self.mask_value, axis=-1))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config


__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Bidirectional",
    "GRUCell",
    "LSTMCell",
    "Masking",
    "SimpleRNN",
    "SimpleRNNCell",
    "StackedRNNCells",
]
