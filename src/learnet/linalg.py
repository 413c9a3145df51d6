"""``learnet.linalg``: matrix functions with TensorFlow's names (``tf.linalg``).

The differentiable primitives (products, determinants, solves, factorizations and
decompositions) live in ``learnet.ops.linalg``. This namespace gathers them and adds
what TensorFlow builds from them, the same way and so with the same gradients:
``logdet`` from ``cholesky``, ``lstsq`` from the normal equations, ``pinv`` from ``svd``,
``expm`` from rational approximants. Names that live elsewhere in learnet are reached from
here too (``l2_normalize`` is ``tf.nn``'s).

Every function works on the last two axes and batches over the leading ones.

Examples
--------
>>> import learnet as tf
>>> a = tf.constant([[4.0, 2.0], [2.0, 3.0]])
>>> float(tf.linalg.det(a)), float(tf.linalg.trace(a))
(8.0, 7.0)
>>> tf.linalg.solve(a, [[2.0], [1.0]]).numpy()
array([[0.5],
       [0. ]], dtype=float32)
"""

import functools
import math

import numpy

from learnet.backend import xp
from learnet.ops.linalg import (  # noqa: F401
    _matrices,
    _pair,
    band_part,
    cholesky,
    det,
    diag,
    diag_part,
    eigh,
    einsum,
    inv,
    matmul,
    qr,
    set_diag,
    slogdet,
    solve,
    svd,
    tensordot,
    triangular_solve,
)
from learnet.ops.linalg import transpose_matrix as _transpose_matrix
from learnet.ops.math import abs as _abs
from learnet.ops.math import add as _add
from learnet.ops.math import log as _log
from learnet.ops.math import sqrt as _sqrt
from learnet.ops.math import where as _where
from learnet.ops.reduce import reduce_max as _reduce_max
from learnet.ops.reduce import reduce_sum as _reduce_sum
from learnet.ops.shape import expand_dims as _expand_dims
from learnet.ops.shape import reshape as _reshape
from learnet.ops.shape import squeeze as _squeeze
from learnet.ops.shape import stack as _stack
from learnet.ops.shape import transpose as _transpose
from learnet.tape import _convert_all
from learnet.tensor import Tensor, _as_dtype, convert_to_tensor


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """Swap the last two axes of ``a`` (``tf.linalg.matrix_transpose``).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.linalg.matrix_transpose(tf.ones((2, 3, 4))).shape
    TensorShape([2, 4, 3])
    """
    return _transpose_matrix(a, conjugate=conjugate)


def adjoint(matrix, name=None):
    """The conjugate transpose of the last two axes; for real tensors the transpose (``tf.linalg.adjoint``).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.linalg.adjoint([[1.0, 2.0]]).numpy()
    array([[1.],
           [2.]], dtype=float32)
    """
    return _transpose_matrix(matrix, conjugate=True)


def eye(num_rows, num_columns=None, batch_shape=None, dtype="float32", name=None):
    """Identity matrices: ones on the main diagonal (``tf.linalg.eye``, ``tf.eye``).

    Parameters
    ----------
    num_rows : int
    num_columns : int, optional
        ``num_rows`` by default.
    batch_shape : list of int, optional
        Leading axes: a batch of identical matrices.
    dtype : default float32

    Examples
    --------
    >>> import learnet as tf
    >>> tf.linalg.eye(2, 3).numpy()
    array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    >>> tf.linalg.eye(2, batch_shape=[4]).shape
    TensorShape([4, 2, 2])
    """
    matrix = xp.eye(
        int(num_rows), None if num_columns is None else int(num_columns), dtype=_as_dtype(dtype or "float32")
    )
    if batch_shape is not None:
        batch = tuple(int(n) for n in numpy.asarray(Tensor(batch_shape).numpy()).reshape(-1))
        matrix = xp.array(xp.broadcast_to(matrix, batch + matrix.shape))
    return Tensor._wrap(matrix)


def trace(x, name=None):
    """The sum of each matrix's main diagonal (``tf.linalg.trace``); rectangular matrices too.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.linalg.trace(tf.ones((2, 3, 3))).numpy()
    array([3., 3.], dtype=float32)
    """
    return _reduce_sum(diag_part(x), axis=-1)


