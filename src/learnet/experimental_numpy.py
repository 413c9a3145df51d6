"""``tf.experimental.numpy`` ("tnp"): NumPy's API over learnet tensors.

``import learnet.experimental.numpy as tnp`` gives NumPy's names (``tnp.ones``,
``tnp.sum``, ``tnp.matmul``, ``tnp.random.randn``...) whose results are learnet
tensors, so they are recorded on a ``GradientTape`` and differentiate like any op.
``tnp.ndarray`` *is* learnet's ``Tensor``: nothing is copied between the two worlds.

The functions follow NumPy's (and TensorFlow's tnp) dtype rules, which are not
learnet's own: a Python ``float`` becomes ``float64`` and a Python ``int`` becomes
``int64`` (``prefer_float32=True`` makes Python floats ``float32``), ``tnp.ones``
is ``float64`` by default, integer inputs of ``sqrt`` or ``mean`` give ``float64``,
and mixed inputs are promoted as NumPy promotes them (``int32`` with ``float32`` gives
``float64``). Most of the work is delegated to ``keras.ops`` (``learnet.keras_ops``),
which writes every function once.

``experimental_enable_numpy_behavior()`` gives every tensor NumPy's methods
(``x.astype``, ``x.tolist()``, ``x.ravel()``, ``x.mean()``...) and makes its
operators promote mixed dtypes, as TensorFlow does.

Examples
--------
>>> import learnet.experimental.numpy as tnp
>>> x = tnp.ones([2, 3])
>>> x.dtype, tnp.sum(x).numpy()
(dtype('float64'), np.float64(6.0))
>>> tnp.asarray(1).dtype, tnp.asarray(1.0).dtype
(dtype('int64'), dtype('float64'))
"""

import builtins
import importlib
import math as _pymath
import types as _types

import numpy as _np

from learnet import backend, keras_ops
from learnet.backend import to_numpy, xp
from learnet.tensor import Tensor, to_array

_ops = importlib.import_module("learnet.ops")


# --- state of the NumPy behaviour ---------------------------------------------------------------
_MODES = ("off", "legacy", "safe", "all")
_state = {"enabled": False, "prefer_float32": False, "mode": "legacy"}

# --- dtypes and constants, as NumPy (and tnp) name them ---------------------------------------
ndarray = Tensor
newaxis = None
bool_ = _np.bool_
int8, int16, int32, int64 = _np.int8, _np.int16, _np.int32, _np.int64
uint8, uint16, uint32, uint64 = _np.uint8, _np.uint16, _np.uint32, _np.uint64
float16, float32, float64 = _np.float16, _np.float32, _np.float64
complex64, complex128 = _np.complex64, _np.complex128
int_, float_, complex_ = _np.int64, _np.float64, _np.complex128
object_, string_, unicode_ = _np.object_, _np.bytes_, _np.str_
inexact = _np.inexact
pi, e, inf = _np.pi, _np.e, _np.inf
finfo, iinfo, issubdtype = _np.finfo, _np.iinfo, _np.issubdtype


def _dtype(dtype):
    """``numpy.dtype`` of ``dtype`` (a NumPy type, a string, ``float``...), with a clear error."""
    if dtype is None:
        return None
    if isinstance(dtype, Tensor):
        raise TypeError(f"expected a dtype such as tnp.float32, got a tensor {dtype!r}")
    if dtype is float:
        return _np.dtype(_np.float64)
    try:
        return _np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"{dtype!r} is not a data type tnp knows (try tnp.float32 or 'int64')") from error


def _sized_32():
    """True in the modes where Python numbers are 32-bit (``dtype_conversion_mode='all'|'safe'``)."""
    return _state["enabled"] and _state["mode"] in ("all", "safe")


def _default_float():
    """The float dtype tnp gives a Python ``float`` (float64, or float32 when preferred)."""
    return _np.dtype(_np.float32 if (_state["prefer_float32"] or _sized_32()) else _np.float64)


def _default_int():
    return _np.dtype(_np.int32 if _sized_32() else _np.int64)


def _default_creation_float():
    """The dtype of ``tnp.ones``/``zeros``/``eye`` without ``dtype``: float64 as NumPy's."""
    return _np.dtype(_np.float32 if _sized_32() else _np.float64)


_PYTHON_SCALARS = (bool, int, float, complex)


def _infer(value):
    """The dtype tnp gives ``value`` when none is asked for."""
    if isinstance(value, Tensor):
        return value.dtype
    if isinstance(value, (_np.ndarray, _np.generic)):
        return value.dtype
    if isinstance(value, bool):
        return _np.dtype(bool)
    if isinstance(value, int):
        return _default_int() if -(2**31) <= value < 2**31 else _np.dtype(_np.int64)
    if isinstance(value, float):
        return _default_float()
    if isinstance(value, complex):
        return _np.dtype(_np.complex128)
    try:
        array = _np.asarray(value if not isinstance(value, (list, tuple)) else _plain(value))
    except (ValueError, TypeError) as error:
        raise ValueError(f"cannot convert {_describe(value)} to a tnp array: {error}") from error
    if array.dtype.kind == "f" and array.dtype == _np.float64 and not _holds_numpy_float64(value):
        return _default_float()
    if array.dtype.kind == "i" and array.dtype == _np.int64 and _sized_32():
        return _np.dtype(_np.int32)
    return array.dtype


def _plain(value):
    """Nested lists with tensors replaced by NumPy arrays (NumPy then infers their dtype)."""
    if isinstance(value, Tensor):
        return to_numpy(value._value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _holds_numpy_float64(value):
    if isinstance(value, (list, tuple)):
        return builtins.any(_holds_numpy_float64(v) for v in value)
    return isinstance(value, (_np.ndarray, _np.generic, Tensor)) and value.dtype == _np.float64


def _describe(value):
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def _array(value, dtype=None):
    """A backend array of ``value`` with tnp's dtype rules (``dtype`` wins when given)."""
    dtype = _dtype(dtype)
    if isinstance(value, Tensor):
        array = value._value
        return array if dtype is None or array.dtype == dtype else array.astype(dtype)
    if value is None:
        raise ValueError("cannot convert None to a tnp array")
    if dtype is None:
        if isinstance(value, (str, bytes)) or (
            isinstance(value, (list, tuple, _np.ndarray)) and _np.asarray(_plain(value)).dtype.kind in "USO"
        ):
            return to_array(value)  # text: learnet's string tensors
        dtype = _infer(value)
    if isinstance(value, (list, tuple)):
        value = _plain(value)
    return to_array(value, dtype)


def _t(value, dtype=None):
    """``value`` as a Tensor; a tensor keeps its identity (and its place on the tape)."""
    if isinstance(value, Tensor):
        dtype = _dtype(dtype)
        return value if dtype is None or value.dtype == dtype else _ops.cast(value, dtype)
    return Tensor._wrap(_array(value, dtype))


def _cast(x, dtype):
    dtype = _dtype(dtype)
    return x if dtype is None or x.dtype == dtype else _ops.cast(x, dtype)


# --- type promotion --------------------------------------------------------------------------------
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _weak_or_strong(value):
    """``(dtype, weak)``: Python numbers (and nested lists of them) are weak, as in NumPy 2 and tnp."""
    if isinstance(value, (Tensor, _np.ndarray, _np.generic)):
        return value.dtype, False
    if isinstance(value, (type, _np.dtype, str)):
        return _dtype(value), False
    if isinstance(value, _PYTHON_SCALARS):
        return _infer(value), True
    if isinstance(value, (list, tuple)):
        return _infer(value), not _holds_tensor_or_array(value)
    return _infer(value), False


def _holds_tensor_or_array(value):
    if isinstance(value, (list, tuple)):
        return builtins.any(_holds_tensor_or_array(v) for v in value)
    return isinstance(value, (Tensor, _np.ndarray, _np.generic))


def _join_weak(strong, weak):
    """NumPy's rule for a strong dtype meeting a Python number: the number's kind only matters
    when it is higher (an ``int32`` array plus ``1.5`` is ``float64``, plus ``1`` is ``int32``)."""
    if _KIND_RANK[weak.kind] <= _KIND_RANK[strong.kind]:
        return strong
    if weak.kind == "c" and strong.kind == "f":
        return _np.dtype(_np.complex64 if strong.itemsize <= 4 else _np.complex128)
    return _np.result_type(strong, weak)


def result_type(*arrays_and_dtypes):
    """The dtype NumPy's rules give a combination of arrays, numbers and dtypes.

    Python numbers are weak: they take the dtype of the arrays beside them unless their kind
    is higher (an int array with a float gives a float).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.result_type(tnp.ones([2], dtype=tnp.float32), 2.0)
    dtype('float32')
    >>> tnp.result_type(tnp.int32, tnp.float32)
    dtype('float64')
    """
    if not arrays_and_dtypes:
        raise ValueError("result_type needs at least one array or dtype")
    infos = [_weak_or_strong(a) for a in arrays_and_dtypes]
    strong = [d for d, weak in infos if not weak]
    weak = [d for d, is_weak in infos if is_weak]
    if not strong:
        result = _np.result_type(*weak)
        return _default_float() if result == _np.float64 else result
    result = _np.result_type(*strong)
    for dtype in weak:
        result = _join_weak(result, dtype)
    return result


def promote_types(type1, type2):
    """The smallest dtype both ``type1`` and ``type2`` convert to safely (NumPy's rule).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.promote_types(tnp.int32, tnp.float32)
    dtype('float64')
    """
    return _np.promote_types(_dtype(type1), _dtype(type2))


def _promote(*values):
    """Tensors of ``values`` in their common dtype (NumPy's rules)."""
    dtype = result_type(*values)
    return [_t(v, dtype) for v in values]


def _float_dtype_of(x):
    """NumPy's float result of a float function: integers and booleans give float64."""
    return x.dtype if x.dtype.kind in "fc" else _np.dtype(_np.float64)


def _floating(x):
    x = _t(x)
    return _cast(x, _float_dtype_of(x))


# --- array creation -----------------------------------------------------------------------------
def asarray(a, dtype=None):
    """``a`` as a tensor; a tensor of the asked dtype is returned as it is (no copy).

    Python floats become float64 and ints int64, as NumPy makes them (``prefer_float32``
    in :func:`experimental_enable_numpy_behavior` makes floats float32).

    Parameters
    ----------
    a : array_like
        A tensor, NumPy array, number or nested list.
    dtype : dtype, optional
        The dtype of the result.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.asarray([1, 2, 3]).dtype
    dtype('int64')
    >>> tnp.asarray([1, 2], dtype=tnp.float32).numpy()
    array([1., 2.], dtype=float32)
    """
    return _t(a, dtype)


asanyarray = ascontiguousarray = asarray


def array(val, dtype=None, copy=True, ndmin=0):
    """A new tensor holding ``val`` (with at least ``ndmin`` axes).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.array([1.0, 2.0], ndmin=2).shape
    TensorShape([1, 2])
    """
    x = _t(val, dtype)
    if copy and x is val:
        x = _ops.identity(x)
    if x.ndim < int(ndmin):
        x = _ops.reshape(x, (1,) * (int(ndmin) - x.ndim) + tuple(x.shape))
    return x


def copy(a):
    """A copy of ``a`` (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.copy(tnp.ones([2])).numpy()
    array([1., 1.])
    """
    return _ops.identity(_t(a))


def _shape(shape, what):
    if isinstance(shape, Tensor):
        shape = to_numpy(shape._value).tolist()
    if isinstance(shape, (int, _np.integer)):
        shape = (shape,)
    try:
        shape = tuple(int(s) for s in shape)
    except TypeError as error:
        raise TypeError(f"{what} expects a shape (an int or a sequence of ints), got {shape!r}") from error
    if builtins.any(s < 0 for s in shape):
        raise ValueError(f"{what}: negative dimensions are not allowed, got shape {shape}")
    return shape


def _filled(shape, value, dtype, what):
    dtype = _dtype(dtype) or _default_creation_float()
    return Tensor._wrap(xp.full(_shape(shape, what), value, dtype=dtype))


def zeros(shape, dtype=float):
    """A tensor of zeros (float64 by default, as NumPy).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.zeros((2, 3)).shape, tnp.zeros(2, dtype=tnp.int32).dtype
    (TensorShape([2, 3]), dtype('int32'))
    """
    return _filled(shape, 0, None if dtype is float else dtype, "zeros")


def ones(shape, dtype=float):
    """A tensor of ones (float64 by default, as NumPy).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.ones([2], dtype=tnp.float32).numpy()
    array([1., 1.], dtype=float32)
    """
    return _filled(shape, 1, None if dtype is float else dtype, "ones")


def empty(shape, dtype=float):
    """A tensor of ``shape`` (filled with zeros: a tensor's values are always defined).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.empty([2, 2]).shape
    TensorShape([2, 2])
    """
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=None):
    """A tensor of ``shape`` filled with ``fill_value`` (its dtype by default).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.full([2], 7).numpy()
    array([7, 7])
    """
    fill = _array(fill_value, dtype)
    return Tensor._wrap(xp.broadcast_to(fill, _shape(shape, "full")).copy())


