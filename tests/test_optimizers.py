"""Optimizers: Keras' update rules step by step, the learning-rate attribute, state
saving, clipping, weight decay, and the errors a user meets."""

import math
import warnings

import numpy as np
import pytest

import learnet as tf
from learnet import optimizers

W0 = np.array([1.0, -2.0])
GRADS = [np.array([0.5, 1.0]), np.array([-1.0, 0.25]), np.array([2.0, 0.0])]


def run_steps(optimizer, grads=GRADS, w0=W0, dtype="float32"):
    """Apply the gradients one step at a time; return the weights after each step."""
    w = tf.Variable(np.array(w0, dtype=dtype))
    history = []
    for g in grads:
        optimizer.apply_gradients([(tf.constant(np.array(g, dtype=dtype)), w)])
        history.append(w.numpy().astype(np.float64))
    return history


# --- reference implementations in float64, written from the Keras formulas -------------------
def reference(kind, grads=GRADS, w0=W0, lr=0.01, **options):
    w = np.array(w0, dtype=np.float64)
    state = {}
    history = []
    for t, g in enumerate(grads, start=1):
        g = np.asarray(g, dtype=np.float64)
        zeros = np.zeros_like(w)
        if kind == "rmsprop":
            rho, momentum, eps, centered = (
                options.get("rho", 0.9),
                options.get("momentum", 0.0),
                options.get("epsilon", 1e-7),
                options.get("centered", False),
            )
            v = state.setdefault("v", zeros.copy())
            v[:] = rho * v + (1 - rho) * g * g
            if centered:
                a = state.setdefault("a", zeros.copy())
                a[:] = rho * a + (1 - rho) * g
                increment = lr * g / np.sqrt(v - a * a + eps)
            else:
                increment = lr * g / np.sqrt(v + eps)
            if momentum > 0:
                m = state.setdefault("m", zeros.copy())
                m[:] = momentum * m + increment
                w -= m
            else:
                w -= increment
        elif kind in ("adam", "adamw"):
            b1, b2, eps = options.get("beta_1", 0.9), options.get("beta_2", 0.999), options.get("epsilon", 1e-7)
            if kind == "adamw":
                w -= w * options.get("weight_decay", 0.004) * lr
            m = state.setdefault("m", zeros.copy())
            v = state.setdefault("v", zeros.copy())
            alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
            m += (g - m) * (1 - b1)
            v += (g * g - v) * (1 - b2)
            if options.get("amsgrad"):
                v_hat = state.setdefault("v_hat", zeros.copy())
                v_hat[:] = np.maximum(v_hat, v)
                v = v_hat
            w -= alpha * m / (np.sqrt(v) + eps)
        elif kind == "adagrad":
            eps = options.get("epsilon", 1e-7)
            acc = state.setdefault("acc", np.full_like(w, options.get("initial_accumulator_value", 0.1)))
            acc += g * g
            w -= lr * g / np.sqrt(acc + eps)
        elif kind == "adadelta":
            rho, eps = options.get("rho", 0.95), options.get("epsilon", 1e-7)
            acc_g = state.setdefault("acc_g", zeros.copy())
            acc_d = state.setdefault("acc_d", zeros.copy())
            acc_g[:] = rho * acc_g + (1 - rho) * g * g
            delta = -np.sqrt(acc_d + eps) * g / np.sqrt(acc_g + eps)
            acc_d[:] = rho * acc_d + (1 - rho) * delta * delta
            w += lr * delta
        elif kind == "adamax":
            b1, b2, eps = 0.9, 0.999, 1e-7
            m = state.setdefault("m", zeros.copy())
            u = state.setdefault("u", zeros.copy())
            m += (g - m) * (1 - b1)
            u[:] = np.maximum(b2 * u, np.abs(g))
            w -= lr * m / ((1 - b1**t) * (u + eps))
        elif kind == "nadam":
            b1, b2, eps = 0.9, 0.999, 1e-7
            m = state.setdefault("m", zeros.copy())
            v = state.setdefault("v", zeros.copy())
            u_t = b1 * (1 - 0.5 * 0.96**t)
            u_next = b1 * (1 - 0.5 * 0.96 ** (t + 1))
            state["product"] = state.get("product", 1.0) * u_t
            product = state["product"]
            m += (g - m) * (1 - b1)
            v += (g * g - v) * (1 - b2)
            m_hat = u_next * m / (1 - product * u_next) + (1 - u_t) * g / (1 - product)
            v_hat = v / (1 - b2**t)
            w -= lr * m_hat / (np.sqrt(v_hat) + eps)
        else:
            raise AssertionError(kind)
        history.append(w.copy())
    return history


