"""``keras.ops``: learnet against real Keras 3 (values, shapes, dtypes), gradients, errors."""

import sys
from pathlib import Path

import warnings

import numpy as np
import pytest

import learnet as keras
from learnet.testing import check_gradients

sys.path.insert(0, str(Path(__file__).resolve().parent))
from keras_ops_cases import CASES  # noqa: E402

REFERENCE = np.load(Path(__file__).resolve().parent / "fixtures" / "keras_ops_reference.npz")


def _flatten(result):
    if isinstance(result, (tuple, list)):
        return [np.asarray(r) for r in result]
    return [np.asarray(result)]


@pytest.mark.parametrize("case_id, name, args, kwargs", CASES, ids=[c[0] for c in CASES])
def test_matches_keras_3(case_id, name, args, kwargs):
    got = _flatten(getattr(keras.ops, name)(*args, **kwargs))
    expected = [
        REFERENCE[key]
        for key in sorted(
            (k for k in REFERENCE.files if k.split("/")[0] == case_id), key=lambda k: int(k.split("/")[1])
        )
    ]
    assert len(got) == len(expected)
    for value, reference in zip(got, expected):
        assert value.shape == reference.shape
        if reference.dtype.kind == "b":
            assert value.dtype.kind == "b" and (value == reference).all()
        elif reference.dtype.kind in "iu" and name not in ("shape", "ndim", "size", "bincount"):
            assert value.dtype.kind in "iu"
            np.testing.assert_array_equal(value, reference)
        else:
            np.testing.assert_allclose(value.astype("float64"), reference.astype("float64"), rtol=2e-5, atol=2e-6)


def test_the_namespace_is_whole():
    names = {c[1] for c in CASES}
    assert len(names) >= 150
    for sub in ("numpy", "nn", "math", "linalg", "core"):
        assert getattr(keras.ops, sub).sum is keras.ops.sum
    # keras.ops.image is a module of its own, as in Keras 3; the two functions learnet had are in both.
    assert keras.ops.image.resize is keras.ops.resize and not hasattr(keras.ops.image, "sum")


def test_keras_ops_and_tf_keep_their_own_meanings():
    x = keras.ops.arange(6)
    assert [t.shape[0] for t in keras.ops.split(x, [1, 4])] == [1, 3, 2]  # NumPy: at indices
    assert [t.shape[0] for t in keras.split(x, [1, 5])] == [1, 5]  # tf.split: sizes
    assert keras.ops.shape(x) == (6,) and keras.shape(x).numpy().tolist() == [6]


