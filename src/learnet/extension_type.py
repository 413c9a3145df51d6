"""``tf.experimental.ExtensionType``: your own immutable records of tensors, and the ops that take them.

A class that derives from ``ExtensionType`` declares its fields with type annotations,
as a ``dataclass`` does, and gets from this module:

* a constructor that checks every field against its annotation and converts it
  (``tf.Tensor`` fields through ``tf.convert_to_tensor``, tuples to ``tuple``, mappings to
  an ``ImmutableDict``), then calls the class's ``__validate__``;
* ``__repr__``, ``__eq__`` / ``__ne__`` (a scalar boolean tensor when both sides have the
  same type spec: every tensor of the same shape and equal elementwise);
* immutability: a field can be set only inside the constructor;
* a nested ``Spec`` class (a ``tf.TypeSpec``): the value with every tensor replaced by its
  ``tf.TensorSpec``; ``value._type_spec`` and ``type_spec_from_value`` build it;
* ``BatchableExtensionType``: a value that stands for a batch of values, which
  ``stack`` / ``unstack`` and the spec's ``_batch`` / ``_unbatch`` turn into one another.

The dispatch decorators (``dispatch_for_api``, ``dispatch_for_unary_elementwise_apis``,
``dispatch_for_binary_elementwise_apis``) register functions that learnet's ops call
instead of their own when an argument is an extension type: every op built with
``tape.primitive`` (and ``tape.no_gradient``) asks ``tape.dispatch_hook`` on its slow path,
the one taken when an argument is not already a Tensor, so ordinary tensors pay nothing.

learnet runs eagerly, so ``tf.function`` simply calls the Python function with the value.

Examples
--------
>>> import learnet as tf
>>> class MaskedTensor(tf.experimental.ExtensionType):
...     values: tf.Tensor
...     mask: tf.Tensor
>>> mt = MaskedTensor([1, 2, 3], [True, False, True])
>>> mt.values.numpy()
array([1, 2, 3], dtype=int32)
>>> mt._type_spec
MaskedTensor.Spec(values=TensorSpec(shape=(3,), dtype=tf.int32, name=None), mask=TensorSpec(shape=(3,), dtype=tf.bool, name=None))
>>> @tf.experimental.dispatch_for_unary_elementwise_apis(MaskedTensor)
... def masked_unary(api_func, x):
...     return MaskedTensor(api_func(x.values), x.mask)
>>> tf.abs(MaskedTensor([-1, 2], [True, False])).values.numpy()
array([1, 2], dtype=int32)
"""

import collections.abc
import inspect
import sys
import types
import typing

import numpy

from learnet import tape
from learnet.control import TensorSpec
from learnet.tensor import Tensor, TensorShape, convert_to_tensor
from learnet.warn import warn

__all__ = [
    "BatchableExtensionType",
    "BatchableExtensionTypeSpec",
    "ExtensionType",
    "ExtensionTypeSpec",
    "ImmutableDict",
    "dispatch_for_api",
    "dispatch_for_binary_elementwise_apis",
    "dispatch_for_unary_elementwise_apis",
    "type_spec_from_value",
    "unregister_dispatch_for",
]

_NO_DEFAULT = inspect.Parameter.empty
# Every extension type defined so far (``ExtensionType.__init_subclass__`` adds each).
_EXTENSION_CLASSES: set = set()
# Keras writes these on the tensors a layer returns; they are not fields.
_MUTABLE_ATTRIBUTES = frozenset({"_keras_mask", "_keras_history"})


class ImmutableDict(collections.abc.Mapping):
    """A read-only dict: what a ``Mapping`` field holds.

    Examples
    --------
    >>> ImmutableDict({"a": 1})
    ImmutableDict({'a': 1})
    """

    def __init__(self, *args, **kwargs):
        self._dict = dict(*args, **kwargs)

    def __getitem__(self, key):
        return self._dict[key]

    def __iter__(self):
        return iter(self._dict)

    def __len__(self):
        return len(self._dict)

    def __repr__(self):
        return f"ImmutableDict({self._dict!r})"

    def __hash__(self):
        return hash(tuple(self._dict.items()))


# --- Field annotations: what each field accepts and how a value is converted ---------------------------------
def _origin(annotation):
    return typing.get_origin(annotation)


def _is_union(annotation):
    return _origin(annotation) in (typing.Union, types.UnionType)


def _check_annotation(annotation, where):
    """Raise ``TypeError`` at class definition for an annotation a field cannot have."""
    if annotation is None or annotation is type(None) or isinstance(annotation, (str, typing.ForwardRef)):
        return
    if annotation in (int, float, str, bool, Tensor, TensorShape, numpy.dtype):
        return
    if _is_union(annotation):
        for option in typing.get_args(annotation):
            _check_annotation(option, where)
        return
    if _origin(annotation) is tuple:
        for option in typing.get_args(annotation):
            if option is not Ellipsis:
                _check_annotation(option, where)
        return
    if _origin(annotation) in (collections.abc.Mapping, dict):
        for option in typing.get_args(annotation):
            _check_annotation(option, where)
        return
    if isinstance(annotation, type) and (issubclass(annotation, ExtensionType) or _is_composite_class(annotation)):
        return
    name = getattr(annotation, "__name__", repr(annotation))
    raise TypeError(f"In field {where!r}: Unsupported type annotation {name!r}")


def _is_composite_class(cls):
    """``tf.RaggedTensor`` and ``tf.SparseTensor``: tensors of other kinds, kept as they are."""
    return cls.__module__ in ("learnet.ragged", "learnet.sparse") and cls.__name__ in ("RaggedTensor", "SparseTensor")


