"""keras.activations.* called on a functional model's tensors (Hands-On's WaveNet:
``tf.keras.activations.relu(tf.keras.layers.Add()(skips))``) record nodes of the graph."""

import numpy as np
import pytest

import learnet as tf

X = np.random.default_rng(0).random((4, 12, 5)).astype("float32")


def _gated_model():
    inputs = tf.keras.Input(shape=[None, 5])
    z = tf.keras.layers.Conv1D(8, kernel_size=2, padding="causal")(inputs)
    gated = tf.keras.activations.tanh(z[..., :4]) * tf.keras.activations.sigmoid(z[..., 4:])
    z = tf.keras.activations.relu(tf.keras.layers.Add()([gated, gated]))
    z = tf.keras.activations.softmax(tf.keras.layers.Conv1D(3, 1)(z), axis=-1)
    return tf.keras.Model(inputs, z)


def test_activations_on_symbolic_tensors_compute_what_they_compute_on_tensors():
    model = _gated_model()
    conv, head = model.layers[1], [layer for layer in model.layers if isinstance(layer, tf.keras.layers.Conv1D)][-1]
    z = conv(X).numpy()
    gated = np.tanh(z[..., :4]) / (1 + np.exp(-z[..., 4:]))
    logits = head(np.maximum(2 * gated, 0)).numpy()
    expected = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(model.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_such_a_model_saves_as_keras_and_as_learnet(tmp_path):
    model = _gated_model()
    model.save(tmp_path / "gated.keras")
    model.save(tmp_path / "gated.learnet")
    for name in ("gated.keras", "gated.learnet"):
        again = tf.keras.models.load_model(tmp_path / name)
        np.testing.assert_allclose(again.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)


def test_real_keras_reads_the_file(tmp_path):
    keras = pytest.importorskip("keras")
    model = _gated_model()
    model.save(tmp_path / "gated.keras")
    theirs = keras.models.load_model(tmp_path / "gated.keras")
    np.testing.assert_allclose(theirs.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def test_activations_with_options_record_themselves_by_name(tmp_path):
    inputs = tf.keras.Input((3,))
    outputs = tf.keras.activations.relu(inputs, max_value=1.0) + tf.keras.activations.leaky_relu(
        inputs, negative_slope=0.5
    )
    model = tf.keras.Model(inputs, outputs)
    x = np.array([[-2.0, 0.5, 3.0]], "float32")
    np.testing.assert_allclose(model(x), [[-1.0, 1.0, 4.0]])
    model.save(tmp_path / "options.learnet")
    np.testing.assert_allclose(tf.keras.models.load_model(tmp_path / "options.learnet")(x), [[-1.0, 1.0, 4.0]])


def test_one_object_per_activation_for_layers_and_names():
    assert tf.keras.activations.get("relu") is tf.keras.activations.relu
    assert tf.keras.layers.Dense(2, activation="relu").activation is tf.keras.activations.relu
    assert tf.keras.activations.get("silu") is tf.keras.activations.silu
    for name in ("relu", "tanh", "softmax", "gelu", "linear"):
        assert tf.keras.activations.serialize(tf.keras.activations.get(name)) == name
