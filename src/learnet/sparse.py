"""``tf.sparse`` and ``tf.SparseTensor``: tensors that store only their non-zero entries.

A ``SparseTensor`` holds ``indices`` (one row of coordinates per stored value),
``values`` and the ``dense_shape``, as in TensorFlow. ``tf.sparse.to_dense``,
``from_dense``, ``sparse_dense_matmul``, ``add``, ``reduce_sum``, ``transpose`` and
``reorder`` cover what the TensorFlow sparse-tensor guide teaches, with ``reduce_max``,
``maximum``/``minimum``, ``fill_empty_rows``, ``reshape``, ``expand_dims``, ``split``,
``softmax``, ``to_indicator``, ``eye`` and the ``segment_*`` reductions beside them.
``SparseTensorSpec`` describes a sparse element of a ``tf.data.Dataset``. ``IndexedSlices``
is the container TensorFlow uses for the gradient of ``gather``; here it converts to a
dense tensor with ``tf.convert_to_tensor``.

Examples
--------
>>> import learnet as tf
>>> st = tf.SparseTensor(indices=[[0, 1], [2, 3]], values=[10.0, 20.0], dense_shape=[3, 4])
>>> tf.sparse.to_dense(st).numpy()[2]
array([ 0.,  0.,  0., 20.], dtype=float32)
"""

import importlib

import numpy

from learnet import errors
from learnet.ops.segment import _checked as _checked_segments
from learnet.ops.segment import segment_reduce as _segment_reduce
from learnet.tape import stop_gradient as _stop_gradient
from learnet.tensor import Tensor, TensorShape, _as_dtype, _dtype_name, convert_to_tensor

_ops = importlib.import_module("learnet.ops")
_scatter = importlib.import_module("learnet.scatter")

__all__ = [
    "IndexedSlices",
    "SparseTensor",
    "SparseTensorSpec",
    "add",
    "concat",
    "expand_dims",
    "eye",
    "fill_empty_rows",
    "map_values",
    "maximum",
    "minimum",
    "from_dense",
    "reduce_max",
    "reduce_sum",
    "reorder",
    "reshape",
    "retain",
    "segment_mean",
    "segment_sqrt_n",
    "segment_sum",
    "slice",
    "softmax",
    "sparse_dense_matmul",
    "split",
    "to_dense",
    "to_indicator",
    "transpose",
]


class SparseTensor:
    """A tensor of ``dense_shape`` with ``values`` at ``indices`` and zeros elsewhere."""

    def __init__(self, indices, values, dense_shape):
        self.indices = convert_to_tensor(
            numpy.asarray(indices, dtype="int64").reshape(-1, len(dense_shape)), dtype="int64"
        )
        self.values = values if isinstance(values, Tensor) else convert_to_tensor(values)
        self.dense_shape = convert_to_tensor(numpy.asarray(dense_shape, dtype="int64"), dtype="int64")
        if self.values.ndim != 1 or self.values.shape[0] != self.indices.shape[0]:
            raise ValueError(
                f"SparseTensor: {self.indices.shape[0]} indices need as many values, got shape {tuple(self.values.shape)}"
            )
        index_array = self.indices.numpy()
        shape = self.dense_shape.numpy()
        if index_array.size and ((index_array < 0).any() or (index_array >= shape).any()):
            raise ValueError(f"SparseTensor: an index lies outside the dense shape {shape.tolist()}")

    @property
    def shape(self):
        from learnet.tensor import TensorShape

        return TensorShape(int(s) for s in self.dense_shape.numpy())

    @property
    def dtype(self):
        return self.values.dtype

    @classmethod
    def from_value(cls, value):
        return value if isinstance(value, SparseTensor) else from_dense(value)

    def get_shape(self):
        """The dense shape as a ``TensorShape`` (``st.get_shape()``, as ``st.shape``)."""
        return self.shape

    def with_values(self, new_values):
        """The same indices and dense shape with other ``values`` (one per index)."""
        return SparseTensor(self.indices, new_values, self.dense_shape)

    def __repr__(self):
        # As TensorFlow prints it: each part a tensor, the indices and dense shape int64.
        return f"SparseTensor(indices={self.indices!s}, values={self.values!s}, dense_shape={self.dense_shape!s})"

    __str__ = __repr__

    def __mul__(self, other):
        """Elementwise product with a dense tensor broadcast to the dense shape (values only)."""
        dense = _ops.broadcast_to(convert_to_tensor(other, dtype=self.dtype), self.shape)
        picked = _gather_nd(dense, self.indices)
        return SparseTensor(self.indices, self.values * picked, self.dense_shape)


def _gather_nd(params, indices):
    index_array = indices.numpy()
    flat = numpy.ravel_multi_index(tuple(index_array.T), params.shape) if index_array.size else numpy.zeros(0, int)
    return _ops.gather(_ops.reshape(params, [-1]), convert_to_tensor(flat.astype("int64"), dtype="int64"))


