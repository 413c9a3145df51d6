"""A tf.function given a variable: its concrete function takes the variable itself (a
VariableSpec, as TensorFlow's), tracing it never changes the caller's variable, and another
variable of the same shape and dtype may be passed; anything else is refused."""

import pytest

import learnet as tf
from learnet.control import SignatureMismatchError


@tf.function
def increment(counter, c=1):
    return counter.assign_add(c)


def test_concrete_function_of_a_variable_keeps_it_a_variable():
    counter = tf.Variable(0)
    concrete = increment.get_concrete_function(counter)
    # TensorFlow 2.21: ((VariableSpec(shape=(), dtype=tf.int32, trainable=True, alias_id=0), 1), {})
    spec = concrete.structured_input_signature[0][0]
    assert repr(spec) == "VariableSpec(shape=(), dtype=tf.int32, trainable=True, alias_id=0)"
    assert int(counter.numpy()) == 0  # tracing ran on a stand-in
    assert int(concrete(counter).numpy()) == 1 and int(counter.numpy()) == 1
    other = tf.Variable(5)
    assert int(concrete(other).numpy()) == 6 and int(counter.numpy()) == 1


def test_the_same_variable_twice_is_one_alias():
    @tf.function
    def add(a, b):
        return a + b

    v, w = tf.Variable(1.0), tf.Variable(2.0)
    first = add.get_concrete_function(v, v).structured_input_signature[0]
    second = add.get_concrete_function(v, w).structured_input_signature[0]
    assert [s.alias_id for s in first] == [0, 0] and [s.alias_id for s in second] == [0, 1]


def test_a_tensor_or_another_dtype_is_refused():
    concrete = increment.get_concrete_function(tf.Variable(0))
    with pytest.raises(SignatureMismatchError, match="must be a variable"):
        concrete(tf.constant(0))
    with pytest.raises(SignatureMismatchError, match="must be a variable"):
        concrete(tf.Variable(0.0))


def test_a_returned_variable_is_a_snapshot_of_its_value():
    # TensorFlow 2.21: EagerTensor 1 (the first call's value), not the live counter.
    counter = tf.Variable(0)

    @tf.function
    def step(c=1):
        return counter.assign_add(c)

    first = step()
    step()
    assert not isinstance(first, tf.Variable) and int(first) == 1 and int(counter.numpy()) == 2


def test_gradients_flow_through_a_returned_variable():
    v = tf.Variable(3.0)

    @tf.function
    def read():
        return {"v": v}

    with tf.GradientTape() as tape:
        y = read()["v"] * 2.0
    assert float(tape.gradient(y, v)) == 2.0


def test_next_past_the_end_inside_a_function_is_out_of_range():
    # TensorFlow 2.21 raises tf.errors.OutOfRangeError from a traced next(iterator).
    iterator = iter(tf.data.Dataset.range(1))

    @tf.function
    def step(it):
        return next(it)

    assert int(step(iterator)) == 0
    with pytest.raises(tf.errors.OutOfRangeError, match="End of sequence"):
        step(iterator)
