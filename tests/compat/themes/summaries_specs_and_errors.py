"""Theme: a custom loop logged with tf.summary (scalars, a histogram, text, images) and read
back from the event files; a dataset's element_spec and TensorSpec printing; tf.errors
caught when float32 and float64 tensors meet; string tensors joined with +; a layer with an
activation, initializer and constraint of our own (registered) and our own Regularizer,
saved in a .keras file and reloaded."""

import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow import keras

rng = np.random.default_rng(7)
inputs = rng.normal(size=(64, 5)).astype("float32")
targets = (inputs @ rng.normal(size=(5, 1))).astype("float32")

# --- the data's structure -------------------------------------------------------------------
pairs = tf.data.Dataset.from_tensor_slices((inputs, targets))
assert pairs.element_spec == (tf.TensorSpec((5,), tf.float32), tf.TensorSpec((1,), tf.float32))
batches = pairs.shuffle(64, seed=1).batch(16)
assert str(batches.element_spec[0]) == "TensorSpec(shape=(None, 5), dtype=tf.float32, name=None)"
assert pairs.batch(16, drop_remainder=True).element_spec[1].shape == (16, 1)
assert tf.data.Dataset.range(4).element_spec == tf.TensorSpec(shape=(), dtype=tf.int64)
assert {tf.TensorSpec((None, 5)): "features"}[tf.TensorSpec([None, 5], tf.float32)] == "features"

# --- a custom loop, logged ---------------------------------------------------------------------
log_folder = tempfile.mkdtemp()
writer = tf.summary.create_file_writer(os.path.join(log_folder, "train"))
model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1)])
optimizer = keras.optimizers.SGD(0.05)
step = 0
with writer.as_default():
    for epoch in range(3):
        for x_batch, y_batch in batches:
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(model(x_batch) - y_batch))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            tf.summary.scalar("loss", loss, step=step)
            step += 1
        tf.summary.histogram("kernel", model.layers[0].kernel, step=epoch)
    tf.summary.text("notes", "plain SGD, learning rate 0.05", step=0)
    tf.summary.image("inputs", np.clip(inputs[:2].reshape(2, 1, 5, 1) * 0.2 + 0.5, 0, 1), step=0, max_outputs=2)
    writer.flush()
assert not tf.summary.scalar("outside", 1.0, step=0)
event_files = os.listdir(os.path.join(log_folder, "train"))
assert len(event_files) >= 1 and all(name.startswith("events.out.tfevents") for name in event_files)
assert os.path.getsize(os.path.join(log_folder, "train", event_files[0])) > 0

# --- errors TensorFlow code catches ---------------------------------------------------------
single = tf.constant([1.0, 2.0])
double = tf.constant([1.0, 2.0], dtype=tf.float64)
try:
    single + double
    raise AssertionError("float32 + float64 should be refused")
except tf.errors.InvalidArgumentError:
    pass
assert (single + tf.cast(double, tf.float32)).dtype == tf.float32
assert (single + np.array([1.0, 1.0])).dtype == tf.float32
assert issubclass(tf.errors.InvalidArgumentError, tf.errors.OpError)

# --- strings ---------------------------------------------------------------------------------
greeting = tf.constant("deep ") + tf.constant("learning")
assert greeting.numpy() == b"deep learning"
assert (tf.constant(["a", "b"]) + "!").numpy().tolist() == [b"a!", b"b!"]


# --- our own functions in a saved model ---------------------------------------------------------
@keras.utils.register_keras_serializable(package="Theme")
def leaky_double(x):
    return tf.maximum(2.0 * x, 0.1 * x)


@keras.utils.register_keras_serializable(package="Theme")
def tiny_uniform(shape, dtype=None):
    return tf.random.uniform(shape, -0.05, 0.05, seed=3)


@keras.utils.register_keras_serializable(package="Theme")
def bounded(weights):
    return tf.clip_by_value(weights, -1.0, 1.0)


class CenterPenalty(keras.regularizers.Regularizer):
    def __init__(self, strength=0.01):
        self.strength = strength

    def __call__(self, weights):
        return self.strength * tf.reduce_sum(tf.square(weights))

    def get_config(self):
        return {"strength": self.strength}


custom = keras.Sequential(
    [
        keras.Input((5,)),
        keras.layers.Dense(
            4,
            activation=leaky_double,
            kernel_initializer=tiny_uniform,
            kernel_constraint=bounded,
            kernel_regularizer=CenterPenalty(0.02),
        ),
        keras.layers.Dense(1),
    ]
)
custom.compile(optimizer="adam", loss="mse")
custom.fit(inputs, targets, epochs=1, verbose=0)
path = os.path.join(tempfile.mkdtemp(), "custom.keras")
custom.save(path)
reloaded = keras.models.load_model(path, custom_objects={"CenterPenalty": CenterPenalty})
assert reloaded.layers[0].activation is leaky_double
assert isinstance(reloaded.layers[0].kernel_regularizer, CenterPenalty)
assert reloaded.layers[0].kernel_regularizer.strength == 0.02
np.testing.assert_allclose(reloaded.predict(inputs[:4], verbose=0), custom.predict(inputs[:4], verbose=0), rtol=1e-5)
print("THEME OK")
