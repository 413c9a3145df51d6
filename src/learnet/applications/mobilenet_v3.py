"""MobileNetV3Small and MobileNetV3Large (``keras.applications.mobilenet_v3``): MobileNetV2's
inverted residual blocks with squeeze-and-excitation and the hard-swish activation, their
layout found by architecture search.

Reference: the paper *Searching for MobileNetV3* (ICCV 2019). The layers, their names and
their weights are those of Keras 3, so Keras' ImageNet weights load into them. The networks
take pixels in ``[0, 255]``: with ``include_preprocessing=True`` (the default) their first
layer is a ``Rescaling`` to ``[-1, 1]``, and :func:`preprocess_input` returns its input
unchanged.

Two activations make the network cheap to run on a phone:

- hard sigmoid, ``relu6(x + 3) / 6``: a piecewise linear sigmoid, gating the channels in a
  squeeze-and-excite block;
- hard swish, ``x * relu6(x + 3) / 6``: a piecewise linear swish, the activation of the
  deeper blocks.

``minimalistic=True`` leaves out both, the squeeze-and-excite blocks and the 5x5 kernels: every
activation is a ReLU and every depthwise kernel 3x3.

Examples
--------
>>> from learnet.applications import mobilenet_v3
>>> model = mobilenet_v3.MobileNetV3Small(weights=None, include_top=False, input_shape=(32, 32, 3))
>>> model.output_shape
(None, 1, 1, 576)
"""

from learnet import layers
from learnet.applications import _common, imagenet_utils
from learnet.dataset_utils import is_keras_tensor
from learnet.warn import warn

__all__ = ["MobileNetV3Small", "MobileNetV3Large", "preprocess_input", "decode_predictions"]

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"

#: MD5 digests of Keras' ImageNet weight files: (with the top, without it), by model.
WEIGHTS_HASHES = {
    "large_224_0.75_float": ("765b44a33ad4005b3ac83185abf1d0eb", "40af19a13ebea4e2ee0c676887f69a2e"),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7", "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": ("675e7b876c45c57e9e63e6d90a36599c", "ec5221f64a2f6d1ef965a614bdae7973"),
    "small_224_0.75_float": ("cb65d4e5be93758266aa0a7f2c6708b7", "ebdb5cc8e0b497cd13a7c275d475c819"),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862", "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": ("99cd97fb2fcdad2bf028eb838de69e37", "cde8136e733e811080d9fcd8a252f7e4"),
}

# One row per inverted residual block: (expansion, filters, kernel, stride, squeeze_excite,
# activation). A kernel of None is the network's (5, or 3 when minimalistic); an activation of
# None is the network's (hard swish, or ReLU when minimalistic); squeeze-and-excite is left out
# of every block of a minimalistic network.
_SMALL_BLOCKS = (
    (1, 16, 3, 2, True, "relu"),
    (72 / 16, 24, 3, 2, False, "relu"),
    (88 / 24, 24, 3, 1, False, "relu"),
    (4, 40, None, 2, True, None),
    (6, 40, None, 1, True, None),
    (6, 40, None, 1, True, None),
    (3, 48, None, 1, True, None),
    (3, 48, None, 1, True, None),
    (6, 96, None, 2, True, None),
    (6, 96, None, 1, True, None),
    (6, 96, None, 1, True, None),
)
_LARGE_BLOCKS = (
    (1, 16, 3, 1, False, "relu"),
    (4, 24, 3, 2, False, "relu"),
    (3, 24, 3, 1, False, "relu"),
    (3, 40, None, 2, True, "relu"),
    (3, 40, None, 1, True, "relu"),
    (3, 40, None, 1, True, "relu"),
    (6, 80, 3, 2, False, None),
    (2.5, 80, 3, 1, False, None),
    (2.3, 80, 3, 1, False, None),
    (2.3, 80, 3, 1, False, None),
    (6, 112, 3, 1, True, None),
    (6, 112, 3, 1, True, None),
    (6, 160, None, 2, True, None),
    (6, 160, None, 1, True, None),
    (6, 160, None, 1, True, None),
)

