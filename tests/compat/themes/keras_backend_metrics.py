"""Theme: Keras 2 style custom metrics with the backend helpers (K.sum, K.round, K.clip...)."""

import numpy as np
from tensorflow import keras
from tensorflow.keras import backend as K

keras.utils.set_random_seed(0)  # the same weights and shuffles every run


def true_positive_rate(y_true, y_pred):
    caught = K.sum(K.round(K.clip(y_true * y_pred, 0, 1)))
    actual = K.sum(K.round(K.clip(y_true, 0, 1)))
    return caught / (actual + K.epsilon())


def root_mean_square(y_true, y_pred):
    return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))


assert K.image_data_format() == "channels_last" and K.epsilon() == 1e-7
rng = np.random.default_rng(2)
x = rng.normal(size=(300, 5)).astype("float32")
y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")
model = keras.Sequential(
    [keras.Input((5,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1, activation="sigmoid")]
)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=[true_positive_rate, root_mean_square])
history = model.fit(x, y, epochs=3, verbose=0)
assert set(history.history) == {"loss", "true_positive_rate", "root_mean_square"}
assert all(0 <= v <= 1 for v in history.history["true_positive_rate"])
print("THEME OK")
