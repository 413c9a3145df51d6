"""TensorFlow ops inside a custom layer called on symbolic Keras inputs give the dtype and
shape TensorFlow infers: ``table.lookup(tf.strings.split(x).to_tensor())`` on
``keras.Input(shape=[], dtype=tf.string)`` is int64 of shape (None, None), as in the Hands-On
Machine Learning notebook of chapter 13, whose next layer's ``tf.one_hot`` needs the ids.

The reference is tests/fixtures/symbolic_string_ops_reference.json, written by
tests/fixtures/make_symbolic_string_ops_fixture.py with TensorFlow 2.21.
"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import keras

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _fixture_module():
    path = FIXTURES / "make_symbolic_string_ops_fixture.py"
    spec = importlib.util.spec_from_file_location("make_symbolic_string_ops_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fixture = _fixture_module()
REFERENCE = json.loads((FIXTURES / "symbolic_string_ops_reference.json").read_text())
CASES = sorted(name for name in REFERENCE if name not in ("tensorflow_version", "ngrams_values"))


@pytest.fixture(scope="module")
def cases():
    return fixture.cases(tf, keras)


def test_the_reference_holds_every_case():
    assert REFERENCE["tensorflow_version"].startswith("2.")
    assert set(CASES) == set(fixture.cases(tf, keras))


@pytest.mark.parametrize("name", CASES)
def test_symbolic_and_eager_dtype_and_shape_as_tensorflow(cases, name):
    found = fixture.run_case(tf, keras, name, cases[name])
    assert found["eager"] == REFERENCE[name]["eager"]
    expected = REFERENCE[name]["symbolic"]
    if expected[0] == "error":  # TensorFlow cannot infer it; learnet gives what the eager call has, unknown sizes
        dtype, shape = found["eager"]
        assert found["symbolic"] == [dtype, [None] * len(shape)]
    else:
        assert found["symbolic"] == expected


@pytest.mark.parametrize("name", sorted(REFERENCE["ngrams_values"]))
def test_ngrams_values_as_tensorflow(name):
    assert fixture.as_lists(fixture.ngrams_cases(tf)[name]()) == REFERENCE["ngrams_values"][name]


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"ngram_width": 0}, ValueError, "ngram_widths must be ints greater than 0"),
        ({"ngram_width": (2, -1)}, ValueError, "ngram_widths must be ints greater than 0"),
        ({"ngram_width": 2, "padding_width": 1}, ValueError, "pad_values must be provided"),
        ({"ngram_width": 2, "pad_values": "#", "padding_width": 0}, tf.errors.InvalidArgumentError, "padding_width"),
        ({"ngram_width": 2, "pad_values": ("a", "b", "c")}, ValueError, "a pair of strings"),
    ],
)
def test_ngrams_refuses_bad_arguments(arguments, error, message):
    rows = tf.strings.split(tf.constant(["a b c", "d"]))
    before = rows.to_list()
    with pytest.raises(error, match=message):
        tf.strings.ngrams(rows, **arguments)
    assert rows.to_list() == before


def test_ngrams_refuses_a_scalar_and_numbers():
    with pytest.raises(ValueError, match="rank > 0"):
        tf.strings.ngrams(tf.constant("a b"), 2)
    with pytest.raises(TypeError, match="expects string tensors"):
        tf.strings.ngrams(tf.constant([1.0, 2.0]), 2)


# --- the notebook's flow: a text vectorizer, then a bag of words, in a Sequential model ------------------
class Vectorizer(keras.layers.Layer):
    """Hands-On ML's own TextVectorization of chapter 13: words to ids through a lookup table."""

    def __init__(self, vocabulary, n_oov_buckets=3, dtype=tf.string, **kwargs):
        super().__init__(dtype=dtype, **kwargs)
        words = tf.constant(vocabulary)
        ids = tf.range(len(vocabulary), dtype=tf.int64)
        self.table = tf.lookup.StaticVocabularyTable(tf.lookup.KeyValueTensorInitializer(words, ids), n_oov_buckets)

    def preprocess(self, inputs):
        x = tf.strings.substr(inputs, 0, 300)
        x = tf.strings.lower(x)
        x = tf.strings.regex_replace(x, b"<br\\s*/?>", b" ")
        x = tf.strings.regex_replace(x, b"[^a-z]", b" ")
        return tf.strings.split(x).to_tensor(default_value=b"<pad>")

    def call(self, inputs):
        return self.table.lookup(self.preprocess(inputs))


class BagOfWords(keras.layers.Layer):
    def __init__(self, n_tokens, dtype=tf.int32, **kwargs):
        super().__init__(dtype=dtype, **kwargs)
        self.n_tokens = n_tokens

    def call(self, inputs):
        one_hot = tf.one_hot(inputs, self.n_tokens)
        return tf.reduce_sum(one_hot, axis=1)[:, 1:]


