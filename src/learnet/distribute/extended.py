"""``tf.distribute.StrategyExtended``: the members of ``strategy.extended`` that tutorials use.

``strategy.extended`` holds what most code never needs: the devices a strategy computes
and keeps variables on, reductions to a destination (``reduce_to``, ``batch_reduce_to``),
``update`` of a variable, and the flags Keras reads (should this worker checkpoint, write
summaries, initialize?). learnet's strategies run one replica per process, so each
member gives what TensorFlow's gives for one replica on this process's device.

Examples
--------
>>> import learnet as tf
>>> extended = tf.distribute.get_strategy().extended
>>> extended.should_checkpoint, extended.experimental_between_graph
(True, False)
>>> float(extended.reduce_to("SUM", tf.constant(2.0), destinations=extended.worker_devices[0]))
2.0
"""

import contextlib

from learnet import backend, tree
from learnet.distribute.collective_util import check_options

__all__ = ["StrategyExtended"]


def _local_device():
    kind = "GPU" if backend.name() == "cupy" else "CPU"
    return f"/job:localhost/replica:0/task:0/device:{kind}:0"


class StrategyExtended:
    """What a strategy offers beyond its main methods (``tf.distribute.StrategyExtended``).

    Parameters
    ----------
    strategy : tf.distribute.Strategy
    worker_devices, parameter_devices : sequence of str, optional
        Where replicas compute and variables live (this process's device by default).
    between_graph : bool, default False
        Whether each worker runs its own copy of the program (multi-worker strategies).
    """

    experimental_require_static_shapes = False
    experimental_enable_get_next_as_optional = False

    def __init__(self, strategy, worker_devices=None, parameter_devices=None, between_graph=False):
        self._container_strategy = strategy
        self.worker_devices = tuple(worker_devices) if worker_devices is not None else (_local_device(),)
        self.parameter_devices = tuple(parameter_devices) if parameter_devices is not None else self.worker_devices
        self.experimental_between_graph = between_graph

    # --- the flags Keras reads ------------------------------------------------------------------
    @property
    def experimental_should_init(self):
        """Whether this worker initializes variables (every worker does)."""
        return True

    @property
    def should_checkpoint(self):
        """Whether this worker writes checkpoints (the chief)."""
        return self._container_strategy.is_chief

    @property
    def should_save_summary(self):
        """Whether this worker writes summaries (the chief)."""
        return self._container_strategy.is_chief

    @property
    def worker_devices_by_replica(self):
        """The devices of each replica: one list per replica."""
        return [[device] for device in self.worker_devices]

    # --- reductions and updates -----------------------------------------------------------------
    def reduce_to(self, reduce_op, value, destinations, options=None):
        """``value`` combined over the replicas (SUM or MEAN), placed on ``destinations``.

        ``options`` (``tf.distribute.experimental.CommunicationOptions``) is checked and kept;
        with one device per process, ``destinations`` changes no placement.
        """
        check_options(options, "reduce_to: options")
        return tree.map_structure(lambda v: self._container_strategy._reduce_one(reduce_op, v, None), value)

    def batch_reduce_to(self, reduce_op, value_destination_pairs, options=None):
        """``reduce_to`` of each ``(value, destinations)`` pair, as a list."""
        check_options(options, "batch_reduce_to: options")
        return [self.reduce_to(reduce_op, value, destinations) for value, destinations in value_destination_pairs]

    def broadcast_to(self, tensor, destinations):
        """``tensor`` on ``destinations``: with one device per process, the tensor itself."""
        return tensor

    def call_for_each_replica(self, fn, args=(), kwargs=None):
        """``fn(*args, **kwargs)`` run in each replica (``strategy.run``)."""
        return self._container_strategy.run(fn, args=args, kwargs=kwargs)

    def update(self, var, fn, args=(), kwargs=None, group=True):
        """``fn(var, *args, **kwargs)``: the update of a variable, run where the variable lives."""
        with self._container_strategy.scope():
            return fn(var, *args, **(kwargs or {}))

    def value_container(self, value):
        """The container of a replica's value (with one replica: the value itself)."""
        return value

    def read_var(self, v):
        """The value of a variable, combined over replicas: the variable itself here."""
        return v

    def non_slot_devices(self, var_list):
        """Where values not tied to a variable live: this process's parameter device."""
        return self.parameter_devices[:1]

    @contextlib.contextmanager
    def colocate_vars_with(self, colocate_with_variable):
        """Variables made inside live with ``colocate_with_variable``: with one device, everywhere."""
        yield

    def __repr__(self):
        return f"<StrategyExtended of {type(self._container_strategy).__name__}, devices {self.worker_devices}>"
