"""``tf.debugging``: checks that stop a program where a tensor is not what it should be.

Each ``assert_*`` compares tensors now (learnet runs every op at once) and raises
``tf.errors.InvalidArgumentError`` with TensorFlow's wording when the condition does not
hold; it returns ``None`` when it does. ``check_numerics`` returns its tensor unless it
holds a NaN or an infinity, and ``enable_check_numerics()`` makes every op check its
output that way until ``disable_check_numerics()``.

Examples
--------
>>> import learnet as tf
>>> x = tf.constant([1.0, 2.0])
>>> tf.debugging.assert_equal(x, [1.0, 2.0])
>>> tf.debugging.assert_less(x, 2.0)
Traceback (most recent call last):
...
learnet.errors.InvalidArgumentError: Condition x < y did not hold.
...
"""

import sys

import numpy

from learnet import errors
from learnet.backend import to_numpy
from learnet.tensor import Tensor, convert_to_tensor

__all__ = [
    "Assert",
    "assert_all_finite",
    "assert_equal",
    "assert_greater",
    "assert_greater_equal",
    "assert_integer",
    "assert_less",
    "assert_less_equal",
    "assert_near",
    "assert_negative",
    "assert_non_negative",
    "assert_non_positive",
    "assert_none_equal",
    "assert_positive",
    "assert_rank",
    "assert_rank_at_least",
    "assert_rank_in",
    "assert_scalar",
    "assert_shapes",
    "assert_type",
    "check_numerics",
    "disable_check_numerics",
    "enable_check_numerics",
    "is_non_decreasing",
    "is_numeric_tensor",
    "is_strictly_increasing",
    "set_log_device_placement",
]


def _array(value):
    return to_numpy(value._value) if isinstance(value, Tensor) else numpy.asarray(value)


def _fail(message, condition, x, y=None, summarize=None):
    limit = 3 if summarize is None else int(summarize)
    shown = [f"x (shape={_array(x).shape}) = {_array(x).ravel()[:limit].tolist()}"]
    if y is not None:
        shown.append(f"y (shape={_array(y).shape}) = {_array(y).ravel()[:limit].tolist()}")
    text = "\n".join(([str(message)] if message else []) + [f"Condition {condition} did not hold."] + shown)
    raise errors.InvalidArgumentError(None, None, text)


def _compare(x, y, holds, condition, message, summarize):
    a, b = _array(x), _array(y)
    try:
        ok = holds(a, b)
    except ValueError:
        raise errors.InvalidArgumentError(
            None, None, f"{condition}: shapes {a.shape} and {b.shape} are not compatible"
        ) from None
    if not numpy.all(ok):
        _fail(message, condition, x, y, summarize)


def assert_equal(x, y, message=None, summarize=None, name=None):
    """Raise unless ``x == y`` everywhere (after broadcasting)."""
    _compare(x, y, numpy.equal, "x == y", message, summarize)


def assert_none_equal(x, y, message=None, summarize=None, name=None):
    """Raise unless ``x != y`` everywhere."""
    _compare(x, y, numpy.not_equal, "x != y", message, summarize)


def assert_less(x, y, message=None, summarize=None, name=None):
    """Raise unless ``x < y`` everywhere."""
    _compare(x, y, numpy.less, "x < y", message, summarize)


def assert_less_equal(x, y, message=None, summarize=None, name=None):
    """Raise unless ``x <= y`` everywhere."""
    _compare(x, y, numpy.less_equal, "x <= y", message, summarize)


def assert_greater(x, y, message=None, summarize=None, name=None):
    """Raise unless ``x > y`` everywhere."""
    _compare(x, y, numpy.greater, "x > y", message, summarize)


def assert_greater_equal(x, y, message=None, summarize=None, name=None):
    """Raise unless ``x >= y`` everywhere."""
    _compare(x, y, numpy.greater_equal, "x >= y", message, summarize)


