"""``keras.applications.MobileNetV3Small`` / ``MobileNetV3Large`` against real Keras 3.

The fixture (fixtures/make_mobilenet_v3_fixture.py) holds Keras' layers, operations, weight
shapes, parameter counts, output shapes and, for small networks given weights made from a seed,
their outputs. Where real Keras is installed the networks are also built side by side, Keras'
weights copied into learnet's by layer name, and a Keras weights file (in the layout of Keras'
published ImageNet files) is loaded from the cache under Keras' file name.
"""

import hashlib
import importlib.util
import inspect
import json
import os
from pathlib import Path

import numpy as np
import pytest

import learnet
import learnet as keras
from learnet.applications import mobilenet_v3
from learnet.testing import check_gradients

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _fixture_module():
    path = FIXTURES / "make_mobilenet_v3_fixture.py"
    spec = importlib.util.spec_from_file_location("make_mobilenet_v3_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()
HELPERS = FIXTURE.applications_fixture()  # batch() and fill_weights()
REFERENCE = np.load(FIXTURES / "mobilenet_v3_reference.npz")
CASES = [pytest.param(*case, id=case[0]) for case in FIXTURE.CASES]


def _build(function, kwargs):
    learnet.backend.clear_session()
    return getattr(keras.applications, function)(weights=None, **kwargs)


@pytest.mark.parametrize("case, function, kwargs, forward", CASES)
def test_the_network_is_keras_layer_by_layer(case, function, kwargs, forward):
    model = _build(function, kwargs)
    # Keras 3's model.layers leaves out the graph's operations (the hard sigmoid's `+ 3` and
    # `* (1 / 6)`); model.operations has them (OperationLayers in learnet), in the same places.
    got = [
        [layer.name, type(layer).__name__, [[int(d) for d in w.shape] for w in layer.weights]] for layer in model.layers
    ]
    expected = json.loads(str(REFERENCE[f"{case}/layers"]))
    assert [entry[0] for entry in got] == [entry[0] for entry in expected]  # names and order first
    assert got == expected
    assert [layer.name for layer in model.operations] == json.loads(str(REFERENCE[f"{case}/operations"]))
    assert model.count_params() == int(REFERENCE[f"{case}/params"])
    assert list(model.output_shape) == json.loads(str(REFERENCE[f"{case}/output_shape"]))
    assert model.name == str(REFERENCE[f"{case}/name"])


@pytest.mark.parametrize("case, function, kwargs, forward", [c for c in CASES if c.values[3]])
def test_the_network_computes_what_keras_computes(case, function, kwargs, forward):
    model = _build(function, kwargs)
    keras_layers = json.loads(str(REFERENCE[f"{case}/layers"]))
    names = json.loads(str(REFERENCE[f"{case}/weight_names"]))
    shapes = [shape for _, _, layer_shapes in keras_layers for shape in layer_shapes]
    model.set_weights(HELPERS.fill_weights(list(zip(names, shapes))))
    x = HELPERS.batch(model.input_shape[1:])
    got = model.predict(x, verbose=0)
    expected = REFERENCE[f"{case}/output"]
    assert got.shape == expected.shape
    scale = np.max(np.abs(expected))
    np.testing.assert_allclose(got / scale, expected / scale, atol=2e-5)


def test_the_tutorial_feature_extractor():
    """The image-captioning tutorial's encoder: a 3x3 grid of 576 features for 96x96 images."""
    learnet.backend.clear_session()
    model = keras.applications.MobileNetV3Small(
        input_shape=(96, 96, 3), include_top=False, include_preprocessing=True, weights=None
    )
    assert tuple(model(keras.zeros([1, 96, 96, 3])).shape) == (1, 3, 3, 576)
    assert type(model.layers[1]).__name__ == "Rescaling"
    np.testing.assert_allclose(model.layers[1](np.array([0.0, 127.5, 255.0])), [-1.0, 0.0, 1.0])
    large = keras.applications.MobileNetV3Large(input_shape=(96, 96, 3), include_top=False, weights=None)
    assert large.output_shape == (None, 3, 3, 960)
    # Any image size when no input shape is given, as in Keras.
    anysize = keras.applications.MobileNetV3Small(include_top=False, weights=None, pooling="avg")
    assert anysize.input_shape == (None, None, None, 3)
    assert anysize.predict(np.zeros((1, 40, 56, 3)), verbose=0).shape == (1, 576)


# --- live, side by side with real Keras: weights copied by layer name ---------------------------


def _real_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def _random_weights(model, seed):
    """Random weights for a Keras model: variances positive, kernels scaled by their fan-in."""
    rng = np.random.default_rng(seed)
    values = []
    for w in model.weights:
        name = w.path.split("/")[-1]
        if name == "moving_variance":
            values.append(rng.uniform(0.5, 1.5, w.shape))
        elif name.endswith("kernel"):
            fan_in = np.prod(w.shape[:2]) if name == "depthwise_kernel" else np.prod(w.shape[:-1])
            values.append(rng.standard_normal(w.shape) / np.sqrt(fan_in))
        else:
            values.append(1.0 * (name == "gamma") + 0.1 * rng.standard_normal(w.shape))
    model.set_weights([v.astype("float32") for v in values])


@pytest.mark.parametrize(
    "function, kwargs",
    [
        ("MobileNetV3Small", {"input_shape": (64, 64, 3), "classes": 7}),
        ("MobileNetV3Large", {"input_shape": (33, 33, 3), "alpha": 0.75, "include_top": False, "pooling": "avg"}),
    ],
)
def test_keras_weights_copied_by_layer_name_give_keras_predictions(function, kwargs):
    real = _real_keras()
    real.backend.clear_session()
    theirs = getattr(real.applications, function)(weights=None, **kwargs)
    _random_weights(theirs, seed=3)
    ours = _build(function, kwargs)
    for layer in theirs.layers:
        if layer.weights:
            ours.get_layer(layer.name).set_weights(layer.get_weights())
    images = np.random.default_rng(4).uniform(0, 255, (3,) + kwargs["input_shape"]).astype("float32")
    expected = np.asarray(theirs.predict(images, verbose=0))
    got = ours.predict(images, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())


# --- ImageNet's weights: Keras' file names, the "models" cache folder, Keras' file layout -------


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LEARNET_HOME", str(tmp_path))
    (tmp_path / "models").mkdir()
    return tmp_path / "models"


def test_imagenet_weights_load_from_keras_file_in_the_cache(cache, monkeypatch):
    """The tutorial's call, MobileNetV3Small(input_shape=(224, 224, 3), include_top=False), with a
    file written by real Keras in the layout of its published files, under Keras' file name."""
    real = _real_keras()
    h5py = pytest.importorskip("h5py")
    from keras.src.legacy.saving import legacy_h5_format

    real.backend.clear_session()
    theirs = real.applications.MobileNetV3Small(input_shape=(224, 224, 3), include_top=False, weights=None)
    _random_weights(theirs, seed=5)
    name = "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"
    with h5py.File(cache / name, "w") as handle:
        legacy_h5_format.save_weights_to_hdf5_group(handle, theirs)
    digest = hashlib.md5((cache / name).read_bytes()).hexdigest()
    monkeypatch.setitem(mobilenet_v3.WEIGHTS_HASHES, "small_224_1.0_float", ("0" * 32, digest))
    monkeypatch.setattr("learnet.dataset_utils._download", _no_network)

    learnet.backend.clear_session()
    ours = keras.applications.MobileNetV3Small(input_shape=(224, 224, 3), include_top=False, include_preprocessing=True)
    for got, expected in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_array_equal(got, np.asarray(expected))
    images = np.random.default_rng(6).uniform(0, 255, (1, 224, 224, 3)).astype("float32")
    expected = np.asarray(theirs.predict(images, verbose=0))
    np.testing.assert_allclose(ours.predict(images, verbose=0), expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())

    # A file whose digest does not match Keras' is fetched again: no network here, so a clear error.
    monkeypatch.setitem(mobilenet_v3.WEIGHTS_HASHES, "small_224_1.0_float", ("0" * 32, "1" * 32))
    with pytest.raises(FileNotFoundError, match="could not download"):
        keras.applications.MobileNetV3Small(input_shape=(224, 224, 3), include_top=False)


def _no_network(*args, **kwargs):
    raise OSError("no network")


def test_weights_may_be_the_path_of_a_keras_weights_file(tmp_path):
    real = _real_keras()
    real.backend.clear_session()
    kwargs = {"input_shape": (32, 32, 3), "alpha": 0.75, "minimalistic": True, "classes": 5}
    theirs = real.applications.MobileNetV3Large(weights=None, **kwargs)
    _random_weights(theirs, seed=7)
    path = tmp_path / "large.weights.h5"
    theirs.save_weights(path)
    ours = keras.applications.MobileNetV3Large(weights=str(path), **kwargs)
    for got, expected in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_array_equal(got, np.asarray(expected))


@pytest.mark.parametrize(
    "function, kwargs, file_name, file_hash",
    [
        (keras.applications.MobileNetV3Small, {}, "weights_mobilenet_v3_small_224_1.0_float.h5",
         "8768d4c2e7dee89b9d02b2d03d65d862"),
        (keras.applications.MobileNetV3Small, {"include_top": False, "alpha": 0.75},
         "weights_mobilenet_v3_small_224_0.75_float_no_top_v2.h5", "ebdb5cc8e0b497cd13a7c275d475c819"),
        (keras.applications.MobileNetV3Small, {"minimalistic": True},
         "weights_mobilenet_v3_small_minimalistic_224_1.0_float.h5", "99cd97fb2fcdad2bf028eb838de69e37"),
        (keras.applications.MobileNetV3Large, {"alpha": 0.75}, "weights_mobilenet_v3_large_224_0.75_float.h5",
         "765b44a33ad4005b3ac83185abf1d0eb"),
        (keras.applications.MobileNetV3Large, {"include_top": False},
         "weights_mobilenet_v3_large_224_1.0_float_no_top_v2.h5", "07fb09a5933dd0c8eaafa16978110389"),
        (keras.applications.MobileNetV3Large, {"include_top": False, "minimalistic": True, "alpha": 1},
         "weights_mobilenet_v3_large_minimalistic_224_1.0_float_no_top_v2.h5", "ec5221f64a2f6d1ef965a614bdae7973"),
    ],
)  # fmt: skip
def test_imagenet_weights_are_fetched_by_keras_file_names(monkeypatch, function, kwargs, file_name, file_hash):
    asked = []

    def fake_get_file(fname, origin, cache_subdir="datasets", file_hash=None, **more):
        asked.append((fname, origin, cache_subdir, file_hash))
        raise RuntimeError("stop")

    monkeypatch.setattr("learnet.dataset_utils.get_file", fake_get_file)
    with pytest.warns(UserWarning, match="rows is not 224"):  # no input shape: any size
        with pytest.raises(RuntimeError, match="stop"):
            function(weights="imagenet", **kwargs)
    url = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/" + file_name
    assert asked == [(file_name, url, "models", file_hash)]


# --- bad arguments: Keras' errors, raised before any layer is made ----------------------------


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"weights": "no_such_file.h5"}, ValueError, "weights argument should be"),
        ({"weights": "imagenet", "classes": 10}, ValueError, "classes should be 1000"),
        ({"weights": "imagenet", "alpha": 0.5}, ValueError, "alpha can be one of 0.75 or 1.0"),
        ({"weights": "imagenet", "alpha": 0.75, "minimalistic": True}, ValueError, "1.0 for minimalistic"),
        ({"input_shape": (16, 64, 3)}, ValueError, "at least 32x32"),
        ({"input_shape": (64, 64)}, ValueError, r"\(rows, cols, channels\)"),
        ({"alpha": 0}, ValueError, "alpha must be a positive number"),
        ({"include_top": False, "pooling": "mean"}, ValueError, "pooling must be"),
        ({"weights": "imagenet", "classifier_activation": "relu"}, ValueError, "Only None and 'softmax'"),
        ({"input_shape": (32, 32, 3), "input_tensor": np.zeros((1, 32, 32, 3))}, ValueError, "not a Keras tensor"),
        ({"input_shape": (32, 48, 3), "input_tensor": "input"}, ValueError, r"input_shape\[1\] must equal"),
        ({"dropout_rate": 1.5}, ValueError, "dropout_rate"),
    ],
)
@pytest.mark.parametrize("function", ["MobileNetV3Small", "MobileNetV3Large"])
@pytest.mark.filterwarnings("ignore:input_shape is undefined")
def test_bad_arguments_raise_keras_errors_and_make_nothing(function, kwargs, error, message):
    learnet.backend.clear_session()
    if isinstance(kwargs.get("input_tensor"), str):
        kwargs = {**kwargs, "input_tensor": keras.Input(shape=(32, 32, 3))}
    kwargs = {"weights": None, **kwargs}
    with pytest.raises(error, match=message):
        getattr(keras.applications, function)(**kwargs)
    # Nothing was built: the next network's layers have their first names.
    model = keras.applications.MobileNetV3Small(input_shape=(32, 32, 3), include_top=False, weights=None)
    assert [layer.name for layer in model.layers[1:5]] == ["rescaling", "conv", "conv_bn", "activation"]


