"""tf.train.Example and its parts, and tf.io's parsing of them, against real TensorFlow 2.21
(fixtures made by fixtures/make_tfrecord_fixtures.py)."""

import importlib.util
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

import learnet as tf

pytest.importorskip("google.protobuf")
from google.protobuf import text_format  # noqa: E402

from learnet import train_example  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tfrecord"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())


def _fixture_module():
    path = Path(__file__).resolve().parent / "fixtures" / "make_tfrecord_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_tfrecord_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()


def records(name):
    return [r.numpy() for r in tf.data.TFRecordDataset(str(FIXTURES / name))]


def decode(expected):
    """A value of expected.json as NumPy: an array, or (indices, values, dense_shape) for a SparseTensor."""
    if expected.get("sparse"):
        return (np.array(expected["indices"], dtype="int64"), decode(expected["values"]), expected["dense_shape"])
    if expected["dtype"] == "string":
        values = np.empty(len(expected["values"]), dtype=object)
        values[:] = [bytes.fromhex(v) for v in expected["values"]]
        return values.reshape(expected["shape"])
    return np.array(expected["values"], dtype=expected["dtype"]).reshape(expected["shape"])


def assert_same(got, expected, where):
    assert sorted(got) == sorted(expected), where
    for key, want in expected.items():
        value = got[key]
        if want.get("sparse"):
            indices, values, dense_shape = decode(want)
            assert isinstance(value, tf.SparseTensor), (where, key)
            assert value.indices.numpy().reshape(indices.shape).tolist() == indices.tolist(), (where, key)
            assert value.dense_shape.numpy().tolist() == dense_shape, (where, key)
            assert value.values.dtype == values.dtype, (where, key)
            assert value.values.numpy().tolist() == values.tolist(), (where, key)
        else:
            array = decode(want)
            assert value.dtype == array.dtype and value.shape == array.shape, (where, key, value)
            assert np.array_equal(np.asarray(value.numpy()), array), (where, key)


# --- the messages ------------------------------------------------------------------------------------------
def test_the_messages_are_under_tf_train_beside_the_checkpoint():
    names = ["BytesList", "FloatList", "Int64List", "Feature", "Features", "FeatureList", "FeatureLists"]
    for name in [*names, "Example", "SequenceExample"]:
        assert getattr(tf.train, name) is getattr(train_example, name)
        assert name in dir(tf.train)
        assert getattr(tf.train, name).DESCRIPTOR.full_name == f"tensorflow.{name}"
    assert tf.train.Checkpoint is not None and tf.train.Example.__module__ == "learnet.train"
    with pytest.raises(AttributeError):
        tf.train.NoSuchMessage  # noqa: B018


def test_the_field_numbers_are_tensorflows():
    def numbers(message):
        return {f.name: f.number for f in message.DESCRIPTOR.fields}

    assert numbers(tf.train.Feature) == {"bytes_list": 1, "float_list": 2, "int64_list": 3}
    assert numbers(tf.train.Example) == {"features": 1}
    assert numbers(tf.train.SequenceExample) == {"context": 1, "feature_lists": 2}
    assert numbers(tf.train.Features) == {"feature": 1} and numbers(tf.train.FeatureLists) == {"feature_list": 1}
    assert tf.train.Features.DESCRIPTOR.fields_by_name["feature"].message_type.GetOptions().map_entry
    assert tf.train.FloatList(value=[1.0, 2.0]).SerializeToString() == b"\n\x08\x00\x00\x80?\x00\x00\x00@"  # packed
    assert tf.train.Int64List(value=[1, 300]).SerializeToString() == b"\n\x03\x01\xac\x02"


def test_the_same_messages_give_tensorflows_bytes():
    assert [e.SerializeToString() for e in FIXTURE.examples(tf)] == records("examples.tfrecord")
    assert [s.SerializeToString() for s in FIXTURE.sequence_examples(tf)] == records("sequences.tfrecord")


def test_messages_read_back_from_tensorflows_bytes():
    for built, serialized in zip(FIXTURE.examples(tf), records("examples.tfrecord")):
        assert tf.train.Example.FromString(serialized) == built
        parsed = tf.train.Example()
        parsed.ParseFromString(serialized)
        assert parsed == built
    for built, serialized in zip(FIXTURE.sequence_examples(tf), records("sequences.tfrecord")):
        assert tf.train.SequenceExample.FromString(serialized) == built


