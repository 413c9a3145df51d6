"""String tensors and tf.strings (values as TensorFlow documents them)."""

import numpy as np
import pytest

import learnet as tf


def test_string_tensors_hold_bytes():
    scalar = tf.constant("Gray wolf")
    vector = tf.constant(["Gray wolf", "Quick brown fox", "Lazy dog"])
    assert scalar.dtype == tf.string and scalar.numpy() == b"Gray wolf" and vector.shape == (3,)
    assert vector[1].numpy() == b"Quick brown fox" and "dtype=string" in repr(vector)
    assert tf.constant("🥳👍").numpy() == "🥳👍".encode("utf-8")
    with pytest.raises(ValueError, match="cannot convert"):
        tf.constant([["a"], ["b", "c"]])
    with pytest.raises(ValueError, match="to_number"):
        tf.constant(["1"], dtype=tf.float32)


def test_elementwise_string_functions():
    words = tf.constant(["Gray wolf", "Quick brown fox"])
    assert tf.strings.length(words).numpy().tolist() == [9, 15]
    assert tf.strings.length(tf.constant("héllo"), unit="UTF8_CHAR").numpy() == 5
    assert tf.strings.upper(words).numpy().tolist() == [b"GRAY WOLF", b"QUICK BROWN FOX"]
    assert tf.strings.lower(tf.constant("ABC")).numpy() == b"abc"
    assert tf.strings.strip(tf.constant("  x ")).numpy() == b"x"
    assert tf.strings.substr(words, 0, 4).numpy().tolist() == [b"Gray", b"Quic"]
    assert tf.strings.regex_replace(words, "o", "0").numpy().tolist() == [b"Gray w0lf", b"Quick br0wn f0x"]
    assert tf.strings.regex_full_match(words, r"Gray.*").numpy().tolist() == [True, False]
    assert tf.strings.join([words, tf.constant("!")], separator=" ").numpy().tolist()[0] == b"Gray wolf !"
    assert tf.strings.reduce_join(words, separator=", ").numpy() == b"Gray wolf, Quick brown fox"
    assert tf.strings.reduce_join(tf.constant([["a", "b"], ["c", "d"]]), axis=1).numpy().tolist() == [b"ab", b"cd"]


def test_numbers_and_strings():
    numbers = tf.strings.to_number(tf.constant(["1.5", "-2", "1e3"]))
    assert numbers.dtype == tf.float32 and numbers.numpy().tolist() == [1.5, -2.0, 1000.0]
    assert tf.strings.to_number(tf.constant(["7"]), out_type=tf.int32).numpy().tolist() == [7]
    assert tf.strings.as_string(tf.constant([3.14159]), precision=2).numpy().tolist() == [b"3.14"]
    with pytest.raises(ValueError, match="to_number"):
        tf.strings.to_number(tf.constant(["seven"]))
    with pytest.raises(TypeError, match="string tensors"):
        tf.strings.upper(tf.constant([1, 2]))


def test_splitting_gives_ragged_tensors():
    words = tf.constant(["Gray wolf", "Quick brown fox"])
    assert tf.strings.split(words).to_list() == [[b"Gray", b"wolf"], [b"Quick", b"brown", b"fox"]]
    assert tf.strings.split(tf.constant("a,b,c"), sep=",").numpy().tolist() == [b"a", b"b", b"c"]
    assert tf.strings.bytes_split(tf.constant("abc")).numpy().tolist() == [b"a", b"b", b"c"]
    code_points = tf.strings.unicode_decode(tf.constant(["héllo", "hi"]), "UTF-8")
    assert code_points.to_list() == [[104, 233, 108, 108, 111], [104, 105]]
    assert tf.strings.unicode_encode(code_points, "UTF-8").numpy().tolist() == ["héllo".encode(), b"hi"]
    assert tf.strings.unicode_split(tf.constant("hé"), "UTF-8").numpy().tolist() == [b"h", "é".encode()]
    assert np.array_equal(tf.strings.unicode_decode(tf.constant("ok"), "UTF-8").numpy(), [111, 107])


def test_plus_concatenates_strings_as_tensorflow_does():
    # Values as TensorFlow 2.21 prints them: tf.constant("x") + tf.constant("x") -> b'xx'.
    word = tf.constant("x")
    joined = word + word
    assert joined.dtype == tf.string and joined.shape == () and joined.numpy() == b"xx"
    assert (word + "yz").numpy() == b"xyz" and ("a" + word).numpy() == b"ax"
    assert (tf.constant(["a", "b"]) + "c").numpy().tolist() == [b"ac", b"bc"]
    grid = tf.constant([["a"], ["b"]]) + tf.constant(["1", "2"])
    assert grid.shape == (2, 2) and grid.numpy().tolist() == [[b"a1", b"a2"], [b"b1", b"b2"]]
    assert tf.add(word, word).numpy() == b"xx"


def test_plus_refuses_a_string_and_a_number():
    with pytest.raises(TypeError, match="string tensor and a int32 tensor"):
        tf.constant("x") + tf.constant(1)
    with pytest.raises(ValueError, match="cannot be broadcast"):
        tf.constant(["a", "b"]) + tf.constant(["a", "b", "c"])


def test_a_text_tensors_dtype_equals_string_as_in_tensorflow():
    text = tf.constant(["a", "b"])
    assert text.dtype == "string" and text.dtype == tf.string and text.dtype != "float32"
    assert text.dtype.kind == "O" and np.zeros(2, dtype=text.dtype).dtype == np.dtype(object)
    assert tf.constant([1.0]).dtype != "string" and tf.constant([1.0]).dtype == np.float32


def test_regex_replace_reads_re2_rewrites_as_tensorflow():
    # \0 is the whole match (the NMT tutorial spaces out punctuation with r" \0 "); Python's re
    # alone would write a NUL character there.
    assert tf.strings.regex_replace(tf.constant(["hola, que tal?"]), "[.?!,]", r" \0 ").numpy().tolist() == [
        b"hola ,  que tal ? "
    ]
    assert tf.strings.regex_replace("abc-def", r"(\w+)-(\w+)", r"\2_\1").numpy() == b"def_abc"
    assert tf.strings.regex_replace("a.b", r"\.", "\\\\").numpy() == b"a\\b"
    assert tf.strings.regex_replace("aaa", "a", "b", replace_global=False).numpy() == b"baa"
    with pytest.raises(ValueError, match="rewrite"):
        tf.strings.regex_replace("a.b", r"\.", r"\q")
