"""Clipping by norm: ``tf.clip_by_norm`` and ``tf.clip_by_global_norm``, written with the ops
so that their gradients come from the tape (TensorFlow's formulas).

Examples
--------
>>> import learnet as tf
>>> tf.clip_by_norm(tf.constant([3.0, 4.0]), 1.0).numpy().tolist()
[0.6000000238418579, 0.800000011920929]
"""

from learnet.ops.math import maximum, sqrt, where
from learnet.ops.reduce import reduce_sum
from learnet.tensor import Tensor, convert_to_tensor

__all__ = ["clip_by_norm", "clip_by_global_norm"]


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """``t`` scaled so that its L2 norm (over ``axes``, all by default) is at most ``clip_norm``."""
    t = t if isinstance(t, Tensor) else convert_to_tensor(t)
    squares = reduce_sum(t * t, axis=axes, keepdims=True)
    positive = squares > 0
    safe = where(positive, squares, squares * 0 + 1)  # no sqrt(0) in the gradient
    norm = where(positive, sqrt(safe), squares)
    return t * clip_norm / maximum(norm, clip_norm)


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """``(clipped list, global norm)``: every tensor scaled by ``clip_norm / max(global_norm, clip_norm)``.

    ``None`` entries stay ``None``; gradient clipping in a custom loop uses it.
    """
    if isinstance(t_list, Tensor):
        raise TypeError("clip_by_global_norm expects a list of tensors, got one tensor")
    from learnet.linalg import global_norm  # the one norm tf.linalg.global_norm gives

    norm = global_norm(t_list) if use_norm is None else convert_to_tensor(use_norm)
    scale = clip_norm / maximum(norm, clip_norm)
    clipped = [None if t is None else (t if isinstance(t, Tensor) else convert_to_tensor(t)) * scale for t in t_list]
    return clipped, norm