def _type_name(annotation):
    names = {Tensor: "tf.Tensor", TensorShape: "tf.TensorShape", numpy.dtype: "tf.DType", type(None): "NoneType"}
    if annotation in names:
        return names[annotation]
    return getattr(annotation, "__name__", repr(annotation))


def _convert(value, annotation, path, for_spec=False):
    """``value`` checked against ``annotation`` and converted (``TypeError`` names the field's ``path``).

    For a spec (``for_spec``), a ``tf.Tensor`` field holds a ``tf.TensorSpec`` and an
    extension-type field the other type's ``Spec``.
    """
    if annotation is None or annotation is type(None):
        if value is not None:
            raise TypeError(f"{path}: expected 'NoneType', got {type(value).__name__!r}")
        return None
    if annotation is Tensor:
        return _convert_spec(value, path) if for_spec else _convert_tensor(value, path)
    if annotation is bool or annotation is str:
        if type(value) is not annotation and not isinstance(value, annotation):
            raise TypeError(f"{path}: expected {annotation.__name__!r}, got {type(value).__name__!r}")
        return value
    if annotation is int or annotation is float:
        # As in TensorFlow, a bool is an int but an int is not a float.
        if not isinstance(value, (annotation, numpy.integer if annotation is int else numpy.floating)):
            raise TypeError(f"{path}: expected {annotation.__name__!r}, got {type(value).__name__!r}")
        return value if isinstance(value, annotation) else annotation(value)
    if annotation is TensorShape:
        if value is None:
            return None  # a shape of unknown rank
        if isinstance(value, (TensorShape, list, tuple)) and all(
            d is None or isinstance(d, (int, numpy.integer)) for d in value
        ):
            return TensorShape(None if d is None else int(d) for d in value)
        raise TypeError(f"{path}: expected 'tf.TensorShape', got {type(value).__name__!r}")
    if annotation is numpy.dtype:
        if isinstance(value, numpy.dtype):
            return value
        if isinstance(value, type) and issubclass(value, numpy.generic):  # tf.float32 is numpy.float32
            return numpy.dtype(value)
        raise TypeError(f"{path}: expected 'tf.DType', got {type(value).__name__!r}")
    if _is_union(annotation):
        return _convert_union(value, annotation, path, for_spec)
    if _origin(annotation) is tuple:
        return _convert_tuple(value, typing.get_args(annotation), path, for_spec)
    if _origin(annotation) in (collections.abc.Mapping, dict):
        if not isinstance(value, collections.abc.Mapping):
            raise TypeError(f"{path}: expected a Mapping, got {type(value).__name__!r}")
        key_type, value_type = typing.get_args(annotation) or (typing.Any, typing.Any)
        return ImmutableDict(
            (_convert(k, key_type, f"{path}[<key>]", for_spec), _convert(v, value_type, f"{path}[{k!r}]", for_spec))
            for k, v in value.items()
        )
    if isinstance(annotation, type) and issubclass(annotation, ExtensionType):
        wanted = annotation.Spec if for_spec else annotation
        if not isinstance(value, wanted):
            raise TypeError(f"{path}: expected {wanted.__name__!r}, got {type(value).__name__!r}")
        return value
    if isinstance(annotation, type) and _is_composite_class(annotation):
        if isinstance(value, _CompositeSpec if for_spec else annotation):
            return value
        raise TypeError(f"{path}: expected {annotation.__name__!r}, got {type(value).__name__!r}")
    if annotation is typing.Any:
        return value
    raise TypeError(f"{path}: Unsupported type annotation {annotation!r}")


def _convert_tensor(value, path):
    if isinstance(value, Tensor):
        return value  # a Variable stays a Variable, so gradients flow through the field
    if value is None or isinstance(value, (ExtensionType, ExtensionTypeSpec, dict, set)):
        raise TypeError(f"{path}: expected a Tensor, got {type(value).__name__!r}")
    try:
        return convert_to_tensor(value)
    except (TypeError, ValueError):
        raise TypeError(f"{path}: expected a Tensor, got {type(value).__name__!r}") from None


def _convert_spec(value, path):
    if isinstance(value, TensorSpec):
        return value
    raise TypeError(f"{path}: expected a TensorSpec, got {type(value).__name__!r}")


def _convert_union(value, annotation, path, for_spec):
    # As TensorFlow: the first option the value converts to wins (``(1, 2)`` for
    # ``Union[tf.Tensor, Tuple[int, ...]]`` becomes a tensor).
    for option in typing.get_args(annotation):
        try:
            return _convert(value, option, path, for_spec)
        except TypeError:
            continue
    raise TypeError(f"{path}: expected {annotation}, got {type(value).__name__!r}")


def _convert_tuple(value, element_types, path, for_spec):
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{path}: expected tuple, got {type(value).__name__!r}")
    if len(element_types) == 2 and element_types[1] is Ellipsis:
        element_types = (element_types[0],) * len(value)
    elif not element_types:  # a bare `tuple`
        return tuple(value)
    elif len(element_types) != len(value):
        raise TypeError(f"{path}: expected tuple with length {len(element_types)}, got {type(value).__name__!r})")
    return tuple(_convert(v, t, f"{path}[{i}]", for_spec) for i, (v, t) in enumerate(zip(value, element_types)))


# --- The classes ------------------------------------------------------------------------------------------
class _Field:
    """One declared field: its name, its annotation and its default (``_NO_DEFAULT`` if none)."""

    __slots__ = ("name", "annotation", "default")

    def __init__(self, name, annotation, default):
        self.name, self.annotation, self.default = name, annotation, default