def to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """The dense tensor: values at their indices, ``default_value`` (0) elsewhere (differentiable in values)."""
    if not isinstance(sp_input, SparseTensor):
        raise TypeError(f"to_dense expects a SparseTensor, got {type(sp_input).__name__}")
    shape = tuple(int(s) for s in sp_input.dense_shape.numpy())
    index_array = sp_input.indices.numpy().reshape(-1, len(shape))
    flat = numpy.ravel_multi_index(tuple(index_array.T), shape) if index_array.size else numpy.zeros(0, int)
    if validate_indices and len(set(flat.tolist())) != len(flat):
        raise ValueError("to_dense: the SparseTensor has repeated indices")
    if index_array.shape[0]:
        dense = _scatter.scatter_nd(index_array, sp_input.values, shape)
    else:  # no stored values: all zeros (empty strings for text)
        dtype = numpy.dtype(sp_input.dtype)
        dense = (
            Tensor(numpy.full(shape, b"", dtype=object)) if dtype.kind == "O" else _ops.zeros(shape, dtype=dtype.name)
        )
    if default_value is None or (sp_input.dtype.kind != "O" and default_value == 0):
        return dense
    mask = numpy.ones(int(numpy.prod(shape)), dtype=bool)
    mask[flat] = False
    if sp_input.dtype.kind == "O":  # text: the default fills every unset place
        filled = numpy.asarray(dense.numpy(), dtype=object).reshape(-1)
        fill = default_value.numpy() if isinstance(default_value, Tensor) else default_value
        filled[mask] = fill.encode("utf-8") if isinstance(fill, str) else fill
        return Tensor(filled.reshape(shape))
    fill = _ops.cast(_ops.fill(shape, default_value), dense.dtype)
    return _ops.where(convert_to_tensor(mask.reshape(shape)), fill, dense)


def from_dense(tensor, name=None):
    """A ``SparseTensor`` of the non-zero entries of ``tensor`` (row-major order)."""
    tensor = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor)
    array = tensor.numpy()
    indices = numpy.argwhere(array != 0)
    return SparseTensor(indices, array[tuple(indices.T)] if indices.size else array.reshape(-1)[:0], array.shape)


def sparse_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None):
    """``sp_a @ b`` for a 2-D SparseTensor ``sp_a`` and a dense matrix ``b`` (differentiable)."""
    a = to_dense(sp_a)
    b = b if isinstance(b, Tensor) else convert_to_tensor(b, dtype=a.dtype)
    return _ops.matmul(a, b, transpose_a=adjoint_a, transpose_b=adjoint_b)


def add(a, b, threshold=0):
    """Sum of two SparseTensors (a SparseTensor), or of a SparseTensor and a dense tensor (dense)."""
    if isinstance(a, SparseTensor) and isinstance(b, SparseTensor):
        return from_dense(to_dense(a) + to_dense(b))
    if isinstance(a, SparseTensor):
        return to_dense(a) + b
    return a + to_dense(b)


def reorder(sp_input, name=None):
    """The same SparseTensor with its entries in row-major order."""
    index_array = sp_input.indices.numpy()
    order = numpy.lexsort(index_array.T[::-1]) if index_array.size else numpy.arange(0)
    return SparseTensor(
        index_array[order],
        _ops.gather(sp_input.values, convert_to_tensor(order.astype("int64"))),
        sp_input.dense_shape.numpy(),
    )


def transpose(sp_input, perm=None, name=None):
    """The SparseTensor with its axes permuted (reversed by default)."""
    index_array = sp_input.indices.numpy()
    perm = list(range(index_array.shape[1]))[::-1] if perm is None else list(perm)
    return reorder(SparseTensor(index_array[:, perm], sp_input.values, sp_input.dense_shape.numpy()[perm]))


def sparse_retain(sp_input, to_retain):
    """The entries whose flag in ``to_retain`` is true."""
    keep = numpy.asarray(to_retain.numpy() if isinstance(to_retain, Tensor) else to_retain, dtype=bool)
    return SparseTensor(sp_input.indices.numpy()[keep], sp_input.values.numpy()[keep], sp_input.dense_shape.numpy())


class IndexedSlices:
    """Rows ``values`` of a tensor of ``dense_shape`` at row ``indices`` (repeats add up).

    TensorFlow returns it as the gradient of ``gather``/``embedding_lookup``; learnet's tape
    gives dense gradients, and ``tf.convert_to_tensor(slices)`` (or ``.numpy()``) densifies.
    """

    def __init__(self, values, indices, dense_shape=None):
        self.values = values if isinstance(values, Tensor) else convert_to_tensor(values)
        self.indices = convert_to_tensor(numpy.asarray(indices, dtype="int64"), dtype="int64")
        self.dense_shape = (
            None if dense_shape is None else convert_to_tensor(numpy.asarray(dense_shape, dtype="int64"), dtype="int64")
        )

    def _dense(self):
        if self.dense_shape is None:
            raise ValueError("IndexedSlices without a dense_shape cannot be made dense")
        out = numpy.zeros(tuple(self.dense_shape.numpy()), dtype=self.values.dtype)
        numpy.add.at(out, self.indices.numpy(), self.values.numpy())
        return out

    def numpy(self):
        return self._dense()

    def __array__(self, dtype=None, copy=None):
        out = self._dense()
        return out if dtype is None else out.astype(dtype)