def assert_near(x, y, rtol=None, atol=None, message=None, summarize=None, name=None):
    """Raise unless ``|x - y| <= atol + rtol * |y|`` everywhere (defaults: 10 float epsilons)."""
    kind = numpy.result_type(_array(x), _array(y))
    eps = numpy.finfo(kind).eps if kind.kind == "f" else numpy.finfo(numpy.float32).eps
    rtol = 10 * eps if rtol is None else rtol
    atol = 10 * eps if atol is None else atol
    _compare(
        x,
        y,
        lambda a, b: numpy.abs(a - b) <= atol + rtol * numpy.abs(b),
        "x and y not equal to tolerance",
        message,
        summarize,
    )


def _sign_check(x, holds, condition, message, summarize):
    if not numpy.all(holds(_array(x))):
        _fail(message, condition, x, None, summarize)


def assert_positive(x, message=None, summarize=None, name=None):
    """Raise unless every element of ``x`` is above 0."""
    _sign_check(x, lambda a: a > 0, "x > 0", message, summarize)


def assert_negative(x, message=None, summarize=None, name=None):
    """Raise unless every element of ``x`` is below 0."""
    _sign_check(x, lambda a: a < 0, "x < 0", message, summarize)


def assert_non_negative(x, message=None, summarize=None, name=None):
    """Raise unless every element of ``x`` is 0 or more."""
    _sign_check(x, lambda a: a >= 0, "x >= 0", message, summarize)


def assert_non_positive(x, message=None, summarize=None, name=None):
    """Raise unless every element of ``x`` is 0 or less."""
    _sign_check(x, lambda a: a <= 0, "x <= 0", message, summarize)


def assert_all_finite(t, message, name=None):
    """``t`` itself when it holds no NaN or infinity; else the error (TensorFlow's ``verify_tensor_all_finite``)."""
    return check_numerics(t, message)


def check_numerics(tensor, message, name=None):
    """``tensor`` itself, unless it holds a NaN or an infinity: then ``InvalidArgumentError``.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.debugging.check_numerics(tf.constant([1.0, 0.0]) / 0.0, "ratio")
    Traceback (most recent call last):
    ...
    learnet.errors.InvalidArgumentError: ratio : Tensor had NaN and Inf values
    """
    tensor = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor)
    values = to_numpy(tensor._value)
    if values.dtype.kind not in "fc":
        raise TypeError(f"check_numerics: {message}: the tensor must hold floats, got {values.dtype}")
    problem = _non_finite(values)
    if problem:
        raise errors.InvalidArgumentError(None, None, f"{message} : Tensor had {problem} values")
    return tensor


def _non_finite(values):
    nan, inf = bool(numpy.isnan(values).any()), bool(numpy.isinf(values).any())
    return " and ".join(word for word, found in (("NaN", nan), ("Inf", inf)) if found)


def _rank_of(x):
    return _array(x).ndim


def assert_rank(x, rank, message=None, name=None):
    """Raise unless ``x`` has rank ``rank``."""
    if _rank_of(x) != int(_array(rank)):
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{message + ' ' if message else ''}Tensor must have rank {int(_array(rank))}. Received rank {_rank_of(x)}, shape {_array(x).shape}",
        )


def assert_rank_at_least(x, rank, message=None, name=None):
    """Raise unless ``x`` has rank ``rank`` or more."""
    if _rank_of(x) < int(_array(rank)):
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{message + ' ' if message else ''}Tensor must have rank at least {int(_array(rank))}. Received rank {_rank_of(x)}",
        )


def assert_rank_in(x, ranks, message=None, name=None):
    """Raise unless the rank of ``x`` is one of ``ranks``."""
    allowed = [int(_array(r)) for r in ranks]
    if _rank_of(x) not in allowed:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{message + ' ' if message else ''}Tensor must have rank in {allowed}. Received rank {_rank_of(x)}",
        )


def assert_scalar(tensor, message=None, name=None):
    """Raise unless ``tensor`` is a scalar (rank 0)."""
    if _rank_of(tensor) != 0:
        raise ValueError(f"{message + ' ' if message else ''}Expected scalar shape, saw shape: {_array(tensor).shape}.")


def assert_type(tensor, tf_type, message=None, name=None):
    """Raise a ``TypeError`` unless ``tensor`` has dtype ``tf_type``."""
    tensor = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor)
    if tensor.dtype != tf_type:
        raise TypeError(f"{message + ' ' if message else ''}{tensor.dtype} must be of type {tf_type}")


