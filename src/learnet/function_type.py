"""What a ``tf.function`` was called with and returned, in TensorFlow's terms.

TensorFlow traces a ``tf.function`` once for every new kind of input and keeps one
concrete function per trace. learnet runs every call eagerly, but it notes the kinds of
input the same way, so a student sees what TensorFlow would have traced:
``experimental_get_tracing_count()``, ``pretty_printed_concrete_signatures()`` and a
concrete function's ``function_type``.

The kind of a value is its *trace type*:

* a tensor: ``TensorSpec(shape, dtype)``; a Variable: ``VariableSpec``;
* a Python number, string, bool or ``None``: ``Literal[value]`` (each new value is a new trace);
* a list, tuple or dict: ``List[...]``, ``Tuple[...]``, ``Dict[[key, type], ...]`` of its items;
* a ``tf.data.Dataset``: ``DatasetSpec(element_spec, TensorShape([]))``;
* an object with ``__tf_tracing_type__(context)``: the ``TraceType`` that method returns;
* any other object: ``Weakref[...]``, itself (a new object is a new trace).

Examples
--------
>>> import learnet as tf
>>> @tf.function
... def double(a):
...     return a + a
>>> _ = double(tf.constant(1)), double(tf.constant(2)), double(tf.constant(1.5))
>>> double.experimental_get_tracing_count()
2
>>> print(double.get_concrete_function(tf.constant(1)).function_type)
(a: TensorSpec(shape=(), dtype=tf.int32, name=None)) -> TensorSpec(shape=(), dtype=tf.int32, name=None)
"""

import abc
import collections
import inspect
import sys
import types as _python_types
import weakref

import numpy

from learnet.control import AtomicFunction, ConcreteFunction, Function, TensorSpec
from learnet.tensor import Tensor, Variable, _dtype_name

__all__ = [
    "DatasetSpec",
    "FunctionType",
    "Literal",
    "Parameter",
    "TraceType",
    "VariableSpec",
    "as_parameters",
    "input_types",
    "is_dataset",
    "trace_type_of",
    "output_type_of",
    "types",
]


class TraceType(abc.ABC):
    """The kind of an input, as ``tf.function`` tells traces apart (``tf.types.experimental.TraceType``).

    A class whose objects are passed to a ``tf.function`` may define
    ``__tf_tracing_type__(self, context)`` returning a ``TraceType``: two calls whose
    inputs have equal trace types (or a subtype of a traced one) share one trace.

    Examples
    --------
    >>> import learnet as tf
    >>> class FruitType(tf.types.experimental.TraceType):
    ...     def __init__(self, fruit):
    ...         self.kind = type(fruit)
    ...     def is_subtype_of(self, other):
    ...         return self == other
    ...     def most_specific_common_supertype(self, others):
    ...         return self if all(self == other for other in others) else None
    ...     def placeholder_value(self, placeholder_context=None):
    ...         return None
    ...     def __eq__(self, other):
    ...         return type(other) is FruitType and self.kind is other.kind
    ...     def __hash__(self):
    ...         return hash(self.kind)
    >>> class Apple:
    ...     def __tf_tracing_type__(self, context):
    ...         return FruitType(self)
    >>> @tf.function
    ... def eat(fruit):
    ...     return 1
    >>> _ = eat(Apple()), eat(Apple())
    >>> eat.experimental_get_tracing_count()
    1
    """

    @abc.abstractmethod
    def is_subtype_of(self, other):
        """Whether every value of this type is also of type ``other``."""

    @abc.abstractmethod
    def most_specific_common_supertype(self, others):
        """The narrowest type that this type and every one of ``others`` belong to, or ``None``."""

    @abc.abstractmethod
    def placeholder_value(self, placeholder_context=None):
        """A value of this type, to run the function on while tracing it."""

    @abc.abstractmethod
    def __eq__(self, other):
        """Equal types share one trace."""

    @abc.abstractmethod
    def __hash__(self):
        """Equal types hash alike (trace types are looked up in a dict)."""


class _Simple(TraceType):
    """A trace type equal to another of its class with the same ``_key``."""

    def _key(self):
        raise NotImplementedError

    def is_subtype_of(self, other):
        return self == other

    def most_specific_common_supertype(self, others):
        return self if all(self == other for other in others) else None

    def placeholder_value(self, placeholder_context=None):
        return None

    def __eq__(self, other):
        return type(other) is type(self) and self._key() == other._key()

    def __hash__(self):
        return hash((type(self).__name__, self._key()))


