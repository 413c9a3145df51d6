"""``keras.applications`` ConvNeXt, EfficientNetV2 and InceptionResNetV2 against real Keras 3.

The fixture (fixtures/make_convnext_efficientnetv2_fixture.py) holds Keras' layers, operations,
weight names and shapes, parameter counts, output shapes and, for the small networks, their
outputs given weights made from a seed. The large variants are compared in their structure
only (built symbolically, with weights that cost nothing to make). Where real Keras is
installed, files it writes (``.weights.h5``, and the layout of its published ImageNet files)
are loaded into learnet's networks.
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
from learnet.applications import convnext, efficientnet_v2, inception_resnet_v2
from learnet.testing import check_gradients

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _fixture_module():
    path = FIXTURES / "make_convnext_efficientnetv2_fixture.py"
    spec = importlib.util.spec_from_file_location("make_convnext_efficientnetv2_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()
HELPERS = FIXTURE.applications_fixture()  # batch() and fill_weights()
REFERENCE = np.load(FIXTURES / "convnext_efficientnetv2_reference.npz")
# The biggest networks' structure, and the other networks' outputs (each network runs forward
# in one fast case), are marked slow: still run in CI, not in a quick run.
SLOW_STRUCTURE = {"convnext_base", "convnext_large", "convnext_xlarge", "efficientnetv2l"}
FAST_FORWARD = {"convnext_tiny_avg", "efficientnetv2b0_top", "efficientnetv2b0_avg", "inception_resnet_v2"}
STRUCTURE_CASES = [
    pytest.param(*case, marks=pytest.mark.slow if case[0] in SLOW_STRUCTURE else (), id=case[0])
    for case in FIXTURE.CASES
]
FORWARD_CASES = [
    pytest.param(*case, marks=() if case[0] in FAST_FORWARD else pytest.mark.slow, id=case[0])
    for case in FIXTURE.CASES
    if case[3]
]


def _build(function, kwargs):
    learnet.backend.clear_session()
    return getattr(keras.applications, function)(weights=None, **kwargs)


@pytest.fixture
def free_weights(monkeypatch):
    """Weights made as zeros (memory the system hands out untouched): a network's structure
    is built in a blink, even ConvNeXtXLarge's 348 million parameters."""

    def zeros(self, shape, dtype=None):
        return np.zeros(tuple(shape), dtype=dtype or "float32")

    for value in vars(learnet.initializers).values():
        if (
            isinstance(value, type)
            and issubclass(value, learnet.initializers.Initializer)
            and "__call__" in vars(value)
        ):
            monkeypatch.setattr(value, "__call__", zeros)


@pytest.mark.parametrize("case, function, kwargs, forward", STRUCTURE_CASES)
def test_the_network_is_keras_layer_by_layer(free_weights, case, function, kwargs, forward):
    model = _build(function, kwargs)
    # Keras 3's model.layers leaves out the graph's operations (ConvNeXt's residual `+`);
    # model.operations has them (OperationLayers in learnet), in the same places.
    got = [
        [layer.name, type(layer).__name__, [[int(d) for d in w.shape] for w in layer.weights]] for layer in model.layers
    ]
    expected = json.loads(str(REFERENCE[f"{case}/layers"]))
    assert [entry[0] for entry in got] == [entry[0] for entry in expected]  # names and order first
    assert got == expected
    assert [layer.name for layer in model.operations] == json.loads(str(REFERENCE[f"{case}/operations"]))
    # Keras numbers the unnamed weights (LayerScale's) across the whole session: "variable_7".
    expected_names = [name.split("_")[0] for name in json.loads(str(REFERENCE[f"{case}/weight_names"]))]
    assert [w.path.split("/")[-1].split("_")[0] for w in model.weights] == expected_names
    assert model.count_params() == int(REFERENCE[f"{case}/params"])
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == int(REFERENCE[f"{case}/trainable_params"])
    assert list(model.output_shape) == json.loads(str(REFERENCE[f"{case}/output_shape"]))
    assert model.name == str(REFERENCE[f"{case}/name"])


