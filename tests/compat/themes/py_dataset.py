"""Theme: keras.utils.PyDataset: batches built by a Python class, reshuffled every epoch."""

import math

import numpy as np
import keras

keras.utils.set_random_seed(0)  # the same weights and shuffles every run


class NoisyLine(keras.utils.PyDataset):
    def __init__(self, size, batch_size, **kwargs):
        super().__init__(**kwargs)
        rng = np.random.default_rng(14)
        self.x = rng.uniform(-1, 1, size=(size, 1)).astype("float32")
        self.y = 4 * self.x - 1
        self.batch_size = batch_size
        self.order = np.arange(size)
        self.reshuffles = 0

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index):
        chosen = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        return self.x[chosen], self.y[chosen]

    def on_epoch_end(self):
        self.reshuffles += 1
        np.random.default_rng(self.reshuffles).shuffle(self.order)


data = NoisyLine(200, batch_size=32)
assert len(data) == 7 and data[6][0].shape == (8, 1)
model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
history = model.fit(data, epochs=8, verbose=0)
assert history.history["loss"][-1] < 0.05 and data.reshuffles >= 8
assert model.predict(data, verbose=0).shape == (200, 1)
print("THEME OK")
