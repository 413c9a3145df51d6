"""Floor 1: the array module, the default float type and the seeded random generator.

Every op reads arrays through ``xp`` from here, never by importing NumPy for array
math itself, so the whole library can run on another NumPy-compatible array module
(CuPy on a GPU). Choose it with an environment variable, before learnet is imported::

    LEARNET_BACKEND=cupy python train.py

or in the program, before any Variable (any layer's weights) exists::

    import learnet as tf
    tf.backend.set_backend("cupy")

The default is NumPy, which hands matrix products to its BLAS. Under CuPy every array
of a training step stays on the GPU; data given to ``fit`` as NumPy arrays is copied to
the GPU one batch at a time, and ``Tensor.numpy()`` (or ``to_numpy``) is the one explicit
copy back.
"""

import gc
import os
import sys

import numpy

_BACKENDS = ("numpy", "cupy")

xp = numpy
"""The array module in use: ``numpy``, or ``cupy`` once chosen."""

_name = "numpy"
_scatter_add = None  # cupyx.scatter_add under CuPy; NumPy uses numpy.add.at
_switch_guards = []  # functions of no argument naming what still holds arrays of the old module
_seed = None


def name():
    """Return the name of the array module in use: ``'numpy'`` or ``'cupy'``."""
    return _name


def set_backend(backend):
    """Choose the array module every op computes with: ``'numpy'`` (default) or ``'cupy'``.

    Switch before any Variable exists (before a model is built): weights live in the
    arrays of one module, and a model cannot mix them. ``LEARNET_BACKEND=cupy`` in the
    environment does the same when learnet is imported. The seeded generators start
    again from the last ``set_seed`` (fresh entropy if none was set).

    Parameters
    ----------
    backend : {'numpy', 'cupy'}

    Raises
    ------
    ValueError
        For another name; nothing changes.
    ImportError
        When ``'cupy'`` is asked for and CuPy is not installed; nothing changes.
    RuntimeError
        When Variables made with the other module still exist; nothing changes.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.backend.set_backend("numpy")
    >>> tf.backend.name()
    'numpy'
    >>> tf.backend.set_backend("jax")
    Traceback (most recent call last):
    ...
    ValueError: set_backend expects 'numpy' or 'cupy', got 'jax'
    """
    chosen = str(backend).strip().lower() if isinstance(backend, str) else backend
    if chosen not in _BACKENDS:
        raise ValueError(f"set_backend expects 'numpy' or 'cupy', got {backend!r}")
    if chosen == _name:
        return
    if chosen == "numpy":
        _use_module(numpy, None, "numpy")
        return
    try:
        import cupy
        import cupyx
    except ImportError as error:
        raise ImportError(
            "the 'cupy' backend needs CuPy: install the package for your CUDA version "
            "(for example `pip install cupy-cuda12x`), or use set_backend('numpy')"
        ) from error
    _use_module(cupy, cupyx.scatter_add, "cupy")


def _use_module(module, scatter_add, name, check=True):
    """Make ``module`` the array module (``xp``) of learnet; ``set_backend`` calls this.

    ``scatter_add(a, slices, values)`` adds in place with repeated indices summed
    (``cupyx.scatter_add``; ``None`` for NumPy's ``numpy.add.at``). Tests install a
    NumPy-backed stand-in for CuPy through this function; ``check=False`` skips the refusal
    under live Variables (a test's own clean-up, whatever earlier tests left alive).

    Modules of learnet that imported ``xp`` by name have it replaced here, so every op
    computes with the new module from its next call.
    """
    global xp, _name, _scatter_add
    if module is xp:
        _name, _scatter_add = name, scatter_add
        return
    if check:
        gc.collect()  # Variables of a finished model may wait in a reference cycle
    holders = [held for guard in _switch_guards for held in guard()] if check else []
    if holders:
        raise RuntimeError(
            f"set_backend({name!r}) must come before any Variable exists, but {len(holders)} still do "
            f"(for example {holders[0]!r}); choose the backend at the start of the program or with "
            "LEARNET_BACKEND"
        )
    old = xp
    for module_name, loaded in list(sys.modules.items()):
        if (module_name == "learnet" or module_name.startswith("learnet.")) and getattr(loaded, "xp", None) is old:
            loaded.xp = module
    xp, _name, _scatter_add = module, name, scatter_add
    _reseed()


def scatter_add(array, indices, values):
    """Add ``values`` to ``array[indices]`` in place; repeated indices add up.

    ``numpy.add.at`` on NumPy, ``cupyx.scatter_add`` on CuPy (whose ``add.at`` is not
    available on every version).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros(4)
    >>> scatter_add(a, np.array([1, 1, 3]), 1.0)
    >>> a
    array([0., 2., 0., 1.])
    """
    if _scatter_add is None:
        numpy.add.at(array, indices, values)
    else:
        _scatter_add(array, indices, values)


def on_host(array):
    """Whether ``array``'s values can be read without waiting for a GPU (a NumPy array).

    Checks of values (labels in range, no NaN) that would copy a device array back to the
    host in every step run only when this is true.
    """
    return isinstance(array, (numpy.ndarray, numpy.generic))


