"""Optimizer slots that decay into subnormal floats are flushed to zero every ``FLUSH_EVERY`` steps.

A weight whose gradient stays 0 (a dead ReLU unit) has slots that shrink every step and
become subnormal, which CPUs compute with slowly. The optimizer sets them to 0 every
``optimizers.FLUSH_EVERY`` steps. These tests check that the flush happens (no subnormal
left right after it, where there were some without it), that the weights come out
exactly the same with and without it, with the NumPy updates and the compiled ones, and
that the two kernel choices still agree to the last bit.
"""

import numpy as np
import pytest

import learnet as tf
from learnet import optimizers
from learnet.ops import compiled

KERNELS = ["numpy"] + (["numba"] if compiled.available() else [])

# Optimizers whose slots shrink when the gradient is 0 (name -> factory, slots expected subnormal).
OPTIMIZERS = {
    "sgd-momentum": (lambda: optimizers.SGD(0.05, momentum=0.9), True),
    "sgd-nesterov": (lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True), True),
    "rmsprop": (lambda: optimizers.RMSprop(), True),
    "rmsprop-centered-momentum": (lambda: optimizers.RMSprop(centered=True, momentum=0.3), True),
    "adam": (lambda: optimizers.Adam(0.01), True),
    "adam-amsgrad": (lambda: optimizers.Adam(0.01, amsgrad=True), True),
    "adamw": (lambda: optimizers.AdamW(0.01, weight_decay=0.05), True),
    "adadelta": (lambda: optimizers.Adadelta(1.0), True),
    "adamax": (lambda: optimizers.Adamax(0.01), True),
    "nadam": (lambda: optimizers.Nadam(0.01), True),
    # Adagrad's accumulator only grows: nothing to flush, and nothing must change.
    "adagrad": (lambda: optimizers.Adagrad(0.05), False),
}

SIZE, STEPS = 300, 2 * 1024
FLUSH_EVERY = optimizers.FLUSH_EVERY


def _subnormals(arrays):
    return sum(int(np.count_nonzero((a != 0) & (np.abs(a) < np.finfo(a.dtype).tiny))) for a in arrays)


def _train(name, kernels, flush_every, monkeypatch, dtype="float32"):
    """STEPS steps on one weight; units 0-199 get a zero gradient from step 20 on, units
    100-199 come back at step 1100 (after their slots were subnormal and flushed), the
    last 100 stay alive. Returns the weight and its slots."""
    monkeypatch.setattr(optimizers, "FLUSH_EVERY", flush_every)
    compiled.set_kernels(kernels)
    rng = np.random.default_rng(0)
    w = tf.Variable(rng.normal(size=SIZE).astype(dtype))
    optimizer = OPTIMIZERS[name][0]()
    for step in range(STEPS):
        g = rng.normal(size=SIZE).astype(dtype)
        if step >= 20:
            g[:100] = 0
        if 20 <= step < 1100:
            g[100:200] = 0
        elif step >= 1100:
            g[100:150] *= 1e-12  # coming back with tiny gradients too
        optimizer.apply_gradients([(g, w)])
    return w.numpy(), [np.array(s) for s in optimizer._records[id(w)][0]]


@pytest.fixture(autouse=True)
def _restore_kernels():
    before = compiled.kernels()
    yield
    compiled.set_kernels(before)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_flush_leaves_the_weights_and_empties_the_subnormals(name, monkeypatch):
    never = 10**9
    results = {}
    for kernels in KERNELS:
        results[kernels, "flush"] = _train(name, kernels, FLUSH_EVERY, monkeypatch)
        results[kernels, "never"] = _train(name, kernels, never, monkeypatch)
    for kernels in KERNELS:
        w_flush, slots_flush = results[kernels, "flush"]
        w_never, slots_never = results[kernels, "never"]
        # STEPS is a multiple of FLUSH_EVERY: the last step flushed.
        assert _subnormals(slots_flush) == 0
        if OPTIMIZERS[name][1]:
            assert _subnormals(slots_never) > 50, "the test must make subnormal slots"
        np.testing.assert_array_equal(w_flush, w_never)  # exactly: not one bit differs
        for a, b in zip(slots_flush, slots_never):
            normal = np.abs(b) >= np.finfo(b.dtype).tiny
            np.testing.assert_array_equal(a[normal], b[normal])
    # The two kernel choices go through the same flush: bit-identical weights and slots.
    if len(KERNELS) == 2:
        for mode in ("flush", "never"):
            (wa, sa), (wb, sb) = results["numpy", mode], results["numba", mode]
            np.testing.assert_array_equal(wa, wb)
            for a, b in zip(sa, sb):
                np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kernels", KERNELS)
@pytest.mark.parametrize("name", ["rmsprop", "adam", "sgd-momentum", "adadelta"])
def test_flush_happens_every_flush_every_steps(name, kernels, monkeypatch):
    """Slots set just above ``tiny`` with zero gradients: subnormal within a few steps,
    still subnormal one step before the flush, none right after it."""
    compiled.set_kernels(kernels)
    monkeypatch.setattr(optimizers, "FLUSH_EVERY", 32)
    for dtype in ("float32", "float64"):
        w = tf.Variable(np.ones(50, dtype=dtype), dtype=dtype)
        optimizer = OPTIMIZERS[name][0]()
        optimizer.build([w])
        slots = optimizer._records[id(w)][0]
        for slot in slots:
            slot[...] = 4 * np.finfo(dtype).tiny
        zero = np.zeros(50, dtype=dtype)
        for _ in range(31):  # 4 * 0.95**31 < 1: subnormal by now
            optimizer.apply_gradients([(zero, w)])
        assert _subnormals(slots) > 0
        optimizer.apply_gradients([(zero, w)])
        assert int(optimizer.iterations.numpy()) == 32
        assert _subnormals(slots) == 0
        np.testing.assert_array_equal(w.numpy(), np.ones(50, dtype=dtype))


def test_float16_slots_are_not_flushed():
    """float16's smallest normal (6.1e-5) is a meaningful second moment: left alone."""
    v = np.array([1e-5, -3e-6, 0.5], dtype=np.float16)
    before = v.copy()
    optimizers._flush_subnormals([v])
    np.testing.assert_array_equal(v, before)
    w = np.array([1e-39, -1e-310, 2.0])
    optimizers._flush_subnormals([w])
    np.testing.assert_array_equal(w, [1e-39, 0.0, 2.0])  # float64: 1e-39 is normal, 1e-310 is not
