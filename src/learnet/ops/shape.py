"""Ops that move elements around without changing them: reshape, transpose, slicing...

Their backward passes move the gradient back the way the elements came.
"""

import builtins

import numpy

from learnet import backend, errors
from learnet.backend import xp
from learnet.tape import no_gradient, primitive
from learnet.tensor import Tensor, Variable, _VariableSlice, to_array


def _shape_tuple(shape, name):
    if isinstance(shape, Tensor):
        shape = shape.numpy().tolist()
    if isinstance(shape, (int, numpy.integer)):
        shape = (shape,)
    try:
        return tuple(int(s) if s is not None else -1 for s in shape)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: a shape must be a sequence of ints, got {shape!r}") from None


@primitive(inputs=1)
def reshape(tensor, shape, name=None):
    """Give ``tensor`` a new shape with the same number of elements (``-1`` is inferred).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.reshape(tf.range(6), (2, 3)).numpy()
    array([[0, 1, 2],
           [3, 4, 5]], dtype=int32)
    """
    new_shape = _shape_tuple(shape, "reshape")
    old_shape = tensor.shape
    try:
        result = tensor.reshape(new_shape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {old_shape} ({tensor.size} elements) into shape {new_shape}"
        ) from None
    return result, lambda g, x, out: reshape(g, old_shape)


@primitive(inputs=1)
def transpose(a, perm=None, name=None):
    """Permute the axes (reverse them by default), as ``tf.transpose``."""
    if perm is None:
        perm = tuple(reversed(range(a.ndim)))
    perm = tuple(int(p) for p in perm)
    if sorted(p % a.ndim for p in perm) != list(range(a.ndim)) or len(perm) != a.ndim:
        raise ValueError(f"transpose: perm {perm} is not a permutation of the {a.ndim} axes")
    inverse = tuple(numpy.argsort([p % a.ndim for p in perm]))
    return xp.transpose(a, perm), lambda g, x, out: transpose(g, inverse)


@primitive(inputs=1)
def expand_dims(input, axis, name=None):  # noqa: A002 - TensorFlow's name
    """Insert an axis of size 1 at ``axis``."""
    if not -input.ndim - 1 <= axis <= input.ndim:
        raise ValueError(f"expand_dims: axis {axis} is out of range for a tensor of rank {input.ndim}")
    shape = input.shape
    return xp.expand_dims(input, axis), lambda g, x, out: reshape(g, shape)


@primitive(inputs=1)
def squeeze(input, axis=None, name=None):  # noqa: A002 - TensorFlow's name
    """Remove axes of size 1 (all of them, or those in ``axis``)."""
    shape = input.shape
    if axis is not None:
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        for a in axes:
            if not -input.ndim <= a < input.ndim or shape[a] != 1:
                raise ValueError(f"squeeze: cannot squeeze axis {a} of a tensor of shape {shape}")
        axis = axes
    return xp.squeeze(input, axis=axis), lambda g, x, out: reshape(g, shape)


@primitive(variadic=True)
def concat(values, axis):
    """Join tensors along an existing ``axis``."""
    if not values:
        raise ValueError("concat needs at least one tensor")
    try:
        result = xp.concatenate(values, axis=axis)
    except (ValueError, numpy.exceptions.AxisError) as error:
        shapes = [tuple(v.shape) for v in values]
        raise ValueError(f"concat along axis {axis}: shapes {shapes} do not fit ({error})") from None
    sizes = [v.shape[axis] for v in values]
    ndim = values[0].ndim

    def backward(g, *args):
        index = [builtins.slice(None)] * ndim
        grads, start = [], 0
        for size in sizes:
            index[axis] = builtins.slice(start, start + size)
            grads.append(g[tuple(index)])
            start += size
        return tuple(grads)

    return result, backward


@primitive(variadic=True)
def stack(values, axis=0, name=None):
    """Join tensors of the same shape along a new ``axis``."""
    if not values:
        raise ValueError("stack needs at least one tensor")
    shapes = {tuple(v.shape) for v in values}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    return xp.stack(values, axis=axis), lambda g, *args: tuple(unstack(g, axis=axis))


