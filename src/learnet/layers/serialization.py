"""Layers to plain data and back: ``learnet.layers.serialize`` / ``deserialize``.

A layer (or a whole model) is described by ``{"class_name", "config", "build_config"}``;
``deserialize`` makes it again, finding the class by name in ``learnet.registry`` only
(learnet's own classes, classes the user registered, or ``custom_objects``). Configs
read from a file are checked to be plain data first (``check_plain``): no module or
callable named in a file is ever imported. ``learnet.saving`` writes and reads these
descriptions in its archives; ``Sequential`` and ``Functional`` build their own
``get_config`` / ``from_config`` from them.

Examples
--------
>>> from learnet import layers
>>> entry = serialize(layers.Dense(3, name="d"))
>>> entry["class_name"], entry["config"]["units"]
('Dense', 3)
>>> deserialize(entry).units
3
"""

import inspect
import re

import numpy as np

from learnet import registry
from learnet.layers.base import Layer

__all__ = ["serialize", "deserialize", "InvalidModelFileError", "check_plain", "plain_json"]


class InvalidModelFileError(ValueError):
    """A model or weights file that learnet cannot (or will not) load."""


# What a layer's constructor, build or call may raise when a file gives it nonsense
# (units=-1, a kernel of 2**31 rows, a zero stride): all reported as a bad file.
# MemoryError is one of them: a config may describe weights far too large to create.
CONFIG_ERRORS = (TypeError, ValueError, LookupError, AttributeError, ArithmeticError, MemoryError)


# --- checking configs ------------------------------------------------------------------------------
_DOTTED_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")
_FORBIDDEN_KEYS = {
    "module",
    "fn_module",
    "function_type",
    "__class__",
    "__reduce__",
    "py/object",
    "py/function",
    "py/reduce",
}


