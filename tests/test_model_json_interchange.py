"""A model's architecture as JSON and as Keras' layer dicts, read and written both ways with
real Keras: ``to_json`` / ``model_from_json``, ``keras.layers.serialize`` / ``deserialize`` of
whole models (nested ones too), and the fan axes Keras 3.15's initializers write."""

import json
from pathlib import Path

import numpy as np
import pytest

import learnet
from learnet import initializers
from learnet.layers.serialization import InvalidModelFileError

L = learnet.keras.layers
KERAS2 = Path(__file__).parent / "fixtures" / "keras2"


def _learnet_models():
    sequential = learnet.keras.Sequential([L.Input((3,)), L.Dense(4, activation="relu"), L.Dropout(0.1), L.Dense(2)])
    inputs = learnet.keras.Input((3,))
    functional = learnet.keras.Model(inputs, L.Dense(2)(L.Concatenate()([L.Dense(4)(inputs), inputs])))
    nested = learnet.keras.Sequential([L.Input((3,)), learnet.keras.Sequential([L.Dense(4)]), L.Dense(1)])
    return {"sequential": sequential, "functional": functional, "nested": nested}


def _keras_models(keras):
    sequential = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(2)])
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(4)(inputs)
    functional = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Concatenate()([hidden, inputs])))
    nested = keras.Sequential([keras.Input((3,)), keras.Sequential([keras.layers.Dense(4)]), keras.layers.Dense(1)])
    return {"sequential": sequential, "functional": functional, "nested": nested}


def _layer_kinds(model):
    return [type(layer).__name__ for layer in model.layers]


