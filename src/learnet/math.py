"""``learnet.math``: elementwise and reduction ops under TensorFlow's ``tf.math`` names.

Besides the ops themselves, a few helpers course code reaches for: ``add_n`` (sum a list
of losses), ``confusion_matrix``, ``top_k``, ``count_nonzero``, ``divide_no_nan``.
"""

import collections

import numpy

from learnet.backend import xp
from learnet.tape import primitive
from learnet.ops.math import *  # noqa: F401,F403
from learnet.ops.math import (  # noqa: F401
    abs,
    add,
    ceil,
    cos,
    divide,
    equal,
    exp,
    floor,
    greater,
    greater_equal,
    is_finite,
    is_inf,
    is_nan,
    less,
    less_equal,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    pow,
    reciprocal,
    round,
    rsqrt,
    sign,
    sin,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    where,
)
from learnet.ops.nn import log_softmax, sigmoid, softmax, softplus  # noqa: F401
from learnet.ops.reduce import (  # noqa: F401
    argmax,
    argmin,
    cumprod,
    cumsum,
    reduce_all,
    reduce_any,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_std,
    reduce_sum,
    reduce_variance,
)
from learnet.ops.nn import log_sigmoid, softsign  # noqa: F401
from learnet.ops.segment import (  # noqa: F401
    segment_max,
    segment_mean,
    segment_min,
    segment_prod,
    segment_sum,
    unsorted_segment_max,
    unsorted_segment_mean,
    unsorted_segment_min,
    unsorted_segment_prod,
    unsorted_segment_sqrt_n,
    unsorted_segment_sum,
)
from learnet.ops.special import (  # noqa: F401
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cosh,
    digamma,
    erf,
    erfc,
    expm1,
    lgamma,
    sinh,
    xdivy,
    xlog1py,
    xlogy,
)
from learnet.complex_math import angle, conj, imag, real  # noqa: F401 - tf.math.real and friends
from learnet.linalg import l2_normalize  # noqa: F401 - tf.math.l2_normalize (tf.nn's, as tf.linalg has it)
from learnet.ops.shape import gather, reshape
from learnet.tensor import Tensor, convert_to_tensor, to_array


def add_n(inputs, name=None):
    """Add a list of tensors of one shape, elementwise (``tf.add_n``); differentiable.

    Course code sums a model's regularization losses with it:
    ``loss = tf.add_n([main_loss] + model.losses)``.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.add_n([tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0]), [5.0, 6.0]]).numpy()
    array([ 9., 12.], dtype=float32)
    """
    if isinstance(inputs, Tensor) or not hasattr(inputs, "__len__"):
        raise TypeError(f"add_n expects a list of tensors, got {type(inputs).__name__}")
    tensors = [t if isinstance(t, Tensor) else convert_to_tensor(t) for t in inputs]
    if not tensors:
        raise ValueError("add_n expects a non-empty list of tensors, got an empty list")
    shapes = sorted({tuple(t.shape) for t in tensors})
    if len(shapes) > 1:
        raise ValueError(f"add_n expects tensors of one shape, got shapes {shapes}")
    total = tensors[0]
    for tensor in tensors[1:]:
        total = add(total, tensor)
    return total


def squared_difference(x, y, name=None):
    """``(x - y) ** 2``, elementwise (``tf.math.squared_difference``)."""
    return square(subtract(x, y))


def divide_no_nan(x, y, name=None):
    """``x / y``, but 0 where ``y`` is 0 (and a gradient of 0 there, not NaN).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.math.divide_no_nan(tf.constant([1.0, 2.0]), tf.constant([2.0, 0.0])).numpy()
    array([0.5, 0. ], dtype=float32)
    """
    x = x if isinstance(x, Tensor) else convert_to_tensor(x)
    y = y if isinstance(y, Tensor) else convert_to_tensor(y, dtype=x.dtype)
    zero = equal(y, 0.0)
    safe = where(zero, Tensor._wrap(xp.ones((), dtype=y.dtype)), y)
    return where(zero, Tensor._wrap(xp.zeros((), dtype=x.dtype)), divide(x, safe))