def check_plain(value, where, depth=0):
    """Raise unless ``value`` is plain data (no hint of a Python module or callable to import)."""
    if depth > 64:
        raise InvalidModelFileError(f"the model config is nested too deeply at {where}")
    if value is None or isinstance(value, (bool, int, float)):
        return
    if isinstance(value, str):
        if (
            _DOTTED_PATH.match(value)
            and not where.endswith(("['name']", "['layer']"))
            and "__keras_tensor__" not in where
            and "['vocabulary']" not in where  # tokens ("u.s", "e.g") are data, never looked up as code
        ):
            raise InvalidModelFileError(
                f"the model config names a Python module or function ({value!r} at {where}); "
                "learnet never imports code named in a file"
            )
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            check_plain(item, f"{where}[{index}]", depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidModelFileError(f"the model config has a non-text key at {where}")
            if key in _FORBIDDEN_KEYS or (key.startswith("__") and key != "__keras_tensor__"):
                raise InvalidModelFileError(
                    f"the model config holds the key {key!r} at {where}, which names Python code "
                    "(a module or a callable); learnet never imports code named in a file"
                )
            check_plain(item, f"{where}[{key!r}]", depth + 1)
        return
    raise InvalidModelFileError(f"the model config holds a {type(value).__name__} at {where}")


def plain_json(value, where):
    """Convert a config value to JSON-ready data (tuples to lists), refusing anything else."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [plain_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {str(k): plain_json(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise ValueError(
        f"cannot save {where}: it holds a {type(value).__name__} ({value!r:.60}), which is not plain "
        "data; give the layer a get_config() that returns numbers, strings, lists and dicts"
    )


# --- one layer ---------------------------------------------------------------------------------------
def _described(value, depth=0):
    """``value`` with the Keras objects inside it (a sublayer, a regularizer held in a custom
    layer's config) described as ``{"class_name", "config", "registered_name"}``, as Keras 3
    serializes a config's objects; anything else is left for ``plain_json`` to judge."""
    if depth > 32 or value is None or isinstance(value, (bool, int, float, str, np.ndarray, np.generic)):
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_described(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return {key: _described(item, depth + 1) for key, item in value.items()}
    if hasattr(value, "get_config") and not isinstance(value, type):
        cls = type(value)
        registered = registry.get_registered_name(cls) if not cls.__module__.startswith("learnet.") else None
        return {
            "class_name": cls.__name__,
            "config": _described(value.get_config(), depth + 1),
            "registered_name": registered,
        }
    return value


def _layer_config(layer):
    try:
        config = layer.get_config()
    except NotImplementedError as error:
        raise ValueError(f"cannot save layer '{layer.name}' ({type(layer).__name__}): {error}") from None
    return plain_json(_described(config), f"the config of layer '{layer.name}'")


def serialize(layer):
    """``{"class_name": ..., "config": ..., "build_config": ...}`` for one layer or model; a
    registered class of your own also gets its ``"registered_name"`` (``"Package>Name"``)."""
    entry = {"class_name": type(layer).__name__, "config": _layer_config(layer), "name": layer.name}
    if not type(layer).__module__.startswith("learnet.") and type(layer) in registry._NAMES:
        entry["registered_name"] = registry._NAMES[type(layer)]
    build = layer.get_build_config() if hasattr(layer, "get_build_config") else None
    if build is not None:
        entry["build_config"] = plain_json(build, f"the build config of '{layer.name}'")
    return entry


def require(config, key, kind, where):
    if not isinstance(config, dict) or key not in config:
        raise InvalidModelFileError(f"{where} has no {key!r}")
    value = config[key]
    if not isinstance(value, kind):
        raise InvalidModelFileError(
            f"{where}: {key!r} must be a {kind.__name__ if isinstance(kind, type) else kind}, got {type(value).__name__}"
        )
    return value


def deserialize(entry, custom_objects=None, layer_fn=None):
    """Create a layer (or model) from ``serialize_layer``'s dict, by registered class name only.

    ``custom_objects`` stay findable while the layer is made, so its activation, initializers,
    constraints and regularizers (given by name in the config) are found there too.
    """
    with registry.custom_object_scope(custom_objects):
        return _deserialize(entry, custom_objects, layer_fn)


def _deserialize(entry, custom_objects, layer_fn):
    where = "a layer entry of the model config"
    class_name = require(entry, "class_name", str, where)
    config = require(entry, "config", dict, f"the entry of {class_name!r}")
    registered = entry.get("registered_name")
    cls = registry.get_registered_object(registered, custom_objects) if isinstance(registered, str) else None
    if cls is None:
        cls = registry.get_registered_object(class_name, custom_objects)
    if cls is None:
        cls = registry.builtin_class(class_name)
    if cls is None:
        raise InvalidModelFileError(
            f"unknown layer class {class_name!r} in the model file. If it is your own class, pass "
            f"custom_objects={{{class_name!r}: {class_name}}} to load_model"
        )
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise InvalidModelFileError(f"custom_objects[{class_name!r}] must be a Layer or Model class, got {cls!r}")
    try:
        if _accepts_custom_objects(cls.from_config):
            layer = cls.from_config(dict(config), custom_objects=custom_objects)
        else:
            layer = cls.from_config(dict(config))
    except InvalidModelFileError:
        raise
    except CONFIG_ERRORS as error:
        raise InvalidModelFileError(
            f"cannot create layer {config.get('name', '?')!r} ({class_name}) from its config: {describe(error, cls)}"
        ) from None
    build = entry.get("build_config")
    if build is not None and not getattr(layer, "built", False):
        try:
            layer.build_from_config(build)
        except CONFIG_ERRORS as error:
            raise InvalidModelFileError(
                f"cannot build layer {layer.name!r} ({class_name}) from its build config: {describe(error)}"
            ) from None
    if layer_fn is not None:
        layer = layer_fn(layer)
    return layer


def describe(error, cls=None):
    """The message of an error raised while rebuilding from a file (MemoryError's is not enough)."""
    if isinstance(error, MemoryError):
        return f"its weights would not fit in memory ({error}); the file asks for implausibly large layers"
    if (
        cls is not None
        and isinstance(error, TypeError)
        and "unexpected keyword argument" in str(error)
        and not _takes_var_keywords(cls.__init__)
        and "from_config" not in vars(cls)
    ):
        name = cls.__name__
        return (
            f"{error}. Every layer and model is rebuilt with its name, trainable and dtype as "
            f"keyword arguments: let {name}.__init__ accept **kwargs and pass them on "
            f"(super().__init__(**kwargs)), or define {name}.get_config and {name}.from_config"
        )
    return str(error) or type(error).__name__


def _takes_var_keywords(function):
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters)


def _accepts_custom_objects(function):
    try:
        return "custom_objects" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def is_not_input(entry):
    """False for the entry of an ``InputLayer`` (a clone's ``layer_fn`` leaves those alone)."""
    return not (isinstance(entry, dict) and entry.get("class_name") == "InputLayer")
