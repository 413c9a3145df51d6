"""Library functions given as callables serialize and load as in TensorFlow 2.21 (Keras 3).

``Dense(3, activation=tf.nn.gelu).get_config()`` names ``"gelu"``, ``kernel_initializer=tf.random.normal``
saves as ``random_normal`` and loads back as ``tf.random.normal``; PiecewiseConstantDecay takes a
repeated boundary; ``save_weights`` never asks a layer for its config. The reference values come
from real TensorFlow and Keras (fixtures/make_library_callables_fixture.py).
"""

import zipfile
from pathlib import Path

import numpy as np
import pytest

import learnet
import learnet as keras
import learnet as tf
from learnet import activations, initializers, layers, registry, regularizers

REFERENCE = np.load(Path(__file__).resolve().parent / "fixtures" / "library_callables_reference.npz")
X = REFERENCE["x"]
NAMESPACE = {"tf": learnet, "keras": learnet}

# What learnet writes where Keras 3 writes a function it cannot load back ({"module": "builtins",
# "class_name": "function", "config": name}): the Keras activation that computes the same.
KERAS_ACTIVATION_FOR = {
    "swish": "silu",
    "softmax_v2": "softmax",
    "log_softmax_v2": "log_softmax",
    "exp": "exponential",
    "identity": "linear",
}

ACTIVATIONS = dict(zip(REFERENCE["activation_paths"].tolist(), REFERENCE["activation_names"].tolist()))
INITIALIZERS = dict(zip(REFERENCE["initializer_paths"].tolist(), REFERENCE["initializer_names"].tolist()))
REGULARIZERS = dict(zip(REFERENCE["regularizer_paths"].tolist(), REFERENCE["regularizer_names"].tolist()))


def reach(path):
    """The learnet function a program reaches by ``path`` after ``import learnet as tf`` / ``as keras``."""
    return eval(path, NAMESPACE)  # noqa: S307 - a fixed path from the fixture


def expected_activation_name(tf_name):
    if not tf_name.startswith("function:"):
        return tf_name
    name = tf_name.split(":", 1)[1]
    return KERAS_ACTIVATION_FOR.get(name, name)


def dense_model(**kwargs):
    inputs = keras.Input((8,))
    return keras.Model(inputs, layers.Dense(3, **kwargs)(inputs))


# --- activations ------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(ACTIVATIONS))
def test_activation_serializes_to_the_name_tensorflow_writes(path):
    config = layers.Dense(3, activation=reach(path)).get_config()
    assert config["activation"] == expected_activation_name(ACTIVATIONS[path])


