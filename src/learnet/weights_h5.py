"""Weights in Keras 3's ``.weights.h5`` layout, so weights travel between learnet and Keras.

``model.save_weights("name.weights.h5")`` writes, and ``model.load_weights`` reads, the
HDF5 layout Keras 3 uses: one group per layer of ``model.layers``, named after the
layer's class in snake case and numbered within the model as Keras numbers them
(``layers/dense/vars/0``, ``layers/dense_1/vars/0``, ``layers/batch_normalization/vars/3``),
each holding that layer's weights in order. A file written by Keras 3 for the same
architecture loads into learnet, and the other way round.

Only models whose layers hold their weights themselves are covered (``Sequential`` and
functional models of ``Dense``, ``Conv2D``, ``BatchNormalization``, ...); for others
``.weights.npz`` is the format. Needs h5py (the ``h5`` extra). Reading checks every
array's shape and dtype against the model before any weight changes, and HDF5 files
hold no code.
"""
import io
import os
import re

import numpy as np

__all__ = ["read_weights_h5", "save_weights_h5"]


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError('.weights.h5 files need h5py: pip install "learnet[h5]" '
                          "(or use a name ending in .weights.npz)") from None
    return h5py


def _snake_case(name):
    """Keras' ``to_snake_case``: ``BatchNormalization`` -> ``batch_normalization``, ``Conv2D`` -> ``conv2d``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _layer_groups(model, what):
    """``[(group name, layer)]`` for ``model.layers``, named and numbered as Keras 3 names them."""
    from learnet.models.functional import Functional
    from learnet.models.sequential import Sequential

    if not isinstance(model, (Sequential, Functional)):
        raise ValueError(
            f"{what}: .weights.h5 files hold Sequential and functional models; for the subclassed model "
            f"'{model.name}' use a name ending in .weights.npz")
    used = {}
    groups = []
    for layer in model.layers:
        inner = [sub for sub in layer._flatten_layers() if sub is not layer and sub.weights]
        if inner:
            raise ValueError(
                f"{what}: layer '{layer.name}' holds other layers ({inner[0].name}); .weights.h5 files hold "
                "models of plain layers: use a name ending in .weights.npz")
        name = _snake_case(type(layer).__name__)
        if name in used:
            used[name] += 1
            name = f"{name}_{used[name]}"
        else:
            used[name] = 0
        groups.append((name, layer))
    return groups


def save_weights_h5(model, what="save_weights"):
    """The bytes of a ``.weights.h5`` file holding ``model``'s weights (Keras 3 layout)."""
    from learnet import backend

    h5py = _h5py()
    groups = _layer_groups(model, what)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as file:
        layers_group = file.create_group("layers")
        for name, layer in groups:
            variables = layers_group.create_group(name).create_group("vars")
            variables.attrs["name"] = layer.name
            for index, variable in enumerate(layer.weights):
                variables.create_dataset(str(index), data=backend.to_numpy(variable._value))
        file.create_group("vars").attrs["name"] = model.name
    return buffer.getvalue()


def read_weights_h5(model, filepath, what="load_weights"):
    """``[(variable, array)]`` for every weight of ``model``, read from a ``.weights.h5`` file.

    Every array's shape and dtype is checked before it is read; nothing is assigned here.
    Raises ``ValueError`` (naming the group) when the file does not fit the model.
    """
    h5py = _h5py()
    filepath = os.fspath(filepath)
    groups = _layer_groups(model, what)
    try:
        file = h5py.File(filepath, "r")
    except OSError as error:
        raise ValueError(f"{what}: {filepath} is not a readable HDF5 file ({error})") from None
    pairs = []
    with file:
        for name, layer in groups:
            if not layer.weights:
                continue
            path = f"layers/{name}/vars"
            stored = file.get(path)
            if not isinstance(stored, h5py.Group):
                raise ValueError(
                    f"{what}: {filepath} has no {path!r} for layer '{layer.name}' "
                    f"({type(layer).__name__}); was it saved from a model with the same layers?")
            if len(stored) != len(layer.weights):
                raise ValueError(
                    f"{what}: {filepath}: {path!r} holds {len(stored)} arrays, but layer '{layer.name}' "
                    f"has {len(layer.weights)} weights")
            for index, variable in enumerate(layer.weights):
                dataset = stored.get(str(index))
                if not isinstance(dataset, h5py.Dataset) or dataset.dtype.kind not in "biuf":
                    raise ValueError(f"{what}: {filepath}: {path}/{index} is not an array of numbers")
                if tuple(dataset.shape) != tuple(variable.shape):
                    raise ValueError(
                        f"{what}: {filepath}: {path}/{index} has shape {tuple(dataset.shape)}, but the "
                        f"model's weight {variable.name!r} has shape {tuple(variable.shape)}")
                pairs.append((variable, np.asarray(dataset[()], dtype=variable.dtype)))
    return pairs
