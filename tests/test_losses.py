"""Losses: values against NumPy written by hand, the fused softmax/sigmoid path,
saturated inputs, label checks, reductions, gradients, and look-up by name."""

import warnings

import numpy as np
import pytest

import learnet as tf
from learnet import losses
from learnet.testing import check_gradients

EPS = 1e-7
RNG = np.random.default_rng(7)
LOGITS = RNG.standard_normal((6, 4)) * 2.0
LABELS = np.array([0, 3, 1, 2, 2, 1])
ONE_HOT = np.eye(4)[LABELS]


def np_softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def np_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# --- regression -----------------------------------------------------------------------------
def test_mean_squared_and_absolute_error_values():
    y_true = RNG.standard_normal((5, 3))
    y_pred = RNG.standard_normal((5, 3))
    np.testing.assert_allclose(
        losses.mean_squared_error(y_true, y_pred).numpy(), ((y_true - y_pred) ** 2).mean(axis=-1), rtol=1e-5
    )
    np.testing.assert_allclose(
        losses.mean_absolute_error(y_true, y_pred).numpy(), np.abs(y_true - y_pred).mean(axis=-1), rtol=1e-5
    )
    assert float(losses.MeanSquaredError()(y_true, y_pred)) == pytest.approx(((y_true - y_pred) ** 2).mean(), rel=1e-5)
    assert float(losses.get("mae")(y_true, y_pred)) == pytest.approx(np.abs(y_true - y_pred).mean(), rel=1e-5)


def test_targets_of_shape_n_line_up_with_predictions_of_shape_n_1():
    # Without lining up, (N,) - (N, 1) would broadcast to (N, N).
    y_true = np.array([0.0, 1.0, 2.0])
    y_pred = tf.constant([[0.0], [1.0], [4.0]])
    np.testing.assert_allclose(losses.mean_squared_error(y_true, y_pred).numpy(), [0.0, 0.0, 4.0])
    assert float(losses.MeanSquaredError()(y_true, y_pred)) == pytest.approx(4 / 3)


def test_regression_shape_mismatch_is_named():
    with pytest.raises(ValueError, match=r"mean_squared_error.*\(4, 3\).*\(4, 2\)"):
        losses.MeanSquaredError()(np.zeros((4, 3)), np.zeros((4, 2)))


def test_other_regression_losses_against_numpy():
    y_true = np.abs(RNG.standard_normal((4, 3))) + 0.1
    y_pred = np.abs(RNG.standard_normal((4, 3))) + 0.1
    error = y_pred - y_true
    cases = {
        "huber": np.where(np.abs(error) <= 1.0, 0.5 * error**2, np.abs(error) - 0.5).mean(-1),
        "log_cosh": np.log(np.cosh(error)).mean(-1),
        "poisson": (y_pred - y_true * np.log(y_pred + EPS)).mean(-1),
        "mape": 100 * np.abs(error / y_true).mean(-1),
        "msle": ((np.log1p(y_pred) - np.log1p(y_true)) ** 2).mean(-1),
        "cosine_similarity": -(y_true * y_pred).sum(-1)
        / (np.linalg.norm(y_true, axis=-1) * np.linalg.norm(y_pred, axis=-1)),
    }
    for name, expected in cases.items():
        loss = losses.get(name)
        assert float(loss(y_true, y_pred)) == pytest.approx(expected.mean(), rel=1e-5), name
    p, q = y_true / y_true.sum(-1, keepdims=True), y_pred / y_pred.sum(-1, keepdims=True)
    assert float(losses.get("kld")(p, q)) == pytest.approx((p * np.log(p / q)).sum(-1).mean(), rel=1e-5)


def test_log_cosh_does_not_overflow():
    assert np.isfinite(float(losses.LogCosh()([[0.0]], [[1000.0]])))
    assert float(losses.LogCosh()([[0.0]], [[1000.0]])) == pytest.approx(1000 - np.log(2), rel=1e-6)


