"""``keras.ops``' Fourier transforms, complex numbers, special functions, linear algebra, adaptive
pooling, patches, transposed convolutions, ``rearrange``, ``vectorize``, ``associative_scan`` and
``jvp``: learnet against real Keras 3 (values, shapes, dtypes), gradients, errors."""

import sys
from pathlib import Path

import numpy as np
import pytest

import learnet as keras
from learnet import complex_math
from learnet.testing import check_gradients

sys.path.insert(0, str(Path(__file__).resolve().parent))
from keras_ops_more_cases import CASES, resolve  # noqa: E402

REFERENCE = np.load(Path(__file__).resolve().parent / "fixtures" / "keras_ops_more_reference.npz")


def _flatten(result):
    if isinstance(result, (tuple, list)):
        return [leaf for item in result for leaf in _flatten(item)]
    return [np.asarray(result)]


@pytest.mark.parametrize("case_id, name, args, kwargs", CASES, ids=[c[0] for c in CASES])
def test_matches_keras_3(case_id, name, args, kwargs):
    got = _flatten(getattr(keras.ops, name)(*resolve(args, keras.ops), **kwargs))
    keys = sorted((k for k in REFERENCE.files if k.split("/")[0] == case_id), key=lambda k: int(k.split("/")[1]))
    expected = [REFERENCE[key] for key in keys]
    assert len(got) == len(expected)
    for value, reference in zip(got, expected):
        assert value.shape == reference.shape
        assert value.dtype == reference.dtype, (value.dtype, reference.dtype)
        if reference.dtype.kind in "iub":
            np.testing.assert_array_equal(value, reference)
        else:
            np.testing.assert_allclose(value, reference, rtol=2e-5, atol=2e-6)


def test_the_new_functions_are_in_keras_3s_sub_namespaces():
    for name in ("fft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft", "erfc", "erfinv", "logdet"):
        assert getattr(keras.ops.math, name) is getattr(keras.ops, name)
    for name in ("adaptive_average_pool", "adaptive_max_pool", "fold", "unfold", "conv_transpose", "polar"):
        assert getattr(keras.ops.nn, name) is getattr(keras.ops, name)
    for name in ("angle", "ldexp", "nancumprod", "nextafter", "vectorize"):
        assert getattr(keras.ops.numpy, name) is getattr(keras.ops, name)
    for name in ("lstsq", "pinv", "matrix_rank", "solve_triangular", "cholesky_inverse", "lu_factor", "jvp"):
        assert getattr(keras.ops.linalg, name) is getattr(keras.ops, name)


# --- gradients ------------------------------------------------------------------------------------------------
W1 = np.random.default_rng(1).standard_normal((2, 3))
W2 = np.random.default_rng(2).standard_normal((2, 3))


def _weighted(parts, shape=(2, 3)):
    """A real number from a (real, imag) pair, each weighted so that no symmetry hides an error."""
    real, imag = parts
    rng = np.random.default_rng(3)
    return keras.ops.sum(real * rng.standard_normal(real.shape)) + keras.ops.sum(imag * rng.standard_normal(imag.shape))


def _tall(x):
    """A 4x3 matrix of full column rank made from the 2x3 ``x``."""
    return keras.ops.concatenate([x, x * x + np.eye(2, 3) * 2.0], axis=0)


def _lower(x):
    """A lower-triangular 3x3 matrix with a safe diagonal, made from ``x``."""
    square = keras.ops.concatenate([x, x[:1] * 0.5], axis=0)
    return keras.ops.tril(square) + np.eye(3) * 2.0


