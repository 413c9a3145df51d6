"""Layer options and state that Keras 3 files carry, checked against real Keras 3.

* tf-idf lookups (``StringLookup``, ``IntegerLookup``, ``TextVectorization``) keep their idf
  weights as Keras does: a non-trainable ``idf_weights`` Variable, saved as ``vars/idf_weights``
  (fixture ``keras_tfidf.keras``, made by ``fixtures/make_keras_tfidf_fixture.py``, since Keras'
  lookups need TensorFlow).
* ``Bidirectional(backward_layer=...)``: the backward layer is in the config and rebuilt from it.
* ``LayerNormalization(rms_scaling=True)`` and ``Resizing``'s ``pad_to_aspect_ratio``,
  ``fill_value``, ``antialias`` and ``"bicubic"`` / ``"lanczos"`` interpolations.
* In a functional graph, an RNN called with ``initial_state`` gets no mask from its input
  (Keras passes ``mask`` only to calls with one tensor argument).

Those that need no TensorFlow run real Keras 3 (JAX) in-process.
"""

import io
import os
import warnings
import zipfile

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")
h5py = pytest.importorskip("h5py")

import learnet  # noqa: E402
from learnet.testing import check_gradients  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures")
L = learnet.layers


def _weights_layout(path):
    """``{dataset path: shape}`` of a .keras file's model.weights.h5."""
    with zipfile.ZipFile(path) as archive:
        data = archive.read("model.weights.h5")
    found = {}
    with h5py.File(io.BytesIO(data), "r") as handle:
        handle.visititems(
            lambda name, item: found.update({name: item.shape}) if isinstance(item, h5py.Dataset) else None
        )
    return found


def _linspace_weights(model):
    for layer in model.layers:
        if layer.weights:
            layer.set_weights(
                [np.linspace(-1, 1, w.size).reshape(w.shape).astype("float32") for w in layer.get_weights()]
            )


# --- G9: tf-idf weights ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tfidf():
    return np.load(os.path.join(FIXTURES, "keras_tfidf_io.npz"))


def _tfidf_inputs(io_arrays):
    return [io_arrays["colour"], io_arrays["text"], io_arrays["code"]]


def test_keras_tfidf_file_loads_with_its_idf_weights(tfidf):
    model = learnet.models.load_model(os.path.join(FIXTURES, "keras_tfidf.keras"))
    np.testing.assert_allclose(model(_tfidf_inputs(tfidf)).numpy(), tfidf["y"], atol=1e-6)
    for name in ("colours", "words", "codes"):
        layer = model.get_layer(name)
        assert layer.weights == []  # as in Keras: the idf weights are not among the layer's weights
        assert isinstance(layer.idf_weights, learnet.Variable) and not layer.idf_weights.trainable
        np.testing.assert_allclose(layer.idf_weights.numpy(), tfidf[f"{name}_idf"], rtol=1e-6)
    assert model.get_layer("words").get_vocabulary() == tfidf["words_vocabulary"].tolist()
    assert model.get_layer("codes").get_vocabulary() == tfidf["codes_vocabulary"].tolist()


def test_learnet_tfidf_file_has_keras_layout_and_round_trips(tfidf, tmp_path):
    keras_file = os.path.join(FIXTURES, "keras_tfidf.keras")
    model = learnet.models.load_model(keras_file)
    path = str(tmp_path / "tfidf.keras")
    model.save(path)
    # The same arrays in the same places as Keras writes them, so Keras reads learnet's file.
    assert _weights_layout(path) == _weights_layout(keras_file)
    again = learnet.models.load_model(path)
    np.testing.assert_allclose(again(_tfidf_inputs(tfidf)).numpy(), tfidf["y"], atol=1e-6)
    # The adapted layers' configs now carry their weights (Keras needs them beside a vocabulary).
    config = again.get_layer("codes").get_config()
    np.testing.assert_allclose(config["idf_weights"], tfidf["codes_idf"], rtol=1e-6)


