"""TensorFlow's lower-level program tools, run eagerly: ``tf.custom_gradient``,
``tf.while_loop``, ``tf.cond``, ``tf.case``, ``tf.switch_case``, ``tf.function`` with
``input_signature`` and ``get_concrete_function``, ``tf.TensorSpec``, ``tf.autograph``
and ``tf.name_scope``.

learnet has no graphs: every op runs at once, as TensorFlow 2 does by default. These
tools therefore run the Python code as written, but keep what a user relies on: a custom
gradient replaces the computed one on the tape, a loop returns the structure it was given,
and a ``tf.function`` with an ``input_signature`` refuses inputs that do not match it.

Examples
--------
>>> import learnet as tf
>>> @tf.custom_gradient
... def clip_gradient(x):
...     return tf.identity(x), lambda upstream: tf.clip_by_value(upstream, -1.0, 1.0)
>>> x = tf.Variable(3.0)
>>> with tf.GradientTape() as tape:
...     y = clip_gradient(x * 10.0)
>>> float(tape.gradient(y, x))
10.0
"""

import contextlib
import functools
import importlib
import inspect
import types
import weakref
from typing import Any

import numpy

from learnet import errors
from learnet import tape as _tape
from learnet.tensor import Tensor, TensorShape, Variable, _as_dtype, _dtype_name, convert_to_tensor
from learnet.tree import flatten

__all__ = [
    "ConcreteFunction",
    "Function",
    "TensorSpec",
    "autograph",
    "case",
    "cond",
    "custom_gradient",
    "function",
    "init_scope",
    "map_fn",
    "name_scope",
    "numpy_function",
    "py_function",
    "vectorized_map",
    "switch_case",
    "while_loop",
]


# --- custom_gradient -------------------------------------------------------------------------
def custom_gradient(f=None):
    """Decorate ``f(*x) -> (y, grad_fn)`` so the tape uses ``grad_fn(upstream)`` as y's gradient.

    ``grad_fn`` receives the gradient of ``y`` and returns one gradient per tensor input
    (a tuple when there are several). When ``grad_fn`` also takes ``variables``, it gets
    the trainable variables ``f`` read and returns ``(input_grads, variable_grads)``.
    The forward runs unrecorded: only ``grad_fn`` says how gradients flow.

    Examples
    --------
    >>> import learnet as tf
    >>> @tf.custom_gradient
    ... def log1pexp(x):
    ...     e = tf.exp(x)
    ...     return tf.math.log(1 + e), lambda upstream: upstream * (1 - 1 / (1 + e))
    >>> x = tf.constant(100.0)
    >>> with tf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = log1pexp(x)
    >>> float(tape.gradient(y, x))
    1.0
    """
    if f is None:
        return custom_gradient

    @functools.wraps(f)
    def decorated(*args, **kwargs):
        inputs = tuple(a if isinstance(a, Tensor) else convert_to_tensor(a) for a in args)
        with _tape.variables_read() as read:
            result = f(*inputs, **kwargs)
        if not (isinstance(result, tuple) and len(result) == 2 and callable(result[1])):
            raise TypeError(f"custom_gradient: {f.__name__} must return (output, grad_fn), got {type(result).__name__}")
        value, grad_fn = result
        if not isinstance(value, Tensor):
            value = convert_to_tensor(value)
        output = Tensor._wrap(value._value)
        accepts_variables = "variables" in inspect.signature(grad_fn).parameters
        variables = tuple(v for v in read if v.trainable) if accepts_variables else ()
        sources = inputs + variables

        def backward(g, *inputs_and_output):
            if accepts_variables:
                input_grads, variable_grads = grad_fn(g, variables=list(variables))
                input_grads = _as_tuple(input_grads)
                variable_grads = list(variable_grads)
            else:
                input_grads, variable_grads = _as_tuple(grad_fn(g)), []
            if len(input_grads) != len(inputs) or len(variable_grads) != len(variables):
                raise ValueError(
                    f"custom_gradient: the gradient function of {f.__name__} returned "
                    f"{len(input_grads)} input gradient(s) for {len(inputs)} input(s)"
                    + (f" and {len(variable_grads)} for {len(variables)} variable(s)" if variables else "")
                )
            grads = list(input_grads) + variable_grads
            return tuple(None if grad is None else _like(grad, source) for grad, source in zip(grads, sources))

        _tape.record_op(f.__name__, sources, output, backward, True)
        return output

    return decorated


