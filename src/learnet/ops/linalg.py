"""Matrix ops: products, solves, factorizations and decompositions (``tf.linalg``).

Products (``matmul``, the ``@`` operator, ``tensordot``, ``einsum``) hand their work to
the BLAS behind NumPy, which is where a network spends most of its time. The gradient
of ``C = A @ B`` is ``dA = g @ B^T`` and ``dB = A^T @ g``; each is computed only when
its input needs it.

Every op here works on the last two axes and batches over the leading ones, and its
backward is written with learnet ops, so nested tapes differentiate it again. The
gradients are the ones TensorFlow uses: ``det`` gives ``g * det * inv(A)^T``,
``cholesky`` the symmetric ``L^-T Phi(L^T g) L^-1`` (``Phi``: the lower triangle with
half its diagonal), the decompositions (``qr``, ``svd``, ``eigh``) theirs, for the
cases TensorFlow supports.

A decomposition has several results (``Q`` and ``R``; ``s``, ``U`` and ``V``); the
primitive returns them packed side by side in one array (``_pack``) and the public
function cuts them apart with differentiable slices, so one backward sees the
gradients of all of them at once.
"""

import functools
import math
import string

import numpy

from learnet import backend
from learnet.backend import xp
from learnet.errors import InvalidArgumentError
from learnet.ops.creation import zeros_like
from learnet.ops.math import unbroadcast
from learnet.ops.shape import broadcast_to, concat, expand_dims, reshape, squeeze, transpose
from learnet.tape import _convert_all, primitive
from learnet.tape import conjugate as _conjugate
from learnet.tensor import Tensor


def _swap(x):
    """Swap the last two axes (the matrix transpose of a batch of matrices)."""
    perm = list(range(x.ndim))
    perm[-1], perm[-2] = perm[-2], perm[-1]
    return transpose(x, perm)