@pytest.mark.parametrize("case, function, kwargs, forward", FORWARD_CASES)
def test_the_network_computes_what_keras_computes(case, function, kwargs, forward):
    model = _build(function, kwargs)
    names = json.loads(str(REFERENCE[f"{case}/weight_names"]))
    model.set_weights(HELPERS.fill_weights(list(zip(names, [w.shape for w in model.weights]))))
    got = model.predict(HELPERS.batch(model.input_shape[1:]), verbose=0)
    expected = REFERENCE[f"{case}/output"]
    assert got.shape == expected.shape
    scale = np.max(np.abs(expected))
    np.testing.assert_allclose(got / scale, expected / scale, atol=1e-4)


def test_feature_extractors_of_any_size():
    learnet.backend.clear_session()
    model = keras.applications.EfficientNetV2B0(include_top=False, weights=None, pooling="avg")
    assert model.input_shape == (None, None, None, 3)
    assert model.predict(np.zeros((1, 40, 56, 3)), verbose=0).shape == (1, 1280)
    assert type(model.layers[1]).__name__ == "Rescaling" and type(model.layers[2]).__name__ == "Normalization"
    # S, M and L take pixels rescaled to [-1, 1], with no normalization.
    small = efficientnet_v2.EfficientNetV2S(include_top=False, weights=None, input_shape=(32, 32, 3))
    np.testing.assert_allclose(small.layers[1](np.array([0.0, 128.0, 255.0])), [-1.0, 0.0, 255 / 128 - 1])
    assert type(small.layers[2]).__name__ == "Conv2D"


# --- the layers and blocks: what they compute, and their gradients -----------------------------


@pytest.fixture
def float64():
    learnet.backend.clear_session()
    before = learnet.backend.floatx()
    learnet.backend.set_floatx("float64")
    yield
    learnet.backend.set_floatx(before)


def test_layer_scale_gradients_and_config(float64):
    layer = convnext.LayerScale(0.5, 3)
    x = np.random.default_rng(0).standard_normal((2, 4, 3))
    np.testing.assert_allclose(layer(x), 0.5 * x)
    layer.gamma.assign([1.0, -2.0, 3.0])
    check_gradients(lambda t: layer(t) * np.arange(1.0, 4.0), [x])
    with learnet.GradientTape() as tape:
        y = learnet.reduce_sum(layer(keras.constant(x)) ** 2)
    np.testing.assert_allclose(tape.gradient(y, layer.gamma), np.sum(2 * x * x * [1.0, -2.0, 3.0], axis=(0, 1)))
    assert [w.shape for w in layer.trainable_weights] == [(3,)]
    clone = convnext.LayerScale.from_config(layer.get_config())
    assert (clone.init_values, clone.projection_dim) == (0.5, 3)
    with pytest.raises(ValueError, match="last dimension 3"):
        convnext.LayerScale(0.5, 3)(np.ones((2, 4)))


def test_stochastic_depth_drops_whole_samples_in_training_only(float64):
    layer = convnext.StochasticDepth(0.25)
    x = np.random.default_rng(1).standard_normal((400, 2, 3)) + 3.0
    assert layer(x, training=False).numpy() is not None
    np.testing.assert_array_equal(layer(x), x)
    keras.utils.set_random_seed(0)
    y = layer(x, training=True).numpy()
    kept = np.all(y != 0, axis=(1, 2))
    np.testing.assert_allclose(y[kept], x[kept] / 0.75)  # kept samples are scaled up
    np.testing.assert_array_equal(y[~kept], 0.0)  # dropped ones entirely
    assert 0.6 < kept.mean() < 0.9

    def seeded(t):  # the same mask at every evaluation of the central differences
        keras.utils.set_random_seed(1)
        return layer(t, training=True) * np.arange(1.0, 7.0).reshape(2, 3)

    check_gradients(seeded, [x[:6]])
    assert convnext.StochasticDepth.from_config(layer.get_config()).drop_path_rate == 0.25
    with pytest.raises(ValueError, match="drop_path_rate"):
        convnext.StochasticDepth(1.5)


