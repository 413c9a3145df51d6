"""Keras 3 post-training quantization: the quantizers that ``Layer.quantize`` and
``Model.quantize`` use for ``Dense``, ``EinsumDense`` and ``Embedding``.

Three modes are implemented, as Keras 3 defines them:

* ``"int8"``: each output channel of the kernel is scaled so that its largest magnitude
  becomes 127 (``abs_max_quantize``), rounded and stored as ``int8`` next to a float32
  ``kernel_scale``. At call time the inputs are quantized the same way, row by row, the
  integer product is computed exactly and divided by both scales. Gradients reach the
  inputs (and the bias) through the de-quantized kernel (a *straight-through* estimate);
  the int8 kernel itself no longer trains.
* ``"float8"``: float8 training. The kernel stays float32 and trainable; the inputs and
  the kernel are rounded to ``float8_e4m3fn`` and the output's gradient to ``float8_e5m2``
  (emulated here in float32: the values are exactly those a float8 cast gives), each with a
  scale set by *delayed scaling*: every training step writes the largest magnitude seen
  into an ``amax_history`` and the next scale from the largest entry of that history.
  Those updates reach the scale variables as their "gradients", which training writes
  over the variables instead of applying them (``overwrite_with_gradient``).
* ``"int4"``: the kernel, flattened to ``(rows, columns)`` (the axes the product sums,
  then the others), becomes integers in ``[-8, 7]`` packed two to an ``int8`` byte along
  the columns (``pack_int4``). With ``block_size`` (128 unless the config says otherwise)
  each group of ``block_size`` rows gets its own scale and zero point per column
  (``abs_max_quantize_grouped_with_zero_point``); with ``block_size=None`` or ``-1`` one
  symmetric scale per column. The layer de-quantizes the kernel and multiplies in float.

``QuantizationConfig`` and its subclasses choose the quantizers (``keras.quantizers``);
``validate_and_resolve_config`` turns ``quantize(mode, config)`` into one config, as Keras does.

Examples
--------
>>> import numpy as np
>>> from learnet.layers.quantization import abs_max_quantize
>>> values, scale = abs_max_quantize(np.array([[0.5, -1.0], [0.25, 2.0]], "float32"), axis=0)
>>> values.numpy()
array([[127, -64],
       [ 63, 127]], dtype=int8)
"""

import re

import numpy

from learnet.backend import xp
from learnet.ops.math import cast
from learnet.tape import primitive, stop_gradient
from learnet.tensor import Tensor, to_array

__all__ = [
    "QUANTIZATION_MODES",
    "Quantizer",
    "abs_max_quantize",
    "abs_max_quantize_grouped_with_zero_point",
    "AbsMaxQuantizer",
    "pack_int4",
    "unpack_int4",
    "QuantizationConfig",
    "Int8QuantizationConfig",
    "Int4QuantizationConfig",
    "Float8QuantizationConfig",
    "validate_and_resolve_config",
    "compute_float8_scale",
    "compute_float8_amax_history",
    "quantize_and_dequantize",
    "float8_fake_quantize",
    "float8_fake_quantize_gradient",
    "should_quantize_layer",
]

# The modes Keras 3 knows; learnet implements the first three.
QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")
IMPLEMENTED_MODES = ("int8", "float8", "int4")
EPSILON = 1e-7  # keras.backend.epsilon(), which Keras adds to the largest magnitude

# float8 formats: (mantissa bits, smallest normal exponent, largest finite value).
FLOAT8_FORMATS = {
    "float8_e4m3fn": (3, -6, 448.0),
    "float8_e5m2": (2, -14, 57344.0),
}
DEFAULT_AMAX_HISTORY_LENGTH = 1024


# --- the quantizers ---------------------------------------------------------------------------------
def abs_max_quantize(inputs, axis, value_range=(-127, 127), dtype="int8", epsilon=EPSILON):
    """Quantize with the absolute-maximum scheme (``keras.quantizers.abs_max_quantize``).

    Along ``axis`` the largest magnitude is mapped to ``value_range[1]``:
    ``scale = value_range[1] / (max|x| + epsilon)`` and
    ``quantized = clip(round(x * scale), *value_range)``, so ``x ≈ quantized / scale``.

    Parameters
    ----------
    inputs : array_like or Tensor
        Float values.
    axis : int or tuple of int
        The axes reduced for the largest magnitude (the scale keeps them with size 1).
    value_range : (int, int), default (-127, 127)
    dtype : str, default "int8"
        Type of the quantized values.
    epsilon : float, default 1e-7
        Keeps an all-zero slice from dividing by zero.

    Returns
    -------
    (Tensor, Tensor)
        The quantized values and the scale (the inputs' float type).

    Examples
    --------
    >>> import numpy as np
    >>> q, scale = abs_max_quantize(np.array([1.0, -0.5], "float32"), axis=-1)
    >>> q.numpy(), scale.numpy().round(3)
    (array([127, -63], dtype=int8), array([127.], dtype=float32))
    """
    array = inputs._value if isinstance(inputs, Tensor) else to_array(inputs)
    if array.dtype.kind != "f":
        raise TypeError(f"abs_max_quantize expects float inputs, got {array.dtype}")
    scale, values = _abs_max(array, axis, value_range, epsilon)
    return Tensor._wrap(values.astype(dtype)), Tensor._wrap(scale)


def _abs_max(array, axis, value_range, epsilon=EPSILON):
    """``(scale, rounded values)`` of ``abs_max_quantize`` on a raw array (values still float)."""
    axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    largest = xp.max(xp.abs(array), axis=axis, keepdims=True)
    scale = (value_range[1] / (largest + array.dtype.type(epsilon))).astype(array.dtype)
    return scale, xp.clip(xp.round(array * scale), value_range[0], value_range[1])


