"""Grouped convolutions: ``tf.nn.conv1d/conv2d/conv3d`` on an input with a multiple of the
filters' input channels, ``keras.ops.conv``, and ``Conv1D/Conv2D/Conv3D(groups=...)``.

Values and gradients against real TensorFlow (tests/fixtures/make_grouped_conv_fixture.py)
and real Keras 3; numerical gradient checks of ``grouped_conv`` and of its two gradient ops.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

import learnet
import learnet as tf
from learnet import layers
from learnet.ops import conv as conv_ops
from learnet.ops.conv import _grouped_conv_backprop_filter, _grouped_conv_backprop_input, grouped_conv
from learnet.ops.volumes import conv3d
from learnet.testing import check_gradients

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
sys.path.insert(0, str(FIXTURES))
from make_grouped_conv_fixture import cases  # noqa: E402

REFERENCE = np.load(FIXTURES / "grouped_conv_reference.npz")
ARRAYS = {name: REFERENCE[name] for name in ("x2", "k2", "k2b", "k2d", "b9", "x1", "k1", "b4", "x3", "k3", "b6")}


def rng(seed=0):
    return np.random.default_rng(seed)


# --- against TensorFlow -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(cases(tf, ARRAYS)))
def test_grouped_convolutions_match_tensorflow(name):
    result = cases(tf, ARRAYS)[name]()
    if isinstance(result, tuple):  # the gradients of a weighted sum, with respect to the input and the kernel
        np.testing.assert_allclose(result[0].numpy(), REFERENCE[name + "_dx"], rtol=1e-5, atol=2e-5)
        np.testing.assert_allclose(result[1].numpy(), REFERENCE[name + "_dk"], rtol=1e-5, atol=5e-5)
    else:
        assert result.shape == REFERENCE[name].shape
        assert result.dtype == np.float32
        np.testing.assert_allclose(result.numpy(), REFERENCE[name], rtol=1e-5, atol=1e-5)


# --- numerical gradient checks ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "x_shape, k_shape, strides, padding, dilations",
    [
        ((2, 5, 6, 4), (3, 2, 2, 6), 2, "SAME", 1),  # odd sizes, strides
        ((1, 7, 5, 6), (3, 3, 2, 3), 1, "VALID", 2),  # dilation, 3 groups of one filter
        ((1, 6, 5, 6), (2, 3, 1, 12), (2, 1), [[0, 0], [1, 0], [2, 1], [0, 0]], 1),  # depthwise, explicit padding
    ],
)
def test_conv2d_grouped_gradients(x_shape, k_shape, strides, padding, dilations):
    x, k = rng(1).standard_normal(x_shape), rng(2).standard_normal(k_shape)
    out_shape = tf.nn.conv2d(x, k, strides, padding, dilations=dilations).shape
    weights = rng(3).standard_normal(tuple(out_shape))
    check_gradients(lambda a, b: tf.nn.conv2d(a, b, strides, padding, dilations=dilations) * weights, [x, k])


def test_grouped_conv_gradients_with_bias_and_three_spatial_axes():
    x, k, b = rng(4).standard_normal((1, 4, 5, 3, 4)), rng(5).standard_normal((2, 3, 2, 2, 6)), rng(6).normal(size=6)
    padding = ("same", "valid", (1, 0))
    weights = rng(7).standard_normal((1, 2, 3, 3, 6))
    check_gradients(lambda a, c, d: grouped_conv(a, c, (2, 1, 1), padding, (1, 1, 1), bias=d) * weights, [x, k, b])
    check_gradients(lambda a, c: conv3d(a, c, 1, "SAME", dilations=(1, 2, 1)) ** 2, [x, k])


def test_conv1d_grouped_gradients():
    x, k = rng(8).standard_normal((2, 9, 6)), rng(9).standard_normal((3, 2, 6))
    weights = rng(10).standard_normal((2, 5, 6))
    check_gradients(lambda a, b: tf.nn.conv1d(a, b, 2, "SAME") * weights, [x, k])
    check_gradients(lambda a, b: tf.nn.conv1d(a, b, 1, "VALID", dilations=3) ** 2, [x, k])


def test_layer_gradients_for_input_kernel_and_bias():
    layer = layers.Conv2D(4, 3, strides=2, padding="same", groups=2, activation="tanh", dtype="float64")
    layer.build((2, 5, 7, 6))
    kernel, bias = rng(11).standard_normal((3, 3, 3, 4)), rng(12).normal(size=4)

    def through_layer(x, k, b):
        layer.kernel, layer.bias = k, b  # the tensors being checked stand in for the weights
        return layer(x)

    x = rng(13).standard_normal((2, 5, 7, 6))
    check_gradients(through_layer, [x, kernel, bias])
    assert not np.allclose(through_layer(x, kernel, bias).numpy(), through_layer(x, kernel, bias + 1).numpy())


def test_the_gradient_ops_have_numerical_gradient_checks():
    """``_grouped_conv_backprop_input`` and ``_grouped_conv_backprop_filter``: the input's and
    the kernel's gradients, differentiated again (second derivatives)."""
    strides, padding, dilations = (2, 1), ("same", "valid"), (1, 1)
    x, k = rng(14).standard_normal((2, 5, 6, 4)), rng(15).standard_normal((3, 2, 2, 6))
    g = rng(16).standard_normal((2, 3, 5, 6))
    check_gradients(lambda a, b: _grouped_conv_backprop_input(a, b, x.shape, strides, padding, dilations) ** 2, [g, k])
    check_gradients(lambda a, b: _grouped_conv_backprop_filter(a, b, k.shape, strides, padding, dilations) ** 2, [x, g])


