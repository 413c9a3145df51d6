"""``tf.experimental.numpy`` (tnp): NumPy's answers, TensorFlow's dtypes, gradients, NumPy behaviour."""

import numpy as np
import pytest

import learnet as tf
import learnet.experimental.numpy as tnp
from learnet import experimental_numpy
from learnet.testing import check_gradients


@pytest.fixture
def numpy_behavior():
    """Enable NumPy behaviour for one test, and undo it afterwards (it changes every tensor)."""
    tnp.experimental_enable_numpy_behavior()
    yield tnp.experimental_enable_numpy_behavior
    experimental_numpy._disable_numpy_behavior()


@pytest.fixture(autouse=True)
def _always_restored():
    yield
    experimental_numpy._disable_numpy_behavior()


def same(result, expected):
    """``result`` is a tensor with NumPy's values and dtype."""
    assert isinstance(result, tnp.ndarray)
    expected = np.asarray(expected)
    assert result.dtype == expected.dtype, (result.dtype, expected.dtype)
    assert result.shape == expected.shape
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-6, atol=1e-12, equal_nan=True)


# --- the module -----------------------------------------------------------------------------------
def test_the_two_import_paths_give_the_same_functions():
    assert tnp.sum is experimental_numpy.sum
    assert tnp.random is experimental_numpy.random
    assert tnp.ndarray is tf.Tensor
    assert tnp.newaxis is None


# The names TensorFlow 2.21's tnp has (a sample of each family).
TF_NAMES = """abs absolute add all allclose amax amin angle any append arange arccos argmax argmin argsort
around array array_equal asanyarray asarray atleast_1d atleast_2d atleast_3d average bitwise_and bool_
broadcast_arrays broadcast_to cbrt ceil clip complex128 complex64 compress concatenate conj copy cos
count_nonzero cross cumprod cumsum deg2rad diag diag_indices diagflat diagonal diff divide divmod dot dsplit
dstack e einsum empty empty_like equal exp exp2 expand_dims experimental_enable_numpy_behavior expm1 eye
fabs finfo fix flatten flip fliplr flipud float16 float32 float64 float_power floor floor_divide full
full_like gcd geomspace greater heaviside hsplit hstack hypot identity iinfo imag inexact inf inner int16
int32 int64 int8 isclose iscomplex isfinite isinf isnan isscalar issubdtype ix_ kron lcm less linspace log
log10 log1p log2 logaddexp logical_and logspace matmul max maximum mean meshgrid min minimum mod moveaxis
multiply nanmean nanprod nansum ndarray ndim negative newaxis nextafter nonzero ones ones_like outer pad pi
polyval positive power prod promote_types ptp rad2deg random ravel real reciprocal remainder repeat reshape
result_type roll rot90 round select shape sign signbit sin sinc sinh size sort split sqrt square squeeze
stack std subtract sum swapaxes take take_along_axis tan tanh tensordot tile trace transpose tri tril triu
true_divide uint8 vander var vdot vsplit vstack where zeros zeros_like""".split()


def test_tnp_has_tensorflows_names():
    missing = [name for name in TF_NAMES if not hasattr(tnp, name)]
    assert not missing
    assert set(TF_NAMES) <= set(tnp.__all__)
    assert {"seed", "randn", "rand", "random", "randint", "uniform", "standard_normal", "poisson"} <= set(
        dir(tnp.random)
    )


# --- creation and TensorFlow's default dtypes ------------------------------------------------------
@pytest.mark.parametrize(
    "make, dtype",
    [
        (lambda: tnp.asarray(1), "int64"),
        (lambda: tnp.asarray(1.0), "float64"),
        (lambda: tnp.asarray(True), "bool"),
        (lambda: tnp.asarray([1, 2.5]), "float64"),
        (lambda: tnp.asarray(np.float32(1)), "float32"),
        (lambda: tnp.asarray(np.ones(2)), "float64"),
        (lambda: tnp.ones([2]), "float64"),
        (lambda: tnp.zeros(3, dtype=int), "int64"),
        (lambda: tnp.eye(2), "float64"),
        (lambda: tnp.identity(2), "float64"),
        (lambda: tnp.full([2], 1), "int64"),
        (lambda: tnp.full([2], 1.0), "float64"),
        (lambda: tnp.arange(3), "int64"),
        (lambda: tnp.arange(3.0), "float64"),
        (lambda: tnp.linspace(0, 1, 3), "float64"),
        (lambda: tnp.empty_like(tnp.ones([2], dtype=tnp.int32)), "int32"),
        (lambda: tnp.random.randn(2), "float64"),
        (lambda: tnp.random.randint(0, 5, size=2), "int64"),
    ],
)
def test_default_dtypes_are_tensorflows(make, dtype):
    assert make().dtype == np.dtype(dtype)


def test_prefer_float32_changes_python_floats_only():
    tnp.experimental_enable_numpy_behavior(prefer_float32=True)
    assert tnp.asarray(1.0).dtype == np.float32
    assert tnp.add(1.0, 2.0).dtype == np.float32
    assert tnp.arange(3.0).dtype == np.float32
    assert tnp.asarray(1).dtype == np.int64
    assert tnp.ones([1]).dtype == np.float64  # as TensorFlow: the default of `dtype=float`
    assert tnp.sqrt(tnp.asarray(4, dtype=tnp.int32)).dtype == np.float64
    tnp.experimental_enable_numpy_behavior(prefer_float32=False)
    assert tnp.asarray(1.0).dtype == np.float64