def _load_from_environment():
    chosen = os.environ.get("LEARNET_BACKEND", "numpy").strip().lower() or "numpy"
    if chosen not in _BACKENDS:
        raise ValueError(f"LEARNET_BACKEND must be 'numpy' or 'cupy', got {chosen!r}")
    if chosen == "cupy":
        try:
            set_backend("cupy")
        except ImportError as error:
            raise ImportError(
                "LEARNET_BACKEND=cupy was asked for, but CuPy is not installed; "
                "install cupy for your CUDA version (for example `pip install cupy-cuda12x`) or unset LEARNET_BACKEND"
            ) from error


_floatx = "float32"


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
    """Return ``array`` as a NumPy array (the one explicit copy from the GPU under CuPy)."""
    if xp is numpy:
        return numpy.asarray(array)
    return xp.asnumpy(array)


# One seed sets every random choice in learnet. Under NumPy one generator draws them all:
# initializers, dropout, shuffling. Under CuPy the generator of ``rng()`` lives on the GPU
# (dropout masks are drawn there) and a NumPy one, ``host_rng()``, draws what is chosen on
# the host: the order batches are shuffled in, the initial weights (made once, then copied).
_rng = numpy.random.default_rng()
_host_rng = _rng


def rng():
    """Return the global generator that learnet draws arrays from.

    A ``numpy.random.Generator`` under NumPy; ``cupy.random.Generator`` under CuPy, whose
    arrays stay on the GPU (it has ``random``, ``uniform``, ``integers`` and
    ``standard_normal``, not ``normal`` or ``permutation``).
    """
    return _rng


def host_rng():
    """Return the global ``numpy.random.Generator`` for choices made on the host.

    The same generator as ``rng()`` under NumPy, so seeded runs repeat exactly as before.
    """
    return _host_rng


def generator(seed=None):
    """A new generator of the backend's arrays, like ``rng()`` but with its own ``seed``."""
    if xp is numpy:
        return numpy.random.default_rng(seed)
    return xp.random.default_rng(seed)


def set_seed(seed):
    """Seed learnet's global random generator, so runs repeat exactly.

    Parameters
    ----------
    seed : int
        Any non-negative integer.
    """
    global _seed
    if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)) or seed < 0:
        raise ValueError(f"a seed must be a non-negative integer, got {seed!r}")
    _seed = int(seed)
    _reseed()


def _reseed():
    global _rng, _host_rng
    _host_rng = numpy.random.default_rng(_seed)
    _rng = _host_rng if xp is numpy else xp.random.default_rng(_seed)


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


# Looked up once per process: see blas_core.
_blas_core: list = []


def blas_core():
    """The name of the CPU kernel OpenBLAS runs NumPy's matrix products with, or None.

    OpenBLAS picks it when it loads, from the CPU (or ``OPENBLAS_CORETYPE``): "Haswell",
    "SkylakeX", "Zen"... Some choices depend on it (see ``learnet.ops.conv``). None when
    NumPy's BLAS is not OpenBLAS, when the backend is not NumPy, or when threadpoolctl (a
    dependency, which reads it) cannot be imported. Looked up once per process.

    Examples
    --------
    >>> blas_core() in (None, "Haswell", "SkylakeX", "Zen", "Sandybridge")  # doctest: +SKIP
    True
    """
    if not _blas_core:
        _blas_core.append(_find_blas_core())
    return _blas_core[0] if _name == "numpy" else None


def _find_blas_core():
    try:
        import threadpoolctl
    except ImportError:
        return None
    openblas = [lib for lib in threadpoolctl.threadpool_info() if lib.get("internal_api") == "openblas"]
    # Another library (SciPy, PyTorch) may have loaded its own OpenBLAS: NumPy's is in its folder.
    numpys = [lib for lib in openblas if "numpy" in os.path.dirname(lib.get("filepath") or "")]
    chosen = numpys or openblas
    return (chosen[0].get("architecture") or None) if chosen else None


# Once per process: see keep_freed_memory.
_memory_kept = [False]


def keep_freed_memory():
    """Ask the C allocator (glibc) to keep freed memory for the next step, once per process.

    Every training step allocates and frees the same large arrays (activations, patch
    matrices, gradients). By default glibc gives the freed top of its heap back to the
    system after each step and then faults every page of the next step's arrays in
    again: on the Fashion-MNIST convnet that was a third of the step's time (9,400 page
    faults, 26 ms of 76 ms per step; on another machine 7,700 faults, 86 ms against
    55 ms). Keeping up to 256 MiB of freed memory removes it; the resident memory then
    stays at its peak instead of dropping between steps. ``fit``, ``evaluate``,
    ``predict``, the ``*_on_batch`` methods and ``GradientTape.gradient`` (a custom
    training loop) call it. Nothing happens where the C library is not glibc.
    """
    if _memory_kept[0]:
        return
    _memory_kept[0] = True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl)
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    # Arrays up to 32 MiB (glibc's largest setting) come from the heap, which keeps
    # up to 256 MiB of freed memory instead of trimming it after every step.
    mallopt(m_mmap_threshold, 32 * 1024 * 1024)
    mallopt(m_trim_threshold, 256 * 1024 * 1024)


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


_load_from_environment()
