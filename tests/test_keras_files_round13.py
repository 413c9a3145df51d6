"""Keras' files both ways, gaps found by saving many models with real Keras 3 and with learnet:

* ``load_weights`` into a model whose layers hold no weights (nothing to load), in every format;
* learning-rate schedules, registered losses, loss functions and metrics in the compile config,
  written as Keras writes them (so real Keras loads learnet's ``.keras`` files);
* the preprocessing layers' configs (Hashing's int64 dtype, Discretization without
  ``trainable``), compared with the ones real Keras on TensorFlow wrote
  (tests/fixtures/make_keras_preprocessing_configs_fixture.py);
* a layer holding a model (``TimeDistributed(Sequential)``), a Pipeline's layers;
* the legacy ``.h5``: Keras' class name ``GroupedQueryAttention``, a subclassed model refused.

Real Keras 3 runs in-process on JAX (CPU).
"""

import json
import os
import pathlib
import zipfile

import numpy as np
import pytest

import learnet
from learnet import keras_files
from learnet.saving import InvalidModelFileError

os.environ.setdefault("KERAS_BACKEND", "jax")
h5py = pytest.importorskip("h5py", reason="h5py is not installed (pip install 'learnet[keras]')")
keras = pytest.importorskip("keras", reason="real Keras 3 is not installed")

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
PACKAGE = "Round13"  # one registration per process: Keras refuses a name registered twice


def _save(model, path):
    (model.save_weights if str(path).endswith(".weights.h5") else model.save)(path)


# --- load_weights into a model whose layers hold no weights ------------------------------------------
def _weightless(M):
    inputs = M.Input((4,))
    return M.Model(inputs, M.layers.ReLU()(inputs))


@pytest.mark.parametrize("extension", [".weights.h5", ".keras", ".learnet", ".h5"])
def test_a_weightless_model_loads_its_own_weights_file(tmp_path, extension):
    path = tmp_path / f"relu{extension}"
    _save(_weightless(learnet), path)
    model = _weightless(learnet)
    model.load_weights(path)  # nothing to load, as in Keras
    np.testing.assert_allclose(model(np.array([[-1.0, 2.0, -3.0, 4.0]], "float32")).numpy(), [[0, 2, 0, 4]])


@pytest.mark.parametrize("extension", [".weights.h5", ".keras", ".h5"])
def test_a_weightless_model_loads_the_file_real_keras_wrote(tmp_path, extension):
    path = tmp_path / f"relu{extension}"
    _save(_weightless(keras), path)
    _weightless(learnet).load_weights(path)
    keras_model = _weightless(keras)
    _save(_weightless(learnet), tmp_path / f"ln{extension}")
    keras_model.load_weights(tmp_path / f"ln{extension}")  # and real Keras reads learnet's


@pytest.mark.parametrize("extension", [".weights.h5", ".keras", ".learnet", ".h5"])
def test_weights_for_another_model_are_refused_by_a_weightless_one(tmp_path, extension):
    inputs = learnet.Input((4,))
    dense = learnet.Model(inputs, learnet.layers.Dense(2)(inputs))
    path = tmp_path / f"dense{extension}"
    _save(dense, path)
    model = _weightless(learnet)
    with pytest.raises(InvalidModelFileError, match="0 weights|no weights|0 layers with weights"):
        model.load_weights(path)
    assert model.weights == []


def test_an_unbuilt_model_is_still_refused_with_the_hint_to_build_it(tmp_path):
    path = tmp_path / "relu.weights.h5"
    _save(_weightless(learnet), path)
    with pytest.raises(ValueError, match="not built yet"):
        learnet.Sequential([learnet.layers.Dense(2)]).load_weights(path)


# --- learning-rate schedules in the optimizer's config ------------------------------------------------
SCHEDULES = {
    "ExponentialDecay": lambda S: S.ExponentialDecay(0.01, decay_steps=2, decay_rate=0.5, staircase=True),
    "PiecewiseConstantDecay": lambda S: S.PiecewiseConstantDecay([2, 4], [0.1, 0.05, 0.01]),
    "PolynomialDecay": lambda S: S.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01, power=2.0),
    "InverseTimeDecay": lambda S: S.InverseTimeDecay(0.1, decay_steps=3, decay_rate=0.5),
    "CosineDecay": lambda S: S.CosineDecay(0.1, decay_steps=10, alpha=0.1, warmup_target=0.2, warmup_steps=3),
    "CosineDecayRestarts": lambda S: S.CosineDecayRestarts(0.1, first_decay_steps=5, t_mul=1.5),
}


