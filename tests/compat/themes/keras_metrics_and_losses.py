"""Theme: the built-in metrics and losses on known numbers."""

import numpy as np
import tensorflow as tf

y_true = np.array([[1.0], [2.0], [4.0]], dtype="float32")
y_pred = np.array([[1.5], [2.0], [3.0]], dtype="float32")
mape = tf.keras.metrics.MeanAbsolutePercentageError()
mape.update_state(y_true, y_pred)
assert abs(float(mape.result()) - 100 * (0.5 + 0 + 0.25) / 3) < 1e-4
assert abs(float(tf.keras.losses.MeanSquaredError()(y_true, y_pred)) - (0.25 + 0 + 1) / 3) < 1e-6
assert abs(float(tf.keras.losses.MeanAbsoluteError()(y_true, y_pred)) - 0.5) < 1e-6
huber = tf.keras.losses.Huber(delta=1.0)(y_true, y_pred)
assert abs(float(huber) - (0.125 + 0 + 0.5) / 3) < 1e-6
labels = np.array([0, 2])
probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], dtype="float32")
scce = tf.keras.losses.SparseCategoricalCrossentropy()(labels, probabilities)
assert abs(float(scce) - (-np.log(0.7) - np.log(0.6)) / 2) < 1e-5
accuracy = tf.keras.metrics.SparseCategoricalAccuracy()
accuracy.update_state(labels, probabilities)
assert float(accuracy.result()) == 1.0
precision, recall = tf.keras.metrics.Precision(), tf.keras.metrics.Recall()
for metric in (precision, recall):
    metric.update_state([1, 0, 1, 1], [1, 1, 0, 1])
assert abs(float(precision.result()) - 2 / 3) < 1e-6 and abs(float(recall.result()) - 2 / 3) < 1e-6
print("THEME OK")
