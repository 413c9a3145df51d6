"""Theme: models with two outputs (functional and subclassed): a loss and metrics per output,
loss weights, evaluate returning [total, each output's loss, metrics], per-output history keys."""

import numpy as np
import tensorflow as tf
from tensorflow import keras

tf.keras.utils.set_random_seed(5)  # the same weights and shuffles every run
rng = np.random.default_rng(5)
sensors = rng.normal(size=(600, 7)).astype("float32")
load = (sensors[:, :3] @ np.array([1.5, -1.0, 0.5], "float32"))[:, None] + 1.0
alarm = (load > 1.0).astype("float32")
short_part, long_part = sensors[:, :4], sensors[:, 2:]

short_in = keras.layers.Input(shape=[4], name="short_in")
long_in = keras.layers.Input(shape=[5], name="long_in")
hidden = keras.layers.Dense(16, activation="relu")(long_in)
joined = keras.layers.concatenate([short_in, hidden])
load_out = keras.layers.Dense(1, name="load")(joined)
alarm_out = keras.layers.Dense(1, activation="sigmoid", name="alarm")(hidden)
model = keras.Model(inputs=[short_in, long_in], outputs=[load_out, alarm_out])
model.compile(
    optimizer=keras.optimizers.Adam(0.01),
    loss=["mse", "binary_crossentropy"],
    loss_weights=[0.8, 0.2],
    metrics=[["mae"], ["accuracy"]],
)
history = model.fit(
    [short_part[:500], long_part[:500]],
    [load[:500], alarm[:500]],
    epochs=6,
    verbose=0,
    validation_data=([short_part[500:], long_part[500:]], [load[500:], alarm[500:]]),
)
assert {
    "loss",
    "load_loss",
    "alarm_loss",
    "load_mae",
    "alarm_accuracy",
    "val_loss",
    "val_load_loss",
    "val_alarm_loss",
} <= set(history.history), sorted(history.history)
assert history.history["load_loss"][-1] < history.history["load_loss"][0]
# batch_size=25 splits the 100 samples evenly: TensorFlow 2.21 averages each output's loss per batch.
total, load_loss, alarm_loss, *rest = model.evaluate(
    [short_part[500:], long_part[500:]], [load[500:], alarm[500:]], batch_size=25, verbose=0
)
load_pred, alarm_pred = model.predict([short_part[500:], long_part[500:]], verbose=0)
assert abs(load_loss - float(((load_pred - load[500:]) ** 2).mean())) < 1e-4 * max(1.0, load_loss)
assert abs(total - (0.8 * load_loss + 0.2 * alarm_loss)) < 1e-3 * max(1.0, total)
by_name = model.evaluate(
    {"short_in": short_part[500:], "long_in": long_part[500:]},
    {"load": load[500:], "alarm": alarm[500:]},
    batch_size=25,
    verbose=0,
    return_dict=True,
)
assert abs(by_name["load_loss"] - load_loss) < 1e-4 and 0.0 <= by_name["alarm_accuracy"] <= 1.0
load_pred, alarm_pred = model.predict([short_part[:3], long_part[:3]], verbose=0)
assert load_pred.shape == (3, 1) and alarm_pred.shape == (3, 1)


class TwoHeads(keras.Model):
    def __init__(self, units=16, **kwargs):
        super().__init__(**kwargs)
        self.body = keras.layers.Dense(units, activation="relu")
        self.first_head = keras.layers.Dense(1)
        self.second_head = keras.layers.Dense(1)

    def call(self, inputs):
        short, long = inputs
        body = self.body(long)
        return self.first_head(keras.layers.concatenate([short, body])), self.second_head(body)


heads = TwoHeads(name="two_heads")
heads.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss=["mse", "mse"], loss_weights=[0.9, 0.1])
heads.fit((short_part, long_part), (load, load), epochs=2, verbose=0)
results = heads.evaluate((short_part, long_part), (load, load), batch_size=50, verbose=0)
first, second = heads.predict((short_part, long_part), verbose=0)
assert first.shape == second.shape == (600, 1)
# [total, first output's loss, second output's loss]; only the total is checked here, as
# Keras 3 names both unnamed outputs' losses "mse_loss" (tf.keras 2 and learnet: output_1_loss...).
expected = 0.9 * float(((first - load) ** 2).mean()) + 0.1 * float(((second - load) ** 2).mean())
assert len(results) == 3 and abs(results[0] - expected) < 1e-3 * max(1.0, expected)
print("THEME OK")
