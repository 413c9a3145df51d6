"""Learning-rate schedules: the learning rate as a function of the training step.

A schedule is given to an optimizer in place of a number; before each step the
optimizer asks it for the learning rate at its current ``iterations`` count. The
names and formulas are those of ``keras.optimizers.schedules`` (this module is also
reachable as ``learnet.optimizers.schedules``).

Examples
--------
>>> import learnet as keras
>>> schedule = keras.optimizers.schedules.ExponentialDecay(
...     initial_learning_rate=1.0, decay_steps=1000, decay_rate=0.5)
>>> float(schedule(2000))                  # halved twice
0.25
>>> optimizer = keras.optimizers.SGD(learning_rate=schedule)

A schedule can be called on many steps at once, to plot it:

>>> schedule([0, 1000, 2000]).numpy()
array([1.  , 0.5 , 0.25], dtype=float32)
"""

import math

import numpy

from learnet import backend, registry
from learnet.tensor import Tensor


def _steps(step):
    """The step(s) as float64 NumPy values: an int, a float, an array or a tensor."""
    if isinstance(step, Tensor):
        step = backend.to_numpy(step._value)
    return numpy.asarray(step, dtype=numpy.float64)


def _result(values):
    """Wrap computed learning rates as a float tensor (a scalar for a scalar step)."""
    return Tensor._wrap(backend.xp.asarray(numpy.asarray(values, dtype=backend.floatx())))


def _positive(name, value, what):
    if not value > 0:
        raise ValueError(f"{name}: {what} must be positive, got {value!r}")


