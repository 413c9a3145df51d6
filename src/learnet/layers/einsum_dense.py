"""``EinsumDense``: a dense layer whose product is any ``einsum`` equation.

``Dense(64)`` is ``EinsumDense("ab,bc->ac", output_shape=64, bias_axes="c")``. The
equation names the axes of the input, of the kernel and of the output; the layer
works out the kernel's shape from it (an axis of the kernel takes its size from the
output if the output has that axis, else from the input). ``MultiHeadAttention``
builds its four projections from this layer.

Examples
--------
>>> import learnet as tf
>>> from learnet.layers.einsum_dense import EinsumDense
>>> layer = EinsumDense("abc,cde->abde", output_shape=(None, 4, 8), bias_axes="de")
>>> layer(tf.ones((2, 5, 16))).shape
TensorShape([2, 5, 4, 8])
>>> [tuple(w.shape) for w in layer.weights]
[(16, 4, 8), (4, 8)]
"""

import re
import string

import numpy

from learnet import activations, constraints, initializers, regularizers
from learnet.layers import quantization
from learnet.layers.base import InputSpec, Layer
from learnet.ops.linalg import tensordot
from learnet.ops.shape import transpose
from learnet.tensor import to_array

# The three forms Keras accepts: "ab,bc->ac", "...b,bc->...c" and "ab...,bc->ac...".
_PLAIN = re.compile(r"^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$")
_LEFT_ELLIPSIS = re.compile(r"^\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$")
_RIGHT_ELLIPSIS = re.compile(r"^([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\.$")


def _serialize(module, value):
    return None if value is None else module.serialize(value)


def parse_equation(equation, who="EinsumDense"):
    """Split ``equation`` into ``(input, kernel, output, ellipsis)``; ``ellipsis`` is
    ``None``, ``"left"`` or ``"right"`` (where ``...`` stands in the input and output)."""
    if not isinstance(equation, str):
        raise TypeError(f"{who}: equation must be a string like 'ab,bc->ac', got {equation!r}")
    text = equation.replace(" ", "")
    for pattern, ellipsis in ((_PLAIN, None), (_LEFT_ELLIPSIS, "left"), (_RIGHT_ELLIPSIS, "right")):
        match = pattern.match(text)
        if match:
            return match.group(1), match.group(2), match.group(3), ellipsis
    raise ValueError(
        f"{who}: invalid einsum equation {equation!r}. It must have the form 'ab,bc->ac', "
        "'...b,bc->...c' or 'ab...,bc->ac...' (input,kernel->output)"
    )