def test_custom_scale_layer_gradients(float64):
    layer = inception_resnet_v2.CustomScaleLayer(0.17)
    a, b = np.random.default_rng(2).standard_normal((2, 3, 4))
    np.testing.assert_allclose(layer([a, b]), a + 0.17 * b)
    check_gradients(lambda s, r: layer([s, r]) * np.arange(1.0, 5.0), [a, b])
    assert inception_resnet_v2.CustomScaleLayer.from_config(layer.get_config()).scale == 0.17


def _block_gradients(block, channels, seed):
    inputs = keras.Input(shape=(5, 5, channels))
    model = keras.Model(inputs, block(inputs))
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape) for w in model.get_weights()])
    assert {str(w.dtype) for w in model.weights} == {"float64"}  # central differences need float64
    x = rng.standard_normal((1, 5, 5, channels))
    weights = rng.standard_normal(tuple(model.output_shape[1:]))
    check_gradients(lambda t: model(t, training=False) * weights, [x], atol=1e-5)


def test_convnext_block_gradients(float64):
    block = convnext.ConvNeXtBlock(4, layer_scale_init_value=0.5, name="block")
    _block_gradients(block, 4, seed=3)


@pytest.mark.parametrize(
    "block",
    [
        ("MBConvBlock", {"input_filters": 4, "output_filters": 4, "expand_ratio": 2, "se_ratio": 0.25}),
        ("MBConvBlock", {"input_filters": 4, "output_filters": 6, "expand_ratio": 1, "strides": 2}),
        ("FusedMBConvBlock", {"input_filters": 4, "output_filters": 4, "expand_ratio": 2, "se_ratio": 0.5}),
        ("FusedMBConvBlock", {"input_filters": 4, "output_filters": 4, "expand_ratio": 1}),
    ],
    ids=["mbconv_se_residual", "mbconv_strided", "fused_se_residual", "fused_no_expansion"],
)
def test_efficientnetv2_block_gradients(float64, block):
    function, kwargs = block
    _block_gradients(getattr(efficientnet_v2, function)(**kwargs, name="b_"), 4, seed=4)


# --- ImageNet's weights: Keras' file names, and a clear error with no network -----------------


@pytest.mark.parametrize(
    "function, kwargs, file_name, file_hash",
    [
        ("ConvNeXtTiny", {}, "convnext/convnext_tiny.h5", convnext.WEIGHTS_HASHES["convnext_tiny"][0]),
        ("ConvNeXtBase", {"include_top": False}, "convnext/convnext_base_notop.h5",
         convnext.WEIGHTS_HASHES["convnext_base"][1]),
        ("EfficientNetV2B0", {}, "efficientnet_v2/efficientnetv2-b0.h5", "21ecbf6da12460d5c40bb2f29ceb2188"),
        ("EfficientNetV2S", {"include_top": False}, "efficientnet_v2/efficientnetv2-s_notop.h5",
         "af0682fb74e8c54910f2d4393339c070"),
        ("InceptionResNetV2", {"include_top": False},
         "inception_resnet_v2/inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
         "d19885ff4a710c122648d3b5c3b684e4"),
    ],
)  # fmt: skip
def test_imagenet_weights_are_fetched_by_keras_file_names(
    free_weights, monkeypatch, function, kwargs, file_name, file_hash
):
    asked = []

    def fake_get_file(fname, origin, cache_subdir="datasets", file_hash=None, **more):
        asked.append((fname, origin, cache_subdir, file_hash))
        raise RuntimeError("stop")

    monkeypatch.setattr("learnet.dataset_utils.get_file", fake_get_file)
    shape = (299, 299, 3) if function == "InceptionResNetV2" else (224, 224, 3)
    with pytest.raises(RuntimeError, match="stop"):
        _build_imagenet(function, {"input_shape": shape, **kwargs})
    url = "https://storage.googleapis.com/tensorflow/keras-applications/" + file_name
    assert asked == [(file_name.split("/")[-1], url, "models", file_hash)]