# --- SGD: exact values worked out by hand ----------------------------------------------------
def test_sgd_plain_steps():
    history = run_steps(optimizers.SGD(learning_rate=0.1))
    np.testing.assert_allclose(history, [[0.95, -2.1], [1.05, -2.125], [0.85, -2.125]], rtol=1e-6)


def test_sgd_momentum_steps():
    # v = 0.9 v - 0.1 g;  w += v
    history = run_steps(optimizers.SGD(learning_rate=0.1, momentum=0.9))
    np.testing.assert_allclose(history, [[0.95, -2.1], [1.005, -2.215], [0.8545, -2.3185]], rtol=1e-6)


def test_sgd_nesterov_steps():
    # v = 0.9 v - 0.1 g;  w += 0.9 v - 0.1 g
    history = run_steps(optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True))
    np.testing.assert_allclose(history, [[0.905, -2.19], [1.0545, -2.3185], [0.71905, -2.41165]], rtol=1e-6)


# --- adaptive optimizers: first steps by hand, then three steps against the formulas ---------
def test_rmsprop_first_step_by_hand():
    # v = 0.1 g^2, so the step is lr * g / sqrt(0.1 g^2 + 1e-7) ~ lr * sqrt(10) * sign(g).
    (w1,) = run_steps(optimizers.RMSprop(learning_rate=0.01), grads=[GRADS[0]])
    expected = W0 - 0.01 * GRADS[0] / np.sqrt(0.1 * GRADS[0] ** 2 + 1e-7)
    np.testing.assert_allclose(w1, expected, rtol=1e-6)
    np.testing.assert_allclose(w1, W0 - 0.01 * math.sqrt(10), rtol=1e-4)


def test_adam_first_step_moves_by_the_learning_rate():
    (w1,) = run_steps(optimizers.Adam(learning_rate=0.01), grads=[GRADS[0]])
    np.testing.assert_allclose(w1, W0 - 0.01 * np.sign(GRADS[0]), rtol=1e-5)


def test_adagrad_first_step_by_hand():
    (w1,) = run_steps(optimizers.Adagrad(learning_rate=0.01), grads=[GRADS[0]])
    # accumulator = 0.1 + g^2
    np.testing.assert_allclose(
        w1, [1.0 - 0.01 * 0.5 / math.sqrt(0.35 + 1e-7), -2.0 - 0.01 / math.sqrt(1.1 + 1e-7)], rtol=1e-6
    )


