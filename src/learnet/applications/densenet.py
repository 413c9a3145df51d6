"""DenseNet121, DenseNet169 and DenseNet201 (``keras.applications.densenet``): dense blocks,
where every layer receives the feature maps of all layers before it (concatenated), joined by
transition layers that halve the channels and the image.

Reference: the paper *Densely Connected Convolutional Networks* (CVPR 2017). The layers,
their names and their weights are those of Keras 3, so Keras' ImageNet weights load into them.

Examples
--------
>>> from learnet.applications import densenet
>>> model = densenet.DenseNet121(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
>>> model.output_shape
(None, 1024)
"""

from learnet import layers
from learnet.applications import _common, imagenet_utils

__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "preprocess_input", "decode_predictions"]

_EPSILON = 1.001e-5
_FAMILY = {(6, 12, 24, 16): "densenet121", (6, 12, 32, 32): "densenet169", (6, 12, 48, 32): "densenet201"}


def dense_block(x, blocks, name):
    """``blocks`` convolution blocks, each adding 32 channels."""
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    """Batch normalization, ReLU, a 1x1 convolution to ``reduction`` times the channels, 2x2 average pooling."""
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[3] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def conv_block(x, growth_rate, name):
    """A 1x1 then a 3x3 convolution (each after batch normalization and ReLU), concatenated to ``x``."""
    x1 = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_0_bn")(x)
    x1 = layers.Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_1_bn")(x1)
    x1 = layers.Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x1)
    return layers.Concatenate(axis=3, name=f"{name}_concat")([x, x1])


def DenseNet(
    blocks,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet",
):
    """A DenseNet with ``blocks[i]`` convolution blocks in dense block ``i`` (DenseNet121: 6, 12, 24, 16)."""
    _common.check_weights(weights, include_top, classes, pooling)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=224,
        min_size=32,
        data_format="channels_last",
        require_flatten=include_top,
        weights=weights,
    )
    img_input = _common.image_input(input_tensor, input_shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks, start=2):
        x = dense_block(x, count, name=f"conv{stage}")
        if stage < 5:
            x = transition_block(x, 0.5, name=f"pool{stage}")
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _common.pooled(x, pooling, "avg_pool", "max_pool")
    model = _common.functional(_common.model_inputs(input_tensor, img_input), x, name)
    if weights == "imagenet":
        family = _FAMILY.get(tuple(blocks))
        if family is None:
            raise ValueError(f"there are no ImageNet weights for a DenseNet with blocks={list(blocks)}")
        file_name = f"{family}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
        return _common.load_weights(model, weights, file_name, f"{_common.KERAS_WEIGHTS}densenet/{file_name}")
    return _common.load_weights(model, weights)


_DOC = """The {model} network, with random weights or ImageNet's.

    Parameters
    ----------
    include_top : bool, default True
        Whether to keep the classifier on top (then the input is 224x224x3).
    weights : None, "imagenet" or str, default "imagenet"
        Random initialisation, ImageNet's weights (downloaded once into the ``models`` cache
        folder), or the path of a weights file to load.
    input_tensor : tensor, optional
        A symbolic tensor (``keras.Input``) to use as the image input.
    input_shape : tuple, optional
        The shape of one image without the top, at least 32x32 with 3 channels.
    pooling : {{None, "avg", "max"}}, optional
    classes : int, default 1000
    classifier_activation : str or callable, default "softmax"
    name : str, default "{default_name}"

    Returns
    -------
    Model

    Examples
    --------
    >>> model = {model}(weights=None, include_top=False, input_shape=(64, 64, 3))  # doctest: +SKIP
    """


def DenseNet121(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet121",
):
    return DenseNet(
        [6, 12, 24, 16],
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name=name,
    )


def DenseNet169(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet169",
):
    return DenseNet(
        [6, 12, 32, 32],
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name=name,
    )


def DenseNet201(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet201",
):
    return DenseNet(
        [6, 12, 48, 32],
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name=name,
    )


DenseNet121.__doc__ = _DOC.format(model="DenseNet121", default_name="densenet121")
DenseNet169.__doc__ = _DOC.format(model="DenseNet169", default_name="densenet169")
DenseNet201.__doc__ = _DOC.format(model="DenseNet201", default_name="densenet201")


def preprocess_input(x, data_format=None):
    """Images in ``[0, 255]`` to DenseNet's input: scaled to ``[0, 1]``, then standardised with
    ImageNet's mean and standard deviation per channel ("torch").

    Examples
    --------
    >>> import numpy as np
    >>> preprocess_input(np.zeros((1, 1, 3), dtype="float32"))[0, 0].round(3)
    array([-2.118, -2.036, -1.804], dtype=float32)
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row of ``preds`` (see ``imagenet_utils.decode_predictions``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
