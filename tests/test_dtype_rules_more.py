"""Dtype rules and keyword arguments that course code meets, as TensorFlow 2.21 and Keras 3 (JAX)
give them: integer true division, products of small integers, tuple axes in ``keras.ops``, and
the keywords ``is_tensor(x=)``, ``split(num=)``, ``transpose(conjugate=)``, ``linspace(axis=)``,
``eye(batch_shape=)``, ``shape``/``size(out_type=)`` and ``matmul(output_type=)``.

The expected dtypes and values below were read off the real libraries."""

import numpy as np
import pytest

import learnet as tf
from learnet import ops
from learnet.ops import shape as shape_ops
from learnet.testing import check_gradients

RNG = np.random.default_rng(11)
INTEGER_DTYPES = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]
# TensorFlow's truediv: 8- and 16-bit integers divide in float32, 32- and 64-bit ones in float64.
TF_DIVISION_DTYPE = {d: "float32" if np.dtype(d).itemsize <= 2 else "float64" for d in INTEGER_DTYPES}
DIVISIONS = {
    "operator": lambda x, y: x / y,
    "truediv": lambda x, y: tf.math.truediv(x, y),
    "divide": lambda x, y: tf.divide(x, y),
    "math.divide": lambda x, y: tf.math.divide(x, y),
}


# --- 1. integer true division ------------------------------------------------------------------
@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
@pytest.mark.parametrize("how", sorted(DIVISIONS))
def test_integer_division_dtype_is_tensorflows(dtype, how):
    x = tf.constant(np.array([[0, 12, 100]], dtype))
    for y in (7, tf.constant(np.array([3, 3, 3], dtype)), np.array([3, 3, 3])):
        result = DIVISIONS[how](x, y)
        assert result.dtype == TF_DIVISION_DTYPE[dtype], (dtype, how, type(y))
        expected = np.array([[0, 12, 100]], "float64") / np.asarray(y.numpy() if tf.is_tensor(y) else y, "float64")
        np.testing.assert_allclose(result.numpy(), expected, rtol=1e-6)


def test_uint8_pixels_over_255_are_float32():
    pixels = tf.constant(np.array([[0, 12, 100]], "uint8"))
    scaled = pixels / 255
    assert scaled.dtype == "float32"
    np.testing.assert_allclose(scaled.numpy(), [[0.0, 0.04705882, 0.39215687]], rtol=1e-6)
    assert (255 / tf.constant(np.array([1, 5], "uint8"))).dtype == "float32"  # the reflected operator too


def test_a_number_out_of_the_integer_range_divides_as_a_float():
    # TensorFlow would first wrap 255 into int8 (-1); the quotient here is the true one.
    x = tf.constant(np.array([100, -100], "int8"))
    np.testing.assert_allclose((x / 255).numpy(), [100 / 255, -100 / 255], rtol=1e-6)


def test_python_numbers_and_lists_divide_as_int32():
    assert tf.divide(3, 2).dtype == "float64"
    assert float(tf.divide(3, 2)) == 1.5
    assert tf.divide([1, 2], [4, 4]).dtype == "float64"


def test_floats_keep_their_dtype():
    assert (tf.constant([1.0], "float16") / 2).dtype == "float16"
    assert (tf.constant([1.0]) / 2).dtype == "float32"
    assert (tf.constant([1.0], "float64") / tf.constant([2.0], "float64")).dtype == "float64"


@pytest.mark.parametrize("how", sorted(DIVISIONS))
def test_two_integer_dtypes_are_refused(how):
    x = tf.Variable(np.array([1, 2], "int32"))
    with pytest.raises(TypeError, match="same dtype"):
        DIVISIONS[how](x, tf.constant(np.array([1, 2], "int64")))
    np.testing.assert_array_equal(x.numpy(), [1, 2])


def test_divide_gradient_is_unchanged():
    check_gradients(lambda a, b: tf.divide(a, b), [RNG.normal(size=(2, 3)), RNG.uniform(1, 2, size=(3,))])
    check_gradients(lambda a: tf.math.truediv(a, 4.0) + 1.0 / a, [RNG.uniform(1, 2, size=(4,))])