class EinsumDense(Layer):
    """A layer computing ``activation(einsum(equation, inputs, kernel) + bias)``.

    Parameters
    ----------
    equation : str
        ``"input,kernel->output"`` in einsum letters, e.g. ``"abc,cd->abd"``. A ``...``
        at the start (or end) of the input and output stands for any number of axes.
    output_shape : int or tuple
        The output shape without the batch axis (and without the axes of ``...``);
        ``None`` for a size taken from the input.
    activation : str or callable, optional
    bias_axes : str, optional
        The output letters that get a bias, e.g. ``"d"``; ``None`` means no bias.
    kernel_initializer, bias_initializer : default ``"glorot_uniform"``, ``"zeros"``
    kernel_regularizer, bias_regularizer, activity_regularizer : optional
    kernel_constraint, bias_constraint : optional

    Examples
    --------
    A ``Dense(64)`` applied at every step of a sequence:

    >>> import learnet as tf
    >>> from learnet.layers.einsum_dense import EinsumDense
    >>> layer = EinsumDense("abc,cd->abd", output_shape=(None, 64), bias_axes="d")
    >>> layer(tf.ones((8, 10, 32))).shape
    TensorShape([8, 10, 64])
    """

    _autocast_integers = True

    def __init__(
        self,
        equation,
        output_shape,
        activation=None,
        bias_axes=None,
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
        name = kwargs.get("name") or "EinsumDense"
        quantization_config = quantization.deserialize_quantizer(quantization_config)
        input_letters, kernel_letters, output_letters, ellipsis = parse_equation(equation, f"EinsumDense {name!r}")
        if isinstance(output_shape, (int, numpy.integer)) and not isinstance(output_shape, bool):
            output_shape = (int(output_shape),)
        try:
            output_shape = tuple(None if s is None else int(s) for s in output_shape)
        except (TypeError, ValueError):
            raise ValueError(
                f"EinsumDense {name!r}: output_shape must be an int or a tuple of ints (None for a size "
                f"taken from the input), got {output_shape!r}"
            ) from None
        if bias_axes is not None:
            if not isinstance(bias_axes, str):
                raise TypeError(
                    f"EinsumDense {name!r}: bias_axes must be a string of output letters, got {bias_axes!r}"
                )
            unknown = [c for c in bias_axes if c not in output_letters]
            if unknown:
                raise ValueError(
                    f"EinsumDense {name!r}: bias axis {unknown[0]!r} is not in the output {output_letters!r} "
                    f"of the equation {equation!r}"
                )
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.quantization_config = quantization_config  # the config quantize used (a file's layer brings it)
        self.equation = equation
        self.partial_output_shape = output_shape
        self.bias_axes = bias_axes or None
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._letters = (input_letters, kernel_letters, output_letters, ellipsis)
        rank = len(input_letters)
        self.input_spec = InputSpec(ndim=rank) if ellipsis is None else InputSpec(min_ndim=rank)
        self.kernel = None
        self.bias = None

    # --- reading the equation ----------------------------------------------------------------------
    def _explicit(self, rank):
        """The equation for inputs of ``rank``, with ``...`` spelled out in unused letters:
        ``(input, kernel, output)`` strings."""
        input_letters, kernel_letters, output_letters, ellipsis = self._letters
        if ellipsis is None:
            return input_letters, kernel_letters, output_letters
        used = set(input_letters + kernel_letters + output_letters)
        spare = "".join(c for c in string.ascii_letters if c not in used)[: rank - len(input_letters)]
        if ellipsis == "left":
            return spare + input_letters, kernel_letters, spare + output_letters
        return input_letters + spare, kernel_letters, output_letters + spare

    def _analyze(self, input_shape):
        """``(kernel_shape, bias_shape, output_shape, fan_axes)`` for inputs of ``input_shape``.

        ``fan_axes`` is ``(input_axes, output_axes)``: the kernel axes that contract with
        the input and those that make the output (for the initializer's fan-in and fan-out).
        """
        who = f"EinsumDense '{self.name}'"
        input_shape = tuple(input_shape)
        input_letters, kernel_letters, output_letters, ellipsis = self._letters
        if len(input_shape) < len(input_letters) or (ellipsis is None and len(input_shape) != len(input_letters)):
            want = len(input_letters) if ellipsis is None else f"at least {len(input_letters)}"
            raise ValueError(
                f"{who} expects inputs of rank {want} (equation {self.equation!r}), got shape {input_shape}"
            )
        full_in, full_kernel, full_out = self._explicit(len(input_shape))
        size = dict(zip(full_in, input_shape))
        # The output_shape given covers the written output letters, less the batch letter
        # that comes first when the `...` does not stand for it.
        described = output_letters if ellipsis == "left" else output_letters[1:]
        if len(self.partial_output_shape) != len(described):
            raise ValueError(
                f"{who}: output_shape {self.partial_output_shape} must give one size for each of the output "
                f"axes {described!r} of the equation {self.equation!r}"
            )
        out_size = {letter: size.get(letter) for letter in full_out}
        for letter, given in zip(described, self.partial_output_shape):
            if given is None:
                continue
            if letter in size and size[letter] is not None and size[letter] != given:
                raise ValueError(
                    f"{who}: the input has size {size[letter]} on axis {letter!r} but output_shape asks for "
                    f"{given} (equation {self.equation!r}, input shape {input_shape})"
                )
            out_size[letter] = given
        for letter in full_out:
            if letter not in full_in and letter not in full_kernel:
                raise ValueError(
                    f"{who}: output axis {letter!r} of {self.equation!r} is neither in the input nor the kernel"
                )
        kernel_shape, input_axes, output_axes = [], [], []
        for axis, letter in enumerate(full_kernel):
            if letter in full_out:
                value = out_size[letter]
                output_axes.append(axis)
            elif letter in full_in:
                value = size[letter]
                input_axes.append(axis)
            else:
                raise ValueError(
                    f"{who}: kernel axis {letter!r} of {self.equation!r} is neither in the input nor the output"
                )
            if value is None:
                raise ValueError(
                    f"{who}: the size of kernel axis {letter!r} must be known; give it in output_shape or in "
                    f"the input shape (got input shape {input_shape}, output_shape {self.partial_output_shape})"
                )
            kernel_shape.append(int(value))
        bias_shape = None
        if self.bias_axes:
            # The bias covers the output from its first biased axis to the end (size 1 where
            # not biased), so that it broadcasts against the output.
            first = min(full_out.index(c) for c in self.bias_axes)
            bias_shape = tuple(int(out_size[c]) if c in self.bias_axes else 1 for c in full_out[first:])
        output_shape = tuple(out_size[c] for c in full_out)
        return tuple(kernel_shape), bias_shape, output_shape, (input_axes, output_axes)

    # --- the layer ------------------------------------------------------------------------------------
    def build(self, input_shape):
        kernel_shape, bias_shape, _, (input_axes, output_axes) = self._analyze(input_shape)
        mode = self.quantization_mode  # a quantized layer read from a file: its variables as quantize makes them
        int8 = mode == "int8"
        if mode == "int4":
            rows, columns = self._int4_flat_shape(kernel_shape, len(input_shape))
            self.kernel = quantization.add_value_weight(
                self, "kernel", quantization.int4_kernel_placeholder(rows, columns)
            )
            block_size = quantization.int4_block_size(self, self.quantization_config)
            quantization.add_int4_scales(self, rows, columns, block_size)
            self._int4_kernel_shape = tuple(kernel_shape)
        else:
            self.kernel = self.add_weight(
                name="kernel",
                shape=kernel_shape,
                initializer=(
                    "zeros" if int8 else _with_fans(self.kernel_initializer, kernel_shape, input_axes, output_axes)
                ),
                regularizer=None if int8 else self.kernel_regularizer,
                constraint=None if int8 else self.kernel_constraint,
                dtype="int8" if int8 else None,
                trainable=not int8,
            )
        if mode in ("int8", "int4"):
            default = quantization.AbsMaxQuantizer() if int8 else None
            self.inputs_quantizer = quantization.inputs_quantizer_of(self.quantization_config, default)
        if bias_shape is not None:
            self.bias = self.add_weight(
                name="bias",
                shape=bias_shape,
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        full_in, full_kernel, full_out = self._explicit(len(input_shape))
        fixed = {axis - len(full_in): int(input_shape[axis]) for axis, c in enumerate(full_in) if c in full_kernel}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=fixed)
        if int8:
            shape = [kernel_shape[full_kernel.index(c)] if c in full_kernel else 1 for c in full_out]
            self.kernel_scale = quantization.add_value_weight(self, "kernel_scale", numpy.ones(shape, "float32"))
        elif mode == "float8":
            quantization.add_float8_weights(self)
        self.built = True

    def call(self, inputs, training=None):
        full_in, full_kernel, full_out = self._explicit(inputs.ndim)
        mode = self.quantization_mode

        def product(x, kernel):
            return contract(x, kernel, full_in, full_kernel, full_out)

        letters = (full_in, full_kernel, full_out)
        if mode == "int8":
            # kernel_scale is laid out along the output's axes (Keras' shape); the kernel's own layout de-quantizes.
            scale = quantization.align_axes(self.kernel_scale._value, full_out, full_kernel)
            outputs = quantization.int8_contract(
                inputs, self.kernel, self.kernel_scale, scale, letters, product, self.inputs_quantizer
            )
        elif mode == "int4":
            scale, zero, g_idx = quantization.int4_variables(self)
            columns = scale.shape[-1]
            float_kernel = quantization.int4_dequantize(self.kernel._value, columns, scale, zero, g_idx)
            float_kernel = float_kernel.reshape(self._int4_kernel_shape)  # Keras' plain reshape back
            if zero is None and self.inputs_quantizer is not None:
                one = numpy.ones((), float_kernel.dtype)
                outputs = quantization.int8_contract(
                    inputs, float_kernel, one, one, letters, product, self.inputs_quantizer
                )
            else:
                outputs = quantization.float_kernel_product(inputs, float_kernel, product)
        elif mode == "float8":
            outputs = quantization.float8_product(self, inputs, self.kernel, product, training)
        else:
            outputs = product(inputs, self.kernel)
        if self.bias is not None:
            float8 = mode == "float8" and self.compute_dtype == "float32"
            outputs = outputs + (quantization.bfloat16_bias(self.bias) if float8 else self.bias)
        if self.activation not in (None, activations.linear):  # None: set after building, as in Keras
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return self._analyze(input_shape)[2]

    def _int4_flat_shape(self, kernel_shape, rank):
        """``(rows, columns)`` of the int4 kernel: the sizes of the kernel axes the product
        sums, multiplied, and of the others (Keras reshapes the kernel to it as it lies)."""
        _, full_kernel, full_out = self._explicit(rank)
        rows = int(numpy.prod([n for n, c in zip(kernel_shape, full_kernel) if c not in full_out], dtype=numpy.int64))
        columns = int(numpy.prod([n for n, c in zip(kernel_shape, full_kernel) if c in full_out], dtype=numpy.int64))
        return rows, columns

    def _file_variables(self):
        """The variables in Keras 3's order of a weights file (see ``quantization.file_variables``)."""
        return quantization.file_variables(self)

    def quantize(self, mode=None, type_check=True, config=None):
        """Quantize the kernel in place, as ``Dense.quantize`` does: ``"int8"``, ``"int4"`` or ``"float8"``.

        With ``"int8"`` one scale is kept per output channel (the kernel axes the
        equation keeps), shaped to broadcast against the output, as in Keras. With
        ``"int4"`` the kernel is reshaped to ``(rows, columns)`` (the summed axes, the kept
        ones), quantized as ``Dense`` quantizes its kernel and packed along the columns.

        Examples
        --------
        >>> import learnet as tf
        >>> from learnet.layers.einsum_dense import EinsumDense
        >>> layer = EinsumDense("abc,cd->abd", output_shape=(None, 4), bias_axes="d")
        >>> layer.build((None, 5, 3))
        >>> layer.quantize("int8")
        >>> tuple(layer.kernel_scale.shape), layer.kernel.dtype.name
        ((1, 1, 4), 'int8')
        """
        mode, config = quantization.resolve_layer_config(self, mode, config)
        if type_check and type(self) is not EinsumDense:
            raise self._not_implemented_error(self.quantize)
        policy_mode = mode
        full_in, full_kernel, full_out = self._explicit(self.input_spec.ndim)
        if mode == "int8":
            quantizer = quantization.QuantizationConfig.weight_quantizer_or_default(config, None)
            if quantizer is None:
                kernel, scale = quantization.int8_quantize_kernel(self.kernel._value, full_kernel, full_out)
            else:  # Keras calls it with the kernel; its axis decides (the summed kernel axes are Keras' default)
                kernel, scale = quantization.quantize_weights(quantizer, self.kernel._value)
            scale = quantization.align_axes(scale, full_kernel, full_out)  # before any change: refuses a bad shape
            self.kernel = quantization.replace_weight(self, self.kernel, "kernel", kernel)
            self.kernel_scale = quantization.add_value_weight(self, "kernel_scale", scale)
            self.inputs_quantizer = quantization.inputs_quantizer_of(config, quantization.AbsMaxQuantizer())
        elif mode == "int4":
            kernel_shape = tuple(self.kernel.shape)
            rows, columns = self._int4_flat_shape(kernel_shape, len(full_in))
            block_size = quantization.int4_block_size(self, config)
            flat = self.kernel._value.reshape(rows, columns)  # as Keras: the kernel as it lies in memory
            packed, scale, zero = quantization.int4_quantize_flat_kernel(flat, block_size)
            self.kernel = quantization.replace_weight(self, self.kernel, "kernel", packed)
            quantization.add_int4_scales(self, rows, columns, block_size)
            quantization.assign_int4(self, packed, scale, zero)
            self._int4_kernel_shape = kernel_shape
            self.inputs_quantizer = quantization.inputs_quantizer_of(config, None)
            policy_mode = quantization.int4_policy_prefix(block_size)
        elif mode == "float8":
            quantization.add_float8_weights(self)
        else:
            raise quantization.mode_error(mode)
        self.quantization_config = config
        self._policy_name = f"{policy_mode}_from_{self.dtype_policy.name}"

    def get_config(self):
        config = super().get_config()
        config.update(
            output_shape=list(self.partial_output_shape),
            equation=self.equation,
            activation=activations.serialize(self.activation),
            bias_axes=self.bias_axes,
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

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        # Keras 3 also writes its LoRA settings; their defaults mean "off".
        for key in ("lora_rank", "lora_alpha", "gptq_unpacked_column_size"):
            value = config.pop(key, None)
            if value not in (None, 0) and key != "lora_alpha":
                raise ValueError(
                    f"EinsumDense {config.get('name', '')!r}: {key}={value!r} (a quantized or LoRA layer) "
                    "is not supported by learnet"
                )
        for key in ("kernel_initializer", "bias_initializer"):
            if key in config:
                config[key] = without_fan_axes(config[key])
        return cls(**config)


def contract(x, kernel, input_letters, kernel_letters, output_letters):
    """``einsum("input,kernel->output", x, kernel)`` for explicit letters (no ``...``).

    The usual equations (every axis either contracts between the two or passes to the
    output) run as one ``tensordot`` (a BLAS matrix product) and a transpose; others use
    the general ``einsum`` op.
    """
    contracted = [c for c in input_letters if c in kernel_letters and c not in output_letters]
    free_in = [c for c in input_letters if c not in contracted]
    free_kernel = [c for c in kernel_letters if c not in contracted]
    simple = (
        len(set(input_letters)) == len(input_letters)
        and len(set(kernel_letters)) == len(kernel_letters)
        and not set(free_in) & set(free_kernel)
        and sorted(free_in + free_kernel) == sorted(output_letters)
    )
    if not simple:
        from learnet.keras_ops import einsum

        return einsum(f"{input_letters},{kernel_letters}->{output_letters}", x, kernel)
    result = tensordot(
        x, kernel, [[input_letters.index(c) for c in contracted], [kernel_letters.index(c) for c in contracted]]
    )
    order = free_in + free_kernel
    if order != list(output_letters):
        result = transpose(result, [order.index(c) for c in output_letters])
    return result


def without_fan_axes(initializer):
    """A Keras 3 initializer config, less its ``input_axes``/``output_axes`` entries (the
    fans an EinsumDense works out itself; learnet's initializers take no such arguments)."""
    if isinstance(initializer, dict) and isinstance(initializer.get("config"), dict):
        inner = {k: v for k, v in initializer["config"].items() if k not in ("input_axes", "output_axes")}
        return {**initializer, "config": inner}
    return initializer


def _with_fans(initializer, shape, input_axes, output_axes):
    """For a fan-based initializer (Glorot, He...), one that uses the fans of the einsum:
    fan-in the product of the contracted kernel axes, fan-out that of the output axes (as
    Keras does). Its samples are independent, so drawing a ``(fan_in, fan_out)`` matrix and
    reshaping it gives the right distribution for any kernel shape."""
    if not isinstance(initializer, initializers.VarianceScaling):
        return initializer
    fan_in = int(numpy.prod([shape[a] for a in input_axes], dtype=numpy.int64))
    fan_out = int(numpy.prod([shape[a] for a in output_axes], dtype=numpy.int64))

    def draw(requested_shape, dtype=None):
        values = to_array(initializer((fan_in, fan_out), dtype=dtype), dtype)
        return values.reshape(tuple(requested_shape))

    return draw
