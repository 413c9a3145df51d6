"""``tf.make_tensor_proto`` and ``tf.make_ndarray``: a tensor as TensorFlow's ``TensorProto`` record.

A ``TensorProto`` is how TensorFlow writes one tensor into a message (TF Serving's gRPC
requests, a graph's constants): a data type code, a shape, and the values, either as raw
little-endian bytes (``tensor_content``, for numeric tensors of more than one element) or
as a list in the field of their type (``float_val``, ``int_val``, ``string_val``...). Here it
is a plain Python object with TensorFlow's field names; printing it gives TensorFlow's text
format, so what a course prints matches.

Examples
--------
>>> import numpy as np
>>> proto = make_tensor_proto(np.ones((2, 3), np.float32))
>>> proto.dtype, [dim.size for dim in proto.tensor_shape.dim]
(1, [2, 3])
>>> make_ndarray(proto).shape
(2, 3)
"""

from __future__ import annotations

import math
from typing import Any

import numpy

__all__ = ["TensorProto", "TensorShapeProto", "make_ndarray", "make_tensor_proto"]

# name, TensorFlow's DataType number, NumPy dtype, the list field that holds the values.
_TYPES = [
    ("DT_FLOAT", 1, numpy.float32, "float_val"),
    ("DT_DOUBLE", 2, numpy.float64, "double_val"),
    ("DT_INT32", 3, numpy.int32, "int_val"),
    ("DT_UINT8", 4, numpy.uint8, "int_val"),
    ("DT_INT16", 5, numpy.int16, "int_val"),
    ("DT_INT8", 6, numpy.int8, "int_val"),
    ("DT_STRING", 7, numpy.object_, "string_val"),
    ("DT_COMPLEX64", 8, numpy.complex64, "scomplex_val"),
    ("DT_INT64", 9, numpy.int64, "int64_val"),
    ("DT_BOOL", 10, numpy.bool_, "bool_val"),
    ("DT_UINT16", 17, numpy.uint16, "int_val"),
    ("DT_COMPLEX128", 18, numpy.complex128, "dcomplex_val"),
    ("DT_HALF", 19, numpy.float16, "half_val"),
    ("DT_UINT32", 22, numpy.uint32, "uint32_val"),
    ("DT_UINT64", 23, numpy.uint64, "uint64_val"),
]
_BY_NUMPY = {numpy.dtype(kind): (name, number, field) for name, number, kind, field in _TYPES}
_BY_NUMBER = {number: (name, numpy.dtype(kind), field) for name, number, kind, field in _TYPES}
# The types TensorFlow writes as raw bytes when a tensor has more than one element.
_AS_BYTES = {numpy.dtype(k) for k in ("float16", "float32", "float64", "int8", "int16", "int32", "int64")} | {
    numpy.dtype(k) for k in ("uint8", "uint32", "uint64")
}
_VALUE_FIELDS = (
    "half_val",
    "float_val",
    "double_val",
    "int_val",
    "string_val",
    "scomplex_val",
    "int64_val",
    "bool_val",
    "dcomplex_val",
    "uint32_val",
    "uint64_val",
)
_INT32 = numpy.iinfo(numpy.int32)


class TensorShapeProto:
    """A shape as TensorFlow's ``TensorShapeProto``: ``dim`` (each with a ``size``) and ``unknown_rank``."""

    class Dim:
        """One axis: its ``size`` (-1 when unknown) and an optional ``name``."""

        def __init__(self, size: int = 0, name: str = "") -> None:
            self.size = int(size)
            self.name = name

        def __eq__(self, other: object) -> bool:
            return isinstance(other, TensorShapeProto.Dim) and (self.size, self.name) == (other.size, other.name)

        def _text(self, indent: str) -> str:
            lines = [f"{indent}size: {self.size}\n"] if self.size else []
            lines += [f'{indent}name: "{_escape(self.name.encode())}"\n'] if self.name else []
            return "".join(lines)

        def __repr__(self) -> str:
            return self._text("")

    def __init__(self, dim: Any = (), unknown_rank: bool = False) -> None:
        self.dim = [d if isinstance(d, TensorShapeProto.Dim) else TensorShapeProto.Dim(d) for d in dim]
        self.unknown_rank = bool(unknown_rank)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TensorShapeProto) and (self.dim, self.unknown_rank) == (
            other.dim,
            other.unknown_rank,
        )

    def _text(self, indent: str) -> str:
        text = "".join(f"{indent}dim {{\n{d._text(indent + '  ')}{indent}}}\n" for d in self.dim)
        return text + (f"{indent}unknown_rank: true\n" if self.unknown_rank else "")

    def __repr__(self) -> str:
        return self._text("")