DIFFERENTIABLE = [
    ("sum", lambda x: keras.ops.sum(x, axis=0)),
    ("mean", keras.ops.mean),
    ("max", lambda x: keras.ops.max(x, axis=1)),
    ("var", keras.ops.var),
    ("std", keras.ops.std),
    ("prod", lambda x: keras.ops.prod(x, axis=1)),
    ("cumsum", lambda x: keras.ops.multiply(keras.ops.cumsum(x, axis=1), keras.ops.arange(3.0))),
    ("cumprod", lambda x: keras.ops.cumprod(x, axis=0)),
    ("sort", lambda x: keras.ops.multiply(keras.ops.sort(x), keras.ops.arange(3.0))),
    ("logsumexp", keras.ops.logsumexp),
    ("sinh", keras.ops.sinh),
    ("cosh", keras.ops.cosh),
    ("arctan", keras.ops.arctan),
    ("arcsinh", keras.ops.arcsinh),
    ("arctanh", lambda x: keras.ops.arctanh(x / 4)),
    ("arcsin", lambda x: keras.ops.arcsin(x / 4)),
    ("arccos", lambda x: keras.ops.arccos(x / 4)),
    ("expm1", keras.ops.expm1),
    ("log2", lambda x: keras.ops.log2(x + 2)),
    ("log10", lambda x: keras.ops.log10(x + 2)),
    ("erf", keras.ops.erf),
    ("arctan2", lambda x: keras.ops.arctan2(x, x * x + 1)),
    ("logaddexp", lambda x: keras.ops.logaddexp(x, 2 * x)),
    ("einsum", lambda x: keras.ops.einsum("ij,kj->ik", x, x * x)),
    ("einsum_summed_axis", lambda x: keras.ops.einsum("ij,jk->i", x, keras.ops.transpose(x))),
    ("einsum_ellipsis_summed", lambda x: keras.ops.einsum("i...->i", x * x)),
    ("einsum_ellipsis_batch", lambda x: keras.ops.einsum("...j,...j->...", x, x + 1.0)),
    ("take_along_axis", lambda x: keras.ops.take_along_axis(x, np.array([[2, 2], [0, 1]]), axis=1)),
    ("take", lambda x: keras.ops.take(x, np.array([1, 1, -1]), axis=1)),
    ("repeat", lambda x: keras.ops.multiply(keras.ops.repeat(x, 2, axis=0), keras.ops.arange(3.0))),
    ("roll", lambda x: keras.ops.multiply(keras.ops.roll(x, 1, axis=1), keras.ops.arange(3.0))),
    ("flip", lambda x: keras.ops.multiply(keras.ops.flip(x, axis=1), keras.ops.arange(3.0))),
    ("tril", keras.ops.tril),
    ("diagonal", keras.ops.diagonal),
    ("diag", lambda x: keras.ops.diag(x[0])),
    ("trace", keras.ops.trace),
    ("diff", lambda x: keras.ops.diff(x) ** 2),
    ("cross", lambda x: keras.ops.cross(x, x * x + 1)),
    ("outer", lambda x: keras.ops.outer(x[0], x[1])),
    ("dot", lambda x: keras.ops.dot(x, keras.ops.transpose(x))),
    ("vdot", lambda x: keras.ops.vdot(x, x)),
    ("segment_sum", lambda x: keras.ops.multiply(keras.ops.segment_sum(x, [1, 0]), keras.ops.arange(3.0))),
    ("segment_max", lambda x: keras.ops.segment_max(x, [0, 0])),
    ("slice_update", lambda x: keras.ops.slice_update(x, (0, 1), x[:1, :2] * 3)),
    ("gelu", keras.ops.gelu),
    ("gelu_exact", lambda x: keras.ops.gelu(x, approximate=False)),
    ("silu", keras.ops.silu),
    ("selu", keras.ops.selu),
    ("log_sigmoid", keras.ops.log_sigmoid),
    ("normalize", keras.ops.normalize),
    ("divide_no_nan", lambda x: keras.ops.divide_no_nan(x, x + 3)),
    ("average", lambda x: keras.ops.average(x, axis=1, weights=np.array([1.0, 2.0, 3.0]))),
    ("categorical_crossentropy", lambda x: keras.ops.categorical_crossentropy(np.eye(3)[:2], x, from_logits=True)),
    ("norm", keras.ops.norm),
    ("nansum", lambda x: keras.ops.nansum(keras.ops.where(x > 1.0, float("nan"), x), axis=1)),
    ("nanmean", lambda x: keras.ops.nanmean(keras.ops.where(x > 1.0, float("nan"), x), axis=1)),
    ("nanvar", lambda x: keras.ops.nanvar(keras.ops.where(x > 1.0, float("nan"), x), axis=1)),
    ("nanstd", lambda x: keras.ops.nanstd(keras.ops.where(x > 1.0, float("nan"), x))),
    ("nanprod", lambda x: keras.ops.nanprod(keras.ops.where(x > 1.0, float("nan"), x), axis=0)),
    ("nanmax", lambda x: keras.ops.nanmax(keras.ops.where(x > 1.0, float("nan"), x), axis=1)),
    ("nanmin", lambda x: keras.ops.nanmin(keras.ops.where(x > 1.0, float("nan"), x), axis=0)),
    ("nancumsum", lambda x: keras.ops.nancumsum(keras.ops.where(x > 1.0, float("nan"), x), axis=1) ** 2),
    ("ptp", lambda x: keras.ops.ptp(x, axis=1)),
    ("select", lambda x: keras.ops.select([x > 0.5, x < 0], [x * x, 3 * x], default=1.0)),
    ("fmod", lambda x: keras.ops.fmod(x * 3, x * x + 0.7)),
    ("hypot", lambda x: keras.ops.hypot(x, x * x + 1)),
    ("cbrt", lambda x: keras.ops.cbrt(x + 2)),
    ("exp2", keras.ops.exp2),
    ("deg2rad", keras.ops.deg2rad),
    ("sinc", keras.ops.sinc),
    ("fabs", keras.ops.fabs),
    ("logaddexp2", lambda x: keras.ops.logaddexp2(x, 2 * x)),
    ("fmax", lambda x: keras.ops.fmax(x, x * x)),
    ("fmin", lambda x: keras.ops.fmin(x, 0.1)),
    ("kron", lambda x: keras.ops.kron(x, x * x)),
    ("rot90", lambda x: keras.ops.multiply(keras.ops.rot90(x), keras.ops.arange(2.0))),
    ("fliplr", lambda x: keras.ops.multiply(keras.ops.fliplr(x), keras.ops.arange(3.0))),
    ("flipud", lambda x: keras.ops.multiply(keras.ops.flipud(x), keras.ops.arange(3.0))),
    ("dstack", lambda x: keras.ops.dstack([x, x * x])),
    ("array_split", lambda x: keras.ops.array_split(x, 2, axis=1)[0] ** 2),
    ("hsplit", lambda x: keras.ops.hsplit(x, 3)[1] * 2),
    ("diagflat", lambda x: keras.ops.diagflat(x[0])),
    ("trapezoid", lambda x: keras.ops.trapezoid(x * x, x=np.array([0.0, 1.0, 3.0]))),
    ("corrcoef", lambda x: keras.ops.corrcoef(x + np.arange(3.0) * 0.1)),
    ("celu", lambda x: keras.ops.celu(x, alpha=0.5)),
    ("glu", lambda x: keras.ops.glu(keras.ops.concatenate([x, x * x], axis=1))),
    ("hard_tanh", lambda x: keras.ops.hard_tanh(x * 1.3)),
    ("hard_shrink", keras.ops.hard_shrink),
    ("soft_shrink", keras.ops.soft_shrink),
    ("tanh_shrink", keras.ops.tanh_shrink),
    ("squareplus", keras.ops.squareplus),
    ("sparse_plus", keras.ops.sparse_plus),
    ("sparse_sigmoid", keras.ops.sparse_sigmoid),
    ("sparsemax", lambda x: keras.ops.multiply(keras.ops.sparsemax(x), keras.ops.arange(1.0, 4.0))),
    ("threshold", lambda x: keras.ops.threshold(x, 0.25, -1.0)),
    ("layer_normalization", lambda x: keras.ops.layer_normalization(x, np.array([1.0, 2.0, 3.0]), 0.5)),
    ("layer_normalization_axes", lambda x: keras.ops.layer_normalization(x, axis=(0, 1)) * x),
    ("rms_normalization", lambda x: keras.ops.rms_normalization(x, np.array([1.0, 2.0, 3.0]))),
    ("depth_to_space", lambda x: keras.ops.depth_to_space(keras.ops.reshape(keras.ops.tile(x, 2), (1, 1, 3, 4)), 2)),
    ("space_to_depth", lambda x: keras.ops.space_to_depth(keras.ops.reshape(x, (1, 2, 3, 1))[:, :, :2], 2)),
    ("psnr", lambda x: keras.ops.psnr(x, x * 0.5 + 0.1, 2.0)),
    ("quantile", lambda x: keras.ops.quantile(x, [0.3, 0.5], axis=1)),
    ("quantile_midpoint", lambda x: keras.ops.quantile(x, 0.7, axis=0, method="midpoint")),
    ("median", keras.ops.median),
    ("percentile", lambda x: keras.ops.percentile(x, [20.0, 90.0], keepdims=True)),
    ("nanquantile", lambda x: keras.ops.nanquantile(keras.ops.where(x > 1.0, float("nan"), x), [0.2, 0.7], axis=0)),
    ("nanmedian", lambda x: keras.ops.nanmedian(keras.ops.where(x > 1.0, float("nan"), x), axis=1)),
]