def test_hinge_losses_against_numpy():
    y01 = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    y_pred = np.array([[0.3, -0.6, 2.0], [0.9, 0.2, -1.5]])
    signs = 2 * y01 - 1
    assert float(losses.Hinge()(y01, y_pred)) == pytest.approx(np.maximum(1 - signs * y_pred, 0).mean(), rel=1e-6)
    assert float(losses.SquaredHinge()(signs, y_pred)) == pytest.approx(
        (np.maximum(1 - signs * y_pred, 0) ** 2).mean(), rel=1e-6
    )
    one_hot = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    pos = (one_hot * y_pred).sum(-1)
    neg = ((1 - one_hot) * y_pred).max(-1)
    assert float(losses.CategoricalHinge()(one_hot, y_pred)) == pytest.approx(
        np.maximum(neg - pos + 1, 0).mean(), rel=1e-6
    )


# --- binary cross-entropy ----------------------------------------------------------------------
def np_bce(y, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(-1)


def test_binary_crossentropy_on_probabilities_and_logits():
    z = RNG.standard_normal((5, 1)) * 2
    y = np.array([[1.0], [0.0], [1.0], [1.0], [0.0]])
    p = np_sigmoid(z)
    np.testing.assert_allclose(losses.binary_crossentropy(y, p).numpy(), np_bce(y, p), rtol=1e-5)
    stable = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    np.testing.assert_allclose(losses.binary_crossentropy(y, z, from_logits=True).numpy(), stable.mean(-1), rtol=1e-5)
    assert float(losses.BinaryCrossentropy(from_logits=True)(y, z)) == pytest.approx(stable.mean(), rel=1e-5)


def test_binary_crossentropy_fused_sigmoid_equals_unfused():
    z = tf.constant(RNG.standard_normal((8, 3)).astype(np.float32))
    y = (RNG.random((8, 3)) > 0.5).astype(np.float32)
    fused = losses.BinaryCrossentropy()(y, tf.nn.sigmoid(z))
    unfused = losses.BinaryCrossentropy()(y, tf.nn.sigmoid(z).numpy())  # a plain array: no logits
    assert float(fused) == pytest.approx(float(unfused), rel=1e-5)


def test_binary_crossentropy_saturated_stays_finite():
    z = tf.constant([[60.0], [-60.0]])
    y = np.array([[0.0], [1.0]])  # confidently wrong
    fused = float(losses.BinaryCrossentropy()(y, tf.nn.sigmoid(z)))
    assert fused == pytest.approx(60.0, rel=1e-5)  # exact, from the logits
    clipped = float(losses.BinaryCrossentropy()(y, np.array([[1.0], [0.0]])))
    # Clipped to [1e-7, 1 - 1e-7]; in float32, 1 - (1 - 1e-7) is 1.19e-7.
    top = np.float32(1.0) - np.float32(1.0 - EPS)
    assert clipped == pytest.approx((-np.log(top) - np.log(EPS)) / 2, rel=1e-4)
    with tf.GradientTape() as tape:
        tape.watch(z)
        loss = losses.BinaryCrossentropy()(y, tf.nn.sigmoid(z))
    assert np.all(np.isfinite(tape.gradient(loss, z).numpy()))


def test_binary_crossentropy_label_checks():
    with pytest.raises(ValueError, match=r"labels must be in \[0, 1\].*0 to 3"):
        losses.binary_crossentropy(np.array([[0.0], [3.0]]), np.array([[0.2], [0.9]]))
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        losses.binary_crossentropy(np.array([0, 1, 2]), np.full((3, 3), 0.3))


def test_binary_crossentropy_label_smoothing():
    y, p = np.array([[1.0]]), np.array([[0.8]])
    smooth = 1.0 * 0.8 + 0.5 * 0.2
    expected = -(smooth * np.log(0.8) + (1 - smooth) * np.log(0.2))
    assert float(losses.BinaryCrossentropy(label_smoothing=0.2)(y, p)) == pytest.approx(expected, rel=1e-5)


# --- categorical cross-entropy -------------------------------------------------------------------
def test_categorical_crossentropy_values():
    p = np_softmax(LOGITS)
    expected = -(ONE_HOT * np.log(p)).sum(-1)
    np.testing.assert_allclose(losses.categorical_crossentropy(ONE_HOT, p).numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(
        losses.categorical_crossentropy(ONE_HOT, LOGITS, from_logits=True).numpy(), expected, rtol=1e-5
    )
    # Probabilities that do not sum to 1 are normalized first, as Keras does.
    np.testing.assert_allclose(losses.categorical_crossentropy(ONE_HOT, 3 * p).numpy(), expected, rtol=1e-5)


def test_categorical_crossentropy_fused_softmax_equals_unfused():
    z = tf.constant(LOGITS.astype(np.float32))
    fused = losses.CategoricalCrossentropy()(ONE_HOT, tf.nn.softmax(z))
    unfused = losses.CategoricalCrossentropy()(ONE_HOT, tf.nn.softmax(z).numpy())
    assert float(fused) == pytest.approx(float(unfused), rel=1e-5)


def test_categorical_crossentropy_saturated_stays_finite():
    z = tf.constant([[200.0, -200.0, 0.0]])
    y = np.array([[0.0, 1.0, 0.0]])
    assert float(losses.CategoricalCrossentropy()(y, tf.nn.softmax(z))) == pytest.approx(400.0, rel=1e-5)
    clipped = float(losses.CategoricalCrossentropy()(y, np.array([[1.0, 0.0, 0.0]])))
    assert clipped == pytest.approx(-np.log(EPS), rel=1e-3)


def test_categorical_crossentropy_rejects_integer_labels():
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        losses.CategoricalCrossentropy()(LABELS, np_softmax(LOGITS))
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        losses.categorical_crossentropy(LABELS[:, None], np_softmax(LOGITS))
    with pytest.raises(ValueError, match=r"\(6, 3\).*\(6, 4\)"):
        losses.categorical_crossentropy(np.zeros((6, 3)), np_softmax(LOGITS))


def test_categorical_crossentropy_label_smoothing():
    p = np_softmax(LOGITS)
    smooth = ONE_HOT * 0.9 + 0.1 / 4
    expected = -(smooth * np.log(p)).sum(-1).mean()
    assert float(losses.CategoricalCrossentropy(label_smoothing=0.1)(ONE_HOT, p)) == pytest.approx(expected, rel=1e-5)


# --- sparse categorical cross-entropy ---------------------------------------------------------------
def test_sparse_categorical_crossentropy_values_for_any_label_dtype_and_shape():
    p = np_softmax(LOGITS)
    expected = -np.log(p[np.arange(6), LABELS])
    for labels in (
        LABELS,
        LABELS[:, None],
        LABELS.astype(np.uint8),
        LABELS.astype(np.float32),
        tf.constant(LABELS),
        LABELS.astype(np.int64)[:, None].astype(np.float64),
    ):
        np.testing.assert_allclose(losses.sparse_categorical_crossentropy(labels, p).numpy(), expected, rtol=1e-5)
        np.testing.assert_allclose(
            losses.sparse_categorical_crossentropy(labels, LOGITS, from_logits=True).numpy(), expected, rtol=1e-5
        )


def test_sparse_equals_categorical_on_one_hot():
    z = tf.constant(LOGITS.astype(np.float32))
    sparse = losses.SparseCategoricalCrossentropy()(LABELS, tf.nn.softmax(z))
    dense = losses.CategoricalCrossentropy()(ONE_HOT, tf.nn.softmax(z))
    assert float(sparse) == pytest.approx(float(dense), rel=1e-6)


def test_sparse_fused_softmax_equals_unfused():
    z = tf.constant(LOGITS.astype(np.float32))
    fused = losses.SparseCategoricalCrossentropy()(LABELS, tf.nn.softmax(z))
    unfused = losses.SparseCategoricalCrossentropy()(LABELS, tf.nn.softmax(z).numpy())
    assert float(fused) == pytest.approx(float(unfused), rel=1e-5)


def test_sparse_saturated_stays_finite():
    z = tf.constant([[1000.0, -1000.0]])
    assert float(losses.SparseCategoricalCrossentropy()([1], tf.nn.softmax(z))) == pytest.approx(2000.0)
    clipped = float(losses.SparseCategoricalCrossentropy()([1], np.array([[1.0, 0.0]])))
    assert clipped == pytest.approx(-np.log(EPS), rel=1e-3)
    with tf.GradientTape() as tape:
        tape.watch(z)
        loss = losses.SparseCategoricalCrossentropy()([1], tf.nn.softmax(z))
    np.testing.assert_allclose(tape.gradient(loss, z).numpy(), [[1.0, -1.0]])


def test_sparse_labels_out_of_range():
    with pytest.raises(ValueError, match=r"\[0, 4\).*from 0 to 4"):
        losses.SparseCategoricalCrossentropy()(np.array([0, 4, 1, 2, 2, 1]), np_softmax(LOGITS))
    with pytest.raises(ValueError, match=r"\[0, 4\).*from -1 to 3"):
        losses.sparse_categorical_crossentropy(np.array([-1, 3, 1, 2, 2, 1]), LOGITS, from_logits=True)
    with pytest.raises(ValueError, match="one unit per class"):
        losses.sparse_categorical_crossentropy(np.array([0, 5]), np.full((2, 1), 0.5))


def test_sparse_rejects_one_hot_labels():
    with pytest.raises(ValueError, match="one-hot.*categorical_crossentropy"):
        losses.SparseCategoricalCrossentropy()(ONE_HOT, np_softmax(LOGITS))


def test_sparse_rejects_fractional_labels_and_bad_shapes():
    with pytest.raises(ValueError, match="whole"):
        losses.sparse_categorical_crossentropy(LABELS + 0.5, LOGITS)
    with pytest.raises(ValueError, match=r"\(5,\).*\(6, 4\)"):
        losses.sparse_categorical_crossentropy(LABELS[:5], LOGITS)


def test_sparse_ignore_class_leaves_examples_out_of_the_mean():
    full = losses.sparse_categorical_crossentropy(LABELS, LOGITS, from_logits=True).numpy()
    kept = LABELS != 2
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)(LABELS, LOGITS)
    assert float(loss) == pytest.approx(full[kept].mean(), rel=1e-5)
    per_example = losses.sparse_categorical_crossentropy(LABELS, LOGITS, from_logits=True, ignore_class=2).numpy()
    np.testing.assert_allclose(per_example, np.where(kept, full, 0.0), rtol=1e-5)


def test_from_logits_true_on_a_softmax_output_warns():
    p = tf.nn.softmax(tf.constant(LOGITS))
    with pytest.warns(UserWarning, match="from_logits=True") as record:
        losses.SparseCategoricalCrossentropy(from_logits=True)(LABELS, p)
    assert record[0].filename == __file__


# --- reductions and sample weights ------------------------------------------------------------------
def test_reductions_and_sample_weights():
    y_true = np.array([[1.0], [2.0], [3.0], [4.0]])
    y_pred = np.zeros((4, 1))
    per_example = np.array([1.0, 4.0, 9.0, 16.0])
    assert float(losses.MeanSquaredError(reduction="sum")(y_true, y_pred)) == pytest.approx(30.0)
    np.testing.assert_allclose(losses.MeanSquaredError(reduction="none")(y_true, y_pred).numpy(), per_example)
    np.testing.assert_allclose(losses.MeanSquaredError(reduction=None)(y_true, y_pred).numpy(), per_example)
    weights = np.array([1.0, 0.0, 2.0, 0.0])
    # sum_over_batch_size divides by the number of examples, not by the sum of the weights.
    assert float(losses.MeanSquaredError()(y_true, y_pred, sample_weight=weights)) == pytest.approx(19 / 4)
    assert float(losses.MeanSquaredError()(y_true, y_pred, sample_weight=weights[:, None])) == pytest.approx(19 / 4)
    assert float(
        losses.MeanSquaredError(reduction="mean_with_sample_weight")(y_true, y_pred, sample_weight=weights)
    ) == pytest.approx(19 / 3)
    assert float(losses.MeanSquaredError()(y_true, y_pred, sample_weight=2.0)) == pytest.approx(15.0)
    with pytest.raises(ValueError, match="sample_weight"):
        losses.MeanSquaredError()(y_true, y_pred, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="average")


def test_loss_is_a_scalar_tensor_differentiable_in_y_pred():
    w = tf.Variable(np.ones((3, 2), dtype=np.float32))
    x = tf.constant(np.eye(3, dtype=np.float32))
    with tf.GradientTape() as tape:
        loss = losses.SparseCategoricalCrossentropy()(np.array([0, 1, 1]), tf.nn.softmax(x @ w))
    assert isinstance(loss, tf.Tensor) and loss.shape == () and loss.dtype == np.float32
    grad = tape.gradient(loss, w)
    assert grad is not None and grad.shape == (3, 2)


# --- gradients ----------------------------------------------------------------------------------------
PROBS = np_softmax(RNG.standard_normal((3, 4)))  # well inside (0, 1): no clipping
BINARY = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
POSITIVE = RNG.uniform(0.2, 0.8, (3, 4))


@pytest.mark.parametrize(
    "loss, y_true, y_pred",
    [
        (losses.MeanSquaredError(), RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))),
        (losses.MeanAbsoluteError(), np.zeros((3, 4)), RNG.uniform(0.2, 1.0, (3, 4))),
        (losses.BinaryCrossentropy(), BINARY, RNG.uniform(0.2, 0.8, (3, 2))),
        (losses.BinaryCrossentropy(from_logits=True), BINARY, RNG.standard_normal((3, 2))),
        (losses.CategoricalCrossentropy(), np.eye(4)[[0, 2, 3]], PROBS),
        (losses.CategoricalCrossentropy(from_logits=True), np.eye(4)[[0, 2, 3]], RNG.standard_normal((3, 4))),
        (losses.SparseCategoricalCrossentropy(), np.array([0, 2, 3]), PROBS),
        (losses.SparseCategoricalCrossentropy(from_logits=True), np.array([0, 2, 3]), RNG.standard_normal((3, 4))),
        (losses.Huber(delta=0.5), np.zeros((3, 4)), RNG.uniform(0.1, 0.4, (3, 4)) * RNG.choice([-1, 1, 3], (3, 4))),
        (losses.LogCosh(), RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))),
        (losses.Poisson(), POSITIVE, RNG.uniform(0.5, 2.0, (3, 4))),
        (losses.KLDivergence(), PROBS, np_softmax(RNG.standard_normal((3, 4)))),
        (losses.CosineSimilarity(), RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))),
        (losses.MeanSquaredLogarithmicError(), POSITIVE, RNG.uniform(0.5, 2.0, (3, 4))),
        (losses.MeanAbsolutePercentageError(), POSITIVE + 1.0, RNG.uniform(0.1, 0.5, (3, 4))),
        (losses.SquaredHinge(), np.sign(RNG.standard_normal((3, 4))), RNG.uniform(-0.5, 0.5, (3, 4))),
    ],
)
def test_loss_gradients_match_central_differences(loss, y_true, y_pred):
    check_gradients(lambda p: loss(y_true, p), [y_pred])


