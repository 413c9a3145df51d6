"""Inside a tf.function, an op whose result is never used does not fail (TensorFlow prunes it).

The "Introduction to graphs" guide shows it: ``tf.gather(x, [1])`` on one row raises in eager
mode, and is silently dropped from the graph of a ``tf.function`` that does not use its
result. learnet runs the body eagerly, so such an op gives an ``UnusedOpError`` tensor there,
and the error comes the moment a value is needed from it, as in TensorFlow's graph.
"""

import numpy as np
import pytest

import learnet as tf
from learnet.tape import UnusedOpError


def test_eagerly_the_index_error_is_raised_at_once():
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        tf.gather(tf.constant([0.0]), [1])


def test_an_unused_result_in_a_function_raises_nothing():
    seen = []

    @tf.function
    def unused_return_graph(x):
        seen.append(tf.gather(x, [1]))  # unused
        return x

    result = unused_return_graph(tf.constant([0.0]))
    np.testing.assert_array_equal(result.numpy(), [0.0])
    assert isinstance(seen[0], UnusedOpError)


def test_ops_on_an_unused_result_are_unused_too():
    @tf.function
    def chain(x):
        y = tf.gather(x, [1]) * 2.0 + tf.reduce_sum(x)
        _ = tf.concat([y, x], axis=0)
        return x + 1.0

    np.testing.assert_array_equal(chain(tf.constant([1.0])).numpy(), [2.0])


@pytest.mark.parametrize(
    "how",
    ["returned", "returned inside a dict", "after another op", "numpy()", "python float", "assigned to a variable"],
)
def test_a_needed_result_raises_the_ops_error(how):
    variable = tf.Variable([0.0])

    @tf.function
    def needed(x):
        y = tf.gather(x, [1])
        if how == "returned":
            return y
        if how == "returned inside a dict":
            return {"y": y, "x": x}
        if how == "after another op":
            return tf.square(y) + x
        if how == "numpy()":
            return y.numpy()
        if how == "python float":
            return float(y[0])
        variable.assign(y)
        return x

    with pytest.raises(tf.errors.InvalidArgumentError, match="gather: an index is out of range"):
        needed(tf.constant([0.0]))
    np.testing.assert_array_equal(variable.numpy(), [0.0])  # nothing assigned


def test_python_control_flow_on_it_raises():
    @tf.function
    def branch(x):
        if tf.reduce_sum(tf.gather(x, [3])) > 0:
            return x
        return -x

    with pytest.raises(IndexError):  # learnet's IndexOutOfRangeError is an IndexError too
        branch(tf.constant([1.0, 2.0]))


def test_init_scope_runs_eagerly_so_it_raises_there():
    @tf.function
    def lifted(x):
        with tf.init_scope():
            tf.gather(x, [5])
        return x

    with pytest.raises(tf.errors.InvalidArgumentError):
        lifted(tf.constant([1.0]))


def test_other_errors_are_not_deferred():
    @tf.function
    def bad_shapes(x):
        tf.matmul(x, tf.ones((3, 3)))  # a shape error TensorFlow reports while tracing
        return x

    with pytest.raises((ValueError, tf.errors.InvalidArgumentError)):
        bad_shapes(tf.ones((2, 2)))


def test_a_good_index_in_a_function_is_unchanged():
    @tf.function
    def good(x):
        return tf.gather(x, [1, 0])

    np.testing.assert_array_equal(good(tf.constant([1.0, 2.0])).numpy(), [2.0, 1.0])
    assert not isinstance(good(tf.constant([1.0, 2.0])), UnusedOpError)
