"""``tf.dynamic_partition`` and ``tf.dynamic_stitch``: cut a tensor into groups and put groups back.

``dynamic_partition(data, partitions, n)`` sends each slice ``data[i]`` to the group
``partitions[i]`` and returns the ``n`` groups, each in its original order.
``dynamic_stitch(indices, data)`` is the way back: slice ``data[m][i]`` goes to row
``indices[m][i]`` of one merged tensor. The two together are the classic pattern of
treating some rows one way and the others another way, then merging them in order.

Both are built from differentiable learnet ops (a ``gather`` of rows, ``concat``,
``split`` and ``reshape``), so gradients flow back to ``data`` through gather's own
gradient, and to every order. The index bookkeeping (which row goes where) is done once
on integer arrays; it never needs a gradient.

Examples
--------
>>> import learnet as tf
>>> x = tf.constant([10.0, 20.0, 30.0, 40.0])
>>> parts = tf.dynamic_partition(x, [1, 0, 1, 0], num_partitions=2)
>>> [p.numpy().tolist() for p in parts]
[[20.0, 40.0], [10.0, 30.0]]
>>> tf.dynamic_stitch([[1, 3], [0, 2]], parts).numpy().tolist()
[10.0, 20.0, 30.0, 40.0]
"""

import numpy

from learnet import errors
from learnet.ops.creation import zeros
from learnet.ops.shape import concat, gather, reshape, split
from learnet.tensor import Tensor, convert_to_tensor

__all__ = ["dynamic_partition", "dynamic_stitch"]


def _integer_array(value, function, what):
    """``value`` (a tensor, array or nested list) as a NumPy integer array; anything else is refused."""
    array = numpy.asarray(value.numpy() if isinstance(value, Tensor) else value)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{function}: {what} must hold integers, got values of dtype {array.dtype}")
    return array.astype("int64")


def _common_dtype(data):
    """Python lists among ``data`` take the dtype of its tensors (or of its first float list), so
    ``[[1.0, 2.0], [3, 4]]`` is one float32 input, as TensorFlow converts a list of inputs."""
    reference = next((d.dtype for d in data if isinstance(d, Tensor)), None)
    if reference is None:
        converted = [convert_to_tensor(d) for d in data]
        reference = next((c.dtype for c in converted if c.dtype.kind == "f"), converted[0].dtype)
    return [d if isinstance(d, Tensor) else convert_to_tensor(d, dtype=reference) for d in data]


def _shape_text(shape):
    return "[" + ",".join(str(int(size)) for size in shape) + "]"


def dynamic_partition(data, partitions, num_partitions, name=None):
    """Split ``data`` into ``num_partitions`` tensors by the group ``partitions`` gives each slice.

    Parameters
    ----------
    data : Tensor
        The slices to share out; its shape starts with ``partitions``' shape.
    partitions : Tensor of ints
        The group of each slice, in ``[0, num_partitions)``; any rank (a prefix of
        ``data``'s shape). A scalar sends the whole of ``data`` to one group.
    num_partitions : int
        The number of groups (at least 1).
    name : str, optional
        Ignored (TensorFlow's graph name).

    Returns
    -------
    list of Tensor
        Group ``p`` holds the slices ``data[i]`` with ``partitions[i] == p``, in their order in
        ``data`` (row-major when ``partitions`` has several axes): shape
        ``[count of p] + data.shape[partitions.ndim:]``. Gradients flow back to ``data``.

    Raises
    ------
    InvalidArgumentError
        A partition outside ``[0, num_partitions)``, ``num_partitions < 1``, or ``data``
        whose shape does not start with ``partitions``' shape.
    TypeError
        ``partitions`` that are not integers.

    Examples
    --------
    >>> import learnet as tf
    >>> data = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> even, odd = tf.dynamic_partition(data, [0, 1, 0], num_partitions=2)
    >>> even.numpy().tolist(), odd.numpy().tolist()
    ([[1.0, 2.0], [5.0, 6.0]], [[3.0, 4.0]])
    """
    if isinstance(num_partitions, Tensor):
        num_partitions = num_partitions.numpy()
    if isinstance(num_partitions, (bool, numpy.bool_)) or not isinstance(num_partitions, (int, numpy.integer)):
        raise TypeError(f"dynamic_partition: num_partitions must be an int, got {num_partitions!r}")
    count = int(num_partitions)
    if count < 1:
        raise errors.InvalidArgumentError(
            None, None, f"dynamic_partition: num_partitions must be at least 1, got {count}"
        )
    data = data if isinstance(data, Tensor) else convert_to_tensor(data)
    ids = _integer_array(partitions, "dynamic_partition", "partitions")
    if tuple(data.shape[: ids.ndim]) != ids.shape:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"dynamic_partition: data.shape must start with partitions.shape, got data.shape = "
            f"{_shape_text(data.shape)}, partitions.shape = {_shape_text(ids.shape)}",
        )
    outside = (ids < 0) | (ids >= count)
    if outside.any():
        where = numpy.argwhere(outside)[0]
        position = ",".join(str(int(i)) for i in where)
        raise errors.InvalidArgumentError(
            None,
            None,
            f"dynamic_partition: partitions[{position}] = {int(ids[tuple(where)])} is not in [0, {count})",
        )
    flat_ids = ids.reshape(-1)
    rows = reshape(data, (flat_ids.size,) + tuple(data.shape[ids.ndim :]))
    # One stable sort puts the rows of each group together, in their order; split cuts the groups.
    order = numpy.argsort(flat_ids, kind="stable")
    sizes = numpy.bincount(flat_ids, minlength=count)
    grouped = gather(rows, convert_to_tensor(order, dtype="int64"))
    return list(split(grouped, [int(size) for size in sizes], axis=0))