retain = sparse_retain


def slice(sp_input, start, size, name=None):  # noqa: A001 - TensorFlow's name
    """The entries inside the box ``[start, start + size)``, re-indexed from ``start``."""
    index_array = sp_input.indices.numpy()
    start = numpy.asarray(start, dtype="int64")
    shape = sp_input.dense_shape.numpy()
    stop = numpy.minimum(start + numpy.asarray(size, dtype="int64"), shape)
    keep = ((index_array >= start) & (index_array < stop)).all(axis=1) if index_array.size else numpy.zeros(0, bool)
    values = _ops.gather(sp_input.values, convert_to_tensor(numpy.nonzero(keep)[0].astype("int64")))
    return SparseTensor(index_array[keep] - start, values, numpy.maximum(stop - start, 0))


def map_values(op, *args, **kwargs):
    """Apply ``op`` to the values of the SparseTensor arguments, keeping their indices."""
    sparse_args = [a for a in args if isinstance(a, SparseTensor)]
    if not sparse_args:
        raise ValueError("sparse.map_values needs at least one SparseTensor argument")
    first = sparse_args[0]
    for other in sparse_args[1:]:
        if not numpy.array_equal(other.indices.numpy(), first.indices.numpy()):
            raise ValueError("sparse.map_values: the SparseTensors must have the same indices")
    values = op(*[a.values if isinstance(a, SparseTensor) else a for a in args], **kwargs)
    return SparseTensor(first.indices, values, first.dense_shape.numpy())


def concat(axis, sp_inputs, expand_nonconcat_dims=False, name=None):
    """Join SparseTensors along ``axis`` (``tf.sparse.concat(axis, sp_inputs)``)."""
    if not sp_inputs:
        raise ValueError("sparse.concat needs at least one SparseTensor")
    return from_dense(_ops.concat([to_dense(s) for s in sp_inputs], axis=axis))


def _sequences(sp_input, who):
    """``{index of the sequence: its values in order}``: a SparseTensor's last axis read as sequences."""
    if not isinstance(sp_input, SparseTensor):
        raise TypeError(f"{who} expects SparseTensors (tf.sparse.from_dense(labels)), got {type(sp_input).__name__}")
    ordered = reorder(sp_input)
    sequences: dict = {}
    for index, value in zip(ordered.indices.numpy().tolist(), ordered.values.numpy().tolist()):
        sequences.setdefault(tuple(index[:-1]), []).append(value)
    return sequences


def _levenshtein(a, b):
    """The fewest insertions, deletions and substitutions that turn ``a`` into ``b`` (one row at a time)."""
    previous = numpy.arange(len(b) + 1)
    for i, item in enumerate(a, start=1):
        current = numpy.empty_like(previous)
        current[0] = i
        substitution = previous[:-1] + (numpy.asarray(b, dtype=object) != item)
        for j in range(1, len(b) + 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution[j - 1])
        previous = current
    return int(previous[-1])


def edit_distance(hypothesis, truth, normalize=True, name="edit_distance"):
    """The Levenshtein distance between the sequences of two SparseTensors (``tf.edit_distance``).

    The last axis holds the sequences: the values of each index of the other axes, in
    order. Each distance is divided by the length of the truth with ``normalize``
    (``inf`` where the truth is empty and the hypothesis not). The result is dense, of the
    larger of the two shapes without their last axis.

    Examples
    --------
    >>> import learnet as tf
    >>> hypothesis = tf.sparse.from_dense(tf.constant([[1, 2, 3], [4, 0, 0]]))
    >>> truth = tf.sparse.from_dense(tf.constant([[1, 3, 0], [4, 5, 6]]))
    >>> tf.edit_distance(hypothesis, truth, normalize=False).numpy()
    array([1., 2.], dtype=float32)
    """
    who = "edit_distance"
    ours, theirs = _sequences(hypothesis, who), _sequences(truth, who)
    if hypothesis.dense_shape.shape != truth.dense_shape.shape:
        raise ValueError(f"{who}: hypothesis and truth must have the same rank")
    outer = numpy.maximum(hypothesis.dense_shape.numpy()[:-1], truth.dense_shape.numpy()[:-1])
    result = numpy.zeros(tuple(int(s) for s in outer), dtype=numpy.float32)
    for index in set(ours) | set(theirs):
        a, b = ours.get(index, []), theirs.get(index, [])
        distance = float(_levenshtein(a, b))
        if normalize:
            distance = distance / len(b) if b else (numpy.inf if a else 0.0)
        result[index] = distance
    return Tensor._wrap(result)


