"""The losses of Keras' list added at the end of losses.py, against real Keras 3 (fixture)."""

from pathlib import Path

import numpy as np
import pytest

import learnet as keras
from learnet.testing import check_gradients

REFERENCE = np.load(Path(__file__).resolve().parent / "fixtures" / "keras_losses_reference.npz")
CASES = {
    "binary_focal": ("BinaryFocalCrossentropy", {}),
    "binary_focal_balanced_logits": ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "from_logits": True}),
    "binary_focal_smoothed": ("BinaryFocalCrossentropy", {"gamma": 1.0, "label_smoothing": 0.1}),
    "categorical_focal": ("CategoricalFocalCrossentropy", {}),
    "categorical_focal_logits": ("CategoricalFocalCrossentropy", {"from_logits": True, "alpha": 0.5}),
    "dice": ("Dice", {}),
    "tversky": ("Tversky", {"alpha": 0.3, "beta": 0.7}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_keras_3(case):
    name, kwargs = CASES[case]
    loss = getattr(keras.losses, name)(**kwargs)
    got = float(loss(REFERENCE["y_true"], REFERENCE["y_pred"]))
    np.testing.assert_allclose(got, float(REFERENCE[case]), rtol=1e-5)
    assert type(loss).from_config(loss.get_config()).get_config() == loss.get_config()


@pytest.mark.parametrize("function", ["binary_focal_crossentropy", "categorical_focal_crossentropy", "dice", "tversky"])
def test_gradients(function):
    target = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    fn = getattr(keras.losses, function)
    assert check_gradients(lambda p: fn(target, p), [np.array([[0.7, 0.2, 0.6], [0.3, 0.6, 0.2]])]) < 1e-6


@pytest.mark.parametrize("name", ["binary_focal_crossentropy", "dice", "tversky"])
def test_compile_by_name_trains(name):
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=name)
    history = model.fit(x, y, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
