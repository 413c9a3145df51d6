"""The small pieces of TensorFlow/Keras that course scripts need, added for issue 3.

Metrics called with one value and custom metrics with ``add_weight``; EarlyStopping that
knows which way a metric should go; ``history.history["lr"]``; ModelCheckpoint refusing
HDF5 before training; noisy GAN labels in binary cross-entropy; ``tf.add_n``,
``tf.math.confusion_matrix``, ``tf.math.top_k`` and friends (with gradient checks);
``tf.nn`` extras; ``tf.norm``; ``tf.device``, ``tf.config``, ``tf.UnconnectedGradients``;
``keras.utils.pad_sequences`` and the image helpers; an adapted ``Normalization`` that
lets a Sequential model build.
"""

import math

import numpy as np
import pytest

import learnet as tf
from learnet import callbacks, layers, losses, metrics
from learnet.testing import check_gradients


# --- metrics -------------------------------------------------------------------------------------
def test_a_mean_metric_is_called_with_one_value_as_in_a_custom_loop():
    train_loss = metrics.Mean(name="train_loss")
    train_loss(tf.constant(2.0))
    assert float(train_loss(4.0)) == 3.0
    accuracy = metrics.SparseCategoricalAccuracy()
    assert float(accuracy([1, 0], [[0.2, 0.8], [0.9, 0.1]])) == 1.0