def _matrices(x, name, square=False):
    """``x`` as a float Tensor of rank 2 or more (integers become the default float type)."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x._value.dtype.kind not in "fc":
        x = Tensor._wrap(x._value.astype(backend.floatx()))
    if x.ndim < 2:
        raise ValueError(
            f"{name}: expects a matrix or a batch of matrices (rank 2 or more), got shape {tuple(x.shape)}"
        )
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{name}: expects square matrices, got shape {tuple(x.shape)}")
    return x


def _pair(a, b, name):
    """Two float tensors of matrices with the same dtype (numbers and lists take the other's)."""
    a, b = _convert_all([a, b], name)
    return _matrices(a, name), _matrices(b, name)


def _broadcast_batch(a, b):
    """Arrays ``a`` and ``b`` with their leading (batch) axes broadcast to one shape."""
    batch = numpy.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return xp.broadcast_to(a, batch + a.shape[-2:]), xp.broadcast_to(b, batch + b.shape[-2:])


def _identity_like(x):
    """The identity matrix as large as ``x``'s last axis, of its dtype (a constant for the tape)."""
    return Tensor._wrap(xp.eye(x.shape[-1], dtype=x.dtype))


def _diagonal_matrix(v):
    """Batched square matrices with the vectors ``v`` on their diagonals (differentiable)."""
    return expand_dims(v, -1) * _identity_like(v)


def _safe_reciprocal(x, epsilon=1e-20):
    """``1 / x`` that stays finite at 0 (where two eigen- or singular values meet)."""
    return x / (x * x + epsilon)


def _pack(arrays, batch_ndim):
    """Several results over one batch as one array: each flattened after the batch axes, side by side."""
    batch = arrays[0].shape[:batch_ndim]
    return xp.concatenate([a.reshape(batch + (math.prod(a.shape[batch_ndim:]),)) for a in arrays], axis=-1)


def _unpack(packed, shapes):
    """The Tensors ``_pack`` joined, each of its trailing ``shape`` (cut with differentiable slices)."""
    batch = tuple(packed.shape[:-1])
    parts, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        parts.append(reshape(packed[..., start : start + size], batch + tuple(shape)))
        start += size
    return parts


def _not_invertible(name):
    return InvalidArgumentError(None, None, f"{name}: the matrix is singular (not invertible)")


# --- products -------------------------------------------------------------------------------------
@primitive(inputs=2)
def _matmul(a, b, transpose_a, transpose_b):
    if transpose_a:
        a = xp.swapaxes(a, -1, -2)
    if transpose_b:
        b = xp.swapaxes(b, -1, -2)
    if a.shape[-1] != b.shape[-2]:  # TensorFlow's InvalidArgumentError, which is also a ValueError
        raise InvalidArgumentError(
            None,
            None,
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} are incompatible: "
            f"the last dimension of the first ({a.shape[-1]}) must equal the second-to-last "
            f"of the second ({b.shape[-2]})",
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


# TensorFlow multiplies matrices of these dtypes; int8, int16 and bool only with output_type
# (8-bit ones, to int32): their products would overflow the inputs' own type.
# Sets of dtypes, not of names: a dtype's name is slow to read, and this runs on every product.
_NO_PRODUCT_DTYPES = frozenset(numpy.dtype(name) for name in ("int8", "int16", "bool"))
_EXACT_8_BIT = frozenset(numpy.dtype(name) for name in ("int8", "uint8"))


def _product_dtypes(a, b, output_type):
    """``a`` and ``b`` ready for a product giving ``output_type`` (TensorFlow's rule), or an error."""
    dtypes = (a._value.dtype, b._value.dtype)
    if output_type is None:
        refused = [dtype.name for dtype in dtypes if dtype in _NO_PRODUCT_DTYPES]
        if refused:
            raise InvalidArgumentError(
                None,
                None,
                f"matmul: TensorFlow does not multiply {refused[0]} matrices (it takes float, int32, int64, "
                "unsigned and complex ones): cast them with tf.cast, or pass output_type=tf.int32 for "
                "int8 and uint8 ones",
            )
        return a, b
    from learnet.tensor import _as_dtype

    target = numpy.dtype(_as_dtype(output_type))
    if target == numpy.dtype("int32") and all(dtype in _EXACT_8_BIT for dtype in dtypes):
        from learnet.ops.math import cast

        return cast(a, target), cast(b, target)
    if dtypes[0] == dtypes[1] == target and target not in _NO_PRODUCT_DTYPES:
        return a, b
    raise InvalidArgumentError(
        None,
        None,
        f"matmul: no product of {dtypes[0].name} and {dtypes[1].name} matrices gives output_type "
        f"{target.name}; TensorFlow's output_type is int32 for int8 or uint8 inputs, or the inputs' own dtype",
    )


def matmul(
    a,
    b,
    transpose_a=False,
    transpose_b=False,
    adjoint_a=False,
    adjoint_b=False,
    a_is_sparse=False,
    b_is_sparse=False,
    output_type=None,
    grad_a=False,
    grad_b=False,
    name=None,
):
    """Matrix product ``a @ b`` (batched over leading axes, broadcasting like NumPy).

    Parameters
    ----------
    a, b : Tensor
        Matrices or batches of matrices; a vector (rank 1) is treated as NumPy does.
    transpose_a, transpose_b : bool
        Use the transpose of ``a`` (or ``b``) in the product.
    adjoint_a, adjoint_b : bool
        The conjugate transpose, which for real tensors is the transpose.
    a_is_sparse, b_is_sparse : bool
        Accepted for TensorFlow's signature; the product is dense either way.
    output_type : dtype, optional
        The result's dtype. As in TensorFlow, only ``tf.int32`` for ``int8`` or ``uint8``
        inputs (the product is summed exactly, without overflowing 8 bits), or the
        inputs' own dtype; by default the inputs' dtype.
    grad_a, grad_b : bool
        TensorFlow's hints that ``a`` (or ``b``) is a gradient; they change nothing here.

    Raises
    ------
    InvalidArgumentError
        For ``int8``, ``int16`` or ``bool`` tensors without ``output_type``, which
        TensorFlow's matrix product does not take either (cast them, or pass
        ``output_type=tf.int32`` for 8-bit ones), and for an ``output_type`` it has no
        product for.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.matmul(tf.constant([[1.0, 2.0]]), tf.constant([[3.0], [4.0]])).numpy()
    array([[11.]], dtype=float32)
    >>> a = tf.constant([[100, 100]], dtype=tf.int8)
    >>> tf.matmul(a, a, transpose_b=True, output_type=tf.int32).numpy()
    array([[20000]], dtype=int32)
    """
    a, b = _convert_all([a, b], "matmul")
    if output_type is not None or a._value.dtype in _NO_PRODUCT_DTYPES or b._value.dtype in _NO_PRODUCT_DTYPES:
        a, b = _product_dtypes(a, b, output_type)
    if adjoint_a and a.dtype.kind == "c":
        a = _conjugate(a)
    if adjoint_b and b.dtype.kind == "c":
        b = _conjugate(b)
    transpose_a = bool(transpose_a or adjoint_a)
    transpose_b = bool(transpose_b or adjoint_b)
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
    return _matmul(a, b, transpose_a, transpose_b)


def tensordot(a, b, axes, name=None):
    """Sum products over the given axes of ``a`` and ``b`` (``tf.tensordot``).

    ``axes`` is an int N (the last N axes of ``a`` with the first N of ``b``) or a pair
    of lists of axes. Built from transpose, reshape and one matmul, so it is
    differentiable to any order.
    """
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


def einsum(equation, *inputs, **kwargs):
    """Sums of products over the named axes of ``inputs`` (``tf.einsum``), differentiable.

    ``equation`` names each input's axes with letters, ``"ij,jk->ik"``; a letter shared
    by two inputs and absent from the output is summed over. ``...`` stands for the
    leading (batch) axes and broadcasts as NumPy does; without ``->`` the output is the
    letters used once, in alphabetical order, after ``...``. A letter repeated in one
    input takes a diagonal (``"ii->i"``).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.einsum("ij,jk->ik", [[1.0, 2.0]], [[3.0], [4.0]]).numpy()
    array([[11.]], dtype=float32)
    >>> float(tf.einsum("ii", [[1.0, 2.0], [3.0, 4.0]]))
    5.0
    """
    unknown = set(kwargs) - {"name", "optimize"}
    if unknown:
        raise TypeError(f"einsum: unexpected keyword arguments {sorted(unknown)}")
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the equation comes first, a string such as 'ij,jk->ik'; got {equation!r}")
    tensors = _convert_all(list(inputs), "einsum")
    equation, tensors = _explicit_einsum(equation, tensors)
    return _einsum(tensors, equation)


def numpy_einsum(subscripts, *operands):
    """``einsum`` with NumPy's rule for ``...`` (``keras.ops.einsum``, ``numpy.einsum``).

    The same as :func:`einsum`, except that an output which leaves out the inputs'
    ``...`` sums over those axes (``einsum`` refuses it, as TensorFlow does).

    Examples
    --------
    >>> from learnet.ops.linalg import numpy_einsum
    >>> numpy_einsum("i...->i", [[1.0, 2.0], [3.0, 4.0]]).numpy()
    array([3., 7.], dtype=float32)
    """
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: the subscripts come first, a string such as 'ij,jk->ik'; got {subscripts!r}")
    tensors = _convert_all(list(operands), "einsum")
    equation, tensors = _explicit_einsum(subscripts, tensors, sum_ellipsis=True)
    return _einsum(tensors, equation)


def _explicit_einsum(equation, tensors, sum_ellipsis=False):
    """The equation with every axis named by a letter and its output spelled out.

    ``...`` becomes letters unused elsewhere; an input whose ``...`` axes broadcast
    (size 1 against a larger size) is broadcast here, so the gradient flowing back
    through ``broadcast_to`` is summed to its shape. An output without ``...`` when the
    inputs have it is an error (as in TensorFlow) unless ``sum_ellipsis`` (NumPy's and
    ``keras.ops``'s rule: those axes are summed over).
    """
    equation = equation.replace(" ", "")
    inputs_part, arrow, output = equation.partition("->")
    specs = inputs_part.split(",")
    if len(specs) != len(tensors):
        raise ValueError(f"einsum: the equation {equation!r} names {len(specs)} inputs, got {len(tensors)}")
    for part in [*specs, output]:
        named_axes = part.replace("...", "", 1)
        if named_axes and not (named_axes.isascii() and named_axes.isalpha()):
            raise ValueError(f"einsum: {equation!r} may hold only letters, ',', '->' and '...'")
    free = [c for c in string.ascii_letters if c not in equation]
    starts, shapes = [], []
    for spec, tensor in zip(specs, tensors):
        named = len(spec.replace("...", ""))
        rank = tensor.ndim - named if "..." in spec else 0
        if rank < 0 or ("..." not in spec and tensor.ndim != named):
            raise ValueError(f"einsum: {spec!r} names {named} axes of an input of shape {tuple(tensor.shape)}")
        start = spec.find("...")
        starts.append(start)
        shapes.append(tuple(tensor.shape[start : start + rank]) if start >= 0 else ())
    try:
        target = numpy.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"einsum: the '...' axes {shapes} cannot be broadcast together") from None
    letters = "".join(free[: len(target)])
    explicit_specs, explicit_tensors = [], []
    for spec, tensor, start, shape in zip(specs, tensors, starts, shapes):
        if start >= 0:
            mine = target[len(target) - len(shape) :]
            if shape != mine:
                full = tuple(tensor.shape[:start]) + mine + tuple(tensor.shape[start + len(shape) :])
                tensor = broadcast_to(tensor, full)
            spec = spec.replace("...", letters[len(target) - len(shape) :])
        explicit_specs.append(spec)
        explicit_tensors.append(tensor)
    if not arrow:
        named = inputs_part.replace("...", "").replace(",", "")
        output = letters + "".join(sorted(c for c in set(named) if named.count(c) == 1))
    elif "..." in output:
        output = output.replace("...", letters)
    elif letters and not sum_ellipsis:
        raise ValueError(f"einsum: the output of {equation!r} needs '...' for the inputs' '...' axes")
    sizes = {}
    for spec, tensor in zip(explicit_specs, explicit_tensors):
        for letter, size in zip(spec, tensor.shape):
            if sizes.setdefault(letter, size) != size:
                raise ValueError(f"einsum: axis {letter!r} of {equation!r} has sizes {sizes[letter]} and {size}")
    for letter in output:
        if letter not in sizes or output.count(letter) > 1:
            raise ValueError(f"einsum: output axis {letter!r} of {equation!r} must appear once, and in an input")
    return ",".join(explicit_specs) + "->" + output, explicit_tensors