def logdet(matrix, name=None):
    """``log(det(A))`` of symmetric positive-definite matrices, from their Cholesky factor (``tf.linalg.logdet``).

    Stays finite where ``det`` itself would overflow; differentiable (its gradient is
    ``inv(A)``).

    Examples
    --------
    >>> import learnet as tf
    >>> round(float(tf.linalg.logdet([[4.0, 0.0], [0.0, 9.0]])), 4)
    3.5835
    """
    return 2.0 * _reduce_sum(_log(diag_part(cholesky(matrix))), axis=-1)


def cholesky_solve(chol, rhs, name=None):
    """Solve ``A X = rhs`` given the Cholesky factor ``chol`` of ``A`` (``tf.linalg.cholesky_solve``).

    Two triangular solves, ``L Y = rhs`` then ``L^T X = Y``; the batch axes broadcast.

    Examples
    --------
    >>> import learnet as tf
    >>> a = tf.constant([[4.0, 2.0], [2.0, 3.0]])
    >>> tf.linalg.cholesky_solve(tf.linalg.cholesky(a), [[2.0], [1.0]]).numpy()
    array([[0.5],
           [0. ]], dtype=float32)
    """
    halfway = triangular_solve(chol, rhs, lower=True, adjoint=False)
    return triangular_solve(chol, halfway, lower=True, adjoint=True)


def _regularized_gramian_factor(matrix, l2_regularizer, columns):
    """The Cholesky factor of ``A^T A + l2 I`` (``columns``) or of ``A A^T + l2 I``."""
    gramian = matmul(matrix, matrix, transpose_a=columns, transpose_b=not columns)
    if isinstance(l2_regularizer, Tensor) or l2_regularizer != 0:
        size = gramian.shape[-1]
        identity = Tensor._wrap(xp.eye(size, dtype=matrix.dtype))
        gramian = gramian + convert_to_tensor(l2_regularizer, dtype=matrix.dtype) * identity
    return cholesky(gramian)


def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """The least-squares solution ``X`` of ``matrix @ X = rhs`` (``tf.linalg.lstsq``).

    With ``fast=True`` (TensorFlow's default and its algorithm) the regularized normal
    equations are solved by Cholesky: ``X = (A^T A + l2 I)^-1 A^T B`` when ``A`` has at
    least as many rows as columns, ``X = A^T (A A^T + l2 I)^-1 B`` otherwise (the
    smallest solution). ``A`` must then have full rank unless ``l2_regularizer > 0``.
    With ``fast=False`` the minimum-norm solution comes from the pseudo-inverse, which
    handles rank-deficient ``A``; ``l2_regularizer`` is ignored there, as in TensorFlow.
    Differentiable; the batch axes broadcast.

    Examples
    --------
    >>> import learnet as tf
    >>> a = tf.constant([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> tf.linalg.lstsq(a, [[1.0], [1.0], [2.0]]).numpy().round(4)
    array([[1.],
           [1.]], dtype=float32)
    """
    matrix, rhs = _pair(matrix, rhs, "lstsq")
    if rhs.shape[-2] != matrix.shape[-2]:
        raise ValueError(
            f"lstsq: rhs of shape {tuple(rhs.shape)} needs {matrix.shape[-2]} rows to match "
            f"the matrix of shape {tuple(matrix.shape)}"
        )
    if not fast:
        return matmul(pinv(matrix), rhs)
    if matrix.shape[-2] >= matrix.shape[-1]:
        factor = _regularized_gramian_factor(matrix, l2_regularizer, columns=True)
        return cholesky_solve(factor, matmul(matrix, rhs, transpose_a=True))
    factor = _regularized_gramian_factor(matrix, l2_regularizer, columns=False)
    return matmul(matrix, cholesky_solve(factor, rhs), transpose_a=True)


