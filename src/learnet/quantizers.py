"""``keras.quantizers``: the quantizers and quantization configs of ``Model.quantize``.

A *quantizer* maps float values onto a few integers and returns the scale that maps
them back (``AbsMaxQuantizer``: the largest magnitude becomes the top of the range). A
*quantization config* says which quantizer ``quantize`` uses for the weights and which
for the activations: ``Int8QuantizationConfig``, ``Int4QuantizationConfig`` (with the
``block_size`` of sub-channel int4) and ``Float8QuantizationConfig``. Subclass
``Quantizer`` for a scheme of your own.

The code lives in ``learnet.layers.quantization`` beside the layers that use it; this
module is the public namespace, with Keras' ``get``, ``serialize`` and ``deserialize``.

Examples
--------
>>> import numpy as np
>>> import learnet as keras
>>> from learnet.quantizers import AbsMaxQuantizer, Int8QuantizationConfig
>>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
>>> config = Int8QuantizationConfig(weight_quantizer=AbsMaxQuantizer(axis=0, value_range=(-100, 100)))
>>> model.quantize(config=config)
>>> int(np.abs(model.layers[0].kernel.numpy()).max())
100
>>> type(model.layers[0].inputs_quantizer).__name__
'AbsMaxQuantizer'
"""

import re

from learnet.layers.quantization import (
    QUANTIZER_CLASSES,
    AbsMaxQuantizer,
    Float8QuantizationConfig,
    Int4QuantizationConfig,
    Int8QuantizationConfig,
    QuantizationConfig,
    Quantizer,
    abs_max_quantize,
    abs_max_quantize_grouped_with_zero_point,
    compute_float8_amax_history,
    compute_float8_scale,
    deserialize_quantizer,
    pack_int4,
    quantize_and_dequantize,
    serialize_quantizer,
    unpack_int4,
)

__all__ = [
    "Quantizer",
    "AbsMaxQuantizer",
    "QuantizationConfig",
    "Int8QuantizationConfig",
    "Int4QuantizationConfig",
    "Float8QuantizationConfig",
    "abs_max_quantize",
    "abs_max_quantize_grouped_with_zero_point",
    "compute_float8_amax_history",
    "compute_float8_scale",
    "quantize_and_dequantize",
    "pack_int4",
    "unpack_int4",
    "get",
    "serialize",
    "deserialize",
]


def _snake_case(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# Keras finds a quantizer by its class name or its snake_case name ("abs_max_quantizer").
ALL_OBJECTS_DICT = {**QUANTIZER_CLASSES, **{_snake_case(name): cls for name, cls in QUANTIZER_CLASSES.items()}}


def serialize(quantizer):
    """A quantizer or config as plain data, as Keras 3 writes it in a file.

    Examples
    --------
    >>> serialize(AbsMaxQuantizer(axis=0))["config"]
    {'value_range': (-127, 127), 'epsilon': 1e-07, 'output_dtype': 'int8', 'axis': (0,)}
    """
    if quantizer is not None and not callable(getattr(quantizer, "get_config", None)):
        raise ValueError(f"Cannot serialize {quantizer!r}: it is not a quantizer or a quantization config")
    return serialize_quantizer(quantizer)


def deserialize(config, custom_objects=None):
    """The quantizer or config that ``serialize`` wrote (a class of the user's own from
    ``custom_objects`` or the registered classes).

    Examples
    --------
    >>> deserialize(serialize(Int4QuantizationConfig(block_size=64))).block_size
    64
    """
    return deserialize_quantizer(config, custom_objects)


def get(identifier, **kwargs):
    """A quantizer from a quantizer, its serialized form or a class name (``"AbsMaxQuantizer"``
    or ``"abs_max_quantizer"``, made with ``kwargs``); None stays None.

    Examples
    --------
    >>> get("abs_max_quantizer", axis=0).axis
    (0,)
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    obj = ALL_OBJECTS_DICT.get(identifier) if isinstance(identifier, str) else identifier
    if isinstance(obj, type):
        return obj(**kwargs)
    if obj is None or not callable(obj):
        raise ValueError(f"Could not interpret quantizer identifier: {identifier}")
    return obj
