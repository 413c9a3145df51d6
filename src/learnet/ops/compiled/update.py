"""Fused optimizer updates: one pass over weight, gradient and slots, in place.

The NumPy updates in ``learnet.optimizers`` are the reference: each is 7 to 17 ufunc
calls per weight, every one a full pass over memory through two scratch buffers. Here
each optimizer's update is one loop that reads a weight, its gradient and its slots
once, computes the step element by element with the very same operations in the same
order (so float32 stays float32, and the results equal the reference bit for bit), and
writes the weight and the slots back: on the MLP's 784x512 kernel, RMSprop takes
0.18 ms instead of 0.9 ms.

With ``LEARNET_NUM_THREADS`` above 1 (``learnet.ops.parallel``), weights of at least
``PARALLEL_MIN`` elements are cut into chunks of ``CHUNK`` elements that numba's
threads share (``prange``); otherwise, and always for small weights, the update runs
on the calling thread.

Every kernel is written once, as a loop over flattened arrays (``_<name>``); the
serial call is that function on the whole arrays, the parallel one
(``_<name>_parallel``) calls it on each chunk's slices. The public functions
(``sgd``, ``rmsprop``, ...) take arrays of any shape and the update's numbers, and
return False without touching anything when an array is not contiguous (then the
caller runs the NumPy reference).

Only imported when the compiled kernels are on (``learnet.ops.compiled.enabled()``);
it needs numba (the ``fast`` extra).

Examples
--------
>>> import numpy as np
>>> from learnet.ops.compiled import update
>>> w, g = np.ones(3, np.float32), np.full(3, 0.5, np.float32)
>>> update.sgd(w, g, None, lr=0.1, momentum=0.0, nesterov=False)
True
>>> w
array([0.95, 0.95, 0.95], dtype=float32)
"""

import numpy

from learnet.ops import compiled
from learnet.ops.compiled import prange
from learnet.ops.compiled.aot import variants

# Elements per chunk of the parallel loops (64 KiB of float32 per array).
CHUNK = 1 << 14
# Below this many elements a weight is updated on the calling thread.
PARALLEL_MIN = 1 << 15


def _threads(size):
    """The threads for a weight of ``size`` elements (1: the calling thread alone).

    ``learnet.ops.parallel.num_threads()`` (``LEARNET_NUM_THREADS``, default 1) decides, as
    for the NumPy passes: next to BLAS's own threads on a 2-core machine, numba's threads
    waiting for a core made a whole MLP epoch slower (see benchmarks/README.md), while the
    fused pass on one thread already does the work of the 8 to 17 NumPy passes.
    """
    if size < PARALLEL_MIN:
        return 1
    return compiled.threads()


# error_model="numpy": a division by zero gives inf or nan, as in NumPy, instead of raising
# (the check would also stop LLVM from vectorizing the loop). numpy.sqrt, not math.sqrt:
# numba calls libm's sqrt for the latter, which does not vectorize either.
_parallel = compiled.loop(parallel=True, cache=True, error_model="numpy")


def _serial(arrays, floats, flags=0):
    """A serial loop over ``arrays`` flat contiguous arrays, then ``floats`` numbers of their
    dtype and ``flags`` booleans: built ahead of time for float32 and float64."""
    arguments = ["{T}[::1]"] * arrays + ["{T}"] * floats + ["b1"] * flags
    signatures = variants("void(" + ", ".join(arguments) + ")", T=("f4", "f8"))
    # Every array but the gradient (the second) is written: the gradient may be read-only.
    return compiled.loop(signatures, reads=(1,) if arrays > 1 else (), cache=True, error_model="numpy")


def _run(serial, parallel, arrays, numbers):
    """Run the kernel on the flattened ``arrays`` (weight first, then its gradient if the
    kernel takes one); False if not contiguous.

    A slot the optimizer does not have is None in ``arrays``; the kernel gets an empty
    array in its place (and does not touch it).
    """
    w = arrays[0]
    if len(arrays) > 1 and not arrays[1].flags.c_contiguous:  # a gradient may be a strided view
        arrays = [w, numpy.ascontiguousarray(arrays[1]), *arrays[2:]]
    arrays = [numpy.empty(0, w.dtype) if a is None else a for a in arrays]
    if not all(a.flags.c_contiguous for a in arrays):
        return False
    flat = [a.reshape(-1) for a in arrays]
    scalar = w.dtype.type
    numbers = [n if isinstance(n, bool) else scalar(n) for n in numbers]
    threads = _threads(w.size)
    if threads > 1:
        import numba

        numba.set_num_threads(threads)
        parallel(*flat, *numbers)
    else:
        serial(*flat, *numbers)
    return True


@compiled.loop(cache=True, inline="always")
def _maximum(a, b):
    # numpy.maximum's rule: a NaN on either side gives NaN.
    return b if (b != b or b > a) else a


# Each kernel loops over range(w.size) of 1-D arrays; the parallel one hands it slices.
# (A loop over range(start, stop) on the whole arrays is not vectorized by LLVM.)