class LearningRateSchedule:
    """Base class of learning-rate schedules.

    A subclass defines ``__call__(step)``, returning the learning rate for the
    (0-based) optimizer step, and ``get_config()``.

    Examples
    --------
    >>> class Halving(LearningRateSchedule):
    ...     def __init__(self, initial):
    ...         self.initial = initial
    ...     def __call__(self, step):
    ...         return self.initial * 0.5 ** (float(step) // 100)
    ...     def get_config(self):
    ...         return {"initial": self.initial}
    >>> Halving(1.0)(250)
    0.25
    """

    def __call__(self, step):
        raise NotImplementedError(f"{type(self).__name__} must define __call__(step) returning the learning rate")

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} must define get_config()")

    @classmethod
    def from_config(cls, config):
        """Create the schedule from the dictionary ``get_config`` returned."""
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({arguments})"


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Parameters
    ----------
    initial_learning_rate : float
    decay_steps : int
        Steps over which the rate is multiplied by ``decay_rate`` once.
    decay_rate : float
    staircase : bool, default False
        Decay in jumps: use ``floor(step / decay_steps)``.
    name : str, optional

    Examples
    --------
    >>> s = ExponentialDecay(1.0, decay_steps=10, decay_rate=0.5, staircase=True)
    >>> float(s(9)), float(s(10))
    (1.0, 0.5)
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        _positive("ExponentialDecay", decay_steps, "decay_steps")
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = decay_steps
        self.decay_rate = float(decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step):
        progress = _steps(step) / self.decay_steps
        if self.staircase:
            progress = numpy.floor(progress)
        return _result(self.initial_learning_rate * self.decay_rate**progress)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant learning rate on each interval between step boundaries.

    ``values[0]`` up to and including step ``boundaries[0]``, ``values[1]`` after it
    up to and including ``boundaries[1]``, ..., ``values[-1]`` after the last one. Boundaries
    may repeat: the value between two equal ones is never used.

    Examples
    --------
    >>> s = PiecewiseConstantDecay(boundaries=[100, 200], values=[1.0, 0.5, 0.25])
    >>> [float(s(step)) for step in (100, 101, 201)]
    [1.0, 0.5, 0.25]
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        boundaries, values = list(boundaries), list(values)
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                "PiecewiseConstantDecay: values must have one more element than boundaries, "
                f"got {len(boundaries)} boundaries and {len(values)} values"
            )
        # A repeated boundary is an empty interval whose value is never used, as in TensorFlow and Keras
        # (keras.io's pointnet_segmentation gives [15 * steps, 15 * steps]); a decreasing one is a mistake.
        if any(later < earlier for earlier, later in zip(boundaries, boundaries[1:])):
            raise ValueError(
                f"PiecewiseConstantDecay: boundaries must not decrease (each must increase on or repeat the one "
                f"before), got {boundaries}"
            )
        self.boundaries = boundaries
        self.values = [float(v) for v in values]
        self.name = name

    def __call__(self, step):
        # side="left": a step equal to a boundary still belongs to the interval before it.
        index = numpy.searchsorted(numpy.asarray(self.boundaries, dtype=numpy.float64), _steps(step), side="left")
        return _result(numpy.asarray(self.values, dtype=numpy.float64)[index])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Examples
    --------
    >>> s = InverseTimeDecay(1.0, decay_steps=1, decay_rate=0.5)
    >>> float(s(2))
    0.5
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"):
        _positive("InverseTimeDecay", decay_steps, "decay_steps")
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = decay_steps
        self.decay_rate = float(decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step):
        progress = _steps(step) / self.decay_steps
        if self.staircase:
            progress = numpy.floor(progress)
        return _result(self.initial_learning_rate / (1.0 + self.decay_rate * progress))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PolynomialDecay(LearningRateSchedule):
    """Decay from ``initial_learning_rate`` to ``end_learning_rate`` along ``(1 - t) ** power``.

    ``t = min(step, decay_steps) / decay_steps``. With ``cycle=True`` the decay starts
    again, over a longer stretch, each time ``decay_steps`` is passed.

    Examples
    --------
    >>> s = PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0)
    >>> float(s(5)), float(s(20))
    (0.5, 0.0)
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        _positive("PolynomialDecay", decay_steps, "decay_steps")
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = decay_steps
        self.end_learning_rate = float(end_learning_rate)
        self.power = float(power)
        self.cycle = bool(cycle)
        self.name = name

    def __call__(self, step):
        step = _steps(step)
        decay_steps = numpy.float64(self.decay_steps)
        if self.cycle:
            multiplier = numpy.where(step == 0, 1.0, numpy.ceil(step / decay_steps))
            decay_steps = decay_steps * multiplier
        else:
            step = numpy.minimum(step, decay_steps)
        fraction = step / decay_steps
        decayed = (self.initial_learning_rate - self.end_learning_rate) * (1.0 - fraction) ** self.power
        return _result(decayed + self.end_learning_rate)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """Cosine decay, optionally after a linear warm-up.

    Without warm-up: ``lr * ((1 - alpha) * 0.5 * (1 + cos(pi * t)) + alpha)`` with
    ``t = min(step, decay_steps) / decay_steps``. With ``warmup_target``, the rate
    first rises linearly from ``initial_learning_rate`` to ``warmup_target`` over
    ``warmup_steps`` steps, then decays from ``warmup_target`` as above.

    Examples
    --------
    >>> s = CosineDecay(1.0, decay_steps=100)
    >>> float(s(0)), float(s(50)), float(s(100))
    (1.0, 0.5, 0.0)
    """

    def __init__(
        self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None, warmup_steps=0
    ):
        _positive("CosineDecay", decay_steps, "decay_steps")
        if warmup_steps < 0:
            raise ValueError(f"CosineDecay: warmup_steps must be non-negative, got {warmup_steps!r}")
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = decay_steps
        self.alpha = float(alpha)
        self.name = name
        self.warmup_target = None if warmup_target is None else float(warmup_target)
        self.warmup_steps = warmup_steps

    def _decay(self, step, start):
        cosine = 0.5 * (1.0 + numpy.cos(math.pi * step / self.decay_steps))
        return start * ((1.0 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        step = _steps(step)
        if self.warmup_target is None:
            return _result(self._decay(numpy.minimum(step, self.decay_steps), self.initial_learning_rate))
        step = numpy.minimum(step, self.decay_steps + self.warmup_steps)
        warmup_steps = max(self.warmup_steps, 1)
        warming = (self.warmup_target - self.initial_learning_rate) * step / warmup_steps + self.initial_learning_rate
        decaying = self._decay(step - self.warmup_steps, self.warmup_target)
        return _result(numpy.where(step < self.warmup_steps, warming, decaying))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR).

    The first period lasts ``first_decay_steps``; each next one is ``t_mul`` times
    longer and starts from a rate ``m_mul`` times the previous start.

    Examples
    --------
    >>> s = CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=1.0)
    >>> float(s(0)), float(s(10))                # a restart at step 10
    (1.0, 1.0)
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name="SGDRDecay"):
        _positive("CosineDecayRestarts", first_decay_steps, "first_decay_steps")
        self.initial_learning_rate = float(initial_learning_rate)
        self.first_decay_steps = first_decay_steps
        self._t_mul = float(t_mul)
        self._m_mul = float(m_mul)
        self.alpha = float(alpha)
        self.name = name

    def __call__(self, step):
        fraction = _steps(step) / self.first_decay_steps
        if self._t_mul == 1.0:
            restart = numpy.floor(fraction)
            fraction = fraction - restart
        else:
            restart = numpy.floor(numpy.log(1.0 - fraction * (1.0 - self._t_mul)) / math.log(self._t_mul))
            done = (1.0 - self._t_mul**restart) / (1.0 - self._t_mul)
            fraction = (fraction - done) / self._t_mul**restart
        cosine = 0.5 * self._m_mul**restart * (1.0 + numpy.cos(math.pi * fraction))
        return _result(self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


_SCHEDULES = {
    cls.__name__: cls
    for cls in (
        ExponentialDecay,
        PiecewiseConstantDecay,
        InverseTimeDecay,
        PolynomialDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def serialize(schedule):
    """Return ``{"class_name": ..., "config": ...}`` describing ``schedule``."""
    if not isinstance(schedule, LearningRateSchedule):
        raise TypeError(f"serialize expects a LearningRateSchedule, got {type(schedule).__name__}")
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config, custom_objects=None):
    """Rebuild a schedule from what ``serialize`` returned.

    Parameters
    ----------
    config : dict
        ``{"class_name": "ExponentialDecay", "config": {...}}``.
    custom_objects : dict, optional
        Your own schedule classes by name.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"deserialize expects a dict with 'class_name' and 'config', got {config!r}")
    known = dict(_SCHEDULES)
    known.update(custom_objects or {})
    name = config["class_name"]
    cls = known.get(name) or registry.get_registered_object(name)  # @register_keras_serializable
    if cls is None:
        raise ValueError(
            f"unknown learning-rate schedule {name!r}; known: {sorted(_SCHEDULES)} "
            "(pass your own classes with custom_objects)"
        )
    return cls.from_config(dict(config.get("config", {})))


__all__ = [
    "LearningRateSchedule",
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "InverseTimeDecay",
    "PolynomialDecay",
    "CosineDecay",
    "CosineDecayRestarts",
    "serialize",
    "deserialize",
]
