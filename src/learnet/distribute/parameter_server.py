"""Parameter-server training in one process: ``tf.distribute.Server`` and ``ParameterServerStrategy``.

In TensorFlow, parameter-server training runs a *coordinator* that holds the training
loop, *parameter servers* that keep the variables, and *workers* that run the steps the
coordinator schedules (``tf.distribute.coordinator.ClusterCoordinator``). Its tutorial
builds such a cluster inside one process: one ``tf.distribute.Server`` per task, then
the strategy over a ``SimpleClusterResolver`` of their ``ClusterSpec``.

learnet runs that flow honestly in one process:

* ``Server`` checks and records its task of the cluster (``target``, ``server_def``);
  it opens no port: nothing outside this process can connect to it.
* ``ParameterServerStrategy`` keeps the variables in this process (the coordinator)
  and runs each scheduled step here, as one replica, on behalf of one of the cluster's
  workers in turn (each worker has its own dataset iterator, as in TensorFlow).
  A ``variable_partitioner`` is kept, but variables are created whole (one shard).
* ``model.fit(..., steps_per_epoch=...)`` under its scope trains as with any
  one-replica strategy.

Examples
--------
>>> import learnet as tf
>>> spec = tf.train.ClusterSpec({"worker": ["localhost:2222", "localhost:2223"], "ps": ["localhost:2224"]})
>>> servers = [tf.distribute.Server(spec, job_name="worker", task_index=i) for i in range(2)]
>>> servers[1].target
'grpc://localhost:2223'
>>> resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(spec, rpc_layer="grpc")
>>> strategy = tf.distribute.ParameterServerStrategy(resolver)
>>> strategy.num_replicas_in_sync, strategy.extended._num_workers, strategy.extended._num_ps
(1, 2, 1)
"""

from learnet import errors
from learnet.distribute.cluster_resolver import ClusterResolver, ClusterSpec
from learnet.distribute.extended import StrategyExtended
from learnet.distribute.strategy import Strategy

__all__ = ["ParameterServerStrategy", "Server", "ServerDef"]


class ServerDef:
    """What a ``Server`` serves (``tf.train.ServerDef``'s fields): the cluster and this task."""

    def __init__(self, cluster, job_name, task_index, protocol):
        self.cluster = cluster
        self.job_name = job_name
        self.task_index = task_index
        self.protocol = protocol

    def __repr__(self):
        return (
            f"ServerDef(job_name={self.job_name!r}, task_index={self.task_index}, protocol={self.protocol!r}, "
            f"cluster={self.cluster!r})"
        )


class Server:
    """One task of a cluster, in this process (``tf.distribute.Server``).

    Parameters
    ----------
    server_or_cluster_def : ClusterSpec, dict or ServerDef
        The cluster (or a ``ServerDef`` naming cluster and task).
    job_name : str, optional
        This task's job; may be left out when the cluster has one job.
    task_index : int, optional
        This task's index; may be left out when the job has one task.
    protocol : str, default "grpc"
        Only ``"grpc"``, as in TensorFlow's default build.
    config : optional
        A ``tf.compat.v1.ConfigProto``; accepted and kept.
    start : bool, default True
        Whether to start at once.

    Raises
    ------
    TypeError
        If ``server_or_cluster_def`` is not a cluster.
    ValueError
        If the job or task is not named where the cluster has several.
    tf.errors.InternalError
        If the cluster has no such job or task (as TensorFlow reports it).
    tf.errors.NotFoundError
        If the protocol is not ``"grpc"``.

    Notes
    -----
    learnet opens no port: the server records its task so that a script that builds
    an in-process cluster runs, and ``join()`` returns at once, since nothing can come
    to this server from outside.

    Examples
    --------
    >>> import learnet as tf
    >>> server = tf.distribute.Server(tf.train.ClusterSpec({"worker": ["localhost:5000"]}))
    >>> server.target, server.server_def.job_name, server.server_def.task_index
    ('grpc://localhost:5000', 'worker', 0)
    """

    def __init__(self, server_or_cluster_def, job_name=None, task_index=None, protocol=None, config=None, start=True):
        if isinstance(server_or_cluster_def, ServerDef):
            definition = server_or_cluster_def
            job_name = job_name if job_name is not None else definition.job_name
            task_index = task_index if task_index is not None else definition.task_index
            protocol = protocol if protocol is not None else definition.protocol
            cluster = definition.cluster
        else:
            try:
                cluster = ClusterSpec(server_or_cluster_def)
            except TypeError:
                raise TypeError(
                    "Could not convert `server_or_cluster_def` to a `tf.train.ServerDef` or `tf.train.ClusterSpec`; "
                    f"got {server_or_cluster_def!r}"
                ) from None
        if job_name is None:
            if len(cluster.jobs) != 1:
                raise ValueError(f"Must specify an explicit `job_name` (the cluster has jobs {cluster.jobs}).")
            job_name = cluster.jobs[0]
        if job_name not in cluster.jobs:
            raise errors.InternalError(None, None, f'Job "{job_name}" was not defined in cluster')
        indices = cluster.task_indices(job_name)
        if task_index is None:
            if len(indices) != 1:
                raise ValueError(f"Must specify an explicit `task_index` (job {job_name!r} has tasks {indices}).")
            task_index = indices[0]
        if task_index not in indices:
            raise errors.InternalError(None, None, f'Task {task_index} was not defined in job "{job_name}"')
        protocol = "grpc" if protocol is None else protocol
        if protocol != "grpc":
            raise errors.NotFoundError(
                None, None, f"No server factory registered for protocol {protocol!r} (only 'grpc')"
            )
        self._server_def = ServerDef(cluster, job_name, task_index, protocol)
        self._config = config
        self._started = False
        if start:
            self.start()

    @staticmethod
    def create_local_server(config=None, start=True):
        """A server of a one-task cluster on this machine (``{"localhost": ["localhost:0"]}``)."""
        return Server({"localhost": ["localhost:0"]}, protocol="grpc", config=config, start=start)

    @property
    def server_def(self):
        """The cluster and this task (``job_name``, ``task_index``, ``protocol``, ``cluster``)."""
        return self._server_def

    @property
    def target(self):
        """``grpc://host:port``: the address a session would use to reach this task."""
        definition = self._server_def
        return f"{definition.protocol}://{definition.cluster.task_address(definition.job_name, definition.task_index)}"

    def start(self):
        """Start the server (it then counts as running; it opens no port)."""
        self._started = True

    def join(self):
        """Return at once: an in-process learnet server serves nothing, so there is nothing to wait for.

        TensorFlow's blocks until the server stops; learnet's would block forever.
        """
        return None

    def __repr__(self):
        definition = self._server_def
        return f"<tf.distribute.Server {definition.job_name}:{definition.task_index} at {self.target}>"


