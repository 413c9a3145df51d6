"""Activation layers: ``ReLU``, ``LeakyReLU``, ``PReLU``, ``ELU``, ``Softmax``.

They do what ``Activation("relu")`` does, with the activation's options as arguments.

Examples
--------
>>> import learnet as tf
>>> tf.keras.layers.ReLU(max_value=6.0)(tf.constant([-1.0, 3.0, 9.0])).numpy()
array([0., 3., 6.], dtype=float32)
"""

from learnet import constraints
from learnet import activations, initializers, regularizers
from learnet.layers.base import Layer
from learnet.layers.core import _serialize
from learnet.ops import nn as nn_ops
from learnet.ops.math import maximum, minimum


class _Elementwise(Layer):
    _autocast_integers = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class ReLU(_Elementwise):
    """Rectified linear unit ``max(x, 0)``, with Keras' options.

    Parameters
    ----------
    max_value : float, optional
        Clip the output at this value.
    negative_slope : float, default 0
        Slope below the threshold.
    threshold : float, default 0
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f"ReLU: max_value must be non-negative, got {max_value}")
        if negative_slope < 0:
            raise ValueError(f"ReLU: negative_slope must be non-negative, got {negative_slope}")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)

    def call(self, inputs):
        return activations.relu(
            inputs, negative_slope=self.negative_slope, max_value=self.max_value, threshold=self.threshold
        )

    def get_config(self):
        config = super().get_config()
        config.update(max_value=self.max_value, negative_slope=self.negative_slope, threshold=self.threshold)
        return config


class LeakyReLU(_Elementwise):
    """``x`` where positive, ``negative_slope * x`` elsewhere (Keras' default slope is 0.3).

    ``alpha`` is accepted as the older name of ``negative_slope``.
    """

    def __init__(self, negative_slope=0.3, alpha=None, **kwargs):
        super().__init__(**kwargs)
        if alpha is not None:
            negative_slope = alpha
        if negative_slope < 0:
            raise ValueError(f"LeakyReLU: negative_slope must be non-negative, got {negative_slope}")
        self.negative_slope = float(negative_slope)

    @property
    def alpha(self):
        """The older Keras name of ``negative_slope``."""
        return self.negative_slope

    def call(self, inputs):
        return nn_ops.leaky_relu(inputs, alpha=self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


class PReLU(_Elementwise):
    """Leaky ReLU whose negative slope ``alpha`` is learned, one per feature.

    Parameters
    ----------
    alpha_initializer : default ``"zeros"``
    alpha_regularizer, alpha_constraint : optional
    shared_axes : list of int, optional
        Axes along which one slope is shared (e.g. ``[1, 2]`` for one slope per channel of an image).
    """

    def __init__(
        self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = [int(a) for a in ([shared_axes] if isinstance(shared_axes, int) else shared_axes)]

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            shape[axis - 1] = 1
        if any(s is None for s in shape):
            raise ValueError(f"PReLU '{self.name}': needs known feature sizes, got input shape {tuple(input_shape)}")
        self.alpha = self.add_weight(
            name="alpha",
            shape=tuple(shape),
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )
        self.built = True

    def call(self, inputs):
        positive = maximum(inputs, 0.0)
        negative = minimum(inputs, 0.0)
        return positive + self.alpha * negative

    def get_config(self):
        config = super().get_config()
        config.update(
            alpha_initializer=initializers.serialize(self.alpha_initializer),
            alpha_regularizer=_serialize(regularizers, self.alpha_regularizer),
            alpha_constraint=constraints.serialize(self.alpha_constraint),
            shared_axes=self.shared_axes,
        )
        return config


class ELU(_Elementwise):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs):
        return nn_ops.elu(inputs, alpha=self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class Softmax(_Elementwise):
    """Softmax along ``axis`` (the output remembers its logits, for a stable cross-entropy).

    Parameters
    ----------
    axis : int, default -1
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        if mask is not None:
            from learnet.tensor import Tensor

            mask = mask if isinstance(mask, Tensor) else Tensor(mask)
            inputs = inputs + (1.0 - Tensor._wrap(mask._value.astype(inputs.dtype))) * -1e9
        return nn_ops.softmax(inputs, axis=self.axis)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
