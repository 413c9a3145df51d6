"""Mixed-precision and quantized models in Keras 3 files, both ways, against real Keras.

Keras writes a quantized layer's dtype as its own policy class (``QuantizedDTypePolicy``
``{"mode": "int8", "source_name": "float32"}``, ``Int4DTypePolicy``,
``QuantizedFloat8DTypePolicy``) and its ``quantization_config`` under
``keras.quantizers``; learnet reads and writes the same forms. ``keras.dtype_policies``
is learnet's ``mixed_precision`` module under Keras 3's name.
"""

import json
import os
import zipfile

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

import learnet  # noqa: E402
from learnet.saving import InvalidModelFileError  # noqa: E402


def _build(M, mode_for_embedding=True):
    tokens = M.Input((5,), dtype="int32")
    hidden = M.layers.Flatten()(M.layers.Embedding(12, 6)(tokens))
    return M.Model(tokens, M.layers.Dense(2)(hidden))


def _tokens():
    return np.random.default_rng(0).integers(0, 12, size=(3, 5)).astype("int32")


def _layer_configs(path):
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    return {layer["class_name"]: layer["config"] for layer in config["config"]["layers"]}


# --- keras.dtype_policies ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    ["float32", "mixed_float16", "mixed_bfloat16", "int8_from_float32", "int4/128_from_float32", "float8_from_float32"],
)
def test_dtype_policies_serialize_as_keras_does(name):
    ours = learnet.dtype_policies.serialize(learnet.dtype_policies.get(name))
    theirs = keras.dtype_policies.serialize(keras.dtype_policies.get(name))
    assert ours == theirs
    back = learnet.dtype_policies.deserialize(theirs)
    assert back.name == name and type(back).__name__ == type(keras.dtype_policies.get(name)).__name__
    assert (back.compute_dtype, back.variable_dtype) == (
        keras.dtype_policies.get(name).compute_dtype,
        keras.dtype_policies.get(name).variable_dtype,
    )


def test_dtype_policies_namespace_names():
    for name in ("DTypePolicy", "FloatDTypePolicy", "QuantizedDTypePolicy", "QuantizedFloat8DTypePolicy"):
        assert hasattr(learnet.dtype_policies, name)
    for name in ("Int4DTypePolicy", "get", "serialize", "deserialize"):
        assert hasattr(learnet.dtype_policies, name)
    assert repr(learnet.dtype_policies.FloatDTypePolicy("float16")) == '<DTypePolicy "float16">'
    policy = learnet.dtype_policies.get({"class_name": "FloatDTypePolicy", "config": {"name": "float16"}})
    assert policy.name == "float16"


@pytest.mark.parametrize(
    "bad",
    [
        {"class_name": "NotAPolicy", "config": {"name": "float32"}},
        {"class_name": "DTypePolicy", "config": {}},
        {"class_name": "QuantizedDTypePolicy", "config": {"source_name": "float32"}},
        {"class_name": "QuantizedDTypePolicy", "config": {"mode": "int8", "source_name": "float32", "x": 1}},
        "not-a-policy",
    ],
)
def test_dtype_policies_refuse_bad_input(bad):
    with pytest.raises(ValueError):
        learnet.dtype_policies.deserialize(bad) if isinstance(bad, dict) else learnet.dtype_policies.get(bad)


# --- mixed precision in files -------------------------------------------------------------------------
@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_a_keras_mixed_precision_file_loads_with_float32_variables(tmp_path, policy):
    inputs = keras.Input((5,))
    model = keras.Model(inputs, keras.layers.Dense(4, activation="relu", dtype=policy)(inputs))
    path = str(tmp_path / "mixed.keras")
    model.save(path)
    loaded = learnet.models.load_model(path)
    dense = loaded.layers[-1]
    assert dense.dtype_policy.name == policy
    assert [str(w.dtype) for w in dense.weights] == ["float32", "float32"]
    x = np.random.default_rng(1).normal(size=(2, 5)).astype("float32")
    expected = np.asarray(model(x)).astype("float32")
    got = np.asarray(loaded(x)).astype("float32")
    np.testing.assert_allclose(got, expected, rtol=2e-2, atol=2e-2)  # Keras computed in 16 bits


