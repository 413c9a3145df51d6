"""A functional model keeps the structure of its inputs and outputs as Keras 3 does.

``keras.Model(inputs=[x], outputs=[y])`` has ``model.input == [x]`` and ``model.output == [y]``
(lists, so ``model.input[0] is x``), a config and files that say so, and a symbolic call that
returns a list; calling it on data, ``predict``, ``fit`` and ``evaluate`` take and give one
array. Every way of writing the inputs and outputs is compared with real Keras 3
(tests/fixtures/make_keras_functional_structure_fixture.py, which also wrote the
``keras_list_io.keras`` file loaded here).
"""

import importlib.util
import json
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

import learnet as keras
from learnet import keras_files, layers

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REFERENCE = np.load(FIXTURES / "keras_functional_structure_reference.npz")


def _fixture_maker():
    """The fixture's generator as a module: build() and data() make the same models and data here."""
    spec = importlib.util.spec_from_file_location(
        "make_keras_functional_structure_fixture", FIXTURES / "make_keras_functional_structure_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKER = _fixture_maker()
X, Y = MAKER.data()
CASES = list(MAKER.CASES)


def _reference_model(name):
    model = MAKER.build(keras, name)
    count = len([key for key in REFERENCE.files if key.startswith(f"{name}/weight_")])
    model.set_weights([REFERENCE[f"{name}/weight_{i}"] for i in range(count)])
    return model


def _symbolic_input(name):
    tensor = keras.Input((3,))
    return {"features": tensor} if MAKER.CASES[name][0] == "dict" else tensor


def _quietly(function, *args, **kwargs):
    # A model made with a dict of inputs and fed one array warns (as Keras 3 does) and goes on.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return function(*args, **kwargs)


def _kinds(model, name):
    return {
        "input": MAKER.kind_of(model.input),
        "output": MAKER.kind_of(model.output),
        "inputs": MAKER.kind_of(model.inputs),
        "outputs": MAKER.kind_of(model.outputs),
        "predict": MAKER.kind_of(_quietly(model.predict, X, verbose=0)),
        "symbolic_call": MAKER.kind_of(model(_symbolic_input(name))),
        "output_names": list(model.output_names),
    }


def _skeleton(config):
    """A config's input_layers/output_layers with every tensor reference as "T"."""
    if isinstance(config, dict):
        if set(config) == {"__keras_tensor__"}:
            return "T"
        return {key: _skeleton(value) for key, value in config.items()}
    if isinstance(config, list):
        if len(config) == 3 and isinstance(config[0], str) and all(isinstance(v, int) for v in config[1:]):
            return "T"
        return [_skeleton(item) for item in config]
    raise AssertionError(f"not a reference: {config!r}")


@pytest.mark.parametrize("name", CASES)
def test_structures_are_keras_3s(name):
    model = _reference_model(name)
    assert _kinds(model, name) == json.loads(str(REFERENCE[f"{name}/kinds"]))


@pytest.mark.parametrize("name", CASES)
def test_config_keeps_the_structure(name):
    model = _reference_model(name)
    config = model.get_config()
    for key in ("input_layers", "output_layers"):
        keras_value = json.loads(str(REFERENCE[f"{name}/{key}"]))
        assert _skeleton(config[key]) == _skeleton(keras_value), key
        # In Keras' own format (what a .keras file holds) it is the same, reference for reference.
        assert keras_files.model_config_to_keras(model)["config"][key] == keras_value, key


@pytest.mark.parametrize("name", CASES)
def test_from_config_and_files_keep_the_structure(name, tmp_path):
    model = _reference_model(name)
    expected = json.loads(str(REFERENCE[f"{name}/kinds"]))
    rebuilt = keras.Model.from_config(model.get_config())
    assert _kinds(rebuilt, name) == expected
    for suffix in (".keras", ".learnet"):
        model.save(tmp_path / f"model{suffix}")
        loaded = keras.models.load_model(tmp_path / f"model{suffix}")
        assert _kinds(loaded, name) == expected, suffix
        np.testing.assert_allclose(
            keras.tree.flatten(_quietly(loaded.predict, X, verbose=0))[0],
            REFERENCE[f"{name}/predict"],
            rtol=1e-5,
            atol=1e-6,
        )


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("targets", ["array", "list"])
def test_predict_evaluate_and_fit_match_keras(name, targets):
    model = _reference_model(name)
    prediction = _quietly(model.predict, X, verbose=0)
    np.testing.assert_allclose(keras.tree.flatten(prediction)[0], REFERENCE[f"{name}/predict"], rtol=1e-5, atol=1e-6)
    given = Y if targets == "array" else [Y]
    key = f"{name}/{targets}"
    assert _quietly(model.evaluate, X, given, batch_size=4, verbose=0) == pytest.approx(
        float(REFERENCE[f"{key}/evaluate"]), rel=1e-5
    )
    history = _quietly(model.fit, X, given, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert sorted(history.history) == json.loads(str(REFERENCE[f"{key}/history_keys"]))
    np.testing.assert_allclose(history.history["loss"], REFERENCE[f"{key}/history_loss"], rtol=1e-4)


def test_calling_a_list_model_on_data_gives_one_tensor():
    model = _reference_model("list_list")
    for given in (X, [X], keras.constant(X)):
        result = model(given)
        assert isinstance(result, keras.Tensor) and tuple(result.shape) == (8, 2)
    assert model.output_shape == (None, 2) and model.input_shape == (None, 3)
    assert model.compute_output_shape((None, 3)) == [(None, 2)]  # as Keras 3: the outputs' structure


def test_a_keras_file_saved_with_lists_loads_with_lists():
    model = keras.models.load_model(FIXTURES / "keras_list_io.keras")
    assert isinstance(model.input, list) and isinstance(model.output, list)
    assert model.input[0] is model.inputs[0] and model.output[0] is model.outputs[0]
    prediction = model.predict(X, verbose=0)
    assert isinstance(prediction, np.ndarray)
    np.testing.assert_allclose(prediction, REFERENCE["saved/predict"], rtol=1e-5, atol=1e-6)


def test_the_reproducer_model_input_list_single():
    x_in = layers.Input((8, 8, 3))
    m = keras.Model(inputs=[x_in], outputs=[layers.Conv2D(2, 1)(x_in)])
    assert isinstance(m.input, list) and m.input[0] is x_in
    assert isinstance(m.output, list)
    m2 = keras.Model(inputs=m.input[0], outputs=m.output[0])  # as keras.io's BASNet does
    assert tuple(m2.input.shape) == (None, 8, 8, 3)
    assert m2.layers[1] is m.layers[1]


def test_an_outer_model_on_a_list_model_keeps_its_list():
    inner = _reference_model("list_list")
    z = keras.Input((3,))
    outer = keras.Model(z, inner(z))
    assert isinstance(outer.output, list) and len(outer.output) == 1
    np.testing.assert_allclose(outer.predict(X, verbose=0), REFERENCE["list_list/predict"], rtol=1e-5, atol=1e-6)


def test_tuples_are_kept_as_lists():
    # Keras 3 keeps a tuple as a tuple; a config (JSON) cannot tell them apart, and learnet
    # keeps both as lists, which index and unpack alike.
    x = keras.Input((3,))
    y = layers.Dense(2)(x)
    model = keras.Model((x,), (y,))
    assert model.input == [x] and model.output == [y]
    assert model.predict(X, verbose=0).shape == (8, 2)


def test_wrong_data_for_a_list_model_is_refused_and_changes_nothing():
    model = _reference_model("list_list")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="expects 1 input"):
        model.predict([X, X], verbose=0)
    with pytest.raises(ValueError, match="expects 1 input"):
        model.fit([X, X], Y, verbose=0)
    with pytest.raises(ValueError, match="one output"):
        model.fit(X, [Y, Y], verbose=0)
    with pytest.raises(ValueError, match="features"):
        model(np.ones((8, 5), "float32"))
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


@pytest.mark.filterwarnings("ignore:The structure of `inputs`")  # Keras' own, for an array fed to [x]
def test_a_learnet_file_with_lists_loads_in_real_keras(tmp_path):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    real = pytest.importorskip("keras")
    if not hasattr(real, "Model") or real.__name__ == keras.__name__:
        pytest.skip("real Keras is not installed")
    model = _reference_model("list_list")
    model.save(tmp_path / "model.keras")
    loaded = real.models.load_model(tmp_path / "model.keras")
    assert isinstance(loaded.input, list) and isinstance(loaded.output, list)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), REFERENCE["list_list/predict"], rtol=1e-5, atol=1e-6)
