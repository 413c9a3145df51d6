"""tf.train.Checkpoint as an object graph: aliasing, nested checkpoints, load statuses, deferred
restoration, TensorFlow-style keys and readers, the state file, CheckpointManager, files of the
first learnet format, and bad input."""

import gc
import json
import os
import weakref

import numpy as np
import pytest

import learnet as tf
from learnet import module as tracking

VALUE = "/.ATTRIBUTES/VARIABLE_VALUE"


class Net(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.l1 = tf.keras.layers.Dense(5)

    def call(self, x):
        return self.l1(x)


class Holder(tf.Module):
    pass


def trained_net_and_optimizer():
    net, optimizer = Net(), tf.keras.optimizers.Adam(0.1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(net(tf.ones((2, 1))))
    optimizer.apply_gradients(zip(tape.gradient(loss, net.trainable_variables), net.trainable_variables))
    return net, optimizer


@pytest.fixture(autouse=True)
def no_restore_left_pending():
    yield
    gc.collect()
    tracking.restore_hook = None  # a test that leaves a partial restore must not slow the next ones
    from learnet import checkpoint_graph

    checkpoint_graph._pending.clear()


# --- 1. aliasing: one object, many paths --------------------------------------------------------


def test_a_variable_reachable_by_two_paths_is_stored_once_and_restored_by_either(tmp_path):
    save = tf.train.Checkpoint()
    save.listed = [tf.Variable(1.0)]
    save.listed.append(tf.Variable(2.0))
    save.mapped = {"one": save.listed[0]}
    save.mapped["two"] = save.listed[1]
    path = save.save(tmp_path / "list_example")
    keys = sorted(k for k, _ in tf.train.list_variables(path))
    assert keys == [
        "_CHECKPOINTABLE_OBJECT_GRAPH",
        "listed/0" + VALUE,
        "listed/1" + VALUE,
        "save_counter" + VALUE,
    ]
    restore = tf.train.Checkpoint()
    v2 = tf.Variable(0.0)
    restore.mapped = {"two": v2}
    status = restore.restore(path)
    assert float(v2) == 2.0
    status.assert_existing_objects_matched().assert_nontrivial_match()
    with pytest.raises(AssertionError, match="listed/0"):
        status.assert_consumed()
    # Deferred: a list attached later, and an item appended to it, get their values then.
    restore.listed = []
    assert repr(restore.listed) == "ListWrapper([])"
    v1 = tf.Variable(0.0)
    restore.listed.append(v1)
    assert float(v1) == 1.0
    status.assert_consumed()
    assert tracking.restore_hook is None  # everything matched: nothing is pending any more


# --- 2. nested Checkpoints are plain containers -------------------------------------------------


def test_nested_checkpoints_hold_exactly_their_arguments_and_attributes(tmp_path):
    bias = tf.Variable([1.0, 2.0])
    fake_layer = tf.train.Checkpoint(bias=bias)
    root = tf.train.Checkpoint(net=tf.train.Checkpoint(l1=fake_layer))
    path = root.save(tmp_path / "nested")
    assert sorted(k for k, _ in tf.train.list_variables(path)) == [
        "_CHECKPOINTABLE_OBJECT_GRAPH",
        "net/l1/bias" + VALUE,
        "save_counter" + VALUE,
    ]
    fake_layer.kernel = tf.Variable([[3.0]])
    path = root.write(tmp_path / "later")
    assert "net/l1/kernel" + VALUE in dict(tf.train.list_variables(path))
    assert "save_counter" + VALUE in dict(tf.train.list_variables(path))  # the root's, made by save


def test_the_guide_restores_a_model_into_checkpoints_and_a_late_attribute(tmp_path):
    net, optimizer = trained_net_and_optimizer()
    manager = tf.train.CheckpointManager(
        tf.train.Checkpoint(step=tf.Variable(1), optimizer=optimizer, net=net), tmp_path, max_to_keep=3
    )
    manager.save()
    to_restore = tf.Variable(tf.zeros([5]))
    fake_layer = tf.train.Checkpoint(bias=to_restore)
    new_root = tf.train.Checkpoint(net=tf.train.Checkpoint(l1=fake_layer))
    status = new_root.restore(tf.train.latest_checkpoint(tmp_path))
    np.testing.assert_array_equal(to_restore.numpy(), net.l1.bias.numpy())
    status.assert_existing_objects_matched()
    deferred = tf.Variable(tf.zeros([1, 5]))
    fake_layer.kernel = deferred
    np.testing.assert_array_equal(deferred.numpy(), net.l1.kernel.numpy())
    with pytest.raises(AssertionError, match="optimizer"):
        status.assert_consumed()  # the optimizer's values have no object here


# --- 3. load statuses --------------------------------------------------------------------------


def test_load_statuses_follow_tensorflow(tmp_path):
    holder = Holder()
    holder.a = tf.Variable(3.0)
    path = tf.train.Checkpoint(model=holder).write(tmp_path / "m")
    # read() creates no save counter: every existing object matched.
    again = Holder()
    again.a = tf.Variable(0.0)
    tf.train.Checkpoint(model=again).read(path).assert_consumed()
    # restore() creates the root's save counter, which this file (written by write) lacks.
    status = tf.train.Checkpoint(model=again).restore(path)
    with pytest.raises(AssertionError, match="save_counter"):
        status.assert_existing_objects_matched()
    assert status.expect_partial() is status
    other = Holder()
    other.zz = tf.Variable(1.0)
    status = tf.train.Checkpoint(other=other).read(path)
    with pytest.raises(AssertionError, match="Nothing except the root object matched"):
        status.assert_nontrivial_match()
    nothing = tf.train.Checkpoint(model=again).restore(None)
    for check in ("assert_consumed", "assert_existing_objects_matched", "assert_nontrivial_match"):
        with pytest.raises(AssertionError, match="No checkpoint specified"):
            getattr(nothing, check)()
    assert nothing.expect_partial() is nothing


def test_checkpoint_refuses_values_that_hold_no_state():
    with pytest.raises(ValueError, match="expecting x to be a trackable object"):
        tf.train.Checkpoint(x=3)


# --- 4. deferred restoration ---------------------------------------------------------------------


def test_module_attributes_set_after_restore_get_their_values(tmp_path):
    holder = Holder()
    holder.sub = Holder()
    holder.sub.b = tf.Variable([1.0, 2.0])
    path = tf.train.Checkpoint(model=holder).write(tmp_path / "m")
    fresh = Holder()
    tf.train.Checkpoint(model=fresh).read(path)
    fresh.sub = Holder()
    fresh.sub.b = tf.Variable([0.0, 0.0])
    assert fresh.sub.b.numpy().tolist() == [1.0, 2.0]


def test_an_unbuilt_model_and_its_optimizer_are_restored_as_they_build(tmp_path):
    net, optimizer = trained_net_and_optimizer()
    path = tf.train.Checkpoint(optimizer=optimizer, net=net).save(tmp_path / "ckpt")
    net2, optimizer2 = Net(), tf.keras.optimizers.Adam(0.1)
    status = tf.train.Checkpoint(optimizer=optimizer2, net=net2).restore(path)
    assert int(optimizer2.iterations) == 1
    net2(tf.ones((2, 1)))  # builds: the weights are created, and restored at once
    np.testing.assert_array_equal(net2.l1.kernel.numpy(), net.l1.kernel.numpy())
    np.testing.assert_array_equal(net2.l1.bias.numpy(), net.l1.bias.numpy())
    for a, b in zip(optimizer.variables, optimizer2.variables):  # the slots too
        np.testing.assert_allclose(a.numpy(), b.numpy())
    status.assert_consumed()
    assert tracking.restore_hook is None


def test_a_sequential_restored_before_it_is_built(tmp_path):
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2), tf.keras.layers.Dense(1)])
    path = tf.train.Checkpoint(model=model).write(tmp_path / "seq")
    unbuilt = tf.keras.Sequential([tf.keras.layers.Dense(2), tf.keras.layers.Dense(1)])
    tf.train.Checkpoint(model=unbuilt).read(path)
    unbuilt(tf.ones((1, 3)))
    for a, b in zip(model.get_weights(), unbuilt.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_pending_restore_does_not_keep_a_model_alive(tmp_path):
    net, optimizer = trained_net_and_optimizer()
    path = tf.train.Checkpoint(net=net).write(tmp_path / "ckpt")
    unbuilt = Net()
    tf.train.Checkpoint(net=unbuilt).read(path)
    assert tracking.restore_hook is not None  # waiting for the model to build
    watcher = weakref.ref(unbuilt)
    del unbuilt
    gc.collect()
    assert watcher() is None
    tf.keras.layers.Dense(2)(tf.ones((1, 2)))  # the next notification forgets the dead restore
    assert tracking.restore_hook is None


# --- 5. keys and the reader -----------------------------------------------------------------------


def test_keys_and_reader_have_tensorflows_form(tmp_path):
    net, optimizer = trained_net_and_optimizer()
    tf.train.CheckpointManager(
        tf.train.Checkpoint(step=tf.Variable(1), optimizer=optimizer, net=net), tmp_path / "tf_ckpts", max_to_keep=3
    ).save()
    reader = tf.train.load_checkpoint(tmp_path / "tf_ckpts")
    shapes, dtypes = reader.get_variable_to_shape_map(), reader.get_variable_to_dtype_map()
    key = "net/l1/kernel" + VALUE
    assert shapes[key] == [1, 5] and dtypes[key].name == "float32"
    assert shapes["_CHECKPOINTABLE_OBJECT_GRAPH"] == []
    assert dtypes["_CHECKPOINTABLE_OBJECT_GRAPH"] == tf.string  # serialized bytes, as TensorFlow says
    for expected in (
        "net/l1/bias",
        "save_counter",
        "step",
        "optimizer/iterations",
        "optimizer/learning_rate",
        "net/l1/kernel/.OPTIMIZER_SLOT/optimizer/momentum",
        "net/l1/bias/.OPTIMIZER_SLOT/optimizer/velocity",
    ):
        assert expected + VALUE in shapes
    np.testing.assert_array_equal(reader.get_tensor(key), net.l1.kernel.numpy())
    assert reader.get_tensor("save_counter" + VALUE) == 1
    assert reader.has_tensor(key) and not reader.has_tensor("net/l1/kernel")
    graph = json.loads(reader.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
    assert isinstance(graph, list) and graph[0]["children"]
    with pytest.raises(tf.errors.NotFoundError, match="not found"):
        reader.get_tensor("nope")
    np.testing.assert_array_equal(tf.train.load_variable(tmp_path / "tf_ckpts", key), net.l1.kernel.numpy())
    np.testing.assert_array_equal(tf.train.load_variable(tmp_path / "tf_ckpts", "net/l1/kernel"), net.l1.kernel)
    names = [name for name, _ in tf.train.list_variables(tmp_path / "tf_ckpts")]
    assert names == sorted(names)


def test_a_weight_held_in_no_attribute_is_stored_under_its_own_name(tmp_path):
    class Scaler(tf.keras.layers.Layer):
        def build(self, input_shape):
            self.add_weight(name="scale", shape=(1,), initializer="ones")
            self.w = self.add_weight(shape=(2,), name="weight_name")

    layer = Scaler()
    layer.build((None, 2))
    keys = dict(tf.train.list_variables(tf.train.Checkpoint(layer=layer).write(tmp_path / "s")))
    assert "layer/scale" + VALUE in keys and "layer/w" + VALUE in keys
    layer.w.assign([5.0, 6.0])
    path = tf.train.Checkpoint(layer=layer).write(tmp_path / "s")
    fresh = Scaler()
    tf.train.Checkpoint(layer=fresh).read(path)
    fresh.build((None, 2))  # matched by the name the weight is created under
    assert fresh.w.numpy().tolist() == [5.0, 6.0]


# --- 6. the state file and CheckpointManager ----------------------------------------------------


def test_state_file_is_tensorflows_text_and_the_old_json_still_reads(tmp_path):
    checkpoint = tf.train.Checkpoint(v=tf.Variable(1.0))
    checkpoint.save(tmp_path / "ckpt")
    path = checkpoint.save(tmp_path / "ckpt")
    text = (tmp_path / "checkpoint").read_text()
    assert text == 'model_checkpoint_path: "ckpt-2"\nall_model_checkpoint_paths: "ckpt-2"\n'
    state = tf.train.get_checkpoint_state(tmp_path)
    assert state.model_checkpoint_path == path and state.all_model_checkpoint_paths == [path]
    assert tf.train.latest_checkpoint(tmp_path) == path
    (tmp_path / "checkpoint").write_text(json.dumps({"latest": "ckpt-1"}))
    assert tf.train.latest_checkpoint(tmp_path) == os.path.join(tmp_path, "ckpt-1")
    assert tf.train.get_checkpoint_state(tmp_path / "nothing") is None
    assert tf.train.latest_checkpoint(tmp_path / "nothing") is None
    os.remove(path + ".index")
    (tmp_path / "checkpoint").write_text(text)
    assert tf.train.latest_checkpoint(tmp_path) is None  # the named checkpoint is gone


def test_checkpoint_manager_interval_restore_or_initialize_and_reopening(tmp_path):
    value, step = tf.Variable(0), tf.Variable(0, dtype="int64")
    checkpoint = tf.train.Checkpoint(v=value)
    manager = tf.train.CheckpointManager(checkpoint, tmp_path, max_to_keep=2, step_counter=step, checkpoint_interval=5)
    assert manager.checkpoint is checkpoint and manager.directory == os.fspath(tmp_path)
    assert manager.latest_checkpoint is None and manager.checkpoints == []
    saved = []
    for i in range(12):
        step.assign(i)
        saved.append(manager.save())
    assert [p and os.path.basename(p) for p in saved] == ["ckpt-1"] + [None] * 4 + ["ckpt-2"] + [None] * 4 + [
        "ckpt-3",
        None,
    ]
    assert manager.save(checkpoint_number=100) is None
    assert manager.save(checkpoint_number=101, check_interval=False).endswith("ckpt-101")
    assert [os.path.basename(p) for p in manager.checkpoints] == ["ckpt-3", "ckpt-101"]
    text = (tmp_path / "checkpoint").read_text()
    assert 'model_checkpoint_path: "ckpt-101"' in text and 'all_model_checkpoint_paths: "ckpt-3"' in text
    value.assign(42)
    assert manager.restore_or_initialize() == manager.latest_checkpoint and int(value) == 0
    reopened = tf.train.CheckpointManager(checkpoint, tmp_path, max_to_keep=2)
    assert reopened.checkpoints == manager.checkpoints and reopened.latest_checkpoint == manager.latest_checkpoint
    called = []
    fresh = tf.train.CheckpointManager(checkpoint, tmp_path / "new", max_to_keep=1, init_fn=lambda: called.append(1))
    assert fresh.restore_or_initialize() is None and called == [1]
    with pytest.raises(ValueError, match="step_counter"):
        tf.train.CheckpointManager(checkpoint, tmp_path, max_to_keep=1, checkpoint_interval=3)
    with pytest.raises(ValueError, match="positive integer"):
        tf.train.CheckpointManager(checkpoint, tmp_path, max_to_keep=0)


# --- 7. files of the first learnet format -----------------------------------------------------------


def write_first_format(prefix, values):
    """A checkpoint as the first learnet versions wrote it: a flat list of paths."""
    with open(prefix + ".data-00000-of-00001", "wb") as stream:
        np.savez(stream, **{f"v{i}": np.asarray(v) for i, v in enumerate(values.values())})
    index = {
        "format": "learnet checkpoint",
        "variables": [
            {"name": name, "key": f"v{i}", "shape": list(np.shape(v)), "dtype": np.asarray(v).dtype.name}
            for i, (name, v) in enumerate(values.items())
        ],
    }
    with open(prefix + ".index", "w") as stream:
        json.dump(index, stream)
    with open(os.path.join(os.path.dirname(prefix), "checkpoint"), "w") as stream:
        json.dump({"latest": os.path.basename(prefix)}, stream)


def test_a_checkpoint_of_the_first_learnet_format_still_restores(tmp_path):
    prefix = str(tmp_path / "ckpt-1")
    kernel = np.arange(6, dtype="float32").reshape(3, 2)
    write_first_format(
        prefix,
        {
            "module/w": np.array([[7.0, 8.0]], "float32"),
            "model/weights/0": kernel,
            "model/weights/1": np.array([1.0, 2.0], "float32"),
            "save_counter": np.int64(1),
        },
    )
    holder = Holder()
    holder.w = tf.Variable([[0.0, 0.0]])
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    checkpoint = tf.train.Checkpoint(module=holder, model=model)
    checkpoint.restore(tf.train.latest_checkpoint(tmp_path)).assert_consumed()
    assert holder.w.numpy().tolist() == [[7.0, 8.0]]
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), kernel)
    assert int(checkpoint.save_counter) == 1
    np.testing.assert_array_equal(tf.train.load_variable(prefix, "model/weights/0"), kernel)
    manager = tf.train.CheckpointManager(checkpoint, tmp_path, max_to_keep=3)
    assert manager.checkpoints == [prefix] and manager.latest_checkpoint == prefix


