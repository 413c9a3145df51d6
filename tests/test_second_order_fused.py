"""Second derivatives through the fused kernels: convolutions, pooling, sparse cross-entropy.

A fused op's backward works on raw arrays; for a nested ``GradientTape`` it offers a
differentiable twin written with learnet ops (``higher_order_backward``, see
``learnet.tape.primitive``). Each test differentiates a function of a first gradient
(the inner tape's result) and checks it against central differences of that first
gradient, which the fused kernels compute: so the twin and the kernel must agree too.
"""

import numpy as np
import pytest

import learnet as tf
from learnet.ops import compiled
from learnet.ops import conv as conv_ops
from learnet.ops import nn as nn_ops
from learnet.testing import check_gradients

from second_order_checks import ATOL, RTOL, check_second_order, constant, random, squashed


@pytest.fixture(params=["numba", "numpy"])
def kernels(request):
    """Both kernel sets: the compiled ones (their own max-pooling winners) and NumPy's."""
    if request.param == "numba":
        pytest.importorskip("numba")
    before = compiled.kernels()
    compiled.set_kernels(request.param)
    yield request.param
    compiled.set_kernels(before)


# --- convolution -------------------------------------------------------------------------------------
CONV_CASES = [
    # (input shape, kernel shape, strides, padding, dilations)
    ((2, 7, 5, 3), (3, 3, 3, 2), 1, "VALID", 1),
    ((2, 7, 5, 3), (3, 3, 3, 2), 1, "SAME", 1),
    ((2, 7, 5, 2), (3, 2, 2, 3), 2, "VALID", 1),
    ((1, 7, 9, 2), (3, 3, 2, 3), 2, "SAME", 1),
    ((1, 7, 7, 1), (2, 3, 1, 2), (2, 1), "SAME", 1),
    ((1, 9, 8, 2), (3, 3, 2, 2), 1, "SAME", 2),
    ((1, 6, 6, 2), (2, 2, 2, 2), 1, [[0, 0], [1, 2], [0, 1], [0, 0]], 1),
]


@pytest.mark.parametrize("shape, kernel, strides, padding, dilations", CONV_CASES)
def test_conv2d_second_order(shape, kernel, strides, padding, dilations):
    def f(x, k):
        return squashed(tf.nn.conv2d(x, k, strides, padding, dilations=dilations), 1)

    check_second_order(f, [random(shape, 2), random(kernel, 3, 0.5)])


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("shape, kernel, strides, padding, dilations", CONV_CASES[:4])
def test_conv2d_with_bias_and_relu_second_order(shape, kernel, strides, padding, dilations, relu):
    def f(x, k, b):
        if relu:
            y = conv_ops.conv2d_relu(x, k, b, strides, padding, dilations)
        else:
            y = tf.nn.conv2d(x, k, strides, padding, dilations=dilations, bias=b)
        return squashed(y, 4)

    # The bias keeps most outputs away from the ReLU's kink, where differences would jump.
    check_second_order(f, [random(shape, 5), random(kernel, 6, 0.5), 0.3 + random(kernel[-1], 7, 0.1)])


@pytest.mark.parametrize("shape, kernel, strides, padding, dilations", CONV_CASES)
def test_conv2d_backprop_input_and_filter_gradients(shape, kernel, strides, padding, dilations):
    """The two ops of the convolution's twin, each checked on its own (first order) and
    through a nested tape (the third derivative of the convolution)."""
    strides, padding, dilations = conv_ops._conv_arguments(strides, padding, None, dilations, "conv2d")
    out_shape = tuple(
        tf.nn.conv2d(
            tf.zeros(shape, "float64"), tf.zeros(kernel, "float64"), strides, padding, dilations=dilations
        ).shape
    )

    def backprop_input(g, k):
        return squashed(conv_ops._conv2d_backprop_input(g, k, shape, strides, padding, dilations), 8)

    def backprop_filter(x, g):
        return squashed(conv_ops._conv2d_backprop_filter(x, g, kernel, strides, padding, dilations), 9)

    g, k, x = random(out_shape, 10), random(kernel, 11), random(shape, 12)
    check_gradients(backprop_input, [g, k], rtol=RTOL, atol=ATOL)
    check_gradients(backprop_filter, [x, g], rtol=RTOL, atol=ATOL)
    check_second_order(backprop_input, [g, k])
    check_second_order(backprop_filter, [x, g])


