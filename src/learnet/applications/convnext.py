"""ConvNeXtTiny, Small, Base, Large and XLarge (``keras.applications.convnext``): a plain
convolutional network modernised with the habits of vision transformers.

Each stage is a stack of ConvNeXt blocks: a 7x7 depthwise convolution, a layer normalization,
an inverted bottleneck of two pointwise (``Dense``) layers around a GELU, a learned per-channel
scale (:class:`LayerScale`) and, in training, a whole residual branch dropped now and then
(:class:`StochasticDepth`). Between stages a layer normalization and a 2x2 convolution of
stride 2 halve the image; the stem is a 4x4 convolution of stride 4.

Reference: *A ConvNet for the 2020s* (CVPR 2022). The layers, their names, their order and
their weights are those of Keras 3, so Keras' weight files load into them. The networks take
pixels in ``[0, 255]``: with ``include_preprocessing=True`` (the default) they normalize them
with ImageNet's mean and standard deviation themselves, and :func:`preprocess_input` returns
its input unchanged.

Examples
--------
>>> from learnet.applications import convnext
>>> model = convnext.ConvNeXtTiny(weights=None, include_top=False, input_shape=(32, 32, 3))
>>> model.output_shape
(None, 1, 1, 768)
"""

import numpy

from learnet import backend, initializers, layers
from learnet.applications import _common, imagenet_utils
from learnet.backend import xp
from learnet.layers.base import Layer
from learnet.layers.naming import unique_name

__all__ = [
    "ConvNeXtTiny",
    "ConvNeXtSmall",
    "ConvNeXtBase",
    "ConvNeXtLarge",
    "ConvNeXtXLarge",
    "LayerScale",
    "StochasticDepth",
    "preprocess_input",
    "decode_predictions",
]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"

#: SHA-256 digests of Keras' weight files: (with the classifier, without it).
WEIGHTS_HASHES = {
    "convnext_tiny": (
        "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
        "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1",
    ),
    "convnext_small": (
        "ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
        "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab",
    ),
    "convnext_base": (
        "52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
        "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45",
    ),
    "convnext_large": (
        "070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
        "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd",
    ),
    "convnext_xlarge": (
        "c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05",
    ),
}

