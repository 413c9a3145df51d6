"""Reductions: sums, means, extremes over axes, and the index of the extreme.

Semantics follow TensorFlow and NumPy: ``axis=None`` reduces everything, an int or a
tuple reduces those axes (negative axes count from the end), ``keepdims`` keeps them
with size 1. The backward spreads ``g`` back over the reduced axes.
"""

import numpy

from learnet.backend import xp
from learnet.tape import is_recording, no_gradient, primitive
from learnet.tensor import Tensor, to_array


def _normalize_axis(axis, ndim, name):
    """Return the reduced axes as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, Tensor):
        axis = axis.numpy().tolist()
    axes = (
        (axis,)
        if isinstance(axis, int) or hasattr(axis, "__index__") and not isinstance(axis, (list, tuple))
        else tuple(axis)
    )
    result = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"{name}: axis {a} is out of range for a tensor of rank {ndim}")
        result.append(a % ndim if ndim else 0)
    if len(set(result)) != len(result):
        raise ValueError(f"{name}: repeated axis in {axis}")
    return tuple(sorted(result))


def _kept_shape(shape, axes):
    """The shape after reducing ``axes`` with keepdims=True."""
    return tuple(1 if i in axes else size for i, size in enumerate(shape))


def _spread(g, x_shape, axes, keepdims):
    """Reshape a reduced gradient so it broadcasts against the input again."""
    from learnet.ops.shape import broadcast_to, reshape

    if not keepdims:
        g = reshape(g, _kept_shape(x_shape, axes))
    return broadcast_to(g, x_shape)


def _spread_gradient(g, x_shape, axes, keepdims, count=1):
    """The backward of a sum (``count`` 1) or a mean: ``g / count`` spread over the reduced axes.

    With no tape recording the backward pass (a training step), no second derivative can
    be asked of it: the spread is a NumPy view of the raw array, without the per-op cost
    of three learnet ops (a loss's mean is in every step).
    """
    if not is_recording():
        value = g._value / count if count != 1 else g._value
        if not keepdims:
            value = value.reshape(_kept_shape(x_shape, axes))
        return xp.broadcast_to(value, x_shape)
    return _spread(g / count if count != 1 else g, x_shape, axes, keepdims)


def _kept_integer(x):
    """The dtype a sum or product of integers keeps (TensorFlow's: int32 stays int32); None
    lets NumPy choose (floats keep theirs; booleans count as int64)."""
    return x.dtype if x.dtype.kind in "iu" else None


@primitive(inputs=1)
def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    """Sum of elements over ``axis``.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.reduce_sum(tf.constant([[1.0, 2.0], [3.0, 4.0]]), axis=0).numpy()
    array([4., 6.], dtype=float32)
    """
    x = input_tensor  # TensorFlow's name for the argument
    axes = _normalize_axis(axis, x.ndim, "reduce_sum")
    shape = x.shape
    return (
        xp.sum(x, axis=axes, keepdims=keepdims, dtype=_kept_integer(x)),
        lambda g, x, out: _spread_gradient(g, shape, axes, keepdims),
    )


@primitive(inputs=1)
def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    """Mean of elements over ``axis`` (integers are averaged as integers, like TF)."""
    x = input_tensor  # TensorFlow's name for the argument
    axes = _normalize_axis(axis, x.ndim, "reduce_mean")
    shape = x.shape
    count = 1
    for a in axes:
        count *= shape[a]
    result = xp.mean(x, axis=axes, keepdims=keepdims)
    if x.dtype.kind in "iu":
        result = result.astype(x.dtype)
    else:
        result = result.astype(x.dtype, copy=False)
    return result, lambda g, x, out: _spread_gradient(g, shape, axes, keepdims, count)


def _extreme(function, name):
    @primitive(inputs=1)
    def reduce(input_tensor, axis=None, keepdims=False):
        x = input_tensor  # TensorFlow's name for the argument
        axes = _normalize_axis(axis, x.ndim, name)
        if x.size == 0:
            raise ValueError(f"{name} of an empty tensor of shape {x.shape} is not defined")
        shape = x.shape

        def backward(g, x, out):
            # The gradient goes to the extreme element(s), shared equally between ties.
            extreme = _spread(out, shape, axes, keepdims)
            mask = Tensor._wrap((x._value == extreme._value).astype(g.dtype))
            count = reduce_sum(mask, axis=axes, keepdims=True)
            return _spread(g, shape, axes, keepdims) * mask / count

        return function(x, axis=axes, keepdims=keepdims), backward

    reduce.__name__ = name
    return reduce


reduce_max = _extreme(xp.max, "reduce_max")
reduce_max.__doc__ = "Largest element over ``axis`` (ties share the gradient)."
reduce_min = _extreme(xp.min, "reduce_min")
reduce_min.__doc__ = "Smallest element over ``axis`` (ties share the gradient)."


@primitive(inputs=1)
def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """``log(sum(exp(x)))`` over ``axis``, computed stably (no overflow for large ``x``)."""
    x = input_tensor  # TensorFlow's name for the argument
    axes = _normalize_axis(axis, x.ndim, "reduce_logsumexp")
    shape = x.shape
    peak = xp.max(x, axis=axes, keepdims=True)
    peak = xp.where(xp.isfinite(peak), peak, 0)
    with numpy.errstate(divide="ignore"):  # every term -inf: the log of 0 is -inf, as it should be
        result = xp.log(xp.sum(xp.exp(x - peak), axis=axes, keepdims=True)) + peak
    if not keepdims:
        result = xp.squeeze(result, axis=axes)

    def backward(g, x, out):
        from learnet.ops.math import exp, where

        total = _spread(out, shape, axes, keepdims)
        # A slice whose terms are all -inf sums to -inf and weighs none of them: exp(x - 0) = 0
        # there, not exp(-inf + inf) = NaN (Circle's rows with no positive pair).
        total = where(xp.isneginf(to_array(total)), xp.zeros((), dtype=x.dtype), total)
        return _spread(g, shape, axes, keepdims) * exp(x - total)

    return result.astype(x.dtype, copy=False), backward


@primitive(inputs=1)
def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    """Product of elements over ``axis``."""
    x = input_tensor  # TensorFlow's name for the argument
    axes = _normalize_axis(axis, x.ndim, "reduce_prod")
    shape = x.shape

    def backward(g, x, out):
        return _spread(g * out, shape, axes, keepdims) / x

    return xp.prod(x, axis=axes, keepdims=keepdims, dtype=_kept_integer(x)), backward


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """Variance over ``axis`` (a composite of mean and square: differentiable)."""
    from learnet.ops.math import square

    x = input_tensor
    mean = reduce_mean(x, axis=axis, keepdims=True)
    return reduce_mean(square(x - mean), axis=axis, keepdims=keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """Standard deviation over ``axis``."""
    from learnet.ops.math import sqrt

    return sqrt(reduce_variance(input_tensor, axis=axis, keepdims=keepdims))


def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    """Logical or over ``axis``."""
    array = to_array(input_tensor)
    return Tensor._wrap(xp.any(array, axis=_normalize_axis(axis, array.ndim, "reduce_any"), keepdims=keepdims))


def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    """Logical and over ``axis``."""
    array = to_array(input_tensor)
    return Tensor._wrap(xp.all(array, axis=_normalize_axis(axis, array.ndim, "reduce_all"), keepdims=keepdims))


def _arg(function, name):
    def arg(input, axis=None, output_type="int64"):  # noqa: A002 - TensorFlow's name
        array = to_array(input)
        if array.ndim == 0:
            raise ValueError(f"{name} needs a tensor of rank >= 1, got a scalar")
        if array.size == 0:
            raise ValueError(f"{name} of an empty tensor of shape {array.shape} is not defined")
        axis = 0 if axis is None else int(axis)
        if not -array.ndim <= axis < array.ndim:
            raise ValueError(f"{name}: axis {axis} is out of range for a tensor of rank {array.ndim}")
        return Tensor._wrap(function(array, axis=axis).astype(output_type))

    arg.__name__ = arg.__qualname__ = name
    arg.__doc__ = (
        f"Index of the {'largest' if 'max' in name else 'smallest'} element along ``axis`` "
        "(default 0, as TensorFlow); not differentiable."
    )
    return no_gradient(arg)


argmax = _arg(xp.argmax, "argmax")
argmin = _arg(xp.argmin, "argmin")


# --- running sums and products (tf.math.cumsum / cumprod) ----------------------------------------------


@primitive(inputs=1)
def _cumsum(x, axis):
    """Running sum along ``axis``; its gradient is the running sum of ``g`` taken backwards."""

    def backward(g, x, out):
        from learnet.ops.shape import reverse

        return reverse(_cumsum(reverse(g, [axis]), axis), [axis])

    return xp.cumsum(x, axis=axis, dtype=x.dtype), backward


def _running(x, axis, exclusive, reverse_, combine, identity, name):
    from learnet.ops.shape import concat, reverse, slice

    x = x if isinstance(x, Tensor) else Tensor(x)
    if isinstance(axis, Tensor):
        axis = int(axis.numpy())
    if x.ndim == 0 or not -x.ndim <= int(axis) < x.ndim:
        raise ValueError(f"{name}: axis {axis} is out of range for a tensor of rank {x.ndim}")
    axis = int(axis) % x.ndim
    if reverse_:
        x = reverse(x, [axis])
    if exclusive and x.shape[axis]:  # shift by one: the identity first, the last entry dropped
        begin, size = [0] * x.ndim, list(x.shape)
        size[axis] -= 1
        head_shape = list(x.shape)
        head_shape[axis] = 1
        head = Tensor._wrap(xp.full(head_shape, identity, dtype=x.dtype))
        x = concat([head, slice(x, begin, size)], axis)
    out = combine(x, axis)
    return reverse(out, [axis]) if reverse_ else out


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running sum along ``axis`` (``tf.math.cumsum``), differentiable.

    ``exclusive=True`` leaves each entry out of its own sum; ``reverse=True`` sums from
    the end. The dtype stays that of ``x``.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.math.cumsum([1, 2, 3]).numpy().tolist(), tf.math.cumsum([1, 2, 3], exclusive=True, reverse=True).numpy().tolist()
    ([1, 3, 6], [5, 3, 0])
    """
    return _running(x, axis, exclusive, reverse, lambda t, a: _cumsum(t, a), 0, "cumsum")


def _running_product(x, axis):
    from learnet.ops.shape import stack, unstack

    running, out = None, []
    for part in unstack(x, axis=axis):  # one multiply per step: exact with zeros, differentiable
        running = part if running is None else running * part
        out.append(running)
    return stack(out, axis=axis) if out else x


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running product along ``axis`` (``tf.math.cumprod``), differentiable, zeros included.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.math.cumprod([1, 2, 3]).numpy().tolist(), tf.math.cumprod([1, 2, 3], exclusive=True).numpy().tolist()
    ([1, 2, 6], [1, 1, 2])
    """
    return _running(x, axis, exclusive, reverse, _running_product, 1, "cumprod")
