"""GradientTape.jacobian / batch_jacobian (TensorFlow's advanced-autodiff guide) and clipping by norm."""

import numpy as np
import pytest

import learnet as tf
from learnet.testing import check_gradients

RNG = np.random.default_rng(0)


def test_jacobian_holds_every_partial_derivative():
    x = tf.Variable(RNG.normal(size=(3,)).astype("float32"))
    with tf.GradientTape() as tape:
        y = x**3
    np.testing.assert_allclose(tape.jacobian(y, x).numpy(), np.diag(3 * x.numpy() ** 2), rtol=1e-5)
    inputs = RNG.normal(size=(4, 3)).astype("float32")
    layer = tf.keras.layers.Dense(2, activation="tanh")
    with tf.GradientTape(persistent=True) as tape:
        out = layer(inputs)
    j = tape.jacobian(out, layer.kernel)
    assert j.shape == (4, 2, 3, 2)
    np.testing.assert_allclose(
        tf.reduce_sum(j, axis=[0, 1]).numpy(), tape.gradient(out, layer.kernel).numpy(), rtol=1e-5, atol=1e-6
    )
    # One entry by hand: d out[1, 0] / d kernel[2, 0] = (1 - out[1, 0]^2) * inputs[1, 2].
    assert float(j[1, 0, 2, 0]) == pytest.approx((1 - float(out[1, 0]) ** 2) * inputs[1, 2], rel=1e-5)
    assert float(tf.reduce_sum(tf.abs(j[1, 0, :, 1]))) == 0.0


def test_a_hessian_from_nested_tapes_is_the_second_derivative():
    # f(x) = sum(sin(x) * x^2): the Hessian is diagonal, f'' = -sin(x) x^2 + 4 x cos(x) + 2 sin(x).
    values = np.array([0.3, -0.7, 1.1], "float32")
    x = tf.Variable(values)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            loss = tf.reduce_sum(tf.sin(x) * x**2)
        g = inner.gradient(loss, x)
    hessian = outer.jacobian(g, x).numpy()
    second = -np.sin(values) * values**2 + 4 * values * np.cos(values) + 2 * np.sin(values)
    np.testing.assert_allclose(hessian, np.diag(second), rtol=1e-5, atol=1e-6)


def test_batch_jacobian_is_the_diagonal_blocks_of_the_jacobian():
    x = tf.constant(RNG.normal(size=(5, 3)).astype("float32"))
    layer = tf.keras.layers.Dense(4, activation="elu")
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = layer(x)
    per_example = tape.batch_jacobian(y, x)
    full = tape.jacobian(y, x).numpy()
    assert per_example.shape == (5, 4, 3)
    np.testing.assert_allclose(
        per_example.numpy(), np.stack([full[b, :, b, :] for b in range(5)]), rtol=1e-5, atol=1e-7
    )
    with pytest.raises(ValueError, match="same first"):
        tape.batch_jacobian(y, tf.zeros((4, 3)))


def test_a_plain_tape_answers_once_and_unconnected_sources_are_none_or_zero():
    x, other = tf.Variable([1.0, 2.0]), tf.Variable([5.0])
    with tf.GradientTape() as tape:
        y = x * 2.0
    none, _ = tape.jacobian(y, [other, x])
    assert none is None
    with pytest.raises(RuntimeError, match="only be called once"):
        tape.jacobian(y, x)
    with tf.GradientTape() as tape:
        y = x * 2.0
    assert tape.jacobian(y, other, unconnected_gradients="zero").numpy().tolist() == [[0.0], [0.0]]


def test_clipping_by_norm_and_by_global_norm():
    assert tf.clip_by_norm(tf.constant([3.0, 4.0]), 1.0).numpy().tolist() == pytest.approx([0.6, 0.8])
    assert tf.clip_by_norm(tf.constant([0.3, 0.4]), 1.0).numpy().tolist() == pytest.approx([0.3, 0.4])
    rows = tf.clip_by_norm(tf.constant([[3.0, 4.0], [0.3, 0.4]]), 1.0, axes=[1]).numpy()
    np.testing.assert_allclose(rows, [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)
    assert tf.clip_by_norm(tf.zeros(3), 1.0).numpy().tolist() == [0.0, 0.0, 0.0]
    clipped, norm = tf.clip_by_global_norm([tf.constant([3.0]), None, tf.constant([4.0])], 1.0)
    assert float(norm) == 5.0 and clipped[1] is None
    assert [float(clipped[0][0]), float(clipped[2][0])] == pytest.approx([0.6, 0.8])
    check_gradients(lambda t: tf.clip_by_norm(t, 1.0), [RNG.normal(size=(4,))])
    with pytest.raises(TypeError, match="a list of tensors"):
        tf.clip_by_global_norm(tf.constant([1.0]), 1.0)
