"""Theme: models from first principles: zeros/ones/random tensors, a Variable made from an
initial value and updated in place, a second derivative (position -> speed -> acceleration),
a linear regression and a linear classifier trained by hand with a tape, then the same with
keras: a one-unit Dense, RMSprop, loss and metric objects, a shuffled validation split."""

import numpy as np
import tensorflow as tf
from tensorflow import keras

tf.keras.utils.set_random_seed(90)  # the same weights and shuffles every run
assert tf.ones(shape=(2, 1)).numpy().tolist() == [[1.0], [1.0]] and tf.zeros(shape=(1, 2)).shape == (1, 2)
bell = tf.random.normal(shape=(2000,), mean=1.0, stddev=2.0)
flat = tf.random.uniform(shape=(2000,), minval=0.0, maxval=1.0)
assert abs(float(tf.reduce_mean(bell)) - 1.0) < 0.2 and 0.0 <= float(tf.reduce_min(flat)) < 1.0
holder = tf.Variable(initial_value=tf.zeros(shape=(3, 1)))
holder.assign(tf.ones((3, 1)))
holder[0, 0].assign(5.0)
holder.assign_add(tf.ones((3, 1)))
assert holder.numpy()[:, 0].tolist() == [6.0, 2.0, 2.0]

clock = tf.Variable(2.0)
with tf.GradientTape() as outer:
    with tf.GradientTape() as inner:
        height = 4.9 * clock**2
    speed = inner.gradient(height, clock)
acceleration = outer.gradient(speed, clock)
assert np.isclose(float(speed), 19.6) and np.isclose(float(acceleration), 9.8)

# a line fitted by plain gradient descent
rng = np.random.default_rng(90)
xs = rng.random(200).astype("float32")
ys = (4.0 * xs - 1.5 + 0.05 * rng.normal(size=200)).astype("float32")
slope, intercept = tf.Variable(0.0), tf.Variable(0.0)
for _ in range(600):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(slope * xs + intercept - ys))
    d_slope, d_intercept = tape.gradient(loss, [slope, intercept])
    slope.assign_sub(0.5 * d_slope)
    intercept.assign_sub(0.5 * d_intercept)
assert abs(float(slope) - 4.0) < 0.1 and abs(float(intercept) + 1.5) < 0.1
line = keras.Sequential([keras.layers.Dense(units=1, input_shape=[1])])
line.compile(optimizer=keras.optimizers.SGD(learning_rate=0.3), loss="mse")
line.fit(xs, ys, epochs=60, verbose=0)
kernel, bias = line.layers[0].get_weights()
assert abs(kernel[0, 0] - 4.0) < 0.2 and abs(bias[0] + 1.5) < 0.2

# two clouds of points and a linear classifier, by hand then with keras
count = 500
negatives = rng.multivariate_normal(mean=[0, 3], cov=[[1, 0.5], [0.5, 1]], size=count)
positives = rng.multivariate_normal(mean=[3, 0], cov=[[1, 0.5], [0.5, 1]], size=count)
points = np.vstack((negatives, positives)).astype(np.float32)
labels = np.vstack((np.zeros((count, 1), dtype="float32"), np.ones((count, 1), dtype="float32")))
W = tf.Variable(initial_value=tf.random.uniform(shape=(2, 1)))
b = tf.Variable(initial_value=tf.zeros(shape=(1,)))
for step in range(40):
    with tf.GradientTape() as tape:
        predictions = tf.matmul(points, W) + b
        loss = tf.reduce_mean(tf.square(labels - predictions))
    grad_W, grad_b = tape.gradient(loss, [W, b])
    W.assign_sub(grad_W * 0.1)
    b.assign_sub(grad_b * 0.1)
by_hand = float(np.mean(((tf.matmul(points, W) + b).numpy() > 0.5) == labels))
assert by_hand > 0.9, by_hand

order = rng.permutation(len(points))
points, labels = points[order], labels[order]
split = int(0.3 * len(points))
model = keras.Sequential([keras.layers.Dense(1)])
model.compile(
    optimizer=keras.optimizers.RMSprop(learning_rate=0.02),
    loss=keras.losses.MeanSquaredError(),
    metrics=[keras.metrics.BinaryAccuracy()],
)
history = model.fit(
    points[split:], labels[split:], epochs=5, batch_size=16, validation_data=(points[:split], labels[:split]), verbose=0
)
assert history.history["val_binary_accuracy"][-1] > 0.9
loss, accuracy = model.evaluate(points[:split], labels[:split], batch_size=128, verbose=0)
assert accuracy > 0.9 and model.predict(points[:10], batch_size=4, verbose=0).shape == (10, 1)
print("THEME OK")
