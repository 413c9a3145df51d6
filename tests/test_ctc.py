"""CTC: the loss and the decoders against real Keras 3 and TensorFlow, gradients, training, errors."""

from pathlib import Path

import numpy as np
import pytest

import learnet as keras
from learnet import backend as K
from learnet import ctc
from learnet import nn as tf_nn
from learnet.testing import check_gradients

FIXTURE = np.load(Path(__file__).parent / "fixtures" / "tf_ctc_reference.npz")


def random_batch(batch, time, classes, max_labels, mask_index, seed):
    """Logits, labels with repeats and padding, and lengths every label fits in."""
    rng = np.random.default_rng(seed)
    logits = (2.0 * rng.standard_normal((batch, time, classes))).astype("float32")
    choices = [k for k in range(classes) if k != mask_index]
    labels = rng.choice(choices, size=(batch, max_labels))
    labels[0, 1] = labels[0, 0]  # a repeated label, which needs a blank between its two copies
    label_length = rng.integers(0, max_labels + 1, size=batch)
    label_length[0] = max_labels
    logit_length = rng.integers(2 * max_labels, time + 1, size=batch)
    return logits, labels, label_length, logit_length


CASES = [(1, 4, 3, 2), (3, 10, 5, 4), (4, 12, 6, 5), (2, 8, 4, 3), (6, 20, 8, 6)]


# --- the loss against Keras 3 ---------------------------------------------------------------------
@pytest.mark.parametrize("batch, time, classes, max_labels", CASES)
@pytest.mark.parametrize("where", ["first", "last"])
def test_loss_equals_keras(keras, batch, time, classes, max_labels, where):
    mask_index = 0 if where == "first" else classes - 1
    logits, labels, label_length, logit_length = random_batch(batch, time, classes, max_labels, mask_index, seed=time)
    ours = ctc.ctc_loss(labels, logits, label_length, logit_length, mask_index=mask_index)
    theirs = keras.ops.ctc_loss(labels, logits, label_length, logit_length, mask_index=mask_index)
    assert ours.shape == (batch,) and ours.dtype == "float32"
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-5, atol=1e-4)


def test_loss_in_float64_and_from_a_long_sequence(keras):
    logits, labels, label_length, logit_length = random_batch(3, 200, 12, 30, 0, seed=3)
    logits = 4.0 * logits.astype("float64")
    ours = ctc.ctc_loss(labels, keras_tensor(logits), label_length, logit_length)
    assert ours.dtype == "float64" and np.isfinite(ours.numpy()).all()
    theirs = keras.ops.ctc_loss(labels, logits.astype("float32"), label_length, logit_length)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-4)


def keras_tensor(array):
    return keras.ops.convert_to_tensor(array, dtype=array.dtype)


def test_a_certain_label_costs_nothing():
    logits = np.log(np.eye(3)[[1, 0, 1, 2]] + 1e-30)[None]
    assert float(ctc.ctc_loss([[1, 1, 2]], logits, [3], [4])[0]) == pytest.approx(0.0, abs=1e-6)
    assert float(ctc.ctc_loss(np.zeros((1, 0), "int32"), np.zeros((1, 0, 3)), [0], [0])[0]) == 0.0


# --- gradients ---------------------------------------------------------------------------------
@pytest.mark.parametrize("mask_index", [0, 3])
def test_ctc_loss_gradient_check(mask_index):
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((3, 7, 4))
    labels = (
        np.array([[1, 1, 2], [2, 1, 0], [2, 0, 0]]) if mask_index == 3 else np.array([[1, 1, 2], [3, 2, 0], [2, 0, 0]])
    )
    weights = np.array([1.0, 2.0, -0.5])
    check_gradients(lambda z: ctc.ctc_loss(labels, z, [3, 2, 1], [7, 5, 3], mask_index=mask_index) * weights, [logits])


def test_gradient_equals_tensorflow():
    logits = keras.Variable(FIXTURE["logits"])
    with keras.GradientTape() as tape:
        loss = keras.reduce_sum(
            tf_nn.ctc_loss(FIXTURE["labels"], logits, FIXTURE["label_length"], FIXTURE["logit_length"])
        )
    np.testing.assert_allclose(tape.gradient(loss, logits).numpy(), FIXTURE["loss_gradient"], atol=1e-5)