def _as_tuple(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _like(grad, source):
    grad = grad if isinstance(grad, Tensor) else convert_to_tensor(grad)
    if grad.dtype != source.dtype and source.dtype.kind == "f":
        grad = Tensor._wrap(grad._value.astype(source.dtype))
    return grad


# --- control flow --------------------------------------------------------------------------------
def while_loop(
    cond,
    body,
    loop_vars,
    shape_invariants=None,
    parallel_iterations=10,
    back_prop=True,
    swap_memory=False,
    maximum_iterations=None,
    name=None,
):
    """Repeat ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` is true (``tf.while_loop``).

    ``loop_vars`` is a list or tuple whose items are passed to ``cond`` and ``body`` as
    arguments (a single tensor is passed as one argument); the result has the structure
    of ``loop_vars``. Every step is recorded on an active tape, so the loop is differentiable.

    Examples
    --------
    >>> import learnet as tf
    >>> i, total = tf.while_loop(lambda i, t: i < 5, lambda i, t: (i + 1, t + i), [0, 0])
    >>> int(i), int(total)
    (5, 10)
    """
    if not callable(cond) or not callable(body):
        raise TypeError("while_loop expects callables cond and body")
    single = not isinstance(loop_vars, (list, tuple))
    state = [loop_vars] if single else list(loop_vars)
    steps = 0
    while maximum_iterations is None or steps < int(maximum_iterations):
        if not bool(cond(*state)):
            break
        result = body(*state)
        if single:
            result = [result]
        elif not isinstance(result, (list, tuple)):
            raise TypeError(
                f"while_loop: body must return a list or tuple like loop_vars ({len(state)} "
                f"values), got {type(result).__name__}"
            )
        result = list(result)
        if len(result) != len(state):
            raise ValueError(f"while_loop: body returned {len(result)} values for {len(state)} loop variables")
        state = result
        steps += 1
    if single:
        return state[0]
    return tuple(state) if isinstance(loop_vars, tuple) else state


def cond(pred, true_fn=None, false_fn=None, name=None):
    """``true_fn()`` if ``pred`` is true, else ``false_fn()`` (``tf.cond``)."""
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError("cond expects callables true_fn and false_fn")
    return true_fn() if bool(pred) else false_fn()


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """Call the function of the first pair whose predicate is true, else ``default()``."""
    pairs = list(pred_fn_pairs.items()) if isinstance(pred_fn_pairs, dict) else list(pred_fn_pairs)
    chosen = [fn for pred, fn in pairs if bool(pred)]
    if exclusive and len(chosen) > 1:
        raise ValueError(f"case: {len(chosen)} predicates are true, exclusive=True allows one")
    if chosen:
        return chosen[0]()
    if default is None:
        raise ValueError("case: no predicate is true and there is no default")
    return default()


def switch_case(branch_index, branch_fns, default=None, name="switch_case"):
    """Call ``branch_fns[branch_index]()``; an index out of range calls ``default`` (or the last branch)."""
    fns = dict(branch_fns) if isinstance(branch_fns, dict) else dict(enumerate(branch_fns))
    index = int(branch_index)
    if index in fns:
        return fns[index]()
    return default() if default is not None else fns[max(fns)]()


def map_fn(
    fn,
    elems,
    dtype=None,
    parallel_iterations=None,
    back_prop=True,
    swap_memory=False,
    infer_shape=True,
    name=None,
    fn_output_signature=None,
):
    """``fn`` applied to each slice of ``elems`` along its first axis, results stacked (``tf.map_fn``).

    ``elems`` may be a tensor, a tuple of tensors (``fn`` then gets a tuple) or a
    RaggedTensor (``fn`` gets each row; rows of different result lengths give a
    RaggedTensor). Recorded on the tape, so it is differentiable.
    """
    from learnet.ragged import RaggedTensor, map_rows

    if isinstance(elems, RaggedTensor):
        return map_rows(fn, elems)
    ops = importlib.import_module("learnet.ops")

    def slices(value):
        # identity first: slices of a Variable itself are assignable views, not recorded reads.
        return ops.unstack(ops.identity(value if isinstance(value, Tensor) else convert_to_tensor(value)))

    if isinstance(elems, (tuple, list)):
        results = [fn(type(elems)(items)) for items in zip(*[slices(e) for e in elems])]
    else:
        results = [fn(item) for item in slices(elems)]
    if not results:
        raise ValueError("map_fn: elems has no slices along its first axis")
    if isinstance(results[0], (tuple, list)):
        return type(results[0])(ops.stack([r[i] for r in results]) for i in range(len(results[0])))
    return ops.stack([r if isinstance(r, Tensor) else convert_to_tensor(r) for r in results])


def vectorized_map(fn, elems, fallback_to_while_loop=True, warn=True):
    """``fn`` applied to each slice of ``elems`` along its first axis, results stacked
    (``tf.vectorized_map``): the same results as ``map_fn``, differentiable.

    TensorFlow rewrites ``fn`` into batched ops; learnet runs ``fn`` slice by slice, so the
    result is the same and the speed that of a loop (write ``fn`` on the whole batch where
    speed matters).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.vectorized_map(lambda row: tf.reduce_sum(row * row), tf.constant([[1.0, 2.0], [3.0, 4.0]])).numpy()
    array([ 5., 25.], dtype=float32)
    """
    return map_fn(fn, elems)


# --- TensorSpec and tf.function ------------------------------------------------------------------------
class TensorSpec:
    """What a tensor must look like: a shape (``None`` for any size) and a dtype (``tf.TensorSpec``).

    Examples
    --------
    >>> import learnet as tf
    >>> spec = tf.TensorSpec(shape=[None, 3], dtype=tf.float32)
    >>> spec.is_compatible_with(tf.zeros((5, 3)))
    True
    >>> spec.is_compatible_with(tf.zeros((5, 4)))
    False
    """

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = None if shape is None else TensorShape(None if s is None else int(s) for s in shape)
        self.dtype = _as_dtype(dtype)
        self.name = name

    @classmethod
    def from_tensor(cls, tensor, name=None):
        tensor = convert_to_tensor(tensor)
        return cls(tensor.shape, tensor.dtype, name)

    @property
    def value_type(self):
        """The type of value this spec describes: ``tf.Tensor``."""
        return Tensor

    def is_compatible_with(self, spec_or_tensor):
        """Whether a tensor (or spec) has a shape and dtype this spec allows."""
        if isinstance(spec_or_tensor, TensorSpec):
            shape, dtype = spec_or_tensor.shape, spec_or_tensor.dtype
        else:
            value = spec_or_tensor if isinstance(spec_or_tensor, Tensor) else None
            if value is None:
                try:
                    value = convert_to_tensor(spec_or_tensor, dtype=self.dtype)
                except (TypeError, ValueError):
                    return False
            shape, dtype = value.shape, value.dtype
        if dtype != self.dtype:
            return False
        if self.shape is None or shape is None:
            return True
        return len(shape) == len(self.shape) and all(
            a is None or b is None or a == b for a, b in zip(self.shape, shape)
        )

    def __eq__(self, other):
        return (
            isinstance(other, TensorSpec)
            and self.shape == other.shape
            and self.dtype == other.dtype
            and self.name == other.name
        )

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((None if self.shape is None else tuple(self.shape), self.dtype, self.name))

    def __repr__(self):
        # As TensorFlow prints it: TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)
        shape = "<unknown>" if self.shape is None else repr(tuple(self.shape))
        return f"TensorSpec(shape={shape}, dtype=tf.{_dtype_name(self.dtype)}, name={self.name!r})"

    __str__ = __repr__


class ConcreteFunction:
    """A ``tf.function`` fixed to one input signature (``get_concrete_function``).

    Calling it checks its inputs against that signature and runs the Python function.
    What TensorFlow would have traced is shown on demand: ``graph`` (the operations, read
    from one taped run), ``structured_outputs``, ``function_type`` and
    ``pretty_printed_signature()``.

    Examples
    --------
    >>> import learnet as tf
    >>> @tf.function
    ... def double(a):
    ...     return a + a
    >>> concrete = double.get_concrete_function(tf.TensorSpec(shape=[], dtype=tf.string))
    >>> print(concrete.pretty_printed_signature())
    Input Parameters:
      a (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(), dtype=tf.string, name=None)
    Output Type:
      TensorSpec(shape=(), dtype=tf.string, name=None)
    Captures:
      None
    """

    def __init__(self, python_function, signature, bound=None, names=None, parameters=None):
        self._python_function = python_function
        self.structured_input_signature = (tuple(signature), {})
        self.inputs = list(signature)
        self.name = getattr(python_function, "__name__", "function")
        self._bound = dict(bound or {})  # the Python values fixed by get_concrete_function(b=2)
        self._names = list(names) if names is not None else None  # the parameters the inputs fill
        self._graph = None
        self._function_def = None
        self._parameters = parameters  # the function_type's inputs, as Function noted them
        # A dataset in the signature is held here while the concrete function lives (its spec holds it weakly).
        self._datasets = [getattr(spec, "dataset", None) for spec in signature if hasattr(spec, "element_spec")]

    @property
    def graph(self):
        """The operations TensorFlow would have traced (``learnet.func_graph``): ``get_operations()``,
        ``get_operation_by_name``, ``get_tensor_by_name``, ``as_graph_def()``."""
        if self._graph is None:
            from learnet import func_graph

            try:
                names = [p.name for p in inspect.signature(self._python_function).parameters.values()]
            except (TypeError, ValueError):
                names = []
            names = (names + [f"args_{i}" for i in range(len(self.inputs))])[: len(self.inputs)]
            if self._names is not None:
                names = list(self._names)

            def function(*values):
                # Numbers returned become constant tensors, as in a traced function.
                if self._names is not None:
                    return _as_tensors(self._python_function(**dict(zip(self._names, values)), **self._bound))
                return _as_tensors(self._python_function(*values))

            self._graph = func_graph.trace(function, names, self.inputs, self.name)
        return self._graph

    @property
    def function_def(self):
        """The traced function's definition: its ``signature`` (inputs, outputs) and ``node_def``."""
        if self._function_def is None:
            from learnet import func_graph

            self._function_def = func_graph.FunctionDef(self.name, self.graph)
        return self._function_def

    @property
    def outputs(self):
        """The graph's output tensors."""
        return list(self.graph.outputs)

    def __call__(self, *args, **kwargs):
        fixed = sorted(set(kwargs) & set(self._bound))
        if fixed:
            raise TypeError(f"{self.name}: {fixed} were fixed when this concrete function was made")
        if self._names is not None and kwargs:
            # Tensors may be passed by their parameters' names: double_strings(a=tf.constant("b")).
            given = dict(zip(self._names, args))
            for key in list(kwargs):
                if key in self._names:
                    if key in given:
                        raise TypeError(f"{self.name}: got two values for {key!r}")
                    given[key] = kwargs.pop(key)
            missing = [n for n in self._names if n not in given]
            if missing:
                raise TypeError(f"{self.name}: missing input(s) {missing}")
            args = tuple(given[n] for n in self._names)
        _check_signature(self.name, self.inputs, args)
        if self._names is not None and self._bound:
            with as_in_function():
                return _as_tensors(self._python_function(**dict(zip(self._names, args)), **self._bound, **kwargs))
        with as_in_function():
            return _as_tensors(self._python_function(*args, **kwargs))

    @property
    def structured_outputs(self):
        """What the function returns, in its structure, with the graph's output tensors for its tensors."""
        return self.graph.structured_outputs

    @property
    def function_type(self):
        """The ``FunctionType`` of this concrete function: its inputs' and output's trace types.

        ``str`` gives TensorFlow's one line,
        ``(a: TensorSpec(shape=(), dtype=tf.string, name=None)) -> TensorSpec(...)``.
        """
        from learnet import function_type

        parameters = self._parameters
        if parameters is None:
            names = self._names or [f"args_{i}" for i in range(len(self.inputs))]
            parameters = [
                function_type.Parameter(name, function_type.Parameter.POSITIONAL_OR_KEYWORD, False, spec)
                for name, spec in zip(names, self.inputs)
            ]
            parameters += [
                function_type.Parameter(
                    name, function_type.Parameter.KEYWORD_ONLY, False, function_type.trace_type_of(v)
                )
                for name, v in self._bound.items()
            ]
        graph = self.graph
        return function_type.FunctionType(
            parameters,
            function_type.output_type_of(graph.structured_outputs),
            function_type.variable_captures(graph.variables),
        )

    @property
    def inference_fn(self):
        """The ``AtomicFunction`` that runs this concrete function's graph: callable with its
        tensor inputs, as the ``tf.function`` guide calls it (``double_strings.inference_fn``)."""
        return AtomicFunction(self)

    def pretty_printed_signature(self, verbose=True):
        """TensorFlow's text of this concrete function: ``Input Parameters:``, ``Output Type:``,
        ``Captures:`` (``verbose=False``: the one line of its ``function_type``)."""
        function_type = self.function_type
        return function_type.pretty_printed() if verbose else str(function_type)

    def __str__(self):
        return f"ConcreteFunction {self.pretty_printed_signature()}"

    def __repr__(self):
        try:
            text = str(self.function_type)
        except Exception:  # noqa: BLE001 - a repr must not fail where the graph cannot be read
            text = f"{self.name}({', '.join(map(repr, self.inputs))})"
        return f"<ConcreteFunction {text} at 0x{id(self):X}>"


class AtomicFunction:
    """What runs a concrete function's graph (``tf.types.experimental.AtomicFunction``;
    ``ConcreteFunction.inference_fn``): called with the concrete function's tensor inputs, by
    position or by name, it gives its outputs; ``call_flat`` takes and gives flat lists.

    learnet has no graph to run: it calls the concrete function, which checks the inputs
    against its signature and runs the Python function as a ``tf.function`` body.

    Examples
    --------
    >>> import learnet as tf
    >>> @tf.function
    ... def double(a):
    ...     return a + a
    >>> atomic_fn = double.get_concrete_function(tf.TensorSpec(shape=None, dtype=tf.string)).inference_fn
    >>> atomic_fn(tf.constant("a"))
    <learnet.Tensor: shape=[], dtype=string, numpy=b'aa'>
    >>> atomic_fn.call_flat(tf.constant("b"))
    [<learnet.Tensor: shape=[], dtype=string, numpy=b'bb'>]
    """

    def __init__(self, concrete):
        self._concrete = concrete
        self.name = concrete.name

    @property
    def function_type(self):
        """The concrete function's ``FunctionType``."""
        return self._concrete.function_type

    @property
    def graph(self):
        """The operations TensorFlow would have traced (``ConcreteFunction.graph``)."""
        return self._concrete.graph

    @property
    def definition(self):
        """The function's ``FunctionDef`` (``ConcreteFunction.function_def``)."""
        return self._concrete.function_def

    cached_definition = definition

    def __call__(self, *args, **kwargs):
        return self._concrete(*args, **kwargs)

    def call_flat(self, *args):
        """The outputs, flat, for the flat tensor inputs ``args`` (one per input of the signature)."""
        return flatten(self._concrete(*args))

    def __repr__(self):
        return f"<AtomicFunction {self.name} at 0x{id(self):X}>"


@contextlib.contextmanager
def _end_of_data_as_out_of_range():
    """``next(iterator)`` past the end inside a ``tf.function`` raises ``tf.errors.OutOfRangeError``,
    as a traced function's ``IteratorGetNext`` does (training loops catch that to end an epoch)."""
    try:
        yield
    except StopIteration:
        raise errors.OutOfRangeError(None, None, "End of sequence") from None


def _as_tensors(result):
    """What a traced function returns: numbers and arrays become tensors, structure kept (as in TF).

    A variable becomes a tensor of its value at that moment, as a traced function's output is
    (``return counter.assign_add(1)`` gives 1, not the live counter); gradients still flow to it.
    """
    if isinstance(result, _tape.UnusedOpError):
        result._value  # noqa: B018 - raises the error of the op that made it: a needed result failed
    if isinstance(result, Variable):
        from learnet.ops.math import identity

        return identity(result)
    if isinstance(result, (bool, int, float, numpy.number, numpy.bool_, numpy.ndarray)):
        return convert_to_tensor(result)
    if isinstance(result, (list, tuple)) and not hasattr(result, "_fields"):
        return type(result)(_as_tensors(item) for item in result)
    if isinstance(result, dict):
        return {key: _as_tensors(value) for key, value in result.items()}
    return result


class SignatureMismatchError(errors.InvalidArgumentError, TypeError):
    """An input that does not fit a ``tf.function``'s ``input_signature``.

    TensorFlow 2 raised a ``ValueError`` here, later versions a ``TypeError``, and a concrete
    function an ``InvalidArgumentError``; tutorials catch each, so this is all three.
    """


def _bind_signature(function, signature, args, kwargs):
    """The inputs an ``input_signature`` describes, by position, as TensorFlow binds them: given
    by position or by name, or a parameter's default (a tensor of its spec's dtype) when left out.

    Examples
    --------
    >>> def f(x, n=3):
    ...     return x
    >>> args, kwargs = _bind_signature(f, [TensorSpec([None]), TensorSpec([], "int32")], (1.0,), {})
    >>> [int(args[1])], kwargs
    ([3], {})
    """
    if len(args) >= len(signature):
        return args, kwargs
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):  # a callable without a readable signature: as given
        return args, kwargs
    kwargs = dict(kwargs)
    bound = list(args)
    for position in range(len(args), len(signature)):
        if position >= len(parameters) or parameters[position].kind not in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            break
        parameter, spec = parameters[position], signature[position]
        if parameter.name in kwargs:
            bound.append(kwargs.pop(parameter.name))
        elif parameter.default is not inspect.Parameter.empty:
            default = parameter.default
            is_spec = isinstance(spec, TensorSpec) and default is not None
            bound.append(convert_to_tensor(default, spec.dtype) if is_spec else default)
        else:
            break
    return tuple(bound), kwargs