def unstack(value, num=None, axis=0, name=None):
    """Split a tensor into a list of tensors along ``axis`` (the inverse of ``stack``)."""
    if not isinstance(value, Tensor):
        value = Tensor(value)
    axis = axis % value.ndim
    index = [builtins.slice(None)] * value.ndim
    parts = []
    for i in range(value.shape[axis]):
        index[axis] = i
        parts.append(value[tuple(index)])
    return parts


def split(value, num_or_size_splits, axis=0, name=None):
    """Split a tensor into pieces along ``axis``: ``n`` equal pieces, or pieces of given sizes."""
    if not isinstance(value, Tensor):
        value = Tensor(value)
    length = value.shape[axis]
    if isinstance(num_or_size_splits, int):
        if length % num_or_size_splits:
            raise ValueError(f"split: axis of size {length} cannot be split into {num_or_size_splits} equal pieces")
        sizes = [length // num_or_size_splits] * num_or_size_splits
    else:
        sizes = [int(s) for s in num_or_size_splits]
        if builtins.sum(sizes) != length:
            raise ValueError(f"split: sizes {sizes} do not add up to the axis size {length}")
    index = [builtins.slice(None)] * value.ndim
    pieces, start = [], 0
    for size in sizes:
        index[axis] = builtins.slice(start, start + size)
        pieces.append(value[tuple(index)])
        start += size
    return pieces


@primitive(inputs=1)
def broadcast_to(input, shape, name=None):  # noqa: A002 - TensorFlow's name
    """Broadcast ``input`` to ``shape``; the gradient is summed back."""
    from learnet.ops.math import unbroadcast

    shape = _shape_tuple(shape, "broadcast_to")
    try:
        result = xp.broadcast_to(input, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {input.shape} to {shape}") from None
    return result, lambda g, x, out: unbroadcast(g, x.shape)


@primitive(inputs=1)
def tile(input, multiples):  # noqa: A002 - TensorFlow's name
    """Repeat ``input`` ``multiples[i]`` times along axis ``i``."""
    from learnet.ops.reduce import reduce_sum

    multiples = _shape_tuple(multiples, "tile")
    if len(multiples) != input.ndim:
        raise ValueError(f"tile: multiples {multiples} need one entry per axis of shape {input.shape}")
    shape = input.shape

    def backward(g, x, out):
        # Split each axis into (repeat, size) and sum the repeats away.
        split_shape = []
        for m, s in zip(multiples, shape):
            split_shape += [m, s]
        return reduce_sum(reshape(g, split_shape), axis=tuple(range(0, 2 * len(shape), 2)))

    return xp.tile(input, multiples), backward


@primitive(inputs=1)
def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """Pad with ``paddings[i] = (before, after)`` along each axis (mode CONSTANT, REFLECT or SYMMETRIC)."""
    paddings = [
        tuple(int(v) for v in p) for p in (paddings.numpy().tolist() if isinstance(paddings, Tensor) else paddings)
    ]
    if len(paddings) != tensor.ndim:
        raise ValueError(f"pad: paddings need one (before, after) pair per axis of shape {tensor.shape}")
    mode = mode.upper()
    if mode == "CONSTANT":
        result = xp.pad(tensor, paddings, mode="constant", constant_values=constant_values)
    elif mode in ("REFLECT", "SYMMETRIC"):
        result = xp.pad(tensor, paddings, mode=mode.lower())
    else:
        raise ValueError(f"pad: mode must be CONSTANT, REFLECT or SYMMETRIC, got {mode!r}")
    shape = tensor.shape

    def backward(g, x, out):
        if mode != "CONSTANT":
            raise NotImplementedError("the gradient of pad is implemented for mode CONSTANT only")
        index = tuple(builtins.slice(b, b + size) for (b, _), size in zip(paddings, shape))
        return g[index]

    return result, backward


# --- indexing -------------------------------------------------------------------------
def _index_key(key):
    """Turn tensors inside an index into arrays."""
    if isinstance(key, tuple):
        return tuple(_index_key(k) for k in key)
    if isinstance(key, Tensor):
        return key._value
    if isinstance(key, list):
        return xp.asarray(key)
    return key


def _is_basic(key):
    items = key if isinstance(key, tuple) else (key,)
    return all(isinstance(k, (int, numpy.integer, builtins.slice)) or k is None or k is Ellipsis for k in items)


@primitive(inputs=1)
def _getitem(x, key):
    shape, dtype = x.shape, x.dtype
    try:
        result = x[key]
    except IndexError as error:
        raise IndexError(f"index {key!r} is out of range for a tensor of shape {shape}: {error}") from None
    return xp.asarray(result, dtype=dtype), lambda g, x, out: _scatter(g, key, shape)


@primitive(inputs=1)
def _scatter(g, key, shape):
    """Place ``g`` at ``key`` in zeros of ``shape`` (the backward of indexing)."""
    result = xp.zeros(shape, dtype=g.dtype)
    if _is_basic(key):
        result[key] = g
    elif not _add_rows(result, key, g):
        backend.scatter_add(result, key, g)  # integer arrays may repeat an index: add, not overwrite
    return result, lambda g2, g_, out: _getitem(g2, key)


def _add_rows(result, key, g):
    """``result[rows] += g`` for repeated ``rows`` (an embedding's gradient), faster than ``add.at``.

    Each column is summed per distinct row by one ``bincount`` (in float64): three times
    faster than ``numpy.add.at`` for a batch of token ids. Returns False, doing nothing,
    where it does not pay (few rows per column) or does not apply.
    """
    if len(key) != 1 or xp is not numpy or result.dtype.kind != "f":
        return False
    rows = key[0]
    if not isinstance(rows, numpy.ndarray) or rows.dtype.kind not in "iu" or g.shape != rows.shape + result.shape[1:]:
        return False
    columns = int(numpy.prod(result.shape[1:]))
    if rows.size < 8 * columns:
        return False
    rows = rows.ravel()
    if rows.min() < 0:
        rows = numpy.where(rows < 0, rows + result.shape[0], rows)
    if result.shape[0] <= 2 * rows.size:  # count into every row of the table
        distinct, position, bins = builtins.slice(None), rows, result.shape[0]
    else:  # a large table: count into the distinct rows only
        distinct, position = numpy.unique(rows, return_inverse=True)
        bins = distinct.size
    per_column = numpy.ascontiguousarray(g.reshape(rows.size, columns).T)
    sums = numpy.empty((columns, bins), dtype=result.dtype)
    for column in range(columns):
        sums[column] = numpy.bincount(position, weights=per_column[column], minlength=bins)
    result.reshape(result.shape[0], columns)[distinct] = sums.T
    return True


def getitem(tensor, key):
    """``tensor[key]`` with NumPy's basic and integer-array indexing, differentiable."""
    key = _index_key(key)
    result = _getitem(tensor, key)
    if isinstance(tensor, Variable):
        result.__class__ = _VariableSlice
        result._slice_of = (tensor, key)
    return result


def slice(input_, begin, size, name=None):  # noqa: A001 - TensorFlow's name
    """The block of ``input_`` that starts at ``begin`` and spans ``size`` (``tf.slice``).

    ``size[i] == -1`` takes everything from ``begin[i]`` to the end of axis ``i``.
    Differentiable: the gradient flows back into the block.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.slice(tf.constant([[1, 2, 3], [4, 5, 6]]), begin=[0, 1], size=[2, 2]).numpy()
    array([[2, 3],
           [5, 6]], dtype=int32)
    """
    if not isinstance(input_, Tensor):
        input_ = Tensor(input_)
    begin, size = _shape_tuple(begin, "slice"), _shape_tuple(size, "slice")
    shape = tuple(input_.shape)
    if len(begin) != len(shape) or len(size) != len(shape):
        raise ValueError(f"slice: begin {begin} and size {size} need one entry per axis of shape {shape}")
    key = []
    for axis, (start, length, extent) in enumerate(zip(begin, size, shape)):
        stop = extent if length == -1 else start + length
        if start < 0 or length < -1 or stop > extent:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"slice: begin {start} and size {length} do not fit axis {axis} of size {extent} (shape {shape})",
            )
        key.append(builtins.slice(start, stop))
    return getitem(input_, tuple(key))


def reverse(tensor, axis, name=None):
    """``tensor`` with the order of entries reversed along each axis in ``axis`` (``tf.reverse``).

    Differentiable (the gradient is reversed back). Negative axes count from the end.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.reverse(tf.constant([[1, 2, 3], [4, 5, 6]]), axis=[1]).numpy().tolist()
    [[3, 2, 1], [6, 5, 4]]
    """
    if not isinstance(tensor, Tensor):
        tensor = Tensor(tensor)
    if isinstance(axis, Tensor):
        axis = axis.numpy().tolist()
    axes = [axis] if isinstance(axis, (int, numpy.integer)) else list(axis)
    key = [builtins.slice(None)] * tensor.ndim
    for a in axes:
        a = int(a)
        if not -tensor.ndim <= a < tensor.ndim:
            raise ValueError(f"reverse: axis {a} is out of range for a tensor of rank {tensor.ndim}")
        if key[a % tensor.ndim] != builtins.slice(None):
            raise ValueError(f"reverse: axis {a} is given twice in {axes}")
        key[a % tensor.ndim] = builtins.slice(None, None, -1)
    return getitem(tensor, tuple(key))


def roll(input, shift, axis, name=None):  # noqa: A002 - TensorFlow's name
    """``input`` with its entries moved ``shift`` places along ``axis``, those pushed off one end
    coming back at the other (``tf.roll``); differentiable.

    ``shift`` and ``axis`` are ints or equal-length lists (tensors too); shifts along one
    axis given twice add up, as in TensorFlow.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.roll([0, 1, 2, 3, 4], shift=2, axis=0).numpy().tolist()
    [3, 4, 0, 1, 2]
    >>> tf.roll([[0, 1, 2], [3, 4, 5]], shift=[1, -1], axis=[0, 1]).numpy().tolist()
    [[4, 5, 3], [1, 2, 0]]
    """
    tensor = input if isinstance(input, Tensor) else Tensor(input)
    shifts = numpy.atleast_1d(backend.to_numpy(to_array(shift))).astype(numpy.int64)
    axes = numpy.atleast_1d(backend.to_numpy(to_array(axis))).astype(numpy.int64)
    if shifts.ndim != 1 or shifts.shape != axes.shape:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"roll: shift and axis must be ints or lists of one length, got shift {shifts.tolist()} and axis {axes.tolist()}",
        )
    total = {}
    for move, a in zip(shifts.tolist(), axes.tolist()):
        if not -tensor.ndim <= a < tensor.ndim:
            raise errors.InvalidArgumentError(
                None, None, f"roll: axis {a} is out of range for a tensor of rank {tensor.ndim}"
            )
        total[a % tensor.ndim] = total.get(a % tensor.ndim, 0) + move
    for a, move in total.items():
        size = tensor.shape[a]
        if size and move % size:
            tensor = gather(tensor, (numpy.arange(size) - move) % size, axis=a)
    return tensor


