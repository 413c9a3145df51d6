"""The strategy protocol: how training is spread over replicas, and the one-process default.

A ``Strategy`` answers four questions for ``fit`` and for a hand-written loop:

* which part of a global batch this process trains on (``_local_part``);
* how the gradients of all processes become one update (``all_reduce_gradients``);
* how metric states are summed over processes (``_reduced_results``);
* who writes files and draws progress bars (``is_chief``).

``Strategy`` itself is the default: one process, one replica, every answer trivial.
``MultiWorkerMirroredStrategy`` (in ``mpi.py``) gives the same answers over MPI. Both
are written with the same four collectives (``_allreduce_sum``, ``_broadcast``,
``_allgather``, ``barrier``), so reading this file tells what the MPI one does.
"""

import contextlib
import enum
import hashlib
import warnings

import numpy

from learnet import backend, tree
from learnet.distribute import distributed_input
from learnet.tensor import Tensor, Variable, convert_to_tensor, to_array


class ReduceOp(enum.Enum):
    """How ``Strategy.reduce`` combines the replicas' values (``tf.distribute.ReduceOp``)."""

    SUM = "SUM"
    MEAN = "MEAN"


_scopes = []  # the strategies entered with ``with strategy.scope():``, innermost last
_replicas = []  # the replica contexts of the ``strategy.run`` calls running now, innermost last
_global = [None]  # the strategy of ``experimental_set_strategy``, if any


def get_strategy():
    """The strategy of the innermost ``strategy.scope()``, else the one-process default.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.distribute.get_strategy().num_replicas_in_sync
    1
    """
    if _scopes:
        return _scopes[-1]
    return _global[0] if _global[0] is not None else _DEFAULT


def has_strategy():
    """Whether code runs inside a ``strategy.scope()`` (or under ``experimental_set_strategy``)."""
    return bool(_scopes) or _global[0] is not None


def experimental_set_strategy(strategy):
    """Make ``strategy`` the one in force everywhere, as if inside its ``scope()``; ``None`` undoes it.

    Raises
    ------
    RuntimeError
        If called inside a ``strategy.scope()``, as in TensorFlow.
    TypeError
        If ``strategy`` is not a ``tf.distribute.Strategy`` or ``None``.

    Examples
    --------
    >>> import learnet as tf
    >>> strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    >>> tf.distribute.experimental_set_strategy(strategy)
    >>> tf.distribute.get_strategy() is strategy, tf.distribute.has_strategy()
    (True, True)
    >>> tf.distribute.experimental_set_strategy(None)
    >>> tf.distribute.has_strategy()
    False
    """
    if _scopes:
        raise RuntimeError("Must not be called inside a `tf.distribute.Strategy` scope.")
    if strategy is not None and not isinstance(strategy, Strategy):
        raise TypeError(f"experimental_set_strategy takes a tf.distribute.Strategy or None, got {strategy!r}")
    _global[0] = strategy


def in_cross_replica_context():
    """Whether code runs inside a ``strategy.scope()`` but outside ``strategy.run`` (TensorFlow's rule).

    Outside any scope, code is in the default replica context (False); inside
    ``strategy.run`` it is in a replica (False).

    Examples
    --------
    >>> import learnet as tf
    >>> strategy = tf.distribute.MirroredStrategy()
    Using MirroredStrategy with devices ('/job:localhost/replica:0/task:0/device:CPU:0',)
    >>> with strategy.scope():
    ...     tf.distribute.in_cross_replica_context(), strategy.run(tf.distribute.in_cross_replica_context)
    (True, False)
    >>> tf.distribute.in_cross_replica_context()
    False
    """
    return has_strategy() and (not _replicas or _replicas[-1].strategy is not get_strategy())


def get_replica_context():
    """The context of the replica running now (``tf.distribute.get_replica_context``).

    * inside ``strategy.run``: that replica's ``ReplicaContext`` (its ``replica_id_in_sync_group``
      an int32 scalar tensor, as in TensorFlow);
    * inside ``strategy.scope()`` outside ``run``: ``None`` (the cross-replica context);
    * outside any strategy: the default replica context (replica 0 of 1).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.distribute.get_replica_context().replica_id_in_sync_group
    0
    >>> strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    >>> with strategy.scope():
    ...     print(tf.distribute.get_replica_context())
    None
    >>> strategy.run(lambda: tf.distribute.get_replica_context().replica_id_in_sync_group)
    <learnet.Tensor: shape=[], dtype=int32, numpy=0>
    """
    if in_cross_replica_context():
        return None
    if _replicas:
        return _replicas[-1]
    return ReplicaContext(_DEFAULT, replica_id_in_sync_group=0)