@pytest.mark.parametrize(
    "make, kind, options",
    [
        (lambda: optimizers.RMSprop(learning_rate=0.01), "rmsprop", {}),
        (lambda: optimizers.RMSprop(learning_rate=0.01, momentum=0.5), "rmsprop", {"momentum": 0.5}),
        (lambda: optimizers.RMSprop(learning_rate=0.01, centered=True), "rmsprop", {"centered": True}),
        (
            lambda: optimizers.RMSprop(learning_rate=0.01, rho=0.8, momentum=0.3, centered=True),
            "rmsprop",
            {"rho": 0.8, "momentum": 0.3, "centered": True},
        ),
        (lambda: optimizers.Adam(learning_rate=0.01), "adam", {}),
        (lambda: optimizers.Adam(learning_rate=0.01, amsgrad=True), "adam", {"amsgrad": True}),
        (
            lambda: optimizers.Adam(learning_rate=0.01, beta_1=0.5, beta_2=0.9, epsilon=1e-3),
            "adam",
            {"beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3},
        ),
        (lambda: optimizers.AdamW(learning_rate=0.01), "adamw", {}),
        (lambda: optimizers.AdamW(learning_rate=0.01, weight_decay=0.5), "adamw", {"weight_decay": 0.5}),
        (lambda: optimizers.Adagrad(learning_rate=0.01), "adagrad", {}),
        (
            lambda: optimizers.Adagrad(learning_rate=0.01, initial_accumulator_value=1.0),
            "adagrad",
            {"initial_accumulator_value": 1.0},
        ),
        (lambda: optimizers.Adadelta(learning_rate=0.01), "adadelta", {}),
        (lambda: optimizers.Adamax(learning_rate=0.01), "adamax", {}),
        (lambda: optimizers.Nadam(learning_rate=0.01), "nadam", {}),
    ],
)
def test_update_rules_match_keras_formulas_over_three_steps(make, kind, options):
    history = run_steps(make())
    np.testing.assert_allclose(history, reference(kind, lr=0.01, **options), rtol=2e-5, atol=1e-7)


def test_float64_variables_stay_float64_and_match_exactly():
    optimizer = optimizers.Adam(learning_rate=0.01)
    w = tf.Variable(W0.copy(), dtype="float64")
    for g in GRADS:
        optimizer.apply_gradients([(tf.constant(g, dtype="float64"), w)])
    assert w.dtype == np.float64
    # Only the learning rate is float32 (as in Keras); the arithmetic is float64.
    np.testing.assert_allclose(w.numpy(), reference("adam", lr=float(np.float32(0.01)))[-1], rtol=1e-12)


def test_keras_defaults():
    assert optimizers.SGD().get_config()["learning_rate"] == 0.01
    rms = optimizers.RMSprop().get_config()
    assert (rms["learning_rate"], rms["rho"], rms["momentum"], rms["epsilon"], rms["centered"]) == (
        0.001,
        0.9,
        0.0,
        1e-7,
        False,
    )
    adam = optimizers.Adam().get_config()
    assert (adam["learning_rate"], adam["beta_1"], adam["beta_2"], adam["epsilon"], adam["amsgrad"]) == (
        0.001,
        0.9,
        0.999,
        1e-7,
        False,
    )
    ada = optimizers.Adagrad().get_config()
    assert (ada["learning_rate"], ada["initial_accumulator_value"], ada["epsilon"]) == (0.001, 0.1, 1e-7)
    assert optimizers.AdamW().get_config()["weight_decay"] == 0.004
    assert optimizers.SGD().name == "SGD" and optimizers.Adam().name == "adam"


# --- they all minimize a quadratic -------------------------------------------------------------
@pytest.mark.parametrize(
    "name, learning_rate, steps",
    [
        ("sgd", 0.1, 100),
        ("rmsprop", 0.01, 500),
        ("adam", 0.05, 400),
        ("adamw", 0.05, 400),
        ("adagrad", 0.5, 400),
        ("adamax", 0.05, 400),
        ("nadam", 0.05, 400),
    ],
)
def test_optimizers_minimize_a_quadratic(name, learning_rate, steps):
    target = np.array([3.0, -1.0, 0.5], dtype=np.float32)
    w = tf.Variable(np.zeros(3, dtype=np.float32))
    optimizer = optimizers.get(name)
    optimizer.learning_rate = learning_rate
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum((w - target) ** 2)
        optimizer.apply_gradients(zip(tape.gradient(loss, [w]), [w]))
    tolerance = 0.05 if name == "adamw" else 0.02  # AdamW's decay pulls slightly towards 0
    np.testing.assert_allclose(w.numpy(), target, atol=tolerance)
    assert int(optimizer.iterations) == steps


def test_adadelta_goes_downhill():
    # Adadelta's first steps are tiny (they grow with its own history): check the trend only.
    w = tf.Variable(np.zeros(3, dtype=np.float32))
    optimizer = optimizers.Adadelta(learning_rate=1.0)
    losses = []
    for _ in range(300):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum((w - 3.0) ** 2)
        optimizer.apply_gradients(zip(tape.gradient(loss, [w]), [w]))
        losses.append(float(loss))
    assert losses[-1] < 0.8 * losses[0]
    assert all(later <= earlier for earlier, later in zip(losses, losses[1:]))


def test_minimize_with_a_function_and_with_a_tape():
    x = tf.Variable(3.0)
    optimizer = optimizers.SGD(learning_rate=0.25)
    optimizer.minimize(lambda: x * x, [x])
    assert float(x) == pytest.approx(1.5)
    with tf.GradientTape() as tape:
        loss = x * x
    optimizer.minimize(loss, [x], tape=tape)
    assert float(x) == pytest.approx(0.75)
    optimizer.minimize(lambda: x * x, lambda: [x])
    assert float(x) == pytest.approx(0.375)
    with pytest.raises(TypeError, match="tape"):
        optimizer.minimize(x * x, [x])


# --- in place --------------------------------------------------------------------------------
def test_updates_happen_in_place_and_leave_gradients_alone():
    w = tf.Variable(np.ones((3, 2), dtype=np.float32))
    b = tf.Variable(np.ones(2, dtype=np.float32))
    buffers = (w._value, b._value)
    shared = np.full((3, 2), 0.5, dtype=np.float32)
    grad_b = np.full(2, 0.5, dtype=np.float32)
    optimizer = optimizers.RMSprop(learning_rate=0.1, momentum=0.9, clipnorm=0.1)
    for _ in range(3):
        optimizer.apply_gradients([(tf.constant(shared), w), (tf.Tensor._wrap(grad_b), b)])
    assert w._value is buffers[0] and b._value is buffers[1]
    np.testing.assert_array_equal(grad_b, 0.5)  # a gradient array is never written to
    assert w.dtype == np.float32 and np.all(w.numpy() < 1)


def test_slots_follow_variables_of_growing_sizes():
    # The scratch buffers are shared: a large variable seen after a small one must not break it.
    optimizer = optimizers.Adam(learning_rate=0.01)
    small = tf.Variable(np.ones(2, dtype=np.float32))
    large = tf.Variable(np.ones((4, 5), dtype=np.float32))
    optimizer.apply_gradients([(tf.ones(2), small)])
    optimizer.apply_gradients([(tf.ones((4, 5)), large), (tf.ones(2), small)])
    ref_small = reference("adam", grads=[np.ones(2)] * 2, w0=np.ones(2), lr=0.01)[-1]
    np.testing.assert_allclose(small.numpy(), ref_small, rtol=1e-5)
    assert large.numpy().shape == (4, 5)


# --- the deprecated `lr` argument ---------------------------------------------------------------
def test_lr_alias_warns_and_works():
    with pytest.warns(DeprecationWarning, match="learning_rate") as record:
        optimizer = optimizers.SGD(lr=0.5)
    assert record[0].filename == __file__  # the warning points at the user's line
    assert float(optimizer.learning_rate) == 0.5
    with pytest.warns(UserWarning):
        optimizers.Adam(lr=0.1)
    history = run_steps(optimizer, grads=[GRADS[0]])
    np.testing.assert_allclose(history[0], W0 - 0.5 * GRADS[0], rtol=1e-6)


def test_legacy_decay_argument_decays_the_rate():
    with pytest.warns(DeprecationWarning, match="decay"):
        optimizer = optimizers.SGD(learning_rate=1.0, decay=1.0)
    w = tf.Variable(0.0)
    for _ in range(3):
        optimizer.apply_gradients([(tf.constant(1.0), w)])
    assert float(w) == pytest.approx(-(1.0 + 1 / 2 + 1 / 3), rel=1e-6)


def test_unknown_arguments_are_rejected():
    with pytest.raises(TypeError, match="momentun"):
        optimizers.SGD(momentun=0.9)
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)


