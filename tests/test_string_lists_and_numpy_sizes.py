"""Text given inside Python lists of tensors, string padding, and NumPy integers as layer sizes,
as TensorFlow 2.21 takes them (values from TF noted beside each check)."""

import numpy as np
import pytest

import learnet as tf
from learnet import layers


def test_a_list_of_string_tensors_converts():
    text = tf.constant("deep learning model")
    converted = tf.convert_to_tensor([text])  # TF: [b'deep learning model'], dtype string
    assert converted.dtype == tf.string and converted.shape == (1,)
    assert converted.numpy().tolist() == [b"deep learning model"]
    nested = tf.constant([[text], [tf.constant("b")]])
    assert nested.shape == (2, 1) and nested.numpy().tolist() == [[b"deep learning model"], [b"b"]]


def test_a_list_of_number_tensors_still_converts():
    assert tf.convert_to_tensor([tf.constant(1.0), tf.constant(2.0)]).numpy().tolist() == [1.0, 2.0]


def test_string_padding_holds_bytes():
    text = tf.constant("deep learning model")
    padded = tf.pad([text], [[0, 2]], constant_values="<pad>")  # TF: [b'deep...' b'<pad>' b'<pad>']
    assert padded.numpy().tolist() == [b"deep learning model", b"<pad>", b"<pad>"]
    assert {type(v) for v in padded.numpy()} == {bytes}
    two_d = tf.pad(tf.constant([["x"]]), [[1, 0], [0, 1]], constant_values=b"-")
    assert two_d.numpy().tolist() == [[b"-", b"-"], [b"x", b"-"]]


def test_text_vectorization_takes_a_numpy_integer_max_tokens():
    vectorizer = layers.TextVectorization(max_tokens=np.int64(50), ngrams=2, output_mode="tf_idf")
    vectorizer.adapt(["a b c", "a b d e"])
    assert vectorizer.max_tokens == 50 and type(vectorizer.max_tokens) is int
    assert tuple(vectorizer(tf.constant([["a b c"]])).shape) == (1, 10)  # TF: (1, 10)
    with pytest.raises(ValueError, match="max_tokens"):
        layers.TextVectorization(max_tokens=True)
    with pytest.raises(ValueError, match="max_tokens"):
        layers.TextVectorization(max_tokens=np.float32(5.0))


def test_regex_patterns_as_bytes_or_tensors():
    # Hands-On ML's text cleaning passes bytes patterns; TF 2.21's results beside.
    text = tf.constant(["It's a great<br />movie!", "Terrible, run away"])
    assert tf.strings.regex_replace(text, b"<br\\s*/?>", b" ").numpy().tolist() == [
        b"It's a great movie!",
        b"Terrible, run away",
    ]
    assert tf.strings.regex_replace(text, b"[^a-z]", b" ").numpy().tolist() == [
        b" t s a great br   movie ",
        b" errible  run away",
    ]
    assert tf.strings.regex_full_match(text, tf.constant("T.*")).numpy().tolist() == [False, True]
    with pytest.raises(TypeError, match="regular expression"):
        tf.strings.regex_replace(text, 3, "x")


def test_split_separator_as_bytes_or_tensor():
    text = tf.constant(["a<b<c", "d"])
    expected = [[b"a", b"b", b"c"], [b"d"]]  # TF 2.21
    assert tf.strings.split(text, sep=b"<").to_list() == expected
    assert tf.strings.split(text, sep=tf.constant("<")).to_list() == expected
