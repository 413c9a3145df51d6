"""learnet.utils: to_categorical, normalize, set_random_seed, clear_session."""

import random

import numpy as np
import pytest

import learnet
from learnet import layers
from learnet.utils import clear_session, normalize, set_random_seed, to_categorical


def test_to_categorical_one_hot_rows():
    result = to_categorical([0, 2, 1])
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])


def test_to_categorical_num_classes_and_trailing_axis():
    result = to_categorical(np.array([[1], [3]]), num_classes=5)
    assert result.shape == (2, 5)
    np.testing.assert_array_equal(result.argmax(axis=1), [1, 3])


def test_to_categorical_keeps_leading_axes_and_dtype():
    result = to_categorical(np.array([[0, 1], [1, 0]]), num_classes=2, dtype="int32")
    assert result.shape == (2, 2, 2) and result.dtype == np.int32


def test_to_categorical_accepts_whole_float_labels():
    np.testing.assert_array_equal(to_categorical(np.array([1.0, 0.0])), [[0, 1], [1, 0]])


@pytest.mark.parametrize(
    "labels, num_classes, message",
    [
        ([0, 3], 3, "num_classes=3"),
        ([-1, 0], None, ">= 0"),
        ([0.5], None, "whole-number"),
        (["a"], None, "integer class labels"),
    ],
)
def test_to_categorical_rejects_bad_labels(labels, num_classes, message):
    with pytest.raises(ValueError, match=message):
        to_categorical(labels, num_classes=num_classes)


def test_normalize_rows_to_unit_length_and_leaves_zero_rows():
    result = normalize([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(result, [[0.6, 0.8], [0.0, 0.0]])


def test_normalize_order_one_and_axis():
    result = normalize(np.array([[1.0, 3.0], [1.0, 1.0]], dtype="float32"), axis=0, order=1)
    np.testing.assert_allclose(result.sum(axis=0), [1.0, 1.0])
    assert result.dtype == np.float32


def test_set_random_seed_repeats_weights_numpy_and_python():
    def draw():
        set_random_seed(42)
        layer = layers.Dense(3)
        layer.build((None, 4))
        return layer.kernel.numpy(), np.random.rand(), random.random()

    first, second = draw(), draw()
    np.testing.assert_array_equal(first[0], second[0])
    assert first[1:] == second[1:]


@pytest.mark.parametrize("seed", [-1, 1.5, "1", True])
def test_set_random_seed_rejects_non_integers(seed):
    with pytest.raises(ValueError, match="non-negative integer"):
        set_random_seed(seed)


def test_clear_session_restarts_layer_names():
    layers.Dense(1)
    clear_session()
    assert layers.Dense(1).name == "dense"
    assert learnet.utils is learnet.keras.utils