# Keras 3 divides integers (and booleans) into float32 whatever their width; a float decides otherwise.
@pytest.mark.parametrize("dtype", [*INTEGER_DTYPES, "bool"])
@pytest.mark.parametrize("function", ["divide", "true_divide"])
def test_keras_divide_dtype_is_keras(dtype, function):
    divide = getattr(ops, function)
    x = np.array([[0, 1, 1]], dtype)
    for y in (255, 2.5, np.array([1, 1, 1], dtype), np.array([3, 3, 3]), np.array([1, 2, 3], "int8")):
        assert divide(x, y).dtype == "float32", (dtype, y)
    assert divide(x, np.array([3, 3, 3], "float16")).dtype == "float16"
    assert divide(np.array([1.0], "float16"), np.array([2.0], "float32")).dtype == "float32"
    assert divide(tf.constant([1.0], "float64"), 2).dtype == "float64"


def test_keras_divide_values():
    np.testing.assert_allclose(ops.divide(np.array([0, 51, 255], "uint8"), 255).numpy(), [0.0, 0.2, 1.0])
    np.testing.assert_allclose(ops.divide(np.array([100], "int8"), 255).numpy(), [100 / 255], rtol=1e-6)
    assert ops.divide(2, 3).dtype == "float32"


def test_keras_divide_gradient():
    check_gradients(lambda a, b: ops.divide(a, b), [RNG.normal(size=(3,)), RNG.uniform(1, 2, size=(3,))])


# --- 2. products of small integers ------------------------------------------------------------
A8 = np.array([[50, -30], [-90, 100]], "int8")
B8 = np.array([[121, 36], [-15, 120]], "int8")
EXACT = [[6500, -1800], [-12390, 8760]]  # A8 @ B8 in int32, as Keras 3 gives it
WRAPPED = [[100, -8], [-102, 56]]  # the same, wrapped around into int8, as Keras 3's dot gives it


def test_keras_matmul_and_einsum_of_int8_sum_into_int32():
    for result in (ops.matmul(A8, B8), ops.einsum("ij,jk->ik", A8, B8)):
        assert result.dtype == "int32"
        np.testing.assert_array_equal(result.numpy(), EXACT)
    assert ops.einsum("ij->i", A8).dtype == "int32"
    assert ops.einsum("i,i->", A8[0], A8[0]).dtype == "int32"


def test_keras_dot_and_tensordot_of_int8_stay_int8_as_in_keras():
    for result in (ops.dot(A8, B8), ops.tensordot(A8, B8, axes=1)):
        assert result.dtype == "int8"
        np.testing.assert_array_equal(result.numpy(), WRAPPED)


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("int8", "int8", {"matmul": "int32", "einsum": "int32", "other": "int8"}),
        ("uint8", "int8", {"matmul": "int16", "einsum": "int16", "other": "int16"}),
        ("uint8", "uint8", {"matmul": "uint8", "einsum": "uint8", "other": "uint8"}),
        ("int16", "int8", {"matmul": "int16", "einsum": "int16", "other": "int16"}),
        ("int32", "int8", {"matmul": "int32", "einsum": "int32", "other": "int32"}),
        ("bool", "bool", {"matmul": "bool", "einsum": "bool", "other": "bool"}),
        ("bool", "int8", {"matmul": "int8", "einsum": "int8", "other": "int8"}),
        ("int8", "float16", {"matmul": "float16", "einsum": "float16", "other": "float16"}),
        ("int32", "float16", {"matmul": "float16", "einsum": "float16", "other": "float16"}),
        ("float16", "float32", {"matmul": "float32", "einsum": "float32", "other": "float32"}),
    ],
)
def test_keras_product_dtypes_are_kerass(left, right, expected):
    a, b = A8.astype(left), B8.astype(right)
    assert ops.matmul(a, b).dtype == expected["matmul"]
    assert ops.einsum("ij,jk->ik", a, b).dtype == expected["einsum"]
    for name, function in {
        "dot": ops.dot,
        "tensordot": lambda p, q: ops.tensordot(p, q, axes=1),
        "inner": ops.inner,
        "outer": ops.outer,
        "vdot": ops.vdot,
    }.items():
        assert function(a, b).dtype == expected["other"], name


