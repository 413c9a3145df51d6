"""``tf.strings`` on a ``RaggedTensor`` of strings: ``reduce_join`` along the ragged axis
(TensorFlow's text-generation tutorial joins ``tf.strings.unicode_split(...)`` back into
words with ``tf.strings.reduce_join(chars, axis=-1)``), along the rows, over everything;
``join`` value by value; the elementwise functions keep the rows. Compared with real
TensorFlow (tests/fixtures/make_tf_iterators_strings_fixture.py, ``strings/...``)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import learnet as tf

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = np.load(FIXTURES / "tf_iterators_strings_reference.npz")


def _fixture_maker():
    spec = importlib.util.spec_from_file_location(
        "make_tf_iterators_strings_fixture", FIXTURES / "make_tf_iterators_strings_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = _fixture_maker().string_cases(tf)


def _as_bytes(array):
    array = np.asarray(array)
    return array.astype(bytes) if array.dtype == object else array


@pytest.mark.parametrize("name", sorted(CASES))
def test_ragged_strings_as_tensorflow(name):
    result = CASES[name]()
    if isinstance(result, tf.RaggedTensor):
        np.testing.assert_array_equal(_as_bytes(result.flat_values.numpy()), REFERENCE[f"strings/{name}/values"])
        np.testing.assert_array_equal(result.row_splits.numpy(), REFERENCE[f"strings/{name}/splits"])
    else:
        expected = REFERENCE[f"strings/{name}"]
        assert result.shape == expected.shape
        np.testing.assert_array_equal(_as_bytes(result.numpy()), expected)


def test_the_text_generation_tutorials_round_trip():
    chars = tf.strings.unicode_split(["abcdefg", "xyz"], input_encoding="UTF-8")
    assert tf.strings.reduce_join(chars, axis=-1).numpy().tolist() == [b"abcdefg", b"xyz"]


def test_reduce_join_of_no_rows_and_of_empty_rows():
    empty = tf.strings.unicode_split(["", ""], "UTF-8")
    assert tf.strings.reduce_join(empty, axis=-1).numpy().tolist() == [b"", b""]
    assert tf.strings.reduce_join(empty, axis=0).numpy().tolist() == []
    assert tf.strings.reduce_join(empty).numpy() == b""


def test_upper_and_lower_change_ascii_letters_unless_told_utf8_as_tensorflow():
    assert tf.strings.upper("hé").numpy() == b"H" + "é".encode()
    assert tf.strings.upper("hé", encoding="utf-8").numpy() == "HÉ".encode()
    assert tf.strings.lower("HÉ").numpy() == b"h" + "É".encode()


@pytest.mark.parametrize("axis", [2, -3, 1.0, "1"])
def test_reduce_join_refuses_an_axis_a_ragged_matrix_does_not_have(axis):
    chars = tf.strings.unicode_split(["ab", "c"], "UTF-8")
    with pytest.raises(ValueError, match="out of bounds"):
        tf.strings.reduce_join(chars, axis=axis)


def test_reduce_join_refuses_ragged_numbers():
    with pytest.raises(TypeError, match="expects string tensors"):
        tf.strings.reduce_join(tf.ragged.constant([[1, 2], [3]]), axis=1)


def test_join_refuses_ragged_tensors_with_other_rows_and_dense_vectors():
    chars = tf.strings.unicode_split(["ab", "c"], "UTF-8")
    other = tf.ragged.constant([["a"], ["b", "c"]])
    with pytest.raises(ValueError, match="same rows"):
        tf.strings.join([chars, other])
    with pytest.raises(ValueError, match="single string"):
        tf.strings.join([chars, tf.constant(["x", "y"])])


@pytest.mark.parametrize("function", ["split", "unicode_split", "bytes_split", "unicode_decode"])
def test_splitting_a_ragged_tensor_says_to_split_its_flat_values(function):
    words = tf.ragged.constant([["a b", "c"], ["d"]])
    with pytest.raises(ValueError, match="ragged rank 2.*flat_values"):
        getattr(tf.strings, function)(words) if function in ("split", "bytes_split") else getattr(tf.strings, function)(
            words, "UTF-8"
        )
    rows = tf.strings.split(words.flat_values)
    assert rows.to_list() == [[b"a", b"b"], [b"c"], [b"d"]]
