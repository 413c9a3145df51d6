"""BatchNormalization and LayerNormalization: forward by hand, moving statistics, gradient checks."""

import numpy as np
import pytest

from learnet import layers
from learnet.testing import check_gradients


def test_batchnorm_training_uses_batch_statistics():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((32, 4)) * 3 + 5).astype("float32")
    bn = layers.BatchNormalization(epsilon=1e-3)
    y = bn(x, training=True).numpy()
    expected = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-3)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def test_batchnorm_updates_moving_statistics_in_training_only():
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((64, 3)) * 2 + 1).astype("float32")
    bn = layers.BatchNormalization(momentum=0.9)
    bn(x)  # inference: nothing changes
    np.testing.assert_array_equal(bn.moving_mean.numpy(), 0.0)
    np.testing.assert_array_equal(bn.moving_variance.numpy(), 1.0)
    bn(x, training=True)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.9 + 0.1 * x.var(axis=0), rtol=1e-5)
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2


def test_batchnorm_inference_uses_moving_statistics():
    bn = layers.BatchNormalization(epsilon=1e-3)
    x = np.random.default_rng(2).standard_normal((8, 2)).astype("float32")
    bn(x)
    bn.set_weights([np.array([2.0, 1.0]), np.array([0.5, -1.0]), np.array([1.0, 2.0]), np.array([4.0, 9.0])])
    expected = (x - [1.0, 2.0]) / np.sqrt(np.array([4.0, 9.0]) + 1e-3) * [2.0, 1.0] + [0.5, -1.0]
    np.testing.assert_allclose(bn(x).numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(bn(x[:1]).numpy(), expected[:1], rtol=1e-5)  # one example alone: the same


def test_frozen_batchnorm_runs_in_inference_mode():
    bn = layers.BatchNormalization()
    x = np.random.default_rng(3).standard_normal((8, 2)).astype("float32") + 3
    bn(x)
    bn.trainable = False
    bn(x, training=True)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), 0.0)


def test_batchnorm_on_images_normalizes_each_channel():
    x = np.random.default_rng(4).standard_normal((4, 5, 5, 3)).astype("float32") * [1, 5, 10] + [0, 3, -2]
    y = layers.BatchNormalization()(x, training=True).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=(0, 1, 2)), 1.0, atol=1e-3)


def test_batchnorm_on_another_axis():
    x = np.random.default_rng(5).standard_normal((6, 3, 4)).astype("float32") * np.array([1, 2, 3])[:, None]
    bn = layers.BatchNormalization(axis=1)
    y = bn(x, training=True).numpy()
    assert bn.gamma.shape == (3,)
    np.testing.assert_allclose(y.mean(axis=(0, 2)), 0.0, atol=1e-5)


def _gradient_check(layer, x, training):
    """Check d(output)/d(inputs, gamma, beta) by swapping the weights for the checked tensors."""
    layer(x, training=training)
    weights = np.random.default_rng(6).standard_normal(x.shape)
    gamma = np.random.default_rng(7).uniform(0.5, 2.0, layer.gamma.shape)
    beta = np.random.default_rng(8).standard_normal(layer.beta.shape)
    saved = layer.gamma, layer.beta

    def function(inputs, g, b):
        layer.gamma, layer.beta = g, b
        return layer(inputs, training=training) * weights

    try:
        check_gradients(function, [x, gamma, beta])
    finally:
        layer.gamma, layer.beta = saved


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradients(training):
    x = np.random.default_rng(9).standard_normal((5, 3, 2, 3))
    _gradient_check(layers.BatchNormalization(dtype="float64"), x, training)


def test_batchnorm_gradients_other_axis():
    x = np.random.default_rng(10).standard_normal((4, 3, 5))
    _gradient_check(layers.BatchNormalization(axis=1, dtype="float64"), x, True)


def test_layernorm_forward_and_gradients():
    x = np.random.default_rng(11).standard_normal((4, 6)).astype("float32") * 3 + 2
    y = layers.LayerNormalization(epsilon=1e-3)(x).numpy()
    expected = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)
    _gradient_check(layers.LayerNormalization(dtype="float64"), x.astype("float64"), None)
    _gradient_check(
        layers.LayerNormalization(axis=[1, 2], dtype="float64"),
        np.random.default_rng(12).standard_normal((3, 2, 4)),
        None,
    )


def test_normalization_config_and_errors():
    bn = layers.BatchNormalization(momentum=0.9, epsilon=1e-5, center=False)
    config = bn.get_config()
    assert config["momentum"] == 0.9 and config["center"] is False
    assert layers.BatchNormalization.from_config(config).get_config() == config
    bn(np.zeros((2, 3), dtype="float32"))
    assert [w.name for w in bn.weights] == ["gamma", "moving_mean", "moving_variance"]
    with pytest.raises(ValueError, match="expects inputs with last dimension 3"):
        bn(np.zeros((2, 4), dtype="float32"))
    with pytest.raises(ValueError, match="batch axis"):
        layers.LayerNormalization(axis=0)(np.zeros((2, 3), dtype="float32"))
