"""Every op's gradient, checked against central differences in float64.

Shapes come from hypothesis, broadcasting cases included. Values are kept away
from the few points where an op has no derivative (|x| near 0 for abs and relu,
ties for max).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import learnet as tf
from learnet.testing import check_gradients

SETTINGS = settings(max_examples=15, deadline=None)

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


def away_from_zero(shape, seed):
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.2, 2.0, size=shape) * rng.choice([-1, 1], size=shape)
    return np.asarray(values, dtype=np.float64)


def positive(shape, seed):
    return np.random.default_rng(seed).uniform(0.3, 2.0, size=shape)


seeds = st.integers(0, 2**16)


@st.composite
def broadcast_pair(draw):
    shape = draw(shapes)
    # Drop leading axes and squash some axes to 1 for the second operand.
    keep = draw(st.integers(0, len(shape)))
    other = [1 if draw(st.booleans()) else size for size in shape[len(shape) - keep :]]
    if draw(st.booleans()):
        return tuple(shape), tuple(other)
    return tuple(other), tuple(shape)


BINARY = {
    "add": (tf.add, away_from_zero, away_from_zero),
    "subtract": (tf.subtract, away_from_zero, away_from_zero),
    "multiply": (tf.multiply, away_from_zero, away_from_zero),
    "divide": (tf.divide, away_from_zero, away_from_zero),
    "pow": (tf.pow, positive, away_from_zero),
    "maximum": (tf.maximum, away_from_zero, away_from_zero),
    "minimum": (tf.minimum, away_from_zero, away_from_zero),
    "operators": (lambda a, b: (a + b) * a - b / (a * a + 1) + 2.0**a, away_from_zero, away_from_zero),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(pair=broadcast_pair(), seed=seeds)
def test_binary_ops_with_broadcasting(name, pair, seed):
    op, make_a, make_b = BINARY[name]
    a, b = make_a(pair[0], seed), make_b(pair[1], seed + 1)
    if name in ("maximum", "minimum"):
        b = b + 0.05  # no ties
    check_gradients(op, [a, b])


UNARY = {
    "negative": (tf.negative, away_from_zero),
    "square": (tf.square, away_from_zero),
    "sqrt": (tf.sqrt, positive),
    "exp": (tf.exp, away_from_zero),
    "log": (tf.log, positive),
    "abs": (tf.abs, away_from_zero),
    "sign": (lambda x: tf.sign(x) * x, away_from_zero),
    "sin": (tf.sin, away_from_zero),
    "cos": (tf.cos, away_from_zero),
    "tan": (lambda x: tf.tan(x * 0.5), away_from_zero),
    "tanh": (tf.tanh, away_from_zero),
    "rsqrt": (tf.rsqrt, positive),
    "reciprocal": (tf.math.reciprocal, away_from_zero),
    "log1p": (tf.math.log1p, positive),
    "identity": (tf.identity, away_from_zero),
    "pow_scalar": (lambda x: x**3, away_from_zero),
    "clip_by_value": (lambda x: tf.clip_by_value(x, -1.0, 1.0), away_from_zero),
    "cast": (lambda x: tf.cast(x, "float64") * x, away_from_zero),
    "where": (lambda x: tf.where(x > 0, x * x, -x), away_from_zero),
    "relu": (tf.nn.relu, away_from_zero),
    "sigmoid": (tf.nn.sigmoid, away_from_zero),
    "nn.tanh": (tf.nn.tanh, away_from_zero),
    "leaky_relu": (tf.nn.leaky_relu, away_from_zero),
    "leaky_relu_steep": (lambda x: tf.nn.leaky_relu(x, alpha=1.5), away_from_zero),
    "elu": (tf.nn.elu, away_from_zero),
    "softplus": (tf.nn.softplus, away_from_zero),
    "softsign": (tf.nn.softsign, away_from_zero),
    "getitem": (lambda x: x[..., :1] * 2.0 if x.ndim else x * 2.0, away_from_zero),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@SETTINGS
@given(shape=shapes, seed=seeds)
def test_unary_ops(name, shape, seed):
    op, make = UNARY[name]
    if name == "clip_by_value":
        x = make(shape, seed)
        x = np.where(np.abs(np.abs(x) - 1) < 0.05, x * 0.8, x)  # away from the clip edges
    else:
        x = make(shape, seed)
    check_gradients(op, [x])


axes_cases = [None, 0, -1, (0, 1), [1]]


@pytest.mark.parametrize(
    "op",
    [
        tf.reduce_sum,
        tf.reduce_mean,
        tf.reduce_max,
        tf.reduce_min,
        tf.reduce_logsumexp,
        tf.reduce_prod,
        tf.math.reduce_variance,
        tf.math.reduce_std,
    ],
    ids=lambda op: op.__name__,
)
@pytest.mark.parametrize("axis", axes_cases, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(op, axis, keepdims):
    x = np.random.default_rng(3).permutation(np.linspace(0.5, 2.0, 24)).reshape(2, 3, 4)
    check_gradients(lambda t: op(t, axis=axis, keepdims=keepdims), [x])


def test_reduce_max_ties_share_the_gradient():
    x = tf.Variable([1.0, 3.0, 3.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_max(x)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [0.0, 0.5, 0.5])


@SETTINGS
@given(
    m=st.integers(1, 4),
    k=st.integers(1, 4),
    n=st.integers(1, 4),
    ta=st.booleans(),
    tb=st.booleans(),
    batch=st.sampled_from([(), (2,)]),
    seed=seeds,
)
def test_matmul(m, k, n, ta, tb, batch, seed):
    a = away_from_zero(batch + ((k, m) if ta else (m, k)), seed)
    b = away_from_zero(batch + ((n, k) if tb else (k, n)), seed + 1)
    check_gradients(lambda x, y: tf.matmul(x, y, transpose_a=ta, transpose_b=tb), [a, b])
    np.testing.assert_allclose(
        tf.matmul(a, b, transpose_a=ta, transpose_b=tb).numpy(),
        np.matmul(np.swapaxes(a, -1, -2) if ta else a, np.swapaxes(b, -1, -2) if tb else b),
        rtol=1e-5,
        atol=1e-6,  # float64 arrays enter as float32 unless asked
    )


def test_matmul_broadcast_batch_and_vectors():
    check_gradients(lambda a, b: tf.matmul(a, b), [away_from_zero((2, 3, 4), 1), away_from_zero((4, 5), 2)])
    check_gradients(lambda a, b: a @ b, [away_from_zero((3,), 1), away_from_zero((3, 2), 2)])
    check_gradients(lambda a, b: a @ b, [away_from_zero((2, 3), 1), away_from_zero((3,), 2)])
    check_gradients(lambda a, b: a @ b, [away_from_zero((3,), 1), away_from_zero((3,), 2)])


def test_tensordot():
    a, b = away_from_zero((2, 3, 4), 1), away_from_zero((4, 3, 5), 2)
    check_gradients(lambda x, y: tf.tensordot(x, y, [[1, 2], [1, 0]]), [a, b])
    np.testing.assert_allclose(
        tf.tensordot(a, b, [[1, 2], [1, 0]]).numpy(),
        np.tensordot(a, b, [[1, 2], [1, 0]]),
        rtol=1e-5,
        atol=1e-6,
    )
    check_gradients(lambda x, y: tf.tensordot(x, y, 1), [a, b[:, 0, :]])


SHAPE_OPS = {
    "reshape": (lambda x: tf.reshape(x, (3, -1)), (2, 3, 2)),
    "transpose": (lambda x: tf.transpose(x, (2, 0, 1)), (2, 3, 4)),
    "transpose_default": (tf.transpose, (2, 3)),
    "expand_dims": (lambda x: tf.expand_dims(x, 1) * tf.constant([[1.0], [2.0]], dtype="float64"), (3, 2)),
    "squeeze": (lambda x: tf.squeeze(x, axis=1), (3, 1, 2)),
    "broadcast_to": (lambda x: tf.broadcast_to(x, (4, 2, 3)) * np.arange(24).reshape(4, 2, 3), (2, 1)),
    "tile": (lambda x: tf.tile(x, (2, 3)) * np.arange(24).reshape(4, 6), (2, 2)),
    "pad": (lambda x: tf.pad(x, [[1, 2], [0, 1]]) * np.arange(30).reshape(5, 6), (2, 5)),
    "slicing": (lambda x: x[1:, ::2] * x[0, 0], (3, 4)),
    "fancy_indexing": (lambda x: x[[0, 2, 2]] * np.arange(12).reshape(3, 4), (3, 4)),
    "gather": (lambda x: tf.gather(x, [1, 1, 0], axis=1) * np.arange(9).reshape(3, 3), (3, 2)),
    "unstack": (lambda x: tf.unstack(x, axis=1)[1] * 3.0, (2, 3)),
    "split": (lambda x: tf.split(x, [1, 2], axis=1)[1] ** 2, (2, 3)),
    "T": (lambda x: x.T @ x, (2, 3)),
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_ops(name):
    op, shape = SHAPE_OPS[name]
    check_gradients(op, [away_from_zero(shape, 5)])


def test_concat_and_stack():
    a, b = away_from_zero((2, 3), 1), away_from_zero((2, 1), 2)
    check_gradients(lambda x, y: tf.concat([x, y], axis=1) * np.arange(8).reshape(2, 4), [a, b])
    check_gradients(lambda x, y: tf.concat([x, y], axis=0) ** 2, [a, a + 1])
    check_gradients(lambda x, y: tf.stack([x, y], axis=1) * np.arange(12).reshape(2, 2, 3), [a, a * 2])


NN_OPS = {
    "softmax": (lambda x: tf.nn.softmax(x) * np.arange(12).reshape(3, 4), (3, 4)),
    "softmax_axis0": (lambda x: tf.nn.softmax(x, axis=0) * np.arange(12).reshape(3, 4), (3, 4)),
    "log_softmax": (lambda x: tf.nn.log_softmax(x) * np.arange(12).reshape(3, 4), (3, 4)),
    "softmax_cross_entropy": (lambda x: tf.nn.softmax_cross_entropy_with_logits(np.eye(4)[[1, 0, 3]], x), (3, 4)),
    "sparse_softmax_cross_entropy": (lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits([1, 0, 3], x), (3, 4)),
    "sigmoid_cross_entropy": (
        lambda x: tf.nn.sigmoid_cross_entropy_with_logits(np.array([[0.0, 1.0], [1.0, 0.2]]), x),
        (2, 2),
    ),
    "log_sigmoid": (tf.nn.log_sigmoid, (2, 3)),
    "l2_loss": (tf.nn.l2_loss, (2, 3)),
    "moments": (lambda x: tf.nn.moments(x, axes=[0])[1], (4, 3)),
}


@pytest.mark.parametrize("name", sorted(NN_OPS))
def test_nn_ops(name):
    op, shape = NN_OPS[name]
    check_gradients(op, [away_from_zero(shape, 7)])


def test_linalg():
    m = np.eye(3) * 2 + away_from_zero((3, 3), 1) * 0.1
    check_gradients(tf.linalg.inv, [m])
    check_gradients(lambda x: tf.linalg.norm(x), [away_from_zero((3, 2), 2)])


def test_cross_entropy_values_are_stable_and_right():
    logits = tf.constant([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]])
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits([0, 2], logits).numpy()
    np.testing.assert_allclose(loss, [0.0, np.log(3.0)], rtol=1e-6)
    dense = tf.nn.softmax_cross_entropy_with_logits(tf.one_hot([0, 2], 3), logits).numpy()
    np.testing.assert_allclose(dense, loss, rtol=1e-6)
    sig = tf.nn.sigmoid_cross_entropy_with_logits(tf.constant([1.0, 0.0]), tf.constant([-500.0, 500.0]))
    np.testing.assert_allclose(sig.numpy(), [500.0, 500.0])


def test_sparse_cross_entropy_rejects_bad_labels():
    logits = tf.zeros((2, 3))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        tf.nn.sparse_softmax_cross_entropy_with_logits([0, 3], logits)
    with pytest.raises(ValueError, match="shape"):
        tf.nn.sparse_softmax_cross_entropy_with_logits([[0, 1, 0], [1, 0, 0]], logits)


def test_second_order_through_fused_kernel_raises_clearly():
    from learnet.tape import primitive

    @primitive(higher_order=False)
    def fused_square(x):
        return x * x, lambda g, x, out: 2 * g * x

    x = tf.constant(2.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = fused_square(x)
        with pytest.raises(NotImplementedError, match="fused_square"):
            inner.gradient(y, x)
    # First order through it is fine.
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fused_square(x)
    assert float(tape.gradient(y, x)) == 4.0


def test_gradients_stay_float32():
    x = tf.Variable(np.ones((3, 4), np.float32))
    w = tf.Variable(np.ones((4, 2), np.float32))
    with tf.GradientTape() as tape:
        y = tf.reduce_mean(tf.nn.softmax(tf.nn.relu(x @ w) * 0.5 + 1.0) ** 2)
    for grad in tape.gradient(y, [x, w]):
        assert grad.dtype == np.float32


def test_cast_between_float_types_passes_the_gradient_and_ints_stop_it():
    x = tf.Variable([1.5, 2.5], dtype="float64")
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.cast(x, "float32") * 2.0)
    grad = tape.gradient(y, x)
    assert grad.dtype == np.float64
    np.testing.assert_array_equal(grad.numpy(), [2.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.cast(tf.cast(x, "int32"), "float64"))
    assert tape.gradient(y, x) is None


def test_softmax_cross_entropy_with_multi_hot_labels_matches_the_definition():
    logits = np.array([[0.5, -1.0, 2.0], [1.0, 1.0, 0.0]])
    labels = np.array([[1.0, 0.0, 1.0], [0.3, 0.3, 0.0]])
    log_softmax = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -(labels * log_softmax).sum(-1)
    got = tf.nn.softmax_cross_entropy_with_logits(
        tf.constant(labels, dtype="float64"), tf.constant(logits, dtype="float64")
    )
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    check_gradients(lambda z: tf.nn.softmax_cross_entropy_with_logits(labels, z), [logits])


@pytest.mark.parametrize(
    "key, shape",
    [
        ((slice(0, 2),), (3, 2)),  # basic indexing: placed
        ((np.array([0, 2, 0]),), (3, 2)),  # a repeated index: added
        ((np.array([[0, 2, 0, 1] * 5, [-1, 2, 2, 0] * 5]),), (3, 2)),  # many rows: the bincount path
        ((np.array([3, 400, 3, -1] * 20),), (500, 2)),  # a large table: only the distinct rows
    ],
    ids=["slice", "repeated-index", "many-rows", "large-table"],
)
def test_scatter_gradient(key, shape):
    # _scatter is the backward of getitem and gather, and an op itself (second derivatives).
    from learnet.ops.shape import _scatter

    rng = np.random.default_rng(5)
    g = rng.normal(size=np.zeros(shape)[key].shape)
    weights = rng.normal(size=shape)
    check_gradients(lambda t: _scatter(t, key, shape) * weights, [g])


@pytest.mark.parametrize("table, rows, width", [(10, (64, 30), (4,)), (5000, (40, 8), (2, 3)), (7, (5,), (2,))])
def test_scatter_of_repeated_rows_adds_like_add_at(table, rows, width):
    # The embedding's gradient: float32 sums of many repeated (and negative) row ids.
    from learnet.ops.shape import _scatter

    rng = np.random.default_rng(6)
    ids = rng.integers(-table, table, size=rows)
    g = rng.normal(size=rows + width).astype("float32")
    expected = np.zeros((table,) + width, "float64")
    np.add.at(expected, (ids,), g.astype("float64"))
    got = _scatter(tf.constant(g), (ids,), (table,) + width).numpy()
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_leaky_relu_second_derivative_through_its_recorded_backward():
    x = tf.Variable([-2.0, 3.0])
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(tf.nn.leaky_relu(x, alpha=0.1) * x)
        g = inner.gradient(y, x)  # 2 * alpha * x where negative, 2x where positive
    np.testing.assert_allclose(g.numpy(), [-0.4, 6.0], rtol=1e-6)
    np.testing.assert_allclose(outer.gradient(g, x).numpy(), [0.2, 2.0], rtol=1e-6)


def test_floormod_gradients_as_tensorflow():
    # x - floor(x / y) * y: 1 for x and -floor(x / y) for y, away from the jumps (TensorFlow's rule).
    x = np.array([[7.5, -7.25, 0.3], [2.2, -0.6, 5.1]])
    y = np.array([2.0, 3.5, -1.5])
    check_gradients(lambda a, b: tf.math.floormod(a, b) * (a + 1.0), [x, y])
    assert tf.math.floordiv(tf.constant([7.5]), 2.0).numpy().tolist() == [3.0]
