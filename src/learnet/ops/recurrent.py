"""Fused sequence ops: a whole SimpleRNN, LSTM or GRU layer as one op.

Each op takes the full sequence ``x`` of shape ``(batch, time, features)``, the initial
states and the weights, and runs the recurrence in one place:

1. the input projection of every time step is one matrix product,
   ``x.reshape(-1, features) @ kernel``;
2. the time loop does only what must be sequential, ``h @ recurrent_kernel`` and the
   gates, on time-major arrays;
3. the backward pass through time is written by hand next to the forward and, after its
   loop, computes the weight gradients for all steps as single matrix products.

The tape records one note per layer, not a dozen per step. The result is one array of
shape ``(batch, time + n_states, units)``: the outputs of every step, in the order the
steps were processed, followed by the final states (``h``; ``h`` and ``c`` for the
LSTM); the layers slice it.

Masks follow Keras: at a masked step the states are carried over unchanged and the
output is the carried ``h`` (or zeros with ``zero_output_for_mask=True``).

Activations are given by name; the fused kernels know ``tanh``, ``sigmoid``,
``hard_sigmoid``, ``relu`` and ``linear`` (``supports_activation`` says so); the layers
fall back to a step-by-step loop of tape ops for any other.

Second derivatives (a nested ``GradientTape``: a gradient penalty, the gradient of a
gradient's norm): the hand-written backward works on raw arrays, so each op's backward
also carries a differentiable twin (``higher_order_backward``, see ``primitive``), which
the tape runs instead only when an outer tape records the backward pass. The twin runs
the op's recurrence again with learnet ops, step by step (``_simple_rnn_steps``,
``_lstm_steps``, ``_gru_steps``: the same formulas as the fused loops, the gates'
activations and matrix products as tape ops) and returns that recurrence's gradients:
a backward pass through time written with learnet ops, which the outer tape
differentiates. A training step never runs it, and keeps the fused kernels.
"""

import contextlib
import functools

from learnet import backend
from learnet.backend import xp
from learnet.ops.math import clip_by_value
from learnet.ops.math import tanh as tanh_op
from learnet.ops.nn import relu as relu_op
from learnet.ops.nn import sigmoid as sigmoid_op
from learnet.ops.shape import concat, split, stack
from learnet.tape import GradientTape, primitive

try:
    import threadpoolctl as _threadpoolctl
except ImportError:  # optional: see _one_blas_thread
    _threadpoolctl = None
_controller = None


def _sigmoid(x, out):
    # sigmoid(x) = (1 + tanh(x / 2)) / 2: never overflows, and three times faster than
    # the exp-based stable forms (the gates are most of the time loop's work). ``out``
    # may be ``x`` itself.
    xp.multiply(x, 0.5, out=out)
    xp.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def _tanh(x, out):
    return xp.tanh(x, out=out)


def _relu(x, out):
    return xp.maximum(x, 0, out=out)


def _linear(x, out):
    out[...] = x
    return out


def _hard_sigmoid(x, out):
    # Keras 3: relu6(x + 3) / 6.
    xp.add(x, 3.0, out=out)
    xp.clip(out, 0.0, 6.0, out=out)
    out /= 6.0
    return out


# The derivative of each activation, written from its output y.
_ACTIVATIONS = {
    "sigmoid": (_sigmoid, lambda y: y * (1 - y)),
    "tanh": (_tanh, lambda y: 1 - y * y),
    "relu": (_relu, lambda y: (y > 0).astype(y.dtype)),
    "linear": (_linear, lambda y: xp.ones_like(y)),
    "hard_sigmoid": (_hard_sigmoid, lambda y: ((y > 0) & (y < 1)).astype(y.dtype) / 6),
}


def _one_blas_thread():
    """Run a recurrent op's matrix products on one BLAS thread.

    A time step multiplies a ``(batch, units)`` state by a ``(units, gates * units)``
    matrix: too small for threads to pay, and on a machine whose cores are shared, a
    second BLAS thread that waits for a core stalls every step (measured: 30 us per step
    on one thread, 5 ms on two, on a loaded machine); the few large products of an op
    (all steps at once) stalled the same way. Uses threadpoolctl when it is installed;
    otherwise changes nothing.
    """
    global _controller
    if _threadpoolctl is None or xp.__name__ != "numpy":
        return contextlib.nullcontext()
    if _controller is None:
        _controller = _threadpoolctl.ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


