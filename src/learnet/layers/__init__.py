"""``learnet.layers``: the building blocks of networks, with Keras' names.

Examples
--------
>>> from learnet import layers
>>> layers.Dense(10, activation="relu")
<Dense name=dense, built=False>
"""
from learnet.layers.base import InputSpec, KerasTensor, Layer, reset_names
from learnet.layers.core import (
    Activation, Dense, Dropout, Flatten, Identity, Input, InputLayer, Lambda, Reshape,
)

__all__ = [
    "Activation", "Dense", "Dropout", "Flatten", "Identity", "Input", "InputLayer", "InputSpec",
    "KerasTensor", "Lambda", "Layer", "Reshape", "reset_names",
]
