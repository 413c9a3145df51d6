"""Floor 2: ``GradientTape`` and ``primitive``, the two halves of backpropagation.

The forward pass: every op is a ``primitive``. When a tape is recording and one of
the op's inputs is watched, the op leaves a note on the tape: its inputs, its output
and a function that carries a gradient back from the output to the inputs.

The backward pass: ``tape.gradient`` walks those notes in reverse order (the chain
rule, one op at a time), summing the gradients of a tensor that was used several times.

With no tape recording, an op is one NumPy call plus a few attribute reads: no note
is made and nothing is kept alive.
"""

import collections
import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any

from learnet import backend, errors, tree
from learnet.backend import xp
from learnet.tensor import Tensor, Variable, is_float, to_array
from learnet.warn import warn

# The tapes recording right now, innermost last. A plain list: checking it is the
# whole cost of autodiff for an op run outside any tape. Other modules read and change
# it only through ``is_recording`` and ``no_recording``.
_recording: list["GradientTape"] = []


def is_recording() -> bool:
    """True while at least one ``GradientTape`` is recording.

    A backward written for both first and higher orders asks it to choose its path:
    with no tape recording the backward pass itself, no second derivative can be
    asked of it, so plain array arithmetic is enough (see ``primitive``).

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.tape import is_recording
    >>> is_recording()
    False
    >>> with tf.GradientTape():
    ...     is_recording()
    True
    """
    return bool(_recording)


@contextlib.contextmanager
def no_recording() -> Iterator[None]:
    """Run a block with no ``GradientTape`` recording (every tape pauses; all resume after).

    Inference and shape probes run inside it, so they build no graph even when called
    from within a user's ``with GradientTape():`` block.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.tape import is_recording, no_recording
    >>> with tf.GradientTape():
    ...     with no_recording():
    ...         print(is_recording())
    False
    """
    saved = list(_recording)
    _recording[:] = []
    try:
        yield
    finally:
        _recording[:] = saved


# TensorFlow warns once that asking a persistent tape for a gradient inside its context
# records the backward pass too (slower); so does learnet (see GradientTape.gradient).
_warned_inside_context = False

# Extension types (``learnet.extension_type``) set this when a function is registered for the
# ops called with them: ``dispatch_hook(op, args, kwargs)`` returns what that function returns,
# or ``NotImplemented``. An op asks only on its slow path, where an argument is not yet a Tensor,
# so calls on ordinary tensors pay nothing.
dispatch_hook: Callable | None = None

# How many tf.function bodies are running now (``control.as_in_function`` counts them).
# Inside one, TensorFlow runs only the ops its outputs need: an op whose result is never used
# is pruned from the graph, and an error it would raise at run time (an index out of range,
# which no shape check can see) never happens. learnet runs the body eagerly, so there such
# an op gives an ``UnusedOpError`` tensor instead of raising: the first use of it raises the
# op's error.
function_depth = [0]


class UnusedOpError(Tensor):
    """What an op gives inside a ``tf.function`` where it fails at run time (an index out of
    range): TensorFlow would have pruned it if its result went unused. An op given it gives
    another (TensorFlow prunes that op too when its result goes unused); the value read in
    any other way (``numpy()``, Python arithmetic or ``if``, a variable assigned it, the
    function returning it) raises the op's error.

    Examples
    --------
    >>> import learnet as tf
    >>> @tf.function
    ... def unused(x):
    ...     tf.gather(x, [1])  # pruned by TensorFlow: its error never happens
    ...     return x
    >>> unused(tf.constant([0.0]))
    <learnet.Tensor: shape=[1], dtype=float32, numpy=[0.]>
    """

    __slots__ = ("_error",)

    def __init__(self, error):  # noqa: D107 - no Tensor.__init__: there is no value
        self._error = error

    @property
    def _value(self):
        raise self._error.with_traceback(self._error.__traceback__)

    def __repr__(self):
        return f"<UnusedOpError: {self._error}>"


def _unused_or_raise(error):
    """The ``UnusedOpError`` an op gives for ``error`` inside a tf.function; outside, ``error`` raised."""
    if not function_depth[0]:
        raise error
    return UnusedOpError(error)


# Names of the blocks (layers) running right now, outermost first; a recorded op
# carries the innermost one, so a drawing of the tape can group a layer's ops.
_scopes: list[str] = []


class _Note:
    """One recorded op: what came in, what came out, and how to go back."""

    __slots__ = ("name", "inputs", "output", "backward", "higher_order", "forward", "scope", "call")

    def __init__(self, name, inputs, output, backward, higher_order, forward=None, call=None):
        self.name = name
        self.inputs = inputs
        self.output = output
        self.backward = backward
        self.higher_order = higher_order
        self.forward = forward
        self.scope = _scopes[-1] if _scopes else None
        self.call = call  # (op, options, keyword options): how a primitive was called, to run it again


def _record(name, inputs, output, backward, higher_order, forward=None, call=None, complex_aware=True):
    note = None
    for tape in _recording:
        watched = tape._watched
        hit = False
        for tensor in inputs:
            if id(tensor) in watched:
                hit = True
            elif tape._watch_accessed_variables and type(tensor) is Variable and tensor._watched_by_tapes:
                tape._watch(tensor)
                hit = True
        if hit:
            if note is None:
                if not complex_aware and output._value.dtype.kind == "c":
                    backward = _conjugated(backward, higher_order)
                note = _Note(name, inputs, output, backward, higher_order, forward, call)
            tape._notes.append(note)
            watched[id(output)] = output


def record_op(name: str, inputs: tuple, output: Tensor, backward: Callable, higher_order: bool = True) -> None:
    """Record one op on every recording tape that watches one of its ``inputs``.

    ``primitive`` does this for every op; code that builds an op by hand (such as
    ``tf.custom_gradient``) calls it with the same ``backward`` contract.
    """
    if _recording:
        _record(name, tuple(inputs), output, backward, higher_order)