DIFFERENTIABLE = [
    ("fft", lambda x: _weighted(keras.ops.fft((x, x * x)))),
    ("fft2", lambda x: _weighted(keras.ops.fft2((x, keras.ops.sin(x))))),
    ("ifft2", lambda x: _weighted(keras.ops.ifft2((x * x, x)))),
    ("rfft", lambda x: _weighted(keras.ops.rfft(x))),
    ("rfft_padded", lambda x: _weighted(keras.ops.rfft(x, fft_length=5))),
    ("rfft_cropped", lambda x: _weighted(keras.ops.rfft(x, fft_length=2))),
    ("irfft", lambda x: keras.ops.irfft((x, x * x)) * np.arange(4.0)),
    ("irfft_length", lambda x: keras.ops.irfft((x, x * x), fft_length=5) * np.arange(5.0)),
    ("stft", lambda x: _weighted(keras.ops.stft(keras.ops.reshape(x, (6,)), 3, 1, 4))),
    ("stft_window", lambda x: _weighted(keras.ops.stft(x[0] * x[1], 2, 1, 2, window=x[1, :2], center=False))),
    ("istft", lambda x: keras.ops.istft((x, x * x), 4, 1, 4) * np.arange(1.0, 2.0, 1 / 3)[:3]),
    ("istft_uncentered", lambda x: keras.ops.istft((x, x * x), 3, 2, 4, window="hamming", center=False) ** 2),
    ("erfc", keras.ops.erfc),
    ("erfinv", lambda x: keras.ops.erfinv(x * 0.6)),
    ("angle", lambda x: keras.ops.angle(complex_math.complex(x, x * x + 0.5))),
    ("polar", lambda x: keras.ops.view_as_real(keras.ops.polar(x * x + 1.0, x)) * np.arange(2.0)),
    ("ldexp", lambda x: keras.ops.ldexp(x, np.array([1, -2, 3]))),
    ("nancumprod", lambda x: keras.ops.nancumprod(keras.ops.where(x > 1.0, float("nan"), x), axis=1)),
    ("cdist", lambda x: keras.ops.cdist(x, x[::-1] * 2.0 + 1.0)),
    ("lstsq", lambda x: keras.ops.lstsq(_tall(x), keras.ops.transpose(keras.ops.concatenate([x, x * x], 1))[:4])),
    ("lstsq_vector", lambda x: keras.ops.lstsq(keras.ops.transpose(_tall(x)), x[0])),
    ("pinv", lambda x: keras.ops.pinv(_tall(x)) * np.arange(12.0).reshape(3, 4)),
    ("solve_triangular", lambda x: keras.ops.solve_triangular(_lower(x), keras.ops.transpose(x), lower=True)),
    ("solve_triangular_upper", lambda x: keras.ops.solve_triangular(keras.ops.transpose(_lower(x)), x[1])),
    ("logdet", lambda x: keras.ops.logdet(keras.ops.matmul(_lower(x), keras.ops.transpose(_lower(x))))),
    ("cholesky_inverse", lambda x: keras.ops.cholesky_inverse(_lower(x)) * np.arange(9.0).reshape(3, 3)),
    ("cholesky_inverse_upper", lambda x: keras.ops.cholesky_inverse(keras.ops.transpose(_lower(x)), upper=True)),
    (
        "adaptive_average_pool",
        lambda x: keras.ops.adaptive_average_pool(keras.ops.reshape(x, (1, 2, 3, 1)), (1, 2)) * np.array([1.0, 2.0]),
    ),
    (
        "adaptive_max_pool",
        lambda x: keras.ops.adaptive_max_pool(keras.ops.reshape(x, (1, 3, 2)), 2, data_format="channels_first"),
    ),
    ("unfold", lambda x: keras.ops.unfold(keras.ops.reshape(x, (1, 1, 2, 3)), 2) * np.arange(8.0).reshape(1, 4, 2)),
    (
        "unfold_padded_strided",
        lambda x: keras.ops.unfold(keras.ops.reshape(x, (1, 1, 2, 3)), (2, 2), padding=1, stride=2) ** 2,
    ),
    ("fold", lambda x: keras.ops.fold(keras.ops.reshape(x, (1, 2, 3)), (2, 3), (2, 1)) * np.arange(6.0).reshape(2, 3)),
    (
        "fold_dilated_padded",
        lambda x: keras.ops.fold(keras.ops.reshape(x, (1, 2, 3)), (1, 3), (1, 2), dilation=(1, 2), padding=(0, 1)) ** 2,
    ),
    (
        "conv_transpose_2d",
        lambda x: keras.ops.conv_transpose(
            keras.ops.reshape(x, (1, 2, 3, 1)), keras.ops.reshape(x[0], (1, 3, 1, 1)), 2, "same"
        ),
    ),
    (
        "conv_transpose_1d",
        lambda x: keras.ops.conv_transpose(keras.ops.reshape(x, (1, 3, 2)), keras.ops.reshape(x, (3, 1, 2)), 2) ** 2,
    ),
    (
        "conv_transpose_3d",
        lambda x: (
            keras.ops.conv_transpose(
                keras.ops.reshape(x, (1, 1, 2, 3, 1)), keras.ops.reshape(x[1], (1, 1, 3, 1, 1)), (1, 2, 1), "valid"
            )
            ** 2
        ),
    ),
    ("rearrange", lambda x: keras.ops.rearrange(x, "a (b c) -> c (a b)", c=3) * np.arange(6.0).reshape(3, 2)),
    ("associative_scan", lambda x: keras.ops.associative_scan(keras.ops.multiply, x, axis=1) * np.arange(3.0)),
    (
        "associative_scan_reverse",
        lambda x: keras.ops.associative_scan(lambda a, b: a * 0.5 + b, keras.ops.reshape(x, (6,)), reverse=True) ** 2,
    ),
    ("vectorize", lambda x: keras.ops.vectorize(lambda row: keras.ops.sum(row * row), signature="(n)->()")(x)),
    ("jvp", lambda x: keras.ops.jvp(lambda a: keras.ops.sin(a) * a, (x,), (x * x,))[1]),
]


