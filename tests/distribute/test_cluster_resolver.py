"""Cluster resolvers, ``CentralStorageStrategy`` and ``tf.config``'s placement settings against TensorFlow 2.21.

The reference is fixtures/cluster_resolver_reference.npz, made by fixtures/make_cluster_resolver_fixture.py:
each case's ``repr`` (or ``raises <ErrorType>``) under real TensorFlow.
"""

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet.distribute import cluster_resolver

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REFERENCE = np.load(FIXTURES / "cluster_resolver_reference.npz")


def _fixture_module():
    spec = importlib.util.spec_from_file_location(
        "make_cluster_resolver_fixture", FIXTURES / "make_cluster_resolver_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()
# tf.train.ClusterSpec once tf.train names it; the class is the one of learnet.distribute.cluster_resolver.
CLUSTER_SPEC = getattr(tf.train, "ClusterSpec", cluster_resolver.ClusterSpec)
CASES = FIXTURE.cases(tf, CLUSTER_SPEC)


def test_the_fixture_covers_every_case():
    assert set(CASES) == set(REFERENCE.files) - {"tensorflow_version"}
    assert str(REFERENCE["tensorflow_version"]).startswith("2.")


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_tensorflow(name):
    assert FIXTURE.outcome(CASES[name]) == str(REFERENCE[name])


def test_reproducer_of_the_multi_worker_chapter(monkeypatch):
    monkeypatch.setenv(
        "TF_CONFIG",
        json.dumps(
            {"cluster": {"worker": ["127.0.0.1:9901", "127.0.0.1:9902"]}, "task": {"type": "worker", "index": 0}}
        ),
    )
    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    assert repr(resolver.cluster_spec()) == "ClusterSpec({'worker': ['127.0.0.1:9901', '127.0.0.1:9902']})"
    assert (resolver.task_type, resolver.task_id) == ("worker", 0)
    assert resolver.cluster_spec().as_dict()["worker"][1] == "127.0.0.1:9902"


def test_setting_the_task_overrides_tf_config(monkeypatch):
    monkeypatch.setenv(
        "TF_CONFIG", json.dumps({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 0}})
    )
    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    resolver.task_id = 1
    resolver.rpc_layer = "grpc"
    assert (resolver.task_type, resolver.task_id, resolver.master()) == ("worker", 1, "grpc://b:2")


def test_cluster_spec_is_a_copy_of_what_it_was_given():
    cluster = {"worker": ["a:1"]}
    spec = CLUSTER_SPEC(cluster)
    cluster["worker"].append("b:2")
    assert spec.as_dict() == {"worker": ["a:1"]} and spec != cluster


# --- bad input: a clear error, nothing changed ----------------------------------------------------


@pytest.mark.parametrize(
    "cluster, words",
    [
        ([1, 2], "must be a dictionary"),
        ({"worker": "a:1"}, "list of addresses or a dictionary"),
        ({"worker": [1]}, "Task address 1"),
        ({1: ["a:1"]}, "Job name 1"),
        ({"worker": {"one": "a:1"}}, "Task index 'one'"),
    ],
)
def test_a_bad_cluster_is_refused_by_name(cluster, words):
    with pytest.raises(TypeError, match=words):
        CLUSTER_SPEC(cluster)


def test_asking_for_a_missing_job_or_task_names_it():
    spec = CLUSTER_SPEC({"worker": ["a:1"]})
    with pytest.raises(ValueError, match="No such job in cluster: 'ps'"):
        spec.task_address("ps", 0)
    with pytest.raises(ValueError, match="No task with index 4 in job 'worker'"):
        spec.task_address("worker", 4)


def test_a_tf_config_that_is_not_json_names_the_variable(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", "{cluster: oops}")
    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    with pytest.raises(json.JSONDecodeError, match="TF_CONFIG environment variable is not valid JSON"):
        resolver.cluster_spec()
    assert os.environ["TF_CONFIG"] == "{cluster: oops}"


def test_a_tf_config_that_is_not_an_object_is_refused(monkeypatch):
    # TensorFlow reads a JSON list as an empty cluster; learnet says what it expected instead.
    monkeypatch.setenv("TF_CONFIG", "[1, 2]")
    with pytest.raises(ValueError, match="TF_CONFIG must be a JSON object"):
        tf.distribute.cluster_resolver.TFConfigClusterResolver().cluster_spec()


def test_master_without_a_task_in_a_cluster_of_several_says_which_is_missing(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["a:1", "b:2"]}}))
    with pytest.raises(ValueError, match="which task"):
        tf.distribute.cluster_resolver.TFConfigClusterResolver().master()


