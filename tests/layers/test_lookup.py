"""StringLookup, IntegerLookup, CategoryEncoding and Discretization (learnet.layers.lookup).

CategoryEncoding and Discretization are compared with real Keras 3 on JAX. Keras'
StringLookup and IntegerLookup need TensorFlow even on JAX, so they are checked
against the examples of Keras' own docstrings (the values Keras documents).
"""

import numpy as np
import pytest

import learnet as tf
from learnet import layers
from learnet.data import Dataset
from learnet.layers.lookup import CategoryEncoding, Discretization, IntegerLookup, StringLookup

VOCAB = ["a", "b", "c", "d"]
DATA = [["a", "c", "d"], ["d", "z", "b"]]
COUNT_DATA = [["a", "c", "d", "d"], ["d", "z", "b", "z"]]


# --- StringLookup: Keras' docstring examples ------------------------------------------------------


def test_string_lookup_with_a_known_vocabulary():
    out = StringLookup(vocabulary=VOCAB)(DATA)
    assert out.numpy().dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), [[1, 3, 4], [4, 0, 2]])


def test_string_lookup_adapt_orders_by_count_then_reverse_token():
    layer = StringLookup()
    layer.adapt(DATA)
    assert layer.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    assert layer.get_vocabulary(include_special_tokens=False) == ["d", "z", "c", "b", "a"]
    assert layer.vocabulary_size() == 6
    np.testing.assert_array_equal(layer(DATA).numpy(), [[5, 3, 1], [1, 2, 4]])


def test_adapt_reads_arrays_lists_bytes_and_learnet_datasets_alike():
    texts = np.array([["red"], ["blue"], ["red"], ["green"], ["blue"], ["red"]])
    expected = ["[UNK]", "red", "blue", "green"]
    for data in (
        texts,
        texts[:, 0].tolist(),
        texts.astype("S"),
        tf.constant(texts),
        Dataset.from_tensor_slices(texts).batch(4),
        Dataset.from_tensor_slices((texts, np.zeros(6))).batch(4),  # (x, y) pairs: x is learned
    ):
        layer = StringLookup()
        layer.adapt(data)
        assert layer.get_vocabulary() == expected, type(data)
    layer = StringLookup()
    layer.adapt(Dataset.from_tensor_slices(texts).batch(2), steps=1)
    assert layer.get_vocabulary() == ["[UNK]", "red", "blue"]


def test_adapt_leaves_special_tokens_out_and_keeps_max_tokens():
    layer = StringLookup(max_tokens=3, mask_token="")
    layer.adapt([["x", "x", "", "[UNK]", "y", "z", "z", "z"]])
    assert layer.get_vocabulary() == ["", "[UNK]", "z"]
    layer = IntegerLookup(max_tokens=4)
    layer.adapt(np.array([5, 5, 5, 7, 7, 9, -1, -1, -1, -1]))
    assert layer.get_vocabulary() == [-1, 5, 7, 9]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("multi_hot", [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]),
        ("count", [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]]),
    ],
)
def test_string_lookup_vector_modes(mode, expected):
    out = StringLookup(vocabulary=VOCAB, output_mode=mode)(COUNT_DATA).numpy()
    assert out.dtype == np.float32  # Keras' output spec: floatx
    np.testing.assert_array_equal(out, expected)


def test_string_lookup_one_hot_of_rank_1_and_rank_2_inputs():
    layer = StringLookup(vocabulary=VOCAB, output_mode="one_hot")
    expected = np.eye(5, dtype="float32")[[1, 2, 3, 4, 0]]
    np.testing.assert_array_equal(layer(["a", "b", "c", "d", "z"]).numpy(), expected)
    np.testing.assert_array_equal(layer(np.array([["a"], ["b"], ["c"], ["d"], ["z"]])).numpy(), expected)
    assert layer(np.array([["a", "b"], ["c", "z"]])).shape == (2, 2, 5)