def _added_along_axis(g, indices, axis, shape):
    """Zeros of ``shape`` with ``g`` added at ``indices`` along ``axis`` (repeats add up): the
    reverse of ``take_along_axis``."""
    grad = xp.zeros(shape, dtype=g.dtype)
    full = xp.broadcast_to(indices, g.shape) if indices.shape != g.shape else indices
    dims = list(xp.ix_(*[xp.arange(s) for s in g.shape]))
    dims[axis] = full
    backend.scatter_add(grad, tuple(dims), g)
    return grad


@primitive(inputs=2, higher_order=False)
def take_along_axis(x, indices, axis):
    """``x`` picked at ``indices`` along ``axis``, as NumPy's ``take_along_axis``; the gradient
    goes back to the entries picked (added up where one is picked twice)."""

    def backward(g, x, indices, out):
        return _added_along_axis(g, indices, axis, x.shape), None

    def higher_order_backward(g, x, indices, out):  # the same as an op (see primitive), differentiable
        return add_along_axis(g, indices, axis, tuple(x.shape)), None

    backward.higher_order_backward = higher_order_backward
    return xp.take_along_axis(x, indices, axis=axis), backward


@primitive(inputs=2, higher_order=False)
def add_along_axis(values, indices, axis, shape):
    """Zeros of ``shape`` with ``values`` added at ``indices`` along ``axis`` (repeats add up):
    the gradient of ``take_along_axis``, whose own gradient is ``take_along_axis`` again."""

    def backward(g, values, indices, out):
        return xp.take_along_axis(g, xp.broadcast_to(indices, values.shape), axis=axis), None

    def higher_order_backward(g, values, indices, out):
        return take_along_axis(g, Tensor._wrap(xp.broadcast_to(to_array(indices), values.shape)), axis=axis), None

    backward.higher_order_backward = higher_order_backward
    return _added_along_axis(values, indices, axis, shape), backward


