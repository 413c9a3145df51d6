"""Weight constraints: applied after every optimizer step, saved by name."""

import numpy as np
import pytest

import learnet as keras
from learnet import constraints, layers


def test_constraint_values():
    w = np.array([[3.0, -4.0], [4.0, 3.0]], np.float32)
    np.testing.assert_allclose(constraints.NonNeg()(w).numpy(), [[3.0, 0.0], [4.0, 3.0]])
    np.testing.assert_allclose(np.linalg.norm(constraints.UnitNorm()(w).numpy(), axis=0), [1.0, 1.0], rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(constraints.MaxNorm(2.0)(w).numpy(), axis=0), [2.0, 2.0], rtol=1e-5)
    small = np.array([[0.1], [0.0]], np.float32)
    np.testing.assert_allclose(constraints.MinMaxNorm(1.0, 2.0)(small).numpy(), [[1.0], [0.0]], rtol=1e-5)


def test_optimizer_applies_a_layer_constraint_after_each_step():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, kernel_constraint="non_neg")])
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 3)).astype(np.float32)
    y = -10 * np.ones((32, 2), np.float32)  # pulls weights negative
    model.fit(x, y, epochs=2, verbose=0)
    assert (model.layers[-1].kernel.numpy() >= 0).all()


def test_constraints_round_trip_through_config():
    layer = layers.Dense(2, kernel_constraint=constraints.MaxNorm(3.0), bias_constraint="non_neg")
    config = layer.get_config()
    assert config["kernel_constraint"] == {"class_name": "MaxNorm", "config": {"max_value": 3.0, "axis": 0}}
    rebuilt = layers.Dense.from_config(config)
    assert isinstance(rebuilt.kernel_constraint, constraints.MaxNorm) and rebuilt.kernel_constraint.max_value == 3.0
    assert isinstance(rebuilt.bias_constraint, constraints.NonNeg)


def test_unknown_constraint_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown constraint"):
        constraints.get("positive_only")
    with pytest.raises(ValueError, match="unknown constraint"):
        constraints.deserialize({"class_name": "os.system", "config": {}})
