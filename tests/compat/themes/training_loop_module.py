"""Theme: a training loop by hand on a tf.Module: tape, gradients, assign_sub."""

import numpy as np
import tensorflow as tf

rng = np.random.default_rng(3)
inputs = rng.normal(size=(200,)).astype("float32")
targets = (1.5 * inputs - 0.5 + rng.normal(scale=0.05, size=200)).astype("float32")


class Line(tf.Module):
    def __init__(self):
        super().__init__()
        self.slope = tf.Variable(0.0)
        self.intercept = tf.Variable(0.0)

    def __call__(self, x):
        return self.slope * x + self.intercept


line = Line()
losses = []
for epoch in range(60):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(line(inputs) - targets))
    d_slope, d_intercept = tape.gradient(loss, [line.slope, line.intercept])
    line.slope.assign_sub(0.1 * d_slope)
    line.intercept.assign_sub(0.1 * d_intercept)
    losses.append(float(loss))
assert losses[-1] < losses[0] / 50
assert abs(float(line.slope) - 1.5) < 0.05 and abs(float(line.intercept) + 0.5) < 0.05
print("THEME OK")
