"""What ``compile`` makes of its arguments: a loss per output and the metrics to track.

``LossesContainer`` turns ``loss=`` (a name, a loss object or function, or a list or
dict of them for several outputs) into one scalar: the (weighted) sum of the losses
of all outputs; with several outputs that have a loss, it also tracks each output's own
(unweighted) loss in a ``Mean`` named ``<output>_loss``, the ``main_output_loss`` of
Keras' logs. ``MetricsContainer`` resolves ``metrics=["accuracy"]`` once the shapes
of targets and outputs are known (so "accuracy" becomes the right kind, as in Keras)
and updates the metrics on NumPy arrays after every step.
"""

import copy

import numpy as np

from learnet import losses as losses_module
from learnet import metrics as metrics_module
from learnet.tensor import Tensor
from learnet.tree import flatten


def _as_array(value):
    if isinstance(value, Tensor):
        return value._value
    return value


def _resolve_loss(identifier):
    if identifier is None:
        return None
    loss = losses_module.get(identifier)
    if loss is None or not callable(loss):
        raise ValueError(f"compile: cannot interpret {identifier!r} as a loss")
    return loss


def _call_loss(loss, y_true, y_pred, sample_weight):
    """The mean loss over the batch (weighted by ``sample_weight``), as a scalar tensor.

    ``losses.get`` wraps every loss (a name, a function) in a ``Loss`` object, which
    reduces itself as Keras does (``sum_over_batch_size``).
    """
    if sample_weight is None:
        return loss(y_true, y_pred)
    return loss(y_true, y_pred, sample_weight=sample_weight)


def _structure_for_outputs(value, output_names, what):
    """Match ``value`` (one, a list, or a dict by output name) to the outputs, as a list."""
    count = len(output_names)
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(output_names))
        if unknown:
            raise ValueError(
                f"compile: {what} names unknown output(s) {unknown}; the model's outputs are {output_names}"
            )
        return [value.get(name) for name in output_names]
    if isinstance(value, (list, tuple)) and count > 1:
        if len(value) != count:
            raise ValueError(
                f"compile: {what} has {len(value)} entries, but the model has {count} outputs {output_names}"
            )
        return list(value)
    return [value] * count


def targets_per_output(y_true, y_pred, output_names, losses=None, in_order=False):
    """The targets of each output, as a list in output order (``None`` where an output has none).

    The rules are Keras 3's:

    * a dict of targets pairs each with the output of that name;
    * a list (or tuple) with one entry per output pairs them in order (an entry may be ``None``);
    * otherwise the targets (a single array is a list of one) go, in order, to the outputs
      that have a loss: ``loss=[SparseCategoricalCrossentropy(), None]`` for a model with
      outputs ``[logits, hidden]`` trains with ``fit(x, y)``, ``y`` the targets of ``logits``;
    * with ``in_order=True``, targets that fit none of these go to the first outputs, one
      each, as far as they reach (the rest get ``None``, extra targets are dropped): how
      Keras 3 pairs them for the compiled metrics, and for a model that computes its own loss.

    Parameters
    ----------
    y_true : array, list, tuple or dict
        The targets as given.
    y_pred : tensor, list or dict
        The model's outputs (their structure decides how a dict of targets is read).
    output_names : list of str
        The outputs' names, in order.
    losses : list, optional
        The loss of each output (``None`` for an output without one); without it, only
        targets for every output are understood.

    Examples
    --------
    >>> targets_per_output("y", ["logits", "hidden"], ["logits", "hidden"], ["sce", None])
    ['y', None]
    >>> targets_per_output(["y", "h"], ["logits", "hidden"], ["logits", "hidden"], ["sce", None])
    ['y', 'h']
    >>> targets_per_output("y", ["a", "b", "c"], ["a", "b", "c"], in_order=True)
    ['y', None, None]
    """
    count = len(output_names)
    if isinstance(y_true, dict):
        keys = list(y_pred) if isinstance(y_pred, dict) else list(output_names)
        if set(y_true) <= set(keys):
            return [y_true.get(key) for key in keys]
    targets = flatten(y_true) if isinstance(y_true, (list, tuple, dict)) else [y_true]
    if len(targets) == count:
        return targets
    with_loss = [] if losses is None else [index for index, loss in enumerate(losses) if loss is not None]
    if with_loss and len(targets) == len(with_loss) and len(with_loss) < count:
        placed = [None] * count
        for index, target in zip(with_loss, targets):
            placed[index] = target
        return placed
    if in_order:
        return (targets + [None] * count)[:count]
    has_loss = f", {len(with_loss)} of them with a loss" if losses is not None else ""
    raise ValueError(
        f"the model has {count} outputs {list(output_names)}{has_loss}, but {len(targets)} target "
        "array(s) were given; give one per output (None for an output without targets), one per "
        "output that has a loss, or a dict by output name"
    )