_DOCSTRING = """The {name} network, with random weights or ImageNet's.

    Parameters
    ----------
    input_shape : tuple, optional
        The shape of one image, at least 32x32 (``(None, None, 3)``, any size, by default).
    alpha : float, default 1.0
        The width: every block has ``alpha`` times its filters, rounded to a multiple of 8
        (0.75 or 1.0 for ImageNet's weights; 1.0 only when ``minimalistic``).
    minimalistic : bool, default False
        ReLU instead of hard swish, 3x3 depthwise kernels only, no squeeze-and-excite.
    include_top : bool, default True
        Whether to end with the classifier (pooling, a 1x1 convolution, ``classes`` scores).
    weights : None, "imagenet" or str, default "imagenet"
        Random initialisation, ImageNet's weights (trained on 224x224 images), or the path of
        a weights file to load.
    input_tensor : tensor, optional
        A symbolic tensor (``keras.Input``) to use as the image input.
    classes : int, default 1000
    pooling : {{None, "avg", "max"}}, optional
        Without the top: the last feature map as it is, or pooled over rows and columns.
    dropout_rate : float, default 0.2
        The dropout before the last layer of the top (none for 0).
    classifier_activation : str or callable, default "softmax"
    include_preprocessing : bool, default True
        Start with ``Rescaling(1 / 127.5, offset=-1)``: the network takes pixels in ``[0, 255]``.
    name : str, default "{name}"

    Returns
    -------
    Model

    Raises
    ------
    ValueError
        For weights that are neither None, "imagenet" nor a file, an ``alpha`` ImageNet has
        no weights for, an input smaller than 32x32, or an ``input_tensor`` that does not
        match ``input_shape``.

    Examples
    --------
    >>> import learnet as keras
    >>> base = keras.applications.{name}(input_shape=(96, 96, 3), include_top=False, weights=None)
    >>> base.output_shape
    (None, 3, 3, {channels})
    """


def MobileNetV3Small(
    input_shape=None,
    alpha=1.0,
    minimalistic=False,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    classes=1000,
    pooling=None,
    dropout_rate=0.2,
    classifier_activation="softmax",
    include_preprocessing=True,
    name="MobileNetV3Small",
):
    return _mobilenet_v3(
        _SMALL_BLOCKS,
        1024,
        "small",
        input_shape,
        alpha,
        minimalistic,
        include_top,
        weights,
        input_tensor,
        classes,
        pooling,
        dropout_rate,
        classifier_activation,
        include_preprocessing,
        name,
    )


def MobileNetV3Large(
    input_shape=None,
    alpha=1.0,
    minimalistic=False,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    classes=1000,
    pooling=None,
    dropout_rate=0.2,
    classifier_activation="softmax",
    include_preprocessing=True,
    name="MobileNetV3Large",
):
    return _mobilenet_v3(
        _LARGE_BLOCKS,
        1280,
        "large",
        input_shape,
        alpha,
        minimalistic,
        include_top,
        weights,
        input_tensor,
        classes,
        pooling,
        dropout_rate,
        classifier_activation,
        include_preprocessing,
        name,
    )


MobileNetV3Small.__doc__ = _DOCSTRING.format(name="MobileNetV3Small", channels=576)
MobileNetV3Large.__doc__ = _DOCSTRING.format(name="MobileNetV3Large", channels=960)


def _mobilenet_v3(
    blocks,
    last_point_ch,
    model_type,
    input_shape,
    alpha,
    minimalistic,
    include_top,
    weights,
    input_tensor,
    classes,
    pooling,
    dropout_rate,
    classifier_activation,
    include_preprocessing,
    name,
):
    """The network of ``blocks``, its stem, its last 1x1 convolution and its top."""
    _common.check_weights(weights, include_top, classes, pooling)
    input_shape = _input_shape(input_shape, input_tensor)
    if not alpha > 0:
        raise ValueError(f"alpha must be a positive number; got alpha={alpha!r}")
    if weights == "imagenet":
        if alpha != 1.0 and (minimalistic or alpha != 0.75):
            raise ValueError(
                "If imagenet weights are being loaded, alpha can be one of 0.75 or 1.0 for non minimalistic, "
                f"or 1.0 for minimalistic only; got alpha={alpha}, minimalistic={minimalistic}"
            )
        if input_shape[0] != input_shape[1] or input_shape[0] != 224:
            warn(
                "input_shape is undefined or non-square, or rows is not 224. Weights for input shape "
                "(224, 224) will be loaded as the default."
            )
    if include_top:  # before any layer is made, so a refused argument leaves no half-built network
        imagenet_utils.validate_activation(classifier_activation, weights)
        if not dropout_rate <= 1:
            raise ValueError(f"dropout_rate must be a float in the range [0, 1]; got dropout_rate={dropout_rate!r}")

    if minimalistic:
        kernel, activation, squeeze_excite = 3, _relu, False
    else:
        kernel, activation, squeeze_excite = 5, _hard_swish, True

    img_input = _common.image_input(input_tensor, input_shape)
    x = img_input
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False, name="conv")(x)
    x = layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name="conv_bn")(x)
    x = activation(x)
    for block_id, (expansion, filters, block_kernel, stride, se, block_activation) in enumerate(blocks):
        x = _inverted_res_block(
            x,
            expansion=expansion,
            filters=_depth(filters * alpha),
            kernel_size=block_kernel or kernel,
            stride=stride,
            se_ratio=0.25 if se and squeeze_excite else None,
            activation=_relu if block_activation == "relu" else activation,
            block_id=block_id,
        )
    last_conv_ch = _depth(x.shape[-1] * 6)
    if alpha > 1.0:
        last_point_ch = _depth(last_point_ch * alpha)
    x = layers.Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False, name="conv_1")(x)
    x = layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name="conv_1_bn")(x)
    x = activation(x)
    if include_top:
        # The classifier is made of 1x1 convolutions on the pooled 1x1 map, as in the paper.
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_ch, kernel_size=1, padding="same", use_bias=True, name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = _common.pooled(x, pooling, avg_name="avg_pool", max_name="max_pool")
    model = _common.functional(_common.model_inputs(input_tensor, img_input), x, name)

    if weights == "imagenet":
        from learnet.dataset_utils import get_file

        model_name = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{float(alpha)}_float"
        with_top, without_top = WEIGHTS_HASHES[model_name]
        if include_top:
            file_name, file_hash = f"weights_mobilenet_v3_{model_name}.h5", with_top
        else:
            file_name, file_hash = f"weights_mobilenet_v3_{model_name}_no_top_v2.h5", without_top
        weights = get_file(file_name, BASE_WEIGHT_PATH + file_name, cache_subdir="models", file_hash=file_hash)
    return _common.load_weights(model, weights)