def test_a_learnet_mixed_precision_model_loads_in_keras(tmp_path):
    inputs = learnet.Input((5,))
    model = learnet.Model(inputs, learnet.layers.Dense(4, activation="relu", dtype="mixed_float16")(inputs))
    path = str(tmp_path / "mixed_learnet.keras")
    model.save(path)
    # The policy's name in the file is Layer.get_config's choice (learnet computes in float32).
    assert _layer_configs(path)["Dense"]["dtype"]["class_name"] == "DTypePolicy"
    loaded = keras.models.load_model(path)
    x = np.random.default_rng(2).normal(size=(2, 5)).astype("float32")
    np.testing.assert_allclose(np.asarray(loaded(x)).astype("f4"), model(x).numpy(), rtol=2e-2, atol=2e-2)


# --- quantized models in files ----------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["int8", "float8"])
def test_a_keras_quantized_file_loads_in_learnet(tmp_path, mode):
    keras.utils.set_random_seed(3)
    model = _build(keras)
    model.quantize(mode)
    path = str(tmp_path / f"keras_{mode}.keras")
    model.save(path)
    loaded = learnet.models.load_model(path)
    dense = loaded.get_layer(model.layers[-1].name)
    assert dense.quantization_mode == mode
    assert dense.dtype_policy.get_config() == model.layers[-1].dtype_policy.get_config()
    x = _tokens()
    np.testing.assert_allclose(loaded(x).numpy(), np.asarray(model(x)), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["int8", "int4", "float8"])
def test_a_learnet_quantized_file_loads_in_keras(tmp_path, mode):
    learnet.keras.utils.set_random_seed(4)
    model = _build(learnet)
    model.quantize(mode)
    path = str(tmp_path / f"learnet_{mode}.keras")
    model.save(path)
    configs = _layer_configs(path)
    dense_dtype = configs["Dense"]["dtype"]
    expected_class = {"int8": "QuantizedDTypePolicy", "int4": "Int4DTypePolicy", "float8": "QuantizedFloat8DTypePolicy"}
    assert dense_dtype["module"] == "keras.dtype_policies"
    assert dense_dtype["class_name"] == expected_class[mode]
    assert dense_dtype["config"]["source_name"] == "float32"
    if "quantization_config" in configs["Dense"]:
        assert configs["Dense"]["quantization_config"]["module"] == "keras.quantizers"
    loaded = keras.models.load_model(path)
    assert loaded.layers[-1].quantization_mode == mode
    x = _tokens()
    np.testing.assert_allclose(np.asarray(loaded(x)), model(x).numpy(), rtol=1e-4, atol=1e-5)


def test_an_int4_embedding_from_keras_is_refused_clearly(tmp_path):
    model = _build(keras)
    model.quantize("int4")
    path = str(tmp_path / "keras_int4.keras")
    model.save(path)
    with pytest.raises(InvalidModelFileError, match="Embedding quantized to 'int4'"):
        learnet.models.load_model(path)


def test_a_policy_without_name_or_mode_is_refused(tmp_path):
    model = _build(keras)
    path = str(tmp_path / "plain.keras")
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(files["config.json"])
    for layer in config["config"]["layers"]:
        if layer["class_name"] == "Dense":
            layer["config"]["dtype"] = {"module": "keras", "class_name": "DTypePolicy", "config": {}}
    files["config.json"] = json.dumps(config).encode()
    broken = str(tmp_path / "broken.keras")
    with zipfile.ZipFile(broken, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    with pytest.raises(InvalidModelFileError, match="dtype policy without a name"):
        learnet.models.load_model(broken)