# --- the spec of a sparse element (tf.data) -------------------------------------------------------


class SparseTensorSpec:
    """What a ``SparseTensor`` must look like: its dense shape (``None`` for any size) and dtype.

    ``tf.data`` gives it as the ``element_spec`` of sparse elements, as TensorFlow does.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.sparse import SparseTensorSpec
    >>> SparseTensorSpec([None, 4], tf.float32)
    SparseTensorSpec(TensorShape([None, 4]), tf.float32)
    >>> st = tf.SparseTensor(indices=[[0, 1]], values=[2.0], dense_shape=[3, 4])
    >>> SparseTensorSpec.from_value(st).shape
    TensorShape([3, 4])
    """

    def __init__(self, shape=None, dtype="float32"):
        self.shape = None if shape is None else TensorShape(None if d is None else int(d) for d in shape)
        self.dtype = _as_dtype(dtype)

    @classmethod
    def from_value(cls, value):
        """The spec of a ``SparseTensor``: its dense shape and dtype."""
        if not isinstance(value, SparseTensor):
            raise TypeError(f"SparseTensorSpec.from_value expects a SparseTensor, got {type(value).__name__}")
        return cls(value.shape, value.dtype)

    @property
    def value_type(self):
        """The type of value this spec describes: ``tf.SparseTensor``."""
        return SparseTensor

    def is_compatible_with(self, spec_or_value):
        """Whether a ``SparseTensor`` (or spec) has a dense shape and dtype this spec allows."""
        if isinstance(spec_or_value, SparseTensor):
            spec_or_value = SparseTensorSpec.from_value(spec_or_value)
        if not isinstance(spec_or_value, SparseTensorSpec) or spec_or_value.dtype != self.dtype:
            return False
        if self.shape is None or spec_or_value.shape is None:
            return True
        return len(self.shape) == len(spec_or_value.shape) and all(
            a is None or b is None or a == b for a, b in zip(self.shape, spec_or_value.shape)
        )

    def __eq__(self, other):
        return isinstance(other, SparseTensorSpec) and self.shape == other.shape and self.dtype == other.dtype

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((None if self.shape is None else tuple(self.shape), self.dtype))

    def __repr__(self):
        shape = "TensorShape(None)" if self.shape is None else repr(self.shape)
        return f"SparseTensorSpec({shape}, tf.{_dtype_name(self.dtype)})"

    __str__ = __repr__


# --- a SparseTensor cut into rows (tf.data and fit) ----------------------------------------------------


class _SparseRows:
    """A ``SparseTensor`` read along its first axis, as an array is by ``tf.data`` and ``fit``.

    ``rows[i]`` is row ``i`` (a ``SparseTensor`` of one axis less); ``rows[2:5]`` or
    ``rows[[4, 0]]`` is a batch of rows (a ``SparseTensor`` with the same axes). The entries
    are sorted by row once, so every cut is a few vectorised NumPy index operations.
    """

    def __init__(self, sp_input):
        index_array = sp_input.indices.numpy()
        order = numpy.argsort(index_array[:, 0], kind="stable")
        self._indices = index_array[order]
        self._values = sp_input.values.numpy()[order]
        self.shape = tuple(int(d) for d in sp_input.dense_shape.numpy())
        self.dtype = sp_input.dtype
        # Entries of row r are self._indices[self._starts[r]:self._starts[r + 1]].
        self._starts = numpy.searchsorted(self._indices[:, 0], numpy.arange(self.shape[0] + 1))

    @property
    def ndim(self):
        return len(self.shape)

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, index):
        if isinstance(index, (int, numpy.integer)):
            row = int(index) % self.shape[0] if self.shape[0] else int(index)
            start, stop = self._starts[row], self._starts[row + 1]
            return SparseTensor(self._indices[start:stop, 1:], Tensor(self._values[start:stop]), self.shape[1:])
        rows = numpy.arange(self.shape[0])[index]
        counts = self._starts[rows + 1] - self._starts[rows]
        # The entries of each chosen row, one range after the other, without a Python loop.
        offsets = numpy.arange(counts.sum()) - numpy.repeat(numpy.cumsum(counts) - counts, counts)
        entries = numpy.repeat(self._starts[rows], counts) + offsets
        new_rows = numpy.repeat(numpy.arange(len(rows)), counts)
        indices = numpy.concatenate([new_rows[:, None], self._indices[entries, 1:]], axis=1)
        return SparseTensor(indices, Tensor(self._values[entries]), (len(rows), *self.shape[1:]))

    def with_values(self, values):
        """The same rows with the values converted (``fit`` makes them floats)."""
        copy = object.__new__(_SparseRows)
        copy.__dict__.update(self.__dict__)
        copy._values = values
        copy.dtype = values.dtype
        return copy


