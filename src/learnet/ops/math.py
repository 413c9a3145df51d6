"""Elementwise ops: arithmetic, powers, exponentials, comparisons.

Each op is one function: the forward on arrays, and beside it the backward that
carries a gradient ``g`` back to each input. The backward is written with learnet
ops on Tensors, so nested tapes can differentiate it again.

Broadcasting follows NumPy. A gradient flowing back to an input that was broadcast
is summed over the broadcast axes by ``unbroadcast``, the one helper every binary
op shares.
"""

import builtins

import numpy

from learnet.backend import xp
from learnet.tape import no_gradient, primitive
from learnet.tensor import Tensor


def unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched, back to ``shape``."""
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    from learnet.ops.reduce import reduce_sum
    from learnet.ops.shape import reshape

    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and g.shape[extra + i] != 1
    )
    summed = reduce_sum(g, axis=axes) if axes else g
    return reshape(summed, shape)


def _check_broadcast(name, a, b):
    if a.shape != b.shape:
        try:
            numpy.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            from learnet.errors import InvalidArgumentError  # TensorFlow's error; also a ValueError

            raise InvalidArgumentError(
                None, None, f"{name}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast together"
            ) from None


def _concatenate_strings(x, y):
    # String tensors hold Python bytes in object arrays: ``+`` joins them elementwise, as
    # ``tf.strings.join`` does. NumPy hands back a bare ``bytes`` for two scalars, so the
    # result is wrapped back into a (0-d) array.
    if x.dtype != object or y.dtype != object:
        raise TypeError(f"add: cannot add a string tensor and a {(y if x.dtype == object else x).dtype} tensor")
    return numpy.asarray(numpy.add(x, y), dtype=object)


# --- arithmetic ---------------------------------------------------------------------
@primitive(same_float_dtype=True)
def add(x, y, name=None):
    """Elementwise ``x + y`` (broadcasting)."""
    _check_broadcast("add", x, y)
    if x.dtype == object or y.dtype == object:
        return _concatenate_strings(x, y), lambda g, x, y, out: (None, None)
    return x + y, lambda g, x, y, out: (unbroadcast(g, x.shape), unbroadcast(g, y.shape))


@primitive(same_float_dtype=True)
def subtract(x, y, name=None):
    """Elementwise ``x - y`` (broadcasting)."""
    _check_broadcast("subtract", x, y)
    return x - y, lambda g, x, y, out: (unbroadcast(g, x.shape), unbroadcast(-g, y.shape))


@primitive(same_float_dtype=True)
def multiply(x, y, name=None):
    """Elementwise ``x * y`` (broadcasting)."""
    _check_broadcast("multiply", x, y)
    return x * y, lambda g, x, y, out: (unbroadcast(g * y, x.shape), unbroadcast(g * x, y.shape))


@primitive(same_float_dtype=True)
def divide(x, y, name=None):
    """Elementwise ``x / y`` on two tensors (the recorded op; see ``divide`` below)."""
    _check_broadcast("divide", x, y)
    return (
        xp.true_divide(x, y),
        lambda g, x, y, out: (unbroadcast(g / y, x.shape), unbroadcast(-g * out / y, y.shape)),
    )


# The op the tape records is the primitive above (its name, "divide", is how saved graphs
# find it again); the public ``divide`` first turns integer inputs into floats.
_divide = divide


def _true_division_float(dtype):
    """TensorFlow's float type for dividing integers of ``dtype``: float32 for 8 and 16 bits
    (every such integer is exact in float32), float64 for 32 and 64 bits."""
    return numpy.dtype("float32") if dtype.itemsize <= 2 else numpy.dtype("float64")


def _integer_division_dtype(x, y):
    """The integer dtype ``x / y`` divides in, or None when it divides no integers.

    The tensors among ``x`` and ``y`` decide (a plain number or array takes their dtype,
    as TensorFlow converts it); with no tensor, ``x`` does, as TensorFlow converts it first.
    Two integer tensors of different dtypes are refused, as TensorFlow refuses them.
    """
    dtypes = [v._value.dtype for v in (x, y) if isinstance(v, Tensor)]
    if not dtypes:
        from learnet.tape import _convert_all

        dtypes = [_convert_all([x], "divide")[0]._value.dtype]
    if len(dtypes) == 2 and dtypes[0] != dtypes[1] and dtypes[0].kind in "iu" and dtypes[1].kind in "iu":
        raise TypeError(
            f"divide: x and y must have the same dtype, got tf.{dtypes[0].name} != tf.{dtypes[1].name}: "
            "cast one of them with tf.cast"
        )
    if builtins.all(dtype.kind in "iu" for dtype in dtypes):
        return dtypes[0]
    return None


def _as_float_operand(value, dtype):
    if isinstance(value, Tensor):
        return value if value._value.dtype == dtype else cast(value, dtype)
    from learnet.tensor import to_array

    return Tensor._wrap(to_array(value, dtype))


def divide(x, y, name=None):  # type: ignore[no-redef]  # noqa: F811 - the public face of the primitive above
    """Elementwise ``x / y`` (broadcasting), as ``tf.math.divide``, ``tf.math.truediv`` and ``/``.

    Integers are divided as floats, by TensorFlow's rule: 8- and 16-bit integers
    (``int8``, ``uint8``, ``int16``, ``uint16``) give ``float32``, 32- and 64-bit ones
    ``float64``. A plain number or array beside an integer tensor is divided in the
    same float type (so ``uint8`` pixels ``/ 255`` give ``float32``); two integer tensors of
    different dtypes raise ``TypeError``, as in TensorFlow. Floats keep their dtype.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as tf
    >>> pixels = tf.constant(np.array([0, 51, 255], dtype="uint8"))
    >>> (pixels / 255).numpy()
    array([0. , 0.2, 1. ], dtype=float32)
    >>> (tf.constant([1, 2]) / 2).dtype.name  # int32 divides in float64
    'float64'
    """
    integer = _integer_division_dtype(x, y)
    if integer is None:
        return _divide(x, y)
    target = _true_division_float(integer)
    return _divide(_as_float_operand(x, target), _as_float_operand(y, target))


@primitive
def negative(x, name=None):
    """Elementwise ``-x``."""
    return -x, lambda g, x, out: -g


@primitive(same_float_dtype=True)
def pow(x, y, name=None):  # noqa: A001 - TensorFlow's name
    """Elementwise ``x ** y`` (broadcasting).

    The gradient with respect to ``y`` is ``x**y * log(x)``, taken as 0 where ``x`` is 0.
    """
    _check_broadcast("pow", x, y)

    def backward(g, x, y, out):
        grad_x = unbroadcast(g * y * x ** (y - 1), x.shape)

        def grad_y():
            safe_log = log(where(x > 0, x, ones_like_value(x)))
            return unbroadcast(g * out * safe_log, y.shape)

        return grad_x, grad_y

    return xp.power(x, y), backward


def ones_like_value(x):
    return Tensor._wrap(xp.ones_like(x._value))


@primitive
def square(x, name=None):
    """Elementwise ``x * x``."""
    return x * x, lambda g, x, out: g * 2 * x


@primitive
def sqrt(x, name=None):
    """Elementwise square root."""
    y = xp.sqrt(x)
    return y, lambda g, x, out: g / (2 * out)


@primitive
def rsqrt(x, name=None):
    """Elementwise ``1 / sqrt(x)``."""
    y = 1 / xp.sqrt(x)
    return y, lambda g, x, out: g * (-0.5) * out / x


@primitive
def reciprocal(x, name=None):
    """Elementwise ``1 / x``."""
    return 1 / x, lambda g, x, out: -g * out * out


@primitive
def exp(x, name=None):
    """Elementwise ``e ** x``."""
    y = xp.exp(x)
    return y, lambda g, x, out: g * out


@primitive
def log(x, name=None):
    """Elementwise natural logarithm."""
    return xp.log(x), lambda g, x, out: g / x


@primitive
def log1p(x, name=None):
    """Elementwise ``log(1 + x)``, accurate for small ``x``."""
    return xp.log1p(x), lambda g, x, out: g / (1 + x)


@primitive
def abs(x, name=None):  # noqa: A001 - TensorFlow's name
    """Elementwise absolute value (its gradient at 0 is taken as 0)."""
    return xp.abs(x), lambda g, x, out: g * sign(x)


@primitive
def sign(x, name=None):
    """Elementwise sign: -1, 0 or 1. Its gradient is zero."""
    return xp.sign(x), lambda g, x, out: g * 0


@primitive
def sin(x, name=None):
    """Elementwise sine."""
    return xp.sin(x), lambda g, x, out: g * cos(x)


@primitive
def cos(x, name=None):
    """Elementwise cosine."""
    return xp.cos(x), lambda g, x, out: -g * sin(x)


@primitive
def tan(x, name=None):
    """Elementwise tangent."""
    return xp.tan(x), lambda g, x, out: g * (1 + out * out)


@primitive
def tanh(x, name=None):
    """Elementwise hyperbolic tangent."""
    y = xp.tanh(x)
    return y, lambda g, x, out: g * (1 - out * out)


@primitive(same_float_dtype=True)
def maximum(x, y, name=None):
    """Elementwise larger of ``x`` and ``y`` (ties send the gradient to ``x``)."""
    _check_broadcast("maximum", x, y)

    def backward(g, x, y, out):
        pick_x = cast_like(x >= y, g)
        return unbroadcast(g * pick_x, x.shape), unbroadcast(g * (1 - pick_x), y.shape)

    return xp.maximum(x, y), backward


@primitive(same_float_dtype=True)
def minimum(x, y, name=None):
    """Elementwise smaller of ``x`` and ``y`` (ties send the gradient to ``x``)."""
    _check_broadcast("minimum", x, y)

    def backward(g, x, y, out):
        pick_x = cast_like(x <= y, g)
        return unbroadcast(g * pick_x, x.shape), unbroadcast(g * (1 - pick_x), y.shape)

    return xp.minimum(x, y), backward


def cast_like(mask, like):
    """A boolean tensor as 0/1 of ``like``'s dtype (a constant for the tape)."""
    return Tensor._wrap(mask._value.astype(like._value.dtype))


