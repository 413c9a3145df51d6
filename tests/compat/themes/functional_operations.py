"""Theme: operations on a functional model's symbolic tensors (arithmetic, indexing,
comparisons, keras.ops functions, a mask from Embedding(mask_zero=True) that Keras records as
an operation), trained, saved as .keras and loaded back."""

import numpy as np
import keras
from keras import layers, ops

keras.utils.set_random_seed(0)
rng = np.random.default_rng(11)

readings = keras.Input(shape=(6, 3), name="readings")
tokens = keras.Input(shape=(6,), dtype="int32", name="tokens")
centered = readings - ops.mean(readings, axis=1, keepdims=True)
scaled = centered / (ops.std(readings, axis=1, keepdims=True) + 1e-3)
first_and_last = ops.concatenate([readings[:, 0], readings[:, -1, ::-1]], axis=-1)
positive = ops.cast(ops.greater(readings, 0.0), "float32")
embedded = layers.Embedding(10, 4, mask_zero=True)(tokens)
sequence = layers.LSTM(5)(ops.concatenate([embedded, scaled * 2.0 + 1.0], axis=-1))
summary = ops.concatenate([sequence, first_and_last, ops.sum(positive, axis=(1, 2))[:, None]], axis=-1)
outputs = layers.Dense(1)(ops.relu(summary) - 0.5 * ops.relu(-summary))
model = keras.Model([readings, tokens], outputs)

x = rng.normal(size=(64, 6, 3)).astype("float32")
t = rng.integers(1, 10, size=(64, 6)).astype("int32")
t[::3, -2:] = 0  # padding, masked for the LSTM
y = (x[:, 0, :1] - x[:, -1, :1]).astype("float32")
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
history = model.fit([x, t], y, epochs=10, batch_size=16, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0]

model.save("operations.keras")
restored = keras.models.load_model("operations.keras")
np.testing.assert_allclose(restored.predict([x, t], verbose=0), model.predict([x, t], verbose=0), rtol=1e-4, atol=1e-5)
print("THEME OK")