def _as_signature_tensors(signature, args):
    """The inputs as the function body sees them under an ``input_signature``: TensorFlow traces
    it with tensors, so a Python value given for a ``TensorSpec`` (``translator("una frase")``)
    arrives as a tensor of the spec's dtype."""
    converted = list(args)
    for position, (spec, value) in enumerate(zip(signature, args)):
        if isinstance(spec, TensorSpec) and not isinstance(value, Tensor) and _plain_value(value):
            converted[position] = convert_to_tensor(value, spec.dtype)
    return tuple(converted)


def _plain_value(value):
    """A number, string, bytes, bool, array or (nested) list of them: what a TensorSpec converts."""
    if isinstance(value, (str, bytes, bool, int, float, numpy.ndarray, numpy.generic)):
        return True
    return isinstance(value, (list, tuple)) and all(_plain_value(item) for item in value)


def _check_signature(name, signature, args):
    if len(args) != len(signature):
        raise TypeError(f"{name} takes {len(signature)} input(s) by its input_signature, got {len(args)}")
    for position, (spec, value) in enumerate(zip(signature, args)):
        if hasattr(spec, "element_spec"):  # a DatasetSpec: a dataset whose elements look alike
            from learnet import function_type

            if not function_type.is_dataset(value) or function_type.trace_type_of(value) != spec:
                got = function_type.trace_type_of(value)
                raise SignatureMismatchError(
                    None, None, f"{name}: input {position} does not match its input_signature {spec!r}: got {got!r}"
                )
        elif type(spec).__name__ == "VariableSpec":  # a variable of this shape and dtype, itself
            from learnet.tensor import Variable

            if not (
                isinstance(value, Variable)
                and tuple(value.shape) == tuple(spec.shape)
                and numpy.dtype(value.dtype) == spec.dtype
            ):
                raise SignatureMismatchError(
                    None, None, f"{name}: input {position} must be a variable like {spec!r}, got {value!r}"
                )
        elif isinstance(spec, TensorSpec) and not spec.is_compatible_with(value):
            got = convert_to_tensor(value) if not isinstance(value, Tensor) else value
            raise SignatureMismatchError(
                None,
                None,
                f"{name}: input {position} does not match its input_signature {spec!r}: "
                f"got shape {tuple(got.shape)} and dtype {_dtype_name(got.dtype)}",
            )


