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


@primitive(inputs=1, complex_aware=True)
def transpose(a, perm=None, conjugate=False, name=None):
    """Permute the axes (reverse them by default), as ``tf.transpose``.

    With ``conjugate=True`` a complex tensor is also conjugated (its conjugate transpose,
    ``tf.linalg.adjoint`` for matrices); a real one is only transposed.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.transpose(tf.constant([[1, 2, 3]])).numpy().tolist()
    [[1], [2], [3]]
    >>> tf.transpose(tf.constant([[1 + 2j, 3 - 1j]]), conjugate=True).numpy().tolist()
    [[(1-2j)], [(3+1j)]]
    """
    if perm is None:
        perm = tuple(reversed(range(a.ndim)))
    perm = tuple(int(p) for p in perm)
    if sorted(p % a.ndim for p in perm) != list(range(a.ndim)) or len(perm) != a.ndim:
        raise ValueError(f"transpose: perm {perm} is not a permutation of the {a.ndim} axes")
    inverse = tuple(numpy.argsort([p % a.ndim for p in perm]))
    conjugate = bool(conjugate) and a.dtype.kind == "c"
    result = xp.transpose(a, perm)
    # The gradient follows TensorFlow's rule for complex numbers as it stands (complex_aware):
    # a transpose sends g back transposed, a conjugation sends back conj(g).
    return (xp.conj(result) if conjugate else result), lambda g, x, out: transpose(g, inverse, conjugate=conjugate)


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


@primitive(variadic=True, single_as_list=True)
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


