"""A tf.function keeps nothing of what its body computed once it returns.

On a new kind of input learnet notes the variables the body reads (the captures TensorFlow's
trace would have), through a listener that stands in for a tape. The listener must keep only
those variables: TensorFlow's distributed training tutorial runs a whole epoch inside one
``tf.function``, and keeping every output the body computed held the epoch's activations
(18 GB before the process was killed).
"""

import tracemalloc

import numpy as np

import learnet as tf


def test_a_loop_inside_a_function_keeps_no_activations():
    w = tf.Variable(np.ones((256, 256), np.float32) * 0.01)
    x = tf.constant(np.ones((1024, 256), np.float32))

    @tf.function
    def epoch(x):
        total = 0.0
        for _ in range(40):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.nn.relu(tf.matmul(x, w)))  # 1 MiB of activations a step
            w.assign_sub(1e-3 * tape.gradient(loss, w))
            total += loss
        return total

    tracemalloc.start()
    try:
        epoch(x)  # a new trace: the captures are noted
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 12 * 2**20, f"{peak / 2**20:.0f} MiB held during 40 steps of 1 MiB each"
    printed = epoch.pretty_printed_concrete_signatures()
    assert printed.split("Captures:")[1].count("dtype=tf.resource") == 1  # w, as TensorFlow lists it


def test_the_variables_read_are_still_noted_once_each_in_order():
    a, b = tf.Variable(1.0), tf.Variable(2.0)

    @tf.function
    def f(x):
        y = b * x  # b first
        return a * y + b * a

    f(tf.constant(3.0))
    captures = f.pretty_printed_concrete_signatures().split("Captures:")[1]
    assert captures.count("dtype=tf.resource") == 2, captures
    assert captures.index(str(id(b))) < captures.index(str(id(a)))  # in the order first read
