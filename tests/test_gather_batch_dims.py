"""``tf.gather`` and ``tf.gather_nd`` with ``batch_dims`` against real TensorFlow 2.21 (fixture made
by fixtures/make_tf_gather_batch_dims_fixture.py), their gradients, and their errors."""

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet.ops import shape as shape_ops
from learnet.testing import check_gradients

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = np.load(FIXTURES / "tf_gather_batch_dims_reference.npz")
RNG = np.random.default_rng(3)


def _fixture_module():
    """The generator of the fixture: the calls it made with TensorFlow, written once."""
    path = FIXTURES / "make_tf_gather_batch_dims_fixture.py"
    spec = importlib.util.spec_from_file_location("make_tf_gather_batch_dims_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()


class _Learnet:
    """learnet's namespace for the fixture's calls, with ``gather_nd`` the one of ``ops.shape``
    (which holds ``batch_dims``)."""

    gather = staticmethod(tf.gather)
    gather_nd = staticmethod(shape_ops.gather_nd)


CASES = FIXTURE.cases(_Learnet, FIXTURE.P3, FIXTURE.P4)


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_tensorflow(name):
    params, call = CASES[name]
    p = tf.constant(params)
    with tf.GradientTape() as tape:
        tape.watch(p)
        result = call(p)
        loss = tf.reduce_sum(result * FIXTURE.weights_for(result.shape))
    assert result.shape == REFERENCE[name].shape
    np.testing.assert_allclose(result.numpy(), REFERENCE[name], rtol=1e-6)
    np.testing.assert_allclose(tape.gradient(loss, p).numpy(), REFERENCE[name + "__grad"], rtol=1e-6, atol=1e-6)


def test_tf_gather_nd_takes_batch_dims_when_it_routes_to_ops_shape():
    try:
        result = tf.gather_nd(FIXTURE.P3, FIXTURE.ND_TWO, batch_dims=1)
    except NotImplementedError:
        pytest.skip("tf.gather_nd does not route batch_dims to learnet.ops.shape.gather_nd yet")
    np.testing.assert_allclose(result.numpy(), REFERENCE["gather_nd_batch1_depth2"], rtol=1e-6)


def test_gather_batch_dims_numerical_gradient():
    params = RNG.normal(size=(2, 3, 4))
    weights = RNG.normal(size=(2, 3, 5))
    indices = FIXTURE.I_AXIS2
    check_gradients(lambda p: tf.gather(p, indices, axis=2, batch_dims=1) * weights, [params])


def test_gather_nd_batch_dims_numerical_gradient():
    params = RNG.normal(size=(2, 3, 4))
    weights = RNG.normal(size=(2, 3))
    check_gradients(lambda p: shape_ops.gather_nd(p, FIXTURE.ND_TWO, batch_dims=1) * weights, [params])


def test_gather_batch_dims_second_derivative():
    # Made of gather and reshape, so an outer tape differentiates the gradient again.
    x = tf.Variable(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(tf.gather(x, [[2, 2], [0, 1]], axis=1, batch_dims=1) ** 3)
        g = inner.gradient(y, x)
    np.testing.assert_allclose(g.numpy(), [[0, 0, 54], [48, 75, 0]])
    np.testing.assert_allclose(outer.gradient(g, x).numpy(), [[0, 0, 36], [24, 30, 0]])


def test_batch_dims_zero_and_default_axis_are_plain_gather():
    x = tf.reshape(tf.range(12), (3, 4))
    np.testing.assert_array_equal(tf.gather(x, [2, 0]).numpy(), np.arange(12).reshape(3, 4)[[2, 0]])
    np.testing.assert_array_equal(tf.gather(x, [2, 0], axis=1).numpy(), np.arange(12).reshape(3, 4)[:, [2, 0]])
    np.testing.assert_array_equal(tf.gather(x, [2, 0], axis=-1, batch_dims=0).numpy()[:, 0], [2, 6, 10])


def test_batch_dims_as_many_as_the_indices_axes_takes_one_entry_per_row():
    x = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(tf.gather(x, [2, 0], axis=1, batch_dims=1).numpy(), [3.0, 4.0])


def test_validate_indices_is_accepted_has_no_effect_and_warns():
    x = tf.constant([[1, 2, 3], [4, 5, 6]])
    with pytest.warns(DeprecationWarning, match="validate_indices"):
        result = tf.gather(x, [1], validate_indices=True, axis=1)
    np.testing.assert_array_equal(result.numpy(), [[2], [5]])
    # TensorFlow's third positional argument is validate_indices, not axis.
    with pytest.warns(DeprecationWarning):
        np.testing.assert_array_equal(tf.gather(x, [0], 1).numpy(), [[1, 2, 3]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tf.gather(x, [0], axis=1)
    with pytest.warns(DeprecationWarning), pytest.raises(tf.errors.InvalidArgumentError):
        tf.gather(x, [5], validate_indices=False)  # still checked


@pytest.mark.parametrize(
    ("indices", "axis", "batch_dims", "error"),
    [
        ([[0, 1]], 1, 1, tf.errors.InvalidArgumentError),  # batch axes of different sizes
        ([[0], [1]], 0, 1, tf.errors.InvalidArgumentError),  # axis among the batch axes
        ([[0], [3]], 1, 1, tf.errors.InvalidArgumentError),  # index out of range
        ([[0], [1]], 1, 3, tf.errors.InvalidArgumentError),  # batch_dims over indices' rank
        ([[0], [1]], 1, -3, tf.errors.InvalidArgumentError),
        ([[0], [1]], 2, 1, tf.errors.InvalidArgumentError),  # axis out of range
        ([[0.0], [1.0]], 1, 1, TypeError),  # float indices
    ],
)
def test_gather_bad_batch_input_raises(indices, axis, batch_dims, error):
    x = tf.Variable([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with pytest.raises(error):
        tf.gather(x, indices, axis=axis, batch_dims=batch_dims)
    np.testing.assert_array_equal(x.numpy(), [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


@pytest.mark.parametrize(
    ("indices", "batch_dims", "error"),
    [
        ([[[0]], [[1]], [[1]]], 1, tf.errors.InvalidArgumentError),  # 3 batch entries for 2
        ([[0], [1]], -1, ValueError),  # TensorFlow refuses a negative batch_dims here
        ([[0], [1]], 2, tf.errors.InvalidArgumentError),  # batch_dims not below indices' rank
        ([[[0, 1, 2]], [[0, 1, 2]]], 1, tf.errors.InvalidArgumentError),  # coordinates too long
        ([[[3]], [[0]]], 1, tf.errors.InvalidArgumentError),  # out of range
        ([[[-1]], [[0]]], 1, tf.errors.InvalidArgumentError),  # negative coordinate
        (5, 0, tf.errors.InvalidArgumentError),  # scalar indices
        ([[[0.0]], [[1.0]]], 1, TypeError),
    ],
)
def test_gather_nd_bad_batch_input_raises(indices, batch_dims, error):
    params = np.arange(24.0).reshape(2, 3, 4)
    with pytest.raises(error):
        shape_ops.gather_nd(params, indices, batch_dims=batch_dims)
    np.testing.assert_array_equal(params, np.arange(24.0).reshape(2, 3, 4))


def test_batched_gather_is_vectorised_on_a_large_batch():
    params = RNG.normal(size=(512, 6, 7)).astype("float32")
    indices = RNG.integers(0, 7, size=(512, 9))
    result = tf.gather(params, indices, axis=2, batch_dims=1).numpy()
    expected = np.take_along_axis(params, np.broadcast_to(indices[:, None, :], (512, 6, 9)), axis=2)
    np.testing.assert_array_equal(result, expected)
