"""``tf.linalg``: values against NumPy, TensorFlow's conventions, and numerical gradients.

The conventions below were checked against TensorFlow 2.21 (outputs of small scripts,
written here as literals or as the NumPy computation that gives them); the tests
themselves need only NumPy:

* ``svd`` returns ``(s, u, v)`` in this order, ``s`` descending and ``v`` itself (NumPy
  gives ``V^T``); a singular vector's sign may differ between the two libraries, so
  tests compare sign-free quantities (``u diag(s) v^T``, ``u u^T``).
* ``qr``: TensorFlow's Q and R equal NumPy's
  (``numpy.linalg.qr``; the diagonal of R may be negative).
* ``lstsq`` (fast) solves the regularized normal equations: ``(A^T A + l2 I)^-1 A^T b``
  for a tall ``A``, ``A^T (A A^T + l2 I)^-1 b`` for a wide one; ``fast=False`` gives the
  minimum-norm solution and ignores ``l2_regularizer``; the batch axes broadcast.
* ``band_part``, ``diag_part``/``set_diag``/``diag`` with a range ``k`` and each ``align``:
  the literals below are TensorFlow's outputs.
* ``eigh``: eigenvalues ascending; it and ``cholesky`` read the lower triangle only, and
  their gradients are TensorFlow's (``eigh``'s folded onto the lower triangle,
  ``cholesky``'s symmetric): they were compared with TensorFlow's to 1e-5.

Where learnet differs on purpose it says so: ``cholesky`` of a matrix that is not
positive definite raises (TensorFlow 2.21 returns NaNs), and ``solve`` broadcasts batch
axes (TensorFlow's ``solve`` requires equal ones; its ``triangular_solve`` and ``lstsq``
broadcast).
"""

import numpy as np
import pytest

import learnet as tf
from learnet.testing import check_gradients, tape_gradients

RNG = np.random.default_rng(1234)


def normal(*shape):
    return RNG.normal(size=shape)


def well_conditioned(*shape):
    """Random square matrices, far from singular."""
    return normal(*shape) + 3.0 * np.eye(shape[-1])