class HuberMetric(metrics.Metric):
    """The streaming metric of Hands-On ML, chapter 12."""

    def __init__(self, threshold=1.0, **kwargs):
        super().__init__(**kwargs)
        self.threshold = threshold
        self.total = self.add_weight("total", initializer="zeros")
        self.count = self.add_weight("count", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        error = tf.convert_to_tensor(y_true) - y_pred
        small = tf.abs(error) < self.threshold
        values = tf.where(small, tf.square(error) / 2, self.threshold * tf.abs(error) - self.threshold**2 / 2)
        self.total.assign_add(tf.reduce_sum(values))
        self.count.assign_add(tf.cast(tf.size(y_true), tf.float32))

    def result(self):
        return self.total / self.count


def test_a_custom_metric_keeps_its_state_in_add_weight_variables():
    m = HuberMetric(2.0)
    assert float(m(tf.constant([[2.0]]), tf.constant([[10.0]]))) == 14.0
    assert float(m(tf.constant([[0.0], [5.0]]), tf.constant([[1.0], [9.25]]))) == 7.0
    assert [v.path for v in m.variables] == ["huber_metric/total", "huber_metric/count"]
    assert not any(v.trainable for v in m.variables)
    m.reset_state()  # the default: every variable back to zero
    assert [float(v.numpy()) for v in m.variables] == [0.0, 0.0]


def test_a_custom_metric_variable_takes_a_dtype_and_is_used_by_fit():
    class Count(metrics.Metric):
        def __init__(self, **kwargs):
            super().__init__(name="count", **kwargs)
            self.seen = self.add_weight(name="seen", initializer="zeros", dtype="int32")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.seen.assign_add(tf.shape(y_pred)[0])

        def result(self):
            return tf.cast(self.seen, tf.float32)

    count = Count()
    assert count.seen.dtype == np.int32
    model = tf.Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse", metrics=[count])
    history = model.fit(np.zeros((10, 2)), np.zeros(10), batch_size=4, epochs=2, verbose=0)
    assert history.history["count"] == [10.0, 10.0]  # reset at each epoch, counts every row


def test_a_metric_without_state_variables_must_define_reset_state():
    class Broken(metrics.Metric):
        def update_state(self, y_true, y_pred, sample_weight=None):
            pass

        def result(self):
            return 0.0

    with pytest.raises(NotImplementedError, match="Broken must define reset_state"):
        Broken().reset_state()


def test_early_stopping_knows_the_direction_of_a_crossentropy_metric():
    model = tf.Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile(
        optimizer="sgd",
        loss=losses.BinaryCrossentropy(from_logits=True),
        metrics=[metrics.BinaryCrossentropy(from_logits=True, name="binary_crossentropy"), "accuracy"],
    )
    stop = callbacks.EarlyStopping(monitor="val_binary_crossentropy", patience=1)
    x = np.random.default_rng(0).normal(size=(32, 2)).astype("float32")
    model.fit(x, (x[:, 0] > 0).astype("float32"), validation_split=0.25, epochs=2, verbose=0, callbacks=[stop])
    assert stop._maximize is False
    assert metrics.BinaryAccuracy._direction == "up" and metrics.MeanAbsoluteError._direction == "down"


# --- callbacks -----------------------------------------------------------------------------------
def test_history_answers_to_the_older_keras_names_of_its_keys():
    history = callbacks.HistoryDict(learning_rate=[0.1], val_accuracy=[0.5], mae=[2.0])
    assert history["lr"] == [0.1]
    assert history["val_acc"] == [0.5]
    assert history["mean_absolute_error"] == [2.0]
    assert history.get("val_lr") is None and history.get("acc", "none") == "none"
    assert "lr" not in history and list(history) == ["learning_rate", "val_accuracy", "mae"]
    with pytest.raises(KeyError):
        history["val_loss"]


def test_fit_history_has_lr_for_a_learning_rate_scheduler():
    model = tf.Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    scheduler = callbacks.LearningRateScheduler(lambda epoch: 0.01 * 0.5**epoch)
    history = model.fit(np.zeros((8, 2)), np.zeros(8), epochs=2, verbose=0, callbacks=[scheduler])
    assert history.history["lr"] == pytest.approx([0.01, 0.005])
    assert "learning_rate" in history.history


def test_model_checkpoint_takes_a_legacy_hdf5_model_name_but_refuses_it_for_weights(tmp_path):
    # As Keras 3: a whole model may be checkpointed to .h5 (Keras' legacy file); weights need .weights.h5.
    callbacks.ModelCheckpoint(str(tmp_path / "my_keras_model.h5"), save_best_only=True)
    with pytest.raises(ValueError, match="HDF5"):
        callbacks.ModelCheckpoint(tmp_path / "w.weights.HDF5", save_weights_only=True)
    assert not list(tmp_path.iterdir())


# --- losses --------------------------------------------------------------------------------------
def test_binary_crossentropy_accepts_noisy_soft_labels_but_not_class_ids():
    logits = tf.constant([[0.3], [-1.2], [2.0]])
    labels = np.array([[1.04], [0.02], [0.97]], dtype="float32")  # a GAN's noisy labels
    z, y = logits.numpy(), labels
    expected = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
    assert float(losses.BinaryCrossentropy(from_logits=True)(labels, logits)) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 1\], found values from -1 to 1"):
        losses.binary_crossentropy(np.array([[-1.0], [1.0]]), np.array([[0.2], [0.9]]))


# --- tf.math, tf.nn, tf.linalg -------------------------------------------------------------------
def test_add_n_sums_a_list_of_tensors_and_is_differentiable():
    a, b = tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0])
    assert tf.add_n([a, b, [5.0, 6.0]]).numpy().tolist() == [9.0, 12.0]
    assert tf.add_n([a]) is a
    check_gradients(lambda x, y: tf.add_n([x, y, x * y]), [[1.0, -2.0], [0.5, 3.0]])
    with pytest.raises(ValueError, match=r"add_n expects tensors of one shape, got shapes \[\(2,\), \(3,\)\]"):
        tf.add_n([a, tf.zeros(3)])
    with pytest.raises(ValueError, match="non-empty"):
        tf.add_n([])
    with pytest.raises(TypeError, match="list of tensors"):
        tf.add_n(a)