def test_keras_integer_products_are_exact_numpy_products():
    a = RNG.integers(-100, 100, size=(3, 4, 5)).astype("int16")
    b = RNG.integers(-100, 100, size=(5, 2)).astype("int16")
    np.testing.assert_array_equal(ops.matmul(a, b).numpy(), a @ b)
    np.testing.assert_array_equal(ops.vdot(a[0, 0], b[:, 0]).numpy(), np.vdot(a[0, 0], b[:, 0]))
    np.testing.assert_array_equal(ops.diag(np.array([1, -2], "int8")).numpy(), [[1, 0], [0, -2]])


def test_keras_float_products_keep_their_gradient():
    check_gradients(lambda a, b: ops.matmul(a, b), [RNG.normal(size=(2, 3)), RNG.normal(size=(3, 2))])
    check_gradients(
        lambda a, b: ops.dot(a, b) + ops.tensordot(a, b, axes=1), [RNG.normal(size=(2, 3)), RNG.normal(size=(3, 2))]
    )
    check_gradients(lambda a, b: ops.einsum("ij,jk->ik", a, b), [RNG.normal(size=(2, 3)), RNG.normal(size=(3, 2))])


@pytest.mark.parametrize("dtype", ["int8", "int16", "bool"])
def test_tf_matmul_refuses_what_tensorflow_refuses(dtype):
    a = tf.Variable(A8.astype(dtype))
    with pytest.raises(tf.errors.InvalidArgumentError, match="output_type"):
        tf.matmul(a, B8.astype(dtype))
    with pytest.raises(tf.errors.InvalidArgumentError):
        a @ tf.constant(B8.astype(dtype))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.tensordot(a, B8.astype(dtype), 1)
    np.testing.assert_array_equal(a.numpy(), A8.astype(dtype))


def test_tf_matmul_output_type_int32_of_8_bit_integers():
    result = tf.matmul(A8, B8, output_type=tf.int32)
    assert result.dtype == "int32"
    np.testing.assert_array_equal(result.numpy(), EXACT)
    # As TensorFlow 2.21 gives them: int8 with uint8, and a transposed b.
    np.testing.assert_array_equal(
        tf.matmul(A8, B8.astype("uint8"), output_type=tf.int32).numpy(), [[-1180, -1800], [13210, 8760]]
    )
    np.testing.assert_array_equal(
        tf.matmul(A8, B8, transpose_b=True, output_type="int32").numpy(), [[4970, -4350], [-7290, 13350]]
    )
    assert tf.matmul(A8[None], B8[None], output_type=tf.int32).shape == (1, 2, 2)
    assert tf.matmul(A8.astype("int64"), B8.astype("int64"), output_type=tf.int64).dtype == "int64"
    assert tf.matmul(A8.astype("int32"), B8.astype("int32")).dtype == "int32"


@pytest.mark.parametrize(
    ("dtype", "output_type"), [("int32", "int64"), ("int8", "int64"), ("float32", "int32"), ("int16", "int32")]
)
def test_tf_matmul_output_type_tensorflow_has_no_product_for(dtype, output_type):
    with pytest.raises(tf.errors.InvalidArgumentError, match="output_type"):
        tf.matmul(A8.astype(dtype), B8.astype(dtype), output_type=output_type)


def test_tf_matmul_grad_hints_change_nothing():
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(3, 4))
    np.testing.assert_allclose(tf.matmul(a, b, grad_a=True, grad_b=True).numpy(), a @ b, rtol=1e-5)
    check_gradients(lambda x, y: tf.matmul(x, y, output_type=tf.float64), [a, b])


# --- 3. tuple axes in keras.ops -----------------------------------------------------------------
X = np.arange(24, dtype="float32").reshape(2, 3, 4)


