"""``tf.train.Example`` and its parts: the protocol buffers a TFRecord file of features holds.

``BytesList``, ``FloatList`` and ``Int64List`` hold the values of one ``Feature``;
``Features`` maps names to features, and an ``Example`` holds one ``Features``. A
``SequenceExample`` adds ``FeatureLists``: for each name, a ``FeatureList`` of one
feature per time step. The messages are built when this module is imported, from
descriptors written here with the field numbers of TensorFlow's ``feature.proto`` and
``example.proto`` (package ``tensorflow``), so their bytes are TensorFlow's: files
written by either are read by the other. ``TensorProto`` (TensorFlow's ``tensor.proto``,
the fields ``tf.io.serialize_tensor`` writes) is built the same way.

They are ordinary protobuf messages (the ``protobuf`` package, installed with the
``tensorboard`` extra): ``SerializeToString()``, ``FromString``/``ParseFromString``,
and a text form like TensorFlow's when printed. Maps are written in the order of their
keys, as ``SerializeToString(deterministic=True)`` writes them, so the same message
always gives the same bytes.

Examples
--------
>>> import learnet as tf
>>> example = tf.train.Example(features=tf.train.Features(feature={
...     "age": tf.train.Feature(int64_list=tf.train.Int64List(value=[42])),
... }))
>>> example.SerializeToString()
b'\\n\\x0e\\n\\x0c\\n\\x03age\\x12\\x05\\x1a\\x03\\n\\x01*'
>>> print(tf.train.Example.FromString(example.SerializeToString()))
features {
  feature {
    key: "age"
    value {
      int64_list {
        value: 42
      }
    }
  }
}
<BLANKLINE>
"""

try:
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
except ImportError as error:  # pragma: no cover - protobuf comes with the tensorboard extra
    raise ImportError(
        "tf.train.Example and tf.io's example parsing need the protobuf package: pip install protobuf "
        "(or pip install learnet[tensorboard])"
    ) from error

__all__ = [
    "BytesList",
    "Example",
    "Feature",
    "FeatureList",
    "FeatureLists",
    "Features",
    "FloatList",
    "Int64List",
    "SequenceExample",
    "TensorProto",
    "TensorShapeProto",
]

_Field = descriptor_pb2.FieldDescriptorProto
_OPTIONAL, _REPEATED = _Field.LABEL_OPTIONAL, _Field.LABEL_REPEATED


def _field(message, name, number, kind, label=_OPTIONAL, type_name=None, packed=None, oneof=None):
    field = message.field.add(name=name, number=number, type=kind, label=label, json_name=_json_name(name))
    if type_name is not None:
        field.type_name = type_name
    if packed is not None:
        field.options.packed = packed
    if oneof is not None:
        field.oneof_index = oneof
    return field


def _json_name(name):
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _map_field(message, name, number, value_type):
    """``map<string, value_type> name = number;``: a repeated nested ``...Entry`` message, as protoc makes it."""
    entry_name = "".join(part.capitalize() for part in name.split("_")) + "Entry"
    entry = message.nested_type.add(name=entry_name)
    entry.options.map_entry = True
    _field(entry, "key", 1, _Field.TYPE_STRING)
    _field(entry, "value", 2, _Field.TYPE_MESSAGE, type_name=value_type)
    _field(message, name, number, _Field.TYPE_MESSAGE, _REPEATED, f".tensorflow.{message.name}.{entry_name}")


def _feature_proto():
    """TensorFlow's tensorflow/core/example/feature.proto."""
    file = descriptor_pb2.FileDescriptorProto(
        name="tensorflow/core/example/feature.proto", package="tensorflow", syntax="proto3"
    )
    _field(file.message_type.add(name="BytesList"), "value", 1, _Field.TYPE_BYTES, _REPEATED)
    _field(file.message_type.add(name="FloatList"), "value", 1, _Field.TYPE_FLOAT, _REPEATED, packed=True)
    _field(file.message_type.add(name="Int64List"), "value", 1, _Field.TYPE_INT64, _REPEATED, packed=True)
    feature = file.message_type.add(name="Feature")
    feature.oneof_decl.add(name="kind")
    for number, (name, kind) in enumerate(
        [("bytes_list", "BytesList"), ("float_list", "FloatList"), ("int64_list", "Int64List")], start=1
    ):
        _field(feature, name, number, _Field.TYPE_MESSAGE, type_name=f".tensorflow.{kind}", oneof=0)
    _map_field(file.message_type.add(name="Features"), "feature", 1, ".tensorflow.Feature")
    _field(
        file.message_type.add(name="FeatureList"), "feature", 1, _Field.TYPE_MESSAGE, _REPEATED, ".tensorflow.Feature"
    )
    _map_field(file.message_type.add(name="FeatureLists"), "feature_list", 1, ".tensorflow.FeatureList")
    return file


