"""tf.io.serialize_sparse / deserialize_sparse, RaggedTensor.from_sparse and tf.io.encode_jpeg (Hands-On chapter 13)."""

import numpy as np
import pytest

import learnet as tf

# What TensorFlow 2.21 writes for this SparseTensor's values (strings packed into tensor_content).
TF_VALUES_BYTES = b'\x08\x07\x12\x04\x12\x02\x08\x03"\x07\x01\x02\x01abbc'


def _emails():
    return tf.sparse.SparseTensor(indices=[[0, 0], [0, 1], [2, 0]], values=[b"a", b"bb", b"c"], dense_shape=[3, 4])


def test_serialize_sparse_writes_tensorflows_bytes_and_reads_them_back():
    parts = tf.io.serialize_sparse(_emails())
    assert parts.shape == (3,) and parts.dtype == tf.string
    assert parts.numpy()[1] == TF_VALUES_BYTES
    assert parts.numpy()[0] == tf.io.serialize_tensor(_emails().indices).numpy()
    again = tf.io.deserialize_sparse(parts, tf.string)
    assert again.values.numpy().tolist() == [b"a", b"bb", b"c"] and again.dense_shape.numpy().tolist() == [3, 4]
    assert tf.io.parse_tensor(TF_VALUES_BYTES, tf.string).numpy().tolist() == [b"a", b"bb", b"c"]
    batch = tf.io.deserialize_sparse(tf.stack([parts, parts]), tf.string)
    assert batch.dense_shape.numpy().tolist() == [2, 3, 4] and batch.indices.numpy()[3].tolist() == [1, 0, 0]
    numbers = tf.sparse.SparseTensor([[1]], np.array([2.5], "float32"), [3])
    assert tf.io.deserialize_sparse(tf.io.serialize_sparse(numbers), tf.float32).values.numpy().tolist() == [2.5]
    with pytest.raises(TypeError, match="expects a SparseTensor"):
        tf.io.serialize_sparse(tf.constant([1.0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="last axis of 3"):
        tf.io.deserialize_sparse(tf.constant([b"x", b"y"]), tf.string)


def test_ragged_rows_from_a_sparse_tensor():
    ragged = tf.RaggedTensor.from_sparse(_emails())
    assert ragged.to_list() == [[b"a", b"bb"], [], [b"c"]]
    shuffled = tf.sparse.SparseTensor([[0, 1], [0, 0]], [1, 2], [1, 2])
    with pytest.raises(ValueError, match="row-major order"):
        tf.RaggedTensor.from_sparse(shuffled)
    with pytest.raises(ValueError, match="rank 2"):
        tf.RaggedTensor.from_sparse(tf.sparse.SparseTensor([[0]], [1], [3]))


def test_encode_jpeg_round_trips_a_picture():
    picture = np.zeros((16, 16, 3), np.uint8)
    picture[:, 8:] = [200, 30, 30]
    data = tf.io.encode_jpeg(picture, quality=100)
    assert data.dtype == tf.string and data.numpy()[:2] == b"\xff\xd8"
    decoded = tf.io.decode_jpeg(data).numpy()
    assert decoded.shape == (16, 16, 3) and np.abs(decoded.astype(int) - picture).mean() < 4
    grey = tf.io.decode_jpeg(tf.io.encode_jpeg(np.full((4, 4, 1), 90, np.uint8), format="grayscale"))
    assert grey.shape == (4, 4, 1)
    with pytest.raises(ValueError, match="uint8 image"):
        tf.io.encode_jpeg(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="quality"):
        tf.io.encode_jpeg(picture, quality=101)
