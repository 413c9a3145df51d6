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

from learnet.applications._vgg import DOC, build_vgg, decode_predictions, preprocess_input

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


VGG16.__doc__ = DOC.format(model="VGG16", default_name="vgg16")
