"""InceptionResNetV2 (``keras.applications.inception_resnet_v2``): inception modules whose
concatenated branches are added, scaled down, to their input as a residual.

Reference: *Inception-v4, Inception-ResNet and the Impact of Residual Connections on
Learning* (AAAI 2017). The layers, their names (Keras names most of them automatically:
``conv2d_5``, ``batch_normalization_5``...), their order and their weights are those of
Keras 3, so Keras' ImageNet weights load into it. It takes pixels scaled to ``[-1, 1]``
(:func:`preprocess_input`).

Examples
--------
>>> from learnet.applications import inception_resnet_v2
>>> model = inception_resnet_v2.InceptionResNetV2(weights=None, include_top=False, input_shape=(75, 75, 3))
>>> model.output_shape
(None, 1, 1, 1536)
"""

from learnet import layers
from learnet.applications import _common, imagenet_utils
from learnet.layers.base import Layer

__all__ = ["InceptionResNetV2", "CustomScaleLayer", "preprocess_input", "decode_predictions"]

BASE_WEIGHT_URL = _common.KERAS_WEIGHTS + "inception_resnet_v2/"

#: MD5 digests of Keras' weight files.
WEIGHTS_HASHES = {
    "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5": "e693bd0210a403b3192acc6073ad2e96",
    "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5": "d19885ff4a710c122648d3b5c3b684e4",
}


def InceptionResNetV2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="inception_resnet_v2",
):
    """The InceptionResNetV2 network, with random weights or ImageNet's.

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
        Without the top: the 4-D output of the last block, or pooled to ``(batch, 1536)``.
    classes : int, default 1000
    classifier_activation : str or callable, default "softmax"
    name : str, default "inception_resnet_v2"

    Returns
    -------
    Model

    Examples
    --------
    >>> model = InceptionResNetV2(weights=None, include_top=False, input_shape=(150, 150, 3))  # doctest: +SKIP
    """
    _common.check_weights(weights, include_top, classes, pooling)
    _common.check_input_tensor(input_tensor)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=299,
        min_size=75,
        data_format="channels_last",
        require_flatten=include_top,
        weights=weights,
    )
    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
    img_input = _common.image_input(input_tensor, input_shape)

    # Stem: 35 x 35 x 192
    x = conv2d_bn(img_input, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)

    # mixed 5b (Inception-A): 35 x 35 x 320
    branch_0 = conv2d_bn(x, 96, 1)
    branch_1 = conv2d_bn(conv2d_bn(x, 48, 1), 64, 5)
    branch_2 = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1), 96, 3), 96, 3)
    branch_pool = layers.AveragePooling2D(3, strides=1, padding="same")(x)
    branch_pool = conv2d_bn(branch_pool, 64, 1)
    x = layers.Concatenate(axis=3, name="mixed_5b")([branch_0, branch_1, branch_2, branch_pool])

    # 10 x block35 (Inception-ResNet-A): 35 x 35 x 320
    for block_idx in range(1, 11):
        x = inception_resnet_block(x, scale=0.17, block_type="block35", block_idx=block_idx)

    # mixed 6a (Reduction-A): 17 x 17 x 1088
    branch_0 = conv2d_bn(x, 384, 3, strides=2, padding="valid")
    branch_1 = conv2d_bn(conv2d_bn(conv2d_bn(x, 256, 1), 256, 3), 384, 3, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=3, name="mixed_6a")([branch_0, branch_1, branch_pool])

    # 20 x block17 (Inception-ResNet-B): 17 x 17 x 1088
    for block_idx in range(1, 21):
        x = inception_resnet_block(x, scale=0.1, block_type="block17", block_idx=block_idx)

    # mixed 7a (Reduction-B): 8 x 8 x 2080
    branch_0 = conv2d_bn(conv2d_bn(x, 256, 1), 384, 3, strides=2, padding="valid")
    branch_1 = conv2d_bn(conv2d_bn(x, 256, 1), 288, 3, strides=2, padding="valid")
    branch_2 = conv2d_bn(conv2d_bn(conv2d_bn(x, 256, 1), 288, 3), 320, 3, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=3, name="mixed_7a")([branch_0, branch_1, branch_2, branch_pool])

    # 10 x block8 (Inception-ResNet-C): 8 x 8 x 2080, the last without its ReLU
    for block_idx in range(1, 10):
        x = inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=block_idx)
    x = inception_resnet_block(x, scale=1.0, activation=None, block_type="block8", block_idx=10)

    # Final convolution block: 8 x 8 x 1536
    x = conv2d_bn(x, 1536, 1, name="conv_7b")

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _common.pooled(x, pooling)
    model = _common.functional(_common.model_inputs(input_tensor, img_input), x, name)
    file_name = f"inception_resnet_v2_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    if weights == "imagenet":
        from learnet.dataset_utils import get_file

        weights = get_file(
            file_name, BASE_WEIGHT_URL + file_name, cache_subdir="models", file_hash=WEIGHTS_HASHES[file_name]
        )
    return _common.load_weights(model, weights)


