"""Learning-rate schedules: their values at given steps, as Keras computes them."""

import math

import numpy as np
import pytest

import learnet as tf
from learnet import schedules


def values(schedule, steps):
    return [float(schedule(step)) for step in steps]


def test_exponential_decay():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
    expected = [0.1, 0.1 * 0.5**0.5, 0.05, 0.025]
    np.testing.assert_allclose(values(schedule, [0, 50, 100, 200]), expected, rtol=1e-6)


def test_exponential_decay_staircase():
    schedule = schedules.ExponentialDecay(1.0, decay_steps=10, decay_rate=0.5, staircase=True)
    assert values(schedule, [0, 9, 10, 19, 20]) == [1.0, 1.0, 0.5, 0.5, 0.25]


def test_piecewise_constant_decay_boundaries_belong_to_the_interval_before():
    schedule = schedules.PiecewiseConstantDecay(boundaries=[100, 200], values=[1.0, 0.5, 0.25])
    assert values(schedule, [0, 100, 101, 200, 201, 10_000]) == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]


def test_piecewise_constant_decay_checks_its_arguments():
    with pytest.raises(ValueError, match="one more"):
        schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5])
    with pytest.raises(ValueError, match="increase"):
        schedules.PiecewiseConstantDecay([20, 10], [1.0, 0.5, 0.1])


def test_inverse_time_decay():
    schedule = schedules.InverseTimeDecay(1.0, decay_steps=10, decay_rate=0.5)
    np.testing.assert_allclose(values(schedule, [0, 10, 25]), [1.0, 1 / 1.5, 1 / 2.25], rtol=1e-6)
    stairs = schedules.InverseTimeDecay(1.0, decay_steps=10, decay_rate=0.5, staircase=True)
    np.testing.assert_allclose(values(stairs, [25]), [1 / 2.0], rtol=1e-6)


def test_polynomial_decay():
    schedule = schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, power=2.0)
    np.testing.assert_allclose(values(schedule, [0, 5, 10, 50]), [1.0, 0.25, 0.0, 0.0], atol=1e-7)
    cycling = schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, cycle=True)
    # After step 10 the decay restarts over 20 steps: at 15, 1 - 15/20.
    np.testing.assert_allclose(values(cycling, [0, 5, 15]), [1.0, 0.5, 0.25], atol=1e-7)


def test_cosine_decay():
    schedule = schedules.CosineDecay(1.0, decay_steps=100, alpha=0.1)
    expected = [1.0, 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.25)), 0.55, 0.1, 0.1]
    np.testing.assert_allclose(values(schedule, [0, 25, 50, 100, 500]), expected, rtol=1e-6)


def test_cosine_decay_with_warmup():
    schedule = schedules.CosineDecay(0.0, decay_steps=100, warmup_target=1.0, warmup_steps=10)
    np.testing.assert_allclose(values(schedule, [0, 5, 10, 60, 110, 200]), [0.0, 0.5, 1.0, 0.5, 0.0, 0.0], atol=1e-6)


def test_cosine_decay_restarts():
    schedule = schedules.CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0, m_mul=0.5)
    # Periods: [0, 10), [10, 30) starting at 0.5, [30, 70) starting at 0.25.
    np.testing.assert_allclose(values(schedule, [0, 5, 10, 20, 30]), [1.0, 0.5, 0.5, 0.25, 0.25], atol=1e-6)


def test_schedules_take_arrays_of_steps_for_plotting():
    schedule = schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5)
    rates = schedule(tf.range(4))
    assert rates.dtype == np.float32 and rates.shape == (4,)
    np.testing.assert_allclose(rates.numpy(), [1.0, 0.5, 0.25, 0.125])
    assert schedule(np.int64(1)).shape == ()


@pytest.mark.parametrize(
    "schedule",
    [
        schedules.ExponentialDecay(0.1, 10, 0.9, staircase=True),
        schedules.PiecewiseConstantDecay([5], [0.1, 0.01]),
        schedules.InverseTimeDecay(0.1, 10, 0.5),
        schedules.PolynomialDecay(0.1, 10, cycle=True),
        schedules.CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=3),
        schedules.CosineDecayRestarts(0.1, 10),
    ],
)
def test_config_round_trip(schedule):
    clone = schedules.deserialize(schedules.serialize(schedule))
    assert type(clone) is type(schedule)
    assert clone.get_config() == schedule.get_config()
    steps = np.arange(0, 40, 3)
    np.testing.assert_array_equal(clone(steps).numpy(), schedule(steps).numpy())


def test_bad_arguments_and_unknown_classes():
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.ExponentialDecay(0.1, decay_steps=0, decay_rate=0.5)
    with pytest.raises(ValueError, match="unknown"):
        schedules.deserialize({"class_name": "Mystery", "config": {}})


def test_a_custom_schedule_drives_an_optimizer():
    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 1.0 * 0.5 ** int(step)

        def get_config(self):
            return {}

    optimizer = tf.optimizers.SGD(learning_rate=Halving())
    w = tf.Variable(0.0)
    for _ in range(3):
        optimizer.apply_gradients([(tf.constant(1.0), w)])
    assert float(w) == pytest.approx(-1.75)


def test_reachable_as_keras_optimizers_schedules():
    import learnet as keras

    assert keras.optimizers.schedules.ExponentialDecay is schedules.ExponentialDecay
    assert keras.keras.optimizers.schedules.LearningRateSchedule is schedules.LearningRateSchedule
