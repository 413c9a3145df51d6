"""The distributed input of ``tf.distribute`` against real TensorFlow 2.21 with one replica
(fixture made by fixtures/make_distributed_input_fixture.py), its errors, its shares of a
global batch when several processes train together, and a real two-process MPI job."""

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import errors
from learnet.data import Optional
from learnet.distribute.strategy import Strategy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REFERENCE = np.load(FIXTURES / "distributed_input_reference.npz")


def _record_function():
    path = FIXTURES / "make_distributed_input_fixture.py"
    spec = importlib.util.spec_from_file_location("make_distributed_input_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.record


@pytest.fixture(scope="module")
def recorded():
    return _record_function()(tf, tf.distribute.MirroredStrategy())


def test_the_fixture_holds_every_record():
    assert str(REFERENCE["tensorflow_version"]).startswith("2.")
    assert len(REFERENCE.files) == 44


@pytest.mark.parametrize("name", [name for name in REFERENCE.files if name != "tensorflow_version"])
def test_as_tensorflow_with_one_replica(recorded, name):
    expected, got = REFERENCE[name], np.asarray(recorded[name])
    if expected.dtype.kind == "U":
        assert str(got) == str(expected)
    else:
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-6)


# --- the pieces, one by one ------------------------------------------------------------------------
def test_distributed_iterator_ends_as_tensorflow_and_is_its_own_iterator():
    strategy = tf.distribute.get_strategy()
    iterator = iter(strategy.experimental_distribute_dataset(tf.data.Dataset.range(3).batch(2)))
    assert iter(iterator) is iterator and isinstance(iterator, tf.distribute.DistributedIterator)
    assert iterator.next().numpy().tolist() == [0, 1]
    optional = iterator.get_next_as_optional()
    assert isinstance(optional, Optional) and optional.get_value().numpy().tolist() == [2]
    empty = iterator.get_next_as_optional()
    assert not bool(empty.has_value())
    with pytest.raises(errors.InvalidArgumentError):
        empty.get_value()
    with pytest.raises(errors.OutOfRangeError, match="End of sequence"):
        iterator.get_next()
    with pytest.raises(StopIteration):
        next(iterator)
    assert list(iterator) == []


def test_each_iter_starts_again_and_a_for_loop_reads_everything():
    dist = tf.distribute.MirroredStrategy().experimental_distribute_dataset(tf.data.Dataset.range(5).batch(2))
    assert isinstance(dist, tf.distribute.DistributedDataset)
    first = iter(dist)
    next(first)
    assert next(iter(dist)).numpy().tolist() == [0, 1]
    assert [b.numpy().tolist() for b in dist] == [[0, 1], [2, 3], [4]]
    assert [b.numpy().tolist() for b in dist] == [[0, 1], [2, 3], [4]]  # again, from the start


def test_cardinality_follows_the_datasets():
    strategy = tf.distribute.get_strategy()
    for dataset in (
        tf.data.Dataset.range(10).batch(3),
        tf.data.Dataset.range(10).repeat().batch(3),
        tf.data.Dataset.range(10).filter(lambda x: x > 2),
    ):
        cardinality = strategy.experimental_distribute_dataset(dataset).cardinality
        assert isinstance(cardinality, np.int64) and cardinality == int(dataset.cardinality())


def test_the_element_spec_serves_as_an_input_signature():
    strategy = tf.distribute.MirroredStrategy()
    dist = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensors(([1.0], [1.0])).repeat(6).batch(4))

    @tf.function(input_signature=[dist.element_spec])
    def train_step(inputs):
        return strategy.run(lambda x: 2 * x[0], args=(inputs,))

    assert [train_step(batch).shape for batch in dist] == [(4, 1), (2, 1)]


def test_a_loop_stops_at_an_empty_optional():
    strategy = tf.distribute.MirroredStrategy()
    iterator = iter(strategy.experimental_distribute_dataset(tf.data.Dataset.range(9).batch(4)))
    seen = []
    for _ in range(5):
        optional = iterator.get_next_as_optional()
        if not optional.has_value():
            break
        seen.append(strategy.experimental_local_results(strategy.run(lambda x: x, args=(optional.get_value(),))))
    assert [len(results) for results in seen] == [1, 1, 1]
    assert [results[0].numpy().tolist() for results in seen] == [[0, 1, 2, 3], [4, 5, 6, 7], [8]]


def test_datasets_from_function_and_its_old_name():
    strategy = tf.distribute.MirroredStrategy()
    contexts = []

    def dataset_fn(context):
        contexts.append(context)
        return tf.data.Dataset.range(8).batch(context.get_per_replica_batch_size(4))

    for make in (strategy.distribute_datasets_from_function, strategy.experimental_distribute_datasets_from_function):
        dist = make(dataset_fn, options=tf.distribute.InputOptions())
        assert [b.numpy().tolist() for b in dist] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(contexts) == 2 and all(isinstance(c, tf.distribute.InputContext) for c in contexts)


