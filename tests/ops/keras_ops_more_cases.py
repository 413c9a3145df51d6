"""More calls on which learnet's ``keras.ops`` is compared with real Keras 3: the Fourier
transforms, complex numbers, special functions, linear algebra, adaptive pooling, patches,
transposed convolutions, ``rearrange`` and the functions that take functions.

``make_keras_ops_more_fixture.py`` runs each call with Keras 3 (JAX backend) and stores the
results in ``fixtures/keras_ops_more_reference.npz``; ``test_keras_ops_more.py`` runs the same
calls with learnet and compares values, shapes and dtypes. An ``Op("name")`` among the arguments
stands for ``keras.ops.name`` of the library that runs the call.
"""

import numpy as np


class Op(str):
    """A function of ``keras.ops`` by name, passed as an argument (``associative_scan``'s ``f``)."""


def resolve(value, ops):
    """``value`` with every ``Op`` replaced by the function of ``ops`` it names (in tuples and lists too)."""
    if isinstance(value, Op):
        return getattr(ops, str(value))
    if isinstance(value, tuple):
        return tuple(resolve(v, ops) for v in value)
    if isinstance(value, list):
        return [resolve(v, ops) for v in value]
    return value


RNG = np.random.default_rng(11)
X = RNG.standard_normal((2, 3, 8)).astype("float32")
Y = RNG.standard_normal((2, 3, 8)).astype("float32")
SIGNAL = RNG.standard_normal((3, 16)).astype("float32")
SPECTRUM = tuple(RNG.standard_normal((2, 5, 5)).astype("float32") for _ in range(2))
IMAGES = RNG.standard_normal((2, 7, 5, 3)).astype("float32")
SEQUENCES = RNG.standard_normal((2, 7, 3)).astype("float32")
VOLUMES = RNG.standard_normal((1, 5, 4, 6, 2)).astype("float32")
SQUARE = (RNG.standard_normal((3, 3)) + 3 * np.eye(3)).astype("float32")
LOWER = np.tril(SQUARE)
TALL = RNG.standard_normal((5, 3)).astype("float32")
RHS = RNG.standard_normal((5, 2)).astype("float32")
MATRICES = (RNG.standard_normal((5, 2, 2)) * 0.5 + np.eye(2)).astype("float32")
WITH_NANS = np.array([[1.5, np.nan, 2.0], [3.0, -0.5, np.nan]], dtype="float32")