# Who wants to hear of every tf.function call (tf.summary.trace_on, which exports their graphs).
trace_listeners: list = []

# How many tf.function calls are running now: ``tape.function_depth``, where the ops read it
# too. TensorFlow traces their bodies into a graph, where a few ops take what eager mode
# refuses (``tf.shape(x, out_type=tf.float32)``) and an unused op is pruned (``tape.UnusedOpError``).
_function_depth = _tape.function_depth


def inside_function() -> bool:
    """Whether a ``tf.function`` (or code run as one, ``as_in_function``) is running now."""
    return _function_depth[0] > 0


@contextlib.contextmanager
def as_in_function():
    """Run a block as TensorFlow runs the body of a ``tf.function`` (learnet still runs it eagerly)."""
    _function_depth[0] += 1
    try:
        yield
    finally:
        _function_depth[0] -= 1


@contextlib.contextmanager
def init_scope():
    """Run a block outside any ``tf.function`` being traced (``tf.init_scope``).

    TensorFlow lifts the block out of the graph into eager mode, where variables and
    other state are created once. learnet runs everything eagerly, so the block simply
    runs; inside it ``inside_function()`` is ``False`` again, as in TensorFlow.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.control import inside_function
    >>> @tf.function
    ... def where_am_i():
    ...     with tf.init_scope():
    ...         lifted = inside_function()
    ...     return inside_function(), lifted
    >>> [bool(flag) for flag in where_am_i()]
    [True, False]
    """
    depth = _function_depth[0]
    _function_depth[0] = 0
    try:
        yield
    finally:
        _function_depth[0] = depth