# --- SGD -----------------------------------------------------------------------------------------
@_serial(3, 2, 2)
def _sgd(w, g, v, lr, momentum, with_momentum, nesterov):
    for i in range(w.size):
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


@_parallel
def _sgd_parallel(w, g, v, lr, momentum, with_momentum, nesterov):
    for chunk in prange((w.size + CHUNK - 1) // CHUNK):
        s = slice(chunk * CHUNK, (chunk + 1) * CHUNK)
        _sgd(w[s], g[s], v[s], lr, momentum, with_momentum, nesterov)


def sgd(w, g, v, lr, momentum, nesterov):
    """SGD, in place: ``w -= lr * g``, or with momentum ``v = momentum * v - lr * g`` and
    ``w += v`` (``w += momentum * v - lr * g`` with ``nesterov``). ``v`` is None without momentum."""
    return _run(_sgd, _sgd_parallel, [w, g, v], [lr, momentum, v is not None, nesterov])


# --- RMSprop -------------------------------------------------------------------------------------
@_serial(5, 5, 2)
def _rmsprop(w, g, v, m, a, lr, rho, one_minus_rho, momentum, epsilon, centered, with_momentum):
    for i in range(w.size):
        gi = g[i]
        vi = v[i] * rho + gi * gi * one_minus_rho
        v[i] = vi
        if centered:
            ai = a[i] * rho + gi * one_minus_rho
            a[i] = ai
            denominator = numpy.sqrt(vi - ai * ai + epsilon)
        else:
            denominator = numpy.sqrt(vi + epsilon)
        increment = gi * lr / denominator
        if with_momentum:
            mi = m[i] * momentum + increment
            m[i] = mi
            w[i] = w[i] - mi
        else:
            w[i] = w[i] - increment


@_parallel
def _rmsprop_parallel(w, g, v, m, a, lr, rho, one_minus_rho, momentum, epsilon, centered, with_momentum):
    for chunk in prange((w.size + CHUNK - 1) // CHUNK):
        s = slice(chunk * CHUNK, (chunk + 1) * CHUNK)
        _rmsprop(w[s], g[s], v[s], m[s], a[s], lr, rho, one_minus_rho, momentum, epsilon, centered, with_momentum)


def rmsprop(w, g, v, m, a, lr, rho, momentum, epsilon):
    """RMSprop, in place (the rule of ``learnet.optimizers.RMSprop``); ``m`` (momentum) and
    ``a`` (average gradient, centered) are None when the optimizer has no such slot."""
    numbers = [lr, rho, 1.0 - rho, momentum, epsilon, a is not None, m is not None]
    return _run(_rmsprop, _rmsprop_parallel, [w, g, v, m, a], numbers)


# --- Adam, AdamW ---------------------------------------------------------------------------------
@_serial(5, 4, 1)
def _adam(w, g, m, v, v_hat, alpha, one_minus_beta_1, one_minus_beta_2, epsilon, amsgrad):
    for i in range(w.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * one_minus_beta_1
        m[i] = mi
        vi = v[i] + (gi * gi - v[i]) * one_minus_beta_2
        v[i] = vi
        if amsgrad:
            vi = _maximum(v_hat[i], vi)
            v_hat[i] = vi
        w[i] = w[i] - mi * alpha / (numpy.sqrt(vi) + epsilon)


@_parallel
def _adam_parallel(w, g, m, v, v_hat, alpha, one_minus_beta_1, one_minus_beta_2, epsilon, amsgrad):
    for chunk in prange((w.size + CHUNK - 1) // CHUNK):
        s = slice(chunk * CHUNK, (chunk + 1) * CHUNK)
        _adam(w[s], g[s], m[s], v[s], v_hat[s], alpha, one_minus_beta_1, one_minus_beta_2, epsilon, amsgrad)


def adam(w, g, m, v, v_hat, alpha, beta_1, beta_2, epsilon):
    """Adam, in place, with ``alpha`` the bias-corrected rate; ``v_hat`` is None without amsgrad."""
    numbers = [alpha, 1.0 - beta_1, 1.0 - beta_2, epsilon, v_hat is not None]
    return _run(_adam, _adam_parallel, [w, g, m, v, v_hat], numbers)


# --- Adagrad -------------------------------------------------------------------------------------
@_serial(3, 2)
def _adagrad(w, g, accumulator, lr, epsilon):
    for i in range(w.size):
        gi = g[i]
        total = accumulator[i] + gi * gi
        accumulator[i] = total
        w[i] = w[i] - gi * lr / numpy.sqrt(total + epsilon)


@_parallel
def _adagrad_parallel(w, g, accumulator, lr, epsilon):
    for chunk in prange((w.size + CHUNK - 1) // CHUNK):
        s = slice(chunk * CHUNK, (chunk + 1) * CHUNK)
        _adagrad(w[s], g[s], accumulator[s], lr, epsilon)


def adagrad(w, g, accumulator, lr, epsilon):
    """Adagrad, in place: ``acc += g**2``, ``w -= lr * g / sqrt(acc + epsilon)``."""
    return _run(_adagrad, _adagrad_parallel, [w, g, accumulator], [lr, epsilon])


# --- Adadelta ------------------------------------------------------------------------------------
@_serial(4, 4)
def _adadelta(w, g, accumulated_grad, accumulated_delta, lr, rho, one_minus_rho, epsilon):
    for i in range(w.size):
        gi = g[i]
        grad_average = accumulated_grad[i] * rho + gi * gi * one_minus_rho
        accumulated_grad[i] = grad_average
        delta = -(numpy.sqrt(accumulated_delta[i] + epsilon) * gi / numpy.sqrt(grad_average + epsilon))
        accumulated_delta[i] = accumulated_delta[i] * rho + delta * delta * one_minus_rho
        w[i] = w[i] + delta * lr


@_parallel
def _adadelta_parallel(w, g, accumulated_grad, accumulated_delta, lr, rho, one_minus_rho, epsilon):
    for chunk in prange((w.size + CHUNK - 1) // CHUNK):
        s = slice(chunk * CHUNK, (chunk + 1) * CHUNK)
        _adadelta(w[s], g[s], accumulated_grad[s], accumulated_delta[s], lr, rho, one_minus_rho, epsilon)


def adadelta(w, g, accumulated_grad, accumulated_delta, lr, rho, epsilon):
    """Adadelta, in place (the rule of ``learnet.optimizers.Adadelta``)."""
    arrays = [w, g, accumulated_grad, accumulated_delta]
    return _run(_adadelta, _adadelta_parallel, arrays, [lr, rho, 1.0 - rho, epsilon])


# --- Adamax --------------------------------------------------------------------------------------
@_serial(4, 5)
def _adamax(w, g, m, u, lr, one_minus_beta_1, beta_2, epsilon, correction):
    for i in range(w.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * one_minus_beta_1
        m[i] = mi
        ui = _maximum(u[i] * beta_2, abs(gi))
        u[i] = ui
        w[i] = w[i] - mi * lr / ((ui + epsilon) * correction)


@_parallel
def _adamax_parallel(w, g, m, u, lr, one_minus_beta_1, beta_2, epsilon, correction):
    for chunk in prange((w.size + CHUNK - 1) // CHUNK):
        s = slice(chunk * CHUNK, (chunk + 1) * CHUNK)
        _adamax(w[s], g[s], m[s], u[s], lr, one_minus_beta_1, beta_2, epsilon, correction)


def adamax(w, g, m, u, lr, beta_1, beta_2, epsilon, correction):
    """Adamax, in place, with ``correction = 1 - beta_1**t``."""
    return _run(_adamax, _adamax_parallel, [w, g, m, u], [lr, 1.0 - beta_1, beta_2, epsilon, correction])


# --- Nadam ---------------------------------------------------------------------------------------
@_serial(4, 6)
def _nadam(w, g, m, v, lr_m, lr_g, one_minus_beta_1, one_minus_beta_2, v_scale, epsilon):
    for i in range(w.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * one_minus_beta_1
        m[i] = mi
        vi = v[i] + (gi * gi - v[i]) * one_minus_beta_2
        v[i] = vi
        denominator = numpy.sqrt(vi * v_scale) + epsilon
        wi = w[i] - mi * lr_m / denominator
        w[i] = wi - gi * lr_g / denominator


@_parallel
def _nadam_parallel(w, g, m, v, lr_m, lr_g, one_minus_beta_1, one_minus_beta_2, v_scale, epsilon):
    for chunk in prange((w.size + CHUNK - 1) // CHUNK):
        s = slice(chunk * CHUNK, (chunk + 1) * CHUNK)
        _nadam(w[s], g[s], m[s], v[s], lr_m, lr_g, one_minus_beta_1, one_minus_beta_2, v_scale, epsilon)


def nadam(w, g, m, v, lr_m, lr_g, beta_1, beta_2, v_scale, epsilon):
    """Nadam, in place: ``w -= (lr_m * m + lr_g * g) / (sqrt(v_scale * v) + epsilon)``, one term at a time."""
    numbers = [lr_m, lr_g, 1.0 - beta_1, 1.0 - beta_2, v_scale, epsilon]
    return _run(_nadam, _nadam_parallel, [w, g, m, v], numbers)


# --- decoupled weight decay ----------------------------------------------------------------------
@_serial(1, 1)
def _decay(w, factor):
    for i in range(w.size):
        w[i] = w[i] - w[i] * factor


@_parallel
def _decay_parallel(w, factor):
    for chunk in prange((w.size + CHUNK - 1) // CHUNK):
        s = slice(chunk * CHUNK, (chunk + 1) * CHUNK)
        _decay(w[s], factor)


def decay(w, factor):
    """Weight decay, in place: ``w -= w * factor``. False (nothing done) if ``w`` is not contiguous."""
    return _run(_decay, _decay_parallel, [w], [factor])


__all__ = ["adadelta", "adagrad", "adam", "adamax", "decay", "nadam", "rmsprop", "sgd"]