def test_string_lookup_tf_idf_with_and_without_the_oov_weight():
    layer = StringLookup(output_mode="tf_idf")
    layer.set_vocabulary(VOCAB, idf_weights=[0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(layer(COUNT_DATA).numpy(), [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]], rtol=1e-6)
    layer = StringLookup(output_mode="tf_idf")
    layer.set_vocabulary(["[UNK]"] + VOCAB, idf_weights=[0.9, 0.25, 0.75, 0.6, 0.4])
    out = layer(COUNT_DATA).numpy()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0, 0.25, 0, 0.6, 0.8], [1.8, 0, 0.75, 0, 0.4]], rtol=1e-6)


def test_tf_idf_adapt_learns_inverse_document_frequencies():
    documents = [["a", "b"], ["a", "a"], ["c", "a"]]
    layer = StringLookup(output_mode="tf_idf")
    layer.adapt(documents)
    assert layer.get_vocabulary() == ["[UNK]", "a", "c", "b"]
    idf = np.log(1 + 3 / (1 + np.array([3.0, 1.0, 1.0])))
    out = layer([["a", "a", "b", "q"]]).numpy()
    np.testing.assert_allclose(out, [[idf.mean(), 2 * idf[0], 0, idf[2]]], rtol=1e-6)


def test_invert_maps_indices_back_and_round_trips():
    forward = StringLookup(vocabulary=VOCAB)
    inverse = StringLookup(vocabulary=VOCAB, invert=True)
    out = inverse(forward(DATA))
    assert out.dtype == tf.string
    np.testing.assert_array_equal(out.numpy(), np.array([[b"a", b"c", b"d"], [b"d", b"[UNK]", b"b"]], dtype=object))
    np.testing.assert_array_equal(inverse([[1, 3, 4], [4, 0, 99]]).numpy()[1], [b"d", b"[UNK]", b"[UNK]"])
    adapted = StringLookup()
    adapted.adapt(DATA)
    back = StringLookup(vocabulary=adapted.get_vocabulary(), invert=True)
    assert back(adapted(DATA)).numpy().tolist() == [[b"a", b"c", b"d"], [b"d", b"z", b"b"]]


def test_mask_token_is_index_0_in_int_mode_and_counts_nowhere_in_vectors():
    layer = StringLookup(vocabulary=VOCAB, mask_token="")
    assert layer.get_vocabulary() == ["", "[UNK]", "a", "b", "c", "d"]
    np.testing.assert_array_equal(layer([["a", "", "z"]]).numpy(), [[2, 0, 1]])
    inverse = StringLookup(vocabulary=VOCAB, mask_token="", invert=True)
    assert inverse([[2, 0, 1]]).numpy().tolist() == [[b"a", b"", b"[UNK]"]]
    hot = StringLookup(vocabulary=VOCAB, mask_token="", output_mode="multi_hot")
    assert hot.vocabulary_size() == 5  # no mask slot outside "int" mode
    np.testing.assert_array_equal(hot([["a", "", ""]]).numpy(), [[0, 1, 0, 0, 0]])
    # The vocabulary may also list the special tokens first, in their order.
    assert StringLookup(vocabulary=["", "[UNK]", "a"], mask_token="").get_vocabulary() == ["", "[UNK]", "a"]


def test_several_oov_indices_hash_strings_as_keras_does():
    layer = StringLookup(vocabulary=VOCAB, num_oov_indices=2)
    np.testing.assert_array_equal(layer([["a", "c", "d"], ["m", "z", "b"]]).numpy(), [[2, 4, 5], [0, 1, 3]])
    farm = IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4, oov_method="farmhash")
    np.testing.assert_array_equal(farm(np.array([100, 300, 700, 1100, 1700, 2000])).numpy(), [3, 3, 2, 2, 0, 1])


