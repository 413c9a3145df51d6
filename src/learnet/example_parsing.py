"""``tf.io``'s parsing of ``tf.train.Example`` records into tensors, and ``serialize_tensor``/``parse_tensor``.

A feature description maps each name to what the Example should hold there:

* ``FixedLenFeature(shape, dtype, default_value=None)``: exactly ``prod(shape)`` values,
  given as a tensor of ``shape``; a missing feature takes ``default_value`` (and without
  one it is an error);
* ``VarLenFeature(dtype)``: any number of values, given as a ``tf.SparseTensor``;
* ``FixedLenSequenceFeature(shape, dtype, allow_missing=False, default_value=None)``:
  any number of rows of ``shape``: the time steps of a ``SequenceExample``'s feature
  list, or (with ``allow_missing=True``) the values of an Example's feature, padded
  with ``default_value`` to the longest in a batch.

``dtype`` is ``tf.float32`` (a ``FloatList``), ``tf.int64`` (an ``Int64List``) or
``tf.string`` (a ``BytesList``). A description is checked whole before any record is
read; a record that does not fit it raises ``tf.errors.InvalidArgumentError`` naming
the feature, the example and what was expected, as TensorFlow does.

Examples
--------
>>> import learnet as tf
>>> record = tf.train.Example(features=tf.train.Features(feature={
...     "id": tf.train.Feature(int64_list=tf.train.Int64List(value=[7])),
...     "emails": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"a@b", b"c@d"])),
... })).SerializeToString()
>>> parsed = tf.io.parse_single_example(record, {
...     "id": tf.io.FixedLenFeature([], tf.int64, default_value=0),
...     "name": tf.io.FixedLenFeature([], tf.string, default_value=""),
...     "emails": tf.io.VarLenFeature(tf.string),
... })
>>> int(parsed["id"]), parsed["name"].numpy(), parsed["emails"].values.numpy().tolist()
(7, b'', [b'a@b', b'c@d'])
"""

import collections
import math

import numpy

from learnet import errors
from learnet.backend import to_numpy
from learnet.sparse import SparseTensor
from learnet.tensor import Tensor, _dtype_name, convert_to_tensor

__all__ = [
    "FixedLenFeature",
    "FixedLenSequenceFeature",
    "VarLenFeature",
    "parse_example",
    "parse_sequence_example",
    "parse_single_example",
    "parse_single_sequence_example",
    "parse_tensor",
    "serialize_tensor",
    "serialize_sparse",
    "deserialize_sparse",
]

_OBJECT = numpy.dtype(object)
_FLOAT = numpy.dtype("float32")
_INT64 = numpy.dtype("int64")
# The list an Example keeps values of each dtype in, and TensorFlow's name of the dtype.
_KIND = {_FLOAT: "float_list", _INT64: "int64_list", _OBJECT: "bytes_list"}
_KIND_TYPE = {"float_list": "float", "int64_list": "int64", "bytes_list": "string"}
_LIST_NAME = {"float_list": "a FloatList", "int64_list": "an Int64List", "bytes_list": "a BytesList"}


def _tf_dtype(dtype):
    return "tf." + _dtype_name(numpy.dtype(dtype)) if dtype is not None else "None"


class FixedLenFeature(collections.namedtuple("FixedLenFeature", ["shape", "dtype", "default_value"])):
    """A feature with exactly ``prod(shape)`` values, parsed into a tensor of ``shape``.

    ``default_value`` (of ``prod(shape)`` values) is used where an example lacks the feature.
    """

    __slots__ = ()

    def __new__(cls, shape, dtype, default_value=None):
        return super().__new__(cls, shape, dtype, default_value)

    def __repr__(self):
        return (
            f"FixedLenFeature(shape={self.shape!r}, dtype={_tf_dtype_or_raw(self.dtype)}, "
            f"default_value={self.default_value!r})"
        )


class FixedLenSequenceFeature(
    collections.namedtuple("FixedLenSequenceFeature", ["shape", "dtype", "allow_missing", "default_value"])
):
    """Rows of ``shape``, as many as there are: a feature list's time steps, or an Example's values
    cut into rows (``allow_missing=True``), padded with ``default_value`` (a scalar) to the longest."""

    __slots__ = ()

    def __new__(cls, shape, dtype, allow_missing=False, default_value=None):
        return super().__new__(cls, shape, dtype, allow_missing, default_value)

    def __repr__(self):
        return (
            f"FixedLenSequenceFeature(shape={self.shape!r}, dtype={_tf_dtype_or_raw(self.dtype)}, "
            f"allow_missing={self.allow_missing!r}, default_value={self.default_value!r})"
        )


