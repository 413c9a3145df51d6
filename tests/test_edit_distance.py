"""``tf.edit_distance`` against real TensorFlow 2.21 (tests/fixtures/make_tf_edit_distance_fixture.py),
and ``tf.cast`` of a SparseTensor, as keras.io's handwriting-recognition example uses them."""

import sys
from pathlib import Path

import numpy as np
import pytest

import learnet as tf

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures"))
from make_tf_edit_distance_fixture import HYPOTHESIS, TRUTH  # noqa: E402

REFERENCE = np.load(Path(__file__).resolve().parent / "fixtures" / "tf_edit_distance_reference.npz")


def test_edit_distance_equals_tensorflow():
    hypothesis, truth = tf.sparse.from_dense(tf.constant(HYPOTHESIS)), tf.sparse.from_dense(tf.constant(TRUTH))
    np.testing.assert_array_equal(tf.edit_distance(hypothesis, truth, normalize=False).numpy(), REFERENCE["plain"])
    np.testing.assert_allclose(tf.edit_distance(hypothesis, truth).numpy(), REFERENCE["normalized"])


def test_sequences_of_a_rank_three_sparse_tensor_are_its_values_in_order():
    hypothesis = tf.SparseTensor([[0, 0, 0], [0, 1, 0], [1, 0, 1]], [1, 2, 3], [2, 2, 2])
    truth = tf.SparseTensor([[0, 0, 0], [1, 0, 0]], [1, 3], [2, 2, 2])
    assert tf.edit_distance(hypothesis, truth, normalize=False).numpy().tolist() == [[0.0, 1.0], [0.0, 0.0]]


def test_cast_of_a_sparse_tensor_keeps_it_sparse():
    sparse = tf.cast(tf.sparse.from_dense(tf.constant([[0, 2], [3, 0]])), tf.int64)
    assert isinstance(sparse, tf.SparseTensor) and sparse.values.dtype == np.int64
    assert sparse.indices.numpy().tolist() == [[0, 1], [1, 0]]


def test_edit_distance_refuses_dense_tensors():
    with pytest.raises(TypeError, match="SparseTensors"):
        tf.edit_distance(tf.constant([[1, 2]]), tf.sparse.from_dense(tf.constant([[1, 2]])))
