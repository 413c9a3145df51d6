"""Theme: Dropout, BatchNormalization and L2 penalties: training vs inference behaviour."""

import numpy as np
import tensorflow as tf

dropout = tf.keras.layers.Dropout(0.5, seed=1)
ones = tf.ones((4, 10))
assert np.array_equal(dropout(ones, training=False).numpy(), ones.numpy())
dropped = dropout(ones, training=True).numpy()
assert set(np.unique(dropped)) <= {0.0, 2.0} and 0 < (dropped == 0).sum() < 40
norm = tf.keras.layers.BatchNormalization()
batch = tf.constant(np.random.default_rng(17).normal(5.0, 3.0, size=(64, 2)).astype("float32"))
normalized = norm(batch, training=True).numpy()
assert np.allclose(normalized.mean(axis=0), 0, atol=1e-4) and np.allclose(normalized.std(axis=0), 1, atol=1e-2)
assert len(norm.non_trainable_weights) == 2
penalized = tf.keras.layers.Dense(3, kernel_regularizer=tf.keras.regularizers.l2(0.1))
model = tf.keras.Sequential([tf.keras.Input((2,)), penalized])
model(tf.ones((1, 2)))
expected = 0.1 * float(tf.reduce_sum(tf.square(penalized.kernel)))
assert abs(float(tf.add_n(model.losses)) - expected) < 1e-5
print("THEME OK")
