"""``tf.distribute.coordinator``: scheduling training steps on a parameter-server cluster's workers.

A ``ClusterCoordinator`` takes the ``ParameterServerStrategy`` and sends functions to
the workers with ``schedule(fn, args)``; each call gives a ``RemoteValue`` whose
``fetch()`` waits for the result. ``create_per_worker_dataset(dataset_fn)`` builds one
dataset on each worker; an iterator over it, given to ``schedule``, is read on the
worker that runs the step.

learnet runs the cluster in one process (see ``parameter_server.py``): ``schedule``
runs the function at once, here, on behalf of the next worker in turn (so each
worker's iterator advances on its own steps), and returns its ``RemoteValue``; ``join``
and ``done`` then have nothing left to wait for. An error raised by the function is
raised by ``schedule``.

Examples
--------
>>> import learnet as tf
>>> spec = tf.train.ClusterSpec({"worker": ["w:1", "w:2"], "ps": ["p:1"]})
>>> strategy = tf.distribute.ParameterServerStrategy(tf.distribute.cluster_resolver.SimpleClusterResolver(spec))
>>> coordinator = tf.distribute.coordinator.ClusterCoordinator(strategy)
>>> per_worker = coordinator.create_per_worker_dataset(lambda: tf.data.Dataset.range(10).batch(2))
>>> iterator = iter(per_worker)
>>> step = lambda it: (tf.distribute.coordinator.experimental_get_current_worker_index(), next(it))
>>> results = [coordinator.schedule(step, args=(iterator,)) for _ in range(3)]
>>> coordinator.join()
>>> [(int(w), b.tolist()) for w, b in (r.fetch() for r in results)]
[(0, [0, 1]), (1, [0, 1]), (0, [2, 3])]
"""

from learnet import tree
from learnet.tensor import Tensor

__all__ = [
    "ClusterCoordinator",
    "PerWorkerDataset",
    "PerWorkerDistributedIterator",
    "PerWorkerValues",
    "RemoteValue",
    "experimental_get_current_worker_index",
]

_current_worker = []  # the index of the worker a scheduled function (or dataset_fn) runs for, innermost last


def experimental_get_current_worker_index():
    """The index of the worker running the current scheduled function or ``dataset_fn``.

    Raises
    ------
    RuntimeError
        Outside a function scheduled by a ``ClusterCoordinator`` (or a per-worker ``dataset_fn``).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.distribute.coordinator.experimental_get_current_worker_index()
    Traceback (most recent call last):
    ...
    RuntimeError: Cannot retrieve the worker index: call experimental_get_current_worker_index from a function scheduled by a ClusterCoordinator or from the dataset_fn of create_per_worker_dataset
    """
    if not _current_worker:
        raise RuntimeError(
            "Cannot retrieve the worker index: call experimental_get_current_worker_index from a function "
            "scheduled by a ClusterCoordinator or from the dataset_fn of create_per_worker_dataset"
        )
    return _current_worker[-1]


def _numpy(value):
    return value.numpy() if isinstance(value, Tensor) else value


class RemoteValue:
    """The result of a scheduled function (``tf.distribute.experimental.coordinator.RemoteValue``)."""

    def __init__(self, value, worker_index):
        self._value = value
        self._worker_index = worker_index

    def fetch(self):
        """The result, with its tensors as NumPy values."""
        return tree.map_structure(_numpy, self._value)

    def get(self):
        """The result, tensors as tensors."""
        return self._value

    def __repr__(self):
        return f"<RemoteValue from worker {self._worker_index}>"


class PerWorkerValues:
    """One value per worker (``tf.distribute.experimental.coordinator.PerWorkerValues``)."""

    def __init__(self, values):
        self._values = tuple(values)

    def _on_worker(self, index):
        return self._values[index]


class PerWorkerDistributedIterator(PerWorkerValues):
    """One iterator per worker: a scheduled function given it reads its worker's."""

    def __next__(self):
        raise TypeError(
            "a per-worker iterator is read inside a function given to coordinator.schedule(fn, args=(iterator,)), "
            "where next(iterator) reads the running worker's iterator"
        )


class PerWorkerDataset(PerWorkerValues):
    """One dataset per worker, from ``ClusterCoordinator.create_per_worker_dataset``."""

    def __iter__(self):
        return PerWorkerDistributedIterator(iter(dataset) for dataset in self._values)


class ClusterCoordinator:
    """Schedules functions on the workers of a ``ParameterServerStrategy`` (``tf.distribute.coordinator.ClusterCoordinator``).

    One coordinator per strategy: making a second returns the first, as in TensorFlow.

    Parameters
    ----------
    strategy : tf.distribute.ParameterServerStrategy

    Raises
    ------
    ValueError
        If ``strategy`` is not a ``ParameterServerStrategy``.
    """

    def __new__(cls, strategy):
        from learnet.distribute.parameter_server import ParameterServerStrategy

        if not isinstance(strategy, ParameterServerStrategy):
            raise ValueError(
                "Only `tf.distribute.ParameterServerStrategy` is supported to work with "
                f"`tf.distribute.coordinator.ClusterCoordinator`; got {type(strategy).__name__}"
            )
        if strategy._cluster_coordinator is None:
            coordinator = super().__new__(cls)
            coordinator._strategy = strategy
            coordinator._next_worker = 0
            strategy._cluster_coordinator = coordinator
        return strategy._cluster_coordinator

    @property
    def strategy(self):
        """The ``ParameterServerStrategy`` this coordinator schedules for."""
        return self._strategy

    @property
    def _num_workers(self):
        return self._strategy._num_workers

    def _run_on(self, worker, fn, *args, **kwargs):
        _current_worker.append(worker)
        try:
            with self._strategy.scope():
                return fn(*args, **kwargs)
        finally:
            _current_worker.pop()

    def schedule(self, fn, args=None, kwargs=None):
        """Run ``fn(*args, **kwargs)`` for the next worker; its result as a ``RemoteValue``.

        Per-worker values among the arguments (the iterator of a per-worker dataset)
        are replaced by that worker's own.
        """
        if not callable(fn):
            raise TypeError(f"schedule takes a function, got {fn!r}")
        worker = self._next_worker
        self._next_worker = (worker + 1) % self._num_workers

        def on_worker(value):
            return value._on_worker(worker) if isinstance(value, PerWorkerValues) else value

        args = tuple(on_worker(arg) for arg in (args or ()))
        kwargs = {key: on_worker(value) for key, value in (kwargs or {}).items()}
        return RemoteValue(self._run_on(worker, fn, *args, **kwargs), worker)

    def join(self):
        """Wait for every scheduled function: each has already run."""

    def done(self):
        """Whether every scheduled function has finished (always, here)."""
        return True

    def create_per_worker_dataset(self, dataset_fn):
        """One dataset per worker: ``dataset_fn()`` called for each (or a dataset given, read by each).

        Inside ``dataset_fn``, ``experimental_get_current_worker_index()`` is that worker's index.
        """
        if callable(dataset_fn) and not hasattr(dataset_fn, "__iter__"):
            datasets = [self._run_on(worker, dataset_fn) for worker in range(self._num_workers)]
        elif hasattr(dataset_fn, "__iter__"):
            datasets = [dataset_fn] * self._num_workers
        else:
            raise TypeError(f"create_per_worker_dataset takes a function returning a dataset, got {dataset_fn!r}")
        return PerWorkerDataset(datasets)

    def fetch(self, val):
        """``val`` with each ``RemoteValue`` in it fetched (its result as NumPy values)."""
        return tree.map_structure(lambda v: v.fetch() if isinstance(v, RemoteValue) else _numpy(v), val)
