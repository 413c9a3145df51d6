"""``tf.distribute.experimental``: the experimental names of ``tf.distribute`` that learnet has.

Examples
--------
>>> import learnet as tf
>>> tf.distribute.experimental.ValueContext().num_replicas_in_sync
1
"""

from learnet.distribute.distributed_input import ValueContext
from learnet.distribute.mirrored import CentralStorageStrategy
from learnet.distribute.mpi import MultiWorkerMirroredStrategy

__all__ = ["CentralStorageStrategy", "MultiWorkerMirroredStrategy", "ValueContext"]