def test_num_oov_indices_zero_refuses_unknown_tokens():
    layer = StringLookup(vocabulary=VOCAB, num_oov_indices=0)
    np.testing.assert_array_equal(layer(["a", "d"]).numpy(), [0, 3])
    with pytest.raises(ValueError, match=r"num_oov_indices=0.*\['z'\]"):
        layer(["a", "z"])


def test_vocabulary_from_a_file_and_set_vocabulary(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\nc\nd\n", encoding="utf-8")
    layer = StringLookup(vocabulary=str(path))
    np.testing.assert_array_equal(layer(DATA).numpy(), [[1, 3, 4], [4, 0, 2]])
    layer.set_vocabulary(["z"])
    assert layer.get_vocabulary() == ["[UNK]", "z"]
    numbers = tmp_path / "ids.txt"
    numbers.write_text("12\n36\n", encoding="utf-8")
    assert IntegerLookup(vocabulary=str(numbers)).get_vocabulary() == [-1, 12, 36]


def test_pad_to_max_tokens_fixes_the_vector_length():
    layer = StringLookup(max_tokens=10, pad_to_max_tokens=True, output_mode="multi_hot")
    layer.adapt(DATA)
    out = layer([["a", "z"]]).numpy()
    assert out.shape == (1, 10)
    np.testing.assert_array_equal(out[0, :6], [0, 0, 1, 0, 0, 1])


# --- IntegerLookup: Keras' docstring examples --------------------------------------------------------

INT_VOCAB = [12, 36, 1138, 42]
INT_DATA = np.array([[12, 1138, 42], [42, 1000, 36]])
INT_COUNT_DATA = np.array([[12, 1138, 42, 42], [42, 7, 36, 7]])


def test_integer_lookup_docstring_examples():
    np.testing.assert_array_equal(IntegerLookup(vocabulary=INT_VOCAB)(INT_DATA).numpy(), [[1, 3, 4], [4, 0, 2]])
    layer = IntegerLookup()
    layer.adapt(INT_DATA)
    assert layer.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    np.testing.assert_array_equal(layer(INT_DATA).numpy(), [[5, 2, 1], [1, 3, 4]])
    several = IntegerLookup(vocabulary=INT_VOCAB, num_oov_indices=2)
    np.testing.assert_array_equal(several(np.array([[12, 1138, 42], [37, 1000, 36]])).numpy(), [[2, 4, 5], [1, 0, 3]])
    floormod = IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4)
    np.testing.assert_array_equal(floormod(np.array([100, 300, 700, 1100, 1700, 2000])).numpy(), [0] * 6)


def test_integer_lookup_vector_modes_and_invert():
    one_hot = IntegerLookup(vocabulary=INT_VOCAB, output_mode="one_hot")(np.array([12, 36, 1138, 42, 7])).numpy()
    np.testing.assert_array_equal(one_hot, np.eye(5)[[1, 2, 3, 4, 0]])
    multi = IntegerLookup(vocabulary=INT_VOCAB, output_mode="multi_hot")(INT_COUNT_DATA).numpy()
    np.testing.assert_array_equal(multi, [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]])
    count = IntegerLookup(vocabulary=INT_VOCAB, output_mode="count")(INT_COUNT_DATA).numpy()
    np.testing.assert_array_equal(count, [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]])
    tfidf = IntegerLookup(vocabulary=[-1] + INT_VOCAB, idf_weights=[0.9, 0.25, 0.75, 0.6, 0.4], output_mode="tf_idf")
    np.testing.assert_allclose(tfidf(INT_COUNT_DATA).numpy(), [[0, 0.25, 0, 0.6, 0.8], [1.8, 0, 0.75, 0, 0.4]])
    forward = IntegerLookup(vocabulary=INT_VOCAB)
    inverse = IntegerLookup(vocabulary=forward.get_vocabulary(), invert=True)
    out = inverse(forward(INT_DATA)).numpy()
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, [[12, 1138, 42], [42, -1, 36]])