class _VariablesOnly(dict):
    """A listener's watched set: the variables handed to its ``_watch``, and nothing else.

    ``_record`` adds every output of an op a tape watches; a listener only wants the
    variables read, so it keeps no output alive (a ``tf.function`` looping over a whole
    epoch would otherwise keep every activation of the epoch).
    """

    def __setitem__(self, key, value):
        if isinstance(value, Variable):
            super().__setitem__(key, value)


class _VariableListener:
    """Stands in for the tapes while a block runs: the Variables created trainable that ops read are watched,
    so ``_record`` hands each to ``_watch`` once, in the order they are first read."""

    _watch_accessed_variables = True

    def __init__(self) -> None:
        self._watched: dict = _VariablesOnly()
        self._notes: list = []
        self.read: list = []

    def _watch(self, tensor: Any) -> None:
        self._watched[id(tensor)] = tensor
        self.read.append(tensor)


@contextlib.contextmanager
def variables_read() -> Iterator[list]:
    """Run a block with no tape recording and collect the trainable Variables its ops read.

    ``tf.custom_gradient`` uses it to hand a gradient function the variables its
    forward pass used.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.tape import variables_read
    >>> w = tf.Variable(2.0)
    >>> with variables_read() as read:
    ...     y = w * 3.0
    >>> [v is w for v in read]
    [True]
    """
    saved = list(_recording)
    listener = _VariableListener()
    _recording[:] = [listener]  # type: ignore[list-item]
    try:
        yield listener.read
    finally:
        _recording[:] = saved