def conv2d_bn(x, filters, kernel_size, strides=1, padding="same", activation="relu", use_bias=False, name=None):
    """A convolution, then (without a bias) batch normalization without scale, then ``activation``.

    With ``name``, the layers are ``<name>``, ``<name>_bn`` and ``<name>_ac``.
    """
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias, name=name)(x)
    if not use_bias:
        x = layers.BatchNormalization(axis=3, scale=False, name=None if name is None else f"{name}_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


class CustomScaleLayer(Layer):
    """``inputs[0] + scale * inputs[1]``: a residual branch added, scaled, to its input.

    Parameters
    ----------
    scale : float

    Examples
    --------
    >>> import numpy as np
    >>> CustomScaleLayer(0.5)([np.ones((1, 2)), np.ones((1, 2))]).numpy()
    array([[1.5, 1.5]], dtype=float32)
    """

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"CustomScaleLayer '{self.name}' expects a list of two inputs, got {inputs!r}")
        return inputs[0] + inputs[1] * self.scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        config = super().get_config()
        config.update(scale=self.scale)
        return config


def inception_resnet_block(x, scale, block_type, block_idx, activation="relu"):
    """An Inception-ResNet block: ``x + scale * r``, ``r`` the 1x1 convolution of the
    concatenated branches of ``block_type`` (``"block35"``, ``"block17"`` or ``"block8"``),
    then ``activation``. Its layers' names start with ``<block_type>_<block_idx>``."""
    if block_type == "block35":
        branches = [
            conv2d_bn(x, 32, 1),
            conv2d_bn(conv2d_bn(x, 32, 1), 32, 3),
            conv2d_bn(conv2d_bn(conv2d_bn(x, 32, 1), 48, 3), 64, 3),
        ]
    elif block_type == "block17":
        branches = [conv2d_bn(x, 192, 1), conv2d_bn(conv2d_bn(conv2d_bn(x, 128, 1), 160, [1, 7]), 192, [7, 1])]
    elif block_type == "block8":
        branches = [conv2d_bn(x, 192, 1), conv2d_bn(conv2d_bn(conv2d_bn(x, 192, 1), 224, [1, 3]), 256, [3, 1])]
    else:
        raise ValueError(
            f'Unknown Inception-ResNet block type. Expects "block35", "block17" or "block8", but got: {block_type}'
        )
    block_name = f"{block_type}_{block_idx}"
    mixed = layers.Concatenate(axis=3, name=f"{block_name}_mixed")(branches)
    up = conv2d_bn(mixed, x.shape[3], 1, activation=None, use_bias=True, name=f"{block_name}_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{block_name}_ac")(x)
    return x


def preprocess_input(x, data_format=None):
    """Images in ``[0, 255]`` to InceptionResNetV2's input: scaled to ``[-1, 1]`` ("tf").

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
