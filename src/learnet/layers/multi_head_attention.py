"""``MultiHeadAttention``: the attention layer of the Transformer.

Each position of the ``query`` sequence looks at every position of the ``value``
sequence and takes a weighted mean of it, the weights saying how well the query
matches each ``key``. With several heads this is done ``num_heads`` times in
parallel, each head with its own projections, and the results are projected back::

    Q = query @ Wq,  K = key @ Wk,  V = value @ Wv            (per head, by EinsumDense)
    weights = softmax(Q K^T / sqrt(key_dim))                   (over the value positions)
    output  = concat_heads(weights @ V) @ Wo

Masks say which positions may be looked at: the masks that ``Embedding(mask_zero=True)``
leaves on the tensors (padding), an explicit ``attention_mask`` and the causal mask of a
decoder (``use_causal_mask=True``, no looking ahead) are combined, as in Keras.

Examples
--------
>>> import learnet as tf
>>> from learnet.layers.multi_head_attention import MultiHeadAttention
>>> mha = MultiHeadAttention(num_heads=2, key_dim=8)
>>> x = tf.ones((4, 10, 16))                  # (batch, sequence, features)
>>> mha(x, x).shape                            # self-attention
TensorShape([4, 10, 16])
>>> out, scores = mha(x, tf.ones((4, 6, 16)), return_attention_scores=True)
>>> scores.shape                               # (batch, heads, query steps, value steps)
TensorShape([4, 2, 10, 6])
"""

import functools
import inspect
import math
import string

import numpy

from learnet import backend, constraints, initializers, regularizers
from learnet.backend import xp
from learnet.layers.base import Layer, _is_symbolic
from learnet.layers.core import Dropout
from learnet.layers.einsum_dense import EinsumDense, without_fan_axes
from learnet.ops.linalg import matmul
from learnet.ops.math import where
from learnet.ops.nn import apply_dropout_mask, softmax
from learnet.ops.shape import reshape, transpose
from learnet.tensor import Tensor, to_array


def _serialize(module, value):
    return None if value is None else module.serialize(value)


def _shape_of(x):
    """The shape of a tensor, KerasTensor, array or nested list, as a tuple."""
    shape = getattr(x, "shape", None)
    return tuple(numpy.shape(x)) if shape is None else tuple(None if s is None else int(s) for s in shape)


def _as_shape(shape):
    """A shape (tuple, list or TensorShape) as a tuple of ints and Nones."""
    return tuple(None if s is None else int(s) for s in shape)


def _projection_equation(free_dims, bound_dims, output_dims):
    """The einsum of a projection and its bias letters, as Keras writes them.

    ``free_dims`` axes pass through (batch, sequence), ``bound_dims`` are contracted with
    the kernel, ``output_dims`` come from the kernel: ``(2, 1, 2)`` gives ``"abc,cde->abde"``.
    """
    letters = string.ascii_lowercase
    free = letters[:free_dims]
    bound = letters[free_dims : free_dims + bound_dims]
    made = letters[free_dims + bound_dims : free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{made}->{free}{made}", made


def _attention_layer_property(name):
    """A property for one of the weightless layers ``_build_attention`` makes (``_softmax``,
    ``_dropout_layer``), kept in the dict ``_attention_layers``: read before the layer is
    built it raises ``AttributeError``, as in Keras; a subclass may assign its own."""

    def get(self):
        made = self.__dict__.get("_attention_layers") or {}
        if name not in made:
            raise AttributeError(
                f"'{type(self).__name__}' object has no attribute '{name}' (it is made when the layer is built)"
            )
        return made[name]

    def put(self, layer):
        self.__dict__.setdefault("_attention_layers", {})[name] = layer

    return property(get, put)


class _ProjectedAttention(Layer):
    """What MultiHeadAttention and GroupQueryAttention share: their projections' arguments,
    their build config (the three input shapes) and a call that knows the value and key
    shapes before building, and hands the masks the tensors carry to ``call``."""

    def _sublayer_arguments(self):
        def fresh(initializer):
            # Each projection gets its own copy (so a copy's state is its own), as in Keras.
            try:
                return initializers.get(initializers.serialize(initializer))
            except (ValueError, TypeError):
                return initializer

        return dict(
            kernel_initializer=fresh(self.kernel_initializer),
            bias_initializer=fresh(self.bias_initializer),
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            activity_regularizer=self._projection_activity_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint,
            dtype=self._dtype,
        )

    def get_build_config(self):
        if self._build_shapes is None:
            return None
        return {"shapes_dict": {key: list(shape) for key, shape in self._build_shapes.items()}}

    def build_from_config(self, config):
        if not config or self.built:
            return
        shapes = config.get("shapes_dict")
        if shapes is not None:
            self.build(shapes["query_shape"], shapes.get("value_shape"), shapes.get("key_shape"))
        elif config.get("input_shape") is not None:
            self.build(config["input_shape"])

    # --- calling ----------------------------------------------------------------------------------------
    def __call__(self, query=None, value=None, key=None, **kwargs):
        if value is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' needs a value tensor: call it as "
                "layer(query, value) (layer(x, x) for self-attention)"
            )
        # Keras builds the layer knowing all three shapes; the base class knows only the first.
        shapes = (_shape_of(query), _shape_of(value), None if key is None else _shape_of(key))
        self._check_shapes(*shapes)
        if not self.built:
            self.build(*shapes)
        symbolic = _is_symbolic(query) or _is_symbolic(value) or _is_symbolic(key)
        if not symbolic:
            # As in Keras, the masks the tensors carry fill query_mask, value_mask and key_mask.
            for name, tensor in (("query", query), ("value", value), ("key", key)):
                mask = getattr(tensor, "_keras_mask", None) if isinstance(tensor, Tensor) else None
                if mask is not None and kwargs.get(f"{name}_mask") is None:
                    kwargs[f"{name}_mask"] = mask
        if key is not None:
            kwargs["key"] = key
        outputs = super().__call__(query, value, **kwargs)
        if not symbolic:
            # The output keeps the query's mask; the attention scores have none.
            output = outputs[0] if isinstance(outputs, tuple) else outputs
            output._keras_mask = kwargs.get("query_mask")
            if isinstance(outputs, tuple):
                outputs[1]._keras_mask = None
        return outputs


