"""learnet.confusion_metrics against real Keras 3 (the ``keras`` fixture, skipped where absent).

Every metric gets the same random batches (several, with sample weights) in learnet and in
Keras, and the results must agree; then both are reset and fed again.
"""

import re

import numpy as np
import pytest

import learnet
from learnet import metrics

RNG_SEED = 7


def _binary_batches(shape=(40, 1), batches=3, weights=True, seed=RNG_SEED):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(batches):
        y_true = (rng.random(shape) < 0.4).astype("float32")
        y_pred = rng.random(shape).astype("float32")
        weight = rng.uniform(0, 2, size=shape[0]).astype("float32") if weights else None
        out.append((y_true, y_pred, weight))
    return out


def _feed(metric, batches):
    for y_true, y_pred, weight in batches:
        metric.update_state(y_true, y_pred, sample_weight=weight)
    return np.asarray(metric.result())


def _keras_name(metric):
    """Keras numbers the default names of metrics made again (``precision_at_recall_3``)."""
    return re.sub(r"_\d+$", "", metric.name)


def _same_config(ours, theirs):
    config, keras_config = ours.get_config(), theirs.get_config()
    keras_config["name"] = _keras_name(theirs)
    assert config == keras_config


def _agree(ours, theirs, batches, rtol=1e-5, atol=1e-6):
    """Feed both, compare; reset both, feed the first batch again, compare."""
    np.testing.assert_allclose(_feed(ours, batches), _feed(theirs, batches), rtol=rtol, atol=atol)
    ours.reset_state()
    theirs.reset_state()
    np.testing.assert_allclose(_feed(ours, batches[:1]), _feed(theirs, batches[:1]), rtol=rtol, atol=atol)


# --- the four counts ------------------------------------------------------------------------------
COUNTS = ["TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives"]


@pytest.mark.parametrize("name", COUNTS)
@pytest.mark.parametrize("thresholds", [None, 0.3, [0.1, 0.5, 0.9], [0.0, 0.25, 0.5, 0.75, 1.0]])
@pytest.mark.parametrize("shape, weights", [((40, 1), True), ((40,), False), ((30, 3), True)])
def test_counts_match_keras(keras, name, thresholds, shape, weights):
    batches = _binary_batches(shape, weights=weights)
    ours, theirs = getattr(metrics, name)(thresholds=thresholds), getattr(keras.metrics, name)(thresholds=thresholds)
    _agree(ours, theirs, batches, atol=1e-4)  # Keras sums float32 weights; learnet in float64


def test_counts_with_predictions_outside_0_1_match_keras(keras):
    # Keras clips predictions when the thresholds are evenly spread (it counts by bucket).
    rng = np.random.default_rng(1)
    batches = [(rng.integers(0, 2, (50, 1)).astype("float32"), rng.normal(0.5, 1, (50, 1)).astype("float32"), None)]
    for thresholds in ([0.0, 0.5, 1.0], [0.0, 1.0], 0.0):
        _agree(metrics.TruePositives(thresholds), keras.metrics.TruePositives(thresholds), batches)
        _agree(metrics.FalseNegatives(thresholds), keras.metrics.FalseNegatives(thresholds), batches)


def test_counts_values_by_hand():
    m = learnet.metrics.TruePositives(thresholds=[0.3, 0.7])
    m.update_state([0, 1, 1, 1], [0.9, 0.2, 0.5, 0.8], sample_weight=[1, 1, 2, 3])
    np.testing.assert_allclose(m.result().numpy(), [5.0, 3.0])
    assert m.get_config() == {"name": "true_positives", "dtype": "float32", "thresholds": [0.3, 0.7]}


# --- a rate at a target ---------------------------------------------------------------------------
AT_TARGET = [
    ("PrecisionAtRecall", "recall"),
    ("RecallAtPrecision", "precision"),
    ("SensitivityAtSpecificity", "specificity"),
    ("SpecificityAtSensitivity", "sensitivity"),
]


@pytest.mark.parametrize("name, argument", AT_TARGET)
@pytest.mark.parametrize("target", [0.0, 0.4, 0.8, 1.0])
def test_rate_at_target_matches_keras(keras, name, argument, target):
    # With a target of 1 the comparison is exact: Keras' float32 sums of fractional weights can
    # leave a rate at 0.9999999 (so no threshold qualifies); learnet sums in float64.
    batches = _binary_batches((60, 1), weights=target < 1.0)
    _agree(
        getattr(metrics, name)(**{argument: target}),
        getattr(keras.metrics, name)(**{argument: target}),
        batches,
    )


