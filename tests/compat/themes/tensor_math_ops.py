"""Theme: the tensor operations a first lesson walks through: elementwise math, reductions,
argmin/argmax, reshaping (expand_dims, squeeze, tile, split, unstack, transpose), gather,
one_hot, tensordot, norms, activations, dtypes, broadcasting and random tensors."""

import numpy as np
import tensorflow as tf

tf.random.set_seed(3)
prices = tf.constant([[4.0, 1.0, 9.0], [2.0, 8.0, 3.0]])
counts = tf.constant([[1.0, 2.0, 1.0], [3.0, 1.0, 2.0]])
assert tf.add(prices, counts).numpy().tolist() == [[5, 3, 10], [5, 9, 5]]
assert tf.subtract(prices, counts).numpy()[1].tolist() == [-1.0, 7.0, 1.0]
assert tf.multiply(prices, counts).numpy()[0].tolist() == [4.0, 2.0, 9.0]
assert tf.math.multiply(prices, 2.0).numpy()[0, 0] == 8.0 and tf.math.add(prices, 1.0).numpy()[0, 1] == 2.0
assert np.allclose(tf.divide(prices, counts).numpy()[1], [2.0 / 3.0, 8.0, 1.5])
assert tf.pow(counts, 2).numpy()[1].tolist() == [9.0, 1.0, 4.0]
assert tf.minimum(prices, counts).numpy().tolist() == [[1, 1, 1], [2, 1, 2]]
assert np.allclose(tf.math.sqrt(prices).numpy()[0], [2.0, 1.0, 3.0])
assert np.allclose(tf.math.exp(tf.zeros_like(prices)).numpy(), 1.0) and tf.ones_like(counts).shape == (2, 3)
assert tf.math.equal(prices, tf.constant(8.0)).numpy().tolist() == [[False] * 3, [False, True, False]]

# reductions and positions
assert float(tf.math.reduce_sum(prices)) == 27.0 and tf.reduce_sum(prices, keepdims=True).shape == (1, 1)
assert tf.math.reduce_sum(prices, axis=1).numpy().tolist() == [14.0, 13.0]
assert tf.reduce_mean(prices, axis=0).numpy().tolist() == [3.0, 4.5, 6.0] and float(tf.math.reduce_mean(prices)) == 4.5
assert tf.reduce_min(prices, axis=1).numpy().tolist() == [1.0, 2.0] and float(tf.reduce_min(prices)) == 1.0
assert float(tf.reduce_prod(counts)) == 12.0
assert np.isclose(float(tf.math.reduce_std(tf.constant([1.0, 3.0]))), 1.0)
assert tf.argmax(prices, axis=1).numpy().tolist() == [2, 1] and tf.math.argmax(prices).numpy().tolist() == [0, 1, 0]
assert tf.argmin(prices, axis=1).numpy().tolist() == [1, 0] and tf.argmin(prices).numpy().tolist() == [1, 0, 1]

# making and reshaping
assert tf.eye(3).numpy().trace() == 3.0 and tf.fill([2, 2], 7).numpy().tolist() == [[7, 7], [7, 7]]
assert np.allclose(tf.linspace(0.0, 1.0, 5).numpy(), [0.0, 0.25, 0.5, 0.75, 1.0])
assert tf.expand_dims(prices, axis=0).shape == (1, 2, 3) and tf.expand_dims(prices, -1).shape == (2, 3, 1)
assert tf.squeeze(tf.zeros((1, 3, 1))).shape == (3,)
assert tf.tile(tf.constant([[1, 2]]), [2, 3]).numpy().tolist() == [[1, 2, 1, 2, 1, 2]] * 2
left, right = tf.split(tf.range(6), 2)
assert left.numpy().tolist() == [0, 1, 2] and right.numpy().tolist() == [3, 4, 5]
assert [part.shape for part in tf.split(prices, [1, 2], axis=1)] == [(2, 1), (2, 2)]
first_row, second_row = tf.unstack(prices)
assert second_row.numpy().tolist() == [2.0, 8.0, 3.0]
assert tf.stack([first_row, second_row], axis=1).shape == (3, 2)
cube = tf.reshape(tf.range(24), (2, 3, 4))
assert tf.transpose(cube, perm=[2, 0, 1]).shape == (4, 2, 3)
assert tf.gather(tf.constant([10, 20, 30, 40]), [3, 0]).numpy().tolist() == [40, 10]
assert tf.one_hot([2, 0], depth=3).numpy().tolist() == [[0, 0, 1], [1, 0, 0]]
assert prices[:, tf.newaxis].shape == (2, 1, 3)
assert tf.broadcast_to(tf.constant([1, 2, 3]), [2, 3]).numpy().tolist() == [[1, 2, 3], [1, 2, 3]]

