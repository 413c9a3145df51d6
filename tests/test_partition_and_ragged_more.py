"""tf.dynamic_partition / tf.dynamic_stitch, RaggedTensor's merge_dims and its other methods
(to_tensor with shape and default_value, bounding_shape, the row partitions, with_values...),
and tf.get_logger: values, gradients and errors checked against real TensorFlow
(tests/fixtures/make_partition_ragged_fixture.py), gradients also numerically."""

import importlib.util
import logging
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet.testing import check_gradients

FIXTURES = Path(__file__).resolve().parent / "fixtures"
_spec = importlib.util.spec_from_file_location(
    "make_partition_ragged_fixture", FIXTURES / "make_partition_ragged_fixture.py"
)
maker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(maker)
REFERENCE = dict(np.load(FIXTURES / "partition_ragged_reference.npz"))
CASES = maker.cases(tf)
GRADIENTS = maker.gradient_cases(tf)
ERRORS = maker.error_cases(tf)
RNG = np.random.default_rng(5)


def _compare(name, value):
    if isinstance(value, (list, tuple)):
        assert len(value) == int(REFERENCE[f"{name}/count"]), name
        for i, item in enumerate(value):
            _compare(f"{name}/{i}", item)
    elif isinstance(value, tf.RaggedTensor):
        expected_values, expected_splits = REFERENCE[f"{name}/values"], REFERENCE[f"{name}/splits"]
        np.testing.assert_allclose(value.flat_values.numpy(), expected_values, rtol=1e-6, err_msg=name)
        assert value.flat_values.dtype == expected_values.dtype, name
        np.testing.assert_array_equal(value.row_splits.numpy(), expected_splits, err_msg=name)
        assert value.row_splits.dtype == expected_splits.dtype, name
    else:
        assert not isinstance(value, tf.RaggedTensor)
        expected = REFERENCE[name]
        result = value.numpy() if isinstance(value, tf.Tensor) else np.asarray(value)
        assert result.shape == expected.shape, (name, result.shape, expected.shape)
        assert result.dtype == expected.dtype, (name, result.dtype, expected.dtype)
        np.testing.assert_allclose(result, expected, rtol=1e-6, err_msg=name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_equal_tensorflow(name):
    _compare(name, CASES[name]())


@pytest.mark.parametrize("name", sorted(GRADIENTS))
def test_gradients_equal_tensorflow(name):
    point, function = GRADIENTS[name]
    x = tf.Variable(point.astype("float64"), dtype="float64")
    with tf.GradientTape() as tape:
        loss = function(x)
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), REFERENCE[name], rtol=1e-10, atol=1e-12)