def test_math_helpers_values_and_gradients():
    x, y = [[1.0, -2.0, 3.0]], [[2.0, 0.0, -1.5]]
    np.testing.assert_allclose(tf.math.divide_no_nan(tf.constant(x), tf.constant(y)).numpy(), [[0.5, 0.0, -2.0]])
    check_gradients(lambda a, b: tf.math.divide_no_nan(a, b), [x, [[2.0, 0.5, -1.5]]])
    with tf.GradientTape() as tape:  # no NaN where the divisor is 0
        b = tf.constant([0.0, 2.0])
        tape.watch(b)
        result = tf.math.divide_no_nan(tf.constant([1.0, 1.0]), b)
    assert np.all(np.isfinite(tape.gradient(result, b).numpy()))
    np.testing.assert_allclose(tf.math.squared_difference(tf.constant(x), tf.constant(y)).numpy(), [[1, 4, 20.25]])
    check_gradients(tf.math.squared_difference, [x, y])
    assert int(tf.math.count_nonzero([[0, 3], [0, 1]])) == 2
    assert tf.math.count_nonzero([[0, 3], [0, 1]], axis=0).numpy().tolist() == [0, 2]
    np.testing.assert_allclose(tf.math.softmax(tf.constant([0.0, 0.0])).numpy(), [0.5, 0.5])


def test_top_k_values_indices_and_gradient():
    x = tf.constant([[1.0, 9.0, 3.0, 7.0], [5.0, 4.0, 6.0, 0.0]])
    values, indices = tf.math.top_k(x, k=2)
    assert values.numpy().tolist() == [[9.0, 7.0], [6.0, 5.0]]
    assert indices.numpy().tolist() == [[1, 3], [2, 0]]
    assert tf.nn.top_k(tf.constant([2.0, 2.0, 1.0]), k=2).indices.numpy().tolist() == [0, 1]  # ties: first
    check_gradients(lambda t: tf.math.top_k(t, k=2).values * [[1.0, 2.0]], [[[1.0, 9.0, 3.0, 7.0]]])
    with pytest.raises(ValueError, match="k must be between 0 and the last dimension 4, got 5"):
        tf.math.top_k(x, k=5)
    assert tf.math.in_top_k([1, 3], x, 2).numpy().tolist() == [True, False]
    assert tf.math.in_top_k([2, 0], x, 2).numpy().tolist() == [False, True]


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    matrix = tf.math.confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    assert matrix.dtype == np.int32
    assert matrix.numpy().tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    assert tf.math.confusion_matrix([0], [1], num_classes=3).shape == (3, 3)
    weighted = tf.math.confusion_matrix([0, 0], [0, 0], weights=[0.5, 2.0], dtype="float32")
    assert float(weighted.numpy()[0, 0]) == 2.5
    with pytest.raises(ValueError, match="not below num_classes=2"):
        tf.math.confusion_matrix([0, 2], [0, 1], num_classes=2)
    with pytest.raises(ValueError, match="same number of entries"):
        tf.math.confusion_matrix([0, 1], [0])


def test_nn_extras_values_and_gradients():
    x = [[-1.0, 0.5, 7.0]]
    assert tf.nn.relu6(tf.constant(x)).numpy().tolist() == [[0.0, 0.5, 6.0]]
    np.testing.assert_allclose(tf.nn.selu(tf.constant([1.0])).numpy(), [1.0507009873554805], rtol=1e-6)
    np.testing.assert_allclose(tf.nn.silu(tf.constant([1.0])).numpy(), [1 / (1 + math.exp(-1))], rtol=1e-6)
    np.testing.assert_allclose(tf.nn.l2_normalize(tf.constant([[3.0, 4.0]]), axis=1).numpy(), [[0.6, 0.8]])
    check_gradients(lambda t: tf.nn.l2_normalize(t, axis=-1), [[[3.0, 4.0, -1.0]]])
    check_gradients(tf.nn.selu, [x])
    check_gradients(tf.nn.swish, [x])
    check_gradients(lambda t: tf.nn.relu6(t), [[[-1.0, 0.5, 5.0]]])
    table = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    assert tf.nn.embedding_lookup(tf.constant(table), [2, 0]).numpy().tolist() == [[5.0, 6.0], [1.0, 2.0]]
    check_gradients(lambda t: tf.nn.embedding_lookup(t, [2, 0, 2]), [table])
    assert tf.nn.bias_add(tf.zeros((2, 3)), tf.constant([1.0, 2.0, 3.0])).numpy().tolist()[1] == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="bias_add expects a 1-D bias as long as the last axis"):
        tf.nn.bias_add(tf.zeros((2, 3)), tf.zeros(2))