def _deprecated(old, new):
    from learnet import warn

    warn.deprecated(f"Strategy.{old} is deprecated (TensorFlow 1's API); use Strategy.{new} instead")


class _DatasetIterator:
    """What ``make_dataset_iterator`` gives: the distributed batches, read with ``get_next()``."""

    def __init__(self, iterator):
        self._iterator = iterator

    def initialize(self):
        """Nothing to initialize when running eagerly: an empty list of initializer ops, as TensorFlow's."""
        return []

    def get_next(self):
        """The next distributed batch; ``tf.errors.OutOfRangeError`` at the end, as TensorFlow's."""
        from learnet import errors

        try:
            return next(self._iterator)
        except StopIteration:
            raise errors.OutOfRangeError(None, None, "End of sequence") from None

    def __iter__(self):
        return self._iterator

    def __next__(self):
        return next(self._iterator)


class ReplicaContext:
    """Inside ``strategy.run``: which replica this is and how to combine values across replicas.

    Parameters
    ----------
    strategy : tf.distribute.Strategy
    replica_id_in_sync_group : int or int32 tensor
        This replica's index among the ``num_replicas_in_sync`` replicas.

    Examples
    --------
    >>> import learnet as tf
    >>> strategy = tf.distribute.MirroredStrategy()
    Using MirroredStrategy with devices ('/job:localhost/replica:0/task:0/device:CPU:0',)
    >>> float(strategy.run(lambda: tf.distribute.get_replica_context().all_reduce("SUM", 3.0)))
    3.0
    """

    def __init__(self, strategy, replica_id_in_sync_group=None):
        self._strategy = strategy
        if replica_id_in_sync_group is None:
            replica_id_in_sync_group = convert_to_tensor(numpy.int32(getattr(strategy, "rank", 0)))
        self._replica_id = replica_id_in_sync_group

    @property
    def strategy(self):
        """The strategy this replica belongs to."""
        return self._strategy

    @property
    def num_replicas_in_sync(self):
        """How many replicas train together."""
        return self._strategy.num_replicas_in_sync

    @property
    def replica_id_in_sync_group(self):
        """This replica's index (an int32 scalar tensor inside ``strategy.run``)."""
        return self._replica_id

    @property
    def devices(self):
        """The devices this replica computes on."""
        return tuple(self._strategy.extended.worker_devices)

    def all_reduce(self, reduce_op, value, options=None):
        """``value`` (a nested structure of tensors) combined over the replicas (SUM or MEAN).

        ``options`` (``tf.distribute.experimental.CommunicationOptions``) is checked and kept.
        """
        from learnet.distribute.collective_util import check_options

        check_options(options, "ReplicaContext.all_reduce: options")
        return tree.map_structure(lambda v: self._strategy._reduce_one(reduce_op, v, None), value)

    def all_gather(self, value, axis, options=None):
        """The replicas' ``value`` concatenated along ``axis`` (with one process: ``value``)."""
        from learnet.distribute.collective_util import check_options

        check_options(options, "ReplicaContext.all_gather: options")
        return tree.map_structure(lambda v: self._strategy.gather(v, axis), value)

    def merge_call(self, merge_fn, args=(), kwargs=None):
        """Run ``merge_fn(strategy, *args, **kwargs)`` in the cross-replica context and return its result."""
        _replicas.append(_CROSS_REPLICA)
        try:
            with self._strategy.scope():
                return merge_fn(self._strategy, *args, **(kwargs or {}))
        finally:
            _replicas.pop()

    def __repr__(self):
        return f"<ReplicaContext of {type(self._strategy).__name__}, replica {int(to_array(self._replica_id))}>"


