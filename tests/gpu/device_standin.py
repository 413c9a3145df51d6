"""A strict stand-in for CuPy, on NumPy, so the CuPy path of learnet is tested without a GPU.

It does not compute on a device; it imitates the rules of CuPy (13/14) that decide whether
code written for NumPy runs on CuPy at all, and it counts every copy between host and
"device". The names and signatures are CuPy's:

* ``ndarray`` is its own type, not a ``numpy.ndarray``. ``numpy.asarray(x)`` (any implicit
  conversion through ``__array__``) raises ``TypeError``, as CuPy's does: "Implicit conversion
  to a NumPy array is not allowed. Please use `.get()` to construct a NumPy array explicitly."
* ``asnumpy(x)`` and ``x.get()`` are the explicit copies back to the host (counted in
  ``counts["to_host"]``); ``asarray`` / ``array`` of host data (a NumPy array, a list, a
  Python or NumPy number) is a copy to the device (``counts["to_device"]``; a number made
  into a 0-d array, a small asynchronous copy, counts in ``counts["scalars_to_device"]``), and
  so is a NumPy array used as an index or assigned into a device array.
* ``float(x)``, ``int(x)``, ``bool(x)``, ``x.item()`` and ``x.tolist()`` of a device array work,
  as on CuPy, but each waits for the device and copies a value back: ``counts["syncs"]``.
* Every function and ufunc returns device arrays, reductions included: ``x.sum()`` is a 0-d
  device array, never a NumPy scalar.
* A ufunc with a ``numpy.ndarray`` operand raises ``TypeError`` (CuPy: "Unsupported type
  <class 'numpy.ndarray'>"); Python and NumPy scalars are fine. NumPy functions called on
  device arrays dispatch here through ``__array_function__`` when this module has a
  function of that name (as CuPy does), else raise ``TypeError``.
* ``numpy.add.at`` on a device array is refused; ``cupyx.scatter_add(a, slices, value)`` is
  the scatter to use.
* ``random.default_rng(seed)`` returns a device ``Generator`` with CuPy's methods only
  (``random``, ``uniform``, ``integers``, ``standard_normal``, ``standard_exponential``,
  ``exponential``, ``gamma``, ``standard_gamma``, ``binomial``, ``poisson``, ``beta``): no
  ``normal``, ``permutation``, ``shuffle`` or ``choice``.
* ``with forbid("to_host", "syncs"): ...`` makes those transfers raise ``HostCopyError`` at
  the line that makes them, which is how a test proves a training step stays on the device.
* ``lib.stride_tricks.as_strided``, ``linalg``, ``cuda.Device().synchronize()``,
  ``cuda.get_current_stream()`` and ``get_array_module`` exist.

What it cannot show: speed, kernels that fail to compile, dtypes a GPU kernel does not
support (``scatter_add`` takes float32/int32/uint32/uint64 only on older CuPy), memory,
the order of asynchronous work, and numerical differences of cuBLAS/cuDNN. Its namespace
is NumPy's, wrapped: a function or keyword CuPy lacks still runs here, except where this
module follows CuPy's signature (``as_strided``, the Generator). Those need a real GPU
(``tests/gpu/test_cupy_gpu.py``).

Use it through ``learnet.backend._use_module(device_standin.cupy, device_standin.cupyx.scatter_add, "cupy")``.
"""

import types

import numpy
from numpy.lib.mixins import NDArrayOperatorsMixin

counts = {"to_device": 0, "scalars_to_device": 0, "to_host": 0, "syncs": 0}
"""How many copies went each way, and how many device values Python read (implicit syncs)."""


_forbidden = set()


def reset_counts():
    """Set every counter back to zero."""
    for key in counts:
        counts[key] = 0


class forbid:
    """A context in which the named transfers raise ``HostCopyError`` at the line that made them.

    ``with forbid("to_host", "syncs"): model.train_step(batch)`` proves a step stays on the device.
    """

    def __init__(self, *kinds):
        unknown = set(kinds) - set(counts)
        if unknown:
            raise ValueError(f"forbid expects some of {sorted(counts)}, got {sorted(unknown)}")
        self.kinds = set(kinds)

    def __enter__(self):
        self._before = set(_forbidden)
        _forbidden.update(self.kinds)
        return self

    def __exit__(self, *exc):
        _forbidden.clear()
        _forbidden.update(self._before)
        return False


class HostCopyError(RuntimeError):
    """A transfer between host and device where ``forbid`` said there must be none."""


