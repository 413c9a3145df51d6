"""Gradients asked of a GradientTape inside its own context, as TensorFlow answers them.

A persistent tape records the backward pass of such a call on itself, so its gradients can be
differentiated again by the same tape (the Hessian of Hands-On ML's extra_autodiff notebook);
a non-persistent tape answers and stops recording. Reference values from real TensorFlow 2.21
(fixture made by fixtures/make_persistent_tape_fixture.py).
"""

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import tape as tape_module
from learnet.tape import is_recording, primitive
from learnet.testing import numerical_gradients

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = np.load(FIXTURES / "persistent_tape_reference.npz")


def _fixture_cases():
    """The computations the fixture ran with TensorFlow, defined once in its generator."""
    path = FIXTURES / "make_persistent_tape_fixture.py"
    spec = importlib.util.spec_from_file_location("make_persistent_tape_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.cases(tf)


CASES = _fixture_cases()


@pytest.fixture(autouse=True)
def quiet_inside_context_warning():
    """The once-per-process warning, silenced for the comparisons (tested on its own below)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Calling GradientTape.gradient on a persistent tape")
        yield


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_tensorflow(name):
    results = CASES[name]()
    for index, result in enumerate(results):
        key = f"{name}/{index}"
        if f"{key}/none" in REFERENCE:
            assert result is None, f"{key}: TensorFlow gives None, learnet {result!r}"
            continue
        assert result is not None, f"{key}: TensorFlow gives {REFERENCE[key]!r}, learnet None"
        expected = REFERENCE[key]
        got = np.asarray(result)
        assert got.shape == expected.shape, f"{key}: shape {got.shape} != {expected.shape}"
        assert got.dtype == expected.dtype, f"{key}: dtype {got.dtype} != {expected.dtype}"
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=key)
    assert all(f"{name}/{i}" in REFERENCE or f"{name}/{i}/none" in REFERENCE for i in range(len(results)))
    assert f"{name}/{len(results)}" not in REFERENCE and f"{name}/{len(results)}/none" not in REFERENCE


def test_the_notebook_reproducer():
    x, y = tf.Variable(3.0), tf.Variable(4.0)
    with tf.GradientTape(persistent=True) as tape:
        f = x * x * y + y + 2
        df_dx, df_dy = tape.gradient(f, [x, y])
    assert [float(g) for g in tape.gradient(df_dx, [x, y])] == [8.0, 6.0]
    d2f_dxdy, d2f_d2y = tape.gradient(df_dy, [x, y])
    assert float(d2f_dxdy) == 6.0 and d2f_d2y is None


# --- the backward pass recorded on the tape itself: a numerical check of what it gives ----------------
def _first_gradient_inside_context(x):
    """d/dx of sum(sin(x) * exp(x) * x^2), taken by a persistent tape inside its context."""
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        f = tf.reduce_sum(tf.sin(x) * tf.exp(x) * x**2)
        g = tape.gradient(f, x)
    return tape, g


def test_gradient_check_second_derivative_from_one_persistent_tape():
    """The same tape's gradient of its own gradient against central differences of that gradient."""
    point = np.array([0.3, -0.8, 1.1, 0.05])
    weights = np.array([1.0, -0.5, 2.0, 0.7])
    x = tf.constant(point, dtype="float64")
    tape, g = _first_gradient_inside_context(x)
    analytic = tape.gradient(g, x, output_gradients=tf.constant(weights)).numpy()

    def weighted_first_gradient(t):
        return _first_gradient_inside_context(t)[1] * weights

    (numeric,) = numerical_gradients(weighted_first_gradient, [point])
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_third_derivative_from_one_persistent_tape_matches_nested_tapes():
    x = tf.Variable(np.array([0.4, -1.3]), dtype="float64")
    with tf.GradientTape(persistent=True) as tape:
        y = tf.reduce_sum(tf.exp(x) * tf.sin(x))
        g = tape.gradient(y, x)
        h = tape.gradient(tf.reduce_sum(g), x)
    third = tape.gradient(h, x)

    with tf.GradientTape() as t3:
        with tf.GradientTape() as t2:
            with tf.GradientTape() as t1:
                y = tf.reduce_sum(tf.exp(x) * tf.sin(x))
            g = t1.gradient(y, x)
            g_sum = tf.reduce_sum(g)
        h = t2.gradient(g_sum, x)
    np.testing.assert_allclose(third.numpy(), t3.gradient(h, x).numpy(), rtol=1e-12)


def test_fused_kernels_inside_the_context_give_the_same_first_gradients():
    """A small convolutional model: its fused ops run their differentiable twins inside the context,
    with the same first gradients as the fused kernels outside."""
    tf.keras.utils.set_random_seed(3)
    model = tf.keras.Sequential(
        [
            tf.keras.layers.Input((6, 6, 2)),
            tf.keras.layers.Conv2D(3, 3, activation="relu"),
            tf.keras.layers.MaxPooling2D(),
            tf.keras.layers.Flatten(),
            tf.keras.layers.Dense(4, activation="softmax"),
        ]
    )
    images = np.random.default_rng(0).standard_normal((5, 6, 6, 2)).astype("float32")
    labels = np.array([0, 1, 2, 3, 1])
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy()

    with tf.GradientTape() as plain:
        loss = loss_fn(labels, model(images))
    expected = plain.gradient(loss, model.trainable_weights)

    with tf.GradientTape(persistent=True) as tape:
        loss = loss_fn(labels, model(images))
        grads = tape.gradient(loss, model.trainable_weights)
        penalty = tf.reduce_sum(tf.square(grads[0]))
    for got, want in zip(grads, expected):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-6)
    # and the same tape differentiates them again: a gradient penalty on the kernel
    kernel = model.trainable_weights[0]
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            loss = loss_fn(labels, model(images))
        nested_penalty = tf.reduce_sum(tf.square(inner.gradient(loss, kernel)))
    np.testing.assert_allclose(
        tape.gradient(penalty, kernel).numpy(), outer.gradient(nested_penalty, kernel).numpy(), rtol=1e-4, atol=1e-6
    )


