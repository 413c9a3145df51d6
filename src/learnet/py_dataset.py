"""``keras.utils.PyDataset`` (and Keras 2's ``keras.utils.Sequence``): batches from Python code.

A subclass says how many batches an epoch has (``__len__``) and builds batch ``index``
(``__getitem__``), returning ``x`` and ``y`` (and optionally sample weights). ``fit``,
``evaluate`` and ``predict`` accept it like a ``tf.data.Dataset``: they read its batches by
index, one epoch at a time, and ``on_epoch_end`` runs after each pass (to reshuffle, say).
learnet builds the batches in the main process; ``workers`` and ``use_multiprocessing``
are accepted and recorded.

Examples
--------
>>> import numpy as np, learnet as keras
>>> class Squares(keras.utils.PyDataset):
...     def __init__(self, n, batch_size, **kwargs):
...         super().__init__(**kwargs)
...         self.x = np.arange(n, dtype="float32")[:, None]
...         self.batch_size = batch_size
...     def __len__(self):
...         return int(np.ceil(len(self.x) / self.batch_size))
...     def __getitem__(self, index):
...         part = self.x[index * self.batch_size:(index + 1) * self.batch_size]
...         return part, part ** 2
>>> data = Squares(10, batch_size=4)
>>> len(data), data[2][1].ravel().tolist()
(3, [64.0, 81.0])
"""

__all__ = ["PyDataset", "Sequence"]


class PyDataset:
    """Base class for datasets written as Python classes (``__len__`` and ``__getitem__``)."""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self):
        return getattr(self, "_workers", 1)

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", False)

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", 10)

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(self, index) returning a batch")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__(self), the number of batches")

    @property
    def num_batches(self):
        """The number of batches in an epoch (``len(self)``)."""
        return len(self)

    def on_epoch_begin(self):
        """Called before each epoch's pass; override it to prepare the data."""

    def on_epoch_end(self):
        """Called after each epoch's pass; override it to reshuffle."""

    def __iter__(self):
        """One epoch: batches ``0 .. len - 1``, then ``on_epoch_end``."""
        return self._epoch_batches()

    def _epoch_batches(self):
        """The batches of one epoch, by index, between ``on_epoch_begin`` and ``on_epoch_end``.

        ``fit``, ``evaluate`` and ``predict`` read a ``PyDataset`` this way, whatever its
        ``__iter__`` does (Keras' image iterators iterate without end).
        """
        self.on_epoch_begin()
        count = len(self)
        if not isinstance(count, int) or count < 0:
            raise TypeError(f"{type(self).__name__}.__len__ must return a non-negative int, got {count!r}")
        for index in range(count):
            batch = self[index]
            if not isinstance(batch, (tuple, list)) and not hasattr(batch, "shape") and not isinstance(batch, dict):
                raise TypeError(
                    f"{type(self).__name__}[{index}] must return a batch (x, y) or x, got {type(batch).__name__}"
                )
            yield tuple(batch) if isinstance(batch, list) else batch
        self.on_epoch_end()


# Keras 2's name for the same idea.
Sequence = PyDataset
