"""Tensors and Variables: what they hold, how they convert, how they print."""

import numpy as np
import pytest

import learnet as tf


def test_python_floats_become_float32_and_ints_int32():
    assert tf.constant(1.5).dtype == tf.float32
    assert tf.constant([1.0, 2.0]).dtype == np.float32
    assert tf.constant(np.array([1.0, 2.0])).dtype == np.float32
    assert tf.constant([1, 2]).dtype == tf.int32
    assert tf.constant(np.array([1.0]), dtype="float64").dtype == np.float64
    assert tf.constant(np.arange(3, dtype=np.uint8)).dtype == np.uint8


def test_shape_ndim_size_len_iteration():
    x = tf.constant(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    assert x.shape == (2, 3, 4)
    assert x.shape.as_list() == [2, 3, 4]
    assert x.ndim == 3 and x.size == 24 and len(x) == 2
    rows = list(x)
    assert len(rows) == 2 and rows[1].shape == (3, 4)
    np.testing.assert_array_equal(rows[1].numpy(), np.arange(12, 24).reshape(3, 4))
    with pytest.raises(TypeError, match="scalar"):
        len(tf.constant(1.0))


def test_a_shape_prints_as_tensorflow_prints_it():
    shape = tf.constant(np.zeros((3, 2))).shape
    assert (str(shape), f"{shape}", repr(shape)) == ("(3, 2)", "(3, 2)", "TensorShape([3, 2])")
    assert str(tf.TensorShape([None, 5])) == "(None, 5)" and repr(tf.TensorShape([None, 5])) == "TensorShape([None, 5])"
    assert (str(tf.constant([1.0]).shape), str(tf.constant(1.0).shape)) == ("(1,)", "()")


def test_numpy_and_array_protocol():
    x = tf.constant([[1.0, 2.0]])
    assert isinstance(x.numpy(), np.ndarray)
    np.testing.assert_array_equal(np.asarray(x), [[1.0, 2.0]])
    assert np.exp(x).dtype == np.float32  # NumPy functions work on tensors
    assert float(tf.constant(2.5)) == 2.5 and int(tf.constant(3)) == 3


def test_repr_is_readable():
    text = repr(tf.constant([1.0, 2.0]))
    assert "shape=[2]" in text and "float32" in text and "1." in text
    assert "Variable 'w'" in repr(tf.Variable([1.0], name="w"))


def test_operators_match_numpy():
    a = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    b = np.array([0.5, -1.0], np.float32)
    ta, tb = tf.constant(a), tf.constant(b)
    for got, want in [
        (ta + tb, a + b),
        (ta - tb, a - b),
        (ta * tb, a * b),
        (ta / tb, a / b),
        (ta**2, a**2),
        (-ta, -a),
        (ta @ ta, a @ a),
        (2 - ta, 2 - a),
        (1 / ta, 1 / a),
        (b + ta, b + a),
        (abs(-ta), a),
    ]:
        assert isinstance(got, tf.Tensor)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)
        assert got.dtype == np.float32


def test_comparisons_return_bool_tensors():
    x = tf.constant([1.0, 2.0, 3.0])
    np.testing.assert_array_equal((x > 1.5).numpy(), [False, True, True])
    np.testing.assert_array_equal((x == 2.0).numpy(), [False, True, False])
    assert (x <= 2).dtype == np.bool_


def test_indexing_basic_and_integer_arrays():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = tf.constant(a)
    np.testing.assert_array_equal(x[1].numpy(), a[1])
    np.testing.assert_array_equal(x[:, 1:3].numpy(), a[:, 1:3])
    np.testing.assert_array_equal(x[[0, 2]].numpy(), a[[0, 2]])
    np.testing.assert_array_equal(x[..., -1].numpy(), a[..., -1])
    np.testing.assert_array_equal(x[tf.constant([2, 0])].numpy(), a[[2, 0]])
    with pytest.raises(IndexError, match="out of range"):
        x[5]


def test_variable_assign_and_slices():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]], name="w")
    assert v.trainable and v.name == "w"
    v.assign([[0.0, 0.0], [0.0, 1.0]])
    v.assign_add([[1.0, 1.0], [1.0, 1.0]])
    v.assign_sub([[0.5, 0.5], [0.5, 0.5]])
    np.testing.assert_array_equal(v.numpy(), [[0.5, 0.5], [0.5, 1.5]])
    v[0, 0].assign(3.0)
    v[1].assign_add([1.0, 1.0])
    np.testing.assert_array_equal(v.numpy(), [[3.0, 0.5], [1.5, 2.5]])


def test_variable_owns_its_buffer_and_snapshots():
    source = np.zeros(3, np.float32)
    v = tf.Variable(source)
    v.assign_add([1.0, 1.0, 1.0])
    np.testing.assert_array_equal(source, [0, 0, 0])
    before = v.numpy()
    v.assign_add([1.0, 1.0, 1.0])
    np.testing.assert_array_equal(before, [1, 1, 1])