@pytest.mark.parametrize("name, argument", AT_TARGET)
@pytest.mark.parametrize("num_thresholds, class_id", [(1, None), (7, 1), (50, 2), (200, 0)])
def test_rate_at_target_with_class_id_and_thresholds_matches_keras(keras, name, argument, num_thresholds, class_id):
    batches = _binary_batches((40, 3))
    options = {argument: 0.6, "num_thresholds": num_thresholds, "class_id": class_id}
    ours, theirs = getattr(metrics, name)(**options), getattr(keras.metrics, name)(**options)
    _agree(ours, theirs, batches)
    _same_config(ours, theirs)


# --- F-scores -------------------------------------------------------------------------------------
def _class_batches(classes=4, n=32, batches=3, seed=RNG_SEED, multi_label=False):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(batches):
        if multi_label:
            y_true = (rng.random((n, classes)) < 0.4).astype("float32")
        else:
            y_true = np.eye(classes, dtype="float32")[rng.integers(0, classes, n)]
        y_pred = rng.random((n, classes)).astype("float32")
        out.append((y_true, y_pred, rng.uniform(0, 2, n).astype("float32")))
    return out


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("threshold", [None, 0.4])
@pytest.mark.parametrize("multi_label", [False, True])
def test_f1_score_matches_keras(keras, average, threshold, multi_label):
    batches = _class_batches(multi_label=multi_label)
    ours = metrics.F1Score(average=average, threshold=threshold)
    theirs = keras.metrics.F1Score(average=average, threshold=threshold)
    _agree(ours, theirs, batches)
    _same_config(ours, theirs)


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("beta", [0.5, 2.0])
def test_fbeta_score_matches_keras(keras, average, beta):
    batches = _class_batches(multi_label=True)
    ours = metrics.FBetaScore(average=average, beta=beta, threshold=0.6)
    theirs = keras.metrics.FBetaScore(average=average, beta=beta, threshold=0.6)
    _agree(ours, theirs, batches)
    _same_config(ours, theirs)


# --- IoU ------------------------------------------------------------------------------------------
def _label_batches(classes=4, shape=(6, 5, 5), batches=3, seed=RNG_SEED):
    rng = np.random.default_rng(seed)
    return [
        (
            rng.integers(0, classes, shape),
            rng.integers(0, classes, shape),
            rng.integers(0, 3, shape),  # integer weights: Keras' IoU dtype is int32
        )
        for _ in range(batches)
    ]


@pytest.mark.parametrize(
    "name, options",
    [
        ("IoU", {"num_classes": 4, "target_class_ids": [0, 2]}),
        ("IoU", {"num_classes": 4, "target_class_ids": [3], "ignore_class": 1}),
        ("MeanIoU", {"num_classes": 4}),
        ("MeanIoU", {"num_classes": 5, "ignore_class": 0}),
        ("MeanIoU", {"num_classes": 4, "dtype": "float32"}),
    ],
)
def test_iou_on_class_numbers_matches_keras(keras, name, options):
    ours, theirs = getattr(metrics, name)(**options), getattr(keras.metrics, name)(**options)
    _agree(ours, theirs, _label_batches())
    _same_config(ours, theirs)


def test_iou_with_ignored_void_label_and_float_weights(keras):
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 3, (4, 8, 8))
    labels[:, 0] = 255  # a "void" border, as segmentation masks have
    batches = [(labels, rng.integers(0, 3, (4, 8, 8)), rng.uniform(0, 1, (4, 8, 8)).astype("float32"))]
    options = {"num_classes": 3, "ignore_class": 255, "dtype": "float32"}
    _agree(metrics.MeanIoU(**options), keras.metrics.MeanIoU(**options), batches)


def test_iou_on_scores_and_one_hot_matches_keras(keras):
    batches = _class_batches(classes=3, n=40)
    _agree(
        metrics.MeanIoU(3, sparse_y_true=False, sparse_y_pred=False, dtype="float32"),
        keras.metrics.MeanIoU(3, sparse_y_true=False, sparse_y_pred=False, dtype="float32"),
        batches,
    )
    unweighted = [(y, p, None) for y, p, _ in batches]
    for ours, theirs in [
        (metrics.OneHotIoU(3, [0, 2]), keras.metrics.OneHotIoU(3, [0, 2])),
        (metrics.OneHotMeanIoU(3), keras.metrics.OneHotMeanIoU(3)),
    ]:
        _agree(ours, theirs, unweighted)
        _same_config(ours, theirs)