def _count(kind):
    counts[kind] += 1
    if kind in _forbidden:
        raise HostCopyError(f"a {kind.replace('_', ' ')} copy here, inside a forbid({kind!r}) block")


_IMPLICIT = (
    "Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a NumPy array explicitly."
)


def _to_host(value):
    """The NumPy content of an argument; device arrays unwrap, NumPy arrays are refused."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, numpy.ndarray):
        raise TypeError(f"Unsupported type {numpy.ndarray}")
    if isinstance(value, (list, tuple)):
        return type(value)(_to_host(v) for v in value)
    return value


def _from_host_data(value):
    """Arguments of the functions that copy host data to the device (``asarray``...)."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, (numpy.generic, int, float, complex)):
        _count("scalars_to_device")
        return value
    if isinstance(value, numpy.ndarray) or (isinstance(value, (list, tuple)) and not _all_device(value)):
        _count("to_device")
        return numpy.asarray(_unwrap_all(value))
    return value


def _all_device(values):
    return all(isinstance(v, ndarray) or (isinstance(v, (list, tuple)) and _all_device(v)) for v in values)


def _unwrap_all(value):
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap_all(v) for v in value)
    return value


def _index(key):
    """An index: device arrays unwrap; a NumPy index array is copied to the device (counted)."""
    if isinstance(key, tuple):
        return tuple(_index(k) for k in key)
    if isinstance(key, ndarray):
        return key._a
    if isinstance(key, numpy.ndarray):
        _count("to_device")
        return key
    if isinstance(key, list):
        _count("to_device")
        return numpy.asarray(_unwrap_all(key))
    return key


def _wrap(result):
    """Results back as device arrays: a NumPy scalar becomes a 0-d array, as on CuPy."""
    if isinstance(result, numpy.ndarray):
        return ndarray(result)
    if isinstance(result, numpy.generic):
        return ndarray(numpy.asarray(result))
    if isinstance(result, tuple):
        return tuple(_wrap(r) for r in result)
    if isinstance(result, list):
        return [_wrap(r) for r in result]
    return result


class ndarray(NDArrayOperatorsMixin):
    """A device array: a NumPy array that refuses to leave the device without ``.get()``."""

    __slots__ = ("_a",)
    __hash__ = None

    def __init__(self, array):
        if not isinstance(array, numpy.ndarray):
            raise TypeError("device_standin.ndarray wraps a numpy.ndarray; use asarray() to make one")
        self._a = array

    # --- what CuPy refuses or counts --------------------------------------------------------
    def __array__(self, *args, **kwargs):
        raise TypeError(_IMPLICIT)

    def get(self, stream=None, order="C", out=None, blocking=True):
        """Copy to the host (explicit, counted)."""
        _count("to_host")
        return self._a.copy()

    def _sync(self):
        _count("syncs")
        return self._a

    def __float__(self):
        return float(self._sync())

    def __int__(self):
        return int(self._sync())

    def __index__(self):
        return int(self._sync())

    def __bool__(self):
        return bool(self._sync())

    def __complex__(self):
        return complex(self._sync())

    def item(self, *args):
        return self._sync().item(*args)

    def tolist(self):
        return self._sync().tolist()

    def __repr__(self):
        return repr(self._a).replace("array(", "device_array(", 1)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._sync().item() if self._a.ndim == 0 else self._a, spec)

    # --- the array protocols ------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "at":
            raise TypeError(f"numpy.{ufunc.__name__}.at on a device array: use cupyx.scatter_add")
        inputs = _to_host(inputs)
        kwargs_out = kwargs.get("out")
        if kwargs_out is not None:
            kwargs["out"] = tuple(_to_host(o) for o in kwargs_out)
        result = getattr(ufunc, method)(*inputs, **kwargs)
        if "out" in kwargs:
            return _original_out(kwargs_out)
        return _wrap(result)

    def __array_function__(self, func, types_, args, kwargs):
        own = _NAMESPACE.get(func.__name__)
        if own is None:
            return NotImplemented
        return own(*args, **kwargs)

    # --- attributes -------------------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: ndarray(self._a.T))
    real = property(lambda self: ndarray(self._a.real))
    imag = property(lambda self: ndarray(self._a.imag))
    base = property(lambda self: None if self._a.base is None else ndarray(numpy.asarray(self._a.base)))

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(row) for row in self._a)

    def __getitem__(self, key):
        return _wrap(self._a[_index(key)])

    def __setitem__(self, key, value):
        if isinstance(value, numpy.ndarray):
            _count("to_device")
        elif isinstance(value, ndarray):
            value = value._a
        self._a[_index(key)] = value

    def __copy__(self):
        return ndarray(self._a.copy())

    def __deepcopy__(self, memo):
        return ndarray(self._a.copy())