def assert_integer(x, message=None, name=None):
    """Raise a ``TypeError`` unless ``x`` holds integers."""
    if _array(x).dtype.kind not in "iu":
        raise TypeError(f"{message + ' ' if message else ''}Expected integer type, got {_array(x).dtype}")


def assert_shapes(shapes, data=None, summarize=None, message=None, name=None):
    """Raise unless every tensor has its shape: ``[(x, ("N", "D")), (y, ("N",)), (z, ())]``.

    A dimension is an int (that size), a letter (the same size wherever the letter
    appears) or ``"."`` (any size); a shape may start with ``"*"`` or ``"..."`` for any
    number of leading dimensions.
    """
    items = shapes.items() if isinstance(shapes, dict) else shapes
    sizes = {}
    for index, (tensor, wanted) in enumerate(items):
        actual = _array(tensor).shape
        wanted = [wanted] if isinstance(wanted, (str, int)) and wanted not in ("*", "...") else list(wanted)
        leading = bool(wanted) and wanted[0] in ("*", "...")
        wanted = wanted[1:] if leading else wanted
        if len(actual) < len(wanted) or (not leading and len(actual) != len(wanted)):
            raise ValueError(
                f"{message + ' ' if message else ''}Specified by tensor {index} dimension rank: "
                f"expected {len(wanted)}, got shape {actual}"
            )
        for position, (size, spec) in enumerate(zip(actual[len(actual) - len(wanted) :], wanted)):
            if spec == "." or spec is None:
                continue
            expected = sizes.setdefault(spec, size) if isinstance(spec, str) else int(spec)
            if size != expected:
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"{message + ' ' if message else ''}Specified by tensor {index} dimension {position}: "
                    f"tensor must have size {expected} ({spec!r}), got shape {actual}",
                )


def Assert(condition, data, summarize=None, name=None):  # noqa: N802 - TensorFlow's name
    """Raise ``InvalidArgumentError`` showing ``data`` unless ``condition`` is true."""
    if not bool(numpy.all(_array(condition))):
        limit = 3 if summarize is None else int(summarize)
        shown = [str(d) if isinstance(d, str) else str(_array(d).ravel()[:limit].tolist()) for d in data]
        raise errors.InvalidArgumentError(None, None, "assertion failed: [" + "] [".join(shown) + "]")


def is_numeric_tensor(tensor):
    """Whether ``tensor`` is a tensor of numbers."""
    return isinstance(tensor, Tensor) and to_numpy(tensor._value).dtype.kind in "biufc"


def is_non_decreasing(x, name=None):
    """Whether the elements of ``x`` (in row-major order) never decrease, as a boolean tensor."""
    values = _array(x).ravel()
    return Tensor._wrap(numpy.asarray(bool(numpy.all(values[1:] >= values[:-1]))))


def is_strictly_increasing(x, name=None):
    """Whether the elements of ``x`` (in row-major order) always increase, as a boolean tensor."""
    values = _array(x).ravel()
    return Tensor._wrap(numpy.asarray(bool(numpy.all(values[1:] > values[:-1]))))


_plain_wrap = Tensor.__dict__["_wrap"]


def _checking_wrap(cls, array):
    values = to_numpy(array)
    if values.dtype.kind in "fc":
        problem = _non_finite(values)
        if problem:
            caller = sys._getframe(1)
            op = caller.f_locals.get("name") if isinstance(caller.f_locals.get("name"), str) else caller.f_code.co_name
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Detected {problem} in the output of eagerly-executing op {op!r} "
                "(tf.debugging.enable_check_numerics is on)",
            )
    return _plain_wrap.__func__(cls, array)


def enable_check_numerics(stack_height_limit=30, path_length_limit=50):
    """Make every op raise ``InvalidArgumentError`` when its output holds a NaN or an infinity.

    The op's name is in the message: the first place a NaN appears, not where it ends up.
    ``disable_check_numerics()`` turns it off (it costs a scan of every output).
    """
    Tensor._wrap = classmethod(_checking_wrap)


def disable_check_numerics():
    """Stop the checks that ``enable_check_numerics`` started."""
    Tensor._wrap = _plain_wrap


def set_log_device_placement(enabled):
    """Accepted for compatibility: every op runs on learnet's one device (the CPU, or the GPU with CuPy)."""
