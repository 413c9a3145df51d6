"""Loss functions: one number that says how far the predictions are from the targets.

Each loss exists as a function returning one value per example
(``mean_squared_error(y_true, y_pred)``) and as a class whose call averages those
values into the scalar a ``GradientTape`` differentiates
(``MeanSquaredError()(y_true, y_pred)``). Names, arguments and formulas are those of
Keras, and so is the string shorthand ``model.compile(loss="mse")``.

Cross-entropies after a softmax or a sigmoid are computed from the logits in one
stable step: ``learnet.nn.softmax`` and ``learnet.nn.sigmoid`` remember the logits
their output came from, so ``Dense(10, activation="softmax")`` with
``"categorical_crossentropy"`` never takes the log of a zero. Other probabilities
are clipped to ``[1e-7, 1 - 1e-7]`` before the log, as in Keras.

Examples
--------
>>> import learnet as tf
>>> y_true = [[0.0, 1.0], [1.0, 0.0]]
>>> y_pred = [[0.5, 0.5], [1.0, 0.0]]
>>> float(tf.keras.losses.MeanSquaredError()(y_true, y_pred))
0.125
>>> tf.keras.losses.mean_squared_error(y_true, y_pred).numpy()
array([0.25, 0.  ], dtype=float32)
"""

import difflib
import math

import numpy as np

from learnet import backend, registry
from learnet import ctc as _ctc
from learnet.backend import xp
from learnet.ops.math import (
    abs as absolute,
    cast,
    clip_by_value,
    log,
    maximum,
    negative,
    sqrt,
    square,
    where,
)
from learnet.ops.nn import (
    _sparse_softmax_cross_entropy,
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits,
    softplus,
)
from learnet.ops.reduce import reduce_max, reduce_mean, reduce_sum
from learnet.ops.shape import broadcast_to, expand_dims, one_hot, squeeze
from learnet.tensor import Tensor, to_array
from learnet.warn import warn

EPSILON = 1e-7  # Keras' backend.epsilon(): how far probabilities are kept from 0 and 1.


# --- helpers ---------------------------------------------------------------------------
def _prediction(y_pred):
    """``y_pred`` as a float tensor (the same object when it already is one)."""
    if isinstance(y_pred, Tensor):
        if y_pred._value.dtype.kind != "f":
            return cast(y_pred, backend.floatx())
        return y_pred
    array = to_array(y_pred)
    if array.dtype.kind != "f":
        array = array.astype(backend.floatx())
    return Tensor._wrap(array)


def _target(y_true, like):
    """``y_true`` as a tensor of the dtype of ``like`` (targets need no gradient, but keep one)."""
    if isinstance(y_true, Tensor):
        return y_true if y_true.dtype == like.dtype else cast(y_true, like.dtype)
    return Tensor._wrap(to_array(y_true, like.dtype))


def _is_nested(value):
    """Whether ``value`` is a structure of tensors (a dict, or a list/tuple holding a tensor or
    array), not one tensor written as nested lists of numbers."""
    if isinstance(value, dict):
        return True
    if not isinstance(value, (list, tuple)):
        return False
    return any(isinstance(item, (Tensor, np.ndarray, xp.ndarray)) or _is_nested(item) for item in value)


def _map_nested(function, value):
    """``function`` on every tensor of a structure; a list of numbers counts as one tensor."""
    if isinstance(value, dict):
        return {key: _map_nested(function, item) for key, item in value.items()}
    if _is_nested(value):
        return type(value)(_map_nested(function, item) for item in value)
    return function(value)


def _leaves(value):
    found = []
    _map_nested(found.append, value)
    return found


def _nested_tensors(y_true, y_pred, cast_y_true):
    """``y_true`` and ``y_pred`` as structures of tensors: every prediction a float tensor,
    every target cast to the float dtype of its prediction (of the first one where the two
    structures differ), as Keras converts each leaf of nested targets and predictions."""
    y_pred = _map_nested(_prediction, y_pred)
    if not cast_y_true:
        return y_true, y_pred
    predictions = _leaves(y_pred)
    if _same_structure(y_true, y_pred):
        pairs = iter(predictions)
        return _map_nested(lambda t: _target(t, next(pairs)), y_true), y_pred
    like = predictions[0] if predictions else Tensor._wrap(xp.zeros((), dtype=backend.floatx()))
    return _map_nested(lambda t: _target(t, like), y_true), y_pred


def _same_structure(a, b):
    """Whether two structures nest alike (same dict keys, same list lengths), leaf for leaf."""
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and list(a) == list(b)
            and all(_same_structure(a[k], b[k]) for k in a)
        )
    if _is_nested(a) or _is_nested(b):
        return _is_nested(a) and _is_nested(b) and len(a) == len(b) and all(map(_same_structure, a, b))
    return True


def _same_rank(y_true, y_pred):
    """Keras' squeeze-or-expand: ``(N,)`` targets against ``(N, 1)`` predictions line up.

    Without it, ``(N,) - (N, 1)`` would broadcast to ``(N, N)``: a classic silent bug.
    """
    t, p = y_true.ndim, y_pred.ndim
    if t == p + 1 and y_true.shape[-1] == 1:
        if p == 1:
            y_pred = expand_dims(y_pred, -1)
        else:
            y_true = squeeze(y_true, -1)
    elif p == t + 1 and y_pred.shape[-1] == 1:
        if t == 1:
            y_true = expand_dims(y_true, -1)
        else:
            y_pred = squeeze(y_pred, -1)
    return y_true, y_pred


def _check_shapes(name, y_true, y_pred, hint=""):
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(
            f"{name}: y_true of shape {tuple(y_true.shape)} does not match y_pred of shape {tuple(y_pred.shape)}{hint}"
        )


