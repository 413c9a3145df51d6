"""Theme: a custom layer with get_config, rebuilt by from_config with custom_objects."""

import numpy as np
from tensorflow import keras


class Polynomial(keras.layers.Layer):
    def __init__(self, degree=2, **kwargs):
        super().__init__(**kwargs)
        self.degree = degree

    def call(self, inputs):
        return keras.ops.concatenate([inputs ** (power + 1) for power in range(self.degree)], axis=-1)

    def get_config(self):
        config = super().get_config()
        config.update({"degree": self.degree})
        return config


entry = keras.Input((2,))
model = keras.Model(entry, keras.layers.Dense(1)(Polynomial(3)(entry)))
assert model.output_shape == (None, 1) and model.layers[1].output.shape[-1] == 6
rebuilt = keras.Model.from_config(model.get_config(), custom_objects={"Polynomial": Polynomial})
rebuilt.set_weights(model.get_weights())
x = np.array([[1.0, 2.0], [0.5, -1.0]], dtype="float32")
assert np.allclose(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0))
assert rebuilt.layers[1].degree == 3
print("THEME OK")
