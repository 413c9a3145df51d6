"""Max pooling after a fused Conv2D+ReLU: the pooling's backward applies the ReLU's mask.

With the compiled kernels, ``max_pool2d``'s backward hands the convolution a gradient
already multiplied by ``out > 0``, with the bias's gradient summed in the same pass
(``learnet.tape._handovers``). Every gradient must be what the two separate steps give
(the NumPy kernels, which never hand over), and the handover must not happen where
someone wants the convolution's own output gradient: a source, a second use, a target,
an outer tape.
"""

import numpy as np
import pytest

import learnet as tf
from learnet.ops import compiled
from learnet.ops import conv as conv_ops

pytest.importorskip("numba")

from compiled_kernels import both, close, restore_kernels  # noqa: E402, F401 (restore_kernels: autouse)

from learnet.ops.compiled import conv as compiled_conv  # noqa: E402


@pytest.fixture
def handed(monkeypatch):
    """Counts the pooling gradients computed with the ReLU's mask (the handovers made)."""
    calls = []
    original = compiled_conv.max_pool_gradient

    def spy(*args, relu_out=None, **kwargs):
        if relu_out is not None:
            calls.append(1)
        return original(*args, relu_out=relu_out, **kwargs)

    monkeypatch.setattr(compiled_conv, "max_pool_gradient", spy)
    return calls


