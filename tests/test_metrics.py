"""Metrics: accumulation over batches, sample weights, reset, Keras' resolution of
"accuracy", and the confusion-matrix metrics against values worked out by hand."""

import numpy as np
import pytest

import learnet as tf
from learnet import losses, metrics

RNG = np.random.default_rng(3)


def batches(*arrays, size=4):
    n = len(arrays[0])
    for start in range(0, n, size):
        yield tuple(a[start : start + size] for a in arrays)


# --- accumulate, read, reset -------------------------------------------------------------------
def test_mean_accumulates_and_resets():
    m = metrics.Mean()
    m.update_state([1.0, 2.0, 3.0])
    m.update_state(tf.constant([4.0]))
    m.update_state(np.array([[5.0, 7.0]]))  # one example: its mean, 6
    assert float(m.result()) == pytest.approx((1 + 2 + 3 + 4 + 6) / 5)
    result = m.result()
    assert isinstance(result, tf.Tensor) and result.dtype == np.float32 and result.shape == ()
    m.reset_state()
    assert float(m.result()) == 0.0
    m.update_state(2.0)
    m.reset_states()  # the old name
    assert float(m.result()) == 0.0


def test_mean_with_sample_weights():
    m = metrics.Mean()
    m.update_state([1.0, 2.0, 3.0], sample_weight=[1.0, 0.0, 3.0])
    m.update_state([10.0], sample_weight=[0.0])
    assert float(m.result()) == pytest.approx((1 + 9) / 4)


def test_sum():
    s = metrics.Sum()
    s.update_state([1.0, 2.0])
    s.update_state(3.0, sample_weight=2.0)
    assert float(s.result()) == 9.0
    s.reset_state()
    assert float(s.result()) == 0.0


def test_sparse_categorical_accuracy_over_batches():
    y_pred = RNG.random((10, 5)).astype(np.float32)
    y_true = RNG.integers(0, 5, 10).astype(np.uint8)
    y_true[:6] = y_pred[:6].argmax(1)  # at least 6 right
    expected = np.mean(y_true == y_pred.argmax(1))
    m = metrics.SparseCategoricalAccuracy()
    for t, p in batches(y_true, y_pred):
        m.update_state(t, p)
    assert float(m.result()) == pytest.approx(expected)
    m.reset_state()
    for t, p in batches(y_true[:, None].astype(np.float32), y_pred, size=3):  # (N, 1) float labels
        m.update_state(t, tf.constant(p))
    assert float(m.result()) == pytest.approx(expected)


def test_categorical_and_binary_accuracy():
    y_pred = RNG.random((9, 3))
    labels = RNG.integers(0, 3, 9)
    m = metrics.CategoricalAccuracy()
    for t, p in batches(np.eye(3)[labels], y_pred):
        m.update_state(t, p)
    assert float(m.result()) == pytest.approx(np.mean(labels == y_pred.argmax(1)))

    probabilities = np.array([[0.9], [0.6], [0.4], [0.2]])
    binary_labels = np.array([1, 0, 1, 0])  # (N,) against (N, 1)
    b = metrics.BinaryAccuracy()
    b.update_state(binary_labels, probabilities)
    assert float(b.result()) == pytest.approx(0.5)
    strict = metrics.BinaryAccuracy(threshold=0.7)
    strict.update_state(binary_labels, probabilities)
    assert float(strict.result()) == pytest.approx(0.75)


def test_accuracy_compares_values_exactly():
    m = metrics.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert float(m.result()) == pytest.approx(0.75)


def test_accuracy_with_sample_weights():
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([0, 1, 1], [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]], sample_weight=[1.0, 3.0, 0.0])
    assert float(m.result()) == pytest.approx(0.25)


def test_top_k_accuracies():
    y_pred = np.array([[0.1, 0.5, 0.4], [0.1, 0.5, 0.4], [0.6, 0.3, 0.1]])
    labels = np.array([2, 0, 1])
    sparse = metrics.SparseTopKCategoricalAccuracy(k=2)
    sparse.update_state(labels, y_pred)
    assert float(sparse.result()) == pytest.approx(2 / 3)
    dense = metrics.TopKCategoricalAccuracy(k=1)
    dense.update_state(np.eye(3)[labels], y_pred)
    assert float(dense.result()) == pytest.approx(0.0)
    # Ties at the boundary count as in the top k, as in TensorFlow.
    tied = metrics.SparseTopKCategoricalAccuracy(k=1)
    tied.update_state([1], [[0.5, 0.5, 0.0]])
    assert float(tied.result()) == 1.0