# --- CategoryEncoding and Discretization against real Keras ----------------------------------------


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
@pytest.mark.parametrize(
    "ids",
    [[3, 2, 0, 1], [[0, 1], [0, 0], [1, 2], [3, 1]], [[3], [0], [2]], [[0, 1, 1, 3, 3, 3]]],
    ids=["rank1", "rank2", "column", "one-row"],
)
def test_category_encoding_equals_keras(keras, mode, ids):
    expected = np.asarray(keras.layers.CategoryEncoding(num_tokens=4, output_mode=mode)(np.array(ids)))
    layer = CategoryEncoding(num_tokens=4, output_mode=mode)
    out = layer(np.array(ids)).numpy()
    assert out.dtype == np.float32 and out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)
    assert layer.compute_output_shape(np.array(ids).shape) == expected.shape


def test_category_encoding_count_weights_equal_keras(keras):
    ids = np.array([[0, 1], [0, 0], [1, 2], [3, 1]])
    weights = np.array([[0.1, 0.2], [0.1, 0.1], [0.2, 0.3], [0.4, 0.2]])
    expected = np.asarray(keras.layers.CategoryEncoding(4, output_mode="count")(ids, count_weights=weights))
    out = CategoryEncoding(4, output_mode="count")(ids, count_weights=weights).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-6)


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_with_boundaries_equals_keras(keras, mode):
    x = np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]])
    column = np.array([[-1.5], [1.0], [3.4], [2.0]])
    for data in (x, column):
        expected = np.asarray(keras.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode=mode)(data))
        layer = Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode=mode)
        out = layer(data).numpy()
        assert out.shape == expected.shape == layer.compute_output_shape(data.shape)
        assert out.dtype == ("int32" if mode == "int" else "float32")
        np.testing.assert_array_equal(out, expected)


def _keras_boundaries(keras, data, num_bins, epsilon=0.01):
    # Keras' adapt() asks for TensorFlow only to test isinstance(data, tf.data.Dataset);
    # its summary steps are plain NumPy and run as adapt() runs them.
    layer = keras.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    batches = data if isinstance(data, list) else [data]
    for batch in batches:
        layer.update_state(batch)
    layer.finalize_state()
    return layer.bin_boundaries


@pytest.mark.parametrize(("num_bins", "epsilon"), [(4, 0.01), (3, 0.01), (10, 0.01), (5, 0.1), (2, 0.001)], ids=str)
def test_discretization_adapt_learns_the_boundaries_keras_learns(keras, num_bins, epsilon):
    rng = np.random.default_rng(0)
    cases = [
        np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]]),
        np.arange(20.0).reshape(-1, 1),
        rng.normal(size=(1000, 1)),
        rng.exponential(size=(357, 3)),
        [rng.uniform(size=(64, 1)) for _ in range(5)],  # a list is a list of batches, as in Keras
    ]
    for data in cases:
        layer = Discretization(num_bins=num_bins, epsilon=epsilon)
        layer.adapt(data)
        assert layer.bin_boundaries == _keras_boundaries(keras, data, num_bins, epsilon)  # exactly


def test_discretization_adapts_from_a_learnet_dataset():
    values = np.arange(100.0).reshape(-1, 1)
    from_array = Discretization(num_bins=4)
    from_array.adapt(values)
    from_dataset = Discretization(num_bins=4)
    from_dataset.adapt(Dataset.from_tensor_slices(values).batch(100))
    assert from_dataset.bin_boundaries == from_array.bin_boundaries
    assert np.allclose(from_array.bin_boundaries, [24.5, 49.5, 74.5], atol=1.0)


