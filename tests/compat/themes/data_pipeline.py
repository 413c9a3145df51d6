"""Theme: tf.data pipelines: from_tensor_slices, map, shuffle, batch, prefetch, and fit on them."""

import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(0)  # the same weights and shuffles every run

values = np.arange(10, dtype="float32")
doubled = tf.data.Dataset.from_tensor_slices(values).map(lambda v: v * 2).batch(4)
assert [b.numpy().tolist() for b in doubled] == [[0, 2, 4, 6], [8, 10, 12, 14], [16, 18]]
assert [int(v) for v in tf.data.Dataset.range(5).filter(lambda v: v % 2 == 0)] == [0, 2, 4]
pairs = tf.data.Dataset.from_tensor_slices((values[:, None], values[:, None] * 3))
pairs = pairs.shuffle(10, seed=2).batch(5).prefetch(tf.data.AUTOTUNE)
first_x, first_y = next(iter(pairs))
assert np.allclose(first_y.numpy(), first_x.numpy() * 3) and first_x.shape == (5, 1)
model = tf.keras.Sequential([tf.keras.Input((1,)), tf.keras.layers.Dense(1)])
model.compile(optimizer=tf.keras.optimizers.SGD(0.01), loss="mse")
history = model.fit(pairs, epochs=5, verbose=0)
assert len(history.history["loss"]) == 5 and history.history["loss"][-1] < history.history["loss"][0]
print("THEME OK")
