"""CenterCrop, RandomCrop, RandomBrightness, GroupNormalization, UnitNormalization,
AlphaDropout and Conv1DTranspose: values against real Keras 3 (the ``keras`` fixture, on
JAX) with copied weights, gradient checks, configs, saving, and errors."""

import numpy as np
import pytest

import learnet
from learnet import layers
from learnet.layers.augmentation import CenterCrop, RandomBrightness, RandomCrop
from learnet.layers.conv import Conv1DTranspose, Convolution1DTranspose
from learnet.layers.core import AlphaDropout
from learnet.layers.normalization import GroupNormalization, UnitNormalization
from learnet.testing import check_gradients

RNG = np.random.default_rng(0)
# Float32 values against Keras: a few units in the last place of the largest value.
TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}


def images(shape, seed=0, scale=255.0):
    return (np.random.default_rng(seed).random(shape) * scale).astype("float32")


def copy_weights(ours, theirs, x, seed=1):
    """Build both layers on ``x``, give them the same random weights; return them."""
    theirs(x)
    ours(x)
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(tuple(w.shape)).astype("float32") for w in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    assert [w.name.split("/")[-1] for w in ours.weights] == [w.path.split("/")[-1] for w in theirs.weights]
    return weights


# --- CenterCrop -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "in_size, out_size",
    [((6, 8), (4, 4)), ((7, 9), (7, 9)), ((13, 11), (4, 6)), ((6, 8), (8, 3)), ((3, 3), (7, 7)), ((5, 7), (9, 2))],
)
def test_center_crop_against_keras(keras, in_size, out_size):
    x = images((2,) + in_size + (3,))
    expected = np.asarray(keras.layers.CenterCrop(*out_size)(x))
    got = CenterCrop(*out_size)(x)
    assert got.shape == expected.shape and got.dtype == np.float32
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-4)  # values up to 255
    np.testing.assert_allclose(CenterCrop(*out_size)(x[0]).numpy(), expected[0], rtol=1e-6, atol=1e-4)


def test_center_crop_is_the_middle_in_training_and_inference():
    image = np.arange(16).reshape(1, 4, 4, 1)  # integers become float32
    crop = CenterCrop(2, 2)
    expected = np.array([[5.0, 6.0], [9.0, 10.0]], dtype="float32")
    np.testing.assert_array_equal(crop(image).numpy()[0, :, :, 0], expected)
    np.testing.assert_array_equal(crop(image, training=True).numpy()[0, :, :, 0], expected)
    assert crop(layers.Input(shape=(32, 32, 3))).shape == (None, 2, 2, 3)


# --- RandomCrop ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "in_size, out_size", [((6, 8), (4, 4)), ((32, 32), (28, 28)), ((13, 11), (4, 6)), ((5, 7), (9, 2))]
)
def test_random_crop_at_inference_resizes_as_keras_documents(keras, in_size, out_size):
    # Keras documents: "At inference time ... the input will be resized and cropped so as to
    # return the largest possible window in the image that matches the target aspect ratio",
    # which is its smart_resize. (Keras 3.15's layer returns the input unchanged instead.)
    x = images((2,) + in_size + (3,))
    expected = np.asarray(keras.preprocessing.image.smart_resize(x, out_size))
    crop = RandomCrop(*out_size, seed=0)
    np.testing.assert_allclose(crop(x, training=False).numpy(), expected, rtol=1e-5, atol=1e-3)  # values up to 255
    # In training an image smaller than the target is resized the same way.
    if in_size[0] < out_size[0] or in_size[1] < out_size[1]:
        np.testing.assert_allclose(crop(x, training=True).numpy(), expected, rtol=1e-5, atol=1e-3)


def test_random_crop_in_training_takes_windows_of_each_image():
    x = np.arange(64 * 6 * 8, dtype="float32").reshape(64, 6, 8, 1)
    out = RandomCrop(4, 3, seed=3)(x, training=True).numpy()
    assert out.shape == (64, 4, 3, 1)
    # Each output is a window of its own image: top-left value -> offset.
    first = out[:, 0, 0, 0] - x[:, 0, 0, 0]
    tops, lefts = first // 8, first % 8
    assert set(tops.tolist()) == {0, 1, 2} and set(lefts.tolist()) == {0, 1, 2, 3, 4, 5}  # every offset drawn
    for image, top, left, crop in zip(x, tops.astype(int), lefts.astype(int), out):
        np.testing.assert_array_equal(crop, image[top : top + 4, left : left + 3])
    same = x[:, :4, :3]
    np.testing.assert_array_equal(RandomCrop(4, 3)(same, training=True).numpy(), same)  # nothing to choose


