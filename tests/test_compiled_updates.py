"""The compiled optimizer updates (``learnet.ops.compiled.update``) against the NumPy reference.

Every built-in optimizer, with each of its options, takes the same gradients for several
steps once with the NumPy updates (``set_kernels("numpy")``) and once with the fused
numba kernels (``set_kernels("numba")``); the weights and every slot must agree to the
last bit (the kernels do the same float operations in the same order). Sizes cover 0-d and 1-element variables, odd sizes, and weights large
enough for the parallel loop (several chunks, the last one partial).
"""

import numpy as np
import pytest

import learnet as tf
from learnet import optimizers
from learnet.ops import compiled, parallel

numba = pytest.importorskip("numba")

from learnet.ops.compiled import update  # noqa: E402 - needs numba

# 0-d, one element, odd, 2-D odd, and above PARALLEL_MIN with a partial last chunk.
SHAPES = [(), (1,), (7,), (13, 5), (update.PARALLEL_MIN // 64 + 3, 67)]

OPTIMIZERS = {
    "sgd": lambda: optimizers.SGD(0.05),
    "sgd-momentum": lambda: optimizers.SGD(0.05, momentum=0.9),
    "sgd-nesterov": lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "sgd-decay": lambda: optimizers.SGD(0.05, momentum=0.5, weight_decay=0.1),
    "rmsprop": lambda: optimizers.RMSprop(),
    "rmsprop-momentum": lambda: optimizers.RMSprop(momentum=0.5),
    "rmsprop-centered": lambda: optimizers.RMSprop(centered=True, rho=0.8),
    "rmsprop-centered-momentum": lambda: optimizers.RMSprop(centered=True, momentum=0.3),
    "adam": lambda: optimizers.Adam(0.01),
    "adam-amsgrad": lambda: optimizers.Adam(0.01, amsgrad=True),
    "adamw": lambda: optimizers.AdamW(0.01, weight_decay=0.05),
    "adamw-amsgrad": lambda: optimizers.AdamW(0.01, weight_decay=0.05, amsgrad=True),
    "adagrad": lambda: optimizers.Adagrad(0.05),
    "adadelta": lambda: optimizers.Adadelta(1.0),
    "adamax": lambda: optimizers.Adamax(0.01),
    "nadam": lambda: optimizers.Nadam(0.01),
    "adam-clipnorm": lambda: optimizers.Adam(0.01, clipnorm=0.5),
    "rmsprop-clipvalue": lambda: optimizers.RMSprop(clipvalue=0.1),
    "sgd-global-clipnorm": lambda: optimizers.SGD(0.05, momentum=0.9, global_clipnorm=1.0),
    "adam-schedule": lambda: optimizers.Adam(tf.keras.optimizers.schedules.ExponentialDecay(0.01, 2, 0.5)),
}


@pytest.fixture
def kernels():
    """``kernels(name)`` chooses the kernels; the choice is restored afterwards."""
    before = compiled.kernels()
    yield compiled.set_kernels
    compiled.set_kernels(before)


def _train(make_optimizer, dtype, steps=4, exclude=False, transposed_gradient=False):
    rng = np.random.default_rng(3)
    weights = [tf.Variable(rng.standard_normal(shape).astype(dtype), dtype=dtype) for shape in SHAPES]
    optimizer = make_optimizer()
    if exclude:
        optimizer.exclude_from_weight_decay(var_list=weights[1:2])
    for _ in range(steps):
        grads = [rng.standard_normal(w.shape).astype(dtype) for w in weights]
        grads[2][3] = 0.0  # a zero gradient: Adagrad's and RMSprop's square roots of epsilon
        if transposed_gradient:
            grads[3] = np.ascontiguousarray(grads[3].T).T  # not C-contiguous
        optimizer.apply_gradients(zip(grads, weights))
    return [w.numpy() for w in weights], optimizer.get_state()


def _assert_same(reference, compiled_result, dtype):
    # Bit for bit: the kernels do the reference's float operations in its order, in the
    # weight's dtype, and numba (without fastmath) neither reorders nor fuses them.
    (weights_a, state_a), (weights_b, state_b) = reference, compiled_result
    for a, b in zip(weights_a, weights_b):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_array_equal(b, a)
    assert sorted(state_a) == sorted(state_b)
    for key in state_a:
        np.testing.assert_array_equal(state_b[key], state_a[key], err_msg=key)


@pytest.fixture
def threads():
    """``threads(n)`` sets ``learnet.ops.parallel``'s thread count; restored afterwards."""
    before = parallel.num_threads()
    yield parallel.set_num_threads
    parallel.set_num_threads(before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_compiled_updates_match_numpy(kernels, threads, name, dtype):
    kernels("numpy")
    reference = _train(OPTIMIZERS[name], dtype)
    kernels("numba")
    assert optimizers._fused_update(OPTIMIZERS[name]()) is not None
    for count in (1, 2):  # the serial kernels, then the chunked parallel loop for the large weight
        threads(count)
        _assert_same(reference, _train(OPTIMIZERS[name], dtype), dtype)


def test_the_parallel_loop_runs_for_large_weights_only_with_threads(threads):
    threads(1)
    assert update._threads(10**6) == 1
    threads(2)
    assert update._threads(update.PARALLEL_MIN - 1) == 1
    assert update._threads(update.PARALLEL_MIN) == min(2, numba.config.NUMBA_NUM_THREADS)


@pytest.mark.parametrize("name", ["adamw", "sgd-decay"])
def test_compiled_weight_decay_skips_excluded_variables(kernels, name):
    kernels("numpy")
    reference = _train(OPTIMIZERS[name], np.float32, exclude=True)
    kernels("numba")
    _assert_same(reference, _train(OPTIMIZERS[name], np.float32, exclude=True), np.float32)


def test_a_gradient_that_is_not_contiguous_gives_the_same_update(kernels):
    kernels("numpy")
    reference = _train(OPTIMIZERS["rmsprop-centered-momentum"], np.float32, transposed_gradient=True)
    kernels("numba")
    _assert_same(
        reference, _train(OPTIMIZERS["rmsprop-centered-momentum"], np.float32, transposed_gradient=True), np.float32
    )


def test_the_update_changes_the_weight_buffer_itself(kernels, threads):
    kernels("numba")
    threads(2)
    w = tf.Variable(np.ones((300, 300), np.float32))
    held = w._value
    optimizers.SGD(0.5).apply_gradients([(np.ones((300, 300), np.float32), w)])
    assert w._value is held and np.all(held == 0.5)


def test_kernels_refuse_arrays_that_are_not_contiguous_and_change_nothing():
    w = np.ones((6, 4), np.float32).T  # a transposed view: a flat view would be a copy
    g = np.full((4, 6), 0.5, np.float32)
    v = np.zeros((4, 6), np.float32)
    assert update.rmsprop(w, g, v, None, None, 0.1, 0.9, 0.0, 1e-7) is False
    assert update.decay(w, 0.5) is False
    assert np.all(w == 1) and np.all(v == 0)


def test_a_subclass_with_its_own_update_rule_keeps_it(kernels):
    class HalfStep(optimizers.SGD):
        def _update(self, w, g, slots, tmp, tmp2, lr):
            w -= 0.5 * lr * g

    kernels("numba")
    optimizer = HalfStep(1.0)
    assert optimizers._fused_update(optimizer) is None
    w = tf.Variable([1.0, 2.0])
    optimizer.apply_gradients([(tf.constant([1.0, 1.0]), w)])
    np.testing.assert_allclose(w.numpy(), [0.5, 1.5])
    assert optimizers._fused_update(optimizers.AdamW()) is not None  # inherits Adam's rule and kernel


def test_no_compiled_update_with_numpy_kernels(kernels):
    kernels("numpy")
    assert optimizers._fused_update(optimizers.Adam()) is None


def test_nan_gradients_propagate_like_numpy(kernels):
    def run():
        w = tf.Variable(np.ones(5, np.float32))
        optimizer = optimizers.Adam(amsgrad=True)
        optimizer.apply_gradients([(np.array([1, np.nan, 1, 1, 1], np.float32), w)])
        optimizer.apply_gradients([(np.ones(5, np.float32), w)])
        return w.numpy(), optimizer.get_state()

    kernels("numpy")
    reference = run()
    kernels("numba")
    weights, state = run()
    np.testing.assert_array_equal(np.isnan(weights), np.isnan(reference[0]))
    np.testing.assert_array_equal(np.isnan(state["0/velocity_hat"]), np.isnan(reference[1]["0/velocity_hat"]))


def test_set_weights_and_assign_act_on_what_the_kernels_update(kernels):
    kernels("numba")
    w = tf.Variable(np.zeros(40000, np.float32))
    optimizer = optimizers.RMSprop(momentum=0.5)
    optimizer.apply_gradients([(np.ones(40000, np.float32), w)])
    saved = optimizer.get_weights()
    w.assign(np.zeros(40000, np.float32))
    optimizer.apply_gradients([(np.ones(40000, np.float32), w)])
    moved = w.numpy()
    optimizer.set_weights(saved)  # back to the state after one step
    w.assign(np.zeros(40000, np.float32))
    optimizer.apply_gradients([(np.ones(40000, np.float32), w)])
    np.testing.assert_array_equal(w.numpy(), moved)
