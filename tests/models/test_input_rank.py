"""Inputs one axis short or long, as Keras 3 adjusts them: a missing or extra last axis of size 1.

Hands-On (chapter 15) feeds ``timeseries_dataset_from_array`` windows shaped ``(batch, 56)``
to ``SimpleRNN(1, input_shape=[None, 1])``; Keras 3 adds the last axis.
"""

import numpy as np
import pytest

import learnet as tf

SERIES = np.sin(np.arange(200) / 10).astype("float32")


def test_a_series_without_its_feature_axis_trains_a_recurrent_model():
    train = tf.keras.utils.timeseries_dataset_from_array(
        SERIES[:-1], targets=SERIES[20:], sequence_length=20, batch_size=32
    )
    model = tf.keras.Sequential([tf.keras.layers.SimpleRNN(1, input_shape=[None, 1])])
    model.compile(loss="mse", optimizer="adam")
    model.fit(train, epochs=1, verbose=0)
    windows = np.stack([SERIES[i : i + 20] for i in range(3)])
    np.testing.assert_allclose(
        model.predict(windows, verbose=0), model.predict(windows[..., None], verbose=0), rtol=1e-6
    )


def test_functional_inputs_gain_or_lose_a_last_axis_of_one():
    inputs = tf.keras.Input((None, 1))
    model = tf.keras.Model(inputs, tf.keras.layers.SimpleRNN(2)(inputs))
    assert model(SERIES[None, :10]).shape == (1, 2)
    flat = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
    np.testing.assert_allclose(flat(np.ones((2, 3, 1), "float32")), flat(np.ones((2, 3), "float32")))


def test_other_shapes_are_still_refused_with_the_hint_for_one_sample():
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="a single sample needs a batch"):
        model(np.ones((3,), "float32"))
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, 3\)"):
        model(np.ones((2, 3, 2), "float32"))
    images = tf.keras.Sequential([tf.keras.Input((4, 4, 1)), tf.keras.layers.Flatten()])
    with pytest.raises(ValueError, match="a single sample needs a batch"):
        images(np.ones((4, 4, 1), "float32"))


def test_a_sequential_starting_with_a_model_takes_that_models_input_shape():
    # Hands-On (chapter 16): Sequential([encoder, RepeatVector(n), decoder]), the encoder declaring
    # input_shape=[None]; trained on dates of 18 characters, it then reads 13.
    encoder = tf.keras.Sequential(
        [tf.keras.layers.Embedding(input_dim=20, output_dim=8, input_shape=[None]), tf.keras.layers.LSTM(16)]
    )
    decoder = tf.keras.Sequential(
        [tf.keras.layers.LSTM(16, return_sequences=True), tf.keras.layers.Dense(5, activation="softmax")]
    )
    model = tf.keras.Sequential([encoder, tf.keras.layers.RepeatVector(7), decoder])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="nadam")
    rng = np.random.default_rng(0)
    model.fit(rng.integers(1, 20, (32, 18)), rng.integers(0, 5, (32, 7)), epochs=1, verbose=0)
    assert model.input_shape == (None, None)
    assert model.predict(rng.integers(1, 20, (2, 13)), verbose=0).shape == (2, 7, 5)


def test_integer_inputs_stay_integers_in_symbolic_calls_and_dataset_batches():
    # Hands-On's diffusion model: Input(shape=[], dtype=tf.int32) of time steps, looked up with tf.gather.
    class TimeEncoding(tf.keras.layers.Layer):
        def __init__(self, steps, size, **kwargs):
            super().__init__(dtype=tf.float32, **kwargs)
            self.table = tf.constant(np.random.default_rng(0).random((steps + 1, size)).astype("float32"))

        def call(self, inputs):
            return tf.gather(self.table, inputs)

    images = tf.keras.layers.Input(shape=[4], name="X")
    time = tf.keras.layers.Input(shape=[], dtype=tf.int32, name="time")
    model = tf.keras.Model([images, time], tf.keras.layers.Dense(4)(TimeEncoding(10, 4)(time)) + images)
    model.compile(loss="mse", optimizer="sgd")
    x = np.random.default_rng(1).random((8, 4)).astype("float32")
    steps = np.arange(8) % 10
    dataset = tf.data.Dataset.from_tensor_slices(({"X": x, "time": steps}, x)).batch(4)
    model.fit(dataset, epochs=1, verbose=0)
    model.fit({"X": x, "time": steps}, x, epochs=1, verbose=0)
    np.testing.assert_allclose(
        model.predict(dataset, verbose=0), model.predict({"X": x, "time": steps}, verbose=0), rtol=1e-6
    )