@pytest.mark.parametrize(
    "ours, numpys",
    [
        (lambda: tnp.zeros((2, 3)), lambda: np.zeros((2, 3))),
        (lambda: tnp.ones(2, dtype=tnp.int32), lambda: np.ones(2, dtype=np.int32)),
        (lambda: tnp.full((2, 2), 7.5, dtype=tnp.float32), lambda: np.full((2, 2), 7.5, dtype=np.float32)),
        (lambda: tnp.zeros_like([[1, 2]]), lambda: np.zeros_like([[1, 2]])),
        (lambda: tnp.ones_like([1.5]), lambda: np.ones_like([1.5])),
        (lambda: tnp.full_like([1.0, 2.0], 3), lambda: np.full_like([1.0, 2.0], 3)),
        (lambda: tnp.arange(1, 10, 3), lambda: np.arange(1, 10, 3)),
        (lambda: tnp.arange(0, 1, 0.25), lambda: np.arange(0, 1, 0.25)),
        (lambda: tnp.linspace(0, 1, 5, endpoint=False), lambda: np.linspace(0, 1, 5, endpoint=False)),
        (lambda: tnp.logspace(0, 2, 3), lambda: np.logspace(0, 2, 3)),
        (lambda: tnp.geomspace(1, 8, 4), lambda: np.geomspace(1, 8, 4)),
        (lambda: tnp.eye(3, 4, k=1), lambda: np.eye(3, 4, k=1)),
        (lambda: tnp.tri(3, dtype=tnp.int32), lambda: np.tri(3, dtype=np.int32)),
        (lambda: tnp.tril(np.arange(9.0).reshape(3, 3), -1), lambda: np.tril(np.arange(9.0).reshape(3, 3), -1)),
        (lambda: tnp.triu(np.arange(9.0).reshape(3, 3), 1), lambda: np.triu(np.arange(9.0).reshape(3, 3), 1)),
        (lambda: tnp.vander(np.array([1, 2, 3]), 4), lambda: np.vander(np.array([1, 2, 3]), 4)),
        (lambda: tnp.array([1, 2], ndmin=3), lambda: np.array([1, 2], ndmin=3)),
        (lambda: tnp.asarray([[1, 2], [3, 4]], dtype=tnp.float32), lambda: np.asarray([[1, 2], [3, 4]], np.float32)),
    ],
)
def test_creation_matches_numpy(ours, numpys):
    same(ours(), numpys())


def test_asarray_of_a_tensor_is_a_no_op_and_array_copies():
    x = tf.constant([1, 2])
    assert tnp.asarray(x) is x
    assert tnp.array(x) is not x
    same(tnp.array(x), np.array([1, 2], dtype=np.int32))
    assert tnp.asarray("abc").numpy() == b"abc"


# --- elementwise functions ---------------------------------------------------------------------
UNARY = [
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "cbrt", "sin", "cos", "tan", "arcsin",
    "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arctanh", "deg2rad", "rad2deg", "reciprocal",
    "sinc", "abs", "absolute", "fabs", "negative", "positive", "square", "sign", "floor", "ceil", "fix",
    "isnan", "isinf", "isfinite", "signbit", "logical_not", "around", "real", "imag", "conj",
]  # fmt: skip


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_unary_functions_match_numpy(name, dtype):
    x = np.array([0.1, 0.5, 0.75, 0.3], dtype=dtype)
    expected = getattr(np, name)(x)
    result = getattr(tnp, name)(x)
    assert result.dtype == expected.dtype
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-5 if dtype == "float32" else 1e-10)


@pytest.mark.parametrize("name", ["sqrt", "exp", "tanh", "log1p", "sin"])
def test_integer_inputs_of_float_functions_give_float64(name):
    x = np.array([1, 2, 3], dtype=np.int32)
    same(getattr(tnp, name)(x), getattr(np, name)(x))
    same(getattr(tnp, name)(tnp.asarray(4)), getattr(np, name)(np.int64(4)))


def test_arccosh_and_predicates():
    same(tnp.arccosh([1.5, 2.0]), np.arccosh([1.5, 2.0]))
    same(tnp.isposinf([np.inf, -np.inf]), np.isposinf([np.inf, -np.inf]))
    same(tnp.isneginf([np.inf, -np.inf]), np.isneginf([np.inf, -np.inf]))
    same(tnp.round(tnp.asarray([1.25, 2.5]), 1), np.round(np.array([1.25, 2.5]), 1))
    same(tnp.square(np.array([2], np.int32)), np.square(np.array([2], np.int32)))


