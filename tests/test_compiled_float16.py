"""The compiled kernels with float16 (and bfloat16) arrays, which numba cannot compile.

A layer or optimizer computing in float16 must not reach numba with float16 arrays
(numba raises ``NotImplementedError: float16``): a caller with a NumPy reference asks
``compiled.supports`` and runs it, and a compiled loop given such arrays anyway computes
on float32 copies and rounds back. Each test runs the same computation with the kernels
on and off and expects the same numbers, in float16.
"""

import numpy as np
import pytest

import learnet as tf
from learnet.ops import compiled

pytest.importorskip("numba")


@pytest.fixture
def kernels():
    before = compiled.kernels()
    yield compiled.set_kernels
    compiled.set_kernels(before)


def _both_ways(kernels, run):
    """``run()`` with the kernels on and with the NumPy reference: both results."""
    kernels("auto")
    fast = run()
    kernels("numpy")
    reference = run()
    return fast, reference


def _close(a, b):
    for x, y in zip(a, b):
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype == np.float16
        np.testing.assert_allclose(x.astype("f4"), y.astype("f4"), rtol=2e-3, atol=2e-3)


def test_supports_names_the_dtypes_numba_compiles():
    assert compiled.supports(np.zeros(2, np.float32), np.zeros(1, np.int64), 3, np.float64(1.0))
    assert not compiled.supports(np.zeros(2, np.float16))
    assert not compiled.supports(np.zeros(2, np.float32), np.float16(1.0))


def _dense_run(layer_kwargs):
    def run():
        tf.keras.utils.set_random_seed(1)
        layer = tf.keras.layers.Dense(4, dtype="float16", **layer_kwargs)
        x = np.random.default_rng(0).normal(size=(6, 5)).astype("float16")
        with tf.GradientTape() as tape:
            y = layer(x)
            loss = tf.reduce_sum(y * y)
        return [y.numpy(), *[g.numpy() for g in tape.gradient(loss, layer.trainable_weights)]]

    return run


@pytest.mark.parametrize("activation", ["relu", None])
def test_dense_float16_calls_and_trains(kernels, activation):
    fast, reference = _both_ways(kernels, _dense_run({"activation": activation}))
    _close(fast, reference)
    assert (fast[0] >= 0).all() if activation == "relu" else True


def test_conv2d_pooling_and_batch_norm_in_float16(kernels):
    def run():
        tf.keras.utils.set_random_seed(2)
        model = tf.keras.Sequential(
            [
                tf.keras.Input((8, 8, 3), dtype="float16"),
                tf.keras.layers.Conv2D(4, 3, activation="relu", dtype="float16"),
                tf.keras.layers.MaxPooling2D(dtype="float16"),
                tf.keras.layers.BatchNormalization(dtype="float16"),
                tf.keras.layers.AveragePooling2D(dtype="float16"),
            ]
        )
        x = np.random.default_rng(3).normal(size=(2, 8, 8, 3)).astype("float16")
        with tf.GradientTape() as tape:
            y = model(x, training=True)
            loss = tf.reduce_sum(y * y)
        grads = tape.gradient(loss, model.trainable_weights)
        return [y.numpy(), *[g.numpy() for g in grads], *[w.numpy() for w in model.non_trainable_weights]]

    fast, reference = _both_ways(kernels, run)
    _close(fast, reference)


@pytest.mark.parametrize(
    "make",
    [
        lambda: tf.keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
        lambda: tf.keras.optimizers.Adam(0.01, amsgrad=True),
        lambda: tf.keras.optimizers.AdamW(0.01),
        lambda: tf.keras.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
        lambda: tf.keras.optimizers.Adagrad(0.1),
        lambda: tf.keras.optimizers.Adadelta(1.0),
        lambda: tf.keras.optimizers.Adamax(0.01),
        lambda: tf.keras.optimizers.Nadam(0.01),
    ],
    ids=["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam"],
)
def test_fused_optimizer_updates_of_float16_weights(kernels, make):
    # The fused update keeps float32 between its operations, so it is compared with the
    # same steps taken in float32 and rounded (NumPy's float16 passes round after each
    # operation: Adam's epsilon, 1e-7, is then a float16 subnormal and the steps drift).
    def run(dtype):
        rng = np.random.default_rng(4)
        w = tf.Variable(rng.normal(size=(5, 3)).astype(dtype))
        optimizer = make()
        for _ in range(3):
            g = rng.normal(size=(5, 3)).astype("float16").astype(dtype)
            optimizer.apply_gradients([(tf.constant(g), w)])
        return [w.numpy()]

    kernels("auto")
    (fast,) = run("float16")
    (exact,) = run("float32")
    _close([fast], [exact.astype("float16")])
    kernels("numpy")
    (reference,) = run("float16")
    assert reference.dtype == np.float16 and np.isfinite(reference).all()


def test_a_loop_given_float16_arrays_computes_in_float32_and_writes_back(kernels):
    kernels("auto")
    from learnet.ops.compiled import dense as kernels_dense

    out = np.array([[1.0, -2.0], [-0.5, 3.0]], np.float16)
    kernels_dense.bias_relu(out, np.array([0.25, 1.0], np.float16))
    assert out.dtype == np.float16
    np.testing.assert_array_equal(out, np.array([[1.25, 0.0], [0.0, 4.0]], np.float16))
    masked, bias_gradient = kernels_dense.relu_gradient_and_bias_sum(np.ones((2, 2), np.float16), out)
    assert masked.dtype == bias_gradient.dtype == np.float16
    np.testing.assert_array_equal(bias_gradient, [1.0, 1.0])


def test_a_loop_given_bfloat16_arrays(kernels):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    kernels("auto")
    from learnet.ops.compiled import dense as kernels_dense

    out = np.array([[1.0, -2.0], [-0.5, 3.0]], ml_dtypes.bfloat16)
    kernels_dense.bias_relu(out, np.array([0.25, 1.0], ml_dtypes.bfloat16))
    assert out.dtype == ml_dtypes.bfloat16
    np.testing.assert_array_equal(out.astype("f4"), [[1.25, 0.0], [0.0, 4.0]])


def test_a_loop_refuses_a_dtype_it_cannot_widen_and_changes_nothing(kernels):
    kernels("auto")
    from learnet.ops.compiled import dense as kernels_dense

    out = np.array([["a", "b"]], dtype="U1")
    with pytest.raises((TypeError, ValueError)):
        kernels_dense._bias_relu(out, np.zeros(2, np.float32))
    assert out.tolist() == [["a", "b"]]
