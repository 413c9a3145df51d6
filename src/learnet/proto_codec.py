"""``tf.io.decode_proto`` and ``tf.io.encode_proto``: protocol buffer messages as tensors.

``decode_proto`` reads the fields named from a batch of serialized messages of one type:
for each field, how many values each message holds (``sizes``, int32, one column per field)
and the values, padded to the longest with the field's default (``values``, one tensor per
field, of the dtype asked for). ``encode_proto`` is the other way round. The message type is
found in a descriptor set: a file written by ``protoc --descriptor_set_out=... --include_imports``,
the same bytes after ``bytes://``, or ``local://`` (the messages this Python process knows).
It runs on the ``protobuf`` package (``pip install "learnet[proto]"``), as the Hands-On book's
chapter 13 uses it.

Examples
--------
>>> import learnet as tf
>>> from google.protobuf import descriptor_pb2
>>> serialized = descriptor_pb2.FieldDescriptorProto(name="id", number=7).SerializeToString()
>>> sizes, values = tf.io.decode_proto(
...     serialized, "google.protobuf.FieldDescriptorProto", ["name", "number", "json_name"],
...     [tf.string, tf.int32, tf.string])
>>> sizes.numpy().tolist(), values[0].numpy().tolist(), values[1].numpy().tolist(), values[2].shape
([1, 1, 0], [b'id'], [7], TensorShape([0]))
>>> tf.io.encode_proto(sizes, values, ["name", "number", "json_name"],
...                    "google.protobuf.FieldDescriptorProto").numpy() == serialized
True
"""

import builtins
import collections

import numpy

from learnet import errors
from learnet.backend import to_numpy
from learnet.tensor import Tensor, _as_dtype

__all__ = ["decode_proto", "encode_proto"]

DecodeProtoV2 = collections.namedtuple("DecodeProtoV2", ["sizes", "values"])


def _protobuf():
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format
    except ImportError:  # pragma: no cover - protobuf is in the test extras
        raise ImportError(
            'tf.io.decode_proto and encode_proto need the protobuf package: pip install "learnet[proto]"'
        ) from None
    return descriptor_pb2, descriptor_pool, message_factory, text_format


def _message_class(message_type, descriptor_source, op):
    """The Python class of ``message_type``, from ``descriptor_source``."""
    descriptor_pb2, descriptor_pool, message_factory, _ = _protobuf()
    if isinstance(descriptor_source, Tensor):
        descriptor_source = descriptor_source.numpy().item()
    if isinstance(descriptor_source, bytes) and not descriptor_source.startswith(b"bytes://"):
        descriptor_source = descriptor_source.decode("utf-8")
    if descriptor_source == "local://":
        pool = descriptor_pool.Default()
    else:
        if isinstance(descriptor_source, bytes):
            data = descriptor_source[len(b"bytes://") :]
        elif descriptor_source.startswith("bytes://"):
            data = descriptor_source[len("bytes://") :].encode("latin-1")
        else:
            try:
                with open(descriptor_source, "rb") as handle:
                    data = handle.read()
            except OSError as error:
                raise errors.NotFoundError(
                    None, None, f"{op}: cannot read the descriptor set {descriptor_source!r}: {error}"
                ) from None
        try:
            files = list(descriptor_pb2.FileDescriptorSet.FromString(data).file)
        except Exception as error:  # noqa: BLE001 - protobuf's DecodeError and friends
            raise errors.InvalidArgumentError(
                None, None, f"{op}: {descriptor_source!r} is not a descriptor set: {error}"
            ) from None
        pool = descriptor_pool.DescriptorPool()
        pending = files
        while pending:  # dependencies first, whatever order the set lists them in
            left = []
            for file in pending:
                try:
                    pool.Add(file)
                except TypeError:
                    left.append(file)
            if len(left) == len(pending):
                names = [file.name for file in left]
                raise errors.InvalidArgumentError(None, None, f"{op}: the descriptor set misses imports of {names}")
            pending = left
    try:
        message = pool.FindMessageTypeByName(str(message_type))
    except KeyError:
        raise errors.InvalidArgumentError(
            None, None, f"{op}: no message type {message_type!r} in the descriptor source"
        ) from None
    return message_factory.GetMessageClass(message)


