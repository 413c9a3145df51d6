"""Normalization layers: ``BatchNormalization``, ``LayerNormalization``,
``GroupNormalization``, ``UnitNormalization`` and ``RMSNormalization``.

All are written with learnet ops, so their gradients come from the tape (and are
checked numerically in the tests).

Examples
--------
>>> import learnet as tf
>>> bn = tf.keras.layers.BatchNormalization()
>>> y = bn(tf.random.normal((64, 10)) * 3 + 5, training=True)
>>> abs(float(tf.reduce_mean(y))) < 1e-5, round(float(tf.math.reduce_std(y)), 2)
(True, 1.0)
"""

import numpy

from learnet import constraints
from learnet import initializers, regularizers
from learnet.layers.base import InputSpec, Layer
from learnet.layers.core import _serialize
from learnet.ops.math import maximum, rsqrt, square
from learnet.ops.reduce import reduce_mean, reduce_sum
from learnet.ops.shape import reshape
from learnet.tensor import Tensor
from learnet.warn import warn


def _axes(axis, rank, who):
    axes = [axis] if isinstance(axis, (int, numpy.integer)) else list(axis)
    normalized = []
    for a in axes:
        if not -rank <= int(a) < rank:
            raise ValueError(f"{who}: axis {a} is out of range for inputs of rank {rank}")
        normalized.append(int(a) % rank)
    if 0 in normalized:
        raise ValueError(f"{who}: the batch axis (0) cannot be a feature axis")
    return sorted(set(normalized))


