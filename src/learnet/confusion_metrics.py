"""More of Keras' metrics: confusion counts, operating points, F-scores, IoU and correlations.

These are the metrics the imbalanced-data and segmentation tutorials compile with:

* ``TruePositives``, ``FalsePositives``, ``TrueNegatives``, ``FalseNegatives``: weighted
  counts at one threshold or a list of thresholds;
* ``PrecisionAtRecall``, ``RecallAtPrecision``, ``SensitivityAtSpecificity``,
  ``SpecificityAtSensitivity``: the best value of one rate over the thresholds where the
  other rate reaches a target;
* ``F1Score`` and ``FBetaScore`` per class, or averaged ("micro", "macro", "weighted");
* ``IoU``, ``MeanIoU``, ``BinaryIoU``, ``OneHotIoU``, ``OneHotMeanIoU``: intersection over
  union from a class-by-class confusion matrix;
* ``PearsonCorrelation`` and ``ConcordanceCorrelation``, and their function forms;
* the function forms ``keras.metrics`` shares with ``keras.losses`` (``mean_squared_error``,
  ``binary_crossentropy``, ``huber``...): the very functions of ``learnet.losses``.

The counting classes build on ``learnet.metrics``' ``Precision``/``Recall`` machinery
(``_ConfusionCounts``): one place compares predictions with thresholds. Importing this
module adds its names to ``learnet.metrics`` (``learnet.metrics`` imports it at its end),
so ``compile(metrics=["true_positives", "f1_score"])`` finds them.

Examples
--------
>>> import learnet as keras
>>> m = keras.metrics.TruePositives(thresholds=[0.3, 0.7])
>>> m.update_state([0, 1, 1, 1], [0.9, 0.2, 0.5, 0.8])
>>> m.result().numpy().tolist()
[2.0, 1.0]
"""

import numbers

import numpy

from learnet import backend
from learnet import metrics as _metrics
from learnet.backend import xp
from learnet.losses import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from learnet.metrics import (
    _EPSILON,
    Metric,
    MeanMetricWrapper,
    _array,
    _ConfusionCounts,
    _float,
    _public,
    _same_rank,
    _scalar,
)
from learnet.warn import warn


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_thresholds(who, thresholds):
    """Keras' rule: each threshold is a number in [0, 1] (``None`` means 0.5)."""
    if thresholds is None:
        return
    values = [thresholds] if _is_number(thresholds) else thresholds
    try:
        values = list(values)
    except TypeError:
        raise ValueError(f"{who}: thresholds must be a number or a list of numbers, got {thresholds!r}") from None
    if not values:
        raise ValueError(f"{who}: thresholds must not be empty")
    wrong = [t for t in values if not _is_number(t) or not 0.0 <= t <= 1.0]
    if wrong:
        raise ValueError(f"{who}: thresholds must be numbers in [0, 1], got {wrong}")


def _evenly_spread(thresholds):
    """True for thresholds ``0, 1/(n-1), ..., 1`` (n >= 3), the ones Keras counts by bucket."""
    n = len(thresholds)
    return n >= 3 and numpy.allclose(thresholds, numpy.arange(n) / (n - 1), atol=_EPSILON)


class _ThresholdCounts(_ConfusionCounts):
    """Confusion counts at thresholds, counted exactly as Keras counts them.

    Predictions are compared in the metric's dtype (float32). For evenly spread thresholds
    ``i / (n - 1)`` Keras clips a prediction ``p`` to [0, 1] and drops it in bucket
    ``ceil(p * (n - 1)) - 1``: it counts as positive at the thresholds ``i <= bucket``.
    That is ``p > i / (n - 1)`` up to rounding; doing the same keeps the counts identical.
    """

    def __init__(self, thresholds, class_id=None, name=None, dtype=None):
        super().__init__(thresholds, None, class_id, name=name, dtype=dtype)
        self._by_bucket = _evenly_spread(self.thresholds)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _array(y_pred).astype(self.dtype, copy=False)
        if self.class_id is not None and (y_pred.ndim < 2 or not 0 <= self.class_id < y_pred.shape[-1]):
            raise ValueError(
                f"{type(self).__name__}: class_id={self.class_id} needs predictions of shape "
                f"(batch_size, classes) with more than {self.class_id} classes, got {tuple(y_pred.shape)}"
            )
        if self._by_bucket:
            steps = y_pred.dtype.type(len(self.thresholds) - 1)
            y_pred = xp.ceil(xp.clip(y_pred, 0, 1) * steps) - 1
        super().update_state(y_true, y_pred, sample_weight)

    def _thresholds_as(self, dtype):
        if not self._by_bucket:
            return super()._thresholds_as(dtype)
        # Positive at threshold i when the bucket is >= i, i.e. > i - 0.5.
        return xp.arange(len(self.thresholds), dtype=dtype)[:, None] - dtype.type(0.5)