def count_nonzero(input, axis=None, keepdims=False, dtype="int64", name=None):  # noqa: A002 - TF's name
    """How many elements are not zero, over ``axis`` (no gradient).

    Examples
    --------
    >>> import learnet as tf
    >>> int(tf.math.count_nonzero([0, 3, 0, 1]))
    2
    """
    array = input._value if isinstance(input, Tensor) else to_array(input)
    if isinstance(axis, list):
        axis = tuple(axis)
    counts = xp.count_nonzero(array, axis=axis, keepdims=keepdims)
    return Tensor._wrap(xp.asarray(counts).astype(dtype))


TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, index_type="int32", name=None):  # noqa: A002 - TensorFlow's names
    """The ``k`` largest entries along the last axis and their indices (``tf.math.top_k``).

    Returns a named pair ``(values, indices)``, largest first; ``values`` is
    differentiable (the gradient flows back to the chosen entries).

    Examples
    --------
    >>> import learnet as tf
    >>> values, indices = tf.math.top_k(tf.constant([[1.0, 9.0, 3.0, 7.0]]), k=2)
    >>> values.numpy(), indices.numpy()
    (array([[9., 7.]], dtype=float32), array([[1, 3]], dtype=int32))
    """
    input = input if isinstance(input, Tensor) else convert_to_tensor(input)
    if input.ndim < 1:
        raise ValueError("top_k expects a tensor with at least one axis, got a scalar")
    n = input.shape[-1]
    k = int(k)
    if not 0 <= k <= n:
        raise ValueError(f"top_k: k must be between 0 and the last dimension {n}, got {k}")
    # A stable sort of the negated values keeps the first of equal entries first, as TensorFlow.
    order = xp.argsort(-input._value, axis=-1, kind="stable")[..., :k].astype(numpy.dtype(index_type))
    rows = xp.arange(order.size // max(k, 1)).reshape(order.shape[:-1] + (1,)) * n
    flat_positions = (rows + order).reshape(-1)
    values = reshape(gather(reshape(input, [-1]), Tensor._wrap(flat_positions)), list(order.shape))
    return TopKV2(values, Tensor._wrap(order))


def in_top_k(targets, predictions, k, name=None):
    """Whether each target class is among the ``k`` largest predictions of its row (bool)."""
    predictions = predictions._value if isinstance(predictions, Tensor) else to_array(predictions)
    targets = (targets._value if isinstance(targets, Tensor) else to_array(targets)).astype(xp.intp)
    target_values = xp.take_along_axis(predictions, targets[:, None], axis=-1)
    larger = xp.sum(predictions > target_values, axis=-1)
    return Tensor._wrap(larger < int(k))


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype="int32", name=None):
    """The confusion matrix: row = true class, column = predicted class (``tf.math.confusion_matrix``).

    Parameters
    ----------
    labels, predictions : 1-D array_like of int
        True and predicted class ids (``np.argmax(model.predict(x), axis=-1)``).
    num_classes : int, optional
        ``max(labels, predictions) + 1`` when not given.
    weights : 1-D array_like, optional
        Adds ``weights[i]`` instead of 1 for example ``i``.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.math.confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2]).numpy()
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]], dtype=int32)
    """
    labels = numpy.asarray(labels.numpy() if isinstance(labels, Tensor) else labels).reshape(-1)
    predictions = numpy.asarray(predictions.numpy() if isinstance(predictions, Tensor) else predictions).reshape(-1)
    if labels.shape != predictions.shape:
        raise ValueError(
            f"confusion_matrix: labels ({labels.size}) and predictions ({predictions.size}) "
            "must have the same number of entries"
        )
    for what, values in (("labels", labels), ("predictions", predictions)):
        if values.size and (values.dtype.kind not in "iub" and not numpy.all(values == numpy.round(values))):
            raise ValueError(f"confusion_matrix: {what} must be integer class ids, got {values.dtype} values")
        if values.size and values.min() < 0:
            raise ValueError(f"confusion_matrix: {what} must be >= 0, got {values.min()}")
    labels, predictions = labels.astype(numpy.int64), predictions.astype(numpy.int64)
    largest = int(max(labels.max(initial=-1), predictions.max(initial=-1)))
    if num_classes is None:
        num_classes = largest + 1
    elif largest >= int(num_classes):
        raise ValueError(f"confusion_matrix: class id {largest} is not below num_classes={num_classes}")
    num_classes = int(num_classes)
    counts = numpy.zeros((num_classes, num_classes), dtype=numpy.float64 if weights is not None else numpy.int64)
    added = (
        1 if weights is None else numpy.asarray(weights.numpy() if isinstance(weights, Tensor) else weights).reshape(-1)
    )
    numpy.add.at(counts, (labels, predictions), added)
    return Tensor._wrap(xp.asarray(counts.astype(dtype)))


