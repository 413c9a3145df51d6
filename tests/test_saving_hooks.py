"""The saving hooks of Keras 3 ("Customizing Saving and Serialization"): ``save_own_variables`` /
``load_own_variables``, ``save_assets`` / ``load_assets``, ``get_build_config`` /
``build_from_config`` and ``get_compile_config`` / ``compile_from_config``.

Each hook is overridden by a layer or model of the user's own, saved and loaded in learnet;
the files travel both ways with the real Keras 3 (on JAX) where it is installed.
"""

import io
import os
import zipfile

import numpy as np
import pytest

import learnet
from learnet.saving import InvalidModelFileError

h5py = pytest.importorskip("h5py", reason="h5py is not installed (pip install 'learnet[keras]')")


def _scaled_class(M, calls=None):
    """A Dense that keeps an extra array (not a variable) with the weights and a vocabulary as an
    asset file, spelled the same for Keras and learnet (``M``)."""
    calls = calls if calls is not None else []

    class Scaled(M.layers.Dense):
        def __init__(self, units, vocab=None, **kwargs):
            super().__init__(units, **kwargs)
            self.vocab = vocab
            self.scale = np.ones(units, "float32")

        def call(self, inputs):
            return super().call(inputs) * self.scale

        def save_own_variables(self, store):
            calls.append("save_own_variables")
            super().save_own_variables(store)
            store["scale"] = self.scale

        def load_own_variables(self, store):
            calls.append("load_own_variables")
            self.scale = np.asarray(store["scale"], "float32")
            self.kernel.assign(store["0"])
            self.bias.assign(store["1"])

        def save_assets(self, dir_path):
            calls.append("save_assets")
            with open(os.path.join(dir_path, "vocabulary.txt"), "w") as f:
                f.write(self.vocab)

        def load_assets(self, dir_path):
            calls.append("load_assets")
            with open(os.path.join(dir_path, "vocabulary.txt")) as f:
                self.vocab = f.read()

    return M.saving.register_keras_serializable(package="hooks_test")(Scaled)


def _scaled_model(M, calls=None, seed=0):
    rng = np.random.default_rng(seed)
    layer = _scaled_class(M, calls)(3, vocab="Mary had a little lamb.")
    model = M.Sequential([M.Input((4,)), layer])
    layer.kernel.assign(rng.normal(size=(4, 3)).astype("float32"))
    layer.bias.assign(rng.normal(size=(3,)).astype("float32"))
    layer.scale = rng.uniform(1.0, 2.0, size=3).astype("float32")
    return model


def _outputs(model, x):
    return np.asarray(model(x))


X = np.random.default_rng(5).normal(size=(2, 4)).astype("float32")


# --- save_own_variables / load_own_variables ------------------------------------------------------------
def test_default_own_variables_write_and_read_the_layers_variables():
    layer = learnet.layers.Dense(2)
    layer.build((None, 3))
    store = {}
    layer.save_own_variables(store)
    assert sorted(store) == ["0", "1"]
    again = learnet.layers.Dense(2)
    again.build((None, 3))
    again.load_own_variables(store)
    np.testing.assert_array_equal(again.kernel.numpy(), layer.kernel.numpy())
    before = again.kernel.numpy().copy()
    with pytest.raises(ValueError, match="keys"):
        again.load_own_variables({"0": store["0"]})
    with pytest.raises(ValueError, match="shape"):
        again.load_own_variables({"0": np.zeros((5, 2)), "1": np.zeros(2)})
    np.testing.assert_array_equal(again.kernel.numpy(), before)  # nothing changed


def test_own_variables_hooks_are_called_in_a_keras_file(tmp_path):
    calls = []
    model = _scaled_model(learnet, calls)
    model.save(tmp_path / "scaled.keras")
    assert calls == ["save_own_variables", "save_assets"]
    with zipfile.ZipFile(tmp_path / "scaled.keras") as archive:
        with h5py.File(io.BytesIO(archive.read("model.weights.h5"))) as f:
            assert sorted(f["layers/scaled/vars"]) == ["0", "1", "scale"]
    restored = learnet.models.load_model(tmp_path / "scaled.keras")
    assert calls[2:] == ["load_own_variables", "load_assets"]
    np.testing.assert_array_equal(restored.layers[0].scale, model.layers[0].scale)
    np.testing.assert_allclose(_outputs(restored, X), _outputs(model, X), rtol=1e-6)


