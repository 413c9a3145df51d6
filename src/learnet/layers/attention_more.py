"""``GroupQueryAttention``: attention with fewer key/value heads than query heads.

Multi-head attention gives every head its own query, key and value projections. Grouped
query attention (used by large language models) keeps ``num_query_heads``
query heads but only ``num_key_value_heads`` key and value heads, each shared by a group of
``num_query_heads // num_key_value_heads`` query heads: the same quality for a fraction of the
keys and values a decoder keeps in memory. One key/value head is multi-query attention; as
many as the query heads is ordinary multi-head attention::

    Q = query @ Wq   (batch, T, query heads, head_dim)
    K = key @ Wk,  V = value @ Wv   (batch, S, key/value heads, head_dim), each head repeated
    weights = softmax(Q K^T / sqrt(head_dim))     per query head, over the S value steps
    output  = concat_heads(weights @ V) @ Wo

Examples
--------
>>> import numpy as np
>>> from learnet import layers
>>> gqa = layers.GroupQueryAttention(head_dim=8, num_query_heads=4, num_key_value_heads=2)
>>> x = np.ones((2, 10, 16), dtype="float32")
>>> gqa(x, x).shape
TensorShape([2, 10, 16])
>>> [tuple(w.shape) for w in gqa.weights][::2]       # query, key, value, output kernels
[(16, 4, 8), (16, 2, 8), (16, 2, 8), (4, 8, 16)]
"""

import math

import numpy

from learnet import backend, constraints, initializers, regularizers
from learnet.backend import xp
from learnet.layers.einsum_dense import EinsumDense, without_fan_axes
from learnet.layers.naming import unique_name
from learnet.layers.multi_head_attention import (
    _ProjectedAttention,
    _as_bool,
    _as_shape,
    _positive_int,
    _serialize,
    _shape_of,
)
from learnet.ops.linalg import matmul
from learnet.ops.math import where
from learnet.ops.nn import apply_dropout_mask, softmax
from learnet.ops.shape import repeat, transpose
from learnet.tensor import Tensor


