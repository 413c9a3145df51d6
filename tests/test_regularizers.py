"""Regularizers: the penalties, their gradients, names and configs."""

import numpy as np
import pytest

import learnet as tf
from learnet import regularizers
from learnet.testing import check_gradients

W = np.array([[1.0, -2.0], [0.5, 3.0]])


def test_penalties():
    assert float(regularizers.L1(0.1)(tf.constant(W))) == pytest.approx(0.1 * 6.5)
    assert float(regularizers.L2(0.1)(tf.constant(W))) == pytest.approx(0.1 * 14.25)
    assert float(regularizers.L1L2(l1=0.1, l2=0.2)(tf.constant(W))) == pytest.approx(0.65 + 2.85)
    assert float(regularizers.L1L2()(tf.constant(W))) == 0.0
    assert float(regularizers.l2()(tf.constant(W))) == pytest.approx(0.01 * 14.25)


def test_gradients():
    check_gradients(lambda w: regularizers.L2(0.3)(w), [W])
    check_gradients(lambda w: regularizers.L1L2(0.1, 0.2)(w), [W])
    check_gradients(lambda w: regularizers.OrthogonalRegularizer(0.5)(w), [W + 0.1])


def test_orthogonal_regularizer_is_zero_for_orthogonal_rows():
    assert float(regularizers.OrthogonalRegularizer(1.0)(tf.constant(np.eye(3)))) == pytest.approx(0.0)
    assert float(regularizers.OrthogonalRegularizer(1.0)(tf.constant([[1.0, 0.0], [1.0, 0.0]]))) > 0


def test_get_config_and_errors():
    assert isinstance(regularizers.get("l2"), regularizers.L2)
    assert regularizers.get(None) is None
    reg = regularizers.get({"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.0}})
    assert reg.get_config() == {"l1": 0.1, "l2": 0.0}
    assert regularizers.serialize(regularizers.L2(0.5)) == {"class_name": "L2", "config": {"l2": 0.5}}
    with pytest.raises(ValueError, match="unknown regularizer"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="non-negative"):
        regularizers.L2(-1.0)