class Literal(_Simple):
    """A Python number, string, bool or ``None`` given to a ``tf.function``: fixed in its trace."""

    def __init__(self, value):
        hash(value)  # an unhashable value cannot name a trace: the caller falls back to Weakref
        self.value = value

    def _key(self):
        # Equal values share a trace, as in TensorFlow: a call with 2.0 after one with 2 does not retrace.
        return self.value

    def placeholder_value(self, placeholder_context=None):
        return self.value

    def __repr__(self):
        return f"Literal[{self.value!r}]"


class _Collection(_Simple):
    """``List[...]`` or ``Tuple[...]`` of the items' trace types."""

    def __init__(self, kind, items):
        self.kind, self.items = kind, tuple(items)

    def _key(self):
        return (self.kind, self.items)

    def is_subtype_of(self, other):
        return (
            type(other) is _Collection
            and self.kind == other.kind
            and len(self.items) == len(other.items)
            and all(is_subtype(a, b) for a, b in zip(self.items, other.items))
        )

    def __repr__(self):
        return f"{self.kind}[{', '.join(map(repr, self.items))}]"


class _Dict(_Simple):
    """``Dict[[key, type], ...]``, the items in the order they were given."""

    def __init__(self, items):
        self.items = tuple(items)

    def _key(self):
        return self.items

    def is_subtype_of(self, other):
        return (
            type(other) is _Dict
            and [key for key, _ in self.items] == [key for key, _ in other.items]
            and all(is_subtype(a, b) for (_, a), (_, b) in zip(self.items, other.items))
        )

    def __repr__(self):
        return "Dict[" + ", ".join(f"[{key!r}, {value!r}]" for key, value in self.items) + "]"


class _Weakref(_Simple):
    """Any other object: its trace is its own (a new object traces again). It is not kept alive."""

    def __init__(self, value):
        try:
            self.reference = weakref.ref(value)
        except TypeError:  # an object that cannot be referenced weakly is told by its id only
            self.reference = None
        self._id, self._type_name = id(value), type(value).__name__

    def _key(self):
        return self._id if self.reference is None or self.reference() is not None else None

    def __repr__(self):
        if self.reference is None:
            return f"Weakref[<{self._type_name} at {self._id:#x}>]"
        return f"Weakref[{self.reference!r}]"


class VariableSpec(_Simple):
    """A ``tf.Variable`` given to a ``tf.function``: its shape, dtype, trainability and which variable of the call it is."""

    def __init__(self, shape, dtype, trainable=True, alias_id=None):
        self.shape, self.dtype, self.trainable, self.alias_id = tuple(shape), numpy.dtype(dtype), trainable, alias_id

    def _key(self):
        return (self.shape, self.dtype, self.trainable, self.alias_id)

    def __repr__(self):
        return (
            f"VariableSpec(shape={self.shape!r}, dtype=tf.{_dtype_name(self.dtype)}, "
            f"trainable={self.trainable}, alias_id={self.alias_id})"
        )


class DatasetSpec(_Simple):
    """A ``tf.data.Dataset`` given to a ``tf.function``: the structure of its elements.

    It keeps the dataset it was made from, weakly, so a concrete function's graph can run on it.
    """

    def __init__(self, element_spec, dataset=None):
        self.element_spec = element_spec
        self._dataset = None if dataset is None else weakref.ref(dataset)

    @classmethod
    def from_value(cls, dataset):
        return cls(dataset.element_spec, dataset)

    @property
    def dataset(self):
        """The dataset this spec was made from, if it is still alive."""
        return None if self._dataset is None else self._dataset()

    def _key(self):
        return repr(self.element_spec)

    @property
    def value_type(self):
        return type(self.dataset)

    def __repr__(self):
        return f"DatasetSpec({self.element_spec!r}, TensorShape([]))"


def is_dataset(value):
    """Whether ``value`` is a ``tf.data.Dataset`` (learnet's data module, or an object like it).

    The data module sits on a higher floor, so it is looked up only once it is loaded: no
    dataset exists before.
    """
    data = sys.modules.get("learnet.data")
    return data is not None and isinstance(value, data.Dataset)