class TensorProto:
    """One tensor as TensorFlow's ``TensorProto``: ``dtype`` (TensorFlow's DataType number),
    ``tensor_shape``, and the values in ``tensor_content`` (raw bytes) or in the list field of
    their type (``float_val``, ``double_val``, ``int_val``, ``int64_val``, ``bool_val``,
    ``string_val``, ``half_val``, ``scomplex_val``, ``dcomplex_val``, ``uint32_val``, ``uint64_val``).

    Made by ``tf.make_tensor_proto``; read back with ``tf.make_ndarray``. Printing it gives
    TensorFlow's text format.
    """

    def __init__(
        self, dtype: int = 0, tensor_shape: TensorShapeProto | None = None, tensor_content: bytes = b""
    ) -> None:
        self.dtype = int(dtype)
        self.tensor_shape = tensor_shape if tensor_shape is not None else TensorShapeProto()
        self.tensor_content = bytes(tensor_content)
        self.version_number = 0
        for field in _VALUE_FIELDS:
            setattr(self, field, [])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TensorProto):
            return NotImplemented
        names = ("dtype", "tensor_shape", "tensor_content", "version_number", *_VALUE_FIELDS)
        return all(_same(getattr(self, n), getattr(other, n)) for n in names)

    def __repr__(self) -> str:
        name = _BY_NUMBER[self.dtype][0] if self.dtype in _BY_NUMBER else str(self.dtype)
        text = f"dtype: {name}\ntensor_shape {{\n{self.tensor_shape._text('  ')}}}\n"
        if self.version_number:
            text += f"version_number: {self.version_number}\n"
        if self.tensor_content:
            text += f'tensor_content: "{_escape(self.tensor_content)}"\n'
        for field in _VALUE_FIELDS:
            text += "".join(f"{field}: {_value_text(field, v)}\n" for v in getattr(self, field))
        return text

    __str__ = __repr__


def _same(a, b):
    # NaN values compare equal, as protocol buffers compare stored bits.
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def _escape(data: bytes) -> str:
    """Bytes as the text format writes them: printable ASCII kept, a few C escapes, else octal."""
    special = {9: "\\t", 10: "\\n", 13: "\\r", 34: '\\"', 39: "\\'", 92: "\\\\"}
    return "".join(special.get(b) or (chr(b) if 32 <= b < 127 else f"\\{b:03o}") for b in data)


def _short_float(value: float, digits: int, more: int, kind: type) -> str:
    # The shortest of `digits` or `more` significant digits that reads back as the same number.
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = f"{value:.{digits}g}"
    return text if kind(float(text)) == kind(value) else f"{value:.{more}g}"


def _value_text(field: str, value: Any) -> str:
    if field in ("float_val", "scomplex_val"):
        return _short_float(float(value), 6, 9, numpy.float32)
    if field in ("double_val", "dcomplex_val"):
        return _short_float(float(value), 15, 17, float)
    if field == "bool_val":
        return "true" if value else "false"
    if field == "string_val":
        return f'"{_escape(value)}"'
    return str(int(value))


def _python_array(values: Any, dtype: numpy.dtype | None) -> numpy.ndarray:
    """Python numbers, strings or nested lists as an array with TensorFlow's default types."""
    items = list(_leaves(values))
    if dtype is not None:
        for item in items:
            _check_item(item, dtype)
    texts = [isinstance(item, (str, bytes)) for item in items]
    if any(texts):
        if not all(texts):
            raise TypeError(f"make_tensor_proto: {values!r} mixes strings and numbers")
        encoded = _map_nested(values, lambda s: s.encode() if isinstance(s, str) else s)
        array = numpy.empty(numpy.shape(numpy.asarray(encoded, dtype=object)), dtype=object)
        array[...] = numpy.asarray(encoded, dtype=object)
        return array
    try:
        array = numpy.asarray(values)
    except ValueError as error:
        raise ValueError(f"make_tensor_proto: the nested lists of {values!r} are not rectangular ({error})") from None
    if array.dtype == object:
        raise TypeError(f"make_tensor_proto: cannot hold {values!r} (of type {type(values).__name__}) in a tensor")
    if dtype is None and array.dtype.kind == "f":
        array = array.astype(numpy.float32)  # Python floats are float32, as in TensorFlow
    elif dtype is None and array.dtype.kind == "i":
        inside = array.size == 0 or (_INT32.min <= array.min() and array.max() <= _INT32.max)
        array = array.astype(numpy.int32 if inside else numpy.int64)
    return array