def split(value, num_or_size_splits, axis=0, num=None, name=None):
    """Split a tensor into pieces along ``axis``: ``n`` equal pieces, or pieces of given sizes.

    Parameters
    ----------
    value : Tensor
        The tensor to split.
    num_or_size_splits : int or list of ints
        A number of equal pieces, or the size of each piece; one size may be ``-1``, the
        rest of the axis.
    axis : int, default 0
        The axis to split along.
    num : int, optional
        The number of pieces of a list of sizes, as TensorFlow takes it (where that number
        cannot be read from the list); it must agree with the list. Ignored for an int
        ``num_or_size_splits``, as in TensorFlow.

    Examples
    --------
    >>> import learnet as tf
    >>> [p.shape[1] for p in tf.split(tf.zeros((2, 5)), [1, -1], axis=1, num=2)]
    [1, 4]
    """
    if not isinstance(value, Tensor):
        value = Tensor(value)
    length = value.shape[axis]
    if isinstance(num_or_size_splits, (int, numpy.integer)):
        num_or_size_splits = int(num_or_size_splits)
        if num_or_size_splits <= 0 or length % num_or_size_splits:
            raise ValueError(f"split: axis of size {length} cannot be split into {num_or_size_splits} equal pieces")
        sizes = [length // num_or_size_splits] * num_or_size_splits
    else:
        sizes = [int(s) for s in num_or_size_splits]
        if num is not None and int(num) != len(sizes):
            raise errors.InvalidArgumentError(
                None, None, f"split: num={int(num)} pieces were asked for, but {len(sizes)} sizes were given: {sizes}"
            )
        if sizes.count(-1) == 1:  # one piece takes what the others leave
            rest = length - (builtins.sum(sizes) + 1)
            if rest >= 0:
                sizes[sizes.index(-1)] = rest
        if builtins.sum(sizes) != length or builtins.any(size < 0 for size in sizes):
            raise ValueError(f"split: sizes {sizes} do not add up to the axis size {length}")
    index = [builtins.slice(None)] * value.ndim
    pieces, start = [], 0
    for size in sizes:
        index[axis] = builtins.slice(start, start + size)
        pieces.append(value[tuple(index)])
        start += size
    return pieces


_NUMBER_TYPES = (
    *("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"),
    *("float16", "float32", "float64", "complex64", "complex128"),
)


def _out_type(out_type, allowed, function):
    """The dtype ``out_type`` names (int32 when None), if it is one of ``allowed``."""
    from learnet.tensor import _as_dtype

    dtype = numpy.dtype("int32") if out_type is None else numpy.dtype(_as_dtype(out_type))
    if dtype.name not in allowed:
        raise errors.InvalidArgumentError(
            None, None, f"{function}: out_type must be one of {', '.join(allowed)}, got {dtype.name}"
        )
    return dtype


def shape(input, out_type=None, name=None):  # noqa: A002 - TensorFlow's name
    """The shape of ``input`` as a 1-D tensor (``tf.shape``): ``int32``, or ``out_type``.

    Run eagerly, ``out_type`` is ``tf.int32`` or ``tf.int64``, as in TensorFlow. Inside a
    ``tf.function`` TensorFlow folds a shape it knows into a constant of any number type,
    so there ``tf.shape(x, out_type=tf.float32)`` gives the sizes as floats; learnet always
    knows the shape and does the same while a ``tf.function`` runs.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.ops.shape import shape
    >>> shape(tf.zeros((2, 3)), out_type=tf.int64).numpy()
    array([2, 3])
    >>> tf.function(lambda x: shape(x, out_type=tf.float32))(tf.zeros((2, 3))).numpy()
    array([2., 3.], dtype=float32)
    """
    from learnet.control import inside_function
    from learnet.tensor import convert_to_tensor

    dtype = _out_type(out_type, _NUMBER_TYPES, "shape")
    if dtype.name not in ("int32", "int64") and not inside_function():
        raise errors.InvalidArgumentError(
            None,
            None,
            f"shape: out_type must be one of int32, int64, got {dtype.name} "
            "(other number types only inside a tf.function, as in TensorFlow)",
        )
    return Tensor._wrap(xp.asarray(tuple(convert_to_tensor(input).shape), dtype=dtype).reshape(-1))


def size(input, out_type=None, name=None):  # noqa: A002 - TensorFlow's name
    """The number of elements of ``input`` as a scalar tensor (``tf.size``): ``int32``, or
    ``out_type`` (any numeric type, as in TensorFlow).

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.ops.shape import size
    >>> size(tf.zeros((2, 3)), out_type=tf.int64).numpy()
    np.int64(6)
    """
    from learnet.tensor import convert_to_tensor

    dtype = _out_type(out_type, _NUMBER_TYPES, "size")
    return Tensor._wrap(xp.asarray(convert_to_tensor(input).size, dtype=dtype))


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
    if tensor.dtype == object and isinstance(constant_values, str):
        constant_values = constant_values.encode("utf-8")  # string tensors hold bytes, as TensorFlow's
    if mode == "CONSTANT":
        result = xp.pad(tensor, paddings, mode="constant", constant_values=constant_values)
        if result.dtype == object and result.size:  # NumPy writes the pad as numpy.bytes_: plain bytes
            result = numpy.frompyfunc(lambda v: bytes(v) if isinstance(v, numpy.bytes_) else v, 1, 1)(result)
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


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """Take slices of ``params`` along ``axis`` at ``indices`` (``tf.gather``), differentiable
    in ``params``.

    Parameters
    ----------
    params : Tensor
        The tensor to take from.
    indices : Tensor of ints
        Positions along ``axis``; the result has ``indices``' shape in place of that axis.
    validate_indices : bool, optional
        Deprecated in TensorFlow and without effect: indices are always checked (an index
        out of range raises ``IndexOutOfRangeError``). Passing it warns, since it is
        TensorFlow's third positional argument: ``tf.gather(x, i, 1)`` does not set ``axis``.
    axis : int, optional
        The axis of ``params`` to take from; by default ``batch_dims`` (0 without it; a
        negative ``batch_dims`` counts from the end of ``params`` here, as in TensorFlow).
        It must not lie among the batch axes.
    batch_dims : int, default 0
        The number of leading axes ``params`` and ``indices`` share: each batch entry
        of ``params`` takes from its own ``indices``. Negative counts from the end of
        ``indices``' axes.

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.constant([[10, 11, 12], [20, 21, 22]])
    >>> tf.gather(x, [2, 0], axis=1).numpy().tolist()
    [[12, 10], [22, 20]]

    One index list per row, with ``batch_dims=1``:

    >>> tf.gather(x, [[0, 0], [2, 1]], axis=1, batch_dims=1).numpy().tolist()
    [[10, 10], [22, 21]]
    """
    if validate_indices is not None:
        from learnet.warn import deprecated

        deprecated(
            "gather: validate_indices has no effect (indices are always checked); TensorFlow deprecated it. "
            "It is gather's third positional argument: pass axis=... by name"
        )
    if not isinstance(params, Tensor):
        params = Tensor(params)
    indices = Tensor._wrap(to_array(indices)) if not isinstance(indices, Tensor) else indices
    if isinstance(batch_dims, Tensor):
        batch_dims = int(batch_dims.numpy())
    if axis is None:  # TensorFlow's default, taken before a negative batch_dims is counted
        axis = int(batch_dims)
    batch_dims = _batch_dims(batch_dims, indices.ndim, params.ndim, "gather")
    if isinstance(axis, Tensor):
        axis = int(axis.numpy())
    axis = int(axis)
    if not -params.ndim <= axis < params.ndim:
        raise errors.InvalidArgumentError(
            None, None, f"gather: axis {axis} is out of range for params of rank {params.ndim}"
        )
    axis %= params.ndim
    if batch_dims == 0:
        return _gather(params, indices, axis)
    if axis < batch_dims:
        raise errors.InvalidArgumentError(
            None, None, f"gather: axis ({axis}) must not be less than batch_dims ({batch_dims})"
        )
    return _batch_gather(params, indices, axis, batch_dims)


def _batch_dims(batch_dims, indices_rank, params_rank, function):
    """``batch_dims`` as a count from the front, checked as TensorFlow does."""
    if isinstance(batch_dims, Tensor):
        batch_dims = int(batch_dims.numpy())
    batch_dims = int(batch_dims)
    if not -indices_rank <= batch_dims <= indices_rank:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{function}: batch_dims must lie in [{-indices_rank}, {indices_rank}] for indices of rank "
            f"{indices_rank}, got {batch_dims}",
        )
    if batch_dims < 0:
        batch_dims += indices_rank
    if batch_dims > params_rank:
        raise errors.InvalidArgumentError(
            None, None, f"{function}: batch_dims ({batch_dims}) is more than the rank of params ({params_rank})"
        )
    return batch_dims


