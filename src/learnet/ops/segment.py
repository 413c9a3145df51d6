"""Segment reductions: the rows of a tensor that share a segment id, summed (or averaged, ...).

``segment_ids[i]`` says which output row the row ``data[i]`` belongs to. The sorted
family (``tf.math.segment_sum``...) wants ids that never decrease and returns
``segment_ids[-1] + 1`` rows; the unsorted family (``tf.math.unsorted_segment_sum``...)
takes ids in any order and ``num_segments`` rows, drops rows whose id is negative, and
may take ``segment_ids`` of several axes (a prefix of ``data``'s shape). ``keras.ops``'
``segment_sum`` and ``segment_max`` run on the same core, ``segment_reduce``.

Every reduction is one scatter into the output (``numpy.add.at`` and its siblings), and
its gradient is a gather back to the rows:

* sum: each row gets its segment's gradient;
* max and min: the rows equal to their segment's extreme share its gradient equally, as
  TensorFlow's gradient does;
* prod: a row gets ``g * product / row``; a zero row gets the product of the others
  (which is 0 when its segment holds a second zero).

Mean and ``sqrt_n`` are the sum divided by the count of rows (or its square root); an
empty segment gives 0 for them and the sum, 1 for the product; for the max (min) it holds 0
in the sorted family and the dtype's lowest (highest) value in the unsorted one, as TensorFlow.

Examples
--------
>>> import learnet as tf
>>> tf.math.segment_sum(tf.constant([1.0, 2.0, 3.0, 4.0]), [0, 0, 1, 1]).numpy()
array([3., 7.], dtype=float32)
>>> tf.math.unsorted_segment_max(tf.constant([1.0, 5.0, 3.0]), [1, 0, 1], num_segments=2).numpy()
array([5., 3.], dtype=float32)
"""

import numpy

from learnet import backend, errors
from learnet.backend import xp
from learnet.tape import primitive
from learnet.tensor import Tensor, convert_to_tensor, to_array

_KINDS = ("sum", "mean", "sqrt_n", "max", "min", "prod")


def _empty_value(kind, dtype):
    """What an empty segment holds: 0 for a sum, 1 for a product, the dtype's lowest value for a max."""
    dtype = numpy.dtype(dtype)
    info = numpy.finfo(dtype) if dtype.kind in "fc" else numpy.iinfo(dtype) if dtype.kind in "iu" else None
    if kind == "max":
        return info.min if info is not None else False
    if kind == "min":
        return info.max if info is not None else True
    return 1 if kind == "prod" else 0


def _scatter(kind, data, ids, count):
    """The ``count`` rows of the reduction ``kind`` (sum, max, min, prod) of the rows of ``data`` at ``ids``."""
    out = xp.full((count,) + data.shape[1:], _empty_value(kind, data.dtype), dtype=data.dtype)
    keep = ids >= 0
    rows, values = (ids, data) if bool(keep.all()) else (ids[keep], data[keep])
    if kind == "sum":
        backend.scatter_add(out, rows, values)
    else:
        {"max": xp.maximum, "min": xp.minimum, "prod": xp.multiply}[kind].at(out, rows, values)
    return out


def _gather_rows(g, ids, keep):
    """``g[ids]`` for the rows that belong to a segment, zero for the dropped ones (a learnet op)."""
    from learnet.ops.shape import gather

    rows = gather(g, Tensor._wrap(xp.where(keep, ids, 0)))
    if bool(keep.all()):
        return rows
    mask = keep.reshape((-1,) + (1,) * (g.ndim - 1)).astype(g._value.dtype)
    return rows * Tensor._wrap(mask)


@primitive(inputs=1)
def _segment_sum(data, ids, count):
    def backward(g, data, out):
        return _gather_rows(g, ids, ids >= 0)

    return _scatter("sum", data, ids, count), backward


