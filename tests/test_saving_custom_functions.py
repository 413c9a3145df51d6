"""A layer built with the user's own activation, initializer, constraint and regularizer saves
and loads by registered name, as Keras 3 does (checked against a file real Keras 3 wrote:
tests/fixtures/make_keras_custom_functions_fixture.py)."""

import importlib.util
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

import learnet as keras
from learnet import registry

FIXTURES = Path(__file__).parent / "fixtures"
_spec = importlib.util.spec_from_file_location("custom_fixture", FIXTURES / "make_keras_custom_functions_fixture.py")
fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixture)


@pytest.fixture
def clean_registry():
    """Registrations made by a test are forgotten after it."""
    registered, names = dict(registry._REGISTERED), dict(registry._NAMES)
    yield
    registry._REGISTERED.clear()
    registry._REGISTERED.update(registered)
    registry._NAMES.clear()
    registry._NAMES.update(names)


def _dense_config(path):
    config = json.loads(zipfile.ZipFile(path).read("config.json"))
    return config["config"]["layers"][-1]["config"]


def test_a_keras_file_with_registered_functions_loads_and_predicts_the_same(clean_registry):
    objects = fixture.custom_objects(keras)
    model = keras.models.load_model(FIXTURES / "keras_custom_functions.keras")
    layer = model.get_layer("custom_dense")
    assert layer.activation is objects["doubled_relu"] and layer.kernel_constraint is objects["clip_quarter"]
    assert isinstance(layer.kernel_regularizer, objects["SumPenalty"]) and layer.kernel_regularizer.strength == 0.5
    reference = np.load(FIXTURES / "keras_custom_functions_io.npz")
    np.testing.assert_allclose(model.predict(reference["x"], verbose=0), reference["y"], rtol=1e-5, atol=1e-6)


def test_learnet_writes_the_entries_keras_writes_and_reads_them_back(clean_registry, tmp_path):
    objects = fixture.custom_objects(keras)
    model = fixture.build(keras, objects)
    model.save(tmp_path / "ours.keras")
    ours, theirs = _dense_config(tmp_path / "ours.keras"), _dense_config(FIXTURES / "keras_custom_functions.keras")
    for key in ("activation", "kernel_initializer", "kernel_constraint", "kernel_regularizer"):
        assert ours[key] == theirs[key], key
    for suffix in ("keras", "learnet"):
        model.save(tmp_path / f"model.{suffix}")
        loaded = keras.models.load_model(tmp_path / f"model.{suffix}")
        layer = loaded.get_layer("custom_dense")
        assert layer.activation is objects["doubled_relu"] and layer.kernel_initializer is objects["small_steps"]
        assert layer.kernel_regularizer.strength == 0.5
        x = fixture.data()
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_unregistered_objects_are_found_through_custom_objects(clean_registry, tmp_path):
    objects = fixture.custom_objects(keras, register=False)
    # Keras' own file names the registered names ("Course>doubled_relu"): custom_objects by short name.
    loaded = keras.models.load_model(FIXTURES / "keras_custom_functions.keras", custom_objects=objects)
    layer = loaded.get_layer("custom_dense")
    assert layer.activation is objects["doubled_relu"] and isinstance(layer.kernel_regularizer, objects["SumPenalty"])
    # A Regularizer subclass of your own, not registered: found through custom_objects.
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, kernel_regularizer=objects["SumPenalty"](2.0))])
    for suffix in ("keras", "learnet"):
        model.save(tmp_path / f"reg.{suffix}")
        with pytest.raises(keras.saving.InvalidModelFileError, match=r"custom_objects=\{'SumPenalty'"):
            keras.models.load_model(tmp_path / f"reg.{suffix}")
        loaded = keras.models.load_model(
            tmp_path / f"reg.{suffix}", custom_objects={"SumPenalty": objects["SumPenalty"]}
        )
        assert type(loaded.layers[0].kernel_regularizer) is objects["SumPenalty"]
        assert loaded.layers[0].kernel_regularizer.strength == 2.0


def test_a_file_naming_an_unknown_function_is_refused(clean_registry):
    penalty = {"SumPenalty": fixture.custom_objects(keras, register=False)["SumPenalty"]}
    with pytest.raises(keras.saving.InvalidModelFileError, match="SumPenalty"):
        keras.models.load_model(FIXTURES / "keras_custom_functions.keras")
    with pytest.raises(keras.saving.InvalidModelFileError, match=r"unknown activation 'Course>doubled_relu'"):
        keras.models.load_model(FIXTURES / "keras_custom_functions.keras", custom_objects=penalty)
    # A custom_objects entry that is not a function is not called.
    with pytest.raises(keras.saving.InvalidModelFileError, match="doubled_relu"):
        keras.models.load_model(
            FIXTURES / "keras_custom_functions.keras", custom_objects={**penalty, "doubled_relu": "not a function"}
        )


# An unregistered activation is written by its name, as Keras 3 writes it (tests/test_save_unregistered_function.py).
@pytest.mark.parametrize("argument", ["kernel_initializer", "kernel_constraint", "kernel_regularizer"])
def test_an_unregistered_function_is_refused_at_save_time(argument, tmp_path, recwarn):
    def my_own(x, dtype=None):
        return keras.ops.zeros(x) if isinstance(x, tuple) else x

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, **{argument: my_own})])
    for suffix in ("keras", "learnet"):
        with pytest.raises(ValueError, match=r"'my_own' to save it.*register_keras_serializable"):
            model.save(tmp_path / f"model.{suffix}")
        assert not (tmp_path / f"model.{suffix}").exists()


def test_custom_object_scope_finds_objects_by_name(clean_registry):
    objects = fixture.custom_objects(keras, register=False)
    with keras.saving.custom_object_scope(objects):
        assert keras.activations.get("doubled_relu") is objects["doubled_relu"]
        assert keras.initializers.get("Course>small_steps") is objects["small_steps"]
        assert keras.constraints.get("clip_quarter") is objects["clip_quarter"]
        assert isinstance(keras.regularizers.get({"class_name": "SumPenalty", "config": {}}), objects["SumPenalty"])
    with pytest.raises(ValueError, match="unknown activation"):
        keras.activations.get("doubled_relu")
