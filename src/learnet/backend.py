"""Floor 1: the array module, the default float type and the seeded random generator.

Every op reads arrays through ``xp`` from here, never by importing NumPy for array
math itself, so the whole library can run on another NumPy-compatible array module
(CuPy on a GPU) by choosing it once, before learnet is imported::

    LEARNET_BACKEND=cupy python train.py

The default is NumPy, which hands matrix products to its BLAS.
"""

import os

import numpy

_name = os.environ.get("LEARNET_BACKEND", "numpy").strip().lower() or "numpy"
if _name == "numpy":
    xp = numpy
elif _name == "cupy":  # pragma: no cover - needs a GPU
    try:
        import cupy as xp
    except ImportError as error:
        raise ImportError(
            "LEARNET_BACKEND=cupy was asked for, but CuPy is not installed; "
            "install cupy for your CUDA version or unset LEARNET_BACKEND"
        ) from error
else:
    raise ValueError(f"LEARNET_BACKEND must be 'numpy' or 'cupy', got {_name!r}")

_floatx = "float32"


def name():
    """Return the name of the array module in use: ``'numpy'`` or ``'cupy'``."""
    return _name


def floatx():
    """Return the default float type as a string, ``'float32'`` unless changed.

    Examples
    --------
    >>> import learnet
    >>> learnet.backend.floatx()
    'float32'
    """
    return _floatx


def set_floatx(dtype):
    """Set the default float type (``'float16'``, ``'float32'`` or ``'float64'``)."""
    global _floatx
    dtype = numpy.dtype(dtype).name
    if dtype not in ("float16", "float32", "float64"):
        raise ValueError(f"set_floatx expects float16, float32 or float64, got {dtype!r}")
    _floatx = dtype


def to_numpy(array):
    """Return ``array`` as a NumPy array (a copy from the GPU under CuPy)."""
    if xp is numpy:
        return numpy.asarray(array)
    return xp.asnumpy(array)  # pragma: no cover - needs a GPU


# One generator seeds every random choice in learnet: initializers, dropout, shuffling.
_rng = numpy.random.default_rng()


def rng():
    """Return the global ``numpy.random.Generator`` that learnet draws from."""
    return _rng


def set_seed(seed):
    """Seed learnet's global random generator, so runs repeat exactly.

    Parameters
    ----------
    seed : int
        Any non-negative integer.
    """
    global _rng
    if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)) or seed < 0:
        raise ValueError(f"a seed must be a non-negative integer, got {seed!r}")
    _rng = numpy.random.default_rng(int(seed))


# --- Keras' `keras.backend` helpers that course code calls as `K.xxx` -------------------
_EPSILON = 1e-7
_session_reset_hooks = []


def epsilon():
    """The small constant that keeps logs and divisions finite (Keras' ``1e-7``)."""
    return _EPSILON


def set_epsilon(value):
    """Change the value of ``epsilon()``."""
    global _EPSILON
    _EPSILON = float(value)


def get_value(x):
    """The value of a tensor or variable as a NumPy array (``K.get_value``)."""
    return numpy.asarray(x.numpy() if hasattr(x, "numpy") else x)


def set_value(x, value):
    """Set a variable's value in place (``K.set_value(model.optimizer.lr, 0.01)``)."""
    if not hasattr(x, "assign"):
        raise TypeError(f"set_value expects a Variable, got {type(x).__name__}")
    x.assign(value)


def clear_session():
    """Forget global state: automatic layer names start again at ``dense``, ``dense_1``...

    Higher floors register what they need reset with ``on_clear_session``; this module
    knows nothing of them.
    """
    for hook in list(_session_reset_hooks):
        hook()


def on_clear_session(hook):
    """Register a function that ``clear_session`` calls."""
    if hook not in _session_reset_hooks:
        _session_reset_hooks.append(hook)
    return hook


def __getattr__(name):
    # Keras 2's tensor helpers (`K.sum`, `K.square`...) live above this floor, in
    # learnet.keras_backend; they are found there when asked for by name.
    if name.startswith("__"):
        raise AttributeError(name)
    import importlib

    helpers = importlib.import_module("learnet.keras_backend")
    if name in helpers.EXPORTS:
        return getattr(helpers, name)
    raise AttributeError(f"module 'learnet.backend' has no attribute {name!r}")
