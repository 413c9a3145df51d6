"""``keras.ops``: Keras 3's backend-neutral operations, NumPy-style, on learnet tensors.

``import learnet as keras`` makes ``keras.ops`` this module. Its functions follow
NumPy's names and defaults, as Keras 3 documents them (``sum``, ``mean``, ``shape`` as
a function returning a tuple, ``argmax`` over the flattened array by default,
``split`` at indices, ``one_hot(x, num_classes)``), while ``tf.*`` keeps TensorFlow's
own spellings (``tf.reduce_sum``, ``tf.split`` by sizes). Every function takes
tensors, NumPy arrays or nested lists, returns a learnet ``Tensor``, and is recorded
on the tape where it has a gradient, so it can sit inside a custom layer or loss.

The sub-namespaces ``keras.ops.numpy``, ``keras.ops.nn``, ``keras.ops.math``,
``keras.ops.linalg`` and ``keras.ops.core`` are this same module; ``keras.ops.image`` is
``learnet.keras_ops_image`` (its functions are not in ``keras.ops`` itself, as in Keras 3).

Examples
--------
>>> import learnet as keras
>>> x = keras.ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]])
>>> keras.ops.shape(x)
(2, 2)
>>> keras.ops.sum(x, axis=0).numpy()
array([4., 6.], dtype=float32)
>>> keras.ops.one_hot([0, 2], 3).numpy()
array([[1., 0., 0.],
       [0., 0., 1.]], dtype=float32)
"""

import builtins
import importlib
import inspect
import itertools
import math as _pymath
import re as _re
import sys

import numpy as _np

from learnet import activations as _activations
from learnet import keras_ops_image as image
from learnet.backend import floatx, to_numpy, xp
from learnet.ops import linalg as _linalg
from learnet.ops import nn as _nn
from learnet.ops import special as _special
from learnet.ops.special import erf, erfc  # noqa: F401 - keras.ops.erf / erfc: one vectorised implementation
from learnet.ops.math import unbroadcast
from learnet import tape as _tape
from learnet.tape import primitive
from learnet.tape import stop_gradient as _stop_gradient
from learnet.tensor import Tensor, _as_dtype, is_tensor, to_array  # noqa: F401 - is_tensor is keras.ops'
from learnet.tensor import convert_to_tensor as _convert_to_tensor

# The primitives' package by module path: the attribute `learnet.ops` is this module.
_ops = importlib.import_module("learnet.ops")

# Sub-namespaces as Keras 3 spells them: keras.ops.numpy.sum, keras.ops.nn.relu, ...
numpy = nn = core = linalg = math = sys.modules[__name__]


def _t(x):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (list, tuple)) and _tape.holds_tensors(x):
        return _tape.pack(x)  # a list of tensors: the gradient reaches each, as in TensorFlow
    return Tensor._wrap(to_array(x))


def _in_dtype(tensor, dtype):
    """``tensor`` cast to ``dtype``, or itself when it has that dtype already."""
    return tensor if tensor.dtype == dtype else _ops.cast(tensor, dtype)


# Keras 3's type promotion (``keras.backend.result_type``), JAX's lattice: each dtype and the
# dtypes it promotes to directly. "int" and "float" are the weak types of Python numbers, which
# give way to the tensor beside them: int32 * 2 stays int32, int32 * 2.5 is float32, and
# float16 + 1.0 stays float16. Two dtypes meet at their least upper bound: int8 and uint8 in
# int16, an int and a float tensor in the float, int64 and uint64 in a weak float.
_PROMOTES_TO = {
    "bool": ("int",),
    "uint8": ("int16", "uint16"),
    "uint16": ("int32", "uint32"),
    "uint32": ("int64", "uint64"),
    "uint64": ("float",),
    "int": ("uint8", "int8", "complex64"),
    "int8": ("int16",),
    "int16": ("int32",),
    "int32": ("int64",),
    "int64": ("float",),
    "float": ("bfloat16", "float16"),
    "bfloat16": ("float32",),
    "float16": ("float32",),
    "float32": ("float64", "complex64"),
    "float64": ("complex128",),
    "complex64": ("complex128",),
    "complex128": (),
}


def _upper_bounds():
    """Every dtype and the set of dtypes at or above it in ``_PROMOTES_TO``."""
    bounds = {}
    for start in _PROMOTES_TO:
        seen, todo = {start}, [start]
        while todo:
            for higher in _PROMOTES_TO[todo.pop()]:
                if higher not in seen:
                    seen.add(higher)
                    todo.append(higher)
        bounds[start] = frozenset(seen)
    return bounds


_UPPER_BOUNDS = _upper_bounds()
# Keras makes these 32-bit on every backend (TensorFlow's keeps int64 and float64, as learnet does).
_NARROWED = {"uint64": "uint32", "complex128": "complex64"}


def _dtype_name(dtype):
    if isinstance(dtype, str):
        return dtype
    if dtype is bool:
        return "bool"
    return _np.dtype(dtype).name


def _weak_name(name):
    """The weak type a Python number of dtype ``name`` has in the lattice."""
    if name == "bool":
        return name
    return "float" if "float" in name else "int" if "int" in name else name


def _least_upper_bound(names):
    common = frozenset.intersection(*(_UPPER_BOUNDS[name] for name in names))
    least = [c for c in common if common <= _UPPER_BOUNDS[c]]
    if len(least) != 1:
        raise ValueError(f"the dtypes {tuple(sorted(names))} have no implicit promotion: cast them first")
    return least[0]


def result_type(*dtypes):
    """The dtype Keras 3 gives an operation on ``dtypes`` (``keras.backend.result_type``).

    Each of ``dtypes`` is a dtype or its name, ``None`` (``floatx()``), or the Python type
    ``int`` or ``float``, which stands for a plain number and gives way to the others.
    learnet follows Keras on TensorFlow: 64-bit ints and floats stay 64-bit (uint64 and
    complex128 become uint32 and complex64, as in Keras on every backend).

    Examples
    --------
    >>> result_type("int8", "uint8"), result_type("int32", "float16"), result_type("int32", float)
    ('int16', 'float16', 'float32')
    >>> result_type("float16", float), result_type("int64", "float32"), result_type()
    ('float16', 'float32', 'float32')
    """
    if not dtypes:
        return floatx()
    strong, weak = [], []  # each dtype's name, and whether it stands for a Python number
    for dtype in dtypes:
        is_weak = dtype is int or dtype is float
        name = {int: "int64", float: "float32"}[dtype] if is_weak else floatx() if dtype is None else _dtype_name(dtype)
        if name.startswith("float8"):
            raise ValueError(f"there is no implicit conversion from {name} to other dtypes: cast it first")
        if name not in _UPPER_BOUNDS:
            raise ValueError(f"{name!r} is not a dtype Keras promotes")
        strong.append(name)
        weak.append(is_weak)
    if len(strong) == 1:
        out, out_weak = strong[0], weak[0]
    elif len(set(strong)) == 1 and not all(weak):
        out, out_weak = strong[0], False
    elif all(weak):
        out, out_weak = _least_upper_bound(set(strong)), True
    else:
        out = _least_upper_bound({_weak_name(n) if w else n for n, w in zip(strong, weak)})
        out_weak = out in ("int", "float")
    if out_weak and out != "bool":  # a plain number's type: by floatx's precision (int32 for float32)
        bits = floatx()[-2:]
        out = f"int{bits}" if out[0] == "i" else f"uint{bits}" if out[0] == "u" else f"float{bits}"
    return _NARROWED.get(out, out)


def _pair(x, y):
    """Two arguments as tensors of the dtype Keras 3 gives them together (``result_type``): a
    plain number gives way to the tensor beside it unless it is a float beside an int, an int
    and a float tensor meet in the float, int8 and uint8 in int16 (the TensorFlow ops
    themselves refuse to mix dtypes)."""
    if isinstance(x, Tensor) and isinstance(y, Tensor):
        if x.dtype == y.dtype or x.dtype.kind in "OSU" or y.dtype.kind in "OSU":
            return x, y
        common = _np.dtype(result_type(x.dtype, y.dtype))
        return _in_dtype(x, common), _in_dtype(y, common)
    if isinstance(x, Tensor):
        if type(y) in (int, float) and x.dtype.kind not in "OSU":
            return _with_number(x, y, first=True)
        return x, _t(y)
    if isinstance(y, Tensor):
        if type(x) in (int, float) and y.dtype.kind not in "OSU":
            return _with_number(y, x, first=False)
        return _t(x), y
    return _t(x), _t(y)


def _with_number(tensor, number, first):
    """A tensor and a plain Python number, both in ``result_type(tensor.dtype, type(number))``."""
    common = _np.dtype(result_type(tensor.dtype, type(number)))
    tensor, other = _in_dtype(tensor, common), Tensor._wrap(to_array(number, common))
    return (tensor, other) if first else (other, tensor)


def _axis(axis):
    if axis is None or isinstance(axis, int):
        return axis
    return tuple(int(a) for a in axis)


def _float(x):
    x = _t(x)
    return x if x.dtype.kind == "f" else _ops.cast(x, floatx())


# --- core ----------------------------------------------------------------------------------
def convert_to_tensor(x, dtype=None, sparse=None):
    """A learnet ``Tensor`` holding ``x`` (in ``dtype`` when given)."""
    return _convert_to_tensor(x, dtype=dtype)


def convert_to_numpy(x):
    """``x`` as a NumPy array."""
    return to_numpy(to_array(x))


def shape(x):
    """The static shape of ``x`` as a tuple of ints (Keras 3: a function, not a tensor).

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.shape(keras.ops.zeros((2, 3)))
    (2, 3)
    """
    if hasattr(x, "shape") and not isinstance(x, (list, tuple)):
        return tuple(int(s) if s is not None else None for s in x.shape)
    return tuple(_np.shape(x))


def ndim(x):
    """The number of dimensions of ``x``."""
    return len(shape(x))


def size(x):
    """The number of elements of ``x``."""
    return int(_np.prod(shape(x), dtype=_np.int64))


def dtype(x):
    """The dtype of ``x`` as a string (``'float32'``)."""
    return _t(x).dtype.name


def cast(x, dtype):
    """``x`` converted to ``dtype`` (differentiable between float types)."""
    return _ops.cast(_t(x), dtype)


def stop_gradient(variable):
    """``variable`` unchanged, but no gradient flows back through it."""
    return _stop_gradient(_t(variable))


def is_float_dtype(dtype):
    """Whether ``dtype`` is a floating-point type."""
    return _as_dtype(dtype).kind == "f"


def is_int_dtype(dtype):
    """Whether ``dtype`` is an integer type."""
    return _as_dtype(dtype).kind in "iu"


def cond(pred, true_fn, false_fn):
    """Call ``true_fn()`` if ``pred`` holds, else ``false_fn()`` (eager)."""
    return true_fn() if bool(pred) else false_fn()


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Run ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` holds (eager).

    ``loop_vars`` is a tuple or list (unpacked into ``cond`` and ``body``) or a single
    value; the result has the same structure.
    """
    single = not isinstance(loop_vars, (tuple, list))
    state = (loop_vars,) if single else tuple(loop_vars)
    steps = 0
    while bool(cond(*state)):
        if maximum_iterations is not None and steps >= maximum_iterations:
            break
        state = body(*state)
        state = (state,) if single or not isinstance(state, (tuple, list)) else tuple(state)
        steps += 1
    return state[0] if single else type(loop_vars)(state) if isinstance(loop_vars, list) else state


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``; returns the last ``val``."""
    value = init_val
    for i in builtins.range(int(lower), int(upper)):
        value = body_fun(i, value)
    return value


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``; return ``(carry, stack(ys))``."""
    if xs is None:
        if length is None:
            raise ValueError("scan needs xs or a length")
        items = [None] * int(length)
    else:
        items = list(unstack(xs, axis=0))
    if reverse:
        items = items[::-1]
    carry, ys = init, []
    for x in items:
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys = ys[::-1]
    return carry, (stack(ys) if ys and ys[0] is not None else None)


def map(f, xs):
    """``stack([f(x) for x in xs])`` over the leading axis of ``xs``."""
    return stack([f(x) for x in unstack(xs, axis=0)])


def vectorized_map(function, elements):
    """``function`` applied to each slice of ``elements`` along axis 0, results stacked."""
    return map(function, elements)


def switch(index, branches, *operands):
    """Call ``branches[index](*operands)``; ``index`` is clamped into range as in Keras."""
    index = builtins.min(builtins.max(int(index), 0), len(branches) - 1)
    return branches[index](*operands)


def slice(inputs, start_indices, shape):
    """The block of ``inputs`` that starts at ``start_indices`` and has ``shape``."""
    key = tuple(builtins.slice(int(s), int(s) + int(n)) for s, n in zip(start_indices, shape))
    return _t(inputs)[key]


def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block at ``start_indices`` replaced by ``updates`` (differentiable)."""
    inputs, updates = _t(inputs), _t(updates)
    key = tuple(builtins.slice(int(s), int(s) + int(n)) for s, n in zip(start_indices, updates.shape))
    mask = _np.zeros(inputs.shape, dtype=bool)
    mask[key] = True
    padded = _ops.pad(
        updates, [[int(s), n - int(s) - u] for s, n, u in zip(start_indices, inputs.shape, updates.shape)]
    )
    return _ops.where(Tensor._wrap(xp.asarray(mask)), _ops.cast(padded, inputs.dtype), inputs)


def scatter(indices, values, shape):
    """A tensor of ``shape`` with ``values`` added at ``indices`` (zeros elsewhere)."""
    indices = to_numpy(to_array(indices)).astype(_np.int64)
    values = _t(values)
    out = _np.zeros(tuple(int(s) for s in shape), dtype=values.dtype)
    _np.add.at(out, tuple(indices.T), to_numpy(values._value))
    return Tensor._wrap(xp.asarray(out))


def scatter_update(inputs, indices, updates):
    """``inputs`` with the entries at ``indices`` (one row of coordinates each) set to ``updates``."""
    inputs = _t(inputs)
    indices = to_numpy(to_array(indices)).astype(_np.int64)
    out = to_numpy(inputs._value).copy()
    out[tuple(indices.T)] = to_numpy(to_array(updates, inputs.dtype))
    return Tensor._wrap(xp.asarray(out))


def unstack(x, num=None, axis=0):
    """The slices of ``x`` along ``axis``, as a list."""
    return _ops.unstack(_t(x), num=num, axis=axis)


def custom_gradient(f):
    """Keras 3's ``ops.custom_gradient``: the same decorator as ``tf.custom_gradient``."""
    from learnet.control import custom_gradient as decorator

    return decorator(f)


# --- elementwise math ------------------------------------------------------------------------
def _unary(name, forward, derivative, doc):
    """A differentiable elementwise op: ``forward`` on arrays, ``derivative(x, out)`` in ops."""

    def kernel(x):
        array = x if x.dtype.kind == "f" else x.astype(floatx())
        return forward(array), lambda g, x, out: g * derivative(_float(x), out)

    kernel.__name__ = name
    op = primitive(inputs=1)(kernel)

    def function(x):
        return op(_t(x))

    function.__name__ = name
    function.__doc__ = doc
    return function


sinh = _unary("sinh", xp.sinh, lambda x, y: cosh(x), "Hyperbolic sine.")
cosh = _unary("cosh", xp.cosh, lambda x, y: sinh(x), "Hyperbolic cosine.")
arcsin = _unary("arcsin", xp.arcsin, lambda x, y: _ops.rsqrt(1 - x * x), "Inverse sine.")
arccos = _unary("arccos", xp.arccos, lambda x, y: -_ops.rsqrt(1 - x * x), "Inverse cosine.")
arctan = _unary("arctan", xp.arctan, lambda x, y: 1 / (1 + x * x), "Inverse tangent.")
arcsinh = _unary("arcsinh", xp.arcsinh, lambda x, y: _ops.rsqrt(x * x + 1), "Inverse hyperbolic sine.")
arccosh = _unary("arccosh", xp.arccosh, lambda x, y: _ops.rsqrt(x * x - 1), "Inverse hyperbolic cosine.")
arctanh = _unary("arctanh", xp.arctanh, lambda x, y: 1 / (1 - x * x), "Inverse hyperbolic tangent.")
expm1 = _unary("expm1", xp.expm1, lambda x, y: y + 1, "``exp(x) - 1``, accurate near 0.")
log2 = _unary("log2", xp.log2, lambda x, y: 1 / (x * _pymath.log(2)), "Base-2 logarithm.")
log10 = _unary("log10", xp.log10, lambda x, y: 1 / (x * _pymath.log(10)), "Base-10 logarithm.")

abs = absolute = lambda x: _ops.abs(_t(x))
abs.__doc__ = "Elementwise absolute value."


def negative(x):
    return _ops.negative(_t(x))


def exp(x):
    return _ops.exp(_float(x))


def log(x):
    return _ops.log(_float(x))


def log1p(x):
    return _ops.log1p(_float(x))


def sqrt(x):
    return _ops.sqrt(_float(x))


def rsqrt(x):
    return _ops.rsqrt(_float(x))


def square(x):
    return _ops.square(_t(x))


def sign(x):
    return _ops.sign(_t(x))


def sin(x):
    return _ops.sin(_float(x))


def cos(x):
    return _ops.cos(_float(x))


def tan(x):
    return _ops.tan(_float(x))


def tanh(x):
    return _ops.tanh(_float(x))


def reciprocal(x):
    return _ops.reciprocal(_float(x))


def floor(x):
    return _ops.floor(_t(x))


def ceil(x):
    return _ops.ceil(_t(x))


def isnan(x):
    return _ops.is_nan(_t(x))


def isinf(x):
    return _ops.is_inf(_t(x))


def isfinite(x):
    return _ops.is_finite(_t(x))


def logical_not(x):
    return _ops.logical_not(_t(x))


conj = conjugate = real = copy = lambda x: _ops.identity(_t(x))


def imag(x):
    return _ops.zeros_like(_t(x))


def round(x, decimals=0):
    """Round to ``decimals`` places, halves to even (no gradient)."""
    x = _t(x)
    return Tensor._wrap(xp.round(x._value, int(decimals)))


def _binary(op):
    def function(x1, x2):
        return op(*_pair(x1, x2))

    function.__name__ = op.__name__
    function.__doc__ = op.__doc__
    return function


add = _binary(_ops.add)
subtract = _binary(_ops.subtract)
multiply = _binary(_ops.multiply)
maximum = _binary(_ops.maximum)
minimum = _binary(_ops.minimum)
equal = _binary(_ops.equal)
not_equal = _binary(_ops.not_equal)
less = _binary(_ops.less)
less_equal = _binary(_ops.less_equal)
greater = _binary(_ops.greater)
greater_equal = _binary(_ops.greater_equal)
logical_and = _binary(_ops.logical_and)
logical_or = _binary(_ops.logical_or)
logical_xor = _binary(_ops.logical_xor)


def divide(x1, x2):
    """``x1 / x2`` in floats, with Keras 3's result dtype (``keras.ops.divide``, ``true_divide``).

    Integers (and booleans) divide to ``float32`` whatever their width; a float tensor
    decides the dtype when there is one (``float16`` stays ``float16``), the wider float
    when both are floats. A plain Python number takes the dtype of the tensor beside it.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import ops
    >>> ops.divide(np.array([0, 51, 255], "uint8"), 255).numpy()
    array([0. , 0.2, 1. ], dtype=float32)
    >>> ops.divide(np.array([1, 2], "int64"), np.array([2, 2], "int64")).dtype.name
    'float32'
    """
    weak = [type(value) in (int, float, bool) for value in (x1, x2)]
    tensors = [None if is_weak else _t(value) for value, is_weak in zip((x1, x2), weak)]
    floats = [t.dtype for t in tensors if t is not None and t.dtype.kind in "fc"]
    target = _np.result_type(*floats) if floats else _np.dtype("float32")

    def as_target(value, tensor):
        if tensor is None:
            return Tensor._wrap(to_array(value, target))
        return _in_dtype(tensor, target)

    return _ops.divide(as_target(x1, tensors[0]), as_target(x2, tensors[1]))


true_divide = divide


def divide_no_nan(x1, x2):
    """``x1 / x2``, but 0 where ``x2`` is 0."""
    x1, x2 = _pair(_float(x1), x2)
    x2 = _ops.cast(x2, x1.dtype)
    zero = _ops.equal(x2, 0.0)
    safe = _ops.where(zero, _ops.ones_like(x2), x2)
    return _ops.where(zero, _ops.zeros_like(x1 * safe), x1 / safe)


def power(x1, x2):
    """``x1 ** x2`` elementwise."""
    return _ops.pow(*_pair(x1, x2))


def floor_divide(x1, x2):
    """``x1 // x2`` elementwise (no gradient)."""
    x1, x2 = _pair(x1, x2)
    return Tensor._wrap(xp.floor_divide(x1._value, x2._value))


def mod(x1, x2):
    """``x1 % x2`` elementwise, with the sign of ``x2`` as NumPy (no gradient)."""
    x1, x2 = _pair(x1, x2)
    return Tensor._wrap(xp.mod(x1._value, x2._value))


def arctan2(x1, x2):
    """The angle of the point ``(x2, x1)``; differentiable in both."""
    y, x = _pair(_float(x1), _float(x2))
    return _arctan2(y, x)


@primitive
def _arctan2(y, x):
    def backward(g, y, x, out):
        r2 = x * x + y * y
        return unbroadcast(g * x / r2, y.shape), unbroadcast(-g * y / r2, x.shape)

    return xp.arctan2(y, x), backward


def logaddexp(x1, x2):
    """``log(exp(x1) + exp(x2))`` computed stably."""
    x1, x2 = _pair(_float(x1), _float(x2))
    high = _ops.maximum(x1, x2)
    return high + _ops.log1p(_ops.exp(-_ops.abs(x1 - x2)))


def clip(x, x_min, x_max):
    """Values of ``x`` limited to ``[x_min, x_max]``."""
    return _ops.clip_by_value(_t(x), x_min, x_max)


def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` holds, else ``x2``; with one argument, the indices where it holds."""
    if x1 is None and x2 is None:
        return tuple(Tensor._wrap(i) for i in xp.nonzero(to_array(condition)))
    x1, x2 = _pair(x1, x2)
    return _ops.where(_t(condition), x1, x2)


def nonzero(x):
    """The indices of the non-zero entries, one tensor per axis."""
    return tuple(Tensor._wrap(i.astype("int32")) for i in xp.nonzero(to_array(x)))


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether ``x1`` and ``x2`` are close elementwise (NumPy's rule)."""
    return Tensor._wrap(xp.isclose(to_array(x1), to_array(x2), rtol=rtol, atol=atol, equal_nan=equal_nan))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """``x`` with NaN and infinities replaced by finite numbers."""
    return Tensor._wrap(xp.nan_to_num(to_array(x), nan=nan, posinf=posinf, neginf=neginf))