class Quantizer:
    """Base class of quantizers (``keras.quantizers.Quantizer``): ``quantizer(x, axis)`` returns
    the quantized values and the scale that maps ``x`` onto them (``x ≈ values / scale``).

    Subclass it for a scheme of your own: override ``__call__(x, axis, to_numpy=False)`` and
    ``get_config``; a ``QuantizationConfig`` then uses it for weights or activations.

    Parameters
    ----------
    output_dtype : str, default "int8"
        The type of the quantized values.

    Examples
    --------
    >>> import numpy as np
    >>> class Halves(Quantizer):
    ...     def __call__(self, x, axis=None, to_numpy=False):
    ...         return np.round(np.asarray(x) * 2).astype(self.output_dtype), np.float32(2.0)
    ...     def get_config(self):
    ...         return {"output_dtype": self.output_dtype}
    >>> Halves()(np.array([0.5, 1.2]))[0]
    array([1, 2], dtype=int8)
    """

    def __init__(self, output_dtype="int8"):
        self.output_dtype = output_dtype

    def __call__(self, x):
        return x

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_config(self):
        raise NotImplementedError(f"{self} does not implement get_config()")


class AbsMaxQuantizer(Quantizer):
    """``keras.quantizers.AbsMaxQuantizer``: ``abs_max_quantize`` with its settings kept.

    Parameters
    ----------
    axis : int or tuple of int, optional
        The axes reduced for the largest magnitude when the call gives none (then -1).
    value_range : (int, int), default (-127, 127)
    epsilon : float, default 1e-7
    output_dtype : str, default "int8"

    Examples
    --------
    >>> import numpy as np
    >>> q, scale = AbsMaxQuantizer(axis=-1)(np.array([[2.0, -1.0]], "float32"))
    >>> q.numpy()
    array([[127, -64]], dtype=int8)
    """

    def __init__(self, axis=None, value_range=(-127, 127), epsilon=EPSILON, output_dtype="int8"):
        if not isinstance(value_range, (list, tuple)) or len(value_range) != 2:
            raise ValueError(f"AbsMaxQuantizer: value_range must be a pair (min, max). Received: {value_range!r}")
        if output_dtype == "int8" and (value_range[0] < -128 or value_range[1] > 127):
            raise ValueError(
                "Quantizer with output_dtype='int8' requires value_range to be within the interval "
                f"[-128, 127]. Received: value_range={value_range}"
            )
        super().__init__(output_dtype=output_dtype)
        self.axis = (axis,) if isinstance(axis, int) else (tuple(axis) if axis is not None else None)
        self.value_range = tuple(value_range)
        self.epsilon = epsilon

    def __call__(self, x, axis=None, to_numpy=False):
        """``(quantized values, scale)`` of ``x`` along ``axis`` (the quantizer's own axis when
        None, else -1). ``to_numpy`` is accepted for Keras' signature (learnet is NumPy)."""
        axis = self.axis if axis is None else axis
        return abs_max_quantize(x, -1 if axis is None else axis, self.value_range, self.output_dtype, self.epsilon)

    def get_config(self):
        config = {"value_range": self.value_range, "epsilon": self.epsilon, "output_dtype": self.output_dtype}
        if self.axis is not None:
            config["axis"] = self.axis
        return config

    def __repr__(self):
        return (
            f"AbsMaxQuantizer(axis={self.axis}, value_range={self.value_range}, epsilon={self.epsilon}, "
            f"output_dtype={self.output_dtype!r})"
        )


