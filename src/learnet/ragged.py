"""``tf.ragged``: tensors whose rows have different lengths (``tf.ragged.constant``).

A ``RaggedTensor`` keeps its ``flat_values`` in one tensor and the
``row_splits`` that cut them into rows, as TensorFlow does. The common operations of
the TensorFlow ragged-tensor guide work: ``shape`` (``None`` for the ragged axis),
``row_lengths``, ``to_tensor`` / ``from_tensor``, ``to_list``, indexing a row (or picking
rows by a slice or an array of indices, as ``fit`` batches them),
``tf.ragged.map_flat_values``, ````tf.ragged.reduce_sum/mean/max/min`` along rows, ``concat`` and
elementwise arithmetic with a scalar or another ragged tensor of the same row lengths.
The row partitions of TensorFlow's API are all here (``from_row_starts``/``limits``,
``from_value_rowids``, ``from_uniform_row_length``, ``row_starts``, ``bounding_shape``...),
and ``merge_dims`` joins axes. Values are numbers or text (string tensors of bytes), and each
value may be a uniform array: the one ragged dimension (``ragged_rank`` 1) may hold uniform
dimensions inside it; nested ragged dimensions are refused with ``NotImplementedError``.

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

from learnet import errors
from learnet.sparse import SparseTensor
from learnet.sparse import map_values as sparse_map_values
from learnet.tensor import Tensor, TensorShape, _as_dtype, _dtype_name, convert_to_tensor

_ops = importlib.import_module("learnet.ops")

__all__ = [
    "RaggedTensor",
    "RaggedTensorSpec",
    "concat",
    "constant",
    "map_flat_values",
    "reduce_max",
    "reduce_mean",
    "reduce_min",
    "reduce_sum",
    "stack_dynamic_partitions",
]


def _integer_array(value, what):
    """``value`` (a tensor, array, list or number) as a NumPy int64 array; anything else is refused."""
    array = numpy.asarray(value.numpy() if isinstance(value, Tensor) else value)
    if array.size and array.dtype.kind not in "iu":
        raise TypeError(f"RaggedTensor: {what} must hold integers, got values of dtype {array.dtype}")
    return array.astype("int64")


def _splits_dtype(dtype):
    """int32 or int64, the dtypes TensorFlow allows for row_splits."""
    name = numpy.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in ("int32", "int64"):
        raise ValueError(f"Argument `row_splits` dtype must be int32 or int64. Received {dtype!r}.")
    return name


def _one_level(levels, function):
    """The one partition of a nested list of partitions; None for none; nested ragged ones are refused."""
    if isinstance(levels, Tensor) or not isinstance(levels, (list, tuple)):
        raise TypeError(f"RaggedTensor.{function} expects a list of row partitions, one per ragged dimension")
    if len(levels) > 1:
        raise NotImplementedError(
            f"RaggedTensor.{function}: got {len(levels)} ragged dimensions (ragged_rank {len(levels)}); learnet's "
            "ragged tensors have one ragged dimension (ragged_rank 1), with uniform dimensions inside it"
        )
    return levels[0] if levels else None


def _axis(axis, rank, name):
    """``axis`` counted from the front, checked against ``rank`` as TensorFlow does."""
    if isinstance(axis, Tensor):
        axis = axis.numpy()
    if isinstance(axis, (bool, numpy.bool_)) or not isinstance(axis, (int, numpy.integer)):
        raise TypeError(f"RaggedTensor.merge_dims: {name} must be an int, got {axis!r}")
    if not -rank <= axis < rank:
        raise ValueError(f"{name}={int(axis)} out of bounds: expected {-rank}<={name}<{rank}")
    return int(axis) % rank


def _shape_list(shape):
    """A shape (list, tuple, TensorShape or tensor) as a list of ints and Nones."""
    if isinstance(shape, Tensor):
        shape = shape.numpy().tolist()
    sizes = list(shape)
    return [None if size is None or (not isinstance(size, str) and int(size) < 0) else int(size) for size in sizes]


class RaggedTensor:
    """Rows of different lengths: ``flat_values`` cut at ``row_splits``.

    learnet's ragged tensors have one ragged dimension (``ragged_rank`` 1): rows of
    values, where each value may itself be a uniform array (``flat_values`` of shape
    ``(total values, ...)``). Nested ragged dimensions are refused with
    ``NotImplementedError``.

    Examples
    --------
    >>> import learnet as tf
    >>> rt = tf.RaggedTensor.from_row_lengths([3, 1, 4, 1, 5], [2, 0, 3])
    >>> rt.to_list(), rt.bounding_shape().numpy().tolist()
    ([[3, 1], [], [4, 1, 5]], [3, 3])
    """

    def __init__(self, flat_values, row_splits, row_splits_dtype="int64"):
        self.flat_values = flat_values if isinstance(flat_values, Tensor) else convert_to_tensor(flat_values)
        if self.flat_values.ndim == 0:
            raise ValueError("RaggedTensor: the values must have at least one axis, got a scalar")
        splits = _integer_array(row_splits, "row_splits")
        if (
            splits.ndim != 1
            or splits.size == 0
            or splits[0] != 0
            or (numpy.diff(splits) < 0).any()
            or splits[-1] != self.flat_values.shape[0]
        ):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"RaggedTensor: row_splits must start at 0, never decrease and end at the number "
                f"of values ({self.flat_values.shape[0]}), got {splits.tolist()}",
            )
        self.row_splits = convert_to_tensor(splits, dtype=_splits_dtype(row_splits_dtype))
        self._uniform_row_length = None

    def _like(self, flat_values, row_splits=None):
        """A RaggedTensor with new values (and splits), keeping this one's row_splits dtype."""
        splits = self.row_splits if row_splits is None else row_splits
        return RaggedTensor(flat_values, splits, row_splits_dtype=self.row_splits.dtype)

    # --- making one ---------------------------------------------------------------------------
    @classmethod
    def from_row_splits(cls, values, row_splits, name=None, validate=True):
        """Rows ``values[row_splits[i]:row_splits[i + 1]]``."""
        return cls(values, row_splits)

    @classmethod
    def from_row_lengths(cls, values, row_lengths, name=None, validate=True):
        """Consecutive rows of the given lengths.

        Examples
        --------
        >>> import learnet as tf
        >>> tf.RaggedTensor.from_row_lengths([1, 2, 3], [2, 0, 1]).to_list()
        [[1, 2], [], [3]]
        """
        lengths = _integer_array(row_lengths, "row_lengths")
        if lengths.ndim != 1 or (lengths < 0).any():
            raise errors.InvalidArgumentError(
                None, None, f"RaggedTensor.from_row_lengths: lengths must be a vector of counts >= 0, got {lengths}"
            )
        return cls(values, numpy.concatenate([[0], numpy.cumsum(lengths)]))

    @classmethod
    def from_row_starts(cls, values, row_starts, name=None, validate=True):
        """Rows that start at ``row_starts`` (the first is 0), each ending where the next starts.

        Examples
        --------
        >>> import learnet as tf
        >>> tf.RaggedTensor.from_row_starts([1, 2, 3], [0, 2]).to_list()
        [[1, 2], [3]]
        """
        values = values if isinstance(values, Tensor) else convert_to_tensor(values)
        starts = _integer_array(row_starts, "row_starts")
        return cls(values, numpy.concatenate([starts.reshape(-1), [values.shape[0] if values.ndim else 0]]))

    @classmethod
    def from_row_limits(cls, values, row_limits, name=None, validate=True):
        """Rows that end at ``row_limits`` (the last is the number of values).

        Examples
        --------
        >>> import learnet as tf
        >>> tf.RaggedTensor.from_row_limits([1, 2, 3], [2, 2, 3]).to_list()
        [[1, 2], [], [3]]
        """
        limits = _integer_array(row_limits, "row_limits")
        return cls(values, numpy.concatenate([[0], limits.reshape(-1)]))

    @classmethod
    def from_value_rowids(cls, values, value_rowids, nrows=None, name=None, validate=True):
        """Value ``i`` goes to row ``value_rowids[i]`` (ids never decrease); ``nrows`` adds empty rows at the end.

        Examples
        --------
        >>> import learnet as tf
        >>> tf.RaggedTensor.from_value_rowids([1, 2, 3], [0, 2, 2], nrows=4).to_list()
        [[1], [], [2, 3], []]
        """
        values = values if isinstance(values, Tensor) else convert_to_tensor(values)
        ids = _integer_array(value_rowids, "value_rowids")
        if ids.ndim != 1 or values.ndim == 0 or ids.shape[0] != values.shape[0]:
            raise ValueError(
                f"RaggedTensor.from_value_rowids: one row id per value is needed, got {ids.shape[0] if ids.ndim else 0} "
                f"ids for {values.shape[0] if values.ndim else 0} values"
            )
        if (ids < 0).any() or (numpy.diff(ids) < 0).any():
            raise errors.InvalidArgumentError(
                None,
                None,
                f"RaggedTensor.from_value_rowids: row ids must be >= 0 and never decrease, got {ids.tolist()}",
            )
        needed = int(ids[-1]) + 1 if ids.size else 0
        rows = needed if nrows is None else int(nrows.numpy() if isinstance(nrows, Tensor) else nrows)
        if rows < needed:
            raise ValueError(
                f"RaggedTensor.from_value_rowids: expected nrows >= value_rowids[-1] + 1; got nrows={rows}, "
                f"value_rowids[-1]={needed - 1}"
            )
        return cls.from_row_lengths(values, numpy.bincount(ids, minlength=rows))

    @classmethod
    def from_uniform_row_length(cls, values, uniform_row_length, nrows=None, validate=True, name=None):
        """Rows that all hold ``uniform_row_length`` values.

        Examples
        --------
        >>> import learnet as tf
        >>> rt = tf.RaggedTensor.from_uniform_row_length([1, 2, 3, 4, 5, 6], 2)
        >>> rt.to_list(), int(rt.uniform_row_length)
        ([[1, 2], [3, 4], [5, 6]], 2)
        """
        values = values if isinstance(values, Tensor) else convert_to_tensor(values)
        length = int(_integer_array(uniform_row_length, "uniform_row_length"))
        count = values.shape[0] if values.ndim else 0
        if length < 0:
            raise ValueError(f"RaggedTensor.from_uniform_row_length: the row length must be >= 0, got {length}")
        if nrows is None:
            rows = count // length if length else 0
        else:
            rows = int(_integer_array(nrows, "nrows"))
        if length * rows != count:
            raise ValueError(f"uniform_row_length={length} times nrows={rows} must equal nvals={count}")
        result = cls(values, numpy.arange(rows + 1, dtype="int64") * length)
        result._uniform_row_length = convert_to_tensor(length, dtype=result.row_splits.dtype)
        return result

    @classmethod
    def from_nested_row_lengths(cls, flat_values, nested_row_lengths, name=None, validate=True):
        """``from_row_lengths`` for each ragged dimension, innermost last: one level here."""
        levels = _one_level(nested_row_lengths, "from_nested_row_lengths")
        if levels is None:
            return flat_values if isinstance(flat_values, Tensor) else convert_to_tensor(flat_values)
        return cls.from_row_lengths(flat_values, levels)

    @classmethod
    def from_nested_row_splits(cls, flat_values, nested_row_splits, name=None, validate=True):
        """``from_row_splits`` for each ragged dimension, innermost last: one level here."""
        levels = _one_level(nested_row_splits, "from_nested_row_splits")
        if levels is None:
            return flat_values if isinstance(flat_values, Tensor) else convert_to_tensor(flat_values)
        return cls.from_row_splits(flat_values, levels)

    @classmethod
    def from_nested_value_rowids(cls, flat_values, nested_value_rowids, nested_nrows=None, name=None, validate=True):
        """``from_value_rowids`` for each ragged dimension, innermost last: one level here."""
        levels = _one_level(nested_value_rowids, "from_nested_value_rowids")
        if levels is None:
            return flat_values if isinstance(flat_values, Tensor) else convert_to_tensor(flat_values)
        nrows = None if nested_nrows is None else _one_level(nested_nrows, "from_nested_value_rowids")
        return cls.from_value_rowids(flat_values, levels, nrows=nrows)

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

    def get_shape(self):
        """The static shape, as ``shape`` (TensorFlow's older name)."""
        return self.shape

    @property
    def ragged_rank(self):
        return 1

    @property
    def values(self):
        return self.flat_values

    @property
    def uniform_row_length(self):
        """The length every row has, for a tensor made by ``from_uniform_row_length``; else None."""
        return self._uniform_row_length

    @property
    def nested_row_splits(self):
        """The row_splits of each ragged dimension: ``(row_splits,)`` here."""
        return (self.row_splits,)

    def __len__(self):
        """The number of rows, as ``len`` of a tensor gives its first dimension."""
        return self.nrows_int()

    def nrows_int(self):
        return int(self.row_splits.shape[0]) - 1

    def nrows(self, out_type=None, name=None):
        return convert_to_tensor(self.nrows_int(), dtype=out_type or self.row_splits.dtype)

    def row_lengths(self, axis=1, name=None):
        if axis not in (1, -1):
            raise ValueError(f"RaggedTensor.row_lengths: learnet's ragged tensors have one ragged axis (1), got {axis}")
        return convert_to_tensor(numpy.diff(self.row_splits.numpy()), dtype=self.row_splits.dtype)

    def row_starts(self, name=None):
        """Where each row starts in ``flat_values``: ``row_splits[:-1]``."""
        return self.row_splits[:-1]

    def row_limits(self, name=None):
        """Where each row ends in ``flat_values``: ``row_splits[1:]``."""
        return self.row_splits[1:]

    def value_rowids(self, name=None):
        return convert_to_tensor(
            numpy.repeat(numpy.arange(self.nrows_int()), self.row_lengths().numpy()), dtype=self.row_splits.dtype
        )

    def nested_row_lengths(self, name=None):
        """The row lengths of each ragged dimension: ``(row_lengths(),)`` here."""
        return (self.row_lengths(),)

    def nested_value_rowids(self, name=None):
        """The value row ids of each ragged dimension: ``(value_rowids(),)`` here."""
        return (self.value_rowids(),)

    def bounding_shape(self, axis=None, name=None, out_type=None):
        """The smallest dense shape that holds every row: ``[nrows, longest row, ...]``.

        Examples
        --------
        >>> import learnet as tf
        >>> tf.ragged.constant([[1, 2, 3], [], [4, 5]]).bounding_shape().numpy().tolist()
        [3, 3]
        """
        lengths = numpy.diff(self.row_splits.numpy())
        full = [self.nrows_int(), int(lengths.max()) if lengths.size else 0, *self.flat_values.shape[1:]]
        full = numpy.asarray(full, dtype=out_type or self.row_splits.dtype)
        if axis is None:
            return convert_to_tensor(full)
        picked = _integer_array(axis, "axis")
        if ((picked < -full.size) | (picked >= full.size)).any():
            raise ValueError(
                f"RaggedTensor.bounding_shape: axis {picked.tolist()} is out of range for rank {full.size}"
            )
        return convert_to_tensor(full[picked])

    def _rows(self):
        splits = self.row_splits.numpy()
        return [self.flat_values[int(a) : int(b)] for a, b in zip(splits[:-1], splits[1:])]

    # --- new ones of the same rows ------------------------------------------------------------
    def with_values(self, new_values):
        """The same rows over ``new_values`` (one per value of ``values``).

        Examples
        --------
        >>> import learnet as tf
        >>> tf.ragged.constant([[1, 2], [3]]).with_values([7, 8, 9]).to_list()
        [[7, 8], [9]]
        """
        result = self._like(new_values)
        result._uniform_row_length = self._uniform_row_length
        return result

    def with_flat_values(self, new_values):
        """The same rows over ``new_values`` (``with_values`` here: there is one ragged dimension)."""
        return self.with_values(new_values)

    def with_row_splits_dtype(self, dtype):
        """The same tensor with ``row_splits`` (and row lengths, ids...) of ``dtype``, int32 or int64."""
        result = RaggedTensor(self.flat_values, self.row_splits, row_splits_dtype=dtype)
        if self._uniform_row_length is not None:
            result._uniform_row_length = _ops.cast(self._uniform_row_length, result.row_splits.dtype)
        return result

    def merge_dims(self, outer_axis, inner_axis):
        """Merge the axes ``outer_axis`` to ``inner_axis`` (both included) into one.

        Merging the rows away (``outer_axis=0``) gives a dense tensor: ``merge_dims(0, 1)`` is
        the flat values. Merging the ragged axis with uniform axes inside it makes longer
        rows; merging uniform axes only keeps the rows. Gradients flow to ``flat_values``.

        Examples
        --------
        >>> import learnet as tf
        >>> rt = tf.RaggedTensor.from_row_lengths(tf.reshape(tf.range(6), (3, 2)), [2, 1])
        >>> rt.merge_dims(0, 1).numpy().tolist()
        [[0, 1], [2, 3], [4, 5]]
        >>> rt.merge_dims(1, 2).to_list()
        [[0, 1, 2, 3], [4, 5]]
        """
        rank = 1 + self.flat_values.ndim
        outer = _axis(outer_axis, rank, "outer_axis")
        inner = _axis(inner_axis, rank, "inner_axis")
        if outer > inner:
            raise ValueError(
                f"Expected outer_axis ({outer_axis}) to be less than or equal to inner_axis ({inner_axis})."
            )
        if outer == inner:
            return self
        values = self.flat_values
        # Axis k >= 1 of the ragged tensor is axis k - 1 of flat_values.
        kept = tuple(values.shape[inner:])
        if outer == 0:
            return _ops.reshape(values, (int(numpy.prod(values.shape[:inner])),) + kept)
        merged = int(numpy.prod(values.shape[outer - 1 : inner]))
        if outer == 1:
            # Each value of a row becomes `merged / ...` values: the rows grow by the inner sizes.
            factor = int(numpy.prod(values.shape[1:inner]))
            new_values = _ops.reshape(values, (values.shape[0] * factor,) + kept)
            return self._like(new_values, self.row_splits.numpy() * factor)
        new_values = _ops.reshape(values, tuple(values.shape[: outer - 1]) + (merged,) + kept)
        return self._like(new_values)

    # --- converting ---------------------------------------------------------------------------
    def to_tensor(self, default_value=None, name=None, shape=None):
        """A dense tensor, short rows padded with ``default_value`` (zeros, or ``b""`` for text).

        Parameters
        ----------
        default_value : scalar or array, optional
            What fills the padding; an array broadcasts to the shape of one value.
        name : str, optional
            Ignored (TensorFlow's graph name).
        shape : list, optional
            ``[rows, columns, ...]``; a given number of rows or columns cuts or pads the
            result to it, ``None`` keeps the bounding size. The inner sizes must match.

        Examples
        --------
        >>> import learnet as tf
        >>> rt = tf.ragged.constant([[1, 2, 3], [], [4, 5]])
        >>> rt.to_tensor(default_value=-1, shape=[2, 2]).numpy().tolist()
        [[1, 2], [-1, -1]]
        """
        values = self.flat_values
        inner = tuple(values.shape[1:])
        bounds = self.bounding_shape(out_type="int64").numpy().tolist()
        if shape is not None:
            wanted = _shape_list(shape)
            if len(wanted) != len(bounds):
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"RaggedTensor.to_tensor: shape {wanted} does not fit: the ragged tensor has rank "
                    f"{len(bounds)} but shape has rank {len(wanted)}",
                )
            for axis, (size, actual) in enumerate(zip(wanted[2:], inner), start=2):
                if size is not None and size != actual:
                    raise errors.InvalidArgumentError(
                        None,
                        None,
                        f"RaggedTensor.to_tensor: shape {wanted} does not fit: axis {axis} has size {actual} "
                        f"but shape[{axis}] = {size}",
                    )
            bounds = [b if w is None else w for b, w in zip(bounds, wanted)]
        rows, width = int(bounds[0]), int(bounds[1])
        padding = self._padding_row(default_value, inner)
        # Entry [r, j] reads value starts[r] + j where row r has a j-th value, else the padding row.
        splits = self.row_splits.numpy().astype("int64")
        count = self.nrows_int()
        r = numpy.arange(rows)[:, None]
        j = numpy.arange(width)[None, :]
        real = numpy.minimum(r, max(count - 1, 0))
        starts, lengths = splits[:-1], numpy.diff(splits)
        has_value = (r < count) & (j < (lengths[real] if count else 0))
        positions = numpy.where(has_value, (starts[real] if count else 0) + j, values.shape[0])
        table = _ops.concat([values, padding], axis=0)
        return _ops.gather(table, convert_to_tensor(positions.astype("int64"), dtype="int64"))

    def _padding_row(self, default_value, inner):
        """``default_value`` as one row of the values' shape, to gather where rows are short."""
        if default_value is None:
            fill = b"" if self.dtype == object else 0
            return _ops.cast(convert_to_tensor(numpy.full((1,) + inner, fill, dtype=self.dtype)), self.dtype)
        if isinstance(default_value, Tensor):
            default = default_value
        else:
            array = numpy.asarray(default_value)
            if self.dtype.kind in "iub" and array.dtype.kind == "f" and not (array == numpy.round(array)).all():
                raise TypeError(f"RaggedTensor.to_tensor: cannot convert {default_value!r} to {self.dtype}")
            default = convert_to_tensor(array.astype(self.dtype) if self.dtype != object else array, dtype=self.dtype)
        if default.ndim > len(inner):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"RaggedTensor.to_tensor: default_value of shape {list(default.shape)} must have a lower rank "
                f"than the values ({len(inner) + 1})",
            )
        try:
            numpy.broadcast_shapes(tuple(default.shape), inner)
        except ValueError:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"RaggedTensor.to_tensor: default_value of shape {list(default.shape)} does not broadcast to "
                f"the shape of one value {list(inner)}",
            ) from None
        if default.dtype != self.dtype:
            default = _ops.cast(default, self.dtype)
        return _ops.broadcast_to(default, (1,) + inner)

    def to_sparse(self, name=None):
        """A ``SparseTensor`` holding every value at its ``[row, column, ...]`` position.

        Examples
        --------
        >>> import learnet as tf
        >>> st = tf.ragged.constant([[1, 2], [], [3]]).to_sparse()
        >>> st.indices.numpy().tolist(), st.dense_shape.numpy().tolist()
        ([[0, 0], [0, 1], [2, 0]], [3, 2])
        """
        splits = self.row_splits.numpy().astype("int64")
        lengths = numpy.diff(splits)
        rows = numpy.repeat(numpy.arange(self.nrows_int()), lengths)
        columns = numpy.arange(splits[-1]) - numpy.repeat(splits[:-1], lengths)
        outer = numpy.stack([rows, columns], axis=1)
        inner_shape = tuple(self.flat_values.shape[1:])
        inner = numpy.indices(inner_shape).reshape(len(inner_shape), int(numpy.prod(inner_shape))).T
        indices = numpy.concatenate(
            [numpy.repeat(outer, len(inner), axis=0), numpy.tile(inner, (len(outer), 1))], axis=1
        )
        values = _ops.reshape(self.flat_values, (-1,))
        return SparseTensor(indices, values, self.bounding_shape(out_type="int64").numpy())

    def to_list(self):
        return [row.numpy().tolist() for row in self._rows()]

    def numpy(self):
        """The rows as NumPy arrays: one 2-D array when all rows have one length, else an object array of rows."""
        values = self.flat_values.numpy()
        splits = self.row_splits.numpy()
        rows = [values[int(a) : int(b)] for a, b in zip(splits[:-1], splits[1:])]
        if not rows:
            return numpy.zeros((0, 0) + values.shape[1:], dtype=values.dtype)
        if len({len(row) for row in rows}) == 1:
            return numpy.stack(rows)
        out = numpy.empty(len(rows), dtype=object)
        for i, row in enumerate(rows):
            out[i] = row
        return out

    def __getitem__(self, key):
        """Rows, values inside rows, or both, with TensorFlow's indexing rules.

        ``rt[0]`` is a row (a dense tensor); ``rt[1:3]`` and ``rt[::-1]`` pick rows; ``rt[:, 1:]``
        and ``rt[..., :-1]`` slice every row (steps, negative ones included); ``rt[1, 2]`` is one
        value; the uniform axes inside the rows take ints and slices (``rt[..., 0]``). Indexing
        into the ragged axis with an int (``rt[:, 0]``) is refused, as in TensorFlow, since rows
        may be too short. One more form is learnet's own: ``rt[numpy.array([2, 0])]`` takes
        rows 2 and 0 in that order (``tf.gather(rt, [2, 0])``), which is how ``fit`` batches and
        shuffles ragged inputs. Gradients flow to ``flat_values``.

        Examples
        --------
        >>> import numpy as np
        >>> import learnet as tf
        >>> rt = tf.ragged.constant([[3, 1, 4], [], [1, 5]])
        >>> rt[0].numpy().tolist(), rt[1:].to_list(), rt[np.array([2, 0])].to_list()
        ([3, 1, 4], [[], [1, 5]], [[1, 5], [3, 1, 4]])
        >>> rt[..., :-1].to_list(), rt[:, ::-1].to_list()
        ([[3, 1], [], [1]], [[4, 1, 3], [], [5, 1]])
        """
        if isinstance(key, (list, numpy.ndarray)) and numpy.asarray(key).ndim == 1:
            rows = numpy.asarray(key)
            if rows.size == 0:
                rows = rows.astype("int64")
            if rows.dtype.kind not in "iu":
                raise TypeError(f"RaggedTensor: rows are picked by integer indices, got {rows.dtype} values")
            return self._gather_rows(rows)
        row_key, column_key, inner_keys = self._index_parts(key)
        if isinstance(row_key, int):
            row = self._row(row_key)
            rest = (column_key, *inner_keys)
            return row if all(k == slice(None) for k in rest) else row[rest]
        start, stop, step = row_key.indices(self.nrows_int())
        if step == 1:
            result = self._row_range(start, max(start, stop))
        else:
            result = self._gather_rows(numpy.arange(start, stop, step))
        if isinstance(column_key, int):
            raise ValueError("Cannot index into an inner ragged dimension.")
        if column_key != slice(None):
            result = result._slice_within_rows(column_key)
        if any(k != slice(None) for k in inner_keys):
            result = result._like(result.flat_values[(slice(None), *inner_keys)])
        return result

    def _index_parts(self, key):
        """``key`` as (rows: int or slice, columns: int or slice, keys of the uniform inner axes).

        An Ellipsis stands for as many full slices as the rank leaves; a missing key is a full
        slice. Anything TensorFlow refuses is refused with its error type.
        """
        parts = list(key) if isinstance(key, tuple) else [key]
        for i, part in enumerate(parts):
            if isinstance(part, Tensor) and part.ndim == 0 and part.dtype.kind in "iu":
                parts[i] = int(part.numpy())
            elif isinstance(part, numpy.integer):
                parts[i] = int(part)
            elif part is None:
                raise NotImplementedError(
                    "RaggedTensor: tf.newaxis (None) adds a ragged dimension (ragged_rank 2); learnet's ragged "
                    "tensors have one ragged dimension"
                )
            elif part is not Ellipsis and (isinstance(part, bool) or not isinstance(part, (int, slice))):
                raise TypeError(
                    "Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
                    f"tf.int32/tf.int64 tensors are valid indices, got {part!r}"
                )
            elif isinstance(part, slice) and not all(
                v is None or (isinstance(v, (int, numpy.integer)) and not isinstance(v, bool))
                for v in (part.start, part.stop, part.step)
            ):
                raise TypeError(f"RaggedTensor: slice bounds must be integers or None, got {part!r}")
            elif isinstance(part, slice) and part.step == 0:
                raise ValueError("RaggedTensor: slice step cannot be zero")
        rank = 1 + self.flat_values.ndim
        ellipses = [i for i, part in enumerate(parts) if part is Ellipsis]
        if len(ellipses) > 1:
            raise IndexError("RaggedTensor: an index can only have a single ellipsis ('...')")
        given = len(parts) - len(ellipses)
        if given > rank:
            raise errors.InvalidArgumentError(
                None, None, f"RaggedTensor: too many indices ({given}) for a ragged tensor of rank {rank}"
            )
        if ellipses:
            at = ellipses[0]
            parts[at : at + 1] = [slice(None)] * (rank - given)
        parts += [slice(None)] * (rank - len(parts))
        return parts[0], parts[1], tuple(parts[2:])

    def _row(self, index):
        """Row ``index`` (negative counts from the end) as a dense tensor: a slice of the values."""
        count = self.nrows_int()
        if not -count <= index < count:
            raise IndexError(f"Row key {index} out of bounds: it is out of range for {count} rows")
        splits = self.row_splits.numpy()
        row = index % count
        return self.flat_values[int(splits[row]) : int(splits[row + 1])]

    def _slice_within_rows(self, key):
        """Every row sliced by ``key`` (a slice with any step), as Python slices each row.

        Python's rule of ``slice.indices`` is applied to all rows at once: negative bounds
        count from each row's end, bounds are clipped to the row, and the kept positions are
        gathered from ``flat_values`` in one go.
        """
        splits = self.row_splits.numpy().astype("int64")
        starts, lengths = splits[:-1], numpy.diff(splits)
        step = 1 if key.step is None else int(key.step)

        def bound(value, default, low, high):
            if value is None:
                return default
            value = numpy.full_like(lengths, int(value))
            return numpy.clip(numpy.where(value < 0, value + lengths, value), low, high)

        if step > 0:
            first = bound(key.start, numpy.zeros_like(lengths), 0, lengths)
            end = bound(key.stop, lengths, 0, lengths)
            counts = numpy.maximum(0, (end - first + step - 1) // step)
        else:
            first = bound(key.start, lengths - 1, -1, lengths - 1)
            end = bound(key.stop, numpy.full_like(lengths, -1), -1, lengths - 1)
            counts = numpy.maximum(0, (first - end - step - 1) // -step)
        new_splits = numpy.concatenate([[0], numpy.cumsum(counts)]).astype("int64")
        within = numpy.arange(new_splits[-1], dtype="int64") - numpy.repeat(new_splits[:-1], counts)
        positions = numpy.repeat(starts + first, counts) + within * step
        return self._like(_ops.gather(self.flat_values, positions), new_splits)

    def _row_range(self, start, stop):
        """Rows ``start`` to ``stop`` (a contiguous run): a slice of the values, no copy."""
        splits = self.row_splits.numpy()[start : stop + 1]
        return self._like(self.flat_values[int(splits[0]) : int(splits[-1])], splits - splits[0])

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
        return self._like(_ops.gather(self.flat_values, positions), new_splits)

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


class RaggedTensorSpec:
    """What a ``RaggedTensor`` must look like (``tf.RaggedTensorSpec``): shape, dtype, ragged rank.

    ``shape`` has ``None`` for the ragged axes; ``ragged_rank`` counts them (by default all axes
    but the first and the last, ``rank - 1``). ``tf.data`` gives it as the ``element_spec`` of
    ragged elements, as TensorFlow does: a ``RaggedTensor`` is ``ragged_rank`` 1, and one of
    its rows, sliced out by ``from_tensor_slices`` or ``unbatch``, is ``ragged_rank`` 0 (a
    dense tensor whose length varies from element to element). A spec may describe more
    ragged axes than learnet's ragged tensors hold (``batch`` of ragged elements says what
    TensorFlow would make).

    Parameters
    ----------
    shape : list, tuple or TensorShape, optional
        The sizes, ``None`` where unknown. ``None`` for an unknown rank (then ``ragged_rank``
        must be given).
    dtype : dtype, default float32
        The dtype of the values.
    ragged_rank : int, optional
        How many axes after the first are ragged, from 0 to ``rank - 1``.
    row_splits_dtype : {"int64", "int32"}, default "int64"
        The dtype of the row partitions.
    flat_values_spec : TensorSpec, optional
        Accepted for compatibility; learnet keeps it as given.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.RaggedTensorSpec([None, None], tf.int64)
    RaggedTensorSpec(TensorShape([None, None]), tf.int64, 1, tf.int64)
    >>> tf.RaggedTensorSpec.from_value(tf.ragged.constant([[1, 2, 3], [4]]))
    RaggedTensorSpec(TensorShape([2, None]), tf.int32, 1, tf.int64)
    """

    def __init__(self, shape=None, dtype="float32", ragged_rank=None, row_splits_dtype="int64", flat_values_spec=None):
        if isinstance(shape, Tensor):
            shape = shape.numpy().tolist()
        self.shape = TensorShape(_shape_list(shape)) if shape is not None else None
        rank = None if self.shape is None else len(self.shape)
        if ragged_rank is None:
            if rank is None:
                raise ValueError("Must specify ragged_rank or a shape with a known rank.")
            ragged_rank = rank - 1
        if isinstance(ragged_rank, bool) or not isinstance(ragged_rank, (int, numpy.integer)):
            raise TypeError(f"Argument `ragged_rank` must be an int, got {ragged_rank!r}")
        ragged_rank = int(ragged_rank)
        if ragged_rank < 0 and not (ragged_rank == -1 and rank == 0):
            raise ValueError(f"Argument `ragged_rank` must be non-negative, got {ragged_rank}.")
        if rank is not None and rank and ragged_rank >= rank:
            raise ValueError(f"Argument `ragged_rank` ({ragged_rank}) must be less than rank ({rank}).")
        self.dtype = _as_dtype(dtype)
        self.ragged_rank = ragged_rank
        self.row_splits_dtype = _as_dtype(_splits_dtype(row_splits_dtype))
        self.flat_values_spec = flat_values_spec

    @classmethod
    def from_value(cls, value):
        """The spec of a ``RaggedTensor``: ``None`` for its ragged axis (its uniform row length, if it has one).

        Examples
        --------
        >>> import learnet as tf
        >>> tf.RaggedTensorSpec.from_value(tf.ragged.constant([[1.0], [2.0, 3.0]])).shape
        TensorShape([2, None])
        """
        if not isinstance(value, RaggedTensor):
            raise TypeError(f"RaggedTensorSpec.from_value expects a RaggedTensor, got {type(value).__name__}")
        length = value.uniform_row_length
        length = None if length is None else int(numpy.asarray(length.numpy()))
        shape = (value.nrows_int(), length, *value.flat_values.shape[1:])
        return cls(shape, value.dtype, 1, value.row_splits.dtype)

    @property
    def value_type(self):
        """The type of value this spec describes: ``tf.RaggedTensor``."""
        return RaggedTensor

    def _batched(self, batch_size):
        """The spec of ``batch_size`` of these stacked (``Dataset.batch``): one more ragged axis."""
        shape = None if self.shape is None else (batch_size, *self.shape)
        return RaggedTensorSpec(shape, self.dtype, self.ragged_rank + 1, self.row_splits_dtype)

    def _unbatched(self):
        """The spec of one of its rows (``Dataset.unbatch``): one ragged axis less."""
        shape = None if self.shape is None else self.shape[1:]
        return RaggedTensorSpec(shape, self.dtype, self.ragged_rank - 1, self.row_splits_dtype)

    def _with_shape(self, shape):
        """The same kind of ragged value with another shape (the same rank)."""
        return RaggedTensorSpec(shape, self.dtype, self.ragged_rank, self.row_splits_dtype)

    def is_compatible_with(self, spec_or_value):
        """Whether a ``RaggedTensor`` (or spec) has a shape, dtype and ragged rank this spec allows.

        Examples
        --------
        >>> import learnet as tf
        >>> tf.RaggedTensorSpec([None, None], tf.int32).is_compatible_with(tf.ragged.constant([[1], [2, 3]]))
        True
        """
        if isinstance(spec_or_value, RaggedTensor):
            spec_or_value = RaggedTensorSpec.from_value(spec_or_value)
        if not isinstance(spec_or_value, RaggedTensorSpec):
            return False
        if (spec_or_value.dtype, spec_or_value.ragged_rank, spec_or_value.row_splits_dtype) != (
            self.dtype,
            self.ragged_rank,
            self.row_splits_dtype,
        ):
            return False
        if self.shape is None or spec_or_value.shape is None:
            return True
        return self.shape.is_compatible_with(spec_or_value.shape)

    def _key(self):
        shape = None if self.shape is None else tuple(self.shape)
        return shape, self.dtype, self.ragged_rank, self.row_splits_dtype

    def __eq__(self, other):
        return isinstance(other, RaggedTensorSpec) and self._key() == other._key()

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        shape = "TensorShape(None)" if self.shape is None else repr(self.shape)
        return (
            f"RaggedTensorSpec({shape}, tf.{_dtype_name(self.dtype)}, {self.ragged_rank}, "
            f"tf.{_dtype_name(self.row_splits_dtype)})"
        )

    __str__ = __repr__


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
    if ragged_rank is not None and int(ragged_rank) > 1:
        raise NotImplementedError(_NESTED_RAGGED.format(rank=int(ragged_rank)))
    rows = [row.tolist() if isinstance(row, numpy.ndarray) else list(row) for row in pylist]
    lengths = [len(row) for row in rows]
    flat = [value for row in rows for value in row]
    try:
        values = convert_to_tensor(flat, dtype=dtype) if flat else _ops.zeros((0,), dtype=dtype or "float32")
    except ValueError:
        if any(_is_sequence(value) for value in flat):
            # Rows of lists of different lengths: a second ragged dimension.
            raise NotImplementedError(_NESTED_RAGGED.format(rank=2)) from None
        raise
    result = RaggedTensor.from_row_lengths(values, lengths)
    return result if _splits_dtype(row_splits_dtype) == "int64" else result.with_row_splits_dtype(row_splits_dtype)


_NESTED_RAGGED = (
    "ragged.constant: these rows hold lists of different lengths inside them (ragged_rank {rank}); learnet's "
    "ragged tensors have one ragged dimension (ragged_rank 1), with uniform dimensions inside it"
)


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