def dynamic_stitch(indices, data, name=None):
    """Merge the slices of several tensors into one, each at the row its index names.

    ``merged[indices[m][i]] = data[m][i]``. Where an index appears more than once, the
    slice that comes last (in ``data``'s order, then row-major) wins, as in TensorFlow;
    rows no index names are zeros. The merged tensor has ``max(indices) + 1`` rows.

    Parameters
    ----------
    indices : list of Tensor of ints
        Non-negative row numbers, one tensor per entry of ``data``.
    data : list of Tensor
        Same dtype; ``data[m].shape`` starts with ``indices[m].shape``, and what follows
        (the shape of one slice) is the same for every ``m``.
    name : str, optional
        Ignored (TensorFlow's graph name).

    Returns
    -------
    Tensor
        Shape ``[max(indices) + 1] + slice shape``. Gradients flow to ``data``: each slice
        gets the gradient of the row it filled. A slice overwritten by a later one with the
        same index gets none, which is the true derivative (TensorFlow's own gradient gives
        it the row's gradient too); with distinct indices the two agree.

    Raises
    ------
    InvalidArgumentError
        A negative index, shapes that do not fit, mixed dtypes, or no tensors at all.
    ValueError
        ``indices`` and ``data`` of different lengths.
    TypeError
        ``indices`` that are not integers.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.dynamic_stitch([[0, 2], [1]], [tf.constant([1.0, 3.0]), tf.constant([2.0])]).numpy().tolist()
    [1.0, 2.0, 3.0]
    """
    if not isinstance(indices, (list, tuple)) or not isinstance(data, (list, tuple)):
        raise TypeError(
            f"dynamic_stitch expects a list of index tensors and a list of data tensors, got "
            f"{type(indices).__name__} and {type(data).__name__}"
        )
    if len(indices) != len(data):
        raise ValueError(
            f"dynamic_stitch: data has {len(data)} tensors but indices has {len(indices)}; they must pair up"
        )
    if not indices:
        raise errors.InvalidArgumentError(None, None, "dynamic_stitch needs at least one tensor to merge")
    ids = [_integer_array(value, "dynamic_stitch", f"indices[{m}]") for m, value in enumerate(indices)]
    data = _common_dtype(data)
    for m, (index, values) in enumerate(zip(ids, data)):
        if values.dtype != data[0].dtype:
            raise errors.InvalidArgumentError(
                None, None, f"dynamic_stitch: data[{m}] has dtype {values.dtype}, but data[0] has {data[0].dtype}"
            )
        if tuple(values.shape[: index.ndim]) != index.shape:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"dynamic_stitch: data[{m}].shape = {_shape_text(values.shape)} does not start with "
                f"indices[{m}].shape = {_shape_text(index.shape)}",
            )
        if (index < 0).any():
            raise errors.InvalidArgumentError(
                None, None, f"dynamic_stitch: indices[{m}] holds {int(index.min())}; indices must be >= 0"
            )
    slice_shape = tuple(data[0].shape[ids[0].ndim :])
    for m, (index, values) in enumerate(zip(ids, data)):
        if tuple(values.shape[index.ndim :]) != slice_shape:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"dynamic_stitch: need data[0].shape[{ids[0].ndim}:] = data[{m}].shape[{index.ndim}:], got "
                f"data[0].shape = {_shape_text(data[0].shape)}, data[{m}].shape = {_shape_text(values.shape)}, "
                f"indices[0].shape = {_shape_text(ids[0].shape)}, indices[{m}].shape = {_shape_text(index.shape)}",
            )
    targets = numpy.concatenate([index.reshape(-1) for index in ids])
    total = targets.size
    rows = int(targets.max()) + 1 if total else 0
    # The source of each merged row: the last position that names it (positions grow in data's
    # order, so the largest one wins); a row nobody names reads an extra row of zeros.
    source = numpy.full(rows, -1, dtype="int64")
    numpy.maximum.at(source, targets, numpy.arange(total, dtype="int64"))
    pieces = [reshape(values, (index.size,) + slice_shape) for index, values in zip(ids, data)]
    if (source < 0).any():
        source[source < 0] = total
        pieces.append(zeros((1,) + slice_shape, dtype=data[0].dtype))
    stacked = pieces[0] if len(pieces) == 1 else concat(pieces, axis=0)
    return gather(stacked, convert_to_tensor(source, dtype="int64"))