truediv = divide  # noqa: F405 - TensorFlow's tf.math.truediv (what `x / y` was in tf.keras 2 files)


# --- more of tf.math ------------------------------------------------------------------------------------
def _as_tensor(x, dtype=None):
    return x if isinstance(x, Tensor) else convert_to_tensor(x, dtype=dtype)


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """``sqrt(sum(x ** 2))`` over ``axis`` (``tf.math.reduce_euclidean_norm``), differentiable away from 0.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.math.reduce_euclidean_norm(tf.constant([[3.0, 4.0], [6.0, 8.0]]), axis=1).numpy()
    array([ 5., 10.], dtype=float32)
    """
    x = _as_tensor(input_tensor)
    return sqrt(reduce_sum(square(x), axis=axis, keepdims=keepdims))


@primitive(inputs=1, higher_order=False)
def _cumulative_logsumexp(x, axis):
    out = xp.logaddexp.accumulate(x, axis=axis)

    def backward(g, x, out):
        # d out_j / d x_i = exp(x_i - out_j) for i <= j. The sum over j >= i of g_j exp(x_i - out_j)
        # is taken in log space, for the positive and the negative parts of g apart (logs need
        # positive numbers): each term is at most |g_j|, so nothing overflows.
        def part(weights):
            with numpy.errstate(divide="ignore"):
                # an output of -inf (the empty sum of an exclusive run) takes no gradient
                logs = xp.where(out == -numpy.inf, -numpy.inf, xp.log(weights) - xp.where(out == -numpy.inf, 0, out))
            reverse = [slice(None)] * x.ndim
            reverse[axis] = slice(None, None, -1)
            reverse = tuple(reverse)
            return xp.exp(x + xp.logaddexp.accumulate(logs[reverse], axis=axis)[reverse])

        return part(xp.maximum(g, 0)) - part(xp.maximum(-g, 0))

    return out, backward


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running ``log(sum(exp(x)))`` along ``axis`` (``tf.math.cumulative_logsumexp``), stable and differentiable.

    ``exclusive=True`` leaves each entry out of its own sum (the first is ``-inf``);
    ``reverse=True`` runs from the end.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.math.cumulative_logsumexp(tf.constant([0.0, 0.0, 0.0])).numpy()
    array([0.       , 0.6931472, 1.0986123], dtype=float32)
    """
    from learnet.ops.reduce import _running

    x = _as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"cumulative_logsumexp expects a float tensor, got {x.dtype}")
    return _running(x, axis, exclusive, reverse, _cumulative_logsumexp, -numpy.inf, "cumulative_logsumexp")


def polyval(coeffs, x, name=None):
    """The polynomial ``coeffs[0] * x**(n-1) + ... + coeffs[n-1]`` at ``x`` (``tf.math.polyval``), by Horner's rule.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.math.polyval([1.0, 0.0, -2.0], tf.constant([2.0, 3.0])).numpy()  # x**2 - 2
    array([2., 7.], dtype=float32)
    """
    if isinstance(coeffs, Tensor) or not isinstance(coeffs, (list, tuple)):
        raise ValueError(f"polyval expects a list of coefficients, got {type(coeffs).__name__}")
    x = _as_tensor(x)
    if not coeffs:
        return Tensor._wrap(xp.zeros_like(x._value))
    result = coeffs[0] if isinstance(coeffs[0], Tensor) else _as_tensor(coeffs[0], x.dtype)
    for coefficient in coeffs[1:]:
        result = add(multiply(result, x), coefficient)
    return result if tuple(result.shape) == tuple(x.shape) else add(result, Tensor._wrap(xp.zeros_like(x._value)))


def multiply_no_nan(x, y, name=None):
    """``x * y``, but 0 where ``y`` is 0, even if ``x`` is NaN or infinite (``tf.math.multiply_no_nan``)."""
    x, y = _as_tensor(x), _as_tensor(y)
    y = y if y.dtype == x.dtype else _as_tensor(y._value.astype(x.dtype))
    nonzero = not_equal(y, 0)
    return multiply(where(nonzero, x, Tensor._wrap(xp.zeros((), dtype=x.dtype))), y)


def reciprocal_no_nan(x, name=None):
    """``1 / x``, but 0 where ``x`` is 0 (``tf.math.reciprocal_no_nan``)."""
    x = _as_tensor(x)
    return divide_no_nan(Tensor._wrap(xp.ones((), dtype=x.dtype)), x)


def scalar_mul(scalar, x, name=None):
    """``scalar * x`` (``tf.math.scalar_mul``); ``scalar`` must be a single number."""
    scalar = _as_tensor(scalar)
    if scalar.ndim != 0:
        raise ValueError(f"scalar_mul: scalar must be a single number, got shape {tuple(scalar.shape)}")
    return multiply(scalar, x)


def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    """Sum of a list of tensors of one shape (``tf.math.accumulate_n``, which is ``add_n``)."""
    return add_n(inputs)


def lbeta(x, name=None):
    """``log(|Beta(x)|)`` over the last axis: ``sum(lgamma(x)) - lgamma(sum(x))`` (``tf.math.lbeta``)."""

    x = _as_tensor(x)
    return subtract(reduce_sum(lgamma(x), axis=-1), lgamma(reduce_sum(x, axis=-1)))


def _host(x):
    """The values of ``x`` as a NumPy array, lists taking TensorFlow's dtypes (int32, float32)."""
    return numpy.asarray(_as_tensor(x).numpy())