def test_second_derivative_through_a_grouped_convolution():
    """A gradient penalty: the norm of the kernel's gradient, differentiated again."""
    x = rng(17).standard_normal((2, 5, 5, 4))

    def kernel_gradient_norm(k):
        with tf.GradientTape() as tape:
            tape.watch(k)
            y = tf.reduce_sum(tf.nn.conv2d(x, k, 1, "SAME") ** 2)
        return tf.reduce_sum(tape.gradient(y, k) ** 2)

    check_gradients(kernel_gradient_norm, [rng(18).standard_normal((3, 3, 2, 4))], rtol=1e-5)


# --- layers ------------------------------------------------------------------------------------------
def test_the_gap_reproducer_runs_with_keras_shapes():
    x = rng(19).random((2, 8, 8, 16)).astype("float32")
    assert layers.Conv2D(16, 3, groups=16, use_bias=False)(x).shape == (2, 6, 6, 16)
    conv = layers.Conv2D(8, 3, groups=2)
    assert conv(x).shape == (2, 6, 6, 8)
    assert tuple(conv.kernel.shape) == (3, 3, 8, 8)
    conv1 = layers.Conv1D(6, 3, groups=3, padding="causal")
    assert conv1(np.zeros((2, 9, 6), "float32")).shape == (2, 9, 6) and tuple(conv1.kernel.shape) == (3, 2, 6)
    conv3 = layers.Conv3D(6, 3, groups=3)
    assert conv3(np.zeros((2, 5, 5, 5, 6), "float32")).shape == (2, 3, 3, 3, 6)
    assert tuple(conv3.kernel.shape) == (3, 3, 3, 2, 6)


@pytest.mark.parametrize(
    "multiplier, strides, padding, dilation", [(1, 1, "same", 1), (2, 2, "valid", 1), (3, 1, "same", 2)]
)
def test_depthwise_is_groups_equal_to_channels(multiplier, strides, padding, dilation):
    channels = 5
    x = rng(20).standard_normal((2, 9, 8, channels)).astype("float32")
    depthwise = layers.DepthwiseConv2D(3, strides, padding, multiplier, dilation_rate=dilation)
    expected = depthwise(x)
    grouped = layers.Conv2D(channels * multiplier, 3, strides, padding, dilation_rate=dilation, groups=channels)
    grouped.build(x.shape)
    kernel, bias = depthwise.get_weights()  # (3, 3, channels, multiplier): channel c's filters c*m ... c*m+m-1
    grouped.set_weights([kernel.reshape(3, 3, 1, channels * multiplier), bias])
    np.testing.assert_allclose(grouped(x).numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)
    assert tuple(grouped.kernel.shape) == (3, 3, 1, channels * multiplier)