def test_every_schedule_of_learnet_is_checked_here():
    assert set(learnet.optimizers.schedules._SCHEDULES) == set(SCHEDULES)


def _compiled_with(M, schedule):
    model = M.Sequential([M.Input((4,)), M.layers.Dense(2)])
    model.compile(optimizer=M.optimizers.Adam(schedule), loss="mse")
    return model


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_a_schedule_is_written_as_keras_writes_it_and_keras_loads_the_file(tmp_path, name):
    ours = SCHEDULES[name](learnet.optimizers.schedules)
    model = _compiled_with(learnet, ours)
    written = keras_files.compile_config_to_keras(model)["optimizer"]["config"]["learning_rate"]
    expected = _compiled_with(keras, SCHEDULES[name](keras.optimizers.schedules)).get_compile_config()
    expected = expected["optimizer"]["config"]["learning_rate"]
    assert {k: written[k] for k in ("module", "class_name", "registered_name")} == {
        k: expected[k] for k in ("module", "class_name", "registered_name")
    }
    assert written["config"] == expected["config"]
    path = tmp_path / "schedule.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    schedule = loaded.optimizer._learning_rate
    assert type(schedule).__name__ == name
    for step in (0, 3, 7):
        assert float(schedule(step)) == pytest.approx(float(ours(step)), rel=1e-5)
    again = learnet.models.load_model(path)  # and learnet reads its own file back
    assert type(again.optimizer._schedule).__name__ == name


# --- registered losses, loss functions and metrics in the compile config -----------------------------
_CUSTOM = {}


def _custom(M):
    """HalfMSE (a Loss class), plain_loss (a function) and MeanPred (a Metric), registered in ``M``."""
    if M.__name__ in _CUSTOM:
        return _CUSTOM[M.__name__]
    register = M.saving.register_keras_serializable(package=PACKAGE)

    @register
    class HalfMSE(M.losses.Loss):
        def call(self, y_true, y_pred):
            return 0.5 * M.ops.mean(M.ops.square(y_true - y_pred), axis=-1)

    @register
    def plain_loss(y_true, y_pred):
        return M.ops.mean(M.ops.abs(y_true - y_pred), axis=-1)

    @register
    class MeanPred(M.metrics.Metric):
        def __init__(self, name="mean_pred", **kwargs):
            super().__init__(name=name, **kwargs)
            self.total = self.add_variable(shape=(), initializer="zeros", name="total")
            self.count = self.add_variable(shape=(), initializer="zeros", name="count")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total.assign_add(M.ops.sum(y_pred))
            self.count.assign_add(M.ops.cast(M.ops.size(y_pred), "float32"))

        def result(self):
            return self.total / M.ops.maximum(self.count, 1.0)

    _CUSTOM[M.__name__] = (HalfMSE, plain_loss, MeanPred)
    return _CUSTOM[M.__name__]


def _two_outputs(M):
    half_mse, plain_loss, mean_pred = _custom(M)
    inputs = M.Input((4,))
    model = M.Model(inputs, [M.layers.Dense(2, name="o1")(inputs), M.layers.Dense(2, name="o2")(inputs)])
    model.compile(optimizer="adam", loss=[half_mse(), plain_loss], metrics=[[mean_pred()], ["mae"]])
    return model


def _without_config(entry):
    """An entry without its config (compared apart), and without the Python module Keras writes for
    a class of the user's own (learnet writes none: Keras finds it by its registered name)."""
    if isinstance(entry, dict) and "class_name" in entry:
        user = entry.get("module") is None or not str(entry.get("module")).startswith(("keras", "builtins"))
        return {
            k: v for k, v in entry.items() if (k != "config" or isinstance(v, str)) and not (k == "module" and user)
        }
    if isinstance(entry, list):
        return [_without_config(e) for e in entry]
    return entry


