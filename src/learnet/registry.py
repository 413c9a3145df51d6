"""Floor 1: the class registry, where configs and files find classes by name.

Two tables, both filled by the code that defines the classes, never by a file:

* learnet's own layer and model classes, registered by ``Layer.__init_subclass__``
  when their modules are imported (``"Dense"``, ``"Sequential"``, ``"Functional"``);
* the user's classes, registered with ``@register_keras_serializable()`` (under
  ``"Name"`` and ``"Package>Name"``), or passed as ``custom_objects``.

A saved file can only name classes found here: loading never imports a module a
file names. The registry imports nothing of learnet itself; a lookup of a built-in
class first imports ``learnet.layers`` and ``learnet.models`` (whose classes then
register themselves), so a lookup works whichever modules the program imported.

Examples
--------
>>> from learnet import registry
>>> registry.builtin_class("Dense").__name__
'Dense'
>>> @registry.register_keras_serializable(package="Course")
... class Scale:
...     pass
>>> registry.get_registered_object("Course>Scale") is Scale
True
>>> registry.get_registered_name(Scale)
'Course>Scale'
"""

import contextlib
import importlib
from collections.abc import Callable
from typing import Any

__all__ = [
    "register_keras_serializable",
    "get_registered_object",
    "get_registered_name",
    "register_builtin",
    "builtin_class",
    "builtin_classes",
    "custom_object_scope",
    "registered_function_name",
    "function_name_for_saving",
    "library_function_name",
    "library_function",
]

_REGISTERED: dict[str, type] = {}  # the user's classes: "Name" and "Package>Name" -> class
_NAMES: dict[type, str] = {}  # class -> "Package>Name"
_BUILTIN: dict[str, type] = {}  # learnet's own layers and models: class name -> class
_BUILTIN_MODULES = ("learnet.layers", "learnet.models")
_SCOPES: list[dict[str, Any]] = []  # custom_objects of the loads (and scopes) under way, innermost last


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable[[type], type]:
    """Decorator that lets ``load_model`` and ``from_config`` find a custom class by name.

    Registering is an explicit promise by the code that defines the class; a file
    can only name classes registered this way (or given in ``custom_objects``).

    Examples
    --------
    >>> import learnet
    >>> @register_keras_serializable()
    ... class Scale(learnet.layers.Layer):
    ...     pass
    >>> get_registered_object("Custom>Scale") is Scale
    True
    """

    def decorator(cls):
        key = name or cls.__name__
        _REGISTERED[key] = cls
        _REGISTERED[f"{package}>{key}"] = cls
        _NAMES[cls] = f"{package}>{key}"
        return cls

    return decorator


def get_registered_object(name: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """The object given in ``custom_objects`` (or an active ``custom_object_scope``) or registered
    under ``name``, or ``None``.

    A registered name ``"Package>name"`` is also found as ``"name"`` in ``custom_objects``, so a
    file saved with a registered function loads with ``custom_objects={"name": function}``.
    """
    short = name.split(">", 1)[1] if isinstance(name, str) and ">" in name else None
    for objects in (custom_objects, *reversed(_SCOPES)):
        if objects:
            if name in objects:
                return objects[name]
            if short is not None and short in objects:
                return objects[short]
    return _REGISTERED.get(name)


@contextlib.contextmanager
def custom_object_scope(*custom_objects: dict[str, Any] | None):
    """Make ``custom_objects`` findable by name inside a ``with`` block (Keras' ``custom_object_scope``).

    Loading a model opens one with the ``custom_objects`` it was given, so the activations,
    initializers, constraints and regularizers of its layers are found there too.

    Examples
    --------
    >>> def scaled(x):
    ...     return 2 * x
    >>> with custom_object_scope({"scaled": scaled}):
    ...     get_registered_object("scaled") is scaled
    True
    >>> get_registered_object("scaled") is None
    True
    """
    merged: dict[str, Any] = {}
    for objects in custom_objects:
        if objects is not None and not isinstance(objects, dict):
            raise TypeError(f"custom_object_scope expects dicts of name -> object, got {type(objects).__name__}")
        merged.update(objects or {})
    _SCOPES.append(merged)
    try:
        yield merged
    finally:
        _SCOPES.remove(merged)


def registered_function_name(function: Any) -> str | None:
    """The name a plain function was registered or given under (for saving it by name), or ``None``."""
    try:
        if function in _NAMES:
            return _NAMES[function]
    except TypeError:  # an unhashable callable object is never registered
        pass
    for objects in reversed(_SCOPES):
        for key, value in objects.items():
            if value is function:
                return key
    return None


def get_registered_name(obj: Any) -> str:
    """The name ``obj`` was registered under (``"Package>Name"``), else its own name."""
    return _NAMES.get(obj, getattr(obj, "__name__", type(obj).__name__))


def registered_name_of_class(class_name: str) -> str | None:
    """The ``"Package>Name"`` a class called ``class_name`` was registered under, or ``None``."""
    for registered, name in _NAMES.items():
        if getattr(registered, "__name__", None) == class_name:
            return name
    return None


def register_builtin(cls: type, name: str | None = None) -> type:
    """Record one of learnet's own layer or model classes (done by ``Layer.__init_subclass__``)."""
    _BUILTIN[name or cls.__name__] = cls
    return cls


def builtin_class(name: str) -> type | None:
    """learnet's own layer or model class called ``name``, or ``None``."""
    return builtin_classes().get(name)


def builtin_classes() -> dict[str, type]:
    """All of learnet's own layer and model classes, by name."""
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)  # its classes register themselves when it is imported
    return dict(_BUILTIN)


