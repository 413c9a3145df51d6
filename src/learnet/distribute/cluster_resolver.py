"""``tf.distribute.cluster_resolver`` and ``tf.train.ClusterSpec``: who is in a training cluster.

A cluster is a set of *jobs* ("chief", "worker", "ps", ...), each a list of *tasks*
(processes) known by their network address. A ``ClusterSpec`` holds that map; a cluster
resolver says what the cluster is and which task *this* process is:

* ``TFConfigClusterResolver`` reads the ``TF_CONFIG`` environment variable, the JSON
  object TensorFlow's multi-worker training is started with::

      {"cluster": {"worker": ["host1:2222", "host2:2222"]},
       "task": {"type": "worker", "index": 0}}

  It reads the variable each time it is asked, as TensorFlow's does.
* ``SimpleClusterResolver`` returns the values it was given.

learnet starts its processes with MPI (``MultiWorkerMirroredStrategy``), not from
``TF_CONFIG``, so these classes describe a cluster without connecting to it; code that
inspects ``TF_CONFIG`` (``resolver.task_type``, ``task_id``, ``cluster_spec()``) runs
unchanged.

Examples
--------
>>> import json, os
>>> import learnet as tf
>>> os.environ["TF_CONFIG"] = json.dumps(
...     {"cluster": {"worker": ["127.0.0.1:9901", "127.0.0.1:9902"]}, "task": {"type": "worker", "index": 1}}
... )
>>> resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
>>> resolver.cluster_spec()
ClusterSpec({'worker': ['127.0.0.1:9901', '127.0.0.1:9902']})
>>> resolver.task_type, resolver.task_id, resolver.master()
('worker', 1, '127.0.0.1:9902')
>>> del os.environ["TF_CONFIG"]
"""

import collections
import json
import os

from learnet import backend

__all__ = ["ClusterResolver", "ClusterSpec", "SimpleClusterResolver", "TFConfigClusterResolver"]

_BAD_CLUSTER = (
    "`cluster` must be a dictionary mapping one or more job names to lists of network addresses "
    "(or to dictionaries from task index to address), or a ClusterSpec; got {!r}"
)


def _job_tasks(job, tasks):
    """One job's tasks as ``{index: address}``, checked."""
    if isinstance(tasks, (list, tuple)):
        tasks = dict(enumerate(tasks))
    elif not isinstance(tasks, dict):
        raise TypeError(
            f"The tasks for job {job!r} must be a list of addresses or a dictionary from integers to "
            f"addresses, got {type(tasks).__name__} {tasks!r}"
        )
    checked = {}
    for index, address in tasks.items():
        try:
            index = int(index)
        except (TypeError, ValueError):
            raise TypeError(f"Task index {index!r} in job {job!r} must be an integer") from None
        if not isinstance(address, (str, bytes)):
            raise TypeError(f"Task address {address!r} in job {job!r} must be bytes or unicode")
        checked[index] = address
    return checked


class ClusterSpec:
    """The jobs of a cluster and the addresses of their tasks (``tf.train.ClusterSpec``).

    Parameters
    ----------
    cluster : dict or ClusterSpec
        Job name -> list of addresses (task ``i`` at position ``i``), or job name ->
        ``{task index: address}`` for a job whose tasks are not numbered from 0 without gaps.

    Raises
    ------
    TypeError
        If ``cluster`` is not such a dictionary, a job name or address is not a string,
        or a task index is not an integer.

    Examples
    --------
    >>> import learnet as tf
    >>> spec = tf.distribute.cluster_resolver.ClusterSpec({"worker": ["a:1", "b:2"], "ps": {3: "c:3"}})
    >>> spec.jobs, spec.num_tasks("worker"), spec.task_address("ps", 3)
    (['worker', 'ps'], 2, 'c:3')
    >>> spec.as_dict()
    {'worker': ['a:1', 'b:2'], 'ps': {3: 'c:3'}}
    """

    __hash__ = None  # mutable-looking and compared by value, as TensorFlow's

    def __init__(self, cluster):
        if isinstance(cluster, ClusterSpec):
            cluster = cluster.as_dict()
        if not isinstance(cluster, dict):
            raise TypeError(_BAD_CLUSTER.format(cluster))
        jobs = {}
        for job, tasks in cluster.items():
            if not isinstance(job, (str, bytes)):
                raise TypeError(f"Job name {job!r} must be bytes or unicode")
            jobs[job] = _job_tasks(job, tasks)
        self._jobs = jobs

    @property
    def jobs(self):
        """The job names, in the order they were given."""
        return list(self._jobs)

    def _tasks(self, job_name):
        if job_name not in self._jobs:
            raise ValueError(f"No such job in cluster: {job_name!r}")
        return self._jobs[job_name]

    def num_tasks(self, job_name):
        """How many tasks the job has."""
        return len(self._tasks(job_name))

    def task_indices(self, job_name):
        """The job's task indices, sorted."""
        return sorted(self._tasks(job_name))

    def task_address(self, job_name, task_index):
        """The address of task ``task_index`` of the job."""
        tasks = self._tasks(job_name)
        if task_index not in tasks:
            raise ValueError(f"No task with index {task_index!r} in job {job_name!r}")
        return tasks[task_index]

    def job_tasks(self, job_name):
        """The job's addresses by index, ``None`` where an index has no task."""
        tasks = self._tasks(job_name)
        addresses = [None] * (max(tasks) + 1 if tasks else 0)
        for index, address in tasks.items():
            addresses[index] = address
        return addresses

    def as_dict(self):
        """Job name -> list of addresses, or ``{index: address}`` for a job with gaps in its indices."""
        result = {}
        for job, tasks in self._jobs.items():
            dense = bool(tasks) and sorted(tasks) == list(range(len(tasks)))
            result[job] = [tasks[i] for i in range(len(tasks))] if dense else dict(tasks)
        return result

    def __bool__(self):
        return bool(self._jobs)

    def __eq__(self, other):
        if isinstance(other, dict):
            other = ClusterSpec(other)
        if not isinstance(other, ClusterSpec):
            return NotImplemented
        return self._jobs == other._jobs

    def __repr__(self):
        spec = self.as_dict()
        by_name = {job: spec[job] for job in sorted(spec)}
        return f"ClusterSpec({by_name!r})"


