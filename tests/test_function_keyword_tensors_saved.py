"""A ``tf.function`` called with tensors given by keyword is traced for saving, as TensorFlow
traces it: TensorFlow's text-generation tutorial calls ``generate_one_step(x, states=s)``
and saves the model; the loaded function takes the same keyword call. Compared with real
TensorFlow (tests/fixtures/make_tf_iterators_strings_fixture.py, ``keyword/...``)."""

from pathlib import Path

import numpy as np
import pytest

import learnet as tf

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = np.load(FIXTURES / "tf_iterators_strings_reference.npz")


class Stepper(tf.Module):
    def __init__(self):
        super().__init__()
        self.scale = tf.Variable(2.0)

    @tf.function
    def step(self, inputs, states=None):
        if states is None:
            states = tf.zeros_like(inputs)
        return inputs * self.scale + states, states + 1.0


INPUTS = tf.constant([1.0, 2.0, 3.0])


def _saved_and_loaded(module, tmp_path):
    folder = str(tmp_path / "saved")
    tf.saved_model.save(module, folder)
    return tf.saved_model.load(folder)


def test_a_call_with_a_keyword_tensor_is_saved_and_the_loaded_function_takes_it_as_tensorflow(tmp_path):
    stepper = Stepper()
    out, states = stepper.step(INPUTS)
    out, states = stepper.step(INPUTS, states=states)
    np.testing.assert_allclose(out.numpy(), REFERENCE["keyword/eager_out"])
    np.testing.assert_allclose(states.numpy(), REFERENCE["keyword/states"])
    loaded = _saved_and_loaded(stepper, tmp_path)
    np.testing.assert_allclose(loaded.step(INPUTS, states=states)[0].numpy(), REFERENCE["keyword/loaded_by_keyword"])
    np.testing.assert_allclose(loaded.step(INPUTS, states)[0].numpy(), REFERENCE["keyword/loaded_by_position"])
    np.testing.assert_allclose(loaded.step(INPUTS)[0].numpy(), REFERENCE["keyword/loaded_without_states"])
    # The tutorial's loop starts with states=None: the function as traced without them.
    np.testing.assert_allclose(loaded.step(INPUTS, states=None)[0].numpy(), REFERENCE["keyword/loaded_without_states"])


def test_every_input_by_keyword_in_any_order_is_noted_in_parameter_order():
    stepper = Stepper()
    states = tf.ones([3])
    stepper.step(states=states, inputs=INPUTS)
    assert stepper.step.traced_signatures() == [[tf.TensorSpec([3], tf.float32)] * 2]


def test_a_keyword_left_at_its_default_none_is_a_call_without_it():
    stepper = Stepper()
    stepper.step(INPUTS, states=None)
    assert stepper.step.traced_signatures() == [[tf.TensorSpec([3], tf.float32)]]


def test_keywords_that_cannot_be_put_in_positions_are_not_noted():
    class Module(tf.Module):
        def __init__(self):
            super().__init__()
            self.v = tf.Variable(1.0)

        @tf.function
        def only_by_keyword(self, a, *, b):
            return a + b * self.v

        @tf.function
        def with_a_gap(self, a, scale=None, b=None):
            return a + (0.0 if b is None else b)

        @tf.function
        def with_a_python_value(self, a, training=False):
            return a * self.v

    module = Module()
    module.only_by_keyword(INPUTS, b=INPUTS)
    module.with_a_gap(INPUTS, b=INPUTS)
    module.with_a_python_value(INPUTS, training=True)
    assert module.only_by_keyword.traced_signatures() == []
    assert module.with_a_gap.traced_signatures() == []
    assert module.with_a_python_value.traced_signatures() == []


def test_a_keyword_call_on_a_plain_function_is_noted():
    @tf.function
    def add(a, b):
        return a + b

    add(INPUTS, b=tf.constant([1.0, 1.0, 1.0]))
    assert add.traced_signatures() == [[tf.TensorSpec([3], tf.float32)] * 2]


def test_an_unknown_keyword_still_raises_pythons_error():
    stepper = Stepper()
    with pytest.raises(TypeError, match="unexpected keyword"):
        stepper.step(INPUTS, hidden=INPUTS)
    assert stepper.step.traced_signatures() == []
