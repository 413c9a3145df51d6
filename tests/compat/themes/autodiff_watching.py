"""Theme: what a GradientTape watches: trainable and non-trainable variables, a variable turned
into a tensor, constants, watch_accessed_variables=False, watched_variables, integer tensors,
gradients into a dict of sources or from a dict of targets, and of a layer's variables."""

import numpy as np
import tensorflow as tf

speed = tf.Variable(4.0, name="speed")
frozen = tf.Variable(4.0, name="frozen", trainable=False)
shifted = tf.Variable(1.0, name="shifted") + 1.0  # a plain tensor now
fixed = tf.constant(4.0, name="fixed")
with tf.GradientTape() as tape:
    distance = speed**2 + frozen**2 + shifted**2 + fixed
grads = tape.gradient(distance, [speed, frozen, shifted, fixed])
assert float(grads[0]) == 8.0 and grads[1] is None and grads[2] is None and grads[3] is None
assert [v.name.split(":")[0] for v in tape.watched_variables()] == ["speed"]

near, far = tf.Variable(0.0), tf.Variable(3.0)
with tf.GradientTape(watch_accessed_variables=False) as tape:
    tape.watch(far)
    signal = tf.math.sin(near) + tf.nn.softplus(far)
grads = tape.gradient(signal, {"near": near, "far": far})
assert grads["near"] is None and np.isclose(float(grads["far"]), 1 / (1 + np.exp(-3.0)))

start = tf.Variable(3.0, dtype=tf.float64)
with tf.GradientTape() as tape:
    square, inverse = start**2, 1 / start
both = tape.gradient({"square": square, "inverse": inverse}, start)  # the targets are summed
assert both.dtype == tf.float64 and np.isclose(float(both), 6.0 - 1.0 / 9.0)
with tf.GradientTape() as tape:
    row = start * tf.constant([2.0, 5.0], dtype=tf.float64)
assert float(tape.gradient(row, start)) == 7.0  # a non-scalar target is summed

count = tf.constant(6)
with tf.GradientTape() as tape:
    tape.watch(count)  # integers are not differentiable
    product = count * count
assert tape.gradient(product, count) is None

grid = tf.linspace(-4.0, 4.0, 9)
with tf.GradientTape() as tape:
    tape.watch(grid)
    curve = tf.nn.sigmoid(grid)
slope = tape.gradient(curve, grid).numpy()
assert np.allclose(slope, curve.numpy() * (1 - curve.numpy()), atol=1e-6) and slope.argmax() == 4

layer = tf.keras.layers.Dense(3, activation="relu")
batch = tf.constant([[0.5, -1.0], [1.5, 2.0]])
with tf.GradientTape() as tape:
    loss = tf.reduce_mean(layer(batch) ** 2, axis=None)
kernel_grad, bias_grad = tape.gradient(loss, layer.trainable_variables)
assert kernel_grad.shape == (2, 3) and bias_grad.shape == (3,)
mean_per_column = tf.reduce_mean(tf.zeros((4, 2), dtype=tf.float32), axis=0)
assert mean_per_column.shape == (2,)
print("THEME OK")