def test_the_twin_ops_are_the_convolutions_gradients():
    x, k, g = random((2, 7, 6, 3), 13), random((3, 3, 3, 4), 14), random((2, 4, 3, 4), 15)
    x, k, g = constant(x), constant(k), constant(g)
    with tf.GradientTape() as tape:
        tape.watch([x, k])
        y = tf.nn.conv2d(x, k, 2, "SAME")
    dx, dk = tape.gradient(y, [x, k], output_gradients=g)
    geometry = ((2, 2), "SAME", (1, 1))
    np.testing.assert_allclose(conv_ops._conv2d_backprop_input(g, k, x.shape, *geometry).numpy(), dx.numpy())
    np.testing.assert_allclose(conv_ops._conv2d_backprop_filter(x, g, k.shape, *geometry).numpy(), dk.numpy())


@pytest.mark.parametrize(
    "shape, kernel, strides, padding, dilations",
    [
        ((2, 6, 5, 3), (3, 3, 3, 2), 1, "VALID", 1),
        ((1, 7, 7, 2), (3, 2, 2, 1), 2, "SAME", 1),
        ((1, 8, 7, 2), (2, 2, 2, 2), 1, "SAME", 2),
    ],
)
def test_depthwise_and_separable_conv2d_second_order(shape, kernel, strides, padding, dilations):
    def f(x, k, p):
        y = tf.nn.depthwise_conv2d(x, k, strides, padding, dilations=dilations)
        return squashed(y, 46) + squashed(tf.nn.separable_conv2d(x, k, p, strides, padding, dilations=dilations), 47)

    pointwise = (1, 1, kernel[2] * kernel[3], 2)
    check_second_order(f, [random(shape, 48), random(kernel, 49, 0.5), random(pointwise, 50, 0.5)])


@pytest.mark.parametrize("stride, padding", [(1, "VALID"), (2, "SAME"), (2, "VALID")])
def test_conv1d_second_order(stride, padding):
    def f(x, k, b):
        return squashed(tf.nn.conv1d(x, k, stride, padding, bias=b), 16)

    check_second_order(f, [random((2, 9, 3), 17), random((3, 3, 2), 18, 0.5), random(2, 19, 0.1)])


@pytest.mark.parametrize(
    "shape, kernel, strides, padding",
    [
        ((2, 3, 4, 2), (3, 3, 3, 2), 2, "SAME"),
        ((1, 3, 3, 3), (3, 2, 2, 3), 2, "VALID"),
        ((2, 5, 4, 2), (3, 3, 3, 2), 1, "VALID"),
        ((1, 4, 3, 2), (2, 3, 2, 2), 1, "SAME"),
    ],
)
def test_conv2d_transpose_second_order(shape, kernel, strides, padding):
    n, h, w, _ = shape
    size = (lambda s, k: s * strides + max(k - strides, 0)) if padding == "VALID" else (lambda s, k: s * strides)
    output_shape = (n, size(h, kernel[0]), size(w, kernel[1]), kernel[2])

    def f(y, k):
        return squashed(tf.nn.conv2d_transpose(y, k, output_shape, strides, padding), 20)

    check_second_order(f, [random(shape, 21), random(kernel, 22, 0.5)])


