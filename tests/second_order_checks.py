"""What the second-order tests share: a nested tape's second derivatives through an op
against central differences of its first gradients (``learnet.testing.check_gradients``),
in float64. Imported by tests/test_second_order_fused.py and tests/test_second_order_more.py."""

import numpy as np

import learnet as tf
from learnet.testing import check_gradients

RTOL, ATOL = 1e-4, 1e-6


def random(shape, seed, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def constant(array):
    return tf.constant(array, dtype="float64")


def first_gradients(f, tensors):
    """The gradients of ``sum(f(*tensors))`` with respect to every tensor, by an inner tape."""
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        y = f(*tensors)
    return tape.gradient(y, tensors, unconnected_gradients="zero")


def second_order(f, weights):
    """A scalar function of the first gradients of ``f``, each weighted by fixed random
    numbers (so every element of every first gradient matters)."""

    def penalty(*tensors):
        grads = first_gradients(f, list(tensors))
        return sum(tf.reduce_sum(tf.square(g) * w) for g, w in zip(grads, weights))

    return penalty


def check_second_order(f, arrays, seed=0):
    """Second derivatives of ``f`` at ``arrays`` (a nested tape) against central differences
    of its first gradients (the fused kernels), in float64."""
    weights = [constant(np.abs(random(np.shape(a), seed + i)) + 0.5) for i, a in enumerate(arrays)]
    return check_gradients(second_order(f, weights), arrays, rtol=RTOL, atol=ATOL)


def squashed(y, seed):
    """A nonlinear scalar of ``y`` (so the second derivative through the op is not zero)."""
    r = constant(random(tuple(y.shape), seed))
    return tf.reduce_sum(tf.tanh(y) * r)
