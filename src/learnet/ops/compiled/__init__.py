"""Optional compiled kernels for the memory-bound passes of a training step.

Matrix products already run at BLAS speed on every core. What is left of a step is
element-wise and memory-bound work (bias and ReLU, pooling, scattering patches back,
the optimizer's update), which plain NumPy does one pass per ufunc on one core. With
the ``fast`` extra (``pip install "learnet[fast]"``, which brings numba) these passes
are compiled once into fused loops (on ``LEARNET_NUM_THREADS`` threads, 1 by default:
fused, one thread already does the work of several NumPy passes).

The plain NumPy code stays the readable reference: every compiled kernel sits beside
the NumPy function it replaces, and the tests check the two against each other. The
choice is made by ``LEARNET_KERNELS`` (``auto``, ``numba`` or ``numpy``; ``auto``, the
default, takes numba when it is installed and the backend is NumPy) or at run time by
``set_kernels``.

Examples
--------
>>> from learnet.ops import compiled
>>> compiled.set_kernels("numpy")
>>> compiled.enabled()
False
>>> compiled.set_kernels("auto")
"""

import functools
import os
import types

import numpy

from ... import backend
from .. import parallel

_CHOICES = ("auto", "numba", "numpy")
_state = {"choice": None, "numba": None}


def _read_choice(value):
    choice = (value or "auto").strip().lower() or "auto"
    if choice not in _CHOICES:
        raise ValueError(f"LEARNET_KERNELS must be one of {', '.join(_CHOICES)}, got {value!r}")
    return choice


def available():
    """Whether numba can be imported (the ``fast`` extra is installed)."""
    if _state["numba"] is None:
        try:
            import numba  # noqa: F401
        except ImportError:
            _state["numba"] = False
        else:
            _state["numba"] = True
            # The kernels' OpenMP threads sleep as soon as a kernel ends instead of spinning:
            # spinning, they kept the cores from the BLAS threads of the next matrix product
            # (a convnet step 1.25x slower than NumPy's instead of 0.8x). numba loads OpenMP
            # at its first parallel kernel, after this; a policy the user set is kept.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return _state["numba"]


def kernels():
    """The kernels chosen: ``'auto'``, ``'numba'`` or ``'numpy'``."""
    if _state["choice"] is None:
        _state["choice"] = _read_choice(os.environ.get("LEARNET_KERNELS"))
    return _state["choice"]


def set_kernels(name):
    """Choose the kernels at run time: ``'auto'``, ``'numba'`` or ``'numpy'``.

    ``'numba'`` without numba installed raises ``ImportError`` naming the extra, and
    changes nothing.
    """
    choice = _read_choice(name)
    if choice == "numba" and not available():
        raise ImportError('set_kernels("numba") needs numba: pip install "learnet[fast]"')
    _state["choice"] = choice


def enabled():
    """Whether the compiled kernels run now (numba chosen or ``auto``, numba installed,
    arrays on the NumPy backend)."""
    choice = kernels()
    if choice == "numpy" or backend.xp is not numpy:
        return False
    if choice == "numba" and not available():
        raise ImportError('LEARNET_KERNELS=numba needs numba: pip install "learnet[fast]"')
    return available()


def threads():
    """The threads a compiled kernel runs on: ``learnet.ops.parallel.num_threads()``
    (``LEARNET_NUM_THREADS``, 1 by default), at most the size of numba's pool."""
    import numba

    return min(parallel.num_threads(), numba.config.NUMBA_NUM_THREADS)


class _Kernel:
    """A loop compiled twice by numba: serial, and parallel over its ``prange`` loops.

    Called, it runs the serial version when ``threads()`` is 1 (the default) and the
    parallel one on ``threads()`` threads otherwise. The serial version never starts
    numba's threading layer: on Linux that layer is GNU OpenMP, and a process forked
    after OpenMP started (a data-loading worker, a test's crash-safety child) is killed
    by libgomp as soon as it enters a parallel loop. With ``LEARNET_NUM_THREADS`` above 1
    that hazard is back, as with any OpenMP program.
    """

    def __init__(self, function, options):
        import numba

        # A renamed copy: numba caches compiled code under the function's qualified name,
        # and the two versions must not share a cache entry.
        serial = types.FunctionType(
            function.__code__, function.__globals__, function.__name__, function.__defaults__, function.__closure__
        )
        serial.__qualname__ = function.__qualname__ + "_serial"
        serial.__module__ = function.__module__
        self.serial = numba.njit(**options)(serial)
        self.parallel = numba.njit(parallel=True, **options)(function)
        functools.update_wrapper(self, function)

    def __call__(self, *args):
        count = threads()
        if count <= 1:
            return self.serial(*args)
        import numba

        if numba.get_num_threads() != count:
            numba.set_num_threads(count)
        return self.parallel(*args)


def kernel(**options):
    """Compile a loop with ``prange`` both ways (see ``_Kernel``); ``options`` go to ``numba.njit``.

    Examples
    --------
    >>> from learnet.ops import compiled
    >>> @compiled.kernel(cache=False)
    ... def double(a):
    ...     for i in range(a.size):
    ...         a[i] *= 2
    >>> a = numpy.ones(3)
    >>> double(a)
    >>> a
    array([2., 2., 2.])
    """

    def decorate(function):
        return _Kernel(function, options)

    return decorate