def _build_imagenet(function, kwargs):
    learnet.backend.clear_session()
    return getattr(keras.applications, function)(weights="imagenet", **kwargs)


def test_imagenet_weights_without_a_network_say_so(tmp_path, monkeypatch):
    monkeypatch.setenv("LEARNET_HOME", str(tmp_path))

    def no_network(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr("learnet.dataset_utils._download", no_network)
    with pytest.raises(FileNotFoundError, match="could not download .*efficientnetv2-b0_notop.h5"):
        _build_imagenet("EfficientNetV2B0", {"include_top": False, "input_shape": (32, 32, 3)})


# --- bad arguments: Keras' errors, raised before any layer is made ----------------------------


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"weights": "no_such_file.h5"}, ValueError, "weights argument should be"),
        ({"weights": "imagenet", "classes": 10}, ValueError, "classes should be 1000"),
        ({"input_shape": (16, 64, 3), "include_top": False}, ValueError, "at least"),
        ({"input_shape": (64, 64), "include_top": False}, ValueError, "input_shape must be a tuple of three"),
        ({"include_top": False, "pooling": "mean"}, ValueError, "pooling must be"),
        ({"weights": "imagenet", "classifier_activation": "relu"}, ValueError, "Only None and 'softmax'"),
        ({"input_shape": (80, 80, 3), "input_tensor": np.zeros((1, 80, 80, 3))}, ValueError, "must be a KerasTensor"),
    ],
)
@pytest.mark.parametrize("function", ["ConvNeXtTiny", "EfficientNetV2B0", "InceptionResNetV2"])
@pytest.mark.filterwarnings("ignore:input_shape is undefined")
def test_bad_arguments_raise_keras_errors_and_make_nothing(function, kwargs, error, message):
    learnet.backend.clear_session()
    kwargs = {"weights": None, **kwargs}
    with pytest.raises(error, match=message):
        getattr(keras.applications, function)(**kwargs)
    # Nothing was built: the next layers made have their first names.
    assert keras.layers.Dense(1).name == "dense"
    assert keras.layers.Conv2D(1, 1).name == "conv2d"


def test_imagenet_convnext_needs_the_variant_in_its_name(free_weights):
    learnet.backend.clear_session()
    with pytest.raises(ValueError, match='name must contain the weights variant .*"convnext_tiny"'):
        keras.applications.ConvNeXtTiny(name="my_net")
    assert keras.layers.Dense(1).name == "dense"


def test_efficientnetv2_without_stages_says_so():
    with pytest.raises(ValueError, match="num_repeat=0"):
        efficientnet_v2.EfficientNetV2(
            1.0, 1.0, 224, weights=None, blocks_args=[{**efficientnet_v2._B_STAGES[0], "num_repeat": 0}]
        )


# --- the modules' other names -----------------------------------------------------------------


def test_preprocess_input_and_decode_predictions(monkeypatch):
    images = np.random.default_rng(0).uniform(0, 255, (2, 4, 4, 3))
    assert keras.applications.convnext.preprocess_input(images) is images
    assert keras.applications.efficientnet_v2.preprocess_input(images, data_format="channels_last") is images
    expected = images / 127.5 - 1
    np.testing.assert_allclose(keras.applications.inception_resnet_v2.preprocess_input(images.copy()), expected)
    seen = []
    monkeypatch.setattr(
        "learnet.applications.imagenet_utils.decode_predictions", lambda preds, top=5: seen.append(top) or "decoded"
    )
    for module in (convnext, efficientnet_v2, inception_resnet_v2):
        assert module.decode_predictions(np.zeros((1, 1000)), top=2) == "decoded"
    assert seen == [2, 2, 2]


