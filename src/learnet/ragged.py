"""``tf.ragged``: tensors whose rows have different lengths (``tf.ragged.constant``).

A ``RaggedTensor`` of rank 2 keeps its ``flat_values`` in one tensor and the
``row_splits`` that cut them into rows, as TensorFlow does. The common operations of
the TensorFlow ragged-tensor guide work: ``shape`` (``None`` for the ragged axis),
``row_lengths``, ``to_tensor`` / ``from_tensor``, ``to_list``, indexing a row (or picking
rows by a slice or an array of indices, as ``fit`` batches them),
``tf.ragged.map_flat_values``, ````tf.ragged.reduce_sum/mean/max/min`` along rows, ``concat`` and
elementwise arithmetic with a scalar or another ragged tensor of the same row lengths.
Values are numbers or text (string tensors of bytes).

Examples
--------
>>> import learnet as tf
>>> rt = tf.ragged.constant([[3, 1, 4], [], [1, 5]])
>>> rt.row_lengths().numpy().tolist(), rt.shape
([3, 0, 2], TensorShape([3, None]))
>>> tf.ragged.reduce_sum(rt, axis=1).numpy().tolist()
[8, 0, 6]
"""

import importlib

import numpy

from learnet.sparse import SparseTensor
from learnet.sparse import map_values as sparse_map_values
from learnet.tensor import Tensor, TensorShape, convert_to_tensor

_ops = importlib.import_module("learnet.ops")

__all__ = [
    "RaggedTensor",
    "concat",
    "constant",
    "map_flat_values",
    "reduce_max",
    "reduce_mean",
    "reduce_min",
    "reduce_sum",
    "stack_dynamic_partitions",
]


