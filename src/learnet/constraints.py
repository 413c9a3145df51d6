"""Weight constraints: functions applied to a weight after each optimizer step.

A layer takes them as ``kernel_constraint=`` / ``bias_constraint=``, by object or
by name (``"max_norm"``, ``"non_neg"``, ``"unit_norm"``, ``"min_max_norm"``).

Examples
--------
>>> import numpy as np
>>> from learnet.constraints import NonNeg
>>> NonNeg()(np.array([-1.0, 2.0])).numpy().tolist() == [0.0, 2.0]
True
"""

from learnet import registry
from learnet.backend import xp
from learnet.tensor import Tensor, to_array

_EPSILON = 1e-7


class Constraint:
    """Base class: ``__call__(w)`` returns the constrained weight (a Tensor)."""

    def __call__(self, w):
        return w

    def get_config(self):
        """The arguments that rebuild this constraint."""
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _norms(array, axis):
    return xp.sqrt(xp.sum(array * array, axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Rescale weights whose norm along ``axis`` exceeds ``max_value``."""

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        array = to_array(w)
        norms = _norms(array, self.axis)
        desired = xp.clip(norms, 0, self.max_value)
        return Tensor._wrap((array * (desired / (_EPSILON + norms))).astype(array.dtype))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Set negative weights to zero."""

    def __call__(self, w):
        array = to_array(w)
        return Tensor._wrap(array * (array >= 0).astype(array.dtype))


class UnitNorm(Constraint):
    """Rescale weights to norm 1 along ``axis``."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        array = to_array(w)
        return Tensor._wrap((array / (_EPSILON + _norms(array, self.axis))).astype(array.dtype))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Keep norms along ``axis`` within ``[min_value, max_value]`` (``rate`` blends old and new)."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        array = to_array(w)
        norms = _norms(array, self.axis)
        desired = self.rate * xp.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return Tensor._wrap((array * (desired / (_EPSILON + norms))).astype(array.dtype))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm

_BY_NAME = {
    "max_norm": MaxNorm,
    "maxnorm": MaxNorm,
    "MaxNorm": MaxNorm,
    "non_neg": NonNeg,
    "nonneg": NonNeg,
    "NonNeg": NonNeg,
    "unit_norm": UnitNorm,
    "unitnorm": UnitNorm,
    "UnitNorm": UnitNorm,
    "min_max_norm": MinMaxNorm,
    "MinMaxNorm": MinMaxNorm,
}


def serialize(constraint):
    """A JSON-safe description: ``{"class_name": ..., "config": {...}}``.

    A function of the user's own is saved by the name it was registered under
    (``"Custom>name"``, as Keras 3 does); an unregistered one raises a ``ValueError`` that
    says how to register it (a saved model names code, never holds it).
    """
    if constraint is None:
        return None
    if not isinstance(constraint, Constraint):
        return registry.function_name_for_saving(constraint, "constraint")
    return {"class_name": type(constraint).__name__, "config": constraint.get_config()}


def deserialize(config):
    """Rebuild a constraint from ``serialize``'s output (only learnet's own classes)."""
    if config is None:
        return None
    if isinstance(config, str):
        return get(config)
    name = config.get("class_name") if isinstance(config, dict) else None
    cls = _BY_NAME.get(name) or (registry.get_registered_object(name) if isinstance(name, str) else None)
    if cls is None:
        raise ValueError(f"unknown constraint {name!r}; known: {sorted(set(c.__name__ for c in _BY_NAME.values()))}")
    return cls(**config.get("config", {}))


def get(identifier):
    """A constraint from a name, a config dict, an instance or a callable (``None`` stays ``None``)."""
    if identifier is None or isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, str):
        if identifier in _BY_NAME:
            return _BY_NAME[identifier]()
        custom = registry.get_registered_object(identifier)  # registered, or in custom_objects
        if isinstance(custom, type) and issubclass(custom, Constraint):
            return custom()
        if callable(custom) and not isinstance(custom, type):
            return custom
        raise ValueError(
            f"unknown constraint {identifier!r}; known: {sorted(_BY_NAME)}. If it is your own function, "
            f"register it or pass custom_objects={{{identifier.split('>')[-1]!r}: ...}}"
        )
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"cannot interpret {identifier!r} as a constraint")
