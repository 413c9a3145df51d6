"""Second derivatives through more fused kernels: the recurrent layers' sequence ops and the
3-D convolutions and pooling.

As in ``test_second_order_fused.py``: each test differentiates a function of a first
gradient (an inner tape's result, which the fused kernel computes) with an outer tape (the
kernel's differentiable twin, ``higher_order_backward``) and checks it against central
differences of that first gradient, in float64. So the twin and the kernel must agree too.
"""

import numpy as np
import pytest

import learnet as tf
from learnet.ops import recurrent
from learnet.ops import volumes as volume_ops
from learnet.testing import check_gradients

from second_order_checks import ATOL, RTOL, check_second_order, constant, random, squashed


# --- recurrent sequence ops --------------------------------------------------------------------------
BATCH, STEPS, FEATURES, UNITS = 2, 5, 3, 3
MASK = np.array([[True, True, False, True, False], [True, False, True, True, True]])
OPTIONS = [
    {},
    {"go_backwards": True},
    {"mask": MASK},
    {"mask": MASK, "zero_output_for_mask": True, "go_backwards": True},
    {"recurrent_mask": "dropout"},
]


def sequence_arrays(gates, states, seed, bias_shape=None):
    """Inputs, initial states and weights of a fused sequence op, small enough for tanh."""
    bias_shape = bias_shape or (gates * UNITS,)
    return (
        [random((BATCH, STEPS, FEATURES), seed)]
        + [random((BATCH, UNITS), seed + 1 + i, 0.5) for i in range(states)]
        + [
            random((FEATURES, gates * UNITS), seed + 5, 0.5),
            random((UNITS, gates * UNITS), seed + 6, 0.5),
            random(bias_shape, seed + 7, 0.3),
        ]
    )


def resolved(options):
    if options.get("recurrent_mask") == "dropout":  # a fixed recurrent-dropout mask
        keep = np.random.default_rng(8).random((BATCH, UNITS)) > 0.3
        return dict(options, recurrent_mask=keep / 0.7)
    return options


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_simple_rnn_sequence_second_order(options, activation):
    options = resolved(options)

    def f(*tensors):
        return squashed(recurrent.simple_rnn_sequence(*tensors, activation=activation, **options), 11)

    check_second_order(f, sequence_arrays(1, 1, 10))


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("activations", [("tanh", "sigmoid"), ("tanh", "hard_sigmoid"), ("sigmoid", "tanh")])
def test_lstm_sequence_second_order(options, activations):
    options = resolved(options)
    activation, recurrent_activation = activations

    def f(*tensors):
        out = recurrent.lstm_sequence(
            *tensors, activation=activation, recurrent_activation=recurrent_activation, **options
        )
        return squashed(out, 21)

    check_second_order(f, sequence_arrays(4, 2, 20))


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_sequence_second_order(options, reset_after):
    options = resolved(options)

    def f(*tensors):
        return squashed(recurrent.gru_sequence(*tensors, reset_after=reset_after, **options), 31)

    check_second_order(f, sequence_arrays(3, 1, 30, (2, 3 * UNITS) if reset_after else None))


# --- through the layers ------------------------------------------------------------------------------
LAYER_OPTIONS = [
    {},
    {"return_sequences": True},
    {"return_sequences": True, "go_backwards": True},
    {"return_state": True, "go_backwards": True},
]


def recurrent_layer(kind, **options):
    """A float64 layer of ``kind`` built with fixed random weights."""
    layer = getattr(tf.keras.layers, kind)(UNITS, dtype="float64", **options)
    layer(constant(np.zeros((BATCH, STEPS, FEATURES))))
    for number, variable in enumerate(layer.trainable_variables):
        variable.assign(random(tuple(variable.shape), 50 + number, 0.5))
    return layer


