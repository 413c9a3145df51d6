"""The core layers: ``Input``, ``Dense``, ``Activation``, ``Flatten``, ``Reshape``, ``Dropout``, ``Lambda``.

Examples
--------
>>> import learnet as tf
>>> from learnet import layers
>>> layer = layers.Dense(3, activation="relu", name="hidden")
>>> layer(tf.ones((2, 4))).shape
TensorShape([2, 3])
>>> [w.path for w in layer.weights]
['hidden/kernel', 'hidden/bias']
"""

import numpy

from learnet import constraints
from learnet import activations, backend, initializers, regularizers
from learnet.backend import xp
from learnet.keras_config import _standardize_data_format
from learnet.layers import quantization
from learnet.layers.base import KerasHistory, KerasTensor, Layer, InputSpec, _shape_tuple
from learnet.ops.linalg import matmul
from learnet.ops.nn import apply_dropout_mask, dense
from learnet.ops.shape import reshape
from learnet.tensor import Tensor


def _serialize(module, value):
    return None if value is None else module.serialize(value)


# --- inputs ----------------------------------------------------------------------------------
class InputLayer(Layer):
    """The entry of a functional model: holds the ``KerasTensor`` that ``Input`` returns.

    Parameters
    ----------
    shape : tuple, optional
        Shape of one example, no batch axis (``input_shape`` is the older Keras name).
    batch_size : int, optional
    dtype : str, optional
        ``float32`` by default; ``int32`` for token ids fed to an ``Embedding``.
    batch_shape : tuple, optional
        The full shape, batch axis included (instead of ``shape`` and ``batch_size``).
    name : str, optional
    """

    def __init__(
        self,
        shape=None,
        batch_size=None,
        dtype=None,
        sparse=None,
        batch_shape=None,
        input_tensor=None,
        name=None,
        input_shape=None,
        batch_input_shape=None,
        ragged=None,
        optional=False,
        **kwargs,
    ):
        if shape is None:
            shape = input_shape
        if batch_shape is None:
            batch_shape = batch_input_shape
        if batch_shape is None:
            if shape is None:
                if input_tensor is not None:
                    batch_shape = tuple(input_tensor.shape)
                else:
                    raise ValueError("InputLayer needs a shape (the shape of one example, e.g. shape=(784,))")
            else:
                shape = _shape_tuple(shape)
                batch_shape = (batch_size,) + shape
        batch_shape = _shape_tuple(batch_shape)
        super().__init__(name=name or None, dtype=dtype, **kwargs)
        self._batch_input_shape = batch_shape
        self.batch_shape = batch_shape
        self.sparse = bool(sparse)
        self.built = True
        self._build_input_shape = batch_shape
        output = KerasTensor(batch_shape, dtype=self._dtype, name=self.name)
        output._keras_history = KerasHistory(self, ())
        self._inbound = (output, output)

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def _output_dtype(self, inputs):
        return self._dtype

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self._dtype, "sparse": self.sparse, "name": self.name}

    @property
    def input_shape(self):
        return self.batch_shape

    @property
    def output_shape(self):
        return self.batch_shape


def Input(
    shape=None,
    batch_size=None,
    name=None,
    dtype=None,
    sparse=None,
    tensor=None,
    ragged=None,
    batch_shape=None,
    optional=False,
    **kwargs,
):
    """A symbolic input of a functional model: ``KerasTensor`` of shape ``(None,) + shape``.

    Examples
    --------
    >>> from learnet import layers
    >>> inputs = layers.Input(shape=(28, 28, 1))
    >>> tuple(inputs.shape)
    (None, 28, 28, 1)
    """
    if shape is None and batch_shape is None and "batch_input_shape" not in kwargs and tensor is None:
        raise ValueError("Input needs a shape: the shape of one example, e.g. Input(shape=(784,))")
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        sparse=sparse,
        batch_shape=batch_shape,
        input_tensor=tensor,
        name=name,
        **kwargs,
    )
    return layer.output


