"""learnet.data.Dataset: the tf.data subset course code uses."""

import numpy as np
import pytest

import learnet as tf
from learnet.data import Dataset


def test_from_tensor_slices_batches_in_order():
    x = np.arange(10, dtype=np.float64).reshape(5, 2)
    y = np.arange(5)
    batches = list(Dataset.from_tensor_slices((x, y)).batch(2))
    assert len(batches) == 3
    xb, yb = batches[0]
    assert isinstance(xb, tf.Tensor) and xb.dtype == np.float32
    np.testing.assert_array_equal(yb.numpy(), [0, 1])
    np.testing.assert_array_equal(batches[-1][1].numpy(), [4])
    assert len(Dataset.from_tensor_slices((x, y)).batch(2, drop_remainder=True)) == 2


def test_shuffle_is_a_permutation_and_changes_each_pass():
    tf.random.set_seed(3)
    ds = Dataset.from_tensor_slices(np.arange(100)).shuffle(100).batch(100)
    first = next(iter(ds)).numpy()
    second = next(iter(ds)).numpy()
    assert sorted(first.tolist()) == list(range(100))
    assert first.tolist() != second.tolist()
    fixed = Dataset.from_tensor_slices(np.arange(20)).shuffle(20, seed=1, reshuffle_each_iteration=False).batch(20)
    assert next(iter(fixed)).numpy().tolist() == next(iter(fixed)).numpy().tolist()


def test_small_shuffle_buffer_still_yields_every_element_once():
    ds = Dataset.from_tensor_slices(np.arange(50)).shuffle(8, seed=0)
    values = [int(v) for v in ds]
    assert sorted(values) == list(range(50)) and values != list(range(50))


def test_map_filter_take_skip_repeat():
    ds = Dataset.range(10).map(lambda v: v * 2).filter(lambda v: v % 4 == 0)
    assert [int(v) for v in ds] == [0, 4, 8, 12, 16]
    assert [int(v) for v in Dataset.range(10).skip(7)] == [7, 8, 9]
    assert [int(v) for v in Dataset.range(3).repeat(2)] == [0, 1, 2, 0, 1, 2]
    assert len(Dataset.range(10).take(4)) == 4
    pairs = Dataset.from_tensor_slices((np.ones((4, 2)), np.arange(4))).map(lambda a, b: (a * 3, b))
    assert next(iter(pairs))[0].numpy().tolist() == [3.0, 3.0]
    assert list(Dataset.range(3).as_numpy_iterator()) == [0, 1, 2]


def test_dict_elements_and_unknown_length():
    ds = Dataset.from_tensor_slices({"a": np.arange(4), "b": np.zeros(4)}).batch(3)
    first = next(iter(ds))
    assert set(first) == {"a", "b"} and first["a"].shape == (3,)
    with pytest.raises(TypeError, match="unknown"):
        len(Dataset.range(4).filter(lambda v: v > 1))


def test_bad_input_is_rejected_clearly():
    with pytest.raises(ValueError, match="different first dimensions"):
        Dataset.from_tensor_slices((np.zeros(3), np.zeros(4)))
    with pytest.raises(ValueError, match="positive integer"):
        Dataset.range(3).batch(0)


def test_custom_training_loop_over_a_dataset():
    x = np.linspace(-1, 1, 64).astype(np.float32)
    y = 2 * x - 1
    w, b = tf.Variable(0.0), tf.Variable(0.0)
    ds = Dataset.from_tensor_slices((x, y)).shuffle(64, seed=0).batch(16)
    for _ in range(100):
        for xb, yb in ds:
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean((w * xb + b - yb) ** 2)
            dw, db = tape.gradient(loss, [w, b])
            w.assign_sub(0.1 * dw)
            b.assign_sub(0.1 * db)
    assert float(w) == pytest.approx(2.0, abs=1e-2) and float(b) == pytest.approx(-1.0, abs=1e-2)