def layer_output(layer, x, mask):
    out = layer(x, mask=None if mask is None else tf.constant(mask))
    return tf.concat([tf.reshape(o, (BATCH, -1)) for o in out], axis=1) if isinstance(out, list) else out


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("options", LAYER_OPTIONS)
@pytest.mark.parametrize("masked", [False, True])
def test_recurrent_layer_second_order_through_the_inputs(kind, options, masked):
    """A gradient penalty's gradient with respect to the inputs (the weights fixed)."""
    layer = recurrent_layer(kind, **options)
    mask = MASK if masked else None
    check_second_order(lambda x: squashed(layer_output(layer, x, mask), 60), [random((BATCH, STEPS, FEATURES), 61)])


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_recurrent_layer_gradient_penalty_reaches_the_weights(kind):
    """The outer tape's gradient of a penalty on the input gradient, with respect to the
    layer's weights, against central differences of the penalty (weights moved by assign)."""
    layer = recurrent_layer(kind, return_sequences=True)
    x = constant(random((BATCH, STEPS, FEATURES), 62))

    def penalty():
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = squashed(layer(x, mask=tf.constant(MASK)), 63)
        g = inner.gradient(y, x)
        return tf.reduce_sum(tf.square(g))

    with tf.GradientTape() as outer:
        value = penalty()
    got = outer.gradient(value, layer.trainable_variables)
    for variable, grad in zip(layer.trainable_variables, got):
        base = variable.numpy()
        numeric = np.zeros_like(base)
        for index in np.ndindex(base.shape):
            moved = []
            for step in (1e-6, -1e-6):
                shifted = base.copy()
                shifted[index] += step
                variable.assign(shifted)
                moved.append(float(penalty()))
            numeric[index] = (moved[0] - moved[1]) / 2e-6
        variable.assign(base)
        np.testing.assert_allclose(grad.numpy(), numeric, rtol=RTOL, atol=ATOL)


def test_first_order_recurrent_training_step_keeps_the_fused_kernel():
    """With no outer tape the twin never runs: the fused backward does the work."""
    layer = recurrent_layer("LSTM")
    x = constant(random((BATCH, STEPS, FEATURES), 64))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(layer(x))
    (note,) = [note for note in tape._notes if note.name == "lstm_sequence"]
    calls = []
    twin = note.backward.higher_order_backward
    note.backward.higher_order_backward = lambda *args: calls.append(1) or twin(*args)
    tape.gradient(y, layer.trainable_variables)
    assert calls == []


# --- against Keras 3 ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kind, options",
    [
        ("LSTM", {"return_sequences": True}),
        ("GRU", {"go_backwards": True}),
        ("SimpleRNN", {"return_sequences": True, "go_backwards": True}),
    ],
)
def test_recurrent_gradient_penalty_matches_keras(kind, options):
    """The gradient, with respect to the weights, of a penalty on the gradient with respect
    to the inputs: learnet's nested tapes against ``jax.grad`` nested on the Keras layer."""
    keras = pytest.importorskip("keras")
    jax = pytest.importorskip("jax")
    if keras.backend.backend() != "jax":
        pytest.skip("compared with Keras 3 on its JAX backend")
    jnp = jax.numpy
    rng = np.random.default_rng(65)
    x_value = rng.standard_normal((3, 6, 4)).astype("float32")
    mask = np.ones((3, 6), bool)
    mask[0, 4:] = False
    mask[2, 3:] = False

    theirs = getattr(keras.layers, kind)(5, **options)
    theirs.build((None, 6, 4))
    ours = getattr(tf.keras.layers, kind)(5, **options)
    ours.build((None, 6, 4))
    weights = [rng.standard_normal(tuple(v.shape)).astype("float32") * 0.5 for v in theirs.trainable_variables]
    for variable, value in zip(ours.trainable_variables, weights):
        variable.assign(value)

    x = tf.constant(x_value)
    with tf.GradientTape() as tape:
        with tf.GradientTape() as gp_tape:
            gp_tape.watch(x)
            y = tf.reduce_sum(tf.tanh(ours(x, mask=tf.constant(mask))))
        grads = gp_tape.gradient(y, x)
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2]))
        penalty = tf.reduce_mean((norm - 1.0) ** 2)
    got = tape.gradient(penalty, ours.trainable_variables)

    fixed = [v.value for v in theirs.non_trainable_variables]  # the dropout's seed

    def prediction(trainable, x):
        out, _ = theirs.stateless_call(trainable, fixed, x, mask=jnp.asarray(mask))
        return jnp.sum(jnp.tanh(out))

    def keras_penalty(trainable):
        g = jax.grad(prediction, argnums=1)(trainable, jnp.asarray(x_value))
        return jnp.mean((jnp.sqrt(jnp.sum(g**2, axis=(1, 2))) - 1.0) ** 2)

    want_penalty, want = jax.value_and_grad(keras_penalty)([jnp.asarray(w) for w in weights])
    np.testing.assert_allclose(float(penalty), float(want_penalty), rtol=1e-5)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), np.asarray(w), rtol=1e-4, atol=1e-5)