def _original_out(out):
    """The ``out=`` the caller gave: the device array(s) written in place."""
    return out[0] if len(out) == 1 else out


def _method(name):
    def method(self, *args, **kwargs):
        kwargs = {k: (_to_host(v) if k == "out" else v) for k, v in kwargs.items()}
        return _wrap(getattr(self._a, name)(*_to_host(args), **kwargs))

    method.__name__ = name
    return method


for _name in (
    "all any argmax argmin argsort astype clip conj copy cumprod cumsum diagonal dot fill flatten max mean min "
    "nonzero prod ravel repeat reshape round sort squeeze std sum swapaxes take trace transpose var view"
).split():
    setattr(ndarray, _name, _method(_name))


# --- the module's functions -----------------------------------------------------------------


def _function(numpy_function):
    def function(*args, **kwargs):
        kwargs = {k: _to_host(v) for k, v in kwargs.items()}
        return _wrap(numpy_function(*_to_host(args), **kwargs))

    function.__name__ = numpy_function.__name__
    function.__doc__ = f"``{numpy_function.__name__}`` on device arrays (NumPy's, run on the host)."
    return function


class ufunc:
    """A ufunc of device arrays: ``__call__``, ``reduce``, ``accumulate``, ``outer``; no ``at``."""

    def __init__(self, numpy_ufunc):
        self._u = numpy_ufunc
        self.__name__ = numpy_ufunc.__name__
        self.nin, self.nout = numpy_ufunc.nin, numpy_ufunc.nout

    def __call__(self, *args, **kwargs):
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = _to_host(out)
        result = self._u(*_to_host(args), **kwargs)
        if isinstance(out, ndarray):
            return out
        if isinstance(out, tuple) and len(out) == 1 and isinstance(out[0], ndarray):
            return out[0]
        return _wrap(result)

    def reduce(self, array, *args, **kwargs):
        return _wrap(self._u.reduce(_to_host(array), *args, **kwargs))

    def accumulate(self, array, *args, **kwargs):
        return _wrap(self._u.accumulate(_to_host(array), *args, **kwargs))

    def outer(self, a, b, **kwargs):
        return _wrap(self._u.outer(_to_host(a), _to_host(b), **kwargs))


def asarray(a, dtype=None, order=None, *, blocking=False):
    """A device array from device or host data (a copy to the device for host data, counted)."""
    return ndarray(numpy.asarray(_from_host_data(a), dtype=dtype, order=order))


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    """A new device array (copied), from device or host data."""
    return ndarray(numpy.array(_from_host_data(obj), dtype=dtype, copy=copy, order=order, ndmin=ndmin))


def asanyarray(a, dtype=None, order=None, *, blocking=False):
    return asarray(a, dtype=dtype, order=order)


def ascontiguousarray(a, dtype=None, *, like=None):
    return ndarray(numpy.ascontiguousarray(_from_host_data(a), dtype=dtype))


def asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
    """Copy a device array to the host (explicit, counted); host data passes through."""
    if isinstance(a, ndarray):
        return a.get()
    return numpy.asarray(a, order=order)


def get_array_module(*args):
    """This module when any argument is a device array, else NumPy (``cupy.get_array_module``)."""
    return cupy if any(isinstance(a, ndarray) for a in args) else numpy


_NAMESPACE = {}
for _name in dir(numpy):
    _value = getattr(numpy, _name)
    if _name.startswith("_") or _name in ("asarray", "array", "asanyarray", "ascontiguousarray", "ndarray"):
        continue
    if isinstance(_value, numpy.ufunc):
        _NAMESPACE[_name] = ufunc(_value)
    elif isinstance(_value, types.FunctionType) or type(_value).__name__ in (
        "_ArrayFunctionDispatcher",
        "builtin_function_or_method",
    ):
        if _name in ("asarray_chkfinite", "frombuffer", "fromfile", "load", "save", "savez", "loadtxt", "genfromtxt"):
            continue
        _NAMESPACE[_name] = _function(_value)
    elif isinstance(_value, (type, int, float)) and not isinstance(_value, bool) or _value is None:
        _NAMESPACE[_name] = _value  # dtypes (float32...), dtype, iinfo/finfo, pi, inf, newaxis
for _name in ("dtype", "iinfo", "finfo", "result_type", "promote_types", "can_cast", "isscalar", "ndim", "shape"):
    _NAMESPACE[_name] = getattr(numpy, _name)
