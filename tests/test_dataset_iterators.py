"""The iterators of a ``tf.data.Dataset``: ``as_numpy_iterator()`` gives an object with
``next()`` (TensorFlow's transfer-learning tutorial calls ``val_ds.as_numpy_iterator().next()``),
and ``iter(dataset)`` one with ``get_next``, ``get_next_as_optional`` and ``element_spec``;
compared with real TensorFlow (tests/fixtures/make_tf_iterators_strings_fixture.py)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import learnet as tf

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = np.load(FIXTURES / "tf_iterators_strings_reference.npz")


def _fixture_maker():
    spec = importlib.util.spec_from_file_location(
        "make_tf_iterators_strings_fixture", FIXTURES / "make_tf_iterators_strings_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKER = _fixture_maker()


def _dataset():
    return tf.data.Dataset.from_tensor_slices((MAKER.FEATURES, MAKER.LABELS)).batch(2)


def test_as_numpy_iterator_next_gives_the_first_batch_as_tensorflow():
    x, y = _dataset().as_numpy_iterator().next()
    assert isinstance(x, np.ndarray) and isinstance(y, np.ndarray)
    np.testing.assert_array_equal(x, REFERENCE["iterator/numpy_next_x"])
    np.testing.assert_array_equal(y, REFERENCE["iterator/numpy_next_y"])


def test_as_numpy_iterator_is_an_iterator_that_ends_with_stop_iteration():
    it = _dataset().as_numpy_iterator()
    assert iter(it) is it
    first = it.next()
    second = next(it)
    rest = list(it)
    assert [len(b[1]) for b in [first, second, *rest]] == [2, 2, 1]
    with pytest.raises(StopIteration):
        it.next()
    assert repr(it).startswith("NumpyIterator(iterator=")


def test_iter_gives_next_get_next_and_get_next_as_optional_as_tensorflow():
    it = iter(_dataset())
    assert iter(it) is it
    seen = [next(it), it.get_next(), it.get_next_as_optional().get_value()]
    for index, (x, y) in enumerate(seen):
        assert isinstance(x, tf.Tensor)
        np.testing.assert_array_equal(x.numpy(), REFERENCE[f"iterator/iter_{index}_x"])
        np.testing.assert_array_equal(y.numpy(), REFERENCE[f"iterator/iter_{index}_y"])
    empty = it.get_next_as_optional()
    assert bool(empty.has_value()) == bool(REFERENCE["iterator/optional_past_end"])
    with pytest.raises(tf.errors.OutOfRangeError, match="End of sequence"):
        it.get_next()
    with pytest.raises(StopIteration):
        next(it)
    with pytest.raises(tf.errors.InvalidArgumentError, match="does not have a value"):
        empty.get_value()


def test_the_iterator_and_its_optional_know_the_element_spec():
    dataset = _dataset()
    it = iter(dataset)
    assert it.element_spec == dataset.element_spec
    value = it.get_next_as_optional()
    assert bool(value.has_value())
    assert value.element_spec == dataset.element_spec
    assert it.get_next_as_optional().element_spec == dataset.element_spec


def test_it_next_and_a_for_loop_over_the_iterator():
    it = iter(tf.data.Dataset.range(4))
    assert int(it.next()) == 0
    assert [int(v) for v in it] == [1, 2, 3]


def test_each_iterator_is_its_own_pass_and_the_dataset_is_read_again():
    dataset = tf.data.Dataset.range(3)
    first, second = iter(dataset), iter(dataset)
    assert int(next(first)) == 0 and int(next(first)) == 1
    assert int(next(second)) == 0
    assert [int(v) for v in dataset] == [0, 1, 2]
    assert [int(v) for v in dataset.as_numpy_iterator()] == [0, 1, 2]


def test_an_iterator_given_to_fit_is_read_once_as_a_generator():
    model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = MAKER.FEATURES / 10
    y = MAKER.FEATURES[:, :1] / 10
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(2)
    history = model.fit(dataset.as_numpy_iterator(), epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1
    history = model.fit(iter(dataset), epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1


def test_tf_experimental_optional_is_the_iterators_optional():
    # tf.experimental.Optional (TensorFlow's name) is what get_next_as_optional gives.
    import learnet as tf

    assert tf.experimental.Optional is type(iter(tf.data.Dataset.range(1)).get_next_as_optional())
    value = tf.experimental.Optional.from_value(tf.constant(3))
    assert bool(value.has_value()) and int(value.get_value()) == 3
    assert not bool(tf.experimental.Optional.empty(tf.TensorSpec([], tf.int32)).has_value())