# --- TensorFlow's tf.nn forms ------------------------------------------------------------------------
@pytest.mark.parametrize("key, blank", [("none", None), ("last", -1), ("zero", 0)])
def test_tf_ctc_loss_equals_tensorflow(key, blank):
    f = FIXTURE
    ours = tf_nn.ctc_loss(f["labels"], f["logits"], f["label_length"], f["logit_length"], blank_index=blank)
    np.testing.assert_allclose(ours.numpy(), f[f"loss_{key}"], rtol=1e-5, atol=1e-4)


def test_tf_ctc_loss_batch_major_and_sparse_labels():
    f = FIXTURE
    batch_major = f["logits"].transpose(1, 0, 2)
    ours = tf_nn.ctc_loss(f["labels"], batch_major, f["label_length"], f["logit_length"], logits_time_major=False)
    np.testing.assert_allclose(ours.numpy(), f["loss_batch_major"], rtol=1e-5, atol=1e-4)
    sparse = K.ctc_label_dense_to_sparse(f["labels"], f["label_length"])
    ours = tf_nn.ctc_loss(sparse, f["logits"], None, f["logit_length"])
    np.testing.assert_allclose(ours.numpy(), f["loss_none"], rtol=1e-5, atol=1e-4)


def dense(sparse, width):
    out = np.full((int(sparse.dense_shape.numpy()[0]), width), -1)
    indices = sparse.indices.numpy()
    out[indices[:, 0], indices[:, 1]] = sparse.values.numpy()
    return out


@pytest.mark.parametrize("merge", [True, False])
def test_tf_greedy_decoder_equals_tensorflow(merge):
    f = FIXTURE
    (decoded,), scores = tf_nn.ctc_greedy_decoder(f["logits"], f["logit_length"], merge_repeated=merge)
    np.testing.assert_array_equal(dense(decoded, f["logits"].shape[0]), f[f"greedy_{merge}"])
    np.testing.assert_allclose(scores.numpy(), f[f"greedy_{merge}_scores"], rtol=1e-6)
    (decoded,), _ = tf_nn.ctc_greedy_decoder(f["logits"], f["logit_length"], blank_index=0)
    np.testing.assert_array_equal(dense(decoded, f["logits"].shape[0]), f["greedy_blank0"])


def test_tf_beam_search_decoder_equals_tensorflow():
    f = FIXTURE
    decoded, scores = tf_nn.ctc_beam_search_decoder(f["logits"], f["logit_length"], beam_width=8, top_paths=3)
    assert len(decoded) == 3
    np.testing.assert_array_equal(np.stack([dense(d, f["logits"].shape[0]) for d in decoded]), f["beam"])
    np.testing.assert_allclose(scores.numpy(), f["beam_scores"], rtol=1e-5, atol=1e-5)


# --- Keras 2's backend functions ---------------------------------------------------------------------
def test_keras2_ctc_batch_cost_equals_tensorflow():
    f = FIXTURE
    probabilities = f["probabilities"].transpose(1, 0, 2)
    cost = K.ctc_batch_cost(f["labels"], probabilities, f["logit_length"][:, None], f["label_length"][:, None])
    assert cost.shape == (4, 1)
    np.testing.assert_allclose(cost.numpy()[:, 0], f["batch_cost"], rtol=1e-5, atol=1e-4)


def test_keras2_ctc_decode_equals_tensorflow():
    f = FIXTURE
    probabilities = f["probabilities"].transpose(1, 0, 2)
    (decoded,), log_probabilities = K.ctc_decode(probabilities, f["logit_length"])
    assert decoded.shape == probabilities.shape[:2]
    np.testing.assert_array_equal(decoded.numpy(), f["k2_greedy"])
    np.testing.assert_allclose(log_probabilities.numpy(), f["k2_greedy_scores"], rtol=1e-5)
    decoded, log_probabilities = K.ctc_decode(probabilities, f["logit_length"], greedy=False, beam_width=8, top_paths=2)
    np.testing.assert_array_equal(np.stack([d.numpy() for d in decoded]), f["k2_beam"])
    np.testing.assert_allclose(log_probabilities.numpy(), f["k2_beam_scores"], rtol=1e-5, atol=1e-5)