# products and norms
assert np.allclose(tf.tensordot(prices, counts, axes=[[1], [1]]).numpy(), prices.numpy() @ counts.numpy().T)
assert float(tf.tensordot(tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0]), axes=1)) == 11.0
assert np.allclose(tf.linalg.matmul(prices, counts, transpose_b=True).numpy(), prices.numpy() @ counts.numpy().T)
assert float(tf.norm(tf.constant([3.0, 4.0]))) == 5.0 and float(tf.linalg.norm(tf.constant([6.0, 8.0]))) == 10.0

# activations
scores = tf.constant([-2.0, 0.0, 2.0])
assert np.allclose(tf.nn.sigmoid(scores).numpy(), 1 / (1 + np.exp([2.0, 0.0, -2.0])))
assert np.allclose(tf.math.sigmoid(scores).numpy(), tf.keras.activations.sigmoid(scores).numpy())
assert np.allclose(tf.nn.tanh(scores).numpy(), np.tanh([-2.0, 0.0, 2.0])) and tf.tanh(scores).shape == (3,)
assert np.allclose(tf.nn.softplus(scores).numpy(), np.log1p(np.exp([-2.0, 0.0, 2.0])))
assert np.allclose(tf.math.softplus(scores).numpy(), tf.nn.softplus(scores).numpy())
assert np.allclose(tf.nn.leaky_relu(scores, alpha=0.1).numpy(), [-0.2, 0.0, 2.0])
assert tf.keras.activations.relu(scores).numpy().tolist() == [0.0, 0.0, 2.0]
probabilities = tf.nn.softmax(scores)
assert np.isclose(float(tf.reduce_sum(probabilities)), 1.0)
assert np.allclose(tf.nn.log_softmax(scores).numpy(), np.log(probabilities.numpy()), atol=1e-6)
assert tf.keras.backend.epsilon() == 1e-07

# dtypes, conversion, random tensors
wide = tf.constant([1.5, 2.5], dtype=tf.float64)
assert wide.dtype == tf.float64 and tf.cast(wide, dtype=tf.float16).dtype == tf.float16
assert tf.cast(tf.constant([1.7, -1.7]), tf.int32).numpy().tolist() == [1, -1]
assert tf.convert_to_tensor(np.arange(3)).shape == (3,) and tf.shape(prices).numpy().tolist() == [2, 3]
noise = tf.random.normal((4000,), mean=5.0, stddev=0.5)
assert abs(float(tf.reduce_mean(noise)) - 5.0) < 0.05 and abs(float(tf.math.reduce_std(noise)) - 0.5) < 0.05
dice = tf.random.uniform((500,), minval=1, maxval=7, dtype=tf.int32)
assert dice.dtype == tf.int32 and 1 <= int(tf.reduce_min(dice)) and int(tf.reduce_max(dice)) <= 6
assert isinstance(tf.config.list_physical_devices("GPU"), list)
with tf.device("/CPU:0"):
    assert float(tf.reduce_sum(tf.ones((2, 2)))) == 4.0
print("THEME OK")