def inputs(shape, kernel, filters, dtype, seed, bias_shift=0.0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    k = rng.standard_normal(kernel + (shape[3], filters)).astype(dtype)
    b = (rng.standard_normal(filters) + bias_shift).astype(dtype)
    return x, k, b


CASES = [
    # (input shape, kernel, filters, conv padding, pool window, pool strides, pool padding)
    ((3, 10, 10, 2), (3, 3), 4, "VALID", (2, 2), (2, 2), "VALID"),  # the usual: windows tile the image
    ((2, 9, 8, 3), (3, 3), 5, "VALID", (2, 2), (2, 2), "VALID"),  # a row and a column left over
    ((2, 9, 9, 2), (2, 2), 3, "SAME", (3, 3), (2, 2), "SAME"),  # overlapping windows, padding
    ((2, 8, 7, 1), (3, 3), 4, "SAME", (2, 3), (3, 2), "VALID"),  # gaps between windows
    ((1, 6, 6, 2), (1, 1), 3, "VALID", (2, 2), (2, 2), [[0, 0], [1, 0], [1, 0], [0, 0]]),  # shifted windows
]


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, kernel, filters, conv_padding, window, strides, pool_padding", CASES)
def test_pool_after_relu_hands_over_and_matches_the_two_steps(
    shape, kernel, filters, conv_padding, window, strides, pool_padding, dtype, use_bias, handed
):
    # A negative bias shift: many outputs are exactly 0, so many windows' maximum is 0
    # and the ReLU lets nothing through them.
    x, k, b = inputs(shape, kernel, filters, dtype, seed=shape[1] + filters, bias_shift=-0.8)

    def gradients():
        weights = [tf.Variable(a, dtype=dtype) for a in ((x, k, b) if use_bias else (x, k))]
        with tf.GradientTape() as tape:
            bias = weights[2] if use_bias else None
            h = conv_ops.conv2d_relu(weights[0], weights[1], bias, padding=conv_padding)
            y = tf.nn.max_pool2d(h, window, strides, pool_padding)
        gy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
        grads = tape.gradient(y, weights, output_gradients=tf.constant(gy))
        return [y.numpy()] + [g.numpy() for g in grads]

    reference, fused = both(gradients)
    assert handed == [1]
    np.testing.assert_array_equal(fused[0], reference[0])
    for got, want in zip(fused[1:], reference[1:]):
        assert got.dtype == want.dtype == dtype
        close(got, want, dtype)
    assert (reference[0] == 0).any()  # the case really has windows the ReLU closes


def test_a_convnet_trains_the_same_with_the_handover(handed):
    """Keras layers: Conv2D(relu) -> MaxPooling2D twice, as in the keras.io convnet."""

    def losses():
        tf.keras.utils.set_random_seed(3)
        layers = tf.keras.layers
        model = tf.keras.Sequential(
            [
                tf.keras.Input(shape=(12, 12, 1)),
                layers.Conv2D(4, 3, activation="relu"),
                layers.MaxPooling2D(2),
                layers.Conv2D(6, 3, activation="relu"),
                layers.MaxPooling2D(2),
                layers.Flatten(),
                layers.Dense(3, activation="softmax"),
            ]
        )
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        rng = np.random.default_rng(0)
        x = rng.random((32, 12, 12, 1)).astype(np.float32)
        y = rng.integers(0, 3, 32)
        history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        return history.history["loss"], [w.numpy() for w in model.trainable_weights]

    (loss0, w0), (loss1, w1) = both(losses)
    assert len(handed) == 2 * 4 * 2  # two pairs, 4 steps, 2 epochs
    np.testing.assert_allclose(loss1, loss0, rtol=1e-5)
    for a, b in zip(w1, w0):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def variables(*arrays):
    return [tf.Variable(a, dtype=a.dtype) for a in arrays]


def constant(a):
    return tf.constant(a, dtype=a.dtype)


def conv_pool(x, k, b):
    h = conv_ops.conv2d_relu(x, k, b)
    return h, tf.nn.max_pool2d(h, 2, 2, "VALID")


def test_the_convolutions_output_as_a_source_gets_its_own_unmasked_gradient(handed):
    """Grad-CAM asks for the gradient of a class score with respect to the last feature maps:
    that is the pooling's gradient, not the one masked by the ReLU behind them."""
    x, k, b = inputs((2, 8, 8, 2), (3, 3), 4, np.float64, seed=5, bias_shift=-0.8)

    def gradients():
        kernel, bias = variables(k, b)
        with tf.GradientTape() as tape:
            h, y = conv_pool(constant(x), kernel, bias)
            score = tf.reduce_sum(y * y)
        return [g.numpy() for g in tape.gradient(score, [h, kernel, bias])]

    reference, fused = both(gradients)
    assert handed == []
    for got, want in zip(fused, reference):
        close(got, want, np.float64)
    # the feature maps' gradient reaches windows whose maximum is 0 (the mask would drop it)
    _, y = conv_pool(constant(x), constant(k), constant(b))
    assert (y.numpy() == 0).any()


def test_no_handover_when_the_output_is_used_twice_or_is_a_target(handed):
    x, k, b = inputs((2, 8, 8, 2), (3, 3), 4, np.float64, seed=6, bias_shift=-0.5)

    def skip_connection():
        kernel, bias = variables(k, b)
        with tf.GradientTape() as tape:
            h, y = conv_pool(constant(x), kernel, bias)
            loss = tf.reduce_sum(y * y) + 0.5 * tf.reduce_sum(h)  # h used a second time
        return [g.numpy() for g in tape.gradient(loss, [kernel, bias])]

    def used_before_the_pooling():
        kernel, bias = variables(k, b)
        with tf.GradientTape() as tape:
            h = conv_ops.conv2d_relu(constant(x), kernel, bias)
            side = 0.5 * tf.reduce_sum(h)  # recorded before the pooling: its gradient arrives after
            y = tf.nn.max_pool2d(h, 2, 2, "VALID")
            loss = tf.reduce_sum(y * y) + side
        return [g.numpy() for g in tape.gradient(loss, [kernel, bias])]

    def two_targets():
        kernel, bias = variables(k, b)
        with tf.GradientTape() as tape:
            h, y = conv_pool(constant(x), kernel, bias)
        return [g.numpy() for g in tape.gradient([y, h], [kernel, bias])]

    for fn in (skip_connection, used_before_the_pooling, two_targets):
        reference, fused = both(fn)
        for got, want in zip(fused, reference):
            close(got, want, np.float64)
    assert handed == []


def test_a_persistent_tape_hands_over_only_where_the_call_allows(handed):
    x, k, b = inputs((2, 8, 8, 2), (3, 3), 4, np.float64, seed=7, bias_shift=-0.8)

    def gradients():
        kernel, bias = variables(k, b)
        with tf.GradientTape(persistent=True) as tape:
            h, y = conv_pool(constant(x), kernel, bias)
            loss = tf.reduce_sum(y * y)
        first = [g.numpy() for g in tape.gradient(loss, [kernel, bias])]
        second = [g.numpy() for g in tape.gradient(loss, [h, kernel, bias])]
        third = [g.numpy() for g in tape.gradient(loss, [kernel, bias])]
        return first, second, third

    reference, fused = both(gradients)
    assert handed == [1, 1]  # the first and third calls; the second wants h's own gradient
    for got_call, want_call in zip(fused, reference):
        for got, want in zip(got_call, want_call):
            close(got, want, np.float64)
    for got, want in zip(fused[0], fused[2]):
        np.testing.assert_array_equal(got, want)  # the tape's records are not changed by a handover


def test_no_handover_under_an_outer_tape(handed):
    """An outer tape records the backward pass: the plain chain runs, and the second derivative
    through the fused kernels (their differentiable twins) is the same as without them."""
    compiled.set_kernels("numba")
    x, k, b = inputs((1, 6, 6, 1), (3, 3), 2, np.float64, seed=8)
    kernel, bias = variables(k, b)
    with tf.GradientTape(watch_accessed_variables=False):  # recording, but watching nothing
        with tf.GradientTape() as inner:
            _, y = conv_pool(constant(x), kernel, bias)
            loss = tf.reduce_sum(y)
        grads = inner.gradient(loss, [kernel, bias])
    assert handed == []
    compiled.set_kernels("numpy")
    with tf.GradientTape() as plain:
        _, y = conv_pool(constant(x), kernel, bias)
        loss = tf.reduce_sum(y)
    for got, want in zip(grads, plain.gradient(loss, [kernel, bias])):
        close(got.numpy(), want.numpy(), np.float64)
    second = {}
    for kernels in ("numba", "numpy"):
        compiled.set_kernels(kernels)
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                _, y = conv_pool(constant(x), kernel, bias)
                loss = tf.reduce_sum(y * y)
            g = inner.gradient(loss, kernel)
            norm = tf.reduce_sum(g * g)
        second[kernels] = outer.gradient(norm, kernel).numpy()
    close(second["numba"], second["numpy"], np.float64)
    compiled.set_kernels("numba")


@pytest.mark.filterwarnings("ignore:invalid value encountered in multiply:RuntimeWarning")
def test_nan_and_infinite_gradients_pass_the_mask_as_numpy_does(handed):
    """g * (out > 0): an infinite gradient through a closed window gives NaN, as NumPy's product."""
    x, k, b = inputs((1, 6, 6, 1), (1, 1), 2, np.float32, seed=9, bias_shift=-0.3)

    def gradients():
        kernel, bias = variables(k, b)
        with tf.GradientTape() as tape:
            _, y = conv_pool(constant(x), kernel, bias)
        gy = np.ones(y.shape, np.float32)
        gy[0, 0, 0, :] = np.inf
        gy[0, 1, 1, :] = np.nan
        return [g.numpy() for g in tape.gradient(y, [kernel, bias], output_gradients=tf.constant(gy))]

    reference, fused = both(gradients)
    assert handed == [1]
    for got, want in zip(fused, reference):
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_allclose(got[~np.isnan(got)], want[~np.isnan(want)], rtol=1e-5)


def test_max_pool_gradient_with_the_relu_mask_directly():
    x = np.array([0.0, 0.0, 2.0, 0.0, 0.0, 3.0, 1.0, 0.0]).reshape(1, 2, 4, 1).astype(np.float32)
    out, index = compiled_conv.max_pool(x, (2, 2), (2, 2), 1, 2, (0, 0), (0, 0))
    g = np.array([5.0, 7.0], np.float32).reshape(1, 1, 2, 1)
    plain = compiled_conv.max_pool_gradient(g, index, x.shape, (2, 2), (2, 2), (0, 0), (0, 0))
    dx, db = compiled_conv.max_pool_gradient(g, index, x.shape, (2, 2), (2, 2), (0, 0), (0, 0), relu_out=out)
    np.testing.assert_array_equal(plain, dx)  # both maxima are positive: nothing masked
    assert db.dtype == np.float32 and db.tolist() == [12.0]
    out[0, 0, 0, 0] = 0.0  # as if the first window's maximum were 0
    dx, db = compiled_conv.max_pool_gradient(g, index, x.shape, (2, 2), (2, 2), (0, 0), (0, 0), relu_out=out)
    assert dx[0, :, :, 0].tolist() == [[0, 0, 7, 0], [0, 0, 0, 0]] and db.tolist() == [7.0]


def test_a_saliency_map_through_the_handover(handed):
    """The gradient of a score with respect to the input image (a saliency map) goes through
    the convolution's input gradient after the handover: the same as the two steps."""
    x, k, b = inputs((2, 9, 9, 3), (3, 3), 4, np.float64, seed=10, bias_shift=-0.5)

    def saliency():
        image = constant(x)
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(image)
            h = conv_ops.conv2d_relu(image, constant(k), constant(b))
            score = tf.reduce_sum(tf.nn.max_pool2d(h, 2, 2, "VALID") ** 2)
        return tape.gradient(score, image).numpy()

    reference, fused = both(saliency)
    assert handed == [1]
    close(fused, reference, np.float64)
    assert np.abs(reference).sum() > 0


def test_grad_cam_as_keras_io_writes_it(handed):
    """keras.io's Grad-CAM: a model that returns the last convolution's output beside the
    predictions, and the gradient of a class score with respect to that output."""
    rng = np.random.default_rng(11)
    images = rng.random((2, 12, 12, 1)).astype(np.float32)

    def heatmap_gradients():
        tf.keras.utils.set_random_seed(5)
        inputs = tf.keras.Input(shape=(12, 12, 1))
        features = tf.keras.layers.Conv2D(6, 3, activation="relu", name="last_conv")(inputs)
        pooled = tf.keras.layers.MaxPooling2D(2)(features)
        outputs = tf.keras.layers.Dense(3, activation="softmax")(tf.keras.layers.Flatten()(pooled))
        model = tf.keras.Model(inputs, outputs)
        grad_model = tf.keras.Model(model.inputs, [model.get_layer("last_conv").output, model.output])
        with tf.GradientTape() as tape:
            last_conv_output, preds = grad_model(images)
            class_channel = preds[:, 1]
        return last_conv_output.numpy(), tape.gradient(class_channel, last_conv_output).numpy()

    (out0, grads0), (out1, grads1) = both(heatmap_gradients)
    assert handed == []  # the convolution's output is the source: it keeps its own gradient
    np.testing.assert_array_equal(out1, out0)
    close(grads1, grads0, np.float32)
    zero_windows = (out0.reshape(2, 5, 2, 5, 2, 6).max(axis=(2, 4)) == 0).any()
    assert zero_windows  # windows whose maximum is 0: a mask there would change the heatmap
