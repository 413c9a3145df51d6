# Hands-On Machine Learning (2nd ed.), chapter 12: losses and metrics based on model internals.
import numpy as np
import tensorflow as tf
from tensorflow import keras

rng = np.random.RandomState(42)
X = rng.randn(1500, 8).astype(np.float32)
y = (X[:, :1] * 2 - X[:, 1:2] + 0.5 + 0.3 * rng.randn(1500, 1)).astype(np.float32)
X_train_scaled, X_valid_scaled, X_test_scaled = X[:1000], X[1000:1250], X[1250:]
y_train, y_valid, y_test = y[:1000], y[1000:1250], y[1250:]
input_shape = X_train_scaled.shape[1:]


# Losses and metrics based on model internals
class ReconstructingRegressor(keras.Model):
    def __init__(self, output_dim, **kwargs):
        super().__init__(**kwargs)
        self.hidden = [keras.layers.Dense(30, activation="selu",
                                          kernel_initializer="lecun_normal")
                       for _ in range(5)]
        self.out = keras.layers.Dense(output_dim)
        self.reconstruction_mean = keras.metrics.Mean(name="reconstruction_error")

    def build(self, batch_input_shape):
        n_inputs = batch_input_shape[-1]
        self.reconstruct = keras.layers.Dense(n_inputs)
        super().build(batch_input_shape)

    def call(self, inputs, training=None):
        Z = inputs
        for layer in self.hidden:
            Z = layer(Z)
        reconstruction = self.reconstruct(Z)
        recon_loss = tf.reduce_mean(tf.square(reconstruction - inputs))
        self.add_loss(0.05 * recon_loss)
        if training:
            result = self.reconstruction_mean(recon_loss)
            self.add_metric(result)
        return self.out(Z)


model = ReconstructingRegressor(1)
model.compile(loss="mse", optimizer="nadam")
history = model.fit(X_train_scaled, y_train, epochs=2)
y_pred = model.predict(X_test_scaled)
print(sorted(history.history.keys()))

