"""``tf.compat``: the helpers TensorFlow 2 code still calls from it, and ``tf.compat.v1``'s few
names that mean something without TensorFlow 1's graphs.

Tutorials written for TensorFlow 2 open with lines such as
``tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)`` or turn a file name into
text with ``tf.compat.as_str``; those work here. TensorFlow 1's graph API (``Session``,
``placeholder``, ``disable_eager_execution`` ...) is not part of learnet, which runs every op
eagerly: asking for it raises an ``AttributeError`` or ``NotImplementedError`` that says so.

Examples
--------
>>> import learnet as tf
>>> tf.compat.as_str(b"caf\\xc3\\xa9")
'café'
>>> tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
>>> tf.compat.v1.logging.get_verbosity() == tf.compat.v1.logging.ERROR
True
>>> tf.compat.dimension_value(tf.TensorShape([3, None]).dims[0])
3
"""

import datetime
import logging as _logging
import numbers
import os
import sys
import types

import numpy

from learnet import random as _random
from learnet.tensor import Dimension, TensorShape, _dimension_value

bytes_or_text_types = (bytes, str)
integral_types = (numbers.Integral, numpy.integer)
real_types = (numbers.Real, numpy.integer, numpy.floating)
complex_types = (numbers.Complex, numpy.number)


def as_bytes(bytes_or_text, encoding="utf-8"):
    """``bytes_or_text`` as bytes: text encoded with ``encoding``, bytes (or a bytearray) unchanged."""
    if isinstance(bytes_or_text, bytearray):
        return bytes(bytes_or_text)
    if isinstance(bytes_or_text, str):
        return bytes_or_text.encode(encoding)
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


def as_text(bytes_or_text, encoding="utf-8"):
    """``bytes_or_text`` as text: bytes decoded with ``encoding``, text unchanged."""
    if isinstance(bytes_or_text, str):
        return bytes_or_text
    if isinstance(bytes_or_text, (bytes, bytearray)):
        return bytes(bytes_or_text).decode(encoding)
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


as_str = as_text


def as_str_any(value, encoding="utf-8"):
    """``value`` as text: bytes decoded, anything else through ``str``."""
    return as_str(value, encoding) if isinstance(value, (bytes, bytearray)) else str(value)


def path_to_str(path):
    """A path-like object's text (``os.fspath``); anything else unchanged."""
    return os.fspath(path) if hasattr(path, "__fspath__") else path


def dimension_value(dimension):
    """A size as an int or ``None``, from an int, ``None`` or ``Dimension``."""
    return _dimension_value(dimension)


def dimension_at_index(shape, index):
    """The size at ``index`` of ``shape`` as a ``Dimension`` (unknown for a shape of unknown rank)."""
    shape = TensorShape(shape)
    if shape.rank is None:
        return Dimension(None)
    return Dimension(shape[index])


# TensorFlow's forward-compatibility window: code asks whether the library is at least as new
# as a date. learnet implements the ops as they are today, so every date up to today is met.
_horizon = [datetime.date.today()]


def forward_compatible(year, month, day):
    """Whether the library is forward compatible with ``year-month-day`` (not after today)."""
    return datetime.date(year, month, day) < _horizon[0]


class _ForwardCompatibilityHorizon:
    def __init__(self, year, month, day):
        self._date = datetime.date(year, month, day)

    def __enter__(self):
        self._saved = _horizon[0]
        _horizon[0] = self._date

    def __exit__(self, *exc):
        _horizon[0] = self._saved
        return False


def forward_compatibility_horizon(year, month, day):
    """A context in which ``forward_compatible`` reads the horizon as ``year-month-day``."""
    return _ForwardCompatibilityHorizon(year, month, day)


# --- tf.compat.v1 ------------------------------------------------------------------------------
def _tensorflow_logger():
    return _logging.getLogger("tensorflow")


def _log(level):
    def log(msg, *args, **kwargs):
        _tensorflow_logger().log(level, msg, *args, **kwargs)

    return log


logging_v1 = types.SimpleNamespace(
    DEBUG=_logging.DEBUG,
    INFO=_logging.INFO,
    WARN=_logging.WARN,
    ERROR=_logging.ERROR,
    FATAL=_logging.FATAL,
    set_verbosity=lambda v: _tensorflow_logger().setLevel(v),
    get_verbosity=lambda: _tensorflow_logger().getEffectiveLevel(),
    debug=_log(_logging.DEBUG),
    info=_log(_logging.INFO),
    warn=_log(_logging.WARNING),
    warning=_log(_logging.WARNING),
    error=_log(_logging.ERROR),
    fatal=_log(_logging.FATAL),
    log=lambda level, msg, *args, **kwargs: _tensorflow_logger().log(level, msg, *args, **kwargs),
)

_GRAPH_API = (
    "is TensorFlow 1's graph API, which learnet does not have: learnet runs every op eagerly, "
    "as TensorFlow 2 does (write the TF2 form: tf.function, tf.GradientTape, keras models)"
)


def _refuse(name):
    def refuse(*args, **kwargs):
        raise NotImplementedError(f"tf.compat.v1.{name} {_GRAPH_API}")

    refuse.__name__ = name
    return refuse


class _V1(types.ModuleType):
    """``tf.compat.v1``: what works without graphs, and a clear error for the rest."""

    Dimension = Dimension
    logging = logging_v1

    @staticmethod
    def enable_eager_execution(config=None, device_policy=None, execution_mode=None):
        """Accepted: learnet always executes eagerly."""

    enable_v2_behavior = enable_eager_execution
    enable_resource_variables = enable_eager_execution

    @staticmethod
    def executing_eagerly():
        return True

    @staticmethod
    def set_random_seed(seed):
        """The global seed, as ``tf.random.set_seed``."""
        _random.set_seed(seed)

    @staticmethod
    def reset_default_graph():
        """Accepted: learnet keeps no default graph to reset."""

    disable_eager_execution = staticmethod(_refuse("disable_eager_execution"))
    disable_v2_behavior = staticmethod(_refuse("disable_v2_behavior"))
    Session = staticmethod(_refuse("Session"))
    InteractiveSession = staticmethod(_refuse("InteractiveSession"))
    placeholder = staticmethod(_refuse("placeholder"))
    get_default_graph = staticmethod(_refuse("get_default_graph"))
    global_variables_initializer = staticmethod(_refuse("global_variables_initializer"))

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(f"tf.compat.v1.{name}: not in learnet (tf.compat.v1 {_GRAPH_API})")


v1 = _V1("learnet.compat.v1")


def __getattr__(name):
    if name == "v2":  # TensorFlow 2's API: learnet itself
        return sys.modules["learnet"]
    raise AttributeError(f"module 'learnet.compat' has no attribute {name!r}")
