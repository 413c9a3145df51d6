"""Theme: a functional model with three named inputs and two named outputs compiled with lists
and with dicts (losses and metrics per output), fed lists or dicts, its layers' inputs and
outputs read back to grow a third output, and the same network as a subclassed model taking
a dict of inputs; EarlyStopping on a validation metric and ModelCheckpoint on val_loss."""

import os

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

tf.keras.utils.set_random_seed(80)  # the same weights and shuffles every run
rng = np.random.default_rng(80)
rows = 240
readings = rng.integers(0, 2, size=(rows, 30)).astype("float32")
history_bits = rng.integers(0, 2, size=(rows, 30)).astype("float32")
flags = rng.integers(0, 2, size=(rows, 5)).astype("float32")
urgency = (readings[:, :10].mean(axis=1, keepdims=True) * 0.5 + flags[:, :1] * 0.5).astype("float32")
team = keras.utils.to_categorical(rng.integers(0, 3, size=rows), 3)

reading_in = keras.Input(shape=(30,), name="readings")
history_in = keras.Input(shape=(30,), name="history")
flags_in = keras.Input(shape=(5,), name="flags")
mixed = layers.Concatenate()([reading_in, history_in, flags_in])
mixed = layers.Dense(24, activation="relu")(mixed)
urgency_out = layers.Dense(1, activation="sigmoid", name="urgency")(mixed)
team_out = layers.Dense(3, activation="softmax", name="team")(mixed)
model = keras.Model(inputs=[reading_in, history_in, flags_in], outputs=[urgency_out, team_out])

model.compile(
    optimizer="rmsprop",
    loss=["mean_squared_error", "categorical_crossentropy"],
    metrics=[["mean_absolute_error"], ["accuracy"]],
)
history = model.fit([readings, history_bits, flags], [urgency, team], epochs=2, verbose=0)
assert {"loss", "urgency_loss", "team_loss", "urgency_mean_absolute_error", "team_accuracy"} <= set(history.history)
results = model.evaluate([readings, history_bits, flags], [urgency, team], batch_size=40, verbose=0)
assert len(results) == 5 and all(value >= 0 for value in results)
urgency_pred, team_pred = model.predict([readings, history_bits, flags], verbose=0)
assert urgency_pred.shape == (rows, 1) and team_pred.shape == (rows, 3)

by_name_inputs = {"readings": readings, "history": history_bits, "flags": flags}
model.compile(
    optimizer="rmsprop",
    loss={"urgency": "mean_squared_error", "team": "categorical_crossentropy"},
    metrics={"urgency": ["mean_absolute_error"], "team": ["accuracy"]},
)
model.fit(by_name_inputs, {"urgency": urgency, "team": team}, epochs=1, verbose=0)
by_name = model.evaluate(by_name_inputs, {"urgency": urgency, "team": team}, batch_size=40, verbose=0, return_dict=True)
assert 0.0 <= by_name["team_accuracy"] <= 1.0 and by_name["urgency_mean_absolute_error"] >= 0.0
urgency_pred, team_pred = model.predict(by_name_inputs, verbose=0)
assert team_pred.shape == (rows, 3)

concat_layer = model.layers[3]
assert isinstance(concat_layer, layers.Concatenate) and len(concat_layer.input) == 3
assert tuple(concat_layer.output.shape) == (None, 65)
effort_out = layers.Dense(4, activation="softmax", name="effort")(model.layers[4].output)
grown = keras.Model(inputs=[reading_in, history_in, flags_in], outputs=[urgency_out, team_out, effort_out])
assert [tuple(t.shape) for t in grown.outputs] == [(None, 1), (None, 3), (None, 4)]


class StationModel(keras.Model):
    def __init__(self, teams):
        super().__init__()
        self.join = layers.Concatenate()
        self.mix = layers.Dense(24, activation="relu")
        self.urgency_head = layers.Dense(1, activation="sigmoid")
        self.team_head = layers.Dense(teams, activation="softmax")

    def call(self, inputs):
        mixed = self.mix(self.join([inputs["readings"], inputs["history"], inputs["flags"]]))
        return self.urgency_head(mixed), self.team_head(mixed)


station = StationModel(teams=3)
first, second = station(by_name_inputs)
assert first.shape == (rows, 1) and second.shape == (rows, 3)
station.compile(
    optimizer="rmsprop",
    loss=["mean_squared_error", "categorical_crossentropy"],
    metrics=[["mean_absolute_error"], ["accuracy"]],
)
station.fit(by_name_inputs, [urgency, team], epochs=1, verbose=0)
assert len(station.evaluate(by_name_inputs, [urgency, team], batch_size=40, verbose=0)) == 5

classifier = keras.Model([reading_in, history_in, flags_in], team_out)
classifier.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=1, mode="max", min_delta=1.0)
keep = keras.callbacks.ModelCheckpoint(filepath="best_station.keras", monitor="val_loss", save_best_only=True)
history = classifier.fit(by_name_inputs, team, epochs=10, validation_split=0.25, callbacks=[stop, keep], verbose=0)
assert len(history.history["loss"]) == 2 and os.path.exists("best_station.keras")  # no epoch gains 1.0
print("THEME OK")
