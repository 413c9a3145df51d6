"""ConvLSTM1D, ConvLSTM2D and ConvLSTM3D: the same numbers as Keras 3 given the same weights,
gradients from the tape, configs and files both ways, and clear errors."""

import numpy as np
import pytest

import learnet as tf
from learnet import layers
from learnet.testing import check_gradients

TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}
LAYERS = {1: "ConvLSTM1D", 2: "ConvLSTM2D", 3: "ConvLSTM3D"}

# (rank, layer arguments, input shape, mask): each run by learnet and by Keras.
CASES = [
    (2, dict(filters=3, kernel_size=3, padding="same", return_sequences=True), (2, 4, 6, 5, 2), None),
    (2, dict(filters=3, kernel_size=(3, 2), strides=2, return_state=True), (2, 4, 7, 6, 2), None),
    (2, dict(filters=2, kernel_size=(2, 3), strides=(1, 2), padding="same", return_state=True), (2, 3, 5, 7, 3), None),
    (
        2,
        dict(filters=3, kernel_size=2, dilation_rate=2, padding="same", go_backwards=True, return_sequences=True),
        (2, 4, 7, 6, 2),
        None,
    ),
    (
        2,
        dict(filters=2, kernel_size=3, use_bias=False, activation="relu", unit_forget_bias=False),
        (3, 3, 5, 5, 1),
        None,
    ),
    (1, dict(filters=2, kernel_size=3, padding="same", return_sequences=True, return_state=True), (3, 5, 8, 2), None),
    (1, dict(filters=3, kernel_size=2, strides=2, go_backwards=True), (2, 4, 9, 1), None),
    (3, dict(filters=2, kernel_size=2, strides=(1, 2, 1)), (2, 3, 4, 5, 4, 1), None),
    (3, dict(filters=2, kernel_size=3, padding="same", return_sequences=True), (1, 2, 3, 4, 3, 2), None),
    # Keras (JAX) applies a (batch, time) mask to image states only when it unrolls the loop.
    (
        2,
        dict(filters=3, kernel_size=3, padding="same", return_sequences=True, return_state=True, unroll=True),
        (2, 4, 6, 5, 2),
        [[1, 1, 0, 1], [1, 0, 0, 0]],
    ),
    (2, dict(filters=3, kernel_size=3, go_backwards=True, unroll=True), (2, 4, 6, 5, 2), [[1, 0, 1, 1], [1, 1, 1, 0]]),
]


def _label(case):
    rank, arguments, _, mask = case
    words = [f"{key}={value}" for key, value in arguments.items() if key not in ("filters", "kernel_size")]
    return f"{LAYERS[rank]}-" + ",".join(words) + ("-masked" if mask is not None else "")


def _random_weights(layer, rng, scale=0.3):
    return [rng.normal(scale=scale, size=w.shape).astype("float32") for w in layer.get_weights()]


def _listed(outputs):
    return [np.asarray(o) for o in outputs] if isinstance(outputs, (list, tuple)) else [np.asarray(outputs)]


@pytest.mark.slow  # real Keras compiles each case's loop in JAX: seconds on a small CPU
@pytest.mark.parametrize("case", CASES, ids=_label)
def test_outputs_equal_keras_given_the_same_weights(keras, case):
    rank, arguments, shape, mask = case
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype("float32")
    ours = getattr(layers, LAYERS[rank])(**arguments)
    theirs = getattr(keras.layers, LAYERS[rank])(**arguments)
    ours.build(shape)
    theirs.build(shape)
    ours.set_weights(_random_weights(ours, rng))
    theirs.set_weights(ours.get_weights())
    call = {} if mask is None else {"mask": np.asarray(mask, bool)}
    expected = _listed(theirs(x, **call))
    got = _listed(ours(x, **call))
    assert [o.shape for o in got] == [e.shape for e in expected]
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, **TOLERANCE)
    assert [tuple(s) for s in _shapes(ours.compute_output_shape(shape))] == [o.shape for o in got]


def _shapes(shape):
    return shape if isinstance(shape, list) else [shape]