def _single_threaded(forward):
    """Run an op's forward and its backward with ``_one_blas_thread``."""

    @functools.wraps(forward)
    def wrapped(*args, **kwargs):
        with _one_blas_thread():
            result, backward = forward(*args, **kwargs)

        def single_threaded_backward(*args):
            with _one_blas_thread():
                grads = backward(*args)
            # The lazy input gradient runs later, outside the block: it gets its own.
            return tuple(_lazy_single_threaded(g) if callable(g) else g for g in grads)

        twin = getattr(backward, "higher_order_backward", None)
        if twin is not None:  # learnet ops, many small products: left as they are
            single_threaded_backward.higher_order_backward = twin
        return result, single_threaded_backward

    return wrapped


def _lazy_single_threaded(function):
    def run():
        with _one_blas_thread():
            return function()

    return run


def supports_activation(name):
    """Whether the fused kernels know the activation called ``name``."""
    return name in _ACTIVATIONS


def _activation(name, op):
    try:
        return _ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"{op}: activation must be one of {sorted(_ACTIVATIONS)}, got {name!r}") from None


def _check(op, x, h0, kernel, recurrent_kernel, gates, mask, recurrent_mask):
    if x.ndim != 3:
        raise ValueError(f"{op} expects inputs of shape (batch, time, features), got {tuple(x.shape)}")
    batch, steps, features = x.shape
    units = recurrent_kernel.shape[0]
    if kernel.shape != (features, gates * units):
        raise ValueError(
            f"{op}: kernel of shape {tuple(kernel.shape)} does not fit inputs with {features} features "
            f"and {units} units (expected {(features, gates * units)})"
        )
    if recurrent_kernel.shape != (units, gates * units):
        raise ValueError(
            f"{op}: recurrent_kernel must have shape {(units, gates * units)}, got {tuple(recurrent_kernel.shape)}"
        )
    if h0.shape != (batch, units):
        raise ValueError(f"{op}: initial state must have shape {(batch, units)}, got {tuple(h0.shape)}")
    if mask is not None and tuple(mask.shape) != (batch, steps):
        raise ValueError(f"{op}: mask must have shape {(batch, steps)}, got {tuple(mask.shape)}")
    if recurrent_mask is not None and tuple(recurrent_mask.shape) != (batch, units):
        raise ValueError(
            f"{op}: recurrent dropout mask must have shape {(batch, units)}, got {tuple(recurrent_mask.shape)}"
        )
    if steps == 0:
        raise ValueError(f"{op} expects at least one time step, got inputs of shape {tuple(x.shape)}")
    return batch, steps, features, units


def _time_major(x, go_backwards):
    """``(batch, time, ...)`` -> contiguous ``(time, batch, ...)``, reversed in time if asked."""
    if go_backwards:
        x = x[:, ::-1]
    return xp.ascontiguousarray(xp.swapaxes(x, 0, 1))


def _batch_major(x, go_backwards):
    x = xp.swapaxes(x, 0, 1)
    return x[:, ::-1] if go_backwards else x


def _step_mask(mask, go_backwards, dtype):
    """The mask as time-major ``(time, batch, 1)`` floats, or None."""
    if mask is None:
        return None
    return _time_major(xp.asarray(mask).astype(dtype), go_backwards)[..., None]


def _pack(outputs, states):
    """Outputs ``(time, batch, units)`` and final states -> ``(batch, time + n, units)``."""
    steps = outputs.shape[0]
    packed = xp.empty((outputs.shape[1], steps + len(states), outputs.shape[2]), dtype=outputs.dtype)
    packed[:, :steps] = xp.swapaxes(outputs, 0, 1)
    for index, state in enumerate(states):
        packed[:, steps + index] = state
    return packed


def _unpack_gradient(g, steps, n_states, m, zero_output):
    """The packed output gradient -> time-major output gradients and one per final state."""
    grad_outputs = xp.ascontiguousarray(xp.swapaxes(g[:, :steps], 0, 1))
    if m is not None and zero_output:
        grad_outputs = grad_outputs * m
    return grad_outputs, [xp.array(g[:, steps + i]) for i in range(n_states)]