@pytest.mark.parametrize(
    ("axis", "shape"),
    [
        ((0, 1), (1, 1, 2, 3, 4)),
        ((0, -1), (1, 2, 3, 4, 1)),
        ([1, 3], (2, 1, 3, 1, 4)),
        ((-1, -2), (2, 3, 4, 1, 1)),
        ((), (2, 3, 4)),
    ],
)
def test_keras_expand_dims_with_a_tuple_of_axes(axis, shape):
    result = ops.expand_dims(X, axis=axis)
    assert result.shape == shape  # as Keras 3
    np.testing.assert_array_equal(result.numpy(), np.expand_dims(X, axis))


def test_keras_expand_dims_of_the_brief():
    assert ops.expand_dims(np.ones((2, 2)), axis=(0, 1)).shape == (1, 1, 2, 2)


@pytest.mark.parametrize("axis", [(0, 0), (0, 5), (-6,)])
def test_keras_expand_dims_bad_axes_raise(axis):
    with pytest.raises(ValueError):
        ops.expand_dims(X, axis=axis)


def test_keras_squeeze_and_flip_with_tuples():
    y = np.arange(6, dtype="float32").reshape(1, 2, 1, 3)
    assert ops.squeeze(y, axis=(0, 2)).shape == (2, 3)
    assert ops.squeeze(y, axis=[0]).shape == (2, 1, 3)
    assert ops.squeeze(y, axis=()).shape == (1, 2, 1, 3)
    np.testing.assert_array_equal(ops.flip(X, axis=(0, 2)).numpy(), np.flip(X, (0, 2)))
    np.testing.assert_array_equal(ops.flip(X, axis=[-1]).numpy(), np.flip(X, -1))
    with pytest.raises(ValueError):
        ops.flip(X, axis=(0, 0))
    with pytest.raises(ValueError):
        ops.squeeze(y, axis=(1,))


@pytest.mark.parametrize(
    ("source", "destination"), [((0, 1), (1, 2)), ([0], [-1]), ((-1, 0), (0, -1)), ((0, 1, 2), (2, 0, 1)), (1, -1)]
)
def test_keras_moveaxis_with_sequences(source, destination):
    np.testing.assert_array_equal(ops.moveaxis(X, source, destination).numpy(), np.moveaxis(X, source, destination))


@pytest.mark.parametrize(("source", "destination"), [((0, 1), (1,)), ((0, 0), (1, 2)), ((3,), (0,))])
def test_keras_moveaxis_bad_axes_raise(source, destination):
    with pytest.raises(ValueError):
        ops.moveaxis(X, source, destination)


def test_tuple_axes_gradients():
    weights = RNG.normal(size=(1, 3, 2, 1))
    check_gradients(lambda a: ops.expand_dims(a, axis=(0, -1)) * weights, [RNG.normal(size=(3, 2))])
    check_gradients(
        lambda a: ops.moveaxis(a, (0, 1), (1, 2)) * np.arange(24.0).reshape(4, 2, 3), [RNG.normal(size=(2, 3, 4))]
    )
    check_gradients(lambda a: ops.flip(a, axis=(0, 2)) * np.arange(24.0).reshape(2, 3, 4), [RNG.normal(size=(2, 3, 4))])


# --- 5. TensorFlow's keyword names ----------------------------------------------------------------
def test_is_tensor_takes_x_and_knows_the_composite_tensors():
    assert tf.is_tensor(x=tf.constant([1.0]))
    assert tf.is_tensor(tf.Variable(1.0))
    assert tf.is_tensor(tf.ragged.constant([[1], [2, 3]]))
    assert tf.is_tensor(tf.sparse.from_dense([[1, 0]]))
    assert not tf.is_tensor(x=np.ones(2))
    assert not tf.is_tensor([1.0])
    assert not tf.is_tensor(3.0)


def test_split_num():
    x = tf.reshape(tf.range(6.0), (2, 3))
    pieces = tf.split(x, [1, 2], axis=1, num=2)
    np.testing.assert_array_equal(pieces[1].numpy(), [[1.0, 2.0], [4.0, 5.0]])
    assert [p.shape for p in tf.split(x, [1, -1], axis=1, num=2)] == [(2, 1), (2, 2)]
    assert len(tf.split(x, 3, axis=1, num=2)) == 3  # ignored beside a number of pieces, as in TensorFlow
    assert len(tf.split(x, tf.constant([1, 2]), axis=1, num=2)) == 2
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.split(x, [1, 2], axis=1, num=3)
    with pytest.raises(ValueError):
        tf.split(x, [1, -1, -1], axis=1)
    with pytest.raises(ValueError):
        tf.split(x, [4, -1], axis=1)


