"""Theme: sparse tensors, as the tensors guide introduces them."""

import tensorflow as tf

ratings = tf.sparse.SparseTensor(indices=[[0, 2], [1, 0], [3, 1]], values=[4.0, 5.0, 1.0], dense_shape=[4, 3])
dense = tf.sparse.to_dense(ratings)
assert dense.shape == (4, 3) and float(tf.reduce_sum(dense)) == 10.0 and float(dense[1, 0]) == 5.0
weights = tf.constant([[1.0], [2.0], [3.0]])
scores = tf.sparse.sparse_dense_matmul(ratings, weights)
assert scores.numpy().ravel().tolist() == [12.0, 5.0, 0.0, 2.0]
again = tf.sparse.from_dense(dense)
assert again.indices.numpy().tolist() == [[0, 2], [1, 0], [3, 1]]
assert tf.sparse.reduce_sum(ratings, axis=0).numpy().tolist() == [5.0, 1.0, 4.0]
print("THEME OK")
