"""Theme: tf.train.Checkpoint and CheckpointManager around a module and its optimizer."""

import numpy as np
import tensorflow as tf


class Scale(tf.Module):
    def __init__(self):
        super().__init__()
        self.factor = tf.Variable(1.0)

    def __call__(self, x):
        return self.factor * x


model = Scale()
optimizer = tf.keras.optimizers.SGD(0.1)
checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
manager = tf.train.CheckpointManager(checkpoint, "training_checkpoints", max_to_keep=2)
for step in range(3):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(tf.constant([1.0, 2.0])) - tf.constant([3.0, 6.0])))
    optimizer.apply_gradients(zip(tape.gradient(loss, [model.factor]), [model.factor]))
    manager.save()
assert len(manager.checkpoints) == 2 and manager.latest_checkpoint == tf.train.latest_checkpoint("training_checkpoints")
trained = float(model.factor)
model.factor.assign(-5.0)
checkpoint.restore(manager.latest_checkpoint)
assert np.isclose(float(model.factor), trained)
restored = Scale()
tf.train.Checkpoint(model=restored).restore(manager.latest_checkpoint).expect_partial()
assert np.isclose(float(restored.factor), trained)
print("THEME OK")
