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
]

_REGISTERED: dict[str, type] = {}  # the user's classes: "Name" and "Package>Name" -> class
_NAMES: dict[type, str] = {}  # class -> "Package>Name"
_BUILTIN: dict[str, type] = {}  # learnet's own layers and models: class name -> class
_BUILTIN_MODULES = ("learnet.layers", "learnet.models")


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
    """The class given in ``custom_objects`` or registered under ``name``, or ``None``."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return _REGISTERED.get(name)


def get_registered_name(obj: Any) -> str:
    """The name ``obj`` was registered under (``"Package>Name"``), else its own name."""
    return _NAMES.get(obj, getattr(obj, "__name__", type(obj).__name__))


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
