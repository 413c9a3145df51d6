"""``tf.feature_column`` against real TensorFlow 2.21.

The reference is fixtures/feature_column_reference.json, made by fixtures/make_feature_column_fixture.py:
the same cases run there with TensorFlow and here with learnet, compared on each column's
``repr``, ``name``, ``parse_example_spec``, ``num_buckets`` and ``variable_shape``, on the
errors of bad arguments, and on what ``tf.io.parse_example`` reads with the spec.
"""

import gzip
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import feature_column as fc_module

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = json.loads((FIXTURES / "feature_column_reference.json").read_text())


def _fixture_module():
    spec = importlib.util.spec_from_file_location(
        "make_feature_column_fixture", FIXTURES / "make_feature_column_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()

# Where learnet refuses what TensorFlow accepts (and fails on later, or reads oddly): the error learnet raises.
STRICTER = {
    "bucketized strings": ValueError,  # TensorFlow keeps ("a", "b") as boundaries
    "embedding of numeric": ValueError,  # TensorFlow fails only when the embedding is looked up
    "embedding combiner max": ValueError,  # likewise
    "vocabulary list a string": ValueError,  # TensorFlow takes "abc" as the vocabulary ("a", "b", "c")
}
# Where TensorFlow's message comes from Python or its runtime, not from a check of its own: the type is compared.
SAME_TYPE = {
    "bucketized array",  # NumPy's "truth value of an array is ambiguous"
    "hash size text",  # "'<' not supported between instances of 'str' and 'int'"
    "identity buckets None",
    "parse a missing feature",  # the message names TensorFlow's graph node
    "spec one column",  # TensorFlow iterates the column's fields
}
# Where learnet's message adds a hint after TensorFlow's.
SAME_START = {"shared embeddings"}


@pytest.fixture
def in_vocabulary_directory(tmp_path, monkeypatch):
    FIXTURE.write_vocabulary_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _all_cases():
    return {**FIXTURE.cases(tf), **FIXTURE.parsing_cases(tf)}


def test_the_fixture_covers_every_case(in_vocabulary_directory):
    assert set(_all_cases()) == set(REFERENCE) - {"tensorflow_version"}
    assert REFERENCE["tensorflow_version"].startswith("2.21")
    assert STRICTER.keys() | SAME_TYPE | SAME_START <= set(REFERENCE)


@pytest.mark.parametrize("name", sorted(set(REFERENCE) - {"tensorflow_version"}))
def test_the_case_matches_tensorflow(name, in_vocabulary_directory):
    got = FIXTURE.outcome(_all_cases()[name])
    expected = REFERENCE[name]
    if name in STRICTER:
        assert isinstance(got, str) and got.startswith(f"raises {STRICTER[name].__name__}: "), got
    elif name in SAME_TYPE:
        assert isinstance(got, str) and got.split(":")[0] == expected.split(":")[0], (got, expected)
    elif name in SAME_START:
        assert got.startswith(expected), (got, expected)
    else:
        assert got == expected


def test_the_notebook_flow_parses_written_records(tmp_path):
    """Chapter 13: columns -> spec -> a TFRecord file of Examples -> batches parsed into features and targets."""
    fc = tf.feature_column
    age_mean, age_std = 28.6, 12.6
    housing_median_age = fc.numeric_column("housing_median_age", normalizer_fn=lambda x: (x - age_mean) / age_std)
    median_house_value = fc.numeric_column("median_house_value")
    columns = [housing_median_age, median_house_value]
    feature_descriptions = fc.make_parse_example_spec(columns)
    ages, values = np.array([41.0, 21.0, 52.0, 36.0]), np.array([4.526, 3.585, 3.521, 3.413])
    path = str(tmp_path / "my_data_with_features.tfrecords")
    with tf.io.TFRecordWriter(path) as f:
        for x, y in zip(ages, values):
            record = tf.train.Example(
                features=tf.train.Features(
                    feature={
                        "housing_median_age": tf.train.Feature(float_list=tf.train.FloatList(value=[x])),
                        "median_house_value": tf.train.Feature(float_list=tf.train.FloatList(value=[y])),
                    }
                )
            )
            f.write(record.SerializeToString())

    def parse_examples(serialized_examples):
        examples = tf.io.parse_example(serialized_examples, feature_descriptions)
        targets = examples.pop("median_house_value")
        return examples, targets

    dataset = tf.data.TFRecordDataset([path]).batch(3).map(parse_examples)
    batches = list(dataset)
    assert [len(targets) for _, targets in batches] == [3, 1]
    features, targets = batches[0]
    assert list(features) == ["housing_median_age"]
    np.testing.assert_allclose(features["housing_median_age"].numpy(), ages[:3, None].astype("float32"))
    np.testing.assert_allclose(targets.numpy(), values[:3, None].astype("float32"))
    normalized = housing_median_age.normalizer_fn(features["housing_median_age"])
    np.testing.assert_allclose(np.asarray(normalized), (ages[:3, None] - age_mean) / age_std, rtol=1e-6)


def test_the_reproducer_of_the_gap_runs(capsys):
    fc = tf.feature_column
    age = fc.numeric_column("housing_median_age", normalizer_fn=lambda x: (x - 28.0) / 12.0)
    income = fc.bucketized_column(fc.numeric_column("median_income"), boundaries=[1.5, 3.0, 4.5, 6.0])
    ocean = fc.categorical_column_with_vocabulary_list("ocean_proximity", ["<1H OCEAN", "INLAND"])
    spec = fc.make_parse_example_spec([age, fc.numeric_column("median_house_value")])
    print(spec)
    print(fc.indicator_column(ocean), fc.embedding_column(ocean, dimension=2))
    assert income.num_buckets == 5
    assert "FixedLenFeature(shape=(1,), dtype=tf.float32, default_value=None)" in capsys.readouterr().out


def test_the_namespace_has_tensorflows_names():
    expected = {
        "bucketized_column",
        "categorical_column_with_hash_bucket",
        "categorical_column_with_identity",
        "categorical_column_with_vocabulary_file",
        "categorical_column_with_vocabulary_list",
        "crossed_column",
        "embedding_column",
        "indicator_column",
        "make_parse_example_spec",
        "numeric_column",
        "sequence_categorical_column_with_hash_bucket",
        "sequence_categorical_column_with_identity",
        "sequence_categorical_column_with_vocabulary_file",
        "sequence_categorical_column_with_vocabulary_list",
        "sequence_numeric_column",
        "shared_embeddings",
        "weighted_categorical_column",
    }
    assert set(tf.feature_column.__all__) == expected
    assert tf.feature_column is fc_module
    assert tf.keras.__name__ == "learnet" and "feature_column" in dir(tf)


def test_columns_hold_tensorflows_attributes():
    fc = tf.feature_column
    age = fc.numeric_column("age", shape=2, default_value=1.5, dtype="float64")
    assert (age.key, age.shape, age.default_value, age.dtype) == ("age", (2,), (1.5, 1.5), tf.float64)
    assert age.normalizer_fn is None and age.name == "age"
    ocean = fc.categorical_column_with_vocabulary_list("ocean", ["A", "B"])
    assert ocean.dtype == tf.string and ocean.vocabulary_list == ("A", "B")
    embedded = fc.embedding_column(ocean, 3, combiner="sum")
    assert embedded.categorical_column is ocean and embedded.dimension == 3 and embedded.combiner == "sum"
    assert isinstance(embedded.initializer, tf.keras.initializers.TruncatedNormal)
    assert embedded.initializer.stddev == pytest.approx(1 / np.sqrt(3))
    weights = embedded.initializer((ocean.num_buckets, embedded.dimension))
    assert tuple(weights.shape) == (2, 3)
    assert fc.bucketized_column(fc.numeric_column("x"), [0.0]).source_column == fc.numeric_column("x")


def test_columns_are_immutable_hashable_and_compare_by_value():
    fc = tf.feature_column
    ocean = fc.categorical_column_with_vocabulary_list("ocean", ["A", "B"])
    assert ocean == fc.categorical_column_with_vocabulary_list("ocean", ("A", "B"))
    assert (
        len({ocean, fc.categorical_column_with_vocabulary_list("ocean", ["A", "B"]), fc.indicator_column(ocean)}) == 2
    )
    with pytest.raises(AttributeError):
        ocean.key = "other"
    with pytest.raises(AttributeError):
        ocean.extra = 1


def test_bad_arguments_change_nothing():
    fc = tf.feature_column
    boundaries, vocabulary, keys = [3.0, 1.0], ["a", "b", "a"], ["a"]
    source = fc.numeric_column("x")
    with pytest.raises(ValueError, match="sorted list"):
        fc.bucketized_column(source, boundaries)
    with pytest.raises(ValueError, match="Duplicate keys"):
        fc.categorical_column_with_vocabulary_list("c", vocabulary)
    with pytest.raises(ValueError, match="length > 1"):
        fc.crossed_column(keys, 10)
    assert boundaries == [3.0, 1.0] and vocabulary == ["a", "b", "a"] and keys == ["a"]
    assert source == fc.numeric_column("x")
    columns = [source, fc.numeric_column("x", shape=2)]
    with pytest.raises(ValueError, match="different parse_spec for key x"):
        fc.make_parse_example_spec(columns)
    assert columns == [fc.numeric_column("x"), fc.numeric_column("x", shape=2)]


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda fc: fc.numeric_column("x", shape=None), TypeError, "shape must be"),
        (lambda fc: fc.numeric_column("x", dtype="no such dtype"), TypeError, "not a data type"),
        (lambda fc: fc.categorical_column_with_identity("x", 2.5), TypeError, "num_buckets must be an integer"),
        (lambda fc: fc.categorical_column_with_vocabulary_file("x", "v.txt", 2.5), TypeError, "vocabulary_size"),
        (lambda fc: fc.embedding_column(fc.categorical_column_with_identity("x", 2), 2.5), TypeError, "dimension"),
        (lambda fc: fc.embedding_column(fc.categorical_column_with_identity("x", 2), "2"), TypeError, "dimension"),
        (lambda fc: fc.crossed_column("ab", 10), ValueError, "keys must be a list"),
        (lambda fc: fc.crossed_column(["a", "b"], "10"), TypeError, "hash_bucket_size"),
        (lambda fc: fc.weighted_categorical_column(fc.numeric_column("x"), "w"), ValueError, "CategoricalColumn"),
        (lambda fc: fc.weighted_categorical_column(fc.categorical_column_with_identity("x", 2), 3), ValueError, "key"),
        (lambda fc: fc.bucketized_column(fc.numeric_column("x"), [1.0, None]), ValueError, "numbers"),
    ],
)
def test_learnets_own_checks_raise_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make(tf.feature_column)


