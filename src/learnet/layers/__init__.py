"""``learnet.layers``: the building blocks of networks, with Keras' names.

Examples
--------
>>> from learnet import layers
>>> layers.Dense(10, activation="relu", name="hidden")
<Dense name=hidden, built=False>
"""

import importlib
import types as _types

from learnet import registry
from learnet.layers.activation import ELU, LeakyReLU, PReLU, ReLU, Softmax
from learnet.layers.adaptive_pooling import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)
from learnet.layers.attention import AdditiveAttention, Attention
from learnet.layers.augmentation import (
    CenterCrop,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomRotation,
    RandomShear,
    RandomTranslation,
    RandomZoom,
    Resizing,
)
from learnet.layers.augmentation_color import (
    AutoContrast,
    RandomColorJitter,
    RandomGaussianBlur,
    RandomGrayscale,
    RandomHue,
    RandomInvert,
    RandomPosterization,
    RandomSaturation,
    Solarization,
)
from learnet.layers.augmentation_more import (
    AugMix,
    Equalization,
    RandAugment,
    RandomColorDegeneration,
    RandomSharpness,
)
from learnet.layers.augmentation_geometry import RandomElasticTransform, RandomPerspective
from learnet.layers.augmentation_mixing import CutMix, MixUp, RandomErasing
from learnet.layers.base import InputSpec, KerasTensor, Layer, reset_names
from learnet.layers.conv import (
    Conv1D,
    Conv1DTranspose,
    Convolution1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Convolution1D,
    Convolution2D,
    Convolution2DTranspose,
    DepthwiseConv2D,
    SeparableConv2D,
    SeparableConvolution2D,
)
from learnet.layers.conv1d_extra import DepthwiseConv1D, SeparableConv1D, SeparableConvolution1D
from learnet.layers.attention_more import GroupQueryAttention
from learnet.layers.core_more import Pipeline, ReversibleEmbedding, Wrapper
from learnet.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from learnet.layers.core import (
    Activation,
    ActivityRegularization,
    AlphaDropout,
    Dense,
    Dropout,
    Flatten,
    GaussianDropout,
    GaussianNoise,
    Identity,
    Input,
    InputLayer,
    Lambda,
    Reshape,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from learnet.layers.einsum_dense import EinsumDense
from learnet.layers.hashing import HashedCrossing, Hashing
from learnet.layers.lookup import CategoryEncoding, Discretization, IntegerLookup, StringLookup
from learnet.layers.multi_head_attention import MultiHeadAttention
from learnet.layers.operation import OperationLayer  # noqa: F401 - registered: `x + 1` in a saved model
from learnet.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    multiply,
    subtract,
)
from learnet.layers.merging import maximum_ as maximum
from learnet.layers.merging import minimum_ as minimum
from learnet.layers.normalization import (
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    RMSNormalization,
    UnitNormalization,
)
from learnet.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AvgPool1D,
    AvgPool2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPool1D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
)
from learnet.layers.preprocessing import Embedding, Normalization, RandomFlip, Rescaling
from learnet.layers.recurrent import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    GRUCell,
    LSTMCell,
    Masking,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
)
from learnet.layers.spectrogram import MelSpectrogram, STFTSpectrogram
from learnet.layers.text import TextVectorization
from learnet.layers.reshaping import (
    Cropping1D,
    Cropping2D,
    Permute,
    RepeatVector,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from learnet.layers.volumes import (
    AveragePooling3D,
    AvgPool3D,
    Conv3D,
    Conv3DTranspose,
    Convolution3D,
    Convolution3DTranspose,
    Cropping3D,
    GlobalAveragePooling3D,
    GlobalAvgPool3D,
    GlobalMaxPool3D,
    GlobalMaxPooling3D,
    MaxPool3D,
    MaxPooling3D,
    UpSampling3D,
    ZeroPadding3D,
)
from learnet.layers.wrappers import SpectralNormalization, TimeDistributed


def _sublayer_entry(layer):
    """A sublayer inside a layer's config (an RNN's cell, a wrapper's layer), as learnet's files
    hold it: ``{"class_name", "config"}`` (names only, no module)."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


# Keras 3's model classes, which ``deserialize`` finds too: a model is a layer as well.
_MODEL_CLASSES = ("Sequential", "Functional")


def _keras_written(config):
    """Whether a layer's dict is one Keras wrote: it names a Keras module (learnet's own
    ``serialize`` writes ``"keras.layers"`` too, which reads the same either way)."""
    module = config.get("module") if isinstance(config, dict) else None
    return isinstance(module, str) and (module == "keras" or module.startswith("keras."))


def serialize(layer):
    """Keras 3's description of a layer: ``{"module", "class_name", "config", "registered_name"}``,
    the Keras objects inside its config (a sublayer, a regularizer) described the same way.
    A ``Sequential`` or functional model describes itself as Keras 3 does (``to_json``'s dict)."""
    from learnet.layers.serialization import _described

    cls = type(layer)
    custom = not cls.__module__.startswith("learnet.")
    describe_model = getattr(layer, "_keras_description", None)
    if not custom and cls.__name__ in _MODEL_CLASSES and callable(describe_model):
        return describe_model()
    return {
        "module": cls.__module__ if custom else "keras.layers",
        "class_name": cls.__name__,
        "config": _described(layer.get_config()),
        "registered_name": registry.get_registered_name(cls) if custom else None,
    }


def deserialize(config, custom_objects=None):
    """Create a layer from ``serialize``'s dict; a class of your own is found by its registered
    name (``"Package>Name"``), its class name, or in ``custom_objects``.

    A dict real Keras wrote (``keras.layers.serialize``: its Keras-only arguments, a model's
    calls) is read as a ``.keras`` file's layer is, by ``learnet.keras_files``, which sits on a
    higher floor: it is named here, not imported, and loaded on first use.
    """
    if _keras_written(config):
        config = importlib.import_module("learnet.keras_files").layer_config_from_keras(config, custom_objects)
        if config.get("class_name") in _MODEL_CLASSES:
            return registry.builtin_class(config["class_name"]).from_config(config["config"], custom_objects)
    name = config.get("class_name")
    cls = None
    for key in (config.get("registered_name"), name):
        if isinstance(key, str) and cls is None:
            cls = (custom_objects or {}).get(key) or registry.get_registered_object(key, custom_objects)
    if cls is None and isinstance(name, str) and not isinstance(config.get("registered_name"), str):
        cls = globals().get(name)
    if cls is None and name in _MODEL_CLASSES:  # a model is a layer too (nested in another)
        cls = registry.builtin_class(name)
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise ValueError(f"unknown layer class {name!r}; pass your own classes as custom_objects={{'{name}': {name}}}")
    with registry.custom_object_scope(custom_objects):
        return cls.from_config(config.get("config", {}))


# Older TensorFlow code reaches the preprocessing layers through `experimental.preprocessing`.
experimental = _types.SimpleNamespace(
    preprocessing=_types.SimpleNamespace(
        Normalization=Normalization,
        Rescaling=Rescaling,
        RandomFlip=RandomFlip,
        RandomRotation=RandomRotation,
        RandomZoom=RandomZoom,
        RandomTranslation=RandomTranslation,
        RandomContrast=RandomContrast,
        Resizing=Resizing,
        CenterCrop=CenterCrop,
        RandomCrop=RandomCrop,
        TextVectorization=TextVectorization,
        StringLookup=StringLookup,
        IntegerLookup=IntegerLookup,
        CategoryEncoding=CategoryEncoding,
        Discretization=Discretization,
        Hashing=Hashing,
    )
)

__all__ = [
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
    "AugMix",
    "DepthwiseConv1D",
    "Equalization",
    "GroupQueryAttention",
    "Pipeline",
    "RandAugment",
    "RandomColorDegeneration",
    "RandomSharpness",
    "ReversibleEmbedding",
    "SeparableConv1D",
    "SeparableConvolution1D",
    "Wrapper",
    "GRU",
    "LSTM",
    "RNN",
    "Bidirectional",
    "GRUCell",
    "LSTMCell",
    "Masking",
    "SimpleRNN",
    "SimpleRNNCell",
    "StackedRNNCells",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "STFTSpectrogram",
    "MelSpectrogram",
    "TextVectorization",
    "StringLookup",
    "IntegerLookup",
    "CategoryEncoding",
    "Discretization",
    "Attention",
    "AdditiveAttention",
    "MultiHeadAttention",
    "EinsumDense",
    "CenterCrop",
    "RandomBrightness",
    "RandomCrop",
    "Conv1DTranspose",
    "Convolution1DTranspose",
    "AlphaDropout",
    "GroupNormalization",
    "UnitNormalization",
    "Hashing",
    "HashedCrossing",
    "AveragePooling3D",
    "AvgPool3D",
    "Conv3D",
    "Conv3DTranspose",
    "Convolution3D",
    "Convolution3DTranspose",
    "Cropping3D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool3D",
    "GlobalMaxPool3D",
    "GlobalMaxPooling3D",
    "MaxPool3D",
    "MaxPooling3D",
    "UpSampling3D",
    "ZeroPadding3D",
    "ActivityRegularization",
    "GaussianDropout",
    "GaussianNoise",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "TimeDistributed",
    "SpectralNormalization",
    "RMSNormalization",
    "AutoContrast",
    "CutMix",
    "MixUp",
    "RandomColorJitter",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPerspective",
    "RandomPosterization",
    "RandomSaturation",
    "RandomShear",
    "Solarization",
    "experimental",
    "RandomContrast",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "Resizing",
    "Activation",
    "Add",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "AvgPool1D",
    "AvgPool2D",
    "BatchNormalization",
    "Concatenate",
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
    "Convolution1D",
    "Convolution2D",
    "Convolution2DTranspose",
    "Cropping1D",
    "Cropping2D",
    "Dense",
    "DepthwiseConv2D",
    "Dot",
    "Dropout",
    "ELU",
    "Embedding",
    "Flatten",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "Identity",
    "Input",
    "InputLayer",
    "InputSpec",
    "KerasTensor",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "Maximum",
    "Minimum",
    "Multiply",
    "Normalization",
    "PReLU",
    "Permute",
    "RandomFlip",
    "ReLU",
    "RepeatVector",
    "Rescaling",
    "Reshape",
    "SeparableConv2D",
    "SeparableConvolution2D",
    "Softmax",
    "Subtract",
    "UpSampling1D",
    "UpSampling2D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "add",
    "average",
    "concatenate",
    "deserialize",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "reset_names",
    "serialize",
    "subtract",
]

# Names courses reach for that learnet does not have yet: a clear error (see learnet.not_yet).
from learnet.not_yet import module_getattr as _module_getattr  # noqa: E402
from learnet import registry as _registry  # noqa: E402

# Keras layers written on a floor above, because they load a model file (models/tfsm_layer.py):
# found by name in the class registry, where they register themselves.
_LAYERS_FROM_ABOVE = ("TFSMLayer",)
_not_yet_getattr = _module_getattr(__name__)


def __getattr__(name):
    if name in _LAYERS_FROM_ABOVE:
        return _registry.builtin_class(name)
    return _not_yet_getattr(name)
