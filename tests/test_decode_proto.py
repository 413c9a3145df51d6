"""tf.io.decode_proto and encode_proto on the Hands-On book's Person message (chapter 13).

The descriptor set is built here as ``protoc --descriptor_set_out=person.desc
--include_imports`` writes it for::

    syntax = "proto3";
    message Person { string name = 1; int32 id = 2; repeated string email = 3; Person friend = 4; }
"""

import numpy as np
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format

import learnet as tf


def _descriptor_set():
    person = descriptor_pb2.DescriptorProto(name="Person")
    label = descriptor_pb2.FieldDescriptorProto
    person.field.add(name="name", number=1, type=label.TYPE_STRING, label=label.LABEL_OPTIONAL)
    person.field.add(name="id", number=2, type=label.TYPE_INT32, label=label.LABEL_OPTIONAL)
    person.field.add(name="email", number=3, type=label.TYPE_STRING, label=label.LABEL_REPEATED)
    person.field.add(name="friend", number=4, type=label.TYPE_MESSAGE, label=label.LABEL_OPTIONAL, type_name=".Person")
    file = descriptor_pb2.FileDescriptorProto(name="person.proto", syntax="proto3", message_type=[person])
    return descriptor_pb2.FileDescriptorSet(file=[file])


@pytest.fixture
def person_desc(tmp_path):
    path = tmp_path / "person.desc"
    path.write_bytes(_descriptor_set().SerializeToString())
    return str(path)


def _person_class():
    pool = descriptor_pool.DescriptorPool()
    pool.Add(_descriptor_set().file[0])
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("Person"))


FIELDS = ["name", "id", "email"]
TYPES = [tf.string, tf.int32, tf.string]


def test_the_books_example(person_desc):
    Person = _person_class()
    serialized = Person(name="Alice", id=123, email=["a@b.com", "c@d.com"]).SerializeToString()
    person_tf = tf.io.decode_proto(
        bytes=serialized, message_type="Person", field_names=FIELDS, output_types=TYPES, descriptor_source=person_desc
    )
    assert person_tf.sizes.numpy().tolist() == [1, 1, 2] and person_tf.sizes.dtype == tf.int32
    name, ident, email = person_tf.values
    assert name.numpy().tolist() == [b"Alice"] and name.dtype == tf.string
    assert ident.numpy().tolist() == [123] and ident.dtype == tf.int32
    assert email.numpy().tolist() == [b"a@b.com", b"c@d.com"]


def test_a_batch_is_padded_with_defaults_and_sizes_say_how_many(person_desc):
    Person = _person_class()
    batch = [
        [Person(name="A", email=["x"]).SerializeToString(), Person(id=5).SerializeToString()],
        [Person(email=["p", "q", "r"]).SerializeToString(), b""],
    ]
    sizes, (name, ident, email) = tf.io.decode_proto(
        tf.constant(batch), "Person", FIELDS, [tf.string, tf.int64, tf.string], descriptor_source=person_desc
    )
    assert sizes.shape == (2, 2, 3)
    assert sizes.numpy().tolist() == [[[1, 0, 1], [0, 1, 0]], [[0, 0, 3], [0, 0, 0]]]
    assert name.shape == (2, 2, 1) and ident.shape == (2, 2, 1) and email.shape == (2, 2, 3)
    assert email.numpy()[1, 0].tolist() == [b"p", b"q", b"r"] and email.numpy()[0, 0].tolist() == [b"x", b"", b""]
    assert ident.numpy()[:, :, 0].tolist() == [[0, 5], [0, 0]] and ident.dtype == tf.int64


def test_bytes_source_text_format_and_sub_messages(person_desc):
    Person = _person_class()
    data = open(person_desc, "rb").read()
    message = Person(name="Bo", friend=Person(name="Al", id=2))
    text = text_format.MessageToString(message)
    sizes, (friend,) = tf.io.decode_proto(
        text, "Person", ["friend"], [tf.string], descriptor_source=b"bytes://" + data, message_format="text"
    )
    assert sizes.numpy().tolist() == [1]
    assert Person.FromString(friend.numpy()[0]) == Person(name="Al", id=2)


def test_encode_is_decodes_inverse(person_desc):
    Person = _person_class()
    messages = [
        Person(name="Alice", id=123, email=["a@b.com", "c@d.com"]).SerializeToString(),
        Person(id=7).SerializeToString(),
    ]
    sizes, values = tf.io.decode_proto(messages, "Person", FIELDS, TYPES, descriptor_source=person_desc)
    encoded = tf.io.encode_proto(sizes, values, FIELDS, "Person", descriptor_source=person_desc)
    assert [Person.FromString(m) for m in encoded.numpy()] == [Person.FromString(m) for m in messages]


def test_local_descriptors_are_the_processes_own():
    serialized = descriptor_pb2.FieldDescriptorProto(name="id", number=7).SerializeToString()
    sizes, (name,) = tf.io.decode_proto(serialized, "google.protobuf.FieldDescriptorProto", ["name"], [tf.string])
    assert sizes.numpy().tolist() == [1] and name.numpy().tolist() == [b"id"]


@pytest.mark.parametrize(
    "change, error, match",
    [
        (dict(message_type="Nobody"), tf.errors.InvalidArgumentError, "no message type 'Nobody'"),
        (dict(field_names=["name", "age", "email"]), tf.errors.InvalidArgumentError, "has no field 'age'"),
        (dict(output_types=[tf.int32, tf.int32, tf.string]), tf.errors.InvalidArgumentError, "'name' holds string"),
        (dict(output_types=[tf.string, tf.string, tf.string]), tf.errors.InvalidArgumentError, "'id' holds int"),
        (dict(output_types=[tf.string]), ValueError, "3 field names but 1 output types"),
        (dict(bytes=b"\xff\xff\xff"), tf.errors.DataLossError, "is not a Person"),
        (dict(descriptor_source="/no/such/person.desc"), tf.errors.NotFoundError, "cannot read"),
        (dict(message_format="json"), ValueError, "binary' or 'text"),
    ],
)
def test_bad_arguments_are_refused_clearly(person_desc, change, error, match):
    arguments = dict(
        bytes=_person_class()(name="A").SerializeToString(),
        message_type="Person",
        field_names=FIELDS,
        output_types=TYPES,
        descriptor_source=person_desc,
    )
    arguments.update(change)
    with pytest.raises(error, match=match):
        tf.io.decode_proto(**arguments)


def test_a_file_that_is_no_descriptor_set_is_refused(tmp_path):
    path = tmp_path / "not.desc"
    path.write_bytes(b"\x0a\xff\xff")
    with pytest.raises(tf.errors.InvalidArgumentError, match="not a descriptor set"):
        tf.io.decode_proto(b"", "Person", ["name"], [tf.string], descriptor_source=str(path))


def test_encode_refuses_sizes_past_the_values(person_desc):
    with pytest.raises(tf.errors.InvalidArgumentError, match="3 values asked, 1 given"):
        tf.io.encode_proto(
            np.array([[1, 1, 3]], np.int32),
            [np.array([[b"A"]], object), np.array([[1]], np.int32), np.array([[b"x"]], object)],
            FIELDS,
            "Person",
            descriptor_source=person_desc,
        )