def _resolve(annotation, cls):
    """A string annotation (a forward reference such as ``"Node"``) as the class it names."""
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        names = dict(vars(sys.modules.get(cls.__module__, types.ModuleType("empty"))))
        names[cls.__name__] = cls
        try:
            return eval(annotation, names)  # noqa: S307 - the class's own annotation, as typing does
        except NameError as error:
            raise TypeError(f"{cls.__name__}: cannot resolve the type annotation {annotation!r} ({error})") from None
    args = typing.get_args(annotation)
    resolved = tuple(a if a is Ellipsis else _resolve(a, cls) for a in args)
    if resolved == args:
        return annotation
    if _is_union(annotation):
        return typing.Union[resolved]
    if _origin(annotation) is tuple:
        return typing.Tuple[resolved]  # noqa: UP006 - rebuilt from a typing.Tuple
    return typing.Mapping[resolved]  # noqa: UP006 - rebuilt from a typing.Mapping


def _fields_of(cls):
    """The declared fields of ``cls`` and its bases, in declaration order (bases first)."""
    fields = {}
    for base in reversed(cls.__mro__):
        if "_tf_framework" in base.__dict__:  # this module's own base classes declare no fields
            continue
        for name, annotation in base.__dict__.get("__annotations__", {}).items():
            if typing.get_origin(annotation) is typing.ClassVar:
                continue
            default = base.__dict__.get(name, _NO_DEFAULT)
            if isinstance(default, (property, types.FunctionType, classmethod, staticmethod)):
                default = _NO_DEFAULT
            fields[name] = _Field(name, annotation, default)
    return tuple(fields.values())


class _Building:
    """Lets the constructor set fields (``__setattr__`` refuses them afterwards)."""

    def __call__(cls, *args, **kwargs):
        self = cls.__new__(cls)
        object.__setattr__(self, "_tf_building", True)
        try:
            cls.__init__(self, *args, **kwargs)
        finally:
            object.__delattr__(self, "_tf_building")
        self._tf_finish()
        return self


class _ExtensionTypeMeta(_Building, type):
    """Builds every instance with ``_Building.__call__``; nothing else."""


class ExtensionTypeSpec(metaclass=_ExtensionTypeMeta):
    """The ``tf.TypeSpec`` of an extension type: its fields with every tensor replaced by its ``tf.TensorSpec``.

    Each extension type ``T`` has its own ``T.Spec``. It holds what stays the same when
    tensors change values (their shapes and dtypes, and the Python fields), and it is
    hashable, so it names a "kind" of value (``tf.function``'s input signature, a
    dataset's ``element_spec``).

    Examples
    --------
    >>> import learnet as tf
    >>> class Pair(tf.experimental.ExtensionType):
    ...     left: tf.Tensor
    ...     right: tf.Tensor
    >>> spec = Pair.Spec(tf.TensorSpec([2]), tf.TensorSpec([2]))
    >>> spec.is_compatible_with(Pair([1.0, 2.0], [3.0, 4.0]))
    True
    """

    value_type: typing.Any = None  # the extension type this spec describes (set on each ``T.Spec``)

    def __init__(self, *args, **kwargs):
        if type(self).value_type is None:
            raise TypeError("ExtensionTypeSpec is abstract: use the .Spec of an extension type")
        bound = _spec_signature(type(self)).bind(*args, **kwargs)
        bound.apply_defaults()
        for name, value in bound.arguments.items():
            setattr(self, name, value)

    def _tf_finish(self):
        fields = type(self).value_type._tf_fields()
        for field in fields:
            if field.name not in self.__dict__:
                raise TypeError(f"{type(self).__qualname__}: field {field.name!r} was not set")
            value = _convert(self.__dict__[field.name], field.annotation, field.name, for_spec=True)
            object.__setattr__(self, field.name, value)

    @classmethod
    def from_value(cls, value):
        """The spec of ``value``: its fields, each tensor replaced by its ``tf.TensorSpec``."""
        if not isinstance(value, cls.value_type):
            raise TypeError(
                f"{cls.__qualname__}.from_value expects a {cls.value_type.__qualname__}, got {type(value).__name__}"
            )
        spec = cls.__new__(cls)
        for field in value._tf_fields():
            object.__setattr__(spec, field.name, _spec_of(getattr(value, field.name)))
        return spec

    def is_compatible_with(self, spec_or_value):
        """Whether a value (or spec) of this extension type fits: same Python fields, tensors of compatible shape and dtype."""
        other = spec_or_value
        if isinstance(other, ExtensionType):
            if not isinstance(other, self.value_type):
                return False
            other = other._type_spec
        if type(other) is not type(self):
            return False
        return _compatible(self._tf_values(), other._tf_values())

    def _tf_values(self):
        return tuple(self.__dict__[f.name] for f in self.value_type._tf_fields())

    def _to_components(self, value):
        """The tensors of ``value``, flat, in field order (the "dynamic part" TensorFlow passes to a graph)."""
        return _flat_tensors(value)

    def _from_components(self, tensors):
        """A value of this spec rebuilt from the flat tensors ``_to_components`` gave."""
        tensors = list(tensors)
        value = _pack(self, tensors)
        if tensors:
            raise ValueError(f"{type(self).__qualname__}: {len(tensors)} tensors left over")
        return value

    def __setattr__(self, name, value):
        if "_tf_building" in self.__dict__ and name in {f.name for f in self.value_type._tf_fields()}:
            object.__setattr__(self, name, value)
            return
        raise AttributeError(f"Cannot mutate attribute `{name}` outside the custom constructor of ExtensionTypeSpec.")

    def __delattr__(self, name):
        raise AttributeError(f"Cannot mutate attribute `{name}` outside the custom constructor of ExtensionTypeSpec.")

    def __eq__(self, other):
        return type(other) is type(self) and _same(self._tf_values(), other._tf_values())

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((type(self), _hashable(self._tf_values())))

    def __repr__(self):
        parts = ", ".join(
            f"{f.name}={_spec_repr(self.__dict__[f.name])}"
            for f in self.value_type._tf_fields()
            if f.name in self.__dict__
        )
        return f"{type(self).__qualname__}({parts})"