# (case id, function name in keras.ops, positional args, keyword args)
CASES = [
    ("fft", "fft", ((X, Y),), {}),
    ("fft2", "fft2", ((X, Y),), {}),
    ("ifft2", "ifft2", ((X, Y),), {}),
    ("rfft", "rfft", (X,), {}),
    ("rfft_cropped", "rfft", (X,), {"fft_length": 6}),
    ("rfft_padded", "rfft", (X,), {"fft_length": 11}),
    ("irfft", "irfft", ((X, Y),), {}),
    ("irfft_length", "irfft", ((X, Y),), {"fft_length": 9}),
    ("stft", "stft", (SIGNAL, 6, 3, 8), {}),
    ("stft_hamming_uncentered", "stft", (SIGNAL, 5, 2, 8), {"window": "hamming", "center": False}),
    ("stft_no_window", "stft", (SIGNAL, 4, 3, 4), {"window": None}),
    ("stft_window_tensor", "stft", (SIGNAL, 5, 2, 8), {"window": np.linspace(0.2, 1.0, 5).astype("float32")}),
    ("istft", "istft", (SPECTRUM, 6, 3, 8), {}),
    ("istft_hamming_uncentered", "istft", (SPECTRUM, 5, 2, 8), {"window": "hamming", "center": False}),
    ("istft_no_window", "istft", (SPECTRUM, 8, 4, 8), {"window": None}),
    ("istft_length", "istft", (SPECTRUM, 8, 4, 8), {"length": 10}),
    ("erfc", "erfc", (np.array([-3.0, -1.0, 0.0, 0.5, 2.0, 6.0], "float32"),), {}),
    ("erfinv", "erfinv", (np.array([-0.999, -0.5, 0.0, 0.3, 0.9, 0.99999, 1.0, -1.0], "float32"),), {}),
    ("angle_real", "angle", (np.array([-1.0, 2.0, 0.0], "float32"),), {}),
    ("angle_complex", "angle", (np.array([1 + 1j, -1 - 2j, -3 + 0.5j], "complex64"),), {}),
    ("ldexp", "ldexp", (np.array([1.5, 3.0, -0.25], "float32"), np.array([2, -1, 5], "int32")), {}),
    ("nancumprod", "nancumprod", (WITH_NANS,), {"axis": 1}),
    ("nancumprod_flat", "nancumprod", (WITH_NANS,), {}),
    ("nextafter", "nextafter", (np.array([1.0, -2.0, 0.0], "float32"), np.array([2.0, -3.0, 1.0], "float32")), {}),
    ("cdist", "cdist", (TALL, RHS[:, :1].repeat(3, 1)), {}),
    ("cdist_batched", "cdist", (X, Y[:, :2]), {}),
    ("polar", "polar", (np.abs(TALL), TALL), {}),
    ("view_as_complex", "view_as_complex", (np.stack([TALL, 2 * TALL], -1),), {}),
    ("view_as_real", "view_as_real", (np.array([1 + 2j, 3 - 4j], "complex64"),), {}),
    ("view_as_real_of_real", "view_as_real", (TALL,), {}),
    ("saturate_cast_uint8", "saturate_cast", (np.array([-1.0, 127.5, 300.0, np.inf], "float32"), "uint8"), {}),
    ("saturate_cast_int32", "saturate_cast", (np.array([-1e10, 5e9, 7.0], "float32"), "int32"), {}),
    ("saturate_cast_int16", "saturate_cast", (np.array([-70000, 5, 40000], "int32"), "int16"), {}),
    ("lstsq", "lstsq", (TALL, RHS), {}),
    ("lstsq_vector", "lstsq", (TALL, RHS[:, 0]), {}),
    ("lstsq_wide", "lstsq", (TALL.T, RHS[:3]), {}),
    ("pinv", "pinv", (TALL,), {}),
    ("matrix_rank", "matrix_rank", (np.array([[1.0, 2.0], [2.0, 4.0]], "float32"),), {}),
    ("matrix_rank_tol", "matrix_rank", (TALL,), {"tol": 0.5}),
    ("solve_triangular_lower", "solve_triangular", (LOWER, RHS[:3]), {"lower": True}),
    ("solve_triangular_vector", "solve_triangular", (SQUARE, RHS[:3, 0]), {}),
    ("logdet", "logdet", (SQUARE @ SQUARE.T,), {}),
    ("cholesky_inverse", "cholesky_inverse", (LOWER,), {}),
    ("cholesky_inverse_upper", "cholesky_inverse", (LOWER.T,), {"upper": True}),
    ("lu_factor", "lu_factor", (SQUARE,), {}),
    ("lu_factor_batched", "lu_factor", (RNG.standard_normal((2, 4, 4)).astype("float32"),), {}),
    ("adaptive_average_pool_2d", "adaptive_average_pool", (IMAGES, (3, 2)), {}),
    ("adaptive_max_pool_2d", "adaptive_max_pool", (IMAGES, (3, 4)), {}),
    ("adaptive_average_pool_1d", "adaptive_average_pool", (SEQUENCES, 3), {}),
    ("adaptive_max_pool_1d_upsampling", "adaptive_max_pool", (SEQUENCES, 9), {}),
    ("adaptive_average_pool_3d", "adaptive_average_pool", (VOLUMES, (2, 3, 4)), {}),
    ("adaptive_max_pool_3d", "adaptive_max_pool", (VOLUMES, (3, 3, 4)), {}),
    (
        "adaptive_average_pool_channels_first",
        "adaptive_average_pool",
        (IMAGES, (3, 2)),
        {"data_format": "channels_first"},
    ),
    ("unfold", "unfold", (IMAGES, 2), {}),
    ("unfold_options", "unfold", (IMAGES, (2, 3)), {"dilation": (2, 1), "padding": 1, "stride": (2, 1)}),
    (
        "fold",
        "fold",
        (RNG.standard_normal((2, 12, 12)).astype("float32"), (4, 5), 2),
        {"stride": (2, 1), "padding": (0, 1)},
    ),
    ("fold_overlapping", "fold", (RNG.standard_normal((1, 8, 9)).astype("float32"), 4, 2), {}),
    (
        "conv_transpose_2d_same",
        "conv_transpose",
        (IMAGES, RNG.standard_normal((3, 3, 4, 3)).astype("float32"), 2, "same"),
        {},
    ),
    (
        "conv_transpose_2d_valid",
        "conv_transpose",
        (IMAGES, RNG.standard_normal((3, 2, 4, 3)).astype("float32"), 2, "valid"),
        {},
    ),
    (
        "conv_transpose_2d_output_padding",
        "conv_transpose",
        (IMAGES, RNG.standard_normal((3, 3, 4, 3)).astype("float32"), (2, 3), "same"),
        {"output_padding": (1, 2)},
    ),
    (
        "conv_transpose_2d_dilated",
        "conv_transpose",
        (IMAGES, RNG.standard_normal((2, 2, 4, 3)).astype("float32"), 1, "valid"),
        {"dilation_rate": 2},
    ),
    (
        "conv_transpose_1d_same",
        "conv_transpose",
        (SEQUENCES, RNG.standard_normal((3, 4, 3)).astype("float32"), 2, "same"),
        {},
    ),
    (
        "conv_transpose_1d_output_padding",
        "conv_transpose",
        (SEQUENCES, RNG.standard_normal((4, 4, 3)).astype("float32"), 3, "valid"),
        {"output_padding": 1},
    ),
    (
        "conv_transpose_3d_same",
        "conv_transpose",
        (VOLUMES, RNG.standard_normal((2, 3, 2, 3, 2)).astype("float32"), 2, "same"),
        {},
    ),
    (
        "conv_transpose_3d_channels_first",
        "conv_transpose",
        (VOLUMES, RNG.standard_normal((2, 3, 2, 3, 5)).astype("float32"), 1, "valid"),
        {"data_format": "channels_first"},
    ),
    ("rearrange_merge", "rearrange", (IMAGES, "b h w c -> b c (h w)"), {}),
    (
        "rearrange_split",
        "rearrange",
        (RNG.standard_normal((2, 6, 4, 3)).astype("float32"), "b (h1 h) (w w1) c -> (b h1) h w (c w1)"),
        {"h1": 2, "w1": 2},
    ),
    ("associative_scan_add", "associative_scan", (Op("add"), np.arange(1.0, 8.0, dtype="float32")), {}),
    ("associative_scan_reverse_axis", "associative_scan", (Op("add"), X), {"reverse": True, "axis": 2}),
    # A product of matrices is associative but not commutative: the order of f's arguments shows.
    ("associative_scan_matmul", "associative_scan", (Op("matmul"), MATRICES), {}),
    ("associative_scan_matmul_reverse", "associative_scan", (Op("matmul"), MATRICES), {"reverse": True}),
    ("jvp_sin", "jvp", (Op("sin"), (np.float32(0.1),), (np.float32(0.2),)), {}),
    ("jvp_matmul", "jvp", (Op("matmul"), (TALL, TALL.T[:, :2]), (np.ones_like(TALL), 0.5 * RHS[:3])), {}),
    ("jvp_cdist", "jvp", (Op("cdist"), (TALL, RHS[:, :1].repeat(3, 1)), (TALL * 0.3, TALL[::-1])), {}),
]
