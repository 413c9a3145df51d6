"""Recurrent layers, masks and Bidirectional: outputs equal real Keras 3 for the same weights.

The expected outputs were computed once with Keras 3 (JAX backend) by
``fixtures/make_recurrent_fixtures.py`` and committed next to it.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import layers

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SPEC = json.loads((FIXTURES / "recurrent_keras.json").read_text())
DATA = np.load(FIXTURES / "recurrent_keras.npz")
UNITS = 3


def _arrays(prefix):
    found, i = [], 0
    while f"{prefix}{i}" in DATA:
        found.append(DATA[f"{prefix}{i}"])
        i += 1
    return found


def _make_layer(case):
    if case["layer"] == "RNN":
        layer = layers.RNN(getattr(layers, case["cell"])(UNITS), **case["kwargs"])
    else:
        layer = getattr(layers, case["layer"])(UNITS, **case["kwargs"])
    if "bidirectional" in case:
        layer = layers.Bidirectional(layer, merge_mode=case["bidirectional"])
    return layer


def _label(case):
    parts = [case["name"], case.get("cell", case["layer"])]
    parts += [k if v is True else f"{k}={v}" for k, v in case["kwargs"].items()]
    if "bidirectional" in case:
        parts.append(f"bidirectional={case['bidirectional']}")
    parts += [key for key in ("mask", "initial_state") if case.get(key)]
    return "-".join(parts)


@pytest.mark.parametrize("case", SPEC["cases"], ids=[_label(c) for c in SPEC["cases"]])
def test_layer_output_equals_keras(case):
    name = case["name"]
    layer = _make_layer(case)
    x = DATA[f"{name}/x"]
    kwargs = {}
    if case.get("mask"):
        kwargs["mask"] = tf.constant(DATA[f"{name}/mask"])
    if case.get("initial_state"):
        kwargs["initial_state"] = [tf.constant(s) for s in _arrays(f"{name}/state")]
    layer.build(x.shape)
    layer.set_weights(_arrays(f"{name}/w"))
    outputs = layer(x, **kwargs)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    expected = _arrays(f"{name}/out")
    assert len(outputs) == len(expected)
    for got, want in zip(outputs, expected):
        assert tuple(got.shape) == want.shape
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=2e-6)


def _pipeline(name):
    steps = 5
    if name == "embedding_lstm_pool":
        return tf.keras.Sequential(
            [
                layers.Input((steps,), dtype="int32"),
                layers.Embedding(10, 4, mask_zero=True),
                layers.LSTM(UNITS, return_sequences=True),
                layers.GlobalAveragePooling1D(),
            ]
        )
    if name == "masking_gru":
        return tf.keras.Sequential(
            [
                layers.Input((steps, 4)),
                layers.Masking(mask_value=0.0),
                layers.GRU(UNITS, return_sequences=True),
                layers.GRU(UNITS),
            ]
        )
    return tf.keras.Sequential(
        [
            layers.Input((steps,), dtype="int32"),
            layers.Embedding(10, 4, mask_zero=True),
            layers.Bidirectional(layers.LSTM(UNITS, return_sequences=True)),
            layers.LSTM(UNITS),
            layers.Dense(1, activation="sigmoid"),
        ]
    )


@pytest.mark.parametrize("name", SPEC["pipelines"])
def test_masks_flow_through_a_model_as_in_keras(name):
    model = _pipeline(name)
    model.set_weights(_arrays(f"{name}/w"))
    x = DATA[f"{name}/x"]
    np.testing.assert_allclose(model(x).numpy(), DATA[f"{name}/out0"], rtol=1e-5, atol=2e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0), DATA[f"{name}/out0"], rtol=1e-5, atol=2e-6)


def test_functional_model_with_mask_and_initial_state():
    ids = layers.Input((5,), dtype="int32")
    h = layers.Input((UNITS,))
    c = layers.Input((UNITS,))
    emb, lstm = layers.Embedding(10, 4, mask_zero=True), layers.LSTM(UNITS)
    out = lstm(emb(ids), initial_state=[h, c])
    model = tf.keras.Model([ids, h, c], out)
    x = np.array([[3, 1, 0, 0, 0], [2, 2, 2, 2, 0]])
    h0 = np.random.default_rng(0).normal(size=(2, UNITS)).astype("float32")
    got = model([x, h0, np.zeros_like(h0)]).numpy()
    # As in Keras 3, a call with several tensors (initial_state=) gets no mask on its own: the
    # padding is read like any step, as when the layer is called directly.
    direct = lstm(emb(x), initial_state=[h0, np.zeros_like(h0)]).numpy()
    np.testing.assert_allclose(got, direct, rtol=1e-5, atol=1e-6)
    # Given the mask by name, padding changes nothing: the same as cutting it off.
    masked = lstm(emb(x), initial_state=[h0, np.zeros_like(h0)], mask=x != 0).numpy()
    for row, length in enumerate((2, 4)):
        alone = lstm(emb(x[row : row + 1, :length]), initial_state=[h0[row : row + 1], np.zeros((1, UNITS), "float32")])
        np.testing.assert_allclose(masked[row], alone.numpy()[0], rtol=1e-5, atol=1e-6)


def test_embedding_mask_zero_leaves_a_mask_on_its_output():
    out = layers.Embedding(10, 2, mask_zero=True)(tf.constant([[4, 0, 2]]))
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, False, True]])
    assert getattr(layers.Embedding(10, 2)(tf.constant([[4, 0]])), "_keras_mask", None) is None


def test_last_output_drops_the_mask_and_sequences_keep_it():
    x = layers.Embedding(10, 2, mask_zero=True)(tf.constant([[4, 0, 2]]))
    assert getattr(layers.LSTM(2)(x), "_keras_mask", None) is None
    np.testing.assert_array_equal(layers.GRU(2, return_sequences=True)(x)._keras_mask.numpy(), [[True, False, True]])


def test_global_average_pooling_1d_averages_unmasked_steps_only():
    x = tf.constant([[[1.0], [3.0], [100.0]], [[2.0], [4.0], [6.0]]])
    mask = tf.constant([[True, True, False], [True, True, True]])
    np.testing.assert_allclose(layers.GlobalAveragePooling1D()(x, mask=mask).numpy(), [[2.0], [4.0]])
    np.testing.assert_allclose(layers.GlobalAveragePooling1D()(x).numpy(), [[104 / 3], [4.0]], rtol=1e-6)
    # A sequence with nothing left gives zeros, not NaN.
    empty = layers.GlobalAveragePooling1D()(x, mask=tf.constant([[False] * 3, [True] * 3]))
    np.testing.assert_allclose(empty.numpy(), [[0.0], [4.0]])


def test_layers_train_through_the_fused_ops():
    # The weights of every kind of layer get gradients and one SGD step lowers the loss.
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 6, 3)).astype("float32")
    y = rng.normal(size=(8, 2)).astype("float32")
    for layer in (
        layers.SimpleRNN(2),
        layers.LSTM(2, dropout=0.2, recurrent_dropout=0.2),
        layers.GRU(2, go_backwards=True),
        layers.Bidirectional(layers.GRU(1), merge_mode="concat"),
    ):
        model = tf.keras.Sequential([layers.Input((6, 3)), layer])
        model.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss="mse")
        before = model.evaluate(x, y, verbose=0)
        model.fit(x, y, epochs=3, batch_size=8, verbose=0)
        assert model.evaluate(x, y, verbose=0) < before, type(layer).__name__


def test_dropout_only_in_training_and_the_same_mask_at_every_step():
    layer = layers.SimpleRNN(3, dropout=0.5, recurrent_dropout=0.5, seed=3)
    x = np.ones((4, 5, 2), "float32")
    inference = layer(x).numpy()
    np.testing.assert_allclose(layer(x).numpy(), inference)
    assert not np.allclose(layer(x, training=True).numpy(), inference)


def test_stateful_layer_carries_states_between_calls():
    x = np.random.default_rng(2).normal(size=(2, 6, 3)).astype("float32")
    whole = layers.GRU(4, return_sequences=True)
    expected = whole(x).numpy()
    stateful = layers.GRU(4, return_sequences=True, stateful=True)
    stateful.build(x.shape)
    stateful.set_weights(whole.get_weights())
    first, second = stateful(x[:, :3]).numpy(), stateful(x[:, 3:]).numpy()
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), expected, rtol=1e-5, atol=1e-6)
    stateful.reset_states()
    np.testing.assert_allclose(stateful(x[:, :3]).numpy(), first, rtol=1e-6)


class MinimalCell(layers.Layer):
    """A user's own cell, as in the Keras guide: it runs through the step-by-step loop."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

    def call(self, inputs, states):
        output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
        return output, [output]