def abs_max_quantize_grouped_with_zero_point(
    inputs, block_size, value_range=(-8, 7), dtype="int8", epsilon=EPSILON, to_numpy=False
):
    """Asymmetric quantization of a 2-D kernel in groups of ``block_size`` rows
    (``keras.quantizers.abs_max_quantize_grouped_with_zero_point``).

    Each group of rows (the last one zero-padded) gets, per column, a scale that maps its
    range ``[min, max]`` onto ``value_range`` and a zero point:
    ``scale = (max - min + epsilon) / (qmax - qmin)``, ``zero = clip(round(-min / scale) + qmin)``,
    ``q = clip(round(x / scale) + zero)``; so ``x ≈ (q - zero) * scale``.

    Parameters
    ----------
    inputs : array_like or Tensor, shape (rows, columns)
    block_size : int
        Rows per group.
    value_range : (int, int), default (-8, 7)
    dtype : str, default "int8"
    epsilon : float, default 1e-7
    to_numpy : bool, default False
        Accepted for Keras' signature; learnet computes as Keras' NumPy path does.

    Returns
    -------
    (Tensor, Tensor, Tensor)
        ``q`` of shape ``(rows, columns)``; ``scale`` (float) and ``zero`` (int8) of shape
        ``(ceil(rows / block_size), columns)``.

    Examples
    --------
    >>> import numpy as np
    >>> q, scale, zero = abs_max_quantize_grouped_with_zero_point(np.array([[0.0], [1.5]], "float32"), 2)
    >>> q.numpy().ravel(), zero.numpy().ravel()
    (array([-8,  7], dtype=int8), array([-8], dtype=int8))
    """
    array = inputs._value if isinstance(inputs, Tensor) else to_array(inputs)
    if array.ndim != 2:
        raise ValueError(
            f"abs_max_quantize_grouped_with_zero_point expects a 2-D (input_dim, output_dim) tensor, got shape "
            f"{tuple(array.shape)}"
        )
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size <= 0:
        raise ValueError(f"block_size must be a positive integer. Received: block_size={block_size!r}")
    if array.dtype.kind != "f":
        raise TypeError(f"abs_max_quantize_grouped_with_zero_point expects float inputs, got {array.dtype}")
    rows, columns = array.shape
    groups = -(-rows // block_size)
    qmin, qmax = value_range
    padded = xp.concatenate([array, xp.zeros((groups * block_size - rows, columns), array.dtype)])
    blocks = padded.reshape(groups, block_size, columns)
    low = xp.min(blocks, axis=1, keepdims=True)
    high = xp.max(blocks, axis=1, keepdims=True)
    scale = ((high - low) + array.dtype.type(epsilon)) / array.dtype.type(qmax - qmin)
    zero = xp.clip(xp.round(-low / scale) + qmin, qmin, qmax)
    values = xp.clip(xp.round(blocks / scale) + zero, qmin, qmax).astype(dtype)
    values = values.reshape(groups * block_size, columns)[:rows]
    return Tensor._wrap(values), Tensor._wrap(scale[:, 0]), Tensor._wrap(zero[:, 0].astype(xp.int8))


# --- int4 packing -----------------------------------------------------------------------------------
def _int4_array(value, who):
    array = value._value if isinstance(value, Tensor) else to_array(value)
    if array.dtype.name not in ("int8", "uint8"):
        raise TypeError(f"{who}: expected an int8 or uint8 tensor, got {array.dtype}")
    return array


def pack_int4(arr, axis=0, dtype="int8"):
    """Pack int4 values (int8 in ``[-8, 7]``) two to a byte along ``axis``
    (``keras.quantizers.pack_int4``): the first of each pair in the low nibble, the second
    in the high one; an odd length is padded with a zero.

    Returns
    -------
    (Tensor, tuple, int)
        The packed tensor, its shape and the original length of ``axis``.

    Examples
    --------
    >>> import numpy as np
    >>> packed, shape, length = pack_int4(np.array([[-3, 7], [2, -8], [1, 0]], "int8"))
    >>> packed.numpy(), shape, length
    (array([[  45, -121],
           [   1,    0]], dtype=int8), (2, 2), 3)
    """
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    array = _int4_array(arr, "pack_int4")
    if array.dtype.name != dtype:
        raise TypeError(f"Expected {dtype} tensor for packing, got {array.dtype}.")
    array = xp.moveaxis(array, axis, 0)
    length = array.shape[0]
    if length % 2:
        array = xp.concatenate([array, xp.zeros((1,) + array.shape[1:], array.dtype)])
    nibbles = array.view(xp.uint8) & xp.uint8(0x0F)
    packed = (nibbles[0::2] | (nibbles[1::2] << xp.uint8(4))).view(xp.dtype(dtype))
    packed = xp.moveaxis(packed, 0, axis)
    return Tensor._wrap(xp.ascontiguousarray(packed)), tuple(packed.shape), length


def unpack_int4(packed, orig_len, axis=0, dtype="int8"):
    """Undo ``pack_int4`` (``keras.quantizers.unpack_int4``): the nibbles of each byte along
    ``axis``, low first, as signed values in ``[-8, 7]`` (``dtype="int8"``) or ``[0, 15]``
    (``"uint8"``), the padding cut off at ``orig_len``.

    Examples
    --------
    >>> import numpy as np
    >>> unpack_int4(np.array([[45, -121], [1, 0]], "int8"), 3).numpy()
    array([[-3,  7],
           [ 2, -8],
           [ 1,  0]], dtype=int8)
    """
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    return Tensor._wrap(_unpack_int4(_int4_array(packed, "unpack_int4"), orig_len, axis, dtype))


def _unpack_int4(array, orig_len, axis=-1, dtype="int8"):
    moved = xp.moveaxis(array, axis, 0).view(xp.uint8)
    nibbles = xp.stack([moved & xp.uint8(0x0F), moved >> xp.uint8(4)], axis=1)
    nibbles = nibbles.reshape((-1,) + moved.shape[1:])[:orig_len]
    if dtype == "int8":
        nibbles = ((nibbles ^ xp.uint8(8)).astype(xp.int8) - xp.int8(8)).astype(xp.int8)
    return xp.moveaxis(nibbles.astype(dtype), 0, axis)


def round_to_float8(array, dtype_name):
    """``array`` (float) rounded to the nearest value of a float8 format, ties to even, as a
    cast to ``dtype_name`` and back gives; values must already lie within its range."""
    mantissa_bits, min_exponent, _ = FLOAT8_FORMATS[dtype_name]
    _, exponent = xp.frexp(array)  # array = m * 2**exponent with 0.5 <= |m| < 1
    # The spacing of representable values near each element (fixed below the normal range).
    step = xp.maximum(exponent - 1, min_exponent) - mantissa_bits
    return xp.ldexp(xp.round(xp.ldexp(array, -step)), step).astype(array.dtype)


def round_to_bfloat16(array):
    """float32 ``array`` rounded to bfloat16 (ties to even) and back to float32."""
    bits = xp.ascontiguousarray(array, dtype=xp.float32).view(xp.uint32)
    rounded = (bits + (((bits >> 16) & 1) + 0x7FFF).astype(xp.uint32)) & xp.uint32(0xFFFF0000)
    return xp.where(xp.isnan(array), array, rounded.view(xp.float32))


def _quantize_and_dequantize(array, scale, dtype_name):
    largest = FLOAT8_FORMATS[dtype_name][2]
    scale = xp.asarray(scale, dtype=array.dtype)
    return round_to_float8(xp.clip(array / scale, -largest, largest), dtype_name) * scale


def quantize_and_dequantize(inputs, scale, quantized_dtype, compute_dtype="float32"):
    """Divide by ``scale``, round to the float8 format ``quantized_dtype`` (clipped to its
    range), multiply back (``keras.quantizers.quantize_and_dequantize``).

    Examples
    --------
    >>> import numpy as np
    >>> quantize_and_dequantize(np.array([1.06, 500.0], "float32"), 1.0, "float8_e4m3fn").numpy()
    array([  1., 448.], dtype=float32)
    """
    if quantized_dtype not in FLOAT8_FORMATS:
        raise ValueError(f"quantize_and_dequantize: quantized_dtype must be one of {list(FLOAT8_FORMATS)}")
    array = inputs._value if isinstance(inputs, Tensor) else to_array(inputs)
    scale = scale._value if isinstance(scale, Tensor) else scale
    return Tensor._wrap(_quantize_and_dequantize(array.astype(compute_dtype), scale, quantized_dtype))


def _float8_scale(amax, scale, dtype_max, margin=0):
    # Transformer Engine's rule: the new scale maps the largest recent magnitude onto the
    # format's largest value; with no finite, positive history the scale stays.
    amax = xp.asarray(amax, dtype=xp.float32)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        factor = xp.float32(dtype_max) / amax / xp.float32(2**margin)
    factor = xp.where((amax > 0.0) & xp.isfinite(amax), factor, 1.0 / xp.asarray(scale, dtype=xp.float32))
    return (1.0 / factor).astype(xp.float32)


def compute_float8_scale(amax, scale, dtype_max, margin=0):
    """The next scale of delayed scaling (``keras.quantizers.compute_float8_scale``):
    ``amax / dtype_max * 2**margin``, or ``scale`` unchanged when ``amax`` is 0 or not finite.

    Examples
    --------
    >>> float(compute_float8_scale(896.0, 1.0, 448.0))
    2.0
    """
    value = lambda v: v._value if isinstance(v, Tensor) else v  # noqa: E731
    return Tensor._wrap(_float8_scale(value(amax), value(scale), dtype_max, margin))


def _amax_history(array, history):
    new = xp.roll(history, -1)
    new[0] = xp.max(xp.abs(array)).astype(history.dtype) if array.size else 0
    return new


def compute_float8_amax_history(x, amax_history):
    """The history rolled by one place, its first entry now ``max|x|``
    (``keras.quantizers.compute_float8_amax_history``).

    Examples
    --------
    >>> import numpy as np
    >>> compute_float8_amax_history(np.array([-3.0, 2.0]), np.array([1.0, 2.0, 0.0], "float32")).numpy()
    array([3., 0., 1.], dtype=float32)
    """
    value = lambda v: v._value if isinstance(v, Tensor) else to_array(v)  # noqa: E731
    return Tensor._wrap(_amax_history(value(x), value(amax_history)))


# --- float8 training: the two ops of delayed scaling ---------------------------------------------------
@primitive(inputs=3, higher_order=False)
def float8_fake_quantize(x, scale, amax_history, dtype_name="float8_e4m3fn", training=False):
    """``x`` rounded through ``dtype_name`` at ``scale`` (the forward of float8 training).

    The gradient passes to ``x`` unchanged (straight through). In training, the
    "gradients" of ``scale`` and ``amax_history`` are their next values (the scale from
    the history's largest entry, the history with ``max|x|`` added), which training
    writes over them (``overwrite_with_gradient``); outside training they get none.
    """
    output = _quantize_and_dequantize(x, scale, dtype_name)

    def backward(g, x, scale, amax_history, out):
        if not training:
            return g, None, None
        new_scale = _float8_scale(xp.max(amax_history), scale, FLOAT8_FORMATS[dtype_name][2])
        return g, new_scale.reshape(scale.shape), _amax_history(x, amax_history)

    return output, backward


@primitive(inputs=3, higher_order=False)
def float8_fake_quantize_gradient(y, scale, amax_history, dtype_name="float8_e5m2"):
    """``y`` unchanged; its gradient is rounded through ``dtype_name`` at ``scale``.

    As in ``float8_fake_quantize``, ``scale`` and ``amax_history`` receive their next
    values (from the history and from the gradient's largest magnitude) as "gradients".
    """

    def backward(g, y, scale, amax_history, out):
        new_scale = _float8_scale(xp.max(amax_history), scale, FLOAT8_FORMATS[dtype_name][2])
        rounded = _quantize_and_dequantize(g, scale, dtype_name)
        return rounded, new_scale.reshape(scale.shape), _amax_history(g, amax_history)

    return y + 0, backward


# --- overwriting variables with their "gradients" -------------------------------------------------------
def overwrite_with_gradients(grads, variables):
    """Set each variable marked ``overwrite_with_gradient`` (a float8 layer's scales and amax
    histories) to its gradient, when it has one, and return the other ``(grads, variables)``
    for the optimizer: Keras 3's optimizers assign such variables instead of stepping them.

    The mark is read from the variables themselves: walking the model's layers to find
    them took an eighth of a small model's training step."""
    if not any(getattr(variable, "overwrite_with_gradient", False) for variable in variables):
        return grads, variables
    kept_grads, kept_variables = [], []
    for grad, variable in zip(grads, variables):
        if getattr(variable, "overwrite_with_gradient", False):
            if grad is not None:
                variable.assign(grad)
        else:
            kept_grads.append(grad)
            kept_variables.append(variable)
    return kept_grads, kept_variables


# --- quantization configs (keras.quantizers.*QuantizationConfig) ---------------------------------------
def serialize_quantizer(obj):
    """A quantizer or config as Keras 3 writes it (``{"module", "class_name", "config", ...}``),
    or None for None."""
    if obj is None:
        return None
    from learnet import registry

    cls = type(obj)
    builtin = QUANTIZER_CLASSES.get(cls.__name__) is cls
    return {
        "module": "keras.quantizers" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": obj.get_config(),
        "registered_name": None if builtin else registry.get_registered_name(cls),
    }


def quantizer_layer_config(obj):
    """A layer's ``quantization_config`` entry: ``serialize_quantizer`` in learnet's form of
    a config (``{"class_name", "config"}`` all the way down: no module names in a file)."""

    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if k not in ("module", "registered_name")}
        return value

    return plain(serialize_quantizer(obj))