def _format_master(address, rpc_layer):
    return f"{rpc_layer}://{address}" if rpc_layer and address else address


def _local_accelerators():
    """This process's accelerators: learnet computes on one device, a GPU only under CuPy."""
    counts = collections.defaultdict(int)
    if backend.name() == "cupy":  # pragma: no cover - needs a GPU
        counts["GPU"] = 1
    return counts


def _check_task(task_type, task_id):
    if task_type is not None and not isinstance(task_type, str):
        raise TypeError(f"task_type must be a job name (str) or None, got {task_type!r}")
    if task_id is not None and (isinstance(task_id, bool) or not isinstance(task_id, int)):
        raise TypeError(f"task_id must be an integer task index or None, got {task_id!r}")


class ClusterResolver:
    """What every cluster resolver answers (``tf.distribute.cluster_resolver.ClusterResolver``).

    ``cluster_spec()`` and ``master()`` are the subclass's; ``task_type``, ``task_id`` and
    ``rpc_layer`` are plain attributes here.
    """

    task_type = None
    task_id = None
    rpc_layer = None

    def cluster_spec(self):
        """The cluster, as a ``ClusterSpec``."""
        raise NotImplementedError(f"{type(self).__name__} must define cluster_spec()")

    def master(self, task_type=None, task_id=None, rpc_layer=None):
        """The address of a task (this one by default), prefixed with ``rpc_layer://``."""
        raise NotImplementedError(f"{type(self).__name__} must define master()")

    def num_accelerators(self, task_type=None, task_id=None, config_proto=None):
        """Accelerators per kind on this process's machine: ``{}`` on the CPU, ``{'GPU': 1}`` under CuPy."""
        return _local_accelerators()

    @property
    def environment(self):
        """Where the cluster runs (``''``: no special environment)."""
        return ""