NAMES = {
    "convnext": ["ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge"],
    "efficientnet_v2": [f"EfficientNetV2{v}" for v in ("B0", "B1", "B2", "B3", "S", "M", "L")],
    "inception_resnet_v2": ["InceptionResNetV2"],
}


def _real_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def test_the_names_and_signatures_are_keras():
    real = _real_keras().applications
    for module, functions in NAMES.items():
        for name in functions + ["preprocess_input", "decode_predictions"]:
            ours = getattr(getattr(keras.applications, module), name)
            theirs = getattr(getattr(real, module), name)
            assert [(p.name, p.default) for p in inspect.signature(ours).parameters.values()] == [
                (p.name, p.default) for p in inspect.signature(theirs).parameters.values()
            ], name
        for name in functions:
            assert getattr(keras.applications, name) is getattr(getattr(keras.applications, module), name)


# --- files written by real Keras (slow: Keras builds its networks slowly) ---------------------


def _random_weights(model, seed):
    """Random weights for a Keras model: variances positive, kernels scaled by their fan-in."""
    names = [(w.path.split("/")[-1], w.shape) for w in model.weights]
    model.set_weights(HELPERS.fill_weights(names, seed=seed))


# One network here (real Keras builds the large ones slowly); the weight order of every family
# is checked against Keras' own weights by the forward cases above, and ConvNeXt's nested file
# layout by the cache test below.
@pytest.mark.slow
@pytest.mark.parametrize(
    "function, kwargs",
    [("EfficientNetV2B0", {"input_shape": (32, 32, 3), "include_top": False, "pooling": "avg"})],
)
def test_a_keras_weights_file_loads_into_learnet(tmp_path, function, kwargs):
    real = _real_keras()
    real.backend.clear_session()
    theirs = getattr(real.applications, function)(weights=None, **kwargs)
    _random_weights(theirs, seed=5)
    path = tmp_path / "theirs.weights.h5"
    theirs.save_weights(path)
    learnet.backend.clear_session()
    ours = getattr(keras.applications, function)(weights=str(path), **kwargs)
    for got, expected in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_array_equal(got, np.asarray(expected))
    images = HELPERS.batch(kwargs["input_shape"], seed=6)
    expected = np.asarray(theirs.predict(images, verbose=0))
    np.testing.assert_allclose(ours.predict(images, verbose=0), expected, atol=1e-4 * np.abs(expected).max())


@pytest.mark.slow
def test_imagenet_weights_load_from_a_keras_file_in_the_cache(tmp_path, monkeypatch):
    """A file in the layout of Keras' published ones (ConvNeXt's holds the nested stem and
    downsampling models), under Keras' file name in the ``models`` cache folder."""
    real = _real_keras()
    h5py = pytest.importorskip("h5py")
    from keras.src.legacy.saving import legacy_h5_format

    monkeypatch.setenv("LEARNET_HOME", str(tmp_path))
    (tmp_path / "models").mkdir()
    real.backend.clear_session()
    theirs = real.applications.ConvNeXtTiny(input_shape=(32, 32, 3), include_top=False, weights=None)
    _random_weights(theirs, seed=7)
    file_name = tmp_path / "models" / "convnext_tiny_notop.h5"
    with h5py.File(file_name, "w") as handle:
        legacy_h5_format.save_weights_to_hdf5_group(handle, theirs)
    digest = hashlib.sha256(file_name.read_bytes()).hexdigest()
    monkeypatch.setitem(convnext.WEIGHTS_HASHES, "convnext_tiny", ("0" * 64, digest))
    monkeypatch.setattr("learnet.dataset_utils._download", _no_network)

    learnet.backend.clear_session()
    ours = keras.applications.ConvNeXtTiny(input_shape=(32, 32, 3), include_top=False)
    for got, expected in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_array_equal(got, np.asarray(expected))


def _no_network(*args, **kwargs):
    raise OSError("no network")
