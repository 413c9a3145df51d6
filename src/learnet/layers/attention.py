"""Attention layers: ``Attention`` (dot-product, Luong) and ``AdditiveAttention`` (Bahdanau).

Both are called on a list ``[query, value]`` or ``[query, value, key]`` of sequences,
``query`` of shape ``(batch, Tq, dim)`` and ``value`` (and ``key``, which is ``value``
when not given) of shape ``(batch, Tv, dim)``. Each query position looks at every key
position, turns the scores into a softmax distribution over the ``Tv`` positions, and
returns the matching weighted average of the values::

    scores  = score(query, key)          # (batch, Tq, Tv)
    weights = softmax(scores, axis=-1)   # each row sums to 1
    output  = weights @ value            # (batch, Tq, dim)

Examples
--------
>>> import learnet as tf
>>> from learnet.layers.attention import Attention
>>> query, value = tf.ones((2, 3, 4)), tf.ones((2, 5, 4))
>>> Attention()([query, value]).shape
TensorShape([2, 3, 4])
"""

from learnet import backend
from learnet.backend import xp
from learnet.layers.base import Layer, _shape_tuple
from learnet.ops.linalg import matmul
from learnet.ops.math import tanh, where
from learnet.ops.nn import apply_dropout_mask, softmax
from learnet.ops.reduce import reduce_sum
from learnet.ops.shape import expand_dims
from learnet.tensor import Tensor, to_array

# Added to the scores of masked keys before the softmax, as Keras does: exp(-1e9) is 0.
_MASKED_SCORE_OFFSET = 1.0e9
_FLOAT16_MASKED_SCORE_OFFSET = 65504.0  # the largest float16