@pytest.mark.parametrize("task_type, task_id", [(1, None), (None, "0"), (None, 1.5), (None, True)])
def test_a_bad_task_is_refused_and_the_old_one_kept(task_type, task_id):
    with pytest.raises(TypeError, match="task_type|task_id"):
        tf.distribute.cluster_resolver.TFConfigClusterResolver(task_type=task_type, task_id=task_id)
    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver(task_type="worker", task_id=0)
    with pytest.raises(TypeError):
        if task_type is not None:
            resolver.task_type = task_type
        else:
            resolver.task_id = task_id
    assert (resolver.task_type, resolver.task_id) == ("worker", 0)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"cluster_spec": {"worker": ["a:1"]}}, "tf.train.ClusterSpec"),
        ({"master": 3}, "master must be"),
        ({"num_accelerators": 2}, "num_accelerators must be a dict"),
        ({"task_id": "1"}, "task_id"),
    ],
)
def test_simple_cluster_resolver_refuses_bad_arguments(kwargs, words):
    arguments = {"cluster_spec": CLUSTER_SPEC({"worker": ["a:1"]}), **kwargs}
    with pytest.raises(TypeError, match=words):
        tf.distribute.cluster_resolver.SimpleClusterResolver(**arguments)


def test_the_base_resolver_asks_subclasses_for_the_cluster():
    base = tf.distribute.cluster_resolver.ClusterResolver()
    with pytest.raises(NotImplementedError, match="cluster_spec"):
        base.cluster_spec()
    with pytest.raises(NotImplementedError, match="master"):
        base.master()
    assert base.num_accelerators() == {} and base.environment == ""


# --- CentralStorageStrategy -----------------------------------------------------------------------


def test_central_storage_strategy_trains_a_model_under_its_scope():
    strategy = tf.distribute.experimental.CentralStorageStrategy()
    with strategy.scope():
        assert tf.distribute.get_strategy() is strategy
        model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
    x = np.ones((8, 2), "float32")
    history = model.fit(x, np.ones((8, 1), "float32"), epochs=2, batch_size=4, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
    dataset = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices(x).batch(4))
    assert [tuple(batch.shape) for batch in dataset] == [(4, 2), (4, 2)]


def test_central_storage_strategy_reports_the_parameter_device():
    strategy = tf.distribute.experimental.CentralStorageStrategy(compute_devices=["/cpu:0"], parameter_device="/cpu:0")
    assert strategy.extended.parameter_devices == ("/cpu:0",)
    assert strategy.extended.worker_devices == ["/job:localhost/replica:0/task:0/device:CPU:0"]


def test_central_storage_strategy_refuses_several_devices_and_bad_parameter_devices():
    with pytest.raises(ValueError, match="one replica per process"):
        tf.distribute.experimental.CentralStorageStrategy(compute_devices=["/gpu:0", "/gpu:1"])
    with pytest.raises(TypeError, match="parameter_device"):
        tf.distribute.experimental.CentralStorageStrategy(parameter_device=0)


# --- tf.config ------------------------------------------------------------------------------------


def test_soft_device_placement_is_remembered_as_a_python_bool():
    try:
        tf.config.set_soft_device_placement(np.bool_(False))
        assert tf.config.get_soft_device_placement() is False
        with pytest.raises(TypeError, match="expects a bool"):
            tf.config.set_soft_device_placement("yes")
        assert tf.config.get_soft_device_placement() is False
    finally:
        tf.config.set_soft_device_placement(True)
    assert tf.config.get_soft_device_placement() is True


def test_memory_growth_is_a_gpu_setting_as_in_tensorflow():
    cpu = tf.config.list_physical_devices("CPU")[0]
    with pytest.raises(ValueError, match="non-GPU"):
        tf.config.experimental.set_memory_growth(cpu, True)
    with pytest.raises(KeyError, match="setting of GPUs"):
        tf.config.experimental.get_memory_growth(cpu)
    with pytest.raises(ValueError, match="Unrecognized device"):
        tf.config.experimental.get_memory_growth("/physical_device:CPU:0")
    # the course's loop over GPUs runs unchanged (there are none on NumPy's backend)
    for gpu in tf.config.list_physical_devices("GPU"):
        tf.config.experimental.set_memory_growth(gpu, True)
        assert tf.config.experimental.get_memory_growth(gpu) is True