class VarLenFeature(collections.namedtuple("VarLenFeature", ["dtype"])):
    """Any number of values, parsed into a ``tf.SparseTensor``."""

    __slots__ = ()

    def __repr__(self):
        return f"VarLenFeature(dtype={_tf_dtype_or_raw(self.dtype)})"


def _tf_dtype_or_raw(dtype):
    try:
        return _tf_dtype(_feature_dtype(dtype))
    except (TypeError, ValueError):
        return repr(dtype)


def _feature_dtype(dtype):
    if isinstance(dtype, str) and dtype in ("string", "str"):
        return _OBJECT
    if dtype in (str, bytes, numpy.str_, numpy.bytes_):
        return _OBJECT
    value = numpy.dtype(dtype)
    return _OBJECT if value.kind in "OSU" else value


# --- the description, checked whole before anything is parsed ----------------------------------------
class _Dense:
    def __init__(self, key, feature, dtype, shape, default):
        self.key, self.feature, self.dtype, self.shape, self.default = key, feature, dtype, shape, default
        self.size = math.prod(shape)


class _Rows:
    def __init__(self, key, feature, dtype, shape, default, allow_missing):
        self.key, self.feature, self.dtype, self.shape = key, feature, dtype, shape
        self.default, self.allow_missing = default, allow_missing
        self.size = math.prod(shape)


class _Sparse:
    def __init__(self, key, feature, dtype):
        self.key, self.feature, self.dtype = key, feature, dtype


def _bad(where, message):
    return errors.InvalidArgumentError(None, None, f"{where}: {message}")


def _dtype_of(key, feature, where):
    try:
        dtype = _feature_dtype(feature.dtype)
    except TypeError as error:
        raise _bad(where, f"feature {key!r}: {feature.dtype!r} is not a dtype") from error
    if dtype not in _KIND:
        raise _bad(
            where,
            f"feature {key!r} asks for {_tf_dtype(dtype)}, but an Example holds only tf.float32 (FloatList), "
            f"tf.int64 (Int64List) and tf.string (BytesList); parse as one of them and tf.cast after",
        )
    return dtype


def _shape_of(key, feature, where, sequence):
    shape = feature.shape
    if isinstance(shape, Tensor):
        shape = shape.numpy().tolist()
    if shape is None:
        raise _bad(where, f"feature {key!r} needs a shape (use [] for one value)")
    try:
        dims = [shape] if isinstance(shape, int) else list(shape)
    except TypeError as error:
        raise _bad(where, f"feature {key!r}: shape must be a list of sizes, got {shape!r}") from error
    if any(d is None for d in dims):
        hint = "" if sequence else "; for a first dimension of any size use tf.io.FixedLenSequenceFeature"
        raise _bad(where, f"feature {key!r}: every dimension of the shape must be known, got {shape!r}{hint}")
    if any(isinstance(d, bool) or not isinstance(d, (int, numpy.integer)) or d < 0 for d in dims):
        raise _bad(where, f"feature {key!r}: the shape must hold sizes >= 0, got {shape!r}")
    return tuple(int(d) for d in dims)


def _values_as(dtype, value, what):
    """``value`` as an array of ``dtype`` (strings as bytes)."""
    if isinstance(value, Tensor):
        value = value.numpy()
    if dtype == _OBJECT:
        array = numpy.array(value, dtype=object)
        flat = array.reshape(-1)
        for i, item in enumerate(flat.tolist()):
            if isinstance(item, str):
                flat[i] = item.encode("utf-8")
            elif isinstance(item, (bytes, numpy.bytes_)):
                flat[i] = bytes(item)
            else:
                raise ValueError(f"{what} must hold strings, got {item!r}")
        return array
    array = numpy.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{what} must hold numbers, got {value!r}")
    if dtype == _INT64 and array.dtype.kind == "f" and not numpy.array_equal(array, numpy.round(array)):
        raise ValueError(f"{what} must hold whole numbers for tf.int64, got {value!r}")
    return array.astype(dtype)


