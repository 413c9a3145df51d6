"""Initializers: shapes, dtypes, the statistics Keras promises, seeding and names."""

import numpy as np
import pytest

import learnet as tf
from learnet import initializers


def test_constant_zeros_ones():
    assert initializers.Zeros()((2, 3)).numpy().sum() == 0
    np.testing.assert_array_equal(initializers.Ones()((2,)).numpy(), [1, 1])
    np.testing.assert_array_equal(initializers.Constant(2.5)((3,)).numpy(), [2.5] * 3)
    assert initializers.get("zeros")((2,), dtype="float64").dtype == np.float64
    assert initializers.get("ones")((2,)).dtype == np.float32


@pytest.mark.parametrize(
    "name, shape, limit_or_std, kind",
    [
        ("glorot_uniform", (300, 200), np.sqrt(6 / 500), "uniform"),
        ("he_uniform", (300, 200), np.sqrt(6 / 300), "uniform"),
        ("lecun_uniform", (300, 200), np.sqrt(3 / 300), "uniform"),
        ("glorot_normal", (300, 200), np.sqrt(2 / 500), "normal"),
        ("he_normal", (300, 200), np.sqrt(2 / 300), "normal"),
        ("lecun_normal", (300, 200), np.sqrt(1 / 300), "normal"),
        ("he_normal", (3, 3, 16, 32), np.sqrt(2 / (9 * 16)), "normal"),
        ("glorot_uniform", (3, 3, 16, 32), np.sqrt(6 / (9 * 16 + 9 * 32)), "uniform"),
    ],
)
def test_variance_scaling_statistics(name, shape, limit_or_std, kind):
    values = initializers.get(name)(shape).numpy()
    assert values.shape == shape and values.dtype == np.float32
    if kind == "uniform":
        assert values.max() <= limit_or_std and values.min() >= -limit_or_std
        assert values.std() == pytest.approx(limit_or_std / np.sqrt(3), rel=0.05)
    else:
        assert values.std() == pytest.approx(limit_or_std, rel=0.05)
        # Truncated at two standard deviations of the untruncated normal.
        assert np.abs(values).max() <= 2 * limit_or_std / 0.8796 + 1e-6


def test_random_normal_uniform_truncated():
    normal = initializers.RandomNormal(mean=1.0, stddev=0.5)((100000,)).numpy()
    assert normal.mean() == pytest.approx(1.0, abs=0.01) and normal.std() == pytest.approx(0.5, rel=0.02)
    uniform = initializers.RandomUniform(-1.0, 3.0)((10000,)).numpy()
    assert uniform.min() >= -1 and uniform.max() < 3 and uniform.mean() == pytest.approx(1.0, abs=0.05)
    truncated = initializers.TruncatedNormal(stddev=1.0)((10000,)).numpy()
    assert np.abs(truncated).max() <= 2.0
    assert np.abs(initializers.get("uniform")((1000,)).numpy()).max() <= 0.05


def test_global_seed_makes_initial_weights_repeat():
    tf.random.set_seed(3)
    a = initializers.GlorotUniform()((4, 4)).numpy()
    b = initializers.GlorotUniform()((4, 4)).numpy()
    tf.random.set_seed(3)
    np.testing.assert_array_equal(initializers.GlorotUniform()((4, 4)).numpy(), a)
    assert not np.array_equal(a, b)
    seeded = initializers.HeNormal(seed=7)
    np.testing.assert_array_equal(seeded((3, 3)).numpy(), seeded((3, 3)).numpy())


def test_identity_and_orthogonal():
    np.testing.assert_array_equal(initializers.Identity(gain=2.0)((2, 3)).numpy(), 2 * np.eye(2, 3))
    q = initializers.Orthogonal()((5, 3)).numpy().astype("float64")
    np.testing.assert_allclose(q.T @ q, np.eye(3), atol=1e-5)
    q = initializers.Orthogonal()((3, 5)).numpy().astype("float64")
    np.testing.assert_allclose(q @ q.T, np.eye(3), atol=1e-5)


def test_get_config_serialize_and_errors():
    init = initializers.RandomNormal(stddev=0.1, seed=2)
    config = initializers.serialize(init)
    assert config == {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 0.1, "seed": 2}}
    again = initializers.deserialize(config)
    np.testing.assert_array_equal(again((3,)).numpy(), init((3,)).numpy())
    assert isinstance(initializers.get("GlorotUniform"), initializers.GlorotUniform)
    assert isinstance(initializers.glorot_uniform(), initializers.GlorotUniform)
    assert initializers.compute_fans((3, 3, 16, 32)) == (144, 288)
    with pytest.raises(ValueError, match="unknown initializer 'glorot'"):
        initializers.get("glorot")
    with pytest.raises(ValueError, match="mode must be"):
        initializers.VarianceScaling(mode="fan")
