"""Theme: one layer instance used several times shares its weights."""

import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(0)  # the same weights and shuffles every run

mixer = layers.Dense(6, activation="relu", name="mixer")
chain = keras.Sequential([keras.Input((6,)), mixer, mixer, mixer, layers.Dense(1)])
assert len(chain.trainable_weights) == 4
left, right = keras.Input((5,)), keras.Input((5,))
encoder = layers.Dense(3, name="encoder")
distance = layers.Subtract()([encoder(left), encoder(right)])
siamese = keras.Model([left, right], layers.Dense(1)(distance))
assert len(siamese.trainable_weights) == 4
same = np.ones((2, 5), dtype="float32")
assert np.allclose(siamese.predict([same, same], verbose=0), siamese.layers[-1].bias.numpy())
chain.compile(optimizer="adam", loss="mse")
before = mixer.kernel.numpy().copy()
chain.fit(np.random.default_rng(0).normal(size=(32, 6)), np.ones((32, 1)), epochs=1, verbose=0)
assert not np.array_equal(before, mixer.kernel.numpy())
print("THEME OK")