def test_initial_state_equals_keras(keras):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 5, 5, 2)).astype("float32")
    h0, c0 = (rng.normal(size=(2, 5, 5, 4)).astype("float32") for _ in range(2))
    ours = layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True)
    theirs = keras.layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True)
    ours.build(x.shape)
    theirs.build(x.shape)
    ours.set_weights(_random_weights(ours, rng))
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(
        ours(x, initial_state=[h0, c0]).numpy(), np.asarray(theirs(x, initial_state=[h0, c0])), **TOLERANCE
    )


def test_weights_are_named_and_shaped_as_in_keras():
    layer = layers.ConvLSTM2D(4, (3, 2))
    layer.build((None, 5, 8, 8, 3))
    assert [(w.name.split("/")[-1], tuple(w.shape)) for w in layer.weights] == [
        ("kernel", (3, 2, 3, 16)),
        ("recurrent_kernel", (3, 2, 4, 16)),
        ("bias", (16,)),
    ]
    bias = layer.bias.numpy()
    np.testing.assert_array_equal(bias[4:8], 1.0)  # unit_forget_bias: the forget gate starts at 1
    np.testing.assert_array_equal(np.delete(bias, range(4, 8)), 0.0)
    kernel = layer.recurrent_kernel.numpy().reshape(-1, 16)
    np.testing.assert_allclose(kernel.T @ kernel, np.eye(16), atol=1e-5)  # orthogonal columns
    assert layer.filters == 4 and layer.kernel_size == (3, 2) and layer.padding == "valid"
    assert layers.ConvLSTM1D(2, 3).kernel_size == (3,) and layers.ConvLSTM3D(2, 3).kernel_size == (3, 3, 3)


@pytest.mark.parametrize(
    "rank, arguments, shape, mask",
    [
        (2, dict(filters=2, kernel_size=2, padding="same", return_sequences=True), (1, 3, 3, 4, 2), None),
        (
            2,
            dict(filters=2, kernel_size=(2, 3), strides=(2, 1), go_backwards=True),
            (2, 3, 4, 3, 1),
            [[1, 0, 1], [1, 1, 0]],
        ),
        (1, dict(filters=2, kernel_size=2, dilation_rate=2, padding="same", return_state=True), (2, 3, 5, 2), None),
        (3, dict(filters=1, kernel_size=2, padding="same"), (1, 2, 2, 3, 2, 1), None),
    ],
)
def test_gradients_match_central_differences(rank, arguments, shape, mask):
    rng = np.random.default_rng(2)
    layer = getattr(layers, LAYERS[rank])(dtype="float64", **arguments)
    x = rng.normal(size=shape)
    layer.build(shape)
    kernel, recurrent_kernel, bias = (rng.normal(scale=0.5, size=w.shape) for w in layer.get_weights())
    mask = None if mask is None else np.asarray(mask, bool)
    cell = layer.cell
    saved = cell.kernel, cell.recurrent_kernel, cell.bias
    probes = None

    def function(inputs, k, rk, b):
        nonlocal probes
        cell.kernel, cell.recurrent_kernel, cell.bias = k, rk, b
        outputs = layer(inputs, mask=mask)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        if probes is None:
            probes = [rng.normal(size=tuple(o.shape)) for o in outputs]
        return sum(tf.reduce_sum(o * p) for o, p in zip(outputs, probes))

    try:
        check_gradients(function, [x, kernel, recurrent_kernel, bias])
    finally:
        cell.kernel, cell.recurrent_kernel, cell.bias = saved


def test_the_cell_run_step_by_step_equals_the_layer():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 4, 6, 5, 2)).astype("float32")
    layer = layers.ConvLSTM2D(3, 3, strides=2, padding="same", return_sequences=True)
    outputs = layer(x).numpy()
    cell = layer.cell
    h = c = tf.zeros((2, 3, 3, 3))
    for t in range(4):
        output, (h, c) = cell.call(tf.constant(x[:, t]), [h, c])
        np.testing.assert_allclose(output.numpy(), outputs[:, t], rtol=1e-5, atol=1e-6)