# --- 3-D convolution and pooling ----------------------------------------------------------------------
CONV3D_CASES = [
    # (input shape, kernel shape, strides, padding, dilations)
    ((1, 5, 4, 3, 2), (3, 2, 2, 2, 3), 1, "VALID", 1),
    ((2, 3, 5, 3, 1), (2, 3, 3, 1, 2), 1, "SAME", 1),
    ((1, 5, 5, 3, 2), (3, 3, 2, 2, 1), (2, 1, 2), "SAME", 1),
    ((1, 5, 5, 5, 1), (2, 2, 2, 1, 2), 2, "VALID", 1),
    ((1, 5, 5, 3, 1), (2, 2, 2, 1, 1), 1, "VALID", (2, 1, 1)),
    ((1, 3, 4, 3, 1), (2, 2, 2, 1, 2), 1, [[0, 1], [1, 0], [1, 1]], 1),
]


@pytest.mark.parametrize("shape, kernel, strides, padding, dilations", CONV3D_CASES)
def test_conv3d_second_order(shape, kernel, strides, padding, dilations):
    def f(x, k):
        return squashed(tf.nn.conv3d(x, k, strides, padding, dilations=dilations), 70)

    check_second_order(f, [random(shape, 71), random(kernel, 72, 0.5)])


@pytest.mark.parametrize("shape, kernel, strides, padding, dilations", CONV3D_CASES)
def test_conv3d_backprop_input_and_filter_gradients(shape, kernel, strides, padding, dilations):
    """The two ops of the 3-D convolution's twin, each checked on its own (first order) and
    through a nested tape (the third derivative of the convolution)."""
    strides, padding, dilations = volume_ops._conv_arguments(strides, padding, None, dilations, "conv3d")
    out_shape = tuple(volume_ops._conv3d(np.zeros(shape), np.zeros(kernel), strides, padding, dilations).shape)

    def conv3d_backprop_input(g, k):
        return squashed(volume_ops._conv3d_backprop_input(g, k, shape, strides, padding, dilations), 73)

    def conv3d_backprop_filter(x, g):
        return squashed(volume_ops._conv3d_backprop_filter(x, g, kernel, strides, padding, dilations), 74)

    g, k, x = random(out_shape, 75), random(kernel, 76), random(shape, 77)
    check_gradients(conv3d_backprop_input, [g, k], rtol=RTOL, atol=ATOL)
    check_gradients(conv3d_backprop_filter, [x, g], rtol=RTOL, atol=ATOL)
    check_second_order(conv3d_backprop_input, [g, k])
    check_second_order(conv3d_backprop_filter, [x, g])


@pytest.mark.parametrize("shape, kernel, strides, padding", [(s, k, st, p) for s, k, st, p, d in CONV3D_CASES[:4]])
def test_conv3d_transpose_second_order(shape, kernel, strides, padding):
    out_shape = tuple(tf.nn.conv3d(np.zeros(shape), np.zeros(kernel), strides, padding).shape)

    def f(y, k):
        return squashed(tf.nn.conv3d_transpose(y, k, shape, strides, padding), 78)

    check_second_order(f, [random(out_shape, 79), random(kernel, 80, 0.5)])


POOL3D_CASES = [
    # (input shape, window, strides, padding)
    ((2, 4, 4, 4, 2), 2, 2, "VALID"),
    ((1, 5, 4, 3, 2), (3, 2, 2), (2, 1, 1), "SAME"),
    ((1, 5, 5, 5, 1), 3, 2, "SAME"),
    ((1, 3, 5, 4, 2), (1, 3, 2), (1, 2, 2), "VALID"),
]


@pytest.mark.parametrize("shape, window, strides, padding", POOL3D_CASES)
def test_max_pool3d_second_order(shape, window, strides, padding):
    def f(x):
        return squashed(tf.nn.max_pool3d(x, window, strides, padding), 81)

    check_second_order(f, [random(shape, 82)])