def test_the_text_form_is_tensorflows():
    for built, text in zip(FIXTURE.examples(tf), EXPECTED["examples_text"]):
        # TensorFlow prints a map in an order of its own: the text is read back, not compared as a string.
        assert text_format.Parse(text, tf.train.Example()) == built
    one = tf.train.Example(
        features=tf.train.Features(feature={"name": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"Alice"]))})
    )
    expected = 'features {\n  feature {\n    key: "name"\n    value {\n      bytes_list {\n        value: "Alice"\n      }\n    }\n  }\n}\n'
    assert str(one) == repr(one) == expected
    assert str(tf.train.Feature(float_list=tf.train.FloatList(value=[0.1]))) == "float_list {\n  value: 0.1\n}\n"


def test_maps_are_written_in_key_order_whatever_the_insertion_order():
    def example(keys):
        return tf.train.Example(
            features=tf.train.Features(
                feature={k: tf.train.Feature(int64_list=tf.train.Int64List(value=[len(k)])) for k in keys}
            )
        )

    keys = ["zeta", "alpha", "mid", "b", "c", "delta"]
    first = example(keys).SerializeToString()
    assert first == example(sorted(keys)).SerializeToString() == example(keys[::-1]).SerializeToString()
    unordered = example(keys).SerializeToString(deterministic=False)
    assert tf.train.Example.FromString(unordered) == tf.train.Example.FromString(first)


def test_messages_pickle_and_copy():
    message = FIXTURE.sequence_examples(tf)[0]
    assert pickle.loads(pickle.dumps(message)) == message
    copy = tf.train.SequenceExample()
    copy.CopyFrom(message)
    copy.context.feature["author_id"].int64_list.value[0] = 5
    assert message.context.feature["author_id"].int64_list.value[0] == 123


# --- parsing: the same values as TensorFlow ----------------------------------------------------------------------
def test_parse_single_example_reads_what_tensorflow_reads():
    features = FIXTURE.example_features(tf)
    for index, (serialized, expected) in enumerate(zip(records("examples.tfrecord"), EXPECTED["parse_single_example"])):
        assert_same(tf.io.parse_single_example(serialized, features), expected, f"example {index}")
        assert_same(tf.io.parse_single_example(tf.constant(serialized), features), expected, f"tensor {index}")


def test_parse_example_reads_a_batch_as_tensorflow_does():
    features = FIXTURE.example_features(tf)
    serialized = records("examples.tfrecord")
    assert_same(tf.io.parse_example(serialized, features), EXPECTED["parse_example"], "batch")
    assert_same(tf.io.parse_example(tf.constant(serialized), features), EXPECTED["parse_example"], "tensor batch")
    batches = list(
        tf.data.TFRecordDataset(str(FIXTURES / "examples.tfrecord"))
        .batch(4)
        .map(lambda batch: tf.io.parse_example(batch, {k: v for k, v in features.items() if k in ("id", "pixels")}))
    )
    assert len(batches) == 1
    assert_same(batches[0], {k: EXPECTED["parse_example"][k] for k in ("id", "pixels")}, "mapped batch")


def test_sequence_examples_parse_as_tensorflow_does():
    context, lists = FIXTURE.sequence_features(tf)
    serialized = records("sequences.tfrecord")
    for index, (record, (want_context, want_lists)) in enumerate(
        zip(serialized, EXPECTED["parse_single_sequence_example"])
    ):
        got_context, got_lists = tf.io.parse_single_sequence_example(record, context, lists)
        assert_same(got_context, want_context, f"context {index}")
        assert_same(got_lists, want_lists, f"lists {index}")
    got = tf.io.parse_sequence_example(serialized, context, lists)
    for part, want, name in zip(got, EXPECTED["parse_sequence_example"], ["context", "lists", "lengths"]):
        assert_same(part, want, name)


def test_hands_on_reads_the_comments_of_a_sequence_example():
    context, lists = FIXTURE.sequence_features(tf)
    record = FIXTURE.sequence_examples(tf)[0].SerializeToString()
    parsed_context, parsed_lists = tf.io.parse_single_sequence_example(record, context, lists)
    content = parsed_lists["content"]
    assert content.dense_shape.numpy().tolist() == [2, 9]
    first_step = content.values.numpy()[content.indices.numpy()[:, 0] == 0]
    assert first_step.tolist() == [w.encode() for w in "When shall we three meet again ?".split()]
    assert parsed_context["title"].values.numpy().tolist() == [b"A", b"desert", b"place", b"."]
    assert parsed_lists["embeddings"].shape == (3, 3) and parsed_lists["embeddings"].dtype == tf.float32


# --- descriptions and records that do not fit ---------------------------------------------------------------------
def _example(**features):
    def feature(values):
        if isinstance(values[0], bytes):
            return tf.train.Feature(bytes_list=tf.train.BytesList(value=values))
        if isinstance(values[0], float):
            return tf.train.Feature(float_list=tf.train.FloatList(value=values))
        return tf.train.Feature(int64_list=tf.train.Int64List(value=values))

    return tf.train.Example(
        features=tf.train.Features(feature={k: feature(v) for k, v in features.items()})
    ).SerializeToString()


