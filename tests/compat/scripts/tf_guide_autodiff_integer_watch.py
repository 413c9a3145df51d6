# TensorFlow guide "Introduction to gradients": integers are not differentiable
# (TensorFlow warns "The dtype of the watched tensor must be floating" and returns None).
import tensorflow as tf

x = tf.constant(10)

with tf.GradientTape() as g:
  g.watch(x)
  y = x * x

print(g.gradient(y, x))
