"""Theme: learning-rate schedules, LearningRateScheduler and ReduceLROnPlateau."""

import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(0)  # the same weights and shuffles every run

decay = tf.keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
assert abs(float(decay(20)) - 0.025) < 1e-7
steps = tf.keras.optimizers.schedules.PiecewiseConstantDecay([5, 10], [1.0, 0.5, 0.1])
assert np.allclose([float(steps(s)) for s in (0, 7, 12)], [1.0, 0.5, 0.1])
x = np.random.default_rng(19).normal(size=(64, 2)).astype("float32")
y = x.sum(axis=1, keepdims=True)
model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=0.1), loss="mse")
rates = []
scheduler = tf.keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
history = model.fit(
    x,
    y,
    epochs=3,
    verbose=0,
    callbacks=[
        scheduler,
        tf.keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: rates.append(float(model.optimizer.learning_rate))
        ),
    ],
)
assert np.allclose(rates, [0.1, 0.05, 0.1 / 3])
print("THEME OK")