# --- 8. bad input ------------------------------------------------------------------------------------


def test_a_value_of_the_wrong_shape_is_refused_and_nothing_changes(tmp_path):
    holder = Holder()
    holder.a, holder.b = tf.Variable(1.0), tf.Variable([1.0, 2.0])
    path = tf.train.Checkpoint(model=holder).write(tmp_path / "m")
    other = Holder()
    other.a, other.b = tf.Variable(5.0), tf.Variable([0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"model/b/.* has shape \(2,\).*has shape \(3,\)"):
        tf.train.Checkpoint(model=other).restore(path)
    assert float(other.a) == 5.0 and other.b.numpy().tolist() == [0.0, 0.0, 0.0]


def test_missing_and_damaged_checkpoints_are_refused_clearly(tmp_path):
    checkpoint = tf.train.Checkpoint(v=tf.Variable(1.0))
    with pytest.raises(tf.errors.NotFoundError, match="no learnet checkpoint"):
        checkpoint.restore(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="is a directory"):
        checkpoint.restore(tmp_path)
    path = checkpoint.write(tmp_path / "good")
    index = json.loads((tmp_path / "good.index").read_text())
    for name, content in (
        ("garbage", b"\x00\x01 not json"),
        ("nolist", json.dumps({"format": "x"}).encode()),
        ("dangling", json.dumps({**index, "object_graph": [{"children": [["v", 7]]}]}).encode()),
        ("badshape", json.dumps({**index, "variables": [{**index["variables"][0], "shape": [-1]}]}).encode()),
    ):
        (tmp_path / f"{name}.index").write_bytes(content)
        (tmp_path / f"{name}.data-00000-of-00001").write_bytes((tmp_path / "good.data-00000-of-00001").read_bytes())
        with pytest.raises(tf.errors.DataLossError, match="damaged"):
            checkpoint.restore(tmp_path / name)
    os.remove(path + ".data-00000-of-00001")
    with pytest.raises(tf.errors.DataLossError, match="data file"):
        checkpoint.restore(path)
    assert float(checkpoint.v) == 1.0
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(ValueError, match="Couldn't find"):
        tf.train.load_checkpoint(tmp_path / "empty_dir")
