"""tf.errors, and TensorFlow's rule that two tensors of different float dtypes are not mixed."""

import pickle

import numpy as np
import pytest

import learnet as tf


def test_error_classes_are_op_errors_and_the_python_errors_learnet_raised_before():
    error = tf.errors.InvalidArgumentError(None, None, "bad argument")
    assert isinstance(error, tf.errors.OpError) and isinstance(error, ValueError)
    assert str(error) == error.message == "bad argument" and error.op is None and error.node_def is None
    assert error.error_code == tf.errors.INVALID_ARGUMENT == 3
    assert issubclass(tf.errors.NotFoundError, FileNotFoundError) and tf.errors.NOT_FOUND == 5
    assert issubclass(tf.errors.OutOfRangeError, IndexError) and tf.errors.OutOfRangeError.error_code == 11
    assert issubclass(tf.errors.UnimplementedError, NotImplementedError)
    assert issubclass(tf.errors.ResourceExhaustedError, MemoryError)
    assert str(tf.errors.NotFoundError(None, None, "no file a.txt")) == "no file a.txt"
    assert str(pickle.loads(pickle.dumps(error))) == "bad argument"
    for name in ("CancelledError", "UnknownError", "AbortedError", "InternalError", "DataLossError"):
        assert issubclass(getattr(tf.errors, name), tf.errors.OpError)
    with pytest.raises(ValueError, match="caught as ValueError"):
        raise tf.errors.InvalidArgumentError(None, None, "caught as ValueError")


def test_float32_and_float64_tensors_are_not_mixed():
    # TensorFlow 2.21: tf.constant(1.0) + tf.constant(1.0, tf.float64) raises InvalidArgumentError
    # "cannot compute AddV2 as input #1(zero-based) was expected to be a float tensor but is a double tensor".
    single, double = tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0], dtype=tf.float64)
    operations = [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a * b,
        lambda a, b: a**b,
        tf.add,
        tf.multiply,
        tf.maximum,
        tf.minimum,
    ]
    for operation in operations:
        with pytest.raises(tf.errors.InvalidArgumentError, match="float tensor but is a double tensor"):
            operation(single, double)
        with pytest.raises(ValueError, match="double tensor but is a float tensor"):
            operation(double, single)
    # Division is checked before the op, as TensorFlow's truediv does: a TypeError there.
    with pytest.raises(TypeError, match="same dtype, got tf.float32 != tf.float64"):
        single / double
    with pytest.raises(TypeError, match="same dtype"):
        tf.divide(double, single)
    assert single.numpy().tolist() == [1.0, 2.0] and double.dtype == tf.float64


def test_numbers_and_numpy_arrays_take_the_tensors_dtype():
    single, double = tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0], dtype=tf.float64)
    assert (single + 1.5).dtype == tf.float32 and (2.0 * double).dtype == tf.float64
    assert (single + np.array([1.0, 1.0])).dtype == tf.float32
    assert (single * np.float64(2.0)).dtype == tf.float32
    assert (tf.cast(single, tf.float64) + double).numpy().tolist() == [2.0, 4.0]
    assert (single + tf.constant([1.0, 1.0], tf.float32)).dtype == tf.float32


def test_keras_ops_promote_as_keras_does():
    # Keras 3's ops meet two float dtypes in the wider one (keras.ops.add(float32, float64) is float64).
    single, double = tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0], dtype=tf.float64)
    assert tf.keras.ops.add(single, double).dtype == tf.float64
    assert tf.keras.ops.multiply(double, single).numpy().tolist() == [1.0, 4.0]