def _resolve(features, where, mode):
    if not isinstance(features, dict):
        raise TypeError(
            f"{where}: features must be a dict {{name: tf.io.FixedLenFeature / VarLenFeature / "
            f"FixedLenSequenceFeature}}, got {type(features).__name__}"
        )
    specs = []
    for key in sorted(features):
        feature = features[key]
        if not isinstance(key, str):
            raise TypeError(f"{where}: feature names must be strings, got {key!r}")
        allowed = _KINDS_OF[mode]
        if type(feature) not in allowed:
            kinds = " or ".join(f"tf.io.{kind.__name__}" for kind in allowed)
            got = type(feature).__name__
            raise _bad(where, f"feature {key!r} must be described by {kinds} here, got {got} {feature!r}")
        dtype = _dtype_of(key, feature, where)
        if isinstance(feature, VarLenFeature):
            specs.append(_Sparse(key, feature, dtype))
            continue
        sequence = isinstance(feature, FixedLenSequenceFeature)
        shape = _shape_of(key, feature, where, sequence)
        default = feature.default_value
        if sequence:
            if mode == "sequence" and default is not None:
                raise _bad(where, f"feature list {key!r}: default_value must be None (missing steps are zeros)")
            if mode == "example" and not feature.allow_missing:
                raise _bad(
                    where,
                    f"feature {key!r}: a FixedLenSequenceFeature in an Example needs allow_missing=True "
                    "(as in TensorFlow)",
                )
            if math.prod(shape) == 0:
                raise _bad(where, f"feature {key!r}: the rows of a FixedLenSequenceFeature need a size, got {shape}")
            if default is not None:
                try:
                    default = _values_as(dtype, default, f"feature {key!r}: default_value")
                except ValueError as error:
                    raise _bad(where, str(error)) from error
                if default.size != 1:
                    raise _bad(
                        where, f"feature {key!r}: default_value pads rows and must be one value, got {default.size}"
                    )
                default = default.reshape(())
            specs.append(_Rows(key, feature, dtype, shape, default, bool(feature.allow_missing)))
            continue
        if default is not None:
            try:
                default = _values_as(dtype, default, f"feature {key!r}: default_value")
            except ValueError as error:
                raise _bad(where, str(error)) from error
            if default.size != math.prod(shape):
                raise _bad(
                    where,
                    f"feature {key!r}: default_value has {default.size} values, but shape {list(shape)} needs "
                    f"{math.prod(shape)}",
                )
            default = default.reshape(shape)
        specs.append(_Dense(key, feature, dtype, shape, default))
    return specs


# Which descriptions each part of a record takes.
_KINDS_OF = {
    "example": (FixedLenFeature, VarLenFeature, FixedLenSequenceFeature),
    "context": (FixedLenFeature, VarLenFeature),
    "sequence": (FixedLenSequenceFeature, VarLenFeature),
}


# --- records in, tensors out -------------------------------------------------------------------------
def _records(serialized, where):
    """``(list of bytes, batch shape)`` from a string tensor, bytes, or a list or array of them."""
    if isinstance(serialized, Tensor):
        serialized = to_numpy(serialized._value)
    if isinstance(serialized, (bytes, bytearray, numpy.bytes_, str)):
        serialized = numpy.array(serialized, dtype=object)
    array = numpy.asarray(serialized, dtype=object) if not isinstance(serialized, numpy.ndarray) else serialized
    if array.dtype.kind not in "OSU":
        raise TypeError(f"{where} expects serialized records (a string tensor), got {array.dtype} values")
    if array.ndim > 1:
        raise _bad(where, f"serialized must be one record or a vector of records, got shape {array.shape}")
    records = []
    for item in array.reshape(-1).tolist():
        if isinstance(item, str):
            item = item.encode("utf-8")
        if not isinstance(item, (bytes, bytearray)):
            raise TypeError(f"{where} expects serialized records (bytes), got {type(item).__name__}")
        records.append(bytes(item))
    return records, array.shape


def _names(example_names, count):
    if example_names is None:
        return ["<unknown>"] * count
    if isinstance(example_names, Tensor):
        example_names = example_names.numpy()
    names = numpy.asarray(example_names, dtype=object).reshape(-1).tolist()
    names = [n.decode("utf-8", "replace") if isinstance(n, bytes) else str(n) for n in names]
    if len(names) != count:
        raise ValueError(f"example_names has {len(names)} names for {count} records")
    return names


def _messages(message_class, records, names, where):
    from google.protobuf.message import DecodeError

    messages = []
    for index, record in enumerate(records):
        try:
            messages.append(message_class.FromString(record))
        except DecodeError as error:
            shown = record[:40] + (b"..." if len(record) > 40 else b"")
            raise _bad(
                where,
                f"could not parse record {index} (name: {names[index]}) as a tf.train.{message_class.__name__}: "
                f"{error} (value: {shown!r})",
            ) from error
    return messages


def _feature_values(feature, spec, where, place):
    """The values of one ``Feature`` as an array of the spec's dtype; ``None`` when no list is set."""
    kind = feature.WhichOneof("kind")
    if kind is None:
        return None
    wanted = _KIND[spec.dtype]
    if kind != wanted:
        raise _bad(
            where,
            f"{place}. Data types don't match: the record holds {_KIND_TYPE[kind]} values "
            f"({_LIST_NAME[kind]}), the description asks for {_KIND_TYPE[wanted]} ({_LIST_NAME[wanted]})",
        )
    values = getattr(feature, kind).value
    if spec.dtype == _OBJECT:
        array = numpy.empty(len(values), dtype=object)
        array[:] = list(values)
        return array
    return numpy.fromiter(values, dtype=spec.dtype, count=len(values))


