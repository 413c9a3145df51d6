"""``layer.losses`` skips scanning sublayers only while no layer anywhere has had a loss.

Each test starts from a state where no loss was ever added (the process-wide flag is
reset for the test), then checks that every way of adding a loss is still seen.
"""

import copy

import numpy as np
import pytest

import learnet as tf
from learnet.layers import base


@pytest.fixture
def fresh_flag(monkeypatch):
    monkeypatch.setattr(base, "_any_losses", [False])


def plain_model():
    return tf.Sequential([tf.Input(shape=(3,)), tf.layers.Dense(4, activation="relu"), tf.layers.Dense(2)])


def test_without_any_loss_the_sublayers_are_not_scanned(fresh_flag, monkeypatch):
    model = plain_model()
    scans = []
    original = base.Layer._flatten_layers
    monkeypatch.setattr(
        base.Layer, "_flatten_layers", lambda self, *a, **k: scans.append(self) or original(self, *a, **k)
    )
    assert model.losses == []
    assert scans == []


def test_a_regularized_weight_created_later_is_seen(fresh_flag):
    model = plain_model()
    assert model.losses == []
    model.add(tf.layers.Dense(1, kernel_regularizer=tf.keras.regularizers.L2(0.5)))
    model(np.ones((2, 3), "float32"))
    losses = model.losses
    assert len(losses) == 1
    kernel = model.layers[-1].kernel.numpy()
    np.testing.assert_allclose(float(losses[0]), 0.5 * np.sum(kernel**2), rtol=1e-6)


def test_add_loss_in_call_and_activity_regularizers_are_seen(fresh_flag):
    class Penalized(tf.keras.layers.Layer):
        def call(self, inputs):
            self.add_loss(tf.reduce_sum(inputs))
            return inputs

    model = tf.Sequential([tf.Input(shape=(2,)), Penalized()])
    model(np.ones((3, 2), "float32"))
    assert [float(v) for v in model.losses] == [6.0]

    base._any_losses[0] = False
    dense = tf.layers.Dense(2, activity_regularizer="l1")
    dense(np.ones((1, 2), "float32"))
    assert len(dense.losses) == 1


def test_a_copied_layer_keeps_its_losses(fresh_flag):
    layer = tf.layers.Dense(2, kernel_regularizer="l2")
    layer.build((None, 3))
    clone = copy.deepcopy(layer)
    assert len(clone.losses) == 1 and len(layer.losses) == 1