def test_fused_kernel_without_a_twin_keeps_first_order_and_refuses_the_second_clearly():
    x = tf.Variable([1.5, 2.5, 4.0])
    with tf.GradientTape(persistent=True) as tape:
        y = tf.reduce_sum(tf.math.digamma(x) * x)
        g = tape.gradient(y, x)
    with tf.GradientTape() as plain:
        y = tf.reduce_sum(tf.math.digamma(x) * x)
    np.testing.assert_allclose(g.numpy(), plain.gradient(y, x).numpy(), rtol=1e-6)
    with pytest.raises(NotImplementedError, match="digamma"):
        tape.gradient(g, x)


# --- TensorFlow's warning, once ---------------------------------------------------------------------
def test_warns_once_that_it_is_less_efficient(monkeypatch):
    monkeypatch.setattr(tape_module, "_warned_inside_context", False)
    x = tf.Variable(2.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with tf.GradientTape(persistent=True) as tape:
            y = x * x
            tape.gradient(y, x)
            tape.gradient(y, x)
            tape.jacobian(y, x)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1
    assert "persistent tape inside its context is significantly less efficient" in messages[0]
    assert caught[0].filename == __file__  # points at the user's line


@pytest.mark.parametrize("where", ["outside", "non_persistent", "stop_recording"])
def test_no_warning_where_nothing_is_recorded(monkeypatch, where):
    monkeypatch.setattr(tape_module, "_warned_inside_context", False)
    x = tf.Variable(2.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with tf.GradientTape(persistent=where != "non_persistent") as tape:
            y = x * x
            if where == "non_persistent":
                tape.gradient(y, x)
            elif where == "stop_recording":
                with tape.stop_recording():
                    tape.gradient(y, x)
        if where == "outside":
            tape.gradient(y, x)
    assert caught == []


# --- outside the context: as before -------------------------------------------------------------------
def test_outside_its_context_a_persistent_tape_records_nothing_more():
    x, y = tf.Variable(3.0), tf.Variable(4.0)
    with tf.GradientTape(persistent=True) as tape:
        f = x * x * y
    before = [op.name for op in tape.recorded_ops()]
    df_dx, df_dy = tape.gradient(f, [x, y])
    assert [op.name for op in tape.recorded_ops()] == before
    assert tape.gradient(df_dx, [x, y]) == [None, None]
    assert float(df_dx) == 24.0 and float(df_dy) == 9.0


def test_inside_its_context_the_backward_pass_is_appended_after_what_was_recorded():
    x = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as tape:
        y = tf.sin(x) * x
        before = tape.recorded_ops()
        tape.gradient(y, x)
        after = tape.recorded_ops()
    assert len(after) > len(before)
    assert all(a.output is b.output for a, b in zip(after, before))


def test_a_normal_training_step_takes_the_plain_path(monkeypatch):
    """No extra work when not asked inside a persistent tape's context."""

    def must_not_run(*args, **kwargs):
        raise AssertionError("the recording backward pass ran for a plain training step")

    monkeypatch.setattr(tf.GradientTape, "_backpropagate_recording_itself", must_not_run)
    layer = tf.keras.layers.Dense(2)
    inputs = np.ones((3, 4), dtype="float32")
    with tf.GradientTape() as tape:  # the usual custom loop: gradient() inside the block
        loss = tf.reduce_sum(layer(inputs))
        grads = tape.gradient(loss, layer.trainable_weights)
    with tf.GradientTape(persistent=True) as tape:
        loss = tf.reduce_sum(layer(inputs))
    count = len(tape.recorded_ops())
    grads_outside = tape.gradient(loss, layer.trainable_weights)
    assert len(tape.recorded_ops()) == count
    for a, b in zip(grads, grads_outside):
        np.testing.assert_allclose(a.numpy(), b.numpy())


# --- a non-persistent tape inside its context: answers, then stops recording ----------------------
def test_non_persistent_tape_answers_inside_its_context_then_stops_recording():
    x, y = tf.Variable(3.0), tf.Variable(4.0)
    with tf.GradientTape() as tape:
        f = x * x * y
        df_dx, df_dy = tape.gradient(f, [x, y])
        assert not is_recording()
        later = x * 5.0
        with pytest.raises(RuntimeError, match="only be called once"):
            tape.gradient(later, x)
        with pytest.raises(RuntimeError, match="only possible while the tape is recording"):
            with tape.stop_recording():
                pass
    assert (float(df_dx), float(df_dy)) == (24.0, 9.0)
    assert tape.watched_variables() == (x, y)
    with pytest.raises(RuntimeError, match="only be called once"):
        tape.gradient(df_dx, x)


def test_non_persistent_jacobian_inside_its_context():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        jac = tape.jacobian(x**3, x)
        assert not is_recording()
    np.testing.assert_allclose(jac.numpy(), np.diag([3.0, 12.0, 27.0]))
    with pytest.raises(RuntimeError, match="only be called once"):
        tape.jacobian(x**3, x)


# --- a failed gradient() changes nothing ------------------------------------------------------------------
def _state(tape):
    return (
        [(op.name, op.output) for op in tape.recorded_ops()],
        dict(tape._watched),
        tape.watched_variables(),
    )


def _same_state(a, b):
    ops_a, watched_a, variables_a = a
    ops_b, watched_b, variables_b = b
    return (
        [n for n, _ in ops_a] == [n for n, _ in ops_b]
        and all(x is y for (_, x), (_, y) in zip(ops_a, ops_b))
        and watched_a.keys() == watched_b.keys()
        and variables_a == variables_b
    )


@pytest.mark.parametrize(
    "bad_call, error",
    [
        (lambda tape, f, x: tape.gradient("loss", x), TypeError),
        (lambda tape, f, x: tape.gradient(f, "x"), TypeError),
        (lambda tape, f, x: tape.gradient(f, [x, 3.0]), TypeError),
        (lambda tape, f, x: tape.gradient(f, x, output_gradients=tf.ones((2, 2))), ValueError),
        (lambda tape, f, x: tape.gradient(f, x, unconnected_gradients="zeros"), ValueError),
    ],
)
def test_bad_arguments_inside_the_context_change_nothing(bad_call, error):
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        f = tf.reduce_sum(x * x)
        before = _state(tape)
        with pytest.raises(error):
            bad_call(tape, f, x)
        assert _same_state(_state(tape), before)
        g = tape.gradient(f, x)
    np.testing.assert_allclose(tape.gradient(g, x).numpy(), [2.0, 2.0])


@primitive
def _fails_backward(x):
    def backward(g, x, out):
        raise ArithmeticError("this backward always fails")

    return x * 1.0, backward


def test_a_backward_pass_failing_halfway_takes_back_what_it_recorded():
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        f = tf.reduce_sum(tf.sin(_fails_backward(x)) * x)  # sin's and multiply's backward run first
        before = _state(tape)
        with pytest.raises(ArithmeticError, match="always fails"):
            tape.gradient(f, x)
        assert _same_state(_state(tape), before)
        g = tape.gradient(tf.reduce_sum(x**3), x)  # the tape still works
    np.testing.assert_allclose(tape.gradient(g, x).numpy(), [6.0, 12.0])


def test_released_tape_still_refuses_inside_its_context():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * x
        tape.gradient(y, x)
        with pytest.raises(RuntimeError):
            tape.jacobian(y, x)