def test_custom_cell_runs_step_by_step_and_equals_simple_rnn_with_linear_activation():
    x = np.random.default_rng(3).normal(size=(2, 4, 3)).astype("float32")
    mask = tf.constant([[True, True, False, True], [True, False, False, False]])
    custom = layers.RNN(MinimalCell(2), return_sequences=True)
    simple = layers.SimpleRNN(2, activation="linear", use_bias=False, return_sequences=True)
    custom.build(x.shape)
    simple.build(x.shape)
    simple.set_weights(custom.get_weights())
    np.testing.assert_allclose(custom(x, mask=mask).numpy(), simple(x, mask=mask).numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: layers.LSTM(0), "units must be a positive integer"),
        (lambda: layers.GRU(3, dropout=1.5), "dropout must be in"),
        (lambda: layers.RNN("lstm"), "cell must be a layer"),
        (lambda: layers.Bidirectional(layers.Dense(3)), "needs a recurrent layer"),
        (lambda: layers.Bidirectional(layers.LSTM(3), merge_mode="max"), "merge_mode must be one of"),
    ],
)
def test_bad_arguments_get_a_clear_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_inputs_get_a_clear_error_and_change_nothing():
    layer = layers.LSTM(3)
    x = np.ones((2, 4, 5), "float32")
    layer(x)
    weights = [w.copy() for w in layer.get_weights()]
    with pytest.raises(ValueError, match=r"LSTM 'lstm\w*' expects inputs of rank 3"):
        layer(np.ones((2, 5), "float32"))
    with pytest.raises(ValueError, match="expects inputs with last dimension 5"):
        layer(np.ones((2, 4, 6), "float32"))
    with pytest.raises(ValueError, match="expects a mask of shape"):
        layer(x, mask=np.ones((2, 3), bool))
    with pytest.raises(ValueError, match="expects 2 initial state"):
        layer(x, initial_state=[np.zeros((2, 3), "float32")])
    with pytest.raises(ValueError, match=r"initial states of shape \(2, 3\)"):
        layer(x, initial_state=[np.zeros((2, 4), "float32")] * 2)
    for before, after in zip(weights, layer.get_weights()):
        np.testing.assert_array_equal(before, after)


def test_config_round_trip_and_saving(tmp_path):
    model = tf.keras.Sequential(
        [
            layers.Input((5,), dtype="int32"),
            layers.Embedding(10, 4, mask_zero=True),
            layers.Bidirectional(layers.GRU(3, return_sequences=True, reset_after=False), merge_mode="ave"),
            layers.LSTM(2, unit_forget_bias=False, go_backwards=True),
            layers.Dense(1),
        ]
    )
    x = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 7]])
    path = tmp_path / "rnn.keras"
    model.save(path)
    loaded = tf.keras.models.load_model(path)
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), rtol=1e-6)
    cell_layer = layers.RNN(layers.LSTMCell(3), return_state=True)
    clone = layers.RNN.from_config(cell_layer.get_config())
    assert isinstance(clone.cell, layers.LSTMCell) and clone.return_state


def test_masking_layer_zeroes_and_masks_padding_steps():
    x = tf.constant([[[1.0, 2.0], [-1.0, -1.0], [3.0, -1.0]]])
    out = layers.Masking(mask_value=-1.0)(x)
    np.testing.assert_allclose(out.numpy(), [[[1.0, 2.0], [0.0, 0.0], [3.0, -1.0]]])
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, False, True]])
