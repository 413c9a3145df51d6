"""``tf.lookup``: tables from keys to values, against real TensorFlow 2.21's lookups
(tests/fixtures/make_tf_lookup_fixture.py)."""

import sys
from pathlib import Path

import numpy as np
import pytest

import learnet as tf

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures"))
from make_tf_lookup_fixture import ID_QUERIES, IDS, QUERIES, WORDS  # noqa: E402

REFERENCE = np.load(Path(__file__).resolve().parent / "fixtures" / "tf_lookup_reference.npz")


def test_vocabulary_table_ids_and_oov_buckets_equal_tensorflow():
    words = tf.lookup.StaticVocabularyTable(
        tf.lookup.KeyValueTensorInitializer(WORDS, tf.constant([0, 1, 2], "int64")), num_oov_buckets=5
    )
    np.testing.assert_array_equal(words.lookup(tf.constant(QUERIES)).numpy(), REFERENCE["words"])
    ids = tf.lookup.StaticVocabularyTable(
        tf.lookup.KeyValueTensorInitializer(tf.constant(IDS, "int64"), tf.constant([0, 1], "int64")), num_oov_buckets=3
    )
    np.testing.assert_array_equal(ids.lookup(tf.constant(ID_QUERIES, "int64")).numpy(), REFERENCE["ids"])
    assert int(words.size()) == 8


def test_hash_table_default_value_shape_and_dtype():
    table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(WORDS, [7, 8, 9]), default_value=-1)
    got = table.lookup(tf.constant(QUERIES))
    np.testing.assert_array_equal(got.numpy(), REFERENCE["hashed"])
    assert got.dtype == REFERENCE["hashed"].dtype == np.int32
    assert table.lookup(tf.constant([["a", "q"], ["c", "b"]])).numpy().tolist() == [[7, -1], [9, 8]]
    assert table.lookup(tf.ragged.constant([["a", "b"], ["z"]])).to_list() == [[7, 8], [-1]]
    keys, values = table.export()
    assert dict(zip(keys.numpy().tolist(), values.numpy().tolist())) == {"a": 7, "b": 8, "c": 9}


def test_text_file_initializer(tmp_path):
    path = tmp_path / "vocabulary.txt"
    path.write_text("cat\t3\ndog\t5\nbird\t8\n")
    by_line = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(
            str(path), "string", 0, "int64", tf.lookup.TextFileIndex.LINE_NUMBER, delimiter="\t"
        ),
        default_value=-1,
    )
    assert by_line.lookup(tf.constant(["dog", "cow", "bird"])).numpy().tolist() == [1, -1, 2]
    by_column = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(str(path), "string", 0, "int64", 1, delimiter="\t"), default_value=0
    )
    assert by_column.lookup(tf.constant(["bird", "cat"])).numpy().tolist() == [8, 3]


def test_mutable_hash_table():
    table = tf.lookup.experimental.MutableHashTable(key_dtype="string", value_dtype="int64", default_value=-1)
    table.insert(["x", "y"], tf.constant([5, 6], "int64"))
    table.insert(["y"], tf.constant([7], "int64"))
    assert table.lookup(tf.constant(["x", "y", "q"])).numpy().tolist() == [5, 7, -1]
    table.remove(["x"])
    assert int(table.size()) == 1 and table.lookup(["x"]).numpy().tolist() == [-1]


def test_bad_tables_and_keys_are_refused():
    with pytest.raises(ValueError, match="one length"):
        tf.lookup.KeyValueTensorInitializer(["a", "b"], [1])
    with pytest.raises(ValueError, match="distinct"):
        tf.lookup.KeyValueTensorInitializer(["a", "a"], [1, 2])
    with pytest.raises(ValueError, match="num_oov_buckets"):
        tf.lookup.StaticVocabularyTable(tf.lookup.KeyValueTensorInitializer(["a"], tf.constant([0], "int64")), 0)
    table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(["a"], [1]), default_value=0)
    with pytest.raises(TypeError, match="keys of dtype string"):
        table.lookup(tf.constant([1, 2]))
