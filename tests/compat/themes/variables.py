"""Theme: variables: assign, assign_add, trainable, reading back."""

import tensorflow as tf

counter = tf.Variable(0, name="counter")
for _ in range(3):
    counter.assign_add(2)
assert int(counter) == 6 and counter.numpy() == 6
weights = tf.Variable(tf.ones((2, 2)), name="weights")
weights.assign(weights * 3.0)
weights[0, 1].assign(-1.0)
assert weights.numpy().tolist() == [[3.0, -1.0], [3.0, 3.0]]
frozen = tf.Variable(1.5, trainable=False)
assert weights.trainable and not frozen.trainable
try:
    weights.assign(tf.zeros((3, 3)))
except (ValueError, TypeError):
    pass
else:
    raise AssertionError("assigning a different shape must fail")
assert weights.shape == (2, 2)
print("THEME OK")