class LossesContainer:
    """The compiled loss: ``container(y_true, y_pred)`` is the total loss of a batch.

    Calling it also records the total in ``loss_tracker`` (a ``Mean`` metric named
    "loss"), as Keras 2's ``compiled_loss`` does, so a ``train_step`` written for
    TensorFlow 2 logs its loss.
    """

    def __init__(self, loss, loss_weights=None, loss_tracker=None):
        self._identifier = loss
        self._loss_weights_identifier = loss_weights
        self.loss_tracker = loss_tracker
        self._losses = None
        self._weights = None
        self._single = None
        self._output_trackers = []  # per output: a Mean "<name>_loss", or None
        if not isinstance(loss, (list, tuple, dict)):
            self._single = _resolve_loss(loss)

    @property
    def built(self):
        return self._losses is not None

    def build(self, output_names):
        """Give each output its loss and weight (once the outputs are known)."""
        losses = _structure_for_outputs(self._identifier, output_names, "loss")
        self._losses = [self._single if self._single is not None else _resolve_loss(loss) for loss in losses]
        if all(loss is None for loss in self._losses):
            raise ValueError("compile: loss is None for every output; give at least one loss")
        weights = self._loss_weights_identifier
        if weights is None:
            self._weights = [1.0] * len(output_names)
        else:
            weights = _structure_for_outputs(weights, output_names, "loss_weights")
            self._weights = [1.0 if w is None else float(w) for w in weights]
        self._output_names = list(output_names)
        # Keras logs each output's own loss when more than one output has a loss.
        several = sum(loss is not None for loss in self._losses) > 1
        self._output_trackers = [
            metrics_module.Mean(name=f"{name}_loss") if several and loss is not None else None
            for name, loss in zip(output_names, self._losses)
        ]

    @property
    def output_loss_trackers(self):
        """The ``Mean`` of each output's own loss (``main_output_loss``...), in output order."""
        return [tracker for tracker in self._output_trackers if tracker is not None]

    def loss_for_output(self, index):
        """The loss object of output ``index`` (used to check the targets)."""
        if self._losses is None:
            return self._single
        return self._losses[index]

    def __call__(self, y_true, y_pred, sample_weight=None, regularization_losses=None):
        total = self.compute(y_true, y_pred, sample_weight)
        if regularization_losses:
            total = total + sum(regularization_losses)
        if self.loss_tracker is not None:
            batch = len(flatten(y_pred)[0])
            self.loss_tracker.update_state(_as_array(total), sample_weight=batch)
        return total

    def compute(self, y_true, y_pred, sample_weight=None):
        """The weighted sum of every output's loss, as a scalar tensor (nothing recorded)."""
        if self._single is not None and not isinstance(y_pred, (list, tuple, dict)):
            return _call_loss(self._single, y_true, y_pred, sample_weight)
        predictions = flatten(y_pred)
        if self._losses is None:
            self.build([f"output_{i + 1}" for i in range(len(predictions))])
        if len(self._losses) != len(predictions):
            raise ValueError(
                f"the model has {len(predictions)} outputs, but the loss was built for {len(self._losses)}"
            )
        targets = targets_per_output(y_true, y_pred, self._output_names, self._losses)
        total = None
        trackers = self._output_trackers or [None] * len(predictions)
        for loss, weight, target, prediction, tracker in zip(
            self._losses, self._weights, targets, predictions, trackers
        ):
            if loss is None or target is None:
                continue
            value = _call_loss(loss, target, prediction, sample_weight)
            if tracker is not None:
                tracker.update_state(_as_array(value), sample_weight=len(_as_array(prediction)))
            if weight != 1.0:
                value = value * weight
            total = value if total is None else total + value
        if total is None:
            with_loss = [name for name, loss in zip(self._output_names, self._losses) if loss is not None]
            given = [name for name, target in zip(self._output_names, targets) if target is not None]
            raise ValueError(
                f"no target was given for any output that has a loss: the outputs with a loss are "
                f"{with_loss}, the targets are for {given}"
            )
        return total

    def get_config(self):
        return {"loss": self._identifier, "loss_weights": self._loss_weights_identifier}


