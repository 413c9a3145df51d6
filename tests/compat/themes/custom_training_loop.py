"""Theme: a training loop written by hand: dataset batches, tape, optimizer, metrics objects."""

import numpy as np
import tensorflow as tf

rng = np.random.default_rng(13)
x = rng.normal(size=(512, 5)).astype("float32")
y = (x[:, 0] * x[:, 1] > 0).astype("int64")
batches = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(512, seed=1).batch(64)
model = tf.keras.Sequential(
    [tf.keras.Input((5,)), tf.keras.layers.Dense(32, activation="relu"), tf.keras.layers.Dense(2)]
)
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = tf.keras.optimizers.Adam(learning_rate=0.01)
accuracy = tf.keras.metrics.SparseCategoricalAccuracy()
mean_loss = tf.keras.metrics.Mean()
epoch_accuracy = []
for epoch in range(12):
    accuracy.reset_state()
    mean_loss.reset_state()
    for x_batch, y_batch in batches:
        with tf.GradientTape() as tape:
            logits = model(x_batch, training=True)
            loss = loss_fn(y_batch, logits)
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        accuracy.update_state(y_batch, logits)
        mean_loss.update_state(loss)
    epoch_accuracy.append(float(accuracy.result()))
assert epoch_accuracy[-1] > 0.8 and epoch_accuracy[-1] > epoch_accuracy[0]
assert int(optimizer.iterations) == 12 * 8
print("THEME OK")
