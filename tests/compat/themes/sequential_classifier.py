"""Theme: a Sequential classifier: compile, fit with validation, evaluate, predict."""

import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(0)  # the same weights and shuffles every run

rng = np.random.default_rng(0)
centres = np.array([[0, 0], [3, 3], [0, 3]], dtype="float32")
labels = rng.integers(0, 3, size=600)
points = (centres[labels] + rng.normal(scale=0.6, size=(600, 2))).astype("float32")
model = tf.keras.Sequential(
    [
        tf.keras.layers.Input(shape=(2,)),
        tf.keras.layers.Dense(16, activation="relu"),
        tf.keras.layers.Dense(3, activation="softmax"),
    ]
)
model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(points[:500], labels[:500], epochs=20, batch_size=32, validation_split=0.2, verbose=0)
assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
loss, accuracy = model.evaluate(points[500:], labels[500:], verbose=0)
assert accuracy > 0.85, accuracy
probabilities = model.predict(points[500:505], verbose=0)
assert probabilities.shape == (5, 3) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
assert model.count_params() == 2 * 16 + 16 + 16 * 3 + 3
print("THEME OK")
