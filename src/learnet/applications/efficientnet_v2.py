"""EfficientNetV2B0 to B3, S, M and L (``keras.applications.efficientnet_v2``): EfficientNet
made faster to train, with fused blocks in its early stages.

A stage is a stack of one kind of block. A *fused* MBConv block (:func:`FusedMBConvBlock`)
does its expansion with one full 3x3 convolution; an MBConv block (:func:`MBConvBlock`)
expands with a 1x1 convolution, filters each channel with a depthwise 3x3 convolution and
squeezes and excites its channels. Either projects back with a 1x1 convolution and adds its
input when the shapes allow.

Reference: *EfficientNetV2: Smaller Models and Faster Training* (ICML 2021). The layers, their
names, their order and their weights are those of Keras 3, so Keras' weight files load into
them. The networks take pixels in ``[0, 255]``: with ``include_preprocessing=True`` (the
default) they rescale them themselves, and :func:`preprocess_input` returns its input unchanged.

Examples
--------
>>> from learnet.applications import efficientnet_v2
>>> model = efficientnet_v2.EfficientNetV2B0(weights=None, include_top=False, input_shape=(32, 32, 3))
>>> model.output_shape
(None, 1, 1, 1280)
"""

import copy
import math

from learnet import initializers, layers
from learnet.applications import _common, imagenet_utils
from learnet.applications.efficientnet import CONV_KERNEL_INITIALIZER, DENSE_KERNEL_INITIALIZER, squeeze_excite

__all__ = [
    "EfficientNetV2B0",
    "EfficientNetV2B1",
    "EfficientNetV2B2",
    "EfficientNetV2B3",
    "EfficientNetV2S",
    "EfficientNetV2M",
    "EfficientNetV2L",
    "preprocess_input",
    "decode_predictions",
]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"

#: MD5 digests of Keras' weight files: (with the classifier, without it).
WEIGHTS_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}


def _stages(*rows):
    keys = ("conv_type", "num_repeat", "input_filters", "output_filters", "expand_ratio", "se_ratio", "strides")
    return [{"kernel_size": 3, **dict(zip(keys, row))} for row in rows]


# The stages of each variant: (conv_type (1 fused, 0 not), repeats, filters in, filters out,
# expansion, squeeze-and-excitation ratio, strides of the first block). B0 to B3 share theirs
# and scale them.
_B_STAGES = _stages(
    (1, 1, 32, 16, 1, 0, 1),
    (1, 2, 16, 32, 4, 0, 2),
    (1, 2, 32, 48, 4, 0, 2),
    (0, 3, 48, 96, 4, 0.25, 2),
    (0, 5, 96, 112, 6, 0.25, 1),
    (0, 8, 112, 192, 6, 0.25, 2),
)
DEFAULT_BLOCKS_ARGS = {
    "efficientnetv2-s": _stages(
        (1, 2, 24, 24, 1, 0, 1),
        (1, 4, 24, 48, 4, 0, 2),
        (1, 4, 48, 64, 4, 0, 2),
        (0, 6, 64, 128, 4, 0.25, 2),
        (0, 9, 128, 160, 6, 0.25, 1),
        (0, 15, 160, 256, 6, 0.25, 2),
    ),
    "efficientnetv2-m": _stages(
        (1, 3, 24, 24, 1, 0, 1),
        (1, 5, 24, 48, 4, 0, 2),
        (1, 5, 48, 80, 4, 0, 2),
        (0, 7, 80, 160, 4, 0.25, 2),
        (0, 14, 160, 176, 6, 0.25, 1),
        (0, 18, 176, 304, 6, 0.25, 2),
        (0, 5, 304, 512, 6, 0.25, 1),
    ),
    "efficientnetv2-l": _stages(
        (1, 4, 32, 32, 1, 0, 1),
        (1, 7, 32, 64, 4, 0, 2),
        (1, 7, 64, 96, 4, 0, 2),
        (0, 10, 96, 192, 4, 0.25, 2),
        (0, 19, 192, 224, 6, 0.25, 1),
        (0, 25, 224, 384, 6, 0.25, 2),
        (0, 7, 384, 640, 6, 0.25, 1),
    ),
    **{f"efficientnetv2-b{i}": _B_STAGES for i in range(4)},
}


