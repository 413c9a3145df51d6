"""MobileNetV2 (``keras.applications.mobilenet_v2``): inverted residual blocks, each widening
its input with a 1x1 convolution, filtering it depthwise and narrowing it back ("linear
bottleneck"), with the input added back when the shapes allow.

Reference: the paper *MobileNetV2: Inverted Residuals and Linear Bottlenecks* (CVPR
2018). The layers, their names and their weights are those of Keras 3, so Keras' ImageNet
weights load into it.

Examples
--------
>>> from learnet.applications import mobilenet_v2
>>> model = mobilenet_v2.MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.35)
>>> model.output_shape
(None, 1, 1, 1280)
"""

from learnet import layers
from learnet.applications import _common, imagenet_utils
from learnet.dataset_utils import is_keras_tensor
from learnet.warn import warn

__all__ = ["MobileNetV2", "preprocess_input", "decode_predictions"]

_SIZES = (96, 128, 160, 192, 224)
# (filters, stride, expansion) of the 17 inverted residual blocks.
_BLOCKS = (
    ((16, 1, 1),)
    + ((24, 2, 6), (24, 1, 6))
    + ((32, 2, 6), (32, 1, 6), (32, 1, 6))
    + ((64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6))
    + ((96, 1, 6), (96, 1, 6), (96, 1, 6))
    + ((160, 2, 6), (160, 1, 6), (160, 1, 6))
    + ((320, 1, 6),)
)


def _default_size(input_shape, input_tensor):
    if input_shape is not None:
        rows, cols = input_shape[0], input_shape[1]
    elif input_tensor is not None and is_keras_tensor(input_tensor):
        rows, cols = tuple(input_tensor.shape)[1:3]
    else:
        return 224
    return rows if rows == cols and rows in _SIZES else 224


def MobileNetV2(
    input_shape=None,
    alpha=1.0,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """The MobileNetV2 network, with random weights or ImageNet's.

    Parameters
    ----------
    input_shape : tuple, optional
        The shape of one image, at least 32x32; 224x224x3 with the top by default.
    alpha : float, default 1.0
        The width: every block has ``alpha`` times its filters (0.35, 0.5, 0.75, 1.0, 1.3 or
        1.4 for ImageNet's weights).
    include_top : bool, default True
    weights : None, "imagenet" or str, default "imagenet"
        Random initialisation, ImageNet's weights (for a square input of side 96, 128, 160,
        192 or 224, else those of 224), or the path of a weights file to load.
    input_tensor : tensor, optional
        A symbolic tensor (``keras.Input``) to use as the image input.
    pooling : {None, "avg", "max"}, optional
    classes : int, default 1000
    classifier_activation : str or callable, default "softmax"
    name : str, optional
        ``mobilenetv2_<alpha>_<rows>`` by default.

    Returns
    -------
    Model

    Examples
    --------
    >>> base = MobileNetV2(input_shape=(160, 160, 3), include_top=False, weights=None)  # doctest: +SKIP
    """
    _common.check_weights(weights, include_top, classes, pooling)
    if input_shape is not None and input_tensor is not None:
        if not is_keras_tensor(input_tensor):
            raise ValueError(f"input_tensor is not a Keras tensor; got input_tensor={input_tensor!r}")
        if tuple(input_tensor.shape)[2] != input_shape[1]:
            raise ValueError(
                "input_tensor.shape[2] must equal input_shape[1]; got "
                f"input_tensor.shape={tuple(input_tensor.shape)}, input_shape={input_shape}"
            )
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=_default_size(input_shape, input_tensor),
        min_size=32,
        data_format="channels_last",
        require_flatten=include_top,
        weights=weights,
    )
    rows, cols = input_shape[0], input_shape[1]
    if weights == "imagenet":
        if alpha not in (0.35, 0.50, 0.75, 1.0, 1.3, 1.4):
            raise ValueError(
                "If imagenet weights are being loaded, alpha must be one of 0.35, 0.50, 0.75, 1.0, 1.3 or 1.4 "
                f"only; got alpha={alpha}"
            )
        if rows != cols or rows not in _SIZES:
            rows = 224
            warn(
                "input_shape is undefined or non-square, or rows is not in [96, 128, 160, 192, 224]. Weights "
                "for input shape (224, 224) will be loaded as the default."
            )
    img_input = _common.image_input(input_tensor, input_shape)
    x = layers.Conv2D(
        _make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2), padding="same", use_bias=False, name="Conv1"
    )(img_input)
    x = layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name="bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, filters=filters, alpha=alpha, stride=stride, expansion=expansion, block_id=block_id)
    last_block_filters = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_block_filters, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name="Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _common.pooled(x, pooling)
    if name is None:
        name = f"mobilenetv2_{alpha:0.2f}_{rows}"
    model = _common.functional(_common.model_inputs(input_tensor, img_input), x, name)
    file_name = (
        f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{'' if include_top else '_no_top'}.h5"
    )
    return _common.load_weights(model, weights, file_name, f"{_common.KERAS_WEIGHTS}mobilenet_v2/{file_name}")


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    """Expand (1x1), filter (3x3 depthwise), project (1x1, no activation); add the input back."""
    in_channels = inputs.shape[-1]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = layers.Conv2D(
            expansion * in_channels,
            kernel_size=1,
            padding="same",
            use_bias=False,
            activation=None,
            name=f"{prefix}expand",
        )(x)
        x = layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(
        kernel_size=3,
        strides=stride,
        activation=None,
        use_bias=False,
        padding="same" if stride == 1 else "valid",
        name=f"{prefix}depthwise",
    )(x)
    x = layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(
        pointwise_filters, kernel_size=1, padding="same", use_bias=False, activation=None, name=f"{prefix}project"
    )(x)
    x = layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=f"{prefix}project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def _make_divisible(v, divisor, min_value=None):
    """``v`` rounded to the nearest multiple of ``divisor`` (at least ``min_value``), never 10% below ``v``."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def preprocess_input(x, data_format=None):
    """Images in ``[0, 255]`` to MobileNetV2's input: scaled to ``[-1, 1]`` ("tf").

    Examples
    --------
    >>> import numpy as np
    >>> preprocess_input(np.full((1, 1, 3), 255.0))[0, 0]
    array([1., 1., 1.])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row of ``preds`` (see ``imagenet_utils.decode_predictions``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