BINARY = [
    "add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "mod", "remainder", "power",
    "float_power", "maximum", "minimum", "arctan2", "hypot", "logaddexp", "logaddexp2", "heaviside",
    "nextafter", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and",
    "logical_or", "logical_xor",
]  # fmt: skip


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize(
    "dtypes", [("float64", "float64"), ("float32", "float32"), ("int32", "float32"), ("float32", "float64")]
)
def test_binary_functions_match_numpy_with_its_promotion(name, dtypes):
    a = np.array([[1.5, 2.0, 3.0], [0.5, 4.0, 2.5]]).astype(dtypes[0]) + 1
    b = np.array([2.0, 0.5, 3.0]).astype(dtypes[1])
    same(getattr(tnp, name)(a, b), getattr(np, name)(a, b))


@pytest.mark.parametrize(
    "x1, x2, dtype",
    [
        (np.array([1], np.int32), 1, "int32"),
        (np.array([1], np.int32), 1.5, "float64"),
        (np.array([1.0], np.float32), 1.5, "float32"),
        (np.array([1.0], np.float32), np.float64(2), "float64"),
        (np.array([1.0], np.float32), 1j, "complex64"),
        (np.array([True]), 1, "int64"),
        (np.array([1], np.int32), [1], "int32"),
        (np.array([1], np.int32), np.array([1], np.int64), "int64"),
        (1, 2, "int64"),
        (1.0, 2.0, "float64"),
    ],
)
def test_python_numbers_are_weak_in_promotion_as_tensorflow(x1, x2, dtype):
    assert tnp.add(x1, x2).dtype == np.dtype(dtype)
    assert tnp.result_type(x1, x2) == np.dtype(dtype)


def test_integer_functions():
    a, b = np.array([12, 18, 7]), np.array([8, 12, 3])
    for name in ["bitwise_and", "bitwise_or", "bitwise_xor", "gcd", "lcm", "floor_divide", "mod"]:
        same(getattr(tnp, name)(a, b), getattr(np, name)(a, b))
    same(tnp.bitwise_not(a), np.bitwise_not(a))
    quotient, remainder = tnp.divmod(a, b)
    same(quotient, a // b)
    same(remainder, a % b)
    with pytest.raises(TypeError, match="bitwise_and expects integer"):
        tnp.bitwise_and([1.5], [2.0])


def test_comparisons_and_selection():
    x = np.array([-2.0, 0.5, 3.0, 7.0])
    same(tnp.clip(x, 0, 5), np.clip(x, 0, 5))
    same(tnp.clip(x, None, 1), np.clip(x, None, 1))
    same(tnp.clip(np.array([1, 5, 9]), 2, 6), np.clip(np.array([1, 5, 9]), 2, 6))
    same(tnp.where(x > 0, x, 0.0), np.where(x > 0, x, 0.0))
    same(tnp.where([True, False], tnp.ones([2], dtype=tnp.float32), 0), np.array([1.0, 0.0], np.float32))
    (indices,) = tnp.where(x > 0)
    same(indices, np.nonzero(x > 0)[0])
    for ours, theirs in zip(tnp.nonzero([[1, 0], [0, 2]]), np.nonzero([[1, 0], [0, 2]])):
        same(ours, theirs)
    same(tnp.select([x < 0, x > 5], [x, x * 10], -1.0), np.select([x < 0, x > 5], [x, x * 10], -1.0))
    same(tnp.compress([True, False, True, False], x), np.compress([True, False, True, False], x))
    same(tnp.isclose(x, x + 1e-9), np.isclose(x, x + 1e-9))
    assert bool(tnp.allclose(x, x + 1e-9)) and not bool(tnp.array_equal(x, x + 1))


# --- reductions ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sum", "prod", "mean", "std", "var", "max", "min", "amax", "amin", "ptp"])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "int64"])
def test_reductions_match_numpy(name, axis, dtype):
    x = np.array([[1, 5, 2], [4, 3, 6]]).astype(dtype)
    same(getattr(tnp, name)(x, axis=axis), getattr(np, name)(x, axis=axis))
    if name != "ptp":
        same(getattr(tnp, name)(x, axis=axis, keepdims=True), getattr(np, name)(x, axis=axis, keepdims=True))


def test_reductions_with_options_match_numpy():
    x = np.array([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]])
    same(tnp.var(x, ddof=1), np.var(x, ddof=1))
    same(tnp.std(x, axis=0, ddof=1), np.std(x, axis=0, ddof=1))
    same(tnp.sum(x, dtype=tnp.float32), np.sum(x, dtype=np.float32))
    same(tnp.mean(np.array([1, 2]), dtype=tnp.float32), np.mean(np.array([1, 2]), dtype=np.float32))
    same(tnp.sum(np.array([True, False, True])), np.sum(np.array([True, False, True])))
    same(tnp.argmax(x), np.argmax(x))
    same(tnp.argmin(x, axis=1), np.argmin(x, axis=1))
    same(tnp.all(x > 0, axis=0), np.all(x > 0, axis=0))
    same(tnp.any(x > 5), np.any(x > 5))
    same(tnp.count_nonzero(x > 2, axis=1), np.count_nonzero(x > 2, axis=1))
    same(tnp.cumsum(x), np.cumsum(x))
    same(tnp.cumprod(x, axis=1), np.cumprod(x, axis=1))
    same(tnp.cumsum(np.array([1, 2], np.int32)), np.cumsum(np.array([1, 2], np.int32)))
    same(tnp.average(x, axis=1, weights=[1.0, 2.0, 3.0]), np.average(x, axis=1, weights=[1.0, 2.0, 3.0]))
    same(tnp.average(x), np.average(x))
    with_nan = np.array([[1.0, np.nan], [2.0, 3.0]])
    for name in ["nansum", "nanprod", "nanmean"]:
        same(getattr(tnp, name)(with_nan, axis=1), getattr(np, name)(with_nan, axis=1))
    same(tnp.trace(np.arange(9.0).reshape(3, 3)), np.trace(np.arange(9.0).reshape(3, 3)))