@primitive(variadic=True)
def _einsum(operands, equation):
    """``einsum`` with every axis named and the output explicit (see ``_explicit_einsum``)."""
    inputs_part, _, output = equation.partition("->")
    specs = inputs_part.split(",")
    result = xp.einsum(equation, *operands, optimize=len(operands) > 1)
    if len(operands) == 1:  # NumPy may return a view of the input: a tensor owns its values
        result = xp.array(result, copy=True)

    def backward(g, *args):
        operands = args[:-1]
        return tuple(functools.partial(_einsum_gradient, i, g, operands, specs, output) for i in range(len(specs)))

    return xp.asarray(result), backward


def _einsum_gradient(index, g, operands, specs, output):
    """The gradient of one input: the output's gradient contracted with the other inputs.

    Axes of the input that appear nowhere else were summed away: the gradient is
    broadcast back along them. A letter repeated in the input (a diagonal) puts the
    gradient on that diagonal and zeros elsewhere.
    """
    spec, shape = specs[index], tuple(operands[index].shape)
    others = [j for j in range(len(specs)) if j != index]
    available = set(output).union(*(specs[j] for j in others))
    kept = "".join(c for c in dict.fromkeys(spec) if c in available)
    equation = ",".join([output] + [specs[j] for j in others]) + "->" + kept
    grad = _einsum([g] + [operands[j] for j in others], equation)
    if kept == spec:
        return grad
    first = [spec.index(c) == p for p, c in enumerate(spec)]
    grad = reshape(grad, [n if is_first and c in available else 1 for c, n, is_first in zip(spec, shape, first)])
    spread = [n if is_first else 1 for n, is_first in zip(shape, first)]
    if tuple(grad.shape) != tuple(spread):
        grad = broadcast_to(grad, spread)
    for p, c in enumerate(spec):
        if not first[p]:  # the diagonal of this axis with the letter's first axis
            pair = [1] * len(spec)
            pair[spec.index(c)] = pair[p] = shape[p]
            grad = grad * Tensor._wrap(xp.eye(shape[p], dtype=g.dtype).reshape(pair))
    return grad