def pinv(a, rcond=None, validate_args=False, name=None):
    """The pseudo-inverse, from the SVD (``tf.linalg.pinv``).

    Singular values at or below ``rcond`` times the largest count as zero; by default
    ``rcond = 10 * max(M, N) * eps``, TensorFlow's. Differentiable where the singular
    values are distinct.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.linalg.pinv([[1.0, 0.0], [0.0, 0.0]]).numpy()
    array([[1., 0.],
           [0., 0.]], dtype=float32)
    """
    a = _matrices(a, "pinv")
    m, n = a.shape[-2], a.shape[-1]
    if rcond is None:
        rcond = 10.0 * max(m, n) * numpy.finfo(a.dtype).eps
    if min(m, n) == 0:
        return Tensor._wrap(xp.zeros(tuple(a.shape[:-2]) + (n, m), dtype=a.dtype))
    s, u, v = svd(a)
    values = s._value
    rcond = float(numpy.asarray(rcond.numpy() if isinstance(rcond, Tensor) else rcond))
    keep = Tensor._wrap(values > rcond * values.max(axis=-1, keepdims=True))
    # A dropped singular value becomes infinite: 1 / s is then 0, and so is its gradient (not NaN).
    kept = _where(keep, s, Tensor._wrap(xp.asarray(numpy.inf, dtype=values.dtype)))
    return matmul(v / _expand_dims(kept, -2), u, transpose_b=True)


def matrix_rank(a, tol=None, validate_args=False, name=None):
    """The number of singular values above ``tol`` (``tf.linalg.matrix_rank``), as int32.

    By default ``tol = eps * max(M, N) * largest singular value``, TensorFlow's.

    Examples
    --------
    >>> import learnet as tf
    >>> int(tf.linalg.matrix_rank([[1.0, 2.0], [2.0, 4.0]]))
    1
    """
    a = _matrices(a, "matrix_rank")
    m, n = a.shape[-2], a.shape[-1]
    s = xp.linalg.svd(a._value, compute_uv=False)
    if tol is None:
        largest = s.max(axis=-1, keepdims=True) if min(m, n) else xp.zeros(s.shape[:-1] + (1,), dtype=s.dtype)
        tol = numpy.finfo(a.dtype).eps * max(m, n) * largest
    else:
        tol = xp.asarray(tol.numpy() if isinstance(tol, Tensor) else tol, dtype=s.dtype)
        tol = tol[..., None] if tol.ndim else tol
    return Tensor._wrap((s > tol).sum(axis=-1).astype(numpy.int32))


def eigvalsh(tensor, name=None):
    """The eigenvalues of symmetric matrices, ascending (``tf.linalg.eigvalsh``), differentiable.

    The gradient is ``V diag(g) V^T`` (on the lower triangle, which is all that is read).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.linalg.eigvalsh([[2.0, 1.0], [1.0, 2.0]]).numpy()
    array([1., 3.], dtype=float32)
    """
    return eigh(tensor)[0]