def deserialize_quantizer(config, custom_objects=None):
    """The quantizer or config that ``serialize_quantizer`` wrote (a class of the user's own is
    found in ``custom_objects`` or among the registered classes, never imported)."""
    if config is None or isinstance(config, (Quantizer, QuantizationConfig)):
        return config
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"Could not interpret quantizer identifier: {config!r}")
    from learnet import registry

    name = config["class_name"]
    cls = QUANTIZER_CLASSES.get(name)
    for key in (config.get("registered_name"), name):
        if cls is None and isinstance(key, str):
            cls = registry.get_registered_object(key, custom_objects)
    if cls is None:
        raise ValueError(
            f"Unknown quantizer or quantization config {name!r}: pass it in custom_objects or register it "
            "with keras.saving.register_keras_serializable()"
        )
    return cls.from_config(dict(config.get("config") or {}))


class QuantizationConfig:
    """Base class of quantization configs (``keras.quantizers.QuantizationConfig``): which
    quantizer ``quantize`` uses for the weights and which for the activations (the inputs).

    Subclasses say their ``mode``; ``Int8QuantizationConfig``, ``Int4QuantizationConfig`` and
    ``Float8QuantizationConfig`` are Keras' own.

    Parameters
    ----------
    weight_quantizer : Quantizer, optional
        None keeps the layer's default quantizer.
    activation_quantizer : Quantizer, optional
        None quantizes no activations (weight-only quantization).
    """

    def __init__(self, weight_quantizer=None, activation_quantizer=None):
        for name, value in (("weight_quantizer", weight_quantizer), ("activation_quantizer", activation_quantizer)):
            if value is not None and not callable(value):
                raise ValueError(f"{type(self).__name__}: {name} must be a Quantizer or None. Received: {value!r}")
        self.weight_quantizer = weight_quantizer
        self.activation_quantizer = activation_quantizer

    @property
    def mode(self):
        raise NotImplementedError(
            "Subclasses must implement this property. Do not instantiate QuantizationConfig directly."
        )

    def get_config(self):
        return {
            "weight_quantizer": serialize_quantizer(self.weight_quantizer),
            "activation_quantizer": serialize_quantizer(self.activation_quantizer),
        }

    @classmethod
    def from_config(cls, config):
        return cls(
            weight_quantizer=deserialize_quantizer(config.get("weight_quantizer")),
            activation_quantizer=deserialize_quantizer(config.get("activation_quantizer")),
        )

    @staticmethod
    def weight_quantizer_or_default(config, default):
        if config is not None and config.weight_quantizer is not None:
            return config.weight_quantizer
        return default

    @staticmethod
    def activation_quantizer_or_default(config, default):
        return config.activation_quantizer if config is not None else default

    def __repr__(self):
        return f"<{type(self).__name__} {self.get_config()}>"