class MultiHeadAttention(_ProjectedAttention):
    """Multi-head (scaled dot-product) attention, as ``keras.layers.MultiHeadAttention``.

    Parameters
    ----------
    num_heads : int
        Number of attention heads.
    key_dim : int
        Size of each head's query and key vectors.
    value_dim : int, optional
        Size of each head's value vectors (``key_dim`` by default).
    dropout : float, default 0.0
        Dropout rate on the attention weights, in training.
    use_bias : bool, default True
        Whether the four projections have biases.
    output_shape : int or tuple, optional
        The output's feature shape; by default the query's last dimension.
    attention_axes : int or tuple of int, optional
        The axes attended over; by default all but the batch and feature axes (axis 1
        of ``(batch, sequence, features)`` inputs).
    kernel_initializer, bias_initializer : default ``"glorot_uniform"``, ``"zeros"``
    kernel_regularizer, bias_regularizer, activity_regularizer : optional
        Given to each of the four projections.
    kernel_constraint, bias_constraint : optional
    seed : int, optional
        Seeds the dropout's own generator.

    Call arguments
    --------------
    query : ``(batch, T, dim)``; value : ``(batch, S, dim_v)``; key : ``(batch, S, dim_k)``,
    ``value`` by default. ``attention_mask`` of shape ``(batch, T, S)`` (True where a query
    step may look at a value step); ``use_causal_mask=True`` forbids looking ahead;
    ``return_attention_scores=True`` returns ``(output, scores)``, scores of shape
    ``(batch, num_heads, T, S)``; ``training`` turns dropout on.

    The projections are the sublayers ``query_dense``, ``key_dense``, ``value_dense`` and
    ``output_dense`` (``EinsumDense`` layers named ``query``, ``key``, ``value`` and
    ``attention_output``), their weights in that order, as in Keras.

    Subclassing: as in Keras, the settings are also kept as ``_num_heads``, ``_key_dim``,
    ``_value_dim``, ``_dropout``, ``_use_bias``, ``_output_shape``, ``_attention_axes`` and
    ``_inverse_sqrt_key_dim``, the projections are also ``_query_dense``... ``_output_dense``,
    and ``call`` runs the hook ``_compute_attention`` on the projected tensors, which a
    subclass overrides with ``_dot_product_equation``, ``_masked_softmax``,
    ``_dropout_layer`` and ``_combine_equation`` (see ``_compute_attention``).

    Examples
    --------
    >>> from learnet import layers, Model
    >>> from learnet.layers.multi_head_attention import MultiHeadAttention
    >>> tokens = layers.Input(shape=(20,), dtype="int32")
    >>> x = layers.Embedding(1000, 32, mask_zero=True)(tokens)
    >>> x = MultiHeadAttention(num_heads=4, key_dim=8)(x, x)
    >>> outputs = layers.Dense(1)(layers.GlobalAveragePooling1D()(x))
    >>> Model(tokens, outputs).output_shape
    (None, 1)
    """

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        dropout=0.0,
        use_bias=True,
        output_shape=None,
        attention_axes=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        seed=None,
        **kwargs,
    ):
        who = f"MultiHeadAttention {kwargs['name']!r}" if kwargs.get("name") else "MultiHeadAttention"
        num_heads = _positive_int(num_heads, "num_heads", who)
        key_dim = _positive_int(key_dim, "key_dim", who)
        value_dim = key_dim if value_dim is None else _positive_int(value_dim, "value_dim", who)
        try:
            dropout = float(dropout)
        except (TypeError, ValueError):
            dropout = -1.0
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"{who}: dropout must be a rate in [0, 1), got {dropout!r}")
        if output_shape:  # as Keras: None, 0 and () all mean "the query's last dimension"
            if isinstance(output_shape, (int, numpy.integer)):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(_positive_int(s, "output_shape", who) for s in output_shape)
            except TypeError:
                raise ValueError(
                    f"{who}: output_shape must be an int or a tuple of ints, got {output_shape!r}"
                ) from None
        else:
            output_shape = None
        if isinstance(attention_axes, (int, numpy.integer)) and not isinstance(attention_axes, bool):
            attention_axes = (int(attention_axes),)
        elif attention_axes is not None:
            if not isinstance(attention_axes, (list, tuple)) or not all(
                isinstance(a, (int, numpy.integer)) and not isinstance(a, bool) for a in attention_axes
            ):
                raise ValueError(f"{who}: attention_axes must be an int or a list of ints, got {attention_axes!r}")
            attention_axes = tuple(int(a) for a in attention_axes) or None
        super().__init__(**kwargs)
        self.supports_masking = True
        # Kept under Keras' private names, which subclasses read (`self._key_dim`...); the
        # public names are properties over them.
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim
        self._dropout = dropout
        self._use_bias = bool(use_bias)
        self._output_shape = output_shape  # `output_shape` is the base class's property
        self._attention_axes = attention_axes  # resolved by `_build_attention`
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(key_dim))
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        # Keras gives the activity regularizer to the four projections, not to this layer's output.
        self._projection_activity_regularizer = regularizers.get(activity_regularizer)
        self.seed = seed
        self._generator = None if seed is None else backend.generator(seed)
        # The projections, made by `build`; assigned here first so that they keep this
        # order (query, key, value, output) in `weights`, as in Keras.
        self.query_dense = None
        self.key_dense = None
        self.value_dense = None
        self.output_dense = None
        self._build_shapes = None
        self._symbolic_options = None

    # The softmax and dropout that `_build_attention` makes hold no weights; kept in a dict out
    # of the layers walked for weights and files, they leave the layer's weights and files as
    # they are without them.
    _untracked_attributes = frozenset({"_attention_layers"})

    _softmax = _attention_layer_property("_softmax")
    _dropout_layer = _attention_layer_property("_dropout_layer")

    # --- Keras' names: public read-only settings, private projections --------------------------------
    num_heads = property(lambda self: self._num_heads, doc="Number of attention heads.")
    key_dim = property(lambda self: self._key_dim, doc="Size of each head's query and key vectors.")
    value_dim = property(lambda self: self._value_dim, doc="Size of each head's value vectors.")
    dropout = property(lambda self: self._dropout, doc="Dropout rate on the attention weights.")
    use_bias = property(lambda self: self._use_bias, doc="Whether the projections have biases.")
    attention_axes = property(
        lambda self: self._attention_axes, doc="The axes attended over (resolved once the layer is built)."
    )

    # Subclasses written for Keras reach the projections by their private names; the public
    # ones stay the attributes, so weights keep their Keras 3 paths (`.../query_dense/...`).
    _query_dense = property(lambda self: self.query_dense, lambda self, layer: setattr(self, "query_dense", layer))
    _key_dense = property(lambda self: self.key_dense, lambda self, layer: setattr(self, "key_dense", layer))
    _value_dense = property(lambda self: self.value_dense, lambda self, layer: setattr(self, "value_dense", layer))
    _output_dense = property(lambda self: self.output_dense, lambda self, layer: setattr(self, "output_dense", layer))

    # --- checking and building ----------------------------------------------------------------------
    def _resolve_axes(self, rank):
        """The attention axes for inputs of ``rank``, as non-negative axes (Keras' default:
        every axis between the batch and the features)."""
        if self._attention_axes is None:
            return tuple(range(1, rank - 1))
        axes = tuple(a + rank if a < 0 else a for a in self._attention_axes)
        if any(not 1 <= a <= rank - 2 for a in axes) or len(set(axes)) != len(axes):
            raise ValueError(
                f"MultiHeadAttention '{self.name}': attention_axes {self._attention_axes} must be distinct axes "
                f"between the batch axis and the feature axis of inputs of rank {rank} (1 to {rank - 2})"
            )
        return axes

    def _check_shapes(self, query_shape, value_shape, key_shape):
        """Raise a clear ``ValueError`` for inputs that do not fit (before any weight is made)."""
        who = f"MultiHeadAttention '{self.name}'"
        key_shape = value_shape if key_shape is None else key_shape
        named = (("query", query_shape), ("value", value_shape), ("key", key_shape))
        for name, shape in named:
            if len(shape) < 3:
                raise ValueError(
                    f"{who} expects {name} of rank 3 or more (batch, sequence, features), got {name} shape {shape}"
                )
            if shape[-1] is None:
                raise ValueError(f"{who}: the last dimension of {name} must be known, got shape {shape}")
        if not len(query_shape) == len(value_shape) == len(key_shape):
            raise ValueError(
                f"{who} expects query, value and key of the same rank, got shapes {query_shape}, {value_shape} "
                f"and {key_shape}"
            )
        if not _same_sizes(value_shape[1:-1], key_shape[1:-1]):
            raise ValueError(
                f"{who}: value and key must have the same shape except the last dimension, got value shape "
                f"{value_shape} and key shape {key_shape}"
            )
        rank = len(query_shape)
        axes = self._resolve_axes(rank)
        others = [a for a in range(1, rank - 1) if a not in axes]
        if not _same_sizes([query_shape[a] for a in others], [value_shape[a] for a in others]):
            raise ValueError(
                f"{who}: query and value must agree on the axes not attended over ({others}), got query shape "
                f"{query_shape} and value shape {value_shape}"
            )
        if not _same_sizes([query_shape[0]], [value_shape[0]]):
            raise ValueError(f"{who}: query and value have different batch sizes: {query_shape} and {value_shape}")
        if self._build_shapes is not None:
            built = self._build_shapes
            expected = {
                "query": built["query_shape"],
                "value": built["value_shape"],
                "key": built.get("key_shape") or built["value_shape"],
            }
            for name, shape in named:
                want = expected[name]
                if len(shape) != len(want) or shape[-1] != want[-1]:
                    raise ValueError(
                        f"{who} was built for {name} of shape {tuple(want)}: it expects {name} of rank "
                        f"{len(want)} with last dimension {want[-1]}, got {name} shape {shape}"
                    )

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Make the four projections for inputs of these shapes (``value_shape`` defaults to
        ``query_shape``, ``key_shape`` to ``value_shape``)."""
        query_shape = _as_shape(query_shape)
        value_shape = query_shape if value_shape is None else _as_shape(value_shape)
        given_key_shape = None if key_shape is None else _as_shape(key_shape)
        key_shape = value_shape if given_key_shape is None else given_key_shape
        self._check_shapes(query_shape, value_shape, key_shape)
        rank = len(query_shape)
        heads, key_dim, value_dim = self._num_heads, self._key_dim, self._value_dim

        def projection(name, input_shape, head_dim):
            equation, bias_axes = _projection_equation(rank - 1, 1, 2)
            layer = EinsumDense(
                equation,
                output_shape=[None] * (rank - 2) + [heads, head_dim],
                bias_axes=bias_axes if self._use_bias else None,
                name=name,
                **self._sublayer_arguments(),
            )
            layer.build(input_shape)
            return layer

        self.query_dense = projection("query", query_shape, key_dim)
        self.key_dense = projection("key", key_shape, key_dim)
        self.value_dense = projection("value", value_shape, value_dim)
        self._build_attention(rank + 1)  # the projected tensors have a heads axis more
        self.output_dense = self._make_output_dense(query_shape, self._sublayer_arguments(), "attention_output")
        self.output_dense.build(tuple(query_shape[:-1]) + (heads, value_dim))
        self._build_shapes = {"query_shape": query_shape, "value_shape": value_shape}
        if given_key_shape is not None:
            self._build_shapes["key_shape"] = given_key_shape
        self._build_input_shape = query_shape
        self.built = True

    def _build_from_signature(self, query, value, key=None):
        """Build for tensors (or shapes) ``query``, ``value`` and ``key``: tf.keras 2's name
        for ``build``, which subclasses written for it call."""
        self.build(_shape_of(query), _shape_of(value), None if key is None else _shape_of(key))

    def _get_common_kwargs_for_sublayer(self):
        """The arguments every projection is made with (fresh initializers each time), as Keras names them."""
        return self._sublayer_arguments()

    def _make_output_dense(self, query_shape, common_kwargs, name=None):
        """The output projection (not built): the heads' values, ``(..., heads, value_dim)``,
        to ``output_shape`` (by default the query's last dimension)."""
        rank = len(query_shape)
        features = self._output_shape or (query_shape[-1],)
        equation, bias_axes = _projection_equation(rank - 1, 2, len(features))
        return EinsumDense(
            equation,
            output_shape=[None] * (rank - 2) + list(features),
            bias_axes=bias_axes if self._use_bias else None,
            name=name,
            **common_kwargs,
        )

    def _build_attention(self, rank):
        """Make what ``_compute_attention`` uses, for projected tensors of ``rank`` (the inputs'
        rank plus the heads axis): the resolved ``_attention_axes``, the einsum equations
        ``_dot_product_equation`` (key, query -> scores) and ``_combine_equation`` (scores,
        value -> output), the ``_softmax`` over the key axes and the ``_dropout_layer``.

        A subclass that overrides ``_compute_attention`` writes the attention with these, as
        in Keras::

            scores = ops.einsum(self._dot_product_equation, key, query)
            scores = self._masked_softmax(scores, attention_mask)
            output = ops.einsum(self._combine_equation, self._dropout_layer(scores, training=training), value)
        """
        self._attention_axes = self._resolve_axes(rank - 1)  # Keras keeps (and saves) them resolved
        self._dot_product_equation, self._combine_equation = _attention_equations(rank, self._attention_axes)
        scores_rank = rank - 1 + len(self._attention_axes)  # batch, others, heads, query axes, key axes
        key_axes = tuple(range(scores_rank - len(self._attention_axes), scores_rank))
        # Named explicitly, so that they take no name from the user's layers ("dropout_1").
        self._softmax = _AttentionSoftmax(axis=key_axes, name="softmax", dtype=self._dtype)
        self._dropout_layer = Dropout(rate=self._dropout, seed=self.seed, name="dropout", dtype=self._dtype)
        self._dropout_layer._generator = self._generator  # one stream of random numbers, as before

    def _masked_softmax(self, attention_scores, attention_mask=None):
        """Softmax of ``attention_scores`` over the key axes, where ``attention_mask`` (True:
        may look) allows; masked weights are 0. The mask, ``(B, T, S)`` for sequences, gains
        the missing axes (heads) in front of the query axes, as in Keras."""
        if attention_mask is not None:
            mask = _as_bool(attention_mask)
            before_query_axes = -2 * len(self._attention_axes) - 1
            while mask.ndim < attention_scores.ndim:
                mask = xp.expand_dims(mask, before_query_axes)
            attention_mask = Tensor._wrap(mask)
        return self._softmax(attention_scores, mask=attention_mask)

    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
    ):
        value = self._convert_input(value)
        key = value if key is None else self._convert_input(key)
        attention_mask = self._compute_attention_mask(
            query,
            value,
            query_mask=query_mask,
            value_mask=value_mask,
            key_mask=key_mask,
            attention_mask=attention_mask,
            use_causal_mask=use_causal_mask,
        )
        arguments = [self.query_dense(query), self.key_dense(key), self.value_dense(value), attention_mask, training]
        if _takes_scores_flag(self._compute_attention):
            arguments.append(return_attention_scores)
        # Called positionally, as Keras calls it, so that a subclass's override is what runs.
        result = self._compute_attention(*arguments)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise TypeError(
                f"{type(self).__name__} '{self.name}': _compute_attention must return the pair "
                f"(attention_output, attention_scores), got {type(result).__name__}"
            )
        output, scores = result
        output = self.output_dense(output)
        return (output, scores) if return_attention_scores else output

    def _compute_attention_mask(
        self,
        query,
        value,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        use_causal_mask=False,
    ):
        """One boolean tensor, True where a query step may look at a value step, or None.

        As Keras: the query's mask ``(B, T)`` becomes ``(B, T, 1)``, the value's and the key's
        ``(B, S)`` become ``(B, 1, S)``, the causal mask is ``(1, T, S)``; all are and-ed with
        ``attention_mask``.
        """
        parts = []
        if query_mask is not None:
            parts.append(_as_bool(query_mask)[..., None])
        if value_mask is not None:
            parts.append(_as_bool(value_mask)[..., None, :])
        if key_mask is not None:
            parts.append(_as_bool(key_mask)[..., None, :])
        if use_causal_mask:
            parts.append(_as_bool(self._compute_causal_mask(query, value)))
        if attention_mask is not None:
            parts.append(_as_bool(attention_mask))
        if not parts:
            return None
        try:
            shape = xp.broadcast_shapes(*(p.shape for p in parts))
        except ValueError:
            raise ValueError(
                f"MultiHeadAttention '{self.name}': the masks do not fit together: query shape "
                f"{tuple(query.shape)}, value shape {tuple(value.shape)}, and masks of shapes "
                f"{[tuple(p.shape) for p in parts]} (query_mask (B, T), value/key masks (B, S), "
                "attention_mask (B, T, S))"
            ) from None
        combined = xp.ones(shape, dtype=bool)
        for part in parts:
            combined = combined & part
        return Tensor._wrap(combined)

    def _compute_causal_mask(self, query, value=None):
        """``(1, T, S)`` booleans, True where key step ``j <= i`` for query step ``i``: no looking ahead."""
        steps = query.shape[1]
        source_steps = steps if value is None else value.shape[1]
        return Tensor._wrap(xp.tril(xp.ones((steps, source_steps), dtype=bool))[None])

    def _compute_attention(
        self,
        query,
        key,
        value,
        attention_mask=None,
        training=None,
        return_attention_scores=False,
        use_causal_mask=False,
    ):
        """Scaled dot-product attention on the projected ``(batch, ..., heads, dim)`` tensors.

        The hook a subclass overrides to change the attention (as in Keras 3): ``call``
        projects ``query``, ``key`` and ``value`` (``(B, T, heads, key_dim)``,
        ``(B, S, heads, key_dim)``, ``(B, S, heads, value_dim)`` for sequences), combines the
        masks into ``attention_mask`` (``(B, T, S)``, True where a query step may look) and
        calls ``self._compute_attention(query, key, value, attention_mask, training,
        return_attention_scores)``; an override that takes no ``return_attention_scores``
        (tf.keras 2's signature) is called without it. The hook returns
        ``(attention_output, attention_scores)``: the output ``(B, T, heads, value_dim)``,
        which ``call`` projects, and the weights ``(B, heads, T, S)`` (None when not asked
        for). ``use_causal_mask=True`` also forbids looking ahead.

        The axes not attended over (batch, heads, others) are moved to the front and the
        attended ones flattened, so each head's attention is one batched matrix product:
        ``(n, T, dim) @ (n, dim, S)``.

        Examples
        --------
        >>> import numpy as np
        >>> from learnet import layers, ops
        >>> class Tempered(layers.MultiHeadAttention):
        ...     def _compute_attention(self, query, key, value, attention_mask=None, training=None,
        ...                            return_attention_scores=False):
        ...         scores = ops.einsum(self._dot_product_equation, key, query * 0.5)
        ...         scores = self._masked_softmax(scores, attention_mask)
        ...         return ops.einsum(self._combine_equation, scores, value), scores
        >>> x = np.ones((2, 5, 8), dtype="float32")
        >>> Tempered(num_heads=2, key_dim=4)(x, x).shape
        TensorShape([2, 5, 8])
        """
        mask = None if attention_mask is None else _as_bool(attention_mask)
        if use_causal_mask:
            causal = _as_bool(self._compute_causal_mask(query, value))
            mask = causal if mask is None else mask & causal
        rank = query.ndim  # the inputs' rank plus the heads axis
        # Keras 3 computes attention two ways, which differ only for a query step that may look
        # at nothing: its fused kernel (sequences, no dropout, no scores asked) gives it equal
        # weights on every step, as tf.keras 2 did; its explicit path gives it zero weights.
        # learnet follows the same rule, so models give Keras' numbers everywhere.
        zero_fully_masked = self._dropout > 0 or return_attention_scores or rank != 4
        axes = list(self._attention_axes)
        batch_axes = [a for a in range(rank - 1) if a not in axes]  # batch, others, heads
        order = batch_axes + axes + [rank - 1]
        query, key, value = (transpose(t, order) for t in (query, key, value))
        n = len(batch_axes)
        batch_shape = tuple(query.shape[:n])
        target_shape, source_shape = tuple(query.shape[n:-1]), tuple(key.shape[n:-1])
        steps = int(numpy.prod(target_shape, dtype=numpy.int64))
        source_steps = int(numpy.prod(source_shape, dtype=numpy.int64))

        query = reshape(query, (-1, steps, self._key_dim)) * self._inverse_sqrt_key_dim
        key = reshape(key, (-1, source_steps, self._key_dim))
        value = reshape(value, (-1, source_steps, self._value_dim))
        scores = matmul(query, key, transpose_b=True)  # (n, T, S)

        scores_shape = batch_shape + target_shape + source_shape
        if mask is not None:
            keep = Tensor._wrap(self._mask_for_scores(mask, scores_shape).reshape(scores.shape))
            # Masked scores become a large negative number (weight ~0), as in Keras' Softmax.
            very_negative = -3e4 if scores.dtype == numpy.float16 else -1e9
            scores = where(keep, scores, Tensor._wrap(xp.asarray(very_negative, dtype=scores.dtype)))
        weights = softmax(scores, axis=-1)
        if mask is not None and zero_fully_masked:
            weights = where(keep, weights, Tensor._wrap(xp.zeros((), dtype=weights.dtype)))
        attention_scores = reshape(weights, scores_shape) if return_attention_scores else None
        if training and self._dropout > 0:
            generator = self._generator or backend.rng()
            kept = generator.random(tuple(weights.shape), dtype=numpy.float32) >= self._dropout
            weights = apply_dropout_mask(weights, xp.asarray(kept), self._dropout)

        output = matmul(weights, value)  # (n, T, value_dim)
        output = reshape(output, batch_shape + target_shape + (self._value_dim,))
        return transpose(output, list(numpy.argsort(order))), attention_scores

    def _mask_for_scores(self, mask, scores_shape):
        """``mask`` broadcast to the scores' shape: missing axes (heads...) are added in
        front of the query axes, as Keras does."""
        before_query_axes = -2 * len(self._attention_axes) - 1
        while mask.ndim < len(scores_shape):
            mask = xp.expand_dims(mask, before_query_axes)
        try:
            return xp.broadcast_to(mask, scores_shape)
        except ValueError:
            raise ValueError(
                f"MultiHeadAttention '{self.name}': a mask of shape {tuple(mask.shape)} does not fit the "
                f"attention scores of shape {scores_shape} (batch, heads, query steps, value steps)"
            ) from None

    # --- shapes in a functional model ----------------------------------------------------------------
    def _symbolic_call(self, inputs, args, kwargs, training):
        value = args[0] if args else None
        key = kwargs.get("key")
        self._symbolic_options = {
            "value_shape": None if value is None else _shape_of(value),
            "key_shape": None if key is None else _shape_of(key),
            "return_attention_scores": bool(kwargs.get("return_attention_scores")),
        }
        try:
            return super()._symbolic_call(inputs, args, kwargs, training)
        finally:
            self._symbolic_options = None

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = _as_shape(query_shape)
        options = self._symbolic_options or {}
        if value_shape is None:
            value_shape = options.get("value_shape") or query_shape
        output_shape = query_shape[:-1] + tuple(self._output_shape or query_shape[-1:])
        if not options.get("return_attention_scores"):
            return output_shape
        return output_shape, self.compute_attention_scores_shape(query_shape, _as_shape(value_shape))

    def compute_attention_scores_shape(self, query_shape, value_shape):
        """``(batch, [other axes], heads, query attention axes, value attention axes)``:
        ``(batch, heads, T, S)`` for sequences."""
        rank = len(query_shape)
        axes = self._resolve_axes(rank)
        batch_part = tuple(query_shape[a] for a in range(rank - 1) if a not in axes) + (self.num_heads,)
        return batch_part + tuple(query_shape[a] for a in axes) + tuple(value_shape[a] for a in axes)

    # --- configuration -------------------------------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update(
            num_heads=self.num_heads,
            key_dim=self.key_dim,
            value_dim=self.value_dim,
            dropout=self.dropout,
            use_bias=self.use_bias,
            output_shape=None if self._output_shape is None else list(self._output_shape),
            attention_axes=None if self.attention_axes is None else list(self.attention_axes),
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=_serialize(regularizers, self.kernel_regularizer),
            bias_regularizer=_serialize(regularizers, self.bias_regularizer),
            activity_regularizer=_serialize(regularizers, self._projection_activity_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
            seed=self.seed,
        )
        return config

    @classmethod
    def from_config(cls, config):
        """Create the layer from ``get_config()``'s dict, or from a Keras 3 config (whose
        ``use_gate``, ``sliding_window`` and ``flash_attention`` must be off)."""
        config = dict(config)
        name = config.get("name", "")
        if config.pop("use_gate", False):
            raise ValueError(
                f"MultiHeadAttention {name!r}: use_gate=True (gated attention) is not supported by learnet"
            )
        if config.pop("sliding_window", None) is not None:
            raise ValueError(f"MultiHeadAttention {name!r}: sliding_window attention is not supported by learnet")
        config.pop("flash_attention", None)  # a choice of kernel, the same result
        if config.pop("softmax_robust_masking", False):
            raise ValueError(f"MultiHeadAttention {name!r}: softmax_robust_masking=True is not supported by learnet")
        for key in ("kernel_initializer", "bias_initializer"):
            if key in config:
                config[key] = without_fan_axes(config[key])
        # tf.keras 2 keeps the shapes it was built for in the config itself.
        shapes = [config.pop(key, None) for key in ("query_shape", "value_shape", "key_shape")]
        layer = cls(**config)
        if shapes[0] is not None and shapes[1] is not None:
            layer.build(*shapes)
        return layer