def is_non_decreasing(x, name=None):
    """Whether each entry of ``x`` (read in order, flattened) is >= the one before (a bool tensor)."""
    flat = _host(x).reshape(-1)
    return Tensor._wrap(xp.asarray(bool(numpy.all(flat[1:] >= flat[:-1]))))


def is_strictly_increasing(x, name=None):
    """Whether each entry of ``x`` (read in order, flattened) is > the one before (a bool tensor)."""
    flat = _host(x).reshape(-1)
    return Tensor._wrap(xp.asarray(bool(numpy.all(flat[1:] > flat[:-1]))))


def invert_permutation(x, name=None):
    """The inverse permutation: ``y[x[i]] = i`` (``tf.math.invert_permutation``).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.math.invert_permutation([3, 4, 0, 2, 1]).numpy()
    array([2, 4, 3, 0, 1], dtype=int32)
    """
    permutation = _host(x)
    if permutation.ndim != 1 or permutation.dtype.kind not in "iu":
        raise ValueError(
            f"invert_permutation expects a 1-D integer tensor, got {permutation.dtype} {permutation.shape}"
        )
    if not numpy.array_equal(numpy.sort(permutation), numpy.arange(permutation.size)):
        from learnet.errors import InvalidArgumentError

        raise InvalidArgumentError(None, None, f"invert_permutation: {permutation.tolist()} is not a permutation")
    inverse = numpy.empty_like(permutation)
    inverse[permutation] = numpy.arange(permutation.size, dtype=permutation.dtype)
    return Tensor._wrap(xp.asarray(inverse))