#: The blocks of each stage and the stages' widths.
MODEL_CONFIGS = {
    "tiny": {"depths": [3, 3, 9, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "small": {"depths": [3, 3, 27, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "base": {"depths": [3, 3, 27, 3], "projection_dims": [128, 256, 512, 1024], "default_size": 224},
    "large": {"depths": [3, 3, 27, 3], "projection_dims": [192, 384, 768, 1536], "default_size": 224},
    "xlarge": {"depths": [3, 3, 27, 3], "projection_dims": [256, 512, 1024, 2048], "default_size": 224},
}

# ImageNet's pixel statistics, on the [0, 255] scale.
IMAGENET_MEAN = [0.485 * 255, 0.456 * 255, 0.406 * 255]
IMAGENET_VARIANCE = [(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2]


class StochasticDepth(Layer):
    """Drop a whole residual branch, sample by sample, in training (*Deep Networks with
    Stochastic Depth*); at inference it returns its input unchanged.

    A sample's branch is kept with probability ``1 - drop_path_rate`` and then scaled by
    ``1 / (1 - drop_path_rate)``, so its expected value does not change.

    Parameters
    ----------
    drop_path_rate : float in [0, 1)
        The probability of dropping a sample's branch.

    Examples
    --------
    >>> import numpy as np
    >>> layer = StochasticDepth(0.5)
    >>> layer(np.ones((2, 3)), training=False).numpy()
    array([[1., 1., 1.],
           [1., 1., 1.]], dtype=float32)
    """

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        rate = float(drop_path_rate)
        if not 0 <= rate < 1:
            raise ValueError(f"StochasticDepth: drop_path_rate must be in [0, 1), got {drop_path_rate!r}")
        self.drop_path_rate = drop_path_rate

    def call(self, x, training=None):
        if not training or self.drop_path_rate == 0:
            return x
        keep_prob = 1.0 - self.drop_path_rate
        # One draw per sample, broadcast over the sample's other axes.
        shape = (x.shape[0],) + (1,) * (len(x.shape) - 1)
        keep = numpy.floor(keep_prob + backend.rng().random(shape))
        return x * xp.asarray((keep / keep_prob).astype(x.dtype.name))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(drop_path_rate=self.drop_path_rate)
        return config


class LayerScale(Layer):
    """Multiply the last axis by a learned scale per channel, ``gamma``, first ``init_values``
    (*Going deeper with Image Transformers*): a residual branch starts nearly switched off.

    Parameters
    ----------
    init_values : float
        The scale every channel starts with (ConvNeXt uses ``1e-6``).
    projection_dim : int
        The number of channels.

    Examples
    --------
    >>> import numpy as np
    >>> LayerScale(0.5, 3)(np.ones((1, 3))).numpy()
    array([[0.5, 0.5, 0.5]], dtype=float32)
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        if input_shape[-1] is not None and input_shape[-1] != self.projection_dim:
            raise ValueError(
                f"LayerScale '{self.name}' expects inputs with last dimension {self.projection_dim}, "
                f"got {tuple(input_shape)}"
            )
        self.gamma = self.add_weight(
            shape=(self.projection_dim,), initializer=initializers.Constant(self.init_values), trainable=True
        )

    def call(self, x):
        return x * self.gamma

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(init_values=self.init_values, projection_dim=self.projection_dim)
        return config


def ConvNeXtBlock(projection_dim, drop_path_rate=0.0, layer_scale_init_value=1e-6, name=None):
    """One ConvNeXt block, as a function of its input: depthwise 7x7 convolution, layer
    normalization, ``Dense(4 * projection_dim)``, GELU, ``Dense(projection_dim)``, layer scale,
    stochastic depth (or an identity), added to the input."""
    if name is None:
        name = unique_name("prestem")

    def apply(inputs):
        x = layers.Conv2D(
            filters=projection_dim, kernel_size=7, padding="same", groups=projection_dim, name=f"{name}_depthwise_conv"
        )(inputs)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
        x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
        x = layers.Activation("gelu", name=f"{name}_gelu")(x)
        x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
        if layer_scale_init_value is not None:
            x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
        if drop_path_rate:
            branch = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
        else:
            branch = layers.Activation("linear", name=f"{name}_identity")
        return inputs + branch(x)

    return apply


def PreStem(name=None):
    """Normalize pixels in ``[0, 255]`` with ImageNet's mean and standard deviation."""
    if name is None:
        name = unique_name("prestem")

    def apply(x):
        return layers.Normalization(
            mean=IMAGENET_MEAN, variance=IMAGENET_VARIANCE, name=f"{name}_prestem_normalization"
        )(x)

    return apply


def Head(num_classes=1000, classifier_activation=None, name=None):
    """The classifier: global average pooling, layer normalization, ``Dense(num_classes)``."""
    if name is None:
        name = unique_name("head")

    def apply(x):
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        return layers.Dense(num_classes, activation=classifier_activation, name=f"{name}_head_dense")(x)

    return apply


def _stem(projection_dim, name):
    return _sequential(
        [
            layers.Conv2D(projection_dim, kernel_size=4, strides=4, name=f"{name}_stem_conv"),
            layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm"),
        ],
        name=f"{name}_stem",
    )


def _downsampling(projection_dim, index, name):
    return _sequential(
        [
            layers.LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{index}"),
            layers.Conv2D(projection_dim, kernel_size=2, strides=2, name=f"{name}_downsampling_conv_{index}"),
        ],
        name=f"{name}_downsampling_block_{index}",
    )


def _sequential(stack, name):
    from learnet.models import Sequential

    return Sequential(stack, name=name)


def ConvNeXt(
    depths,
    projection_dims,
    drop_path_rate=0.0,
    layer_scale_init_value=1e-6,
    default_size=224,
    name="convnext",
    include_preprocessing=True,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    weights_name=None,
):
    """A ConvNeXt of ``len(depths)`` stages: ``depths[i]`` blocks of ``projection_dims[i]``
    channels each. The variant functions (:func:`ConvNeXtTiny`, ...) call it."""
    _common.check_weights(weights, include_top, classes, pooling)
    _common.check_input_tensor(input_tensor)
    if weights == "imagenet":
        expected = MODEL_CONFIGS[weights_name.split("convnext_")[-1]]
        if list(depths) != expected["depths"] or list(projection_dims) != expected["projection_dims"]:
            raise ValueError(
                f"Architecture configuration does not match {weights_name} variant: with pre-trained weights "
                f"the depths must be {expected['depths']} (got {list(depths)}) and the projection_dims "
                f"{expected['projection_dims']} (got {list(projection_dims)})."
            )
        if weights_name not in name:
            raise ValueError(
                f'Model name "{name}" does not match weights variant "{weights_name}". When using imagenet '
                f'weights, model name must contain the weights variant (e.g., "{weights_name}").'
            )
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=default_size,
        min_size=32,
        data_format="channels_last",
        require_flatten=include_top,
        weights=weights,
    )
    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
    img_input = _common.image_input(input_tensor, input_shape)

    x = img_input
    if include_preprocessing and input_shape[-1] == 3:
        x = PreStem(name=name)(x)
    downsample_layers = [_stem(projection_dims[0], name)]
    downsample_layers += [_downsampling(projection_dims[i + 1], i, name) for i in range(len(projection_dims) - 1)]
    # The drop rate grows linearly with the block's depth, from 0 to drop_path_rate.
    depth_drop_rates = [float(rate) for rate in numpy.linspace(0.0, drop_path_rate, sum(depths))]
    first = 0
    for i, downsample in enumerate(downsample_layers):
        x = downsample(x)
        for j in range(depths[i]):
            x = ConvNeXtBlock(
                projection_dim=projection_dims[i],
                drop_path_rate=depth_drop_rates[first + j],
                layer_scale_init_value=layer_scale_init_value,
                name=f"{name}_stage_{i}_block_{j}",
            )(x)
        first += depths[i]

    if include_top:
        x = Head(num_classes=classes, classifier_activation=classifier_activation, name=name)(x)
    else:
        x = _common.pooled(x, pooling)
        x = layers.LayerNormalization(epsilon=1e-6)(x)
    model = _common.functional(_common.model_inputs(input_tensor, img_input), x, name)

    if weights == "imagenet":
        from learnet.dataset_utils import get_file

        file_name = name + (".h5" if include_top else "_notop.h5")
        file_hash = WEIGHTS_HASHES[weights_name][0 if include_top else 1]
        weights = get_file(file_name, BASE_WEIGHTS_PATH + file_name, cache_subdir="models", file_hash=file_hash)
    return _common.load_weights(model, weights)


_DOC = """The {model} network, with random weights or ImageNet's.

    Reference: *A ConvNet for the 2020s* (CVPR 2022). The network takes pixels in ``[0, 255]``:
    with ``include_preprocessing`` it normalizes them itself.

    Parameters
    ----------
    include_top : bool, default True
        Whether to keep the classifier on top (then the input is 224x224x3).
    include_preprocessing : bool, default True
        Whether the network normalizes its pixels itself (a ``Normalization`` layer with
        ImageNet's mean and variance). Keep it with ImageNet's weights.
    weights : None, "imagenet" or str, default "imagenet"
        Random initialisation, ImageNet's weights (downloaded once into the ``models`` cache
        folder), or the path of a weights file to load.
    input_tensor : tensor, optional
        A symbolic tensor (``keras.Input``) to use as the image input.
    input_shape : tuple, optional
        The shape of one image, at least 32x32.
    pooling : {{None, "avg", "max"}}, optional
        Without the top: the features' global pooling (a layer normalization follows in
        every case, as in Keras).
    classes : int, default 1000
    classifier_activation : str or callable, default "softmax"
    name : str, default "{default_name}"

    Returns
    -------
    Model

    Examples
    --------
    >>> model = {model}(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")  # doctest: +SKIP
    >>> model.output_shape  # doctest: +SKIP
    (None, {width})
    """


def _variant(size, model_name):
    config = MODEL_CONFIGS[size]
    weights_name = f"convnext_{size}"

    def model_function(
        include_top=True,
        include_preprocessing=True,
        weights="imagenet",
        input_tensor=None,
        input_shape=None,
        pooling=None,
        classes=1000,
        classifier_activation="softmax",
        name=weights_name,
    ):
        return ConvNeXt(
            weights_name=weights_name,
            depths=config["depths"],
            projection_dims=config["projection_dims"],
            drop_path_rate=0.0,
            layer_scale_init_value=1e-6,
            default_size=config["default_size"],
            name=name,
            include_top=include_top,
            include_preprocessing=include_preprocessing,
            weights=weights,
            input_tensor=input_tensor,
            input_shape=input_shape,
            pooling=pooling,
            classes=classes,
            classifier_activation=classifier_activation,
        )

    model_function.__name__ = model_function.__qualname__ = model_name
    model_function.__module__ = __name__
    model_function.__doc__ = _DOC.format(
        model=model_name, default_name=weights_name, width=config["projection_dims"][-1]
    )
    return model_function


ConvNeXtTiny = _variant("tiny", "ConvNeXtTiny")
ConvNeXtSmall = _variant("small", "ConvNeXtSmall")
ConvNeXtBase = _variant("base", "ConvNeXtBase")
ConvNeXtLarge = _variant("large", "ConvNeXtLarge")
ConvNeXtXLarge = _variant("xlarge", "ConvNeXtXLarge")


def preprocess_input(x, data_format=None):
    """ConvNeXt preprocesses inside the model: ``x`` is returned unchanged.

    Examples
    --------
    >>> preprocess_input(3.0)
    3.0
    """
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row of ``preds`` (see ``imagenet_utils.decode_predictions``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
