"""Theme: subclassing keras.losses.Loss and keras.metrics.Metric."""

import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(0)  # the same weights and shuffles every run


class ScaledHuber(tf.keras.losses.Loss):
    def __init__(self, threshold=1.0, **kwargs):
        super().__init__(**kwargs)
        self.threshold = threshold

    def call(self, y_true, y_pred):
        error = y_true - y_pred
        small = tf.abs(error) < self.threshold
        return tf.where(small, tf.square(error) / 2, self.threshold * tf.abs(error) - self.threshold**2 / 2)


class MeanAbsoluteCount(tf.keras.metrics.Metric):
    def __init__(self, name="abs_total", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_weight(name="total", initializer="zeros")
        self.count = self.add_weight(name="count", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(tf.reduce_sum(tf.abs(y_true - y_pred)))
        self.count.assign_add(tf.cast(tf.size(y_true), tf.float32))

    def result(self):
        return self.total / self.count


loss = ScaledHuber(threshold=2.0)
assert abs(float(loss(tf.constant([[0.0], [0.0]]), tf.constant([[1.0], [3.0]]))) - (0.5 + 4.0) / 2) < 1e-6
metric = MeanAbsoluteCount()
metric.update_state(tf.constant([1.0, 2.0]), tf.constant([2.0, 2.0]))
metric.update_state(tf.constant([0.0]), tf.constant([3.0]))
assert abs(float(metric.result()) - 4.0 / 3) < 1e-6
metric.reset_state()
assert float(metric.total) == 0.0
x = np.random.default_rng(8).normal(size=(200, 2)).astype("float32")
model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss=ScaledHuber(2.0), metrics=[MeanAbsoluteCount()])
history = model.fit(x, x[:, :1] * 3, epochs=3, verbose=0)
assert sorted(history.history) == ["abs_total", "loss"]
print("THEME OK")
