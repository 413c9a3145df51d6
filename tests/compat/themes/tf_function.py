"""Theme: tf.function with input_signature, TensorSpec and get_concrete_function."""

import tensorflow as tf


@tf.function(input_signature=[tf.TensorSpec(shape=[None, 3], dtype=tf.float32)])
def row_norms(batch):
    return tf.sqrt(tf.reduce_sum(batch * batch, axis=1))


assert row_norms(tf.constant([[3.0, 4.0, 0.0]])).numpy().tolist() == [5.0]
try:
    row_norms(tf.constant([[1.0, 2.0]]))
except (ValueError, TypeError):
    pass
else:
    raise AssertionError("a shape outside the signature must be refused")


@tf.function
def scaled(x, factor=2.0):
    return x * factor


concrete = scaled.get_concrete_function(tf.TensorSpec([2], tf.float32))
assert concrete(tf.constant([1.0, 4.0])).numpy().tolist() == [2.0, 8.0]
spec = tf.TensorSpec([None, 28, 28], tf.float32)
assert spec.shape.as_list() == [None, 28, 28] and spec.dtype == tf.float32
print("THEME OK")
