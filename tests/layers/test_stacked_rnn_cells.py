"""StackedRNNCells: several cells run as one inside RNN(...), as in Keras 3."""

import numpy as np
import pytest

import learnet as tf
from learnet import layers
from learnet.testing import check_gradients

TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}
MASK = np.array([[1, 1, 0, 1, 1], [1, 0, 0, 0, 0], [1, 1, 1, 1, 1]], bool)


def _pair(keras, **arguments):
    """The same RNN of an LSTMCell(4) and a GRUCell(3), in learnet and in Keras, with equal weights."""
    rng = np.random.default_rng(0)
    ours = layers.RNN(layers.StackedRNNCells([layers.LSTMCell(4), layers.GRUCell(3)]), **arguments)
    theirs = keras.layers.RNN(
        keras.layers.StackedRNNCells([keras.layers.LSTMCell(4), keras.layers.GRUCell(3)]), **arguments
    )
    ours.build((3, 5, 6))
    theirs.build((3, 5, 6))
    ours.set_weights([rng.normal(scale=0.4, size=w.shape).astype("float32") for w in ours.get_weights()])
    theirs.set_weights(ours.get_weights())
    return ours, theirs


def _assert_same(ours, theirs):
    ours = ours if isinstance(ours, list) else [ours]
    theirs = list(theirs) if isinstance(theirs, (list, tuple)) else [theirs]
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        if isinstance(a, list):
            _assert_same(a, b)
        else:
            np.testing.assert_allclose(a.numpy(), np.asarray(b), **TOLERANCE)


@pytest.mark.parametrize(
    "arguments, mask",
    [
        ({}, None),
        ({"return_sequences": True, "return_state": True}, None),
        ({"go_backwards": True, "return_state": True}, MASK),
        ({"return_sequences": True}, MASK),
        ({"return_sequences": True, "go_backwards": True, "zero_output_for_mask": True}, MASK),
    ],
    ids=["last", "sequences-states", "backwards-masked", "sequences-masked", "zero-output"],
)
def test_lstm_and_gru_cells_stacked_equal_keras(keras, arguments, mask):
    ours, theirs = _pair(keras, **arguments)
    x = np.random.default_rng(1).normal(size=(3, 5, 6)).astype("float32")
    call = {} if mask is None else {"mask": mask}
    _assert_same(ours(x, **call), theirs(x, **call))


def test_states_come_back_one_list_per_cell_and_go_in_the_same_way(keras):
    ours, theirs = _pair(keras, return_state=True)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 5, 6)).astype("float32")
    initial = [
        [rng.normal(size=(3, 4)).astype("float32") for _ in range(2)],
        [rng.normal(size=(3, 3)).astype("float32")],
    ]
    output, lstm_states, gru_states = ours(x, initial_state=initial)
    assert tuple(output.shape) == (3, 3)
    assert [tuple(s.shape) for s in lstm_states] == [(3, 4), (3, 4)] and [tuple(s.shape) for s in gru_states] == [
        (3, 3)
    ]
    _assert_same([output, lstm_states, gru_states], theirs(x, initial_state=initial))
    assert ours.compute_output_shape((None, 5, 6)) == [(None, 3), [(None, 4), (None, 4)], [(None, 3)]]


def test_a_list_of_cells_is_stacked(keras):
    ours = layers.RNN([layers.SimpleRNNCell(2), layers.LSTMCell(3)], return_sequences=True)
    assert isinstance(ours.cell, layers.StackedRNNCells)
    theirs = keras.layers.RNN([keras.layers.SimpleRNNCell(2), keras.layers.LSTMCell(3)], return_sequences=True)
    x = np.random.default_rng(3).normal(size=(2, 4, 5)).astype("float32")
    ours.build(x.shape)
    theirs.build(x.shape)
    theirs.set_weights(ours.get_weights())
    _assert_same(ours(x), theirs(x))


def test_state_and_output_sizes():
    cells = layers.StackedRNNCells([layers.LSTMCell(4), layers.GRUCell(3), layers.SimpleRNNCell(2)])
    assert cells.state_size == [[4, 4], 3, 2]
    assert cells.output_size == 2
    cells.build((None, 6))
    assert [tuple(c.kernel.shape) for c in cells.cells] == [(6, 16), (4, 9), (3, 2)]
    assert [len(states) for states in cells.get_initial_state(batch_size=2)] == [2, 1, 1]