@pytest.mark.parametrize("target_class_ids, threshold", [((0, 1), 0.5), ([0], 0.3), ([1], 0.7)])
def test_binary_iou_matches_keras(keras, target_class_ids, threshold):
    batches = [(y, p, None) for y, p, _ in _binary_batches((30, 2))]
    ours = metrics.BinaryIoU(target_class_ids, threshold)
    theirs = keras.metrics.BinaryIoU(target_class_ids, threshold)
    _agree(ours, theirs, batches)
    _same_config(ours, theirs)


def test_iou_float_weights_with_int_dtype_warn_and_truncate_as_in_keras():
    m = metrics.MeanIoU(2)
    with pytest.warns(UserWarning, match="MeanIoU: sample_weight is float"):
        m.update_state([0, 0, 1], [0, 1, 1], sample_weight=[1.0, 0.5, 1.0])  # 0.5 counts as 0
    np.testing.assert_allclose(float(m.result()), 1.0, rtol=1e-6)


# --- correlations ---------------------------------------------------------------------------------
def _regression_batches(shape=(16, 5), batches=3, seed=RNG_SEED):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(batches):
        y_true = rng.normal(size=shape).astype("float32")
        y_pred = (0.7 * y_true + 0.5 * rng.normal(size=shape) + 0.3).astype("float32")
        out.append((y_true, y_pred, rng.uniform(0, 2, shape[0]).astype("float32")))
    return out


@pytest.mark.parametrize("name", ["PearsonCorrelation", "ConcordanceCorrelation"])
@pytest.mark.parametrize("axis", [-1, 0])
def test_correlations_match_keras(keras, name, axis):
    batches = _regression_batches()
    if axis == 0:  # one value per column: weights are per column too
        batches = [(y, p, None) for y, p, _ in batches]
    ours, theirs = getattr(metrics, name)(axis=axis), getattr(keras.metrics, name)(axis=axis)
    _agree(ours, theirs, batches, rtol=1e-4, atol=1e-5)
    _same_config(ours, theirs)


# --- function forms -------------------------------------------------------------------------------
FUNCTIONS = [
    ("binary_crossentropy", "probabilities"),
    ("categorical_crossentropy", "probabilities"),
    ("sparse_categorical_crossentropy", "sparse"),
    ("binary_focal_crossentropy", "probabilities"),
    ("categorical_focal_crossentropy", "probabilities"),
    ("categorical_hinge", "signs"),
    ("hinge", "signs"),
    ("squared_hinge", "signs"),
    ("huber", "regression"),
    ("kl_divergence", "probabilities"),
    ("log_cosh", "regression"),
    ("mean_absolute_error", "regression"),
    ("mean_absolute_percentage_error", "regression"),
    ("mean_squared_error", "regression"),
    ("mean_squared_logarithmic_error", "positive"),
    ("poisson", "positive"),
    ("pearson_correlation", "regression"),
    ("concordance_correlation", "regression"),
]


@pytest.mark.parametrize("name, data", FUNCTIONS)
def test_metric_functions_match_keras(keras, name, data):
    rng = np.random.default_rng(5)
    y_pred = rng.random((8, 4)).astype("float32")
    if data == "probabilities":
        y_true = np.eye(4, dtype="float32")[rng.integers(0, 4, 8)]
        y_pred = y_pred / y_pred.sum(axis=-1, keepdims=True)
    elif data == "sparse":
        y_true = rng.integers(0, 4, 8)
        y_pred = y_pred / y_pred.sum(axis=-1, keepdims=True)
    elif data == "signs":
        y_true = np.eye(4, dtype="float32")[rng.integers(0, 4, 8)]
    elif data == "positive":
        y_true = rng.random((8, 4)).astype("float32") * 3
    else:
        y_true = rng.normal(size=(8, 4)).astype("float32")
    ours = getattr(learnet.metrics, name)(y_true, y_pred)
    theirs = getattr(keras.metrics, name)(y_true, y_pred)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-4, atol=1e-6)


def test_metric_functions_are_the_losses():
    assert learnet.metrics.huber is learnet.losses.huber
    assert learnet.metrics.mean_squared_error is learnet.losses.mean_squared_error


# --- configs, names, lookup -----------------------------------------------------------------------
DEFAULTS = [
    ("TruePositives", {}),
    ("FalseNegatives", {"thresholds": [0.2, 0.8]}),
    ("PrecisionAtRecall", {"recall": 0.7}),
    ("RecallAtPrecision", {"precision": 0.9, "num_thresholds": 10, "class_id": 2}),
    ("SensitivityAtSpecificity", {"specificity": 0.5}),
    ("SpecificityAtSensitivity", {"sensitivity": 0.5}),
    ("F1Score", {"average": "macro"}),
    ("FBetaScore", {"beta": 2.0, "threshold": 0.3}),
    ("IoU", {"num_classes": 3, "target_class_ids": [1]}),
    ("MeanIoU", {"num_classes": 3, "ignore_class": 0}),
    ("BinaryIoU", {}),
    ("OneHotIoU", {"num_classes": 3, "target_class_ids": [0, 2]}),
    ("OneHotMeanIoU", {"num_classes": 3}),
    ("PearsonCorrelation", {}),
    ("ConcordanceCorrelation", {"axis": 0}),
]