# --- the learning-rate attribute -----------------------------------------------------------------
def test_learning_rate_is_readable_and_settable():
    optimizer = optimizers.SGD(learning_rate=0.1)
    assert float(optimizer.learning_rate) == pytest.approx(0.1)
    assert optimizer.learning_rate.numpy() == np.float32(0.1)
    optimizer.learning_rate = 0.5
    assert float(optimizer.learning_rate) == 0.5
    assert float(optimizer.lr) == 0.5
    w = tf.Variable(1.0)
    optimizer.apply_gradients([(tf.constant(1.0), w)])
    assert float(w) == pytest.approx(0.5)
    optimizer.learning_rate.assign(0.25)
    optimizer.apply_gradients([(tf.constant(1.0), w)])
    assert float(w) == pytest.approx(0.25)
    optimizer.lr = 1.0
    assert float(optimizer.learning_rate) == 1.0
    with pytest.raises(ValueError, match="learning_rate"):
        optimizer.learning_rate = -1.0
    with pytest.raises(TypeError, match="learning_rate"):
        optimizer.learning_rate = "fast"


def test_learning_rate_with_a_schedule():
    schedule = optimizers.schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5)
    optimizer = optimizers.SGD(learning_rate=schedule)
    w = tf.Variable(0.0)
    for _ in range(3):
        assert float(optimizer.learning_rate) == pytest.approx(0.5 ** int(optimizer.iterations))
        optimizer.apply_gradients([(tf.constant(1.0), w)])
    assert float(w) == pytest.approx(-(1 + 0.5 + 0.25))
    # A callback that sets a number (ReduceLROnPlateau) replaces the schedule by that constant.
    with pytest.warns(UserWarning, match="schedule"):
        optimizer.learning_rate = float(optimizer.learning_rate) * 0.1
    assert float(optimizer.learning_rate) == pytest.approx(0.0125)
    optimizer.apply_gradients([(tf.constant(1.0), w)])
    assert float(w) == pytest.approx(-1.7625)
    # ...and a schedule can be set back.
    optimizer.learning_rate = schedule
    assert float(optimizer.learning_rate) == pytest.approx(0.5**4)


