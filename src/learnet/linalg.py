"""``learnet.linalg``: matrix functions with TensorFlow's names (``tf.linalg``)."""
from learnet.ops.linalg import inv, matmul, tensordot  # noqa: F401
from learnet.ops.linalg import transpose_matrix as matrix_transpose  # noqa: F401
from learnet.ops.math import sqrt as _sqrt
from learnet.ops.reduce import reduce_sum as _reduce_sum


def norm(tensor, ord="euclidean", axis=None, keepdims=False):  # noqa: A002 - TensorFlow's name
    """The Euclidean (Frobenius) norm over ``axis``, differentiable."""
    if ord not in ("euclidean", "fro", 2):
        raise ValueError(f"norm: only the euclidean norm is available, got ord={ord!r}")
    return _sqrt(_reduce_sum(tensor * tensor, axis=axis, keepdims=keepdims))