def test_string_lookup_tfidf_weights_saved_as_keras_names_them(tmp_path):
    text = learnet.Input((3,), dtype="string")
    lookup = L.StringLookup(vocabulary=["a", "b", "c"], output_mode="tf_idf", idf_weights=[0.5, 1.0, 2.0])
    model = learnet.Model(text, lookup(text))
    assert lookup.weights == [] and lookup.idf_weights.shape == (4,)
    path = str(tmp_path / "lookup.keras")
    model.save(path)
    assert _weights_layout(path)["layers/string_lookup/vars/idf_weights"] == (4,)
    words = np.array([["a", "b", "z"]])
    expected = np.array([[7 / 6, 0.5, 1.0, 0.0]], dtype="float32")  # "z": OOV with the mean weight
    np.testing.assert_allclose(model(words).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(learnet.models.load_model(path)(words).numpy(), expected, rtol=1e-6)


def test_text_vectorization_tfidf_adapted_in_learnet_round_trips(tmp_path):
    vectorize = L.TextVectorization(output_mode="tf_idf", max_tokens=10, pad_to_max_tokens=True)
    vectorize.adapt(["the cat sat", "the dog ran", "a cat ran fast"])
    assert vectorize.idf_weights.shape == (10,)  # padded with zeros to max_tokens, as Keras keeps them
    text = learnet.Input((), dtype="string")
    model = learnet.Model(text, vectorize(text))
    path = str(tmp_path / "text.keras")
    model.save(path)
    layout = _weights_layout(path)
    assert layout["layers/text_vectorization/vars/idf_weights"] == vectorize.idf_weights.shape
    assert layout["layers/text_vectorization/_lookup_layer/vars/idf_weights"] == vectorize.idf_weights.shape
    sentences = np.array(["the cat ran", "a dog", "nothing known"])
    np.testing.assert_allclose(learnet.models.load_model(path)(sentences).numpy(), model(sentences).numpy())
    rebuilt = L.TextVectorization.from_config(vectorize.get_config())
    np.testing.assert_allclose(rebuilt(sentences).numpy(), vectorize(sentences).numpy())


def test_integer_lookup_tfidf_config_round_trip():
    lookup = L.IntegerLookup(output_mode="tf_idf")
    lookup.adapt(np.array([[3, 5, 5], [7, 3, 9]]))
    rebuilt = L.IntegerLookup.from_config(lookup.get_config())
    ids = np.array([[3, 9, 4], [5, 5, 7]])
    np.testing.assert_allclose(rebuilt(ids).numpy(), lookup(ids).numpy())
    np.testing.assert_allclose(rebuilt.idf_weights.numpy(), lookup.idf_weights.numpy())


def test_bad_idf_weights_are_refused_and_change_nothing():
    lookup = L.StringLookup(vocabulary=["a", "b"], output_mode="tf_idf", idf_weights=[1.0, 2.0])
    before = lookup.idf_weights.numpy()
    with pytest.raises(ValueError, match="idf_weights"):
        lookup.load_own_variables({"idf_weights": np.ones(5)})
    with pytest.raises(ValueError, match="idf_weights"):
        lookup.load_own_variables({"idf_weights": np.ones((3, 1))})
    with pytest.raises(KeyError):
        lookup.load_own_variables({})
    np.testing.assert_array_equal(lookup.idf_weights.numpy(), before)
    with pytest.raises(ValueError, match="needs idf_weights"):  # as Keras: a vocabulary needs its weights
        L.StringLookup(vocabulary=["a", "b"], output_mode="tf_idf")


def test_keras_config_without_idf_weights_waits_for_the_weights_file():
    # An adapted layer's config from a Keras file: the vocabulary (from the assets), no weights.
    config = L.StringLookup(output_mode="tf_idf").get_config()
    config["vocabulary"] = ["[UNK]", "x", "y"]
    layer = L.StringLookup.from_config(config)
    with pytest.raises(RuntimeError, match="no idf weights yet"):
        layer(np.array([["x"]]))
    layer.load_own_variables({"idf_weights": np.array([0.5, 1.0, 2.0], dtype="float32")})
    np.testing.assert_allclose(layer(np.array([["x", "y", "q"]])).numpy(), [[0.5, 1.0, 2.0]])
    assert layer.get_config()["idf_weights"] == [0.5, 1.0, 2.0]


# --- G10: Bidirectional(backward_layer=...) -------------------------------------------------------------


def _bidirectional_model(M):
    inputs = M.Input((4, 2))
    wrapper = M.layers.Bidirectional(
        M.layers.LSTM(3, return_sequences=True),
        backward_layer=M.layers.GRU(2, go_backwards=True, return_sequences=True),
    )
    return M.Model(inputs, wrapper(inputs))


def test_bidirectional_backward_layer_config_and_files_both_ways(tmp_path):
    x = np.random.default_rng(2).normal(size=(2, 4, 2)).astype("float32")
    ours, theirs = _bidirectional_model(learnet), _bidirectional_model(keras)
    _linspace_weights(theirs)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), atol=1e-5)
    wrapper = ours.layers[1]
    config = wrapper.get_config()
    assert config["backward_layer"]["class_name"] == "GRU"
    assert config["layer"]["config"]["name"] == "forward_lstm"  # Keras' name, kept whole
    rebuilt = L.Bidirectional.from_config(config)
    assert type(rebuilt.backward_layer).__name__ == "GRU" and rebuilt.backward_layer.units == 2
    assert rebuilt.forward_layer.name == "forward_lstm"
    # learnet's file, read by learnet and by Keras; Keras' file read by learnet.
    ours_path, theirs_path = str(tmp_path / "ours.keras"), str(tmp_path / "theirs.keras")
    ours.save(ours_path)
    theirs.save(theirs_path)
    np.testing.assert_allclose(learnet.models.load_model(ours_path)(x).numpy(), np.asarray(theirs(x)), atol=1e-5)
    np.testing.assert_allclose(np.asarray(keras.models.load_model(ours_path)(x)), np.asarray(theirs(x)), atol=1e-5)
    np.testing.assert_allclose(learnet.models.load_model(theirs_path)(x).numpy(), np.asarray(theirs(x)), atol=1e-5)


