"""The one walker of nested structures (``learnet.tree``)."""

import numpy as np
import pytest

from learnet import tree


def test_flatten_keeps_order_and_none_leaves():
    structure = {"b": [1, (2, None)], "a": 3}
    assert tree.flatten(structure) == [1, 2, None, 3]  # dict order: insertion order
    assert tree.flatten(5) == [5]
    array = np.zeros((2, 3))
    assert tree.flatten([array])[0] is array  # arrays are leaves, not sequences


def test_map_structure_keeps_the_containers():
    out = tree.map_structure(lambda v: v + 1, {"x": [1, (2, 3)]})
    assert out == {"x": [2, (3, 4)]}
    assert isinstance(out["x"], list) and isinstance(out["x"][1], tuple)


def test_named_leaves_give_each_leaf_its_path():
    assert tree.named_leaves([np.int8(1), {"out": 2}], "y") == [("y[0]", 1), ("y[1]['out']", 2)]


def test_pack_sequence_as_is_the_inverse_of_flatten():
    structure = {"a": [0, (0, 0)], "b": 0}
    assert tree.pack_sequence_as(structure, tree.flatten(structure)) == structure
    assert tree.pack_sequence_as(structure, [1, 2, 3, 4]) == {"a": [1, (2, 3)], "b": 4}


def test_pack_sequence_as_refuses_a_wrong_count():
    with pytest.raises(ValueError, match="has 2 leaves, got 3"):
        tree.pack_sequence_as([0, 0], [1, 2, 3])


def test_shapes_are_leaves_in_structures_of_shapes():
    assert tree.is_shape((None, 28, np.int64(28)))
    assert not tree.is_shape([None, 2]) and not tree.is_shape(((None, 2),))
    shapes = {"image": (None, 28, 28), "extra": [(None, 3), (None, 4)]}
    assert tree.flatten_shapes(shapes) == [(None, 28, 28), (None, 3), (None, 4)]
    doubled = tree.map_shapes(lambda s: s + (1,), shapes)
    assert doubled == {"image": (None, 28, 28, 1), "extra": [(None, 3, 1), (None, 4, 1)]}
    assert tree.map_shapes(len, None) is None
