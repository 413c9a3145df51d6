"""Dataset.element_spec and tf.TensorSpec's equality and printing.

The expected strings are what TensorFlow 2.21 prints for the same pipelines.
"""

import numpy as np
import pytest

import learnet as tf


def _pairs():
    return tf.data.Dataset.from_tensor_slices((np.zeros((4, 3), np.float32), np.arange(4, dtype=np.int64)))


def test_tensor_spec_prints_and_compares_as_tensorflow():
    spec = tf.TensorSpec((None, 3))
    assert repr(spec) == str(spec) == "TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)"
    assert repr(tf.TensorSpec(None)) == "TensorSpec(shape=<unknown>, dtype=tf.float32, name=None)"
    assert repr(tf.TensorSpec([], tf.int32)) == "TensorSpec(shape=(), dtype=tf.int32, name=None)"
    assert repr(tf.TensorSpec([2], tf.string)) == "TensorSpec(shape=(2,), dtype=tf.string, name=None)"
    assert spec == tf.TensorSpec([None, 3], tf.float32) and not spec != tf.TensorSpec([None, 3])
    assert spec != tf.TensorSpec((None, 3), name="x") and spec != tf.TensorSpec((None, 4))
    assert spec != tf.TensorSpec((None, 3), tf.float64) and spec != "TensorSpec"
    # Equal specs hash alike, so they work as dict keys and in sets (as in TensorFlow).
    assert hash(spec) == hash(tf.TensorSpec([None, 3])) and len({spec, tf.TensorSpec((None, 3))}) == 1


def test_element_spec_of_sources():
    assert str(_pairs().element_spec) == (
        "(TensorSpec(shape=(3,), dtype=tf.float32, name=None), TensorSpec(shape=(), dtype=tf.int64, name=None))"
    )
    assert tf.data.Dataset.range(3).element_spec == tf.TensorSpec((), tf.int64)
    named = tf.data.Dataset.from_tensor_slices({"a": np.zeros((4, 2), np.float32), "b": ["x", "y", "z", "w"]})
    assert named.element_spec == {"a": tf.TensorSpec((2,), tf.float32), "b": tf.TensorSpec((), tf.string)}
    assert tf.data.Dataset.from_tensors(np.zeros((2, 5), np.float32)).element_spec == tf.TensorSpec((2, 5))
    signature = (tf.TensorSpec((None,), tf.float32), tf.TensorSpec((), tf.int32))
    generated = tf.data.Dataset.from_generator(lambda: iter([]), output_signature=signature)
    assert generated.element_spec == signature
    typed = tf.data.Dataset.from_generator(
        lambda: iter([]), output_types=(tf.float32, tf.int64), output_shapes=((2,), ())
    )
    assert typed.element_spec == (tf.TensorSpec((2,), tf.float32), tf.TensorSpec((), tf.int64))


def test_element_spec_through_transformations():
    ds = _pairs()
    assert ds.batch(2).element_spec == (tf.TensorSpec((None, 3)), tf.TensorSpec((None,), tf.int64))
    assert ds.batch(2, drop_remainder=True).element_spec == (tf.TensorSpec((2, 3)), tf.TensorSpec((2,), tf.int64))
    assert ds.shuffle(10).batch(3).unbatch().element_spec == ds.element_spec
    assert ds.take(2).skip(1).repeat(2).filter(lambda x, y: y > 0).prefetch(1).element_spec == ds.element_spec
    assert ds.enumerate().element_spec == (tf.TensorSpec((), tf.int64), ds.element_spec)
    assert tf.data.Dataset.zip((ds, tf.data.Dataset.range(4))).element_spec == (
        ds.element_spec,
        tf.TensorSpec((), tf.int64),
    )
    longer = tf.data.Dataset.from_tensor_slices(np.zeros((2, 5, 4), np.float32))
    shorter = tf.data.Dataset.from_tensor_slices(np.zeros((2, 3, 4), np.float32))
    assert longer.concatenate(shorter).element_spec == tf.TensorSpec((None, 4))


def test_element_spec_of_map_runs_the_function_once_and_keeps_a_batch_axis_open():
    calls = []

    def double(x, y):
        calls.append(1)
        return x * 2.0, tf.cast(y, tf.float32)

    ds = _pairs()
    assert ds.map(double).element_spec == (tf.TensorSpec((3,)), tf.TensorSpec(()))
    assert len(calls) == 1
    assert ds.batch(3).map(double).element_spec == (tf.TensorSpec((None, 3)), tf.TensorSpec((None,)))
    # Elements match their spec: an int64 element is read as an int64 tensor.
    x, y = next(iter(ds))
    assert ds.element_spec[0].is_compatible_with(x) and ds.element_spec[1].is_compatible_with(y)


def test_element_spec_errors():
    with pytest.raises(ValueError, match="no elements"):
        tf.data.Dataset.from_generator(lambda: iter([])).element_spec
    with pytest.raises(ValueError, match="unbatch"):
        tf.data.Dataset.range(3).unbatch().element_spec
    with pytest.raises(TypeError, match="different dtypes"):
        tf.data.Dataset.range(3).concatenate(tf.data.Dataset.from_tensor_slices(np.zeros(3, np.float32))).element_spec
