"""``tf.TensorArray``, ``tf.sets`` and ``tf.queue.FIFOQueue``, run eagerly on learnet tensors.

Examples
--------
>>> import learnet as tf
>>> squares = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
>>> for i in range(3):
...     squares = squares.write(i, float(i * i))
>>> squares.stack().numpy().tolist()
[0.0, 1.0, 4.0]
"""

import collections
import importlib
import types

import numpy

from learnet.tensor import Tensor, _as_dtype, convert_to_tensor

_ops = importlib.import_module("learnet.ops")

__all__ = ["FIFOQueue", "TensorArray", "difference", "intersection", "size", "union"]


class TensorArray:
    """A list of tensors written by index and read back or stacked (``tf.TensorArray``).

    As in TensorFlow 2, ``write`` returns the array to use next (here the same object).
    Writing past ``size`` needs ``dynamic_size=True``; writing an index twice raises; an
    element read once is zeroed (reading it again raises) unless ``clear_after_read=False``,
    as in TensorFlow.
    """

    def __init__(
        self,
        dtype,
        size=None,
        dynamic_size=None,
        clear_after_read=None,
        element_shape=None,
        infer_shape=True,
        name=None,
    ):
        self.dtype = _as_dtype(dtype)
        self._size = int(size or 0)
        self._dynamic = bool(dynamic_size)
        # As in TensorFlow, an element is cleared when read unless clear_after_read=False.
        self._clear_after_read = True if clear_after_read is None else bool(clear_after_read)
        self._cleared = set()
        self._items = {}
        self.element_shape = element_shape

    def write(self, index, value):
        index = int(index)
        if index < 0 or (not self._dynamic and index >= self._size):
            raise IndexError(
                f"TensorArray.write: index {index} is out of range for size {self._size} "
                "(use dynamic_size=True to grow)"
            )
        if index in self._items:
            raise ValueError(f"TensorArray.write: index {index} was already written")
        value = convert_to_tensor(value, dtype=self.dtype)
        if self._items:
            shape = next(iter(self._items.values())).shape
            if value.shape != shape:
                raise ValueError(f"TensorArray.write: element shape {tuple(value.shape)} differs from {tuple(shape)}")
        self._items[index] = value
        self._size = max(self._size, index + 1)
        return self

    def read(self, index):
        index = int(index)
        if index in self._cleared:
            raise ValueError(
                f"TensorArray.read: could not read index {index} twice because it was cleared after "
                "a previous read (make the array with clear_after_read=False)"
            )
        if index not in self._items:
            raise IndexError(f"TensorArray.read: index {index} was never written")
        value = self._items[index]
        if self._clear_after_read:
            # TensorFlow zeroes a read element: stack() then shows zeros there.
            self._items[index] = _ops.zeros_like(value)
            self._cleared.add(index)
        return value

    def size(self):
        return convert_to_tensor(self._size, dtype="int32")

    def stack(self):
        """All elements stacked along a new first axis (differentiable)."""
        missing = [i for i in range(self._size) if i not in self._items]
        if missing:
            raise ValueError(f"TensorArray.stack: indices {missing} were never written")
        if not self._items:
            return _ops.zeros((0,), dtype=self.dtype)
        return _ops.stack([self._items[i] for i in range(self._size)])

    def unstack(self, value):
        """Write the slices of ``value`` along its first axis as elements 0, 1, ..."""
        for i, part in enumerate(_ops.unstack(convert_to_tensor(value, dtype=self.dtype))):
            self.write(i, part)
        return self

    def gather(self, indices):
        return _ops.stack([self.read(i) for i in numpy.asarray(indices).tolist()])

    def concat(self):
        return _ops.concat([self._items[i] for i in range(self._size)], axis=0)


# --- tf.sets -------------------------------------------------------------------------------------
def _rows(value):
    array = value.numpy() if isinstance(value, Tensor) else numpy.asarray(value)
    if array.ndim == 1:
        return [array], True
    return list(array.reshape(-1, array.shape[-1])), False


def _set_op(a, b, combine):
    rows_a, flat = _rows(a)
    rows_b, _ = _rows(b)
    if len(rows_a) != len(rows_b):
        raise ValueError(f"sets: the inputs hold {len(rows_a)} and {len(rows_b)} sets")
    results = [sorted(combine(set(ra.tolist()), set(rb.tolist()))) for ra, rb in zip(rows_a, rows_b)]
    dtype = a.dtype if isinstance(a, Tensor) else numpy.asarray(a).dtype
    from learnet.sparse import SparseTensor

    indices = [[r, c] for r, row in enumerate(results) for c in range(len(row))]
    values = [v for row in results for v in row]
    width = max((len(row) for row in results), default=0)
    if flat:
        return SparseTensor([[c] for _, c in indices], numpy.asarray(values, dtype=dtype), [width])
    return SparseTensor(indices, numpy.asarray(values, dtype=dtype), [len(results), width])