@pytest.mark.parametrize("path", sorted(ACTIVATIONS))
def test_activation_loads_back_computing_what_tensorflow_loads(path):
    """What TensorFlow's layer computes after from_config; where TensorFlow cannot load its own
    config back, what the function itself computes."""
    config = layers.Dense(3, activation=reach(path)).get_config()
    loaded = layers.Dense.from_config(config).activation
    key = f"loaded/{path}" if f"loaded/{path}" in REFERENCE.files else f"output/{path}"
    np.testing.assert_allclose(np.asarray(loaded(tf.constant(X))), REFERENCE[key], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("path", sorted(ACTIVATIONS))
def test_library_function_computes_what_tensorflow_computes(path):
    np.testing.assert_allclose(
        np.asarray(reach(path)(tf.constant(X))), REFERENCE[f"output/{path}"], rtol=1e-5, atol=1e-6
    )


def test_the_functions_behind_the_namespaces_serialize_too():
    """The raw ops the namespaces wrap (learnet.ops.nn.relu...) are the same functions."""
    from learnet.ops import math as ops_math
    from learnet.ops import nn as ops_nn

    assert activations.serialize(ops_nn.relu) == "relu"
    assert activations.serialize(ops_nn.softmax) == "softmax"
    assert activations.serialize(ops_math.tanh) == "tanh"
    assert activations.serialize(ops_math.exp) == "exponential"
    assert activations.serialize(tf.nn.crelu) == "crelu_v2"
    assert activations.get("crelu_v2") is tf.nn.crelu


def test_keras_3_form_of_a_function_loads_as_an_activation():
    """A config TensorFlow wrote for activation=tf.abs."""
    written = {"module": "builtins", "class_name": "function", "config": "abs", "registered_name": "function"}
    assert activations.get(written) is tf.abs
    assert activations.get({**written, "config": "swish"}) is activations.get("swish")


@pytest.mark.parametrize("suffix", [".keras", ".learnet"])
@pytest.mark.parametrize("path", ["tf.nn.gelu", "tf.nn.swish", "keras.ops.relu", "tf.abs", "tf.nn.softmax"])
def test_model_with_library_activation_saves_and_loads(tmp_path, path, suffix):
    model = dense_model(activation=reach(path))
    x = np.random.default_rng(0).normal(size=(4, 8)).astype("float32")
    filepath = tmp_path / f"model{suffix}"
    model.save(filepath)
    loaded = keras.models.load_model(filepath)
    assert loaded.layers[-1].get_config()["activation"] == model.layers[-1].get_config()["activation"]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_gelu_reproducer_saves_and_loads(tmp_path):
    model = dense_model(activation=tf.nn.gelu)
    assert model.layers[-1].get_config()["activation"] == "gelu"
    model.save(tmp_path / "gelu_model.keras")
    assert keras.models.load_model(tmp_path / "gelu_model.keras").layers[-1].activation is activations.gelu


# --- initializers -----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(INITIALIZERS))
def test_initializer_function_serializes_by_tensorflows_name(path):
    written = layers.Dense(2, kernel_initializer=reach(path)).get_config()["kernel_initializer"]
    assert INITIALIZERS[path] == "function:" + written["config"]
    # Marked as a function: "random_normal" alone would be Keras' RandomNormal(), with another stddev.
    assert written == {"class_name": "function", "config": INITIALIZERS[path].split(":", 1)[1]}


@pytest.mark.parametrize("path", sorted(INITIALIZERS))
def test_initializer_function_loads_back_as_the_same_function(path):
    layer = layers.Dense(2, kernel_initializer=reach(path))
    loaded = layers.Dense.from_config(layer.get_config()).kernel_initializer
    assert not isinstance(loaded, initializers.Initializer)
    assert registry.library_function_name(loaded) == registry.library_function_name(reach(path))
    values = np.asarray(loaded((400, 50)))
    if path.endswith(("zeros", "ones")):
        np.testing.assert_array_equal(values, np.full((400, 50), 1.0 if path.endswith("ones") else 0.0))
    elif path.endswith("uniform"):  # tf.random.uniform: [0, 1)
        assert values.min() >= 0.0 and values.max() < 1.0 and abs(values.mean() - 0.5) < 0.02
    else:  # normal and truncated normal: mean 0, standard deviation 1 (0.88 once truncated at 2)
        assert abs(values.mean()) < 0.03 and 0.8 < values.std() < 1.05


def test_initializer_in_keras_3s_own_form_loads():
    """The very dict TensorFlow's get_config gives, passed to from_config."""
    written = {"module": "builtins", "class_name": "function", "config": "random_normal", "registered_name": "function"}
    assert initializers.get(written) is tf.random.normal
    assert isinstance(initializers.get("random_normal"), initializers.RandomNormal)  # the name alone is Keras'


@pytest.mark.parametrize("suffix", [".keras", ".learnet"])
def test_function_initializer_reproducer_fits_and_saves(tmp_path, suffix):
    x = np.linspace(-2, 2, 64).astype("float32")
    model = keras.Sequential([keras.Input((1,)), layers.Dense(units=1, kernel_initializer=tf.random.normal)])
    model.compile(loss=keras.losses.MSE, optimizer=keras.optimizers.SGD(learning_rate=0.01))
    model.fit(x[:, None], x**2, epochs=1, batch_size=32, verbose=0)
    model.save(tmp_path / f"fn_init{suffix}")
    loaded = keras.models.load_model(tmp_path / f"fn_init{suffix}")
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])
    if suffix == ".keras":
        config = zipfile.ZipFile(tmp_path / "fn_init.keras").read("config.json").decode()
        assert '"random_normal"' in config
    else:
        assert loaded.layers[-1].kernel_initializer is tf.random.normal


