"""Optional compiled kernels for the memory-bound passes of a training step.

Matrix products already run at BLAS speed on every core. What is left of a step is
element-wise and memory-bound work (bias and ReLU, pooling, scattering patches back,
the optimizer's update), which plain NumPy does one pass per ufunc on one core. With
the ``fast`` extra (``pip install "learnet[fast]"``, which brings numba) these passes
are compiled once into fused loops (on ``LEARNET_NUM_THREADS`` threads, 1 by default:
fused, one thread already does the work of several NumPy passes).

The loops are built once, ahead of time, into one small extension module for the
machine they run on (``learnet.ops.compiled.aot``): a process that runs them loads that
module and never numba itself, whose compiler (LLVM) held about 130 MiB in every
process. A loop called with arguments it was not built for, or on more than one
thread, is compiled just in time by numba instead. Arrays of a type numba cannot
compile (float16, bfloat16) never reach it: a caller with a NumPy reference asks
``supports(*arrays)`` and runs that reference, and a loop given them anyway computes
on float32 copies and rounds its results back.

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
import importlib.util
import os
import types

import numpy

from ... import backend
from .. import parallel
from . import aot

_CHOICES = ("auto", "numba", "numpy")
_state = {"choice": None, "numba": None}


def _read_choice(value):
    choice = (value or "auto").strip().lower() or "auto"
    if choice not in _CHOICES:
        raise ValueError(f"LEARNET_KERNELS must be one of {', '.join(_CHOICES)}, got {value!r}")
    return choice


def available():
    """Whether the compiled kernels can run: numba is installed (the ``fast`` extra).

    This does not import numba: a process that finds the kernels built ahead of time
    (``learnet.ops.compiled.aot``) never needs it.
    """
    if _state["numba"] is None:
        _state["numba"] = importlib.util.find_spec("numba") is not None
        if _state["numba"]:
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
    count = parallel.num_threads()
    if count <= 1:  # without importing numba: the serial kernels may be built ahead of time
        return 1
    import numba

    return min(count, numba.config.NUMBA_NUM_THREADS)


def prange(*args):
    """``range`` in plain Python; in a compiled loop, numba's ``prange`` (a loop whose
    iterations the threads of a parallel kernel share; in a serial one, ``range``)."""
    return range(*args)


def _for_numba(function, qualname):
    """A copy of ``function`` for numba to compile: the loops it calls (``loop`` and
    ``kernel`` objects of its module) replaced by numba's compiled versions, ``prange`` by
    numba's. The loops are declared without importing numba; this runs at the first call."""
    import numba

    namespace = dict(function.__globals__)
    for name in function.__code__.co_names:  # the global names the loop reads
        value = namespace.get(name)
        if value is function:
            continue
        if isinstance(value, _Kernel):
            namespace[name] = value.serial.jit()
        elif isinstance(value, _Loop):
            namespace[name] = value.jit()
        elif value is prange:
            namespace[name] = numba.prange
    copy = types.FunctionType(
        function.__code__, namespace, function.__name__, function.__defaults__, function.__closure__
    )
    copy.__qualname__ = qualname  # numba caches compiled code under it
    copy.__module__ = function.__module__
    return copy


# The dtypes numba compiles loops for. float16 and bfloat16 are not among them: numba
# raises NotImplementedError for arrays of those.
_COMPILED_KINDS = "biuc"  # bool, integers, complex
_COMPILED_FLOATS = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))


def _compiles(dtype):
    return dtype.kind in _COMPILED_KINDS or dtype in _COMPILED_FLOATS


def supports(*values):
    """Whether a compiled loop can take these arrays and scalars as they are: every array
    and NumPy scalar among them is of a dtype numba compiles (bool, integers, float32,
    float64, complex), not float16 or bfloat16.

    A caller that has a NumPy reference checks this and runs the reference otherwise;
    a loop called with other dtypes anyway runs on float32 copies (see ``_run_widened``).

    Examples
    --------
    >>> import numpy as np
    >>> from learnet.ops import compiled
    >>> compiled.supports(np.zeros(2, np.float32), 1.5)
    True
    >>> compiled.supports(np.zeros(2, np.float16))
    False
    """
    return all(_compiles(value.dtype) for value in values if isinstance(value, (numpy.ndarray, numpy.generic)))


def _wider(dtype):
    """The float type a loop computes in for an array of ``dtype`` that numba does not compile."""
    return numpy.dtype(numpy.float32 if dtype.itemsize <= 4 else numpy.float64)


