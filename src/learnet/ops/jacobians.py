"""``GradientTape.jacobian`` and ``batch_jacobian``: every partial derivative, not only their sum.

``tape.gradient(y, x)`` differentiates the sum of ``y``; ``tape.jacobian(y, x)`` gives
``d y[i] / d x[j]`` for every pair, of shape ``y.shape + x.shape``, by one backward pass
per element of ``y`` (each seeded with a one-hot output gradient). ``batch_jacobian``
assumes the examples of a batch are independent and gives ``(batch,) + y.shape[1:] +
x.shape[1:]``. The results are built with the ops, so an outer tape differentiates them
again (a Hessian). Attached to ``GradientTape`` by ``learnet.ops``.
"""

import numpy

from learnet.backend import xp
from learnet.ops.shape import reshape, stack
from learnet.tensor import Tensor
from learnet.tree import flatten


def _rows(tape, target, sources, seeds, unconnected_gradients):
    """The gradients for each seed, the tape kept for all of them and released after as usual."""
    if tape._released:
        raise RuntimeError(
            "GradientTape.jacobian can only be called once on a non-persistent tape; "
            "create the tape with GradientTape(persistent=True) to call it several times"
        )
    persistent = tape._persistent
    tape._persistent = True
    try:
        return [
            tape.gradient(target, sources, output_gradients=seed, unconnected_gradients=unconnected_gradients)
            for seed in seeds
        ]
    finally:
        tape._persistent = persistent
        if not persistent:
            tape._release()


def _one_hots(shape, dtype, count, place):
    for k in range(count):
        seed = numpy.zeros(count, dtype=dtype)
        seed[k] = 1
        yield Tensor._wrap(xp.asarray(place(seed).reshape(shape)))


def jacobian(tape, target, sources, unconnected_gradients="none", parallel_iterations=None, experimental_use_pfor=True):
    """``d target[i...] / d source[j...]`` for every element: shape ``target.shape + source.shape``.

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.Variable([1.0, 2.0])
    >>> with tf.GradientTape() as tape:
    ...     y = x * x
    >>> tape.jacobian(y, x).numpy().tolist()
    [[2.0, 0.0], [0.0, 4.0]]
    """
    if not isinstance(target, Tensor):
        raise TypeError(f"jacobian: the target must be a tensor, got {type(target).__name__}")
    source_list = flatten(sources)
    size = int(numpy.prod(target.shape))
    dtype = numpy.dtype(str(target.dtype))
    seeds = list(_one_hots(tuple(target.shape), dtype, size, lambda seed: seed))
    rows = _rows(tape, target, source_list, seeds, unconnected_gradients)
    results = []
    for index, source in enumerate(source_list):
        column = [row[index] for row in rows]
        if all(grad is None for grad in column):
            results.append(None)
            continue
        column = [Tensor._wrap(xp.zeros(tuple(source.shape), dtype=dtype)) if g is None else g for g in column]
        shape = tuple(target.shape) + tuple(source.shape)
        results.append(reshape(stack(column), shape) if column else Tensor._wrap(xp.zeros(shape, dtype=dtype)))
    return _rebuild(sources, results)


def batch_jacobian(
    tape, target, source, unconnected_gradients="none", parallel_iterations=None, experimental_use_pfor=True
):
    """Per example of a batch: ``d target[b, i...] / d source[b, j...]``, shape
    ``(batch,) + target.shape[1:] + source.shape[1:]`` (examples must not depend on each other).

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    >>> with tf.GradientTape() as tape:
    ...     y = x * x
    >>> tape.batch_jacobian(y, x).numpy().tolist()
    [[[2.0, 0.0], [0.0, 4.0]], [[6.0, 0.0], [0.0, 8.0]]]
    """
    if not isinstance(target, Tensor) or not isinstance(source, Tensor):
        raise TypeError("batch_jacobian expects a target tensor and one source tensor")
    if not target.shape or not source.shape or target.shape[0] != source.shape[0]:
        raise ValueError(
            f"batch_jacobian: target {tuple(target.shape)} and source {tuple(source.shape)} need the same first (batch) axis"
        )
    batch = int(target.shape[0])
    inner = int(numpy.prod(target.shape[1:]))
    dtype = numpy.dtype(str(target.dtype))
    seeds = list(_one_hots(tuple(target.shape), dtype, inner, lambda seed: numpy.tile(seed, batch)))
    rows = _rows(tape, target, [source], seeds, unconnected_gradients)
    column = [row[0] for row in rows]
    shape = (batch,) + tuple(target.shape[1:]) + tuple(source.shape[1:])
    if all(g is None for g in column):
        return None
    column = [Tensor._wrap(xp.zeros(tuple(source.shape), dtype=dtype)) if g is None else g for g in column]
    return reshape(stack(column, axis=1), shape)


def _rebuild(sources, results):
    if isinstance(sources, Tensor):
        return results[0]
    if isinstance(sources, dict):
        return dict(zip(sources, results))
    return type(sources)(results) if isinstance(sources, (list, tuple)) else results