def _tensor(array):
    return Tensor._wrap(array) if array.dtype == _OBJECT else convert_to_tensor(array, dtype=array.dtype)


def _empty(dtype, shape):
    if dtype == _OBJECT:
        array = numpy.empty(shape, dtype=object)
        array.fill(b"")
        return array
    return numpy.zeros(shape, dtype=dtype)


def _sparse(per_example, dtype, leading):
    """A SparseTensor from the value arrays of each row of ``leading`` (the shape before the values, in C order)."""
    lengths = numpy.array([len(v) for v in per_example], dtype=numpy.int64)
    total = int(lengths.sum())
    width = int(lengths.max()) if len(lengths) else 0
    if not total:
        return SparseTensor(
            numpy.zeros((0, len(leading) + 1), "int64"), _tensor(_empty(dtype, (0,))), [*leading, width]
        )
    starts = numpy.cumsum(lengths) - lengths
    rows = numpy.repeat(numpy.arange(len(per_example), dtype=numpy.int64), lengths)
    positions = numpy.arange(total, dtype=numpy.int64) - numpy.repeat(starts, lengths)
    indices = numpy.stack([*numpy.unravel_index(rows, leading), positions], axis=1)
    return SparseTensor(indices, _tensor(numpy.concatenate(per_example).astype(dtype)), [*leading, width])


def _parse_feature_maps(maps, specs, names, where):
    """Batched outputs for the ``feature`` maps of several Examples (or contexts)."""
    count = len(maps)
    out = {}
    for spec in specs:
        found = []
        for index, feature_map in enumerate(maps):
            place = f"feature {spec.key!r} of record {index} (name: {names[index]})"
            values = None
            if feature_map is not None and spec.key in feature_map:
                values = _feature_values(feature_map[spec.key], spec, where, place)
            found.append((place, values))
        if isinstance(spec, _Sparse):
            per_example = [_empty(spec.dtype, (0,)) if v is None else v for _, v in found]
            out[spec.key] = _sparse(per_example, spec.dtype, (count,))
        elif isinstance(spec, _Dense):
            batch = _empty(spec.dtype, (count, *spec.shape))
            for index, (place, values) in enumerate(found):
                if values is None:
                    if spec.default is None:
                        raise _bad(
                            where,
                            f"{place} is required but could not be found (give the FixedLenFeature a "
                            f"default_value to use when it is missing)",
                        )
                    batch[index, ...] = spec.default
                elif values.size != spec.size:
                    raise _bad(
                        where,
                        f"{place} has {values.size} {_KIND_TYPE[_KIND[spec.dtype]]} values, but "
                        f"FixedLenFeature(shape={list(spec.shape)}) needs exactly {spec.size}",
                    )
                else:
                    batch[index, ...] = values.reshape(spec.shape)
            out[spec.key] = _tensor(batch)
        else:
            out[spec.key] = _tensor(_rows_batch(found, spec, where, what="values")[0])
    return out


def _rows_batch(found, spec, where, what):
    """``(batch, lengths)``: each example's values cut into rows of the spec's shape, padded to the longest."""
    rows = []
    for place, values in found:
        if values is None:
            values = _empty(spec.dtype, (0,))
        if values.size % spec.size:
            raise _bad(
                where,
                f"{place} has {values.size} {what}, which do not cut into rows of shape {list(spec.shape)} "
                f"(the number of values should be divisible by {spec.size})",
            )
        rows.append(values.reshape(-1, *spec.shape))
    lengths = numpy.array([len(r) for r in rows], dtype=numpy.int64)
    longest = int(lengths.max()) if len(rows) else 0
    batch = _empty(spec.dtype, (len(rows), longest, *spec.shape))
    if spec.default is not None:
        batch[...] = spec.default
    for index, block in enumerate(rows):
        batch[index, : len(block)] = block
    return batch, lengths