def test_grouped_layers_train_in_a_functional_model():
    inputs = learnet.keras.Input((8, 8, 4))
    hidden = layers.Conv2D(8, 3, groups=2, activation="relu", padding="same")(inputs)
    hidden = layers.Conv2D(8, 3, groups=8, strides=2)(hidden)
    outputs = layers.Dense(1)(layers.GlobalAveragePooling2D()(hidden))
    model = learnet.keras.Model(inputs, outputs)
    assert model.layers[1].output.shape == (None, 8, 8, 8)
    x = rng(21).standard_normal((16, 8, 8, 4)).astype("float32")
    y = x.mean(axis=(1, 2, 3))[:, None]
    model.compile(optimizer=learnet.keras.optimizers.Adam(0.01), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before
    assert model.predict(x, verbose=0).shape == (16, 1)


def test_groups_one_keeps_the_fused_convolution():
    x = rng(22).standard_normal((2, 6, 6, 4)).astype("float32")
    report = check_gradients(
        lambda a, k: tf.nn.conv2d(a, k, 1, "SAME"), [x, rng(23).standard_normal((3, 3, 4, 2))], per_node=True
    )
    assert [node.name for node in report.nodes][0] == "conv2d"
    report = check_gradients(
        lambda a, k: tf.nn.conv2d(a, k, 1, "SAME"), [x, rng(23).standard_normal((3, 3, 2, 2))], per_node=True
    )
    assert [node.name for node in report.nodes][0] == "grouped_conv"


def test_config_round_trip():
    conv = layers.Conv1D(6, 3, groups=3, padding="causal", name="grouped")
    config = conv.get_config()
    assert config["groups"] == 3
    again = layers.Conv1D.from_config(config)
    assert again.groups == 3 and again.get_config() == config
    x = rng(24).standard_normal((2, 7, 9)).astype("float32")
    conv(x)
    again(x)
    again.set_weights(conv.get_weights())
    np.testing.assert_allclose(again(x).numpy(), conv(x).numpy())


# --- against Keras 3 ---------------------------------------------------------------------------------
def test_layer_config_matches_keras(keras):
    mine = layers.Conv2D(8, 3, groups=2).get_config()
    theirs = keras.layers.Conv2D(8, 3, groups=2).get_config()
    assert mine["groups"] == theirs["groups"] == 2
    assert set(theirs) <= set(mine)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_keras_ops_conv_matches_keras(keras, data_format):
    x = rng(25).standard_normal((2, 6, 7, 9)).astype("float32")
    if data_format == "channels_first":
        x = x.transpose(0, 3, 1, 2)
    k = rng(26).standard_normal((3, 2, 3, 6)).astype("float32")
    for strides, padding, dilation in [(1, "valid", 1), (2, "same", 1), (1, "same", (2, 1))]:
        mine = learnet.ops.conv(x, k, strides, padding, data_format, dilation)
        theirs = keras.ops.conv(x, k, strides, padding, data_format, dilation)
        np.testing.assert_allclose(mine.numpy(), np.asarray(theirs), rtol=1e-5, atol=1e-5)
    x1 = rng(27).standard_normal((2, 10, 4)).astype("float32")
    k1 = rng(28).standard_normal((3, 1, 8)).astype("float32")
    np.testing.assert_allclose(
        learnet.ops.conv(x1, k1, 2, "same").numpy(), np.asarray(keras.ops.conv(x1, k1, 2, "same")), atol=1e-5
    )


def grouped_model(M):
    """One model of grouped convolutions, built with ``M`` (learnet or real Keras)."""
    inputs = M.Input((9, 9, 6))
    hidden = M.layers.Conv2D(8, 3, groups=2, activation="relu", padding="same")(inputs)
    hidden = M.layers.Conv2D(8, 3, strides=2, groups=8, dilation_rate=1)(hidden)
    return M.Model(inputs, M.layers.Flatten()(hidden))


def _randomize(model, seed):
    generator = rng(seed)
    model.set_weights([generator.standard_normal(w.shape).astype("float32") * 0.3 for w in model.get_weights()])


@pytest.mark.slow  # real Keras compiles its convolutions in JAX: seconds on a small CPU
def test_keras_files_both_ways(keras, tmp_path):
    x = rng(29).standard_normal((3, 9, 9, 6)).astype("float32")
    mine = grouped_model(learnet.keras)
    _randomize(mine, 30)
    mine.save(tmp_path / "mine.keras")
    theirs = keras.models.load_model(tmp_path / "mine.keras")
    np.testing.assert_allclose(np.asarray(theirs(x)), mine.predict(x, verbose=0), rtol=1e-5, atol=1e-5)

    theirs = grouped_model(keras)
    _randomize(theirs, 31)
    theirs.save(tmp_path / "theirs.keras")
    restored = learnet.models.load_model(tmp_path / "theirs.keras")
    assert [layer.groups for layer in restored.layers if hasattr(layer, "groups")] == [2, 8]
    np.testing.assert_allclose(restored.predict(x, verbose=0), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)


# --- bad input ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("groups", [0, -2, 1.5, True, "2"])
def test_groups_must_be_a_positive_integer(groups):
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        layers.Conv2D(8, 3, groups=groups)


def test_filters_must_be_divisible_by_groups():
    with pytest.raises(
        ValueError, match=r"filters must be evenly divisible by the number of groups.*groups=3, filters=8"
    ):
        layers.Conv2D(8, 3, groups=3)
    with pytest.raises(ValueError, match="filters must be evenly divisible"):
        layers.Conv3D(5, 3, groups=2)


def test_channels_must_be_divisible_by_groups_and_nothing_is_built():
    conv = layers.Conv2D(9, 3, groups=3)
    with pytest.raises(ValueError, match=r"input channels must be evenly divisible.*groups=3.*16 channels"):
        conv(np.zeros((1, 8, 8, 16), "float32"))
    assert not conv.built and conv.weights == []
    assert conv(np.zeros((1, 8, 8, 12), "float32")).shape == (1, 6, 6, 9)  # the same layer, later, fine


def test_transposed_convolutions_still_refuse_groups():
    with pytest.raises(ValueError, match="grouped convolutions"):
        layers.Conv2DTranspose(8, 3, groups=2)


def test_ops_refuse_channels_and_filters_that_do_not_split():
    x = np.zeros((1, 5, 5, 6), "float32")
    with pytest.raises(ValueError, match="6 channels"):  # 6 is no multiple of 4
        tf.nn.conv2d(x, np.zeros((3, 3, 4, 4), "float32"), 1, "VALID")
    with pytest.raises(ValueError, match="multiple of the number of groups, 3"):
        tf.nn.conv2d(x, np.zeros((3, 3, 2, 7), "float32"), 1, "VALID")
    with pytest.raises(ValueError, match="multiple of the number of groups"):
        conv3d(np.zeros((1, 3, 3, 3, 4)), np.zeros((1, 1, 1, 2, 3)), 1, "VALID")
    with pytest.raises(ValueError, match=r"bias must have shape \(9,\)"):
        tf.nn.conv2d(x, np.zeros((3, 3, 2, 9), "float32"), 1, "VALID", bias=np.zeros(6, "float32"))
    with pytest.raises(ValueError, match="the gradient has shape"):
        _grouped_conv_backprop_input(
            np.zeros((1, 2, 2, 6)), np.zeros((3, 3, 2, 6)), x.shape, (1, 1), ("valid",) * 2, (1, 1)
        )
    with pytest.raises(ValueError, match="the gradient has shape"):
        _grouped_conv_backprop_filter(x, np.zeros((1, 2, 2, 6)), (3, 3, 2, 6), (1, 1), ("valid",) * 2, (1, 1))


def test_a_rejected_call_changes_no_weight():
    conv = layers.Conv2D(4, 3, groups=2)
    conv.build((1, 6, 6, 4))
    before = [w.copy() for w in conv.get_weights()]
    with pytest.raises(ValueError):
        conv(np.zeros((1, 6, 6, 6), "float32"))
    for old, new in zip(before, conv.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert conv_ops._is_grouped(np.zeros((1, 6, 6, 4)), np.zeros((3, 3, 2, 4)))
    assert not conv_ops._is_grouped(np.zeros((1, 6, 6, 4)), np.zeros((3, 3, 4, 4)))