def is_subtype(a, b):
    """Whether an input of trace type ``a`` may run in the trace made for ``b``."""
    if a == b:
        return True
    if isinstance(a, TensorSpec) and isinstance(b, TensorSpec):
        return a.dtype == b.dtype and b.is_compatible_with(a) and (b.shape is None or a.shape is not None)
    if isinstance(a, TraceType):
        return bool(a.is_subtype_of(b))
    return False


class _TracingContext:
    """What ``__tf_tracing_type__`` receives: the variables seen so far in this call (for ``alias_id``)."""

    def __init__(self):
        self.alias_ids: dict = {}

    def alias_id(self, value):
        return self.alias_ids.setdefault(id(value), len(self.alias_ids))


def trace_type_of(value, context=None):
    """The trace type of one input (see the module's notes for each kind)."""
    context = _TracingContext() if context is None else context
    if isinstance(value, Tensor):  # first: the common input
        if isinstance(value, Variable):
            return VariableSpec(value.shape, value.dtype, bool(value.trainable), context.alias_id(value))
        return TensorSpec(value.shape, value.dtype)
    if isinstance(value, (TensorSpec, TraceType)):
        return value
    if isinstance(value, numpy.ndarray):
        return TensorSpec(value.shape, value.dtype)
    if hasattr(type(value), "__tf_tracing_type__"):
        result = value.__tf_tracing_type__(context)
        if not isinstance(result, TraceType):
            raise TypeError(
                f"{type(value).__name__}.__tf_tracing_type__ must return a tf.types.experimental.TraceType, "
                f"got {type(result).__name__}"
            )
        return result
    if is_dataset(value):
        return DatasetSpec.from_value(value)
    if isinstance(value, list):
        return _Collection("List", [trace_type_of(item, context) for item in value])
    if isinstance(value, tuple):
        return _Collection("Tuple", [trace_type_of(item, context) for item in value])
    if isinstance(value, dict):
        return _Dict((key, trace_type_of(item, context)) for key, item in value.items())
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, numpy.generic)):
        try:
            return Literal(value)
        except TypeError:
            pass
    return _Weakref(value)


def output_type_of(result):
    """The trace type of what a function returned (tensors as ``TensorSpec``, with ``None`` sizes kept)."""
    if isinstance(result, Tensor):
        return TensorSpec(result.shape, result.dtype)
    if hasattr(result, "shape") and hasattr(result, "dtype") and hasattr(result, "op"):  # a graph tensor
        return TensorSpec(result.shape, result.dtype)
    if isinstance(result, list):
        return _Collection("List", [output_type_of(item) for item in result])
    if isinstance(result, tuple):
        return _Collection("Tuple", [output_type_of(item) for item in result])
    if isinstance(result, dict):
        return _Dict((key, output_type_of(item)) for key, item in result.items())
    return trace_type_of(result)


class Parameter(inspect.Parameter):
    """One input of a ``FunctionType``: its name, kind and ``type_constraint`` (its trace type)."""

    __slots__ = ()

    def __init__(self, name, kind, optional, type_constraint):
        # ``optional`` is TensorFlow's flag for a default left out of the trace; learnet notes
        # the inputs of calls and concrete functions, where every parameter has a value.
        super().__init__(name, kind, annotation=type_constraint)

    @property
    def optional(self):
        return False

    @property
    def type_constraint(self):
        return self.annotation

    def __repr__(self):
        return (
            f"Parameter(name={self.name}, kind={self.kind.name}, optional=False, type_constraint={self.annotation!r})"
        )


