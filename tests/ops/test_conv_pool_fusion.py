"""A Conv2D with ReLU and the max pooling after it, run as one op.

``conv2d_relu_max_pool2d`` is ``max_pool2d(conv2d_relu(...))``: it convolves a chunk of
images into a small scratch array and pools it from there (keeping the pool's winners when a
tape records). Each chunk's convolution is the same computation as the plain op's, so the
results and the gradients must be equal to the bit, for every geometry, both kernel choices,
both ways of convolving few taps (directly, or patches times the kernel), chunks that leave
a short last one, and float32 and float64; second derivatives go through the two ops.
Where a "valid" pool leaves outputs of the convolution unread (an odd size under a 2x2
pool), the fused op convolves only those it reads: its products are shorter, and a BLAS may
round a product's rows, and sum a gradient over them, in another order (OpenBLAS's AVX2
kernel does), so there the two agree to rounding.
``Sequential`` and functional models use it for such a pair of layers, and only where the
result cannot differ beyond that.
"""

import contextlib

import numpy as np
import pytest

import learnet as tf
from learnet.layers import pooling
from learnet.ops import compiled
from learnet.ops import conv as conv_ops
from learnet.ops.conv import conv2d_relu, conv2d_relu_max_pool2d
from learnet.testing import check_gradients

from compiled_kernels import restore_kernels  # noqa: F401 (autouse)

KERNELS = ["numpy"] + (["numba"] if compiled.available() else [])

CASES = [
    # (x shape, kernel shape, strides, padding, dilations, pool, pool strides, pool padding)
    ((9, 12, 12, 1), (3, 3, 1, 8), 1, "VALID", None, 2, None, "VALID"),  # a first layer (thin patches)
    ((7, 13, 13, 6), (3, 3, 6, 10), 1, "VALID", None, 2, None, "VALID"),  # odd size: a row and a column left
    ((5, 10, 9, 3), (3, 2, 3, 4), 1, "SAME", None, 3, 2, "SAME"),  # overlapping windows, padded pool
    ((6, 11, 11, 2), (3, 3, 2, 5), 2, "SAME", None, (2, 3), (1, 2), "VALID"),
    ((4, 12, 12, 3), (3, 3, 3, 4), 1, "VALID", 2, 2, None, "SAME"),  # dilated
    ((3, 9, 8, 16), (3, 3, 16, 3), 1, [[0, 0], [1, 2], [2, 0], [0, 0]], None, 2, None, "VALID"),
    ((2, 8, 8, 32), (3, 3, 32, 2), 1, "SAME", None, 2, None, "VALID"),  # few filters: the spread way
]


def _case(x_shape, k_shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    kernel = rng.standard_normal(k_shape).astype(dtype)
    bias = rng.standard_normal(k_shape[-1]).astype(dtype)
    return x, kernel, bias


def _drops_outputs(x_shape, k_shape, strides, padding, dilations, pool, pool_strides, pool_padding):
    """Whether the pool leaves some of the convolution's outputs unread (the fused op then
    convolves fewer of them, so a BLAS may round differently)."""
    strides, padding, dilations = conv_ops._conv_arguments(strides, padding, None, dilations, "conv2d")
    window, pool_strides, pool_padding = conv_ops._pool_arguments(pool, pool_strides, pool_padding, None, "max_pool2d")
    oh, ow, _, _ = conv_ops._geometry(x_shape, k_shape[:2], strides, padding, dilations, "conv2d")
    return conv_ops._pool_reads(oh, ow, window, pool_strides, pool_padding) != (oh, ow)


def _assert_equal(got, want, to_rounding):
    """Equal to the bit; where ``to_rounding``, equal up to float32 rounding of sums in
    another order (relative to the largest value: a gradient's sums may cancel)."""
    if not to_rounding:
        np.testing.assert_array_equal(got, want)
        return
    scale = float(np.abs(want).max()) if want.size else 0.0
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * scale)


def _separate(x, kernel, bias, strides, padding, dilations, pool, pool_strides, pool_padding):
    conv = conv2d_relu(x, kernel, bias, strides, padding, dilations)
    return tf.nn.max_pool2d(conv, pool, pool_strides, pool_padding).numpy()