@primitive(inputs=1)
def _segment_extreme(data, ids, count, kind):
    out = _scatter(kind, data, ids, count)

    def backward(g, data, out):
        # TensorFlow's rule: the rows equal to their segment's extreme share its gradient equally.
        keep = ids >= 0
        extreme = out._value[xp.where(keep, ids, 0)]  # each row's segment extreme
        chosen = (data._value == extreme) & keep.reshape((-1,) + (1,) * (data.ndim - 1))
        how_many = _scatter("sum", chosen.astype(g._value.dtype), ids, count)
        share = g / Tensor._wrap(xp.maximum(how_many, 1))
        return _gather_rows(share, ids, keep) * Tensor._wrap(chosen.astype(g._value.dtype))

    return out, backward


@primitive(inputs=1)
def _segment_prod(data, ids, count):
    def backward(g, data, out):
        from learnet.ops.math import where

        keep = ids >= 0
        zero = data._value == 0
        one = Tensor._wrap(xp.ones((), dtype=data._value.dtype))
        safe = where(Tensor._wrap(zero), one, data)
        # A zero row's gradient is the product of the other rows of its segment: the
        # product of the non-zero rows when it is the segment's only zero, else 0.
        zeros_in_segment = _scatter("sum", zero.astype(data._value.dtype), ids, count)
        others = _segment_prod(safe, ids, count) * Tensor._wrap((zeros_in_segment == 1).astype(g._value.dtype))
        of_zero_rows = _gather_rows(g * others, ids, keep)
        of_other_rows = _gather_rows(g * out, ids, keep) / safe
        return where(Tensor._wrap(zero), of_zero_rows, of_other_rows)

    return _scatter("prod", data, ids, count), backward


def segment_reduce(kind, data, ids, count):
    """The reduction ``kind`` (``"sum"``, ``"mean"``, ``"sqrt_n"``, ``"max"``, ``"min"``, ``"prod"``)
    of the rows of ``data`` into ``count`` segments; differentiable in ``data``.

    The shared core of ``tf.math``'s segment functions and ``keras.ops.segment_sum`` /
    ``segment_max``. ``ids`` is an integer array with one id per row of ``data`` (the
    leading axis); rows whose id is not in ``[0, count)`` are dropped. The callers check
    their ids against their own rules before.

    Examples
    --------
    >>> import numpy as np
    >>> segment_reduce("mean", [1.0, 2.0, 6.0], np.array([0, 0, 1]), 3).numpy()
    array([1.5, 6. , 0. ], dtype=float32)
    """
    if kind not in _KINDS:
        raise ValueError(f"segment_reduce: kind must be one of {_KINDS}, got {kind!r}")
    data = data if isinstance(data, Tensor) else convert_to_tensor(data)
    ids = xp.asarray(to_array(ids)).reshape(-1).astype(xp.int64)
    count = int(count)
    if data.ndim == 0 or data.shape[0] != ids.size:
        raise ValueError(
            f"segment_reduce: data of shape {tuple(data.shape)} needs one segment id per row, got {ids.size}"
        )
    ids = xp.where(ids < count, ids, -1)
    if kind in ("max", "min"):
        return _segment_extreme(data, ids, count, kind)
    if kind == "prod":
        return _segment_prod(data, ids, count)
    total = _segment_sum(data, ids, count)
    if kind == "sum":
        return total
    rows = xp.bincount(ids[ids >= 0], minlength=count).astype(numpy.float64)
    rows = xp.maximum(rows, 1) if kind == "mean" else xp.sqrt(xp.maximum(rows, 1))
    divisor = Tensor._wrap(rows.reshape((count,) + (1,) * (data.ndim - 1)).astype(data.dtype))
    return total / divisor