class _Normalization(Layer):
    """What both normalizations share: gamma and beta over the ``axis`` features."""

    _autocast_integers = True

    def __init__(
        self,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if epsilon <= 0:
            raise ValueError(f"{type(self).__name__}: epsilon must be positive, got {epsilon}")
        self.axis = axis if isinstance(axis, (int, numpy.integer)) else list(axis)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _build_features(self, input_shape, scale=None, center=None):
        """Make gamma (if ``scale``) and beta (if ``center``); both default to the layer's options."""
        scale = self.scale if scale is None else scale
        center = self.center if center is None else center
        who = f"{type(self).__name__} '{self.name}'"
        rank = len(input_shape)
        self._feature_axes = _axes(self.axis, rank, who)
        shape = tuple(input_shape[a] for a in self._feature_axes)
        if any(s is None for s in shape):
            raise ValueError(
                f"{who}: the size of the normalized axis must be known, got input shape {tuple(input_shape)}"
            )
        self._param_shape = shape
        # How a (features,) vector broadcasts against the input.
        self._broadcast_shape = tuple(input_shape[a] if a in self._feature_axes else 1 for a in range(rank))
        self._broadcast_shape = (1,) + self._broadcast_shape[1:]
        self._needs_reshape = self._feature_axes != [rank - 1]
        self.gamma = (
            self.add_weight(
                name="gamma",
                shape=shape,
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
            if scale
            else None
        )
        self.beta = (
            self.add_weight(
                name="beta",
                shape=shape,
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )
            if center
            else None
        )
        self.input_spec = InputSpec(ndim=rank, axes={a: input_shape[a] for a in self._feature_axes})

    def _broadcast(self, vector):
        return reshape(vector, self._broadcast_shape) if self._needs_reshape else vector

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            axis=self.axis,
            epsilon=self.epsilon,
            center=self.center,
            scale=self.scale,
            beta_initializer=initializers.serialize(self.beta_initializer),
            gamma_initializer=initializers.serialize(self.gamma_initializer),
            beta_regularizer=_serialize(regularizers, self.beta_regularizer),
            gamma_regularizer=_serialize(regularizers, self.gamma_regularizer),
            beta_constraint=constraints.serialize(self.beta_constraint),
            gamma_constraint=constraints.serialize(self.gamma_constraint),
        )
        return config


class BatchNormalization(_Normalization):
    """Normalize each feature over the batch, then scale by ``gamma`` and shift by ``beta``.

    In training (``training=True``) it uses the batch's mean and variance and updates
    the moving averages ``moving_mean``/``moving_variance`` (non-trainable weights):
    ``moving = moving * momentum + batch * (1 - momentum)``. At inference it uses the
    moving averages, so one example gives the same answer alone or in a batch. A layer
    set ``trainable = False`` always runs in inference mode (as in Keras, for fine-tuning).

    Parameters
    ----------
    axis : int or list of int, default -1
        The feature axis (channels for images); statistics are taken over all the others.
    momentum : float, default 0.99
    epsilon : float, default 1e-3
        Added to the variance before the square root.
    center, scale : bool, default True
        Learn ``beta`` and ``gamma``.
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        synchronized=False,
        renorm=False,
        **kwargs,
    ):
        if renorm:
            raise ValueError("BatchNormalization: renorm=True is not supported")
        super().__init__(
            axis=axis,
            epsilon=epsilon,
            center=center,
            scale=scale,
            beta_initializer=beta_initializer,
            gamma_initializer=gamma_initializer,
            beta_regularizer=beta_regularizer,
            gamma_regularizer=gamma_regularizer,
            beta_constraint=beta_constraint,
            gamma_constraint=gamma_constraint,
            **kwargs,
        )
        if not 0 <= momentum <= 1:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1], got {momentum}")
        self.momentum = float(momentum)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        self._build_features(input_shape)
        self.moving_mean = self.add_weight(
            name="moving_mean",
            shape=self._param_shape,
            initializer=self.moving_mean_initializer,
            trainable=False,
        )
        self.moving_variance = self.add_weight(
            name="moving_variance",
            shape=self._param_shape,
            initializer=self.moving_variance_initializer,
            trainable=False,
        )
        rank = len(input_shape)
        self._reduce_axes = tuple(a for a in range(rank) if a not in self._feature_axes)
        self.built = True

    def call(self, inputs, training=None):
        if training and self.trainable:
            return self._train(inputs)
        return self._infer(inputs)

    def _train(self, x):
        mean = reduce_mean(x, axis=self._reduce_axes, keepdims=True)
        centered = x - mean
        variance = reduce_mean(square(centered), axis=self._reduce_axes, keepdims=True)
        factor = rsqrt(variance + self.epsilon)
        if self.scale:
            factor = factor * self._broadcast(self.gamma)
        outputs = centered * factor
        if self.center:
            outputs = outputs + self._broadcast(self.beta)
        # The moving statistics are updated in place, outside any gradient.
        momentum = self.moving_mean.dtype.type(self.momentum)
        rest = self.moving_mean.dtype.type(1.0 - self.momentum)
        batch_mean = mean._value.reshape(self._param_shape)
        batch_variance = variance._value.reshape(self._param_shape)
        self.moving_mean._value *= momentum
        self.moving_mean._value += rest * batch_mean
        self.moving_variance._value *= momentum
        self.moving_variance._value += rest * batch_variance
        return outputs

    def _infer(self, x):
        moving_mean = Tensor._wrap(self.moving_mean._value)
        factor = rsqrt(Tensor._wrap(self.moving_variance._value) + self.epsilon)
        if self.scale:
            factor = factor * self.gamma
        shift = -moving_mean * factor
        if self.center:
            shift = shift + self.beta
        return x * self._broadcast(factor) + self._broadcast(shift)

    def get_config(self):
        config = super().get_config()
        config.update(
            momentum=self.momentum,
            moving_mean_initializer=initializers.serialize(self.moving_mean_initializer),
            moving_variance_initializer=initializers.serialize(self.moving_variance_initializer),
        )
        return config


class LayerNormalization(_Normalization):
    """Normalize each example over its features (``axis``), then scale and shift.

    Unlike ``BatchNormalization`` it behaves the same in training and inference and
    keeps no moving statistics.

    Parameters
    ----------
    axis : int or list of int, default -1
    epsilon : float, default 1e-3
    center, scale : bool, default True
    rms_scaling : bool, default False
        Keras' deprecated variant, kept so its files load: ``x / sqrt(variance + epsilon)
        * gamma``, the input divided by its standard deviation but not centred, always
        with a ``gamma`` and never a ``beta``. It warns, as Keras does; for RMS
        normalization use ``RMSNormalization``.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet.layers.normalization import LayerNormalization
    >>> x = np.array([[1.0, 2.0, 3.0, 6.0]])
    >>> LayerNormalization(epsilon=0.0001)(x).numpy().round(3)
    array([[-1.069, -0.535,  0.   ,  1.604]], dtype=float32)
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     legacy = LayerNormalization(epsilon=0.0001, rms_scaling=True)
    >>> legacy(x).numpy().round(3)
    array([[0.535, 1.069, 1.604, 3.207]], dtype=float32)
    >>> [w.name for w in legacy.weights]
    ['gamma']
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, **kwargs):
        rms_scaling = kwargs.pop("rms_scaling", False)  # by name only, as in Keras
        super().__init__(axis=axis, epsilon=epsilon, center=center, scale=scale, **kwargs)
        if rms_scaling:
            warn(
                f"LayerNormalization '{self.name}': rms_scaling=True is deprecated (as in Keras): it divides the "
                "input by its standard deviation, not by its root mean square; use RMSNormalization for that"
            )
        self.rms_scaling = bool(rms_scaling)

    def build(self, input_shape):
        if self.rms_scaling:
            self._build_features(input_shape, scale=True, center=False)
        else:
            self._build_features(input_shape)
        self.built = True

    def call(self, inputs):
        axes = tuple(self._feature_axes)
        mean = reduce_mean(inputs, axis=axes, keepdims=True)
        centered = inputs - mean
        variance = reduce_mean(square(centered), axis=axes, keepdims=True)
        if self.rms_scaling:  # Keras' formula: the input itself, not centred, over the deviation
            return inputs * rsqrt(variance + self.epsilon) * self._broadcast(self.gamma)
        outputs = centered * rsqrt(variance + self.epsilon)
        if self.scale:
            outputs = outputs * self._broadcast(self.gamma)
        if self.center:
            outputs = outputs + self._broadcast(self.beta)
        return outputs

    def get_config(self):
        config = super().get_config()
        config["rms_scaling"] = self.rms_scaling
        return config


