"""``tf.distribute.experimental``: the experimental names of ``tf.distribute`` that learnet has.

Examples
--------
>>> import learnet as tf
>>> tf.distribute.experimental.ValueContext().num_replicas_in_sync
1
"""

from learnet.distribute import coordinator, partitioners
from learnet.distribute.collective_util import CollectiveHints, CommunicationImplementation, CommunicationOptions
from learnet.distribute.distributed_input import ValueContext
from learnet.distribute.mirrored import CentralStorageStrategy, TPUStrategy
from learnet.distribute.mpi import MultiWorkerMirroredStrategy
from learnet.distribute.parameter_server import ParameterServerStrategy

__all__ = [
    "CentralStorageStrategy",
    "CollectiveHints",
    "CommunicationImplementation",
    "CommunicationOptions",
    "MultiWorkerMirroredStrategy",
    "ParameterServerStrategy",
    "TPUStrategy",
    "ValueContext",
    "coordinator",
    "partitioners",
]
