"""Theme: studying over- and underfitting: datasets split with take/skip, cached, shuffled,
repeated and batched, a learning rate that decays with InverseTimeDecay, models of several
sizes trained for steps_per_epoch steps, a from-logits BinaryCrossentropy metric watched by
EarlyStopping, and L2 penalties and Dropout as the cures."""

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers, regularizers

tf.keras.utils.set_random_seed(85)  # the same weights and shuffles every run
rng = np.random.default_rng(85)
features = rng.normal(size=(1200, 12)).astype("float32")
labels = ((features[:, :4] ** 2).sum(axis=1) + 0.5 * rng.normal(size=1200) > 4.0).astype("float32")[:, None]
packed = tf.data.Dataset.from_tensor_slices((features, labels))
validate_ds = packed.take(200).cache()
train_ds = packed.skip(200).take(800).cache()
assert sum(1 for _ in validate_ds) == 200 and sum(1 for _ in train_ds) == 800
batch_size = 50
steps_per_epoch = 800 // batch_size

schedule = keras.optimizers.schedules.InverseTimeDecay(
    0.01, decay_steps=steps_per_epoch * 10, decay_rate=1, staircase=False
)
assert np.isclose(float(schedule(0)), 0.01) and np.isclose(float(schedule(steps_per_epoch * 10)), 0.005)
staircase = keras.optimizers.schedules.InverseTimeDecay(0.01, decay_steps=10, decay_rate=1, staircase=True)
assert np.isclose(float(staircase(9)), 0.01) and np.isclose(float(staircase(10)), 0.005)


def train(model, epochs=6):
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryCrossentropy(from_logits=True, name="binary_crossentropy"), "accuracy"],
    )
    return model.fit(
        train_ds.shuffle(800).repeat().batch(batch_size),
        steps_per_epoch=steps_per_epoch,
        epochs=epochs,
        validation_data=validate_ds.batch(batch_size),
        verbose=0,
        callbacks=[keras.callbacks.EarlyStopping(monitor="val_binary_crossentropy", patience=20)],
    )


tiny = train(keras.Sequential([keras.Input(shape=(12,)), layers.Dense(4, activation="elu"), layers.Dense(1)]))
assert {"binary_crossentropy", "val_binary_crossentropy", "accuracy", "val_accuracy"} <= set(tiny.history)
assert len(tiny.history["loss"]) == 6 and 0.0 <= tiny.history["val_accuracy"][-1] <= 1.0
large = keras.Sequential(
    [keras.Input(shape=(12,))] + [layers.Dense(64, activation="elu") for _ in range(3)] + [layers.Dense(1)]
)
large_history = train(large)
assert large_history.history["binary_crossentropy"][-1] < large_history.history["binary_crossentropy"][0]

penalized = keras.Sequential(
    [
        keras.Input(shape=(12,)),
        layers.Dense(64, activation="elu", kernel_regularizer=regularizers.l2(0.001)),
        layers.Dropout(0.5),
        layers.Dense(64, activation="elu", kernel_regularizer=regularizers.l2(0.001)),
        layers.Dropout(0.5),
        layers.Dense(1),
    ]
)
penalized_history = train(penalized)
penalty = float(tf.add_n(penalized.losses))
expected = 0.001 * sum(float(tf.reduce_sum(tf.square(layer.kernel))) for layer in penalized.layers[::2][:2])
assert np.isclose(penalty, expected, rtol=1e-4)
# With the penalty in the training loss, the loss is above the plain cross-entropy metric.
assert penalized_history.history["loss"][-1] > penalized_history.history["binary_crossentropy"][-1]
print("THEME OK")