def test_ctc_label_dense_to_sparse():
    sparse = K.ctc_label_dense_to_sparse(np.array([[5, 6, 0], [7, 0, 0]]), np.array([2, 1]))
    assert sparse.indices.numpy().tolist() == [[0, 0], [0, 1], [1, 0]]
    assert sparse.values.numpy().tolist() == [5, 6, 7]
    assert sparse.shape == (2, 3)


# --- decoding against Keras 3 -----------------------------------------------------------------------
@pytest.mark.parametrize("batch, time, classes, max_labels", CASES)
@pytest.mark.parametrize("mask_index", [0, -1, None])
def test_greedy_decode_equals_keras(keras, batch, time, classes, max_labels, mask_index):
    logits, _, _, lengths = random_batch(batch, time, classes, max_labels, 0, seed=batch)
    logits[:, 1] = logits[:, 0]  # a repeated best class
    index = classes - 1 if mask_index in (-1, None) else mask_index
    for merge in (True, False):
        ours = ctc.ctc_decode(logits, lengths, merge_repeated=merge, mask_index=mask_index)
        theirs = keras.ops.ctc_decode(logits, lengths, merge_repeated=merge, mask_index=index)
        np.testing.assert_array_equal(ours[0].numpy(), np.asarray(theirs[0]))
        np.testing.assert_allclose(ours[1].numpy(), np.asarray(theirs[1]), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "batch, time, classes, max_labels, beam_width, top_paths",
    [(1, 4, 3, 2, 10, 3), (4, 12, 6, 5, 1, 1), (3, 10, 5, 4, 4, 2), (6, 20, 8, 6, 10, 3)],
)  # few cases: each new shape costs JAX a compilation of its beam search
def test_beam_search_decode_equals_keras(keras, batch, time, classes, max_labels, beam_width, top_paths):
    logits, _, _, lengths = random_batch(batch, time, classes, max_labels, 0, seed=batch + beam_width)
    for mask_index in (0, classes - 1):
        args = dict(strategy="beam_search", beam_width=beam_width, top_paths=top_paths, mask_index=mask_index)
        ours = ctc.ctc_decode(logits, lengths, **args)
        theirs = keras.ops.ctc_decode(logits, lengths, **args)
        assert ours[0].shape == (top_paths, batch, time) and ours[1].shape == (batch, top_paths)
        np.testing.assert_array_equal(ours[0].numpy(), np.asarray(theirs[0]))
        np.testing.assert_allclose(ours[1].numpy(), np.asarray(theirs[1]), rtol=1e-5, atol=1e-5)


# --- the Keras loss and training -----------------------------------------------------------------------
def test_losses_ctc_equals_keras(keras):
    rng = np.random.default_rng(4)
    logits = rng.standard_normal((3, 9, 5)).astype("float32")
    labels = np.array([[1, 2, 2, 4], [3, 1, 0, 0], [4, 0, 0, 0]])
    np.testing.assert_allclose(
        keras_module().losses.ctc(labels, logits).numpy(), np.asarray(keras.losses.ctc(labels, logits)), rtol=1e-5
    )
    ours = keras_module().losses.CTC()(labels, logits)
    np.testing.assert_allclose(float(ours), float(keras.losses.CTC()(labels, logits)), rtol=1e-5)
    assert isinstance(keras_module().losses.get("ctc"), keras_module().losses.CTC)


def keras_module():
    return keras


def sequences(count, time=12, seed=0):
    """Features that show each of 3 labels (classes 1..4) over a few steps, and the labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(1, 5, size=(count, 3))
    x = 0.1 * rng.standard_normal((count, time, 5)).astype("float32")
    for i in range(count):
        for j, label in enumerate(labels[i]):
            x[i, 4 * j + 1 : 4 * j + 3, label] += 1.0
    return x, labels


def test_a_tiny_ctc_model_learns():
    keras.utils.set_random_seed(0)
    x, y = sequences(64)
    model = keras.Sequential(
        [
            keras.Input((12, 5)),
            keras.layers.Conv1D(16, 3, padding="same", activation="relu"),
            keras.layers.Bidirectional(keras.layers.LSTM(8, return_sequences=True)),
            keras.layers.Dense(5),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss=keras.losses.CTC())
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0).history["loss"]
    assert history[-1] < 0.6 * history[0]
    decoded, _ = ctc.ctc_decode(model.predict(x[:8], verbose=0), [12] * 8)
    assert decoded.shape == (1, 8, 12)


class CTCLayer(keras.layers.Layer):
    """The keras.io captcha example's layer: adds the loss, passes the predictions on."""

    def call(self, y_true, y_pred):
        batch = y_pred.shape[0]
        input_length = np.full((batch, 1), y_pred.shape[1])
        label_length = np.full((batch, 1), y_true.shape[1])
        self.add_loss(keras.reduce_mean(K.ctc_batch_cost(y_true, y_pred, input_length, label_length)))
        return y_pred