def test_random_crop_seed_repeats_and_shapes():
    x = images((8, 10, 10, 2))
    a = RandomCrop(5, 5, seed=7)(x, training=True).numpy()
    b = RandomCrop(5, 5, seed=7)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    crop = RandomCrop(5, 6)
    assert crop(layers.Input(shape=(10, 10, 2))).shape == (None, 5, 6, 2)
    assert crop(x[0], training=True).shape == (5, 6, 2)


# --- RandomBrightness -----------------------------------------------------------------------------------------
def test_random_brightness_against_keras_for_a_fixed_factor(keras):
    x = images((3, 4, 5, 3))
    for factor, value_range in [((0.25, 0.25), (0, 255)), ((-0.5, -0.5), (0, 255)), ((0.1, 0.1), (-1, 300))]:
        expected = np.asarray(keras.layers.RandomBrightness(factor, value_range=value_range)(x, training=True))
        got = RandomBrightness(factor, value_range=value_range)(x, training=True).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-4)


def test_random_brightness_draws_one_delta_per_image_within_range():
    x = np.full((2000, 2, 2, 3), 0.5, dtype="float32")
    layer = RandomBrightness((-0.1, 0.3), value_range=(0, 1), seed=0)
    out = layer(x, training=True).numpy()
    deltas = out[:, 0, 0, 0] - 0.5
    np.testing.assert_allclose(out - 0.5, np.broadcast_to(deltas[:, None, None, None], out.shape), atol=1e-6)
    assert -0.1 - 1e-6 <= deltas.min() < -0.09 and 0.29 < deltas.max() <= 0.3 + 1e-6
    assert abs(deltas.mean() - 0.1) < 0.01  # uniform on [-0.1, 0.3]
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)  # inference: unchanged
    bright = RandomBrightness(1.0, value_range=(0, 1))(x, training=True).numpy()
    assert bright.min() >= 0 and bright.max() <= 1 and (bright == 1).any() and (bright == 0).any()  # clipped
    a = RandomBrightness(0.5, seed=4)(images((4, 3, 3, 1)), training=True).numpy()
    b = RandomBrightness(0.5, seed=4)(images((4, 3, 3, 1)), training=True).numpy()
    np.testing.assert_array_equal(a, b)


# --- GroupNormalization -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, shape",
    [
        ({"groups": 2}, (3, 5, 4)),
        ({"groups": -1}, (2, 4, 4, 6)),
        ({"groups": 3, "axis": 1}, (2, 6, 5)),
        ({"groups": 1, "center": False}, (2, 3, 3, 4)),
        ({"groups": 4, "axis": -2, "scale": False, "epsilon": 1e-5}, (2, 3, 8, 2)),
        ({"groups": 32}, (2, 3, 64)),
    ],
)
def test_group_normalization_against_keras(keras, kwargs, shape):
    x = (np.random.default_rng(2).standard_normal(shape) * 3 + 1).astype("float32")
    theirs, ours = keras.layers.GroupNormalization(**kwargs), GroupNormalization(**kwargs)
    copy_weights(ours, theirs, x)
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), **TOLERANCE)
    np.testing.assert_allclose(ours(x, training=True).numpy(), np.asarray(theirs(x)), **TOLERANCE)


def test_group_normalization_normalizes_each_group():
    x = np.random.default_rng(3).standard_normal((2, 5, 5, 6)) * [1, 1, 1, 10, 10, 10] + [0, 0, 0, 5, 5, 5]
    y = GroupNormalization(groups=2, epsilon=1e-8)(x.astype("float32")).numpy()
    for group in (slice(0, 3), slice(3, 6)):
        np.testing.assert_allclose(y[..., group].mean(axis=(1, 2, 3)), 0, atol=1e-5)
        np.testing.assert_allclose(y[..., group].std(axis=(1, 2, 3)), 1, atol=1e-4)


