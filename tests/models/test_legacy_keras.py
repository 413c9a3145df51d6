"""``TF_USE_LEGACY_KERAS=1``: Keras 2's rules where Keras 2 and 3 give different results.

Hands-On Machine Learning's chapters 16 to 19 set the variable and ``import tf_keras``, so
that ``tf.keras`` is Keras 2; with ``import learnet as tf_keras`` they run on learnet, which
then follows Keras 2 where the same code means something else in Keras 3. Keras 2's
functional models hold a list of one input or output as that tensor (its
``_init_graph_network``), so a model built with ``outputs=[y]`` and called on symbolic
tensors gives one tensor, and a model built on it predicts one array (chapter 17's
variational autoencoder), where Keras 3 gives a list of one.
"""

import numpy as np
import pytest

import learnet as tf
from learnet import keras_config

keras = tf.keras


def _decoder_then_model():
    decoder_inputs = keras.Input(shape=[3])
    decoder_outputs = keras.layers.Dense(2)(decoder_inputs)
    decoder = keras.Model(inputs=[decoder_inputs], outputs=[decoder_outputs])
    inputs = keras.Input(shape=[3])
    reconstructions = decoder(inputs)
    return decoder, keras.Model(inputs=[inputs], outputs=[reconstructions]), reconstructions


@pytest.mark.parametrize("value", ["1", "true", "True"])
def test_a_list_of_one_is_that_tensor_as_in_keras_2(value, monkeypatch):
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", value)
    assert keras_config.uses_legacy_keras()
    decoder, model, reconstructions = _decoder_then_model()
    assert isinstance(reconstructions, keras.KerasTensor)  # not a list of one
    assert decoder.output is decoder.outputs[0] and not isinstance(decoder.input, list)
    x = np.ones((4, 3), np.float32)
    predicted = model.predict(x, verbose=0)
    assert isinstance(predicted, np.ndarray) and predicted.shape == (4, 2)
    np.testing.assert_allclose(predicted, decoder.predict(x, verbose=0), rtol=1e-6)
    assert np.clip(predicted, 0, 1)[0].shape == (2,)  # as the chapter indexes its reconstructions
    model.compile(loss="mse", optimizer="sgd")
    history = model.fit(x, np.zeros((4, 2)), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize("value", [None, "0", "false", ""])
def test_otherwise_the_list_is_kept_as_in_keras_3(value, monkeypatch):
    if value is None:
        monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)
    else:
        monkeypatch.setenv("TF_USE_LEGACY_KERAS", value)
    assert not keras_config.uses_legacy_keras()
    decoder, model, reconstructions = _decoder_then_model()
    assert isinstance(reconstructions, list) and len(reconstructions) == 1
    assert isinstance(decoder.input, list) and decoder.input[0] is decoder.inputs[0]
    predicted = model.predict(np.ones((4, 3), np.float32), verbose=0)
    assert isinstance(predicted, list) and predicted[0].shape == (4, 2)


def test_several_outputs_stay_a_list_in_both(monkeypatch):
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "1")
    inputs = keras.Input(shape=[3])
    model = keras.Model(inputs=[inputs], outputs=[keras.layers.Dense(2)(inputs), keras.layers.Dense(1)(inputs)])
    predicted = model.predict(np.ones((2, 3), np.float32), verbose=0)
    assert [p.shape for p in predicted] == [(2, 2), (2, 1)]


def test_the_keras_2_model_saves_and_loads_back(monkeypatch, tmp_path):
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "1")
    _, model, _ = _decoder_then_model()
    x = np.random.default_rng(0).random((3, 3)).astype(np.float32)
    model.save(tmp_path / "legacy.keras")
    again = keras.models.load_model(tmp_path / "legacy.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def _small_model():
    inputs = keras.Input(shape=[3])
    model = keras.Model(inputs=[inputs], outputs=[keras.layers.Dense(2)(inputs)])
    model.compile(loss="mse", optimizer="sgd")
    return model


def test_a_name_with_no_ending_is_a_saved_model_directory_as_in_keras_2(monkeypatch, tmp_path):
    """Keras 2 saves a whole model as a SavedModel directory unless the name ends in .h5 or
    .keras (chapter 17 checkpoints its diffusion model as "my_diffusion_model")."""
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "1")
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(1)
    x, y = rng.random((8, 3)).astype(np.float32), rng.random((8, 2)).astype(np.float32)
    model = _small_model()
    checkpoint = keras.callbacks.ModelCheckpoint("my_checkpointed_model", save_best_only=True)
    model.fit(x, y, validation_data=(x, y), epochs=2, verbose=0, callbacks=[checkpoint])
    assert (tmp_path / "my_checkpointed_model").is_dir() and tf.saved_model.contains_saved_model(
        "my_checkpointed_model"
    )
    model.save("my_model")
    assert (tmp_path / "my_model").is_dir()
    again = keras.models.load_model("my_model")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    model.save("my_model.keras")  # a file ending still names its format
    assert (tmp_path / "my_model.keras").is_file()


def test_without_the_variable_such_a_name_is_refused_as_in_keras_3(monkeypatch, tmp_path):
    monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="cannot tell the file format"):
        keras.callbacks.ModelCheckpoint("my_checkpointed_model")
    with pytest.raises(ValueError, match="cannot tell the file format"):
        _small_model().save("my_model")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "1")
    with pytest.raises(ValueError):  # weights alone still need a .weights.h5 / .weights.npz name
        _small_model().save_weights("my_weights")
