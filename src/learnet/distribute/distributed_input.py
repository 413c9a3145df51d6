"""The distributed input of ``tf.distribute``: datasets, iterators and values spread over replicas.

learnet runs one replica per process, so what TensorFlow splits over the devices of a
machine is here this process's share:

* ``strategy.experimental_distribute_dataset(ds)`` gives a ``DistributedDataset``: each
  global batch of ``ds``, of which this process keeps its rows (all of them with one
  process, a slice of each under ``MultiWorkerMirroredStrategy``);
* ``strategy.distribute_datasets_from_function(fn)`` calls ``fn(InputContext)`` once and
  gives a ``DistributedDataset`` over the per-replica batches the function makes;
* ``iter(distributed_dataset)`` is a ``DistributedIterator`` with ``get_next()`` (ending in
  ``tf.errors.OutOfRangeError``), ``get_next_as_optional()`` and ``element_spec``;
* ``strategy.experimental_distribute_values_from_function(fn)`` calls ``fn(ValueContext)``
  and wraps what it returns in ``PerReplica`` values, which ``strategy.run`` unwraps.

This module knows datasets only by what they do (``element_spec``, ``cardinality()``,
``iter(ds).get_next_as_optional()``): ``tf.data`` lives on a floor above ``distribute``.

Examples
--------
>>> import learnet as tf
>>> strategy = tf.distribute.get_strategy()
>>> dist = strategy.experimental_distribute_dataset(tf.data.Dataset.range(5).batch(2))
>>> it = iter(dist)
>>> it.get_next().numpy(), bool(it.get_next_as_optional().has_value())
(array([0, 1]), True)
"""

import collections
import enum

import numpy

from learnet import errors, tree
from learnet.control import TensorSpec
from learnet.tensor import to_array

__all__ = [
    "DistributedDataset",
    "DistributedIterator",
    "DistributedValues",
    "InputContext",
    "InputOptions",
    "InputReplicationMode",
    "PerReplica",
    "ValueContext",
]