class _Trace:
    """One trace TensorFlow would have made: the inputs' trace types, the output's, the captures.

    A trace made by a call knows its output from that call; one made by
    ``get_concrete_function`` (or with an ``input_signature`` with unknown sizes) reads it
    from its concrete function's graph, where sizes that follow an unknown input size are ``None``.
    """

    _MISSING = object()

    def __init__(self, inputs, concrete=None, prefer_graph=False):
        self.inputs = inputs  # (name, kind, trace type) of each input: the key of the trace
        self.output = _Trace._MISSING
        self.captures: dict = {}
        self.concrete = concrete
        self.prefer_graph = prefer_graph

    def function_type(self):
        from learnet import function_type

        parameters = function_type.as_parameters(self.inputs)
        if self.concrete is not None and (self.prefer_graph or self.output is _Trace._MISSING):
            try:
                from_graph = self.concrete.function_type
                return function_type.FunctionType(parameters, from_graph.output, from_graph.captures)
            except Exception:
                if self.output is _Trace._MISSING:
                    raise
        return function_type.FunctionType(parameters, self.output, self.captures)


class _DiscardedNotes(list):
    """The notes of a listener that only wants to know which variables are read."""

    def append(self, note):
        pass


@contextlib.contextmanager
def _variables_captured():
    """Collect the trainable Variables a block reads, while the tapes around it keep recording."""
    listener = _tape._VariableListener()
    listener._notes = _DiscardedNotes()
    _tape._recording.append(listener)  # type: ignore[arg-type]
    try:
        yield listener.read
    finally:
        for position in range(len(_tape._recording) - 1, -1, -1):
            if _tape._recording[position] is listener:
                del _tape._recording[position]
                break