def _leaves(values):
    if isinstance(values, (list, tuple)):
        for value in values:
            yield from _leaves(value)
    else:
        yield values


def _map_nested(values, function):
    if isinstance(values, (list, tuple)):
        return [_map_nested(v, function) for v in values]
    return function(values)


def _check_item(item: Any, dtype: numpy.dtype) -> None:
    wanted = "string" if dtype.kind == "O" else dtype.name
    text = isinstance(item, (str, bytes))
    fits = {
        "O": text,
        "b": isinstance(item, (bool, numpy.bool_)),
        "c": not text and isinstance(item, (int, float, complex, numpy.number, numpy.bool_)),
        "f": not text and isinstance(item, (int, float, numpy.integer, numpy.floating, numpy.bool_)),
    }.get(dtype.kind, isinstance(item, (int, numpy.integer, numpy.bool_)))
    if not fits:
        raise TypeError(f"Expected {wanted}, but got {item!r} of type '{type(item).__name__}'.")


def make_tensor_proto(
    values: Any,
    dtype: Any = None,
    shape: Any = None,
    verify_shape: bool = False,
    allow_broadcast: bool = False,
) -> TensorProto:
    """Store ``values`` in a ``TensorProto`` (TensorFlow's record of one tensor).

    Parameters
    ----------
    values : array_like, Tensor, number, string or nested list
        What to store. Python floats become float32 and Python ints int32 (int64 when too
        large), as in TensorFlow; NumPy arrays and tensors keep their dtype.
    dtype : dtype, optional
        The type to store the values as.
    shape : list of int, optional
        The tensor's shape. With fewer values than it holds, the last value fills the rest
        (``make_tensor_proto(0.0, shape=[2, 2])`` is a 2x2 tensor of zeros).
    verify_shape : bool
        Refuse values whose shape is not ``shape``.
    allow_broadcast : bool
        Allow a scalar or one value to fill ``shape``, and refuse any other size that differs.

    Returns
    -------
    TensorProto

    Raises
    ------
    TypeError
        For values the dtype cannot hold (a float for an integer type, a number for a string),
        and a shape that ``verify_shape`` or ``allow_broadcast`` refuses.
    ValueError
        For more values than ``shape`` holds, a negative size, or ragged nested lists.

    Examples
    --------
    >>> proto = make_tensor_proto([1.0, 2.0])
    >>> print(proto)
    dtype: DT_FLOAT
    tensor_shape {
      dim {
        size: 2
      }
    }
    tensor_content: "\\000\\000\\200?\\000\\000\\000@"
    <BLANKLINE>
    """
    from learnet.tensor import Tensor, _as_dtype

    wanted = _as_dtype(getattr(dtype, "as_numpy_dtype", dtype)) if dtype is not None else None
    if wanted is not None and wanted not in _BY_NUMPY:
        raise TypeError(f"make_tensor_proto: TensorProto cannot hold the dtype {wanted}")
    if isinstance(values, Tensor):
        values = values.numpy()
    if isinstance(values, (numpy.ndarray, numpy.generic)):
        array = numpy.asarray(values)
        if array.dtype.kind in "SU":
            array = numpy.asarray(array.tolist(), dtype=object)
            array = numpy.vectorize(lambda s: s.encode() if isinstance(s, str) else s, otypes=[object])(array)
        if wanted is not None and (wanted.kind == "O") != (array.dtype.kind == "O"):
            raise TypeError(f"make_tensor_proto: values of dtype {array.dtype} cannot be stored as {wanted}")
    else:
        array = _python_array(values, wanted)
    if wanted is not None and array.dtype != wanted:
        array = array.astype(wanted)
    if array.dtype not in _BY_NUMPY:
        raise TypeError(f"make_tensor_proto: TensorProto cannot hold values of dtype {array.dtype}")

    if shape is None:
        shape = list(array.shape)
    else:
        shape = [int(size) for size in shape]
        if any(size < 0 for size in shape):
            raise ValueError(f"make_tensor_proto: a shape's sizes must be 0 or more, got {shape}")
        total = math.prod(shape)
        if allow_broadcast:
            if array.shape not in ((), (1,)) and array.size != total:
                raise TypeError(f"Expected Tensor's shape: {tuple(shape)}, but got {array.shape}.")
        else:
            if verify_shape and array.shape != tuple(shape):
                raise TypeError(f"Expected Tensor's shape: {tuple(shape)}, but got {array.shape}.")
            if array.size > total:
                raise ValueError(f"Too many elements provided. Takes at most {total}, but got {array.size}.")
    total = math.prod(shape)
    name, number, field = _BY_NUMPY[array.dtype]
    proto = TensorProto(number, TensorShapeProto(shape))
    if total == 0:
        return proto
    if array.size == total and array.dtype in _AS_BYTES and total > 1:
        proto.tensor_content = array.astype(array.dtype.newbyteorder("<")).tobytes()
        return proto
    flat = array.ravel()
    if field == "half_val":
        stored = flat.view(numpy.uint16).tolist()
    elif field in ("scomplex_val", "dcomplex_val"):
        stored = numpy.stack([flat.real, flat.imag], axis=-1).ravel().tolist()
    else:
        stored = flat.tolist()
    setattr(proto, field, stored)
    return proto