@pytest.fixture(params=[None, 300], ids=["chunk-default", "chunk-300-bytes"])
def chunk_bytes(request, monkeypatch):
    """The default scratch size, and one so small that every chunk is a single image."""
    if request.param is not None:
        monkeypatch.setattr(conv_ops, "_CHUNK_BYTES", request.param)
    return request.param


@pytest.mark.parametrize("kernels", KERNELS)
@pytest.mark.parametrize("direct", [False, True], ids=["patches", "direct"])
@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("x_shape, k_shape, strides, padding, dilations, pool, pool_strides, pool_padding", CASES)
def test_fused_equals_conv_then_pool_to_the_bit(
    x_shape,
    k_shape,
    strides,
    padding,
    dilations,
    pool,
    pool_strides,
    pool_padding,
    with_bias,
    direct,
    kernels,
    chunk_bytes,
    monkeypatch,
):
    # Few taps are summed directly where OpenBLAS has no small-matrix path: both ways here.
    monkeypatch.setattr(conv_ops, "_thin_per_image", lambda: not direct)
    compiled.set_kernels(kernels)
    x, kernel, bias = _case(x_shape, k_shape, np.float32)
    bias = bias if with_bias else None
    args = (strides, padding, dilations, pool, pool_strides, pool_padding)
    fused = conv2d_relu_max_pool2d(x, kernel, bias, *args)
    dropped = _drops_outputs(x_shape, k_shape, *args)
    _assert_equal(fused.numpy(), _separate(x, kernel, bias, *args), dropped)
    assert fused.dtype == tf.float32


@pytest.mark.parametrize("kernels", KERNELS)
def test_float64_and_a_short_last_chunk(kernels, monkeypatch):
    compiled.set_kernels(kernels)
    monkeypatch.setattr(conv_ops, "_CHUNK_BYTES", 3 * 10 * 10 * 4 * 8)  # three images a chunk, 10 in all
    x, kernel, bias = (tf.constant(a, dtype=tf.float64) for a in _case((10, 12, 12, 2), (3, 3, 2, 4), np.float64, 1))
    fused = conv2d_relu_max_pool2d(x, kernel, bias, pool_size=2).numpy()
    assert fused.dtype == np.float64 and fused.shape == (10, 5, 5, 4)
    np.testing.assert_array_equal(fused, _separate(x, kernel, bias, 1, "VALID", None, 2, None, "VALID"))


def test_nan_and_negative_windows_as_the_separate_ops():
    x = np.zeros((2, 6, 6, 1), np.float32)
    x[0, 1, 1, 0] = np.nan
    kernel = np.ones((1, 1, 1, 2), np.float32)
    bias = np.array([-1.0, 0.5], np.float32)  # the first filter's windows are all negative: ReLU gives 0
    fused = conv2d_relu_max_pool2d(x, kernel, bias, pool_size=2).numpy()
    separate = _separate(x, kernel, bias, 1, "VALID", None, 2, None, "VALID")
    np.testing.assert_array_equal(fused, separate)  # NaN where the separate ops give NaN
    assert np.isnan(fused[0, 0, 0]).all() and (fused[1, :, :, 0] == 0).all()


@pytest.mark.parametrize("kernels", KERNELS)
@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("x_shape, k_shape, strides, padding, dilations, pool, pool_strides, pool_padding", CASES)
def test_under_a_tape_the_values_and_gradients_are_the_two_ops(
    x_shape, k_shape, strides, padding, dilations, pool, pool_strides, pool_padding, with_bias, kernels, chunk_bytes
):
    compiled.set_kernels(kernels)
    x, kernel, bias = (tf.Variable(a) for a in _case(x_shape, k_shape, np.float32, seed=2))
    inputs = [x, kernel, bias] if with_bias else [x, kernel]
    args = (strides, padding, dilations, pool, pool_strides, pool_padding)
    weights = None
    results = []
    for fused in (True, False):
        with tf.GradientTape() as tape:
            if fused:
                y = conv2d_relu_max_pool2d(x, kernel, bias if with_bias else None, *args)
            else:
                conv = conv2d_relu(x, kernel, bias if with_bias else None, *args[:3])
                y = tf.nn.max_pool2d(conv, pool, pool_strides, pool_padding)
            if weights is None:
                weights = tf.constant(np.random.default_rng(3).standard_normal(y.shape).astype(np.float32))
            loss = tf.reduce_sum(y * weights)
        results.append([y.numpy()] + [g.numpy() for g in tape.gradient(loss, inputs)])
    dropped = _drops_outputs(x_shape, k_shape, *args)
    for got, want in zip(*results):
        _assert_equal(got, want, dropped)


