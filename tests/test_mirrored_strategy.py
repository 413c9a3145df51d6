"""tf.distribute.MirroredStrategy / OneDeviceStrategy: one replica in this process, and code
written for them (a custom loop with strategy.run and reduce, fit under scope) runs unchanged."""

import numpy as np
import pytest

import learnet as tf

RNG = np.random.default_rng(11)
X = RNG.normal(size=(64, 5)).astype("float32")
Y = RNG.integers(0, 3, size=64)


def _model():
    tf.random.set_seed(3)
    return tf.keras.Sequential(
        [
            tf.keras.Input((5,)),
            tf.keras.layers.Dense(8, activation="relu", kernel_regularizer=tf.keras.regularizers.l2(1e-3)),
            tf.keras.layers.Dense(3),
        ]
    )


def _train(strategy):
    """Two epochs of a hand-written loop, written as the distributed-training tutorials write it."""
    with strategy.scope():
        model = _model()
        optimizer = tf.keras.optimizers.SGD(0.1)
        loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")
    dataset = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices((X, Y)).batch(16))

    def step(inputs):
        features, labels = inputs
        with tf.GradientTape() as tape:
            logits = model(features, training=True)
            loss = tf.nn.compute_average_loss(loss_object(labels, logits), global_batch_size=16)
            loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    losses = []
    for _ in range(2):
        for batch in dataset:
            per_replica = strategy.run(step, args=(batch,))
            losses.append(float(strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)))
    return model, losses


def test_a_custom_loop_under_mirrored_strategy_trains_as_without_it(capsys):
    strategy = tf.distribute.MirroredStrategy()
    assert "Using MirroredStrategy with devices" in capsys.readouterr().out
    assert strategy.num_replicas_in_sync == 1
    mirrored, mirrored_losses = _train(strategy)
    plain, plain_losses = _train(tf.distribute.get_strategy())
    np.testing.assert_allclose(mirrored_losses, plain_losses, rtol=1e-6)
    for a, b in zip(mirrored.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert mirrored_losses[-1] < mirrored_losses[0]


def test_fit_under_one_device_strategy():
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    with strategy.scope():
        model = _model()
        model.compile(optimizer="adam", loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    assert len(history.history["loss"]) == 2


def test_what_the_tutorials_inspect():
    strategy = tf.distribute.MirroredStrategy(devices=["/gpu:0"], cross_device_ops=tf.distribute.NcclAllReduce())
    assert strategy.experimental_local_results(tf.constant(2.0))[0].numpy() == 2.0
    assert len(strategy.extended.worker_devices) == 1
    context = tf.distribute.get_replica_context()
    assert context.replica_id_in_sync_group == 0 and context.num_replicas_in_sync == 1
    assert float(context.all_reduce("SUM", tf.constant(3.0))) == 3.0

    def dataset_fn(input_context):
        batch = input_context.get_per_replica_batch_size(8)
        return tf.data.Dataset.from_tensor_slices(X).batch(batch)

    batches = list(strategy.distribute_datasets_from_function(dataset_fn))
    assert len(batches) == 8 and batches[0].shape == (8, 5)
    assert float(tf.nn.scale_regularization_loss([tf.constant(1.0), tf.constant(2.0)])) == 3.0


def test_several_devices_are_refused_clearly():
    with pytest.raises(ValueError, match="one replica per process"):
        tf.distribute.MirroredStrategy(devices=["cpu:0", "cpu:1"])
    assert tf.distribute.get_strategy().num_replicas_in_sync == 1
