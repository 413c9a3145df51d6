"""Layers that prepare raw data inside a model: ``Embedding``, ``Rescaling``, ``Normalization``,
``RandomFlip``.

Examples
--------
>>> import numpy as np
>>> from learnet import layers
>>> layers.Rescaling(1 / 255)(np.array([[0, 255]], dtype="uint8")).numpy()
array([[0., 1.]], dtype=float32)
>>> norm = layers.Normalization()
>>> norm.adapt(np.array([[1.0], [3.0]]))
>>> norm(np.array([[1.0], [3.0]])).numpy().ravel()
array([-1.,  1.], dtype=float32)
"""

import numpy

from learnet import constraints
from learnet import backend, initializers, regularizers
from learnet.backend import xp
from learnet.layers import quantization
from learnet.layers.base import Layer
from learnet.layers.core import _serialize
from learnet.ops.math import maximum, sqrt
from learnet.ops.shape import gather
from learnet.tensor import Tensor, to_array


class Embedding(Layer):
    """Turn integer ids into dense vectors: row ``i`` of a learned ``(input_dim, output_dim)`` table.

    Parameters
    ----------
    input_dim : int
        Size of the vocabulary (ids are in ``[0, input_dim)``).
    output_dim : int
        Length of each vector.
    embeddings_initializer : default ``"uniform"`` (uniform in [-0.05, 0.05])
    embeddings_regularizer : optional
    mask_zero : bool, default False
        Id 0 is padding: the output carries a mask (``ids != 0``) that the next layers
        honour (recurrent layers skip those steps, ``GlobalAveragePooling1D`` leaves them
        out of the average). ``input_dim`` then counts the padding id too.

    Examples
    --------
    >>> import learnet as tf
    >>> emb = tf.keras.layers.Embedding(1000, 8)
    >>> emb(tf.constant([[4, 20, 7]])).shape
    TensorShape([1, 3, 8])
    """

    _autocast_integers = False

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        activity_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        input_length=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if int(input_dim) <= 0 or int(output_dim) <= 0:
            raise ValueError(f"Embedding: input_dim and output_dim must be positive, got {input_dim}, {output_dim}")
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero  # as Keras 3 says (compute_mask below makes the mask)
        self.input_length = input_length

    def build(self, input_shape=None):
        int8 = self.quantization_mode == "int8"  # a quantized layer read from a file
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.input_dim, self.output_dim),
            initializer="zeros" if int8 else self.embeddings_initializer,
            regularizer=None if int8 else self.embeddings_regularizer,
            constraint=None if int8 else self.embeddings_constraint,
            dtype="int8" if int8 else None,
            trainable=not int8,
        )
        if int8:
            self.embeddings_scale = quantization.add_value_weight(
                self, "embeddings_scale", numpy.ones(self.input_dim, "float32")
            )
        self.built = True

    def quantize(self, mode=None, type_check=True, config=None):
        """Quantize the table to ``"int8"``: one float32 scale per row (its largest magnitude
        maps to 127), as Keras does; the table no longer trains.

        Examples
        --------
        >>> import learnet as tf
        >>> emb = tf.keras.layers.Embedding(10, 4)
        >>> emb.build()
        >>> emb.quantize("int8")
        >>> [(w.name.split("/")[-1], w.dtype.name) for w in emb.weights]
        [('embeddings', 'int8'), ('embeddings_scale', 'float32')]
        """
        if type_check and type(self) is not Embedding:
            raise self._not_implemented_error(self.quantize)
        quantization.check_quantize_args(self, mode)
        quantization.refuse_config(self, config)
        if mode != "int8":
            raise quantization.mode_error(mode, supported=("int8", "int4"))
        table, scale = quantization.int8_quantize_kernel(self.embeddings._value, "io", "i")
        self.embeddings = quantization.replace_weight(self, self.embeddings, "embeddings", table)
        self.embeddings_scale = quantization.add_value_weight(self, "embeddings_scale", scale.reshape(self.input_dim))
        self._policy_name = f"{mode}_from_{self.dtype_policy.name}"

    def call(self, inputs):
        ids = inputs._value
        checked = backend.on_host(ids)  # reading a GPU's ids would stop every step
        if ids.dtype.kind == "f":
            if checked and not xp.all(ids == xp.floor(ids)):
                raise ValueError(f"Embedding '{self.name}' expects integer ids, got fractional values")
            ids = ids.astype(xp.int32)
        elif ids.dtype.kind not in "iu":
            raise TypeError(f"Embedding '{self.name}' expects integer ids, got {ids.dtype}")
        if checked and ids.size and (ids.min() < 0 or ids.max() >= self.input_dim):
            raise ValueError(
                f"Embedding '{self.name}' expects ids in [0, {self.input_dim}), got values from "
                f"{int(ids.min())} to {int(ids.max())}"
            )
        if self.quantization_mode == "int8":  # rows de-quantized; the int8 table gets no gradient, as in Keras
            rows = self.embeddings._value[ids].astype(self.compute_dtype)
            return Tensor._wrap(rows / self.embeddings_scale._value[ids][..., None])
        return gather(self.embeddings, Tensor._wrap(ids))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def compute_mask(self, inputs, mask=None):
        """``ids != 0`` with ``mask_zero=True``; else the mask the ids came with (ragged rows), or None."""
        if not self.mask_zero:
            return mask
        ids = inputs._value if isinstance(inputs, Tensor) else xp.asarray(inputs)  # called by hand: an array
        own = Tensor._wrap(xp.asarray(ids != 0))
        return own if mask is None else Tensor._wrap(xp.logical_and(own._value, mask._value))

    def get_config(self):
        config = super().get_config()
        config.update(
            input_dim=self.input_dim,
            output_dim=self.output_dim,
            embeddings_initializer=initializers.serialize(self.embeddings_initializer),
            embeddings_regularizer=_serialize(regularizers, self.embeddings_regularizer),
            activity_regularizer=_serialize(regularizers, self.activity_regularizer),
            embeddings_constraint=constraints.serialize(self.embeddings_constraint),
            mask_zero=self.mask_zero,
        )
        return config


