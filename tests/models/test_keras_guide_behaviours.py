"""Behaviours keras.io's guides rely on: a custom layer whose get_config leaves out its name
saves and loads (learnet's and Keras' formats), and an optimizer set before compile."""

import numpy as np

import learnet as keras


class Halve(keras.layers.Layer):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {"factor": self.factor}  # no name, no **kwargs: as the serialization guide writes it


def test_a_layer_whose_config_has_no_name_saves_and_loads(tmp_path):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1)(Halve(0.5)(inputs)))
    x = np.ones((2, 4), "float32")
    for name in ("model.keras", "model.learnet", "model.h5"):
        model.save(tmp_path / name)
        restored = keras.models.load_model(tmp_path / name, custom_objects={"Halve": Halve})
        np.testing.assert_allclose(restored(x).numpy(), model(x).numpy())
        assert [layer.name for layer in restored.layers] == [layer.name for layer in model.layers]


def test_an_optimizer_set_before_compile_is_kept_until_compile_replaces_it():
    class Custom(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.optimizer = keras.optimizers.Adam(learning_rate=1e-3)

    inputs = keras.Input((4,))
    model = Custom(inputs, keras.layers.Dense(2)(inputs))
    assert type(model.optimizer).__name__ == "Adam"
    model.compile(loss="mse")  # as in Keras 3, compile's own optimizer (rmsprop by default) replaces it
    assert type(model.optimizer).__name__ == "RMSprop"
    model.fit(np.ones((8, 4), "float32"), np.zeros((8, 2), "float32"), epochs=1, verbose=0)