# --- the inverse and the determinant --------------------------------------------------------------
@primitive(inputs=1)
def inv(input, adjoint=False, name=None):  # noqa: A002 - TensorFlow's name
    """The inverse of square matrices (``tf.linalg.inv``); ``adjoint=True``: of their transposes.

    Raises ``tf.errors.InvalidArgumentError`` for a singular matrix.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.linalg.inv([[2.0, 0.0], [0.0, 4.0]]).numpy()
    array([[0.5 , 0.  ],
           [0.  , 0.25]], dtype=float32)
    """
    if input.ndim < 2 or input.shape[-1] != input.shape[-2]:
        raise ValueError(f"inv: needs square matrices, got shape {tuple(input.shape)}")
    try:
        result = xp.linalg.inv(input)
    except numpy.linalg.LinAlgError:
        raise _not_invertible("inv") from None
    if adjoint:
        result = xp.swapaxes(result, -1, -2)

    def backward(g, x, out):
        # dX = -inv^T g inv^T; with adjoint, out = inv^T and g is the gradient of inv^T.
        inverse, g = (_swap(out), _swap(g)) if adjoint else (out, g)
        return -matmul(matmul(inverse, g, transpose_a=True), inverse, transpose_b=True)

    return result, backward


@primitive
def _det(x):
    result = xp.asarray(xp.linalg.det(x), dtype=x.dtype)

    def backward(g, x, out):
        return expand_dims(expand_dims(g * out, -1), -1) * _swap(inv(x))

    return result, backward


def det(input, name=None):  # noqa: A002 - TensorFlow's name
    """The determinants of square matrices (``tf.linalg.det``), differentiable.

    The gradient is ``g * det(A) * inv(A)^T``.

    Examples
    --------
    >>> import learnet as tf
    >>> float(tf.linalg.det([[1.0, 2.0], [3.0, 4.0]]))
    -2.0
    """
    return _det(_matrices(input, "det", square=True))


@primitive
def _slogdet(x):
    """``log|det(A)|`` (the sign is taken apart, without a gradient)."""
    _, log_abs = xp.linalg.slogdet(x)

    def backward(g, x, out):
        return expand_dims(expand_dims(g, -1), -1) * _swap(inv(x))

    return xp.asarray(log_abs, dtype=x.dtype), backward


def slogdet(input, name=None):  # noqa: A002 - TensorFlow's name
    """The sign and the log of the absolute value of the determinant (``tf.linalg.slogdet``).

    Returns ``(sign, log_abs_determinant)``; the second is differentiable (its gradient
    is ``inv(A)^T``), and stays finite where the determinant itself would overflow.

    Examples
    --------
    >>> import learnet as tf
    >>> sign, log_abs = tf.linalg.slogdet([[0.0, 2.0], [4.0, 0.0]])
    >>> float(sign), round(float(log_abs), 4)
    (-1.0, 2.0794)
    """
    input = _matrices(input, "slogdet", square=True)
    sign = xp.asarray(xp.linalg.slogdet(input._value)[0], dtype=input.dtype)
    return Tensor._wrap(sign), _slogdet(input)


# --- the triangle, the band and the diagonals ------------------------------------------------------
def _band_mask(rows, cols, num_lower, num_upper):
    i = numpy.arange(rows)[:, None]
    j = numpy.arange(cols)[None, :]
    mask = numpy.ones((rows, cols), dtype=bool)
    if num_lower >= 0:
        mask &= i - j <= num_lower
    if num_upper >= 0:
        mask &= j - i <= num_upper
    return xp.asarray(mask)


@primitive(inputs=1)
def _band_part(x, num_lower, num_upper):
    mask = _band_mask(x.shape[-2], x.shape[-1], num_lower, num_upper)
    result = xp.where(mask, x, xp.zeros((), dtype=x.dtype))
    return result, lambda g, x, out: _band_part(g, num_lower, num_upper)


def band_part(input, num_lower, num_upper, name=None):  # noqa: A002 - TensorFlow's name
    """Keep a band around the diagonal of each matrix and zero the rest (``tf.linalg.band_part``).

    Entry ``(i, j)`` is kept where ``i - j <= num_lower`` and ``j - i <= num_upper``;
    a negative count keeps that whole triangle. ``band_part(x, -1, 0)`` is the lower
    triangle, ``band_part(x, 0, 0)`` the diagonal.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.linalg.band_part([[1, 2, 3], [4, 5, 6], [7, 8, 9]], 0, -1).numpy()
    array([[1, 2, 3],
           [0, 5, 6],
           [0, 0, 9]], dtype=int32)
    """
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if input.ndim < 2:
        raise ValueError(f"band_part: expects matrices (rank 2 or more), got shape {tuple(input.shape)}")
    return _band_part(input, int(numpy.asarray(num_lower)), int(numpy.asarray(num_upper)))