def _example_proto():
    """TensorFlow's tensorflow/core/example/example.proto."""
    file = descriptor_pb2.FileDescriptorProto(
        name="tensorflow/core/example/example.proto",
        package="tensorflow",
        syntax="proto3",
        dependency=["tensorflow/core/example/feature.proto"],
    )
    _field(file.message_type.add(name="Example"), "features", 1, _Field.TYPE_MESSAGE, type_name=".tensorflow.Features")
    sequence = file.message_type.add(name="SequenceExample")
    _field(sequence, "context", 1, _Field.TYPE_MESSAGE, type_name=".tensorflow.Features")
    _field(sequence, "feature_lists", 2, _Field.TYPE_MESSAGE, type_name=".tensorflow.FeatureLists")
    return file


# TensorFlow's DataType numbers (tensorflow/core/framework/types.proto) of the dtypes learnet has.
DATA_TYPES = {
    "DT_INVALID": 0,
    "DT_FLOAT": 1,
    "DT_DOUBLE": 2,
    "DT_INT32": 3,
    "DT_UINT8": 4,
    "DT_INT16": 5,
    "DT_INT8": 6,
    "DT_STRING": 7,
    "DT_COMPLEX64": 8,
    "DT_INT64": 9,
    "DT_BOOL": 10,
    "DT_BFLOAT16": 14,
    "DT_UINT16": 17,
    "DT_COMPLEX128": 18,
    "DT_HALF": 19,
    "DT_UINT32": 22,
    "DT_UINT64": 23,
}


def _tensor_proto():
    """The fields of TensorFlow's tensor.proto, tensor_shape.proto and types.proto that hold a tensor."""
    file = descriptor_pb2.FileDescriptorProto(
        name="tensorflow/core/framework/tensor.proto", package="tensorflow", syntax="proto3"
    )
    data_type = file.enum_type.add(name="DataType")
    for name, number in DATA_TYPES.items():
        data_type.value.add(name=name, number=number)
    shape = file.message_type.add(name="TensorShapeProto")
    dim = shape.nested_type.add(name="Dim")
    _field(dim, "size", 1, _Field.TYPE_INT64)
    _field(dim, "name", 2, _Field.TYPE_STRING)
    _field(shape, "dim", 2, _Field.TYPE_MESSAGE, _REPEATED, ".tensorflow.TensorShapeProto.Dim")
    _field(shape, "unknown_rank", 3, _Field.TYPE_BOOL)
    tensor = file.message_type.add(name="TensorProto")
    _field(tensor, "dtype", 1, _Field.TYPE_ENUM, type_name=".tensorflow.DataType")
    _field(tensor, "tensor_shape", 2, _Field.TYPE_MESSAGE, type_name=".tensorflow.TensorShapeProto")
    _field(tensor, "version_number", 3, _Field.TYPE_INT32)
    _field(tensor, "tensor_content", 4, _Field.TYPE_BYTES)
    for name, number, kind in [
        ("half_val", 13, _Field.TYPE_INT32),
        ("float_val", 5, _Field.TYPE_FLOAT),
        ("double_val", 6, _Field.TYPE_DOUBLE),
        ("int_val", 7, _Field.TYPE_INT32),
        ("string_val", 8, _Field.TYPE_BYTES),
        ("scomplex_val", 9, _Field.TYPE_FLOAT),
        ("int64_val", 10, _Field.TYPE_INT64),
        ("bool_val", 11, _Field.TYPE_BOOL),
        ("dcomplex_val", 12, _Field.TYPE_DOUBLE),
        ("uint32_val", 16, _Field.TYPE_UINT32),
        ("uint64_val", 17, _Field.TYPE_UINT64),
    ]:
        _field(tensor, name, number, kind, _REPEATED, packed=None if kind == _Field.TYPE_BYTES else True)
    return file


# A pool of learnet's own, so a program that also imports TensorFlow (whose messages have the
# same full names in the default pool) sees no clash.
_POOL = descriptor_pool.DescriptorPool()
for _file in (_feature_proto(), _example_proto(), _tensor_proto()):
    _POOL.Add(_file)


def _message_class(name):
    cls = message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"tensorflow.{name}"))
    for method in ("SerializeToString", "SerializePartialToString"):
        cls_method = getattr(cls, method)
        setattr(cls, method, _sorted_maps(cls_method))
    cls.__module__ = "learnet.train"
    return cls


def _sorted_maps(serialize):
    def method(self, **kwargs):
        kwargs.setdefault("deterministic", True)
        return serialize(self, **kwargs)

    method.__name__ = serialize.__name__
    method.__doc__ = (
        f"{serialize.__doc__ or ''}\n\nMaps are written in the order of their keys unless deterministic=False."
    ).strip()
    return method


BytesList = _message_class("BytesList")
FloatList = _message_class("FloatList")
Int64List = _message_class("Int64List")
Feature = _message_class("Feature")
Features = _message_class("Features")
FeatureList = _message_class("FeatureList")
FeatureLists = _message_class("FeatureLists")
Example = _message_class("Example")
SequenceExample = _message_class("SequenceExample")
TensorShapeProto = _message_class("TensorShapeProto")
TensorProto = _message_class("TensorProto")
TensorProto.__module__ = "learnet.train_example"
TensorShapeProto.__module__ = "learnet.train_example"