# --- pooling ---------------------------------------------------------------------------------------
POOL_CASES = [
    # (input shape, window, strides, padding)
    ((2, 6, 6, 2), 2, 2, "VALID"),  # windows tile the image
    ((2, 7, 5, 2), 2, 2, "VALID"),  # a row and a column left over
    ((1, 7, 7, 3), 3, 2, "SAME"),  # overlapping windows, padding
    ((1, 5, 7, 2), (2, 3), (3, 2), "VALID"),  # gaps between windows
    ((1, 5, 5, 1), 2, 2, "SAME"),  # padding after: windows reach past the image
]


@pytest.mark.parametrize("shape, window, strides, padding", POOL_CASES)
def test_max_pool2d_second_order(kernels, shape, window, strides, padding):
    def f(x, k):
        y = tf.nn.conv2d(x, k, 1, "SAME")  # weights before the pooling, as in a network
        return squashed(tf.nn.max_pool2d(tf.tanh(y), window, strides, padding), 23)

    check_second_order(f, [random(shape, 24), random((2, 2, shape[3], 2), 25, 0.5)])


def test_max_pool_twin_sends_the_gradient_where_the_kernel_does(kernels):
    """Ties included: the first maximum of a window (row-major) takes it all, in both."""
    x = constant(np.array([[1.0, 3.0, 3.0], [3.0, 2.0, 0.0], [1.0, 3.0, 3.0]]).reshape(1, 3, 3, 1))
    for window, strides, padding in [(2, 1, "VALID"), (2, 2, "SAME"), (3, 1, "SAME")]:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.nn.max_pool2d(x, window, strides, padding)
        kernel = tape.gradient(y, x, output_gradients=constant(random(tuple(y.shape), 27)))
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.nn.max_pool2d(x, window, strides, padding)
            twin = tape.gradient(y, x, output_gradients=constant(random(tuple(y.shape), 27)))
        np.testing.assert_array_equal(twin.numpy(), kernel.numpy())


@pytest.mark.parametrize("shape, window, strides, padding", POOL_CASES)
def test_avg_pool2d_second_order(shape, window, strides, padding):
    def f(x, k):
        y = tf.nn.conv2d(x, k, 1, "SAME")
        return squashed(tf.nn.avg_pool2d(tf.tanh(y), window, strides, padding), 28)

    check_second_order(f, [random(shape, 29), random((2, 2, shape[3], 2), 30, 0.5)])


@pytest.mark.parametrize("shape, window, strides, padding", POOL_CASES)
def test_avg_pool2d_backprop_gradient(shape, window, strides, padding):
    strides = conv_ops._pair(strides, "strides", "avg_pool2d")
    window = conv_ops._pair(window, "ksize", "avg_pool2d")
    out_shape = tuple(tf.nn.avg_pool2d(tf.zeros(shape, "float64"), window, strides, padding).shape)

    def backprop(g):
        return squashed(conv_ops._avg_pool2d_backprop(g, shape, window, strides, padding), 31)

    check_gradients(backprop, [random(out_shape, 32)], rtol=RTOL, atol=ATOL)
    check_second_order(backprop, [random(out_shape, 32)])


def test_conv_relu_then_max_pool_second_order(kernels):
    """The fused Conv2D+ReLU before max pooling: under an outer tape the pooling hands the
    convolution no masked gradient, and both twins run."""

    def f(x, k, b):
        y = conv_ops.conv2d_relu(x, k, b, 1, "VALID")
        return squashed(tf.nn.max_pool2d(y, 2, 2, "VALID"), 33)

    check_second_order(f, [random((2, 7, 7, 2), 34), random((3, 3, 2, 3), 35, 0.5), 0.3 + random(3, 36, 0.1)])


