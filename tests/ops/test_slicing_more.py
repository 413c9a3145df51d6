"""tf.slice, tf.meshgrid, tf.tensor_scatter_nd_min/max, ops given their tensors by name, and
the NumPy scalar that ``numpy()`` of a scalar tensor gives (values as TensorFlow 2.21 gives them)."""

import numpy as np
import pytest

import learnet as tf
from learnet.testing import check_gradients

RNG = np.random.default_rng(7)


def test_slice_takes_a_block_and_minus_one_runs_to_the_end():
    t = tf.constant(np.arange(24).reshape(2, 3, 4))
    np.testing.assert_array_equal(
        tf.slice(t, [1, 0, 1], [1, 2, 3]).numpy(), np.arange(24).reshape(2, 3, 4)[1:2, 0:2, 1:4]
    )
    np.testing.assert_array_equal(
        tf.slice(t, [0, 1, 2], [-1, -1, -1]).numpy(), np.arange(24).reshape(2, 3, 4)[:, 1:, 2:]
    )
    assert tf.slice(t, tf.constant([0, 0, 0]), tf.constant([2, 1, 1])).shape == (2, 1, 1)


def test_slice_gradient():
    x = RNG.normal(size=(3, 5))
    weights = RNG.normal(size=(2, 3))
    check_gradients(lambda a: tf.slice(a, [1, 2], [2, 3]) * weights, [x])


@pytest.mark.parametrize(
    "begin, size",
    [([0, 0], [4, 1]), ([0, 4], [1, 2]), ([-1, 0], [1, 1]), ([0], [1]), ([0, 0], [1, -2])],
)
def test_slice_refuses_a_block_outside_the_tensor(begin, size):
    t = tf.constant(np.zeros((3, 5)))
    with pytest.raises((tf.errors.InvalidArgumentError, ValueError), match="slice"):
        tf.slice(t, begin, size)


def test_meshgrid_xy_and_ij_match_numpy():
    a, b, c = np.arange(3.0), np.arange(4.0) * 10, np.arange(2.0) - 5
    for indexing in ("xy", "ij"):
        grids = tf.meshgrid(tf.constant(a), tf.constant(b), tf.constant(c), indexing=indexing)
        for got, want in zip(grids, np.meshgrid(a, b, c, indexing=indexing)):
            np.testing.assert_array_equal(got.numpy(), want)
    (single,) = tf.meshgrid(tf.constant(a))
    np.testing.assert_array_equal(single.numpy(), a)
    with pytest.raises(ValueError, match="indexing"):
        tf.meshgrid(a, b, indexing="yx")


def test_meshgrid_gradient_sums_over_the_grid():
    x, y = RNG.normal(size=3), RNG.normal(size=4)
    w1, w2 = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    check_gradients(lambda a, b: tf.meshgrid(a, b)[0] * w1 + tf.meshgrid(a, b)[1] * w2, [x, y])


def test_tensor_scatter_nd_min_and_max_as_tensorflow():
    t = tf.constant([[-2, -7, 0], [-9, 5, 1], [3, -3, -5]])
    got = tf.tensor_scatter_nd_max(t, indices=[[0, 2], [2, 1]], updates=[6, 5])
    assert got.numpy().tolist() == [[-2, -7, 6], [-9, 5, 1], [3, 5, -5]]
    got = tf.tensor_scatter_nd_min(t, indices=[[0, 2], [2, 1]], updates=[-6, -5])
    assert got.numpy().tolist() == [[-2, -7, -6], [-9, 5, 1], [3, -5, -5]]
    # whole rows, and a repeated index where every update takes part
    rows = tf.tensor_scatter_nd_min(t, [[1], [1]], [[0, 0, 0], [-1, 7, -2]])
    assert rows.numpy().tolist() == [[-2, -7, 0], [-9, 0, -2], [3, -3, -5]]
    assert got.dtype == t.dtype


