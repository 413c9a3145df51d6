"""Theme: layers written by hand: weights made in build() with add_weight, an activation by
name through activations.get/serialize, compute_output_shape with TensorShape, a layer taking
and giving two tensors, a layer that acts only in training, a residual block reused several
times inside a subclassed model (fit on arrays and on a tf.data.Dataset), and a model with a custom layer saved and reloaded."""

import numpy as np
import tensorflow as tf
from tensorflow import keras


class PlainDense(keras.layers.Layer):
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, batch_input_shape):
        self.kernel = self.add_weight(
            name="kernel", shape=[batch_input_shape[-1], self.units], initializer="glorot_normal"
        )
        self.bias = self.add_weight(name="bias", shape=[self.units], initializer="zeros")
        super().build(batch_input_shape)

    def call(self, inputs):
        return self.activation(inputs @ self.kernel + self.bias)

    def compute_output_shape(self, batch_input_shape):
        return tf.TensorShape(list(batch_input_shape)[:-1] + [self.units])

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": keras.activations.serialize(self.activation)}


class SumAndProduct(keras.layers.Layer):
    def call(self, inputs):
        left, right = inputs
        return left + right, left * right


class JitterInTraining(keras.layers.Layer):
    def __init__(self, stddev, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev

    def call(self, inputs, training=None):
        if training:
            return inputs + tf.random.normal(tf.shape(inputs), stddev=self.stddev)
        return inputs


class SkipBlock(keras.layers.Layer):
    def __init__(self, depth, width, **kwargs):
        super().__init__(**kwargs)
        self.hidden = [
            keras.layers.Dense(width, activation="elu", kernel_initializer="he_normal") for _ in range(depth)
        ]

    def call(self, inputs):
        z = inputs
        for layer in self.hidden:
            z = layer(z)
        return inputs + z


class SkipRegressor(keras.Model):
    def __init__(self, outputs, **kwargs):
        super().__init__(**kwargs)
        self.entry = keras.layers.Dense(12, activation="elu", kernel_initializer="he_normal")
        self.repeated = SkipBlock(2, 12)
        self.final_block = SkipBlock(2, 12)
        self.head = keras.layers.Dense(outputs)

    def call(self, inputs):
        z = self.entry(inputs)
        for _ in range(3):
            z = self.repeated(z)  # the same block, its weights shared
        return self.head(self.final_block(z))


tf.keras.utils.set_random_seed(60)  # the same weights and shuffles every run
rng = np.random.default_rng(60)
x = rng.normal(size=(300, 5)).astype("float32")
y = (x[:, :1] - 2 * x[:, 1:2] + 0.5 * x[:, 2:3] ** 2).astype("float32")

layer = PlainDense(4, activation="relu")
assert layer.compute_output_shape(tf.TensorShape([None, 5])).as_list() == [None, 4]
assert layer.get_config()["activation"] == "relu"
assert keras.activations.serialize(keras.activations.get("tanh")) == "tanh"
model = keras.Sequential([keras.Input(shape=(5,)), PlainDense(16, activation="relu"), PlainDense(1)])
model.compile(loss="mse", optimizer="nadam")
history = model.fit(x, y, epochs=5, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0]
assert [w.shape for w in model.layers[0].weights] == [(5, 16), (16,)]
model.save("plain_dense.keras")
reloaded = keras.models.load_model("plain_dense.keras", custom_objects={"PlainDense": PlainDense})
assert np.allclose(reloaded.predict(x[:4], verbose=0), model.predict(x[:4], verbose=0), atol=1e-6)

first, second = keras.Input(shape=[2]), keras.Input(shape=[2])
added, multiplied = SumAndProduct()((first, second))
pair = keras.Model([first, second], [added, multiplied])
total, product = pair([np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])])
assert total.numpy().tolist() == [[4.0, 6.0]] and product.numpy().tolist() == [[3.0, 8.0]]

jitter = JitterInTraining(stddev=1.0)
assert np.array_equal(jitter(x[:3]).numpy(), x[:3])
assert not np.allclose(jitter(x[:3], training=True).numpy(), x[:3])
noisy = keras.Sequential(
    [keras.Input(shape=(5,)), jitter, keras.layers.Dense(8, activation="selu"), keras.layers.Dense(1)]
)
noisy.compile(loss="mse", optimizer="nadam")
noisy.fit(x, y, epochs=1, verbose=0)

keras.backend.clear_session()
skip = SkipRegressor(1)
skip.compile(loss="mse", optimizer="nadam")
history = skip.fit(x, y, epochs=4, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0]
assert len(skip.repeated.trainable_weights) == 4 and len(skip.trainable_weights) == 2 + 4 + 4 + 2
assert skip.predict(x[:3], verbose=0).shape == (3, 1)
batches = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(300).batch(32)
assert len(skip.fit(batches, epochs=2, verbose=0).history["loss"]) == 2
print("THEME OK")