def _pair(name, y_true, y_pred, broadcast=True):
    """Convert, line up and check a target/prediction pair for an elementwise loss.

    With ``broadcast``, shapes of one rank that broadcast are accepted, as Keras computes
    such a loss (targets ``(n, 10)`` against predictions ``(n, 1)``); ``fit`` warns about them.
    """
    y_pred = _prediction(y_pred)
    y_true = _target(y_true, y_pred)
    y_true, y_pred = _same_rank(y_true, y_pred)
    if y_true.ndim == 0 and y_pred.ndim:  # one target for every value, as TensorFlow broadcasts it
        y_true = broadcast_to(y_true, tuple(y_pred.shape))
    if broadcast and y_true.ndim == y_pred.ndim:
        try:
            np.broadcast_shapes(tuple(y_true.shape), tuple(y_pred.shape))
            return y_true, y_pred
        except ValueError:
            pass
    _check_shapes(name, y_true, y_pred)
    return y_true, y_pred


def _logits_of(y_pred, activation, from_logits, name):
    """The tensor to compute a cross-entropy from, and whether it holds logits.

    When ``y_pred`` is the output of ``softmax``/``sigmoid`` (``activation``), its
    logits are used, so the loss is computed in one stable step.
    """
    remembered = y_pred._from_logits
    if from_logits:
        if remembered is not None and remembered[0] == activation:
            warn(
                f"{name} received from_logits=True, but y_pred was produced by a {activation} "
                "and so holds probabilities, not logits. Was this intended?"
            )
        return y_pred, True
    if remembered is not None and remembered[0] == activation and remembered[1] is not None:
        return remembered[1], True
    return y_pred, False


def _raw(value):
    return value._value if isinstance(value, Tensor) else to_array(value)


