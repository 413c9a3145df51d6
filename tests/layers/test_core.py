"""Dense, Activation, Flatten, Reshape, Dropout, Lambda: forward passes against NumPy by hand."""

import numpy as np
import pytest

import learnet as tf
from learnet import layers
from learnet.testing import check_gradients


def test_dense_forward_is_x_at_kernel_plus_bias_then_activation():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype("float32")
    dense = layers.Dense(2, activation="relu")
    dense(x)
    kernel, bias = rng.standard_normal((3, 2)), rng.standard_normal(2)
    dense.set_weights([kernel, bias])
    expected = np.maximum(x @ kernel.astype("float32") + bias.astype("float32"), 0)
    np.testing.assert_allclose(dense(x).numpy(), expected, rtol=1e-6)


def test_dense_on_rank_3_acts_on_the_last_axis():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 3)).astype("float32")
    dense = layers.Dense(4)
    y = dense(x)
    assert y.shape == (2, 5, 4)
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(y.numpy(), x @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_dense_gradients_through_the_layer():
    dense = layers.Dense(3, activation="tanh", dtype="float64")
    dense(np.zeros((1, 2)))
    x = np.random.default_rng(2).standard_normal((4, 2))
    check_gradients(lambda t: dense(t), [x])


def test_dense_without_bias_and_with_initializers():
    dense = layers.Dense(2, use_bias=False, kernel_initializer="ones")
    np.testing.assert_array_equal(dense(tf.ones((1, 3))).numpy(), [[3.0, 3.0]])
    assert len(dense.weights) == 1


def test_softmax_activation_keeps_its_logits_for_the_losses():
    dense = layers.Dense(3, activation="softmax")
    y = dense(tf.ones((2, 4)))
    assert y._from_logits is not None and y._from_logits[0] == "softmax"
    np.testing.assert_allclose(y.numpy().sum(axis=1), 1.0, rtol=1e-6)
    act = layers.Activation("sigmoid")(tf.zeros((1, 2)))
    assert act._from_logits[0] == "sigmoid"


def test_activation_layer_by_name_or_function():
    x = tf.constant([[-1.0, 2.0]])
    np.testing.assert_array_equal(layers.Activation("relu")(x).numpy(), [[0.0, 2.0]])
    np.testing.assert_array_equal(layers.Activation(tf.nn.relu)(x).numpy(), [[0.0, 2.0]])
    assert layers.Activation(tf.nn.relu).get_config()["activation"] == "relu"
    with pytest.raises(ValueError, match="unknown activation 'rleu'"):
        layers.Activation("rleu")


def test_flatten_keeps_the_batch_axis():
    x = np.arange(2 * 3 * 4 * 5, dtype="float32").reshape(2, 3, 4, 5)
    y = layers.Flatten()(x)
    np.testing.assert_array_equal(y.numpy(), x.reshape(2, -1))
    assert layers.Flatten()(np.zeros((7,))).shape == (7, 1)
    assert layers.Flatten().compute_output_shape((None, 28, 28)) == (None, 784)


def test_reshape_infers_minus_one_and_reports_bad_sizes():
    x = np.arange(12, dtype="float32").reshape(2, 6)
    np.testing.assert_array_equal(layers.Reshape((3, 2))(x).numpy(), x.reshape(2, 3, 2))
    assert layers.Reshape((-1, 2))(x).shape == (2, 3, 2)
    with pytest.raises(ValueError, match=r"Reshape 'reshape_\d+': cannot reshape examples of shape \(6,\)"):
        layers.Reshape((4, 2))(x)
    assert layers.Reshape((-1, 2)).compute_output_shape((None, 6)) == (None, 3, 2)


def test_dropout_is_identity_unless_training():
    x = np.ones((100, 100), dtype="float32")
    drop = layers.Dropout(0.5)
    np.testing.assert_array_equal(drop(x).numpy(), x)
    np.testing.assert_array_equal(drop(x, training=False).numpy(), x)
    y = drop(x, training=True).numpy()
    kept = y != 0
    assert 0.4 < kept.mean() < 0.6
    np.testing.assert_allclose(y[kept], 2.0)  # inverted dropout: kept values scaled by 1 / (1 - rate)
    assert y.dtype == np.float32


def test_dropout_gradient_uses_the_same_mask():
    drop = layers.Dropout(0.3)
    x = tf.Variable(np.ones((10, 10), dtype="float32"))
    with tf.GradientTape() as tape:
        y = drop(x, training=True)
        total = tf.reduce_sum(y)
    grad = tape.gradient(total, x).numpy()
    np.testing.assert_allclose(grad, y.numpy())


def test_dropout_noise_shape_and_seed():
    x = np.ones((4, 3, 5), dtype="float32")
    y = layers.Dropout(0.5, noise_shape=(None, 1, 5))(x, training=True).numpy()
    assert np.all(y == y[:, :1, :])  # one mask shared along axis 1
    a = layers.Dropout(0.5, seed=3)(x, training=True).numpy()
    b = layers.Dropout(0.5, seed=3)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="rate must be in"):
        layers.Dropout(1.0)


def test_dropout_follows_the_global_seed():
    x = np.ones((8, 8), dtype="float32")
    tf.random.set_seed(5)
    a = layers.Dropout(0.5)(x, training=True).numpy()
    tf.random.set_seed(5)
    b = layers.Dropout(0.5)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)


def test_lambda_wraps_a_function_and_refuses_to_be_loaded():
    double = layers.Lambda(lambda x: x * 2.0)
    np.testing.assert_array_equal(double(tf.ones((1, 2))).numpy(), [[2.0, 2.0]])
    assert double(layers.Input(shape=(2,))).shape == (None, 2)
    with pytest.raises(ValueError, match="holds Python code"):
        layers.Lambda.from_config(double.get_config())
    scaled = layers.Lambda(lambda x, k: x * k, arguments={"k": 3.0}, output_shape=(2,))
    assert scaled(layers.Input(shape=(2,))).shape == (None, 2)


def test_input_layer_and_identity():
    layer = layers.InputLayer(input_shape=(4,))
    assert layer.output.shape == (None, 4) and layer.built
    assert layers.InputLayer(shape=(4,)).get_config()["batch_shape"] == [None, 4]
    with pytest.raises(ValueError, match="needs a shape"):
        layers.Input()
    np.testing.assert_array_equal(layers.Identity()(tf.ones(2)).numpy(), [1.0, 1.0])
