"""Tensors of other kinds: tf.SparseTensor / tf.sparse, tf.IndexedSlices, tf.ragged, tf.TensorArray,
tf.sets, tf.queue.FIFOQueue, tf.gather_nd / scatter_nd and Variable.scatter_* (values as TF documents)."""

import numpy as np
import pytest

import learnet as tf
from learnet.testing import check_gradients


# --- sparse -----------------------------------------------------------------------------------------
def test_sparse_tensor_round_trip_and_matmul():
    st = tf.SparseTensor(indices=[[0, 3], [2, 4]], values=[10.0, 20.0], dense_shape=[3, 10])
    dense = tf.sparse.to_dense(st).numpy()
    assert dense.shape == (3, 10) and dense[0, 3] == 10 and dense[2, 4] == 20 and dense.sum() == 30
    back = tf.sparse.from_dense(dense)
    assert back.indices.numpy().tolist() == [[0, 3], [2, 4]] and back.values.numpy().tolist() == [10.0, 20.0]
    product = tf.sparse.sparse_dense_matmul(st, tf.ones((10, 2)))
    assert product.numpy().tolist() == [[10.0, 10.0], [0.0, 0.0], [20.0, 20.0]]
    assert tf.sparse.to_dense(st, default_value=-1.0).numpy()[1, 0] == -1.0
    total = tf.sparse.add(st, tf.SparseTensor([[0, 3]], [1.0], [3, 10]))
    assert tf.sparse.to_dense(total).numpy()[0, 3] == 11.0
    assert float(tf.sparse.reduce_sum(st)) == 30.0 and tf.sparse.reduce_sum(st, axis=1).numpy().tolist() == [10, 0, 20]
    assert tf.sparse.transpose(st).shape == (10, 3)
    reordered = tf.sparse.reorder(tf.SparseTensor([[2, 4], [0, 3]], [20.0, 10.0], [3, 10]))
    assert reordered.values.numpy().tolist() == [10.0, 20.0]


def test_sparse_values_get_gradients_and_bad_input_is_refused():
    def dense_of(values):
        return tf.sparse.to_dense(tf.SparseTensor([[0, 1], [1, 0]], values, [2, 2])) * tf.constant(
            [[1.0, 2.0], [3.0, 4.0]], dtype=tf.float64
        )

    assert check_gradients(dense_of, [np.array([0.5, -1.0])]) < 1e-8
    with pytest.raises(ValueError, match="outside the dense shape"):
        tf.SparseTensor([[5, 0]], [1.0], [2, 2])
    with pytest.raises(ValueError, match="values"):
        tf.SparseTensor([[0, 0], [1, 1]], [1.0], [2, 2])


def test_indexed_slices_densify():
    slices = tf.IndexedSlices(values=[[1.0, 2.0], [3.0, 4.0]], indices=[2, 0], dense_shape=[3, 2])
    assert tf.convert_to_tensor(np.asarray(slices)).numpy().tolist() == [[3.0, 4.0], [0.0, 0.0], [1.0, 2.0]]


# --- ragged ------------------------------------------------------------------------------------------
def test_ragged_constant_and_common_ops():
    rt = tf.ragged.constant([[3, 1, 4, 1], [], [5, 9, 2], [6], []])
    assert rt.shape.as_list() == [5, None] and rt.row_lengths().numpy().tolist() == [4, 0, 3, 1, 0]
    assert rt.to_list() == [[3, 1, 4, 1], [], [5, 9, 2], [6], []]
    assert rt[2].numpy().tolist() == [5, 9, 2] and rt[1:3].to_list() == [[], [5, 9, 2]]
    assert rt.to_tensor().numpy().tolist()[3] == [6, 0, 0, 0]
    assert tf.ragged.reduce_sum(rt, axis=1).numpy().tolist() == [9, 0, 16, 6, 0]
    assert tf.ragged.reduce_mean(tf.ragged.constant([[1.0, 3.0], [2.0]]), axis=1).numpy().tolist() == [2.0, 2.0]
    assert tf.ragged.map_flat_values(lambda v: v * 2, rt).to_list()[0] == [6, 2, 8, 2]
    assert (rt + 1).to_list()[3] == [7]
    joined = tf.ragged.concat([tf.ragged.constant([[1], [2, 3]]), tf.ragged.constant([[4, 5], []])], axis=1)
    assert joined.to_list() == [[1, 4, 5], [2, 3]]
    assert tf.RaggedTensor.from_row_splits([1, 2, 3], [0, 2, 3]).to_list() == [[1, 2], [3]]
    assert tf.RaggedTensor.from_value_rowids([7, 8, 9], [0, 0, 2], nrows=3).to_list() == [[7, 8], [], [9]]
    padded = tf.RaggedTensor.from_tensor([[1, 2, 0], [3, 0, 0]], padding=0)
    assert padded.to_list() == [[1, 2], [3]]
    with pytest.raises(ValueError, match="row_splits"):
        tf.RaggedTensor.from_row_splits([1, 2, 3], [0, 5])
    with pytest.raises(ValueError, match="list of rows"):
        tf.ragged.constant([1, 2])