# --- what the input functions are told ---------------------------------------------------------
class InputContext:
    """What ``distribute_datasets_from_function`` tells its function (``tf.distribute.InputContext``).

    Parameters
    ----------
    num_input_pipelines : int
        How many input pipelines (processes) read data; ``1`` in one process.
    input_pipeline_id : int
        Which of them this one is, from ``0``.
    num_replicas_in_sync : int
        How many replicas train together.

    Examples
    --------
    >>> import learnet as tf
    >>> context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=1, num_replicas_in_sync=4)
    >>> context.get_per_replica_batch_size(64)
    16
    >>> print(context)
    tf.distribute.InputContext(input pipeline id 1, total: 2)
    """

    def __init__(self, num_input_pipelines=1, input_pipeline_id=0, num_replicas_in_sync=1):
        for name, value, low in (
            ("num_input_pipelines", num_input_pipelines, 1),
            ("input_pipeline_id", input_pipeline_id, 0),
            ("num_replicas_in_sync", num_replicas_in_sync, 1),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < low:
                raise ValueError(f"InputContext: {name} must be an integer >= {low}, got {value!r}")
        if input_pipeline_id >= num_input_pipelines:
            raise ValueError(
                f"InputContext: input_pipeline_id {input_pipeline_id} is not below "
                f"num_input_pipelines {num_input_pipelines}"
            )
        self._num_input_pipelines = int(num_input_pipelines)
        self._input_pipeline_id = int(input_pipeline_id)
        self._num_replicas_in_sync = int(num_replicas_in_sync)

    @property
    def num_input_pipelines(self):
        """How many input pipelines read data (one per process)."""
        return self._num_input_pipelines

    @property
    def input_pipeline_id(self):
        """Which input pipeline this is, from 0: use it to ``shard`` the data."""
        return self._input_pipeline_id

    @property
    def num_replicas_in_sync(self):
        """How many replicas train together."""
        return self._num_replicas_in_sync

    def get_per_replica_batch_size(self, global_batch_size):
        """The batch each replica reads, for a global batch of ``global_batch_size``.

        Raises
        ------
        ValueError
            If the global batch does not divide evenly among the replicas.
        """
        given = global_batch_size
        if hasattr(given, "shape") and hasattr(given, "dtype") and not numpy.ndim(given):
            global_batch_size = to_array(given).item()  # a scalar tensor
        if isinstance(global_batch_size, bool) or not isinstance(global_batch_size, (int, float, numpy.number)):
            raise TypeError(
                f"get_per_replica_batch_size: global_batch_size must be a number, got {type(given).__name__}"
            )
        if global_batch_size % self._num_replicas_in_sync:
            raise ValueError(
                f"The `global_batch_size` {global_batch_size} is not divisible by "
                f"`num_replicas_in_sync` {self._num_replicas_in_sync}"
            )
        return global_batch_size // self._num_replicas_in_sync

    def __str__(self):
        return f"tf.distribute.InputContext(input pipeline id {self._input_pipeline_id}, total: {self._num_input_pipelines})"


class ValueContext:
    """What ``experimental_distribute_values_from_function`` tells its function
    (``tf.distribute.experimental.ValueContext``): which replica the value is for.

    Examples
    --------
    >>> import learnet as tf
    >>> context = tf.distribute.experimental.ValueContext(replica_id_in_sync_group=0, num_replicas_in_sync=1)
    >>> context.replica_id_in_sync_group, context.num_replicas_in_sync
    (0, 1)
    """

    def __init__(self, replica_id_in_sync_group=0, num_replicas_in_sync=1):
        self._replica_id_in_sync_group = replica_id_in_sync_group
        self._num_replicas_in_sync = num_replicas_in_sync

    @property
    def replica_id_in_sync_group(self):
        """The replica the value is made for, from 0."""
        return self._replica_id_in_sync_group

    @property
    def num_replicas_in_sync(self):
        """How many replicas train together."""
        return self._num_replicas_in_sync

    def __repr__(self):
        return (
            f"ValueContext(replica_id_in_sync_group={self._replica_id_in_sync_group}, "
            f"num_replicas_in_sync={self._num_replicas_in_sync})"
        )


class InputReplicationMode(enum.Enum):
    """Whether a dataset function runs once per worker or once per replica (``tf.distribute``'s)."""

    PER_WORKER = "PER_WORKER"
    PER_REPLICA = "PER_REPLICA"


_InputOptionsFields = collections.namedtuple(
    "InputOptions",
    [
        "experimental_fetch_to_device",
        "experimental_replication_mode",
        "experimental_place_dataset_on_device",
        "experimental_per_replica_buffer_size",
    ],
)


class InputOptions(_InputOptionsFields):
    """How a distributed dataset is fed to the devices (``tf.distribute.InputOptions``).

    learnet reads data in the training process, on the device it computes on, so the
    options are kept as given and change nothing, except that ``PER_REPLICA`` is
    refused by ``experimental_distribute_dataset``, as TensorFlow refuses it.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.distribute.InputOptions(experimental_fetch_to_device=False).experimental_fetch_to_device
    False
    """

    __slots__ = ()

    def __new__(
        cls,
        experimental_fetch_to_device=None,
        experimental_replication_mode=InputReplicationMode.PER_WORKER,
        experimental_place_dataset_on_device=False,
        experimental_per_replica_buffer_size=1,
    ):
        if experimental_fetch_to_device is None:
            experimental_fetch_to_device = True
        try:
            experimental_replication_mode = InputReplicationMode(
                getattr(experimental_replication_mode, "value", experimental_replication_mode)
            )
        except ValueError:
            raise ValueError(
                "InputOptions: experimental_replication_mode must be InputReplicationMode.PER_WORKER or "
                f"PER_REPLICA, got {experimental_replication_mode!r}"
            ) from None
        return super().__new__(
            cls,
            bool(experimental_fetch_to_device),
            experimental_replication_mode,
            bool(experimental_place_dataset_on_device),
            experimental_per_replica_buffer_size,
        )


def _check_options(options, where):
    if options is not None and not isinstance(options, InputOptions):
        raise TypeError(f"{where}: options must be a tf.distribute.InputOptions, got {type(options).__name__}")
    return options


# --- values that differ by replica --------------------------------------------------------------
class DistributedValues:
    """A value with one component per replica of this process (``tf.distribute.DistributedValues``).

    learnet has one replica per process, so ``values`` is a tuple of one.
    """

    def __init__(self, values):
        self._values = tuple(values)

    @property
    def values(self):
        """The components, one per local replica."""
        return self._values

    def _text(self, show):
        lines = ",\n".join(f"  {i}: {show(value)}" for i, value in enumerate(self._values))
        return f"{type(self).__name__}:{{\n{lines}\n}}"

    def __repr__(self):
        return self._text(repr)

    def __str__(self):
        return self._text(str)


class PerReplica(DistributedValues):
    """Values that may differ from replica to replica (what ``strategy.run`` takes apart)."""


def _is_per_replica_structure(structure):
    return any(isinstance(leaf, DistributedValues) for leaf in tree.flatten(structure))


def local_value(structure, replica=0):
    """``structure`` with each ``PerReplica`` replaced by this process's component.

    A structure without any is given back as it is (a named tuple stays a named tuple).
    """
    if isinstance(structure, DistributedValues):
        return structure.values[replica]
    if not _is_per_replica_structure(structure):
        return structure
    return tree.map_structure(
        lambda leaf: leaf.values[replica] if isinstance(leaf, DistributedValues) else leaf, structure
    )


def distribute_values(strategy, value_fn):
    """``value_fn(ValueContext)`` for this process's replica, each leaf wrapped in a ``PerReplica``."""
    if not callable(value_fn):
        raise TypeError(
            "experimental_distribute_values_from_function expects a function of a ValueContext, got "
            f"{type(value_fn).__name__}"
        )
    value = value_fn(ValueContext(strategy.rank, strategy.num_replicas_in_sync))
    return tree.map_structure(lambda leaf: PerReplica((leaf,)), value)


# --- datasets and their iterators ------------------------------------------------------------------
def _check_dataset(dataset, where):
    # Read on the class: reading ``element_spec`` on the object may read an element.
    if not hasattr(type(dataset), "element_spec") or not hasattr(dataset, "__iter__"):
        raise TypeError(f"{where} expects a tf.data.Dataset, got {type(dataset).__name__}")
    return dataset


class DistributedDataset:
    """A dataset whose elements are this process's share of each step (``tf.distribute.DistributedDataset``).

    Made by ``strategy.experimental_distribute_dataset`` or
    ``strategy.distribute_datasets_from_function``; iterate it with ``for`` or ``iter``.

    Examples
    --------
    >>> import learnet as tf
    >>> dist = tf.distribute.get_strategy().experimental_distribute_dataset(tf.data.Dataset.range(5).batch(2))
    >>> dist.element_spec
    TensorSpec(shape=(None,), dtype=tf.int64, name=None)
    >>> int(dist.cardinality), [b.numpy().tolist() for b in dist]
    (3, [[0, 1], [2, 3], [4]])
    """

    def __init__(self, strategy, dataset, options=None, split_batches=True):
        self._strategy = strategy
        self._dataset = dataset
        self._options = options
        self._split_batches = split_batches  # False: the dataset already holds per-replica batches

    @property
    def element_spec(self):
        """The ``tf.TensorSpec`` structure of this process's elements.

        When global batches are split over several processes, a fixed batch size becomes
        the size of one process's part (``None`` if it does not divide evenly).
        """
        spec = self._dataset.element_spec
        replicas = self._strategy.num_replicas_in_sync
        if not self._split_batches or replicas == 1:
            return spec

        def local(leaf):
            if not isinstance(leaf, TensorSpec) or leaf.shape is None or len(leaf.shape) == 0:
                return leaf
            rows = leaf.shape[0]
            rows = rows // replicas if rows is not None and rows % replicas == 0 else None
            return TensorSpec((rows, *leaf.shape[1:]), leaf.dtype, leaf.name)

        return tree.map_structure(local, spec)

    @property
    def cardinality(self):
        """The number of steps (a NumPy int64): ``-1`` if infinite, ``-2`` if unknown, as TensorFlow's."""
        return numpy.int64(to_array(self._dataset.cardinality()))

    def __iter__(self):
        """A new ``DistributedIterator`` from the first element."""
        return DistributedIterator(self)

    def reduce(self, initial_state, reduce_func):
        """Fold this process's elements into one value: ``state = reduce_func(state, element)``.

        Examples
        --------
        >>> import learnet as tf
        >>> dist = tf.distribute.get_strategy().experimental_distribute_dataset(tf.data.Dataset.range(5).batch(2))
        >>> int(dist.reduce(tf.constant(0, tf.int64), lambda total, batch: total + tf.reduce_sum(batch)))
        10
        """
        state = initial_state
        for element in self:
            state = reduce_func(state, element)
        return state

    def __repr__(self):
        return f"<learnet.distribute.{type(self).__name__} of {self._strategy.num_replicas_in_sync} replica(s)>"


class DistributedIterator:
    """An iterator over a ``DistributedDataset`` (``tf.distribute.DistributedIterator``).

    ``next(it)`` ends with ``StopIteration``, ``it.get_next()`` with
    ``tf.errors.OutOfRangeError`` and ``it.get_next_as_optional()`` with an empty
    ``tf.experimental.Optional``, as in TensorFlow.

    Examples
    --------
    >>> import learnet as tf
    >>> it = iter(tf.distribute.get_strategy().experimental_distribute_dataset(tf.data.Dataset.range(3).batch(2)))
    >>> it.get_next().numpy(), next(it).numpy(), bool(it.get_next_as_optional().has_value())
    (array([0, 1]), array([2]), False)
    """

    def __init__(self, distributed_dataset):
        self._distributed = distributed_dataset
        self._strategy = distributed_dataset._strategy
        self._source = iter(distributed_dataset._dataset)
        self._started = False

    @property
    def element_spec(self):
        """The ``tf.TensorSpec`` structure of the elements (the distributed dataset's)."""
        return self._distributed.element_spec

    def get_next_as_optional(self):
        """This process's next element in an ``Optional``; an empty one past the end (no error)."""
        strategy = self._strategy
        split = self._distributed._split_batches
        if split and not self._started:
            # Every process shuffles as rank 0 does, so the parts tile each global batch.
            strategy._sync_random_state()
        self._started = True
        while True:
            optional = self._source.get_next_as_optional()
            if not bool(optional.has_value()):
                return type(optional).empty(self.element_spec)
            part = strategy._local_part(optional.get_value()) if split else optional.get_value()
            strategy._gradient_scale = 1.0  # a hand-written loop scales its own loss
            if part is not None:  # None: a batch smaller than the processes, skipped by all
                return type(optional).from_value(part)

    def get_next(self):
        """This process's next element; past the end, ``tf.errors.OutOfRangeError`` ("End of sequence")."""
        optional = self.get_next_as_optional()
        if not bool(optional.has_value()):
            raise errors.OutOfRangeError(None, None, "End of sequence")
        return optional.get_value()

    def __next__(self):
        try:
            return self.get_next()
        except errors.OutOfRangeError:
            raise StopIteration from None

    def next(self):
        """The next element (``StopIteration`` past the end)."""
        return self.__next__()

    def __iter__(self):
        return self


def distribute_dataset(strategy, dataset, options=None):
    """What ``strategy.experimental_distribute_dataset(dataset, options)`` returns."""
    _check_dataset(dataset, "experimental_distribute_dataset")
    options = _check_options(options, "experimental_distribute_dataset")
    if options is not None and options.experimental_replication_mode is InputReplicationMode.PER_REPLICA:
        raise NotImplementedError(
            "InputReplicationMode.PER_REPLICA is only supported in `distribute_datasets_from_function`."
        )
    return DistributedDataset(strategy, dataset, options)


def distribute_datasets_from_function(strategy, dataset_fn, options=None):
    """What ``strategy.distribute_datasets_from_function(dataset_fn, options)`` returns.

    The function is called once, now, with this process's ``InputContext``; it makes the
    batches of one replica, so they are not split again.
    """
    if not callable(dataset_fn):
        raise TypeError(
            f"distribute_datasets_from_function expects a function of an InputContext, got {type(dataset_fn).__name__}"
        )
    options = _check_options(options, "distribute_datasets_from_function")
    size = strategy.num_replicas_in_sync
    context = InputContext(num_input_pipelines=size, input_pipeline_id=strategy.rank, num_replicas_in_sync=size)
    dataset = dataset_fn(context)
    if not hasattr(type(dataset), "element_spec"):
        raise TypeError(
            f"distribute_datasets_from_function: the function must return a tf.data.Dataset, got {type(dataset).__name__}"
        )
    return DistributedDataset(strategy, dataset, options, split_batches=False)
