"""``tf.random``'s own rules (shapes, dtypes, errors) against real TensorFlow 2.21, and Keras 3's where they differ.

learnet is both ``tf`` and ``keras``, so ``tf.random`` and ``keras.random`` are one module; where the
two libraries disagree it follows TensorFlow. The TensorFlow fixture is made by
fixtures/make_tf_random_fixture.py; the Keras side is compared with real Keras 3 (JAX) when installed.
"""

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet.testing import check_gradients

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = np.load(FIXTURES / "tf_random_reference.npz")


def _fixture_cases():
    spec = importlib.util.spec_from_file_location("make_tf_random_fixture", FIXTURES / "make_tf_random_fixture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.cases(tf)


CASES = _fixture_cases()
ERRORS = {"InvalidArgumentError": tf.errors.InvalidArgumentError, "ValueError": ValueError, "TypeError": TypeError}


@pytest.mark.parametrize("name", sorted(CASES))
def test_shape_dtype_and_errors_match_tensorflow(name):
    if f"{name}__error" in REFERENCE:
        with pytest.raises(ERRORS[str(REFERENCE[f"{name}__error"])]):
            CASES[name]()
        return
    result = CASES[name]()
    assert list(result.shape) == REFERENCE[f"{name}__shape"].tolist()
    assert result.dtype.name == str(REFERENCE[f"{name}__dtype"])
    if f"{name}__values" in REFERENCE:
        np.testing.assert_array_equal(result.numpy(), REFERENCE[f"{name}__values"])


def test_every_tf_random_name_exists():
    names = (
        "Algorithm Generator all_candidate_sampler categorical create_rng_state experimental "
        "fixed_unigram_candidate_sampler fold_in gamma get_global_generator learned_unigram_candidate_sampler "
        "log_uniform_candidate_sampler normal poisson set_global_generator set_seed shuffle split "
        "stateless_binomial stateless_categorical stateless_gamma stateless_normal "
        "stateless_parameterized_truncated_normal stateless_poisson stateless_truncated_normal stateless_uniform "
        "truncated_normal uniform uniform_candidate_sampler"
    ).split()
    assert [name for name in names if not hasattr(tf.random, name)] == []
    experimental = (
        "Algorithm Generator create_rng_state get_global_generator index_shuffle set_global_generator "
        "stateless_fold_in stateless_shuffle stateless_split"
    ).split()
    assert [name for name in experimental if not hasattr(tf.random.experimental, name)] == []


def test_tensorflow_defaults_and_argument_names():
    import inspect

    def parameters(function):
        return list(inspect.signature(function).parameters)

    assert parameters(tf.random.gamma) == ["shape", "alpha", "beta", "dtype", "seed", "name"]
    assert parameters(tf.random.poisson) == ["shape", "lam", "dtype", "seed", "name"]
    assert parameters(tf.random.categorical) == ["logits", "num_samples", "dtype", "seed", "name"]
    assert parameters(tf.random.stateless_parameterized_truncated_normal) == [
        "shape",
        "seed",
        "means",
        "stddevs",
        "minvals",
        "maxvals",
        "name",
    ]
    assert parameters(tf.random.experimental.index_shuffle) == ["index", "seed", "max_index"]


# --- the reproducers ------------------------------------------------------------------------------


def test_gamma_output_shape_is_shape_then_parameters():
    assert tf.random.gamma(shape=[1], alpha=[0.25]).shape == (1, 1)
    assert tf.random.gamma(shape=[3], alpha=[0.5, 1.0], beta=[1.0, 2.0]).shape == (3, 2)
    assert tf.random.gamma([3], 2.0, 3.0, tf.float64, 1).dtype == np.float64  # TF's positional order


def test_categorical_is_int64_by_default():
    samples = tf.random.categorical(tf.math.log([[0.5, 0.5]]), 3)
    assert samples.dtype == np.int64
    assert tf.random.categorical([[0.0, 0.0]], 3, dtype=tf.int32).dtype == np.int32


# --- distributions, checked loosely ---------------------------------------------------------------


def test_gamma_moments_use_beta_as_rate():
    x = tf.random.gamma([20000], [2.0, 5.0], beta=[1.0, 4.0], seed=1, dtype=tf.float64).numpy()
    np.testing.assert_allclose(x.mean(axis=0), [2.0, 5.0 / 4.0], rtol=0.05)
    np.testing.assert_allclose(x.var(axis=0), [2.0, 5.0 / 16.0], rtol=0.1)
    assert (x > 0).all()


def test_poisson_moments_and_integer_dtype():
    x = tf.random.poisson([20000], [0.5, 7.0], seed=2, dtype=tf.int64).numpy()
    np.testing.assert_allclose(x.mean(axis=0), [0.5, 7.0], rtol=0.05)
    np.testing.assert_allclose(x.var(axis=0), [0.5, 7.0], rtol=0.1)
    assert x.dtype == np.int64 and (x >= 0).all()


def test_categorical_frequencies_follow_softmax():
    logits = np.log([[0.2, 0.3, 0.5], [0.9, 0.05, 0.05]])
    x = tf.random.categorical(logits, 20000, seed=3).numpy()
    counts = np.stack([np.bincount(row, minlength=3) for row in x]) / 20000
    np.testing.assert_allclose(counts, np.exp(logits), atol=0.02)
    never = tf.random.categorical([[0.0, -np.inf, 0.0]], 2000, seed=4).numpy()
    assert (never != 1).all()


def test_normal_uniform_and_truncated_normal_broadcast_their_parameters():
    x = tf.random.normal([20000, 2], mean=[0.0, 10.0], stddev=[1.0, 3.0], seed=5).numpy()
    np.testing.assert_allclose(x.mean(axis=0), [0.0, 10.0], atol=0.1)
    np.testing.assert_allclose(x.std(axis=0), [1.0, 3.0], rtol=0.05)
    u = tf.random.uniform([20000, 2], minval=[0.0, 10.0], maxval=[1.0, 20.0], seed=6).numpy()
    assert (u[:, 0] >= 0).all() and (u[:, 0] < 1).all() and (u[:, 1] >= 10).all() and (u[:, 1] < 20).all()
    np.testing.assert_allclose(u.mean(axis=0), [0.5, 15.0], rtol=0.02)
    t = tf.random.truncated_normal([20000], mean=1.0, stddev=2.0, seed=7).numpy()
    assert np.abs(t - 1.0).max() <= 4.0 and abs(t.mean() - 1.0) < 0.05
    # The variance of a standard normal cut at +-2 is about 0.774.
    assert t.var() == pytest.approx(4 * 0.774, rel=0.05)
    ints = tf.random.uniform([6000], minval=-2, maxval=1, dtype=tf.int64, seed=8).numpy()
    assert sorted(set(ints.tolist())) == [-2, -1, 0]


def test_parameterized_truncated_normal_moments_and_tails():
    # Moments of N(1, 2^2) cut to [0, 10], as real TensorFlow draws them: mean 2.01, variance 1.94.
    x = tf.random.stateless_parameterized_truncated_normal(
        [50000], seed=[1, 2], means=1.0, stddevs=2.0, minvals=0.0, maxvals=10.0
    ).numpy()
    assert x.min() >= 0 and x.max() <= 10
    assert x.mean() == pytest.approx(2.01, abs=0.03) and x.var() == pytest.approx(1.94, rel=0.05)
    far = tf.random.stateless_parameterized_truncated_normal(
        [20000, 3], seed=[3, 4], minvals=[5.0, -4.1, -np.inf], maxvals=[np.inf, -4.0, -6.0]
    ).numpy()
    # The mean of a standard normal beyond 5 is phi(5) / (1 - Phi(5)) = 5.186.
    assert far[:, 0].min() >= 5 and far[:, 0].mean() == pytest.approx(5.186, abs=0.02)
    assert far[:, 1].min() >= -4.1 and far[:, 1].max() <= -4.0
    assert far[:, 2].max() <= -6 and far[:, 2].mean() == pytest.approx(-6.158, abs=0.02)
    again = tf.random.stateless_parameterized_truncated_normal([5], seed=[3, 4], minvals=0.0, maxvals=1.0)
    same = tf.random.stateless_parameterized_truncated_normal([5], seed=[3, 4], minvals=0.0, maxvals=1.0)
    np.testing.assert_array_equal(again, same)


def test_index_shuffle_is_a_permutation_fixed_by_the_seed():
    order = tf.random.experimental.index_shuffle(tf.range(1000), seed=[5, 9], max_index=999).numpy()
    assert sorted(order.tolist()) == list(range(1000)) and (order != np.arange(1000)).any()
    again = tf.random.experimental.index_shuffle(tf.range(1000), seed=[5, 9], max_index=999).numpy()
    other = tf.random.experimental.index_shuffle(tf.range(1000), seed=[5, 10], max_index=999).numpy()
    np.testing.assert_array_equal(order, again)
    assert (order != other).any()
    one = [tf.random.experimental.index_shuffle(i, [5, 9], 999) for i in (0, 1, 2)]
    assert [int(v) for v in one] == order[:3].tolist()
    big = tf.random.experimental.index_shuffle(tf.constant([0, 1, 2], tf.int64), [1, 2], 2**62).numpy()
    assert len(set(big.tolist())) == 3 and (big <= 2**62).all()
    tiny = tf.random.experimental.index_shuffle(tf.range(2), seed=[1, 2], max_index=1).numpy()
    assert sorted(tiny.tolist()) == [0, 1]
    # A batch of seeds, one per index, as TensorFlow documents it (its 2.21 kernel refuses this shape).
    batch = tf.random.experimental.index_shuffle([3, 3], seed=[[5, 9], [5, 9]], max_index=999).numpy()
    assert batch.tolist() == [order[3], order[3]]


def test_shuffle_takes_tensorflows_seed_by_name_and_by_position_past_the_axes():
    grid = tf.reshape(tf.range(12), (6, 2))
    rows = tf.random.shuffle(grid, seed=1).numpy()  # the rows move, each row intact
    assert sorted(rows[:, 0].tolist()) == [0, 2, 4, 6, 8, 10] and (rows[:, 1] == rows[:, 0] + 1).all()
    # 7 is no axis of grid: TensorFlow's seed
    np.testing.assert_array_equal(tf.random.shuffle(grid, 7).numpy(), tf.random.shuffle(grid, seed=7).numpy())
    assert tf.random.shuffle(5.0).numpy() == 5.0


# --- gradients ------------------------------------------------------------------------------------


def test_saturate_cast_gradient_to_a_float_type():
    def function(x):
        return tf.saturate_cast(x, tf.float64) * 2.0

    assert check_gradients(function, [np.array([0.5, -1.5, 3.0])]) < 1e-6


# --- bad input changes nothing ------------------------------------------------------------------


def test_bad_input_raises_and_leaves_the_global_stream_alone():
    tf.random.set_seed(11)
    expected = tf.random.normal([3], seed=None).numpy()
    tf.random.set_seed(11)
    with pytest.raises(tf.errors.InvalidArgumentError, match="alpha and beta must be > 0"):
        tf.random.gamma([2], -1.0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="lam must be finite"):
        tf.random.poisson([2], [1.0, -1.0])
    with pytest.raises(TypeError, match="float type"):
        tf.random.gamma([2], 1.0, dtype=tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="do not broadcast"):
        tf.random.gamma([2], [1.0, 2.0], beta=[1.0, 2.0, 3.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="non-negative"):
        tf.random.uniform([-1])
    with pytest.raises(ValueError, match="needs a maxval"):
        tf.random.uniform([2], dtype=tf.int64)
    with pytest.raises(tf.errors.InvalidArgumentError, match="matrix"):
        tf.random.categorical([0.0, 1.0], 2)
    with pytest.raises(TypeError, match="num_samples"):
        tf.random.categorical([[0.0, 1.0]], 2.5)
    with pytest.raises(TypeError, match="number"):
        tf.random.poisson([2], "a")
    with pytest.raises(tf.errors.InvalidArgumentError, match="max_index must be >= index"):
        tf.random.experimental.index_shuffle([1, 20], seed=[1, 2], max_index=9)
    with pytest.raises(tf.errors.InvalidArgumentError, match="batch sizes"):
        tf.random.experimental.index_shuffle([1, 2], seed=[[1, 2], [3, 4], [5, 6]], max_index=9)
    with pytest.raises(tf.errors.InvalidArgumentError, match="share one dtype"):
        tf.random.stateless_parameterized_truncated_normal([2], seed=[1, 2], means=tf.constant(0.0, tf.float64))
    np.testing.assert_array_equal(tf.random.normal([3], seed=None).numpy(), expected)


def test_saturate_cast_leaves_its_input_alone():
    x = tf.constant([-3.0, 300.0])
    assert tf.saturate_cast(x, tf.uint8).numpy().tolist() == [0, 255]
    assert x.numpy().tolist() == [-3.0, 300.0]


# --- where TensorFlow and Keras 3 disagree ------------------------------------------------------
# learnet is both tf and keras, so tf.random and keras.random are one module, and it follows
# TensorFlow where the two disagree; Keras' spellings that do not clash still work.


def test_tensorflows_rules_where_keras_differs_and_keras_spellings_that_do_not_clash():
    assert tf.random.gamma((3,), np.array([1.0, 2.0, 3.0]), seed=1).shape == (3, 3)  # shape + alpha.shape
    assert tf.random.gamma((2,), 2.0, "float64", seed=1).dtype == np.float64  # Keras' dtype in third place
    assert tf.random.categorical(np.zeros((1, 2)), 3, seed=1).dtype == np.int64
    assert tf.random.categorical(np.zeros((1, 2)), 3, dtype="int32", seed=1).dtype == np.int32
    columns = tf.random.shuffle(np.arange(12).reshape(3, 4), 1, seed=2).numpy()  # an axis it has: Keras' axis
    assert (np.sort(columns, axis=1) == np.arange(12).reshape(3, 4)).all()
    rows = tf.random.shuffle(np.arange(12).reshape(3, 4), 42).numpy()  # no axis 42: TensorFlow's seed
    assert sorted(rows[:, 0].tolist()) == [0, 4, 8]


def test_keras_scalar_alpha_gamma_matches_real_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    assert tuple(keras.random.gamma((3, 2), 2.0, seed=1).shape) == tuple(tf.random.gamma((3, 2), 2.0, seed=1).shape)


def test_a_shape_may_hold_0d_integer_tensors():
    # train_step code: tf.random.normal(shape=(tf.shape(real)[0], code_size)).
    batch = tf.shape(tf.zeros((4, 2)))[0]
    assert tf.random.normal(shape=(batch, 3)).shape == (4, 3)
    assert tf.random.uniform((batch, 2), maxval=5, dtype=tf.int32).shape == (4, 2)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.random.normal(shape=(tf.constant(1.5), 3))