class RaggedTensor:
    """Rows of different lengths: ``flat_values`` cut at ``row_splits``."""

    def __init__(self, flat_values, row_splits):
        self.flat_values = flat_values if isinstance(flat_values, Tensor) else convert_to_tensor(flat_values)
        splits = numpy.asarray(row_splits.numpy() if isinstance(row_splits, Tensor) else row_splits, dtype="int64")
        if (
            splits.ndim != 1
            or splits.size == 0
            or splits[0] != 0
            or (numpy.diff(splits) < 0).any()
            or splits[-1] != self.flat_values.shape[0]
        ):
            raise ValueError(
                f"RaggedTensor: row_splits must start at 0, never decrease and end at the number "
                f"of values ({self.flat_values.shape[0]}), got {splits.tolist()}"
            )
        self.row_splits = convert_to_tensor(splits, dtype="int64")

    # --- making one ---------------------------------------------------------------------------
    @classmethod
    def from_row_splits(cls, values, row_splits, validate=True):
        return cls(values, row_splits)

    @classmethod
    def from_row_lengths(cls, values, row_lengths, validate=True):
        lengths = numpy.asarray(row_lengths.numpy() if isinstance(row_lengths, Tensor) else row_lengths, "int64")
        return cls(values, numpy.concatenate([[0], numpy.cumsum(lengths)]))

    @classmethod
    def from_value_rowids(cls, values, value_rowids, nrows=None, validate=True):
        ids = numpy.asarray(value_rowids.numpy() if isinstance(value_rowids, Tensor) else value_rowids, "int64")
        rows = int(ids.max()) + 1 if nrows is None else int(nrows)
        return cls.from_row_lengths(values, numpy.bincount(ids, minlength=rows))

    @classmethod
    def from_sparse(cls, st_input, name=None, row_splits_dtype="int64"):
        """The rows of a 2-D ``SparseTensor`` whose values come row by row, left-aligned
        (as ``tf.io.parse_single_sequence_example`` gives them): row ``i`` holds its values."""
        if not hasattr(st_input, "indices") or len(numpy.asarray(st_input.dense_shape.numpy())) != 2:
            raise ValueError("RaggedTensor.from_sparse expects a SparseTensor of rank 2")
        indices = numpy.asarray(st_input.indices.numpy()).reshape(-1, 2)
        rows = int(numpy.asarray(st_input.dense_shape.numpy())[0])
        order = numpy.lexsort((indices[:, 1], indices[:, 0])) if len(indices) else numpy.zeros(0, int)
        lengths = numpy.bincount(indices[:, 0], minlength=rows) if len(indices) else numpy.zeros(rows, "int64")
        starts = numpy.concatenate([[0], numpy.cumsum(lengths)[:-1]])
        if len(indices) and (
            not numpy.array_equal(order, numpy.arange(len(indices)))
            or not numpy.array_equal(indices[:, 1], numpy.arange(len(indices)) - numpy.repeat(starts, lengths))
        ):
            raise ValueError(
                "RaggedTensor.from_sparse: the values must be in row-major order and left-aligned in each row"
            )
        return cls.from_row_lengths(st_input.values, lengths)

    @classmethod
    def from_tensor(cls, tensor, lengths=None, padding=None):
        array = tensor.numpy() if isinstance(tensor, Tensor) else numpy.asarray(tensor)
        if lengths is None:
            if padding is None:
                lengths = [array.shape[1]] * array.shape[0]
            else:
                lengths = [int(numpy.max(numpy.nonzero(row != padding)[0], initial=-1)) + 1 for row in array]
        lengths = numpy.asarray(lengths, "int64")
        values = numpy.concatenate([row[:n] for row, n in zip(array, lengths)]) if len(array) else array.reshape(-1)
        return cls.from_row_lengths(convert_to_tensor(values, dtype=array.dtype), lengths)

    # --- describing it --------------------------------------------------------------------------
    @property
    def dtype(self):
        return self.flat_values.dtype

    @property
    def shape(self):
        lengths = self.row_lengths().numpy()
        inner = None if len(set(lengths.tolist())) > 1 else (int(lengths[0]) if len(lengths) else 0)
        return TensorShape((self.nrows_int(),) + (inner,) + tuple(self.flat_values.shape[1:]))

    @property
    def ragged_rank(self):
        return 1

    @property
    def values(self):
        return self.flat_values

    def __len__(self):
        """The number of rows, as ``len`` of a tensor gives its first dimension."""
        return self.nrows_int()

    def nrows_int(self):
        return int(self.row_splits.shape[0]) - 1

    def nrows(self):
        return convert_to_tensor(self.nrows_int(), dtype="int64")

    def row_lengths(self):
        return convert_to_tensor(numpy.diff(self.row_splits.numpy()), dtype="int64")

    def value_rowids(self):
        return convert_to_tensor(
            numpy.repeat(numpy.arange(self.nrows_int()), self.row_lengths().numpy()), dtype="int64"
        )

    def _rows(self):
        splits = self.row_splits.numpy()
        return [self.flat_values[int(a) : int(b)] for a, b in zip(splits[:-1], splits[1:])]

    # --- converting ---------------------------------------------------------------------------
    def to_tensor(self, default_value=0, shape=None):
        """A dense tensor, short rows padded with ``default_value``."""
        rows = self._rows()
        width = max([r.shape[0] for r in rows], default=0)
        if shape is not None and shape[-1] is not None:
            width = int(shape[-1])
        padded = []
        for row in rows:
            row = row[:width]
            pad = [[0, width - row.shape[0]]] + [[0, 0]] * (row.ndim - 1)
            padded.append(_ops.pad(row, pad, constant_values=default_value))
        if not padded:
            return _ops.zeros((0, width), dtype=self.dtype)
        return _ops.stack(padded)

    def to_list(self):
        return [row.numpy().tolist() for row in self._rows()]

    def numpy(self):
        return numpy.array([row.numpy() for row in self._rows()], dtype=object)

    def __getitem__(self, key):
        """One row (an int), or a RaggedTensor of the rows a slice or an array of row indices picks.

        ``rt[1:3]`` and ``rt[::2]`` as in TensorFlow; ``rt[numpy.array([2, 0])]`` takes rows 2
        and 0 in that order (``tf.gather(rt, [2, 0])``), which is how ``fit`` batches and
        shuffles ragged inputs. ``rt[:, :2]`` keeps the first two values of every row.

        Examples
        --------
        >>> import numpy as np
        >>> import learnet as tf
        >>> rt = tf.ragged.constant([[3, 1, 4], [], [1, 5]])
        >>> rt[0].numpy().tolist(), rt[1:].to_list(), rt[np.array([2, 0])].to_list()
        ([3, 1, 4], [[], [1, 5]], [[1, 5], [3, 1, 4]])
        """
        if isinstance(key, (int, numpy.integer)):
            count = self.nrows_int()
            if not -count <= key < count:
                raise IndexError(f"RaggedTensor: row {int(key)} is out of range for {count} rows")
            splits = self.row_splits.numpy()
            row = int(key) % count
            return self.flat_values[int(splits[row]) : int(splits[row + 1])]
        if isinstance(key, slice):
            start, stop, step = key.indices(self.nrows_int())
            if step == 1:
                return self._row_range(start, max(start, stop))
            return self._gather_rows(numpy.arange(start, stop, step))
        if isinstance(key, (list, numpy.ndarray)) and numpy.asarray(key).ndim == 1:
            rows = numpy.asarray(key)
            if rows.size == 0:
                rows = rows.astype("int64")
            if rows.dtype.kind not in "iu":
                raise TypeError(f"RaggedTensor: rows are picked by integer indices, got {rows.dtype} values")
            return self._gather_rows(rows)
        if isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], slice):
            rows = [row[key[1]] for row in self._rows()[key[0]]]
            return RaggedTensor.from_row_lengths(
                _ops.concat(rows, axis=0) if rows else self.flat_values[:0], [r.shape[0] for r in rows]
            )
        raise TypeError(
            f"RaggedTensor indices must be an int, a slice, an array of row indices or (slice, slice), got {key!r}"
        )

    def _row_range(self, start, stop):
        """Rows ``start`` to ``stop`` (a contiguous run): a slice of the values, no copy."""
        splits = self.row_splits.numpy()[start : stop + 1]
        return RaggedTensor(self.flat_values[int(splits[0]) : int(splits[-1])], splits - splits[0])

    def _gather_rows(self, rows):
        """The rows at the integer indices ``rows``, in their order (one gather of the values)."""
        count = self.nrows_int()
        outside = (rows < -count) | (rows >= count)
        if outside.any():
            raise IndexError(f"RaggedTensor: row index {int(rows[outside][0])} is out of range for {count} rows")
        rows = rows % count if count else rows
        splits = self.row_splits.numpy()
        starts = splits[:-1][rows]
        lengths = splits[1:][rows] - starts
        new_splits = numpy.concatenate([[0], numpy.cumsum(lengths)]).astype("int64")
        # Value j of the result is value j - (its row's new start) + (its row's old start).
        positions = numpy.arange(new_splits[-1], dtype="int64") + numpy.repeat(starts - new_splits[:-1], lengths)
        return RaggedTensor(_ops.gather(self.flat_values, positions), new_splits)

    def with_flat_values(self, new_values):
        return RaggedTensor(new_values, self.row_splits)

    def _binary(self, other, op):
        if isinstance(other, RaggedTensor):
            if not numpy.array_equal(other.row_splits.numpy(), self.row_splits.numpy()):
                raise ValueError("ragged tensors with different row lengths cannot be combined elementwise")
            other = other.flat_values
        return self.with_flat_values(op(self.flat_values, other))

    def __add__(self, other):
        return self._binary(other, lambda a, b: a + b)

    def __sub__(self, other):
        return self._binary(other, lambda a, b: a - b)

    def __mul__(self, other):
        return self._binary(other, lambda a, b: a * b)

    def __truediv__(self, other):
        return self._binary(other, lambda a, b: a / b)

    __radd__, __rmul__ = __add__, __mul__

    def __repr__(self):
        return f"<tf.RaggedTensor {self.to_list()}>"