def _run_widened(loop, args):
    """Run ``loop`` on arguments some of which are of a dtype numba cannot compile (float16,
    bfloat16): each such array is copied to float32 (float64 if wider), each such scalar
    converted, the loop runs on the copies, and the arrays it writes are rounded back
    into the caller's arrays. This is what NumPy's own float16 arithmetic does (it
    computes each operation in float32 and rounds the result); a chain of operations
    inside one loop keeps float32 between them, so sums may differ from NumPy's float16
    ones in the last bit."""
    widened, written = [], []
    for index, value in enumerate(args):
        if isinstance(value, (numpy.ndarray, numpy.generic)) and not _compiles(value.dtype):
            try:
                copy = numpy.asarray(value).astype(_wider(value.dtype))
            except (TypeError, ValueError):
                raise TypeError(
                    f"compiled loop {loop.qualname}: cannot compute with arrays of dtype {value.dtype}"
                ) from None
            if isinstance(value, numpy.ndarray):
                if index not in loop.reads and value.flags.writeable:
                    written.append((value, copy))
            else:
                copy = copy[()]  # a scalar stays a scalar
            value = copy
        widened.append(value)
    result = loop(*widened)
    for original, copy in written:
        numpy.copyto(original, copy, casting="unsafe")
    return result


class _Loop:
    """A loop compiled by numba: built ahead of time when it names its ``signatures``
    (``learnet.ops.compiled.aot``), else, or for arguments no signature matches,
    compiled just in time at its first call (``numba.njit(**options)``)."""

    def __init__(self, function, options, signatures=(), qualname=None, reads=()):
        self.function = function
        self.options = options
        self.qualname = qualname or function.__qualname__
        self.signatures = tuple(signatures)
        module = function.__module__.rsplit(".", 1)[-1]
        key = f"{module}_{self.qualname}".replace(".", "_")
        self._exports = [(f"{key}__{i}", aot.parse_signature(s, reads)) for i, s in enumerate(self.signatures)]
        self._jit = None
        self.reads = tuple(reads)
        if self.signatures:
            aot.register(self)
        functools.update_wrapper(self, function)

    def exports(self):
        """``(name, signature)`` of each function the ahead-of-time module exports for this loop."""
        return [(name, signature) for (name, _), signature in zip(self._exports, self.signatures)]

    def for_numba(self):
        return _for_numba(self.function, self.qualname)

    def jit(self):
        """numba's just-in-time compiled version (compiled at its first call)."""
        if self._jit is None:
            import numba

            self._jit = numba.njit(**self.options)(self.for_numba())
        return self._jit

    def __call__(self, *args):
        if self._exports:
            library = aot.library()
            if library is not None:
                for name, match in self._exports:
                    converted = match(*args)
                    built = None if converted is None else getattr(library, name, None)
                    if built is not None:  # (a module built from other sources lacks it)
                        return built(*converted)
        if not supports(*args):
            return _run_widened(self, args)
        return self.jit()(*args)


def loop(signatures=(), reads=(), **options):
    """Declare a serial loop for numba (``options`` go to ``numba.njit``), built ahead of time
    for ``signatures`` (see ``learnet.ops.compiled.aot``); ``reads`` are the positions of the
    arrays it only reads, which may then be read-only. Declaring it imports nothing.

    Examples
    --------
    >>> from learnet.ops import compiled
    >>> @compiled.loop(cache=False)
    ... def triple(a):
    ...     for i in range(a.size):
    ...         a[i] *= 3
    >>> a = numpy.ones(2)
    >>> triple(a)
    >>> a
    array([3., 3.])
    """

    def decorate(function):
        return _Loop(function, options, signatures, reads=reads)

    return decorate


class _Kernel:
    """A loop compiled twice by numba: serial, and parallel over its ``prange`` loops.

    Called, it runs the serial version when ``threads()`` is 1 (the default) and the
    parallel one on ``threads()`` threads otherwise. The serial version is built ahead of
    time for its ``signatures`` (``learnet.ops.compiled.aot``), and never starts numba's
    threading layer: on Linux that layer is GNU OpenMP, and a process forked after OpenMP
    started (a data-loading worker, a test's crash-safety child) is killed by libgomp as
    soon as it enters a parallel loop. With ``LEARNET_NUM_THREADS`` above 1 that hazard is
    back, as with any OpenMP program.
    """

    def __init__(self, function, options, signatures=(), reads=()):
        # The serial version is cached under another name: the two must not share an entry.
        self.serial = _Loop(function, options, signatures, qualname=function.__qualname__ + "_serial", reads=reads)
        self.parallel = _Loop(function, {**options, "parallel": True}, reads=reads)
        functools.update_wrapper(self, function)

    def __call__(self, *args):
        count = threads()
        if count <= 1:
            return self.serial(*args)
        import numba

        if numba.get_num_threads() != count:
            numba.set_num_threads(count)
        return self.parallel(*args)


def kernel(signatures=(), reads=(), **options):
    """Compile a loop with ``prange`` both ways (see ``_Kernel``); ``options`` go to ``numba.njit``,
    and the serial version is built ahead of time for ``signatures``.

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
        return _Kernel(function, options, signatures, reads)

    return decorate
