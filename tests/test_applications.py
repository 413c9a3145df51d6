"""``keras.applications`` against real Keras 3 (fixture made by fixtures/make_keras_applications_fixture.py).

Each network is built at a small size and compared layer by layer (name, class, weight
shapes, in Keras' order), in its parameter count and output shape; the networks run forward
are given the same weights as Keras' were and must give the same outputs. The ImageNet path
is checked with a weights file written by real Keras in the layout of Keras' published files,
put into a temporary cache.
"""

import hashlib
import importlib
import importlib.util
import inspect
import json
import os
from pathlib import Path

import numpy as np
import pytest

import learnet
import learnet as keras
from learnet.applications import _common, imagenet_utils

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _fixture_module():
    path = FIXTURES / "make_keras_applications_fixture.py"
    spec = importlib.util.spec_from_file_location("make_keras_applications_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()
REFERENCE = np.load(FIXTURES / "keras_applications_reference.npz")
# The deepest networks are checked layer by layer only, and the deepest of all are marked slow.
SLOW = {"resnet152", "resnet152v2", "efficientnetb6", "efficientnetb7"}
CASES = [pytest.param(*case, marks=pytest.mark.slow if case[0] in SLOW else (), id=case[0]) for case in FIXTURE.CASES]


def _build(module, function, kwargs, **more):
    learnet.backend.clear_session()
    builder = getattr(importlib.import_module(f"learnet.applications.{module}"), function)
    return builder(weights=None, **kwargs, **more)


def _learnet_layers(model):
    return [
        [layer.name, type(layer).__name__, [[int(d) for d in w.shape] for w in layer.weights]] for layer in model.layers
    ]


@pytest.mark.parametrize("case, module, function, kwargs, forward", CASES)
def test_the_network_is_keras_layer_by_layer(case, module, function, kwargs, forward):
    model = _build(module, function, kwargs)
    expected = json.loads(str(REFERENCE[f"{case}/layers"]))
    got = _learnet_layers(model)
    assert [entry[0] for entry in got] == [entry[0] for entry in expected]  # names and order first
    assert got == expected  # a Normalization's statistics and count included, as Keras 3 keeps them
    assert model.count_params() == int(REFERENCE[f"{case}/params"])
    assert list(model.output_shape) == json.loads(str(REFERENCE[f"{case}/output_shape"]))
    assert model.name == str(REFERENCE[f"{case}/name"])


@pytest.mark.parametrize("case, module, function, kwargs, forward", [c for c in CASES if c.values[4]])
def test_the_network_computes_what_keras_computes(case, module, function, kwargs, forward):
    model = _build(module, function, kwargs)
    keras_layers = json.loads(str(REFERENCE[f"{case}/layers"]))
    names = json.loads(str(REFERENCE[f"{case}/weight_names"]))
    shapes = [shape for _, _, layer_shapes in keras_layers for shape in layer_shapes]
    values = FIXTURE.fill_weights(list(zip(names, shapes)))
    model.set_weights([np.reshape(v, tuple(w.shape)) for v, w in zip(values, model.weights)])
    x = FIXTURE.batch(model.input_shape[1:])
    got = model.predict(x, verbose=0)
    expected = REFERENCE[f"{case}/output"]
    assert got.shape == expected.shape
    scale = np.max(np.abs(expected))
    np.testing.assert_allclose(got / scale, expected / scale, atol=2e-5)


# --- the ImageNet path: Keras' file name, the "models" cache folder, Keras' weights layout --------


@pytest.fixture(scope="module")
def keras_mobilenet_v2_file(tmp_path_factory):
    """MobileNetV2 (alpha 0.35, no top) written by real Keras in the layout of its published
    ImageNet files (``layer_names`` / ``weight_names``), with its weights."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    real_keras = pytest.importorskip("keras")
    h5py = pytest.importorskip("h5py")
    from keras.src.legacy.saving import legacy_h5_format

    real_keras.backend.clear_session()
    model = real_keras.applications.MobileNetV2(alpha=0.35, include_top=False, weights=None, input_shape=(96, 96, 3))
    rng = np.random.default_rng(1)
    model.set_weights([rng.standard_normal(w.shape).astype("float32") for w in model.weights])
    path = tmp_path_factory.mktemp("keras") / "weights.h5"
    with h5py.File(path, "w") as handle:
        legacy_h5_format.save_weights_to_hdf5_group(handle, model)
    return path, [np.asarray(w) for w in model.get_weights()]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LEARNET_HOME", str(tmp_path))
    (tmp_path / "models").mkdir()
    return tmp_path / "models"


def _same_weights(model, arrays):
    assert len(model.get_weights()) == len(arrays)
    for got, expected in zip(model.get_weights(), arrays):
        np.testing.assert_array_equal(got, expected)


def test_imagenet_weights_come_from_the_cache_under_keras_file_name(keras_mobilenet_v2_file, cache):
    path, arrays = keras_mobilenet_v2_file
    with h5py_layout(path) as (names, attrs):
        assert "layer_names" in attrs and names[:2] == ["input_layer", "Conv1"]
    name = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"
    (cache / name).write_bytes(path.read_bytes())
    model = keras.applications.MobileNetV2(alpha=0.35, include_top=False, weights="imagenet", input_shape=(96, 96, 3))
    _same_weights(model, arrays)


def test_a_weights_file_is_checked_against_keras_digest(keras_mobilenet_v2_file, cache, monkeypatch):
    path, arrays = keras_mobilenet_v2_file
    name = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"
    (cache / name).write_bytes(path.read_bytes())
    monkeypatch.setitem(_common.WEIGHTS_HASHES, name, hashlib.md5(path.read_bytes()).hexdigest())
    model = keras.applications.mobilenet_v2.MobileNetV2(
        alpha=0.35, include_top=False, weights="imagenet", input_shape=(96, 96, 3)
    )
    _same_weights(model, arrays)
    # A file that does not match is fetched again: there is no network here, so a clear error.
    monkeypatch.setitem(_common.WEIGHTS_HASHES, name, "0" * 32)
    monkeypatch.setattr("learnet.dataset_utils._download", _no_network)
    with pytest.raises(FileNotFoundError, match="could not download"):
        keras.applications.MobileNetV2(alpha=0.35, include_top=False, weights="imagenet", input_shape=(96, 96, 3))


def _no_network(*args, **kwargs):
    raise OSError("no network")


def test_weights_may_be_the_path_of_a_file(keras_mobilenet_v2_file):
    path, arrays = keras_mobilenet_v2_file
    model = keras.applications.MobileNetV2(alpha=0.35, include_top=False, weights=str(path), input_shape=(64, 64, 3))
    _same_weights(model, arrays)


def test_imagenet_weights_are_fetched_by_keras_file_names(cache, monkeypatch):
    asked = []

    def fake_get_file(fname, origin, cache_subdir="datasets", file_hash=None, **kwargs):
        asked.append((fname, origin, cache_subdir, file_hash))
        raise RuntimeError("stop")

    monkeypatch.setattr("learnet.dataset_utils.get_file", fake_get_file)
    calls = [
        (keras.applications.VGG16, {}, "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        (keras.applications.ResNet50, {}, "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        (keras.applications.ResNet50V2, {}, "resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        (keras.applications.MobileNet, {"alpha": 0.5}, "mobilenet_5_0_224_tf_no_top.h5"),
        (keras.applications.InceptionV3, {}, "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        (keras.applications.DenseNet121, {}, "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        (keras.applications.EfficientNetB0, {}, "efficientnetb0_notop.h5"),
    ]
    for function, kwargs, name in calls:
        with pytest.warns(UserWarning) if function is keras.applications.MobileNet else _nothing():
            with pytest.raises(RuntimeError, match="stop"):
                function(include_top=False, weights="imagenet", **kwargs)
        assert asked[-1][0] == name and asked[-1][2] == "models"
        assert asked[-1][1].endswith("/" + name)
    assert asked[1][1] == "https://storage.googleapis.com/tensorflow/keras-applications/resnet/" + asked[1][0]
    assert asked[1][3] == "4d473c1dd8becc155b73f8504c6f6626"  # Keras' digest of the file
    assert asked[-1][1] == "https://storage.googleapis.com/keras-applications/efficientnetb0_notop.h5"


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class h5py_layout:
    def __init__(self, path):
        import h5py

        self.handle = h5py.File(path, "r")

    def __enter__(self):
        attrs = dict(self.handle.attrs)
        names = [n.decode() if isinstance(n, bytes) else n for n in attrs["layer_names"]]
        return names, attrs

    def __exit__(self, *exc):
        self.handle.close()
        return False


# --- bad arguments: Keras' errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: keras.applications.VGG16(weights="nowhere.h5"), "weights argument should be either"),
        (lambda: keras.applications.ResNet50(weights="imagenet", classes=10), "classes should be 1000"),
        (lambda: keras.applications.VGG16(weights=None, include_top=False, input_shape=(16, 16, 3)), "at least 32x32"),
        (lambda: keras.applications.InceptionV3(weights=None, include_top=False, input_shape=(64, 64, 3)),
         "at least 75x75"),
        (lambda: keras.applications.Xception(weights=None, include_top=False, input_shape=(70, 71, 3)), "at least 71x71"),
        (lambda: keras.applications.ResNet50(weights="imagenet", input_shape=(128, 128, 3)), r"should be \(224, 224, 3\)"),
        (lambda: keras.applications.VGG16(weights="imagenet", include_top=False, input_shape=(64, 64, 1)),
         "must have 3 channels"),
        (lambda: keras.applications.VGG16(weights=None, input_shape=(None, None, 3)), "static input_shape"),
        (lambda: keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32)), "three integers"),
        (lambda: keras.applications.MobileNet(weights="imagenet", alpha=0.3), "alpha can be one of"),
        (lambda: keras.applications.MobileNet(weights="imagenet", depth_multiplier=2), "depth_multiplier must be 1"),
        (lambda: keras.applications.MobileNetV2(weights="imagenet", alpha=0.6), "alpha must be one of"),
        (lambda: keras.applications.DenseNet121(weights="imagenet", classifier_activation="relu"),
         "Only None and 'softmax'"),
        (lambda: keras.applications.ResNet50(weights=None, include_top=False, pooling="mean"), "pooling must be"),
    ],
)  # fmt: skip
def test_bad_arguments_raise_keras_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_an_unusual_number_of_channels_warns():
    with pytest.warns(UserWarning, match="1 or 3 input channels"):
        model = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 4))
    assert model.input_shape == (None, 32, 32, 4)


# --- building on the networks, as the tutorials do ----------------------------------------------


def test_an_input_tensor_is_where_the_network_starts():
    inputs = keras.Input(shape=(32, 32, 3))
    x = keras.layers.Rescaling(1.0 / 127.5, offset=-1)(inputs)
    base = keras.applications.MobileNetV2(input_tensor=x, include_top=False, weights=None, alpha=0.35)
    assert base.inputs[0] is inputs if isinstance(base.inputs, list) else base.inputs is inputs
    assert base.output_shape == (None, 1, 1, 1280)
    assert type(base.layers[1]).__name__ == "Rescaling"


def test_a_transfer_learning_model_trains():
    base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights=None, alpha=0.35)
    base.trainable = False
    inputs = keras.Input(shape=(32, 32, 3))
    x = keras.applications.mobilenet_v2.preprocess_input(inputs)
    x = base(x, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))
    before = [w.numpy().copy() for w in base.weights]
    history = model.fit(np.random.default_rng(0).uniform(0, 255, (8, 32, 32, 3)), np.arange(8) % 2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    for old, new in zip(before, base.weights):
        np.testing.assert_array_equal(old, new.numpy())


def test_the_names_keras_code_reaches_for():
    from learnet.applications import vgg16

    assert keras.applications.vgg16 is vgg16 and keras.applications.VGG16 is vgg16.VGG16
    assert keras.keras.applications.resnet50.ResNet50 is keras.applications.resnet.ResNet50
    assert callable(keras.applications.mobilenet_v2.preprocess_input)
    assert callable(keras.applications.imagenet_utils.decode_predictions)
    for name in keras.applications.__all__:
        assert getattr(keras.applications, name) is not None


def test_the_signatures_are_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    real = pytest.importorskip("keras").applications
    for name in keras.applications.__all__:
        ours = getattr(keras.applications, name)
        if not callable(ours) or inspect.ismodule(ours):
            continue
        theirs = getattr(real, name)
        ours_parameters = [(p.name, p.default) for p in inspect.signature(ours).parameters.values()]
        theirs_parameters = [(p.name, p.default) for p in inspect.signature(theirs).parameters.values()]
        assert ours_parameters == theirs_parameters, name


# --- preprocess_input and decode_predictions --------------------------------------------------------


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("rank", [3, 4])
def test_preprocess_input_is_keras(mode, data_format, rank):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    real = pytest.importorskip("keras").applications.imagenet_utils
    shape = (2, 3, 4, 5) if data_format == "channels_first" else (2, 4, 5, 3)
    x = np.random.default_rng(0).uniform(0, 255, shape[4 - rank :]).astype("float32")
    expected = real.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    np.testing.assert_allclose(
        imagenet_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode), expected, rtol=1e-6
    )
    tensor = imagenet_utils.preprocess_input(keras.constant(x), data_format=data_format, mode=mode)
    np.testing.assert_allclose(tensor.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_preprocess_input_changes_a_float_array_in_place_and_converts_integers():
    x = np.full((1, 2, 2, 3), 255.0, dtype="float32")
    assert keras.applications.resnet_v2.preprocess_input(x) is x and np.all(x == 1.0)
    pixels = np.zeros((2, 2, 3), dtype="uint8")
    out = keras.applications.vgg16.preprocess_input(pixels)
    assert out.dtype == np.float32 and pixels.dtype == np.uint8
    np.testing.assert_allclose(out[0, 0], [-103.939, -116.779, -123.68], rtol=1e-6)
    assert keras.applications.efficientnet.preprocess_input(pixels) is pixels


def test_preprocess_input_in_a_functional_model():
    inputs = keras.Input(shape=(2, 2, 3))
    outputs = [module.preprocess_input(inputs) for module in (keras.applications.vgg16, keras.applications.densenet)]
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(0).uniform(0, 255, (1, 2, 2, 3)).astype("float32")
    caffe, torch = model.predict(x, verbose=0)
    np.testing.assert_allclose(caffe, imagenet_utils.preprocess_input(x.copy(), mode="caffe"), rtol=1e-5)
    np.testing.assert_allclose(torch, imagenet_utils.preprocess_input(x.copy(), mode="torch"), rtol=1e-5)


def test_preprocess_input_refuses_unknown_modes_and_formats():
    with pytest.raises(ValueError, match="mode must be one of"):
        imagenet_utils.preprocess_input(np.zeros((1, 1, 3)), mode="keras")
    with pytest.raises(ValueError, match="data_format must be"):
        keras.applications.vgg19.preprocess_input(np.zeros((1, 1, 3)), data_format="channels_middle")


@pytest.fixture
def class_index(cache, monkeypatch):
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    path = cache / "imagenet_class_index.json"
    path.write_text(json.dumps(index))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH", hashlib.md5(path.read_bytes()).hexdigest())
    return index


def test_decode_predictions_reads_the_class_index_from_the_cache(class_index):
    preds = np.zeros((2, 1000), dtype="float32")
    preds[0, [7, 3, 999]] = [0.5, 0.3, 0.2]
    preds[1, 42] = 1.0
    decoded = keras.applications.resnet50.decode_predictions(preds, top=3)
    assert decoded[0] == [("n00000007", "class_7", 0.5), ("n00000003", "class_3", 0.3), ("n00000999", "class_999", 0.2)]
    assert decoded[1][0][:2] == ("n00000042", "class_42") and len(decoded[1]) == 3
    assert keras.applications.mobilenet.decode_predictions(keras.constant(preds), top=1)[1] == [
        ("n00000042", "class_42", 1.0)
    ]


def test_decode_predictions_refuses_other_shapes(class_index):
    with pytest.raises(ValueError, match=r"shape \(samples, 1000\); got an array of shape \(1000,\)"):
        imagenet_utils.decode_predictions(np.zeros(1000))
    with pytest.raises(ValueError, match="1000"):
        keras.applications.xception.decode_predictions(np.zeros((2, 10)))


def test_efficientnet_reads_keras_weights_file_with_the_normalization_count(tmp_path):
    """EfficientNet's published files keep a Normalization's mean, variance and sample count."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    real_keras = pytest.importorskip("keras")
    h5py = pytest.importorskip("h5py")
    from keras.src.legacy.saving import legacy_h5_format

    real_keras.backend.clear_session()
    theirs = real_keras.applications.EfficientNetB0(include_top=False, weights=None, input_shape=(32, 32, 3))
    rng = np.random.default_rng(2)
    theirs.set_weights([rng.random(w.shape).astype("float32") + 0.5 for w in theirs.weights])
    path = tmp_path / "efficientnet.h5"
    with h5py.File(path, "w") as handle:
        legacy_h5_format.save_weights_to_hdf5_group(handle, theirs)
    ours = keras.applications.EfficientNetB0(include_top=False, weights=str(path), input_shape=(32, 32, 3))
    images = rng.random((2, 32, 32, 3)).astype("float32") * 255
    expected = np.asarray(theirs(images))
    np.testing.assert_allclose(ours.predict(images, verbose=0), expected, rtol=1e-3, atol=1e-3 * np.abs(expected).max())