@primitive(inputs=3)
def _where(condition, x, y):
    _check_broadcast("where", x, y)

    def backward(g, condition, x, y, out):
        keep = cast_like(condition, g)
        return None, unbroadcast(g * keep, x.shape), unbroadcast(g * (1 - keep), y.shape)

    return xp.where(condition, x, y), backward


def where(condition, x=None, y=None, name=None):
    """Pick from ``x`` where ``condition`` is true, else from ``y`` (broadcasting).

    With only ``condition``, return the indices of its true elements, as ``tf.where``.
    """
    if x is None and y is None:
        from learnet.tensor import to_array

        return Tensor._wrap(xp.argwhere(to_array(condition)).astype(numpy.int64))
    if x is None or y is None:
        raise ValueError("where needs both x and y, or neither")
    if not isinstance(x, Tensor) and isinstance(y, Tensor):
        from learnet.tensor import to_array

        x = Tensor._wrap(to_array(x, y.dtype))
    return _where(condition, x, y)


@primitive
def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """Clip ``t`` into ``[clip_value_min, clip_value_max]``; no gradient where clipped."""
    low, high = clip_value_min, clip_value_max

    def backward(g, x, low, high, out):
        inside = cast_like((x >= low) & (x <= high), g)
        return g * inside, None, None

    return xp.clip(t, low, high), backward