@pytest.mark.parametrize("name, options", DEFAULTS)
def test_config_name_and_round_trip_match_keras(keras, name, options):
    ours = getattr(metrics, name)(**options)
    theirs = getattr(keras.metrics, name)(**options)
    assert ours.name == _keras_name(theirs)
    _same_config(ours, theirs)
    again = metrics.deserialize(metrics.serialize(ours))
    assert type(again) is type(ours) and again.get_config() == ours.get_config()
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()


@pytest.mark.parametrize(
    "key, cls",
    [
        ("true_positives", "TruePositives"),
        ("false_positives", "FalsePositives"),
        ("true_negatives", "TrueNegatives"),
        ("false_negatives", "FalseNegatives"),
        ("f1_score", "F1Score"),
        ("f_beta_score", "FBetaScore"),
        ("binary_io_u", "BinaryIoU"),
        ("pearson_correlation", "PearsonCorrelation"),
        ("concordance_correlation", "ConcordanceCorrelation"),
        ("TruePositives", "TruePositives"),
        ("F1Score", "F1Score"),
    ],
)
def test_string_names_as_keras(keras, key, cls):
    assert type(metrics.get(key)).__name__ == cls
    assert type(keras.metrics.get(key)).__name__ == cls


@pytest.mark.parametrize("key", ["mean_io_u", "precision_at_recall", "PrecisionAtRecall", "io_u"])
def test_string_names_of_metrics_needing_arguments_say_which(key):
    with pytest.raises(TypeError, match="missing .*required"):
        metrics.get(key)