def test_the_fused_training_op_runs_where_the_compiled_kernels_take_the_arrays(monkeypatch):
    x, kernel, bias = (tf.Variable(a) for a in _case((4, 10, 10, 3), (3, 3, 3, 8), np.float32))
    options = ((1, 1), "VALID", (1, 1), (2, 2), (2, 2), "VALID")
    compiled.set_kernels("numpy")
    assert not conv_ops._trains_fused((x, kernel, bias), *options)
    if not compiled.available():
        return
    compiled.set_kernels("numba")
    assert conv_ops._trains_fused((x, kernel, bias), *options)
    assert conv_ops._trains_fused((x, kernel), *options)
    assert not conv_ops._trains_fused((x, kernel, bias[:3]), *options)  # the plain ops raise the error
    assert not conv_ops._trains_fused((x, kernel, bias), (1, 1), "VALID", (1, 1), (9, 9), (9, 9), "VALID")
    assert not conv_ops._trains_fused((x, tf.Variable(kernel.numpy(), dtype=tf.float64), bias), *options)
    wide = [tf.Variable(a) for a in _case((4, 10, 10, 8), (3, 3, 8, 8), np.float32)]  # 72 taps
    assert conv_ops._trains_fused(wide, *options)
    monkeypatch.setattr(conv_ops, "_PATCH_BLOCK_BYTES", 64)  # wide patches built in blocks: not whole
    assert not conv_ops._trains_fused(wide, *options)


def test_second_derivatives_through_the_fused_op_are_the_two_ops():
    x, kernel, bias = _case((2, 7, 7, 2), (3, 3, 2, 3), np.float64, seed=2)
    x_var, k_var, b_var = tf.Variable(x), tf.Variable(kernel), tf.Variable(bias)

    def penalty(fn):
        # A WGAN-GP-style penalty: the squared norm of the gradient with respect to the input.
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(x_var)
                y = tf.reduce_sum(fn() ** 2)
            grad = inner.gradient(y, x_var)
            loss = tf.reduce_sum(grad**2)
        return [g.numpy() for g in outer.gradient(loss, [k_var, b_var])]

    fused = penalty(lambda: conv2d_relu_max_pool2d(x_var, k_var, b_var, pool_size=2))
    separate = penalty(lambda: tf.nn.max_pool2d(conv2d_relu(x_var, k_var, b_var), 2, 2, "VALID"))
    for got, want in zip(fused, separate):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    check_gradients(lambda a, k, b: tf.reduce_sum(conv2d_relu_max_pool2d(a, k, b, pool_size=2) ** 2), [x, kernel, bias])


def test_grouped_convolution_goes_the_plain_way():
    x, kernel, bias = _case((3, 8, 8, 4), (3, 3, 2, 6), np.float32, seed=3)  # 2 groups of 2 channels
    fused = conv2d_relu_max_pool2d(x, kernel, bias, pool_size=2).numpy()
    np.testing.assert_array_equal(fused, _separate(x, kernel, bias, 1, "VALID", None, 2, None, "VALID"))


