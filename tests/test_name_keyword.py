"""TensorFlow's ops take ``name=`` (a label in its graph); learnet's accept it and compute the same.

Tutorial code passes it everywhere (``tf.reshape(x, shape, name="...")``); an op that refused
it stopped the script. Also the TensorFlow names met in keras.io's examples: ``tf.repeat``,
``tf.math.l2_normalize`` and ``tf.config.experimental.enable_op_determinism``.
"""

import numpy as np
import pytest

import learnet as tf
from learnet.testing import check_gradients

X = tf.constant(np.arange(6, dtype="float32").reshape(2, 3))

CALLS = {
    "reshape": lambda: tf.reshape(X, [-1, 2], name="n"),
    "split": lambda: tf.split(X, [1, 2], axis=-1, name="n")[1],
    "concat": lambda: tf.concat([X, X], 0, name="n"),
    "stack": lambda: tf.stack([X, X], name="n"),
    "unstack": lambda: tf.unstack(X, name="n")[0],
    "transpose": lambda: tf.transpose(X, name="n"),
    "expand_dims": lambda: tf.expand_dims(X, 0, name="n"),
    "squeeze": lambda: tf.squeeze(tf.expand_dims(X, 0), name="n"),
    "cast": lambda: tf.cast(X, tf.int32, name="n"),
    "reduce_sum": lambda: tf.reduce_sum(X, name="n"),
    "reduce_mean": lambda: tf.reduce_mean(X, axis=0, name="n"),
    "reduce_max": lambda: tf.math.reduce_max(X, name="n"),
    "matmul": lambda: tf.matmul(X, tf.transpose(X), name="n"),
    "tile": lambda: tf.tile(X, [1, 2], name="n"),
    "gather": lambda: tf.gather(X, [1], name="n"),
    "one_hot": lambda: tf.one_hot([0, 2], 3, name="n"),
    "exp": lambda: tf.exp(X, name="n"),
    "maximum": lambda: tf.maximum(X, 1.0, name="n"),
    "add": lambda: tf.add(X, X, name="n"),
    "where": lambda: tf.where(X > 1, X, -X, name="n"),
    "equal": lambda: tf.equal(X, 1.0, name="n"),
    "argmax": lambda: tf.argmax(X, axis=1, name="n"),
    "zeros": lambda: tf.zeros([2], name="n"),
    "range": lambda: tf.range(3, name="n"),
    "identity": lambda: tf.identity(X, name="n"),
    "clip_by_value": lambda: tf.clip_by_value(X, 0.0, 1.0, name="n"),
    "relu": lambda: tf.nn.relu(X, name="n"),
    "softmax": lambda: tf.nn.softmax(X, name="n"),
    "sigmoid": lambda: tf.sigmoid(X, name="n"),
    "log": lambda: tf.math.log(X + 1, name="n"),
    "round": lambda: tf.math.round(X, name="n"),
    "shape": lambda: tf.shape(X, name="n"),
    "pad": lambda: tf.pad(X, [[1, 1], [0, 0]], name="n"),
    "l2_normalize": lambda: tf.math.l2_normalize(X, axis=1, name="n"),
    "repeat": lambda: tf.repeat(X, 2, axis=0, name="n"),
}


@pytest.mark.parametrize("op", sorted(CALLS))
def test_name_is_accepted(op):
    result = CALLS[op]()
    assert isinstance(result, tf.Tensor)


def test_name_gives_the_same_values_as_without():
    np.testing.assert_array_equal(tf.reshape(X, [3, 2], name="r").numpy(), tf.reshape(X, [3, 2]).numpy())
    np.testing.assert_array_equal(tf.reduce_sum(X, 1, name="s").numpy(), tf.reduce_sum(X, 1).numpy())
    assert tf.random.normal([3], seed=1, name="n").shape == (3,)


def test_random_ops_take_name():
    assert tf.random.normal([2], name="n").shape == (2,)
    assert tf.random.uniform([2], name="n").shape == (2,)


def test_an_op_with_a_name_of_its_own_keeps_it():
    assert tf.Variable(1.0, name="weight").name.startswith("weight")


def test_repeat_matches_numpy_and_has_gradients():
    a = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(tf.repeat(a, [2, 0, 1], axis=1).numpy(), np.repeat(a, [2, 0, 1], axis=1))
    np.testing.assert_array_equal(tf.repeat(a, 2).numpy(), np.repeat(a, 2))
    np.testing.assert_array_equal(tf.repeat(a, 3, axis=-2).numpy(), np.repeat(a, 3, axis=-2))
    check_gradients(lambda x: tf.repeat(x, [1, 3], axis=0) * tf.range(1.0, 4.0, dtype="float64"), [np.ones((2, 3))])


@pytest.mark.parametrize(
    "repeats, axis, message",
    [([1, 2], 1, "3 ints"), (-1, 0, "negative"), (1.5, 0, "int"), (2, 2, "out of range")],
)
def test_repeat_refuses_bad_counts(repeats, axis, message):
    with pytest.raises(ValueError, match=message):
        tf.repeat(np.ones((2, 3)), repeats, axis=axis)


def test_math_l2_normalize_is_the_nn_one():
    np.testing.assert_allclose(tf.math.l2_normalize([3.0, 4.0]).numpy(), [0.6, 0.8])


def test_op_determinism_can_be_asked_for():
    tf.config.experimental.enable_op_determinism()
    tf.keras.utils.set_random_seed(3)
    first = tf.random.normal([4]).numpy()
    tf.keras.utils.set_random_seed(3)
    np.testing.assert_array_equal(tf.random.normal([4]).numpy(), first)