def _fields(cls, field_names, op):
    fields = []
    for field_name in field_names:
        field = cls.DESCRIPTOR.fields_by_name.get(str(field_name))
        if field is None:
            raise errors.InvalidArgumentError(
                None, None, f"{op}: {cls.DESCRIPTOR.full_name} has no field {field_name!r}"
            )
        fields.append(field)
    return fields


def _kind(field):
    """What a field holds: "string", "message", "bool", "float" or "int" (the field descriptor
    carries protobuf's type numbers, so nothing is imported for each value)."""
    kind = field.type
    if kind in (field.TYPE_STRING, field.TYPE_BYTES):
        return "string"
    if kind in (field.TYPE_MESSAGE, field.TYPE_GROUP):
        return "message"
    if kind == field.TYPE_BOOL:
        return "bool"
    if kind in (field.TYPE_FLOAT, field.TYPE_DOUBLE):
        return "float"
    return "int"  # the integer types and enums


def _is_repeated(field):
    # protobuf 5+ has is_repeated; older versions only label.
    repeated = getattr(field, "is_repeated", None)
    if repeated is not None:
        return bool(repeated)
    return field.label == field.LABEL_REPEATED


_ALLOWED = {
    "string": ("O",),
    "message": ("O",),
    "bool": ("b",),
    "float": ("f",),
    "int": ("i", "u"),
}


def _check_type(field, dtype, op):
    if numpy.dtype(dtype).kind not in _ALLOWED[_kind(field)]:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{op}: field {field.name!r} holds {_kind(field)} values, which cannot be given as {numpy.dtype(dtype)}",
        )


def _values_of(message, field):
    """The values a message holds in ``field``: a list (empty when a singular field is unset)."""
    if _is_repeated(field):
        values = list(getattr(message, field.name))
    elif any(present is field for present, _ in message.ListFields()):
        values = [getattr(message, field.name)]
    else:
        return []
    if _kind(field) == "message":
        return [value.SerializeToString() for value in values]
    if _kind(field) == "string":
        return [value.encode("utf-8") if isinstance(value, str) else bytes(value) for value in values]
    return values


def _default(field, dtype):
    if _kind(field) in ("string", "message"):
        if _kind(field) == "message" or _is_repeated(field):
            return b""
        value = field.default_value
        return value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return numpy.asarray(0 if _is_repeated(field) else field.default_value).astype(dtype)


