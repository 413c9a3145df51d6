"""tf.py_function and tf.numpy_function, and generators read by their declared signature
(``Dataset.from_generator``), as TensorFlow 2.21 behaves."""

import numpy as np
import pytest

import learnet as tf


def test_py_function_gives_func_tensors_and_numpy_function_arrays():
    kind = tf.py_function(lambda x: type(x).__name__, [tf.constant(1)], tf.string)
    assert kind.numpy() == b"Tensor"
    kind = tf.numpy_function(lambda x: type(x).__name__, [tf.constant(1)], tf.string)
    assert kind.numpy() == b"ndarray"
    upper = tf.py_function(lambda t: t.numpy().decode().upper(), [tf.constant("abc")], tf.string)
    assert upper.numpy() == b"ABC"


def test_a_gradient_flows_through_py_function():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = tf.py_function(lambda a: a * a, [x], tf.float32)
    assert float(tape.gradient(y, x)) == 6.0


def test_py_function_results_take_the_declared_types():
    assert tf.py_function(lambda: None, [], ()) == []
    first, second = tf.py_function(lambda: (1, 2.5), [], (tf.int64, tf.float32))
    assert first.dtype == tf.int64 and second.dtype == tf.float32 and float(second) == 2.5
    assert tf.py_function(lambda: 7, [], tf.float32).dtype == tf.float32


def test_py_function_as_a_decorator():
    @tf.py_function(Tout=tf.int32)
    def twice(x):
        return x * 2

    assert int(twice(tf.constant(4))) == 8


def test_py_function_refuses_what_does_not_fit_clearly():
    with pytest.raises(TypeError, match="Tout"):
        tf.py_function(lambda: 1, [])
    with pytest.raises(ValueError, match="returned 2 value"):
        tf.py_function(lambda: (1, 2), [], (tf.int32,))
    with pytest.raises(ValueError, match="returned None"):
        tf.py_function(lambda: None, [], tf.int32)


def _timings(count):
    for _ in range(count):
        yield (("open",), (b"read",)), ((1.0, 2.0), (3.0, 4.0)), ((1, 2, 3), (4, 5, 6))


def test_from_generator_reads_elements_as_the_signature_declares():
    dataset = tf.data.Dataset.from_generator(
        _timings,
        output_types=(tf.string, tf.float32, tf.int32),
        output_shapes=((2, 1), (2, 2), (2, 3)),
        args=(2,),
    )
    elements = list(dataset)
    assert len(elements) == 2
    steps, times, counts = elements[0]
    assert steps.dtype == tf.string and steps.shape == (2, 1) and steps.numpy().tolist() == [[b"open"], [b"read"]]
    assert times.dtype == tf.float32 and counts.dtype == tf.int32 and counts.shape == (2, 3)

    def one_item_tuples():
        yield from ((i,) for i in range(3))

    single = tf.data.Dataset.from_generator(one_item_tuples, output_signature=tf.TensorSpec(shape=(1,), dtype=tf.int64))
    assert [e.tolist() for e in single.as_numpy_iterator()] == [[0], [1], [2]]
    assert next(iter(single)).dtype == tf.int64


def test_from_generator_with_unknown_sizes_and_dicts():
    def rows():
        yield {"text": "a b", "length": [1, 2]}
        yield {"text": "c", "length": [3]}

    dataset = tf.data.Dataset.from_generator(
        rows, output_signature={"text": tf.TensorSpec((), tf.string), "length": tf.TensorSpec((None,), tf.int32)}
    )
    got = list(dataset)
    assert got[1]["text"].numpy() == b"c" and got[1]["length"].numpy().tolist() == [3]


@pytest.mark.parametrize(
    "element, signature, error",
    [
        ((1, 2), tf.TensorSpec((), tf.int64), tf.errors.InvalidArgumentError),
        (1.5, tf.TensorSpec((), tf.int64), TypeError),
        ("text", tf.TensorSpec((), tf.float32), TypeError),
        ((1, 2), (tf.TensorSpec((), tf.int32),) * 3, TypeError),
        ({"a": 1}, {"b": tf.TensorSpec((), tf.int32)}, TypeError),
    ],
)
def test_from_generator_refuses_elements_that_do_not_fit(element, signature, error):
    dataset = tf.data.Dataset.from_generator(lambda: iter([element]), output_signature=signature)
    with pytest.raises(error, match="from_generator"):
        list(dataset)


def test_from_generator_without_a_signature_takes_elements_as_they_come():
    dataset = tf.data.Dataset.from_generator(lambda: iter([np.arange(3), np.arange(2)]))
    assert [e.tolist() for e in dataset.as_numpy_iterator()] == [[0, 1, 2], [0, 1]]


def test_vectorized_map_gives_what_map_fn_gives_and_gradients():
    x = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        y = tf.vectorized_map(lambda row: tf.reduce_sum(row * row), x)
        total = tf.reduce_sum(y)
    assert y.numpy().tolist() == [5.0, 25.0]
    assert tape.gradient(total, x).numpy().tolist() == [[2.0, 4.0], [6.0, 8.0]]
    pairs = tf.vectorized_map(lambda t: (t[0] + t[1], t[0] * t[1]), (tf.constant([1, 2]), tf.constant([3, 4])))
    assert pairs[0].numpy().tolist() == [4, 6] and pairs[1].numpy().tolist() == [3, 8]
