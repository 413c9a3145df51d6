"""InceptionV3 (``keras.applications.inception_v3``): "inception" modules, each running
branches of different filter sizes side by side and concatenating what they found.

Reference: the paper *Rethinking the Inception Architecture for Computer Vision* (CVPR
2016). The layers, their order and their weights are those of Keras 3 (Keras names most of
them automatically: ``conv2d_5``, ``batch_normalization_5``...), so Keras' ImageNet weights
load into it.

Examples
--------
>>> from learnet.applications import inception_v3
>>> model = inception_v3.InceptionV3(weights=None, include_top=False, input_shape=(75, 75, 3))
>>> model.output_shape
(None, 1, 1, 2048)
"""

from learnet import layers
from learnet.applications import _common, imagenet_utils

__all__ = ["InceptionV3", "preprocess_input", "decode_predictions"]


def InceptionV3(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="inception_v3",
):
    """The InceptionV3 network, with random weights or ImageNet's.

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
        The shape of one image without the top, at least 75x75 with 3 channels.
    pooling : {None, "avg", "max"}, optional
        Without the top: the 4-D output of the last module, or pooled to ``(batch, 2048)``.
    classes : int, default 1000
    classifier_activation : str or callable, default "softmax"
    name : str, default "inception_v3"

    Returns
    -------
    Model

    Examples
    --------
    >>> model = InceptionV3(weights=None, include_top=False, input_shape=(150, 150, 3))  # doctest: +SKIP
    """
    _common.check_weights(weights, include_top, classes, pooling)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=299,
        min_size=75,
        data_format="channels_last",
        require_flatten=include_top,
        weights=weights,
    )
    img_input = _common.image_input(input_tensor, input_shape)
    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)

    # mixed 0, 1, 2: 35 x 35 x 256, 288, 288
    for index, pool_filters in enumerate((32, 64, 64)):
        branch1x1 = conv2d_bn(x, 64, 1, 1)
        branch5x5 = conv2d_bn(conv2d_bn(x, 48, 1, 1), 64, 5, 5)
        branch3x3dbl = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
        branch_pool = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
        branch_pool = conv2d_bn(branch_pool, pool_filters, 1, 1)
        x = layers.concatenate([branch1x1, branch5x5, branch3x3dbl, branch_pool], axis=3, name=f"mixed{index}")

    # mixed 3: 17 x 17 x 768
    branch3x3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    branch3x3dbl = conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([branch3x3, branch3x3dbl, branch_pool], axis=3, name="mixed3")

    # mixed 4, 5, 6, 7: 17 x 17 x 768, factorised 7x7 convolutions
    for index, width in ((4, 128), (5, 160), (6, 160), (7, 192)):
        branch1x1 = conv2d_bn(x, 192, 1, 1)
        branch7x7 = conv2d_bn(conv2d_bn(conv2d_bn(x, width, 1, 1), width, 1, 7), 192, 7, 1)
        branch7x7dbl = conv2d_bn(x, width, 1, 1)
        branch7x7dbl = conv2d_bn(branch7x7dbl, width, 7, 1)
        branch7x7dbl = conv2d_bn(branch7x7dbl, width, 1, 7)
        branch7x7dbl = conv2d_bn(branch7x7dbl, width, 7, 1)
        branch7x7dbl = conv2d_bn(branch7x7dbl, 192, 1, 7)
        branch_pool = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
        branch_pool = conv2d_bn(branch_pool, 192, 1, 1)
        x = layers.concatenate([branch1x1, branch7x7, branch7x7dbl, branch_pool], axis=3, name=f"mixed{index}")

    # mixed 8: 8 x 8 x 1280
    branch3x3 = conv2d_bn(conv2d_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid")
    branch7x7x3 = conv2d_bn(conv2d_bn(conv2d_bn(x, 192, 1, 1), 192, 1, 7), 192, 7, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([branch3x3, branch7x7x3, branch_pool], axis=3, name="mixed8")

    # mixed 9, 10: 8 x 8 x 2048
    for i in range(2):
        branch1x1 = conv2d_bn(x, 320, 1, 1)
        branch3x3 = conv2d_bn(x, 384, 1, 1)
        branch3x3 = layers.concatenate(
            [conv2d_bn(branch3x3, 384, 1, 3), conv2d_bn(branch3x3, 384, 3, 1)], axis=3, name=f"mixed9_{i}"
        )
        branch3x3dbl = conv2d_bn(conv2d_bn(x, 448, 1, 1), 384, 3, 3)
        branch3x3dbl = layers.concatenate(
            [conv2d_bn(branch3x3dbl, 384, 1, 3), conv2d_bn(branch3x3dbl, 384, 3, 1)], axis=3
        )
        branch_pool = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
        branch_pool = conv2d_bn(branch_pool, 192, 1, 1)
        x = layers.concatenate([branch1x1, branch3x3, branch3x3dbl, branch_pool], axis=3, name=f"mixed{9 + i}")

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _common.pooled(x, pooling)
    model = _common.functional(_common.model_inputs(input_tensor, img_input), x, name)
    file_name = f"inception_v3_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return _common.load_weights(model, weights, file_name, f"{_common.KERAS_WEIGHTS}inception_v3/{file_name}")


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """A convolution without bias, batch normalization without scale, and a ReLU.

    With ``name``, the three layers are ``<name>_conv``, ``<name>_bn`` and ``<name>``.
    """
    conv_name = None if name is None else f"{name}_conv"
    bn_name = None if name is None else f"{name}_bn"
    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding, use_bias=False, name=conv_name)(x)
    x = layers.BatchNormalization(axis=3, scale=False, name=bn_name)(x)
    return layers.Activation("relu", name=name)(x)


def preprocess_input(x, data_format=None):
    """Images in ``[0, 255]`` to InceptionV3's input: scaled to ``[-1, 1]`` ("tf").

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