class BatchableExtensionTypeSpec(ExtensionTypeSpec):
    """The spec of a ``BatchableExtensionType``: it also knows the spec of a batch of such values.

    Examples
    --------
    >>> import learnet as tf
    >>> class Point(tf.experimental.BatchableExtensionType):
    ...     xy: tf.Tensor
    >>> Point([1.0, 2.0])._type_spec._batch(4)
    Point.Spec(xy=TensorSpec(shape=(4, 2), dtype=tf.float32, name=None))
    """

    def _batch(self, batch_size):
        """The spec of ``batch_size`` such values stacked (``None``: any number)."""
        return self._map_tensor_specs(
            lambda s: TensorSpec(None if s.shape is None else (batch_size, *s.shape), s.dtype)
        )

    def _unbatch(self):
        """The spec of one value of a batch of this spec."""

        def drop(spec):
            if spec.shape is not None and len(spec.shape) == 0:
                raise ValueError(f"{type(self).__qualname__}: a scalar tensor has no batch axis to remove")
            return TensorSpec(None if spec.shape is None else spec.shape[1:], spec.dtype)

        return self._map_tensor_specs(drop)

    def _map_tensor_specs(self, function):
        spec = type(self).__new__(type(self))
        for field in self.value_type._tf_fields():
            object.__setattr__(spec, field.name, _map_specs(function, self.__dict__[field.name]))
        return spec


class ExtensionType(metaclass=_ExtensionTypeMeta):
    """Base class of user-defined immutable records of tensors (``tf.experimental.ExtensionType``).

    Declare the fields with type annotations; a default is the class attribute's value.
    Supported annotations: ``tf.Tensor``, ``tf.TensorShape``, ``tf.DType``, ``int``,
    ``float``, ``str``, ``bool``, ``None``, other extension types, ``tf.RaggedTensor`` and
    ``tf.SparseTensor``, ``typing.Tuple[...]`` (also ``Tuple[T, ...]``),
    ``typing.Mapping[K, V]``, ``typing.Union`` and ``typing.Optional``, and forward
    references by name (``"Node"``).

    Examples
    --------
    >>> import learnet as tf
    >>> class Pencil(tf.experimental.ExtensionType):
    ...     color: str = "black"
    ...     length: tf.Tensor = 1.0
    >>> Pencil(color="blue").color
    'blue'
    >>> float(Pencil().length)
    1.0
    """

    _tf_framework = True
    Spec: typing.Any = ExtensionTypeSpec
    _tf_spec_base: typing.Any = ExtensionTypeSpec

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "_tf_framework" in cls.__dict__:  # BatchableExtensionType: a base class, not a user's type
            return
        _EXTENSION_CLASSES.add(cls)
        for field in _fields_of(cls):
            _check_annotation(field.annotation, field.name)
        # The class's own ``Spec`` (if it wrote one) is the base of the spec made for it.
        user_spec = cls.__dict__.get("Spec")
        bases = (user_spec,) if isinstance(user_spec, type) else ()
        bases += (cls._tf_spec_base,)
        namespace = {"value_type": cls, "__module__": cls.__module__, "__qualname__": f"{cls.__qualname__}.Spec"}
        if isinstance(user_spec, type):
            namespace.update({k: v for k, v in vars(user_spec).items() if k not in ("__dict__", "__weakref__")})
            namespace["value_type"] = cls
            namespace["__qualname__"] = f"{cls.__qualname__}.Spec"
            bases = (cls._tf_spec_base,)
        cls.Spec = _ExtensionTypeMeta(f"{cls.__name__}.Spec", bases, namespace)
        # A class without its own constructor gets one made from its fields (a parent's own
        # constructor, written by hand, is inherited as Python inherits it).
        if "__init__" not in cls.__dict__ and cls.__init__ in (_generated_init, ExtensionType.__init__):
            cls.__init__ = _generated_init

    def __init__(self, *args, **kwargs):
        if type(self) is ExtensionType or type(self) is BatchableExtensionType:
            raise AssertionError(
                f"Cannot create an instance of {type(self).__name__} because {type(self).__name__} is an abstract base class."
            )

    @classmethod
    def _tf_fields(cls):
        """The fields, their annotations' forward references resolved (cached per class)."""
        if "_tf_fields_cache" not in cls.__dict__:
            fields = tuple(_Field(f.name, _resolve(f.annotation, cls), f.default) for f in _fields_of(cls))
            for field in fields:
                _check_annotation(field.annotation, field.name)
            cls._tf_fields_cache = fields
        return cls.__dict__["_tf_fields_cache"]

    def _tf_finish(self):
        """After the constructor: every field set, checked and converted; then ``__validate__``."""
        for field in self._tf_fields():
            if field.name not in self.__dict__:
                if field.default is _NO_DEFAULT:
                    raise TypeError(f"{type(self).__qualname__}: field {field.name!r} was not set by the constructor")
                object.__setattr__(self, field.name, field.default)
            object.__setattr__(self, field.name, _convert(self.__dict__[field.name], field.annotation, field.name))
        self.__validate__()

    def __validate__(self):
        """Check the fields after they are converted (override it; raise to reject the value)."""

    @property
    def _type_spec(self):
        """This value's ``Spec``: the fields with every tensor replaced by its ``tf.TensorSpec``."""
        spec = self.__dict__.get("_tf_type_spec")
        if spec is None:
            spec = type(self).Spec.from_value(self)
            object.__setattr__(self, "_tf_type_spec", spec)
        return spec

    def __setattr__(self, name, value):
        if name in _MUTABLE_ATTRIBUTES or ("_tf_building" in self.__dict__ and name in self._tf_field_names()):
            object.__setattr__(self, name, value)
            return
        raise AttributeError(f"Cannot mutate attribute `{name}` outside the custom constructor of ExtensionType.")

    def __delattr__(self, name):
        if name in _MUTABLE_ATTRIBUTES or ("_tf_building" in self.__dict__ and name in self._tf_field_names()):
            object.__delattr__(self, name)
            return
        raise AttributeError(f"Cannot mutate attribute `{name}` outside the custom constructor of ExtensionType.")

    @classmethod
    def _tf_field_names(cls):
        return {f.name for f in cls._tf_fields()}

    def __repr__(self):
        fields = ", ".join(f"{f.name}={self.__dict__.get(f.name)!r}" for f in self._tf_fields())
        return f"{type(self).__qualname__}({fields})"

    def __eq__(self, other):
        if type(self) is not type(other) or self._type_spec != other._type_spec:
            return False
        mine, theirs = _flat_tensors(self), _flat_tensors(other)
        equal = all(
            tuple(a.shape) == tuple(b.shape) and all(map(numpy.array_equal, _arrays_of(a), _arrays_of(b)))
            for a, b in zip(mine, theirs, strict=True)
        )
        return convert_to_tensor(numpy.bool_(equal))

    def __ne__(self, other):
        equal = self.__eq__(other)
        if isinstance(equal, Tensor):
            return convert_to_tensor(numpy.logical_not(equal.numpy()))
        return not equal

    __hash__ = None  # type: ignore[assignment]