_ERROR_TYPES = {
    "InvalidArgumentError": tf.errors.InvalidArgumentError,
    "ValueError": ValueError,
    "TypeError": TypeError,
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_input_raises_what_tensorflow_raises(name):
    expected = _ERROR_TYPES[str(REFERENCE[f"error/{name}"])]
    with pytest.raises(expected):
        ERRORS[name]()


# --- dynamic_partition / dynamic_stitch: numerical gradient checks -------------------------------
def test_dynamic_partition_gradient_check():
    x = RNG.normal(size=(5, 3))
    ids = [2, 0, 2, 1, 2]

    def function(x):
        first, second, third = tf.dynamic_partition(x, ids, 3)
        return tf.reduce_sum(first * 2.0) + tf.reduce_sum(tf.square(second)) + tf.reduce_sum(tf.sin(third))

    check_gradients(function, [x])


def test_dynamic_partition_gradient_check_ids_of_two_axes():
    x = RNG.normal(size=(2, 3, 2))
    ids = [[1, 0, 1], [0, 0, 1]]
    check_gradients(
        lambda x: sum(tf.reduce_sum(tf.exp(p) * (i + 1)) for i, p in enumerate(tf.dynamic_partition(x, ids, 2))), [x]
    )


def test_dynamic_stitch_gradient_check():
    a, b = RNG.normal(size=(2, 2)), RNG.normal(size=(3, 2))
    weights = tf.constant(RNG.normal(size=(6, 2)), dtype="float64")
    check_gradients(lambda a, b: tf.dynamic_stitch([[4, 0], [1, 5, 2]], [a, b]) * weights, [a, b])


def test_dynamic_stitch_gradient_check_with_repeated_indices():
    """An overwritten slice has no effect on the result, so its gradient is zero (the true derivative)."""
    a, b = RNG.normal(size=(3,)), RNG.normal(size=(2,))
    weights = tf.constant([1.0, 10.0, 100.0], dtype="float64")
    check_gradients(lambda a, b: tf.dynamic_stitch([[0, 1, 2], [1, 0]], [a, b]) * weights, [a, b])
    x = tf.Variable([1.0, 2.0, 3.0, 4.0])
    with tf.GradientTape() as tape:
        merged = tf.dynamic_stitch([[0, 1], [1, 2], [0]], [x[:2], x[2:], x[:1] * 3])
        loss = tf.reduce_sum(merged * tf.constant([1.0, 10.0, 100.0]))
    assert merged.numpy().tolist() == [3.0, 3.0, 4.0]
    assert tape.gradient(loss, x).numpy().tolist() == [3.0, 0.0, 10.0, 100.0]


def test_partition_then_stitch_restores_the_order_and_second_derivatives_flow():
    x = tf.Variable(RNG.normal(size=(7,)))
    ids = np.array([2, 0, 1, 2, 0, 0, 1])
    positions = tf.dynamic_partition(tf.range(7), ids, 3)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            parts = tf.dynamic_partition(x, ids, 3)
            back = tf.dynamic_stitch(positions, [p * (i + 1.0) for i, p in enumerate(parts)])
            loss = tf.reduce_sum(back**3)
        grad = inner.gradient(loss, x)
        total = tf.reduce_sum(grad)
    scale = np.array([1.0, 2.0, 3.0])[ids]
    np.testing.assert_allclose(back.numpy(), x.numpy() * scale)
    np.testing.assert_allclose(grad.numpy(), 3 * scale**3 * x.numpy() ** 2)
    np.testing.assert_allclose(outer.gradient(total, x).numpy(), 6 * scale**3 * x.numpy())


def test_partition_and_stitch_on_empty_and_text_inputs():
    parts = tf.dynamic_partition(tf.zeros((0, 3)), tf.zeros((0,), dtype="int32"), 2)
    assert [tuple(p.shape) for p in parts] == [(0, 3), (0, 3)]
    words = tf.constant(np.array([b"a", b"b", b"c"], dtype=object))
    left, right = tf.dynamic_partition(words, [1, 0, 1], 2)
    assert left.numpy().tolist() == [b"b"] and right.numpy().tolist() == [b"a", b"c"]
    merged = tf.dynamic_stitch([[1], [0, 2]], [left, right])
    assert merged.numpy().tolist() == [b"a", b"b", b"c"]
    assert tuple(tf.dynamic_stitch([np.zeros((0,), "int32")], [tf.zeros((0, 4))]).shape) == (0, 4)


def test_bad_partition_changes_nothing():
    data = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    before = data.numpy().copy()
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"partitions\[1\] = 7 is not in \[0, 2\)"):
        tf.dynamic_partition(data, [0, 7], 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="must start with partitions.shape"):
        tf.dynamic_partition(data, [0, 1, 1], 2)
    with pytest.raises(TypeError, match="num_partitions"):
        tf.dynamic_partition(data, [0, 1], 2.5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="indices must be >= 0"):
        tf.dynamic_stitch([[0, -2]], [data])
    with pytest.raises(TypeError, match="list"):
        tf.dynamic_stitch(tf.constant([0, 1]), data)
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least one"):
        tf.dynamic_stitch([], [])
    np.testing.assert_array_equal(data.numpy(), before)


# --- RaggedTensor -----------------------------------------------------------------------------
def _ragged(x):
    return tf.RaggedTensor.from_row_lengths(x, [2, 0, 3, 1])


@pytest.mark.parametrize("outer, inner", [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)])
def test_merge_dims_gradient_check(outer, inner):
    weights = tf.constant(RNG.normal(size=24), dtype="float64")

    def function(x):
        merged = _ragged(x).merge_dims(outer, inner)
        flat = merged.flat_values if isinstance(merged, tf.RaggedTensor) else merged
        return tf.reshape(flat, [-1]) * weights

    check_gradients(function, [RNG.normal(size=(6, 2, 2))])


def test_to_tensor_gradient_check_values_and_default():
    values, default = RNG.normal(size=(6, 2)), RNG.normal(size=(2,))
    weights = tf.constant(RNG.normal(size=(5, 4, 2)), dtype="float64")
    check_gradients(lambda v, d: _ragged(v).to_tensor(default_value=d, shape=[5, 4, 2]) * weights, [values, default])
    check_gradients(lambda v: _ragged(v).to_tensor(shape=[3, 2, None]) * weights[:3, :2], [values])


def test_with_values_and_to_sparse_carry_gradients():
    x = tf.Variable([1.0, 2.0, 3.0])
    rt = tf.RaggedTensor.from_row_lengths([0.0, 0.0, 0.0], [1, 2])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(rt.with_values(x * x).to_sparse().values * tf.constant([1.0, 2.0, 3.0]))
    assert tape.gradient(loss, x).numpy().tolist() == [2.0, 8.0, 18.0]


