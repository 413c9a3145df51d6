"""``keras.saving.serialize_keras_object`` / ``deserialize_keras_object`` and ``get_custom_objects``.

Any Keras object (a layer, a regularizer, an initializer, a constraint, a loss, a metric,
an optimizer, a learning-rate schedule) becomes Keras 3's description of it::

    {"module": "keras.regularizers", "class_name": "L1", "config": {"l1": 0.005}, "registered_name": None}

with the objects inside its config described the same way, and comes back from it. A
class is found again only among learnet's own classes, the classes registered with
``@keras.saving.register_keras_serializable()`` (by their ``"Package>Name"``) and the
``custom_objects`` given: no module named in a description is ever imported.

Examples
--------
>>> import learnet as keras
>>> config = keras.saving.serialize_keras_object(keras.regularizers.L1(0.005))
>>> config["class_name"], config["module"], round(config["config"]["l1"], 6)
('L1', 'keras.regularizers', 0.005)
>>> type(keras.saving.deserialize_keras_object(config)).__name__
'L1'
"""

import importlib
import inspect

import numpy

from learnet import registry

__all__ = ["deserialize_keras_object", "get_custom_objects", "get_registered_name", "serialize_keras_object"]

# learnet's modules of Keras objects, under Keras' module names, in the order a class name is looked up.
_MODULES = {
    "keras.layers": "learnet.layers",
    "keras.models": "learnet.models",
    "keras.regularizers": "learnet.regularizers",
    "keras.initializers": "learnet.initializers",
    "keras.constraints": "learnet.constraints",
    "keras.losses": "learnet.losses",
    "keras.metrics": "learnet.metrics",
    "keras.optimizers": "learnet.optimizers",
    "keras.optimizers.schedules": "learnet.schedules",
    "keras.activations": "learnet.activations",
}
_KERAS_MODULE_OF = {learnet: keras for keras, learnet in _MODULES.items()}


def get_custom_objects():
    """The dict of the classes and functions registered by name (``keras.saving.get_custom_objects``).

    It is the registry itself: adding ``{"Name": cls}`` registers a class, ``clear()`` forgets them all.
    """
    return registry._REGISTERED


def get_registered_name(obj):
    """The name ``obj`` (a class or function) was registered under, ``"Package>Name"``, else its own name."""
    return registry.get_registered_name(obj)


def _keras_module(cls):
    module = cls.__module__
    for learnet_module, keras_module in _KERAS_MODULE_OF.items():
        if module == learnet_module or module.startswith(learnet_module + "."):
            return keras_module
    return module


def serialize_keras_object(obj):
    """Keras 3's description of ``obj``: ``{"module", "class_name", "config", "registered_name"}``
    for an object with ``get_config`` (its config's objects described too), learnet's own
    functions by name, a registered function of your own as Keras 3 describes it
    (``{"module": "builtins", "class_name": "function", "config": "Package>name", ...}``),
    and plain values, lists and dicts as they are.

    Raises
    ------
    ValueError
        For an object that has no ``get_config`` and is not plain data, or a function of your
        own that is not registered (a description names it, it never holds its code).
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (numpy.integer, numpy.floating, numpy.bool_)):
        return obj.item()
    if isinstance(obj, numpy.ndarray):
        return obj.tolist()
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {str(key): serialize_keras_object(value) for key, value in obj.items()}
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        name = registry.registered_function_name(obj)
        if name is None and obj.__module__.startswith("learnet."):
            return obj.__name__  # learnet's own activation or loss, found again by its name
        # A function of the user's own, by the name it was registered under: Keras 3's form.
        return {
            "module": "builtins",
            "class_name": "function",
            "config": registry.function_name_for_saving(obj, "function"),
            "registered_name": "function",
        }
    if hasattr(obj, "get_config"):
        cls = type(obj)
        custom = not cls.__module__.startswith("learnet.")
        return {
            "module": _keras_module(cls),
            "class_name": cls.__name__,
            "config": serialize_keras_object(obj.get_config()),
            "registered_name": registry.get_registered_name(cls) if custom else None,
        }
    raise ValueError(
        f"serialize_keras_object: a {type(obj).__name__} ({obj!r:.60}) has no get_config and is not plain data"
    )


def _find_class(config, custom_objects):
    class_name = config["class_name"]
    for name in (config.get("registered_name"), class_name):
        if isinstance(name, str):
            found = registry.get_registered_object(name, custom_objects)
            if found is not None:
                return found
    found = registry.builtin_class(class_name) if isinstance(class_name, str) else None
    if found is not None:
        return found
    modules = list(_MODULES.values())
    named = _MODULES.get(config.get("module"))
    if named is not None:
        modules.insert(0, named)
    for module_name in modules:
        candidate = getattr(importlib.import_module(module_name), str(class_name), None)
        if inspect.isclass(candidate) and candidate.__module__.startswith("learnet."):
            return candidate
    return None


def _find_function(config, custom_objects):
    """The function a ``{"class_name": "function", ...}`` description names: registered, in
    ``custom_objects`` or one of learnet's own, found by its name only (never imported)."""
    name = config.get("config") if config.get("module") == "builtins" else config.get("registered_name")
    if not isinstance(name, str) or name == "function":
        name = config.get("config")
    found = deserialize_keras_object(name, custom_objects) if isinstance(name, str) else None
    if not callable(found):
        raise ValueError(
            f"deserialize_keras_object: could not locate the function {name!r}. Make sure it is decorated "
            "with @keras.saving.register_keras_serializable() or passed in custom_objects"
        )
    return found


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object ``serialize_keras_object`` described (``keras.saving.deserialize_keras_object``).

    A class is found among learnet's own, the registered ones (by ``registered_name``) and
    ``custom_objects``; a description naming anything else is refused with a clear error.
    A name (a string) of a registered or learnet function gives that function, and so does
    Keras 3's description of a function (``{"class_name": "function", "config": "Package>name",
    ...}``); other plain values come back as they are.
    """
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        found = registry.get_registered_object(config, custom_objects)
        if found is not None:
            return found
        from learnet import activations

        try:
            return activations.get(config)
        except (ValueError, KeyError, TypeError):
            return config
    if isinstance(config, list):
        return [deserialize_keras_object(item, custom_objects) for item in config]
    if not isinstance(config, dict):
        raise TypeError(f"deserialize_keras_object expects a config dict, got {type(config).__name__}")
    if "class_name" not in config:
        return {key: deserialize_keras_object(value, custom_objects) for key, value in config.items()}
    if config["class_name"] == "function":
        return _find_function(config, custom_objects)
    with registry.custom_object_scope(custom_objects):
        cls = _find_class(config, custom_objects)
        if cls is None:
            raise ValueError(
                f"deserialize_keras_object: could not locate class {config['class_name']!r}. Make sure custom "
                "classes are decorated with @keras.saving.register_keras_serializable() or passed in custom_objects"
            )
        inner = config.get("config") or {}
        if not isinstance(inner, dict):
            raise TypeError(f"deserialize_keras_object: the config of {config['class_name']!r} must be a dict")
        if hasattr(cls, "from_config"):
            return cls.from_config(dict(inner))
        return cls(**inner)
