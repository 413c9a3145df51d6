"""The fused sequence ops: gradients against central differences and against a slow oracle.

The oracle below runs the same recurrences step by step with ordinary tape ops
(``matmul``, ``sigmoid``, ``where``, ...), the way a reader would write them from the
equations. The fused ops must agree with it in value and in every gradient, for every
option: masks, both directions, recurrent dropout masks, zero outputs for masked steps.
"""

import numpy as np
import pytest

import learnet as tf
from learnet import activations
from learnet.ops.recurrent import gru_sequence, lstm_sequence, simple_rnn_sequence
from learnet.testing import check_gradients, tape_gradients


# --- the oracle: the recurrences written with tape ops, one step at a time -----------------------
def _act(name):
    return activations.get(name)


def _run(step, x, states, mask, go_backwards, zero_output, n_states):
    steps = x.shape[1]
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    outputs = []
    for t in order:
        new_states = step(x[:, t], states)
        if mask is not None:
            keep = tf.constant(mask[:, t : t + 1])
            new_states = [tf.where(keep, n, s) for n, s in zip(new_states, states)]
            output = tf.where(keep, new_states[0], tf.zeros_like(new_states[0])) if zero_output else new_states[0]
        else:
            output = new_states[0]
        outputs.append(output)
        states = new_states
    return tf.concat([tf.stack(outputs, axis=1)] + [tf.expand_dims(s, 1) for s in states], axis=1)


def reference_simple_rnn(
    x,
    h0,
    kernel,
    recurrent_kernel,
    bias,
    mask=None,
    go_backwards=False,
    zero_output_for_mask=False,
    recurrent_mask=None,
    activation="tanh",
):
    act = _act(activation)

    def step(x_t, states):
        h = states[0] if recurrent_mask is None else states[0] * recurrent_mask
        return [act(tf.matmul(x_t, kernel) + bias + tf.matmul(h, recurrent_kernel))]

    return _run(step, x, [h0], mask, go_backwards, zero_output_for_mask, 1)


def reference_lstm(
    x,
    h0,
    c0,
    kernel,
    recurrent_kernel,
    bias,
    mask=None,
    go_backwards=False,
    zero_output_for_mask=False,
    recurrent_mask=None,
    activation="tanh",
    recurrent_activation="sigmoid",
):
    act, gate = _act(activation), _act(recurrent_activation)

    def step(x_t, states):
        h, c = states
        h_in = h if recurrent_mask is None else h * recurrent_mask
        z = tf.matmul(x_t, kernel) + tf.matmul(h_in, recurrent_kernel) + bias
        zi, zf, zc, zo = tf.split(z, 4, axis=-1)
        c = gate(zf) * c + gate(zi) * act(zc)
        return [gate(zo) * act(c), c]

    return _run(step, x, [h0, c0], mask, go_backwards, zero_output_for_mask, 2)


def reference_gru(
    x,
    h0,
    kernel,
    recurrent_kernel,
    bias,
    mask=None,
    go_backwards=False,
    zero_output_for_mask=False,
    recurrent_mask=None,
    activation="tanh",
    recurrent_activation="sigmoid",
    reset_after=True,
):
    act, gate = _act(activation), _act(recurrent_activation)
    units = recurrent_kernel.shape[0]

    def step(x_t, states):
        h = states[0]
        h_in = h if recurrent_mask is None else h * recurrent_mask
        if reset_after:
            xz, xr, xh = tf.split(tf.matmul(x_t, kernel) + bias[0], 3, axis=-1)
            rz, rr, rh = tf.split(tf.matmul(h_in, recurrent_kernel) + bias[1], 3, axis=-1)
            z, r = gate(xz + rz), gate(xr + rr)
            hh = act(xh + r * rh)
        else:
            xz, xr, xh = tf.split(tf.matmul(x_t, kernel) + bias, 3, axis=-1)
            z = gate(xz + tf.matmul(h_in, recurrent_kernel[:, :units]))
            r = gate(xr + tf.matmul(h_in, recurrent_kernel[:, units : 2 * units]))
            hh = act(xh + tf.matmul(r * h_in, recurrent_kernel[:, 2 * units :]))
        return [z * h + (1 - z) * hh]

    return _run(step, x, [h0], mask, go_backwards, zero_output_for_mask, 1)