# --- dense ------------------------------------------------------------------------------------------
class Dense(Layer):
    """A fully connected layer: ``activation(inputs @ kernel + bias)``.

    On inputs of rank above 2 it acts on the last axis (every position gets the same
    ``Dense``), as in Keras.

    Parameters
    ----------
    units : int
        Number of outputs.
    activation : str or callable, optional
        ``None`` means linear.
    use_bias : bool, default True
    kernel_initializer : default ``"glorot_uniform"``
    bias_initializer : default ``"zeros"``
    kernel_regularizer, bias_regularizer, activity_regularizer : optional
    kernel_constraint, bias_constraint : optional

    Examples
    --------
    >>> import learnet as tf
    >>> layer = tf.keras.layers.Dense(10, activation="softmax")
    >>> layer(tf.ones((32, 784))).shape
    TensorShape([32, 10])
    >>> layer.kernel.shape
    TensorShape([784, 10])
    """

    _autocast_integers = True

    _rank_hint = "(batch, ..., features)"

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        quantization_config=None,
        **kwargs,
    ):
        if isinstance(units, bool) or not isinstance(units, (int, numpy.integer)) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        quantization_config = quantization.deserialize_quantizer(quantization_config)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.quantization_config = quantization_config  # the config quantize used (a file's Dense brings it)
        self.supports_masking = True  # a sequence mask passes on to the loss, as in Keras
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        in_features = input_shape[-1]
        if in_features is None:
            hint = (
                "; a 1-D x (one number per sample) needs a feature axis: x.reshape(-1, 1)"
                if len(input_shape) == 1
                else ""
            )
            raise ValueError(
                f"Dense '{self.name}': the last dimension of the input must be known, got {tuple(input_shape)}{hint}"
            )
        mode = self.quantization_mode  # a quantized layer read from a file: its variables as quantize makes them
        if mode == "int4":
            placeholder = quantization.int4_kernel_placeholder(in_features, self.units)
            self.kernel = quantization.add_value_weight(self, "kernel", placeholder)
            block_size = quantization.int4_block_size(self, self.quantization_config)
            quantization.add_int4_scales(self, in_features, self.units, block_size)
        else:
            self.kernel = self.add_weight(
                name="kernel",
                shape=(in_features, self.units),
                initializer="zeros" if mode == "int8" else self.kernel_initializer,
                regularizer=None if mode == "int8" else self.kernel_regularizer,
                constraint=None if mode == "int8" else self.kernel_constraint,
                dtype="int8" if mode == "int8" else None,
                trainable=mode != "int8",
            )
        if mode in ("int8", "int4"):
            default = quantization.AbsMaxQuantizer() if mode == "int8" else None
            self.inputs_quantizer = quantization.inputs_quantizer_of(self.quantization_config, default)
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        if mode == "int8":
            self.kernel_scale = quantization.add_value_weight(self, "kernel_scale", xp.ones(self.units, "float32"))
        elif mode == "float8":
            quantization.add_float8_weights(self)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_features})
        self.built = True

    def call(self, inputs, training=None):
        if self.quantization_mode is not None:
            return self._quantized_call(inputs, training)
        # One fused op: product, bias and (the common case) ReLU; see learnet.ops.nn.dense.
        relu = self.activation is activations.relu
        bias = self.bias if self.use_bias else None
        if inputs.ndim == 2:
            outputs = dense(inputs, self.kernel, bias, relu=relu)
        else:
            leading = tuple(inputs.shape[:-1])
            flat = reshape(inputs, (-1, inputs.shape[-1]))
            outputs = reshape(dense(flat, self.kernel, bias, relu=relu), leading + (self.units,))
        if not relu and self.activation not in (None, activations.linear):  # None: set after building, as in Keras
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    # --- quantization (Keras 3's Dense.quantize) -------------------------------------------------------
    def quantize(self, mode=None, type_check=True, config=None):
        """Quantize the kernel in place: ``"int8"`` or ``"int4"`` (inference) or ``"float8"`` (training).

        ``"int8"``: the kernel becomes ``int8`` with one float32 ``kernel_scale`` per unit
        (its largest magnitude maps to 127); the inputs are quantized on the fly by
        ``inputs_quantizer``. ``"int4"``: the kernel's values lie in ``[-8, 7]``, packed two
        to a byte along the units (``kernel`` has shape ``(input_dim, ceil(units / 2))``);
        by default groups of 128 input rows share a scale and a zero point per unit
        (``kernel_zero``, ``g_idx``), and the inputs stay float. The quantized kernel no
        longer trains; the bias does. ``"float8"``: the kernel stays and six variables of
        delayed scaling are added (see ``learnet.layers.quantization``). The layer's
        ``dtype_policy`` becomes ``"<mode>_from_<policy>"`` (``"int4/128_from_float32"``).

        Parameters
        ----------
        mode : {"int8", "int4", "float8"}, optional
            Optional when ``config`` says it.
        type_check : bool, default True
            Refuse subclasses of ``Dense`` (their ``call`` may not know quantization).
        config : keras.quantizers.QuantizationConfig, optional
            The quantizers (``Int8QuantizationConfig``, ``Int4QuantizationConfig``...);
            the mode's default config when None.

        Examples
        --------
        >>> import learnet as keras
        >>> layer = keras.layers.Dense(2, name="dense")
        >>> layer.build((None, 3))
        >>> layer.quantize("int8")
        >>> [(w.path, w.dtype.name) for w in layer.weights]
        [('dense/bias', 'float32'), ('dense/kernel', 'int8'), ('dense/kernel_scale', 'float32')]
        >>> layer.dtype_policy.name
        'int8_from_float32'
        >>> layer4 = keras.layers.Dense(5)
        >>> layer4.build((None, 3))
        >>> layer4.quantize("int4")
        >>> tuple(layer4.kernel.shape), layer4.dtype_policy.name
        ((3, 3), 'int4/128_from_float32')
        """
        mode, config = quantization.resolve_layer_config(self, mode, config)
        if type_check and type(self) is not Dense:
            raise self._not_implemented_error(self.quantize)
        policy_mode = mode
        if mode == "int8":  # every value is worked out before any variable changes
            quantizer = quantization.QuantizationConfig.weight_quantizer_or_default(config, None)
            if quantizer is None:
                kernel, scale = quantization.int8_quantize_kernel(self.kernel._value, "bc", "ac")
            else:
                kernel, scale = quantization.quantize_weights(quantizer, self.kernel._value)
            scale = quantization.squeeze_scale(scale, self)
            self.kernel = quantization.replace_weight(self, self.kernel, "kernel", kernel)
            self.kernel_scale = quantization.add_value_weight(self, "kernel_scale", scale.reshape(self.units))
            self.inputs_quantizer = quantization.inputs_quantizer_of(config, quantization.AbsMaxQuantizer())
        elif mode == "int4":
            block_size = quantization.int4_block_size(self, config)
            quantizer = quantization.QuantizationConfig.weight_quantizer_or_default(config, None)
            packed, scale, zero = quantization.int4_quantize_flat_kernel(self.kernel._value, block_size, quantizer)
            rows = self.kernel.shape[0]
            self.kernel = quantization.replace_weight(self, self.kernel, "kernel", packed)
            quantization.add_int4_scales(self, rows, self.units, block_size)
            quantization.assign_int4(self, packed, scale, zero)
            self.inputs_quantizer = quantization.inputs_quantizer_of(config, None)
            policy_mode = quantization.int4_policy_prefix(block_size)
        elif mode == "float8":
            quantization.add_float8_weights(self)
        else:
            raise quantization.mode_error(mode)
        self.quantization_config = config
        self._policy_name = f"{policy_mode}_from_{self.dtype_policy.name}"

    def _file_variables(self):
        """The variables in Keras 3's order of a weights file (see ``quantization.file_variables``)."""
        return quantization.file_variables(self)

    def _quantized_call(self, inputs, training):
        flat = inputs if inputs.ndim == 2 else reshape(inputs, (-1, inputs.shape[-1]))
        mode = self.quantization_mode
        if mode == "int8":
            scale = self.kernel_scale._value
            outputs = quantization.int8_contract(
                flat, self.kernel, self.kernel_scale, scale, ("ab", "bc", "ac"), matmul, self.inputs_quantizer
            )
        elif mode == "int4":
            scale, zero, g_idx = quantization.int4_variables(self)
            if zero is None:  # per channel: an integer product, as int8 (the inputs quantized if asked)
                values = quantization._unpack_int4(self.kernel._value, self.units)
                outputs = quantization.int8_contract(
                    flat, values, scale, scale, ("ab", "bc", "ac"), matmul, self.inputs_quantizer
                )
            else:
                float_kernel = quantization.int4_dequantize(self.kernel._value, self.units, scale, zero, g_idx)
                outputs = quantization.float_kernel_product(flat, float_kernel, matmul)
        else:
            outputs = quantization.float8_product(self, flat, self.kernel, matmul, training)
        if inputs.ndim != 2:
            outputs = reshape(outputs, tuple(inputs.shape[:-1]) + (self.units,))
        if self.bias is not None:
            # Keras' float8 Dense adds a float32 bias rounded to bfloat16 (for a fused kernel on GPUs).
            float8 = mode == "float8" and self.compute_dtype == "float32"
            outputs = outputs + (quantization.bfloat16_bias(self.bias) if float8 else self.bias)
        if self.activation not in (None, activations.linear):
            outputs = self.activation(outputs)
        return outputs

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=_serialize(regularizers, self.kernel_regularizer),
            bias_regularizer=_serialize(regularizers, self.bias_regularizer),
            activity_regularizer=_serialize(regularizers, self.activity_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
        )
        if self.quantization_config is not None:
            config["quantization_config"] = quantization.quantizer_layer_config(self.quantization_config)
        return config