class Function:
    """What ``@tf.function`` makes: the Python function, run eagerly, with TF's methods.

    Tracing is not needed (learnet runs every op at once), so a call runs the Python
    body as written. With an ``input_signature``, inputs are checked against it and a
    mismatch raises ``ValueError``, as in TensorFlow. ``get_concrete_function`` returns a
    callable fixed to a signature.

    Each call notes the trace types of its inputs (``learnet.function_type``): a kind of
    input not seen before is what TensorFlow would trace again, so
    ``experimental_get_tracing_count()`` and ``pretty_printed_concrete_signatures()`` tell
    what TensorFlow's would.

    Examples
    --------
    >>> import learnet as tf
    >>> @tf.function
    ... def double(a):
    ...     return a + a
    >>> _ = double(tf.constant(1)), double(tf.constant(2))
    >>> double.experimental_get_tracing_count()
    1
    >>> print(double.pretty_printed_concrete_signatures())
    Input Parameters:
      a (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(), dtype=tf.int32, name=None)
    Output Type:
      TensorSpec(shape=(), dtype=tf.int32, name=None)
    Captures:
      None
    """

    # Traces noted per function (a function called with a new Python number each time traces each time).
    _MAX_TRACES = 1000

    def __init__(self, python_function, input_signature=None, **options):
        functools.update_wrapper(self, python_function)
        self.python_function = python_function
        self.input_signature = None if input_signature is None else list(input_signature)
        self.options = options
        self._instance = None
        # The (shape, dtype) of the tensor inputs of the calls made so far, per object for a
        # method: what TensorFlow would have traced, and what tf.saved_model.save stores.
        self._calls: dict = {}
        self._calls_per_object: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()
        # The traces TensorFlow would have made, by the trace types of their inputs, in order;
        # "relaxed": whether a trace may take inputs of other types (unknown sizes, custom TraceTypes).
        self._traces: dict = {}
        self._trace_state = {"relaxed": False, "count": 0}
        self._traces_per_object: "weakref.WeakKeyDictionary[Any, tuple]" = weakref.WeakKeyDictionary()
        self._signature_cache: Any = None

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        bound = Function(self.python_function.__get__(instance, owner), self.input_signature, **self.options)
        try:
            bound._calls = self._calls_per_object.setdefault(instance, {})
            bound._traces, bound._trace_state = self._traces_per_object.setdefault(
                instance, ({}, {"relaxed": False, "count": 0})
            )
        except TypeError:  # an object that cannot be referenced weakly keeps no record
            pass
        return bound

    def __call__(self, *args, **kwargs):
        if self.input_signature is not None:
            args, kwargs = _bind_signature(self.python_function, self.input_signature, args, kwargs)
            _check_signature(self.__name__, self.input_signature, args)
            args = _as_signature_tensors(self.input_signature, args)
        elif len(self._calls) < 16:
            self._note_call(args, kwargs)
        if trace_listeners:  # tf.summary.trace_on: the graphs of the functions called are wanted
            for listener in trace_listeners:
                listener(self, args, kwargs)
        trace = self._new_trace(args, kwargs)
        if trace is None:
            with as_in_function(), _end_of_data_as_out_of_range():
                return _as_tensors(self.python_function(*args, **kwargs))
        with as_in_function(), _variables_captured() as read, _end_of_data_as_out_of_range():
            result = _as_tensors(self.python_function(*args, **kwargs))
        from learnet import function_type

        trace.output = function_type.output_type_of(result)
        given = {id(value) for value in flatten([args, kwargs]) if isinstance(value, Tensor)}
        trace.captures = function_type.variable_captures(v for v in dict.fromkeys(read) if id(v) not in given)
        return result

    # --- the traces TensorFlow would have made ------------------------------------------------
    def _python_signature(self):
        if self._signature_cache is None:
            try:
                self._signature_cache = inspect.signature(self.python_function)
            except (TypeError, ValueError):
                self._signature_cache = False
        return self._signature_cache

    def _inputs_of(self, args, kwargs):
        """The ``(name, kind, trace type)`` of a call's inputs, or ``None`` where they cannot be told."""
        from learnet import function_type

        signature = self._python_signature()
        if signature is False:
            return None
        if self.input_signature is not None:  # one trace, of the declared specs
            args, kwargs = self.input_signature, {}
        try:
            return function_type.input_types(signature, args, kwargs)
        except function_type.CallDoesNotFit:  # calling the function raises Python's own error
            return None

    def _find_trace(self, inputs):
        """The trace that takes inputs of these types: the same types, or (where a trace is
        relaxed) types each a subtype of that trace's."""
        from learnet import function_type

        try:
            found = self._traces.get(inputs)
        except TypeError:  # a custom trace type that cannot be hashed: compared one by one
            found = None
        if found is not None or not self._trace_state["relaxed"]:
            return found
        for trace in self._traces.values():
            if len(trace.inputs) == len(inputs) and all(
                a[:2] == b[:2] and function_type.is_subtype(a[2], b[2]) for a, b in zip(inputs, trace.inputs)
            ):
                return trace
        return None

    def _add_trace(self, inputs, concrete=None):
        from learnet import function_type

        trace = _Trace(inputs, concrete)
        trace.prefer_graph = any(
            isinstance(kind, TensorSpec) and (kind.shape is None or None in kind.shape) for _, _, kind in inputs
        )
        custom = any(
            isinstance(kind, function_type.TraceType) and type(kind).__module__ != function_type.__name__
            for _, _, kind in inputs
        )
        if trace.prefer_graph or custom:
            self._trace_state["relaxed"] = True
        self._trace_state["count"] += 1
        if len(self._traces) < self._MAX_TRACES:
            try:
                self._traces[inputs] = trace
            except TypeError:  # unhashable custom trace type: kept under its position
                self._traces[("unhashable", len(self._traces))] = trace
        return trace

    def _new_trace(self, args, kwargs):
        """A new ``_Trace`` for a call whose kind of inputs TensorFlow had not traced yet, else ``None``."""
        inputs = self._inputs_of(args, kwargs)
        if inputs is None or self._find_trace(inputs) is not None:
            return None
        if self.input_signature is not None:  # its one trace, which reads unknown sizes from the graph
            self.get_concrete_function()
            return self._find_trace(inputs)
        return self._add_trace(inputs)

    def experimental_get_tracing_count(self):
        """How many times TensorFlow would have traced this function so far.

        One trace per new kind of input (``learnet.function_type``): another shape or dtype
        of tensor, another Python value, another structure; ``get_concrete_function`` with a
        new signature counts too. learnet runs every call eagerly, so this counts what
        TensorFlow would do, for the lessons on retracing.

        Examples
        --------
        >>> import learnet as tf
        >>> @tf.function
        ... def square(x):
        ...     return x * x
        >>> _ = square(tf.constant(2)), square(tf.constant(3)), square(tf.constant([1, 2])), square(2)
        >>> square.experimental_get_tracing_count()
        3
        """
        return self._trace_state["count"]

    def pretty_printed_concrete_signatures(self, verbose=True):
        """The concrete functions TensorFlow would have traced so far, as TensorFlow prints them.

        One block per trace, in the order they were made, separated by a blank line::

            Input Parameters:
              a (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(), dtype=tf.int32, name=None)
            Output Type:
              TensorSpec(shape=(), dtype=tf.int32, name=None)
            Captures:
              None

        ``verbose=False`` gives one line per trace, ``(a: TensorSpec(...)) -> TensorSpec(...)``.
        A function not called yet prints nothing (``''``).

        Examples
        --------
        >>> import learnet as tf
        >>> @tf.function
        ... def add(a, b=1):
        ...     return a + b
        >>> _ = add(tf.constant(1.0)), add(tf.constant(1.0), b=2)
        >>> print(add.pretty_printed_concrete_signatures(verbose=False))
        (a: TensorSpec(shape=(), dtype=tf.float32, name=None), b: Literal[1]) -> TensorSpec(shape=(), dtype=tf.float32, name=None)
        (a: TensorSpec(shape=(), dtype=tf.float32, name=None), b: Literal[2]) -> TensorSpec(shape=(), dtype=tf.float32, name=None)
        """
        types_of = [trace.function_type() for trace in self._traces.values()]
        if verbose:
            return "\n\n".join(function_type.pretty_printed() for function_type in types_of)
        return "\n".join(str(function_type) for function_type in types_of)

    def _note_call(self, args, kwargs=None):
        if kwargs:
            args = self._keywords_as_positions(args, kwargs)
            if args is None:
                return  # a keyword the saved graph cannot take by position: not stored
        key = []
        for value in args:
            if not isinstance(value, (Tensor, numpy.ndarray)):
                return  # Python values are fixed in TensorFlow's traces: nothing learnet can store
            key.append((tuple(value.shape), str(value.dtype)))
        key = tuple(key)
        if key not in self._calls:
            self._calls[key] = [TensorSpec.from_tensor(value) for value in args]

    def _keywords_as_positions(self, args, kwargs):
        """The inputs of a call given partly by keyword, in the order of the parameters.

        ``generate_one_step(x, states=s)`` is noted as ``(x, s)`` when ``states`` is the second
        parameter, so ``tf.saved_model.save`` stores that signature and the loaded function,
        which reads keywords by parameter name, takes the same call. A keyword left at its
        default ``None`` counts as not given (TensorFlow traces it as a Python constant).
        Returns ``None`` where the keywords cannot be put in positions: a keyword-only
        parameter, ``**kwargs``, or a parameter skipped between two given ones.
        """
        try:
            parameters = list(inspect.signature(self.python_function).parameters.values())
        except (TypeError, ValueError):
            return None
        rest = dict(kwargs)
        defaults = {p.name: p.default for p in parameters}
        for name in [name for name, value in rest.items() if value is None and defaults.get(name, 0) is None]:
            del rest[name]
        positional = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        values = list(args)
        for name in positional[len(args) :]:
            if name not in rest:
                break
            values.append(rest.pop(name))
        return None if rest else values

    def traced_signatures(self):
        """The input signatures a saved graph of this function holds: its ``input_signature``,
        else those of its concrete functions and calls so far (tensor inputs only), in order."""
        if self.input_signature is not None:
            return [list(self.input_signature)]
        found = list(self._calls.values())
        for concrete in self.__dict__.get("_concrete_functions", {}).values():
            if not concrete._bound and concrete.inputs not in found:
                found.append(list(concrete.inputs))
        return found

    def get_concrete_function(self, *args, **kwargs):
        """A ``ConcreteFunction`` for these example inputs (or specs), or for the input_signature.

        Inputs may be given by name; a Python value (not a tensor or spec) is fixed in the
        concrete function, as TensorFlow traces it: ``pow.get_concrete_function(a=spec, b=2)``.
        """
        if kwargs:
            return self._concrete_from_named(args, kwargs)
        signature_of_function = self._python_signature()
        if args and signature_of_function is not False:
            try:
                signature_of_function.bind(*args)
            except TypeError as error:
                raise TypeError(
                    f"{self.__name__}.get_concrete_function: the inputs do not fit {self.__name__}{signature_of_function}: "
                    f"{error}"
                ) from None
        if args:
            signature = _specs_of_inputs(args)
            if self.input_signature is not None:
                for given, declared in zip(signature, self.input_signature):
                    if not declared.is_compatible_with(given):
                        raise ValueError(f"{self.__name__}: {given!r} does not match the input_signature {declared!r}")
        elif self.input_signature is not None:
            signature = self.input_signature
        else:
            signature = []
        # One concrete function per signature, as TensorFlow keeps them (`f.get_concrete_function(x) is` the same).
        cache = self.__dict__.setdefault("_concrete_functions", {})
        key = tuple(signature)
        if key not in cache:
            try:
                parameters = list(inspect.signature(self.python_function).parameters.values())
            except (TypeError, ValueError):
                parameters = []
            positional = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            names = positional[: len(signature)] if len(positional) >= len(signature) else None
            cache[key] = ConcreteFunction(self.python_function, signature, names=names)
            self._note_concrete(cache[key], signature, {})
        return cache[key]

    def _note_concrete(self, concrete, args, kwargs):
        """Count a concrete function made for a kind of inputs not traced yet, as TensorFlow traces it."""
        from learnet import function_type

        inputs = self._inputs_of(args, kwargs)
        if inputs is None:
            return
        concrete._parameters = function_type.as_parameters(inputs)
        if self._find_trace(inputs) is None:
            self._add_trace(inputs, concrete)

    def _concrete_from_named(self, args, kwargs):
        try:
            bound = inspect.signature(self.python_function).bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{self.__name__}.get_concrete_function: {error}") from None
        names, specs, fixed = [], [], {}
        for name, value in bound.arguments.items():
            if isinstance(value, TensorSpec) or isinstance(value, Tensor) or isinstance(value, numpy.ndarray):
                names.append(name)
                specs.append(value if isinstance(value, TensorSpec) else TensorSpec.from_tensor(value))
            else:
                fixed[name] = value
        cache = self.__dict__.setdefault("_concrete_functions", {})
        key = (tuple(zip(names, specs)), tuple(sorted((k, repr(v)) for k, v in fixed.items())))
        if key not in cache:
            cache[key] = ConcreteFunction(self.python_function, specs, bound=fixed, names=names)
            self._note_concrete(cache[key], (), {**dict(zip(names, specs)), **fixed})
        return cache[key]


