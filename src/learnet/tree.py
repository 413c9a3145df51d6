"""Floor 1: nested structures of values (``keras.tree`` in small).

A model may take or give a list, a tuple or a dict of arrays; a layer may be built
from a list of shapes. These few functions walk such structures, so every floor
walks them the same way: lists, tuples and dicts are containers (a dict's values in
its insertion order), everything else is a leaf (``None`` included). For structures
of shapes, a tuple of integers (``(None, 28, 28)``) is one leaf, not a container.

Examples
--------
>>> from learnet import tree
>>> tree.flatten({"image": [1, 2], "label": 3})
[1, 2, 3]
>>> tree.map_structure(lambda v: v * 10, (1, [2, 3]))
(10, [20, 30])
>>> tree.flatten_shapes([(None, 2), (None, 3, 4)])
[(None, 2), (None, 3, 4)]
"""

import numbers
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "flatten",
    "map_structure",
    "named_leaves",
    "pack_sequence_as",
    "is_shape",
    "flatten_shapes",
    "map_shapes",
]


def flatten(structure: Any) -> list[Any]:
    """The leaves of a nested list/tuple/dict structure, in order (``None`` leaves kept)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in structure for leaf in flatten(structure[key])]
    return [structure]


def map_structure(function: Callable[[Any], Any], structure: Any) -> Any:
    """``function`` applied to every leaf, in a structure like the original.

    Lists stay lists, dicts stay dicts, and every other tuple becomes a plain tuple.
    """
    if isinstance(structure, list):
        return [map_structure(function, item) for item in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(function, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(function, value) for key, value in structure.items()}
    return function(structure)


def named_leaves(structure: Any, name: str) -> list[tuple[str, Any]]:
    """``[(name, leaf), ...]``, each leaf named by its path: ``x[0]``, ``y['out']``.

    >>> named_leaves({"a": [1, 2]}, "x")
    [("x['a'][0]", 1), ("x['a'][1]", 2)]
    """
    if isinstance(structure, (list, tuple)):
        return [leaf for i, item in enumerate(structure) for leaf in named_leaves(item, f"{name}[{i}]")]
    if isinstance(structure, dict):
        return [leaf for key, item in structure.items() for leaf in named_leaves(item, f"{name}[{key!r}]")]
    return [(name, structure)]


def pack_sequence_as(structure: Any, flat: Iterable[Any]) -> Any:
    """The leaves ``flat`` (in the order of ``flatten``) put back into ``structure``'s shape.

    >>> pack_sequence_as({"a": [0, 0], "b": 0}, [1, 2, 3])
    {'a': [1, 2], 'b': 3}
    """
    flat = list(flat)
    count = len(flatten(structure))
    if count != len(flat):
        raise ValueError(f"pack_sequence_as: the structure has {count} leaves, got {len(flat)} values")
    leaves = iter(flat)
    return map_structure(lambda _: next(leaves), structure)


# --- structures of shapes ------------------------------------------------------------------------


def is_shape(value: object) -> bool:
    """True for one shape (a tuple of ints and ``None``), False for anything else."""
    return isinstance(value, tuple) and all(s is None or isinstance(s, numbers.Integral) for s in value)


def flatten_shapes(shapes: Any) -> list[tuple]:
    """The shapes inside a structure of shapes, in order."""
    if is_shape(shapes):
        return [shapes]
    if isinstance(shapes, dict):
        return [s for value in shapes.values() for s in flatten_shapes(value)]
    return [s for value in shapes for s in flatten_shapes(value)]


def map_shapes(function: Callable[[tuple], Any], shapes: Any) -> Any:
    """``function`` applied to every shape inside a structure of shapes (``None`` stays ``None``)."""
    if shapes is None:
        return None
    if is_shape(shapes):
        return function(shapes)
    if isinstance(shapes, dict):
        return {k: map_shapes(function, v) for k, v in shapes.items()}
    if isinstance(shapes, tuple):
        return tuple(map_shapes(function, s) for s in shapes)
    if isinstance(shapes, list):
        return [map_shapes(function, s) for s in shapes]
    return function(shapes)