def _stack_sparse(elements):
    """SparseTensors of one rank stacked along a new first axis (``Dataset.batch``).

    The batch's dense shape is the largest of each axis, as TensorFlow batches sparse
    elements of different dense shapes.
    """
    if len({len(e.shape) for e in elements}) > 1:
        raise errors.InvalidArgumentError(None, None, "batch: sparse elements must all have the same rank")
    index_arrays = [e.indices.numpy() for e in elements]
    counts = [len(i) for i in index_arrays]
    rows = numpy.repeat(numpy.arange(len(elements)), counts)
    indices = numpy.concatenate([rows[:, None], numpy.concatenate(index_arrays).reshape(len(rows), -1)], axis=1)
    values = numpy.concatenate([e.values.numpy() for e in elements])
    shape = numpy.max([e.dense_shape.numpy() for e in elements], axis=0)
    return SparseTensor(indices, Tensor(values), [len(elements), *shape.tolist()])


# --- more of tf.sparse --------------------------------------------------------------------------------


def _checked_sparse(value, who):
    if not isinstance(value, SparseTensor):
        raise TypeError(f"{who} expects a SparseTensor, got {type(value).__name__}")
    return value


def _axes(axis, rank, who):
    """Reduction axes as sorted non-negative ints (all of them for ``None``), checked as TensorFlow does."""
    if axis is None:
        return list(range(rank))
    raw = axis.numpy() if isinstance(axis, Tensor) else axis
    axes = [int(a) for a in numpy.atleast_1d(numpy.asarray(raw))]
    for a in axes:
        if not -rank <= a < rank:
            raise errors.InvalidArgumentError(
                None, None, f"{who}: invalid reduction dimension {a}, for input with {rank} dimensions"
            )
    return sorted({a % rank for a in axes})


def _reduce(kind, sp_input, axis, keepdims, output_is_sparse, who):
    """The reduction ``kind`` of the stored values of ``sp_input`` along ``axis`` (differentiable in values).

    Only stored values take part (an implicit zero is no candidate for the max); a place of
    the result that no value reaches holds 0, or is left out with ``output_is_sparse``.
    """
    _checked_sparse(sp_input, who)
    shape = sp_input.dense_shape.numpy()
    axes = _axes(axis, len(shape), who)
    kept = [d for d in range(len(shape)) if d not in axes]
    out_shape = tuple(int(shape[d]) for d in kept)
    index_array = sp_input.indices.numpy()
    count = int(numpy.prod(out_shape))
    place = (
        numpy.ravel_multi_index(tuple(index_array[:, kept].T), out_shape)
        if kept
        else numpy.zeros(len(index_array), int)
    )
    reduced = _segment_reduce(kind, sp_input.values, place, count)
    present = numpy.bincount(place, minlength=count) > 0
    kept_shape = [1 if d in axes else int(shape[d]) for d in range(len(shape))] if keepdims else list(out_shape)
    if output_is_sparse:
        positions = numpy.nonzero(present)[0]
        coordinates = (
            numpy.stack(numpy.unravel_index(positions, out_shape), axis=1)
            if kept
            else numpy.zeros((len(positions), 0), int)
        )
        if keepdims:
            full = numpy.zeros((len(positions), len(shape)), dtype=numpy.int64)
            full[:, kept] = coordinates
            coordinates = full
        values = _ops.gather(reduced, convert_to_tensor(positions.astype("int64")))
        return SparseTensor(coordinates, values, kept_shape)
    zero = _ops.zeros((), dtype=numpy.dtype(reduced.dtype).name)
    filled = _ops.where(convert_to_tensor(present), reduced, zero)
    return _ops.reshape(filled, kept_shape)


def reduce_sum(sp_input, axis=None, keepdims=False, output_is_sparse=False, name=None):
    """Sum of the stored values (along ``axis``): a dense tensor, or a SparseTensor with ``output_is_sparse``.

    Examples
    --------
    >>> import learnet as tf
    >>> st = tf.SparseTensor(indices=[[0, 0], [0, 2], [2, 1]], values=[1.0, 2.0, 3.0], dense_shape=[3, 3])
    >>> tf.sparse.reduce_sum(st, axis=1).numpy()
    array([3., 0., 3.], dtype=float32)
    """
    return _reduce("sum", sp_input, axis, keepdims, output_is_sparse, "sparse.reduce_sum")


def reduce_max(sp_input, axis=None, keepdims=False, output_is_sparse=False, name=None):
    """Largest stored value (along ``axis``); the implicit zeros take no part, as in TensorFlow.

    A place of the result that no stored value reaches holds 0 (or is left out of the
    SparseTensor that ``output_is_sparse=True`` gives).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.sparse.reduce_max(tf.sparse.from_dense([-5, 0, -3])).numpy()
    np.int32(-3)
    >>> st = tf.SparseTensor(indices=[[0, 0], [0, 2], [2, 1]], values=[-1.0, -2.0, 3.0], dense_shape=[3, 3])
    >>> tf.sparse.reduce_max(st, axis=1).numpy()
    array([-1.,  0.,  3.], dtype=float32)
    """
    return _reduce("max", sp_input, axis, keepdims, output_is_sparse, "sparse.reduce_max")