def _checked(function, data, segment_ids, num_segments):
    """``data`` as a tensor of rows, the ids as one flat integer array and the number of segments,
    checked as TensorFlow checks them (an ``InvalidArgumentError`` names what is wrong)."""
    data = data if isinstance(data, Tensor) else convert_to_tensor(data)
    ids = numpy.asarray(backend.to_numpy(to_array(segment_ids)))
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{function}: segment_ids must be integers, got dtype {ids.dtype}")
    unsorted = num_segments is not None
    if not unsorted and ids.ndim != 1:
        raise errors.InvalidArgumentError(None, None, f"{function}: segment_ids must be 1-D, got shape {ids.shape}")
    if ids.ndim == 0 or tuple(data.shape[: ids.ndim]) != ids.shape:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{function}: segment_ids of shape {ids.shape} must be a prefix of data's shape {tuple(data.shape)}",
        )
    ids_rank = ids.ndim
    ids = ids.reshape(-1).astype(numpy.int64)
    if unsorted:
        if isinstance(num_segments, Tensor):
            num_segments = num_segments.numpy()
        count = int(num_segments)
        if count < 0:
            raise errors.InvalidArgumentError(None, None, f"{function}: num_segments must be >= 0, got {count}")
        too_large = numpy.nonzero(ids >= count)[0]
        if too_large.size:
            where = int(too_large[0])
            raise errors.InvalidArgumentError(
                None, None, f"{function}: segment_ids[{where}] = {ids[where]} is out of range [0, {count})"
            )
    else:
        if ids.size and ids.min() < 0:
            raise errors.InvalidArgumentError(None, None, f"{function}: segment ids must be >= 0, got {ids.min()}")
        if numpy.any(numpy.diff(ids) < 0):
            raise errors.InvalidArgumentError(None, None, f"{function}: segment ids are not increasing")
        count = int(ids[-1]) + 1 if ids.size else 0
    if ids_rank > 1:  # several axes of ids: their rows, one after the other
        from learnet.ops.shape import reshape

        data = reshape(data, [ids.size] + list(data.shape[ids_rank:]))
    return data, xp.asarray(ids), count


def _sorted_op(kind):
    def op(data, segment_ids, name=None):
        data, ids, count = _checked(f"segment_{kind}", data, segment_ids, None)
        result = segment_reduce(kind, data, ids, count)
        if kind in ("max", "min"):  # the sorted family's empty segment holds 0, not the dtype's extreme
            from learnet.ops.math import where

            filled = xp.bincount(ids, minlength=count).reshape((count,) + (1,) * (result.ndim - 1)) > 0
            result = where(Tensor._wrap(filled), result, Tensor._wrap(xp.zeros((), dtype=result.dtype)))
        return result

    op.__name__ = op.__qualname__ = f"segment_{kind}"
    return op


def _unsorted_op(kind):
    def op(data, segment_ids, num_segments, name=None):
        data, ids, count = _checked(f"unsorted_segment_{kind}", data, segment_ids, num_segments)
        return segment_reduce(kind, data, ids, count)

    op.__name__ = op.__qualname__ = f"unsorted_segment_{kind}"
    return op


_DOCS = {
    "sum": "Sum",
    "mean": "Mean",
    "max": "Largest value",
    "min": "Smallest value",
    "prod": "Product",
    "sqrt_n": "Sum divided by the square root of the number",
}


def _document(op, kind, sorted_ids):
    what = _DOCS[kind] + (" of rows" if kind == "sqrt_n" else "")
    family = "segment ids that never decrease" if sorted_ids else "segment ids in any order (negative ones dropped)"
    example_args = "[0, 0, 1]" if sorted_ids else "[1, 1, 0], num_segments=2"
    op.__doc__ = f"""{what} of the rows of ``data`` that share a segment id (``tf.math.{op.__name__}``).

    Differentiable in ``data``. Takes {family}; see ``learnet.ops.segment``.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.math.{op.__name__}(tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), {example_args}).shape
    TensorShape([2, 2])
    """
    return op


segment_sum = _document(_sorted_op("sum"), "sum", True)
segment_mean = _document(_sorted_op("mean"), "mean", True)
segment_max = _document(_sorted_op("max"), "max", True)
segment_min = _document(_sorted_op("min"), "min", True)
segment_prod = _document(_sorted_op("prod"), "prod", True)
unsorted_segment_sum = _document(_unsorted_op("sum"), "sum", False)
unsorted_segment_mean = _document(_unsorted_op("mean"), "mean", False)
unsorted_segment_max = _document(_unsorted_op("max"), "max", False)
unsorted_segment_min = _document(_unsorted_op("min"), "min", False)
unsorted_segment_prod = _document(_unsorted_op("prod"), "prod", False)
unsorted_segment_sqrt_n = _document(_unsorted_op("sqrt_n"), "sqrt_n", False)