def primitive(
    function: Callable | None = None,
    *,
    inputs: int | None = None,
    variadic: bool = False,
    higher_order: bool = True,
    same_float_dtype: bool = False,
    complex_aware: bool = False,
    single_as_list: bool = False,
) -> Any:
    """Turn a function ``forward(*arrays, **options) -> (result, backward)`` into an op.

    The forward receives plain arrays and returns its result next to ``backward``,
    a function ``backward(g, *inputs, output)`` that returns the gradient for each
    input (one value, or a tuple with one entry per input; ``None`` where an input gets
    no gradient). ``g`` is the gradient of the output.

    * ``higher_order=True`` (default): the backward receives ``g``, the inputs and the
      output as Tensors and is written with learnet ops, so a second, outer tape can
      differentiate it again (second derivatives for free).
    * ``higher_order=False`` (fused kernels): the backward receives plain arrays and
      returns plain arrays. For second derivatives it may carry a differentiable twin,
      an attribute ``backward.higher_order_backward(g, *inputs, output)`` that takes
      and returns Tensors and is written with learnet ops: the tape calls it instead of
      the kernel only when an outer tape records the backward pass (a nested
      ``GradientTape``), so the ordinary training step keeps the fused kernel. Without
      a twin, asking for a second derivative through the op raises.
    * ``higher_order=True`` with a fast path: the backward receives Tensors as in the
      first mode, but first asks ``is_recording()``. When no tape records the backward
      pass (the usual training step), no second derivative can be wanted, so it
      computes on the raw arrays (``g._value``) and returns plain arrays, skipping the
      per-op cost of learnet ops; when a tape records, it uses learnet ops as in the
      first mode. The fused dense kernel and dropout are written this way.

    An entry of the returned gradients may be a function of no arguments: the tape
    calls it only when that input needs a gradient, which skips expensive work (the
    gradient of a network's input images, say).

    Parameters
    ----------
    inputs : int, optional
        How many leading positional arguments are tensors; the rest (axes, shapes) are
        options. By default, the parameters without a default value.
    variadic : bool
        The first argument is a list of tensors (``concat``, ``stack``).
    same_float_dtype : bool
        A two-input op that, like TensorFlow's, refuses two tensors of different float
        dtypes (``float32`` and ``float64``) with ``tf.errors.InvalidArgumentError``.
        Python numbers and NumPy arrays beside a tensor still take its dtype.
    complex_aware : bool
        The backward already follows TensorFlow's rule for complex numbers (see
        ``_conjugated``). By default a backward is written as for real numbers, the
        derivative times ``g``, and the tape conjugates around it when the op's output
        is complex; ops that are not analytic (``tf.complex``) or that write their
        adjoint directly (the Fourier transforms) say ``complex_aware=True``.
    single_as_list : bool
        A variadic op given one tensor or array takes it as a list of one (``tf.concat``).

    Examples
    --------
    >>> @primitive
    ... def cube(x):
    ...     return x ** 3, lambda g, x, y: g * 3 * x * x
    """
    if function is None:
        return functools.partial(
            primitive,
            inputs=inputs,
            variadic=variadic,
            higher_order=higher_order,
            same_float_dtype=same_float_dtype,
            complex_aware=complex_aware,
            single_as_list=single_as_list,
        )

    if inputs is None:
        parameters = inspect.signature(function).parameters.values()
        inputs = sum(
            1
            for p in parameters
            if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        )
    n_inputs = inputs
    name = function.__name__
    # TensorFlow code names the tensors too (tf.nn.relu(features=x), tf.reduce_sum(input_tensor=x)):
    # the op takes them by the function's own parameter names as well as by position.
    tensor_names = [p.name for p in list(inspect.signature(function).parameters.values())[: max(n_inputs, 1)]]
    # TensorFlow's ops take name="..." (a label in its graph): accepted here and dropped
    # where the function has no use for it.
    drop_name = _drops_name(function)

    if variadic:

        @functools.wraps(function)
        def op(values, *args, **kwargs):
            if drop_name and kwargs:
                kwargs.pop("name", None)
            if dispatch_hook is not None:
                result = dispatch_hook(op, (values, *args), kwargs)
                if result is not NotImplemented:
                    return result
            if single_as_list and isinstance(values, (Tensor, xp.ndarray)):
                values = [values]  # tf.concat(tensor, axis): one tensor is a list of one
            if isinstance(values, Tensor) or not hasattr(values, "__len__"):
                raise TypeError(f"{name} expects a list of tensors, got {type(values).__name__}")
            try:
                tensors = _convert_all(list(values), name)
                result, backward = function([t._value for t in tensors], *args, **kwargs)
            except errors.IndexOutOfRangeError as error:
                return _unused_or_raise(error)
            output = Tensor._wrap(result)
            if _recording:
                _record(
                    name,
                    tuple(tensors),
                    output,
                    backward,
                    higher_order,
                    lambda *arrays: function(list(arrays), *args, **kwargs)[0],
                    (op, args, kwargs),
                    complex_aware,
                )
            return output
    elif n_inputs == 1:

        @functools.wraps(function)
        def op(x=_MISSING, *args, **kwargs):
            if drop_name and kwargs:
                kwargs.pop("name", None)
            if x is _MISSING:
                (x,) = _tensors_by_name(kwargs, tensor_names, name)
            if type(x) is not Tensor and not isinstance(x, Tensor):
                if dispatch_hook is not None:
                    result = dispatch_hook(op, (x, *args), kwargs)
                    if result is not NotImplemented:
                        return result
                x = pack(x) if holds_tensors(x) else Tensor(x)
            try:
                result, backward = function(x._value, *args, **kwargs)
            except errors.IndexOutOfRangeError as error:
                return _unused_or_raise(error)
            output = Tensor._wrap(result)
            if _recording:
                _record(
                    name,
                    (x,),
                    output,
                    backward,
                    higher_order,
                    lambda a: function(a, *args, **kwargs)[0],
                    (op, args, kwargs),
                    complex_aware,
                )
            return output
    elif n_inputs == 2:

        @functools.wraps(function)
        def op(x=_MISSING, y=_MISSING, *args, **kwargs):
            if drop_name and kwargs:
                kwargs.pop("name", None)
            if y is _MISSING:
                x, y = _tensors_by_name(kwargs, tensor_names, name, given=(x,))
            both_tensors = isinstance(x, Tensor) and isinstance(y, Tensor)
            if not both_tensors and dispatch_hook is not None:
                result = dispatch_hook(op, (x, y, *args), kwargs)
                if result is not NotImplemented:
                    return result
            try:
                if not both_tensors:
                    x, y = _convert_all((x, y), name)
                elif same_float_dtype and x._value.dtype is not y._value.dtype:
                    _check_same_float_dtype(name, x._value.dtype, y._value.dtype)
                result, backward = function(x._value, y._value, *args, **kwargs)
            except errors.IndexOutOfRangeError as error:
                return _unused_or_raise(error)
            output = Tensor._wrap(result)
            if _recording:
                _record(
                    name,
                    (x, y),
                    output,
                    backward,
                    higher_order,
                    lambda a, b: function(a, b, *args, **kwargs)[0],
                    (op, args, kwargs),
                    complex_aware,
                )
            return output
    else:

        @functools.wraps(function)
        def op(*args, **kwargs):
            if drop_name and kwargs:
                kwargs.pop("name", None)
            if len(args) < n_inputs and kwargs:  # tensors given by name: clip_by_value(t, clip_value_min=0, ...)
                missing = tensor_names[len(args) :]
                if all(key in kwargs for key in missing):
                    args = args + tuple(kwargs.pop(key) for key in missing)
            if len(args) < n_inputs:
                raise TypeError(f"{name} expects {n_inputs} tensor arguments, got {len(args)}")
            if dispatch_hook is not None:
                result = dispatch_hook(op, args, kwargs)
                if result is not NotImplemented:
                    return result
            try:
                tensors = _convert_all(args[:n_inputs], name)
                result, backward = function(*[t._value for t in tensors], *args[n_inputs:], **kwargs)
            except errors.IndexOutOfRangeError as error:
                return _unused_or_raise(error)
            output = Tensor._wrap(result)
            if _recording:
                _record(
                    name,
                    tuple(tensors),
                    output,
                    backward,
                    higher_order,
                    lambda *arrays: function(*arrays, *args[n_inputs:], **kwargs)[0],
                    (op, args[n_inputs:], kwargs),
                    complex_aware,
                )
            return output

    setattr(op, "is_primitive", True)  # how tests find every op (setattr: a function attribute)
    setattr(op, "higher_order", higher_order)
    setattr(op, "variadic", variadic)
    if "<locals>" not in function.__qualname__:  # ops made inside a function have no lasting name
        key = f"{function.__module__}:{function.__qualname__}"
        setattr(op, "graph_name", key)
        PRIMITIVES[key] = op
    return op


def no_gradient(function: Callable | None = None, *, inputs: int | None = None) -> Any:
    """Mark ``function(*tensors, **options) -> Tensor`` as an op without a gradient.

    Comparisons, ``argmax``, ``one_hot``, rounding: they run exactly as written, and gradient
    tapes see their result as a constant, as before. The mark only matters to a recorder
    that keeps every op (``learnet.saved_function``, which stores a ``tf.function`` as the
    ops it runs): it notes the op, and finds it again by name in ``PRIMITIVES``.

    Parameters
    ----------
    inputs : int, optional
        How many leading arguments are tensors (by default those without a default value).

    Examples
    --------
    >>> @no_gradient
    ... def is_positive(x):
    ...     return Tensor._wrap(x._value > 0)
    """
    if function is None:
        return functools.partial(no_gradient, inputs=inputs)
    parameters = [
        p
        for p in inspect.signature(function).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    count = inputs if inputs is not None else sum(1 for p in parameters if p.default is inspect.Parameter.empty)
    tensor_names = [p.name for p in parameters[:count]]

    drop_name = _drops_name(function)

    @functools.wraps(function)
    def op(*args, **kwargs):
        if drop_name and kwargs:
            kwargs.pop("name", None)
        if dispatch_hook is not None:
            result = dispatch_hook(op, args, kwargs)
            if result is not NotImplemented:
                return result
        output = function(*args, **kwargs)
        if _recording and isinstance(output, Tensor):
            recorders = [tape for tape in _recording if getattr(tape, "_records_every_op", False)]
            if recorders:
                if len(args) < count:  # tensors given by name
                    args = args + tuple(kwargs.pop(name) for name in tensor_names[len(args) :] if name in kwargs)
                tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in args[:count])
                note = _Note(op.__name__, tensors, output, None, False, None, (op, args[count:], kwargs))
                for tape in recorders:
                    tape._notes.append(note)
        return output

    setattr(op, "variadic", False)
    if "<locals>" not in function.__qualname__:
        key = f"{function.__module__}:{function.__qualname__}"
        setattr(op, "graph_name", key)
        PRIMITIVES[key] = op
    return op