def _aligned(sp_a, sp_b, who):
    """The union of the places of two SparseTensors of one shape, and each one's values there (0 where absent)."""
    _checked_sparse(sp_a, who)
    _checked_sparse(sp_b, who)
    shape_a, shape_b = sp_a.dense_shape.numpy(), sp_b.dense_shape.numpy()
    if shape_a.shape != shape_b.shape or (shape_a != shape_b).any():
        raise errors.InvalidArgumentError(
            None, None, f"{who}: the operands' shapes do not match: {shape_a.tolist()} and {shape_b.tolist()}"
        )
    shape = tuple(int(d) for d in shape_a)
    places = [numpy.ravel_multi_index(tuple(s.indices.numpy().T), shape) for s in (sp_a, sp_b)]
    union = numpy.union1d(*places)

    def values_at_union(sp, place):
        # Gather from the values with one zero appended: a place the tensor lacks reads the zero.
        where = numpy.full(len(union), len(place), dtype=numpy.int64)
        where[numpy.searchsorted(union, place)] = numpy.arange(len(place))
        padded = _ops.concat([sp.values, _ops.zeros([1], dtype=numpy.dtype(sp.dtype).name)], axis=0)
        return _ops.gather(padded, convert_to_tensor(where))

    indices = numpy.stack(numpy.unravel_index(union, shape), axis=1)
    return indices, values_at_union(sp_a, places[0]), values_at_union(sp_b, places[1]), shape


def maximum(sp_a, sp_b, name=None):
    """The elementwise maximum of two SparseTensors of one shape, absent places read as 0.

    Examples
    --------
    >>> import learnet as tf
    >>> a = tf.SparseTensor(indices=[[0, 0], [1, 1]], values=[1.0, -2.0], dense_shape=[2, 2])
    >>> b = tf.SparseTensor(indices=[[0, 0], [1, 0]], values=[3.0, -5.0], dense_shape=[2, 2])
    >>> tf.sparse.maximum(a, b).values.numpy()
    array([3., 0., 0.], dtype=float32)
    """
    indices, a, b, shape = _aligned(sp_a, sp_b, "sparse.maximum")
    return SparseTensor(indices, _ops.maximum(a, b), shape)


def minimum(sp_a, sp_b, name=None):
    """The elementwise minimum of two SparseTensors of one shape, absent places read as 0.

    Examples
    --------
    >>> import learnet as tf
    >>> a = tf.SparseTensor(indices=[[0, 0], [1, 1]], values=[1.0, -2.0], dense_shape=[2, 2])
    >>> b = tf.SparseTensor(indices=[[0, 0], [1, 0]], values=[3.0, -5.0], dense_shape=[2, 2])
    >>> tf.sparse.minimum(a, b).values.numpy()
    array([ 1., -5., -2.], dtype=float32)
    """
    indices, a, b, shape = _aligned(sp_a, sp_b, "sparse.minimum")
    return SparseTensor(indices, _ops.minimum(a, b), shape)


def fill_empty_rows(sp_input, default_value, name=None):
    """Put ``default_value`` at ``[row, 0, ...]`` of every row that holds no value.

    Returns the filled SparseTensor (in row-major order) and a boolean tensor that marks
    the rows that were empty.

    Examples
    --------
    >>> import learnet as tf
    >>> st = tf.SparseTensor(indices=[[0, 1], [2, 0]], values=[5.0, 6.0], dense_shape=[3, 2])
    >>> filled, was_empty = tf.sparse.fill_empty_rows(st, -1.0)
    >>> tf.sparse.to_dense(filled).numpy().tolist(), was_empty.numpy().tolist()
    ([[0.0, 5.0], [-1.0, 0.0], [6.0, 0.0]], [False, True, False])
    """
    _checked_sparse(sp_input, "sparse.fill_empty_rows")
    shape = sp_input.dense_shape.numpy()
    index_array = sp_input.indices.numpy()
    empty = numpy.bincount(index_array[:, 0], minlength=int(shape[0])) == 0
    new_rows = numpy.nonzero(empty)[0]
    new_indices = numpy.zeros((len(new_rows), len(shape)), dtype=numpy.int64)
    new_indices[:, 0] = new_rows
    dtype = numpy.dtype(sp_input.dtype).name
    fill = _ops.cast(_ops.fill([len(new_rows)], default_value), dtype)
    joined = SparseTensor(
        numpy.concatenate([index_array, new_indices]), _ops.concat([sp_input.values, fill], axis=0), shape
    )
    return reorder(joined), convert_to_tensor(empty)


