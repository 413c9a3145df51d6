"""Floor 2: ``Tensor`` and ``Variable``, the values that flow through a network.

A ``Tensor`` wraps one array of the backend (``learnet.backend.xp``) and never changes.
A ``Variable`` is a tensor that can change in place (``assign``), which is what a
weight is. Arithmetic operators (``+ - * / ** @``, comparisons, slicing) are attached
to ``Tensor`` by the ops floor (``learnet.ops``), so every operator is an op that a
``GradientTape`` can record.
"""

import enum
import importlib
import weakref
from typing import Any

import numpy

from learnet import backend
from learnet.backend import xp

_FLOAT_KINDS = ("f", "c")  # the kinds that carry gradients: floats and, as in TensorFlow, complex numbers

# Every Variable alive, so backend.set_backend can refuse to switch array modules under them.
_live_variables: "weakref.WeakSet[Any]" = weakref.WeakSet()


def _live_variable_names() -> list[str]:
    return [str(variable.path) for variable in list(_live_variables)]


backend._switch_guards.append(_live_variable_names)


_OBJECT = numpy.dtype(object)


class _StringDType:
    """The dtype of a tensor of text: NumPy's object dtype, which also equals ``"string"``, as
    TensorFlow's ``tf.string`` does (tutorials test ``x.dtype == "string"``).

    Everything else is the object dtype's: ``.kind`` is ``"O"``, and ``numpy.dtype(it)``,
    ``numpy.zeros(n, dtype=it)`` and ``array.astype(it)`` give object arrays.

    Examples
    --------
    >>> import learnet as tf
    >>> text = tf.constant(["a", "b"])
    >>> text.dtype == "string", text.dtype == tf.string, text.dtype == "float32"
    (True, True, False)
    """

    dtype = _OBJECT  # what numpy.dtype(...) reads

    def __eq__(self, other):
        if isinstance(other, str) and other in ("string", "str"):
            return True
        try:
            return _OBJECT == numpy.dtype(other)
        except TypeError:
            return False

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(_OBJECT)

    def __getattr__(self, name):
        return getattr(_OBJECT, name)

    def __repr__(self):
        return "dtype('O')"

    __str__ = __repr__


STRING_DTYPE = _StringDType()