@pytest.mark.parametrize("kwargs, shape", [({"groups": 2}, (2, 3, 4)), ({"groups": 3, "axis": 1}, (2, 6, 2, 2))])
def test_group_normalization_gradients(kwargs, shape):
    layer = GroupNormalization(dtype="float64", **kwargs)
    x = np.random.default_rng(4).standard_normal(shape)
    layer(x)
    channels = shape[kwargs.get("axis", -1)]
    gamma = np.random.default_rng(5).uniform(0.5, 2.0, channels)
    beta = np.random.default_rng(6).standard_normal(channels)
    weights = np.random.default_rng(7).standard_normal(shape)
    saved = layer.gamma, layer.beta

    def function(inputs, g, b):
        layer.gamma, layer.beta = g, b
        return layer(inputs) * weights

    try:
        check_gradients(function, [x, gamma, beta])
    finally:
        layer.gamma, layer.beta = saved


# --- UnitNormalization --------------------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [-1, 1, [1, 2]])
def test_unit_normalization_against_keras(keras, axis):
    x = np.random.default_rng(8).standard_normal((3, 4, 5)).astype("float32")
    x[0] = 0.0  # zeros stay zeros
    expected = np.asarray(keras.layers.UnitNormalization(axis=axis)(x))
    layer = UnitNormalization(axis=axis)
    np.testing.assert_allclose(layer(x).numpy(), expected, **TOLERANCE)
    assert layer.weights == [] and not np.isnan(layer(x).numpy()).any()


def test_unit_normalization_gradients():
    layer = UnitNormalization(axis=[1, 2], dtype="float64")
    weights = np.random.default_rng(9).standard_normal((2, 3, 4))
    check_gradients(lambda t: layer(t) * weights, [np.random.default_rng(10).standard_normal((2, 3, 4))])


# --- AlphaDropout -------------------------------------------------------------------------------------------------
def test_alpha_dropout_keeps_mean_and_variance_in_training_only():
    x = np.random.default_rng(11).standard_normal((2000, 100)).astype("float32")
    layer = AlphaDropout(0.2, seed=0)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    y = layer(x, training=True).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01
    # Each entry is a * x + b if kept, a * (-alpha * scale) + b if dropped (Keras' formula).
    rate, saturation = 0.2, -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * saturation**2)) ** -0.5
    b = -a * saturation * rate
    kept = np.isclose(y, a * x + b, atol=1e-5)
    dropped = np.isclose(y, a * saturation + b, atol=1e-5)
    assert (kept | dropped).all() and abs(dropped.mean() - rate) < 0.005
    np.testing.assert_array_equal(
        AlphaDropout(0.2, seed=3)(x, training=True), AlphaDropout(0.2, seed=3)(x, training=True)
    )


def test_alpha_dropout_noise_shape_and_gradient():
    x = np.random.default_rng(12).standard_normal((4, 50, 3))
    layer = AlphaDropout(0.5, noise_shape=(None, 1, 3), seed=1, dtype="float64")
    with learnet.GradientTape() as tape:
        tensor = learnet.constant(x)
        tape.watch(tensor)
        y = layer(tensor, training=True)
        loss = learnet.reduce_sum(y)
    gradient = tape.gradient(loss, tensor).numpy()
    a = gradient.max()
    assert set(np.unique(gradient).tolist()) <= {0.0, a}
    assert (gradient == gradient[:, :1, :]).all()  # one mask per example and channel, shared over steps
    np.testing.assert_allclose(y.numpy()[gradient > 0], a * x[gradient > 0] + (y.numpy() - a * x)[gradient > 0])


# --- Conv1DTranspose -----------------------------------------------------------------------------------------------
CONV_CASES = [
    {"kernel_size": 3},
    {"kernel_size": 3, "strides": 2},
    {"kernel_size": 2, "strides": 3},
    {"kernel_size": 4, "strides": 2, "padding": "same"},
    {"kernel_size": 3, "strides": 2, "padding": "same"},
    {"kernel_size": 5, "padding": "same", "dilation_rate": 2},
    {"kernel_size": 3, "dilation_rate": 3},
    {"kernel_size": 3, "strides": 2, "output_padding": 1},
    {"kernel_size": 4, "strides": 3, "padding": "same", "output_padding": 2},
    {"kernel_size": 4, "strides": 2, "padding": "same", "output_padding": 0},
    {"kernel_size": 1, "strides": 2, "padding": "same", "output_padding": 1},
]