class ParameterServerStrategy(Strategy):
    """Parameter-server training, run in this process (``tf.distribute.ParameterServerStrategy``).

    Parameters
    ----------
    cluster_resolver : ClusterResolver
        A cluster with a ``"worker"`` job and a ``"ps"`` job (and optionally a ``"chief"``).
    variable_partitioner : callable, optional
        A partitioner from ``tf.distribute.experimental.partitioners``; kept as
        ``extended.variable_partitioner``. Variables are created whole (one shard): in one
        process they share one memory anyway.

    Raises
    ------
    TypeError
        If ``cluster_resolver`` is not a cluster resolver or the partitioner is not callable.
    ValueError
        If the cluster has no worker or no parameter server.

    Examples
    --------
    >>> import learnet as tf
    >>> spec = tf.train.ClusterSpec({"worker": ["w:1"], "ps": ["p:1"]})
    >>> strategy = tf.distribute.ParameterServerStrategy(tf.distribute.cluster_resolver.SimpleClusterResolver(spec))
    >>> with strategy.scope():
    ...     v = tf.Variable(1.0)
    >>> coordinator = tf.distribute.coordinator.ClusterCoordinator(strategy)
    >>> float(coordinator.schedule(lambda: v.assign_add(1.0) * 2).fetch())
    4.0
    """

    def __init__(self, cluster_resolver, variable_partitioner=None):
        if not isinstance(cluster_resolver, ClusterResolver):
            raise TypeError(
                "ParameterServerStrategy takes a cluster resolver (e.g. "
                f"tf.distribute.cluster_resolver.SimpleClusterResolver), got {type(cluster_resolver).__name__}"
            )
        if variable_partitioner is not None and not callable(variable_partitioner):
            raise TypeError(f"variable_partitioner must be a partitioner (callable), got {variable_partitioner!r}")
        spec = cluster_resolver.cluster_spec()
        for job in ("worker", "ps"):
            if job not in spec.jobs or spec.num_tasks(job) == 0:
                raise ValueError(
                    f"ParameterServerStrategy needs a cluster with at least one {job!r} task; got {spec.as_dict()}"
                )
        super().__init__()
        self._resolver = cluster_resolver
        self._num_workers = spec.num_tasks("worker")
        self._num_ps = spec.num_tasks("ps")
        self._variable_partitioner = variable_partitioner
        self._cluster_coordinator = None

    @property
    def extended(self):
        """Devices as TensorFlow reports them (``worker_devices`` ``('/device:CPU:0',)``; the
        variables with the coordinator), ``_num_workers``, ``_num_ps``, ``variable_partitioner``."""
        extended = StrategyExtended(
            self, ("/device:CPU:0",), ("/job:chief/replica:0/task:0/device:CPU:0",), between_graph=True
        )
        extended._num_workers, extended._num_ps = self._num_workers, self._num_ps
        extended.variable_partitioner = self._variable_partitioner
        return extended

    def __repr__(self):
        return f"ParameterServerStrategy(num_workers={self._num_workers}, num_ps={self._num_ps})"