def round_filters(filters, width_coefficient, min_depth, depth_divisor):
    """``filters`` times ``width_coefficient``, rounded to a multiple of ``depth_divisor`` (at
    least ``min_depth``)."""
    filters *= width_coefficient
    minimum_depth = min_depth or depth_divisor
    return int(max(minimum_depth, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def round_repeats(repeats, depth_coefficient):
    """``repeats`` times ``depth_coefficient``, rounded up."""
    return int(math.ceil(depth_coefficient * repeats))


def _conv(filters, kernel_size, strides=1, name=None, **kwargs):
    return layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name=name,
        **kwargs,
    )


def _residual(x, inputs, survival_probability, name):
    # Keras' networks pass the drop rate under the name ``survival_probability``; as there,
    # it is the rate at which whole samples of the branch are dropped in training.
    if survival_probability:
        x = layers.Dropout(survival_probability, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
    return layers.add([x, inputs], name=f"{name}add")


def MBConvBlock(
    input_filters,
    output_filters,
    expand_ratio=1,
    kernel_size=3,
    strides=1,
    se_ratio=0.0,
    bn_momentum=0.9,
    activation="swish",
    survival_probability=0.8,
    name=None,
):
    """A mobile inverted bottleneck, as a function of its input: expand (1x1 convolution),
    depthwise convolution, squeeze-and-excite, project (1x1); the input is added back when the
    block keeps the shape."""
    name = name or ""

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _conv(filters, 1, name=f"{name}expand_conv")(x)
            x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name=f"{name}expand_bn")(x)
            x = layers.Activation(activation, name=f"{name}expand_activation")(x)
        x = layers.DepthwiseConv2D(
            kernel_size=kernel_size,
            strides=strides,
            depthwise_initializer=CONV_KERNEL_INITIALIZER,
            padding="same",
            use_bias=False,
            name=f"{name}dwconv2",
        )(x)
        x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name=f"{name}bn")(x)
        x = layers.Activation(activation, name=f"{name}activation")(x)
        if 0 < se_ratio <= 1:
            x = squeeze_excite(x, filters, input_filters, se_ratio, activation, name)
        x = _conv(output_filters, 1, name=f"{name}project_conv")(x)
        x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name=f"{name}project_bn")(x)
        if strides == 1 and input_filters == output_filters:
            x = _residual(x, inputs, survival_probability, name)
        return x

    return apply


def FusedMBConvBlock(
    input_filters,
    output_filters,
    expand_ratio=1,
    kernel_size=3,
    strides=1,
    se_ratio=0.0,
    bn_momentum=0.9,
    activation="swish",
    survival_probability=0.8,
    name=None,
):
    """A fused MBConv block, as a function of its input: one full ``kernel_size`` convolution
    expands (in place of MBConv's 1x1 and depthwise pair), an optional squeeze-and-excite, a
    1x1 projection; with no expansion, the projection is the full convolution itself."""
    name = name or ""

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _conv(filters, kernel_size, strides=strides, name=f"{name}expand_conv")(x)
            x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name=f"{name}expand_bn")(x)
            x = layers.Activation(activation=activation, name=f"{name}expand_activation")(x)
        if 0 < se_ratio <= 1:
            x = squeeze_excite(x, filters, input_filters, se_ratio, activation, name)
        fused = expand_ratio == 1
        x = _conv(
            output_filters,
            kernel_size if fused else 1,
            strides=strides if fused else 1,
            name=f"{name}project_conv",
        )(x)
        x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name=f"{name}project_bn")(x)
        if fused:
            x = layers.Activation(activation=activation, name=f"{name}project_activation")(x)
        if strides == 1 and input_filters == output_filters:
            x = _residual(x, inputs, survival_probability, name)
        return x

    return apply