@primitive
def identity(input, name=None):  # noqa: A002 - TensorFlow's name
    """Return ``input`` unchanged (a new tensor; the gradient passes straight through)."""
    return input.copy(), lambda g, x, out: g


@primitive(inputs=1)
def cast(x, dtype):
    """Convert ``x`` to ``dtype``; gradients flow between float and complex types only.

    As in TensorFlow, a complex number cast to a real type keeps its real part, and
    the gradient of a real number cast to a complex type is the real part of ``g``.
    """
    from learnet.tensor import _as_dtype

    target = _as_dtype(dtype)
    source = x.dtype

    def backward(g, x, out):
        if source.kind not in "fc" or target.kind not in "fc":
            return None
        return cast(g, source)

    if source.kind == "c" and target.kind != "c":
        return x.real.astype(target), backward
    return x.astype(target), backward


# --- comparisons and logic: not differentiable, they return bool tensors -----------------
def _comparison(ufunc, name):
    def compare(x, y):
        from learnet.tape import _convert_all

        x, y = _convert_all([x, y], name)
        _check_broadcast(name, x._value, y._value)
        return Tensor._wrap(ufunc(x._value, y._value))

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = f"Elementwise ``{name}`` comparison; returns a bool tensor (no gradient)."
    return no_gradient(compare)