def test_regression_metrics():
    y_true = RNG.standard_normal((7, 2))
    y_pred = RNG.standard_normal((7, 2))
    mse, mae, rmse = metrics.MeanSquaredError(), metrics.MeanAbsoluteError(), metrics.RootMeanSquaredError()
    for t, p in batches(y_true, y_pred, size=3):
        for m in (mse, mae, rmse):
            m.update_state(t, p)
    assert float(mse.result()) == pytest.approx(np.mean((y_true - y_pred) ** 2), rel=1e-5)
    assert float(mae.result()) == pytest.approx(np.mean(np.abs(y_true - y_pred)), rel=1e-5)
    assert float(rmse.result()) == pytest.approx(np.sqrt(np.mean((y_true - y_pred) ** 2)), rel=1e-5)
    for m in (mse, mae, rmse):
        m.reset_state()
        assert float(m.result()) == 0.0


def test_crossentropy_metrics_match_the_losses():
    z = RNG.standard_normal((6, 4)).astype(np.float32)
    labels = RNG.integers(0, 4, 6)
    p = tf.nn.softmax(tf.constant(z)).numpy()
    sparse = metrics.SparseCategoricalCrossentropy()
    sparse.update_state(labels, p)
    assert float(sparse.result()) == pytest.approx(float(losses.SparseCategoricalCrossentropy()(labels, p)), rel=1e-5)
    dense = metrics.CategoricalCrossentropy(from_logits=True)
    dense.update_state(np.eye(4)[labels], z)
    assert float(dense.result()) == pytest.approx(
        float(losses.CategoricalCrossentropy(from_logits=True)(np.eye(4)[labels], z)), rel=1e-5
    )
    binary = metrics.BinaryCrossentropy(from_logits=True)
    y = (RNG.random((6, 1)) > 0.5).astype(np.float32)
    binary.update_state(y, z[:, :1] * 50)
    assert float(binary.result()) == pytest.approx(
        float(losses.BinaryCrossentropy(from_logits=True)(y, z[:, :1] * 50)), rel=1e-5
    )


def test_mean_metric_wrapper_with_a_learnet_function():
    def absolute_error(y_true, y_pred):
        return tf.abs(y_true - y_pred)

    m = metrics.MeanMetricWrapper(absolute_error)
    assert m.name == "absolute_error"
    m.update_state([1.0, 2.0], [1.5, 2.0])
    m.update_state([0.0], [1.0])
    assert float(m.result()) == pytest.approx(1.5 / 3)


def test_calling_a_metric_updates_and_returns_the_result():
    m = metrics.SparseCategoricalAccuracy()
    assert float(m([1], [[0.2, 0.8]])) == 1.0
    assert float(m([1], [[0.8, 0.2]])) == 0.5