class GroupNormalization(_Normalization):
    """Normalize each example over groups of channels, then scale and shift each channel.

    The ``axis`` channels are split into ``groups`` consecutive groups; each group of
    each example is normalized over its channels and all the other (spatial) axes. It
    behaves the same in training and inference and does not depend on the batch size:
    ``groups=1`` normalizes over everything but the batch (like ``LayerNormalization``
    over all axes), ``groups=-1`` (one channel per group) is instance normalization.

    Parameters
    ----------
    groups : int, default 32
        The number of groups; it must divide the number of channels. ``-1``: one group
        per channel.
    axis : int, default -1
        The channel axis.
    epsilon : float, default 1e-3
        Added to the variance before the square root.
    center, scale : bool, default True
        Learn ``beta`` and ``gamma``, one value per channel.
    beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
    beta_constraint, gamma_constraint : as ``BatchNormalization``.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet.layers.normalization import GroupNormalization
    >>> norm = GroupNormalization(groups=2)
    >>> y = norm(np.random.default_rng(0).normal(3, 2, (4, 5, 5, 8))).numpy()
    >>> round(abs(float(y[0, ..., :4].mean())), 4), round(float(y[0, ..., :4].std()), 2)  # one group
    (0.0, 1.0)
    >>> [tuple(w.shape) for w in norm.weights]
    [(8,), (8,)]
    """

    def __init__(
        self,
        groups=32,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        if isinstance(groups, bool) or not isinstance(groups, (int, numpy.integer)) or (groups <= 0 and groups != -1):
            raise ValueError(
                f"GroupNormalization: groups must be a positive integer (or -1 for one group per channel), "
                f"got {groups!r}"
            )
        if isinstance(axis, bool) or not isinstance(axis, (int, numpy.integer)):
            raise TypeError(f"GroupNormalization: axis must be one integer, got {axis!r}")
        super().__init__(
            axis=int(axis),
            epsilon=epsilon,
            center=center,
            scale=scale,
            beta_initializer=beta_initializer,
            gamma_initializer=gamma_initializer,
            beta_regularizer=beta_regularizer,
            gamma_regularizer=gamma_regularizer,
            beta_constraint=beta_constraint,
            gamma_constraint=gamma_constraint,
            **kwargs,
        )
        self.groups = int(groups)
        self.supports_masking = True

    def build(self, input_shape):
        who = f"GroupNormalization '{self.name}'"
        rank = len(input_shape)
        (axis,) = _axes(self.axis, rank, who)
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(f"{who}: the size of axis {self.axis} must be known, got input shape {tuple(input_shape)}")
        groups = channels if self.groups == -1 else self.groups
        if channels % groups != 0:
            raise ValueError(
                f"{who}: the number of groups ({groups}) must divide the number of channels ({channels}) "
                f"of input shape {tuple(input_shape)}"
            )
        self._build_features(input_shape)
        self._channel_axis, self._group_count = axis, groups
        # The channel axis is split into (group, channel within the group).
        self._gamma_shape = tuple([1] * axis + [groups, channels // groups] + [1] * (rank - 1 - axis))
        self._reduce_axes = tuple(a for a in range(1, rank + 1) if a != axis)
        self.built = True

    def call(self, inputs):
        axis, groups = self._channel_axis, self._group_count
        shape = tuple(inputs.shape)
        grouped = reshape(inputs, shape[:axis] + (groups, shape[axis] // groups) + shape[axis + 1 :])
        mean = reduce_mean(grouped, axis=self._reduce_axes, keepdims=True)
        centered = grouped - mean
        variance = reduce_mean(square(centered), axis=self._reduce_axes, keepdims=True)
        factor = rsqrt(variance + self.epsilon)
        if self.scale:
            factor = factor * reshape(self.gamma, self._gamma_shape)
        outputs = centered * factor
        if self.center:
            outputs = outputs + reshape(self.beta, self._gamma_shape)
        return reshape(outputs, shape)

    def get_config(self):
        config = super().get_config()
        config.update(groups=self.groups)
        return config


class UnitNormalization(Layer):
    """Scale each example to unit length (L2 norm 1) along ``axis``; no weights.

    ``x / ||x||``, with the norm taken as at least ``1e-12`` so zeros stay zeros.

    Parameters
    ----------
    axis : int or list of int, default -1
        The axis (or axes) whose norm becomes 1.

    Examples
    --------
    >>> from learnet.layers.normalization import UnitNormalization
    >>> UnitNormalization()([[3.0, 4.0], [0.0, 0.0]]).numpy()
    array([[0.6, 0.8],
           [0. , 0. ]], dtype=float32)
    """

    _autocast_integers = True
    _EPSILON = 1e-12

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)) and all(
            isinstance(a, (int, numpy.integer)) and not isinstance(a, bool) for a in axis
        ):
            self.axis = [int(a) for a in axis]
        elif isinstance(axis, (int, numpy.integer)) and not isinstance(axis, bool):
            self.axis = int(axis)
        else:
            raise TypeError(f"UnitNormalization: axis must be an int or a list of ints, got {axis!r}")
        self.supports_masking = True

    def build(self, input_shape):
        self._axes = tuple(_axes(self.axis, len(input_shape), f"UnitNormalization '{self.name}'"))
        self.built = True

    def call(self, inputs):
        squared_norm = reduce_sum(square(inputs), axis=self._axes, keepdims=True)
        # rsqrt(max(|x|^2, eps^2)) is Keras' min(1 / |x|, 1 / eps): no division by zero.
        return inputs * rsqrt(maximum(squared_norm, self._EPSILON**2))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(axis=self.axis)
        return config


class RMSNormalization(Layer):
    """Divide each example by its root mean square along ``axis``, then multiply by ``scale``.

    ``x * rsqrt(mean(x ** 2) + epsilon) * scale`` (Zhang & Sennrich, 2019): a
    ``LayerNormalization`` without the centering, as in many recent transformers. The
    learned ``scale`` (one per feature, starting at ones) is the layer's only weight.

    Parameters
    ----------
    axis : int or list of int, default -1
        The axis (or axes) whose mean square is taken; ``scale`` has their sizes.
    epsilon : float, default 1e-6
        Added to the mean square before the square root.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> layers.RMSNormalization()(np.array([[3.0, 4.0]])).numpy().round(4)
    array([[0.8485, 1.1314]], dtype=float32)
    """

    _autocast_integers = True

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = [int(a) for a in axis]
        elif isinstance(axis, (int, numpy.integer)) and not isinstance(axis, bool):
            self.axis = int(axis)
        else:
            raise TypeError(f"RMSNormalization: axis must be an int or a list of ints, got {axis!r}")
        if not epsilon > 0:
            raise ValueError(f"RMSNormalization: epsilon must be positive, got {epsilon!r}")
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        rank = len(input_shape)
        who = f"RMSNormalization '{self.name}'"
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            if not -rank <= a < rank:
                raise ValueError(f"{who}: axis {a} is out of range for inputs of rank {rank}")
        # Keras keeps the axes as a sorted list once built (and writes them so in its config).
        self.axis = sorted(axes)
        self._axes = tuple(sorted(a % rank for a in axes))
        shape = tuple(input_shape[a] for a in self._axes)
        if any(size is None for size in shape):
            raise ValueError(f"{who}: the normalized axes must have known sizes, got input shape {tuple(input_shape)}")
        self._broadcast_shape = tuple(input_shape[a] if a in self._axes else 1 for a in range(rank))
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        self.built = True

    def call(self, inputs):
        mean_square = reduce_mean(square(inputs), axis=self._axes, keepdims=True)
        scale = self.scale if self._axes == (inputs.ndim - 1,) else reshape(self.scale, self._broadcast_shape)
        return inputs * rsqrt(mean_square + self.epsilon) * scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(axis=self.axis, epsilon=self.epsilon)
        return config
