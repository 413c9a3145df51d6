"""The compiled kernels, built once ahead of time into one extension module.

A kernel compiled just in time by numba costs every process that runs it numba's
compiler: importing numba loads LLVM (about 50 MiB), and the compiled code loaded from
numba's cache sits in LLVM's JIT (50 MiB more for learnet's kernels). Built ahead of
time (``numba.pycc``) the same loops are one ordinary extension module of about 1 MiB,
and a process that imports it never imports numba at all.

How it goes:

- Each loop that can be built ahead of time names its signatures where it is declared
  (``compiled.loop(signatures=...)``), one per dtype and memory layout it is called
  with: ``"void(f4[:, ::1], f4[::1], b1)"`` (numba's notation: ``f4`` float32, ``i8``
  int64, ``b1`` bool, ``[:, ::1]`` a C-contiguous 2-D array, ``[:, :]`` any 2-D array).
- The first process that needs a kernel builds the module in a child process
  (``python -m learnet.ops.compiled.aot FOLDER NAME``), for this machine's CPU, into
  the package's ``__pycache__`` folder beside this file (``$LEARNET_HOME/kernels`` where
  that is read-only). Its name holds a hash of the
  kernels' source, numba's version, Python's and the CPU's: a change to any of them
  builds a new one. Every later process only loads it.
- A call runs the built loop when its arguments match one of the signatures exactly
  (dtype, number of dimensions, contiguity, writable; scalars of the stated type), and
  else the same loop compiled just in time: a compiled loop given memory of another
  type would read it wrongly, so nothing is converted on the way in. Types numba
  cannot compile at all (float16, bfloat16) go neither way: see
  ``learnet.ops.compiled.supports``.
- If the build fails (no C compiler, a numba without ``pycc``), a file
  ``NAME.failed`` beside it says why, no process tries again until it is deleted, and
  the kernels are compiled just in time as before. ``LEARNET_AOT=0`` turns the
  ahead-of-time module off.

Examples
--------
>>> from learnet.ops.compiled import aot
>>> spec = aot.parse_signature("void(f4[:, ::1], i8, b1)")
>>> import numpy as np
>>> converted = spec(np.zeros((2, 3), np.float32), 4, True)
>>> [type(value).__name__ for value in converted]
['ndarray', 'int', 'bool']
>>> spec(np.zeros((2, 3), np.float64), 4, True) is None   # another dtype: not this signature
True
"""

import hashlib
import importlib.metadata
import importlib.util
import os
import pathlib
import platform
import subprocess
import sys
import sysconfig
import tempfile
import warnings

import numpy

# The loops declared with signatures, in the order their modules declare them.
_LOOPS: list = []
# The modules that declare them: the build imports these.
KERNEL_MODULES = ("learnet.ops.compiled.conv", "learnet.ops.compiled.dense", "learnet.ops.compiled.update")
_state = {"library": None, "tried": False, "enabled": None}

_DTYPES = {
    "f4": numpy.dtype(numpy.float32),
    "f8": numpy.dtype(numpy.float64),
    "i1": numpy.dtype(numpy.int8),
    "i4": numpy.dtype(numpy.int32),
    "i8": numpy.dtype(numpy.int64),
    "b1": numpy.dtype(numpy.bool_),
}


def enabled():
    """Whether the ahead-of-time module is used: ``set_enabled``'s choice, else
    ``LEARNET_AOT`` (on unless ``0``)."""
    if _state["enabled"] is not None:
        return _state["enabled"]
    return os.environ.get("LEARNET_AOT", "1").strip().lower() not in ("0", "false", "no", "off")


def set_enabled(flag):
    """Use the ahead-of-time module (True), compile every loop just in time (False), or
    follow ``LEARNET_AOT`` again (None). The tests run the kernels both ways."""
    _state["enabled"] = None if flag is None else bool(flag)


def register(loop):
    """Add a loop that names its signatures to the module's build list."""
    _LOOPS.append(loop)


