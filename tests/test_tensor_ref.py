"""Tensor.ref() / Variable.ref(): hashable references by identity, as TensorFlow's x.ref()."""

import learnet as tf


def test_references_of_one_object_are_equal_and_deref_to_it():
    x = tf.Variable(1.0)
    y = tf.Variable(1.0)  # equal value, another variable
    assert x.ref() == x.ref() and hash(x.ref()) == hash(x.ref())
    assert x.ref() != y.ref()
    assert x.ref().deref() is x
    assert x.experimental_ref() == x.ref()


def test_references_key_sets_and_dicts_by_identity():
    a, b = tf.constant([1, 2]), tf.constant([1, 2])
    seen = {a.ref(): "a", b.ref(): "b"}
    assert len(seen) == 2 and seen[a.ref()] == "a"
    assert {r.deref() is a for r in seen} == {True, False}
    assert repr(a.ref()).startswith("<Reference wrapping <learnet.Tensor")
