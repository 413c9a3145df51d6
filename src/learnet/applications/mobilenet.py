"""MobileNet (``keras.applications.mobilenet``): depthwise separable convolutions, each a 3x3
depthwise convolution (one filter per channel) followed by a 1x1 convolution mixing channels.

Reference: the paper *MobileNets: Efficient Convolutional Neural Networks for Mobile
Vision Applications* (2017). The layers, their names and their weights are those of Keras 3,
so Keras' ImageNet weights load into it.

Examples
--------
>>> from learnet.applications import mobilenet
>>> model = mobilenet.MobileNet(weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.25)
>>> model.output_shape
(None, 1, 1, 256)
"""

from learnet import layers
from learnet.applications import _common, imagenet_utils
from learnet.warn import warn

__all__ = ["MobileNet", "preprocess_input", "decode_predictions"]

_SIZES = (128, 160, 192, 224)
# (pointwise filters, stride) of the 13 depthwise separable blocks.
_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)) + ((512, 1),) * 5 + ((1024, 2), (1024, 1))


def MobileNet(
    input_shape=None,
    alpha=1.0,
    depth_multiplier=1,
    dropout=1e-3,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """The MobileNet network, with random weights or ImageNet's.

    Parameters
    ----------
    input_shape : tuple, optional
        The shape of one image, at least 32x32; 224x224x3 with the top by default.
    alpha : float, default 1.0
        The width: every layer has ``alpha`` times its filters (0.25, 0.5, 0.75 or 1.0 for
        ImageNet's weights).
    depth_multiplier : int, default 1
        The depthwise convolutions' outputs per channel (1 for ImageNet's weights).
    dropout : float, default 1e-3
        The dropout rate before the classifier.
    include_top : bool, default True
    weights : None, "imagenet" or str, default "imagenet"
        Random initialisation, ImageNet's weights (for a square input of side 128, 160, 192 or
        224, else those of 224), or the path of a weights file to load.
    input_tensor : tensor, optional
        A symbolic tensor (``keras.Input``) to use as the image input.
    pooling : {None, "avg", "max"}, optional
    classes : int, default 1000
    classifier_activation : str or callable, default "softmax"
    name : str, optional
        ``mobilenet_<alpha>_<rows>`` by default.

    Returns
    -------
    Model

    Examples
    --------
    >>> model = MobileNet(weights=None, input_shape=(128, 128, 3), alpha=0.5)  # doctest: +SKIP
    """
    _common.check_weights(weights, include_top, classes, pooling)
    default_size = 224
    if input_shape is not None and input_shape[0] == input_shape[1] and input_shape[0] in _SIZES:
        default_size = input_shape[0]
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=default_size,
        min_size=32,
        data_format="channels_last",
        require_flatten=include_top,
        weights=weights,
    )
    rows, cols = input_shape[0], input_shape[1]
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError(
                f"If imagenet weights are being loaded, depth_multiplier must be 1; got depth_multiplier={depth_multiplier}"
            )
        if alpha not in (0.25, 0.50, 0.75, 1.0):
            raise ValueError(
                f"If imagenet weights are being loaded, alpha can be one of 0.25, 0.50, 0.75 or 1.0 only; got alpha={alpha}"
            )
        if rows != cols or rows not in _SIZES:
            rows = 224
            warn(
                "input_shape is undefined or non-square, or rows is not in [128, 160, 192, 224]. Weights for "
                "input shape (224, 224) will be loaded as the default."
            )
    img_input = _common.image_input(input_tensor, input_shape)
    x = _conv_block(img_input, 32, alpha, strides=(2, 2))
    for block_id, (filters, stride) in enumerate(_BLOCKS, start=1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier, strides=(stride, stride), block_id=block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = _common.pooled(x, pooling)
    if name is None:
        name = f"mobilenet_{alpha:0.2f}_{rows}"
    model = _common.functional(_common.model_inputs(input_tensor, img_input), x, name)
    alpha_text = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0"}.get(alpha, "2_5")
    file_name = f"mobilenet_{alpha_text}_{rows}_tf{'' if include_top else '_no_top'}.h5"
    return _common.load_weights(model, weights, file_name, f"{_common.KERAS_WEIGHTS}mobilenet/{file_name}")


def _conv_block(inputs, filters, alpha, kernel=(3, 3), strides=(1, 1)):
    x = layers.Conv2D(int(filters * alpha), kernel, padding="same", use_bias=False, strides=strides, name="conv1")(
        inputs
    )
    x = layers.BatchNormalization(axis=-1, name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(inputs, pointwise_filters, alpha, depth_multiplier=1, strides=(1, 1), block_id=1):
    """A 3x3 depthwise convolution and a 1x1 convolution, each with batch normalization and ReLU6."""
    x = inputs
    if strides != (1, 1):
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D(
        (3, 3),
        padding="same" if strides == (1, 1) else "valid",
        depth_multiplier=depth_multiplier,
        strides=strides,
        use_bias=False,
        name=f"conv_dw_{block_id}",
    )(x)
    x = layers.BatchNormalization(axis=-1, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(
        int(pointwise_filters * alpha),
        (1, 1),
        padding="same",
        use_bias=False,
        strides=(1, 1),
        name=f"conv_pw_{block_id}",
    )(x)
    x = layers.BatchNormalization(axis=-1, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def preprocess_input(x, data_format=None):
    """Images in ``[0, 255]`` to MobileNet's input: scaled to ``[-1, 1]`` ("tf").

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