class BatchableExtensionType(ExtensionType):
    """An extension type whose value may stand for a batch of values (``tf.experimental.BatchableExtensionType``).

    Every tensor of a batch has the batch axes in front. ``Dataset`` and ``map_fn``
    cut a batch into values and stack values into a batch with ``unstack`` / ``stack``
    of this module (tensor by tensor).

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet import extension_type
    >>> class Point(tf.experimental.BatchableExtensionType):
    ...     xy: tf.Tensor
    >>> batch = extension_type.stack([Point([1.0, 2.0]), Point([3.0, 4.0])])
    >>> batch.xy.shape
    TensorShape([2, 2])
    >>> extension_type.unstack(batch)[1].xy.numpy()
    array([3., 4.], dtype=float32)
    """

    _tf_framework = True
    Spec: typing.Any = BatchableExtensionTypeSpec
    _tf_spec_base: typing.Any = BatchableExtensionTypeSpec


def _generated_init(self, *args, **kwargs):
    """The constructor of an extension type without its own: one argument per field, in order."""
    bound = _value_signature(type(self)).bind(*args, **kwargs)
    bound.apply_defaults()
    for name, value in bound.arguments.items():
        setattr(self, name, value)


def _value_signature(cls):
    if "_tf_signature_cache" in cls.__dict__:
        return cls.__dict__["_tf_signature_cache"]
    parameters = [
        inspect.Parameter(f.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=f.default) for f in cls._tf_fields()
    ]
    _check_default_order(cls, parameters)
    cls._tf_signature_cache = inspect.Signature(parameters)
    return cls._tf_signature_cache


def _spec_signature(spec_cls):
    fields = spec_cls.value_type._tf_fields()
    # A Python default is the spec's default too; a tensor's default value says nothing of its spec.
    parameters = [
        inspect.Parameter(
            f.name,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=f.default if f.annotation is not Tensor else _NO_DEFAULT,
        )
        for f in fields
    ]
    _check_default_order(spec_cls, parameters)
    return inspect.Signature(parameters)


def _check_default_order(cls, parameters):
    seen_default = False
    for parameter in parameters:
        if parameter.default is not _NO_DEFAULT:
            seen_default = True
        elif seen_default:
            raise TypeError(f"{cls.__qualname__}: field {parameter.name!r} without a default follows a field with one")


# --- Walking the tensors of a value ----------------------------------------------------------------------
class _CompositeSpec(typing.NamedTuple):
    """The spec of a ``tf.RaggedTensor`` or ``tf.SparseTensor`` field: its kind, shape and dtype."""

    kind: str
    shape: tuple
    dtype: typing.Any

    def __repr__(self):
        return f"{self.kind}Spec(TensorShape({list(self.shape)}), tf.{numpy.dtype(self.dtype).name})"


def _spec_of(value):
    """A field's value with every tensor (or extension type) replaced by its spec."""
    if isinstance(value, Tensor):
        return TensorSpec(value.shape, value.dtype)
    if _is_composite_class(type(value)):
        return _CompositeSpec(type(value).__name__, tuple(value.shape), value.dtype)
    if isinstance(value, ExtensionType):
        return value._type_spec
    if isinstance(value, tuple) and not isinstance(value, TensorShape):
        return tuple(_spec_of(v) for v in value)
    if isinstance(value, ImmutableDict):
        return ImmutableDict((k, _spec_of(v)) for k, v in value.items())
    return value


def type_spec_from_value(value):
    """The ``tf.TypeSpec`` of ``value`` (``tf.type_spec_from_value``): an extension type's ``Spec``, or a ``tf.TensorSpec``.

    Examples
    --------
    >>> import learnet as tf
    >>> type_spec_from_value(tf.constant([1.0, 2.0]))
    TensorSpec(shape=(2,), dtype=tf.float32, name=None)
    """
    if isinstance(value, ExtensionType):
        return value._type_spec
    if isinstance(value, Tensor):
        return _spec_of(value)
    try:
        return _spec_of(convert_to_tensor(value))
    except (TypeError, ValueError):
        raise TypeError(f"type_spec_from_value: cannot build a TypeSpec for {type(value).__name__}") from None


