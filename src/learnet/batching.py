"""Mini-batches for training loops: the same helper ``fit`` and custom loops use.

A :class:`Batcher` walks over one or more arrays in step, ``batch_size`` samples
at a time, drawing a fresh order every epoch. Data may be a single array or any
nesting of tuples, lists and dicts of arrays (several model inputs, named
inputs); every batch has the same structure as the data, and ``None`` entries
(no sample weights, say) stay ``None``.

Examples
--------
>>> import numpy as np
>>> x, y = np.arange(10).reshape(5, 2), np.arange(5)
>>> for xb, yb in Batcher(x, y, batch_size=2, shuffle=False):
...     print(yb)
[0 1]
[2 3]
[4]
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from learnet import backend
from learnet.tree import named_leaves

__all__ = ["Batcher", "batches"]


class Batcher:
    """Iterate over mini-batches of arrays that share their first dimension.

    Each ``iter()`` is one epoch: with ``shuffle=True`` a new random order is
    drawn at its start, so looping over the same ``Batcher`` again gives a
    different order, and two batchers built with the same integer ``seed``
    give the same sequence of epochs.

    Parameters
    ----------
    *arrays : array_like, or tuple, list or dict of them, or None
        The data, one positional argument per role (inputs, targets, sample
        weights, ...). The first dimension of every array is the sample axis
        and must be the same everywhere.
    batch_size : int, default 32
        Samples per batch (at least 1). The last batch of an epoch is smaller
        when the sample count is not a multiple of it, unless ``drop_last``.
    shuffle : bool, default True
        Draw a new random order of the samples at the start of every epoch.
        Without shuffling, batches are views (slices) of the arrays.
    drop_last : bool, default False
        Leave out the last, smaller batch of each epoch.
    seed : int, numpy.random.Generator or None, default None
        Source of the shuffling order: an integer for a reproducible sequence,
        a ``Generator`` to share one, ``None`` for learnet's global generator
        (``learnet.backend.host_rng()``, which ``learnet.backend.set_seed`` seeds).
    names : sequence of str, optional
        A name for each positional argument, used in error messages
        (default ``arrays[0]``, ``arrays[1]``, ...).
    order : callable, optional
        A function of no arguments giving each epoch's order of the samples (an
        array of indices); it replaces ``shuffle``. ``learnet.data.Dataset`` batches
        through it in the order its ``shuffle`` draws.

    Yields
    ------
    batch
        With one positional argument, its batch (same structure as the
        argument); with several, a tuple holding one batch per argument.

    Raises
    ------
    ValueError
        If ``batch_size`` is not a positive integer, an array has no first
        dimension, or the arrays disagree on the number of samples.

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.zeros((10, 3)), np.arange(10)
    >>> batcher = Batcher(x, y, batch_size=4, seed=0)
    >>> len(batcher)
    3
    >>> [len(yb) for xb, yb in batcher]
    [4, 4, 2]
    >>> sorted(np.concatenate([yb for _, yb in batcher]).tolist())  # every sample once
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    >>> len(Batcher(x, batch_size=4, drop_last=True))
    2
    """

    def __init__(
        self,
        *arrays: Any,
        batch_size: int = 32,
        shuffle: bool = True,
        drop_last: bool = False,
        seed: int | np.random.Generator | None = None,
        names: Sequence[str] | None = None,
        order: Callable[[], np.ndarray] | None = None,
    ) -> None:
        if not arrays:
            raise ValueError("Batcher needs at least one array to batch.")
        if names is None:
            names = [f"arrays[{i}]" for i in range(len(arrays))]
        elif len(names) != len(arrays):
            raise ValueError(f"Batcher got {len(arrays)} arrays but {len(names)} names.")
        self.batch_size = _check_batch_size(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self._rng = _as_generator(seed)
        self._order = order
        self._single = len(arrays) == 1
        self._data = tuple(_as_structure(a, n) for a, n in zip(arrays, names))
        self.num_samples = _common_length(
            [
                (leaf_name, leaf)
                for data, name in zip(self._data, names)
                for leaf_name, leaf in named_leaves(data, name)
                if leaf is not None
            ]
        )

    def __len__(self) -> int:
        """Number of batches in one epoch."""
        if self.drop_last:
            return self.num_samples // self.batch_size
        return math.ceil(self.num_samples / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        order = None if self._order is None else self._order()
        if self.shuffle and order is None:
            # Without a seed, read the global generator now: set_seed may have replaced it.
            rng = self._rng if self._rng is not None else backend.host_rng()
            order = rng.permutation(self.num_samples)
        for step in range(len(self)):
            start = step * self.batch_size
            stop = min(start + self.batch_size, self.num_samples)
            index = slice(start, stop) if order is None else order[start:stop]
            batch = tuple(_take(data, index) for data in self._data)
            yield batch[0] if self._single else batch

    def __repr__(self) -> str:
        return (
            f"Batcher(num_samples={self.num_samples}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})"
        )


def batches(
    x: Any,
    y: Any = None,
    batch_size: int = 32,
    shuffle: bool = True,
    drop_last: bool = False,
    seed: int | np.random.Generator | None = None,
) -> Iterator[Any]:
    """Yield the mini-batches of one epoch: ``x`` batches, or ``(x, y)`` pairs.

    A one-pass shortcut for :class:`Batcher`. Calling it again with the same
    integer ``seed`` repeats the same order; for a new order every epoch keep
    one ``Batcher`` (or pass one ``numpy.random.Generator`` to every call).

    Parameters
    ----------
    x : array_like, or tuple, list or dict of them
        Inputs; the first dimension is the sample axis.
    y : array_like, or tuple, list or dict of them, optional
        Targets, with as many samples as ``x``. When given, batches are
        ``(x_batch, y_batch)`` pairs.
    batch_size, shuffle, drop_last, seed
        As for :class:`Batcher`.

    Examples
    --------
    >>> import numpy as np
    >>> [b.tolist() for b in batches(np.arange(5), batch_size=2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    >>> [yb.tolist() for _, yb in batches(np.zeros((4, 2)), np.arange(4),
    ...                                   batch_size=3, shuffle=False, drop_last=True)]
    [[0, 1, 2]]
    """
    if y is None:
        batcher = Batcher(x, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed, names=["x"])
    else:
        batcher = Batcher(
            x, y, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed, names=["x", "y"]
        )
    yield from batcher


def _check_batch_size(batch_size: Any) -> int:
    # bool is an int subclass, but batch_size=True is a mistake, not "1".
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r} ({type(batch_size).__name__}).")
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size}.")
    return int(batch_size)


def _as_generator(seed: Any) -> np.random.Generator | None:
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int, a numpy.random.Generator or None, got {seed!r}.")
    return np.random.default_rng(int(seed))


def _is_array(obj: Any) -> bool:
    return hasattr(obj, "shape") and hasattr(obj, "__getitem__")


def _as_structure(obj: Any, name: str) -> Any:
    """Convert the leaves of a nested data structure to arrays, keeping its shape.

    A tuple or list holding arrays (at any depth), dicts or None is a container
    of several arrays, like Keras' list of model inputs; one made of plain
    Python numbers only, such as ``[[0, 1], [2, 3]]``, is one array.
    """
    if obj is None or _is_array(obj):
        return obj
    if isinstance(obj, dict):
        return {k: _as_structure(v, f"{name}[{k!r}]") for k, v in obj.items()}
    if isinstance(obj, (tuple, list)) and _holds_arrays(obj):
        items = [_as_structure(v, f"{name}[{i}]") for i, v in enumerate(obj)]
        return _rebuild(obj, items)
    return np.asarray(obj)


def _holds_arrays(obj: Any) -> bool:
    if obj is None or _is_array(obj) or isinstance(obj, dict):
        return True
    if isinstance(obj, (tuple, list)):
        return any(_holds_arrays(v) for v in obj)
    return False


def _rebuild(container: Any, items: list) -> Any:
    if hasattr(container, "_fields"):  # namedtuple
        return type(container)(*items)
    return type(container)(items)


def _common_length(leaves: list[tuple[str, Any]]) -> int:
    if not leaves:
        raise ValueError("Batcher needs at least one array to batch, got only None.")
    for name, array in leaves:
        if len(array.shape) == 0:
            raise ValueError(f"{name} is a scalar; every array needs a first (sample) dimension.")
    first_name, first = leaves[0]
    length = first.shape[0]
    for name, array in leaves[1:]:
        if array.shape[0] != length:
            raise ValueError(
                "All arrays must have the same number of samples (first dimension): "
                f"{first_name} has {length} (shape {tuple(first.shape)}), "
                f"{name} has {array.shape[0]} (shape {tuple(array.shape)})."
            )
    return int(length)


def _take(data: Any, index: slice | np.ndarray) -> Any:
    if data is None:
        return None
    if isinstance(data, dict):
        return {k: _take(v, index) for k, v in data.items()}
    if isinstance(data, (tuple, list)):
        return _rebuild(data, [_take(v, index) for v in data])
    return data[index]
