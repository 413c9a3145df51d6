# Hands-On Machine Learning (2nd ed.), chapter 12: one residual block reused four times in a Sequential model.
import numpy as np
import tensorflow as tf
from tensorflow import keras

rng = np.random.RandomState(42)
X = rng.randn(1500, 8).astype(np.float32)
y = (X[:, :1] * 2 - X[:, 1:2] + 0.5 + 0.3 * rng.randn(1500, 1)).astype(np.float32)
X_train_scaled, X_valid_scaled, X_test_scaled = X[:1000], X[1000:1250], X[1250:]
y_train, y_valid, y_test = y[:1000], y[1000:1250], y[1250:]
input_shape = X_train_scaled.shape[1:]


class ResidualBlock(keras.layers.Layer):
    def __init__(self, n_layers, n_neurons, **kwargs):
        super().__init__(**kwargs)
        self.hidden = [keras.layers.Dense(n_neurons, activation="elu",
                                          kernel_initializer="he_normal")
                       for _ in range(n_layers)]

    def call(self, inputs):
        Z = inputs
        for layer in self.hidden:
            Z = layer(Z)
        return inputs + Z



# The same block used four times in a Sequential model (shared weights)
block1 = ResidualBlock(2, 30)
model = keras.models.Sequential([
    keras.layers.Dense(30, activation="elu", kernel_initializer="he_normal"),
    block1, block1, block1, block1,
    ResidualBlock(2, 30),
    keras.layers.Dense(1)
])
model.compile(loss="mse", optimizer="nadam")
history = model.fit(X_train_scaled, y_train, epochs=3)
score = model.evaluate(X_test_scaled, y_test)
print("residual model test mse: %.3f" % score)
