"""Theme: a functional model with two inputs and two outputs, dict data."""

import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(0)  # the same weights and shuffles every run

numbers = keras.Input(shape=(4,), name="numbers")
flags = keras.Input(shape=(2,), name="flags")
merged = layers.concatenate([layers.Dense(8, activation="relu")(numbers), flags])
score = layers.Dense(1, name="score")(merged)
kind = layers.Dense(3, activation="softmax", name="kind")(merged)
model = keras.Model(inputs=[numbers, flags], outputs=[score, kind])
assert [t.shape[-1] for t in model.outputs] == [1, 3]
rng = np.random.default_rng(4)
x1 = rng.normal(size=(128, 4)).astype("float32")
x2 = rng.integers(0, 2, size=(128, 2)).astype("float32")
y1 = x1.sum(axis=1, keepdims=True)
y2 = rng.integers(0, 3, size=128)
model.compile(
    optimizer="adam",
    loss={"score": "mse", "kind": "sparse_categorical_crossentropy"},
    loss_weights={"score": 1.0, "kind": 0.5},
)
history = model.fit({"numbers": x1, "flags": x2}, {"score": y1, "kind": y2}, epochs=3, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0]
score_out, kind_out = model.predict([x1[:3], x2[:3]], verbose=0)
assert score_out.shape == (3, 1) and kind_out.shape == (3, 3)
print("THEME OK")