@primitive(inputs=5, higher_order=False)
@_single_threaded
def simple_rnn_sequence(
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
    """A SimpleRNN over a whole sequence: ``h_t = act(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``.

    Parameters
    ----------
    x : ``(batch, time, features)``
    h0 : ``(batch, units)``, the initial state
    kernel, recurrent_kernel, bias : ``(features, units)``, ``(units, units)``, ``(units,)``
    mask : bool array ``(batch, time)``, optional
        False steps keep the previous state.
    go_backwards : bool
        Process the steps from last to first (outputs come in that order).
    zero_output_for_mask : bool
        Masked steps output zeros instead of the carried state.
    recurrent_mask : array ``(batch, units)``, optional
        Multiplies ``h_{t-1}`` before the recurrent product (recurrent dropout).
    activation : str

    Returns
    -------
    ``(batch, time + 1, units)``: the output of every step, then the final state.

    Examples
    --------
    >>> import numpy as np, learnet as tf
    >>> from learnet.ops.recurrent import simple_rnn_sequence
    >>> x = np.ones((1, 3, 2), "float32")
    >>> out = simple_rnn_sequence(x, np.zeros((1, 1), "float32"), np.ones((2, 1), "float32"),
    ...                           np.zeros((1, 1), "float32"), np.zeros(1, "float32"))
    >>> out.shape
    TensorShape([1, 4, 1])
    """
    op = "simple_rnn_sequence"
    batch, steps, features, units = _check(op, x, h0, kernel, recurrent_kernel, 1, mask, recurrent_mask)
    act, act_grad = _activation(activation, op)
    xt = _time_major(x, go_backwards)
    m = _step_mask(mask, go_backwards, x.dtype)
    rdm = None if recurrent_mask is None else xp.asarray(recurrent_mask, dtype=x.dtype)
    projected = (xt.reshape(-1, features) @ kernel).reshape(steps, batch, units)
    projected += bias
    H = xp.empty((steps + 1, batch, units), dtype=x.dtype)  # carried states, H[0] = h0
    fresh = xp.empty((steps, batch, units), dtype=x.dtype)  # the activated new states
    H[0] = h0
    for t in range(steps):
        previous = H[t] if rdm is None else H[t] * rdm
        z = projected[t] + previous @ recurrent_kernel
        act(z, fresh[t])
        if m is None:
            H[t + 1] = fresh[t]
        else:
            xp.add(H[t], m[t] * (fresh[t] - H[t]), out=H[t + 1])
    outputs = H[1:] if m is None or not zero_output_for_mask else H[1:] * m

    def backward(g, x, h0, kernel, recurrent_kernel, bias, out):
        grad_outputs, (dh,) = _unpack_gradient(g, steps, 1, m, zero_output_for_mask)
        dz = xp.empty_like(fresh)
        derivative = act_grad(fresh)
        recurrent_t = recurrent_kernel.T
        for t in range(steps - 1, -1, -1):
            dh = dh + grad_outputs[t]
            if m is None:
                xp.multiply(dh, derivative[t], out=dz[t])
                dh = dz[t] @ recurrent_t
            else:
                xp.multiply(dh * m[t], derivative[t], out=dz[t])
                carried = dh * (1 - m[t])
                dh = dz[t] @ recurrent_t
                if rdm is not None:
                    dh *= rdm
                dh += carried
                continue
            if rdm is not None:
                dh *= rdm
        flat_dz = dz.reshape(-1, units)
        previous = H[:-1] if rdm is None else H[:-1] * rdm
        return (
            lambda: _batch_major((flat_dz @ kernel.T).reshape(steps, batch, features), go_backwards),
            dh,
            xt.reshape(-1, features).T @ flat_dz,
            previous.reshape(-1, units).T @ flat_dz,
            flat_dz.sum(axis=0),
        )

    backward.higher_order_backward = _differentiable_twin(
        functools.partial(
            _simple_rnn_steps,
            mask=mask,
            go_backwards=go_backwards,
            zero_output_for_mask=zero_output_for_mask,
            recurrent_mask=rdm,
            activation=activation,
        )
    )
    return _pack(outputs, [H[-1]]), backward


@primitive(inputs=6, higher_order=False)
@_single_threaded
def lstm_sequence(
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
    """An LSTM over a whole sequence, Keras' gate order ``i, f, c, o``.

    ``z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias``, split in four;
    ``c_t = f * c_{t-1} + i * act(z_c)``, ``h_t = o * act(c_t)``, with ``i, f, o`` the
    ``recurrent_activation`` of their parts.

    Parameters
    ----------
    x : ``(batch, time, features)``
    h0, c0 : ``(batch, units)``, the initial states
    kernel, recurrent_kernel, bias : ``(features, 4 units)``, ``(units, 4 units)``, ``(4 units,)``
    mask, go_backwards, zero_output_for_mask, recurrent_mask, activation
        As for ``simple_rnn_sequence``.
    recurrent_activation : str, default ``"sigmoid"``

    Returns
    -------
    ``(batch, time + 2, units)``: the output of every step, then the final ``h`` and ``c``.
    """
    op = "lstm_sequence"
    batch, steps, features, units = _check(op, x, h0, kernel, recurrent_kernel, 4, mask, recurrent_mask)
    if c0.shape != h0.shape:
        raise ValueError(f"{op}: the initial cell state must have shape {tuple(h0.shape)}, got {tuple(c0.shape)}")
    act, act_grad = _activation(activation, op)
    gate, gate_grad = _activation(recurrent_activation, op)
    U = units
    xt = _time_major(x, go_backwards)
    m = _step_mask(mask, go_backwards, x.dtype)
    rdm = None if recurrent_mask is None else xp.asarray(recurrent_mask, dtype=x.dtype)
    # The default activations (sigmoid gates, tanh cell) take one tanh per step: with
    # sigmoid(z) = (1 + tanh(z / 2)) / 2, the gate columns of the weights are halved
    # once (exact in floating point), one tanh covers all four parts, and the gates
    # are then shifted. The values are those of the plain formulas.
    fast = activation == "tanh" and recurrent_activation == "sigmoid"
    if fast:
        scale = xp.full(4 * U, 0.5, dtype=x.dtype)
        scale[2 * U : 3 * U] = 1
        kernel_used, recurrent_used, bias_used = kernel * scale, recurrent_kernel * scale, bias * scale
        shift = 1 - scale  # the gates' (1 + tanh) / 2 as one full-width a * scale + shift
    else:
        kernel_used, recurrent_used, bias_used = kernel, recurrent_kernel, bias
    # Pre-activations of all steps; the loop overwrites each step with its activated gates.
    A = (xt.reshape(-1, features) @ kernel_used).reshape(steps, batch, 4 * U)
    A += bias_used
    H = xp.empty((steps + 1, batch, U), dtype=x.dtype)
    C = xp.empty((steps + 1, batch, U), dtype=x.dtype)
    TC = xp.empty((steps, batch, U), dtype=x.dtype)  # act(c_t) of the fresh cell state
    H[0], C[0] = h0, c0
    same_gate = recurrent_activation == "sigmoid"
    # Buffers reused by every step (column slices of a step are strided: full-width
    # operations and fewer temporaries are what pays in this loop).
    product = xp.empty((batch, 4 * U), dtype=x.dtype)
    cell_input = xp.empty((batch, U), dtype=x.dtype)
    for t in range(steps):
        a = A[t]
        xp.matmul(H[t] if rdm is None else H[t] * rdm, recurrent_used, out=product)
        a += product
        if fast:
            xp.tanh(a, out=a)
            a *= scale
            a += shift
        else:
            if same_gate:
                gate(a[:, : 2 * U], a[:, : 2 * U])
            else:
                gate(a[:, :U], a[:, :U])
                gate(a[:, U : 2 * U], a[:, U : 2 * U])
            gate(a[:, 3 * U :], a[:, 3 * U :])
            act(a[:, 2 * U : 3 * U], a[:, 2 * U : 3 * U])
        i, f, cc, o = a[:, :U], a[:, U : 2 * U], a[:, 2 * U : 3 * U], a[:, 3 * U :]
        if m is None:
            # Straight into the state arrays: no copies.
            c = xp.multiply(f, C[t], out=C[t + 1])
            c += xp.multiply(i, cc, out=cell_input)
            act(c, TC[t])
            xp.multiply(o, TC[t], out=H[t + 1])
            continue
        c = f * C[t]
        c += i * cc
        act(c, TC[t])
        h = o * TC[t]
        mt = m[t]
        xp.add(C[t], mt * (c - C[t]), out=C[t + 1])
        xp.add(H[t], mt * (h - H[t]), out=H[t + 1])
    outputs = H[1:] if m is None or not zero_output_for_mask else H[1:] * m

    def backward(g, x, h0, c0, kernel, recurrent_kernel, bias, out):
        grad_outputs, (dh, dc) = _unpack_gradient(g, steps, 2, m, zero_output_for_mask)
        dZ = xp.empty_like(A)
        gate_derivative = gate_grad(A)
        gate_derivative[..., 2 * U : 3 * U] = act_grad(A[..., 2 * U : 3 * U])
        tc_derivative = act_grad(TC)
        recurrent_t = xp.ascontiguousarray(recurrent_kernel.T)
        if m is None:
            _lstm_backward_unmasked(
                A, C, TC, dZ, gate_derivative, tc_derivative, grad_outputs, dh, dc, recurrent_t, rdm
            )
        for t in range(steps - 1, -1, -1) if m is not None else ():  # masked: states carried over
            a = A[t]
            i, f, cc, o = a[:, :U], a[:, U : 2 * U], a[:, 2 * U : 3 * U], a[:, 3 * U :]
            dh = dh + grad_outputs[t]
            mt = m[t]
            carried_h, carried_c = dh * (1 - mt), dc * (1 - mt)
            dh = dh * mt
            dc = dc * mt
            dz = dZ[t]
            xp.multiply(dh, TC[t], out=dz[:, 3 * U :])  # d o
            dc = dc + dh * o * tc_derivative[t]
            xp.multiply(dc, cc, out=dz[:, :U])  # d i
            xp.multiply(dc, C[t], out=dz[:, U : 2 * U])  # d f
            xp.multiply(dc, i, out=dz[:, 2 * U : 3 * U])  # d act(z_c)
            dz *= gate_derivative[t]
            dc = dc * f
            dh = dz @ recurrent_t
            if rdm is not None:
                dh *= rdm
            dh += carried_h
            dc += carried_c
        flat_dz = dZ.reshape(-1, 4 * U)
        previous = H[:-1] if rdm is None else H[:-1] * rdm
        return (
            lambda: _batch_major((flat_dz @ kernel.T).reshape(steps, batch, features), go_backwards),
            dh,
            dc,
            xt.reshape(-1, features).T @ flat_dz,
            previous.reshape(-1, U).T @ flat_dz,
            flat_dz.sum(axis=0),
        )

    backward.higher_order_backward = _differentiable_twin(
        functools.partial(
            _lstm_steps,
            mask=mask,
            go_backwards=go_backwards,
            zero_output_for_mask=zero_output_for_mask,
            recurrent_mask=rdm,
            activation=activation,
            recurrent_activation=recurrent_activation,
        )
    )
    return _pack(outputs, [H[-1], C[-1]]), backward


def _lstm_backward_unmasked(A, C, TC, dZ, gate_derivative, tc_derivative, grad_outputs, dh, dc, recurrent_t, rdm):
    """The LSTM's loop back through time without a mask: fills ``dZ``, updates ``dh`` and ``dc`` in place.

    The same formulas as the masked loop, with fewer operations per step (the loop is
    the op's cost): ``o * act'(c_t)`` is one factor computed for all steps at once, the
    products go into reused buffers, and a sequence whose outputs get no gradient (only
    the final state is used) skips adding them.
    """
    U = C.shape[-1]
    output_factor = tc_derivative
    output_factor *= A[..., 3 * U :]  # o * act'(c_t), every step
    # Skipping zeros pays on the CPU; on a GPU, reading whether they are zeros would wait for it.
    outputs_flow = bool(grad_outputs.any()) if backend.on_host(grad_outputs) else True
    scaled = xp.empty_like(dc)
    for t in range(A.shape[0] - 1, -1, -1):
        a = A[t]
        i, f, cc = a[:, :U], a[:, U : 2 * U], a[:, 2 * U : 3 * U]
        if outputs_flow:
            dh += grad_outputs[t]
        dz = dZ[t]
        xp.multiply(dh, TC[t], out=dz[:, 3 * U :])  # d o
        dc += xp.multiply(dh, output_factor[t], out=scaled)
        xp.multiply(dc, cc, out=dz[:, :U])  # d i
        xp.multiply(dc, C[t], out=dz[:, U : 2 * U])  # d f
        xp.multiply(dc, i, out=dz[:, 2 * U : 3 * U])  # d act(z_c)
        dz *= gate_derivative[t]
        dc *= f
        xp.matmul(dz, recurrent_t, out=dh)
        if rdm is not None:
            dh *= rdm


@primitive(inputs=5, higher_order=False)
@_single_threaded
def gru_sequence(
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
    """A GRU over a whole sequence, Keras' gate order ``z, r, h``.

    ``z, r = rec_act(...)``; with ``reset_after=True`` (Keras' default)
    ``hh = act(x_h + r * (h_{t-1} @ U_h + b_rh))``, else ``hh = act(x_h + (r * h_{t-1}) @ U_h)``;
    ``h_t = z * h_{t-1} + (1 - z) * hh``.

    Parameters
    ----------
    x : ``(batch, time, features)``
    h0 : ``(batch, units)``
    kernel, recurrent_kernel : ``(features, 3 units)``, ``(units, 3 units)``
    bias : ``(2, 3 units)`` (input and recurrent biases) with ``reset_after``, else ``(3 units,)``
    mask, go_backwards, zero_output_for_mask, recurrent_mask, activation, recurrent_activation
        As for ``lstm_sequence``.
    reset_after : bool, default True

    Returns
    -------
    ``(batch, time + 1, units)``: the output of every step, then the final state.
    """
    op = "gru_sequence"
    batch, steps, features, units = _check(op, x, h0, kernel, recurrent_kernel, 3, mask, recurrent_mask)
    U = units
    want = (2, 3 * U) if reset_after else (3 * U,)
    if tuple(bias.shape) != want:
        raise ValueError(f"{op}: bias must have shape {want} (reset_after={reset_after}), got {tuple(bias.shape)}")
    act, act_grad = _activation(activation, op)
    gate, gate_grad = _activation(recurrent_activation, op)
    xt = _time_major(x, go_backwards)
    m = _step_mask(mask, go_backwards, x.dtype)
    rdm = None if recurrent_mask is None else xp.asarray(recurrent_mask, dtype=x.dtype)
    A = (xt.reshape(-1, features) @ kernel).reshape(steps, batch, 3 * U)
    A += bias[0] if reset_after else bias
    H = xp.empty((steps + 1, batch, U), dtype=x.dtype)
    # reset_after: the recurrent candidate part h_{t-1} @ U_h + b_rh; else r * h_{t-1}.
    K = xp.empty((steps, batch, U), dtype=x.dtype)
    H[0] = h0
    for t in range(steps):
        a = A[t]
        previous = H[t] if rdm is None else H[t] * rdm
        if reset_after:
            inner = previous @ recurrent_kernel
            inner += bias[1]
            a[:, : 2 * U] += inner[:, : 2 * U]
            gate(a[:, : 2 * U], a[:, : 2 * U])
            K[t] = inner[:, 2 * U :]
            a[:, 2 * U :] += a[:, U : 2 * U] * K[t]
        else:
            a[:, : 2 * U] += previous @ recurrent_kernel[:, : 2 * U]
            gate(a[:, : 2 * U], a[:, : 2 * U])
            xp.multiply(a[:, U : 2 * U], previous, out=K[t])
            a[:, 2 * U :] += K[t] @ recurrent_kernel[:, 2 * U :]
        act(a[:, 2 * U :], a[:, 2 * U :])
        z, hh = a[:, :U], a[:, 2 * U :]
        h = hh + z * (H[t] - hh)
        if m is None:
            H[t + 1] = h
        else:
            xp.add(H[t], m[t] * (h - H[t]), out=H[t + 1])
    outputs = H[1:] if m is None or not zero_output_for_mask else H[1:] * m

    def backward(g, x, h0, kernel, recurrent_kernel, bias, out):
        grad_outputs, (dh,) = _unpack_gradient(g, steps, 1, m, zero_output_for_mask)
        dA = xp.empty_like(A)  # gradients of the input pre-activations
        dR = xp.empty_like(A) if reset_after else None  # ... of the recurrent ones
        derivative = gate_grad(A)
        derivative[..., 2 * U :] = act_grad(A[..., 2 * U :])
        recurrent_t = xp.ascontiguousarray(recurrent_kernel.T)
        zr_t = xp.ascontiguousarray(recurrent_kernel[:, : 2 * U].T)
        h_t = xp.ascontiguousarray(recurrent_kernel[:, 2 * U :].T)
        for t in range(steps - 1, -1, -1):
            a = A[t]
            z, r, hh = a[:, :U], a[:, U : 2 * U], a[:, 2 * U :]
            dh = dh + grad_outputs[t]
            if m is not None:
                carried = dh * (1 - m[t])
                dh = dh * m[t]
            da = dA[t]
            xp.multiply(dh, H[t] - hh, out=da[:, :U])  # d z
            xp.multiply(dh, 1 - z, out=da[:, 2 * U :])  # d hh
            da[:, 2 * U :] *= derivative[t, :, 2 * U :]
            direct = dh * z
            if reset_after:
                xp.multiply(da[:, 2 * U :], K[t], out=da[:, U : 2 * U])  # d r
                da[:, : 2 * U] *= derivative[t, :, : 2 * U]
                dr = dR[t]
                dr[:, : 2 * U] = da[:, : 2 * U]
                xp.multiply(da[:, 2 * U :], r, out=dr[:, 2 * U :])
                dh = dr @ recurrent_t
            else:
                dk = da[:, 2 * U :] @ h_t  # d (r * h')
                previous = H[t] if rdm is None else H[t] * rdm
                xp.multiply(dk, previous, out=da[:, U : 2 * U])  # d r
                da[:, : 2 * U] *= derivative[t, :, : 2 * U]
                dh = da[:, : 2 * U] @ zr_t + dk * r
            if rdm is not None:
                dh *= rdm
            dh += direct
            if m is not None:
                dh += carried
        flat_da = dA.reshape(-1, 3 * U)
        previous = (H[:-1] if rdm is None else H[:-1] * rdm).reshape(-1, U)
        if reset_after:
            flat_dr = dR.reshape(-1, 3 * U)
            d_recurrent = previous.T @ flat_dr
            d_bias = xp.stack([flat_da.sum(axis=0), flat_dr.sum(axis=0)])
        else:
            d_recurrent = xp.empty_like(recurrent_kernel)
            d_recurrent[:, : 2 * U] = previous.T @ flat_da[:, : 2 * U]
            d_recurrent[:, 2 * U :] = K.reshape(-1, U).T @ flat_da[:, 2 * U :]
            d_bias = flat_da.sum(axis=0)
        return (
            lambda: _batch_major((flat_da @ kernel.T).reshape(steps, batch, features), go_backwards),
            dh,
            xt.reshape(-1, features).T @ flat_da,
            d_recurrent,
            d_bias,
        )

    backward.higher_order_backward = _differentiable_twin(
        functools.partial(
            _gru_steps,
            mask=mask,
            go_backwards=go_backwards,
            zero_output_for_mask=zero_output_for_mask,
            recurrent_mask=rdm,
            activation=activation,
            recurrent_activation=recurrent_activation,
            reset_after=reset_after,
        )
    )
    return _pack(outputs, [H[-1]]), backward


# --- second derivatives: the recurrences again, with learnet ops -------------------------------
def _differentiable_twin(steps):
    """The differentiable twin of a fused sequence op's backward (see ``primitive``).

    ``steps(*inputs)`` is the op's forward written with learnet ops (``_lstm_steps``, say),
    its options already bound. The twin runs it again under a tape of its own and returns
    that tape's gradients for the output gradient ``g``: the backward pass through time,
    each of its ops a learnet op, so the outer tape that records it (and the recomputed
    forward it reads) differentiates it once more.
    """

    def twin(g, *inputs_and_output):
        inputs = list(inputs_and_output[:-1])
        with GradientTape() as tape:
            tape.watch(inputs)
            out = steps(*inputs)
        return tuple(tape.gradient(out, inputs, output_gradients=g))

    return twin


def _hard_sigmoid_op(x):
    return clip_by_value(x + 3.0, 0.0, 6.0) / 6.0


# The activations of _ACTIVATIONS, as learnet ops.
_ACTIVATION_OPS = {
    "sigmoid": sigmoid_op,
    "tanh": tanh_op,
    "relu": relu_op,
    "linear": lambda x: x,
    "hard_sigmoid": _hard_sigmoid_op,
}


def _unrolled(step, x, states, mask, go_backwards, zero_output_for_mask):
    """Run ``step(x_t, states) -> states`` over the sequence ``x`` with learnet ops; the
    fused ops' result: ``(batch, time + n_states, units)``, outputs in processing order.

    A masked step carries the states over (``old + m * (new - old)``, as the fused loops);
    the step's output is the new ``h`` (the first state), zero at a masked step with
    ``zero_output_for_mask``.
    """
    count = x.shape[1]
    m = _step_mask(mask, go_backwards, x._value.dtype)
    outputs = []
    for t in range(count):
        new = step(x[:, count - 1 - t if go_backwards else t], states)
        if m is not None:
            new = [old + (fresh - old) * m[t] for old, fresh in zip(states, new)]
        states = new
        outputs.append(states[0] * m[t] if m is not None and zero_output_for_mask else states[0])
    return concat([stack(outputs, axis=1), stack(states, axis=1)], axis=1)


def _simple_rnn_steps(
    x, h0, kernel, recurrent_kernel, bias, mask, go_backwards, zero_output_for_mask, recurrent_mask, activation
):
    """``simple_rnn_sequence`` with learnet ops, one step at a time (for its twin)."""
    act = _ACTIVATION_OPS[activation]

    def step(x_t, states):
        (h,) = states
        previous = h if recurrent_mask is None else h * recurrent_mask
        return [act(x_t @ kernel + bias + previous @ recurrent_kernel)]

    return _unrolled(step, x, [h0], mask, go_backwards, zero_output_for_mask)


def _lstm_steps(
    x,
    h0,
    c0,
    kernel,
    recurrent_kernel,
    bias,
    mask,
    go_backwards,
    zero_output_for_mask,
    recurrent_mask,
    activation,
    recurrent_activation,
):
    """``lstm_sequence`` with learnet ops, one step at a time (for its twin)."""
    act, gate = _ACTIVATION_OPS[activation], _ACTIVATION_OPS[recurrent_activation]

    def step(x_t, states):
        h, c = states
        previous = h if recurrent_mask is None else h * recurrent_mask
        zi, zf, zc, zo = split(x_t @ kernel + bias + previous @ recurrent_kernel, 4, axis=-1)
        c = gate(zf) * c + gate(zi) * act(zc)
        return [gate(zo) * act(c), c]

    return _unrolled(step, x, [h0, c0], mask, go_backwards, zero_output_for_mask)


def _gru_steps(
    x,
    h0,
    kernel,
    recurrent_kernel,
    bias,
    mask,
    go_backwards,
    zero_output_for_mask,
    recurrent_mask,
    activation,
    recurrent_activation,
    reset_after,
):
    """``gru_sequence`` with learnet ops, one step at a time (for its twin).

    Recurrent dropout reaches the recurrent products only, not the carried ``h``.
    """
    act, gate = _ACTIVATION_OPS[activation], _ACTIVATION_OPS[recurrent_activation]
    units = recurrent_kernel.shape[0]

    def step(x_t, states):
        (h,) = states
        previous = h if recurrent_mask is None else h * recurrent_mask
        if reset_after:
            xz, xr, xh = split(x_t @ kernel + bias[0], 3, axis=-1)
            rz, rr, rh = split(previous @ recurrent_kernel + bias[1], 3, axis=-1)
            z, r = gate(xz + rz), gate(xr + rr)
            candidate = act(xh + r * rh)
        else:
            xz, xr, xh = split(x_t @ kernel + bias, 3, axis=-1)
            z = gate(xz + previous @ recurrent_kernel[:, :units])
            r = gate(xr + previous @ recurrent_kernel[:, units : 2 * units])
            candidate = act(xh + (r * previous) @ recurrent_kernel[:, 2 * units :])
        return [candidate + z * (h - candidate)]

    return _unrolled(step, x, [h0], mask, go_backwards, zero_output_for_mask)