def _check_batch_shapes(params, indices, batch_dims, function):
    batch = tuple(params.shape[:batch_dims])
    if tuple(indices.shape[:batch_dims]) != batch:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{function}: the first {batch_dims} (batch) axes of params {tuple(params.shape)} and indices "
            f"{tuple(indices.shape)} must have the same sizes",
        )
    return batch


def _batch_gather(params, indices, axis, batch_dims):
    """``gather`` with batch axes, as one plain gather from ``params`` flattened.

    With ``params`` of shape ``batch + outer + (size,) + inner`` (``outer`` the axes between
    the batch and ``axis``) and ``indices`` of shape ``batch + rest``, entry
    ``[b, o, r, i]`` of the result is ``params[b, o, indices[b, r], i]``. Flattening
    ``batch + outer + (size,)`` into one axis turns each into the flat row
    ``(b * n_outer + o) * size + indices[b, r]``, so a single gather of rows does it and
    its gradient is gather's own.
    """
    batch = _check_batch_shapes(params, indices, batch_dims, "gather")
    index = indices._value
    if index.dtype.kind not in "iu":
        raise TypeError(f"gather: indices must be integers, got {index.dtype}")
    size = int(params.shape[axis])
    if backend.on_host(index) and index.size and (index.max() >= size or index.min() < -size):
        raise errors.IndexOutOfRangeError(
            None, None, f"gather: an index is out of range for axis {axis} of size {size}"
        )
    outer = tuple(params.shape[batch_dims:axis])
    inner = tuple(params.shape[axis + 1 :])
    rest = tuple(indices.shape[batch_dims:])
    n_batch, n_outer, n_rest = (int(numpy.prod(part)) for part in (batch, outer, rest))
    within = xp.reshape(index.astype(numpy.int64) % builtins.max(size, 1), (n_batch, 1, n_rest))
    starts = xp.reshape(xp.arange(n_batch * n_outer, dtype=numpy.int64) * size, (n_batch, n_outer, 1))
    rows = Tensor._wrap(starts + within)
    flat = reshape(params, [n_batch * n_outer * size, *inner])
    return reshape(_gather(flat, rows, 0), [*batch, *outer, *rest, *inner])


