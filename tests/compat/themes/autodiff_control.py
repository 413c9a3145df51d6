"""Theme: gradients through Python control flow, stop_gradient and unconnected sources."""

import tensorflow as tf

x = tf.Variable(2.0)
unused = tf.Variable(5.0)
with tf.GradientTape() as tape:
    result = x
    for step in range(3):
        result = result * x if step % 2 == 0 else result + x
    frozen = tf.stop_gradient(x * 100.0)
    total = result + frozen
# result = ((x*x) + x) * x = x^3 + x^2, derivative 3x^2 + 2x = 16
grad_x, grad_unused = tape.gradient(total, [x, unused])
assert float(grad_x) == 16.0 and grad_unused is None
with tf.GradientTape() as tape:
    y = x * 2.0
zero = tape.gradient(y, unused, unconnected_gradients=tf.UnconnectedGradients.ZERO)
assert float(zero) == 0.0
print("THEME OK")