@pytest.mark.parametrize(
    "loss, y_true, activation",
    [
        (losses.SparseCategoricalCrossentropy(), np.array([0, 2, 3]), tf.nn.softmax),
        (losses.CategoricalCrossentropy(), np.eye(4)[[0, 2, 3]], tf.nn.softmax),
        (losses.BinaryCrossentropy(), (RNG.random((3, 4)) > 0.5).astype(float), tf.nn.sigmoid),
    ],
)
def test_fused_path_gradients_match_central_differences(loss, y_true, activation):
    check_gradients(lambda z: loss(y_true, activation(z)), [RNG.standard_normal((3, 4)) * 3])


def test_sample_weight_gradient():
    weights = np.array([0.5, 2.0, 0.0])
    check_gradients(
        lambda p: losses.MeanSquaredError()(np.zeros((3, 2)), p, sample_weight=weights), [RNG.standard_normal((3, 2))]
    )


# --- names, classes, configs ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, cls, canonical",
    [
        ("mse", losses.MeanSquaredError, "mean_squared_error"),
        ("mean_squared_error", losses.MeanSquaredError, "mean_squared_error"),
        ("MSE", losses.MeanSquaredError, "mean_squared_error"),
        ("mae", losses.MeanAbsoluteError, "mean_absolute_error"),
        ("binary_crossentropy", losses.BinaryCrossentropy, "binary_crossentropy"),
        ("categorical_crossentropy", losses.CategoricalCrossentropy, "categorical_crossentropy"),
        ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy, "sparse_categorical_crossentropy"),
        ("SparseCategoricalCrossentropy", losses.SparseCategoricalCrossentropy, "sparse_categorical_crossentropy"),
        ("huber", losses.Huber, "huber_loss"),
        ("kld", losses.KLDivergence, "kl_divergence"),
        ("kl_divergence", losses.KLDivergence, "kl_divergence"),
        ("hinge", losses.Hinge, "hinge"),
        ("categorical_hinge", losses.CategoricalHinge, "categorical_hinge"),
        ("log_cosh", losses.LogCosh, "log_cosh"),
        ("poisson", losses.Poisson, "poisson"),
        ("cosine_similarity", losses.CosineSimilarity, "cosine_similarity"),
    ],
)
def test_get_by_name(name, cls, canonical):
    loss = losses.get(name)
    assert type(loss) is cls and loss.name == canonical