def test_bad_arguments_get_the_plain_ops_errors_and_change_nothing():
    x, kernel, bias = _case((2, 6, 6, 3), (3, 3, 2, 4), np.float32)
    before = x.copy()
    with pytest.raises(ValueError, match="the input has 3 channels but the filters expect 2"):
        conv2d_relu_max_pool2d(x, kernel, bias[:4], pool_size=2)
    with pytest.raises(ValueError, match="bias must have shape"):
        conv2d_relu_max_pool2d(x, kernel[:, :, :1].repeat(3, axis=2), bias[:3], pool_size=2)
    with pytest.raises(ValueError, match="window .* is larger than the input"):
        conv2d_relu_max_pool2d(x, kernel[:, :, :1].repeat(3, axis=2), bias, pool_size=5)
    with pytest.raises(ValueError, match="ksize must be positive"):
        conv2d_relu_max_pool2d(x, kernel[:, :, :1].repeat(3, axis=2), bias, pool_size=0)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize(
    "size, window, strides, padding, reads",
    [
        (11, 2, 2, "VALID", 10),  # the keras.io convnet's second layer: 11x11 -> 5x5 reads 10x10
        (26, 2, 2, "VALID", 26),  # its first layer: every output read
        (11, 2, 3, "valid", 11),  # windows 0-1, 3-4, 6-7, 9-10
        (10, 3, 2, "VALID", 9),  # overlapping windows 0-2, 2-4, 4-6, 6-8
        (11, 2, 2, "SAME", 11),  # a padded pool reads everything
        (11, 2, 2, [[0, 0], [0, 0], [0, 0], [0, 0]], 10),  # explicit zero padding is "valid"
        (11, 2, 2, [[0, 0], [0, 1], [0, 1], [0, 0]], 11),  # explicit padding: read whole
    ],
)
def test_the_outputs_a_pool_reads(size, window, strides, padding, reads):
    assert conv_ops._pool_reads(size, size, (window, window), (strides, strides), padding) == (reads, reads)


def test_a_bad_pool_raises_its_error_before_anything_is_convolved():
    with pytest.raises(ValueError, match="larger than the input"):
        conv_ops._pool_reads(3, 3, (4, 4), (4, 4), "VALID")


@pytest.mark.parametrize("kernels", KERNELS)
@pytest.mark.parametrize("recording", [False, True])
def test_only_the_outputs_the_pool_reads_are_convolved(kernels, recording, monkeypatch):
    """The keras.io convnet's second layer: 13x13x32 -> 11x11x64, pooled 2x2 to 5x5. The
    fused op makes patches for the 10x10 outputs the pool reads; the input's last row and
    column reach only unread outputs, so their gradient is 0, as the separate ops give."""
    compiled.set_kernels(kernels)
    sizes = []
    im2col = conv_ops._im2col
    monkeypatch.setattr(
        conv_ops, "_im2col", lambda x, kh, kw, oh, ow, *a: sizes.append((oh, ow)) or im2col(x, kh, kw, oh, ow, *a)
    )
    x, kernel, bias = (tf.Variable(a) for a in _case((20, 13, 13, 32), (3, 3, 32, 64), np.float32, seed=4))
    results = []
    for fused in (True, False):
        sizes.clear()
        tape = tf.GradientTape()
        with tape if recording else contextlib.nullcontext():
            if fused:
                y = conv2d_relu_max_pool2d(x, kernel, bias, pool_size=2)
            else:
                y = tf.nn.max_pool2d(conv2d_relu(x, kernel, bias), 2, 2, "VALID")
            loss = tf.reduce_sum(y * y)
        if fused and (kernels == "numba" or not recording):  # (NumPy's kernels train the two ops)
            assert sizes and set(sizes) == {(10, 10)}
        grads = tape.gradient(loss, [x, kernel, bias]) if recording else []
        results.append([y.numpy()] + [g.numpy() for g in grads])
    for got, want in zip(*results):
        _assert_equal(got, want, to_rounding=True)
    if recording:
        dx = results[0][1]
        assert (dx[:, 12, :, :] == 0).all() and (dx[:, :, 12, :] == 0).all()
        assert (dx[:, :12, :12, :] != 0).any()