def test_own_variables_hooks_are_called_by_save_weights_and_load_weights(tmp_path):
    calls = []
    model = _scaled_model(learnet, calls, seed=1)
    model.save_weights(tmp_path / "scaled.weights.h5")
    other = _scaled_model(learnet, calls, seed=2)
    other.load_weights(tmp_path / "scaled.weights.h5")
    assert calls == ["save_own_variables", "load_own_variables"]  # no assets in a weights file
    np.testing.assert_allclose(_outputs(other, X), _outputs(model, X), rtol=1e-6)


def test_the_guides_layer_with_a_variable_of_its_own(tmp_path):
    @learnet.saving.register_keras_serializable(package="hooks_test")
    class LayerWithCustomVariables(learnet.layers.Dense):
        def __init__(self, units, **kwargs):
            super().__init__(units, **kwargs)
            self.stored_variables = learnet.Variable(np.random.random((10,)), name="special_arr", dtype="float32")

        def save_own_variables(self, store):
            super().save_own_variables(store)
            store["variables"] = self.stored_variables.numpy()

        def load_own_variables(self, store):
            self.stored_variables.assign(store["variables"])
            for i, v in enumerate(self.weights):
                v.assign(store[f"{i}"])

        def call(self, inputs):
            return super().call(inputs) * self.stored_variables

    model = learnet.Sequential([LayerWithCustomVariables(1)])
    model.compile(optimizer="adam", loss="mean_squared_error")
    model.fit(np.random.random((8, 10)), np.random.random((8, 10)), verbose=0)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # written in Keras' format, not learnet's with a warning
        model.save(tmp_path / "custom_vars_model.keras")
    restored = learnet.models.load_model(tmp_path / "custom_vars_model.keras")
    np.testing.assert_allclose(model.layers[0].stored_variables.numpy(), restored.layers[0].stored_variables.numpy())
    np.testing.assert_allclose(restored.layers[0].kernel.numpy(), model.layers[0].kernel.numpy())


# --- save_assets / load_assets ---------------------------------------------------------------------------
def test_assets_are_written_in_keras_layout_and_read_back(tmp_path):
    model = _scaled_model(learnet)
    model.layers[0].vocab = "Mary had a <unk> lamb."
    model.save(tmp_path / "assets.keras")
    with zipfile.ZipFile(tmp_path / "assets.keras") as archive:
        assert archive.read("assets/layers/scaled/vocabulary.txt") == b"Mary had a <unk> lamb."
    restored = learnet.models.load_model(tmp_path / "assets.keras")
    assert restored.layers[0].vocab == "Mary had a <unk> lamb."


# --- get_build_config / build_from_config ----------------------------------------------------------------
def test_build_config_override_is_honoured_on_load(tmp_path):
    @learnet.saving.register_keras_serializable(package="hooks_test")
    class LayerWithCustomBuild(learnet.layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def call(self, inputs):
            return learnet.ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            return dict(units=self.units, **super().get_config())

        def build(self, input_shape, layer_init):
            super().build(input_shape)
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer=layer_init)
            self.b = self.add_weight(shape=(self.units,), initializer=layer_init)
            self.layer_init = layer_init

        def get_build_config(self):
            return {**super().get_build_config(), "layer_init": self.layer_init}

        def build_from_config(self, config):
            self.build(config["input_shape"], config["layer_init"])

    custom = LayerWithCustomBuild(units=16)
    custom.build(input_shape=(8,), layer_init="random_normal")
    model = learnet.Sequential([custom, learnet.layers.Dense(1, activation="sigmoid")])
    x = np.random.random((16, 8)).astype("float32")
    model(x)
    model.save(tmp_path / "custom_build_model.keras")
    restored = learnet.models.load_model(tmp_path / "custom_build_model.keras")
    assert restored.layers[0].layer_init == "random_normal"
    assert restored.built
    np.testing.assert_allclose(_outputs(restored, x), _outputs(model, x), rtol=1e-6)


