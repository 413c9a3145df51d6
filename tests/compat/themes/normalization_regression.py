"""Theme: regression behind a Normalization layer: adapt() on a table of features (axis=-1)
and on one column (axis=None, input_shape=[1]), the learned mean and variance, one-unit and
deeper models trained on mean absolute error with a validation split, predictions along a
line of inputs, and a model with its Normalization saved and loaded."""

import io
from contextlib import redirect_stdout

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

tf.keras.utils.set_random_seed(95)  # the same weights and shuffles every run
rng = np.random.default_rng(95)
engine = rng.uniform(50, 250, size=400)
weight = rng.uniform(1500, 5000, size=400)
age = rng.uniform(0, 15, size=400)
table = np.stack([engine, weight, age], axis=1).astype("float32")
consumption = (45 - 0.08 * engine - 0.003 * weight - 0.3 * age + rng.normal(0, 1.0, size=400)).astype("float32")
train_x, test_x, train_y, test_y = table[:320], table[320:], consumption[:320], consumption[320:]

normalizer = layers.Normalization(axis=-1)
normalizer.adapt(np.array(train_x))
assert np.allclose(normalizer.mean.numpy().ravel(), train_x.mean(axis=0), rtol=1e-4)
assert np.allclose(normalizer.variance.numpy().ravel(), train_x.var(axis=0), rtol=1e-3)
scaled = normalizer(train_x).numpy()
assert np.allclose(scaled.mean(axis=0), 0.0, atol=1e-3) and np.allclose(scaled.std(axis=0), 1.0, atol=1e-3)

engine_column = np.array(train_x[:, 0])
engine_normalizer = layers.Normalization(input_shape=[1], axis=None)
engine_normalizer.adapt(engine_column)
engine_model = keras.Sequential([engine_normalizer, layers.Dense(units=1)])
printed = io.StringIO()
with redirect_stdout(printed):
    engine_model.summary()
assert "Dense" in printed.getvalue() or "dense" in printed.getvalue()
engine_model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1), loss="mean_absolute_error")
history = engine_model.fit(engine_column, train_y, epochs=40, verbose=0, validation_split=0.2)
assert history.history["val_loss"][-1] < history.history["val_loss"][0]
line = tf.linspace(50.0, 250.0, 21)
along = engine_model.predict(line, verbose=0)
assert along.shape == (21, 1) and along[0, 0] > along[-1, 0]  # more engine, less range


def deep_regressor(norm):
    model = keras.Sequential(
        [norm, layers.Dense(32, activation="relu"), layers.Dense(32, activation="relu"), layers.Dense(1)]
    )
    model.compile(loss="mean_absolute_error", optimizer=keras.optimizers.Adam(0.01))
    return model


deep = deep_regressor(normalizer)
deep.fit(train_x, train_y, validation_split=0.2, epochs=40, verbose=0)
test_error = deep.evaluate(test_x, test_y, verbose=0)
assert test_error < 2.5, test_error
deep.save("consumption.keras")
reloaded = keras.models.load_model("consumption.keras")
assert np.isclose(reloaded.evaluate(test_x, test_y, verbose=0), test_error, rtol=1e-5)
assert np.allclose(reloaded.predict(test_x[:5], verbose=0), deep.predict(test_x[:5], verbose=0), atol=1e-5)
print("THEME OK")