class Rescaling(Layer):
    """``inputs * scale + offset``, in float: ``Rescaling(1 / 255)`` maps pixels to [0, 1].

    Integer inputs (``uint8`` images) are converted to the layer's float type first.
    """

    _stacks_input_lists = True

    _autocast_integers = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset

    def call(self, inputs):
        dtype = numpy.dtype(self._dtype)
        scale = Tensor._wrap(to_array(self.scale, dtype))
        offset = Tensor._wrap(to_array(self.offset, dtype))
        return inputs * scale + offset

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(scale=_plain(self.scale), offset=_plain(self.offset))
        return config


def _plain(value):
    if isinstance(value, (Tensor, numpy.ndarray)):
        return numpy.asarray(value).tolist()
    return value


class Normalization(Layer):
    """Standardize features: ``(x - mean) / sqrt(variance)``, with statistics from ``adapt``.

    The weights are Keras 3's: an adapted layer keeps ``mean`` and ``variance`` with one value
    per feature (shape ``(3,)`` for RGB images) and a sample ``count`` (a scalar ``int32``), all
    non-trainable; a layer given its ``mean`` and ``variance`` keeps them in its config and
    has no weights. ``layer.mean`` and ``layer.variance`` read the statistics broadcast
    against the inputs (shape ``(1, 1, 1, 3)`` for images), as in Keras.

    Parameters
    ----------
    axis : int or tuple of int, default -1
        The feature axis (one mean and variance per feature); ``None`` for one overall.
    mean, variance : array_like, optional
        Known statistics, instead of calling ``adapt``.
    invert : bool, default False
        Undo the normalization instead: ``x * sqrt(variance) + mean``.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> norm = layers.Normalization(axis=-1)
    >>> norm.adapt(np.array([[0.0, 10.0], [2.0, 30.0]]))
    >>> norm.mean.numpy()
    array([[ 1., 20.]], dtype=float32)
    >>> [(w.name.split("/")[-1], tuple(w.shape)) for w in norm.weights]
    [('mean', (2,)), ('variance', (2,)), ('count', ())]
    """

    _autocast_integers = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            self.axis = ()
        elif isinstance(axis, int):
            self.axis = (axis,)
        else:
            self.axis = tuple(int(a) for a in axis)
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: give both mean and variance, or neither (and call adapt)")
        self.input_mean = None if mean is None else numpy.asarray(mean, dtype=numpy.float64)
        self.input_variance = None if variance is None else numpy.asarray(variance, dtype=numpy.float64)
        self.invert = bool(invert)
        self._adapted = mean is not None
        self._broadcast_shape = None

    def _stat_shape(self, input_shape):
        """``(broadcast shape, kept axes, reduced axes)`` of the statistics for ``input_shape``."""
        rank = len(input_shape)
        if any(a < -rank or a >= rank for a in self.axis):
            raise ValueError(f"Normalization '{self.name}': axis {self.axis} is out of range for inputs of rank {rank}")
        keep = tuple(sorted({a % rank for a in self.axis}))
        if 0 in keep:
            raise ValueError(f"Normalization '{self.name}': the batch axis cannot be a feature axis")
        shape = tuple(input_shape[a] if a in keep else 1 for a in range(rank))
        if any(s is None for s in shape):
            raise ValueError(
                f"Normalization '{self.name}': the feature axes must have known sizes, got {tuple(input_shape)}"
            )
        return shape, keep, tuple(a for a in range(rank) if a not in keep)

    def build(self, input_shape):
        self._broadcast_shape, keep, self._reduce_axes = self._stat_shape(tuple(input_shape))
        feature_shape = tuple(self._broadcast_shape[a] for a in keep)
        if self.input_mean is None:
            # Keras 3's variables: one value per feature, and the sample count.
            self.adapt_mean = self.add_weight(name="mean", shape=feature_shape, initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(
                name="variance", shape=feature_shape, initializer="ones", trainable=False
            )
            self.count = self.add_weight(name="count", shape=(), dtype="int32", initializer="zeros", trainable=False)
        else:
            self._given = tuple(
                numpy.broadcast_to(_align(value, keep, len(self._broadcast_shape)), self._broadcast_shape)
                for value in (self.input_mean, self.input_variance)
            )
        self.built = True

    def _statistic(self, index):
        """The mean (0) or variance (1) as a Tensor of the broadcast shape, or None before ``build``."""
        if not self.built:
            return None
        if self.input_mean is not None:
            return Tensor._wrap(xp.asarray(self._given[index], dtype=numpy.dtype(self._dtype)))
        variable = self.adapt_mean if index == 0 else self.adapt_variance
        return Tensor._wrap(variable._value.reshape(self._broadcast_shape))

    @property
    def mean(self):
        """The mean, shaped to broadcast against the inputs (``(1, 1, 1, 3)`` for images)."""
        return self._statistic(0)

    @property
    def variance(self):
        """The variance, shaped to broadcast against the inputs."""
        return self._statistic(1)

    def adapt(self, data, batch_size=None, steps=None):
        """Compute the mean and variance of each feature from ``data`` (array or iterable of batches)."""
        batches = None
        if isinstance(data, Tensor) or hasattr(data, "shape"):
            batches = [numpy.asarray(data, dtype=numpy.float64)]
        elif isinstance(data, (list, tuple)):
            try:
                batches = [numpy.asarray(data, dtype=numpy.float64)]  # nested lists of numbers
            except (ValueError, TypeError):
                batches = None  # a list of batches
        if batches is None:
            batches = []
            for item in data:
                if isinstance(item, (tuple, list)):
                    item = item[0]
                batches.append(numpy.asarray(item, dtype=numpy.float64))
                if steps is not None and len(batches) >= steps:
                    break
            if batches and _unbatched_vectors(data):
                # A dataset of single samples (from_tensor_slices of a 2-D array, not batched):
                # the samples form the batch, as Keras batches such a dataset before adapting.
                batches = [numpy.stack(batches)]
        if not batches:
            raise ValueError(f"Normalization '{self.name}': adapt got no data")
        first = batches[0]
        if first.ndim == 1:
            batches = [b.reshape(-1, 1) for b in batches]
        if not self.built:
            self._maybe_build((None,) + batches[0].shape[1:])
        if self.input_mean is not None:
            raise ValueError(
                f"Normalization '{self.name}' was given its mean and variance; adapt works on a layer without them"
            )
        if self._batch_input_shape is None:
            # The input shape is known now, as if given by input_shape=: a Sequential model
            # that starts with this layer is built at once (and has a summary), as in Keras.
            self._batch_input_shape = (None,) + tuple(batches[0].shape[1:])
        count, total, total_sq = 0, 0.0, 0.0
        for batch in batches:
            count += int(numpy.prod([batch.shape[a] for a in self._reduce_axes]))
            total = total + batch.sum(axis=self._reduce_axes)
            total_sq = total_sq + (batch * batch).sum(axis=self._reduce_axes)
        mean = total / count
        variance = numpy.maximum(total_sq / count - mean * mean, 0.0)
        self.adapt_mean.assign(numpy.reshape(mean, self.adapt_mean.shape))
        self.adapt_variance.assign(numpy.reshape(variance, self.adapt_variance.shape))
        self.count.assign(count)
        self._adapted = True

    def call(self, inputs):
        mean, variance = self.mean, self.variance
        if inputs.dtype.kind == "f" and mean.dtype != inputs.dtype:  # the compute dtype, as Keras casts
            mean = Tensor._wrap(mean._value.astype(inputs.dtype))
            variance = Tensor._wrap(variance._value.astype(inputs.dtype))
        std = maximum(sqrt(variance), 1e-7)
        if self.invert:
            return inputs * std + mean
        return (inputs - mean) / std

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            axis=list(self.axis) if len(self.axis) != 1 else self.axis[0],
            mean=None if self.input_mean is None else self.input_mean.tolist(),
            variance=None if self.input_variance is None else self.input_variance.tolist(),
            invert=self.invert,
        )
        return config