# --- get_compile_config / compile_from_config ------------------------------------------------------------
def _compile_classes(M):
    """The guide's custom loss, metric and model with its own compile (``M``: Keras or learnet)."""

    def small_square_sum_loss(y_true, y_pred):
        return M.ops.sum(M.ops.square(y_pred - y_true) / 10.0, axis=1)

    def mean_pred(y_true, y_pred):
        return M.ops.mean(y_pred)

    register = M.saving.register_keras_serializable(package="hooks_test")
    small_square_sum_loss, mean_pred = register(small_square_sum_loss), register(mean_pred)

    class ModelWithCustomCompile(M.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense1 = M.layers.Dense(8, activation="relu")
            self.dense2 = M.layers.Dense(4, activation="softmax")

        def call(self, inputs):
            return self.dense2(self.dense1(inputs))

        def compile(self, optimizer, loss_fn, metrics):
            super().compile(optimizer=optimizer, loss=loss_fn, metrics=metrics)
            self.model_optimizer, self.loss_fn, self.loss_metrics = optimizer, loss_fn, metrics

        def get_compile_config(self):
            return {"model_optimizer": self.model_optimizer, "loss_fn": self.loss_fn, "metric": self.loss_metrics}

        def compile_from_config(self, config):
            optimizer = M.utils.deserialize_keras_object(config["model_optimizer"])
            loss_fn = M.utils.deserialize_keras_object(config["loss_fn"])
            metrics = M.utils.deserialize_keras_object(config["metric"])
            self.compile(optimizer=optimizer, loss_fn=loss_fn, metrics=metrics)

    return register(ModelWithCustomCompile), small_square_sum_loss, mean_pred


def _compiled_model(M):
    cls, loss, metric = _compile_classes(M)
    model = cls()
    model.compile(optimizer="SGD", loss_fn=loss, metrics=["accuracy", metric])
    x = np.random.default_rng(2).random((4, 8)).astype("float32")
    model.fit(x, np.random.default_rng(3).random((4,)).astype("float32"), verbose=0)
    return model, loss, metric, x


def test_compile_config_override_round_trips_in_a_keras_file(tmp_path):
    model, loss, metric, x = _compiled_model(learnet)
    model.save(tmp_path / "custom_compile_model.keras")
    restored = learnet.models.load_model(tmp_path / "custom_compile_model.keras")
    assert restored.model_optimizer == model.model_optimizer == "SGD"
    assert restored.loss_fn is loss
    assert restored.loss_metrics == ["accuracy", metric]
    np.testing.assert_allclose(_outputs(restored, x), _outputs(model, x), rtol=1e-6)


def test_compile_config_override_round_trips_in_learnets_format(tmp_path):
    model, loss, _, x = _compiled_model(learnet)
    model.save(tmp_path / "custom_compile_model.learnet")
    restored = learnet.models.load_model(tmp_path / "custom_compile_model.learnet")
    assert restored.loss_fn is loss and restored.model_optimizer == "SGD"


def test_hooks_run_in_keras_order_on_load(tmp_path):
    calls = []
    cls, loss, _ = _compile_classes(learnet)

    class Recorded(cls):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense2 = _scaled_class(learnet, calls)(4, vocab="v")

        def build_from_config(self, config):
            calls.append("build_from_config")
            super().build_from_config(config)

        def compile_from_config(self, config):
            calls.append("compile_from_config")
            super().compile_from_config(config)

    Recorded = learnet.saving.register_keras_serializable(package="hooks_test")(Recorded)
    model = Recorded()
    model.compile(optimizer="SGD", loss_fn=loss, metrics=[])
    model(np.ones((2, 8), "float32"))
    model.save(tmp_path / "order.keras")
    calls.clear()
    learnet.models.load_model(tmp_path / "order.keras")
    assert calls == ["build_from_config", "compile_from_config", "load_own_variables", "load_assets"]


# --- broken files: a clear error, the model unchanged ------------------------------------------------
def test_missing_assets_give_a_clear_error(tmp_path):
    _scaled_model(learnet).save(tmp_path / "whole.keras")
    with zipfile.ZipFile(tmp_path / "whole.keras") as source, zipfile.ZipFile(tmp_path / "cut.keras", "w") as cut:
        for name in source.namelist():
            if not name.startswith("assets/"):
                cut.writestr(name, source.read(name))
    with pytest.raises(InvalidModelFileError, match=r"load_assets.*no assets at assets/layers/scaled"):
        learnet.models.load_model(tmp_path / "cut.keras")


def test_an_asset_outside_its_folder_is_refused(tmp_path):
    _scaled_model(learnet).save(tmp_path / "whole.keras")
    with zipfile.ZipFile(tmp_path / "whole.keras", "a") as archive:
        archive.writestr("assets/../../escape.txt", "x")
    with pytest.raises(InvalidModelFileError, match="outside"):
        learnet.models.load_model(tmp_path / "whole.keras")


def test_a_store_missing_a_key_gives_a_clear_error_and_changes_nothing(tmp_path):
    _scaled_model(learnet, seed=1).save_weights(tmp_path / "scaled.weights.h5")
    with h5py.File(tmp_path / "scaled.weights.h5", "a") as f:
        del f["layers/scaled/vars/scale"]
    model = _scaled_model(learnet, seed=2)
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(InvalidModelFileError, match=r"load_own_variables.*'scale'.*layers/scaled/vars"):
        model.load_weights(tmp_path / "scaled.weights.h5")
    for now, then in zip(model.get_weights(), before):
        np.testing.assert_array_equal(now, then)


def test_a_store_keeps_numbers_only(tmp_path):
    class Texty(learnet.layers.Dense):
        def save_own_variables(self, store):
            store["words"] = np.array(["a", "b"])

    model = learnet.Sequential([learnet.Input((2,)), Texty(1)])
    with pytest.raises(ValueError, match="numbers only.*save_assets"):
        model.save_weights(tmp_path / "texty.weights.h5")


# --- with the real Keras 3 ---------------------------------------------------------------------------------
def test_a_keras_file_with_own_variables_and_assets_loads_in_learnet(keras, tmp_path):
    theirs = _scaled_model(keras, seed=3)
    theirs.save(tmp_path / "keras.keras")
    calls = []
    _scaled_class(learnet, calls)
    restored = learnet.models.load_model(tmp_path / "keras.keras")
    assert calls == ["load_own_variables", "load_assets"]
    assert restored.layers[0].vocab == "Mary had a little lamb."
    np.testing.assert_array_equal(restored.layers[0].scale, theirs.layers[0].scale)
    np.testing.assert_allclose(_outputs(restored, X), _outputs(theirs, X), rtol=1e-5, atol=1e-6)


def test_a_learnet_file_with_own_variables_and_assets_loads_in_keras(keras, tmp_path):
    ours = _scaled_model(learnet, seed=4)
    ours.save(tmp_path / "learnet.keras")
    calls = []
    _scaled_class(keras, calls)
    restored = keras.models.load_model(tmp_path / "learnet.keras")
    assert calls == ["load_own_variables", "load_assets"]
    assert restored.layers[0].vocab == "Mary had a little lamb."
    np.testing.assert_array_equal(restored.layers[0].scale, ours.layers[0].scale)
    np.testing.assert_allclose(_outputs(restored, X), _outputs(ours, X), rtol=1e-5, atol=1e-6)


def test_a_weights_file_with_own_variables_travels_both_ways(keras, tmp_path):
    for M, other in ((learnet, keras), (keras, learnet)):
        source = _scaled_model(M, seed=6)
        source.save_weights(tmp_path / "scaled.weights.h5")
        target = _scaled_model(other, seed=7)
        target.load_weights(tmp_path / "scaled.weights.h5")
        np.testing.assert_allclose(_outputs(target, X), _outputs(source, X), rtol=1e-5, atol=1e-6)


def test_a_custom_compile_config_travels_both_ways(keras, tmp_path):
    for M, other in ((learnet, keras), (keras, learnet)):
        model, _, _, x = _compiled_model(M)
        model.save(tmp_path / f"{M.__name__}.keras")
        _, loss, metric = _compile_classes(other)
        restored = other.models.load_model(tmp_path / f"{M.__name__}.keras")
        assert restored.model_optimizer == "SGD"
        assert restored.loss_fn is loss
        assert restored.loss_metrics == ["accuracy", metric]
        np.testing.assert_allclose(_outputs(restored, x), _outputs(model, x), rtol=1e-5, atol=1e-6)