class GroupQueryAttention(_ProjectedAttention):
    """Grouped query attention, as ``keras.layers.GroupQueryAttention``.

    Parameters
    ----------
    head_dim : int
        Size of each head's query, key and value vectors.
    num_query_heads : int
        Number of query heads.
    num_key_value_heads : int
        Number of key and value heads; must divide ``num_query_heads``.
    dropout : float, default 0.0
        Dropout rate on the attention weights, in training.
    use_bias : bool, default True
        Whether the projections have biases.
    sliding_window : int, optional
        Each query step looks only at the value steps less than ``sliding_window`` away
        (a band; with ``use_causal_mask=True``, the causal sliding window of Mistral).
    flash_attention : bool, optional
        Keras' choice of kernel; accepted for compatibility, learnet computes the same result.
    kernel_initializer, bias_initializer : default ``"glorot_uniform"``, ``"zeros"``
    kernel_regularizer, bias_regularizer, activity_regularizer : optional
        Given to each projection.
    kernel_constraint, bias_constraint : optional
    use_gate : bool, default False
        Gated attention: the heads' output is multiplied by ``sigmoid(query @ Wg)`` before
        the output projection.
    seed : int, optional
        Seeds the dropout's own generator.

    Call arguments
    --------------
    query ``(batch, T, dim)``, value ``(batch, S, dim)``, key ``(batch, S, dim)`` (``value`` by
    default), ``attention_mask`` ``(batch, T, S)`` (True where a query step may look),
    ``return_attention_scores`` (then ``(output, scores)``, scores ``(batch, num_query_heads,
    T, S)``), ``training``, ``use_causal_mask``.

    The projections are the sublayers ``query_dense``, ``key_dense``, ``gate_dense`` (with
    ``use_gate``), ``value_dense`` and ``output_dense`` (``EinsumDense`` layers named
    ``query``, ``key``, ``gate``, ``value`` and ``attention_output``), their weights in
    that order, as in Keras.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> gqa = layers.GroupQueryAttention(8, num_query_heads=4, num_key_value_heads=1)
    >>> x = np.ones((2, 5, 16), dtype="float32")
    >>> out, scores = gqa(x, x, use_causal_mask=True, return_attention_scores=True)
    >>> scores.shape
    TensorShape([2, 4, 5, 5])
    """

    def __init__(
        self,
        head_dim,
        num_query_heads,
        num_key_value_heads,
        dropout=0.0,
        use_bias=True,
        sliding_window=None,
        flash_attention=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        use_gate=False,
        seed=None,
        **kwargs,
    ):
        if not kwargs.get("name"):  # Keras names it after its source class, GroupedQueryAttention
            kwargs["name"] = unique_name("grouped_query_attention")
        who = f"GroupQueryAttention {kwargs['name']!r}"
        head_dim = _positive_int(head_dim, "head_dim", who)
        num_query_heads = _positive_int(num_query_heads, "num_query_heads", who)
        num_key_value_heads = _positive_int(num_key_value_heads, "num_key_value_heads", who)
        if num_query_heads % num_key_value_heads:
            raise ValueError(
                f"{who}: num_query_heads ({num_query_heads}) must be divisible by num_key_value_heads "
                f"({num_key_value_heads})"
            )
        try:
            dropout = float(dropout)
        except (TypeError, ValueError):
            dropout = -1.0
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"{who}: dropout must be a rate in [0, 1), got {dropout!r}")
        if sliding_window is not None:
            sliding_window = _positive_int(sliding_window, "sliding_window", who)
        if flash_attention and dropout > 0:
            raise ValueError(f"{who}: dropout is not supported with flash_attention=True; set dropout=0.0")
        super().__init__(**kwargs)
        self.supports_masking = True
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout = dropout
        self.use_bias = bool(use_bias)
        self.use_gate = bool(use_gate)
        self.sliding_window = sliding_window
        self._flash_attention = flash_attention
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        # As in Keras, the activity regularizer goes to the projections, not to this layer's output.
        self._projection_activity_regularizer = regularizers.get(activity_regularizer)
        self.seed = seed
        self._generator = None if seed is None else backend.generator(seed)
        # Assigned here first so that `weights` keeps Keras' order; private, as Keras names them
        # in its files (`_query_dense/vars`).
        self._query_dense = None
        self._key_dense = None
        self._gate_dense = None
        self._value_dense = None
        self._output_dense = None
        self._build_shapes = None
        self._symbolic_options = None

    @property
    def query_dense(self):
        """The query projection (an ``EinsumDense``), once built."""
        return self._query_dense

    @property
    def key_dense(self):
        """The key projection, once built."""
        return self._key_dense

    @property
    def value_dense(self):
        """The value projection, once built."""
        return self._value_dense

    @property
    def gate_dense(self):
        """The gate projection (with ``use_gate``), once built."""
        return self._gate_dense

    @property
    def output_dense(self):
        """The output projection, once built."""
        return self._output_dense

    # --- building ---------------------------------------------------------------------------------------
    def _check_shapes(self, query_shape, value_shape, key_shape):
        who = f"GroupQueryAttention '{self.name}'"
        key_shape = value_shape if key_shape is None else key_shape
        for name, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3:
                raise ValueError(f"{who} expects {name} of shape (batch, sequence, features), got {name} shape {shape}")
            if shape[-1] is None:
                raise ValueError(f"{who}: the last dimension of {name} must be known, got shape {shape}")
        if not (value_shape[1] is None or key_shape[1] is None or value_shape[1] == key_shape[1]):
            raise ValueError(
                f"{who}: value and key must have the same number of steps, got value shape {value_shape} and "
                f"key shape {key_shape}"
            )
        if self._build_shapes is not None:
            built = self._build_shapes
            expected = {
                "query": built["query_shape"],
                "value": built["value_shape"],
                "key": built.get("key_shape") or built["value_shape"],
            }
            for name, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
                if shape[-1] != expected[name][-1]:
                    raise ValueError(
                        f"{who} was built for {name} with last dimension {expected[name][-1]}, got {name} shape {shape}"
                    )

    def _projection(self, equation, heads, name, input_shape, activation=None):
        layer = EinsumDense(
            equation,
            output_shape=(None, heads, self.head_dim),
            bias_axes=equation.split("->")[1][2:] if self.use_bias else None,
            activation=activation,
            name=name,
            **self._sublayer_arguments(),
        )
        layer.build(input_shape)
        return layer

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Make the projections for inputs of these shapes (``value_shape`` defaults to
        ``query_shape``, ``key_shape`` to ``value_shape``)."""
        query_shape = _as_shape(query_shape)
        value_shape = query_shape if value_shape is None else _as_shape(value_shape)
        given_key_shape = None if key_shape is None else _as_shape(key_shape)
        key_shape = value_shape if given_key_shape is None else given_key_shape
        self._check_shapes(query_shape, value_shape, key_shape)
        query_heads, key_value_heads = self.num_query_heads, self.num_key_value_heads
        self._query_dense = self._projection("bqm,muh->bquh", query_heads, "query", query_shape)
        self._key_dense = self._projection("bkm,mvh->bkvh", key_value_heads, "key", key_shape)
        if self.use_gate:
            self._gate_dense = self._projection("bqm,muh->bquh", query_heads, "gate", query_shape, "sigmoid")
        self._value_dense = self._projection("bkm,mvh->bkvh", key_value_heads, "value", value_shape)
        self._output_dense = EinsumDense(
            "bquh,uhm->bqm",
            output_shape=(None, query_shape[-1]),
            bias_axes="m" if self.use_bias else None,
            name="attention_output",
            **self._sublayer_arguments(),
        )
        self._output_dense.build((None, None, query_heads, self.head_dim))
        self._build_shapes = {"query_shape": query_shape, "value_shape": value_shape}
        if given_key_shape is not None:
            self._build_shapes["key_shape"] = given_key_shape
        self._build_input_shape = query_shape
        self.built = True

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
        mask = self._combined_mask(query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask)
        gate = self._gate_dense(query) if self.use_gate else None
        projected_query = self._query_dense(query)  # (batch, T, query heads, head_dim)
        projected_key = repeat(self._key_dense(key), self.num_repeats, axis=2)  # (batch, S, query heads, head_dim)
        projected_value = repeat(self._value_dense(value), self.num_repeats, axis=2)
        output, scores = self._compute_attention(
            projected_query, projected_key, projected_value, mask, training, return_attention_scores
        )
        if gate is not None:
            output = output * gate
        output = self._output_dense(output)
        return (output, scores) if return_attention_scores else output

    def _combined_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask):
        """One boolean array, True where a query step may look at a value step, or None.

        The query's mask ``(B, T)`` becomes ``(B, T, 1)``, the value's and the key's ``(B, S)``
        become ``(B, 1, S)``, the causal and sliding-window masks are ``(1, T, S)``; all are
        and-ed with ``attention_mask``, as in Keras.
        """
        steps, source_steps = query.shape[1], value.shape[1]
        parts = []
        if query_mask is not None:
            parts.append(_as_bool(query_mask)[..., None])
        if value_mask is not None:
            parts.append(_as_bool(value_mask)[..., None, :])
        if key_mask is not None:
            parts.append(_as_bool(key_mask)[..., None, :])
        if use_causal_mask:
            parts.append(xp.tril(xp.ones((steps, source_steps), dtype=bool))[None])
        if self.sliding_window is not None:
            distance = xp.abs(xp.arange(steps)[:, None] - xp.arange(source_steps)[None, :])
            parts.append((distance < self.sliding_window)[None])
        if attention_mask is not None:
            parts.append(_as_bool(attention_mask))
        if not parts:
            return None
        try:
            shape = xp.broadcast_shapes(*(p.shape for p in parts))
        except ValueError:
            raise ValueError(
                f"GroupQueryAttention '{self.name}': the masks do not fit together: query shape "
                f"{tuple(query.shape)}, value shape {tuple(value.shape)}, and masks of shapes "
                f"{[tuple(p.shape) for p in parts]} (query_mask (B, T), value/key masks (B, S), "
                "attention_mask (B, T, S))"
            ) from None
        combined = xp.ones(shape, dtype=bool)
        for part in parts:
            combined = combined & part
        return combined

    def _compute_attention(self, query, key, value, mask, training, return_scores):
        """Scaled dot-product attention on ``(batch, steps, heads, head_dim)`` tensors, as one
        batched matrix product per head: ``(batch, heads, T, dim) @ (batch, heads, dim, S)``."""
        # As Keras: its fused kernel (no dropout, no scores asked) gives a query step that may
        # look at nothing equal weights on every step; its explicit path gives it zero weights.
        zero_fully_masked = self.dropout > 0 or return_scores
        query = transpose(query, (0, 2, 1, 3)) * (1.0 / math.sqrt(self.head_dim))
        key = transpose(key, (0, 2, 1, 3))
        value = transpose(value, (0, 2, 1, 3))
        scores = matmul(query, key, transpose_b=True)  # (batch, heads, T, S)
        if mask is not None:
            while mask.ndim < 4:
                mask = xp.expand_dims(mask, -3)  # the heads axis, in front of the query steps
            try:
                keep = Tensor._wrap(xp.broadcast_to(mask, tuple(scores.shape)))
            except ValueError:
                raise ValueError(
                    f"GroupQueryAttention '{self.name}': a mask of shape {tuple(mask.shape)} does not fit the "
                    f"attention scores of shape {tuple(scores.shape)} (batch, heads, query steps, value steps)"
                ) from None
            very_negative = -3e4 if scores.dtype == numpy.float16 else -1e9
            scores = where(keep, scores, Tensor._wrap(xp.asarray(very_negative, dtype=scores.dtype)))
        weights = softmax(scores, axis=-1)
        if mask is not None and zero_fully_masked:
            weights = where(keep, weights, Tensor._wrap(xp.zeros((), dtype=weights.dtype)))
        attention_scores = weights if return_scores else None
        if training and self.dropout > 0:
            generator = self._generator or backend.rng()
            kept = generator.random(tuple(weights.shape), dtype=numpy.float32) >= self.dropout
            weights = apply_dropout_mask(weights, xp.asarray(kept), self.dropout)
        output = matmul(weights, value)  # (batch, heads, T, head_dim)
        return transpose(output, (0, 2, 1, 3)), attention_scores

    # --- shapes in a functional model ---------------------------------------------------------------
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
        if not options.get("return_attention_scores"):
            return query_shape
        source = options.get("key_shape") or _as_shape(value_shape)
        return query_shape, (query_shape[0], self.num_query_heads, query_shape[1], source[1])

    # --- configuration -------------------------------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update(
            head_dim=self.head_dim,
            num_query_heads=self.num_query_heads,
            num_key_value_heads=self.num_key_value_heads,
            use_bias=self.use_bias,
            use_gate=self.use_gate,
            sliding_window=self.sliding_window,
            dropout=self.dropout,
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
        """Create the layer from ``get_config()``'s dict, or from Keras 3's."""
        config = dict(config)
        for key in ("kernel_initializer", "bias_initializer"):
            if key in config:
                config[key] = without_fan_axes(config[key])
        return cls(**config)


# The class's name in Keras' source; Keras exports (and saves) it as GroupQueryAttention.
GroupedQueryAttention = GroupQueryAttention