def test_custom_compile_objects_are_written_as_keras_writes_them_and_keras_loads_them(tmp_path):
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    ys = [np.ones((8, 2), "float32"), np.zeros((8, 2), "float32")]
    model = _two_outputs(learnet)
    model.fit(x, ys, epochs=1, verbose=0)  # compile's per-output metric names are made
    written = keras_files.compile_config_to_keras(model)
    expected = _two_outputs(keras).get_compile_config()
    for key in ("loss", "metrics"):
        assert _without_config(written[key]) == _without_config(expected[key]), key
    # The metric keeps the name it was given ("mean_pred"), as Keras writes it, not "o1_mean_pred".
    assert written["metrics"][0][0]["config"]["name"] == expected["metrics"][0][0]["config"]["name"] == "mean_pred"
    assert written["loss"][0]["config"] == expected["loss"][0]["config"]

    path = tmp_path / "custom.keras"
    model.save(path)
    loaded = keras.models.load_model(path)  # the objects are registered in Keras too
    half_mse, plain_loss, mean_pred = _custom(keras)
    assert isinstance(loaded.loss[0], half_mse) and loaded.loss[1] is plain_loss
    np.testing.assert_allclose(loaded.predict(x, verbose=0)[0], model.predict(x, verbose=0)[0], atol=1e-6)
    again = learnet.models.load_model(path)
    assert (
        again.evaluate(x, ys, verbose=0, return_dict=True).keys()
        == model.evaluate(x, ys, verbose=0, return_dict=True).keys()
    )


def test_learnet_reads_the_compile_config_real_keras_wrote_for_custom_objects(tmp_path):
    x = np.random.default_rng(1).normal(size=(8, 4)).astype("float32")
    ys = [np.ones((8, 2), "float32"), np.zeros((8, 2), "float32")]
    keras_model = _two_outputs(keras)
    path = tmp_path / "from_keras.keras"
    keras_model.save(path)
    model = learnet.models.load_model(path)
    half_mse, plain_loss, _ = _custom(learnet)
    losses = model._compile_state.config["loss"]
    assert isinstance(losses[0], half_mse) and losses[1] is plain_loss
    logs = model.evaluate(x, ys, verbose=0, return_dict=True)
    expected = keras_model.evaluate(x, ys, verbose=0, return_dict=True)
    for name in ("loss", "o1_loss", "o2_loss", "o1_mean_pred", "o2_mae"):
        assert logs[name] == pytest.approx(expected[name], rel=1e-5), name


def test_a_loss_function_keeps_its_registered_name_in_learnets_own_file(tmp_path):
    _, plain_loss, _ = _custom(learnet)
    model = learnet.Sequential([learnet.Input((4,)), learnet.layers.Dense(2)])
    model.compile(optimizer="adam", loss=plain_loss)
    path = tmp_path / "plain.learnet"
    model.save(path)
    assert learnet.models.load_model(path)._compile_state.config["loss"] is plain_loss


# --- the preprocessing layers' configs, against real Keras (TensorFlow backend) ------------------------
def _reference():
    return np.load(FIXTURES / "keras_preprocessing_configs_reference.npz")


def _policy_name(value):
    return value["config"]["name"] if isinstance(value, dict) else value


PREPROCESSING = {
    "hashing_int": lambda L: L.Hashing(num_bins=5),
    "hashing_one_hot": lambda L: L.Hashing(num_bins=5, output_mode="one_hot"),
    "hashed_crossing": lambda L: L.HashedCrossing(num_bins=5),
    "discretization": lambda L: L.Discretization(bin_boundaries=[0.0, 1.0]),
    "category_encoding": lambda L: L.CategoryEncoding(num_tokens=4),
    "integer_lookup": lambda L: L.IntegerLookup(vocabulary=[1, 2, 3]),
    "string_lookup": lambda L: L.StringLookup(vocabulary=["a", "b"]),
    "rescaling": lambda L: L.Rescaling(0.5),
    "center_crop": lambda L: L.CenterCrop(2, 2),
    "random_flip": lambda L: L.RandomFlip(),
    "random_zoom": lambda L: L.RandomZoom(0.1),
}
# Arguments learnet writes that Keras' get_config leaves out, but Keras' class takes.
_EXTRA_BUT_ACCEPTED = {"category_encoding": {"sparse"}, "hashed_crossing": {"trainable"}}


