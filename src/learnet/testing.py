"""Numerical gradient checks: compare what the tape computes with central differences.

Every op in learnet is checked this way in the tests. Users can check their own
functions and layers too.

Examples
--------
>>> import learnet as tf
>>> from learnet.testing import check_gradients
>>> err = check_gradients(lambda x: tf.reduce_sum(tf.sin(x) * x), [[0.5, -1.0, 2.0]])
>>> err < 1e-6
True
"""
import numpy

from learnet.tape import GradientTape
from learnet.tensor import Tensor


def numerical_gradients(function, inputs, eps=1e-6):
    """Central-difference gradients of ``sum(function(*inputs))`` in float64."""
    arrays = [numpy.array(numpy.asarray(x), dtype=numpy.float64) for x in inputs]
    grads = []
    for i, array in enumerate(arrays):
        grad = numpy.zeros_like(array)
        flat, flat_grad = array.reshape(-1), grad.reshape(-1)
        for j in range(flat.size):
            saved = flat[j]
            flat[j] = saved + eps
            plus = _total(function, arrays)
            flat[j] = saved - eps
            minus = _total(function, arrays)
            flat[j] = saved
            flat_grad[j] = (plus - minus) / (2 * eps)
        grads.append(grad)
    return grads


def _total(function, arrays):
    result = function(*[Tensor(a, dtype="float64") for a in arrays])
    return float(numpy.sum(numpy.asarray(result, dtype=numpy.float64)))


def tape_gradients(function, inputs):
    """The gradients of ``sum(function(*inputs))`` that a ``GradientTape`` computes, in float64."""
    tensors = [Tensor(numpy.asarray(x, dtype=numpy.float64), dtype="float64") for x in inputs]
    with GradientTape() as tape:
        tape.watch(tensors)
        result = function(*tensors)
    grads = tape.gradient(result, tensors, unconnected_gradients="zero")
    return [g.numpy() for g in grads]


def check_gradients(function, inputs, eps=1e-6, atol=1e-6, rtol=1e-4):
    """Check the tape's gradients of ``function`` against central differences.

    Parameters
    ----------
    function : callable
        Takes one tensor per entry of ``inputs`` and returns a tensor (summed to a scalar).
    inputs : list of array_like
        Points at which to check; they are converted to ``float64``.
    eps : float
        Step of the central differences.
    atol, rtol : float
        Tolerances: each gradient element must satisfy
        ``|tape - numerical| <= atol + rtol * |numerical|``.

    Returns
    -------
    float
        The largest absolute difference found.

    Raises
    ------
    AssertionError
        Naming the input and the element where the two disagree.
    """
    analytic = tape_gradients(function, inputs)
    numeric = numerical_gradients(function, inputs, eps)
    worst = 0.0
    for index, (a, n) in enumerate(zip(analytic, numeric)):
        if a.shape != n.shape:
            raise AssertionError(f"input {index}: gradient shape {a.shape} != input shape {n.shape}")
        difference = numpy.abs(a - n)
        worst = max(worst, float(difference.max(initial=0.0)))
        bad = difference > atol + rtol * numpy.abs(n)
        if bad.any():
            where = tuple(int(i) for i in numpy.argwhere(bad)[0])
            raise AssertionError(
                f"input {index}: the tape's gradient differs from central differences at {where}: "
                f"tape {a[where]!r}, numerical {n[where]!r} (max abs difference {worst:.3g})"
            )
    return worst