# --- gradients through the blocks (composed of learnet's differentiable ops) -------------------


@pytest.fixture
def float64():
    learnet.backend.clear_session()
    before = learnet.backend.floatx()
    learnet.backend.set_floatx("float64")
    yield
    learnet.backend.set_floatx(before)


def test_hard_sigmoid_and_hard_swish_gradients(float64):
    x = np.array([-5.0, -2.9, -1.2, 0.3, 1.7, 2.95, 4.0])
    check_gradients(lambda t: mobilenet_v3._hard_sigmoid(t) * np.arange(1.0, 8.0), [x])
    check_gradients(lambda t: mobilenet_v3._hard_swish(t) * np.arange(1.0, 8.0), [x])
    np.testing.assert_allclose(mobilenet_v3._hard_sigmoid(keras.constant(x)), np.clip(x + 3, 0, 6) / 6)
    np.testing.assert_allclose(mobilenet_v3._hard_swish(keras.constant(x)), x * np.clip(x + 3, 0, 6) / 6)


def _block_model(**block):
    inputs = keras.Input(shape=(5, 5, 8))
    outputs = mobilenet_v3._inverted_res_block(inputs, block_id=1, **block)
    model = keras.Model(inputs, outputs)
    rng = np.random.default_rng(8)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape) for w in model.get_weights()])
    return model