@pytest.mark.parametrize("kind", ["sequential", "functional", "nested"])
def test_keras_reads_learnets_json_and_the_weights_carry_over(keras, kind):
    model = _learnet_models()[kind]
    config = json.loads(model.to_json())
    assert config["module"] in ("keras", "keras.src.models.functional")  # Keras 3's own form
    rebuilt = keras.models.model_from_json(model.to_json())
    assert _layer_kinds(rebuilt) == _layer_kinds(model)
    rebuilt.set_weights(model.get_weights())
    x = np.random.default_rng(0).standard_normal((5, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(rebuilt(x)), model(x).numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["sequential", "functional", "nested"])
def test_learnet_reads_keras_json_and_the_weights_carry_over(keras, kind):
    reference = _keras_models(keras)[kind]
    model = learnet.keras.models.model_from_json(reference.to_json())
    assert _layer_kinds(model) == _layer_kinds(reference)
    model.set_weights([np.asarray(w) for w in reference.get_weights()])
    x = np.random.default_rng(1).standard_normal((5, 3)).astype("float32")
    np.testing.assert_allclose(model(x).numpy(), np.asarray(reference(x)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["sequential", "functional", "nested"])
def test_a_model_is_a_layer_for_serialize_and_deserialize(keras, kind):
    ours, theirs = _learnet_models()[kind], _keras_models(keras)[kind]
    described = learnet.keras.layers.serialize(ours)
    assert described["class_name"] == type(theirs).__name__
    assert _layer_kinds(learnet.keras.layers.deserialize(described)) == _layer_kinds(ours)
    assert _layer_kinds(keras.layers.deserialize(described)) == _layer_kinds(ours)
    from_keras = learnet.keras.layers.deserialize(json.loads(json.dumps(keras.layers.serialize(theirs))))
    assert _layer_kinds(from_keras) == _layer_kinds(theirs)


def test_keras_functional_get_config_rebuilds_a_learnet_model(keras):
    reference = _keras_models(keras)["functional"]
    model = learnet.keras.Model.from_config(json.loads(json.dumps(reference.get_config())))
    assert _layer_kinds(model) == _layer_kinds(reference) and model.output_shape == (None, 2)


@pytest.mark.parametrize("name", ["mlp", "convnet", "functional_skip"])
def test_tf_keras2_json_is_read(name):
    h5py = pytest.importorskip("h5py")
    with h5py.File(KERAS2 / f"{name}.h5", "r") as handle:
        keras2_json = handle.attrs["model_config"]
    keras2_json = keras2_json.decode() if isinstance(keras2_json, bytes) else keras2_json
    assert "module" not in json.loads(keras2_json)  # tf.keras 2's form
    saved = learnet.keras.models.load_model(KERAS2 / f"{name}.h5", compile=False)
    model = learnet.keras.models.model_from_json(json.dumps({**json.loads(keras2_json), "keras_version": "2.15.0"}))
    assert _layer_kinds(model) == _layer_kinds(saved)


def test_a_model_keras_cannot_describe_keeps_learnets_own_json():
    class Doubling(learnet.keras.Model):
        def call(self, x):
            return 2 * x

    model = Doubling()
    model(np.ones((1, 3), "float32"))
    config = json.loads(model.to_json())
    assert "module" not in config and config["class_name"] == "Doubling"


def test_hostile_keras_json_is_refused_and_imports_nothing():
    config = {
        "module": "os",
        "class_name": "Sequential",
        "registered_name": None,
        "config": {
            "name": "s",
            "layers": [
                {"module": "os", "class_name": "system", "config": {"command": "true"}, "registered_name": None}
            ],
        },
    }
    with pytest.raises((InvalidModelFileError, ValueError)):
        learnet.keras.models.model_from_json(json.dumps(config))
    with pytest.raises(InvalidModelFileError, match="cannot be read"):
        learnet.keras.models.model_from_json("{not json")


# --- Keras 3.15's input_axes / output_axes of the fan-based initializers --------------------------------
@pytest.mark.parametrize("name", ["GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal"])
def test_fan_axes_give_keras_fans_and_round_trip(keras, name):
    shape, axes = (4, 5, 6), {"input_axes": [0, 1], "output_axes": [2]}
    ours = getattr(initializers, name)(seed=3, **axes)
    theirs = getattr(keras.initializers, name)(seed=3, **axes)
    assert initializers.compute_fans(shape, [0, 1], [2]) == (20, 6)
    # The same variance (the samples come from different generators): fans over the named axes.
    values = np.concatenate([getattr(initializers, name)(seed=s, **axes)(shape).numpy().ravel() for s in range(60)])
    reference = np.concatenate(
        [np.asarray(getattr(keras.initializers, name)(seed=s, **axes)(shape)).ravel() for s in range(60)]
    )
    assert abs(values.std() / reference.std() - 1) < 0.1
    config = ours.get_config()
    assert config["input_axes"] == [0, 1] and config["output_axes"] == [2]
    assert theirs.get_config()["input_axes"] == [0, 1]
    again = type(ours).from_config(config)
    assert (again.input_axes, again.output_axes) == ((0, 1), (2,))
    assert "input_axes" not in getattr(initializers, name)().get_config()  # unset: not written (older Keras)


def test_a_keras_315_initializer_config_is_read(keras):
    described = json.loads(json.dumps(keras.initializers.serialize(keras.initializers.GlorotUniform(seed=1))))
    assert "input_axes" in described["config"]
    assert isinstance(initializers.deserialize(described), initializers.GlorotUniform)
    dense = json.loads(json.dumps(keras.layers.serialize(keras.layers.Dense(3))))
    assert learnet.keras.layers.deserialize(dense).units == 3


def test_bad_fan_axes_are_refused():
    with pytest.raises(ValueError, match="both input_axes and output_axes"):
        initializers.GlorotUniform(input_axes=[0])
    with pytest.raises(TypeError, match="list of int axes"):
        initializers.VarianceScaling(input_axes=[0.5], output_axes=[1])
    with pytest.raises(TypeError, match="list of int axes"):
        initializers.HeNormal(input_axes=0, output_axes=[1])
    with pytest.raises(ValueError, match="out of range"):
        initializers.GlorotUniform(input_axes=[0], output_axes=[5])((2, 3))


def _keras_layers(keras):
    kl = keras.layers
    return [
        kl.BatchNormalization(),
        kl.Embedding(10, 3),
        kl.RandomFlip("horizontal"),
        kl.RandomRotation(0.1),
        kl.RandomZoom(0.2),
        kl.RandomTranslation(0.1, 0.1),
        kl.RandomContrast(0.2),
        kl.Conv2D(4, 3, kernel_initializer="he_normal"),
        kl.LSTM(3, return_sequences=True),
        kl.Bidirectional(kl.GRU(2)),
        kl.TimeDistributed(kl.Dense(2)),
        kl.MultiHeadAttention(2, 4),
        kl.LayerNormalization(),
        kl.Rescaling(1 / 255),
    ]


def test_layers_keras_wrote_are_read_with_their_keras_only_arguments(keras):
    for layer in _keras_layers(keras):
        described = json.loads(json.dumps(keras.layers.serialize(layer)))
        ours = learnet.keras.layers.deserialize(described)
        assert type(ours).__name__ == type(layer).__name__
        assert ours.name == layer.name


def test_a_keras_layer_dict_naming_code_is_refused():
    described = {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {"units": 2, "activation": {"module": "os", "class_name": "function", "config": "system"}},
        "registered_name": None,
    }
    with pytest.raises((InvalidModelFileError, ValueError)):
        learnet.keras.layers.deserialize(described)