@pytest.mark.parametrize("name", sorted(PREPROCESSING))
def test_a_preprocessing_layers_config_is_the_one_keras_writes(name):
    expected = json.loads(str(_reference()["configs"]))[name]
    layer = PREPROCESSING[name](learnet.layers)
    written = keras_files._layer_to_keras({"class_name": type(layer).__name__, "config": layer.get_config()})
    config = written["config"]
    assert set(config) - set(expected) <= _EXTRA_BUT_ACCEPTED.get(name, set())
    assert _policy_name(config["dtype"]) == _policy_name(expected["dtype"])
    for key in set(config) & set(expected) - {"name", "dtype", "seed"}:
        assert config[key] == expected[key], key


def test_hashing_and_discretization_configs_make_the_layers_again():
    for layer in (learnet.layers.Hashing(num_bins=5), learnet.layers.Discretization(bin_boundaries=[0.0, 1.0])):
        config = layer.get_config()
        assert "trainable" not in config or type(layer).__name__ == "Hashing"
        again = type(layer).from_config(config)
        np.testing.assert_array_equal(again(np.array([[-1.0, 0.5, 3.0]])), layer(np.array([[-1.0, 0.5, 3.0]])))


def test_a_keras_file_of_discretization_and_hashing_loads_and_is_written_back_as_keras_wrote_it(tmp_path):
    data = _reference()
    model = learnet.models.load_model(FIXTURES / "keras_preprocessing.keras")
    binned, hashed = model.predict([data["x_numbers"], data["x_ids"]], verbose=0)
    np.testing.assert_array_equal(binned, data["y_binned"])
    np.testing.assert_array_equal(hashed, data["y_hashed"])
    path = tmp_path / "again.keras"
    model.save(path)
    original = json.loads(zipfile.ZipFile(FIXTURES / "keras_preprocessing.keras").read("config.json"))
    written = json.loads(zipfile.ZipFile(path).read("config.json"))
    by_name = {layer["name"]: layer["config"] for layer in original["config"]["layers"]}
    for layer in written["config"]["layers"]:
        if layer["name"] in ("bins", "hash"):
            assert set(layer["config"]) == set(by_name[layer["name"]])
            assert _policy_name(layer["config"]["dtype"]) == _policy_name(by_name[layer["name"]]["dtype"])


# --- layers that hold layers: TimeDistributed(Sequential), a Pipeline ---------------------------------
def _time_distributed(M, inner):
    inputs = M.Input((3, 4))
    return M.Model(inputs, M.layers.TimeDistributed(inner(M))(inputs))


INNER = {
    "sequential": lambda M: M.Sequential([M.layers.Dense(3, activation="relu"), M.layers.Dense(2)]),
    "functional": lambda M: (lambda i: M.Model(i, M.layers.Dense(2)(M.layers.Dense(3)(i))))(M.Input((4,))),
}


@pytest.mark.parametrize("inner", sorted(INNER))
def test_time_distributed_over_a_model_travels_both_ways(tmp_path, inner):
    x = np.random.default_rng(2).normal(size=(2, 3, 4)).astype("float32")
    model = _time_distributed(learnet, INNER[inner])
    model.save(tmp_path / "learnet.keras")
    from_learnet = keras.models.load_model(tmp_path / "learnet.keras")
    np.testing.assert_allclose(np.asarray(from_learnet(x)), model(x).numpy(), atol=1e-6)
    np.testing.assert_allclose(
        learnet.models.load_model(tmp_path / "learnet.keras")(x).numpy(), model(x).numpy(), atol=1e-6
    )
    keras_model = _time_distributed(keras, INNER[inner])
    keras_model.save(tmp_path / "keras.keras")
    from_keras = learnet.models.load_model(tmp_path / "keras.keras")
    np.testing.assert_allclose(from_keras(x).numpy(), np.asarray(keras_model(x)), atol=1e-6)


def _pipeline(M):
    inputs = M.Input((4, 4, 3))
    flip = M.layers.RandomFlip("horizontal", seed=3)
    return M.Model(inputs, M.layers.Pipeline([flip, M.layers.Rescaling(0.5)])(inputs))