class Attention(Layer):
    """Dot-product attention layer, a.k.a. Luong-style attention.

    Called on ``[query, value]`` or ``[query, value, key]``: ``query`` of shape
    ``(batch, Tq, dim)``, ``value`` and ``key`` of shape ``(batch, Tv, dim)`` (``key``
    is ``value`` when not given). The scores are ``query @ key^T`` (``score_mode="dot"``)
    or ``sum(tanh(query + key))`` over ``dim`` (``score_mode="concat"``); their softmax
    over the ``Tv`` positions weighs the values. The output has shape
    ``(batch, Tq, value_dim)``.

    Parameters
    ----------
    use_scale : bool, default False
        Learn a scalar ``scale`` that multiplies the scores (in ``"concat"`` mode it
        multiplies ``query + key`` inside the ``tanh``).
    score_mode : {"dot", "concat"}, default "dot"
        ``"concat"`` also learns a scalar ``concat_score_weight`` that multiplies the scores.
    dropout : float in [0, 1), default 0.0
        Fraction of the attention weights dropped in training.
    seed : int, optional
        Seeds the dropout (otherwise learnet's global generator is used).

    Call arguments
    --------------
    inputs : list
        ``[query, value]`` or ``[query, value, key]``.
    mask : list, optional
        ``[query_mask, value_mask]``: booleans of shape ``(batch, Tq)`` and ``(batch, Tv)``.
        Padded values (``False``) get no attention; outputs of padded queries are zero.
        Masks left on the inputs by ``Embedding(mask_zero=True)`` are used by default.
    training : bool, optional
        Dropout applies only when True.
    return_attention_scores : bool, default False
        Also return the attention weights (after masking and softmax), ``(batch, Tq, Tv)``.
    use_causal_mask : bool, default False
        Query position ``i`` cannot attend to key positions ``j > i`` (decoder self-attention).

    Examples
    --------
    >>> import numpy as np
    >>> from learnet.layers.attention import Attention
    >>> query = np.ones((1, 2, 3), dtype="float32")
    >>> value = np.arange(12, dtype="float32").reshape(1, 4, 3)
    >>> output, weights = Attention()([query, value], return_attention_scores=True)
    >>> output.shape, weights.shape
    (TensorShape([1, 2, 3]), TensorShape([1, 2, 4]))
    >>> bool(np.allclose(weights.numpy().sum(axis=-1), 1.0))
    True
    """

    _score_modes = ("dot", "concat")

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        who = f"{type(self).__name__} '{self.name}'"
        if score_mode not in self._score_modes:
            raise ValueError(f"{who}: score_mode must be one of {self._score_modes}, got {score_mode!r}")
        dropout = float(dropout)
        if not 0 <= dropout < 1:
            raise ValueError(f"{who}: dropout must be in [0, 1), got {dropout}")
        self.supports_masking = True
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed
        self._generator = None if seed is None else backend.generator(seed)
        self.scale = None
        self.concat_score_weight = None
        self._returns_scores = False  # set while a symbolic call asks for the scores too

    # --- checking what the layer is called with -------------------------------------------------------------
    def _who(self):
        return f"{type(self).__name__} '{self.name}'"

    def _check_shapes(self, shapes):
        """Check ``[query, value(, key)]`` shapes; return them as a list of tuples."""
        who = self._who()
        expected = "a list [query, value] or [query, value, key] of tensors of shape (batch, steps, dim)"
        if not isinstance(shapes, (list, tuple)) or not shapes or not isinstance(shapes[0], (list, tuple)):
            raise ValueError(f"{who} expects {expected}, got one tensor of shape {_shape_tuple(shapes)}")
        if len(shapes) not in (2, 3):
            raise ValueError(f"{who} expects {expected}, got a list of {len(shapes)} input(s)")
        shapes = [tuple(shape) for shape in shapes]
        names = ["query", "value", "key"][: len(shapes)]
        described = ", ".join(f"{name} {shape}" for name, shape in zip(names, shapes))
        query, value = shapes[0], shapes[1]
        key = shapes[2] if len(shapes) == 3 else value
        if len(query) < 3 or any(len(shape) != len(query) for shape in shapes):
            raise ValueError(f"{who} expects {expected} (all of the same rank), got {described}")

        def differ(a, b):
            return a is not None and b is not None and a != b

        if any(differ(a, b) and 1 not in (a, b) for shape in shapes[1:] for a, b in zip(shape[:-2], query[:-2])):
            raise ValueError(f"{who} expects inputs with the same batch size (or 1, which broadcasts), got {described}")
        if differ(key[-2], value[-2]):
            raise ValueError(f"{who} expects key and value with the same number of steps, got {described}")
        if differ(query[-1], key[-1]):
            raise ValueError(f"{who} expects query and key with the same last dimension (dim), got {described}")
        return shapes

    def _check_masks(self, mask, inputs):
        """The query and value masks as boolean arrays (each None when absent)."""
        if mask is None:
            return None, None
        who = self._who()
        if not isinstance(mask, (list, tuple)) or len(mask) not in (2, 3):
            raise ValueError(
                f"{who} expects mask=[query_mask, value_mask] (a list of 2, or 3 with a key mask), got {mask!r}"
            )
        arrays = []
        for role, one_mask, tensor in (("query", mask[0], inputs[0]), ("value", mask[1], inputs[1])):
            if one_mask is None:
                arrays.append(None)
                continue
            array = one_mask._value if isinstance(one_mask, Tensor) else to_array(one_mask)
            array = array.astype(bool)
            expected = tuple(tensor.shape)[:-1]
            if tuple(array.shape) != expected:
                raise ValueError(
                    f"{who} expects a {role} mask of shape {expected} for a {role} of shape "
                    f"{tuple(tensor.shape)}, got {tuple(array.shape)}"
                )
            arrays.append(array)
        return arrays[0], arrays[1]

    # --- building ------------------------------------------------------------------------------------
    def build(self, input_shape):
        self._check_shapes(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones", trainable=True)
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                name="concat_score_weight", shape=(), initializer="ones", trainable=True
            )
        self.built = True

    # --- the computation ---------------------------------------------------------------------------------
    def _calculate_scores(self, query, key):
        """Scores of every query position against every key position: ``(batch, Tq, Tv)``."""
        if self.score_mode == "dot":
            scores = matmul(query, key, transpose_b=True)
            if self.scale is not None:
                scores = scores * self.scale
            return scores
        # "concat": pair every query step with every key step by broadcasting
        # (batch, Tq, 1, dim) + (batch, 1, Tv, dim) -> (batch, Tq, Tv, dim).
        pairs = expand_dims(query, -2) + expand_dims(key, -3)
        if self.scale is not None:
            pairs = pairs * self.scale
        return self.concat_score_weight * reduce_sum(tanh(pairs), axis=-1)

    def _scores_mask(self, scores, value_mask, use_causal_mask):
        """Where each query may look (True) as a boolean array broadcasting to ``scores``, or None."""
        mask = None if value_mask is None else value_mask[..., None, :]  # (batch, 1, Tv)
        if use_causal_mask:
            steps_q, steps_v = scores.shape[-2], scores.shape[-1]
            causal = xp.tril(xp.ones((steps_q, steps_v), dtype=bool))  # i attends to j <= i
            mask = causal if mask is None else mask & causal
        return mask

    def call(self, inputs, mask=None, training=None, return_attention_scores=False, use_causal_mask=False):
        shapes = self._check_shapes(
            [tuple(t.shape) for t in inputs] if isinstance(inputs, (list, tuple)) else tuple(inputs.shape)
        )
        self._check_built_for(shapes)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) == 3 else value
        query_mask, value_mask = self._check_masks(mask, inputs)

        scores = self._calculate_scores(query, key)
        scores_mask = self._scores_mask(scores, value_mask, use_causal_mask)
        if scores_mask is not None:
            offset = _FLOAT16_MASKED_SCORE_OFFSET if scores.dtype == "float16" else _MASKED_SCORE_OFFSET
            padding = Tensor._wrap(xp.logical_not(scores_mask))
            scores = where(padding, scores - offset, scores)
        weights = softmax(scores, axis=-1)
        if training and self.dropout > 0:
            generator = self._generator or backend.rng()
            keep = generator.random(tuple(weights.shape), dtype=xp.float32) >= self.dropout
            weights = apply_dropout_mask(weights, xp.asarray(keep), self.dropout)
        output = matmul(weights, value)
        if query_mask is not None:
            # Padded queries output zeros.
            keep_query = Tensor._wrap(query_mask[..., None])
            output = where(keep_query, output, Tensor._wrap(xp.zeros((), dtype=output.dtype)))
        if return_attention_scores:
            return output, weights
        return output

    def _check_built_for(self, shapes):
        """Hook for weights whose shape depends on the inputs (AdditiveAttention's scale)."""

    def compute_mask(self, inputs, mask=None):
        """The query mask: outputs at padded query positions are padding too."""
        if not isinstance(mask, (list, tuple)) or not mask or mask[0] is None:
            return None
        query_mask = mask[0]
        return query_mask if isinstance(query_mask, Tensor) else Tensor._wrap(to_array(query_mask).astype(bool))

    # --- the functional API --------------------------------------------------------------------------------
    def compute_output_shape(self, input_shape):
        """``(batch, Tq, value_dim)``; with ``return_attention_scores`` also ``(batch, Tq, Tv)``."""
        shapes = self._check_shapes(input_shape)
        if self.built:
            self._check_built_for(shapes)
        query, value = shapes[0], shapes[1]
        key = shapes[2] if len(shapes) == 3 else value
        # The leading (batch) axes broadcast: a query of batch 1 attends within each of the values' batch.
        lead = tuple(
            next((size for size in sizes if size not in (None, 1)), None if None in sizes else 1)
            for sizes in zip(*(shape[:-2] for shape in shapes))
        )
        output_shape = (*lead, query[-2], value[-1])
        if self._returns_scores:
            return output_shape, (*lead, query[-2], key[-2])
        return output_shape

    def _symbolic_call(self, inputs, args, kwargs, training):
        # The number of outputs depends on a call argument, which compute_output_shape
        # does not receive: it reads it from here.
        self._returns_scores = bool(kwargs.get("return_attention_scores", False))
        try:
            return super()._symbolic_call(inputs, args, kwargs, training)
        finally:
            self._returns_scores = False

    def compute_output_spec(
        self, inputs, mask=None, return_attention_scores=False, training=None, use_causal_mask=False
    ):
        """``KerasTensor``(s) describing the output(s) for symbolic ``inputs``."""
        kwargs = {}
        if return_attention_scores:
            kwargs["return_attention_scores"] = True
        if use_causal_mask:
            kwargs["use_causal_mask"] = True
        if mask is not None:
            kwargs["mask"] = mask
        return self._symbolic_call(inputs, (), kwargs, training)

    # --- saving ---------------------------------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update(use_scale=self.use_scale, score_mode=self.score_mode, dropout=self.dropout, seed=self.seed)
        return config


