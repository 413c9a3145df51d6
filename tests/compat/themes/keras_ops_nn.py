"""Theme: keras.ops neural-network functions inside a custom layer trained by fit."""

import numpy as np
import keras
from keras import layers, ops

keras.utils.set_random_seed(0)  # the same weights and shuffles every run

probabilities = ops.softmax(ops.convert_to_tensor([[1.0, 2.0, 3.0]]))
assert np.allclose(ops.convert_to_numpy(ops.sum(probabilities, axis=-1)), 1.0)
hot = ops.one_hot(ops.array([2, 0]), 3)
assert ops.convert_to_numpy(hot).tolist() == [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
loss = ops.categorical_crossentropy(hot, ops.convert_to_tensor([[0.1, 0.1, 0.8], [0.7, 0.2, 0.1]]))
assert np.allclose(ops.convert_to_numpy(loss), [-np.log(0.8), -np.log(0.7)], atol=1e-6)


class GatedDense(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 2 * self.units), initializer="glorot_uniform")

    def call(self, inputs):
        value, gate = ops.split(ops.matmul(inputs, self.w), 2, axis=-1)
        return ops.relu(value) * ops.sigmoid(gate)


rng = np.random.default_rng(1)
x = rng.normal(size=(256, 6)).astype("float32")
y = (x[:, 0] > 0).astype("int32")
model = keras.Sequential([keras.Input((6,)), GatedDense(16), layers.Dense(2, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=20, batch_size=32, verbose=0)
assert history.history["accuracy"][-1] > 0.8, history.history["accuracy"]
print("THEME OK")
