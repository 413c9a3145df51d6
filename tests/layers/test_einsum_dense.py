"""EinsumDense: shapes and values against real Keras 3, gradients, config, errors."""

import numpy as np
import pytest

import learnet
from learnet import layers
from learnet.layers.einsum_dense import EinsumDense
from learnet.testing import check_gradients

CASES = [
    # equation, output_shape, bias_axes, input shape
    ("ab,bc->ac", 6, "c", (3, 4)),
    ("abc,cd->abd", (None, 5), "d", (2, 3, 4)),
    ("abc,cde->abde", (None, 2, 3), "de", (2, 5, 4)),
    ("abcd,cde->abe", (None, 3), "e", (2, 3, 4, 5)),
    ("abc,cd->adb", (6, None), "d", (2, 3, 4)),
    ("...b,bc->...c", 7, "c", (2, 3, 4, 5)),
    ("abc...,cd->abd...", (None, 6), "d", (2, 3, 4, 5)),
    ("abc,cd->abd", (None, 5), None, (2, 3, 4)),
    ("abc,bd->acd", (4, 3), "cd", (2, 5, 4)),  # not a plain contraction of the last axis
]


@pytest.mark.parametrize("equation, output_shape, bias_axes, shape", CASES)
def test_matches_keras(keras, equation, output_shape, bias_axes, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    theirs = keras.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, activation="tanh")
    ours = EinsumDense(equation, output_shape, bias_axes=bias_axes, activation="tanh")
    theirs(x)
    ours(x)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    values = [np.random.default_rng(i).standard_normal(w.shape).astype("float32") for i, w in enumerate(ours.weights)]
    ours.set_weights(values)
    theirs.set_weights(values)
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)
    assert [w.path for w in ours.weights] == [f"{ours.name}/kernel"] + ([f"{ours.name}/bias"] if bias_axes else [])


def test_is_a_dense_layer_for_ab_bc_ac():
    x = np.random.default_rng(1).standard_normal((4, 3)).astype("float32")
    layer = EinsumDense("ab,bc->ac", output_shape=2, bias_axes="c")
    dense = layers.Dense(2)
    dense(x)
    layer(x)
    layer.set_weights(dense.get_weights())
    np.testing.assert_allclose(layer(x).numpy(), dense(x).numpy(), rtol=1e-6)


def test_output_shape_in_a_functional_model():
    inputs = layers.Input(shape=(10, 16))
    outputs = EinsumDense("abc,cde->abde", output_shape=(None, 4, 8), bias_axes="de")(inputs)
    assert tuple(outputs.shape) == (None, 10, 4, 8)
    model = learnet.Model(inputs, outputs)
    assert model.predict(np.ones((3, 10, 16), "float32"), verbose=0).shape == (3, 10, 4, 8)


def test_glorot_uses_the_fans_of_the_einsum():
    # fan_in 64, fan_out 4 * 8 = 32: limit sqrt(6 / 96) = 0.25 (not the conv-style fans).
    layer = EinsumDense("abc,cde->abde", output_shape=(None, 4, 8))
    layer.build((None, 5, 64))
    kernel = layer.kernel.numpy()
    assert np.abs(kernel).max() <= 0.25 and np.abs(kernel).max() > 0.2


@pytest.mark.parametrize(
    "equation, output_shape, bias_axes, shape",
    [
        ("abc,cde->abde", (None, 2, 3), "de", (2, 3, 4)),  # tensordot path
        ("abc,bd->acd", (4, 3), "cd", (2, 3, 4)),  # tensordot, then transpose
        ("abc,cd->ad", 3, "d", (2, 3, 4)),  # b is summed alone: the einsum op
    ],
)
def test_gradients(equation, output_shape, bias_axes, shape):
    rng = np.random.default_rng(2)
    layer = EinsumDense(equation, output_shape, bias_axes=bias_axes, activation="tanh", dtype="float64")
    x = rng.standard_normal(shape)
    layer(x)
    weights = rng.standard_normal(layer(x).shape)
    saved = layer.kernel, layer.bias

    def function(inputs, kernel, bias):
        layer.kernel, layer.bias = kernel, bias
        return layer(inputs) * weights

    try:
        check_gradients(function, [x, saved[0].numpy(), saved[1].numpy()])
    finally:
        layer.kernel, layer.bias = saved


def test_config_round_trip_and_keras_config(keras):
    layer = EinsumDense(
        "abc,cd->abd", (None, 5), activation="relu", bias_axes="d", kernel_regularizer="l2", name="proj"
    )
    config = layer.get_config()
    for key in ("equation", "output_shape", "bias_axes", "activation", "kernel_initializer", "kernel_regularizer"):
        assert key in config
    again = EinsumDense.from_config(config)
    assert again.get_config() == config
    keras_config = keras.layers.EinsumDense("abc,cd->abd", (None, 5), bias_axes="d").get_config()
    from_keras = EinsumDense.from_config(keras_config)
    assert from_keras.equation == "abc,cd->abd" and from_keras.partial_output_shape == (None, 5)
    assert from_keras(np.ones((2, 3, 4))).shape == (2, 3, 5)


def test_errors_are_clear_and_leave_the_layer_unbuilt():
    with pytest.raises(ValueError, match="invalid einsum equation"):
        EinsumDense("ab->b", 3)
    with pytest.raises(ValueError, match="bias axis 'x'"):
        EinsumDense("ab,bc->ac", 3, bias_axes="x")
    layer = EinsumDense("abc,cd->abd", (None, 5), bias_axes="d", name="proj")
    with pytest.raises(ValueError, match="EinsumDense 'proj' expects inputs of rank 3"):
        layer(np.ones((2, 4)))
    assert not layer.built and layer.weights == []
    bad_shape = EinsumDense("abc,cd->abd", 5, name="short")
    with pytest.raises(ValueError, match="output_shape"):
        bad_shape(np.ones((2, 3, 4)))
    assert not bad_shape.built and bad_shape.weights == []
    layer(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="proj"):
        layer(np.ones((2, 3, 7)))
