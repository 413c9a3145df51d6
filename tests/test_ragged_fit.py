"""A RaggedTensor as the x of ``fit``, ``evaluate`` and ``predict`` (and of ``tf.data``), as in
the TensorFlow text tutorials: rows are the samples, batches and shuffles take whole rows,
and the numbers equal Keras' on the same rows padded with a mask."""

import numpy as np
import pytest

import learnet as tf
from learnet import layers
from learnet.batching import Batcher

TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}


def _rows(count=10, seed=0):
    """``count`` rows of token ids 1..9 of lengths 1..6, and a target per row."""
    rng = np.random.default_rng(seed)
    rows = [rng.integers(1, 10, size=rng.integers(1, 7)).tolist() for _ in range(count)]
    targets = np.array([sum(row) % 2 for row in rows], "float32")
    return rows, targets


def _sequential(seed=0):
    tf.random.set_seed(seed)
    return tf.keras.Sequential([layers.Embedding(10, 4), layers.GRU(3), layers.Dense(1)])


def _padded(rows):
    width = max(len(row) for row in rows)
    return np.array([row + [0] * (width - len(row)) for row in rows], "int32")


# --- RaggedTensor rows, as batching reads them ---------------------------------------------------------------
def test_rows_are_picked_by_slices_and_index_arrays():
    rt = tf.ragged.constant([[3, 1, 4], [], [1, 5], [9]])
    assert rt[1:3].to_list() == [[], [1, 5]]
    assert rt[::-2].to_list() == [[9], []]
    assert rt[np.array([3, 0, 0])].to_list() == [[9], [3, 1, 4], [3, 1, 4]]
    assert rt[np.array([], "int64")].to_list() == []
    assert rt[-1].numpy().tolist() == [9] and len(rt) == 4
    assert rt[1:3].row_splits.numpy().tolist() == [0, 0, 2]
    with pytest.raises(IndexError, match="out of range for 4 rows"):
        rt[np.array([4])]
    with pytest.raises(IndexError, match="out of range for 4 rows"):
        rt[7]
    with pytest.raises(TypeError, match="integer indices"):
        rt[np.array([0.5])]


def test_a_batcher_keeps_rows_with_their_targets_when_it_shuffles():
    rows = [[i] * (i % 4 + 1) for i in range(10)]
    rt, y = tf.ragged.constant(rows), np.arange(10)
    batcher = Batcher(rt, y, batch_size=3, seed=0)
    orders = []
    for _ in range(2):
        seen = []
        for xb, yb in batcher:
            assert [row[0] for row in xb.to_list()] == yb.tolist()
            assert xb.to_list() == [rows[i] for i in yb]
            seen.extend(yb.tolist())
        assert sorted(seen) == list(range(10))
        orders.append(seen)
    assert orders[0] != orders[1]  # a new order each epoch


# --- fit, evaluate, predict ----------------------------------------------------------------------------------
def test_predictions_equal_each_row_run_alone():
    rows, _ = _rows(7)
    model = _sequential()
    predicted = model.predict(tf.ragged.constant(rows), batch_size=3, verbose=0)
    alone = np.concatenate([model(np.array([row], "float32")).numpy() for row in rows])
    np.testing.assert_allclose(predicted, alone, **TOLERANCE)
    assert model.input_shape == (None, None)  # built for rows of any length, not the first batch's


@pytest.mark.slow  # real Keras compiles its recurrent loop in JAX
def test_predictions_equal_keras_on_rows_padded_with_a_mask(keras):
    rows, _ = _rows(9, seed=1)
    ours = tf.keras.Sequential([layers.Embedding(10, 4), layers.LSTM(3), layers.Dense(2)])
    ours.build((None, None))
    theirs = keras.Sequential(
        [
            keras.Input((None,)),
            keras.layers.Embedding(10, 4, mask_zero=True),
            keras.layers.LSTM(3),
            keras.layers.Dense(2),
        ]
    )
    rng = np.random.default_rng(2)
    theirs.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in ours.get_weights()])
    ours.set_weights(theirs.get_weights())
    expected = np.asarray(theirs.predict(_padded(rows), verbose=0))
    np.testing.assert_allclose(ours.predict(tf.ragged.constant(rows), batch_size=4, verbose=0), expected, **TOLERANCE)


