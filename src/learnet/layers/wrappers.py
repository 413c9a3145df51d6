"""Layer wrappers: ``TimeDistributed`` applies one layer to every step of a sequence;
``SpectralNormalization`` keeps a layer's kernel at spectral norm 1 (GAN discriminators).

Examples
--------
>>> import learnet as tf
>>> from learnet import layers
>>> layers.TimeDistributed(layers.Dense(8))(tf.zeros((4, 10, 16))).shape
TensorShape([4, 10, 8])
"""

from learnet import initializers
from learnet.backend import xp
from learnet.layers.base import InputSpec, Layer, _is_shape
from learnet.ops.math import cast
from learnet.ops.shape import reshape


class TimeDistributed(Layer):
    """Apply ``layer`` to each slice ``inputs[:, t]`` with the same weights.

    The batch and time axes are merged into one, the layer runs once on all slices,
    and the result is split back: ``(batch, steps, ...)`` -> ``(batch, steps, ...)``.

    Parameters
    ----------
    layer : Layer
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise TypeError(f"TimeDistributed wraps a layer, got {layer!r}")
        super().__init__(**kwargs)
        self.supports_masking = True  # the time steps keep their mask, as in Keras
        self.layer = layer

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) < 3:
            raise ValueError(
                f"TimeDistributed '{self.name}' expects inputs of rank 3 or more (batch, steps, ...), got {input_shape}"
            )
        self.layer._maybe_build((None,) + input_shape[2:])
        self.built = True

    def call(self, inputs, training=None):
        batch, steps = inputs.shape[0], inputs.shape[1]
        merged = reshape(inputs, (batch * steps,) + tuple(inputs.shape[2:]))
        outputs = self.layer(merged, training=training)
        return reshape(outputs, (batch, steps) + tuple(outputs.shape[1:]))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        inner = self.layer.compute_output_shape((None,) + input_shape[2:])
        if not _is_shape(tuple(inner)):
            raise ValueError(f"TimeDistributed '{self.name}': the wrapped layer must have one output")
        return input_shape[:2] + tuple(inner)[1:]

    def get_config(self):
        config = super().get_config()
        config["layer"] = {"class_name": type(self.layer).__name__, "config": self.layer.get_config()}
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from learnet.layers import deserialize

        config = dict(config)
        layer = deserialize(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)


def _l2_normalized(x, epsilon=1e-7):
    """``x`` divided by its L2 norm over all its entries (Keras' ``normalize(x, axis=None)``:
    the inverse norm is capped at ``1 / epsilon``, so zeros stay zeros)."""
    inverse_norm = 1.0 / xp.sqrt(xp.sum(x * x))
    return x * xp.minimum(inverse_norm, 1.0 / epsilon)


class SpectralNormalization(Layer):
    """Divide the kernel of ``layer`` by its largest singular value, in training.

    Spectral normalization keeps a layer's Lipschitz constant near 1,
    which steadies the training of GAN discriminators. The largest singular value
    ``sigma`` of the kernel (reshaped to ``(-1, units)``) is estimated by power iteration
    from a vector ``u`` kept between calls (``vector_u``, a non-trainable weight). Each call
    with ``training=True`` runs ``power_iterations`` steps, stores the new ``u`` and
    overwrites the kernel with ``kernel / sigma`` before running the layer; at inference
    the layer runs with its kernel as it is. This is Keras' behaviour, step for step.

    Parameters
    ----------
    layer : Layer
        A layer with a ``kernel`` (``Dense``, ``Conv2D``...) or ``embeddings`` (``Embedding``).
    power_iterations : int, default 1
        Power-iteration steps per training call.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> dense = layers.SpectralNormalization(layers.Dense(4))
    >>> dense(np.ones((2, 3), "float32"), training=True).shape
    TensorShape([2, 4])
    >>> dense.vector_u.shape, dense.vector_u.trainable
    (TensorShape([1, 4]), False)
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        if not isinstance(layer, Layer):
            raise TypeError(f"SpectralNormalization wraps a layer, got {layer!r}")
        super().__init__(**kwargs)
        if isinstance(power_iterations, bool) or int(power_iterations) != power_iterations or power_iterations <= 0:
            raise ValueError(
                f"SpectralNormalization: power_iterations must be a positive integer, got {power_iterations!r}"
            )
        self.layer = layer
        self.power_iterations = int(power_iterations)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        self.layer._maybe_build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise ValueError(
                f"SpectralNormalization '{self.name}': {type(self.layer).__name__} has no 'kernel' nor "
                "'embeddings' weight to normalize"
            )
        self.kernel = kernel
        self.kernel_shape = tuple(kernel.shape)
        self.vector_u = self.add_weight(
            name="vector_u",
            shape=(1, self.kernel_shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            dtype=kernel.dtype,
        )
        self.built = True

    def _own_variables(self):
        # Keras tracks the wrapped kernel as this layer's own first weight (it is set before
        # vector_u is made): its files hold [kernel, vector_u] here, and so do learnet's.
        own = super()._own_variables()
        kernel = getattr(self, "kernel", None)
        return own if kernel is None else [kernel] + [v for v in own if v is not kernel]

    def normalized_weights(self):
        """``(u, kernel / sigma)``: the power iteration's new vector and the normalized kernel (arrays)."""
        kernel = self.kernel._value
        weights = kernel.reshape(-1, self.kernel_shape[-1])
        vector_u = self.vector_u._value
        for _ in range(self.power_iterations):
            vector_v = _l2_normalized(vector_u @ weights.T)
            vector_u = _l2_normalized(vector_v @ weights)
        sigma = (vector_v @ weights) @ vector_u.T  # (1, 1): the largest singular value
        return vector_u.astype(self.vector_u.dtype), (kernel / sigma).astype(kernel.dtype)

    def call(self, inputs, training=False):
        # An all-zero kernel has no direction to estimate: Keras leaves it (and u) unchanged.
        if training and bool(xp.any(self.kernel._value != 0)):
            vector_u, kernel = self.normalized_weights()
            self.vector_u.assign(vector_u)
            self.kernel.assign(kernel)
        outputs = self.layer(inputs)
        return outputs if outputs.dtype == inputs.dtype else cast(outputs, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config["layer"] = {"class_name": type(self.layer).__name__, "config": self.layer.get_config()}
        config["power_iterations"] = self.power_iterations
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from learnet.layers import deserialize

        config = dict(config)
        layer = deserialize(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)
