"""Export a learnet model to ONNX, to run it with onnxruntime, on a phone or in a web page.

``learnet.onnx.export(model, "model.onnx")`` writes the model's inference graph (the
same computation as ``model.predict``) with the ``onnx`` package
(``pip install "learnet[onnx]"``). It handles the Sequential and functional models of
the course: Dense, Conv1D/Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D, the
pooling layers, Flatten, Reshape, Permute, Dropout, the other noise layers and the random
augmentation layers (identities at inference), BatchNormalization (its moving statistics folded into a scale and a
shift), LayerNormalization, Normalization (its adapted mean and variance, likewise), Rescaling,
Embedding, the activation layers and functions, Softmax, the padding, cropping and
upsampling layers, RepeatVector, and the merging layers (Add, Subtract, Multiply,
Average, Maximum, Minimum, Concatenate). Any other layer is named
in a clear error before anything is written.

Images stay channels-last (``(batch, height, width, channels)``) at the model's door,
as in learnet; convolutions and pooling are wrapped in transposes to ONNX's
channels-first layout.

Examples
--------
>>> import learnet
>>> learnet.onnx.export(model, "mnist.onnx")                    # doctest: +SKIP
>>> import onnxruntime                                          # doctest: +SKIP
>>> session = onnxruntime.InferenceSession("mnist.onnx")        # doctest: +SKIP
>>> session.run(None, {session.get_inputs()[0].name: x})[0]    # doctest: +SKIP
"""

import os

import numpy as np

__all__ = ["OPSET", "export", "supported_layers"]

OPSET = 17


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError('exporting to ONNX needs the onnx package: pip install "learnet[onnx]"') from None
    return onnx


class _Graph:
    """The ONNX nodes and constants being written, with fresh names for every value."""

    def __init__(self, onnx):
        self.onnx = onnx
        self.nodes, self.initializers, self.count = [], [], 0

    def fresh(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, value, hint="const", dtype=np.float32):
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(self, op_type, inputs, hint=None, **attributes):
        output = self.fresh(hint or op_type.lower())
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), [output], **attributes))
        return output


# --- activations ------------------------------------------------------------------------------------
def _activation(graph, name, x, where):
    if name in ("linear", None):
        return x
    simple = {
        "relu": "Relu",
        "sigmoid": "Sigmoid",
        "tanh": "Tanh",
        "softplus": "Softplus",
        "softsign": "Softsign",
        "exponential": "Exp",
        "selu": "Selu",
        "elu": "Elu",
    }
    if name in simple:
        return graph.op(simple[name], [x])
    if name == "softmax":
        return graph.op("Softmax", [x], axis=-1)
    if name == "log_softmax":
        return graph.op("LogSoftmax", [x], axis=-1)
    if name == "leaky_relu":
        return graph.op("LeakyRelu", [x], alpha=0.2)
    if name == "relu6":
        return graph.op("Clip", [x, graph.const(0.0), graph.const(6.0)])
    if name == "hard_sigmoid":
        return graph.op("HardSigmoid", [x], alpha=1.0 / 6.0, beta=0.5)
    if name in ("swish", "silu"):
        return graph.op("Mul", [x, graph.op("Sigmoid", [x])])
    if name == "hard_silu":
        return graph.op("Mul", [x, graph.op("HardSigmoid", [x], alpha=1.0 / 6.0, beta=0.5)])
    if name == "mish":
        return graph.op("Mul", [x, graph.op("Tanh", [graph.op("Softplus", [x])])])
    if name == "gelu":
        half = graph.op("Mul", [x, graph.const(0.5)])
        erf = graph.op("Erf", [graph.op("Mul", [x, graph.const(1.0 / np.sqrt(2.0))])])
        return graph.op("Mul", [half, graph.op("Add", [erf, graph.const(1.0)])])
    raise ValueError(f"learnet.onnx.export: {where} uses the activation {name!r}, which has no ONNX export")


def _activation_name(function, where):
    from learnet import activations

    try:
        return activations.serialize(function)
    except ValueError:
        raise ValueError(f"learnet.onnx.export: {where} uses a custom activation, which has no ONNX export") from None


# --- layers --------------------------------------------------------------------------------------------
def _weights(layer):
    from learnet import backend

    return [backend.to_numpy(v._value) for v in layer.weights]


def _channels_first(graph, x, rank):
    return graph.op("Transpose", [x], perm=[0, rank - 1, *range(1, rank - 1)])


def _channels_last(graph, x, rank):
    return graph.op("Transpose", [x], perm=[0, *range(2, rank), 1])


