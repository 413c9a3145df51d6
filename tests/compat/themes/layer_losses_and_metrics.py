"""Theme: add_loss in a layer and metrics held by a model, shown in the logs."""

import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(0)  # the same weights and shuffles every run


class ActivityPenalty(tf.keras.layers.Layer):
    def __init__(self, rate=0.01, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * tf.reduce_sum(tf.square(inputs)))
        return inputs


class Regressor(tf.keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = tf.keras.layers.Dense(8, activation="relu")
        self.penalty = ActivityPenalty(0.001)
        self.out = tf.keras.layers.Dense(1)
        self.hidden_norm = tf.keras.metrics.Mean(name="hidden_norm")

    def call(self, inputs, training=False):
        hidden = self.penalty(self.hidden(inputs))
        if training:
            self.hidden_norm.update_state(tf.reduce_mean(tf.abs(hidden)))
        return self.out(hidden)


x = np.random.default_rng(9).normal(size=(128, 4)).astype("float32")
model = Regressor()
model.compile(optimizer="adam", loss="mse")
history = model.fit(x, x.sum(axis=1, keepdims=True), epochs=2, verbose=0)
assert "hidden_norm" in history.history and all(v > 0 for v in history.history["hidden_norm"])
model(x[:4])
assert len(model.losses) == 1 and float(model.losses[0]) > 0
print("THEME OK")
