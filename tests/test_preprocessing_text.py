"""The Keras 2 text helpers (``learnet.preprocessing.text``), on texts whose answers are worked out by hand."""

import numpy as np
import pytest

import learnet as tf
from learnet.preprocessing.sequence import pad_sequences
from learnet.preprocessing.text import (
    Tokenizer,
    hashing_trick,
    one_hot,
    text_to_word_sequence,
)

TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "the cat, the dog"]


def test_text_to_word_sequence():
    assert text_to_word_sequence("Hello, World!\tHello.") == ["hello", "world", "hello"]
    assert text_to_word_sequence("A-B c", filters="", lower=False) == ["A-B", "c"]


def test_tokenizer_index_sequences_and_matrices():
    tokenizer = Tokenizer(num_words=5)
    tokenizer.fit_on_texts(TEXTS)
    # "the" 5 times; "cat" and "dog" twice (cat seen first); then the rest in first-seen order.
    assert list(tokenizer.word_index)[:5] == ["the", "cat", "dog", "sat", "on"]
    assert tokenizer.document_count == 3 and tokenizer.word_counts["the"] == 5
    assert tokenizer.texts_to_sequences(["the dog sat on a mat"]) == [[1, 3, 4]]  # ids >= 5 dropped
    assert tokenizer.sequences_to_texts([[1, 3, 4, 9]]) == ["the dog sat"]
    binary = tokenizer.texts_to_matrix(["the the cat"], mode="binary")
    np.testing.assert_array_equal(binary, [[0, 1, 1, 0, 0]])
    np.testing.assert_array_equal(tokenizer.texts_to_matrix(["the the cat"], mode="count"), [[0, 2, 1, 0, 0]])
    np.testing.assert_allclose(tokenizer.texts_to_matrix(["the the cat"], mode="freq"), [[0, 2 / 3, 1 / 3, 0, 0]])
    tfidf = tokenizer.texts_to_matrix(["the the cat"], mode="tfidf")
    # "the" is in all 3 documents, "cat" in 2: idf = log(1 + 3 / (1 + docs)).
    np.testing.assert_allclose(tfidf[0, 1], (1 + np.log(2)) * np.log(1 + 3 / 4))
    np.testing.assert_allclose(tfidf[0, 2], np.log(1 + 3 / 3))


def test_tokenizer_oov_token_and_padding_feed_an_embedding():
    tokenizer = Tokenizer(oov_token="<OOV>")
    tokenizer.fit_on_texts(TEXTS)
    assert tokenizer.word_index["<OOV>"] == 1 and tokenizer.word_index["the"] == 2
    sequences = tokenizer.texts_to_sequences(["the unicorn sat", "dog"])
    assert sequences == [[2, 1, tokenizer.word_index["sat"]], [tokenizer.word_index["dog"]]]
    padded = pad_sequences(sequences, maxlen=4)
    assert padded.shape == (2, 4) and padded[1].tolist() == [0, 0, 0, tokenizer.word_index["dog"]]
    embedded = tf.keras.layers.Embedding(len(tokenizer.word_index) + 1, 3, mask_zero=True)(padded)
    np.testing.assert_array_equal(embedded._keras_mask.numpy(), padded != 0)


def test_hashing_is_stable_and_in_range():
    ids = one_hot("the cat the", 10)
    assert ids[0] == ids[2] and all(1 <= i < 10 for i in ids)
    assert hashing_trick("the cat the", 10) == ids


def test_a_single_string_is_read_as_its_characters_as_keras_reads_it():
    # TensorFlow 2.21's tf.keras Tokenizer: 17 characters, 32 texts, [[5, 2, 3, 9, 6]].
    tokenizer = Tokenizer(char_level=True)
    tokenizer.fit_on_texts("First Citizen:\nBefore we proceed")
    assert (len(tokenizer.word_index), tokenizer.document_count) == (17, 32)
    assert tokenizer.texts_to_sequences(["First"]) == [[5, 2, 3, 9, 6]]
    words = Tokenizer()
    words.fit_on_texts("hello world")
    assert words.word_index == {"l": 1, "o": 2, "h": 3, "e": 4, "w": 5, "r": 6, "d": 7}


def test_bad_use_gets_a_clear_error():
    with pytest.raises(ValueError, match="mode must be"):
        Tokenizer(num_words=3).texts_to_matrix(["a"], mode="onehot")
    with pytest.raises(ValueError, match="fit it on texts"):
        Tokenizer().texts_to_matrix(["a"])