def decode_proto(
    bytes,  # noqa: A002 - TensorFlow's name
    message_type,
    field_names,
    output_types,
    descriptor_source="local://",
    message_format="binary",
    sanitize=False,
    name=None,
):
    """The fields ``field_names`` of serialized ``message_type`` messages (``tf.io.decode_proto``).

    Parameters
    ----------
    bytes : string tensor
        Serialized messages, of any shape (the batch shape).
    message_type : str
        The full name of the message type (``"Person"``, ``"tutorial.Person"``).
    field_names : list of str
    output_types : list of dtypes
        One per field: ``tf.string`` for text, bytes and sub-messages (serialized), an integer
        type for integers and enums, a float type for floats, ``tf.bool`` for booleans.
    descriptor_source : str
        ``"local://"``, the path of a descriptor set file, or ``"bytes://"`` and its bytes.
    message_format : str
        ``"binary"`` or ``"text"`` (protobuf's text format).

    Returns
    -------
    DecodeProtoV2
        ``sizes``: int32, the batch shape and one column per field, how many values each
        message holds; ``values``: a list of tensors, the batch shape and the longest count,
        padded with the field's default value.
    """
    op = "decode_proto"
    if len(field_names) != len(output_types):
        raise ValueError(f"{op}: {len(field_names)} field names but {len(output_types)} output types")
    if message_format not in ("binary", "text"):
        raise ValueError(f"{op}: message_format must be 'binary' or 'text', got {message_format!r}")
    cls = _message_class(message_type, descriptor_source, op)
    fields = _fields(cls, field_names, op)
    dtypes = [numpy.dtype(_as_dtype(t)) for t in output_types]
    for field, dtype in zip(fields, dtypes):
        _check_type(field, dtype, op)
    data = to_numpy(bytes._value) if isinstance(bytes, Tensor) else numpy.asarray(bytes, dtype=object)
    text_format = _protobuf()[3]
    held = numpy.empty(data.shape + (len(fields),), dtype=object)
    for index in numpy.ndindex(data.shape):
        raw = data[index]
        raw = raw.encode("utf-8") if isinstance(raw, str) else builtins.bytes(raw)
        message = cls()
        try:
            if message_format == "binary":
                message.ParseFromString(raw)
            else:
                text_format.Parse(raw.decode("utf-8"), message)
        except Exception as error:  # noqa: BLE001 - DecodeError, ParseError
            raise errors.DataLossError(None, None, f"{op}: message {index} is not a {message_type}: {error}") from None
        for position, field in enumerate(fields):
            held[index + (position,)] = _values_of(message, field)
    sizes = numpy.vectorize(len, otypes=[numpy.int32])(held) if held.size else numpy.zeros(held.shape, numpy.int32)
    values = []
    for position, (field, dtype) in enumerate(zip(fields, dtypes)):
        longest = int(sizes[..., position].max()) if sizes.size else 0
        string = dtype.kind == "O"
        out = numpy.empty(data.shape + (longest,), dtype=object if string else dtype)
        out[...] = _default(field, dtype)
        for index in numpy.ndindex(data.shape):
            got = held[index + (position,)]
            for k, value in enumerate(got):
                out[index + (k,)] = value
        values.append(Tensor(out, "string") if string else Tensor(out))
    return DecodeProtoV2(Tensor(sizes), values)


def encode_proto(sizes, values, field_names, message_type, descriptor_source="local://", name=None):
    """Serialized ``message_type`` messages of the given fields (``tf.io.encode_proto``).

    ``sizes`` (the batch shape and one column per field) says how many of each field's
    ``values`` (the batch shape and at least that many) each message takes; the result is a
    string tensor of the batch shape. The inverse of ``decode_proto``.
    """
    op = "encode_proto"
    cls = _message_class(message_type, descriptor_source, op)
    fields = _fields(cls, field_names, op)
    counts = numpy.asarray(to_numpy(sizes._value) if isinstance(sizes, Tensor) else sizes)
    if counts.ndim < 1 or counts.shape[-1] != len(fields) or len(values) != len(fields):
        raise errors.InvalidArgumentError(
            None, None, f"{op}: sizes must end in one column per field ({len(fields)}), and one values tensor each"
        )
    arrays = [numpy.asarray(to_numpy(v._value) if isinstance(v, Tensor) else v) for v in values]
    batch = counts.shape[:-1]
    out = numpy.empty(batch, dtype=object)
    for index in numpy.ndindex(batch):
        message = cls()
        for position, field in enumerate(fields):
            count = int(counts[index + (position,)])
            given = arrays[position][index] if arrays[position].ndim > len(batch) else arrays[position]
            if count > len(given):
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"{op}: field {field.name!r} of message {index} has {count} values asked, {len(given)} given",
                )
            items = [_python_value(field, value) for value in given[:count]]
            if _kind(field) == "message":
                target = getattr(message, field.name)
                for item in items:
                    (target.add() if _is_repeated(field) else target).ParseFromString(item)
            elif _is_repeated(field):
                getattr(message, field.name).extend(items)
            elif items:
                setattr(message, field.name, items[0])
        out[index] = message.SerializeToString()
    return Tensor(out, "string")


def _python_value(field, value):
    kind = _kind(field)
    if kind in ("string", "message"):
        raw = value if isinstance(value, builtins.bytes) else str(value).encode("utf-8")
        return raw.decode("utf-8") if field.type == field.TYPE_STRING else raw
    if kind == "bool":
        return bool(value)
    if kind == "float":
        return float(value)
    return int(value)