def test_learning_rate_as_a_function():
    optimizer = optimizers.SGD(learning_rate=lambda: 0.5)
    w = tf.Variable(0.0)
    optimizer.apply_gradients([(tf.constant(1.0), w)])
    assert float(w) == -0.5
    optimizer.learning_rate = lambda step: 1.0 / (int(step) + 1)
    optimizer.apply_gradients([(tf.constant(1.0), w)])  # step 1: rate 1/2
    assert float(w) == pytest.approx(-1.0)
    assert float(optimizer.learning_rate) == pytest.approx(1 / 3)


def test_iterations_counts_steps():
    optimizer = optimizers.Adam()
    w = tf.Variable([1.0, 2.0])
    assert int(optimizer.iterations) == 0
    for _ in range(4):
        optimizer.apply_gradients([(tf.ones(2), w)])
    assert int(optimizer.iterations) == 4
    assert optimizer.iterations.numpy() == 4


# --- bad input -----------------------------------------------------------------------------------
def test_none_gradients_are_skipped_with_a_warning():
    used, unused = tf.Variable(1.0, name="used"), tf.Variable(1.0, name="unused")
    optimizer = optimizers.SGD(learning_rate=0.5)
    with pytest.warns(UserWarning, match="unused"):
        optimizer.apply_gradients([(tf.constant(1.0), used), (None, unused)])
    assert float(used) == 0.5 and float(unused) == 1.0


def test_all_none_gradients_raise():
    w = tf.Variable(1.0, name="lonely")
    with pytest.raises(ValueError, match="No gradients provided for any variable.*lonely"):
        optimizers.Adam().apply_gradients([(None, w)])


def test_gradient_shape_mismatch_raises_and_changes_nothing():
    a = tf.Variable(np.ones(3, dtype=np.float32), name="a")
    b = tf.Variable(np.ones((2, 2), dtype=np.float32), name="kernel")
    optimizer = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"'kernel'.*\(2, 3\).*\(2, 2\)"):
        optimizer.apply_gradients([(tf.ones(3), a), (tf.ones((2, 3)), b)])
    np.testing.assert_array_equal(a.numpy(), 1.0)
    assert int(optimizer.iterations) == 0


def test_swapped_pairs_are_explained():
    w = tf.Variable([1.0])
    with pytest.raises(TypeError, match="zip\\(variables, gradients\\)"):
        optimizers.SGD().apply_gradients([(w, tf.constant([1.0]))])
    with pytest.raises(TypeError, match="pairs"):
        optimizers.SGD().apply_gradients([w])


