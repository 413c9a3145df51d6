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
    # C order, so that reshape(-1) below is a view: a nudge of `flat` must reach the input itself.
    arrays = [numpy.array(numpy.asarray(x), dtype=numpy.float64, order="C") for x in inputs]
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


def check_gradients(function, inputs, eps=1e-6, atol=1e-6, rtol=1e-4, per_node=False):
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
    per_node : bool, default False
        Also check every op the tape records on its own: its backward (the vector-Jacobian
        product with a random upstream gradient) against central differences of its
        forward. Returns a ``GradientCheck`` instead of raising, which says which op is
        wrong and which ``learnet.plot.plot_tape(..., check=report)`` colours green or red.

    Returns
    -------
    float
        The largest absolute difference found (``GradientCheck`` with ``per_node=True``).

    Raises
    ------
    AssertionError
        Naming the input and the element where the two disagree (not with ``per_node``).

    Examples
    --------
    >>> import learnet as tf
    >>> report = check_gradients(lambda x: tf.reduce_sum(tf.exp(x) * x), [[0.5, 1.0]], per_node=True)
    >>> report.ok, [node.name for node in report.nodes]
    (True, ['exp', 'multiply', 'reduce_sum'])
    """
    if per_node:
        return GradientCheck(function, inputs, eps, atol, rtol)
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


def _disagreement(analytic, numeric, atol, rtol):
    """The largest absolute difference and whether every element is within tolerance."""
    difference = numpy.abs(analytic - numeric)
    worst = float(difference.max(initial=0.0))
    return worst, bool((difference <= atol + rtol * numpy.abs(numeric)).all())


class NodeCheck:
    """The check of one recorded op: ``index`` (recording order), ``name``, ``ok``
    (None when the op cannot be replayed), ``error`` (largest absolute difference) and,
    per input, the ``analytic`` and ``numerical`` vector-Jacobian products (None for an
    input the op gives no gradient)."""

    def __init__(self, index, name, ok, error, analytic, numerical):
        self.index, self.name, self.ok, self.error = index, name, ok, error
        self.analytic, self.numerical = analytic, numerical

    def __repr__(self):
        verdict = {True: "agrees", False: "DISAGREES", None: "not checked"}[self.ok]
        return f"NodeCheck({self.index}: {self.name} {verdict}, max difference {self.error:.3g})"


class GradientCheck:
    """A gradient check of a whole function and of each op it records.

    Made by ``check_gradients(function, inputs, per_node=True)``.

    Attributes
    ----------
    ok : bool
        The end-to-end gradients and every op agree with central differences.
    error : float
        The largest absolute difference of the end-to-end gradients.
    input_errors : list of str
        One message per input whose end-to-end gradient disagrees.
    nodes : tuple of NodeCheck
        One per recorded op, in recording order.
    node_ok : dict
        Recording index -> True / False / None, what ``plot_tape(check=...)`` colours.
    tape, target, sources
        The persistent tape of the run (float64), its result and its input tensors:
        ``plot_tape(report.tape, report.target, report.sources, check=report)``.
    """

    def __init__(self, function, inputs, eps=1e-6, atol=1e-6, rtol=1e-4):
        self.sources = [Tensor(numpy.asarray(x, dtype=numpy.float64), dtype="float64") for x in inputs]
        with GradientTape(persistent=True) as tape:
            tape.watch(self.sources)
            self.target = function(*self.sources)
        self.tape = tape
        analytic = tape.gradient(self.target, self.sources, unconnected_gradients="zero")
        numeric = numerical_gradients(function, inputs, eps)
        self.error, self.input_errors = 0.0, []
        for index, (a, n) in enumerate(zip(analytic, numeric)):
            worst, good = _disagreement(a.numpy(), n, atol, rtol)
            self.error = max(self.error, worst)
            if not good:
                self.input_errors.append(f"input {index}: tape and central differences differ by {worst:.3g}")
        rng = numpy.random.default_rng(0)
        self.nodes = tuple(_check_node(index, op, rng, eps, atol, rtol) for index, op in enumerate(tape.recorded_ops()))
        self.node_ok = {node.index: node.ok for node in self.nodes}
        self.ok = not self.input_errors and all(node.ok is not False for node in self.nodes)

    @property
    def wrong_nodes(self):
        """The ops whose backward disagrees with their forward."""
        return [node for node in self.nodes if node.ok is False]

    def __repr__(self):
        wrong = ", ".join(f"{n.index}:{n.name}" for n in self.wrong_nodes) or "none"
        return f"GradientCheck(ok={self.ok}, error={self.error:.3g}, wrong ops: {wrong})"


def _check_node(index, op, rng, eps, atol, rtol, max_elements=256):
    """Compare one op's backward with central differences of its forward."""
    arrays = [numpy.array(t.numpy()) for t in op.inputs]
    if op.forward is None or not any(a.dtype.kind == "f" for a in arrays):
        return NodeCheck(index, op.name, None, 0.0, [], [])
    output = numpy.asarray(op.output.numpy())
    g = rng.standard_normal(output.shape).astype(output.dtype)
    if op.higher_order:
        raw = op.backward(Tensor._wrap(g), *op.inputs, op.output)  # g keeps the output's dtype
    else:
        raw = op.backward(g, *arrays, output)
    if len(arrays) == 1 and not isinstance(raw, tuple):
        raw = (raw,)
    analytic, numerical, error, ok = [], [], 0.0, True
    for array, grad in zip(arrays, raw):
        if grad is None or array.dtype.kind != "f":
            analytic.append(None)
            numerical.append(None)
            continue
        if callable(grad) and not isinstance(grad, Tensor):
            grad = grad()
        grad = numpy.asarray(grad.numpy() if isinstance(grad, Tensor) else grad, dtype=numpy.float64)
        flat = array.reshape(-1)
        # Every element of a small input; a fixed random sample of a large one.
        picks = numpy.arange(flat.size)
        if flat.size > max_elements:
            picks = numpy.sort(rng.choice(flat.size, max_elements, replace=False))
        estimate = numpy.zeros(picks.size)
        for k, j in enumerate(picks):
            saved = flat[j]
            flat[j] = saved + eps
            plus = numpy.sum(g * numpy.asarray(op.forward(*arrays), dtype=numpy.float64))
            flat[j] = saved - eps
            minus = numpy.sum(g * numpy.asarray(op.forward(*arrays), dtype=numpy.float64))
            flat[j] = saved
            estimate[k] = (plus - minus) / (2 * eps)
        worst, good = _disagreement(grad.reshape(-1)[picks], estimate, atol, rtol)
        error, ok = max(error, worst), ok and good
        analytic.append(grad)
        numerical.append(estimate.reshape(array.shape) if picks.size == flat.size else estimate)
    return NodeCheck(index, op.name, ok, error, analytic, numerical)