# --- shapes -------------------------------------------------------------------------------------
X = np.arange(24.0).reshape(2, 3, 4)


@pytest.mark.parametrize(
    "ours, numpys",
    [
        (lambda: tnp.reshape(X, (4, -1)), lambda: np.reshape(X, (4, -1))),
        (lambda: tnp.reshape(X, (6, 4), order="F"), lambda: np.reshape(X, (6, 4), order="F")),
        (lambda: tnp.ravel(X), lambda: np.ravel(X)),
        (lambda: tnp.transpose(X), lambda: np.transpose(X)),
        (lambda: tnp.transpose(X, (1, 0, 2)), lambda: np.transpose(X, (1, 0, 2))),
        (lambda: tnp.swapaxes(X, 0, 2), lambda: np.swapaxes(X, 0, 2)),
        (lambda: tnp.moveaxis(X, 0, -1), lambda: np.moveaxis(X, 0, -1)),
        (lambda: tnp.moveaxis(X, [0, 1], [2, 0]), lambda: np.moveaxis(X, [0, 1], [2, 0])),
        (lambda: tnp.expand_dims(X, 1), lambda: np.expand_dims(X, 1)),
        (lambda: tnp.squeeze(np.ones((1, 3, 1))), lambda: np.squeeze(np.ones((1, 3, 1)))),
        (lambda: tnp.squeeze(np.ones((1, 3, 1)), axis=0), lambda: np.squeeze(np.ones((1, 3, 1)), axis=0)),
        (lambda: tnp.broadcast_to([1, 2], (3, 2)), lambda: np.broadcast_to([1, 2], (3, 2))),
        (lambda: tnp.concatenate([X, X], axis=1), lambda: np.concatenate([X, X], axis=1)),
        (lambda: tnp.concatenate([X, X[:1]], axis=None), lambda: np.concatenate([X, X[:1]], axis=None)),
        (lambda: tnp.stack([X, X], axis=-1), lambda: np.stack([X, X], axis=-1)),
        (lambda: tnp.hstack([[1, 2], [3]]), lambda: np.hstack([[1, 2], [3]])),
        (lambda: tnp.vstack([[1, 2], [3, 4]]), lambda: np.vstack([[1, 2], [3, 4]])),
        (lambda: tnp.dstack([[1, 2], [3, 4]]), lambda: np.dstack([[1, 2], [3, 4]])),
        (lambda: tnp.atleast_3d(np.ones(3)), lambda: np.atleast_3d(np.ones(3))),
        (lambda: tnp.atleast_2d(5), lambda: np.atleast_2d(5)),
        (lambda: tnp.tile([1, 2], (2, 2)), lambda: np.tile([1, 2], (2, 2))),
        (lambda: tnp.repeat(X, 2, axis=1), lambda: np.repeat(X, 2, axis=1)),
        (lambda: tnp.flip(X, axis=2), lambda: np.flip(X, axis=2)),
        (lambda: tnp.fliplr(X[0]), lambda: np.fliplr(X[0])),
        (lambda: tnp.flipud(X[0]), lambda: np.flipud(X[0])),
        (lambda: tnp.rot90(X[0], 3), lambda: np.rot90(X[0], 3)),
        (lambda: tnp.roll(X, 2, axis=2), lambda: np.roll(X, 2, axis=2)),
        (lambda: tnp.roll(X, -5), lambda: np.roll(X, -5)),
        (lambda: tnp.pad(X[0], ((1, 0), (0, 2))), lambda: np.pad(X[0], ((1, 0), (0, 2)))),
        (lambda: tnp.pad(X[0], 1, mode="reflect"), lambda: np.pad(X[0], 1, mode="reflect")),
        (lambda: tnp.take(X, [2, 0], axis=1), lambda: np.take(X, [2, 0], axis=1)),
        (lambda: tnp.take(X, [-1, 3]), lambda: np.take(X, [-1, 3])),
        (lambda: tnp.take_along_axis(X, np.argsort(X, 2), 2), lambda: np.take_along_axis(X, np.argsort(X, 2), 2)),
        (lambda: tnp.diag([1, 2], k=1), lambda: np.diag([1, 2], k=1)),
        (lambda: tnp.diag(X[0]), lambda: np.diag(X[0])),
        (lambda: tnp.diagflat([[1, 2]]), lambda: np.diagflat([[1, 2]])),
        (lambda: tnp.diagonal(X, 1, 1, 2), lambda: np.diagonal(X, 1, 1, 2)),
        (lambda: tnp.sort(-X, axis=1), lambda: np.sort(-X, axis=1)),
        (lambda: tnp.argsort([3, 1, 2, 1]), lambda: np.argsort([3, 1, 2, 1], kind="stable")),
        (lambda: tnp.append([1, 2], [[3]]), lambda: np.append([1, 2], [[3]])),
        (lambda: tnp.diff(X, n=2, axis=2), lambda: np.diff(X, n=2, axis=2)),
        (lambda: tnp.polyval([1.0, 0.0, -1.0], [2.0, 3.0]), lambda: np.polyval([1.0, 0.0, -1.0], [2.0, 3.0])),
        (lambda: tnp.kron(np.eye(2), [[1.0, 2.0]]), lambda: np.kron(np.eye(2), [[1.0, 2.0]])),
    ],
)
def test_shape_functions_match_numpy(ours, numpys):
    same(ours(), numpys())


