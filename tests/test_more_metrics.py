"""The metrics of Keras' list added at the end of metrics.py, against real Keras 3 (fixture)."""

from pathlib import Path

import numpy as np
import pytest

import learnet as keras

REFERENCE = np.load(Path(__file__).resolve().parent / "fixtures" / "keras_metrics_reference.npz")
NAMES = [
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "LogCoshError",
    "Poisson",
    "KLDivergence",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "CosineSimilarity",
    "R2Score",
]


@pytest.mark.parametrize("name", NAMES)
def test_matches_keras_3_over_two_batches(name):
    metric = getattr(keras.metrics, name)()
    target = REFERENCE["labels"] if "Hinge" in name else REFERENCE["y_true"]
    metric.update_state(target[:2], REFERENCE["y_pred"][:2])
    metric.update_state(target[2:], REFERENCE["y_pred"][2:])
    np.testing.assert_allclose(float(metric.result()), float(REFERENCE[name]), rtol=1e-4)
    metric.reset_state()
    clone = type(metric).from_config(metric.get_config())
    assert clone.name == metric.name


@pytest.mark.parametrize(
    "alias, cls",
    [
        ("mape", "MeanAbsolutePercentageError"),
        ("msle", "MeanSquaredLogarithmicError"),
        ("kld", "KLDivergence"),
        ("r2_score", "R2Score"),
    ],
)
def test_string_names_in_compile(alias, cls):
    assert type(keras.metrics.get(alias)).__name__ == cls
    x = np.random.default_rng(0).uniform(1, 2, size=(32, 2)).astype("float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=[alias])
    history = model.fit(x, x[:, :1] * 2, epochs=1, verbose=0)
    assert alias in history.history


def test_r2_score_per_output_and_errors():
    metric = keras.metrics.R2Score(class_aggregation=None)
    metric.update_state([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]], [[1.0, 2.0], [2.0, 4.0], [4.0, 6.0]])
    np.testing.assert_allclose(metric.result().numpy(), [0.5, 1.0])
    with pytest.raises(ValueError, match="class_aggregation"):
        keras.metrics.R2Score(class_aggregation="max")
    with pytest.raises(ValueError, match="same shape"):
        keras.metrics.R2Score().update_state([[1.0]], [[1.0, 2.0]])