# --- in compile / fit / evaluate -----------------------------------------------------------------
def test_imbalanced_data_tutorial_metrics_in_fit():
    """The TF "Classification on imbalanced data" list, by object and by string."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype("float32")
    y = (x[:, :1] + 0.5 * rng.normal(size=(200, 1)) > 1.0).astype("float32")
    weight = np.where(y[:, 0] > 0, 3.0, 1.0).astype("float32")
    model = learnet.Sequential([learnet.Input((4,)), learnet.layers.Dense(1, activation="sigmoid")])
    model.compile(
        optimizer="adam",
        loss="binary_crossentropy",
        metrics=[
            learnet.metrics.TruePositives(name="tp"),
            learnet.metrics.FalsePositives(name="fp"),
            learnet.metrics.TrueNegatives(name="tn"),
            learnet.metrics.FalseNegatives(name="fn"),
            learnet.metrics.BinaryAccuracy(name="accuracy"),
            learnet.metrics.Precision(name="precision"),
            learnet.metrics.Recall(name="recall"),
            learnet.metrics.AUC(name="auc"),
            learnet.metrics.AUC(name="prc", curve="PR"),
            learnet.metrics.RecallAtPrecision(0.5, name="recall_at_precision"),
            "true_positives",
            "binary_io_u",
        ],
    )
    history = model.fit(x, y, sample_weight=weight, batch_size=32, epochs=2, verbose=0, validation_data=(x, y))
    for key in ("tp", "fp", "tn", "fn", "prc", "recall_at_precision", "true_positives", "binary_io_u"):
        assert len(history.history[key]) == 2 and len(history.history["val_" + key]) == 2
    # Counts are reset each epoch: each epoch sees every example once.
    for epoch in range(2):
        total = sum(history.history[k][epoch] for k in ("val_tp", "val_fp", "val_tn", "val_fn"))
        assert total == pytest.approx(200)
    logs = model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    predicted = model.predict(x, verbose=0) > 0.5
    assert logs["tp"] == pytest.approx(float(np.sum(predicted & (y > 0))))
    assert logs["fn"] == pytest.approx(float(np.sum(~predicted & (y > 0))))
    assert logs["tp"] == logs["true_positives"]


def test_multi_class_metrics_in_fit_and_evaluate():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(120, 5)).astype("float32")
    y = np.eye(3, dtype="float32")[np.argmax(x[:, :3], axis=1)]
    model = learnet.Sequential([learnet.Input((5,)), learnet.layers.Dense(3, activation="softmax")])
    model.compile(
        optimizer="adam",
        loss="categorical_crossentropy",
        metrics=[
            "f1_score",
            learnet.metrics.F1Score(average="macro", name="f1_macro"),
            learnet.metrics.OneHotMeanIoU(3),
            learnet.metrics.PrecisionAtRecall(0.5, class_id=1),
            learnet.metrics.PearsonCorrelation(),
        ],
    )
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert np.shape(history.history["f1_score"][0]) == (3,)  # one per class, as Keras logs it
    logs = model.evaluate(x, y, batch_size=40, verbose=0, return_dict=True)
    expected = learnet.metrics.F1Score(average="macro")
    expected.update_state(y, model.predict(x, verbose=0))
    assert logs["f1_macro"] == pytest.approx(float(expected.result()), rel=1e-5)
    assert 0.0 <= logs["one_hot_mean_io_u"] <= 1.0


# --- bad arguments and bad inputs -----------------------------------------------------------------
@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: metrics.TruePositives(thresholds=1.5), "TruePositives: thresholds must be numbers in"),
        (lambda: metrics.FalsePositives(thresholds=[]), "FalsePositives: thresholds must not be empty"),
        (lambda: metrics.TrueNegatives(thresholds="high"), "TrueNegatives: thresholds must be"),
        (lambda: metrics.PrecisionAtRecall(recall=1.2), "PrecisionAtRecall: recall must be"),
        (lambda: metrics.RecallAtPrecision(precision=-0.1), "RecallAtPrecision: precision must be"),
        (lambda: metrics.SensitivityAtSpecificity(0.5, num_thresholds=0), "num_thresholds must be"),
        (lambda: metrics.F1Score(average="mean"), "F1Score: average must be"),
        (lambda: metrics.FBetaScore(beta=0.0), "FBetaScore: beta must be"),
        (lambda: metrics.F1Score(threshold=0.0), "F1Score: threshold must be"),
        (lambda: metrics.IoU(3, target_class_ids=[3]), r"IoU: target_class_ids \[3\] are out of range"),
        (lambda: metrics.IoU(3, target_class_ids=[]), "IoU: target_class_ids must be"),
        (lambda: metrics.MeanIoU(0), "MeanIoU: num_classes must be"),
        (lambda: metrics.BinaryIoU(target_class_ids=[2]), "BinaryIoU: target_class_ids"),
        (lambda: metrics.BinaryIoU(threshold="half"), "BinaryIoU: threshold must be"),
    ],
)
def test_bad_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def _unchanged_after(metric, good, bad, match):
    metric.update_state(*good)
    before = np.array(metric.result())
    with pytest.raises(ValueError, match=match):
        metric.update_state(*bad)
    np.testing.assert_array_equal(np.array(metric.result()), before)


def test_bad_inputs_change_nothing():
    y, p = np.eye(3, dtype="float32")[[0, 1, 2, 1]], np.full((4, 3), 0.4, "float32")
    _unchanged_after(metrics.F1Score(), (y, p), (y[:, :2], p), "F1Score expects y_true and y_pred of the same 2-D")
    _unchanged_after(metrics.F1Score(), (y, p), (y[:, :2], p[:, :2]), "F1Score: this metric has seen 3 classes")
    _unchanged_after(
        metrics.F1Score(), (y, p), (y, p, np.ones(3)), r"F1Score: sample_weight of shape \(3,\) does not fit 4"
    )
    _unchanged_after(metrics.MeanIoU(3), ([0, 1], [0, 1]), ([0, 1], [0, 1, 2]), "MeanIoU: y_true gives 2")
    _unchanged_after(metrics.TruePositives(), ([0, 1], [0.2, 0.9]), ([0, 1], [0.2, 0.9, 0.3]), "true_positives")
    m = metrics.PrecisionAtRecall(0.5, class_id=4)
    with pytest.raises(ValueError, match="PrecisionAtRecall: class_id=4 needs predictions"):
        m.update_state(y, p)
    assert float(m.result()) == 0.0


def test_precision_and_recall_variables_are_keras_3s():
    # Keras 3.15: Precision keeps true_positives and false_positives; Recall true_positives and false_negatives.
    import learnet as keras

    precision, recall = keras.metrics.Precision(), keras.metrics.Recall()
    assert [v.name.split("/")[-1] for v in precision.variables] == ["true_positives", "false_positives"]
    assert [v.name.split("/")[-1] for v in recall.variables] == ["true_positives", "false_negatives"]
    precision.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    recall.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert round(float(precision.result()), 4) == 0.6667 == round(float(recall.result()), 4)
