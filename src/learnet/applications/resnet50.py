"""``keras.applications.resnet50``: ResNet50 and its preprocessing, as in :mod:`learnet.applications.resnet`.

Examples
--------
>>> from learnet.applications import resnet50
>>> resnet50.ResNet50 is resnet50.resnet.ResNet50
True
"""

from learnet.applications import resnet
from learnet.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "preprocess_input", "decode_predictions", "resnet"]