RECORD = _example(age=[42], scores=[1.0, 2.0], name=[b"Alice"])


@pytest.mark.parametrize(
    "features, message",
    [
        ({"missing": tf.io.FixedLenFeature([], tf.int64)}, "'missing' of record 0.*required but could not be found"),
        ({"age": tf.io.FixedLenFeature([], tf.float32)}, "'age'.*Data types don't match.*int64.*float"),
        ({"name": tf.io.VarLenFeature(tf.int64)}, "'name'.*Data types don't match.*string.*int64"),
        (
            {"scores": tf.io.FixedLenFeature([], tf.float32)},
            r"'scores'.*has 2 float values.*shape=\[\]\) needs exactly 1",
        ),
        ({"scores": tf.io.FixedLenFeature([3], tf.float32)}, r"has 2 float values.*needs exactly 3"),
        ({"age": tf.io.FixedLenFeature([], tf.int32)}, "'age' asks for tf.int32.*tf.float32.*tf.int64.*tf.string"),
        ({"age": tf.io.FixedLenFeature([None], tf.int64)}, "every dimension.*FixedLenSequenceFeature"),
        ({"age": tf.io.FixedLenFeature([], tf.int64, default_value=[1, 2])}, "default_value has 2 values.*needs 1"),
        ({"age": tf.io.FixedLenFeature([], tf.int64, default_value=0.5)}, "whole numbers"),
        ({"age": tf.io.FixedLenFeature([], tf.int64, default_value="x")}, "must hold numbers"),
        ({"scores": tf.io.FixedLenSequenceFeature([], tf.float32)}, "needs allow_missing=True"),
        ({"scores": tf.io.FixedLenSequenceFeature([3], tf.float32, allow_missing=True)}, "divisible by 3"),
        ({"age": tf.io.FixedLenFeature(-1, tf.int64)}, "sizes >= 0"),
    ],
)
def test_records_and_descriptions_that_do_not_fit_are_refused_clearly(features, message):
    before = dict(features)
    with pytest.raises(tf.errors.InvalidArgumentError, match=message) as caught:
        tf.io.parse_single_example(RECORD, features)
    assert isinstance(caught.value, ValueError)
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        tf.io.parse_example([RECORD, RECORD], features)
    assert features == before  # the description is left as it was


def test_other_mistakes_are_refused():
    with pytest.raises(TypeError, match="features must be a dict"):
        tf.io.parse_single_example(RECORD, [tf.io.FixedLenFeature([], tf.int64)])
    with pytest.raises(ValueError, match="must be described by"):
        tf.io.parse_single_example(RECORD, {"age": tf.TensorSpec([], tf.int64)})
    with pytest.raises(tf.errors.InvalidArgumentError, match="could not parse record 0.*tf.train.Example"):
        tf.io.parse_single_example(b"\xff\xff not a record", {"age": tf.io.VarLenFeature(tf.int64)})
    with pytest.raises(ValueError, match="one record.*use tf.io.parse_example"):
        tf.io.parse_single_example([RECORD, RECORD], {"age": tf.io.VarLenFeature(tf.int64)})
    with pytest.raises(tf.errors.InvalidArgumentError, match="Feature list 'words'|feature list 'words'.*required"):
        tf.io.parse_single_sequence_example(
            tf.train.SequenceExample().SerializeToString(),
            sequence_features={"words": tf.io.FixedLenSequenceFeature([], tf.string)},
        )
    with pytest.raises(ValueError, match="must be described by tf.io.FixedLenSequenceFeature or tf.io.VarLenFeature"):
        tf.io.parse_single_sequence_example(RECORD, sequence_features={"x": tf.io.FixedLenFeature([], tf.int64)})
    with pytest.raises(ValueError, match="default_value must be None"):
        tf.io.parse_single_sequence_example(
            RECORD, sequence_features={"x": tf.io.FixedLenSequenceFeature([], tf.int64, default_value=0)}
        )


