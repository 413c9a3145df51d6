"""Theme: making tensors, their shape and dtype, arithmetic and NumPy round trips."""

import numpy as np
import tensorflow as tf

grid = tf.constant([[2.0, 4.0, 6.0], [1.0, 3.0, 5.0]])
assert grid.shape == (2, 3) and grid.dtype == tf.float32 and tf.rank(grid).numpy() == 2
assert tf.constant([7, 8]).dtype == tf.int32
halves = tf.cast(grid, tf.int32) // 2
assert halves.numpy().tolist() == [[1, 2, 3], [0, 1, 2]]
column_sums = tf.reduce_sum(grid, axis=0)
assert column_sums.numpy().tolist() == [3.0, 7.0, 11.0]
assert np.allclose((grid @ tf.transpose(grid)).numpy(), np.array(grid) @ np.array(grid).T)
row = tf.reshape(tf.range(6), [2, 3])
assert (row + tf.constant([10, 20, 30])).numpy()[1].tolist() == [13, 24, 35]  # broadcasting
assert tf.reduce_max(grid).numpy() == 6.0 and int(tf.argmax(grid[1])) == 2
as_array = np.array(grid) * 2
assert isinstance(as_array, np.ndarray) and as_array[0, 2] == 12.0
assert tf.concat([grid, grid], axis=0).shape == (4, 3) and tf.stack([grid, grid]).shape == (2, 2, 3)
print("THEME OK")