def test_per_replica_values_unwrap_in_run_reduce_and_local_results():
    strategy = tf.distribute.MirroredStrategy()
    values = strategy.experimental_distribute_values_from_function(
        lambda ctx: {"id": tf.constant(ctx.replica_id_in_sync_group), "n": ctx.num_replicas_in_sync}
    )
    assert isinstance(values["id"], tf.distribute.DistributedValues) and values["n"].values == (1,)
    assert strategy.run(lambda v: v, kwargs={"v": values})["n"] == 1
    assert float(strategy.reduce("SUM", values["id"], axis=None)) == 0.0
    (local,) = strategy.experimental_local_results(values)
    assert int(local["id"]) == 0 and local["n"] == 1
    assert str(values["n"]) == "PerReplica:{\n  0: 1\n}"


def test_arguments_without_per_replica_values_pass_untouched():
    strategy = tf.distribute.get_strategy()
    pair = type("Pair", (tuple,), {})((1, 2))
    assert strategy.run(lambda p: p, args=(pair,)) is pair


def test_input_context_and_value_context():
    context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=0, num_replicas_in_sync=2)
    assert context.get_per_replica_batch_size(8) == 4
    assert context.get_per_replica_batch_size(tf.constant(6)) == 3
    value_context = tf.distribute.experimental.ValueContext(replica_id_in_sync_group=1, num_replicas_in_sync=2)
    assert repr(value_context) == "ValueContext(replica_id_in_sync_group=1, num_replicas_in_sync=2)"
    options = tf.distribute.InputOptions(experimental_replication_mode=tf.distribute.InputReplicationMode.PER_REPLICA)
    assert options.experimental_replication_mode is tf.distribute.InputReplicationMode.PER_REPLICA
    assert options == tf.distribute.InputOptions(experimental_replication_mode="PER_REPLICA")


# --- bad input: a clear error, nothing changed -------------------------------------------------------
@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda s: s.experimental_distribute_dataset([1, 2, 3]), TypeError, "expects a tf.data.Dataset, got list"),
        (lambda s: s.experimental_distribute_dataset(np.arange(3)), TypeError, "got ndarray"),
        (
            lambda s: s.experimental_distribute_dataset(tf.data.Dataset.range(3), options=3),
            TypeError,
            "options must be a tf.distribute.InputOptions, got int",
        ),
        (
            lambda s: s.experimental_distribute_dataset(
                tf.data.Dataset.range(3),
                options=tf.distribute.InputOptions(
                    experimental_replication_mode=tf.distribute.InputReplicationMode.PER_REPLICA
                ),
            ),
            NotImplementedError,
            "only supported in `distribute_datasets_from_function`",
        ),
        (lambda s: s.distribute_datasets_from_function(3), TypeError, "expects a function of an InputContext"),
        (lambda s: s.distribute_datasets_from_function(lambda c: [1, 2]), TypeError, "must return a tf.data.Dataset"),
        (
            lambda s: s.distribute_datasets_from_function(lambda c: tf.data.Dataset.range(3), options="fast"),
            TypeError,
            "options must be",
        ),
        (
            lambda s: s.experimental_distribute_values_from_function(3),
            TypeError,
            "expects a function of a ValueContext",
        ),
    ],
)
def test_bad_arguments_are_refused_clearly(call, error, message):
    strategy = tf.distribute.MirroredStrategy()
    with pytest.raises(error, match=message):
        call(strategy)
    assert strategy.num_replicas_in_sync == 1 and tf.distribute.get_strategy().num_replicas_in_sync == 1


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: tf.distribute.InputContext(2, 1, 4).get_per_replica_batch_size(7), ValueError, "not divisible"),
        (lambda: tf.distribute.InputContext().get_per_replica_batch_size("8"), TypeError, "must be a number"),
        (lambda: tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=2), ValueError, "not below"),
        (lambda: tf.distribute.InputContext(num_input_pipelines=0), ValueError, "num_input_pipelines must be"),
        (lambda: tf.distribute.InputContext(num_replicas_in_sync=1.5), ValueError, "num_replicas_in_sync must be"),
        (lambda: tf.distribute.InputOptions(experimental_replication_mode="EVERYWHERE"), ValueError, "PER_WORKER"),
    ],
)
def test_bad_contexts_and_options_are_refused_clearly(make, error, message):
    with pytest.raises(error, match=message):
        make()


# --- several processes: each gets its share ------------------------------------------------------
class FakeRank(Strategy):
    """A strategy that believes it is rank ``rank`` of ``size`` (collectives of one process)."""

    def __init__(self, rank, size):
        super().__init__()
        self.rank, self.num_replicas_in_sync = rank, size


