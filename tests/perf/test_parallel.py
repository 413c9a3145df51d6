"""Element-wise work split over threads gives exactly the serial (plain NumPy) results.

``learnet.ops.parallel.split_run`` hands equal slices along the batch to a few threads.
Every function it runs is element-wise or independent per image, so the threaded
results must equal the serial ones bit for bit: these tests run the same kernels and
optimizers with one thread and with several (3, so the slices are uneven) and compare
with ``assert_array_equal``, on arrays above and below the size where threads start.
"""

import numpy as np
import pytest

import learnet as tf
from learnet.ops import compiled, parallel
from learnet.ops.conv import conv2d_relu


@pytest.fixture
def threads(monkeypatch):
    """Set the thread count (restored afterwards); small arrays are split too."""
    before = parallel.num_threads()
    monkeypatch.setattr(parallel, "MIN_ELEMENTS", 64)
    yield parallel.set_num_threads
    parallel.set_num_threads(before)


def test_split_run_covers_every_row_once_with_uneven_slices(threads):
    threads(3)
    x = np.zeros((10, 7))
    seen = []

    def mark(chunk):
        seen.append(len(chunk))
        chunk += 1

    parallel.split_run(mark, [x])
    assert sorted(seen) == [3, 3, 4] and np.all(x == 1)


def test_split_run_is_serial_for_small_arrays_and_one_thread(threads):
    threads(4)
    calls = []
    parallel.split_run(lambda a: calls.append(len(a)), [np.zeros((8, 2))], min_elements=1000)
    threads(1)
    parallel.split_run(lambda a: calls.append(len(a)), [np.zeros((8, 200))])
    assert calls == [8, 8]


def test_split_run_raises_what_a_slice_raised(threads):
    threads(2)

    def fail(chunk):
        if chunk[0, 0] > 0:
            raise ValueError("bad slice")

    with pytest.raises(ValueError, match="bad slice"):
        parallel.split_run(fail, [np.arange(200.0).reshape(20, 10)])


def test_flat_views_refuse_arrays_that_would_be_copied():
    a = np.zeros((4, 5))
    views = parallel.flat_views([a, a[:, :3].copy()])
    views[0][0] = 7
    assert a[0, 0] == 7
    assert parallel.flat_views([a, a.T]) is None


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_rejects_bad_values(bad):
    before = parallel.num_threads()
    with pytest.raises(ValueError, match="positive int"):
        parallel.set_num_threads(bad)
    assert parallel.num_threads() == before


def _conv_pool_step(x, kernel, bias, strides, padding):
    """Forward and gradients of sum(max_pool(conv2d_relu(x)) * weights)."""
    x, kernel, bias = tf.Variable(x), tf.Variable(kernel), tf.Variable(bias)
    with tf.GradientTape() as tape:
        y = conv2d_relu(x, kernel, bias=bias, strides=strides, padding=padding)
        p = tf.nn.max_pool2d(y, 2, 2, padding)
        loss = tf.reduce_sum(p * np.linspace(-1, 1, p.shape[-1]).astype(p.dtype))
    grads = tape.gradient(loss, [x, kernel, bias])
    return [y.numpy(), p.numpy()] + [g.numpy() for g in grads]


@pytest.mark.parametrize(
    "shape, filters, strides, padding",
    [
        ((5, 9, 11, 3), 8, 1, "valid"),
        ((7, 13, 13, 16), 12, 1, "same"),
        ((4, 10, 7, 1), 5, 2, "same"),
    ],
)
def test_conv_relu_and_max_pool_threaded_equal_serial(threads, shape, filters, strides, padding):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(np.float32)
    x[x < -0.5] = 0.0  # ties in the pooling windows
    kernel = rng.standard_normal((3, 3, shape[-1], filters)).astype(np.float32)
    bias = rng.standard_normal(filters).astype(np.float32)
    threads(1)
    serial = _conv_pool_step(x, kernel, bias, strides, padding)
    threads(3)
    threaded = _conv_pool_step(x, kernel, bias, strides, padding)
    for a, b in zip(serial, threaded):
        np.testing.assert_array_equal(a, b)


OPTIMIZERS = [
    lambda: tf.keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    lambda: tf.keras.optimizers.RMSprop(centered=True, momentum=0.5),
    lambda: tf.keras.optimizers.RMSprop(),
    lambda: tf.keras.optimizers.Adam(amsgrad=True),
    lambda: tf.keras.optimizers.Adam(),
    lambda: tf.keras.optimizers.AdamW(),
    lambda: tf.keras.optimizers.Adagrad(),
    lambda: tf.keras.optimizers.Adadelta(),
    lambda: tf.keras.optimizers.Adamax(),
    lambda: tf.keras.optimizers.Nadam(),
]


def _train(make_optimizer, steps=3):
    rng = np.random.default_rng(2)
    weights = [
        tf.Variable(rng.standard_normal(shape).astype(np.float32)) for shape in ((37, 29), (29,), (5, 3), (30, 40))
    ]
    optimizer = make_optimizer()
    for step in range(steps):
        grads = [rng.standard_normal(w.shape).astype(np.float32) for w in weights]
        grads[3] = np.ascontiguousarray(grads[3].T).T  # one gradient not C-contiguous
        optimizer.apply_gradients(zip(grads, weights))
    return [w.numpy() for w in weights] + [v.numpy() for v in optimizer.variables]


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
def test_optimizer_updates_threaded_equal_serial(threads, make_optimizer, monkeypatch):
    monkeypatch.setattr(compiled, "enabled", lambda: False)  # the NumPy updates, not the compiled ones
    threads(1)
    serial = _train(make_optimizer)
    threads(3)
    threaded = _train(make_optimizer)
    assert len(serial) == len(threaded)
    for a, b in zip(serial, threaded):
        np.testing.assert_array_equal(a, b)


def test_threaded_update_changes_the_weight_itself(threads):
    threads(2)
    w = tf.Variable(np.ones((40, 40), np.float32))
    held = w._value
    tf.keras.optimizers.SGD(0.5).apply_gradients([(np.ones((40, 40), np.float32), w)])
    assert w._value is held and np.all(held == 0.5)


def test_threads_come_from_learnet_num_threads(monkeypatch):
    monkeypatch.delenv("LEARNET_NUM_THREADS", raising=False)
    assert parallel._default_threads() == 1  # serial unless asked
    monkeypatch.setenv("LEARNET_NUM_THREADS", "3")
    assert parallel._default_threads() == 3
    for bad in ("two", "0", "-2"):
        monkeypatch.setenv("LEARNET_NUM_THREADS", bad)
        with pytest.raises(ValueError, match="LEARNET_NUM_THREADS"):
            parallel._default_threads()


def test_split_run_inside_a_slice_runs_serially_instead_of_deadlocking(threads):
    threads(2)
    x = np.zeros((8, 40))

    def outer(chunk):
        parallel.split_run(lambda inner: np.add(inner, 1, out=inner), [chunk], min_elements=0)

    parallel.split_run(outer, [x], min_elements=0)
    assert np.all(x == 1)
