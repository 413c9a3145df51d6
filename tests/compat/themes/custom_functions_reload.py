"""Theme: custom pieces given as functions and classes (a loss, an activation, an initializer,
a regularizer, a constraint, a Loss subclass with get_config, a Regularizer subclass, a
Lambda layer, a streaming Metric) trained with; a model with a custom loss and metric saved in a .keras file and reloaded with custom_objects; Variables assigned in slices; a float64 tensor cast to float32."""

import numpy as np
import tensorflow as tf
from tensorflow import keras

keras.backend.clear_session()
tf.keras.utils.set_random_seed(50)  # the same weights and shuffles every run
rng = np.random.default_rng(50)
features = rng.normal(size=(400, 6)).astype("float32")
values = (np.abs(features[:, :1] * 1.5 + features[:, 1:2]) + 0.2 * rng.normal(size=(400, 1))).astype("float32")

matrix = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
assert matrix[..., 1, tf.newaxis].shape == (2, 1) and matrix[:, 1:].numpy().tolist() == [[2, 3], [5, 6]]
assert np.array_equal(np.square(matrix), tf.square(matrix).numpy())
wide = tf.constant(40.0, dtype=tf.float64)
assert float(tf.constant(2.0) + tf.cast(wide, tf.float32)) == 42.0
board = tf.Variable([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
board.assign(2 * board)
board[0, 1].assign(42.0)
board[:, 2].assign([0.0, 1.0])
assert board.numpy().tolist() == [[2.0, 42.0, 0.0], [8.0, 10.0, 1.0]]


def pinball(y_true, y_pred):
    error = y_true - y_pred
    return tf.reduce_mean(tf.where(error >= 0, 0.7 * error, -0.3 * error), axis=-1)


def smooth_relu(z):
    return tf.math.log(tf.exp(z) + 1.0)


def narrow_normal(shape, dtype=tf.float32):
    return tf.random.normal(shape, stddev=tf.sqrt(1.0 / (shape[0] + shape[1])), dtype=dtype)


def light_l1(weights):
    return tf.reduce_sum(tf.abs(0.001 * weights))


def non_negative(weights):
    return tf.where(weights < 0.0, tf.zeros_like(weights), weights)


class ScaledAbsoluteLoss(keras.losses.Loss):
    def __init__(self, scale=1.0, **kwargs):
        self.scale = scale
        super().__init__(**kwargs)

    def call(self, y_true, y_pred):
        return self.scale * tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


class SquarePenalty(keras.regularizers.Regularizer):
    def __init__(self, factor):
        self.factor = factor

    def __call__(self, weights):
        return self.factor * tf.reduce_sum(tf.square(weights))

    def get_config(self):
        return {"factor": self.factor}


class RunningRate(keras.metrics.Metric):
    """The share of predictions within 0.5 of the target, over every batch seen."""

    def __init__(self, name="within_half", **kwargs):
        super().__init__(name=name, **kwargs)
        self.hits = self.add_weight(name="hits", initializer="zeros")
        self.seen = self.add_weight(name="seen", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        close = tf.cast(tf.abs(y_true - y_pred) < 0.5, tf.float32)
        self.hits.assign_add(tf.reduce_sum(close))
        self.seen.assign_add(tf.cast(tf.size(close), tf.float32))

    def result(self):
        return self.hits / self.seen


def build(functions=True):
    if functions:
        first = keras.layers.Dense(
            16, activation="selu", kernel_initializer="lecun_normal", kernel_regularizer=SquarePenalty(0.001)
        )
        last = keras.layers.Dense(
            1,
            activation=smooth_relu,
            kernel_initializer=narrow_normal,
            kernel_regularizer=light_l1,
            kernel_constraint=non_negative,
        )
    else:
        first = keras.layers.Dense(
            16, activation="selu", kernel_initializer="lecun_normal", kernel_regularizer=keras.regularizers.l2(0.001)
        )
        last = keras.layers.Dense(1, activation="softplus")
    return keras.Sequential([keras.Input(shape=(6,)), first, last])


model = build()
model.compile(loss=pinball, optimizer="nadam", metrics=["mae", RunningRate()])
history = model.fit(features, values, epochs=4, verbose=0)
assert sorted(history.history) == ["loss", "mae", "within_half"]
assert history.history["loss"][-1] < history.history["loss"][0]
assert float(tf.reduce_min(model.layers[-1].kernel)) >= 0.0
assert len(model.losses) == 2  # both kernel penalties
halved = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Lambda(lambda x: x * 0.5)])
assert np.allclose(halved(features[:2]).numpy(), features[:2] * 0.5)

saved = build(functions=False)
saved.compile(loss=pinball, optimizer="nadam", metrics=[RunningRate()])
saved.fit(features, values, epochs=1, verbose=0)
saved.save("pinball.keras")
objects = {"pinball": pinball, "RunningRate": RunningRate}
reloaded = keras.models.load_model("pinball.keras", custom_objects=objects)
assert np.allclose(reloaded.predict(features[:5], verbose=0), saved.predict(features[:5], verbose=0), atol=1e-6)
reloaded.fit(features, values, epochs=1, verbose=0)

scaled = build(functions=False)
scaled.compile(loss=ScaledAbsoluteLoss(2.0), optimizer="nadam")
scaled.fit(features, values, epochs=1, verbose=0)
scaled.save("scaled.keras")
objects.update(ScaledAbsoluteLoss=ScaledAbsoluteLoss)
again = keras.models.load_model("scaled.keras", custom_objects=objects)
assert again.loss.scale == 2.0

rate = RunningRate()
rate.update_state(tf.constant([1.0, 2.0]), tf.constant([1.2, 3.0]))
assert float(rate.result()) == 0.5
rate.update_state(tf.constant([0.0, 0.0]), tf.constant([0.1, 0.1]))
assert float(rate.result()) == 0.75
precision = keras.metrics.Precision()
precision.update_state([0, 1, 1, 1, 0, 1, 0, 1], [1, 1, 0, 1, 0, 1, 0, 1])
assert np.isclose(float(precision.result()), 0.8)
precision.update_state([0, 1, 0, 0, 1, 0, 1, 1], [1, 0, 1, 1, 0, 0, 0, 0])
assert np.isclose(float(precision.result()), 0.5)
precision.reset_state()
assert float(precision.result()) == 0.0
assert keras.activations.serialize(keras.activations.get("relu")) == "relu"
print("THEME OK")
