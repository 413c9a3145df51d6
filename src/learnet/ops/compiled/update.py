"""Fused optimizer updates: one pass over weight, gradient and slots, in place, on every core.

The NumPy updates in ``learnet.optimizers`` are the reference: each is 7 to 17 ufunc
calls per weight, every one a full pass over memory through two scratch buffers. Here
each optimizer's update is one loop that reads a weight, its gradient and its slots
once, computes the step element by element with the very same operations in the same
order (so float32 stays float32, and the results match the reference to the last bit
or nearly), and writes the weight and the slots back. Large weights are cut into
chunks of ``CHUNK`` elements that numba's threads share (``prange``); small ones run
on the calling thread, where waking the other threads would cost more than the pass.

Every kernel is written once, as a function of a range ``[start, stop)`` of the
flattened arrays (``_<name>_range``); the serial call is that function on the whole
range, the parallel one (``_<name>_parallel``) calls it on each chunk. The public
functions (``sgd``, ``rmsprop``, ...) take arrays of any shape and the update's
numbers, and return False without touching anything when an array is not contiguous
(then the caller runs the NumPy reference).

Only imported when the compiled kernels are on (``learnet.ops.compiled.enabled()``);
it needs numba (the ``fast`` extra).

Examples
--------
>>> import numpy as np
>>> from learnet.ops.compiled import update
>>> w, g, v = np.ones(3, np.float32), np.full(3, 0.5, np.float32), np.zeros(3, np.float32)
>>> update.sgd(w, g, v, lr=0.1, momentum=0.0, nesterov=False)
True
>>> w
array([0.95, 0.95, 0.95], dtype=float32)
"""

import math

import numpy
from numba import njit, prange

# Elements per chunk of the parallel loops (64 KiB of float32 per array).
CHUNK = 1 << 14
# Below this many elements a weight is updated on the calling thread.
PARALLEL_MIN = 1 << 15


def _flat(arrays):
    """One-dimensional views of the arrays, or None when one is not C-contiguous."""
    if not all(a.flags.c_contiguous for a in arrays):
        return None
    return [a.reshape(-1) for a in arrays]


def _run(serial, parallel, arrays, numbers):
    """Run the kernel on the flattened ``arrays`` (weight first, then gradient); False if not contiguous."""
    w, g = arrays[0], arrays[1]
    if not g.flags.c_contiguous:
        arrays = [w, numpy.ascontiguousarray(g), *arrays[2:]]
    flat = _flat(arrays)
    if flat is None:
        return False
    size = w.size
    scalar = w.dtype.type
    numbers = [n if isinstance(n, bool) else scalar(n) for n in numbers]
    if size >= PARALLEL_MIN:
        parallel(*flat, *numbers, size)
    else:
        serial(*flat, *numbers, 0, size)
    return True


def _maximum(a, b):
    # numpy.maximum's rule: a NaN on either side gives NaN.
    return b if (b != b or b > a) else a


_maximum_kernel = njit(cache=True, inline="always")(_maximum)


# --- SGD -----------------------------------------------------------------------------------------
@njit(cache=True)
def _sgd_range(w, g, v, lr, momentum, with_momentum, nesterov, start, stop):
    for i in range(start, stop):
        step = g[i] * lr
        if not with_momentum:
            w[i] = w[i] - step
            continue
        velocity = v[i] * momentum - step
        v[i] = velocity
        if nesterov:
            w[i] = w[i] + (velocity * momentum - step)
        else:
            w[i] = w[i] + velocity


