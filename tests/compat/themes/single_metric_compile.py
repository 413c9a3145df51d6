"""Theme: metrics as a list of names and objects, per-output metrics and logits losses."""

import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(0)  # the same weights and shuffles every run

rng = np.random.default_rng(10)
x = rng.normal(size=(300, 4)).astype("float32")
y = (x[:, 0] + x[:, 1] > 0).astype("float32")
model = tf.keras.Sequential(
    [tf.keras.Input((4,)), tf.keras.layers.Dense(8, activation="relu"), tf.keras.layers.Dense(1)]
)
model.compile(
    optimizer=tf.keras.optimizers.Adam(0.02),
    loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[tf.keras.metrics.BinaryAccuracy(threshold=0.0), "mae", tf.keras.metrics.AUC(from_logits=True, name="auc")],
)
history = model.fit(x, y, epochs=15, batch_size=32, verbose=0, validation_data=(x[:50], y[:50]))
assert sorted(history.history) == [
    "auc",
    "binary_accuracy",
    "loss",
    "mae",
    "val_auc",
    "val_binary_accuracy",
    "val_loss",
    "val_mae",
]
results = model.evaluate(x, y, verbose=0, return_dict=True)
assert results["binary_accuracy"] > 0.8 and 0.5 < results["auc"] <= 1.0
print("THEME OK")