# --- the four counts ------------------------------------------------------------------------------
class _ConditionCount(_ThresholdCounts):
    """The weighted count of one cell of the confusion matrix, per threshold."""

    _condition = None  # "true_positives", "false_positives", "true_negatives" or "false_negatives"

    def __init__(self, thresholds=None, name=None, dtype=None):
        _check_thresholds(type(self).__name__, thresholds)
        super().__init__(thresholds, name=name, dtype=dtype)

    def result(self):
        counts = getattr(self, self._condition)
        return _scalar(counts[0] if self._single else counts, self.dtype)

    def get_config(self):
        return {**Metric.get_config(self), "thresholds": self.init_thresholds}


class TruePositives(_ConditionCount):
    """The (weighted) number of positive examples predicted positive (``y_pred > threshold``).

    Parameters
    ----------
    thresholds : float or list of float, optional
        In [0, 1]; 0.5 by default. With a list, ``result()`` has one count per threshold.
        Use 0 when the model outputs logits.
    name, dtype : optional

    Examples
    --------
    >>> m = TruePositives()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> float(m.result())
    2.0
    >>> m.reset_state()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    >>> float(m.result())
    1.0
    """

    _direction = "up"
    _condition = "true_positives"


class FalsePositives(_ConditionCount):
    """The (weighted) number of negative examples predicted positive (``y_pred > threshold``).

    Parameters as ``TruePositives``.

    Examples
    --------
    >>> m = FalsePositives()
    >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1])
    >>> float(m.result())
    2.0
    """

    _direction = "down"
    _condition = "false_positives"


class TrueNegatives(_ConditionCount):
    """The (weighted) number of negative examples predicted negative (``y_pred <= threshold``).

    Parameters as ``TruePositives``.

    Examples
    --------
    >>> m = TrueNegatives()
    >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
    >>> float(m.result())
    2.0
    """

    _direction = "up"
    _condition = "true_negatives"


class FalseNegatives(_ConditionCount):
    """The (weighted) number of positive examples predicted negative (``y_pred <= threshold``).

    Parameters as ``TruePositives``.

    Examples
    --------
    >>> m = FalseNegatives()
    >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
    >>> float(m.result())
    2.0
    """

    _direction = "down"
    _condition = "false_negatives"


# --- one rate at the best threshold where another reaches a target ---------------------------------
class _AtTarget(_ThresholdCounts):
    """Counts at ``num_thresholds`` thresholds spread evenly over [0, 1] (0.5 if just one).

    ``result`` picks, over the thresholds where the *constrained* rate is at least the
    target, the largest *reported* rate (0 where none qualifies). Subclasses name the two
    rates and the target's argument.
    """

    _direction = "up"
    _target_name = None  # the constructor argument: "recall", "precision", ...

    def __init__(self, target, num_thresholds=200, class_id=None, name=None, dtype=None):
        who = type(self).__name__
        if not _is_number(target) or not 0.0 <= target <= 1.0:
            raise ValueError(f"{who}: {self._target_name} must be a number in [0, 1], got {target!r}")
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, numbers.Integral) or num_thresholds < 1:
            raise ValueError(f"{who}: num_thresholds must be an integer > 0, got {num_thresholds!r}")
        if class_id is not None and (isinstance(class_id, bool) or not isinstance(class_id, numbers.Integral)):
            raise ValueError(f"{who}: class_id must be an integer or None, got {class_id!r}")
        self.num_thresholds = int(num_thresholds)
        self.value = target
        setattr(self, self._target_name, target)
        if self.num_thresholds == 1:
            thresholds = [0.5]
        else:
            inner = [(i + 1) / (self.num_thresholds - 1) for i in range(self.num_thresholds - 2)]
            thresholds = [0.0] + inner + [1.0]
        super().__init__(thresholds, class_id=class_id, name=name, dtype=dtype)
        self._single = False  # the result is one number, whatever the count of thresholds

    def _rates(self):
        """Recall (= sensitivity), precision and specificity at each threshold, in the metric's dtype."""
        tp, fp, fn, tn = (
            getattr(self, n).astype(self.dtype)
            for n in ("true_positives", "false_positives", "false_negatives", "true_negatives")
        )

        def ratio(a, b):
            return xp.where(b > 0, a / xp.where(b > 0, b, 1), 0).astype(self.dtype)

        return {"recall": ratio(tp, tp + fn), "precision": ratio(tp, tp + fp), "specificity": ratio(tn, tn + fp)}

    def _best(self, reported, constrained):
        rates = self._rates()
        feasible = rates[constrained] >= self.dtype.type(self.value)
        return _scalar(xp.max(xp.where(feasible, rates[reported], 0)), self.dtype)

    def get_config(self):
        return {
            **Metric.get_config(self),
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
            self._target_name: getattr(self, self._target_name),
        }