class Dimension:
    """One size of a ``TensorShape`` as TensorFlow 1 kept it (``tf.compat.v1.Dimension``): an int
    or ``None`` (unknown), what ``TensorShape.dims`` lists.

    Examples
    --------
    >>> import learnet as tf
    >>> first, second = tf.TensorShape([16, None]).dims
    >>> first.value, second.value, first.is_compatible_with(16), str(second + 1)
    (16, None, True, '?')
    """

    __slots__ = ("_value",)

    def __init__(self, value):
        if isinstance(value, Dimension):
            value = value.value
        if value is not None:
            if isinstance(value, bool) or not float(value).is_integer():
                raise TypeError(f"Dimension value must be an integer or None, got {value!r}")
            value = int(value)
            if value < 0:
                raise ValueError(f"Dimension {value} must be >= 0")
        self._value = value

    @property
    def value(self):
        """The size, or ``None`` when unknown."""
        return self._value

    def __repr__(self):
        return f"Dimension({self._value!r})"

    def __str__(self):
        return "?" if self._value is None else str(self._value)

    def __int__(self):
        if self._value is None:
            raise TypeError("an unknown Dimension has no int value")
        return self._value

    __index__ = __int__

    def __eq__(self, other):
        other = _dimension_value(other)
        if self._value is None or other is None:
            return None  # as TensorFlow: unknown
        return self._value == other

    def __ne__(self, other):
        other = _dimension_value(other)
        if self._value is None or other is None:
            return None
        return self._value != other

    def __hash__(self):
        return hash(self._value)

    def is_compatible_with(self, other):
        """Whether the two sizes could be one: equal, or either unknown."""
        other = _dimension_value(other)
        return self._value is None or other is None or self._value == other

    def assert_is_compatible_with(self, other):
        """Raise ``ValueError`` unless ``is_compatible_with(other)``."""
        if not self.is_compatible_with(other):
            raise ValueError(f"Dimensions {self} and {Dimension(other)} are not compatible")

    def merge_with(self, other):
        """The size both describe; ``ValueError`` if they differ."""
        self.assert_is_compatible_with(other)
        other = _dimension_value(other)
        return Dimension(self._value if self._value is not None else other)

    def _arithmetic(self, other, combine):
        other = _dimension_value(other)
        return Dimension(None if self._value is None or other is None else combine(self._value, other))

    def __add__(self, other):
        return self._arithmetic(other, lambda a, b: a + b)

    __radd__ = __add__

    def __sub__(self, other):
        return self._arithmetic(other, lambda a, b: a - b)

    def __rsub__(self, other):
        return self._arithmetic(other, lambda a, b: b - a)

    def __mul__(self, other):
        return self._arithmetic(other, lambda a, b: a * b)

    __rmul__ = __mul__

    def __floordiv__(self, other):
        return self._arithmetic(other, lambda a, b: a // b)

    def __mod__(self, other):
        return self._arithmetic(other, lambda a, b: a % b)

    def _order(self, other, compare):
        other = _dimension_value(other)
        return None if self._value is None or other is None else compare(self._value, other)

    def __lt__(self, other):
        return self._order(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._order(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._order(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._order(other, lambda a, b: a >= b)


def _dimension_value(size):
    """An int or None from an int, None or ``Dimension`` (``tf.compat.dimension_value``)."""
    return size.value if isinstance(size, Dimension) else size


class TensorShape(tuple):
    """The shape of a tensor: a tuple with TensorFlow's ``as_list`` and ``rank``.

    ``TensorShape(None)`` is a shape of unknown rank (a subclass, ``_UnknownRank``): its rank
    and ``dims`` are ``None``, it is compatible with every shape, and it has no length.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.TensorShape([None, 3]).is_compatible_with([8, 3])
    True
    >>> unknown = tf.TensorShape(None)
    >>> unknown, str(unknown), unknown.rank
    (TensorShape(None), '<unknown>', None)
    """

    __slots__ = ()

    def __new__(cls, dims=()):
        if dims is None or isinstance(dims, _UnknownRank):
            return tuple.__new__(_UnknownRank, ())
        if type(dims) is tuple and not any(type(d) is Dimension for d in dims):
            return tuple.__new__(cls, dims)  # the common case, on every tensor's .shape: no conversion
        if isinstance(dims, (int, numpy.integer, Dimension)):
            dims = (dims,)  # TensorFlow reads TensorShape(3) as a shape of rank 1
        return tuple.__new__(cls, tuple(_dimension_value(d) for d in dims))

    def as_list(self):
        """Return the shape as a list of ints."""
        return list(self)

    @property
    def rank(self):
        """Number of dimensions."""
        return len(self)

    ndims = rank

    @property
    def dims(self):
        """The sizes as a list of ``Dimension`` objects, as TensorFlow gives them (``as_list()``
        gives plain ints and ``None``)."""
        return [Dimension(size) for size in self]

    def __getitem__(self, key):
        item = tuple.__getitem__(self, key)
        return TensorShape(item) if isinstance(key, slice) else item  # shape[1:] stays a TensorShape

    def __add__(self, other):
        return self.concatenate(other)

    def num_elements(self):
        """The number of elements, or ``None`` when a size is unknown."""
        if any(size is None for size in self):
            return None
        return int(numpy.prod(self, dtype=numpy.int64))

    def is_fully_defined(self):
        """Whether every size is known."""
        return all(size is not None for size in self)

    def concatenate(self, other):
        """This shape followed by ``other``'s sizes (unknown rank if ``other``'s is)."""
        if _unknown_rank(other):
            return TensorShape(None)
        return TensorShape(tuple(self) + tuple(other))

    def is_compatible_with(self, other):
        """Whether the two shapes could describe one tensor (same rank; known sizes agree)."""
        if _unknown_rank(other):
            return True
        other = tuple(_dimension_value(d) for d in other)
        return len(other) == len(self) and all(a is None or b is None or a == b for a, b in zip(self, other))

    def merge_with(self, other):
        """The shape both describe, each unknown size taken from the other; ``ValueError`` if they differ."""
        if _unknown_rank(other):
            return self
        other = tuple(_dimension_value(d) for d in other)
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {tuple(other)} are not compatible")
        return TensorShape(tuple(a if a is not None else b for a, b in zip(self, tuple(other))))

    def assert_is_compatible_with(self, other):
        """Raise ``ValueError`` unless ``is_compatible_with(other)``."""
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {tuple(other)} are incompatible")

    def assert_has_rank(self, rank):
        """Raise ``ValueError`` unless the shape has ``rank`` dimensions."""
        if len(self) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")

    def assert_same_rank(self, other):
        """Raise ``ValueError`` unless ``other`` has as many dimensions."""
        if not _unknown_rank(other) and len(self) != len(tuple(other)):
            raise ValueError(f"Shapes {self} and {tuple(other)} must have the same rank")

    def with_rank(self, rank):
        """This shape, checked to have ``rank`` dimensions."""
        self.assert_has_rank(rank)
        return self

    def with_rank_at_least(self, rank):
        """This shape, checked to have at least ``rank`` dimensions."""
        if len(self) < rank:
            raise ValueError(f"Shape {self} must have rank at least {rank}")
        return self

    def most_specific_compatible_shape(self, other):
        """The shape keeping the sizes the two agree on (``None`` elsewhere); of unknown rank
        when the ranks differ or either is unknown, as TensorFlow gives it."""
        if _unknown_rank(other):
            return TensorShape(None)
        other = tuple(_dimension_value(d) for d in other)
        if len(other) != len(self):
            return TensorShape(None)
        return TensorShape(tuple(a if a == b else None for a, b in zip(self, other)))

    def __repr__(self):
        return f"TensorShape({list(self)})"

    def __str__(self):
        """As TensorFlow prints a shape: ``(3, 2)``, ``(None, 5)``, ``(4,)``, ``()``."""
        return tuple.__repr__(self)


def _unknown_rank(shape):
    """Whether ``shape`` (a TensorShape, a sequence or None) is of unknown rank."""
    return shape is None or isinstance(shape, _UnknownRank)


class _UnknownRank(TensorShape):
    """``TensorShape(None)``: a shape whose rank is unknown. Compatible with every shape; merging
    with a known shape gives that shape; it has no length, list or sizes."""

    __slots__ = ()

    def _no_rank(self, what):
        raise ValueError(f"{what} is not defined on an unknown TensorShape.")

    def __len__(self):
        raise ValueError("Cannot take the length of shape with unknown rank.")

    def __bool__(self):
        return False

    def __iter__(self):
        raise ValueError("Cannot iterate over a shape with unknown rank.")

    def __getitem__(self, key):
        if isinstance(key, slice):
            return self
        return None

    def __eq__(self, other):
        return isinstance(other, _UnknownRank) or other is None

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(None)

    @property
    def rank(self):
        return None

    ndims = rank

    @property
    def dims(self):
        return None

    def as_list(self):
        self._no_rank("as_list()")

    def num_elements(self):
        return None

    def is_fully_defined(self):
        return False

    def concatenate(self, other):
        return TensorShape(None)

    def is_compatible_with(self, other):
        return True

    def merge_with(self, other):
        return TensorShape(other)

    def assert_is_compatible_with(self, other):
        return None

    def assert_has_rank(self, rank):
        return None

    def assert_same_rank(self, other):
        return None

    def with_rank(self, rank):
        return TensorShape([None] * rank)

    def with_rank_at_least(self, rank):
        return self

    def most_specific_compatible_shape(self, other):
        return TensorShape(None)

    def __getnewargs__(self):  # pickle and copy: TensorShape(None)
        return (None,)

    def __repr__(self):
        return "TensorShape(None)"

    def __str__(self):
        return "<unknown>"


def _as_dtype(dtype):
    if dtype is None:
        return None
    if isinstance(dtype, str) and dtype == "float":
        return numpy.dtype(backend.floatx())
    if isinstance(dtype, str) and dtype == "string":
        return _OBJECT  # TensorFlow's name of the text dtype (tf.string)
    try:
        return numpy.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"{dtype!r} is not a data type learnet knows") from error


def _tensor_values(value):
    """``value`` (nested lists and tuples) with every Tensor replaced by its array."""
    if isinstance(value, Tensor):  # text as nested lists of bytes: NumPy nests 0-d object arrays
        return value._value.tolist() if value._value.dtype == object else value._value
    if isinstance(value, (list, tuple)):
        return [_tensor_values(item) for item in value]
    return value


def to_array(value, dtype=None):
    """Turn ``value`` (a Tensor, array, number or nested list) into a backend array.

    Python floats and float64 NumPy arrays become ``float32`` (the default float type)
    unless ``dtype`` asks otherwise; Python ints become ``int32``, as in TensorFlow.
    """
    dtype = _as_dtype(dtype)
    if isinstance(value, Tensor):
        array = value._value
        if dtype == _OBJECT and array.dtype != _OBJECT and array.size:
            raise TypeError(
                f"cannot convert a {array.dtype.name} tensor to a string tensor (dtype string); "
                "use tf.strings.as_string to format numbers as text"
            )
        return array if dtype is None or array.dtype == dtype else array.astype(dtype)
    if isinstance(value, xp.ndarray):
        array = value
    else:
        if xp is not numpy and isinstance(value, numpy.ndarray):  # pragma: no cover
            array = xp.asarray(value)
        else:
            try:
                array = xp.asarray(value)
            except (ValueError, TypeError) as error:
                raise ValueError(f"cannot convert {_describe(value)} to a tensor: {error}") from error
            if array.dtype.kind == "S":
                array = numpy.array(value, dtype=object)  # NumPy's "S" drops trailing NUL bytes
            if array.dtype == object and not _all_text(array) and isinstance(value, (list, tuple)):
                # A list holding string tensors (tf.constant([text]) with text a scalar tensor):
                # NumPy keeps the tensors as objects; their values make the array.
                array = numpy.array(_tensor_values(value), dtype=object)
                if array.dtype == object and not _all_text(array):
                    array = xp.asarray(_tensor_values(value))
            if array.dtype == object and not _all_text(array):
                raise ValueError(f"cannot convert {_describe(value)} to a tensor: ragged or non-numeric values")
    if array.dtype.kind in ("U", "S") or (array.dtype == object and _all_text(array)):
        # String tensors (tf.string) hold bytes in an object array, as TensorFlow's numpy() shows them.
        if dtype is not None and dtype != numpy.dtype(object):
            raise ValueError(f"cannot convert the strings {_describe(value)} to {dtype.name}; use tf.strings.to_number")
        return _as_bytes(array)
    if dtype is not None:
        if dtype == _OBJECT:
            if array.size:
                raise TypeError(
                    f"cannot convert {_describe(value)} to a string tensor (dtype string); "
                    "use tf.strings.as_string to format numbers as text"
                )
            return numpy.empty(array.shape, dtype=object)  # tf.constant([], tf.string)
        if array.dtype != dtype:
            array = array.astype(dtype)
        return array
    kind = array.dtype.kind
    if kind == "f" and array.dtype == numpy.float64:
        return array.astype(backend.floatx())
    if kind in ("U", "S", "O", "V"):
        raise ValueError(f"cannot convert {_describe(value)} to a tensor of numbers")
    if kind == "i" and array.dtype == numpy.int64 and _python_numbers(value):
        return array.astype(numpy.int32)
    return array


def _python_numbers(value):
    """Whether ``value`` is Python's own numbers (an int, a list of them): these become int32.

    An array of any kind keeps its dtype, as TensorFlow keeps it: a NumPy array or scalar
    (``np.int64(5)``), or anything NumPy reads through ``__array__``, a pandas column say.
    """
    return not isinstance(value, (xp.ndarray, numpy.generic)) and not hasattr(value, "__array__")


def _dtype_name(dtype):
    """TensorFlow's name of a dtype: string tensors (object arrays of bytes) are ``string``."""
    return "string" if dtype == numpy.dtype(object) else dtype.name


def _all_text(array):
    return all(isinstance(item, (str, bytes)) for item in array.reshape(-1).tolist()) if array.size else False


def _as_bytes(array):
    """A NumPy object array of ``bytes`` (UTF-8) from strings or bytes."""
    out = numpy.empty(array.shape, dtype=object)
    flat = out.reshape(-1)
    for i, item in enumerate(numpy.asarray(array).reshape(-1).tolist()):
        flat[i] = item.encode("utf-8") if isinstance(item, str) else bytes(item)
    return out


def _describe(value):
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


class Reference:
    """What ``Tensor.ref()`` gives: equal to another reference of the same object, hashed by it."""

    __slots__ = ("_wrapped",)

    def __init__(self, wrapped):
        self._wrapped = wrapped

    def deref(self):
        """The tensor or variable this refers to."""
        return self._wrapped

    def __eq__(self, other):
        return isinstance(other, Reference) and other._wrapped is self._wrapped

    def __hash__(self):
        return id(self._wrapped)

    def __repr__(self):
        return f"<Reference wrapping {self._wrapped!r}>"


class Tensor:
    """An immutable multi-dimensional array that a ``GradientTape`` can follow.

    Parameters
    ----------
    value : array_like
        Numbers, nested lists, a NumPy array or another tensor.
    dtype : str or numpy.dtype, optional
        ``float32`` by default for floats; ``float64`` only where asked.

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    >>> x.shape, x.dtype
    (TensorShape([2, 2]), dtype('float32'))
    >>> (x * 2 + 1).numpy()
    array([[3., 5.],
           [7., 9.]], dtype=float32)
    """

    # _from_logits: for a probability tensor made by softmax or sigmoid, the logits it
    # came from, so a cross-entropy can be computed stably from them in one step.
    # _keras_mask: set (only) on the output of a layer that makes or passes on a mask
    # (Embedding(mask_zero=True), Masking); read with getattr(t, "_keras_mask", None).
    __slots__ = ("_value", "_from_logits", "_slice_of", "_keras_mask", "__weakref__")
    # NumPy defers to us in `array + tensor`, so the result stays a tracked Tensor.
    __array_priority__ = 100

    def __init__(self, value, dtype=None):
        self._value = to_array(value, dtype)
        self._from_logits = None
        self._slice_of = None

    @classmethod
    def _wrap(cls, array):
        """Wrap a backend array without copying or converting it (the ops' fast path)."""
        tensor = object.__new__(Tensor)
        tensor._value = array
        tensor._from_logits = None
        tensor._slice_of = None
        return tensor

    # --- what a tensor is ---------------------------------------------------------
    @property
    def shape(self) -> "TensorShape":
        """The shape, as a ``TensorShape`` (a tuple of ints)."""
        return TensorShape(self._value.shape)

    def get_shape(self) -> "TensorShape":
        """The shape (TensorFlow's other spelling of ``.shape``)."""
        return self.shape

    def ref(self) -> "Reference":
        """A hashable reference to this very tensor or variable (``deref()`` gives it back), to
        keep it in a set or as a dict key by identity, as TensorFlow's ``x.ref()``.

        Examples
        --------
        >>> import learnet as tf
        >>> x = tf.Variable(1.0)
        >>> seen = {x.ref()}
        >>> x.ref() in seen, next(iter(seen)).deref() is x
        (True, True)
        """
        return Reference(self)

    experimental_ref = ref

    def set_shape(self, shape) -> None:
        """Check that the tensor has ``shape`` (``None`` for any size), as TensorFlow does.

        A tensor here always knows its whole shape, so nothing changes; a shape that does not
        fit raises ``ValueError``, as in TensorFlow.

        Examples
        --------
        >>> import learnet as tf
        >>> tf.zeros((2, 3)).set_shape([None, 3])
        """
        wanted = None if shape is None else tuple(None if s is None else int(s) for s in shape)
        actual = tuple(self._value.shape)
        if wanted is not None and (
            len(wanted) != len(actual) or any(w is not None and w != a for w, a in zip(wanted, actual))
        ):
            raise ValueError(f"set_shape: a tensor of shape {actual} is not compatible with the shape {wanted}")

    @property
    def ndim(self) -> int:
        """The number of dimensions (axes)."""
        return self._value.ndim

    @property
    def dtype(self) -> numpy.dtype:
        """The NumPy dtype of the elements, e.g. ``float32`` (for text: :data:`STRING_DTYPE`)."""
        dtype = self._value.dtype
        return dtype if dtype is not _OBJECT else STRING_DTYPE  # type: ignore[return-value]  # behaves as one

    @property
    def size(self) -> int:
        """The number of elements."""
        return self._value.size

    def numpy(self) -> Any:
        """Return the value as a NumPy array; a scalar gives a NumPy scalar (``numpy.float32(3.0)``)
        and a scalar string tensor ``bytes``, as in TF."""
        value = backend.to_numpy(self._value)
        if value.ndim == 0:
            return value.item() if value.dtype == object else value[()]
        return value

    @property
    def device(self) -> str:
        """The device holding the value, in TensorFlow's spelling (the GPU under CuPy)."""
        kind = "GPU" if backend.name() == "cupy" else "CPU"
        return f"/job:localhost/replica:0/task:0/device:{kind}:0"

    def __array__(self, dtype=None, copy=None):
        array = backend.to_numpy(self._value)
        if dtype is not None and array.dtype != dtype:
            return array.astype(dtype)
        if copy:
            return array.copy()
        return array

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # `ndarray + tensor` becomes a learnet op (tracked); any other NumPy function
        # applied to a tensor works on its values and returns a NumPy array, as in TF.
        if method == "__call__" and not kwargs and ufunc.__name__ in _UFUNC_OPS:
            return _UFUNC_OPS[ufunc.__name__](*inputs)
        inputs = tuple(numpy.asarray(i) if isinstance(i, Tensor) else i for i in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __len__(self):
        if self._value.ndim == 0:
            raise TypeError("len() of a scalar tensor (shape ()) is not defined")
        return self._value.shape[0]

    def __iter__(self):
        if self._value.ndim == 0:
            raise TypeError("iteration over a scalar tensor (shape ()) is not possible")
        for i in range(self._value.shape[0]):
            yield self[i]

    def __bool__(self):
        if self._value.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self._value.size} elements is ambiguous; "
                "use learnet.reduce_any or reduce_all"
            )
        return bool(self._value)

    def __float__(self):
        return float(self._value)

    def __int__(self):
        return int(self._value)

    def __index__(self):
        if self._value.dtype.kind not in "iub":
            raise TypeError(f"only integer tensors can be used as an index, got {self.dtype}")
        return int(self._value)

    def __format__(self, spec):
        # As TensorFlow: f"{t}" shows the values alone, as NumPy prints them ("[1 2]", b'ab'), and
        # a format spec applies to a scalar's value (NumPy refuses one for a whole array).
        if self._value.ndim == 0:
            return format(self._value.item(), spec)
        return format(backend.to_numpy(self._value), spec)

    __hash__ = object.__hash__

    def __repr__(self):
        values = numpy.array2string(backend.to_numpy(self._value), separator=", ", threshold=20, edgeitems=3).replace(
            "\n", "\n" + " " * 7
        )
        return f"<learnet.{type(self).__name__}: shape={self.shape.as_list()}, dtype={_dtype_name(self.dtype)}, numpy={values}>"

    def __str__(self):
        values = str(backend.to_numpy(self._value))
        if "\n" in values:  # TensorFlow starts values of several lines on a line of their own
            values = "\n" + values
        return f"learnet.Tensor({values}, shape={tuple(self.shape)}, dtype={_dtype_name(self.dtype)})"


# Filled in by learnet.ops: NumPy ufunc name -> learnet op, for `ndarray <op> tensor`.
_UFUNC_OPS: dict = {}


def is_float(tensor):
    """True when the tensor holds floats or complex numbers (only those can carry gradients)."""
    return tensor._value.dtype.kind in _FLOAT_KINDS


_variable_counts: dict[str, int] = {}


# Keras 3's name scopes: the layers (models, metrics, optimizers) whose variables are being
# made now, outermost first. A Variable's ``path`` is their names joined with "/", then its own.
_name_scopes: list["name_scope_path"] = []


def current_path() -> str:
    """The names of the scopes open now, joined with "/" (``"sequential/dense"``; ``""`` in none).

    A scope opened for a layer that already has a place (``_parent_path``) starts from that
    place, wherever it is opened again, as in Keras 3.
    """
    parts: list[str] = []
    for scope in _name_scopes:
        if scope.parent is not None:
            parts = [part for part in scope.parent.split("/") if part]
        parts.append(scope.name)
    return "/".join(parts)


class name_scope_path:  # noqa: N801 - a context manager, named as Keras' name_scope it mirrors
    """Open the scope ``name`` for the variables made inside it: their ``path`` starts with it.

    ``caller`` is the layer (or metric, optimizer) that opens it: the same caller opening its
    own scope again inside it (``__call__``, then ``build``, then ``add_weight``) adds nothing,
    and a caller opening its scope the first time remembers where it was (``_parent_path``),
    so its scope sits there whenever it is opened again.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.tensor import name_scope_path
    >>> with name_scope_path("block"):
    ...     v = tf.Variable(1.0, name="w")
    >>> v.name, v.path
    ('w', 'block/w')
    """

    __slots__ = ("name", "caller", "parent", "_pushed")

    def __init__(self, name, caller=None):
        self.name = str(name)
        self.caller = caller
        self.parent = None
        self._pushed = False

    def __enter__(self):
        caller = self.caller
        if _name_scopes and caller is not None:
            top = _name_scopes[-1]
            if top.caller is caller and top.name == self.name:
                return self  # the caller's own scope is open already
        if caller is not None:
            state = getattr(caller, "__dict__", None)  # an object without one keeps no place
            parent = None if state is None else state.get("_parent_path")
            if parent is None:
                parent = current_path()
                if state is not None:
                    state["_parent_path"] = parent
            self.parent = parent
        _name_scopes.append(self)
        self._pushed = True
        return self

    def __exit__(self, *exc_info):
        if self._pushed:
            self._pushed = False
            if _name_scopes and _name_scopes[-1] is self:
                _name_scopes.pop()
            elif self in _name_scopes:  # a scope left out of order (a generator): drop it and those above
                del _name_scopes[_name_scopes.index(self) :]
        return False


def owned_variable(owner, *args, name, **kwargs) -> "Variable":
    """A ``Variable`` named ``name`` made in the scope ``owner`` (a metric's or an optimizer's
    name): its ``path`` is ``owner/name``, and the files learnet writes keep ``owner/name`` for it.

    Examples
    --------
    >>> from learnet.tensor import owned_variable
    >>> v = owned_variable("mean", 0.0, trainable=False, name="total")
    >>> v.name, v.path
    ('total', 'mean/total')
    """
    kwargs["name"] = name
    with name_scope_path(owner):
        variable = Variable(*args, **kwargs)
    variable._keras2_name = f"{owner}/{name}"
    return variable


def keras2_name(variable) -> str:
    """The name tf.keras 2 gives ``variable`` (without ``:0``), which learnet's own files store.

    A weight made by a layer's ``add_weight`` (or a metric's, an optimizer's variable) is
    named after its owner and itself (``"dense/kernel"``) whatever model holds it; any other
    variable by its name alone. ``Variable.name`` is Keras 3's (``"kernel"``) and
    ``Variable.path`` holds every enclosing scope (``"sequential/dense/kernel"``).
    """
    return getattr(variable, "_keras2_name", None) or str(variable.name)


class VariableSynchronization(enum.Enum):
    """When a distributed variable's copies are brought into agreement (``tf.VariableSynchronization``).

    ``AUTO`` lets the strategy choose, ``ON_WRITE`` updates every copy at each write,
    ``ON_READ`` (metric counters) combines the copies when read, ``NONE`` never does.
    learnet keeps one copy per process, so the value only records the choice.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.Variable(0.0, synchronization=tf.VariableSynchronization.ON_READ).synchronization
    <VariableSynchronization.ON_READ: 3>
    """

    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class VariableAggregation(enum.Enum):
    """How the replicas' updates of a distributed variable are combined (``tf.VariableAggregation``).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.Variable(0.0, aggregation=tf.VariableAggregation.SUM).aggregation
    <VariableAggregation.SUM: 1>
    """

    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3


_KERAS_AGGREGATIONS = {"none": "NONE", "sum": "SUM", "mean": "MEAN", "only_first_replica": "ONLY_FIRST_REPLICA"}


def _variable_policy(kind, value, name):
    """``value`` as a ``VariableSynchronization`` / ``VariableAggregation`` member (``kind`` names which).

    Accepts a member or its integer value, as ``tf.Variable`` does, and Keras 3's lower-case
    names (``"sum"``, ``"on_read"``, ...), as ``keras.Variable`` and ``add_weight`` take them.
    """
    enum_class = VariableSynchronization if kind == "synchronization" else VariableAggregation
    if value is None:
        return enum_class(0)
    if isinstance(value, enum_class):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value in {m.value for m in enum_class}:
        return enum_class(value)
    if isinstance(value, str):
        table = _KERAS_AGGREGATIONS if kind == "aggregation" else {m.name.lower(): m.name for m in enum_class}
        if value in table:
            return enum_class[table[value]]
    raise ValueError(f"Invalid variable {kind} mode: {value} for variable: {name}")


# What tf.Variable and keras.Variable also take (synchronization and aggregation are kept as the
# variable's policies; the rest has nothing for learnet to do: one device, one process per
# replica, always eager).
_VARIABLE_OPTIONS = frozenset(
    {
        "validate_shape",
        "caching_device",
        "synchronization",
        "aggregation",
        "import_scope",
        "autocast",
        "layout",
        "experimental_enable_variable_lifting",
        "distribute_strategy",
    }
)
# keras.initializers.get, set by learnet.initializers when it is imported (a block above this floor).
_initializer_lookup: list = [None]


def _is_initializer(value):
    """Whether ``value`` is called as ``value(shape, dtype=...)`` (a Keras initializer object)."""
    return callable(value) and not isinstance(value, Tensor) and hasattr(value, "get_config")


def _unique_variable_name(base):
    count = _variable_counts.get(base, 0)
    _variable_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


class Variable(Tensor):
    """A tensor whose value can change in place: a weight of a model.

    Trainable variables are watched automatically by a ``GradientTape``, and
    optimizers update them in place with ``assign_sub``.

    Parameters
    ----------
    initial_value : array_like or callable
        The starting value, or a function returning it (Keras initializers are such
        functions of no argument once their shape is fixed).
    trainable : bool, optional
        Whether optimizers update it and tapes watch it (default True, False with
        ``synchronization=ON_READ``, as in TensorFlow). Tapes follow the value given
        here, at creation, as TensorFlow's do: freezing a Keras layer later (which sets
        ``trainable`` to False on its variables) hides them from ``trainable_variables``
        and optimizers, while a tape still watches them and can give their gradient.
    name : str, optional
        A name for messages and summaries; ``Variable``, ``Variable_1``, ... if absent.
        Made inside a layer (its ``build`` or ``call``), the variable's ``path`` puts the
        layers' names in front of it, as Keras 3 does (``block/w``).
    dtype : str or numpy.dtype, optional
    constraint : callable, optional
        Applied to the new value after every optimizer update.
    synchronization, aggregation : optional
        A ``tf.VariableSynchronization`` / ``tf.VariableAggregation`` (its integer value, or
        Keras' lower-case name such as ``"on_read"`` / ``"sum"``),
        kept as ``v.synchronization`` / ``v.aggregation`` (``AUTO`` / ``NONE`` by default).

    Examples
    --------
    >>> import learnet as tf
    >>> w = tf.Variable([1.0, 2.0], name="w")
    >>> w.assign_sub([0.5, 0.5]).numpy()
    array([0.5, 1.5], dtype=float32)
    >>> w[0].assign(3.0).numpy()
    array([3. , 1.5], dtype=float32)
    """

    __slots__ = (
        "trainable",
        "name",
        "constraint",
        "_watched_by_tapes",
        "_synchronization",
        "_aggregation",
        "_path",
        "_keras2_name",
        "_overwrite_with_gradient",
    )

    def __init__(
        self,
        initial_value=None,
        trainable=None,
        name=None,
        dtype=None,
        constraint=None,
        *,
        initializer=None,
        shape=None,
        **options,
    ):
        unknown = sorted(set(options) - _VARIABLE_OPTIONS)
        if unknown:
            raise TypeError(f"Variable got unexpected keyword argument(s) {unknown}")
        synchronization = _variable_policy("synchronization", options.get("synchronization"), name)
        aggregation = _variable_policy("aggregation", options.get("aggregation"), name)
        if trainable is None:  # TensorFlow's default: trainable unless its copies agree only when read
            trainable = synchronization is not VariableSynchronization.ON_READ
        if initializer is not None:  # Keras 3: keras.Variable(initializer=..., shape=...)
            if initial_value is not None:
                raise ValueError("a Variable takes an initial_value or an initializer, not both")
            initial_value = initializer
        if initial_value is None:
            raise ValueError("a Variable needs an initial_value")
        if shape is not None and (isinstance(initial_value, str) or _is_initializer(initial_value)):
            # Keras 3's keras.Variable("uniform", shape=(784, 512)): the initializer makes the value.
            if _initializer_lookup[0] is None:  # learnet.initializers registers its `get` when imported
                importlib.import_module("learnet.initializers")
            make = _initializer_lookup[0](initial_value) if isinstance(initial_value, str) else initial_value
            initial_value = make(tuple(int(s) for s in shape), dtype=_as_dtype(dtype) or numpy.dtype(backend.floatx()))
        elif callable(initial_value) and not isinstance(initial_value, Tensor):
            initial_value = initial_value()
        array = to_array(initial_value, dtype)
        # A variable owns its buffer: updating it must never change the caller's array.
        self._value = array.copy() if isinstance(initial_value, (Tensor, xp.ndarray)) else array
        if not self._value.flags.writeable:
            self._value = self._value.copy()
        self._from_logits = None
        self._slice_of = None
        self.trainable = bool(trainable)
        self._synchronization, self._aggregation = synchronization, aggregation
        # Fixed here for good: what a tape watches never changes while it records, whatever
        # a layer's ``trainable`` flag says then (a GAN freezes its discriminator mid-step).
        self._watched_by_tapes = self.trainable
        self.name = name if name is not None else _unique_variable_name("Variable")
        # Keras 3's path: the name scopes open now (the layers building it), then the name.
        parent = current_path() if _name_scopes else ""
        self._path: str = f"{parent}/{self.name}" if parent else self.name
        # tf.keras 2's name, which learnet's files store: set by the layer, metric or optimizer owning it.
        self._keras2_name: str | None = None
        # A function applied to the value after each optimizer update (e.g. non-negativity).
        self.constraint = constraint
        _live_variables.add(self)

    @property
    def overwrite_with_gradient(self) -> bool:
        """Whether training sets this variable to its gradient instead of stepping it (Keras 3).

        A float8 layer's scales and amax histories are computed as "gradients": ``fit``
        assigns them as they come, with no learning rate, clipping or weight decay. False
        for every other variable.

        Examples
        --------
        >>> import learnet as keras
        >>> scale = keras.Variable(1.0)
        >>> scale.overwrite_with_gradient
        False
        >>> scale.overwrite_with_gradient = True
        >>> scale.overwrite_with_gradient = "yes"
        Traceback (most recent call last):
        ...
        TypeError: overwrite_with_gradient must be a bool, got 'yes'
        """
        return getattr(self, "_overwrite_with_gradient", False)

    @overwrite_with_gradient.setter
    def overwrite_with_gradient(self, value: bool) -> None:
        if not isinstance(value, (bool, numpy.bool_)):
            raise TypeError(f"overwrite_with_gradient must be a bool, got {value!r}")
        self._overwrite_with_gradient = bool(value)

    @property
    def synchronization(self) -> VariableSynchronization:
        """When copies of this variable agree under a strategy (``VariableSynchronization.AUTO`` by default)."""
        return getattr(self, "_synchronization", VariableSynchronization.AUTO)

    @property
    def aggregation(self) -> VariableAggregation:
        """How replicas' updates of this variable combine (``VariableAggregation.NONE`` by default)."""
        return getattr(self, "_aggregation", VariableAggregation.NONE)

    def _check_same_shape(self, array, what):
        if array.shape != self._value.shape:
            try:
                numpy.broadcast_shapes(array.shape, self._value.shape)
                if self._value.shape == numpy.broadcast_shapes(array.shape, self._value.shape):
                    return
            except ValueError:
                pass
            raise ValueError(
                f"Variable '{self.path}' has shape {tuple(self._value.shape)}; "
                f"{what} got a value of shape {tuple(array.shape)}"
            )

    def _incoming(self, value, what):
        array = to_array(value, self._value.dtype)
        if not backend.on_host(array) and backend.on_host(self._value):
            array = backend.to_numpy(array)  # a variable kept in host memory (an optimizer's step count)
        if array.dtype.kind == "f" and self._value.dtype.kind != "f":
            raise TypeError(f"Variable '{self.path}' holds {self.dtype}; {what} got floats")
        self._check_same_shape(array, what)
        return array

    def assign(self, value: Any) -> "Variable":
        """Set the value (same shape), in place. Returns the variable."""
        incoming = self._incoming(value, "assign")
        if _assign_listeners:
            _tell_assign_listeners(self, "assign", value)
        self._value[...] = incoming
        return self

    def assign_add(self, delta: Any) -> "Variable":
        """Add ``delta`` to the value, in place. Returns the variable."""
        incoming = self._incoming(delta, "assign_add")
        if _assign_listeners:
            _tell_assign_listeners(self, "assign_add", delta)
        self._value += incoming
        return self

    def assign_sub(self, delta: Any) -> "Variable":
        """Subtract ``delta`` from the value, in place. Returns the variable."""
        incoming = self._incoming(delta, "assign_sub")
        if _assign_listeners:
            _tell_assign_listeners(self, "assign_sub", delta)
        self._value -= incoming
        return self

    def numpy(self):
        """Return a copy of the current value (later updates do not change it); a scalar
        variable gives a NumPy scalar, as in TF."""
        value = backend.to_numpy(self._value)
        return value[()] if value.ndim == 0 else value.copy()

    def read_value(self) -> Tensor:
        """Return the current value as a (constant) ``Tensor``."""
        return Tensor._wrap(self._value.copy())

    @property
    def value(self):
        """The current value as a ``Tensor``."""
        return self.read_value()

    @property
    def path(self):
        """Keras 3's path of the variable: the name scopes it was made in, then its name.

        A layer's weight is named for itself (``kernel``) and its path holds the layers (and
        model) that built it: ``dense/kernel`` in a functional model, ``sequential/dense/kernel``
        in a Sequential one, ``mha/query/kernel`` for a sublayer. A variable made outside any
        layer has its name as path.

        Examples
        --------
        >>> import learnet as keras
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d")], name="seq")
        >>> model.layers[0].kernel.name, model.layers[0].kernel.path
        ('kernel', 'seq/d/kernel')
        """
        path = getattr(self, "_path", None)
        return path if path is not None else self.name

    def __repr__(self):
        values = numpy.array2string(backend.to_numpy(self._value), separator=", ", threshold=20, edgeitems=3).replace(
            "\n", "\n" + " " * 7
        )
        return f"<learnet.Variable '{self.path}' shape={self.shape.as_list()} dtype={self.dtype.name}, numpy={values}>"

    __str__ = __repr__

    def __format__(self, spec):
        # f"{v}" prints the whole variable, as TensorFlow's; a spec formats a scalar's value.
        return repr(self) if spec == "" else Tensor.__format__(self, spec)

    # Variables are hashable and compared by identity when used as dict keys.
    __hash__ = object.__hash__


# Who wants to hear of every assignment to a variable, just before it happens
# (learnet.saved_function, while it traces a tf.function that updates a variable); empty, it
# costs one test per assignment.
_assign_listeners: list = []


def _tell_assign_listeners(variable: "Variable", kind: str, value: Any) -> None:
    for listener in _assign_listeners:
        listener(variable, kind, value)


class _VariableSlice(Tensor):
    """What ``variable[index]`` returns: a tensor that can also write back into the slice."""

    __slots__ = ()

    def assign(self, value):
        """Write ``value`` into this slice of the variable. Returns the variable."""
        variable, key = self._slice_of
        variable._value[key] = to_array(value, variable.dtype)
        return variable

    def assign_add(self, delta):
        """Add ``delta`` to this slice of the variable. Returns the variable."""
        variable, key = self._slice_of
        variable._value[key] += to_array(delta, variable.dtype)
        return variable

    def assign_sub(self, delta):
        """Subtract ``delta`` from this slice of the variable. Returns the variable."""
        variable, key = self._slice_of
        variable._value[key] -= to_array(delta, variable.dtype)
        return variable


def convert_to_tensor(value: Any, dtype: Any = None, dtype_hint: Any = None, name: str | None = None) -> "Tensor":
    """Return ``value`` as a ``Tensor`` (a tensor of the right dtype is returned as is).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.convert_to_tensor([1, 2, 3]).dtype
    dtype('int32')
    """
    if isinstance(value, Tensor) and (dtype is None or value.dtype == _as_dtype(dtype)):
        return value
    if isinstance(value, (list, tuple)):
        from learnet import tape  # the same floor; tape imports this module

        if tape.holds_tensors(value):
            packed = tape.pack(value)  # TensorFlow packs a list of tensors: gradients reach each
            return packed if dtype is None or packed.dtype == _as_dtype(dtype) else Tensor(packed, dtype)
    if dtype is None and dtype_hint is not None and not isinstance(value, (Tensor, xp.ndarray)):
        try:
            return Tensor(value, dtype_hint)
        except (ValueError, TypeError):
            pass
    return Tensor(value, dtype)


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str | None = None) -> "Tensor":
    """Create a constant tensor, as ``tf.constant``.

    Parameters
    ----------
    value : array_like
    dtype : optional
        ``float32`` for floats by default.
    shape : tuple of int, optional
        Broadcast or reshape the value to this shape.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.constant(3.0)
    <learnet.Tensor: shape=[], dtype=float32, numpy=3.>
    >>> tf.constant(0.0, shape=(2, 2)).numpy()
    array([[0., 0.],
           [0., 0.]], dtype=float32)
    """
    array = to_array(value, dtype)
    if shape is not None:
        shape = tuple(int(s) for s in shape)
        if array.size == int(numpy.prod(shape)) and array.ndim > 0:
            array = array.reshape(shape)
        else:
            try:
                array = xp.broadcast_to(array, shape).copy()
            except ValueError:
                raise ValueError(f"constant: cannot give a value of shape {array.shape} the shape {shape}") from None
    elif isinstance(value, xp.ndarray) and array is value:
        array = array.copy()
    return Tensor._wrap(array)


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is one of learnet's tensor types (``tf.is_tensor``).

    True for a ``Tensor`` or ``Variable``, and, as in TensorFlow, for the composite tensors
    ``RaggedTensor`` and ``SparseTensor``; False for NumPy arrays, lists and numbers (which
    ops still accept, converting them).

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as tf
    >>> tf.is_tensor(tf.constant([1.0])), tf.is_tensor(x=np.ones(2))
    (True, False)
    """
    if isinstance(x, Tensor):
        return True
    import sys

    # The composite tensors live on the ops floor, above this one: they are looked up among the
    # modules already loaded (an object of a module not loaded cannot be one of its classes).
    for module_name, class_name in (("learnet.ragged", "RaggedTensor"), ("learnet.sparse", "SparseTensor")):
        module = sys.modules.get(module_name)
        if module is not None and isinstance(x, getattr(module, class_name)):
            return True
    return False
