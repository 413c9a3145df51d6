"""The compiled convolution and pooling kernels (numba, the ``fast`` extra) against the NumPy reference.

Every case runs the same op twice, with ``set_kernels("numpy")`` and ``set_kernels("numba")``,
and compares values and gradients: bit for bit where both do the same arithmetic, to
rounding where the compiled kernel adds the same terms in another order (sums over
pixels, overlapping windows, the input gradient of a convolution).
"""

import os
import subprocess
import sys

import numpy as np
import pytest

import learnet as tf
from learnet.ops import compiled, parallel
from learnet.ops import conv as conv_ops
from learnet.testing import check_gradients

pytest.importorskip("numba")

import numba  # noqa: E402

from compiled_kernels import both, close, restore_kernels  # noqa: E402, F401 (restore_kernels: autouse)

from learnet.ops.compiled import conv as compiled_conv  # noqa: E402


def conv_and_gradients(x, k, b, strides, padding, dilations, relu, g):
    """Output and gradients of a convolution (with a bias when ``b`` is not None)."""
    weights = [tf.Variable(a, dtype=a.dtype) for a in (x, k, b) if a is not None]
    x, k, b = weights + [None] * (3 - len(weights))
    with tf.GradientTape() as tape:
        if relu:
            y = conv_ops.conv2d_relu(x, k, b, strides=strides, padding=padding, dilations=dilations)
        else:
            y = tf.nn.conv2d(x, k, strides, padding, dilations=dilations, bias=b)
    grads = tape.gradient(y, weights, output_gradients=tf.constant(g(y.shape)))
    return [y.numpy()] + [t.numpy() for t in grads]