@pytest.mark.xfail(
    strict=True,
    reason="keras_files reads Keras 3's function form as a bare name, which for an initializer is "
    "RandomNormal(), not the function tf.random.normal (the weights load correctly)",
)
def test_function_initializer_loads_back_from_a_keras_file(tmp_path):
    model = keras.Sequential([keras.Input((1,)), layers.Dense(1, kernel_initializer=tf.random.normal)])
    model.save(tmp_path / "fn_init.keras")
    assert keras.models.load_model(tmp_path / "fn_init.keras").layers[-1].kernel_initializer is tf.random.normal


# --- regularizers -----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(REGULARIZERS))
def test_regularizer_function_serializes_by_tensorflows_name(path):
    written = layers.Dense(2, kernel_regularizer=reach(path)).get_config()["kernel_regularizer"]
    assert "function:" + written == REGULARIZERS[path]
    assert registry.library_function(written) is not None


def test_regularizer_functions_compute_what_tensorflow_computes():
    got = [float(reach(path)(tf.constant(X))) for path in REFERENCE["regularizer_paths"].tolist()]
    np.testing.assert_allclose(got, REFERENCE["regularizer_outputs"], rtol=1e-6)


def test_regularizer_function_loads_with_custom_objects(tmp_path):
    model = dense_model(kernel_regularizer=tf.nn.l2_loss)
    model.save(tmp_path / "reg.learnet")
    loaded = keras.models.load_model(tmp_path / "reg.learnet", custom_objects={"l2_loss": tf.nn.l2_loss})
    assert loaded.layers[-1].kernel_regularizer is tf.nn.l2_loss


def test_regularizer_function_loads_back_by_name():
    assert regularizers.get("l2_loss") is tf.nn.l2_loss


# --- the table and bad input ------------------------------------------------------------------------
def test_every_library_function_of_the_table_exists_and_loads_by_its_name():
    names, functions = registry._library_tables()
    listed = {item.partition("=")[2] or item for _, listing in registry._LIBRARY_FUNCTIONS for item in listing.split()}
    assert set(functions) == listed
    for name, function in functions.items():
        assert callable(function)
        assert registry.library_function(name) is function
        assert names[function] in functions
    assert registry.library_function_name(lambda x: x) is None
    assert registry.library_function_name([]) is None  # unhashable: not a library function
    assert registry.library_function(3) is None


def test_own_function_is_named_or_needs_registering():
    def doubled(x):
        return 2 * x

    # An activation of one's own is written by its name, as Keras 3 writes it (custom_objects finds it).
    assert layers.Dense(3, activation=doubled).get_config()["activation"] == "doubled"
    with pytest.raises(ValueError, match="register_keras_serializable"):
        layers.Dense(3, kernel_initializer=doubled).get_config()
    with pytest.raises(ValueError, match="Write it as a def"):
        layers.Dense(3, kernel_initializer=lambda shape, dtype=None: tf.zeros(shape)).get_config()


@pytest.mark.parametrize(
    "written",
    [
        {"class_name": "function", "config": "no_such_function"},
        {"class_name": "function", "config": 3},
        {"class_name": "function"},
        {"module": "builtins", "class_name": "function", "config": "RandomNormal"},
    ],
)
def test_unknown_function_names_are_refused_clearly(written):
    with pytest.raises(ValueError, match="unknown initializer function"):
        initializers.get(written)
    with pytest.raises(ValueError, match="unknown activation"):
        activations.get(written)


def test_a_config_naming_an_unknown_function_creates_no_layer():
    config = layers.Dense(2, kernel_initializer=tf.random.normal).get_config()
    config["kernel_initializer"] = {"class_name": "function", "config": "eval"}
    with pytest.raises(ValueError, match="'eval'"):
        layers.Dense.from_config(config)
    with pytest.raises(ValueError, match="unknown activation 'eval'"):
        layers.Dense.from_config({**layers.Dense(2).get_config(), "activation": "eval"})