# --- clipping and weight decay -------------------------------------------------------------------
def test_clipnorm_clips_each_gradient():
    w1, w2 = tf.Variable([0.0, 0.0]), tf.Variable([0.0])
    optimizers.SGD(learning_rate=1.0, clipnorm=1.0).apply_gradients(
        [(tf.constant([3.0, 4.0]), w1), (tf.constant([0.5]), w2)]
    )
    np.testing.assert_allclose(w1.numpy(), [-0.6, -0.8], rtol=1e-6)
    np.testing.assert_allclose(w2.numpy(), [-0.5])


def test_global_clipnorm_scales_all_gradients_together():
    w1, w2 = tf.Variable([0.0, 0.0]), tf.Variable([0.0])
    optimizers.SGD(learning_rate=1.0, global_clipnorm=2.5).apply_gradients(
        [(tf.constant([3.0, 0.0]), w1), (tf.constant([4.0]), w2)]
    )  # global norm 5
    np.testing.assert_allclose(w1.numpy(), [-1.5, 0.0], rtol=1e-6)
    np.testing.assert_allclose(w2.numpy(), [-2.0], rtol=1e-6)


def test_clipvalue_clips_elements():
    w = tf.Variable([0.0, 0.0, 0.0])
    optimizers.SGD(learning_rate=1.0, clipvalue=0.5).apply_gradients([(tf.constant([2.0, -3.0, 0.1]), w)])
    np.testing.assert_allclose(w.numpy(), [-0.5, 0.5, -0.1], rtol=1e-6)


def test_only_one_clipping_argument():
    with pytest.raises(ValueError, match="only one of"):
        optimizers.Adam(clipnorm=1.0, clipvalue=1.0)


def test_weight_decay_and_exclusion():
    kernel = tf.Variable([1.0, 2.0], name="dense/kernel")
    bias = tf.Variable([1.0, 2.0], name="dense/bias")
    optimizer = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    optimizer.apply_gradients([(tf.zeros(2), kernel), (tf.zeros(2), bias)])
    np.testing.assert_allclose(kernel.numpy(), [0.95, 1.9], rtol=1e-6)  # w - w * 0.5 * 0.1
    np.testing.assert_allclose(bias.numpy(), [1.0, 2.0])