class TFConfigClusterResolver(ClusterResolver):
    """The cluster described by the ``TF_CONFIG`` environment variable.

    Parameters
    ----------
    task_type : str, optional
        This task's job; read from ``TF_CONFIG["task"]["type"]`` when not given.
    task_id : int, optional
        This task's index; read from ``TF_CONFIG["task"]["index"]`` when not given.
    rpc_layer : str, optional
        The protocol ``master()`` prefixes (``"grpc"``); read from ``TF_CONFIG["rpc_layer"]``.
    environment : str, optional
        What ``environment`` returns.

    Raises
    ------
    json.JSONDecodeError
        When asked, if ``TF_CONFIG`` is not valid JSON.
    ValueError
        When asked, if ``TF_CONFIG`` is not a JSON object.

    Examples
    --------
    >>> import json, os
    >>> import learnet as tf
    >>> cluster = {"chief": ["c:1"], "worker": ["w:1"]}
    >>> os.environ["TF_CONFIG"] = json.dumps({"cluster": cluster, "task": {"type": "chief", "index": 0}})
    >>> resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver(rpc_layer="grpc")
    >>> resolver.cluster_spec().as_dict(), resolver.master()
    ({'chief': ['c:1'], 'worker': ['w:1']}, 'grpc://c:1')
    >>> del os.environ["TF_CONFIG"]
    """

    def __init__(self, task_type=None, task_id=None, rpc_layer=None, environment=None):
        _check_task(task_type, task_id)
        self._task_type = task_type
        self._task_id = task_id
        self._rpc_layer = rpc_layer
        self._environment = environment

    @staticmethod
    def _config():
        text = os.environ.get("TF_CONFIG", "")
        if not text.strip():
            return {}
        try:
            config = json.loads(text)
        except json.JSONDecodeError as err:
            raise json.JSONDecodeError(
                f"the TF_CONFIG environment variable is not valid JSON ({err.msg})", err.doc, err.pos
            ) from None
        if not isinstance(config, dict):
            raise ValueError(
                'TF_CONFIG must be a JSON object such as {"cluster": {"worker": ["host:port"]}, '
                f'"task": {{"type": "worker", "index": 0}}}}, got {type(config).__name__} {config!r}'
            )
        return config

    def cluster_spec(self):
        """The cluster of ``TF_CONFIG["cluster"]`` (an empty ``ClusterSpec`` without one)."""
        return ClusterSpec(self._config().get("cluster", {}))

    @property
    def task_type(self):
        """This task's job, as given or from ``TF_CONFIG["task"]["type"]`` (``None`` if neither)."""
        if self._task_type is not None:
            return self._task_type
        task_type = self._config().get("task", {}).get("type")
        return None if task_type is None else str(task_type)

    @task_type.setter
    def task_type(self, task_type):
        _check_task(task_type, None)
        self._task_type = task_type

    @property
    def task_id(self):
        """This task's index, as given or from ``TF_CONFIG["task"]["index"]`` (``None`` if neither)."""
        if self._task_id is not None:
            return self._task_id
        task_id = self._config().get("task", {}).get("index")
        return None if task_id is None else int(task_id)

    @task_id.setter
    def task_id(self, task_id):
        _check_task(None, task_id)
        self._task_id = task_id

    @property
    def rpc_layer(self):
        """The protocol of ``master()``, as given or from ``TF_CONFIG["rpc_layer"]``."""
        if self._rpc_layer is not None:
            return self._rpc_layer
        return self._config().get("rpc_layer")

    @rpc_layer.setter
    def rpc_layer(self, rpc_layer):
        self._rpc_layer = rpc_layer

    @property
    def environment(self):
        """The ``environment`` given (``None`` by default; TensorFlow does not read it from ``TF_CONFIG``)."""
        return self._environment

    def master(self, task_type=None, task_id=None, rpc_layer=None):
        """The address of a task (this one by default), prefixed with ``rpc_layer://``.

        ``''`` when the cluster has at most one task (which then runs alone, with nothing
        to connect to), as in TensorFlow.

        Raises
        ------
        ValueError
            If the cluster has several tasks but not the one named, or no task is named.
        """
        task_type = self.task_type if task_type is None else task_type
        task_id = self.task_id if task_id is None else task_id
        spec = self.cluster_spec()
        if sum(spec.num_tasks(job) for job in spec.jobs) <= 1:
            return ""
        if task_type is None or task_id is None:
            raise ValueError(
                "master(): which task? Give task_type and task_id, or a TF_CONFIG with "
                f'"task": {{"type": ..., "index": ...}} (got task_type={task_type!r}, task_id={task_id!r})'
            )
        return _format_master(spec.task_address(task_type, task_id), rpc_layer or self.rpc_layer)


class SimpleClusterResolver(ClusterResolver):
    """A cluster resolver that returns what it was given.

    Parameters
    ----------
    cluster_spec : ClusterSpec
    master : str, optional
        What ``master()`` returns (prefixed with ``rpc_layer://``).
    task_type, task_id : optional
        This task's job and index.
    environment : str, optional
    num_accelerators : dict, optional
        Accelerator kind -> count (``{}`` by default).
    rpc_layer : str, optional

    Examples
    --------
    >>> import learnet as tf
    >>> spec = tf.distribute.cluster_resolver.ClusterSpec({"worker": ["a:1", "b:2"]})
    >>> resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(spec, task_type="worker", task_id=1)
    >>> resolver.master("worker", 1), resolver.cluster_spec() == spec
    ('b:2', True)
    """

    def __init__(
        self,
        cluster_spec,
        master="",
        task_type=None,
        task_id=None,
        environment="",
        num_accelerators=None,
        rpc_layer=None,
    ):
        if not isinstance(cluster_spec, ClusterSpec):
            raise TypeError(f"cluster_spec must be a `tf.train.ClusterSpec`, got {type(cluster_spec).__name__}")
        if not isinstance(master, str):
            raise TypeError(f"master must be an address (str), got {master!r}")
        if num_accelerators is not None and not isinstance(num_accelerators, dict):
            raise TypeError(f"num_accelerators must be a dict such as {{'GPU': 2}}, got {num_accelerators!r}")
        _check_task(task_type, task_id)
        self._cluster_spec = cluster_spec
        self._master = master
        self.task_type = task_type
        self.task_id = task_id
        self._environment = environment
        self._num_accelerators = dict(num_accelerators or {})
        self.rpc_layer = rpc_layer

    def cluster_spec(self):
        """The ``ClusterSpec`` given."""
        return self._cluster_spec

    def master(self, task_type=None, task_id=None, rpc_layer=None):
        """The named task's address, or else the ``master`` given, prefixed with ``rpc_layer://``."""
        if task_type is not None and task_id is not None:
            return _format_master(self._cluster_spec.task_address(task_type, task_id), rpc_layer)
        return _format_master(self._master, rpc_layer or self.rpc_layer)

    def num_accelerators(self, task_type=None, task_id=None, config_proto=None):
        """The ``num_accelerators`` given (``{}`` by default)."""
        return dict(self._num_accelerators)

    @property
    def environment(self):
        """The ``environment`` given."""
        return self._environment
