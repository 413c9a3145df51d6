"""Ops that create tensors from nothing but a shape or a range (no gradients)."""

import builtins

import numpy

from learnet import backend
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
        is_float = builtins.any(isinstance(v, float) for v in (start, limit, delta))
        dtype = backend.floatx() if is_float else "int32"
    return Tensor._wrap(xp.arange(start, limit, delta).astype(dtype))


def linspace(start, stop, num, name=None):
    """``num`` evenly spaced numbers from ``start`` to ``stop`` (inclusive)."""
    return Tensor._wrap(xp.linspace(start, stop, int(num)).astype(backend.floatx()))


def eye(num_rows, num_columns=None, dtype="float32", name=None):
    """The identity matrix (ones on the diagonal)."""
    return Tensor._wrap(xp.eye(int(num_rows), None if num_columns is None else int(num_columns), dtype=_dtype(dtype)))
