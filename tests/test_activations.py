"""Activation functions by name or function: values against NumPy, gradients, serialization."""

import math

import numpy as np
import pytest

import learnet as tf
from learnet import activations
from learnet.testing import check_gradients

X = np.array([-3.0, -1.0, -0.2, 0.3, 1.0, 4.0])


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


REFERENCE = {
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": sigmoid,
    "tanh": np.tanh,
    "linear": lambda x: x,
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "swish": lambda x: x * sigmoid(x),
    "silu": lambda x: x * sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2))),
    "exponential": np.exp,
    "relu6": lambda x: np.clip(x, 0, 6),
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
    "softmax": lambda x: np.exp(x) / np.exp(x).sum(),
    "log_softmax": lambda x: x - np.log(np.exp(x).sum()),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_activation_values_by_name(name):
    function = activations.get(name)
    got = function(tf.constant(X, dtype="float64")).numpy()
    # gelu's erf is a rational approximation good to 1.5e-7, below float32's resolution.
    atol = 1e-6 if name == "gelu" else 1e-7
    np.testing.assert_allclose(got, REFERENCE[name](X), rtol=1e-6, atol=atol)
    assert function(tf.constant(X.astype("float32"))).dtype == np.float32


@pytest.mark.parametrize("name", sorted(set(REFERENCE) - {"relu6", "hard_sigmoid"}))
def test_activation_gradients(name):
    function = activations.get(name)
    check_gradients(lambda t: function(t) * np.arange(1.0, 7.0), [X], atol=1e-5)


def test_softmax_and_sigmoid_keep_their_logits():
    logits = tf.constant([[1.0, 2.0]])
    assert activations.softmax(logits)._from_logits[1] is logits
    assert activations.get("sigmoid")(logits)._from_logits[0] == "sigmoid"


def test_relu_options_and_old_names():
    x = tf.constant(X)
    np.testing.assert_allclose(activations.relu(x, max_value=1.0).numpy(), np.clip(X, 0, 1))
    np.testing.assert_allclose(activations.relu(x, alpha=0.1).numpy(), np.where(X > 0, X, 0.1 * X), rtol=1e-6)
    np.testing.assert_allclose(activations.gelu(x, approximate=True).numpy(), REFERENCE["gelu"](X), atol=2e-3)


def test_get_and_serialize():
    assert activations.get(None) is activations.linear
    assert activations.get("ReLU") is activations.relu
    assert activations.get(tf.nn.relu) is tf.nn.relu
    assert activations.serialize(activations.relu) == "relu"
    assert activations.serialize(tf.nn.softmax) == "softmax"
    assert activations.serialize(tf.tanh) == "tanh"
    assert activations.deserialize("elu") is activations.elu
    with pytest.raises(ValueError, match="unknown activation 'sigmod'"):
        activations.get("sigmod")
    with pytest.raises(ValueError, match="cannot serialize"):
        activations.serialize(lambda x: x)
    with pytest.raises(TypeError, match="must be a name or a function"):
        activations.get(3)


# --- the activations Keras 3 added: values against Keras itself, gradients, saving ---------------------
NEW = [
    "celu",
    "glu",
    "hard_shrink",
    "hard_tanh",
    "log_sigmoid",
    "soft_shrink",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "tanh_shrink",
]
GRID = np.array([[-3.0, -1.3, -0.6, -0.2, 0.3, 0.7, 1.2, 4.0], [2.0, 0.45, -0.55, 1.5, -2.5, 0.1, 0.9, -1.1]])


@pytest.fixture(scope="module")
def keras3():
    keras = pytest.importorskip("keras")
    if not keras.__version__.startswith("3"):
        pytest.skip("compared with Keras 3")
    return keras


@pytest.mark.parametrize("name", NEW)
def test_new_activation_values_match_keras_3(keras3, name):
    x = GRID.astype("float32")
    expected = np.asarray(keras3.ops.convert_to_numpy(keras3.activations.get(name)(x)))
    got = activations.get(name)(tf.constant(x))
    assert got.dtype == np.float32 and got.shape == expected.shape
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-6)


def test_threshold_matches_keras_3(keras3):
    x = GRID.astype("float32")
    expected = keras3.ops.convert_to_numpy(keras3.activations.threshold(x, 0.25, -1.0))
    np.testing.assert_allclose(activations.threshold(tf.constant(x), 0.25, -1.0).numpy(), expected)


@pytest.mark.parametrize("name", NEW + ["threshold"])
def test_new_activation_gradients(name):
    function = activations.get(name)
    if name == "threshold":
        function = lambda t: activations.threshold(t, 0.25, -1.0)  # noqa: E731
    # The kinks of the piecewise ones (at +-0.5, +-1) stay away from the grid; the weights make
    # every output count differently.
    width = function(tf.constant(GRID)).shape[-1]
    assert check_gradients(lambda t: function(t) * np.arange(1.0, width + 1), [GRID]) < 1e-5


@pytest.mark.parametrize("name", NEW)
def test_new_activations_serialize_by_name(name):
    assert activations.serialize(activations.get(name)) == name
    assert activations.deserialize(name) is activations.get(name)


def test_a_model_with_the_new_activations_saves_and_keras_3_loads_it(keras3, tmp_path):
    names = ["celu", "hard_tanh", "squareplus", "sparse_plus", "tanh_shrink", "soft_shrink", "sparsemax"]
    inputs = tf.keras.Input((5,))
    x = inputs
    for name in names:
        x = tf.keras.layers.Dense(6, activation=name)(x)
    model = tf.keras.Model(inputs, x)
    data = np.random.default_rng(3).standard_normal((4, 5)).astype("float32")
    model.save(tmp_path / "m.keras")
    restored = keras3.models.load_model(tmp_path / "m.keras")
    assert [layer.get_config()["activation"] for layer in restored.layers[1:]] == names
    np.testing.assert_allclose(
        keras3.ops.convert_to_numpy(restored(data)), model.predict(data, verbose=0), rtol=1e-5, atol=1e-6
    )
    again = tf.keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(again.predict(data, verbose=0), model.predict(data, verbose=0), rtol=1e-6)


def test_glu_needs_an_even_axis():
    with pytest.raises(ValueError, match="even size"):
        activations.glu(tf.constant(np.ones((2, 3))))
