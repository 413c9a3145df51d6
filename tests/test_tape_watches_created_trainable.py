"""A GradientTape watches the Variables created trainable, whatever a Keras layer's ``trainable``
flag says while it records, as TensorFlow's tape does (keras.io's GauGAN freezes its discriminator
inside a step and still asks for its gradients later). Optimizers and ``trainable_variables``
follow the layer's flag. Checked against real TensorFlow
(tests/fixtures/make_tape_frozen_fixture.py)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
import learnet as keras
from learnet import tape as tape_module

FIXTURES = Path(__file__).parent / "fixtures"
_spec = importlib.util.spec_from_file_location("tape_frozen_fixture", FIXTURES / "make_tape_frozen_fixture.py")
fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixture)


def test_a_layer_frozen_while_the_tape_records_gets_tensorflows_gradients():
    expected = np.load(FIXTURES / "tape_frozen_reference.npz")
    got = fixture.frozen_while_recording(tf, keras)
    np.testing.assert_allclose(got["kernel_grad"], expected["kernel_grad"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got["bias_grad"], expected["bias_grad"], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(got["moving_grads_are_none"], expected["moving_grads_are_none"])
    assert int(got["watched_count"]) == int(expected["watched_count"])


def test_the_issue_example():
    d = keras.layers.Dense(2)
    d.build((None, 3))
    d.trainable = False
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(d(tf.ones((1, 3))))
    d.trainable = True
    grads = tape.gradient(loss, d.trainable_variables)
    np.testing.assert_allclose(grads[0].numpy(), np.ones((3, 2)))
    np.testing.assert_allclose(grads[1].numpy(), np.ones(2))


def test_variables_created_untrainable_are_never_watched():
    frozen = tf.Variable(2.0, trainable=False)
    with tf.GradientTape() as tape:
        y = frozen * frozen
    assert tape.gradient(y, frozen) is None
    assert tape.watched_variables() == ()
    frozen.trainable = True  # too late for tapes: fixed when it was made, as in TensorFlow
    with tf.GradientTape() as tape:
        y = frozen * frozen
    assert tape.gradient(y, frozen) is None
    with tf.GradientTape() as tape:
        tape.watch(frozen)  # asked for by hand, it is followed
        y = frozen * frozen
    assert float(tape.gradient(y, frozen)) == 4.0


def test_watch_accessed_variables_false_still_watches_nothing_by_itself():
    d = keras.layers.Dense(2)
    d.build((None, 3))
    d.trainable = False
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        loss = tf.reduce_sum(d(tf.ones((1, 3))))
    assert tape.watched_variables() == ()
    assert tape.gradient(loss, d.kernel) is None


def test_trainable_variables_and_optimizers_follow_the_layer_flag():
    d = keras.layers.Dense(2)
    d.build((None, 3))
    d.trainable = False
    assert d.trainable_variables == [] and len(d.non_trainable_variables) == 2
    before = [w.copy() for w in d.get_weights()]
    model = keras.Sequential([keras.Input((3,)), d, keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((8, 3), "float32"), np.zeros((8, 1), "float32"), epochs=2, verbose=0)
    for old, new in zip(before, d.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_a_frozen_discriminator_in_a_combined_model_stays_put_while_the_generator_learns():
    keras.utils.set_random_seed(3)
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6)])
    discriminator = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)]
    )
    discriminator.compile(optimizer="adam", loss="mse")
    discriminator.trainable = False
    noise = keras.Input((4,))
    combined = keras.Model(noise, discriminator(generator(noise)))
    combined.compile(optimizer="adam", loss="mse")
    frozen_before = [w.copy() for w in discriminator.get_weights()]
    generator_before = [w.copy() for w in generator.get_weights()]
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    combined.fit(x, np.ones((16, 1), "float32"), epochs=2, batch_size=8, verbose=0)
    for old, new in zip(frozen_before, discriminator.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert any(not np.array_equal(old, new) for old, new in zip(generator_before, generator.get_weights()))


def test_no_backward_runs_for_ops_only_a_frozen_variable_leads_to():
    calls = []

    @tape_module.primitive
    def counted(x):
        def backward(g, x, out):
            calls.append(1)
            return g

        return x * 1.0, backward

    frozen = keras.layers.Dense(2)
    frozen.build((None, 3))
    frozen.trainable = False
    w = tf.Variable(np.ones((1, 2), "float32"))
    with tf.GradientTape(persistent=True) as tape:
        side = counted(frozen(tf.ones((1, 3))))  # reached only by the frozen layer's variables
        loss = tf.reduce_sum(side + w)
    assert len(tape.watched_variables()) == 3  # recorded: its gradient may still be asked for
    np.testing.assert_allclose(tape.gradient(loss, w).numpy(), np.ones((1, 2)))
    assert calls == []
    frozen.trainable = True
    grads = tape.gradient(loss, frozen.trainable_variables)
    assert calls == [1] and all(g is not None for g in grads)


def test_custom_gradient_still_receives_the_variables_it_read():
    v = tf.Variable(3.0)

    @tf.custom_gradient
    def scaled(x):
        def grad(upstream, variables):
            return upstream * v, [upstream * x]

        return x * v, grad

    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = scaled(x)
    gx, gv = tape.gradient(y, [x, v])
    assert (float(gx), float(gv)) == (3.0, 2.0)


@pytest.mark.parametrize("trainable", [True, False])
def test_a_copied_variable_keeps_what_tapes_watch(trainable):
    import copy

    v = tf.Variable(1.0, trainable=trainable)
    clone = copy.deepcopy(v)
    with tf.GradientTape() as tape:
        y = clone * 2.0
    assert (tape.gradient(y, clone) is not None) == trainable