def _specs_of_inputs(values):
    """The specs of a call's example inputs: a variable is a ``VariableSpec`` (numbered by which
    variable of the call it is, as TensorFlow's ``alias_id``), never a tensor placeholder."""
    from learnet import function_type
    from learnet.tensor import Variable

    specs, aliases = [], {}
    for value in values:
        if isinstance(value, Variable):
            alias = aliases.setdefault(id(value), len(aliases))
            specs.append(function_type.VariableSpec(value.shape, value.dtype, bool(value.trainable), alias))
        else:
            specs.append(_spec_of_input(value))
    return specs


def _spec_of_input(value):
    """What a concrete function fixes of one example input: a ``TensorSpec`` (a ``DatasetSpec`` for a dataset)."""
    if isinstance(value, TensorSpec):
        return value
    from learnet import function_type

    if function_type.is_dataset(value) or isinstance(value, function_type.DatasetSpec):
        return function_type.trace_type_of(value)
    return TensorSpec.from_tensor(value)


def function(
    func=None,
    input_signature=None,
    autograph=True,
    jit_compile=None,
    reduce_retracing=False,
    experimental_relax_shapes=None,
    experimental_compile=None,
    name=None,
    **options,
):
    """Accept ``@tf.function``: the function runs eagerly and keeps TF's methods.

    Examples
    --------
    >>> import learnet as tf
    >>> @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    ... def double(x):
    ...     return 2 * x
    >>> double(tf.constant([1.0, 2.0])).numpy()
    array([2., 4.], dtype=float32)
    """
    if func is None:
        return lambda f: Function(f, input_signature)
    return Function(func, input_signature)


