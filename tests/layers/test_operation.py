"""Operations on symbolic tensors (``x + 1``, ``x[:, 0]``, ``keras.ops.mean(x, axis=1)``) as graph
nodes: the values, learnet's own files, and Keras 3's files both ways (against real Keras)."""

import numpy as np
import pytest

import learnet
from learnet import layers as L
from learnet.layers.operation import KERAS_OPERATIONS, OperationLayer, decode_key, encode_key
from learnet.saving import InvalidModelFileError

RNG = np.random.default_rng(5)
X = RNG.normal(size=(3, 4, 6)).astype("float32")
T = np.array([[1, 0, 2, 0], [3, 4, 0, 0], [5, 6, 7, 8]], "int32")


def _model(M):
    """The same graph of operations in learnet or in Keras (``M`` is the library)."""
    ops = M.ops
    x = M.Input((4, 6), name="x")
    t = M.Input((4,), dtype="int32", name="t")
    a = (x + 1.0) * x - 0.5
    b = 2.0 / (ops.abs(a) + 1.0) + (1.0 - x) ** 2
    c = ops.mean(b, axis=1) + ops.max(x, axis=1)
    d = x[:, 0] + x[:, -1, ::-1] + ops.mean(ops.sum(x[..., 2:4], axis=-1), axis=-1, keepdims=True)
    mask = ops.cast(ops.not_equal(t, 0), "float32")
    e = ops.concatenate([c, d, mask, ops.reshape(x, (-1, 24)), ops.sqrt(ops.square(c))], axis=-1)
    f = ops.squeeze(ops.expand_dims(e, 1), 1)
    g = ops.where(ops.greater(f, 0.0), f, -f)
    out = M.layers.Dense(3, name="head")(ops.tanh(g) - ops.relu(-g) + ops.softmax(g, axis=-1))
    return M.Model([x, t], out, name="operations")


def _eager(x, t, head):
    """What the graph computes, in NumPy."""
    a = (x + 1.0) * x - 0.5
    b = 2.0 / (np.abs(a) + 1.0) + (1.0 - x) ** 2
    c = b.mean(axis=1) + x.max(axis=1)
    d = x[:, 0] + x[:, -1, ::-1] + x[..., 2:4].sum(axis=-1).mean(axis=-1, keepdims=True)
    mask = (t != 0).astype("float32")
    e = np.concatenate([c, d, mask, x.reshape(-1, 24), np.sqrt(c**2)], axis=-1)
    g = np.abs(e)
    z = g - g.max(axis=-1, keepdims=True)
    h = np.tanh(g) - np.maximum(-g, 0) + np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    kernel, bias = head
    return h @ kernel + bias


def test_operations_on_symbolic_tensors_compute_what_numpy_computes():
    model = _model(learnet)
    assert {type(layer).__name__ for layer in model.operations} == {"InputLayer", "OperationLayer", "Dense"}
    got = model.predict([X, T], verbose=0)
    np.testing.assert_allclose(got, _eager(X, T, model.get_layer("head").get_weights()), rtol=1e-5, atol=1e-5)


def test_the_recorded_layers_name_the_keras_ops_function_and_its_fixed_arguments():
    x = learnet.Input((4, 6))
    mean = learnet.ops.mean(x, axis=1, keepdims=True)
    layer = mean._keras_history.layer
    assert (layer.operation, layer.arguments) == ("mean", {"axis": 1, "keepdims": True})
    assert tuple(mean.shape) == (None, 1, 6) and mean.dtype == np.float32
    flags = learnet.ops.not_equal(learnet.Input((4,), dtype="int32"), 0)
    assert flags.dtype == np.bool_ and flags._keras_history.layer.arguments == {}
    sliced = x[:, 1:3, None, ...]
    assert tuple(sliced.shape) == (None, 2, 1, 6)
    assert sliced._keras_history.layer.operation == "get_item"
    assert (1 - x)._keras_history.layer.operation == "subtract"


