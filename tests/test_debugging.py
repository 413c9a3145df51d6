"""tf.debugging: assertions that raise TensorFlow's errors, NaN checks, and checks on every op."""

import numpy as np
import pytest

import learnet as tf


def test_comparisons_pass_silently_and_fail_with_tensorflows_wording():
    x = tf.constant([1.0, 2.0, 3.0])
    for check, y in (
        (tf.debugging.assert_equal, [1.0, 2.0, 3.0]),
        (tf.debugging.assert_less, 4.0),
        (tf.debugging.assert_less_equal, 3.0),
        (tf.debugging.assert_greater, 0.0),
        (tf.debugging.assert_greater_equal, 1.0),
        (tf.debugging.assert_none_equal, [0.0, 0.0, 0.0]),
    ):
        assert check(x, y) is None
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"shapes must agree\n*|Condition x == y did not hold"):
        tf.assert_equal(x, [1.0, 2.0, 4.0], message="shapes must agree")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Condition x < y did not hold"):
        tf.assert_less(x, 3.0)
    with pytest.raises(ValueError, match=r"x > y"):  # an InvalidArgumentError is a ValueError
        tf.assert_greater(x, 1.0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="not compatible"):
        tf.debugging.assert_equal(x, [1.0, 2.0])
    tf.debugging.assert_near(x, x + 1e-7)
    with pytest.raises(tf.errors.InvalidArgumentError, match="not equal to tolerance"):
        tf.debugging.assert_near(x, x + 0.1, atol=0.01)


def test_signs_ranks_types_and_shapes():
    tf.debugging.assert_positive([1, 2])
    tf.debugging.assert_non_negative([0, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="x < 0"):
        tf.debugging.assert_negative([-1, 0])
    tf.assert_rank(tf.zeros((2, 3)), 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="must have rank 3"):
        tf.debugging.assert_rank(tf.zeros((2, 3)), 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least 3"):
        tf.debugging.assert_rank_at_least(tf.zeros((2, 3)), 3)
    tf.debugging.assert_rank_in(tf.zeros((2, 3)), [1, 2])
    with pytest.raises(ValueError, match="Expected scalar"):
        tf.debugging.assert_scalar(tf.zeros(2))
    tf.debugging.assert_type(tf.constant(1, tf.int64), tf.int64)
    with pytest.raises(TypeError, match="must be of type"):
        tf.debugging.assert_type(tf.constant(1.0), tf.int64)
    with pytest.raises(TypeError, match="integer"):
        tf.debugging.assert_integer(tf.constant([1.5]))
    x, y, z = tf.zeros((4, 3)), tf.zeros((4, 2)), tf.zeros((5, 4, 3))
    tf.debugging.assert_shapes([(x, ("N", "Q")), (y, ("N", 2)), (z, ("*", "N", ".")), (tf.constant(1.0), ())])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"tensor must have size 4 \('N'\)"):
        tf.debugging.assert_shapes([(x, ("N", "Q")), (tf.zeros((3, 1)), ("N", 1))])
    with pytest.raises(ValueError, match="rank"):
        tf.debugging.assert_shapes([(x, ("N",))])
    assert bool(tf.debugging.is_non_decreasing([1, 1, 2])) and not bool(tf.debugging.is_strictly_increasing([1, 1, 2]))
    assert tf.debugging.is_numeric_tensor(x) and not tf.debugging.is_numeric_tensor(np.zeros(2))


def test_assert_shows_its_data():
    tf.Assert(tf.reduce_all(tf.constant([True, True])), ["never shown"])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"assertion failed: \[x is negative\] \[\[-1.0, 2.0\]\]"):
        tf.Assert(tf.reduce_all(tf.constant([-1.0, 2.0]) > 0), ["x is negative", tf.constant([-1.0, 2.0])])


def test_check_numerics_names_nan_and_inf():
    safe = tf.constant([1.0, 2.0])
    assert tf.debugging.check_numerics(safe, "fine") is safe
    with pytest.raises(tf.errors.InvalidArgumentError, match="^ratio : Tensor had NaN and Inf values$"):
        tf.debugging.check_numerics(tf.constant([1.0, 0.0]) / 0.0, "ratio")
    with pytest.raises(tf.errors.InvalidArgumentError, match="had Inf values"):
        tf.debugging.assert_all_finite(tf.constant([np.inf]), "big")
    with pytest.raises(TypeError, match="must hold floats"):
        tf.debugging.check_numerics(tf.constant([1, 2]), "ints")


def test_enable_check_numerics_stops_at_the_op_that_made_the_nan():
    x = tf.Variable([1.0, -1.0])
    tf.debugging.enable_check_numerics()
    try:
        assert tf.math.exp(x).numpy()[0] == pytest.approx(np.e)
        with pytest.raises(tf.errors.InvalidArgumentError, match="NaN in the output of eagerly-executing op 'sqrt'"):
            tf.sqrt(x)
    finally:
        tf.debugging.disable_check_numerics()
    assert np.isnan(tf.sqrt(x).numpy()[1])  # off again: NaN flows as NumPy makes it
