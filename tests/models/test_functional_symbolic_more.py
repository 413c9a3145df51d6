"""The functional API as Keras 3 has it, in three places the textbook's notebooks rely on:

* a layer called with tensors by keyword (``Encoder()(source=x, source_mask=m)``): they are
  inputs of the node, the model runs, trains, saves and loads, in Keras' layout;
* Python's operators on ``KerasTensor`` (``tokens != 0``, ``7 // t``, ``flags ^ other``): each
  a ``keras.ops`` node, as Keras records it;
* a functional model or a Sequential called on an input of other (known) sizes than it was made
  for: the output shape is found again through its layers.

Checked against a model real Keras 3 saved (tests/fixtures/make_keras_symbolic_calls_fixture.py).
"""

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import learnet as keras
from learnet import registry
from learnet.layers.keras_tensor import KerasTensor
from learnet.layers.operation import OperationLayer
from learnet.saving import InvalidModelFileError

FIXTURES = Path(__file__).parent.parent / "fixtures"
KERAS_FILE = FIXTURES / "keras_symbolic_calls.keras"
_spec = importlib.util.spec_from_file_location("symbolic_fixture", FIXTURES / "make_keras_symbolic_calls_fixture.py")
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


def _reference():
    saved = np.load(FIXTURES / "keras_symbolic_calls_io.npz")
    inputs = [saved[f"x{i}"] for i in range(6)]
    outputs = {key[2:]: saved[key] for key in saved.files if key.startswith("y_")}
    return inputs, outputs


def _assert_same_outputs(ours, theirs):
    assert sorted(ours) == sorted(theirs)
    for name, expected in theirs.items():
        got = np.asarray(ours[name])
        assert got.shape == expected.shape, name
        assert got.dtype.kind == expected.dtype.kind, name
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5, err_msg=name)


def _calls(path):
    """Each layer's class and calls, the layers named by their place in the file (automatic
    names such as ``not_equal_3`` depend on what was made before)."""
    layers = json.loads(zipfile.ZipFile(path).read("config.json"))["config"]["layers"]
    place = {layer["name"]: index for index, layer in enumerate(layers)}

    def renamed(value):
        if isinstance(value, dict):
            if value.get("class_name") == "__keras_tensor__":
                config = dict(value["config"])
                config["keras_history"] = [place[config["keras_history"][0]], *config["keras_history"][1:]]
                return {"class_name": "__keras_tensor__", "config": config}
            return {key: renamed(item) for key, item in value.items() if not (key == "mask" and item is None)}
        if isinstance(value, list):
            return [renamed(item) for item in value]
        return value

    return [(layer["class_name"], renamed(layer.get("inbound_nodes"))) for layer in layers]


# --- against the model real Keras 3 saved ------------------------------------------------------------
def test_a_keras_file_with_keyword_tensors_operators_and_a_backbone_loads_and_predicts_the_same(clean_registry):
    fixture.encoder_class(keras)
    inputs, expected = _reference()
    model = keras.models.load_model(KERAS_FILE)
    _assert_same_outputs(model.predict(inputs, verbose=0), expected)
    assert tuple(model.get_layer("encoder_again").output.shape) == (None, 5, 4)
    assert tuple(model.get_layer("flatten").output.shape) == (None, 64)


def test_learnet_writes_the_calls_as_keras_does(clean_registry, tmp_path):
    fixture.encoder_class(keras)
    model = fixture.build(keras)
    model.save(tmp_path / "ours.keras")
    assert _calls(tmp_path / "ours.keras") == _calls(KERAS_FILE)


def test_keras_model_resaved_by_learnet_predicts_the_same_in_learnet(clean_registry, tmp_path):
    fixture.encoder_class(keras)
    inputs, expected = _reference()
    keras.models.load_model(KERAS_FILE).save(tmp_path / "again.keras")
    _assert_same_outputs(keras.models.load_model(tmp_path / "again.keras").predict(inputs, verbose=0), expected)


@pytest.mark.skipif(
    importlib.util.find_spec("keras") is None or importlib.util.find_spec("jax") is None, reason="needs Keras 3 on JAX"
)
def test_real_keras_loads_learnets_file_and_predicts_the_same(clean_registry, tmp_path):
    fixture.encoder_class(keras)
    inputs, expected = _reference()
    keras.models.load_model(KERAS_FILE).save(tmp_path / "learnet.keras")
    script = f"""
import importlib.util, numpy as np
spec = importlib.util.spec_from_file_location("f", {str(FIXTURES / "make_keras_symbolic_calls_fixture.py")!r})
fixture = importlib.util.module_from_spec(spec); spec.loader.exec_module(fixture)
import keras
fixture.encoder_class(keras)
model = keras.models.load_model({str(tmp_path / "learnet.keras")!r})
out = model.predict(fixture.data(), verbose=0)
np.savez({str(tmp_path / "keras.npz")!r}, **{{k: np.asarray(v) for k, v in out.items()}})
"""
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, capture_output=True, timeout=300)
    saved = np.load(tmp_path / "keras.npz")
    _assert_same_outputs({key: saved[key] for key in saved.files}, expected)


