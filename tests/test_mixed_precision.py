"""keras.mixed_precision: policies accepted, float policies change the default float type."""

import numpy as np
import pytest

import learnet as keras
from learnet import backend


@pytest.fixture(autouse=True)
def float32_after():
    yield
    keras.mixed_precision.set_global_policy("float32")


def test_a_mixed_policy_warns_and_keeps_float32_and_training_works():
    # The Keras book (chapter 13) turns it on before building its model.
    with pytest.warns(UserWarning, match="keeps computing in float32"):
        keras.mixed_precision.set_global_policy("mixed_float16")
    policy = keras.mixed_precision.global_policy()
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == ("mixed_float16", "float16", "float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    assert model.layers[0].kernel.dtype == np.float32
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(np.ones((16, 4), "float32"), np.ones((16, 1), "float32"), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_a_float_policy_sets_the_default_float_type():
    keras.mixed_precision.set_global_policy(keras.mixed_precision.Policy("float64"))
    assert backend.floatx() == "float64"
    assert keras.layers.Dense(2).dtype == "float64"
    assert keras.mixed_precision.global_policy() == keras.mixed_precision.DTypePolicy("float64")
    layer = keras.layers.Dense(2, dtype=keras.mixed_precision.Policy("float32"))
    assert layer.dtype == "float32"


def test_unknown_policies_are_refused_and_change_nothing():
    with pytest.raises(ValueError, match="unknown policy"):
        keras.mixed_precision.set_global_policy("mixed_int8")
    assert backend.floatx() == "float32" and keras.mixed_precision.global_policy().name == "float32"
