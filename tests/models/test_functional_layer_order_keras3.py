"""A functional model lists its layers (and so its weights) in Keras 3's order.

Keras orders ``model.layers`` by depth from the outputs, deepest first, ties in the order of a
depth-first walk from the outputs (a dict's by sorted key). ``model.weights``, ``get_weights``,
``set_weights``, the legacy ``.h5`` layout and the optimizer's variables follow it, so a file
written by one library fits the other. Each graph of
tests/fixtures/make_functional_layer_order_fixture.py is compared with the reference it wrote
with real Keras 3, and again with Keras in this process where it is installed; models are saved
and loaded both ways (``.keras``, ``.h5``, ``.weights.h5``).
"""

import importlib.util
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import learnet
from learnet.models.functional import build_graph, keras_layer_order

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REFERENCE = np.load(FIXTURES / "functional_layer_order_reference.npz")
KERAS_GRAPHS = json.loads(str(REFERENCE["graphs"]))


def _fixture_maker():
    spec = importlib.util.spec_from_file_location(
        "make_functional_layer_order_fixture", FIXTURES / "make_functional_layer_order_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKER = _fixture_maker()
GRAPHS = list(MAKER.GRAPHS)


def _build(api, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an unused Input: Keras warns, and so may learnet
        return MAKER.GRAPHS[name](api)


def _layer_names(model):
    # learnet lists an op on symbolic tensors (`x + 1`) as a layer; Keras does not.
    return [layer.name for layer in model.layers]


def test_there_are_many_graphs():
    assert len(GRAPHS) >= 25
    assert set(GRAPHS) == set(KERAS_GRAPHS)


@pytest.mark.parametrize("name", GRAPHS)
def test_layer_and_weight_order_matches_keras_reference(name):
    described = MAKER.describe(_build(learnet, name))
    expected = KERAS_GRAPHS[name]
    assert described["layers"] == expected["layers"]
    assert described["shapes"] == expected["shapes"]
    assert described["paths"] == expected["paths"]


@pytest.mark.parametrize("name", GRAPHS)
def test_layer_and_weight_order_matches_keras_in_process(name, keras):
    keras_model = _build(keras, name)
    model = _build(learnet, name)
    assert _layer_names(model) == [layer.name for layer in keras_model.layers]
    assert [tuple(w.shape) for w in model.weights] == [tuple(w.shape) for w in keras_model.weights]
    assert [tuple(w.shape) for w in model.trainable_weights] == [tuple(w.shape) for w in keras_model.trainable_weights]
    assert [a.shape for a in model.get_weights()] == [a.shape for a in keras_model.get_weights()]


@pytest.mark.parametrize("name", ["lstm_branches", "dict_outputs_model", "nested_model_twice", "shallow_input"])
def test_weights_move_between_keras_and_learnet_with_set_weights(name, keras):
    keras_model = _build(keras, name)
    model = _build(learnet, name)
    model.set_weights(keras_model.get_weights())
    for ours, theirs in zip(model.get_weights(), keras_model.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    keras_model.set_weights(model.get_weights())


def test_ops_on_symbolic_tensors_are_ordered_like_keras(keras):
    def build(api):
        L = api.layers
        x = api.Input((3,), name="x")
        h = L.Dense(3, name="trunk")(x)
        side = L.Dense(3, name="side")(api.ops.relu(h + 1.0))
        return api.Model(x, [L.Dense(1, name="head")(L.Dense(3, name="late")(h) * side), h])

    model = build(learnet)
    assert _layer_names(model) == [layer.name for layer in build(keras).layers]


def test_keras_layer_order_docstring_example():
    a = learnet.Input((3,), name="a")
    h = learnet.layers.Dense(4, name="h")(a)
    outputs = {"reg": learnet.layers.Dense(1, name="reg")(h), "cls": learnet.layers.Dense(3, name="cls")(h)}
    _, sources = build_graph(a, outputs)
    assert [layer.name for layer in keras_layer_order(a, outputs, sources)] == ["a", "h", "cls", "reg"]


def test_dict_outputs_keep_their_structure_while_the_layers_are_sorted():
    model = _build(learnet, "dict_outputs_model")
    assert list(model.output) == ["reg", "cls"]
    assert [layer.name for layer in model.layers] == ["a", "dense", "cls", "reg"]
    x, y = MAKER.dict_outputs_data()
    prediction = model.predict(x, verbose=0)
    assert prediction["reg"].shape == (8, 1) and prediction["cls"].shape == (8, 3)


def test_a_deep_chain_is_ordered_without_recursion_limits():
    x = learnet.Input((2,), name="x")
    h = x
    for i in range(1500):
        h = learnet.layers.Activation("linear", name=f"act_{i}")(h)
    model = learnet.Model(x, h)
    assert [layer.name for layer in model.layers][:3] == ["x", "act_0", "act_1"]
    assert model.layers[-1].name == "act_1499"


def test_a_model_with_an_unused_input_still_refuses_a_disconnected_graph():
    a = learnet.Input((3,), name="a")
    b = learnet.Input((3,), name="b")
    out = learnet.layers.Add(name="add")([a, b])
    with pytest.raises(ValueError, match="Graph disconnected"):
        learnet.Model(a, out)


# --- files, both ways -------------------------------------------------------------------------------


def _fitted_learnet_dict_model():
    learnet.random.set_seed(0)
    return MAKER.compile_and_fit(learnet, _build(learnet, "dict_outputs_model"))


def _assert_same_weights(first, second):
    assert len(first.weights) == len(second.weights)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-7)


def _optimizer_arrays(model):
    return [np.asarray(v) for v in model.optimizer.variables]


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras_file_of_dict_outputs_loads_in_learnet(suffix):
    model = learnet.models.load_model(FIXTURES / f"keras_dict_outputs{suffix}")
    assert [layer.name for layer in model.layers] == ["a", "dense", "cls", "reg"]
    x, _ = MAKER.dict_outputs_data()
    prediction = model.predict(x, verbose=0)
    np.testing.assert_allclose(prediction["reg"], REFERENCE["dict_outputs_reg"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(prediction["cls"], REFERENCE["dict_outputs_cls"], rtol=1e-5, atol=1e-6)


def test_keras_file_of_dict_outputs_keeps_its_optimizer_state_in_learnet(recwarn):
    model = learnet.models.load_model(FIXTURES / "keras_dict_outputs.keras")
    assert not [w for w in recwarn if "optimizer" in str(w.message)]
    state = model.optimizer.get_state()
    assert int(state["iterations"]) == 2
    moments = [key for key in state if key.endswith("/momentum")]
    assert len(moments) == len(model.trainable_weights)
    for index, variable in enumerate(model.trainable_weights):
        assert state[f"{index}/momentum"].shape == tuple(variable.shape)
        assert np.any(state[f"{index}/momentum"] != 0)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_learnet_file_of_dict_outputs_loads_in_keras(tmp_path, keras, suffix):
    model = _fitted_learnet_dict_model()
    path = tmp_path / f"model{suffix}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(path)
        # Keras 3 cannot compile a legacy .h5 with a dict of loss names, even one it wrote itself.
        loaded = keras.models.load_model(path, compile=suffix == ".keras")
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    _assert_same_weights(model, loaded)
    x, _ = MAKER.dict_outputs_data()
    ours, theirs = model.predict(x, verbose=0), loaded.predict(x, verbose=0)
    for key in ("reg", "cls"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, atol=1e-6)
    if suffix == ".keras":
        ours_state, theirs_state = _optimizer_arrays(model), [np.asarray(v) for v in loaded.optimizer.variables]
        assert [a.shape for a in ours_state] == [a.shape for a in theirs_state]
        for a, b in zip(ours_state, theirs_state):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras_model_of_dict_outputs_saved_in_process_loads_in_learnet(tmp_path, keras, suffix):
    keras.utils.set_random_seed(0)
    keras_model = MAKER.compile_and_fit(keras, _build(keras, "dict_outputs_model"))
    path = tmp_path / f"model{suffix}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keras_model.save(path)
    model = learnet.models.load_model(path)
    _assert_same_weights(keras_model, model)
    if suffix == ".keras":
        theirs = [np.asarray(v) for v in keras_model.optimizer.variables]
        ours = _optimizer_arrays(model)
        assert [a.shape for a in ours] == [a.shape for a in theirs]
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["lstm_branches", "shallow_input", "diamond_of_diamonds"])
def test_weights_files_of_branching_graphs_go_both_ways(tmp_path, keras, name):
    keras_model = _build(keras, name)
    model = _build(learnet, name)
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    ours = tmp_path / "ours.weights.h5"
    model.save_weights(ours)
    keras_model.load_weights(ours)
    _assert_same_weights(model, keras_model)
    keras_model.set_weights([rng.normal(size=w.shape).astype("float32") for w in keras_model.get_weights()])
    theirs = tmp_path / "theirs.weights.h5"
    keras_model.save_weights(theirs)
    model.load_weights(theirs)
    _assert_same_weights(keras_model, model)


def test_learnet_h5_of_a_branching_graph_loads_in_keras_by_position(tmp_path, keras):
    keras_model = _build(keras, "lstm_branches")
    model = _build(learnet, "lstm_branches")
    rng = np.random.default_rng(1)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    path = tmp_path / "model.h5"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(path)
        keras_model.load_weights(path)  # Keras reads a legacy file layer by layer, in order
    _assert_same_weights(model, keras_model)


# --- files written by learnet before the order followed Keras ---------------------------------------


def _old_learnet_order(model):
    """The order learnet listed a graph's layers in before: the inputs, then in run order."""
    layers = [t._keras_history.layer for t in model.inputs]
    for node in model._nodes:
        if all(node.layer is not layer for layer in layers):
            layers.append(node.layer)
    return layers


def test_the_old_order_differs_for_the_graphs_below():
    model = _build(learnet, "dict_outputs_model")
    assert [layer.name for layer in _old_learnet_order(model)] == ["a", "dense", "reg", "cls"]


def test_an_old_learnet_legacy_h5_loads_by_layer_name(tmp_path):
    import h5py

    model = _fitted_learnet_dict_model()
    path = tmp_path / "old.h5"
    model.save(path)
    with h5py.File(path, "r+") as handle:  # as older learnet wrote it: its own order of the layers
        names = [layer.name.encode() for layer in _old_learnet_order(model)]
        handle["model_weights"].attrs["layer_names"] = np.array(names)
    loaded = learnet.models.load_model(path)
    _assert_same_weights(model, loaded)
    fresh = _build(learnet, "dict_outputs_model")
    fresh.load_weights(path)
    _assert_same_weights(model, fresh)


def test_an_old_learnet_weights_npz_loads_by_weight_name(tmp_path):
    model = _build(learnet, "dict_outputs_model")
    rng = np.random.default_rng(2)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    path = tmp_path / "old.weights.npz"
    old_weights = [w for layer in _old_learnet_order(model) for w in layer.weights]
    from learnet.tensor import keras2_name

    np.savez(path, **{f"{i:04d}/{keras2_name(w)}": np.asarray(w.numpy()) for i, w in enumerate(old_weights)})
    fresh = _build(learnet, "dict_outputs_model")
    fresh.load_weights(path)
    _assert_same_weights(model, fresh)


def test_weights_npz_that_fits_by_neither_name_nor_shape_is_refused_and_changes_nothing(tmp_path):
    model = _build(learnet, "dict_outputs_model")
    path = tmp_path / "bad.weights.npz"
    arrays = {f"{i:04d}/other_{i}/kernel:0": np.zeros((2, 2), "float32") for i in range(len(model.weights))}
    np.savez(path, **arrays)
    before = model.get_weights()
    with pytest.raises(ValueError):
        model.load_weights(path)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