# --- TensorArray, sets, queue ------------------------------------------------------------------------------
def test_tensor_array():
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True, clear_after_read=False)
    for i in range(4):
        ta = ta.write(i, [float(i), float(i * i)])
    assert int(ta.size()) == 4 and ta.read(2).numpy().tolist() == [2.0, 4.0]
    assert ta.stack().shape == (4, 2) and ta.gather([3, 0]).numpy()[0].tolist() == [3.0, 9.0]
    once = tf.TensorArray(tf.float32, size=2).write(0, 1.0).write(1, 2.0)
    assert float(once.read(0)) == 1.0
    with pytest.raises(ValueError, match="twice"):
        once.read(0)
    assert once.stack().numpy().tolist() == [0.0, 2.0]  # a read element is zeroed, as in TF
    fixed = tf.TensorArray(tf.int32, size=2)
    with pytest.raises(IndexError, match="dynamic_size"):
        fixed.write(2, 1)
    fixed.write(0, 1)
    with pytest.raises(ValueError, match="already written"):
        fixed.write(0, 2)
    with pytest.raises(ValueError, match="never written"):
        fixed.stack()
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        squares = tf.TensorArray(tf.float32, size=3)
        for i in range(3):
            squares = squares.write(i, x * float(i))
        total = tf.reduce_sum(squares.stack())
    assert float(tape.gradient(total, x)) == 3.0


def test_sets():
    a = tf.constant([[1, 2, 3], [4, 5, 6]])
    b = tf.constant([[2, 3, 9], [6, 7, 8]])
    both = tf.sets.intersection(a, b)
    assert tf.sparse.to_dense(both).numpy().tolist() == [[2, 3], [6, 0]]
    assert tf.sets.size(tf.sets.union(a, b)).numpy().tolist() == [4, 5]
    assert tf.sparse.to_dense(tf.sets.difference(a, b)).numpy().tolist() == [[1, 0], [4, 5]]
    assert int(tf.sets.size(tf.constant([1, 1, 2, 7]))) == 3


def test_fifo_queue():
    unshaped = tf.queue.FIFOQueue(capacity=2, dtypes=tf.float32)
    unshaped.enqueue(1.0)
    with pytest.raises(ValueError, match="specified shapes"):
        unshaped.dequeue_many(1)
    q = tf.queue.FIFOQueue(capacity=4, dtypes=tf.float32, shapes=[[]])
    q.enqueue(1.0)
    q.enqueue_many([[2.0, 3.0]])
    assert int(q.size()) == 3 and float(q.dequeue()) == 1.0
    assert q.dequeue_many(2).numpy().tolist() == [2.0, 3.0]
    with pytest.raises(RuntimeError, match="empty"):
        q.dequeue()
    pairs = tf.queue.FIFOQueue(2, [tf.int32, tf.float32])
    pairs.enqueue([1, 0.5])
    label, weight = pairs.dequeue()
    assert int(label) == 1 and float(weight) == 0.5
    pairs.enqueue([1, 0.5])
    pairs.enqueue([2, 0.5])
    with pytest.raises(RuntimeError, match="full"):
        pairs.enqueue([3, 0.5])