def intersection(a, b, validate_indices=True):
    """The values in both ``a`` and ``b`` (each row along the last axis), sorted, as a SparseTensor."""
    return _set_op(a, b, lambda x, y: x & y)


def union(a, b, validate_indices=True):
    """The values in ``a`` or ``b``, sorted, as a SparseTensor."""
    return _set_op(a, b, lambda x, y: x | y)


def difference(a, b, aminusb=True, validate_indices=True):
    """The values of ``a`` not in ``b`` (or of ``b`` not in ``a``), sorted, as a SparseTensor."""
    return _set_op(a, b, (lambda x, y: x - y) if aminusb else (lambda x, y: y - x))


def size(a, validate_indices=True):
    """The number of distinct values in each set (row along the last axis)."""
    from learnet.sparse import SparseTensor

    if isinstance(a, SparseTensor):
        if a.indices.shape[1] == 1:
            return convert_to_tensor(len(set(a.values.numpy().tolist())), dtype="int32")
        rows = a.indices.numpy()[:, 0]
        values = a.values.numpy()
        counts = [len(set(values[rows == r].tolist())) for r in range(int(a.dense_shape.numpy()[0]))]
        return convert_to_tensor(counts, dtype="int32")
    rows, flat = _rows(a)
    counts = [len(set(r.tolist())) for r in rows]
    return convert_to_tensor(counts[0] if flat else counts, dtype="int32")


# --- tf.queue ------------------------------------------------------------------------------------
class FIFOQueue:
    """First in, first out: ``enqueue``/``dequeue`` single elements or many at once (eager)."""

    def __init__(self, capacity, dtypes, shapes=None, names=None, shared_name=None, name="fifo_queue"):
        self.capacity = int(capacity)
        self.dtypes = [_as_dtype(d) for d in (dtypes if isinstance(dtypes, (list, tuple)) else [dtypes])]
        self._single = not isinstance(dtypes, (list, tuple))
        self.shapes = shapes
        self._items = collections.deque()
        self._closed = False

    def _convert(self, values):
        values = [values] if self._single or not isinstance(values, (list, tuple)) else list(values)
        if len(values) != len(self.dtypes):
            raise ValueError(f"FIFOQueue: an element has {len(self.dtypes)} components, got {len(values)}")
        return [convert_to_tensor(v, dtype=d) for v, d in zip(values, self.dtypes)]

    def enqueue(self, vals):
        if self._closed:
            raise RuntimeError("FIFOQueue: the queue is closed")
        if len(self._items) >= self.capacity:
            raise RuntimeError(f"FIFOQueue: the queue is full (capacity {self.capacity}); eager code cannot wait")
        self._items.append(self._convert(vals))

    def enqueue_many(self, vals):
        if self._single and isinstance(vals, (list, tuple)) and len(vals) == 1 and not numpy.isscalar(vals[0]):
            vals = vals[0]  # [tensor] names the one component, as in TensorFlow
        parts = self._convert(vals)
        for row in zip(*[_ops.unstack(p) for p in parts]):
            self.enqueue(list(row) if not self._single else row[0])

    def dequeue(self):
        if not self._items:
            raise RuntimeError("FIFOQueue: the queue is empty; eager code cannot wait")
        item = self._items.popleft()
        return item[0] if self._single else item

    def dequeue_many(self, n):
        if self.shapes is None:
            raise ValueError(
                "FIFOQueue's dequeue_many requires the components to have specified shapes "
                "(give shapes= when making the queue), as in TensorFlow"
            )
        if len(self._items) < n:
            raise RuntimeError(f"FIFOQueue: {n} elements asked for, {len(self._items)} queued")
        taken = [self._items.popleft() for _ in range(int(n))]
        stacked = [_ops.stack([t[i] for t in taken]) for i in range(len(self.dtypes))]
        return stacked[0] if self._single else stacked

    def size(self):
        return convert_to_tensor(len(self._items), dtype="int32")

    def close(self, cancel_pending_enqueues=False):
        self._closed = True

    def is_closed(self):
        return self._closed


# The namespaces `tf.sets` and `tf.queue`.
sets = types.SimpleNamespace(intersection=intersection, union=union, difference=difference, size=size)
queue = types.SimpleNamespace(FIFOQueue=FIFOQueue)
