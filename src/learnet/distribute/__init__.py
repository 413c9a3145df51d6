"""``learnet.distribute``: training on several processes, with ``tf.distribute``'s names.

* ``MirroredStrategy()`` / ``OneDeviceStrategy()``: one replica in this process, so code
  written for them runs unchanged (learnet computes on one device per process);
* ``MultiWorkerMirroredStrategy()``: synchronous data-parallel training over MPI;
  ``with strategy.scope():`` build and compile, then ``fit`` as usual.
* ``experimental.CentralStorageStrategy()``: one replica too (variables and computation share
  this process's device).
* ``cluster_resolver``: ``TFConfigClusterResolver`` (the cluster of ``TF_CONFIG``),
  ``SimpleClusterResolver`` and ``ClusterSpec`` (``tf.train.ClusterSpec``).
* ``get_strategy()``: the strategy in force (one process outside any scope);
  ``get_replica_context()`` / ``in_cross_replica_context()`` as TensorFlow's (``None`` /
  True inside ``scope()`` outside ``run``); ``experimental_set_strategy``; ``strategy.extended``
  (``StrategyExtended``).
* ``experimental.CommunicationOptions`` (``collective_util.py``): checked, kept, no effect on MPI.
* the parameter-server stack in one process (``parameter_server.py``, ``coordinator.py``,
  ``partitioners.py``): ``Server``, ``ParameterServerStrategy``,
  ``coordinator.ClusterCoordinator``, ``experimental.partitioners``.
* ``TPUStrategy``: refused with a clear error (no TPU).
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

from learnet.distribute.collective_util import (
    CollectiveHints,
    CommunicationImplementation,
    CommunicationOptions,
)
from learnet.distribute.distributed_input import (
    DistributedDataset,
    DistributedIterator,
    DistributedValues,
    InputContext,
    InputOptions,
    InputReplicationMode,
)
from learnet.distribute.extended import StrategyExtended
from learnet.distribute.mirrored import (
    HierarchicalCopyAllReduce,
    MirroredStrategy,
    NcclAllReduce,
    OneDeviceStrategy,
    ReductionToOneDevice,
    TPUStrategy,
)
from learnet.distribute.mpi import MultiWorkerMirroredStrategy, launched_by_mpi
from learnet.distribute.parameter_server import ParameterServerStrategy, Server
from learnet.distribute.strategy import (
    ReduceOp,
    ReplicaContext,
    Strategy,
    compute_average_loss,
    experimental_set_strategy,
    get_replica_context,
    get_strategy,
    has_strategy,
    in_cross_replica_context,
)
from learnet.distribute import cluster_resolver, coordinator, experimental  # noqa: E402 - after the strategies

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
    "ParameterServerStrategy",
    "ReductionToOneDevice",
    "ReplicaContext",
    "Server",
    "StrategyExtended",
    "TPUStrategy",
    "get_replica_context",
    "ReduceOp",
    "Strategy",
    "compute_average_loss",
    "experimental_set_strategy",
    "get_strategy",
    "has_strategy",
    "in_cross_replica_context",
    "launched_by_mpi",
    "cluster_resolver",
    "coordinator",
    "experimental",
]