# --- 1. tensors given by keyword ---------------------------------------------------------------------------
class _Masked(keras.layers.Layer):
    """A call whose second tensor has a default: learnet used to pass None in the shape probe."""

    def call(self, source, source_mask=None):
        return source * keras.ops.cast(source_mask, source.dtype)[:, :, None]


def _keyword_model():
    source = keras.Input((5, 3))
    mask = keras.Input((5,), dtype="bool")
    by_name = _Masked()(source=source, source_mask=mask)
    mixed = _Masked()(source, source_mask=mask)
    return keras.Model([source, mask], [by_name, mixed])


def _keyword_data():
    random = np.random.RandomState(1)
    return [random.rand(3, 5, 3).astype("float32"), random.rand(3, 5) > 0.5]


def test_keyword_tensors_are_inputs_of_the_node_and_the_model_runs():
    model = _keyword_model()
    x, mask = _keyword_data()
    by_name, mixed = model.predict([x, mask], verbose=0)
    np.testing.assert_allclose(by_name, x * mask[:, :, None])
    np.testing.assert_allclose(mixed, by_name)
    assert [tuple(t.shape) for t in model.outputs] == [(None, 5, 3), (None, 5, 3)]


def test_keyword_tensors_nested_in_lists_and_dicts_are_fed(clean_registry):
    Encoder = fixture.encoder_class(keras)
    source, mask, bias = keras.Input((5, 3)), keras.Input((5,), dtype="bool"), keras.Input((5, 4))
    outputs = Encoder()(source, source_mask=mask, extra={"bias": [bias]})
    model = keras.Model([source, mask, bias], outputs)
    x, m = _keyword_data()
    b = np.full((3, 5, 4), 10.0, "float32")
    without = Encoder.call(model.layers[-1], keras.ops.convert_to_tensor(x), m)
    np.testing.assert_allclose(model.predict([x, m, b], verbose=0), np.asarray(without) + 10.0, rtol=1e-6)


def test_a_model_with_keyword_tensors_trains_and_round_trips(clean_registry, tmp_path):
    Encoder = fixture.encoder_class(keras)
    source, mask = keras.Input((5, 3)), keras.Input((5,), dtype="bool")
    model = keras.Model([source, mask], Encoder(name="enc")(source=source, source_mask=mask))
    x, m = _keyword_data()
    model.compile("adam", "mse")
    before = model.get_layer("enc").weights[0].numpy().copy()
    model.fit([x, m], np.ones((3, 5, 4), "float32"), epochs=2, verbose=0)
    assert not np.allclose(before, model.get_layer("enc").weights[0].numpy())
    expected = model.predict([x, m], verbose=0)
    for path in (tmp_path / "m.keras", tmp_path / "m.learnet"):
        model.save(path)
        np.testing.assert_allclose(keras.models.load_model(path).predict([x, m], verbose=0), expected, rtol=1e-6)
    clone = keras.Model.from_config(model.get_config())
    call = clone.get_config()["nodes"][-1]
    assert call["inputs"] is None and list(call["kwargs"]) == ["source", "source_mask"]


def test_mask_and_training_keywords_keep_working():
    class Scaled(keras.layers.Layer):
        def call(self, inputs, mask=None, training=None):
            scale = 2.0 if training else 1.0
            return inputs * scale * keras.ops.cast(mask, inputs.dtype)[:, :, None]

    tokens = keras.Input((4,), dtype="int32")
    embedded = keras.layers.Embedding(6, 2, mask_zero=True, embeddings_initializer="ones")(tokens)
    explicit = Scaled()(embedded, mask=tokens != 0)
    implicit = keras.layers.Dropout(0.5)(Scaled()(embedded), training=False)
    model = keras.Model(tokens, [explicit, implicit])
    data = np.array([[1, 0, 2, 0]], "int32")
    a, b = model.predict(data, verbose=0)
    np.testing.assert_allclose(a[0, :, 0], [1, 0, 1, 0])
    np.testing.assert_allclose(b[0, :, 0], [1, 0, 1, 0])