# Every primitive made at import time, by "module:qualified name": how a saved graph of ops
# (learnet.saved_function) names an op and finds it again; nothing outside this table is run.
PRIMITIVES: dict[str, Callable] = {}


_MISSING = object()  # a tensor argument not given by position


def _tensors_by_name(kwargs, tensor_names, name, given=()):
    """The tensor arguments of op ``name``: those ``given`` by position, then the rest taken out
    of ``kwargs`` by their parameter names (a TypeError names the one missing)."""
    tensors = [t for t in given if t is not _MISSING]
    for parameter in tensor_names[len(tensors) :]:
        if parameter not in kwargs:
            raise TypeError(f"{name}() missing required tensor argument {parameter!r}")
        tensors.append(kwargs.pop(parameter))
    return tensors


def _drops_name(function):
    """Whether ``function`` has no ``name`` parameter (nor ``**kwargs``): its op then accepts
    TensorFlow's ``name=`` and drops it."""
    parameters = inspect.signature(function).parameters.values()
    return not any(p.name == "name" or p.kind is p.VAR_KEYWORD for p in parameters)


_TF_DTYPE_NAMES = {"float16": "half", "float32": "float", "float64": "double"}


def _check_same_float_dtype(name, first, second):
    """TensorFlow's rule: two tensors of different float dtypes are not mixed silently."""
    if first != second and first.kind == "f" and second.kind == "f":
        from learnet.errors import InvalidArgumentError

        if name == "divide":  # TensorFlow's truediv checks the dtypes before the op runs
            raise TypeError(
                f"x and y must have the same dtype, got tf.{first.name} != tf.{second.name}: "
                "cast one of them with tf.cast"
            )

        raise InvalidArgumentError(
            None,
            None,
            f"cannot compute {name} as input #1(zero-based) was expected to be a "
            f"{_TF_DTYPE_NAMES.get(first.name, first.name)} tensor but is a "
            f"{_TF_DTYPE_NAMES.get(second.name, second.name)} tensor ({first.name} and {second.name}): "
            f"cast one of them with tf.cast, as TensorFlow asks",
        )


def holds_tensors(value):
    """Whether ``value`` is a list or tuple (at any depth) with a Tensor in it."""
    return isinstance(value, (list, tuple)) and any(isinstance(item, Tensor) or holds_tensors(item) for item in value)


def pack(value, dtype=None):
    """A list or tuple (nested or not) holding Tensors, as one Tensor whose gradient reaches
    each of them: TensorFlow packs such a list with ``tf.stack`` when an op or
    ``tf.convert_to_tensor`` is given one (``tf.reduce_sum([loss_a, loss_b])``).

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.Variable(3.0)
    >>> with tf.GradientTape() as tape:
    ...     total = tf.reduce_sum([x * x, 2.0 * x])
    >>> float(tape.gradient(total, x))
    8.0
    """
    tensors, paths = [], []

    def collect(item, path):
        if isinstance(item, Tensor):
            tensors.append(item)
            paths.append(path)
        elif isinstance(item, (list, tuple)):
            for index, inner in enumerate(item):
                collect(inner, path + (index,))

    collect(value, ())
    if dtype is None and tensors:  # the tensors' dtype (float64 stays float64); numbers take it
        dtype = xp.result_type(*[t._value.dtype for t in tensors])
    output = Tensor._wrap(to_array(value, dtype))
    if _recording and tensors:

        def backward(g, *inputs_and_output):
            return tuple(g[path] for path in paths)

        _record("pack", tuple(tensors), output, backward, True)
    return output


def _convert_all(values, name):
    """Convert op arguments to Tensors; plain numbers take the dtype of a tensor beside them,
    and a list holding tensors is packed into one, its gradient reaching each (``pack``)."""
    reference = None
    for value in values:
        if isinstance(value, Tensor):
            reference = value._value.dtype
            break
    converted = []
    for value in values:
        if isinstance(value, Tensor):
            converted.append(value)
            continue
        if holds_tensors(value):
            try:
                converted.append(pack(value))
            except (TypeError, ValueError) as error:
                raise type(error)(f"{name}: {error}") from None
            continue
        if reference is not None and type(value) in (int, float) and (reference.kind == "f" or type(value) is int):
            # The common case `tensor * 2.0`: one conversion, straight to the tensor's dtype.
            converted.append(Tensor._wrap(xp.asarray(value, dtype=reference)))
            continue
        try:
            if reference is not None and (
                (isinstance(value, (int, bool)) or (isinstance(value, float) and reference.kind == "f"))
                or (isinstance(value, xp.ndarray) and value.dtype.kind == reference.kind == "f")
                or (isinstance(value, (list, tuple)) and reference.kind == "f")
            ):
                converted.append(Tensor._wrap(to_array(value, reference)))
            else:
                converted.append(Tensor(value))
        except (TypeError, ValueError) as error:
            raise type(error)(f"{name}: {error}") from None
    return converted


