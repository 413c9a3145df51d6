"""Indexing by coordinates: ``tf.gather_nd``, ``tf.scatter_nd``, ``tf.tensor_scatter_nd_update``
/ ``_add`` / ``_sub`` / ``_min`` / ``_max``, and the ``Variable.scatter_nd_update`` family that updates in place.

``indices`` has one row of coordinates per update (its last axis indexes the leading
axes of the tensor); ``updates`` holds what goes there. The functions that return a new
tensor are differentiable in the tensor and the updates.

Examples
--------
>>> import learnet as tf
>>> v = tf.Variable([1.0, 2.0, 3.0, 4.0])
>>> _ = v.scatter_nd_update([[0], [3]], [10.0, 40.0])
>>> v.numpy().tolist()
[10.0, 2.0, 3.0, 40.0]
"""

import importlib

import numpy

from learnet import errors

from learnet.backend import xp
from learnet.ops import shape as _shape_ops
from learnet.tape import primitive
from learnet.tensor import Tensor, Variable, convert_to_tensor

_ops = importlib.import_module("learnet.ops")

__all__ = [
    "gather_nd",
    "scatter_nd",
    "tensor_scatter_nd_add",
    "tensor_scatter_nd_max",
    "tensor_scatter_nd_min",
    "tensor_scatter_nd_sub",
    "tensor_scatter_nd_update",
]


def _indices(indices, shape, what):
    array = numpy.asarray(indices.numpy() if isinstance(indices, Tensor) else indices)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{what}: indices must be integers, got {array.dtype}")
    if array.ndim == 0 or array.shape[-1] > len(shape):
        raise ValueError(f"{what}: indices of shape {array.shape} do not index a tensor of shape {tuple(shape)}")
    depth = array.shape[-1]
    rows = array.reshape(-1, depth)
    if rows.size and ((rows < 0).any() or (rows >= numpy.asarray(shape[:depth])).any()):
        raise errors.IndexOutOfRangeError(None, None, f"{what}: an index is out of range for shape {tuple(shape)}")
    return array, rows, depth


def _flat_positions(rows, shape, depth):
    """Row-major positions of the indexed slices in ``reshape(tensor, [-1, slice_size])``."""
    if rows.size == 0:
        return numpy.zeros(0, dtype="int64")
    return numpy.ravel_multi_index(tuple(rows.T), tuple(shape[:depth])).astype("int64")


def gather_nd(params, indices, batch_dims=0, name=None):
    """The slices of ``params`` at the coordinates in ``indices`` (``tf.gather_nd``; see
    ``learnet.ops.shape.gather_nd``, which this is)."""
    return _shape_ops.gather_nd(params, indices, batch_dims=batch_dims)


@primitive(inputs=1)
def _add_rows(values, positions, count):
    """``values`` (one row per update) added into ``count`` zero rows at ``positions`` (repeats add up)."""
    out = xp.zeros((count,) + tuple(values.shape[1:]), dtype=values.dtype)
    xp.add.at(out, xp.asarray(positions), values)
    return out, lambda g, values, out: _ops.gather(g, convert_to_tensor(positions, dtype="int64"))


def _scattered(rows, updates, shape, depth, what):
    """The updates summed into a zero tensor of ``shape`` (differentiable), and the touched mask."""
    slice_shape = tuple(shape[depth:])
    count = int(numpy.prod(shape[:depth]))
    updates = updates if isinstance(updates, Tensor) else convert_to_tensor(updates)
    expected = (len(rows),) + slice_shape
    if int(numpy.prod(updates.shape)) != int(numpy.prod(expected)):
        raise ValueError(
            f"{what}: updates of shape {tuple(updates.shape)} do not fit {len(rows)} slices of shape {slice_shape}"
        )
    positions = _flat_positions(rows, shape, depth)
    values = _ops.reshape(updates, [len(rows), -1])
    if updates.dtype.kind == "f":
        summed = _ops.reshape(_add_rows(values, positions, count), list(shape))
    else:  # integers add up too; text (no sum) takes the last update at each place
        array = numpy.asarray(values.numpy())
        out = numpy.zeros((count, array.shape[1]), dtype=array.dtype) if array.dtype.kind != "O" else None
        if out is None:
            out = numpy.full((count, array.shape[1]), b"", dtype=object)
            out[positions] = array
        else:
            numpy.add.at(out, positions, array)
        summed = Tensor(out.reshape(shape)) if out.dtype == object else Tensor._wrap(out.reshape(shape))
    touched = numpy.zeros(count, dtype=bool)
    touched[positions] = True
    mask = numpy.broadcast_to(touched.reshape(tuple(shape[:depth]) + (1,) * len(slice_shape)), tuple(shape))
    return summed, convert_to_tensor(numpy.ascontiguousarray(mask))


def scatter_nd(indices, updates, shape, name=None):
    """A zero tensor of ``shape`` with ``updates`` added at ``indices`` (repeats add up)."""
    shape = tuple(int(s) for s in (shape.numpy() if isinstance(shape, Tensor) else shape))
    _, rows, depth = _indices(indices, shape, "scatter_nd")
    return _scattered(rows, updates, shape, depth, "scatter_nd")[0]


def tensor_scatter_nd_update(tensor, indices, updates, name=None):
    """``tensor`` with the slices at ``indices`` replaced by ``updates``."""
    tensor = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor)
    _, rows, depth = _indices(indices, tensor.shape, "tensor_scatter_nd_update")
    summed, mask = _scattered(
        rows, _ops.cast(convert_to_tensor(updates), tensor.dtype), tensor.shape, depth, "tensor_scatter_nd_update"
    )
    return _ops.where(mask, summed, tensor)