def test_splits_and_shape_queries_match_numpy():
    for ours, theirs in zip(tnp.split(X, [1, 3], axis=2), np.split(X, [1, 3], axis=2)):
        same(ours, theirs)
    for ours, theirs in zip(tnp.hsplit(X, 3), np.hsplit(X, 3)):
        same(ours, theirs)
    for ours, theirs in zip(tnp.vsplit(X, 2), np.vsplit(X, 2)):
        same(ours, theirs)
    for ours, theirs in zip(tnp.dsplit(X, 2), np.dsplit(X, 2)):
        same(ours, theirs)
    for ours, theirs in zip(
        tnp.broadcast_arrays(np.ones((2, 1)), np.ones(3)), np.broadcast_arrays(np.ones((2, 1)), np.ones(3))
    ):
        same(ours, theirs)
    for ours, theirs in zip(tnp.meshgrid([1, 2, 3], [4, 5]), np.meshgrid([1, 2, 3], [4, 5])):
        same(ours, theirs)
    assert tnp.shape(X) == (2, 3, 4) and tnp.ndim(X) == 3 and tnp.size(X) == 24 and tnp.size(X, 1) == 3
    assert tnp.isscalar(tnp.asarray(1)) and not tnp.isscalar(tnp.ones([1]))
    assert tnp.iscomplexobj(np.ones(1, np.complex64)) and tnp.isrealobj(tnp.ones([1]))


# --- products -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, a, b",
    [
        ("dot", np.arange(3.0), np.arange(3.0)),
        ("dot", np.ones((2, 3)), np.arange(3.0)),
        ("dot", np.arange(2.0), np.ones((2, 3))),
        ("dot", np.ones((2, 3)), np.ones((3, 4))),
        ("dot", np.ones((2, 2, 3)), np.ones((4, 3, 5))),
        ("dot", np.arange(3), np.arange(3)),
        ("matmul", np.ones((2, 3), np.float32), np.ones((3, 4))),
        ("matmul", np.ones((5, 2, 3)), np.ones((3,))),
        ("matmul", np.ones((3,)), np.ones((5, 3, 2))),
        ("matmul", np.ones((5, 2, 3)), np.ones((1, 3, 2))),
        ("vdot", np.arange(4.0).reshape(2, 2), np.arange(4.0).reshape(2, 2)),
        ("inner", np.arange(6.0).reshape(2, 3), np.arange(3.0)),
        ("outer", np.arange(3.0), np.arange(2.0)),
        ("cross", np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])),
        ("cross", np.arange(6.0).reshape(2, 3), np.ones((2, 3))),
    ],
)
def test_products_match_numpy(name, a, b):
    same(getattr(tnp, name)(a, b), getattr(np, name)(a, b))


def test_einsum_and_tensordot_match_numpy():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    same(tnp.einsum("ij,jk->ik", a, b), np.einsum("ij,jk->ik", a, b))
    same(tnp.einsum("ij->j", a), np.einsum("ij->j", a))
    same(tnp.einsum("ij,ij", a, a), np.einsum("ij,ij", a, a))
    same(tnp.tensordot(a, b, axes=1), np.tensordot(a, b, axes=1))
    same(tnp.tensordot(a, a, axes=([0, 1], [0, 1])), np.tensordot(a, a, axes=([0, 1], [0, 1])))