class MetricsContainer:
    """The compiled metrics of every output; built on the first batch, when shapes are known."""

    def __init__(self, metrics=None, weighted_metrics=None, losses=None):
        self._identifiers = metrics
        self._weighted_identifiers = weighted_metrics
        self._losses = losses
        self._metrics = None  # flat list of metric objects
        self._per_output = None  # per output: [(metric, weighted), ...]
        self._output_names = None

    @property
    def built(self):
        return self._metrics is not None

    @property
    def metrics(self):
        return list(self._metrics or [])

    def build(self, y_true, y_pred, output_names=None):
        predictions = flatten(y_pred)
        names = list(output_names or [f"output_{i + 1}" for i in range(len(predictions))])
        self._output_names = names
        targets = self._targets(y_true, y_pred)
        several = len(predictions) > 1
        self._per_output = [[] for _ in predictions]
        self._metrics = []
        for weighted, identifiers in ((False, self._identifiers), (True, self._weighted_identifiers)):
            if identifiers is None:
                continue
            if several:
                per_output = _metrics_per_output(identifiers, names)
            else:
                per_output = [identifiers if isinstance(identifiers, (list, tuple)) else [identifiers]]
            for index, (items, prediction) in enumerate(zip(per_output, predictions)):
                target = targets[index] if index < len(targets) else None
                if several and target is None:
                    continue  # as Keras 3: an output given no targets tracks no metrics
                loss = self._losses.loss_for_output(index) if self._losses is not None else None
                for identifier in items:
                    metric = _resolve_metric(identifier, loss, prediction, target)
                    # The name the user gave, kept so a metric renamed per output is never renamed twice.
                    base_name = metric.__dict__.setdefault("_compiled_base_name", metric.name)
                    if any(metric is other for other in self._metrics):
                        metric = _fresh_copy(metric)  # one Metric object listed for every output
                    if several:
                        metric.name = f"{names[index]}_{base_name}"
                    if weighted and not several:
                        metric.name = f"weighted_{metric.name}" if self._identifiers else metric.name
                    self._per_output[index].append((metric, weighted))
                    self._metrics.append(metric)
        seen = set()
        for metric in self._metrics:
            if metric.name in seen:
                raise ValueError(f"compile: two metrics are named {metric.name!r}; give one a different name")
            seen.add(metric.name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self._metrics is None:
            self.build(y_true, y_pred)
        if not self._metrics:
            return
        predictions = flatten(y_pred)
        targets = self._targets(y_true, y_pred)
        weights = None if sample_weight is None else _as_array(sample_weight)
        for items, target, prediction in zip(self._per_output, targets, predictions):
            if not items or target is None:
                continue
            mask = getattr(prediction, "_keras_mask", None)
            target, prediction = _as_array(target), _as_array(prediction)
            if mask is not None:  # kept for the metrics that skip masked steps, as in Keras
                prediction = Tensor._wrap(prediction)
                prediction._keras_mask = mask
            for metric, weighted in items:
                if weighted:
                    metric.update_state(target, prediction, sample_weight=weights)
                else:
                    metric.update_state(target, prediction)

    def _targets(self, y_true, y_pred):
        """The targets of each output, in output order (``None`` where an output has none).

        Paired as the loss pairs them; targets the loss does not place (a model that computes
        its own loss, or has none) go to the first outputs in order, as Keras 3's compiled
        metrics zip them: a model with outputs ``[a, b, c]`` fitted with one target array
        scores only ``a``'s metrics, against that array.
        """
        predictions = flatten(y_pred)
        if len(predictions) == 1:
            return flatten(y_true) if isinstance(y_true, (list, tuple, dict)) else [y_true]
        names = self._output_names or [f"output_{i + 1}" for i in range(len(predictions))]
        losses = None
        if self._losses is not None and self._losses.built:
            losses = [self._losses.loss_for_output(index) for index in range(len(predictions))]
        return targets_per_output(y_true, y_pred, names, losses, in_order=True)

    def reset_state(self):
        for metric in self._metrics or []:
            metric.reset_state()


def _metrics_per_output(identifiers, names):
    if isinstance(identifiers, dict):
        unknown = sorted(set(identifiers) - set(names))
        if unknown:
            raise ValueError(f"compile: metrics name unknown output(s) {unknown}; the outputs are {names}")
        result = []
        for name in names:
            value = identifiers.get(name)
            result.append([] if value is None else list(value) if isinstance(value, (list, tuple)) else [value])
        return result
    items = list(identifiers) if isinstance(identifiers, (list, tuple)) else [identifiers]
    if len(items) == len(names):
        # Keras 3: a list with one entry per output (a metric, a list of them, or None).
        return [[] if i is None else list(i) if isinstance(i, (list, tuple)) else [i] for i in items]
    if any(isinstance(i, (list, tuple)) for i in items):
        raise ValueError(f"compile: metrics has {len(items)} entries, but the model has {len(names)} outputs {names}")
    # As tf.keras 2 (Keras 3 refuses this): a list of another length is tracked for every output.
    return [list(items) for _ in names]


def _fresh_copy(metric):
    """A new metric like ``metric`` (same class and config), with its own state."""
    try:
        return type(metric).from_config(metric.get_config())
    except (TypeError, NotImplementedError):
        return copy.deepcopy(metric)


def _resolve_metric(identifier, loss, prediction, target):
    """A metric object for ``identifier``; "accuracy" and "crossentropy" follow the loss and shapes."""
    output_shape = (None,) + tuple(_as_array(prediction).shape[1:])
    if isinstance(identifier, str):
        target_shape = None if target is None else tuple(np.shape(_as_array(target)))
        metric = metrics_module.get(identifier, loss=loss, output_shape=output_shape, y_true_shape=target_shape)
        metric.name = identifier.strip()  # as Keras 3's compile: "AUC" logs as "AUC", "mae" as "mae"
        return metric
    return metrics_module.get(identifier)