def _is_sequence(value):
    return isinstance(value, (list, tuple)) or (isinstance(value, numpy.ndarray) and value.ndim > 0)


def constant(pylist, dtype=None, ragged_rank=None, inner_shape=None, row_splits_dtype="int64", name=None):
    """A RaggedTensor from rows of different lengths (rank 2), as ``tf.ragged.constant``.

    The rows may be lists, tuples or NumPy arrays, and the outer list a NumPy object array
    of rows: what pandas' ``.values`` gives for a column of lists. A value without rows (a
    number, a flat list) is refused; use ``tf.constant`` for it.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as tf
    >>> tf.ragged.constant(np.array([["a"], ["b", "c"]], dtype=object)).to_list()
    [[b'a'], [b'b', b'c']]
    """
    if isinstance(pylist, Tensor):
        pylist = pylist.numpy()
    if not _is_sequence(pylist) or not all(_is_sequence(row) for row in pylist):
        raise ValueError(
            "ragged.constant expects a list of rows (lists, tuples or arrays), e.g. [[1, 2], [3]], "
            f"got {type(pylist).__name__}"
        )
    rows = [row.tolist() if isinstance(row, numpy.ndarray) else list(row) for row in pylist]
    lengths = [len(row) for row in rows]
    flat = [value for row in rows for value in row]
    values = convert_to_tensor(flat, dtype=dtype) if flat else _ops.zeros((0,), dtype=dtype or "float32")
    return RaggedTensor.from_row_lengths(values, lengths)


