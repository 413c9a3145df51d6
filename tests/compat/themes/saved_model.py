"""Theme: tf.saved_model.save / load of a Keras model, called like the original."""

import os

import numpy as np
import tensorflow as tf

model = tf.keras.Sequential(
    [tf.keras.Input((3,)), tf.keras.layers.Dense(4, activation="relu"), tf.keras.layers.Dense(2)]
)
x = np.random.default_rng(15).normal(size=(6, 3)).astype("float32")
tf.saved_model.save(model, "exported_model")
assert os.path.isdir("exported_model")
restored = tf.saved_model.load("exported_model")
serve = restored.signatures["serving_default"]
outputs = serve(tf.constant(x))
(only_output,) = outputs.values()
assert np.allclose(only_output.numpy(), model(x).numpy(), atol=1e-6)
print("THEME OK")
