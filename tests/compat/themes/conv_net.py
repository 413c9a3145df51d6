"""Theme: a small convnet on synthetic images (stripes vs blobs)."""

import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(1)  # the same weights and shuffles every run

rng = np.random.default_rng(18)
images = rng.normal(scale=0.3, size=(160, 12, 12, 1)).astype("float32")
labels = rng.integers(0, 2, size=160)
images[labels == 1, :, ::3, 0] += 2.0  # vertical stripes
model = tf.keras.Sequential(
    [
        tf.keras.Input((12, 12, 1)),
        tf.keras.layers.Conv2D(4, 3, activation="relu", padding="same"),
        tf.keras.layers.MaxPooling2D(2),
        tf.keras.layers.Conv2D(8, 3, activation="relu"),
        tf.keras.layers.GlobalAveragePooling2D(),
        tf.keras.layers.Dense(2, activation="softmax"),
    ]
)
assert model.output_shape == (None, 2) and model.layers[1].output.shape[1:] == (6, 6, 4)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(images, labels, epochs=8, batch_size=16, verbose=0)
assert history.history["accuracy"][-1] > 0.9, history.history["accuracy"]
print("THEME OK")