def make_ndarray(tensor: TensorProto) -> numpy.ndarray:
    """The NumPy array a ``TensorProto`` holds (the inverse of ``make_tensor_proto``).

    Parameters
    ----------
    tensor : TensorProto

    Returns
    -------
    numpy.ndarray
        Of the proto's shape and type; strings come back as an object array of bytes.

    Raises
    ------
    TypeError
        When ``tensor`` is not a ``TensorProto`` or its dtype is not one learnet reads.
    ValueError
        When its raw bytes do not fill its shape.

    Examples
    --------
    >>> make_ndarray(make_tensor_proto(5, shape=[2]))
    array([5, 5], dtype=int32)
    """
    if not isinstance(tensor, TensorProto):
        raise TypeError(f"make_ndarray expects a TensorProto (from tf.make_tensor_proto), got {type(tensor).__name__}")
    if tensor.dtype not in _BY_NUMBER:
        raise TypeError(f"make_ndarray: TensorProto dtype {tensor.dtype} is not one learnet reads")
    _, dtype, field = _BY_NUMBER[tensor.dtype]
    shape = [dim.size for dim in tensor.tensor_shape.dim]
    total = math.prod(shape)
    if tensor.tensor_content:
        little = dtype.newbyteorder("<")
        if len(tensor.tensor_content) != total * dtype.itemsize:
            raise ValueError(
                f"make_ndarray: tensor_content holds {len(tensor.tensor_content)} bytes, but shape {shape} of "
                f"{dtype.name} needs {total * dtype.itemsize}"
            )
        array = numpy.frombuffer(tensor.tensor_content, dtype=little).astype(dtype)
        return array.reshape(shape)
    stored = getattr(tensor, field)
    if field == "half_val":
        values = numpy.asarray(stored, numpy.uint16).view(numpy.float16)
    elif field in ("scomplex_val", "dcomplex_val"):
        pairs = numpy.asarray(stored, numpy.float64).reshape(-1, 2)
        values = (pairs[:, 0] + 1j * pairs[:, 1]).astype(dtype)
    elif dtype.kind == "O":
        values = numpy.empty(len(stored), dtype=object)
        values[:] = [bytes(s) for s in stored]
    else:
        values = numpy.asarray(stored).astype(dtype)
    if total == 0 or values.size == 0:
        return numpy.zeros(shape, dtype=dtype) if dtype.kind != "O" else numpy.full(shape, b"", dtype=object)
    if values.size > total:
        raise ValueError(f"make_ndarray: {values.size} values do not fit shape {shape}")
    # Fewer values than the shape holds: the last one fills the rest, as TensorFlow reads it.
    values = numpy.concatenate([values, numpy.repeat(values[-1:], total - values.size)])
    return values.reshape(shape)
