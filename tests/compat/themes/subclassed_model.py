"""Theme: a subclassed keras.Model with its own call, trained by fit."""

import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(0)  # the same weights and shuffles every run


class WideAndDeep(tf.keras.Model):
    def __init__(self, units=16, **kwargs):
        super().__init__(**kwargs)
        self.hidden1 = tf.keras.layers.Dense(units, activation="relu")
        self.hidden2 = tf.keras.layers.Dense(units, activation="relu")
        self.out = tf.keras.layers.Dense(1)

    def call(self, inputs):
        deep = self.hidden2(self.hidden1(inputs))
        return self.out(tf.concat([inputs, deep], axis=-1))


rng = np.random.default_rng(6)
x = rng.normal(size=(400, 3)).astype("float32")
y = (x[:, :1] * 2 + np.sin(x[:, 1:2])).astype("float32")
model = WideAndDeep(units=12, name="wide_deep")
model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
history = model.fit(x, y, epochs=10, batch_size=32, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0] / 3
assert model.name == "wide_deep" and len(model.trainable_variables) == 6
assert model.predict(x[:2], verbose=0).shape == (2, 1)
print("THEME OK")