@pytest.mark.parametrize("kwargs", CONV_CASES, ids=[str(sorted(c.items())) for c in CONV_CASES])
def test_conv1d_transpose_against_keras(keras, kwargs):
    x = np.random.default_rng(13).standard_normal((2, 5, 3)).astype("float32")
    theirs, ours = keras.layers.Conv1DTranspose(4, **kwargs), Conv1DTranspose(4, **kwargs)
    copy_weights(ours, theirs, x)
    expected = np.asarray(theirs(x))
    assert ours.kernel.shape == (ours.kernel_size[0], 4, 3)
    np.testing.assert_allclose(ours(x).numpy(), expected, **TOLERANCE)
    assert ours.compute_output_shape((None, 5, 3)) == (None,) + expected.shape[1:]
    assert ours(layers.Input(shape=(5, 3))).shape == (None,) + expected.shape[1:]


@pytest.mark.parametrize(
    "kwargs",
    [{"strides": 2, "padding": "same"}, {"strides": 3, "output_padding": 1}, {"dilation_rate": 2, "padding": "same"}],
)
def test_conv1d_transpose_gradients(kwargs):
    layer = Conv1DTranspose(2, 3, dtype="float64", **kwargs)
    rng = np.random.default_rng(14)
    x = rng.standard_normal((2, 4, 3))
    layer(x)
    weights = rng.standard_normal(tuple(layer(x).shape))
    kernel, bias = rng.standard_normal((3, 2, 3)), rng.standard_normal(2)
    saved = layer.kernel, layer.bias

    def function(inputs, k, b):
        layer.kernel, layer.bias = k, b
        return layer(inputs) * weights

    try:
        check_gradients(function, [x, kernel, bias])
    finally:
        layer.kernel, layer.bias = saved


def test_conv1d_transpose_is_the_adjoint_of_conv1d():
    rng = np.random.default_rng(15)
    kernel = rng.standard_normal((3, 3, 4))  # Conv1D: (k, in=3, out=4); transposed: (k, filters=3, in=4)
    x, y = rng.standard_normal((2, 10, 3)), rng.standard_normal((2, 5, 4))
    conv = layers.Conv1D(4, 3, strides=2, padding="same", use_bias=False, dtype="float64")
    conv(x)
    conv.set_weights([kernel])
    up = Convolution1DTranspose(3, 3, strides=2, padding="same", use_bias=False, dtype="float64")
    up(y)
    up.set_weights([kernel])
    assert np.sum(conv(x).numpy() * y) == pytest.approx(np.sum(x * up(y).numpy()), rel=1e-10)


# --- configs, saving ------------------------------------------------------------------------------------------------
ALL_LAYERS = [
    lambda: CenterCrop(4, 5),
    lambda: RandomCrop(4, 5, seed=3),
    lambda: RandomBrightness((-0.2, 0.4), value_range=(0, 1), seed=2),
    lambda: GroupNormalization(groups=4, axis=1, epsilon=1e-5, center=False, gamma_initializer="zeros"),
    lambda: UnitNormalization(axis=[1, 2]),
    lambda: AlphaDropout(0.3, noise_shape=(None, 1), seed=5),
    lambda: Conv1DTranspose(8, 3, strides=2, padding="same", output_padding=1, activation="relu", use_bias=False),
]


@pytest.mark.parametrize("make", ALL_LAYERS, ids=lambda make: type(make()).__name__)
def test_config_round_trip(make, keras):
    layer = make()
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    # The same arguments as Keras' layer (learnet's own configs hold no data_format only where Keras has none).
    theirs = getattr(keras.layers, type(layer).__name__).from_config(
        {k: v for k, v in config.items() if k not in ("dtype", "name")}
    )
    assert set(theirs.get_config()) - {"dtype"} == set(config) - {"dtype"}


def test_keras_defaults():
    group = GroupNormalization()
    assert (group.groups, group.axis, group.epsilon, group.center, group.scale) == (32, -1, 1e-3, True, True)
    assert UnitNormalization().axis == -1
    assert RandomBrightness(0.2).get_config()["factor"] == (-0.2, 0.2)
    assert RandomBrightness(0.2).value_range == [0, 255]
    transpose = Conv1DTranspose(4, 3)
    assert (transpose.strides, transpose.padding, transpose.output_padding, transpose.dilation_rate) == (
        (1,),
        "valid",
        None,
        (1,),
    )
    assert AlphaDropout(0.1).noise_shape is None and Convolution1DTranspose is Conv1DTranspose


