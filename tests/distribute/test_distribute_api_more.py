"""More of tf.distribute against TensorFlow 2.21: communication options, variable policies,
replica contexts, ``strategy.extended``, the partitioners, ``Server``, ``ParameterServerStrategy``
and its ``ClusterCoordinator`` (the parameter-server tutorial run to its end in one process).

The reference is fixtures/distribute_api_reference.npz, made by
fixtures/make_distribute_api_fixture.py: each case's ``repr`` (or ``raises <ErrorType>``) under
real TensorFlow, the cases written once there and run here with learnet.
"""

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest

import learnet as tf

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REFERENCE = np.load(FIXTURES / "distribute_api_reference.npz")


def _fixture_module():
    spec = importlib.util.spec_from_file_location(
        "make_distribute_api_fixture", FIXTURES / "make_distribute_api_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()
PLAIN = FIXTURE.plain_cases(tf)
MWMS = FIXTURE.mwms_cases(tf)
PARAMETER_SERVER = FIXTURE.parameter_server_cases(tf)


def _reference(group, name):
    return str(REFERENCE[f"{group}/{name}"])


def test_the_fixture_covers_every_case():
    expected = {f"plain/{n}" for n in PLAIN} | {f"parameter_server/{n}" for n in PARAMETER_SERVER}
    expected |= {f"{g}/{n}" for g in ("mwms_tf_config", "mwms_alone") for n in MWMS}
    assert expected == set(REFERENCE.files)


# The shard counts TensorFlow's partitioners compute, and every other one-process case.
@pytest.mark.parametrize("name", sorted(PLAIN))
def test_matches_tensorflow(name):
    assert FIXTURE.outcome(PLAIN[name]) == _reference("plain", name)


@pytest.mark.parametrize("name", sorted(PARAMETER_SERVER))
def test_parameter_server_matches_tensorflow(name):
    assert FIXTURE.outcome(PARAMETER_SERVER[name]) == _reference("parameter_server", name)


@pytest.mark.parametrize("group", ["mwms_tf_config", "mwms_alone"])
@pytest.mark.parametrize("name", sorted(MWMS))
def test_multi_worker_matches_tensorflow(group, name, monkeypatch):
    pytest.importorskip("mpi4py", reason="MultiWorkerMirroredStrategy needs mpi4py")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    if group == "mwms_tf_config":
        monkeypatch.setenv("TF_CONFIG", json.dumps(FIXTURE.TF_CONFIG))
    assert FIXTURE.outcome(MWMS[name]) == _reference(group, name)


# --- communication options ---------------------------------------------------------------------
def test_options_are_kept_by_the_strategy_and_the_reductions():
    pytest.importorskip("mpi4py", reason="MultiWorkerMirroredStrategy needs mpi4py")
    E = tf.distribute.experimental  # noqa: N806
    options = E.CommunicationOptions(implementation=E.CommunicationImplementation.NCCL)
    strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    assert strategy.extended.communication_options == options
    context = strategy.run(tf.distribute.get_replica_context)
    assert float(context.all_reduce("MEAN", tf.constant(4.0), options=options)) == 4.0
    pairs = [(tf.constant(1.0), "/cpu:0"), (tf.constant([2.0, 3.0]), "/cpu:0")]
    assert [r.numpy().tolist() for r in strategy.extended.batch_reduce_to("SUM", pairs, options=options)] == [
        1.0,
        [2.0, 3.0],
    ]
    with pytest.raises(ValueError, match="CommunicationOptions"):
        strategy.extended.reduce_to("SUM", tf.constant(1.0), "/cpu:0", options="ring")


def test_collective_hints_are_the_old_name():
    hints = tf.distribute.experimental.CollectiveHints(bytes_per_pack=8)
    assert isinstance(hints, tf.distribute.experimental.CommunicationOptions)
    assert hints.implementation is tf.distribute.experimental.CommunicationImplementation.AUTO


# --- variables ---------------------------------------------------------------------------------
def test_bad_policies_make_no_variable():
    before = tf.Variable(0.0).name
    with pytest.raises(ValueError, match="Invalid variable aggregation mode: SUM"):
        tf.Variable(1.0, aggregation="SUM")  # Keras' names are lower-case
    with pytest.raises(ValueError, match="synchronization"):
        tf.Variable(1.0, synchronization=tf.VariableAggregation.SUM)
    after = tf.Variable(0.0).name
    assert int(after.rsplit("_", 1)[-1]) == int(before.rsplit("_", 1)[-1]) + 1  # no name was used up


def test_add_weight_takes_keras_aggregation_names():
    layer = tf.keras.layers.Dense(2)
    layer.build((None, 3))
    for text, member in [
        ("mean", "MEAN"),
        ("sum", "SUM"),
        ("only_first_replica", "ONLY_FIRST_REPLICA"),
        ("none", "NONE"),
        (tf.VariableAggregation.SUM, "SUM"),
    ]:
        weight = layer.add_weight(name="w", shape=(2,), aggregation=text, trainable=False)
        assert weight.aggregation is tf.VariableAggregation[member]
        assert weight.synchronization is tf.VariableSynchronization.AUTO
    on_read = layer.add_weight(shape=(), synchronization="on_read", aggregation="sum", trainable=False)
    assert on_read.synchronization is tf.VariableSynchronization.ON_READ
    assert layer.kernel.aggregation is tf.VariableAggregation.NONE
    count = len(layer.weights)
    with pytest.raises(ValueError, match="aggregation mode: median"):
        layer.add_weight(name="bad", shape=(2,), aggregation="median")
    assert len(layer.weights) == count


def test_metric_counters_and_training_keep_working_with_policies():
    with tf.distribute.MirroredStrategy().scope():
        model = tf.keras.Sequential(
            [tf.keras.Input((3,)), tf.keras.layers.Dense(4), tf.keras.layers.BatchNormalization()]
        )
        model.add(tf.keras.layers.Dense(1))
        model.compile("adam", "mse", metrics=["mae"])
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    history = model.fit(x, x[:, :1], epochs=2, batch_size=8, verbose=0)
    assert len(history.history["loss"]) == 2


# --- replica contexts and the strategy in force ---------------------------------------------------
def test_contexts_inside_and_outside(capsys):
    strategy = tf.distribute.MirroredStrategy()
    assert tf.distribute.get_replica_context().replica_id_in_sync_group == 0
    with strategy.scope():
        assert tf.distribute.get_replica_context() is None and tf.distribute.in_cross_replica_context()
        inside = strategy.run(lambda: (tf.distribute.get_replica_context(), tf.distribute.get_strategy()))
        assert inside[1] is strategy and inside[0].strategy is strategy
        merged = strategy.run(
            lambda: tf.distribute.get_replica_context().merge_call(
                lambda s, x: (s is strategy, tf.distribute.in_cross_replica_context(), x), args=(5,)
            )
        )
        assert merged == (True, True, 5)
    assert not tf.distribute.in_cross_replica_context()


def test_experimental_set_strategy():
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    try:
        tf.distribute.experimental_set_strategy(strategy)
        assert tf.distribute.get_strategy() is strategy and tf.distribute.in_cross_replica_context()
        with pytest.raises(TypeError, match="Strategy or None"):
            tf.distribute.experimental_set_strategy("mirrored")
        assert tf.distribute.get_strategy() is strategy
    finally:
        tf.distribute.experimental_set_strategy(None)
    assert not tf.distribute.has_strategy()
    with strategy.scope(), pytest.raises(RuntimeError, match="inside"):
        tf.distribute.experimental_set_strategy(strategy)


def test_extended_members():
    strategy = tf.distribute.get_strategy()
    extended = strategy.extended
    assert isinstance(extended, tf.distribute.StrategyExtended)
    assert extended.worker_devices_by_replica == [[extended.worker_devices[0]]]
    assert extended.non_slot_devices([]) == extended.parameter_devices[:1]
    v = tf.Variable(1.0)
    assert float(extended.update(v, lambda var, d: var.assign_add(d), args=(2.0,))) == 3.0
    assert extended.read_var(v) is v and extended.value_container(v) is v
    with extended.colocate_vars_with(v):
        pass
    assert extended.call_for_each_replica(lambda: 7) == 7
    assert float(strategy.gather(tf.constant([1.0]), axis=0)[0]) == 1.0


def test_tpu_strategy_is_refused_clearly():
    with pytest.raises(ValueError, match="no TPU"):
        tf.distribute.experimental.TPUStrategy()


# --- partitioners, Server ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: tf.distribute.experimental.partitioners.FixedShardsPartitioner(2)([None, 3], "float32"),
        lambda: tf.distribute.experimental.partitioners.FixedShardsPartitioner(2)(5, "float32"),
        lambda: tf.distribute.experimental.partitioners.MinSizePartitioner(max_shards=2.5),
    ],
)
def test_partitioners_refuse_bad_input(make):
    with pytest.raises((TypeError, ValueError)):
        make()