@pytest.mark.parametrize("name, function", DIFFERENTIABLE, ids=[d[0] for d in DIFFERENTIABLE])
def test_gradients(name, function):
    x = np.array([[0.3, -0.7, 1.1], [0.9, 0.2, -0.4]])
    assert check_gradients(function, [x]) < 1e-5


def test_view_as_complex_gradient():
    # Keras 3 always makes complex64, so the check runs at float32's precision.
    x = np.array([[0.3, -0.7], [1.1, 0.9]])
    check_gradients(lambda x: keras.ops.angle(keras.ops.view_as_complex(x)), [x], eps=1e-2, atol=1e-3, rtol=1e-2)


# --- behaviour a user relies on ---------------------------------------------------------------------------------
def test_vectorize_matches_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal(3)
    elementwise = keras.ops.vectorize(lambda u, v: u * 2 + v if u > v else u - v)
    expected = np.vectorize(lambda u, v: u * 2 + v if u > v else u - v)(a, b)
    np.testing.assert_allclose(elementwise(a, b).numpy(), expected, rtol=1e-5, atol=1e-6)
    cross = keras.ops.vectorize(lambda u, v: keras.ops.outer(u, v), signature="(n),(m)->(n,m)")
    assert cross(rng.standard_normal((5, 2)), rng.standard_normal(3)).shape == (5, 2, 3)
    scaled = keras.ops.vectorize(lambda u, factor: u * factor, excluded={1})
    np.testing.assert_allclose(scaled(a, 3.0).numpy(), a * 3.0)
    pair = keras.ops.vectorize(lambda u: (u, u * u))(b)
    assert isinstance(pair, tuple) and np.allclose(pair[1].numpy(), b * b)


def test_associative_scan_takes_nested_structures():
    elems = {"count": np.ones(6), "value": np.arange(6.0)}
    result = keras.ops.associative_scan(lambda a, b: {k: a[k] + b[k] for k in a}, elems)
    assert result["count"].numpy().tolist() == [1, 2, 3, 4, 5, 6]
    assert result["value"].numpy().tolist() == [0, 1, 3, 6, 10, 15]