@no_gradient
def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """The indices that sort ``values`` along ``axis`` (``tf.argsort``), as int32.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.argsort([3.0, 1.0, 2.0]).numpy().tolist(), tf.argsort([3.0, 1.0, 2.0], direction="DESCENDING").numpy().tolist()
    ([1, 2, 0], [0, 2, 1])
    """
    values = values if isinstance(values, Tensor) else Tensor(values)
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"argsort: direction must be 'ASCENDING' or 'DESCENDING', got {direction!r}")
    if values.ndim == 0 or not -values.ndim <= int(axis) < values.ndim:
        raise ValueError(f"argsort: axis {axis} is out of range for a tensor of rank {values.ndim}")
    array = values._value
    if direction == "DESCENDING":  # stable among equals, as TensorFlow's descending order
        order = xp.flip(xp.argsort(xp.flip(array, axis=axis), axis=axis, kind="stable"), axis=axis)
        order = array.shape[axis] - 1 - order
    else:
        order = xp.argsort(array, axis=axis, kind="stable")
    return Tensor._wrap(order.astype("int32"))


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """``values`` sorted along ``axis`` (``tf.sort``); differentiable, the gradient follows each value.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.sort([3.0, 1.0, 2.0], direction="DESCENDING").numpy().tolist()
    [3.0, 2.0, 1.0]
    """
    from learnet.ops.math import cast

    values = values if isinstance(values, Tensor) else Tensor(values)
    order = argsort(values, axis=axis, direction=direction)
    return take_along_axis(values, cast(order, "int64"), int(axis) % values.ndim)


