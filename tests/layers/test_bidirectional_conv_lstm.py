"""Bidirectional(ConvLSTM1D/2D/3D): the same numbers as Keras 3 given the same weights, every
merge mode, masks, training, configs and ``.keras`` files both ways, and clear errors."""

import numpy as np
import pytest

import learnet as tf
from learnet import layers

TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}
LAYERS = {1: "ConvLSTM1D", 2: "ConvLSTM2D", 3: "ConvLSTM3D"}

# (rank, ConvLSTM arguments, merge_mode, input shape): each run by learnet and by Keras.
CASES = [
    (2, dict(filters=3, kernel_size=3, padding="same"), "concat", (2, 3, 5, 4, 2)),
    (2, dict(filters=3, kernel_size=3, padding="same", return_sequences=True), "concat", (2, 3, 5, 4, 2)),
    (2, dict(filters=2, kernel_size=(2, 3), strides=(1, 2)), "sum", (2, 3, 5, 7, 1)),
    (2, dict(filters=2, kernel_size=3, return_sequences=True), "mul", (1, 4, 5, 5, 2)),
    (2, dict(filters=2, kernel_size=2, padding="same", return_sequences=True), "ave", (2, 3, 4, 4, 1)),
    (2, dict(filters=2, kernel_size=3, padding="same", return_sequences=True), None, (2, 3, 4, 4, 1)),
    (2, dict(filters=2, kernel_size=3, padding="same", return_state=True), "concat", (2, 3, 4, 4, 1)),
    (1, dict(filters=3, kernel_size=3, padding="same", return_sequences=True), "concat", (2, 4, 6, 2)),
    (1, dict(filters=2, kernel_size=2, strides=2), "sum", (2, 3, 7, 1)),
    (3, dict(filters=2, kernel_size=2, return_sequences=True), "concat", (1, 2, 3, 4, 3, 1)),
    (3, dict(filters=2, kernel_size=3, padding="same"), "ave", (1, 2, 3, 3, 3, 2)),
]


def _label(case):
    rank, arguments, merge_mode, _ = case
    words = [f"{key}={value}" for key, value in arguments.items() if key not in ("filters", "kernel_size")]
    return f"{LAYERS[rank]}-{merge_mode}-" + ",".join(words)


def _listed(outputs):
    return [np.asarray(o) for o in outputs] if isinstance(outputs, (list, tuple)) else [np.asarray(outputs)]


def _random_weights(layer, rng, scale=0.3):
    return [rng.normal(scale=scale, size=w.shape).astype("float32") for w in layer.get_weights()]


@pytest.mark.slow  # real Keras compiles each direction's loop in JAX: seconds on a small CPU
@pytest.mark.parametrize("case", CASES, ids=_label)
def test_outputs_equal_keras_given_the_same_weights(keras, case):
    rank, arguments, merge_mode, shape = case
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype("float32")
    ours = layers.Bidirectional(getattr(layers, LAYERS[rank])(**arguments), merge_mode=merge_mode)
    theirs = keras.layers.Bidirectional(getattr(keras.layers, LAYERS[rank])(**arguments), merge_mode=merge_mode)
    ours.build(shape)
    theirs.build(shape)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights(_random_weights(ours, rng))
    theirs.set_weights(ours.get_weights())
    expected = _listed(theirs(x))
    got = _listed(ours(x))
    assert [o.shape for o in got] == [e.shape for e in expected]
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, **TOLERANCE)
    declared = ours.compute_output_shape(shape)
    declared = declared if isinstance(declared, list) else [declared]
    assert [tuple(s) for s in declared] == [o.shape for o in got]


def test_the_backward_half_reads_the_sequence_reversed():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 4, 5, 5, 1)).astype("float32")
    wrapped = layers.Bidirectional(layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True), merge_mode=None)
    forward, backward = wrapped(x)
    alone = layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True)
    alone.build(x.shape)
    alone.set_weights(wrapped.backward_layer.get_weights())
    # The backward half, put back in time order, is the forward layer run on the reversed clip.
    np.testing.assert_allclose(backward.numpy(), alone(x[:, ::-1]).numpy()[:, ::-1], **TOLERANCE)
    alone.set_weights(wrapped.forward_layer.get_weights())
    np.testing.assert_allclose(forward.numpy(), alone(x).numpy(), **TOLERANCE)


def test_halves_are_named_and_weights_ordered_as_in_keras(keras):
    ours = layers.Bidirectional(layers.ConvLSTM2D(2, 3, name="clstm"), name="bi")
    theirs = keras.layers.Bidirectional(keras.layers.ConvLSTM2D(2, 3, name="clstm"), name="bi")
    ours.build((None, 3, 6, 6, 1))
    theirs.build((None, 3, 6, 6, 1))
    assert (ours.forward_layer.name, ours.backward_layer.name) == ("forward_clstm", "backward_clstm")
    assert [w.path for w in theirs.weights] == [w.path for w in ours.weights]
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert ours.forward_layer.go_backwards is False and ours.backward_layer.go_backwards is True