def test_norm_takes_lists_and_the_common_orders():
    assert float(tf.norm([3.0, 4.0])) == 5.0
    assert float(tf.linalg.norm([3.0, -4.0], ord=1)) == 7.0
    assert float(tf.norm(np.array([1.0, -5.0]), ord=np.inf)) == 5.0
    assert tf.norm(tf.constant([[3.0, 4.0], [6.0, 8.0]]), axis=1).numpy().tolist() == [5.0, 10.0]
    check_gradients(lambda t: tf.norm(t, axis=[0, 1]), [[[1.0, 2.0], [3.0, -4.0]]])
    with pytest.raises(ValueError, match="ord must be"):
        tf.norm([1.0], ord=3)


# --- top-level names ---------------------------------------------------------------------------------
def test_device_and_config_accept_what_notebooks_ask():
    with tf.device("/GPU:0"):
        assert float(tf.reduce_sum(tf.ones(3))) == 3.0
    with pytest.raises(TypeError, match="device name"):
        with tf.device(0):
            pass
    cpus = tf.config.list_physical_devices("CPU")
    assert [d.device_type for d in cpus] == ["CPU"] and cpus[0].name == "/physical_device:CPU:0"
    if tf.backend.name() == "numpy":
        assert tf.config.list_physical_devices("GPU") == []
    for gpu in tf.config.experimental.list_physical_devices("GPU"):
        tf.config.experimental.set_memory_growth(gpu, True)
    tf.config.run_functions_eagerly(True)


def test_unconnected_gradients_zero():
    x, y = tf.Variable(2.0), tf.Variable(3.0)
    with tf.GradientTape() as tape:
        z = y * y
    assert float(tape.gradient(z, x, unconnected_gradients=tf.UnconnectedGradients.ZERO)) == 0.0


def test_top_level_aliases_and_missing_modules():
    assert float(tf.sigmoid(0.0)) == 0.5
    assert tf.keras.backend.epsilon() == 1e-7
    # A module listed for later but not written yet is a plain missing attribute, or, for
    # a name courses use, an error saying learnet does not have it yet (learnet.not_yet).
    for name in tf._LAZY_MODULES:
        try:
            getattr(tf, name)
        except AttributeError as error:
            assert "not available yet" in str(error)
        except ImportError as error:
            assert "is not in learnet yet" in str(error)


# --- utils -----------------------------------------------------------------------------------------
def test_pad_sequences_pads_and_truncates_like_keras():
    sequences = [[1, 2, 3], [4], []]
    assert tf.utils.pad_sequences(sequences).tolist() == [[1, 2, 3], [0, 0, 4], [0, 0, 0]]
    assert tf.utils.pad_sequences(sequences, maxlen=2).tolist() == [[2, 3], [0, 4], [0, 0]]
    assert tf.utils.pad_sequences(sequences, maxlen=2, padding="post", truncating="post").tolist() == [
        [1, 2],
        [4, 0],
        [0, 0],
    ]
    assert tf.utils.pad_sequences([[1.5]], maxlen=2, dtype="float32", value=-1.0).tolist() == [[-1.0, 1.5]]
    assert tf.utils.pad_sequences(sequences).dtype == np.int32
    with pytest.raises(ValueError, match='padding must be "pre" or "post"'):
        tf.utils.pad_sequences(sequences, padding="middle")
    with pytest.raises(ValueError, match="element 1 is int"):
        tf.utils.pad_sequences([[1], 2])