def _parse_feature_lists(maps, specs, names, where):
    """Batched outputs (and the number of steps of each dense feature list) of several SequenceExamples."""
    out, lengths = {}, {}
    for spec in specs:
        steps_of_all = []
        for index, list_map in enumerate(maps):
            if list_map is None or spec.key not in list_map:
                if isinstance(spec, _Rows) and not spec.allow_missing:
                    raise _bad(
                        where,
                        f"feature list {spec.key!r} of record {index} (name: {names[index]}) is required but could "
                        "not be found (use FixedLenSequenceFeature(..., allow_missing=True) to read it as empty)",
                    )
                steps_of_all.append([])
                continue
            steps = []
            for step, feature in enumerate(list_map[spec.key].feature):
                place = f"feature list {spec.key!r}, step {step} of record {index} (name: {names[index]})"
                values = _feature_values(feature, spec, where, place)
                steps.append((place, _empty(spec.dtype, (0,)) if values is None else values))
            steps_of_all.append(steps)
        if isinstance(spec, _Sparse):
            count = len(steps_of_all)
            longest = max((len(steps) for steps in steps_of_all), default=0)
            padded = []
            for steps in steps_of_all:
                padded += [values for _, values in steps] + [_empty(spec.dtype, (0,))] * (longest - len(steps))
            out[spec.key] = _sparse(padded, spec.dtype, (count, longest))
            continue
        tables = []
        for steps in steps_of_all:
            table = _empty(spec.dtype, (len(steps), *spec.shape))
            for position, (place, values) in enumerate(steps):
                if values.size != spec.size:
                    raise _bad(
                        where,
                        f"{place} has {values.size} {_KIND_TYPE[_KIND[spec.dtype]]} values, but each step of "
                        f"FixedLenSequenceFeature(shape={list(spec.shape)}) needs exactly {spec.size}",
                    )
                table[position, ...] = values.reshape(spec.shape)
            tables.append(table)
        step_counts = numpy.array([len(t) for t in tables], dtype=numpy.int64)
        batch = _empty(spec.dtype, (len(tables), int(step_counts.max()) if len(tables) else 0, *spec.shape))
        for index, table in enumerate(tables):
            batch[index, : len(table)] = table
        out[spec.key] = _tensor(batch)
        lengths[spec.key] = _tensor(step_counts)
    return out, lengths


def _unbatch(outputs):
    """The outputs of a batch of one record, without the batch dimension."""
    single = {}
    for key, value in outputs.items():
        if isinstance(value, SparseTensor):
            single[key] = SparseTensor(
                value.indices.numpy()[:, 1:], value.values, value.dense_shape.numpy()[1:].tolist()
            )
        else:
            array = to_numpy(value._value)
            single[key] = _tensor(array[0:1].reshape(array.shape[1:]))
    return single


# --- tf.io.parse_example and friends ---------------------------------------------------------------------
def parse_example(serialized, features, example_names=None, name=None):
    """Parse a vector of serialized ``tf.train.Example`` records into a dict of batched tensors.

    A ``FixedLenFeature(shape, ...)`` becomes a tensor ``(batch, *shape)``; a
    ``VarLenFeature`` a ``tf.SparseTensor`` of ``dense_shape`` ``(batch, longest)``; a
    ``FixedLenSequenceFeature(shape, ..., allow_missing=True)`` a tensor
    ``(batch, most rows, *shape)`` padded with its ``default_value`` (zeros, or ``b""``).
    A scalar record gives what ``parse_single_example`` gives.

    Examples
    --------
    >>> import learnet as tf
    >>> def example(x):
    ...     return tf.train.Example(features=tf.train.Features(feature={
    ...         "x": tf.train.Feature(float_list=tf.train.FloatList(value=x))})).SerializeToString()
    >>> batch = tf.io.parse_example([example([1.0, 2.0]), example([3.0, 4.0])],
    ...                             {"x": tf.io.FixedLenFeature([2], tf.float32)})
    >>> batch["x"].numpy().tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    """
    where = "parse_example"
    specs = _resolve(features, where, "example")
    records, shape = _records(serialized, where)
    names = _names(example_names, len(records))
    from learnet.train_example import Example

    examples = _messages(Example, records, names, where)
    outputs = _parse_feature_maps(
        [e.features.feature if e.HasField("features") else None for e in examples], specs, names, where
    )
    return _unbatch(outputs) if shape == () else outputs


def parse_single_example(serialized, features, example_names=None, name=None):
    """Parse one serialized ``tf.train.Example`` (a scalar string) into a dict of tensors.

    A ``FixedLenFeature(shape, ...)`` gives a tensor of ``shape``, a ``VarLenFeature`` a
    ``tf.SparseTensor`` of ``dense_shape`` ``(number of values,)``, a
    ``FixedLenSequenceFeature(shape, ..., allow_missing=True)`` a tensor ``(rows, *shape)``.
    """
    where = "parse_single_example"
    specs = _resolve(features, where, "example")
    records, shape = _records(serialized, where)
    if shape != ():
        raise _bad(
            where, f"serialized must be one record (a scalar string), got shape {shape}; use tf.io.parse_example"
        )
    names = _names(example_names, 1)
    from learnet.train_example import Example

    (example,) = _messages(Example, records, names, where)
    maps = [example.features.feature if example.HasField("features") else None]
    return _unbatch(_parse_feature_maps(maps, specs, names, where))


