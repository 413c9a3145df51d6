"""Metrics: numbers that say how well a model does, accumulated over batches.

A metric is stateful: ``update_state(y_true, y_pred)`` adds a batch,
``result()`` gives the value so far, ``reset_state()`` starts again (``fit`` does that
each epoch). Metrics are computed on plain NumPy arrays, outside any tape: they cost
a few array operations per batch and never a gradient.

Names and behaviour follow ``keras.metrics``; ``get("accuracy", loss=...)`` picks
binary, categorical or sparse-categorical accuracy the way ``compile`` does.

Examples
--------
>>> import learnet as keras
>>> m = keras.metrics.SparseCategoricalAccuracy()
>>> m.update_state([1, 0], [[0.1, 0.9], [0.8, 0.2]])
>>> m.update_state([1], [[0.7, 0.3]])
>>> float(m.result())               # 2 right out of 3
0.6666666865348816
>>> m.reset_state()
>>> float(m.result())
0.0
"""

import difflib

import numpy

from learnet import backend, losses, registry
from learnet.backend import xp
from learnet.tape import no_recording
from learnet.tensor import Tensor, owned_variable, to_array

_EPSILON = 1e-7


def _array(value):
    """A raw backend array for a tensor, array, list or number (no copy when possible)."""
    if isinstance(value, Tensor):
        return value._value
    if isinstance(value, xp.ndarray):
        return value
    return to_array(value)


def _float(array):
    return array.astype(backend.floatx(), copy=False) if array.dtype.kind != "f" else array


def _same_rank(y_true, y_pred):
    """Keras' squeeze-or-expand, on arrays: ``(N,)`` against ``(N, 1)`` lines up."""
    t, p = y_true.ndim, y_pred.ndim
    if t == p + 1 and y_true.shape[-1] == 1:
        if p == 1:
            y_pred = y_pred[:, None]
        else:
            y_true = y_true[..., 0]
    elif p == t + 1 and y_pred.shape[-1] == 1:
        if t == 1:
            y_true = y_true[:, None]
        else:
            y_pred = y_pred[..., 0]
    return y_true, y_pred


def _check_shapes(name, y_true, y_pred):
    if y_true.shape != y_pred.shape:
        try:
            numpy.broadcast_shapes(y_true.shape, y_pred.shape)
        except ValueError:
            raise ValueError(
                f"{name}: y_true of shape {tuple(y_true.shape)} does not match y_pred of shape {tuple(y_pred.shape)}"
            ) from None


# --- metric functions on arrays: one value per example (or per element) --------------------
def _accuracy(y_true, y_pred):
    y_true, y_pred = _same_rank(y_true, y_pred)
    _check_shapes("accuracy", y_true, y_pred)
    return _float(y_true == y_pred)


def _binary_accuracy(y_true, y_pred, threshold=0.5):
    y_true, y_pred = _same_rank(y_true, y_pred)
    _check_shapes("binary_accuracy", y_true, y_pred)
    predicted = (y_pred > threshold).astype(y_true.dtype)
    return xp.mean(_float(y_true == predicted), axis=-1)


def _categorical_accuracy(y_true, y_pred):
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"categorical_accuracy: y_true of shape {tuple(y_true.shape)} does not match y_pred of "
            f"shape {tuple(y_pred.shape)}; for integer labels use sparse_categorical_accuracy"
        )
    return _float(xp.argmax(y_true, axis=-1) == xp.argmax(y_pred, axis=-1))


def _sparse_labels(name, y_true, y_pred):
    """Labels of shape ``y_pred.shape[:-1]`` (``(N, 1)`` squeezed)."""
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape[:-1]:
        raise ValueError(
            f"{name}: labels of shape {tuple(y_true.shape)} do not fit y_pred of shape "
            f"{tuple(y_pred.shape)}; expected class numbers of shape {tuple(y_pred.shape[:-1])}"
        )
    return y_true


def _sparse_categorical_accuracy(y_true, y_pred):
    y_true = _sparse_labels("sparse_categorical_accuracy", y_true, y_pred)
    return _float(y_true == xp.argmax(y_pred, axis=-1))


def _in_top_k(labels, y_pred, k):
    # A label is in the top k when fewer than k classes score strictly higher (ties count in).
    labels = labels.astype(xp.intp, copy=False).reshape(-1)
    scores = y_pred.reshape(-1, y_pred.shape[-1])
    target = xp.take_along_axis(scores, labels[:, None], axis=1)
    higher = xp.sum(scores > target, axis=1)
    return _float(higher < k).reshape(y_pred.shape[:-1])


def _top_k_categorical_accuracy(y_true, y_pred, k=5):
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"top_k_categorical_accuracy: y_true of shape {tuple(y_true.shape)} does not match "
            f"y_pred of shape {tuple(y_pred.shape)}"
        )
    return _in_top_k(xp.argmax(y_true, axis=-1), y_pred, k)


def _sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_true = _sparse_labels("sparse_top_k_categorical_accuracy", y_true, y_pred)
    return _in_top_k(y_true, y_pred, k)


# The error and cross-entropy kernels are the losses' own (learnet.losses), run with no
# tape recording: one formula for a loss and for the metric of the same name.
def _loss_kernel(loss_function):
    def kernel(y_true, y_pred, **options):
        with no_recording():
            return loss_function(y_true, Tensor._wrap(_float(y_pred)), **options)._value

    kernel.__name__ = loss_function.__name__
    return kernel


_mean_squared_error = _loss_kernel(losses.mean_squared_error)
_mean_absolute_error = _loss_kernel(losses.mean_absolute_error)
_binary_crossentropy = _loss_kernel(losses.binary_crossentropy)
_categorical_crossentropy = _loss_kernel(losses.categorical_crossentropy)
_sparse_categorical_crossentropy = _loss_kernel(losses.sparse_categorical_crossentropy)


def _public(function, name):
    """A Keras-style metric function on tensors, from one on arrays."""

    def metric(y_true, y_pred, **kwargs):
        return Tensor._wrap(function(_array(y_true), _array(y_pred), **kwargs))

    metric.__name__ = metric.__qualname__ = name
    metric.__doc__ = f"``{name}(y_true, y_pred)``: one value per example, as a tensor."
    return metric