def test_fit_trains_on_the_same_batches_as_a_loop_over_row_slices():
    rows, y = _rows(10)
    rt = tf.ragged.constant(rows)
    fitted, looped = _sequential(), _sequential()
    for model in (fitted, looped):
        model.build((None, None))
        model.compile(optimizer=tf.keras.optimizers.Adam(0.05), loss="mse")
    looped.set_weights(fitted.get_weights())
    history = fitted.fit(rt, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for _ in range(2):
        for start in range(0, 10, 4):
            looped.train_on_batch(rt[start : start + 4], y[start : start + 4])
    for a, b in zip(fitted.get_weights(), looped.get_weights()):
        np.testing.assert_allclose(a, b, **TOLERANCE)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_shuffled_fit_learns_and_evaluate_reads_rows():
    rows, y = _rows(32, seed=3)
    rt = tf.ragged.constant(rows)
    model = _sequential()
    model.compile(optimizer=tf.keras.optimizers.Adam(0.05), loss="mse")
    history = model.fit(rt, y, batch_size=8, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss = model.evaluate(rt, y, batch_size=5, verbose=0)
    expected = np.mean((model.predict(rt, verbose=0)[:, 0] - y) ** 2)
    np.testing.assert_allclose(loss, expected, rtol=1e-4)


def test_validation_split_takes_the_last_rows():
    rows, y = _rows(12, seed=4)
    rt = tf.ragged.constant(rows)
    model = _sequential()
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(rt, y, batch_size=4, epochs=2, validation_split=0.25, shuffle=True, verbose=0)
    held_out = model.evaluate(tf.ragged.constant(rows[9:]), y[9:], verbose=0)
    np.testing.assert_allclose(history.history["val_loss"][-1], held_out, rtol=1e-5)
    data = model.fit(rt, y, epochs=1, validation_data=(rt[9:], y[9:]), verbose=0)
    assert "val_loss" in data.history


def test_integer_ids_stay_integers_for_an_integer_input():
    rows, y = _rows(6)
    inputs = tf.keras.Input(shape=(None,), dtype="int32", ragged=True)
    outputs = layers.Dense(1)(layers.GRU(2)(layers.Embedding(10, 3)(inputs)))
    model = tf.keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(tf.ragged.constant(rows), y, batch_size=4, epochs=1, verbose=0)
    assert model.predict(tf.ragged.constant(rows), verbose=0).shape == (6, 1)


@pytest.mark.parametrize("container", ["dict", "tuple"])
def test_a_ragged_input_beside_a_dense_one(container):
    rows, y = _rows(9, seed=5)
    extra = np.random.default_rng(5).normal(size=(9, 2)).astype("float32")
    tokens = tf.keras.Input(shape=(None,), name="tokens", ragged=True)
    features = tf.keras.Input(shape=(2,), name="features")
    encoded = layers.GRU(3)(layers.Embedding(10, 4)(tokens))
    model = tf.keras.Model([tokens, features], layers.Dense(1)(layers.Concatenate()([encoded, features])))
    model.compile(optimizer="sgd", loss="mse")
    rt = tf.ragged.constant(rows)
    x = {"tokens": rt, "features": extra} if container == "dict" else (rt, extra)
    model.fit(x, y, batch_size=4, epochs=2, validation_split=0.2, verbose=0)
    predicted = model.predict(x, batch_size=4, verbose=0)
    alone = np.concatenate(
        [model([np.array([row], "float32"), extra[i : i + 1]]).numpy() for i, row in enumerate(rows)]
    )
    np.testing.assert_allclose(predicted, alone, **TOLERANCE)


def test_text_vectorization_ragged_output_trains_a_model():
    texts = ["the cat sat", "a dog", "the dog sat on the mat", "cat", "a cat and a dog"]
    vectorize = layers.TextVectorization(ragged=True)
    vectorize.adapt(texts)
    ids = vectorize(texts)
    model = tf.keras.Sequential([layers.Embedding(vectorize.vocabulary_size(), 4), layers.LSTM(2), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(ids, np.arange(5, dtype="float32"), batch_size=2, epochs=1, verbose=0)
    assert model.predict(ids, verbose=0).shape == (5, 1)


# --- tf.data --------------------------------------------------------------------------------------------------
def test_a_dataset_of_ragged_rows_batches_them_back_into_ragged_tensors():
    rows, y = _rows(7, seed=6)
    dataset = tf.data.Dataset.from_tensor_slices((tf.ragged.constant(rows), y))
    assert [x.numpy().tolist() for x, _ in dataset] == rows
    batches = list(dataset.batch(3))
    assert [len(x) for x, _ in batches] == [3, 3, 1]
    assert [row for x, _ in batches for row in x.to_list()] == rows
    indexed = tf.data.Dataset.from_tensor_slices((tf.ragged.constant(rows), np.arange(7)))
    for x, index in indexed.shuffle(7).batch(2):  # each row stays with its own element
        assert x.to_list() == [rows[i] for i in index.numpy()]
    model = _sequential()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(dataset.shuffle(7).batch(3), epochs=2, verbose=0)
    from_dataset = model.predict(tf.data.Dataset.from_tensor_slices(tf.ragged.constant(rows)).batch(4), verbose=0)
    np.testing.assert_allclose(from_dataset, model.predict(tf.ragged.constant(rows), verbose=0), **TOLERANCE)


# --- mistakes ---------------------------------------------------------------------------------------------------
def test_rows_and_targets_of_different_counts_are_refused_before_training():
    rows, y = _rows(6)
    model = _sequential()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"x and y must have the same number of samples.*x has 6 .*y has 5"):
        model.fit(tf.ragged.constant(rows), y[:5], verbose=0)
    with pytest.raises(ValueError, match=r"validation_split=0.9 of 6 samples leaves 0 for training"):
        model.fit(tf.ragged.constant(rows), y, validation_split=0.9, verbose=0)


def test_ragged_targets_and_bad_values_get_a_clear_error():
    rows, y = _rows(4)
    model = _sequential()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"y is a RaggedTensor .*to_tensor\(\)"):
        model.fit(tf.ragged.constant(rows), tf.ragged.constant(rows), verbose=0)
    bad = tf.ragged.constant([[1.0, np.nan], [2.0], [3.0], [4.0]])
    with pytest.raises(ValueError, match=r"x.flat_values contains 1 NaN"):
        model.fit(bad, y, verbose=0)
    assert not model.built  # nothing was built or trained