def test_image_helpers_round_trip_through_a_file(tmp_path):
    pytest.importorskip("PIL")
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, size=(5, 7, 3)).astype("float32")
    img = tf.utils.array_to_img(rgb, scale=False)
    assert img.size == (7, 5) and img.mode == "RGB"
    tf.utils.save_img(tmp_path / "x.png", rgb, scale=False)
    back = tf.utils.img_to_array(tf.utils.load_img(tmp_path / "x.png"))
    assert back.dtype == np.float32 and back.shape == (5, 7, 3)
    np.testing.assert_array_equal(back, rgb)
    gray = tf.utils.img_to_array(tf.utils.load_img(tmp_path / "x.png", color_mode="grayscale", target_size=(10, 14)))
    assert gray.shape == (10, 14, 1)
    stretched = tf.utils.img_to_array(tf.utils.array_to_img(np.array([[[0.0], [0.5]]])))
    assert stretched.ravel().tolist() == [0.0, 255.0]  # scale=True stretches to 0..255
    with pytest.raises(ValueError, match=r"expects an array of shape \(height, width, channels\)"):
        tf.utils.array_to_img(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="1, 3 or 4 channels, got 2"):
        tf.utils.array_to_img(np.zeros((4, 4, 2)))


# --- an adapted Normalization layer --------------------------------------------------------------------
def test_an_adapted_normalization_layer_lets_a_sequential_model_build():
    features = np.random.default_rng(0).normal(3.0, 2.0, size=(50, 4)).astype("float32")
    normalizer = layers.Normalization(axis=-1)
    normalizer.adapt(features)
    model = tf.Sequential([normalizer, layers.Dense(1)])
    assert model.built and model.output_shape == (None, 1)
    lines = []
    model.summary(print_fn=lines.append)
    assert any("normalization" in line for line in lines)


def test_tf_print_writes_tensor_values_to_standard_error(capsys):
    tf.print("loss:", tf.constant(0.25), tf.constant([1, 2, 3]))
    captured = capsys.readouterr()
    assert captured.err == "loss: 0.25 [1 2 3]\n" and captured.out == ""
    tf.print(tf.range(10))
    assert capsys.readouterr().err == "[0 1 2 ... 7 8 9]\n"
    tf.print(tf.range(10), summarize=-1, sep=",", end="!")
    assert capsys.readouterr().err == "[0 1 2 3 4 5 6 7 8 9]!"