def _attention(x):
    """Query, key and value, all from the 2x3 ``x``: (batch 1, length 2, heads 2, head size 3)."""
    query = keras.ops.reshape(keras.ops.concatenate([x, x * x]), (1, 2, 2, 3))
    key = keras.ops.reshape(keras.ops.concatenate([x * 2, -x]), (1, 2, 2, 3))
    return query, key, keras.ops.tanh(key)


DIFFERENTIABLE += [
    ("dot_product_attention", lambda x: keras.ops.dot_product_attention(*_attention(x))),
    ("dot_product_attention_causal", lambda x: keras.ops.dot_product_attention(*_attention(x), is_causal=True)),
    (
        "dot_product_attention_bias_mask",
        lambda x: keras.ops.dot_product_attention(
            *_attention(x), bias=x[:, :2], mask=np.array([[True, False], [True, True]])
        ),
    ),
]


@pytest.mark.parametrize("name, function", DIFFERENTIABLE, ids=[d[0] for d in DIFFERENTIABLE])
def test_gradients(name, function):
    x = np.array([[0.3, -0.7, 1.1], [0.9, 0.2, -0.4]])
    assert check_gradients(function, [x]) < 1e-5


def test_control_flow_helpers():
    assert keras.ops.cond(True, lambda: 1, lambda: 2) == 1
    i, total = keras.ops.while_loop(lambda i, t: i < 4, lambda i, t: (i + 1, t + i), (0, 0))
    assert (i, total) == (4, 6)
    assert keras.ops.while_loop(lambda i: i < 10, lambda i: i * 2, 1) == 16
    assert keras.ops.while_loop(lambda i: i < 10, lambda i: i + 1, 0, maximum_iterations=3) == 3
    assert keras.ops.fori_loop(0, 4, lambda i, v: v + i, 10) == 16
    carry, ys = keras.ops.scan(lambda c, x: (c + x, c * x), 0.0, keras.ops.arange(1.0, 4.0))
    assert float(carry) == 6.0 and ys.numpy().tolist() == [0.0, 2.0, 9.0]
    squares = keras.ops.map(lambda x: x * x, keras.ops.arange(3))
    assert squares.numpy().tolist() == [0, 1, 4]
    assert keras.ops.switch(5, [lambda x: x, lambda x: -x], 3) == -3


