"""The VGG networks: blocks of 3x3 convolutions, each closed by a 2x2 max pooling."""

from learnet import layers
from learnet.applications import _common, imagenet_utils

_FILTERS = (64, 128, 256, 512, 512)


def build_vgg(
    convs_per_block, family, include_top, weights, input_tensor, input_shape, pooling, classes, activation, name
):
    """VGG with ``convs_per_block[i]`` convolutions in block ``i + 1`` (VGG16: 2, 2, 3, 3, 3)."""
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
    x = img_input
    for block, (filters, convs) in enumerate(zip(_FILTERS, convs_per_block), start=1):
        for conv in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{conv}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(activation, weights)
        x = layers.Dense(classes, activation=activation, name="predictions")(x)
    else:
        x = _common.pooled(x, pooling)
    model = _common.functional(_common.model_inputs(input_tensor, img_input), x, name)
    file_name = f"{family}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return _common.load_weights(model, weights, file_name, f"{_common.KERAS_WEIGHTS}{family}/{file_name}")


# The docstring of VGG16 and VGG19.
DOC = """The {model} network, with random weights or ImageNet's.

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
    pooling : {{None, "avg", "max"}}, optional
        Without the top: the 4-D output of the last block, or pooled to ``(batch, 512)``.
    classes : int, default 1000
        The number of classes of the top (1000 with ImageNet's weights).
    classifier_activation : str or callable, default "softmax"
        The top's activation; ``None`` gives logits. Only ``None`` or ``"softmax"`` with weights.
    name : str, default "{default_name}"

    Returns
    -------
    Model

    Examples
    --------
    >>> model = {model}(weights=None, classes=10, input_shape=(224, 224, 3))  # doctest: +SKIP
    """


def preprocess_input(x, data_format=None):
    """Images in ``[0, 255]`` to a VGG network's input: RGB to BGR, minus ImageNet's mean pixel ("caffe").

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
