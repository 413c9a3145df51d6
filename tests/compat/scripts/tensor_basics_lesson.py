# The "tensor basics" lesson of an introductory course: creating tensors, shapes and dtypes,
# arithmetic and broadcasting, reductions, reshaping, NumPy interop.
import numpy as np
import tensorflow as tf

tf.random.set_seed(0)

x = tf.constant([[1., 2., 3.], [4., 5., 6.]])
print("shape:", x.shape, "dtype:", x.dtype, "ndim:", x.ndim)
print(tf.ones((2, 3)))
print(tf.zeros([3]))
print(tf.ones_like(x), tf.zeros_like(x))
print(tf.fill([2, 2], 7.0))
print(tf.eye(3))
print(tf.range(5), tf.range(0, 10, 2))
print(tf.linspace(0.0, 1.0, 5))

r = tf.random.normal([2, 3], mean=0.0, stddev=1.0)
u = tf.random.uniform([2, 3], minval=0, maxval=1)
i = tf.random.uniform([4], minval=0, maxval=10, dtype=tf.int32)
print(r.shape, u.dtype, i.dtype)

# arithmetic
print(x + 1, x * 2, x / 2, x ** 2, -x)
print(tf.add(x, x), tf.subtract(x, 1), tf.multiply(x, x), tf.divide(x, 2.0))
print(tf.math.add(x, 1), tf.math.multiply(x, 3), tf.math.exp(x), tf.math.log(x), tf.math.sqrt(x))
print(tf.exp(x), tf.sqrt(x), tf.square(x), tf.abs(-x), tf.pow(x, 2))
print(tf.math.reduce_mean(x), tf.math.reduce_sum(x, axis=0), tf.math.reduce_std(x))

# broadcasting
row = tf.constant([10., 20., 30.])
col = tf.constant([[1.], [2.]])
print(x + row)
print(x * col)

# reductions
print(tf.reduce_sum(x), tf.reduce_sum(x, axis=1), tf.reduce_sum(x, axis=0, keepdims=True))
print(tf.reduce_mean(x, axis=1), tf.reduce_max(x), tf.reduce_min(x, axis=0), tf.reduce_prod(x))
print(tf.argmax(x, axis=1), tf.argmin(x, axis=1), tf.math.argmax(x, axis=0))

# reshaping and combining
print(tf.reshape(x, (3, 2)), tf.reshape(x, [-1]))
print(tf.transpose(x), tf.transpose(x, perm=[1, 0]))
print(tf.expand_dims(row, 0).shape, tf.expand_dims(row, axis=-1).shape)
print(tf.squeeze(tf.ones((1, 3, 1))).shape)
print(tf.concat([x, x], axis=0).shape, tf.concat([x, x], axis=1).shape)
print(tf.stack([row, row, row]).shape, tf.stack([row, row], axis=1).shape)
print(tf.unstack(x)[0], tf.split(x, 3, axis=1)[0].shape)
print(tf.tile(row, [2]), tf.gather(row, [2, 0]))

# slicing
print(x[0], x[:, 1], x[1, 2], x[:, ::-1], x[..., 0])

# matrix products
m = tf.constant([[1., 0.], [0., 2.], [1., 1.]])
print(tf.matmul(x, m), x @ m, tf.linalg.matmul(x, m), tf.tensordot(x, m, axes=1))

# dtypes
ints = tf.constant([1, 2, 3])
print(ints.dtype, tf.cast(ints, tf.float32).dtype, tf.cast(x, tf.int32))
print(tf.constant(np.arange(4)).dtype)

# comparisons, where, clipping
print(x > 2, tf.where(x > 2, x, tf.zeros_like(x)), tf.clip_by_value(x, 2.0, 5.0))
print(tf.maximum(x, 3.0), tf.minimum(x, 3.0), tf.math.equal(x, 2.0))

# one-hot and activations
labels = tf.constant([0, 2, 1])
print(tf.one_hot(labels, depth=3))
print(tf.nn.relu(x - 3), tf.nn.sigmoid(x), tf.sigmoid(x), tf.nn.softmax(x), tf.math.sigmoid(x))
print(tf.keras.activations.relu(x - 3), tf.keras.activations.sigmoid(x), tf.tanh(x), tf.nn.tanh(x))
print(tf.math.softplus(x), tf.nn.leaky_relu(x - 3, alpha=0.1), tf.nn.log_softmax(x))

# NumPy interoperability
arr = np.array([[1, 2], [3, 4]], dtype=np.float32)
t = tf.convert_to_tensor(arr)
print(t, t.numpy(), np.array(t), np.add(t, 1), np.mean(t))
print(tf.constant(arr) + arr)
print(float(tf.reduce_sum(t)), int(tf.argmax(tf.constant([3, 9, 2]))))

# Variables
v = tf.Variable(tf.zeros((2, 2)))
v.assign(tf.ones((2, 2)))
v.assign_add(tf.ones((2, 2)))
v.assign_sub(0.5 * tf.ones((2, 2)))
print(v, v.numpy(), v.shape, v.dtype, v.trainable)
print(v + 1, tf.reduce_sum(v), v * t)
w = tf.Variable(3.0, name="weight")
print(w.name, w.numpy())
print("norm:", tf.norm(tf.constant([3.0, 4.0])).numpy(), tf.linalg.norm(tf.constant([3.0, 4.0])).numpy())
print("epsilon:", tf.keras.backend.epsilon())
print("done")