_NAMESPACE.update(
    ndarray=ndarray,
    asarray=asarray,
    array=array,
    asanyarray=asanyarray,
    ascontiguousarray=ascontiguousarray,
    asnumpy=asnumpy,
    get_array_module=get_array_module,
)


# --- numpy.random's generator, as CuPy's device Generator ---------------------------------------


class Generator:
    """CuPy's ``cupy.random.Generator``: device arrays out, and only the methods CuPy has."""

    def __init__(self, seed=None):
        self._host = numpy.random.default_rng(seed)

    def _draw(self, name, *args, **kwargs):
        return _wrap(numpy.asarray(getattr(self._host, name)(*_to_host(args), **kwargs)))

    def random(self, size=None, dtype=numpy.float64, out=None):
        return _wrap(numpy.asarray(self._host.random(size, dtype=numpy.dtype(dtype))))

    def uniform(self, low=0.0, high=1.0, size=None, dtype=numpy.float64):
        return _wrap(numpy.asarray(self._host.uniform(_to_host(low), _to_host(high), size)).astype(dtype, copy=False))

    def integers(self, low, high=None, size=None, dtype=numpy.int64, endpoint=False):
        return _wrap(
            numpy.asarray(self._host.integers(int(low), None if high is None else int(high), size, dtype, endpoint))
        )

    def standard_normal(self, size=None, dtype=numpy.float64, out=None):
        return _wrap(numpy.asarray(self._host.standard_normal(size, dtype=numpy.dtype(dtype))))

    def standard_exponential(self, size=None, dtype=numpy.float64, method=None, out=None):
        return _wrap(numpy.asarray(self._host.standard_exponential(size, dtype=numpy.dtype(dtype))))

    def exponential(self, scale=1.0, size=None):
        return self._draw("exponential", scale, size)

    def gamma(self, shape, scale=1.0, size=None):
        return self._draw("gamma", shape, scale, size)

    def standard_gamma(self, shape, size=None, dtype=numpy.float64, out=None):
        return self._draw("standard_gamma", shape, size, dtype=numpy.dtype(dtype))

    def binomial(self, n, p, size=None):
        return self._draw("binomial", n, p, size)

    def poisson(self, lam=1.0, size=None):
        return self._draw("poisson", lam, size)

    def beta(self, a, b, size=None, dtype=numpy.float64):
        return self._draw("beta", a, b, size).astype(dtype)


def _default_rng(seed=None):
    """``cupy.random.default_rng``: a device Generator."""
    if isinstance(seed, Generator):
        return seed
    return Generator(seed)


random = types.SimpleNamespace(default_rng=_default_rng, Generator=Generator)
linalg = types.SimpleNamespace(
    **{
        n: _function(getattr(numpy.linalg, n))
        for n in (
            "norm",
            "inv",
            "solve",
            "det",
            "svd",
            "qr",
            "eigh",
            "cholesky",
            "eig",
            "eigvals",
            "pinv",
            "matrix_rank",
            "slogdet",
            "eigvalsh",
            "lstsq",
        )
    }
)
lib = types.SimpleNamespace(
    stride_tricks=types.SimpleNamespace(
        as_strided=lambda x, shape=None, strides=None: ndarray(
            numpy.lib.stride_tricks.as_strided(_to_host(x), shape=shape, strides=strides)
        ),
        sliding_window_view=_function(numpy.lib.stride_tricks.sliding_window_view),
    )
)


class _Stream:
    def synchronize(self):
        _count("syncs")


class _Device:
    def __init__(self, device=0):
        self.id = device

    def synchronize(self):
        _count("syncs")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


cuda = types.SimpleNamespace(Device=_Device, get_current_stream=_Stream, is_available=lambda: True)


def _scatter_add(a, slices, value):
    """``cupyx.scatter_add``: add ``value`` at ``a[slices]`` in place, repeated indices summed."""
    if not isinstance(a, ndarray):
        raise TypeError(f"scatter_add expects a device array, got {type(a).__name__}")
    numpy.add.at(a._a, _index(slices), _to_host(value))


cupyx = types.SimpleNamespace(scatter_add=_scatter_add)
"""The part of ``cupyx`` learnet uses."""

cupy = types.ModuleType("cupy_standin", "A NumPy-backed stand-in for CuPy (see tests/gpu/device_standin.py).")
"""The stand-in array module: what learnet sees as ``backend.xp``."""
cupy.__dict__.update(_NAMESPACE)
cupy.__dict__.update(random=random, linalg=linalg, lib=lib, cuda=cuda)