def test_third_order_through_a_convolution():
    """The twin's ops are differentiable again: a third tape."""
    x, k = constant(random((1, 5, 5, 1), 37)), random((3, 3, 1, 1), 38)

    def third(k):
        with tf.GradientTape() as t3:
            t3.watch(k)
            with tf.GradientTape() as t2:
                t2.watch(k)
                with tf.GradientTape() as t1:
                    t1.watch(k)
                    y = tf.reduce_sum(tf.tanh(tf.nn.conv2d(x, k, 1, "SAME")))
                g1 = tf.reduce_sum(tf.square(t1.gradient(y, k)))
            g2 = tf.reduce_sum(tf.square(t2.gradient(g1, k)))
        return t3.gradient(g2, k).numpy(), g2

    def second(k):
        with tf.GradientTape() as t2:
            t2.watch(k)
            with tf.GradientTape() as t1:
                t1.watch(k)
                y = tf.reduce_sum(tf.tanh(tf.nn.conv2d(x, k, 1, "SAME")))
            g1 = tf.reduce_sum(tf.square(t1.gradient(y, k)))
        return float(tf.reduce_sum(tf.square(t2.gradient(g1, k))))

    got, _ = third(constant(k))
    base, eps = k, 1e-6
    numeric = np.zeros_like(base)
    for index in np.ndindex(base.shape):
        plus, minus = base.copy(), base.copy()
        plus[index] += eps
        minus[index] -= eps
        numeric[index] = (second(constant(plus)) - second(constant(minus))) / (2 * eps)
    np.testing.assert_allclose(got, numeric, rtol=1e-4, atol=1e-6)


# --- sparse categorical cross-entropy -----------------------------------------------------------
def test_sparse_softmax_cross_entropy_second_order():
    labels = np.array([[0, 2, 1], [3, 3, 0]])

    def f(logits, w):
        scores = tf.matmul(logits, w)
        return tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, scores) * [[1.0, 2.0, 0.5]])

    check_second_order(f, [random((2, 3, 4), 39), random((4, 4), 40)])
    assert nn_ops._sparse_softmax_cross_entropy.higher_order is False  # the training step keeps the kernel


def test_sparse_categorical_crossentropy_loss_second_order():
    """keras.io's debugging tips: first and second derivatives of a softmax classifier's loss."""
    labels = np.array([2, 0, 1, 1])

    def f(x, w):
        probabilities = tf.nn.softmax(tf.matmul(x, w))
        return tf.reduce_sum(tf.keras.losses.sparse_categorical_crossentropy(labels, probabilities))

    check_second_order(f, [random((4, 5), 41), random((5, 3), 42)])


# --- picking along an axis, scatter min/max, quantiles --------------------------------------------------
TAKE_INDICES = np.array([[[0], [2], [1], [0]], [[1], [1], [2], [0]]])


def test_take_along_axis_second_order():
    from learnet.ops.shape import take_along_axis

    check_second_order(lambda x: squashed(take_along_axis(x, TAKE_INDICES, 2) ** 2, 46), [random((2, 4, 3), 43)])


def test_add_along_axis_gradients_are_take_along_axis():
    from learnet.ops.shape import add_along_axis

    indices = np.array([[0, 2, 2], [1, 0, 1]])  # repeats add up
    assert (
        check_gradients(
            lambda v: add_along_axis(v, indices, 1, (2, 4)) * np.arange(8.0).reshape(2, 4), [random((2, 3), 47)]
        )
        < 1e-6
    )
    check_second_order(lambda v: squashed(add_along_axis(v * v, indices, 1, (2, 4)), 48), [random((2, 3), 49)])


@pytest.mark.parametrize("kind", ["min", "max"])
def test_scatter_min_max_second_order(kind):
    scatter = tf.tensor_scatter_nd_min if kind == "min" else tf.tensor_scatter_nd_max
    indices = [[0], [2], [0]]

    def f(tensor, updates):
        return squashed(scatter(tensor * tensor, indices, updates * updates), 50)

    check_second_order(f, [random((3, 2), 51), random((3, 2), 52)])


def test_quantile_second_order():
    check_second_order(lambda x: squashed(tf.keras.ops.quantile(x * x, [0.3, 0.8], axis=1), 53), [random((3, 5), 54)])


