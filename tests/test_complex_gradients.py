"""Gradients through complex numbers follow TensorFlow's rule.

For a real loss ``L`` and ``z = x + iy`` the gradient of ``z`` is ``dL/dx + i dL/dy``: through
an analytic op the tape sends back ``g * conj(f'(z))``. Checked two ways: against real
TensorFlow 2.21 on complex sources (tests/fixtures/make_tf_complex_gradients_fixture.py), and
against central differences on real inputs that pass through complex numbers.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet.tape import conjugate
from learnet.testing import check_gradients

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures"))
from make_tf_complex_gradients_fixture import Z, cases, gradients, second_order  # noqa: E402

REFERENCE = np.load(Path(__file__).resolve().parent / "fixtures" / "tf_complex_gradients.npz")
CASES = cases(tf)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_equals_tensorflow(name):
    got = gradients(tf, {name: CASES[name]})[name]
    expected = REFERENCE[name]
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_second_order_through_complex_numbers_equals_tensorflow():
    np.testing.assert_allclose(second_order(tf), REFERENCE["second_order"], rtol=1e-5, atol=1e-4)


def test_complex_sources_are_watched_without_a_warning():
    z = tf.constant(Z)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with tf.GradientTape() as tape:
            tape.watch(z)
            y = tf.math.real(z * z)
        g = tape.gradient(y, z)
    np.testing.assert_allclose(g.numpy(), 2 * np.conj(Z), rtol=1e-6)


W = np.array([0.5 - 1.0j, 2.0 + 0.5j, -1.0 + 1.5j])
RNG = np.random.default_rng(3)


def _parts(f):
    """A real loss of a complex function of real inputs: both parts of ``f(complex(a, b))``, weighted."""

    def loss(a, b):
        out = f(tf.complex(a, b))
        weights = tf.constant(W[: out.shape[-1]] if out.ndim else W[0])
        return tf.math.real(out * weights) + 2.0 * tf.math.imag(out * tf.math.conj(weights))

    return loss


@pytest.mark.parametrize(
    "name, f",
    [
        ("conjugate", lambda z: conjugate(z) * z * z),
        ("multiply", lambda z: z * z * tf.constant(W)),
        ("divide", lambda z: tf.constant(W) / (z + 3.0)),
        ("exp", tf.math.exp),
        ("log", lambda z: tf.math.log(z + 3.0)),
        ("sqrt", lambda z: tf.math.sqrt(z + 3.0)),
        ("tanh", tf.math.tanh),
        ("matmul", lambda z: tf.linalg.matvec(tf.reshape(tf.tile(z, [3]), (3, 3)), z)),
        ("reduce_sum", lambda z: tf.reduce_sum(z * z, keepdims=True)),
        ("fft", lambda z: tf.signal.fft(z * z)),
        ("ifft", lambda z: tf.signal.ifft(z) * z),
        ("conj", lambda z: tf.math.conj(z * z)),
        ("abs", lambda z: tf.cast(tf.abs(z * z), tf.complex128)),
        ("angle", lambda z: tf.cast(tf.math.angle(z * z), tf.complex128)),
    ],
)
def test_real_inputs_through_complex_ops_match_central_differences(name, f):
    a, b = RNG.standard_normal(3) + 0.5, RNG.standard_normal(3) + 0.5
    check_gradients(_parts(f), [a, b], atol=1e-6, rtol=1e-5)


def test_a_backward_marked_complex_aware_is_not_conjugated():
    # tf.complex writes its gradient as TensorFlow's rule gives it: real part to `real`, imaginary to `imag`.
    a, b = tf.Variable([1.0, 2.0]), tf.Variable([3.0, 4.0])
    with tf.GradientTape() as tape:
        y = tf.math.imag(tf.complex(a, b) * tf.constant([1j, 1j], tf.complex64))
    ga, gb = tape.gradient(y, [a, b])
    np.testing.assert_allclose(ga.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(gb.numpy(), [0.0, 0.0])


def test_scalar_real_and_imag_parts_stay_scalars():
    z = tf.constant(1 + 2j)
    assert tf.math.real(z).shape == () and tf.math.imag(z).shape == ()


def test_adjoints_conjugate_complex_matrices():
    m = np.array([[1 + 1j, 2], [0.5j, -1]], np.complex64)
    z = np.array([[1 + 2j], [3j]], np.complex64)
    np.testing.assert_allclose(tf.matmul(m, z, adjoint_a=True).numpy(), m.conj().T @ z)
    np.testing.assert_allclose(tf.matmul(z, m, adjoint_a=True, adjoint_b=True).numpy(), z.conj().T @ m.conj().T)
    np.testing.assert_allclose(tf.linalg.adjoint(m).numpy(), m.conj().T)
    np.testing.assert_allclose(tf.linalg.matrix_transpose(m, conjugate=True).numpy(), m.conj().T)
    np.testing.assert_allclose(tf.linalg.matrix_transpose(m).numpy(), m.T)


def test_cast_between_complex_and_real_keeps_the_real_part_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tf.cast(tf.constant([1.5 + 2j]), tf.float32).numpy().tolist() == [1.5]