def test_server_extras():
    local = tf.distribute.Server.create_local_server()
    assert local.target == "grpc://localhost:0" and local.join() is None
    spec = {"worker": ["a:1"]}
    definition = tf.distribute.Server(spec).server_def
    assert tf.distribute.Server(definition).target == "grpc://a:1"


# --- the parameter-server tutorial, in one process ------------------------------------------------
def _in_process_cluster(num_workers, num_ps):
    """The tutorial's create_in_process_cluster, with portpicker replaced by fixed ports."""
    ports = iter(range(20000, 20000 + num_workers + num_ps))
    cluster_dict = {"worker": [f"localhost:{next(ports)}" for _ in range(num_workers)]}
    if num_ps > 0:
        cluster_dict["ps"] = [f"localhost:{next(ports)}" for _ in range(num_ps)]
    cluster_spec = tf.train.ClusterSpec(cluster_dict)
    for i in range(num_workers):
        tf.distribute.Server(cluster_spec, job_name="worker", task_index=i, protocol="grpc")
    for i in range(num_ps):
        tf.distribute.Server(cluster_spec, job_name="ps", task_index=i, protocol="grpc")
    return tf.distribute.cluster_resolver.SimpleClusterResolver(cluster_spec, rpc_layer="grpc")


def test_the_parameter_server_tutorial_runs_to_its_end(tmp_path):
    os.environ.setdefault("GRPC_FAIL_FAST", "use_caller")
    resolver = _in_process_cluster(3, 2)
    partitioner = tf.distribute.experimental.partitioners.MinSizePartitioner(min_shard_bytes=(256 << 10), max_shards=2)
    strategy = tf.distribute.ParameterServerStrategy(resolver, variable_partitioner=partitioner)
    assert strategy.extended.variable_partitioner is partitioner

    # model.fit with steps_per_epoch over a repeated dataset
    rng = np.random.default_rng(0)
    # (the tutorial's y has shape (10,) against Dense(10): learnet's mse wants matching shapes)
    x, y = rng.uniform(size=(10, 10)).astype("float32"), rng.uniform(size=(10, 10)).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(10).repeat().batch(64).prefetch(2)
    with strategy.scope():
        model = tf.keras.models.Sequential([tf.keras.layers.Dense(10)])
        model.compile(tf.keras.optimizers.SGD(), loss="mse", steps_per_execution=10)
    callbacks = [tf.keras.callbacks.ModelCheckpoint(filepath=str(tmp_path / "ckpt.keras"))]
    history = model.fit(dataset, epochs=2, steps_per_epoch=5, callbacks=callbacks, verbose=0)
    assert len(history.history["loss"]) == 2 and (tmp_path / "ckpt.keras").exists()

    # the custom training loop with a ClusterCoordinator and per-worker datasets
    features = rng.integers(0, 8, size=(64, 3))
    labels = (features == 0).any(axis=1, keepdims=True).astype("int64")
    with strategy.scope():
        model = tf.keras.Sequential([tf.keras.Input((3,), dtype="int64"), tf.keras.layers.Embedding(8, 16)])
        model.add(tf.keras.layers.GlobalAveragePooling1D())
        model.add(tf.keras.layers.Dense(1, activation="sigmoid", kernel_regularizer=tf.keras.regularizers.L2(1e-4)))
        optimizer = tf.keras.optimizers.RMSprop(learning_rate=0.1)
        accuracy = tf.keras.metrics.Accuracy()

    def dataset_fn(_):
        return tf.data.Dataset.from_tensor_slices((features, labels)).shuffle(64).batch(16).repeat()

    @tf.function
    def step_fn(iterator):
        def replica_fn(batch_data, batch_labels):
            with tf.GradientTape() as tape:
                pred = model(batch_data, training=True)
                per_example_loss = tf.keras.losses.BinaryCrossentropy(reduction="none")(batch_labels, pred)
                loss = tf.nn.compute_average_loss(per_example_loss)
                if model.losses:
                    loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables))
            accuracy.update_state(batch_labels, tf.cast(tf.greater(pred, 0.5), tf.int64))
            return loss

        batch_data, batch_labels = next(iterator)
        losses = strategy.run(replica_fn, args=(batch_data, batch_labels))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

    coordinator = tf.distribute.coordinator.ClusterCoordinator(strategy)

    @tf.function
    def per_worker_dataset_fn():
        return strategy.distribute_datasets_from_function(dataset_fn)

    per_worker_iterator = iter(coordinator.create_per_worker_dataset(per_worker_dataset_fn))
    first = None
    for _ in range(4):
        accuracy.reset_state()
        for _ in range(5):
            remote = coordinator.schedule(step_fn, args=(per_worker_iterator,))
            first = first if first is not None else float(remote.fetch())
        coordinator.join()
        assert 0.0 <= float(accuracy.result()) <= 1.0
    final = coordinator.schedule(step_fn, args=(per_worker_iterator,)).fetch()
    assert np.isfinite(final) and final < first

    # inline evaluation on the workers
    with strategy.scope():
        eval_accuracy = tf.keras.metrics.Accuracy()

    @tf.function
    def eval_step(iterator):
        def replica_fn(batch_data, batch_labels):
            pred = model(batch_data, training=False)
            eval_accuracy.update_state(batch_labels, tf.cast(tf.greater(pred, 0.5), tf.int64))

        batch_data, batch_labels = next(iterator)
        strategy.run(replica_fn, args=(batch_data, batch_labels))

    def eval_dataset_fn():
        worker = tf.distribute.coordinator.experimental_get_current_worker_index()
        assert 0 <= worker < 3
        return tf.data.Dataset.from_tensor_slices((features[:16], labels[:16])).shuffle(16).repeat().batch(8)

    per_worker_eval_iterator = iter(coordinator.create_per_worker_dataset(eval_dataset_fn))
    for _ in range(2):
        coordinator.schedule(eval_step, args=(per_worker_eval_iterator,))
    coordinator.join()
    assert coordinator.done() and 0.0 <= float(eval_accuracy.result()) <= 1.0
    assert coordinator.fetch({"a": coordinator.schedule(lambda: tf.constant(2.0))})["a"] == 2.0