def _align(value, keep, rank):
    """A given statistic shaped against inputs of ``rank``: its axes sit on the kept axes, counted
    from the right, as Keras places them (a statistic with more axes broadcasts as NumPy would)."""
    value = numpy.asarray(value)
    if value.ndim > len(keep):
        return value
    shape = [1] * rank
    for i in range(1, value.ndim + 1):
        shape[keep[-i]] = value.shape[-i]
    return value.reshape(shape)


def _unbatched_vectors(data):
    """True for a dataset whose elements are single rank-1 samples of a known size (not batches).

    A batched dataset's first axis is ``None`` in its ``element_spec``; a dataset of ``(x, y)``
    pairs is judged by ``x``.
    """
    spec = getattr(data, "element_spec", None)
    if isinstance(spec, (tuple, list)) and spec:
        spec = spec[0]
    shape = getattr(spec, "shape", None)
    try:
        dims = None if shape is None else list(shape)
    except (TypeError, ValueError):
        return False
    return dims is not None and len(dims) == 1 and dims[0] is not None


class RandomFlip(Layer):
    """Randomly flip images left-right and/or up-down, except in inference (data augmentation).

    Parameters
    ----------
    mode : {"horizontal_and_vertical", "horizontal", "vertical"}
    seed : int, optional
    """

    _stacks_input_lists = True

    def __init__(self, mode="horizontal_and_vertical", seed=None, **kwargs):
        super().__init__(**kwargs)
        if mode not in ("horizontal_and_vertical", "horizontal", "vertical"):
            raise ValueError(
                f"RandomFlip: mode must be 'horizontal', 'vertical' or 'horizontal_and_vertical', got {mode!r}"
            )
        self.mode = mode
        self.seed = seed
        self._generator = None if seed is None else backend.generator(seed)

    def call(self, inputs, training=None):
        if training is not None and not training:  # on its own (None) it flips, as in Keras
            return inputs
        if inputs.ndim not in (3, 4):
            raise ValueError(f"RandomFlip '{self.name}' expects images, got shape {tuple(inputs.shape)}")
        generator = self._generator or backend.rng()
        x = inputs._value
        batched = x.ndim == 4
        images = x if batched else x[None]
        out = images.copy()
        n = images.shape[0]
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            flip = generator.random(n) < 0.5
            out[flip] = out[flip][:, :, ::-1]
        if self.mode in ("vertical", "horizontal_and_vertical"):
            flip = generator.random(n) < 0.5
            out[flip] = out[flip][:, ::-1]
        return Tensor._wrap(out if batched else out[0])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(mode=self.mode, seed=self.seed)
        return config
