"""``fit`` hands integer (and boolean) inputs and targets to ``train_step`` as they are, as Keras.

Keras 3 converts only floats (to the default float type) before ``train_step``; integers,
booleans and text arrive unchanged and the layers cast what they compute on. A model that
declares its inputs (``keras.Input(dtype=...)``) still gets that dtype. The expected dtypes
here were read from TensorFlow 2.21's Keras on the same data.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import pytest

import learnet as tf
from learnet import keras


def _dtype(value):
    if isinstance(value, dict):
        return {key: _dtype(item) for key, item in value.items()}
    return str(np.dtype(value.dtype))


class _Recorder(keras.Model):
    """A subclassed model whose ``train_step`` records the dtypes of the batch it gets."""

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)
        self.seen = []

    def call(self, x):
        return self.dense(x["source"] if isinstance(x, dict) else x)

    def train_step(self, data):
        x, y = data[0], data[1]
        self.seen.append((_dtype(x), _dtype(y)))
        return {}


def _seen(*args):
    model = _Recorder()
    model.compile("sgd", "mse")
    model.fit(*args, epochs=1, verbose=0)
    return model.seen[0]


def _dataset(x, y):
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(4)


# (x, y) -> what TensorFlow 2.21's Keras hands to train_step.
CASES = [
    ("int32", "int64", ("int32", "int64")),
    ("float64", "float64", ("float32", "float32")),
    ("bool", "uint8", ("bool", "uint8")),
    ("int32", "float16", ("int32", "float32")),
]


@pytest.mark.parametrize("x_dtype, y_dtype, expected", CASES)
def test_arrays_keep_integer_dtypes(x_dtype, y_dtype, expected):
    assert _seen(np.ones((4, 3), x_dtype), np.ones((4,), y_dtype)) == expected


def test_dataset_keeps_integer_inputs():
    data = _dataset(np.ones((4, 3), "int32"), np.ones((4,), "int64"))
    assert _seen(data) == ("int32", "int64")


@pytest.mark.parametrize("as_dataset", [False, True])
def test_dict_of_integer_inputs_is_kept(as_dataset):
    x = {"source": np.ones((4, 3), "int32"), "target": np.ones((4, 3), "int32")}
    y = np.ones((4,), "int32")
    seen = _seen(_dataset(x, y)) if as_dataset else _seen(x, y)
    assert seen == ({"source": "int32", "target": "int32"}, "int32")


def test_one_hot_of_integer_targets_in_train_step():
    """keras.io's speech transformer one-hot encodes the target tokens in its train_step."""

    class Seq(keras.Model):
        def __init__(self):
            super().__init__()
            self.embed = keras.layers.Embedding(5, 4)
            self.out = keras.layers.Dense(5)
            self.loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)

        def call(self, tokens):
            return self.out(self.embed(tokens))

        def train_step(self, batch):
            target = batch["target"]
            with tf.GradientTape() as tape:
                preds = self(target[:, :-1], training=True)
                loss = self.loss_fn(tf.one_hot(target[:, 1:], depth=5), preds)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            return {"loss": loss}

    tokens = np.random.default_rng(0).integers(0, 5, size=(8, 6)).astype("int32")
    data = tf.data.Dataset.from_tensor_slices({"source": tokens.astype("float32"), "target": tokens}).batch(4)
    model = Seq()
    model.compile(keras.optimizers.Adam(0.05))
    history = model.fit(data, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_predict_step_gets_integer_inputs():
    class Probe(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)
            self.dtypes = []

        def call(self, x):
            return self.dense(x)

        def predict_step(self, data):
            x = data[0] if isinstance(data, tuple) else data
            self.dtypes.append(_dtype(x))
            return self(x)

    model = Probe()
    out = model.predict(np.ones((3, 2), "int64"), verbose=0)
    assert model.dtypes[0] == "int64"
    assert out.dtype == np.float32


def test_declared_input_dtypes_still_apply():
    """A functional model converts to its Input's dtype, as Keras' model does at its door."""

    seen = []

    class Recording(keras.Model):
        def train_step(self, data):
            seen.append((_dtype(data[0][0]), _dtype(data[0][1]), _dtype(data[1])))
            return super().train_step(data)

    ids = keras.Input((3,), dtype="int32")
    values = keras.Input((3,))
    merged = keras.layers.Concatenate()([keras.layers.Flatten()(keras.layers.Embedding(4, 2)(ids)), values])
    model = Recording([ids, values], keras.layers.Dense(1)(merged))
    model.compile("sgd", "mse")
    x = [np.ones((4, 3), "int64"), np.ones((4, 3), "int32")]
    model.fit(x, np.ones((4,), "int32"), verbose=0)
    assert seen[0] == ("int64", "float32", "int32")


def _train_twice(make_model, x, y, loss):
    losses = []
    for data in (x, x.astype("float32")):
        tf.keras.utils.set_random_seed(1)
        model = make_model()
        model.compile(keras.optimizers.SGD(0.1), loss)
        history = model.fit(data, y, epochs=3, batch_size=4, shuffle=False, verbose=0)
        losses.append(history.history["loss"])
    return losses


def test_sequential_dense_on_integer_inputs_trains_as_on_floats():
    x = np.random.default_rng(0).integers(0, 4, size=(16, 3)).astype("int32")
    y = (x.sum(axis=1) > 4).astype("int64")

    def make():
        return keras.Sequential([keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1, "sigmoid")])

    ints, floats = _train_twice(make, x, y, "binary_crossentropy")
    np.testing.assert_allclose(ints, floats, rtol=1e-6)


def test_subclassed_dense_casts_integer_inputs():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(4, activation="relu")
            self.out = keras.layers.Dense(1)

        def call(self, x):
            return self.out(self.hidden(x))

    x = np.random.default_rng(1).integers(0, 5, size=(16, 3)).astype("int64")
    y = x.sum(axis=1).astype("int32")
    ints, floats = _train_twice(Net, x, y, "mse")
    np.testing.assert_allclose(ints, floats, rtol=1e-6)
    assert np.isfinite(ints).all()


def test_functional_embedding_on_integer_inputs():
    tokens = keras.Input((5,), dtype="int32")
    hidden = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(10, 4)(tokens))
    model = keras.Model(tokens, keras.layers.Dense(3)(hidden))
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    x = np.random.default_rng(2).integers(0, 10, size=(32, 5)).astype("int64")
    y = (x[:, 0] % 3).astype("int64")
    history = model.fit(x, y, epochs=10, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_sparse_labels_are_still_checked_against_the_outputs():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="label 3"):
        model.fit(np.zeros((4, 2)), np.array([0, 1, 2, 3], "int64"), verbose=0)


def test_integer_targets_for_a_one_hot_loss_are_still_refused():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy")
    weights = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        model.fit(np.zeros((4, 2)), np.array([0, 1, 2, 1], "int64"), verbose=0)
    for before, after in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)