def test_coordinator_spreads_steps_over_the_workers():
    strategy = tf.distribute.experimental.ParameterServerStrategy(_in_process_cluster(2, 1))
    coordinator = tf.distribute.coordinator.ClusterCoordinator(strategy)
    iterator = iter(coordinator.create_per_worker_dataset(tf.data.Dataset.range(10).batch(2)))

    def step(it):
        return tf.distribute.coordinator.experimental_get_current_worker_index(), next(it)

    seen = [coordinator.schedule(step, args=(iterator,)).fetch() for _ in range(4)]
    assert [(int(w), b.tolist()) for w, b in seen] == [(0, [0, 1]), (1, [0, 1]), (0, [2, 3]), (1, [2, 3])]
    with pytest.raises(TypeError, match="per-worker iterator"):
        next(iterator)
    with pytest.raises(ZeroDivisionError):
        coordinator.schedule(lambda: 1 / 0)
    with pytest.raises(TypeError, match="function"):
        coordinator.schedule(3)


@pytest.mark.parametrize(
    "make, error",
    [
        (lambda: tf.distribute.ParameterServerStrategy({"worker": ["a:1"]}), TypeError),
        (
            lambda: tf.distribute.ParameterServerStrategy(_in_process_cluster(1, 1), variable_partitioner="min_size"),
            TypeError,
        ),
        (
            lambda: tf.distribute.ParameterServerStrategy(
                tf.distribute.cluster_resolver.SimpleClusterResolver(tf.train.ClusterSpec({"ps": ["a:1"]}))
            ),
            ValueError,
        ),
    ],
)
def test_parameter_server_strategy_refuses_bad_clusters(make, error):
    with pytest.raises(error):
        make()