def test_get_classes_instances_and_functions():
    instance = losses.MeanSquaredError()
    assert losses.get(instance) is instance
    assert type(losses.get(losses.Huber)) is losses.Huber
    assert type(losses.get(losses.sparse_categorical_crossentropy)) is losses.SparseCategoricalCrossentropy

    def halved_mse(y_true, y_pred):
        return tf.reduce_mean((y_true - y_pred) ** 2, axis=-1) / 2

    wrapped = losses.get(halved_mse)
    assert wrapped.name == "halved_mse"
    assert float(wrapped(np.zeros((2, 2)), np.ones((2, 2)))) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="'mse'"):
        losses.get("msee")


def test_functions_are_exported_under_keras_short_names():
    assert losses.mse is losses.mean_squared_error and losses.MAE is losses.mean_absolute_error
    assert losses.kld is losses.kl_divergence


def test_config_round_trip():
    loss = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, reduction="sum", name="cce")
    config = loss.get_config()
    assert config == {"name": "cce", "reduction": "sum", "from_logits": True, "label_smoothing": 0.1, "axis": -1}
    clone = losses.deserialize(losses.serialize(loss))
    assert type(clone) is losses.CategoricalCrossentropy and clone.get_config() == config
    assert losses.MeanSquaredError.from_config(losses.MeanSquaredError().get_config()).name == "mean_squared_error"


