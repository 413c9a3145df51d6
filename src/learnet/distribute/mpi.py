"""``MultiWorkerMirroredStrategy``: data-parallel training over MPI (through ``mpi4py``).

Every process runs the same script, started by MPI's launcher::

    mpirun -n 4 python train.py          # or: learnet train --workers 4

Each step, every process trains on its slice of the global batch, the gradients are
summed over processes in one in-place ``Allreduce`` of one flat buffer, and every
process applies the same update, so the weights stay identical everywhere. This is
how Horovod and ChainerMN work; MPI does the talking.
"""

import os
import sys
import traceback

from learnet.distribute.strategy import Strategy

MPI_EXTRA_MESSAGE = (
    "MultiWorkerMirroredStrategy needs mpi4py and an MPI library: pip install 'learnet[mpi]' "
    "(it brings mpi4py and Open MPI)"
)


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(MPI_EXTRA_MESSAGE) from error
    return MPI


class MultiWorkerMirroredStrategy(Strategy):
    """Synchronous data-parallel training over the processes of an MPI job.

    Parameters
    ----------
    communicator : mpi4py communicator, optional
        ``MPI.COMM_WORLD`` by default.
    communication_options : tf.distribute.experimental.CommunicationOptions, optional
        Checked and kept (``strategy.extended.communication_options``); MPI chooses its own
        collective algorithm, so they change no result.
    cluster_resolver : ClusterResolver, optional
        Returned by ``strategy.cluster_resolver``. By default: a ``TFConfigClusterResolver``
        when ``TF_CONFIG`` describes a cluster (or when this process runs alone, as in
        TensorFlow), else the MPI world as one ``"worker"`` job whose tasks are the ranks
        (their addresses the ranks' host names: MPI connects them, not ports).

    Notes
    -----
    Creating the strategy, on every process:

    * gives every process rank 0's random generator state, so weights start equal and
      every process shuffles the data in the same order;
    * installs an exception hook: a process that dies of an uncaught exception prints it
      and aborts the whole job (``MPI.Abort``), so the others never wait forever.

    Under ``with strategy.scope():`` models and optimizers belong to the strategy; then
    ``fit``, ``evaluate`` and ``apply_gradients`` work across processes unchanged:
    rank 0's weights are broadcast when training starts, each global batch is split,
    gradients and metric states are summed, validation is split, and only rank 0 draws
    the progress bar and writes files.

    Examples
    --------
    Run with ``mpirun -n 2 python train.py``::

        import learnet as tf

        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        with strategy.scope():
            model = tf.keras.Sequential([tf.keras.layers.Dense(10)])
            model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x_train, y_train, batch_size=256, epochs=2)  # 256 across all processes
    """

    def __init__(self, communicator=None, communication_options=None, cluster_resolver=None):
        from learnet.distribute.cluster_resolver import ClusterResolver
        from learnet.distribute.collective_util import CommunicationOptions, check_options

        check_options(communication_options, "communication_options")
        if cluster_resolver is not None and not isinstance(cluster_resolver, ClusterResolver):
            raise TypeError(f"cluster_resolver must be a ClusterResolver, got {type(cluster_resolver).__name__}")
        super().__init__()
        self._communication_options = communication_options or CommunicationOptions()
        self._cluster_resolver = cluster_resolver
        MPI = _mpi()
        self._MPI = MPI
        self._comm = communicator if communicator is not None else MPI.COMM_WORLD
        self.rank = self._comm.Get_rank()
        self.num_replicas_in_sync = self._comm.Get_size()
        if self.distributed:
            _install_abort_hook(self._comm, self.rank, self.num_replicas_in_sync)
            self._sync_random_state()
            self._hosts = self._allgather(MPI.Get_processor_name())  # now, while every process is here

    @property
    def cluster_resolver(self):
        """The cluster: from ``TF_CONFIG`` when it names one, else the MPI world's ``"worker"`` job."""
        from learnet.distribute import cluster_resolver as resolvers

        if self._cluster_resolver is None:
            from_config = resolvers.TFConfigClusterResolver()
            if from_config.cluster_spec() or not self.distributed:
                self._cluster_resolver = from_config
            else:
                spec = resolvers.ClusterSpec({"worker": list(self._hosts)})
                self._cluster_resolver = resolvers.SimpleClusterResolver(spec, task_type="worker", task_id=self.rank)
        return self._cluster_resolver

    @property
    def extended(self):
        """This worker's device (``/job:worker/.../task:<id>`` in a cluster), reductions, flags."""
        from learnet.distribute.extended import StrategyExtended, _local_device

        resolver = self.cluster_resolver
        device = _local_device()
        if resolver.task_type is not None and resolver.task_id is not None:
            device = device.replace("/job:localhost/", f"/job:{resolver.task_type}/").replace(
                "/task:0/", f"/task:{resolver.task_id}/"
            )
        extended = StrategyExtended(self, (device,), between_graph=True)
        extended.communication_options = self._communication_options
        return extended

    def _allreduce_sum(self, buffer):
        if self.distributed:
            self._comm.Allreduce(self._MPI.IN_PLACE, buffer, op=self._MPI.SUM)
        return buffer

    def _broadcast(self, buffer, root=0):
        if self.distributed:
            self._comm.Bcast(buffer, root=root)
        return buffer

    def _allgather(self, value):
        return self._comm.allgather(value) if self.distributed else [value]

    def barrier(self):
        if self.distributed:
            self._comm.Barrier()

    def __repr__(self):
        return f"MultiWorkerMirroredStrategy(rank={self.rank}, num_replicas_in_sync={self.num_replicas_in_sync})"


_hooked = []


def _install_abort_hook(comm, rank, size):
    """Make an uncaught exception on any process end the whole job, with its traceback shown."""
    if _hooked:
        return
    previous = sys.excepthook

    def abort_all(kind, value, trace):
        message = "".join(traceback.format_exception(kind, value, trace))
        sys.stderr.write(f"learnet.distribute: rank {rank} of {size} raised; stopping every process\n{message}")
        sys.stderr.flush()
        if kind is KeyboardInterrupt:
            previous(kind, value, trace)
        comm.Abort(1)

    sys.excepthook = abort_all
    _hooked.append(abort_all)


def launched_by_mpi():
    """Whether this process was started by an MPI launcher with more than one process."""
    for name in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"):
        value = os.environ.get(name)
        if value and value.isdigit() and int(value) > 1:
            return True
    return False


def mpiexec_command(workers, argv, threads=None):
    """The command that starts ``argv`` on ``workers`` processes of this machine, and its env.

    Open MPI refuses to start as root unless told that is meant; the learnet command
    says so for the user, since a classroom container often runs as root.
    """
    import shutil

    launcher = None
    for name in ("mpiexec", "mpirun"):
        candidate = os.path.join(os.path.dirname(sys.executable), name)
        launcher = candidate if os.path.exists(candidate) else shutil.which(name)
        if launcher:
            break
    if launcher is None:
        raise FileNotFoundError(f"no mpiexec found; {MPI_EXTRA_MESSAGE}")
    env = dict(os.environ)
    threads = threads if threads is not None else max(1, (os.cpu_count() or 1) // workers)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    command = [launcher, "-n", str(int(workers))]
    if "ompi" in os.path.basename(os.path.realpath(launcher)).lower() or _is_open_mpi(launcher):
        command += ["--oversubscribe", "--bind-to", "none"]
    return command + list(argv), env


def _is_open_mpi(launcher):
    import subprocess

    try:
        text = subprocess.run([launcher, "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "Open MPI" in text or "OpenRTE" in text