# --- regression losses -------------------------------------------------------------------
def mean_squared_error(y_true, y_pred):
    """Mean of ``(y_true - y_pred) ** 2`` over the last axis, one value per example.

    Examples
    --------
    >>> mean_squared_error([[1.0, 2.0]], [[1.0, 4.0]]).numpy()
    array([2.], dtype=float32)
    """
    y_true, y_pred = _pair("mean_squared_error", y_true, y_pred)
    return reduce_mean(square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Mean of ``|y_true - y_pred|`` over the last axis, one value per example."""
    y_true, y_pred = _pair("mean_absolute_error", y_true, y_pred)
    return reduce_mean(absolute(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(|y_true - y_pred| / max(|y_true|, eps))`` over the last axis."""
    y_true, y_pred = _pair("mean_absolute_percentage_error", y_true, y_pred)
    scale = maximum(absolute(y_true), EPSILON)
    return 100.0 * reduce_mean(absolute((y_true - y_pred) / scale), axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean of ``(log(1 + y_pred) - log(1 + y_true)) ** 2`` over the last axis (values below eps clipped)."""
    y_true, y_pred = _pair("mean_squared_logarithmic_error", y_true, y_pred)
    first = log(maximum(y_pred, EPSILON) + 1.0)
    second = log(maximum(y_true, EPSILON) + 1.0)
    return reduce_mean(square(first - second), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss: squared error near 0, absolute error beyond ``delta``.

    ``0.5 * e**2`` where ``|e| <= delta``, else ``delta * |e| - 0.5 * delta**2``;
    averaged over the last axis.
    """
    y_true, y_pred = _pair("huber", y_true, y_pred)
    error = y_pred - y_true
    size = absolute(error)
    quadratic = 0.5 * square(error)
    linear = delta * size - 0.5 * delta * delta
    return reduce_mean(where(size <= delta, quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """Mean of ``log(cosh(y_pred - y_true))`` over the last axis, computed without overflow."""
    y_true, y_pred = _pair("log_cosh", y_true, y_pred)
    error = y_pred - y_true
    # log(cosh(x)) = x + softplus(-2x) - log(2): no exp of a large number.
    return reduce_mean(error + softplus(-2.0 * error) - math.log(2.0), axis=-1)


def poisson(y_true, y_pred):
    """Mean of ``y_pred - y_true * log(y_pred + eps)`` over the last axis."""
    y_true, y_pred = _pair("poisson", y_true, y_pred)
    return reduce_mean(y_pred - y_true * log(y_pred + EPSILON), axis=-1)


def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred))`` over the last axis.

    Both are clipped to ``[eps, 1]`` first, as in Keras.
    """
    y_true, y_pred = _pair("kl_divergence", y_true, y_pred)
    y_true = clip_by_value(y_true, EPSILON, 1.0)
    y_pred = clip_by_value(y_pred, EPSILON, 1.0)
    return reduce_sum(y_true * log(y_true / y_pred), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity along ``axis``: -1 for vectors pointing the same way."""
    y_true, y_pred = _pair("cosine_similarity", y_true, y_pred)

    def normalize(x):
        return x / sqrt(maximum(reduce_sum(square(x), axis=axis, keepdims=True), 1e-12))

    return negative(reduce_sum(normalize(y_true) * normalize(y_pred), axis=axis))


# --- classification losses ---------------------------------------------------------------
def _hinge_labels(y_true):
    # Labels given as 0/1 are turned into -1/1, as Keras does.
    values = y_true._value
    if not backend.on_host(values):  # on a GPU, chosen there: 2y - 1 when all are 0/1, else y
        binary = Tensor._wrap(xp.all((values == 0) | (values == 1)).astype(values.dtype))
        return y_true * (1.0 + binary) - binary
    if values.size and bool(xp.all((values == 0) | (values == 1))):
        return 2.0 * y_true - 1.0
    return y_true


def hinge(y_true, y_pred):
    """Mean of ``max(1 - y_true * y_pred, 0)`` over the last axis; labels -1/1 (0/1 converted)."""
    y_true, y_pred = _pair("hinge", y_true, y_pred)
    return reduce_mean(maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """Mean of ``max(1 - y_true * y_pred, 0) ** 2`` over the last axis; labels -1/1 (0/1 converted)."""
    y_true, y_pred = _pair("squared_hinge", y_true, y_pred)
    return reduce_mean(square(maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` for one-hot ``y_true``."""
    y_true, y_pred = _pair("categorical_hinge", y_true, y_pred)
    positive = reduce_sum(y_true * y_pred, axis=-1)
    negative_ = reduce_max((1.0 - y_true) * y_pred, axis=-1)
    return maximum(negative_ - positive + 1.0, 0.0)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy, averaged over ``axis``; one value per example.

    Parameters
    ----------
    y_true : array_like
        Labels in [0, 1], same shape as ``y_pred`` (``(N,)`` against ``(N, 1)`` is fine).
        Whole numbers outside [0, 1] (class ids, -1/+1) are refused as a mistake;
        soft labels a little outside it (noisy GAN labels) are accepted, as in Keras.
    y_pred : Tensor
        Probabilities, or logits with ``from_logits=True``. The output of
        ``learnet.nn.sigmoid`` is computed from its logits (stable).
    from_logits : bool, default False
    label_smoothing : float, default 0.0
        Labels become ``y * (1 - label_smoothing) + 0.5 * label_smoothing``.

    Examples
    --------
    >>> import learnet as tf
    >>> loss = binary_crossentropy([1.0, 0.0], tf.constant([0.0, 0.0]), from_logits=True)
    >>> round(float(loss), 4)          # log(2)
    0.6931
    """
    name = "binary_crossentropy"
    y_pred = _prediction(y_pred)
    source, fused = _logits_of(y_pred, "sigmoid", from_logits, name)
    y_true = _target(y_true, source)
    y_true, source = _same_rank(y_true, source)
    hint = ""
    if y_true.ndim == source.ndim - 1 and source.shape[-1] > 1:
        hint = f"; y_pred has {source.shape[-1]} columns: for integer class labels use sparse_categorical_crossentropy"
    _check_shapes(name, y_true, source, hint)
    labels = y_true._value
    if labels.size and backend.on_host(labels):  # reading a GPU's labels would stop every step
        low, high = float(labels.min()), float(labels.max())
        # Whole-number labels outside [0, 1] are class ids (0..9), -1/+1 or 0..255 pixels: a
        # mistake. Soft labels a little outside it are a training trick (a GAN's noisy labels)
        # that Keras accepts, and so does the formula.
        if (low < 0.0 or high > 1.0) and bool(xp.all(labels == xp.round(labels))):
            raise ValueError(
                f"{name}: labels must be in [0, 1], found values from {low:g} to {high:g}"
                + ("; for more than two classes use sparse_categorical_crossentropy" if high > 1 else "")
            )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if fused:
        values = sigmoid_cross_entropy_with_logits(y_true, source)
    else:
        p = clip_by_value(source, EPSILON, 1.0 - EPSILON)
        values = negative(y_true * log(p) + (1.0 - y_true) * log(1.0 - p))
    return reduce_mean(values, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy between one-hot (or soft) labels and predicted class probabilities.

    ``-sum(y_true * log(y_pred))`` over ``axis`` (the predictions are normalized to
    sum to 1 and clipped first, as Keras does); one value per example.

    Parameters
    ----------
    y_true : array_like
        One-hot labels, same shape as ``y_pred``. For integer labels use
        ``sparse_categorical_crossentropy``.
    y_pred : Tensor
        Probabilities, or logits with ``from_logits=True``. The output of
        ``learnet.nn.softmax`` is computed from its logits (stable).
    from_logits : bool, default False
    label_smoothing : float, default 0.0
        Labels become ``y * (1 - label_smoothing) + label_smoothing / n_classes``.
    axis : int, default -1

    Examples
    --------
    >>> import learnet as tf
    >>> y = categorical_crossentropy([[0.0, 1.0]], tf.nn.softmax(tf.constant([[0.0, 0.0]])))
    >>> round(float(y[0]), 4)          # log(2)
    0.6931
    """
    name = "categorical_crossentropy"
    y_pred = _prediction(y_pred)
    source, fused = _logits_of(y_pred, "softmax", from_logits, name)
    y_true = _target(y_true, source)
    if tuple(y_true.shape) != tuple(source.shape):
        shape, expected = tuple(y_true.shape), tuple(source.shape)
        if source.ndim >= 1 and expected[-1] > 1 and (shape == expected[:-1] or shape == expected[:-1] + (1,)):
            raise ValueError(
                f"{name} expects one-hot labels of shape {expected} like y_pred, got y_true of "
                f"shape {shape}: these look like integer class labels. Use "
                "sparse_categorical_crossentropy for integer labels (or one-hot encode them with "
                "learnet.utils.to_categorical)"
            )
        _check_shapes(name, y_true, source)
    if label_smoothing:
        classes = source.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    if fused:
        return softmax_cross_entropy_with_logits(y_true, source, axis=axis)
    p = source / reduce_sum(source, axis=axis, keepdims=True)
    p = clip_by_value(p, EPSILON, 1.0 - EPSILON)
    return negative(reduce_sum(y_true * log(p), axis=axis))


def _sparse_labels(name, y_true, logits):
    """Integer class labels of shape ``logits.shape[:-1]``, checked, as a raw array."""
    labels = _raw(y_true)
    expected = tuple(logits.shape[:-1])
    classes = logits.shape[-1] if logits.ndim else 0
    if logits.ndim < 1:
        raise ValueError(f"{name}: y_pred must have a class axis, got a scalar")
    if labels.shape != expected:
        if labels.shape == expected + (1,):
            labels = labels.reshape(expected)
        elif labels.shape == tuple(logits.shape) and classes > 1:
            raise ValueError(
                f"{name} expects integer class labels of shape {expected} (or {expected + (1,)}), "
                f"got y_true of shape {labels.shape}, the shape of y_pred: the labels look one-hot "
                "encoded. Use categorical_crossentropy for one-hot labels (or turn them into class "
                "numbers with argmax)"
            )
        else:
            raise ValueError(
                f"{name}: labels of shape {labels.shape} do not fit y_pred of shape "
                f"{tuple(logits.shape)}; expected class numbers of shape {expected} (or {expected + (1,)})"
            )
    kind = labels.dtype.kind
    # The checks of values read the labels; on a GPU that would stop every step to copy them
    # back, so they run on host arrays only (fit checks its labels once, before training).
    on_host = backend.on_host(labels)
    if kind == "f":
        if on_host and labels.size and not bool(xp.all(labels == xp.floor(labels))):
            raise ValueError(f"{name}: labels must be whole class numbers, got fractions (or NaN)")
        labels = labels.astype(xp.int64)
    elif kind == "b":
        labels = labels.astype(xp.int64)
    elif kind not in "iu":
        raise TypeError(f"{name}: labels must be integers, got {labels.dtype}")
    if on_host and labels.size:
        low, high = int(labels.min()), int(labels.max())
        if low < 0 or high >= classes:
            hint = ""
            if classes == 1:
                hint = (
                    "; y_pred has a single unit: give the last layer one unit per class "
                    "(e.g. Dense(10, activation='softmax')), or for two classes with one sigmoid "
                    "unit use binary_crossentropy"
                )
            raise ValueError(
                f"{name}: labels must be class numbers in [0, {classes}) for y_pred with {classes} "
                f"classes, found values from {low} to {high}{hint}"
            )
    return labels


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Cross-entropy between integer class labels and predicted class probabilities.

    ``-log(y_pred[label])`` per example. The same as ``categorical_crossentropy``
    with one-hot labels, without building them.

    Parameters
    ----------
    y_true : array_like of int
        Class numbers in ``[0, n_classes)``, of shape ``(N,)`` or ``(N, 1)`` (any
        int or whole-valued float dtype).
    y_pred : Tensor of shape ``(N, n_classes)``
        Probabilities, or logits with ``from_logits=True``. The output of
        ``learnet.nn.softmax`` is computed from its logits in one fused op.
    from_logits : bool, default False
    ignore_class : int, optional
        Examples with this label get a loss of 0 (and are left out of the mean by
        the ``SparseCategoricalCrossentropy`` class).
    axis : int, default -1
        Only the last axis is supported.

    Examples
    --------
    >>> import learnet as tf
    >>> y = sparse_categorical_crossentropy([1], tf.nn.softmax(tf.constant([[0.0, 0.0]])))
    >>> round(float(y[0]), 4)
    0.6931
    """
    name = "sparse_categorical_crossentropy"
    y_pred = _prediction(y_pred)
    if axis not in (-1, y_pred.ndim - 1):
        raise ValueError(f"{name}: only axis=-1 is supported, got axis={axis}")
    source, fused = _logits_of(y_pred, "softmax", from_logits, name)
    mask = None
    if ignore_class is not None:
        labels = _raw(y_true)
        if labels.shape == tuple(source.shape[:-1]) + (1,):
            labels = labels.reshape(source.shape[:-1])
        mask = labels != ignore_class
        y_true = xp.where(mask, labels, 0)
    labels = _sparse_labels(name, y_true, source)
    if fused:
        # The labels are checked (shape, whole numbers, range): the fused op itself, without
        # the public op's second check of the same labels.
        values = _sparse_softmax_cross_entropy(Tensor._wrap(labels), source)
    else:
        p = source / reduce_sum(source, axis=-1, keepdims=True)
        picked = reduce_sum(p * one_hot(labels, source.shape[-1], dtype=source.dtype), axis=-1)
        values = negative(log(clip_by_value(picked, EPSILON, 1.0 - EPSILON)))
    if mask is not None:
        values = values * Tensor._wrap(mask.astype(values.dtype))
    return values


# --- the classes ---------------------------------------------------------------------------
_REDUCTIONS = ("sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight", "auto")


class Reduction:
    """The names of the ways a loss reduces per-example values to one number."""

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls):
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)


def _weighted(losses, sample_weight, name):
    """``losses * sample_weight``, the weights lined up with the losses like Keras does."""
    weight = _target(sample_weight, losses)
    if weight.ndim == losses.ndim + 1 and weight.shape[-1] == 1:
        weight = squeeze(weight, -1)
    while weight.ndim < losses.ndim:
        weight = expand_dims(weight, -1)
    if weight.ndim > losses.ndim or any(w not in (1, s) for w, s in zip(weight.shape, losses.shape)):
        raise ValueError(
            f"{name}: sample_weight of shape {tuple(_raw(sample_weight).shape)} does not fit the "
            f"per-example losses of shape {tuple(losses.shape)}"
        )
    return losses * weight, weight


def _mask_weight(mask, losses, sample_weight, reduction, name):
    """Keras' masked loss: masked steps weigh 0, the others ``total / valid``.

    A sequence mask left on ``y_pred`` (``Embedding(mask_zero=True)`` ... ``LSTM(
    return_sequences=True)`` ... ``Dense``) becomes a weight, merged with
    ``sample_weight``: with ``"sum_over_batch_size"`` the loss is then the mean over
    the steps that count, as Keras 3 computes it.
    """
    mask = _raw(mask).astype(bool)
    if mask.shape != tuple(losses.shape)[: mask.ndim]:
        raise ValueError(
            f"{name}: the mask on y_pred has shape {mask.shape}, which does not fit the "
            f"per-example losses of shape {tuple(losses.shape)}"
        )
    dtype = losses.dtype
    if reduction in ("sum_over_batch_size", "mean"):
        valid = int(mask.sum())
        weight = xp.where(mask, mask.size / valid if valid else 0.0, 0.0).astype(dtype)
    else:
        weight = mask.astype(dtype)
    if sample_weight is None:
        return weight
    sample = _raw(sample_weight).astype(dtype, copy=False)
    if sample.ndim == weight.ndim + 1 and sample.shape[-1] == 1:
        sample = sample[..., 0]
    sample = sample.reshape(sample.shape + (1,) * (weight.ndim - sample.ndim))
    try:
        return weight * sample
    except ValueError:
        raise ValueError(
            f"{name}: sample_weight of shape {tuple(_raw(sample_weight).shape)} does not fit the "
            f"mask on y_pred of shape {mask.shape}"
        ) from None


def _reduce(losses, reduction, weight=None):
    if reduction in (None, "none"):
        return losses
    if reduction == "sum":
        return reduce_sum(losses)
    if losses.size == 0:
        return Tensor._wrap(xp.zeros((), dtype=losses.dtype))
    if reduction == "mean_with_sample_weight" and weight is not None:
        total = float(xp.sum(xp.broadcast_to(weight._value, losses.shape)))
        return reduce_sum(losses) / total if total else reduce_sum(losses) * 0.0
    return reduce_mean(losses)


class Loss:
    """Base class of losses: ``loss(y_true, y_pred, sample_weight=None)`` -> a scalar.

    A subclass defines ``call(y_true, y_pred)``, returning one value per example
    (it receives tensors: ``y_pred`` as given, ``y_true`` cast to its float dtype).
    Nested targets and predictions (lists or dicts of tensors of different shapes, as a
    feature-matching loss takes) reach ``call`` as structures, each tensor converted.

    Parameters
    ----------
    reduction : str, default "sum_over_batch_size"
        ``"sum_over_batch_size"`` (the mean of the weighted per-example losses),
        ``"sum"``, ``"none"`` (return them), ``"mean_with_sample_weight"`` (divide by
        the sum of the weights). ``"auto"`` and ``"mean"`` mean sum_over_batch_size.
    name : str, optional
    dtype : optional
        Accepted for Keras compatibility; losses keep the dtype of ``y_pred``.

    Examples
    --------
    >>> import learnet as tf
    >>> class MeanCubedError(tf.keras.losses.Loss):
    ...     def call(self, y_true, y_pred):
    ...         return tf.reduce_mean(tf.abs(y_pred - y_true) ** 3, axis=-1)
    >>> float(MeanCubedError()([[0.0, 0.0]], [[1.0, 2.0]]))
    4.5
    """

    _cast_y_true = True

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None):
        if reduction not in _REDUCTIONS and reduction is not None:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {list(_REDUCTIONS)}, got {reduction!r}")
        self.reduction = "sum_over_batch_size" if reduction in ("auto", "mean") else reduction
        self.name = name if name is not None else _snake_case(type(self).__name__)
        self.dtype = dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        mask = getattr(y_pred, "_keras_mask", None)
        if _is_nested(y_pred) or _is_nested(y_true):
            # Several tensors (a feature-matching loss over the layers of a network): each one
            # is converted, and ``call`` receives the structures, as in Keras.
            y_true, y_pred = _nested_tensors(y_true, y_pred, self._cast_y_true)
        else:
            y_pred = _prediction(y_pred)
            if self._cast_y_true:
                y_true = _target(y_true, y_pred)
        losses = self.call(y_true, y_pred)
        if not isinstance(losses, Tensor):
            losses = Tensor._wrap(to_array(losses))
        out_mask = getattr(losses, "_keras_mask", None)  # the losses that count, as the loss says (Circle)
        if out_mask is not None:
            out_mask = _raw(out_mask).astype(bool)
            mask = out_mask if mask is None else _raw(mask).astype(bool) & out_mask
        if mask is not None:
            sample_weight = _mask_weight(mask, losses, sample_weight, self.reduction, self.name)
        weight = None
        if sample_weight is not None:
            losses, weight = _weighted(losses, sample_weight, self.name)
        return _reduce(losses, self.reduction, weight)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must define call(y_true, y_pred)")

    def get_config(self):
        """The constructor arguments as a dictionary."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        """Create the loss from the dictionary ``get_config`` returned."""
        return cls(**config)

    def __repr__(self):
        return f"<learnet.losses.{type(self).__name__} name={self.name!r}>"


def _snake_case(name):
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper() or (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


class LossFunctionWrapper(Loss):
    """A ``Loss`` made from a per-example function ``fn(y_true, y_pred, **kwargs)``.

    Examples
    --------
    >>> import learnet as tf
    >>> loss = LossFunctionWrapper(tf.keras.losses.mean_absolute_error)
    >>> float(loss([[1.0], [2.0]], [[0.0], [0.0]]))
    1.5
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(
            reduction=reduction, name=name if name is not None else getattr(fn, "__name__", None), dtype=dtype
        )
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config


class MeanSquaredError(LossFunctionWrapper):
    """Mean of the squared errors (``"mse"``).

    Examples
    --------
    >>> float(MeanSquaredError()([[0.0], [1.0]], [[1.0], [1.0]]))
    0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of the absolute errors (``"mae"``)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error (``"mape"``)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared logarithmic error (``"msle"``)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class Huber(LossFunctionWrapper):
    """Huber loss: quadratic for errors up to ``delta``, linear beyond."""

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        if not delta > 0:
            raise ValueError(f"Huber: delta must be positive, got {delta!r}")
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=float(delta))


class LogCosh(LossFunctionWrapper):
    """Mean of ``log(cosh(error))``."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class Poisson(LossFunctionWrapper):
    """Poisson loss: ``y_pred - y_true * log(y_pred)``."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence between label and predicted distributions."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity between labels and predictions along ``axis``."""

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype, axis=axis)


class Hinge(LossFunctionWrapper):
    """Hinge loss for labels -1/1 (0/1 are converted)."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss for labels -1/1 (0/1 are converted)."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss for one-hot labels."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy (``"binary_crossentropy"``), for labels 0/1.

    Parameters
    ----------
    from_logits : bool, default False
        Whether ``y_pred`` holds logits (no sigmoid applied). The output of a
        sigmoid is computed from its logits anyway.
    label_smoothing : float, default 0.0
    axis : int, default -1
    reduction, name
        See ``Loss``.

    Examples
    --------
    >>> import learnet as tf
    >>> bce = BinaryCrossentropy()
    >>> round(float(bce([[1.0], [0.0]], tf.nn.sigmoid(tf.constant([[0.0], [0.0]])))), 4)
    0.6931
    """

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
        dtype=None,
    ):
        super().__init__(
            binary_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=bool(from_logits),
            label_smoothing=float(label_smoothing),
            axis=axis,
        )
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        self.axis = axis


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for one-hot labels (``"categorical_crossentropy"``).

    Parameters
    ----------
    from_logits : bool, default False
        Whether ``y_pred`` holds logits. The output of a softmax is computed from
        its logits anyway (one fused, stable step).
    label_smoothing : float, default 0.0
    axis : int, default -1
    reduction, name
        See ``Loss``.
    """

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            categorical_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=bool(from_logits),
            label_smoothing=float(label_smoothing),
            axis=axis,
        )
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        self.axis = axis


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for integer class labels (``"sparse_categorical_crossentropy"``).

    Parameters
    ----------
    from_logits : bool, default False
        Whether ``y_pred`` holds logits. The output of a softmax is computed from
        its logits anyway (one fused, stable op).
    ignore_class : int, optional
        A label to leave out (its examples count neither in the sum nor in the mean).
    reduction, name
        See ``Loss``.

    Examples
    --------
    >>> import learnet as tf
    >>> loss = SparseCategoricalCrossentropy(from_logits=True)
    >>> round(float(loss([0, 1], tf.constant([[2.0, 0.0], [0.0, 2.0]]))), 4)
    0.1269
    """

    _cast_y_true = False  # integer labels stay integers: no float round trip per step

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        name="sparse_categorical_crossentropy",
        dtype=None,
        axis=-1,
    ):
        super().__init__(
            sparse_categorical_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=bool(from_logits),
            ignore_class=ignore_class,
            axis=axis,
        )
        self.from_logits = bool(from_logits)
        self.ignore_class = ignore_class

    def __call__(self, y_true, y_pred, sample_weight=None):
        if self.ignore_class is None:
            return super().__call__(y_true, y_pred, sample_weight)
        # Ignored examples have a loss of 0; leave them out of the mean too, as Keras does.
        losses = self.call(y_true, _prediction(y_pred))
        weight = None
        if sample_weight is not None:
            losses, weight = _weighted(losses, sample_weight, self.name)
        if self.reduction != "sum_over_batch_size":
            return _reduce(losses, self.reduction, weight)
        valid = int(xp.count_nonzero(_raw(y_true) != self.ignore_class))
        return reduce_sum(losses) / valid if valid else reduce_sum(losses) * 0.0


# --- look-up by name -------------------------------------------------------------------------
_FUNCTIONS = {
    "mean_squared_error": mean_squared_error,
    "mean_absolute_error": mean_absolute_error,
    "mean_absolute_percentage_error": mean_absolute_percentage_error,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error,
    "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "huber": huber,
    "log_cosh": log_cosh,
    "poisson": poisson,
    "kl_divergence": kl_divergence,
    "cosine_similarity": cosine_similarity,
    "hinge": hinge,
    "squared_hinge": squared_hinge,
    "categorical_hinge": categorical_hinge,
}

_ALIASES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error",
    "kld": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence",
    "logcosh": "log_cosh",
    "huber_loss": "huber",
}

_CLASSES = {
    "mean_squared_error": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "huber": Huber,
    "log_cosh": LogCosh,
    "poisson": Poisson,
    "kl_divergence": KLDivergence,
    "cosine_similarity": CosineSimilarity,
    "hinge": Hinge,
    "squared_hinge": SquaredHinge,
    "categorical_hinge": CategoricalHinge,
}

# Short names: keras.losses.MSE(y_true, y_pred), keras.losses.mse(...).
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh


def serialize(loss):
    """Return ``{"class_name": ..., "config": ...}`` for a ``Loss``, or the name of a loss function."""
    if isinstance(loss, Loss):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    name = getattr(loss, "__name__", None)
    if name in _FUNCTIONS:
        return name
    raise ValueError(f"cannot serialize {loss!r}: it is not a learnet loss")


def deserialize(config, custom_objects=None):
    """Create a loss from what ``serialize`` returned (a dict or a name)."""
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"deserialize expects a dict with 'class_name' and 'config', got {config!r}")
    name = config["class_name"]
    classes = {cls.__name__: cls for cls in _CLASSES.values()}
    classes.update(custom_objects or {})
    cls = classes.get(name) or registry.get_registered_object(name)  # @register_keras_serializable
    if cls is None:
        raise ValueError(f"unknown loss class {name!r}; known: {sorted(classes)}")
    return cls.from_config(dict(config.get("config", {})))


def get(identifier):
    """Return a ``Loss`` object for ``identifier``.

    Parameters
    ----------
    identifier : str, Loss, Loss subclass, dict or callable
        A name such as ``"mse"``, ``"mean_squared_error"``, ``"binary_crossentropy"``,
        ``"categorical_crossentropy"``, ``"sparse_categorical_crossentropy"``, ``"huber"``,
        ``"kld"``, ``"hinge"``, ``"log_cosh"``, ``"poisson"``, ``"cosine_similarity"``
        (or a class name such as ``"MeanSquaredError"``); a ``Loss`` (returned as is);
        a ``Loss`` class (instantiated); a function ``fn(y_true, y_pred)`` returning
        per-example values (wrapped so it reduces to a scalar and takes
        ``sample_weight``).

    Returns
    -------
    Loss
        Always a ``Loss``: calling it returns a scalar tensor. (Keras returns the bare
        function for a name; the class is what ``compile`` uses, so it is returned here.)
        Its ``name`` is the canonical Keras name, e.g. ``"mean_squared_error"`` for ``"mse"``.

    Examples
    --------
    >>> get("mse").name
    'mean_squared_error'
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        key = identifier.strip()
        by_class = {cls.__name__: cls for cls in _CLASSES.values()}
        if key in by_class:
            return by_class[key]()
        key = _ALIASES.get(key.lower(), key.lower())
        if key in _CLASSES:
            return _CLASSES[key]()
        names = sorted(set(_CLASSES) | set(_ALIASES))
        close = difflib.get_close_matches(identifier.lower(), names, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown loss {identifier!r}; known names: {names}.{hint}")
    if callable(identifier):
        for key, function in _FUNCTIONS.items():
            if identifier is function:
                return _CLASSES[key]()
        return LossFunctionWrapper(identifier)
    raise ValueError(f"cannot interpret {identifier!r} as a loss")


__all__ = [
    "Loss",
    "LossFunctionWrapper",
    "Reduction",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "Huber",
    "LogCosh",
    "Poisson",
    "KLDivergence",
    "CosineSimilarity",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "huber",
    "log_cosh",
    "poisson",
    "kl_divergence",
    "cosine_similarity",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "mse",
    "mae",
    "mape",
    "msle",
    "kld",
    "MSE",
    "MAE",
    "MAPE",
    "MSLE",
    "KLD",
    "logcosh",
    "kullback_leibler_divergence",
    "get",
    "serialize",
    "deserialize",
    "EPSILON",
]


# --- more of Keras' loss list: focal cross-entropies, Dice and Tversky --------------------------------
# Appended as a block; written with learnet ops, so every one is differentiable.
def _ops_package():
    import importlib

    return importlib.import_module("learnet.ops")


def binary_focal_crossentropy(
    y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Binary cross-entropy scaled by ``(1 - p_t) ** gamma``: easy examples count less (Keras' formula)."""
    ops = _ops_package()
    y_true, y_pred = _pair("binary_focal_crossentropy", y_true, y_pred, broadcast=False)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    probabilities = ops.nn.sigmoid(y_pred) if from_logits else y_pred
    clipped = ops.clip_by_value(probabilities, EPSILON, 1.0 - EPSILON)
    if from_logits:
        bce = ops.nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
    else:
        bce = -(y_true * ops.log(clipped) + (1.0 - y_true) * ops.log(1.0 - clipped))
    p_t = y_true * probabilities + (1.0 - y_true) * (1.0 - probabilities)
    focal = ops.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return reduce_mean(focal, axis=axis)


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Categorical cross-entropy scaled by ``alpha * (1 - p) ** gamma`` per class (Keras' formula)."""
    ops = _ops_package()
    y_true, y_pred = _pair("categorical_focal_crossentropy", y_true, y_pred)
    if label_smoothing:
        classes = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    probabilities = ops.nn.softmax(y_pred, axis=axis) if from_logits else y_pred
    probabilities = probabilities / reduce_sum(probabilities, axis=axis, keepdims=True)
    probabilities = ops.clip_by_value(probabilities, EPSILON, 1.0 - EPSILON)
    cross_entropy = -y_true * ops.log(probabilities)
    return reduce_sum(alpha * ops.pow(1.0 - probabilities, gamma) * cross_entropy, axis=axis)


def dice(y_true, y_pred, axis=None):
    """``1 - 2 |y_true . y_pred| / (|y_true| + |y_pred|)``, over all entries (or per ``axis``)."""
    y_true, y_pred = _pair("dice", y_true, y_pred, broadcast=False)
    intersection = reduce_sum(y_true * y_pred, axis=axis)
    union = reduce_sum(y_true, axis=axis) + reduce_sum(y_pred, axis=axis)
    return 1.0 - 2.0 * intersection / (union + EPSILON)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """``1 - TP / (TP + alpha FN + beta FP)`` with soft counts (Dice when alpha = beta = 0.5)."""
    y_true, y_pred = _pair("tversky", y_true, y_pred, broadcast=False)
    true_positives = reduce_sum(y_true * y_pred, axis=axis)
    false_negatives = reduce_sum(y_true * (1.0 - y_pred), axis=axis)
    false_positives = reduce_sum((1.0 - y_true) * y_pred, axis=axis)
    return 1.0 - (true_positives + EPSILON) / (
        true_positives + alpha * false_negatives + beta * false_positives + EPSILON
    )


def ctc(y_true, y_pred):
    """CTC loss of each example, as Keras 3's ``keras.losses.ctc``.

    ``y_true`` holds the labels, ``(batch, max_label_length)``, padded with 0, which is also
    the blank; ``y_pred`` holds logits ``(batch, time, classes)`` and every example uses all
    its time steps.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> logits = np.zeros((2, 4, 3), dtype="float32")
    >>> keras.losses.ctc([[1, 2], [2, 0]], logits).shape
    TensorShape([2])
    """
    labels = _ctc._integers(y_true, "ctc", "y_true")
    if labels.ndim != 2:
        raise ValueError(
            f"ctc: expected y_true of shape (batch_size, max_length) with integer labels, got shape {labels.shape}"
        )
    y_pred = y_pred if isinstance(y_pred, Tensor) else Tensor(y_pred)
    if y_pred.ndim != 3:
        raise ValueError(
            f"ctc: expected y_pred (logits) of shape (batch_size, max_length, num_classes), got {tuple(y_pred.shape)}"
        )
    batch_size, max_time = y_pred.shape[0], y_pred.shape[1]
    label_length = (labels != 0).sum(axis=-1)
    return _ctc.ctc_loss(labels, y_pred, label_length, [max_time] * batch_size, mask_index=0)


class CTC(LossFunctionWrapper):
    """CTC loss (``"ctc"``) for models that read sequences: labels padded with the blank 0, logits.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> loss = keras.losses.CTC()
    >>> round(float(loss([[1, 2]], np.zeros((1, 4, 3), dtype="float32"))), 4)
    1.6864
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, reduction=reduction, name=name, dtype=dtype)


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary focal cross-entropy (``"binary_focal_crossentropy"``) for imbalanced 0/1 labels."""

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            binary_focal_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            apply_class_balancing=bool(apply_class_balancing),
            alpha=float(alpha),
            gamma=float(gamma),
            from_logits=bool(from_logits),
            label_smoothing=float(label_smoothing),
            axis=axis,
        )


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical focal cross-entropy (``"categorical_focal_crossentropy"``), one-hot labels."""

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            categorical_focal_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            alpha=float(alpha),
            gamma=float(gamma),
            from_logits=bool(from_logits),
            label_smoothing=float(label_smoothing),
            axis=axis,
        )


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4):
    """The Circle loss of each embedding (Keras 3's ``keras.losses.circle``, Sun et al., 2020).

    ``y_pred`` holds L2-normalized embeddings ``(batch, dims)`` and ``y_true`` their integer
    labels ``(batch,)``. Each embedding's cosine distances to the reference embeddings
    (``ref_embeddings``, the batch itself by default) of its own label (positives, itself
    left out with ``remove_diagonal``) are pulled below ``margin``, those of other labels
    (negatives) pushed above ``1 - margin``, each pair weighted by how far it is from its
    optimum: ``softplus(logsumexp(positives) + logsumexp(negatives))``, ``gamma`` the scale.
    Embeddings with a loss of 0 are left out of the mean, as Keras masks them.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> embeddings = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]], dtype="float32")
    >>> keras.losses.circle(np.array([0, 0, 1]), embeddings).shape
    TensorShape([3])
    """
    ops = _ops_package()
    y_pred = _prediction(y_pred)
    labels = xp.asarray(_raw(y_true)).astype(xp.int32).reshape(-1, 1)
    references = y_pred if ref_embeddings is None else _target(ref_embeddings, y_pred)
    ref = labels if ref_labels is None else xp.asarray(_raw(ref_labels)).astype(xp.int32).reshape(-1, 1)
    positive = labels == ref.T
    negative = ~positive
    if remove_diagonal:
        positive = positive & ~xp.eye(labels.size, ref.size, dtype=bool)
    distances = ops.maximum(1.0 - ops.matmul(y_pred, ops.transpose(references)), 0.0)
    dtype = distances.dtype
    positive_weights = ops.maximum((margin + distances) * positive.astype(dtype), 0.0)
    negative_weights = ops.maximum((1.0 + margin - distances) * negative.astype(dtype), 0.0)
    positive_terms = -gamma * positive_weights * (margin - distances)
    negative_terms = gamma * negative_weights * ((1.0 - margin) - distances)
    lowest = xp.asarray(-xp.inf, dtype=dtype)
    p_loss = ops.reduce_logsumexp(ops.where(positive, positive_terms, lowest), axis=1)
    n_loss = ops.reduce_logsumexp(ops.where(negative, negative_terms, lowest), axis=1)
    losses = ops.nn.softplus(p_loss + n_loss)
    losses._keras_mask = to_array(losses) > 0
    return losses


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """The Generalized Cross Entropy of each example, ``(1 - p ** q) / q`` (Keras 3's,
    Zhang and Sabuncu, 2018), ``p`` the predicted probability of the true class.

    Robust to noisy labels: cross-entropy as ``q`` goes to 0, the mean absolute error at 1.
    ``y_true`` holds integer class indices ``(batch,)`` or ``(batch, 1)``, ``y_pred`` the
    probabilities ``(batch, classes)``.

    Examples
    --------
    >>> import numpy as np
    >>> import learnet as keras
    >>> y_pred = np.array([[0.7, 0.3], [0.2, 0.8]], dtype="float32")
    >>> keras.losses.categorical_generalized_cross_entropy(np.array([0, 1]), y_pred, q=0.5).numpy().round(4)
    array([0.3267, 0.2111], dtype=float32)
    """
    ops = _ops_package()
    y_pred = _prediction(y_pred)
    classes = y_pred.shape[-1]
    labels = xp.asarray(_raw(y_true)).astype(xp.int64)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    one_hot = (labels[..., None] == xp.arange(classes)).astype(y_pred.dtype)
    p = reduce_sum(y_pred * one_hot, axis=-1)
    return (1.0 - ops.pow(p, q)) / q


class Circle(LossFunctionWrapper):
    """The Circle loss (``"circle"``) of integer labels and L2-normalized embeddings, for metric
    learning: end the model with ``Dense(..., activation=None)`` and ``UnitNormalization()``.

    Parameters
    ----------
    gamma : float, default 80.0
        The scale of each similarity score.
    margin : float, default 0.4
        The relaxation: positives pulled within it, negatives pushed beyond ``1 - margin``.
    remove_diagonal : bool, default True
        Leave each embedding's similarity with itself out of its positives.
    """

    def __init__(
        self, gamma=80.0, margin=0.4, remove_diagonal=True, reduction="sum_over_batch_size", name="circle", dtype=None
    ):
        super().__init__(
            circle,
            reduction=reduction,
            name=name,
            dtype=dtype,
            gamma=gamma,
            margin=margin,
            remove_diagonal=remove_diagonal,
        )


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """The Generalized Cross Entropy (``"categorical_generalized_cross_entropy"``) of integer
    labels and probabilities: ``(1 - p ** q) / q``, robust to noisy labels.

    Parameters
    ----------
    q : float, default 0.5
        In ``(0, 1)``: towards 0 cross-entropy, towards 1 the mean absolute error.
    """

    def __init__(
        self, q=0.5, reduction="sum_over_batch_size", name="categorical_generalized_cross_entropy", dtype=None
    ):
        if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 < q < 1:
            raise ValueError(f"q must be in the interval (0, 1), got {q!r}")
        super().__init__(categorical_generalized_cross_entropy, reduction=reduction, name=name, dtype=dtype, q=q)


class Dice(LossFunctionWrapper):
    """The Dice loss (``"dice"``), for segmentation masks."""

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, reduction=reduction, name=name, dtype=dtype, axis=axis)


class Tversky(LossFunctionWrapper):
    """The Tversky loss (``"tversky"``): Dice with separate weights for misses and false alarms."""

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky", axis=None, dtype=None):
        super().__init__(
            tversky, reduction=reduction, name=name, dtype=dtype, alpha=float(alpha), beta=float(beta), axis=axis
        )


_FUNCTIONS.update(
    circle=circle,
    categorical_generalized_cross_entropy=categorical_generalized_cross_entropy,
    binary_focal_crossentropy=binary_focal_crossentropy,
    categorical_focal_crossentropy=categorical_focal_crossentropy,
    dice=dice,
    tversky=tversky,
    ctc=ctc,
)
_CLASSES.update(
    circle=Circle,
    categorical_generalized_cross_entropy=CategoricalGeneralizedCrossEntropy,
    binary_focal_crossentropy=BinaryFocalCrossentropy,
    categorical_focal_crossentropy=CategoricalFocalCrossentropy,
    dice=Dice,
    tversky=Tversky,
    ctc=CTC,
)
__all__ += [
    "Circle",
    "CategoricalGeneralizedCrossEntropy",
    "circle",
    "categorical_generalized_cross_entropy",
    "CTC",
    "ctc",
    "BinaryFocalCrossentropy",
    "CategoricalFocalCrossentropy",
    "Dice",
    "Tversky",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
    "dice",
    "tversky",
]