# Library functions a layer may be given where Keras expects one of its own objects
# (activation=tf.nn.gelu, kernel_initializer=tf.random.normal, kernel_regularizer=tf.nn.l2_loss),
# with the name Keras 3 writes for each: the function's name in TensorFlow ("softmax_v2" for
# tf.nn.softmax). One entry per namespace (learnet's module for tf.*, tf.nn, tf.math, keras.ops,
# tf.random then keras.random), listing its functions as "attribute" or "attribute=name". A
# function listed twice is saved under its first name; every name loads back. Resolved on first
# use, as the module names strings: the registry imports nothing of learnet when it is imported.
_LIBRARY_FUNCTIONS: tuple[tuple[str, str], ...] = (
    ("learnet", "sigmoid tanh exp abs square sqrt identity zeros ones reduce_sum reduce_mean sin cos"),
    (
        "learnet.nn",
        "relu relu6 gelu selu elu swish silu=swish softplus softsign sigmoid tanh leaky_relu "
        "softmax=softmax_v2 log_softmax=log_softmax_v2 crelu=crelu_v2 l2_loss",
    ),
    (
        "learnet.math",
        "tanh sigmoid softplus softsign exp log_sigmoid abs square sqrt log1p reduce_sum reduce_mean "
        "softmax=softmax_v2 log_softmax=log_softmax_v2 negative=neg",
    ),
    (
        "learnet.keras_ops",
        "relu relu6 sigmoid tanh softplus softsign silu swish=silu gelu elu selu leaky_relu hard_sigmoid "
        "hard_silu hard_swish=hard_silu log_sigmoid softmax log_softmax celu glu hard_tanh hard_shrink "
        "soft_shrink tanh_shrink squareplus sparse_plus sparse_sigmoid sparsemax threshold exp abs square "
        "sqrt log1p zeros ones sum mean",
    ),
    ("learnet.random", "normal=random_normal uniform=random_uniform truncated_normal normal uniform"),
)
_LIBRARY_TABLES: list[tuple[dict[Any, str], dict[str, Any]]] = []  # (function -> name, name -> function)


def _library_tables() -> tuple[dict[Any, str], dict[str, Any]]:
    if not _LIBRARY_TABLES:
        names: dict[Any, str] = {}
        functions: dict[str, Any] = {}
        for module_name, listing in _LIBRARY_FUNCTIONS:
            module = importlib.import_module(module_name)
            for item in listing.split():
                attribute, _, name = item.partition("=")
                function = getattr(module, attribute, None)
                if function is None:  # not written yet: saving it says so as for a function of one's own
                    continue
                name = name or attribute
                functions.setdefault(name, function)
                # The wrapper that records calls on symbolic tensors, and the function it wraps.
                for same in (function, getattr(function, "__wrapped__", None)):
                    if same is not None and (same is function or getattr(function, "_records_symbolic", False)):
                        names.setdefault(same, name)
        _LIBRARY_TABLES.append((names, functions))
    return _LIBRARY_TABLES[0]


def library_function_name(function: Any) -> str | None:
    """The name Keras 3 writes for a library function (``tf.random.normal``: ``"random_normal"``), or ``None``.

    Examples
    --------
    >>> import learnet as tf
    >>> library_function_name(tf.nn.softmax), library_function_name(print)
    ('softmax_v2', None)
    """
    try:
        return _library_tables()[0].get(function)
    except TypeError:  # an unhashable callable object is never a library function
        return None


def library_function(name: str) -> Any:
    """The library function Keras 3 writes as ``name`` (``"random_normal"``: ``tf.random.normal``), or ``None``.

    Examples
    --------
    >>> import learnet as tf
    >>> library_function("l2_loss") is tf.nn.l2_loss
    True
    """
    return _library_tables()[1].get(name) if isinstance(name, str) else None


def function_name_for_saving(function: Any, kind: str) -> str:
    """The name that stands for ``function`` in a saved config, as Keras 3 writes it: the name
    a function of the user's own was registered under, or a library function's name in TensorFlow.

    Raises a ``ValueError`` that says how to register it when the function has no such name:
    a file names a function, never holds its code.
    """
    name = registered_function_name(function) or library_function_name(function)
    if name is None:
        label = getattr(function, "__name__", type(function).__name__)
        if kind == "activation" and label.isidentifier() and callable(function) and not isinstance(function, type):
            # A named activation of the user's own, not registered: written by its name, as Keras 3
            # writes it; loading finds it in custom_objects={label: function} (and says so if not).
            return label
        how = (
            "Write it as a def with a name and decorate that"
            if label == "<lambda>"
            else f"Decorate it with @keras.saving.register_keras_serializable() (loading then finds it by that name, or in custom_objects={{{label!r}: {label}}})"
        )
        raise ValueError(
            f"cannot serialize the {kind} {label!r} to save it: it is a function of your own, and a saved "
            f"model can only name it, never hold its code. {how}"
        )
    return name
