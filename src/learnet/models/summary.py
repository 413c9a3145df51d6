"""``model.summary()``: Keras' table of layers, output shapes and parameter counts.

::

    Model: "sequential"
    _________________________________________________________________
     Layer (type)                Output Shape              Param #
    =================================================================
     flatten (Flatten)           (None, 784)               0

     dense (Dense)               (None, 512)               401920

     dense_1 (Dense)             (None, 10)                5130

    =================================================================
    Total params: 407,050 (1.55 MB)
    Trainable params: 407,050 (1.55 MB)
    Non-trainable params: 0 (0.00 B)
    _________________________________________________________________
"""

import numpy as np

from learnet.module import graph_operations


def count_weights(variables):
    """The number of scalars in ``variables``, each variable counted once."""
    seen, total = set(), 0
    for variable in variables:
        if id(variable) not in seen:
            seen.add(id(variable))
            total += int(np.prod(variable.shape))
    return total


def _bytes(variables):
    seen, total = set(), 0
    for variable in variables:
        if id(variable) not in seen:
            seen.add(id(variable))
            total += int(np.prod(variable.shape)) * np.dtype(variable.dtype).itemsize
    return total


def readable_memory_size(size):
    """``1624200`` -> ``"1.55 MB"`` (powers of 1024, as Keras prints them)."""
    units = ["B", "KB", "MB", "GB", "TB", "PB"]
    scale = 1024
    for unit in units:
        if size / scale < 1:
            return f"{size:.2f} {unit}"
        size /= scale
    return f"{size:.2f} {units[-1]}"  # pragma: no cover - beyond petabytes


def _format_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return "[" + ", ".join(_format_shape(s) for s in shape) + "]"
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k}: {_format_shape(v)}" for k, v in shape.items()) + "}"
    shape = tuple(shape)
    if shape and isinstance(shape[0], (tuple, list)):
        return "[" + ", ".join(_format_shape(s) for s in shape) + "]"
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _output_shape(layer):
    try:
        shape = layer.output_shape
    except (AttributeError, ValueError, NotImplementedError, TypeError):
        return "multiple"
    try:
        return _format_shape(shape)
    except TypeError:  # pragma: no cover - an unusual shape object
        return str(shape)


def _rows(fields, positions):
    """The text lines of one table row; a field too long for its column continues below.

    As Keras does, a column keeps two spaces free before the next one, and a long field
    breaks after a closing bracket when it can.
    """
    left = [str(field) for field in fields]
    lines = []
    while any(left):
        line = ""
        for column, text in enumerate(left):
            start = positions[column - 1] if column > 0 else 0
            end = positions[column]
            space = 2 if column != len(positions) - 1 else 0
            cutoff = end - start - space - (1 if column == 0 else 0)
            piece = text[:cutoff]
            breaks = [piece.find(mark) + len(mark) for mark in ("),", "},", "],", "',") if piece.find(mark) >= 0]
            if breaks and len(text) > cutoff:
                cutoff = min(breaks)
                piece = piece[:cutoff]
            if column == 0:
                line += " "
            line += piece + " " * space
            left[column] = text[cutoff:]
            line += " " * (end - len(line))
        lines.append(line.rstrip())
    return lines


def _is_sequential_like(model):
    from learnet.models.functional import Functional

    if not isinstance(model, Functional):
        return True
    for node in model._nodes:
        if node.is_input:
            continue
        if len(node.dependencies) > 1:
            return False
    used = {}
    for node in model._nodes:
        used[id(node.layer)] = used.get(id(node.layer), 0) + 1
    return len(model.inputs) == 1 and len(model.outputs) == 1 and all(v == 1 for v in used.values())


def print_summary(model, line_length=None, positions=None, print_fn=print, expand_nested=False, show_trainable=False):
    """Print ``model``'s summary table with ``print_fn`` (one call per line).

    A model not built yet (no input shape seen) lists its layers as Keras 3 does, with an
    unknown output shape (``? (unbuilt)``) and no parameters yet.
    """
    sequential_like = _is_sequential_like(model)
    if sequential_like:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [0.33, 0.55, 0.67, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    if show_trainable:
        line_length += 11
        positions = list(positions) + [line_length]
        header = header + ["Trainable"]

    # A functional model lists its InputLayers first, as Keras does (a Sequential model has none).
    layers = graph_operations(model)  # with `x + 1`, as Keras

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    for line in _rows(header, positions):
        print_fn(line)
    print_fn("=" * line_length)
    for index, layer in enumerate(layers):
        name = f"{layer.name} ({_type_name(layer)})"
        if model.built:
            fields = [name, _output_shape(layer), layer.count_params() if layer.built else 0]
        else:
            fields = [name, "? (unbuilt)", 0]
        connections = []
        if not sequential_like:
            connections = _connections(model, layer)
            fields.append(connections[0] if connections else "")
        if show_trainable:
            fields.append("Y" if layer.trainable else "N")
        for line in _rows(fields, positions):
            print_fn(line)
        for extra in connections[1:]:
            for line in _rows(["", "", "", extra] + ([""] if show_trainable else []), positions):
                print_fn(line)
        print_fn("=" * line_length if index == len(layers) - 1 else "")
    if not layers:
        print_fn("=" * line_length)

    trainable = count_weights(model.trainable_weights)
    non_trainable = count_weights(model.non_trainable_weights)
    total_bytes = _bytes(model.weights)
    print_fn(f"Total params: {trainable + non_trainable:,} ({readable_memory_size(total_bytes)})")
    print_fn(f"Trainable params: {trainable:,} ({readable_memory_size(_bytes(model.trainable_weights))})")
    print_fn(f"Non-trainable params: {non_trainable:,} ({readable_memory_size(_bytes(model.non_trainable_weights))})")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False):
        slots = list(getattr(optimizer, "variables", []))
        count = count_weights(slots)
        if count:
            print_fn(f"Optimizer params: {count:,} ({readable_memory_size(_bytes(slots))})")
    print_fn("_" * line_length)


def _type_name(layer):
    """The type a summary shows: the class's name; for a ``keras.ops`` call on symbolic tensors
    (``x + y``, ``keras.ops.relu(x)``), the name of Keras 3's operation class (``Add``, ``Relu``),
    as Keras' summary shows it."""
    from learnet.layers.operation import KERAS_OPERATIONS, OperationLayer

    if isinstance(layer, OperationLayer):
        known = KERAS_OPERATIONS.get(layer.operation)
        if known is not None:
            return known[0]
    return type(layer).__name__


def _connections(model, layer):
    """``"dense[0][0]"`` for every tensor feeding each call of ``layer`` in ``model``."""
    calls_of = {}
    for node in model._nodes:
        calls_of.setdefault(id(node.layer), []).append(node)
    result = []
    for node in calls_of.get(id(layer), []):
        if node.is_input:
            continue
        for tensor in node.dependencies:
            source, index, _ = model._sources[id(tensor)]
            call_index = calls_of[id(source.layer)].index(source)
            result.append(f"{source.layer.name}[{call_index}][{index or 0}]")
    return result