class PrecisionAtRecall(_AtTarget):
    """The best precision over the thresholds where recall is at least ``recall``.

    Parameters
    ----------
    recall : float
        The recall to reach, in [0, 1].
    num_thresholds : int, default 200
        How many thresholds (evenly spread over [0, 1]) are tried.
    class_id : int, optional
        Look at one class (one column of the predictions) only.
    name, dtype : optional

    Examples
    --------
    >>> m = PrecisionAtRecall(recall=0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> float(m.result())
    0.5
    """

    _target_name = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name=name, dtype=dtype)

    def result(self):
        return self._best("precision", constrained="recall")


class RecallAtPrecision(_AtTarget):
    """The best recall over the thresholds where precision is at least ``precision`` (0 if none).

    Parameters as ``PrecisionAtRecall``, with ``precision`` the precision to reach.

    Examples
    --------
    >>> m = RecallAtPrecision(precision=0.8)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> float(m.result())
    0.5
    """

    _target_name = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name=name, dtype=dtype)

    def result(self):
        return self._best("recall", constrained="precision")


class SensitivityAtSpecificity(_AtTarget):
    """The best sensitivity (recall) over the thresholds where specificity is at least ``specificity``.

    Sensitivity is ``tp / (tp + fn)``, specificity ``tn / (tn + fp)``. Parameters as
    ``PrecisionAtRecall``, with ``specificity`` the specificity to reach.

    Examples
    --------
    >>> m = SensitivityAtSpecificity(specificity=0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> float(m.result())
    0.5
    """

    _target_name = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name=name, dtype=dtype)

    def result(self):
        return self._best("recall", constrained="specificity")