def _flatten(structure):
    """The tensors of a tensor, list, tuple or dict of tensors, with a function that rebuilds it."""
    if isinstance(structure, Tensor):
        return [structure], lambda values: values[0]
    if not isinstance(structure, (list, tuple, dict)):
        raise TypeError(
            f"gradient sources and targets must be tensors, or lists, tuples or dicts of them; "
            f"got {type(structure).__name__}"
        )
    kind = type(structure)
    if (kind is list or kind is tuple) and all(isinstance(item, Tensor) for item in structure):
        # The usual sources, a model's list of weights: flat already (a training step's
        # gradient call, so the general walk below is skipped).
        return list(structure), list if kind is list else tuple
    return tree.flatten(structure), lambda values: tree.pack_sequence_as(structure, values)


class GradientTape:
    """Record operations, then compute gradients by backpropagation.

    Parameters
    ----------
    persistent : bool, default False
        Allow several calls to ``gradient``. Otherwise the tape releases what it
        recorded after the first call, and a second call raises ``RuntimeError``.
    watch_accessed_variables : bool, default True
        Watch every ``Variable`` an op reads that was created trainable, automatically,
        as TensorFlow does: also those of a layer frozen (``layer.trainable = False``)
        after its variables were made, so ``gradient`` can still give theirs. Variables
        created with ``trainable=False`` (BatchNormalization's moving statistics, a
        metric's counts) are never watched. Only the ops a requested source leads to run
        backward, so watching a frozen variable costs nothing when its gradient is not
        asked for.

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.Variable(3.0)
    >>> with tf.GradientTape() as tape:
    ...     y = x * x
    >>> float(tape.gradient(y, x))
    6.0

    Second derivatives with nested tapes:

    >>> x = tf.constant(3.0)
    >>> with tf.GradientTape() as outer:
    ...     outer.watch(x)
    ...     with tf.GradientTape() as inner:
    ...         inner.watch(x)
    ...         y = x ** 3
    ...     dy_dx = inner.gradient(y, x)      # 3 x^2 = 27
    >>> float(outer.gradient(dy_dx, x))        # 6 x = 18
    18.0
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self._persistent = bool(persistent)
        self._watch_accessed_variables = bool(watch_accessed_variables)
        self._notes: list[_Note] = []
        self._watched: dict[int, Tensor] = {}  # id(tensor) -> tensor (keeps ids valid while the tape lives)
        self._watched_variables: dict[int, Variable] = {}
        self._used = False
        self._released = False
        # Whether gradient(), asked inside this tape's context, records its backward pass here.
        # Kept apart from ``_persistent``: jacobian keeps a non-persistent tape for all its rows
        # by setting that one for a while.
        self._records_own_backward = self._persistent

    # --- recording ------------------------------------------------------------------
    def __enter__(self):
        if self in _recording:
            raise RuntimeError("this GradientTape is already recording")
        _recording.append(self)
        return self

    def __exit__(self, *exc_info):
        if self in _recording:
            _recording.remove(self)
        return False

    def _watch(self, tensor):
        self._watched[id(tensor)] = tensor
        if isinstance(tensor, Variable):
            self._watched_variables[id(tensor)] = tensor

    def watch(self, tensor: Any) -> None:
        """Follow ``tensor`` (or every tensor in a list, tuple or dict) from now on."""
        for item in _flatten(tensor)[0]:
            if not isinstance(item, Tensor):
                raise TypeError(f"watch expects tensors, got {type(item).__name__}")
            if not is_float(item):
                # TensorFlow's behaviour: say why, and carry on without it.
                warn(
                    f"GradientTape.watch: a tensor of dtype {item.dtype} is not watched, because "
                    "only float and complex tensors have gradients (cast it with learnet.cast(x, 'float32'))"
                )
                continue
            self._watch(item)

    def watched_variables(self) -> tuple[Variable, ...]:
        """The variables this tape watches, in the order they were first watched."""
        return tuple(self._watched_variables.values())

    @contextlib.contextmanager
    def stop_recording(self) -> Iterator[None]:
        """Run a block of code without recording it on this tape.

        Examples
        --------
        >>> with tape.stop_recording():       # doctest: +SKIP
        ...     log_value = float(loss)        # not part of the gradient
        """
        if self not in _recording:
            raise RuntimeError("stop_recording is only possible while the tape is recording")
        index = _recording.index(self)
        _recording.remove(self)
        try:
            yield
        finally:
            _recording.insert(index, self)

    def recorded_ops(self):
        """What the tape recorded so far, one ``RecordedOp`` per op, in recording order.

        A read-only view for tools that show or check the graph (``learnet.plot.plot_tape``,
        ``learnet.testing.check_gradients(per_node=True)``): each entry has the op's
        ``name``, its ``inputs`` and ``output`` (Tensors), its ``backward`` (as described
        in ``primitive``), ``higher_order``, ``forward`` (recomputes the output from input
        arrays, or None) and ``scope`` (the layer it ran in, see ``recording_scope``).

        Raises
        ------
        RuntimeError
            When a non-persistent tape has released its graph after ``gradient``.

        Examples
        --------
        >>> import learnet as tf
        >>> x = tf.Variable(3.0)
        >>> with tf.GradientTape() as tape:
        ...     y = tf.sin(x * x)
        >>> [op.name for op in tape.recorded_ops()]
        ['multiply', 'sin']
        """
        if self._released:
            raise RuntimeError(
                "this GradientTape released its recorded ops when gradient() was called; "
                "record with GradientTape(persistent=True) to look at them afterwards"
            )
        return tuple(
            RecordedOp(n.name, n.inputs, n.output, n.backward, n.higher_order, n.forward, n.scope) for n in self._notes
        )

    def reset(self) -> None:
        """Forget everything recorded so far (the tape keeps recording if active)."""
        self._notes = []
        self._watched = {}
        self._watched_variables = {}
        self._used = False
        self._released = False

    # --- backpropagation ----------------------------------------------------------------
    def gradient(
        self, target: Any, sources: Any, output_gradients: Any = None, unconnected_gradients: str = "none"
    ) -> Any:
        """Compute the gradient of ``target`` with respect to each of ``sources``.

        Parameters
        ----------
        target : Tensor or list of Tensors
            What to differentiate. A non-scalar target is differentiated as its sum
            (several targets: as the sum of all).
        sources : Tensor, or list, tuple or dict of Tensors
            What to differentiate with respect to. The result has the same structure.
        output_gradients : Tensor or list, optional
            Gradients to start the backward pass with, one per target (default ones).
        unconnected_gradients : {"none", "zero"}
            What to return for a source the target does not depend on.

        Returns
        -------
        Tensor, or list, tuple or dict of Tensors (``None`` for unconnected sources).

        Notes
        -----
        Called inside the tape's own ``with`` block, as TensorFlow's:

        * a persistent tape records the ops of this backward pass on itself (and warns
          once that this costs time and memory), so the gradients it returns can be
          differentiated by it again: second derivatives from one tape;
        * a non-persistent tape answers, releases what it recorded and stops recording.

        Examples
        --------
        >>> import learnet as tf
        >>> x, y = tf.Variable(3.0), tf.Variable(4.0)
        >>> with tf.GradientTape(persistent=True) as tape:
        ...     f = x * x * y + y + 2
        ...     df_dx, df_dy = tape.gradient(f, [x, y])    # recorded: 2xy = 24, x^2 + 1 = 10
        >>> [float(g) for g in tape.gradient(df_dx, [x, y])]
        [8.0, 6.0]
        """
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(f"unconnected_gradients must be 'none' or 'zero', got {unconnected_gradients!r}")
        if self._released:
            raise RuntimeError(
                "GradientTape.gradient can only be called once on a non-persistent tape; "
                "create the tape with GradientTape(persistent=True) to call it several times"
            )
        targets, _ = _flatten(target)
        source_list, rebuild = _flatten(sources)
        for source in source_list:
            if not isinstance(source, Tensor):
                raise TypeError(f"gradient sources must be tensors, got {type(source).__name__}")
            if not is_float(source):
                # TensorFlow's behaviour: say why, and give None for that source.
                warn(
                    f"GradientTape.gradient: no gradient for a source of dtype {source.dtype}, because "
                    "gradients exist only for float and complex tensors (cast it with learnet.cast(x, 'float32'))"
                )
        if any(isinstance(t, Tensor) and not is_float(t) for t in targets):
            # TensorFlow's behaviour: an integer target has no gradient; say why, give None.
            warn(
                "GradientTape.gradient: the target is not a float or complex tensor, so nothing has a "
                "gradient with respect to it; every gradient is None"
            )
            return rebuild([None] * len(source_list))
        seeds = self._seeds(targets, output_gradients)
        # A custom training loop calls this every step: the allocator keeps the freed
        # arrays for the next step instead of faulting their pages in again (see
        # backend.keep_freed_memory; done once per process).
        backend.keep_freed_memory()

        source_ids = {id(s) for s in source_list}
        if self._records_own_backward and self in _recording:
            # A persistent tape asked inside its own context records this backward pass
            # on itself too, as TensorFlow's does: its gradients can be differentiated again.
            grads = self._backpropagate_recording_itself(targets, seeds, source_ids)
        else:
            # Ops run during the backward pass are recorded by the other (outer) tapes
            # still recording, never by this one: that is what gives second derivatives.
            saved = list(_recording)
            _recording[:] = [tape for tape in saved if tape is not self]
            try:
                grads = self._backpropagate(targets, seeds, source_ids)
            finally:
                _recording[:] = saved

        results = []
        for source in source_list:
            grad = grads.get(id(source))
            if grad is None and unconnected_gradients == "zero":
                grad = Tensor._wrap(xp.zeros_like(source._value))
            results.append(grad)
        if not self._persistent:
            self._release()
        return rebuild(results)

    def _release(self):
        """Drop the recorded graph (and every intermediate tensor with it): a non-persistent tape
        answers once. Asked inside its context, it also stops recording there, as TensorFlow's
        does: what runs after the answer could never be differentiated by it."""
        self._notes = []
        self._watched = {}
        self._released = True
        if self in _recording:
            _recording.remove(self)

    def _backpropagate_recording_itself(self, targets, seeds, source_ids):
        """``_backpropagate`` with this tape still recording: the ops of the backward pass
        are appended to it (and to any other tape recording).

        The walk goes over a snapshot of what was recorded before it started, never the
        list it appends to. If the backward pass fails, the tape is put back as it was.
        """
        global _warned_inside_context
        if not _warned_inside_context:
            _warned_inside_context = True
            warn(
                "Calling GradientTape.gradient on a persistent tape inside its context is significantly "
                "less efficient than calling it outside the context (it causes the gradient ops to be "
                "recorded on the tape, leading to increased CPU and memory usage). Only call "
                "GradientTape.gradient inside the context if you actually want to trace the gradient "
                "in order to compute higher order derivatives."
            )
        notes = list(self._notes)
        watched = dict(self._watched)
        watched_variables = dict(self._watched_variables)
        try:
            return self._backpropagate(targets, seeds, source_ids, notes, watched)
        except BaseException:
            self._notes[len(notes) :] = []
            self._watched = watched
            self._watched_variables = watched_variables
            raise

    def _seeds(self, targets, output_gradients):
        if output_gradients is None:
            seeds = [None] * len(targets)
        else:
            seeds, _ = (
                _flatten(output_gradients) if not isinstance(output_gradients, Tensor) else ([output_gradients], None)
            )
            seeds = [None if s is None else Tensor(s) if not isinstance(s, Tensor) else s for s in seeds]
            if len(seeds) != len(targets):
                raise ValueError(f"output_gradients has {len(seeds)} entries for {len(targets)} targets")
        result = []
        for target, seed in zip(targets, seeds):
            if not isinstance(target, Tensor):
                raise TypeError(f"the gradient target must be a tensor, got {type(target).__name__}")
            if seed is None:
                seed = Tensor._wrap(xp.ones_like(target._value))
            elif tuple(seed.shape) != tuple(target.shape):
                raise ValueError(
                    f"output_gradients of shape {tuple(seed.shape)} do not match the target's shape {tuple(target.shape)}"
                )
            result.append(seed)
        return result

    def _backpropagate(self, targets, seeds, source_ids, notes=None, watched=None):
        """Walk ``notes`` (by default all this tape recorded) in reverse: the gradient of each
        tensor, by id. ``watched`` (by default the tape's own) says which tensors take one."""
        grads = {}
        for target, seed in zip(targets, seeds):
            _accumulate(grads, target, seed)
        if notes is None:
            notes = self._notes
        if watched is None:
            watched = self._watched
        reach = _reachable(notes, source_ids)
        outer = _recording  # the tapes recording this backward pass (this one too, asked inside its context)
        handovers = _handovers(notes, source_ids) if not outer else None
        handed = {}  # id(tensor) -> what a consumer's backward handed over to its producer's
        for note in reversed(notes):
            output_id = id(note.output)
            if output_id not in reach:  # no source leads to this op: its backward is not needed
                continue
            inputs = note.inputs
            if output_id in handed:
                arrays = [t._value for t in inputs]
                in_grads = note.backward.finish(handed.pop(output_id), *arrays, note.output._value)
            else:
                g = grads.get(output_id) if output_id in source_ids else grads.pop(output_id, None)
                if g is None:
                    continue
                if note.higher_order:
                    in_grads = note.backward(g, *inputs, note.output)
                elif outer and _outer_needs(outer, inputs, g):
                    # An outer tape differentiates this backward pass: run the fused kernel's
                    # twin, written with learnet ops, so that tape records it.
                    in_grads = self._fused_backward_recorded(note, g, outer)
                else:
                    arrays = [t._value for t in inputs]
                    producer = handovers.get(id(note)) if handovers else None
                    if producer is not None and id(inputs[0]) not in grads:
                        payload = note.backward.prepare(
                            producer.backward.accepts, g._value, *arrays, note.output._value
                        )
                        if payload is not None:
                            handed[id(inputs[0])] = payload
                            continue
                    in_grads = note.backward(g._value, *arrays, note.output._value)
            if len(inputs) == 1 and not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            for tensor, grad in zip(inputs, in_grads):
                if grad is None or id(tensor) not in watched or id(tensor) not in reach:
                    continue
                if callable(grad) and not isinstance(grad, Tensor):
                    grad = grad()
                if not isinstance(grad, Tensor):
                    grad = Tensor._wrap(grad)
                _accumulate(grads, tensor, grad)
        return grads

    def _fused_backward_recorded(self, note, g, tapes):
        """The backward of a fused op while ``tapes`` record: its differentiable twin.

        A persistent tape asked inside its context watches every op it recorded, so it
        records the backward of a fused op with no twin too: then the kernel runs as usual
        (first derivatives stay available, as before) and each gradient is recorded on this
        tape as a dead end, which raises the usual clear error only if a second derivative
        is asked through it. Another tape recording still gets that error at once.
        """
        if hasattr(note.backward, "higher_order_backward") or self not in tapes:
            return _higher_order_backward(note)(g, *note.inputs, note.output)
        others = [tape for tape in tapes if tape is not self]
        if others and _outer_needs(others, note.inputs, g):
            return _higher_order_backward(note)(g, *note.inputs, note.output)
        arrays = [t._value for t in note.inputs]
        in_grads = note.backward(g._value, *arrays, note.output._value)
        if not isinstance(in_grads, tuple):
            in_grads = (in_grads,)

        def recorded(grad):
            # Called by _backpropagate only for an input that needs its gradient (a lazy entry
            # stays lazy): computed, then recorded here as a dead end.
            if callable(grad) and not isinstance(grad, Tensor):
                grad = grad()
            grad = grad if isinstance(grad, Tensor) else Tensor._wrap(grad)
            self._notes.append(_Note(f"{note.name}_gradient", (g, *note.inputs), grad, _dead_end(note.name), True))
            self._watched[id(grad)] = grad
            return grad

        return tuple(None if grad is None else functools.partial(recorded, grad) for grad in in_grads)


RecordedOp = collections.namedtuple(
    "RecordedOp", ["name", "inputs", "output", "backward", "higher_order", "forward", "scope"]
)
RecordedOp.__doc__ = "One op as a tape recorded it (see ``GradientTape.recorded_ops``); read-only."


@contextlib.contextmanager
def recording_scope(name):
    """Mark the ops recorded inside the block as belonging to ``name`` (a layer, say).

    Drawings of the tape (``learnet.plot.plot_tape``) group the ops of one scope into
    one box. Scopes nest; an op belongs to the innermost.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.tape import recording_scope
    >>> x = tf.Variable(2.0)
    >>> with tf.GradientTape() as tape:
    ...     with recording_scope("square"):
    ...         y = x * x
    >>> tape.recorded_ops()[0].scope
    'square'
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"recording_scope expects a non-empty name, got {name!r}")
    _scopes.append(name)
    try:
        yield
    finally:
        _scopes.pop()


def _accumulate(grads, tensor, grad):
    if grad._value.shape != tensor._value.shape:
        raise RuntimeError(
            f"internal error: a gradient of shape {tuple(grad.shape)} reached a tensor of shape {tuple(tensor.shape)}"
        )
    if grad._value.dtype != tensor._value.dtype and tensor._value.dtype.kind == "f":
        value = grad._value.real if grad._value.dtype.kind == "c" else grad._value  # a real tensor's part of it
        grad = Tensor._wrap(value.astype(tensor._value.dtype))
    key = id(tensor)
    previous = grads.get(key)
    grads[key] = grad if previous is None else previous + grad


def _reachable(notes, source_ids):
    """The ids of the sources and of every op output that depends on one of them.

    Only these need a gradient: the backward of an op no source leads to is skipped,
    and so is the gradient of an input no source leads to (a Variable that is watched
    but not asked for). Two tapes over one pass, as in a GAN's training step, each
    run the backward of their own model's ops only, as TensorFlow does.
    """
    reach = set(source_ids)
    for note in notes:
        for tensor in note.inputs:
            if id(tensor) in reach:
                reach.add(id(note.output))
                break
    return reach


def _handovers(notes, source_ids):
    """The ops whose backward may hand its work over to the backward of its input's producer.

    Two ops in a row can share one pass of their backward: max pooling after a fused
    Conv2D+ReLU can apply the ReLU's mask and sum the bias's gradient while it sends its
    gradient back to each window's winner, instead of writing a gradient that the
    convolution then reads again to mask and sum. A backward that can do the first half of
    its producer's work has a ``prepare(kind, g, *inputs, output)`` attribute (returning
    that work done, or None when it cannot do this ``kind``); a backward that can take it
    has ``accepts`` (the kind) and ``finish(payload, *inputs, output)``.

    The work is handed over only where nobody else wants the gradient in between: the
    input is used by this op alone on the tape, is not a source of this ``gradient`` call
    nor a target, and no outer tape records (their second derivatives need the plain
    chain). Returns ``{id(consumer note): producer note}``; empty when no op offers.
    """
    if not any(hasattr(note.backward, "prepare") for note in notes):
        return {}
    uses = collections.Counter(id(tensor) for note in notes for tensor in note.inputs)
    producers = {id(note.output): note for note in notes}
    pairs = {}
    for note in notes:
        if note.higher_order or len(note.inputs) != 1 or not hasattr(note.backward, "prepare"):
            continue
        source = note.inputs[0]
        producer = producers.get(id(source))
        if (
            producer is not None
            and not producer.higher_order
            and hasattr(producer.backward, "accepts")
            and uses[id(source)] == 1
            and id(source) not in source_ids
        ):
            pairs[id(note)] = producer
    return pairs


def _dead_end(name):
    """The backward of a gradient a fused kernel computed: asked for, it says why there is none."""

    def backward(g, *inputs_and_output):
        raise NotImplementedError(
            f"second-order gradients through '{name}' are not supported: "
            "its backward pass is a fused kernel with no differentiable twin"
        )

    return backward


def _higher_order_backward(note):
    """The differentiable twin of a fused op's backward (``primitive``), or a clear error."""
    twin = getattr(note.backward, "higher_order_backward", None)
    if twin is None:
        raise NotImplementedError(
            f"second-order gradients through '{note.name}' are not supported: "
            "its backward pass is a fused kernel with no differentiable twin"
        )
    return twin