CONV_CASES = [
    # (batch, height, width, channels, filters, kernel, strides, padding, dilations)
    (1, 7, 6, 1, 4, (3, 3), (1, 1), "VALID", (1, 1)),
    (3, 9, 8, 3, 5, (3, 2), (1, 1), "SAME", (1, 1)),
    (2, 13, 11, 8, 6, (3, 3), (2, 2), "SAME", (1, 1)),
    (5, 10, 9, 9, 4, (2, 3), (3, 2), "VALID", (1, 1)),
    (3, 11, 12, 10, 3, (3, 3), (1, 1), "SAME", (2, 2)),
    (2, 9, 9, 2, 3, (3, 3), (1, 1), "VALID", (2, 1)),
    (2, 8, 7, 4, 5, (3, 3), (2, 1), [[0, 0], [2, 1], [0, 3], [0, 0]], (1, 1)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("relu, bias", [(False, True), (True, True), (True, False)])
@pytest.mark.parametrize("n, h, w, c, f, window, strides, padding, dilations", CONV_CASES)
def test_conv2d_compiled_matches_numpy(n, h, w, c, f, window, strides, padding, dilations, relu, bias, dtype):
    rng = np.random.default_rng(n * 100 + h * 10 + c)
    x = rng.standard_normal((n, h, w, c)).astype(dtype)
    k = rng.standard_normal(window + (c, f)).astype(dtype)
    b = rng.standard_normal(f).astype(dtype) if bias else None

    def g(shape):
        return np.random.default_rng(1).standard_normal(tuple(shape)).astype(dtype)

    reference, fast = both(lambda: conv_and_gradients(x, k, b, strides, padding, dilations, relu, g))
    np.testing.assert_array_equal(fast[0], reference[0])  # the same products, the same bias and ReLU
    for got, want in zip(fast[1:], reference[1:]):
        assert got.dtype == want.dtype == dtype
        close(got, want, dtype)


def test_conv2d_large_batch_inference_is_the_same():
    """Predict's path: no tape, the batch convolved 128 images at a time."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((conv_ops._INFERENCE_CHUNK + 37, 9, 9, 8)).astype(np.float32)  # 72 taps: im2col
    k = rng.standard_normal((3, 3, 8, 8)).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)
    reference, fast = both(lambda: conv_ops.conv2d_relu(x, k, b, padding="SAME").numpy())
    np.testing.assert_array_equal(fast, reference)


DIRECT_CASES = [
    # (batch, height, width, channels, filters, kernel, strides, padding, dilations): at most 32 taps
    (1, 28, 28, 1, 32, (3, 3), (1, 1), "VALID", (1, 1)),
    (3, 9, 8, 3, 5, (3, 2), (1, 1), "SAME", (1, 1)),
    (2, 13, 11, 1, 7, (3, 3), (2, 2), "SAME", (1, 1)),
    (5, 10, 9, 2, 4, (2, 3), (3, 2), "VALID", (1, 1)),
    (3, 11, 12, 3, 3, (3, 3), (1, 1), "SAME", (2, 2)),
    (2, 8, 7, 1, 5, (3, 3), (2, 1), [[0, 0], [2, 1], [0, 3], [0, 0]], (1, 1)),
    (conv_ops._INFERENCE_CHUNK + 5, 7, 6, 1, 3, (5, 5), (1, 1), "SAME", (1, 1)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("relu, bias", [(False, True), (True, True), (False, False)])
@pytest.mark.parametrize("n, h, w, c, f, window, strides, padding, dilations", DIRECT_CASES)
def test_conv2d_direct_inference_matches_numpy(
    n, h, w, c, f, window, strides, padding, dilations, relu, bias, dtype, monkeypatch
):
    """With no tape, few taps (a first layer) are summed directly by ``direct_conv`` where
    OpenBLAS has no small-matrix path (an AVX2 machine: here the kernel is told so)."""
    monkeypatch.setattr(conv_ops, "_thin_per_image", lambda: False)
    rng = np.random.default_rng(n + h * 10 + c)
    x = tf.constant(rng.standard_normal((n, h, w, c)), dtype=dtype)
    k = tf.constant(rng.standard_normal(window + (c, f)), dtype=dtype)
    b = tf.constant(rng.standard_normal(f), dtype=dtype) if bias else None
    calls = []
    direct_conv = compiled_conv.direct_conv
    monkeypatch.setattr(compiled_conv, "direct_conv", lambda *args, **kw: calls.append(1) or direct_conv(*args, **kw))

    def run():
        if relu:
            return conv_ops.conv2d_relu(x, k, b, strides=strides, padding=padding, dilations=dilations).numpy()
        return tf.nn.conv2d(x, k, strides, padding, dilations=dilations, bias=b).numpy()

    reference, fast = both(run)
    assert len(calls) == -(-n // conv_ops._INFERENCE_CHUNK)  # once per chunk of images
    assert fast.dtype == reference.dtype == dtype and fast.shape == reference.shape
    close(fast, reference, dtype)
    if relu:
        assert (fast >= 0).all()


def test_conv2d_direct_is_inference_only_and_only_without_the_small_matrix_path(monkeypatch):
    """Under a tape the patch matrix path runs (its backward pass needs it); with no tape few
    taps are summed directly only where OpenBLAS lacks its small-matrix path, and many taps
    never are."""
    rng = np.random.default_rng(5)
    x = tf.Variable(rng.standard_normal((2, 6, 6, 1)).astype(np.float32))
    k = rng.standard_normal((3, 3, 1, 4)).astype(np.float32)
    calls = []
    direct_conv = compiled_conv.direct_conv
    monkeypatch.setattr(compiled_conv, "direct_conv", lambda *a, **kw: calls.append(1) or direct_conv(*a, **kw))
    compiled.set_kernels("numba")
    for small_matrix_path in (False, True):
        monkeypatch.setattr(conv_ops, "_thin_per_image", lambda flag=small_matrix_path: flag)
        with tf.GradientTape():
            recorded = conv_ops.conv2d_relu(x, k).numpy()
        assert calls == []
        assert np.array_equal(conv_ops.conv2d_relu(x.numpy(), k).numpy(), recorded) or not small_matrix_path
        assert len(calls) == (0 if small_matrix_path else 1)
        calls.clear()
        many = rng.standard_normal((2, 6, 6, 4)).astype(np.float32)
        tf.nn.conv2d(many, np.ones((3, 3, 4, 2), np.float32), 1, "VALID")
        assert calls == []
    compiled.set_kernels("numpy")
    assert conv_ops._direct_taps(x.numpy(), k, None) is None


def test_conv2d_direct_bad_input_raises_the_usual_errors():
    compiled.set_kernels("numba")
    x = np.zeros((1, 2, 2, 1), np.float32)
    with pytest.raises(ValueError, match="conv2d"):
        tf.nn.conv2d(x, np.zeros((3, 3, 1, 2), np.float32), 1, "VALID")  # larger than the image
    with pytest.raises(ValueError, match="channels"):
        tf.nn.conv2d(x, np.zeros((1, 1, 2, 2), np.float32), 1, "VALID")


def test_conv2d_transpose_compiled_matches_numpy():
    rng = np.random.default_rng(4)
    y = rng.standard_normal((3, 4, 5, 6)).astype(np.float32)
    k = rng.standard_normal((3, 3, 2, 6)).astype(np.float32)
    reference, fast = both(lambda: tf.nn.conv2d_transpose(y, k, (3, 8, 10, 2), 2, "SAME").numpy())
    close(fast, reference, np.float32)


POOL_CASES = [
    ((2, 2), (2, 2), "VALID"),
    ((2, 2), (2, 2), "SAME"),
    ((3, 3), (2, 2), "SAME"),
    ((3, 2), (1, 1), "VALID"),
    ((2, 3), (3, 2), "VALID"),
    ((3, 3), (3, 3), [[0, 0], [1, 2], [2, 0], [0, 0]]),
    ((2, 2), (2, 2), [[0, 0], [1, 0], [1, 0], [0, 0]]),  # shifted windows that still span 8 rows
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("window, strides, padding", POOL_CASES)
@pytest.mark.parametrize("n, h, w, c", [(1, 7, 5, 3), (3, 11, 11, 4), (2, 8, 6, 3)])
def test_max_pool_compiled_matches_numpy_with_ties(n, h, w, c, window, strides, padding, dtype):
    # Few distinct values: most windows hold ties, whose gradient must go to the first maximum.
    x = np.random.default_rng(h + c).integers(-2, 3, (n, h, w, c)).astype(dtype)

    def pool():
        variable = tf.Variable(x, dtype=x.dtype)
        with tf.GradientTape() as tape:
            y = tf.nn.max_pool2d(variable, window, strides, padding)
        gy = np.arange(1, y.numpy().size + 1, dtype=dtype).reshape(y.shape)  # tells the windows apart
        grad = tape.gradient(y, variable, output_gradients=tf.constant(gy))
        return y.numpy(), grad.numpy()

    (y0, d0), (y1, d1) = both(pool)
    np.testing.assert_array_equal(y1, y0)
    assert d1.dtype == d0.dtype == dtype
    if strides[0] >= window[0] and strides[1] >= window[1]:
        np.testing.assert_array_equal(d1, d0)  # each element in one window at most: the same single terms
    else:
        close(d1, d0, dtype)


@pytest.mark.parametrize("window, strides, padding", POOL_CASES)
@pytest.mark.parametrize("n, h, w, c", [(1, 7, 5, 3), (2, 8, 6, 3)])
def test_max_pool_training_with_nan_and_infinity_matches_numpy(n, h, w, c, window, strides, padding, monkeypatch):
    """Both training kernels (the usual 2x2 one and the general one) on NaN and -inf windows."""
    x = np.random.default_rng(h).integers(-2, 3, (n, h, w, c)).astype(np.float32)
    x[0, 0, 0, 0] = x[-1, h // 2, w // 2, c - 1] = np.nan
    x[0, h - 1, :, 0] = -np.inf  # a window of -inf next to padding still sends its gradient
    kernels = []
    for name in ("_max_pool_2x2_kernel", "_max_pool_kernel"):
        original = getattr(compiled_conv, name)
        monkeypatch.setattr(compiled_conv, name, lambda *args, o=original, n=name: kernels.append(n) or o(*args))

    def pool():
        variable = tf.Variable(x)
        with tf.GradientTape() as tape:
            y = tf.nn.max_pool2d(variable, window, strides, padding)
        gy = np.arange(1, y.numpy().size + 1, dtype=np.float32).reshape(y.shape)
        return y.numpy(), tape.gradient(y, variable, output_gradients=tf.constant(gy)).numpy()

    (y0, d0), (y1, d1) = both(pool)
    np.testing.assert_array_equal(y1, y0)
    if strides[0] >= window[0] and strides[1] >= window[1]:
        np.testing.assert_array_equal(d1, d0)
    else:
        close(d1, d0, np.float32)
    assert len(kernels) == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("window, strides, padding", POOL_CASES)
@pytest.mark.parametrize("n, h, w, c", [(1, 7, 5, 3), (3, 11, 11, 4), (2, 8, 6, 3)])
def test_max_pool_inference_matches_numpy(n, h, w, c, window, strides, padding, dtype, monkeypatch):
    """Predict's path (no tape, no winners stored); the usual 2x2 pool inside the image takes its own kernel."""
    x = np.random.default_rng(h + c).integers(-2, 3, (n, h, w, c)).astype(dtype)
    x[0, 0, 0, 0] = x[-1, h // 2, w // 2, c - 1] = np.nan
    calls = []
    tiles = compiled_conv._max_pool_2x2_kernel
    monkeypatch.setattr(compiled_conv, "_max_pool_2x2_kernel", lambda *args: calls.append(1) or tiles(*args))
    y0, y1 = both(lambda: tf.nn.max_pool2d(tf.constant(x, dtype=dtype), window, strides, padding).numpy())
    np.testing.assert_array_equal(y1, y0)  # NaN where the reference has NaN, ties bit for bit
    assert y1.dtype == dtype
    mode = padding if isinstance(padding, str) else conv_ops._padding_mode(padding, "max_pool2d")
    _, _, oh, ow, pad_h, pad_w = conv_ops._pool_setup(x, window, strides, mode, "max_pool2d")
    usual = window == strides == (2, 2) and (pad_h[0], pad_w[0]) == (0, 0) and 2 * oh <= h and 2 * ow <= w
    assert calls == ([1] if usual else [])


def test_max_pool_nan_wins_and_sends_no_gradient():
    x = np.array([[1.0, np.nan], [3.0, 2.0]]).reshape(1, 2, 2, 1)

    def pool():
        variable = tf.Variable(x, dtype=x.dtype)
        with tf.GradientTape() as tape:
            y = tf.nn.max_pool2d(variable, 2, 2, "VALID")
        return y.numpy(), tape.gradient(y, variable).numpy()

    (y0, d0), (y1, d1) = both(pool)
    assert np.isnan(y0).all() and np.isnan(y1).all()
    np.testing.assert_array_equal(d1, d0)
    np.testing.assert_array_equal(d1, np.zeros_like(x))


def test_max_pool_integers_fall_back_to_numpy():
    x = np.arange(32, dtype=np.int32).reshape(2, 4, 4, 1)
    compiled.set_kernels("numba")
    assert not compiled_conv.supported(x)
    np.testing.assert_array_equal(tf.nn.max_pool2d(x, 2, 2, "VALID").numpy()[0, :, :, 0], [[5, 7], [13, 15]])


@pytest.mark.parametrize("relu", [False, True])
def test_numerical_gradients_with_compiled_kernels(relu):
    compiled.set_kernels("numba")
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 6, 7, 3))
    k = rng.standard_normal((3, 2, 3, 4))
    b = rng.standard_normal(4)

    def conv(x, k, b):
        if relu:
            return conv_ops.conv2d_relu(x, k, b, strides=(2, 1), padding="SAME")
        return tf.nn.conv2d(x, k, (1, 2), "SAME", bias=b)

    check_gradients(conv, [x, k, b])
    check_gradients(lambda x: tf.nn.max_pool2d(x, 3, 2, "SAME"), [rng.standard_normal((2, 7, 6, 3))])


def test_compiled_kernels_directly():
    out = np.array([[-1.0, 2.0], [3.0, -4.0]], dtype=np.float32)
    compiled_conv.bias_relu(out, None, True)
    np.testing.assert_array_equal(out, [[0, 2], [3, 0]])
    masked, db = compiled_conv.relu_bias_gradient(np.ones((3, 2)), np.array([[1.0, 0], [0, 1], [1, 1]]), True, True)
    np.testing.assert_array_equal(masked, [[1, 0], [0, 1], [1, 1]])
    np.testing.assert_array_equal(db, [2, 2])
    masked, nothing = compiled_conv.relu_bias_gradient(
        np.ones((3, 2)), np.array([[1.0, 0], [0, 1], [1, 1]]), True, False
    )
    assert nothing is None
    np.testing.assert_array_equal(masked, [[1, 0], [0, 1], [1, 1]])
    same, nothing = compiled_conv.relu_bias_gradient(np.ones((3, 2)), np.ones((3, 2)), False, False)
    assert nothing is None and same.shape == (3, 2)


def test_threads_follow_learnet_num_threads(monkeypatch):
    monkeypatch.setitem(parallel._state, "threads", None)
    monkeypatch.delenv("LEARNET_NUM_THREADS", raising=False)
    assert compiled_conv.num_threads() == 1
    monkeypatch.setitem(parallel._state, "threads", None)
    monkeypatch.setenv("LEARNET_NUM_THREADS", "2")
    assert compiled_conv.num_threads() == 2
    out = np.arange(-8.0, 8.0).reshape(4, 4)
    compiled_conv.bias_relu(out, None, True)  # runs with 2 threads (numba's pool permitting)
    np.testing.assert_array_equal(out, np.maximum(np.arange(-8.0, 8.0), 0).reshape(4, 4))
    assert numba.get_num_threads() == min(2, numba.config.NUMBA_NUM_THREADS)


FORKED_CONVNET = """
import os, sys
import numpy as np
import numba.np.ufunc.parallel
import learnet as tf
from learnet.ops import compiled

compiled.set_kernels("numba")
layers = tf.keras.layers
model = tf.keras.Sequential([tf.keras.Input((10, 10, 1)), layers.Conv2D(4, 3, activation="relu"),
                             layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(3)])
model.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
x, y = np.random.default_rng(0).random((8, 10, 10, 1), np.float32), np.arange(8) % 3
model.train_on_batch(x, y)
model.predict(x, verbose=0)
# One thread (the default): the serial kernels ran, and numba's OpenMP layer never started.
assert not numba.np.ufunc.parallel._is_initialized, "OpenMP started"
pid = os.fork()
if pid == 0:
    model.train_on_batch(x, y)  # libgomp kills a child forked after OpenMP started
    model.predict(x, verbose=0)
    os._exit(0)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_process_runs_the_compiled_kernels():
    """With one thread the serial kernels run, so a process forked after training can train too."""
    env = {k: v for k, v in os.environ.items() if k not in ("LEARNET_NUM_THREADS", "LEARNET_KERNELS")}
    done = subprocess.run([sys.executable, "-c", FORKED_CONVNET], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]


def test_convnet_fit_gives_the_same_losses_with_both_kernels():
    rng = np.random.default_rng(7)
    x = rng.random((70, 12, 12, 1)).astype(np.float32)
    y = rng.integers(0, 4, 70)

    def fit():
        tf.keras.utils.set_random_seed(0)
        layers = tf.keras.layers
        model = tf.keras.Sequential(
            [
                tf.keras.Input((12, 12, 1)),
                layers.Conv2D(8, 3, activation="relu"),
                layers.MaxPooling2D(2),
                layers.Conv2D(6, 3, activation="relu", padding="same"),
                layers.MaxPooling2D(2),
                layers.Flatten(),
                layers.Dropout(0.5),
                layers.Dense(4, activation="softmax"),
            ]
        )
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        history = model.fit(x, y, batch_size=32, epochs=3, verbose=0, shuffle=True)
        return np.array(history.history["loss"]), model.predict(x, verbose=0)

    (loss0, p0), (loss1, p1) = both(fit)
    np.testing.assert_allclose(loss1, loss0, rtol=1e-5)
    np.testing.assert_allclose(p1, p0, rtol=1e-4, atol=1e-6)
