"""``tf.distribute.experimental.partitioners``: how many shards a variable would be cut into.

A ``ParameterServerStrategy`` may cut a large variable (an embedding table) into shards
along its first axis, to spread it over the parameter servers. A partitioner answers
"how many shards, along which axis" for a variable's shape and dtype: called as
``partitioner(shape, dtype)`` it returns one count per axis, as TensorFlow's do.

learnet's ``ParameterServerStrategy`` runs in one process, where every variable already
lives in one memory: it keeps the partitioner (``strategy.extended.variable_partitioner``)
but creates every variable whole, as one shard.

Examples
--------
>>> import learnet as tf
>>> partitioners = tf.distribute.experimental.partitioners
>>> partitioners.FixedShardsPartitioner(num_shards=2)(tf.TensorShape([10, 3]), tf.float32)
[2, 1]
>>> partitioners.MinSizePartitioner(min_shard_bytes=4, max_shards=2)(tf.TensorShape([6, 1]), tf.float32)
[2, 1]
>>> partitioners.MaxSizePartitioner(max_shard_bytes=8)(tf.TensorShape([6, 1]), tf.float32)
[3, 1]
"""

import math
import numbers

import numpy

__all__ = ["FixedShardsPartitioner", "MaxSizePartitioner", "MinSizePartitioner", "Partitioner"]


def _positive_int(value, what):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"Argument `{what}` must be a positive integer, Received: {value!r}")
    return int(value)


def _shape(shape):
    """``shape`` (a TensorShape, list or tuple) as a tuple of known ints."""
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"a partitioner takes the variable's shape (a list or TensorShape), got {shape!r}") from None
    if not dims or any(d is None for d in dims):
        raise ValueError(f"a partitioner needs a fully known shape of rank >= 1, got {list(dims)}")
    return tuple(int(d) for d in dims)


def _element_bytes(dtype, bytes_per_string):
    """Bytes of one element: the dtype's size, ``bytes_per_string`` for strings."""
    dtype = numpy.dtype(dtype)
    return bytes_per_string if dtype.kind in ("O", "U", "S") else dtype.itemsize


class Partitioner:
    """The protocol: ``partitioner(shape, dtype)`` -> shards per axis (``tf.distribute.experimental.partitioners.Partitioner``)."""

    def __call__(self, shape, dtype, axis=0):
        raise NotImplementedError(f"{type(self).__name__} must define __call__(shape, dtype, axis=0)")

    @staticmethod
    def _counts(shape, axis, shards):
        counts = [1] * len(shape)
        counts[axis] = shards
        return counts


class FixedShardsPartitioner(Partitioner):
    """A fixed number of shards along the first axis (at most one per row).

    Parameters
    ----------
    num_shards : int
        How many shards (>= 1).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.distribute.experimental.partitioners.FixedShardsPartitioner(4)([3, 5], "float32")
    [3, 1]
    """

    def __init__(self, num_shards):
        self._num_shards = _positive_int(num_shards, "num_shards")

    def __call__(self, shape, dtype, axis=0):
        shape = _shape(shape)
        return self._counts(shape, axis, min(self._num_shards, shape[axis]))


class MinSizePartitioner(Partitioner):
    """As many shards as keep each at least ``min_shard_bytes``, at most ``max_shards``.

    Parameters
    ----------
    min_shard_bytes : int, default 256 KiB
    max_shards : int, default 1
    bytes_per_string : int, default 16
        The size counted for one string element.

    Examples
    --------
    >>> import learnet as tf
    >>> partitioner = tf.distribute.experimental.partitioners.MinSizePartitioner(min_shard_bytes=256 << 10, max_shards=2)
    >>> partitioner([100, 1024], "float32")  # 400 KiB: ceil(400 / 256) = 2 shards
    [2, 1]
    """

    def __init__(self, min_shard_bytes=256 << 10, max_shards=1, bytes_per_string=16):
        self._min_shard_bytes = _positive_int(min_shard_bytes, "min_shard_bytes")
        self._max_shards = _positive_int(max_shards, "max_shards")
        self._bytes_per_string = _positive_int(bytes_per_string, "bytes_per_string")

    def __call__(self, shape, dtype, axis=0):
        shape = _shape(shape)
        total = math.prod(shape) * _element_bytes(dtype, self._bytes_per_string)
        wanted = math.ceil(total / self._min_shard_bytes)
        return self._counts(shape, axis, max(1, min(shape[axis], self._max_shards, wanted)))


class MaxSizePartitioner(Partitioner):
    """As few shards as keep each at most ``max_shard_bytes`` (at least one row each), at most ``max_shards``.

    Parameters
    ----------
    max_shard_bytes : int
    max_shards : int, optional
        At most this many shards (``None``: no limit).
    bytes_per_string : int, default 16

    Examples
    --------
    >>> import learnet as tf
    >>> tf.distribute.experimental.partitioners.MaxSizePartitioner(max_shard_bytes=4096)([10, 256], "float32")
    [3, 1]
    """

    def __init__(self, max_shard_bytes, max_shards=None, bytes_per_string=16):
        self._max_shard_bytes = _positive_int(max_shard_bytes, "max_shard_bytes")
        self._max_shards = None if max_shards is None else _positive_int(max_shards, "max_shards")
        self._bytes_per_string = _positive_int(bytes_per_string, "bytes_per_string")

    def __call__(self, shape, dtype, axis=0):
        shape = _shape(shape)
        row_bytes = math.prod(shape) / shape[axis] * _element_bytes(dtype, self._bytes_per_string)
        rows_per_shard = max(1, math.floor(self._max_shard_bytes / row_bytes))
        shards = math.ceil(shape[axis] / rows_per_shard)
        if self._max_shards is not None:
            shards = min(shards, self._max_shards)
        return self._counts(shape, axis, shards)
