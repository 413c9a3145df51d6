"""Theme: custom callbacks read a logs dict in every hook; EarlyStopping and LambdaCallback."""

import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(0)  # the same weights and shuffles every run

seen = {}


class Watcher(tf.keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        seen["train_begin"] = dict(logs)

    def on_epoch_begin(self, epoch, logs=None):
        seen.setdefault("epoch_begin", []).append(dict(logs))

    def on_train_batch_end(self, batch, logs=None):
        seen["last_batch_loss"] = logs["loss"]

    def on_epoch_end(self, epoch, logs=None):
        seen.setdefault("val_loss", []).append(logs["val_loss"])

    def on_test_begin(self, logs=None):
        seen["test_begin"] = dict(logs)


x = np.random.default_rng(11).normal(size=(120, 3)).astype("float32")
y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
model.compile(optimizer=tf.keras.optimizers.SGD(0.05), loss="mse")
epochs_run = []
stopper = tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=1, min_delta=10.0)
history = model.fit(
    x,
    y,
    epochs=30,
    validation_split=0.25,
    verbose=0,
    callbacks=[
        Watcher(),
        stopper,
        tf.keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: epochs_run.append(epoch)),
    ],
)
assert seen["train_begin"] == {} and all(isinstance(logs, dict) for logs in seen["epoch_begin"])
assert seen["last_batch_loss"] > 0 and isinstance(seen["test_begin"], dict)
assert len(epochs_run) == len(history.history["loss"]) < 30  # stopped early
assert seen["val_loss"] == history.history["val_loss"]
print("THEME OK")