def _do_not_convert(func=None):
    return (lambda f: f) if func is None else func


# `tf.autograph`: learnet runs Python control flow as written, so nothing is converted.
autograph = types.SimpleNamespace(
    to_code=lambda entity, **kwargs: inspect.getsource(entity),
    to_graph=lambda entity, **kwargs: entity,
    set_verbosity=lambda level, alsologtostdout=False: None,
    experimental=types.SimpleNamespace(do_not_convert=_do_not_convert),
)


class name_scope:  # noqa: N801 - TensorFlow's name
    """``with tf.name_scope("layer1"):``: names created inside start with ``layer1/``.

    learnet keeps the current scope as text (``name_scope.current()``); ``tf.Module`` uses it.
    """

    _stack = []

    def __init__(self, name):
        if not isinstance(name, str):
            raise TypeError(f"name_scope expects a string, got {type(name).__name__}")
        self.name = name

    def __enter__(self):
        name_scope._stack.append(self.name)
        return "/".join(name_scope._stack) + "/"

    def __exit__(self, *exc):
        name_scope._stack.pop()
        return False

    @staticmethod
    def current():
        """The scope in force now, ``'outer/inner/'`` (``''`` outside any)."""
        return "".join(part + "/" for part in name_scope._stack)


def _python_call(func, inp, Tout, stateful, name, tensors):  # noqa: N803 - TensorFlow's names
    """Run ``func`` and give back what it returns as tensors of the types ``Tout`` names.

    ``tensors=True`` (``py_function``): ``func`` gets learnet tensors, so ``x.numpy()`` works
    inside and a gradient flows through the learnet ops it runs; a tensor it returns with
    the declared dtype comes back as it is. ``tensors=False`` (``numpy_function``): NumPy arrays.
    ``Tout`` a list or tuple: a list of as many tensors (``[]`` for ``()``).
    """
    what = "py_function" if tensors else "numpy_function"
    if tensors:
        args = [x if isinstance(x, Tensor) else convert_to_tensor(x) for x in inp]
    else:
        args = [numpy.asarray(x.numpy() if isinstance(x, Tensor) else x) for x in inp]
    result = func(*args)

    def as_tensor(value, dtype):
        if isinstance(value, Tensor) and value.dtype == _as_dtype(dtype):
            return value
        return convert_to_tensor(numpy.asarray(value.numpy() if isinstance(value, Tensor) else value), dtype=dtype)

    if isinstance(Tout, (list, tuple)):
        results = [] if result is None else list(result) if isinstance(result, (list, tuple)) else [result]
        if len(results) != len(Tout):
            raise ValueError(f"{what}: func returned {len(results)} value(s), Tout declares {len(Tout)}: {list(Tout)}")
        return [as_tensor(value, dtype) for value, dtype in zip(results, Tout)]
    if result is None:
        raise ValueError(f"{what}: func returned None, Tout declares one {Tout}; give Tout=[] for no result")
    return as_tensor(result, Tout)


def _python_function(tensors):
    def function(func=None, inp=None, Tout=None, stateful=True, name=None):  # noqa: N803 - TensorFlow's names
        if Tout is None:
            raise TypeError(
                "py_function / numpy_function need Tout, the type of what func returns "
                "(as a decorator: @tf.py_function(Tout=tf.float32))"
            )
        if inp is None:  # a decorator, as in TensorFlow: @tf.py_function(Tout=tf.float32)

            def decorate(python_function):
                @functools.wraps(python_function)
                def wrapped(*args):
                    return _python_call(python_function, list(args), Tout, stateful, name, tensors)

                return wrapped

            return decorate if func is None else decorate(func)
        return _python_call(func, list(inp), Tout, stateful, name, tensors)

    return function


py_function = _python_function(tensors=True)
py_function.__name__ = py_function.__qualname__ = "py_function"
py_function.__doc__ = """Run the Python function ``func`` on the tensors ``inp`` (``tf.py_function``).

    ``func`` gets learnet tensors (``x.numpy()`` works inside) and what it returns comes back
    as tensors of the dtypes ``Tout`` names; without ``inp`` it is a decorator.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.py_function(lambda t: t.numpy().decode().upper(), [tf.constant("abc")], tf.string).numpy()
    b'ABC'
    """
numpy_function = _python_function(tensors=False)
numpy_function.__name__ = numpy_function.__qualname__ = "numpy_function"
numpy_function.__doc__ = """Run the Python function ``func`` on NumPy arrays of ``inp`` (``tf.numpy_function``).

    What it returns comes back as tensors of the dtypes ``Tout`` names (no gradient).

    Examples
    --------
    >>> import learnet as tf, numpy as np
    >>> tf.numpy_function(lambda a: np.sort(a), [tf.constant([3, 1, 2])], tf.int32).numpy().tolist()
    [1, 2, 3]
    """
