"""TextVectorization against Keras 3 (fixtures/text_keras.json, made by make_text_fixtures.py)."""

import json
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import layers

SPEC = json.loads((Path(__file__).resolve().parent / "fixtures" / "text_keras.json").read_text())


@pytest.mark.parametrize("case", SPEC["cases"], ids=[json.dumps(c["kwargs"]) for c in SPEC["cases"]])
def test_vocabulary_and_outputs_equal_keras(case):
    layer = layers.TextVectorization(**case["kwargs"])
    layer.adapt(SPEC["corpus"])
    assert layer.get_vocabulary() == case["vocabulary"]
    out = layer(SPEC["queries"]).numpy()
    expected = np.array(case["output"])
    assert out.shape == expected.shape
    assert out.dtype == np.dtype(case["dtype"])
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_given_vocabulary_and_round_trip_through_config():
    layer = layers.TextVectorization(vocabulary=["cat", "dog"], output_sequence_length=3)
    np.testing.assert_array_equal(layer(["Dog, cat & bird"]).numpy(), [[3, 2, 1]])
    clone = layers.TextVectorization.from_config(layer.get_config())
    assert clone.get_vocabulary() == ["", "[UNK]", "cat", "dog"]
    np.testing.assert_array_equal(clone(np.array([["dog"]])).numpy(), [[3, 0, 0]])


def test_text_model_trains_on_vectorized_reviews():
    reviews = ["good fun", "great film", "bad plot", "dull and bad", "good and great", "dull film"] * 20
    labels = np.array([1, 1, 0, 0, 1, 0] * 20, dtype="float32")
    vectorize = layers.TextVectorization(output_mode="multi_hot")
    vectorize.adapt(reviews)
    x = vectorize(reviews).numpy()
    model = tf.keras.Sequential([layers.Input((x.shape[1],)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=tf.keras.optimizers.Adam(0.1), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, labels, epochs=20, verbose=0)
    assert model.evaluate(x, labels, verbose=0)[1] == 1.0


def test_bad_use_gets_a_clear_error():
    with pytest.raises(ValueError, match="output_mode must be one of"):
        layers.TextVectorization(output_mode="one_hot_please")
    with pytest.raises(ValueError, match="output_sequence_length only applies"):
        layers.TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(RuntimeError, match="has no vocabulary"):
        layers.TextVectorization()(["text"])
    layer = layers.TextVectorization()
    layer.adapt(["a b"])
    assert layer("a b").numpy().tolist() == [3, 2]  # one string: one unbatched row, as Keras
    with pytest.raises(TypeError, match="expects strings"):
        layer([1, 2])
    assert layer.get_vocabulary() == ["", "[UNK]", "b", "a"]
    with pytest.raises(ValueError, match="needs idf_weights"):
        layers.TextVectorization(output_mode="tf_idf", vocabulary=["a"])


def test_a_custom_standardize_of_tf_strings_ops_and_a_sequential_that_starts_with_text():
    # As TensorFlow's text classification tutorial does: a standardize written with tf.strings
    # ops, then a Sequential that starts with the vectorizer and predicts raw strings.
    def clean(text):
        return tf.strings.regex_replace(tf.strings.regex_replace(tf.strings.lower(text), "<br />", " "), "[!.]", "")

    vectorize = layers.TextVectorization(standardize=clean, output_sequence_length=4)
    vectorize.adapt(tf.data.Dataset.from_tensor_slices(["Great film!<br />Great.", "Bad film."]).batch(2))
    assert vectorize.get_vocabulary() == ["", "[UNK]", "great", "film", "bad"]
    assert vectorize(["GREAT<br />bad!"]).numpy().tolist() == [[2, 4, 0, 0]]
    export = tf.keras.Sequential([vectorize, layers.Embedding(5, 2), layers.GlobalAveragePooling1D(), layers.Dense(1)])
    assert export.predict(tf.constant(["great film", "bad"]), verbose=0).shape == (2, 1)


def test_one_string_gives_one_row_as_keras():
    # The Keras book (chapter 11) encodes one test sentence; ids as TensorFlow 2.21 gives them.
    layer = layers.TextVectorization(output_mode="int")
    layer.adapt(["I write, erase, rewrite", "Erase again, and then", "A poppy blooms."])
    assert layer("I write, rewrite, and still rewrite again").numpy().tolist() == [7, 3, 5, 9, 1, 5, 10]
    multi_hot = layers.TextVectorization(output_mode="multi_hot")
    multi_hot.adapt(["a b", "c"])
    assert multi_hot(tf.constant("a c")).numpy().tolist() == [0, 1, 0, 1]


def test_ragged_token_ids_feed_a_recurrent_model_as_masked_rows():
    # Hands-On (chapter 16): TextVectorization(ragged=True) -> Embedding -> GRU. learnet pads the
    # rows and masks the padding, so a short review gives the same prediction alone or beside a long one.
    texts = ["great movie", "this is dicaprio's best role", "bad", "terrible boring movie", "loved it so much"] * 8
    labels = np.array([1, 1, 0, 0, 1] * 8)
    train_set = tf.data.Dataset.from_tensor_slices((texts, labels)).batch(8)
    vectorize = layers.TextVectorization(max_tokens=50, ragged=True)
    vectorize.adapt(train_set.map(lambda reviews, labels: reviews))
    ids = vectorize(["Great movie!", "This is DiCaprio's best role."])
    assert isinstance(ids, tf.RaggedTensor) and [len(row) for row in ids.to_list()] == [2, 5]
    model = tf.keras.Sequential(
        [vectorize, layers.Embedding(50, 8), layers.GRU(8), layers.Dense(1, activation="sigmoid")]
    )
    model.compile(loss="binary_crossentropy", optimizer="nadam")
    model.fit(train_set, epochs=1, verbose=0)
    alone = model.predict(np.array(["bad"]), verbose=0)
    beside = model.predict(np.array(["bad", "this is dicaprio's best role"]), verbose=0)
    np.testing.assert_allclose(alone[0], beside[0], atol=1e-6)
    assert layers.TextVectorization.from_config(vectorize.get_config()).ragged
    with pytest.raises(ValueError, match="ragged=True needs output_mode='int'"):
        layers.TextVectorization(output_mode="multi_hot", ragged=True)


def test_text_vectorization_reads_binary_as_multi_hot():
    # tf.keras 2.21 still takes output_mode="binary", TensorFlow's older name for multi_hot.
    from learnet import layers as keras_layers

    layer = keras_layers.TextVectorization(output_mode="binary", max_tokens=5)
    layer.adapt(["a b", "b c"])
    assert layer.get_config()["output_mode"] == "multi_hot"
    reference = keras_layers.TextVectorization(output_mode="multi_hot", max_tokens=5)
    reference.adapt(["a b", "b c"])
    np.testing.assert_array_equal(layer(["a b", "c"]).numpy(), reference(["a b", "c"]).numpy())
