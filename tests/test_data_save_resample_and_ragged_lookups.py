"""learnet's own checks of the tf.data additions (save/load, rejection_resample, rebatch,
ragged_batch), lookups of ragged label lists, and string tensors' dtype name and printing:
the behaviour users rely on and the errors bad input gets. TensorFlow's results are compared
in tests/test_data_against_tf_more.py."""

import os

import numpy as np
import pytest

import learnet as tf
from learnet import keras

Dataset = tf.data.Dataset


def _listed(dataset):
    return [e.numpy().tolist() for e in dataset]


# --- Dataset.save / Dataset.load -------------------------------------------------------------------------------
@pytest.mark.parametrize("compression", [None, "GZIP"])
def test_save_and_load_give_back_every_element(tmp_path, compression):
    images = np.arange(24, dtype="float32").reshape(6, 2, 2)
    labels = np.array(["cat", "dog", "", "émile", "a\x00b", "z"], dtype=object)
    dataset = Dataset.from_tensor_slices(({"image": images, "label": labels}, np.arange(6))).batch(4)
    dataset.save(str(tmp_path / "saved"), compression=compression)
    loaded = Dataset.load(str(tmp_path / "saved"))
    assert len(loaded) == 2
    for (features, ids), (want_features, want_ids) in zip(loaded, dataset):
        np.testing.assert_array_equal(features["image"].numpy(), want_features["image"].numpy())
        assert features["image"].dtype == np.float32 and ids.dtype == want_ids.dtype
        assert features["label"].numpy().tolist() == want_features["label"].numpy().tolist()
    again = [ids.numpy().tolist() for _, ids in loaded]  # every pass reads the elements again
    assert again == [[0, 1, 2, 3], [4, 5]]


def test_save_refuses_ragged_elements_and_load_refuses_other_folders(tmp_path):
    ragged = Dataset.range(1, 4).map(lambda x: tf.fill([x], x)).ragged_batch(2)
    with pytest.raises(TypeError, match="RaggedTensor"):
        ragged.save(str(tmp_path / "ragged"))
    assert not (tmp_path / "ragged").exists()
    with pytest.raises(tf.errors.NotFoundError, match="learnet"):
        Dataset.load(str(tmp_path))
    with pytest.raises(ValueError, match="compression"):
        Dataset.range(2).save(str(tmp_path / "x"), compression="ZLIB")


def test_snapshot_keeps_the_elements():
    assert _listed(Dataset.range(3).snapshot("unused")) == [0, 1, 2]


# --- rejection_resample --------------------------------------------------------------------------------------
def test_rejection_resample_balances_the_classes():
    features = np.arange(1000)
    labels = (np.arange(1000) % 10 == 0).astype("int64")  # one in ten is class 1
    dataset = Dataset.from_tensor_slices((features, labels))
    for initial in (None, [0.9, 0.1]):
        resampled = dataset.rejection_resample(lambda x, y: y, [0.5, 0.5], initial_dist=initial, seed=3)
        pairs = [(int(c), int(x), int(y)) for c, (x, y) in resampled]
        classes = np.array([c for c, _, _ in pairs])
        assert 0.35 < classes.mean() < 0.65
        assert all(c == y == (x % 10 == 0) for c, x, y in pairs)  # each element with its own class
    # The tutorial's step: drop the class again.
    first = next(iter(dataset.rejection_resample(lambda x, y: y, [0.5, 0.5], seed=0).map(lambda c, xy: xy)))
    assert isinstance(first, tuple) and len(first) == 2