def rint(x, name=None):
    """Round to the nearest integer, halves to even (``tf.math.rint``); no gradient."""
    x = _as_tensor(x)
    return Tensor._wrap(xp.rint(x._value))


def nextafter(x1, x2, name=None):
    """The next float after ``x1`` towards ``x2`` (``tf.math.nextafter``); no gradient."""
    x1, x2 = _as_tensor(x1), _as_tensor(x2)
    return Tensor._wrap(xp.nextafter(x1._value, x2._value.astype(x1.dtype)))


def zero_fraction(value, name=None):
    """The fraction of entries of ``value`` that are zero, a float32 scalar (``tf.math.zero_fraction``)."""
    array = _as_tensor(value)._value
    return Tensor._wrap(xp.asarray(xp.mean(array == 0) if array.size else xp.nan, dtype=numpy.float32))


def bincount(
    arr, weights=None, minlength=None, maxlength=None, dtype="int32", name=None, axis=None, binary_output=False
):
    """How many times each value ``0, 1, ...`` occurs in ``arr`` (``tf.math.bincount``); no gradient.

    With ``weights``, each occurrence adds its weight instead of 1 (the result takes the
    weights' dtype). ``axis=-1`` counts each row of a 2-D ``arr`` apart; ``binary_output``
    marks presence with 1 instead of counting. The result is ``max(arr) + 1`` long, at
    least ``minlength`` and at most ``maxlength`` (values beyond it are dropped).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.math.bincount([1, 1, 3]).numpy()
    array([0, 2, 0, 1], dtype=int32)
    """
    values = _host(arr)
    if values.size and values.dtype.kind not in "iu":
        raise TypeError(f"bincount expects integer values, got dtype {values.dtype}")
    if values.size and values.min() < 0:
        from learnet.errors import InvalidArgumentError

        raise InvalidArgumentError(None, None, f"bincount: values must be >= 0, got {values.min()}")
    if axis not in (None, 0, -1):
        raise ValueError(f"bincount: axis must be None, 0 or -1, got {axis}")
    if axis == -1 and values.ndim != 2:
        raise ValueError(f"bincount: axis=-1 counts the rows of a 2-D arr, got shape {values.shape}")
    length = int(values.max()) + 1 if values.size else 0
    if minlength is not None:
        length = max(length, int(minlength))
    if maxlength is not None:
        length = min(length, int(maxlength))
    weight_values = None if weights is None else _host(weights)
    if weight_values is not None and weight_values.size and weight_values.shape != values.shape:
        raise ValueError(f"bincount: weights of shape {weight_values.shape} must match arr's {values.shape}")
    out_dtype = numpy.dtype(dtype) if weight_values is None or not weight_values.size else weight_values.dtype
    rows = values.reshape(-1, values.shape[-1]) if axis == -1 else values.reshape(1, -1)
    weight_rows = None if weight_values is None or not weight_values.size else weight_values.reshape(rows.shape)
    keep = rows < length
    row_index = numpy.broadcast_to(numpy.arange(rows.shape[0])[:, None], rows.shape)
    counts = numpy.zeros((rows.shape[0], length), dtype=numpy.float64)
    added = 1.0 if weight_rows is None or binary_output else weight_rows[keep]
    numpy.add.at(counts, (row_index[keep], rows[keep]), added)
    if binary_output:
        counts = (counts > 0).astype(numpy.float64)
    counts = counts.astype(out_dtype)
    return Tensor._wrap(xp.asarray(counts if axis == -1 else counts[0]))