def _outer_needs(tapes, inputs, g):
    for tape in tapes:
        if id(g) in tape._watched:
            return True
        for tensor in inputs:
            if id(tensor) in tape._watched:
                return True
    return False


@no_gradient
def stop_gradient(input: Any, name=None) -> Tensor:  # noqa: A002 - TensorFlow's name
    """Return ``input`` as a tensor that tapes treat as a constant (no gradient flows through).

    Examples
    --------
    >>> import learnet as tf
    >>> x = tf.Variable(2.0)
    >>> with tf.GradientTape() as tape:
    ...     y = x * tf.stop_gradient(x)
    >>> float(tape.gradient(y, x))
    2.0
    """
    value = input._value if isinstance(input, Tensor) else to_array(input)
    return Tensor._wrap(value)


@primitive(complex_aware=True)
def conjugate(x):
    """The complex conjugate, as an op: what the tape's rule for complex numbers runs.

    (``tf.math.conj`` is ``learnet.complex_math.conj``, which also takes real tensors.)
    """
    return xp.conj(x), lambda g, x, out: conjugate(g)


def _conjugate_entry(entry, conj):
    """One entry of a backward's result, conjugated if it is complex (None and real kept)."""
    if entry is None:
        return None
    if callable(entry) and not isinstance(entry, Tensor):
        return lambda: _conjugate_entry(entry(), conj)
    value = entry._value if isinstance(entry, Tensor) else entry
    return conj(entry) if getattr(value, "dtype", None) is not None and value.dtype.kind == "c" else entry


def _conjugated(backward, higher_order):
    """``backward`` made to follow TensorFlow's rule for complex numbers.

    For a real loss ``L`` and a complex ``z = x + iy``, TensorFlow's gradient of ``z`` is
    ``dL/dx + i dL/dy``. Through an analytic op ``w = f(z)`` that gradient goes back as
    ``g * conj(f'(z))``, where a backward written as for real numbers computes
    ``g * f'(z)``. So the tape conjugates ``g`` on the way in and the gradients on the
    way out: ``conj(conj(g) * f'(z)) = g * conj(f'(z))``. For a product ``z * w`` the
    gradient of ``z`` is ``g * conj(w)``; for a matrix product ``g @ adjoint(b)``.
    """
    conj = conjugate if higher_order else xp.conj

    def conjugated(g, *inputs_and_output):
        grads = backward(conj(g), *inputs_and_output)
        if isinstance(grads, tuple):
            return tuple(_conjugate_entry(entry, conj) for entry in grads)
        return _conjugate_entry(grads, conj)

    twin = getattr(backward, "higher_order_backward", None)
    if twin is not None:  # a fused kernel's differentiable twin follows the same rule
        setattr(conjugated, "higher_order_backward", _conjugated(twin, True))
    return conjugated