def boolean_mask(tensor, mask, axis=None, name=None):
    """The entries of ``tensor`` where ``mask`` is True (``tf.boolean_mask``), differentiable.

    ``mask`` covers the axes ``axis, axis + 1, ...`` of ``tensor`` (0 by default); they
    become one axis holding the kept entries, in order.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.boolean_mask(tf.constant([[1, 2], [3, 4], [5, 6]]), [True, False, True]).numpy().tolist()
    [[1, 2], [5, 6]]
    """
    tensor = tensor if isinstance(tensor, Tensor) else Tensor(tensor)
    mask_array = numpy.asarray(backend.to_numpy(to_array(mask)))
    if mask_array.dtype != bool:
        raise TypeError(f"boolean_mask: the mask must be boolean, got {mask_array.dtype}")
    axis = 0 if axis is None else int(axis) % max(tensor.ndim, 1)
    k = mask_array.ndim
    shape = tuple(tensor.shape)
    if k == 0 or shape[axis : axis + k] != mask_array.shape:
        raise ValueError(
            f"boolean_mask: a mask of shape {mask_array.shape} does not cover axes {axis}.. of a tensor of shape {shape}"
        )
    flat = reshape(tensor, list(shape[:axis]) + [-1] + list(shape[axis + k :]))
    positions = Tensor._wrap(xp.asarray(numpy.flatnonzero(mask_array)))
    return gather(flat, positions, axis=axis)


