"""Keras 3 post-training quantization: the quantizers that ``Layer.quantize`` and
``Model.quantize`` use for ``Dense``, ``EinsumDense`` and ``Embedding``.

Two modes are implemented, as Keras 3 defines them:

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
    "abs_max_quantize",
    "AbsMaxQuantizer",
    "compute_float8_scale",
    "compute_float8_amax_history",
    "quantize_and_dequantize",
    "float8_fake_quantize",
    "float8_fake_quantize_gradient",
    "should_quantize_layer",
]

# The modes Keras 3 knows; learnet implements the first two.
QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")
IMPLEMENTED_MODES = ("int8", "float8")
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


class AbsMaxQuantizer:
    """``keras.quantizers.AbsMaxQuantizer``: ``abs_max_quantize`` with its settings kept.

    Examples
    --------
    >>> import numpy as np
    >>> q, scale = AbsMaxQuantizer(axis=-1)(np.array([[2.0, -1.0]], "float32"))
    >>> q.numpy()
    array([[127, -64]], dtype=int8)
    """

    def __init__(self, axis=None, value_range=(-127, 127), epsilon=EPSILON, output_dtype="int8"):
        if output_dtype == "int8" and (value_range[0] < -128 or value_range[1] > 127):
            raise ValueError(
                "Quantizer with output_dtype='int8' requires value_range to be within the interval "
                f"[-128, 127]. Received: value_range={value_range}"
            )
        self.axis = (axis,) if isinstance(axis, int) else (tuple(axis) if axis is not None else None)
        self.value_range = tuple(value_range)
        self.epsilon = epsilon
        self.output_dtype = output_dtype

    def __call__(self, x, axis=None):
        axis = self.axis if axis is None else axis
        return abs_max_quantize(x, -1 if axis is None else axis, self.value_range, self.output_dtype, self.epsilon)

    def get_config(self):
        config = {"value_range": self.value_range, "epsilon": self.epsilon, "output_dtype": self.output_dtype}
        if self.axis is not None:
            config["axis"] = self.axis
        return config


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
def overwrite_with_gradients(grads, variables, layers):
    """Set each float8 scale and amax history among ``variables`` to its gradient (when it
    has one) and return the other ``(grads, variables)`` for the optimizer: Keras 3 marks
    them ``overwrite_with_gradient``, and its optimizers assign them instead of stepping."""
    overwritten = {id(v) for layer in layers for v in layer.__dict__.get("_overwrite_with_gradient", ())}
    if not overwritten:
        return grads, variables
    kept_grads, kept_variables = [], []
    for grad, variable in zip(grads, variables):
        if id(variable) in overwritten:
            if grad is not None:
                variable.assign(grad)
        else:
            kept_grads.append(grad)
            kept_variables.append(variable)
    return kept_grads, kept_variables


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
    layer._overwrite_with_gradient = overwritten


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


def int8_contract(inputs, kernel, scale_for_output, scale_for_kernel, letters, contract):
    """``einsum(letters, inputs, kernel)`` of an int8 layer, as Keras computes it: the inputs
    quantized to int8 along the axes the product sums, the integer product computed
    exactly, then divided by the inputs' and the kernel's scales.

    The gradient reaches ``inputs`` through the de-quantized kernel (``contract`` on
    ``kernel / scale_for_kernel``); the int8 kernel gets none.
    """
    from learnet.tape import is_recording

    input_letters, kernel_letters, output_letters = letters
    x = inputs._value
    reduced = tuple(i for i, c in enumerate(input_letters) if c not in output_letters)
    inputs_scale, quantized = _abs_max(x, reduced, (-127, 127))
    # Integers in float64 sum exactly (as the int32 accumulators of an int8 product do).
    exact = xp.einsum(
        f"{input_letters},{kernel_letters}->{output_letters}",
        quantized.astype(xp.float64),
        kernel._value.astype(xp.float64),
        optimize=True,
    ).astype(x.dtype)
    inputs_scale = align_axes(inputs_scale, input_letters, output_letters)
    exact = exact / (inputs_scale * scale_for_output._value.astype(x.dtype))
    float_path = None
    if is_recording():
        float_kernel = Tensor._wrap(kernel._value.astype(x.dtype) / scale_for_kernel)
        float_path = contract(inputs, float_kernel)
    return straight_through(exact, float_path)


def refuse_config(layer, config):
    """learnet quantizes with Keras' default quantizers only."""
    if config is not None:
        raise NotImplementedError(
            f"{type(layer).__name__} '{layer.name}': quantize(config=...) (a keras.quantizers.QuantizationConfig) "
            "is not supported by learnet; call quantize(mode) for Keras' default quantizers"
        )