def test_config_keys_equal_keras(keras):
    for ours, theirs in (
        (CategoryEncoding(3), keras.layers.CategoryEncoding(3)),
        (Discretization(bin_boundaries=[0.0]), keras.layers.Discretization(bin_boundaries=[0.0])),
    ):
        assert set(theirs.get_config()) <= set(ours.get_config())
    # Keras' StringLookup / IntegerLookup configs (their get_config, read from Keras' source).
    index_keys = {"invert", "max_tokens", "num_oov_indices", "oov_token", "mask_token", "output_mode", "sparse"}
    index_keys |= {"pad_to_max_tokens", "idf_weights", "vocabulary", "vocabulary_size", "oov_method", "salt"}
    index_keys |= {"name", "trainable", "dtype"}
    assert set(StringLookup().get_config()) == index_keys | {"encoding"}
    assert set(IntegerLookup().get_config()) == index_keys | {"vocabulary_dtype"}


# --- configs, models, saving --------------------------------------------------------------------------


def test_config_round_trip_keeps_the_vocabulary():
    given = StringLookup(vocabulary=VOCAB, mask_token="", output_mode="int", name="colors")
    config = given.get_config()
    assert config["vocabulary"] == VOCAB  # the list given, as Keras keeps it
    clone = StringLookup.from_config(config)
    assert clone.name == "colors" and clone.get_vocabulary() == given.get_vocabulary()
    adapted = IntegerLookup(output_mode="tf_idf")
    adapted.adapt(INT_DATA)
    clone = IntegerLookup.from_config(adapted.get_config())
    np.testing.assert_allclose(clone(INT_COUNT_DATA).numpy(), adapted(INT_COUNT_DATA).numpy())
    bins = Discretization(num_bins=3)
    bins.adapt(np.arange(9.0))
    clone = Discretization.from_config(bins.get_config())
    assert clone.bin_boundaries == bins.bin_boundaries and clone.num_bins == 3
    encoding = CategoryEncoding.from_config(CategoryEncoding(5, output_mode="count").get_config())
    assert (encoding.num_tokens, encoding.output_mode) == (5, "count")


def _structured_data():
    rng = np.random.default_rng(0)
    n = 240
    thal = rng.choice(np.array(["normal", "fixed", "reversible"]), size=(n, 1))
    sex = rng.choice(np.array([0, 1]), size=(n, 1))
    age = rng.uniform(20, 80, size=(n, 1)).astype("float32")
    label = ((thal[:, 0] == "reversible") | (age[:, 0] > 60)).astype("float32")
    return thal, sex, age, label


def test_structured_data_model_trains_and_saves_with_its_vocabularies(tmp_path):
    thal, sex, age, label = _structured_data()
    sex_lookup = IntegerLookup(output_mode="one_hot")
    sex_lookup.adapt(sex)
    age_bins = Discretization(num_bins=6)
    age_bins.adapt(age)
    sex_in = layers.Input(shape=(1,), dtype="int64", name="sex")
    age_in = layers.Input(shape=(1,), name="age")
    features = layers.Concatenate()([sex_lookup(sex_in), CategoryEncoding(6, output_mode="one_hot")(age_bins(age_in))])
    hidden = layers.Dense(8, activation="relu")(features)
    model = tf.keras.Model([sex_in, age_in], layers.Dense(1, activation="sigmoid")(hidden))
    model.compile(optimizer=tf.keras.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    older = (age[:, 0] > 60).astype("float32")
    history = model.fit([sex, age], older, epochs=30, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.evaluate([sex, age], older, verbose=0)[1] > 0.9
    path = tmp_path / "heart.learnet"
    model.save(path)
    loaded = tf.keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict([sex, age], verbose=0), model.predict([sex, age], verbose=0), rtol=1e-6)
    assert [layer.get_vocabulary() for layer in loaded.layers if isinstance(layer, IntegerLookup)] == [
        sex_lookup.get_vocabulary()
    ]


def test_string_lookup_inside_a_functional_model_and_saved(tmp_path):
    thal, _, _, label = _structured_data()
    lookup = StringLookup(output_mode="one_hot")
    lookup.adapt(thal)
    inputs = layers.Input(shape=(1,), dtype=tf.string)
    encoded = lookup(inputs)
    assert tuple(encoded.shape) == (None, 4) and encoded.dtype == "float32"
    model = tf.keras.Model(inputs, layers.Dense(1, activation="sigmoid")(encoded))
    out = model(thal[:5]).numpy()
    assert out.shape == (5, 1)
    path = tmp_path / "thal.learnet"
    model.save(path)
    loaded = tf.keras.models.load_model(path)
    assert loaded.layers[1].get_vocabulary() == lookup.get_vocabulary()
    np.testing.assert_allclose(loaded(thal[:5]).numpy(), out, rtol=1e-6)
    # The same model trained by a hand-written loop (what fit runs) learns the label.
    model.compile(optimizer=tf.keras.optimizers.Adam(0.1), loss="binary_crossentropy")
    y = (thal[:, 0] == "reversible").astype("float32")[:, None]
    loss_fn = tf.keras.losses.BinaryCrossentropy()
    for _ in range(40):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(thal, training=True))
        model.optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_weights), model.trainable_weights))
    assert float(loss) < 0.1