# --- plot_model ----------------------------------------------------------------------------------------
def test_plot_model_draws_sequential_functional_and_nested_models(tmp_path):
    pytest.importorskip("matplotlib")
    from PIL import Image

    sequential = tf.Sequential(
        [
            layers.Flatten(input_shape=[28, 28]),
            layers.Dense(30, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    tf.utils.plot_model(
        sequential,
        tmp_path / "seq.png",
        show_shapes=True,
        show_dtype=True,
        show_layer_activations=True,
        show_trainable=True,
    )
    tall = Image.open(tmp_path / "seq.png").size
    tf.utils.plot_model(sequential, tmp_path / "seq_lr.png", rankdir="LR")
    wide = Image.open(tmp_path / "seq_lr.png").size
    assert tall[1] > tall[0] and wide[0] > wide[1]  # four boxes down, or across

    wide_input, deep_input = tf.Input(shape=[5]), tf.Input(shape=[6])
    hidden = layers.Dense(8)(deep_input)
    merged = layers.concatenate([wide_input, layers.Dense(8)(hidden)])
    functional = tf.Model([wide_input, deep_input], [layers.Dense(1)(merged), layers.Dense(1)(hidden)])
    tf.utils.plot_model(functional, tmp_path / "pictures" / "wide_deep.svg", show_shapes=True)
    assert "concatenate" in (tmp_path / "pictures" / "wide_deep.svg").read_text()

    inner = tf.Model(wide_input, layers.Dense(3)(wide_input), name="encoder")
    outer_input = tf.Input(shape=[5])
    nested = tf.Model(outer_input, layers.Dense(1)(inner(outer_input)))
    tf.utils.plot_model(nested, tmp_path / "nested.svg")
    assert "encoder" in (tmp_path / "nested.svg").read_text()


def test_plot_model_needs_a_built_model():
    with pytest.raises(ValueError, match="is not built, so its layers and shapes are unknown"):
        tf.utils.plot_model(tf.Sequential([layers.Dense(2)]), "never.png")
    with pytest.raises(ValueError, match='rankdir must be "TB" or "LR"'):
        tf.utils.plot_model(tf.Sequential([layers.Dense(2, input_shape=(3,))]), "never.png", rankdir="BT")


# --- TensorBoard event files ---------------------------------------------------------------------------
def _crc32c_bitwise(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 * (crc & 1))
    return crc ^ 0xFFFFFFFF


def _fields(data):
    """Decode one protocol-buffer message into [(field number, value)]."""
    import struct

    fields, i = [], 0
    while i < len(data):
        key, i = _read_varint(data, i)
        number, kind = key >> 3, key & 7
        if kind == 0:
            value, i = _read_varint(data, i)
        elif kind == 1:
            value, i = struct.unpack("<d", data[i : i + 8])[0], i + 8
        elif kind == 5:
            value, i = struct.unpack("<f", data[i : i + 4])[0], i + 4
        else:
            length, i = _read_varint(data, i)
            value, i = data[i : i + length], i + length
        fields.append((number, value))
    return fields


def _read_varint(data, i):
    value = shift = 0
    while True:
        byte = data[i]
        value |= (byte & 0x7F) << shift
        i += 1
        shift += 7
        if not byte & 0x80:
            return value, i


def _events(path):
    import struct

    def masked(data):
        crc = _crc32c_bitwise(data)
        return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF

    data, i, events = path.read_bytes(), 0, []
    while i < len(data):
        header = data[i : i + 8]
        (length,), (header_crc,) = struct.unpack("<Q", header), struct.unpack("<I", data[i + 8 : i + 12])
        assert header_crc == masked(header)
        event = data[i + 12 : i + 12 + length]
        assert struct.unpack("<I", data[i + 12 + length : i + 16 + length])[0] == masked(event)
        events.append(dict(_fields(event)))
        i += 16 + length
    return events


def _scalars(path):
    points = {}
    for event in _events(path):
        for number, value in _fields(event.get(5, b"")):
            entry = dict(_fields(value))
            if 2 in entry:
                points.setdefault(entry[1].decode(), []).append((event[2] if 2 in event else 0, entry[2]))
    return points


def test_tensorboard_writes_event_files_of_the_training_curves(tmp_path):
    model = tf.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    board = callbacks.TensorBoard(tmp_path / "logs" / "run_1", histogram_freq=1, update_freq="batch")
    history = model.fit(x, x.sum(axis=1), validation_split=0.25, batch_size=10, epochs=2, verbose=0, callbacks=[board])
    (train_file,) = (tmp_path / "logs" / "run_1" / "train").glob("events.out.tfevents.*")
    (validation_file,) = (tmp_path / "logs" / "run_1" / "validation").glob("events.out.tfevents.*")
    assert _events(train_file)[0][3] == b"brain.Event:2"
    train, validation = _scalars(train_file), _scalars(validation_file)
    assert [step for step, _ in train["epoch_loss"]] == [0, 1]
    np.testing.assert_allclose([v for _, v in train["epoch_mae"]], history.history["mae"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in validation["epoch_loss"]], history.history["val_loss"], rtol=1e-6)
    assert [step for step, _ in train["batch_loss"]] == [1, 2, 3, 4, 5, 6]  # 3 batches an epoch
    histograms = [
        dict(_fields(value))
        for event in _events(train_file)
        for _, value in _fields(event.get(5, b""))
        if 5 in dict(_fields(value))
    ]
    kernel = next(h for h in histograms if h[1].decode().endswith("kernel"))
    assert dict(_fields(kernel[5]))[3] == 12.0  # a 3 x 4 kernel: 12 values


def test_tensorboard_event_files_read_back_with_tensorboards_own_reader(tmp_path):
    pytest.importorskip("tensorboardX")
    accumulator_module = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    model = tf.Sequential([layers.Dense(2, input_shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x = np.random.default_rng(1).normal(size=(20, 3)).astype("float32")
    history = model.fit(
        x,
        x[:, :1],
        validation_split=0.25,
        batch_size=5,
        epochs=3,
        verbose=0,
        callbacks=[callbacks.TensorBoard(tmp_path / "run", histogram_freq=2)],
    )
    keep_all = {"scalars": 0, "histograms": 0}  # the reader keeps one histogram by default
    train = accumulator_module.EventAccumulator(str(tmp_path / "run" / "train"), size_guidance=keep_all)
    validation = accumulator_module.EventAccumulator(str(tmp_path / "run" / "validation"))
    train.Reload()
    validation.Reload()
    assert sorted(train.Tags()["scalars"]) == ["epoch_loss", "epoch_mae"]
    assert [e.step for e in train.Scalars("epoch_loss")] == [0, 1, 2]
    np.testing.assert_allclose([e.value for e in train.Scalars("epoch_mae")], history.history["mae"], rtol=1e-6)
    np.testing.assert_allclose(
        [e.value for e in validation.Scalars("epoch_loss")], history.history["val_loss"], rtol=1e-6
    )
    kernel_tag = next(tag for tag in train.Tags()["histograms"] if tag.endswith("kernel"))
    assert [e.step for e in train.Histograms(kernel_tag)] == [0, 2]  # histogram_freq=2
    assert train.Histograms(kernel_tag)[0].histogram_value.num == 6  # a 3 x 2 kernel


def test_tensorboard_without_tensorboardx_says_what_to_install(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # as if it were not installed
    model = tf.Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ImportError, match=r"pip install 'learnet\[tensorboard\]'"):
        model.fit(np.zeros((4, 2)), np.zeros(4), verbose=0, callbacks=[callbacks.TensorBoard(tmp_path)])


def test_tensorboard_checks_its_arguments():
    with pytest.raises(ValueError, match="update_freq must be 'epoch', 'batch' or a positive integer"):
        callbacks.TensorBoard(update_freq="step")
    with pytest.raises(ValueError, match="histogram_freq must be a non-negative integer"):
        callbacks.TensorBoard(histogram_freq=-1)


# --- tf.data extras and image folders ------------------------------------------------------------------
def test_dataset_unbatch_zip_concatenate_enumerate_from_generator():
    batched = tf.data.Dataset.from_tensor_slices((np.arange(10.0).reshape(5, 2), np.arange(5))).batch(2)
    rows = [(x.numpy().tolist(), int(y)) for x, y in batched.unbatch()]
    assert rows[0] == ([0.0, 1.0], 0) and len(rows) == 5
    pairs = tf.data.Dataset.zip((tf.data.Dataset.range(3), tf.data.Dataset.range(10, 20)))
    assert len(pairs) == 3 and [(int(a), int(b)) for a, b in pairs] == [(0, 10), (1, 11), (2, 12)]
    joined = tf.data.Dataset.range(2).concatenate(tf.data.Dataset.range(5, 7))
    assert len(joined) == 4 and [int(v) for v in joined] == [0, 1, 5, 6]
    assert [(int(i), int(v)) for i, v in tf.data.Dataset.range(5, 7).enumerate(1)] == [(1, 5), (2, 6)]

    def squares(n):
        for i in range(n):
            yield np.float32(i), np.float32(i * i)

    generated = tf.data.Dataset.from_generator(squares, args=(4,))
    assert [float(b) for _, b in generated] == [0.0, 1.0, 4.0, 9.0]
    assert [float(b) for _, b in generated] == [0.0, 1.0, 4.0, 9.0]  # a new pass calls it again
    assert tf.data.experimental.AUTOTUNE == tf.data.AUTOTUNE
    assert tf.data.experimental.cardinality(generated) == tf.data.experimental.UNKNOWN_CARDINALITY
    with pytest.raises(TypeError, match="Dataset.zip expects"):
        tf.data.Dataset.zip(([1, 2], [3, 4]))
    with pytest.raises(ValueError, match="unbatch: every element must be batched"):
        list(tf.data.Dataset.range(3).unbatch())


def _image_folder(root, counts, size=(6, 8)):
    from PIL import Image

    rng = np.random.default_rng(0)
    for name, count in counts.items():
        (root / name).mkdir(parents=True)
        for i in range(count):
            pixels = rng.integers(0, 256, size=size + (3,)).astype("uint8")
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    (root / sorted(counts)[0] / "notes.txt").write_text("not an image")


def test_image_dataset_from_directory_reads_one_subfolder_per_class(tmp_path, capsys):
    pytest.importorskip("PIL")
    _image_folder(tmp_path, {"cats": 5, "dogs": 3})
    dataset = tf.utils.image_dataset_from_directory(tmp_path, image_size=(4, 4), batch_size=3, shuffle=False)
    assert "Found 8 files belonging to 2 classes." in capsys.readouterr().out
    assert dataset.class_names == ["cats", "dogs"] and len(dataset) == 3
    batches = list(dataset)
    assert [tuple(x.shape) for x, _ in batches] == [(3, 4, 4, 3), (3, 4, 4, 3), (2, 4, 4, 3)]
    assert np.concatenate([y.numpy() for _, y in batches]).tolist() == [0, 0, 0, 0, 0, 1, 1, 1]
    assert batches[0][0].dtype == np.float32 and float(tf.reduce_max(batches[0][0])) <= 255

    train, val = tf.utils.image_dataset_from_directory(
        tmp_path,
        validation_split=0.25,
        subset="both",
        seed=1,
        image_size=(6, 8),
        batch_size=None,
        label_mode="categorical",
        color_mode="grayscale",
    )
    assert len(train) == 6 and len(val) == 2
    assert not set(train.file_paths) & set(val.file_paths)
    image, label = next(iter(train))
    assert tuple(image.shape) == (6, 8, 1) and tuple(label.shape) == (2,)
    binary = tf.utils.image_dataset_from_directory(tmp_path, label_mode="binary", image_size=(4, 4), seed=0)
    assert tuple(next(iter(binary))[1].shape) == (8, 1)
    images_only = tf.utils.image_dataset_from_directory(tmp_path, label_mode=None, image_size=(4, 4))
    assert tuple(next(iter(images_only)).shape) == (8, 4, 4, 3)

    model = tf.Sequential([layers.Rescaling(1 / 255, input_shape=(4, 4, 3)), layers.Flatten(), layers.Dense(2)])
    model.compile(optimizer="adam", loss=losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(dataset, epochs=1, verbose=0)


def test_image_dataset_from_directory_checks_its_arguments(tmp_path):
    pytest.importorskip("PIL")
    _image_folder(tmp_path, {"a": 2, "b": 2, "c": 2})
    with pytest.raises(FileNotFoundError, match="is not a folder"):  # TensorFlow's error type
        tf.utils.image_dataset_from_directory(tmp_path / "missing")
    with pytest.raises(ValueError, match="give a seed"):
        tf.utils.image_dataset_from_directory(tmp_path, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match='label_mode="binary" needs exactly 2 classes, found 3'):
        tf.utils.image_dataset_from_directory(tmp_path, label_mode="binary")
    with pytest.raises(ValueError, match="class_names \\['z'\\] have no subfolder"):
        tf.utils.image_dataset_from_directory(tmp_path, class_names=["a", "z"])
    with pytest.raises(ValueError, match="give validation_split and subset together"):
        tf.utils.image_dataset_from_directory(tmp_path, subset="training")