# --- what is left -----------------------------------------------------------------------------------
def test_a_fused_op_without_a_twin_still_says_so():
    logits = tf.constant(random((2, 5, 4), 43))
    labels = tf.constant([[1, 2], [3, 3]])
    lengths = tf.constant([2, 2])
    with pytest.raises(NotImplementedError, match="second-order gradients through '_ctc_loss_from_logits'"):
        with tf.GradientTape() as outer:
            outer.watch(logits)
            with tf.GradientTape() as inner:
                inner.watch(logits)
                y = tf.reduce_sum(tf.keras.ops.ctc_loss(labels, logits, lengths, tf.constant([5, 5])))
            g = inner.gradient(y, logits)
            tf.reduce_sum(g * g)
        outer.gradient(g, logits)


def test_first_order_training_step_keeps_the_fused_kernels():
    """With no outer tape the twin never runs: the fused backward does the work."""
    calls = []
    x = tf.constant(random((2, 6, 6, 1), 44).astype("float32"))
    k = tf.Variable(random((3, 3, 1, 2), 45).astype("float32"))
    with tf.GradientTape() as tape:
        y = tf.nn.max_pool2d(conv_ops.conv2d_relu(x, k), 2)
    for note in tape._notes:
        twin = note.backward.higher_order_backward
        note.backward.higher_order_backward = lambda *args, twin=twin: calls.append(1) or twin(*args)
    tape.gradient(y, k)
    assert calls == []


# --- against Keras 3: keras.io's WGAN-GP gradient penalty ---------------------------------------
def critic(library):
    """A small WGAN-GP critic as keras.io's: strided "same" convolutions, LeakyReLU, Dropout."""
    layers = library.layers
    return library.Sequential(
        [
            library.Input((9, 9, 1)),
            layers.Conv2D(4, 3, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Conv2D(6, 3, strides=2, padding="same", activation="relu"),
            layers.MaxPooling2D(2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Dropout(0.3),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )


def test_wgan_gp_gradient_penalty_matches_keras():
    keras = pytest.importorskip("keras")
    jax = pytest.importorskip("jax")
    if keras.backend.backend() != "jax":
        pytest.skip("compared with Keras 3 on its JAX backend")
    jnp = jax.numpy
    rng = np.random.default_rng(46)
    real, fake = rng.random((3, 9, 9, 1)).astype("float32"), rng.random((3, 9, 9, 1)).astype("float32")
    alpha = rng.random((3, 1, 1, 1)).astype("float32")
    interpolated = real + alpha * (fake - real)

    theirs = critic(keras)
    ours = critic(tf.keras)
    weights = [rng.standard_normal(tuple(v.shape)).astype("float32") * 0.5 for v in theirs.trainable_variables]
    for variable, value in zip(ours.trainable_variables, weights):
        variable.assign(value)

    x = tf.constant(interpolated)
    with tf.GradientTape() as tape:
        with tf.GradientTape() as gp_tape:
            gp_tape.watch(x)
            pred = ours(x, training=False)
        grads = gp_tape.gradient(pred, [x])[0]
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]))
        penalty = tf.reduce_mean((norm - 1.0) ** 2)
    # The last bias moves the prediction, not its gradient: None here as in TensorFlow.
    got = tape.gradient(penalty, ours.trainable_variables, unconnected_gradients="zero")

    fixed = [v.value for v in theirs.non_trainable_variables]  # the dropout's seed

    def prediction(trainable, x):
        return jnp.sum(theirs.stateless_call(trainable, fixed, x, training=False)[0])

    def keras_penalty(trainable):
        g = jax.grad(prediction, argnums=1)(trainable, jnp.asarray(interpolated))
        return jnp.mean((jnp.sqrt(jnp.sum(g**2, axis=(1, 2, 3))) - 1.0) ** 2)

    want_penalty, want = jax.value_and_grad(keras_penalty)([jnp.asarray(w) for w in weights])
    np.testing.assert_allclose(float(penalty), float(want_penalty), rtol=1e-5)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), np.asarray(w), rtol=1e-4, atol=1e-5)
