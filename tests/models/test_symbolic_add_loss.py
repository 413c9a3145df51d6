"""model.add_loss of a symbolic tensor (tf.keras 2's way, Hands-On's variational autoencoder)."""

import numpy as np
import pytest

import learnet as tf

X = np.random.default_rng(0).random((16, 6)).astype("float32")


def _model_with_latent_loss():
    inputs = tf.keras.Input((6,))
    mean = tf.keras.layers.Dense(3, name="mean")(inputs)
    log_var = tf.keras.layers.Dense(3, name="log_var")(inputs)
    outputs = tf.keras.layers.Dense(6, name="decoder")(mean + log_var)
    model = tf.keras.Model(inputs, outputs)
    latent = -0.5 * tf.reduce_sum(1 + log_var - tf.exp(log_var) - tf.square(mean), axis=-1)
    model.add_loss(tf.reduce_mean(latent) / 6.0)
    return model


def _latent_by_hand(model, x):
    mean = model.get_layer("mean")(x).numpy()
    log_var = model.get_layer("log_var")(x).numpy()
    return float(np.mean(-0.5 * np.sum(1 + log_var - np.exp(log_var) - mean**2, axis=-1)) / 6.0)


def test_the_symbolic_loss_is_recomputed_at_every_call_and_trained_on():
    model = _model_with_latent_loss()
    model(X)
    assert len(model.losses) == 1
    assert float(model.losses[0]) == pytest.approx(_latent_by_hand(model, X), rel=1e-5)
    model.compile(loss="mse", optimizer="sgd")
    reconstruction = float(np.mean((model.predict(X, verbose=0) - X) ** 2))
    total = model.evaluate(X, X, verbose=0)
    assert total == pytest.approx(reconstruction + _latent_by_hand(model, X), rel=1e-4)
    before = _latent_by_hand(model, X)
    model.compile(loss=lambda y, p: 0.0 * tf.reduce_mean(p), optimizer=tf.keras.optimizers.SGD(0.5))
    model.fit(X, X, epochs=5, verbose=0)
    assert _latent_by_hand(model, X) < before  # only the added loss was trained on


def test_a_symbolic_loss_must_be_one_number_from_the_models_inputs():
    inputs = tf.keras.Input((6,))
    hidden = tf.keras.layers.Dense(3)(inputs)
    model = tf.keras.Model(inputs, hidden)
    with pytest.raises(ValueError, match="must be one number"):
        model.add_loss(tf.square(hidden))
    stranger = tf.keras.Input((6,))
    with pytest.raises(ValueError, match="must come from the model's inputs"):
        model.add_loss(tf.reduce_mean(tf.keras.layers.Dense(1)(stranger)))
    model(X)
    assert model.losses == []