def test_a_model_of_operations_trains_and_its_gradients_reach_the_weights():
    inputs = learnet.Input((5,))
    hidden = L.Dense(8)(inputs * 0.5 + 1.0)
    outputs = L.Dense(1)(learnet.ops.tanh(hidden) * 2.0)
    model = learnet.Model(inputs, outputs)
    model.compile(optimizer=learnet.optimizers.Adam(0.02), loss="mse")
    x = RNG.normal(size=(64, 5)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    history = model.fit(x, y, epochs=20, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_the_operations_are_not_layers_of_the_model_as_in_keras(keras):
    ours, theirs = _model(learnet), _model(keras)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers] == ["x", "t", "head"]
    assert len(ours.operations) == len(theirs.operations) > len(ours.layers)
    assert [type(op).__name__ for op in ours.operations if op not in ours.layers] == ["OperationLayer"] * (
        len(ours.operations) - 3
    )
    assert ours.get_layer(index=-1) is ours.get_layer("head")
    operation = next(op for op in ours.operations if isinstance(op, OperationLayer))
    with pytest.raises(ValueError, match="No such layer"):
        ours.get_layer(operation.name)  # Keras 3 looks among the layers only
    assert len(ours.weights) == len(theirs.weights) == 2


def test_learnet_files_keep_the_operations(tmp_path):
    model = _model(learnet)
    model.save(tmp_path / "ops.learnet")
    restored = learnet.models.load_model(tmp_path / "ops.learnet")
    np.testing.assert_allclose(restored.predict([X, T], verbose=0), model.predict([X, T], verbose=0), rtol=1e-6)


def test_keys_travel_as_keras_writes_them():
    key = (slice(None), slice(1, None, -1), Ellipsis, None, 0, np.int64(2))
    encoded = encode_key(key)
    assert encoded[0] == {"class_name": "__slice__", "config": {"start": None, "stop": None, "step": None}}
    assert encoded[2] == {"class_name": "__ellipsis__", "config": {}} and encoded[5] == 2
    assert decode_key(encoded) == key


@pytest.mark.slow
def test_keras3_files_both_ways(keras, tmp_path):
    theirs = _model(keras)
    theirs.save(tmp_path / "theirs.keras")
    ours = learnet.models.load_model(tmp_path / "theirs.keras")
    expected = np.asarray(theirs([X, T]))
    np.testing.assert_allclose(ours.predict([X, T], verbose=0), expected, rtol=1e-5, atol=1e-5)
    ours.save(tmp_path / "ours.keras")
    again = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(again([X, T])), expected, rtol=1e-5, atol=1e-5)


def test_every_operation_in_the_table_is_a_keras_ops_function():
    for name in KERAS_OPERATIONS:
        assert callable(getattr(learnet.ops, name)), name


def test_code_taking_functions_and_unknown_names_are_refused():
    with pytest.raises(ValueError, match="'cond' is not a keras.ops operation"):
        OperationLayer("cond")
    with pytest.raises(ValueError, match="'no_such_op' is not a keras.ops operation"):
        OperationLayer("no_such_op")
    with pytest.raises(TypeError, match="name of a keras.ops function"):
        OperationLayer(len)
    x = learnet.Input((4,))
    with pytest.raises(TypeError, match="fixed argument"):
        learnet.ops.mean(x, axis=x)


def test_a_file_naming_an_unknown_operation_is_refused(tmp_path):
    model = _model(learnet)
    config = learnet.saving.serialize_model(model)
    entry = next(e for e in config["config"]["layers"] if e["class_name"] == "OperationLayer")
    entry["config"]["operation"] = "__import__"
    with pytest.raises((InvalidModelFileError, ValueError), match="not a keras.ops operation"):
        learnet.saving.model_from_config(config)


def test_a_keras_file_naming_an_operation_learnet_lacks_is_refused(keras, tmp_path):
    x = keras.Input((3,))
    keras.Model(x, keras.ops.logaddexp(x, x)).save(tmp_path / "m.keras")
    with pytest.raises(InvalidModelFileError, match="'Logaddexp' is not one learnet has"):
        learnet.models.load_model(tmp_path / "m.keras")


def test_eager_calls_are_unchanged():
    value = learnet.ops.mean(learnet.ops.ones((2, 3)), axis=1)
    assert isinstance(value, learnet.Tensor)
    np.testing.assert_array_equal(value.numpy(), [1.0, 1.0])
    assert learnet.ops.mean.__name__ == "mean" and "mean" in (learnet.ops.mean.__doc__ or "").lower()


def test_tensorflow_functions_on_symbolic_tensors_record_layers_too(tmp_path):
    # The Hands-On book joins an encoder's LSTM states with tf.concat in a functional model.
    steps = learnet.Input((5, 3))
    _, state_h, state_c = L.LSTM(4, return_state=True)(steps)
    joined = learnet.concat([state_h, state_c], axis=-1)
    mean = learnet.math.reduce_mean(steps, axis=1)
    model = learnet.Model(steps, L.Dense(2)(learnet.nn.relu(learnet.concat([joined, mean * 2.0], -1))))
    # In Keras 3's layer order: deepest from the output first (the mean beside the LSTM).
    assert [layer.operation for layer in model.operations if isinstance(layer, OperationLayer)] == [
        "tf:math.reduce_mean",
        "tf:concat",
        "multiply",
        "tf:concat",
        "tf:nn.relu",
    ]
    x = RNG.normal(size=(2, 5, 3)).astype("float32")
    model.save(tmp_path / "m.learnet")
    restored = learnet.models.load_model(tmp_path / "m.learnet")
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    with pytest.warns(UserWarning, match="tf.math.reduce_mean on symbolic tensors has no Keras 3 operation"):
        model.save(tmp_path / "m.keras")
    # On tensors nothing changed, and an activation given as tf.nn.relu is still found by name.
    assert isinstance(learnet.concat([learnet.ones((1, 2))] * 2, axis=0), learnet.Tensor)
    dense = L.Dense(2, activation=learnet.nn.relu)
    assert dense.get_config()["activation"] == "relu"
