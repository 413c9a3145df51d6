"""Theme: the callbacks a training run leans on: EarlyStopping that restores the best weights,
ModelCheckpoint writing weights only, TensorBoard logs, a callback of our own reading val_loss,
save_weights / load_weights, and a whole model saved and loaded."""

import os

import numpy as np
import tensorflow as tf
from tensorflow import keras

keras.backend.clear_session()
tf.keras.utils.set_random_seed(40)  # the same weights and shuffles every run
rng = np.random.default_rng(40)
readings = rng.normal(size=(400, 5)).astype("float32")
target = (readings @ np.array([1.0, -2.0, 0.5, 0.0, 1.5], "float32"))[:, None] + 0.1 * rng.normal(size=(400, 1))
train_x, valid_x, train_y, valid_y = readings[:300], readings[300:], target[:300], target[300:]


class GapWatcher(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.ratios = []

    def on_epoch_end(self, epoch, logs=None):
        self.ratios.append(logs["val_loss"] / logs["loss"])


model = keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])
model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=0.01))
os.makedirs("weights_dir", exist_ok=True)
checkpoint = keras.callbacks.ModelCheckpoint("weights_dir/best.weights.h5", save_best_only=True, save_weights_only=True)
stopper = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
board = keras.callbacks.TensorBoard(log_dir=os.path.join("board_logs", "run_1"))
watcher = GapWatcher()
history = model.fit(
    train_x,
    train_y,
    epochs=25,
    validation_data=(valid_x, valid_y),
    callbacks=[checkpoint, stopper, board, watcher],
    verbose=0,
)
epochs_run = len(history.history["loss"])
assert len(watcher.ratios) == epochs_run and all(ratio > 0 for ratio in watcher.ratios)
assert os.path.exists("weights_dir/best.weights.h5")
assert {"train", "validation"} <= set(os.listdir(os.path.join("board_logs", "run_1")))
best = min(history.history["val_loss"])
restored = model.evaluate(valid_x, valid_y, verbose=0)
assert abs(restored - best) < 1e-4 * max(1.0, best) or epochs_run == 25  # back to the best epoch

model.save_weights("latest.weights.h5")
twin = keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])
twin.load_weights("weights_dir/best.weights.h5")
twin.compile(loss="mse", optimizer="sgd")
assert abs(twin.evaluate(valid_x, valid_y, verbose=0) - best) < 1e-4 * max(1.0, best)
twin.load_weights("latest.weights.h5")
assert np.allclose(twin.predict(valid_x[:4], verbose=0), model.predict(valid_x[:4], verbose=0))
model.save("regressor.keras")
reloaded = keras.models.load_model("regressor.keras")
assert np.allclose(reloaded.predict(valid_x[:4], verbose=0), model.predict(valid_x[:4], verbose=0))
print("THEME OK")