def test_save_and_load_models_holding_each_layer(tmp_path):
    image_model = learnet.Sequential(
        [
            layers.Input(shape=(10, 12, 3)),
            CenterCrop(8, 8),
            RandomCrop(6, 6, seed=1),
            RandomBrightness(0.1, seed=2),
            GroupNormalization(groups=3),
            layers.Flatten(),
            AlphaDropout(0.2, seed=3),
            layers.Dense(4),
            UnitNormalization(),
        ]
    )
    sequence_model = learnet.Sequential([layers.Input(shape=(5, 2)), Conv1DTranspose(3, 3, strides=2, padding="same")])
    data = [images((4, 10, 12, 3)), np.random.default_rng(16).standard_normal((4, 5, 2)).astype("float32")]
    for model, x in zip((image_model, sequence_model), data):
        rng = np.random.default_rng(17)
        for weight in model.weights:
            weight.assign(rng.standard_normal(tuple(weight.shape)).astype("float32"))
        path = tmp_path / f"{model.name}.learnet"
        model.save(path)
        restored = learnet.models.load_model(path)
        assert [type(layer) for layer in restored.layers] == [type(layer) for layer in model.layers]
        np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    image_model.compile(optimizer="adam", loss="mse")
    image_model.fit(data[0], np.zeros((4, 4), dtype="float32"), epochs=1, verbose=0)  # training runs end to end


# --- errors ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: CenterCrop(0, 4), "CenterCrop: height and width must be positive"),
        (lambda: RandomCrop(4, 2.5), "RandomCrop: height and width must be positive integers"),
        (lambda: RandomCrop(4, 4, data_format="channels_first"), "RandomCrop: only data_format"),
        (lambda: RandomBrightness(1.5), r"RandomBrightness: factor must be .* in \[-1, 1\]"),
        (lambda: RandomBrightness((0.1, 0.2, 0.3)), "RandomBrightness: factor"),
        (lambda: RandomBrightness(0.1, value_range=255), "RandomBrightness: value_range"),
        (lambda: GroupNormalization(groups=0), "GroupNormalization: groups must be a positive integer"),
        (lambda: GroupNormalization(epsilon=0), "GroupNormalization: epsilon must be positive"),
        (lambda: AlphaDropout(1.0), r"AlphaDropout: rate must be a number in \[0, 1\)"),
        (lambda: Conv1DTranspose(4, 3, strides=2, output_padding=2), "Conv1DTranspose: output_padding"),
        (lambda: Conv1DTranspose(4, 3, padding="causal"), "Conv1DTranspose: padding must be one of"),
        (lambda: Conv1DTranspose(4, 3, strides=2, dilation_rate=2), "Conv1DTranspose: strides > 1"),
    ],
)
def test_bad_arguments_are_explained(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_inputs_are_refused_before_any_weight_is_made():
    group = GroupNormalization(groups=4, name="gn")
    with pytest.raises(ValueError, match=r"GroupNormalization 'gn': the number of groups \(4\) must divide .* \(6\)"):
        group(np.zeros((2, 3, 6), dtype="float32"))
    assert not group.built and group.weights == []
    assert group(np.zeros((2, 3, 8), dtype="float32")).shape == (2, 3, 8)  # still usable
    with pytest.raises(TypeError, match="GroupNormalization: axis must be one integer"):
        GroupNormalization(axis=[1, 2])
    with pytest.raises(TypeError, match="UnitNormalization: axis must be an int or a list"):
        UnitNormalization(axis="last")
    with pytest.raises(ValueError, match="UnitNormalization 'unit': axis 3 is out of range"):
        UnitNormalization(axis=3, name="unit")(np.zeros((2, 3)))
    transpose = Conv1DTranspose(4, 3, name="up")
    with pytest.raises(ValueError, match="up"):
        transpose(np.zeros((2, 5, 5, 3), dtype="float32"))
    assert not transpose.built and transpose.weights == []
    with pytest.raises(ValueError, match=r"CenterCrop 'crop' expects images .* got shape \(4, 5\)"):
        CenterCrop(2, 2, name="crop")(np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"AlphaDropout 'drop': noise_shape \(None, 1\) does not have the rank"):
        AlphaDropout(0.5, noise_shape=(None, 1), name="drop")(np.zeros((2, 3, 4)), training=True)