def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False, name=None):
    """Matrix times vector over the last axes: ``a @ b[..., None]`` without the extra axis (``tf.linalg.matvec``).

    The batch axes broadcast.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.linalg.matvec([[1.0, 2.0], [3.0, 4.0]], [1.0, 1.0]).numpy()
    array([3., 7.], dtype=float32)
    """
    a, b = _convert_all([a, b], "matvec")
    if a.ndim < 2 or b.ndim < 1:
        raise ValueError(f"matvec: expects matrices and vectors, got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    product = matmul(a, _expand_dims(b, -1), transpose_a=bool(transpose_a or adjoint_a))
    return _squeeze(product, -1)


def cross(a, b, name=None):
    """The cross product of 3-vectors along the last axis (``tf.linalg.cross``), differentiable.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.linalg.cross([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]).numpy()
    array([0., 0., 1.], dtype=float32)
    """
    a, b = _convert_all([a, b], "cross")
    if a.ndim < 1 or b.ndim < 1 or a.shape[-1] != 3 or b.shape[-1] != 3:
        raise ValueError(
            f"cross: expects 3-vectors along the last axis, got shapes {tuple(a.shape)} and {tuple(b.shape)}"
        )
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    return _stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """``x / sqrt(max(sum(x ** 2, axis), epsilon))`` (``tf.linalg.l2_normalize``, which is ``tf.nn``'s).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.linalg.l2_normalize([3.0, 4.0]).numpy()
    array([0.6, 0.8], dtype=float32)
    """
    from learnet.nn import l2_normalize as nn_l2_normalize

    if axis is not None and dim is not None:
        raise ValueError("l2_normalize: give axis or its old name dim, not both")
    return nn_l2_normalize(x, axis=dim if axis is None else axis, epsilon=epsilon)


def global_norm(t_list, name=None):
    """The 2-norm of all the tensors of ``t_list`` together, ``sqrt(sum(sum(t ** 2)))`` (``tf.linalg.global_norm``).

    ``None`` entries (a variable without a gradient) are skipped; ``IndexedSlices``
    count their values. This is the norm ``tf.clip_by_global_norm`` compares.

    Examples
    --------
    >>> import learnet as tf
    >>> float(tf.linalg.global_norm([tf.constant([3.0, 4.0]), None, tf.constant([[12.0]])]))
    13.0
    """
    from learnet.sparse import IndexedSlices

    if isinstance(t_list, (Tensor, str)) or not hasattr(t_list, "__iter__"):
        raise TypeError(f"global_norm: t_list should be a list of tensors, got {type(t_list).__name__}")
    squares = []
    for t in t_list:
        if t is None:
            continue
        if isinstance(t, IndexedSlices):
            t = t.values
        t = t if isinstance(t, Tensor) else convert_to_tensor(t)
        squares.append(_reduce_sum(t * t))
    if not squares:
        return Tensor._wrap(xp.asarray(0.0, dtype="float32"))
    return _sqrt(functools.reduce(_add, squares))


def normalize(tensor, ord="euclidean", axis=None, name=None):  # noqa: A002 - TensorFlow's name
    """``tensor`` divided by its norm, and the norm (``tf.linalg.normalize``).

    Returns ``(normalized, norm)``; the norm keeps the reduced axes (size 1), so the
    two broadcast back. ``ord`` and ``axis`` are those of ``norm``.

    Examples
    --------
    >>> import learnet as tf
    >>> unit, length = tf.linalg.normalize([[3.0, 4.0]], axis=1)
    >>> unit.numpy(), length.numpy()
    (array([[0.6, 0.8]], dtype=float32), array([[5.]], dtype=float32))
    """
    tensor = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor, dtype="float32")
    size = norm(tensor, ord=ord, axis=axis, keepdims=True)
    return tensor / size, size


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):  # noqa: A002 - TensorFlow's name
    """The norm of ``tensor`` over ``axis`` (all elements by default), differentiable (``tf.norm``).

    Parameters
    ----------
    tensor : array_like
    ord : {"euclidean", "fro", 1, 2, inf}, default "euclidean"
        Over one axis (or all): ``"euclidean"`` / ``"fro"`` / 2 the square root of the
        sum of squares, 1 the sum of absolute values, ``inf`` the largest absolute
        value. Over a pair of axes (a
        matrix norm): ``"euclidean"`` / ``"fro"`` the root of the sum of squares, 1 the largest
        column sum of absolute values, ``inf`` the largest row sum, 2 the largest
        singular value.
    axis : int, or a pair of ints for a matrix norm, optional
    keepdims : bool, default False

    Examples
    --------
    >>> import learnet as tf
    >>> float(tf.norm([3.0, 4.0]))
    5.0
    >>> float(tf.norm([3.0, -4.0], ord=1))
    7.0
    >>> float(tf.norm([[1.0, 2.0], [3.0, 4.0]], ord=1, axis=[0, 1]))
    6.0
    """
    tensor = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor, dtype="float32")
    keepdims = bool(keepdims)
    if isinstance(axis, list):
        axis = tuple(axis)
    if isinstance(axis, tuple) and len(axis) == 2:
        return _matrix_norm(tensor, ord, axis, keepdims)
    if ord in ("euclidean", "fro", 2, 2.0):
        return _sqrt(_reduce_sum(tensor * tensor, axis=axis, keepdims=keepdims))
    if ord in (1, 1.0):
        return _reduce_sum(_abs(tensor), axis=axis, keepdims=keepdims)
    if ord == math.inf:
        return _reduce_max(_abs(tensor), axis=axis, keepdims=keepdims)
    raise ValueError(f"norm: ord must be 'euclidean', 'fro', 2, 1 or inf, got ord={ord!r}")