accuracy = _public(_accuracy, "accuracy")
binary_accuracy = _public(_binary_accuracy, "binary_accuracy")
categorical_accuracy = _public(_categorical_accuracy, "categorical_accuracy")
sparse_categorical_accuracy = _public(_sparse_categorical_accuracy, "sparse_categorical_accuracy")
top_k_categorical_accuracy = _public(_top_k_categorical_accuracy, "top_k_categorical_accuracy")
sparse_top_k_categorical_accuracy = _public(_sparse_top_k_categorical_accuracy, "sparse_top_k_categorical_accuracy")


# --- the classes -----------------------------------------------------------------------------
def _snake_case(name):
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper() or (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _scalar(value, dtype):
    return Tensor._wrap(xp.asarray(value, dtype=dtype))


# How many metrics were ever made. While fit runs, a model looks for the metrics its layers
# hold (``Model._layer_metrics``) again only when this changed: a layer that makes one in
# its first call (``add_metric``, a tracker created lazily) is found at that step.
_made = [0]


class Metric:
    """Base class of metrics: accumulate with ``update_state``, read with ``result``.

    A subclass defines ``update_state(y_true, y_pred, sample_weight=None)``,
    ``result()`` and ``reset_state()``.

    Parameters
    ----------
    name : str, optional
        The key of the metric in ``history.history`` and the progress bar.
    dtype : optional
        The dtype of ``result()``, ``float32`` by default.

    A class attribute ``_direction`` ("up" or "down") says whether a larger result is
    better; ``EarlyStopping(mode="auto")`` reads it, as in Keras.
    """

    # The attributes that hold the running state (sums and counts): summing each of them
    # over processes gives the state of the whole data (``learnet.distribute``).
    _state_attributes = ()

    def __new__(cls, *args, **kwargs):
        _made[0] += 1
        return super().__new__(cls)

    def __init__(self, name=None, dtype=None):
        self.name = name if name is not None else _snake_case(type(self).__name__)
        self.dtype = numpy.dtype(dtype if dtype is not None else backend.floatx())

    def _own_state_variables(self):
        return list(self.__dict__.get("_state_variables", ()))

    def _get_state_arrays(self):
        """The running state as NumPy arrays: ``_state_attributes``, then the ``add_weight`` variables."""
        if not self._state_attributes and not self._own_state_variables():
            raise TypeError(
                f"{type(self).__name__} keeps its state outside add_weight, so it cannot be summed over "
                "processes; create its state with self.add_weight(...)"
            )
        arrays = [
            numpy.asarray(backend.to_numpy(getattr(self, name)), dtype=numpy.float64) for name in self._state_attributes
        ]
        return arrays + [numpy.array(backend.to_numpy(v._value)) for v in self._own_state_variables()]

    def _set_state_arrays(self, arrays):
        """Set the state from arrays in the order of ``_get_state_arrays``."""
        count = len(self._state_attributes)
        for name, array in zip(self._state_attributes, arrays[:count]):
            setattr(self, name, float(array) if numpy.ndim(array) == 0 else xp.array(array))
        for variable, array in zip(self._own_state_variables(), arrays[count:]):
            variable.assign(xp.asarray(array, dtype=variable.dtype))

    # --- Keras 3's stateless API: the state passed in and handed back, the metric unchanged ----------
    def _snapshot(self):
        """The state exactly as it is (copies), for ``_restore``."""
        attributes = [getattr(self, name) for name in self._state_attributes]
        attributes = [value.copy() if hasattr(value, "copy") else value for value in attributes]
        return attributes, [v._value.copy() for v in self._own_state_variables()]

    def _restore(self, snapshot):
        attributes, arrays = snapshot
        for name, value in zip(self._state_attributes, attributes):
            setattr(self, name, value)
        for variable, array in zip(self._own_state_variables(), arrays):
            variable._value[...] = array

    def _state_values(self):
        """The state as the Tensors ``variables`` holds (Keras' dtypes: the metric's float type)."""
        values = []
        for name in self._state_attributes:
            value = xp.asarray(getattr(self, name))
            dtype = self.dtype if value.dtype.kind == "f" else value.dtype
            values.append(Tensor._wrap(xp.array(value, dtype=dtype)))
        return values + [Tensor._wrap(v._value.copy()) for v in self._own_state_variables()]

    def _load_state(self, metric_variables, where):
        """Put ``metric_variables`` (one value per entry of ``variables``) in as the state; all are
        checked first, so a bad list changes nothing."""
        current = self._state_values()
        if not current:
            raise ValueError(
                f"{type(self).__name__}.{where}: the metric keeps no state in variables; create its state "
                "with self.add_weight(...)"
            )
        try:
            values = list(metric_variables)
        except TypeError:
            raise ValueError(
                f"{type(self).__name__}.{where}: metric_variables must be a list of {len(current)} values "
                f"(as metric.variables), got {type(metric_variables).__name__}"
            ) from None
        if len(values) != len(current):
            raise ValueError(
                f"{type(self).__name__}.{where}: metric_variables must be a list of {len(current)} values "
                f"(as metric.variables), got {len(values)}"
            )
        arrays = []
        for index, (value, model) in enumerate(zip(values, current)):
            array = value._value if isinstance(value, Tensor) else to_array(value)
            if tuple(array.shape) != tuple(model.shape):
                raise ValueError(
                    f"{type(self).__name__}.{where}: metric_variables[{index}] has shape {tuple(array.shape)}, "
                    f"expected {tuple(model.shape)}"
                )
            arrays.append(array)
        count = len(self._state_attributes)
        for name, array in zip(self._state_attributes, arrays[:count]):
            old = getattr(self, name)
            if isinstance(old, (float, int)) and not isinstance(old, bool):
                setattr(self, name, type(old)(array))
            else:
                setattr(self, name, xp.array(array, dtype=xp.asarray(old).dtype))
        for variable, array in zip(self._own_state_variables(), arrays[count:]):
            variable._value[...] = xp.asarray(array, dtype=variable.dtype)

    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """``update_state`` on the state given, returning the new state; the metric is left as it was.

        Parameters
        ----------
        metric_variables : list
            One value per entry of ``variables`` (the Variables themselves, Tensors or arrays).
        *args, **kwargs
            What ``update_state`` takes (``y_true, y_pred, sample_weight=None``).

        Returns
        -------
        list of Tensor
            The new state, in the order of ``variables``.

        Examples
        --------
        >>> import learnet as keras
        >>> m = keras.metrics.Mean()
        >>> state = m.stateless_update_state(m.variables, [1.0, 3.0])
        >>> float(m.stateless_result(state)), float(m.result())
        (2.0, 0.0)
        """
        snapshot = self._snapshot()
        try:
            self._load_state(metric_variables, "stateless_update_state")
            self.update_state(*args, **kwargs)
            return self._state_values()
        finally:
            self._restore(snapshot)

    def stateless_result(self, metric_variables):
        """``result()`` of the state given, the metric left as it was."""
        snapshot = self._snapshot()
        try:
            self._load_state(metric_variables, "stateless_result")
            return self.result()
        finally:
            self._restore(snapshot)

    def stateless_reset_state(self):
        """The state ``reset_state()`` would give, as a list in the order of ``variables``; the
        metric is left as it was."""
        snapshot = self._snapshot()
        try:
            self.reset_state()
            return self._state_values()
        finally:
            self._restore(snapshot)

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError(f"{type(self).__name__} must define update_state")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must define result")

    def reset_state(self):
        """Start again: set every state variable made by ``add_weight`` back to zero."""
        if not self._own_state_variables():
            raise NotImplementedError(
                f"{type(self).__name__} must define reset_state (or keep its state in add_weight variables)"
            )
        for variable in self._own_state_variables():
            variable.assign(xp.zeros(variable.shape, dtype=variable.dtype))

    def reset_states(self):
        """Old name of ``reset_state``."""
        self.reset_state()

    def add_weight(self, name=None, shape=(), aggregation="sum", initializer="zeros", dtype=None, **kwargs):
        """Create a state variable of this metric (not trainable), as in a custom Keras metric.

        Examples
        --------
        >>> class Total(Metric):
        ...     def __init__(self, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.total = self.add_weight(name="total", initializer="zeros")
        ...     def update_state(self, values, sample_weight=None):
        ...         self.total.assign_add(float(numpy.sum(values)))
        ...     def result(self):
        ...         return self.total
        >>> t = Total(); t.update_state([1.0, 2.0]); float(t.result())
        3.0
        """
        from learnet import initializers  # a sibling block, imported when a custom metric needs it

        if name is not None and not isinstance(name, str) and shape == ():
            name, shape = None, name  # Keras 3 order: add_weight(shape, ...)
        dtype = numpy.dtype(dtype if dtype is not None else self.dtype)
        shape = () if shape is None else tuple(int(s) for s in (shape if hasattr(shape, "__len__") else (shape,)))
        value = initializers.get(initializer)(shape, dtype=dtype)
        value = xp.asarray(value.numpy() if isinstance(value, Tensor) else value, dtype=dtype)
        variable = owned_variable(self.name, value, trainable=False, name=name or "variable", dtype=dtype)
        if "_state_variables" not in self.__dict__:
            self._state_variables = []
        self._state_variables.append(variable)
        return variable

    add_variable = add_weight

    @property
    def variables(self):
        """The metric's state as Variables, as Keras 3 lists them (``Mean``: ``total``, ``count``).

        A built-in metric keeps its running sums in plain numbers and arrays (faster per
        batch): its entries here are Variables holding their current values, made anew on
        each read. A metric of the user's own lists the Variables ``add_weight`` made. The
        stateless calls (``stateless_update_state``...) take and give values in this order.
        """
        values = [
            owned_variable(self.name, value._value, trainable=False, name=name, dtype=value.dtype)
            for name, value in zip(self._state_attributes, self._state_values())
        ]
        return values + self._own_state_variables()

    @property
    def weights(self):
        return self.variables

    def __call__(self, *args, **kwargs):
        """Update with one batch (``update_state``'s arguments) and return the result so far."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        """The constructor arguments as a dictionary."""
        return {"name": self.name, "dtype": self.dtype.name}

    @classmethod
    def from_config(cls, config):
        """Create the metric from the dictionary ``get_config`` returned."""
        return cls(**config)

    def __repr__(self):
        return f"<learnet.metrics.{type(self).__name__} name={self.name!r}>"


def _host_float(total):
    """A sum as a Python float; on a GPU it stays a 0-d array there (reading it would wait)."""
    return float(total) if backend.on_host(total) else total


def _samplewise(values, sample_weight, name):
    """Keras' reduction of metric values to one per example, with the weights applied.

    Returns ``(sum of weighted values, sum of weights or example count)`` as floats
    (0-d arrays on a GPU).
    """
    values = _float(values)
    if values.ndim == 0 and type(sample_weight) in (int, float) and backend.on_host(values):
        # One number with one weight (a loss tracker: the batch's loss and its size, every
        # step): the same arithmetic as below (the product in the values' dtype, the sums in
        # float64) without building arrays for it.
        weight = values.dtype.type(sample_weight)
        return float(values * weight), float(weight)
    if sample_weight is None:
        if values.ndim > 1:
            values = xp.mean(values, axis=tuple(range(1, values.ndim)))
        count = values.shape[0] if values.ndim >= 1 else 1
        return _host_float(xp.sum(values, dtype=numpy.float64)), float(count)
    weight = _array(sample_weight)
    weight = weight.astype(values.dtype, copy=False)
    values, weight = _same_rank(values, weight)
    if values.ndim > weight.ndim:
        values = xp.mean(values, axis=tuple(range(weight.ndim, values.ndim)))
    try:
        weight = xp.broadcast_to(weight, values.shape)
    except ValueError:
        raise ValueError(
            f"{name}: sample_weight of shape {tuple(_array(sample_weight).shape)} does not fit values "
            f"of shape {tuple(values.shape)}"
        ) from None
    return _host_float(xp.sum(values * weight, dtype=numpy.float64)), _host_float(xp.sum(weight, dtype=numpy.float64))


class Mean(Metric):
    """The (weighted) mean of the values given.

    Examples
    --------
    >>> m = Mean()
    >>> m.update_state([1.0, 3.0])
    >>> m.update_state(5.0)
    >>> float(m.result())
    3.0
    """

    _state_attributes = ("total", "count")

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def update_state(self, values, sample_weight=None):
        total, count = _samplewise(_array(values), sample_weight, self.name)
        self.total += total
        self.count += count

    def result(self):
        if not backend.on_host(self.count):  # on a GPU: divide there, 0 / 0 kept at 0 without reading the count
            return _scalar(self.total / xp.maximum(self.count, numpy.finfo(numpy.float64).tiny), self.dtype)
        return _scalar(self.total / self.count if self.count else 0.0, self.dtype)

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0


class Sum(Metric):
    """The (weighted) sum of the values given."""

    _state_attributes = ("total",)

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def update_state(self, values, sample_weight=None):
        values = _float(_array(values))
        if sample_weight is not None:
            values = values * _array(sample_weight).astype(values.dtype, copy=False)
        self.total += _host_float(xp.sum(values, dtype=numpy.float64))

    def result(self):
        return _scalar(self.total, self.dtype)

    def reset_state(self):
        self.total = 0.0


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred)`` over all examples seen.

    ``fn`` returns one value per example (or per element). It receives tensors, so
    a function written with learnet ops works; the built-in metrics use NumPy directly.

    Examples
    --------
    >>> import learnet as tf
    >>> m = MeanMetricWrapper(lambda y, p: tf.abs(y - p), name="abs_error")
    >>> m.update_state([1.0, 2.0], [1.5, 2.0])
    >>> float(m.result())
    0.25
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name if name is not None else getattr(fn, "__name__", "mean_metric"), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        self._on_arrays = False

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = getattr(y_pred, "_keras_mask", None)
        y_true, y_pred = _array(y_true), _array(y_pred)
        if mask is not None:  # a sequence mask on y_pred: masked steps do not count (Keras)
            mask = _array(mask).astype(y_pred.dtype if y_pred.dtype.kind == "f" else "float32")
            if sample_weight is not None:
                weight = _array(sample_weight).astype(mask.dtype, copy=False)
                if weight.ndim == mask.ndim + 1 and weight.shape[-1] == 1:
                    weight = weight[..., 0]
                mask = mask * weight.reshape(weight.shape + (1,) * (mask.ndim - weight.ndim))
            sample_weight = mask
        if self._on_arrays:
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        else:
            values = _array(self._fn(Tensor._wrap(y_true), Tensor._wrap(y_pred), **self._fn_kwargs))
        super().update_state(values, sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config


def _builtin(fn, self, name, dtype, **kwargs):
    """Set up a MeanMetricWrapper around one of this module's array functions."""
    MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **kwargs)
    self._on_arrays = True


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly (elementwise)."""

    _direction = "up"

    def __init__(self, name="accuracy", dtype=None):
        _builtin(_accuracy, self, name, dtype)

    def get_config(self):
        return Metric.get_config(self)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches binary labels.

    Examples
    --------
    >>> m = BinaryAccuracy()
    >>> m.update_state([[1], [0], [1]], [[0.9], [0.6], [0.4]])
    >>> round(float(m.result()), 4)
    0.3333
    """

    _direction = "up"

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        _builtin(_binary_accuracy, self, name, dtype, threshold=float(threshold))
        self.threshold = float(threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of the predictions equals the arg-max of one-hot labels."""

    _direction = "up"

    def __init__(self, name="categorical_accuracy", dtype=None):
        _builtin(_categorical_accuracy, self, name, dtype)

    def get_config(self):
        return Metric.get_config(self)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of the predictions equals integer labels."""

    _direction = "up"

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        _builtin(_sparse_categorical_accuracy, self, name, dtype)

    def get_config(self):
        return Metric.get_config(self)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the ``k`` highest predictions."""

    _direction = "up"

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        _builtin(_top_k_categorical_accuracy, self, name, dtype, k=int(k))
        self.k = int(k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` highest predictions.

    Examples
    --------
    >>> m = SparseTopKCategoricalAccuracy(k=2)
    >>> m.update_state([2, 0], [[0.1, 0.5, 0.4], [0.1, 0.5, 0.4]])
    >>> float(m.result())
    0.5
    """

    _direction = "up"

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        _builtin(_sparse_top_k_categorical_accuracy, self, name, dtype, k=int(k))
        self.k = int(k)


class MeanSquaredError(MeanMetricWrapper):
    """The mean of the squared errors over all examples seen."""

    _direction = "down"

    def __init__(self, name="mean_squared_error", dtype=None):
        _builtin(_mean_squared_error, self, name, dtype)

    def get_config(self):
        return Metric.get_config(self)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean of the absolute errors over all examples seen."""

    _direction = "down"

    def __init__(self, name="mean_absolute_error", dtype=None):
        _builtin(_mean_absolute_error, self, name, dtype)

    def get_config(self):
        return Metric.get_config(self)


class RootMeanSquaredError(Mean):
    """``sqrt`` of the mean squared error over all elements seen.

    Examples
    --------
    >>> m = RootMeanSquaredError()
    >>> m.update_state([[0.0, 0.0]], [[3.0, 4.0]])
    >>> round(float(m.result()), 4)       # sqrt((9 + 16) / 2)
    3.5355
    """

    _direction = "down"

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _same_rank(_array(y_true), _array(y_pred))
        _check_shapes(self.name, y_true, y_pred)
        super().update_state(xp.square(_float(y_pred) - y_true), sample_weight)

    def result(self):
        return _scalar((self.total / self.count) ** 0.5 if self.count else 0.0, self.dtype)


class BinaryCrossentropy(MeanMetricWrapper):
    """The mean binary cross-entropy over all examples seen."""

    _direction = "down"

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False):
        _builtin(_binary_crossentropy, self, name, dtype, from_logits=bool(from_logits))


class CategoricalCrossentropy(MeanMetricWrapper):
    """The mean categorical cross-entropy (one-hot labels) over all examples seen."""

    _direction = "down"

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False):
        _builtin(_categorical_crossentropy, self, name, dtype, from_logits=bool(from_logits))


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The mean sparse categorical cross-entropy (integer labels) over all examples seen."""

    _direction = "down"

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False):
        _builtin(_sparse_categorical_crossentropy, self, name, dtype, from_logits=bool(from_logits))


