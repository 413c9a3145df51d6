"""``learnet.models``: ``Model``, ``Sequential``, and saving and loading whole models.

Examples
--------
>>> import learnet as keras
>>> from learnet import layers
>>> model = keras.models.Sequential([layers.Dense(1, input_shape=(3,))])
>>> model.compile(optimizer="sgd", loss="mse")
>>> model.save("model.learnet")                              # doctest: +SKIP
>>> same = keras.models.load_model("model.learnet")          # doctest: +SKIP
"""

from learnet.layers import serialization
from learnet.models.functional import Functional
from learnet.models.model import Model
from learnet.models.sequential import Sequential
from learnet.models.tfsm_layer import TFSMLayer  # noqa: F401 - registered; found as keras.layers.TFSMLayer


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002 - Keras' name
    """Load a model saved with ``model.save`` (architecture, weights, optimizer state).

    See :func:`learnet.saving.load_model`.
    """
    from learnet import saving

    return saving.load_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, **kwargs):
    """Save ``model`` to ``filepath``, as ``model.save(filepath)``."""
    from learnet import saving

    return saving.save_model(model, filepath, overwrite=overwrite, **kwargs)


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with the same architecture and newly initialized weights.

    Parameters
    ----------
    model : Model
    input_tensors : not supported
    clone_function : callable, optional
        ``clone_function(layer)`` returns the layer to use in the clone (default: a new
        layer from the original's config).
    """
    if input_tensors is not None:
        raise NotImplementedError("clone_model: input_tensors is not supported by learnet")
    config = serialization.serialize(model)
    # The classes are those of the model's own layers: already in memory, nothing looked up.
    classes = {type(layer).__name__: type(layer) for layer in model._flatten_layers()}
    if clone_function is not None:
        if isinstance(model, Sequential):
            return Sequential.from_config(config["config"], classes, layer_fn=clone_function)
        if isinstance(model, Functional):
            return Functional.from_config(config["config"], classes, layer_fn=clone_function)
    return serialization.deserialize(config, classes)


def model_from_json(json_string, custom_objects=None):
    """Rebuild a model (without weights) from ``model.to_json()``."""
    from learnet import saving

    return saving.model_from_json(json_string, custom_objects=custom_objects)


__all__ = ["Model", "Sequential", "Functional", "load_model", "save_model", "clone_model", "model_from_json"]