def test_keras_defaults_inside_a_pipelines_layers_are_dropped_and_it_travels_both_ways(tmp_path):
    x = np.random.default_rng(3).normal(size=(2, 4, 4, 3)).astype("float32")
    keras_model = _pipeline(keras)
    keras_model.save(tmp_path / "keras.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "keras.keras").read("config.json"))
    flip = config["config"]["layers"][1]["config"]["layers"][0]["config"]
    assert flip["data_format"] == "channels_last"  # what learnet's RandomFlip does not take
    model = learnet.models.load_model(tmp_path / "keras.keras")
    np.testing.assert_allclose(model(x, training=False).numpy(), np.asarray(keras_model(x, training=False)))
    model.save(tmp_path / "learnet.keras")
    again = keras.models.load_model(tmp_path / "learnet.keras")
    np.testing.assert_allclose(np.asarray(again(x, training=False)), x * 0.5, atol=1e-6)


def test_a_keras_default_given_another_value_inside_a_pipeline_is_still_refused(tmp_path):
    entry = {
        "module": "keras.layers",
        "class_name": "Pipeline",
        "config": {
            "name": "p",
            "layers": [
                {
                    "module": "keras.layers",
                    "class_name": "RandomFlip",
                    "config": {"name": "f", "mode": "horizontal", "seed": None, "data_format": "channels_first"},
                    "registered_name": None,
                }
            ],
        },
        "registered_name": None,
    }
    config = keras_files._layer_from_keras(entry, "a test entry", None)
    assert config["config"]["layers"][0]["config"]["data_format"] == "channels_first"
    with pytest.raises(TypeError, match="data_format"):
        learnet.layers.deserialize(config)


# --- the legacy .h5 ------------------------------------------------------------------------------------
def test_keras_legacy_h5_names_group_query_attention_by_its_source_class(tmp_path):
    inputs = keras.Input((5, 6))
    layer = keras.layers.GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2)
    keras_model = keras.Model(inputs, layer(inputs, inputs))
    keras_model.save(tmp_path / "gqa.h5")
    assert "GroupedQueryAttention" in str(h5py.File(tmp_path / "gqa.h5", "r").attrs["model_config"])
    model = learnet.models.load_model(tmp_path / "gqa.h5")
    x = np.random.default_rng(4).normal(size=(2, 5, 6)).astype("float32")
    np.testing.assert_allclose(model(x).numpy(), np.asarray(keras_model(x)), atol=1e-5)


def test_every_keras_layer_class_name_that_differs_from_its_export_is_known():
    # Keras' legacy .h5 names a layer by its class's own name; learnet must find each.
    for exported, cls in vars(keras.layers).items():
        if isinstance(cls, type) and cls.__name__ != exported and hasattr(learnet.layers, exported):
            found = learnet.layers.serialization.registry.builtin_class(cls.__name__)
            alias = keras_files._KERAS_CLASS_ALIASES.get(cls.__name__)
            assert found is not None or alias == exported, (exported, cls.__name__)


def _subclassed(M):
    if ("model", M.__name__) in _CUSTOM:
        return _CUSTOM[("model", M.__name__)]

    @M.saving.register_keras_serializable(package=PACKAGE)
    class TwoDense(M.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.d1 = M.layers.Dense(units)
            self.d2 = M.layers.Dense(2)

        def call(self, x):
            return self.d2(self.d1(x))

        def get_config(self):
            return {"units": self.units, "name": self.name}

    _CUSTOM[("model", M.__name__)] = TwoDense
    return TwoDense


@pytest.mark.parametrize("writer", ["learnet", "keras"])
def test_a_subclassed_models_legacy_h5_is_refused_not_loaded_with_random_weights(tmp_path, writer):
    M = learnet if writer == "learnet" else keras
    model = _subclassed(M)(name="two_dense")
    model(np.ones((1, 4), "float32"))
    model.save(tmp_path / "sub.h5")
    _subclassed(learnet)
    with pytest.raises(InvalidModelFileError, match="Layer count mismatch"):
        learnet.models.load_model(tmp_path / "sub.h5")
    if writer == "keras":
        with pytest.raises(ValueError, match="Layer count mismatch"):
            # as real Keras refuses its own file
            keras.models.load_model(tmp_path / "sub.h5", custom_objects={"TwoDense": _subclassed(keras)})