def test_defaults_missing_features_and_padding():
    features = {
        "age": tf.io.FixedLenFeature([], tf.int64, default_value=-1),
        "city": tf.io.FixedLenFeature([], tf.string, default_value="nowhere"),
        "grid": tf.io.FixedLenFeature([2, 2], tf.float32, default_value=[[1, 2], [3, 4]]),
        "scores": tf.io.FixedLenSequenceFeature([], tf.float32, allow_missing=True),
        "tags": tf.io.VarLenFeature(tf.string),
    }
    parsed = tf.io.parse_single_example(_example(scores=[0.5, 1.5, 2.5]), features)
    assert int(parsed["age"]) == -1 and parsed["city"].numpy() == b"nowhere"
    assert parsed["grid"].numpy().tolist() == [[1.0, 2.0], [3.0, 4.0]] and parsed["grid"].dtype == tf.float32
    assert parsed["scores"].numpy().tolist() == [0.5, 1.5, 2.5]
    assert parsed["tags"].dense_shape.numpy().tolist() == [0] and parsed["tags"].values.dtype == tf.string
    batch = tf.io.parse_example([_example(scores=[1.0], tags=[b"a", b"b", b"c"]), _example(age=[3])], features)
    assert batch["age"].numpy().tolist() == [-1, 3]
    assert batch["scores"].numpy().tolist() == [[1.0], [0.0]]
    assert batch["tags"].indices.numpy().tolist() == [[0, 0], [0, 1], [0, 2]]
    assert batch["tags"].dense_shape.numpy().tolist() == [2, 3]
    assert batch["tags"].values.numpy().tolist() == [b"a", b"b", b"c"]
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"feature 'age' of record 1 \(name: second\).*an Int64List"
    ):
        tf.io.parse_example(
            [_example(age=[1]), _example(age=[1.5])],
            {"age": tf.io.VarLenFeature(tf.int64)},
            example_names=["first", "second"],
        )
    empty = tf.io.parse_example(tf.constant([], dtype=tf.string), features)
    assert empty["grid"].shape == (0, 2, 2) and empty["tags"].dense_shape.numpy().tolist() == [0, 0]


def test_feature_descriptions_print_as_in_tensorflow():
    assert repr(tf.io.FixedLenFeature([], tf.int64)) == "FixedLenFeature(shape=[], dtype=tf.int64, default_value=None)"
    assert repr(tf.io.VarLenFeature(tf.string)) == "VarLenFeature(dtype=tf.string)"
    assert repr(tf.io.FixedLenSequenceFeature([2], tf.float32)) == (
        "FixedLenSequenceFeature(shape=[2], dtype=tf.float32, allow_missing=False, default_value=None)"
    )
    assert tf.io.FixedLenFeature([3], "float32") == tf.io.FixedLenFeature(
        shape=[3], dtype="float32", default_value=None
    )


# --- serialize_tensor / parse_tensor ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(FIXTURE.tensors()))
def test_serialize_tensor_writes_tensorflows_bytes_and_parse_tensor_reads_them(name):
    array = FIXTURE.tensors()[name]
    tensor = tf.constant(array.tolist()) if array.dtype == object else tf.constant(array, dtype=array.dtype)
    serialized = tf.io.serialize_tensor(tensor)
    assert serialized.dtype == tf.string and serialized.shape == ()
    assert serialized.numpy().hex() == EXPECTED["serialize_tensor"][name]
    dtype = tf.string if array.dtype == object else array.dtype
    back = tf.io.parse_tensor(bytes.fromhex(EXPECTED["serialize_tensor"][name]), out_type=dtype)
    assert back.shape == array.shape and back.dtype == (tf.string if array.dtype == object else array.dtype)
    assert np.array_equal(np.asarray(back.numpy()), array)


def test_parse_tensor_refuses_the_wrong_dtype_and_bad_bytes():
    data = tf.io.serialize_tensor(tf.constant(3))
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"Type mismatch between parsed tensor \(int32\) and dtype \(float\)"
    ):
        tf.io.parse_tensor(data, tf.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="TensorProto"):
        tf.io.parse_tensor(b"\xff\xff\xff", tf.float32)
    proto = train_example.TensorProto(dtype=1)
    proto.tensor_shape.dim.add(size=3)
    proto.float_val.extend([2.5])  # TensorFlow's rule: the last value fills the rest
    assert tf.io.parse_tensor(proto.SerializeToString(), tf.float32).numpy().tolist() == [2.5, 2.5, 2.5]


def test_a_serialized_image_travels_in_a_bytes_feature_as_in_hands_on():
    image = (np.arange(4 * 5 * 3) % 256).astype("uint8").reshape(4, 5, 3)
    data = tf.io.serialize_tensor(tf.constant(image, dtype="uint8"))
    record = tf.train.Example(
        features=tf.train.Features(
            feature={"image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[data.numpy()]))}
        )
    ).SerializeToString()
    parsed = tf.io.parse_single_example(record, {"image": tf.io.FixedLenFeature([], tf.string)})
    back = tf.io.parse_tensor(parsed["image"], out_type=tf.uint8)
    assert np.array_equal(back.numpy(), image)
