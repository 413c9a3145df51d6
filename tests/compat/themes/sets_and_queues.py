"""Theme: tf.sets on rows of labels and a FIFO queue."""

import tensorflow as tf

predicted = tf.constant([[1, 4, 7], [2, 3, 5]])
actual = tf.constant([[4, 7, 8], [5, 6, 9]])
common = tf.sparse.to_dense(tf.sets.intersection(predicted, actual))
assert common.numpy().tolist() == [[4, 7], [5, 0]]
assert tf.sets.size(tf.sets.union(predicted, actual)).numpy().tolist() == [4, 5]
queue = tf.queue.FIFOQueue(capacity=5, dtypes=[tf.float32], shapes=[[]])
queue.enqueue_many([[1.0, 2.0, 3.0]])
queue.enqueue([4.0])
assert int(queue.size()) == 4
first = queue.dequeue()
assert float(first[0] if isinstance(first, list) else first) == 1.0
rest = queue.dequeue_many(3)
assert (rest[0] if isinstance(rest, list) else rest).numpy().tolist() == [2.0, 3.0, 4.0]
print("THEME OK")