class _Diagonals:
    """Where TensorFlow's packed diagonals ``k[1], ..., k[0]`` of a matrix sit in it.

    ``rows[d, n]`` and ``cols[d, n]`` are the position of entry ``n`` of diagonal ``d``
    (counted from the top one, ``k[1]``) where ``valid`` is true; a diagonal shorter
    than the longest is padded on the left ("RIGHT" aligned) or on the right.
    """

    def __init__(self, num_rows, num_cols, k, align, name):
        low, high = k
        if not -num_rows < low <= high < num_cols and num_rows and num_cols:
            raise ValueError(
                f"{name}: the diagonals k={k} are outside a {num_rows} x {num_cols} matrix "
                f"(each must lie in ({-num_rows}, {num_cols}), the first no larger than the second)"
            )
        aligns = ("RIGHT_LEFT", "LEFT_RIGHT", "LEFT_LEFT", "RIGHT_RIGHT")
        if align not in aligns:
            raise ValueError(f"{name}: align must be one of {aligns}, got {align!r}")
        super_align, sub_align = align.split("_")
        diagonals = list(range(high, low - 1, -1))
        lengths = [max(0, min(num_rows + min(d, 0), num_cols - max(d, 0))) for d in diagonals]
        self.single = low == high
        self.length = max(lengths, default=0)
        self.count = len(diagonals)
        rows = numpy.zeros((self.count, self.length), dtype=numpy.intp)
        cols = numpy.zeros((self.count, self.length), dtype=numpy.intp)
        valid = numpy.zeros((self.count, self.length), dtype=bool)
        for index, (d, length) in enumerate(zip(diagonals, lengths)):
            side = super_align if d >= 0 else sub_align
            start = self.length - length if side == "RIGHT" else 0
            n = numpy.arange(length)
            rows[index, start : start + length] = n + max(-d, 0)
            cols[index, start : start + length] = n + max(d, 0)
            valid[index, start : start + length] = True
        self.rows, self.cols, self.valid = xp.asarray(rows), xp.asarray(cols), xp.asarray(valid)
        self.shape = (self.length,) if self.single else (self.count, self.length)


def _diagonal_range(k, name):
    k = numpy.asarray(k._value if isinstance(k, Tensor) else k).reshape(-1).tolist()
    if len(k) not in (1, 2):
        raise ValueError(f"{name}: k is one diagonal or a pair (low, high), got {k}")
    return (int(k[0]), int(k[-1]))


@primitive(inputs=1)
def _diag_part(x, diagonals, padding_value):
    picked = x[..., diagonals.rows, diagonals.cols]
    result = xp.where(diagonals.valid, picked, xp.asarray(padding_value, dtype=x.dtype))
    if diagonals.single:
        result = result[..., 0, :]

    def backward(g, x, out):
        return _set_diag(zeros_like(x), g, diagonals)

    return result, backward


@primitive(inputs=2)
def _set_diag(x, diagonal, diagonals):
    batch = x.shape[:-2]
    try:
        full = xp.broadcast_to(diagonal, batch + diagonals.shape)
    except ValueError:
        raise ValueError(
            f"set_diag: the diagonals of a {tuple(x.shape)} tensor take shape {batch + diagonals.shape}, "
            f"got {tuple(diagonal.shape)}"
        ) from None
    if diagonals.single:
        full = full[..., None, :]
    result = xp.array(x, copy=True)
    result[..., diagonals.rows[diagonals.valid], diagonals.cols[diagonals.valid]] = full[..., diagonals.valid]

    def backward(g, x, diagonal, out):
        def grad_input():
            return _set_diag(g, zeros_like(diagonal), diagonals)

        def grad_diagonal():
            return unbroadcast(_diag_part(g, diagonals, 0), diagonal.shape)

        return grad_input, grad_diagonal

    return result, backward


def diag_part(input, name="diag_part", k=0, padding_value=0, align="RIGHT_LEFT"):  # noqa: A002 - TensorFlow's name
    """The diagonal of each matrix, or the diagonals ``k = (low, high)`` (``tf.linalg.diag_part``).

    With one ``k`` the result has shape ``(..., length)``; with a pair, shape
    ``(..., high - low + 1, longest)``, the diagonals from ``high`` down to ``low``,
    the shorter ones padded with ``padding_value`` on the side ``align`` leaves free
    (``"RIGHT_LEFT"``: the diagonals above the main one are aligned right, those below
    left).

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.constant([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    >>> tf.linalg.diag_part(x).numpy()
    array([1, 5, 9], dtype=int32)
    >>> tf.linalg.diag_part(x, k=(-1, 1)).numpy()
    array([[0, 2, 6],
           [1, 5, 9],
           [4, 8, 0]], dtype=int32)
    """
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if input.ndim < 2:
        raise ValueError(f"diag_part: expects matrices (rank 2 or more), got shape {tuple(input.shape)}")
    diagonals = _Diagonals(input.shape[-2], input.shape[-1], _diagonal_range(k, "diag_part"), align, "diag_part")
    return _diag_part(input, diagonals, padding_value)


def set_diag(input, diagonal, name="set_diag", k=0, align="RIGHT_LEFT"):  # noqa: A002 - TensorFlow's name
    """``input`` with its diagonal (or diagonals ``k``) replaced by ``diagonal`` (``tf.linalg.set_diag``).

    ``diagonal`` is laid out as ``diag_part`` returns it; its padding is ignored.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.linalg.set_diag(tf.ones((2, 2)), [5.0, 6.0]).numpy()
    array([[5., 1.],
           [1., 6.]], dtype=float32)
    """
    input, diagonal = _convert_all([input, diagonal], "set_diag")
    if input.ndim < 2:
        raise ValueError(f"set_diag: expects matrices (rank 2 or more), got shape {tuple(input.shape)}")
    diagonals = _Diagonals(input.shape[-2], input.shape[-1], _diagonal_range(k, "set_diag"), align, "set_diag")
    if diagonal.dtype != input.dtype:
        diagonal = Tensor._wrap(diagonal._value.astype(input.dtype))
    return _set_diag(input, diagonal, diagonals)


def diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0, align="RIGHT_LEFT"):
    """Matrices with ``diagonal`` on their diagonal (or diagonals ``k``) (``tf.linalg.diag``).

    The other entries are ``padding_value``. The matrices are as small as the
    diagonals allow unless ``num_rows`` / ``num_cols`` ask for more; with a pair
    ``k = (low, high)``, ``diagonal`` is laid out as ``diag_part`` returns it.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.linalg.diag([1.0, 2.0]).numpy()
    array([[1., 0.],
           [0., 2.]], dtype=float32)
    >>> tf.linalg.diag([1, 2], k=1).numpy()
    array([[0, 1, 0],
           [0, 0, 2],
           [0, 0, 0]], dtype=int32)
    """
    if not isinstance(diagonal, Tensor):
        diagonal = Tensor(diagonal)
    low, high = _diagonal_range(k, "diag")
    rank = 1 if low == high else 2
    if diagonal.ndim < rank:
        raise ValueError(f"diag: diagonals k={k} need a tensor of rank {rank} or more, got shape {diagonal.shape}")
    length = diagonal.shape[-1]
    least_rows, least_cols = length - min(high, 0), length + max(low, 0)
    num_rows, num_cols = int(num_rows), int(num_cols)
    if num_rows == -1 and num_cols == -1:
        num_rows = num_cols = max(least_rows, least_cols)
    num_rows = least_rows if num_rows == -1 else num_rows
    num_cols = least_cols if num_cols == -1 else num_cols
    if num_rows < least_rows or num_cols < least_cols or (num_rows != least_rows and num_cols != least_cols):
        raise ValueError(
            f"diag: diagonals of length {length} at k={k} fit a {least_rows} x {least_cols} matrix, "
            f"which one of num_rows={num_rows} and num_cols={num_cols} must keep"
        )
    diagonals = _Diagonals(num_rows, num_cols, (low, high), align, "diag")
    batch = tuple(diagonal.shape[: diagonal.ndim - rank])
    background = Tensor._wrap(xp.full(batch + (num_rows, num_cols), padding_value, dtype=diagonal.dtype))
    return _set_diag(background, diagonal, diagonals)


# --- Cholesky and triangular systems ----------------------------------------------------------------
@primitive
def _cholesky(x):
    try:
        lower = xp.linalg.cholesky(x)
    except numpy.linalg.LinAlgError:
        raise InvalidArgumentError(
            None, None, "cholesky: the matrix is not symmetric positive definite, so it has no Cholesky factor"
        ) from None

    def backward(g, x, lower):
        # The forward reads one triangle of a symmetric matrix; the gradient is the
        # symmetric one: L^-T Phi(L^T g) L^-1, Phi taking the lower triangle with half
        # its diagonal.
        lower_inverse = triangular_solve(lower, _identity_like(lower), lower=True)
        middle = matmul(lower, g, transpose_a=True)
        middle = _band_part(middle, -1, 0) - 0.5 * middle * _identity_like(middle)
        grad = matmul(matmul(lower_inverse, middle, transpose_a=True), lower_inverse)
        return 0.5 * (grad + _swap(grad))

    return lower, backward


def cholesky(input, name=None):  # noqa: A002 - TensorFlow's name
    """The lower-triangular ``L`` with ``L @ L^T = A``, for symmetric positive-definite ``A`` (``tf.linalg.cholesky``).

    Only the lower triangle of ``A`` is read; the gradient is TensorFlow's symmetric
    one. A matrix that is not positive definite raises
    ``tf.errors.InvalidArgumentError`` (TensorFlow returns NaNs).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.linalg.cholesky([[4.0, 2.0], [2.0, 5.0]]).numpy()
    array([[2., 0.],
           [1., 2.]], dtype=float32)
    """
    return _cholesky(_matrices(input, "cholesky", square=True))


@primitive(inputs=2)
def _solve(matrix, rhs, adjoint):
    a, b = _broadcast_batch(matrix, rhs)
    if adjoint:
        a = xp.swapaxes(a, -1, -2)
    try:
        result = xp.linalg.solve(a, b)
    except numpy.linalg.LinAlgError:
        raise _not_invertible("solve") from None

    def backward(g, matrix, rhs, out):
        grad_rhs = _solve(matrix, g, not adjoint)
        if adjoint:
            grad_matrix = -matmul(out, grad_rhs, transpose_b=True)
        else:
            grad_matrix = -matmul(grad_rhs, out, transpose_b=True)
        return unbroadcast(grad_matrix, matrix.shape), unbroadcast(grad_rhs, rhs.shape)

    return result, backward


def _check_system(matrix, rhs, name):
    if matrix.shape[-1] != matrix.shape[-2]:
        raise ValueError(f"{name}: the matrix must be square, got shape {tuple(matrix.shape)}")
    if rhs.shape[-2] != matrix.shape[-1]:
        raise ValueError(
            f"{name}: rhs of shape {tuple(rhs.shape)} needs {matrix.shape[-1]} rows to match "
            f"the matrix of shape {tuple(matrix.shape)}"
        )


def solve(matrix, rhs, adjoint=False, name=None):
    """The ``X`` with ``matrix @ X = rhs`` (``tf.linalg.solve``); ``adjoint``: ``matrix^T @ X = rhs``.

    ``rhs`` holds one column per system, shape ``(..., M, K)``; the batch axes
    broadcast. Differentiable in both; a singular matrix raises
    ``tf.errors.InvalidArgumentError``.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.linalg.solve([[2.0, 0.0], [0.0, 4.0]], [[2.0], [2.0]]).numpy()
    array([[1. ],
           [0.5]], dtype=float32)
    """
    matrix, rhs = _pair(matrix, rhs, "solve")
    _check_system(matrix, rhs, "solve")
    return _solve(matrix, rhs, bool(adjoint))