def EfficientNetV2(
    width_coefficient,
    depth_coefficient,
    default_size,
    dropout_rate=0.2,
    drop_connect_rate=0.2,
    depth_divisor=8,
    min_depth=8,
    bn_momentum=0.9,
    activation="swish",
    blocks_args="default",
    name="efficientnetv2",
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    include_preprocessing=True,
    weights_name=None,
):
    """An EfficientNetV2 from its stages (``blocks_args``) scaled ``width_coefficient`` times
    in filters and ``depth_coefficient`` times in blocks. The variant functions
    (:func:`EfficientNetV2B0`, ...) call it.

    ``blocks_args="default"`` takes the stages of the variant ``weights_name`` names (Keras
    looks them up by the model's ``name``, so a renamed model would fail there)."""
    variant = f"efficientnetv2-{weights_name.lstrip('-')}" if weights_name else name
    if blocks_args == "default":
        if variant not in DEFAULT_BLOCKS_ARGS:
            raise ValueError(f"No default blocks for an EfficientNetV2 named {name!r}: give blocks_args")
        blocks_args = DEFAULT_BLOCKS_ARGS[variant]
    _common.check_weights(weights, include_top, classes, pooling)
    _common.check_input_tensor(input_tensor)
    for args in blocks_args:
        if args["num_repeat"] <= 0:
            raise ValueError(
                f"The number of repeats in `EfficientNetV2` must be > 0. Received: num_repeat={args['num_repeat']}"
            )
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=default_size,
        min_size=32,
        data_format="channels_last",
        require_flatten=include_top,
        weights=weights,
    )
    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
    img_input = _common.image_input(input_tensor, input_shape)

    x = img_input
    if include_preprocessing:
        # B0 to B3 were trained on ImageNet-normalized pixels, S, M and L on pixels in [-1, 1].
        if variant.split("-")[-1].startswith("b") and input_shape[-1] == 3:
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(mean=[0.485, 0.456, 0.406], variance=[0.229**2, 0.224**2, 0.225**2], axis=3)(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)

    def filters_of(filters):
        return round_filters(filters, width_coefficient, min_depth, depth_divisor)

    x = _conv(filters_of(blocks_args[0]["input_filters"]), 3, strides=2, name="stem_conv")(x)
    x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)

    blocks_args = copy.deepcopy(blocks_args)
    b = 0
    blocks = float(sum(args["num_repeat"] for args in blocks_args))
    for i, args in enumerate(blocks_args):
        args["input_filters"] = filters_of(args["input_filters"])
        args["output_filters"] = filters_of(args["output_filters"])
        block = {0: MBConvBlock, 1: FusedMBConvBlock}[args.pop("conv_type")]
        for j in range(round_repeats(args.pop("num_repeat"), depth_coefficient)):
            if j > 0:  # only a stage's first block strides and changes the width
                args["strides"] = 1
                args["input_filters"] = args["output_filters"]
            x = block(
                activation=activation,
                bn_momentum=bn_momentum,
                survival_probability=drop_connect_rate * b / blocks,
                name=f"block{i + 1}{chr(j + 97)}_",
                **args,
            )(x)
            b += 1

    x = _conv(filters_of(1280), 1, name="top_conv")(x)
    x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name="top_bn")(x)
    x = layers.Activation(activation=activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        x = layers.Dense(
            classes,
            activation=classifier_activation,
            kernel_initializer=DENSE_KERNEL_INITIALIZER,
            bias_initializer=initializers.Constant(0.0),
            name="predictions",
        )(x)
    else:
        x = _common.pooled(x, pooling, "avg_pool", "max_pool")
    model = _common.functional(_common.model_inputs(input_tensor, img_input), x, name)

    if weights == "imagenet":
        from learnet.dataset_utils import get_file

        file_name = name + (".h5" if include_top else "_notop.h5")
        file_hash = WEIGHTS_HASHES[weights_name][0 if include_top else 1]
        weights = get_file(file_name, BASE_WEIGHTS_PATH + file_name, cache_subdir="models", file_hash=file_hash)
    return _common.load_weights(model, weights)


_DOC = """The {model} network, with random weights or ImageNet's.

    Reference: *EfficientNetV2: Smaller Models and Faster Training* (ICML 2021). The network
    takes pixels in ``[0, 255]``: with ``include_preprocessing`` it rescales them itself.

    Parameters
    ----------
    include_top : bool, default True
        Whether to keep the classifier on top (then the input is {size}x{size}x3).
    weights : None, "imagenet" or str, default "imagenet"
        Random initialisation, ImageNet's weights (downloaded once into the ``models`` cache
        folder), or the path of a weights file to load.
    input_tensor : tensor, optional
        A symbolic tensor (``keras.Input``) to use as the image input.
    input_shape : tuple, optional
        The shape of one image, at least 32x32.
    pooling : {{None, "avg", "max"}}, optional
    classes : int, default 1000
    classifier_activation : str or callable, default "softmax"
    include_preprocessing : bool, default True
        Whether the network rescales its pixels itself ({preprocessing}).
    name : str, default "{default_name}"

    Returns
    -------
    Model

    Examples
    --------
    >>> model = {model}(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")  # doctest: +SKIP
    >>> model.output_shape  # doctest: +SKIP
    (None, {width})
    """

# (function name, weights name, width, depth, resolution) of each variant.
_VARIANTS = (
    ("EfficientNetV2B0", "b0", 1.0, 1.0, 224),
    ("EfficientNetV2B1", "b1", 1.0, 1.1, 240),
    ("EfficientNetV2B2", "b2", 1.1, 1.2, 260),
    ("EfficientNetV2B3", "b3", 1.2, 1.4, 300),
    ("EfficientNetV2S", "-s", 1.0, 1.0, 384),
    ("EfficientNetV2M", "-m", 1.0, 1.0, 480),
    ("EfficientNetV2L", "-l", 1.0, 1.0, 480),
)


def _variant(model_name, weights_name, width, depth, size):
    default_name = f"efficientnetv2-{weights_name.lstrip('-')}"

    def model_function(
        include_top=True,
        weights="imagenet",
        input_tensor=None,
        input_shape=None,
        pooling=None,
        classes=1000,
        classifier_activation="softmax",
        include_preprocessing=True,
        name=default_name,
    ):
        return EfficientNetV2(
            width_coefficient=width,
            depth_coefficient=depth,
            default_size=size,
            name=name,
            include_top=include_top,
            weights=weights,
            input_tensor=input_tensor,
            input_shape=input_shape,
            pooling=pooling,
            classes=classes,
            classifier_activation=classifier_activation,
            include_preprocessing=include_preprocessing,
            weights_name=weights_name,
        )

    preprocessing = "ImageNet's mean and variance" if weights_name.startswith("b") else "into ``[-1, 1]``"
    model_function.__name__ = model_function.__qualname__ = model_name
    model_function.__module__ = __name__
    model_function.__doc__ = _DOC.format(
        model=model_name,
        size=size,
        default_name=default_name,
        preprocessing=preprocessing,
        width=round_filters(1280, width, 8, 8),
    )
    return model_function


EfficientNetV2B0 = _variant(*_VARIANTS[0])
EfficientNetV2B1 = _variant(*_VARIANTS[1])
EfficientNetV2B2 = _variant(*_VARIANTS[2])
EfficientNetV2B3 = _variant(*_VARIANTS[3])
EfficientNetV2S = _variant(*_VARIANTS[4])
EfficientNetV2M = _variant(*_VARIANTS[5])
EfficientNetV2L = _variant(*_VARIANTS[6])


def preprocess_input(x, data_format=None):
    """EfficientNetV2 preprocesses inside the model: ``x`` is returned unchanged.

    Examples
    --------
    >>> preprocess_input(3.0)
    3.0
    """
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row of ``preds`` (see ``imagenet_utils.decode_predictions``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