def _segment(kind, data, indices, segment_ids, num_segments, who):
    rows = _ops.gather(data if isinstance(data, Tensor) else convert_to_tensor(data), indices)
    # The ids are checked as tf.math's segment functions check them (sorted without num_segments).
    rows, ids, count = _checked_segments(who, rows, segment_ids, num_segments)
    return _segment_reduce(kind, rows, ids, count)


def segment_sum(data, indices, segment_ids, num_segments=None, name=None, sparse_gradient=False):
    """Sum of the rows ``data[indices]`` that share a segment id (``tf.sparse.segment_sum``).

    ``segment_ids`` never decrease; with ``num_segments`` the result has that many rows.

    Examples
    --------
    >>> import learnet as tf
    >>> data = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> tf.sparse.segment_sum(data, [0, 2, 1], [0, 0, 1]).numpy()
    array([[6., 8.],
           [3., 4.]], dtype=float32)
    """
    return _segment("sum", data, indices, segment_ids, num_segments, "sparse.segment_sum")


def segment_mean(data, indices, segment_ids, num_segments=None, name=None, sparse_gradient=False):
    """Mean of the rows ``data[indices]`` that share a segment id (``tf.sparse.segment_mean``).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.sparse.segment_mean(tf.constant([1.0, 2.0, 3.0]), [0, 1, 2], [0, 0, 1]).numpy()
    array([1.5, 3. ], dtype=float32)
    """
    return _segment("mean", data, indices, segment_ids, num_segments, "sparse.segment_mean")


def segment_sqrt_n(data, indices, segment_ids, num_segments=None, name=None, sparse_gradient=False):
    """Sum of the rows ``data[indices]`` of each segment divided by the square root of their number.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.sparse.segment_sqrt_n(tf.constant([1.0, 2.0, 3.0]), [0, 1, 2], [0, 0, 1]).numpy().round(4)
    array([2.1213, 3.    ], dtype=float32)
    """
    return _segment("sqrt_n", data, indices, segment_ids, num_segments, "sparse.segment_sqrt_n")


def reshape(sp_input, shape, name=None):
    """The same entries in a dense shape of as many places (one size may be -1: inferred).

    Examples
    --------
    >>> import learnet as tf
    >>> st = tf.SparseTensor(indices=[[0, 1], [1, 2]], values=[1.0, 2.0], dense_shape=[2, 3])
    >>> tf.sparse.reshape(st, [3, -1]).indices.numpy().tolist()
    [[0, 1], [2, 1]]
    """
    _checked_sparse(sp_input, "sparse.reshape")
    old_shape = tuple(int(d) for d in sp_input.dense_shape.numpy())
    raw = shape.numpy() if isinstance(shape, Tensor) else shape
    new_shape = [int(d) for d in numpy.atleast_1d(numpy.asarray(raw))]
    total = int(numpy.prod(old_shape))
    if new_shape.count(-1) > 1:
        raise errors.InvalidArgumentError(None, None, "sparse.reshape: at most one size may be -1")
    known = int(numpy.prod([d for d in new_shape if d != -1]))
    if -1 in new_shape:
        if known == 0 or total % known:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"sparse.reshape: the SparseTensor has {total} dense values, but the requested shape "
                f"requires a multiple of {known}",
            )
        new_shape[new_shape.index(-1)] = total // known
    elif known != total:
        raise errors.InvalidArgumentError(
            None, None, f"sparse.reshape: cannot reshape a SparseTensor of {total} dense values into {new_shape}"
        )
    flat = numpy.ravel_multi_index(tuple(sp_input.indices.numpy().T), old_shape)
    indices = numpy.stack(numpy.unravel_index(flat, new_shape), axis=1) if new_shape else numpy.zeros((len(flat), 0))
    return SparseTensor(indices, sp_input.values, new_shape)


def expand_dims(sp_input, axis=None, name=None):
    """The SparseTensor with a new axis of size 1 at ``axis`` (-1, the end, by default).

    Examples
    --------
    >>> import learnet as tf
    >>> st = tf.SparseTensor(indices=[[0, 1]], values=[1.0], dense_shape=[2, 3])
    >>> tf.sparse.expand_dims(st, 0).dense_shape.numpy().tolist()
    [1, 2, 3]
    """
    _checked_sparse(sp_input, "sparse.expand_dims")
    shape = sp_input.dense_shape.numpy().tolist()
    axis = -1 if axis is None else int(axis.numpy() if isinstance(axis, Tensor) else axis)
    if not -len(shape) - 1 <= axis <= len(shape):
        raise errors.InvalidArgumentError(
            None, None, f"sparse.expand_dims: axis {axis} is out of range [{-len(shape) - 1}, {len(shape)}]"
        )
    axis = axis % (len(shape) + 1)
    index_array = sp_input.indices.numpy()
    indices = numpy.insert(index_array, axis, 0, axis=1)
    return SparseTensor(indices, sp_input.values, shape[:axis] + [1] + shape[axis:])