def test_dropout_only_in_training_with_the_same_masks_at_every_step():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 5, 5, 2)).astype("float32")
    layer = layers.ConvLSTM2D(3, 3, padding="same", dropout=0.5, recurrent_dropout=0.3, seed=7)
    inference = layer(x).numpy()
    np.testing.assert_allclose(layer(x, training=False).numpy(), inference)
    assert not np.allclose(layer(x, training=True).numpy(), inference)
    cell = layer.cell
    assert "_step_masks" not in vars(cell)  # the masks of a call are forgotten when it ends
    step = tf.constant(x[:, 0])
    states = [tf.constant(rng.normal(size=(2, 5, 5, 3)).astype("float32")) for _ in range(2)]
    first, _ = cell.call(step, states, training=True)
    again, _ = cell.call(step, states, training=True)  # a later step of the same sequence: the same masks
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    assert len(vars(cell)["_step_masks"]) == 8  # one input and one state mask per gate
    cell._forget_step_masks()
    assert not np.allclose(cell.call(step, states, training=True)[0].numpy(), first.numpy())
    assert not np.allclose(cell.call(step, states)[0].numpy(), first.numpy())
    cell._forget_step_masks()
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x, training=True) ** 2)
    assert all(np.isfinite(g.numpy()).all() for g in tape.gradient(loss, layer.trainable_weights))


def test_a_model_trains_through_the_layer():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(16, 3, 6, 6, 1)).astype("float32")
    y = x[:, -1].mean(axis=(1, 2, 3))[:, None]
    model = tf.keras.Sequential(
        [
            layers.Input((None, 6, 6, 1)),
            layers.ConvLSTM2D(4, 3, padding="same"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before


def test_functional_shapes_and_masks():
    inputs = layers.Input((None, 8, 8, 2))
    sequences, h, c = layers.ConvLSTM2D(4, 3, return_sequences=True, return_state=True)(inputs)
    assert tuple(sequences.shape) == (None, None, 6, 6, 4)
    assert tuple(h.shape) == tuple(c.shape) == (None, 6, 6, 4)
    last = layers.ConvLSTM1D(2, 2, strides=2)
    assert last.compute_output_shape((None, 5, 9, 3)) == (None, 4, 2)
    model = tf.keras.Model(inputs, [sequences, h])
    out, state = model(np.zeros((2, 3, 8, 8, 2), "float32"))
    assert tuple(out.shape) == (2, 3, 6, 6, 4) and tuple(state.shape) == (2, 6, 6, 4)


def test_stateful_layer_carries_states_between_calls():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 6, 4, 4, 1)).astype("float32")
    whole = layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True)
    expected = whole(x).numpy()
    stateful = layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True, stateful=True)
    stateful.build(x.shape)
    stateful.set_weights(whole.get_weights())
    first, second = stateful(x[:, :3]).numpy(), stateful(x[:, 3:]).numpy()
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), expected, rtol=1e-5, atol=1e-6)
    stateful.reset_states()
    np.testing.assert_allclose(stateful(x[:, :3]).numpy(), first, rtol=1e-6)


def test_config_round_trip_has_keras_keys(keras):
    layer = layers.ConvLSTM2D(
        5,
        (3, 2),
        strides=(1, 2),
        padding="same",
        recurrent_activation="hard_sigmoid",
        kernel_regularizer="l2",
        dropout=0.2,
        return_sequences=True,
        go_backwards=True,
        name="clstm",
    )
    config = layer.get_config()
    clone = layers.ConvLSTM2D.from_config(config)
    assert clone.get_config() == config
    assert config["kernel_size"] == (3, 2) and config["strides"] == (1, 2) and config["padding"] == "same"
    assert set(config) == set(keras.layers.ConvLSTM2D(5, (3, 2)).get_config())
    x = np.random.default_rng(7).normal(size=(1, 2, 4, 6, 3)).astype("float32")
    layer.build(x.shape)
    clone.build(x.shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), layer(x).numpy())
    assert layers.deserialize(layers.serialize(layer)).get_config() == config