def test_string_lookup_model_fits_on_numpy_strings_with_keras_spelling():
    thal, _, _, label = _structured_data()
    lookup = StringLookup(output_mode="one_hot")
    lookup.adapt(thal)
    inputs = layers.Input(shape=(1,), dtype="string")
    model = tf.keras.Model(inputs, layers.Dense(1, activation="sigmoid")(lookup(inputs)))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(thal, label, epochs=1, verbose=0)


# --- bad input: clear errors that change nothing --------------------------------------------------------


def test_bad_arguments_are_refused_by_name():
    with pytest.raises(ValueError, match="StringLookup 'bad'.*output_mode must be one of"):
        StringLookup(output_mode="onehot", name="bad")
    with pytest.raises(ValueError, match="CategoryEncoding.*output_mode must be one of"):
        CategoryEncoding(3, output_mode="int")
    with pytest.raises(ValueError, match="Discretization.*output_mode"):
        Discretization(num_bins=3, output_mode="tf_idf")
    for make in (
        lambda: StringLookup(sparse=True),
        lambda: IntegerLookup(output_mode="count", sparse=True),
        lambda: CategoryEncoding(3, sparse=True),
        lambda: Discretization(num_bins=2, output_mode="count", sparse=True),
    ):
        with pytest.raises(ValueError, match="sparse=True is not supported"):
            make()
    with pytest.raises(ValueError, match="invert=True needs output_mode='int'"):
        StringLookup(invert=True, output_mode="one_hot")
    with pytest.raises(ValueError, match="needs idf_weights"):
        StringLookup(vocabulary=VOCAB, output_mode="tf_idf")
    with pytest.raises(ValueError, match="repeats"):
        StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="larger than max_tokens"):
        StringLookup(vocabulary=VOCAB, max_tokens=3)
    with pytest.raises(ValueError, match="num_tokens must be set"):
        CategoryEncoding()
    with pytest.raises(ValueError, match="not both"):
        Discretization(bin_boundaries=[0.0], num_bins=2)
    with pytest.raises(NotImplementedError, match="salt"):
        StringLookup(salt=3)


def test_category_encoding_refuses_ids_out_of_range():
    layer = CategoryEncoding(num_tokens=4)
    with pytest.raises(ValueError, match=r"CategoryEncoding 'category_encoding\w*' expects values in \[0, 4\)"):
        layer([[0, 4]])
    with pytest.raises(ValueError, match="expects values in"):
        layer([[-1, 2]])
    with pytest.raises(ValueError, match="count_weights only apply"):
        layer([[0, 1]], count_weights=[[1.0, 1.0]])
    np.testing.assert_array_equal(layer([[0, 3]]).numpy(), [[1, 0, 0, 1]])