def gather_nd(params, indices, batch_dims=0, name=None):
    """The slices of ``params`` at the coordinates in ``indices`` (``tf.gather_nd``),
    differentiable in ``params``.

    The last axis of ``indices`` holds coordinates into the leading axes of ``params``
    (after its ``batch_dims`` batch axes, which ``params`` and ``indices`` share: each
    batch entry of ``params`` is indexed by its own coordinates). The result has shape
    ``indices.shape[:-1] + params.shape[batch_dims + depth:]``, ``depth`` being the
    length of a coordinate.

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.constant([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])
    >>> tf.gather_nd(x, [[0, 1], [1, 0]]).numpy().tolist()
    [[3, 4], [5, 6]]
    >>> from learnet.ops.shape import gather_nd
    >>> gather_nd(x, [[1], [0]], batch_dims=1).numpy().tolist()
    [[3, 4], [5, 6]]
    """
    if not isinstance(params, Tensor):
        params = Tensor(params)
    index = to_array(indices)
    if index.dtype.kind not in "iu":
        raise TypeError(f"gather_nd: indices must be integers, got {index.dtype}")
    if index.ndim == 0:
        raise errors.InvalidArgumentError(None, None, "gather_nd: indices must have rank 1 or more, got a scalar")
    if isinstance(batch_dims, Tensor):
        batch_dims = int(batch_dims.numpy())
    if int(batch_dims) < 0:
        raise ValueError(f"gather_nd: batch_dims must not be negative, got {batch_dims}")
    batch_dims = _batch_dims(batch_dims, index.ndim - 1, params.ndim, "gather_nd")
    batch = _check_batch_shapes(params, Tensor._wrap(index), batch_dims, "gather_nd")
    depth = int(index.shape[-1])
    if batch_dims + depth > params.ndim:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"gather_nd: coordinates of length {depth} do not index params of shape {tuple(params.shape)} "
            f"after its {batch_dims} batch axes",
        )
    indexed = tuple(int(s) for s in params.shape[batch_dims : batch_dims + depth])
    inner = tuple(params.shape[batch_dims + depth :])
    rest = tuple(index.shape[batch_dims:-1])
    if backend.on_host(index) and index.size and ((index < 0).any() or (index >= numpy.asarray(indexed)).any()):
        raise errors.IndexOutOfRangeError(
            None, None, f"gather_nd: an index is out of range for shape {tuple(params.shape)}"
        )
    n_batch, n_indexed, n_rest = (int(numpy.prod(part)) for part in (batch, indexed, rest))
    # Row-major strides of the indexed axes: a coordinate becomes one flat row number.
    strides = numpy.cumprod((1,) + indexed[:0:-1])[::-1].astype(numpy.int64) if depth else numpy.zeros(0, "int64")
    within = xp.reshape(index.astype(numpy.int64) @ xp.asarray(strides), (n_batch, n_rest))
    starts = xp.reshape(xp.arange(n_batch, dtype=numpy.int64) * n_indexed, (n_batch, 1))
    flat = reshape(params, [n_batch * n_indexed, *inner])
    return reshape(_gather(flat, Tensor._wrap(starts + within), 0), [*batch, *rest, *inner])


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