# --- random -------------------------------------------------------------------------------------
def test_random_is_seeded_and_has_numpys_shapes_and_dtypes():
    tnp.random.seed(3)
    first = [tnp.random.randn(2, 3), tnp.random.uniform(2, 5, size=(4,)), tnp.random.randint(3, size=5)]
    tnp.random.seed(3)
    second = [tnp.random.randn(2, 3), tnp.random.uniform(2, 5, size=(4,)), tnp.random.randint(3, size=5)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert first[0].shape == (2, 3) and first[0].dtype == np.float64
    assert np.all((first[1].numpy() >= 2) & (first[1].numpy() < 5))
    assert first[2].dtype == np.int64 and np.all((first[2].numpy() >= 0) & (first[2].numpy() < 3))
    assert tnp.random.standard_normal(size=(3,)).shape == (3,)
    assert tnp.random.rand().shape == () and tnp.random.randn().dtype == np.float64
    assert tnp.random.random((2, 2)).shape == (2, 2)
    assert tnp.random.poisson(2.0, size=(3,)).dtype == np.int64
    assert tnp.random.randint(0, 5, size=2, dtype=tnp.int32).dtype == np.int32


# --- gradients ----------------------------------------------------------------------------------
def test_numerical_gradients_of_tnp_functions():
    check_gradients(lambda x: tnp.sum(tnp.tanh(x) * tnp.exp(x)), [[[0.1, -0.4], [0.3, 0.9]]])
    check_gradients(lambda x, y: tnp.matmul(x, y), [np.random.rand(2, 3), np.random.rand(3, 2)])
    check_gradients(lambda x, y: tnp.dot(x, y), [np.random.rand(3), np.random.rand(3, 2)])
    check_gradients(lambda x, y: tnp.einsum("ij,jk->ik", x, y), [np.random.rand(2, 3), np.random.rand(3, 2)])
    check_gradients(lambda x: tnp.std(x, axis=0, ddof=1) + tnp.var(x), [np.random.rand(3, 4)])
    check_gradients(lambda x: tnp.mean(tnp.clip(x, 0.2, 0.8) ** 2), [[0.1, 0.5, 0.7, 0.9]])
    check_gradients(lambda x: tnp.max(tnp.sqrt(x) + tnp.log1p(x), axis=1), [np.random.rand(3, 4) + 0.1])
    check_gradients(lambda x, y: tnp.where(x > 0.5, x * y, tnp.maximum(x, y)), [np.random.rand(5), np.random.rand(5)])
    check_gradients(lambda x: tnp.concatenate([x, tnp.flip(x, 0)], axis=0)[1:] * 2, [np.random.rand(3, 2)])
    check_gradients(lambda x: tnp.cumsum(tnp.transpose(tnp.reshape(x, (2, 3)))), [np.random.rand(6)])
    check_gradients(lambda x: tnp.hypot(x, 2.0) + tnp.arctan2(x, 1.5) + tnp.cbrt(x), [np.random.rand(4) + 0.1])
    check_gradients(lambda x: tnp.sum(tnp.kron(x, x)) + tnp.sum(tnp.outer(x, x) ** 2), [np.random.rand(2)])


def test_gradients_flow_through_a_tnp_model_under_the_tape():
    w1 = tnp.asarray(np.random.randn(4, 8), dtype=tnp.float32)
    w2 = tnp.asarray(np.random.randn(8, 2), dtype=tnp.float32)
    inputs = tnp.ones([3, 4], dtype=tnp.float32)
    with tf.GradientTape() as tape:
        tape.watch((w1, w2))
        hidden = tnp.maximum(tnp.matmul(inputs, w1), 0)
        loss = tnp.sum(tnp.square(tnp.matmul(hidden, w2) - 1.0))
    grads = tape.gradient(loss, (w1, w2))
    assert all(isinstance(g, tnp.ndarray) for g in grads)
    assert [g.shape for g in grads] == [(4, 8), (8, 2)]
    relu = np.maximum(np.ones((3, 4)) @ w1.numpy(), 0)
    expected_w2 = relu.T @ (2 * (relu @ w2.numpy() - 1))
    np.testing.assert_allclose(grads[1].numpy(), expected_w2, rtol=1e-4)


def test_a_cast_with_astype_keeps_the_gradient(numpy_behavior):
    x = tf.Variable([1.0, 2.0], dtype="float64")
    with tf.GradientTape() as tape:
        y = tnp.sum(x.astype(tnp.float32) ** 2)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0])


# --- NumPy behaviour ----------------------------------------------------------------------------
def test_methods_appear_only_after_enabling_numpy_behavior():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    for name in ["astype", "tolist", "ravel", "flatten", "clip", "mean", "max", "min", "data"]:
        assert not hasattr(x, name)
    tnp.experimental_enable_numpy_behavior()
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    experimental_numpy._disable_numpy_behavior()
    assert not hasattr(x, "tolist")


def test_numpy_methods_match_numpy(numpy_behavior):
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = tf.constant(values)
    same(x.astype(tnp.int32), values.astype(np.int32))
    same(x.astype("float64"), values.astype(np.float64))
    same(x.reshape(3, 2), values.reshape(3, 2))
    same(x.reshape((3, 2)), values.reshape((3, 2)))
    same(x.reshape([-1]), values.reshape([-1]))
    same(x.reshape(-1, order="F"), values.reshape(-1, order="F"))
    same(x.T, values.T)
    same(x.transpose(), values.transpose())
    same(x.transpose((1, 0)), values.transpose((1, 0)))
    same(x.transpose(1, 0), values.transpose(1, 0))
    same(x.ravel(), values.ravel())
    same(x.flatten(), values.flatten())
    same(x.flatten("F"), values.flatten("F"))
    same(x.clip(1, 4), values.clip(1, 4))
    same(x.max(), values.max())
    same(x.max(axis=1), values.max(axis=1))
    same(x.min(0), values.min(0))
    same(x.mean(), values.mean())
    same(x.mean(axis=0, keepdims=True), values.mean(axis=0, keepdims=True))
    same(tf.constant([1, 2]).mean(), np.float64(1.5))
    assert x.tolist() == values.tolist() and tf.constant(3.0).tolist() == 3.0
    assert x.data is x and x.ndim == 2 and x.size == 6
    same(+x, values)