def test_rejection_resample_rejects_bad_distributions_and_classes():
    dataset = Dataset.from_tensor_slices(np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="target_dist"):
        dataset.rejection_resample(lambda y: y, [0.5, 0.6])
    with pytest.raises(ValueError, match="initial_dist"):
        dataset.rejection_resample(lambda y: y, [0.5, 0.5], initial_dist=[1.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="class 2"):
        list(dataset.rejection_resample(lambda y: y, [0.5, 0.5]))


# --- rebatch, ragged_batch, sparse_batch ------------------------------------------------------------------------
@pytest.mark.parametrize("size", [0, -1, 1.5, True, [], [2, 0], "3"])
def test_rebatch_refuses_sizes_that_are_not_positive_integers(size):
    with pytest.raises(ValueError, match="rebatch: batch_size"):
        Dataset.range(4).batch(2).rebatch(size)


def test_rebatch_feeds_fit_with_smaller_batches():
    x = np.random.default_rng(0).normal(size=(20, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = keras.Sequential([keras.layers.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(Dataset.from_tensor_slices((x, y)).batch(10).rebatch(4), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_ragged_batch_refuses_elements_of_different_inner_shapes():
    dataset = Dataset.range(1, 3).map(lambda x: tf.fill([2, x], x))
    with pytest.raises(ValueError, match="first dimension"):
        list(dataset.ragged_batch(2))


def test_sparse_batch_values_keep_their_dtype():
    dataset = Dataset.from_tensor_slices(np.array([[1.5, 0.0], [2.5, 3.5]])).sparse_batch(2, [3])
    batch = next(iter(dataset))
    assert batch.values.dtype == np.float32 and tf.sparse.to_dense(batch).shape == (2, 3)


# --- lookups of ragged label lists ------------------------------------------------------------------------------
def _labels():
    return tf.ragged.constant(np.array([["a"], ["b", "c"], ["c"]], dtype=object))


def test_lookup_of_ragged_labels_one_hot_invert_and_tf_idf():
    labels = _labels()
    one_hot = keras.layers.StringLookup(output_mode="one_hot")
    one_hot.adapt(labels)
    vectors = one_hot(labels)
    assert one_hot.get_vocabulary() == ["[UNK]", "c", "b", "a"]
    assert isinstance(vectors, tf.RaggedTensor) and vectors.to_list()[1] == [[0, 0, 1, 0], [0, 1, 0, 0]]
    ids = keras.layers.StringLookup(vocabulary=["a", "b", "c"])(labels)
    back = keras.layers.StringLookup(vocabulary=["a", "b", "c"], invert=True)(ids)
    assert back.to_list() == [[b"a"], [b"b", b"c"], [b"c"]]
    tf_idf = keras.layers.StringLookup(output_mode="tf_idf")
    tf_idf.adapt(labels)
    weights = tf_idf(labels).numpy()
    assert weights.shape == (3, 4) and weights[1, 1] == pytest.approx(np.log(1 + 3 / 3))
    integers = keras.layers.IntegerLookup(output_mode="count")
    integers.adapt(tf.ragged.constant([[1], [2, 3, 3]]))
    assert integers.get_vocabulary() == [-1, 3, 2, 1]
    assert integers(tf.ragged.constant([[1], [2, 3, 3]])).numpy().tolist() == [[0, 0, 0, 1], [0, 2, 1, 0]]


def test_multi_hot_labels_of_a_ragged_column_train_a_model():
    labels = _labels()
    lookup = keras.layers.StringLookup(output_mode="multi_hot", num_oov_indices=0)
    lookup.adapt(labels)
    y = lookup(labels).numpy()
    assert y.tolist() == [[0, 0, 1], [1, 1, 0], [1, 0, 0]]
    model = keras.Sequential([keras.layers.Input((2,)), keras.layers.Dense(3, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    model.fit(np.eye(3, 2, dtype="float32"), y, epochs=1, verbose=0)


def test_ragged_constant_refuses_what_has_no_rows():
    for value in ([1, 2], np.array([1, 2]), 5, [[1], 2]):
        with pytest.raises(ValueError, match="list of rows"):
            tf.ragged.constant(value)


# --- adapt on datasets -----------------------------------------------------------------------------------------------
def test_adapt_on_datasets_of_pairs_and_scalar_strings():
    texts = Dataset.from_tensor_slices((["The cat", "a dog"], [0, 1]))
    vectorize = keras.layers.TextVectorization()
    vectorize.adapt(texts.map(lambda x, y: x))
    assert sorted(vectorize.get_vocabulary()[2:]) == ["a", "cat", "dog", "the"]
    with pytest.raises(ValueError, match="single string"):
        keras.layers.TextVectorization().adapt("one text")


def test_normalization_adapts_on_single_samples_and_on_pairs():
    x = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 1.0]])
    norm = keras.layers.Normalization()
    norm.adapt(Dataset.from_tensor_slices((x, np.zeros(3))))
    np.testing.assert_allclose(norm.mean.numpy(), [[3.0, 3.0]])
    with pytest.raises(ValueError, match="batch axis"):
        keras.layers.Normalization().adapt(Dataset.from_tensor_slices(np.array([1.0, 2.0])).batch(1).unbatch())


# --- timeseries, the dtype name "string", printing --------------------------------------------------------------------
def test_a_series_shorter_than_a_window_gives_an_empty_dataset_for_fit_too():
    ds = keras.utils.timeseries_dataset_from_array(np.arange(3.0), None, sequence_length=5)
    assert list(ds) == [] and len(ds) == 0


def test_string_dtype_name_refuses_numbers_and_changes_nothing():
    numbers = tf.constant([1, 2])
    with pytest.raises(TypeError, match="as_string"):
        tf.convert_to_tensor(numbers, dtype="string")
    with pytest.raises(TypeError, match="string tensor"):
        tf.Variable([1.5], dtype="string")
    assert numbers.numpy().tolist() == [1, 2] and numbers.dtype == np.int32
    assert tf.TensorSpec([2], "string").dtype == tf.string
    assert keras.layers.Input(shape=(1,), dtype="string").dtype == tf.string


def test_variables_print_whole_in_f_strings_and_arrays_refuse_format_specs():
    w = tf.Variable([1.0, 2.0], name="w")
    assert f"{w}" == repr(w) and "Variable 'w'" in f"{w}"
    assert f"{tf.Variable(2.5):.1f}" == "2.5"
    with pytest.raises(TypeError):
        f"{tf.constant([1.0, 2.0]):.2f}"
    assert f"{tf.constant(2.5):.2f}" == "2.50"
    assert os.linesep not in str(tf.constant([1, 2]))
