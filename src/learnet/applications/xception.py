"""Xception (``keras.applications.xception``): depthwise separable convolutions throughout,
in residual blocks ("extreme inception").

Reference: the paper *Xception: Deep Learning with Depthwise Separable Convolutions* (CVPR
2017). The layers, their names and their weights are those of Keras 3, so Keras' ImageNet
weights load into it.

Examples
--------
>>> from learnet.applications import xception
>>> model = xception.Xception(weights=None, include_top=False, input_shape=(71, 71, 3), pooling="avg")
>>> model.output_shape
(None, 2048)
"""

from learnet import layers
from learnet.applications import _common, imagenet_utils

__all__ = ["Xception", "preprocess_input", "decode_predictions"]


def _separable(x, filters, name):
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(axis=-1, name=f"{name}_bn")(x)


def _shortcut(x, filters):
    residual = layers.Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    return layers.BatchNormalization(axis=-1)(residual)


def _down_block(x, block, filters, first_relu=True):
    """Two separable convolutions and a strided max pooling, plus a strided 1x1 shortcut."""
    residual = _shortcut(x, filters[1])
    if first_relu:
        x = layers.Activation("relu", name=f"block{block}_sepconv1_act")(x)
    x = _separable(x, filters[0], f"block{block}_sepconv1")
    x = layers.Activation("relu", name=f"block{block}_sepconv2_act")(x)
    x = _separable(x, filters[1], f"block{block}_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return layers.add([x, residual])


def Xception(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="xception",
):
    """The Xception network, with random weights or ImageNet's.

    Parameters
    ----------
    include_top : bool, default True
        Whether to keep the classifier on top (then the input is 299x299x3).
    weights : None, "imagenet" or str, default "imagenet"
        Random initialisation, ImageNet's weights (downloaded once into the ``models`` cache
        folder), or the path of a weights file to load.
    input_tensor : tensor, optional
        A symbolic tensor (``keras.Input``) to use as the image input.
    input_shape : tuple, optional
        The shape of one image without the top, at least 71x71 with 3 channels.
    pooling : {None, "avg", "max"}, optional
        Without the top: the 4-D output of the last block, or pooled to ``(batch, 2048)``.
    classes : int, default 1000
    classifier_activation : str or callable, default "softmax"
    name : str, default "xception"

    Returns
    -------
    Model

    Examples
    --------
    >>> model = Xception(weights=None, include_top=False, input_shape=(150, 150, 3))  # doctest: +SKIP
    """
    _common.check_weights(weights, include_top, classes, pooling)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=299,
        min_size=71,
        data_format="channels_last",
        require_flatten=include_top,
        weights=weights,
    )
    img_input = _common.image_input(input_tensor, input_shape)
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.BatchNormalization(axis=-1, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=-1, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)

    # entry flow: blocks 2 to 4
    x = _down_block(x, 2, (128, 128), first_relu=False)
    x = _down_block(x, 3, (256, 256))
    x = _down_block(x, 4, (728, 728))

    # middle flow: blocks 5 to 12, each three separable convolutions around an identity shortcut
    for i in range(8):
        residual = x
        prefix = f"block{i + 5}"
        for conv in (1, 2, 3):
            x = layers.Activation("relu", name=f"{prefix}_sepconv{conv}_act")(x)
            x = _separable(x, 728, f"{prefix}_sepconv{conv}")
        x = layers.add([x, residual])

    # exit flow
    x = _down_block(x, 13, (728, 1024))
    x = _separable(x, 1536, "block14_sepconv1")
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = _separable(x, 2048, "block14_sepconv2")
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _common.pooled(x, pooling)
    model = _common.functional(_common.model_inputs(input_tensor, img_input), x, name)
    file_name = f"xception_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return _common.load_weights(model, weights, file_name, f"{_common.KERAS_WEIGHTS}xception/{file_name}")


def preprocess_input(x, data_format=None):
    """Images in ``[0, 255]`` to Xception's input: scaled to ``[-1, 1]`` ("tf").

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
