"""Ops that create tensors from a shape or a range (no gradients, except ``linspace`` in its ends)."""

import builtins

import numpy

from learnet import backend
from learnet.errors import InvalidArgumentError
from learnet.backend import xp
from learnet.tape import no_gradient
from learnet.tensor import Tensor, _as_dtype, to_array


def _dtype(dtype):
    return _as_dtype(dtype) if dtype is not None else numpy.dtype(backend.floatx())


def _shape(shape):
    if isinstance(shape, Tensor):
        shape = shape.numpy().tolist()
    if isinstance(shape, (int, numpy.integer)):
        return (int(shape),)
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"a shape cannot have negative sizes, got {shape}")
    return shape


def zeros(shape, dtype="float32", name=None):
    """A tensor of zeros of ``shape``."""
    return Tensor._wrap(xp.zeros(_shape(shape), dtype=_dtype(dtype)))


def ones(shape, dtype="float32", name=None):
    """A tensor of ones of ``shape``."""
    return Tensor._wrap(xp.ones(_shape(shape), dtype=_dtype(dtype)))


@no_gradient
def zeros_like(input, dtype=None, name=None):  # noqa: A002 - TensorFlow's name
    """Zeros with the shape (and dtype, unless given) of ``input``."""
    array = to_array(input)
    return Tensor._wrap(xp.zeros(array.shape, dtype=_as_dtype(dtype) or array.dtype))


@no_gradient
def ones_like(input, dtype=None, name=None):  # noqa: A002 - TensorFlow's name
    """Ones with the shape (and dtype, unless given) of ``input``."""
    array = to_array(input)
    return Tensor._wrap(xp.ones(array.shape, dtype=_as_dtype(dtype) or array.dtype))


def fill(dims, value, dtype=None, name=None):
    """A tensor of ``dims`` filled with ``value``."""
    fill_value = to_array(value, dtype)
    return Tensor._wrap(xp.full(_shape(dims), fill_value, dtype=fill_value.dtype))


def range(start, limit=None, delta=1, dtype=None, name=None):  # noqa: A001 - TensorFlow's name
    """Numbers from ``start`` up to (not including) ``limit`` in steps of ``delta``.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.range(5).numpy()
    array([0, 1, 2, 3, 4], dtype=int32)
    """
    if limit is None:
        start, limit = 0, start
    if delta == 0:
        raise ValueError("range: delta cannot be 0")
    if dtype is None:
        # TensorFlow's rule: the widest of the arguments' dtypes in int32 < int64 < float32 <
        # float64, where a tensor or NumPy number keeps its own and Python's int is int32 and
        # float the default float (tf.range(tf.constant(5, tf.int64)) is int64).
        order = ["int32", "int64", "float16", "float32", "float64"]
        kinds = [_range_dtype(v) for v in (start, limit, delta)]
        dtype = builtins.max(kinds, key=lambda name: order.index(name) if name in order else 0)
    values = [v.numpy() if isinstance(v, Tensor) else v for v in (start, limit, delta)]
    return Tensor._wrap(xp.arange(*values).astype(dtype))


def _range_dtype(value):
    if isinstance(value, Tensor) or isinstance(value, (numpy.ndarray, numpy.generic)):
        return numpy.dtype(value.dtype).name
    return backend.floatx() if isinstance(value, float) else "int32"


def linspace(start, stop, num, name=None, axis=0):
    """``num`` evenly spaced numbers from ``start`` to ``stop``, both included (``tf.linspace``).

    ``start`` and ``stop`` may be tensors: they broadcast together, and each pair gives
    one sequence, laid along the new axis ``axis`` of the result (the first by default,
    ``-1`` for the last). Floats keep their dtype; integers give floats as they divide
    (``int32`` and ``int64``: ``float64``). Differentiable in ``start`` and ``stop``.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.linspace(0.0, 1.0, 5).numpy()
    array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    >>> tf.linspace([0.0, 1.0], [1.0, 3.0], 3, axis=-1).numpy()
    array([[0. , 0.5, 1. ],
           [1. , 2. , 3. ]], dtype=float32)
    """
    from learnet.ops.math import _true_division_float, cast
    from learnet.ops.shape import broadcast_to, concat, expand_dims, reshape
    from learnet.tape import _convert_all

    start, stop = _convert_all([start, stop], "linspace")
    num = int(num.numpy() if isinstance(num, Tensor) else num)
    if num < 0:
        raise ValueError(f"linspace: num must not be negative, got {num}")
    dtype = start._value.dtype if start._value.dtype.kind in "fc" else _true_division_float(start._value.dtype)
    start, stop = cast(start, dtype), cast(stop, dtype)
    shape = numpy.broadcast_shapes(tuple(start.shape), tuple(stop.shape))
    if not -len(shape) - 1 <= int(axis) <= len(shape):
        raise InvalidArgumentError(
            None, None, f"linspace: axis {axis} is out of range for sequences of start and stop of shape {shape}"
        )
    axis = int(axis) % (len(shape) + 1)
    first = expand_dims(broadcast_to(start, shape), axis)
    last = expand_dims(broadcast_to(stop, shape), axis)
    if num <= 1:
        return first if num == 1 else Tensor._wrap(xp.zeros(shape[:axis] + (0,) + shape[axis:], dtype=dtype))
    # As TensorFlow: start + i * step for the first num - 1 entries, then stop itself exactly.
    steps = [1] * (len(shape) + 1)
    steps[axis] = num - 1
    counts = Tensor._wrap(xp.arange(num - 1, dtype=dtype).reshape(steps))
    step = (last - first) / Tensor._wrap(xp.asarray(num - 1, dtype=dtype))
    return concat([first + reshape(counts, steps) * step, last], axis=axis)


def eye(num_rows, num_columns=None, batch_shape=None, dtype="float32", name=None):
    """The identity matrix, ones on the diagonal (``tf.eye``); with ``batch_shape``, a batch
    of them of shape ``batch_shape + [num_rows, num_columns]``.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.eye(2, 3).numpy()
    array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    >>> tf.eye(2, batch_shape=[3]).shape
    TensorShape([3, 2, 2])
    """
    matrix = xp.eye(int(num_rows), None if num_columns is None else int(num_columns), dtype=_dtype(dtype))
    if batch_shape is None:
        return Tensor._wrap(matrix)
    if isinstance(batch_shape, (int, numpy.integer)) or (isinstance(batch_shape, Tensor) and batch_shape.ndim == 0):
        raise TypeError(f"eye: batch_shape must be a list of sizes, such as [{int(batch_shape)}], got {batch_shape!r}")
    batch = _shape(batch_shape)
    return Tensor._wrap(xp.broadcast_to(matrix, batch + matrix.shape).copy())