def test_a_custom_loss_subclass():
    class ScaledError(losses.Loss):
        def __init__(self, scale=2.0, **kwargs):
            super().__init__(**kwargs)
            self.scale = scale

        def call(self, y_true, y_pred):
            return self.scale * tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)

    loss = ScaledError(name="scaled")
    assert loss.name == "scaled" and loss.reduction == "sum_over_batch_size"
    # Integer targets are cast to the predictions' dtype before `call`: no float64 sneaks in.
    value = loss(np.array([[1], [2]]), tf.constant([[0.0], [0.0]]))
    assert value.dtype == np.float32 and float(value) == pytest.approx(3.0)
    assert ScaledError().name == "scaled_error"


def test_no_warnings_on_the_common_path():
    z = tf.constant(LOGITS.astype(np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses.SparseCategoricalCrossentropy()(LABELS.astype(np.uint8), tf.nn.softmax(z))
        losses.CategoricalCrossentropy(from_logits=True)(ONE_HOT, z)


def test_a_scalar_target_is_broadcast_as_tensorflow_does():
    # Hands-On's sparse autoencoder: kl_divergence(0.1, mean_activities); values as TensorFlow 2.21 gives.
    kl = tf.keras.losses.kullback_leibler_divergence
    activities = tf.Variable(np.array([0.2, 0.05, 0.5], "float32"))
    with tf.GradientTape() as tape:
        loss = kl(0.1, activities) + kl(1.0 - 0.1, 1.0 - activities)
    assert float(kl(0.1, activities)) == pytest.approx(-0.16094379, rel=1e-6)
    assert float(loss) == pytest.approx(-0.16094379 + 0.58635211, rel=1e-6)
    assert tape.gradient(loss, activities).shape == (3,)
    assert float(tf.keras.losses.mse(0.5, activities)) == pytest.approx(0.0975, rel=1e-6)