VOCABULARY = ["<pad>", "great", "movie", "loved", "it", "bad"]
REVIEWS = np.array(["Great movie<br />loved it", "bad", "BAD bad movie", "it"], dtype=object)
LABELS = np.array([1.0, 0.0, 0.0, 1.0], dtype="float32")


def test_vectorizer_then_bag_of_words_on_a_symbolic_input():
    inputs = keras.Input(shape=[], dtype=tf.string)
    ids = Vectorizer(VOCABULARY)(inputs)
    assert (ids.dtype, tuple(ids.shape)) == ("int64", (None, None))
    bag = BagOfWords(len(VOCABULARY) + 3)(ids)
    assert (bag.dtype, tuple(bag.shape)) == ("float32", (None, len(VOCABULARY) + 2))


@pytest.mark.parametrize("with_input", [True, False])
def test_notebook_model_predicts_and_fits_one_step(with_input):
    tf.random.set_seed(1)
    n_tokens = len(VOCABULARY) + 3
    layers = [
        Vectorizer(VOCABULARY),
        BagOfWords(n_tokens),
        keras.layers.Dense(4, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
    model = keras.Sequential(([keras.Input(shape=[], dtype=tf.string)] if with_input else []) + layers)
    model.compile(loss="binary_crossentropy", optimizer="sgd")
    predictions = model.predict(REVIEWS, verbose=0)
    assert predictions.shape == (4, 1) and np.all((predictions > 0) & (predictions < 1))
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(REVIEWS, LABELS, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    # The bag of words counts the words of each review: "bad" twice and "movie" once in the third.
    bag = keras.Sequential(layers[:2])(tf.constant(REVIEWS)).numpy()
    assert bag[2, VOCABULARY.index("bad") - 1] == 2 and bag[2, VOCABULARY.index("movie") - 1] == 1


# --- a call that cannot take words, calls that fail, keys of the wrong kind ------------------------------
class ToNumber(keras.layers.Layer):
    def call(self, inputs):
        return tf.strings.to_number(inputs)


def test_a_call_that_takes_numbers_as_text_still_gets_its_shape():
    # TensorFlow 2.21: float32 (None,). The probe's words are not numbers: tried again on "".
    out = ToNumber()(keras.Input(shape=[], dtype=tf.string))
    assert (out.dtype, tuple(out.shape)) == ("float32", (None,))


class Broken(keras.layers.Layer):
    def call(self, inputs):
        raise ValueError("broken layer: no output")


def test_a_call_that_fails_on_text_raises_its_own_error():
    layer = Broken()
    with pytest.raises(ValueError, match="broken layer"):
        layer(keras.Input(shape=[], dtype=tf.string))
    assert layer._symbolic_shapes is None  # no node recorded


def test_a_table_of_text_keys_refuses_numbers_in_a_symbolic_call():
    table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(["a", "b"], [0, 1]), default_value=-1)

    class Lookup(keras.layers.Layer):
        def call(self, inputs):
            return table.lookup(inputs)

    with pytest.raises(TypeError, match="StaticHashTable.lookup: keys of dtype string expected"):
        Lookup()(keras.Input(shape=[2], dtype="int64"))
    assert table.lookup(tf.constant(["b", "z"])).numpy().tolist() == [1, -1]


def test_the_table_is_unchanged_by_a_symbolic_call():
    table = tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, default_value=-1)
    table.insert(tf.constant(["a"]), tf.constant([7], dtype=tf.int64))

    class Lookup(keras.layers.Layer):
        def call(self, inputs):
            return table.lookup(tf.strings.split(inputs).to_tensor())

    out = Lookup()(keras.Input(shape=[], dtype=tf.string))
    assert (out.dtype, tuple(out.shape)) == ("int64", (None, None))
    assert int(table.size().numpy()) == 1
    assert table.lookup(tf.constant(["a", "b"])).numpy().tolist() == [7, -1]


def test_float_layers_keep_their_float_type():
    # A float call in a float layer keeps the layer's float type (its dtype policy), as before.
    class Double(keras.layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    out = Double(dtype="float64")(keras.Input(shape=[3]))
    assert out.dtype == "float64"
    assert Double()(keras.Input(shape=[3])).dtype == "float32"


@pytest.mark.parametrize("kind", ["static", "vocabulary", "mutable"])
def test_a_table_refuses_a_symbolic_input_outside_a_layer(kind):
    # Keras 3 refuses TensorFlow functions on KerasTensors with a ValueError; inside a layer it works.
    words, ids = tf.constant(["a", "b"]), tf.constant([0, 1], dtype=tf.int64)
    if kind == "static":
        table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(words, ids), default_value=-1)
    elif kind == "vocabulary":
        table = tf.lookup.StaticVocabularyTable(tf.lookup.KeyValueTensorInitializer(words, ids), 2)
    else:
        table = tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, default_value=-1)
        table.insert(words, ids)
    with pytest.raises(ValueError, match="lookup: a KerasTensor .* custom Layer.*int64"):
        table.lookup(keras.Input(shape=[], dtype=tf.string))
    assert table.lookup(tf.constant(["b"])).numpy().tolist() == [1]
