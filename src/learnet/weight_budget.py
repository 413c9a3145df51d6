"""Floor 1: a cap on the bytes of weights that layers may create while a file is loaded.

A model file is small, but its config may ask for huge layers (``Dense(10**8)``).
Loaders know how many bytes of weights the file really holds, so they open a budget
of that size; every ``add_weight`` is charged to it *before* its array is allocated,
and a layer asking for more than the file can fill is refused at once, without first
allocating gigabytes of random numbers.

Examples
--------
>>> from learnet import weight_budget
>>> with weight_budget.limit(4000, "a small file"):      # doctest: +SKIP
...     learnet.layers.Dense(10**8).build((None, 10))    # raises WeightBudgetError
"""

import contextlib
import threading

import numpy

_state = threading.local()


class WeightBudgetError(ValueError):
    """A layer asked for more weight bytes than the file being loaded can hold."""


@contextlib.contextmanager
def limit(max_bytes, what):
    """Within this block, the layers' new weights may take ``max_bytes`` bytes in all."""
    previous = getattr(_state, "budget", None)
    _state.budget = [int(max_bytes), str(what)]
    try:
        yield
    finally:
        _state.budget = previous


def charge(owner, shape, dtype):
    """Count a weight of ``shape`` and ``dtype`` against the open budget (if any)."""
    budget = getattr(_state, "budget", None)
    if budget is None:
        return
    count = 1
    for size in shape:
        count *= int(size)
    needed = count * numpy.dtype(dtype).itemsize
    if needed > budget[0]:
        raise WeightBudgetError(
            f"{owner} asks for a weight of shape {tuple(shape)} ({needed:,} bytes), but {budget[1]} holds "
            f"only {budget[0]:,} more bytes of weights; refusing to create it"
        )
    budget[0] -= needed