def test_variable_assign_wrong_shape_is_clear_and_changes_nothing():
    v = tf.Variable([1.0, 2.0], name="bias")
    with pytest.raises(ValueError, match=r"Variable 'bias' has shape \(2,\).*\(3,\)"):
        v.assign([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_variable_names_are_numbered():
    a, b = tf.Variable(1.0), tf.Variable(2.0)
    assert a.name != b.name


def test_bad_values_get_clear_errors():
    with pytest.raises(ValueError, match="cannot convert"):
        tf.constant([[1.0, 2.0], [3.0]])
    with pytest.raises(ValueError, match="cannot convert"):
        tf.constant(["a", "b"], dtype=tf.float32)  # strings are string tensors, not numbers
    assert tf.constant(["a", "b"]).numpy().tolist() == [b"a", b"b"]


def test_creation_functions():
    assert tf.zeros((2, 3)).shape == (2, 3) and tf.zeros((2, 3)).dtype == np.float32
    np.testing.assert_array_equal(tf.ones_like(tf.constant([1, 2])).numpy(), [1, 1])
    np.testing.assert_array_equal(tf.fill((2,), 7.0).numpy(), [7.0, 7.0])
    np.testing.assert_array_equal(tf.range(1, 7, 2).numpy(), [1, 3, 5])
    np.testing.assert_array_equal(tf.eye(2).numpy(), np.eye(2))
    np.testing.assert_array_equal(tf.zeros_like(tf.ones((2,))).numpy(), [0, 0])
    np.testing.assert_array_equal(tf.constant(1.0, shape=(2, 2)).numpy(), np.ones((2, 2)))


def test_random_is_seeded_and_reproducible():
    tf.random.set_seed(7)
    a = tf.random.normal((3, 3), mean=1.0, stddev=0.1)
    u = tf.random.uniform((100,), minval=-1, maxval=1)
    tf.random.set_seed(7)
    np.testing.assert_array_equal(a.numpy(), tf.random.normal((3, 3), mean=1.0, stddev=0.1).numpy())
    assert a.dtype == np.float32
    assert -1 <= u.numpy().min() and u.numpy().max() < 1


def test_keras_alias_is_learnet_itself():
    import learnet.keras

    assert tf.keras is tf and learnet.keras is tf


def test_numpy_array_on_the_left_stays_a_tensor():
    a = np.array([1.0, 2.0], np.float32)
    x = tf.Variable([3.0, 4.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(a * x)
    assert isinstance(a * x, tf.Tensor)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), a)


def test_set_shape_checks_as_tensorflow_does():
    # TensorFlow's time-series tutorial calls inputs.set_shape([None, width, None]) on each window.
    x = tf.zeros((4, 6, 3))
    x.set_shape([None, 6, None])
    x.set_shape(None)
    assert x.get_shape() == (4, 6, 3)
    with pytest.raises(ValueError, match=r"not compatible with the shape \(None, 5, None\)"):
        x.set_shape([None, 5, None])
    with pytest.raises(ValueError, match="not compatible"):
        x.set_shape([4, 6])


def test_keras_3_variable_constructor():
    """The Keras textbook's ``keras.Variable(shape=..., initializer="uniform")`` beside tf.Variable's."""
    variable = tf.Variable(shape=(784, 512), initializer="uniform")
    assert variable.shape == (784, 512) and variable.dtype == "float32"
    assert np.abs(variable.numpy()).max() <= 0.05 and variable.trainable
    np.testing.assert_array_equal(tf.Variable(tf.keras.initializers.Ones(), shape=(2,)).numpy(), [1.0, 1.0])
    assert tf.Variable("zeros", shape=(2,), dtype="float64").dtype == "float64"
    np.testing.assert_array_equal(tf.Variable(initializer=np.arange(3.0)).numpy(), [0.0, 1.0, 2.0])
    assert not tf.Variable(np.ones(2), trainable=False, validate_shape=True, synchronization="auto").trainable
    with pytest.raises(ValueError, match="unknown initializer 'nope'"):
        tf.Variable(shape=(2,), initializer="nope")
    with pytest.raises(ValueError, match="not both"):
        tf.Variable(1.0, initializer="zeros", shape=())
    with pytest.raises(TypeError, match="bogus"):
        tf.Variable(1.0, bogus=1)


def test_tensor_shape_methods_as_tensorflow():
    shape = tf.TensorShape([None, 3, 4])
    assert isinstance(shape[1:], tf.TensorShape) and shape[1:] == (3, 4) and shape[0] is None
    assert shape.num_elements() is None and tf.TensorShape([2, 3]).num_elements() == 6
    assert shape.ndims == shape.rank == 3 and not shape.is_fully_defined()
    assert shape.is_compatible_with([5, 3, 4]) and not shape.is_compatible_with([5, 3])
    assert shape.merge_with([5, None, 4]) == (5, 3, 4) and shape + [7] == (None, 3, 4, 7)
    assert str(tf.TensorShape([2, 3]).most_specific_compatible_shape([2, 4])) == "(2, None)"
    assert shape.with_rank(3) is shape and shape.with_rank_at_least(2) is shape
    for bad in (
        lambda: shape.assert_is_compatible_with([1, 2, 4]),
        lambda: shape.merge_with([1, 2, 4]),
        lambda: shape.assert_has_rank(2),
        lambda: shape.assert_same_rank([1]),
        lambda: shape.with_rank_at_least(4),
    ):
        with pytest.raises(ValueError):
            bad()


def test_a_variable_has_keras_3_path():
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2, name="d")])
    assert [w.path for w in model.weights] == [f"{model.name}/d/kernel", f"{model.name}/d/bias"]
    assert tf.Variable(1.0, name="x").path == "x"