# --- gather_nd, scatter_nd, Variable.scatter_* ---------------------------------------------------------------
def test_gather_and_scatter_nd():
    grid = tf.constant([[1, 2, 3], [4, 5, 6]])
    assert tf.gather_nd(grid, [[1, 2], [0, 0]]).numpy().tolist() == [6, 1]
    assert tf.gather_nd(grid, [[1]]).numpy().tolist() == [[4, 5, 6]]
    assert tf.scatter_nd([[4], [3], [1], [7]], [9, 10, 11, 12], [8]).numpy().tolist() == [0, 11, 0, 10, 9, 0, 0, 12]
    assert tf.scatter_nd([[1], [1]], [2.0, 3.0], [3]).numpy().tolist() == [0.0, 5.0, 0.0]  # repeats add up
    updated = tf.tensor_scatter_nd_update(grid, [[0, 1], [1, 0]], [20, 40])
    assert updated.numpy().tolist() == [[1, 20, 3], [40, 5, 6]] and grid.numpy()[0, 1] == 2
    assert tf.tensor_scatter_nd_add(grid, [[1]], [[1, 1, 1]]).numpy().tolist() == [[1, 2, 3], [5, 6, 7]]
    assert (
        check_gradients(
            lambda t, u: tf.tensor_scatter_nd_update(t, [[0, 2]], u) * tf.constant([[1.0, 2, 3]], tf.float64),
            [np.random.default_rng(0).random((1, 3)), np.array([0.5])],
        )
        < 1e-8
    )
    with pytest.raises(IndexError, match="out of range"):
        tf.gather_nd(grid, [[2, 0]])
    with pytest.raises(ValueError, match="do not fit"):
        tf.scatter_nd([[0], [1]], [1.0, 2.0, 3.0], [4])


def test_variable_scatter_methods():
    v = tf.Variable([1.0, 2.0, 3.0, 4.0])
    v.scatter_nd_update([[1], [3]], [20.0, 40.0])
    v.scatter_nd_add([[0]], [5.0])
    v.scatter_nd_sub([[2]], [1.0])
    assert v.numpy().tolist() == [6.0, 20.0, 2.0, 40.0]
    m = tf.Variable(tf.zeros((3, 2)))
    m.scatter_update(tf.IndexedSlices([[1.0, 2.0]], [2]))
    m.scatter_add(tf.IndexedSlices([[1.0, 1.0]], [2]))
    assert m.numpy().tolist() == [[0.0, 0.0], [0.0, 0.0], [2.0, 3.0]]
    with pytest.raises(IndexError, match="out of range"):
        v.scatter_nd_update([[9]], [1.0])
    assert v.numpy().tolist() == [6.0, 20.0, 2.0, 40.0]


def test_sparse_concat():
    left = tf.SparseTensor([[0, 0]], [1.0], [2, 2])
    right = tf.SparseTensor([[1, 1]], [2.0], [2, 3])
    joined = tf.sparse.concat(1, [left, right])
    assert joined.shape == (2, 5) and tf.sparse.to_dense(joined).numpy()[1].tolist() == [0, 0, 0, 2, 0]
    with pytest.raises(ValueError, match="at least one"):
        tf.sparse.concat(0, [])


def test_sparse_slice():
    st = tf.SparseTensor([[0, 1], [2, 3], [3, 0]], [1.0, 2.0, 3.0], [4, 4])
    part = tf.sparse.slice(st, start=[1, 1], size=[3, 5])
    assert part.shape == (3, 3) and part.indices.numpy().tolist() == [[1, 2]] and part.values.numpy().tolist() == [2.0]


def test_from_tensor_slices_reads_a_list_as_one_tensor():
    assert [int(v) for v in tf.data.Dataset.from_tensor_slices([4, 5, 6])] == [4, 5, 6]
    rows = list(tf.data.Dataset.from_tensor_slices([[1, 2], [3, 4]]))
    assert [r.numpy().tolist() for r in rows] == [[1, 2], [3, 4]]
    pairs = list(tf.data.Dataset.from_tensor_slices(([1, 2], [3, 4])))
    assert [(int(a), int(b)) for a, b in pairs] == [(1, 3), (2, 4)]