def meshgrid(*args, indexing="xy", name=None):
    """Coordinate grids from 1-D coordinate vectors (``tf.meshgrid``), differentiable.

    With ``indexing="xy"`` (the default) the first two output axes are swapped, as in
    NumPy and TensorFlow; ``"ij"`` keeps matrix order.

    Examples
    --------
    >>> import learnet as tf
    >>> X, Y = tf.meshgrid(tf.constant([1, 2, 3]), tf.constant([10, 20]))
    >>> X.numpy().tolist(), Y.numpy().tolist()
    ([[1, 2, 3], [1, 2, 3]], [[10, 10, 10], [20, 20, 20]])
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    vectors = [reshape(v if isinstance(v, Tensor) else Tensor(v), [-1]) for v in args]
    sizes = [int(v.shape[0]) for v in vectors]
    if indexing == "xy" and len(vectors) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for axis, vector in enumerate(vectors):
        if indexing == "xy" and len(vectors) >= 2 and axis < 2:
            axis = 1 - axis
        shape = [1] * len(vectors)
        shape[axis] = sizes[axis]
        grids.append(broadcast_to(reshape(vector, shape), sizes))
    return grids


@primitive(inputs=2)
def _gather(params, indices, axis):
    shape = params.shape
    if indices.dtype.kind not in "iu":
        raise TypeError(f"gather: indices must be integers, got {indices.dtype}")
    if backend.on_host(indices) and indices.size and (indices.max() >= shape[axis] or indices.min() < -shape[axis]):
        raise errors.IndexOutOfRangeError(
            None, None, f"gather: an index is out of range for axis {axis} of size {shape[axis]}"
        )

    def backward(g, params, indices, out):
        key = (builtins.slice(None),) * axis + (indices._value,)
        return _scatter(g, key, shape), None

    return xp.take(params, indices, axis=axis), backward


def repeat(input, repeats, axis=None, name=None):  # noqa: A002 - TensorFlow's name
    """Each entry of ``input`` repeated ``repeats`` times along ``axis`` (``tf.repeat``), differentiable.

    ``repeats`` is one count for every entry or one count per entry along ``axis``;
    without ``axis`` the input is flattened first.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.repeat([[1, 2], [3, 4]], repeats=[1, 2], axis=0).numpy()
    array([[1, 2],
           [3, 4],
           [3, 4]], dtype=int32)
    >>> tf.repeat([1, 2], 2).numpy()
    array([1, 1, 2, 2], dtype=int32)
    """
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if axis is None:
        input, axis = reshape(input, [-1]), 0
    axis = int(axis)
    if not -input.ndim <= axis < input.ndim:
        raise ValueError(f"repeat: axis {axis} is out of range for a tensor of rank {input.ndim}")
    counts = numpy.asarray(repeats.numpy() if isinstance(repeats, Tensor) else repeats)
    size = input.shape[axis]
    if counts.dtype.kind not in "iu" or counts.ndim > 1 or (counts.ndim == 1 and counts.shape[0] not in (1, size)):
        raise ValueError(
            f"repeat: repeats must be an int or {size} ints (one per entry along axis {axis}), got {repeats!r}"
        )
    if (counts < 0).any():
        raise ValueError(f"repeat: repeats must not be negative, got {repeats!r}")
    index = numpy.repeat(numpy.arange(size), counts.reshape(-1) if counts.ndim else int(counts))
    return gather(input, index, axis=axis % input.ndim)


def gather(params, indices, axis=0, name=None):
    """Take slices of ``params`` along ``axis`` at ``indices`` (``tf.gather``)."""
    if not isinstance(params, Tensor):
        params = Tensor(params)
    indices = Tensor._wrap(to_array(indices)) if not isinstance(indices, Tensor) else indices
    return _gather(params, indices, axis % params.ndim)


@no_gradient(inputs=1)
def one_hot(indices, depth, on_value=1.0, off_value=0.0, axis=-1, dtype="float32", name=None):
    """One-hot vectors: ``depth`` entries, ``on_value`` at each index (no gradient).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.one_hot([0, 2], depth=3).numpy()
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    indices = to_array(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"one_hot: indices must be integers, got {indices.dtype}")
    depth = int(depth)
    eye = xp.arange(depth)
    hot = indices[..., None] == eye
    result = xp.where(hot, on_value, off_value).astype(dtype)
    if axis != -1:
        result = xp.moveaxis(result, -1, axis)
    return Tensor._wrap(result)
