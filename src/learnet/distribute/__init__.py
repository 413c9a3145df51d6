"""``learnet.distribute``: training on several processes, with ``tf.distribute``'s names.

* ``MirroredStrategy()`` / ``OneDeviceStrategy()``: one replica in this process, so code
  written for them runs unchanged (learnet computes on one device per process);
* ``MultiWorkerMirroredStrategy()``: synchronous data-parallel training over MPI;
  ``with strategy.scope():`` build and compile, then ``fit`` as usual.
* ``experimental.CentralStorageStrategy()``: one replica too (variables and computation share
  this process's device).
* ``cluster_resolver``: ``TFConfigClusterResolver`` (the cluster of ``TF_CONFIG``),
  ``SimpleClusterResolver`` and ``ClusterSpec`` (``tf.train.ClusterSpec``).
* ``get_strategy()``: the strategy in force (one process outside any scope).
* ``Strategy.reduce``, ``experimental_distribute_dataset``, ``all_reduce_gradients``
  and ``broadcast_variables`` for a hand-written ``GradientTape`` loop.
* the distributed input (``distributed_input.py``): ``experimental_distribute_dataset``,
  ``distribute_datasets_from_function`` (with an ``InputContext``),
  ``experimental_distribute_values_from_function`` (with a ``ValueContext``), their
  ``DistributedDataset`` and ``DistributedIterator``, ``InputOptions``.

Examples
--------
>>> import learnet as tf
>>> strategy = tf.distribute.get_strategy()
>>> strategy.num_replicas_in_sync
1
"""

from learnet.distribute.distributed_input import (
    DistributedDataset,
    DistributedIterator,
    DistributedValues,
    InputContext,
    InputOptions,
    InputReplicationMode,
)
from learnet.distribute.mirrored import (
    HierarchicalCopyAllReduce,
    MirroredStrategy,
    NcclAllReduce,
    OneDeviceStrategy,
    ReductionToOneDevice,
    ReplicaContext,
    get_replica_context,
)
from learnet.distribute.mpi import MultiWorkerMirroredStrategy, launched_by_mpi
from learnet.distribute.strategy import (
    ReduceOp,
    Strategy,
    compute_average_loss,
    get_strategy,
    has_strategy,
    in_cross_replica_context,
)
from learnet.distribute import cluster_resolver, experimental  # noqa: E402 - after the strategies they name

__all__ = [
    "DistributedDataset",
    "DistributedIterator",
    "DistributedValues",
    "HierarchicalCopyAllReduce",
    "InputContext",
    "InputOptions",
    "InputReplicationMode",
    "MirroredStrategy",
    "MultiWorkerMirroredStrategy",
    "NcclAllReduce",
    "OneDeviceStrategy",
    "ReductionToOneDevice",
    "ReplicaContext",
    "get_replica_context",
    "ReduceOp",
    "Strategy",
    "compute_average_loss",
    "get_strategy",
    "has_strategy",
    "in_cross_replica_context",
    "launched_by_mpi",
    "cluster_resolver",
    "experimental",
]
