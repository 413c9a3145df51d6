"""Model attributes Keras 3 code sets and reads."""

import numpy as np

import learnet as keras


def test_a_subclass_may_set_its_own_loss_and_compile_sets_it_back():
    class Denoiser(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)
            self.loss = keras.losses.MeanAbsoluteError()  # the textbook's diffusion model does this

        def call(self, x):
            return self.dense(x)

    model = Denoiser()
    assert isinstance(model.loss, keras.losses.MeanAbsoluteError)
    assert float(model.loss(np.zeros((2, 1)), np.ones((2, 1)))) == 1.0
    model.compile("adam", loss="mse")
    assert model.loss == "mse"  # as Keras 3: compile sets `loss` to its argument