class FunctionType(inspect.Signature):
    """The inputs and output of one concrete function (``tf.types.experimental.FunctionType``).

    ``str`` prints it as TensorFlow does, ``(a: TensorSpec(...)) -> TensorSpec(...)``;
    ``parameters`` maps each input's name to its ``Parameter``; ``output`` is the trace type
    of what the function returns; ``captures`` the variables it reads from outside.

    Examples
    --------
    >>> import learnet as tf
    >>> @tf.function
    ... def scale(x, factor=2.0):
    ...     return x * factor
    >>> function_type = scale.get_concrete_function(tf.constant([1.0, 2.0])).function_type
    >>> print(function_type)
    (x: TensorSpec(shape=(2,), dtype=tf.float32, name=None), factor: Literal[2.0]) -> TensorSpec(shape=(2,), dtype=tf.float32, name=None)
    >>> function_type.parameters["factor"].type_constraint
    Literal[2.0]
    """

    __slots__ = ("captures",)

    def __init__(self, parameters=(), output=None, captures=None):
        super().__init__(list(parameters), return_annotation=output)
        self.captures = collections.OrderedDict(captures or {})

    @property
    def output(self):
        return self.return_annotation

    def pretty_printed(self):
        """TensorFlow's block of text: ``Input Parameters:``, ``Output Type:``, ``Captures:``."""
        lines = ["Input Parameters:"]
        lines += [f"  {p.name} ({p.kind.name}): {p.annotation!r}" for p in self.parameters.values()]
        lines += ["Output Type:", f"  {self.output!r}", "Captures:"]
        if self.captures:
            lines += [f"  {key}: {value!r}" for key, value in self.captures.items()]
        else:
            lines.append("  None")
        return "\n".join(lines)

    __repr__ = pretty_printed  # as TensorFlow shows a FunctionType at the prompt


class _ResourceSpec:
    """How TensorFlow prints a captured variable: the handle of a resource."""

    def __repr__(self):
        return "TensorSpec(shape=(), dtype=tf.resource, name=None)"


def variable_captures(variables):
    """The captures of a function that reads ``variables``: TensorFlow lists each by a number and a resource spec."""
    return {id(variable): _ResourceSpec() for variable in variables}


class CallDoesNotFit(TypeError):
    """The inputs of a call do not fit the parameters of the function called."""


def input_types(signature, args, kwargs, context=None):
    """The inputs of a call ``f(*args, **kwargs)`` of a function with this ``inspect.Signature``,
    as a tuple of ``(name, kind, trace type)``: what tells one trace from another.

    Defaults count as given (TensorFlow shows ``y: Literal[2.0]`` for a default ``y=2.0``);
    ``*args`` become ``args_0, args_1, ...`` by position and ``**kwargs`` keyword-only
    parameters. Raises ``CallDoesNotFit`` (a ``TypeError``) when the call does not fit the signature.
    """
    context = _TracingContext() if context is None else context
    parameters = list(signature.parameters.values())
    if not kwargs and len(args) <= len(parameters) and all(p.kind is p.POSITIONAL_OR_KEYWORD for p in parameters):
        # The common call, all inputs by position: no binding needed.
        rest = parameters[len(args) :]
        if all(p.default is not p.empty for p in rest):
            values = list(args) + [p.default for p in rest]
            return tuple((p.name, p.kind, trace_type_of(v, context)) for p, v in zip(parameters, values))
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        raise CallDoesNotFit(str(error)) from None
    bound.apply_defaults()
    found = []
    for parameter in parameters:
        value = bound.arguments.get(parameter.name)
        if parameter.kind is parameter.VAR_POSITIONAL:
            found += [
                (f"{parameter.name}_{i}", Parameter.POSITIONAL_ONLY, trace_type_of(item, context))
                for i, item in enumerate(value or ())
            ]
        elif parameter.kind is parameter.VAR_KEYWORD:
            found += [
                (key, Parameter.KEYWORD_ONLY, trace_type_of(item, context)) for key, item in (value or {}).items()
            ]
        else:
            found.append((parameter.name, parameter.kind, trace_type_of(value, context)))
    if any(kind is Parameter.POSITIONAL_ONLY for _, kind, _ in found):
        # Inputs before *args can only be given by position once *args takes some.
        last = max(i for i, (_, kind, _) in enumerate(found) if kind is Parameter.POSITIONAL_ONLY)
        found = [
            (name, Parameter.POSITIONAL_ONLY if i < last else kind, kind_type)
            for i, (name, kind, kind_type) in enumerate(found)
        ]
    return tuple(found)


def as_parameters(types_of_inputs):
    """``Parameter``s of the ``(name, kind, trace type)`` triples ``input_types`` gives."""
    return [Parameter(name, kind, False, constraint) for name, kind, constraint in types_of_inputs]


# ``tf.types.experimental``: the classes TensorFlow's guides subclass or check against.
types = _python_types.SimpleNamespace(
    experimental=_python_types.SimpleNamespace(
        TraceType=TraceType,
        FunctionType=FunctionType,
        ConcreteFunction=ConcreteFunction,
        GenericFunction=Function,
        PolymorphicFunction=Function,
        AtomicFunction=AtomicFunction,
    )
)