class Int8QuantizationConfig(QuantizationConfig):
    """``keras.quantizers.Int8QuantizationConfig``: int8 weights, and by default int8 inputs
    quantized on the fly by an ``AbsMaxQuantizer`` (``activation_quantizer="default"``).

    Examples
    --------
    >>> config = Int8QuantizationConfig(weight_quantizer=AbsMaxQuantizer(axis=0, value_range=(-100, 100)))
    >>> config.mode, config.activation_quantizer.value_range
    ('int8', (-127, 127))
    """

    def __init__(self, weight_quantizer=None, activation_quantizer="default"):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = AbsMaxQuantizer()
        super().__init__(weight_quantizer, activation_quantizer)
        if weight_quantizer is not None and getattr(weight_quantizer, "output_dtype", None) != "int8":
            raise ValueError(
                "Int8QuantizationConfig requires a weight_quantizer with output_dtype='int8'. Received: "
                f"output_dtype={getattr(weight_quantizer, 'output_dtype', None)}"
            )

    @property
    def mode(self):
        return "int8"


class Int4QuantizationConfig(QuantizationConfig):
    """``keras.quantizers.Int4QuantizationConfig``: int4 weights, weight-only by default.

    Parameters
    ----------
    weight_quantizer : Quantizer, optional
        Per-channel only; its ``value_range`` must be ``(-8, 7)`` and its ``output_dtype``
        ``"int8"``.
    activation_quantizer : Quantizer or "default", optional
        ``"default"`` means none: the inputs stay float.
    block_size : int or None, default 128
        Rows of the kernel that share a scale and a zero point (sub-channel quantization);
        ``None`` or ``-1``: one symmetric scale per output channel.

    Examples
    --------
    >>> Int4QuantizationConfig().block_size, Int4QuantizationConfig(block_size=None).mode
    (128, 'int4')
    """

    def __init__(self, weight_quantizer=None, activation_quantizer="default", block_size=128):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = None
        super().__init__(weight_quantizer, activation_quantizer)
        if block_size is not None and (
            isinstance(block_size, bool) or not isinstance(block_size, int) or (block_size != -1 and block_size <= 0)
        ):
            raise ValueError(f"block_size must be None, -1, or a positive integer. Received: block_size={block_size}")
        self.block_size = block_size
        if block_size is not None and block_size > 0 and (weight_quantizer is not None or self.activation_quantizer):
            raise ValueError(
                "Int4 sub-channel quantization (block_size > 0) does not support custom quantizers. Either set "
                "block_size to None or -1 for per-channel quantization, or remove the custom quantizer "
                f"arguments. Received: block_size={block_size}"
            )
        if weight_quantizer is not None:
            value_range = getattr(weight_quantizer, "value_range", None)
            if value_range is None or tuple(value_range) != (-8, 7):
                raise ValueError(
                    "Int4QuantizationConfig requires a weight_quantizer with value_range=(-8, 7). Received: "
                    f"value_range={value_range}"
                )
            if getattr(weight_quantizer, "output_dtype", None) != "int8":
                raise ValueError(
                    "Int4QuantizationConfig requires a weight_quantizer with output_dtype='int8'. Received: "
                    f"output_dtype={getattr(weight_quantizer, 'output_dtype', None)}"
                )

    @property
    def mode(self):
        return "int4"

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}

    @classmethod
    def from_config(cls, config):
        return cls(
            weight_quantizer=deserialize_quantizer(config.get("weight_quantizer")),
            activation_quantizer=deserialize_quantizer(config.get("activation_quantizer")),
            block_size=config.get("block_size", None),  # files from before block sizes were per-channel
        )


class Float8QuantizationConfig(QuantizationConfig):
    """``keras.quantizers.Float8QuantizationConfig``: float8 training (no quantizers to choose)."""

    def __init__(self):
        super().__init__(None, None)

    @property
    def mode(self):
        return "float8"

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls()