def _spec_repr(value):
    if isinstance(value, ImmutableDict):  # TensorFlow prints a spec's mapping as a plain dict
        return repr({k: v for k, v in value.items()})
    return repr(value)


def _flat_tensors(value):
    """Every tensor inside an extension type, in field order (nested types and containers walked)."""
    if isinstance(value, Tensor) or _is_composite_class(type(value)):
        return [value]  # a ragged or sparse tensor travels whole
    if isinstance(value, ExtensionType):
        return [t for f in value._tf_fields() for t in _flat_tensors(value.__dict__[f.name])]
    if isinstance(value, tuple) and not isinstance(value, TensorShape):
        return [t for v in value for t in _flat_tensors(v)]
    if isinstance(value, ImmutableDict):
        return [t for v in value.values() for t in _flat_tensors(v)]
    return []


def _arrays_of(tensor):
    """The NumPy arrays that make up a tensor (a ragged tensor: values and row splits)."""
    if isinstance(tensor, Tensor):
        return [tensor.numpy()]
    parts = (
        ("flat_values", "row_splits")
        if type(tensor).__name__ == "RaggedTensor"
        else ("indices", "values", "dense_shape")
    )
    return [numpy.asarray(getattr(tensor, part).numpy()) for part in parts]


def _pack(spec, tensors):
    """A value like ``spec`` (a spec or a field's spec) built from ``tensors``, consumed from the front."""
    if isinstance(spec, (TensorSpec, _CompositeSpec)):
        if not tensors:
            raise ValueError("too few tensors for the spec")
        return tensors.pop(0)
    if isinstance(spec, ExtensionTypeSpec):
        value_type = spec.value_type
        value = value_type.__new__(value_type)
        for field in value_type._tf_fields():
            object.__setattr__(value, field.name, _pack(spec.__dict__[field.name], tensors))
        return value
    if isinstance(spec, tuple) and not isinstance(spec, (TensorShape, _CompositeSpec)):
        return tuple(_pack(s, tensors) for s in spec)
    if isinstance(spec, ImmutableDict):
        return ImmutableDict((k, _pack(s, tensors)) for k, s in spec.items())
    return spec


def _map_specs(function, spec):
    if isinstance(spec, TensorSpec):
        return function(spec)
    if isinstance(spec, BatchableExtensionTypeSpec):
        return spec._map_tensor_specs(function)
    if isinstance(spec, tuple) and not isinstance(spec, (TensorShape, _CompositeSpec)):
        return tuple(_map_specs(function, s) for s in spec)
    if isinstance(spec, ImmutableDict):
        return ImmutableDict((k, _map_specs(function, s)) for k, s in spec.items())
    return spec


def _compatible(mine, theirs):
    if isinstance(mine, TensorSpec):
        return isinstance(theirs, TensorSpec) and mine.is_compatible_with(theirs)
    if isinstance(mine, ExtensionTypeSpec):
        return mine.is_compatible_with(theirs)
    if isinstance(mine, tuple):
        return isinstance(theirs, tuple) and len(mine) == len(theirs) and all(map(_compatible, mine, theirs))
    if isinstance(mine, ImmutableDict):
        return (
            isinstance(theirs, ImmutableDict)
            and mine.keys() == theirs.keys()
            and all(_compatible(mine[k], theirs[k]) for k in mine)
        )
    return _same(mine, theirs)


def _same(a, b):
    if isinstance(a, (tuple, ImmutableDict)) or isinstance(b, (tuple, ImmutableDict)):
        return type(a) is type(b) and _hashable(a) == _hashable(b)
    return type(a) is type(b) and a == b


def _hashable(value):
    if isinstance(value, tuple):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, ImmutableDict):
        return tuple((k, _hashable(v)) for k, v in value.items())
    return value


def map_tensors(function, value):
    """``value`` rebuilt with ``function`` applied to each of its tensors (the Python fields kept).

    Examples
    --------
    >>> import learnet as tf
    >>> class Pair(tf.experimental.ExtensionType):
    ...     left: tf.Tensor
    ...     right: tf.Tensor
    >>> int(map_tensors(lambda t: t * 2, Pair(1, 2)).right)
    4
    """
    spec = value._type_spec
    tensors = [function(t) for t in _flat_tensors(value)]
    return spec._from_components(tensors)


def stack(values):
    """One batchable extension-type value holding ``values`` (all of one spec) along a new first axis.

    ``Dataset.batch`` and ``map_fn`` put values together this way.
    """
    values = list(values)
    if not values or not all(isinstance(v, BatchableExtensionType) for v in values):
        raise TypeError("stack expects a non-empty list of BatchableExtensionType values")
    first = values[0]
    if any(type(v) is not type(first) for v in values):
        raise TypeError("stack: every value must be of the same extension type")
    flat = [_flat_tensors(v) for v in values]
    from learnet.ops import shape as _shape_ops

    stacked = [_shape_ops.stack(list(column)) for column in zip(*flat, strict=True)]
    return _rebuild(first, stacked)


