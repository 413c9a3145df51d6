"""``tf.sparse`` and ``tf.SparseTensor``: tensors that store only their non-zero entries.

A ``SparseTensor`` holds ``indices`` (one row of coordinates per stored value),
``values`` and the ``dense_shape``, as in TensorFlow. ``tf.sparse.to_dense``,
``from_dense``, ``sparse_dense_matmul``, ``add``, ``reduce_sum``, ``transpose`` and
``reorder`` cover what the TensorFlow sparse-tensor guide teaches. ``IndexedSlices``
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

from learnet.tensor import Tensor, convert_to_tensor

_ops = importlib.import_module("learnet.ops")
_scatter = importlib.import_module("learnet.scatter")

__all__ = [
    "IndexedSlices",
    "SparseTensor",
    "add",
    "concat",
    "map_values",
    "from_dense",
    "reduce_sum",
    "reorder",
    "retain",
    "slice",
    "sparse_dense_matmul",
    "to_dense",
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

    def __repr__(self):
        return (
            f"SparseTensor(indices={self.indices.numpy().tolist()}, values={self.values.numpy().tolist()}, "
            f"dense_shape={self.dense_shape.numpy().tolist()})"
        )

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
    dense = _scatter.scatter_nd(index_array, sp_input.values, shape)
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


def reduce_sum(sp_input, axis=None, keepdims=False, output_is_sparse=False, name=None):
    """Sum of the entries (along ``axis``), as a dense tensor."""
    result = _ops.reduce_sum(to_dense(sp_input), axis=axis, keepdims=keepdims)
    return from_dense(result) if output_is_sparse else result


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