# --- shape-only layers ----------------------------------------------------------------------------
class Activation(Layer):
    """Apply an activation function: ``Activation("relu")`` or ``Activation(learnet.nn.relu)``."""

    _autocast_integers = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class Flatten(Layer):
    """Flatten each example to one axis: ``(batch, 28, 28)`` -> ``(batch, 784)``.

    Parameters
    ----------
    data_format : {"channels_last", "channels_first"}, optional
        With ``channels_first`` an input of rank 3 or more is moved to channels-last before
        flattening, so the order matches a model trained channels-last. By default
        ``keras.config.image_data_format()`` when the layer is made, as in Keras 3.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _standardize_data_format(data_format, "Flatten")

    def call(self, inputs):
        if inputs.ndim == 1:
            return reshape(inputs, (-1, 1))
        if self.data_format == "channels_first" and inputs.ndim > 2:
            from learnet.ops.shape import transpose

            inputs = transpose(inputs, (0,) + tuple(range(2, inputs.ndim)) + (1,))
        return reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) == 1:
            return (input_shape[0], 1)
        rest = input_shape[1:]
        size = None if any(s is None for s in rest) else int(numpy.prod(rest, dtype=numpy.int64))
        return (input_shape[0], size)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class Reshape(Layer):
    """Reshape each example to ``target_shape`` (the batch axis is kept; one ``-1`` is inferred).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.keras.layers.Reshape((28, 28, 1))(tf.zeros((5, 784))).shape
    TensorShape([5, 28, 28, 1])
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = _shape_tuple(target_shape)
        if sum(1 for s in target_shape if s == -1 or s is None) > 1:
            raise ValueError(f"Reshape: at most one dimension of target_shape may be -1, got {target_shape}")
        self.target_shape = tuple(-1 if s is None else s for s in target_shape)

    def _resolve(self, input_shape):
        rest = tuple(input_shape[1:])
        if any(s is None for s in rest):
            return tuple(None if s == -1 else s for s in self.target_shape)
        size = int(numpy.prod(rest, dtype=numpy.int64))
        known = int(numpy.prod([s for s in self.target_shape if s != -1], dtype=numpy.int64))
        if -1 in self.target_shape:
            if known == 0 or size % known:
                raise ValueError(
                    f"Reshape '{self.name}': cannot reshape examples of shape {rest} ({size} values) "
                    f"into {self.target_shape}"
                )
            return tuple(size // known if s == -1 else s for s in self.target_shape)
        if known != size:
            raise ValueError(
                f"Reshape '{self.name}': cannot reshape examples of shape {rest} ({size} values) "
                f"into {self.target_shape} ({known} values)"
            )
        return self.target_shape

    def call(self, inputs):
        target = self._resolve(tuple(inputs.shape))
        return reshape(inputs, (inputs.shape[0],) + target)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolve(tuple(input_shape))

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config


class Dropout(Layer):
    """Zero a random fraction ``rate`` of the inputs in training, scaling the rest by ``1/(1-rate)``.

    At inference (``training`` not True) it returns its input unchanged: the scaling in
    training ("inverted dropout") keeps the expected values the same.

    Parameters
    ----------
    rate : float in [0, 1)
    noise_shape : tuple, optional
        Shape of the random keep-mask, broadcast over the input (``None`` entries take
        the input's size), e.g. ``(None, 1, 1, C)`` drops whole channels.
    seed : int, optional
        Seeds this layer's own generator (otherwise learnet's global one is used).
    """

    _autocast_integers = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        rate = float(rate)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate = rate
        self.noise_shape = None if noise_shape is None else _shape_tuple(noise_shape)
        self.seed = seed
        self._generator = None if seed is None else backend.generator(seed)
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        shape = tuple(inputs.shape)
        if self.noise_shape is not None:
            if len(self.noise_shape) != len(shape):
                raise ValueError(
                    f"Dropout '{self.name}': noise_shape {self.noise_shape} does not have the rank of the input {shape}"
                )
            shape = tuple(size if want is None else want for want, size in zip(self.noise_shape, shape))
        generator = self._generator or backend.rng()
        keep = generator.random(shape, dtype=numpy.float32) >= self.rate
        return apply_dropout_mask(inputs, xp.asarray(keep), self.rate)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def _output_dtype(self, inputs):
        return inputs.dtype.name if isinstance(inputs, KerasTensor) else self._dtype

    def get_config(self):
        config = super().get_config()
        config.update(
            rate=self.rate, noise_shape=None if self.noise_shape is None else list(self.noise_shape), seed=self.seed
        )
        return config


class Identity(Layer):
    """Return the input unchanged."""

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


class Lambda(Layer):
    """Wrap a function of tensors as a layer: ``Lambda(lambda x: x / 255.0)``.

    Parameters
    ----------
    function : callable
        Takes the input (and ``arguments`` as keywords), returns the output, using learnet ops.
    output_shape : tuple or callable, optional
        Output shape without the batch axis (found by running the function if absent).
    arguments : dict, optional
        Extra keyword arguments for ``function``.

    A ``Lambda`` holds Python code, so it cannot be rebuilt from a saved config (learnet
    never executes code from a file); define a ``Layer`` subclass for that.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda needs a function, got {function!r}")
        self.function = function
        self._output_shape = output_shape
        self.arguments = dict(arguments or {})

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        return (tuple(input_shape)[0],) + tuple(_shape_tuple(self._output_shape))

    def get_config(self):
        config = super().get_config()
        config["function"] = getattr(self.function, "__name__", repr(self.function))
        return config

    @classmethod
    def from_config(cls, config):
        raise ValueError(
            f"a Lambda layer ({config.get('name')!r}, function {config.get('function')!r}) cannot be "
            "rebuilt from a config: it holds Python code. Define a Layer subclass instead"
        )


class SpatialDropout1D(Dropout):
    """Dropout of whole channels of ``(batch, steps, channels)`` sequences (one mask per example)."""

    def __init__(self, rate, seed=None, **kwargs):
        kwargs.pop("noise_shape", None)
        super().__init__(rate, seed=seed, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs, training=None):
        self.noise_shape = (None, 1, None)
        return super().call(inputs, training=training)

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape", None)
        return config


class SpatialDropout2D(Dropout):
    """Dropout of whole feature maps of ``(batch, height, width, channels)`` images.

    Parameters
    ----------
    rate : float in [0, 1)
    data_format : {"channels_last", "channels_first"}, optional
        Where the channels are: last, or right after the batch axis ``(batch, channels,
        height, width)``. By default ``keras.config.image_data_format()`` when the layer is made.
    seed : int, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> drop = layers.SpatialDropout2D(0.5, data_format="channels_first", seed=0)
    >>> out = drop(np.ones((1, 4, 3, 3)), training=True).numpy()
    >>> [sorted(set(out[0, c].reshape(-1).tolist())) in ([0.0], [2.0]) for c in range(4)]
    [True, True, True, True]
    """

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        kwargs.pop("noise_shape", None)
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = _standardize_data_format(data_format, "SpatialDropout2D")
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs, training=None):
        self.noise_shape = (None, 1, 1, None) if self.data_format == "channels_last" else (None, None, 1, 1)
        return super().call(inputs, training=training)

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape", None)
        config["data_format"] = self.data_format
        return config


class SpatialDropout3D(Dropout):
    """Dropout of whole feature volumes of ``(batch, depth, height, width, channels)`` inputs.

    In training each example drops entire channels (one keep-mask per example and channel,
    shared by all its voxels), scaling the rest by ``1 / (1 - rate)``; at inference the
    input passes unchanged.

    Parameters
    ----------
    rate : float in [0, 1)
    data_format : {"channels_last", "channels_first"}, optional
        Where the channels are: last or right after the batch axis. By default
        ``keras.config.image_data_format()`` when the layer is made.
    seed : int, optional

    Examples
    --------
    >>> import numpy as np
    >>> from learnet import layers
    >>> out = layers.SpatialDropout3D(0.5, seed=0)(np.ones((2, 3, 3, 3, 4)), training=True).numpy()
    >>> sorted(set(out.reshape(-1).tolist()))        # whole channels kept (x2) or dropped
    [0.0, 2.0]
    """

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        kwargs.pop("noise_shape", None)
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = _standardize_data_format(data_format, "SpatialDropout3D")
        self.input_spec = InputSpec(ndim=5)

    def call(self, inputs, training=None):
        self.noise_shape = (None, 1, 1, 1, None) if self.data_format == "channels_last" else (None, None, 1, 1, 1)
        return super().call(inputs, training=training)

    def get_config(self):
        # Keras' SpatialDropout3D takes only these arguments (no `trainable`, no `noise_shape`).
        config = super().get_config()
        return {key: config[key] for key in ("rate", "seed", "name", "dtype")} | {"data_format": self.data_format}


class GaussianNoise(Layer):
    """Add normal noise of standard deviation ``stddev`` in training (identity at inference)."""

    _autocast_integers = True

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if stddev < 0:
            raise ValueError(f"GaussianNoise: stddev must be non-negative, got {stddev}")
        self.stddev = float(stddev)
        self.seed = seed
        self._generator = None if seed is None else backend.generator(seed)

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        generator = self._generator or backend.rng()
        noise = generator.standard_normal(tuple(inputs.shape), dtype=numpy.float32) * numpy.float32(self.stddev)
        return inputs + Tensor._wrap(xp.asarray(noise).astype(inputs.dtype, copy=False))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(stddev=self.stddev, seed=self.seed)
        return config


class GaussianDropout(Layer):
    """Multiply by normal noise of mean 1 and variance ``rate / (1 - rate)`` in training."""

    _autocast_integers = True

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"GaussianDropout: rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.seed = seed
        self._generator = None if seed is None else backend.generator(seed)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        generator = self._generator or backend.rng()
        stddev = numpy.sqrt(self.rate / (1.0 - self.rate))
        noise = 1.0 + generator.standard_normal(tuple(inputs.shape), dtype=numpy.float32) * numpy.float32(stddev)
        return inputs * Tensor._wrap(xp.asarray(noise).astype(inputs.dtype, copy=False))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed)
        return config


class AlphaDropout(Layer):
    """Dropout for self-normalizing networks (``selu``): keeps the inputs' mean and variance.

    In training, a random fraction ``rate`` of the inputs is set to SELU's negative
    saturation value ``-alpha * scale`` (not 0), and the result is transformed by
    ``a * x + b`` so that inputs of mean 0 and variance 1 keep them. At inference it returns
    its input unchanged.

    Parameters
    ----------
    rate : float in [0, 1)
        The fraction of inputs to drop.
    noise_shape : tuple, optional
        Shape of the random keep-mask, broadcast over the input (``None`` entries take the
        input's size), as for ``Dropout``.
    seed : int, optional
        Seeds this layer's own generator (otherwise learnet's global one is used).

    Examples
    --------
    >>> import numpy as np
    >>> from learnet.layers.core import AlphaDropout
    >>> drop = AlphaDropout(0.2, seed=0)
    >>> x = np.random.default_rng(0).standard_normal((1000, 100)).astype("float32")
    >>> y = drop(x, training=True).numpy()
    >>> abs(float(y.mean())) < 0.01, round(float(y.std()), 1)       # mean 0 and variance 1 kept
    (True, 1.0)
    >>> bool((drop(x).numpy() == x).all())      # inference: unchanged
    True
    """

    _autocast_integers = True
    # SELU's constants: -alpha * scale is the value a SELU unit saturates to.
    _ALPHA = 1.6732632423543772848170429916717
    _SCALE = 1.0507009873554804934193349852946

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float, numpy.number)) or not 0 <= rate < 1:
            raise ValueError(f"AlphaDropout: rate must be a number in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else _shape_tuple(noise_shape)
        self.seed = seed
        self._generator = None if seed is None else backend.generator(seed)
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        shape = tuple(inputs.shape)
        if self.noise_shape is not None:
            if len(self.noise_shape) != len(shape):
                raise ValueError(
                    f"AlphaDropout '{self.name}': noise_shape {self.noise_shape} does not have the rank of "
                    f"the input {shape}"
                )
            shape = tuple(size if want is None else want for want, size in zip(self.noise_shape, shape))
        generator = self._generator or backend.rng()
        keep = xp.asarray(generator.random(shape, dtype=numpy.float32) >= self.rate)
        saturation = -self._ALPHA * self._SCALE
        a = ((1 - self.rate) * (1 + self.rate * saturation**2)) ** -0.5
        b = -a * saturation * self.rate
        dtype = inputs.dtype
        # a * (x * keep + saturation * (1 - keep)) + b, as one multiply and one add.
        factor = xp.where(keep, dtype.type(a), dtype.type(0))
        shift = xp.where(keep, dtype.type(b), dtype.type(a * saturation + b))
        return inputs * Tensor._wrap(factor) + Tensor._wrap(shift)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            rate=self.rate, noise_shape=None if self.noise_shape is None else list(self.noise_shape), seed=self.seed
        )
        return config


class ActivityRegularization(Layer):
    """Pass the input through, adding ``l1 * sum|x| + l2 * sum x^2`` to ``losses``."""

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = float(l1), float(l2)

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(l1=self.l1, l2=self.l2)
        return config