def variants(template, **choices):
    """Every signature ``template`` gives with each combination of ``choices``.

    >>> variants("void({T}[::1], {T})", T=("f4", "f8"))
    ['void(f4[::1], f4)', 'void(f8[::1], f8)']
    """
    combinations = [{}]
    for key, options in choices.items():
        combinations = [{**done, key: option} for done in combinations for option in options]
    return [template.format(**combination) for combination in combinations]


def _split_arguments(text):
    """``"f4[:, ::1], i8"`` -> ``["f4[:, ::1]", "i8"]``: commas inside brackets do not split."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        depth += {"[": 1, "]": -1}.get(char, 0)
        current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def _argument_check(text, read_only=False):
    """A function taking one argument and returning it as the compiled code takes it,
    or ``_NO`` when it is not of the type ``text`` names. An array the loop writes must be
    writable; one it only reads (``read_only``) may be a read-only view (a gradient often is)."""
    if "[" in text:
        code, dims = text.split("[", 1)
        dims = _split_arguments(dims.rstrip("]"))
        dtype, ndim, contiguous = _DTYPES[code.strip()], len(dims), dims[-1].replace(" ", "") == "::1"

        def check_array(value):
            if (
                isinstance(value, numpy.ndarray)
                and value.dtype == dtype
                and value.ndim == ndim
                and (read_only or value.flags.writeable)
                and value.flags.aligned
                and (value.flags.c_contiguous or not contiguous)
            ):
                return value
            return _NO

        return check_array
    if text == "b1":
        return lambda value: bool(value) if isinstance(value, (bool, numpy.bool_)) else _NO
    if text in ("i8", "i4"):

        def check_integer(value):
            if isinstance(value, (int, numpy.integer)) and not isinstance(value, (bool, numpy.bool_)):
                return int(value)
            return _NO

        return check_integer
    scalar = _DTYPES[text].type
    return lambda value: value if type(value) is scalar else _NO


_NO = object()


def parse_signature(signature, reads=()):
    """A checker for a numba signature ``"void(ARG, ...)"``: called with the arguments, it
    returns them as the compiled function takes them, or None if any does not match.
    ``reads``: the positions of the arrays the loop only reads (they may be read-only)."""
    inner = signature.strip()
    if not (inner.startswith("void(") and inner.endswith(")")):
        raise ValueError(f"a kernel's signature must be 'void(...)', got {signature!r}")
    parts = _split_arguments(inner[len("void(") : -1])
    checks = [_argument_check(part, index in reads) for index, part in enumerate(parts)]
    count = len(checks)

    def match(*args):
        if len(args) != count:
            return None
        converted = []
        for check, value in zip(checks, args):
            value = check(value)
            if value is _NO:
                return None
            converted.append(value)
        return converted

    return match


def _cpu():
    """What names this machine's CPU for the build (the module is built for its instruction set)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            lines = [line for line in info if line.startswith(("model name", "flags"))][:2]
        if lines:
            return "".join(lines)
    except OSError:
        pass
    return platform.processor() + platform.machine()


def module_name():
    """The extension module's name: a hash of everything the built code depends on."""
    digest = hashlib.sha256()
    folder = pathlib.Path(__file__).parent
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    try:
        numba_version = importlib.metadata.version("numba")
    except importlib.metadata.PackageNotFoundError:
        numba_version = "none"
    for part in (numba_version, numpy.__version__, sys.version, platform.machine(), _cpu()):
        digest.update(part.encode())
    return "learnet_kernels_" + digest.hexdigest()[:16]