class Strategy:
    """One process, one replica: the strategy in force outside any ``scope()``.

    It is also the base of the real strategies, which override the four collectives.
    """

    num_replicas_in_sync = 1
    rank = 0

    def __init__(self):
        self._gradient_scale = 1.0  # fit sets n_local / n_global for the step it runs
        self._buffers = {}

    # --- who is who ----------------------------------------------------------------------------
    @property
    def is_chief(self):
        """Whether this process writes files and shows progress (rank 0)."""
        return self.rank == 0

    @property
    def cluster_resolver(self):
        """The cluster this strategy trains on: ``None`` for a one-process strategy, as in TensorFlow."""
        return None

    @property
    def extended(self):
        """What fewer users need (``tf.distribute.StrategyExtended``): devices, reductions, flags."""
        from learnet.distribute.extended import StrategyExtended

        return StrategyExtended(self)

    @property
    def distributed(self):
        """Whether more than one process trains together."""
        return self.num_replicas_in_sync > 1

    @contextlib.contextmanager
    def scope(self):
        """Models, optimizers and metrics made inside belong to this strategy.

        Examples
        --------
        >>> import learnet as tf
        >>> strategy = tf.distribute.get_strategy()
        >>> with strategy.scope():
        ...     tf.distribute.get_strategy() is strategy
        True
        """
        _scopes.append(self)
        try:
            yield self
        finally:
            _scopes.remove(self)

    # --- the four collectives (one process: nothing to talk to) ------------------------------
    def _allreduce_sum(self, buffer):
        """Sum ``buffer`` (a contiguous NumPy array) over all processes, in place."""
        return buffer

    def _broadcast(self, buffer, root=0):
        """Overwrite ``buffer`` with the root's, in place."""
        return buffer

    def _allgather(self, value):
        """A list of every process's ``value`` (a small Python object), in rank order."""
        return [value]

    def barrier(self):
        """Wait until every process gets here."""

    # --- a hand-written loop ------------------------------------------------------------------
    def run(self, fn, args=(), kwargs=None, options=None):
        """Run ``fn(*args, **kwargs)`` on this process's replica and return what it returns.

        ``PerReplica`` values among the arguments (from
        ``experimental_distribute_values_from_function``) are given as this replica's component.
        Inside, ``tf.distribute.get_replica_context()`` is this replica's context and
        ``get_strategy()`` this strategy. ``options`` (``tf.distribute.RunOptions``) is accepted.

        Examples
        --------
        >>> import learnet as tf
        >>> s = tf.distribute.get_strategy()
        >>> values = s.experimental_distribute_values_from_function(lambda ctx: ctx.replica_id_in_sync_group)
        >>> s.run(lambda x: x + 1, args=(values,))
        1
        """
        args = tuple(distributed_input.local_value(arg) for arg in args)
        kwargs = {key: distributed_input.local_value(value) for key, value in (kwargs or {}).items()}
        _replicas.append(ReplicaContext(self))
        try:
            with self.scope():
                return fn(*args, **kwargs)
        finally:
            _replicas.pop()

    def experimental_local_results(self, value):
        """The values of this process's replicas: a tuple of one (``PerReplica`` values unwrapped).

        Examples
        --------
        >>> import learnet as tf
        >>> [float(v) for v in tf.distribute.get_strategy().experimental_local_results(tf.constant(2.0))]
        [2.0]
        """
        return (distributed_input.local_value(value),)

    def experimental_distribute_values_from_function(self, value_fn):
        """``value_fn(ctx)`` for this process's replica, as ``PerReplica`` values for ``run``.

        ``ctx`` is a ``tf.distribute.experimental.ValueContext`` (``replica_id_in_sync_group``,
        ``num_replicas_in_sync``). Each leaf of what ``value_fn`` returns becomes one ``PerReplica``.

        Examples
        --------
        >>> import learnet as tf
        >>> s = tf.distribute.get_strategy()
        >>> s.experimental_distribute_values_from_function(lambda ctx: ctx.replica_id_in_sync_group)
        PerReplica:{
          0: 0
        }
        """
        return distributed_input.distribute_values(self, value_fn)

    def reduce(self, reduce_op, value, axis=None):
        """Combine a value that each replica computed into one, the same on every process.

        Parameters
        ----------
        reduce_op : ReduceOp or {"SUM", "MEAN"}
        value : tensor-like
            This replica's value.
        axis : int, optional
            Also reduce along this axis of ``value``; ``MEAN`` then averages over the
            elements of all replicas (the global batch), not over replicas.

        Examples
        --------
        >>> import learnet as tf
        >>> s = tf.distribute.get_strategy()
        >>> float(s.reduce("MEAN", tf.constant([1.0, 2.0, 6.0]), axis=0))
        3.0
        """
        return self._reduce_one(reduce_op, value, axis)

    def _reduce_one(self, reduce_op, value, axis):
        """``reduce`` of one value (the replica contexts and ``extended.reduce_to`` use it too)."""
        op = ReduceOp(reduce_op.value if isinstance(reduce_op, ReduceOp) else str(reduce_op).upper())
        value = distributed_input.local_value(value)
        array = numpy.asarray(backend.to_numpy(to_array(value)), dtype=numpy.float64)
        if axis is None:
            total, count = array, numpy.float64(self.num_replicas_in_sync)
            buffer = numpy.ascontiguousarray(total, dtype=numpy.float64).copy()
        else:
            count = numpy.float64(array.shape[axis])
            buffer = numpy.concatenate([numpy.sum(array, axis=axis).ravel(), [count]])
        self._allreduce_sum(buffer)
        if axis is not None:
            count = buffer[-1]
            result = buffer[:-1].reshape(numpy.sum(array, axis=axis).shape)
        else:
            result = buffer.reshape(array.shape)
        if op is ReduceOp.MEAN:
            result = result / count
        dtype = numpy.asarray(to_array(value)).dtype
        dtype = dtype if numpy.issubdtype(dtype, numpy.floating) else backend.floatx()
        return convert_to_tensor(numpy.asarray(result, dtype=dtype))

    def gather(self, value, axis):
        """Every replica's ``value`` concatenated along ``axis``, the same on every process.

        Examples
        --------
        >>> import learnet as tf
        >>> tf.distribute.get_strategy().gather(tf.constant([1.0, 2.0]), axis=0).numpy().tolist()
        [1.0, 2.0]
        """
        value = distributed_input.local_value(value)
        if not self.distributed:
            return value
        parts = self._allgather(numpy.asarray(backend.to_numpy(to_array(value))))
        return convert_to_tensor(numpy.concatenate(parts, axis=axis))

    def experimental_distribute_dataset(self, dataset, options=None):
        """Each global batch of ``dataset``, cut so that this process gets its share.

        Every process iterates the same dataset (same order: the random generator is kept
        the same on every process) and keeps rows ``[start, stop)`` of each batch; with one
        process that is the whole batch.

        Parameters
        ----------
        dataset : tf.data.Dataset
            Global batches.
        options : tf.distribute.InputOptions, optional
            Accepted and kept; ``PER_REPLICA`` replication is refused, as TensorFlow refuses it.

        Returns
        -------
        DistributedDataset
            With ``element_spec``, ``cardinality``, ``reduce`` and ``iter`` (a ``DistributedIterator``).

        Examples
        --------
        >>> import learnet as tf
        >>> dist = tf.distribute.get_strategy().experimental_distribute_dataset(tf.data.Dataset.range(3).batch(2))
        >>> [batch.numpy().tolist() for batch in dist]
        [[0, 1], [2]]
        """
        return distributed_input.distribute_dataset(self, dataset, options)

    def distribute_datasets_from_function(self, dataset_fn, options=None):
        """The dataset ``dataset_fn(input_context)`` builds, read as it is by this process.

        ``dataset_fn`` is called once, now, with a ``tf.distribute.InputContext`` telling this
        process's input pipeline (``input_pipeline_id`` of ``num_input_pipelines``, for
        ``shard``) and ``get_per_replica_batch_size``: it makes one replica's batches, which
        are not split again.

        Examples
        --------
        >>> import learnet as tf
        >>> def dataset_fn(ctx):
        ...     return tf.data.Dataset.range(4).batch(ctx.get_per_replica_batch_size(2))
        >>> [b.numpy().tolist() for b in tf.distribute.get_strategy().distribute_datasets_from_function(dataset_fn)]
        [[0, 1], [2, 3]]
        """
        return distributed_input.distribute_datasets_from_function(self, dataset_fn, options)

    def experimental_distribute_datasets_from_function(self, dataset_fn, options=None):
        """The former name of ``distribute_datasets_from_function``."""
        return self.distribute_datasets_from_function(dataset_fn, options)

    def make_dataset_iterator(self, dataset):
        """TensorFlow 1's way (deprecated): an iterator over ``experimental_distribute_dataset(dataset)``
        with ``initialize()`` and ``get_next()``, for ``experimental_run``.

        Examples
        --------
        >>> import learnet as tf, warnings
        >>> s = tf.distribute.get_strategy()
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     it = s.make_dataset_iterator(tf.data.Dataset.range(4).batch(2))
        ...     _ = it.initialize()
        ...     s.experimental_run(lambda x: x * 10, it).numpy().tolist()
        [0, 10]
        """
        _deprecated("make_dataset_iterator", "experimental_distribute_dataset")
        return _DatasetIterator(iter(self.experimental_distribute_dataset(dataset)))

    def experimental_run(self, fn, input_iterator=None):
        """TensorFlow 1's way (deprecated): ``run(fn, args=(input_iterator.get_next(),))``, or
        ``run(fn)`` without an iterator."""
        _deprecated("experimental_run", "run")
        args = () if input_iterator is None else (input_iterator.get_next(),)
        return self.run(fn, args=args)

    def all_reduce_gradients(self, grads):
        """The sum over processes of each gradient, as a new list (``None`` stays ``None``).

        Optimizers made inside ``scope()`` call this themselves in ``apply_gradients``;
        a loop that updates weights by hand calls it between ``tape.gradient`` and the update.
        """
        return self._reduce_gradients(grads, copy=True)

    def broadcast_variables(self, variables, root=0):
        """Give every process the root's values of ``variables`` (one flat message)."""
        variables = [v for v in variables if v is not None]
        if not self.distributed or not variables:
            return
        buffer = numpy.concatenate(
            [numpy.asarray(backend.to_numpy(v._value), dtype=numpy.float64).ravel() for v in variables]
        )
        self._broadcast(buffer, root)
        offset = 0
        for variable in variables:
            size = int(numpy.prod(variable.shape))
            value = buffer[offset : offset + size].reshape(variable.shape).astype(variable.dtype)
            variable.assign(backend.xp.asarray(value))
            offset += size

    # --- what fit and the optimizers call -----------------------------------------------------
    def _reduce_gradients(self, grads, copy=False):
        """One in-place Allreduce over one flat buffer holding ``scale * g`` for every gradient."""
        if not self.distributed:
            return list(grads)
        grads = list(grads)
        present = [(i, to_array(g)) for i, g in enumerate(grads) if g is not None]
        dtype = numpy.result_type(*[a.dtype for _, a in present]) if present else numpy.float32
        total = sum(int(a.size) for _, a in present)
        key = (total, numpy.dtype(dtype).str)
        buffer = self._buffers.get(key)
        if buffer is None:
            buffer = self._buffers[key] = numpy.empty(total, dtype=dtype)
        offset = 0
        for _, array in present:
            view = buffer[offset : offset + array.size]
            numpy.multiply(backend.to_numpy(array).ravel(), self._gradient_scale, out=view, casting="unsafe")
            offset += array.size
        self._allreduce_sum(buffer)
        reduced, offset = list(grads), 0
        for index, array in present:
            view = buffer[offset : offset + array.size].reshape(array.shape)
            value = backend.xp.asarray(view.astype(array.dtype, copy=copy or view.dtype != array.dtype))
            reduced[index] = Tensor(value) if isinstance(grads[index], Tensor) else value
            offset += array.size
        return reduced

    def _reduced_results(self, metrics):
        """``{name: result}`` of ``metrics`` computed on the state summed over all processes."""
        if not self.distributed:
            return {metric.name: metric.result() for metric in metrics}
        states = [metric._get_state_arrays() for metric in metrics]
        flat = [numpy.asarray(a, dtype=numpy.float64).ravel() for state in states for a in state]
        buffer = numpy.concatenate(flat) if flat else numpy.zeros(0)
        self._allreduce_sum(buffer)
        results, offset = {}, 0
        for metric, state in zip(metrics, states):
            summed = []
            for array in state:
                size = int(numpy.asarray(array).size)
                summed.append(buffer[offset : offset + size].reshape(numpy.shape(array)))
                offset += size
            metric._set_state_arrays(summed)
            try:
                results[metric.name] = metric.result()
            finally:
                metric._set_state_arrays(state)  # each process keeps only its own counts
        return results

    def _local_bounds(self, batch_size):
        """Rows ``[start, stop)`` of a global batch of ``batch_size`` that this process trains on."""
        size, rank = self.num_replicas_in_sync, self.rank
        base, extra = divmod(batch_size, size)
        start = rank * base + min(rank, extra)
        return start, start + base + (1 if rank < extra else 0)

    def _local_part(self, batch):
        """This process's rows of a global batch (a nested structure of arrays), or None.

        None means the batch has fewer rows than processes: every process skips it.
        Sets the gradient scale to ``local rows / global rows``, so summing the scaled
        gradients gives the gradient of the global batch's mean loss.
        """
        if not self.distributed:
            return batch
        global_rows = _rows(batch)
        if global_rows < self.num_replicas_in_sync:
            if not getattr(self, "_warned_small_batch", False):
                self._warned_small_batch = True
                warnings.warn(
                    f"a batch of {global_rows} samples is smaller than the {self.num_replicas_in_sync} "
                    "processes training together; such batches are skipped on every process",
                    UserWarning,
                    stacklevel=3,
                )
            return None
        start, stop = self._local_bounds(global_rows)
        self._gradient_scale = (stop - start) / global_rows
        return _take_rows(batch, start, stop)

    def _local_batches(self, epoch):
        """This process's part of each global batch that ``epoch()`` yields (all of it with one process).

        Every process first takes rank 0's random generator state, so ``epoch()`` shuffles
        the same way everywhere and the parts tile each global batch.
        """
        if not self.distributed:
            yield from epoch()
            return
        self._sync_random_state()
        for batch in epoch():
            part = self._local_part(batch)
            if part is not None:
                yield part

    def _sync_random_state(self):
        """Give every process rank 0's random generator state (same shuffles everywhere)."""
        if not self.distributed:
            return
        generator = backend.host_rng().bit_generator  # the one that shuffles batches
        generator.state = self._allgather(generator.state)[0]

    def _check_same_launch(self, **facts):
        """Raise a clear error on every process when the processes disagree on ``facts``."""
        if not self.distributed:
            return
        gathered = self._allgather({key: _short(value) for key, value in facts.items()})
        for key in facts:
            values = [g[key] for g in gathered]
            differing = [rank for rank, value in enumerate(values) if value != values[0]]
            if differing:
                shown = "; ".join(f"rank {rank}: {values[rank]}" for rank in [0] + differing[:3])
                raise ValueError(
                    f"{type(self).__name__}: the processes disagree on {key} ({shown}); every process "
                    "must run the same script with the same model, data and arguments"
                )


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """The per-example losses summed and divided by the global batch size (``tf.nn``'s).

    Inside a ``MultiWorkerMirroredStrategy`` each process sees only its part of the
    global batch; dividing by the global size makes the summed gradients those of the
    mean over the whole batch.

    Examples
    --------
    >>> import learnet as tf
    >>> float(tf.nn.compute_average_loss(tf.constant([1.0, 2.0, 3.0, 6.0])))
    3.0
    """
    losses = convert_to_tensor(per_example_loss)
    if sample_weight is not None:
        losses = losses * convert_to_tensor(sample_weight, dtype=losses.dtype)
    if global_batch_size is None:
        rows = losses.shape[0] if losses.ndim else 1
        global_batch_size = rows * get_strategy().num_replicas_in_sync
    from learnet.ops.reduce import reduce_sum

    return reduce_sum(losses) / float(global_batch_size)