@pytest.mark.parametrize(
    "a, b, dtype",
    [
        ("int32", "int64", "int64"),
        ("int32", "float32", "float64"),
        ("int32", "float64", "float64"),
        ("int64", "float32", "float64"),
        ("int64", "float64", "float64"),
        ("float32", "float64", "float64"),
        ("int8", "uint32", "int64"),
    ],
)
def test_operators_promote_as_numpy_after_enabling(numpy_behavior, a, b, dtype):
    x, y = tnp.asarray(1, dtype=a), tnp.asarray(2, dtype=b)
    for result in (x + y, y + x, x * y, x - y, y**x, x < y, x == y):
        assert result.dtype in (np.dtype(dtype), np.dtype(bool))
    assert (x / y).dtype == np.dtype("float64") if dtype != "float32" else True


def test_operators_with_numbers_and_numpy_arrays(numpy_behavior):
    i32, f32 = tf.constant([1, 2], dtype="int32"), tf.constant([1.0, 2.0])
    assert (i32 + 1.5).dtype == np.float64
    assert (i32 * 2).dtype == np.int32
    assert (f32 + 1.5).dtype == np.float32
    assert (f32 + np.float64(1.5)).dtype == np.float64
    assert (f32 + np.ones(2)).dtype == np.float64
    assert (np.ones(2) + f32).dtype == np.float64
    assert (np.ones(2) * f32).dtype == np.float64
    assert (i32 / i32).dtype == np.float64
    assert (i32 // 2).dtype == np.int32
    assert (f32 @ tnp.ones([2, 1])).dtype == np.float64
    assert (tnp.ones([2]) + np.ones([2])).dtype == np.float64


def test_gradients_flow_through_promoting_operators(numpy_behavior):
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tnp.sum(x * np.float64(3.0) + tf.constant([1, 1], dtype="int32"))
    assert y.dtype == np.float64
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [3.0, 3.0])


@pytest.mark.parametrize(
    "a, b, dtype",
    [
        ("int32", "float32", "float32"),
        ("int8", "uint32", "int64"),
        ("int64", "float16", "float16"),
        ("uint64", "int8", "float64"),
        ("uint8", "int8", "int16"),
        ("float64", "complex64", "complex128"),
        ("bool", "int8", "int8"),
        ("float32", "complex64", "complex64"),
        ("int16", "complex64", "complex64"),
    ],
)
def test_the_all_mode_follows_tensorflows_lattice(a, b, dtype):
    tnp.experimental_enable_numpy_behavior(dtype_conversion_mode="all")
    assert (tnp.asarray(1, dtype=a) + tnp.asarray(1, dtype=b)).dtype == np.dtype(dtype)
    assert (tnp.asarray(1, dtype=b) + tnp.asarray(1, dtype=a)).dtype == np.dtype(dtype)


def test_the_all_mode_makes_python_numbers_32_bit_and_weak():
    tnp.experimental_enable_numpy_behavior(dtype_conversion_mode="all")
    assert tnp.array(1).dtype == np.int32 and tnp.asarray(1.0).dtype == np.float32
    assert tnp.ones([1]).dtype == np.float32
    assert (tf.constant(1, dtype="int8") + 1).dtype == np.int8
    assert (tf.constant(1, dtype="int8") + 1.5).dtype == np.float64
    assert (tf.constant(1, dtype="float16") + 1j).dtype == np.complex64
    assert (tf.constant(True) + 1).dtype == np.int32
    assert tnp.add(tf.constant(1, dtype="int32"), tf.constant(1.0)).dtype == np.float64  # tnp keeps NumPy's


@pytest.mark.parametrize(
    "a, b",
    [("int32", "float32"), ("int8", "uint32"), ("int64", "float16"), ("uint8", "int8"), ("float64", "complex64")],
)
def test_the_safe_mode_refuses_risky_promotions(a, b):
    tnp.experimental_enable_numpy_behavior(dtype_conversion_mode="safe")
    with pytest.raises(TypeError, match="safe"):
        tnp.asarray(1, dtype=a) + tnp.asarray(1, dtype=b)


def test_the_safe_mode_allows_the_rest():
    tnp.experimental_enable_numpy_behavior(dtype_conversion_mode="safe")
    assert (tnp.asarray(1, dtype="int8") + tnp.asarray(1, dtype="int32")).dtype == np.int32
    assert (tnp.asarray(1, dtype="int16") + tnp.asarray(1, dtype="complex64")).dtype == np.complex64
    assert (tf.constant(True) + 1).dtype == np.int32
    with pytest.raises(TypeError, match="safe"):
        tf.constant(1, dtype="int8") + 1.5


def test_the_off_mode_leaves_learnets_operators():
    tnp.experimental_enable_numpy_behavior(dtype_conversion_mode="off")
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.constant(1.0, dtype="float64") + tf.constant(1.0)
    assert tf.constant([1.0]).tolist() == [1.0]


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="dtype_conversion_mode must be one of"):
        tnp.experimental_enable_numpy_behavior(dtype_conversion_mode="bogus")
    with pytest.raises(TypeError, match="prefer_float32"):
        tnp.experimental_enable_numpy_behavior(prefer_float32="yes")


