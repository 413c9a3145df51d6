"""Theme: an endpoint layer called on two tensors (targets and logits) that adds its own loss."""

import numpy as np
from tensorflow import keras

keras.utils.set_random_seed(0)  # the same weights and shuffles every run


class ScoringEndpoint(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, targets, logits):
        self.add_loss(self.loss_fn(targets, logits))
        return keras.ops.sigmoid(logits)


features = keras.Input(shape=(5,), name="features")
labels = keras.Input(shape=(1,), name="labels")
logits = keras.layers.Dense(1)(keras.layers.Dense(8, activation="relu")(features))
probabilities = ScoringEndpoint(name="scores")(labels, logits)
model = keras.Model(inputs=[features, labels], outputs=probabilities)
model.compile(optimizer=keras.optimizers.Adam(0.02))
rng = np.random.default_rng(20)
x = rng.normal(size=(256, 5)).astype("float32")
y = (x[:, :1] > 0).astype("float32")
history = model.fit({"features": x, "labels": y}, epochs=6, batch_size=32, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0]
assert model.predict({"features": x[:4], "labels": y[:4]}, verbose=0).shape == (4, 1)
print("THEME OK")