def test_merge_dims_keeps_row_splits_dtype_and_uniform_length():
    rt = tf.ragged.constant([[[1, 2], [3, 4]], [[5, 6]]], row_splits_dtype="int32")
    merged = rt.merge_dims(1, 2)
    assert merged.to_list() == [[1, 2, 3, 4], [5, 6]] and merged.row_splits.dtype == np.int32
    assert rt[1:].row_splits.dtype == np.int32
    uniform = tf.RaggedTensor.from_uniform_row_length(tf.range(6), 3)
    assert int(uniform.uniform_row_length) == 3 and tf.ragged.constant([[1], [2, 3]]).uniform_row_length is None
    assert int(uniform.with_row_splits_dtype("int32").uniform_row_length) == 3


def test_numpy_and_shape_helpers_match_tensorflow_conventions():
    rt = tf.ragged.constant([[1, 2, 3], [], [4, 5]])
    rows = rt.numpy()
    assert rows.dtype == object and rows.shape == (3,) and rows[2].tolist() == [4, 5]
    assert tf.ragged.constant([[1, 2], [3, 4]]).numpy().tolist() == [[1, 2], [3, 4]]
    assert rt[:0].numpy().shape == (0, 0)
    assert rt.get_shape() == rt.shape
    assert rt.bounding_shape(out_type="int32").dtype == np.int32
    text = tf.ragged.constant([["a"], ["b", "c"]])
    assert text.to_tensor().numpy().tolist() == [[b"a", b""], [b"b", b"c"]]
    assert text.to_tensor(default_value="?").numpy().tolist() == [[b"a", b"?"], [b"b", b"c"]]
    assert rt.to_tensor(0).numpy().tolist() == [[1, 2, 3], [0, 0, 0], [4, 5, 0]]


def test_nested_ragged_dimensions_are_refused_clearly():
    with pytest.raises(NotImplementedError, match="ragged_rank 1"):
        tf.ragged.constant([[[1, 2], [3]], [[4]]])
    with pytest.raises(NotImplementedError, match="one ragged dimension"):
        tf.ragged.constant([[[1, 2], [3, 4]]], ragged_rank=2)
    with pytest.raises(NotImplementedError, match="ragged_rank 2"):
        tf.RaggedTensor.from_nested_row_lengths([1, 2, 3], [[2, 1], [1, 1, 1]])
    with pytest.raises(NotImplementedError):
        tf.RaggedTensor.from_nested_row_splits([1, 2, 3], [[0, 2], [0, 1, 3]])
    with pytest.raises(ValueError, match="one ragged axis"):
        tf.ragged.constant([[1], [2, 3]]).row_lengths(axis=2)
    assert tf.RaggedTensor.from_nested_row_lengths(tf.constant([1, 2]), []).numpy().tolist() == [1, 2]


def test_bad_ragged_calls_change_nothing():
    rt = tf.ragged.constant([[1, 2, 3], [], [4, 5]])
    for bad in (
        lambda: rt.merge_dims(1, 0),
        lambda: rt.merge_dims(0, 2),
        lambda: rt.merge_dims(0.5, 1),
        lambda: rt.with_values([1, 2]),
        lambda: rt.with_row_splits_dtype("float32"),
        lambda: rt.to_tensor(shape=[None]),
        lambda: rt.bounding_shape(3),
    ):
        with pytest.raises((ValueError, TypeError)):
            bad()
    assert rt.to_list() == [[1, 2, 3], [], [4, 5]] and rt.row_splits.dtype == np.int64
    with pytest.raises(TypeError, match="integers"):
        tf.RaggedTensor.from_row_lengths([1, 2], [1.5, 0.5])


# --- tf.get_logger and tf.autograph -------------------------------------------------------------
def test_get_logger_is_the_tensorflow_python_logger():
    logger = tf.get_logger()
    assert logger is logging.getLogger("tensorflow") and tf.get_logger() is logger
    previous = logger.level
    try:
        logger.setLevel("ERROR")
        assert logger.getEffectiveLevel() == logging.ERROR and not logger.isEnabledFor(logging.WARNING)
    finally:
        logger.setLevel(previous)


def test_autograph_helpers_accept_what_courses_write():
    tf.autograph.set_verbosity(0)
    tf.autograph.set_verbosity(3, alsologtostdout=True)

    @tf.autograph.experimental.do_not_convert
    def double(x):
        return x * 2

    assert double(2) == 4
    assert tf.autograph.experimental.do_not_convert()(double)(3) == 6