# --- cases ----------------------------------------------------------------------------------------
BATCH, STEPS, FEATURES, UNITS = 2, 4, 3, 2
MASK = np.array([[True, True, False, True], [False, True, True, False]])


def make_inputs(kind, seed=0, reset_after=True):
    rng = np.random.default_rng(seed)
    gates = {"simple_rnn": 1, "lstm": 4, "gru": 3}[kind]
    x = rng.normal(size=(BATCH, STEPS, FEATURES))
    h0 = rng.normal(size=(BATCH, UNITS)) * 0.5
    kernel = rng.normal(size=(FEATURES, gates * UNITS)) * 0.6
    recurrent = rng.normal(size=(UNITS, gates * UNITS)) * 0.6
    if kind == "gru" and reset_after:
        bias = rng.normal(size=(2, gates * UNITS)) * 0.3
    else:
        bias = rng.normal(size=(gates * UNITS,)) * 0.3
    if kind == "lstm":
        c0 = rng.normal(size=(BATCH, UNITS)) * 0.5
        return [x, h0, c0, kernel, recurrent, bias]
    return [x, h0, kernel, recurrent, bias]


FUSED = {"simple_rnn": simple_rnn_sequence, "lstm": lstm_sequence, "gru": gru_sequence}
ORACLE = {"simple_rnn": reference_simple_rnn, "lstm": reference_lstm, "gru": reference_gru}

OPTIONS = [
    {},
    {"go_backwards": True},
    {"mask": MASK},
    {"mask": MASK, "go_backwards": True},
    {"mask": MASK, "zero_output_for_mask": True},
    {"recurrent_mask": np.array([[2.0, 0.0], [0.0, 2.0]])},
    {"mask": MASK, "go_backwards": True, "recurrent_mask": np.array([[2.0, 2.0], [0.0, 2.0]])},
]
EXTRA = {
    "simple_rnn": [{"activation": "relu"}, {"activation": "linear", "mask": MASK}],
    "lstm": [{"recurrent_activation": "hard_sigmoid"}, {"activation": "relu", "mask": MASK}],
    "gru": [
        {"reset_after": False},
        {
            "reset_after": False,
            "mask": MASK,
            "go_backwards": True,
            "recurrent_mask": np.array([[2.0, 0.0], [2.0, 2.0]]),
        },
        {"recurrent_activation": "hard_sigmoid"},
    ],
}
CASES = [(kind, options) for kind in FUSED for options in OPTIONS + EXTRA[kind]]


def _label(case):
    kind, options = case
    return (
        kind
        + "-"
        + ("-".join(sorted(options)) or "plain")
        + "".join(f"-{v}" for k, v in sorted(options.items()) if isinstance(v, str | bool) and k != "go_backwards")
    )


def _weighted(function, seed):
    # A random weighting of the outputs, so the gradient of every output entry counts.
    def total(*args):
        out = function(*args)
        weights = np.random.default_rng(seed).normal(size=tuple(out.shape))
        return out * tf.constant(weights, dtype=out.dtype)

    return total


