"""Adaptive pooling: pool an input down (or up) to a fixed output size, whatever its size.

Output cell ``i`` of an axis of length ``L`` pooled to ``O`` cells covers the input window
``[floor(i * L / O), ceil((i + 1) * L / O))``: the windows tile the axis, overlap by at most
one element and differ in size by at most one (PyTorch's and Keras 3's rule). The windows of
a 2-D or 3-D pool are products of the windows of each axis, so an adaptive pool is one 1-D
pool per spatial axis, one after the other:

* average: a matrix product of the axis with an ``(O, L)`` matrix whose row ``i`` holds
  ``1 / size_i`` over window ``i``;
* maximum: the axis gathered into ``(O, largest window)`` blocks (a shorter window repeats
  its last element, which leaves its maximum unchanged), then a maximum over each block.

Both are written with differentiable learnet ops (``tensordot``, ``gather``,
``reduce_max``), so their gradients, of any order, come from those ops.

Examples
--------
>>> import numpy as np
>>> from learnet.ops.adaptive_pool import adaptive_average_pool
>>> x = np.arange(5, dtype="float32").reshape(1, 5, 1)        # (batch, steps, channels)
>>> adaptive_average_pool(x, 2).numpy().ravel()                # windows [0, 1, 2] and [2, 3, 4]
array([1., 3.], dtype=float32)
"""

import numpy

from learnet.ops.linalg import tensordot
from learnet.ops.reduce import reduce_max
from learnet.ops.shape import gather, reshape, transpose
from learnet.tensor import Tensor, to_array

__all__ = ["adaptive_average_pool", "adaptive_max_pool", "adaptive_windows"]


def adaptive_windows(length, output_size):
    """The ``(starts, ends)`` of the ``output_size`` windows that pool an axis of ``length``.

    Examples
    --------
    >>> adaptive_windows(5, 3)
    (array([0, 1, 3]), array([2, 4, 5]))
    """
    cells = numpy.arange(output_size)
    starts = (cells * length) // output_size
    ends = -((-(cells + 1) * length) // output_size)  # ceil((i + 1) * L / O) in integers
    return starts, ends


def _arguments(inputs, output_size, data_format, op):
    """``inputs`` as a Tensor, its spatial axes, and one output size per spatial axis."""
    x = inputs if isinstance(inputs, Tensor) else Tensor(to_array(inputs))
    rank = x.ndim - 2
    if rank not in (1, 2, 3):
        raise ValueError(
            f"{op}: expects inputs of rank 3, 4 or 5 (batch, *spatial, channels), got shape {tuple(x.shape)}"
        )
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{op}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    if isinstance(output_size, (int, numpy.integer)) and not isinstance(output_size, bool):
        sizes = (int(output_size),) * rank
    else:
        try:
            sizes = tuple(int(s) for s in output_size)
        except (TypeError, ValueError):
            raise TypeError(
                f"{op}: output_size must be an int or a tuple of {rank} ints, got {output_size!r}"
            ) from None
    if len(sizes) != rank or min(sizes) < 1:
        raise ValueError(
            f"{op}: output_size must be a positive int or a tuple of {rank} positive ints for inputs of shape "
            f"{tuple(x.shape)}, got {output_size!r}"
        )
    if x.dtype.kind != "f":
        x = Tensor._wrap(x._value.astype(numpy.float32))
    axes = list(range(2, x.ndim)) if data_format == "channels_first" else list(range(1, x.ndim - 1))
    for axis in axes:
        if x.shape[axis] < 1:
            raise ValueError(f"{op}: cannot pool an empty axis, got inputs of shape {tuple(x.shape)}")
    return x, axes, sizes


def _pool_axis_average(x, axis, size):
    """Average pooling of one axis to ``size`` cells: one matrix product with the window weights."""
    length = x.shape[axis]
    starts, ends = adaptive_windows(length, size)
    positions = numpy.arange(length)
    inside = (positions >= starts[:, None]) & (positions < ends[:, None])  # (size, length)
    weights = (inside / (ends - starts)[:, None]).astype(x.dtype)
    moved = tensordot(x, Tensor._wrap(weights.T), axes=[[axis], [0]])  # the pooled axis comes last
    order = list(range(x.ndim - 1))
    order.insert(axis, x.ndim - 1)
    return transpose(moved, order)


def _pool_axis_max(x, axis, size):
    """Max pooling of one axis to ``size`` cells: the windows gathered side by side, then a maximum."""
    length = x.shape[axis]
    starts, ends = adaptive_windows(length, size)
    widest = int((ends - starts).max())
    index = numpy.minimum(starts[:, None] + numpy.arange(widest), ends[:, None] - 1)  # (size, widest)
    blocks = gather(x, index.ravel(), axis=axis)
    shape = tuple(x.shape[:axis]) + (size, widest) + tuple(x.shape[axis + 1 :])
    return reduce_max(reshape(blocks, shape), axis=axis + 1)


def adaptive_average_pool(inputs, output_size, data_format="channels_last"):
    """Average pooling to a fixed ``output_size`` (``keras.ops.adaptive_average_pool``).

    Parameters
    ----------
    inputs : Tensor or array
        ``(batch, *spatial, channels)`` with 1, 2 or 3 spatial axes (``(batch, channels,
        *spatial)`` with ``data_format="channels_first"``).
    output_size : int or tuple of int
        The size of each spatial axis of the output (one int: the same for all).
    data_format : {"channels_last", "channels_first"}

    Returns
    -------
    Tensor of shape ``(batch, *output_size, channels)``; each cell is the mean of its window.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((2, 7, 9, 3), dtype="float32")
    >>> adaptive_average_pool(x, (2, 4)).shape
    TensorShape([2, 2, 4, 3])
    """
    x, axes, sizes = _arguments(inputs, output_size, data_format, "adaptive_average_pool")
    for axis, size in zip(axes, sizes):
        x = _pool_axis_average(x, axis, size)
    return x


def adaptive_max_pool(inputs, output_size, data_format="channels_last"):
    """Max pooling to a fixed ``output_size`` (``keras.ops.adaptive_max_pool``).

    Parameters and shapes as ``adaptive_average_pool``; each cell is the largest value of
    its window, and receives the gradient.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(5, dtype="float32").reshape(1, 5, 1)
    >>> adaptive_max_pool(x, 2).numpy().ravel()
    array([2., 4.], dtype=float32)
    """
    x, axes, sizes = _arguments(inputs, output_size, data_format, "adaptive_max_pool")
    for axis, size in zip(axes, sizes):
        x = _pool_axis_max(x, axis, size)
    return x