def _positive_int(value, name, who):
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value <= 0:
        raise ValueError(f"{who}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _same_sizes(a, b):
    """Whether two lists of sizes agree, an unknown size (None) agreeing with any."""
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def _as_bool(mask):
    """A mask (tensor, array or list) as a boolean array: nonzero means "may be looked at"."""
    array = mask._value if isinstance(mask, Tensor) else xp.asarray(to_array(mask))
    return array if array.dtype == bool else array != 0


def _attention_equations(rank, attention_axes):
    """The einsum equations of attention on projected tensors of ``rank`` (batch, other axes,
    attended axes, heads, channels), as Keras writes them.

    The query is lettered ``abcd...``; the key and the value take new letters on the attended
    axes. Scores are ``(batch, others, heads, query attended axes, key attended axes)``. For
    sequences, ``(B, T, N, H)``: ``"aecd,abcd->acbe"`` (key, query -> scores) and
    ``"acbe,aecd->abcd"`` (scores, value -> output).
    """
    letters = string.ascii_lowercase
    query = letters[:rank]
    spare = iter(letters[rank:])
    key = "".join(next(spare) if axis in attention_axes else letter for axis, letter in enumerate(query))
    kept = [axis for axis in range(rank - 1) if axis not in attention_axes]  # batch, others, heads
    scores = (
        "".join(query[axis] for axis in kept)
        + "".join(query[axis] for axis in attention_axes)
        + "".join(key[axis] for axis in attention_axes)
    )
    return f"{key},{query}->{scores}", f"{scores},{key}->{query}"


@functools.lru_cache(maxsize=None)
def _positional_parameters(function):
    """How many arguments ``function`` takes by position (``self`` included); None for any number."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(p.kind in positional for p in parameters)


def _takes_scores_flag(hook):
    """Whether a ``_compute_attention`` takes ``return_attention_scores`` (Keras 3's signature,
    its 6th argument) or stops at ``training`` (tf.keras 2's, which tutorials still override)."""
    function = getattr(hook, "__func__", hook)
    count = _positional_parameters(function)
    bound = 1 if hasattr(hook, "__func__") else 0
    return count is None or count - bound >= 6


class _AttentionSoftmax(Layer):
    """Softmax over ``axis`` (an int or a tuple of axes) with Keras' masking rule: masked
    scores become a large negative number before the softmax and 0 after it."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        if mask is not None:
            keep = _as_bool(mask)
            if keep.ndim > inputs.ndim or any(
                m not in (1, i) for m, i in zip(reversed(keep.shape), reversed(tuple(inputs.shape)))
            ):
                raise ValueError(
                    f"{self.name}: the mask of shape {tuple(keep.shape)} does not broadcast to the attention "
                    f"scores of shape {tuple(inputs.shape)}"
                )
            keep = Tensor._wrap(keep)
            very_negative = -3e4 if inputs.dtype == numpy.float16 else -1e9
            inputs = where(keep, inputs, Tensor._wrap(xp.asarray(very_negative, dtype=inputs.dtype)))
        axis = self.axis[0] if isinstance(self.axis, (tuple, list)) and len(self.axis) == 1 else self.axis
        outputs = softmax(inputs, axis=tuple(axis) if isinstance(axis, list) else axis)
        if mask is not None:
            outputs = where(keep, outputs, Tensor._wrap(xp.zeros((), dtype=outputs.dtype)))
        return outputs

    def compute_mask(self, inputs, mask=None):
        return None  # the weights carry no mask on to what follows

    def compute_output_shape(self, input_shape):
        return input_shape