@njit(parallel=True, cache=True)
def _sgd_parallel(w, g, v, lr, momentum, with_momentum, nesterov, size):
    for chunk in prange((size + CHUNK - 1) // CHUNK):
        start = chunk * CHUNK
        stop = min(start + CHUNK, size)
        _sgd_range(w, g, v, lr, momentum, with_momentum, nesterov, start, stop)


def sgd(w, g, v, lr, momentum, nesterov):
    """SGD, in place: ``w -= lr * g``, or with momentum ``v = momentum * v - lr * g`` and
    ``w += v`` (``w += momentum * v - lr * g`` with ``nesterov``). ``v`` is None without momentum."""
    with_momentum = v is not None
    return _run(_sgd_range, _sgd_parallel, [w, g, v if with_momentum else w], [lr, momentum, with_momentum, nesterov])


# --- RMSprop -------------------------------------------------------------------------------------
@njit(cache=True)
def _rmsprop_range(w, g, v, m, a, lr, rho, one_minus_rho, momentum, epsilon, centered, with_momentum, start, stop):
    for i in range(start, stop):
        gi = g[i]
        vi = v[i] * rho + gi * gi * one_minus_rho
        v[i] = vi
        if centered:
            ai = a[i] * rho + gi * one_minus_rho
            a[i] = ai
            denominator = math.sqrt(vi - ai * ai + epsilon)
        else:
            denominator = math.sqrt(vi + epsilon)
        increment = gi * lr / denominator
        if with_momentum:
            mi = m[i] * momentum + increment
            m[i] = mi
            w[i] = w[i] - mi
        else:
            w[i] = w[i] - increment


@njit(parallel=True, cache=True)
def _rmsprop_parallel(w, g, v, m, a, lr, rho, one_minus_rho, momentum, epsilon, centered, with_momentum, size):
    for chunk in prange((size + CHUNK - 1) // CHUNK):
        start = chunk * CHUNK
        stop = min(start + CHUNK, size)
        _rmsprop_range(w, g, v, m, a, lr, rho, one_minus_rho, momentum, epsilon, centered, with_momentum, start, stop)


def rmsprop(w, g, v, m, a, lr, rho, momentum, epsilon):
    """RMSprop, in place (the rule of ``learnet.optimizers.RMSprop``); ``m`` (momentum) and
    ``a`` (average gradient, centered) are None when the optimizer has no such slot."""
    centered, with_momentum = a is not None, m is not None
    arrays = [w, g, v, m if with_momentum else v, a if centered else v]
    numbers = [lr, rho, 1.0 - rho, momentum, epsilon, centered, with_momentum]
    return _run(_rmsprop_range, _rmsprop_parallel, arrays, numbers)


# --- Adam, AdamW ---------------------------------------------------------------------------------
@njit(cache=True)
def _adam_range(w, g, m, v, v_hat, alpha, one_minus_beta_1, one_minus_beta_2, epsilon, amsgrad, start, stop):
    for i in range(start, stop):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * one_minus_beta_1
        m[i] = mi
        vi = v[i] + (gi * gi - v[i]) * one_minus_beta_2
        v[i] = vi
        if amsgrad:
            vi = _maximum_kernel(v_hat[i], vi)
            v_hat[i] = vi
        w[i] = w[i] - mi * alpha / (math.sqrt(vi) + epsilon)


@njit(parallel=True, cache=True)
def _adam_parallel(w, g, m, v, v_hat, alpha, one_minus_beta_1, one_minus_beta_2, epsilon, amsgrad, size):
    for chunk in prange((size + CHUNK - 1) // CHUNK):
        start = chunk * CHUNK
        stop = min(start + CHUNK, size)
        _adam_range(w, g, m, v, v_hat, alpha, one_minus_beta_1, one_minus_beta_2, epsilon, amsgrad, start, stop)


def adam(w, g, m, v, v_hat, alpha, beta_1, beta_2, epsilon):
    """Adam, in place, with ``alpha`` the bias-corrected rate; ``v_hat`` is None without amsgrad."""
    amsgrad = v_hat is not None
    arrays = [w, g, m, v, v_hat if amsgrad else v]
    return _run(_adam_range, _adam_parallel, arrays, [alpha, 1.0 - beta_1, 1.0 - beta_2, epsilon, amsgrad])


# --- Adagrad -------------------------------------------------------------------------------------
@njit(cache=True)
def _adagrad_range(w, g, accumulator, lr, epsilon, start, stop):
    for i in range(start, stop):
        gi = g[i]
        total = accumulator[i] + gi * gi
        accumulator[i] = total
        w[i] = w[i] - gi * lr / math.sqrt(total + epsilon)


@njit(parallel=True, cache=True)
def _adagrad_parallel(w, g, accumulator, lr, epsilon, size):
    for chunk in prange((size + CHUNK - 1) // CHUNK):
        start = chunk * CHUNK
        stop = min(start + CHUNK, size)
        _adagrad_range(w, g, accumulator, lr, epsilon, start, stop)


def adagrad(w, g, accumulator, lr, epsilon):
    """Adagrad, in place: ``acc += g**2``, ``w -= lr * g / sqrt(acc + epsilon)``."""
    return _run(_adagrad_range, _adagrad_parallel, [w, g, accumulator], [lr, epsilon])


# --- Adadelta ------------------------------------------------------------------------------------
@njit(cache=True)
def _adadelta_range(w, g, accumulated_grad, accumulated_delta, lr, rho, one_minus_rho, epsilon, start, stop):
    for i in range(start, stop):
        gi = g[i]
        grad_average = accumulated_grad[i] * rho + gi * gi * one_minus_rho
        accumulated_grad[i] = grad_average
        delta = -(math.sqrt(accumulated_delta[i] + epsilon) * gi / math.sqrt(grad_average + epsilon))
        accumulated_delta[i] = accumulated_delta[i] * rho + delta * delta * one_minus_rho
        w[i] = w[i] + delta * lr


@njit(parallel=True, cache=True)
def _adadelta_parallel(w, g, accumulated_grad, accumulated_delta, lr, rho, one_minus_rho, epsilon, size):
    for chunk in prange((size + CHUNK - 1) // CHUNK):
        start = chunk * CHUNK
        stop = min(start + CHUNK, size)
        _adadelta_range(w, g, accumulated_grad, accumulated_delta, lr, rho, one_minus_rho, epsilon, start, stop)


def adadelta(w, g, accumulated_grad, accumulated_delta, lr, rho, epsilon):
    """Adadelta, in place (the rule of ``learnet.optimizers.Adadelta``)."""
    arrays = [w, g, accumulated_grad, accumulated_delta]
    return _run(_adadelta_range, _adadelta_parallel, arrays, [lr, rho, 1.0 - rho, epsilon])


# --- Adamax --------------------------------------------------------------------------------------
@njit(cache=True)
def _adamax_range(w, g, m, u, lr, one_minus_beta_1, beta_2, epsilon, correction, start, stop):
    for i in range(start, stop):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * one_minus_beta_1
        m[i] = mi
        ui = _maximum_kernel(u[i] * beta_2, abs(gi))
        u[i] = ui
        w[i] = w[i] - mi * lr / ((ui + epsilon) * correction)


@njit(parallel=True, cache=True)
def _adamax_parallel(w, g, m, u, lr, one_minus_beta_1, beta_2, epsilon, correction, size):
    for chunk in prange((size + CHUNK - 1) // CHUNK):
        start = chunk * CHUNK
        stop = min(start + CHUNK, size)
        _adamax_range(w, g, m, u, lr, one_minus_beta_1, beta_2, epsilon, correction, start, stop)


def adamax(w, g, m, u, lr, beta_1, beta_2, epsilon, correction):
    """Adamax, in place, with ``correction = 1 - beta_1**t``."""
    return _run(_adamax_range, _adamax_parallel, [w, g, m, u], [lr, 1.0 - beta_1, beta_2, epsilon, correction])


# --- Nadam ---------------------------------------------------------------------------------------
@njit(cache=True)
def _nadam_range(w, g, m, v, lr_m, lr_g, one_minus_beta_1, one_minus_beta_2, v_scale, epsilon, start, stop):
    for i in range(start, stop):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * one_minus_beta_1
        m[i] = mi
        vi = v[i] + (gi * gi - v[i]) * one_minus_beta_2
        v[i] = vi
        denominator = math.sqrt(vi * v_scale) + epsilon
        wi = w[i] - mi * lr_m / denominator
        w[i] = wi - gi * lr_g / denominator


@njit(parallel=True, cache=True)
def _nadam_parallel(w, g, m, v, lr_m, lr_g, one_minus_beta_1, one_minus_beta_2, v_scale, epsilon, size):
    for chunk in prange((size + CHUNK - 1) // CHUNK):
        start = chunk * CHUNK
        stop = min(start + CHUNK, size)
        _nadam_range(w, g, m, v, lr_m, lr_g, one_minus_beta_1, one_minus_beta_2, v_scale, epsilon, start, stop)


def nadam(w, g, m, v, lr_m, lr_g, beta_1, beta_2, v_scale, epsilon):
    """Nadam, in place: ``w -= (lr_m * m + lr_g * g) / (sqrt(v_scale * v) + epsilon)``, one term at a time."""
    numbers = [lr_m, lr_g, 1.0 - beta_1, 1.0 - beta_2, v_scale, epsilon]
    return _run(_nadam_range, _nadam_parallel, [w, g, m, v], numbers)


# --- decoupled weight decay ----------------------------------------------------------------------
@njit(cache=True)
def _decay_range(w, factor, start, stop):
    for i in range(start, stop):
        w[i] = w[i] - w[i] * factor


@njit(parallel=True, cache=True)
def _decay_parallel(w, factor, size):
    for chunk in prange((size + CHUNK - 1) // CHUNK):
        start = chunk * CHUNK
        stop = min(start + CHUNK, size)
        _decay_range(w, factor, start, stop)


def decay(w, factor):
    """Weight decay, in place: ``w -= w * factor``. False (nothing done) if ``w`` is not contiguous."""
    if not w.flags.c_contiguous:
        return False
    flat, size = w.reshape(-1), w.size
    factor = w.dtype.type(factor)
    if size >= PARALLEL_MIN:
        _decay_parallel(flat, factor, size)
    else:
        _decay_range(flat, factor, 0, size)
    return True


__all__ = ["adadelta", "adagrad", "adam", "adamax", "decay", "nadam", "rmsprop", "sgd"]