def tensor_scatter_nd_add(tensor, indices, updates, name=None):
    """``tensor`` with ``updates`` added at ``indices``."""
    tensor = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor)
    _, rows, depth = _indices(indices, tensor.shape, "tensor_scatter_nd_add")
    return (
        tensor
        + _scattered(
            rows, _ops.cast(convert_to_tensor(updates), tensor.dtype), tensor.shape, depth, "tensor_scatter_nd_add"
        )[0]
    )


def tensor_scatter_nd_sub(tensor, indices, updates, name=None):
    """``tensor`` with ``updates`` subtracted at ``indices``."""
    return tensor_scatter_nd_add(tensor, indices, -convert_to_tensor(updates), name)


@primitive(inputs=2, higher_order=False)
def _tensor_scatter_nd_min_max(table, values, positions, kind):
    """``table`` (one row per slice) with each row at ``positions`` replaced by its elementwise
    ``kind`` ("min" or "max") with the matching row of ``values`` (repeats all take part)."""
    combine = xp.minimum if kind == "min" else xp.maximum
    out = table.copy()
    at = xp.asarray(positions)
    combine.at(out, at, values)

    def backward(g, table, values, out):
        # Each result goes back to whatever held it: the tensor, or the updates equal to it.
        from_table = g * (out == table)
        from_values = g[at] * (values == out[at])
        return from_table, from_values

    def higher_order_backward(g, table, values, out):  # the same with learnet ops (see primitive)
        held = _ops.cast(_ops.equal(out, table), g.dtype)
        taken = _ops.cast(_ops.equal(values, _ops.gather(out, at)), g.dtype)
        return g * held, _ops.gather(g, at) * taken

    backward.higher_order_backward = higher_order_backward
    return out, backward


def _tensor_scatter_nd_extreme(tensor, indices, updates, kind):
    what = f"tensor_scatter_nd_{kind}"
    tensor = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor)
    _, rows, depth = _indices(indices, tensor.shape, what)
    shape = tuple(tensor.shape)
    slice_shape = shape[depth:]
    updates = _ops.cast(convert_to_tensor(updates), tensor.dtype)
    expected = (len(rows),) + slice_shape
    if int(numpy.prod(updates.shape)) != int(numpy.prod(expected)):
        raise ValueError(
            f"{what}: updates of shape {tuple(updates.shape)} do not fit {len(rows)} slices of shape {slice_shape}"
        )
    table = _ops.reshape(tensor, [int(numpy.prod(shape[:depth])), -1])
    values = _ops.reshape(updates, [len(rows), -1])
    return _ops.reshape(
        _tensor_scatter_nd_min_max(table, values, _flat_positions(rows, shape, depth), kind), list(shape)
    )


def tensor_scatter_nd_min(tensor, indices, updates, name=None):
    """``tensor`` where each slice at ``indices`` keeps the smaller of itself and its update.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.tensor_scatter_nd_min(tf.constant([3, 3, 3]), [[0], [2]], [1, 5]).numpy().tolist()
    [1, 3, 3]
    """
    return _tensor_scatter_nd_extreme(tensor, indices, updates, "min")


def tensor_scatter_nd_max(tensor, indices, updates, name=None):
    """``tensor`` where each slice at ``indices`` keeps the larger of itself and its update.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.tensor_scatter_nd_max(tf.constant([3, 3, 3]), [[0], [2]], [1, 5]).numpy().tolist()
    [3, 3, 5]
    """
    return _tensor_scatter_nd_extreme(tensor, indices, updates, "max")


# --- in-place updates of variables (tf.Variable methods) ----------------------------------------------
def _variable_scatter_nd_update(self, indices, updates, name=None):
    """Set the slices at ``indices`` to ``updates``, in place; returns the variable."""
    self.assign(tensor_scatter_nd_update(convert_to_tensor(self.numpy()), indices, updates))
    return self


def _variable_scatter_nd_add(self, indices, updates, name=None):
    """Add ``updates`` at ``indices``, in place."""
    self.assign(tensor_scatter_nd_add(convert_to_tensor(self.numpy()), indices, updates))
    return self


def _variable_scatter_nd_sub(self, indices, updates, name=None):
    """Subtract ``updates`` at ``indices``, in place."""
    self.assign(tensor_scatter_nd_sub(convert_to_tensor(self.numpy()), indices, updates))
    return self


def _rows_of(sparse_delta):
    indices = numpy.asarray(sparse_delta.indices.numpy()).reshape(-1, 1)
    return indices, sparse_delta.values


def _variable_scatter_update(self, sparse_delta, use_locking=False, name=None):
    """Set the rows ``sparse_delta.indices`` to ``sparse_delta.values`` (an ``IndexedSlices``)."""
    return _variable_scatter_nd_update(self, *_rows_of(sparse_delta))


def _variable_scatter_add(self, sparse_delta, use_locking=False, name=None):
    """Add ``sparse_delta.values`` to the rows ``sparse_delta.indices``."""
    return _variable_scatter_nd_add(self, *_rows_of(sparse_delta))


def _variable_scatter_sub(self, sparse_delta, use_locking=False, name=None):
    """Subtract ``sparse_delta.values`` from the rows ``sparse_delta.indices``."""
    return _variable_scatter_nd_sub(self, *_rows_of(sparse_delta))


def attach_variable_methods():
    """Give ``Variable`` TensorFlow's scatter methods (as the ops floor gives ``Tensor`` its operators)."""
    Variable.scatter_nd_update = _variable_scatter_nd_update
    Variable.scatter_nd_add = _variable_scatter_nd_add
    Variable.scatter_nd_sub = _variable_scatter_nd_sub
    Variable.scatter_update = _variable_scatter_update
    Variable.scatter_add = _variable_scatter_add
    Variable.scatter_sub = _variable_scatter_sub


attach_variable_methods()