def _check_channels_last(layer, where):
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise ValueError(f"learnet.onnx.export: {where} is channels_first; only channels_last is exported")


def _dense(graph, layer, inputs, where):
    weights = _weights(layer)
    y = graph.op("MatMul", [inputs[0], graph.const(weights[0], "kernel")])
    if layer.use_bias:
        y = graph.op("Add", [y, graph.const(weights[1], "bias")])
    return _activation(graph, _activation_name(layer.activation, where), y, where)


def _padding(layer, kernel_shape=None):
    """ONNX's padding attributes for a layer's ``padding``.

    A dilated ``"same"`` convolution (its strides are 1) gets explicit pads, since
    onnxruntime refuses dilation with ``auto_pad``: ``(k - 1) * dilation`` in all, the odd
    one at the end, as TensorFlow; they do not depend on the input's size at stride 1.
    """
    rank = len(layer.strides)
    if layer.padding != "same":
        return {"pads": [0] * (2 * rank)}
    dilations = tuple(getattr(layer, "dilation_rate", (1,) * rank))
    if kernel_shape is None or all(d == 1 for d in dilations):
        return {"auto_pad": "SAME_UPPER"}
    totals = [(k - 1) * d for k, d in zip(kernel_shape, dilations)]
    return {"pads": [t // 2 for t in totals] + [t - t // 2 for t in totals]}


def _conv(graph, layer, inputs, where):
    _check_channels_last(layer, where)
    if layer.padding not in ("valid", "same"):
        raise ValueError(f"learnet.onnx.export: {where} has padding {layer.padding!r}; only 'valid' and 'same' export")
    weights = _weights(layer)
    rank = len(layer.strides) + 2
    kernel = np.transpose(weights[0], (rank - 1, rank - 2, *range(rank - 2)))  # (out, in/groups, *spatial)
    operands = [_channels_first(graph, inputs[0], rank), graph.const(kernel, "kernel")]
    if layer.use_bias:
        operands.append(graph.const(weights[1], "bias"))
    y = graph.op(
        "Conv",
        operands,
        strides=list(layer.strides),
        dilations=list(layer.dilation_rate),
        group=int(getattr(layer, "groups", 1)),
        kernel_shape=list(weights[0].shape[: rank - 2]),
        **_padding(layer, weights[0].shape[: rank - 2]),
    )
    y = _channels_last(graph, y, rank)
    return _activation(graph, _activation_name(layer.activation, where), y, where)


def _depthwise_node(graph, layer, x, kernel):
    """A depthwise convolution of channels-first ``x``: ONNX Conv with one group per input
    channel; Keras' kernel ``(kh, kw, in, multiplier)`` becomes ``(in * multiplier, 1, kh, kw)``."""
    kh, kw, channels, multiplier = kernel.shape
    weights = np.transpose(kernel.reshape(kh, kw, 1, channels * multiplier), (3, 2, 0, 1))
    return graph.op(
        "Conv",
        [x, graph.const(np.ascontiguousarray(weights), "depthwise_kernel")],
        strides=list(layer.strides),
        dilations=list(layer.dilation_rate),
        group=int(channels),
        kernel_shape=[kh, kw],
        **_padding(layer, (kh, kw)),
    )


def _depthwise(graph, layer, inputs, where):
    _check_channels_last(layer, where)
    weights = _weights(layer)
    y = _depthwise_node(graph, layer, _channels_first(graph, inputs[0], 4), weights[0])
    if layer.use_bias:
        y = graph.op("Add", [y, graph.const(weights[1].reshape(-1, 1, 1), "bias")])
    y = _channels_last(graph, y, 4)
    return _activation(graph, _activation_name(layer.activation, where), y, where)


def _separable(graph, layer, inputs, where):
    _check_channels_last(layer, where)
    weights = _weights(layer)
    y = _depthwise_node(graph, layer, _channels_first(graph, inputs[0], 4), weights[0])
    operands = [y, graph.const(np.ascontiguousarray(np.transpose(weights[1], (3, 2, 0, 1))), "pointwise_kernel")]
    if layer.use_bias:
        operands.append(graph.const(weights[2], "bias"))
    y = graph.op("Conv", operands, kernel_shape=[1, 1])
    y = _channels_last(graph, y, 4)
    return _activation(graph, _activation_name(layer.activation, where), y, where)


def _conv_transpose(graph, layer, inputs, where):
    _check_channels_last(layer, where)
    if getattr(layer, "output_padding", None) is not None or tuple(layer.dilation_rate) != (1, 1):
        raise ValueError(f"learnet.onnx.export: {where} uses output_padding or dilation, which do not export")
    weights = _weights(layer)
    kernel = np.transpose(weights[0], (3, 2, 0, 1))  # (kh, kw, out, in) -> (in, out, kh, kw)
    operands = [_channels_first(graph, inputs[0], 4), graph.const(kernel, "kernel")]
    if layer.use_bias:
        operands.append(graph.const(weights[1], "bias"))
    attributes = {"strides": list(layer.strides), "kernel_shape": list(weights[0].shape[:2])}
    if layer.padding == "same":
        attributes["auto_pad"] = "SAME_UPPER"
    y = _channels_last(graph, graph.op("ConvTranspose", operands, **attributes), 4)
    return _activation(graph, _activation_name(layer.activation, where), y, where)


def _pool(op_type):
    def convert(graph, layer, inputs, where):
        _check_channels_last(layer, where)
        rank = len(layer.pool_size) + 2
        attributes = {"kernel_shape": list(layer.pool_size), "strides": list(layer.strides), **_padding(layer)}
        if op_type == "AveragePool":
            attributes["count_include_pad"] = 0
        y = graph.op(op_type, [_channels_first(graph, inputs[0], rank)], **attributes)
        return _channels_last(graph, y, rank)

    return convert


def _global_pool(op_type):
    def convert(graph, layer, inputs, where):
        _check_channels_last(layer, where)
        rank = graph.input_rank
        return graph.op(
            op_type, [inputs[0]], axes=list(range(1, rank - 1)), keepdims=int(bool(getattr(layer, "keepdims", False)))
        )

    return convert


def _identity(graph, layer, inputs, where):
    return inputs[0]


def _flatten(graph, layer, inputs, where):
    _check_channels_last(layer, where)
    return graph.op("Flatten", [inputs[0]], axis=1)


def _reshape(graph, layer, inputs, where):
    shape = [0] + [int(s) for s in layer.target_shape]
    return graph.op("Reshape", [inputs[0], graph.const(shape, "shape", np.int64)])


def _permute(graph, layer, inputs, where):
    return graph.op("Transpose", [inputs[0]], perm=[0, *[int(d) for d in layer.dims]])


def _batch_norm(graph, layer, inputs, where):
    axis = layer.axis[0] if isinstance(layer.axis, (list, tuple)) and len(layer.axis) == 1 else layer.axis
    rank = graph.input_rank
    if axis not in (-1, rank - 1):
        raise ValueError(f"learnet.onnx.export: {where} normalizes axis {layer.axis}; only the last axis exports")
    variables = {v.name.rsplit("/", 1)[-1]: _as_numpy(v) for v in layer.weights}
    scale = 1.0 / np.sqrt(variables["moving_variance"].astype(np.float64) + layer.epsilon)
    if layer.scale:
        scale = scale * variables["gamma"]
    shift = -variables["moving_mean"] * scale
    if layer.center:
        shift = shift + variables["beta"]
    return graph.op("Add", [graph.op("Mul", [inputs[0], graph.const(scale, "scale")]), graph.const(shift, "shift")])


def _layer_norm(graph, layer, inputs, where):
    axes = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
    rank = graph.input_rank
    if [a % rank for a in axes] != [rank - 1]:
        raise ValueError(f"learnet.onnx.export: {where} normalizes axes {layer.axis}; only the last axis exports")
    variables = {v.name.rsplit("/", 1)[-1]: _as_numpy(v) for v in layer.weights}
    size = int(graph.input_shape[-1])
    gamma = variables.get("gamma", np.ones(size, np.float32))
    beta = variables.get("beta", np.zeros(size, np.float32))
    return graph.op(
        "LayerNormalization",
        [inputs[0], graph.const(gamma, "gamma"), graph.const(beta, "beta")],
        axis=-1,
        epsilon=float(layer.epsilon),
    )


def _as_numpy(variable):
    from learnet import backend

    return backend.to_numpy(variable._value)


def _rescaling(graph, layer, inputs, where):
    y = graph.op("Mul", [inputs[0], graph.const(layer.scale, "scale")])
    return graph.op("Add", [y, graph.const(layer.offset, "offset")])


def _normalization(graph, layer, inputs, where):
    # Keras' Normalization is (x - mean) / std, std floored at 1e-7: one scale and one shift.
    mean = np.asarray(layer.mean.numpy(), np.float32)
    std = np.maximum(np.sqrt(np.asarray(layer.variance.numpy(), np.float32)), np.float32(1e-7))
    scale, offset = (std, mean) if layer.invert else (1 / std, -mean / std)
    y = graph.op("Mul", [inputs[0], graph.const(scale.astype(np.float32), "scale")])
    return graph.op("Add", [y, graph.const(offset.astype(np.float32), "offset")])


def _embedding(graph, layer, inputs, where):
    indices = graph.op("Cast", [inputs[0]], to=_onnx().TensorProto.INT64)
    return graph.op("Gather", [graph.const(_weights(layer)[0], "embeddings"), indices], axis=0)


def _activation_layer(graph, layer, inputs, where):
    return _activation(graph, _activation_name(layer.activation, where), inputs[0], where)


def _relu_layer(graph, layer, inputs, where):
    if layer.threshold != 0:
        raise ValueError(f"learnet.onnx.export: {where} has a threshold; only ReLU(max_value, negative_slope) exports")
    x = inputs[0]
    y = graph.op("LeakyRelu", [x], alpha=float(layer.negative_slope)) if layer.negative_slope else graph.op("Relu", [x])
    if layer.max_value is not None:
        y = graph.op("Min", [y, graph.const(float(layer.max_value))])
    return y


def _prelu(graph, layer, inputs, where):
    return graph.op("PRelu", [inputs[0], graph.const(_weights(layer)[0], "alpha")])


def _merge(op_type):
    def convert(graph, layer, inputs, where):
        y = inputs[0]
        for other in inputs[1:]:
            y = graph.op(op_type, [y, other])
        if type(layer).__name__ == "Average":
            y = graph.op("Mul", [y, graph.const(1.0 / len(inputs))])
        return y

    return convert


def _spatial_pairs(value, rank):
    """``((before, after), ...)`` per spatial axis from a layer's padding or cropping."""
    if rank == 3 and len(value) == 2 and all(isinstance(v, (int, np.integer)) for v in value):
        return [tuple(int(v) for v in value)]
    return [tuple(int(v) for v in pair) for pair in value]


def _zero_padding(graph, layer, inputs, where):
    _check_channels_last(layer, where)
    pairs = _spatial_pairs(layer.padding, graph.input_rank)
    pads = [0] + [p[0] for p in pairs] + [0] + [0] + [p[1] for p in pairs] + [0]
    return graph.op("Pad", [inputs[0], graph.const(pads, "pads", np.int64)], mode="constant")


def _cropping(graph, layer, inputs, where):
    _check_channels_last(layer, where)
    pairs = _spatial_pairs(layer.cropping, graph.input_rank)
    shape = graph.input_shape
    if any(shape[1 + i] is None for i in range(len(pairs))):
        raise ValueError(f"learnet.onnx.export: {where} crops axes of unknown size")
    starts = [p[0] for p in pairs]
    ends = [int(shape[1 + i]) - p[1] for i, p in enumerate(pairs)]
    axes = list(range(1, len(pairs) + 1))
    return graph.op(
        "Slice",
        [
            inputs[0],
            graph.const(starts, "starts", np.int64),
            graph.const(ends, "ends", np.int64),
            graph.const(axes, "axes", np.int64),
        ],
    )


def _upsampling(graph, layer, inputs, where):
    _check_channels_last(layer, where)
    interpolation = getattr(layer, "interpolation", "nearest")
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(
            f"learnet.onnx.export: {where} interpolates {interpolation!r}; only 'nearest' and 'bilinear' export"
        )
    size = layer.size if isinstance(layer.size, (list, tuple)) else (layer.size,)
    scales = [1.0, *[float(s) for s in size], 1.0]
    scales_input = [inputs[0], "", graph.const(scales, "scales")]
    if interpolation == "bilinear":  # half-pixel centres, as keras.ops.image.resize (enlarging: no antialiasing)
        return graph.op("Resize", scales_input, mode="linear", coordinate_transformation_mode="half_pixel")
    return graph.op(
        "Resize", scales_input, mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor"
    )


def _repeat_vector(graph, layer, inputs, where):
    expanded = graph.op("Unsqueeze", [inputs[0], graph.const([1], "axes", np.int64)])
    return graph.op("Tile", [expanded, graph.const([1, int(layer.n), 1], "repeats", np.int64)])


def _concatenate(graph, layer, inputs, where):
    return graph.op("Concat", inputs, axis=int(layer.axis))


_CONVERTERS = {
    "InputLayer": _identity,
    "Dense": _dense,
    "Conv1D": _conv,
    "Conv2D": _conv,
    "MaxPooling1D": _pool("MaxPool"),
    "MaxPooling2D": _pool("MaxPool"),
    "AveragePooling1D": _pool("AveragePool"),
    "AveragePooling2D": _pool("AveragePool"),
    "GlobalAveragePooling1D": _global_pool("ReduceMean"),
    "GlobalAveragePooling2D": _global_pool("ReduceMean"),
    "GlobalMaxPooling1D": _global_pool("ReduceMax"),
    "GlobalMaxPooling2D": _global_pool("ReduceMax"),
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Permute": _permute,
    "Dropout": _identity,
    "SpatialDropout1D": _identity,
    "SpatialDropout2D": _identity,
    "GaussianNoise": _identity,
    "GaussianDropout": _identity,
    "ActivityRegularization": _identity,
    "Identity": _identity,
    "RandomFlip": _identity,
    "RandomRotation": _identity,
    "RandomZoom": _identity,
    "RandomTranslation": _identity,
    "RandomContrast": _identity,
    "RandomBrightness": _identity,
    "SpatialDropout3D": _identity,
    # Keras 3's newer augmentation: random in training, the images unchanged at inference
    # (AutoContrast applies at inference too, so it is not an identity and not listed).
    "RandomGrayscale": _identity,
    "RandomInvert": _identity,
    "Solarization": _identity,
    "RandomPosterization": _identity,
    "RandomHue": _identity,
    "RandomSaturation": _identity,
    "RandomColorJitter": _identity,
    "RandomShear": _identity,
    "RandomGaussianBlur": _identity,
    "RandomColorDegeneration": _identity,
    "RandomSharpness": _identity,
    "Equalization": _identity,  # as in Keras, it equalizes in training only
    "RandAugment": _identity,
    "AugMix": _identity,
    "RandomPerspective": _identity,
    "RandomElasticTransform": _identity,
    "RandomErasing": _identity,
    "MixUp": _identity,
    "CutMix": _identity,
    "BatchNormalization": _batch_norm,
    "LayerNormalization": _layer_norm,
    "Rescaling": _rescaling,
    "Normalization": _normalization,
    "Embedding": _embedding,
    "Activation": _activation_layer,
    "ReLU": _relu_layer,
    "PReLU": _prelu,
    "LeakyReLU": lambda g, layer, i, w: g.op("LeakyRelu", [i[0]], alpha=float(layer.negative_slope)),
    "ELU": lambda g, layer, i, w: g.op("Elu", [i[0]], alpha=float(layer.alpha)),
    "Softmax": lambda g, layer, i, w: g.op("Softmax", [i[0]], axis=int(layer.axis)),
    "Add": _merge("Add"),
    "Subtract": _merge("Sub"),
    "Multiply": _merge("Mul"),
    "Average": _merge("Add"),
    "Maximum": _merge("Max"),
    "Minimum": _merge("Min"),
    "Concatenate": _concatenate,
    "ZeroPadding1D": _zero_padding,
    "ZeroPadding2D": _zero_padding,
    "Cropping1D": _cropping,
    "Cropping2D": _cropping,
    "UpSampling1D": _upsampling,
    "UpSampling2D": _upsampling,
    "RepeatVector": _repeat_vector,
    "Conv2DTranspose": _conv_transpose,
    "DepthwiseConv2D": _depthwise,
    "SeparableConv2D": _separable,
}


def supported_layers():
    """The names of the layer classes that ``export`` converts."""
    return sorted(_CONVERTERS)


# --- the model ---------------------------------------------------------------------------------------------
def _calls(model):
    """``[(layer, input tensors, output tensors)]`` in run order, and the model's input and output tensors."""
    from learnet.models.data_adapter import flatten
    from learnet.models.functional import Functional
    from learnet.models.sequential import Sequential

    if isinstance(model, Sequential):
        if model.inputs is None:
            raise ValueError(
                "learnet.onnx.export: the Sequential model has no input shape; start it with "
                "keras.Input(shape=...) so the exported graph knows its input"
            )
        return _sequential_calls(model)
    if not isinstance(model, Functional):
        raise ValueError(
            f"learnet.onnx.export: {type(model).__name__} is a subclassed model; ONNX export handles "
            "Sequential and functional models (Model(inputs, outputs))"
        )
    produced = {}
    for tensor_id, (node, index, _) in model._sources.items():
        if node is not None:
            produced.setdefault(id(node), {})[index] = tensor_id
    calls = []
    for node in model._nodes:
        if node.is_input:
            continue
        if node.args or any(k not in ("training", "mask") for k in node.kwargs):
            raise ValueError(f"learnet.onnx.export: layer '{node.layer.name}' is called with extra arguments")
        outputs = produced.get(id(node), {})
        sources = flatten(node.inputs)
        calls.append(
            (node.layer, [id(t) for t in sources], [outputs[i] for i in sorted(outputs)], tuple(sources[0].shape))
        )
    inputs = [(id(t), t) for t in flatten(model._input_structure)]
    outputs = [(id(t), tuple(t.shape)) for t in flatten(model._output_structure)]
    return calls, inputs, outputs


def _sequential_calls(model):
    tensor = model.inputs[0]
    calls, previous, shape = [], id(tensor), tuple(tensor.shape)
    for index, layer in enumerate(model.layers):
        calls.append((layer, [previous], [("seq", index)], shape))
        shape = tuple(layer.compute_output_shape(shape))
        previous = ("seq", index)
    return calls, [(id(tensor), tensor)], [(previous, shape)]


def export(model, filepath, opset=OPSET, input_names=None, output_names=None):
    """Write ``model``'s inference graph to ``filepath`` as ONNX.

    Parameters
    ----------
    model : Sequential or functional Model, built
    filepath : str or path-like
    opset : int, default 17
    input_names, output_names : list of str, optional
        Names of the graph's inputs and outputs (default: the model's input layers'
        names, and ``output_0``, ``output_1``, ...).

    Returns
    -------
    str : the path written.

    Raises
    ------
    ValueError
        naming the layers (or options) that have no ONNX export, before anything is written.

    Examples
    --------
    >>> learnet.onnx.export(model, "model.onnx")                 # doctest: +SKIP
    """
    onnx = _onnx()
    from learnet import saving

    unsupported = sorted(
        {
            f"{layer.name} ({type(layer).__name__})"
            for layer in model._flatten_layers()
            if type(layer).__name__ not in _CONVERTERS
            and layer is not model
            and type(layer).__name__ not in ("Sequential", "Functional")
        }
    )
    if unsupported:
        raise ValueError(
            f"learnet.onnx.export: these layers have no ONNX export: {', '.join(unsupported)}. "
            f"Supported: {', '.join(supported_layers())}"
        )
    calls, inputs, outputs = _calls(model)
    graph = _Graph(onnx)
    names, graph_inputs = {}, []
    for index, (tensor_id, tensor) in enumerate(inputs):
        name = (
            input_names[index]
            if input_names
            else (tensor._keras_history.layer.name if hasattr(tensor, "_keras_history") else f"input_{index}")
        )
        names[tensor_id] = name
        dtype = np.dtype(tensor.dtype)
        shape = ["batch"] + [None if s is None else int(s) for s in tuple(tensor.shape)[1:]]
        graph_inputs.append(
            onnx.helper.make_tensor_value_info(name, onnx.helper.np_dtype_to_tensor_dtype(dtype), shape)
        )
    for layer, sources, results, shape in calls:
        graph.input_rank, graph.input_shape = len(shape), shape
        if type(layer).__name__ in ("Sequential", "Functional"):
            raise ValueError(f"learnet.onnx.export: model '{layer.name}' is nested in the model; export it flat")
        where = f"layer '{layer.name}' ({type(layer).__name__})"
        output = _CONVERTERS[type(layer).__name__](graph, layer, [names[s] for s in sources], where)
        if len(results) != 1:
            raise ValueError(f"learnet.onnx.export: {where} has several outputs")
        names[results[0]] = output
    graph_outputs = []
    for index, (tensor_id, shape) in enumerate(outputs):
        name = output_names[index] if output_names else f"output_{index}"
        graph.nodes.append(onnx.helper.make_node("Identity", [names[tensor_id]], [name]))
        dims = ["batch"] + [None if s is None else int(s) for s in shape[1:]]
        graph_outputs.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, dims))
    onnx_graph = onnx.helper.make_graph(
        graph.nodes, model.name or "learnet_model", graph_inputs, graph_outputs, graph.initializers
    )
    onnx_model = onnx.helper.make_model(
        onnx_graph, opset_imports=[onnx.helper.make_opsetid("", opset)], producer_name="learnet"
    )
    onnx.checker.check_model(onnx_model)
    data = onnx_model.SerializeToString()
    filepath = os.fspath(filepath)
    saving.atomic_write(filepath, lambda stream: stream.write(data))
    return filepath