def _parse_sequences(serialized, context_features, sequence_features, names, where):
    context_specs = _resolve({} if context_features is None else context_features, where, "context")
    sequence_specs = _resolve({} if sequence_features is None else sequence_features, where, "sequence")
    records, shape = _records(serialized, where)
    names = _names(names, len(records))
    from learnet.train_example import SequenceExample

    sequences = _messages(SequenceExample, records, names, where)
    context = _parse_feature_maps(
        [s.context.feature if s.HasField("context") else None for s in sequences], context_specs, names, where
    )
    lists, lengths = _parse_feature_lists(
        [s.feature_lists.feature_list if s.HasField("feature_lists") else None for s in sequences],
        sequence_specs,
        names,
        where,
    )
    return context, lists, lengths, shape


def parse_single_sequence_example(
    serialized, context_features=None, sequence_features=None, example_name=None, name=None
):
    """Parse one serialized ``tf.train.SequenceExample``: ``(context, feature_lists)``, two dicts of tensors.

    ``context_features`` (``FixedLenFeature``/``VarLenFeature``) read the context as an
    Example's features are read. ``sequence_features`` read the feature lists: a
    ``FixedLenSequenceFeature(shape, ...)`` gives ``(steps, *shape)`` (every step must hold
    ``prod(shape)`` values), a ``VarLenFeature`` a ``tf.SparseTensor`` of ``dense_shape``
    ``(steps, most values in a step)``.

    Examples
    --------
    >>> import learnet as tf
    >>> F = tf.train.Feature
    >>> record = tf.train.SequenceExample(
    ...     context=tf.train.Features(feature={"year": F(int64_list=tf.train.Int64List(value=[2024]))}),
    ...     feature_lists=tf.train.FeatureLists(feature_list={"words": tf.train.FeatureList(feature=[
    ...         F(bytes_list=tf.train.BytesList(value=[b"hello", b"there"])),
    ...         F(bytes_list=tf.train.BytesList(value=[b"bye"]))])})).SerializeToString()
    >>> context, lists = tf.io.parse_single_sequence_example(
    ...     record, {"year": tf.io.FixedLenFeature([], tf.int64)}, {"words": tf.io.VarLenFeature(tf.string)})
    >>> int(context["year"]), lists["words"].values.numpy().tolist(), lists["words"].dense_shape.numpy().tolist()
    (2024, [b'hello', b'there', b'bye'], [2, 2])
    """
    where = "parse_single_sequence_example"
    records, shape = _records(serialized, where)
    if shape != ():
        raise _bad(
            where,
            f"serialized must be one record (a scalar string), got shape {shape}; use tf.io.parse_sequence_example",
        )
    names = None if example_name is None else [example_name]
    context, lists, _, _ = _parse_sequences(serialized, context_features, sequence_features, names, where)
    return _unbatch(context), _unbatch(lists)


def parse_sequence_example(serialized, context_features=None, sequence_features=None, example_names=None, name=None):
    """Parse a vector of serialized ``tf.train.SequenceExample`` records: ``(context, feature_lists, lengths)``.

    Dense feature lists are ``(batch, most steps, *shape)``, padded with zeros (``b""``
    for strings); ``lengths`` gives the number of steps of each record for each of them.
    A ``VarLenFeature`` gives a ``tf.SparseTensor`` of ``dense_shape``
    ``(batch, most steps, most values in a step)``.
    """
    where = "parse_sequence_example"
    context, lists, lengths, shape = _parse_sequences(
        serialized, context_features, sequence_features, example_names, where
    )
    if shape == ():
        return _unbatch(context), _unbatch(lists), _unbatch(lengths)
    return context, lists, lengths