def _like(a, dtype, value, shape):
    a = _t(a)
    dtype = _dtype(dtype) or a.dtype
    return Tensor._wrap(xp.full(tuple(a.shape) if shape is None else _shape(shape, "like"), value, dtype=dtype))


def zeros_like(a, dtype=None):
    """Zeros of the shape and dtype of ``a``.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.zeros_like(tnp.asarray([1, 2])).numpy()
    array([0, 0])
    """
    return _like(a, dtype, 0, None)


def ones_like(a, dtype=None):
    """Ones of the shape and dtype of ``a``.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.ones_like(tnp.asarray([1.5, 2.0])).numpy()
    array([1., 1.])
    """
    return _like(a, dtype, 1, None)


def empty_like(a, dtype=None):
    """A tensor of the shape and dtype of ``a`` (zeros).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.empty_like(tnp.ones([3], dtype=tnp.int32)).dtype
    dtype('int32')
    """
    return _like(a, dtype, 0, None)


def full_like(a, fill_value, dtype=None):
    """``fill_value`` in the shape (and dtype) of ``a``.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.full_like(tnp.zeros([2]), 3).numpy()
    array([3., 3.])
    """
    a = _t(a)
    dtype = _dtype(dtype) or a.dtype
    return Tensor._wrap(xp.broadcast_to(_array(fill_value, dtype), tuple(a.shape)).copy())


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values in ``[start, stop)`` (int64 for ints, float64 for floats).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.arange(4).numpy()
    array([0, 1, 2, 3])
    >>> tnp.arange(0, 1, 0.25).numpy()
    array([0.  , 0.25, 0.5 , 0.75])
    """
    if step == 0:
        raise ValueError("arange: step must not be zero")
    start, stop = (0, start) if stop is None else (start, stop)
    values = [_to_number(v, "arange") for v in (start, stop, step)]
    dtype = _dtype(dtype) or result_type(*values)
    return Tensor._wrap(xp.arange(*values).astype(dtype))


def _to_number(value, what):
    if isinstance(value, Tensor):
        value = value.numpy()
    if isinstance(value, _np.generic):
        value = value.item()
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"{what} expects numbers, got {value!r}")
    return value


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=float, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop``.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.linspace(0, 1, 5).numpy()
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    """
    if int(num) < 0:
        raise ValueError(f"linspace: num must be non-negative, got {num}")
    dtype = _default_float() if dtype is float else _dtype(dtype)
    values, step = _np.linspace(
        to_numpy(_array(start)), to_numpy(_array(stop)), int(num), endpoint=endpoint, retstep=True, axis=axis
    )
    out = Tensor._wrap(xp.asarray(values.astype(dtype)))
    return (out, step) if retstep else out


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """``num`` values evenly spaced on a log scale, from ``base**start`` to ``base**stop``.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.logspace(0, 2, 3).numpy()
    array([  1.,  10., 100.])
    """
    values = _np.logspace(to_numpy(_array(start)), to_numpy(_array(stop)), int(num), endpoint, base, axis=axis)
    return Tensor._wrap(xp.asarray(values.astype(_dtype(dtype) or _default_float())))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``num`` values in a geometric progression from ``start`` to ``stop``.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.geomspace(1, 100, 3).numpy()
    array([  1.,  10., 100.])
    """
    values = _np.geomspace(to_numpy(_array(start)), to_numpy(_array(stop)), int(num), endpoint, axis=axis)
    return Tensor._wrap(xp.asarray(values.astype(_dtype(dtype) or _default_float())))


def eye(N, M=None, k=0, dtype=float):
    """A 2-D tensor with ones on the ``k``-th diagonal (float64 by default).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.eye(2, dtype=tnp.int32).numpy()
    array([[1, 0],
           [0, 1]], dtype=int32)
    """
    dtype = _default_creation_float() if dtype is float else _dtype(dtype)
    return Tensor._wrap(xp.eye(int(N), None if M is None else int(M), k=int(k), dtype=dtype))


def identity(n, dtype=float):
    """The ``n`` x ``n`` identity matrix.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.identity(3).shape
    TensorShape([3, 3])
    """
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the ``k``-th diagonal.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.tri(2, dtype=tnp.int32).numpy()
    array([[1, 0],
           [1, 1]], dtype=int32)
    """
    dtype = _dtype(dtype) or _default_creation_float()
    return Tensor._wrap(xp.tri(int(N), None if M is None else int(M), k=int(k), dtype=dtype))


def tril(m, k=0):
    """``m`` with the entries above the ``k``-th diagonal set to zero (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.tril(tnp.ones([2, 2])).numpy()
    array([[1., 0.],
           [1., 1.]])
    """
    return keras_ops.tril(_at_least_2d_for("tril", m), k)


def triu(m, k=0):
    """``m`` with the entries below the ``k``-th diagonal set to zero (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.triu(tnp.ones([2, 2])).numpy()
    array([[1., 1.],
           [0., 1.]])
    """
    return keras_ops.triu(_at_least_2d_for("triu", m), k)