QUANTIZER_CLASSES = {
    cls.__name__: cls
    for cls in (
        Quantizer,
        AbsMaxQuantizer,
        QuantizationConfig,
        Int8QuantizationConfig,
        Int4QuantizationConfig,
        Float8QuantizationConfig,
    )
}


def _validate_mode(mode):
    if mode is not None and mode not in QUANTIZATION_MODES:
        raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: mode={mode}")


def validate_and_resolve_config(mode, config):
    """The one ``QuantizationConfig`` that ``quantize(mode, config)`` asks for, as Keras reads
    the pair: a mode alone gets its default config, a config alone gives the mode, and the
    two must agree. Raises ``ValueError`` otherwise (nothing is changed).

    Examples
    --------
    >>> validate_and_resolve_config("int4", None).block_size
    128
    >>> validate_and_resolve_config(None, "int8").mode
    'int8'
    """
    if isinstance(config, str):  # quantize(config="int8"), Keras' older spelling
        mode, config = config, None
    _validate_mode(mode)
    if config is None:
        defaults = {"int8": Int8QuantizationConfig, "int4": Int4QuantizationConfig, "float8": Float8QuantizationConfig}
        if mode in defaults:
            return defaults[mode]()
        if mode in ("gptq", "awq"):
            raise ValueError(
                f"For {mode.upper()}, you must pass a `{mode.upper()}Config` object in the `config` argument."
            )
        raise ValueError("You must provide either `mode` or `config` to `quantize`.")
    if not isinstance(config, QuantizationConfig):
        raise ValueError(
            "Argument `config` must be an instance of `QuantizationConfig`. "
            f"Received: config={config} (of type {type(config)})"
        )
    if mode is not None and config.mode != mode:
        raise ValueError(f"Contradictory arguments: mode='{mode}' but config.mode='{config.mode}'")
    _validate_mode(config.mode)
    return config


def int4_block_size(layer, config):
    """The block size of int4 quantization: the config's, else the one in the layer's
    policy name (``"int4/128_from_float32"``); None for per-channel."""
    if isinstance(config, Int4QuantizationConfig):
        block = config.block_size
    else:
        head = layer.__dict__.get("_policy_name", "").split("_from_", 1)[0]
        block = int(head.split("/")[1]) if head.startswith("int4/") else None
    return None if block in (None, -1) else block


def int4_policy_prefix(block_size):
    """``"int4/<block size>"``: the mode part of an int4 layer's policy name (-1: per-channel)."""
    return f"int4/{-1 if block_size is None else block_size}"


def _quantizer_arrays(quantizer, x, **kwargs):
    """``quantizer(x, **kwargs)`` as two arrays (a user's quantizer may return tensors or arrays)."""
    values, scale = quantizer(x, **kwargs)
    value = lambda v: v._value if isinstance(v, Tensor) else to_array(v)  # noqa: E731
    return value(values), value(scale)


def quantize_weights(quantizer, kernel):
    """``(values, scale)`` of a kernel through a config's ``weight_quantizer`` (Keras calls it
    with the kernel and ``to_numpy=True``; an ``AbsMaxQuantizer`` reduces along its own axis)."""
    return _quantizer_arrays(quantizer, Tensor._wrap(kernel), to_numpy=True)


def squeeze_scale(scale, layer):
    """The scale of a weight quantizer, its leading axis of size 1 removed (as Keras squeezes it)."""
    if scale.ndim == 0 or scale.shape[0] != 1:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': the weight quantizer's scale has shape {tuple(scale.shape)}; "
            "quantize the kernel along axis 0 (one scale per output channel), e.g. AbsMaxQuantizer(axis=0)"
        )
    return scale.reshape(scale.shape[1:])


def int4_quantize_flat_kernel(flat, block_size, quantizer=None):
    """``(packed, scale, zero)`` of a 2-D ``(rows, columns)`` kernel: values in ``[-8, 7]``
    packed along the columns; ``zero`` is None for per-channel quantization."""
    zero = None
    if block_size is None:
        quantizer = quantizer or AbsMaxQuantizer(axis=0, value_range=(-8, 7), output_dtype="int8")
        values, scale = _quantizer_arrays(quantizer, Tensor._wrap(flat), to_numpy=True)
        if scale.shape not in ((1, flat.shape[1]), (flat.shape[1],)):
            raise ValueError(
                f"int4 quantization: the weight quantizer's scale has shape {tuple(scale.shape)}, expected one "
                f"scale per output channel ({(1, flat.shape[1])}); quantize along axis 0, e.g. "
                "AbsMaxQuantizer(axis=0, value_range=(-8, 7))"
            )
        scale = scale.reshape(flat.shape[1])
    else:
        values, scale, zero = (t._value for t in abs_max_quantize_grouped_with_zero_point(flat, block_size))
    packed, _, _ = pack_int4(xp.asarray(values).astype(xp.int8), axis=-1)
    return packed._value, scale.astype(xp.float32), zero


def int4_dequantize(packed, columns, scale, zero=None, g_idx=None, dtype="float32"):
    """The float ``(rows, columns)`` kernel of int4 variables: ``q / scale`` per channel, or
    ``(q - zero) * scale`` with each row's group's scale and zero (``g_idx``)."""
    values = _unpack_int4(packed, columns, axis=-1)
    if zero is None:
        return (values.astype(dtype) / scale).astype(dtype)
    groups = g_idx.astype(xp.int64)
    return (scale[groups] * (values.astype(scale.dtype) - zero[groups].astype(scale.dtype))).astype(dtype)