# --- confusion-matrix metrics -------------------------------------------------------------------
def _thresholds_list(thresholds, default):
    if thresholds is None:
        return [default], True
    if isinstance(thresholds, (int, float)):
        return [float(thresholds)], True
    values = [float(t) for t in thresholds]
    if not values:
        raise ValueError("thresholds must not be empty")
    return values, False


def _confusion_inputs(name, y_true, y_pred, sample_weight, class_id, top_k):
    """Flattened labels (bool), predictions and weights, after class_id / top_k filtering."""
    y_true, y_pred = _same_rank(_array(y_true), _float(_array(y_pred)))
    _check_shapes(name, y_true, y_pred)
    y_true = xp.broadcast_to(y_true, y_pred.shape)
    weight = None
    if sample_weight is not None:
        weight = _array(sample_weight).astype(y_pred.dtype, copy=False)
        if weight.ndim == y_pred.ndim + 1 and weight.shape[-1] == 1:
            weight = weight[..., 0]
        while weight.ndim < y_pred.ndim:
            weight = weight[..., None]
        try:
            weight = xp.broadcast_to(weight, y_pred.shape)
        except ValueError:
            raise ValueError(
                f"{name}: sample_weight of shape {tuple(_array(sample_weight).shape)} does not fit "
                f"y_pred of shape {tuple(y_pred.shape)}"
            ) from None
    if top_k is not None:
        # Everything outside each example's top k predictions counts as predicted negative.
        kth = xp.sort(y_pred, axis=-1)[..., -top_k][..., None]
        y_pred = xp.where(y_pred >= kth, y_pred, -xp.inf)
    if class_id is not None:
        y_true, y_pred = y_true[..., class_id], y_pred[..., class_id]
        weight = None if weight is None else weight[..., class_id]
    labels = y_true.reshape(-1) > 0.5
    y_pred = y_pred.reshape(-1)
    weight = xp.ones_like(y_pred) if weight is None else weight.reshape(-1)
    return labels, y_pred, weight