def test_bidirectional_old_config_without_backward_layer_still_loads():
    config = L.Bidirectional(L.LSTM(3)).get_config()
    config.pop("backward_layer")
    config["layer"]["config"]["name"] = "lstm"  # as learnet wrote it before
    rebuilt = L.Bidirectional.from_config(config)
    assert (rebuilt.forward_layer.name, rebuilt.backward_layer.name) == ("forward_lstm", "backward_lstm")
    assert rebuilt.backward_layer.go_backwards


def test_bidirectional_bad_backward_layer_is_refused():
    with pytest.raises(ValueError, match="go_backwards"):
        L.Bidirectional(L.LSTM(3), backward_layer=L.LSTM(3))
    with pytest.raises(ValueError, match="return_sequences"):
        L.Bidirectional(L.LSTM(3), backward_layer=L.LSTM(3, go_backwards=True, return_sequences=True))


# --- G12: LayerNormalization(rms_scaling=True), Resizing's options ----------------------------------------


@pytest.mark.parametrize("options", [{}, {"axis": [1, 2], "center": False, "scale": False}])
def test_layer_normalization_rms_scaling_matches_keras(options):
    x = np.random.default_rng(3).normal(1.0, 2.0, size=(2, 3, 4)).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = keras.layers.LayerNormalization(rms_scaling=True, **options)
        with pytest.warns(UserWarning, match="deprecated"):
            ours = L.LayerNormalization(rms_scaling=True, **options)
    theirs.build(x.shape)
    ours.build(x.shape)
    assert len(ours.weights) == len(theirs.weights) == 1  # gamma only, whatever center and scale say
    gamma = np.random.default_rng(4).normal(size=theirs.get_weights()[0].shape).astype("float32")
    theirs.set_weights([gamma])
    ours.set_weights([gamma])
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), atol=1e-5)
    assert ours.get_config()["rms_scaling"] is True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rebuilt = L.LayerNormalization.from_config(ours.get_config())
    rebuilt.build(x.shape)
    assert rebuilt.rms_scaling and len(rebuilt.weights) == 1 and rebuilt.beta is None