def folder():
    """Where the built module is kept: beside these files, in ``__pycache__`` (where numba
    keeps its cache too), so every process of this installation shares it; where that
    cannot be written, ``$LEARNET_HOME/kernels`` (``~/.learnet/kernels``)."""
    beside = pathlib.Path(__file__).parent / "__pycache__"
    try:
        beside.mkdir(exist_ok=True)
    except OSError:
        pass
    if os.access(beside, os.W_OK):
        return beside
    home = os.environ.get("LEARNET_HOME") or os.path.join(os.path.expanduser("~"), ".learnet")
    return pathlib.Path(home) / "kernels"


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def library():
    """The built module, building it first if this machine has none yet; None if off or
    if it cannot be built (then the kernels are compiled just in time)."""
    if not enabled():
        return None
    if _state["tried"]:
        return _state["library"]
    _state["tried"] = True
    name = module_name()
    where = folder()
    path = where / (name + sysconfig.get_config_var("EXT_SUFFIX"))
    failed = where / (name + ".failed")
    if not path.exists() and not failed.exists():
        _build_in_child(where, name, failed)
        if path.exists():
            _remove_stale(where, path)
    if path.exists():
        try:
            _state["library"] = _load(path, name)
        except ImportError as error:  # a damaged file: compile just in time, and say so
            warnings.warn(f"learnet's compiled kernels in {path} could not be loaded ({error})", stacklevel=2)
    return _state["library"]


def _remove_stale(where, current):
    """Remove the modules built from older sources for this same Python (one file each, ~1 MiB)."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    for stale in where.glob("learnet_kernels_*" + suffix):
        if stale != current:
            try:
                stale.unlink()
            except OSError:  # in use or read-only: left for another time
                pass


def build_command(where, name):
    """The command that builds the module ``name`` into ``where`` in a child process."""
    return [sys.executable, "-m", "learnet.ops.compiled.aot", str(where), name]


def _build_in_child(where, name, failed):
    where.mkdir(parents=True, exist_ok=True)
    command = build_command(where, name)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        message = str(error)
    else:
        if done.returncode == 0:
            return
        message = (done.stderr or done.stdout)[-4000:]
    failed.write_text(message, encoding="utf-8")
    warnings.warn(
        f"learnet could not build its compiled kernels ahead of time; they are compiled just in time "
        f"instead (the reason is in {failed}; delete it to try again)",
        stacklevel=3,
    )


def build(where, name):
    """Build every registered loop into the extension module ``name`` in the folder ``where``.

    Runs in its own process (it imports numba); the module is written to a temporary
    name and renamed, so a process never loads half a file.
    """
    import llvmlite.binding
    import numba.pycc.compiler
    from numba.pycc import CC

    for module in KERNEL_MODULES:
        __import__(module)
    where = pathlib.Path(where)
    options = {}  # each loop's numba options, by the function object pycc compiles
    with tempfile.TemporaryDirectory(dir=where) as scratch:
        cc = CC(name)
        cc.output_dir = scratch
        cc.target_cpu = llvmlite.binding.get_host_cpu_name()
        cc.verbose = False
        for loop in _LOOPS:
            function = loop.for_numba()
            options[function] = loop.options
            for export, signature in loop.exports():
                cc.export(export, signature)(function)
        # pycc compiles every function with numba's default flags; each loop's own
        # error_model and fastmath are what let LLVM vectorize it (with error_model
        # "python" a division checks for zero: RMSprop's update ran 3x slower).
        default_compile = numba.pycc.compiler.compile_extra

        def compile_with_options(typing, target, function, args, return_type, flags, **kwargs):
            flags = flags.copy()
            chosen = options.get(function, {})
            if "error_model" in chosen:
                flags.error_model = chosen["error_model"]
            if "fastmath" in chosen:
                flags.fastmath = numba.core.cpu.FastMathOptions(chosen["fastmath"])
            return default_compile(typing, target, function, args, return_type, flags, **kwargs)

        numba.pycc.compiler.compile_extra = compile_with_options
        try:
            cc.compile()
        finally:
            numba.pycc.compiler.compile_extra = default_compile
        (built,) = pathlib.Path(scratch).glob(name + "*")
        os.replace(built, where / (name + sysconfig.get_config_var("EXT_SUFFIX")))


if __name__ == "__main__":
    # Run as a script this file is ``__main__``; the kernel modules register their loops
    # with the imported module, so the build runs there.
    from learnet.ops.compiled import aot

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        aot.build(sys.argv[1], sys.argv[2])