def _input_shape(input_shape, input_tensor):
    """The shape of one image: ``input_shape``, else ``input_tensor``'s, else any size with 3 channels."""
    if input_tensor is not None and (input_shape is not None or is_keras_tensor(input_tensor)):
        if not is_keras_tensor(input_tensor):
            raise ValueError(f"input_tensor is not a Keras tensor; got input_tensor={input_tensor!r}")
        if input_shape is None:
            input_shape = tuple(input_tensor.shape)[1:3] + (3,)
        elif tuple(input_tensor.shape)[2] != input_shape[1]:
            raise ValueError(
                "input_shape[1] must equal input_tensor.shape[2]; got "
                f"input_shape={input_shape}, input_tensor.shape={tuple(input_tensor.shape)}"
            )
    if input_shape is None:
        return (None, None, 3)
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (rows, cols, channels); got input_shape={input_shape}")
    rows, cols = input_shape[0], input_shape[1]
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"Input size must be at least 32x32; got input_shape={input_shape}")
    return tuple(input_shape)


def _relu(x):
    return layers.ReLU()(x)


def _hard_sigmoid(x):
    """``relu6(x + 3) / 6``, written with a layer and two operations as Keras writes it."""
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def _hard_swish(x):
    """``x * relu6(x + 3) / 6``."""
    return layers.Activation("hard_swish")(x)


def _depth(v, divisor=8, min_value=None):
    """``v`` rounded to the nearest multiple of ``divisor`` (at least ``min_value``), never 10% below ``v``."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _se_block(inputs, filters, se_ratio, prefix):
    """Squeeze and excite: weigh each channel by a gate in ``[0, 1]`` computed from all the channels'
    means (squeezed to ``se_ratio`` times as many by a 1x1 convolution, then widened back)."""
    x = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(inputs)
    x = layers.Conv2D(_depth(filters * se_ratio), kernel_size=1, padding="same", name=f"{prefix}squeeze_excite_conv")(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", name=f"{prefix}squeeze_excite_conv_1")(x)
    x = _hard_sigmoid(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(x, expansion, filters, kernel_size, stride, se_ratio, activation, block_id):
    """Expand (1x1), filter (depthwise), squeeze and excite, project (1x1, no activation); add the
    input back when the shapes allow."""
    shortcut = x
    in_filters = x.shape[-1]
    prefix = "expanded_conv_"
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = layers.Conv2D(
            _depth(in_filters * expansion), kernel_size=1, padding="same", use_bias=False, name=f"{prefix}expand"
        )(x)
        x = layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=f"{prefix}expand_bn")(x)
        x = activation(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size), name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(
        kernel_size,
        strides=stride,
        padding="same" if stride == 1 else "valid",
        use_bias=False,
        name=f"{prefix}depthwise",
    )(x)
    x = layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=f"{prefix}depthwise_bn")(x)
    x = activation(x)
    if se_ratio:
        x = _se_block(x, _depth(in_filters * expansion), se_ratio, prefix)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=f"{prefix}project_bn")(x)
    if stride == 1 and in_filters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def preprocess_input(x, data_format=None):
    """The input itself: MobileNetV3's preprocessing is inside the network (``include_preprocessing``).

    Kept so that code written for the other networks, ``preprocess_input(images)`` before the
    model, runs unchanged.

    Parameters
    ----------
    x : array or tensor
        Images with pixels in ``[0, 255]``.
    data_format : str, optional
        Not used.

    Returns
    -------
    The same ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> preprocess_input(np.array([0.0, 255.0]))
    array([  0., 255.])
    """
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row of ``preds`` (see ``imagenet_utils.decode_predictions``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
