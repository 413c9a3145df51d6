"""tf.train.Checkpoint, CheckpointManager, latest_checkpoint, list_variables."""

import numpy as np
import pytest

import learnet as tf


class Affine(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable([[1.0, 2.0]])
        self.b = tf.Variable([0.5])


def test_checkpoint_round_trip_of_a_module_a_model_and_an_optimizer(tmp_path):
    module = Affine()
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    optimizer = tf.keras.optimizers.Adam(0.1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(tf.ones((1, 3))))
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_weights), model.trainable_weights))
    checkpoint = tf.train.Checkpoint(module=module, model=model, optimizer=optimizer)
    path = checkpoint.save(tmp_path / "ckpt")
    assert path.endswith("ckpt-1") and tf.train.latest_checkpoint(tmp_path) == path
    saved = [w.copy() for w in model.get_weights()]
    module.w.assign([[0.0, 0.0]])
    model.layers[0].kernel.assign(np.zeros((3, 2)))
    checkpoint.restore(path).assert_consumed()
    assert module.w.numpy().tolist() == [[1.0, 2.0]]
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), saved))
    names = dict(tf.train.list_variables(tmp_path))
    assert names["module/w/.ATTRIBUTES/VARIABLE_VALUE"] == [1, 2]
    assert names["model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"] == [3, 2]
    np.testing.assert_array_equal(tf.train.load_variable(path, "module/b"), [0.5])


def test_a_fresh_object_restores_and_mismatches_are_reported(tmp_path):
    path = tf.train.Checkpoint(net=Affine()).write(tmp_path / "one")
    other = Affine()
    other.w.assign([[9.0, 9.0]])
    tf.train.Checkpoint(net=other).read(path).assert_existing_objects_matched()
    assert other.w.numpy().tolist() == [[1.0, 2.0]]
    status = tf.train.Checkpoint(net=other, extra=tf.Variable(1.0)).restore(path)
    with pytest.raises(AssertionError, match="extra"):
        status.assert_consumed()
    with pytest.raises(FileNotFoundError, match="no learnet checkpoint"):
        tf.train.Checkpoint(net=other).restore(tmp_path / "missing")


def test_checkpoint_manager_keeps_the_newest(tmp_path):
    counter = tf.Variable(0)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(counter=counter), tmp_path, max_to_keep=2)
    for _ in range(4):
        counter.assign_add(1)
        manager.save()
    assert [p.rsplit("-", 1)[1] for p in manager.checkpoints] == ["3", "4"]
    assert len(list(tmp_path.glob("*.index"))) == 2 and manager.latest_checkpoint.endswith("ckpt-4")
    again = tf.train.CheckpointManager(tf.train.Checkpoint(counter=counter), tmp_path, max_to_keep=2)
    assert again.latest_checkpoint == manager.latest_checkpoint
