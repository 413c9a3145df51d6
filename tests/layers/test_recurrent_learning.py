"""Recurrent networks learn: the adding problem and a tiny sentiment task, on data made here."""

import numpy as np

import learnet as tf
from learnet import layers


def adding_problem(rng, n, steps):
    """Each step holds a number and a flag; the target is the sum of the two flagged numbers."""
    values = rng.uniform(0, 1, size=(n, steps))
    flags = np.zeros((n, steps))
    for row in range(n):
        flags[row, rng.choice(steps, size=2, replace=False)] = 1
    x = np.stack([values, flags], axis=-1).astype("float32")
    return x, (values * flags).sum(axis=1, keepdims=True).astype("float32")


def test_lstm_learns_the_adding_problem():
    rng = np.random.default_rng(0)
    x, y = adding_problem(rng, 768, 8)
    x_test, y_test = adding_problem(rng, 256, 8)
    model = tf.keras.Sequential([layers.Input((8, 2)), layers.LSTM(16), layers.Dense(1)])
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="mse")
    model.fit(x, y, epochs=25, batch_size=32, verbose=0)
    # Guessing the mean gives the variance of a sum of two uniforms, 1/6 ~ 0.167.
    assert model.evaluate(x_test, y_test, verbose=0) < 0.01


POSITIVE, NEGATIVE, VOCABULARY = (3, 4, 5), (6, 7, 8), 20


def sentiment(rng, n):
    """Reviews of 3..12 words, zero-padded at the end; positive when good words outnumber bad ones."""
    x = np.zeros((n, 12), dtype="int32")
    y = np.zeros((n, 1), dtype="float32")
    for row in range(n):
        while True:
            length = rng.integers(3, 13)
            words = rng.integers(1, VOCABULARY, size=length)
            good, bad = np.isin(words, POSITIVE).sum(), np.isin(words, NEGATIVE).sum()
            if good != bad:
                break
        x[row, :length] = words
        y[row] = good > bad
    return x, y


def test_embedding_and_masked_gru_learn_a_tiny_sentiment_task():
    rng = np.random.default_rng(1)
    x, y = sentiment(rng, 1024)
    x_test, y_test = sentiment(rng, 256)
    model = tf.keras.Sequential(
        [
            layers.Input((None,), dtype="int32"),
            layers.Embedding(VOCABULARY, 8, mask_zero=True),
            layers.Bidirectional(layers.GRU(8)),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=tf.keras.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=12, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.95
    # The padding is masked: more zeros at the end change no prediction.
    longer = np.concatenate([x_test, np.zeros((len(x_test), 5), "int32")], axis=1)
    np.testing.assert_allclose(model.predict(longer, verbose=0), model.predict(x_test, verbose=0), atol=1e-5)
