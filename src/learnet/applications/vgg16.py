"""VGG16 (``keras.applications.vgg16``): thirteen 3x3 convolutions in five blocks, then three dense layers.

Reference: the paper *Very Deep Convolutional Networks for Large-Scale Image
Recognition* (ICLR 2015). The layers, their names and their weights are those of Keras 3, so
Keras' ImageNet weights load into it.

Examples
--------
>>> from learnet.applications import vgg16
>>> model = vgg16.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
>>> model.output_shape
(None, 1, 1, 512)
"""

from learnet.applications import imagenet_utils
from learnet.applications._vgg import build_vgg

__all__ = ["VGG16", "preprocess_input", "decode_predictions"]


def VGG16(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="vgg16",
):
    """The VGG16 network, with random weights or ImageNet's.

    Parameters
    ----------
    include_top : bool, default True
        Whether to keep the three dense layers on top (then the input is 224x224x3).
    weights : None, "imagenet" or str, default "imagenet"
        Random initialisation, ImageNet's weights (downloaded once into the ``models`` cache
        folder), or the path of a weights file to load.
    input_tensor : tensor, optional
        A symbolic tensor (``keras.Input``) to use as the image input.
    input_shape : tuple, optional
        The shape of one image without the top, at least 32x32 with 3 channels.
    pooling : {None, "avg", "max"}, optional
        Without the top: the 4-D output of the last block, or pooled to ``(batch, 512)``.
    classes : int, default 1000
        The number of classes of the top (1000 with ImageNet's weights).
    classifier_activation : str or callable, default "softmax"
        The top's activation; ``None`` gives logits. Only ``None`` or ``"softmax"`` with weights.
    name : str, default "vgg16"

    Returns
    -------
    Model

    Examples
    --------
    >>> model = VGG16(weights=None, classes=10, input_shape=(224, 224, 3))  # doctest: +SKIP
    """
    return build_vgg(
        (2, 2, 3, 3, 3),
        "vgg16",
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


def preprocess_input(x, data_format=None):
    """Images in ``[0, 255]`` to VGG16's input: RGB to BGR, minus ImageNet's mean pixel ("caffe").

    Examples
    --------
    >>> import numpy as np
    >>> preprocess_input(np.zeros((1, 1, 3), dtype="float32"))[0, 0]
    array([-103.939, -116.779, -123.68 ], dtype=float32)
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row of ``preds`` (see ``imagenet_utils.decode_predictions``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