# --- the MPI world as a cluster ------------------------------------------------------------------
CLUSTER_JOB = """
import json, sys
import learnet as tf

strategy = tf.distribute.MultiWorkerMirroredStrategy()
resolver = strategy.cluster_resolver
spec = resolver.cluster_spec()
out = {"type": resolver.task_type, "id": resolver.task_id, "jobs": spec.jobs, "tasks": spec.num_tasks("worker"),
       "device": strategy.extended.worker_devices[0], "between": strategy.extended.experimental_between_graph}
with open(sys.argv[1] + f"/rank{resolver.task_id}.json", "w") as file:
    json.dump(out, file)
"""


def test_the_mpi_world_is_a_worker_job(tmp_path):
    pytest.importorskip("mpi4py", reason="MultiWorkerMirroredStrategy needs mpi4py")
    spec = importlib.util.spec_from_file_location("distribute_test_mpi", Path(__file__).with_name("test_mpi.py"))
    mpi_tests = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mpi_tests)
    if mpi_tests._mpiexec() is None:
        pytest.skip("no mpiexec found")
    script = tmp_path / "cluster_job.py"
    script.write_text(CLUSTER_JOB)
    import subprocess
    import sys

    command = [mpi_tests._mpiexec(), "-n", "2", "--oversubscribe", "--bind-to", "none", sys.executable, str(script)]
    done = subprocess.run(command + [str(tmp_path)], env=mpi_tests._env(), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    for rank in (0, 1):
        seen = json.loads((tmp_path / f"rank{rank}.json").read_text())
        assert seen["type"] == "worker" and seen["id"] == rank and seen["jobs"] == ["worker"] and seen["tasks"] == 2
        assert seen["device"] == f"/job:worker/replica:0/task:{rank}/device:CPU:0" and seen["between"]