def test_tensor_scatter_nd_max_gradient_goes_to_what_won():
    x = RNG.normal(size=(4, 3))
    updates = RNG.normal(size=(3, 3))
    weights = RNG.normal(size=(4, 3))
    indices = [[0], [2], [0]]
    check_gradients(lambda a, u: tf.tensor_scatter_nd_max(a, indices, u) * weights, [x, updates])
    check_gradients(lambda a, u: tf.tensor_scatter_nd_min(a, indices, u) * weights, [x, updates])


def test_tensor_scatter_nd_min_refuses_bad_indices_and_updates():
    t = tf.constant(np.zeros((2, 3)))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.tensor_scatter_nd_min(t, [[5]], [[1.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match="do not fit"):
        tf.tensor_scatter_nd_max(t, [[1]], [1.0, 2.0])
    with pytest.raises(TypeError, match="integers"):
        tf.tensor_scatter_nd_max(t, [[0.5]], [[1.0, 1.0, 1.0]])
    assert not t.numpy().any()


def test_an_op_takes_its_tensors_by_name():
    got = tf.clip_by_value(tf.constant([-1.0, 0.5, 3.0]), clip_value_min=0.0, clip_value_max=1.0)
    assert got.numpy().tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(TypeError, match="clip_by_value expects 3 tensor arguments"):
        tf.clip_by_value(tf.constant([1.0]), clip_value_min=0.0)


def test_numpy_of_a_scalar_is_a_numpy_scalar_as_in_tensorflow():
    value = tf.constant(3.0).numpy()
    assert isinstance(value, np.float32) and value == 3.0
    assert isinstance(tf.Variable(2).numpy(), np.int32)
    assert isinstance(tf.reduce_prod(tf.constant([28, 28])).numpy(), np.int32)
    assert tf.constant("text").numpy() == b"text"
    assert tf.constant([1.0]).numpy().shape == (1,)
    variable = tf.Variable([1.0, 2.0])
    copy = variable.numpy()
    copy[0] = 9.0  # a copy: changing it leaves the variable as it was
    assert variable.numpy().tolist() == [1.0, 2.0]


def test_reverse_and_its_gradient():
    t = tf.constant(np.arange(6).reshape(2, 3))
    assert tf.reverse(t, [1]).numpy().tolist() == [[2, 1, 0], [5, 4, 3]]
    assert tf.reverse(t, axis=[0, -1]).numpy().tolist() == [[5, 4, 3], [2, 1, 0]]
    assert tf.reverse(t, []).numpy().tolist() == t.numpy().tolist()
    with pytest.raises(ValueError, match="out of range"):
        tf.reverse(t, [2])
    with pytest.raises(ValueError, match="twice"):
        tf.reverse(t, [1, -1])
    weights = RNG.normal(size=(2, 3))
    check_gradients(lambda a: tf.reverse(a, [1]) * weights, [RNG.normal(size=(2, 3))])


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumsum_and_cumprod_as_tensorflow(exclusive, reverse):
    # TensorFlow 2.21: tf.math.cumsum([[1, 2, 3], [4, 5, 6]], axis=1, exclusive=..., reverse=...)
    want_sum = {
        (False, False): [[1, 3, 6], [4, 9, 15]],
        (True, False): [[0, 1, 3], [0, 4, 9]],
        (False, True): [[6, 5, 3], [15, 11, 6]],
        (True, True): [[5, 3, 0], [11, 6, 0]],
    }
    want_prod = {
        (False, False): [[1, 2, 6], [4, 20, 120]],
        (True, False): [[1, 1, 2], [1, 4, 20]],
        (False, True): [[6, 6, 3], [120, 30, 6]],
        (True, True): [[6, 3, 1], [30, 6, 1]],
    }
    t = tf.constant([[1, 2, 3], [4, 5, 6]])
    got = tf.math.cumsum(t, axis=1, exclusive=exclusive, reverse=reverse)
    assert got.numpy().tolist() == want_sum[exclusive, reverse] and got.dtype == tf.int32
    got = tf.math.cumprod(t, axis=1, exclusive=exclusive, reverse=reverse)
    assert got.numpy().tolist() == want_prod[exclusive, reverse]
    x, weights = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
    check_gradients(lambda a: tf.cumsum(a, axis=0, exclusive=exclusive, reverse=reverse) * weights, [x])
    check_gradients(lambda a: tf.math.cumprod(a, axis=-1, exclusive=exclusive, reverse=reverse) * weights, [x])


def test_cumsum_default_axis_is_the_first_and_a_bad_axis_is_refused():
    assert tf.cumsum(tf.constant([[1, 2], [3, 4]])).numpy().tolist() == [[1, 2], [4, 6]]
    with pytest.raises(ValueError, match="cumsum: axis 2"):
        tf.cumsum(tf.constant([[1, 2], [3, 4]]), axis=2)


def test_sums_and_products_of_integers_keep_their_dtype():
    assert tf.reduce_sum(tf.constant([1, 2, 3])).dtype == tf.int32
    assert tf.reduce_prod(tf.constant([2, 3], dtype=tf.int16)).dtype == tf.int16
    assert tf.reduce_sum(tf.constant([1.0, 2.0])).dtype == tf.float32


def test_sort_and_argsort_as_tensorflow():
    values = tf.constant([[3.0, 1.0, 2.0, 1.0]])
    assert tf.sort(values).numpy().tolist() == [[1.0, 1.0, 2.0, 3.0]]
    assert tf.sort(values, direction="DESCENDING").numpy().tolist() == [[3.0, 2.0, 1.0, 1.0]]
    # TensorFlow 2.21: tf.argsort([1, 3, 3, 2], direction="DESCENDING") -> [1, 2, 3, 0]
    assert tf.argsort([1, 3, 3, 2], direction="DESCENDING").numpy().tolist() == [1, 2, 3, 0]
    assert tf.argsort(values).dtype == tf.int32
    with pytest.raises(ValueError, match="direction"):
        tf.sort(values, direction="UP")
    weights = RNG.normal(size=(3, 4))
    check_gradients(lambda a: tf.sort(a, axis=0) * weights, [RNG.normal(size=(3, 4))])


def test_boolean_mask_keeps_the_marked_entries():
    t = tf.constant(np.arange(12).reshape(3, 4))
    assert tf.boolean_mask(t, [True, False, True]).numpy().tolist() == [[0, 1, 2, 3], [8, 9, 10, 11]]
    assert tf.boolean_mask(t, t % 2 == 0).numpy().tolist() == [0, 2, 4, 6, 8, 10]
    assert tf.boolean_mask(t, [False, True, True, False], axis=1).numpy().tolist() == [[1, 2], [5, 6], [9, 10]]
    with pytest.raises(ValueError, match="does not cover"):
        tf.boolean_mask(t, [True, False])
    with pytest.raises(TypeError, match="boolean"):
        tf.boolean_mask(t, [1, 0, 1])
    weights = RNG.normal(size=(2, 4))
    check_gradients(lambda a: tf.boolean_mask(a, [True, False, True]) * weights, [RNG.normal(size=(3, 4))])


def test_floor_division_and_remainder_keep_integers_as_tensorflow():
    a = tf.constant([7, -7, 6])
    assert (a // 2).numpy().tolist() == [3, -4, 3] and (a // 2).dtype == tf.int32
    assert (a % 3).numpy().tolist() == [1, 2, 0] and tf.math.mod(a, -3).numpy().tolist() == [-2, -1, 0]
    assert (tf.constant([7.5]) // 2.0).numpy().tolist() == [3.0]
    assert (10 // tf.constant(3)).numpy() == 3 and (10 % tf.constant(4)).numpy() == 2


def test_ops_without_a_gradient_are_constants_for_a_tape():
    x = tf.Variable([1.0, -2.0, 3.0])
    with tf.GradientTape() as tape:
        kept = tf.where(x > 0, x, tf.zeros_like(x)) * tf.cast(tf.argmax(x) + 1, tf.float32)
        y = tf.reduce_sum(kept)
    assert tape.gradient(y, x).numpy().tolist() == [3.0, 0.0, 3.0]