# --- tf.io.serialize_tensor / parse_tensor ---------------------------------------------------------------
# numpy dtype -> (TensorFlow's DataType number, its name in messages, the TensorProto list of typed values)
_DATA_TYPES = {
    numpy.dtype("float32"): (1, "float", "float_val"),
    numpy.dtype("float64"): (2, "double", "double_val"),
    numpy.dtype("int32"): (3, "int32", "int_val"),
    numpy.dtype("uint8"): (4, "uint8", "int_val"),
    numpy.dtype("int16"): (5, "int16", "int_val"),
    numpy.dtype("int8"): (6, "int8", "int_val"),
    _OBJECT: (7, "string", "string_val"),
    numpy.dtype("complex64"): (8, "complex64", "scomplex_val"),
    numpy.dtype("int64"): (9, "int64", "int64_val"),
    numpy.dtype("bool"): (10, "bool", "bool_val"),
    numpy.dtype("uint16"): (17, "uint16", "int_val"),
    numpy.dtype("complex128"): (18, "complex128", "dcomplex_val"),
    numpy.dtype("float16"): (19, "half", "half_val"),
    numpy.dtype("uint32"): (22, "uint32", "uint32_val"),
    numpy.dtype("uint64"): (23, "uint64", "uint64_val"),
}
_BY_NUMBER = {number: (dtype, type_name, field) for dtype, (number, type_name, field) in _DATA_TYPES.items()}
_OTHER_TYPE_NAMES = {14: "bfloat16", 11: "qint8", 12: "quint8", 13: "qint32", 20: "resource", 21: "variant"}


def serialize_tensor(tensor, name=None):
    """The bytes of a ``TensorProto`` holding ``tensor`` (a scalar string tensor), as TensorFlow writes them.

    Examples
    --------
    >>> import learnet as tf
    >>> data = tf.io.serialize_tensor(tf.constant([[1.0, 2.0], [3.0, 4.0]]))
    >>> tf.io.parse_tensor(data, out_type=tf.float32).numpy().tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    """
    from learnet.train_example import TensorProto

    value = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor)
    array = to_numpy(value._value)
    known = _DATA_TYPES.get(array.dtype)
    if known is None:
        raise _bad("serialize_tensor", f"a tensor of {array.dtype} has no TensorFlow DataType")
    proto = TensorProto(dtype=known[0])
    proto.tensor_shape.SetInParent()
    for size in array.shape:
        proto.tensor_shape.dim.add(size=size)
    if array.dtype == _OBJECT:
        proto.string_val.extend(array.reshape(-1).tolist())
    elif array.size:
        proto.tensor_content = numpy.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
    return Tensor._wrap(numpy.array(proto.SerializeToString(), dtype=object))