def test_a_captcha_style_model_trains_with_add_loss():
    keras.utils.set_random_seed(1)
    x, y = sequences(32, seed=1)
    features = keras.Input((12, 5), name="features")
    labels = keras.Input((3,), name="label")
    hidden = keras.layers.Dense(16, activation="relu")(features)
    probabilities = keras.layers.Dense(6, activation="softmax")(hidden)  # the blank is the last class
    output = CTCLayer(name="ctc_loss")(labels, probabilities)
    model = keras.Model([features, labels], output)
    model.compile(optimizer=keras.optimizers.Adam(0.02))
    history = model.fit({"features": x, "label": (y - 1).astype("float32")}, epochs=6, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]


# --- bad input -------------------------------------------------------------------------------------------
def test_clear_errors():
    logits = np.zeros((2, 4, 3), "float32")
    with pytest.raises(ValueError, match="needs at least 5 output steps"):
        ctc.ctc_loss([[1, 2, 1, 2, 1], [1, 0, 0, 0, 0]], logits, [5, 1], [4, 4])
    with pytest.raises(ValueError, match="repeated labels need a blank"):
        ctc.ctc_loss([[1, 1, 1], [1, 0, 0]], logits, [3, 1], [4, 4])
    with pytest.raises(ValueError, match="shape \\(batch_size, max_length, num_classes\\)"):
        ctc.ctc_loss([[1], [1]], logits[0], [1, 1], [4, 4])
    with pytest.raises(ValueError, match="target of shape"):
        ctc.ctc_loss([1, 1], logits, [1, 1], [4, 4])
    with pytest.raises(ValueError, match="target_length must have shape \\(batch_size,\\) = \\(2,\\)"):
        ctc.ctc_loss([[1], [1]], logits, [1, 1, 1], [4, 4])
    with pytest.raises(ValueError, match="output_length must have shape"):
        ctc.ctc_loss([[1], [1]], logits, [1, 1], [[4, 4]])
    with pytest.raises(ValueError, match="output_length .* must lie in 0..4"):
        ctc.ctc_loss([[1], [1]], logits, [1, 1], [4, 5])
    with pytest.raises(ValueError, match="blank index 0 as a label"):
        ctc.ctc_loss([[0], [1]], logits, [1, 1], [4, 4])
    with pytest.raises(ValueError, match="outside the 3 classes before its last label"):
        ctc.ctc_loss([[7, 1], [1, 1]], logits, [2, 1], [4, 4])
    with pytest.raises(ValueError, match="strategy must be"):
        ctc.ctc_decode(logits, [4, 4], strategy="best")
    with pytest.raises(ValueError, match="sequence_lengths must have one length per example"):
        ctc.ctc_decode(logits, [4, 4, 4])
    with pytest.raises(ValueError, match="y_pred \\(logits\\) of shape"):
        keras.losses.ctc([[1, 2]], np.zeros((1, 4), "float32"))


def test_labels_outside_the_classes_at_the_end_are_padding():
    # keras.io's handwriting example pads labels with 99 and counts the padding in the label
    # length; the example ends before the padding, as in TensorFlow's sparse CTC and Keras 2.
    logits = np.random.default_rng(0).normal(size=(2, 12, 6)).astype("float32")
    padded = np.array([[3, 1, 4, 99, 99], [2, 2, 99, 99, 99]])
    trimmed = np.array([[3, 1, 4, 0, 0], [2, 2, 0, 0, 0]])
    np.testing.assert_allclose(
        ctc.ctc_loss(padded, logits, [5, 5], [12, 12], mask_index=5).numpy(),
        ctc.ctc_loss(trimmed, logits, [3, 2], [12, 12], mask_index=5).numpy(),
    )
