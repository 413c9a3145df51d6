"""Scatters and sparse-to-dense at sizes real data has, text values, and sparse elements in tf.data."""

import numpy as np

import learnet as tf
from learnet.testing import check_gradients


def test_a_large_scatter_takes_memory_of_its_output_only():
    # 200,000 places and 50,000 updates: a (places x updates) selector would be 80 GB.
    rng = np.random.default_rng(0)
    positions = rng.integers(0, 200_000, size=(50_000, 1))
    updates = rng.random(50_000).astype("float32")
    dense = tf.scatter_nd(positions, updates, [200_000])
    expected = np.zeros(200_000, "float32")
    np.add.at(expected, positions[:, 0], updates)
    np.testing.assert_allclose(dense.numpy(), expected, rtol=1e-6)
    sparse = tf.sparse.SparseTensor(np.arange(0, 300_000, 3)[:, None], np.ones(100_000, "float32"), [300_000])
    assert float(tf.reduce_sum(tf.sparse.to_dense(sparse))) == 100_000


def test_scatter_gradients_reach_every_update_even_repeated_ones():
    check_gradients(lambda u: tf.scatter_nd([[1], [3], [1]], u, [5, 2]), [np.random.default_rng(1).random((3, 2))])
    check_gradients(
        lambda t, u: tf.tensor_scatter_nd_add(t, [[0, 1], [2, 2]], u),
        [np.random.default_rng(2).random((3, 3)), np.random.default_rng(3).random(2)],
    )
    values = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        dense = tf.sparse.to_dense(tf.sparse.SparseTensor([[0, 1], [1, 0]], values, [2, 2]), default_value=-1.0)
        loss = tf.reduce_sum(dense * tf.constant([[5.0, 6.0], [7.0, 8.0]]))
    assert dense.numpy().tolist() == [[-1.0, 1.0], [2.0, -1.0]]
    assert tape.gradient(loss, values).numpy().tolist() == [6.0, 7.0]


def test_text_and_integer_sparse_tensors_become_dense():
    emails = tf.sparse.SparseTensor([[0, 0], [0, 1], [1, 0]], [b"a@b.com", b"c@d.com", b"e@f.com"], [2, 2])
    assert tf.sparse.to_dense(emails, default_value=b"").numpy().tolist() == [
        [b"a@b.com", b"c@d.com"],
        [b"e@f.com", b""],
    ]
    assert tf.sparse.to_dense(emails, default_value="none").numpy()[1, 1] == b"none"
    counts = tf.sparse.SparseTensor([[1], [4]], np.array([3, 7], "int64"), [5])
    dense = tf.sparse.to_dense(counts)
    assert dense.dtype == tf.int64 and dense.numpy().tolist() == [0, 3, 0, 0, 7]
    assert tf.sparse.to_dense(counts, default_value=-1).numpy().tolist() == [-1, 3, -1, -1, 7]
    assert tf.scatter_nd([[0], [0]], np.array([2, 5], "int32"), [2]).numpy().tolist() == [7, 0]


def test_a_dataset_map_may_return_sparse_tensors():
    def split(line):
        words = tf.strings.split(line).numpy().tolist()
        return {"words": tf.sparse.SparseTensor([[i] for i in range(len(words))], words, [len(words)]), "line": line}

    dataset = tf.data.Dataset.from_tensor_slices(["to be", "or not to be"]).map(split)
    parsed = list(dataset)
    assert isinstance(parsed[1]["words"], tf.sparse.SparseTensor)
    assert tf.sparse.to_dense(parsed[1]["words"], default_value=b"").numpy().tolist() == [b"or", b"not", b"to", b"be"]
    assert parsed[0]["line"].numpy() == b"to be"