class SpecificityAtSensitivity(_AtTarget):
    """The best specificity over the thresholds where sensitivity (recall) is at least ``sensitivity``.

    Parameters as ``PrecisionAtRecall``, with ``sensitivity`` the sensitivity to reach.

    Examples
    --------
    >>> m = SpecificityAtSensitivity(sensitivity=0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _target_name = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name=name, dtype=dtype)

    def result(self):
        return self._best("specificity", constrained="recall")


# --- F-scores -------------------------------------------------------------------------------------
class FBetaScore(Metric):
    """The F-beta score: ``(1 + beta^2) * precision * recall / (beta^2 * precision + recall)``.

    Inputs are 2-D, ``(batch_size, classes)``: one-hot (or multi-hot) labels and scores.
    A class counts as predicted where its score is above ``threshold``; with no threshold,
    where it is the example's highest score.

    Parameters
    ----------
    average : {None, "micro", "macro", "weighted"}
        None: one score per class. "micro": one score from the counts of all classes
        together. "macro": the mean of the per-class scores. "weighted": their mean
        weighted by how many true examples each class has.
    beta : float, default 1.0
        How many times more recall weighs than precision (> 0).
    threshold : float, optional
        In (0, 1].
    name, dtype : optional

    Examples
    --------
    >>> m = FBetaScore(beta=2.0, threshold=0.5)
    >>> m.update_state([[1, 1, 0], [1, 0, 0], [1, 1, 0]],
    ...                [[0.9, 0.1, 0], [0.2, 0.6, 0.6], [0.6, 0.8, 0]])
    >>> [round(float(v), 4) for v in m.result().numpy()]
    [0.7143, 0.5, 0.0]
    """

    _direction = "up"
    _state_attributes = ("true_positives", "false_positives", "false_negatives", "intermediate_weights")

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        who = type(self).__name__
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"{who}: average must be None, 'micro', 'macro' or 'weighted', got {average!r}")
        if not _is_number(beta) or beta <= 0:
            raise ValueError(f"{who}: beta must be a number > 0, got {beta!r}")
        if threshold is not None and (not _is_number(threshold) or not 0 < threshold <= 1):
            raise ValueError(f"{who}: threshold must be None or a number with 0 < threshold <= 1, got {threshold!r}")
        self.average = average
        self.beta = float(beta)
        self.threshold = None if threshold is None else float(threshold)
        self.reset_state()

    def reset_state(self):
        # Per-class arrays (one number for "micro") once the first batch tells the classes.
        self.true_positives = self.false_positives = self.false_negatives = self.intermediate_weights = 0.0
        self._classes = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        who = type(self).__name__
        y_true = _array(y_true).astype(self.dtype, copy=False)
        y_pred = _array(y_pred).astype(self.dtype, copy=False)
        if y_true.ndim != 2 or y_pred.shape != y_true.shape:
            raise ValueError(
                f"{who} expects y_true and y_pred of the same 2-D shape (batch_size, classes), "
                f"got {tuple(y_true.shape)} and {tuple(y_pred.shape)}"
            )
        if self._classes is not None and y_pred.shape[1] != self._classes:
            raise ValueError(f"{who}: this metric has seen {self._classes} classes, got a batch with {y_pred.shape[1]}")
        if self.threshold is None:
            predicted = (y_pred >= y_pred.max(axis=-1, keepdims=True)) & (xp.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.astype(self.dtype)
        weight = xp.ones((len(y_true), 1), dtype=self.dtype)
        if sample_weight is not None:
            weight = _array(sample_weight).astype(self.dtype, copy=False)
            if weight.size not in (1, len(y_true)):
                raise ValueError(
                    f"{who}: sample_weight of shape {tuple(weight.shape)} does not fit {len(y_true)} examples"
                )
            weight = xp.broadcast_to(weight.reshape(-1, 1), (len(y_true), 1))
        axis = None if self.average == "micro" else 0

        def weighted_sum(values):
            return xp.sum(values * weight, axis=axis, dtype=numpy.float64)

        self.true_positives = self.true_positives + weighted_sum(predicted * y_true)
        self.false_positives = self.false_positives + weighted_sum(predicted * (1 - y_true))
        self.false_negatives = self.false_negatives + weighted_sum((1 - predicted) * y_true)
        self.intermediate_weights = self.intermediate_weights + weighted_sum(y_true)
        self._classes = y_pred.shape[1]

    def result(self):
        tp, fp, fn = (
            xp.asarray(v, dtype=numpy.float64)
            for v in (self.true_positives, self.false_positives, self.false_negatives)
        )
        precision = tp / (tp + fp + _EPSILON)
        recall = tp / (tp + fn + _EPSILON)
        beta2 = self.beta**2
        score = (1 + beta2) * precision * recall / (beta2 * precision + recall + _EPSILON)
        if self.average == "weighted":
            weights = xp.asarray(self.intermediate_weights, dtype=numpy.float64)
            score = xp.sum(score * weights / (xp.sum(weights) + _EPSILON))
        elif self.average is not None:
            score = xp.mean(score)
        return _scalar(score, self.dtype)

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """The F1 score: ``2 * precision * recall / (precision + recall)``, ``FBetaScore`` with beta 1.

    Parameters
    ----------
    average : {None, "micro", "macro", "weighted"}
    threshold : float, optional
    name, dtype : optional

    Examples
    --------
    >>> m = F1Score(threshold=0.5)
    >>> m.update_state([[1, 1, 0], [1, 0, 0], [1, 1, 0]],
    ...                [[0.9, 0.1, 0], [0.2, 0.6, 0.6], [0.6, 0.8, 0]])
    >>> [round(float(v), 4) for v in m.result().numpy()]
    [0.8, 0.5, 0.0]
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config