@primitive(inputs=2)
def _triangular_solve(matrix, rhs, lower, adjoint):
    a, b = _broadcast_batch(matrix, rhs)
    n = a.shape[-1]
    a = xp.where(_band_mask(n, n, -1, 0) if lower else _band_mask(n, n, 0, -1), a, xp.zeros((), dtype=a.dtype))
    if adjoint:
        a = xp.swapaxes(a, -1, -2)
    try:
        result = xp.linalg.solve(a, b)
    except numpy.linalg.LinAlgError:
        raise _not_invertible("triangular_solve") from None

    def backward(g, matrix, rhs, out):
        grad_rhs = _triangular_solve(matrix, g, lower, not adjoint)
        if adjoint:
            grad_matrix = -matmul(out, grad_rhs, transpose_b=True)
        else:
            grad_matrix = -matmul(grad_rhs, out, transpose_b=True)
        grad_matrix = _band_part(grad_matrix, -1, 0) if lower else _band_part(grad_matrix, 0, -1)
        return unbroadcast(grad_matrix, matrix.shape), unbroadcast(grad_rhs, rhs.shape)

    return result, backward


def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """Solve ``matrix @ X = rhs`` for triangular ``matrix`` (``tf.linalg.triangular_solve``).

    Only the lower triangle (``lower=True``) or the upper one of ``matrix`` is read;
    ``adjoint=True`` solves with its transpose. The batch axes broadcast.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.linalg.triangular_solve([[2.0, 0.0], [1.0, 1.0]], [[2.0], [3.0]]).numpy()
    array([[1.],
           [2.]], dtype=float32)
    """
    matrix, rhs = _pair(matrix, rhs, "triangular_solve")
    _check_system(matrix, rhs, "triangular_solve")
    return _triangular_solve(matrix, rhs, bool(lower), bool(adjoint))


# --- decompositions ------------------------------------------------------------------------------
def _zero(tensor):
    """Whether every entry of a gradient is zero (so a part with no unique derivative is unused)."""
    return not bool(xp.any(tensor._value != 0))


@primitive(inputs=1)
def _qr(x, full_matrices):
    q, r = xp.linalg.qr(x, mode="complete" if full_matrices else "reduced")
    shapes = [q.shape[-2:], r.shape[-2:]]

    def backward(g, x, out):
        q, r = _unpack(out, shapes)
        dq, dr = _unpack(g, shapes)
        m, n = x.shape[-2], x.shape[-1]
        if full_matrices and m > n:
            # The last m - n columns of Q are any basis of what A's columns leave out:
            # they have no derivative, so only a loss that ignores them has a gradient.
            if not _zero(dq[..., :, n:]):
                raise NotImplementedError(
                    "qr: the gradient through the extra columns of Q that full_matrices=True adds "
                    "(more rows than columns) is not defined; use full_matrices=False"
                )
            q, r, dq, dr = q[..., :, :n], r[..., :n, :], dq[..., :, :n], dr[..., :n, :]
        return _qr_gradient(x, q, r, dq, dr)

    return _pack([q, r], x.ndim - 2), backward


def _qr_gradient(x, q, r, dq, dr):
    """TensorFlow's QR gradient, reduced to the square case for wide ``x``."""
    m, n = x.shape[-2], x.shape[-1]
    if m >= n:
        return _qr_gradient_deep(q, r, dq, dr)
    # A = [X, Y], R = [U, V]: X = Q U is square, and Y = Q V.
    y, u = x[..., :, m:], r[..., :, :m]
    dv, du = dr[..., :, m:], dr[..., :, :m]
    dx = _qr_gradient_deep(q, u, dq + matmul(y, dv, transpose_b=True), du)
    return concat([dx, matmul(q, dv)], axis=-1)


def _qr_gradient_deep(q, r, dq, dr):
    """The QR gradient for as many rows as columns, or more (Q with orthonormal columns)."""

    def times_inverse_transpose(v):  # v @ R^-T, by a triangular solve
        return _swap(triangular_solve(r, _swap(v), lower=False))

    qdq = matmul(q, dq, transpose_a=True)
    rdr = matmul(r, dr, transpose_b=True)
    tril = _band_part(qdq - _swap(qdq) + rdr - _swap(rdr), -1, 0)
    return matmul(q, dr + times_inverse_transpose(tril)) + times_inverse_transpose(dq - matmul(q, qdq))


def qr(input, full_matrices=False, name=None):  # noqa: A002 - TensorFlow's name
    """The QR decomposition ``A = Q @ R`` (``tf.linalg.qr``): orthonormal ``Q``, upper-triangular ``R``.

    For ``A`` of shape ``(..., M, N)`` and ``K = min(M, N)``, ``Q`` is ``(..., M, K)``
    and ``R`` ``(..., K, N)``; with ``full_matrices=True``, ``Q`` is ``(..., M, M)`` and
    ``R`` ``(..., M, N)``. The signs are NumPy's, which are TensorFlow's too: the
    diagonal of ``R`` may be negative. Differentiable where TensorFlow's is, and also
    with ``full_matrices=True`` for deep matrices when Q's extra columns are unused.

    Examples
    --------
    >>> import learnet as tf
    >>> q, r = tf.linalg.qr([[3.0, 1.0], [4.0, 2.0]])
    >>> (q @ r).numpy().round(4)
    array([[3., 1.],
           [4., 2.]], dtype=float32)
    """
    input = _matrices(input, "qr")
    m, n = input.shape[-2], input.shape[-1]
    k = m if full_matrices else min(m, n)
    q, r = _unpack(_qr(input, bool(full_matrices)), [(m, k), (k, n)])
    return q, r


