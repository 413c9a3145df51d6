"""Matrix products: ``matmul`` (the ``@`` operator) and ``tensordot``.

These hand their work to the BLAS behind NumPy, which is where a network spends
most of its time. The gradient of ``C = A @ B`` is ``dA = g @ B^T`` and
``dB = A^T @ g``; each is computed only when its input needs it.
"""

from learnet.backend import xp
from learnet.ops.math import unbroadcast
from learnet.tape import primitive
from learnet.tensor import Tensor


def _swap(x):
    """Swap the last two axes (the matrix transpose of a batch of matrices)."""
    from learnet.ops.shape import transpose

    perm = list(range(x.ndim))
    perm[-1], perm[-2] = perm[-2], perm[-1]
    return transpose(x, perm)


@primitive(inputs=2)
def _matmul(a, b, transpose_a, transpose_b):
    if transpose_a:
        a = xp.swapaxes(a, -1, -2)
    if transpose_b:
        b = xp.swapaxes(b, -1, -2)
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} are incompatible: "
            f"the last dimension of the first ({a.shape[-1]}) must equal the second-to-last "
            f"of the second ({b.shape[-2]})"
        )
    result = xp.matmul(a, b)

    def backward(g, a, b, out):
        # With A' = A (or A^T) and B' likewise, out = A' @ B'.
        def grad_a():
            if transpose_a:  # dA = (g @ B'^T)^T = B' @ g^T
                return unbroadcast(matmul(b, g, transpose_a=transpose_b, transpose_b=True), a.shape)
            return unbroadcast(matmul(g, b, transpose_b=not transpose_b), a.shape)

        def grad_b():
            if transpose_b:  # dB = (A'^T @ g)^T = g^T @ A'
                return unbroadcast(matmul(g, a, transpose_a=True, transpose_b=transpose_a), b.shape)
            return unbroadcast(matmul(a, g, transpose_a=not transpose_a), b.shape)

        return grad_a, grad_b

    return result, backward


def matmul(a, b, transpose_a=False, transpose_b=False):
    """Matrix product ``a @ b`` (batched over leading axes, broadcasting like NumPy).

    Parameters
    ----------
    a, b : Tensor
        Matrices or batches of matrices; a vector (rank 1) is treated as NumPy does.
    transpose_a, transpose_b : bool
        Use the transpose of ``a`` (or ``b``) in the product.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.matmul(tf.constant([[1.0, 2.0]]), tf.constant([[3.0], [4.0]])).numpy()
    array([[11.]], dtype=float32)
    """
    from learnet.ops.shape import expand_dims, squeeze
    from learnet.tape import _convert_all

    a, b = _convert_all([a, b], "matmul")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: scalars are not allowed, got shapes {tuple(a.shape)} and {tuple(b.shape)}; use multiply"
        )
    if a.ndim == 1 and b.ndim == 1:
        return squeeze(_matmul(expand_dims(a, 0), expand_dims(b, 1), False, False))
    if a.ndim == 1:
        return squeeze(_matmul(expand_dims(a, 0), b, False, transpose_b), -2)
    if b.ndim == 1:
        return squeeze(_matmul(a, expand_dims(b, 1), transpose_a, False), -1)
    return _matmul(a, b, bool(transpose_a), bool(transpose_b))


def tensordot(a, b, axes):
    """Sum products over the given axes of ``a`` and ``b`` (``tf.tensordot``).

    ``axes`` is an int N (the last N axes of ``a`` with the first N of ``b``) or a pair
    of lists of axes. Built from transpose, reshape and one matmul, so it is
    differentiable to any order.
    """
    from learnet.ops.shape import reshape, transpose
    from learnet.tape import _convert_all

    a, b = _convert_all([a, b], "tensordot")
    if isinstance(axes, int):
        axes_a = list(range(a.ndim - axes, a.ndim))
        axes_b = list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, int) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, int) else list(axes_b)
    axes_a = [x % a.ndim for x in axes_a]
    axes_b = [x % b.ndim for x in axes_b]
    for i, j in zip(axes_a, axes_b):
        if a.shape[i] != b.shape[j]:
            raise ValueError(
                f"tensordot: axis {i} of shape {tuple(a.shape)} and axis {j} of shape "
                f"{tuple(b.shape)} have different sizes"
            )
    free_a = [i for i in range(a.ndim) if i not in axes_a]
    free_b = [j for j in range(b.ndim) if j not in axes_b]
    size = 1
    for i in axes_a:
        size *= a.shape[i]
    a2 = reshape(transpose(a, free_a + axes_a), (-1, size))
    b2 = reshape(transpose(b, axes_b + free_b), (size, -1))
    out_shape = [a.shape[i] for i in free_a] + [b.shape[j] for j in free_b]
    return reshape(matmul(a2, b2), out_shape)


@primitive
def inv(x):
    """Inverse of a square matrix (``tf.linalg.inv``)."""
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"inv: needs square matrices, got shape {tuple(x.shape)}")
    result = xp.linalg.inv(x)
    return result, lambda g, x, out: -matmul(matmul(out, g, transpose_a=True), out, transpose_b=True)


def transpose_matrix(x):
    """Swap the last two axes (``tf.linalg.matrix_transpose``)."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    return _swap(x)