def eye(num_rows, num_columns=None, dtype="float32", name=None):
    """A SparseTensor of ``num_rows x num_columns`` with ones on its diagonal.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.sparse.to_dense(tf.sparse.eye(2, 3)).numpy().tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    rows = int(num_rows)
    columns = rows if num_columns is None else int(num_columns)
    diagonal = numpy.arange(min(rows, columns))
    return SparseTensor(
        numpy.stack([diagonal, diagonal], axis=1), numpy.ones(len(diagonal), dtype=_as_dtype(dtype)), [rows, columns]
    )


def to_indicator(sp_input, vocab_size, name=None):
    """A dense boolean tensor ``[..., vocab_size]``: True at each value of each row of the last axis.

    Examples
    --------
    >>> import learnet as tf
    >>> st = tf.SparseTensor(indices=[[0, 0], [0, 1], [2, 0]], values=[1, 3, 0], dense_shape=[3, 2])
    >>> tf.sparse.to_indicator(st, 4).numpy().astype(int).tolist()
    [[0, 1, 0, 1], [0, 0, 0, 0], [1, 0, 0, 0]]
    """
    _checked_sparse(sp_input, "sparse.to_indicator")
    values = sp_input.values.numpy()
    if values.dtype.kind not in "iu":
        raise TypeError(f"sparse.to_indicator expects integer values, got {values.dtype}")
    vocab_size = int(vocab_size)
    if values.size and (values.min() < 0 or values.max() >= vocab_size):
        raise errors.InvalidArgumentError(
            None, None, f"sparse.to_indicator: values must lie in [0, {vocab_size}), got {values.min()}..{values.max()}"
        )
    shape = sp_input.dense_shape.numpy().tolist()
    out = numpy.zeros(shape[:-1] + [vocab_size], dtype=bool)
    index_array = sp_input.indices.numpy()
    out[(*index_array[:, :-1].T, values)] = True
    return convert_to_tensor(out)


def softmax(sp_input, name=None):
    """Softmax of the stored values of each row of the last axis (the absent places take no part).

    Examples
    --------
    >>> import learnet as tf
    >>> st = tf.SparseTensor(indices=[[0, 0], [0, 2], [1, 1]], values=[1.0, 1.0, 5.0], dense_shape=[2, 3])
    >>> tf.sparse.softmax(st).values.numpy()
    array([0.5, 0.5, 1. ], dtype=float32)
    """
    _checked_sparse(sp_input, "sparse.softmax")
    shape = sp_input.dense_shape.numpy()
    index_array = sp_input.indices.numpy()
    rows = (
        numpy.ravel_multi_index(tuple(index_array[:, :-1].T), tuple(shape[:-1]))
        if len(shape) > 1
        else numpy.zeros(len(index_array), int)
    )
    count = int(numpy.prod(shape[:-1]))
    row_ids = convert_to_tensor(rows.astype("int64"))
    largest = _stop_gradient(_segment_reduce("max", sp_input.values, rows, count))
    exponentials = _ops.exp(sp_input.values - _ops.gather(largest, row_ids))
    totals = _segment_reduce("sum", exponentials, rows, count)
    return SparseTensor(sp_input.indices, exponentials / _ops.gather(totals, row_ids), shape)


def split(sp_input=None, num_split=None, axis=None, name=None):
    """Cut a SparseTensor into ``num_split`` pieces along ``axis`` (the first pieces one larger when uneven).

    Examples
    --------
    >>> import learnet as tf
    >>> st = tf.SparseTensor(indices=[[0, 0], [1, 2]], values=[1.0, 2.0], dense_shape=[2, 3])
    >>> [p.dense_shape.numpy().tolist() for p in tf.sparse.split(sp_input=st, num_split=2, axis=1)]
    [[2, 2], [2, 1]]
    """
    _checked_sparse(sp_input, "sparse.split")
    if num_split is None or axis is None:
        raise ValueError("sparse.split needs num_split and axis")
    shape = sp_input.dense_shape.numpy()
    axis = int(axis)
    if not -len(shape) <= axis < len(shape):
        raise errors.InvalidArgumentError(
            None, None, f"sparse.split: axis {axis} is out of range for rank {len(shape)}"
        )
    axis %= len(shape)
    num_split = int(num_split)
    if num_split < 1:
        raise errors.InvalidArgumentError(None, None, f"sparse.split: num_split must be >= 1, got {num_split}")
    size, extra = divmod(int(shape[axis]), num_split)
    pieces, start = [], 0
    for piece in range(num_split):  # a handful of pieces, each one vectorised slice
        length = size + (1 if piece < extra else 0)
        begin = numpy.zeros(len(shape), dtype=numpy.int64)
        begin[axis] = start
        extent = shape.copy()
        extent[axis] = length
        pieces.append(slice(sp_input, begin, extent))
        start += length
    return pieces