def map_rows(fn, rt):
    """``fn`` applied to each row: a RaggedTensor if the results differ in length, else stacked."""
    results = [fn(row) for row in rt._rows()]
    shapes = {tuple(r.shape) for r in results}
    if len(shapes) == 1:
        return _ops.stack(results)
    return RaggedTensor.from_row_lengths(_ops.concat(results, axis=0), [r.shape[0] for r in results])


def map_flat_values(op, *args, **kwargs):
    """Apply ``op`` to the flat values of the ragged arguments, keeping the row structure."""
    ragged_args = [a for a in args if isinstance(a, RaggedTensor)]
    if not ragged_args:
        raise ValueError("map_flat_values needs at least one RaggedTensor argument")
    structure = ragged_args[0]
    plain = [a.flat_values if isinstance(a, RaggedTensor) else a for a in args]
    return structure.with_flat_values(op(*plain, **kwargs))


def _reduce(reduction, rt, axis):
    if axis in (1, -1):
        if reduction == "mean":
            if rt.dtype.kind == "f":
                sums = _reduce("sum", rt, 1)
                lengths = _ops.cast(rt.row_lengths(), rt.dtype)
                return sums / lengths  # differentiable; NaN for an empty row, as in TF
            # Integer rows average to float64, as TensorFlow's ragged reduce_mean.
            means = [numpy.mean(row.numpy(), dtype="float64") if row.shape[0] else numpy.nan for row in rt._rows()]
            return convert_to_tensor(numpy.asarray(means, dtype="float64"), dtype="float64")
        rows = rt._rows()
        if reduction == "sum":
            sums = _ops.stack(
                [
                    _ops.cast(_ops.reduce_sum(row), rt.dtype) if row.shape[0] else _ops.zeros((), dtype=rt.dtype)
                    for row in rows
                ]
            )
            return sums
        lowest = numpy.finfo(rt.dtype).min if rt.dtype.kind == "f" else numpy.iinfo(rt.dtype).min
        empty = lowest if reduction == "max" else -lowest if rt.dtype.kind == "f" else numpy.iinfo(rt.dtype).max
        function = _ops.reduce_max if reduction == "max" else _ops.reduce_min
        return _ops.stack(
            [function(row) if row.shape[0] else convert_to_tensor(numpy.asarray(empty, rt.dtype)) for row in rows]
        )
    if axis is None:
        return getattr(_ops, f"reduce_{reduction}")(rt.flat_values)
    raise ValueError(f"reductions of a RaggedTensor support axis=1 (along rows) or None, got {axis}")


def concat(values, axis=0):
    """Join ragged tensors: ``axis=0`` stacks their rows, ``axis=1`` joins row by row."""
    values = [v if isinstance(v, RaggedTensor) else RaggedTensor.from_tensor(v) for v in values]
    if axis == 0:
        rows = [row for v in values for row in v._rows()]
    elif axis in (1, -1):
        rows = [_ops.concat(list(parts), axis=0) for parts in zip(*[v._rows() for v in values])]
    else:
        raise ValueError(f"ragged concat supports axis 0 or 1, got {axis}")
    return RaggedTensor.from_row_lengths(_ops.concat(rows, axis=0), [r.shape[0] for r in rows])