def test_ops_work_inside_a_custom_layer_and_are_recorded():
    x = keras.Variable([[1.0, 2.0], [3.0, 4.0]])
    with keras.GradientTape() as tape:
        loss = keras.ops.mean(keras.ops.square(keras.ops.matmul(x, x)))
    assert np.isfinite(tape.gradient(loss, x).numpy()).all()


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: keras.ops.split(keras.ops.arange(5), 2), ValueError, "equal parts"),
        (lambda: keras.ops.conv(np.zeros((2, 2)), np.zeros((1, 1))), ValueError, "rank"),
        (lambda: keras.ops.matmul(np.ones((2, 3)), np.ones((2, 3))), ValueError, "matmul"),
        (lambda: keras.ops.searchsorted(np.ones((2, 3)), [1.0]), ValueError, "1-D sorted_sequence"),
        (lambda: keras.ops.searchsorted([1.0, 2.0], [1.0], side="middle"), ValueError, "side"),
        (lambda: keras.ops.histogram(np.ones((2, 3))), ValueError, "1-D"),
        (lambda: keras.ops.select([True], [1.0, 2.0]), ValueError, "as many conditions"),
        (lambda: keras.ops.array_split(np.arange(4), [1]), TypeError, "number of sections"),
        (lambda: keras.ops.rot90(np.ones(3)), ValueError, "rot90"),
        (lambda: keras.ops.glu(np.ones((2, 3))), ValueError, "even size"),
        (lambda: keras.ops.psnr(np.ones(3), np.ones(4), 1.0), ValueError, "one shape"),
        (lambda: keras.ops.depth_to_space(np.ones((1, 2, 2, 3)), 2), ValueError, "blocks of 2x2"),
        (lambda: keras.ops.space_to_depth(np.ones((1, 3, 2, 1)), 2), ValueError, "multiples of block_size"),
        (lambda: keras.ops.space_to_depth(np.ones((1, 2, 2, 1)), 2, "nhwc"), ValueError, "data_format"),
        (lambda: keras.ops.layer_normalization(np.ones(3), mystery=True), TypeError, "unexpected"),
        (lambda: keras.ops.quantile(np.ones(3), 1.5), ValueError, r"range \[0, 1\]"),
        (lambda: keras.ops.percentile(np.ones(3), [50, 101]), ValueError, r"range \[0, 100\]"),
        (lambda: keras.ops.quantile(np.ones(3), 0.5, method="cubic"), ValueError, "method must be one of"),
        (lambda: keras.ops.quantile(np.ones((2, 0)), 0.5, axis=1), ValueError, "empty axis"),
        (
            lambda: keras.ops.dot_product_attention(
                np.ones((1, 2, 3, 4)), np.ones((1, 2, 2, 4)), np.ones((1, 2, 2, 4))
            ),
            ValueError,
            "divides",
        ),
        (
            lambda: keras.ops.dot_product_attention(np.ones((2, 3, 4)), np.ones((2, 3, 4)), np.ones((2, 3, 4))),
            ValueError,
            "rank 4",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_nan_reductions_leave_nans_out_of_the_gradient():
    x = keras.Variable([[1.0, float("nan"), 3.0], [float("nan")] * 3])
    with keras.GradientTape() as tape:
        total = keras.ops.nansum(keras.ops.nanmean(x, axis=1))  # the row of NaNs gives NaN: summed as 0
    np.testing.assert_allclose(tape.gradient(total, x).numpy(), [[0.5, 0.0, 0.5], [0.0, 0.0, 0.0]])


def test_quantiles_equal_numpy_for_every_method_axis_and_nan():
    values = np.random.default_rng(0).normal(size=(3, 4, 5))
    holes = values.copy()
    holes[0, 1, :] = np.nan
    holes[1, 2, 3] = np.nan
    for method in ("linear", "lower", "higher", "midpoint", "nearest"):
        for axis in (None, 1, -1, (0, 2)):
            for q in (0.5, [0.0, 0.25, 1.0]):
                for keepdims in (False, True):
                    kwargs = {"axis": axis, "method": method, "keepdims": keepdims}
                    np.testing.assert_allclose(
                        keras.ops.quantile(values, q, **kwargs).numpy(), np.quantile(values, q, **kwargs), atol=1e-6
                    )
                    np.testing.assert_allclose(
                        keras.ops.quantile(holes, q, **kwargs).numpy(), np.quantile(holes, q, **kwargs), atol=1e-6
                    )
                    with warnings.catch_warnings():  # NumPy warns of the row that holds only NaNs
                        warnings.simplefilter("ignore", RuntimeWarning)
                        expected = np.nanquantile(holes, q, **kwargs)
                    np.testing.assert_allclose(keras.ops.nanquantile(holes, q, **kwargs).numpy(), expected, atol=1e-6)


def test_unique_and_searchsorted_as_numpy():
    values, index, inverse, counts = keras.ops.unique(
        [[2, 1], [2, 5]], return_index=True, return_inverse=True, return_counts=True
    )
    assert values.numpy().tolist() == [1, 2, 5] and index.numpy().tolist() == [1, 0, 3]
    assert inverse.numpy().tolist() == [[1, 0], [1, 2]] and counts.numpy().tolist() == [1, 2, 1]
    assert keras.ops.unique(np.array([], "float32")).shape == (0,)
    bins = keras.ops.searchsorted([0.0, 1.0, 2.0], keras.ops.convert_to_tensor([[0.5, 2.0]]), side="right")
    assert bins.dtype == "int32" and bins.numpy().tolist() == [[1, 3]]


def test_new_activations_record_on_symbolic_tensors():
    inputs = keras.Input((4,))
    outputs = keras.ops.glu(keras.ops.celu(inputs))
    model = keras.Model(inputs, outputs)
    x = np.array([[-1.0, 0.5, 2.0, -3.0]], "float32")
    np.testing.assert_allclose(model(x).numpy(), keras.ops.glu(keras.ops.celu(x)).numpy())


def test_quantile_gradients_equal_jax():
    jnp = pytest.importorskip("jax.numpy")
    jax = pytest.importorskip("jax")
    x = np.array([[0.3, -0.7, 1.1, 0.5], [0.9, 0.2, -0.4, 2.0]], dtype="float32")
    weights = np.array([[1.0], [2.0]], dtype="float32")
    pairs = [
        (
            lambda a: jnp.sum(jnp.quantile(a, jnp.array([0.3, 0.5]), axis=1) * weights),
            lambda a: keras.ops.sum(keras.ops.quantile(a, [0.3, 0.5], axis=1) * weights),
        ),
        (jnp.median, keras.ops.median),
        (
            lambda a: jnp.sum(jnp.percentile(a, 75.0, axis=0, method="midpoint")),
            lambda a: keras.ops.sum(keras.ops.percentile(a, 75.0, axis=0, method="midpoint")),
        ),
    ]
    for reference, ours in pairs:
        variable = keras.Variable(x)
        with keras.GradientTape() as tape:
            value = ours(variable)
        np.testing.assert_allclose(value.numpy(), reference(x), rtol=1e-6)
        np.testing.assert_allclose(tape.gradient(value, variable).numpy(), jax.grad(reference)(x), rtol=1e-6)