# --- intersection over union ----------------------------------------------------------------------
class _IoUBase(Metric):
    """A ``num_classes x num_classes`` confusion matrix (rows: true class, columns: predicted).

    As in Keras the default dtype is ``int32``: sample weights are cast to it (a float
    weight of 0.5 counts as 0, with a warning); pass ``dtype="float32"`` for fractional
    weights. ``result()`` is a float either way.
    """

    _direction = "up"
    _state_attributes = ("total_cm",)

    def __init__(
        self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1
    ):
        super().__init__(name=name, dtype=dtype if dtype is not None else "int32")
        who = type(self).__name__
        if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 1:
            raise ValueError(f"{who}: num_classes must be an integer >= 1, got {num_classes!r}")
        if ignore_class is not None and (
            isinstance(ignore_class, bool) or not isinstance(ignore_class, numbers.Integral)
        ):
            raise ValueError(f"{who}: ignore_class must be an integer or None, got {ignore_class!r}")
        self.num_classes = int(num_classes)
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.reset_state()

    def reset_state(self):
        self.total_cm = xp.zeros((self.num_classes, self.num_classes))

    def _class_numbers(self, y_true, y_pred):
        """Integer labels and predicted classes (arg-max over ``axis`` where one-hot)."""
        y_true, y_pred = _array(y_true), _array(y_pred)
        if not self.sparse_y_true:
            y_true = xp.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = xp.argmax(y_pred, axis=self.axis)
        # Keras casts to the metric's dtype (int32 by default): 2.7 becomes class 2.
        return y_true.astype(self.dtype, copy=False), y_pred.astype(self.dtype, copy=False)

    def update_state(self, y_true, y_pred, sample_weight=None):
        who = type(self).__name__
        labels, predicted = self._class_numbers(y_true, y_pred)
        if labels.size != predicted.size:
            raise ValueError(
                f"{who}: y_true gives {labels.size} class numbers of shape {tuple(labels.shape)} but y_pred "
                f"gives {predicted.size} of shape {tuple(predicted.shape)}"
            )
        if sample_weight is None:
            weight = xp.ones(labels.size)
        else:
            weight = _array(sample_weight)
            if weight.dtype.kind == "f" and self.dtype.kind in "iu":
                warn(
                    f"{who}: sample_weight is float but the metric's dtype is {self.dtype.name}, so weights are "
                    "cast to integers (as in Keras); pass dtype='float32' to keep fractional weights"
                )
            weight = weight.astype(self.dtype, copy=False)
            if weight.size != labels.size:  # one weight per example: repeat it over the example's pixels
                try:
                    weight = weight.reshape(weight.shape + (1,) * (labels.ndim - weight.ndim))
                    weight = xp.broadcast_to(weight, labels.shape)
                except ValueError:
                    raise ValueError(
                        f"{who}: sample_weight of shape {tuple(_array(sample_weight).shape)} does not fit class "
                        f"numbers of shape {tuple(labels.shape)}"
                    ) from None
            weight = weight.reshape(-1).astype(numpy.float64)
        labels, predicted = labels.reshape(-1).astype(xp.int64), predicted.reshape(-1).astype(xp.int64)
        classes = self.num_classes
        keep = (labels >= 0) & (labels < classes) & (predicted >= 0) & (predicted < classes)
        if self.ignore_class is not None:
            keep &= labels != self.ignore_class
        cells = labels[keep] * classes + predicted[keep]
        counts = xp.bincount(cells, weights=weight[keep], minlength=classes * classes)
        self.total_cm = self.total_cm + counts.reshape(classes, classes)

    def result(self):
        matrix = self.total_cm
        true_positives = xp.diagonal(matrix)
        # A class's row sum + column sum = 2 tp + fp + fn.
        union = matrix.sum(axis=0) + matrix.sum(axis=1) - true_positives
        targets = xp.asarray(self.target_class_ids)
        true_positives, union = true_positives[targets], union[targets]
        present = union > 1e-9  # a class never seen nor predicted does not count
        iou = xp.where(present, true_positives / (union + _EPSILON), 0.0)
        return _scalar(xp.sum(iou) / (xp.sum(present) + _EPSILON), backend.floatx())


def _check_target_ids(who, target_class_ids, num_classes):
    ids = list(target_class_ids) if not _is_number(target_class_ids) else None
    if not ids or any(isinstance(i, bool) or not isinstance(i, numbers.Integral) for i in ids):
        raise ValueError(f"{who}: target_class_ids must be a non-empty list of class numbers, got {target_class_ids!r}")
    wrong = [i for i in ids if not 0 <= i < num_classes]
    if wrong:
        raise ValueError(f"{who}: target_class_ids {wrong} are out of range [0, {num_classes})")
    return [int(i) for i in ids]


