"""Theme: a model made with one-element input/output lists predicts and evaluates on single
arrays, as Keras does (its .input and .output stay lists, as in Keras 3)."""

import numpy as np
from tensorflow import keras

entry = keras.Input(shape=(3,))
exit_ = keras.layers.Dense(2)(keras.layers.Dense(4, activation="tanh")(entry))
model = keras.Model(inputs=[entry], outputs=[exit_])
assert model.output_shape == (None, 2)
assert isinstance(model.input, list) and model.input[0] is entry
prediction = model.predict(np.ones((5, 3), dtype="float32"), verbose=0)
assert isinstance(prediction, np.ndarray) and prediction.shape == (5, 2)
model.compile(optimizer="sgd", loss="mse")
result = model.evaluate(np.ones((8, 3)), np.zeros((8, 2)), verbose=0)
assert isinstance(result, float)
print("THEME OK")