def test_each_process_iterates_its_rows_of_every_global_batch():
    dataset = tf.data.Dataset.range(10).batch(4)
    parts = [
        [b.numpy().tolist() for b in FakeRank(rank, 2).experimental_distribute_dataset(dataset)] for rank in (0, 1)
    ]
    assert parts == [[[0, 1], [4, 5], [8]], [[2, 3], [6, 7], [9]]]
    iterator = iter(FakeRank(1, 2).experimental_distribute_dataset(dataset))
    assert iterator.get_next_as_optional().get_value().numpy().tolist() == [2, 3]


def test_a_fixed_batch_size_becomes_the_share_of_one_process():
    dataset = tf.data.Dataset.from_tensor_slices((np.zeros((12, 3), "float32"), np.arange(12))).batch(
        6, drop_remainder=True
    )
    spec = FakeRank(0, 2).experimental_distribute_dataset(dataset).element_spec
    assert [tuple(s.shape) for s in spec] == [(3, 3), (3,)]
    assert tuple(FakeRank(0, 4).experimental_distribute_dataset(dataset).element_spec[0].shape) == (None, 3)
    assert tuple(FakeRank(0, 2).distribute_datasets_from_function(lambda c: dataset).element_spec[1].shape) == (6,)


def test_the_function_of_each_process_is_told_its_pipeline():
    def dataset_fn(context):
        batch = context.get_per_replica_batch_size(4)
        return tf.data.Dataset.range(8).shard(context.num_input_pipelines, context.input_pipeline_id).batch(batch)

    parts = [[b.numpy().tolist() for b in FakeRank(r, 2).distribute_datasets_from_function(dataset_fn)] for r in (0, 1)]
    assert parts == [[[0, 2], [4, 6]], [[1, 3], [5, 7]]]
    values = FakeRank(1, 2).experimental_distribute_values_from_function(lambda ctx: ctx.replica_id_in_sync_group)
    assert values.values == (1,)


# --- a real MPI job --------------------------------------------------------------------------------
JOB = """
import json, sys
import learnet as tf

strategy = tf.distribute.MultiWorkerMirroredStrategy()
rank = strategy.cluster_resolver.task_id
dist = strategy.experimental_distribute_dataset(tf.data.Dataset.range(10).shuffle(10).batch(4))
iterator = iter(dist)
rows = [iterator.get_next().numpy().tolist()]
while True:
    optional = iterator.get_next_as_optional()
    if not optional.has_value():
        break
    rows.append(optional.get_value().numpy().tolist())
from_fn = strategy.distribute_datasets_from_function(
    lambda c: tf.data.Dataset.range(8).shard(c.num_input_pipelines, c.input_pipeline_id).batch(2)
)
ids = strategy.experimental_distribute_values_from_function(lambda c: c.replica_id_in_sync_group)
total = strategy.reduce("SUM", strategy.run(lambda i: tf.constant(float(i)), args=(ids,)), axis=None)
with open(f"{sys.argv[1]}/rank{rank}.json", "w") as file:
    json.dump({"rows": rows, "from_fn": [b.numpy().tolist() for b in from_fn], "total": float(total),
               "spec": str(dist.element_spec), "cardinality": int(dist.cardinality)}, file)
"""


def _mpiexec():
    local = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return local if os.path.exists(local) else shutil.which("mpiexec")


def test_two_mpi_processes_share_each_global_batch(tmp_path):
    pytest.importorskip("mpi4py", reason="mpi4py is not installed; pip install 'learnet[mpi]'")
    if _mpiexec() is None:
        pytest.skip("no mpiexec found")
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent(JOB))
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1")
    env.update(OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1")
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    command = [_mpiexec(), "-n", "2", "--oversubscribe", "--bind-to", "none", sys.executable, str(script)]
    job = subprocess.run([*command, str(tmp_path)], env=env, capture_output=True, timeout=120)
    assert job.returncode == 0, job.stderr.decode(errors="replace")
    import json

    rank0, rank1 = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1))
    # The two shares of each global batch tile it, and together every element comes once.
    assert [len(b) for b in rank0["rows"]] == [2, 2, 1] and [len(b) for b in rank1["rows"]] == [2, 2, 1]
    together = sorted(v for part in rank0["rows"] + rank1["rows"] for v in part)
    assert together == list(range(10))
    assert rank0["from_fn"] == [[0, 2], [4, 6]] and rank1["from_fn"] == [[1, 3], [5, 7]]
    assert rank0["total"] == rank1["total"] == 1.0  # replica ids 0 and 1, summed
    assert rank0["spec"] == "TensorSpec(shape=(None,), dtype=tf.int64, name=None)"
    assert rank0["cardinality"] == rank1["cardinality"] == 3