def test_a_keras_call_with_neither_arguments_nor_keywords_is_refused(clean_registry, tmp_path):
    fixture.encoder_class(keras)
    with zipfile.ZipFile(KERAS_FILE) as archive:
        config = json.loads(archive.read("config.json"))
        entries = {name: archive.read(name) for name in archive.namelist()}
    for layer in config["config"]["layers"]:
        if layer["name"] == "encoder":
            layer["inbound_nodes"] = [{"args": [], "kwargs": {}}]
    entries["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "broken.keras", "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    with pytest.raises(InvalidModelFileError, match="no inputs"):
        keras.models.load_model(tmp_path / "broken.keras")


# --- 2. operators ------------------------------------------------------------------------------------------
def test_operators_on_keras_tensors_are_nodes_as_in_keras():
    tokens = keras.Input((None,), dtype="int32")
    mask = tokens != 0
    assert isinstance(mask, KerasTensor) and tuple(mask.shape) == (None, None) and mask.dtype == np.dtype(bool)
    assert isinstance(mask._keras_history.layer, OperationLayer)
    assert mask._keras_history.layer.operation == "not_equal"
    made = {
        "logical_and": True & mask,
        "logical_or": False | mask,
        "logical_xor": mask ^ mask,
        "mod": 7 % (tokens + 1),
        "floor_divide": 7 // (tokens + 1),
        "round": round(tokens),
    }
    for operation, tensor in made.items():
        assert tensor._keras_history.layer.operation == operation


def test_equality_stays_pythons_and_a_keras_tensor_has_no_value():
    tokens = keras.Input((3,), dtype="int32")
    assert (tokens == 0) is False  # as in Keras 3: `==` is identity, `in` and dicts rely on it
    assert tokens in [tokens] and {tokens: 1}[tokens] == 1
    with pytest.raises(TypeError):
        bool(tokens != 0)
    with pytest.raises(ValueError):
        int(tokens)
    with pytest.raises(ValueError):
        float(tokens)
    with pytest.raises(NotImplementedError):
        iter(tokens)
    with pytest.raises(TypeError):
        +tokens  # noqa: B018 - Keras 3 has no unary plus either


def test_operator_model_round_trips_in_learnets_format(tmp_path):
    tokens, values = keras.Input((4,), dtype="int32"), keras.Input((4,))
    model = keras.Model([tokens, values], fixture.operators(tokens, values))
    inputs, expected = _reference()
    got = model.predict(inputs[3:5], verbose=0)
    _assert_same_outputs(got, {name: expected[name] for name in got})
    model.save(tmp_path / "ops.learnet")
    _assert_same_outputs(keras.models.load_model(tmp_path / "ops.learnet").predict(inputs[3:5], verbose=0), got)


# --- 3. a model called on inputs of other sizes --------------------------------------------------------------
def _backbone():
    inner = keras.Input((None, None, 3))
    features = keras.layers.MaxPooling2D()(keras.layers.Conv2D(8, 3, activation="relu")(inner))
    return keras.Model(inner, features)


def test_a_functional_backbone_finds_the_output_shape_for_the_input_it_is_called_on():
    backbone = _backbone()
    conv = backbone.layers[1]
    images = keras.Input((32, 32, 3))
    features = backbone(images)
    assert tuple(features.shape) == (None, 15, 15, 8)
    # the backbone's own graph is left as it was made (as in Keras)
    assert tuple(backbone.output.shape) == (None, None, None, 8)
    assert tuple(conv.output.shape) == (None, None, None, 8)
    head = keras.layers.Dense(2)(keras.layers.Flatten()(features))
    model = keras.Model(images, head)
    assert model.predict(np.zeros((2, 32, 32, 3), "float32"), verbose=0).shape == (2, 2)


def test_a_sequential_backbone_finds_the_output_shape_too():
    stack = keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(8, 3), keras.layers.MaxPooling2D()])
    assert tuple(stack(keras.Input((32, 32, 3))).shape) == (None, 15, 15, 8)


def test_a_model_finds_int_outputs_and_dict_inputs():
    tokens = keras.Input((None,), dtype="int32")
    argmax = keras.Model(tokens, keras.ops.argmax(keras.layers.Embedding(10, 4)(tokens), axis=-1))
    found = argmax(keras.Input((5,), dtype="int32"))
    assert tuple(found.shape) == (None, 5) and found.dtype == np.dtype("int32")
    a, b = keras.Input((None,), name="a"), keras.Input((None,), name="b")
    joined = keras.Model({"a": a, "b": b}, keras.layers.Concatenate()([a, b]))
    assert tuple(joined({"b": keras.Input((3,)), "a": keras.Input((2,))}).shape) == (None, 5)


def test_an_input_the_backbone_cannot_take_is_refused_and_changes_nothing():
    backbone = _backbone()
    conv = backbone.layers[1]
    with pytest.raises(ValueError):
        backbone(keras.Input((32, 32, 4)))
    assert tuple(conv.output.shape) == (None, None, None, 8)
    assert backbone.predict(np.zeros((1, 9, 9, 3), "float32"), verbose=0).shape == (1, 3, 3, 8)


def test_a_nested_sequential_gives_the_dtype_of_its_last_layer():
    lookup = keras.Sequential([keras.layers.StringLookup(vocabulary=["a", "b"])])
    ids = lookup(keras.Input((3,), dtype="string"))
    assert tuple(ids.shape) == (None, 3) and ids.dtype == np.dtype("int64")
