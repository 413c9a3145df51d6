"""ResNet50V2, ResNet101V2 and ResNet152V2 (``keras.applications.resnet_v2``): residual networks
whose blocks normalize and activate before each convolution ("pre-activation").

Reference: the paper *Identity Mappings in Deep Residual Networks* (ECCV 2016). The layers,
their names and their weights are those of Keras 3, so Keras' ImageNet weights load into them.

Examples
--------
>>> from learnet.applications import resnet_v2
>>> model = resnet_v2.ResNet50V2(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="max")
>>> model.output_shape
(None, 2048)
"""

from learnet.applications import imagenet_utils
from learnet.applications.resnet import DOC, build_resnet, stack_residual_blocks_v2

__all__ = ["ResNet50V2", "ResNet101V2", "ResNet152V2", "preprocess_input", "decode_predictions"]


def _v2_stages(blocks):
    def stack_fn(x):
        x = stack_residual_blocks_v2(x, 64, blocks[0], name="conv2")
        x = stack_residual_blocks_v2(x, 128, blocks[1], name="conv3")
        x = stack_residual_blocks_v2(x, 256, blocks[2], name="conv4")
        return stack_residual_blocks_v2(x, 512, blocks[3], stride1=1, name="conv5")

    return stack_fn


def ResNet50V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet50v2",
):
    return build_resnet(
        _v2_stages((3, 4, 6, 3)),
        True,
        True,
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
        weights_name="resnet50v2",
    )


def ResNet101V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet101v2",
):
    return build_resnet(
        _v2_stages((3, 4, 23, 3)),
        True,
        True,
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
        weights_name="resnet101v2",
    )


def ResNet152V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet152v2",
):
    return build_resnet(
        _v2_stages((3, 8, 36, 3)),
        True,
        True,
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
        weights_name="resnet152v2",
    )


ResNet50V2.__doc__ = DOC.format(model="ResNet50V2", version="v2", depth=50, default_name="resnet50v2")
ResNet101V2.__doc__ = DOC.format(model="ResNet101V2", version="v2", depth=101, default_name="resnet101v2")
ResNet152V2.__doc__ = DOC.format(model="ResNet152V2", version="v2", depth=152, default_name="resnet152v2")


def preprocess_input(x, data_format=None):
    """Images in ``[0, 255]`` to ResNet v2's input: scaled to ``[-1, 1]`` ("tf").

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