class _ConfusionCounts(Metric):
    """Weighted counts of true/false positives/negatives at given thresholds."""

    _direction = "up"

    _state_attributes = ("true_positives", "false_positives", "false_negatives", "true_negatives")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds, self._single = _thresholds_list(thresholds, 0.5)
        self.top_k = top_k
        self.class_id = class_id
        self.reset_state()

    def reset_state(self):
        size = len(self.thresholds)
        self.true_positives = xp.zeros(size)  # on a GPU the counts stay there
        self.false_positives = xp.zeros(size)
        self.false_negatives = xp.zeros(size)
        self.true_negatives = xp.zeros(size)

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels, y_pred, weight = _confusion_inputs(self.name, y_true, y_pred, sample_weight, self.class_id, self.top_k)
        thresholds = self._thresholds_as(y_pred.dtype)
        predicted = y_pred[None, :] > thresholds
        positive = weight * labels
        negative = weight * ~labels
        self.true_positives += xp.sum(predicted * positive, axis=1, dtype=numpy.float64)
        self.false_positives += xp.sum(predicted * negative, axis=1, dtype=numpy.float64)
        self.false_negatives += xp.sum(~predicted * positive, axis=1, dtype=numpy.float64)
        self.true_negatives += xp.sum(~predicted * negative, axis=1, dtype=numpy.float64)

    def _thresholds_as(self, dtype):
        # A column of thresholds, made once (on a GPU, not copied there at every step).
        source, column = getattr(self, "_threshold_column", (None, None))
        if source is not self.thresholds or column.dtype != dtype:
            column = xp.asarray(self.thresholds, dtype=dtype)[:, None]
            self._threshold_column = (self.thresholds, column)
        return column

    def _ratio(self, numerator, denominator):
        if not backend.on_host(numerator):  # CuPy's ufuncs take no `where=`
            values = xp.where(denominator > 0, numerator / xp.maximum(denominator, 1e-300), 0.0)
            return _scalar(values[0] if self._single else values, self.dtype)
        values = numpy.divide(numerator, denominator, out=numpy.zeros_like(numerator), where=denominator > 0)
        return _scalar(values[0] if self._single else values, self.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"thresholds": self.init_thresholds, "top_k": self.top_k, "class_id": self.class_id})
        return config


