"""``learnet.linalg``: matrix functions with TensorFlow's names (``tf.linalg``)."""

import math

from learnet.ops.linalg import inv, matmul, tensordot  # noqa: F401
from learnet.ops.linalg import transpose_matrix as matrix_transpose  # noqa: F401
from learnet.ops.math import abs as _abs
from learnet.ops.math import sqrt as _sqrt
from learnet.ops.reduce import reduce_max as _reduce_max
from learnet.ops.reduce import reduce_sum as _reduce_sum
from learnet.tensor import Tensor, convert_to_tensor


def norm(tensor, ord="euclidean", axis=None, keepdims=False, name=None):  # noqa: A002 - TensorFlow's name
    """The norm of ``tensor`` over ``axis`` (all elements by default), differentiable (``tf.norm``).

    Parameters
    ----------
    tensor : array_like
    ord : {"euclidean", "fro", 2, 1, inf}, default "euclidean"
        ``"euclidean"`` / ``"fro"`` / 2: the square root of the sum of squares;
        1: the sum of absolute values; ``inf``: the largest absolute value.
    axis : int or tuple of int, optional
    keepdims : bool, default False

    Examples
    --------
    >>> import learnet as tf
    >>> float(tf.norm([3.0, 4.0]))
    5.0
    >>> float(tf.norm([3.0, -4.0], ord=1))
    7.0
    """
    tensor = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor, dtype="float32")
    if isinstance(axis, list):
        axis = tuple(axis)
    if ord in ("euclidean", "fro", 2, 2.0):
        return _sqrt(_reduce_sum(tensor * tensor, axis=axis, keepdims=keepdims))
    if ord in (1, 1.0):
        return _reduce_sum(_abs(tensor), axis=axis, keepdims=keepdims)
    if ord == math.inf:
        return _reduce_max(_abs(tensor), axis=axis, keepdims=keepdims)
    raise ValueError(f"norm: ord must be 'euclidean', 'fro', 2, 1 or inf, got ord={ord!r}")