class IoU(_IoUBase):
    """Intersection over union ``tp / (tp + fp + fn)``, averaged over ``target_class_ids``.

    Parameters
    ----------
    num_classes : int
    target_class_ids : list of int
        The classes whose IoU is averaged (classes absent from labels and predictions are skipped).
    ignore_class : int, optional
        A label to leave out (a "void" class, often -1 or 255).
    sparse_y_true, sparse_y_pred : bool, default True
        False where labels (predictions) are one-hot or scores: their arg-max is taken.
    axis : int, default -1
        The class axis for that arg-max.
    name, dtype : optional

    Examples
    --------
    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(float(m.result()), 4)          # 1 / (2 + 2 - 1)
    0.3333
    """

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        super().__init__(num_classes, name, dtype, ignore_class, sparse_y_true, sparse_y_pred, axis)
        self.target_class_ids = _check_target_ids(type(self).__name__, target_class_ids, self.num_classes)

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class BinaryIoU(IoU):
    """IoU of the classes 0 and 1, predictions becoming class 1 where ``y_pred >= threshold``.

    Parameters
    ----------
    target_class_ids : list of int, default (0, 1)
        ``[0]``, ``[1]`` or ``[0, 1]`` (their mean).
    threshold : float, default 0.5
    name, dtype : optional

    Examples
    --------
    >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    >>> round(float(m.result()), 4)
    0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        if not _is_number(threshold):
            raise ValueError(f"BinaryIoU: threshold must be a number, got {threshold!r}")
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        predicted = _array(y_pred).astype(numpy.float32, copy=False) >= self.threshold
        super().update_state(y_true, predicted, sample_weight)

    def get_config(self):
        return {
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype.name,
        }


class MeanIoU(IoU):
    """The mean IoU over all ``num_classes`` classes (those seen in labels or predictions).

    Parameters as ``IoU``, without ``target_class_ids``.

    Examples
    --------
    >>> m = MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(float(m.result()), 4)
    0.3333
    """

    def __init__(
        self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1
    ):
        if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 1:
            raise ValueError(f"MeanIoU: num_classes must be an integer >= 1, got {num_classes!r}")
        super().__init__(
            num_classes, list(range(num_classes)), name, dtype, ignore_class, sparse_y_true, sparse_y_pred, axis
        )

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


class OneHotIoU(IoU):
    """``IoU`` for one-hot labels (and scores as predictions): arg-max over ``axis`` first.

    Parameters as ``IoU``; ``sparse_y_pred`` is False by default and labels are always one-hot.

    Examples
    --------
    >>> m = OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
    ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
    >>> round(float(m.result()), 4)
    0.1667
    """

    def __init__(
        self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1
    ):
        super().__init__(num_classes, target_class_ids, name, dtype, ignore_class, False, sparse_y_pred, axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """``MeanIoU`` for one-hot labels (and scores as predictions): arg-max over ``axis`` first.

    Examples
    --------
    >>> m = OneHotMeanIoU(num_classes=3)
    >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
    ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
    >>> round(float(m.result()), 4)
    0.1111
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name, dtype, ignore_class, False, sparse_y_pred, axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


# --- correlations ---------------------------------------------------------------------------------
def _pair_as_floats(y_true, y_pred):
    y_pred = _float(y_pred)
    return _same_rank(y_true.astype(y_pred.dtype, copy=False), y_pred)


def _pearson_correlation(y_true, y_pred, axis=-1):
    y_true, y_pred = _pair_as_floats(y_true, y_pred)
    true_centred = y_true - xp.mean(y_true, axis=axis, keepdims=True)
    pred_centred = y_pred - xp.mean(y_pred, axis=axis, keepdims=True)
    with numpy.errstate(divide="ignore", invalid="ignore"):  # a constant row gives NaN, as in Keras
        true_standard = true_centred / xp.std(true_centred, axis=axis, keepdims=True)
        pred_standard = pred_centred / xp.std(pred_centred, axis=axis, keepdims=True)
    return xp.mean(true_standard * pred_standard, axis=axis)