def test_shape_errors_are_named():
    with pytest.raises(ValueError, match=r"sparse_categorical_accuracy.*\(3, 2\).*\(3, 4\)"):
        metrics.SparseCategoricalAccuracy().update_state(np.zeros((3, 2)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="sparse_categorical_accuracy"):
        metrics.CategoricalAccuracy().update_state([0, 1, 2], np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"mean_squared_error.*\(2, 3\).*\(2, 2\)"):
        metrics.MeanSquaredError().update_state(np.zeros((2, 3)), np.zeros((2, 2)))


# --- "accuracy" resolved like Keras ------------------------------------------------------------------
@pytest.mark.parametrize(
    "loss, expected",
    [
        ("binary_crossentropy", metrics.BinaryAccuracy),
        ("sparse_categorical_crossentropy", metrics.SparseCategoricalAccuracy),
        ("categorical_crossentropy", metrics.CategoricalAccuracy),
        (losses.BinaryCrossentropy(from_logits=True), metrics.BinaryAccuracy),
        (losses.SparseCategoricalCrossentropy(from_logits=True), metrics.SparseCategoricalAccuracy),
        (losses.CategoricalCrossentropy(), metrics.CategoricalAccuracy),
        (losses.SparseCategoricalCrossentropy, metrics.SparseCategoricalAccuracy),
        (losses.sparse_categorical_crossentropy, metrics.SparseCategoricalAccuracy),
        (losses.binary_crossentropy, metrics.BinaryAccuracy),
        (losses.get("categorical_crossentropy"), metrics.CategoricalAccuracy),
    ],
)
def test_accuracy_resolved_from_the_loss(loss, expected):
    for name in ("accuracy", "acc"):
        metric = metrics.get(name, loss=loss)
        assert type(metric) is expected
        assert metric.name == name


def test_accuracy_resolved_from_the_output_shape():
    assert type(metrics.get("accuracy", loss="mse", output_shape=(None, 1))) is metrics.BinaryAccuracy
    assert (
        type(metrics.get("accuracy", output_shape=(None, 10), y_true_shape=(None,)))
        is metrics.SparseCategoricalAccuracy
    )
    assert (
        type(metrics.get("accuracy", output_shape=(None, 10), y_true_shape=(None, 1)))
        is metrics.SparseCategoricalAccuracy
    )
    assert (
        type(metrics.get("accuracy", output_shape=(None, 10), y_true_shape=(None, 10))) is metrics.CategoricalAccuracy
    )


def test_accuracy_resolved_from_the_first_batch_when_nothing_else_tells():
    y_pred = np.array([[0.1, 0.9], [0.8, 0.2]])
    sparse = metrics.get("accuracy", loss=lambda y, p: tf.reduce_mean(p, axis=-1))
    sparse.update_state([1, 1], y_pred)
    assert float(sparse.result()) == 0.5 and sparse.name == "accuracy"
    dense = metrics.get("accuracy")
    dense.update_state(np.eye(2)[[1, 0]], y_pred)
    assert float(dense.result()) == 1.0
    binary = metrics.get("accuracy")
    binary.update_state([[1], [0]], [[0.7], [0.6]])
    assert float(binary.result()) == 0.5


def test_get_other_names_keep_their_spelling():
    for name, cls in [
        ("mse", metrics.MeanSquaredError),
        ("mae", metrics.MeanAbsoluteError),
        ("mean_squared_error", metrics.MeanSquaredError),
        ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
        ("categorical_accuracy", metrics.CategoricalAccuracy),
        ("binary_accuracy", metrics.BinaryAccuracy),
        ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
        ("rmse", metrics.RootMeanSquaredError),
        ("auc", metrics.AUC),
        ("precision", metrics.Precision),
        ("recall", metrics.Recall),
    ]:
        metric = metrics.get(name)
        assert type(metric) is cls and metric.name == name
    assert metrics.get("AUC").name == "auc"
    assert (
        type(metrics.get("crossentropy", loss="sparse_categorical_crossentropy"))
        is metrics.SparseCategoricalCrossentropy
    )
    instance = metrics.Mean(name="loss")
    assert metrics.get(instance) is instance
    assert type(metrics.get(metrics.Precision)) is metrics.Precision
    with pytest.raises(ValueError, match="'accuracy'"):
        metrics.get("acuracy")


def test_config_round_trip():
    metric = metrics.SparseTopKCategoricalAccuracy(k=3, name="top3")
    clone = metrics.deserialize(metrics.serialize(metric))
    assert type(clone) is metrics.SparseTopKCategoricalAccuracy
    assert clone.get_config() == metric.get_config() == {"name": "top3", "dtype": "float32", "k": 3}
    precision = metrics.Precision(thresholds=[0.3, 0.6], class_id=1)
    assert metrics.Precision.from_config(precision.get_config()).get_config() == precision.get_config()


# --- precision, recall, AUC -------------------------------------------------------------------------
def test_precision_and_recall():
    y_true = np.array([0, 1, 1, 1, 0, 1])
    y_pred = np.array([0.9, 0.2, 0.7, 0.8, 0.1, 0.6])
    precision, recall = metrics.Precision(), metrics.Recall()
    for t, p in batches(y_true, y_pred, size=4):
        precision.update_state(t, p)
        recall.update_state(t, p)
    # predicted positive: 0.9 (wrong), 0.7, 0.8, 0.6 -> tp 3, fp 1, fn 1
    assert float(precision.result()) == pytest.approx(0.75)
    assert float(recall.result()) == pytest.approx(0.75)
    several = metrics.Precision(thresholds=[0.5, 0.75])
    several.update_state(y_true, y_pred)
    np.testing.assert_allclose(several.result().numpy(), [0.75, 0.5])
    precision.reset_state()
    assert float(precision.result()) == 0.0


def test_precision_with_class_id_and_top_k():
    y_true = np.array([[0, 1, 0], [1, 0, 0], [0, 1, 0]])
    y_pred = np.array([[0.1, 0.6, 0.7], [0.8, 0.9, 0.1], [0.2, 0.55, 0.1]])
    of_class_1 = metrics.Precision(class_id=1)
    of_class_1.update_state(y_true, y_pred)
    assert float(of_class_1.result()) == pytest.approx(2 / 3)
    top_1 = metrics.Precision(top_k=1)
    top_1.update_state(y_true, y_pred)  # top picks: class 2, 1, 1 -> right once
    assert float(top_1.result()) == pytest.approx(1 / 3)


def exact_roc_auc(labels, scores):
    positive, negative = scores[labels == 1], scores[labels == 0]
    wins = (positive[:, None] > negative[None, :]).sum() + 0.5 * (positive[:, None] == negative[None, :]).sum()
    return wins / (len(positive) * len(negative))


def test_auc_roc_matches_the_rank_statistic():
    labels = (RNG.random(400) > 0.6).astype(int)
    scores = np.clip(0.3 * labels + RNG.random(400) * 0.7, 0, 1)
    m = metrics.AUC(num_thresholds=2000)
    for t, p in batches(labels, scores, size=128):
        m.update_state(t, p)
    assert float(m.result()) == pytest.approx(exact_roc_auc(labels, scores), abs=2e-3)
    small = metrics.AUC()
    small.update_state([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert float(small.result()) == pytest.approx(0.75, abs=1e-3)


def test_auc_pr_of_a_perfect_ranking_is_one():
    m = metrics.AUC(curve="PR")
    m.update_state([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert float(m.result()) == pytest.approx(1.0, abs=1e-3)
    # Keras takes the precision at the top threshold (no positive prediction) as 0, so
    # the last drop of recall, from 0.5 to 0, counts at height 0 when minoring.
    for method, expected in (("minoring", 0.5), ("majoring", 1.0)):
        other = metrics.AUC(curve="PR", summation_method=method)
        other.update_state([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
        assert float(other.result()) == pytest.approx(expected, abs=1e-6)
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="DET")


def test_auc_from_logits():
    logits = np.array([-3.0, -1.0, 2.0, 0.5])
    m = metrics.AUC(from_logits=True)
    m.update_state([0, 0, 1, 1], logits)
    assert float(m.result()) == pytest.approx(1.0, abs=1e-3)


# --- one kernel for a loss and the metric of the same name -------------------------------------------
@pytest.mark.parametrize(
    "metric, loss, y_true, y_pred",
    [
        (metrics.MeanSquaredError, losses.mean_squared_error, [[1.0, 2.0], [0.0, 1.0]], [[1.5, 2.0], [1.0, 0.0]]),
        (metrics.MeanAbsoluteError, losses.mean_absolute_error, [[1.0, 2.0], [0.0, 1.0]], [[1.5, 2.0], [1.0, 0.0]]),
        (metrics.BinaryCrossentropy, losses.binary_crossentropy, [[1.0], [0.0]], [[0.9], [0.3]]),
        (
            metrics.CategoricalCrossentropy,
            losses.categorical_crossentropy,
            [[0.0, 1.0], [1.0, 0.0]],
            [[0.2, 0.8], [0.6, 0.4]],
        ),
        (
            metrics.SparseCategoricalCrossentropy,
            losses.sparse_categorical_crossentropy,
            [1, 0],
            [[0.2, 0.8], [0.6, 0.4]],
        ),
    ],
)
def test_error_and_crossentropy_metrics_use_the_loss_kernels(metric, loss, y_true, y_pred):
    m = metric()
    m.update_state(np.array(y_true), np.array(y_pred, dtype="float32"))
    expected = float(np.mean(loss(np.array(y_true), tf.constant(y_pred)).numpy()))
    assert float(m.result()) == pytest.approx(expected, rel=1e-6)


def test_a_metric_refuses_the_labels_its_loss_refuses():
    m = metrics.BinaryCrossentropy()
    with pytest.raises(ValueError, match=r"binary_crossentropy: labels must be in \[0, 1\]"):
        m.update_state(np.array([[2.0]]), np.array([[0.5]]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("weight", [128, 3, 0.1, 7.5, 0])
def test_mean_of_one_number_with_a_python_weight_is_the_weighted_mean(dtype, weight):
    """A loss tracker's update (a scalar loss, weighted by the batch size) takes a short
    path: its sums must be those of the array path, to the last bit."""
    rng = np.random.default_rng(4)
    values = [np.asarray(rng.random(), dtype=dtype) for _ in range(5)]
    short, long = metrics.Mean(), metrics.Mean()
    for value in values:
        short.update_state(value, sample_weight=weight)
        long.update_state(value.reshape(1), sample_weight=np.full(1, weight))
    assert short.total == long.total and short.count == long.count
    assert float(short.result()) == float(long.result())