@primitive(inputs=1)
def _svd(x, full_matrices):
    u, s, vh = xp.linalg.svd(x, full_matrices=full_matrices)
    v = xp.swapaxes(vh, -1, -2)
    shapes = [s.shape[-1:], u.shape[-2:], v.shape[-2:]]

    def backward(g, x, out):
        s, u, v = _unpack(out, shapes)
        gs, gu, gv = _unpack(g, shapes)
        return _svd_gradient(x.shape[-2], x.shape[-1], s, u, v, gs, gu, gv, full_matrices)

    return _pack([s, u, v], x.ndim - 2), backward


def _svd_gradient(m, n, s, u, v, gs, gu, gv, full_matrices):
    """TensorFlow's SVD gradient: for ``M > N`` it differentiates ``A^T = V S U^T`` and transposes."""
    transposed = m > n
    if transposed:
        m, n, u, v, gu, gv = n, m, v, u, gv, gu
    if full_matrices and n - m > 1:
        # Beyond one, the extra singular vectors are any basis of a subspace: no derivative.
        if not _zero(gv[..., :, m:]):
            raise NotImplementedError(
                "svd: the gradient through the extra singular vectors that full_matrices=True adds "
                "is not defined when the two sizes differ by more than 1; use full_matrices=False"
            )
        v, gv, full_matrices = v[..., :, :m], gv[..., :, :m], False
    s_matrix = _diagonal_matrix(s)
    s2 = s * s
    off_diagonal = 1 - _identity_like(s)
    f = _safe_reciprocal(expand_dims(s2, -2) - expand_dims(s2, -1)) * off_diagonal
    v1, gv1 = v[..., :, :m], gv[..., :, :m]
    f_u = f * matmul(u, gu, transpose_a=True)
    f_v = f * matmul(v1, gv1, transpose_a=True)
    inner = _diagonal_matrix(gs) + matmul(f_u + _swap(f_u), s_matrix) + matmul(s_matrix, f_v + _swap(f_v))
    grad = matmul(u, matmul(inner, v1, transpose_b=True))
    if m != n:
        gv1t = _swap(gv1)
        rest = gv1t - matmul(matmul(gv1t, v1), v1, transpose_b=True)
        if full_matrices:
            v2, gv2 = v[..., :, m:n], gv[..., :, m:n]
            rest = rest - matmul(matmul(v1, gv2, transpose_a=True), v2, transpose_b=True)
        grad = grad + matmul(matmul(u, _diagonal_matrix(_safe_reciprocal(s))), rest)
    return _swap(grad) if transposed else grad


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """The singular value decomposition ``A = U diag(s) V^T`` (``tf.linalg.svd``).

    Returns ``s`` alone with ``compute_uv=False``, else ``(s, u, v)`` in this order,
    TensorFlow's, with ``v`` itself (not ``V^T`` as NumPy gives). ``s`` is sorted from
    the largest; for ``A`` of shape ``(..., M, N)`` and ``K = min(M, N)``, ``u`` is
    ``(..., M, K)`` and ``v`` ``(..., N, K)`` (square with ``full_matrices=True``).
    A singular vector's sign is NumPy's choice and may differ from TensorFlow's.

    The gradient of ``s`` is ``U diag(g) V^T``; that of the vectors needs distinct
    singular values, as in TensorFlow.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.linalg.svd([[3.0, 0.0], [0.0, -4.0]], compute_uv=False).numpy()
    array([4., 3.], dtype=float32)
    """
    tensor = _matrices(tensor, "svd")
    m, n = tensor.shape[-2], tensor.shape[-1]
    k = min(m, n)
    full = bool(full_matrices) and bool(compute_uv)
    s, u, v = _unpack(_svd(tensor, full), [(k,), (m, m if full else k), (n, n if full else k)])
    return (s, u, v) if compute_uv else s


@primitive
def _eigh(x):
    e, v = xp.linalg.eigh(x)
    shapes = [e.shape[-1:], v.shape[-2:]]

    def backward(g, x, out):
        e, v = _unpack(out, shapes)
        ge, gv = _unpack(g, shapes)
        f = _safe_reciprocal(expand_dims(e, -2) - expand_dims(e, -1)) * (1 - _identity_like(e))
        grad = matmul(v, matmul(_diagonal_matrix(ge) + f * matmul(v, gv, transpose_a=True), v, transpose_b=True))
        # The forward reads the lower triangle only: fold the symmetric gradient onto it.
        grad = _band_part(grad + _swap(grad), -1, 0)
        return grad - 0.5 * grad * _identity_like(grad)

    return _pack([e, v], x.ndim - 2), backward


def eigh(tensor, name=None):
    """Eigenvalues and eigenvectors of symmetric matrices (``tf.linalg.eigh``).

    Returns ``(e, v)``: the eigenvalues in ascending order and the eigenvectors as the
    columns of ``v``. Only the lower triangle is read. A vector's sign is NumPy's
    choice and may differ from TensorFlow's. The gradient of the vectors needs
    distinct eigenvalues, as in TensorFlow.

    Examples
    --------
    >>> import learnet as tf
    >>> e, v = tf.linalg.eigh([[2.0, 1.0], [1.0, 2.0]])
    >>> e.numpy()
    array([1., 3.], dtype=float32)
    """
    tensor = _matrices(tensor, "eigh", square=True)
    n = tensor.shape[-1]
    e, v = _unpack(_eigh(tensor), [(n,), (n, n)])
    return e, v


def transpose_matrix(x, conjugate=False):
    """Swap the last two axes (``tf.linalg.matrix_transpose``); ``conjugate``: also conjugate
    complex numbers (the adjoint)."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose: expects rank 2 or more, got shape {tuple(x.shape)}")
    if conjugate and x.dtype.kind == "c":
        x = _conjugate(x)
    return _swap(x)
