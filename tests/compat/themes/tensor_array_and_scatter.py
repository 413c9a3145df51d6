"""Theme: TensorArray in a loop, gather_nd / scatter_nd and in-place scatter updates of variables."""

import tensorflow as tf

fib = tf.TensorArray(tf.int32, size=0, dynamic_size=True, clear_after_read=False)
fib = fib.write(0, 0)
fib = fib.write(1, 1)
for i in range(2, 8):
    fib = fib.write(i, fib.read(i - 1) + fib.read(i - 2))
assert fib.stack().numpy().tolist() == [0, 1, 1, 2, 3, 5, 8, 13]
board = tf.constant([[1, 2], [3, 4], [5, 6]])
assert tf.gather_nd(board, [[2, 1], [0, 0]]).numpy().tolist() == [6, 1]
assert tf.scatter_nd([[0], [2]], [7, 9], [4]).numpy().tolist() == [7, 0, 9, 0]
counts = tf.Variable([0, 0, 0, 0])
counts.scatter_nd_add([[1], [1], [3]], [1, 1, 1])
assert counts.numpy().tolist() == [0, 2, 0, 1]
table = tf.Variable(tf.zeros((2, 2)))
table.scatter_nd_update([[0, 1]], [5.0])
assert table.numpy().tolist() == [[0.0, 5.0], [0.0, 0.0]]
print("THEME OK")