@pytest.mark.parametrize("case", CASES, ids=[_label(c) for c in CASES])
def test_fused_op_matches_the_tape_op_oracle_and_central_differences(case):
    kind, options = case
    inputs = make_inputs(kind, reset_after=options.get("reset_after", True))
    fused = _weighted(lambda *a: FUSED[kind](*a, **options), 7)
    oracle = _weighted(lambda *a: ORACLE[kind](*a, **options), 7)

    tensors = [tf.constant(a, dtype="float64") for a in inputs]
    expected = ORACLE[kind](*tensors, **options).numpy()
    got = FUSED[kind](*tensors, **options).numpy()
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)

    for fused_grad, oracle_grad in zip(tape_gradients(fused, inputs), tape_gradients(oracle, inputs)):
        np.testing.assert_allclose(fused_grad, oracle_grad, rtol=1e-9, atol=1e-11)
    check_gradients(fused, inputs, atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("kind", list(FUSED))
@pytest.mark.parametrize(
    "options",
    [{}, {"recurrent_mask": np.array([[2.0, 0.0], [0.0, 2.0]])}, {"mask": MASK}],
    ids=["plain", "recurrent_mask", "mask"],
)
def test_gradient_through_the_final_states_only(kind, options):
    # return_sequences=False: no gradient reaches the per-step outputs (a path of its own).
    inputs = make_inputs(kind)

    def final(function):
        def run(*args):
            out = function(*args, **options)
            weights = np.random.default_rng(3).normal(size=(BATCH, out.shape[1] - STEPS, UNITS))
            return out[:, STEPS:] * tf.constant(weights, dtype=out.dtype)

        return run

    for fused_grad, oracle_grad in zip(
        tape_gradients(final(FUSED[kind]), inputs), tape_gradients(final(ORACLE[kind]), inputs)
    ):
        np.testing.assert_allclose(fused_grad, oracle_grad, rtol=1e-9, atol=1e-11)
    check_gradients(final(FUSED[kind]), inputs, atol=1e-7, rtol=1e-5)


def test_masked_steps_carry_the_state_and_repeat_the_output():
    x, h0, kernel, recurrent, bias = make_inputs("simple_rnn")
    out = simple_rnn_sequence(x, h0, kernel, recurrent, bias, mask=MASK).numpy()
    # Example 1, step 0 is masked: the output is the initial state.
    np.testing.assert_allclose(out[1, 0], h0[1])
    # Example 0, step 2 is masked: the output repeats step 1.
    np.testing.assert_allclose(out[0, 2], out[0, 1])
    # Example 1's last step is masked: the final state is step 2's.
    np.testing.assert_allclose(out[1, -1], out[1, 2])
    zero = simple_rnn_sequence(x, h0, kernel, recurrent, bias, mask=MASK, zero_output_for_mask=True).numpy()
    np.testing.assert_array_equal(zero[0, 2], 0.0)
    np.testing.assert_allclose(zero[:, -1], out[:, -1])


def test_the_tape_records_one_note_per_layer():
    x, h0, c0, kernel, recurrent, bias = [tf.Variable(a) for a in make_inputs("lstm")]
    with tf.GradientTape() as tape:
        out = lstm_sequence(x, h0, c0, kernel, recurrent, bias)
    assert len(tape._notes) == 1
    assert all(g is not None for g in tape.gradient(out, [x, kernel, recurrent, bias]))


def test_second_order_through_a_fused_op_runs_its_twin():
    # The fused step's backward carries a differentiable twin: an outer tape gets a second derivative.
    inputs = [tf.Variable(a) for a in make_inputs("simple_rnn")]
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            out = tf.reduce_sum(simple_rnn_sequence(*inputs) ** 2)
        g = inner.gradient(out, inputs[2])
        norm = tf.reduce_sum(g * g)
    second = outer.gradient(norm, inputs[2])
    assert second is not None and second.shape == inputs[2].shape and np.isfinite(second.numpy()).all()


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda a: [a[0][0]] + a[1:], "batch, time, features"),
        (lambda a: [a[0], a[1], a[2][:1]] + a[3:], "kernel"),
        (lambda a: a[:3] + [a[3][:, :1]] + a[4:], "recurrent_kernel"),
        (lambda a: [a[0], a[1][:1]] + a[2:], "initial state"),
        (lambda a: [a[0][:, :0]] + a[1:], "at least one time step"),
    ],
)
def test_bad_shapes_get_a_clear_error(bad, message):
    inputs = make_inputs("simple_rnn")
    with pytest.raises(ValueError, match=message):
        simple_rnn_sequence(*bad(inputs))


def test_bad_mask_and_activation_get_a_clear_error():
    inputs = make_inputs("lstm")
    with pytest.raises(ValueError, match="mask must have shape"):
        lstm_sequence(*inputs, mask=MASK[:, :2])
    with pytest.raises(ValueError, match="activation must be one of"):
        lstm_sequence(*inputs, activation="swish")
    with pytest.raises(ValueError, match="bias must have shape"):
        gru_sequence(*make_inputs("gru"), reset_after=False)


def test_float32_stays_float32():
    inputs = [a.astype("float32") for a in make_inputs("gru")]
    assert gru_sequence(*inputs).dtype == "float32"