def test_calling_before_a_vocabulary_or_boundaries_is_a_clear_error():
    with pytest.raises(RuntimeError, match="StringLookup .* has no vocabulary"):
        StringLookup()(["a"])
    with pytest.raises(RuntimeError, match="output size is the vocabulary's"):
        StringLookup(output_mode="one_hot")(layers.Input(shape=(1,), dtype=tf.string))
    layer = Discretization(num_bins=3)
    with pytest.raises(RuntimeError, match="no bin boundaries"):
        layer(np.array([[1.0]]))


def test_failed_adapt_changes_nothing():
    layer = StringLookup()
    layer.adapt(DATA)
    before = layer.get_vocabulary()
    with pytest.raises(ValueError, match="no tokens"):
        layer.adapt([])
    with pytest.raises(ValueError, match="no tokens"):
        layer.adapt(np.array([["[UNK]"]]))
    with pytest.raises(TypeError, match="expects strings"):
        layer.adapt([1, 2])
    with pytest.raises(ValueError, match="single string"):
        layer.adapt("abc")
    assert layer.get_vocabulary() == before
    bins = Discretization(num_bins=2)
    bins.adapt(np.arange(4.0))
    boundaries = bins.bin_boundaries
    with pytest.raises(ValueError, match="no values"):
        bins.adapt(np.zeros((0, 1)))
    assert bins.bin_boundaries == boundaries
    with pytest.raises(ValueError, match="cannot adapt a layer created with a vocabulary"):
        StringLookup(vocabulary=VOCAB).adapt(DATA)
    with pytest.raises(ValueError, match="cannot adapt"):
        Discretization(bin_boundaries=[1.0]).adapt(np.arange(3.0))


def test_wrong_kind_of_input_is_named():
    with pytest.raises(TypeError, match="StringLookup .* expects strings"):
        StringLookup(vocabulary=VOCAB)(np.array([1, 2]))
    with pytest.raises(TypeError, match="IntegerLookup .* expects integers"):
        IntegerLookup(vocabulary=[1])(np.array(["a"]))
    with pytest.raises(ValueError, match="expects integers, got fractional"):
        IntegerLookup(vocabulary=[1])(np.array([1.5]))


def test_tokens_that_look_like_dotted_names_save_and_load(tmp_path):
    # A vocabulary is data: "u.s" or "os.system" are tokens, never names of code to import.
    lookup = StringLookup()
    lookup.adapt(["u.s", "os.system", "x", "u.s"])
    inputs = tf.keras.Input((1,), dtype="string")
    model = tf.keras.Model(inputs, lookup(inputs))
    tokens = np.array([["u.s"], ["os.system"], ["new"]], dtype=object)
    for name in ("m.learnet", "m.keras"):
        model.save(tmp_path / name)
        restored = tf.keras.models.load_model(tmp_path / name)
        np.testing.assert_array_equal(restored.predict(tokens, verbose=0), model.predict(tokens, verbose=0))


def test_a_layer_of_its_own_around_a_strict_lookup_builds_on_a_string_input():
    # keras.io's memory-efficient embeddings: a custom layer runs StringLookup(num_oov_indices=0)
    # then Embedding on a string Input. Its output shape is found by calling it on stand-in
    # strings, which no vocabulary holds: the probe lets them through, real inputs still not.
    import learnet as keras

    class Embedded(keras.layers.Layer):
        def __init__(self, vocabulary, **kwargs):
            super().__init__(**kwargs)
            self.lookup = StringLookup(vocabulary=vocabulary, mask_token=None, num_oov_indices=0)
            self.embedding = keras.layers.Embedding(len(vocabulary), 4)

        def call(self, inputs):
            return self.embedding(self.lookup(inputs))

    inputs = keras.layers.Input(shape=(), dtype="string")
    model = keras.Model(inputs, Embedded(["a", "b", "c"])(inputs))
    assert model.output_shape == (None, 4)
    assert model(np.array(["a", "c"])).shape == (2, 4)
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        model(np.array(["a", "z"]))
