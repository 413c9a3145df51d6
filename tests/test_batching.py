"""The batching helper used by fit and by custom training loops."""

from collections import namedtuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnet import backend
from learnet.batching import Batcher, batches


def labelled(n, features=3):
    """x whose rows encode their index, so alignment with y can be checked."""
    x = np.repeat(np.arange(n, dtype=np.float32)[:, None], features, axis=1)
    return x, np.arange(n)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 70),
    batch_size=st.integers(1, 80),
    drop_last=st.booleans(),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_sample_once_in_batches_of_the_right_size(n, batch_size, drop_last, shuffle, seed):
    x, y = labelled(n)
    batcher = Batcher(x, y, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed)
    sizes, seen = [], []
    for xb, yb in batcher:
        assert xb.shape == (len(yb), 3)
        np.testing.assert_array_equal(xb[:, 0], yb)  # x and y stay aligned
        sizes.append(len(yb))
        seen.extend(yb.tolist())
    full, rest = divmod(n, batch_size)
    expected = [batch_size] * full + ([rest] if rest and not drop_last else [])
    assert sizes == expected
    assert len(batcher) == len(expected)
    if drop_last:
        assert len(set(seen)) == len(seen) == full * batch_size
    else:
        assert sorted(seen) == list(range(n))
    if not shuffle:
        assert seen == list(range(len(seen)))


def test_order_changes_every_epoch_and_repeats_with_the_seed():
    x, y = labelled(100)
    first = Batcher(x, y, batch_size=10, seed=7)
    epochs = [np.concatenate([yb for _, yb in first]) for _ in range(3)]
    assert not np.array_equal(epochs[0], epochs[1])
    assert not np.array_equal(epochs[1], epochs[2])
    second = Batcher(x, y, batch_size=10, seed=7)
    again = [np.concatenate([yb for _, yb in second]) for _ in range(3)]
    for a, b in zip(epochs, again):
        np.testing.assert_array_equal(a, b)


def test_a_generator_may_be_shared():
    x, _ = labelled(20)
    one = np.concatenate(list(Batcher(x, batch_size=5, seed=np.random.default_rng(3))))
    other = np.concatenate(list(Batcher(x, batch_size=5, seed=np.random.default_rng(3))))
    np.testing.assert_array_equal(one, other)


def test_without_seed_the_global_seed_decides(monkeypatch):
    monkeypatch.setattr(backend, "_rng", backend.rng())  # restore the global generator after
    x, _ = labelled(50)
    batcher = Batcher(x, batch_size=50)
    backend.set_seed(11)
    first = next(iter(batcher))
    backend.set_seed(11)  # set after the Batcher was made: still honoured
    np.testing.assert_array_equal(next(iter(batcher)), first)
    assert not np.array_equal(first[:, 0], np.arange(50))


def test_without_shuffle_batches_are_views():
    x, _ = labelled(10)
    batch = next(iter(Batcher(x, batch_size=4, shuffle=False)))
    assert np.shares_memory(batch, x)


def test_structures_are_kept():
    x, y = labelled(9)
    Pair = namedtuple("Pair", "image label")
    data = ({"pixels": x, "ids": y}, [x, x], Pair(x, y), None)
    batch = next(iter(Batcher(*data, batch_size=4, shuffle=False)))
    inputs, twins, pair, weights = batch
    assert set(inputs) == {"pixels", "ids"} and inputs["ids"].tolist() == [0, 1, 2, 3]
    assert isinstance(twins, list) and len(twins) == 2
    assert isinstance(pair, Pair) and pair.label.tolist() == [0, 1, 2, 3]
    assert weights is None


def test_one_argument_yields_the_batch_itself():
    x, _ = labelled(6)
    batch = next(iter(Batcher(x, batch_size=4, shuffle=False)))
    assert isinstance(batch, np.ndarray) and batch.shape == (4, 3)


def test_python_lists_of_numbers_are_arrays():
    batch = next(iter(Batcher([[0, 1], [2, 3], [4, 5]], [7, 8, 9], batch_size=2, shuffle=False)))
    assert batch[0].tolist() == [[0, 1], [2, 3]] and batch[1].tolist() == [7, 8]


def test_batches_function():
    x, y = labelled(7)
    pairs = list(batches(x, y, batch_size=3, shuffle=False))
    assert [yb.tolist() for _, yb in pairs] == [[0, 1, 2], [3, 4, 5], [6]]
    alone = list(batches(x, batch_size=3, shuffle=False, drop_last=True))
    assert [b.shape for b in alone] == [(3, 3), (3, 3)]


def test_mismatched_lengths_name_both():
    x, _ = labelled(100)
    with pytest.raises(ValueError, match=r"x has 100 \(shape \(100, 3\)\), y has 99"):
        list(batches(x, np.arange(99)))
    with pytest.raises(ValueError, match=r"arrays\[0\]\['a'\] has 100 .* arrays\[1\]\[1\] has 5"):
        Batcher({"a": x}, [x, np.arange(5)])


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, "32", True, None])
def test_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        Batcher(np.zeros(4), batch_size=batch_size)


def test_numpy_integer_batch_size_is_fine():
    assert len(Batcher(np.zeros(10), batch_size=np.int64(4))) == 3


@pytest.mark.parametrize("seed", [1.5, "7", True])
def test_bad_seed(seed):
    with pytest.raises(TypeError, match="seed must be"):
        Batcher(np.zeros(4), seed=seed)


def test_nothing_to_batch():
    with pytest.raises(ValueError, match="at least one array"):
        Batcher()
    with pytest.raises(ValueError, match="only None"):
        Batcher(None, [None])
    with pytest.raises(ValueError, match="scalar"):
        Batcher(np.zeros(3), np.float32(1.0))


def test_names_must_match_the_arrays():
    with pytest.raises(ValueError, match="2 arrays but 1 names"):
        Batcher(np.zeros(3), np.zeros(3), names=["x"])


def test_datasets_re_exports_it():
    from learnet import datasets

    assert datasets.Batcher is Batcher and datasets.batches is batches


def test_order_gives_each_epochs_order_and_replaces_shuffle():
    orders = iter([np.array([3, 1, 0, 2]), np.array([0, 1, 2, 3])])
    batcher = Batcher(np.arange(4) * 10, batch_size=3, shuffle=True, order=lambda: next(orders))
    assert [b.tolist() for b in batcher] == [[30, 10, 0], [20]]
    assert [b.tolist() for b in batcher] == [[0, 10, 20], [30]]


def test_dataset_batches_come_from_the_batcher_as_copies():
    from learnet.data import Dataset

    x = np.arange(6.0)
    first = next(Dataset.from_tensor_slices(x).batch(4).as_numpy_iterator())
    first[:] = -1  # changing a batch leaves the data alone
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    shuffled = Dataset.from_tensor_slices(x).shuffle(6, seed=1).batch(4, drop_remainder=True)
    batches = list(shuffled.as_numpy_iterator())
    assert len(batches) == 1 and len(set(batches[0].tolist())) == 4