def stack_dynamic_partitions(data, partitions, num_partitions, name=None):
    """Group the entries of ``data`` into ``num_partitions`` rows by ``partitions``."""
    data = data if isinstance(data, Tensor) else convert_to_tensor(data)
    ids = numpy.asarray(partitions.numpy() if isinstance(partitions, Tensor) else partitions, "int64")
    order = numpy.argsort(ids, kind="stable")
    return RaggedTensor.from_row_lengths(
        _ops.gather(data, convert_to_tensor(order, dtype="int64")), numpy.bincount(ids, minlength=num_partitions)
    )


def reduce_sum(rt, axis=None):
    """Sum of each row (``axis=1``) or of all values (``axis=None``)."""
    return _reduce("sum", rt, axis)


def reduce_mean(rt, axis=None):
    """Mean of each row (NaN for an empty row) or of all values."""
    return _reduce("mean", rt, axis)


def reduce_max(rt, axis=None):
    """Largest value of each row (the dtype's lowest for an empty row) or of all values."""
    return _reduce("max", rt, axis)


def reduce_min(rt, axis=None):
    """Smallest value of each row (the dtype's highest for an empty row) or of all values."""
    return _reduce("min", rt, axis)


# --- the top-level functions accept ragged tensors (tf.add(rt, 3), tf.reduce_mean(rt, axis=1)) ----------
_ELEMENTWISE = (
    "add",
    "subtract",
    "multiply",
    "divide",
    "maximum",
    "minimum",
    "abs",
    "square",
    "sqrt",
    "exp",
    "log",
    "negative",
    "cast",
)
_REDUCTIONS = ("reduce_sum", "reduce_mean", "reduce_max", "reduce_min")


def ragged_aware(function):
    """``function`` that also takes RaggedTensor arguments (the plain path is unchanged)."""
    name = function.__name__

    def dispatch(*args, **kwargs):
        if name == "cast" and args and isinstance(args[0], SparseTensor):  # tf.cast of a SparseTensor
            return sparse_map_values(function, *args, **kwargs)
        if name == "concat":
            values = args[0] if args else kwargs.get("values")
            if isinstance(values, (list, tuple)) and any(isinstance(v, RaggedTensor) for v in values):
                axis = args[1] if len(args) > 1 else kwargs.get("axis", 0)
                return concat(
                    [
                        v
                        if isinstance(v, RaggedTensor)
                        else constant(v.numpy().tolist() if isinstance(v, Tensor) else v)
                        for v in values
                    ],
                    axis=axis,
                )
            return function(*args, **kwargs)
        if not any(isinstance(a, RaggedTensor) for a in args):
            return function(*args, **kwargs)
        if name in _REDUCTIONS:
            axis = args[1] if len(args) > 1 else kwargs.get("axis")
            return _reduce(name[len("reduce_") :], args[0], axis)
        if name == "tile":
            multiples = [int(m) for m in (args[1] if len(args) > 1 else kwargs["multiples"])]
            rows = [_ops.concat([row] * multiples[1], axis=0) for row in args[0]._rows()] * multiples[0]
            return RaggedTensor.from_row_lengths(_ops.concat(rows, axis=0), [r.shape[0] for r in rows])
        ragged_args = [a for a in args if isinstance(a, RaggedTensor)]
        for other in ragged_args[1:]:
            if not numpy.array_equal(other.row_splits.numpy(), ragged_args[0].row_splits.numpy()):
                raise ValueError(f"{name}: ragged tensors with different row lengths cannot be combined elementwise")
        plain = [a.flat_values if isinstance(a, RaggedTensor) else a for a in args]
        return ragged_args[0].with_flat_values(function(*plain, **kwargs))

    dispatch.__name__ = name
    dispatch.__doc__ = function.__doc__
    dispatch.__wrapped__ = function
    return dispatch


def dispatching(namespace):
    """Replace the elementwise functions, reductions and ``concat`` of ``namespace`` by ragged-aware ones."""
    for name in _ELEMENTWISE + _REDUCTIONS + ("concat", "tile"):
        if name in namespace:
            namespace[name] = ragged_aware(namespace[name])
