"""``tf.shape(x, out_type=...)`` takes any number type inside a ``tf.function``, as TensorFlow's
graph mode does (keras.io's NNCLR writes ``tf.shape(x, out_type=tf.float32)`` in code TensorFlow
traces), and refuses all but int32 and int64 when run eagerly, as TensorFlow's eager mode does.
Checked against real TensorFlow (tests/fixtures/make_tape_frozen_fixture.py)."""

from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet.control import as_in_function, inside_function

REFERENCE = np.load(Path(__file__).parent / "fixtures" / "tape_frozen_reference.npz")
TYPES = ["float32", "float64", "float16", "int16", "uint8"]


@pytest.mark.parametrize("name", TYPES)
def test_shape_in_any_number_type_inside_a_tf_function(name):
    x = tf.zeros((4, 3, 2))
    expected = REFERENCE[f"shape_{name}"]
    got = tf.function(lambda t: tf.shape(t, out_type=name))(x)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got.numpy(), expected)
    concrete = tf.function(lambda t: tf.shape(t, out_type=name)).get_concrete_function(x)
    np.testing.assert_array_equal(concrete(x).numpy(), expected)


@pytest.mark.parametrize("name", TYPES)
def test_shape_run_eagerly_refuses_them_as_tensorflow_does(name):
    assert bool(REFERENCE[f"eager_refuses_{name}"])
    with pytest.raises(tf.errors.InvalidArgumentError, match="only inside a tf.function"):
        tf.shape(tf.zeros((4, 3, 2)), out_type=name)


def test_the_flag_is_set_only_while_a_function_runs():
    assert not inside_function()
    seen = []
    tf.function(lambda: seen.append(inside_function()))()
    with as_in_function():
        seen.append(inside_function())
    assert seen == [True, True] and not inside_function()

    def fails():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        tf.function(fails)()
    assert not inside_function()


def test_shape_default_and_integer_types_are_unchanged():
    x = tf.zeros((2, 5))
    assert tf.shape(x).dtype == np.int32
    assert tf.shape(x, out_type=tf.int64).dtype == np.int64


def test_a_batch_size_as_float_divides_as_nnclr_does():
    @tf.function
    def mean_of_rows(features):
        batch_size = tf.shape(features, out_type=tf.float32)[0]
        return tf.reduce_sum(features, axis=0) / batch_size

    np.testing.assert_allclose(mean_of_rows(tf.ones((8, 3))).numpy(), [1.0, 1.0, 1.0])


@pytest.mark.parametrize("out_type", ["bool", "string"])
def test_shape_refuses_types_that_are_not_numbers_even_inside_a_function(out_type):
    with pytest.raises(tf.errors.InvalidArgumentError, match="out_type must be one of"):
        tf.function(lambda: tf.shape(tf.zeros((2, 3)), out_type=out_type))()


def test_fit_runs_its_steps_as_tensorflow_traces_them():
    """keras.io's NNCLR asks for tf.shape(x, out_type=tf.float32) in train_step, as fit traces it."""

    class Counting(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = tf.keras.layers.Dense(1)

        def train_step(self, data):
            x, y = data
            batch = tf.shape(x, out_type=tf.float32)[0]
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(tf.square(self.dense(x) - y)) / batch
            grads = tape.gradient(loss, self.dense.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.dense.trainable_variables))
            return {"loss": loss, "batch": batch}

    model = Counting()
    model.compile("sgd")
    history = model.fit(np.ones((8, 2), "float32"), np.ones((8, 1), "float32"), batch_size=4, verbose=0)
    assert history.history["batch"] == [4.0]