def test_sparse_map_values():
    st = tf.SparseTensor([[0, 1], [1, 0]], [2.0, 3.0], [2, 2])
    squared = tf.sparse.map_values(tf.square, st)
    assert squared.values.numpy().tolist() == [4.0, 9.0] and squared.indices.numpy().tolist() == [[0, 1], [1, 0]]
    assert tf.sparse.map_values(tf.add, st, st).values.numpy().tolist() == [4.0, 6.0]
    with pytest.raises(ValueError, match="same indices"):
        tf.sparse.map_values(tf.add, st, tf.SparseTensor([[0, 0], [1, 1]], [1.0, 1.0], [2, 2]))


def test_text_line_dataset(tmp_path):
    (tmp_path / "a.txt").write_text("alpha\nbeta\r\n")
    (tmp_path / "b.txt").write_text("gamma")
    lines = tf.data.TextLineDataset([str(tmp_path / "a.txt"), str(tmp_path / "b.txt")])
    assert [line.numpy() for line in lines] == [b"alpha", b"beta", b"gamma"]
    assert [len(b.numpy()) for b in lines.batch(2)] == [2, 1]
    with pytest.raises(FileNotFoundError, match="no file"):
        tf.data.TextLineDataset(str(tmp_path / "missing.txt"))


def test_top_level_functions_take_ragged_tensors():
    digits = tf.ragged.constant([[3, 1, 4, 1], [], [5, 9, 2], [6], []])
    assert tf.add(digits, 3).to_list() == [[6, 4, 7, 4], [], [8, 12, 5], [9], []]
    means = tf.reduce_mean(digits, axis=1).numpy()
    assert means.dtype == np.float64 and np.allclose(means[[0, 2, 3]], [2.25, 16 / 3, 6.0]) and np.isnan(means[1])
    assert tf.reduce_sum(digits, axis=1).numpy().tolist() == [9, 0, 16, 6, 0]
    assert tf.reduce_sum(digits, axis=1).dtype == np.int32
    assert tf.reduce_max(digits, axis=1).numpy().tolist()[:1] == [4]
    assert tf.concat([digits, [[5, 3]]], axis=0).to_list()[-1] == [5, 3]
    assert tf.multiply(digits, digits).to_list()[2] == [25, 81, 4]
    assert tf.concat([tf.constant([1]), tf.constant([2])], 0).numpy().tolist() == [1, 2]  # plain path unchanged
    with pytest.raises(ValueError, match="different row lengths"):
        tf.add(digits, tf.ragged.constant([[1], [], [], [], []]))
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        rows = tf.RaggedTensor.from_row_lengths(x * 2.0, [2, 1])
        total = tf.reduce_sum(tf.reduce_mean(rows, axis=1))
    assert tape.gradient(total, x).numpy().tolist() == [1.0, 1.0, 2.0]


def test_tile_map_fn_and_strings_on_ragged_tensors():
    digits = tf.ragged.constant([[3, 1], [], [5]])
    assert tf.tile(digits, [1, 2]).to_list() == [[3, 1, 3, 1], [], [5, 5]]
    assert tf.tile(tf.constant([[1, 2]]), [2, 1]).numpy().tolist() == [[1, 2], [1, 2]]  # plain path
    assert tf.map_fn(tf.math.square, digits).to_list() == [[9, 1], [], [25]]
    words = tf.ragged.constant([["So", "long"], ["thanks"]])
    assert tf.strings.substr(words, 0, 2).to_list() == [[b"So", b"lo"], [b"th"]]
    assert tf.strings.length(words).to_list() == [[2, 4], [6]]


def test_map_fn_on_tensors_and_tuples_is_differentiable():
    x = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        rows = tf.map_fn(lambda row: tf.reduce_sum(row * row), x)
        total = tf.reduce_sum(rows)
    assert rows.numpy().tolist() == [5.0, 25.0]
    assert tape.gradient(total, x).numpy().tolist() == [[2.0, 4.0], [6.0, 8.0]]
    pairs = tf.map_fn(lambda ab: ab[0] * ab[1], (tf.constant([1, 2]), tf.constant([3, 4])))
    assert pairs.numpy().tolist() == [3, 8]
    with pytest.raises(ValueError, match="no slices"):
        tf.map_fn(tf.square, tf.zeros((0, 2)))