# --- state for saving ----------------------------------------------------------------------------
def _train(optimizer, variables, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        grads = [tf.constant(rng.standard_normal(v.shape).astype(np.float32)) for v in variables]
        optimizer.apply_gradients(zip(grads, variables))


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adam", "adamw", "adagrad", "adadelta", "adamax", "nadam"])
def test_state_round_trip_resumes_identically(name):
    def fresh():
        optimizer = optimizers.get(name)
        if name == "sgd":
            optimizer = optimizers.SGD(learning_rate=0.1, momentum=0.9)
        return optimizer

    variables = [tf.Variable(np.ones((3, 2), dtype=np.float32)), tf.Variable(np.zeros(2, dtype=np.float32))]
    first = fresh()
    _train(first, variables, 3, seed=1)
    state = first.get_state()
    assert state["iterations"] == 3
    saved_weights = [v.numpy() for v in variables]

    second = fresh()
    copies = [tf.Variable(w) for w in saved_weights]
    second.build(copies)
    second.set_state(state)
    _train(first, variables, 2, seed=2)
    _train(second, copies, 2, seed=2)
    for original, copy in zip(variables, copies):
        np.testing.assert_array_equal(original.numpy(), copy.numpy())
    assert int(second.iterations) == 5


def test_state_keys_are_stable_and_documented():
    optimizer = optimizers.Adam()
    w, b = tf.Variable(np.ones((2, 2), dtype=np.float32)), tf.Variable(np.ones(2, dtype=np.float32))
    optimizer.build([w, b])
    assert list(optimizer.get_state()) == [
        "iterations",
        "learning_rate",
        "0/momentum",
        "0/velocity",
        "1/momentum",
        "1/velocity",
    ]
    assert list(optimizers.RMSprop(momentum=0.5, centered=True).get_state()) == ["iterations", "learning_rate"]
    state = optimizers.Nadam()
    state.build([w])
    assert list(state.get_state()) == ["iterations", "learning_rate", "0/momentum", "0/velocity", "u_product"]
    assert all(isinstance(v, np.ndarray) for v in optimizer.get_state().values())


def test_state_restores_the_learning_rate_a_callback_changed():
    w = tf.Variable([1.0])
    first = optimizers.SGD(learning_rate=0.1)
    first.build([w])
    first.learning_rate = 0.01
    second = optimizers.SGD(learning_rate=0.1)
    second.build([w])
    second.set_state(first.get_state())
    assert float(second.learning_rate) == pytest.approx(0.01)


def test_set_state_checks_before_changing_anything():
    w = tf.Variable(np.ones((2, 2), dtype=np.float32))
    optimizer = optimizers.Adam()
    optimizer.build([w])
    state = optimizer.get_state()
    unbuilt = optimizers.Adam()
    with pytest.raises(ValueError, match="build"):
        unbuilt.set_state(state)
    bad = dict(state, iterations=np.int64(7))
    bad["0/velocity"] = np.ones((3, 3), dtype=np.float32)
    with pytest.raises(ValueError, match=r"0/velocity.*\(2, 2\).*\(3, 3\)"):
        optimizer.set_state(bad)
    assert int(optimizer.iterations) == 0
    with pytest.raises(ValueError, match="missing"):
        optimizer.set_state({"iterations": np.int64(1)} | {"0/momentum": state["0/momentum"]})


def test_variables_list_and_weights():
    optimizer = optimizers.SGD(momentum=0.9)
    w = tf.Variable([1.0, 2.0])
    optimizer.build([w])
    assert len(optimizer.variables) == 3  # iterations, learning rate, momentum
    assert len(optimizer.variables()) == 3  # TF 2 spelled it as a method
    weights = optimizer.get_weights()
    weights[2] = np.array([5.0, 6.0], dtype=np.float32)
    optimizer.set_weights(weights)
    np.testing.assert_array_equal(optimizer.get_state()["0/momentum"], [5.0, 6.0])


# --- configuration and names ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, cls",
    [
        ("sgd", optimizers.SGD),
        ("rmsprop", optimizers.RMSprop),
        ("adam", optimizers.Adam),
        ("adamw", optimizers.AdamW),
        ("adagrad", optimizers.Adagrad),
        ("adadelta", optimizers.Adadelta),
        ("adamax", optimizers.Adamax),
        ("nadam", optimizers.Nadam),
        ("Adam", optimizers.Adam),
        ("SGD", optimizers.SGD),
    ],
)
def test_get_by_name(name, cls):
    optimizer = optimizers.get(name)
    assert type(optimizer) is cls
    assert optimizers.get(optimizer) is optimizer


def test_get_rejects_unknown_names_with_a_suggestion():
    with pytest.raises(ValueError, match="'adam'"):
        optimizers.get("adma")


def test_config_round_trip_with_a_schedule():
    schedule = optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.9)
    optimizer = optimizers.RMSprop(learning_rate=schedule, momentum=0.5, clipnorm=1.0, name="opt")
    config = optimizer.get_config()
    assert config["learning_rate"]["class_name"] == "ExponentialDecay"
    clone = optimizers.RMSprop.from_config(config)
    assert clone.get_config() == config
    again = optimizers.deserialize(optimizers.serialize(optimizer))
    assert type(again) is optimizers.RMSprop and again.get_config() == config


def test_keras_namespaces_resolve():
    import learnet as keras

    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 100, 0.96)
    assert isinstance(keras.keras.optimizers.Adam(learning_rate=schedule), optimizers.Optimizer)
    assert keras.optimizers.legacy.Adam is optimizers.Adam


def test_non_float_variables_are_rejected():
    counter = tf.Variable(np.array([1, 2], dtype=np.int32), name="counter")
    with pytest.raises(TypeError, match="counter.*int32"):
        optimizers.SGD().apply_gradients([(tf.constant([1, 1]), counter)])


def test_no_warnings_in_a_normal_step():
    w = tf.Variable(np.ones(3, dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizers.Adam().apply_gradients([(tf.ones(3), w)])