def _at_least_2d_for(what, m):
    m = _t(m)
    if m.ndim < 2:
        raise ValueError(f"{what} expects a tensor of at least 2 dimensions, got shape {tuple(m.shape)}")
    return m


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the 1-D ``x``: its columns are powers of ``x``.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.vander(tnp.asarray([1, 2, 3]), 3).numpy()
    array([[1, 1, 1],
           [4, 2, 1],
           [9, 3, 1]])
    """
    x = _t(x)
    if x.ndim != 1:
        raise ValueError(f"vander expects a 1-D tensor, got shape {tuple(x.shape)}")
    n = x.shape[0] if N is None else int(N)
    powers = _np.arange(n) if increasing else _np.arange(n)[::-1]
    return _ops.pow(_ops.reshape(x, [-1, 1]), Tensor._wrap(xp.asarray(powers.astype(x.dtype))))


def diag_indices(n, ndim=2):
    """The indices of the main diagonal of an ``n`` x ... x ``n`` array.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> [i.numpy().tolist() for i in tnp.diag_indices(2)]
    [[0, 1], [0, 1]]
    """
    return tuple(Tensor._wrap(xp.asarray(i)) for i in _np.diag_indices(int(n), int(ndim)))


def ix_(*args):
    """Index tensors that pick the cross product of 1-D index lists (NumPy's ``ix_``).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> [i.shape for i in tnp.ix_([0, 1], [2, 3])]
    [TensorShape([2, 1]), TensorShape([1, 2])]
    """
    return tuple(Tensor._wrap(xp.asarray(i)) for i in _np.ix_(*[to_numpy(_array(a)) for a in args]))


def meshgrid(*xi, indexing="xy"):
    """Coordinate grids from 1-D tensors.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> [g.shape for g in tnp.meshgrid(tnp.arange(3), tnp.arange(2))]
    [TensorShape([2, 3]), TensorShape([2, 3])]
    """
    return [Tensor._wrap(g) for g in xp.meshgrid(*[_array(v) for v in xi], indexing=indexing)]


# --- elementwise functions made from one pattern ----------------------------------------------
def _example(name, call):
    return (
        f"\n\n    Examples\n    --------\n    >>> import learnet.experimental.numpy as tnp\n"
        f"    >>> tnp.{name}({call}).shape\n    TensorShape([2])\n"
    )


def _float_unary(name, compute, doc, example="[0.25, 0.5]"):
    def function(x):
        return compute(_floating(x))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc + " Integer inputs give float64, as in NumPy." + _example(name, example)
    return function


def _log_base(base):
    return lambda x: _ops.log(x) / _pymath.log(base)


exp = _float_unary("exp", _ops.exp, "Elementwise ``e ** x`` (differentiable).")
exp2 = _float_unary("exp2", lambda x: _ops.exp(x * _pymath.log(2.0)), "Elementwise ``2 ** x`` (differentiable).")
expm1 = _float_unary("expm1", lambda x: _ops.exp(x) - 1, "Elementwise ``exp(x) - 1`` (differentiable).")
log = _float_unary("log", _ops.log, "Elementwise natural logarithm (differentiable).")
log2 = _float_unary("log2", _log_base(2.0), "Elementwise base-2 logarithm (differentiable).")
log10 = _float_unary("log10", _log_base(10.0), "Elementwise base-10 logarithm (differentiable).")
log1p = _float_unary("log1p", _ops.log1p, "Elementwise ``log(1 + x)`` (differentiable).")
sqrt = _float_unary("sqrt", _ops.sqrt, "Elementwise square root (differentiable).")
cbrt = _float_unary(
    "cbrt", lambda x: _ops.sign(x) * _ops.pow(_ops.abs(x), 1.0 / 3.0), "Elementwise cube root (differentiable)."
)
sin = _float_unary("sin", _ops.sin, "Elementwise sine (differentiable).")
cos = _float_unary("cos", _ops.cos, "Elementwise cosine (differentiable).")
tan = _float_unary("tan", _ops.tan, "Elementwise tangent (differentiable).")
arcsin = _float_unary("arcsin", keras_ops.arcsin, "Elementwise inverse sine (differentiable).")
arccos = _float_unary("arccos", keras_ops.arccos, "Elementwise inverse cosine (differentiable).")
arctan = _float_unary("arctan", keras_ops.arctan, "Elementwise inverse tangent (differentiable).")
sinh = _float_unary("sinh", keras_ops.sinh, "Elementwise hyperbolic sine (differentiable).")
cosh = _float_unary("cosh", keras_ops.cosh, "Elementwise hyperbolic cosine (differentiable).")
tanh = _float_unary("tanh", _ops.tanh, "Elementwise hyperbolic tangent (differentiable).")
arcsinh = _float_unary("arcsinh", keras_ops.arcsinh, "Elementwise inverse hyperbolic sine (differentiable).")
arccosh = _float_unary(
    "arccosh", keras_ops.arccosh, "Elementwise inverse hyperbolic cosine (differentiable).", "[1.5, 2.0]"
)
arctanh = _float_unary("arctanh", keras_ops.arctanh, "Elementwise inverse hyperbolic tangent (differentiable).")
deg2rad = _float_unary("deg2rad", lambda x: x * (_np.pi / 180.0), "Degrees to radians (differentiable).")
rad2deg = _float_unary("rad2deg", lambda x: x * (180.0 / _np.pi), "Radians to degrees (differentiable).")
reciprocal = _float_unary("reciprocal", lambda x: 1.0 / x, "Elementwise ``1 / x`` (differentiable).")
sinc = _float_unary(
    "sinc",
    lambda x: _ops.where(
        _ops.equal(x, 0.0), _ops.ones_like(x), _ops.sin(x * _np.pi) / _ops.where(_ops.equal(x, 0.0), 1.0, x * _np.pi)
    ),
    "Elementwise normalized sinc, ``sin(pi x) / (pi x)`` (differentiable).",
)


def _same_unary(name, compute, doc, example="[-1.5, 2.0]"):
    def function(x):
        return compute(_t(x))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc + _example(name, example)
    return function


def _no_gradient(numpy_function):
    return lambda x: Tensor._wrap(numpy_function(x._value))


absolute = abs = _same_unary("absolute", _ops.abs, "Elementwise absolute value (differentiable).")  # noqa: A001
fabs = _same_unary("fabs", lambda x: _ops.abs(_floating(x)), "Elementwise absolute value, as floats.")
negative = _same_unary("negative", _ops.negative, "Elementwise ``-x`` (differentiable).")
positive = _same_unary("positive", _ops.identity, "Elementwise ``+x`` (differentiable).")
square = _same_unary("square", _ops.square, "Elementwise ``x * x`` (differentiable).")
sign = _same_unary("sign", _ops.sign, "Elementwise sign: -1, 0 or 1.")
floor = _same_unary("floor", _no_gradient(xp.floor), "Elementwise floor.")
ceil = _same_unary("ceil", _no_gradient(xp.ceil), "Elementwise ceiling.")
fix = _same_unary("fix", _no_gradient(xp.fix), "Round towards zero, elementwise.")
conj = conjugate = _same_unary("conj", _ops.identity, "Complex conjugate (real tensors are returned unchanged).")
real = _same_unary("real", _no_gradient(xp.real), "The real part.")
imag = _same_unary("imag", _no_gradient(xp.imag), "The imaginary part.")
angle = _same_unary("angle", lambda x: _no_gradient(xp.angle)(_floating(x)), "The angle of complex numbers.")
isnan = _same_unary("isnan", _no_gradient(xp.isnan), "Where ``x`` is NaN.")
isinf = _same_unary("isinf", _no_gradient(xp.isinf), "Where ``x`` is infinite.")
isfinite = _same_unary("isfinite", _no_gradient(xp.isfinite), "Where ``x`` is finite.")
isposinf = _same_unary("isposinf", _no_gradient(xp.isposinf), "Where ``x`` is +inf.")
isneginf = _same_unary("isneginf", _no_gradient(xp.isneginf), "Where ``x`` is -inf.")
signbit = _same_unary("signbit", _no_gradient(xp.signbit), "Where the sign bit of ``x`` is set.")
logical_not = _same_unary("logical_not", _no_gradient(xp.logical_not), "Elementwise logical not.")
bitwise_not = _same_unary(
    "bitwise_not", lambda x: _no_gradient(xp.invert)(_integer("bitwise_not", x)), "Bitwise not of integers.", "[1, 2]"
)
iscomplex = _same_unary("iscomplex", _no_gradient(xp.iscomplex), "Where ``x`` has a non-zero imaginary part.")
isreal = _same_unary("isreal", _no_gradient(xp.isreal), "Where ``x`` has no imaginary part.")


def _integer(what, x):
    if x.dtype.kind not in "biu":
        raise TypeError(f"{what} expects integer or boolean tensors, got {x.dtype}")
    return x


def around(a, decimals=0):
    """Round to ``decimals`` places, halves to even (as NumPy; no gradient).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.around(tnp.asarray([0.5, 1.5, 2.5])).numpy()
    array([0., 2., 2.])
    """
    a = _t(a)
    return Tensor._wrap(xp.round(a._value, int(decimals)))


round = around  # noqa: A001 - NumPy's name


def iscomplexobj(x):
    """Whether ``x`` has a complex dtype.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.iscomplexobj(tnp.ones([2]))
    False
    """
    return _infer(x).kind == "c"


def isrealobj(x):
    """Whether ``x`` does not have a complex dtype.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.isrealobj(tnp.ones([2]))
    True
    """
    return not iscomplexobj(x)


def isscalar(num):
    """Whether ``num`` is a number or a tensor of shape ``()``.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.isscalar(tnp.asarray(1)), tnp.isscalar([1])
    (True, False)
    """
    if isinstance(num, Tensor):
        return num.ndim == 0
    return _np.isscalar(num)


# --- binary functions ---------------------------------------------------------------------------
def _binary(name, compute, doc, example="[1.0, 2.0], [3.0, 4.0]"):
    def function(x1, x2):
        return compute(*_promote(x1, x2))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc + " Mixed dtypes are promoted as NumPy promotes them." + _example(name, example)
    return function


def _float_binary(compute):
    def floating(x1, x2):
        dtype = _float_dtype_of(x1)
        return compute(_cast(x1, dtype), _cast(x2, dtype))

    return floating


def _no_gradient_binary(numpy_function):
    return lambda x1, x2: Tensor._wrap(numpy_function(x1._value, x2._value))


add = _binary("add", _ops.add, "Elementwise ``x1 + x2`` (differentiable).")
subtract = _binary("subtract", _ops.subtract, "Elementwise ``x1 - x2`` (differentiable).")
multiply = _binary("multiply", _ops.multiply, "Elementwise ``x1 * x2`` (differentiable).")
true_divide = divide = _binary(
    "true_divide", _float_binary(_ops.divide), "Elementwise ``x1 / x2``; integers divide to float64 (differentiable)."
)
floor_divide = _binary("floor_divide", _no_gradient_binary(xp.floor_divide), "Elementwise ``x1 // x2``.")
mod = remainder = _binary("mod", _no_gradient_binary(xp.mod), "Elementwise ``x1 % x2``, with the sign of ``x2``.")
power = _binary("power", _ops.pow, "Elementwise ``x1 ** x2`` (differentiable).")
float_power = _binary(
    "float_power",
    lambda x1, x2: _ops.pow(_cast(x1, _np.float64 if x1.dtype.kind != "c" else x1.dtype), _cast(x2, _np.float64)),
    "Elementwise ``x1 ** x2`` in float64 (differentiable).",
)
maximum = _binary("maximum", _ops.maximum, "Elementwise larger of ``x1`` and ``x2`` (differentiable).")
minimum = _binary("minimum", _ops.minimum, "Elementwise smaller of ``x1`` and ``x2`` (differentiable).")
arctan2 = _binary("arctan2", _float_binary(keras_ops.arctan2), "The angle of the point ``(x2, x1)`` (differentiable).")
hypot = _binary(
    "hypot",
    _float_binary(lambda x1, x2: _ops.sqrt(x1 * x1 + x2 * x2)),
    "Elementwise ``sqrt(x1**2 + x2**2)`` (differentiable).",
)
logaddexp = _binary(
    "logaddexp", _float_binary(keras_ops.logaddexp), "``log(exp(x1) + exp(x2))``, computed stably (differentiable)."
)
logaddexp2 = _binary(
    "logaddexp2",
    _float_binary(lambda x1, x2: keras_ops.logaddexp(x1 * _pymath.log(2.0), x2 * _pymath.log(2.0)) / _pymath.log(2.0)),
    "``log2(2**x1 + 2**x2)``, computed stably (differentiable).",
)
heaviside = _binary("heaviside", _no_gradient_binary(xp.heaviside), "The Heaviside step of ``x1`` (``x2`` at 0).")
nextafter = _binary("nextafter", _no_gradient_binary(xp.nextafter), "The next float after ``x1`` towards ``x2``.")
equal = _binary("equal", _ops.equal, "Elementwise ``x1 == x2``.")
not_equal = _binary("not_equal", _ops.not_equal, "Elementwise ``x1 != x2``.")
less = _binary("less", _ops.less, "Elementwise ``x1 < x2``.")
less_equal = _binary("less_equal", _ops.less_equal, "Elementwise ``x1 <= x2``.")
greater = _binary("greater", _ops.greater, "Elementwise ``x1 > x2``.")
greater_equal = _binary("greater_equal", _ops.greater_equal, "Elementwise ``x1 >= x2``.")
logical_and = _binary("logical_and", _no_gradient_binary(xp.logical_and), "Elementwise logical and.", "[1, 0], [1, 1]")
logical_or = _binary("logical_or", _no_gradient_binary(xp.logical_or), "Elementwise logical or.", "[1, 0], [1, 1]")
logical_xor = _binary("logical_xor", _no_gradient_binary(xp.logical_xor), "Elementwise logical xor.", "[1, 0], [1, 1]")


def _bitwise(name, numpy_function):
    def compute(x1, x2):
        return _no_gradient_binary(numpy_function)(_integer(name, x1), _integer(name, x2))

    return _binary(name, compute, f"Elementwise bitwise {name.split('_')[1]} of integers.", "[1, 2], [3, 4]")


bitwise_and = _bitwise("bitwise_and", xp.bitwise_and)
bitwise_or = _bitwise("bitwise_or", xp.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", xp.bitwise_xor)
gcd = _binary(
    "gcd", lambda a, b: _no_gradient_binary(xp.gcd)(_integer("gcd", a), b), "Greatest common divisor.", "[4, 6], [6, 9]"
)
lcm = _binary(
    "lcm", lambda a, b: _no_gradient_binary(xp.lcm)(_integer("lcm", a), b), "Least common multiple.", "[4, 6], [6, 9]"
)


def divmod(x1, x2):  # noqa: A001 - NumPy's name
    """``(x1 // x2, x1 % x2)`` elementwise.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> [t.numpy().tolist() for t in tnp.divmod([7, 8], 3)]
    [[2, 2], [1, 2]]
    """
    return floor_divide(x1, x2), mod(x1, x2)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether ``a`` and ``b`` are close, elementwise (NumPy's rule).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.isclose([1.0, 2.0], [1.0, 2.1]).numpy()
    array([ True, False])
    """
    a, b = _promote(a, b)
    return Tensor._wrap(xp.isclose(a._value, b._value, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether every element of ``a`` is close to ``b`` (a boolean tensor of shape ``()``).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> bool(tnp.allclose([1.0, 2.0], [1.0, 2.0 + 1e-9]))
    True
    """
    return Tensor._wrap(xp.asarray(xp.all(isclose(a, b, rtol, atol, equal_nan)._value)))


def array_equal(a1, a2):
    """Whether ``a1`` and ``a2`` have one shape and the same elements.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> bool(tnp.array_equal([1, 2], [1, 2])), bool(tnp.array_equal([1, 2], [1, 2, 3]))
    (True, False)
    """
    a1, a2 = _t(a1), _t(a2)
    return Tensor._wrap(xp.asarray(xp.array_equal(a1._value, a2._value)))


def clip(a, a_min, a_max):
    """Values of ``a`` limited to ``[a_min, a_max]`` (differentiable inside the range).

    Either bound may be None (no limit on that side).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.clip(tnp.asarray([1, 5, 9]), 2, 6).numpy()
    array([2, 5, 6])
    """
    if a_min is None and a_max is None:
        raise ValueError("clip: a_min and a_max cannot both be None")
    if a_min is None:
        return minimum(a, a_max)
    if a_max is None:
        return maximum(a, a_min)
    a, low, high = _promote(a, a_min, a_max)
    return _ops.minimum(_ops.maximum(a, low), high)


def where(condition, x=None, y=None):
    """``x`` where ``condition`` holds, else ``y``; with only ``condition``, the indices where it holds.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.where([True, False], [1, 2], [10, 20]).numpy()
    array([ 1, 20])
    >>> [i.numpy().tolist() for i in tnp.where([0, 1, 1])]
    [[1, 2]]
    """
    if x is None and y is None:
        return nonzero(condition)
    if x is None or y is None:
        raise ValueError("where takes either only a condition, or a condition, x and y")
    condition = _cast(_t(condition), bool)
    x, y = _promote(x, y)
    return _ops.where(condition, x, y)


def nonzero(a):
    """The indices of the non-zero entries, one int64 tensor per axis.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> [i.numpy().tolist() for i in tnp.nonzero([[1, 0], [0, 1]])]
    [[0, 1], [0, 1]]
    """
    a = _t(a)
    if a.ndim == 0:
        raise ValueError("nonzero of a tensor of shape () is not defined; use tnp.atleast_1d first")
    return tuple(Tensor._wrap(i.astype(_np.int64)) for i in xp.nonzero(a._value))


def select(condlist, choicelist, default=0):
    """From the first condition that holds, the matching choice; ``default`` where none holds.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> x = tnp.arange(4)
    >>> tnp.select([x < 1, x > 2], [x, x * 10], -1).numpy()
    array([ 0, -1, -1, 30])
    """
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: {len(condlist)} conditions but {len(choicelist)} choices")
    result = _t(default)
    for condition, choice in reversed(list(zip(condlist, choicelist))):
        result = where(condition, choice, result)
    return result


def compress(condition, a, axis=None):
    """The slices of ``a`` along ``axis`` where ``condition`` is true (of the flattened ``a`` when None).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.compress([True, False, True], tnp.arange(3)).numpy()
    array([0, 2])
    """
    a = _t(a)
    if axis is None:
        a, axis = _ops.reshape(a, [-1]), 0
    keep = _np.nonzero(to_numpy(_array(condition, bool)))[0]
    return _ops.gather(a, Tensor._wrap(xp.asarray(keep)), axis=int(axis) % a.ndim)


# --- reductions ----------------------------------------------------------------------------------
def _axis(axis):
    if axis is None or isinstance(axis, (int, _np.integer)):
        return None if axis is None else int(axis)
    return tuple(int(a) for a in axis)


def _check_axis(a, axis, what):
    for ax in (axis,) if isinstance(axis, int) else (axis or ()):
        if not -builtins.max(a.ndim, 1) <= ax < builtins.max(a.ndim, 1):
            raise ValueError(f"{what}: axis {ax} is out of bounds for a tensor of shape {tuple(a.shape)}")


def _reduction_input(a, axis, dtype, what):
    a = _t(a)
    axis = _axis(axis)
    _check_axis(a, axis, what)
    return a, axis, _dtype(dtype)


def _keepdims(keepdims):
    return bool(keepdims) if keepdims is not None else False


def _accumulator(dtype):
    """NumPy's dtype of a sum or product: small integers and booleans add up in int64."""
    if dtype.kind == "b" or (dtype.kind == "i" and dtype.itemsize < 8):
        return _np.dtype(_np.int64)
    if dtype.kind == "u" and dtype.itemsize < 8:
        return _np.dtype(_np.uint64)
    return dtype


def sum(a, axis=None, dtype=None, keepdims=None):  # noqa: A001 - NumPy's name
    """Sum over ``axis`` (all axes when None); integers add up in int64, as NumPy (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.sum(tnp.asarray([[1, 2], [3, 4]]), axis=0).numpy()
    array([4, 6])
    """
    a, axis, dtype = _reduction_input(a, axis, dtype, "sum")
    a = _cast(a, dtype or _accumulator(a.dtype))
    return _ops.reduce_sum(a, axis=axis, keepdims=_keepdims(keepdims))


def prod(a, axis=None, dtype=None, keepdims=None):
    """Product over ``axis`` (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.prod(tnp.asarray([1, 2, 3, 4])).numpy()
    np.int64(24)
    """
    a, axis, dtype = _reduction_input(a, axis, dtype, "prod")
    a = _cast(a, dtype or _accumulator(a.dtype))
    return _ops.reduce_prod(a, axis=axis, keepdims=_keepdims(keepdims))


def mean(a, axis=None, dtype=None, out=None, keepdims=None):
    """Mean over ``axis``; integers average to float64, as NumPy (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.mean(tnp.asarray([1, 2])).numpy()
    np.float64(1.5)
    """
    _no_out(out, "mean")
    a, axis, dtype = _reduction_input(a, axis, dtype, "mean")
    a = _cast(a, dtype or _float_dtype_of(a))
    return _ops.reduce_mean(a, axis=axis, keepdims=_keepdims(keepdims))


def _no_out(out, what):
    if out is not None:
        raise ValueError(f"{what}: tensors are immutable, so out= is not supported; use the returned tensor")


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=None):
    """Variance over ``axis`` (divided by ``N - ddof``; differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.var(tnp.asarray([1.0, 2.0, 4.0]), ddof=1).numpy()
    np.float64(2.333333333333333)
    """
    _no_out(out, "var")
    a, axis, dtype = _reduction_input(a, axis, dtype, "var")
    a = _cast(a, dtype or _float_dtype_of(a))
    centered = a - _ops.reduce_mean(a, axis=axis, keepdims=True)
    count = a.size if axis is None else int(_np.prod([a.shape[i] for i in _as_tuple(axis)]))
    return _ops.reduce_sum(centered * centered, axis=axis, keepdims=_keepdims(keepdims)) / (count - ddof)


def _as_tuple(axis):
    return (axis,) if isinstance(axis, int) else tuple(axis)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=None):
    """Standard deviation over ``axis`` (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> float(tnp.std(tnp.asarray([1.0, 3.0])))
    1.0
    """
    return _ops.sqrt(var(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims))


def _extreme(what, reduce, a, axis, keepdims, out):
    _no_out(out, what)
    a, axis, _ = _reduction_input(a, axis, None, what)
    if a.size == 0:
        raise ValueError(f"{what} of an empty tensor is not defined")
    return reduce(a, axis=axis, keepdims=_keepdims(keepdims))


def max(a, axis=None, out=None, keepdims=None):  # noqa: A001 - NumPy's name
    """Largest value over ``axis`` (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.max(tnp.asarray([[1, 5], [3, 2]]), axis=1).numpy()
    array([5, 3])
    """
    return _extreme("max", _ops.reduce_max, a, axis, keepdims, out)


def min(a, axis=None, out=None, keepdims=None):  # noqa: A001 - NumPy's name
    """Smallest value over ``axis`` (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.min(tnp.asarray([[1, 5], [3, 2]]), axis=0).numpy()
    array([1, 2])
    """
    return _extreme("min", _ops.reduce_min, a, axis, keepdims, out)


amax, amin = max, min


def ptp(a, axis=None, keepdims=None):
    """The range (maximum minus minimum) over ``axis``.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.ptp(tnp.asarray([3, 9, 1])).numpy()
    np.int64(8)
    """
    return max(a, axis=axis, keepdims=keepdims) - min(a, axis=axis, keepdims=keepdims)


def _arg(what, function, a, axis):
    a = _t(a)
    if a.size == 0:
        raise ValueError(f"{what} of an empty tensor is not defined")
    _check_axis(a, axis, what)
    return Tensor._wrap(xp.asarray(function(a._value, axis=None if axis is None else int(axis))).astype(_np.int64))


def argmax(a, axis=None):
    """Index of the largest value; over the flattened tensor when ``axis`` is None (int64).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.argmax(tnp.asarray([[1, 5], [7, 2]])).numpy()
    np.int64(2)
    """
    return _arg("argmax", xp.argmax, a, axis)


def argmin(a, axis=None):
    """Index of the smallest value; over the flattened tensor when ``axis`` is None (int64).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.argmin(tnp.asarray([[1, 5], [7, 2]]), axis=1).numpy()
    array([0, 1])
    """
    return _arg("argmin", xp.argmin, a, axis)


def all(a, axis=None, keepdims=None):  # noqa: A001 - NumPy's name
    """Whether every entry along ``axis`` is true.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> bool(tnp.all([1, 2, 0]))
    False
    """
    a, axis, _ = _reduction_input(a, axis, None, "all")
    return _ops.reduce_all(_cast(a, bool), axis=axis, keepdims=_keepdims(keepdims))


def any(a, axis=None, keepdims=None):  # noqa: A001 - NumPy's name
    """Whether some entry along ``axis`` is true.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> bool(tnp.any([0, 0, 3]))
    True
    """
    a, axis, _ = _reduction_input(a, axis, None, "any")
    return _ops.reduce_any(_cast(a, bool), axis=axis, keepdims=_keepdims(keepdims))


def count_nonzero(a, axis=None):
    """How many entries along ``axis`` are not zero (int64).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.count_nonzero([[1, 0], [2, 3]], axis=1).numpy()
    array([1, 2])
    """
    a, axis, _ = _reduction_input(a, axis, None, "count_nonzero")
    return Tensor._wrap(xp.asarray(xp.count_nonzero(a._value, axis=axis)).astype(_np.int64))


def cumsum(a, axis=None, dtype=None):
    """Running sum along ``axis`` (of the flattened tensor when None; differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.cumsum([1, 2, 3]).numpy()
    array([1, 3, 6])
    """
    a, axis, dtype = _reduction_input(a, axis, dtype, "cumsum")
    return keras_ops.cumsum(_cast(a, dtype or _accumulator(a.dtype)), axis=axis)


def cumprod(a, axis=None, dtype=None):
    """Running product along ``axis`` (of the flattened tensor when None; differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.cumprod([1, 2, 3]).numpy()
    array([1, 2, 6])
    """
    a, axis, dtype = _reduction_input(a, axis, dtype, "cumprod")
    return keras_ops.cumprod(_cast(a, dtype or _accumulator(a.dtype)), axis=axis)


def average(a, axis=None, weights=None, returned=False):
    """The mean over ``axis``, weighted by ``weights`` (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> float(tnp.average([1.0, 3.0], weights=[3.0, 1.0]))
    1.5
    """
    a = _floating(a)
    if weights is None:
        result, total = mean(a, axis=axis), None
    else:
        weights = _t(weights, a.dtype)
        if weights.shape != a.shape:
            if axis is None or weights.ndim != 1 or weights.shape[0] != a.shape[axis]:
                raise ValueError(
                    f"average: weights of shape {tuple(weights.shape)} do not fit a tensor of shape "
                    f"{tuple(a.shape)} along axis {axis}"
                )
            shape = [1] * a.ndim
            shape[axis] = -1
            weights = _ops.reshape(weights, shape)
        total = _ops.reduce_sum(weights * _ops.ones_like(a), axis=_axis(axis))
        result = _ops.reduce_sum(a * weights, axis=_axis(axis)) / total
    if returned:
        return result, total if total is not None else _ops.ones_like(result) * (a.size // builtins.max(result.size, 1))
    return result


def _nan_reduction(name, reduce, fill):
    def function(a, axis=None, dtype=None, keepdims=None):
        a = _t(a)
        if a.dtype.kind in "fc":
            a = _ops.where(Tensor._wrap(xp.isnan(a._value)), _ops.ones_like(a) * fill, a)
        return reduce(a, axis=axis, dtype=dtype, keepdims=keepdims)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``{reduce.__name__}`` over ``axis``, with NaNs ignored." + _example(
        name, "[[1.0, float('nan')], [2.0, 3.0]], axis=1"
    )
    return function


nansum = _nan_reduction("nansum", sum, 0.0)
nanprod = _nan_reduction("nanprod", prod, 1.0)


def nanmean(a, axis=None, dtype=None, keepdims=None):
    """The mean over ``axis``, with NaNs ignored.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> float(tnp.nanmean([1.0, float("nan"), 3.0]))
    2.0
    """
    a = _floating(a)
    finite = _cast(Tensor._wrap(~xp.isnan(a._value)), a.dtype)
    return nansum(a, axis=axis, dtype=dtype, keepdims=keepdims) / sum(finite, axis=axis, dtype=dtype, keepdims=keepdims)


# --- shapes ------------------------------------------------------------------------------------
def shape(a):
    """The shape of ``a`` as a tuple.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.shape([[1, 2, 3]])
    (1, 3)
    """
    return tuple(_t(a).shape)


def ndim(a):
    """The number of axes of ``a``.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.ndim(tnp.ones([2, 3]))
    2
    """
    return _t(a).ndim


def size(x, axis=None):
    """The number of elements of ``x`` (along ``axis`` when given).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.size(tnp.ones([2, 3]))
    6
    """
    x = _t(x)
    return x.size if axis is None else x.shape[axis]


def reshape(a, newshape, order="C"):
    """``a`` with a new shape (one entry may be -1); ``order='F'`` reads and writes by columns.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.reshape(tnp.arange(6), (2, 3)).shape
    TensorShape([2, 3])
    """
    a = _t(a)
    if isinstance(newshape, (int, _np.integer)):
        newshape = (int(newshape),)
    newshape = tuple(int(s) for s in (to_numpy(newshape._value) if isinstance(newshape, Tensor) else newshape))
    known = int(_np.prod([s for s in newshape if s != -1]))
    unknown = builtins.sum(1 for s in newshape if s == -1)
    fits = a.size == known if unknown == 0 else (unknown == 1 and known > 0 and a.size % known == 0)
    if not fits:
        raise ValueError(
            f"reshape: cannot reshape a tensor of {a.size} elements (shape {tuple(a.shape)}) into {newshape}"
        )
    if order == "C":
        return _ops.reshape(a, newshape)
    if order != "F":
        raise ValueError(f"reshape: order must be 'C' or 'F', got {order!r}")
    flat = _ops.reshape(_ops.transpose(a), [-1])
    target = list(newshape)
    if -1 in target:
        target[target.index(-1)] = a.size // known
    return _ops.transpose(_ops.reshape(flat, target[::-1]))


def ravel(a):
    """``a`` flattened to one axis (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.ravel(tnp.ones([2, 3])).shape
    TensorShape([6])
    """
    return _ops.reshape(_t(a), [-1])


def flatten(a, order="C"):
    """``a`` flattened to one axis, by rows (``'C'``) or columns (``'F'``).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.flatten(tnp.asarray([[1, 2], [3, 4]]), order="F").numpy()
    array([1, 3, 2, 4])
    """
    return reshape(a, [-1], order=order)


def transpose(a, axes=None):
    """``a`` with its axes permuted (reversed when ``axes`` is None; differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.transpose(tnp.ones([2, 3, 4]), (1, 0, 2)).shape
    TensorShape([3, 2, 4])
    """
    a = _t(a)
    if axes is not None:
        axes = [int(i) for i in axes]
        if sorted(i % builtins.max(a.ndim, 1) for i in axes) != list(builtins.range(a.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {a.ndim} axes of {tuple(a.shape)}")
    return _ops.transpose(a, axes)


def swapaxes(a, axis1, axis2):
    """``a`` with two axes exchanged.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.swapaxes(tnp.ones([2, 3, 4]), 0, 2).shape
    TensorShape([4, 3, 2])
    """
    return keras_ops.swapaxes(_t(a), int(axis1), int(axis2))


def moveaxis(a, source, destination):
    """``a`` with the axes ``source`` moved to ``destination``.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.moveaxis(tnp.ones([2, 3, 4]), 0, -1).shape
    TensorShape([3, 4, 2])
    """
    a = _t(a)
    source = [int(i) % builtins.max(a.ndim, 1) for i in ([source] if _np.ndim(source) == 0 else source)]
    destination = [
        int(i) % builtins.max(a.ndim, 1) for i in ([destination] if _np.ndim(destination) == 0 else destination)
    ]
    if len(source) != len(destination):
        raise ValueError(f"moveaxis: source {source} and destination {destination} need the same number of axes")
    order = [i for i in builtins.range(a.ndim) if i not in source]
    for target, axis in sorted(zip(destination, source)):
        order.insert(target, axis)
    return _ops.transpose(a, order)


def expand_dims(a, axis):
    """``a`` with a new axis of size 1 at ``axis``.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.expand_dims(tnp.ones([3]), 0).shape
    TensorShape([1, 3])
    """
    a = _t(a)
    if not -(a.ndim + 1) <= int(axis) <= a.ndim:
        raise ValueError(f"expand_dims: axis {axis} is out of bounds for a result of {a.ndim + 1} dimensions")
    return _ops.expand_dims(a, int(axis))


def squeeze(a, axis=None):
    """``a`` without its axes of size 1 (or only ``axis``, which must have size 1).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.squeeze(tnp.ones([1, 3, 1])).shape
    TensorShape([3])
    """
    a = _t(a)
    if axis is not None:
        for ax in _as_tuple(_axis(axis)):
            if a.shape[ax] != 1:
                raise ValueError(f"squeeze: axis {ax} of shape {tuple(a.shape)} has size {a.shape[ax]}, not 1")
    return _ops.squeeze(a, axis)


def broadcast_to(array, shape):
    """``array`` broadcast to ``shape`` (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.broadcast_to(tnp.asarray([1, 2]), (3, 2)).shape
    TensorShape([3, 2])
    """
    array = _t(array)
    target = _shape(shape, "broadcast_to")
    try:
        _np.broadcast_shapes(tuple(array.shape), target)
        if _np.broadcast_shapes(tuple(array.shape), target) != target:
            raise ValueError
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {tuple(array.shape)} to {target}") from None
    return _ops.broadcast_to(array, target)


def broadcast_arrays(*args):
    """The arguments broadcast to their common shape.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> [a.shape for a in tnp.broadcast_arrays(tnp.ones([2, 1]), tnp.ones([3]))]
    [TensorShape([2, 3]), TensorShape([2, 3])]
    """
    tensors = [_t(a) for a in args]
    target = _np.broadcast_shapes(*[tuple(t.shape) for t in tensors])
    return [_ops.broadcast_to(t, target) for t in tensors]


def _joined(what, arrays):
    if isinstance(arrays, Tensor):
        arrays = list(arrays)
    arrays = list(arrays)
    if not arrays:
        raise ValueError(f"{what} needs at least one array")
    return _promote(*arrays)


def concatenate(arys, axis=0):
    """Join tensors along an existing ``axis`` (flattened first when ``axis`` is None).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.concatenate([tnp.ones([1, 2]), tnp.zeros([2, 2])]).shape
    TensorShape([3, 2])
    """
    tensors = _joined("concatenate", arys)
    if axis is None:
        return _ops.concat([ravel(t) for t in tensors], axis=0)
    shapes = [tuple(t.shape) for t in tensors]
    if len({len(s) for s in shapes}) != 1 or tensors[0].ndim == 0:
        raise ValueError(f"concatenate: all inputs need the same number (at least 1) of dimensions, got {shapes}")
    rest = {s[: axis % len(s)] + s[axis % len(s) + 1 :] for s in shapes}
    if len(rest) != 1:
        raise ValueError(f"concatenate: shapes {shapes} differ outside axis {axis}")
    return _ops.concat(tensors, axis=int(axis))


def stack(arrays, axis=0):
    """Join tensors of one shape along a new ``axis``.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.stack([tnp.ones([2]), tnp.zeros([2])], axis=1).shape
    TensorShape([2, 2])
    """
    tensors = _joined("stack", arrays)
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all inputs need the same shape, got {sorted(shapes)}")
    return _ops.stack(tensors, axis=int(axis))


def hstack(tup):
    """Join along the second axis (the first for 1-D tensors).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.hstack([tnp.ones([2]), tnp.zeros([3])]).shape
    TensorShape([5])
    """
    tensors = [atleast_1d(t) for t in _joined("hstack", tup)]
    return _ops.concat(tensors, axis=0 if tensors[0].ndim == 1 else 1)


def vstack(tup):
    """Join along the first axis, 1-D tensors as rows.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.vstack([tnp.ones([2]), tnp.zeros([2])]).shape
    TensorShape([2, 2])
    """
    return _ops.concat([atleast_2d(t) for t in _joined("vstack", tup)], axis=0)


def dstack(tup):
    """Join along the third axis (1-D and 2-D tensors get axes of size 1 first).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.dstack([tnp.ones([2]), tnp.zeros([2])]).shape
    TensorShape([1, 2, 2])
    """
    return _ops.concat([atleast_3d(t) for t in _joined("dstack", tup)], axis=2)


def atleast_1d(*arys):
    """Each argument with at least one axis.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.atleast_1d(3).shape
    TensorShape([1])
    """
    out = [_ops.reshape(t, [1]) if t.ndim == 0 else t for t in (_t(a) for a in arys)]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys):
    """Each argument with at least two axes (a 1-D tensor becomes a row).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.atleast_2d([1, 2]).shape
    TensorShape([1, 2])
    """
    out = [_ops.reshape(t, (1,) * (2 - t.ndim) + tuple(t.shape)) if t.ndim < 2 else t for t in (_t(a) for a in arys)]
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys):
    """Each argument with at least three axes (as NumPy places the new ones).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.atleast_3d(tnp.ones([2, 3])).shape
    TensorShape([2, 3, 1])
    """
    out = []
    for t in (_t(a) for a in arys):
        new = {0: (1, 1, 1), 1: (1, t.size, 1), 2: tuple(t.shape) + (1,)}.get(t.ndim)
        out.append(t if new is None else _ops.reshape(t, new))
    return out[0] if len(out) == 1 else out


def split(ary, indices_or_sections, axis=0):
    """Split into equal sections, or at the given indices (NumPy's meaning; differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> [p.numpy().tolist() for p in tnp.split(tnp.arange(6), 3)]
    [[0, 1], [2, 3], [4, 5]]
    """
    return keras_ops.split(_t(ary), indices_or_sections, axis=int(axis))


def hsplit(ary, indices_or_sections):
    """Split along the second axis (the first for 1-D tensors).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> [p.shape for p in tnp.hsplit(tnp.ones([2, 4]), 2)]
    [TensorShape([2, 2]), TensorShape([2, 2])]
    """
    ary = _t(ary)
    return split(ary, indices_or_sections, axis=0 if ary.ndim == 1 else 1)


def vsplit(ary, indices_or_sections):
    """Split along the first axis.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> [p.shape for p in tnp.vsplit(tnp.ones([4, 2]), 2)]
    [TensorShape([2, 2]), TensorShape([2, 2])]
    """
    return split(ary, indices_or_sections, axis=0)


def dsplit(ary, indices_or_sections):
    """Split along the third axis.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> [p.shape for p in tnp.dsplit(tnp.ones([1, 1, 4]), 2)]
    [TensorShape([1, 1, 2]), TensorShape([1, 1, 2])]
    """
    return split(ary, indices_or_sections, axis=2)


def tile(a, reps):
    """``a`` repeated ``reps`` times along each axis (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.tile(tnp.asarray([1, 2]), 2).numpy()
    array([1, 2, 1, 2])
    """
    return keras_ops.tile(_t(a), reps)


def repeat(a, repeats, axis=None):
    """Each entry of ``a`` repeated ``repeats`` times (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.repeat(tnp.asarray([1, 2]), 2).numpy()
    array([1, 1, 2, 2])
    """
    return keras_ops.repeat(_t(a), repeats, axis=axis)


def flip(m, axis=None):
    """``m`` with the order of entries reversed along ``axis`` (all axes when None).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.flip(tnp.asarray([1, 2, 3])).numpy()
    array([3, 2, 1])
    """
    return keras_ops.flip(_t(m), axis=axis)


def fliplr(m):
    """``m`` with its columns in reverse order.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.fliplr(tnp.asarray([[1, 2]])).numpy()
    array([[2, 1]])
    """
    return flip(_at_least_2d_for("fliplr", m), axis=1)


def flipud(m):
    """``m`` with its rows in reverse order.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.flipud(tnp.asarray([[1], [2]])).numpy()
    array([[2],
           [1]])
    """
    return flip(m, axis=0)


def rot90(m, k=1, axes=(0, 1)):
    """``m`` rotated by 90 degrees ``k`` times in the plane of ``axes``.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.rot90(tnp.asarray([[1, 2], [3, 4]])).numpy()
    array([[2, 4],
           [1, 3]])
    """
    m = _t(m)
    k = int(k) % 4
    a0, a1 = axes
    for _ in builtins.range(k):
        m = swapaxes(flip(m, axis=a1), a0, a1)
    return m


def roll(a, shift, axis=None):
    """``a`` with entries shifted cyclically by ``shift`` along ``axis`` (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.roll(tnp.asarray([1, 2, 3]), 1).numpy()
    array([3, 1, 2])
    """
    return keras_ops.roll(_t(a), int(shift), axis=axis)


def pad(array, pad_width, mode="constant", constant_values=0):
    """``array`` padded by ``pad_width`` (``'constant'``, ``'reflect'`` or ``'symmetric'``).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.pad(tnp.asarray([1, 2]), 1).numpy()
    array([0, 1, 2, 0])
    """
    if mode not in ("constant", "reflect", "symmetric"):
        raise ValueError(f"pad: mode must be 'constant', 'reflect' or 'symmetric', got {mode!r}")
    return keras_ops.pad(_t(array), pad_width, mode=mode, constant_values=constant_values)


def take(a, indices, axis=None):
    """Entries of ``a`` at ``indices`` along ``axis`` (of the flattened ``a`` when None).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.take(tnp.asarray([10, 20, 30]), [2, 0]).numpy()
    array([30, 10])
    """
    a = _t(a)
    index = to_numpy(_array(indices))
    if index.dtype.kind not in "iu":
        raise TypeError(f"take expects integer indices, got {index.dtype}")
    length = a.size if axis is None else a.shape[axis]
    if index.size and (index.max() >= length or index.min() < -length):
        raise IndexError(f"take: an index in {index.tolist()} is out of bounds for size {length}")
    return keras_ops.take(a, index, axis=axis)


def take_along_axis(arr, indices, axis):
    """``arr`` picked at ``indices`` along ``axis`` (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.take_along_axis(tnp.asarray([[10, 30], [40, 20]]), tnp.asarray([[1], [0]]), 1).numpy()
    array([[30],
           [40]])
    """
    return keras_ops.take_along_axis(_t(arr), to_numpy(_array(indices)), axis=axis)


def diag(v, k=0):
    """The ``k``-th diagonal of a matrix, or a matrix with the vector ``v`` on it.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.diag(tnp.asarray([1, 2])).numpy()
    array([[1, 0],
           [0, 2]])
    """
    v = _t(v)
    if v.ndim not in (1, 2):
        raise ValueError(f"diag expects a 1-D or 2-D tensor, got shape {tuple(v.shape)}")
    return keras_ops.diag(v, k=int(k))


def diagflat(v, k=0):
    """A matrix with the flattened ``v`` on its ``k``-th diagonal.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.diagflat([[1, 2]]).shape
    TensorShape([2, 2])
    """
    return diag(ravel(v), k)


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal of ``a`` in the plane ``(axis1, axis2)`` (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.diagonal(tnp.asarray([[1, 2], [3, 4]])).numpy()
    array([1, 4])
    """
    return keras_ops.diagonal(_at_least_2d_for("diagonal", a), int(offset), int(axis1), int(axis2))


def trace(a, offset=0, axis1=0, axis2=1, dtype=None):
    """The sum of the diagonal (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.trace(tnp.eye(3)).numpy()
    np.float64(3.0)
    """
    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def sort(a, axis=-1, kind="quicksort", order=None):
    """``a`` sorted along ``axis`` (differentiable: each value carries its gradient).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.sort(tnp.asarray([3, 1, 2])).numpy()
    array([1, 2, 3])
    """
    if order is not None:
        raise ValueError("sort: order= (sorting structured arrays) is not supported")
    a = _t(a)
    if axis is None:
        a, axis = ravel(a), -1
    return keras_ops.sort(a, axis=int(axis))


def argsort(a, axis=-1, kind="quicksort", order=None):
    """The indices that sort ``a`` along ``axis`` (int64; stable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.argsort(tnp.asarray([3, 1, 2])).numpy()
    array([1, 2, 0])
    """
    if order is not None:
        raise ValueError("argsort: order= (sorting structured arrays) is not supported")
    a = _t(a)
    if axis is None:
        a, axis = ravel(a), -1
    return Tensor._wrap(xp.argsort(a._value, axis=int(axis), kind="stable").astype(_np.int64))


def append(arr, values, axis=None):
    """``values`` joined to the end of ``arr`` (both flattened when ``axis`` is None).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.append([1, 2], [[3]]).numpy()
    array([1, 2, 3])
    """
    arr, values = _promote(arr, values)
    if axis is None:
        return _ops.concat([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


def diff(a, n=1, axis=-1):
    """The ``n``-th discrete difference along ``axis`` (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.diff(tnp.asarray([1, 4, 9])).numpy()
    array([3, 5])
    """
    if int(n) < 0:
        raise ValueError(f"diff: order n must be non-negative, got {n}")
    return keras_ops.diff(_t(a), int(n), int(axis))


def polyval(p, x):
    """The polynomial with coefficients ``p`` (highest power first) evaluated at ``x``.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.polyval([1, 0, -1], tnp.asarray([2, 3])).numpy()
    array([3, 8])
    """
    coefficients = _t(p)
    result = zeros_like(x, dtype=result_type(coefficients, x))
    for i in builtins.range(coefficients.shape[0]):
        result = multiply(result, x) + coefficients[i]
    return result


# --- products -----------------------------------------------------------------------------------
def matmul(x1, x2):
    """The matrix product (batched over leading axes; differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.matmul(tnp.ones([2, 3]), tnp.ones([3, 4])).shape
    TensorShape([2, 4])
    """
    x1, x2 = _promote(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        raise ValueError("matmul: an input is a scalar (shape ()); use multiply or * instead")
    if x1.shape[-1] != x2.shape[-2 if x2.ndim > 1 else 0]:
        raise ValueError(f"matmul: shapes {tuple(x1.shape)} and {tuple(x2.shape)} do not fit (inner sizes differ)")
    if x1.ndim == 1 or x2.ndim == 1:
        return keras_ops.dot(x1, x2) if x1.ndim <= 2 and x2.ndim <= 2 else _matmul_vector(x1, x2)
    return _ops.matmul(x1, x2)


def _matmul_vector(x1, x2):
    if x1.ndim == 1:
        return _ops.squeeze(_ops.matmul(_ops.reshape(x1, [1, -1]), x2), -2)
    return _ops.squeeze(_ops.matmul(x1, _ops.reshape(x2, [-1, 1])), -1)


def dot(a, b):
    """NumPy's ``dot``: a matrix product for 2-D, a sum of products for 1-D (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.dot(tnp.asarray([1, 2]), tnp.asarray([3, 4])).numpy()
    np.int64(11)
    """
    a, b = _promote(a, b)
    if a.ndim and b.ndim and a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(f"dot: shapes {tuple(a.shape)} and {tuple(b.shape)} are not aligned")
    return keras_ops.dot(a, b)


def vdot(a, b):
    """The sum of products of the flattened tensors.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.vdot([[1, 2]], [[3, 4]]).numpy()
    np.int64(11)
    """
    return keras_ops.vdot(*_promote(a, b))


def inner(a, b):
    """Sums of products over the last axes of ``a`` and ``b``.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.inner(tnp.asarray([1, 2]), tnp.asarray([3, 4])).numpy()
    np.int64(11)
    """
    a, b = _promote(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return _ops.tensordot(a, b, [[a.ndim - 1], [b.ndim - 1]])


def outer(a, b):
    """Every product of an entry of ``a`` with one of ``b``.

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.outer([1, 2], [1, 10]).numpy()
    array([[ 1, 10],
           [ 2, 20]])
    """
    return keras_ops.outer(*_promote(a, b))


def kron(a, b):
    """The Kronecker product of two tensors of the same rank (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.kron(tnp.eye(2, dtype=tnp.int64), tnp.asarray([[1, 2]])).numpy()
    array([[1, 2, 0, 0],
           [0, 0, 1, 2]])
    """
    a, b = _promote(a, b)
    while a.ndim < b.ndim:
        a = _ops.expand_dims(a, 0)
    while b.ndim < a.ndim:
        b = _ops.expand_dims(b, 0)
    n = a.ndim
    product = _ops.reshape(a, [d for s in a.shape for d in (s, 1)]) * _ops.reshape(
        b, [d for s in b.shape for d in (1, s)]
    )
    return _ops.reshape(product, [a.shape[i] * b.shape[i] for i in builtins.range(n)])


def tensordot(a, b, axes=2):
    """Sums of products over the given axes (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.tensordot(tnp.ones([2, 3]), tnp.ones([3, 4]), axes=1).shape
    TensorShape([2, 4])
    """
    return keras_ops.tensordot(*_promote(a, b), axes=axes)


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (differentiable).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.cross([1, 0, 0], [0, 1, 0]).numpy()
    array([0, 0, 1])
    """
    a, b = _promote(a, b)
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if a.shape[-1] != 3 or b.shape[-1] != 3:
        raise ValueError(f"cross: only 3-vectors are supported, got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    return moveaxis(keras_ops.cross(a, b, axis=-1), -1, axisc)


def einsum(subscripts, *operands, **kwargs):
    """Einstein summation over the operands (differentiable in each).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.einsum("ij,jk->ik", tnp.ones([2, 3]), tnp.ones([3, 4])).shape
    TensorShape([2, 4])
    """
    if kwargs:
        raise TypeError(f"einsum: unsupported arguments {sorted(kwargs)}")
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum expects its subscripts as a string such as 'ij,jk->ik', got {subscripts!r}")
    tensors = _promote(*operands)
    if len(subscripts.split("->")[0].split(",")) != len(tensors):
        raise ValueError(f"einsum: {subscripts!r} names {subscripts.count(',') + 1} operands, got {len(tensors)}")
    return keras_ops.einsum(subscripts, *tensors)


# --- tnp.random -----------------------------------------------------------------------------------
def _size(size):
    return () if size is None else _shape(size, "tnp.random")


def _draw(values, dtype):
    return Tensor._wrap(xp.asarray(_np.asarray(values).astype(dtype)))


def _seed(s):
    """Seed tnp's random functions (and every other random choice learnet makes).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.random.seed(1); a = tnp.random.randn(2)
    >>> tnp.random.seed(1); bool(tnp.all(a == tnp.random.randn(2)))
    True
    """
    from learnet import random as _random

    _random.set_seed(int(s))


def _randn(*args):
    """Samples of the standard normal distribution in the shape ``args`` (float64).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.random.randn(2, 3).shape
    TensorShape([2, 3])
    """
    return _draw(backend.host_rng().standard_normal(_shape(args, "randn")), _np.float64)


def _rand(*size):
    """Samples uniform in ``[0, 1)`` in the shape ``size`` (float64).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.random.rand(3).shape
    TensorShape([3])
    """
    return _draw(backend.host_rng().random(_shape(size, "rand")), _np.float64)


def _random_sample(size=None):
    """Samples uniform in ``[0, 1)`` of shape ``size`` (float64).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.random.random((2,)).shape
    TensorShape([2])
    """
    return _draw(backend.host_rng().random(_size(size)), _np.float64)


def _standard_normal(size=None):
    """Samples of the standard normal distribution of shape ``size`` (float64).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.random.standard_normal(size=(2, 2)).shape
    TensorShape([2, 2])
    """
    return _draw(backend.host_rng().standard_normal(_size(size)), _np.float64)


def _uniform(low=0.0, high=1.0, size=None):
    """Samples uniform in ``[low, high)`` of shape ``size`` (float64).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> x = tnp.random.uniform(2, 3, size=(100,))
    >>> bool(tnp.all((x >= 2) & (x < 3)))
    True
    """
    low, high = to_numpy(_array(low)), to_numpy(_array(high))
    shape = _size(size) if size is not None else _np.broadcast_shapes(low.shape, high.shape)
    return _draw(backend.host_rng().uniform(low, high, shape), _np.float64)


def _randint(low, high=None, size=None, dtype=_np.int64):
    """Integers drawn uniformly from ``[low, high)`` (``[0, low)`` when ``high`` is None).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> x = tnp.random.randint(0, 5, size=(10,))
    >>> x.dtype, bool(tnp.all((x >= 0) & (x < 5)))
    (dtype('int64'), True)
    """
    low, high = (0, low) if high is None else (low, high)
    if int(high) <= int(low):
        raise ValueError(f"randint: high ({high}) must be larger than low ({low})")
    return _draw(backend.host_rng().integers(int(low), int(high), _size(size)), _dtype(dtype))


def _poisson(lam=1.0, size=None):
    """Samples of the Poisson distribution with rate ``lam`` (int64).

    Examples
    --------
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.random.poisson(3.0, size=(4,)).dtype
    dtype('int64')
    """
    return _draw(backend.host_rng().poisson(to_numpy(_array(lam)), _size(size)), _np.int64)


random = _types.ModuleType(
    "learnet.experimental.numpy.random",
    "``tnp.random``: NumPy's random functions (``seed``, ``randn``, ``uniform``...) as tensors.",
)
for _name, _function in {
    "seed": _seed,
    "randn": _randn,
    "rand": _rand,
    "random": _random_sample,
    "standard_normal": _standard_normal,
    "uniform": _uniform,
    "randint": _randint,
    "poisson": _poisson,
}.items():
    _function.__name__ = _function.__qualname__ = _name
    setattr(random, _name, _function)


# --- NumPy behaviour of every tensor ------------------------------------------------------------
def _method_astype(self, dtype):
    """``self`` converted to ``dtype`` (differentiable between float types)."""
    return _cast(self, dtype)


def _method_clip(self, a_min, a_max):
    """``self`` limited to ``[a_min, a_max]``."""
    return clip(self, a_min, a_max)


def _method_flatten(self, order="C"):
    """``self`` flattened to one axis."""
    return flatten(self, order=order)


def _method_ravel(self):
    """``self`` flattened to one axis."""
    return ravel(self)


def _method_max(self, axis=None, out=None, keepdims=None):
    """Largest value over ``axis``."""
    return max(self, axis=axis, out=out, keepdims=keepdims)


def _method_min(self, axis=None, out=None, keepdims=None):
    """Smallest value over ``axis``."""
    return min(self, axis=axis, out=out, keepdims=keepdims)


def _method_mean(self, axis=None, dtype=None, out=None, keepdims=None):
    """Mean over ``axis``."""
    return mean(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims)


def _method_reshape(self, *newshape, order="C"):
    """``self`` with a new shape: ``x.reshape(2, 3)`` or ``x.reshape((2, 3))``."""
    if len(newshape) == 1 and not isinstance(newshape[0], (int, _np.integer)):
        newshape = newshape[0]
    return reshape(self, newshape, order=order)


def _method_transpose(self, *axes):
    """``self`` with its axes permuted: ``x.transpose()``, ``x.transpose((1, 0))`` or ``x.transpose(1, 0)``."""
    if len(axes) == 1 and (axes[0] is None or not isinstance(axes[0], (int, _np.integer))):
        axes = axes[0]
    return transpose(self, axes or None)


def _method_tolist(self):
    """The values as nested Python lists (a Python number for a scalar)."""
    return to_numpy(self._value).tolist()


_METHODS = {
    "astype": _method_astype,
    "clip": _method_clip,
    "flatten": _method_flatten,
    "ravel": _method_ravel,
    "max": _method_max,
    "min": _method_min,
    "mean": _method_mean,
    "reshape": _method_reshape,
    "transpose": _method_transpose,
    "tolist": _method_tolist,
    "data": property(lambda self: self, doc="The tensor itself (NumPy's buffer, here the same tensor)."),
}

# Python operator -> (tnp function used for NumPy promotion, reflected?)
_OPERATORS = {
    "__add__": ("add", False),
    "__radd__": ("add", True),
    "__sub__": ("subtract", False),
    "__rsub__": ("subtract", True),
    "__mul__": ("multiply", False),
    "__rmul__": ("multiply", True),
    "__truediv__": ("divide", False),
    "__rtruediv__": ("divide", True),
    "__floordiv__": ("floordiv", False),
    "__rfloordiv__": ("floordiv", True),
    "__mod__": ("floormod", False),
    "__rmod__": ("floormod", True),
    "__pow__": ("pow", False),
    "__rpow__": ("pow", True),
    "__matmul__": ("matmul", False),
    "__rmatmul__": ("matmul", True),
    "__lt__": ("less", False),
    "__le__": ("less_equal", False),
    "__gt__": ("greater", False),
    "__ge__": ("greater_equal", False),
    "__eq__": ("equal", False),
    "__ne__": ("not_equal", False),
}
_saved: dict = {}  # what Tensor had before NumPy behaviour was enabled, to restore it


def _strong_join(a, b):
    """The dtype of two strong dtypes in TensorFlow's lattice (``dtype_conversion_mode='all'``)."""
    if a == b:
        return a
    if a.kind == "b" or b.kind == "b":
        return b if a.kind == "b" else a
    if a.kind in "iu" and b.kind in "iu":
        if a.kind == b.kind:
            return a if a.itemsize >= b.itemsize else b
        unsigned, signed = (a, b) if a.kind == "u" else (b, a)
        if signed.itemsize > unsigned.itemsize:
            return signed
        if unsigned.itemsize < 8:
            return _np.dtype(f"int{unsigned.itemsize * 16}")
        return _np.dtype(_np.float64)
    if a.kind in "iu" or b.kind in "iu":
        return b if a.kind in "iu" else a
    if a.kind == "c" or b.kind == "c":
        bits = builtins.max(
            a.itemsize if a.kind == "c" else 2 * a.itemsize, b.itemsize if b.kind == "c" else 2 * b.itemsize
        )
        return _np.dtype(_np.complex64 if bits <= 8 else _np.complex128)
    return a if a.itemsize >= b.itemsize else b


def _weak_join(strong, value):
    """A strong dtype meeting a Python number in TensorFlow's lattice."""
    if isinstance(value, bool):
        return strong
    if isinstance(value, int):
        return _np.dtype(_np.int32) if strong.kind == "b" else strong
    if isinstance(value, float):
        return strong if strong.kind in "fc" else _np.dtype(_np.float64)
    if strong.kind == "c":
        return strong
    return _np.dtype(_np.complex64 if strong.kind == "f" and strong.itemsize <= 4 else _np.complex128)


def _lattice_dtype(x, other):
    """The result dtype of ``x <op> other`` in ``'all'``/``'safe'`` mode, with ``'safe'``'s refusals."""
    if isinstance(other, _PYTHON_SCALARS):
        result, inputs = _weak_join(x.dtype, other), {x.dtype}
        allowed = result == x.dtype or (x.dtype.kind == "b" and isinstance(other, int))
    else:
        other_dtype = _infer(other)
        result, inputs = _strong_join(x.dtype, other_dtype), {x.dtype, other_dtype}
        kinds = {x.dtype.kind, other_dtype.kind}
        allowed = result in inputs and not (kinds & set("iu") and "f" in kinds)
    if _state["mode"] == "safe" and not allowed:
        raise TypeError(
            f"In promotion mode 'safe', implicit dtype promotion between {x.dtype} and "
            f"{_infer(other) if not isinstance(other, _PYTHON_SCALARS) else type(other).__name__ + ' (weak)'} "
            f"is disallowed; cast explicitly with .astype(...) or switch to dtype_conversion_mode='all'"
        )
    return result


def _promoting_operator(name, op_name, reflected):
    original = _saved.get(name, getattr(Tensor, name))
    op = getattr(_ops, op_name)

    def operator(self, other):
        if isinstance(other, Tensor) and other.dtype == self.dtype:
            return original(self, other)
        if not isinstance(other, (Tensor, _np.ndarray, _np.generic, list, tuple) + _PYTHON_SCALARS):
            return original(self, other)  # None, strings, other objects: Tensor's own answer
        if _state["mode"] == "legacy":
            dtype = result_type(self, other)
        else:
            dtype = _lattice_dtype(self, other)
        if op_name == "divide" and dtype.kind in "biu":
            dtype = _np.dtype(_np.float64)
        left, right = _t(self, dtype), _t(other, dtype)
        if reflected:
            left, right = right, left
        if op_name == "matmul":
            return matmul(left, right)
        if op_name in ("floordiv", "floormod"):
            return (floor_divide if op_name == "floordiv" else mod)(left, right)
        return op(left, right)

    operator.__name__ = name
    return operator


_UFUNC_OPERATORS = {
    "add": "__add__",
    "subtract": "__sub__",
    "multiply": "__mul__",
    "true_divide": "__truediv__",
    "divide": "__truediv__",
    "power": "__pow__",
    "matmul": "__matmul__",
}


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    # `ndarray + tensor` reaches the tensor here, not through __radd__: promote it the same way.
    name = _UFUNC_OPERATORS.get(ufunc.__name__)
    if method == "__call__" and not kwargs and name is not None and len(inputs) == 2:
        left, right = inputs
        if isinstance(left, Tensor):
            return getattr(Tensor, name)(left, right)
        return getattr(Tensor, "__r" + name[2:])(right, left)
    return _saved["__array_ufunc__"](self, ufunc, method, *inputs, **kwargs)


def experimental_enable_numpy_behavior(prefer_float32=False, dtype_conversion_mode="legacy"):
    """Give every tensor NumPy's methods and make its operators promote dtypes as NumPy does.

    After this call a tensor has ``x.astype``, ``x.tolist()``, ``x.ravel()``,
    ``x.flatten()``, ``x.clip``, ``x.max()``, ``x.min()``, ``x.mean()``,
    ``x.transpose(...)``, ``x.reshape(..., order=)`` and ``x.data`` (the methods
    TensorFlow adds; ``x.T``, ``x.ndim`` and ``x.size`` are always there), and
    ``int32_tensor + float32_tensor`` gives float64 instead of an error. It changes
    every tensor of the program, as in TensorFlow; calling it again changes the settings.

    Parameters
    ----------
    prefer_float32 : bool, default False
        Make tnp give Python floats float32 instead of float64.
    dtype_conversion_mode : {'legacy', 'all', 'safe', 'off'}, default 'legacy'
        ``'legacy'``: NumPy's promotion. ``'all'``: TensorFlow's newer lattice (JAX's), which
        never widens floats unasked (``int32 + float32`` is float32) and makes tnp's Python
        numbers 32-bit. ``'safe'``: the lattice, refusing (``TypeError``) promotions that lose
        precision or widen bits. ``'off'``: operators do not promote (learnet's own rules).

    Examples
    --------
    >>> import learnet as tf
    >>> import learnet.experimental.numpy as tnp
    >>> tnp.experimental_enable_numpy_behavior()
    >>> x = tf.constant([[1, 2], [3, 4]])
    >>> x.astype(tnp.float32).mean().numpy(), x.ravel().tolist()
    (np.float32(2.5), [1, 2, 3, 4])
    >>> (tf.constant(1, dtype="int32") + tf.constant(1.0)).dtype
    dtype('float64')
    >>> tnp._disable_numpy_behavior()  # only for these examples: TensorFlow cannot switch it off
    """
    if dtype_conversion_mode not in _MODES:
        raise ValueError(
            f"The provided promotion mode {dtype_conversion_mode!r} does not exist; "
            f"dtype_conversion_mode must be one of {', '.join(repr(m) for m in _MODES)}"
        )
    if not isinstance(prefer_float32, (bool, _np.bool_)):
        raise TypeError(f"prefer_float32 must be True or False, got {prefer_float32!r}")
    for name in [*_METHODS, *_OPERATORS, "__array_ufunc__"]:
        if name not in _saved:
            _saved[name] = Tensor.__dict__.get(name, _MISSING)
    for name, method in _METHODS.items():
        setattr(Tensor, name, method)  # setattr: methods added from a floor above, as ops/ adds the operators
    for name, (op_name, reflected) in _OPERATORS.items():
        if dtype_conversion_mode == "off":
            _restore(name)
        else:
            setattr(Tensor, name, _promoting_operator(name, op_name, reflected))
    if dtype_conversion_mode == "off":
        _restore("__array_ufunc__")
    else:
        setattr(Tensor, "__array_ufunc__", _array_ufunc)
    _state.update(enabled=True, prefer_float32=bool(prefer_float32), mode=dtype_conversion_mode)


_MISSING = object()


def _restore(name):
    value = _saved.get(name, _MISSING)
    if value is _MISSING:
        if name in Tensor.__dict__:
            delattr(Tensor, name)
    else:
        setattr(Tensor, name, value)


def _disable_numpy_behavior():
    """Undo :func:`experimental_enable_numpy_behavior` (for tests; TensorFlow has no such switch)."""
    for name in list(_saved):
        _restore(name)
    _saved.clear()
    _state.update(enabled=False, prefer_float32=False, mode="legacy")


_PRIVATE_IMPORTS = {"builtins", "importlib", "backend", "keras_ops", "to_numpy", "xp", "to_array", "Tensor"}
__all__ = sorted(
    name
    for name, value in dict(globals()).items()
    if not name.startswith("_")
    and name not in _PRIVATE_IMPORTS
    and (name == "random" or not isinstance(value, _types.ModuleType))
)