def test_max_pool3d_twin_sends_the_gradient_where_the_kernel_does():
    """Ties and NaN: the twin's winners are the kernel's (the first maximum, row-major)."""
    x = np.zeros((1, 4, 4, 4, 1))
    x[0, 1, 1, 1, 0] = np.nan
    x[0, 2:, 2:, 2:, 0] = 1.0  # a window of equal maxima
    g = random((1, 2, 2, 2, 1), 83)
    note_tensors = [constant(x), constant(g)]
    with tf.GradientTape() as tape:
        tape.watch(note_tensors[0])
        y = tf.nn.max_pool3d(note_tensors[0], 2, 2, "VALID")
    (note,) = tape._notes
    kernel = note.backward(g, x, y.numpy())
    twin = note.backward.higher_order_backward(note_tensors[1], note_tensors[0], y)
    np.testing.assert_array_equal(twin.numpy(), kernel)


@pytest.mark.parametrize("shape, window, strides, padding", POOL3D_CASES)
def test_avg_pool3d_second_order(shape, window, strides, padding):
    def f(x):
        return squashed(tf.nn.avg_pool3d(x, window, strides, padding), 84)

    check_second_order(f, [random(shape, 85)])


@pytest.mark.parametrize("shape, window, strides, padding", POOL3D_CASES)
def test_avg_pool3d_backprop_gradient(shape, window, strides, padding):
    window, strides, padding = volume_ops._pool_arguments(window, strides, padding, None, "avg_pool3d")
    out_shape = tuple(volume_ops._avg_pool3d(np.zeros(shape), window, strides, padding).shape)

    def avg_pool3d_backprop(g):
        return squashed(volume_ops._avg_pool3d_backprop(g, shape, window, strides, padding), 86)

    check_gradients(avg_pool3d_backprop, [random(out_shape, 87)], rtol=RTOL, atol=ATOL)


def test_volume_layers_gradient_penalty_matches_keras():
    """Conv3D, MaxPooling3D, Conv3DTranspose, AveragePooling3D: the gradient, with respect to
    the weights, of a penalty on the gradient with respect to the inputs, against ``jax.grad``
    nested on the same Keras 3 model."""
    keras = pytest.importorskip("keras")
    jax = pytest.importorskip("jax")
    if keras.backend.backend() != "jax":
        pytest.skip("compared with Keras 3 on its JAX backend")
    jnp = jax.numpy

    def model(library):
        layers = library.layers
        return library.Sequential(
            [
                library.Input((6, 5, 6, 2)),
                layers.Conv3D(3, 3, strides=(1, 2, 1), padding="same", activation="tanh"),
                layers.MaxPooling3D(2, padding="same"),
                layers.Conv3DTranspose(2, 2, strides=2, padding="same", activation="tanh"),
                layers.AveragePooling3D((2, 1, 2), strides=(2, 1, 1), padding="valid"),
                layers.Flatten(),
                layers.Dense(1),
            ]
        )

    rng = np.random.default_rng(88)
    x_value = rng.standard_normal((2, 6, 5, 6, 2)).astype("float32")
    theirs, ours = model(keras), model(tf.keras)
    weights = [rng.standard_normal(tuple(v.shape)).astype("float32") * 0.5 for v in theirs.trainable_variables]
    for variable, value in zip(ours.trainable_variables, weights):
        variable.assign(value)

    x = tf.constant(x_value)
    with tf.GradientTape() as tape:
        with tf.GradientTape() as gp_tape:
            gp_tape.watch(x)
            y = tf.reduce_sum(ours(x))
        grads = gp_tape.gradient(y, x)
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3, 4]))
        penalty = tf.reduce_mean((norm - 1.0) ** 2)
    got = tape.gradient(penalty, ours.trainable_variables, unconnected_gradients="zero")

    fixed = [v.value for v in theirs.non_trainable_variables]

    def prediction(trainable, x):
        return jnp.sum(theirs.stateless_call(trainable, fixed, x)[0])

    def keras_penalty(trainable):
        g = jax.grad(prediction, argnums=1)(trainable, jnp.asarray(x_value))
        return jnp.mean((jnp.sqrt(jnp.sum(g**2, axis=(1, 2, 3, 4))) - 1.0) ** 2)

    want_penalty, want = jax.value_and_grad(keras_penalty)([jnp.asarray(w) for w in weights])
    np.testing.assert_allclose(float(penalty), float(want_penalty), rtol=1e-5)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), np.asarray(w), rtol=1e-4, atol=1e-5)
