"""``learnet.math``: elementwise and reduction ops under TensorFlow's ``tf.math`` names.

Besides the ops themselves, a few helpers course code reaches for: ``add_n`` (sum a list
of losses), ``confusion_matrix``, ``top_k``, ``count_nonzero``, ``divide_no_nan``.
"""

import collections

import numpy

from learnet.backend import xp
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


def top_k(input, k=1, sorted=True, name=None):  # noqa: A002 - TensorFlow's names
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
    order = xp.argsort(-input._value, axis=-1, kind="stable")[..., :k].astype(xp.int32)
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