class AdditiveAttention(Attention):
    """Additive attention layer, a.k.a. Bahdanau-style attention.

    Like ``Attention``, called on ``[query, value]`` or ``[query, value, key]``, but the
    score of query step ``i`` and key step ``j`` is ``sum(scale * tanh(query_i + key_j))``
    over ``dim``, with a learnt ``scale`` of shape ``(dim,)`` (``use_scale=True``).
    Masks, causal masking, dropout and ``return_attention_scores`` work as in ``Attention``.

    Parameters
    ----------
    use_scale : bool, default True
        Learn the ``scale`` vector (otherwise the ``tanh`` terms are simply summed).
    dropout : float in [0, 1), default 0.0
        Fraction of the attention weights dropped in training.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.layers.attention import AdditiveAttention
    >>> layer = AdditiveAttention()
    >>> layer([tf.ones((2, 3, 4)), tf.ones((2, 5, 4))]).shape
    TensorShape([2, 3, 4])
    >>> layer.scale.shape
    TensorShape([4])
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        shapes = self._check_shapes(input_shape)
        dim = shapes[0][-1]
        if self.use_scale:
            if dim is None:
                raise ValueError(f"{self._who()} needs the last dimension of the query to be known, got {shapes[0]}")
            self.scale = self.add_weight(name="scale", shape=(dim,), initializer="glorot_uniform", trainable=True)
        self.built = True

    def _check_built_for(self, shapes):
        if self.scale is not None and shapes[0][-1] != self.scale.shape[0]:
            raise ValueError(
                f"{self._who()} was built for a query of last dimension {self.scale.shape[0]}, "
                f"got query of shape {shapes[0]}"
            )

    def _calculate_scores(self, query, key):
        # (batch, Tq, 1, dim) + (batch, 1, Tv, dim) -> (batch, Tq, Tv, dim), summed over dim.
        terms = tanh(expand_dims(query, -2) + expand_dims(key, -3))
        if self.scale is not None:
            terms = terms * self.scale
        return reduce_sum(terms, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config


__all__ = ["Attention", "AdditiveAttention"]