def test_a_mask_reaches_both_directions():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 4, 4, 4, 1)).astype("float32")
    mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
    wrapped = layers.Bidirectional(layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True))
    out = wrapped(x, mask=mask).numpy()
    # Masked steps output zeros in both halves, as Keras' Bidirectional forces for sequences.
    assert np.all(out[~mask] == 0) and np.all(np.abs(out[mask]).sum(axis=(1, 2, 3)) > 0)
    # The padding steps change nothing in the real ones.
    short = wrapped(x[:1, :3]).numpy()
    np.testing.assert_allclose(out[:1, :3], short, **TOLERANCE)


def _model(M, return_sequences=False, merge_mode="concat"):
    return M.Sequential(
        [
            M.Input((3, 6, 6, 2)),
            M.layers.Bidirectional(
                M.layers.ConvLSTM2D(2, 3, padding="same", return_sequences=return_sequences), merge_mode=merge_mode
            ),
            M.layers.Flatten(),
            M.layers.Dense(2),
        ]
    )


def test_a_model_trains_through_the_wrapper():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(8, 3, 6, 6, 2)).astype("float32")
    y = rng.normal(size=(8, 2)).astype("float32")
    model = _model(tf, return_sequences=True, merge_mode="sum")
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="mse")
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    # Both directions learn.
    changed = [not np.allclose(a, b) for a, b in zip(before, model.get_weights())]
    assert all(changed[:6])


def test_functional_shapes_and_masks():
    inputs = tf.keras.Input((None, 5, 5, 1))
    outputs = layers.Bidirectional(layers.ConvLSTM2D(3, 3, return_sequences=True))(inputs)
    assert tuple(outputs.shape) == (None, None, 3, 3, 6)
    state_outputs = layers.Bidirectional(layers.ConvLSTM2D(3, 3, return_state=True))(inputs)
    assert [tuple(t.shape) for t in state_outputs] == [(None, 3, 3, 6)] + [(None, 3, 3, 3)] * 4


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_config_round_trip(merge_mode):
    wrapped = layers.Bidirectional(layers.ConvLSTM1D(2, 3, padding="same", return_sequences=True), merge_mode)
    clone = layers.deserialize(layers.serialize(wrapped))
    assert isinstance(clone.forward_layer, layers.ConvLSTM1D) and clone.merge_mode == merge_mode
    x = np.random.default_rng(4).normal(size=(2, 4, 6, 1)).astype("float32")
    wrapped.build(x.shape)
    clone.build(x.shape)
    clone.set_weights(wrapped.get_weights())
    for a, b in zip(_listed(clone(x)), _listed(wrapped(x))):
        np.testing.assert_allclose(a, b)


@pytest.mark.slow  # real Keras builds its convolutions in JAX: seconds on a small CPU
@pytest.mark.parametrize("writer", ["learnet", "keras"])
@pytest.mark.parametrize("return_sequences, merge_mode", [(False, "concat"), (True, "ave")])
def test_keras_files_travel_both_ways(keras, writer, return_sequences, merge_mode, tmp_path):
    rng = np.random.default_rng(5)
    source, reader = (tf, keras) if writer == "learnet" else (keras, tf)
    model = _model(source, return_sequences, merge_mode)
    model.set_weights([rng.normal(scale=0.3, size=w.shape).astype("float32") for w in model.get_weights()])
    model.save(tmp_path / "m.keras")
    restored = reader.models.load_model(tmp_path / "m.keras")
    x = rng.normal(size=(2, 3, 6, 6, 2)).astype("float32")
    np.testing.assert_allclose(np.asarray(restored(x)), np.asarray(model(x)), **TOLERANCE)
    wrapper = restored.layers[0]
    assert type(wrapper.forward_layer).__name__ == "ConvLSTM2D" and wrapper.backward_layer.go_backwards


def test_bad_inputs_get_a_clear_error_and_change_nothing():
    wrapped = layers.Bidirectional(layers.ConvLSTM2D(2, 3))
    with pytest.raises(ValueError, match=r"expects inputs of rank 5 \(batch, time, rows, cols, channels\)"):
        wrapped(np.zeros((2, 3, 6, 1), "float32"))
    assert not wrapped.built
    with pytest.raises(ValueError, match="smaller than the kernel"):
        wrapped(np.zeros((2, 3, 2, 2, 1), "float32"))
    assert wrapped(np.zeros((2, 3, 6, 6, 1), "float32")).shape == (2, 4, 4, 4)


def test_bad_arguments_get_a_clear_error():
    with pytest.raises(ValueError, match="merge_mode must be one of"):
        layers.Bidirectional(layers.ConvLSTM2D(2, 3), merge_mode="max")
    with pytest.raises(ValueError, match="backward_layer must read the other way"):
        layers.Bidirectional(layers.ConvLSTM2D(2, 3), backward_layer=layers.ConvLSTM2D(2, 3))