def unstack(value):
    """The values of a batch, cut along its first axis (each a value of ``value``'s type)."""
    if not isinstance(value, BatchableExtensionType):
        raise TypeError(f"unstack expects a BatchableExtensionType value, got {type(value).__name__}")
    tensors = _flat_tensors(value)
    if not tensors:
        raise ValueError(f"unstack: a {type(value).__name__} with no tensors has no batch axis")
    sizes = {t.shape[0] if len(t.shape) else None for t in tensors}
    if None in sizes or len(sizes) != 1:
        raise ValueError(
            f"unstack: the tensors of {type(value).__name__} need one common first axis, got {sorted(map(str, sizes))}"
        )
    return [_rebuild(value, [t[i] for t in tensors]) for i in range(sizes.pop())]


def _rebuild(like, tensors):
    """A value like ``like`` with its tensors replaced by ``tensors``; the constructor is not called,
    and Python fields (a batch ``shape``, say) are kept as they are."""
    return _pack(like._type_spec, list(tensors))


# --- Dispatch: learnet ops called with extension types -----------------------------------------------------
# Handlers for one API, keyed by every function object along the API's ``__wrapped__`` chain: the
# public function a user names may be a thin wrapper around the recorded op that calls the hook.
_api_handlers: dict = {}
_unary_handlers: list = []
_binary_handlers: list = []

# TensorFlow's unary and binary elementwise APIs, by the names learnet's ops carry.
_UNARY_ELEMENTWISE = frozenset(
    "abs acos acosh angle asin asinh atan atanh bessel_i0 bessel_i0e bessel_i1 bessel_i1e cast ceil "
    "check_numerics clip_by_value conj cos cosh digamma elu erf erfc erfcinv erfinv exp expm1 floor gelu imag "
    "invert is_finite is_inf is_nan leaky_relu lgamma log log1p log_sigmoid log_softmax logical_not ndtri neg "
    "negative ones_like real reciprocal reciprocal_no_nan relu relu6 rint round rsqrt saturate_cast selu "
    "sigmoid sign sin sinh softplus softsign sqrt square swish silu tan tanh zeros_like".split()
)
_BINARY_ELEMENTWISE = frozenset(
    "add atan2 bitwise_and bitwise_or bitwise_xor complex div div_no_nan divide equal floor_div floor_mod "
    "floordiv greater greater_equal left_shift less less_equal logical_and logical_or logical_xor maximum "
    "minimum multiply multiply_no_nan not_equal pow real_div right_shift scalar_mul squared_difference "
    "subtract truediv truncate_div truncate_mod xdivy xlog1py xlogy zeta".split()
)


def _chain(api):
    """``api`` and the functions it wraps (``__wrapped__``), outermost first."""
    found = []
    while api is not None and api not in found:
        found.append(api)
        api = getattr(api, "__wrapped__", None)
    return found


def _calls_hook(function):
    return bool(getattr(function, "is_primitive", False) or hasattr(function, "graph_name"))


def dispatch_for_api(api, *signatures):
    """Decorator: call the decorated function instead of ``api`` when the arguments match its annotations.

    The decorated function takes ``api``'s parameters; its type annotations (or the
    ``signatures``, dicts of parameter name to type) say which calls it handles:
    ``List[MaskedTensor]``, ``Union[MaskedTensor, tf.Tensor]``... learnet asks for a
    handler only when an argument is an extension type.

    Examples
    --------
    >>> import learnet as tf
    >>> from typing import List
    >>> class Box(tf.experimental.ExtensionType):
    ...     content: tf.Tensor
    >>> @tf.experimental.dispatch_for_api(tf.stack)
    ... def box_stack(values: List[Box], axis=0):
    ...     return Box(tf.stack([v.content for v in values], axis))
    >>> tf.stack([Box([1, 2]), Box([3, 4])]).content.numpy().tolist()
    [[1, 2], [3, 4]]
    >>> tf.experimental.unregister_dispatch_for(box_stack)
    """
    if not callable(api):
        raise TypeError(f"dispatch_for_api expects a TensorFlow API function, got {type(api).__name__}")
    for signature in signatures:
        if not isinstance(signature, dict):
            raise TypeError(f"dispatch_for_api: a signature is a dict of parameter name to type, got {signature!r}")

    def decorator(handler):
        found = signatures or (_annotations_of(handler),)
        if not any(found):
            raise ValueError(
                f"dispatch_for_api: {handler.__name__} needs type annotations (or a signature) to dispatch on"
            )
        names = set(inspect.signature(handler).parameters)
        for signature in found:
            unknown = set(signature) - names
            if unknown:
                raise ValueError(
                    f"dispatch_for_api: the signature names parameters {sorted(unknown)} that {handler.__name__} lacks"
                )
        chain = _chain(api)
        if not any(_calls_hook(f) for f in chain):
            warn(
                f"dispatch_for_api: learnet's {getattr(api, '__name__', api)} does not dispatch to extension types yet; "
                f"{handler.__name__} is registered but will not be called"
            )
        for function in chain:
            _api_handlers.setdefault(function, []).append((handler, tuple(found)))
        _install()
        return handler

    return decorator


def _annotations_of(handler):
    signature = inspect.signature(handler)
    return {
        name: p.annotation
        for name, p in signature.parameters.items()
        if p.annotation is not inspect.Parameter.empty and p.annotation is not typing.Any
    }


def dispatch_for_unary_elementwise_apis(x_type):
    """Decorator: ``handler(api_func, x)`` runs every unary elementwise op (``tf.abs``, ``tf.math.exp``...) on ``x`` of ``x_type``.

    ``api_func`` is the op with its other arguments bound: calling it on a tensor does
    what the user's call would have done to that tensor.

    Examples
    --------
    >>> import learnet as tf
    >>> class Scaled(tf.experimental.ExtensionType):
    ...     values: tf.Tensor
    >>> @tf.experimental.dispatch_for_unary_elementwise_apis(Scaled)
    ... def scaled_unary(api_func, x):
    ...     return Scaled(api_func(x.values))
    >>> tf.math.square(Scaled([1.0, 3.0])).values.numpy()
    array([1., 9.], dtype=float32)
    >>> tf.experimental.unregister_dispatch_for(scaled_unary)
    """
    _check_dispatch_type(x_type)

    def decorator(handler):
        _unary_handlers.append((x_type, handler))
        _install()
        return handler

    return decorator