def test_layer_normalization_rms_scaling_gradients():
    x = np.random.default_rng(5).normal(size=(2, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = L.LayerNormalization(rms_scaling=True, dtype="float64")
    layer.build(x.shape)
    layer.set_weights([np.linspace(0.5, 2.0, 5)])
    check_gradients(lambda t: layer(t) ** 2, [x])


@pytest.mark.parametrize(
    "options",
    [
        {"height": 5, "width": 4, "pad_to_aspect_ratio": True},
        {"height": 6, "width": 9, "pad_to_aspect_ratio": True, "fill_value": 2.5},
        {"height": 5, "width": 5, "interpolation": "bicubic"},
        {"height": 3, "width": 11, "interpolation": "bicubic", "pad_to_aspect_ratio": True},
        {"height": 3, "width": 4, "interpolation": "lanczos3", "antialias": True},
        {"height": 4, "width": 4, "interpolation": "nearest", "pad_to_aspect_ratio": True},
    ],
)
def test_resizing_options_match_keras(options):
    x = np.random.default_rng(6).normal(size=(2, 5, 7, 3)).astype("float32")
    ours = L.Resizing(**options)
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(keras.layers.Resizing(**options)(x)), atol=1e-5)
    config = ours.get_config()
    for key, value in keras.layers.Resizing(**options).get_config().items():
        if key not in ("name", "dtype"):
            assert config[key] == value, key
    np.testing.assert_allclose(L.Resizing.from_config(config)(x).numpy(), ours(x).numpy())


def test_resizing_bicubic_gradients():
    x = np.random.default_rng(7).normal(size=(1, 3, 4, 1))
    layer = L.Resizing(5, 5, interpolation="bicubic", pad_to_aspect_ratio=True, dtype="float64")
    check_gradients(lambda t: layer(t) ** 2, [x])


def _options_model(M):
    inputs = M.Input((6, 8, 3))
    x = M.layers.Resizing(5, 5, interpolation="bicubic", pad_to_aspect_ratio=True, fill_value=0.5)(inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = M.layers.LayerNormalization(rms_scaling=True)(x)
    return M.Model(inputs, M.layers.Dense(2)(x))


def test_layer_options_keras_files_both_ways(tmp_path):
    x = np.random.default_rng(8).normal(size=(2, 6, 8, 3)).astype("float32")
    theirs, ours = _options_model(keras), _options_model(learnet)
    _linspace_weights(theirs)
    ours.set_weights(theirs.get_weights())
    expected = np.asarray(theirs(x))
    np.testing.assert_allclose(ours(x).numpy(), expected, atol=1e-5)
    ours_path, theirs_path = str(tmp_path / "ours.keras"), str(tmp_path / "theirs.keras")
    ours.save(ours_path)
    theirs.save(theirs_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(learnet.models.load_model(theirs_path)(x).numpy(), expected, atol=1e-5)
        np.testing.assert_allclose(np.asarray(keras.models.load_model(ours_path)(x)), expected, atol=1e-5)
        np.testing.assert_allclose(learnet.models.load_model(ours_path)(x).numpy(), expected, atol=1e-5)


@pytest.mark.parametrize(
    "options, error",
    [
        ({"fill_mode": "reflect"}, "fill_mode"),
        ({"interpolation": "area"}, "interpolation"),
        ({"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, "only one"),
        ({"data_format": "channels_first"}, "channels_last"),
    ],
)
def test_resizing_bad_options_are_refused(options, error):
    with pytest.raises(ValueError, match=error):
        L.Resizing(4, 4, **options)
    with pytest.raises(TypeError, match="fill_value"):
        L.Resizing(4, 4, fill_value="white")


# --- G15: no mask for an RNN called with initial_state ------------------------------------------------------


def _initial_state_model(M, return_sequences=False):
    inputs = M.Input((5, 2))
    sequence, h, c = M.layers.LSTM(2, return_sequences=True, return_state=True)(M.layers.Masking(0.0)(inputs))
    outputs = M.layers.LSTM(2, return_sequences=return_sequences)(sequence, initial_state=[h, c])
    return M.Model(inputs, outputs)


@pytest.mark.parametrize("return_sequences", [False, True])
def test_rnn_with_initial_state_gets_no_mask_as_in_keras(return_sequences):
    x = np.random.default_rng(1).normal(size=(2, 5, 2)).astype("float32")
    x[0, 3:] = 0.0
    x[1, 1] = 0.0
    ours, theirs = (_initial_state_model(M, return_sequences) for M in (learnet, keras))
    _linspace_weights(theirs)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), atol=1e-5)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-5)


def test_rnn_mask_still_passed_with_one_tensor_or_an_explicit_mask():
    x = np.random.default_rng(9).normal(size=(1, 4, 2)).astype("float32")
    x[:, 2:] = 0.0
    lstm = L.LSTM(2)
    masked = lstm(L.Masking(0.0)(x))
    np.testing.assert_allclose(masked.numpy(), lstm(x[:, :2]).numpy(), atol=1e-6)
    state = [learnet.zeros((1, 2)), learnet.zeros((1, 2))]
    explicit = lstm(x, initial_state=state, mask=np.array([[True, True, False, False]]))
    np.testing.assert_allclose(explicit.numpy(), masked.numpy(), atol=1e-6)


def test_eager_rnn_call_with_initial_state_arrays_gets_no_mask_as_in_keras():
    ids = np.array([[3, 1, 0, 0, 0], [2, 2, 2, 2, 0]])
    h0 = np.random.default_rng(0).normal(size=(2, 3)).astype("float32")
    results = []
    for M in (keras, learnet):
        embedding, lstm = M.layers.Embedding(10, 4, mask_zero=True), M.layers.LSTM(3)
        embedding.build((None, 5))
        lstm.build((None, 5, 4))
        for layer in (embedding, lstm):
            layer.set_weights(
                [np.linspace(-1, 1, w.size).reshape(w.shape).astype("float32") for w in layer.get_weights()]
            )
        results.append(np.asarray(lstm(embedding(ids), initial_state=[h0, np.zeros_like(h0)])))
    np.testing.assert_allclose(results[1], results[0], atol=1e-5)
