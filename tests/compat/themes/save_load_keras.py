"""Theme: model.save to .keras, load_model, weights files and checkpoints by callback."""

import os

import numpy as np
from tensorflow import keras

keras.utils.set_random_seed(0)  # the same weights and shuffles every run

x = np.random.default_rng(16).normal(size=(64, 4)).astype("float32")
y = x.sum(axis=1, keepdims=True)
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.fit(
    x,
    y,
    epochs=2,
    verbose=0,
    callbacks=[keras.callbacks.ModelCheckpoint("best.keras", save_best_only=True, monitor="loss")],
)
assert os.path.exists("best.keras")
model.save("whole.keras")
again = keras.models.load_model("whole.keras")
assert np.allclose(again.predict(x, verbose=0), model.predict(x, verbose=0))
assert again.evaluate(x, y, verbose=0)[0] == model.evaluate(x, y, verbose=0)[0]
again.fit(x, y, epochs=1, verbose=0)  # still compiled, optimizer restored
print("THEME OK")
