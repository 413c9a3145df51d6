"""``tf.distribute.MirroredStrategy`` and ``OneDeviceStrategy`` in one process: one replica.

TensorFlow's ``MirroredStrategy`` keeps one copy of the model on each GPU of a machine;
on a machine without GPUs it runs one replica on the CPU. learnet computes on one device
per process (NumPy's CPU, or one GPU under CuPy), so these strategies run one replica:
``strategy.run``, ``reduce``, ``experimental_distribute_dataset`` and ``scope`` behave as
TensorFlow's do with one replica, and a tutorial written for them runs unchanged. Naming
several devices is refused with a clear message: learnet spreads training over several
processes instead (``MultiWorkerMirroredStrategy``, over MPI).

Examples
--------
>>> import learnet as tf
>>> strategy = tf.distribute.MirroredStrategy()
Using MirroredStrategy with devices ('/job:localhost/replica:0/task:0/device:CPU:0',)
>>> strategy.num_replicas_in_sync
1
>>> with strategy.scope():
...     model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
>>> float(strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(lambda: tf.constant(2.0)), axis=None))
2.0
"""

from learnet import backend
from learnet.distribute.distributed_input import InputContext
from learnet.distribute.extended import StrategyExtended
from learnet.distribute.strategy import ReplicaContext, Strategy, get_replica_context

__all__ = [
    "CentralStorageStrategy",
    "HierarchicalCopyAllReduce",
    "InputContext",
    "MirroredStrategy",
    "NcclAllReduce",
    "OneDeviceStrategy",
    "ReductionToOneDevice",
    "ReplicaContext",
    "TPUStrategy",
    "get_replica_context",
]


def _device_name():
    kind = "GPU" if backend.name() == "cupy" else "CPU"
    return f"/job:localhost/replica:0/task:0/device:{kind}:0"


class _OneReplica(Strategy):
    """A strategy of one replica on this process's device, with TensorFlow's inspection methods."""

    def __init__(self, devices):
        super().__init__()
        devices = [devices] if isinstance(devices, str) else list(devices or [])
        if len(devices) > 1:
            raise ValueError(
                f"{type(self).__name__}: learnet runs one replica per process, on one device, so it cannot "
                f"mirror over {len(devices)} devices {devices}; to train on several, start several "
                "processes with MultiWorkerMirroredStrategy (mpirun -n N python script.py)"
            )
        self._devices = (_device_name(),)

    @property
    def extended(self):
        """``worker_devices`` and ``parameter_devices`` (this process's device), reductions, flags."""
        return StrategyExtended(self, self._devices)


class MirroredStrategy(_OneReplica):
    """Synchronous training on the replicas of one machine (``tf.distribute.MirroredStrategy``).

    Parameters
    ----------
    devices : list of str, optional
        At most one device: learnet runs one replica per process (see the module's notes).
    cross_device_ops : optional
        Accepted for TensorFlow compatibility (one replica needs no reduction between devices).
    """

    def __init__(self, devices=None, cross_device_ops=None):
        super().__init__(devices)
        print(f"Using MirroredStrategy with devices {self._devices}")


class OneDeviceStrategy(_OneReplica):
    """Everything on one device (``tf.distribute.OneDeviceStrategy``): learnet's own way of working."""

    def __init__(self, device):
        super().__init__([device])


class CentralStorageStrategy(_OneReplica):
    """Variables on one device, computation on the others (``tf.distribute.experimental.CentralStorageStrategy``).

    TensorFlow keeps the variables on the CPU and computes on each GPU; with learnet's one
    device per process, variables and computation share it, so this is one replica, as
    ``MirroredStrategy`` is here.

    Parameters
    ----------
    compute_devices : list of str, optional
        At most one device (see the module's notes).
    parameter_device : str, optional
        Where the variables live; accepted and reported by ``extended.parameter_devices``.

    Examples
    --------
    >>> import learnet as tf
    >>> strategy = tf.distribute.experimental.CentralStorageStrategy()
    >>> strategy.num_replicas_in_sync
    1
    """

    def __init__(self, compute_devices=None, parameter_device=None):
        super().__init__(compute_devices)
        if parameter_device is not None and not isinstance(parameter_device, str):
            raise TypeError(f"CentralStorageStrategy: parameter_device must be a device name, got {parameter_device!r}")
        self._parameter_devices = (parameter_device,) if parameter_device else self._devices

    @property
    def extended(self):
        """``worker_devices`` (this process's device) and ``parameter_devices``."""
        extended = StrategyExtended(self, self._devices)
        extended.worker_devices = list(self._devices)  # a list here, a tuple in MirroredStrategy, as in TensorFlow
        extended.parameter_devices = self._parameter_devices
        return extended


class _CrossDeviceOps:
    """Accepted as ``MirroredStrategy(cross_device_ops=...)``; one replica needs none."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


class HierarchicalCopyAllReduce(_CrossDeviceOps):
    pass


class NcclAllReduce(_CrossDeviceOps):
    pass


class ReductionToOneDevice(_CrossDeviceOps):
    pass


class TPUStrategy(Strategy):
    """Training on a TPU (``tf.distribute.TPUStrategy``): refused, learnet has no TPU support.

    TensorFlow without a reachable TPU fails while resolving it; learnet says so at once.

    Raises
    ------
    ValueError
        Always: there is no TPU to connect to.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.distribute.TPUStrategy()
    Traceback (most recent call last):
    ...
    ValueError: TPUStrategy: learnet has no TPU support and no TPU to connect to; use MirroredStrategy (one device) or MultiWorkerMirroredStrategy (several processes)
    """

    def __init__(self, tpu_cluster_resolver=None, experimental_device_assignment=None, **kwargs):
        raise ValueError(
            "TPUStrategy: learnet has no TPU support and no TPU to connect to; use MirroredStrategy "
            "(one device) or MultiWorkerMirroredStrategy (several processes)"
        )