def scale_regularization_loss(regularization_loss):
    """A regularization loss divided by the number of replicas (``tf.nn``'s), so that summing
    the replicas' gradients counts it once.

    Examples
    --------
    >>> import learnet as tf
    >>> float(tf.nn.scale_regularization_loss(tf.constant(0.5)))
    0.5
    """
    from learnet.ops.reduce import reduce_sum

    if isinstance(regularization_loss, (list, tuple)):  # several losses: their sum
        total = sum(convert_to_tensor(loss) for loss in regularization_loss)
    else:
        total = reduce_sum(convert_to_tensor(regularization_loss))
    return total / float(get_strategy().num_replicas_in_sync)


def _rows(batch):
    """The number of rows of a batch: the first axis of its first array."""
    for array in tree.flatten(batch):
        if array is not None:
            return int(numpy.shape(array)[0])
    return 0


def _take_rows(structure, start, stop):
    """Rows ``[start, stop)`` of every array in a nested batch."""

    def take(value):
        if value is None:
            return None
        if isinstance(value, (Tensor, Variable)):
            return Tensor(value._value[start:stop])
        return value[start:stop]

    return tree.map_structure(take, structure)


def _short(value):
    """A printable form of ``value``; long ones end in a digest, so they still compare exactly."""
    text = repr(value)
    if len(text) <= 80:
        return text
    return f"{text[:60]}... (sha256 {hashlib.sha256(text.encode()).hexdigest()[:12]})"


_DEFAULT = Strategy()
_CROSS_REPLICA = ReplicaContext(_DEFAULT, replica_id_in_sync_group=0)  # marks merge_call's cross-replica part