def _conv_lstm_model(M):
    return M.Sequential(
        [
            M.Input((3, 6, 6, 2)),
            M.layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True),
            M.layers.ConvLSTM2D(2, 2, strides=2, dropout=0.1, recurrent_dropout=0.1, go_backwards=True),
            M.layers.Flatten(),
            M.layers.Dense(2),
        ]
    )


@pytest.mark.slow  # real Keras builds its convolutions in JAX: seconds on a small CPU
@pytest.mark.parametrize("writer", ["learnet", "keras"])
def test_keras_files_travel_both_ways(keras, writer, tmp_path):
    rng = np.random.default_rng(8)
    source, reader = (tf, keras) if writer == "learnet" else (keras, tf)
    model = _conv_lstm_model(source)
    model.set_weights([rng.normal(scale=0.3, size=w.shape).astype("float32") for w in model.get_weights()])
    model.save(tmp_path / "m.keras")
    restored = reader.models.load_model(tmp_path / "m.keras")
    x = rng.normal(size=(2, 3, 6, 6, 2)).astype("float32")
    np.testing.assert_allclose(np.asarray(restored(x)), np.asarray(model(x)), **TOLERANCE)


def test_learnet_files_keep_the_layer(tmp_path):
    model = _conv_lstm_model(tf)
    model.save(tmp_path / "m.keras")
    restored = tf.keras.models.load_model(tmp_path / "m.keras")
    x = np.random.default_rng(9).normal(size=(2, 3, 6, 6, 2)).astype("float32")
    np.testing.assert_allclose(restored(x).numpy(), model(x).numpy(), rtol=1e-6)
    assert isinstance(restored.layers[0], layers.ConvLSTM2D) and restored.layers[1].go_backwards


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: layers.ConvLSTM2D(3, 3, padding="full"), r"ConvLSTM2D: padding must be one of 'valid', 'same'"),
        (lambda: layers.ConvLSTM1D(3, 3, padding="causal"), r"ConvLSTM1D: padding must be one of"),
        (lambda: layers.ConvLSTM2D(0, 3), "filters must be a positive integer"),
        (lambda: layers.ConvLSTM2D(3, (3, 3, 3)), "kernel_size must be a positive int or a tuple of 2"),
        (lambda: layers.ConvLSTM2D(3, 3, strides=2, dilation_rate=2), "cannot be combined"),
        (lambda: layers.ConvLSTM2D(3, 3, data_format="channels_first"), "channels_last"),
        (lambda: layers.ConvLSTM3D(3, 3, dropout=1.0), r"dropout must be in \[0, 1\)"),
    ],
)
def test_bad_arguments_get_a_clear_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_inputs_get_a_clear_error_and_change_nothing():
    layer = layers.ConvLSTM2D(2, 3)
    x = np.ones((2, 3, 5, 5, 1), "float32")
    with pytest.raises(ValueError, match=r"ConvLSTM2D 'conv_lstm2d\w*' expects inputs of rank 5 \(batch, time, rows"):
        layer(np.ones((2, 5, 5, 1), "float32"))
    assert not layer.built
    with pytest.raises(ValueError, match=r"spatial size \(2, 5\) are smaller than the kernel \(3, 3\)"):
        layers.ConvLSTM2D(2, 3)(np.ones((2, 3, 2, 5, 1), "float32"))
    layer(x)
    weights = [w.copy() for w in layer.get_weights()]
    with pytest.raises(ValueError, match="expects inputs with last dimension 1"):
        layer(np.ones((2, 3, 5, 5, 4), "float32"))
    with pytest.raises(ValueError, match="expects a mask of shape"):
        layer(x, mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="expects 2 initial state"):
        layer(x, initial_state=[np.zeros((2, 3, 3, 2), "float32")])
    with pytest.raises(ValueError, match=r"initial states of shape \(2, 3, 3, 2\)"):
        layer(x, initial_state=[np.zeros((2, 5, 5, 2), "float32")] * 2)
    with pytest.raises(ValueError, match="ConvLSTM3D '.*' expects inputs of rank 6"):
        layers.ConvLSTM3D(2, 3)(x)
    for before, after in zip(weights, layer.get_weights()):
        np.testing.assert_array_equal(before, after)