def _concordance_correlation(y_true, y_pred, axis=-1):
    y_true, y_pred = _pair_as_floats(y_true, y_pred)
    true_mean = xp.mean(y_true, axis=axis, keepdims=True)
    pred_mean = xp.mean(y_pred, axis=axis, keepdims=True)
    covariance = (y_true - true_mean) * (y_pred - pred_mean)
    spread = xp.var(y_true, axis=axis, keepdims=True) + xp.var(y_pred, axis=axis, keepdims=True)
    spread = spread + xp.square(true_mean - pred_mean)
    return xp.mean(2 * covariance / (spread + _EPSILON), axis=axis)


pearson_correlation = _public(_pearson_correlation, "pearson_correlation")
pearson_correlation.__doc__ = """``pearson_correlation(y_true, y_pred, axis=-1)``: Pearson's r along ``axis``, per example.

Examples
--------
>>> round(float(pearson_correlation([[1.0, 2.0, 3.0]], [[2.0, 4.0, 7.0]])[0]), 4)
0.9934
"""
concordance_correlation = _public(_concordance_correlation, "concordance_correlation")
concordance_correlation.__doc__ = """``concordance_correlation(y_true, y_pred, axis=-1)``: Lin's
concordance correlation ``2 cov / (var_true + var_pred + (mean_true - mean_pred)^2)`` along ``axis``.

Examples
--------
>>> round(float(concordance_correlation([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]])[0]), 4)
1.0
"""


class _CorrelationMean(MeanMetricWrapper):
    """The mean over examples of a correlation computed along ``axis`` of each example."""

    _direction = "up"
    _kernel = None

    def __init__(self, name=None, dtype=None, axis=-1):
        MeanMetricWrapper.__init__(self, type(self)._kernel, name=name, dtype=dtype, axis=axis)
        self._on_arrays = True
        self.axis = axis


class PearsonCorrelation(_CorrelationMean):
    """Pearson's correlation coefficient of ``y_true`` and ``y_pred`` along ``axis``, averaged over examples.

    Examples
    --------
    >>> m = PearsonCorrelation()
    >>> m.update_state([[1.0, 2.0, 3.0], [1.0, 0.0, 2.0]], [[2.0, 4.0, 7.0], [2.0, 1.0, 3.0]])
    >>> round(float(m.result()), 4)
    0.9967
    """

    _kernel = staticmethod(_pearson_correlation)

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)


class ConcordanceCorrelation(_CorrelationMean):
    """Lin's concordance correlation of ``y_true`` and ``y_pred`` along ``axis``, averaged over examples.

    Like Pearson's r, but it also drops when the predictions are shifted or scaled.

    Examples
    --------
    >>> m = ConcordanceCorrelation()
    >>> m.update_state([[1.0, 2.0, 3.0]], [[2.0, 3.0, 4.0]])
    >>> round(float(m.result()), 4)
    0.5714
    """

    _kernel = staticmethod(_concordance_correlation)

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)


# --- the names this module adds to learnet.metrics --------------------------------------------------
CLASSES = (
    TruePositives,
    FalsePositives,
    TrueNegatives,
    FalseNegatives,
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    FBetaScore,
    F1Score,
    IoU,
    MeanIoU,
    BinaryIoU,
    OneHotIoU,
    OneHotMeanIoU,
    PearsonCorrelation,
    ConcordanceCorrelation,
)
# Keras' metric functions are its loss functions; learnet's are too.
FUNCTIONS = (
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    hinge,
    squared_hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    pearson_correlation,
    concordance_correlation,
)
# The string names Keras accepts in compile(metrics=[...]): each class's snake_case name.
# Those whose class needs arguments (``"mean_io_u"``) fail as in Keras, naming the missing one.
BY_NAME = {_metrics._snake_case(cls.__name__): cls for cls in CLASSES}

__all__ = [cls.__name__ for cls in CLASSES] + [function.__name__ for function in FUNCTIONS]


def _add_to_metrics_module():
    """Make these names ``learnet.metrics.X`` and known to its ``get``/``deserialize``.

    Done from here rather than by ``from learnet.confusion_metrics import ...`` in
    ``learnet.metrics``, so either module may be imported first.
    """
    for name in __all__:
        setattr(_metrics, name, globals()[name])
    _metrics._CLASSES = _metrics._CLASSES + CLASSES
    _metrics._BY_NAME.update(BY_NAME)
    _metrics.__all__ += [name for name in __all__ if name not in _metrics.__all__]


_add_to_metrics_module()