class Precision(_ConfusionCounts):
    """Of the examples predicted positive (``y_pred > threshold``), the fraction truly positive.

    Parameters
    ----------
    thresholds : float or list of float, optional
        0.5 by default; with a list, ``result()`` has one value per threshold.
    top_k : int, optional
        Count only each example's ``k`` highest predictions as positive.
    class_id : int, optional
        Look at one class (one column) only.

    Examples
    --------
    >>> m = Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    """

    # Keras 3's variables: the other counts are kept too but are not state.
    _state_attributes = ("true_positives", "false_positives")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="precision", dtype=None):
        super().__init__(thresholds, top_k, class_id, name=name, dtype=dtype)

    def result(self):
        return self._ratio(self.true_positives, self.true_positives + self.false_positives)


class Recall(_ConfusionCounts):
    """Of the truly positive examples, the fraction predicted positive (``y_pred > threshold``).

    Examples
    --------
    >>> m = Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _state_attributes = ("true_positives", "false_negatives")  # Keras 3's variables

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="recall", dtype=None):
        super().__init__(thresholds, top_k, class_id, name=name, dtype=dtype)

    def result(self):
        return self._ratio(self.true_positives, self.true_positives + self.false_negatives)


class AUC(Metric):
    """Area under the ROC curve (or the precision-recall curve), as Keras computes it.

    The curve is sampled at ``num_thresholds`` thresholds spread evenly over [0, 1]
    and its area summed over the intervals (``summation_method``: "interpolation",
    "minoring" or "majoring"; for PR, "interpolation" is Davis & Goadrich's).

    Parameters
    ----------
    num_thresholds : int, default 200
    curve : {"ROC", "PR"}
    summation_method : str, default "interpolation"
    thresholds : list of float, optional
        Your own thresholds in place of the evenly spread ones.
    from_logits : bool, default False
        Apply a sigmoid to the predictions first.

    Examples
    --------
    >>> m = AUC()
    >>> m.update_state([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> round(float(m.result()), 2)
    0.75
    """

    _direction = "up"

    # In Keras 3's order of its variables.
    _state_attributes = ("true_positives", "false_positives", "true_negatives", "false_negatives")

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name="auc",
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        super().__init__(name=name, dtype=dtype)
        curve = str(curve).upper()
        if curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR', got {curve!r}")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(
                f"AUC: summation_method must be 'interpolation', 'minoring' or 'majoring', got {summation_method!r}"
            )
        if multi_label or label_weights is not None:
            raise ValueError("AUC: multi_label and label_weights are not supported by learnet")
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
            self.num_thresholds = len(inner) + 2
        else:
            if num_thresholds <= 1:
                raise ValueError(f"AUC: num_thresholds must be > 1, got {num_thresholds}")
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) / (self.num_thresholds - 1) for i in range(self.num_thresholds - 2)]
        self._init_thresholds = thresholds
        self.thresholds = numpy.asarray([0.0 - _EPSILON] + inner + [1.0 + _EPSILON])
        self.curve = curve
        self.summation_method = summation_method
        self.from_logits = bool(from_logits)
        self.reset_state()

    def reset_state(self):
        size = self.num_thresholds
        self.true_positives = numpy.zeros(size)
        self.false_positives = numpy.zeros(size)
        self.false_negatives = numpy.zeros(size)
        self.true_negatives = numpy.zeros(size)

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels, scores, weight = _confusion_inputs(self.name, y_true, y_pred, sample_weight, None, None)
        labels, scores, weight = backend.to_numpy(labels), backend.to_numpy(scores), backend.to_numpy(weight)
        if self.from_logits:
            scores = 1.0 / (1.0 + numpy.exp(-scores.astype(numpy.float64)))
        # For each prediction, how many thresholds lie strictly below it: it is predicted
        # positive at exactly those. Cumulative sums then give the counts per threshold.
        below = numpy.searchsorted(self.thresholds, scores, side="left")
        size = self.num_thresholds + 1
        positive = numpy.bincount(below, weights=weight * labels, minlength=size)
        negative = numpy.bincount(below, weights=weight * ~labels, minlength=size)
        # predicted positive at threshold i  <=>  below > i
        tp = numpy.cumsum(positive[::-1])[::-1][1:]
        fp = numpy.cumsum(negative[::-1])[::-1][1:]
        self.true_positives += tp
        self.false_positives += fp
        self.false_negatives += positive.sum() - tp
        self.true_negatives += negative.sum() - fp

    def _interpolate_pr_auc(self):
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        n = self.num_thresholds
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        slope = _divide_no_nan(dtp, numpy.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        ratio = numpy.where((p[: n - 1] > 0) & (p[1:] > 0), _divide_no_nan(p[: n - 1], numpy.maximum(p[1:], 0)), 1.0)
        increments = _divide_no_nan(
            slope * (dtp + intercept * numpy.log(numpy.maximum(ratio, 1e-300))),
            numpy.maximum(tp[1:] + fn[1:], 0),
        )
        return float(numpy.sum(increments))

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return _scalar(self._interpolate_pr_auc(), self.dtype)
        tp, fp, fn, tn = self.true_positives, self.false_positives, self.false_negatives, self.true_negatives
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = numpy.minimum(y[:-1], y[1:])
        else:
            heights = numpy.maximum(y[:-1], y[1:])
        return _scalar(float(numpy.sum((x[:-1] - x[1:]) * heights)), self.dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_thresholds": self.num_thresholds if self._init_thresholds is None else None,
                "curve": self.curve,
                "summation_method": self.summation_method,
                "thresholds": self._init_thresholds,
                "from_logits": self.from_logits,
            }
        )
        if config["num_thresholds"] is None:
            config.pop("num_thresholds")
        return config


def _divide_no_nan(a, b):
    a, b = numpy.asarray(a, dtype=numpy.float64), numpy.asarray(b, dtype=numpy.float64)
    return numpy.divide(a, b, out=numpy.zeros(numpy.broadcast_shapes(a.shape, b.shape)), where=b != 0)


# --- look-up by name, and "accuracy" resolved like Keras -----------------------------------------
_BY_NAME = {
    "accuracy": Accuracy,
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "root_mean_squared_error": RootMeanSquaredError,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "precision": Precision,
    "recall": Recall,
    "auc": AUC,
    "mean": Mean,
    "sum": Sum,
}
_ALIASES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "rmse": "root_mean_squared_error",
    "top_k_accuracy": "top_k_categorical_accuracy",
    "sparse_top_k_accuracy": "sparse_top_k_categorical_accuracy",
}
_CLASSES = (
    Mean,
    Sum,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    MeanSquaredError,
    MeanAbsoluteError,
    RootMeanSquaredError,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Precision,
    Recall,
    AUC,
    MeanMetricWrapper,
)


def _loss_kind(loss):
    """'binary', 'categorical', 'sparse' or None: which cross-entropy ``loss`` is, if any."""
    if loss is None:
        return None
    names = []
    if isinstance(loss, str):
        names.append(loss)
    else:
        for candidate in (loss, getattr(loss, "fn", None)):
            if candidate is None:
                continue
            names.append(getattr(candidate, "__name__", ""))
            names.append(type(candidate).__name__)
            names.append(str(getattr(candidate, "name", "")))
    for name in names:
        key = name.lower().replace("_", "")
        if key in ("sparsecategoricalcrossentropy", "sparsesoftmaxcrossentropywithlogits"):
            return "sparse"
        if key in ("categoricalcrossentropy", "softmaxcrossentropywithlogits"):
            return "categorical"
        if key in ("binarycrossentropy", "bce", "binaryfocalcrossentropy", "sigmoidcrossentropywithlogits"):
            return "binary"
    return None


def _accuracy_for(kind, name):
    if kind == "binary":
        return BinaryAccuracy(name=name)
    if kind == "sparse":
        return SparseCategoricalAccuracy(name=name)
    if kind == "categorical":
        return CategoricalAccuracy(name=name)
    return _ShapeResolvedAccuracy(name=name)


class _ShapeResolvedAccuracy(MeanMetricWrapper):
    """``"accuracy"`` when the loss does not tell: chosen from the shapes of the first batch.

    Binary if ``y_pred`` has one column; sparse if the labels have one dimension
    fewer (or a last dimension of 1 against several columns); categorical otherwise.
    """

    _direction = "up"

    def __init__(self, name="accuracy", dtype=None):
        _builtin(self._first_batch, self, name, dtype)

    def _first_batch(self, y_true, y_pred):
        if y_pred.ndim >= 1 and y_pred.shape[-1] == 1 or y_pred.ndim == 0:
            function = _binary_accuracy
        elif y_true.ndim < y_pred.ndim or (y_true.ndim and y_true.shape[-1] == 1):
            function = _sparse_categorical_accuracy
        elif y_true.shape == y_pred.shape and y_pred.ndim >= 2:
            function = _categorical_accuracy
        else:
            function = _accuracy
        self._fn = function
        return function(y_true, y_pred)

    def get_config(self):
        return Metric.get_config(self)


def get(identifier, loss=None, output_shape=None, y_true_shape=None):
    """Return a ``Metric`` for ``identifier``, resolving ``"accuracy"`` like Keras' ``compile``.

    Parameters
    ----------
    identifier : str, Metric, Metric subclass or callable
        A name (``"accuracy"``/``"acc"``, ``"binary_accuracy"``, ``"categorical_accuracy"``,
        ``"sparse_categorical_accuracy"``, ``"top_k_categorical_accuracy"``, ``"mse"``,
        ``"mae"``, ``"rmse"``, ``"precision"``, ``"recall"``, ``"auc"``, the
        cross-entropies, or a class name such as ``"AUC"``); a metric (returned as is);
        a class (instantiated); or a function ``fn(y_true, y_pred)`` (its mean is tracked).
    loss : optional
        The model's loss (a name, ``Loss`` object, class or function). For
        ``"accuracy"``: binary accuracy with binary cross-entropy, sparse-categorical
        with sparse categorical cross-entropy, categorical with categorical
        cross-entropy.
    output_shape : tuple, optional
        The model's output shape: a last dimension of 1 means binary accuracy.
    y_true_shape : tuple, optional
        The labels' shape, used when neither the loss nor the output shape decides.

    Returns
    -------
    Metric
        Named by the identifier as given (``"accuracy"`` stays ``"accuracy"``, ``"mse"``
        stays ``"mse"``), so ``history.history["accuracy"]`` works as in Keras. When
        nothing decides the kind of accuracy, the first batch's shapes do.

    Examples
    --------
    >>> type(get("accuracy", loss="sparse_categorical_crossentropy")).__name__
    'SparseCategoricalAccuracy'
    >>> get("accuracy", loss="binary_crossentropy").name
    'accuracy'
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        key = identifier.strip()
        lowered = key.lower()
        if lowered in ("accuracy", "acc"):
            kind = _loss_kind(loss)
            if kind is None and output_shape is not None and len(output_shape) and output_shape[-1] == 1:
                kind = "binary"
            if kind is None and output_shape is not None and y_true_shape is not None and len(output_shape):
                if len(y_true_shape) < len(output_shape) or (
                    len(y_true_shape) and y_true_shape[-1] == 1 and output_shape[-1] != 1
                ):
                    kind = "sparse"
                else:
                    kind = "categorical"
            return _accuracy_for(kind, key)
        if lowered in ("crossentropy", "ce"):
            kind = _loss_kind(loss)
            if kind is None:
                raise ValueError(
                    f"metric {identifier!r} needs a cross-entropy loss to know which cross-entropy to track"
                )
            cls = {
                "binary": BinaryCrossentropy,
                "categorical": CategoricalCrossentropy,
                "sparse": SparseCategoricalCrossentropy,
            }[kind]
            return cls(name=key)
        by_class = {cls.__name__: cls for cls in _CLASSES}
        if key in by_class and key != "MeanMetricWrapper":
            return by_class[key]()
        canonical = _ALIASES.get(lowered, lowered)
        if canonical in _BY_NAME:
            return _BY_NAME[canonical](name=key)
        names = sorted(set(_BY_NAME) | set(_ALIASES) | {"acc"})
        close = difflib.get_close_matches(lowered, names, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown metric {identifier!r}; known names: {names}.{hint}")
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(f"cannot interpret {identifier!r} as a metric")


def serialize(metric):
    """Return ``{"class_name": ..., "config": ...}`` describing ``metric``."""
    if not isinstance(metric, Metric):
        raise TypeError(f"serialize expects a Metric, got {type(metric).__name__}")
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def deserialize(config, custom_objects=None):
    """Create a metric from what ``serialize`` returned."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"deserialize expects a dict with 'class_name' and 'config', got {config!r}")
    classes = {cls.__name__: cls for cls in _CLASSES if cls is not MeanMetricWrapper}
    classes["_ShapeResolvedAccuracy"] = _ShapeResolvedAccuracy
    classes.update(custom_objects or {})
    name = config["class_name"]
    cls = classes.get(name) or registry.get_registered_object(name)  # @register_keras_serializable
    if cls is None:
        raise ValueError(f"unknown metric class {name!r}; known: {sorted(classes)}")
    return cls.from_config(dict(config.get("config", {})))


__all__ = [
    "Metric",
    "Mean",
    "Sum",
    "MeanMetricWrapper",
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "RootMeanSquaredError",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "Precision",
    "Recall",
    "AUC",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "get",
    "serialize",
    "deserialize",
]


# --- more of Keras' metric list: regression, probabilistic, hinge and R^2 -------------------------
# Appended as a block: each tracks the mean of one of learnet.losses' per-example functions.
def _loss_function(name):
    from learnet import losses

    return getattr(losses, name)


class _LossMean(MeanMetricWrapper):
    """The mean over all examples seen of one per-example function of ``learnet.losses``."""

    _function = None
    _default_name = None

    def __init__(self, name=None, dtype=None):
        MeanMetricWrapper.__init__(self, _loss_function(self._function), name=name or self._default_name, dtype=dtype)

    def get_config(self):
        return Metric.get_config(self)


class MeanAbsolutePercentageError(_LossMean):
    """``100 * mean(|y_true - y_pred| / |y_true|)`` over all examples seen.

    Examples
    --------
    >>> import learnet as tf
    >>> m = tf.keras.metrics.MeanAbsolutePercentageError()
    >>> m.update_state([[2.0], [4.0]], [[1.0], [5.0]])
    >>> round(float(m.result()), 4)
    37.5
    """

    _direction = "down"
    _function = "mean_absolute_percentage_error"
    _default_name = "mean_absolute_percentage_error"


class MeanSquaredLogarithmicError(_LossMean):
    """``mean((log(1 + y_true) - log(1 + y_pred)) ** 2)`` over all examples seen."""

    _direction = "down"
    _function = "mean_squared_logarithmic_error"
    _default_name = "mean_squared_logarithmic_error"


class LogCoshError(_LossMean):
    """``mean(log(cosh(y_pred - y_true)))`` over all examples seen."""

    _direction = "down"
    _function = "log_cosh"
    _default_name = "logcosh"


class Poisson(_LossMean):
    """``mean(y_pred - y_true * log(y_pred))`` over all examples seen."""

    _direction = "down"
    _function = "poisson"
    _default_name = "poisson"


class KLDivergence(_LossMean):
    """The Kullback-Leibler divergence of ``y_pred`` from ``y_true``, averaged."""

    _direction = "down"
    _function = "kl_divergence"
    _default_name = "kl_divergence"


class Hinge(_LossMean):
    """``mean(max(1 - y_true * y_pred, 0))`` (labels -1/1, or 0/1 turned into -1/1)."""

    _direction = "down"
    _function = "hinge"
    _default_name = "hinge"


class SquaredHinge(_LossMean):
    """``mean(max(1 - y_true * y_pred, 0) ** 2)``."""

    _direction = "down"
    _function = "squared_hinge"
    _default_name = "squared_hinge"


class CategoricalHinge(_LossMean):
    """``max(0, 1 + max(wrong scores) - right score)``, averaged."""

    _direction = "down"
    _function = "categorical_hinge"
    _default_name = "categorical_hinge"


class CosineSimilarity(MeanMetricWrapper):
    """The mean cosine of the angle between ``y_true`` and ``y_pred`` (1: same direction).

    Unlike the loss of the same name, the metric is not negated, as in Keras.
    """

    _direction = "up"

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        def cosine(y_true, y_pred, axis=axis):
            return -_loss_function("cosine_similarity")(y_true, y_pred, axis=axis)

        MeanMetricWrapper.__init__(self, cosine, name=name, dtype=dtype)
        self.axis = axis

    def get_config(self):
        config = Metric.get_config(self)
        config["axis"] = self.axis
        return config


class R2Score(Metric):
    """The coefficient of determination ``1 - SS_res / SS_tot`` over all examples seen.

    Computed per output column and averaged (``class_aggregation="uniform_average"``), or
    per column (``None``), as Keras' ``R2Score``.

    Examples
    --------
    >>> import learnet as tf
    >>> m = tf.keras.metrics.R2Score()
    >>> m.update_state([[1.0], [2.0], [3.0]], [[1.0], [2.0], [4.0]])
    >>> float(m.result())
    0.5
    """

    _direction = "up"

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in ("uniform_average", "variance_weighted_average", None):
            raise ValueError(
                f"R2Score: class_aggregation must be 'uniform_average', "
                f"'variance_weighted_average' or None, got {class_aggregation!r}"
            )
        if num_regressors < 0:
            raise ValueError(f"R2Score: num_regressors must be non-negative, got {num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = int(num_regressors)
        self.reset_state()

    def reset_state(self):
        self._count = 0
        self._sum = self._sum_squares = self._residual = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _array(y_true).astype("float64"), _array(y_pred).astype("float64")
        if y_true.ndim == 1:
            y_true, y_pred = y_true[:, None], y_pred[:, None]
        if y_true.shape != y_pred.shape:
            raise ValueError(f"R2Score: y_true {y_true.shape} and y_pred {y_pred.shape} must have the same shape")
        weights = numpy.ones((len(y_true), 1)) if sample_weight is None else _array(sample_weight).reshape(-1, 1)
        if self._sum is None:
            self._sum = numpy.zeros(y_true.shape[1:])
            self._sum_squares = numpy.zeros(y_true.shape[1:])
            self._residual = numpy.zeros(y_true.shape[1:])
            self._weight = numpy.zeros(y_true.shape[1:])
        self._sum += (y_true * weights).sum(axis=0)
        self._sum_squares += (y_true * y_true * weights).sum(axis=0)
        self._residual += (((y_true - y_pred) ** 2) * weights).sum(axis=0)
        self._weight += weights.sum()
        self._count += len(y_true)

    def result(self):
        if self._sum is None:
            return Tensor._wrap(numpy.asarray(0.0, dtype=self.dtype))
        mean = self._sum / self._weight
        total = self._sum_squares - self._weight * mean * mean
        with numpy.errstate(divide="ignore", invalid="ignore"):
            raw = numpy.where(total > 0, 1 - self._residual / total, 0.0)
        if self.class_aggregation == "uniform_average":
            score = raw.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (raw * total).sum() / total.sum() if total.sum() else 0.0
        else:
            score = raw
        if self.num_regressors:
            n = self._count
            if n - self.num_regressors - 1 > 0:
                score = 1 - (1 - score) * (n - 1) / (n - self.num_regressors - 1)
        return Tensor._wrap(numpy.asarray(score, dtype=self.dtype))

    def get_config(self):
        config = Metric.get_config(self)
        config.update(class_aggregation=self.class_aggregation, num_regressors=self.num_regressors)
        return config


_MORE = (
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    LogCoshError,
    Poisson,
    KLDivergence,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    CosineSimilarity,
    R2Score,
)
_CLASSES = _CLASSES + _MORE
_BY_NAME.update(
    {
        "mean_absolute_percentage_error": MeanAbsolutePercentageError,
        "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
        "logcosh": LogCoshError,
        "log_cosh": LogCoshError,
        "poisson": Poisson,
        "kl_divergence": KLDivergence,
        "hinge": Hinge,
        "squared_hinge": SquaredHinge,
        "categorical_hinge": CategoricalHinge,
        "cosine_similarity": CosineSimilarity,
        "r2_score": R2Score,
    }
)
_ALIASES.update(
    {
        "mape": "mean_absolute_percentage_error",
        "msle": "mean_squared_logarithmic_error",
        "kld": "kl_divergence",
        "kullback_leibler_divergence": "kl_divergence",
    }
)
__all__ += [cls.__name__ for cls in _MORE]


# --- Keras' confusion counts, operating points, F-scores, IoU, correlations and metric functions ---
# They live in learnet.confusion_metrics, which builds on the classes above and adds its names
# (TruePositives, F1Score, MeanIoU, ..., huber, pearson_correlation) to this module and to the
# tables above (_CLASSES, _BY_NAME), whichever of the two modules is imported first.
from learnet import confusion_metrics as _confusion_metrics  # noqa: E402, F401