# --- interoperation with NumPy ------------------------------------------------------------------
def test_numpy_functions_take_tensors_and_tnp_takes_numpy_arrays():
    np_sum = np.sum(tnp.ones([2, 3]))
    assert isinstance(np_sum, np.float64) and np_sum == 6.0
    tnp_sum = tnp.sum(np.ones([2, 3]))
    assert isinstance(tnp_sum, tnp.ndarray) and float(tnp_sum) == 6.0
    assert np.asarray(tnp.ones([2], dtype=tnp.float32)).dtype == np.float32
    np.testing.assert_array_equal(np.array(tnp.arange(3)), [0, 1, 2])
    assert isinstance(tf.reduce_sum(tnp.ones([2, 3], tnp.float32)), tnp.ndarray)


def test_indexing_as_numpy():
    values = np.arange(24).reshape(2, 3, 4)
    x = tnp.arange(24).reshape(2, 3, 4)
    same(x[1, tnp.newaxis, 1:3, ...], values[1, np.newaxis, 1:3, ...])
    same(x[:, (True, False, True)], values[:, (True, False, True)])
    same(x[1, (0, 0, 1), tnp.asarray([0, 1, 1])], values[1, (0, 0, 1), np.asarray([0, 1, 1])])
    same(x[x > 20], values[values > 20])
    same(x[[1, 0]], values[[1, 0]])
    same(x[..., ::-2], values[..., ::-2])


def test_tensors_cannot_be_mutated():
    with pytest.raises(TypeError):
        tnp.arange(6)[1] = -1


# --- clear errors -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: tnp.reshape(tnp.ones([6]), (4, -1)), ValueError, "cannot reshape a tensor of 6"),
        (lambda: tnp.reshape(tnp.ones([6]), (-1, -1)), ValueError, "cannot reshape"),
        (lambda: tnp.matmul(tnp.ones([2, 3]), tnp.ones([2, 3])), ValueError, "do not fit"),
        (lambda: tnp.matmul(tnp.ones([2]), 3.0), ValueError, "scalar"),
        (lambda: tnp.dot(tnp.ones([2]), tnp.ones([3])), ValueError, "not aligned"),
        (lambda: tnp.concatenate([tnp.ones([2, 2]), tnp.ones([2, 3])]), ValueError, "differ outside axis 0"),
        (lambda: tnp.concatenate([]), ValueError, "at least one"),
        (lambda: tnp.stack([tnp.ones([2]), tnp.ones([3])]), ValueError, "same shape"),
        (lambda: tnp.asarray(None), ValueError, "None"),
        (lambda: tnp.ones([2], dtype="floaty"), TypeError, "not a data type"),
        (lambda: tnp.zeros([-1]), ValueError, "negative dimensions"),
        (lambda: tnp.sum(tnp.ones([2]), axis=3), ValueError, "axis 3 is out of bounds"),
        (lambda: tnp.mean(tnp.ones([2]), out=tnp.ones([])), ValueError, "out="),
        (lambda: tnp.max(tnp.ones([0])), ValueError, "empty"),
        (lambda: tnp.argmax(tnp.ones([0])), ValueError, "empty"),
        (lambda: tnp.random.randint(5, 5), ValueError, "larger than low"),
        (lambda: tnp.einsum(["ij"], tnp.ones([2, 2])), TypeError, "subscripts as a string"),
        (lambda: tnp.einsum("ij,jk->ik", tnp.ones([2, 2])), ValueError, "names 2 operands"),
        (lambda: tnp.clip(tnp.ones([2]), None, None), ValueError, "both be None"),
        (lambda: tnp.take(tnp.ones([3]), [3]), IndexError, "out of bounds"),
        (lambda: tnp.squeeze(tnp.ones([2, 1]), axis=0), ValueError, "not 1"),
        (lambda: tnp.broadcast_to(tnp.ones([3]), (2, 2)), ValueError, "cannot broadcast"),
        (lambda: tnp.transpose(tnp.ones([2, 3]), (0, 0)), ValueError, "not a permutation"),
        (lambda: tnp.expand_dims(tnp.ones([2]), 3), ValueError, "out of bounds"),
        (lambda: tnp.arange(0, 5, 0), ValueError, "step must not be zero"),
        (lambda: tnp.where([True], [1]), ValueError, "either only a condition"),
        (lambda: tnp.nonzero(tnp.asarray(1)), ValueError, "shape ()"),
        (lambda: tnp.diag(tnp.ones([2, 2, 2])), ValueError, "1-D or 2-D"),
        (lambda: tnp.tril(tnp.ones([3])), ValueError, "at least 2 dimensions"),
        (lambda: tnp.pad(tnp.ones([2]), 1, mode="edge-ish"), ValueError, "mode must be"),
        (lambda: tnp.sort(tnp.ones([2]), order="x"), ValueError, "order="),
        (lambda: tnp.average(tnp.ones([2, 3]), axis=1, weights=[1.0, 2.0]), ValueError, "do not fit"),
        (lambda: tnp.select([True], [1, 2]), ValueError, "1 conditions but 2 choices"),
        (lambda: tnp.result_type(), ValueError, "at least one"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