class MinimalCell(layers.Layer):
    """A user's own cell with one state, written as in the Keras guide (``states[0]``)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

    def call(self, inputs, states):
        output = tf.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel)
        return output, [output]


def test_a_users_cell_gets_its_states_as_a_list_and_stacks(keras):
    class KerasMinimalCell(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

        def call(self, inputs, states):
            output = keras.ops.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel)
            return output, [output]

    x = np.random.default_rng(4).normal(size=(3, 4, 2)).astype("float32")
    # (Keras cannot mask a stack whose first cell has no get_initial_state: its masked
    # output would repeat that cell's state.)
    for make_ours, make_theirs, call in [
        (lambda: MinimalCell(3), lambda: KerasMinimalCell(3), {"mask": MASK[:, :4]}),
        (
            lambda: layers.StackedRNNCells([MinimalCell(3), layers.LSTMCell(2)]),
            lambda: keras.layers.StackedRNNCells([KerasMinimalCell(3), keras.layers.LSTMCell(2)]),
            {},
        ),
    ]:
        ours = layers.RNN(make_ours(), return_sequences=True)
        theirs = keras.layers.RNN(make_theirs(), return_sequences=True)
        ours.build(x.shape)
        theirs.build(x.shape)
        theirs.set_weights(ours.get_weights())
        _assert_same(ours(x, **call), theirs(x, **call))


def test_gradients_match_central_differences():
    rng = np.random.default_rng(5)
    layer = layers.RNN(
        layers.StackedRNNCells([layers.LSTMCell(3, dtype="float64"), layers.GRUCell(2, dtype="float64")]),
        return_sequences=True,
        dtype="float64",
    )
    x = rng.normal(size=(2, 4, 3))
    layer.build(x.shape)
    lstm, gru = layer.cell.cells
    values = [rng.normal(scale=0.5, size=w.shape) for w in layer.get_weights()]
    saved = [lstm.kernel, lstm.recurrent_kernel, lstm.bias, gru.kernel, gru.recurrent_kernel, gru.bias]
    probe = rng.normal(size=(2, 4, 2))
    mask = np.array([[1, 1, 0, 1], [1, 0, 1, 1]], bool)

    def function(inputs, *weights):
        lstm.kernel, lstm.recurrent_kernel, lstm.bias, gru.kernel, gru.recurrent_kernel, gru.bias = weights
        return layer(inputs, mask=mask) * probe

    try:
        check_gradients(function, [x, *values])
    finally:
        lstm.kernel, lstm.recurrent_kernel, lstm.bias, gru.kernel, gru.recurrent_kernel, gru.bias = saved


def test_dropout_of_stacked_cells_only_in_training_with_one_mask_per_sequence():
    cells = [layers.LSTMCell(4, dropout=0.5, recurrent_dropout=0.5, seed=1), layers.GRUCell(3, dropout=0.5, seed=2)]
    layer = layers.RNN(layers.StackedRNNCells(cells), return_sequences=True)
    x = np.ones((2, 5, 3), "float32")
    inference = layer(x).numpy()
    np.testing.assert_allclose(layer(x, training=False).numpy(), inference)
    assert not np.allclose(layer(x, training=True).numpy(), inference)
    assert all("_step_masks" not in vars(cell) for cell in cells)  # forgotten when the call ends
    lstm = cells[0]
    inputs, h = tf.constant(x[:, 0]), tf.ones((2, 4))
    first = lstm._step_dropout(inputs, h, training=True)
    again = lstm._step_dropout(inputs, h, training=True)
    for a, b in zip(first, again):  # one mask for every step of a sequence
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    lstm._forget_step_masks()
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x, training=True) ** 2)
    gradients = tape.gradient(loss, layer.trainable_weights)
    assert len(gradients) == 6 and all(np.isfinite(g.numpy()).all() for g in gradients)


def test_config_round_trip():
    layer = layers.RNN(
        layers.StackedRNNCells([layers.LSTMCell(4, unit_forget_bias=False), layers.GRUCell(3, reset_after=False)]),
        return_state=True,
    )
    config = layer.get_config()
    assert config["cell"]["class_name"] == "StackedRNNCells"
    assert [c["class_name"] for c in config["cell"]["config"]["cells"]] == ["LSTMCell", "GRUCell"]
    clone = layers.RNN.from_config(config)
    assert clone.get_config() == config
    lstm, gru = clone.cell.cells
    assert lstm.units == 4 and not lstm.unit_forget_bias and gru.units == 3 and not gru.reset_after
    x = np.random.default_rng(6).normal(size=(2, 3, 5)).astype("float32")
    layer.build(x.shape)
    clone.build(x.shape)
    clone.set_weights(layer.get_weights())
    _assert_same(clone(x), [t.numpy() if not isinstance(t, list) else t for t in layer(x)])


def _stacked_model(M):
    return M.Sequential(
        [
            M.Input((5, 3)),
            M.layers.RNN(M.layers.StackedRNNCells([M.layers.LSTMCell(4), M.layers.GRUCell(3)]), return_sequences=True),
            M.layers.RNN([M.layers.SimpleRNNCell(2), M.layers.LSTMCell(3)], go_backwards=True),
            M.layers.Dense(2),
        ]
    )


@pytest.mark.parametrize("writer", ["learnet", "keras"])
def test_keras_files_travel_both_ways(keras, writer, tmp_path):
    rng = np.random.default_rng(7)
    source, reader = (tf, keras) if writer == "learnet" else (keras, tf)
    model = _stacked_model(source)
    model.set_weights([rng.normal(scale=0.4, size=w.shape).astype("float32") for w in model.get_weights()])
    model.save(tmp_path / "m.keras")
    restored = reader.models.load_model(tmp_path / "m.keras")
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(restored(x)), np.asarray(model(x)), **TOLERANCE)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: layers.StackedRNNCells([]), "cells must be a non-empty list"),
        (lambda: layers.StackedRNNCells(layers.LSTMCell(3)), "cells must be a non-empty list"),
        (lambda: layers.StackedRNNCells([layers.LSTMCell(3), layers.Dense(3)]), "every cell must be a layer"),
        (lambda: layers.RNN([layers.LSTMCell(3), "gru"]), "every cell must be a layer"),
    ],
)
def test_bad_cells_get_a_clear_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_initial_states_get_a_clear_error():
    layer = layers.RNN([layers.LSTMCell(4), layers.GRUCell(3)])
    x = np.ones((2, 5, 6), "float32")
    with pytest.raises(ValueError, match="expects 3 initial state"):
        layer(x, initial_state=[np.zeros((2, 4), "float32")] * 2)
    with pytest.raises(ValueError, match=r"initial states of shape \(2, 3\)"):
        layer(x, initial_state=[[np.zeros((2, 4), "float32")] * 2, [np.zeros((2, 4), "float32")]])
