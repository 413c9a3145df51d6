"""
Title: Making new layers and models via subclassing (keras.io): a Model subclass trained with
fit() on a tf.data.Dataset.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


class Linear(layers.Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=True,
        )
        self.b = self.add_weight(
            shape=(self.units,), initializer="random_normal", trainable=True
        )

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b


class MLP(keras.Model):
    def __init__(self):
        super().__init__()
        self.linear_1 = Linear(32)
        self.linear_2 = Linear(32)
        self.linear_3 = Linear(10)

    def call(self, inputs):
        x = self.linear_1(inputs)
        x = tf.nn.relu(x)
        x = self.linear_2(x)
        x = tf.nn.relu(x)
        return self.linear_3(x)


(x_train, y_train), _ = keras.datasets.mnist.load_data()
x_train = x_train[:2000].reshape(-1, 784).astype("float32") / 255
y_train = y_train[:2000]
dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(1024).batch(64)

mlp = MLP()
mlp.compile(optimizer=keras.optimizers.Adam(1e-3),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"])
history = mlp.fit(dataset, epochs=2)
print("accuracy: %.3f" % history.history["accuracy"][-1])