def test_defaults_and_dtypes_beyond_tensorflows_own_types():
    fc = tf.feature_column
    # NumPy scalars are numbers too (TensorFlow refuses them as defaults).
    assert fc.numeric_column("x", default_value=np.float32(0.5)).default_value == (0.5,)
    assert fc.numeric_column("x", shape=2, default_value=np.int64(3)).default_value == (3, 3)
    assert fc.numeric_column("x", shape=np.int64(2)).shape == (2,)
    assert fc.categorical_column_with_hash_bucket("x", 5, dtype="int32").dtype == tf.int32
    assert fc.categorical_column_with_hash_bucket("x", 5, dtype=str).dtype == tf.string


def test_vocabulary_file_counts_gzipped_tfrecords(tmp_path):
    path = str(tmp_path / "words.tfrecord.gz")
    with tf.io.TFRecordWriter(path, options="GZIP") as writer:
        for word in (b"red", b"green", b"blue", b"cyan"):
            writer.write(word)
    with gzip.open(path) as stream:  # it really is compressed
        assert stream.read(1)
    column = tf.feature_column.categorical_column_with_vocabulary_file("word", path)
    assert (column.file_format, column.vocabulary_size, column.num_buckets) == ("tfrecord_gzip", 4, 4)
    text = tmp_path / "words.txt"
    text.write_text("a\nb\n")
    assert tf.feature_column.categorical_column_with_vocabulary_file("w", text).vocabulary_file == str(text)


def test_parsing_a_vocabulary_column_gives_sparse_strings():
    fc = tf.feature_column
    ocean = fc.categorical_column_with_vocabulary_list("ocean", ["INLAND", "NEAR BAY"])
    weights = fc.weighted_categorical_column(fc.categorical_column_with_identity("ids", 5), "w")
    spec = fc.make_parse_example_spec([fc.indicator_column(ocean), weights])
    record = tf.train.Example(
        features=tf.train.Features(
            feature={
                "ocean": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"INLAND", b"ISLAND"])),
                "ids": tf.train.Feature(int64_list=tf.train.Int64List(value=[1, 4])),
                "w": tf.train.Feature(float_list=tf.train.FloatList(value=[0.5, 2.0])),
            }
        )
    ).SerializeToString()
    parsed = tf.io.parse_single_example(record, spec)
    assert parsed["ocean"].values.numpy().tolist() == [b"INLAND", b"ISLAND"]
    assert parsed["ids"].values.numpy().tolist() == [1, 4]
    np.testing.assert_allclose(parsed["w"].values.numpy(), [0.5, 2.0])