# --- in a Sequential model ----------------------------------------------------------------------------
def _convnet(**conv_options):
    layers = tf.keras.layers
    return tf.keras.Sequential(
        [
            tf.keras.Input((16, 16, 1)),
            layers.Conv2D(8, 3, activation="relu", **conv_options),
            layers.MaxPooling2D(2),
            layers.Conv2D(12, 3, activation="relu", padding="same"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )


def _layer_by_layer(model, x, batch_size):
    """The model's layers called one by one on the batches predict makes (a BLAS may round a
    product's rows differently in products of other heights, so the batches are the same)."""
    results = []
    for start in range(0, len(x), batch_size):
        out = tf.constant(x[start : start + batch_size])
        for layer in model.layers:
            out = layer(out, training=False)
        results.append(out.numpy())
    return np.concatenate(results)


@pytest.fixture
def fused_calls(monkeypatch):
    calls = []
    fused = conv_ops.conv2d_relu_max_pool2d
    monkeypatch.setattr(conv_ops, "conv2d_relu_max_pool2d", lambda *a, **k: calls.append(1) or fused(*a, **k))
    return calls


@pytest.mark.parametrize("kernels", KERNELS)
def test_sequential_predict_fuses_each_conv_and_pool_and_gives_the_same_numbers(kernels, fused_calls):
    compiled.set_kernels(kernels)
    model = _convnet()
    model.compile(loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(4).random((37, 16, 16, 1), dtype=np.float32)
    predicted = model.predict(x, batch_size=16, verbose=0)
    assert len(fused_calls) == 2 * 3  # two pairs, three batches
    np.testing.assert_array_equal(predicted, _layer_by_layer(model, x, 16))
    fused_calls.clear()
    with tf.GradientTape():
        recorded = model(x).numpy()  # a tape records: the fused training op
    assert len(fused_calls) == 2
    np.testing.assert_allclose(predicted, recorded, rtol=1e-6, atol=1e-7)
    evaluated = model.evaluate(x, np.zeros(37), batch_size=37, verbose=0)
    assert np.isfinite(evaluated)


def test_training_fuses_too_and_learns_the_same_weights(fused_calls, monkeypatch):
    x = np.random.default_rng(5).random((24, 16, 16, 1), dtype=np.float32)
    y = np.random.default_rng(6).integers(0, 3, 24)
    weights = []
    for fuse in (True, False):
        if not fuse:
            monkeypatch.setattr(pooling, "fuses_with_pool", lambda *args: False)
        tf.keras.utils.set_random_seed(7)
        model = _convnet()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        fused_calls.clear()
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        assert (len(fused_calls) > 0) == fuse
        weights.append([w.numpy() for w in model.weights])
    for fused, separate in zip(*weights):
        # The second convolution's 7x7 output pools to 3x3, leaving a row and a column
        # unread: equal to rounding (see the module's note).
        np.testing.assert_allclose(fused, separate, rtol=1e-5, atol=1e-6)


def test_building_on_symbolic_tensors_does_not_fuse(fused_calls):
    model = _convnet()
    functional = tf.keras.Model(model.inputs, model.layers[1].output)  # the symbolic graph is the layers'
    assert fused_calls == []
    assert functional.output_shape == (None, 7, 7, 8)


@pytest.mark.parametrize(
    "change",
    ["subclassed conv", "subclassed pool", "tanh", "channels_first", "activity regularizer", "float16"],
)
def test_pairs_that_could_differ_are_not_fused(change, fused_calls):
    layers = tf.keras.layers

    class MyConv(layers.Conv2D):
        pass

    class MyPool(layers.MaxPooling2D):
        pass

    conv_class = MyConv if change == "subclassed conv" else layers.Conv2D
    pool_class = MyPool if change == "subclassed pool" else layers.MaxPooling2D
    options = {"activation": "tanh" if change == "tanh" else "relu"}
    if change == "channels_first":
        options["data_format"] = "channels_first"
    if change == "activity regularizer":
        options["activity_regularizer"] = "l2"
    if change == "float16":
        options["dtype"] = "float16"
    shape = (1, 10, 10) if change == "channels_first" else (10, 10, 1)
    pool_format = "channels_first" if change == "channels_first" else "channels_last"
    model = tf.keras.Sequential(
        [tf.keras.Input(shape), conv_class(4, 3, **options), pool_class(2, data_format=pool_format)]
    )
    x = np.random.default_rng(6).random((3, *shape), dtype=np.float32)
    predicted = model.predict(x, verbose=0)
    assert fused_calls == []
    np.testing.assert_array_equal(predicted, _layer_by_layer(model, x, 32))


def test_fuses_with_pool_says_why_not_for_a_masked_or_symbolic_input():
    model = _convnet()
    conv, pool = model.layers[0], model.layers[1]
    x = tf.constant(np.zeros((2, 16, 16, 1), np.float32))
    assert pooling.fuses_with_pool(conv, pool, x)
    assert not pooling.fuses_with_pool(conv, pool, model.inputs[0])
    assert not pooling.fuses_with_pool(pool, conv, x)
    masked = tf.constant(np.zeros((2, 16, 16, 1), np.float32))
    masked._keras_mask = tf.constant(np.ones((2, 16, 16), bool))
    assert not pooling.fuses_with_pool(conv, pool, masked)


# --- in a functional model ----------------------------------------------------------------------------
def _functional(extra_reader=False, conv_as_output=False):
    layers = tf.keras.layers
    inputs = tf.keras.Input((16, 16, 1))
    conv = layers.Conv2D(8, 3, activation="relu")(inputs)
    pooled = layers.MaxPooling2D(2)(conv)
    branch = layers.Conv2D(4, 3, activation="relu", padding="same")(pooled)
    branch = layers.MaxPooling2D(2)(branch)
    head = layers.Dense(2)(layers.Flatten()(branch))
    outputs = [head]
    if extra_reader:  # the first convolution's output is read twice: it must be made
        outputs.append(layers.GlobalAveragePooling2D()(conv))
    if conv_as_output:
        outputs.append(conv)
    return tf.keras.Model(inputs, outputs if len(outputs) > 1 else head)


@pytest.mark.parametrize("kernels", KERNELS)
def test_functional_predict_fuses_each_conv_read_only_by_its_pool(kernels, fused_calls):
    compiled.set_kernels(kernels)
    model = _functional()
    x = np.random.default_rng(7).random((9, 16, 16, 1), dtype=np.float32)
    predicted = model.predict(x, verbose=0)
    assert len(fused_calls) == 2
    fused_calls.clear()
    with tf.GradientTape():
        recorded = model(x).numpy()
    assert len(fused_calls) == 2
    np.testing.assert_allclose(predicted, recorded, rtol=1e-6, atol=1e-7)
    chain = [layer for layer in model.layers if not isinstance(layer, tf.keras.layers.InputLayer)]
    assert [type(layer).__name__ for layer in chain] == ["Conv2D", "MaxPooling2D"] * 2 + ["Flatten", "Dense"]
    np.testing.assert_array_equal(predicted, _layer_by_layer_of(chain, x))


def _layer_by_layer_of(layers, x):
    out = tf.constant(x)
    for layer in layers:
        out = layer(out, training=False)
    return out.numpy()


@pytest.mark.parametrize("how", ["read twice", "a model output"])
def test_functional_conv_output_needed_elsewhere_is_made(how, fused_calls):
    model = _functional(extra_reader=how == "read twice", conv_as_output=how == "a model output")
    x = np.random.default_rng(8).random((3, 16, 16, 1), dtype=np.float32)
    outputs = model.predict(x, verbose=0)
    assert len(fused_calls) == 1  # only the second pair
    conv = model.layers[1](tf.constant(x)).numpy()
    if how == "a model output":
        np.testing.assert_array_equal(outputs[1], conv)
    else:
        np.testing.assert_allclose(outputs[1], conv.mean(axis=(1, 2)), rtol=1e-6)


@pytest.mark.parametrize("which", [0, 1])
def test_a_layer_whose_call_is_listened_in_on_is_not_fused(which, fused_calls):
    # learnet.plot.show_feature_maps replaces layer.call on the object to catch its output.
    model = _convnet()
    x = np.random.default_rng(9).random((2, 16, 16, 1), dtype=np.float32)
    heard = []
    layer = model.layers[which]
    original = layer.call
    layer.call = lambda *args, **kwargs: heard.append(original(*args, **kwargs)) or heard[-1]
    try:
        predicted = model.predict(x, verbose=0)
    finally:
        del layer.call
    assert len(fused_calls) == 1  # the second pair only
    assert heard[0].shape == ((2, 14, 14, 8) if which == 0 else (2, 7, 7, 8))
    np.testing.assert_array_equal(predicted, _layer_by_layer(model, x, 32))