def positive_definite(*shape):
    a = normal(*shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def symmetric(x):
    """The symmetric part: the gradient of an op that reads one triangle is checked through it."""
    return (x + tf.linalg.matrix_transpose(x)) / 2.0


def f64(x):
    return tf.constant(np.asarray(x), dtype="float64")


BATCHES = [(), (2,)]


# --- band_part and the diagonals -------------------------------------------------------------------
X45 = np.arange(1.0, 21.0).reshape(4, 5)


def test_band_part_matches_tensorflow():
    np.testing.assert_array_equal(
        tf.linalg.band_part(X45, 1, 2).numpy(),
        [[1, 2, 3, 0, 0], [6, 7, 8, 9, 0], [0, 12, 13, 14, 15], [0, 0, 18, 19, 20]],
    )
    np.testing.assert_array_equal(tf.linalg.band_part(X45, -1, 0).numpy(), np.tril(X45))
    np.testing.assert_array_equal(tf.linalg.band_part(X45, 0, -1).numpy(), np.triu(X45))
    ints = tf.linalg.band_part(tf.constant([[1, 2], [3, 4]]), 0, 0)
    assert ints.dtype == np.int32 and ints.numpy().tolist() == [[1, 0], [0, 4]]


def test_diag_part_single_and_ranges_with_every_alignment():
    assert tf.linalg.diag_part(X45, k=1).numpy().tolist() == [2, 8, 14, 20]
    assert tf.linalg.diag_part(X45, k=-2).numpy().tolist() == [11, 17]
    assert tf.linalg.diag_part(X45, k=(1, 1)).numpy().tolist() == [2, 8, 14, 20]  # one diagonal: no extra axis
    np.testing.assert_array_equal(
        tf.linalg.diag_part(X45, k=(-1, 2)).numpy(),
        [[0, 3, 9, 15], [2, 8, 14, 20], [1, 7, 13, 19], [6, 12, 18, 0]],
    )
    np.testing.assert_array_equal(
        tf.linalg.diag_part(X45, k=(-1, 2), align="LEFT_RIGHT", padding_value=9).numpy(),
        [[3, 9, 15, 9], [2, 8, 14, 20], [1, 7, 13, 19], [9, 6, 12, 18]],
    )
    batch = normal(3, 4, 5)
    np.testing.assert_allclose(tf.linalg.diag_part(f64(batch)).numpy(), np.diagonal(batch, axis1=1, axis2=2))


def test_diag_builds_matrices_as_tensorflow_sizes_them():
    np.testing.assert_array_equal(tf.linalg.diag([1.0, 2.0, 3.0], k=1).numpy(), np.diag([1.0, 2.0, 3.0], k=1))
    np.testing.assert_array_equal(
        tf.linalg.diag([1.0, 2.0], k=-1, num_rows=4).numpy(), [[0, 0], [1, 0], [0, 2], [0, 0]]
    )
    np.testing.assert_array_equal(tf.linalg.diag([1.0, 2.0], num_cols=4).numpy(), [[1, 0, 0, 0], [0, 2, 0, 0]])
    np.testing.assert_array_equal(
        tf.linalg.diag([[1.0, 2.0, 3.0], [4.0, 5.0, 0.0]], k=(0, 1)).numpy(), [[4, 2, 0], [0, 5, 3], [0, 0, 0]]
    )
    np.testing.assert_array_equal(
        tf.linalg.diag([[1.0, 2.0, 0.0], [4.0, 5.0, 6.0]], k=(-1, 0), padding_value=7).numpy(),
        [[1, 7, 7], [4, 2, 7], [7, 5, 0]],
    )
    assert tf.linalg.diag(tf.ones((2, 3))).shape == (2, 3, 3)
    with pytest.raises(ValueError, match="num_rows"):
        tf.linalg.diag([1.0, 2.0], num_rows=5, num_cols=5)


def test_set_diag_and_diag_part_are_inverse():
    np.testing.assert_array_equal(
        tf.linalg.set_diag(np.zeros((3, 3)), [[1.0, 2.0, 3.0], [4.0, 5.0, 0.0]], k=(0, 1)).numpy(),
        [[4, 2, 0], [0, 5, 3], [0, 0, 0]],
    )
    x = f64(normal(2, 4, 5))
    for k in (0, 2, -3, (-2, 1), (0, 3)):
        for align in ("RIGHT_LEFT", "LEFT_RIGHT", "LEFT_LEFT", "RIGHT_RIGHT"):
            parts = tf.linalg.diag_part(x, k=k, align=align)
            np.testing.assert_array_equal(tf.linalg.set_diag(x, parts, k=k, align=align).numpy(), x.numpy())
            np.testing.assert_array_equal(
                tf.linalg.diag_part(tf.linalg.set_diag(x, parts + 1.0, k=k, align=align), k=k, align=align).numpy(),
                tf.linalg.diag_part(x + 1.0, k=k, align=align).numpy(),
            )
    with pytest.raises(ValueError, match="outside"):
        tf.linalg.diag_part(x, k=5)
    with pytest.raises(ValueError, match="align"):
        tf.linalg.diag_part(x, align="MIDDLE")


def test_trace_eye_adjoint_and_matvec():
    assert tf.linalg.trace(X45).numpy() == 40.0
    assert tf.linalg.trace(np.ones((2, 3, 4))).numpy().tolist() == [3.0, 3.0]
    eye = tf.linalg.eye(2, 3, batch_shape=[4], dtype=tf.float64)
    assert eye.shape == (4, 2, 3) and eye.dtype == np.float64
    np.testing.assert_array_equal(eye.numpy()[1], np.eye(2, 3))
    assert tf.eye(3).shape == (3, 3)
    assert tf.linalg.adjoint(np.ones((2, 3, 4))).shape == (2, 4, 3)
    a, v = normal(2, 3, 4), normal(4)
    np.testing.assert_allclose(tf.linalg.matvec(f64(a), f64(v)).numpy(), a @ v)
    np.testing.assert_allclose(tf.linalg.matvec(f64(a), f64(normal(2, 3)), transpose_a=True).shape, (2, 4))
    np.testing.assert_allclose(tf.linalg.matmul(f64(a), f64(a), adjoint_b=True).numpy(), a @ np.swapaxes(a, 1, 2))


# --- determinants, inverses, solves --------------------------------------------------------------
@pytest.mark.parametrize("batch", BATCHES)
def test_det_slogdet_logdet_against_numpy(batch):
    a = normal(*batch, 3, 3)
    np.testing.assert_allclose(tf.linalg.det(f64(a)).numpy(), np.linalg.det(a))
    sign, log_abs = tf.linalg.slogdet(f64(a))
    np.testing.assert_allclose(sign.numpy(), np.linalg.slogdet(a)[0])
    np.testing.assert_allclose(log_abs.numpy(), np.linalg.slogdet(a)[1])
    p = positive_definite(*batch, 3, 3)
    np.testing.assert_allclose(tf.linalg.logdet(f64(p)).numpy(), np.log(np.linalg.det(p)))
    assert tf.linalg.det(np.eye(2, dtype=np.float32)).dtype == np.float32
    np.testing.assert_allclose(tf.linalg.inv(f64(a), adjoint=True).numpy(), np.linalg.inv(np.swapaxes(a, -1, -2)))


def test_solves_against_numpy_and_their_batch_broadcasting():
    a, b = well_conditioned(2, 3, 3), normal(2, 3, 2)
    np.testing.assert_allclose(tf.linalg.solve(f64(a), f64(b)).numpy(), np.linalg.solve(a, b))
    np.testing.assert_allclose(
        tf.linalg.solve(f64(a), f64(b), adjoint=True).numpy(), np.linalg.solve(np.swapaxes(a, 1, 2), b)
    )
    np.testing.assert_allclose(tf.linalg.solve(f64(a), f64(b[0])).numpy(), np.linalg.solve(a, np.stack([b[0]] * 2)))
    lower, upper = np.tril(a), np.triu(a)
    np.testing.assert_allclose(tf.linalg.triangular_solve(f64(a), f64(b)).numpy(), np.linalg.solve(lower, b))
    np.testing.assert_allclose(
        tf.linalg.triangular_solve(f64(a), f64(b[0]), lower=False, adjoint=True).numpy(),
        np.linalg.solve(np.swapaxes(upper, 1, 2), np.stack([b[0]] * 2)),
    )
    p = positive_definite(2, 3, 3)
    chol = tf.linalg.cholesky(f64(p))
    np.testing.assert_allclose(chol.numpy(), np.linalg.cholesky(p))
    np.testing.assert_allclose(tf.linalg.cholesky_solve(chol, f64(b[0])).numpy(), np.linalg.solve(p, b[0]))


def test_lstsq_follows_tensorflow_fast_and_slow_paths():
    tall, rhs = normal(2, 4, 3), normal(4, 1)
    expected = np.stack([np.linalg.lstsq(m, rhs, rcond=None)[0] for m in tall])
    np.testing.assert_allclose(tf.linalg.lstsq(f64(tall), f64(rhs)).numpy(), expected)  # rhs broadcast
    m = tall[0]
    regularized = np.linalg.solve(m.T @ m + 0.5 * np.eye(3), m.T @ rhs)
    np.testing.assert_allclose(tf.linalg.lstsq(f64(m), f64(rhs), l2_regularizer=0.5).numpy(), regularized)
    wide, short_rhs = m.T, rhs[:3]
    np.testing.assert_allclose(
        tf.linalg.lstsq(f64(wide), f64(short_rhs)).numpy(), np.linalg.lstsq(wide, short_rhs, rcond=None)[0]
    )
    np.testing.assert_allclose(
        tf.linalg.lstsq(f64(wide), f64(short_rhs), l2_regularizer=0.5).numpy(),
        wide.T @ np.linalg.solve(wide @ wide.T + 0.5 * np.eye(3), short_rhs),
    )
    rank_one = np.outer([1.0, 2.0, 3.0], [1.0, 1.0])
    slow = tf.linalg.lstsq(f64(rank_one), f64(np.ones((3, 1))), l2_regularizer=0.5, fast=False)
    np.testing.assert_allclose(slow.numpy(), np.linalg.pinv(rank_one) @ np.ones((3, 1)))


def test_pinv_and_matrix_rank_against_numpy():
    for a in (normal(2, 4, 3), normal(3, 5), np.outer([1.0, 2.0, 3.0], [1.0, 1.0])):
        np.testing.assert_allclose(tf.linalg.pinv(f64(a)).numpy(), np.linalg.pinv(a), atol=1e-12)
    ranks = tf.linalg.matrix_rank(f64(np.stack([np.ones((3, 3)), np.eye(3), np.zeros((3, 3))])))
    assert ranks.dtype == np.int32 and ranks.numpy().tolist() == [1, 3, 0]
    assert int(tf.linalg.matrix_rank(f64(np.diag([1.0, 0.1, 0.01])), tol=0.05)) == 2


def test_bad_matrices_are_refused_with_the_op_named():
    with pytest.raises(ValueError, match="det: expects square matrices"):
        tf.linalg.det(np.ones((2, 3)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="solve: the matrix is singular"):
        tf.linalg.solve(np.ones((2, 2)), np.ones((2, 1)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="not symmetric positive definite"):
        tf.linalg.cholesky([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="needs 2 rows"):
        tf.linalg.solve(np.eye(2), np.ones((3, 1)))
    with pytest.raises(ValueError, match="rank 2 or more"):
        tf.linalg.qr([1.0, 2.0])


# --- decompositions ------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3)])
def test_qr_signs_equal_numpy_as_tensorflow_does(shape):
    a = normal(*shape)
    q, r = tf.linalg.qr(f64(a))
    nq, nr = np.linalg.qr(a)
    np.testing.assert_allclose(q.numpy(), nq)
    np.testing.assert_allclose(r.numpy(), nr)
    q, r = tf.linalg.qr(f64(a), full_matrices=True)
    assert q.shape[-1] == q.shape[-2] == shape[-2] and r.shape[-2:] == shape[-2:]
    np.testing.assert_allclose((q @ r).numpy(), a, atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 3)])
def test_svd_returns_s_u_v_with_v_not_transposed(shape):
    a = normal(*shape)
    k = min(shape[-2:])
    s, u, v = tf.linalg.svd(f64(a))
    assert u.shape == shape[:-1] + (k,) and v.shape == shape[:-2] + (shape[-1], k)
    np.testing.assert_allclose(s.numpy(), np.linalg.svd(a, compute_uv=False))
    np.testing.assert_allclose(((u * s[..., None, :]) @ tf.linalg.adjoint(v)).numpy(), a, atol=1e-12)
    s_full, u_full, v_full = tf.linalg.svd(f64(a), full_matrices=True)
    assert u_full.shape[-1] == shape[-2] and v_full.shape[-1] == shape[-1]
    identity = np.broadcast_to(np.eye(shape[-1]), v_full.shape)
    np.testing.assert_allclose((tf.linalg.adjoint(v_full) @ v_full).numpy(), identity, atol=1e-12)
    np.testing.assert_allclose(tf.linalg.svd(f64(a), compute_uv=False).numpy(), s.numpy())


def test_eigh_and_eigvalsh_ascending_and_reading_the_lower_triangle():
    a = normal(2, 3, 3)
    lower = np.tril(a) + np.swapaxes(np.tril(a, -1), 1, 2)
    e, v = tf.linalg.eigh(f64(a))
    np.testing.assert_allclose(e.numpy(), np.linalg.eigvalsh(lower))
    np.testing.assert_allclose(((v * e[..., None, :]) @ tf.linalg.adjoint(v)).numpy(), lower, atol=1e-12)
    np.testing.assert_allclose(tf.linalg.eigvalsh(f64(a)).numpy(), e.numpy())


def test_expm_against_closed_forms():
    p = positive_definite(2, 3, 3) / 3.0
    w, v = np.linalg.eigh(p)
    expected = (v * np.exp(w)[..., None, :]) @ np.swapaxes(v, 1, 2)
    np.testing.assert_allclose(tf.linalg.expm(f64(p)).numpy(), expected, rtol=1e-12)
    rotations = np.array([[[0.0, -t], [t, 0.0]] for t in (0.1, 3.0, 40.0)])  # each its own scaling
    result = tf.linalg.expm(f64(rotations)).numpy()
    for t, r in zip((0.1, 3.0, 40.0), result):
        np.testing.assert_allclose(r, [[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]], atol=1e-11)
    nilpotent = np.triu(normal(4, 4), 1)
    series = np.eye(4) + nilpotent + nilpotent @ nilpotent / 2 + nilpotent @ nilpotent @ nilpotent / 6
    np.testing.assert_allclose(tf.linalg.expm(f64(nilpotent)).numpy(), series, rtol=1e-12, atol=1e-12)
    single = tf.linalg.expm(tf.constant(p, dtype="float32"))
    assert single.dtype == np.float32
    np.testing.assert_allclose(single.numpy(), expected, rtol=2e-5)


# --- products and vectors --------------------------------------------------------------------------
def test_einsum_as_tensorflow_reads_equations():
    a, b = normal(2, 3, 4), normal(4, 5)
    np.testing.assert_allclose(tf.einsum("...ij,jk->...ik", f64(a), f64(b)).numpy(), a @ b)
    np.testing.assert_allclose(tf.linalg.einsum("bij,jk", f64(a), f64(b)).numpy(), np.einsum("bij,jk", a, b))
    assert tf.einsum("ba...", f64(a)).shape == (4, 3, 2)  # implicit output: '...' first, then a, b
    np.testing.assert_allclose(tf.einsum("bii->bi", f64(a[:, :3, :3])).numpy(), np.einsum("bii->bi", a[:, :3, :3]))
    assert float(tf.einsum("ii", f64(np.eye(3)))) == 3.0
    assert float(tf.einsum("i j , j ->", f64(np.ones((2, 3))), f64(np.ones(3)))) == 6.0
    broadcast = tf.einsum("...ij,...jk->...ik", f64(normal(2, 1, 3, 4)), f64(normal(5, 4, 2)))
    assert broadcast.shape == (2, 5, 3, 2)
    assert tf.einsum is tf.linalg.einsum
    with pytest.raises(ValueError, match="sizes"):
        tf.einsum("ij,ij->ij", np.ones((1, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="needs '...'"):
        tf.einsum("...i->i", np.ones((2, 3)))


def test_cross_norms_and_normalize():
    a, b = normal(2, 3), normal(2, 3)
    np.testing.assert_allclose(tf.linalg.cross(f64(a), f64(b)).numpy(), np.cross(a, b))
    m = normal(2, 3, 4)
    for ord_ in ("fro", 1, 2, np.inf):
        expected = np.linalg.norm(m, ord=ord_, axis=(1, 2))
        np.testing.assert_allclose(tf.norm(f64(m), ord=ord_, axis=[1, 2]).numpy(), expected)
    assert tf.norm(f64(m), ord=1, axis=(-2, -1), keepdims=True).shape == (2, 1, 1)
    assert tf.norm(f64(m), ord=2, axis=(0, 2)).shape == (3,)
    unit, length = tf.linalg.normalize([[3.0, 4.0], [6.0, 8.0]], axis=1)
    assert unit.numpy().tolist() == [[0.6000000238418579, 0.800000011920929]] * 2
    assert length.numpy().tolist() == [[5.0], [10.0]]
    np.testing.assert_allclose(
        tf.linalg.l2_normalize(f64(m), axis=-1).numpy(), tf.nn.l2_normalize(f64(m), axis=-1).numpy()
    )
    assert float(tf.linalg.global_norm([tf.constant([3.0, 4.0]), None, tf.constant([[12.0]])])) == 13.0


# --- numerical gradients (float64, batched) ---------------------------------------------------------
def weighted(y):
    """A loss that weighs every entry differently, so no symmetry hides a wrong gradient."""
    return y * tf.constant(np.linspace(0.5, 1.5, int(np.prod(y.shape))).reshape(y.shape), dtype=y.dtype)


def sign_free_svd_loss(full_matrices=False):
    """A loss on s, u and v that a flip of a singular vector's sign leaves unchanged."""

    def loss(a):
        s, u, v = tf.linalg.svd(a, full_matrices=full_matrices)
        k = s.shape[-1]
        scale = tf.constant(np.arange(1.0, k + 1), dtype=a.dtype)
        u_part = tf.matmul(u[..., :k] * scale, u[..., :k], transpose_b=True)
        v_part = tf.matmul(v[..., :k] * scale, v[..., :k], transpose_b=True)
        return tf.reduce_sum(s**3) + tf.reduce_sum(weighted(u_part) ** 2) + tf.reduce_sum(weighted(v_part))

    return loss


def sign_free_eigh_loss(a):
    e, v = tf.linalg.eigh(a)
    scale = tf.constant(np.arange(1.0, a.shape[-1] + 1), dtype=a.dtype)
    return tf.reduce_sum(e**2) + tf.reduce_sum(weighted(tf.matmul(v * scale, v, transpose_b=True)) ** 2)


def qr_loss(full_matrices=False):
    def loss(a):
        q, r = tf.linalg.qr(a, full_matrices=full_matrices)
        return tf.reduce_sum(weighted(q) ** 3) + tf.reduce_sum(weighted(r) ** 2)

    return loss


def gradient_cases(batch):
    """name -> (function, inputs): every differentiable op of tf.linalg, batched by ``batch``."""
    b = batch
    square, rhs = well_conditioned(*b, 3, 3), normal(*b, 3, 2)
    tall, wide = normal(*b, 4, 3), normal(*b, 3, 4)
    return {
        "band_part": (lambda x: weighted(tf.linalg.band_part(x, 1, 0)), [normal(*b, 3, 4)]),
        "diag_part": (
            lambda x: weighted(tf.linalg.diag_part(x, k=(-1, 2), align="LEFT_RIGHT")) ** 2,
            [normal(*b, 3, 4)],
        ),
        "set_diag": (
            lambda x, d: weighted(tf.linalg.set_diag(x, d, k=(0, 1))) ** 2,
            [normal(*b, 3, 4), normal(*b, 2, 3)],
        ),
        "diag": (lambda d: weighted(tf.linalg.diag(d, k=(-1, 0), num_rows=3, num_cols=4)) ** 2, [normal(*b, 2, 3)]),
        "trace": (lambda x: tf.linalg.trace(x) ** 2, [normal(*b, 3, 4)]),
        "det": (tf.linalg.det, [square]),
        "slogdet": (lambda x: tf.linalg.slogdet(x)[1], [normal(*b, 3, 3)]),
        "inv": (lambda x: weighted(tf.linalg.inv(x, adjoint=True)), [square]),
        "logdet": (lambda x: tf.linalg.logdet(symmetric(x)), [positive_definite(*b, 3, 3)]),
        "cholesky": (lambda x: weighted(tf.linalg.cholesky(symmetric(x))), [positive_definite(*b, 3, 3)]),
        "cholesky_solve": (
            lambda x, y: weighted(tf.linalg.cholesky_solve(tf.linalg.cholesky(symmetric(x)), y)),
            [positive_definite(*b, 3, 3), rhs],
        ),
        "solve": (lambda x, y: weighted(tf.linalg.solve(x, y)) ** 2, [square, rhs]),
        "solve_adjoint_broadcast": (lambda x, y: weighted(tf.linalg.solve(x, y, adjoint=True)), [square, normal(3, 2)]),
        "triangular_solve": (lambda x, y: weighted(tf.linalg.triangular_solve(x, y)) ** 2, [square, rhs]),
        "triangular_solve_upper_adjoint": (
            lambda x, y: weighted(tf.linalg.triangular_solve(x, y, lower=False, adjoint=True)),
            [square, normal(3, 2)],
        ),
        "lstsq": (lambda x, y: weighted(tf.linalg.lstsq(x, y)) ** 2, [tall, normal(*b, 4, 2)]),
        "lstsq_wide_regularized": (
            lambda x, y: weighted(tf.linalg.lstsq(x, y, l2_regularizer=0.3)),
            [wide, normal(*b, 3, 2)],
        ),
        "lstsq_slow": (lambda x, y: weighted(tf.linalg.lstsq(x, y, fast=False)), [tall, normal(*b, 4, 2)]),
        "pinv": (lambda x: weighted(tf.linalg.pinv(x)), [wide]),
        "qr_deep": (qr_loss(), [tall]),
        "qr_wide": (qr_loss(), [wide]),
        "qr_full_deep": (lambda x: tf.reduce_sum(weighted(tf.linalg.qr(x, full_matrices=True)[1]) ** 3), [tall]),
        "svd_deep": (sign_free_svd_loss(), [tall]),
        "svd_wide": (sign_free_svd_loss(), [wide]),
        "svd_full": (sign_free_svd_loss(full_matrices=True), [wide]),
        "svd_values": (lambda x: weighted(tf.linalg.svd(x, compute_uv=False)), [normal(*b, 5, 2)]),
        "eigh": (sign_free_eigh_loss, [normal(*b, 3, 3)]),
        "eigvalsh": (lambda x: weighted(tf.linalg.eigvalsh(x)) ** 2, [normal(*b, 3, 3)]),
        "matvec": (lambda x, v: weighted(tf.linalg.matvec(x, v)), [tall, normal(3)]),
        "cross": (lambda x, y: weighted(tf.linalg.cross(x, y)), [normal(*b, 3), normal(*b, 3)]),
        "expm": (lambda x: weighted(tf.linalg.expm(x)), [normal(*b, 3, 3)]),
        "expm_squared": (lambda x: weighted(tf.linalg.expm(x)), [4.0 * normal(*b, 3, 3)]),
        "einsum": (lambda x, y: weighted(tf.einsum("...ij,jk->...ik", x, y)) ** 2, [tall, normal(3, 2)]),
        "einsum_diagonal_and_sum": (lambda x, y: tf.einsum("...ii,j->...j", x, y) ** 2, [square, normal(2)]),
        "einsum_broadcast": (
            lambda x, y: weighted(tf.einsum("...j,...j->...", x, y)),
            [normal(*b, 1, 3), normal(2, 3)],
        ),
        "global_norm": (lambda x, y: tf.linalg.global_norm([x, None, y]), [tall, rhs]),
        "normalize": (lambda x: weighted(tf.linalg.normalize(x, axis=-1)[0]), [tall]),
        "l2_normalize": (lambda x: weighted(tf.linalg.l2_normalize(x, axis=-1)), [tall]),
        "norm_spectral": (lambda x: tf.norm(x, ord=2, axis=[-2, -1]), [tall]),
        "norm_one": (lambda x: tf.norm(x, ord=1, axis=[-2, -1]), [tall]),
    }


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("name", sorted(gradient_cases(())))
def test_gradients_against_central_differences(name, batch):
    function, inputs = gradient_cases(batch)[name]
    check_gradients(function, inputs, atol=1e-6, rtol=1e-4)


def test_vector_gradients_of_full_svd_and_qr_that_are_not_defined_raise():
    with tf.GradientTape() as tape:
        x = f64(normal(3, 6))
        tape.watch(x)
        _, _, v = tf.linalg.svd(x, full_matrices=True)
        loss = tf.reduce_sum(v**3)
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        tape.gradient(loss, x)
    with tf.GradientTape() as tape:
        x = f64(normal(5, 2))
        tape.watch(x)
        loss = tf.reduce_sum(tf.linalg.qr(x, full_matrices=True)[0] ** 3)
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        tape.gradient(loss, x)


def test_second_derivatives_through_nested_tapes():
    """Every backward is written with learnet ops, so an outer tape differentiates it again."""

    def gradient_of(function):
        def inner(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.reduce_sum(function(x))
            return tape.gradient(y, x)

        return inner

    check_gradients(gradient_of(tf.linalg.det), [well_conditioned(2, 3, 3)])
    check_gradients(gradient_of(lambda x: tf.linalg.logdet(symmetric(x))), [positive_definite(3, 3)])
    check_gradients(gradient_of(lambda x: tf.linalg.svd(x, compute_uv=False) ** 2), [normal(3, 2)])
    check_gradients(gradient_of(lambda x: tf.einsum("ij,jk->ik", x, x) ** 2), [normal(3, 3)])


# --- float32: the same gradients, in float32 -------------------------------------------------------
FLOAT32_CASES = [
    "det",
    "cholesky",
    "solve",
    "triangular_solve",
    "lstsq",
    "qr_deep",
    "svd_wide",
    "eigh",
    "expm",
    "einsum",
]


@pytest.mark.parametrize("name", FLOAT32_CASES)
def test_float32_gradients_agree_with_float64(name):
    function, inputs = gradient_cases((2,))[name]
    singles = [tf.constant(x, dtype="float32") for x in inputs]
    with tf.GradientTape() as tape:
        tape.watch(singles)
        y = tf.reduce_sum(function(*singles))
    grads = tape.gradient(y, singles)
    assert y.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    for single, double in zip(grads, tape_gradients(function, inputs)):
        np.testing.assert_allclose(single.numpy(), double, rtol=2e-3, atol=2e-3 * np.abs(double).max())


def test_numerical_gradients_of_a_transposed_view_are_not_zero():
    from learnet.testing import numerical_gradients

    view = np.arange(6.0).reshape(2, 3).T  # not C-contiguous
    (grad,) = numerical_gradients(lambda x: x * x, [view])
    np.testing.assert_allclose(grad, 2 * view, atol=1e-4)