def test_transpose_conjugate():
    z = tf.constant(np.array([[1 + 2j, 3 - 1j]]))
    np.testing.assert_array_equal(tf.transpose(z, conjugate=True).numpy(), [[1 - 2j], [3 + 1j]])
    np.testing.assert_array_equal(tf.transpose(z).numpy(), [[1 + 2j], [3 - 1j]])
    x = np.arange(6.0).reshape(1, 2, 3)
    np.testing.assert_array_equal(tf.transpose(x, perm=[2, 0, 1], conjugate=True).numpy(), x.transpose(2, 0, 1))
    check_gradients(lambda a: tf.transpose(a, [1, 0], True) * np.arange(6.0).reshape(3, 2), [RNG.normal(size=(2, 3))])


def test_transpose_conjugate_complex_gradient_is_tensorflows():
    z = tf.constant(np.array([[1 + 2j, 3 - 1j, 0.5j]]))
    w = tf.constant(np.array([[2 - 1j], [1 + 1j], [-1 + 0.5j]]))
    with tf.GradientTape() as tape:
        tape.watch(z)
        t = tf.transpose(z, conjugate=True)
        y = tf.math.real(tf.reduce_sum(t * w)) + tf.math.imag(tf.reduce_sum(t * z[0, 0]))
    # As TensorFlow 2.21 gives it.
    np.testing.assert_allclose(tape.gradient(y, z).numpy(), [[2.5 + 2j, 3 + 0j, 1 - 0.5j]])


def test_linspace_axis_matches_tensorflow():
    # Values and dtypes as TensorFlow 2.21 gives them.
    np.testing.assert_array_equal(tf.linspace([0.0, 1.0], [1.0, 3.0], 3, axis=0).numpy(), [[0, 1], [0.5, 2], [1, 3]])
    np.testing.assert_array_equal(tf.linspace([0.0, 1.0], [1.0, 3.0], 3, axis=-1).numpy(), [[0, 0.5, 1], [1, 2, 3]])
    result = tf.linspace([[0.0], [1.0]], [1.0, 3.0], 3, axis=1)
    assert result.shape == (2, 3, 2)
    np.testing.assert_array_equal(result.numpy()[1], [[1, 1], [1, 2], [1, 3]])
    assert tf.linspace(0.0, 1.0, 3, axis=-1).shape == (3,)
    assert tf.linspace([0.0, 1.0], [1.0, 3.0], 1, axis=1).numpy().tolist() == [[0.0], [1.0]]
    assert tf.linspace([0.0, 1.0], [1.0, 3.0], 0, axis=1).shape == (2, 0)
    ints = tf.linspace(0, 4, 3)
    assert ints.dtype == "float64" and ints.numpy().tolist() == [0.0, 2.0, 4.0]
    assert tf.linspace(0.0, 1.0, 3).dtype == "float32"
    assert tf.linspace(tf.constant(0.0, "float64"), 1.0, 3).dtype == "float64"
    # TensorFlow's steps, bit for bit: start + i * step, the last entry stop itself.
    expected = np.float32(0.1) + np.arange(6, dtype="float32") * ((np.float32(0.7) - np.float32(0.1)) / np.float32(6))
    np.testing.assert_array_equal(tf.linspace(0.1, 0.7, 7).numpy(), [*expected, np.float32(0.7)])


@pytest.mark.parametrize("axis", [1, 3, -3])
def test_linspace_axis_out_of_range_raises(axis):
    start = 0.0 if axis == 1 else [0.0, 1.0]
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.linspace(start, 1.0, 3, axis=axis)


def test_linspace_gradient():
    weights = RNG.normal(size=(2, 5))
    check_gradients(
        lambda a, b: tf.linspace(a, b, 5, axis=-1) * weights, [RNG.normal(size=(2,)), RNG.normal(size=(2,))]
    )
    check_gradients(lambda a, b: tf.linspace(a, b, 4) * np.arange(4.0), [RNG.normal(size=()), RNG.normal(size=())])


