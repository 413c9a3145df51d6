"""Functional models whose inputs are a nested structure, against real Keras 3.

``Model([a, b, {"p": p, "q": q}], ...)`` keeps its input structure: ``model.input`` is that
structure, ``model.inputs`` the flat list, and calling, ``predict``, ``evaluate`` and ``fit``
take data in the same structure (lists and tuples alike, a dict's keys in any order), as the
flat list of ``model.inputs``, or (a dict for a dict) with extra keys left out. The values come
from real Keras 3.15 on the same weights (fixture made by fixtures/make_nested_inputs_fixture.py);
where Keras is installed, it is also asked live which data it refuses and which files it reads.
"""

import importlib.util
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import pytest

import learnet as tf
from learnet import keras, tree
from learnet.models import data_adapter

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REFERENCE = np.load(FIXTURES / "nested_inputs_reference.npz")


def _fixture_module():
    spec = importlib.util.spec_from_file_location(
        "make_nested_inputs_fixture", FIXTURES / "make_nested_inputs_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()
X = FIXTURE.data()
FEEDS = FIXTURE.feeds(X)
TARGETS = FIXTURE.targets(X)
CASES = [(name, form) for name, forms in FEEDS.items() for form in forms]


def _model(name):
    model = FIXTURE.build_models(keras)[name]
    FIXTURE.set_fixed_weights(model)
    return model


def _by_key(outputs):
    return outputs.items() if isinstance(outputs, dict) else [("", outputs)]


def _real_keras():
    return pytest.importorskip("keras")


# --- what the model is -----------------------------------------------------------------------------


def test_the_model_keeps_its_nested_input_structure():
    model = _model("listdict")
    assert [t.name for t in model.inputs] == ["a", "b", "p", "q"]
    structure = model.input
    assert isinstance(structure, list) and len(structure) == 3
    assert structure[0] is model.inputs[0] and structure[1] is model.inputs[1]
    assert list(structure[2]) == ["p", "q"] and structure[2]["q"] is model.inputs[3]
    assert model.input_shape == [(None, 2), (None, 2), {"p": (None, 3), "q": (None, 3)}]


def test_the_dict_of_lists_model_keeps_its_structure():
    model = _model("dictlist")
    assert [t.name for t in model.inputs] == ["a", "p", "q"]
    assert list(model.input) == ["x", "y"] and [t.name for t in model.input["x"]] == ["a", "p"]


def test_a_nested_tuple_stays_a_tuple():
    model = _model("tupledict")
    inner = model.input[1]
    assert list(inner) == ["q", "p"]  # the order it was given in
    a = keras.Input((2,), name="a")
    b = keras.Input((2,), name="b")
    nested = keras.Model([a, (b,)], keras.layers.Add()([a, b]))
    assert isinstance(nested.input[1], tuple)


# --- calling, predicting, evaluating, training: the same numbers as Keras --------------------------


@pytest.mark.parametrize("name, form", CASES)
def test_call_matches_keras(name, form):
    outputs = _model(name)(FEEDS[name][form])
    for key, value in _by_key(outputs):
        np.testing.assert_allclose(value.numpy(), REFERENCE[f"{name}/call/{form}/{key}"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, form", CASES)
def test_predict_matches_keras(name, form):
    predicted = _model(name).predict(FEEDS[name][form], batch_size=4, verbose=0)
    for key, value in _by_key(predicted):
        np.testing.assert_allclose(value, REFERENCE[f"{name}/predict/{form}/{key}"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", list(FEEDS))
def test_evaluate_matches_keras(name):
    model = _model(name)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    result = model.evaluate(next(iter(FEEDS[name].values())), TARGETS[name], verbose=0)
    total = result[0] if isinstance(result, list) else result
    np.testing.assert_allclose(total, np.ravel(REFERENCE[f"{name}/evaluate"])[0], rtol=1e-5)


def _check_trained(model, name, kind, history):
    np.testing.assert_allclose(history.history["loss"], REFERENCE[f"{name}/{kind}/loss"], rtol=1e-4)
    weights = {f"{layer.name}/{i}": w for layer in model.layers for i, w in enumerate(layer.get_weights())}
    expected = [
        key.split("/", 2)[2] for key in REFERENCE.files if key.startswith(f"{name}/{kind}/") and "loss" not in key
    ]
    assert sorted(weights) == sorted(expected)
    for key, weight in weights.items():
        np.testing.assert_allclose(weight, REFERENCE[f"{name}/{kind}/{key}"], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", list(FEEDS))
def test_fit_on_nested_arrays_matches_keras(name):
    model = _model(name)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    feed = next(iter(FEEDS[name].values()))
    history = model.fit(feed, TARGETS[name], batch_size=4, epochs=2, shuffle=False, verbose=0)
    _check_trained(model, name, "fit", history)


@pytest.mark.parametrize("name", list(FEEDS))
def test_fit_on_a_dataset_of_nested_batches_matches_keras(name):
    model = _model(name)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    feed = FIXTURE.lists_to_tuples(next(iter(FEEDS[name].values())))
    dataset = tf.data.Dataset.from_tensor_slices((feed, TARGETS[name])).batch(4)
    history = model.fit(dataset, epochs=2, verbose=0)
    _check_trained(model, name, "fit_dataset", history)


def test_fit_with_validation_split_and_validation_data_in_the_nested_structure():
    model = _model("listdict")
    model.compile(optimizer="sgd", loss="mse")
    feed = FEEDS["listdict"]["list"]
    history = model.fit(feed, X["y"], validation_split=0.5, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "val_loss"}
    history = model.fit(feed, X["y"], validation_data=(FEEDS["listdict"]["tuple"], X["y"]), epochs=1, verbose=0)
    assert set(history.history) == {"loss", "val_loss"}


def test_a_dict_of_every_input_by_name_is_taken():
    model = _model("listdict")
    by_name = {"q": X["xq"], "a": X["xa"], "p": X["xp"], "b": X["xb"]}
    np.testing.assert_allclose(model.predict(by_name, verbose=0), REFERENCE["listdict/predict/tuple/"], rtol=1e-5)


def test_extra_keys_in_a_nested_dict_are_left_out():
    # Keras' predict takes them too (with a warning); the model reads only the keys it has.
    model = _model("listdict")
    feed = [X["xa"], X["xb"], {"p": X["xp"], "q": X["xq"], "unused": X["xq"] * 0}]
    np.testing.assert_allclose(model.predict(feed, verbose=0), REFERENCE["listdict/predict/tuple/"], rtol=1e-5)


def test_a_one_dimensional_column_in_a_nested_structure_becomes_a_column():
    f = keras.Input((1,), name="f")
    p = keras.Input((3,), name="p")
    model = keras.Model([f, {"p": p}], keras.layers.Dense(1)(keras.layers.Concatenate()([f, p])))
    model.compile(optimizer="sgd", loss="mse")
    column = X["xa"][:, 0]
    model.fit([column, {"p": X["xp"]}], X["y"], epochs=1, verbose=0)
    assert model.predict([column, {"p": X["xp"]}], verbose=0).shape == (6, 1)


def test_integer_inputs_in_a_nested_dict_keep_their_dtype_in_any_key_order():
    tokens = keras.Input((3,), dtype="int32", name="tokens")
    scale = keras.Input((1,), name="scale")
    embedded = keras.layers.Flatten()(keras.layers.Embedding(10, 2)(tokens))
    model = keras.Model([{"scale": scale, "tokens": tokens}], keras.layers.Dense(1)(embedded))
    assert isinstance(model.input, list)  # a one-item list holding a dict stays a list, as in Keras
    ids = np.arange(18).reshape(6, 3) % 10
    x = [{"tokens": ids, "scale": X["xa"][:, :1]}]
    dtypes, shapes = data_adapter.input_declarations(model, x)
    assert [str(np.dtype(d)) for d in dtypes] == ["int32", "float32"]
    assert list(shapes) == [(None, 3), (None, 1)]
    converted = data_adapter.standardize_predict_inputs(model, x, "predict")
    assert converted[0]["tokens"].dtype.kind == "i" and converted[0]["scale"].dtype == np.float32
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, X["y"], epochs=1, verbose=0)


# --- summary, config, files -------------------------------------------------------------------------


def test_summary_lists_every_input(capsys):
    _model("listdict").summary()
    text = capsys.readouterr().out
    for name in ["a (InputLayer)", "b (InputLayer)", "p (InputLayer)", "q (InputLayer)", "Total params: 11"]:
        assert name in text


@pytest.mark.parametrize("name", list(FEEDS))
def test_get_config_and_from_config_keep_the_structure(name):
    model = _model(name)
    config = model.get_config()
    rebuilt = keras.Model.from_config(config)
    rebuilt.set_weights(model.get_weights())
    assert tree.map_structure(lambda t: t.name, rebuilt.input) == tree.map_structure(lambda t: t.name, model.input)
    form = next(iter(FEEDS[name]))
    for key, value in _by_key(rebuilt(FEEDS[name][form])):
        np.testing.assert_allclose(value.numpy(), REFERENCE[f"{name}/call/{form}/{key}"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", list(FEEDS))
def test_keras_file_round_trip_keeps_the_structure(name, tmp_path):
    model = _model(name)
    model.save(tmp_path / "nested.keras")
    loaded = keras.models.load_model(tmp_path / "nested.keras")
    assert tree.map_structure(lambda t: t.name, loaded.input) == tree.map_structure(
        lambda t: t.name, list(model.input) if isinstance(model.input, tuple) else model.input
    )
    for form, feed in FEEDS[name].items():
        for key, value in _by_key(loaded.predict(feed, verbose=0)):
            np.testing.assert_allclose(value, REFERENCE[f"{name}/predict/{form}/{key}"], rtol=1e-5, atol=1e-6)


def test_a_nested_model_saved_by_keras_loads_here_and_ours_loads_in_keras(tmp_path):
    real = _real_keras()
    theirs = FIXTURE.build_models(real)["listdict"]
    FIXTURE.set_fixed_weights(theirs)
    theirs.save(tmp_path / "theirs.keras")
    loaded = keras.models.load_model(tmp_path / "theirs.keras")
    assert [t.name for t in loaded.inputs] == ["a", "b", "p", "q"] and isinstance(loaded.input[2], dict)
    np.testing.assert_allclose(
        loaded.predict(FEEDS["listdict"]["tuple"], verbose=0), REFERENCE["listdict/predict/tuple/"], rtol=1e-5
    )
    _model("listdict").save(tmp_path / "ours.keras")
    back = real.models.load_model(tmp_path / "ours.keras")
    assert isinstance(back.input[2], dict)
    np.testing.assert_allclose(
        np.asarray(back(FEEDS["listdict"]["tuple"])), REFERENCE["listdict/call/tuple/"], rtol=1e-5
    )


# --- data that does not match: a clear error, and nothing changes -----------------------------------

BAD = [
    (
        "a key missing from the nested dict",
        lambda: [X["xa"], X["xb"], {"p": X["xp"]}],
        r"inputs\[2\] misses the key\(s\) \['q'\]",
    ),
    (
        "a key misspelled in the nested dict",
        lambda: [X["xa"], X["xb"], {"p": X["xp"], "z": X["xq"]}],
        r"inputs\[2\] misses the key\(s\) \['q'\]",
    ),
    ("one array", lambda: X["xa"], r"inputs should be a list or tuple of 3 items, not an array"),
    ("too few items", lambda: [X["xa"], X["xb"]], r"should be a list or tuple of 3 items, not a list of 2"),
    ("a flat list too long", lambda: [X["xa"], X["xb"], X["xp"], X["xq"], X["xq"]], r"3 items, not a list of 5"),
    (
        "a dict where an array belongs",
        lambda: [{"a": X["xa"]}, X["xb"], {"p": X["xp"], "q": X["xq"]}],
        r"inputs\[0\] should be one array for Input 'a', not a dict",
    ),
    (
        "an array of the wrong width",
        lambda: [X["xa"], X["xb"], {"p": X["xa"], "q": X["xq"]}],
        r"Input 'p' \(at inputs\[2\]\['p'\]\) of model 'listdict' expects inputs of shape \(None, 3\)",
    ),
    ("a dict missing an input name", lambda: {"a": X["xa"], "b": X["xb"]}, r"missing input\(s\) \['p', 'q'\]"),
]


@pytest.mark.parametrize("case, make, message", BAD, ids=[case for case, _, _ in BAD])
def test_data_that_does_not_match_the_structure_is_refused_and_changes_nothing(case, make, message):
    model = _model("listdict")
    model.compile(optimizer="sgd", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=message):
        model(make())
    with pytest.raises(ValueError, match="listdict"):
        model.predict(make(), verbose=0)
    with pytest.raises(ValueError):
        model.fit(make(), X["y"], epochs=1, verbose=0)
    with pytest.raises(ValueError):
        model.evaluate(make(), X["y"], verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_the_structure_error_shows_both_structures():
    with pytest.raises(ValueError) as caught:
        _model("listdict")([X["xa"], X["xb"], {"p": X["xp"]}])
    text = str(caught.value)
    assert "['a', 'b', {'p': 'p', 'q': 'q'}]" in text and "{'p': array(6, 3)}" in text


def test_keras_refuses_the_same_structures():
    real = _real_keras()
    model = FIXTURE.build_models(real)["listdict"]
    for make in (lambda: [X["xa"], X["xb"], {"p": X["xp"]}], lambda: X["xa"], lambda: [X["xa"], X["xb"]]):
        with pytest.raises(ValueError):
            model(make())


def test_a_list_for_a_dict_whose_keys_are_not_sorted_is_refused():
    # Keras would read the list in sorted-key order, its own order for a dict; which value
    # goes to which key is not what a reader of the model sees, so it is refused here.
    model = _model("tupledict")
    with pytest.raises(ValueError, match=r"inputs\[1\] should be a dict with keys \['q', 'p'\]"):
        model([X["xa"], [X["xq"], X["xp"]]])
    with pytest.raises(ValueError, match="keys are\n?.*not in sorted order"):
        model([X["xa"], X["xq"], X["xp"]])


def test_a_top_level_dict_model_refuses_a_list_when_its_keys_are_not_sorted():
    p = keras.Input((3,), name="p")
    q = keras.Input((3,), name="q")
    model = keras.Model({"q": q, "p": p}, keras.layers.Add()([p, q]))
    with pytest.raises(ValueError, match="not in sorted order"):
        model([X["xq"], X["xp"]])
    np.testing.assert_allclose(model({"p": X["xp"], "q": X["xq"]}).numpy(), X["xp"] + X["xq"], rtol=1e-6)


def test_a_top_level_dict_model_names_the_missing_keys():
    p = keras.Input((3,), name="p")
    q = keras.Input((3,), name="q")
    model = keras.Model({"p": p, "q": q}, keras.layers.Add()([p, q]))
    with pytest.raises(ValueError, match=r"misses the key\(s\) \['q'\]"):
        model({"p": X["xp"]})
    np.testing.assert_allclose(model([X["xp"], X["xq"]]).numpy(), X["xp"] + X["xq"], rtol=1e-6)


def test_one_input_nested_in_lists_takes_one_array_with_a_warning():
    # keras.io's retinanet: keras.Model(inputs=[backbone.inputs], ...). Keras 3 warns that the
    # structure differs and feeds the one array to the one input.
    import learnet as keras

    base_in = keras.Input((None, None, 3))
    base = keras.Model(base_in, keras.layers.Conv2D(4, 3, name="c")(base_in))
    model = keras.Model(inputs=[base.inputs], outputs=[base.get_layer("c").output])
    x = np.zeros((2, 8, 8, 3), "float32")
    with pytest.warns(UserWarning, match="one array"):
        out = model(x)
    out = out[0] if isinstance(out, list) else out
    assert tuple(out.shape) == (2, 6, 6, 4)
