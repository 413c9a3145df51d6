"""The segment ops, tf.nn.gelu and the other tf.nn / tf.math functions added beside them, against
real TensorFlow (tests/fixtures/make_tf_nn_math_more_fixture.py), with gradient checks; and
TensorFlow's parameter names taken as keywords."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import errors
from learnet.testing import check_gradients

FIXTURES = Path(__file__).parent / "fixtures"
_spec = importlib.util.spec_from_file_location("make_fixture", FIXTURES / "make_tf_nn_math_more_fixture.py")
fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixture)
REFERENCE = np.load(FIXTURES / "tf_nn_math_more_reference.npz")
CASES = fixture.cases(tf)


@pytest.mark.filterwarnings("ignore:overflow encountered")  # an empty segment's max is float32's lowest
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_tensorflow(name):
    function, value = CASES[name]
    if value is None:
        np.testing.assert_allclose(function(None).numpy(), REFERENCE[name], rtol=1e-6)
        return
    x = tf.constant(value)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = function(x)
        total = tf.reduce_sum(y * fixture.weights_like(tuple(y.shape)))
    np.testing.assert_allclose(y.numpy(), REFERENCE[name], rtol=2e-5, atol=2e-6)
    assert y.dtype == REFERENCE[name].dtype
    np.testing.assert_allclose(tape.gradient(total, x).numpy(), REFERENCE[name + ":grad"], rtol=2e-5, atol=2e-6)


# --- numerical gradient checks (float64) -----------------------------------------------------------------
RNG = np.random.default_rng(0)
ROWS = RNG.normal(size=(6, 3))
SORTED = np.array([0, 0, 1, 3, 3, 3])
UNSORTED = np.array([2, 0, 2, -1, 0, 1])
SMOOTH = RNG.uniform(-1.5, 1.5, size=7)
INSIDE = RNG.uniform(-0.8, 0.8, size=5)


@pytest.mark.parametrize("kind", ["sum", "mean", "max", "min", "prod"])
def test_segment_gradients(kind):
    sorted_op = getattr(tf.math, f"segment_{kind}")
    unsorted_op = getattr(tf.math, f"unsorted_segment_{kind}")
    check_gradients(lambda d: sorted_op(d, SORTED), [ROWS])
    check_gradients(lambda d: unsorted_op(d, UNSORTED, 3), [ROWS])


def test_segment_gradient_checks_by_name():
    check_gradients(lambda d: tf.math.segment_sum(d, SORTED) * 2.0, [ROWS])
    check_gradients(lambda d: tf.math.segment_mean(d, SORTED), [ROWS])
    check_gradients(lambda d: tf.math.segment_max(d, SORTED), [ROWS])
    check_gradients(lambda d: tf.math.segment_min(d, SORTED), [ROWS])
    check_gradients(lambda d: tf.math.segment_prod(d, SORTED), [ROWS])
    check_gradients(lambda d: tf.math.unsorted_segment_sum(d, UNSORTED, 3), [ROWS])
    check_gradients(lambda d: tf.math.unsorted_segment_sqrt_n(d, UNSORTED, 3), [ROWS])
    check_gradients(lambda d: tf.math.unsorted_segment_prod(d, UNSORTED, 3), [ROWS])
    check_gradients(lambda d: tf.math.unsorted_segment_max(d, UNSORTED, 3), [ROWS])
    check_gradients(lambda d: tf.math.unsorted_segment_min(d, UNSORTED, 3), [ROWS])
    check_gradients(lambda d: tf.math.unsorted_segment_mean(d, UNSORTED, 3), [ROWS])


def test_segment_prod_gradient_with_one_zero_and_second_order():
    data = np.array([0.0, 2.0, 3.0, 1.5, -0.5])
    check_gradients(lambda d: tf.math.unsorted_segment_prod(d, [0, 0, 0, 1, 1], 2), [data])
    x = tf.Variable(data)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(tf.math.unsorted_segment_prod(x, [0, 0, 0, 1, 1], 2))
        g = inner.gradient(y, x)  # (6, 0, 0, -0.5, 1.5)
        z = tf.reduce_sum(g * g)
    second = outer.gradient(z, x).numpy()
    # d/dx of sum(g^2) with g0 = x1 x2, g1 = x0 x2, g2 = x0 x1, g3 = x4, g4 = x3
    x0, x1, x2, x3, x4 = data
    expected = [2 * x0 * x2 * x2 + 2 * x0 * x1 * x1, 2 * x1 * x2 * x2, 2 * x2 * x1 * x1, 2 * x3, 2 * x4]
    np.testing.assert_allclose(second, expected)


def test_keras_ops_segments_run_on_the_same_core():
    check_gradients(lambda d: tf.ops.segment_sum(d, SORTED.tolist(), num_segments=4), [ROWS])
    check_gradients(lambda d: tf.ops.segment_max(d, [0, 0, 1, 1, 2, 2], num_segments=3), [ROWS[:, :1] * 3])
    out = tf.ops.segment_max(tf.constant([1.0, 2.0]), [0, 0], num_segments=2).numpy()
    assert out[0] == 2.0 and out[1] == np.finfo("float32").min


@pytest.mark.parametrize(
    "name, function, point",
    [
        ("gelu", lambda x: tf.nn.gelu(x), SMOOTH),
        ("gelu approximate", lambda x: tf.nn.gelu(x, approximate=True), SMOOTH),
        ("erf", lambda x: tf.math.erf(x * 2.0), SMOOTH),
        ("erfc", lambda x: tf.math.erfc(x * 2.0), SMOOTH),
        ("lgamma", lambda x: tf.math.lgamma(x * 3.0), SMOOTH),
        ("digamma", lambda x: tf.math.digamma(x + 2.0), SMOOTH),
        ("acos", lambda x: tf.math.acos(x), INSIDE),
        ("asin", lambda x: tf.math.asin(x), INSIDE),
        ("atan", lambda x: tf.math.atan(x), SMOOTH),
        ("atan2", lambda x, y: tf.math.atan2(x, y), [SMOOTH, SMOOTH[::-1] + 0.1]),
        ("sinh", lambda x: tf.math.sinh(x), SMOOTH),
        ("cosh", lambda x: tf.math.cosh(x), SMOOTH),
        ("asinh", lambda x: tf.math.asinh(x), SMOOTH),
        ("acosh", lambda x: tf.math.acosh(x + 3.0), SMOOTH),
        ("atanh", lambda x: tf.math.atanh(x), INSIDE),
        ("expm1", lambda x: tf.math.expm1(x), SMOOTH),
        ("xlogy", lambda x, y: tf.math.xlogy(x, y), [SMOOTH, np.abs(SMOOTH) + 0.2]),
        ("xlog1py", lambda x, y: tf.math.xlog1py(x, y), [SMOOTH, np.abs(SMOOTH)]),
        ("xdivy", lambda x, y: tf.math.xdivy(x, y), [SMOOTH, np.abs(SMOOTH) + 0.2]),
        ("cumulative_logsumexp", lambda x: tf.math.cumulative_logsumexp(x), SMOOTH),
        ("cumulative_logsumexp 2-D", lambda x: tf.math.cumulative_logsumexp(x, axis=1, reverse=True), ROWS),
        ("reduce_euclidean_norm", lambda x: tf.math.reduce_euclidean_norm(x, axis=0), ROWS),
        ("polyval", lambda x: tf.math.polyval([1.5, -2.0, 0.5], x), SMOOTH),
        ("lbeta", lambda x: tf.math.lbeta(tf.reshape(x, [2, 3]) + 2.0), ROWS[:2].ravel()),
        ("multiply_no_nan", lambda x, y: tf.math.multiply_no_nan(x, y), [SMOOTH, SMOOTH + 2.0]),
        ("reciprocal_no_nan", lambda x: tf.math.reciprocal_no_nan(x + 2.0), SMOOTH),
        ("log_poisson_loss", lambda x: tf.nn.log_poisson_loss(np.abs(SMOOTH) * 3, x, True), SMOOTH),
        (
            "weighted_cross_entropy_with_logits",
            lambda x: tf.nn.weighted_cross_entropy_with_logits((SMOOTH > 0).astype("float64"), x, 3.0),
            SMOOTH,
        ),
        (
            "local_response_normalization",
            lambda x: tf.nn.local_response_normalization(x, 1, 1.0, 0.5, 0.75),
            RNG.normal(size=(1, 2, 2, 5)),
        ),
        ("crelu", lambda x: tf.nn.crelu(x), SMOOTH),
        (
            "batch_normalization",
            lambda x, m, v: tf.nn.batch_normalization(x, m, v, 0.5, 2.0, 1e-3),
            [ROWS, ROWS.mean(0), ROWS.var(0) + 0.5],
        ),
        (
            "weighted_moments",
            lambda x, w: tf.stack(tf.nn.weighted_moments(x, [0], w)),
            [ROWS, np.abs(ROWS[:, :1]) + 0.5],
        ),
        ("normalize_moments", lambda x: tf.stack(tf.nn.normalize_moments(*tf.nn.sufficient_statistics(x, [0]))), ROWS),
        (
            "depth_to_space",
            lambda x: tf.reshape(tf.nn.depth_to_space(x, 2), [16]) * tf.range(16.0, dtype="float64"),
            RNG.normal(size=(1, 2, 2, 4)),
        ),
        (
            "space_to_depth",
            lambda x: tf.reshape(tf.nn.space_to_depth(x, 2), [16]) * tf.range(16.0, dtype="float64"),
            RNG.normal(size=(1, 4, 4, 1)),
        ),
    ],
)
def test_gradient_checks(name, function, point):
    check_gradients(function, point if isinstance(point, list) else [point])


def test_gradient_checks_name_the_primitives():
    check_gradients(lambda x: tf.math.erf(x) + tf.math.erfc(x) + tf.math.lgamma(x + 2.0), [SMOOTH])
    check_gradients(lambda x: tf.math.digamma(x + 2.0) + tf.math.expm1(x) + tf.math.atan(x), [SMOOTH])
    check_gradients(lambda x: tf.math.acos(x) + tf.math.asin(x) + tf.math.atanh(x), [INSIDE])
    check_gradients(lambda x: tf.math.sinh(x) + tf.math.cosh(x) + tf.math.asinh(x) + tf.math.acosh(x + 3), [SMOOTH])
    check_gradients(lambda x: tf.math.atan2(x, x + 3.0) + tf.math.xlogy(x, x + 3.0), [SMOOTH])
    check_gradients(lambda x: tf.math.xlog1py(x, x + 3.0) + tf.math.xdivy(x, x + 3.0), [SMOOTH])
    check_gradients(lambda x: tf.math.cumulative_logsumexp(x), [SMOOTH])


def test_gelu_second_order():
    x = tf.Variable([0.3, -1.2])
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(tf.nn.gelu(x))
        g = inner.gradient(y, x)
    pdf = np.exp(-0.5 * x.numpy() ** 2) / np.sqrt(2 * np.pi)
    np.testing.assert_allclose(outer.gradient(g, x).numpy(), pdf * (2 - x.numpy() ** 2), rtol=1e-5)


def test_erf_and_lgamma_are_accurate_in_float64():
    import math

    x = np.linspace(-6, 6, 241)
    np.testing.assert_allclose(
        tf.math.erf(tf.constant(x, dtype="float64")).numpy(), [math.erf(v) for v in x], rtol=1e-14, atol=1e-300
    )
    np.testing.assert_allclose(
        tf.math.erfc(tf.constant(x, dtype="float64")).numpy(), [math.erfc(v) for v in x], rtol=1e-11
    )
    points = np.concatenate([np.linspace(0.05, 40, 200), np.linspace(-4.95, -0.05, 50) + 0.013])
    np.testing.assert_allclose(
        tf.math.lgamma(tf.constant(points, dtype="float64")).numpy(), [math.lgamma(v) for v in points], atol=1e-12
    )


def test_cumulative_logsumexp_has_no_overflow():
    x = tf.Variable([-1000.0, 0.0, 1000.0], dtype="float64")
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.math.cumulative_logsumexp(x))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [1.0, 1.0, 1.0])
    assert np.isfinite(y.numpy())


# --- TensorFlow's keyword names ------------------------------------------------------------------------
def test_tensorflow_keyword_names():
    x = tf.constant([[1.0, -2.0], [3.0, 4.0]])
    assert float(tf.reduce_sum(input_tensor=x)) == 6.0
    assert float(tf.math.reduce_max(input_tensor=x, axis=None)) == 4.0
    assert tf.reduce_mean(input_tensor=x, axis=0, keepdims=True).shape == (1, 2)
    assert float(tf.math.reduce_std(input_tensor=x)) > 0
    assert bool(tf.reduce_any(input_tensor=x > 3))
    np.testing.assert_allclose(tf.nn.softmax(logits=x, axis=-1).numpy().sum(-1), [1.0, 1.0], rtol=1e-6)
    assert tf.nn.relu(features=x).numpy().min() == 0.0
    assert tf.concat(values=[x, x], axis=0).shape == (4, 2)
    assert tf.gather(params=x, indices=[1]).shape == (1, 2)
    assert tf.reshape(tensor=x, shape=[4]).shape == (4,)
    assert tf.clip_by_value(t=x, clip_value_min=0.0, clip_value_max=1.0).numpy().max() == 1.0
    assert tf.identity(input=x).shape == (2, 2)
    assert tf.stop_gradient(input=x).shape == (2, 2)
    z = tf.complex(real=x, imag=x * 2)
    assert z.dtype == np.complex64 and z.numpy()[0, 1] == -2 - 4j
    assert tf.complex(x, imag=x).dtype == np.complex64
    assert tf.math.top_k(input=x, k=1, index_type=tf.int64).indices.dtype == np.int64
    mean, variance = tf.nn.moments(x=x, axes=[0], shift=None, keepdims=False)
    assert mean.shape == (2,)
    assert tf.nn.l2_normalize(x, dim=1).shape == (2, 2)
    assert tf.math.unsorted_segment_sum(data=x, segment_ids=[1, 0], num_segments=2).numpy()[0, 0] == 3.0
    assert tf.nn.gelu(features=x, approximate=True).shape == (2, 2)


def test_tensor_keyword_missing_is_a_type_error():
    with pytest.raises(TypeError, match="input_tensor"):
        tf.math.reduce_sum(axis=0)
    with pytest.raises(TypeError, match="imag"):
        tf.complex(real=tf.constant([1.0]))


# --- bad input ----------------------------------------------------------------------------------------------
def test_segment_ids_out_of_range_or_unsorted_raise_and_change_nothing():
    data = tf.Variable(ROWS)
    before = data.numpy().copy()
    with pytest.raises(errors.InvalidArgumentError, match=r"segment_ids\[1\] = 3 is out of range \[0, 2\)"):
        tf.math.unsorted_segment_sum(data, [0, 3, 1, 1, 0, 0], 2)
    with pytest.raises(errors.InvalidArgumentError, match="not increasing"):
        tf.math.segment_sum(data, [1, 0, 1, 1, 2, 2])
    with pytest.raises(errors.InvalidArgumentError, match="prefix"):
        tf.math.segment_mean(data, [0, 0, 1])
    with pytest.raises(errors.InvalidArgumentError, match=">= 0"):
        tf.math.segment_max(data, [-1, 0, 0, 0, 0, 0])
    with pytest.raises(TypeError, match="integers"):
        tf.math.unsorted_segment_max(data, [0.0, 1.0, 0.0, 1.0, 0.0, 1.0], 2)
    with pytest.raises(errors.InvalidArgumentError, match="num_segments"):
        tf.math.unsorted_segment_min(data, [0] * 6, -1)
    np.testing.assert_array_equal(data.numpy(), before)


def test_other_bad_inputs_raise():
    with pytest.raises(errors.InvalidArgumentError, match=">= 0"):
        tf.math.bincount([1, -1])
    with pytest.raises(TypeError, match="integer"):
        tf.math.bincount([1.5])
    with pytest.raises(errors.InvalidArgumentError, match="not a permutation"):
        tf.math.invert_permutation([0, 0, 1])
    with pytest.raises(ValueError, match="list of coefficients"):
        tf.math.polyval(tf.constant([1.0]), 2.0)
    with pytest.raises(ValueError, match="same shape"):
        tf.nn.log_poisson_loss([1.0, 2.0], [0.0])
    with pytest.raises(ValueError, match="same shape"):
        tf.nn.weighted_cross_entropy_with_logits([1.0], [0.0, 1.0], 2.0)
    with pytest.raises(ValueError, match="4-D"):
        tf.nn.lrn(tf.ones((2, 3)))
    with pytest.raises(ValueError, match="divisible"):
        tf.nn.depth_to_space(tf.ones((1, 2, 2, 3)), 2)
    with pytest.raises(ValueError, match="NHWC"):
        tf.nn.space_to_depth(tf.ones((1, 2, 2, 3)), 2, data_format="NCHW")
    with pytest.raises(ValueError, match="single number"):
        tf.math.scalar_mul([1.0, 2.0], tf.ones(2))
    with pytest.raises(TypeError, match="float"):
        tf.math.cumulative_logsumexp(tf.constant([1, 2]))
    with pytest.raises(errors.InvalidArgumentError):
        tf.math.xlogy(tf.ones(2), tf.ones(3))


def test_small_helpers():
    assert bool(tf.math.is_non_decreasing([1, 1, 2])) and not bool(tf.math.is_strictly_increasing([1, 1, 2]))
    assert float(tf.math.scalar_mul(2.0, tf.constant([1.0, 3.0]))[1]) == 6.0
    assert float(tf.math.accumulate_n([tf.ones(2), tf.ones(2)])[0]) == 2.0
    assert float(tf.math.nextafter(1.0, 2.0)) > 1.0
    assert tf.nn.zero_fraction([0.0, 1.0]).numpy() == 0.5
    assert float(tf.math.multiply_no_nan(np.inf, 0.0)) == 0.0
    assert float(tf.math.reciprocal_no_nan(0.0)) == 0.0