def _matrix_norm(tensor, ord, axis, keepdims):  # noqa: A002 - TensorFlow's name (ord)
    rows, cols = (a % tensor.ndim if -tensor.ndim <= a < tensor.ndim else None for a in axis)
    if rows is None or cols is None or rows == cols:
        raise ValueError(f"norm: a matrix norm needs two different axes of shape {tuple(tensor.shape)}, got {axis}")
    if ord in ("euclidean", "fro"):
        result = _sqrt(_reduce_sum(tensor * tensor, axis=(rows, cols), keepdims=True))
    elif ord in (1, 1.0):
        result = _reduce_max(_reduce_sum(_abs(tensor), axis=rows, keepdims=True), axis=cols, keepdims=True)
    elif ord == math.inf:
        result = _reduce_max(_reduce_sum(_abs(tensor), axis=cols, keepdims=True), axis=rows, keepdims=True)
    elif ord in (2, 2.0):
        others = [i for i in range(tensor.ndim) if i not in (rows, cols)]
        largest = _reduce_max(svd(_transpose(tensor, others + [rows, cols]), compute_uv=False), axis=-1)
        kept = [1 if i in (rows, cols) else size for i, size in enumerate(tensor.shape)]
        result = _reshape(largest, kept)
    else:
        raise ValueError(f"norm: a matrix norm's ord must be 'euclidean', 'fro', 1, 2 or inf, got ord={ord!r}")
    return result if keepdims else _squeeze(result, [rows, cols])


# The rational approximants of exp of degree 7 and 13 (numerator coefficients b_0..b_m), with
# the largest 1-norm for which each is accurate to float32 and float64 precision.
_RATIONAL_7 = (17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0)
_RATIONAL_13 = (
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
)
_THETA_7 = 3.925724783138660
_THETA_13 = 5.371920351148152


def _rational(a, b):
    """The odd part ``U`` and the even part ``V`` of a rational approximant ``(V + U) / (V - U)`` of ``exp(a)``."""
    identity = Tensor._wrap(xp.eye(a.shape[-1], dtype=a.dtype))
    a2 = matmul(a, a)
    a4 = matmul(a2, a2)
    a6 = matmul(a4, a2)
    if len(b) == 8:
        u = matmul(a, b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * identity)
        v = b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * identity
        return u, v
    u = matmul(a, matmul(a6, b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * identity)
    v = matmul(a6, b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * identity
    return u, v


def expm(input, name=None):  # noqa: A002 - TensorFlow's name
    """The matrix exponential ``sum(A^k / k!)`` (``tf.linalg.expm``), differentiable.

    Scaling and squaring around a rational approximant, TensorFlow's method: each matrix is
    divided by a power of 2 until its 1-norm is small, the approximant (degree 13 in
    float64, 7 in float32) taken, and the result squared back. Built from learnet ops,
    so its gradient is that of the computation.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.linalg.expm([[0.0, 1.0], [0.0, 0.0]]).numpy()
    array([[1., 1.],
           [0., 1.]], dtype=float32)
    """
    x = _matrices(input, "expm", square=True)
    if math.prod(x.shape) == 0:
        return x
    double = x.dtype == numpy.float64
    coefficients, theta = (_RATIONAL_13, _THETA_13) if double else (_RATIONAL_7, _THETA_7)
    one_norm = xp.abs(x._value).sum(axis=-2).max(axis=-1)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        squarings = xp.ceil(xp.log2(one_norm / theta))
    squarings = xp.where(xp.isfinite(squarings) & (squarings > 0), squarings, 0).astype(numpy.int64)
    scale = Tensor._wrap(xp.asarray(2.0 ** -squarings.astype(x.dtype))[..., None, None])
    u, v = _rational(x * scale, coefficients)
    result = solve(v - u, v + u)
    most = int(squarings.max())
    if bool((squarings == most).all()):
        for _ in range(most):
            result = matmul(result, result)
        return result
    for step in range(most):
        again = Tensor._wrap(xp.asarray(squarings > step)[..., None, None])
        result = _where(again, matmul(result, result), result)
    return result