@pytest.mark.parametrize(
    "block",
    [
        {"expansion": 3, "filters": 8, "kernel_size": 5, "stride": 1, "se_ratio": 0.25},
        {"expansion": 72 / 16, "filters": 16, "kernel_size": 3, "stride": 2, "se_ratio": None},
    ],
    ids=["squeeze_excite_residual", "strided"],
)
def test_inverted_res_block_gradients(float64, block):
    activation = mobilenet_v3._hard_swish if block["se_ratio"] else mobilenet_v3._relu
    model = _block_model(activation=activation, **block)
    x = np.random.default_rng(9).standard_normal((1, 5, 5, 8))
    assert {str(w.dtype) for w in model.weights} == {"float64"}  # central differences need float64
    weights = np.random.default_rng(10).standard_normal(tuple(model.output_shape[1:]))
    check_gradients(lambda t: model(t, training=False) * weights, [x], atol=1e-5)


# --- building on the network, and the module's other names -----------------------------------


def test_a_frozen_base_under_a_new_head_trains():
    learnet.backend.clear_session()
    base = keras.applications.MobileNetV3Small(
        input_shape=(32, 32, 3), include_top=False, weights=None, alpha=0.75, minimalistic=True
    )
    base.trainable = False
    inputs = keras.Input(shape=(32, 32, 3))
    x = keras.applications.mobilenet_v3.preprocess_input(inputs)
    x = base(x, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))
    before = [w.numpy().copy() for w in base.weights]
    history = model.fit(np.random.default_rng(0).uniform(0, 255, (8, 32, 32, 3)), np.arange(8) % 2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    for old, new in zip(before, base.weights):
        np.testing.assert_array_equal(old, new.numpy())


def test_preprocess_input_is_the_identity_and_decode_predictions_is_imagenet(monkeypatch):
    images = np.random.default_rng(0).uniform(0, 255, (2, 4, 4, 3))
    assert keras.applications.mobilenet_v3.preprocess_input(images) is images
    assert keras.applications.mobilenet_v3.preprocess_input(images, data_format="channels_last") is images
    seen = []
    monkeypatch.setattr(
        "learnet.applications.imagenet_utils.decode_predictions", lambda preds, top=5: seen.append(top) or "decoded"
    )
    assert keras.applications.mobilenet_v3.decode_predictions(np.zeros((1, 1000)), top=2) == "decoded"
    assert seen == [2]


def test_the_names_and_signatures_are_keras():
    assert keras.applications.mobilenet_v3.MobileNetV3Small is keras.applications.MobileNetV3Small
    assert keras.keras.applications.MobileNetV3Large is keras.applications.mobilenet_v3.MobileNetV3Large
    real = _real_keras().applications
    for name in ("MobileNetV3Small", "MobileNetV3Large"):
        ours = inspect.signature(getattr(keras.applications, name)).parameters.values()
        theirs = inspect.signature(getattr(real, name)).parameters.values()
        assert [(p.name, p.default) for p in ours] == [(p.name, p.default) for p in theirs]
    for name in ("preprocess_input", "decode_predictions"):
        ours = inspect.signature(getattr(keras.applications.mobilenet_v3, name)).parameters.values()
        theirs = inspect.signature(getattr(real.mobilenet_v3, name)).parameters.values()
        assert [(p.name, p.default) for p in ours] == [(p.name, p.default) for p in theirs]