# --- reductions ----------------------------------------------------------------------------------
def sum(x, axis=None, keepdims=False):
    """Sum over ``axis`` (all axes when None); integers stay in their own dtype."""
    x = _t(x)
    result = _ops.reduce_sum(x, axis=_axis(axis), keepdims=keepdims)
    return result if result.dtype == x.dtype or x.dtype == bool else _ops.cast(result, x.dtype)


def mean(x, axis=None, keepdims=False):
    """Mean over ``axis`` (integers average to floats, as NumPy)."""
    return _ops.reduce_mean(_float(x), axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False, initial=None):
    """Largest value over ``axis``."""
    result = _ops.reduce_max(_t(x), axis=_axis(axis), keepdims=keepdims)
    return result if initial is None else maximum(result, initial)


def min(x, axis=None, keepdims=False, initial=None):
    """Smallest value over ``axis``."""
    result = _ops.reduce_min(_t(x), axis=_axis(axis), keepdims=keepdims)
    return result if initial is None else minimum(result, initial)


amax, amin = max, min


def prod(x, axis=None, keepdims=False, dtype=None):
    """Product over ``axis``."""
    x = _t(x) if dtype is None else cast(x, dtype)
    return _ops.reduce_prod(x, axis=_axis(axis), keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    """Variance (population, ``ddof=0``) over ``axis``."""
    return _ops.reduce_variance(_float(x), axis=_axis(axis), keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    """Standard deviation (population) over ``axis``."""
    return _ops.reduce_std(_float(x), axis=_axis(axis), keepdims=keepdims)


def all(x, axis=None, keepdims=False):
    """Whether every entry along ``axis`` is true."""
    return _ops.reduce_all(_ops.cast(_t(x), "bool"), axis=_axis(axis), keepdims=keepdims)


def any(x, axis=None, keepdims=False):
    """Whether some entry along ``axis`` is true."""
    return _ops.reduce_any(_ops.cast(_t(x), "bool"), axis=_axis(axis), keepdims=keepdims)


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis``, computed stably."""
    return _ops.reduce_logsumexp(_float(x), axis=_axis(axis), keepdims=keepdims)


def average(x, axis=None, weights=None):
    """Weighted mean over ``axis``."""
    x = _float(x)
    if weights is None:
        return mean(x, axis=axis)
    weights = _ops.cast(_t(weights), x.dtype)
    if weights.ndim == 1 and x.ndim > 1 and axis is not None:
        shape_ = [1] * x.ndim
        shape_[axis] = -1
        weights = _ops.reshape(weights, shape_)
    return _ops.reduce_sum(x * weights, axis=axis) / _ops.reduce_sum(weights * _ops.ones_like(x), axis=axis)


def count_nonzero(x, axis=None):
    """How many entries along ``axis`` are not zero."""
    return Tensor._wrap(xp.asarray(xp.count_nonzero(to_array(x), axis=_axis(axis))).astype("int32"))


def argmax(x, axis=None, keepdims=False):
    """Index of the largest value; over the flattened array when ``axis`` is None (NumPy)."""
    return Tensor._wrap(xp.asarray(xp.argmax(to_array(x), axis=axis, keepdims=keepdims)).astype("int32"))


def argmin(x, axis=None, keepdims=False):
    """Index of the smallest value; over the flattened array when ``axis`` is None (NumPy)."""
    return Tensor._wrap(xp.asarray(xp.argmin(to_array(x), axis=axis, keepdims=keepdims)).astype("int32"))


def argsort(x, axis=-1):
    """The indices that sort ``x`` along ``axis``."""
    return _ops.argsort(x, axis=axis, stable=True)


def sort(x, axis=-1):
    """``x`` sorted along ``axis`` (differentiable: the gradient follows each value)."""
    return _ops.sort(x, axis=axis)


def median(x, axis=None, keepdims=False):
    """The median over ``axis``."""
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


_QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _sorted_quantile(x, q, axis, method, keepdims, skip_nans, function):
    """The ``q``-th quantiles of ``x`` over ``axis``, read from ``x`` sorted along those axes.

    The values are picked from the sorted slice and mixed linearly, so the gradient goes to
    the one or two entries each quantile lies between (as in JAX). With ``skip_nans`` the
    NaNs, which sort last, are left out of each slice's count; without, a slice holding a NaN
    gives NaN, as NumPy does.
    """
    if method not in _QUANTILE_METHODS:
        raise ValueError(f"{function}: method must be one of {_QUANTILE_METHODS}, got {method!r}")
    q = _np.asarray(to_numpy(to_array(q)), dtype="float64")
    if q.ndim > 1:
        raise ValueError(f"{function}: q must be a number or a 1-D list of numbers, got shape {q.shape}")
    if _np.any((q < 0) | (q > 1)) or _np.any(_np.isnan(q)):
        raise ValueError(f"{function}: quantiles must be in the range [0, 1], got {q.tolist()}")
    x = _float(x)
    rank = x.ndim
    axes = (
        tuple(range(rank))
        if axis is None
        else tuple(sorted({int(a) % builtins.max(rank, 1) for a in _np.atleast_1d(axis)}))
    )
    kept = [a for a in range(rank) if a not in axes]
    kept_shape = [x.shape[a] for a in kept]
    size = int(_np.prod([x.shape[a] for a in axes], dtype="int64"))
    if size == 0:
        raise ValueError(f"{function}: cannot take a quantile over an empty axis")
    slices = _ops.reshape(_ops.transpose(x, kept + list(axes)) if rank else x, kept_shape + [size])
    ordered = _ops.sort(slices, axis=-1)
    missing = xp.isnan(to_array(slices))
    count = size - missing.sum(axis=-1, keepdims=True) if skip_nans else xp.full(kept_shape + [1], size)
    position = xp.asarray(q.reshape(-1)) * (count - 1)  # kept_shape + [number of quantiles]
    lower = xp.floor(position)
    if method == "lower":
        upper = lower
    elif method == "higher":
        lower = upper = xp.ceil(position)
    elif method == "nearest":
        lower = upper = xp.around(position)  # halves go to the even index, as NumPy
    else:
        upper = xp.ceil(position)
    if method == "linear":
        fraction = position - lower
    elif method == "midpoint":
        fraction = xp.where(upper > lower, 0.5, 0.0)
    else:
        fraction = xp.zeros_like(position)
    last = size - 1
    low = _ops.take_along_axis(ordered, Tensor._wrap(xp.clip(lower, 0, last).astype("int64")), axis=-1)
    high = _ops.take_along_axis(ordered, Tensor._wrap(xp.clip(upper, 0, last).astype("int64")), axis=-1)
    weight = Tensor._wrap(fraction.astype(x.dtype))
    result = low + (high - low) * weight
    if not skip_nans:
        result = _ops.where(Tensor._wrap(missing.any(axis=-1, keepdims=True)), _np.nan, result)
    result = _ops.transpose(result, [len(kept_shape)] + list(range(len(kept_shape))))  # quantiles first
    if keepdims:
        full = [1 if a in axes else x.shape[a] for a in range(rank)]
        result = _ops.reshape(result, [q.size] + full)
    return result[0] if q.ndim == 0 else result


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th quantile over ``axis`` (NumPy's ``method``); differentiable.

    ``q`` is a number or a list in ``[0, 1]``; with a list the quantiles make the first axis.
    ``method`` is one of ``"linear"``, ``"lower"``, ``"higher"``, ``"midpoint"``, ``"nearest"``.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.quantile(keras.ops.array([1.0, 2.0, 3.0, 4.0]), [0.25, 0.5]).numpy()
    array([1.75, 2.5 ], dtype=float32)
    """
    return _sorted_quantile(x, q, axis, method, keepdims, False, "quantile")


def cumsum(x, axis=None, dtype=None):
    """Running sum along ``axis`` (of the flattened array when None); differentiable."""
    x = _t(x) if dtype is None else cast(x, dtype)
    if axis is None:
        x, axis = _ops.reshape(x, [-1]), 0
    return _ops.cumsum(x, axis=int(axis))


def cumprod(x, axis=None, dtype=None):
    """Running product along ``axis`` (of the flattened array when None); differentiable, zeros included."""
    x = _t(x) if dtype is None else cast(x, dtype)
    if axis is None:
        x, axis = _ops.reshape(x, [-1]), 0
    return _ops.cumprod(x, axis=int(axis))


def bincount(x, weights=None, minlength=0):
    """How often each non-negative integer occurs in ``x``."""
    counts = _np.bincount(
        to_numpy(to_array(x)).astype(_np.int64),
        weights=None if weights is None else to_numpy(to_array(weights)),
        minlength=minlength,
    )
    return Tensor._wrap(xp.asarray(counts if weights is not None else counts.astype("int32")))


def digitize(x, bins):
    """The index of the bin each value of ``x`` falls into."""
    return Tensor._wrap(xp.digitize(to_array(x), to_array(bins)).astype("int32"))


# --- creation --------------------------------------------------------------------------------------
def _dtype_or_default(dtype, fallback=None):
    return _as_dtype(dtype) if dtype is not None else _as_dtype(fallback or floatx())


def array(x, dtype=None):
    """A tensor from ``x`` (Keras' ``ops.array``)."""
    return _convert_to_tensor(x, dtype=dtype)


def zeros(shape, dtype=None):
    """A tensor of zeros (``floatx`` by default)."""
    return _ops.zeros(_shape_arg(shape), dtype=_dtype_or_default(dtype))


def ones(shape, dtype=None):
    """A tensor of ones (``floatx`` by default)."""
    return _ops.ones(_shape_arg(shape), dtype=_dtype_or_default(dtype))


def empty(shape, dtype=None):
    """A tensor of ``shape`` (filled with zeros here)."""
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=None):
    """A tensor of ``shape`` filled with ``fill_value``."""
    value = _np.asarray(fill_value)
    dtype = _as_dtype(dtype) if dtype is not None else (_as_dtype(floatx()) if value.dtype.kind == "f" else value.dtype)
    return Tensor._wrap(xp.full(_shape_arg(shape), fill_value, dtype=dtype))


def zeros_like(x, dtype=None):
    """Zeros of the shape (and dtype) of ``x``."""
    return _ops.zeros_like(_t(x), dtype=dtype)


def ones_like(x, dtype=None):
    """Ones of the shape (and dtype) of ``x``."""
    return _ops.ones_like(_t(x), dtype=dtype)


def full_like(x, fill_value, dtype=None):
    """``fill_value`` in the shape (and dtype) of ``x``."""
    x = _t(x)
    return Tensor._wrap(xp.full(x.shape, fill_value, dtype=_as_dtype(dtype) or x.dtype))


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values in ``[start, stop)``, as NumPy."""
    values = xp.arange(start, stop, step) if stop is not None else xp.arange(start)
    if dtype is None:
        dtype = floatx() if values.dtype.kind == "f" else "int32"
    return Tensor._wrap(values.astype(dtype))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop``."""
    values, step = xp.linspace(start, stop, int(num), endpoint=endpoint, retstep=True, axis=axis)
    values = Tensor._wrap(values.astype(dtype or floatx()))
    return (values, step) if retstep else values


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``num`` values spaced evenly on a log scale."""
    values = xp.logspace(start, stop, int(num), endpoint=endpoint, base=base, axis=axis)
    return Tensor._wrap(values.astype(dtype or floatx()))


def eye(N, M=None, k=0, dtype=None):
    """A 2-D tensor with ones on the ``k``-th diagonal."""
    return Tensor._wrap(xp.eye(int(N), None if M is None else int(M), k=int(k), dtype=_dtype_or_default(dtype)))


def identity(n, dtype=None):
    """The ``n`` x ``n`` identity matrix."""
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the ``k``-th diagonal."""
    return Tensor._wrap(xp.tri(int(N), None if M is None else int(M), k=int(k), dtype=_dtype_or_default(dtype)))


def tril(x, k=0):
    """``x`` with the entries above the ``k``-th diagonal set to zero."""
    x = _t(x)
    mask = Tensor._wrap(xp.tri(x.shape[-2], x.shape[-1], k=k, dtype=bool))
    return _ops.where(mask, x, _ops.zeros_like(x))


def triu(x, k=0):
    """``x`` with the entries below the ``k``-th diagonal set to zero."""
    x = _t(x)
    mask = Tensor._wrap(~xp.tri(x.shape[-2], x.shape[-1], k=k - 1, dtype=bool))
    return _ops.where(mask, x, _ops.zeros_like(x))


def _shape_arg(shape):
    if isinstance(shape, (int, _np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


# --- shapes ------------------------------------------------------------------------------------
def reshape(x, newshape):
    """``x`` with a new shape (one entry may be -1)."""
    return _ops.reshape(_t(x), newshape)


def transpose(x, axes=None):
    """``x`` with its axes permuted (reversed when ``axes`` is None)."""
    return _ops.transpose(_t(x), None if axes is None else list(axes))


def _axes_in_range(axes, ndim, function):
    """``axes`` (ints, negative ones counted from the end) as non-negative ints, checked
    against a rank of ``ndim``: each in range and none named twice."""
    normalized = []
    for axis in axes:
        axis = int(axis)
        if not -ndim <= axis < ndim:
            raise ValueError(f"{function}: axis {axis} is out of range for a result of rank {ndim}")
        normalized.append(axis % ndim)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{function}: repeated axis in {tuple(int(a) for a in axes)}")
    return normalized


def expand_dims(x, axis):
    """``x`` with a new axis of size 1 at ``axis``; a tuple of axes inserts several at once.

    The axes of a tuple are places in the result (of rank ``x.ndim + len(axis)``), as in
    Keras 3 and NumPy.

    Examples
    --------
    >>> from learnet import ops
    >>> ops.expand_dims(ops.ones((2, 2)), axis=(0, 1)).shape
    TensorShape([1, 1, 2, 2])
    >>> ops.expand_dims(ops.ones((2, 3)), axis=(0, -1)).shape
    TensorShape([1, 2, 3, 1])
    """
    x = _t(x)
    if isinstance(axis, (int, _np.integer)):
        return _ops.expand_dims(x, int(axis))
    axes = _axes_in_range(axis, x.ndim + len(axis), "expand_dims")
    sizes = iter(x.shape)
    shape = [1 if position in axes else next(sizes) for position in builtins.range(x.ndim + len(axes))]
    return _ops.reshape(x, shape)


def squeeze(x, axis=None):
    """``x`` without its axes of size 1 (or only ``axis``)."""
    return _ops.squeeze(_t(x), axis)


def ravel(x):
    """``x`` flattened to one axis."""
    return _ops.reshape(_t(x), [-1])


def concatenate(xs, axis=0):
    """Join tensors along an existing ``axis`` (NumPy's name, default ``axis=0``)."""
    return _ops.concat(list(xs), axis=axis)


def append(x1, x2, axis=None):
    """``x2`` joined to the end of ``x1`` (both flattened when ``axis`` is None)."""
    x1, x2 = _pair(x1, x2)
    if axis is None:
        return _ops.concat([ravel(x1), ravel(x2)], axis=0)
    return _ops.concat([x1, x2], axis=axis)


def stack(x, axis=0):
    """Join tensors of one shape along a new ``axis``."""
    return _ops.stack(list(x), axis=axis)


def hstack(xs):
    """Join along the second axis (the first for 1-D tensors), as NumPy."""
    xs = [_t(x) for x in xs]
    return _ops.concat(xs, axis=0 if xs[0].ndim == 1 else 1)


def vstack(xs):
    """Join along the first axis, 1-D tensors as rows."""
    return _ops.concat([_ops.reshape(x, [1, -1]) if x.ndim == 1 else x for x in (_t(x) for x in xs)], axis=0)


def split(x, indices_or_sections, axis=0):
    """Split ``x`` into equal sections, or at the given indices (NumPy's meaning).

    Note that ``tf.split`` takes the sizes of the parts instead.
    """
    x = _t(x)
    length = x.shape[axis]
    if isinstance(indices_or_sections, (int, _np.integer)):
        if length % int(indices_or_sections):
            raise ValueError(
                f"split: axis {axis} of size {length} does not divide into {indices_or_sections} equal parts"
            )
        bounds = list(builtins.range(0, length + 1, length // int(indices_or_sections)))
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [length]
    index = [builtins.slice(None)] * x.ndim
    parts = []
    for start, stop in itertools.pairwise(bounds):
        index[axis] = builtins.slice(start, stop)
        parts.append(x[tuple(index)])
    return parts


def moveaxis(x, source, destination):
    """``x`` with axis ``source`` moved to ``destination``; both may be sequences of axes
    (of the same length), which move together, as NumPy's ``moveaxis``.

    Examples
    --------
    >>> from learnet import ops
    >>> ops.moveaxis(ops.ones((2, 3, 4)), (0, 1), (1, 2)).shape
    TensorShape([4, 2, 3])
    """
    x = _t(x)
    one = isinstance(source, (int, _np.integer)), isinstance(destination, (int, _np.integer))
    source = _axes_in_range([source] if one[0] else source, x.ndim, "moveaxis")
    destination = _axes_in_range([destination] if one[1] else destination, x.ndim, "moveaxis")
    if len(source) != len(destination):
        raise ValueError(
            f"moveaxis: source {tuple(source)} and destination {tuple(destination)} need the same number of axes"
        )
    order = [axis for axis in builtins.range(x.ndim) if axis not in source]
    for place, axis in sorted(zip(destination, source)):
        order.insert(place, axis)
    return _ops.transpose(x, order)


def swapaxes(x, axis1, axis2):
    """``x`` with two axes exchanged."""
    x = _t(x)
    order = list(builtins.range(x.ndim))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return _ops.transpose(x, order)


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape``."""
    return _ops.broadcast_to(_t(x), _shape_arg(shape))


def tile(x, repeats):
    """``x`` repeated ``repeats`` times along each axis."""
    x = _t(x)
    repeats = [int(repeats)] if isinstance(repeats, (int, _np.integer)) else [int(r) for r in repeats]
    while len(repeats) < x.ndim:
        repeats.insert(0, 1)
    if len(repeats) > x.ndim:
        x = _ops.reshape(x, [1] * (len(repeats) - x.ndim) + list(x.shape))
    return _ops.tile(x, repeats)


def repeat(x, repeats, axis=None):
    """Each entry of ``x`` repeated ``repeats`` times (differentiable; ``tf.repeat``)."""
    return _ops.repeat(_t(x), repeats, axis=axis)


def flip(x, axis=None):
    """``x`` with the order of entries reversed along ``axis`` (all axes when None)."""
    x = _t(x)
    if axis is None:
        axes = builtins.range(x.ndim)
    else:
        axes = _axes_in_range([axis] if isinstance(axis, (int, _np.integer)) else axis, x.ndim, "flip")
    key = [builtins.slice(None)] * x.ndim
    for a in axes:
        key[a] = builtins.slice(None, None, -1)
    return x[tuple(key)]


def roll(x, shift, axis=None):
    """``x`` with entries shifted cyclically by ``shift`` along ``axis`` (the flattened array
    when None); ``shift`` and ``axis`` may be tuples, as NumPy's; differentiable."""
    x = _t(x)
    if axis is None:
        return _ops.reshape(_ops.roll(ravel(x), shift, 0), x.shape)
    return _ops.roll(x, shift, axis)


def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` padded by ``pad_width`` (pairs of before/after sizes) as NumPy's ``pad``."""
    x = _t(x)
    widths = _np.broadcast_to(_np.asarray(pad_width, dtype=_np.int64), (x.ndim, 2)).tolist()
    return _ops.pad(x, widths, mode=mode.upper(), constant_values=0 if constant_values is None else constant_values)


def take(x, indices, axis=None):
    """Entries of ``x`` at ``indices`` along ``axis`` (of the flattened ``x`` when None)."""
    x = _t(x)
    if axis is None:
        x, axis = ravel(x), 0
    indices = to_array(indices)
    if indices.dtype.kind not in "iu":
        indices = indices.astype("int32")
    indices = xp.where(indices < 0, indices + x.shape[axis], indices)
    return _ops.gather(x, Tensor._wrap(indices), axis=axis % x.ndim)


def take_along_axis(x, indices, axis=None):
    """``x`` picked at ``indices`` along ``axis``, as NumPy's ``take_along_axis`` (differentiable)."""
    x = _t(x)
    if axis is None:
        x, axis = ravel(x), 0
    return _ops.take_along_axis(x, Tensor._wrap(to_array(indices).astype("int64")), axis=axis % x.ndim)


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal of ``x`` in the plane ``(axis1, axis2)``."""
    x = _t(x)
    n = xp.diagonal(_np.empty(x.shape, dtype=bool), offset, axis1, axis2).shape[-1]
    rows = _np.arange(n) + builtins.max(-offset, 0)
    cols = _np.arange(n) + builtins.max(offset, 0)
    moved = moveaxis(moveaxis(x, axis1, -1), axis2 if axis2 < axis1 else axis2 - 1, -1)
    return moved[..., rows, cols]


def diag(x, k=0):
    """The ``k``-th diagonal of a matrix, or a matrix with vector ``x`` on it."""
    x = _t(x)
    if x.ndim == 1:
        n = x.shape[0] + builtins.abs(k)
        rows = _np.arange(x.shape[0]) + builtins.max(-k, 0)
        cols = _np.arange(x.shape[0]) + builtins.max(k, 0)
        flat = rows * n + cols
        return _scatter_flat(x, flat, (n, n))
    return diagonal(x, offset=k)


def _scatter_flat(values, flat_indices, shape):
    dtype = _np.dtype(values.dtype)
    (values,) = _product_operands([values], dtype)  # int8 or bool: placed exactly through int64
    one_hot_rows = Tensor._wrap(xp.asarray(_np.eye(int(_np.prod(shape)), dtype=values.dtype)[flat_indices]))
    return _in_dtype(_ops.reshape(_ops.matmul(_ops.reshape(values, [1, -1]), one_hot_rows), shape), dtype)


def trace(x, offset=0, axis1=0, axis2=1):
    """The sum of the diagonal."""
    return _ops.reduce_sum(diagonal(x, offset, axis1, axis2), axis=-1)


def diff(a, n=1, axis=-1):
    """The ``n``-th discrete difference along ``axis``."""
    a = _t(a)
    for _ in builtins.range(n):
        length = a.shape[axis]
        a = take(a, _np.arange(1, length), axis=axis) - take(a, _np.arange(0, length - 1), axis=axis)
    return a


def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D tensors, as NumPy."""
    return [Tensor._wrap(g) for g in xp.meshgrid(*[to_array(v) for v in x], indexing=indexing)]


# --- products --------------------------------------------------------------------------------------
def _product_dtype(tensors):
    """Keras 3's dtype for a product of ``tensors``: the floats decide when there are any (an
    integer times a ``float16`` is ``float16``), otherwise the integers' common type."""
    dtypes = [_np.dtype(t.dtype) for t in tensors]
    floats = [dtype for dtype in dtypes if dtype.kind in "fc"]
    return _np.result_type(*(floats or dtypes))


def _product_operands(tensors, dtype):
    """``tensors`` in the dtype their product is computed in: ``dtype`` for floats; for
    integers and booleans int64, so that the sums are exact (a result in a narrower type
    is cast back after, which wraps around as an overflowing product of that type does)."""
    compute = dtype if dtype.kind in "fc" else _np.dtype("int64")
    return [_in_dtype(t, compute) for t in tensors]


def _int8_product_dtype(tensors):
    """Keras 3 sums products of int8 tensors (and only of int8 ones) into int32, as its
    backends' matrix units do; any other product keeps the common type."""
    if builtins.all(_np.dtype(t.dtype) == _np.int8 for t in tensors):
        return _np.dtype("int32")
    return _product_dtype(tensors)


def matmul(x1, x2):
    """Matrix product (batched over leading axes).

    The result has Keras 3's dtype: two ``int8`` tensors give ``int32`` (exact sums),
    other integers their common type, an integer with a float the float's type.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import ops
    >>> a = np.array([[50, -30], [-90, 100]], "int8")
    >>> ops.matmul(a, a).numpy().tolist()
    [[5200, -4500], [-13500, 12700]]
    >>> ops.matmul(a, a).dtype.name
    'int32'
    """
    x1, x2 = _pair(x1, x2)
    dtype = _int8_product_dtype([x1, x2])
    a, b = _product_operands([x1, x2], dtype)
    return _in_dtype(_ops.matmul(a, b), dtype)


def dot(x1, x2):
    """NumPy's ``dot``: a matrix product for 2-D, a sum of products for 1-D.

    Integers keep their common type, as in Keras 3 (``int8`` stays ``int8``).
    """
    x1, x2 = _pair(x1, x2)
    dtype = _product_dtype([x1, x2])
    x1, x2 = _product_operands([x1, x2], dtype)
    if x1.ndim == 0 or x2.ndim == 0:
        result = x1 * x2
    elif x1.ndim == 1 and x2.ndim == 1:
        result = _ops.reduce_sum(x1 * x2)
    elif x2.ndim == 1:
        result = _ops.reshape(_ops.matmul(x1, _ops.reshape(x2, [-1, 1])), x1.shape[:-1])
    elif x1.ndim == 1:
        result = _ops.reshape(_ops.matmul(_ops.reshape(x1, [1, -1]), x2), x2.shape[:-2] + x2.shape[-1:])
    else:
        result = _ops.tensordot(x1, x2, [[x1.ndim - 1], [x2.ndim - 2]])
    return _in_dtype(result, dtype)


def vdot(x1, x2):
    """The sum of products of the flattened tensors."""
    x1, x2 = _pair(x1, x2)
    dtype = _product_dtype([x1, x2])
    x1, x2 = _product_operands([x1, x2], dtype)
    return _in_dtype(_ops.reduce_sum(ravel(x1) * ravel(x2)), dtype)


inner = vdot


def outer(x1, x2):
    """Every product of an entry of ``x1`` with one of ``x2``."""
    x1, x2 = _pair(x1, x2)
    dtype = _product_dtype([x1, x2])
    x1, x2 = _product_operands([x1, x2], dtype)
    return _in_dtype(_ops.reshape(ravel(x1), [-1, 1]) * _ops.reshape(ravel(x2), [1, -1]), dtype)


def tensordot(x1, x2, axes=2):
    """Sum of products over the given axes (integers keep their common type, as in Keras 3)."""
    x1, x2 = _pair(x1, x2)
    dtype = _product_dtype([x1, x2])
    a, b = _product_operands([x1, x2], dtype)
    return _in_dtype(_ops.tensordot(a, b, axes), dtype)


def cross(x1, x2, axis=-1):
    """The cross product of 3-vectors along ``axis``."""
    x1, x2 = _pair(x1, x2)
    a = [take(x1, [i], axis=axis) for i in builtins.range(3)]
    b = [take(x2, [i], axis=axis) for i in builtins.range(3)]
    return _ops.concat([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]], axis=axis)


def einsum(subscripts, *operands):
    """Einstein summation, differentiable in every operand (``keras.ops.einsum``).

    The same as ``learnet.einsum`` (``tf.einsum``): letters name axes, ``...`` stands
    for leading axes that broadcast (summed over when the output leaves it out, as in
    NumPy), and without ``->`` the output is the letters used once, in alphabetical
    order. Operands of different dtypes are first cast to the
    wider one, as Keras does, and int8 operands (all of them) sum into int32, as Keras 3's.

    Examples
    --------
    >>> from learnet import ops
    >>> ops.einsum("...ij,...jk->...ik", ops.ones((2, 1, 3)), ops.ones((3, 4))).shape
    TensorShape([2, 1, 4])
    """
    tensors = [_t(o) for o in operands]
    dtype = _int8_product_dtype(tensors)
    return _in_dtype(_linalg.numpy_einsum(subscripts, *_product_operands(tensors, dtype)), dtype)


# --- nn ----------------------------------------------------------------------------------------------
from learnet.ctc import ctc_decode, ctc_loss  # noqa: E402,F401 - keras.ops.ctc_loss / ctc_decode (ops.nn too)


def relu(x):
    """``max(x, 0)``."""
    return _nn.relu(_t(x))


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return _ops.minimum(_nn.relu(_t(x)), 6.0)


def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return _nn.sigmoid(_float(x))


def softplus(x):
    """``log(1 + exp(x))``."""
    return _nn.softplus(_float(x))


def softsign(x):
    """``x / (1 + |x|)``."""
    return _nn.softsign(_float(x))


def silu(x):
    """``x * sigmoid(x)`` (also called swish)."""
    x = _float(x)
    return x * _nn.sigmoid(x)


swish = silu


def log_sigmoid(x):
    """``log(sigmoid(x))``, computed stably."""
    return -_nn.softplus(-_float(x))


def leaky_relu(x, negative_slope=0.2):
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    return _nn.leaky_relu(_float(x), alpha=negative_slope)


def hard_sigmoid(x):
    """``clip(x / 6 + 0.5, 0, 1)`` (Keras 3's definition)."""
    return _ops.clip_by_value(_float(x) / 6.0 + 0.5, 0.0, 1.0)


def hard_silu(x):
    """``x * hard_sigmoid(x)``."""
    x = _float(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def elu(x, alpha=1.0):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    return _nn.elu(_float(x), alpha=alpha)


def selu(x):
    """Scaled ELU with the self-normalising constants."""
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return scale * _nn.elu(_float(x), alpha=alpha)


def gelu(x, approximate=True):
    """Gaussian error linear unit (the tanh approximation by default, as Keras 3's ops)."""
    x = _float(x)
    if approximate:
        return 0.5 * x * (1.0 + _ops.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
    return 0.5 * x * (1.0 + erf(x / _pymath.sqrt(2.0)))


def softmax(x, axis=-1):
    """``exp(x)`` normalised to sum to one along ``axis``."""
    return _nn.softmax(_float(x), axis=axis)


def log_softmax(x, axis=-1):
    """``log(softmax(x))``, computed stably."""
    return _nn.log_softmax(_float(x), axis=axis)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot vectors of ``num_classes`` entries (Keras 3: ``one_hot(x, num_classes)``)."""
    return _ops.one_hot(_ops.cast(_t(x), "int64"), num_classes, axis=axis, dtype=dtype or floatx())


def multi_hot(inputs, num_classes, axis=-1, dtype=None, sparse=False):
    """For each row of class indices, one vector with a 1 at each index."""
    hot = one_hot(inputs, num_classes, dtype=dtype)
    return _ops.reduce_max(hot, axis=-2 if _t(inputs).ndim > 1 else 0)


def normalize(x, axis=-1, order=2):
    """``x`` divided by its norm along ``axis``."""
    x = _float(x)
    if order == 2:
        return x * _ops.rsqrt(_ops.maximum(_ops.reduce_sum(x * x, axis=axis, keepdims=True), 1e-12))
    norm = _ops.reduce_sum(_ops.abs(x) ** order, axis=axis, keepdims=True) ** (1.0 / order)
    return x / _ops.maximum(norm, 1e-12)


def moments(x, axes, keepdims=False, synchronized=False):
    """The mean and variance of ``x`` over ``axes``."""
    x = _float(x)
    axes = _axis(axes)
    average_ = _ops.reduce_mean(x, axis=axes, keepdims=True)
    variance = _ops.reduce_mean(_ops.square(x - average_), axis=axes, keepdims=keepdims)
    if not keepdims:
        average_ = _ops.squeeze(average_, axes if isinstance(axes, (tuple, list)) else [axes])
    return average_, variance


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset`` along ``axis``."""
    x = _float(x)
    shape_ = [1] * x.ndim
    shape_[axis] = x.shape[axis]

    def along(v):
        return _ops.reshape(_ops.cast(_t(v), x.dtype), shape_)

    result = (x - along(mean)) * _ops.rsqrt(along(variance) + epsilon)
    if scale is not None:
        result = result * along(scale)
    if offset is not None:
        result = result + along(offset)
    return result


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy (no mean)."""
    target, output = _pair(_float(target), _float(output))
    if from_logits:
        return _nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    output = _ops.clip_by_value(output, 1e-7, 1 - 1e-7)
    return -(target * _ops.log(output) + (1 - target) * _ops.log(1 - output))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of one-hot ``target`` and ``output`` along ``axis``."""
    target, output = _pair(_float(target), _float(output))
    if from_logits:
        return -_ops.reduce_sum(target * _nn.log_softmax(output, axis=axis), axis=axis)
    output = output / _ops.reduce_sum(output, axis=axis, keepdims=True)
    return -_ops.reduce_sum(target * _ops.log(_ops.clip_by_value(output, 1e-7, 1 - 1e-7)), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of integer ``target`` classes and ``output`` probabilities (or logits)."""
    output = _float(output)
    return categorical_crossentropy(
        one_hot(target, output.shape[axis], dtype=output.dtype), output, from_logits=from_logits, axis=axis
    )


def _channels_last(x, data_format, function):
    """``x`` moved to channels-last when ``data_format`` is ``'channels_first'``, and whether it was."""
    data_format = data_format or "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{function}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    if data_format == "channels_last":
        return x, False
    return _ops.transpose(x, (0,) + tuple(builtins.range(2, x.ndim)) + (1,)), True


def _channels_first(x):
    return _ops.transpose(x, (0, x.ndim - 1) + tuple(builtins.range(1, x.ndim - 1)))


def _ints(value, rank):
    """An int or a sequence of ints as ``rank`` ints (Keras passes ``list(self.strides)``)."""
    if isinstance(value, (int, _np.integer)):
        return (int(value),) * rank
    value = tuple(int(v) for v in value)
    return value * rank if len(value) == 1 else value


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """A 1-D, 2-D or 3-D convolution (Keras 3's ``keras.ops.conv``).

    Parameters
    ----------
    inputs : Tensor of shape ``(batch, *spatial, channels)`` (or ``(batch, channels, *spatial)``
        with ``data_format='channels_first'``), of rank 3, 4 or 5.
    kernel : Tensor of shape ``(*kernel_size, in_channels, filters)``
    strides, dilation_rate : int or one int per spatial axis
    padding : {"valid", "same"}

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.conv(keras.ops.ones((1, 5, 5, 2)), keras.ops.ones((3, 3, 2, 4))).shape
    TensorShape([1, 3, 3, 4])
    """
    from learnet.ops import conv as _conv
    from learnet.ops import volumes as _volumes

    inputs, kernel = _pair(_float(inputs), _float(kernel))
    if inputs.ndim not in (3, 4, 5):
        raise ValueError(
            f"conv supports 1-D, 2-D and 3-D convolutions (inputs of rank 3, 4 or 5), got rank {inputs.ndim}"
        )
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"conv: padding must be 'valid' or 'same', got {padding!r}")
    rank = inputs.ndim - 2
    strides, dilations = _ints(strides, rank), _ints(dilation_rate, rank)
    inputs, moved = _channels_last(inputs, data_format, "conv")
    padding = padding.upper()
    if rank == 1:
        outputs = _conv.conv1d(inputs, kernel, stride=strides[0], padding=padding, dilations=dilations[0])
    elif rank == 2:
        outputs = _conv.conv2d(inputs, kernel, strides=strides, padding=padding, dilations=dilations)
    else:
        outputs = _volumes.conv3d(inputs, kernel, strides=strides, padding=padding, dilations=dilations)
    return _channels_first(outputs) if moved else outputs


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """A 2-D depthwise convolution, channels last: each channel under its own kernels
    (``kernel`` of shape ``(kh, kw, in_channels, multiplier)``)."""
    from learnet.ops import conv as _conv

    inputs, kernel = _pair(_float(inputs), _float(kernel))
    if inputs.ndim != 4:
        raise ValueError(f"depthwise_conv supports 2-D convolutions (inputs of rank 4), got rank {inputs.ndim}")
    return _conv.depthwise_conv2d(inputs, kernel, strides, padding.upper(), data_format, dilations=dilation_rate)


def separable_conv(
    inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None, dilation_rate=1
):
    """A 2-D depthwise convolution, then a 1x1 convolution that mixes the channels."""
    from learnet.ops import conv as _conv

    inputs, depthwise_kernel = _pair(_float(inputs), _float(depthwise_kernel))
    if inputs.ndim != 4:
        raise ValueError(f"separable_conv supports 2-D convolutions (inputs of rank 4), got rank {inputs.ndim}")
    return _conv.separable_conv2d(
        inputs,
        depthwise_kernel,
        _float(pointwise_kernel),
        strides,
        padding.upper(),
        data_format,
        dilations=dilation_rate,
    )


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling over windows of ``pool_size`` (1-D or 2-D, channels last)."""
    from learnet.ops import conv as _conv

    inputs = _t(inputs)
    pool = _conv.max_pool1d if inputs.ndim == 3 else _conv.max_pool2d
    return pool(inputs, pool_size, strides=strides or pool_size, padding=padding.upper())


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling over windows of ``pool_size`` (1-D or 2-D, channels last)."""
    from learnet.ops import conv as _conv

    inputs = _t(inputs)
    pool = _conv.avg_pool1d if inputs.ndim == 3 else _conv.avg_pool2d
    return pool(inputs, pool_size, strides=strides or pool_size, padding=padding.upper())


# --- math (keras.ops.math) ----------------------------------------------------------------------------
def _segment(kind, data, segment_ids, num_segments):
    """``learnet.ops.segment.segment_reduce`` of ``data`` by ``segment_ids``, as Keras' segment
    functions take them (the count of segments from the largest id when not given)."""
    from learnet.ops.segment import segment_reduce

    ids = to_numpy(to_array(segment_ids)).astype(_np.int64)
    count = int(ids.max()) + 1 if num_segments is None else int(num_segments)
    return segment_reduce(kind, _t(data), ids, count)


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """Sum of the rows of ``data`` that share a segment id (differentiable; ids outside the segments dropped)."""
    return _segment("sum", data, segment_ids, num_segments)


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """Largest row of ``data`` in each segment (differentiable; empty segments hold the dtype's lowest value)."""
    return _segment("max", data, segment_ids, num_segments)


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """Smallest row of ``data`` in each segment (differentiable; empty segments hold the dtype's largest value)."""
    return _segment("min", data, segment_ids, num_segments)


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """Product of the rows of ``data`` in each segment (differentiable; empty segments hold 1)."""
    return _segment("prod", data, segment_ids, num_segments)


def top_k(x, k, sorted=True):
    """The ``k`` largest values along the last axis and their indices."""
    from learnet.math import top_k as _top_k

    result = _top_k(_t(x), k=k, sorted=sorted)
    return result.values, result.indices


def in_top_k(targets, predictions, k):
    """Whether each target class is among the ``k`` highest predictions."""
    from learnet.math import in_top_k as _in_top_k

    return _in_top_k(targets, predictions, k)


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of ``sequence_length`` samples every ``sequence_stride`` along the last axis."""
    x = _t(x)
    starts = builtins.range(0, x.shape[-1] - sequence_length + 1, sequence_stride)
    return _ops.stack([x[..., s : s + sequence_length] for s in starts], axis=-2)


# --- linalg (keras.ops.linalg) ---------------------------------------------------------------------------
def inv(x):
    """The inverse of a square matrix."""
    from learnet.ops.linalg import inv as _inv

    return _inv(_float(x))


def det(x):
    """The determinant of a square matrix (no gradient)."""
    return Tensor._wrap(xp.asarray(xp.linalg.det(to_array(_float(x)))))


def solve(a, b):
    """``x`` with ``a @ x = b``."""
    return Tensor._wrap(xp.linalg.solve(to_array(_float(a)), to_array(_float(b))))


def norm(x, ord=None, axis=None, keepdims=False):
    """The vector or matrix norm (the 2-norm of the flattened ``x`` by default); differentiable for the 2-norm."""
    x = _float(x)
    if ord in (None, 2, "fro", "euclidean") and (ord != 2 or axis is None or isinstance(axis, int)):
        return _ops.sqrt(_ops.reduce_sum(x * x, axis=_axis(axis), keepdims=keepdims))
    if ord == 1 and (axis is None or isinstance(axis, int)):
        return _ops.reduce_sum(_ops.abs(x), axis=_axis(axis), keepdims=keepdims)
    return Tensor._wrap(xp.asarray(xp.linalg.norm(to_array(x), ord=ord, axis=_axis(axis), keepdims=keepdims)))


def cholesky(x):
    """The lower Cholesky factor of a symmetric positive-definite matrix."""
    return Tensor._wrap(xp.linalg.cholesky(to_array(_float(x))))


def qr(x, mode="reduced"):
    """The QR decomposition."""
    q, r = xp.linalg.qr(to_array(_float(x)), mode=mode)
    return Tensor._wrap(q), Tensor._wrap(r)


def svd(x, full_matrices=True, compute_uv=True):
    """The singular value decomposition."""
    result = xp.linalg.svd(to_array(_float(x)), full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(Tensor._wrap(r) for r in result) if compute_uv else Tensor._wrap(result)


def eig(x):
    """Eigenvalues and eigenvectors of a square matrix."""
    w, v = xp.linalg.eig(to_array(_float(x)))
    return Tensor._wrap(w), Tensor._wrap(v)


def eigh(x):
    """Eigenvalues and eigenvectors of a symmetric matrix."""
    w, v = xp.linalg.eigh(to_array(_float(x)))
    return Tensor._wrap(w), Tensor._wrap(v)


def get_item(x, key):
    """``x[key]``: NumPy indexing (ints, slices, ``...``, ``None``, index arrays)."""
    return _t(x)[key]


# --- NaN-aware reductions ---------------------------------------------------------------------------
# Each replaces the NaNs by the reduction's neutral value and reduces, so the gradient flows to
# every number that is not NaN; a slice that holds only NaNs gives NaN, as NumPy.
def _nan_replaced(x, value):
    """``x`` (a float tensor) with its NaNs replaced by ``value``, and where they were."""
    missing = _ops.is_nan(x)
    return _ops.where(missing, _ops.zeros_like(x) + value, x), missing


def _present(missing, x, axis, keepdims):
    """How many numbers that are not NaN each slice holds, in ``x``'s dtype."""
    return _ops.reduce_sum(Tensor._wrap((~missing._value).astype(x.dtype)), axis=axis, keepdims=keepdims)


def _nan_where_empty(result, count):
    return _ops.where(_ops.equal(count, 0.0), _ops.zeros_like(result) + _np.nan, result)


def nansum(x, axis=None, keepdims=False):
    """Sum over ``axis``, NaNs counted as zero.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.nansum([1.0, float("nan"), 2.0]).numpy()
    np.float32(3.0)
    """
    x = _t(x)
    if x.dtype.kind != "f":
        return sum(x, axis=axis, keepdims=keepdims)
    return _ops.reduce_sum(_nan_replaced(x, 0.0)[0], axis=_axis(axis), keepdims=keepdims)


def nanprod(x, axis=None, keepdims=False):
    """Product over ``axis``, NaNs counted as one."""
    x = _t(x)
    if x.dtype.kind != "f":
        return prod(x, axis=axis, keepdims=keepdims)
    return _ops.reduce_prod(_nan_replaced(x, 1.0)[0], axis=_axis(axis), keepdims=keepdims)


def nanmean(x, axis=None, keepdims=False):
    """Mean over ``axis`` of the numbers that are not NaN (NaN where there are none)."""
    x = _float(x)
    filled, missing = _nan_replaced(x, 0.0)
    count = _present(missing, x, _axis(axis), keepdims)
    total = _ops.reduce_sum(filled, axis=_axis(axis), keepdims=keepdims)
    return _nan_where_empty(total / _ops.maximum(count, 1.0), count)


def nanvar(x, axis=None, keepdims=False):
    """Variance (population) over ``axis`` of the numbers that are not NaN."""
    x = _float(x)
    filled, missing = _nan_replaced(x, 0.0)
    count = _present(missing, x, _axis(axis), True)
    centre = _ops.reduce_sum(filled, axis=_axis(axis), keepdims=True) / _ops.maximum(count, 1.0)
    deviation = _ops.where(missing, _ops.zeros_like(x), filled - centre)
    result = _ops.reduce_sum(deviation * deviation, axis=_axis(axis), keepdims=True) / _ops.maximum(count, 1.0)
    result = _nan_where_empty(result, count)
    if keepdims:
        return result
    return _ops.reshape(result, _np.squeeze(_np.empty(result.shape, bool), axis=_axis(axis)).shape)


def nanstd(x, axis=None, keepdims=False):
    """Standard deviation (population) over ``axis`` of the numbers that are not NaN."""
    return _ops.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


def _nan_extreme(x, axis, keepdims, reduce, fill):
    x = _t(x)
    if x.dtype.kind != "f":
        return reduce(x, axis=_axis(axis), keepdims=keepdims)
    filled, missing = _nan_replaced(x, fill)
    count = _present(missing, x, _axis(axis), keepdims)
    return _nan_where_empty(reduce(filled, axis=_axis(axis), keepdims=keepdims), count)


def nanmax(x, axis=None, keepdims=False):
    """Largest value over ``axis``, NaNs left out (NaN where a slice holds only NaNs)."""
    return _nan_extreme(x, axis, keepdims, _ops.reduce_max, -_np.inf)


def nanmin(x, axis=None, keepdims=False):
    """Smallest value over ``axis``, NaNs left out (NaN where a slice holds only NaNs)."""
    return _nan_extreme(x, axis, keepdims, _ops.reduce_min, _np.inf)


def _nan_arg(x, axis, keepdims, function, fill):
    array = to_array(x)
    if array.dtype.kind != "f":
        return Tensor._wrap(xp.asarray(function(array, axis=axis, keepdims=keepdims)).astype("int32"))
    missing = xp.isnan(array)
    index = function(xp.where(missing, fill, array), axis=axis, keepdims=keepdims)
    empty = xp.all(missing, axis=axis, keepdims=keepdims)
    return Tensor._wrap(xp.asarray(xp.where(empty, -1, index)).astype("int32"))


def nanargmax(x, axis=None, keepdims=False):
    """Index of the largest value, NaNs left out; -1 where a slice holds only NaNs."""
    return _nan_arg(x, axis, keepdims, xp.argmax, -_np.inf)


def nanargmin(x, axis=None, keepdims=False):
    """Index of the smallest value, NaNs left out; -1 where a slice holds only NaNs."""
    return _nan_arg(x, axis, keepdims, xp.argmin, _np.inf)


def nancumsum(x, axis=None, dtype=None):
    """Running sum along ``axis`` (of the flattened array when None), NaNs counted as zero."""
    x = _t(x) if dtype is None else cast(x, dtype)
    if x.dtype.kind == "f":
        x = _nan_replaced(x, 0.0)[0]
    return cumsum(x, axis=axis)


def _check_percent(q, function):
    q = _np.asarray(to_numpy(to_array(q)), dtype="float64")
    if _np.any((q < 0) | (q > 100)) or _np.any(_np.isnan(q)):
        raise ValueError(f"{function}: percentiles must be in the range [0, 100], got {q.tolist()}")


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th percentile (``q`` in 0 to 100) over ``axis``; ``quantile`` with ``q / 100``."""
    _check_percent(q, "percentile")
    return quantile(x, to_array(q, "float64") / 100.0, axis=axis, method=method, keepdims=keepdims)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th quantile over ``axis``, NaNs left out (NaN where a slice holds only NaNs); differentiable."""
    return _sorted_quantile(x, q, axis, method, keepdims, True, "nanquantile")


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th percentile (``q`` in 0 to 100) over ``axis``, NaNs left out."""
    _check_percent(q, "nanpercentile")
    return nanquantile(x, to_array(q, "float64") / 100.0, axis=axis, method=method, keepdims=keepdims)


def nanmedian(x, axis=None, keepdims=False):
    """The median over ``axis``, NaNs left out."""
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)


def ptp(x, axis=None, keepdims=False):
    """The range ``max - min`` over ``axis`` ("peak to peak"); differentiable."""
    return max(x, axis=axis, keepdims=keepdims) - min(x, axis=axis, keepdims=keepdims)


# --- searching and sets ---------------------------------------------------------------------------------
def searchsorted(sorted_sequence, values, side="left"):
    """Where each of ``values`` would go in the 1-D ``sorted_sequence`` to keep it sorted.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.searchsorted([1.0, 2.0, 3.0], [2.5, 0.0]).numpy()
    array([2, 0], dtype=int32)
    """
    sequence = to_array(sorted_sequence)
    if sequence.ndim != 1:
        raise ValueError(f"searchsorted needs a 1-D sorted_sequence, got shape {tuple(sequence.shape)}")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    return Tensor._wrap(xp.searchsorted(sequence, to_array(values), side=side).astype("int32"))


def unique(
    x,
    sorted=True,
    return_index=False,
    return_inverse=False,
    return_counts=False,
    axis=None,
    size=None,
    fill_value=None,
):
    """The distinct values of ``x``, sorted, as NumPy's ``unique`` (eager; no gradient).

    With ``return_index``, ``return_inverse`` or ``return_counts`` the result is a tuple:
    the values, then where each first occurs, how to rebuild ``x`` from them, and how
    often each occurs (int32). ``size`` pads (or cuts) the result to a fixed length, the
    values with ``fill_value`` (the smallest value by default) and the counts with 0.

    Examples
    --------
    >>> import learnet as keras
    >>> values, counts = keras.ops.unique([3, 1, 3], return_counts=True)
    >>> values.numpy().tolist(), counts.numpy().tolist()
    ([1, 3], [1, 2])
    """
    array = to_numpy(to_array(x))
    values, index, inverse, counts = _np.unique(
        array, return_index=True, return_inverse=True, return_counts=True, axis=axis
    )
    if axis is None:
        inverse = inverse.reshape(array.shape)
    if size is not None:
        size = int(size)
        missing = builtins.max(size - values.shape[0 if axis is not None else 0], 0)
        if axis is None:
            fill = values.min() if fill_value is None and values.size else (fill_value or 0)
            values = _np.concatenate([values[:size], _np.full(missing, fill, values.dtype)])
        else:
            fill = values[:1] if fill_value is None else _np.full_like(values[:1], fill_value)
            values = _np.concatenate([values[:size], _np.repeat(fill, missing, axis=axis)], axis=axis)
        index = _np.concatenate([index[:size], _np.full(missing, index[0] if index.size else 0)])
        counts = _np.concatenate([counts[:size], _np.zeros(missing, counts.dtype)])
    results = [values]
    for wanted, extra in ((return_index, index), (return_inverse, inverse), (return_counts, counts)):
        if wanted:
            results.append(extra.astype("int32"))
    tensors = tuple(Tensor._wrap(xp.asarray(r)) for r in results)
    return tensors if len(tensors) > 1 else tensors[0]


def isin(x1, x2, assume_unique=False, invert=False):
    """Whether each entry of ``x1`` is among the entries of ``x2``."""
    return Tensor._wrap(xp.isin(to_array(x1), to_array(x2), assume_unique=assume_unique, invert=invert))


def argpartition(x, kth, axis=-1):
    """Indices that put the ``kth`` smallest entry in place, smaller ones before and larger after.

    The order within each side is not specified (it may differ from other backends).
    """
    return Tensor._wrap(xp.argpartition(to_array(x), kth, axis=axis).astype("int32"))


def unravel_index(indices, shape):
    """The coordinates in an array of ``shape`` of each flat index, one tensor per axis."""
    coordinates = xp.unravel_index(to_array(indices), _shape_arg(shape))
    return tuple(Tensor._wrap(xp.asarray(c).astype("int32")) for c in coordinates)


def histogram(x, bins=10, range=None):
    """Counts of the 1-D ``x`` in ``bins`` equal bins, and the bins' edges (NumPy's ``histogram``)."""
    array = to_array(x)
    if array.ndim != 1:
        raise ValueError(f"histogram needs a 1-D input, got shape {tuple(array.shape)}")
    counts, edges = xp.histogram(array, bins=int(bins), range=range)
    return Tensor._wrap(counts.astype("int32")), Tensor._wrap(edges.astype(_float(x).dtype))


def select(condlist, choicelist, default=0):
    """From ``choicelist``, the entry of the first condition in ``condlist`` that holds, else ``default``.

    Differentiable in the choices.
    """
    if len(condlist) != len(choicelist):
        raise ValueError(f"select needs as many conditions as choices, got {len(condlist)} and {len(choicelist)}")
    choices = [_t(c) for c in choicelist]
    result = _ops.zeros_like(choices[0]) + default if choices else _t(default)
    for condition, choice in zip(reversed(condlist), reversed(choices)):
        result = _ops.where(_ops.cast(_t(condition), "bool"), *_pair(choice, result))
    return result


# --- elementwise math -----------------------------------------------------------------------------------
cbrt = _unary("cbrt", xp.cbrt, lambda x, y: 1 / (3 * y * y), "The cube root, negative for negative ``x``.")


def exp2(x):
    """``2 ** x``."""
    x = _float(x)
    return _ops.exp(x * _pymath.log(2.0))


def deg2rad(x):
    """Degrees to radians."""
    return _float(x) * (_pymath.pi / 180.0)


def rad2deg(x):
    """Radians to degrees."""
    return _float(x) * (180.0 / _pymath.pi)


def sinc(x):
    """``sin(pi x) / (pi x)``, and 1 at 0; differentiable."""
    x = _float(x)
    zero = _ops.equal(x, 0.0)
    safe = _ops.where(zero, _ops.ones_like(x), x) * _pymath.pi
    return _ops.where(zero, _ops.ones_like(x), _ops.sin(safe) / safe)


def heaviside(x1, x2):
    """The step function: 0 where ``x1 < 0``, 1 where ``x1 > 0``, ``x2`` where ``x1 == 0``."""
    x1, x2 = _pair(x1, x2)
    out_dtype = _np.result_type(x1.dtype, x2.dtype)
    if out_dtype.kind != "f":
        out_dtype = _np.dtype(floatx())
    return Tensor._wrap(_np.heaviside(to_array(x1), to_array(x2)).astype(out_dtype))


def trunc(x):
    """``x`` rounded towards zero (no gradient); integers stay integers."""
    array = to_array(x)
    return Tensor._wrap(array.copy() if array.dtype.kind in "iub" else xp.trunc(array))


def signbit(x):
    """Whether the sign bit is set (true for -0.0 too)."""
    return Tensor._wrap(xp.signbit(to_array(x)))


def fabs(x):
    """The absolute value, in floats."""
    return _ops.abs(_float(x))


def isneginf(x):
    """Whether each entry is -inf."""
    return Tensor._wrap(xp.isneginf(to_array(x)))


def isposinf(x):
    """Whether each entry is +inf."""
    return Tensor._wrap(xp.isposinf(to_array(x)))


def isreal(x):
    """Whether each entry has no imaginary part."""
    return Tensor._wrap(xp.isreal(to_array(x)))


def i0(x):
    """The modified Bessel function of the first kind, order 0 (no gradient)."""
    array = to_array(_float(x))
    return Tensor._wrap(xp.i0(array).astype(array.dtype))


def fmod(x1, x2):
    """The remainder of ``x1 / x2`` with the sign of ``x1`` (C's ``fmod``; ``mod`` takes ``x2``'s sign)."""
    x1, x2 = _pair(x1, x2)
    if x1.dtype.kind != "f" and x2.dtype.kind != "f":
        return Tensor._wrap(xp.fmod(x1._value, x2._value))
    return _fmod(*_pair(_float(x1), _float(x2)))


@primitive
def _fmod(x1, x2):
    def backward(g, x1, x2, out):
        quotient = Tensor._wrap(xp.trunc((x1 / x2)._value))
        return unbroadcast(g, x1.shape), unbroadcast(-g * quotient, x2.shape)

    return xp.fmod(x1, x2), backward


def hypot(x1, x2):
    """``sqrt(x1**2 + x2**2)`` without overflow on the way; differentiable."""
    return _hypot(*_pair(_float(x1), _float(x2)))


@primitive
def _hypot(x1, x2):
    def backward(g, x1, x2, out):
        return unbroadcast(g * x1 / out, x1.shape), unbroadcast(g * x2 / out, x2.shape)

    return xp.hypot(x1, x2), backward


def logaddexp2(x1, x2):
    """``log2(2**x1 + 2**x2)`` computed stably."""
    ln2 = _pymath.log(2.0)
    x1, x2 = _pair(_float(x1), _float(x2))
    return logaddexp(x1 * ln2, x2 * ln2) / ln2


def fmax(x1, x2):
    """The larger of ``x1`` and ``x2``, a NaN losing to a number (``maximum`` keeps NaNs)."""
    x1, x2 = _pair(x1, x2)
    if x1.dtype.kind != "f":
        return _ops.maximum(x1, x2)
    return _ops.where(_ops.logical_or(_ops.greater_equal(x1, x2), _ops.is_nan(x2)), x1, x2)


def fmin(x1, x2):
    """The smaller of ``x1`` and ``x2``, a NaN losing to a number (``minimum`` keeps NaNs)."""
    x1, x2 = _pair(x1, x2)
    if x1.dtype.kind != "f":
        return _ops.minimum(x1, x2)
    return _ops.where(_ops.logical_or(_ops.less_equal(x1, x2), _ops.is_nan(x2)), x1, x2)


def _integer_binary(function):
    def operation(x, y):
        x, y = _pair(x, y)
        return Tensor._wrap(xp.asarray(function(x._value, y._value)))

    operation.__name__ = function.__name__
    return operation


gcd = _integer_binary(xp.gcd)
gcd.__doc__ = "The greatest common divisor of integers."
lcm = _integer_binary(xp.lcm)
lcm.__doc__ = "The least common multiple of integers."
bitwise_and = _integer_binary(xp.bitwise_and)
bitwise_and.__doc__ = "Bitwise AND of integers (or logical AND of booleans)."
bitwise_or = _integer_binary(xp.bitwise_or)
bitwise_or.__doc__ = "Bitwise OR of integers."
bitwise_xor = _integer_binary(xp.bitwise_xor)
bitwise_xor.__doc__ = "Bitwise XOR of integers."
bitwise_left_shift = left_shift = _integer_binary(xp.left_shift)
left_shift.__doc__ = "The bits of ``x`` shifted left by ``y``."
bitwise_right_shift = right_shift = _integer_binary(xp.right_shift)
right_shift.__doc__ = "The bits of ``x`` shifted right by ``y``."


def bitwise_invert(x):
    """The bits of ``x`` flipped (``~x``)."""
    return Tensor._wrap(xp.invert(to_array(x)))


bitwise_not = bitwise_invert


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether ``x1`` and ``x2`` are close everywhere (a scalar bool tensor)."""
    return Tensor._wrap(xp.asarray(xp.allclose(to_array(x1), to_array(x2), rtol=rtol, atol=atol, equal_nan=equal_nan)))


# --- creation -----------------------------------------------------------------------------------------
def empty_like(x, dtype=None):
    """A tensor shaped as ``x`` (of zeros, here)."""
    return zeros_like(x, dtype=dtype)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``num`` numbers spaced evenly on a log scale from ``start`` to ``stop``."""
    values = xp.geomspace(to_array(start), to_array(stop), int(num), endpoint=endpoint, axis=axis)
    return Tensor._wrap(values.astype(_dtype_or_default(dtype)))


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix: columns are powers of the 1-D ``x`` (decreasing by default)."""
    x = _t(x)
    if x.ndim != 1:
        raise ValueError(f"vander needs a 1-D input, got shape {tuple(x.shape)}")
    n = x.shape[0] if N is None else int(N)
    powers = _np.arange(n) if increasing else _np.arange(n)[::-1]
    return Tensor._wrap(xp.asarray(x._value[:, None] ** powers.astype(x.dtype)).astype(x.dtype))


def _window(function, x):
    return Tensor._wrap(xp.asarray(function(int(x))).astype(floatx()))


def hamming(x):
    """The Hamming window of ``x`` points."""
    return _window(_np.hamming, x)


def hanning(x):
    """The Hann window of ``x`` points."""
    return _window(_np.hanning, x)


def blackman(x):
    """The Blackman window of ``x`` points."""
    return _window(_np.blackman, x)


def bartlett(x):
    """The Bartlett (triangular) window of ``x`` points."""
    return _window(_np.bartlett, x)


def kaiser(x, beta):
    """The Kaiser window of ``x`` points with shape ``beta``."""
    return Tensor._wrap(xp.asarray(_np.kaiser(int(x), float(beta))).astype(floatx()))


def diagflat(x, k=0):
    """A matrix with the flattened ``x`` on its ``k``-th diagonal; differentiable."""
    return diag(ravel(x), k=k)


# --- rearranging --------------------------------------------------------------------------------------
def fliplr(x):
    """``x`` with its columns (axis 1) in reverse order."""
    return flip(x, axis=1)


def flipud(x):
    """``x`` with its rows (axis 0) in reverse order."""
    return flip(x, axis=0)


def rot90(array, k=1, axes=(0, 1)):
    """``array`` rotated by ``k`` quarter turns in the plane of ``axes``, from the first towards the second.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.rot90([[1, 2], [3, 4]]).numpy()
    array([[2, 4],
           [1, 3]], dtype=int32)
    """
    x = _t(array)
    axes = tuple(int(a) for a in axes)
    if len(axes) != 2 or x.ndim < 2 or axes[0] % x.ndim == axes[1] % x.ndim:
        raise ValueError(
            f"rot90 needs two different axes of a tensor of rank 2 or more, got axes={axes} for rank {x.ndim}"
        )
    k = int(k) % 4
    if k == 0:
        return _ops.identity(x)
    if k == 2:
        return flip(flip(x, axes[0]), axes[1])
    return swapaxes(flip(x, axes[1]), *axes) if k == 1 else flip(swapaxes(x, *axes), axes[1])


def dstack(xs):
    """Join along the third axis, 1-D and 2-D tensors first made 3-D as NumPy's ``atleast_3d``."""

    def three_d(x):
        x = _t(x)
        if x.ndim == 0:
            return _ops.reshape(x, [1, 1, 1])
        if x.ndim == 1:
            return _ops.reshape(x, [1, -1, 1])
        return _ops.expand_dims(x, -1) if x.ndim == 2 else x

    return _ops.concat([three_d(x) for x in xs], axis=2)


def array_split(x, indices_or_sections, axis=0):
    """``split``, but ``x`` need not divide equally: the first parts get one entry more."""
    x = _t(x)
    if not isinstance(indices_or_sections, (int, _np.integer)):
        raise TypeError(f"array_split takes a number of sections (an int), got {indices_or_sections!r}")
    sections = int(indices_or_sections)
    if sections <= 0:
        raise ValueError(f"array_split needs a positive number of sections, got {sections}")
    length = x.shape[axis]
    sizes = [length // sections + 1] * (length % sections) + [length // sections] * (sections - length % sections)
    return split(x, list(itertools.accumulate(sizes))[:-1], axis=axis)


def hsplit(x, indices_or_sections):
    """``split`` along the second axis (the first for 1-D tensors)."""
    return split(x, indices_or_sections, axis=1 if _t(x).ndim > 1 else 0)


def vsplit(x, indices_or_sections):
    """``split`` along the first axis."""
    return split(x, indices_or_sections, axis=0)


def dsplit(x, indices_or_sections):
    """``split`` along the third axis."""
    return split(x, indices_or_sections, axis=2)


def kron(x1, x2):
    """The Kronecker product: a block ``x1[i] * x2`` for every entry ``i`` of ``x1``; differentiable.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.kron([1, 10], [1, 2]).numpy()
    array([ 1,  2, 10, 20], dtype=int32)
    """
    x1, x2 = _pair(x1, x2)
    rank = builtins.max(x1.ndim, x2.ndim)
    shape1 = [1] * (rank - x1.ndim) + list(x1.shape)
    shape2 = [1] * (rank - x2.ndim) + list(x2.shape)
    # Interleave the axes, (a0, 1, a1, 1, ...) times (1, b0, 1, b1, ...), then merge each pair.
    a = _ops.reshape(x1, [d for size in shape1 for d in (size, 1)])
    b = _ops.reshape(x2, [d for size in shape2 for d in (1, size)])
    return _ops.reshape(a * b, [p * q for p, q in zip(shape1, shape2)])


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of ``y`` along ``axis`` by the trapezoidal rule; differentiable."""
    y = _float(y)
    length = y.shape[axis]
    upper, lower = take(y, _np.arange(1, length), axis=axis), take(y, _np.arange(length - 1), axis=axis)
    if x is None:
        return _ops.reduce_sum(upper + lower, axis=axis) * (float(dx) / 2.0)
    steps = diff(_ops.cast(_t(x), y.dtype), axis=axis if _t(x).ndim > 1 else -1)
    if steps.ndim == 1 and y.ndim > 1:
        shape_ = [1] * y.ndim
        shape_[axis] = -1
        steps = _ops.reshape(steps, shape_)
    return _ops.reduce_sum((upper + lower) * steps, axis=axis) / 2.0


def corrcoef(x):
    """The Pearson correlation coefficients of the rows of ``x`` (each row a variable); differentiable."""
    x = _float(x)
    if x.ndim == 1:
        x = _ops.reshape(x, [1, -1])
    centred = x - _ops.reduce_mean(x, axis=1, keepdims=True)
    covariance = _ops.matmul(centred, _ops.transpose(centred))
    scale = _ops.rsqrt(diagonal(covariance))
    return _ops.clip_by_value(covariance * _ops.reshape(scale, [-1, 1]) * _ops.reshape(scale, [1, -1]), -1.0, 1.0)


def correlate(x1, x2, mode="valid"):
    """The cross-correlation of two 1-D sequences (NumPy's ``correlate``; no gradient)."""
    x1, x2 = _pair(x1, x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError(f"correlate needs 1-D inputs, got shapes {tuple(x1.shape)} and {tuple(x2.shape)}")
    dtype_ = _np.result_type(x1.dtype, x2.dtype)
    dtype_ = dtype_ if dtype_.kind == "f" else _np.dtype(floatx())
    return Tensor._wrap(xp.correlate(x1._value, x2._value, mode=mode).astype(dtype_))


def view(x, dtype=None):
    """The bytes of ``x`` read as ``dtype`` (no copy, no gradient)."""
    array = to_array(x)
    return Tensor._wrap(array if dtype is None else array.view(_as_dtype(dtype)))


def slogdet(x):
    """The sign and the log of the absolute value of the determinant (no gradient)."""
    sign_, logabsdet = xp.linalg.slogdet(to_array(_float(x)))
    return Tensor._wrap(xp.asarray(sign_)), Tensor._wrap(xp.asarray(logabsdet))


# --- nn: activations and normalisation --------------------------------------------------------------------
def celu(x, alpha=1.0):
    """``x`` where positive, ``alpha * (exp(x / alpha) - 1)`` elsewhere."""
    return _activations.celu(_float(x), alpha=alpha)


def glu(x, axis=-1):
    """Gated linear unit: the first half of ``x`` along ``axis`` times the sigmoid of the second."""
    return _activations.glu(_float(x), axis=axis)


def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return _activations.hard_tanh(_float(x))


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    return _activations.hard_shrink(_float(x), threshold=threshold)


def soft_shrink(x, threshold=0.5):
    """``x`` moved ``threshold`` towards 0, and 0 within ``[-threshold, threshold]``."""
    return _activations.soft_shrink(_float(x), threshold=threshold)


def tanh_shrink(x):
    """``x - tanh(x)``."""
    return _activations.tanh_shrink(_float(x))


def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``."""
    return _activations.squareplus(_float(x), b=b)


def sparse_plus(x):
    """0 below -1, ``x`` above 1, ``(x + 1)**2 / 4`` between."""
    return _activations.sparse_plus(_float(x))


def sparse_sigmoid(x):
    """``clip((x + 1) / 2, 0, 1)``."""
    return _activations.sparse_sigmoid(_float(x))


def sparsemax(x, axis=-1):
    """The projection of ``x`` onto the probability simplex along ``axis`` (sparse softmax)."""
    return _activations.sparsemax(_float(x), axis=axis)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    return _activations.threshold(_t(x), threshold, default_value)


def _normalization_axes(x, axis):
    return sorted(int(a) % x.ndim for a in ([axis] if isinstance(axis, int) else axis))


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """``(x - mean) / sqrt(variance + epsilon) * gamma + beta``, the statistics over ``axis``.

    ``rms_scaling=True`` divides by the root of the variance only (no centring, no ``beta``).
    ``epsilon`` defaults to ``keras.backend.epsilon()``.
    """
    from learnet.backend import epsilon as _epsilon

    unknown = set(kwargs) - {"rms_scaling"}
    if unknown:
        raise TypeError(f"layer_normalization got unexpected arguments {sorted(unknown)}")
    x = _float(x)
    epsilon = _epsilon() if epsilon is None else float(epsilon)
    axes = _normalization_axes(x, axis)
    shape_ = [x.shape[a] if a in axes else 1 for a in builtins.range(x.ndim)]

    def along(v):
        v = _ops.cast(_t(v), x.dtype)
        return v if axes == [x.ndim - 1] else _ops.reshape(v, shape_)

    average_ = _ops.reduce_mean(x, axis=tuple(axes), keepdims=True)
    variance = _ops.reduce_mean(_ops.square(x - average_), axis=tuple(axes), keepdims=True)
    if kwargs.get("rms_scaling"):
        outputs = x * _ops.rsqrt(variance + epsilon)
        return outputs if gamma is None else outputs * along(gamma)
    outputs = (x - average_) * _ops.rsqrt(variance + epsilon)
    if gamma is not None:
        outputs = outputs * along(gamma)
    return outputs if beta is None else outputs + along(beta)


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """``x / sqrt(mean(x**2) + epsilon) * scale``, the mean over ``axis``."""
    from learnet.backend import epsilon as _epsilon

    x = _float(x)
    epsilon = _epsilon() if epsilon is None else float(epsilon)
    if x.ndim == 0:
        x = _ops.reshape(x, [1])
    axes = tuple(_normalization_axes(x, axis))
    outputs = x * _ops.rsqrt(_ops.reduce_mean(_ops.square(x), axis=axes, keepdims=True) + epsilon)
    return outputs if scale is None else outputs * _ops.cast(_t(scale), x.dtype)


def dot_product_attention(
    query,
    key,
    value,
    bias=None,
    mask=None,
    scale=None,
    is_causal=False,
    flash_attention=None,
    attn_logits_soft_cap=None,
):
    """``softmax(query . key / sqrt(H) + bias) . value``, as Keras 3's ``dot_product_attention``.

    Parameters
    ----------
    query : Tensor of shape ``(B, T, N, H)``: batch, query length, heads, head size.
    key, value : Tensors of shape ``(B, S, K, H)``, where ``N`` is a multiple of ``K``
        (grouped-query attention; ``K == 1`` is multi-query attention).
    bias : added to the logits, broadcastable to ``(B, N, T, S)``.
    mask : boolean, broadcastable to ``(B, N, T, S)``; True where a key is attended to.
    scale : the logits' scale, ``1 / sqrt(H)`` by default.
    is_causal : whether query ``t`` attends only to keys ``s <= t``.
    flash_attention : ``None`` or ``False`` (learnet has no fused kernel).

    Returns
    -------
    Tensor of the shape of ``query``.

    Examples
    --------
    >>> import learnet as keras
    >>> q = keras.ops.ones((2, 4, 8, 16))
    >>> kv = keras.ops.ones((2, 6, 2, 16))
    >>> keras.ops.dot_product_attention(q, kv, kv).shape
    TensorShape([2, 4, 8, 16])
    """
    if flash_attention:
        raise ValueError("dot_product_attention: learnet has no flash attention; pass flash_attention=None or False")
    if attn_logits_soft_cap is not None:
        raise ValueError("dot_product_attention: attn_logits_soft_cap is only supported by JAX on TPU")
    query = _float(query)
    key, value = _ops.cast(_t(key), query.dtype), _ops.cast(_t(value), query.dtype)
    if query.ndim != 4 or key.ndim != 4 or value.ndim != 4:
        raise ValueError(
            "dot_product_attention expects query, key and value of rank 4 (batch, length, heads, head size), "
            f"got shapes {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}"
        )
    heads, key_heads = query.shape[2], key.shape[2]
    if heads % key_heads or key.shape != value.shape or query.shape[-1] != key.shape[-1]:
        raise ValueError(
            "dot_product_attention: key and value must share one shape (B, S, K, H), with the query's "
            f"head size and a number of heads K that divides the query's N; got query {tuple(query.shape)}, "
            f"key {tuple(key.shape)}, value {tuple(value.shape)}"
        )
    if key_heads != heads:
        key = _ops.repeat(key, heads // key_heads, axis=2)
        value = _ops.repeat(value, heads // key_heads, axis=2)
    scale = 1.0 / _pymath.sqrt(query.shape[-1]) if scale is None else float(scale)
    logits = _linalg.numpy_einsum("btnh,bsnh->bnts", query, key) * scale
    if bias is not None:
        logits = logits + _ops.cast(_t(bias), logits.dtype)
    if mask is not None or is_causal:
        keep = xp.ones(logits.shape, dtype=bool)
        if mask is not None:
            keep = keep & to_array(mask).astype(bool)
        if is_causal:
            keep = keep & xp.tril(xp.ones(logits.shape[-2:], dtype=bool))
        lowest = _ops.zeros_like(logits) - 0.7 * float(_np.finfo(logits.dtype).max)
        logits = _ops.where(Tensor._wrap(keep), logits, lowest)
    weights = _nn.softmax(logits, axis=-1)
    return _linalg.numpy_einsum("bnts,bsnh->btnh", weights, value)


def _block_format(x, data_format, function):
    x = _t(x)
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{function}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    if x.ndim != 4:
        raise ValueError(f"{function} expects images of rank 4, got shape {tuple(x.shape)}")
    return x, data_format == "channels_last"


def depth_to_space(x, block_size, data_format="channels_last"):
    """Move blocks of channels into space, ``(N, H, W, C)`` to ``(N, H*b, W*b, C/b**2)`` (pixel shuffle).

    With ``data_format='channels_first'`` the channels are read as ``(C/b**2, b, b)``, as PyTorch's
    ``pixel_shuffle`` (and Keras 3) does.
    """
    x, last = _block_format(x, data_format, "depth_to_space")
    b = int(block_size)
    n, c = x.shape[0], x.shape[3 if last else 1]
    h, w = x.shape[1:3] if last else x.shape[2:4]
    if c % (b * b):
        raise ValueError(f"depth_to_space: {c} channels do not divide into blocks of {b}x{b}")
    depth = c // (b * b)
    if last:
        blocks = _ops.transpose(_ops.reshape(x, [n, h, w, b, b, depth]), [0, 1, 3, 2, 4, 5])
        return _ops.reshape(blocks, [n, h * b, w * b, depth])
    blocks = _ops.transpose(_ops.reshape(x, [n, depth, b, b, h, w]), [0, 1, 4, 2, 5, 3])
    return _ops.reshape(blocks, [n, depth, h * b, w * b])


def space_to_depth(x, block_size, data_format="channels_last"):
    """Move blocks of space into channels, ``(N, H, W, C)`` to ``(N, H/b, W/b, C*b**2)``: ``depth_to_space`` undone."""
    x, last = _block_format(x, data_format, "space_to_depth")
    b = int(block_size)
    n, c = x.shape[0], x.shape[3 if last else 1]
    h, w = x.shape[1:3] if last else x.shape[2:4]
    if h % b or w % b:
        raise ValueError(f"space_to_depth: height {h} and width {w} must be multiples of block_size {b}")
    if last:
        blocks = _ops.transpose(_ops.reshape(x, [n, h // b, b, w // b, b, c]), [0, 1, 3, 2, 4, 5])
        return _ops.reshape(blocks, [n, h // b, w // b, c * b * b])
    blocks = _ops.transpose(_ops.reshape(x, [n, c, h // b, b, w // b, b]), [0, 1, 3, 5, 2, 4])
    return _ops.reshape(blocks, [n, c * b * b, h // b, w // b])


def psnr(x1, x2, max_val):
    """The peak signal-to-noise ratio in decibels: ``20 log10(max_val) - 10 log10(mse)``."""
    x1, x2 = _pair(_float(x1), _float(x2))
    if x1.shape != x2.shape:
        raise ValueError(f"psnr needs inputs of one shape, got {tuple(x1.shape)} and {tuple(x2.shape)}")
    mse = _ops.reduce_mean(_ops.square(x1 - x2))
    return 20.0 * _pymath.log10(float(max_val)) - 10.0 * log10(mse)


# --- Fourier transforms and complex numbers -----------------------------------------------------------------
# Keras 3 hands complex numbers around as (real, imag) pairs of float tensors. Each function
# here builds the complex tensor, runs ``learnet.signal``'s transform (the same differentiable
# FFT primitives as ``tf.signal``) and takes the parts apart again, so gradients reach both parts.
def _complex_from_pair(x, function):
    """The complex tensor ``real + i * imag`` of the pair ``x``, checked as Keras checks it."""
    from learnet import complex_math as _complex_math

    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(
            f"{function}: x must be a tuple (real, imag) of two float tensors, got {type(x).__name__} {x!r:.80}"
        )
    real_part, imag_part = _t(x[0]), _t(x[1])
    if real_part.shape != imag_part.shape:
        raise ValueError(
            f"{function}: the real and imaginary parts must have one shape, got "
            f"{tuple(real_part.shape)} and {tuple(imag_part.shape)}"
        )
    if real_part.dtype.kind != "f" or imag_part.dtype.kind != "f":
        raise ValueError(
            f"{function}: the real and imaginary parts must be float tensors, got {real_part.dtype} and {imag_part.dtype}"
        )
    return _complex_math.complex(*_pair(real_part, imag_part))


def _complex_parts(z):
    from learnet import complex_math as _complex_math

    return _complex_math.real(z), _complex_math.imag(z)


def _check_rank_at_least(x, rank, function, name="x"):
    if x.ndim < rank:
        raise ValueError(f"{function}: {name} must have rank >= {rank}, got shape {tuple(x.shape)}")


def fft(x):
    """The discrete Fourier transform over the last axis of the complex ``x = (real, imag)``.

    Returns the ``(real, imag)`` parts of the result; differentiable in both parts.

    Examples
    --------
    >>> import learnet as keras
    >>> real, imag = keras.ops.fft((keras.ops.array([1.0, 2.0]), keras.ops.array([0.0, 1.0])))
    >>> real.numpy(), imag.numpy()
    (array([ 3., -1.], dtype=float32), array([ 1., -1.], dtype=float32))
    """
    from learnet import signal as _signal

    z = _complex_from_pair(x, "fft")
    _check_rank_at_least(z, 1, "fft")
    return _complex_parts(_signal.fft(z))


def fft2(x):
    """The 2-D discrete Fourier transform over the last two axes of ``x = (real, imag)``; ``(real, imag)`` back.

    Examples
    --------
    >>> import learnet as keras
    >>> real, imag = keras.ops.fft2((keras.ops.ones((2, 2)), keras.ops.zeros((2, 2))))
    >>> real.numpy()
    array([[4., 0.],
           [0., 0.]], dtype=float32)
    """
    from learnet import signal as _signal

    z = _complex_from_pair(x, "fft2")
    _check_rank_at_least(z, 2, "fft2")
    return _complex_parts(_signal.fft2d(z))


def ifft2(x):
    """The inverse 2-D discrete Fourier transform over the last two axes of ``x = (real, imag)``.

    Examples
    --------
    >>> import learnet as keras
    >>> real, imag = keras.ops.ifft2(keras.ops.fft2((keras.ops.eye(2), keras.ops.zeros((2, 2)))))
    >>> real.numpy()
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """
    from learnet import signal as _signal

    z = _complex_from_pair(x, "ifft2")
    _check_rank_at_least(z, 2, "ifft2")
    return _complex_parts(_signal.ifft2d(z))


def _fft_length_list(fft_length, function):
    if fft_length is None:
        return None
    if isinstance(fft_length, bool) or not isinstance(fft_length, (int, _np.integer)) or fft_length < 1:
        raise ValueError(f"{function}: fft_length must be a positive integer, got {fft_length!r}")
    return [int(fft_length)]


def rfft(x, fft_length=None):
    """The discrete Fourier transform of the real ``x`` over its last axis: ``(real, imag)`` of the
    ``fft_length // 2 + 1`` non-negative frequencies.

    ``x`` is cropped or zero-padded to ``fft_length`` (its own length by default). Differentiable.

    Examples
    --------
    >>> import learnet as keras
    >>> real, imag = keras.ops.rfft(keras.ops.array([0.0, 1.0, 2.0, 3.0, 4.0]))
    >>> real.numpy().round(3), imag.numpy().round(3)
    (array([10. , -2.5, -2.5], dtype=float32), array([0.   , 3.441, 0.812], dtype=float32))
    """
    from learnet import signal as _signal

    x = _float(x)
    _check_rank_at_least(x, 1, "rfft")
    return _complex_parts(_signal.rfft(x, _fft_length_list(fft_length, "rfft")))


def irfft(x, fft_length=None):
    """The inverse of :func:`rfft`: the real signal of ``fft_length`` samples (by default
    ``2 * (bins - 1)``) whose non-negative frequencies are ``x = (real, imag)``. Differentiable.

    Examples
    --------
    >>> import learnet as keras
    >>> signal = keras.ops.array([0.0, 1.0, 2.0, 3.0])
    >>> keras.ops.irfft(keras.ops.rfft(signal)).numpy()
    array([0., 1., 2., 3.], dtype=float32)
    """
    from learnet import signal as _signal

    z = _complex_from_pair(x, "irfft")
    _check_rank_at_least(z, 1, "irfft")
    return _signal.irfft(z, _fft_length_list(fft_length, "irfft"))


def _positive_int(value, name, function):
    if isinstance(value, bool) or not isinstance(value, (int, _np.integer)) or value <= 0:
        raise ValueError(f"{function}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _stft_window(window, sequence_length, fft_length, dtype, function):
    """The window of :func:`stft` and :func:`istft`, centred in ``fft_length`` samples (a tensor).

    ``"hann"`` and ``"hamming"`` are the periodic windows (SciPy's ``get_window``); ``None``
    is ``fft_length`` ones, as in Keras.
    """
    if window is None:
        return Tensor._wrap(xp.ones(fft_length, dtype=dtype))
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f"{function}: a window given by name must be 'hann' or 'hamming', got {window!r}")
        cosine = _np.cos(2.0 * _np.pi * _np.arange(sequence_length) / sequence_length)
        values = 0.5 - 0.5 * cosine if window == "hann" else 0.54 - 0.46 * cosine
        window = Tensor._wrap(xp.asarray(values.astype(dtype)))
    else:
        window = _ops.cast(_t(window), dtype)
        if window.shape != (sequence_length,):
            raise ValueError(
                f"{function}: window must be a 1-D tensor of sequence_length={sequence_length} values, "
                f"got shape {tuple(window.shape)}"
            )
    before = (fft_length - sequence_length) // 2
    return _ops.pad(window, [[before, fft_length - sequence_length - before]])


def _stft_arguments(sequence_length, sequence_stride, fft_length, function):
    sequence_length = _positive_int(sequence_length, "sequence_length", function)
    sequence_stride = _positive_int(sequence_stride, "sequence_stride", function)
    fft_length = _positive_int(fft_length, "fft_length", function)
    if fft_length < sequence_length:
        raise ValueError(
            f"{function}: fft_length must be at least sequence_length, got fft_length={fft_length} "
            f"and sequence_length={sequence_length}"
        )
    return sequence_length, sequence_stride, fft_length


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """The short-time Fourier transform over the last axis of ``x``, as Keras 3 computes it.

    Frames of ``fft_length`` samples, ``sequence_stride`` apart, are multiplied by the
    ``window`` of ``sequence_length`` samples (centred, zero-padded to ``fft_length``) and
    transformed by :func:`rfft`. With ``center=True`` the signal is first padded by
    ``fft_length // 2`` reflected samples on each side, so frame ``t`` is centred at
    ``t * sequence_stride``. ``window`` is ``"hann"``, ``"hamming"``, a tensor of
    ``sequence_length`` values or ``None``. Differentiable in ``x`` (and a window tensor).

    Returns
    -------
    tuple of Tensor
        The ``(real, imag)`` parts, each of shape ``(..., frames, fft_length // 2 + 1)``.

    Examples
    --------
    >>> import learnet as keras
    >>> real, imag = keras.ops.stft(keras.ops.array([0.0, 1.0, 2.0, 3.0, 4.0]), 3, 2, 3)
    >>> real.numpy()
    array([[ 0.75 , -0.375],
           [ 3.75 , -1.875],
           [ 5.25 , -2.625]], dtype=float32)
    """
    from learnet import signal as _signal

    x = _t(x)
    if x.dtype not in (_np.float32, _np.float64):
        raise TypeError(f"stft: x must be a float32 or float64 tensor, got {x.dtype}")
    _check_rank_at_least(x, 1, "stft")
    sequence_length, sequence_stride, fft_length = _stft_arguments(sequence_length, sequence_stride, fft_length, "stft")
    if center:
        # Reflect fft_length // 2 samples at each end; gathered, so that the gradient flows back.
        half = fft_length // 2
        reflected = _np.pad(_np.arange(x.shape[-1]), half, mode="reflect")
        x = _ops.gather(x, Tensor._wrap(xp.asarray(reflected)), axis=x.ndim - 1)
    if x.shape[-1] < fft_length:
        raise ValueError(
            f"stft: the signal has {x.shape[-1]} samples{' after padding' if center else ''}, fewer than "
            f"fft_length={fft_length}"
        )
    frames = _signal.frame(x, fft_length, sequence_stride)
    frames = frames * _stft_window(window, sequence_length, fft_length, x.dtype, "stft")
    return _complex_parts(_signal.rfft(frames, [fft_length]))


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    """The inverse of :func:`stft`: the signal whose STFT is ``x = (real, imag)``, as Keras 3.

    Each frame is brought back by :func:`irfft`, windowed and overlap-added, and the sum is
    divided by the overlap-added squared window (the least-squares inverse). With
    ``center=True`` the ``fft_length // 2`` samples :func:`stft` added at each end are cut
    off; ``length`` cuts the result to that many samples. Pass the arguments given to
    :func:`stft`. Differentiable.

    Examples
    --------
    >>> import learnet as keras
    >>> x = keras.ops.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    >>> keras.ops.istft(keras.ops.stft(x, 4, 2, 4), 4, 2, 4).numpy().round(4)
    array([0., 1., 2., 3., 4., 5., 6., 7.], dtype=float32)
    """
    from learnet import signal as _signal

    z = _complex_from_pair(x, "istft")
    _check_rank_at_least(z, 2, "istft")
    sequence_length, sequence_stride, fft_length = _stft_arguments(
        sequence_length, sequence_stride, fft_length, "istft"
    )
    frames = _signal.irfft(z, [fft_length])  # (..., frames, fft_length)
    win = _stft_window(window, sequence_length, fft_length, frames.dtype, "istft")
    signal = _signal.overlap_and_add(frames * win, sequence_stride)
    squares = _ops.broadcast_to(win * win, (frames.shape[-2], fft_length))
    norm = _signal.overlap_and_add(squares, sequence_stride)
    norm = _ops.where(norm > 1e-10, norm, _ops.ones_like(norm))
    if window is None:  # Keras divides by the stride there, after a scaling by the window's sum
        signal = signal * (fft_length / sequence_stride)
    signal = signal / norm
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + int(length)
    else:
        end = -(fft_length // 2) if center else signal.shape[-1]
    return signal[..., start:end]


def view_as_complex(x):
    """The complex64 tensor whose real and imaginary parts are ``x[..., 0]`` and ``x[..., 1]``.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.view_as_complex([[1.0, 2.0], [3.0, 4.0]]).numpy()
    array([1.+2.j, 3.+4.j], dtype=complex64)
    """
    from learnet import complex_math as _complex_math

    x = _t(x)
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ValueError(
            f"view_as_complex: the last axis of x must have size 2 (real, imag), got shape {tuple(x.shape)}"
        )
    if x.dtype.kind not in "fiu":
        raise TypeError(f"view_as_complex: x must hold real numbers, got {x.dtype}")
    x = _ops.cast(x, "float32")  # Keras 3 always gives complex64
    return _complex_math.complex(x[..., 0], x[..., 1])


def view_as_real(x):
    """The real and imaginary parts of ``x`` stacked on a new last axis (of size 2).

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.view_as_real(keras.ops.view_as_complex([1.0, 2.0])).numpy()
    array([1., 2.], dtype=float32)
    """
    from learnet import complex_math as _complex_math

    x = _t(x)
    return _ops.stack([_complex_math.real(x), _complex_math.imag(x)], axis=-1)


def polar(abs_, angle):
    """The complex tensor ``abs_ * (cos(angle) + i sin(angle))`` (as ``torch.polar``); differentiable.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.polar(keras.ops.array([2.0]), keras.ops.array([0.0])).numpy()
    array([2.+0.j], dtype=complex64)
    """
    from learnet import complex_math as _complex_math

    magnitude, angle = _pair(_float(abs_), _float(angle))
    return _complex_math.complex(magnitude * _ops.cos(angle), magnitude * _ops.sin(angle))


def angle(x):
    """The argument of each element, ``atan2(imag, real)``, in ``(-pi, pi]``: 0 or pi for real ``x``.

    Differentiable for complex ``x`` (real ``x`` has no gradient: the angle is constant there).

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.angle(keras.ops.array([-1.0, 2.0])).numpy()
    array([3.1415927, 0.       ], dtype=float32)
    """
    from learnet import complex_math as _complex_math

    x = _t(x)
    if x.dtype.kind == "c":
        return _complex_math.angle(x)
    x = _float(x)
    return Tensor._wrap(xp.angle(x._value).astype(x.dtype))


# --- special functions and float bits -----------------------------------------------------------------------
# A published single-precision approximation of erfinv (about 1e-7 relative), then Newton's method.
_ERFINV_CENTRAL = (
    2.81022636e-08,
    3.43273939e-07,
    -3.5233877e-06,
    -4.39150654e-06,
    0.00021858087,
    -0.00125372503,
    -0.00417768164,
    0.246640727,
    1.50140941,
)
_ERFINV_TAIL = (
    -0.000200214257,
    0.000100950558,
    0.00134934322,
    -0.00367342844,
    0.00573950773,
    -0.0076224613,
    0.00943887047,
    1.00167406,
    2.83297682,
)


def _erfinv_values(a):
    """``erfinv`` of an array: the approximating polynomials, then two Newton steps in float64 (on ``erfc``
    near +-1, where ``erf`` has no digits left to tell the answers apart)."""
    x = _np.asarray(to_numpy(a), dtype=_np.float64)
    size = _np.abs(x)
    with _np.errstate(divide="ignore", invalid="ignore"):
        w = -_np.log((1.0 - size) * (1.0 + size))
        central, tail = w - 2.5, _np.sqrt(w) - 3.0
        p_central = _np.polyval(_ERFINV_CENTRAL, central)
        p_tail = _np.polyval(_ERFINV_TAIL, tail)
        y = _np.where(w < 5.0, p_central, p_tail) * size
        erf_, erfc_ = (lambda a: _special._erf_erfc(a)[0]), (lambda a: _special._erf_erfc(a)[1])
        for _ in range(2):
            finite = _np.isfinite(y)
            safe = _np.where(finite, y, 0.0)
            slope = (2.0 / _np.sqrt(_np.pi)) * _np.exp(-safe * safe)
            miss = _np.where(size <= 0.5, erf_(safe) - size, (1.0 - size) - erfc_(safe))
            y = _np.where(finite & (slope > 0), safe - miss / _np.where(slope > 0, slope, 1.0), y)
        y = _np.where(size == 1.0, _np.inf, _np.where(size > 1.0, _np.nan, y))
    return xp.asarray((_np.sign(x) * y).astype(a.dtype))


erfinv = _unary(
    "erfinv",
    _erfinv_values,
    lambda x, y: (_pymath.sqrt(_pymath.pi) / 2) * _ops.exp(y * y),
    """The inverse error function: ``erf(erfinv(x)) == x`` for ``x`` in ``(-1, 1)``; differentiable.

    ``erfinv(+-1)`` is ``+-inf``, and outside ``[-1, 1]`` it is NaN.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.erfinv(keras.ops.array([-0.5, 0.0, 0.3])).numpy()
    array([-0.47693628,  0.        ,  0.27246273], dtype=float32)
    """,
)


def ldexp(x1, x2):
    """``x1 * 2 ** x2`` for integer exponents ``x2``, elementwise (differentiable in ``x1``).

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.ldexp(keras.ops.array([1.5, 3.0]), keras.ops.array([2, -1])).numpy()
    array([6. , 1.5], dtype=float32)
    """
    exponent = _t(x2)
    if exponent.dtype.kind not in "iu":
        raise TypeError(f"ldexp: the exponent x2 must be an integer tensor, got {exponent.dtype}")
    return _ldexp(_float(x1), exponent._value)


@primitive(inputs=1)
def _ldexp(mantissa, exponent):
    def backward(g, mantissa, out):
        return unbroadcast(g * Tensor._wrap(xp.ldexp(xp.ones((), dtype=mantissa.dtype), exponent)), mantissa.shape)

    return xp.ldexp(mantissa, exponent).astype(mantissa.dtype), backward


def nextafter(x1, x2):
    """The next float after ``x1`` in the direction of ``x2``, elementwise (no gradient).

    Examples
    --------
    >>> import learnet as keras
    >>> float(keras.ops.nextafter(1.0, 2.0) - 1.0) == 2.0**-23
    True
    """
    x1, x2 = _pair(_float(x1), _float(x2))
    x2 = _ops.cast(x2, x1.dtype)
    return Tensor._wrap(xp.asarray(xp.nextafter(x1._value, x2._value)))


def nancumprod(x, axis=None, dtype=None):
    """Running product along ``axis`` (of the flattened array when None), NaNs counted as one; differentiable.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.nancumprod(keras.ops.array([2.0, float("nan"), 3.0])).numpy()
    array([2., 2., 6.], dtype=float32)
    """
    x = _t(x) if dtype is None else cast(x, dtype)
    if x.dtype.kind == "f":
        x = _nan_replaced(x, 1.0)[0]
    return cumprod(x, axis=axis)


def saturate_cast(x, dtype):
    """``x`` cast to ``dtype`` after clipping it into the range ``dtype`` can hold (no wrap-around).

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.saturate_cast(keras.ops.array([-1.0, 127.5, 300.0]), "uint8").numpy()
    array([  0, 127, 255], dtype=uint8)
    """
    x = _t(x)
    target = _as_dtype(dtype)

    def limits(kind):
        if kind == _np.bool_:
            return 0, 1
        return (
            (_np.iinfo(kind).min, _np.iinfo(kind).max)
            if kind.kind in "iu"
            else (_np.finfo(kind).min, _np.finfo(kind).max)
        )

    def inside(low, high, kind):
        """The limits ``low, high`` in ``kind``, nudged inside ``[low, high]`` where rounding took them out."""
        low_, high_ = _np.asarray(low).astype(kind), _np.asarray(high).astype(kind)
        if low_.item() < low:  # Python compares ints and floats exactly
            low_ = _np.nextafter(low_, _np.zeros((), kind))
        if high_.item() > high:
            high_ = _np.nextafter(high_, _np.zeros((), kind))
        return low_, high_

    out_low, out_high = limits(target)
    if target.kind in "iub":
        # Integers and booleans carry no gradient: clip in a type that holds the limits (nearly) exactly.
        values = x._value.astype(_np.float64 if x.dtype.kind == "f" else _np.int64)
        low, high = inside(out_low, out_high, values.dtype)
        return Tensor._wrap(xp.clip(values, low, high).astype(target))
    in_low, in_high = limits(x.dtype)
    low, high = inside(builtins.max(in_low, out_low), builtins.min(in_high, out_high), x.dtype)
    return _ops.cast(_ops.clip_by_value(x, low, high), target)


# --- linear algebra (keras.ops.linalg) --------------------------------------------------------------------------
def _float_matrices(x, function):
    x = _float(x)
    if x.ndim < 2:
        raise ValueError(f"{function}: expected a matrix (rank >= 2), got shape {tuple(x.shape)}")
    return x


def pinv(x, rcond=None):
    """The Moore-Penrose pseudo-inverse, from the SVD; differentiable where the singular values differ.

    Singular values at or below ``rcond`` times the largest count as zero (by default
    ``rcond = 10 * max(M, N) * eps``, JAX's).

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.pinv([[1.0, 0.0], [0.0, 0.0], [0.0, 2.0]]).numpy()
    array([[1. , 0. , 0. ],
           [0. , 0. , 0.5]], dtype=float32)
    """
    from learnet import linalg as _tf_linalg

    return _tf_linalg.pinv(_float_matrices(x, "pinv"), rcond=rcond)


def lstsq(a, b, rcond=None):
    """The least-squares solution ``x`` of ``a @ x = b`` (the one of smallest norm when several are).

    ``a`` is ``(M, N)``, ``b`` is ``(M,)`` or ``(M, K)``; the result is ``(N,)`` or ``(N, K)``.
    Singular values of ``a`` below ``rcond`` times the largest count as zero (by default
    ``eps * max(M, N)``). Computed from the SVD (``pinv(a) @ b``); differentiable.

    Examples
    --------
    >>> import learnet as keras
    >>> a = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    >>> keras.ops.lstsq(a, [1.0, 1.0, 2.0]).numpy().round(4)
    array([1., 1.], dtype=float32)
    """
    from learnet import linalg as _tf_linalg

    a, b = _pair(_float(a), _float(b))
    if a.ndim != 2:
        raise ValueError(f"lstsq: a must be a matrix (rank 2), got shape {tuple(a.shape)}")
    if b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ValueError(
            f"lstsq: b must have shape ({a.shape[0]},) or ({a.shape[0]}, K) to match a of shape "
            f"{tuple(a.shape)}, got {tuple(b.shape)}"
        )
    if rcond is None:
        rcond = _np.finfo(a.dtype).eps * builtins.max(a.shape)
    inverse = _tf_linalg.pinv(a, rcond=rcond)
    if b.ndim == 1:
        return _ops.reshape(_ops.matmul(inverse, _ops.reshape(b, (-1, 1))), (-1,))
    return _ops.matmul(inverse, b)


def matrix_rank(x, tol=None):
    """The number of singular values above ``tol`` of each matrix (int32).

    By default ``tol = largest singular value * max(M, N) * eps``.

    Examples
    --------
    >>> import learnet as keras
    >>> int(keras.ops.matrix_rank([[1.0, 2.0], [2.0, 4.0]]))
    1
    """
    from learnet import linalg as _tf_linalg

    return _tf_linalg.matrix_rank(_float_matrices(x, "matrix_rank"), tol=tol)


def solve_triangular(a, b, lower=False):
    """``x`` with ``a @ x = b`` for a triangular ``a`` (its upper triangle by default); differentiable.

    Only the triangle ``lower`` names is read. ``b`` is ``(..., M)`` or ``(..., M, K)``.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.solve_triangular([[2.0, 0.0], [1.0, 1.0]], [2.0, 3.0], lower=True).numpy()
    array([1., 2.], dtype=float32)
    """
    from learnet.ops.linalg import triangular_solve

    a, b = _pair(_float(a), _float(b))
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"solve_triangular: a must be square matrices, got shape {tuple(a.shape)}")
    vector = b.ndim == a.ndim - 1
    rows = b.shape[-1] if vector else (b.shape[-2] if b.ndim >= 2 else None)
    if rows != a.shape[-1]:
        raise ValueError(
            f"solve_triangular: b of shape {tuple(b.shape)} does not match a of shape {tuple(a.shape)} "
            f"(b needs {a.shape[-1]} rows)"
        )
    if vector:
        return triangular_solve(a, _ops.expand_dims(b, -1), lower=bool(lower))[..., 0]
    return triangular_solve(a, b, lower=bool(lower))


def logdet(x):
    """``log|det(x)|`` of square matrices (from the LU factors); differentiable, its gradient ``inv(x)^T``.

    Examples
    --------
    >>> import learnet as keras
    >>> print(f"{float(keras.ops.logdet([[4.0, 0.0], [0.0, 9.0]])):.4f}")
    3.5835
    """
    from learnet.ops.linalg import slogdet as _slogdet

    x = _float_matrices(x, "logdet")
    if x.shape[-1] != x.shape[-2]:
        raise ValueError(f"logdet: x must be square matrices, got shape {tuple(x.shape)}")
    return _slogdet(x)[1]


def cholesky_inverse(x, upper=False):
    """The inverse of ``A`` from its Cholesky factor ``x``: ``inv(L L^T)``, or ``inv(U^T U)`` with ``upper``.

    Differentiable (two products of the factor's triangular inverse).

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.cholesky_inverse([[2.0, 0.0], [1.0, 1.0]]).numpy()
    array([[ 0.5, -0.5],
           [-0.5,  1. ]], dtype=float32)
    """
    from learnet.ops.linalg import triangular_solve

    x = _float_matrices(x, "cholesky_inverse")
    if x.shape[-1] != x.shape[-2]:
        raise ValueError(f"cholesky_inverse: x must be square matrices, got shape {tuple(x.shape)}")
    identity_ = Tensor._wrap(xp.broadcast_to(xp.eye(x.shape[-1], dtype=x.dtype), x.shape).copy())
    inverse = triangular_solve(x, identity_, lower=not upper)
    if upper:
        return _ops.matmul(inverse, _ops.transpose(inverse, _swap_last(x.ndim)))
    return _ops.matmul(_ops.transpose(inverse, _swap_last(x.ndim)), inverse)


def _swap_last(rank):
    return list(builtins.range(rank - 2)) + [rank - 1, rank - 2]


def lu_factor(x):
    """The LU factorization with partial pivoting, as SciPy's ``lu_factor`` (no gradient).

    Returns ``(lu, pivots)``: ``lu`` holds ``U`` on and above the diagonal and the unit lower
    ``L`` below it; ``pivots[i]`` (int32) is the row that row ``i`` was swapped with. Batched
    over the leading axes.

    Examples
    --------
    >>> import learnet as keras
    >>> lu, pivots = keras.ops.lu_factor([[1.0, 2.0], [3.0, 4.0]])
    >>> lu.numpy().round(4), pivots.numpy()
    (array([[3.    , 4.    ],
           [0.3333, 0.6667]], dtype=float32), array([1, 1], dtype=int32))
    """
    x = _float_matrices(x, "lu_factor")
    lu = xp.array(x._value, copy=True)
    m, n = lu.shape[-2:]
    steps = builtins.min(m, n)
    pivots = xp.zeros(lu.shape[:-2] + (steps,), dtype="int32")
    batch = tuple(xp.indices(lu.shape[:-2]))
    for k in builtins.range(steps):
        row = k + xp.argmax(xp.abs(lu[..., k:, k]), axis=-1)  # the largest entry at or below the diagonal
        pivots[..., k] = row
        top, chosen = lu[..., k, :].copy(), lu[batch + (row,)].copy()
        lu[..., k, :] = chosen
        lu[batch + (row,)] = top
        pivot = lu[..., k, k : k + 1]
        safe = xp.where(pivot == 0, 1, pivot)
        lu[..., k + 1 :, k] = xp.where(pivot == 0, 0, lu[..., k + 1 :, k] / safe)
        lu[..., k + 1 :, k + 1 :] -= lu[..., k + 1 :, k, None] * lu[..., k, None, k + 1 :]
    return Tensor._wrap(lu), Tensor._wrap(pivots)


# --- nn: adaptive pooling, patches, transposed convolution ---------------------------------------------------
def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling to a fixed ``output_size``: window ``i`` of ``output`` over ``size`` entries
    covers ``floor(i * size / output)`` to ``ceil((i + 1) * size / output)``; 1-D, 2-D or 3-D.

    Differentiable. ``output_size`` is an int or one int per spatial axis.

    Examples
    --------
    >>> import learnet as keras
    >>> x = keras.ops.reshape(keras.ops.arange(5.0), (1, 5, 1))
    >>> keras.ops.adaptive_average_pool(x, 2).numpy().ravel()
    array([1., 3.], dtype=float32)
    """
    from learnet.ops import adaptive_pool as _adaptive

    return _adaptive.adaptive_average_pool(inputs, output_size, data_format or "channels_last")


def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling to a fixed ``output_size``, with the windows of :func:`adaptive_average_pool`.

    Differentiable (the gradient goes to each window's largest entry).

    Examples
    --------
    >>> import learnet as keras
    >>> x = keras.ops.reshape(keras.ops.arange(5.0), (1, 5, 1))
    >>> keras.ops.adaptive_max_pool(x, 2).numpy().ravel()
    array([2., 4.], dtype=float32)
    """
    from learnet.ops import adaptive_pool as _adaptive

    return _adaptive.adaptive_max_pool(inputs, output_size, data_format or "channels_last")


def _two_ints(value, name, function, smallest):
    if isinstance(value, (int, _np.integer)) and not isinstance(value, bool):
        value = (value, value)
    try:
        pair = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        pair = ()
    if len(pair) != 2 or builtins.any(v < smallest for v in pair):
        raise ValueError(f"{function}: {name} must be an int or two ints, each >= {smallest}, got {value!r}")
    return pair


def _tap_slices(kernel, dilation, stride, blocks):
    """For each kernel tap ``(i, j)``: the strided slice of the padded image it reads in every block."""
    return [
        (
            i,
            j,
            (
                builtins.slice(None),
                builtins.slice(None),
                builtins.slice(i * dilation[0], i * dilation[0] + stride[0] * (blocks[0] - 1) + 1, stride[0]),
                builtins.slice(j * dilation[1], j * dilation[1] + stride[1] * (blocks[1] - 1) + 1, stride[1]),
            ),
        )
        for i in builtins.range(kernel[0])
        for j in builtins.range(kernel[1])
    ]


@primitive(inputs=1)
def _unfold(x, kernel, dilation, stride, blocks):
    """``(N, C, H, W)`` -> ``(N, C, kH, kW, nH, nW)``: what each kernel tap sees in each block."""
    n, c = x.shape[:2]
    patches = xp.empty((n, c) + tuple(kernel) + tuple(blocks), dtype=x.dtype)
    for i, j, where in _tap_slices(kernel, dilation, stride, blocks):
        patches[:, :, i, j] = x[where]
    size = tuple(x.shape[2:])
    return patches, lambda g, x, out: _fold(g, kernel, dilation, stride, size)


@primitive(inputs=1)
def _fold(patches, kernel, dilation, stride, size):
    """The transpose of ``_unfold``: every tap's values added back where it read them."""
    n, c = patches.shape[:2]
    blocks = tuple(patches.shape[4:])
    image = xp.zeros((n, c) + tuple(size), dtype=patches.dtype)
    for i, j, where in _tap_slices(kernel, dilation, stride, blocks):
        image[where] += patches[:, :, i, j]
    return image, lambda g, patches, out: _unfold(g, kernel, dilation, stride, blocks)


def _blocks(size, kernel, dilation, padding, stride):
    return tuple(
        (s + 2 * p - d * (k - 1) - 1) // t + 1 for s, k, d, p, t in zip(size, kernel, dilation, padding, stride)
    )


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding blocks of a channels-first image batch ``(N, C, H, W)`` as columns (im2col).

    Returns ``(N, C * kH * kW, L)``: column ``l`` holds block ``l`` (row-major over the block
    grid), channel by channel, each channel's ``kH * kW`` taps row-major. ``padding`` zeros
    are added on every side first. Differentiable; :func:`fold` is its transpose.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.unfold(keras.ops.ones((1, 2, 4, 4)), kernel_size=2, stride=2).shape
    TensorShape([1, 8, 4])
    """
    x = _t(x)
    if x.ndim != 4:
        raise ValueError(f"unfold: x must be a 4-D tensor (N, C, H, W), got shape {tuple(x.shape)}")
    kernel = _two_ints(kernel_size, "kernel_size", "unfold", 1)
    dilation = _two_ints(dilation, "dilation", "unfold", 1)
    pad_ = _two_ints(padding, "padding", "unfold", 0)
    stride = _two_ints(stride, "stride", "unfold", 1)
    blocks = _blocks(x.shape[2:], kernel, dilation, pad_, stride)
    if builtins.min(blocks) < 1:
        raise ValueError(
            f"unfold: a kernel of {kernel} (dilation {dilation}) does not fit in the image of shape "
            f"{tuple(x.shape)} padded by {pad_}"
        )
    if builtins.any(pad_):
        x = _ops.pad(x, [[0, 0], [0, 0], [pad_[0], pad_[0]], [pad_[1], pad_[1]]])
    n, c = x.shape[:2]
    patches = _unfold(x, kernel, dilation, stride, blocks)
    return _ops.reshape(patches, (n, c * kernel[0] * kernel[1], blocks[0] * blocks[1]))


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding blocks ``(N, C * kH * kW, L)`` back into an image ``(N, C, *output_size)`` (col2im).

    The transpose of :func:`unfold` with the same arguments: where blocks overlap their values
    add up. Differentiable.

    Examples
    --------
    >>> import learnet as keras
    >>> patches = keras.ops.unfold(keras.ops.ones((1, 1, 3, 3)), kernel_size=2)
    >>> keras.ops.fold(patches, output_size=3, kernel_size=2).numpy()[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]], dtype=float32)
    """
    x = _t(x)
    if x.ndim != 3:
        raise ValueError(f"fold: x must be a 3-D tensor (N, C * kH * kW, L), got shape {tuple(x.shape)}")
    size = _two_ints(output_size, "output_size", "fold", 1)
    kernel = _two_ints(kernel_size, "kernel_size", "fold", 1)
    dilation = _two_ints(dilation, "dilation", "fold", 1)
    pad_ = _two_ints(padding, "padding", "fold", 0)
    stride = _two_ints(stride, "stride", "fold", 1)
    n, depth, count = x.shape
    taps = kernel[0] * kernel[1]
    if depth % taps:
        raise ValueError(f"fold: the second axis of x ({depth}) must be a multiple of kH * kW = {taps}")
    blocks = _blocks(size, kernel, dilation, pad_, stride)
    if builtins.min(blocks) < 1 or blocks[0] * blocks[1] != count:
        raise ValueError(
            f"fold: an output of {size} with kernel {kernel}, dilation {dilation}, padding {pad_} and stride "
            f"{stride} has {blocks[0]} x {blocks[1]} blocks, but x has {count}"
        )
    patches = _ops.reshape(x, (n, depth // taps) + kernel + blocks)
    padded = tuple(s + 2 * p for s, p in zip(size, pad_))
    image = _fold(patches, kernel, dilation, stride, padded)
    return image[:, :, pad_[0] : pad_[0] + size[0], pad_[1] : pad_[1] + size[1]]


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None, dilation_rate=1):
    """A 1-D, 2-D or 3-D transposed convolution (the gradient of :func:`conv` run forward), as Keras 3.

    ``kernel`` has shape ``(*kernel_size, out_channels, in_channels)``. The output length of each
    spatial axis is, with ``output_padding=None``, ``steps * strides`` (``"same"``) or
    ``(steps - 1) * strides + max(kernel, strides)`` (``"valid"``); with ``output_padding``,
    ``(steps - 1) * strides + kernel + output_padding`` (``"valid"``) or
    ``(steps - 1) * strides + kernel % 2 + output_padding`` (``"same"``). Differentiable.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.conv_transpose(keras.ops.ones((1, 4, 4, 3)), keras.ops.ones((3, 3, 2, 3)), 2, "same").shape
    TensorShape([1, 8, 8, 2])
    """
    from learnet.layers.conv import _output_padding, _transposed_geometry
    from learnet.ops import conv as _conv
    from learnet.ops import volumes as _volumes

    inputs, kernel = _pair(_float(inputs), _float(kernel))
    if inputs.ndim not in (3, 4, 5):
        raise ValueError(
            f"conv_transpose supports 1-D, 2-D and 3-D convolutions (inputs of rank 3, 4 or 5), got rank {inputs.ndim}"
        )
    rank = inputs.ndim - 2
    if kernel.ndim != rank + 2:
        raise ValueError(
            f"conv_transpose: a {rank}-D kernel has shape (*kernel_size, out_channels, in_channels), "
            f"got shape {tuple(kernel.shape)}"
        )
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"conv_transpose: padding must be 'valid' or 'same', got {padding!r}")
    padding = padding.lower()
    strides, dilations = _ints(strides, rank), _ints(dilation_rate, rank)
    extras = _output_padding(output_padding, rank, strides, "conv_transpose")
    x, moved = _channels_last(inputs, data_format, "conv_transpose")
    if x.shape[-1] != kernel.shape[-1]:
        raise ValueError(
            f"conv_transpose: the inputs have {x.shape[-1]} channels but the kernel of shape "
            f"{tuple(kernel.shape)} expects {kernel.shape[-1]}"
        )
    geometry = [
        _transposed_geometry(
            x.shape[1 + axis],
            kernel.shape[axis],
            strides[axis],
            dilations[axis],
            padding,
            None if extras is None else extras[axis],
        )
        for axis in builtins.range(rank)
    ]
    # A window past the end of the full result: compute up to its end, then add the zeros.
    shortfall = [builtins.max(0, -after) for _, (_, after) in geometry]
    sizes = [length - short for (length, _), short in zip(geometry, shortfall)]
    paddings = [[before, builtins.max(0, after)] for _, (before, after) in geometry]
    filters = kernel.shape[-2]
    if rank == 1:
        outputs = _conv.conv2d_transpose(
            _ops.expand_dims(x, 1),
            _ops.expand_dims(kernel, 0),
            (x.shape[0], 1, sizes[0], filters),
            (1, strides[0]),
            [[0, 0]] + paddings,
            dilations=(1, dilations[0]),
        )
        outputs = _ops.squeeze(outputs, 1)
    elif rank == 2:
        outputs = _conv.conv2d_transpose(
            x, kernel, (x.shape[0], *sizes, filters), strides, paddings, dilations=dilations
        )
    else:
        outputs = _volumes.conv3d_transpose(
            x, kernel, (x.shape[0], *sizes, filters), strides, paddings, dilations=dilations
        )
    if builtins.any(shortfall):
        outputs = _ops.pad(outputs, [[0, 0]] + [[0, short] for short in shortfall] + [[0, 0]])
    return _channels_first(outputs) if moved else outputs


# --- rearranging, distances ------------------------------------------------------------------------------------
def _rearrange_side(text, pattern):
    """The axes of one side of an einops pattern: a list of groups, each a list of names."""
    groups, group = [], None
    for token in _re.findall(r"\(|\)|[^\s()]+", text):
        if token == "(":
            if group is not None:
                raise ValueError(f"rearrange: nested parentheses in {pattern!r}")
            group = []
        elif token == ")":
            if group is None:
                raise ValueError(f"rearrange: unbalanced parentheses in {pattern!r}")
            groups.append(group)
            group = None
        elif not token.isidentifier():
            raise ValueError(f"rearrange: axis names are identifiers, got {token!r} in {pattern!r}")
        elif group is not None:
            group.append(token)
        else:
            groups.append([token])
    if group is not None:
        raise ValueError(f"rearrange: unbalanced parentheses in {pattern!r}")
    names = [name for g in groups for name in g]
    if len(set(names)) != len(names):
        raise ValueError(f"rearrange: an axis name appears twice on one side of {pattern!r}")
    return groups, names


def rearrange(tensor, pattern, **axes_lengths):
    """Reorder, split and merge the axes of ``tensor`` as an einops pattern says.

    ``"b h w c -> b c h w"`` transposes; ``"b h w c -> b (h w c)"`` merges axes (parentheses);
    ``"b (h h1) w c -> b h h1 w c"`` splits one, with the lengths it needs given as keywords
    (``h1=2``; one name in a group may be left to infer). Differentiable.

    Examples
    --------
    >>> import learnet as keras
    >>> images = keras.ops.zeros((32, 30, 40, 3))
    >>> keras.ops.rearrange(images, "b h w c -> b c h w").shape
    TensorShape([32, 3, 30, 40])
    >>> keras.ops.rearrange(images, "b (h1 h) (w1 w) c -> (b h1 w1) h w c", h1=2, w1=2).shape
    TensorShape([128, 15, 20, 3])
    """
    tensor = _t(tensor)
    if not isinstance(pattern, str) or pattern.count("->") != 1:
        raise ValueError(f"rearrange: the pattern must read 'input axes -> output axes', got {pattern!r}")
    left, right = pattern.split("->")
    inputs, input_names = _rearrange_side(left, pattern)
    outputs, output_names = _rearrange_side(right, pattern)
    if set(input_names) != set(output_names):
        raise ValueError(
            f"rearrange: both sides must name the same axes, got {sorted(set(input_names))} and "
            f"{sorted(set(output_names))} in {pattern!r}"
        )
    unknown = set(axes_lengths) - set(input_names)
    if unknown:
        raise ValueError(f"rearrange: lengths given for axes not in the pattern: {sorted(unknown)}")
    if len(inputs) != tensor.ndim:
        raise ValueError(
            f"rearrange: the pattern names {len(inputs)} input axes but the tensor has shape {tuple(tensor.shape)}"
        )
    lengths = {}
    for group, size in zip(inputs, tensor.shape):
        missing = [name for name in group if name not in axes_lengths]
        if len(missing) > 1:
            raise ValueError(f"rearrange: give the lengths of all but one of {group} (an axis of length {size})")
        for name in group:
            if name in axes_lengths:
                lengths[name] = int(axes_lengths[name])
        product = int(_np.prod([lengths[name] for name in group if name not in missing], dtype=_np.int64))
        if missing:
            if product <= 0 or size % product:
                raise ValueError(
                    f"rearrange: the axis of length {size} cannot be split into {group} with {axes_lengths}"
                )
            lengths[missing[0]] = size // product
        elif product != size:
            raise ValueError(f"rearrange: the lengths of {group} multiply to {product}, not the axis's length {size}")
    split = _ops.reshape(tensor, [lengths[name] for name in input_names])
    moved = _ops.transpose(split, [input_names.index(name) for name in output_names])
    return _ops.reshape(moved, [int(_np.prod([lengths[name] for name in g], dtype=_np.int64)) for g in outputs])


def cdist(x, y):
    """The Euclidean distance between every row of ``x (..., m, d)`` and of ``y (..., n, d)``: ``(..., m, n)``.

    The batch axes broadcast. Differentiable (except where two points coincide).

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.cdist([[0.0, 0.0], [1.0, 1.0]], [[1.0, 0.0], [3.0, 4.0]]).numpy()
    array([[1.       , 5.       ],
           [1.       , 3.6055512]], dtype=float32)
    """
    x, y = _pair(_float(x), _float(y))
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(f"cdist: x and y must have rank >= 2, got shapes {tuple(x.shape)} and {tuple(y.shape)}")
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(
            f"cdist: the last axes of x and y must match, got shapes {tuple(x.shape)} and {tuple(y.shape)}"
        )
    try:
        _np.broadcast_shapes(tuple(x.shape[:-2]), tuple(y.shape[:-2]))
    except ValueError:
        raise ValueError(
            f"cdist: the batch axes of x and y must broadcast, got shapes {tuple(x.shape)} and {tuple(y.shape)}"
        ) from None
    difference = _ops.expand_dims(x, -2) - _ops.expand_dims(y, -3)
    return _ops.sqrt(_ops.reduce_sum(difference * difference, axis=-1))


# --- functions of functions: vectorize, associative_scan, jvp --------------------------------------------------
def _core_dims(text):
    return [tuple(d.strip() for d in group.split(",") if d.strip()) for group in _re.findall(r"\(([^()]*)\)", text)]


def vectorize(pyfunc, *, excluded=None, signature=None):
    """``pyfunc`` made to loop over the leading (broadcast) axes of its arguments, as ``numpy.vectorize``.

    Without ``signature`` it is called on every element; with one (``"(n),(n)->()"``) on the
    trailing core axes it names. Arguments whose position (or keyword) is in ``excluded`` are
    passed unchanged. The results are stacked, so a differentiable ``pyfunc`` stays so.

    Examples
    --------
    >>> import learnet as keras
    >>> dot = keras.ops.vectorize(lambda a, b: keras.ops.sum(a * b), signature="(n),(n)->()")
    >>> dot(keras.ops.ones((3, 2)), keras.ops.array([1.0, 2.0])).numpy()
    array([3., 3., 3.], dtype=float32)
    """
    if not callable(pyfunc):
        raise TypeError(f"vectorize: pyfunc must be callable, got {type(pyfunc).__name__}")
    excluded = set(excluded or ())
    if signature is not None:
        if not isinstance(signature, str) or not _re.fullmatch(
            r"\s*(\([\w\s,]*\)\s*,?\s*)*->\s*(\([\w\s,]*\)\s*,?\s*)+", signature
        ):
            raise ValueError(f"vectorize: signature must look like '(n),(n)->()', got {signature!r}")
        input_cores = _core_dims(signature.split("->")[0])
    else:
        input_cores = None

    def vectorized(*args, **kwargs):
        positions = [i for i in builtins.range(len(args)) if i not in excluded]
        keys = [k for k in kwargs if k not in excluded]
        values = [_t(args[i]) for i in positions] + [_t(kwargs[k]) for k in keys]
        cores = input_cores if input_cores is not None else [()] * len(values)
        if len(cores) != len(values):
            raise ValueError(f"vectorize: the signature {signature!r} has {len(cores)} inputs, got {len(values)}")
        sizes, loops = {}, []
        for value, core in zip(values, cores):
            if value.ndim < len(core):
                raise ValueError(f"vectorize: an input of shape {tuple(value.shape)} lacks the core axes {core}")
            for name, size in zip(core, value.shape[value.ndim - len(core) :]):
                if sizes.setdefault(name, size) != size:
                    raise ValueError(f"vectorize: core axis {name!r} has sizes {sizes[name]} and {size}")
            loops.append(tuple(value.shape[: value.ndim - len(core)]))
        loop_shape = _np.broadcast_shapes(*loops) if loops else ()
        count = int(_np.prod(loop_shape, dtype=_np.int64))
        flat = []
        for value, core in zip(values, cores):
            core_shape = tuple(value.shape[value.ndim - len(core) :])
            value = _ops.broadcast_to(value, loop_shape + core_shape)
            flat.append(_ops.reshape(value, (count,) + core_shape))
        if count == 0:
            raise ValueError(f"vectorize: nothing to loop over, the loop axes have shape {loop_shape}")
        results = []
        for index in builtins.range(count):
            call_args, call_kwargs = list(args), dict(kwargs)
            for position, value in zip(positions + keys, flat):
                if isinstance(position, int):
                    call_args[position] = value[index]
                else:
                    call_kwargs[position] = value[index]
            result = pyfunc(*call_args, **call_kwargs)
            results.append(result if isinstance(result, tuple) else (result,))
        outputs = []
        for k in builtins.range(len(results[0])):
            stacked = _ops.stack([_t(r[k]) for r in results])
            outputs.append(_ops.reshape(stacked, loop_shape + tuple(stacked.shape[1:])))
        return tuple(outputs) if len(outputs) > 1 else outputs[0]

    vectorized.__name__ = getattr(pyfunc, "__name__", "vectorized")
    vectorized.__doc__ = pyfunc.__doc__
    return vectorized


def associative_scan(f, elems, reverse=False, axis=0):
    """The inclusive scan ``[a, f(a, b), f(f(a, b), c), ...]`` along ``axis`` with an associative ``f``.

    ``elems`` is a tensor or a nested list/tuple/dict of tensors of one length along ``axis``;
    ``f(a, b)`` takes and returns that structure and combines slices elementwise. It runs in
    ``log2(n)`` calls of ``f`` on whole slices (Hillis and Steele), each the same structure.
    With ``reverse=True`` the scan runs from the end. Differentiable when ``f`` is.

    Examples
    --------
    >>> import learnet as keras
    >>> keras.ops.associative_scan(lambda a, b: a + b, keras.ops.arange(5)).numpy()
    array([ 0,  1,  3,  6, 10], dtype=int32)
    """
    from learnet import tree as _tree

    if not callable(f):
        raise TypeError(f"associative_scan: f must be callable, got {type(f).__name__}")
    leaves = [_t(leaf) for leaf in _tree.flatten(elems)]
    if not leaves:
        raise ValueError("associative_scan: elems holds no tensors")
    axis = int(axis)
    for leaf in leaves:
        if not -leaf.ndim <= axis < leaf.ndim:
            raise ValueError(f"associative_scan: axis {axis} is out of range for a tensor of shape {tuple(leaf.shape)}")
    lengths = {leaf.shape[axis % leaf.ndim] for leaf in leaves}
    if len(lengths) != 1:
        raise ValueError(
            f"associative_scan: every tensor of elems must have one length along axis {axis}, got {lengths}"
        )
    (length,) = lengths

    def along(leaf, start, stop):
        key = [builtins.slice(None)] * leaf.ndim
        key[axis % leaf.ndim] = builtins.slice(start, stop)
        return leaf[tuple(key)]

    if reverse:
        leaves = [flip(leaf, axis=axis % leaf.ndim) for leaf in leaves]
    offset = 1
    while offset < length:
        earlier = _tree.pack_sequence_as(elems, [along(leaf, 0, length - offset) for leaf in leaves])
        later = _tree.pack_sequence_as(elems, [along(leaf, offset, length) for leaf in leaves])
        combined = [_t(leaf) for leaf in _tree.flatten(f(earlier, later))]
        if len(combined) != len(leaves):
            raise ValueError("associative_scan: f must return the structure of elems")
        leaves = [
            _ops.concat([along(leaf, 0, offset), new], axis=axis % leaf.ndim) for leaf, new in zip(leaves, combined)
        ]
        offset *= 2
    if reverse:
        leaves = [flip(leaf, axis=axis % leaf.ndim) for leaf in leaves]
    return _tree.pack_sequence_as(elems, leaves)


def jvp(fun, primals, tangents, has_aux=False):
    """The forward-mode Jacobian-vector product of ``fun`` at ``primals`` along ``tangents``.

    Returns ``(fun(*primals), J @ tangents)`` (with ``has_aux``, ``fun`` returns ``(out, aux)``
    and the result is ``(out, J @ tangents, aux)``). ``primals`` and ``tangents`` are tuples or
    lists of one argument each, of the same structure and shapes. It is computed with two
    reverse passes: the backward pass of ``fun`` is linear in its output gradient ``u``, and the
    gradient of ``<J^T u, tangents>`` with respect to ``u`` is ``J @ tangents``. So ``fun`` must
    be twice differentiable on learnet's tape (most ops are).

    Examples
    --------
    >>> import learnet as keras
    >>> value, tangent = keras.ops.jvp(keras.ops.sin, (keras.ops.array(0.1),), (keras.ops.array(0.2),))
    >>> print(f"{float(value):.6f} {float(tangent):.6f}")
    0.099833 0.199001
    """
    import functools

    from learnet import tree as _tree
    from learnet.tape import GradientTape

    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            f"jvp: primals and tangents must be tuples or lists of arguments, got {type(primals).__name__} "
            f"and {type(tangents).__name__}"
        )
    primal_leaves = [_float(p) for p in _tree.flatten(list(primals))]
    tangent_leaves = [_t(t) for t in _tree.flatten(list(tangents))]
    if len(primal_leaves) != len(tangent_leaves):
        raise ValueError(f"jvp: {len(primal_leaves)} primal values but {len(tangent_leaves)} tangents")
    for primal, tangent in zip(primal_leaves, tangent_leaves):
        if primal.shape != tangent.shape:
            raise ValueError(
                f"jvp: each tangent must have its primal's shape, got {tuple(tangent.shape)} for {tuple(primal.shape)}"
            )
    tangent_leaves = [_ops.cast(t, p.dtype) for p, t in zip(primal_leaves, tangent_leaves)]
    arguments = _tree.pack_sequence_as(list(primals), primal_leaves)
    with GradientTape() as outer:
        with GradientTape() as inner:
            for primal in primal_leaves:
                inner.watch(primal)
            result = fun(*arguments)
        if has_aux:
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise ValueError("jvp: with has_aux=True, fun must return a pair (output, aux)")
            result, aux = result
        outputs = [_t(o) for o in _tree.flatten(result)]
        # Any output gradient does (the backward pass is linear in it); ones skip no "zero" shortcut.
        cotangents = [Tensor._wrap(xp.ones(o.shape, dtype=o.dtype)) for o in outputs]
        for cotangent in cotangents:
            outer.watch(cotangent)
        pulled = inner.gradient(outputs, primal_leaves, output_gradients=cotangents)
        products = [_ops.reduce_sum(g * t) for g, t in zip(pulled, tangent_leaves) if g is not None]
        total = functools.reduce(_ops.add, products) if products else None
    if total is None:
        pushed = [_ops.zeros_like(o) for o in outputs]
    else:
        pushed = outer.gradient(total, cotangents, unconnected_gradients="zero")
    tangents_out = _tree.pack_sequence_as(result, pushed)
    return (result, tangents_out, aux) if has_aux else (result, tangents_out)


# --- calls on symbolic tensors ----------------------------------------------------------------------------
# In a functional model (``keras.ops.mean(inputs, axis=1)`` on the KerasTensors of Input(...)),
# a function records itself as a layer of the graph instead of computing: see
# learnet/layers/operation.py. Tensors and arrays take the fast test; only other arguments
# (lists, KerasTensors) are looked into.
_PLAIN = (Tensor, _np.ndarray, int, float, bool, str, type(None))


def _holds_symbolic(value):
    if type(value).__name__ == "KerasTensor":
        return True
    if isinstance(value, (list, tuple)):
        return builtins.any(not isinstance(item, _PLAIN) and _holds_symbolic(item) for item in value)
    return False


def _recording(name, function, recorder="record"):
    """``function``, that called on symbolic tensors records itself as ``name`` through
    ``learnet.layers.operation.<recorder>`` (``record`` for keras.ops, ``record_call`` for tf.*)."""

    def operation(*args, **kwargs):
        for value in args:
            if not isinstance(value, _PLAIN) and _holds_symbolic(value):
                break
        else:
            for value in kwargs.values():
                if not isinstance(value, _PLAIN) and _holds_symbolic(value):
                    break
            else:
                return function(*args, **kwargs)
        from learnet.layers import operation as _operation

        return getattr(_operation, recorder)(name, function, args, kwargs)

    operation.__name__ = name
    operation.__qualname__ = name
    operation.__doc__ = function.__doc__
    operation.__wrapped__ = function
    operation.__module__ = function.__module__
    return operation


# Functions that take code (loops, conditions) or tell something about a tensor rather than compute one.
_NOT_RECORDED = frozenset(
    {
        "cond",
        "while_loop",
        "scan",
        "fori_loop",
        "map",
        "vectorized_map",
        "associative_scan",
        "vectorize",
        "jvp",
        "switch",
        "custom_gradient",
        "stop_gradient",
        "convert_to_tensor",
        "convert_to_numpy",
        "shape",
        "ndim",
        "size",
        "dtype",
        "is_tensor",
    }
)


def _record_symbolic_calls(namespace, module=__name__):
    for name, value in list(namespace.items()):
        if (
            not name.startswith("_")
            and inspect.isfunction(value)
            and value.__module__ == module
            and name not in _NOT_RECORDED
        ):
            namespace[name] = _recording(name, value)


_record_symbolic_calls(globals())


def record_symbolic_calls(namespace, prefix, modules):
    """Wrap TensorFlow's functions in ``namespace`` (a module's globals), those defined in
    ``modules``, so that called on symbolic tensors they record themselves in the functional
    graph as ``prefix + name`` (``tf.concat(states, axis=-1)``, as tf.keras 2 allowed); on
    tensors they run as before."""
    for name, value in list(namespace.items()):
        if (
            not name.startswith("_")
            and inspect.isfunction(value)
            and str(getattr(value, "__module__", "")).startswith(modules)
            and not getattr(value, "_records_symbolic", False)
        ):
            wrapped = _recording(prefix + name, value, recorder="record_call")
            wrapped.__name__, wrapped.__qualname__, wrapped.__module__ = name, value.__qualname__, value.__module__
            wrapped._records_symbolic = True
            namespace[name] = wrapped


# keras.ops.image: a module of its own, whose functions record themselves on symbolic tensors
# too. ``resize`` and ``rgb_to_grayscale`` stay reachable here as well, where learnet had them.
_record_symbolic_calls(image.__dict__, image.__name__)
resize, rgb_to_grayscale = image.resize, image.rgb_to_grayscale