def test_jvp_matches_central_differences_and_keeps_structures():
    rng = np.random.default_rng(4)
    a, b, ta, tb = (keras.ops.convert_to_tensor(rng.standard_normal(s), "float64") for s in ((3, 2), 2, (3, 2), 2))

    def fun(a, b):
        return {"y": keras.ops.tanh(keras.ops.matmul(a, b)), "z": [keras.ops.sum(a * a)]}

    out, tangent = keras.ops.jvp(fun, (a, b), (ta, tb))
    step = 1e-6
    plus, minus = fun(a + step * ta, b + step * tb), fun(a - step * ta, b - step * tb)
    numeric_y = (plus["y"].numpy() - minus["y"].numpy()) / (2 * step)
    np.testing.assert_allclose(tangent["y"].numpy(), numeric_y, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(tangent["z"][0].numpy(), 2 * np.sum(a.numpy() * ta.numpy()), rtol=1e-8)
    np.testing.assert_allclose(out["y"].numpy(), np.tanh(a.numpy() @ b.numpy()))
    value, tangent, aux = keras.ops.jvp(lambda x: (x * 3.0, "aux"), (a,), (ta,), has_aux=True)
    assert aux == "aux" and np.allclose(tangent.numpy(), 3 * ta.numpy())
    _, constant = keras.ops.jvp(lambda x: keras.ops.ones((2,), "float64") + 0 * keras.ops.sum(x), (a,), (ta,))
    assert constant.numpy().tolist() == [0.0, 0.0]


def test_stft_and_istft_reconstruct_the_signal():
    x = np.random.default_rng(5).standard_normal((2, 64)).astype("float32")
    spectrum = keras.ops.stft(x, 16, 4, 16)
    np.testing.assert_allclose(keras.ops.istft(spectrum, 16, 4, 16, length=64).numpy(), x, atol=1e-5)


def test_unfold_and_fold_are_transposes():
    rng = np.random.default_rng(6)
    image = keras.ops.convert_to_tensor(rng.standard_normal((2, 3, 5, 6)), "float64")
    columns = keras.ops.convert_to_tensor(rng.standard_normal((2, 3 * 2 * 3, 3 * 4)), "float64")
    arguments = {"kernel_size": (2, 3), "dilation": (1, 2), "padding": 1, "stride": (2, 1)}
    unfolded = keras.ops.unfold(image, **arguments).numpy()
    folded = keras.ops.fold(columns, (5, 6), **arguments).numpy()
    assert unfolded.shape == columns.shape
    np.testing.assert_allclose(np.sum(unfolded * columns.numpy()), np.sum(image.numpy() * folded))


def test_lu_factor_rebuilds_the_matrix():
    a = np.random.default_rng(7).standard_normal((3, 4, 4))
    lu, pivots = (t.numpy() for t in keras.ops.lu_factor(keras.ops.convert_to_tensor(a, "float64")))
    assert pivots.dtype == np.int32
    for matrix, factors, swaps in zip(a, lu, pivots):
        rows = np.arange(4)
        for i, j in enumerate(swaps):
            rows[[i, j]] = rows[[j, i]]
        lower, upper = np.tril(factors, -1) + np.eye(4), np.triu(factors)
        np.testing.assert_allclose(lower @ upper, matrix[rows], atol=1e-12)


def test_erfinv_inverts_erf_in_float64():
    x = np.concatenate([np.linspace(-0.999999, 0.999999, 101), [1e-12, -1e-300]])
    y = keras.ops.erfinv(keras.ops.convert_to_tensor(x, "float64"))
    assert y.dtype == np.float64
    np.testing.assert_allclose(keras.ops.erf(y).numpy(), x, rtol=1e-13, atol=1e-300)
    assert np.isnan(keras.ops.erfinv(np.array([1.5, -1.01])).numpy()).all()


def test_new_ops_record_in_a_functional_model():
    inputs = keras.Input((2, 4, 4))
    outputs = keras.ops.unfold(inputs, 2, stride=2)
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(8).standard_normal((3, 2, 4, 4)).astype("float32")
    np.testing.assert_allclose(model(x).numpy(), keras.ops.unfold(x, 2, stride=2).numpy())


# --- bad input --------------------------------------------------------------------------------------------------
ONES = np.ones((2, 3), "float32")


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: keras.ops.fft(ONES), ValueError, "tuple \\(real, imag\\)"),
        (lambda: keras.ops.fft((ONES, np.ones((3, 2), "float32"))), ValueError, "one shape"),
        (lambda: keras.ops.fft((np.ones(3, "int32"), np.ones(3, "int32"))), ValueError, "float tensors"),
        (lambda: keras.ops.fft2((np.ones(3, "float32"),) * 2), ValueError, "rank >= 2"),
        (lambda: keras.ops.rfft(ONES, fft_length=0), ValueError, "fft_length"),
        (lambda: keras.ops.rfft(np.float32(1.0)), ValueError, "rank >= 1"),
        (lambda: keras.ops.stft(np.ones(16, "int32"), 4, 2, 4), TypeError, "float32 or float64"),
        (lambda: keras.ops.stft(np.ones(16, "float32"), 8, 2, 4), ValueError, "at least sequence_length"),
        (lambda: keras.ops.stft(np.ones(16, "float32"), 4, 0, 4), ValueError, "sequence_stride"),
        (lambda: keras.ops.stft(np.ones(16, "float32"), 4, 2, 4, window="kaiser"), ValueError, "'hann' or 'hamming'"),
        (lambda: keras.ops.stft(np.ones(16, "float32"), 4, 2, 4, window=np.ones(3)), ValueError, "window"),
        (lambda: keras.ops.stft(np.ones(3, "float32"), 4, 2, 4, center=False), ValueError, "fewer than"),
        (lambda: keras.ops.istft((np.ones(3, "float32"),) * 2, 4, 2, 4), ValueError, "rank >= 2"),
        (lambda: keras.ops.ldexp(ONES, ONES), TypeError, "integer"),
        (lambda: keras.ops.view_as_complex(ONES), ValueError, "size 2"),
        (lambda: keras.ops.cdist(np.ones(3), np.ones((2, 3))), ValueError, "rank >= 2"),
        (lambda: keras.ops.cdist(ONES, np.ones((2, 4))), ValueError, "last axes"),
        (lambda: keras.ops.cdist(np.ones((2, 2, 3)), np.ones((3, 2, 3))), ValueError, "broadcast"),
        (lambda: keras.ops.lstsq(ONES, np.ones(3)), ValueError, "b must have shape"),
        (lambda: keras.ops.lstsq(np.ones(3), np.ones(3)), ValueError, "rank 2"),
        (lambda: keras.ops.pinv(np.ones(3)), ValueError, "rank >= 2"),
        (lambda: keras.ops.matrix_rank(np.ones(3)), ValueError, "rank >= 2"),
        (lambda: keras.ops.solve_triangular(ONES, np.ones(2)), ValueError, "square"),
        (lambda: keras.ops.solve_triangular(np.eye(2), np.ones(3)), ValueError, "does not match"),
        (lambda: keras.ops.logdet(ONES), ValueError, "square"),
        (lambda: keras.ops.cholesky_inverse(ONES), ValueError, "square"),
        (lambda: keras.ops.lu_factor(np.ones(3)), ValueError, "rank >= 2"),
        (lambda: keras.ops.adaptive_average_pool(ONES, 2), ValueError, "rank 3, 4 or 5"),
        (lambda: keras.ops.adaptive_max_pool(np.ones((1, 4, 4, 1)), (2, 2, 2)), ValueError, "output_size"),
        (lambda: keras.ops.adaptive_max_pool(np.ones((1, 4, 1)), 0), ValueError, "output_size"),
        (
            lambda: keras.ops.adaptive_average_pool(np.ones((1, 4, 1)), 2, data_format="nchw"),
            ValueError,
            "data_format",
        ),
        (lambda: keras.ops.unfold(ONES, 2), ValueError, "4-D"),
        (lambda: keras.ops.unfold(np.ones((1, 1, 2, 2)), 3), ValueError, "does not fit"),
        (lambda: keras.ops.unfold(np.ones((1, 1, 4, 4)), 2, stride=0), ValueError, "stride"),
        (lambda: keras.ops.fold(ONES, 2, 2), ValueError, "3-D"),
        (lambda: keras.ops.fold(np.ones((1, 5, 4)), 3, 2), ValueError, "multiple"),
        (lambda: keras.ops.fold(np.ones((1, 4, 3)), 3, 2), ValueError, "blocks"),
        (lambda: keras.ops.conv_transpose(ONES, np.ones((1, 1))), ValueError, "rank 3, 4 or 5"),
        (lambda: keras.ops.conv_transpose(np.ones((1, 4, 2)), np.ones((3, 2, 3))), ValueError, "channels"),
        (lambda: keras.ops.conv_transpose(np.ones((1, 4, 2)), np.ones((3, 2))), ValueError, "kernel"),
        (
            lambda: keras.ops.conv_transpose(np.ones((1, 4, 2)), np.ones((3, 1, 2)), padding="full"),
            ValueError,
            "padding",
        ),
        (
            lambda: keras.ops.conv_transpose(np.ones((1, 4, 2)), np.ones((3, 1, 2)), 2, output_padding=2),
            ValueError,
            "output_padding",
        ),
        (lambda: keras.ops.rearrange(ONES, "a b"), ValueError, "->"),
        (lambda: keras.ops.rearrange(ONES, "a b -> a c"), ValueError, "same axes"),
        (lambda: keras.ops.rearrange(ONES, "a b c -> a b c"), ValueError, "input axes"),
        (lambda: keras.ops.rearrange(ONES, "a (b c) -> a b c", b=2), ValueError, "cannot be split"),
        (lambda: keras.ops.rearrange(ONES, "a (b c) -> a b c"), ValueError, "all but one"),
        (lambda: keras.ops.rearrange(ONES, "a b -> (a b", c=2), ValueError, "parentheses"),
        (lambda: keras.ops.rearrange(ONES, "a b -> b a", c=2), ValueError, "not in the pattern"),
        (lambda: keras.ops.vectorize(3), TypeError, "callable"),
        (lambda: keras.ops.vectorize(abs, signature="n->m"), ValueError, "signature"),
        (lambda: keras.ops.vectorize(abs, signature="(n),(n)->()")(ONES), ValueError, "2 inputs"),
        (lambda: keras.ops.associative_scan(keras.ops.add, [np.ones(3), np.ones(4)]), ValueError, "one length"),
        (lambda: keras.ops.associative_scan(keras.ops.add, np.ones(3), axis=2), ValueError, "out of range"),
        (lambda: keras.ops.jvp(keras.ops.sin, np.ones(2), np.ones(2)), TypeError, "tuples or lists"),
        (lambda: keras.ops.jvp(keras.ops.sin, (np.ones(2),), (np.ones(3),)), ValueError, "shape"),
        (lambda: keras.ops.jvp(keras.ops.sin, (np.ones(2),), (np.ones(2),), has_aux=True), ValueError, "pair"),
    ],
)
def test_bad_input_is_rejected(call, error, message):
    with pytest.raises(error, match=message):
        call()