def int4_kernel_placeholder(rows, columns):
    """The zeros of an int4 kernel variable: ``(rows, ceil(columns / 2))`` packed int8."""
    return xp.zeros((rows, (columns + 1) // 2), xp.int8)


def add_int4_scales(layer, rows, columns, block_size):
    """The variables of an int4 layer beside its packed kernel, with Keras' names, shapes and
    types: ``kernel_scale``, and for sub-channel quantization ``kernel_zero`` and ``g_idx``
    (each kernel row's group)."""
    if block_size is None:
        shape = (columns,)
    else:
        shape = (-(-rows // block_size), columns)
    layer.kernel_scale = add_value_weight(layer, "kernel_scale", xp.ones(shape, xp.float32))
    if block_size is not None:
        layer.kernel_zero = add_value_weight(layer, "kernel_zero", xp.zeros(shape, xp.int8))
        groups = xp.floor_divide(xp.arange(rows, dtype=xp.float32), xp.float32(block_size))
        layer.g_idx = add_value_weight(layer, "g_idx", groups)


def assign_int4(layer, packed, scale, zero):
    layer.kernel._value[...] = packed
    layer.kernel_scale._value[...] = scale
    if zero is not None:
        layer.kernel_zero._value[...] = zero


def int4_variables(layer):
    """``(scale, zero, g_idx)`` arrays of an int4 layer (zero and g_idx None per channel)."""
    zero = layer.__dict__.get("kernel_zero")
    g_idx = layer.__dict__.get("g_idx")
    return (
        layer.kernel_scale._value,
        None if zero is None else zero._value,
        None if g_idx is None else g_idx._value,
    )


# Keras' order of a quantized layer's variables in its files (``variable_serialization_spec``).
SAVED_VARIABLES = {
    "int8": ("kernel", "bias", "kernel_scale"),
    "int4": ("kernel", "bias", "kernel_scale", "kernel_zero", "g_idx"),
}


def file_variables(layer, names_by_mode=None):
    """A layer's variables in the order Keras 3 writes them to a weights file: its
    ``variable_serialization_spec`` for a quantized layer (the kernel before the bias,
    although the bias trains and the kernel does not), else its weights' own order."""
    names = (names_by_mode or SAVED_VARIABLES).get(layer.quantization_mode)
    if names is None:
        return layer._own_variables()
    found = [layer.__dict__.get(name) for name in names]
    return [variable for variable in found if variable is not None]


# --- what the layers share ------------------------------------------------------------------------------
def check_quantize_args(layer, mode):
    """The checks Keras makes before any layer is quantized; nothing changes on failure."""
    if not layer.built:
        raise ValueError(
            f"Cannot quantize a layer that isn't yet built. Layer '{layer.name}' (of type "
            f"'{type(layer).__name__}') is not built yet."
        )
    if layer.quantization_mode is not None:
        raise ValueError(
            f"Layer '{layer.name}' is already quantized with dtype_policy='{layer.dtype_policy.name}'. "
            f"Received: mode={mode}"
        )
    if mode not in QUANTIZATION_MODES:
        raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: mode={mode}")
    if mode == "int8" and layer.compute_dtype == "float16":
        raise ValueError(
            f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'. Consider loading "
            "model/layer with another dtype policy such as 'mixed_bfloat16' or 'mixed_float16' before "
            "calling `quantize()`."
        )


def mode_error(mode, supported=IMPLEMENTED_MODES):
    """The error of a mode a layer does not quantize to (Keras' ``NotImplementedError``)."""
    note = ""
    if mode in QUANTIZATION_MODES and mode not in IMPLEMENTED_MODES:
        note = f" (learnet implements {list(IMPLEMENTED_MODES)} of Keras' quantization modes)"
    return NotImplementedError(
        f"Invalid quantization mode. Expected one of {tuple(supported)}. Received: quantization_mode={mode}{note}"
    )


def replace_weight(layer, old, name, value, trainable=False):
    """Remove ``old`` from ``layer``'s weights and add ``value`` as a new weight ``name``
    (its regularizer and constraint go with ``old``, as Keras' quantized kernels have none)."""
    if old is not None:
        for attribute in ("_trainable_variables", "_non_trainable_variables"):
            kept = [v for v in getattr(layer, attribute) if v is not old]
            setattr(layer, attribute, kept)
        layer._regularized = [pair for pair in layer._regularized if pair[0] is not old]
        layer._constraints = [pair for pair in layer._constraints if pair[0] is not old]
        layer._weight_names.pop(name, None)
    return add_value_weight(layer, name, value, trainable)


def add_value_weight(layer, name, value, trainable=False):
    """``layer.add_weight(name)`` holding ``value`` (its dtype kept)."""
    array = value._value if isinstance(value, Tensor) else to_array(value)
    variable = layer.add_weight(
        name=name, shape=tuple(array.shape), dtype=array.dtype.name, initializer="zeros", trainable=trainable
    )
    variable._value[...] = array
    return variable


def add_float8_weights(layer):
    """The six variables of float8 training (Keras' names, shapes and initial values)."""
    length = getattr(layer.dtype_policy, "amax_history_length", DEFAULT_AMAX_HISTORY_LENGTH)
    overwritten = []
    for kind in ("inputs", "kernel", "outputs_grad"):
        scale = add_value_weight(layer, f"{kind}_scale", xp.ones((), xp.float32), True)
        history = add_value_weight(layer, f"{kind}_amax_history", xp.zeros((length,), xp.float32), True)
        setattr(layer, f"{kind}_scale", scale)
        setattr(layer, f"{kind}_amax_history", history)
        overwritten += [scale, history]
    for variable in overwritten:
        variable.overwrite_with_gradient = True


def float8_product(layer, inputs, kernel, product, training):
    """``product(inputs, kernel)`` of float8 training: inputs and kernel rounded through
    float8_e4m3fn, the output's gradient through float8_e5m2, each at its delayed scale."""
    training = bool(training)
    x = float8_fake_quantize(inputs, layer.inputs_scale, layer.inputs_amax_history, training=training)
    w = float8_fake_quantize(kernel, layer.kernel_scale, layer.kernel_amax_history, training=training)
    return float8_fake_quantize_gradient(product(x, w), layer.outputs_grad_scale, layer.outputs_grad_amax_history)


def bfloat16_bias(bias):
    """The bias rounded to bfloat16, as Keras' float8 layers add it under a float32 policy
    (the gradient passes unchanged)."""
    rounded = Tensor._wrap(round_to_bfloat16(bias._value))
    return bias + stop_gradient(rounded - bias)


def straight_through(exact, float_path):
    """``exact`` (an array) as the value, with the gradient of ``float_path``: quantized
    layers pass gradients to their inputs through the de-quantized kernel, as Keras does."""
    if float_path is None:
        return Tensor._wrap(exact)
    return float_path + stop_gradient(Tensor._wrap(exact.astype(float_path._value.dtype)) - float_path)


def as_float(tensor, dtype):
    return cast(tensor, dtype) if tensor._value.dtype != numpy.dtype(dtype) else tensor


def should_quantize_layer(layer, filters):
    """Whether ``filters`` (a regex, a list of them, or a callable) selects ``layer``, as
    ``Model.quantize(filters=...)`` reads it; ``None`` selects every layer."""
    if filters is None:
        return True
    if isinstance(filters, str):
        return bool(re.search(filters, layer.name))
    if isinstance(filters, (list, tuple)):
        return any(re.search(pattern, layer.name) for pattern in filters)
    return bool(filters(layer))


# --- int8 ----------------------------------------------------------------------------------------------
def align_axes(array, source, target):
    """``array``, whose axes are named by the letters ``source``, laid out along ``target``:
    the axes of letters in both carried over (in ``target``'s order), every other axis of
    ``target`` of size 1. Axes of ``source`` missing from ``target`` must have size 1."""
    kept = [c for c in target if c in source]
    order = [source.index(c) for c in kept] + [i for i, c in enumerate(source) if c not in kept]
    sizes = {c: array.shape[source.index(c)] for c in kept}
    moved = xp.transpose(array, order).reshape([sizes[c] for c in kept])
    return moved.reshape([sizes.get(c, 1) for c in target])


def int8_quantize_kernel(kernel, kernel_letters, output_letters):
    """``(int8 kernel, float32 scale)`` of a kernel: one scale per output channel (the
    axes the product keeps), over the axes it sums (``abs_max_quantize``)."""
    reduced = tuple(i for i, c in enumerate(kernel_letters) if c not in output_letters)
    scale, values = _abs_max(kernel, reduced, (-127, 127))
    return values.astype(xp.int8), scale


def _raw(value):
    return value._value if isinstance(value, Tensor) else value


def int8_contract(
    inputs, kernel, scale_for_output, scale_for_kernel, letters, contract, inputs_quantizer=AbsMaxQuantizer()
):
    """``einsum(letters, inputs, kernel)`` of an int8 (or per-channel int4) layer, as Keras
    computes it: the inputs quantized by ``inputs_quantizer`` along the axes the product sums
    (none when it is None), the integer product computed exactly, then divided by the
    inputs' and the kernel's scales.

    The gradient reaches ``inputs`` through the de-quantized kernel (``contract`` on
    ``kernel / scale_for_kernel``); the integer kernel gets none.
    """
    from learnet.tape import is_recording

    input_letters, kernel_letters, output_letters = letters
    x = inputs._value
    kernel_values = _raw(kernel)
    output_scale = _raw(scale_for_output).astype(x.dtype)
    if inputs_quantizer is None:
        quantized = x
    else:
        reduced = tuple(i for i, c in enumerate(input_letters) if c not in output_letters)
        if type(inputs_quantizer) is AbsMaxQuantizer:
            inputs_scale, quantized = _abs_max(x, reduced, inputs_quantizer.value_range, inputs_quantizer.epsilon)
        else:  # a quantizer of the user's own, called as Keras calls it
            quantized, inputs_scale = _quantizer_arrays(inputs_quantizer, inputs, axis=reduced)
        inputs_scale = xp.asarray(inputs_scale, dtype=x.dtype)
        if inputs_scale.ndim:  # a scale per row, kept along the input's axes (a user's quantizer may give one)
            inputs_scale = align_axes(inputs_scale, input_letters, output_letters)
        output_scale = inputs_scale * output_scale
    # Integers in float64 sum exactly (as the int32 accumulators of an int8 product do).
    exact = xp.einsum(
        f"{input_letters},{kernel_letters}->{output_letters}",
        quantized.astype(xp.float64),
        kernel_values.astype(xp.float64),
        optimize=True,
    ).astype(x.dtype)
    exact = exact / output_scale
    float_path = None
    if is_recording():
        float_kernel = Tensor._wrap(kernel_values.astype(x.dtype) / scale_for_kernel)
        float_path = contract(inputs, float_kernel)
    return straight_through(exact, float_path)


def float_kernel_product(inputs, float_kernel, contract):
    """``contract(inputs, float_kernel)`` with a de-quantized kernel (int4 weight-only): the
    gradient reaches the inputs through it; the integer variables get none."""
    return contract(inputs, Tensor._wrap(float_kernel.astype(inputs._value.dtype)))


def refuse_config(layer, config):
    """For a layer that quantizes with Keras' default quantizers only: refuse a config that
    asks for a weight quantizer of its own (a default config, or none, is fine)."""
    if config is not None and not isinstance(config, QuantizationConfig):
        raise ValueError(
            "Argument `config` must be an instance of `QuantizationConfig`. "
            f"Received: config={config} (of type {type(config)})"
        )
    if config is not None and config.weight_quantizer is not None:
        raise NotImplementedError(
            f"{type(layer).__name__} '{layer.name}': a custom weight_quantizer in quantize(config=...) is not "
            "supported by learnet for this layer; use Keras' default quantizers"
        )


def resolve_layer_config(layer, mode, config):
    """What Keras' ``Layer.quantize`` does before the layer's own ``quantize``: the config
    resolved from ``(mode, config)``, then the layer checked (built, not quantized yet).
    Returns ``(mode, config)``; raises before anything changes."""
    config = validate_and_resolve_config(mode, config)
    check_quantize_args(layer, config.mode)
    return config.mode, config


def inputs_quantizer_of(config, default):
    """A layer's ``inputs_quantizer``: the config's activation quantizer, else ``default``."""
    return QuantizationConfig.activation_quantizer_or_default(config, default)
