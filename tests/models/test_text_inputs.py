"""Text columns as model inputs: the structured-data tutorials of keras.io and TensorFlow.

A functional model takes a text column (``Input(dtype="string")`` -> ``StringLookup``),
an integer column (``IntegerLookup``) and a number column (``Normalization``) by name;
``fit``, ``evaluate`` and ``predict`` take dicts of NumPy columns (or of lists) and
learnet datasets of them, as Keras does. Targets must still be numbers.
"""

import numpy as np
import pytest

import learnet as tf
from learnet import layers
from learnet.data import Dataset
from learnet.layers.lookup import IntegerLookup, StringLookup

THAL = np.array(["normal", "fixed", "reversible"])


def table(n=240, seed=0):
    """Columns of shape (n,), as ``dict(dataframe)`` gives them, and a 0/1 label."""
    rng = np.random.default_rng(seed)
    thal = rng.choice(THAL, size=n)
    sex = rng.integers(0, 2, size=n)
    age = rng.uniform(20, 80, size=n).astype("float32")
    label = ((thal == "reversible") | (age > 60)).astype("float32")
    return {"thal": thal, "sex": sex, "age": age}, label


def heart_model(columns, learning_rate=0.05, dict_inputs=False):
    thal_in = layers.Input(shape=(1,), name="thal", dtype="string")
    sex_in = layers.Input(shape=(1,), name="sex", dtype="int64")
    age_in = layers.Input(shape=(1,), name="age")
    thal_lookup = StringLookup(output_mode="one_hot")
    thal_lookup.adapt(columns["thal"])
    sex_lookup = IntegerLookup(output_mode="one_hot")
    sex_lookup.adapt(columns["sex"])
    age_norm = layers.Normalization()
    age_norm.adapt(np.asarray(columns["age"], "float32")[:, None])
    features = layers.concatenate([thal_lookup(thal_in), sex_lookup(sex_in), age_norm(age_in)])
    hidden = layers.Dense(16, activation="relu")(features)
    output = layers.Dense(1, activation="sigmoid")(hidden)
    inputs = {"thal": thal_in, "sex": sex_in, "age": age_in} if dict_inputs else [thal_in, sex_in, age_in]
    model = tf.keras.Model(inputs, output)
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def test_input_accepts_keras_dtype_string():
    text_in = layers.Input(shape=(1,), name="thal", dtype="string")
    assert text_in.dtype == layers.Input(shape=(1,), dtype=tf.string).dtype
    lookup = StringLookup(vocabulary=list(THAL), output_mode="one_hot")
    model = tf.keras.Model(text_in, lookup(text_in))
    np.testing.assert_array_equal(model(np.array([["fixed"], ["?"]])).numpy(), [[0, 0, 1, 0], [1, 0, 0, 0]])


def test_fit_evaluate_predict_on_a_dict_of_columns():
    columns, label = table()
    model = heart_model(columns)
    # The dict lists the columns in another order than the model's inputs: matched by name.
    x = {"age": columns["age"], "sex": columns["sex"], "thal": columns["thal"]}
    history = model.fit(x, label, epochs=25, batch_size=32, validation_split=0.2, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0]
    assert "val_loss" in history.history
    loss, accuracy = model.evaluate(x, label, verbose=0)
    assert accuracy > 0.9
    probabilities = model.predict(x, batch_size=50, verbose=0)
    assert probabilities.shape == (240, 1)
    np.testing.assert_allclose(((probabilities[:, 0] > 0.5) == label).mean(), accuracy, atol=1e-6)
    # The model called directly on columns of shape (n, 1) agrees with predict.
    direct = model({k: v[:, None] for k, v in x.items()}).numpy()
    np.testing.assert_allclose(direct, probabilities, rtol=1e-5, atol=1e-6)


def test_a_model_with_named_dict_inputs_and_columns_as_lists():
    columns, label = table(n=120)
    model = heart_model(columns, dict_inputs=True)
    as_lists = {key: value.tolist() for key, value in columns.items()}
    before = model.evaluate(as_lists, label.tolist(), verbose=0)[0]
    model.fit(as_lists, label.tolist(), epochs=20, batch_size=16, verbose=0)
    assert model.evaluate(as_lists, label.tolist(), verbose=0)[0] < before
    assert model.predict(as_lists, verbose=0).shape == (120, 1)