def test_a_file_naming_a_python_path_is_refused(tmp_path):
    model = dense_model(kernel_initializer=tf.random.normal)
    model.save(tmp_path / "m.learnet")
    with zipfile.ZipFile(tmp_path / "m.learnet") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["config.json"] = members["config.json"].replace(b'"random_normal"', b'"os.system"')
    with zipfile.ZipFile(tmp_path / "bad.learnet", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(learnet.saving.InvalidModelFileError, match="never imports code"):
        keras.models.load_model(tmp_path / "bad.learnet")


# --- PiecewiseConstantDecay with repeated boundaries -------------------------------------------------
def test_piecewise_constant_takes_a_repeated_boundary_as_tensorflow_and_keras():
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay(boundaries=[15, 15], values=[1e-3, 5e-4, 2.5e-4])
    got = [float(schedule(step)) for step in (0, 14, 15, 16, 30)]
    np.testing.assert_allclose(got, REFERENCE["piecewise_equal/tf"], rtol=1e-6)
    np.testing.assert_allclose(got, REFERENCE["piecewise_equal/keras"], rtol=1e-6)
    again = type(schedule).from_config(schedule.get_config())
    assert [float(again(step)) for step in (0, 15, 16, 30)] == pytest.approx([1e-3, 1e-3, 2.5e-4, 2.5e-4])


def test_piecewise_constant_three_equal_boundaries():
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay([5, 5, 5, 9], [4.0, 3.0, 2.0, 1.0, 0.5])
    np.testing.assert_allclose([float(schedule(step)) for step in range(12)], REFERENCE["piecewise_three_equal"])


def test_piecewise_constant_refuses_decreasing_boundaries_and_wrong_lengths():
    with pytest.raises(ValueError, match="must not decrease"):
        keras.optimizers.schedules.PiecewiseConstantDecay([20, 10], [1.0, 0.5, 0.25])
    with pytest.raises(ValueError, match="one more element"):
        keras.optimizers.schedules.PiecewiseConstantDecay([15, 15], [1.0, 0.5])


# --- save_weights never asks a layer for its config ---------------------------------------------------
class BrokenConfigRegularizer(keras.regularizers.Regularizer):
    """keras.io's pointnet_segmentation has a regularizer like this: Keras never calls get_config
    when only weights are saved."""

    calls = 0

    def __call__(self, x):
        return 0.0 * keras.ops.sum(x)

    def get_config(self):
        type(self).calls += 1
        raise NameError("broken get_config")


def broken_model():
    inputs = keras.Input((3,))
    hidden = layers.Dense(4, activity_regularizer=BrokenConfigRegularizer())(inputs)
    inner_inputs = keras.Input((4,))
    inner = keras.Model(inner_inputs, layers.Dense(2, kernel_regularizer=BrokenConfigRegularizer())(inner_inputs))
    return keras.Model(inputs, layers.Dense(1)(inner(hidden)))


@pytest.mark.parametrize("name", ["bad.weights.h5", "bad.weights.npz"])
def test_save_and_load_weights_call_no_get_config(tmp_path, name):
    model, other = broken_model(), broken_model()
    BrokenConfigRegularizer.calls = 0
    model.save_weights(tmp_path / name)
    other.load_weights(tmp_path / name)
    assert BrokenConfigRegularizer.calls == 0
    for saved, loaded in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(saved, loaded)


def test_model_checkpoint_saving_weights_only_calls_no_get_config(tmp_path):
    model = broken_model()
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(1).normal(size=(16, 3)).astype("float32")
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "best.weights.h5"), save_weights_only=True)
    BrokenConfigRegularizer.calls = 0
    model.fit(x, x[:, :1], epochs=2, batch_size=8, callbacks=[checkpoint], verbose=0)
    assert BrokenConfigRegularizer.calls == 0 and (tmp_path / "best.weights.h5").exists()


def test_saving_the_whole_model_still_asks_for_the_config(tmp_path):
    """As Keras: a whole-model file holds the configs, so a broken get_config shows there."""
    with pytest.raises(NameError, match="broken get_config"):
        broken_model().save(tmp_path / "whole.keras")
    assert not (tmp_path / "whole.keras").exists()


def test_config_after_save_weights_is_the_full_one(tmp_path):
    model = dense_model(activation=tf.nn.gelu)
    model.save_weights(tmp_path / "w.weights.h5")
    assert model.get_config()["layers"][-1]["config"]["activation"] == "gelu"
    assert learnet.saving.serialize_model(model)["config"]["layers"][-1]["config"]["units"] == 3