equal = _comparison(xp.equal, "equal")
not_equal = _comparison(xp.not_equal, "not_equal")
less = _comparison(xp.less, "less")
less_equal = _comparison(xp.less_equal, "less_equal")
greater = _comparison(xp.greater, "greater")
greater_equal = _comparison(xp.greater_equal, "greater_equal")
logical_and = _comparison(xp.logical_and, "logical_and")
logical_or = _comparison(xp.logical_or, "logical_or")
logical_xor = _comparison(xp.logical_xor, "logical_xor")


@no_gradient
def logical_not(x, name=None):
    """Elementwise logical not; returns a bool tensor."""
    from learnet.tensor import to_array

    return Tensor._wrap(xp.logical_not(to_array(x)))


def _no_gradient(ufunc, name):
    def op(x):
        from learnet.tensor import to_array

        return Tensor._wrap(ufunc(to_array(x)))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` (piecewise constant: no gradient)."
    return no_gradient(op)


floor = _no_gradient(xp.floor, "floor")
ceil = _no_gradient(xp.ceil, "ceil")
round = _no_gradient(xp.round, "round")  # noqa: A001 - TensorFlow's name
is_nan = _no_gradient(xp.isnan, "is_nan")
is_inf = _no_gradient(xp.isinf, "is_inf")
is_finite = _no_gradient(xp.isfinite, "is_finite")


@no_gradient
def floordiv(x, y, name=None):
    """Elementwise division rounded down (``x // y``, ``tf.math.floordiv``); integers stay integers.
    Not differentiable, as in TensorFlow.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.math.floordiv(tf.constant([7, -7]), 2).numpy().tolist()
    [3, -4]
    """
    from learnet.tape import _convert_all

    x, y = _convert_all([x, y], "floordiv")
    _check_broadcast("floordiv", x._value, y._value)
    return Tensor._wrap(xp.floor_divide(x._value, y._value))


@primitive(inputs=2)
def floormod(x, y, name=None):
    """Elementwise remainder of the division rounded down (``x % y``, ``tf.math.floormod`` and
    ``tf.math.mod``): it takes the sign of ``y``, as in Python and TensorFlow.

    Differentiable as TensorFlow's: ``x - floor(x / y) * y`` gives the gradient ``g`` to ``x``
    and ``-floor(x / y) * g`` to ``y`` (the jumps are left out).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.math.floormod(tf.constant([7, -7]), 3).numpy().tolist()
    [1, 2]
    """
    _check_broadcast("floormod", x, y)

    def backward(g, x, y, out):
        return unbroadcast(g, x.shape), unbroadcast(g * -floordiv(x, y), y.shape)

    return xp.mod(x, y), backward


mod = floormod