def dispatch_for_binary_elementwise_apis(x_type, y_type):
    """Decorator: ``handler(api_func, x, y)`` runs every binary elementwise op (``tf.add``, ``tf.maximum``...) on matching ``x``, ``y``.

    Examples
    --------
    >>> import learnet as tf
    >>> class Scaled(tf.experimental.ExtensionType):
    ...     values: tf.Tensor
    >>> @tf.experimental.dispatch_for_binary_elementwise_apis(Scaled, Scaled)
    ... def scaled_binary(api_func, x, y):
    ...     return Scaled(api_func(x.values, y.values))
    >>> tf.add(Scaled([1, 2]), Scaled([10, 20])).values.numpy()
    array([11, 22], dtype=int32)
    >>> tf.experimental.unregister_dispatch_for(scaled_binary)
    """
    _check_dispatch_type(x_type)
    _check_dispatch_type(y_type)

    def decorator(handler):
        _binary_handlers.append((x_type, y_type, handler))
        _install()
        return handler

    return decorator


def _check_dispatch_type(annotation):
    options = typing.get_args(annotation) if _is_union(annotation) else (annotation,)
    for option in options:
        if not (isinstance(option, type) or option is None):
            raise TypeError(f"dispatch: expected a type (or a Union of types), got {annotation!r}")


def unregister_dispatch_for(dispatch_target):
    """Forget a function registered by one of the ``dispatch_for_*`` decorators (``ValueError`` if none was).

    Examples
    --------
    >>> unregister_dispatch_for(print)
    Traceback (most recent call last):
    ...
    ValueError: Function <built-in function print> was not registered using a `@dispatch_for_*` decorator.
    """
    found = False
    for key in list(_api_handlers):
        kept = [entry for entry in _api_handlers[key] if entry[0] is not dispatch_target]
        found |= len(kept) != len(_api_handlers[key])
        if kept:
            _api_handlers[key] = kept
        else:
            del _api_handlers[key]
    for handlers in (_unary_handlers, _binary_handlers):
        kept = [entry for entry in handlers if entry[-1] is not dispatch_target]
        found |= len(kept) != len(handlers)
        handlers[:] = kept
    if not found:
        raise ValueError(f"Function {dispatch_target} was not registered using a `@dispatch_for_*` decorator.")


def _matches(value, annotation):
    """Whether ``value`` fits a dispatch annotation (``MaskedTensor``, ``List[...]``, ``Union[...]``, ``tf.Tensor``)."""
    if annotation is typing.Any or annotation is inspect.Parameter.empty:
        return True
    if annotation is None or annotation is type(None):
        return value is None
    if _is_union(annotation):
        return any(_matches(value, option) for option in typing.get_args(annotation))
    origin = _origin(annotation)
    if origin in (list, tuple, collections.abc.Sequence, collections.abc.Iterable):
        args = typing.get_args(annotation)
        if not isinstance(value, (list, tuple)):
            return False
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            return len(args) == len(value) and all(map(_matches, value, args))
        element = args[0] if args else typing.Any
        return all(_matches(v, element) for v in value)
    if isinstance(annotation, type):
        return isinstance(value, annotation)
    return False


def _has_extension_type(args, kwargs):
    """Whether an argument (or an item of a list argument) is an extension type: the quick "no" for every other call.

    It looks types up in ``_EXTENSION_CLASSES`` (a set lookup) rather than asking ``isinstance``,
    as this runs on every op call that converts an argument once a handler is registered.
    """
    classes = _EXTENSION_CLASSES
    for value in args:
        kind = type(value)
        if kind in classes:
            return True
        if kind is list or kind is tuple:
            for item in value:
                if type(item) in classes:
                    return True
    return bool(kwargs) and _has_extension_type(tuple(kwargs.values()), {})


def _dispatch(op, args, kwargs):
    """``tape.dispatch_hook``: the result of a registered handler for ``op(*args, **kwargs)``, or ``NotImplemented``."""
    if not _has_extension_type(args, kwargs):
        return NotImplemented
    for handler, signatures in _api_handlers.get(op, ()):
        try:
            bound = inspect.signature(handler).bind(*args, **kwargs)
        except TypeError:
            continue
        if any(
            all(_matches(bound.arguments.get(name), t) for name, t in s.items() if name in bound.arguments)
            for s in signatures
        ):
            return handler(*args, **kwargs)
    name = getattr(op, "__name__", "")
    if name in _UNARY_ELEMENTWISE and args:
        x, rest = args[0], args[1:]
        for x_type, handler in _unary_handlers:
            if _matches(x, x_type):
                return handler(_bound_api(op, lambda v: op(v, *rest, **kwargs)), x)
    if name in _BINARY_ELEMENTWISE and len(args) >= 2:
        x, y, rest = args[0], args[1], args[2:]
        for x_type, y_type, handler in _binary_handlers:
            if _matches(x, x_type) and _matches(y, y_type):
                return handler(_bound_api(op, lambda a, b: op(a, b, *rest, **kwargs)), x, y)
    return NotImplemented


def _bound_api(op, function):
    function.__name__ = op.__name__
    function.__doc__ = op.__doc__
    return function


def _install():
    """Let learnet's ops ask this module for handlers (done when the first handler is registered)."""
    tape.dispatch_hook = _dispatch