def test_eye_batch_shape():
    batch = tf.eye(2, batch_shape=[3])
    assert batch.shape == (3, 2, 2) and batch.dtype == "float32"
    np.testing.assert_array_equal(batch.numpy()[2], np.eye(2))
    ints = tf.eye(2, 3, batch_shape=[2, 1], dtype=tf.int32)
    assert ints.shape == (2, 1, 2, 3) and ints.dtype == "int32"
    np.testing.assert_array_equal(ints.numpy()[1, 0], np.eye(2, 3))
    assert tf.eye(2, batch_shape=tf.constant([2])).shape == (2, 2, 2)
    assert tf.eye(2, batch_shape=[]).shape == (2, 2)
    with pytest.raises(TypeError):
        tf.eye(2, batch_shape=3)
    with pytest.raises(ValueError):
        tf.eye(2, batch_shape=[-1])


def test_shape_and_size_out_type():
    x = tf.zeros((2, 3))
    assert shape_ops.shape(x).dtype == "int32"
    result = shape_ops.shape(x, out_type=tf.int64)
    assert result.dtype == "int64" and result.numpy().tolist() == [2, 3]
    assert shape_ops.shape(x, out_type="int64").dtype == "int64"
    assert shape_ops.shape(tf.constant(1.0)).shape == (0,)
    assert shape_ops.size(x).dtype == "int32"
    assert shape_ops.size(x, out_type=tf.int64).numpy() == 6
    assert shape_ops.size(x, out_type=tf.float32).dtype == "float32"  # TensorFlow takes any number type here
    for bad in (tf.float32, tf.int16):
        with pytest.raises(tf.errors.InvalidArgumentError):
            shape_ops.shape(x, out_type=bad)
    with pytest.raises(tf.errors.InvalidArgumentError):
        shape_ops.size(x, out_type=tf.bool)


def test_tf_shape_and_size_take_out_type_when_they_route_to_ops_shape():
    try:
        result = tf.shape(tf.zeros((2, 3)), out_type=tf.int64)
    except TypeError:
        pytest.skip("tf.shape does not route to learnet.ops.shape.shape yet")
    assert result.dtype == "int64"
    assert tf.size(tf.zeros((2, 3)), out_type=tf.int64).dtype == "int64"


class _Column:
    """Stands for a pandas column: NumPy reads it through ``__array__``."""

    def __init__(self, array):
        self.array = array

    def __array__(self, dtype=None, copy=None):
        return self.array if dtype is None else self.array.astype(dtype)


def test_int64_arrays_of_every_kind_keep_their_dtype_and_python_ints_become_int32():
    # As TensorFlow 2.21: tf.constant(pandas int64 column) and tf.constant(np.int64(5)) are
    # int64; Python ints, and lists of anything, are int32.
    import learnet as tf

    column = _Column(np.array([65, 70], np.int64))
    assert tf.constant(column).dtype == tf.int64
    assert tf.constant(np.int64(5)).dtype == tf.int64
    assert tf.constant(np.array([1, 2])).dtype == tf.int64
    assert tf.constant(5).dtype == tf.int32
    assert tf.constant([np.int64(1)]).dtype == tf.int32
    element = next(iter(tf.data.Dataset.from_tensor_slices({"age": column})))
    assert element["age"].dtype == tf.int64


def test_range_takes_the_widest_dtype_of_its_arguments_as_tensorflow():
    # TF 2.21: int64 for an int64 tensor or NumPy number, int32 for Python ints, floats win.
    assert tf.range(tf.constant(5, tf.int64)).dtype == tf.int64
    assert tf.range(np.int64(5)).dtype == tf.int64
    assert tf.range(5).dtype == tf.int32
    assert tf.range(tf.constant(2, tf.int64), 5).dtype == tf.int64
    assert tf.range(5.0).dtype == tf.float32
    assert tf.range(0, 1, 0.25).numpy().tolist() == [0.0, 0.25, 0.5, 0.75]
    assert tf.range(3, dtype=tf.float64).dtype == tf.float64