def test_fit_evaluate_predict_on_a_dataset_of_columns():
    columns, label = table()
    model = heart_model(columns)
    train = Dataset.from_tensor_slices((columns, label)).shuffle(240, seed=0).batch(32)
    history = model.fit(
        train, epochs=25, validation_data=Dataset.from_tensor_slices((columns, label)).batch(64), verbose=0
    )
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0]
    assert model.evaluate(Dataset.from_tensor_slices((columns, label)).batch(64), verbose=0)[1] > 0.9
    from_dataset = model.predict(Dataset.from_tensor_slices(columns).batch(50), verbose=0)
    np.testing.assert_allclose(from_dataset, model.predict(columns, verbose=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["U", "S", "object_str", "object_bytes"])
def test_text_of_every_numpy_kind_gives_the_same_results(kind):
    columns, label = table(n=64)
    thal = columns["thal"]
    converted = {
        "U": thal,
        "S": thal.astype("S"),
        "object_str": thal.astype(object),
        "object_bytes": np.array([t.encode() for t in thal], dtype=object),
    }[kind]
    model = heart_model(columns)
    expected = model.predict(columns, verbose=0)
    x = {**columns, "thal": converted}
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x), expected, rtol=1e-5, atol=1e-6)
    assert np.isfinite(model.evaluate(x, label, verbose=0)[0])
    model.train_on_batch({k: v[:16] for k, v in x.items()}, label[:16])
    model.fit(x, label, epochs=1, batch_size=16, shuffle=True, verbose=0)


def test_shuffled_batches_keep_the_text_with_its_row():
    # A text column that alone decides the label: learnable only if shuffling keeps rows together.
    rng = np.random.default_rng(1)
    words = rng.choice(np.array(["yes", "no"]), size=(200, 1))
    label = (words[:, 0] == "yes").astype("float32")
    lookup = StringLookup(output_mode="one_hot")
    lookup.adapt(words)
    inputs = layers.Input(shape=(1,), dtype="string")
    model = tf.keras.Model(inputs, layers.Dense(1, activation="sigmoid")(lookup(inputs)))
    model.compile(optimizer=tf.keras.optimizers.Adam(0.1), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(words, label, epochs=10, batch_size=16, shuffle=True, verbose=0)
    assert model.evaluate(words, label, verbose=0)[1] == 1.0


def snapshot(model):
    return [w.copy() for w in model.get_weights()]


@pytest.mark.parametrize(
    "labels",
    [
        np.where(table()[1] > 0, "sick", "healthy"),
        np.where(table()[1] > 0, b"sick", b"healthy"),
        np.where(table()[1] > 0, "sick", "healthy").astype(object),
    ],
    ids=["U", "S", "object"],
)
def test_text_targets_are_refused_clearly_before_any_change(labels):
    columns, _ = table()
    model = heart_model(columns)
    before = snapshot(model)
    for call in (
        lambda: model.fit(columns, labels, epochs=1, verbose=0),
        lambda: model.evaluate(columns, labels, verbose=0),
        lambda: model.train_on_batch(columns, labels),
        lambda: model.fit(Dataset.from_tensor_slices((columns, labels)).batch(32), epochs=1, verbose=0),
    ):
        with pytest.raises(ValueError, match=r"y.* must hold numbers, but it holds text.*class indices"):
            call()
    for a, b in zip(before, snapshot(model)):
        np.testing.assert_array_equal(a, b)


def test_text_for_a_number_input_and_missing_text_are_refused_clearly():
    columns, label = table()
    model = heart_model(columns)
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"x\['age'\] must hold numbers, but it holds text.*dtype='string'"):
        model.fit({**columns, "age": columns["thal"]}, label, epochs=1, verbose=0)
    with_gap = columns["thal"].astype(object)
    with_gap[5] = None
    with pytest.raises(ValueError, match=r"x\['thal'\] holds text, but also None \(at index \(5,\)\)"):
        model.fit({**columns, "thal": with_gap}, label, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"x\['thal'\] holds text, but also None"):
        model.predict({**columns, "thal": with_gap}, verbose=0)
    for a, b in zip(before, snapshot(model)):
        np.testing.assert_array_equal(a, b)


def test_text_for_a_model_without_declared_inputs_is_refused_clearly():
    model = tf.keras.Sequential([layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"fit: x holds text.*dtype='string'"):
        model.fit(np.full((4, 2), "a"), np.zeros(4), verbose=0)
