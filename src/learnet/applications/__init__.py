"""Ready-made image networks, as ``keras.applications``: random weights or ImageNet's.

Each family has its module, with the model functions, ``preprocess_input`` (what the network
expects of pixels in ``[0, 255]``) and ``decode_predictions`` (ImageNet's class names of the
top scores): ``vgg16``, ``vgg19``, ``resnet`` (and ``resnet50``), ``resnet_v2``,
``mobilenet``, ``mobilenet_v2``, ``mobilenet_v3``, ``inception_v3``, ``inception_resnet_v2``,
``xception``, ``densenet``, ``efficientnet``, ``efficientnet_v2`` and ``convnext``. The layers, their names, their order and their weights are those of Keras
3, so Keras' ImageNet weight files load into them: ``weights="imagenet"`` fetches the file
Keras fetches, once, through ``keras.utils.get_file`` (into the cache's ``models`` folder).

Examples
--------
>>> import learnet as keras
>>> base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights=None)
>>> base.output_shape
(None, 1, 1, 1280)
>>> keras.applications.mobilenet_v2.preprocess_input([[0.0, 127.5, 255.0]])
array([[-1.,  0.,  1.]], dtype=float32)
"""

from learnet.applications import (
    convnext,
    densenet,
    efficientnet,
    efficientnet_v2,
    imagenet_utils,
    inception_resnet_v2,
    inception_v3,
    mobilenet,
    mobilenet_v2,
    mobilenet_v3,
    resnet,
    resnet50,
    resnet_v2,
    vgg16,
    vgg19,
    xception,
)
from learnet.applications.convnext import ConvNeXtBase, ConvNeXtLarge, ConvNeXtSmall, ConvNeXtTiny, ConvNeXtXLarge
from learnet.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from learnet.applications.efficientnet import (
    EfficientNetB0,
    EfficientNetB1,
    EfficientNetB2,
    EfficientNetB3,
    EfficientNetB4,
    EfficientNetB5,
    EfficientNetB6,
    EfficientNetB7,
)
from learnet.applications.efficientnet_v2 import (
    EfficientNetV2B0,
    EfficientNetV2B1,
    EfficientNetV2B2,
    EfficientNetV2B3,
    EfficientNetV2L,
    EfficientNetV2M,
    EfficientNetV2S,
)
from learnet.applications.inception_resnet_v2 import InceptionResNetV2
from learnet.applications.inception_v3 import InceptionV3
from learnet.applications.mobilenet import MobileNet
from learnet.applications.mobilenet_v2 import MobileNetV2
from learnet.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from learnet.applications.resnet import ResNet50, ResNet101, ResNet152
from learnet.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from learnet.applications.vgg16 import VGG16
from learnet.applications.vgg19 import VGG19
from learnet.applications.xception import Xception

__all__ = [
    "convnext",
    "densenet",
    "efficientnet",
    "efficientnet_v2",
    "imagenet_utils",
    "inception_resnet_v2",
    "inception_v3",
    "mobilenet",
    "mobilenet_v2",
    "mobilenet_v3",
    "resnet",
    "resnet50",
    "resnet_v2",
    "vgg16",
    "vgg19",
    "xception",
    "ConvNeXtTiny",
    "ConvNeXtSmall",
    "ConvNeXtBase",
    "ConvNeXtLarge",
    "ConvNeXtXLarge",
    "DenseNet121",
    "DenseNet169",
    "DenseNet201",
    "EfficientNetB0",
    "EfficientNetB1",
    "EfficientNetB2",
    "EfficientNetB3",
    "EfficientNetB4",
    "EfficientNetB5",
    "EfficientNetB6",
    "EfficientNetB7",
    "EfficientNetV2B0",
    "EfficientNetV2B1",
    "EfficientNetV2B2",
    "EfficientNetV2B3",
    "EfficientNetV2S",
    "EfficientNetV2M",
    "EfficientNetV2L",
    "InceptionResNetV2",
    "InceptionV3",
    "MobileNet",
    "MobileNetV2",
    "MobileNetV3Small",
    "MobileNetV3Large",
    "ResNet50",
    "ResNet101",
    "ResNet152",
    "ResNet50V2",
    "ResNet101V2",
    "ResNet152V2",
    "VGG16",
    "VGG19",
    "Xception",
]