def parse_tensor(serialized, out_type, name=None):
    """The tensor whose ``TensorProto`` ``serialized`` holds; its dtype must be ``out_type``."""
    from google.protobuf.message import DecodeError

    from learnet.train_example import TensorProto

    where = "parse_tensor"
    records, shape = _records(serialized, where)
    if shape != ():
        raise _bad(where, f"serialized must be a scalar string, got shape {shape}")
    try:
        proto = TensorProto.FromString(records[0])
    except DecodeError as error:
        raise _bad(where, f"could not parse the bytes as a TensorProto ({error})") from error
    try:
        wanted = _feature_dtype(out_type) if out_type is not None else None
    except TypeError as error:
        raise TypeError(f"parse_tensor: {out_type!r} is not a dtype") from error
    if proto.dtype not in _BY_NUMBER:
        kind = _OTHER_TYPE_NAMES.get(proto.dtype, f"DataType {proto.dtype}")
        raise _bad(where, f"the serialized tensor is of {kind}, which learnet does not have")
    dtype, type_name, field = _BY_NUMBER[proto.dtype]
    if wanted is None or wanted != dtype:
        wanted_name = _DATA_TYPES[wanted][1] if wanted in _DATA_TYPES else str(wanted)
        raise _bad(where, f"Type mismatch between parsed tensor ({type_name}) and dtype ({wanted_name})")
    if proto.tensor_shape.unknown_rank:
        raise _bad(where, "the serialized tensor has an unknown rank")
    dims = tuple(int(d.size) for d in proto.tensor_shape.dim)
    if any(d < 0 for d in dims):
        raise _bad(where, f"the serialized tensor has an unknown dimension: {dims}")
    size = math.prod(dims)
    if dtype != _OBJECT and proto.tensor_content:
        content = proto.tensor_content
        if len(content) != size * dtype.itemsize:
            raise _bad(
                where,
                f"the tensor content has {len(content)} bytes, but shape {list(dims)} needs {size * dtype.itemsize}",
            )
        array = numpy.frombuffer(content, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(dims)
    elif dtype == _OBJECT and proto.tensor_content:
        array = _strings_from_content(proto.tensor_content, size, where).reshape(dims)
    else:
        array = _typed_values(proto, dtype, field, size, where).reshape(dims)
    return _tensor(array)


def _varint(value):
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _strings_content(strings):
    """TensorFlow's packed form of a string tensor: every length as a varint, then the bytes."""
    return b"".join(_varint(len(item)) for item in strings) + b"".join(strings)


def _strings_from_content(content, size, where):
    lengths, position = [], 0
    for _ in range(size):
        length, shift = 0, 0
        while True:
            if position >= len(content):
                raise _bad(where, "the packed strings end inside their lengths")
            byte = content[position]
            position += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        lengths.append(length)
    if position + sum(lengths) != len(content):
        raise _bad(where, f"the packed strings hold {len(content) - position} bytes, their lengths say {sum(lengths)}")
    flat = numpy.empty(size, dtype=object)
    for index, length in enumerate(lengths):
        flat[index] = bytes(content[position : position + length])
        position += length
    return flat


def _typed_values(proto, dtype, field, size, where):
    values = list(getattr(proto, field))
    if dtype == _OBJECT:
        flat = numpy.empty(len(values), dtype=object)
        flat[:] = values
    elif field == "half_val":
        flat = numpy.array(values, dtype=numpy.uint16).view(numpy.float16)
    elif field in ("scomplex_val", "dcomplex_val"):
        pairs = numpy.array(values, dtype=numpy.float64).reshape(-1, 2)
        flat = (pairs[:, 0] + 1j * pairs[:, 1]).astype(dtype)
    else:
        flat = numpy.array(values).astype(dtype)
    if len(flat) > size:
        raise _bad(where, f"the serialized tensor holds {len(flat)} values for {size} places")
    if len(flat) == size:
        return flat
    # TensorFlow's rule: fewer values than places repeat the last value (none: zeros).
    out = _empty(dtype, (size,))
    if len(flat):
        out[: len(flat)] = flat
        out[len(flat) :] = flat[-1]
    return out


def serialize_sparse(sp_input, out_type=None, name=None):
    """A ``SparseTensor`` as three serialized tensors (its indices, values and dense shape), as TensorFlow writes it.

    Examples
    --------
    >>> import learnet as tf
    >>> emails = tf.sparse.SparseTensor([[0], [1]], [b"a@b.com", b"c@d.com"], [2])
    >>> parts = tf.io.serialize_sparse(emails)
    >>> parts.shape
    TensorShape([3])
    >>> tf.io.deserialize_sparse(parts[None], tf.string).values.numpy().tolist()
    [b'a@b.com', b'c@d.com']
    """
    from learnet.sparse import SparseTensor

    if not isinstance(sp_input, SparseTensor):
        raise TypeError(f"serialize_sparse expects a SparseTensor, got {type(sp_input).__name__}")
    if out_type is not None and _feature_dtype(out_type) != _OBJECT:
        raise TypeError(f"serialize_sparse: out_type must be tf.string, got {out_type!r}")
    parts = [serialize_tensor(t).numpy() for t in (sp_input.indices, sp_input.values, sp_input.dense_shape)]
    values = to_numpy(sp_input.values._value)
    if values.dtype == _OBJECT:  # TensorFlow packs a sparse tensor's strings into tensor_content
        from learnet.train_example import TensorProto

        proto = TensorProto(dtype=_DATA_TYPES[_OBJECT][0])
        proto.tensor_shape.dim.add(size=len(values))
        proto.tensor_content = _strings_content(
            [v if isinstance(v, bytes) else str(v).encode() for v in values.tolist()]
        )
        parts[1] = proto.SerializeToString()
    return Tensor(numpy.array(parts, dtype=object))


def deserialize_sparse(serialized_sparse, dtype, rank=None, name=None):
    """The ``SparseTensor`` of a ``[..., 3]`` tensor written by ``serialize_sparse`` (several are stacked
    along a new first axis, as TensorFlow does)."""
    from learnet.sparse import SparseTensor

    array = to_numpy(convert_to_tensor(serialized_sparse)._value)
    if array.ndim < 1 or array.shape[-1] != 3:
        raise _bad("deserialize_sparse", f"serialized_sparse must have a last axis of 3, got shape {array.shape}")
    rows = array.reshape(-1, 3)
    pieces = []
    for indices, values, shape in rows.tolist():
        pieces.append(
            (
                parse_tensor(indices, "int64").numpy(),
                parse_tensor(values, dtype).numpy(),
                parse_tensor(shape, "int64").numpy(),
            )
        )
    if array.ndim == 1:
        indices, values, shape = pieces[0]
        return SparseTensor(indices, values, shape)
    shape = numpy.max([p[2] for p in pieces], axis=0)
    indices = numpy.concatenate(
        [numpy.concatenate([numpy.full((len(p[0]), 1), i), p[0]], axis=1) for i, p in enumerate(pieces)]
    ).reshape(-1, 1 + len(shape))
    values = numpy.concatenate([numpy.asarray(p[1]) for p in pieces])
    return SparseTensor(indices, values, [len(pieces), *shape.tolist()])
