"""Freed arrays are kept for the next step: no page faults per step once training runs.

glibc gives the freed top of its heap back to the system after each step by default, and
every page of the next step's arrays is then faulted in again (a third of a convnet
step's time). ``backend.keep_freed_memory`` (called by ``fit``, the ``*_on_batch``
methods and ``GradientTape.gradient``) stops that. Counted in minor page faults, which
do not depend on the machine's speed.
"""

import subprocess
import sys

import pytest

LOOP = """
import resource, sys
import numpy as np
import learnet as tf

layers = tf.keras.layers
model = tf.keras.Sequential([tf.keras.Input((28, 28, 1)), layers.Conv2D(16, 3, activation="relu"),
                             layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(10)])
optimizer = tf.keras.optimizers.Adam()
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
rng = np.random.default_rng(0)
x, y = rng.random((64, 28, 28, 1), np.float32), rng.integers(0, 10, 64)

def step():
    if sys.argv[1] == "tape":
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
    else:
        model.train_on_batch(x, y)

if sys.argv[1] != "tape":
    model.compile(optimizer, loss_fn)
for _ in range(5):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
@pytest.mark.parametrize("loop", ["tape", "train_on_batch"])
def test_a_training_loop_does_not_fault_its_arrays_in_every_step(loop):
    # Each step allocates about 9 MB of arrays (2.7 MB activations and gradients): 2,000
    # page faults a step when the allocator gives them back.
    done = subprocess.run([sys.executable, "-c", LOOP, loop], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    faults = float(done.stdout.split()[-1])
    assert faults < 50, f"{faults} page faults per step"
